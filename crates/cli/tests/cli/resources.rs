//! Resource bounds: the connect, lock and statement timeouts all have
//! defaults and flags, and each one expiring ends the command with one
//! clear message, exit code 2, and the database as it was.
//!
//! Peak memory is measured outside the tests, on a release build
//! (`/usr/bin/time -f %M driftless snapshot --db …`): on PostgreSQL 15 with
//! 5,100 tables, 100,482 columns and 17,488 indexes (`dlbench_5000`, built
//! by `bench/bench.py`) `snapshot` peaks at about 130 MB and `check`
//! against that snapshot at about 176 MB.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use crate::support;

use std::io::Read;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use driftless_fixer::{apply, ApplyError, ApplyOptions};
use driftless_testkit::Backend;
use support::*;

#[tokio::test]
async fn every_timeout_has_a_default_and_a_flag() {
    for cmd in ["snapshot", "check", "plan", "fix", "migrations"] {
        let run = driftless(&[cmd, "--help"]).await;
        assert_eq!(run.code, Some(0), "{run:#?}");
        let help = run.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            help.contains("--connect-timeout <SECS>") && help.contains("[default: 10]"),
            "{cmd}: {help}"
        );
    }
    let run = driftless(&["fix", "--help"]).await;
    let help = run.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains("--lock-timeout <DURATION>") && help.contains("default 10s"),
        "{help}"
    );
    assert!(
        help.contains("--statement-timeout <DURATION>") && help.contains("default 5m"),
        "{help}"
    );
    // Durations are checked when parsed.
    for (flag, value) in [
        ("--lock-timeout", "soon"),
        ("--statement-timeout", "-1s"),
        ("--connect-timeout", "0"),
    ] {
        let run = driftless(&[
            "fix",
            "--db",
            "sqlite::memory:",
            "--expect",
            "x.json",
            flag,
            value,
        ])
        .await;
        assert_eq!(run.code, Some(2), "{flag} {value}: {run:#?}");
    }
}

/// A server that accepts connections and never says a word.
fn silent_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            // Read what the client sends, answer nothing, keep it open.
            let mut buf = [0u8; 64];
            let _ = stream.set_nonblocking(true);
            let _ = stream.read(&mut buf);
            held.push(stream);
        }
    });
    port
}

#[tokio::test]
async fn connect_timeout_gives_up_on_a_silent_server() {
    let port = silent_server();
    for url in [
        format!("postgres://app:s3cret@127.0.0.1:{port}/app"),
        format!("mysql://app:s3cret@127.0.0.1:{port}/app"),
    ] {
        let run = driftless(&["--connect-timeout", "1", "snapshot", "--db", &url]).await;
        let message = one_error(
            &run,
            &["timed out after 1s connecting to", "--connect-timeout"],
        );
        assert!(!message.contains("s3cret"), "{message}");
    }
}

/// A second session that holds a lock on `accounts`, the table of step 1:
/// no step of the fix can start.
async fn block_accounts(db: &driftless_testkit::TestDb) -> Held {
    match db.backend {
        Backend::Postgres => {
            hold(
                &db.url,
                &["BEGIN", "LOCK TABLE accounts IN ACCESS SHARE MODE"],
            )
            .await
        }
        Backend::Mysql => hold(&db.url, &["BEGIN", "SELECT count(*) FROM accounts"]).await,
        Backend::Sqlite => hold_fix_lock(db).await,
    }
}

