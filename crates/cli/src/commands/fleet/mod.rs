//! Fleets: `check`, `plan` and `fix` over many targets compared with one
//! expected schema — the tenant schemas of a database (`--each-schema`),
//! the databases of a server (`--each-database`) or of a list
//! (`--targets`). Targets are checked a bounded number at once and
//! reported as they finish; what is kept grows with the distinct drift
//! groups (and the targets that failed), not with the targets.
//!
//! Exit codes: 1 when any target drifted (with `--baseline`: only new
//! drift), 2 when a target could not be checked and none drifted, 0
//! otherwise.

mod bar;
mod fix;
mod sink;
mod targets;

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use driftless_introspect::Source;
use driftless_pipeline::fleet::{
    Baseline, BaselineDiff, Fleet, FleetReport, FleetSummary, Group, Groups, Shard, TargetCheck,
    TargetReport,
};
use driftless_pipeline::{ExpectedSource, LiveDatabase};
use driftless_rules::{Registry, Severity};
use futures::stream::{self, BoxStream, StreamExt};

use super::{expected, load_config, Ctx};
use crate::args::{CheckArgs, DbArgs, ExpectArgs, FleetArgs};
use crate::format::fleet::FleetView;
use crate::Status;

pub use bar::Bar;
pub use fix::{fix, plan};
pub use targets::Targets;

/// A fleet ready to run: the library's [`Fleet`], the per-target budget,
/// the shard and the progress bar.
pub struct Prepared {
    /// The fleet.
    pub fleet: Fleet,
    budget: Option<std::time::Duration>,
    shard: Option<Shard>,
    /// The progress bar.
    pub bar: Arc<Bar>,
}

impl Prepared {
    /// Reads the configuration and the targets; nothing is checked yet.
    pub async fn load(
        ctx: &Ctx,
        db: &DbArgs,
        expect: &ExpectArgs,
        args: &FleetArgs,
        fail_on: Option<Severity>,
    ) -> Result<(Prepared, Targets)> {
        let mut config = load_config(expect.config.as_deref())?;
        if let Some(severity) = fail_on {
            config.set_fail_on(severity);
        }
        if db.opt_in(&config) != driftless_model::OptIn::default() {
            anyhow::bail!(
                "privileges, publications and extension versions are not compared across a fleet (--each-schema, --each-database, --targets): check one database at a time with --privileges / --publications / --extension-versions"
            );
        }
        let shard = targets::shard(args.shard.as_deref())?;
        let bar = Arc::new(Bar::new(ctx.quiet));
        let mut fleet = Fleet::new(source(ctx, expect, args.expect_schema.as_deref())?)
            .with_registry(Registry::builtin())
            .with_config(config)
            .with_connect(ctx.read_only(), ctx.read_write())
            .with_progress(Arc::new(bar::BarProgress(Arc::clone(&bar))));
        if let Some(jobs) = args.jobs {
            fleet = fleet.with_jobs(jobs as usize);
        }
        if let Some(schema) = &args.expect_schema {
            fleet = fleet.with_expect_schema(schema.clone());
        }
        if let Some(shard) = shard {
            fleet = fleet.with_shard(shard);
        }
        let targets = Targets::from_args(ctx, db, args).await?;
        let prepared = Prepared {
            fleet,
            budget: args.target_timeout,
            shard,
            bar,
        };
        Ok((prepared, targets))
    }

    /// The checks of `targets`, as they finish.
    pub async fn checks<'a>(
        &'a self,
        targets: &'a mut Targets,
    ) -> Result<BoxStream<'a, TargetCheck>> {
        Ok(match targets {
            Targets::Schemas { db, glob } => self.fleet.each_schema(db, glob).await?,
            Targets::Databases(list) => {
                let list = std::mem::take(list);
                let shard = self.shard;
                let held = list
                    .iter()
                    .filter(|t| shard.is_none_or(|s| s.holds(&target_name(t))))
                    .count();
                self.bar.set_total(held);
                if let Some(Ok(first)) = list.first() {
                    self.fleet.load_expected(first).await?;
                }
                self.fleet.databases(stream::iter(list), self.budget)
            }
        })
    }
}

/// The name a target of a list has in the report.
fn target_name(t: &driftless_pipeline::fleet::TargetUrl) -> String {
    match t {
        Ok(url) => url.to_string(),
        Err((name, _)) => name.clone(),
    }
}

