use crate::compare::quote_labels;
use crate::finding::{Finding, ObjectKind};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::report_orphan;

declare_rule! {
    OrphanEnum {
        id: "orphan-enum",
        summary: "The database has an enumerated type the expected side does not know (PostgreSQL).",
        rationale: "A type left behind makes a later migration that creates it fail (`type \"mood\" already exists`).",
        severity: Warning,
        enabled: true,
        example: "-- expected: no type status\n-- actual\nCREATE TYPE status AS ENUM ('on', 'off');",
        fix: "Safe unless a column uses it: the type is dropped after the columns that use it.",
    }
}

impl Rule for OrphanEnum {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        report_orphan(
            &Self::META,
            cx.diff().enums(),
            ObjectKind::Enum,
            "enum",
            |e| format!("labels {}", quote_labels(&e.labels)),
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::OrphanEnum;
    use crate::rules::testing::*;
    use driftless_model::Enum;

    #[test]
    fn finds_an_extra_enum() {
        let mut actual = fixture();
        public(&mut actual).enums.insert(
            "status".into(),
            Enum {
                labels: vec!["on".into(), "off".into()],
                comment: None,
            },
        );
        let findings = run_pair(&OrphanEnum, &fixture(), &actual);
        let f = only(&findings, "orphan-enum", "public.status");
        assert_eq!(
            f.message,
            "enum public.status exists but is not expected (labels 'on', 'off')"
        );
        assert_eq!(f.fix, crate::FixIntent::Drop);
    }

    #[test]
    fn finds_nothing_for_enums_on_both_sides() {
        let mut actual = fixture();
        public(&mut actual)
            .enums
            .get_mut("mood")
            .unwrap()
            .labels
            .reverse();
        assert!(run_pair(&OrphanEnum, &fixture(), &actual).is_empty());
    }
}
