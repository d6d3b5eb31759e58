//! Shared by the reliability tests of the `driftless` binary (`faults`,
//! `concurrency`, `read_only`, `resources`): running the binary as a child
//! process, signalling it, holding locks on side connections, and reading
//! a database's state (schema snapshot and row counts); and by the Django
//! tests (`frameworks`, `django_app`): the story's production, built by
//! Django.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::future::Future;
use std::process::Stdio;
use std::time::{Duration, Instant};

use driftless_introspect::{ConnectOptions, Database, DbUrl, IntrospectOptions};
use driftless_model::{Dialect, Snapshot};
use driftless_testkit::{Backend, TestDb};
use tokio::process::{Child, Command};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_driftless");

/// How a run of the binary ended.
#[derive(Debug)]
pub struct Run {
    /// Exit code; `None` when a signal ended the process.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Everything the run printed.
    pub fn output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// A `driftless` command with a clean environment (no DATABASE_URL, no
/// log filter, no colour).
pub fn command(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args);
    clean_environment(&mut c);
    c
}

/// A `driftless` command as [`command`] makes it, started through `sh`
/// with at most `kib` KiB of address space (`ulimit -v`): a run that
/// would read without end fails fast instead of swamping the machine.
pub fn command_with_memory_limit(args: &[&str], kib: u64) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
        .arg(BIN)
        .args(args);
    clean_environment(&mut c);
    c
}

fn clean_environment(c: &mut Command) {
    c.env_remove("DATABASE_URL")
        .env_remove("DRIFTLESS_LOG")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
}

/// Runs `driftless args` to completion.
pub async fn driftless(args: &[&str]) -> Run {
    finish(command(args).spawn().expect("start driftless")).await
}

/// Starts `driftless args` in the background.
pub fn spawn(args: &[&str]) -> Child {
    command(args).spawn().expect("start driftless")
}

/// Waits for a child started with [`spawn`] and collects its output.
pub async fn finish(child: Child) -> Run {
    let out = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("driftless finished within 2 minutes")
        .expect("wait for driftless");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Sends `signal` (`TERM`, `INT`, `KILL`) to a running child, with kill(1).
pub fn signal(child: &Child, signal: &str) {
    let pid = child.id().expect("the child is still running");
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {pid}");
}

/// The non-empty lines of stderr.
pub fn stderr_lines(run: &Run) -> Vec<&str> {
    run.stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect()
}

/// Exit 2 and exactly one message on stderr, `error: …`, containing every
/// needle; no panic, no backtrace. Returns the message.
pub fn one_error<'a>(run: &'a Run, needles: &[&str]) -> &'a str {
    assert_eq!(run.code, Some(2), "exit code 2: {run:#?}");
    let lines = stderr_lines(run);
    assert_eq!(lines.len(), 1, "one message on stderr: {run:#?}");
    let line = lines[0];
    assert!(line.starts_with("error: "), "{run:#?}");
    for needle in needles {
        assert!(line.contains(needle), "`{needle}` in the message: {run:#?}");
    }
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("RUST_BACKTRACE"),
        "{run:#?}"
    );
    line
}

/// A run a signal stopped: exit `code` (130 SIGINT, 143 SIGTERM) and
/// exactly one message on stderr, `error: …`, containing every needle; no
/// panic. Returns the message.
pub fn one_stop<'a>(code: i32, run: &'a Run, needles: &[&str]) -> &'a str {
    assert_eq!(run.code, Some(code), "exit code {code}: {run:#?}");
    let lines = stderr_lines(run);
    assert_eq!(lines.len(), 1, "one message on stderr: {run:#?}");
    let line = lines[0];
    assert!(line.starts_with("error: "), "{run:#?}");
    for needle in needles {
        assert!(line.contains(needle), "`{needle}` in the message: {run:#?}");
    }
    assert!(!run.stderr.contains("panicked"), "{run:#?}");
    line
}