/// The expected source; a database named with `--expect-schema` is read
/// for that schema alone, and may be the targets' own database.
fn source(ctx: &Ctx, expect: &ExpectArgs, schema: Option<&str>) -> Result<Box<dyn ExpectedSource>> {
    if let (Some(spec), Some(schema)) = (&expect.expect, schema) {
        if let Source::Database(url) = Source::parse(spec)? {
            return Ok(Box::new(LiveDatabase::new(url).with_schema(schema)));
        }
    }
    expected::source(ctx, expect)
}

/// What a run ended with.
#[derive(Debug)]
pub struct Outcome {
    /// The drift groups.
    pub groups: Vec<Group>,
    /// The counts.
    pub summary: FleetSummary,
    /// The targets that could not be checked.
    pub failed: Vec<TargetReport>,
    /// What changed since the baseline.
    pub baseline: Option<BaselineDiff>,
}

impl Outcome {
    /// The exit status: drift when a target drifted (with a baseline: when
    /// a new finding fails); else `Unchecked` when a target failed.
    pub fn status(&self, fail_on: Severity) -> Status {
        let drift = match &self.baseline {
            Some(diff) => diff.has_new_drift(fail_on),
            None => self.summary.drifted > 0,
        };
        if drift {
            Status::Drift
        } else if self.summary.failed > 0 {
            Status::Unchecked
        } else {
            Status::Clean
        }
    }

    /// The view the reports render.
    pub fn view<'a>(&'a self, expected: &'a str) -> FleetView<'a> {
        FleetView {
            expected,
            groups: &self.groups,
            summary: self.summary,
            failed: &self.failed,
            baseline: self.baseline.as_ref(),
        }
    }
}

/// Reads an earlier run's JSON report (`--baseline`, `report merge`).
pub fn read_report(path: &Path) -> Result<FleetReport> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the report {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a fleet report (`driftless check --each-schema|--each-database|--targets … --format json` writes one)",
            path.display()
        )
    })
}

/// `check` over a fleet: each target reported as it finishes, the groups
/// at the end.
pub async fn check(ctx: &Ctx, args: CheckArgs) -> Result<Status> {
    let fail_on = args.fail_on.map(Into::into);
    let (prepared, mut targets) =
        Prepared::load(ctx, &args.db, &args.expect, &args.fleet, fail_on).await?;
    let baseline = args
        .baseline
        .as_deref()
        .map(read_report)
        .transpose()?
        .map(Baseline::new);
    let fail_on = prepared.fleet.config().fail_on();
    let metas = Registry::builtin().metas().copied().collect();
    let mut sink = sink::for_format(args.format, metas);
    let expected = prepared.fleet.describe();
    let write = |text: String| ctx.write_stdout(&text).context("writing the report");
    let mut run = Run::new(baseline);
    let mut checks = prepared.checks(&mut targets).await?;
    write(sink.head(&expected, prepared.shard))?;
    while let Some(check) = checks.next().await {
        let report = run.add(&check);
        prepared.bar.done(&report);
        write(sink.target(&check, &report))?;
    }
    drop(checks);
    prepared.bar.finish();
    let outcome = run.finish();
    write(sink.tail(&outcome.view(&expected)))?;
    Ok(outcome.status(fail_on))
}

/// A run's state: the groups, the failed targets, the baseline compared.
pub struct Run {
    groups: Groups,
    failed: Vec<TargetReport>,
    baseline: Option<Baseline>,
}

impl Run {
    /// No target yet.
    pub fn new(baseline: Option<Baseline>) -> Run {
        Run {
            groups: Groups::new(),
            failed: Vec::new(),
            baseline,
        }
    }

    /// Counts one target in; returns its report.
    pub fn add(&mut self, check: &TargetCheck) -> TargetReport {
        let report = check.add_to(&mut self.groups);
        self.note(&report);
        report
    }

    /// Keeps what the end needs of a target's report.
    fn note(&mut self, report: &TargetReport) {
        if let Some(b) = &mut self.baseline {
            b.compare(report);
        }
        if report.error.is_some() {
            self.failed.push(report.clone());
        }
    }

    /// The groups, the summary and the baseline's changes.
    pub fn finish(self) -> Outcome {
        let (groups, summary) = self.groups.finish();
        let baseline = self
            .baseline
            .map(|b| b.finish(groups.iter().map(|g| g.fingerprint.as_str())));
        let mut failed = self.failed;
        failed.sort_by(|a, b| a.target.cmp(&b.target));
        Outcome {
            groups,
            summary,
            failed,
            baseline,
        }
    }
}
