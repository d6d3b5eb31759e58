use driftless_model::ObjectKind;

use crate::finding::{Aspect, Finding, FixIntent};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::{json, located};

declare_rule! {
    SequenceMismatch {
        id: "sequence-mismatch",
        summary: "A sequence's type, start, increment, bounds, cache, cycling or owner differs from the expected one.",
        rationale: "Generated numbers follow another pattern than expected: a smaller MAXVALUE or type runs out sooner, a different increment breaks assumptions about gaps.",
        severity: Warning,
        enabled: true,
        example: "-- expected\nCREATE SEQUENCE invoice_no START 1000 INCREMENT 1;\n-- actual\nCREATE SEQUENCE invoice_no START 1 INCREMENT 10;",
        fix: "Safe: the sequence is altered in place (ALTER SEQUENCE) and keeps its current value.",
    }
}

impl Rule for SequenceMismatch {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let diff = cx.diff();
        for entry in diff.sequences() {
            let Some((e, a)) = entry.both() else {
                continue;
            };
            let diffs = diff.comparer().sequence_diffs(e.def, a.def);
            if diffs.is_empty() {
                continue;
            }
            let at = located(entry, ObjectKind::Sequence);
            out.push(
                Finding::new(
                    &Self::META,
                    entry.object(ObjectKind::Sequence),
                    format!("{at} differs (expected vs actual): {}", diffs.join("; ")),
                    FixIntent::alter(Aspect::Parameters),
                )
                .values(json(e.def), json(a.def))
                .hint(format!("alter {at} to the expected parameters")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SequenceMismatch;
    use crate::rules::testing::*;

    #[test]
    fn finds_changed_parameters() {
        let mut actual = fixture();
        let s = public(&mut actual).sequences.get_mut("invoice_no").unwrap();
        s.start = 1;
        s.increment = 10;
        s.data_type = "integer".into();
        let findings = run_pair(&SequenceMismatch, &fixture(), &actual);
        let f = only(&findings, "sequence-mismatch", "public.invoice_no");
        assert_eq!(
            f.message,
            "sequence public.invoice_no differs (expected vs actual): type bigint vs integer; START 1000 vs 1; INCREMENT 1 vs 10"
        );
        assert_eq!(f.fix, crate::FixIntent::alter(crate::Aspect::Parameters));
    }

    #[test]
    fn finds_nothing_for_missing_sequences() {
        let mut actual = fixture();
        public(&mut actual).sequences.clear();
        assert!(run_pair(&SequenceMismatch, &fixture(), &actual).is_empty());
    }
}
