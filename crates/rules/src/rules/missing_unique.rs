use crate::compare::describe_unique;

declare_rule! {
    MissingUnique {
        id: "missing-unique",
        summary: "A UNIQUE constraint the expected side has does not exist in the database.",
        rationale: "Duplicates the application assumes impossible can be inserted, and `ON CONFLICT` clauses that name the constraint fail. A constraint of the same definition under another name does not count: migrations drop and alter it by name, so it is reported missing here and orphan under its own name, and `possible-rename` pairs the two.",
        severity: Error,
        enabled: true,
        example: "-- expected\nCREATE TABLE users (email text, CONSTRAINT users_email_key UNIQUE (email));\n-- actual\nCREATE TABLE users (email text);",
        fix: "Locking: adding the constraint builds an index and fails if duplicates exist; the fixer reports them.",
    }
}

member_rule!(
    MissingUnique,
    report_missing,
    uniques,
    Unique,
    describe_unique
);

#[cfg(test)]
mod tests {
    use super::MissingUnique;
    use crate::rules::testing::*;

    #[test]
    fn finds_a_missing_unique_constraint() {
        let mut actual = fixture();
        table(&mut actual, "users").uniques.clear();
        let findings = run_pair(&MissingUnique, &fixture(), &actual);
        let f = only(&findings, "missing-unique", "public.users.users_email_key");
        assert_eq!(
            f.message,
            "unique constraint users_email_key on public.users is missing (expected UNIQUE (email))"
        );
        assert_eq!(f.fix, crate::FixIntent::Create);
    }

    #[test]
    fn finds_a_constraint_expected_under_another_name() {
        let mut actual = fixture();
        let u = table(&mut actual, "users")
            .uniques
            .remove("users_email_key")
            .unwrap();
        table(&mut actual, "users")
            .uniques
            .insert("uq_users_email".into(), u);
        let findings = run_pair(&MissingUnique, &fixture(), &actual);
        only(&findings, "missing-unique", "public.users.users_email_key");
    }
}
