//! Ledger repairs that need the schema read back, with sqlx's own
//! `Migrator`: a database whose `_sqlx_migrations` was dropped or emptied
//! gets it back with the migrations whose effects are all there (the
//! later ones stay pending, for sqlx); on MariaDB, where DDL commits as it
//! runs, a ledger row is written only once its migration's effects are
//! there, and a rerun completes what an interrupted repair left.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use driftless_fixer::{ApplyOptions, PlanOptions};
use driftless_model::ObjectKind;
use driftless_testkit::{sqlx_migrate, Backend, TestDb};

use crate::pending::{assert_same_ledger_row, check, repair};
use crate::support::{describe, rows};

const USERS: &str = "CREATE TABLE users (id integer PRIMARY KEY, name varchar(50) NOT NULL);\n";
const LOGIN: &str = "ALTER TABLE users ADD COLUMN login_count integer NOT NULL DEFAULT 0;\n";
const POSTS: &str = "CREATE TABLE posts (id integer PRIMARY KEY, user_id integer NOT NULL);\n\
                     CREATE UNIQUE INDEX posts_user_idx ON posts (user_id);\n";

async fn versions(db: &TestDb) -> Vec<i64> {
    rows(db, "SELECT version FROM _sqlx_migrations ORDER BY version")
        .await
        .iter()
        .map(|r| r[0].as_i64().unwrap())
        .collect()
}

/// Production migrated by sqlx to 2 (users with a row), its ledger then
/// lost by `lose`; 3 (posts) is on disk, never run.
async fn lost_ledger(backend: Backend, lose: &str) -> (tempfile::TempDir, TestDb, Option<TestDb>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("1_users.sql"), USERS).unwrap();
    std::fs::write(dir.path().join("2_login_count.sql"), LOGIN).unwrap();
    let prod = TestDb::new(backend).await;
    sqlx_migrate(backend, &prod.url, dir.path()).await.unwrap();
    prod.exec("INSERT INTO users (id, name) VALUES (1, 'ann')")
        .await;
    prod.exec(lose).await;
    std::fs::write(dir.path().join("3_posts.sql"), POSTS).unwrap();
    let dev = match backend {
        Backend::Sqlite => None,
        _ => Some(TestDb::new(backend).await),
    };
    (dir, prod, dev)
}

async fn rebuilt_then_sqlx_runs(backend: Backend, lose: &str, created: bool) {
    let (dir, prod, dev) = lost_ledger(backend, lose).await;
    // Without the ledger, sqlx would run 1 again, and fail.
    let mut checked = check(dir.path(), &prod, dev.as_ref()).await;
    let found = &checked.report.findings;
    let lost = found
        .iter()
        .find(|f| f.rule == "ledger-lost")
        .unwrap_or_else(|| panic!("{}", describe(found)));
    assert!(
        lost.message
            .contains("what migrations 1_users to 2_login_count (2) create")
            && lost
                .message
                .contains("3_posts and the migrations after it stay pending"),
        "{}",
        lost.message
    );
    // Judged against 1 and 2: nothing is missing, 3 is pending.
    assert_eq!(checked.expected.pending, ["3"]);
    assert!(
        found
            .iter()
            .all(|f| matches!(f.rule.as_str(), "ledger-lost" | "unapplied-migration")),
        "{}",
        describe(found)
    );
    let plan = checked.plan(&PlanOptions::default()).unwrap();
    let actions: Vec<&str> = plan.steps.iter().map(|s| s.action.as_str()).collect();
    let expected: &[&str] = if created {
        &["create ledger table", "rebuild ledger"]
    } else {
        &["rebuild ledger"]
    };
    assert_eq!(actions, expected, "{}", plan.to_sql());
    let last = plan.steps.last().unwrap();
    assert!(
        last.reason.contains("2 migration(s) recorded")
            && last.reason.contains("stops before 3_posts, whose table"),
        "{}",
        last.reason
    );
    // Left to sqlx: the pending migration, only.
    assert!(
        plan.unfixed
            .iter()
            .all(|u| u.finding.rule == "unapplied-migration"),
        "{:?}",
        plan.unfixed
    );
    let after = repair(&mut checked, plan).await;
    assert!(!after.failed(), "{}", describe(&after.findings));
    assert_eq!(versions(&prod).await, [1, 2]);
    // sqlx's own migrator takes the rebuilt ledger and applies exactly 3.
    sqlx_migrate(backend, &prod.url, dir.path()).await.unwrap();
    assert_eq!(versions(&prod).await, [1, 2, 3]);
    assert_eq!(
        rows(&prod, "SELECT count(*) FROM posts").await[0][0].as_i64(),
        Some(0)
    );
    for version in [1, 2] {
        assert_same_ledger_row(backend, &prod, dir.path(), version).await;
    }
    let again = check(dir.path(), &prod, dev.as_ref()).await;
    assert!(
        again.report.findings.is_empty(),
        "{}",
        describe(&again.report.findings)
    );
}

#[tokio::test]
async fn a_dropped_sqlx_ledger_is_rebuilt_on_sqlite() {
    rebuilt_then_sqlx_runs(Backend::Sqlite, "DROP TABLE _sqlx_migrations", true).await;
}

#[tokio::test]
async fn a_dropped_sqlx_ledger_is_rebuilt_on_postgres() {
    rebuilt_then_sqlx_runs(Backend::Postgres, "DROP TABLE _sqlx_migrations", true).await;
}

