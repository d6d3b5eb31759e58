use driftless_model::{migration_status, object_fingerprints, EffectKind, MigrationState};

use crate::finding::{Finding, FixIntent, ObjectRef};
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    EffectPresentUnrecorded {
        id: "effect-present-unrecorded",
        summary: "A migration is not recorded as applied, but everything it does is already in the schema.",
        rationale: "Its changes were made by hand, by another tool, or by a run whose ledger row was lost. The next `migrate` runs it again and fails (`relation \"users\" already exists`, `duplicate column name: avatar`), blocking every later migration. Recording it as applied without running it is safe.",
        severity: Error,
        enabled: true,
        example: "-- 0006_user_avatar: ALTER TABLE users ADD COLUMN avatar text;\n-- users already has avatar text, but django_migrations has no 0006_user_avatar",
        fix: "Safe: record the migration as applied without running it, in the framework's own ledger format (what Django calls `migrate --fake`).",
    }
}

impl Rule for EffectPresentUnrecorded {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let (Some(set), Some(provenance)) = (cx.migrations, cx.provenance) else {
            return;
        };
        let actual = object_fingerprints(cx.actual);
        let ledger_name = cx.ledger.map_or(
            "the database (it has no migration ledger)".to_string(),
            |l| l.table.table.clone(),
        );
        for status in migration_status(set, cx.ledger) {
            if status.state != MigrationState::Unapplied
                || !provenance.effects_present(&status.id, &actual)
            {
                continue;
            }
            let effects = provenance.effects(&status.id);
            let shown: Vec<String> = effects
                .iter()
                .filter(|e| e.kind != EffectKind::Dropped)
                .take(3)
                .map(|e| e.object.to_string())
                .collect();
            let more = effects.len().saturating_sub(shown.len());
            let what = match (shown.is_empty(), more) {
                (true, _) => "what it drops is already gone".to_string(),
                (false, 0) if shown.len() == 1 => format!("{} already exists", shown[0]),
                (false, 0) => format!("{} already exist", shown.join(", ")),
                (false, n) => format!(
                    "{} and {n} more effect(s) are already there",
                    shown.join(", ")
                ),
            };
            let mut f = Finding::new(
                &Self::META,
                ObjectRef::migration(&status.id),
                format!(
                    "migration {} is not recorded in {ledger_name}, but its effects are already in the schema ({what}): running it would fail",
                    status.label
                ),
                FixIntent::RecordMigration,
            )
            .values(
                Some(serde_json::json!(effects.iter().map(|e| e.object.path()).collect::<Vec<_>>())),
                None,
            )
            .hint(format!("record {} as applied without running it (--fake)", status.label));
            f.migration = Some(status.id.clone());
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::EffectPresentUnrecorded;
    use crate::rules::migration_testing::*;
    use crate::FixIntent;
    use driftless_model::LedgerState;

    const USERS: &str = "CREATE TABLE users (id int);";
    const AVATAR: &str = "ALTER TABLE users ADD COLUMN avatar int;";

    #[test]
    fn finds_an_unrecorded_migration_whose_column_exists() {
        let set = sqlx_set(&[("1_users.sql", USERS), ("6_user_avatar.sql", AVATAR)]);
        let ledger = sqlx_ledger(&[("1", USERS, LedgerState::Applied)]);
        let s1 = tables(&[("users", &["id"])]);
        let s6 = tables(&[("users", &["id", "avatar"])]);
        let p = provenance(&[("1", &s1), ("6", &s6)]);
        let findings = run_migrations(
            &EffectPresentUnrecorded,
            &s6,
            &s6,
            &set,
            Some(&ledger),
            Some(&p),
        );
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].fix, FixIntent::RecordMigration);
        assert_eq!(
            findings[0].message,
            "migration 6_user_avatar is not recorded in _sqlx_migrations, but its effects are already in the schema (column main.users.avatar already exists): running it would fail"
        );
    }

    #[test]
    fn finds_nothing_when_the_effect_is_absent_or_recorded() {
        let set = sqlx_set(&[("1_users.sql", USERS), ("6_user_avatar.sql", AVATAR)]);
        let s1 = tables(&[("users", &["id"])]);
        let s6 = tables(&[("users", &["id", "avatar"])]);
        let p = provenance(&[("1", &s1), ("6", &s6)]);
        let one = sqlx_ledger(&[("1", USERS, LedgerState::Applied)]);
        assert!(run_migrations(
            &EffectPresentUnrecorded,
            &s6,
            &s1,
            &set,
            Some(&one),
            Some(&p)
        )
        .is_empty());
        let both = sqlx_ledger(&[
            ("1", USERS, LedgerState::Applied),
            ("6", AVATAR, LedgerState::Applied),
        ]);
        assert!(run_migrations(
            &EffectPresentUnrecorded,
            &s6,
            &s6,
            &set,
            Some(&both),
            Some(&p)
        )
        .is_empty());
    }
}