/// Messages that would mean a fix ran a step twice.
pub fn assert_no_duplicate_objects(run: &Run) {
    let text = run.output();
    for needle in [
        "already exists",
        "Duplicate column",
        "Duplicate key name",
        "duplicate column",
    ] {
        assert!(!text.contains(needle), "`{needle}`: {run:#?}");
    }
}

/// Opens a read-write driftless connection.
pub async fn open(url: &str) -> Database {
    Database::connect(&DbUrl::parse(url).unwrap(), &ConnectOptions::default())
        .await
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"))
}

/// Runs a query on a fresh connection and returns the first column of the
/// first row as an integer.
pub async fn scalar(url: &str, sql: &str) -> Option<i64> {
    let mut db = open(url).await;
    let rows = db
        .query(sql, "test query")
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    db.close().await.unwrap();
    rows.first()
        .and_then(|r| r.first())
        .and_then(|v| v.as_i64())
}

/// A side connection holding a lock (or an open transaction) until
/// [`Held::release`].
pub struct Held(Database);

/// Opens a connection and runs `statements` in it, one by one.
pub async fn hold(url: &str, statements: &[&str]) -> Held {
    let mut db = open(url).await;
    for sql in statements {
        run_sql(&mut db, sql).await;
    }
    Held(db)
}

/// Runs one statement: a `SELECT` as a query, anything else (`BEGIN`,
/// `LOCK TABLE`, `KILL`) as plain SQL.
pub async fn run_sql(db: &mut Database, sql: &str) {
    let result = if sql.starts_with("SELECT") {
        db.query(sql, "test statement").await.map(drop)
    } else {
        db.execute(sql, "test statement").await.map(drop)
    };
    result.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

impl Held {
    /// Ends the transaction (rollback) and closes the connection, which
    /// releases every lock it held.
    pub async fn release(mut self) {
        let _ = self.0.execute("ROLLBACK", "releasing").await;
        let _ = self.0.close().await;
    }
}

/// The lock every `driftless fix --apply` takes, held by a side connection.
pub async fn hold_fix_lock(db: &TestDb) -> Held {
    match db.backend {
        Backend::Postgres => {
            let lock = format!(
                "SELECT pg_advisory_xact_lock({})",
                driftless_fixer::PG_ADVISORY_LOCK_KEY
            );
            hold(&db.url, &["BEGIN", &lock]).await
        }
        Backend::Mysql => {
            hold(
                &db.url,
                &["SELECT GET_LOCK(LEFT(CONCAT('driftless.', DATABASE()), 64), 5)"],
            )
            .await
        }
        Backend::Sqlite => hold(&db.url, &["BEGIN IMMEDIATE"]).await,
    }
}

/// Polls `probe` every 50 ms until it returns `Some`, for at most `limit`.
pub async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The session id (PostgreSQL pid, MySQL connection id) of the statement
/// starting with `statement` that waits for a lock in `db`: a table or
/// row lock (PostgreSQL `Lock`; not the brief internal `LWLock` waits any
/// busy catalog read shows on a loaded machine).
pub async fn waiting_session(db: &TestDb, statement: &str) -> i64 {
    let sql = match db.backend {
        Backend::Postgres => format!(
            "SELECT pid::bigint FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' \
             AND query LIKE '{statement}%' ORDER BY pid"
        ),
        Backend::Mysql => format!(
            "SELECT CAST(ID AS SIGNED) FROM information_schema.PROCESSLIST \
             WHERE DB = DATABASE() AND ID <> CONNECTION_ID() \
             AND (STATE LIKE 'Waiting for%lock%' OR STATE = 'User lock') \
             AND INFO LIKE '{statement}%' ORDER BY ID"
        ),
        Backend::Sqlite => panic!("SQLite has no sessions to list"),
    };
    let url = db.url.clone();
    wait_for(
        &format!("`{statement}…` to wait for a lock in {}", db.name),
        Duration::from_secs(60),
        || {
            let (url, sql) = (url.clone(), sql.clone());
            async move { scalar(&url, &sql).await }
        },
    )
    .await
}

/// Whether no session of `db` (PostgreSQL) runs or last ran a statement
/// starting with `statement`: the fix's session has ended, e.g. after its
/// client was killed.
pub async fn no_session_running(db: &TestDb, statement: &str) -> Option<()> {
    let n = scalar(
        &db.url,
        &format!(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid() AND query LIKE '{statement}%'"
        ),
    )
    .await;
    (n == Some(0)).then_some(())
}

/// The plan towards `expected`, made by the library (four steps, see
/// [`EXPECTED`]), and a connection to `actual` to apply it on.
pub async fn library_plan(
    actual: &TestDb,
    expected: &TestDb,
) -> (Database, driftless_fixer::FixPlan) {
    let (c, p) = library_plan_of(actual, expected).await;
    assert_eq!(p.steps.len(), 4, "{}", p.to_sql());
    (c, p)
}

/// The library's plan from `actual` towards `expected` (the rules and the
/// planner as `fix` runs them), with a connection to `actual` to apply it.
pub async fn library_plan_of(
    actual: &TestDb,
    expected: &TestDb,
) -> (Database, driftless_fixer::FixPlan) {
    use driftless_rules::{Config, Context, Registry};
    let mut e = open(&expected.url).await;
    let exp = e.snapshot(&IntrospectOptions::default()).await.unwrap();
    e.close().await.unwrap();
    let mut c = open(&actual.url).await;
    let act = c.snapshot(&IntrospectOptions::default()).await.unwrap();
    let findings = Registry::builtin()
        .check(&Config::default(), &Context::new(&exp, &act))
        .findings;
    let options = driftless_fixer::PlanOptions::default();
    let p = driftless_fixer::plan(&exp, &act, &findings, &options).unwrap();
    (c, p)
}

/// A database's schema and the number of rows of each of its tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub snapshot: Snapshot,
    pub rows: BTreeMap<String, i64>,
}

