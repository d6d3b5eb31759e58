//! What SQLite has beyond tables, columns, keys and views — triggers,
//! `WITHOUT ROWID` and `STRICT` tables, generated columns, columns declared
//! without a type, rowid aliases declared NOT NULL or not, partial indexes
//! with any `WHERE` — found when it differs, not found when it does not,
//! and converged with rows present: after the fix, the database reads back
//! as the expected one and keeps its data.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use driftless_fixer::{Orphans, PlanOptions, Safety};
use driftless_model::Snapshot;
use driftless_testkit::{Backend, TestDb};
use support::*;

/// Checks one case: the expected statements run twice find nothing; run
/// against `actual` (with its rows) the rules find exactly `finds` (rule
/// ids); the fix converges, and the database then reads back as the
/// expected one, table by table and trigger by trigger. Returns the fixed
/// database.
async fn case(expected_sql: &str, actual_sql: &str, finds: &[&str]) -> (TestDb, Snapshot) {
    let expected = snapshot(&db_with(Backend::Sqlite, expected_sql).await).await;
    let same = snapshot(&db_with(Backend::Sqlite, expected_sql).await).await;
    let none = findings(&expected, &same);
    assert!(none.is_empty(), "the same schema: {}", describe(&none));

    let db = db_with(Backend::Sqlite, actual_sql).await;
    let found = findings(&expected, &snapshot(&db).await);
    let mut rules: Vec<&str> = found.iter().map(|f| f.rule.as_str()).collect();
    rules.sort_unstable();
    rules.dedup();
    assert_eq!(rules, finds, "{}", describe(&found));

    let options = PlanOptions::default()
        .with_orphans(Orphans::Drop)
        .with_allow(Safety::DataLoss);
    let fixed = fix(&db, &expected, &options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        fixed.left.is_empty(),
        "not converged:\n{}\n--- plan\n{}",
        describe(&fixed.left),
        fixed.plan.to_sql()
    );
    let after = snapshot(&db).await;
    assert_eq!(after.objects, expected.objects, "{}", fixed.plan.to_sql());
    assert_eq!(
        after.schemas["main"].tables,
        expected.schemas["main"].tables,
        "{}",
        fixed.plan.to_sql()
    );
    (db, expected)
}

