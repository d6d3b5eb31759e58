use driftless_model::ObjectKind;

use crate::compare::describe_column;
use crate::finding::{Finding, FixIntent};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::json;

declare_rule! {
    OrphanColumn {
        id: "orphan-column",
        summary: "The database has a column the expected side does not know.",
        rationale: "A column added by hand makes the next migration that adds it fail, and a NOT NULL column without a default makes every insert from the application fail. Quarantined columns are never orphans.",
        severity: Warning,
        enabled: true,
        example: "-- expected\nCREATE TABLE authentication_user (id integer PRIMARY KEY);\n-- actual\nCREATE TABLE authentication_user (id integer PRIMARY KEY, avatar varchar(100));",
        fix: "Destructive when dropped: by default the fixer quarantines the column: its values move to a quarantine table keyed by the row's primary key (PostgreSQL: schema `driftless_quarantine`; MySQL, SQLite: `_driftless_quarantine_<table>__<column>`), then the column is dropped, so the table is left as expected (a table without a primary key keeps it renamed aside, nullable). `driftless quarantine restore` puts it back. It drops it only on request.",
    }
}

impl Rule for OrphanColumn {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for entry in cx.diff().columns() {
            if let (Some(a), Some(table)) = (entry.orphan(), entry.table) {
                let c = a.def;
                let blocks_inserts = !c.nullable
                    && c.default.is_none()
                    && c.identity.is_none()
                    && c.generated.is_none();
                out.push(
                    Finding::new(
                        &Self::META,
                        entry.object(ObjectKind::Column),
                        format!(
                            "column {}.{table}.{} exists but is not expected ({}){}",
                            entry.schema,
                            a.name,
                            describe_column(c),
                            if blocks_inserts {
                                "; inserts that omit it fail"
                            } else {
                                ""
                            }
                        ),
                        FixIntent::Remove,
                    )
                    .values(None, json(c))
                    .hint(format!(
                        "quarantine or drop column {} of {}.{table}, or add it to the expected schema",
                        a.name, entry.schema
                    )),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::OrphanColumn;
    use crate::rules::testing::*;
    use driftless_model::{Column, QUARANTINE_PREFIX};

    #[test]
    fn finds_an_orphan_column() {
        let mut actual = fixture();
        table(&mut actual, "users")
            .columns
            .insert("avatar".into(), Column::new(6, "character varying(100)"));
        table(&mut actual, "posts").columns.insert(
            "slug".into(),
            Column {
                inherited: false,
                nullable: false,
                ..Column::new(5, "text")
            },
        );
        let findings = run_pair(&OrphanColumn, &fixture(), &actual);
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[0].object.path(), "public.posts.slug");
        assert!(findings[0].message.ends_with("; inserts that omit it fail"));
        let f = only(&findings[1..], "orphan-column", "public.users.avatar");
        assert_eq!(
            f.message,
            "column public.users.avatar exists but is not expected (character varying(100) NULL)"
        );
        assert_eq!(f.fix, crate::FixIntent::Remove);
    }

    #[test]
    fn finds_nothing_for_quarantined_columns() {
        let mut actual = fixture();
        table(&mut actual, "users")
            .columns
            .insert(format!("{QUARANTINE_PREFIX}avatar"), Column::new(6, "text"));
        assert!(run_pair(&OrphanColumn, &fixture(), &actual).is_empty());
    }
}
