//! The rules and the fixer pair schemas the same way: on MySQL/MariaDB and
//! SQLite, where a connection reaches one schema, the one schema of each
//! side pairs with the other whatever their names — a check of database
//! `a` against a snapshot of database `b` reports drift in `a`, and the
//! plan repairs it there.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use driftless_fixer::PlanOptions;
use driftless_model::{ObjectKind, Snapshot};
use driftless_testkit::{Backend, TestDb};
use support::*;

const EXPECTED: &str = "CREATE TABLE t (id integer PRIMARY KEY, b integer NOT NULL DEFAULT 0);
     CREATE TABLE u (id integer PRIMARY KEY)";
const ACTUAL: &str = "CREATE TABLE t (id integer PRIMARY KEY, c integer);
     INSERT INTO t (id, c) VALUES (1, 7)";

/// Checks `db` (whose one schema is `schema`) against `expected` (whose one
/// schema has another name), plans, applies, and checks again.
async fn pairs_the_single_schemas(db: &TestDb, schema: &str, expected: &Snapshot) {
    let actual = snapshot(db).await;
    assert_eq!(actual.schemas.keys().collect::<Vec<_>>(), [schema]);
    assert!(!expected.schemas.contains_key(schema));

    // The rules: drift inside the paired schema, named as the database
    // names it; no schema missing, none an orphan.
    let found = findings(expected, &actual);
    let mut seen: Vec<(&str, String)> = found
        .iter()
        .map(|f| (f.rule.as_str(), f.object.path()))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("missing-column", format!("{schema}.t.b")),
            ("missing-table", format!("{schema}.u")),
            ("orphan-column", format!("{schema}.t.c")),
        ],
        "{}",
        describe(&found)
    );
    assert!(found.iter().all(|f| f.object.kind != ObjectKind::Schema));

    // The fixer: every finding fixed, in the same schema.
    let options = PlanOptions::default();
    let plan = driftless_fixer::plan(expected, &actual, &found, &options).unwrap();
    assert!(plan.unfixed.is_empty(), "{:?}", plan.unfixed);
    assert!(plan.withheld.is_empty(), "{}", plan.to_sql());
    let mut steps: Vec<(&str, String)> = plan
        .steps
        .iter()
        .map(|s| (s.action.as_str(), s.object.path()))
        .collect();
    steps.sort();
    assert!(
        steps.contains(&("create table", format!("{schema}.u"))),
        "{steps:?}"
    );
    assert!(
        plan.steps.iter().all(|s| s.object.schema == schema),
        "{steps:?}"
    );

    // Applied, the drift is gone and a second plan is empty.
    let fixed = fix(db, expected, &options).await.unwrap();
    assert!(
        fixed.left.is_empty(),
        "not converged:\n{}\n{}",
        describe(&fixed.left),
        fixed.plan.to_sql()
    );
    assert_eq!(rows(db, "SELECT b FROM t").await.len(), 1);
    let again = fix(db, expected, &options).await.unwrap();
    assert!(again.plan.steps.is_empty(), "{}", again.plan.to_sql());
}

#[tokio::test]
async fn mariadb_database_checked_against_a_snapshot_of_another() {
    let other = db_with(Backend::Mysql, EXPECTED).await;
    let expected = snapshot(&other).await;
    let db = db_with(Backend::Mysql, ACTUAL).await;
    assert_ne!(other.name, db.name);
    pairs_the_single_schemas(&db, &db.name, &expected).await;
}

#[tokio::test]
async fn sqlite_main_checked_against_a_snapshot_naming_its_schema_otherwise() {
    let mut expected = snapshot(&db_with(Backend::Sqlite, EXPECTED).await).await;
    let main = expected.schemas.remove("main").unwrap();
    expected.schemas.insert("app".into(), main);
    let db = db_with(Backend::Sqlite, ACTUAL).await;
    pairs_the_single_schemas(&db, "main", &expected).await;
}
