//! Two expected states on every backend, with sqlx's own `Migrator`: the
//! live database is judged against the migrations its `_sqlx_migrations`
//! ledger records, a pending migration is reported once (never as missing
//! objects, never created by `fix`), and the deploy preflight agrees with
//! what `sqlx migrate run` then does; `fix` records a pending migration
//! whose effects are there (making the rest first when only part is), with
//! the row sqlx itself writes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use driftless_fixer::{ApplyOptions, FixPlan, PlanOptions};
use driftless_introspect::{ConnectOptions, DbUrl};
use driftless_pipeline::{Checked, DriftCheck, MigrationReplay};
use driftless_rules::Report;
use driftless_testkit::{sqlx_migrate, Backend, TestDb};

use crate::support::describe;

const USERS: &str = "CREATE TABLE users (id integer PRIMARY KEY, name varchar(50) NOT NULL);\n";
const LOGIN: &str = "ALTER TABLE users ADD COLUMN login_count integer NOT NULL DEFAULT 0;\n";
const POSTS: &str = "CREATE TABLE posts (id integer PRIMARY KEY, user_id integer NOT NULL);\n\
                     CREATE INDEX posts_user_idx ON posts (user_id);\n";

/// Production migrated by sqlx to 2, with 3 (posts) pending on disk, and
/// the dev database replays go to.
async fn deployed(backend: Backend) -> (tempfile::TempDir, TestDb, Option<TestDb>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("1_users.sql"), USERS).unwrap();
    std::fs::write(dir.path().join("2_login_count.sql"), LOGIN).unwrap();
    let prod = TestDb::new(backend).await;
    sqlx_migrate(backend, &prod.url, dir.path()).await.unwrap();
    prod.exec("INSERT INTO users (id, name) VALUES (1, 'ann')")
        .await;
    std::fs::write(dir.path().join("3_posts.sql"), POSTS).unwrap();
    let dev = match backend {
        Backend::Sqlite => None,
        _ => Some(TestDb::new(backend).await),
    };
    (dir, prod, dev)
}

pub(crate) async fn check(dir: &Path, prod: &TestDb, dev: Option<&TestDb>) -> Checked {
    let mut source = MigrationReplay::new(dir);
    if let Some(dev) = dev {
        source = source.with_dev_url(DbUrl::parse(&dev.url).unwrap());
    }
    DriftCheck::new(DbUrl::parse(&prod.url).unwrap(), Box::new(source))
        .with_connect(ConnectOptions::read_only(), ConnectOptions::default())
        .run()
        .await
        .unwrap()
}

/// Applies `plan` with the default options; what the rules say after.
pub(crate) async fn repair(checked: &mut Checked, plan: FixPlan) -> Report {
    checked
        .repair(plan, &PlanOptions::default(), &ApplyOptions::default())
        .await
        .unwrap()
        .after
}

/// Applies `plan`, which must leave no finding.
async fn repair_converges(checked: &mut Checked, plan: FixPlan) {
    let after = repair(checked, plan).await;
    assert!(after.findings.is_empty(), "{}", describe(&after.findings));
}

fn rules(checked: &Checked) -> Vec<&str> {
    checked
        .report
        .findings
        .iter()
        .map(|f| f.rule.as_str())
        .collect()
}

async fn pending_once_then_migrate(backend: Backend) {
    let (dir, prod, dev) = deployed(backend).await;
    let checked = check(dir.path(), &prod, dev.as_ref()).await;
    let found = &checked.report.findings;
    // One finding, by the migration, saying what it will make.
    assert_eq!(
        rules(&checked),
        ["unapplied-migration"],
        "{}",
        describe(found)
    );
    assert!(
        found[0].message.contains("the next migrate creates table")
            && found[0].message.contains("posts_user_idx"),
        "{}",
        found[0].message
    );
    assert_eq!(checked.expected.pending, ["3"]);
    let head = checked.expected.head.as_ref().unwrap();
    assert!(head.tables().any(|(_, t, _)| t == "posts"));
    assert!(!checked
        .expected
        .snapshot
        .tables()
        .any(|(_, t, _)| t == "posts"));
    // The preflight applied it to a copy of production: it will succeed.
    let run = checked.pending_run.as_ref().unwrap();
    assert_eq!(run.applied, ["3"]);
    assert!(run.failure.is_none());
    // fix has nothing to do: creating posts is migrate's job.
    let plan = checked.plan(&PlanOptions::default()).unwrap();
    assert!(plan.is_empty(), "{}", plan.to_sql());
    // And migrate then applies it cleanly; after it, no drift.
    sqlx_migrate(backend, &prod.url, dir.path()).await.unwrap();
    let after = check(dir.path(), &prod, dev.as_ref()).await;
    assert!(
        after.report.findings.is_empty(),
        "{}",
        describe(&after.report.findings)
    );
}

