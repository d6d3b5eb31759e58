//! Online strategies: how a step on a table at or above the online
//! threshold ([`PlanOptions::online_threshold`](crate::PlanOptions)) is
//! split into steps that each commit on their own and block writers for
//! an instant at most, and the backfill that fills NULLs before a column
//! becomes NOT NULL.
//!
//! - PostgreSQL: indexes built `CONCURRENTLY` outside any transaction
//!   (after dropping the INVALID index an interrupted build left, which
//!   introspection does not count as present); foreign keys and checks
//!   added `NOT VALID`, then validated in a step of their own; unique
//!   constraints from a unique index built concurrently (`ADD CONSTRAINT
//!   … UNIQUE USING INDEX`); `SET NOT NULL` behind a validated `CHECK (c
//!   IS NOT NULL)`, which spares PostgreSQL 12+ its scan, dropped after.
//! - MySQL/MariaDB: the step is marked online; the apply tries
//!   `ALGORITHM=INSTANT`, then `ALGORITHM=INPLACE, LOCK=NONE`, and copies
//!   the table only when allowed.

use driftless_model::{Dialect, ObjectKind, Snapshot, Table};

use driftless_model::{statement_lock, StatementLock};

use crate::hazards::{is_big, DurationClass, StepHazard};
use crate::model::StepSpec;
use crate::plan::{FixStep, PlanError};
use crate::safety::Safety;
use crate::sql::online::backfill_batch;
use crate::sql::Postgres;

/// What a rerun does after an interrupted concurrent index build.
const INDEX_RERUN: &str = "an interrupted build leaves an INVALID index, which driftless does not count as present: a rerun drops it (DROP INDEX CONCURRENTLY) and builds it again";
/// What a rerun does after the `NOT VALID` step.
const NOT_VALID_RERUN: &str = "a NOT VALID constraint is not counted as present: a rerun drops it and adds it again, then validates it";
/// What a rerun does after a validation step.
const VALIDATE_RERUN: &str = "a validation interrupted leaves the constraint NOT VALID, which a rerun adds and validates again; once validated it is done";
/// What a rerun does after the unique index step.
const UNIQUE_INDEX_RERUN: &str = "the unique index built without its constraint is an index the expected schema lacks: a rerun drops it and builds it again";
/// What a rerun does after a step of the `SET NOT NULL` sequence.
const NOT_NULL_RERUN: &str = "the helper check constraint left by an interruption is an orphan the rerun drops before it starts the sequence again";
/// What a rerun does after a MySQL/MariaDB online step.
const MYSQL_RERUN: &str =
    "MySQL commits each ALTER TABLE as it runs: a rerun plans again from what is left";
/// What a rerun does after a backfill batch.
const BACKFILL_RERUN: &str = "each batch commits on its own: a rerun fills the NULLs that are left";

/// The online form of `spec`, a step adding part `n` (of `kind`) to the
/// big table `s.tn` whose expected definition is `target`: one or more
/// steps.
pub(crate) fn add_part<'r>(
    d: Dialect,
    kind: ObjectKind,
    (s, tn, n): (&str, &str, &str),
    target: &Table,
    mut spec: StepSpec<'r>,
) -> Vec<StepSpec<'r>> {
    match d {
        Dialect::Postgres => pg_add_part(kind, (s, tn, n), target, spec),
        Dialect::Mysql => {
            spec.make_online(false, MYSQL_RERUN);
            vec![spec]
        }
        Dialect::Sqlite => vec![spec],
    }
}

