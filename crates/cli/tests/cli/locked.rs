//! Never stuck behind a lock, always interruptible (the real binary, real
//! servers, real signals):
//!
//! * a read behind a lock another session holds (PostgreSQL `LOCK TABLE users
//!   IN ACCESS EXCLUSIVE MODE`, a MariaDB `LOCK TABLES … WRITE` on the
//!   ledger, a SQLite writer's exclusive lock) fails within the lock
//!   timeout (`--lock-timeout`, default 5s) with exit 2, naming the table
//!   and the session holding it;
//! * SIGINT and SIGTERM while `snapshot`, `check`, `migrations` or
//!   `fix --apply` wait for such a lock, while a replay waits for one in
//!   the dev database, or while a framework's command (`--expect-cmd`)
//!   builds the dev database (the command is killed), stop the command
//!   within seconds: exit 130 / 143,
//!   one line saying what was stopped and that nothing was changed, the
//!   waiting statement cancelled on the server, the target (schema, rows,
//!   ledger) exactly as before.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use driftless_testkit::{sqlx_migrate, Backend, TestDb};

use crate::support::*;

/// What a signal may take to stop a command on a 2-core CI machine.
const PROMPT: Duration = Duration::from_secs(5);

/// A lock timeout no test waits out: only a signal ends the wait.
const LONG: &str = "120s";

/// Runs `args` and returns the run and how long it took.
async fn timed(args: &[&str]) -> (Run, Duration) {
    let started = Instant::now();
    let run = driftless(args).await;
    (run, started.elapsed())
}

/// Starts `args`, waits until one of its statements waits for a lock in
/// `waits_in`, sends `sig`, and returns the run and how long it took to
/// end after the signal.
async fn interrupted(args: &[&str], waits_in: &TestDb, sig: &str) -> (Run, Duration) {
    let child = spawn(args);
    match waits_in.backend {
        Backend::Sqlite => tokio::time::sleep(Duration::from_millis(1500)).await,
        _ => drop(waiting_session(waits_in, "").await),
    }
    stop(child, sig).await
}

/// Sends `sig` to `child` and returns its run and how long it took to end
/// after the signal.
async fn stop(child: tokio::process::Child, sig: &str) -> (Run, Duration) {
    let sent = Instant::now();
    signal(&child, sig);
    let run = finish(child).await;
    (run, sent.elapsed())
}

/// PostgreSQL: the pid holding `table` exclusively.
async fn pg_holder(db: &TestDb, table: &str) -> i64 {
    let sql = format!(
        "SELECT pid::bigint FROM pg_locks WHERE relation = '{table}'::regclass \
         AND mode = 'AccessExclusiveLock' AND granted"
    );
    scalar(&db.url, &sql).await.expect("the holder's pid")
}

/// PostgreSQL: driftless sessions of `db` still waiting for a lock (a
/// statement abandoned rather than cancelled would still wait).
async fn driftless_waiting(db: &TestDb) -> Option<()> {
    let sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
               AND application_name = 'driftless' AND wait_event_type = 'Lock'";
    (scalar(&db.url, sql).await == Some(0)).then_some(())
}

/// A table with a default and a check: reading them opens the table, so
/// a read queues behind an exclusive lock on it.
const USERS: &str =
    "CREATE TABLE users (id integer PRIMARY KEY CHECK (id > 0), email varchar(80) NOT NULL DEFAULT '')";

/// The drifted PostgreSQL database of the reliability tests with
/// [`USERS`], and its expected schema (with `USERS` too).
async fn pg_drifted() -> (TestDb, TestDb) {
    let actual = actual_db(Backend::Postgres, ORDERS).await;
    actual.exec(USERS).await;
    let expected = db_with(Backend::Postgres, &format!("{EXPECTED};\n{USERS}")).await;
    (actual, expected)
}