/// `--lock-timeout 1s` (or the `timeouts` given) while step 1's table
/// (SQLite: the database) is locked by another session: one clear error,
/// exit 2, nothing changed.
async fn lock_timeout_expires(backend: Backend, timeouts: &[&str]) {
    let expected = db_with(backend, EXPECTED).await;
    let actual = actual_db(backend, ORDERS).await;
    let before = state(&actual).await;
    let blocker = block_accounts(&actual).await;
    let run = driftless(&fix_args(&actual, &expected, timeouts)).await;
    match backend {
        Backend::Postgres => one_error(
            &run,
            &[
                "step 1 (add column public.accounts.login_count) failed",
                "lock timeout",
                "every change was rolled back",
            ],
        ),
        Backend::Mysql => one_error(
            &run,
            &[
                "step 1 (add column",
                "Lock wait timeout exceeded",
                "no step was completed",
            ],
        ),
        Backend::Sqlite => one_error(
            &run,
            &[
                "another driftless fix is running on this database",
                "the lock was not granted within",
            ],
        ),
    };
    blocker.release().await;
    assert_eq!(state(&actual).await, before, "nothing changed");
    assert_rerun_converges(&actual, &expected).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_timeout_expiring_changes_nothing_on_postgres() {
    lock_timeout_expires(Backend::Postgres, &["--lock-timeout", "1s"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_timeout_expiring_changes_nothing_on_mariadb() {
    lock_timeout_expires(Backend::Mysql, &["--lock-timeout", "1s"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_timeout_expiring_changes_nothing_on_sqlite() {
    lock_timeout_expires(Backend::Sqlite, &["--lock-timeout", "1s"]).await;
}

/// `--statement-timeout 1s` with a long lock timeout, while step 1 waits:
/// the statement is cancelled, one clear error, nothing changed.
async fn statement_timeout_expires(backend: Backend) {
    let expected = db_with(backend, EXPECTED).await;
    let actual = actual_db(backend, ORDERS).await;
    let before = state(&actual).await;
    let blocker = block_accounts(&actual).await;
    let run = driftless(&fix_args(
        &actual,
        &expected,
        &["--lock-timeout", "60s", "--statement-timeout", "1s"],
    ))
    .await;
    match backend {
        Backend::Postgres => one_error(
            &run,
            &[
                "step 1 (add column public.accounts.login_count) failed",
                "statement timeout",
                "every change was rolled back",
            ],
        ),
        _ => one_error(
            &run,
            &[
                "step 1 (add column",
                "max_statement_time exceeded",
                "no step was completed",
            ],
        ),
    };
    blocker.release().await;
    assert_eq!(state(&actual).await, before, "nothing changed");
    assert_rerun_converges(&actual, &expected).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_timeout_expiring_changes_nothing_on_postgres() {
    statement_timeout_expires(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_timeout_expiring_changes_nothing_on_mariadb() {
    statement_timeout_expires(Backend::Mysql).await;
}

/// Regression: with a statement timeout shorter than the lock timeout,
/// waiting for another deploy's fix lock ended with the statement timeout's
/// error ("canceling statement due to statement timeout", "max_statement_time
/// exceeded") after the statement timeout, instead of waiting the lock
/// timeout and saying another fix is running.
async fn fix_lock_wait_is_bounded_by_the_lock_timeout_alone(backend: Backend) {
    let expected = db_with(backend, EXPECTED).await;
    let actual = actual_db(backend, ORDERS).await;
    let before = state(&actual).await;
    let holder = hold_fix_lock(&actual).await;
    let run = driftless(&fix_args(
        &actual,
        &expected,
        &["--lock-timeout", "3s", "--statement-timeout", "1s"],
    ))
    .await;
    one_error(
        &run,
        &[
            "another driftless fix is running on this database",
            "the lock was not granted within 3",
        ],
    );
    holder.release().await;
    assert_eq!(state(&actual).await, before, "nothing changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fix_lock_wait_is_bounded_by_the_lock_timeout_alone_on_postgres() {
    fix_lock_wait_is_bounded_by_the_lock_timeout_alone(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fix_lock_wait_is_bounded_by_the_lock_timeout_alone_on_mariadb() {
    fix_lock_wait_is_bounded_by_the_lock_timeout_alone(Backend::Mysql).await;
}

/// How long a `Locked` message says the fix waited (`… not granted within
/// 2.1ms (…`).
fn waited(message: &str) -> Duration {
    let text = message
        .split("not granted within ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no wait in: {message}"));
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().unwrap_or_else(|_| panic!("{message}"));
    let seconds = match unit {
        "ns" => number / 1e9,
        "µs" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        other => panic!("unit `{other}` in: {message}"),
    };
    Duration::from_secs_f64(seconds)
}

/// Regression: `--lock-timeout 0` waited forever on PostgreSQL (whose
/// `lock_timeout = 0` disables the timeout), 1 s on MariaDB and not at all
/// on SQLite. Now it means *do not wait* everywhere: with another deploy's
/// fix lock held, the fix fails at once with the same error on each
/// backend, and changes nothing.
async fn zero_lock_timeout_does_not_wait_for_the_fix_lock(backend: Backend) {
    let expected = db_with(backend, EXPECTED).await;
    let actual = actual_db(backend, ORDERS).await;
    let before = state(&actual).await;
    let holder = hold_fix_lock(&actual).await;
    let run = tokio::time::timeout(
        Duration::from_secs(30),
        driftless(&fix_args(&actual, &expected, &["--lock-timeout", "0"])),
    )
    .await
    .expect("--lock-timeout 0 does not wait for the lock");
    let message = one_error(
        &run,
        &[
            "another driftless fix is running on this database",
            "the lock was not granted within",
        ],
    );
    let waited = waited(message);
    assert!(waited < Duration::from_millis(500), "{waited:?}: {message}");
    holder.release().await;
    assert_eq!(state(&actual).await, before, "nothing changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_lock_timeout_does_not_wait_for_the_fix_lock_on_postgres() {
    zero_lock_timeout_does_not_wait_for_the_fix_lock(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_lock_timeout_does_not_wait_for_the_fix_lock_on_mariadb() {
    zero_lock_timeout_does_not_wait_for_the_fix_lock(Backend::Mysql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_lock_timeout_does_not_wait_for_the_fix_lock_on_sqlite() {
    zero_lock_timeout_does_not_wait_for_the_fix_lock(Backend::Sqlite).await;
}

/// Regression (see above), for the table of step 1, locked by another
/// session (PostgreSQL: ACCESS EXCLUSIVE; MariaDB: the metadata lock of an
/// open transaction that read it): with a lock timeout of 0, step 1 fails
/// at once on both servers, and nothing stays.
async fn zero_lock_timeout_does_not_wait_for_a_table_lock(backend: Backend) {
    let expected = db_with(backend, EXPECTED).await;
    let actual = actual_db(backend, ORDERS).await;
    let before = state(&actual).await;
    let (mut db, plan) = library_plan(&actual, &expected).await;
    let blocker = match backend {
        Backend::Postgres => {
            hold(
                &actual.url,
                &["BEGIN", "LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE"],
            )
            .await
        }
        _ => hold(&actual.url, &["BEGIN", "SELECT count(*) FROM accounts"]).await,
    };
    let options = ApplyOptions::default()
        .with_lock_timeout(Duration::ZERO)
        .with_check_base(false);
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(30), apply(&mut db, &plan, &options))
        .await
        .expect("a lock timeout of 0 does not wait for the table");
    let took = started.elapsed();
    let _ = db.close().await;
    let Err(err) = result else {
        panic!("step 1 cannot run")
    };
    assert!(
        matches!(
            err,
            ApplyError::Statement {
                step: 1,
                applied_steps: 0,
                ..
            }
        ),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("lock timeout") || text.contains("Lock wait timeout exceeded"),
        "{text}"
    );
    // Before, MariaDB waited 1 s and PostgreSQL for ever.
    assert!(took < Duration::from_millis(800), "{took:?}: {text}");
    blocker.release().await;
    assert_eq!(state(&actual).await, before, "nothing changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_lock_timeout_does_not_wait_for_a_table_lock_on_postgres() {
    zero_lock_timeout_does_not_wait_for_a_table_lock(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_lock_timeout_does_not_wait_for_a_table_lock_on_mariadb() {
    zero_lock_timeout_does_not_wait_for_a_table_lock(Backend::Mysql).await;
}

/// Regression: `--statement-timeout 0` limited every statement to 1 s on
/// MariaDB and to nothing on PostgreSQL. It means no limit everywhere: a
/// step that waits for a table lock ends with the lock timeout (2 s), not
/// a statement timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_statement_timeout_is_no_limit_on_postgres() {
    let timeouts = ["--lock-timeout", "2s", "--statement-timeout", "0"];
    lock_timeout_expires(Backend::Postgres, &timeouts).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_statement_timeout_is_no_limit_on_mariadb() {
    let timeouts = ["--lock-timeout", "2s", "--statement-timeout", "0"];
    lock_timeout_expires(Backend::Mysql, &timeouts).await;
}

/// `--statement-timeout 0` is no limit on SQLite too, where the connection
/// enforces the timeout itself: a rebuild copying thousands of rows runs
/// to the end instead of being stopped at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_statement_timeout_is_no_limit_on_sqlite() {
    let expected = db_with(
        Backend::Sqlite,
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
    )
    .await;
    let actual = db_with(
        Backend::Sqlite,
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
         INSERT INTO items SELECT i, 'item ' || i FROM n",
    )
    .await;
    let run = driftless(&fix_args(&actual, &expected, &["--statement-timeout", "0"])).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(run.stdout.contains("Converged"), "{run:#?}");
    assert_eq!(
        scalar(&actual.url, "SELECT count(*) FROM items").await,
        Some(20000)
    );
}
