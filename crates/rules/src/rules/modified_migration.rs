use driftless_model::{
    migration_status, object_fingerprints, MigrationState, Modification, ObjectRef,
};

use crate::finding::{Finding, FixIntent, Severity};
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    ModifiedMigration {
        id: "modified-migration",
        summary: "A migration file changed after it was applied: its checksum no longer matches the one the ledger recorded.",
        rationale: "The database ran a different text than the folder holds, so databases built from the folder differ from this one, and sqlx, Flyway, refinery and Prisma refuse to migrate (`migration 2 was previously applied but has been modified`). A change of only whitespace, comments or line endings is reported as a warning; a change of statements, or one that cannot be told apart, as an error.",
        severity: Error,
        enabled: true,
        example: "-- applied:  ALTER TABLE users ADD COLUMN login_count integer;\n-- on disk:  ALTER TABLE users ADD COLUMN login_count bigint;",
        fix: "When the change is cosmetic, or what the current text does is all in the schema: store the file's current checksum in the ledger (Flyway's `repair`; sqlx, refinery, Flyway, Prisma). Otherwise manual: restore the applied text of the file (git history).",
    }
}

impl Rule for ModifiedMigration {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let (Some(set), Some(ledger)) = (cx.migrations, cx.ledger) else {
            return;
        };
        for status in migration_status(set, Some(ledger)) {
            let MigrationState::Modified(change) = status.state else {
                continue;
            };
            let (how, severity) = match change {
                Modification::Cosmetic => ("only in whitespace, comments or line endings", Severity::Warning),
                Modification::Statements => ("in its statements", Severity::Error),
                Modification::Unknown => (
                    "and the applied text is not available to tell whether the change is only cosmetic",
                    Severity::Error,
                ),
            };
            let path = status.path.as_ref().map_or(status.label.clone(), |p| {
                set.root.join(p).display().to_string()
            });
            let mut f = Finding::new(
                &Self::META,
                ObjectRef::migration(&status.id),
                format!(
                    "migration {} ({path}) was modified after it was applied, {how}",
                    status.label
                ),
                FixIntent::Manual,
            )
            .values(
                status
                    .recorded_checksum
                    .as_ref()
                    .map(|c| serde_json::Value::String(c.to_string())),
                status
                    .file_checksum
                    .as_ref()
                    .map(|c| serde_json::Value::String(c.to_string())),
            )
            .hint(format!(
                "restore {path} to the text that was applied (see its version-control history)"
            ));
            f.severity = severity;
            f.migration = Some(status.id.clone());
            // The current text is what the schema holds: the ledger can
            // take its checksum.
            let in_schema = change == Modification::Cosmetic
                || cx.provenance.is_some_and(|p| {
                    let actual = object_fingerprints(cx.actual);
                    let effects = p.effects(&status.id);
                    !effects.is_empty()
                        && p.present_effects(&status.id, &actual).len() == effects.len()
                });
            if in_schema {
                f.fix = FixIntent::UpdateChecksum;
                f.hint = Some(format!(
                    "what {path} does now is what the schema holds: `driftless fix` stores its current checksum in the ledger (or restore the applied text)"
                ));
            }
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ModifiedMigration;
    use crate::rules::migration_testing::*;
    use crate::Severity;
    use driftless_model::LedgerState;

    #[test]
    fn finds_modified_files_and_tells_cosmetic_from_real() {
        let set = sqlx_set(&[
            ("1_users.sql", "CREATE TABLE users (id int);\r\n"),
            ("2_posts.sql", "CREATE TABLE posts (id bigint);\n"),
        ]);
        let ledger = sqlx_ledger(&[
            ("1", "CREATE TABLE users (id int);\n", LedgerState::Applied),
            ("2", "CREATE TABLE posts (id int);\n", LedgerState::Applied),
        ]);
        let s = tables(&[]);
        let findings = run_migrations(&ModifiedMigration, &s, &s, &set, Some(&ledger), None);
        assert_eq!(findings.len(), 2, "{findings:#?}");
        assert_eq!(findings[0].severity, Severity::Warning);
        assert!(
            findings[0]
                .message
                .contains("only in whitespace, comments or line endings"),
            "{}",
            findings[0].message
        );
        assert_eq!(findings[1].severity, Severity::Error);
        assert!(findings[1].message.contains("not available"));

        // With the applied text recovered, a statement change is named as such.
        let mut set = set;
        set.applied_sources
            .insert("2".into(), "CREATE TABLE posts (id int);\n".into());
        let findings = run_migrations(&ModifiedMigration, &s, &s, &set, Some(&ledger), None);
        assert!(
            findings[1].message.ends_with("in its statements"),
            "{}",
            findings[1].message
        );
        assert_eq!(
            findings[1].expected,
            Some(serde_json::json!(driftless_model::Checksum::sqlx(
                "CREATE TABLE posts (id int);\n"
            )
            .to_string()))
        );
    }

    #[test]
    fn finds_nothing_when_checksums_match() {
        let set = sqlx_set(&[("1_users.sql", "CREATE TABLE users (id int);\n")]);
        let ledger = sqlx_ledger(&[("1", "CREATE TABLE users (id int);\n", LedgerState::Applied)]);
        let s = tables(&[]);
        assert!(run_migrations(&ModifiedMigration, &s, &s, &set, Some(&ledger), None).is_empty());
    }
}