fn pg_add_part<'r>(
    kind: ObjectKind,
    (s, tn, n): (&str, &str, &str),
    target: &Table,
    mut spec: StepSpec<'r>,
) -> Vec<StepSpec<'r>> {
    let pg = Postgres;
    let Some(add) = spec.sql.first().cloned() else {
        return vec![spec];
    };
    match kind {
        ObjectKind::Index => {
            spec.action = "create index concurrently";
            spec.safety = Safety::Safe;
            both(
                &mut spec,
                vec![pg.drop_index_concurrently(s, n), pg.concurrently(&add)],
            );
            spec.make_online(true, INDEX_RERUN);
            spec.undo = Some(pg.drop_index_concurrently(s, n));
            vec![spec]
        }
        ObjectKind::ForeignKey | ObjectKind::Check => {
            let mut validate = sibling(&spec, "validate constraint");
            // Reads every row, but under a lock that lets writers go on.
            validate.safety = Safety::Safe;
            validate.statement(pg.validate_constraint(s, tn, n));
            validate.make_online(false, VALIDATE_RERUN);
            spec.action = "add constraint not valid";
            spec.safety = Safety::Safe;
            both(
                &mut spec,
                vec![pg.drop_constraint_if_exists(s, tn, n), pg.not_valid(&add)],
            );
            spec.make_online(false, NOT_VALID_RERUN);
            vec![spec, validate]
        }
        ObjectKind::Unique => match target.uniques.get(n) {
            Some(u) if !u.nulls_not_distinct => {
                let mut index = sibling(&spec, "create unique index concurrently");
                index.safety = Safety::Safe;
                both(
                    &mut index,
                    vec![
                        pg.drop_index_concurrently(s, n),
                        pg.unique_index_concurrently(s, tn, n, &u.columns),
                    ],
                );
                index.make_online(true, UNIQUE_INDEX_RERUN);
                index.undo = Some(pg.drop_index_concurrently(s, n));
                spec.action = "add unique constraint using index";
                spec.safety = Safety::Safe;
                spec.statement(pg.unique_using_index(s, tn, n));
                spec.make_online(false, UNIQUE_INDEX_RERUN);
                vec![index, spec]
            }
            _ => vec![spec],
        },
        _ => vec![spec],
    }
}

/// A step on the same object for the same findings.
fn sibling<'r>(spec: &StepSpec<'r>, action: &'static str) -> StepSpec<'r> {
    let mut s = StepSpec::new(spec.object.clone(), action, spec.safety);
    s.fixes = spec.fixes.clone();
    s.note = spec.note;
    s
}

/// The step runs `stmts`, which are re-runnable as they are.
fn both(spec: &mut StepSpec<'_>, stmts: Vec<String>) {
    spec.script = stmts.clone();
    spec.sql = stmts;
}

/// The name of the helper check of the online `SET NOT NULL` of column
/// `c` of table `tn`.
pub(crate) fn not_null_check_name(tn: &str, c: &str) -> String {
    let name = format!("{tn}_{c}_driftless_not_null");
    // PostgreSQL names are at most 63 bytes.
    match name.char_indices().nth(63) {
        Some((at, _)) if name.len() > 63 => name[..at].to_string(),
        _ => name,
    }
}

/// The steps around an online `SET NOT NULL` of column `c` of big table
/// `s.tn` (PostgreSQL): before it, the helper check added `NOT VALID` and
/// validated; after it, the check dropped. `template` is the column's step.
pub(crate) fn pg_not_null<'r>(
    (s, tn, c): (&str, &str, &str),
    template: &StepSpec<'r>,
) -> (Vec<StepSpec<'r>>, StepSpec<'r>) {
    let pg = Postgres;
    let name = not_null_check_name(tn, c);
    let mut add = sibling(template, "add not-null check not valid");
    add.safety = Safety::Safe;
    both(
        &mut add,
        vec![
            pg.drop_constraint_if_exists(s, tn, &name),
            pg.not_null_check(s, tn, &name, c),
        ],
    );
    add.make_online(false, NOT_NULL_RERUN);
    let mut validate = sibling(template, "validate not-null check");
    validate.safety = Safety::Safe;
    validate.statement(pg.validate_constraint(s, tn, &name));
    validate.make_online(false, NOT_NULL_RERUN);
    let mut drop = sibling(template, "drop not-null check");
    drop.safety = Safety::Safe;
    drop.statement(pg.drop_constraint_if_exists(s, tn, &name));
    drop.make_online(false, NOT_NULL_RERUN);
    (vec![add, validate], drop)
}

