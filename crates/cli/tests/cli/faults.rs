//! Faults injected while a fix is being applied, on PostgreSQL, SQLite and
//! MariaDB, through the real `driftless fix --apply` binary and through the
//! library's `apply`:
//!
//! * the connection is killed in the middle of the plan (another session
//!   runs `pg_terminate_backend` / `KILL` while a later step waits for a
//!   table lock and an earlier one holds its own; SQLite, which has no
//!   server session to kill, loses its process to SIGKILL instead);
//! * a statement fails on purpose half way (a unique index over duplicate
//!   data);
//! * the process receives SIGTERM or SIGINT while it waits for a lock (and
//!   SIGKILL, which cannot be handled at all);
//! * SQLite, which has neither a statement timeout nor a server to cancel a
//!   statement: a long statement runs past `--statement-timeout`, receives
//!   SIGTERM, or is killed (SIGKILL) with its journal hot, which the next
//!   read-only command must roll back.
//!
//! Afterwards PostgreSQL and SQLite are exactly as before (schema snapshot
//! and the row count of every table), MariaDB is in a state from which a
//! rerun of `fix --apply` converges, and every fault leaves a database that
//! a rerun repairs (`check` exits 0). The binary prints one message saying
//! what happened and what state the database is in. Each backend's test
//! counts its faults and prints a summary line (`--nocapture` shows it).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use crate::support;

use std::time::Duration;

use driftless_fixer::{apply, ApplyError, ApplyOptions, FixPlan, Interrupt};
use driftless_introspect::Database;
use driftless_testkit::{Backend, TestDb};
use support::*;

/// Waits that leave room for a slow machine: a fault is injected long
/// before any of them expires.
const LOCK_TIMEOUT: &str = "120s";

/// The faults injected on one backend and what each left behind.
struct Tally {
    backend: Backend,
    faults: Vec<(String, String)>,
}

impl Tally {
    fn new(backend: Backend) -> Self {
        Tally {
            backend,
            faults: Vec::new(),
        }
    }

    fn record(&mut self, fault: &str, outcome: &str) {
        println!(
            "fault on {}: {fault} -> {outcome}",
            backend_name(self.backend)
        );
        self.faults.push((fault.to_string(), outcome.to_string()));
    }

    fn summary(&self) {
        let mut outcomes: std::collections::BTreeMap<&str, usize> = Default::default();
        for (_, o) in &self.faults {
            *outcomes.entry(o.as_str()).or_default() += 1;
        }
        let outcomes: Vec<String> = outcomes.iter().map(|(o, n)| format!("{n} x {o}")).collect();
        println!(
            "SUMMARY {}: {} faults injected; outcomes: {}",
            backend_name(self.backend),
            self.faults.len(),
            outcomes.join("; ")
        );
    }
}

const EXACT: &str =
    "rolled back: schema snapshot and row counts exactly as before; the rerun converged";
const RESUMED: &str = "steps before the fault kept; the rerun continued and converged";
const UNTOUCHED: &str = "nothing changed; the rerun converged";

/// The statement of step 2 (adding orders.total), as the session list shows
/// it (a `LIKE` pattern: on MySQL the test database's name comes first).
fn step2(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "ALTER TABLE \"public\".\"orders\" ADD COLUMN \"total\"",
        Backend::Mysql => "ALTER TABLE `%`.`orders` ADD COLUMN `total`",
        Backend::Sqlite => unreachable!("SQLite has no session list"),
    }
}

/// The statement that takes the fix lock, as the session list shows it.
fn lock_statement(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "SELECT pg_advisory_xact_lock",
        Backend::Mysql => "SELECT GET_LOCK",
        Backend::Sqlite => unreachable!("SQLite has no session list"),
    }
}

/// A second session that makes step 2 wait: it has read `orders` in an
/// open transaction (PostgreSQL ACCESS SHARE lock, MariaDB metadata lock),
/// while step 1 holds its own lock on `accounts`.
async fn block_orders(db: &TestDb) -> Held {
    match db.backend {
        Backend::Postgres => {
            hold(
                &db.url,
                &["BEGIN", "LOCK TABLE orders IN ACCESS SHARE MODE"],
            )
            .await
        }
        Backend::Mysql => hold(&db.url, &["BEGIN", "SELECT count(*) FROM orders"]).await,
        Backend::Sqlite => unreachable!(),
    }
}

/// SQLite: a reader with an open transaction; the fix runs every step,
/// then its COMMIT waits for the reader.
async fn sqlite_reader(db: &TestDb) -> Held {
    hold(&db.url, &["BEGIN", "SELECT count(*) FROM orders"]).await
}

/// SQLite: waits until the fix has written its journal (it is inside its
/// transaction, every step run or running, COMMIT next).
async fn sqlite_in_transaction(db: &TestDb) {
    let journal = format!("{}-journal", db.name);
    wait_for(
        "the fix's rollback journal",
        Duration::from_secs(60),
        || {
            let found = std::path::Path::new(&journal).exists();
            async move { found.then_some(()) }
        },
    )
    .await;
    // Let it reach the COMMIT.
    tokio::time::sleep(Duration::from_millis(300)).await;
}

