use driftless_model::{Index, ObjectKind};

use crate::compare::describe_index;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::report_orphan;

declare_rule! {
    OrphanIndex {
        id: "orphan-index",
        summary: "The database has an index the expected side does not know.",
        rationale: "An index added by hand slows every write, takes space, can make a later migration that creates it fail, and, when unique, rejects rows the application expects to insert.",
        severity: Warning,
        enabled: true,
        example: "-- expected: no index on users (lower(email))\n-- actual\nCREATE INDEX tmp_users_email ON users (lower(email));",
        fix: "Safe: dropping an index loses no data (queries that used it get slower).",
    }
}

impl Rule for OrphanIndex {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let diff = cx.diff();
        report_orphan(
            &Self::META,
            diff.indexes(),
            ObjectKind::Index,
            |i: &Index| describe_index(diff.dialect(), i),
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::OrphanIndex;
    use crate::rules::testing::*;
    use driftless_model::{Index, IndexKey, IndexPart, QUARANTINE_PREFIX};

    fn expression_index(expr: &str) -> Index {
        Index {
            parts: vec![IndexPart {
                key: IndexKey::Expression(expr.into()),
                ..IndexPart::column("x")
            }],
            unique: true,
            method: None,
            predicate: Some("(active)".into()),
            include: Vec::new(),
            comment: None,
            ignored: false,
            storage: Vec::new(),
            nulls_not_distinct: false,
        }
    }

    #[test]
    fn finds_an_extra_index() {
        let mut actual = fixture();
        table(&mut actual, "users")
            .indexes
            .insert("tmp_users_email".into(), expression_index("lower(email)"));
        let findings = run_pair(&OrphanIndex, &fixture(), &actual);
        let f = only(&findings, "orphan-index", "public.users.tmp_users_email");
        assert_eq!(
            f.message,
            "index tmp_users_email on public.users exists but is not expected (UNIQUE (lower(email)) WHERE active)"
        );
        assert_eq!(f.fix, crate::FixIntent::Drop);
    }

    #[test]
    fn finds_nothing_for_indexes_on_quarantined_columns() {
        let mut actual = fixture();
        table(&mut actual, "users").indexes.insert(
            "users_avatar_idx".into(),
            expression_index(&format!("lower({QUARANTINE_PREFIX}avatar)")),
        );
        let mut i = expression_index("x");
        i.parts = vec![IndexPart::column(format!("{QUARANTINE_PREFIX}avatar"))];
        table(&mut actual, "users")
            .indexes
            .insert("users_avatar_idx2".into(), i);
        assert!(run_pair(&OrphanIndex, &fixture(), &actual).is_empty());
    }
}
