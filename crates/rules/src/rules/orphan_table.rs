use driftless_model::ObjectKind;

use crate::finding::{Finding, FixIntent};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::json;

declare_rule! {
    OrphanTable {
        id: "orphan-table",
        summary: "The database has a table the expected side does not know.",
        rationale: "A table created by hand, or left behind by a rolled-back migration, holds data nobody maintains and can make a later migration that creates it fail. Migration-ledger tables and quarantined tables are never orphans.",
        severity: Warning,
        enabled: true,
        example: "-- expected: no table tmp_import\n-- actual\nCREATE TABLE tmp_import (line text);",
        fix: "Destructive when dropped: by default the fixer quarantines the table, data kept: PostgreSQL moves it to the schema `driftless_quarantine`, MySQL and SQLite rename it to `_driftless_quarantine_<table>`; `driftless quarantine restore` puts it back. It drops it only on request.",
    }
}

impl Rule for OrphanTable {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for entry in cx.diff().tables() {
            if let Some(a) = entry.orphan() {
                let n = a.def.columns.len();
                out.push(
                    Finding::new(
                        &Self::META,
                        entry.object(ObjectKind::Table),
                        format!(
                            "table {}.{} exists but is not expected ({n} column{})",
                            entry.schema,
                            a.name,
                            if n == 1 { "" } else { "s" }
                        ),
                        FixIntent::Remove,
                    )
                    .values(None, json(a.def))
                    .hint(format!(
                        "quarantine or drop table {}.{}, or add it to the expected schema",
                        entry.schema, a.name
                    )),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::OrphanTable;
    use crate::rules::testing::*;
    use driftless_model::{Column, Table, QUARANTINE_PREFIX};

    #[test]
    fn finds_an_orphan_table() {
        let mut actual = fixture();
        let mut t = Table::default();
        t.columns.insert("line".into(), Column::new(1, "text"));
        public(&mut actual).tables.insert("tmp_import".into(), t);
        let findings = run_pair(&OrphanTable, &fixture(), &actual);
        let f = only(&findings, "orphan-table", "public.tmp_import");
        assert_eq!(
            f.message,
            "table public.tmp_import exists but is not expected (1 column)"
        );
        assert_eq!(f.fix, crate::FixIntent::Remove);
        assert!(f.expected.is_none() && f.actual.is_some());
    }

    #[test]
    fn finds_nothing_for_ledger_or_quarantined_tables() {
        let mut actual = fixture();
        for name in ["django_migrations", "_sqlx_migrations", "schema_migrations"] {
            public(&mut actual)
                .tables
                .insert(name.into(), Table::default());
        }
        public(&mut actual)
            .tables
            .insert(format!("{QUARANTINE_PREFIX}legacy"), Table::default());
        assert!(run_pair(&OrphanTable, &fixture(), &actual).is_empty());
    }
}
