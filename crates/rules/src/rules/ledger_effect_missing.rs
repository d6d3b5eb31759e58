use driftless_model::{migration_status, object_fingerprints, MigrationState, ObjectRef};

use crate::finding::{Finding, FixIntent};
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    LedgerEffectMissing {
        id: "ledger-effect-missing",
        summary: "The ledger says a migration is applied, but objects it creates are absent from the database, or objects it drops are still there.",
        rationale: "Someone dropped the objects by hand, restored an older dump without its ledger, or the migration was recorded without running (`--fake`). Code that needs them fails, and later migrations that alter them fail too (`column \"login_count\" of relation \"users\" does not exist`), while the framework believes all is well.",
        severity: Error,
        enabled: true,
        example: "-- 0005_user_login_count: ALTER TABLE users ADD COLUMN login_count integer;\n-- recorded in django_migrations, but users has no login_count",
        fix: "The `missing-…` and `orphan-…` findings for the same objects carry the repair (create what the migration would have created, quarantine what it would have dropped); nothing is run on the ledger itself.",
    }
}

impl Rule for LedgerEffectMissing {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let (Some(set), Some(ledger), Some(provenance)) = (cx.migrations, cx.ledger, cx.provenance)
        else {
            return;
        };
        let actual = object_fingerprints(cx.actual);
        for status in migration_status(set, Some(ledger)) {
            if !matches!(
                status.state,
                MigrationState::Applied | MigrationState::Modified(_)
            ) {
                continue;
            }
            let missing = provenance.missing_effects(&status.id, &actual);
            let kept = provenance.undone_drops(&status.id, &actual);
            if missing.is_empty() && kept.is_empty() {
                continue;
            }
            let mut what = Vec::new();
            if !missing.is_empty() {
                let (verb, list) = listed(&missing);
                what.push(format!("{list} it creates {verb} absent"));
            }
            if !kept.is_empty() {
                let (verb, list) = listed(&kept);
                what.push(format!("{list} it drops {verb} still there"));
            }
            let mut f = Finding::new(
                &Self::META,
                ObjectRef::migration(&status.id),
                format!(
                    "migration {} is recorded as applied in {}, but {}",
                    status.label,
                    ledger.table.table,
                    what.join(", and ")
                ),
                FixIntent::Manual,
            )
            .values(
                Some(serde_json::json!(missing.iter().map(|o| o.path()).collect::<Vec<_>>())),
                Some(serde_json::json!(kept.iter().map(|o| o.path()).collect::<Vec<_>>())),
            )
            .hint(format!("make the schema what {} left it (see the missing-… and orphan-… findings), or find out who undid it", status.label));
            f.migration = Some(status.id.clone());
            out.push(f);
        }
    }
}

/// `(verb, list)` for a message naming `objects`.
fn listed(objects: &[&ObjectRef]) -> (&'static str, String) {
    let names: Vec<String> = objects.iter().map(|o| o.described().to_string()).collect();
    match names.as_slice() {
        [one] => ("is", one.clone()),
        _ => ("are", names.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::LedgerEffectMissing;
    use crate::rules::migration_testing::*;
    use driftless_model::LedgerState;

    const USERS: &str = "CREATE TABLE users (id int);";
    const LOGIN: &str = "ALTER TABLE users ADD COLUMN login_count int;";

    #[test]
    fn finds_a_column_its_migration_created_gone() {
        let set = sqlx_set(&[("1_users.sql", USERS), ("5_user_login_count.sql", LOGIN)]);
        let ledger = sqlx_ledger(&[
            ("1", USERS, LedgerState::Applied),
            ("5", LOGIN, LedgerState::Applied),
        ]);
        let s1 = tables(&[("users", &["id"])]);
        let s5 = tables(&[("users", &["id", "login_count"])]);
        let p = provenance(&[("1", &s1), ("5", &s5)]);
        let findings = run_migrations(
            &LedgerEffectMissing,
            &s5,
            &s1,
            &set,
            Some(&ledger),
            Some(&p),
        );
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(
            findings[0].message,
            "migration 5_user_login_count is recorded as applied in _sqlx_migrations, but column main.users.login_count it creates is absent"
        );
        assert_eq!(findings[0].migration.as_deref(), Some("5"));
        // The whole table gone: the table is named, not each column.
        let gone = run_migrations(
            &LedgerEffectMissing,
            &s5,
            &tables(&[]),
            &set,
            Some(&ledger),
            Some(&p),
        );
        assert_eq!(gone.len(), 1, "{gone:#?}");
        assert!(
            gone[0]
                .message
                .contains("table main.users it creates is absent"),
            "{}",
            gone[0].message
        );
    }

    #[test]
    fn finds_nothing_when_present_or_not_recorded() {
        let set = sqlx_set(&[("1_users.sql", USERS), ("5_user_login_count.sql", LOGIN)]);
        let s1 = tables(&[("users", &["id"])]);
        let s5 = tables(&[("users", &["id", "login_count"])]);
        let p = provenance(&[("1", &s1), ("5", &s5)]);
        let all = sqlx_ledger(&[
            ("1", USERS, LedgerState::Applied),
            ("5", LOGIN, LedgerState::Applied),
        ]);
        assert!(
            run_migrations(&LedgerEffectMissing, &s5, &s5, &set, Some(&all), Some(&p)).is_empty()
        );
        let first = sqlx_ledger(&[("1", USERS, LedgerState::Applied)]);
        assert!(
            run_migrations(&LedgerEffectMissing, &s5, &s1, &set, Some(&first), Some(&p)).is_empty()
        );
    }
}
