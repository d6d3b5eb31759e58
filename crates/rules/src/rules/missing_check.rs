use crate::compare::describe_check;

declare_rule! {
    MissingCheck {
        id: "missing-check",
        summary: "A CHECK constraint the expected side has does not exist in the database.",
        rationale: "Rows the application assumes impossible (negative prices, empty emails) can be stored. A constraint of the same definition under another name does not count: migrations drop and alter it by name, so it is reported missing here and orphan under its own name, and `possible-rename` pairs the two.",
        severity: Error,
        enabled: true,
        example: "-- expected\nCREATE TABLE items (price numeric CONSTRAINT items_price_check CHECK (price >= 0));\n-- actual\nCREATE TABLE items (price numeric);",
        fix: "Locking: adding the constraint validates every row and fails if some violate it; the fixer reports them.",
    }
}

member_rule!(MissingCheck, report_missing, checks, Check, describe_check);

#[cfg(test)]
mod tests {
    use super::MissingCheck;
    use crate::rules::testing::*;

    #[test]
    fn finds_a_missing_check() {
        let mut actual = fixture();
        table(&mut actual, "users").checks.clear();
        let findings = run_pair(&MissingCheck, &fixture(), &actual);
        let f = only(&findings, "missing-check", "public.users.users_email_check");
        assert_eq!(
            f.message,
            "check constraint users_email_check on public.users is missing (expected CHECK ((email <> ''::text)))"
        );
        assert_eq!(f.fix, crate::FixIntent::Create);
    }

    #[test]
    fn finds_nothing_for_the_same_expression_spelled_differently() {
        let mut actual = fixture();
        let c = table(&mut actual, "users")
            .checks
            .remove("users_email_check")
            .unwrap();
        let mut c2 = c.clone();
        c2.expression = "email <>  ''::text".into();
        table(&mut actual, "users")
            .checks
            .insert("users_email_check".into(), c2);
        assert!(run_pair(&MissingCheck, &fixture(), &actual).is_empty());
    }
}
