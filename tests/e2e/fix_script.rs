//! The guarded script (`FixPlan::to_script`) run by hand, twice: the first
//! run converges, the second changes nothing. On SQLite, which cannot
//! branch, a second run of a script that quarantines a column (`CREATE
//! TABLE` of its quarantine table) or adds one stops at that statement
//! and, being one transaction, changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use driftless_fixer::{plan, ApplyOptions, Orphans, PlanOptions, Safety};
use driftless_testkit::Backend;
use support::*;

const PG_EXPECTED: &str = r#"
CREATE SCHEMA billing;
CREATE TYPE billing.status AS ENUM ('open', 'paid');
CREATE TABLE billing.customers (id integer PRIMARY KEY, email text NOT NULL, CONSTRAINT customers_email_key UNIQUE (email));
CREATE TABLE billing.invoices (
    id integer PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES billing.customers (id),
    status billing.status NOT NULL DEFAULT 'open',
    amount numeric(12,2) NOT NULL CHECK (amount >= 0),
    login_count integer NOT NULL DEFAULT 0
);
CREATE INDEX invoices_customer_idx ON billing.invoices (customer_id, status);
CREATE VIEW billing.open_invoices AS SELECT id, amount FROM billing.invoices WHERE status = 'open';
"#;

const PG_ACTUAL: &str = r#"
CREATE SCHEMA billing;
CREATE TYPE billing.status AS ENUM ('paid', 'open', 'void');
CREATE TABLE billing.customers (id integer PRIMARY KEY, email varchar(100));
CREATE TABLE billing.invoices (
    id integer PRIMARY KEY,
    customer_id integer NOT NULL,
    status billing.status NOT NULL DEFAULT 'paid',
    amount numeric(10,2) NOT NULL,
    avatar text
);
CREATE TABLE billing.legacy (id integer);
CREATE VIEW billing.open_invoices AS SELECT id FROM billing.invoices;
INSERT INTO billing.customers VALUES (1, 'a@x'), (2, 'b@x');
INSERT INTO billing.invoices VALUES (1, 1, 'open', 10, 'a.png'), (2, 2, 'paid', 3, NULL);
"#;

