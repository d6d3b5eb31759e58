use driftless_model::ObjectKind;

use crate::finding::{Finding, FixIntent};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::json;

declare_rule! {
    MissingSchema {
        id: "missing-schema",
        summary: "A schema the expected side has does not exist in the database.",
        rationale: "Every table, view and type the application expects in that schema is missing with it. The schema is reported once; its contents are not listed one by one.",
        severity: Error,
        enabled: true,
        example: "-- expected\nCREATE SCHEMA billing;\nCREATE TABLE billing.invoices (id bigint PRIMARY KEY);\n-- actual: no schema billing",
        fix: "Safe: the fixer creates the schema and everything in it as expected.",
    }
}

impl Rule for MissingSchema {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for entry in cx.diff().schemas() {
            if let Some(e) = entry.missing() {
                let counts = e.def.tables.len();
                out.push(
                    Finding::new(
                        &Self::META,
                        entry.object(ObjectKind::Schema),
                        format!(
                            "schema {} is missing (expected with {} table{})",
                            e.name,
                            counts,
                            if counts == 1 { "" } else { "s" }
                        ),
                        FixIntent::Create,
                    )
                    .values(json(e.def), None)
                    .hint(format!(
                        "create schema {} and its objects as expected",
                        e.name
                    )),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MissingSchema;
    use crate::rules::testing::*;

    #[test]
    fn finds_a_missing_schema_once() {
        let mut expected = fixture();
        let billing = public(&mut expected).clone();
        expected.schemas.insert("billing".into(), billing);
        let actual = fixture();
        let findings = run_pair(&MissingSchema, &expected, &actual);
        let f = only(&findings, "missing-schema", "billing");
        assert_eq!(
            f.message,
            "schema billing is missing (expected with 2 tables)"
        );
        assert_eq!(f.fix, crate::FixIntent::Create);
        assert!(f
            .expected
            .as_ref()
            .is_some_and(|v| v["tables"]["users"].is_object()));
        // Its tables are not reported one by one by any rule.
        let all = crate::Registry::builtin().check(
            &crate::Config::default(),
            &crate::Context::new(&expected, &actual),
        );
        assert_eq!(all.findings.len(), 1, "{:#?}", all.findings);
    }

    #[test]
    fn finds_nothing_for_an_extra_or_present_schema() {
        let mut actual = fixture();
        actual.schemas.insert("extra".into(), Default::default());
        assert!(run_pair(&MissingSchema, &fixture(), &actual).is_empty());
    }
}
