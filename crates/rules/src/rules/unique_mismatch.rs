declare_rule! {
    UniqueMismatch {
        id: "unique-mismatch",
        summary: "A UNIQUE constraint covers other columns (or treats NULLs differently) than expected.",
        rationale: "The constraint enforces a different rule than the application relies on: it lets duplicates in, or rejects rows that should be accepted.",
        severity: Error,
        enabled: true,
        example: "-- expected\nCREATE TABLE members (org_id int, email text, CONSTRAINT members_key UNIQUE (org_id, email));\n-- actual\nCREATE TABLE members (org_id int, email text, CONSTRAINT members_key UNIQUE (email));",
        fix: "Locking: the constraint is dropped and recreated, which fails if existing rows violate the expected definition.",
    }
}

mismatch_rule!(UniqueMismatch, Unique, uniques, unique_diffs);

#[cfg(test)]
mod tests {
    use super::UniqueMismatch;
    use crate::rules::testing::*;

    #[test]
    fn finds_a_unique_constraint_on_other_columns() {
        let mut actual = fixture();
        let u = table(&mut actual, "users")
            .uniques
            .get_mut("users_email_key")
            .unwrap();
        u.columns = vec!["email".into(), "name".into()];
        u.nulls_not_distinct = true;
        let findings = run_pair(&UniqueMismatch, &fixture(), &actual);
        let f = only(&findings, "unique-mismatch", "public.users.users_email_key");
        assert_eq!(
            f.message,
            "unique constraint users_email_key on public.users differs (expected vs actual): columns (email) vs (email, name); NULLS DISTINCT vs NULLS NOT DISTINCT"
        );
        assert_eq!(f.fix, crate::FixIntent::Replace);
    }

    #[test]
    fn finds_nothing_for_missing_or_renamed_constraints() {
        let mut actual = fixture();
        let u = table(&mut actual, "users")
            .uniques
            .remove("users_email_key")
            .unwrap();
        table(&mut actual, "users")
            .uniques
            .insert("other_name".into(), u);
        assert!(run_pair(&UniqueMismatch, &fixture(), &actual).is_empty());
        let mut actual = fixture();
        table(&mut actual, "users").uniques.clear();
        assert!(run(&UniqueMismatch, &fixture(), &actual).is_empty());
    }
}
