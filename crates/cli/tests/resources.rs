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

mod support;

use std::io::Read;
use std::net::TcpListener;

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

/// `--lock-timeout 1s` while step 1's table (SQLite: the database) is
/// locked by another session: one clear error, exit 2, nothing changed.
async fn lock_timeout_expires(backend: Backend) {
    let expected = db_with(backend, EXPECTED).await;
    let actual = actual_db(backend, ORDERS).await;
    let before = state(&actual).await;
    let blocker = block_accounts(&actual).await;
    let run = driftless(&fix_args(&actual, &expected, &["--lock-timeout", "1s"])).await;
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
    lock_timeout_expires(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_timeout_expiring_changes_nothing_on_mariadb() {
    lock_timeout_expires(Backend::Mysql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_timeout_expiring_changes_nothing_on_sqlite() {
    lock_timeout_expires(Backend::Sqlite).await;
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