const MY_EXPECTED: &str = r#"
CREATE TABLE customers (id int PRIMARY KEY, email varchar(190) NOT NULL, UNIQUE KEY customers_email_key (email));
CREATE TABLE invoices (
    id int PRIMARY KEY,
    customer_id int NOT NULL,
    status enum('open','paid') NOT NULL DEFAULT 'open',
    amount decimal(12,2) NOT NULL,
    login_count int NOT NULL DEFAULT 0,
    CONSTRAINT invoices_amount_chk CHECK (amount >= 0),
    CONSTRAINT invoices_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE INDEX invoices_customer_idx ON invoices (customer_id, status);
CREATE VIEW open_invoices AS SELECT id, amount FROM invoices WHERE status = 'open';
"#;

const MY_ACTUAL: &str = r#"
CREATE TABLE customers (id int PRIMARY KEY, email varchar(100));
CREATE TABLE invoices (
    id int PRIMARY KEY,
    customer_id int NOT NULL,
    status enum('paid','open','void') NOT NULL DEFAULT 'paid',
    amount decimal(10,2) NOT NULL,
    avatar text
);
CREATE TABLE legacy (id int);
CREATE VIEW open_invoices AS SELECT id FROM invoices;
INSERT INTO customers VALUES (1, 'a@x'), (2, 'b@x');
INSERT INTO invoices VALUES (1, 1, 'open', 10, 'a.png'), (2, 2, 'paid', 3, NULL);
"#;

async fn twice(backend: Backend, expected_sql: &str, actual_sql: &str) {
    let expected = snapshot(&db_with(backend, expected_sql).await).await;
    let db = db_with(backend, actual_sql).await;
    let actual = snapshot(&db).await;
    let options = PlanOptions::default()
        .with_orphans(Orphans::Quarantine)
        .with_allow(Safety::DataLoss);
    let p = plan(&expected, &actual, &findings(&expected, &actual), &options).unwrap();
    assert!(p.steps.len() > 10, "{}", p.to_sql());
    let script = p.to_script(&ApplyOptions::default());
    if let Err(e) = db.try_exec(&script).await {
        panic!("first run: {e}\n{script}");
    }
    let after = snapshot(&db).await;
    let left = findings(&expected, &after);
    assert!(
        left.is_empty(),
        "not converged:\n{}\n{script}",
        describe(&left)
    );
    if let Err(e) = db.try_exec(&script).await {
        panic!("second run: {e}\n{script}");
    }
    assert_eq!(
        snapshot(&db).await,
        after,
        "the second run changed the schema"
    );
    // One catalog row per quarantined object, however often the script ran.
    let mut c = open(&db).await;
    let held = driftless_fixer::list_quarantine(&mut c).await.unwrap();
    c.close().await.unwrap();
    assert_eq!(held.len(), 2, "{held:?}");
    let avatar = driftless_fixer::find_quarantined(&held, "invoices.avatar").unwrap();
    let kept = rows(
        &db,
        &format!(
            "SELECT COUNT(*) FROM {} WHERE avatar = 'a.png'",
            avatar.held_in()
        ),
    )
    .await;
    assert_eq!(kept[0][0].as_i64(), Some(1), "quarantined data kept");
}

#[tokio::test]
async fn postgres_script_runs_twice() {
    let expected = PG_EXPECTED
        .replace("billing.", "public.")
        .replace("CREATE SCHEMA billing;", "");
    let actual = PG_ACTUAL
        .replace("billing.", "public.")
        .replace("CREATE SCHEMA billing;", "");
    twice(Backend::Postgres, &expected, &actual).await;
}

#[tokio::test]
async fn mariadb_script_runs_twice() {
    twice(Backend::Mysql, MY_EXPECTED, MY_ACTUAL).await;
}

#[tokio::test]
async fn sqlite_script_second_run_stops_without_changes() {
    let expected = snapshot(
        &db_with(
            Backend::Sqlite,
            "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0)",
        )
        .await,
    )
    .await;
    let db = db_with(
        Backend::Sqlite,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, old TEXT); INSERT INTO t VALUES (1, 'x')",
    )
    .await;
    let actual = snapshot(&db).await;
    let p = plan(
        &expected,
        &actual,
        &findings(&expected, &actual),
        &PlanOptions::default(),
    )
    .unwrap();
    let script = p.to_script(&ApplyOptions::default());
    db.exec(&script).await;
    let after = snapshot(&db).await;
    assert!(findings(&expected, &after).is_empty());
    // The documented limit: the quarantine cannot be guarded.
    let err = db.try_exec(&script).await.unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(snapshot(&db).await, after);
}

#[tokio::test]
async fn sqlite_rebuild_script_runs_twice() {
    let expected = snapshot(
        &db_with(Backend::Sqlite, "CREATE TABLE t (id INTEGER PRIMARY KEY, n VARCHAR(10) NOT NULL CHECK (n <> ''));CREATE INDEX t_n ON t (n)").await,
    )
    .await;
    let db = db_with(
        Backend::Sqlite,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, n TEXT); INSERT INTO t VALUES (1, 'x')",
    )
    .await;
    let actual = snapshot(&db).await;
    let p = plan(
        &expected,
        &actual,
        &findings(&expected, &actual),
        &PlanOptions::default(),
    )
    .unwrap();
    assert_eq!(p.steps[0].action, "rebuild table");
    let script = p.to_script(&ApplyOptions::default());
    db.exec(&script).await;
    let after = snapshot(&db).await;
    assert!(
        findings(&expected, &after).is_empty(),
        "{}",
        describe(&findings(&expected, &after))
    );
    db.exec(&script).await;
    assert_eq!(snapshot(&db).await, after);
    assert_eq!(rows(&db, "SELECT n FROM t").await[0][0].as_str(), Some("x"));
}