/// Reads the state of `db` (ledger tables included).
pub async fn state(db: &TestDb) -> State {
    let mut c = open(&db.url).await;
    let mut options = IntrospectOptions::default();
    options.include_ledger_tables = true;
    let snapshot = c.snapshot(&options).await.unwrap();
    let mut rows = BTreeMap::new();
    for (schema, table, _) in snapshot.tables() {
        let name = qualified(snapshot.dialect, schema, table);
        let n = c
            .query(&format!("SELECT count(*) FROM {name}"), "counting rows")
            .await
            .unwrap()[0][0]
            .as_i64()
            .unwrap();
        rows.insert(name, n);
    }
    c.close().await.unwrap();
    State { snapshot, rows }
}

/// `schema.table`, quoted for `dialect`.
pub fn qualified(dialect: Dialect, schema: &str, table: &str) -> String {
    match dialect {
        Dialect::Postgres => format!(
            "\"{}\".\"{}\"",
            schema.replace('"', "\"\""),
            table.replace('"', "\"\"")
        ),
        Dialect::Mysql => format!(
            "`{}`.`{}`",
            schema.replace('`', "``"),
            table.replace('`', "``")
        ),
        Dialect::Sqlite => format!("\"{}\"", table.replace('"', "\"\"")),
    }
}

/// The name of a backend in test output.
pub fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Postgres => "PostgreSQL",
        Backend::Mysql => "MariaDB",
        Backend::Sqlite => "SQLite",
    }
}

/// A fresh database of `backend` with `sql` run in it.
pub async fn db_with(backend: Backend, sql: &str) -> TestDb {
    let db = TestDb::new(backend).await;
    db.exec(sql).await;
    db
}

/// `driftless fix --db ACTUAL --expect EXPECTED --apply` and `extra`.
pub fn fix_args<'a>(actual: &'a TestDb, expected: &'a TestDb, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "fix",
        "--db",
        actual.url.as_str(),
        "--expect",
        expected.url.as_str(),
        "--apply",
    ];
    v.extend_from_slice(extra);
    v
}

