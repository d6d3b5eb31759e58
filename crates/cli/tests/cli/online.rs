//! Repairs safe for a busy database, through the real binary on real
//! servers: online steps on tables above the threshold (concurrent index
//! builds, `NOT VALID` then `VALIDATE`, unique constraints from concurrent
//! indexes, `SET NOT NULL` behind a validated check, the backfill before
//! it), lock waits retried with backoff while another session holds a
//! conflicting lock, and the retry budget running out with nothing half
//! done; kills at every statement boundary of the non-transactional path,
//! each followed by a rerun that converges with no INVALID index left;
//! `--max-lock` and the `[fix]` policy; MariaDB `ALGORITHM=INSTANT`, the
//! algorithm of each column change in the plan, and a copying change
//! refused without `--allow-table-copy`; and a writer
//! inserting every 10 ms into a 200,000-row table while the fix runs.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use driftless_testkit::{Backend, TestDb};

use crate::support::{self, *};

/// The CLI's fault-injection hook, and what it prints once it paused.
const FAULT_VAR: &str = "DRIFTLESS_FAULT_PAUSE_AFTER_STATEMENT";
const PAUSED: &str = "paused after statement";

/// The fixer's progress lines (lock retries, online forms) on stderr.
const FIXER_LOG: (&str, &str) = ("DRIFTLESS_LOG", "driftless_fixer=info");

/// `events` as it is: no index, foreign key or unique constraint, `code`
/// nullable without a default; `rows` rows, one in ten with a NULL code.
fn actual_sql(rows: u32) -> String {
    format!(
        "CREATE TABLE users (id bigint PRIMARY KEY);
INSERT INTO users SELECT g FROM generate_series(1, 100) g;
CREATE TABLE events (id bigserial PRIMARY KEY, user_id bigint NOT NULL, code text, payload text);
INSERT INTO events (user_id, code, payload)
  SELECT 1 + g % 100, CASE WHEN g % 10 = 0 THEN NULL ELSE 'c' || g END, 'payload ' || g
  FROM generate_series(1, {rows}) g;
ANALYZE users; ANALYZE events;"
    )
}

/// `events` as it should be.
const EXPECTED: &str = "CREATE TABLE users (id bigint PRIMARY KEY);
CREATE TABLE events (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id),
  code text NOT NULL DEFAULT 'none', payload text);
CREATE INDEX events_user_idx ON events (user_id);
ALTER TABLE events ADD CONSTRAINT events_payload_key UNIQUE (payload);";

/// The drifted database and the expected one.
async fn drifted(rows: u32) -> (TestDb, TestDb) {
    let actual = db_with(Backend::Postgres, &actual_sql(rows)).await;
    let expected = db_with(Backend::Postgres, EXPECTED).await;
    (actual, expected)
}

/// INVALID indexes in `db` (left by an interrupted concurrent build).
async fn invalid_indexes(db: &TestDb) -> i64 {
    support::scalar(
        &db.url,
        "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE NOT i.indisvalid AND n.nspname = 'public'",
    )
    .await
    .unwrap()
}

