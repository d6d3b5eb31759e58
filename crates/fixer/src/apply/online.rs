//! The non-atomic apply of a plan with online steps (see
//! [`FixStep::online`]): the fix lock held by the session across the
//! whole run; consecutive ordinary steps in one transaction, each online
//! step committed on its own (in its own transaction, or outside any);
//! every statement waiting briefly for its table lock and retried with
//! backoff ([`LockRetry`](crate::LockRetry)); MySQL/MariaDB `ALTER TABLE`
//! statements of online steps tried with `ALGORITHM=INSTANT`, then
//! `ALGORITHM=INPLACE, LOCK=NONE`. Also the policy checks every apply
//! runs before anything: `--max-lock` and table copies.

use std::ops::Range;
use std::time::{Duration, Instant};

use driftless_introspect::{table_holders, Database, Error as DbError, ErrorKind};
use driftless_model::Dialect;

use super::{
    committed_steps, db_message, interrupted, rollback, stop_requested, ApplyError, ApplyReport,
};
use crate::options::{ApplyEvent, ApplyOptions};
use crate::plan::{FixPlan, FixStep};
use crate::render::PG_ADVISORY_LOCK_KEY;
use crate::sql::online::mysql_online_forms;
use crate::sql::{Mysql, Postgres, Writer};

/// The first step of `plan` that the options refuse before anything
/// runs: a lock above [`ApplyOptions::max_lock`], or (MySQL/MariaDB) a
/// table copy without [`ApplyOptions::allow_table_copy`].
pub fn policy_refusal(plan: &FixPlan, options: &ApplyOptions) -> Option<ApplyError> {
    plan.steps.iter().enumerate().find_map(|(i, s)| {
        let h = s.hazard.as_ref()?;
        if let Some(max) = options.max_lock.filter(|m| h.lock > *m) {
            return Some(ApplyError::LockAboveMax {
                step: i + 1,
                object: s.object.path(),
                table: h.table.clone(),
                lock: h.lock_name.clone(),
                max: max.name(plan.dialect).to_string(),
            });
        }
        let copies = plan.dialect == Dialect::Mysql && s.online && h.rewrites;
        (copies && !options.allow_table_copy).then(|| ApplyError::TableCopyRefused {
            step: i + 1,
            object: s.object.path(),
            table: h.table.clone(),
            reason: match h.algorithm {
                Some(a) => format!("{} needs {}", s.action, a.clause()),
                None => format!("{} rebuilds the table under {}", s.action, h.lock_name),
            },
            applied_steps: 0,
            committed: Vec::new(),
        })
    })
}

/// Whether the plan runs step by step (it has an online step).
pub(crate) fn is_online(plan: &FixPlan) -> bool {
    plan.steps.iter().any(|s| s.online)
}

/// Steps that run together: in one transaction, or one step outside any.
struct Group {
    steps: Range<usize>,
    transaction: bool,
}

/// PostgreSQL: the plan's steps, grouped: consecutive ordinary steps
/// share a transaction; each online step is a group of its own.
fn groups(plan: &FixPlan) -> Vec<Group> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < plan.steps.len() {
        let start = i;
        let step = &plan.steps[i];
        i += 1;
        if !step.online {
            while i < plan.steps.len() && !plan.steps[i].online {
                i += 1;
            }
        }
        out.push(Group {
            steps: start..i,
            transaction: !step.outside_transaction,
        });
    }
    out
}

/// MySQL/MariaDB: every step alone, outside any transaction (DDL commits
/// implicitly, so a group could not be tried again).
fn mysql_groups(plan: &FixPlan) -> Vec<Group> {
    (0..plan.steps.len())
        .map(|i| Group {
            steps: i..i + 1,
            transaction: false,
        })
        .collect()
}

/// The groups of `plan` for its dialect.
fn groups_of(plan: &FixPlan) -> Vec<Group> {
    match plan.dialect {
        Dialect::Mysql => mysql_groups(plan),
        _ => groups(plan),
    }
}

