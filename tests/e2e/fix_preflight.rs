//! Checks that run before anything is applied: a NOT NULL column without a
//! default for a table with rows is refused with what to do instead; a type
//! change that can lose data says how many rows it affects.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use driftless_fixer::{
    apply, plan, preflight, ApplyError, ApplyOptions, PlanOptions, PreflightKind, Safety,
};
use driftless_introspect::IntrospectOptions;
use driftless_testkit::Backend;
use support::*;

async fn not_null_without_default(backend: Backend) {
    let expected = snapshot(&db_with(backend, "CREATE TABLE people (id integer PRIMARY KEY, email varchar(100) NOT NULL, nick varchar(20))").await).await;
    let db = db_with(
        backend,
        "CREATE TABLE people (id integer PRIMARY KEY); INSERT INTO people (id) VALUES (1), (2)",
    )
    .await;
    let before = snapshot(&db).await;
    let mut c = open(&db).await;
    let p = plan(
        &expected,
        &before,
        &findings(&expected, &before),
        &PlanOptions::default(),
    )
    .unwrap();
    // SQLite adds a NOT NULL column without a default through a table rebuild.
    assert_eq!(
        p.steps.len(),
        if backend == Backend::Sqlite { 1 } else { 2 },
        "{}",
        p.to_sql()
    );
    let err = apply(&mut c, &p, &ApplyOptions::default())
        .await
        .unwrap_err();
    match &err {
        ApplyError::Refused { message, rows, .. } => {
            assert_eq!(*rows, 2);
            assert!(
                message.contains("email")
                    && message.contains("Give the column a default in the expected schema"),
                "{message}"
            );
            assert!(
                message.contains("add it as nullable, backfill it, then make it NOT NULL"),
                "{message}"
            );
        }
        other => panic!("expected a refusal, got {other}"),
    }
    assert!(err.to_string().contains("nothing was applied"));
    c.close().await.unwrap();
    assert_eq!(
        snapshot(&db).await,
        before,
        "refused before anything ran (not even the nullable column)"
    );

    // On an empty table the same plan applies.
    db.exec("DELETE FROM people").await;
    let fixed = fix(&db, &expected, &PlanOptions::default()).await.unwrap();
    assert!(fixed.left.is_empty(), "{}", describe(&fixed.left));
}

#[tokio::test]
async fn postgres_refuses_not_null_without_default() {
    not_null_without_default(Backend::Postgres).await;
}

#[tokio::test]
async fn mariadb_refuses_not_null_without_default() {
    not_null_without_default(Backend::Mysql).await;
}

#[tokio::test]
async fn sqlite_refuses_not_null_without_default() {
    not_null_without_default(Backend::Sqlite).await;
}

/// Narrowing `varchar(150)` to `varchar(5)` where two rows hold longer text.
async fn narrowing_counts_rows(backend: Backend) {
    let expected = snapshot(
        &db_with(
            backend,
            "CREATE TABLE tags (id integer PRIMARY KEY, label varchar(5))",
        )
        .await,
    )
    .await;
    let db = db_with(
        backend,
        "CREATE TABLE tags (id integer PRIMARY KEY, label varchar(150));
         INSERT INTO tags (id, label) VALUES (1, 'short'), (2, 'much longer'), (3, NULL), (4, 'longer still')",
    )
    .await;
    let mut c = open(&db).await;
    let actual = c.snapshot(&IntrospectOptions::default()).await.unwrap();
    let f = findings(&expected, &actual);
    let held = plan(&expected, &actual, &f, &PlanOptions::default()).unwrap();
    assert!(held.steps.is_empty());
    assert_eq!(held.withheld.len(), 1);
    assert_eq!(held.withheld[0].safety, Safety::DataLoss);

    let mut p = plan(
        &expected,
        &actual,
        &f,
        &PlanOptions::default().with_allow(Safety::DataLoss),
    )
    .unwrap();
    let outcomes = preflight(&mut c, &mut p).await.unwrap();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].kind, PreflightKind::CountAffected);
    assert_eq!(outcomes[0].rows, 2);
    assert_eq!(p.steps[0].affected_rows, Some(2));
    assert!(
        p.steps[0].reason.contains("truncates text to 5 characters")
            && p.steps[0].reason.contains("2 row(s) affected"),
        "{}",
        p.steps[0].reason
    );
    let result = apply(&mut c, &p, &ApplyOptions::default()).await;
    c.close().await.unwrap();
    match backend {
        // PostgreSQL converts with an explicit cast, which truncates.
        Backend::Postgres => {
            let report = result.unwrap();
            assert_eq!(report.preflight[0].rows, 2);
            assert!(findings(&expected, &report.after).is_empty());
            let labels = rows(&db, "SELECT label FROM tags WHERE id = 2").await;
            assert_eq!(labels[0][0].as_str(), Some("much "));
        }
        // MariaDB in strict mode refuses to truncate: the step fails and says why.
        _ => {
            let err = result.unwrap_err();
            assert!(
                matches!(err, ApplyError::Statement { step: 1, .. }),
                "{err}"
            );
            assert!(err.to_string().to_lowercase().contains("too long"), "{err}");
        }
    }
}

#[tokio::test]
async fn postgres_narrowing_counts_and_truncates() {
    narrowing_counts_rows(Backend::Postgres).await;
}

#[tokio::test]
async fn mariadb_narrowing_counts_and_refuses_to_truncate() {
    narrowing_counts_rows(Backend::Mysql).await;
}