async fn partly_present_fails_then_fix_completes_it(backend: Backend) {
    let (dir, prod, dev) = deployed(backend).await;
    // Someone made posts by hand, without its index; and dropped login_count.
    prod.exec("CREATE TABLE posts (id integer PRIMARY KEY, user_id integer NOT NULL)")
        .await;
    prod.exec("ALTER TABLE users DROP COLUMN login_count").await;
    let mut checked = check(dir.path(), &prod, dev.as_ref()).await;
    let found = &checked.report.findings;
    let mut got = rules(&checked);
    got.sort_unstable();
    assert_eq!(
        got,
        [
            "effect-present-unrecorded",
            "ledger-effect-missing",
            "missing-column",
        ],
        "{}",
        describe(found)
    );
    let partial = found
        .iter()
        .find(|f| f.rule == "effect-present-unrecorded")
        .unwrap();
    assert!(
        partial
            .message
            .contains("part of it is already in the schema (it creates table")
            && partial.message.contains("not yet: it creates index"),
        "{}",
        partial.message
    );
    // The preflight failed it too, but the finding above says so, once.
    let run = checked.pending_run.as_ref().unwrap();
    assert_eq!(run.failure.as_ref().unwrap().migration, "3");
    // The real migrate fails the same way (on MySQL it would leave a
    // failed ledger row behind, DDL not being transactional there).
    if backend != Backend::Mysql {
        assert!(sqlx_migrate(backend, &prod.url, dir.path()).await.is_err());
    }
    // fix restores login_count, makes the rest of 3 (its index), records 3.
    let plan = checked.plan(&PlanOptions::default()).unwrap();
    let actions: Vec<&str> = plan.steps.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(
        actions.last(),
        Some(&"record migration"),
        "{}",
        plan.to_sql()
    );
    assert_eq!(plan.steps.len(), 3, "{}", plan.to_sql());
    // Nothing is left to a human: the steps that recreate login_count and
    // 3's index settle the ledger-effect-missing findings about them.
    assert!(plan.unfixed.is_empty(), "{:?}", plan.unfixed);
    let settled = plan.steps.iter().flat_map(|s| &s.fixes);
    assert!(
        settled
            .filter(|r| r.rule == "ledger-effect-missing")
            .count()
            >= 1,
        "{}",
        plan.to_sql()
    );
    repair_converges(&mut checked, plan).await;
    // sqlx agrees: nothing left to run, the row it finds is the one it writes.
    sqlx_migrate(backend, &prod.url, dir.path()).await.unwrap();
    assert_same_ledger_row(backend, &prod, dir.path(), 3).await;
    let again = check(dir.path(), &prod, dev.as_ref()).await;
    assert!(
        again.report.findings.is_empty(),
        "{}",
        describe(&again.report.findings)
    );
}

/// The `_sqlx_migrations` row of `version` in `prod` equals the one sqlx's
/// own migrator writes for the same folder (but for when and how long).
pub(crate) async fn assert_same_ledger_row(
    backend: Backend,
    prod: &TestDb,
    dir: &Path,
    version: i64,
) {
    let fresh = TestDb::new(backend).await;
    sqlx_migrate(backend, &fresh.url, dir).await.unwrap();
    let sql = format!(
        "SELECT version, description, success, checksum FROM _sqlx_migrations WHERE version = {version}"
    );
    let ours = crate::support::rows(prod, &sql).await;
    let theirs = crate::support::rows(&fresh, &sql).await;
    assert_eq!(ours.len(), 1);
    assert_eq!(ours, theirs);
}

