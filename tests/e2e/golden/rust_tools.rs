//! refinery and diesel (crates.io, on SQLite) against the ledgers driftless
//! writes.

use std::path::Path;

use diesel::Connection as _;
use diesel_migrations::{FileBasedMigrations, MigrationHarness};
use driftless_model::MigrationFormat;
use driftless_testkit::TestDb;

use super::{assert_same_rows, record_with_driftless, write_files};

/// refinery runs the migrations of `dir` on the SQLite file `path`; the
/// migrations it applied.
fn refinery_run(path: &str, dir: Option<&Path>) -> usize {
    let migrations = dir.map_or_else(Vec::new, |d| refinery::load_sql_migrations(d).unwrap());
    let mut c = rusqlite::Connection::open(path).unwrap();
    let report = refinery::Runner::new(&migrations).run(&mut c).unwrap();
    report.applied_migrations().len()
}

/// refinery's `refinery_schema_history`: version, name, checksum (SipHash
/// of name, version and SQL) equal; `applied_on` in refinery's RFC 3339
/// spelling. refinery, run again, applies nothing and finds no divergent
/// checksum.
#[tokio::test]
async fn refinery_ledger_rows_equal_refinerys_on_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    write_files(
        tmp.path(),
        &[
            (
                "V1__create_users.sql",
                "CREATE TABLE users (id integer PRIMARY KEY);\n",
            ),
            (
                "V2__add_email.sql",
                "ALTER TABLE users ADD COLUMN email text;\r\n",
            ),
        ],
    );
    let (tool, ours) = (TestDb::sqlite(), TestDb::sqlite());
    assert_eq!(refinery_run(&tool.name, Some(tmp.path())), 2);
    assert_eq!(refinery_run(&ours.name, None), 0);
    record_with_driftless(&ours, tmp.path(), MigrationFormat::Refinery).await;
    let sql =
        "SELECT version, name, applied_on, checksum FROM refinery_schema_history ORDER BY version";
    assert_same_rows(&tool, &ours, sql, &[2]).await;
    assert_eq!(refinery_run(&ours.name, Some(tmp.path())), 0);
}

/// diesel runs the migrations of `dir` on the SQLite file `path`; the
/// versions it applied.
fn diesel_run(path: &str, dir: Option<&Path>) -> Vec<String> {
    let mut c = diesel::SqliteConnection::establish(path).unwrap();
    let Some(dir) = dir else {
        c.applied_migrations().unwrap();
        return Vec::new();
    };
    let migrations = FileBasedMigrations::from_path(dir).unwrap();
    let run = c.run_pending_migrations(migrations).unwrap();
    run.iter().map(ToString::to_string).collect()
}

/// diesel's `__diesel_schema_migrations`: the version as diesel spells
/// it (the folder's digits), `run_on` the table's default. diesel, run
/// again, has nothing pending.
#[tokio::test]
async fn diesel_ledger_rows_equal_diesels_on_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    let create = "CREATE TABLE users (id integer PRIMARY KEY);\n";
    let email = "ALTER TABLE users ADD COLUMN email text;\n";
    write_files(
        tmp.path(),
        &[
            ("2024-01-01-000001_create_users/up.sql", create),
            (
                "2024-01-01-000001_create_users/down.sql",
                "DROP TABLE users;\n",
            ),
            ("2024-01-02-000002_add_email/up.sql", email),
            ("2024-01-02-000002_add_email/down.sql", "SELECT 1;\n"),
        ],
    );
    let (tool, ours) = (TestDb::sqlite(), TestDb::sqlite());
    assert_eq!(diesel_run(&tool.name, Some(tmp.path())).len(), 2);
    diesel_run(&ours.name, None);
    record_with_driftless(&ours, tmp.path(), MigrationFormat::Diesel).await;
    let sql = "SELECT version, run_on FROM __diesel_schema_migrations ORDER BY version";
    assert_same_rows(&tool, &ours, sql, &[1]).await;
    assert_eq!(
        diesel_run(&ours.name, Some(tmp.path())),
        Vec::<String>::new()
    );
}
