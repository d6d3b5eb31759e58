//! dbmate (the npm package's binary, `scripts/test-dbmate`) against the
//! ledger driftless writes.

use std::path::Path;

use driftless_model::MigrationFormat;
use driftless_testkit::{dbmate as dbmate_bin, Backend, TestDb};

use super::{assert_same_rows, record_with_driftless, run_ok, table_count, write_files};

/// `db`'s URL as dbmate reads it.
fn dbmate_url(db: &TestDb) -> String {
    match db.backend {
        Backend::Sqlite => format!("sqlite:{}", db.name),
        _ => format!("{}?sslmode=disable", db.url),
    }
}

/// `dbmate ARGS` on `db` with the migrations of `dir`.
fn dbmate(db: &TestDb, dir: &Path, args: &[&str]) -> String {
    let url = dbmate_url(db);
    let dir_arg = dir.display().to_string();
    let mut all = vec![
        "--url",
        &url,
        "--migrations-dir",
        &dir_arg,
        "--no-dump-schema",
    ];
    all.extend(args);
    run_ok(&dbmate_bin(), dir, &all, &[])
}

const MIGRATIONS: [(&str, &str); 2] = [
    (
        "20240101000001_create_users.sql",
        "-- migrate:up\nCREATE TABLE users (id integer PRIMARY KEY, name text);\n\n-- migrate:down\nDROP TABLE users;\n",
    ),
    (
        "20240102000002_add_email.sql",
        "-- migrate:up\nALTER TABLE users ADD COLUMN email text;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN email;\n",
    ),
];

/// dbmate migrates the folder; driftless records it in the ledger dbmate
/// made (a no-op migration applied and rolled back); `dbmate migrate` on
/// it then runs nothing and `status --exit-code` finds nothing pending.
async fn golden(backend: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, setup) = (tmp.path().join("db"), tmp.path().join("setup"));
    write_files(&dir, &MIGRATIONS);
    let noop = "-- migrate:up\nSELECT 1;\n\n-- migrate:down\nSELECT 1;\n";
    write_files(&setup, &[("20000101000000_setup.sql", noop)]);
    let (tool, ours) = (TestDb::new(backend).await, TestDb::new(backend).await);
    dbmate(&tool, &dir, &["migrate"]);
    dbmate(&ours, &setup, &["migrate"]);
    dbmate(&ours, &setup, &["rollback"]);
    record_with_driftless(&ours, &dir, MigrationFormat::Dbmate).await;
    let sql = "SELECT version FROM schema_migrations ORDER BY version";
    assert_same_rows(&tool, &ours, sql, &[]).await;
    dbmate(&ours, &dir, &["migrate"]);
    dbmate(&ours, &dir, &["status", "--exit-code"]);
    assert_eq!(
        table_count(&ours, "users").await,
        0,
        "dbmate ran a migration again"
    );
}

#[tokio::test]
async fn dbmate_ledger_rows_equal_dbmates_on_sqlite() {
    golden(Backend::Sqlite).await;
}

#[tokio::test]
async fn dbmate_ledger_rows_equal_dbmates_on_postgres() {
    golden(Backend::Postgres).await;
}
