use crate::compare::describe_exclusion;

declare_rule! {
    MissingExclusion {
        id: "missing-exclusion",
        summary: "An exclusion constraint the expected side has does not exist in the database (PostgreSQL).",
        rationale: "Rows the application assumes cannot overlap (two bookings of one room at once) can be stored. A constraint of the same definition under another name does not count: migrations drop and alter it by name, so it is reported missing here and orphan under its own name, and `possible-rename` pairs the two.",
        severity: Error,
        enabled: true,
        example: "-- expected\nCREATE TABLE bookings (room int, during tsrange, EXCLUDE USING gist (room WITH =, during WITH &&));\n-- actual\nCREATE TABLE bookings (room int, during tsrange);",
        fix: "Locking: adding the constraint builds its index over every row and fails if two rows conflict.",
    }
}

member_rule!(
    MissingExclusion,
    report_missing,
    exclusions,
    Exclusion,
    describe_exclusion
);

#[cfg(test)]
mod tests {
    use super::MissingExclusion;
    use crate::rules::testing::*;
    use driftless_model::Exclusion;

    fn circles(definition: &str) -> Exclusion {
        Exclusion {
            definition: definition.into(),
            comment: None,
        }
    }

    #[test]
    fn finds_a_missing_exclusion_also_under_another_name() {
        let mut expected = fixture();
        table(&mut expected, "users").exclusions.insert(
            "users_c_excl".into(),
            circles("EXCLUDE USING gist (c WITH &&)"),
        );
        let findings = run_pair(&MissingExclusion, &expected, &fixture());
        let f = only(&findings, "missing-exclusion", "public.users.users_c_excl");
        assert_eq!(
            f.message,
            "exclusion constraint users_c_excl on public.users is missing (expected EXCLUDE USING gist (c WITH &&))"
        );
        assert_eq!(f.fix, crate::FixIntent::Create);

        let mut actual = fixture();
        table(&mut actual, "users")
            .exclusions
            .insert("other".into(), circles("EXCLUDE USING gist (c WITH &&)"));
        let findings = run_pair(&MissingExclusion, &expected, &actual);
        only(&findings, "missing-exclusion", "public.users.users_c_excl");
    }
}