#[tokio::test]
async fn a_dropped_sqlx_ledger_is_rebuilt_on_mariadb() {
    rebuilt_then_sqlx_runs(Backend::Mysql, "DROP TABLE _sqlx_migrations", true).await;
}

#[tokio::test]
async fn an_emptied_sqlx_ledger_is_refilled_on_postgres() {
    rebuilt_then_sqlx_runs(Backend::Postgres, "DELETE FROM _sqlx_migrations", false).await;
}

#[tokio::test]
async fn an_emptied_sqlx_ledger_is_refilled_on_mariadb() {
    rebuilt_then_sqlx_runs(Backend::Mysql, "DELETE FROM _sqlx_migrations", false).await;
}

/// Production at 2 with 3 half done by hand: posts made, with two posts
/// of one user, so that 3's unique index cannot be built yet.
async fn half_done(dir: &Path) -> (TestDb, TestDb) {
    std::fs::write(dir.join("1_users.sql"), USERS).unwrap();
    std::fs::write(dir.join("2_login_count.sql"), LOGIN).unwrap();
    let prod = TestDb::new(Backend::Mysql).await;
    sqlx_migrate(Backend::Mysql, &prod.url, dir).await.unwrap();
    std::fs::write(dir.join("3_posts.sql"), POSTS).unwrap();
    prod.exec("CREATE TABLE posts (id integer PRIMARY KEY, user_id integer NOT NULL)")
        .await;
    prod.exec("INSERT INTO posts (id, user_id) VALUES (1, 7), (2, 7)")
        .await;
    (prod, TestDb::new(Backend::Mysql).await)
}

/// MariaDB: the row recording 3 waits for 3's effects. Run alone, it
/// writes nothing; a plan whose index step fails writes no row; once the
/// data allows it, a rerun builds the index and records 3, as sqlx does.
#[tokio::test]
async fn mariadb_ledger_rows_wait_for_their_effects_and_a_rerun_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let (prod, dev) = half_done(dir.path()).await;
    let mut checked = check(dir.path(), &prod, Some(&dev)).await;
    let plan = checked.plan(&PlanOptions::default()).unwrap();
    let actions: Vec<&str> = plan.steps.iter().map(|s| s.action.as_str()).collect();
    // MariaDB builds the unique index as a unique constraint.
    assert_eq!(
        actions,
        ["add unique constraint", "record migration"],
        "{}",
        plan.to_sql()
    );
    let record = &plan.steps[1];
    assert_eq!(record.object.kind, ObjectKind::Migration);
    assert!(
        record.sql[0].contains("information_schema.statistics"),
        "{}",
        record.sql[0]
    );
    // The ledger statement alone, before the index exists: no row.
    for sql in &record.sql {
        prod.exec(sql).await;
    }
    assert_eq!(versions(&prod).await, [1, 2]);
    // The index step fails on the duplicates: nothing recorded.
    let failed = checked
        .repair(plan, &PlanOptions::default(), &ApplyOptions::default())
        .await;
    assert!(failed.is_err(), "{failed:?}");
    assert_eq!(versions(&prod).await, [1, 2]);
    // The data fixed, a rerun completes 3 and records it.
    prod.exec("DELETE FROM posts WHERE id = 2").await;
    let mut rerun = check(dir.path(), &prod, Some(&dev)).await;
    let plan = rerun.plan(&PlanOptions::default()).unwrap();
    let after = repair(&mut rerun, plan).await;
    assert!(after.findings.is_empty(), "{}", describe(&after.findings));
    assert_eq!(versions(&prod).await, [1, 2, 3]);
    sqlx_migrate(Backend::Mysql, &prod.url, dir.path())
        .await
        .unwrap();
    assert_same_ledger_row(Backend::Mysql, &prod, dir.path(), 3).await;
}

/// MariaDB: a repair stopped after its schema steps (the process killed
/// before the ledger step) leaves the effects unrecorded, never a row
/// without them; the rerun records it.
#[tokio::test]
async fn mariadb_a_repair_stopped_before_its_ledger_step_is_completed_by_a_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let (prod, dev) = half_done(dir.path()).await;
    prod.exec("DELETE FROM posts WHERE id = 2").await;
    let mut checked = check(dir.path(), &prod, Some(&dev)).await;
    let mut plan = checked.plan(&PlanOptions::default()).unwrap();
    plan.steps
        .retain(|s| s.object.kind != ObjectKind::Migration);
    assert_eq!(plan.steps.len(), 1, "{}", plan.to_sql());
    repair(&mut checked, plan).await;
    assert_eq!(versions(&prod).await, [1, 2]);
    // The rerun finds 3's effects all there, unrecorded.
    let mut rerun = check(dir.path(), &prod, Some(&dev)).await;
    let found = &rerun.report.findings;
    assert_eq!(
        found.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>(),
        ["effect-present-unrecorded"],
        "{}",
        describe(found)
    );
    let plan = rerun.plan(&PlanOptions::default()).unwrap();
    let actions: Vec<&str> = plan.steps.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(actions, ["record migration"], "{}", plan.to_sql());
    let after = repair(&mut rerun, plan).await;
    assert!(after.findings.is_empty(), "{}", describe(&after.findings));
    assert_eq!(versions(&prod).await, [1, 2, 3]);
    sqlx_migrate(Backend::Mysql, &prod.url, dir.path())
        .await
        .unwrap();
}
