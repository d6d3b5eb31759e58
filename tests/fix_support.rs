//! Shared helpers of the fixer's end-to-end tests (included with `#[path]`
//! by `fix_*.rs` and `convergence_*.rs`; not a test target of its own).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use driftless_fixer::{apply, plan, ApplyError, ApplyOptions, ApplyReport, FixPlan, PlanOptions};
use driftless_introspect::{ConnectOptions, Database, DbUrl, IntrospectOptions, Snapshot, Value};
use driftless_rules::{Config, Context, Finding, Registry};
use driftless_testkit::{Backend, TestDb};

/// Opens a driftless connection to a test database.
pub async fn open(db: &TestDb) -> Database {
    let url = DbUrl::parse(&db.url).unwrap();
    Database::connect(&url, &ConnectOptions::default())
        .await
        .unwrap()
}

/// Reads a test database's schema.
pub async fn snapshot(db: &TestDb) -> Snapshot {
    let mut c = open(db).await;
    let s = c.snapshot(&IntrospectOptions::default()).await.unwrap();
    c.close().await.unwrap();
    s
}

/// What the built-in rules report, default configuration.
pub fn findings(expected: &Snapshot, actual: &Snapshot) -> Vec<Finding> {
    Registry::builtin()
        .check(&Config::default(), &Context::new(expected, actual))
        .findings
}

/// A fresh database of `backend` with `sql` run in it.
pub async fn db_with(backend: Backend, sql: &str) -> TestDb {
    let db = TestDb::new(backend).await;
    if !sql.trim().is_empty() {
        db.exec(sql).await;
    }
    db
}

/// One round of plan + apply.
pub struct Fixed {
    pub plan: FixPlan,
    pub report: ApplyReport,
    /// What the rules still report afterwards.
    pub left: Vec<Finding>,
}

/// Plans the fix of `db` towards `expected` and applies it.
pub async fn fix(
    db: &TestDb,
    expected: &Snapshot,
    options: &PlanOptions,
) -> Result<Fixed, ApplyError> {
    let mut c = open(db).await;
    let actual = c.snapshot(&IntrospectOptions::default()).await.unwrap();
    let f = findings(expected, &actual);
    let plan = plan(expected, &actual, &f, options).unwrap();
    let report = apply(&mut c, &plan, &ApplyOptions::default()).await;
    c.close().await.unwrap();
    let report = report?;
    let left = findings(expected, &report.after);
    Ok(Fixed { plan, report, left })
}

/// Runs a query and returns its rows.
pub async fn rows(db: &TestDb, sql: &str) -> Vec<Vec<Value>> {
    let mut c = open(db).await;
    let r = c.query(sql, "test query").await.unwrap();
    c.close().await.unwrap();
    r
}

/// Formats findings for assertion messages.
pub fn describe(f: &[Finding]) -> String {
    f.iter()
        .map(|f| format!("{} {}: {}", f.rule, f.object, f.message))
        .collect::<Vec<_>>()
        .join("\n")
}
