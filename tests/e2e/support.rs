//! Shared helpers of the fixer's end-to-end tests (included with `#[path]`
//! by `fix_*.rs` and `convergence_*.rs`; not a test target of its own).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use driftless_fixer::{ApplyError, ApplyOptions, ApplyReport, FixPlan, PlanOptions};
use driftless_introspect::{ConnectOptions, Database, DbUrl, IntrospectOptions, Value};
use driftless_model::{OptIn, Snapshot};
use driftless_pipeline::{Checked, DriftCheck, GivenSchema};
use driftless_rules::{Config, Context, Finding, Registry};
use driftless_testkit::{Backend, PostgresServer, TestDb};

/// Opens a driftless connection to a test database.
pub async fn open(db: &TestDb) -> Database {
    let url = DbUrl::parse(&db.url).unwrap();
    Database::connect(&url, &ConnectOptions::default())
        .await
        .unwrap()
}

/// Reads a test database's schema.
pub async fn snapshot(db: &TestDb) -> Snapshot {
    snapshot_with(db, &IntrospectOptions::default()).await
}

/// The snapshot of `db` read with `options`.
pub async fn snapshot_with(db: &TestDb, options: &IntrospectOptions) -> Snapshot {
    let mut c = open(db).await;
    let s = c.snapshot(options).await.unwrap();
    c.close().await.unwrap();
    s
}

/// What the built-in rules report, default configuration.
pub fn findings(expected: &Snapshot, actual: &Snapshot) -> Vec<Finding> {
    Registry::builtin()
        .check(&Config::default(), &Context::new(expected, actual))
        .findings
}

/// The findings of a database made by `actual_sql` against one made by
/// `expected_sql` on `backend`, each as `line` prints it, sorted.
pub async fn found_lines(
    backend: Backend,
    expected_sql: &str,
    actual_sql: &str,
    line: fn(&Finding) -> String,
) -> Vec<String> {
    let expected = snapshot(&db_with(backend, expected_sql).await).await;
    let actual = snapshot(&db_with(backend, actual_sql).await).await;
    let mut out: Vec<String> = findings(&expected, &actual).iter().map(line).collect();
    out.sort();
    out
}

/// A fresh database of `backend` with `sql` run in it.
pub async fn db_with(backend: Backend, sql: &str) -> TestDb {
    Server::Main(backend).db_with(sql).await
}

/// Where a test makes its databases: a backend's main test server, or the
/// PostgreSQL server of one other version (`driftless_testkit::postgres_versions`).
#[derive(Debug, Clone)]
pub enum Server {
    Main(Backend),
    Postgres(PostgresServer),
}

impl Server {
    /// The kind of server.
    pub fn backend(&self) -> Backend {
        match self {
            Server::Main(backend) => *backend,
            Server::Postgres(_) => Backend::Postgres,
        }
    }

    /// A fresh database on this server with `sql` run in it.
    pub async fn db_with(&self, sql: &str) -> TestDb {
        let db = match self {
            Server::Main(backend) => TestDb::new(*backend).await,
            Server::Postgres(server) => server.test_db().await,
        };
        if !sql.trim().is_empty() {
            db.exec(sql).await;
        }
        db
    }
}

impl std::fmt::Display for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Server::Main(backend) => write!(f, "{backend:?}"),
            Server::Postgres(server) => write!(f, "PostgreSQL {}", server.major),
        }
    }
}

/// One round of check + plan + apply, through the library pipeline.
pub struct Fixed {
    pub plan: FixPlan,
    /// What applying did (`None`: the plan was empty).
    pub report: Option<ApplyReport>,
    /// The schema afterwards.
    pub after: Snapshot,
    /// What the rules still report afterwards, less the objects the model
    /// does not compare (`unmodeled-object`: listed, never repaired).
    pub left: Vec<Finding>,
}

/// Checks `db` against `expected`, plans the fix and applies it, as
/// `driftless fix --apply` does (the pipeline's check and repair).
pub async fn fix(
    db: &TestDb,
    expected: &Snapshot,
    options: &PlanOptions,
) -> Result<Fixed, ApplyError> {
    // Boxed: the check, plan and apply futures are deep, and a test's
    // future lives on its thread's stack.
    Box::pin(fix_with(db, expected, options, OptIn::default())).await
}

/// The pipeline's check of `db` against `expected` (the live schema read
/// with its table sizes, as `driftless fix` reads it).
pub async fn check(db: &TestDb, expected: &Snapshot, opt_in: OptIn) -> Checked {
    let url = DbUrl::parse(&db.url).unwrap();
    let source = GivenSchema::new(expected.clone(), "the expected schema");
    DriftCheck::new(url, Box::new(source))
        .with_connect(ConnectOptions::default(), ConnectOptions::default())
        .with_opt_in(opt_in)
        .run()
        .await
        .unwrap()
}

/// [`fix`], comparing the opt-in kinds `opt_in` asks for too (PostgreSQL
/// privileges, publications).
pub async fn fix_with(
    db: &TestDb,
    expected: &Snapshot,
    options: &PlanOptions,
    opt_in: OptIn,
) -> Result<Fixed, ApplyError> {
    Box::pin(fix_applying(
        db,
        expected,
        options,
        opt_in,
        ApplyOptions::default(),
    ))
    .await
}

/// [`fix_with`], applying with `apply` (its introspection options set to
/// the check's).
pub async fn fix_applying(
    db: &TestDb,
    expected: &Snapshot,
    options: &PlanOptions,
    opt_in: OptIn,
    apply: ApplyOptions,
) -> Result<Fixed, ApplyError> {
    let mut checked = check(db, expected, opt_in).await;
    let plan = checked.plan(options).unwrap();
    let apply = apply.with_introspect(checked.introspect());
    let repair = match checked.repair(plan, options, &apply).await {
        Ok(r) => r,
        Err(driftless_pipeline::Error::Apply(e)) => return Err(*e),
        Err(e) => panic!("{e}"),
    };
    let after = match &repair.applied {
        Some(a) => a.after.clone(),
        None => checked.actual.clone(),
    };
    Ok(Fixed {
        plan: repair.plan,
        report: repair.applied,
        after,
        left: repair
            .after
            .findings
            .into_iter()
            .filter(|f| f.rule != "unmodeled-object")
            .collect(),
    })
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
