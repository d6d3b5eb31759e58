//! `driftless report merge`: the JSON reports of the shards of one fleet
//! run combined into the report of the whole run (the same groups,
//! summary and exit code as the run unsharded).

use anyhow::{Context as _, Result};
use driftless_pipeline::fleet::{Baseline, FleetReport};
use driftless_rules::Severity;

use super::fleet::{read_report, Outcome};
use super::Ctx;
use crate::args::{MergeArgs, MergeFormat, ReportArgs, ReportCommand};
use crate::format::fleet as render;
use crate::Status;

/// Runs `report merge`.
pub fn run(ctx: &Ctx, args: ReportArgs) -> Result<Status> {
    match args.command {
        ReportCommand::Merge(args) => merge(ctx, &args),
    }
}

fn merge(ctx: &Ctx, args: &MergeArgs) -> Result<Status> {
    let reports = args
        .files
        .iter()
        .map(|f| read_report(f))
        .collect::<Result<Vec<_>>>()?;
    let mut merged = FleetReport::merge(reports).context("cannot merge the reports")?;
    if let Some(path) = &args.baseline {
        let mut baseline = Baseline::new(read_report(path)?);
        merged.targets.iter().for_each(|t| baseline.compare(t));
        merged.baseline =
            Some(baseline.finish(merged.groups.iter().map(|g| g.fingerprint.as_str())));
    }
    let fail_on = args.fail_on.map_or(Severity::Warning, Into::into);
    let outcome = Outcome {
        failed: merged
            .targets
            .iter()
            .filter(|t| t.error.is_some())
            .cloned()
            .collect(),
        groups: merged.groups.clone(),
        summary: merged.summary,
        baseline: merged.baseline.clone(),
    };
    let text = match args.format {
        MergeFormat::Json => render::json_document(&merged),
        MergeFormat::Human => render::human(&outcome.view(&merged.expected)),
        MergeFormat::Markdown => render::markdown(&outcome.view(&merged.expected)),
    };
    ctx.write_stdout(&text).context("writing the report")?;
    Ok(outcome.status(fail_on))
}
