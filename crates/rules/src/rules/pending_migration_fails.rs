use driftless_model::{object_fingerprints, ObjectRef};

use crate::finding::{Finding, FixIntent};
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    PendingMigrationFails {
        id: "pending-migration-fails",
        summary: "A pending migration fails when applied to a copy of this database's schema: the next migrate will fail on it.",
        rationale: "The deploy preflight: driftless copies the live schema (and ledger) into the dev database and applies the pending migrations there, as the next `migrate` will. One that fails there fails in the deploy, with the same error, leaving the release half-rolled-out (`column \"login_count\" does not exist`).",
        severity: Error,
        enabled: true,
        example: "-- 0006 creates an index on login_count, which 0005 adds;\n-- 0005 is recorded but never ran: CREATE INDEX fails",
        fix: "Manual: repair the drift the other findings name (often what a recorded migration did not do), then check again; or fix the migration.",
    }
}

impl Rule for PendingMigrationFails {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some(failure) = cx.pending_run.and_then(|r| r.failure.as_ref()) else {
            return;
        };
        // What it would do is there already: effect-present-unrecorded says
        // so, and that running it fails.
        if let Some(p) = cx.provenance {
            let actual = object_fingerprints(cx.actual);
            if !p.present_effects(&failure.migration, &actual).is_empty() {
                return;
            }
        }
        let label = cx
            .migrations
            .and_then(|set| set.migrations.iter().find(|m| m.id == failure.migration))
            .map_or_else(|| failure.migration.clone(), |m| m.label());
        let message = failure.message.lines().next().unwrap_or("").trim();
        let mut f = Finding::new(
            &Self::META,
            ObjectRef::migration(&failure.migration),
            format!("migration {label} will fail on this database: {message}"),
            FixIntent::Manual,
        )
        .hint("repair the drift the other findings name, or the migration, then check again");
        f.migration = Some(failure.migration.clone());
        f.actual = Some(serde_json::json!(failure.message));
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::PendingMigrationFails;
    use crate::rules::migration_testing::*;
    use driftless_model::{PendingFailure, PendingRun};

    #[test]
    fn names_the_failing_migration_and_the_database_error() {
        let set = sqlx_set(&[(
            "6_login_count_idx.sql",
            "CREATE INDEX i ON users (login_count);",
        )]);
        let s = tables(&[("users", &["id"])]);
        let mut run = PendingRun::default();
        run.failure = Some(PendingFailure::new(
            "6",
            "column \"login_count\" does not exist",
        ));
        let findings = run_pending(&PendingMigrationFails, &s, &set, &run);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(
            findings[0].message,
            "migration 6_login_count_idx will fail on this database: column \"login_count\" does not exist"
        );
        assert!(run_pending(&PendingMigrationFails, &s, &set, &PendingRun::default()).is_empty());
    }
}