/// Why one try of a group failed.
enum Failure {
    /// A statement of step `step` (0-based) timed out waiting for a lock.
    Lock { step: usize },
    /// Anything else: the error to return.
    Stop(ApplyError),
}

impl From<DbError> for Failure {
    fn from(e: DbError) -> Self {
        Failure::Stop(e.into())
    }
}

/// PostgreSQL, step by step: `pg_advisory_lock` for the session (waiting
/// up to the lock timeout), the base check and preflight, the groups,
/// then the lock released and the session's settings reset.
pub(crate) async fn apply_postgres(
    db: &mut Database,
    plan: &FixPlan,
    options: &ApplyOptions,
    report: &mut ApplyReport,
) -> Result<(), ApplyError> {
    let pg = Postgres;
    db.execute(
        &pg.set_session_lock_timeout(options.pg_lock_timeout_ms()),
        "setting the lock timeout",
    )
    .await?;
    db.execute(
        pg.session_standard_conforming_strings(),
        "setting standard_conforming_strings",
    )
    .await?;
    let t0 = Instant::now();
    let lock = pg.advisory_session_lock(PG_ADVISORY_LOCK_KEY);
    if let Err(e) = db.query(&lock, "taking the driftless advisory lock").await {
        reset_postgres(db, false).await;
        return Err(match e.kind() {
            ErrorKind::LockTimeout => ApplyError::Locked {
                waited: t0.elapsed(),
                message: db_message(&e),
            },
            _ => e.into(),
        });
    }
    report.lock_wait = t0.elapsed();
    let result = async {
        let timeout = pg.set_session_statement_timeout(options.pg_statement_timeout_ms());
        db.execute(&timeout, "setting the statement timeout")
            .await?;
        super::before_steps(db, plan, options, report, true, false).await?;
        run_groups(db, plan, options, report).await
    }
    .await;
    reset_postgres(db, true).await;
    result
}

/// Releases the session's advisory lock (when `locked`) and resets its
/// timeouts; a lost connection has released it already.
async fn reset_postgres(db: &mut Database, locked: bool) {
    let pg = Postgres;
    if locked {
        let unlock = pg.advisory_unlock(PG_ADVISORY_LOCK_KEY);
        if let Err(e) = db.query(&unlock, "releasing the driftless lock").await {
            tracing::debug!("releasing the advisory lock failed: {e}");
        }
    }
    if let Err(e) = db
        .execute(pg.reset_timeouts(), "resetting the timeouts")
        .await
    {
        tracing::debug!("resetting the timeouts failed: {e}");
    }
}

/// Runs every group of `plan` in order, each retried on a lock timeout.
pub(crate) async fn run_groups(
    db: &mut Database,
    plan: &FixPlan,
    options: &ApplyOptions,
    report: &mut ApplyReport,
) -> Result<(), ApplyError> {
    for group in groups_of(plan) {
        run_group(db, plan, &group, options, report).await?;
    }
    Ok(())
}

/// One group, tried again after each lock timeout with the backoff's
/// pause, up to the retry budget.
async fn run_group(
    db: &mut Database,
    plan: &FixPlan,
    group: &Group,
    options: &ApplyOptions,
    report: &mut ApplyReport,
) -> Result<(), ApplyError> {
    let retry = options.lock_retry;
    let started = Instant::now();
    let mut tries = 0;
    loop {
        tries += 1;
        let step = match try_group(db, plan, group, options, report).await {
            Ok(()) => {
                report.steps_applied += group.steps.len();
                return Ok(());
            }
            Err(Failure::Stop(e)) => return Err(e),
            Err(Failure::Lock { step }) => step,
        };
        if tries > retry.retries {
            return Err(exhausted(db, plan, step, tries, started, options, report).await);
        }
        let pause = retry.pause(tries);
        tracing::info!(
            "step {}: its table is locked by another session; trying again in {pause:?} ({tries} of {} retries)",
            step + 1,
            retry.retries
        );
        wait(pause, options).await;
        if stop_requested(options) {
            return Err(interrupted(options, plan, report, false, 0));
        }
    }
}

