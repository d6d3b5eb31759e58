declare_rule! {
    IndexMismatch {
        id: "index-mismatch",
        summary: "An index has the expected name but another definition (key, uniqueness, method, predicate, included columns).",
        rationale: "Queries planned around the expected index do not use it, and a uniqueness difference changes which rows are accepted.",
        severity: Warning,
        enabled: true,
        example: "-- expected\nCREATE INDEX users_name_idx ON users (last_name, first_name);\n-- actual\nCREATE INDEX users_name_idx ON users (last_name);",
        fix: "Locking: the index is dropped and rebuilt; writes to the table wait while it builds.",
    }
}

mismatch_rule!(IndexMismatch, Index, indexes, index_diffs);

#[cfg(test)]
mod tests {
    use super::IndexMismatch;
    use crate::rules::testing::*;
    use driftless_model::IndexPart;

    #[test]
    fn finds_a_changed_index() {
        let mut actual = fixture();
        let i = table(&mut actual, "users")
            .indexes
            .get_mut("users_name_idx")
            .unwrap();
        i.parts.push(IndexPart::column("email"));
        i.method = Some("hash".into());
        i.predicate = Some("(active)".into());
        let findings = run_pair(&IndexMismatch, &fixture(), &actual);
        let f = only(&findings, "index-mismatch", "public.users.users_name_idx");
        assert_eq!(
            f.message,
            "index users_name_idx on public.users differs (expected vs actual): key (name) vs (name, email); method btree vs hash; predicate (none) vs (active)"
        );
        assert_eq!(f.fix, crate::FixIntent::Replace);
    }

    #[test]
    fn finds_nothing_for_default_method_spelled_out() {
        let mut actual = fixture();
        table(&mut actual, "users")
            .indexes
            .get_mut("users_name_idx")
            .unwrap()
            .method = Some("btree".into());
        assert!(run_pair(&IndexMismatch, &fixture(), &actual).is_empty());
    }
}
