use driftless_model::ObjectKind;

use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::report_missing;

declare_rule! {
    MissingView {
        id: "missing-view",
        summary: "A view the expected side has does not exist in the database.",
        rationale: "Queries and reports that read the view fail.",
        severity: Error,
        enabled: true,
        example: "-- expected\nCREATE VIEW active_users AS SELECT id, email FROM users WHERE active;\n-- actual: no view active_users",
        fix: "Safe: the fixer creates the view after the tables it reads (a materialized view is populated when created).",
    }
}

impl Rule for MissingView {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        report_missing(
            &Self::META,
            cx.diff().views(),
            ObjectKind::View,
            |v| {
                format!(
                    "{}view AS {}",
                    if v.materialized { "materialized " } else { "" },
                    v.definition
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                )
            },
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::MissingView;
    use crate::rules::testing::*;

    #[test]
    fn finds_a_missing_view() {
        let mut actual = fixture();
        public(&mut actual).views.clear();
        let findings = run_pair(&MissingView, &fixture(), &actual);
        let f = only(&findings, "missing-view", "public.active_users");
        assert_eq!(
            f.message,
            "view public.active_users is missing (expected view AS SELECT users.id, users.email FROM users WHERE users.active;)"
        );
        assert_eq!(f.fix, crate::FixIntent::Create);
    }

    #[test]
    fn finds_nothing_when_the_definition_differs() {
        let mut actual = fixture();
        public(&mut actual)
            .views
            .get_mut("active_users")
            .unwrap()
            .definition = "SELECT 1".into();
        assert!(run_pair(&MissingView, &fixture(), &actual).is_empty());
    }
}
