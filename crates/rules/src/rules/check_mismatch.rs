declare_rule! {
    CheckMismatch {
        id: "check-mismatch",
        summary: "A CHECK constraint has the expected name but another expression.",
        rationale: "The database enforces a different rule than the application expects: it accepts rows that should be rejected, or rejects valid ones.",
        severity: Error,
        enabled: true,
        example: "-- expected\nCONSTRAINT items_price_check CHECK (price >= 0)\n-- actual\nCONSTRAINT items_price_check CHECK (price > 0)",
        fix: "Locking: the constraint is dropped and recreated, validating every row.",
    }
}

mismatch_rule!(CheckMismatch, Check, checks, check_diffs);

#[cfg(test)]
mod tests {
    use super::CheckMismatch;
    use crate::rules::testing::*;

    #[test]
    fn finds_a_changed_expression() {
        let mut actual = fixture();
        table(&mut actual, "users")
            .checks
            .get_mut("users_email_check")
            .unwrap()
            .expression = "(length(email) > 3)".into();
        let findings = run_pair(&CheckMismatch, &fixture(), &actual);
        let f = only(
            &findings,
            "check-mismatch",
            "public.users.users_email_check",
        );
        assert_eq!(
            f.message,
            "check constraint users_email_check on public.users differs (expected vs actual): CHECK ((email <> ''::text)) vs CHECK ((length(email) > 3))"
        );
        assert_eq!(f.fix, crate::FixIntent::Replace);
    }

    #[test]
    fn finds_nothing_for_whitespace_and_parentheses() {
        let mut actual = fixture();
        table(&mut actual, "users")
            .checks
            .get_mut("users_email_check")
            .unwrap()
            .expression = "email <> ''::TEXT".into();
        assert!(run_pair(&CheckMismatch, &fixture(), &actual).is_empty());
    }
}