/// Kills (terminates) the server session `id` from another connection.
async fn kill_session(db: &TestDb, id: i64) {
    let sql = match db.backend {
        Backend::Postgres => format!("SELECT pg_terminate_backend({id})::int"),
        Backend::Mysql => format!("KILL {id}"),
        Backend::Sqlite => unreachable!(),
    };
    let mut c = open(&db.url).await;
    run_sql(&mut c, &sql).await;
    c.close().await.unwrap();
}

/// PostgreSQL and SQLite: the database is exactly as before; `check` still
/// reports the drift, and a rerun repairs it.
async fn assert_exact(fault: &str, actual: &TestDb, expected: &TestDb, before: &State) {
    let after = state(actual).await;
    assert_eq!(&after, before, "{fault}: the database is exactly as before");
    assert_eq!(
        check_code(actual, expected).await,
        Some(1),
        "{fault}: the drift is still reported"
    );
    assert_rerun_converges(actual, expected).await;
}

type ApplyTask = tokio::task::JoinHandle<Result<(), ApplyError>>;

fn spawn_apply(mut c: Database, p: FixPlan, options: ApplyOptions) -> ApplyTask {
    tokio::spawn(async move {
        let r = apply(&mut c, &p, &options).await;
        let _ = c.close().await;
        r.map(|_| ())
    })
}

fn slow_options() -> ApplyOptions {
    ApplyOptions::default().with_lock_timeout(Duration::from_secs(120))
}