async fn all_present_is_recorded(backend: Backend) {
    let (dir, prod, dev) = deployed(backend).await;
    for stmt in POSTS.split(';').filter(|s| !s.trim().is_empty()) {
        prod.exec(stmt).await;
    }
    let mut checked = check(dir.path(), &prod, dev.as_ref()).await;
    let found = &checked.report.findings;
    assert_eq!(
        rules(&checked),
        ["effect-present-unrecorded"],
        "{}",
        describe(found)
    );
    if backend != Backend::Mysql {
        assert!(sqlx_migrate(backend, &prod.url, dir.path()).await.is_err());
    }
    let plan = checked.plan(&PlanOptions::default()).unwrap();
    assert_eq!(plan.steps.len(), 1, "{}", plan.to_sql());
    assert_eq!(plan.steps[0].action, "record migration");
    repair_converges(&mut checked, plan).await;
    sqlx_migrate(backend, &prod.url, dir.path()).await.unwrap();
    assert_same_ledger_row(backend, &prod, dir.path(), 3).await;
}

#[tokio::test]
async fn a_pending_migration_already_in_the_schema_is_recorded_on_sqlite() {
    all_present_is_recorded(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_pending_migration_already_in_the_schema_is_recorded_on_postgres() {
    all_present_is_recorded(Backend::Postgres).await;
}

#[tokio::test]
async fn a_pending_migration_already_in_the_schema_is_recorded_on_mariadb() {
    all_present_is_recorded(Backend::Mysql).await;
}

#[tokio::test]
async fn a_pending_migration_is_reported_once_and_left_to_migrate_on_sqlite() {
    pending_once_then_migrate(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_pending_migration_is_reported_once_and_left_to_migrate_on_postgres() {
    pending_once_then_migrate(Backend::Postgres).await;
}

#[tokio::test]
async fn a_pending_migration_is_reported_once_and_left_to_migrate_on_mariadb() {
    pending_once_then_migrate(Backend::Mysql).await;
}

#[tokio::test]
async fn a_partly_present_pending_migration_fails_the_preflight_on_sqlite() {
    partly_present_fails_then_fix_completes_it(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_partly_present_pending_migration_fails_the_preflight_on_postgres() {
    partly_present_fails_then_fix_completes_it(Backend::Postgres).await;
}

#[tokio::test]
async fn a_partly_present_pending_migration_fails_the_preflight_on_mariadb() {
    partly_present_fails_then_fix_completes_it(Backend::Mysql).await;
}

/// A hot fix applied by sqlx from a file that is gone since: sqlx refuses
/// to migrate (`previously applied but is missing`) until `fix` moves its
/// row to the ledger quarantine, restorable.
async fn unknown_row_is_quarantined(backend: Backend) {
    let (dir, prod, dev) = deployed(backend).await;
    std::fs::remove_file(dir.path().join("3_posts.sql")).unwrap();
    let hotfix = dir.path().join("4_hotfix.sql");
    std::fs::write(&hotfix, "CREATE INDEX users_name_idx ON users (name);\n").unwrap();
    sqlx_migrate(backend, &prod.url, dir.path()).await.unwrap();
    std::fs::remove_file(&hotfix).unwrap();
    assert!(sqlx_migrate(backend, &prod.url, dir.path()).await.is_err());
    let mut checked = check(dir.path(), &prod, dev.as_ref()).await;
    let mut got = rules(&checked);
    got.sort_unstable();
    assert_eq!(
        got,
        ["orphan-index", "unknown-applied-migration"],
        "{}",
        describe(&checked.report.findings)
    );
    let plan = checked.plan(&PlanOptions::default()).unwrap();
    let actions: Vec<&str> = plan.steps.iter().map(|s| s.action.as_str()).collect();
    assert!(
        actions.contains(&"quarantine ledger row"),
        "{}",
        plan.to_sql()
    );
    assert!(plan.unfixed.is_empty(), "{:?}", plan.unfixed);
    repair_converges(&mut checked, plan).await;
    // sqlx migrates again; the row is kept, as JSON, in the quarantine.
    sqlx_migrate(backend, &prod.url, dir.path()).await.unwrap();
    let kept = crate::support::rows(
        &prod,
        "SELECT ledger_table, migration, entry FROM _driftless_quarantine_ledger_rows",
    )
    .await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0][1].as_str(), Some("4"));
    let entry: serde_json::Value = serde_json::from_str(kept[0][2].as_str().unwrap()).unwrap();
    assert_eq!(entry["name"], "hotfix");
    assert!(
        entry["checksum"].is_object() || entry["checksum"].is_string(),
        "{entry}"
    );
    let again = check(dir.path(), &prod, dev.as_ref()).await;
    assert!(
        again.report.findings.is_empty(),
        "{}",
        describe(&again.report.findings)
    );
}

#[tokio::test]
async fn a_ledger_row_without_a_file_is_quarantined_on_sqlite() {
    unknown_row_is_quarantined(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_ledger_row_without_a_file_is_quarantined_on_postgres() {
    unknown_row_is_quarantined(Backend::Postgres).await;
}

#[tokio::test]
async fn a_ledger_row_without_a_file_is_quarantined_on_mariadb() {
    unknown_row_is_quarantined(Backend::Mysql).await;
}

/// `fix --apply-pending`: driftless applies the pending migration itself
/// and records it with the row sqlx writes; sqlx then has nothing to do.
async fn pending_applied_by_driftless(backend: Backend) {
    let (dir, prod, dev) = deployed(backend).await;
    let mut checked = check(dir.path(), &prod, dev.as_ref()).await;
    let applied = checked.apply_pending(None).await.unwrap();
    assert_eq!(applied, ["3"]);
    assert!(
        checked.report.findings.is_empty(),
        "{}",
        describe(&checked.report.findings)
    );
    assert!(checked.expected.pending.is_empty());
    assert_same_ledger_row(backend, &prod, dir.path(), 3).await;
    sqlx_migrate(backend, &prod.url, dir.path()).await.unwrap();
    let again = check(dir.path(), &prod, dev.as_ref()).await;
    assert!(
        again.report.findings.is_empty(),
        "{}",
        describe(&again.report.findings)
    );
}

#[tokio::test]
async fn pending_migrations_applied_by_driftless_on_sqlite() {
    pending_applied_by_driftless(Backend::Sqlite).await;
}

#[tokio::test]
async fn pending_migrations_applied_by_driftless_on_postgres() {
    pending_applied_by_driftless(Backend::Postgres).await;
}

#[tokio::test]
async fn pending_migrations_applied_by_driftless_on_mariadb() {
    pending_applied_by_driftless(Backend::Mysql).await;
}

/// MariaDB: sqlx runs a migration outside a transaction and, when it fails
/// half-way (a unique index over duplicate names), leaves its row marked
/// failed: sqlx refuses to go on. `fix` finishes what the migration left
/// half done and marks it applied, or, when it left nothing, clears the
/// row so that sqlx runs it again.
async fn failed_row(first_statement: &str) -> (tempfile::TempDir, TestDb, Option<TestDb>, Checked) {
    let backend = Backend::Mysql;
    let (dir, prod, dev) = deployed(backend).await;
    std::fs::remove_file(dir.path().join("3_posts.sql")).unwrap();
    let unique = "CREATE UNIQUE INDEX users_name_uq ON users (name);\n";
    std::fs::write(
        dir.path().join("3_unique.sql"),
        format!("{first_statement}{unique}"),
    )
    .unwrap();
    prod.exec("INSERT INTO users (id, name) VALUES (2, 'ann')")
        .await;
    assert!(sqlx_migrate(backend, &prod.url, dir.path()).await.is_err());
    assert!(
        sqlx_migrate(backend, &prod.url, dir.path()).await.is_err(),
        "sqlx stops at the failed row"
    );
    // The data is put right; the ledger still says failed.
    prod.exec("DELETE FROM users WHERE id = 2").await;
    let checked = check(dir.path(), &prod, dev.as_ref()).await;
    assert!(
        rules(&checked).contains(&"failed-migration"),
        "{}",
        describe(&checked.report.findings)
    );
    (dir, prod, dev, checked)
}

async fn fix_and_migrate(
    dir: &Path,
    prod: &TestDb,
    dev: Option<&TestDb>,
    mut checked: Checked,
    action: &str,
) {
    let plan = checked.plan(&PlanOptions::default()).unwrap();
    let actions: Vec<&str> = plan.steps.iter().map(|s| s.action.as_str()).collect();
    assert!(actions.contains(&action), "{}", plan.to_sql());
    let after = repair(&mut checked, plan).await;
    let failing: Vec<_> = after
        .findings
        .iter()
        .filter(|f| f.rule != "unapplied-migration")
        .collect();
    assert!(failing.is_empty(), "{failing:?}");
    sqlx_migrate(Backend::Mysql, &prod.url, dir).await.unwrap();
    let again = check(dir, prod, dev).await;
    assert!(
        again.report.findings.is_empty(),
        "{}",
        describe(&again.report.findings)
    );
}

#[tokio::test]
async fn a_half_done_failed_migration_is_finished_and_marked_applied_on_mariadb() {
    let posts = "CREATE TABLE posts (id integer PRIMARY KEY);\n";
    let (dir, prod, dev, checked) = failed_row(posts).await;
    fix_and_migrate(
        dir.path(),
        &prod,
        dev.as_ref(),
        checked,
        "mark migration applied",
    )
    .await;
    assert_eq!(
        prod.scalar_i64("SELECT count(*) FROM _sqlx_migrations WHERE success = 1")
            .await,
        3
    );
}

#[tokio::test]
async fn a_failed_migration_that_left_nothing_is_cleared_for_a_retry_on_mariadb() {
    let (dir, prod, dev, checked) = failed_row("").await;
    fix_and_migrate(
        dir.path(),
        &prod,
        dev.as_ref(),
        checked,
        "clear failed migration",
    )
    .await;
    assert_eq!(
        prod.scalar_i64("SELECT count(*) FROM _sqlx_migrations WHERE success = 1")
            .await,
        3
    );
}

/// A migration edited after it ran: sqlx refuses to migrate (`was
/// previously applied but has been modified`); when the edit is cosmetic
/// or what the new text does is all in the schema, `fix` stores the new
/// checksum, the one sqlx computes.
async fn modified_checksum_updated(backend: Backend) {
    let (dir, prod, dev) = deployed(backend).await;
    std::fs::remove_file(dir.path().join("3_posts.sql")).unwrap();
    std::fs::write(
        dir.path().join("1_users.sql"),
        format!("-- the users\n{USERS}"),
    )
    .unwrap();
    let same = LOGIN.replace("integer", "INTEGER");
    std::fs::write(dir.path().join("2_login_count.sql"), same).unwrap();
    assert!(sqlx_migrate(backend, &prod.url, dir.path()).await.is_err());
    let mut checked = check(dir.path(), &prod, dev.as_ref()).await;
    assert_eq!(
        rules(&checked),
        ["modified-migration", "modified-migration"],
        "{}",
        describe(&checked.report.findings)
    );
    let plan = checked.plan(&PlanOptions::default()).unwrap();
    let actions: Vec<&str> = plan.steps.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(
        actions,
        ["update checksum", "update checksum"],
        "{}",
        plan.to_sql()
    );
    repair_converges(&mut checked, plan).await;
    sqlx_migrate(backend, &prod.url, dir.path()).await.unwrap();
    assert_same_ledger_row(backend, &prod, dir.path(), 1).await;
    assert_same_ledger_row(backend, &prod, dir.path(), 2).await;
}

#[tokio::test]
async fn a_modified_migration_gets_its_new_checksum_on_sqlite() {
    modified_checksum_updated(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_modified_migration_gets_its_new_checksum_on_postgres() {
    modified_checksum_updated(Backend::Postgres).await;
}

#[tokio::test]
async fn a_modified_migration_gets_its_new_checksum_on_mariadb() {
    modified_checksum_updated(Backend::Mysql).await;
}
