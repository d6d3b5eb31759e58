//! Quarantine that leaves the table as expected, on SQLite, PostgreSQL and
//! MariaDB: an orphan column's values move to a quarantine table keyed by
//! the primary key and the column is dropped; a table without a primary
//! key keeps it renamed aside, nullable; an orphan table moves aside; the
//! catalog lists each, and a restore puts back exactly what was there.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use driftless_fixer::{
    apply, find_quarantined, list_quarantine, plan_restore, ApplyOptions, PlanOptions,
    QuarantineEntry, QuarantineError, QuarantineKind,
};
use driftless_introspect::{IntrospectOptions, Value};
use driftless_model::{Snapshot, Table};
use driftless_testkit::{Backend, TestDb};
use support::*;

const EXPECTED: &str = "CREATE TABLE users (
    id integer PRIMARY KEY,
    username varchar(150) NOT NULL
)";

/// `users` with an orphan `avatar` (values and a NULL) and `avatar_nn`
/// (NOT NULL, no default).
const ACTUAL: &str = "CREATE TABLE users (
    id integer PRIMARY KEY,
    username varchar(150) NOT NULL,
    avatar varchar(100),
    badge varchar(20) NOT NULL
);
INSERT INTO users (id, username, avatar, badge) VALUES (1, 'ada', 'ada.png', 'gold'), (2, 'bob', NULL, 'none'), (3, 'cy', 'cy.jpg', 'red')";

fn table<'a>(s: &'a Snapshot, name: &str) -> &'a Table {
    s.tables()
        .find(|(_, n, _)| *n == name)
        .map(|(_, _, t)| t)
        .unwrap()
}

fn columns(s: &Snapshot, name: &str) -> Vec<String> {
    table(s, name).columns.keys().cloned().collect()
}

async fn quarantined(db: &TestDb) -> Vec<QuarantineEntry> {
    let mut c = open(db).await;
    let q = list_quarantine(&mut c).await.unwrap();
    c.close().await.unwrap();
    q
}

/// Restores `object` through the library, as `driftless quarantine restore
/// --apply` does.
async fn restore(db: &TestDb, object: &str) -> Result<(), QuarantineError> {
    let mut c = open(db).await;
    let entries = list_quarantine(&mut c).await?;
    let entry = find_quarantined(&entries, object)?;
    let actual = c.snapshot(&IntrospectOptions::default()).await?;
    let plan = plan_restore(&actual, entry)?;
    apply(&mut c, &plan, &ApplyOptions::default())
        .await
        .unwrap();
    c.close().await.unwrap();
    Ok(())
}

fn text(v: &str) -> Value {
    Value::Text(v.into())
}

async fn orphan_columns_move_to_quarantine_tables(backend: Backend) {
    let expected = snapshot(&db_with(backend, EXPECTED).await).await;
    let db = db_with(backend, ACTUAL).await;
    let first = fix(&db, &expected, &PlanOptions::default()).await.unwrap();
    assert!(first.left.is_empty(), "{}", describe(&first.left));
    // The live table is exactly the expected one.
    assert_eq!(columns(&first.after, "users"), columns(&expected, "users"));
    // The application can insert without the NOT NULL orphan.
    db.exec("INSERT INTO users (id, username) VALUES (4, 'dee')")
        .await;

    let held = quarantined(&db).await;
    assert_eq!(held.len(), 2, "{held:?}");
    let avatar = find_quarantined(&held, "users.avatar").unwrap();
    assert_eq!(avatar.kind, QuarantineKind::Column);
    assert_eq!(avatar.key, ["id"]);
    assert_eq!(avatar.rows, 3);
    if backend == Backend::Postgres {
        assert_eq!(avatar.quarantine_schema, "driftless_quarantine");
    } else {
        assert!(avatar
            .quarantine_table
            .starts_with("_driftless_quarantine_users__avatar"));
    }
    // The values, keyed by the primary key, NULL included.
    let kept = rows(
        &db,
        &format!("SELECT id, avatar FROM {} ORDER BY id", avatar.held_in()),
    )
    .await;
    assert_eq!(
        kept,
        [
            vec![Value::Int(1), text("ada.png")],
            vec![Value::Int(2), Value::Null],
            vec![Value::Int(3), text("cy.jpg")],
        ]
    );

    // Fixed again: nothing to do, the quarantine is no drift.
    let second = fix(&db, &expected, &PlanOptions::default()).await.unwrap();
    assert!(second.plan.steps.is_empty(), "{}", second.plan.to_sql());

    // Restored: the exact values come back by key; the row added since
    // gets the column's default (none: NULL).
    restore(&db, "users.avatar").await.unwrap();
    let back = rows(&db, "SELECT id, avatar FROM users ORDER BY id").await;
    assert_eq!(
        back,
        [
            vec![Value::Int(1), text("ada.png")],
            vec![Value::Int(2), Value::Null],
            vec![Value::Int(3), text("cy.jpg")],
            vec![Value::Int(4), Value::Null],
        ]
    );
    let left = quarantined(&db).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].column.as_deref(), Some("badge"));
    // Unknown now; and a column that exists again is not overwritten.
    let err = restore(&db, "users.avatar").await.unwrap_err();
    assert!(matches!(err, QuarantineError::Unknown { .. }), "{err}");
    db.exec("ALTER TABLE users ADD COLUMN badge varchar(20)")
        .await;
    let err = restore(&db, "users.badge").await.unwrap_err();
    assert!(matches!(err, QuarantineError::Conflict { .. }), "{err}");
    db.exec("ALTER TABLE users DROP COLUMN badge").await;
    // The NOT NULL column: dee has no value; NOT NULL comes back where
    // the database can add it to an existing column.
    db.exec("DELETE FROM users WHERE id = 4").await;
    restore(&db, "users.badge").await.unwrap();
    let badges = rows(&db, "SELECT badge FROM users ORDER BY id").await;
    assert_eq!(
        badges,
        [vec![text("gold")], vec![text("none")], vec![text("red")]]
    );
    let after = snapshot(&db).await;
    let badge = &table(&after, "users").columns["badge"];
    assert_eq!(badge.nullable, backend == Backend::Sqlite, "{badge:?}");
    assert!(quarantined(&db).await.is_empty());
}

