use crate::compare::describe_exclusion;

declare_rule! {
    OrphanExclusion {
        id: "orphan-exclusion",
        summary: "The database has an exclusion constraint the expected side does not know (PostgreSQL).",
        rationale: "It rejects inserts and updates the application expects to succeed.",
        severity: Warning,
        enabled: true,
        example: "-- expected\nCREATE TABLE bookings (room int, during tsrange);\n-- actual\nCREATE TABLE bookings (room int, during tsrange, EXCLUDE USING gist (room WITH =, during WITH &&));",
        fix: "Safe: dropping a constraint loses no data.",
    }
}

member_rule!(
    OrphanExclusion,
    report_orphan,
    exclusions,
    Exclusion,
    describe_exclusion
);

#[cfg(test)]
mod tests {
    use super::OrphanExclusion;
    use crate::rules::testing::*;
    use driftless_model::Exclusion;

    #[test]
    fn finds_an_extra_exclusion_and_nothing_when_expected() {
        let mut actual = fixture();
        table(&mut actual, "users").exclusions.insert(
            "users_c_excl".into(),
            Exclusion {
                definition: "EXCLUDE USING gist (c WITH &&)".into(),
                comment: None,
            },
        );
        let findings = run_pair(&OrphanExclusion, &fixture(), &actual);
        let f = only(&findings, "orphan-exclusion", "public.users.users_c_excl");
        assert_eq!(
            f.message,
            "exclusion constraint users_c_excl on public.users exists but is not expected (EXCLUDE USING gist (c WITH &&))"
        );
        assert_eq!(f.fix, crate::FixIntent::Drop);
        assert!(run_pair(&OrphanExclusion, &actual, &actual).is_empty());
    }
}
