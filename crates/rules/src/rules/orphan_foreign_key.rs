use crate::compare::describe_foreign_key;

declare_rule! {
    OrphanForeignKey {
        id: "orphan-foreign-key",
        summary: "The database has a foreign key the expected side does not know.",
        rationale: "It rejects inserts and deletes the application expects to succeed, or cascades deletes nobody asked for.",
        severity: Warning,
        enabled: true,
        example: "-- expected: posts.user_id without a constraint\n-- actual\nALTER TABLE posts ADD CONSTRAINT fk_posts_users FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;",
        fix: "Safe: dropping a constraint loses no data.",
    }
}

member_rule!(
    OrphanForeignKey,
    report_orphan,
    foreign_keys,
    ForeignKey,
    describe_foreign_key
);

#[cfg(test)]
mod tests {
    use super::OrphanForeignKey;
    use crate::rules::testing::*;
    use driftless_model::QUARANTINE_PREFIX;

    #[test]
    fn finds_an_extra_foreign_key() {
        let mut expected = fixture();
        table(&mut expected, "posts").foreign_keys.clear();
        let findings = run_pair(&OrphanForeignKey, &expected, &fixture());
        let f = only(
            &findings,
            "orphan-foreign-key",
            "public.posts.posts_user_id_fkey",
        );
        assert_eq!(
            f.message,
            "foreign key posts_user_id_fkey on public.posts exists but is not expected ((user_id) REFERENCES public.users (id) ON DELETE CASCADE)"
        );
        assert_eq!(f.fix, crate::FixIntent::Drop);
    }

    #[test]
    fn finds_nothing_for_a_foreign_key_to_a_quarantined_table() {
        let mut expected = fixture();
        table(&mut expected, "posts").foreign_keys.clear();
        let mut actual = fixture();
        table(&mut actual, "posts")
            .foreign_keys
            .get_mut("posts_user_id_fkey")
            .unwrap()
            .ref_table = format!("{QUARANTINE_PREFIX}users");
        assert!(run_pair(&OrphanForeignKey, &expected, &actual).is_empty());
    }
}
