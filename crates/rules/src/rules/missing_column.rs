use driftless_model::ObjectKind;

use crate::compare::describe_column;
use crate::finding::{Finding, FixIntent};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::json;

declare_rule! {
    MissingColumn {
        id: "missing-column",
        summary: "A column the expected side has does not exist in the database.",
        rationale: "Code that reads or writes the column fails (`column \"login_count\" does not exist`), and so do migrations that alter it. This is the classic failed deploy.",
        severity: Error,
        enabled: true,
        example: "-- expected\nCREATE TABLE authentication_user (id integer PRIMARY KEY, login_count integer DEFAULT 0);\n-- actual\nCREATE TABLE authentication_user (id integer PRIMARY KEY);",
        fix: "Safe: the fixer adds the column as expected. A NOT NULL column without a default cannot be added to a table with rows; the fixer refuses before running anything and says so.",
    }
}

impl Rule for MissingColumn {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for entry in cx.diff().columns() {
            if let (Some(e), Some(table)) = (entry.missing(), entry.table) {
                let def = describe_column(e.def);
                out.push(
                    Finding::new(
                        &Self::META,
                        entry.object(ObjectKind::Column),
                        format!(
                            "column {}.{table}.{} is missing (expected {def})",
                            entry.schema, e.name
                        ),
                        FixIntent::Create,
                    )
                    .values(json(e.def), None)
                    .hint(format!(
                        "add column {} {def} to {}.{table}",
                        e.name, entry.schema
                    )),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MissingColumn;
    use crate::rules::testing::*;
    use driftless_model::Column;

    #[test]
    fn finds_a_missing_column() {
        let mut expected = fixture();
        table(&mut expected, "users").columns.insert(
            "login_count".into(),
            Column {
                inherited: false,
                nullable: false,
                default: Some("0".into()),
                ..Column::new(6, "integer")
            },
        );
        let findings = run_pair(&MissingColumn, &expected, &fixture());
        let f = only(&findings, "missing-column", "public.users.login_count");
        assert_eq!(
            f.message,
            "column public.users.login_count is missing (expected integer NOT NULL DEFAULT 0)"
        );
        assert_eq!(
            f.hint.as_deref(),
            Some("add column login_count integer NOT NULL DEFAULT 0 to public.users")
        );
        assert_eq!(f.fix, crate::FixIntent::Create);
        assert_eq!(f.expected.as_ref().unwrap()["data_type"], "integer");
    }

    #[test]
    fn finds_nothing_when_the_column_is_quarantined_or_present() {
        let mut expected = fixture();
        let mut actual = fixture();
        let q = format!("{}avatar", driftless_model::QUARANTINE_PREFIX);
        table(&mut expected, "users")
            .columns
            .insert(q.clone(), Column::new(9, "text"));
        table(&mut actual, "users")
            .columns
            .insert("avatar".into(), Column::new(9, "text"));
        assert!(run_pair(&MissingColumn, &expected, &actual).is_empty());
    }
}
