use crate::compare::describe_sequence;
use crate::finding::{Finding, ObjectKind};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::report_orphan;

declare_rule! {
    OrphanSequence {
        id: "orphan-sequence",
        summary: "The database has a sequence the expected side does not know.",
        rationale: "A sequence left behind makes a later migration that creates it fail, and may still feed a default nobody expects. Sequences owned by quarantined columns are never orphans.",
        severity: Warning,
        enabled: true,
        example: "-- expected: no sequence legacy_ids\n-- actual\nCREATE SEQUENCE legacy_ids;",
        fix: "Destructive: dropping a sequence loses its current value.",
    }
}

impl Rule for OrphanSequence {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        report_orphan(
            &Self::META,
            cx.diff().sequences(),
            ObjectKind::Sequence,
            "sequence",
            describe_sequence,
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::OrphanSequence;
    use crate::rules::testing::*;
    use driftless_model::{SequenceOwner, QUARANTINE_PREFIX};

    #[test]
    fn finds_an_extra_sequence() {
        let mut actual = fixture();
        let mut s = public(&mut actual).sequences["invoice_no"].clone();
        s.cycle = true;
        public(&mut actual).sequences.insert("legacy_ids".into(), s);
        let findings = run_pair(&OrphanSequence, &fixture(), &actual);
        let f = only(&findings, "orphan-sequence", "public.legacy_ids");
        assert!(f.message.starts_with(
            "sequence public.legacy_ids exists but is not expected (bigint START 1000"
        ));
        assert!(f.message.ends_with(" CYCLE)"));
        assert_eq!(f.fix, crate::FixIntent::Drop);
    }

    #[test]
    fn finds_nothing_for_sequences_of_quarantined_columns() {
        let mut actual = fixture();
        let mut s = public(&mut actual).sequences["invoice_no"].clone();
        s.owned_by = Some(SequenceOwner {
            table: "users".into(),
            column: format!("{QUARANTINE_PREFIX}legacy_id"),
        });
        public(&mut actual)
            .sequences
            .insert("users_legacy_id_seq".into(), s);
        assert!(run_pair(&OrphanSequence, &fixture(), &actual).is_empty());
    }
}