/// `users` held exclusively by a second session.
async fn lock_users(db: &TestDb) -> Held {
    hold(
        &db.url,
        &["BEGIN", "LOCK TABLE users IN ACCESS EXCLUSIVE MODE"],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_behind_an_exclusive_lock_name_the_table_and_its_holder_on_postgres() {
    let (actual, expected) = pg_drifted().await;
    let held = lock_users(&actual).await;
    let pid = pg_holder(&actual, "users").await;
    let session = format!("session {pid}");
    let needles = [
        "public.users",
        session.as_str(),
        "LOCK TABLE users IN ACCESS EXCLUSIVE MODE",
        "nothing was changed",
    ];
    let snapshot = ["snapshot", "--db", &actual.url, "--lock-timeout", "1s"];
    let (run, took) = timed(&snapshot).await;
    let line = one_error(&run, &needles);
    assert!(line.contains("lock timeout (1s)"), "{line}");
    assert!(
        took < Duration::from_secs(10),
        "within the timeout: {took:?}"
    );

    let check = [
        "check",
        "--db",
        &actual.url,
        "--expect",
        &expected.url,
        "--lock-timeout",
        "1s",
    ];
    let (run, took) = timed(&check).await;
    one_error(&run, &needles);
    assert!(
        took < Duration::from_secs(10),
        "within the timeout: {took:?}"
    );

    // The default: 5 seconds.
    let (run, took) = timed(&["snapshot", "--db", &actual.url]).await;
    let line = one_error(&run, &needles);
    assert!(line.contains("lock timeout (5s)"), "{line}");
    assert!(
        took >= Duration::from_millis(4500) && took < Duration::from_secs(20),
        "{took:?}"
    );
    held.release().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signals_stop_reads_and_fixes_waiting_for_a_lock_on_postgres() {
    let (actual, expected) = pg_drifted().await;
    let before = state(&actual).await;
    let held = lock_users(&actual).await;
    let runs: [(Vec<&str>, &str, i32, &str); 3] = [
        (
            vec!["snapshot", "--db", &actual.url],
            "INT",
            130,
            "received SIGINT",
        ),
        (
            vec!["check", "--db", &actual.url, "--expect", &expected.url],
            "TERM",
            143,
            "received SIGTERM",
        ),
        (
            fix_args(&actual, &expected, &[]),
            "INT",
            130,
            "received SIGINT",
        ),
    ];
    for (mut args, sig, code, reason) in runs {
        args.extend(["--lock-timeout", LONG]);
        let (run, took) = interrupted(&args, &actual, sig).await;
        one_stop(code, &run, &[reason, "nothing was changed"]);
        assert!(took < PROMPT, "{args:?} stopped promptly: {took:?}");
        // Cancelled on the server, not abandoned there (an abandoned
        // statement would wait until the lock is released, below; the
        // limit only allows for a loaded machine).
        wait_for(
            "no driftless statement waiting",
            Duration::from_secs(10),
            || driftless_waiting(&actual),
        )
        .await;
    }
    held.release().await;
    assert_eq!(state(&actual).await, before, "nothing changed");
}

/// An sqlx project on `backend`: two migrations, both applied by sqlx.
async fn sqlx_project(backend: Backend) -> (tempfile::TempDir, TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, sql: &str| std::fs::write(dir.path().join(name), sql).unwrap();
    write(
        "1_users.sql",
        "CREATE TABLE users (id integer PRIMARY KEY, name varchar(50));\n",
    );
    write(
        "2_email.sql",
        "ALTER TABLE users ADD COLUMN email varchar(80);\n",
    );
    let db = TestDb::new(backend).await;
    sqlx_migrate(backend, &db.url, dir.path()).await.unwrap();
    (dir, db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signals_stop_a_replay_waiting_in_the_dev_database_on_postgres() {
    let (dir, actual) = sqlx_project(Backend::Postgres).await;
    // Drift the fix would repair: a column the ledger says was added.
    actual.exec("ALTER TABLE users DROP COLUMN email").await;
    let dev = TestDb::postgres().await;
    let folder = dir.path().to_str().unwrap();
    let fix = [
        "fix",
        "--db",
        &actual.url,
        "--migrations",
        folder,
        "--dev-url",
        &dev.url,
        "--apply",
    ];
    // A first run marks the dev database as driftless's; the plan only.
    let run = driftless(&fix[..fix.len() - 1]).await;
    assert_eq!(run.code, Some(1), "drift found: {run:#?}");
    let before = state(&actual).await;
    let held = hold(
        &dev.url,
        &[
            "BEGIN",
            "LOCK TABLE _driftless_dev_database IN ACCESS EXCLUSIVE MODE",
        ],
    )
    .await;
    let (run, took) = interrupted(&fix, &dev, "INT").await;
    one_stop(
        130,
        &run,
        &["received SIGINT", "the dev database", "nothing was changed"],
    );
    assert!(took < PROMPT, "stopped promptly: {took:?}");
    wait_for(
        "no driftless statement waiting",
        Duration::from_secs(3),
        || driftless_waiting(&dev),
    )
    .await;
    held.release().await;
    // Schema, rows and ledger (no row written) exactly as before.
    assert_eq!(state(&actual).await, before, "nothing changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_ledger_is_named_and_signals_stop_the_wait_on_mariadb() {
    let (dir, actual) = sqlx_project(Backend::Mysql).await;
    let folder = dir.path().to_str().unwrap();
    let held = hold(&actual.url, &["LOCK TABLES _sqlx_migrations WRITE"]).await;
    let holder = scalar(
        &actual.url,
        "SELECT CAST(ID AS SIGNED) FROM information_schema.PROCESSLIST \
         WHERE DB = DATABASE() AND ID <> CONNECTION_ID()",
    )
    .await
    .expect("the holder's id");
    let session = format!("session {holder}");
    let migrations = ["migrations", "--db", &actual.url, "--migrations", folder];
    let mut args = migrations.to_vec();
    args.extend(["--lock-timeout", "1s"]);
    let (run, took) = timed(&args).await;
    let line = one_error(&run, &["_sqlx_migrations", &session, "nothing was changed"]);
    assert!(line.contains("lock timeout (1s)"), "{line}");
    assert!(
        took < Duration::from_secs(10),
        "within the timeout: {took:?}"
    );

    let mut args = migrations.to_vec();
    args.extend(["--lock-timeout", LONG]);
    let (run, took) = interrupted(&args, &actual, "TERM").await;
    one_stop(143, &run, &["received SIGTERM", "nothing was changed"]);
    assert!(took < PROMPT, "stopped promptly: {took:?}");

    // The catalog itself is not behind the table lock: snapshot reads at once.
    let (run, took) = timed(&["snapshot", "--db", &actual.url]).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    held.release().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_holding_the_file_stops_reads_on_sqlite() {
    let db = actual_db(Backend::Sqlite, ORDERS).await;
    let before = state(&db).await;
    let held = hold(&db.url, &["BEGIN EXCLUSIVE"]).await;
    let (run, took) = timed(&["snapshot", "--db", &db.url, "--lock-timeout", "1s"]).await;
    one_error(&run, &["lock timeout (1s)", "nothing was changed"]);
    assert!(
        took < Duration::from_secs(10),
        "within the timeout: {took:?}"
    );

    let snapshot = ["snapshot", "--db", &db.url, "--lock-timeout", LONG];
    let (run, took) = interrupted(&snapshot, &db, "INT").await;
    one_stop(130, &run, &["received SIGINT", "nothing was changed"]);
    assert!(took < PROMPT, "stopped promptly: {took:?}");
    held.release().await;
    assert_eq!(state(&db).await, before, "nothing changed");
}

/// Whether process `pid` still runs (a zombie, killed but not yet reaped,
/// does not).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit(')')
                .next()
                .map(|rest| !rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signals_stop_a_framework_command_building_the_dev_database() {
    let (dir, db) = sqlx_project(Backend::Sqlite).await;
    let folder = dir.path().to_str().unwrap();
    let pid_file = dir.path().join("command.pid");
    let command = format!("echo $$ > '{}'; exec sleep 60", pid_file.display());
    let child = spawn(&[
        "check",
        "--db",
        &db.url,
        "--migrations",
        folder,
        "--expect-cmd",
        &command,
    ]);
    let pid = wait_for("the command to start", Duration::from_secs(30), || {
        let text = std::fs::read_to_string(&pid_file).unwrap_or_default();
        async move { text.trim().parse::<u32>().ok() }
    })
    .await;
    let (run, took) = stop(child, "INT").await;
    let needles = [
        "received SIGINT",
        "into the dev database",
        "nothing was changed",
    ];
    one_stop(130, &run, &needles);
    assert!(took < PROMPT, "stopped promptly: {took:?}");
    wait_for("the command to be killed", Duration::from_secs(3), || {
        let alive = running(pid);
        async move { (!alive).then_some(()) }
    })
    .await;
}