#[tokio::test]
async fn orphan_columns_move_to_quarantine_tables_on_sqlite() {
    orphan_columns_move_to_quarantine_tables(Backend::Sqlite).await;
}

#[tokio::test]
async fn orphan_columns_move_to_quarantine_tables_on_postgres() {
    orphan_columns_move_to_quarantine_tables(Backend::Postgres).await;
}

#[tokio::test]
async fn orphan_columns_move_to_quarantine_tables_on_mariadb() {
    orphan_columns_move_to_quarantine_tables(Backend::Mysql).await;
}

const NO_KEY_EXPECTED: &str = "CREATE TABLE events (kind varchar(20) NOT NULL)";
const NO_KEY_ACTUAL: &str =
    "CREATE TABLE events (kind varchar(20) NOT NULL, source varchar(20) NOT NULL);
INSERT INTO events (kind, source) VALUES ('a', 'web'), ('b', 'cli')";

/// Without a primary key the column is renamed aside in its table, and a
/// NOT NULL one loses its NOT NULL: inserts that omit it succeed.
async fn without_a_key_the_column_is_renamed_aside(backend: Backend) {
    let expected = snapshot(&db_with(backend, NO_KEY_EXPECTED).await).await;
    let db = db_with(backend, NO_KEY_ACTUAL).await;
    let first = fix(&db, &expected, &PlanOptions::default()).await.unwrap();
    assert!(first.left.is_empty(), "{}", describe(&first.left));
    let t = table(&first.after, "events");
    let q = &t.columns["_driftless_quarantine_source"];
    assert!(q.nullable, "{q:?}");
    db.exec("INSERT INTO events (kind) VALUES ('c')").await;
    let held = quarantined(&db).await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].kind, QuarantineKind::RenamedColumn);
    assert_eq!(held[0].rows, 2);
    db.exec("DELETE FROM events WHERE kind = 'c'").await;
    restore(&db, "events.source").await.unwrap();
    let back = rows(&db, "SELECT kind, source FROM events ORDER BY kind").await;
    assert_eq!(
        back,
        [vec![text("a"), text("web")], vec![text("b"), text("cli")]]
    );
    assert!(quarantined(&db).await.is_empty());
}

#[tokio::test]
async fn without_a_key_the_column_is_renamed_aside_on_sqlite() {
    without_a_key_the_column_is_renamed_aside(Backend::Sqlite).await;
}

#[tokio::test]
async fn without_a_key_the_column_is_renamed_aside_on_postgres() {
    without_a_key_the_column_is_renamed_aside(Backend::Postgres).await;
}

#[tokio::test]
async fn without_a_key_the_column_is_renamed_aside_on_mariadb() {
    without_a_key_the_column_is_renamed_aside(Backend::Mysql).await;
}

const TABLE_EXPECTED: &str = "CREATE TABLE users (id integer PRIMARY KEY)";
const TABLE_ACTUAL: &str = "CREATE TABLE users (id integer PRIMARY KEY);
CREATE TABLE legacy (id integer PRIMARY KEY, note varchar(20));
CREATE INDEX legacy_note_idx ON legacy (note);
INSERT INTO legacy (id, note) VALUES (1, 'kept'), (2, 'also')";

/// An orphan table moves aside (PostgreSQL: to the quarantine schema),
/// with its rows; its names are free again; a restore moves it back.
async fn orphan_tables_move_aside(backend: Backend) {
    let expected = snapshot(&db_with(backend, TABLE_EXPECTED).await).await;
    let db = db_with(backend, TABLE_ACTUAL).await;
    let first = fix(&db, &expected, &PlanOptions::default()).await.unwrap();
    assert!(first.left.is_empty(), "{}", describe(&first.left));
    assert!(first.after.tables().all(|(_, n, _)| n != "legacy"));
    if backend == Backend::Postgres {
        assert!(first.after.tables().all(|(_, n, _)| n == "users"));
    }
    let held = quarantined(&db).await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].kind, QuarantineKind::Table);
    assert_eq!(held[0].rows, 2);
    // The names it held are free: a table and an index of those names.
    db.exec("CREATE TABLE legacy (x integer); CREATE INDEX legacy_note_idx ON legacy (x)")
        .await;
    let err = restore(&db, "legacy").await.unwrap_err();
    assert!(matches!(err, QuarantineError::Conflict { .. }), "{err}");
    db.exec("DROP TABLE legacy").await;
    restore(&db, "legacy").await.unwrap();
    let back = rows(&db, "SELECT id, note FROM legacy ORDER BY id").await;
    assert_eq!(
        back,
        [
            vec![Value::Int(1), text("kept")],
            vec![Value::Int(2), text("also")]
        ]
    );
    assert!(quarantined(&db).await.is_empty());
}

#[tokio::test]
async fn orphan_tables_move_aside_on_sqlite() {
    orphan_tables_move_aside(Backend::Sqlite).await;
}

#[tokio::test]
async fn orphan_tables_move_aside_on_postgres() {
    orphan_tables_move_aside(Backend::Postgres).await;
}

#[tokio::test]
async fn orphan_tables_move_aside_on_mariadb() {
    orphan_tables_move_aside(Backend::Mysql).await;
}