/// NOT VALID constraints in `db`.
async fn unvalidated(db: &TestDb) -> i64 {
    support::scalar(
        &db.url,
        "SELECT count(*) FROM pg_constraint WHERE NOT convalidated \
         AND connamespace = 'public'::regnamespace",
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn the_plan_states_locks_sizes_and_what_runs_outside_the_transaction() {
    let (actual, expected) = drifted(2_000).await;
    let args = [
        "plan",
        "--db",
        &actual.url,
        "--expect",
        &expected.url,
        "--online-threshold",
        "0",
    ];
    let run = driftless(&args).await;
    assert_eq!(run.code, Some(1), "{run:#?}");
    for needle in [
        "-- lock: SHARE UPDATE EXCLUSIVE lock on public.events, reads every row (2000 rows,",
        "create index concurrently public.events.events_user_idx",
        "CREATE INDEX CONCURRENTLY \"events_user_idx\"",
        "-- online: runs outside any transaction; if interrupted: an interrupted build leaves an INVALID index",
        "NOT VALID",
        "VALIDATE CONSTRAINT \"events_user_id_fkey\"",
        "UNIQUE USING INDEX \"events_payload_key\"",
        "[data-change] backfill column public.events.code",
        "200 row(s) affected",
    ] {
        assert!(run.stdout.contains(needle), "`{needle}` in:\n{}", run.stdout);
    }
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let run = driftless(&json_args).await;
    let plan = crate::documents::json_document(&run.stdout);
    let steps = plan["steps"].as_array().unwrap();
    let cic = steps
        .iter()
        .find(|s| s["action"] == "create index concurrently")
        .unwrap();
    assert_eq!(cic["outside_transaction"], true, "{cic:#}");
    assert_eq!(cic["hazard"]["lock"], "share-update-exclusive", "{cic:#}");
    assert_eq!(cic["hazard"]["rows"], 2000, "{cic:#}");
    assert!(cic["hazard"]["bytes"].as_u64().unwrap() > 8192, "{cic:#}");
    // Under the default threshold the small table keeps one transaction.
    let run = driftless(&args[..5]).await;
    assert!(!run.stdout.contains("CONCURRENTLY"), "{}", run.stdout);
    assert!(
        run.stdout.contains("-- lock: SHARE lock on public.events"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn the_online_fix_converges_and_backfills() {
    let (actual, expected) = drifted(5_000).await;
    let run = driftless(&fix_args(&actual, &expected, &["--online-threshold", "0"])).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(check_code(&actual, &expected).await, Some(0));
    assert_eq!(invalid_indexes(&actual).await, 0);
    assert_eq!(unvalidated(&actual).await, 0);
    assert_eq!(
        support::scalar(
            &actual.url,
            "SELECT count(*) FROM events WHERE code = 'none'"
        )
        .await,
        Some(500),
        "the NULLs got the default"
    );
    // The helper check is gone.
    assert_eq!(
        support::scalar(
            &actual.url,
            "SELECT count(*) FROM pg_constraint WHERE conname LIKE '%driftless_not_null'"
        )
        .await,
        Some(0)
    );
}

#[tokio::test]
async fn without_a_default_the_refusal_names_the_column_and_the_null_rows() {
    let actual = db_with(
        Backend::Postgres,
        "CREATE TABLE t (id int PRIMARY KEY, c text); INSERT INTO t VALUES (1, NULL), (2, 'x'), (3, NULL);",
    )
    .await;
    let expected = db_with(
        Backend::Postgres,
        "CREATE TABLE t (id int PRIMARY KEY, c text NOT NULL);",
    )
    .await;
    let run = driftless(&fix_args(&actual, &expected, &[])).await;
    assert_eq!(run.code, Some(2), "{run:#?}");
    let line = one_error(&run, &["public.t.c NOT NULL", "(2 row(s))"]);
    assert!(line.contains("nothing was applied"), "{line}");
}

/// A side connection holding `LOCK TABLE events IN SHARE MODE` (writers
/// and DDL wait), and its session id.
async fn hold_share_lock(db: &TestDb) -> (Held, i64) {
    let held = hold(&db.url, &["BEGIN", "LOCK TABLE events IN SHARE MODE"]).await;
    let pid = support::scalar(
        &db.url,
        "SELECT pid::int8 FROM pg_locks WHERE relation = 'events'::regclass AND mode = 'ShareLock' AND granted",
    )
    .await
    .unwrap();
    (held, pid)
}

const QUICK_RETRIES: [&str; 6] = [
    "--lock-retry-wait",
    "200ms",
    "--lock-retry-backoff",
    "200ms",
    "--online-threshold",
    "0",
];

#[tokio::test]
async fn a_held_lock_makes_the_fix_wait_retry_and_finish_once_released() {
    let (actual, expected) = drifted(20_000).await;
    let (held, _) = hold_share_lock(&actual).await;
    let mut extra = QUICK_RETRIES.to_vec();
    extra.extend(["--lock-retries", "40"]);
    let started = Instant::now();
    let mut fix = Watched::spawn_with(&fix_args(&actual, &expected, &extra), &[FIXER_LOG]);
    fix.wait_line("locked by another session; trying again")
        .await;
    fix.wait_line("locked by another session; trying again")
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    held.release().await;
    let run = fix.finish().await;
    assert_eq!(
        run.code,
        Some(0),
        "the fix finished once the lock was released: {run:#?}"
    );
    println!(
        "the fix waited for the held lock, retried and converged in {:.1?}",
        started.elapsed()
    );
    assert_eq!(check_code(&actual, &expected).await, Some(0));
    assert_eq!(invalid_indexes(&actual).await, 0);
}

#[tokio::test]
async fn the_retry_budget_runs_out_clearly_with_nothing_half_done() {
    let (actual, expected) = drifted(20_000).await;
    let before = state(&actual).await;
    let (held, pid) = hold_share_lock(&actual).await;
    let mut extra = QUICK_RETRIES.to_vec();
    extra.extend(["--lock-retries", "2"]);
    let run = driftless(&fix_args(&actual, &expected, &extra)).await;
    held.release().await;
    assert_eq!(run.code, Some(2), "{run:#?}");
    let line = one_error(
        &run,
        &[
            "could not get its lock on public.events in 3 tries",
            &format!("table public.events is locked by session {pid}"),
            "the step changed nothing",
        ],
    );
    assert!(line.contains("nothing was applied"), "{line}");
    assert_eq!(state(&actual).await, before, "nothing half done");
    assert_eq!(invalid_indexes(&actual).await, 0);
    assert_rerun_converges(&actual, &expected).await;
}

#[tokio::test]
async fn online_fix_killed_at_every_statement_boundary_converges_on_rerun() {
    let mut kills = 0;
    for n in 1.. {
        let (actual, expected) = drifted(1_000).await;
        let n_text = n.to_string();
        let args = fix_args(&actual, &expected, &["--online-threshold", "0"]);
        let mut fix = Watched::spawn_with(&args, &[(FAULT_VAR, n_text.as_str())]);
        if !fix.line_or_end(PAUSED).await {
            let run = fix.finish().await;
            assert_eq!(run.code, Some(0), "the unbroken fix converges: {run:#?}");
            break;
        }
        signal(fix.child(), "KILL");
        let run = fix.finish().await;
        assert_eq!(run.code, None, "killed by the signal: {run:#?}");
        kills += 1;
        wait_for(
            "the killed fix's session to end",
            Duration::from_secs(30),
            || no_session_running(&actual, "SELECT pg_advisory_unlock"),
        )
        .await;
        assert_eq!(
            invalid_indexes(&actual).await,
            0,
            "killed after statement {n}"
        );
        let rerun = driftless(&fix_args(&actual, &expected, &["--online-threshold", "0"])).await;
        assert_eq!(
            rerun.code,
            Some(0),
            "after a kill at {n}, the rerun converges: {rerun:#?}"
        );
        assert_eq!(
            check_code(&actual, &expected).await,
            Some(0),
            "killed at {n}"
        );
        assert_eq!(invalid_indexes(&actual).await, 0, "killed at {n}, rerun");
        assert_eq!(unvalidated(&actual).await, 0, "killed at {n}, rerun");
        assert_eq!(
            support::scalar(&actual.url, "SELECT count(*) FROM events").await,
            Some(1_000)
        );
    }
    println!("online fix killed (SIGKILL) at {kills} statement boundaries; every rerun converged, no INVALID index left");
    assert!(kills >= 10, "{kills} boundaries");
}

#[tokio::test]
async fn an_invalid_index_left_by_an_interrupted_build_is_dropped_and_rebuilt() {
    let (actual, expected) = drifted(1_000).await;
    // A concurrent build that fails (duplicate values for a unique index)
    // leaves an INVALID index of the expected name behind.
    let failed = actual
        .try_exec("CREATE UNIQUE INDEX CONCURRENTLY events_user_idx ON events (user_id)")
        .await;
    assert!(failed.is_err());
    assert_eq!(invalid_indexes(&actual).await, 1);
    let run = driftless(&fix_args(&actual, &expected, &["--online-threshold", "0"])).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(invalid_indexes(&actual).await, 0);
    assert_eq!(check_code(&actual, &expected).await, Some(0));
}

#[tokio::test]
async fn max_lock_refuses_the_plan_before_anything_runs() {
    let (actual, expected) = drifted(1_000).await;
    let before = state(&actual).await;
    let run = driftless(&fix_args(
        &actual,
        &expected,
        &[
            "--max-lock",
            "share update exclusive",
            "--online-threshold",
            "0",
        ],
    ))
    .await;
    assert_eq!(run.code, Some(2), "{run:#?}");
    let line = one_error(
        &run,
        &[
            "ACCESS EXCLUSIVE lock on public.events",
            "above the allowed SHARE UPDATE EXCLUSIVE",
        ],
    );
    assert!(line.contains("nothing was applied"), "{line}");
    assert_eq!(state(&actual).await, before);
    // The same policy from driftless.toml; the plan warns of it.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("driftless.toml");
    std::fs::write(
        &config,
        "[fix]\nmax_lock = \"share update exclusive\"\nonline_threshold = 0\n",
    )
    .unwrap();
    let config = config.display().to_string();
    let mut args = fix_args(&actual, &expected, &["--config", &config]);
    let run = driftless(&args).await;
    assert_eq!(run.code, Some(2), "{run:#?}");
    one_error(&run, &["above the allowed SHARE UPDATE EXCLUSIVE"]);
    args[0] = "plan";
    args.retain(|a| *a != "--apply");
    let run = driftless(&args).await;
    assert!(
        run.stderr.contains("would be refused when applied"),
        "{run:#?}"
    );
    assert_eq!(state(&actual).await, before);
    // A flag wins over the file.
    let run = driftless(&fix_args(
        &actual,
        &expected,
        &["--config", &config, "--max-lock", "access exclusive"],
    ))
    .await;
    assert_eq!(run.code, Some(0), "{run:#?}");
}

/// A writer inserting one row every 10 ms into `events` until `stop`;
/// returns the worst wait of an insert and how many it made.
fn writer(url: String, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<(Duration, u32)> {
    tokio::spawn(async move {
        let mut db = open(&url).await;
        let (mut worst, mut n) = (Duration::ZERO, 0u32);
        while !stop.load(Ordering::Relaxed) {
            n += 1;
            let sql = format!(
                "INSERT INTO events (user_id, code, payload) VALUES (1, 'w', 'writer {n}')"
            );
            let t = Instant::now();
            db.execute(&sql, "writer insert").await.unwrap();
            worst = worst.max(t.elapsed());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        db.close().await.unwrap();
        (worst, n)
    })
}

/// The worst insert wait of the writer while `fix --apply` with `extra`
/// repairs a fresh 200,000-row `events` table (a missing index and
/// foreign key, as the issue measured).
async fn worst_writer_wait(extra: &[&str]) -> (Duration, u32, Duration) {
    let actual = db_with(Backend::Postgres, &actual_sql(200_000)).await;
    actual.exec("UPDATE events SET code = 'none' WHERE code IS NULL; ALTER TABLE events ALTER COLUMN code SET DEFAULT 'none', ALTER COLUMN code SET NOT NULL, ADD CONSTRAINT events_payload_key UNIQUE (payload)").await;
    let expected = db_with(Backend::Postgres, EXPECTED).await;
    let stop = Arc::new(AtomicBool::new(false));
    let task = writer(actual.url.clone(), stop.clone());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let run = driftless(&fix_args(&actual, &expected, extra)).await;
    let took = started.elapsed();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let (worst, n) = task.await.unwrap();
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(check_code(&actual, &expected).await, Some(0));
    (worst, n, took)
}

#[tokio::test]
async fn a_writer_waits_under_a_second_while_the_online_fix_runs() {
    let (online, n, took) = worst_writer_wait(&["--online-threshold", "1MiB"]).await;
    let (atomic, m, took_atomic) = worst_writer_wait(&["--atomic"]).await;
    println!(
        "200,000 rows, a writer inserting every 10 ms: worst insert wait {online:.2?} online ({n} inserts, fix {took:.2?}), {atomic:.2?} with --atomic ({m} inserts, fix {took_atomic:.2?})"
    );
    assert!(
        online < Duration::from_secs(1),
        "worst wait online: {online:?}"
    );
}

/// MariaDB: `items` with `rows` rows.
async fn mariadb_items(rows: u32, extra_column: &str) -> TestDb {
    db_with(
        Backend::Mysql,
        &format!(
            "CREATE TABLE items (id int PRIMARY KEY, name varchar(50), qty int{extra_column});
INSERT INTO items (id, name, qty) SELECT seq, CONCAT('item ', seq), seq % 7 FROM seq_1_to_{rows};
ANALYZE TABLE items;"
        ),
    )
    .await
}

#[tokio::test]
async fn mariadb_adds_a_column_to_a_big_table_instantly() {
    let actual = mariadb_items(100_000, "").await;
    let expected = mariadb_items(1, ", note varchar(100)").await;
    let args = fix_args(&actual, &expected, &["--online-threshold", "1MiB"]);
    let fix = Watched::spawn_with(&args, &[FIXER_LOG]);
    let run = fix.finish().await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(run.stderr.contains("ALGORITHM=INSTANT"), "{run:#?}");
    assert_eq!(check_code(&actual, &expected).await, Some(0));
}

#[tokio::test]
async fn mariadb_refuses_a_copying_change_without_permission() {
    let actual = mariadb_items(100_000, "").await;
    let expected = db_with(
        Backend::Mysql,
        "CREATE TABLE items (id int PRIMARY KEY, name varchar(50), qty bigint)",
    )
    .await;
    let before = state(&actual).await;
    let run = driftless(&fix_args(
        &actual,
        &expected,
        &["--online-threshold", "1MiB"],
    ))
    .await;
    assert_eq!(run.code, Some(2), "{run:#?}");
    let line = one_error(&run, &["would copy table", "--allow-table-copy"]);
    assert!(line.contains("nothing was applied"), "{line}");
    assert_eq!(state(&actual).await, before);
    let run = driftless(&fix_args(
        &actual,
        &expected,
        &["--online-threshold", "1MiB", "--allow-table-copy"],
    ))
    .await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(check_code(&actual, &expected).await, Some(0));
}

#[tokio::test]
async fn mariadb_plans_state_the_algorithm_of_each_column_change() {
    let actual = mariadb_items(100_000, "").await;
    let expected = db_with(
        Backend::Mysql,
        "CREATE TABLE items (id int PRIMARY KEY, name varchar(60), qty bigint)",
    )
    .await;
    let args = [
        "plan",
        "--db",
        &actual.url,
        "--expect",
        &expected.url,
        "--online-threshold",
        "1MiB",
    ];
    let run = driftless(&args).await;
    assert_eq!(run.code, Some(1), "{run:#?}");
    let here = format!("on {}.items", actual.name);
    for needle in [
        format!("-- lock: ALGORITHM=INSTANT {here} ("),
        format!("-- lock: ALGORITHM=COPY, LOCK=SHARED {here}, rewrites it ("),
    ] {
        assert!(
            run.stdout.contains(&needle),
            "`{needle}` in:\n{}",
            run.stdout
        );
    }
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let run = driftless(&json_args).await;
    let plan = crate::documents::json_document(&run.stdout);
    let hazard = |column: &str| {
        let steps = plan["steps"].as_array().unwrap();
        let step = steps
            .iter()
            .find(|s| s["object"]["name"] == column)
            .unwrap_or_else(|| panic!("{column}: {plan:#}"));
        step["hazard"].clone()
    };
    assert_eq!(hazard("name")["algorithm"], "instant");
    assert_eq!(hazard("name")["rewrites"], false);
    assert_eq!(hazard("qty")["algorithm"], "copy");
    assert_eq!(hazard("qty")["rewrites"], true);
    // Widening the name alone runs without --allow-table-copy.
    let widened = db_with(
        Backend::Mysql,
        "CREATE TABLE items (id int PRIMARY KEY, name varchar(60), qty int)",
    )
    .await;
    let run = driftless(&fix_args(
        &actual,
        &widened,
        &["--online-threshold", "1MiB"],
    ))
    .await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(check_code(&actual, &widened).await, Some(0));
}

#[tokio::test]
async fn the_check_preflight_states_the_lock_and_live_size_of_pending_statements() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, sql: &str| std::fs::write(dir.path().join(name), sql).unwrap();
    write(
        "1_events.sql",
        "CREATE TABLE events (id bigint PRIMARY KEY, user_id bigint NOT NULL);\n",
    );
    let prod = TestDb::postgres().await;
    driftless_testkit::sqlx_migrate(Backend::Postgres, &prod.url, dir.path())
        .await
        .unwrap();
    prod.exec(
        "INSERT INTO events SELECT g, g % 10 FROM generate_series(1, 5000) g; ANALYZE events",
    )
    .await;
    write(
        "2_events_user_idx.sql",
        "CREATE INDEX events_user_idx ON events (user_id);\n",
    );
    let dev = TestDb::postgres().await;
    let folder = dir.path().display().to_string();
    let run = driftless(&[
        "check",
        "--db",
        &prod.url,
        "--migrations",
        &folder,
        "--dev-url",
        &dev.url,
    ])
    .await;
    assert_ne!(run.code, Some(2), "{run:#?}");
    assert!(
        run.stdout
            .contains("builds an index on table events: writes wait until it is built [SHARE lock] (5000 rows live, "),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn a_plan_is_not_held_up_by_a_table_locked_exclusively() {
    let (actual, expected) = drifted(2_000).await;
    let held = hold(
        &actual.url,
        &["BEGIN", "LOCK TABLE users IN ACCESS EXCLUSIVE MODE"],
    )
    .await;
    // Reading users' schema would wait; the sizes alone do not.
    let mut c = open(&actual.url).await;
    let started = Instant::now();
    let sizes = c.table_sizes(&[]).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(sizes
        .get("public", "users")
        .is_some_and(|s| s.bytes.is_some()));
    assert!(sizes
        .get("public", "events")
        .is_some_and(|s| s.bytes.unwrap() > 8192));
    c.close().await.unwrap();
    held.release().await;
    let _ = expected;
}
