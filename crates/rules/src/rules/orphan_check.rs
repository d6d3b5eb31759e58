use crate::compare::describe_check;

declare_rule! {
    OrphanCheck {
        id: "orphan-check",
        summary: "The database has a CHECK constraint the expected side does not know.",
        rationale: "It rejects inserts and updates the application expects to succeed.",
        severity: Warning,
        enabled: true,
        example: "-- expected\nCREATE TABLE users (name text);\n-- actual\nCREATE TABLE users (name text CHECK (length(name) < 20));",
        fix: "Safe: dropping a constraint loses no data.",
    }
}

member_rule!(OrphanCheck, report_orphan, checks, Check, describe_check);

#[cfg(test)]
mod tests {
    use super::OrphanCheck;
    use crate::rules::testing::*;
    use driftless_model::{Check, QUARANTINE_PREFIX};

    #[test]
    fn finds_an_extra_check() {
        let mut actual = fixture();
        table(&mut actual, "users").checks.insert(
            "users_name_check".into(),
            Check {
                expression: "(length((name)::text) < 20)".into(),
                comment: None,
                no_inherit: false,
            },
        );
        let findings = run_pair(&OrphanCheck, &fixture(), &actual);
        let f = only(&findings, "orphan-check", "public.users.users_name_check");
        assert_eq!(
            f.message,
            "check constraint users_name_check on public.users exists but is not expected (CHECK ((length((name)::text) < 20)))"
        );
        assert_eq!(f.fix, crate::FixIntent::Drop);
    }

    #[test]
    fn finds_nothing_for_checks_on_quarantined_columns() {
        let mut actual = fixture();
        table(&mut actual, "users").checks.insert(
            "users_avatar_check".into(),
            Check {
                expression: format!("({QUARANTINE_PREFIX}avatar <> '')"),
                comment: None,
                no_inherit: false,
            },
        );
        assert!(run_pair(&OrphanCheck, &fixture(), &actual).is_empty());
    }
}
