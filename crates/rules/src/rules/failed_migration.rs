use driftless_model::{object_fingerprints, MigrationState};

use crate::finding::{Finding, FixIntent};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::report_migrations;

declare_rule! {
    FailedMigration {
        id: "failed-migration",
        summary: "The migration ledger marks a migration as failed or dirty.",
        rationale: "The migration stopped part-way: on databases without transactional DDL some of its statements ran and some did not, and the tool refuses to go on (`Dirty database version 3. Fix and force version.`, sqlx's `success = false`, Prisma's P3009).",
        severity: Error,
        enabled: true,
        example: "SELECT version, dirty FROM schema_migrations;  -- 3 | true",
        fix: "With the migration folder replayed: when part or all of what it does is in the schema, driftless makes the rest and marks the row applied; when none is, it clears the row so that the next migrate runs it again (sqlx, Flyway, golang-migrate, Prisma ledgers). Otherwise manual: finish or undo it by hand, then mark it resolved with the framework's tool (`migrate force`, `prisma migrate resolve`).",
    }
}

impl Rule for FailedMigration {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let first = out.len();
        report_migrations(
            &Self::META,
            cx,
            MigrationState::Failed,
            |status, _, ledger| {
                let detail = status
                    .detail
                    .as_deref()
                    .map(|d| format!(": {}", d.lines().last().unwrap_or(d).trim()))
                    .unwrap_or_default();
                format!("migration {} is marked as failed in {}{detail}", status.label, ledger.table.table)
            },
            "finish or undo the migration by hand, then mark it resolved with the framework's own tool",
            out,
        );
        // With provenance, what the migration left says what to do.
        let Some(provenance) = cx.provenance else {
            return;
        };
        let actual = object_fingerprints(cx.actual);
        for f in &mut out[first..] {
            let Some(id) = f.migration.clone() else {
                continue;
            };
            if provenance.effects(&id).is_empty() {
                continue;
            }
            if provenance.present_effects(&id, &actual).is_empty() {
                f.fix = FixIntent::RetryMigration;
                f.hint = Some("nothing it does is in the schema: `driftless fix` clears the row, so that the next migrate runs it again".into());
            } else {
                f.fix = FixIntent::RecordMigration;
                f.hint = Some(
                    "`driftless fix` makes what it did not finish, then marks it applied".into(),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FailedMigration;
    use crate::rules::migration_testing::*;
    use driftless_model::LedgerState;

    #[test]
    fn finds_a_failed_migration() {
        let set = sqlx_set(&[("1_users.sql", "CREATE TABLE users (id int);")]);
        let ledger = sqlx_ledger(&[("1", "CREATE TABLE users (id int);", LedgerState::Failed)]);
        let s = tables(&[]);
        let findings = run_migrations(&FailedMigration, &s, &s, &set, Some(&ledger), None);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].message,
            "migration 1_users is marked as failed in _sqlx_migrations"
        );
        assert_eq!(findings[0].migration.as_deref(), Some("1"));
    }

    #[test]
    fn finds_nothing_when_all_succeeded() {
        let set = sqlx_set(&[("1_users.sql", "CREATE TABLE users (id int);")]);
        let ledger = sqlx_ledger(&[("1", "CREATE TABLE users (id int);", LedgerState::Applied)]);
        let s = tables(&[]);
        assert!(run_migrations(&FailedMigration, &s, &s, &set, Some(&ledger), None).is_empty());
    }
}
