declare_rule! {
    ForeignKeyMismatch {
        id: "foreign-key-mismatch",
        summary: "A foreign key has the expected name but references other columns, or has other ON DELETE / ON UPDATE actions or deferral.",
        rationale: "Deletes cascade (or are refused) differently than the application expects: a `CASCADE` that became `NO ACTION` breaks account deletion; the reverse deletes data.",
        severity: Error,
        enabled: true,
        example: "-- expected\nFOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE\n-- actual\nFOREIGN KEY (user_id) REFERENCES users (id)",
        fix: "Locking: the constraint is dropped and recreated, validating every row.",
    }
}

mismatch_rule!(
    ForeignKeyMismatch,
    ForeignKey,
    foreign_keys,
    foreign_key_diffs
);

#[cfg(test)]
mod tests {
    use super::ForeignKeyMismatch;
    use crate::rules::testing::*;
    use driftless_model::FkAction;

    #[test]
    fn finds_changed_actions() {
        let mut actual = fixture();
        let fk = table(&mut actual, "posts")
            .foreign_keys
            .get_mut("posts_user_id_fkey")
            .unwrap();
        fk.on_delete = FkAction::NoAction;
        fk.deferrable = true;
        let findings = run_pair(&ForeignKeyMismatch, &fixture(), &actual);
        let f = only(
            &findings,
            "foreign-key-mismatch",
            "public.posts.posts_user_id_fkey",
        );
        assert_eq!(
            f.message,
            "foreign key posts_user_id_fkey on public.posts differs (expected vs actual): ON DELETE CASCADE vs NO ACTION; NOT DEFERRABLE vs DEFERRABLE INITIALLY IMMEDIATE"
        );
        assert_eq!(f.fix, crate::FixIntent::Replace);
    }

    #[test]
    fn finds_nothing_when_equal() {
        assert!(run_pair(&ForeignKeyMismatch, &fixture(), &fixture()).is_empty());
        let mut actual = fixture();
        table(&mut actual, "posts").foreign_keys.clear();
        assert!(run(&ForeignKeyMismatch, &fixture(), &actual).is_empty());
    }
}
