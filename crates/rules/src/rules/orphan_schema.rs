use driftless_model::ObjectKind;

use crate::finding::{Finding, FixIntent};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::json;

declare_rule! {
    OrphanSchema {
        id: "orphan-schema",
        summary: "The database has a schema the expected side does not know.",
        rationale: "A schema created by hand, or left behind by a rolled-back migration or an old feature, is a namespace nobody maintains; a later migration that creates it fails. What it holds is reported object by object (orphan tables, views, functions …).",
        severity: Warning,
        enabled: true,
        example: "-- expected: no schema scratch\n-- actual\nCREATE SCHEMA scratch;",
        fix: "Destructive: the fixer drops the schema (never with CASCADE) after the plan has quarantined or dropped everything in it, and only with --allow-destructive; while the plan keeps something in it, the schema is left as it is and the finding stays unfixed.",
    }
}

impl Rule for OrphanSchema {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for entry in cx.diff().schemas() {
            if let Some(a) = entry.orphan() {
                let n = a.def.tables.len();
                out.push(
                    Finding::new(
                        &Self::META,
                        entry.object(ObjectKind::Schema),
                        format!(
                            "schema {} exists but is not expected ({n} table{})",
                            a.name,
                            if n == 1 { "" } else { "s" }
                        ),
                        FixIntent::Drop,
                    )
                    .values(None, json(a.def))
                    .hint(format!(
                        "drop schema {} once what it holds is quarantined or dropped (with --allow-destructive), or add it to the expected schema",
                        a.name
                    )),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::OrphanSchema;
    use crate::rules::testing::*;

    #[test]
    fn finds_an_orphan_schema() {
        let mut actual = fixture();
        actual.schemas.insert("scratch".into(), Default::default());
        let findings = run_pair(&OrphanSchema, &fixture(), &actual);
        let f = only(&findings, "orphan-schema", "scratch");
        assert_eq!(
            f.message,
            "schema scratch exists but is not expected (0 tables)"
        );
        assert_eq!(f.fix, crate::FixIntent::Drop);
        assert_eq!(f.object.kind, driftless_model::ObjectKind::Schema);
    }

    #[test]
    fn finds_nothing_for_a_missing_or_present_schema() {
        let mut expected = fixture();
        expected
            .schemas
            .insert("billing".into(), Default::default());
        assert!(run_pair(&OrphanSchema, &expected, &fixture()).is_empty());
        assert!(run_pair(&OrphanSchema, &expected, &expected).is_empty());
    }
}
