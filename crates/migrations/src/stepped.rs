//! The expected schema from a framework stepper: the framework applies its
//! own migrations (Python code, not SQL files) one at a time into a
//! scratch database, and driftless reads what each step touched, so that
//! migrations that are code get the same provenance as replayed SQL.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Instant;

use driftless_introspect::{DbUrl, Result};
use driftless_model::Snapshot;

use crate::replay::{
    connect_dev, prepare_dev, recorded_first, scratch_dev, Reader, Replay, ReplayOptions,
    ReplayStep,
};
use crate::scope::{migration_touch, Touch};
use crate::stepper::{Framework, FrameworkGraph, MigrationKey, StepOutcome, Stepper};
use crate::tracker::{conclude, DevReader, Tracker};

/// The result of [`replay_framework`]: the replay (schema, provenance keyed
/// by migration id, `app.name` for Django and the revision for Alembic)
/// and the framework's migration graph.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FrameworkReplay {
    /// The schema after every migration, and what each one did.
    pub replay: Replay,
    /// The framework's migrations as it reported them.
    pub graph: FrameworkGraph,
}

/// Lets `framework` apply all its migrations, one a step, into the scratch
/// database of `options` (for SQLite without a dev URL a temporary file),
/// reading after each step what its statements touched.
///
/// As for [`replay`](crate::replay), the final schema is read in full and
/// must equal what the steps built; if it does not (a migration changed
/// the schema through a path the stepper does not see, such as raw cursor
/// calls in Python code), the framework runs again with a full read after
/// every step. A migration the framework fails to apply is an error naming
/// its file and the framework's message.
pub async fn replay_framework(
    framework: &Framework,
    options: &ReplayOptions,
) -> Result<FrameworkReplay> {
    let started = Instant::now();
    let (dev, temp_file) = scratch_dev(options, "steps")?;
    let result = step_all(framework, options, &dev, started).await;
    if let Some(path) = temp_file {
        let _ = std::fs::remove_file(path);
    }
    result
}

async fn step_all(
    framework: &Framework,
    options: &ReplayOptions,
    dev: &DbUrl,
    started: Instant,
) -> Result<FrameworkReplay> {
    let mut pass = step_into(framework, options, dev, !options.scoped_provenance).await?;
    let mut in_full = false;
    if let Some(diverged) = &pass.diverged {
        tracing::warn!(
            "scoped provenance missed a change ({diverged}); stepping again with a full read after every migration"
        );
        pass = step_into(framework, options, dev, true).await?;
        in_full = true;
    }
    let mut reads = pass.tracker.reads;
    reads.replayed_in_full = in_full;
    Ok(FrameworkReplay {
        replay: Replay {
            snapshot: pass.snapshot,
            recorded: pass.recorded,
            provenance: pass.tracker.provenance,
            steps: pass.steps,
            elapsed: started.elapsed(),
            reads,
        },
        graph: pass.graph,
    })
}

/// One pass of [`replay_framework`].
struct Pass {
    snapshot: Snapshot,
    recorded: Option<Snapshot>,
    tracker: Tracker,
    steps: Vec<ReplayStep>,
    graph: FrameworkGraph,
    diverged: Option<String>,
}

async fn step_into(
    framework: &Framework,
    options: &ReplayOptions,
    dev: &DbUrl,
    full: bool,
) -> Result<Pass> {
    let mut scratch = options.clone();
    scratch.connect.create_if_missing = true;
    let mut db = connect_dev(dev, &scratch).await?;
    prepare_dev(&mut db).await?;
    let read = Reader {
        dev,
        options: &scratch,
    };
    let mut tracker = Tracker::new(read.full(&mut db).await?, full);
    let mut stepper = Stepper::start(framework, dev).await?;
    let graph = stepper.graph().clone();
    let mut steps = Vec::with_capacity(graph.plan.len());
    let recorded_ids = options.recorded.as_ref().filter(|r| consistent(&graph, r));
    let (order, split) = recorded_first(&graph.plan, ToString::to_string, recorded_ids);
    let mut recorded = None;
    for (i, key) in order.into_iter().enumerate() {
        if Some(i) == split {
            recorded = Some(read.recorded_state(&mut db, Some(&mut tracker)).await?);
        }
        let t0 = Instant::now();
        let statements = match stepper.apply(key).await? {
            StepOutcome::Applied { statements } => statements,
            StepOutcome::Failed {
                message,
                kind,
                line,
            } => {
                let _ = stepper.finish().await;
                return Err(step_failed(&graph, key, dev, &message, &kind, line));
            }
        };
        let id = key.to_string();
        steps.push(ReplayStep {
            id: id.clone(),
            statements: statements.as_ref().map_or(0, Vec::len),
            elapsed: t0.elapsed(),
        });
        // Statements the stepper did not see touched anything.
        let touch = match statements.as_ref().filter(|_| !full) {
            Some(statements) => {
                migration_touch(statements.iter().map(String::as_str), dev.dialect())
            }
            None => Touch::Unknown,
        };
        let sqls = statements.unwrap_or_default();
        // The statements are known only once the framework ran them: no
        // read can be shared.
        tracker.step(&id, touch, sqls, &read, &mut db).await?;
        tracker.flush(&read, &mut db).await?;
    }
    stepper.finish().await?;
    let snapshot = read.full(&mut db).await?;
    let _ = db.close().await;
    let diverged = conclude(
        Some(&mut tracker),
        &snapshot,
        split.is_some(),
        &mut recorded,
    );
    Ok(Pass {
        snapshot,
        recorded,
        tracker,
        steps,
        graph,
        diverged,
    })
}

/// Whether the migrations `recorded` as applied can be applied before the
/// rest: none depends on one that is not recorded. A ledger that breaks
/// this is what Django calls an inconsistent history; the framework's own
/// order is kept then, and the recorded state is not told apart.
fn consistent(graph: &FrameworkGraph, recorded: &BTreeSet<String>) -> bool {
    let planned: BTreeSet<String> = graph.plan.iter().map(ToString::to_string).collect();
    let broken = graph.nodes.iter().find_map(|n| {
        let key = n.key().to_string();
        if !recorded.contains(&key) {
            return None;
        }
        n.dependencies
            .iter()
            .map(ToString::to_string)
            .find(|d| planned.contains(d) && !recorded.contains(d))
            .map(|d| (key, d))
    });
    if let Some((key, dependency)) = &broken {
        tracing::warn!(
            "migration {key} is recorded as applied before its dependency {dependency}: judging against all migrations instead of the recorded ones"
        );
    }
    broken.is_none()
}

fn step_failed(
    graph: &FrameworkGraph,
    key: &MigrationKey,
    dev: &DbUrl,
    message: &str,
    kind: &str,
    line: usize,
) -> driftless_introspect::Error {
    let path = graph
        .nodes
        .iter()
        .find(|n| n.app == key.app && n.name == key.name)
        .and_then(|n| n.file.clone())
        .unwrap_or_else(|| PathBuf::from(key.to_string()));
    driftless_model::Error::Migration {
        path,
        line,
        message: format!(
            "migration {key} failed to apply on {dev} ({} said {kind}: {message})",
            graph.framework
        ),
    }
    .into()
}
