use crate::compare::describe_unique;

declare_rule! {
    OrphanUnique {
        id: "orphan-unique",
        summary: "The database has a UNIQUE constraint the expected side does not know.",
        rationale: "It rejects inserts and updates the application expects to succeed, typically a constraint added by hand during an incident and never written down.",
        severity: Warning,
        enabled: true,
        example: "-- expected\nCREATE TABLE users (name text);\n-- actual\nCREATE TABLE users (name text, CONSTRAINT users_name_key UNIQUE (name));",
        fix: "Safe: dropping a constraint loses no data.",
    }
}

member_rule!(
    OrphanUnique,
    report_orphan,
    uniques,
    Unique,
    describe_unique
);

#[cfg(test)]
mod tests {
    use super::OrphanUnique;
    use crate::rules::testing::*;
    use driftless_model::{UniqueConstraint, QUARANTINE_PREFIX};

    #[test]
    fn finds_an_extra_unique_constraint() {
        let mut actual = fixture();
        table(&mut actual, "users").uniques.insert(
            "users_name_key".into(),
            UniqueConstraint {
                deferrable: false,
                initially_deferred: false,
                columns: vec!["name".into()],
                nulls_not_distinct: false,
                comment: None,
            },
        );
        let findings = run_pair(&OrphanUnique, &fixture(), &actual);
        let f = only(&findings, "orphan-unique", "public.users.users_name_key");
        assert_eq!(
            f.message,
            "unique constraint users_name_key on public.users exists but is not expected (UNIQUE (name))"
        );
        assert_eq!(f.fix, crate::FixIntent::Drop);
    }

    #[test]
    fn finds_nothing_for_constraints_on_quarantined_columns() {
        let mut actual = fixture();
        table(&mut actual, "users").uniques.insert(
            "users_avatar_key".into(),
            UniqueConstraint {
                deferrable: false,
                initially_deferred: false,
                columns: vec![format!("{QUARANTINE_PREFIX}avatar")],
                nulls_not_distinct: false,
                comment: None,
            },
        );
        assert!(run_pair(&OrphanUnique, &fixture(), &actual).is_empty());
    }
}