/// Sleeps `pause`, or less when the apply is asked to stop.
async fn wait(pause: Duration, options: &ApplyOptions) {
    match &options.interrupt {
        Some(i) => {
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = i.triggered() => {}
            }
        }
        None => tokio::time::sleep(pause).await,
    }
}

/// The error after the last try of step `step` timed out.
async fn exhausted(
    db: &Database,
    plan: &FixPlan,
    step: usize,
    tries: u32,
    started: Instant,
    options: &ApplyOptions,
    report: &ApplyReport,
) -> ApplyError {
    let s = &plan.steps[step];
    let table = s
        .hazard
        .as_ref()
        .map(|h| h.table.clone())
        .unwrap_or_else(|| s.object.path());
    let (schema, name) = table.split_once('.').unwrap_or(("", table.as_str()));
    ApplyError::LockRetriesExhausted {
        step: step + 1,
        action: s.action.clone(),
        object: s.object.path(),
        holders: table_holders(db.url(), schema, name).await,
        table,
        attempts: tries,
        wait: options.lock_retry.wait,
        waited: started.elapsed(),
        committed: committed_steps(plan, report.steps_applied),
    }
}

/// One try of a group: its statements, in a transaction when it has one
/// (rolled back on a failure); a failed step outside any runs its undo.
async fn try_group(
    db: &mut Database,
    plan: &FixPlan,
    group: &Group,
    options: &ApplyOptions,
    report: &mut ApplyReport,
) -> Result<(), Failure> {
    let w = crate::sql::writer(plan.dialect);
    begin_try(db, plan.dialect, group.transaction, options).await?;
    for i in group.steps.clone() {
        if let Err(f) = run_step(db, plan, i, options, report).await {
            if group.transaction {
                rollback(db).await;
            } else if let Some(undo) = &plan.steps[i].undo {
                undo_step(db, undo).await;
            }
            return Err(f);
        }
    }
    if group.transaction {
        if let Err(e) = db.execute(w.commit(), "committing the step").await {
            rollback(db).await;
            return Err(e.into());
        }
    }
    Ok(())
}

/// Starts a try: the transaction (PostgreSQL) and the lock wait of one
/// try, for the transaction or the session.
async fn begin_try(
    db: &mut Database,
    d: Dialect,
    transaction: bool,
    options: &ApplyOptions,
) -> Result<(), Failure> {
    let retry = options.lock_retry;
    match d {
        Dialect::Postgres if transaction => {
            db.execute(Postgres.begin(), "starting the step's transaction")
                .await?;
            let set = Postgres.set_lock_timeout(retry.pg_wait_ms());
            if let Err(e) = db.execute(&set, "setting the lock timeout").await {
                rollback(db).await;
                return Err(e.into());
            }
        }
        Dialect::Postgres => {
            let set = Postgres.set_session_lock_timeout(retry.pg_wait_ms());
            db.execute(&set, "setting the lock timeout").await?;
        }
        _ => {
            let set = Mysql.set_lock_wait_timeout(retry.mysql_wait_s());
            db.execute(&set, "setting the lock timeout").await?;
        }
    }
    Ok(())
}

/// Removes what a failed step outside any transaction left, waiting as
/// long as the lock timeout of the session allows.
async fn undo_step(db: &mut Database, undo: &str) {
    if let Err(e) = db.execute(undo, "undoing the failed step").await {
        tracing::warn!("undoing the failed step failed: {e}; a rerun does it");
    }
}

