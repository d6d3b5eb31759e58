use driftless_model::{
    migration_status, object_fingerprints, LedgerRebuild, MigrationState, ObjectRef,
};

use crate::finding::{Finding, FixIntent};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::effect_list;

declare_rule! {
    UnappliedMigration {
        id: "unapplied-migration",
        summary: "A migration file exists in the folder but the database's migration ledger has no record of it: it is pending.",
        rationale: "The schema lags behind the code that expects it; the next `migrate` will run it. That is the normal state of a deploy before its migrate step, so the finding is information, and `check` before `migrate` passes; a pending migration that will fail is an error of its own (`pending-migration-fails`). The finding lists what it will create, change or drop; those objects are not reported as missing, since drift is judged against the migrations the ledger records. When some of its objects already exist, that run fails — see `effect-present-unrecorded`, which reports those migrations instead.",
        severity: Info,
        enabled: true,
        example: "-- migrations/20240502_add_login_count.sql is on disk\nSELECT version FROM _sqlx_migrations;  -- 20240501 only",
        fix: "Manual: run the framework's migrate command (it applies pending migrations in order and records them).",
    }
}

impl Rule for UnappliedMigration {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some(set) = cx.migrations else { return };
        let actual = cx.provenance.map(|_| object_fingerprints(cx.actual));
        // A ledger the database does not have yet (a new database) stands
        // in for it while nothing is recorded.
        let new_database = cx.rebuild.is_some_and(LedgerRebuild::is_new_database);
        let ledger = cx.ledger.filter(|_| !new_database);
        let unrecorded = match ledger {
            Some(l) => format!("no record of it in {}", l.table.table),
            None => "the database has no migration ledger".to_string(),
        };
        for status in migration_status(set, cx.ledger) {
            if status.state != MigrationState::Unapplied {
                continue;
            }
            // Already in the schema, all or part: effect-present-unrecorded says so.
            if let (Some(p), Some(actual)) = (cx.provenance, &actual) {
                if !p.present_effects(&status.id, actual).is_empty() {
                    continue;
                }
            }
            // Without a ledger the detail would only say so again.
            let why = status
                .detail
                .as_deref()
                .filter(|_| ledger.is_some())
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            let effects: Vec<_> = cx
                .provenance
                .map(|p| p.effects(&status.id).iter().collect())
                .unwrap_or_default();
            let will = if effects.is_empty() {
                String::new()
            } else {
                format!("; the next migrate {}", effect_list(&effects, 6))
            };
            let mut f = Finding::new(
                &Self::META,
                ObjectRef::migration(&status.id),
                format!(
                    "migration {} is not applied: {unrecorded}{why}{will}",
                    status.label
                ),
                FixIntent::Manual,
            )
            .hint(format!(
                "run the {} migrate command to apply it",
                set.format
            ));
            f.migration = Some(status.id.clone());
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::UnappliedMigration;
    use crate::rules::migration_testing::*;
    use driftless_model::LedgerState;

    #[test]
    fn finds_a_pending_migration() {
        let set = sqlx_set(&[
            ("1_users.sql", "CREATE TABLE users (id int);"),
            ("2_posts.sql", "CREATE TABLE posts (id int);"),
        ]);
        let ledger = sqlx_ledger(&[("1", "CREATE TABLE users (id int);", LedgerState::Applied)]);
        let s1 = tables(&[("users", &["id"])]);
        let s2 = tables(&[("users", &["id"]), ("posts", &["id"])]);
        let p = provenance(&[("1", &s1), ("2", &s2)]);
        let findings = run_migrations(&UnappliedMigration, &s2, &s1, &set, Some(&ledger), Some(&p));
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].object.path(), "2");
        assert_eq!(
            findings[0].message,
            "migration 2_posts is not applied: no record of it in _sqlx_migrations; the next migrate creates table main.posts"
        );
        assert_eq!(findings[0].migration.as_deref(), Some("2"));
        // Without any ledger, every migration is pending, said once.
        let findings = run_migrations(&UnappliedMigration, &s2, &s1, &set, None, None);
        assert_eq!(findings.len(), 2);
        assert_eq!(
            findings[0].message,
            "migration 1_users is not applied: the database has no migration ledger"
        );
    }

    #[test]
    fn finds_nothing_when_applied_or_already_present() {
        let set = sqlx_set(&[
            ("1_users.sql", "CREATE TABLE users (id int);"),
            ("2_posts.sql", "CREATE TABLE posts (id int);"),
        ]);
        let all = sqlx_ledger(&[
            ("1", "CREATE TABLE users (id int);", LedgerState::Applied),
            ("2", "CREATE TABLE posts (id int);", LedgerState::Applied),
        ]);
        let s1 = tables(&[("users", &["id"])]);
        let s2 = tables(&[("users", &["id"]), ("posts", &["id"])]);
        let p = provenance(&[("1", &s1), ("2", &s2)]);
        assert!(
            run_migrations(&UnappliedMigration, &s2, &s2, &set, Some(&all), Some(&p)).is_empty()
        );
        // Migration 2 is unrecorded but its table exists: not this rule's finding.
        let one = sqlx_ledger(&[("1", "CREATE TABLE users (id int);", LedgerState::Applied)]);
        assert!(
            run_migrations(&UnappliedMigration, &s2, &s2, &set, Some(&one), Some(&p)).is_empty()
        );
    }
}