/// `driftless check`'s exit code for ACTUAL against EXPECTED.
pub async fn check_code(actual: &TestDb, expected: &TestDb) -> Option<i32> {
    driftless(&["check", "--db", &actual.url, "--expect", &expected.url])
        .await
        .code
}

/// Runs `fix --apply` and asserts that it converges (exit 0, "Converged"
/// or "Nothing to apply", no step run twice) and that `check` is clean.
pub async fn assert_rerun_converges(actual: &TestDb, expected: &TestDb) -> Run {
    let run = driftless(&fix_args(actual, expected, &[])).await;
    assert_eq!(run.code, Some(0), "the rerun converges: {run:#?}");
    assert!(
        run.stdout.contains("Converged") || run.stdout.contains("Nothing to apply"),
        "{run:#?}"
    );
    assert_no_duplicate_objects(&run);
    assert_eq!(
        check_code(actual, expected).await,
        Some(0),
        "check is clean"
    );
    run
}

// The drift the reliability tests repair: a four-step plan over two tables
// with rows.

/// The drifted tables, with `accounts` rows.
pub const SCHEMA: &str =
    "CREATE TABLE accounts (id integer PRIMARY KEY, name varchar(50) NOT NULL);
CREATE TABLE orders (id integer PRIMARY KEY, account_id integer NOT NULL, note varchar(50));
INSERT INTO accounts (id, name) VALUES (1, 'ada'), (2, 'bea'), (3, 'cy');";

/// Orders whose notes are distinct: every step of the plan can run.
pub const ORDERS: &str =
    "INSERT INTO orders (id, account_id, note) VALUES (1, 1, 'rush'), (2, 1, 'gift'), (3, 2, NULL), (4, 3, 'late')";

/// Two orders share a note: the unique index (step 4 on PostgreSQL and
/// SQLite, step 3 on MariaDB) cannot be built.
pub const DUPLICATE_ORDERS: &str =
    "INSERT INTO orders (id, account_id, note) VALUES (1, 1, 'rush'), (2, 1, 'rush'), (3, 2, NULL), (4, 3, 'late')";

/// Four steps: add accounts.login_count, add orders.total, then two
/// indexes on orders.
pub const EXPECTED: &str = "CREATE TABLE accounts (id integer PRIMARY KEY, name varchar(50) NOT NULL, login_count integer NOT NULL DEFAULT 0);
CREATE TABLE orders (id integer PRIMARY KEY, account_id integer NOT NULL, note varchar(50), total integer);
CREATE INDEX orders_account_idx ON orders (account_id);
CREATE UNIQUE INDEX orders_note_key ON orders (note)";

/// The drifted database: [`SCHEMA`] with `orders` rows.
pub async fn actual_db(backend: Backend, orders: &str) -> TestDb {
    db_with(backend, &format!("{SCHEMA}\n{orders}")).await
}

/// Follows a child's stderr line by line (logging on) while it runs.
pub struct Watched {
    child: tokio::process::Child,
    lines: tokio::sync::mpsc::UnboundedReceiver<String>,
    seen: Vec<String>,
}

impl Watched {
    pub fn spawn(args: &[&str]) -> Self {
        Self::spawn_with(args, &[("DRIFTLESS_LOG", "driftless::term=info")])
    }