async fn text(db: &TestDb, sql: &str) -> Vec<Option<String>> {
    rows(db, sql)
        .await
        .into_iter()
        .map(|r| r[0].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn triggers_are_created_dropped_and_replaced_around_a_rebuild() {
    let tables = |status: &str| {
        format!(
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT{status}, updated_at TEXT);
             CREATE TABLE audit (what TEXT);
             CREATE VIEW open_orders AS SELECT id, status FROM orders WHERE status = 'new';
             CREATE TRIGGER open_insert INSTEAD OF INSERT ON open_orders
               BEGIN INSERT INTO orders (status) VALUES ('new'); END;"
        )
    };
    let expected = format!(
        "{}
         CREATE TRIGGER orders_touch AFTER UPDATE OF status ON orders
           BEGIN UPDATE orders SET updated_at = 'touched' WHERE id = NEW.id; END;
         CREATE TRIGGER orders_log AFTER INSERT ON orders
           WHEN NEW.status IS NOT NULL
           BEGIN INSERT INTO audit VALUES ('new ' || NEW.id); END;",
        tables(" NOT NULL")
    );
    let actual = format!(
        "{}
         CREATE TRIGGER orders_log AFTER INSERT ON orders
           BEGIN INSERT INTO audit VALUES ('added ' || NEW.id); END;
         CREATE TRIGGER orders_gone AFTER DELETE ON orders
           BEGIN INSERT INTO audit VALUES ('gone'); END;
         INSERT INTO orders (id, status) VALUES (1, 'new'), (2, 'paid');",
        tables("")
    );
    let (db, _) = case(
        &expected,
        &actual,
        &[
            "missing-object",
            "nullability-mismatch",
            "object-mismatch",
            "orphan-object",
        ],
    )
    .await;
    // The triggers do what the expected ones do, the dropped one nothing
    // (the first two rows were logged by the trigger the fix replaced).
    db.exec(
        "INSERT INTO open_orders (id, status) VALUES (NULL, NULL);
         UPDATE orders SET status = 'paid' WHERE id = 1;
         DELETE FROM orders WHERE id = 2",
    )
    .await;
    assert_eq!(
        text(&db, "SELECT what FROM audit ORDER BY rowid").await,
        ["added 1", "added 2", "new 3"].map(|s| Some(s.to_string()))
    );
    assert_eq!(
        text(&db, "SELECT updated_at FROM orders ORDER BY id").await,
        [Some("touched".to_string()), None]
    );
}

#[tokio::test]
async fn without_rowid_and_strict_tables_are_rebuilt_with_their_rows() {
    let (db, _) = case(
        "CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;
         CREATE TABLE typed (id INTEGER PRIMARY KEY, n INTEGER, t TEXT) STRICT;
         CREATE TABLE both_ways (k INTEGER PRIMARY KEY, v ANY) STRICT, WITHOUT ROWID;
         CREATE TABLE loose (id INTEGER PRIMARY KEY, n INTEGER);
         CREATE INDEX typed_n ON typed (n) WHERE n IN (1, 2, 3)",
        "CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT);
         CREATE TABLE typed (id INTEGER PRIMARY KEY, n INTEGER, t TEXT);
         CREATE TABLE both_ways (k INTEGER PRIMARY KEY, v ANY) STRICT;
         CREATE TABLE loose (id INTEGER PRIMARY KEY, n INTEGER) STRICT;
         CREATE INDEX typed_n ON typed (n) WHERE n IN (1, 2, 3);
         INSERT INTO kv VALUES ('a', 'x'), ('b', 'y');
         INSERT INTO typed VALUES (1, 2, 'two');
         INSERT INTO both_ways VALUES (7, x'00ff');
         INSERT INTO loose VALUES (1, 5)",
        &["nullability-mismatch", "table-option-mismatch"],
    )
    .await;
    assert_eq!(
        text(&db, "SELECT k || v FROM kv ORDER BY k").await,
        [Some("ax".to_string()), Some("by".to_string())]
    );
    assert_eq!(
        text(&db, "SELECT hex(v) FROM both_ways").await,
        [Some("00FF".to_string())]
    );
    assert_eq!(
        text(&db, "SELECT t FROM typed WHERE n = 2").await,
        [Some("two".to_string())]
    );
    // STRICT holds: a value of the wrong type is refused.
    let mut c = open(&db).await;
    assert!(c
        .execute("INSERT INTO typed VALUES (2, 'not a number', 'x')", "test")
        .await
        .is_err());
}

#[tokio::test]
async fn generated_untyped_and_rowid_columns_keep_their_declarations() {
    let (db, _) = case(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a, b BLOB, price REAL,
           total REAL GENERATED ALWAYS AS (price * 2) STORED, label AS (upper(a)));
         CREATE TABLE u (id INTEGER NOT NULL PRIMARY KEY, v);
         CREATE TABLE w (id INTEGER PRIMARY KEY, x TEXT, payload);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, price REAL,
           total REAL GENERATED ALWAYS AS (price * 3) STORED);
         CREATE TABLE u (id INTEGER PRIMARY KEY, v INT);
         CREATE TABLE w (id INTEGER PRIMARY KEY, x INT, payload);
         INSERT INTO t (id, a, price) VALUES (1, 'ab', 1.5);
         INSERT INTO u VALUES (1, 2);
         INSERT INTO w VALUES (1, 2, x'01')",
        &[
            "column-identity-mismatch",
            "column-type-mismatch",
            "missing-column",
            "nullability-mismatch",
        ],
    )
    .await;
    assert_eq!(
        text(&db, "SELECT a || ' ' || total || ' ' || label FROM t").await,
        [Some("ab 3.0 AB".to_string())]
    );
    assert_eq!(
        text(&db, "SELECT typeof(v) || typeof(payload) FROM u, w").await,
        [Some("integerblob".to_string())]
    );
}

#[tokio::test]
async fn partial_indexes_with_any_where_are_created_and_replaced() {
    let indexes = "CREATE INDEX p_open ON p (status) WHERE status IN ('new', 'paid');
         CREATE INDEX p_big ON p (n) WHERE abs(n) > 10 AND status NOT IN ('x', 'y');
         CREATE UNIQUE INDEX p_expr ON p (lower(status), n)
           WHERE n BETWEEN 1 AND 5 OR (status LIKE 'a%' AND n IS NOT NULL);
         CREATE INDEX q_any ON q (v) WHERE v IN (1, 2) OR CAST(v AS TEXT) GLOB '[0-9]*';";
    let (db, _) = case(
        &format!(
            "CREATE TABLE p (id INTEGER PRIMARY KEY, status TEXT, n INTEGER);
             CREATE TABLE q (id INTEGER PRIMARY KEY, v INTEGER NOT NULL DEFAULT 0);
             {indexes}"
        ),
        "CREATE TABLE p (id INTEGER PRIMARY KEY, status TEXT, n INTEGER);
         CREATE TABLE q (id INTEGER PRIMARY KEY, v INTEGER);
         CREATE INDEX p_open ON p (status) WHERE status IN ('new');
         INSERT INTO p VALUES (1, 'new', 1), (2, 'a', 20);
         INSERT INTO q VALUES (1, 3)",
        &[
            "default-mismatch",
            "index-mismatch",
            "missing-index",
            "nullability-mismatch",
        ],
    )
    .await;
    assert_eq!(
        text(&db, "SELECT group_concat(id) FROM p").await,
        [Some("1,2".to_string())]
    );
}
