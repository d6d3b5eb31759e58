use driftless_model::{
    migration_status, object_fingerprints, Effect, LedgerKind, MigrationState, ObjectRef,
};

use crate::finding::{Finding, FixIntent};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::effect_list;

declare_rule! {
    EffectPresentUnrecorded {
        id: "effect-present-unrecorded",
        summary: "A migration is not recorded as applied, but what it does (all or part) is already in the schema.",
        rationale: "Its changes were made by hand, by another tool, or by a run whose ledger row was lost. The next `migrate` runs it again and fails (`relation \"users\" already exists`, `duplicate column name: avatar`), blocking every later migration. Recording it as applied without running it is safe when all of it is there; when only part is, the rest must be made first.",
        severity: Error,
        enabled: true,
        example: "-- 0006_user_avatar: ALTER TABLE users ADD COLUMN avatar text;\n-- users already has avatar text, but django_migrations has no 0006_user_avatar",
        fix: "Safe when all of it is there: record the migration as applied without running it, in the framework's own ledger format (what Django's `migrate --fake`, Alembic's `stamp` or Prisma's `migrate resolve --applied` do). When only part is: make the rest, as the migration does, then record it.",
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
        // The tool whose ledger is there (or would be), by its own name.
        let kind = cx
            .ledger
            .map_or_else(|| LedgerKind::for_format(set.format), |l| l.kind());
        let like = kind
            .record_command()
            .map(|cmd| format!(" (like `{cmd}`)"))
            .unwrap_or_default();
        for status in migration_status(set, cx.ledger) {
            if status.state != MigrationState::Unapplied {
                continue;
            }
            let present = provenance.present_effects(&status.id, &actual);
            if present.is_empty() {
                continue;
            }
            let all = provenance.effects(&status.id);
            let absent: Vec<&Effect> = all.iter().filter(|e| !present.contains(e)).collect();
            let (what, fix, hint) = if absent.is_empty() {
                (
                    format!(
                        "its effects are already in the schema (it {})",
                        effect_list(&present, 4)
                    ),
                    FixIntent::RecordMigration,
                    format!(
                        "record {} in {} as applied, without running it: `driftless fix --apply` does{like}",
                        status.label,
                        kind.table()
                    ),
                )
            } else {
                (
                    format!(
                        "part of it is already in the schema (it {}; not yet: it {})",
                        effect_list(&present, 4),
                        effect_list(&absent, 4)
                    ),
                    FixIntent::RecordMigration,
                    format!("`driftless fix` makes the rest of what {} does, then records it as applied", status.label),
                )
            };
            let mut f = Finding::new(
                &Self::META,
                ObjectRef::migration(&status.id),
                format!(
                    "migration {} is not recorded in {ledger_name}, but {what}: running it would fail",
                    status.label
                ),
                fix,
            )
            .values(
                Some(serde_json::json!(present.iter().map(|e| e.object.path()).collect::<Vec<_>>())),
                Some(serde_json::json!(absent.iter().map(|e| e.object.path()).collect::<Vec<_>>())),
            )
            .hint(hint);
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
            "migration 6_user_avatar is not recorded in _sqlx_migrations, but its effects are already in the schema (it creates column main.users.avatar): running it would fail"
        );
        // The hint speaks of the ledger found, not of another tool's command.
        assert_eq!(
            findings[0].hint.as_deref(),
            Some("record 6_user_avatar in _sqlx_migrations as applied, without running it: `driftless fix --apply` does")
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
