declare_rule! {
    ExclusionMismatch {
        id: "exclusion-mismatch",
        summary: "An exclusion constraint has the expected name but another definition (PostgreSQL).",
        rationale: "The database excludes other rows than the application expects: it accepts conflicting rows, or rejects valid ones.",
        severity: Error,
        enabled: true,
        example: "-- expected\nCONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&)\n-- actual\nCONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&)",
        fix: "Locking: the constraint is dropped and recreated, building its index over every row.",
    }
}

mismatch_rule!(ExclusionMismatch, Exclusion, exclusions, exclusion_diffs);

#[cfg(test)]
mod tests {
    use super::ExclusionMismatch;
    use crate::rules::testing::*;
    use driftless_model::Exclusion;

    fn with(definition: &str) -> driftless_model::Snapshot {
        let mut snap = fixture();
        table(&mut snap, "users").exclusions.insert(
            "no_overlap".into(),
            Exclusion {
                definition: definition.into(),
                comment: None,
            },
        );
        snap
    }

    #[test]
    fn finds_a_changed_definition_and_nothing_when_equal() {
        let expected = with("EXCLUDE USING gist (c WITH &&)");
        let actual = with("EXCLUDE USING gist (c WITH &&) DEFERRABLE");
        let findings = run_pair(&ExclusionMismatch, &expected, &actual);
        let f = only(&findings, "exclusion-mismatch", "public.users.no_overlap");
        assert_eq!(
            f.message,
            "exclusion constraint no_overlap on public.users differs (expected vs actual): EXCLUDE USING gist (c WITH &&) vs EXCLUDE USING gist (c WITH &&) DEFERRABLE"
        );
        assert_eq!(f.fix, crate::FixIntent::Replace);
        assert!(run_pair(&ExclusionMismatch, &expected, &expected).is_empty());
    }
}
