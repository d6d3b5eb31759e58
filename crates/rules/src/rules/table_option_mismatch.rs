use driftless_model::ObjectKind;

use crate::compare::option_diffs;

use crate::finding::{Aspect, Finding, FixIntent};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::{json, located};

declare_rule! {
    TableOptionMismatch {
        id: "table-option-mismatch",
        summary: "A table's options differ from the expected ones: storage engine, character set, collation, row format or partitioning (MySQL), WITHOUT ROWID or STRICT (SQLite), UNLOGGED, storage parameters or its place in a partitioning or inheritance hierarchy (PostgreSQL).",
        rationale: "Options decide how a table stores and checks its rows: a MyISAM table has no transactions or foreign keys, a latin1 table cannot hold the text the application writes, a STRICT table refuses values a plain one accepts.",
        severity: Warning,
        enabled: true,
        example: "-- expected\nCREATE TABLE orders (id INT PRIMARY KEY) ENGINE=InnoDB;\n-- actual\nCREATE TABLE orders (id INT PRIMARY KEY) ENGINE=MyISAM;",
        fix: "Locking: the table is altered (MySQL; PostgreSQL `SET LOGGED` / `SET UNLOGGED`, which rewrites it, `SET (…)` / `RESET (…)` of storage parameters, or attached, detached, inheriting) or rebuilt with its data (SQLite).",
    }
}

impl Rule for TableOptionMismatch {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for entry in cx.diff().tables() {
            let Some((e, a)) = entry.both() else { continue };
            let (e, a) = (&e.def.options, &a.def.options);
            if e == a {
                continue;
            }
            let diffs = option_diffs(e, a);
            let at = located(entry, ObjectKind::Table);
            out.push(
                Finding::new(
                    &Self::META,
                    entry.object(ObjectKind::Table),
                    format!(
                        "{at} options differ (expected vs actual): {}",
                        diffs.join("; ")
                    ),
                    FixIntent::alter(Aspect::Options),
                )
                .values(json(e), json(a))
                .hint(format!(
                    "set the options of {at} as the expected schema defines them"
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TableOptionMismatch;
    use crate::rules::testing::*;

    #[test]
    fn finds_changed_options_and_nothing_when_equal() {
        let mut expected = fixture();
        let users = public(&mut expected).tables.get_mut("users").unwrap();
        users.options.insert("engine".into(), "InnoDB".into());
        let mut actual = fixture();
        let users = public(&mut actual).tables.get_mut("users").unwrap();
        users.options.insert("engine".into(), "MyISAM".into());
        users.options.insert("row_format".into(), "Compact".into());
        let findings = run_pair(&TableOptionMismatch, &expected, &actual);
        let f = only(&findings, "table-option-mismatch", "public.users");
        assert_eq!(
            f.message,
            "table public.users options differ (expected vs actual): engine InnoDB vs MyISAM; row_format (none) vs Compact"
        );
        assert!(run_pair(&TableOptionMismatch, &expected, &expected).is_empty());
    }
}
