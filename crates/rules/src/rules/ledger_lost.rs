use driftless_model::{Effect, LedgerRebuild, MigrationSet, ObjectRef};

use crate::finding::{Finding, FixIntent};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::effect_list;

declare_rule! {
    LedgerLost {
        id: "ledger-lost",
        summary: "The schema holds what migrations create, but the migration ledger that records them is missing or empty.",
        rationale: "A dump restored without its ledger table, a ledger dropped or truncated by hand, a database built from a schema file: the framework believes nothing is applied, and its next `migrate` runs every migration again and fails on the first object that exists (`relation \"users\" already exists`). Drift is judged against the migrations whose effects are all present, the ones the rebuilt ledger records.",
        severity: Error,
        enabled: true,
        example: "-- users and posts exist, as migrations 1 and 2 create them\nSELECT * FROM _sqlx_migrations;  -- ERROR: relation \"_sqlx_migrations\" does not exist",
        fix: "Safe: the ledger is rebuilt in the tool's own format (its table created first when missing, as the tool creates it) with the longest prefix of migrations, in the tool's order, whose effects are all present (a general `--fake-initial` / baseline; for Django and Alembic, whose migrations form a graph, every migration whose effects and dependencies are all there); the migrations after it stay pending, for migrate.",
    }
}

impl Rule for LedgerLost {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let (Some(rebuild), Some(set)) = (cx.rebuild, cx.migrations) else {
            return;
        };
        if rebuild.is_new_database() {
            return;
        }
        let t = &rebuild.table;
        let state = if rebuild.create { "missing" } else { "empty" };
        let mut f = Finding::new(
            &Self::META,
            ObjectRef::table(&t.schema, &t.table),
            format!(
                "the migration ledger {} is {state}, but the schema holds what {}: the next migrate would run {} again and fail; {}",
                t.table,
                prefix_text(set, rebuild),
                if rebuild.recorded.len() == 1 { "it" } else { "them" },
                stop_text(set, rebuild)
            ),
            FixIntent::RecordMigration,
        )
        .hint(format!(
            "`driftless fix` {} {} and records the migrations whose effects are all present",
            if rebuild.create { "creates" } else { "fills" },
            t.table
        ));
        f.actual = Some(serde_json::json!(rebuild.recorded));
        out.push(f);
    }
}

fn label(set: &MigrationSet, id: &str) -> String {
    set.get(id).map_or_else(|| id.to_string(), |m| m.label())
}

/// `migrations 1_users to 3_posts (3) create`, or `migration 1_users creates`.
fn prefix_text(set: &MigrationSet, rebuild: &LedgerRebuild) -> String {
    match rebuild.recorded.as_slice() {
        [one] => format!("migration {} creates", label(set, one)),
        [first, .., last] => format!(
            "migrations {} to {} ({}) create",
            label(set, first),
            label(set, last),
            rebuild.recorded.len()
        ),
        [] => "no migration creates".into(),
    }
}

/// Why the prefix stops where it does.
fn stop_text(set: &MigrationSet, rebuild: &LedgerRebuild) -> String {
    let Some(stop) = &rebuild.stop else {
        return "every migration's effects are present".into();
    };
    let absent: Vec<&Effect> = stop.absent.iter().collect();
    format!(
        "the ledger is rebuilt with those; {} and the migrations after it stay pending: it is the first with an effect absent (it {})",
        label(set, &stop.id),
        effect_list(&absent, 4)
    )
}

#[cfg(test)]
mod tests {
    use super::LedgerLost;
    use crate::rule::{Context, Rule};
    use crate::rules::migration_testing::*;
    use crate::FixIntent;
    use driftless_model::{object_fingerprints, plan_ledger_rebuild};

    #[test]
    fn a_missing_ledger_with_the_first_migration_present() {
        let set = sqlx_set(&[
            ("1_users.sql", "CREATE TABLE users (id int);"),
            ("2_posts.sql", "CREATE TABLE posts (id int);"),
        ]);
        let s1 = tables(&[("users", &["id"])]);
        let s2 = tables(&[("users", &["id"]), ("posts", &["id"])]);
        let p = provenance(&[("1", &s1), ("2", &s2)]);
        let rebuild = plan_ledger_rebuild(&set, None, &p, &s1, "main").unwrap();
        assert_eq!(rebuild.recorded, ["1"]);
        let ledger = rebuild.ledger(s1.dialect);
        let cx = Context::new(&s1, &s1)
            .with_migrations(&set, Some(&ledger))
            .with_provenance(&p)
            .with_ledger_rebuild(&rebuild);
        let mut out = Vec::new();
        LedgerLost.check(&cx, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].fix, FixIntent::RecordMigration);
        assert_eq!(
            out[0].message,
            "the migration ledger _sqlx_migrations is missing, but the schema holds what migration 1_users creates: the next migrate would run it again and fail; the ledger is rebuilt with those; 2_posts and the migrations after it stay pending: it is the first with an effect absent (it creates table main.posts)"
        );
        // Everything there: the whole set is recorded, nothing stops it.
        let all = plan_ledger_rebuild(&set, None, &p, &s2, "main").unwrap();
        assert_eq!(all.recorded, ["1", "2"]);
        assert!(all.stop.is_none());
        // A later migration that undoes an earlier one's object still counts.
        let s3 = tables(&[("users", &["id"])]);
        let p3 = provenance(&[("1", &s1), ("2", &s2), ("3", &s3)]);
        assert!(object_fingerprints(&s3).len() > 1);
        let undone = plan_ledger_rebuild(&set, None, &p3, &s3, "main").unwrap();
        assert_eq!(undone.recorded, ["1", "2", "3"]);
    }
}