    /// Starts `driftless args` with the environment variables `env`.
    pub fn spawn_with(args: &[&str], env: &[(&str, &str)]) -> Self {
        use tokio::io::AsyncBufReadExt;
        let mut cmd = command(args);
        cmd.envs(env.iter().copied());
        let mut child = cmd.spawn().expect("start driftless");
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = tokio::io::BufReader::new(stderr).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Watched {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    pub fn child(&self) -> &tokio::process::Child {
        &self.child
    }

    /// Waits for a line of stderr containing `needle`.
    pub async fn wait_line(&mut self, needle: &str) {
        let found = self.line_or_end(needle).await;
        assert!(found, "`{needle}` on stderr: {:?}", self.seen);
    }

    /// Waits for a line of stderr containing `needle` (true), or for the
    /// end of stderr, when the process ends without one (false).
    pub async fn line_or_end(&mut self, needle: &str) -> bool {
        let found = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = self.lines.recv().await {
                let hit = line.contains(needle);
                self.seen.push(line);
                if hit {
                    return true;
                }
            }
            false
        })
        .await;
        found.unwrap_or_else(|_| panic!("`{needle}` or the end within 60 s: {:?}", self.seen))
    }

    pub async fn finish(mut self) -> Run {
        let out = tokio::time::timeout(Duration::from_secs(120), self.child.wait_with_output())
            .await
            .expect("driftless finished")
            .unwrap();
        while let Some(line) = self.lines.recv().await {
            self.seen.push(line);
        }
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: self.seen.join("\n"),
        }
    }
}

// The deploy story on the Django story project (tests/frameworks/django-story),
// run by the test Python (`scripts/test-python`).

/// Runs `python ARGS` in `project` against `url`.
pub fn run_python(project: &std::path::Path, url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(driftless_testkit::python())
        .args(args)
        .current_dir(project)
        .env("DATABASE_URL", url)
        .output()
        .expect("run python")
}

/// Runs `python manage.py ARGS` in `project` against `url`.
pub fn manage(project: &std::path::Path, url: &str, args: &[&str]) {
    let args: Vec<&str> = std::iter::once("manage.py")
        .chain(args.iter().copied())
        .collect();
    let out = run_python(project, url, &args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Production as the story left it, built by Django itself.
pub fn deploy_story(project: &std::path::Path, url: &str) {
    manage(project, url, &["migrate", "-v0", "auth"]);
    manage(project, url, &["migrate", "-v0", "authentication", "0003"]);
    manage(
        project,
        url,
        &["migrate", "-v0", "--fake", "authentication", "0005"],
    );
    let sql = "INSERT INTO authentication_user (username, email, avatar) VALUES ('ann', 'ann@example.com', 'ann.png'); \
               INSERT INTO django_migrations (app, name, applied) VALUES ('authentication', '0003_alter_user_avatar_max_length', '2026-01-01 00:00:00'); \
               CREATE INDEX hand_made_email_idx ON authentication_user (email);";
    manage(project, url, &["shell", "-c", &format!("from django.db import connection\nwith connection.cursor() as c:\n    for s in {sql:?}.split(';'):\n        s.strip() and c.execute(s)")]);
}

/// `tests/frameworks/requirements.txt` as a pip constraints file written
/// into `dir` (pip takes no extras there: `name[extra]==v` becomes
/// A fresh virtualenv at `path`, made by the test Python.
pub fn fresh_venv(path: &std::path::Path) {
    let mut venv = std::process::Command::new(driftless_testkit::python());
    driftless_testkit::succeeded(venv.args(["-m", "venv"]).arg(path));
}

/// `name==v`, the extra asked for with the requirement); its path.
pub fn pinned_constraints(dir: &std::path::Path) -> std::path::PathBuf {
    let pinned = std::fs::read_to_string(
        driftless_testkit::workspace_root().join("tests/frameworks/requirements.txt"),
    )
    .expect("read the pinned frameworks");
    let file = dir.join("constraints.txt");
    std::fs::write(&file, without_extras(&pinned)).expect("write constraints.txt");
    file
}

/// `name[extra]==v` lines as `name==v`.
fn without_extras(requirements: &str) -> String {
    requirements
        .lines()
        .map(|l| match (l.find('['), l.find(']')) {
            (Some(a), Some(b)) if a < b => format!("{}{}\n", &l[..a], &l[b + 1..]),
            _ => format!("{l}\n"),
        })
        .collect()
}
