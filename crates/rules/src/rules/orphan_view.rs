use driftless_model::ObjectKind;

use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::report_orphan;

declare_rule! {
    OrphanView {
        id: "orphan-view",
        summary: "The database has a view the expected side does not know.",
        rationale: "A view created by hand blocks migrations that drop or alter the columns it reads (`cannot drop column … because other objects depend on it`).",
        severity: Warning,
        enabled: true,
        example: "-- expected: no view report_2023\n-- actual\nCREATE VIEW report_2023 AS SELECT * FROM orders WHERE year = 2023;",
        fix: "Safe: dropping a view loses no data (a materialized view's contents can be recomputed).",
    }
}

impl Rule for OrphanView {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        report_orphan(
            &Self::META,
            cx.diff().views(),
            ObjectKind::View,
            |v| {
                if v.materialized {
                    "materialized view".into()
                } else {
                    "view".into()
                }
            },
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::OrphanView;
    use crate::rules::testing::*;
    use driftless_model::{View, QUARANTINE_PREFIX};

    #[test]
    fn finds_an_extra_view() {
        let mut actual = fixture();
        public(&mut actual).views.insert(
            "report".into(),
            View {
                indexes: Default::default(),
                options: Default::default(),
                definition: "SELECT 1".into(),
                materialized: true,
                comment: None,
            },
        );
        let findings = run_pair(&OrphanView, &fixture(), &actual);
        let f = only(&findings, "orphan-view", "public.report");
        assert_eq!(
            f.message,
            "view public.report exists but is not expected (materialized view)"
        );
        assert_eq!(f.fix, crate::FixIntent::Drop);
    }

    #[test]
    fn finds_nothing_for_views_over_quarantined_objects() {
        let mut actual = fixture();
        public(&mut actual).views.insert(
            "old".into(),
            View {
                indexes: Default::default(),
                options: Default::default(),
                definition: format!("SELECT {QUARANTINE_PREFIX}avatar FROM users"),
                materialized: false,
                comment: None,
            },
        );
        assert!(run_pair(&OrphanView, &fixture(), &actual).is_empty());
    }
}