// ------------------------------------------------------------ PostgreSQL

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_during_apply_on_postgres() {
    let b = Backend::Postgres;
    let expected = db_with(b, EXPECTED).await;
    let mut tally = Tally::new(b);

    // (a) The session is terminated while step 2 waits for its table lock
    // (step 1 holds the lock on accounts).
    {
        let fault = "CLI: pg_terminate_backend while step 2 waits for a lock";
        let actual = actual_db(b, ORDERS).await;
        let before = state(&actual).await;
        let blocker = block_orders(&actual).await;
        let child = spawn(&fix_args(
            &actual,
            &expected,
            &["--lock-timeout", LOCK_TIMEOUT],
        ));
        let pid = waiting_session(&actual, step2(b)).await;
        kill_session(&actual, pid).await;
        let run = finish(child).await;
        one_error(
            &run,
            &[
                "step 2 (add column public.orders.total) failed",
                "terminating connection",
                "every change was rolled back",
            ],
        );
        blocker.release().await;
        assert_exact(fault, &actual, &expected, &before).await;
        tally.record(fault, EXACT);
    }

    // (a) The same through the library.
    {
        let fault = "library: pg_terminate_backend while step 2 waits for a lock";
        let actual = actual_db(b, ORDERS).await;
        let before = state(&actual).await;
        let blocker = block_orders(&actual).await;
        let (c, p) = library_plan(&actual, &expected).await;
        let task = spawn_apply(c, p, slow_options());
        let pid = waiting_session(&actual, step2(b)).await;
        kill_session(&actual, pid).await;
        let err = task.await.unwrap().unwrap_err();
        assert!(
            matches!(
                err,
                ApplyError::Statement {
                    step: 2,
                    rolled_back: true,
                    applied_steps: 1,
                    ..
                }
            ),
            "{err}"
        );
        blocker.release().await;
        assert_exact(fault, &actual, &expected, &before).await;
        tally.record(fault, EXACT);
    }

    // (b) A statement fails half way: the unique index over duplicates.
    {
        let fault = "CLI: step 4 fails (unique index over duplicate rows)";
        let actual = actual_db(b, DUPLICATE_ORDERS).await;
        let before = state(&actual).await;
        let run = driftless(&fix_args(&actual, &expected, &[])).await;
        one_error(
            &run,
            &[
                "step 4 (create index public.orders.orders_note_key) failed",
                "could not create unique index",
                "statement: CREATE UNIQUE INDEX",
                "every change was rolled back",
            ],
        );
        assert_eq!(state(&actual).await, before, "{fault}: exactly as before");
        // Once the data is fixed, the rerun converges.
        actual
            .exec("UPDATE orders SET note = 'again' WHERE id = 2")
            .await;
        assert_rerun_converges(&actual, &expected).await;
        tally.record(fault, EXACT);
    }

    // (c) SIGTERM while step 2 waits for its table lock.
    {
        let fault = "CLI: SIGTERM while step 2 waits for a lock";
        let actual = actual_db(b, ORDERS).await;
        let before = state(&actual).await;
        let blocker = block_orders(&actual).await;
        let child = spawn(&fix_args(
            &actual,
            &expected,
            &["--lock-timeout", LOCK_TIMEOUT],
        ));
        waiting_session(&actual, step2(b)).await;
        signal(&child, "TERM");
        let run = finish(child).await;
        one_stop(
            143,
            &run,
            &[
                "received SIGTERM",
                "every change was rolled back",
                "as it was before",
            ],
        );
        // The cancelled statement no longer waits: nothing of the fix is
        // left in the server.
        wait_for("the fix's session to end", Duration::from_secs(10), || {
            no_session_running(&actual, step2(b))
        })
        .await;
        blocker.release().await;
        assert_exact(fault, &actual, &expected, &before).await;
        tally.record(fault, EXACT);
    }

    // (c) SIGINT (Ctrl-C) while waiting for another deploy's fix lock.
    {
        let fault = "CLI: SIGINT while waiting for the fix lock";
        let actual = actual_db(b, ORDERS).await;
        let before = state(&actual).await;
        let holder = hold_fix_lock(&actual).await;
        let child = spawn(&fix_args(
            &actual,
            &expected,
            &["--lock-timeout", LOCK_TIMEOUT],
        ));
        waiting_session(&actual, lock_statement(b)).await;
        signal(&child, "INT");
        let run = finish(child).await;
        one_stop(130, &run, &["received SIGINT", "as it was before"]);
        holder.release().await;
        assert_exact(fault, &actual, &expected, &before).await;
        tally.record(fault, EXACT);
    }

    // (c) SIGKILL cannot be handled: the server rolls back on its own.
    {
        let fault = "CLI: SIGKILL while step 2 waits for a lock";
        let actual = actual_db(b, ORDERS).await;
        let before = state(&actual).await;
        let blocker = block_orders(&actual).await;
        let child = spawn(&fix_args(
            &actual,
            &expected,
            &["--lock-timeout", LOCK_TIMEOUT],
        ));
        waiting_session(&actual, step2(b)).await;
        signal(&child, "KILL");
        let run = finish(child).await;
        assert_eq!(run.code, None, "killed by the signal: {run:#?}");
        // The orphaned session gets its lock once the blocker goes, and
        // ends with its client gone, without committing.
        blocker.release().await;
        wait_for(
            "the killed fix's session to end",
            Duration::from_secs(60),
            || no_session_running(&actual, step2(b)),
        )
        .await;
        assert_exact(fault, &actual, &expected, &before).await;
        tally.record(fault, EXACT);
    }

    // (c) The library's apply, interrupted while step 2 waits.
    {
        let fault = "library: Interrupt while step 2 waits for a lock";
        let actual = actual_db(b, ORDERS).await;
        let before = state(&actual).await;
        let blocker = block_orders(&actual).await;
        let (c, p) = library_plan(&actual, &expected).await;
        let interrupt = Interrupt::new();
        let task = spawn_apply(c, p, slow_options().with_interrupt(interrupt.clone()));
        waiting_session(&actual, step2(b)).await;
        interrupt.trigger("stopped by the test");
        let err = tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("the interrupted apply returns without waiting for the lock")
            .unwrap()
            .unwrap_err();
        assert!(
            matches!(
                err,
                ApplyError::Interrupted {
                    rolled_back: true,
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string().starts_with("stopped by the test: "),
            "{err}"
        );
        blocker.release().await;
        assert_exact(fault, &actual, &expected, &before).await;
        tally.record(fault, EXACT);
    }

    tally.summary();
    assert_eq!(tally.faults.len(), 7);
}

// ---------------------------------------------------------------- SQLite

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_during_apply_on_sqlite() {
    let b = Backend::Sqlite;
    let expected = db_with(b, EXPECTED).await;
    let mut tally = Tally::new(b);

    // (a) SQLite has no server session to kill: the process itself dies
    // (SIGKILL) with every step run and its COMMIT waiting for a reader.
    {
        let fault = "CLI: SIGKILL inside the transaction, COMMIT waiting for a reader";
        let actual = actual_db(b, ORDERS).await;
        let before = state(&actual).await;
        let reader = sqlite_reader(&actual).await;
        let child = spawn(&fix_args(
            &actual,
            &expected,
            &["--lock-timeout", LOCK_TIMEOUT],
        ));
        sqlite_in_transaction(&actual).await;
        signal(&child, "KILL");
        let run = finish(child).await;
        assert_eq!(run.code, None, "killed by the signal: {run:#?}");
        reader.release().await;
        // The next connection rolls the journal back.
        assert_exact(fault, &actual, &expected, &before).await;
        tally.record(fault, EXACT);
    }

    // (b) A statement fails half way.
    {
        let fault = "CLI: step 4 fails (unique index over duplicate rows)";
        let actual = actual_db(b, DUPLICATE_ORDERS).await;
        let before = state(&actual).await;
        let bytes = std::fs::read(&actual.name).unwrap();
        let run = driftless(&fix_args(&actual, &expected, &[])).await;
        one_error(
            &run,
            &[
                "step 4 (create index main.orders.orders_note_key) failed",
                "UNIQUE constraint failed",
                "statement: CREATE UNIQUE INDEX",
                "every change was rolled back",
            ],
        );
        assert_eq!(
            std::fs::read(&actual.name).unwrap(),
            bytes,
            "{fault}: the file is byte for byte the same"
        );
        assert_eq!(state(&actual).await, before);
        actual
            .exec("UPDATE orders SET note = 'again' WHERE id = 2")
            .await;
        assert_rerun_converges(&actual, &expected).await;
        tally.record(fault, EXACT);
    }

    // (c) SIGTERM with every step run and the COMMIT waiting for a reader.
    {
        let fault = "CLI: SIGTERM inside the transaction, COMMIT waiting for a reader";
        let actual = actual_db(b, ORDERS).await;
        let before = state(&actual).await;
        let bytes = std::fs::read(&actual.name).unwrap();
        let reader = sqlite_reader(&actual).await;
        let child = spawn(&fix_args(
            &actual,
            &expected,
            &["--lock-timeout", LOCK_TIMEOUT],
        ));
        sqlite_in_transaction(&actual).await;
        signal(&child, "TERM");
        let run = finish(child).await;
        one_stop(
            143,
            &run,
            &[
                "received SIGTERM",
                "every change was rolled back",
                "as it was before",
            ],
        );
        reader.release().await;
        assert_eq!(
            std::fs::read(&actual.name).unwrap(),
            bytes,
            "{fault}: rolled back to the same bytes"
        );
        assert!(
            !std::path::Path::new(&format!("{}-journal", actual.name)).exists(),
            "{fault}: no journal left behind"
        );
        assert_exact(fault, &actual, &expected, &before).await;
        tally.record(fault, EXACT);
    }

    // (c) SIGINT while waiting for another writer's lock (BEGIN IMMEDIATE).
    {
        let fault = "CLI: SIGINT while waiting for the write lock";
        let actual = actual_db(b, ORDERS).await;
        let before = state(&actual).await;
        let holder = hold_fix_lock(&actual).await;
        let mut watched = Watched::spawn(&fix_args(
            &actual,
            &expected,
            &["--lock-timeout", LOCK_TIMEOUT],
        ));
        watched.wait_line("applying 4 step(s)").await;
        // Past connecting: the fix is waiting for the lock.
        tokio::time::sleep(Duration::from_millis(800)).await;
        signal(watched.child(), "INT");
        let run = watched.finish().await;
        assert_eq!(run.code, Some(130), "{run:#?}");
        let errors: Vec<&str> = stderr_lines(&run)
            .into_iter()
            .filter(|l| !l.contains("INFO"))
            .collect();
        assert_eq!(errors.len(), 1, "one message: {run:#?}");
        assert!(
            errors[0].starts_with("error: received SIGINT")
                && errors[0].contains("as it was before"),
            "{run:#?}"
        );
        holder.release().await;
        assert_exact(fault, &actual, &expected, &before).await;
        tally.record(fault, EXACT);
    }

    // (c) The library's apply, interrupted while its COMMIT waits.
    {
        let fault = "library: Interrupt while the COMMIT waits for a reader";
        let actual = actual_db(b, ORDERS).await;
        let before = state(&actual).await;
        let reader = sqlite_reader(&actual).await;
        let (c, p) = library_plan(&actual, &expected).await;
        let interrupt = Interrupt::new();
        let task = spawn_apply(c, p, slow_options().with_interrupt(interrupt.clone()));
        sqlite_in_transaction(&actual).await;
        interrupt.trigger("stopped by the test");
        let err = tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("the interrupted apply stops waiting")
            .unwrap()
            .unwrap_err();
        assert!(
            matches!(
                err,
                ApplyError::Interrupted {
                    rolled_back: true,
                    applied_steps: 4,
                    ..
                }
            ),
            "{err}"
        );
        reader.release().await;
        assert_exact(fault, &actual, &expected, &before).await;
        tally.record(fault, EXACT);
    }

    tally.summary();
    assert_eq!(tally.faults.len(), 5);
}

// ------------------------------------------- SQLite: long statements

/// SQLite: 20,000 rows of about 1 kB. Adding [`SLOW_EXPECTED`]'s CHECK
/// constraint rebuilds the table, and its INSERT … SELECT evaluates the
/// check, about 1.5 ms a row: one statement of about half a minute, whose
/// writes outgrow SQLite's 2 MB page cache (and so make the rollback
/// journal hot) after a few seconds.
const SLOW_LIVE: &str =
    "CREATE TABLE items (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, pad TEXT NOT NULL);
WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r LIMIT 20000)
INSERT INTO items SELECT x, x, hex(zeroblob(500)) FROM r";

/// [`SLOW_LIVE`] with a CHECK constraint that is slow to evaluate.
const SLOW_EXPECTED: &str =
    "CREATE TABLE items (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, pad TEXT NOT NULL,
CHECK (length(hex(zeroblob(1000000 + n % 2))) > 0))";

