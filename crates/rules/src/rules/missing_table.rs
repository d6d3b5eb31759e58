use crate::compare::describe_column;
use crate::finding::{Finding, FixIntent, ObjectKind};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::json;

declare_rule! {
    MissingTable {
        id: "missing-table",
        summary: "A table the expected side has does not exist in the database.",
        rationale: "Queries and migrations that touch the table fail. The table is reported once; its columns, indexes and constraints are not listed one by one.",
        severity: Error,
        enabled: true,
        example: "-- expected\nCREATE TABLE audit_log (id bigint PRIMARY KEY, entry text);\n-- actual: no table audit_log",
        fix: "Safe: the fixer creates the table with its columns, keys, indexes and constraints.",
    }
}

impl Rule for MissingTable {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for entry in cx.diff().tables() {
            if let Some(e) = entry.missing() {
                let columns: Vec<String> = e
                    .def
                    .column_order()
                    .into_iter()
                    .filter_map(|n| {
                        e.def
                            .columns
                            .get(n)
                            .map(|c| format!("{n} {}", describe_column(c)))
                    })
                    .collect();
                out.push(
                    Finding::new(
                        &Self::META,
                        entry.object(ObjectKind::Table),
                        format!(
                            "table {}.{} is missing (expected columns: {})",
                            entry.schema,
                            e.name,
                            columns.join(", ")
                        ),
                        FixIntent::CreateTable,
                    )
                    .values(json(e.def), None)
                    .hint(format!(
                        "create table {}.{} as expected",
                        entry.schema, e.name
                    )),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MissingTable;
    use crate::rules::testing::*;

    #[test]
    fn finds_a_missing_table_once() {
        let expected = fixture();
        let mut actual = fixture();
        public(&mut actual).tables.remove("posts");
        let findings = run_pair(&MissingTable, &expected, &actual);
        let f = only(&findings, "missing-table", "public.posts");
        assert!(f.message.starts_with(
            "table public.posts is missing (expected columns: id bigint NOT NULL, user_id"
        ));
        assert_eq!(f.fix, crate::FixIntent::CreateTable);
        // Nothing else about its columns or indexes (the foreign key lives on posts too).
        let all = crate::Registry::builtin().check(
            &crate::Config::default(),
            &crate::Context::new(&expected, &actual),
        );
        assert_eq!(all.findings.len(), 1, "{:#?}", all.findings);
    }

    #[test]
    fn finds_nothing_for_ledger_and_quarantined_tables() {
        let mut expected = fixture();
        public(&mut expected)
            .tables
            .insert("django_migrations".into(), Default::default());
        public(&mut expected).tables.insert(
            format!("{}old", driftless_model::QUARANTINE_PREFIX),
            Default::default(),
        );
        assert!(run_pair(&MissingTable, &expected, &fixture()).is_empty());
    }
}
