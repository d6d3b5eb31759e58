//! `plan` and `fix` over a fleet: the drifted targets grouped by identical
//! drift, one plan per group (made for its first member and shown once),
//! applied with `fix --apply` to every member, each in its own
//! transaction and under its own lock; a member that fails (or whose own
//! plan is not its group's) is reported and the others go on.

use std::fmt::Write as _;

use anyhow::{Context as _, Result};
use driftless_pipeline::fleet::{default_jobs, GroupPlan, TargetCheck, TargetFix};
use futures::StreamExt;

use super::{Outcome, Prepared, Run, Targets};
use crate::args::{FixArgs, PlanArgs, PlanFormat, RepairArgs};
use crate::commands::{check_repair, policy_apply_options, policy_plan_options, Ctx};
use crate::format::fleet::{summary_line, thousands};
use crate::format::markdown;
use crate::Status;

/// Every target checked and kept (a plan needs each member's schemas),
/// with the run's groups.
async fn check_all(
    prepared: &Prepared,
    targets: &mut Targets,
) -> Result<(Vec<TargetCheck>, Outcome)> {
    let mut run = Run::new(None);
    let mut checks = Vec::new();
    let mut stream = prepared.checks(targets).await?;
    while let Some(check) = stream.next().await {
        let report = run.add(&check);
        prepared.bar.done(&report);
        checks.push(check);
    }
    drop(stream);
    prepared.bar.finish();
    Ok((checks, run.finish()))
}

/// The plans of the drift groups, each headed by the targets it is for
/// (Markdown: under the title `title`).
fn render_plans(plans: &[GroupPlan], outcome: &Outcome, format: PlanFormat, title: &str) -> String {
    let markdown = format == PlanFormat::Markdown;
    let mut out = String::new();
    if markdown {
        let _ = writeln!(out, "## {title}: {} drift group(s)\n", plans.len());
    }
    for p in plans {
        let members = p.targets.join(", ");
        if markdown {
            let _ = writeln!(
                out,
                "### {} ({})\n\n{}",
                markdown::text(&format!("{} target(s): {members}", p.targets.len())),
                markdown::code(&p.fingerprint),
                markdown::plan_body(&p.plan, 4)
            );
        } else {
            let _ = writeln!(
                out,
                "-- Drift group {} — {} target(s): {members}\n-- (planned for {}; each member is planned again and must match)\n{}",
                p.fingerprint,
                p.targets.len(),
                p.representative,
                p.plan.to_sql()
            );
        }
    }
    let prefix = if markdown { "" } else { "-- " };
    for t in &outcome.failed {
        let error = t.error.as_deref().unwrap_or("");
        let line = format!("Not checked: {}: {error}", t.target);
        let line = if markdown {
            markdown::text(&line)
        } else {
            line
        };
        let _ = writeln!(out, "{prefix}{line}\n");
    }
    let _ = writeln!(
        out,
        "{prefix}{}",
        summary_line(&outcome.summary, &outcome.groups)
    );
    out
}

/// A fleet's plan is SQL or Markdown.
fn plan_format(format: PlanFormat) -> Result<PlanFormat> {
    match format {
        PlanFormat::Sql | PlanFormat::Markdown => Ok(format),
        other => anyhow::bail!(
            "--format {} plans one database: a fleet's plan prints as sql or markdown (one plan per drift group)",
            clap::ValueEnum::to_possible_value(&other)
                .map(|v| v.get_name().to_string())
                .unwrap_or_default()
        ),
    }
}

/// Checks and plans every group; the plans, the run's outcome.
async fn plan_groups(
    prepared: &Prepared,
    targets: &mut Targets,
    repair: &RepairArgs,
) -> Result<(Vec<GroupPlan>, Outcome)> {
    let (checks, outcome) = check_all(prepared, targets).await?;
    let options = policy_plan_options(repair, prepared.fleet.config().fix());
    let plans = prepared.fleet.plan_groups(checks, &options)?;
    Ok((plans, outcome))
}

/// `plan` over a fleet: one plan per drift group. Exit codes as `check`.
pub async fn plan(ctx: &Ctx, args: PlanArgs) -> Result<Status> {
    let format = plan_format(args.format)?;
    let (prepared, mut targets) =
        Prepared::load(ctx, &args.db, &args.expect, &args.fleet, None).await?;
    let (plans, outcome) = plan_groups(&prepared, &mut targets, &args.repair).await?;
    ctx.write_stdout(&render_plans(&plans, &outcome, format, "driftless plan"))
        .context("writing the plan")?;
    Ok(outcome.status(prepared.fleet.config().fail_on()))
}