/// The first bytes of a rollback journal SQLite has synced (and would roll
/// back after a crash); until then they are zero.
const HOT_JOURNAL_MAGIC: [u8; 8] = [0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7];

/// The SQLite database, its state and its bytes, for a slow fix.
async fn slow_sqlite() -> (TestDb, TestDb, State, Vec<u8>) {
    let expected = db_with(Backend::Sqlite, SLOW_EXPECTED).await;
    let actual = db_with(Backend::Sqlite, SLOW_LIVE).await;
    let before = state(&actual).await;
    let bytes = std::fs::read(&actual.name).unwrap();
    (expected, actual, before, bytes)
}

/// Regression: SQLite statements ignored `--statement-timeout` (SQLite
/// has no such setting, and nothing enforced it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_sqlite_statement_longer_than_the_statement_timeout_is_interrupted() {
    let (expected, actual, before, bytes) = slow_sqlite().await;
    let started = std::time::Instant::now();
    let run = tokio::time::timeout(
        Duration::from_secs(60),
        driftless(&fix_args(
            &actual,
            &expected,
            &["--statement-timeout", "300ms"],
        )),
    )
    .await
    .expect("the fix stops at its statement timeout, not at the end of the statement");
    one_error(
        &run,
        &[
            "step 1 (rebuild table main.items) failed",
            "interrupted: it ran longer than the statement timeout (300ms)",
            "statement: INSERT INTO",
            "every change was rolled back",
        ],
    );
    assert!(started.elapsed() < Duration::from_secs(20), "{run:#?}");
    assert_eq!(
        std::fs::read(&actual.name).unwrap(),
        bytes,
        "the same bytes"
    );
    assert_eq!(state(&actual).await, before);
}