/// Runs the statements of step `i` (a batched one until it changes no
/// row; a MySQL online one in its online forms first).
async fn run_step(
    db: &mut Database,
    plan: &FixPlan,
    i: usize,
    options: &ApplyOptions,
    report: &mut ApplyReport,
) -> Result<(), Failure> {
    let step = &plan.steps[i];
    let context = format!("step {} ({} {})", i + 1, step.action, step.object.path());
    for sql in &step.sql {
        if stop_requested(options) {
            return Err(Failure::Stop(interrupted(options, plan, report, false, 0)));
        }
        report.statements += 1;
        let ran = match plan.dialect {
            Dialect::Mysql if step.online => {
                mysql_statement(db, step, sql, &context, options).await
            }
            _ => run_statement(db, step, sql, &context).await.map(|()| None),
        };
        match ran {
            Ok(None) => {}
            Ok(Some(refusals)) => {
                return Err(Failure::Stop(copy_refused(plan, i, refusals, report)))
            }
            Err(e) if e.kind() == ErrorKind::LockTimeout => return Err(Failure::Lock { step: i }),
            Err(e) => return Err(Failure::Stop(failed(plan, i, sql, &e, report))),
        }
        if let Some(progress) = &options.progress {
            progress.tell(ApplyEvent::Statement {
                step: i + 1,
                statement: report.statements,
            });
        }
    }
    Ok(())
}

/// The error of statement `sql` of step `i`.
fn failed(plan: &FixPlan, i: usize, sql: &str, e: &DbError, report: &ApplyReport) -> ApplyError {
    let step = &plan.steps[i];
    ApplyError::Statement {
        step: i + 1,
        action: step.action.clone(),
        object: step.object.path(),
        sql: sql.to_string(),
        message: db_message(e),
        applied_steps: report.steps_applied,
        rolled_back: report.steps_applied == 0 && plan.dialect != Dialect::Mysql,
        committed: committed_steps(plan, report.steps_applied),
    }
}

/// Runs `sql`: once, or, for a batched step, until it changes no row.
pub(crate) async fn run_statement(
    db: &mut Database,
    step: &FixStep,
    sql: &str,
    context: &str,
) -> Result<(), DbError> {
    loop {
        let changed = db.execute(sql, context).await?;
        if !step.batched || changed == 0 {
            return Ok(());
        }
    }
}

/// A MySQL/MariaDB statement of an online step: `ALGORITHM=INSTANT`,
/// else `ALGORITHM=INPLACE, LOCK=NONE`, else as written (the server may
/// copy the table) when allowed. `Some(why)`: the server turned both
/// forms down and copying is not allowed; nothing ran.
async fn mysql_statement(
    db: &mut Database,
    step: &FixStep,
    sql: &str,
    context: &str,
    options: &ApplyOptions,
) -> Result<Option<Vec<String>>, DbError> {
    let forms = mysql_online_forms(sql);
    let mut refusals = Vec::new();
    for form in &forms {
        match db.execute(form, context).await {
            Ok(_) => {
                tracing::info!("{context}: ran online: {form}");
                return Ok(None);
            }
            Err(e) if not_supported(&e) => refusals.push(db_message(&e)),
            Err(e) => return Err(e),
        }
    }
    if forms.is_empty() || options.allow_table_copy {
        run_statement(db, step, sql, context).await?;
        return Ok(None);
    }
    Ok(Some(refusals))
}

/// The error of step `i`, whose table copy the server insisted on.
fn copy_refused(
    plan: &FixPlan,
    i: usize,
    refusals: Vec<String>,
    report: &ApplyReport,
) -> ApplyError {
    let step = &plan.steps[i];
    ApplyError::TableCopyRefused {
        step: i + 1,
        object: step.object.path(),
        table: step
            .hazard
            .as_ref()
            .map(|h| h.table.clone())
            .unwrap_or_default(),
        reason: refusals.join("; "),
        applied_steps: report.steps_applied,
        committed: committed_steps(plan, report.steps_applied),
    }
}

/// Whether the server turned down an `ALGORITHM=` or `LOCK=` clause for
/// the change (MySQL/MariaDB errors 1845, 1846).
fn not_supported(e: &DbError) -> bool {
    e.code()
        .and_then(|c| c.number())
        .is_some_and(|n| n == 1845 || n == 1846)
}