/// `fix` over a fleet: without --apply, the plans; with it, each group's
/// plan applied to each member.
pub async fn fix(ctx: &Ctx, args: FixArgs) -> Result<Status> {
    if args.apply {
        check_repair(&args.repair)?;
    }
    if args.apply_pending {
        anyhow::bail!("--apply-pending repairs one database: run it per target, not with a fleet");
    }
    let format = match args.format {
        crate::args::FixFormat::Text => PlanFormat::Sql,
        crate::args::FixFormat::Markdown => PlanFormat::Markdown,
    };
    let (prepared, mut targets) =
        Prepared::load(ctx, &args.db, &args.expect, &args.fleet, None).await?;
    let (plans, outcome) = plan_groups(&prepared, &mut targets, &args.repair).await?;
    if !args.apply {
        let title = "driftless fix: plan only, nothing applied";
        ctx.write_stdout(&render_plans(&plans, &outcome, format, title))
            .context("writing the plan")?;
        if !ctx.quiet && !plans.is_empty() {
            tracing::warn!("nothing was changed: run again with --apply to execute these plans");
        }
        return Ok(outcome.status(prepared.fleet.config().fail_on()));
    }
    let jobs = args.fleet.jobs.map_or_else(default_jobs, |j| j as usize);
    // The `[fix]` policy and the live sizes, as for one database.
    let config = prepared.fleet.config();
    let plan_opts = policy_plan_options(&args.repair, config.fix());
    let apply_opts = policy_apply_options(ctx, &args.repair, &[], config)?;
    let mut fixes = Vec::new();
    for group in plans {
        let spinner = ctx.spinner(format!(
            "repairing {} (drift group {})",
            group.targets.join(", "),
            group.fingerprint
        ));
        fixes.extend(group.apply(&plan_opts, &apply_opts, jobs).await);
        drop(spinner);
    }
    fixes.sort_by(|a, b| a.target.cmp(&b.target));
    let (text, status) = fix_report(&fixes, &outcome);
    let text = match format {
        PlanFormat::Markdown => markdown_report(&text, status),
        _ => text,
    };
    ctx.write_stdout(&text).context("writing the fix report")?;
    Ok(status)
}

/// What each member's repair did, then the verdict: converged (exit 0)
/// only when every drifted target converged and every target was checked.
fn fix_report(fixes: &[TargetFix], outcome: &Outcome) -> (String, Status) {
    let mut out = String::new();
    let (mut converged, mut drift, mut failed) = (0, 0, outcome.failed.len());
    for f in fixes {
        match &f.result {
            Ok(r) if r.converged() => {
                converged += 1;
                let steps = r.applied.as_ref().map_or(0, |a| a.steps_applied);
                let _ = writeln!(out, "{}: converged ({steps} step(s) applied).", f.target);
            }
            Ok(r) => {
                drift += 1;
                let left = r.after.failing(r.after.fail_on).count();
                let _ = writeln!(
                    out,
                    "{}: not converged, {left} finding(s) remain.",
                    f.target
                );
            }
            Err(e) => {
                failed += 1;
                let _ = writeln!(out, "{}: not repaired: {e}", f.target);
            }
        }
    }
    for t in &outcome.failed {
        let _ = writeln!(
            out,
            "{}: not checked: {}",
            t.target,
            t.error.as_deref().unwrap_or("")
        );
    }
    let _ = writeln!(
        out,
        "Repaired {} of {} drifted target(s); {} not converged, {} failed; {} clean target(s) untouched.",
        thousands(converged),
        thousands(fixes.len()),
        thousands(drift),
        thousands(failed),
        thousands(outcome.summary.clean)
    );
    let status = if drift > 0 {
        Status::Drift
    } else if failed > 0 {
        Status::Unchecked
    } else {
        Status::Clean
    };
    (out, status)
}

/// The fix report as Markdown: the verdict as the title, a line a target.
fn markdown_report(text: &str, status: Status) -> String {
    let verdict = match status {
        Status::Clean => "converged",
        Status::Drift => "not converged",
        Status::Unchecked => "not every target repaired",
    };
    let mut out = format!("## driftless fix: {verdict}\n\n");
    let mut lines: Vec<&str> = text.lines().collect();
    let last = lines.pop().unwrap_or("");
    for line in lines {
        let _ = writeln!(out, "- {}", markdown::text(line));
    }
    let _ = writeln!(out, "\n{}", markdown::text(last));
    out
}