/// Regression: SIGTERM did not stop a fix whose SQLite statement was
/// running: the apply waited for the statement to end (SQLite has no
/// server to cancel it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_sigterm_stops_a_long_sqlite_statement_promptly() {
    let (expected, actual, before, bytes) = slow_sqlite().await;
    let child = spawn(&fix_args(
        &actual,
        &expected,
        &["--lock-timeout", LOCK_TIMEOUT],
    ));
    // The rebuild has created its table: the long INSERT … SELECT runs.
    sqlite_in_transaction(&actual).await;
    let sent = std::time::Instant::now();
    signal(&child, "TERM");
    let run = tokio::time::timeout(Duration::from_secs(20), finish(child))
        .await
        .expect("stopped soon after SIGTERM, not at the end of the statement");
    let stopped_after = sent.elapsed();
    one_stop(
        143,
        &run,
        &[
            "received SIGTERM",
            "every change was rolled back",
            "as it was before",
        ],
    );
    assert!(stopped_after < Duration::from_secs(5), "{stopped_after:?}");
    assert_eq!(
        std::fs::read(&actual.name).unwrap(),
        bytes,
        "the same bytes"
    );
    assert!(
        !std::path::Path::new(&format!("{}-journal", actual.name)).exists(),
        "no journal left behind"
    );
    assert_eq!(state(&actual).await, before);
}

/// The library's apply, interrupted while a SQLite statement runs, and
/// with a statement timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn library_apply_stops_a_long_sqlite_statement() {
    let (expected, actual, before, _) = slow_sqlite().await;
    let plan_for = || library_plan_of(&actual, &expected);
    let (c, p) = plan_for().await;
    let interrupt = Interrupt::new();
    let task = spawn_apply(c, p, slow_options().with_interrupt(interrupt.clone()));
    sqlite_in_transaction(&actual).await;
    interrupt.trigger("stopped by the test");
    let err = tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the interrupted statement stops at once")
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(
            err,
            ApplyError::Interrupted {
                rolled_back: true,
                applied_steps: 0,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(state(&actual).await, before);

    let (c, p) = plan_for().await;
    let options = slow_options().with_statement_timeout(Duration::from_millis(300));
    let err = tokio::time::timeout(Duration::from_secs(30), spawn_apply(c, p, options))
        .await
        .expect("stopped at the statement timeout")
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(&err, ApplyError::Statement { rolled_back: true, message, .. } if message.contains("statement timeout")),
        "{err}"
    );
    assert_eq!(state(&actual).await, before);
}

