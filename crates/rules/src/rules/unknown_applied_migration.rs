use driftless_model::{LedgerKind, MigrationState};

use crate::finding::{Finding, FixIntent};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::report_migrations;

declare_rule! {
    UnknownAppliedMigration {
        id: "unknown-applied-migration",
        summary: "The migration ledger records a migration as applied that no file in the folder matches.",
        rationale: "The database was migrated from a different history: another branch, a deleted or renamed file, or a hot fix applied by hand. Its schema may hold changes no migration in the folder describes, and tools refuse to migrate (`migration 20240503 was previously applied but is missing in the resolved migrations`).",
        severity: Error,
        enabled: true,
        example: "SELECT version FROM _sqlx_migrations;  -- 20240501, 20240503\n-- migrations/: 20240501_users.sql only",
        fix: "Safe: the row moves to driftless's ledger quarantine table (`_driftless_quarantine_ledger_rows`, with everything needed to restore it), then leaves the ledger, so that the framework stops tripping on it (`was previously applied but is missing`). Restore the file instead if it should exist. Heads-only ledgers (Alembic, golang-migrate) keep an unknown head: removing it would send the framework back to the start.",
    }
}

impl Rule for UnknownAppliedMigration {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let first = out.len();
        report_migrations(
            &Self::META,
            cx,
            MigrationState::Unknown,
            |status, set, ledger| {
                let when = status
                    .applied_at
                    .as_deref()
                    .map(|a| format!(" on {a}"))
                    .unwrap_or_default();
                format!(
                    "migration {} is recorded as applied in {}{when}, but no file in {} matches it: the database has a different migration history, and the recorded state the schema is judged against cannot hold what it did (objects it made show up as unexpected)",
                    status.label,
                    ledger.table.table,
                    set.root.display()
                )
            },
            "restore the migration file from version control, or find out where the database's history diverged",
            out,
        );
        // A heads-only ledger without its head would send the framework
        // back to the start: that row stays for a human.
        let heads_only = cx
            .ledger
            .is_some_and(|l| matches!(l.kind(), LedgerKind::Alembic | LedgerKind::GolangMigrate));
        if !heads_only {
            for f in &mut out[first..] {
                f.fix = FixIntent::QuarantineLedgerRow;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::UnknownAppliedMigration;
    use crate::rules::migration_testing::*;
    use driftless_model::LedgerState;

    #[test]
    fn finds_a_ledger_row_without_a_file() {
        let set = sqlx_set(&[("1_users.sql", "CREATE TABLE users (id int);")]);
        let ledger = sqlx_ledger(&[
            ("1", "CREATE TABLE users (id int);", LedgerState::Applied),
            ("3", "CREATE TABLE hotfix (id int);", LedgerState::Applied),
        ]);
        let s = tables(&[("users", &["id"])]);
        let findings = run_migrations(&UnknownAppliedMigration, &s, &s, &set, Some(&ledger), None);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].object.path(), "3");
        assert!(findings[0].message.starts_with("migration 3 (migration 3) is recorded as applied in _sqlx_migrations on 2024-05-01 10:00:00, but no file"));
    }

    #[test]
    fn finds_nothing_when_every_row_has_a_file() {
        let set = sqlx_set(&[
            ("1_users.sql", "CREATE TABLE users (id int);"),
            ("2_b.sql", "SELECT 1;"),
        ]);
        let ledger = sqlx_ledger(&[("1", "CREATE TABLE users (id int);", LedgerState::Applied)]);
        let s = tables(&[("users", &["id"])]);
        assert!(
            run_migrations(&UnknownAppliedMigration, &s, &s, &set, Some(&ledger), None).is_empty()
        );
        assert!(run_migrations(&UnknownAppliedMigration, &s, &s, &set, None, None).is_empty());
    }
}
