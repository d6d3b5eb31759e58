//! The deploy preflight: the pending migrations applied, in order, to a
//! schema-only copy of the live database in the dev database, as the next
//! migrate will apply them to the live one. The first that fails is the
//! one the deploy fails on; every statement that holds up a table is noted.

use driftless_introspect::{Database, DbUrl, Error, Result};
use driftless_model::{
    split_statements, statement_hazards, statement_lock, Dialect, MigrationSet, PendingFailure,
    PendingHazard, PendingRun,
};

use crate::replay::{connect_dev, prepare_dev, resolve_dev, scratch_dev, ReplayOptions};
use crate::stepper::{Framework, StepOutcome, Stepper};

/// What the dev database starts from: the statements that build the copy
/// of the live schema (and, for a framework, of its ledger), and the
/// pending migrations to apply to it, by id, in order.
#[derive(Debug, Clone, Copy)]
pub struct PreflightInput<'a> {
    /// Statements building the copy (the schema as the fixer creates it).
    pub copy: &'a [String],
    /// The pending migrations, by id, in the order migrate applies them.
    pub pending: &'a [String],
}

/// Applies the pending SQL migrations of `set` to the copy, one statement
/// at a time: the first failing statement ends the run, named by file and
/// line with the database's message.
pub async fn preflight_sql(
    set: &MigrationSet,
    input: PreflightInput<'_>,
    options: &ReplayOptions,
) -> Result<PendingRun> {
    let dev = resolve_dev(options)?;
    let mut db = copy_into(&dev, input.copy, options).await?;
    let mut run = PendingRun::default();
    'migrations: for id in input.pending {
        let Some(m) = set.migrations.iter().find(|m| &m.id == id) else {
            continue;
        };
        let Some(sql) = &m.sql else { continue };
        for stmt in split_statements(sql, dev.dialect()) {
            if let Err(e) = db.execute(&stmt.sql, "applying a pending migration").await {
                let failure = PendingFailure::new(id, database_message(e)?)
                    .at(set.file_path(m), m.sql_line + stmt.line - 1);
                run.failure = Some(failure);
                break 'migrations;
            }
            note_hazards(&mut run, id, &stmt.sql, &dev);
        }
        run.applied.push(id.clone());
    }
    let _ = db.close().await;
    Ok(run)
}

/// Lets `framework` apply the pending migrations to the copy, which holds
/// the framework's ledger too, so that it sees what is applied.
pub async fn preflight_framework(
    framework: &Framework,
    input: PreflightInput<'_>,
    options: &ReplayOptions,
) -> Result<PendingRun> {
    let (dev, temp_file) = scratch_dev(options, "preflight")?;
    let result = framework_run(framework, input, options, &dev).await;
    if let Some(path) = temp_file {
        let _ = std::fs::remove_file(path);
    }
    result
}

async fn framework_run(
    framework: &Framework,
    input: PreflightInput<'_>,
    options: &ReplayOptions,
    dev: &DbUrl,
) -> Result<PendingRun> {
    let mut scratch = options.clone();
    scratch.connect.create_if_missing = true;
    let db = copy_into(dev, input.copy, &scratch).await?;
    let _ = db.close().await;
    let mut stepper = Stepper::start(framework, dev).await?;
    let graph = stepper.graph().clone();
    let mut run = PendingRun::default();
    for id in input.pending {
        let Some(key) = graph.plan.iter().find(|k| &k.to_string() == id) else {
            continue;
        };
        match stepper.apply(key).await? {
            StepOutcome::Applied { statements } => {
                for sql in statements.iter().flatten() {
                    note_hazards(&mut run, id, sql, dev);
                }
                run.applied.push(id.clone());
            }
            StepOutcome::Failed { message, .. } => {
                let file = graph
                    .nodes
                    .iter()
                    .find(|n| n.key() == *key)
                    .and_then(|n| n.file.clone());
                let mut failure = PendingFailure::new(id, message);
                if let Some(file) = file {
                    failure = failure.at(file, 0);
                }
                run.failure = Some(failure);
                break;
            }
        }
    }
    stepper.finish().await?;
    Ok(run)
}

/// Empties the dev database and builds the copy in it.
async fn copy_into(dev: &DbUrl, copy: &[String], options: &ReplayOptions) -> Result<Database> {
    let mut db = connect_dev(dev, options).await?;
    prepare_dev(&mut db).await?;
    for sql in copy {
        if let Err(e) = db.execute(sql, "copying the live schema").await {
            return Err(Error::Invalid(format!(
                "cannot copy the live schema into the dev database {dev} for the preflight: `{sql}` failed: {}",
                database_message(e)?
            )));
        }
    }
    Ok(db)
}

/// The database's own message of a failed statement; other errors
/// (connection lost) end the preflight.
fn database_message(e: Error) -> Result<String> {
    match e {
        Error::Query { message, .. } | Error::PermissionDenied { message, .. } => Ok(message),
        other => Err(other),
    }
}

/// The hazards of statement `sql` of migration `id`, each with the table
/// lock the statement takes (not on SQLite, which locks the database).
fn note_hazards(run: &mut PendingRun, id: &str, sql: &str, dev: &DbUrl) {
    let d = dev.dialect();
    let lock = statement_lock(d, sql)
        .filter(|_| d != Dialect::Sqlite)
        .map(|l| l.level);
    for hazard in statement_hazards(sql, d) {
        let mut h = PendingHazard::new(id, sql, hazard);
        h.lock = lock;
        run.hazards.push(h);
    }
}
