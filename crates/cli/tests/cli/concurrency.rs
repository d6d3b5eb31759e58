//! Concurrent deploys: eight `driftless fix --apply` processes started at
//! once on the same drifted database, on PostgreSQL, SQLite and MariaDB.
//! Exactly one applies the plan; the others wait for the fix lock and then
//! find nothing left to do (exit 0), or give up after the lock timeout with
//! a clear message (exit 2). No step runs twice (no duplicate-object
//! error), nothing is left half done, and `check` is clean afterwards.
//! (The library-level two-deploy race is in `tests/fix_locks.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use crate::support;

use driftless_testkit::Backend;
use support::*;

/// Processes started at once.
const DEPLOYS: usize = 8;

/// What one deploy did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// Ran the plan and converged.
    Applied,
    /// Waited for the lock, found the schema changed, planned again and
    /// found nothing left to do; converged.
    NothingLeft,
    /// Started after the fix: nothing to do; converged.
    NothingToDo,
    /// Gave up waiting for the lock, with the lock message.
    TimedOut,
}

fn outcome(run: &Run) -> Outcome {
    assert_no_duplicate_objects(run);
    match run.code {
        Some(0) if run.stdout.contains("Applied ") && run.stdout.contains("Converged") => {
            Outcome::Applied
        }
        Some(0) if run.stdout.contains("Nothing left") && run.stdout.contains("Converged") => {
            Outcome::NothingLeft
        }
        Some(0) if run.stdout.contains("Nothing to apply") && run.stdout.contains("Converged") => {
            Outcome::NothingToDo
        }
        Some(2) => {
            one_error(
                run,
                &[
                    "another driftless fix is running on this database",
                    "retry when it has finished",
                ],
            );
            Outcome::TimedOut
        }
        _ => panic!("unexpected outcome: {run:#?}"),
    }
}

async fn eight_deploys_at_once(backend: Backend) {
    let expected = db_with(backend, EXPECTED).await;
    let actual = actual_db(backend, ORDERS).await;
    let rows_before = state(&actual).await.rows;

    let children: Vec<_> = (0..DEPLOYS)
        .map(|_| spawn(&fix_args(&actual, &expected, &["--lock-timeout", "60s"])))
        .collect();
    let mut runs = Vec::new();
    for child in children {
        runs.push(finish(child).await);
    }
    let mut outcomes: Vec<Outcome> = runs.iter().map(outcome).collect();
    outcomes.sort();
    let count = |o: Outcome| outcomes.iter().filter(|x| **x == o).count();
    println!(
        "SUMMARY {}: {DEPLOYS} concurrent `fix --apply`: {} applied the plan, {} waited for the lock and found nothing left to do, {} found nothing to do, {} timed out waiting for the lock",
        backend_name(backend),
        count(Outcome::Applied),
        count(Outcome::NothingLeft),
        count(Outcome::NothingToDo),
        count(Outcome::TimedOut)
    );
    assert_eq!(count(Outcome::Applied), 1, "exactly one applies: {runs:#?}");
    let applied = runs.iter().find(|r| r.stdout.contains("Applied ")).unwrap();
    assert!(
        applied.stdout.contains("Applied 4 step(s)"),
        "the whole plan, once: {applied:#?}"
    );

    // No partial state: the schema is the expected one, every row is kept.
    assert_eq!(check_code(&actual, &expected).await, Some(0));
    let after = state(&actual).await;
    let mut rows = rows_before.clone();
    for (table, n) in &after.rows {
        assert_eq!(rows.remove(table), Some(*n), "rows of {table}");
    }
    assert!(rows.is_empty(), "tables gone: {rows:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_deploys_at_once_on_postgres() {
    eight_deploys_at_once(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_deploys_at_once_on_sqlite() {
    eight_deploys_at_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_deploys_at_once_on_mariadb() {
    eight_deploys_at_once(Backend::Mysql).await;
}

/// While another fix holds the lock longer than their lock timeout, all
/// eight deploys give up with the lock message and change nothing.
async fn eight_deploys_time_out_clearly(backend: Backend) {
    let expected = db_with(backend, EXPECTED).await;
    let actual = actual_db(backend, ORDERS).await;
    let before = state(&actual).await;
    let holder = hold_fix_lock(&actual).await;
    let children: Vec<_> = (0..DEPLOYS)
        .map(|_| spawn(&fix_args(&actual, &expected, &["--lock-timeout", "1s"])))
        .collect();
    let mut runs = Vec::new();
    for child in children {
        runs.push(finish(child).await);
    }
    for run in &runs {
        assert_eq!(outcome(run), Outcome::TimedOut, "{run:#?}");
        one_error(run, &["the lock was not granted within"]);
    }
    println!(
        "SUMMARY {}: {DEPLOYS} concurrent `fix --apply` while the lock was held: {DEPLOYS} timed out with the lock message",
        backend_name(backend)
    );
    holder.release().await;
    assert_eq!(state(&actual).await, before, "nothing changed");
    assert_rerun_converges(&actual, &expected).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_deploys_time_out_clearly_on_postgres() {
    eight_deploys_time_out_clearly(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_deploys_time_out_clearly_on_sqlite() {
    eight_deploys_time_out_clearly(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_deploys_time_out_clearly_on_mariadb() {
    eight_deploys_time_out_clearly(Backend::Mysql).await;
}
