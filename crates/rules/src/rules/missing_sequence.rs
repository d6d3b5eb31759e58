use driftless_model::ObjectKind;

use crate::compare::describe_sequence;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::report_missing;

declare_rule! {
    MissingSequence {
        id: "missing-sequence",
        summary: "A sequence the expected side has does not exist in the database.",
        rationale: "Defaults and code that call `nextval` on it fail, so inserts fail.",
        severity: Error,
        enabled: true,
        example: "-- expected\nCREATE SEQUENCE invoice_no START 1000;\n-- actual: no sequence invoice_no",
        fix: "Safe: the fixer creates the sequence. Its current value starts at START; set it past existing values if rows already use it.",
    }
}

impl Rule for MissingSequence {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        report_missing(
            &Self::META,
            cx.diff().sequences(),
            ObjectKind::Sequence,
            describe_sequence,
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::MissingSequence;
    use crate::rules::testing::*;

    #[test]
    fn finds_a_missing_sequence() {
        let mut actual = fixture();
        public(&mut actual).sequences.clear();
        let findings = run_pair(&MissingSequence, &fixture(), &actual);
        let f = only(&findings, "missing-sequence", "public.invoice_no");
        assert_eq!(
            f.message,
            "sequence public.invoice_no is missing (expected bigint START 1000 INCREMENT 1 MINVALUE 1 MAXVALUE 9223372036854775807)"
        );
        assert_eq!(f.fix, crate::FixIntent::Create);
    }

    #[test]
    fn finds_nothing_when_parameters_differ() {
        let mut actual = fixture();
        public(&mut actual)
            .sequences
            .get_mut("invoice_no")
            .unwrap()
            .start = 1;
        assert!(run_pair(&MissingSequence, &fixture(), &actual).is_empty());
    }
}