/// Regression: after a SQLite fix was killed (SIGKILL) with its journal
/// hot, every command failed with "attempt to write a readonly database":
/// `check`, `plan` and `snapshot` open the database read-only, and a
/// read-only connection may not roll a hot journal back. Now the first
/// command rolls it back (saying so), and one that cannot (the file and
/// its folder are not writable) says what happened and how to recover.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_commands_after_a_sigkilled_sqlite_fix_roll_back_its_hot_journal() {
    let (expected, actual, before, bytes) = slow_sqlite().await;
    let journal = format!("{}-journal", actual.name);
    let child = spawn(&fix_args(
        &actual,
        &expected,
        &["--lock-timeout", LOCK_TIMEOUT],
    ));
    wait_for("a hot journal", Duration::from_secs(120), || {
        let hot =
            std::fs::read(&journal).is_ok_and(|b| b.len() > 512 && b[..8] == HOT_JOURNAL_MAGIC);
        async move { hot.then_some(()) }
    })
    .await;
    signal(&child, "KILL");
    let run = finish(child).await;
    assert_eq!(run.code, None, "killed by the signal: {run:#?}");

    // A copy of the pair in a folder this user may not write: the
    // journal cannot be rolled back.
    let locked = locked_copy(&actual.name, &expected.name);
    let copy = locked.path().join("test.db");
    let copy_bytes = std::fs::read(&copy).unwrap();
    let url = format!("sqlite://{}", copy.display());
    let run = run_locked(
        locked.path(),
        &["check", "--db", &url, "--expect", "sqlite://expected.db"],
    )
    .await;
    let message = one_error(
        &run,
        &[
            "a writer stopped in the middle of a transaction and left the hot journal",
            "test.db-journal",
            "Open it once as a user who may write both the file and its folder",
            "never delete the journal",
        ],
    );
    assert!(
        !message.contains("reading the SQLite catalog failed"),
        "{message}"
    );
    assert_eq!(std::fs::read(&copy).unwrap(), copy_bytes, "nothing changed");
    assert!(locked.path().join("test.db-journal").exists());
    unlock(locked);

    // The database itself: `check` rolls the journal back and reads it.
    let run = driftless(&["check", "--db", &actual.url, "--expect", &expected.url]).await;
    assert_eq!(run.code, Some(1), "the drift is reported: {run:#?}");
    assert!(run.stdout.contains("missing-check"), "{run:#?}");
    assert!(
        run.stderr
            .contains("rolled back the transaction a writer left unfinished"),
        "{run:#?}"
    );
    assert!(
        !std::path::Path::new(&journal).exists(),
        "the journal is gone"
    );
    assert_eq!(
        std::fs::read(&actual.name).unwrap(),
        bytes,
        "as before the fix"
    );
    assert_eq!(state(&actual).await, before);
    for args in [
        vec![
            "plan",
            "--db",
            actual.url.as_str(),
            "--expect",
            expected.url.as_str(),
        ],
        vec!["snapshot", "--db", actual.url.as_str()],
    ] {
        let run = driftless(&args).await;
        assert!(matches!(run.code, Some(0 | 1)), "{run:#?}");
        assert!(
            !run.stderr.contains("rolled back"),
            "once is enough: {run:#?}"
        );
    }
}

/// A folder holding copies of `database` (with its journal) and
/// `expected` (as `expected.db`), neither of which, nor the folder, the
/// user [`run_locked`] runs as may write.
fn locked_copy(database: &str, expected: &str) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(database, dir.path().join("test.db")).unwrap();
    std::fs::copy(
        format!("{database}-journal"),
        dir.path().join("test.db-journal"),
    )
    .unwrap();
    std::fs::copy(expected, dir.path().join("expected.db")).unwrap();
    for name in ["test.db", "test.db-journal", "expected.db"] {
        std::fs::set_permissions(
            dir.path().join(name),
            std::fs::Permissions::from_mode(0o444),
        )
        .unwrap();
    }
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    dir
}

/// Makes a [`locked_copy`] removable again.
fn unlock(dir: tempfile::TempDir) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Runs `driftless args` in `dir` as a user the permissions of a
/// [`locked_copy`] bind: this one, or `nobody` when this one is root
/// (which no file permission stops).
async fn run_locked(dir: &std::path::Path, args: &[&str]) -> Run {
    use std::os::unix::fs::MetadataExt;
    let mut cmd = command(args);
    cmd.current_dir(dir);
    if std::fs::metadata(dir).unwrap().uid() == 0 {
        cmd.uid(65534).gid(65534);
    }
    finish(cmd.spawn().expect("start driftless")).await
}