#[tokio::test]
async fn sqlite_text_to_integer_counts_converted_rows() {
    let expected = snapshot(
        &db_with(
            Backend::Sqlite,
            "CREATE TABLE codes (id integer PRIMARY KEY, code INTEGER)",
        )
        .await,
    )
    .await;
    let db = db_with(
        Backend::Sqlite,
        "CREATE TABLE codes (id integer PRIMARY KEY, code TEXT); INSERT INTO codes VALUES (1, '007'), (2, 'abc'), (3, '12')",
    )
    .await;
    let mut c = open(&db).await;
    let actual = c.snapshot(&IntrospectOptions::default()).await.unwrap();
    let mut p = plan(
        &expected,
        &actual,
        &findings(&expected, &actual),
        &PlanOptions::default().with_allow(Safety::DataLoss),
    )
    .unwrap();
    assert_eq!(p.steps[0].safety, Safety::DataLoss);
    let outcomes = preflight(&mut c, &mut p).await.unwrap();
    // '007' becomes 7; 'abc' stays text; '12' becomes 12 unchanged in meaning.
    assert_eq!(outcomes[0].rows, 1, "{outcomes:?}");
    let report = apply(&mut c, &p, &ApplyOptions::default()).await.unwrap();
    c.close().await.unwrap();
    assert!(findings(&expected, &report.after).is_empty());
    assert_eq!(
        rows(&db, "SELECT COUNT(*) FROM codes").await[0][0].as_i64(),
        Some(3)
    );
}

/// A table rebuilt as STRICT (or a STRICT table whose column changes type)
/// refuses, before anything runs, when rows hold values STRICT would not
/// take: each column's count is exact (the values SQLite converts are not
/// counted), the refusal names the table and the column, and nothing is
/// applied. Once the values are converted, the same plan applies.
#[tokio::test]
async fn sqlite_strict_rebuild_refuses_values_of_another_type() {
    let expected = snapshot(
        &db_with(
            Backend::Sqlite,
            "CREATE TABLE readings (id INTEGER PRIMARY KEY, n INTEGER, r REAL, t TEXT, b BLOB, a ANY) STRICT;
             CREATE TABLE counters (id INTEGER PRIMARY KEY, v INTEGER) STRICT",
        )
        .await,
    )
    .await;
    let db = db_with(
        Backend::Sqlite,
        "CREATE TABLE readings (id INTEGER PRIMARY KEY, n, r, t, b, a);
         INSERT INTO readings VALUES
           (1, '12', '1e3', 5, x'00', 'x'),
           (2, 2.0, ' 7', 1.5, NULL, x'01'),
           (3, 'abc', 'x', x'02', 'text', NULL),
           (4, 1.5, x'03', NULL, 4, 2),
           (5, '12abc', 2, 't', 2.5, 3.5);
         CREATE TABLE counters (id INTEGER PRIMARY KEY, v TEXT) STRICT;
         INSERT INTO counters VALUES (1, '10'), (2, 'ten'), (3, '1.0')",
    )
    .await;
    let mut c = open(&db).await;
    let before = c.snapshot(&IntrospectOptions::default()).await.unwrap();
    let options = PlanOptions::default().with_allow(Safety::DataLoss);
    let mut p = plan(&expected, &before, &findings(&expected, &before), &options).unwrap();
    let outcomes = preflight(&mut c, &mut p).await.unwrap();
    let mut refused: Vec<(String, u64)> = outcomes
        .iter()
        .filter(|o| o.kind == PreflightKind::RefuseIfAny && o.rows > 0)
        .map(|o| {
            let column = o.message.split("in column ").nth(1).unwrap_or("");
            let column = column.split(' ').next().unwrap_or("");
            let table = if o.message.contains("main.readings") {
                "readings"
            } else {
                "counters"
            };
            (format!("{table}.{column}"), o.rows)
        })
        .collect();
    refused.sort();
    // n: 'abc', 1.5, '12abc'; r: 'x', x'03'; t: x'02'; b: 'text', 4, 2.5;
    // counters.v: 'ten' ('1.0' becomes 1); ANY takes everything.
    assert_eq!(
        refused,
        [
            ("counters.v", 1),
            ("readings.b", 3),
            ("readings.n", 3),
            ("readings.r", 2),
            ("readings.t", 1),
        ]
        .map(|(c, n)| (c.to_string(), n)),
        "{outcomes:#?}"
    );
    let err = apply(&mut c, &p, &ApplyOptions::default())
        .await
        .unwrap_err();
    match &err {
        ApplyError::Refused { message, rows, .. } => {
            assert!(
                message.contains("refusing to rebuild main.") && message.contains("as STRICT"),
                "{message}"
            );
            assert!(*rows > 0);
        }
        other => panic!("expected a refusal, got {other}"),
    }
    assert!(err.to_string().contains("nothing was applied"), "{err}");
    c.close().await.unwrap();
    assert_eq!(snapshot(&db).await, before, "nothing ran");

    db.exec(
        "UPDATE readings SET n = NULL WHERE id IN (3, 4, 5);
         UPDATE readings SET r = NULL WHERE id IN (3, 4);
         UPDATE readings SET t = NULL WHERE id = 3;
         UPDATE readings SET b = NULL WHERE id IN (3, 4, 5);
         UPDATE counters SET v = '11' WHERE id = 2",
    )
    .await;
    let fixed = fix(&db, &expected, &options).await.unwrap();
    assert!(fixed.left.is_empty(), "{}", describe(&fixed.left));
    assert_eq!(
        rows(
            &db,
            "SELECT typeof(n) || typeof(r) || typeof(t) FROM readings WHERE id = 1"
        )
        .await[0][0]
            .as_str(),
        Some("integerrealtext")
    );
}
