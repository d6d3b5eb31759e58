use driftless_model::ObjectKind;

use crate::compare::quote_labels;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::report_missing;

declare_rule! {
    MissingEnum {
        id: "missing-enum",
        summary: "An enumerated type the expected side has does not exist in the database (PostgreSQL).",
        rationale: "Columns and functions of that type cannot be created, so the migrations that add them fail. (MySQL enums are column types and are covered by column-type-mismatch.)",
        severity: Error,
        enabled: true,
        example: "-- expected\nCREATE TYPE mood AS ENUM ('happy', 'sad');\n-- actual: no type mood",
        fix: "Safe: the fixer creates the type before the tables that use it.",
    }
}

impl Rule for MissingEnum {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        report_missing(
            &Self::META,
            cx.diff().enums(),
            ObjectKind::Enum,
            |e| format!("labels {}", quote_labels(&e.labels)),
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::MissingEnum;
    use crate::rules::testing::*;

    #[test]
    fn finds_a_missing_enum() {
        let mut actual = fixture();
        public(&mut actual).enums.clear();
        let findings = run_pair(&MissingEnum, &fixture(), &actual);
        let f = only(&findings, "missing-enum", "public.mood");
        assert_eq!(
            f.message,
            "enum public.mood is missing (expected labels 'happy', 'ok', 'sad')"
        );
        assert_eq!(f.fix, crate::FixIntent::Create);
    }

    #[test]
    fn finds_nothing_when_labels_differ() {
        let mut actual = fixture();
        public(&mut actual)
            .enums
            .get_mut("mood")
            .unwrap()
            .labels
            .pop();
        assert!(run_pair(&MissingEnum, &fixture(), &actual).is_empty());
    }
}