// --------------------------------------------------------------- MariaDB

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_during_apply_on_mariadb() {
    let b = Backend::Mysql;
    let expected = db_with(b, EXPECTED).await;
    let mut tally = Tally::new(b);

    // (a) The session is killed while step 2 waits for a metadata lock.
    {
        let fault = "CLI: KILL while step 2 waits for a lock";
        let actual = actual_db(b, ORDERS).await;
        let blocker = block_orders(&actual).await;
        let child = spawn(&fix_args(
            &actual,
            &expected,
            &["--lock-timeout", LOCK_TIMEOUT],
        ));
        let id = waiting_session(&actual, step2(b)).await;
        kill_session(&actual, id).await;
        let run = finish(child).await;
        one_error(
            &run,
            &[
                "step 2 (add column",
                "failed",
                "step 1 stays applied (committed: 1. add column ",
                ".accounts.login_count)",
                "run the fix again to continue",
            ],
        );
        blocker.release().await;
        assert_eq!(check_code(&actual, &expected).await, Some(1));
        let rerun = assert_rerun_converges(&actual, &expected).await;
        assert!(
            !rerun
                .stdout
                .contains("add column main.accounts.login_count")
                && !rerun.stdout.contains("accounts.login_count"),
            "the rerun starts after step 1: {rerun:#?}"
        );
        tally.record(fault, RESUMED);
    }

    // (a) The same through the library.
    {
        let fault = "library: KILL while step 2 waits for a lock";
        let actual = actual_db(b, ORDERS).await;
        let blocker = block_orders(&actual).await;
        let (c, p) = library_plan(&actual, &expected).await;
        let task = spawn_apply(c, p, slow_options());
        let id = waiting_session(&actual, step2(b)).await;
        kill_session(&actual, id).await;
        let err = task.await.unwrap().unwrap_err();
        assert!(
            matches!(
                err,
                ApplyError::Statement {
                    step: 2,
                    rolled_back: false,
                    applied_steps: 1,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("step 1 stays applied"), "{err}");
        let ApplyError::Statement { committed, .. } = &err else {
            unreachable!()
        };
        assert_eq!(committed.len(), 1, "{err}");
        assert_eq!(
            (committed[0].step, committed[0].action.as_str()),
            (1, "add column")
        );
        assert!(
            committed[0].object.ends_with("accounts.login_count"),
            "{err}"
        );
        blocker.release().await;
        assert_rerun_converges(&actual, &expected).await;
        tally.record(fault, RESUMED);
    }

    // (b) A statement fails half way; a rerun without fixing the data
    // fails at the same step without repeating the earlier ones.
    {
        let fault = "CLI: step 3 fails (unique index over duplicate rows)";
        let actual = actual_db(b, DUPLICATE_ORDERS).await;
        let run = driftless(&fix_args(&actual, &expected, &[])).await;
        one_error(
            &run,
            &[
                "step 3 (add unique constraint",
                "Duplicate entry",
                "statement: CREATE UNIQUE INDEX",
                "steps 1..2 stay applied",
                "run the fix again to continue",
            ],
        );
        let again = driftless(&fix_args(&actual, &expected, &[])).await;
        one_error(
            &again,
            &["step 1 (add unique constraint", "Duplicate entry"],
        );
        assert_no_duplicate_objects(&again);
        actual
            .exec("UPDATE orders SET note = 'again' WHERE id = 2")
            .await;
        assert_rerun_converges(&actual, &expected).await;
        tally.record(fault, RESUMED);
    }

    // (c) SIGINT while step 2 waits for its lock.
    {
        let fault = "CLI: SIGINT while step 2 waits for a lock";
        let actual = actual_db(b, ORDERS).await;
        let blocker = block_orders(&actual).await;
        let child = spawn(&fix_args(
            &actual,
            &expected,
            &["--lock-timeout", LOCK_TIMEOUT],
        ));
        waiting_session(&actual, step2(b)).await;
        signal(&child, "INT");
        let run = finish(child).await;
        one_stop(
            130,
            &run,
            &[
                "received SIGINT",
                "stopped after 1 of 4 step(s)",
                "step 1 stays applied",
                "run the fix again to continue",
            ],
        );
        blocker.release().await;
        assert_rerun_converges(&actual, &expected).await;
        tally.record(fault, RESUMED);
    }

    // (c) SIGTERM while waiting for another deploy's fix lock: nothing ran.
    {
        let fault = "CLI: SIGTERM while waiting for the fix lock";
        let actual = actual_db(b, ORDERS).await;
        let before = state(&actual).await;
        let holder = hold_fix_lock(&actual).await;
        let child = spawn(&fix_args(
            &actual,
            &expected,
            &["--lock-timeout", LOCK_TIMEOUT],
        ));
        waiting_session(&actual, lock_statement(b)).await;
        signal(&child, "TERM");
        let run = finish(child).await;
        one_stop(
            143,
            &run,
            &[
                "received SIGTERM",
                "before it changed anything",
                "as it was before",
            ],
        );
        holder.release().await;
        assert_eq!(state(&actual).await, before, "{fault}: exactly as before");
        assert_rerun_converges(&actual, &expected).await;
        tally.record(fault, UNTOUCHED);
    }

    // (c) SIGKILL while step 2 waits: the orphaned ALTER may still run.
    {
        let fault = "CLI: SIGKILL while step 2 waits for a lock";
        let actual = actual_db(b, ORDERS).await;
        let blocker = block_orders(&actual).await;
        let child = spawn(&fix_args(
            &actual,
            &expected,
            &["--lock-timeout", LOCK_TIMEOUT],
        ));
        waiting_session(&actual, step2(b)).await;
        signal(&child, "KILL");
        let run = finish(child).await;
        assert_eq!(run.code, None, "killed by the signal: {run:#?}");
        blocker.release().await;
        assert_rerun_converges(&actual, &expected).await;
        tally.record(fault, RESUMED);
    }

    // (c) The library's apply, interrupted while step 2 waits.
    {
        let fault = "library: Interrupt while step 2 waits for a lock";
        let actual = actual_db(b, ORDERS).await;
        let blocker = block_orders(&actual).await;
        let (c, p) = library_plan(&actual, &expected).await;
        let interrupt = Interrupt::new();
        let task = spawn_apply(c, p, slow_options().with_interrupt(interrupt.clone()));
        waiting_session(&actual, step2(b)).await;
        interrupt.trigger("stopped by the test");
        let err = tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("the interrupted apply returns without waiting for the lock")
            .unwrap()
            .unwrap_err();
        assert!(
            matches!(
                err,
                ApplyError::Interrupted {
                    rolled_back: false,
                    changed: true,
                    applied_steps: 1,
                    steps: 4,
                    ..
                }
            ),
            "{err}"
        );
        blocker.release().await;
        assert_rerun_converges(&actual, &expected).await;
        tally.record(fault, RESUMED);
    }

    tally.summary();
    assert_eq!(tally.faults.len(), 7);
}

/// MariaDB, regression: when the first step of a plan failed, the error
/// said "steps 1..0 stay applied".
#[tokio::test]
async fn mariadb_failure_in_step_1_says_no_step_was_completed() {
    let b = Backend::Mysql;
    let expected = db_with(
        b,
        "CREATE TABLE orders (id integer PRIMARY KEY, account_id integer NOT NULL, note varchar(50));
         CREATE UNIQUE INDEX orders_note_key ON orders (note)",
    )
    .await;
    let actual = db_with(
        b,
        &format!(
            "CREATE TABLE orders (id integer PRIMARY KEY, account_id integer NOT NULL, note varchar(50));
             {DUPLICATE_ORDERS}"
        ),
    )
    .await;
    // The unique index is the only step.
    let run = driftless(&fix_args(&actual, &expected, &[])).await;
    let message = one_error(
        &run,
        &["step 1 (add unique constraint", "no step was completed"],
    );
    assert!(!message.contains("1..0"), "{message}");
}

/// Regression: a failed step named its object's kind twice ("step 4
/// (create index index main.orders.orders_note_key)").
#[tokio::test]
async fn statement_error_names_the_object_once() {
    let b = Backend::Sqlite;
    let expected = db_with(b, EXPECTED).await;
    let actual = actual_db(b, DUPLICATE_ORDERS).await;
    let run = driftless(&fix_args(&actual, &expected, &[])).await;
    let message = one_error(
        &run,
        &["step 4 (create index main.orders.orders_note_key) failed"],
    );
    assert!(!message.contains("index index"), "{message}");
}

/// The fix's session, once it reads the schema again after its COMMIT
/// (the first catalog query of a snapshot), as the session list shows it.
const REREAD: &str = "SELECT n.oid, n.nspname::text";

/// PostgreSQL, regression: when the connection was lost while the schema
/// was read again after the COMMIT, the only output was the read error
/// (exit 2), as if nothing had happened, while every step was committed.
///
/// The re-read is made to wait: a side session locks `pg_description`
/// (which the snapshot reads, and no step of this plan touches) while
/// step 2 waits for `orders`; once the fix has committed and waits in its
/// re-read, its sessions are terminated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connection_lost_after_commit_says_the_fix_was_committed() {
    let b = Backend::Postgres;
    let expected = db_with(b, EXPECTED).await;
    let committed = "the fix was committed (4 step(s): 1. add column public.accounts.login_count; \
                     2. add column public.orders.total; 3. create index public.orders.orders_account_idx; \
                     4. create index public.orders.orders_note_key)";
    let (cli, library) = (true, false);
    for through_cli in [cli, library] {
        let actual = actual_db(b, ORDERS).await;
        let blocker = block_orders(&actual).await;
        let (child, task) = if through_cli {
            let args = fix_args(&actual, &expected, &["--lock-timeout", LOCK_TIMEOUT]);
            (Some(spawn(&args)), None)
        } else {
            let (c, p) = library_plan(&actual, &expected).await;
            (None, Some(spawn_apply(c, p, slow_options())))
        };
        waiting_session(&actual, step2(b)).await;
        let catalog = hold(
            &actual.url,
            &[
                "BEGIN",
                "LOCK TABLE pg_catalog.pg_description IN ACCESS EXCLUSIVE MODE",
            ],
        )
        .await;
        blocker.release().await;
        waiting_session(&actual, REREAD).await;
        // The re-read and any helper connection of the snapshot.
        let terminated = scalar(
            &actual.url,
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() \
             AND wait_event_type = 'Lock'",
        )
        .await;
        assert!(terminated >= Some(1), "{terminated:?}");
        catalog.release().await;
        if let Some(child) = child {
            let run = finish(child).await;
            let message = one_error(
                &run,
                &[
                    committed,
                    "but reading the schema again to verify it failed",
                    "terminating connection",
                    "the database was changed: run `driftless check`",
                ],
            );
            assert!(!message.contains("rolled back"), "{message}");
            println!("committed, not verified: {message}");
        }
        if let Some(task) = task {
            let err = task.await.unwrap().unwrap_err();
            assert!(err.to_string().starts_with(committed), "{err}");
            let ApplyError::VerifyFailed { committed, source } = &err else {
                panic!("{err:?}")
            };
            assert_eq!(committed.len(), 4, "{err}");
            assert!(
                source.to_string().contains("terminating connection"),
                "{err}"
            );
        }
        assert_eq!(check_code(&actual, &expected).await, Some(0));
    }
}
