//! Applying a plan to a live database: lock, base check, preflight, steps,
//! verification by re-introspection.

use std::time::{Duration, Instant};

mod online;

use online::is_online;
pub use online::policy_refusal;

use driftless_introspect::{Database, Error as DbError, ErrorKind, Value};
use driftless_model::{Dialect, Snapshot};

use crate::names::mentions;

use crate::options::{ApplyEvent, ApplyOptions, MAX_TIMEOUT};
use crate::plan::{fingerprint, FixPlan, PreflightKind};
use crate::quote::literal;
use crate::render::{mysql_lock_names, PG_ADVISORY_LOCK_KEY};
use crate::sql::{self, Mysql, Postgres, Sqlite, Writer};

/// The result of one preflight check.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PreflightOutcome {
    /// 1-based number of the step the check belongs to.
    pub step: usize,
    /// What the count means.
    pub kind: PreflightKind,
    /// The count.
    pub rows: u64,
    /// The check's message.
    pub message: String,
}

/// What [`apply`] did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApplyReport {
    /// Steps run to completion.
    pub steps_applied: usize,
    /// Statements sent.
    pub statements: usize,
    /// The preflight counts (rows affected by data-loss steps, and the
    /// refusal checks, all zero).
    pub preflight: Vec<PreflightOutcome>,
    /// How long the advisory lock took to get.
    pub lock_wait: Duration,
    /// Time from start to the end of the re-introspection.
    pub elapsed: Duration,
    /// The schema after applying, read again: run the rules on it against
    /// the expected schema to confirm convergence.
    pub after: Snapshot,
}

/// A step of the plan that took effect and stays, whatever happens next:
/// on MySQL/MariaDB each step commits as it runs; on every backend, all
/// of them once the transaction is committed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommittedStep {
    /// 1-based step number.
    pub step: usize,
    /// The step's action (`add column`).
    pub action: String,
    /// The step's object, as a path (`public.users.login_count`).
    pub object: String,
}

impl std::fmt::Display for CommittedStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}. {} {}", self.step, self.action, self.object)
    }
}

/// Steps `1..=n` of `plan`, committed.
pub(crate) fn committed_steps(plan: &FixPlan, n: usize) -> Vec<CommittedStep> {
    plan.steps
        .iter()
        .take(n)
        .enumerate()
        .map(|(i, s)| CommittedStep {
            step: i + 1,
            action: s.action.clone(),
            object: s.object.path(),
        })
        .collect()
}

