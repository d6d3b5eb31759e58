//! `driftless quarantine list|restore` end to end on each backend: after
//! `fix --apply` the orphan column is listed with the rows it holds; a
//! restore shows its plan, then (`--apply`) brings the exact values back;
//! an unknown object, or one that exists again, exits 2.

use driftless_introspect::Value;
use driftless_testkit::{Backend, TestDb};

use crate::support::*;

const EXPECTED: &str = "CREATE TABLE users (id integer PRIMARY KEY, name varchar(20) NOT NULL)";
const ACTUAL: &str = "CREATE TABLE users (id integer PRIMARY KEY, name varchar(20) NOT NULL, avatar varchar(40));
INSERT INTO users (id, name, avatar) VALUES (1, 'ada', 'a.png'), (2, 'bob', NULL), (3, 'cy', 'c.jpg')";

async fn avatars(db: &TestDb) -> Vec<Vec<Value>> {
    let mut c = open(&db.url).await;
    let rows = c
        .query("SELECT id, avatar FROM users ORDER BY id", "test query")
        .await
        .unwrap();
    c.close().await.unwrap();
    rows
}

async fn list(db: &TestDb) -> serde_json::Value {
    let run = driftless(&["quarantine", "list", "--db", &db.url, "--format", "json"]).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    crate::documents::json_document(&run.stdout)
}

async fn round_trip(backend: Backend) {
    let expected = db_with(backend, EXPECTED).await;
    let db = db_with(backend, ACTUAL).await;
    let before = avatars(&db).await;
    let run = driftless(&fix_args(&db, &expected, &[])).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(run.stdout.contains("quarantine column"), "{run:#?}");

    // Kept, counted, never drift.
    let run = driftless(&["check", "--db", &db.url, "--expect", &expected.url]).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(
        run.stdout
            .contains("1 object kept in quarantine by earlier fixes, not drift"),
        "{run:#?}"
    );
    let run = driftless(&["quarantine", "list", "--db", &db.url]).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains("users.avatar"))
        .unwrap_or_else(|| panic!("{run:#?}"));
    assert!(line.split_whitespace().nth(2) == Some("3"), "{line}");
    let doc = list(&db).await;
    let held = &doc["quarantined"][0];
    assert!(
        held["object"].as_str().unwrap().ends_with("users.avatar"),
        "{doc}"
    );
    assert_eq!(held["rows"], 3);
    assert_eq!(held["kind"], "column");
    assert_eq!(held["key"][0], "id");

    // The plan only, without --apply: nothing changes.
    let run = driftless(&["quarantine", "restore", "--db", &db.url, "users.avatar"]).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(
        run.stdout.contains("nothing applied") && run.stdout.contains("ADD COLUMN"),
        "{run:#?}"
    );
    assert_eq!(list(&db).await["quarantined"].as_array().unwrap().len(), 1);

    let run = driftless(&[
        "quarantine",
        "restore",
        "--db",
        &db.url,
        "users.avatar",
        "--apply",
    ])
    .await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(run.stdout.contains("Restored"), "{run:#?}");
    assert_eq!(avatars(&db).await, before, "the exact values are back");
    assert!(list(&db).await["quarantined"]
        .as_array()
        .unwrap()
        .is_empty());

    // Unknown now: exit 2 with one message.
    let run = driftless(&[
        "quarantine",
        "restore",
        "--db",
        &db.url,
        "users.avatar",
        "--apply",
    ])
    .await;
    one_error(&run, &["nothing quarantined is named users.avatar"]);

    // Quarantined again, and the column added back by hand: refused.
    let run = driftless(&fix_args(&db, &expected, &[])).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    db.exec("ALTER TABLE users ADD COLUMN avatar varchar(40)")
        .await;
    let run = driftless(&["quarantine", "restore", "--db", &db.url, "users.avatar"]).await;
    one_error(&run, &["cannot restore", "avatar exists again"]);
}

#[tokio::test]
async fn quarantine_list_and_restore_round_trip_on_sqlite() {
    round_trip(Backend::Sqlite).await;
}

#[tokio::test]
async fn quarantine_list_and_restore_round_trip_on_postgres() {
    round_trip(Backend::Postgres).await;
}

#[tokio::test]
async fn quarantine_list_and_restore_round_trip_on_mariadb() {
    round_trip(Backend::Mysql).await;
}
