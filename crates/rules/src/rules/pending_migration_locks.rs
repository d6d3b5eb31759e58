use driftless_model::{human_bytes, ObjectRef};

use crate::finding::{Finding, FixIntent};
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    PendingMigrationLocks {
        id: "pending-migration-locks",
        summary: "A statement of a pending migration rewrites, scans or locks a table, which holds up the application while it runs.",
        rationale: "The deploy preflight lists, for each statement the pending migrations ran on the copy of the schema, whether it rewrites a table, reads every row under a lock, builds an index while writes wait, or takes an exclusive lock, with the live table's row count: a migration that takes milliseconds on an empty dev database can stop production for minutes.",
        severity: Info,
        enabled: true,
        example: "-- 0006: CREATE INDEX auth_user_login_count_idx ON authentication_user (login_count)\n-- authentication_user has 2,400,000 rows: writes wait until the index is built",
        fix: "Manual: run it in a quiet hour, or make it online (CREATE INDEX CONCURRENTLY, NOT VALID then VALIDATE CONSTRAINT, a new column and a backfill in batches).",
    }
}

impl Rule for PendingMigrationLocks {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some(run) = cx.pending_run else { return };
        for h in &run.hazards {
            let label = cx
                .migrations
                .and_then(|set| set.migrations.iter().find(|m| m.id == h.migration))
                .map_or_else(|| h.migration.clone(), |m| m.label());
            let lock = h
                .lock
                .map(|l| format!(" [{}]", l.phrase(cx.actual.dialect)))
                .unwrap_or_default();
            let rows = match (h.rows, h.bytes) {
                (Some(1), None) => " (1 row live)".to_string(),
                (Some(n), None) => format!(" ({n} rows live)"),
                (Some(n), Some(b)) => format!(" ({n} rows live, {})", human_bytes(b)),
                (None, Some(b)) => format!(" ({} live)", human_bytes(b)),
                (None, None) => String::new(),
            };
            let statement: String = h.statement.split_whitespace().collect::<Vec<_>>().join(" ");
            let short: String = statement.chars().take(120).collect();
            let ellipsis = if short.len() < statement.len() {
                "…"
            } else {
                ""
            };
            let mut f = Finding::new(
                &Self::META,
                ObjectRef::migration(&h.migration),
                format!(
                    "pending migration {label} {}{lock}{rows}: `{short}{ellipsis}`",
                    h.hazard.what
                ),
                FixIntent::Manual,
            )
            .hint("run it when the table is quiet, or make the statement online");
            f.migration = Some(h.migration.clone());
            f.actual = Some(
                serde_json::json!({ "statement": h.statement, "hazard": h.hazard, "lock": h.lock, "rows": h.rows, "bytes": h.bytes }),
            );
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PendingMigrationLocks;
    use crate::rules::migration_testing::*;
    use driftless_model::{statement_hazards, Dialect, PendingHazard, PendingRun};

    #[test]
    fn names_the_statement_its_table_and_the_rows() {
        let sql = "CREATE INDEX i ON users (login_count)";
        let set = sqlx_set(&[("6_login_count_idx.sql", sql)]);
        let s = tables(&[("users", &["id"])]);
        let mut run = PendingRun::default();
        let mut h = PendingHazard::new(
            "6",
            sql,
            statement_hazards(sql, Dialect::Postgres).remove(0),
        );
        h.rows = Some(3);
        run.hazards.push(h);
        let findings = run_pending(&PendingMigrationLocks, &s, &set, &run);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(
            findings[0].message,
            "pending migration 6_login_count_idx builds an index on table users: writes wait until it is built (3 rows live): `CREATE INDEX i ON users (login_count)`"
        );
    }

    #[test]
    fn names_the_lock_and_the_live_size_on_a_server() {
        let sql = "CREATE INDEX i ON users (login_count)";
        let set = sqlx_set(&[("6_login_count_idx.sql", sql)]);
        let mut s = tables(&[("users", &["id"])]);
        s.dialect = Dialect::Postgres;
        let mut run = PendingRun::default();
        let mut h = PendingHazard::new(
            "6",
            sql,
            statement_hazards(sql, Dialect::Postgres).remove(0),
        );
        (h.rows, h.bytes) = (Some(2_000_000), Some(150 << 20));
        h.lock = driftless_model::statement_lock(Dialect::Postgres, sql).map(|l| l.level);
        run.hazards.push(h);
        let findings = run_pending(&PendingMigrationLocks, &s, &set, &run);
        assert_eq!(
            findings[0].message,
            "pending migration 6_login_count_idx builds an index on table users: writes wait until it is built [SHARE lock] (2000000 rows live, 150.0 MiB): `CREATE INDEX i ON users (login_count)`"
        );
    }
}