/// The backfill step of column `c` of `s.tn`: its NULLs get `default`
/// (the expected default), in batches, before the column becomes NOT
/// NULL; `count` counts the rows it changes. Online on a big table (each
/// batch commits on its own).
pub(crate) fn backfill<'r>(
    d: Dialect,
    (s, tn, c): (&str, &str, &str),
    default: &str,
    template: &StepSpec<'r>,
    online: bool,
) -> Result<StepSpec<'r>, PlanError> {
    let mut step = sibling(template, "backfill column");
    step.safety = Safety::DataChange;
    step.statement(backfill_batch(d, s, tn, c, default)?);
    step.batched = true;
    if online {
        step.make_online(true, BACKFILL_RERUN);
    }
    Ok(step)
}

/// The existing table a step changes, as `(schema, table)`.
fn step_table<'s>(step: &'s FixStep, act: &Snapshot) -> Option<(&'s str, &'s str)> {
    let o = &step.object;
    let table = match o.kind {
        ObjectKind::Table => o.name.as_deref().or(o.table.as_deref())?,
        _ => o.table.as_deref()?,
    };
    act.table(&o.schema, table)?;
    Some((o.schema.as_str(), table))
}

/// The hazard of `step` on the existing table it changes: the lock of its
/// MySQL column change's algorithm, else its strongest statement lock,
/// with the table's live size from `act` (none on SQLite).
pub(crate) fn step_hazard(d: Dialect, step: &FixStep, act: &Snapshot) -> Option<StepHazard> {
    // SQLite locks the whole database for any write, keeps no sizes, and
    // always runs in one transaction: nothing to tell apart.
    if d == Dialect::Sqlite {
        return None;
    }
    let (schema, table) = step_table(step, act)?;
    let locks: Vec<StatementLock> = match step.algorithm {
        // Decided from the columns: the step's one ALTER TABLE.
        Some(a) => vec![a.lock()],
        None => step
            .sql
            .iter()
            .filter_map(|s| statement_lock(d, s))
            .collect(),
    };
    let (lock, rewrites, scans) = locks
        .into_iter()
        .map(|l| (l.level, l.rewrites, l.scans))
        .reduce(|a, b| (a.0.max(b.0), a.1 || b.1, a.2 || b.2))?;
    let size = act.sizes.get(schema, table).unwrap_or_default();
    let duration = match (rewrites || scans, size.bytes) {
        (false, _) => Some(DurationClass::Instant),
        (true, Some(b)) => Some(DurationClass::of_bytes(b)),
        (true, None) => None,
    };
    Some(StepHazard {
        table: format!("{schema}.{table}"),
        lock,
        lock_name: lock.name(d).to_string(),
        rewrites,
        scans,
        algorithm: step.algorithm,
        rows: size.rows,
        bytes: size.bytes,
        duration,
    })
}

/// What a rerun does after an interruption at a step made online only
/// because its table is big.
const COMMITS_ALONE: &str = "the step commits on its own: a rerun plans again from what is left";

/// Gives every step its hazard, and makes online the steps on tables at
/// or above `threshold` that no online strategy split already (each then
/// commits on its own, its statements retried on a lock timeout; MySQL
/// ALTER TABLE statements get ALGORITHM=INSTANT or INPLACE, LOCK=NONE).
pub(crate) fn annotate(steps: &mut [FixStep], act: &Snapshot, threshold: Option<u64>) {
    let d = act.dialect;
    for step in steps {
        step.hazard = step_hazard(d, step, act);
        // Told by the hazard from here on.
        step.algorithm = None;
        let big = step_table(step, act).is_some_and(|(s, t)| is_big(act, s, t, threshold));
        if big && d != Dialect::Sqlite && !step.online {
            step.online = true;
            step.on_rerun = Some(COMMITS_ALONE.to_string());
        }
    }
}
