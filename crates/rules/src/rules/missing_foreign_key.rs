use crate::compare::describe_foreign_key;

declare_rule! {
    MissingForeignKey {
        id: "missing-foreign-key",
        summary: "A foreign key the expected side has does not exist in the database.",
        rationale: "Rows can point at parents that do not exist, and cascades the application relies on (ON DELETE CASCADE) silently stop happening. A constraint of the same definition under another name does not count: migrations drop and alter it by name, so it is reported missing here and orphan under its own name, and `possible-rename` pairs the two.",
        severity: Error,
        enabled: true,
        example: "-- expected\nALTER TABLE posts ADD CONSTRAINT posts_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);\n-- actual: no foreign key on posts (user_id)",
        fix: "Locking: adding the constraint validates every row and fails if orphaned rows exist; the fixer reports them.",
    }
}

member_rule!(
    MissingForeignKey,
    report_missing,
    foreign_keys,
    ForeignKey,
    describe_foreign_key
);

#[cfg(test)]
mod tests {
    use super::MissingForeignKey;
    use crate::rules::testing::*;

    #[test]
    fn finds_a_missing_foreign_key() {
        let mut actual = fixture();
        table(&mut actual, "posts").foreign_keys.clear();
        let findings = run_pair(&MissingForeignKey, &fixture(), &actual);
        let f = only(
            &findings,
            "missing-foreign-key",
            "public.posts.posts_user_id_fkey",
        );
        assert_eq!(
            f.message,
            "foreign key posts_user_id_fkey on public.posts is missing (expected (user_id) REFERENCES public.users (id) ON DELETE CASCADE)"
        );
        assert_eq!(f.fix, crate::FixIntent::Create);
    }

    #[test]
    fn finds_a_foreign_key_expected_under_another_name() {
        let mut actual = fixture();
        let fk = table(&mut actual, "posts")
            .foreign_keys
            .remove("posts_user_id_fkey")
            .unwrap();
        table(&mut actual, "posts")
            .foreign_keys
            .insert("fk_1".into(), fk);
        let findings = run_pair(&MissingForeignKey, &fixture(), &actual);
        only(
            &findings,
            "missing-foreign-key",
            "public.posts.posts_user_id_fkey",
        );
    }
}