/// `1. add column t.a; 2. add column t.b`.
fn listed(committed: &[CommittedStep]) -> String {
    committed
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why a plan was not (fully) applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApplyError {
    /// The plan is for another kind of database.
    #[error("the plan is for {plan} but the database is {database}")]
    DialectMismatch {
        /// The plan's dialect.
        plan: Dialect,
        /// The database's.
        database: Dialect,
    },
    /// Another fix holds the lock and did not finish within the lock timeout.
    #[error("another driftless fix is running on this database: the lock was not granted within {waited:.1?} ({message}); retry when it has finished")]
    Locked {
        /// How long we waited.
        waited: Duration,
        /// The database's message.
        message: String,
    },
    /// The database would not take the lock at all (not a wait for another
    /// fix: an error on the server's side).
    #[error("could not take the driftless lock {name}: {message}")]
    LockFailed {
        /// The lock's name, as an SQL literal.
        name: String,
        /// What the database answered.
        message: String,
    },
    /// The schema changed since the plan was made (another deploy fixed it,
    /// or someone changed it); nothing was applied. Plan again.
    #[error("the schema changed since the plan was made (fingerprint {planned}, now {found}); nothing was applied: plan again")]
    Stale {
        /// The plan's base fingerprint.
        planned: String,
        /// The fingerprint found under the lock.
        found: String,
    },
    /// A preflight check refused the plan before anything ran.
    #[error("step {step} ({object}): {message} ({rows} row(s)); nothing was applied")]
    Refused {
        /// 1-based step number.
        step: usize,
        /// The step's object.
        object: String,
        /// What to do instead.
        message: String,
        /// The rows that make the step impossible.
        rows: u64,
    },
    /// A step takes a stronger lock than [`ApplyOptions::max_lock`]
    /// allows; nothing was applied.
    #[error("step {step} ({object}) takes a{} {lock} lock on {table}, above the allowed {max} (--max-lock or max_lock in driftless.toml); nothing was applied", if lock.starts_with(['A', 'E']) { "n" } else { "" })]
    LockAboveMax {
        /// 1-based step number.
        step: usize,
        /// The step's object.
        object: String,
        /// The table it locks.
        table: String,
        /// The lock, as the database names it.
        lock: String,
        /// The strongest lock allowed, as the database names it.
        max: String,
    },
    /// MySQL/MariaDB: an online step would copy its table (writes wait for
    /// the whole copy) and [`ApplyOptions::allow_table_copy`] is not set;
    /// refused before anything ran, or, when the server turned down
    /// `ALGORITHM=INSTANT` and `INPLACE, LOCK=NONE` for it, before the
    /// step ran.
    #[error("step {step} ({object}) would copy table {table} ({reason}); writes would wait until the copy is done: run it in a quiet hour with --allow-table-copy{}", if *applied_steps == 0 { "; nothing was applied".to_string() } else { format!("; {}", kept(committed)) })]
    TableCopyRefused {
        /// 1-based step number.
        step: usize,
        /// The step's object.
        object: String,
        /// The table.
        table: String,
        /// Why it copies.
        reason: String,
        /// Steps applied before (committed).
        applied_steps: usize,
        /// The steps that stay applied.
        committed: Vec<CommittedStep>,
    },
    /// An online step's statement waited for its table lock and timed
    /// out on every try: another session holds a conflicting lock. The
    /// step's own changes were undone; the steps before it stay.
    #[error("step {step} ({action} {object}) could not get its lock on {table} in {attempts} tries of {wait:?} each ({waited:.1?} in all): {}; the step changed nothing; {}", driftless_introspect::describe_holders(holders), if committed.is_empty() { "nothing was applied".to_string() } else { kept(committed) })]
    LockRetriesExhausted {
        /// 1-based step number.
        step: usize,
        /// The step's action.
        action: String,
        /// The step's object.
        object: String,
        /// The table it waited for.
        table: String,
        /// How many times it tried.
        attempts: u32,
        /// How long each try waited.
        wait: Duration,
        /// How long it waited and paused in all.
        waited: Duration,
        /// The sessions holding locks on the table, as the server names them.
        holders: Vec<driftless_introspect::LockHolder>,
        /// The steps that stay applied.
        committed: Vec<CommittedStep>,
    },
    /// A timeout in the options is longer than [`MAX_TIMEOUT`]; nothing
    /// was done.
    #[error("the {option} of {value:?} is longer than {max:?}, the longest every database accepts; nothing was applied")]
    TimeoutTooLong {
        /// `lock timeout` or `statement timeout`.
        option: &'static str,
        /// The value asked for.
        value: Duration,
        /// [`MAX_TIMEOUT`].
        max: Duration,
    },
    /// A statement failed.
    #[error("step {step} ({action} {object}) failed: {message}\n  statement: {sql}\n  {}", if *rolled_back { "every change was rolled back".to_string() } else { kept(committed) })]
    Statement {
        /// 1-based step number.
        step: usize,
        /// The step's action (`add column`).
        action: String,
        /// The step's object, as a path (`public.users.login_count`).
        object: String,
        /// The failing statement.
        sql: String,
        /// The database's error message.
        message: String,
        /// Steps that completed before (and stay applied when not rolled back).
        applied_steps: usize,
        /// Whether everything was rolled back (PostgreSQL, SQLite).
        rolled_back: bool,
        /// The steps that stay applied (MySQL/MariaDB, where DDL commits
        /// implicitly; empty when rolled back).
        committed: Vec<CommittedStep>,
    },
    /// The apply was asked to stop ([`Interrupt`](crate::Interrupt)) before
    /// it finished; the message says what state the database is in.
    #[error("{reason}: {}", stopped(*rolled_back, *changed, committed, *steps))]
    Interrupted {
        /// Why (e.g. `received SIGINT`).
        reason: String,
        /// Steps that completed before (and stay applied when not rolled back).
        applied_steps: usize,
        /// Steps in the plan.
        steps: usize,
        /// Whether everything was rolled back (PostgreSQL, SQLite).
        rolled_back: bool,
        /// Whether any statement of the plan had taken effect and stays
        /// (MySQL/MariaDB, where DDL commits implicitly).
        changed: bool,
        /// The steps that stay applied (MySQL/MariaDB; empty when rolled
        /// back).
        committed: Vec<CommittedStep>,
    },
    /// SQLite: rows violate foreign keys after the change; rolled back.
    #[error("foreign_key_check found {count} row(s) violating foreign keys after the fix ({details}); every change was rolled back")]
    ForeignKeyViolations {
        /// Number of violating rows.
        count: usize,
        /// Tables concerned.
        details: String,
    },
    /// Every step was committed, but reading the schema again to verify
    /// the fix failed (e.g. the connection was lost): the database *was*
    /// changed, and whether the drift is gone is not known. Check it again.
    #[error("the fix was committed ({} step(s): {}), but reading the schema again to verify it failed: {source}", committed.len(), listed(committed))]
    VerifyFailed {
        /// The steps that were committed: all of the plan.
        committed: Vec<CommittedStep>,
        /// Why the schema could not be read.
        #[source]
        source: DbError,
    },
    /// Connecting, introspecting or controlling the transaction failed.
    #[error(transparent)]
    Database(#[from] DbError),
}

/// What stays of a plan on MySQL/MariaDB after a failure.
fn kept(committed: &[CommittedStep]) -> String {
    let kept = match committed.len() {
        0 => "no step was completed".to_string(),
        1 => format!("step 1 stays applied (committed: {})", listed(committed)),
        n => format!(
            "steps 1..{n} stay applied (committed: {})",
            listed(committed)
        ),
    };
    format!("{kept}; each was committed as it ran: run the fix again to continue")
}

/// The state of the database after an interrupted apply.
fn stopped(rolled_back: bool, changed: bool, committed: &[CommittedStep], steps: usize) -> String {
    if rolled_back {
        "the fix was stopped before it was committed; every change was rolled back and the database is as it was before".to_string()
    } else if !changed {
        "the fix was stopped before it changed anything; the database is as it was before"
            .to_string()
    } else {
        format!(
            "the fix was stopped after {} of {steps} step(s): {}",
            committed.len(),
            kept(committed)
        )
    }
}

pub(crate) fn db_message(e: &DbError) -> String {
    match e {
        DbError::Query { message, .. } => message.clone(),
        DbError::StatementTimeout { timeout, .. } => {
            format!("interrupted: it ran longer than the statement timeout ({timeout:?})")
        }
        DbError::NulCharacter { line, column, .. } => format!(
            "the SQL holds a NUL character at line {line}, column {column}, which SQL text cannot contain; it was not sent"
        ),
        other => other.to_string(),
    }
}

/// Runs every preflight check of `plan` (read-only) and records the counts:
/// a data-loss step gets `affected_rows` and its reason says how many rows
/// it affects. Returns every outcome; refusals are outcomes of kind
/// [`PreflightKind::RefuseIfAny`] with a non-zero count.
pub async fn preflight(
    db: &mut Database,
    plan: &mut FixPlan,
) -> Result<Vec<PreflightOutcome>, ApplyError> {
    let outcomes = run_preflight(db, plan).await?;
    annotate(plan, &outcomes);
    Ok(outcomes)
}

fn annotate(plan: &mut FixPlan, outcomes: &[PreflightOutcome]) {
    for (i, step) in plan.steps.iter_mut().enumerate() {
        let counted: Vec<&PreflightOutcome> = outcomes
            .iter()
            .filter(|o| o.step == i + 1 && o.kind == PreflightKind::CountAffected)
            .collect();
        if counted.is_empty() {
            continue;
        }
        let rows: u64 = counted.iter().map(|o| o.rows).sum();
        step.affected_rows = Some(rows);
        step.reason = format!("{}; {rows} row(s) affected", step.reason);
    }
}

async fn run_preflight(
    db: &mut Database,
    plan: &FixPlan,
) -> Result<Vec<PreflightOutcome>, ApplyError> {
    let mut out = Vec::new();
    for (i, step) in plan.steps.iter().enumerate() {
        for p in &step.preflight {
            let rows = db
                .query(&p.sql, &format!("preflight of step {}", i + 1))
                .await?;
            let n = rows
                .first()
                .and_then(|r| r.first())
                .and_then(|v| v.as_i64())
                .unwrap_or(0)
                .max(0) as u64;
            out.push(PreflightOutcome {
                step: i + 1,
                kind: p.kind,
                rows: n,
                message: p.message.clone(),
            });
        }
    }
    Ok(out)
}

fn first_refusal(plan: &FixPlan, outcomes: &[PreflightOutcome]) -> Option<ApplyError> {
    outcomes
        .iter()
        .find(|o| o.kind == PreflightKind::RefuseIfAny && o.rows > 0)
        .map(|o| ApplyError::Refused {
            step: o.step,
            object: plan
                .steps
                .get(o.step - 1)
                .map(|s| s.object.to_string())
                .unwrap_or_default(),
            message: o.message.clone(),
            rows: o.rows,
        })
}

/// Applies `plan` to `db` and reads the schema again.
///
/// * PostgreSQL: one transaction; `SET LOCAL lock_timeout` and
///   `statement_timeout`; `pg_advisory_xact_lock` first (a concurrent fix
///   waits up to the lock timeout, then fails with [`ApplyError::Locked`]);
///   any failure rolls everything back.
/// * SQLite: `BEGIN IMMEDIATE` with a busy timeout; once it is granted,
///   the connection interrupts any statement that runs longer than the
///   statement timeout (SQLite has no setting for it); foreign keys are off on
///   driftless connections, so table rebuilds keep child rows; triggers of
///   rebuilt tables, and triggers of other tables that read them, are set
///   aside and recreated; `PRAGMA foreign_key_check` must come back
///   empty; any failure rolls everything back.
/// * MySQL/MariaDB: `GET_LOCK` with the lock timeout, one per database the
///   plan reads or changes (named, not the URL's default database); steps
///   run one by one (DDL commits implicitly); after a failure, plan again
///   from the new state to continue where it stopped.
///
/// Under the lock, the schema is read again (with
/// [`ApplyOptions::introspect`]) and compared with the plan's base: a plan
/// made from a schema that has changed since is refused with
/// [`ApplyError::Stale`]. Preflight checks run next, before any change: a
/// NOT NULL column without a default for a table with rows is refused there.
///
/// With [`ApplyOptions::interrupt`], a triggered [`Interrupt`](crate::Interrupt)
/// stops the apply: the statement in flight is cancelled, nothing more is
/// sent, the transaction is rolled back (PostgreSQL, SQLite), and
/// [`ApplyError::Interrupted`] says what state the database is in. An
/// interrupt the connection itself was opened with
/// ([`ConnectOptions::interrupt`](driftless_introspect::ConnectOptions::interrupt))
/// is set aside during the apply, so that the rollback still runs, and put
/// back afterwards.
pub async fn apply(
    db: &mut Database,
    plan: &FixPlan,
    options: &ApplyOptions,
) -> Result<ApplyReport, ApplyError> {
    let outer = db.set_interrupt(None);
    let result = apply_here(db, plan, options).await;
    db.set_interrupt(outer);
    result
}

/// [`apply`], with the connection's own interrupt set aside.
async fn apply_here(
    db: &mut Database,
    plan: &FixPlan,
    options: &ApplyOptions,
) -> Result<ApplyReport, ApplyError> {
    let started = Instant::now();
    if let Some((option, value)) = options.timeout_too_long() {
        return Err(ApplyError::TimeoutTooLong {
            option,
            value,
            max: MAX_TIMEOUT,
        });
    }
    if db.dialect() != plan.dialect {
        return Err(ApplyError::DialectMismatch {
            plan: plan.dialect,
            database: db.dialect(),
        });
    }
    if let Some(refused) = policy_refusal(plan, options) {
        return Err(refused);
    }
    let mut report = ApplyReport {
        steps_applied: 0,
        statements: 0,
        preflight: Vec::new(),
        lock_wait: Duration::ZERO,
        elapsed: Duration::ZERO,
        after: Snapshot::new(plan.dialect),
    };
    if !plan.steps.is_empty() {
        let url = db.url().clone();
        let backend = match &options.interrupt {
            Some(_) => db.session_id().await,
            None => None,
        };
        let sqlite = db.sqlite_interrupt();
        let work = async {
            match plan.dialect {
                Dialect::Postgres if is_online(plan) => {
                    online::apply_postgres(db, plan, options, &mut report).await
                }
                Dialect::Postgres => apply_postgres(db, plan, options, &mut report).await,
                Dialect::Sqlite => apply_sqlite(db, plan, options, &mut report).await,
                Dialect::Mysql => apply_mysql(db, plan, options, &mut report).await,
            }
        };
        let result = match &options.interrupt {
            None => work.await,
            Some(interrupt) => {
                tokio::pin!(work);
                tokio::select! {
                    r = &mut work => r,
                    () = interrupt.triggered() => {
                        // No new statement is sent from now on; stop the one
                        // in flight, then let the apply roll back and return.
                        if let Some(id) = backend {
                            Database::cancel_session(&url, id).await;
                        }
                        match &sqlite {
                            // Stop whatever statement is running until the
                            // apply returns: one that starts just after a
                            // single request would run on.
                            Some(stop) => loop {
                                stop.interrupt();
                                tokio::select! {
                                    r = &mut work => break r,
                                    () = tokio::time::sleep(SQLITE_WAIT_SLICE) => {}
                                }
                            },
                            None => work.await,
                        }
                    }
                }
            }
        };
        db.set_statement_timeout(None);
        match result {
            Ok(()) => {}
            // A statement cancelled by the interrupt fails like any other;
            // say why, and what state the database is in.
            Err(
                e @ (ApplyError::Statement { .. }
                | ApplyError::Locked { .. }
                | ApplyError::LockFailed { .. }
                | ApplyError::Database(_)),
            ) if stop_requested(options) => {
                let rolled_back = match &e {
                    ApplyError::Statement { rolled_back, .. } => *rolled_back,
                    _ => plan.dialect != Dialect::Mysql && !is_online(plan),
                };
                tracing::debug!("stopped: {e}");
                return Err(interrupted(options, plan, &report, rolled_back, 1));
            }
            Err(e) => return Err(e),
        }
    }
    report.after = match db.snapshot(&options.introspect).await {
        Ok(after) => after,
        Err(source) if report.steps_applied > 0 => {
            return Err(ApplyError::VerifyFailed {
                committed: committed_steps(plan, report.steps_applied),
                source,
            })
        }
        Err(e) => return Err(e.into()),
    };
    report.elapsed = started.elapsed();
    Ok(report)
}

pub(crate) async fn rollback(db: &mut Database) {
    // When the connection is gone the server has rolled back already; the
    // error returned to the caller says what happened.
    let rollback = sql::writer(db.dialect()).rollback();
    if let Err(e) = db.execute(rollback, "rolling back the fix").await {
        tracing::debug!("rollback failed: {e}");
    }
}

/// Whether the caller asked the apply to stop.
pub(crate) fn stop_requested(options: &ApplyOptions) -> bool {
    options.interrupt.as_ref().is_some_and(|i| i.is_triggered())
}

/// The [`ApplyError::Interrupted`] for the current state; `in_flight` is
/// the number of statements counted in `report` that did not take effect.
pub(crate) fn interrupted(
    options: &ApplyOptions,
    plan: &FixPlan,
    report: &ApplyReport,
    rolled_back: bool,
    in_flight: usize,
) -> ApplyError {
    ApplyError::Interrupted {
        reason: options
            .interrupt
            .as_ref()
            .and_then(|i| i.reason())
            .unwrap_or("interrupted")
            .to_string(),
        applied_steps: report.steps_applied,
        steps: plan.steps.len(),
        rolled_back,
        changed: !rolled_back && report.statements > in_flight,
        committed: if rolled_back {
            Vec::new()
        } else {
            committed_steps(plan, report.steps_applied)
        },
    }
}

/// How long SQLite waits for its lock in one go when the apply can be
/// interrupted.
const SQLITE_WAIT_SLICE: Duration = Duration::from_millis(100);

/// Runs `sql` (`BEGIN IMMEDIATE`, `COMMIT`), which may wait for SQLite's
/// lock. SQLite waits in its busy handler, which nothing can interrupt:
/// with an [`Interrupt`](crate::Interrupt), wait in short slices up to the
/// lock timeout instead, and stop waiting once it is triggered. (A
/// `COMMIT` that fails because the database is busy leaves the
/// transaction open, so it can be tried again.)
async fn sqlite_wait(
    db: &mut Database,
    sql: &str,
    context: &str,
    options: &ApplyOptions,
) -> Result<(), DbError> {
    let Some(interrupt) = &options.interrupt else {
        return db.execute(sql, context).await.map(drop);
    };
    let deadline = Instant::now() + options.lock_timeout.min(MAX_TIMEOUT);
    let slice = SQLITE_WAIT_SLICE.min(options.lock_timeout);
    db.execute(
        &Sqlite.busy_timeout(slice.as_millis()),
        "setting the busy timeout",
    )
    .await?;
    let result = loop {
        match db.execute(sql, context).await {
            Err(e)
                if e.kind() == ErrorKind::Busy
                    && !interrupt.is_triggered()
                    && Instant::now() < deadline => {}
            other => break other,
        }
    };
    let restored = db
        .execute(
            &Sqlite.busy_timeout(options.sqlite_busy_timeout_ms()),
            "setting the busy timeout",
        )
        .await;
    result?;
    restored.map(drop)
}

/// Reads the schema on a second connection (the first holds the lock and
/// an open transaction) and compares it with the plan's base.
async fn check_base(
    db: &mut Database,
    plan: &FixPlan,
    options: &ApplyOptions,
    same_connection: bool,
) -> Result<Option<ApplyError>, ApplyError> {
    if !options.check_base {
        return Ok(None);
    }
    let snap = if same_connection {
        db.snapshot(&options.introspect).await?
    } else {
        let mut other = db.reconnect().await?;
        let snap = other.snapshot(&options.introspect).await;
        let _ = other.close().await;
        snap?
    };
    let mut snap = snap;
    if !plan.base_schemas.is_empty() {
        snap.schemas
            .retain(|name, _| plan.base_schemas.contains(name));
    }
    let found = fingerprint(&snap);
    Ok((found != plan.base).then(|| ApplyError::Stale {
        planned: plan.base.clone(),
        found,
    }))
}

/// The triggers a SQLite table rebuild must set aside (steps 3 and 8 of
/// SQLite's documented procedure), from `name, tbl_name, sql` rows of
/// `sqlite_schema`: those of other tables whose bodies mention the rebuilt
/// table are dropped first (while the old table is gone, SQLite's rename
/// rejects a schema with a trigger that reads a missing table); after the
/// rebuild, they and the table's own triggers (dropped with the old table)
/// are created again from their original SQL. Returns (before, after).
///
/// A plan sets aside the triggers its snapshot holds itself, so this
/// normally finds nothing; it keeps the triggers the plan could not see
/// (a read scoped to some tables, a kind ignored) from being lost with
/// the old table.
fn rebuild_triggers(table: &str, rows: &[Vec<Value>]) -> (Vec<String>, Vec<String>) {
    let d = Dialect::Sqlite;
    let (mut before, mut after) = (Vec::new(), Vec::new());
    for row in rows {
        let text = |i: usize| row.get(i).and_then(|v| v.as_str());
        let (Some(name), Some(on), Some(sql)) = (text(0), text(1), text(2)) else {
            continue;
        };
        if on.eq_ignore_ascii_case(table) {
            after.push(sql.to_string());
        } else if mentions(d, sql, &table.to_ascii_lowercase()) {
            before.push(Sqlite.drop_trigger(name));
            after.push(sql.to_string());
        }
    }
    (before, after)
}

async fn run_steps(
    db: &mut Database,
    plan: &FixPlan,
    options: &ApplyOptions,
    report: &mut ApplyReport,
    transactional: bool,
) -> Result<(), ApplyError> {
    for (i, step) in plan.steps.iter().enumerate() {
        // The action names the kind already: `add column public.t.c`.
        let context = format!("step {} ({} {})", i + 1, step.action, step.object.path());
        let (before, after) = match (&step.rebuilds, plan.dialect) {
            (Some(table), Dialect::Sqlite) => {
                let rows = db
                    .query(Sqlite.triggers(), &format!("{context}: reading triggers"))
                    .await?;
                rebuild_triggers(table, &rows)
            }
            _ => (Vec::new(), Vec::new()),
        };
        for sql in before.iter().chain(&step.sql).chain(&after) {
            if stop_requested(options) {
                if transactional {
                    rollback(db).await;
                }
                return Err(interrupted(options, plan, report, transactional, 0));
            }
            report.statements += 1;
            if let Err(e) = db.execute(sql, &context).await {
                if transactional {
                    rollback(db).await;
                }
                return Err(ApplyError::Statement {
                    step: i + 1,
                    action: step.action.clone(),
                    object: step.object.path(),
                    sql: sql.clone(),
                    message: db_message(&e),
                    applied_steps: report.steps_applied,
                    rolled_back: transactional,
                    committed: if transactional {
                        Vec::new()
                    } else {
                        committed_steps(plan, report.steps_applied)
                    },
                });
            }
            if let Some(progress) = &options.progress {
                progress.tell(ApplyEvent::Statement {
                    step: i + 1,
                    statement: report.statements,
                });
            }
        }
        report.steps_applied += 1;
    }
    Ok(())
}

/// What every backend does between taking the lock and running the steps:
/// compares the schema with the plan's base (when `check` is set), stops if
/// asked, and runs the preflight, refusing as it says. `transaction`: the
/// fix runs in a transaction the caller rolls back on an error (the base is
/// then read on a second connection); without one (MySQL) the base is read
/// on this connection and nothing is rolled back.
pub(crate) async fn before_steps(
    db: &mut Database,
    plan: &FixPlan,
    options: &ApplyOptions,
    report: &mut ApplyReport,
    check: bool,
    transaction: bool,
) -> Result<(), ApplyError> {
    if check {
        if let Some(stale) = check_base(db, plan, options, !transaction).await? {
            return Err(stale);
        }
    }
    if stop_requested(options) {
        return Err(interrupted(options, plan, report, transaction, 0));
    }
    let outcomes = run_preflight(db, plan).await?;
    if let Some(refused) = first_refusal(plan, &outcomes) {
        return Err(refused);
    }
    report.preflight = outcomes;
    Ok(())
}

async fn apply_postgres(
    db: &mut Database,
    plan: &FixPlan,
    options: &ApplyOptions,
    report: &mut ApplyReport,
) -> Result<(), ApplyError> {
    let lock_ms = options.pg_lock_timeout_ms();
    let stmt_ms = options.pg_statement_timeout_ms();
    let pg = Postgres;
    db.execute(pg.begin(), "starting the fix transaction")
        .await?;
    // The statement timeout is set once the advisory lock is held: waiting
    // for another fix is bounded by the lock timeout alone.
    let setup = pg.set_lock_timeout(lock_ms);
    if let Err(e) = db.execute(&setup, "setting the lock timeout").await {
        rollback(db).await;
        return Err(e.into());
    }
    // Expressions copied from a snapshot are spelled for standard-conforming
    // strings (in '…' a backslash is an ordinary character), as PostgreSQL
    // prints them: pin the setting so that no role or database default
    // changes where a literal ends.
    if let Err(e) = db
        .execute(
            pg.standard_conforming_strings(),
            "setting standard_conforming_strings",
        )
        .await
    {
        rollback(db).await;
        return Err(e.into());
    }
    let t0 = Instant::now();
    if let Err(e) = db
        .query(
            &pg.advisory_lock(PG_ADVISORY_LOCK_KEY),
            "taking the driftless advisory lock",
        )
        .await
    {
        rollback(db).await;
        if e.kind() == ErrorKind::LockTimeout {
            return Err(ApplyError::Locked {
                waited: t0.elapsed(),
                message: db_message(&e),
            });
        }
        return Err(e.into());
    }
    report.lock_wait = t0.elapsed();
    let setup = pg.set_statement_timeout(stmt_ms);
    if let Err(e) = db.execute(&setup, "setting the statement timeout").await {
        rollback(db).await;
        return Err(e.into());
    }
    if let Err(e) = before_steps(db, plan, options, report, true, true).await {
        rollback(db).await;
        return Err(e);
    }
    run_steps(db, plan, options, report, true).await?;
    if stop_requested(options) {
        rollback(db).await;
        return Err(interrupted(options, plan, report, true, 0));
    }
    if let Err(e) = db.execute(pg.commit(), "committing the fix").await {
        rollback(db).await;
        return Err(e.into());
    }
    Ok(())
}

async fn apply_sqlite(
    db: &mut Database,
    plan: &FixPlan,
    options: &ApplyOptions,
    report: &mut ApplyReport,
) -> Result<(), ApplyError> {
    let lock_ms = options.sqlite_busy_timeout_ms();
    db.execute(&Sqlite.busy_timeout(lock_ms), "setting the busy timeout")
        .await?;
    // Table rebuilds must not fire foreign-key actions; this is a no-op on
    // driftless connections (opened with foreign keys off) and must precede BEGIN.
    db.execute(
        Sqlite.foreign_keys(false),
        "turning foreign keys off for table rebuilds",
    )
    .await?;
    let t0 = Instant::now();
    if let Err(e) = sqlite_wait(
        db,
        Sqlite.begin_immediate(),
        "starting the fix transaction",
        options,
    )
    .await
    {
        if e.kind() == ErrorKind::Busy {
            return Err(ApplyError::Locked {
                waited: t0.elapsed(),
                message: db_message(&e),
            });
        }
        return Err(e.into());
    }
    report.lock_wait = t0.elapsed();
    // SQLite has no statement timeout of its own: the connection enforces
    // it from here (the wait for the lock above is bounded by the lock
    // timeout alone) until `apply` clears it; zero means no limit, as on
    // the other backends.
    db.set_statement_timeout(Some(options.statement_timeout).filter(|t| !t.is_zero()));
    // An in-memory database has no second connection to read it from.
    let memory = db.url().is_sqlite_memory();
    if let Err(e) = before_steps(db, plan, options, report, !memory, true).await {
        rollback(db).await;
        return Err(e);
    }
    run_steps(db, plan, options, report, true).await?;
    let violations = match db
        .query(
            Sqlite.foreign_key_check(),
            "checking foreign keys after the fix",
        )
        .await
    {
        Ok(v) => v,
        Err(e) => {
            rollback(db).await;
            return Err(e.into());
        }
    };
    if !violations.is_empty() {
        let mut tables: Vec<String> = violations
            .iter()
            .filter_map(|r| r.first().and_then(|v| v.as_str().map(String::from)))
            .collect();
        tables.sort();
        tables.dedup();
        rollback(db).await;
        return Err(ApplyError::ForeignKeyViolations {
            count: violations.len(),
            details: tables.join(", "),
        });
    }
    if stop_requested(options) {
        rollback(db).await;
        return Err(interrupted(options, plan, report, true, 0));
    }
    if let Err(e) = sqlite_wait(db, Sqlite.commit(), "committing the fix", options).await {
        rollback(db).await;
        return Err(e.into());
    }
    Ok(())
}

async fn apply_mysql(
    db: &mut Database,
    plan: &FixPlan,
    options: &ApplyOptions,
    report: &mut ApplyReport,
) -> Result<(), ApplyError> {
    let lock_s = options.mysql_lock_timeout_s();
    let stmt_s = options.mariadb_statement_timeout();
    // Table (metadata) locks and InnoDB row locks (ledger rows) alike.
    db.execute(
        &Mysql.set_lock_wait_timeout(lock_s),
        "setting the lock timeout",
    )
    .await?;
    // Literals are written with backslash escapes (and expressions copied
    // from a snapshot are spelled so): a NO_BACKSLASH_ESCAPES default would
    // change where a literal ends.
    db.execute(Mysql.backslash_escapes(), "clearing NO_BACKSLASH_ESCAPES")
        .await?;
    let version = db
        .query(Mysql.version(), "reading the server version")
        .await?;
    let mariadb = version
        .first()
        .and_then(|r| r.first())
        .and_then(|v| v.as_str())
        .is_some_and(|v| v.to_ascii_lowercase().contains("mariadb"));
    let t0 = Instant::now();
    let locks = mysql_lock_names(plan);
    let mut held = Vec::new();
    for name in &locks {
        if let Err(e) = mysql_lock(db, name, lock_s, t0).await {
            release_mysql_locks(db, &held).await;
            return Err(e);
        }
        held.push(name.clone());
    }
    report.lock_wait = t0.elapsed();
    let result = async {
        // Set once the lock is held: waiting for another fix is bounded by
        // the lock timeout alone.
        if mariadb {
            db.execute(
                &Mysql.set_max_statement_time(&stmt_s),
                "setting the statement timeout",
            )
            .await?;
        }
        before_steps(db, plan, options, report, true, false).await?;
        if is_online(plan) {
            return online::run_groups(db, plan, options, report).await;
        }
        run_steps(db, plan, options, report, false).await
    }
    .await;
    release_mysql_locks(db, &held).await;
    result
}

/// Takes the `GET_LOCK` `name`: granted, timed out (another fix holds it:
/// [`ApplyError::Locked`]), or refused by the server
/// ([`ApplyError::LockFailed`]).
async fn mysql_lock(
    db: &mut Database,
    name: &str,
    lock_s: u64,
    t0: Instant,
) -> Result<(), ApplyError> {
    let got = db
        .query(
            &Mysql.get_lock(name, lock_s),
            &format!("taking the driftless lock {}", shown(name)),
        )
        .await?;
    let name = shown(name);
    match got.first().and_then(|r| r.first()).and_then(|v| v.as_i64()) {
        Some(1) => Ok(()),
        Some(0) => Err(ApplyError::Locked {
            waited: t0.elapsed(),
            message: format!("GET_LOCK({name}) timed out"),
        }),
        other => Err(ApplyError::LockFailed {
            name: name.to_string(),
            message: match other {
                Some(v) => format!("GET_LOCK returned {v}"),
                None => "GET_LOCK returned NULL (the server reported an error)".into(),
            },
        }),
    }
}

/// Releases the `GET_LOCK`s `names`.
async fn release_mysql_locks(db: &mut Database, names: &[String]) {
    for name in names.iter().rev() {
        if let Err(e) = db
            .query(&Mysql.release_lock(name), "releasing the driftless lock")
            .await
        {
            // Closing the connection releases it too.
            tracing::debug!("releasing the lock {} failed: {e}", shown(name));
        }
    }
}

/// A lock name as messages show it: the string literal `GET_LOCK` takes.
fn shown(name: &str) -> String {
    literal(Dialect::Mysql, name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn rebuild_sets_aside_triggers_of_other_tables_that_read_the_table() {
        let row = |n: &str, on: &str, sql: &str| {
            vec![
                Value::Text(n.into()),
                Value::Text(on.into()),
                Value::Text(sql.into()),
            ]
        };
        let rows = [
            row("audit", "Parent", "CREATE TRIGGER audit AFTER INSERT ON Parent BEGIN SELECT 1; END"),
            row("child_ins", "child", "CREATE TRIGGER child_ins AFTER INSERT ON child BEGIN INSERT INTO log SELECT name FROM PARENT; END"),
            row("child_log", "child", "CREATE TRIGGER child_log AFTER INSERT ON child BEGIN INSERT INTO log VALUES (NEW.parent_id); END"),
        ];
        let (before, after) = rebuild_triggers("parent", &rows);
        assert_eq!(before, [r#"DROP TRIGGER "child_ins""#]);
        assert_eq!(after.len(), 2);
        assert!(
            after[0].starts_with("CREATE TRIGGER audit")
                && after[1].starts_with("CREATE TRIGGER child_ins")
        );
    }
}
