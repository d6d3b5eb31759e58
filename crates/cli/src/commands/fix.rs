//! `driftless fix`: without --apply, the plan (nothing changes); with
//! --apply, run it under the fix lock, then read the schema again and
//! exit 0 only when the drift is gone.

use std::fmt::Write as _;

use anyhow::{Context as _, Result};
use driftless_fixer::{apply, FixPlan};
use driftless_introspect::Database;

use super::{plan::count_rows, Ctx, Prepared};
use crate::args::{CheckFormat, FixArgs};
use crate::format::{self, CheckReport};
use crate::Status;

/// Plans, and with --apply repairs and verifies.
pub async fn run(ctx: &Ctx, args: FixArgs) -> Result<Status> {
    let prepared = Prepared::load(ctx, &args.db, &args.expect, None).await?;
    let mut plan = prepared.plan(&args.repair)?;
    if !args.apply {
        count_rows(ctx, &prepared, &mut plan).await?;
        ctx.write_stdout(&plan.to_sql())
            .context("writing the plan")?;
        if !ctx.quiet && !plan.is_empty() {
            tracing::warn!("nothing was changed: run again with --apply to execute this plan");
        }
        return Ok(prepared.status());
    }

    let mut out = String::new();
    if plan.is_empty() {
        let _ = writeln!(out, "Nothing to apply to {}.", prepared.url);
    } else {
        let spinner = ctx.spinner(format!(
            "applying {} step(s) to {}",
            plan.steps.len(),
            prepared.url
        ));
        let mut db = Database::connect(&prepared.url, &ctx.read_write()).await?;
        let options = super::apply_options(&args.repair, &args.db.schemas);
        let applied = apply(&mut db, &plan, &options).await;
        let _ = db.close().await;
        drop(spinner);
        let applied = applied?;
        describe_steps(&mut out, &plan);
        let _ = writeln!(
            out,
            "Applied {} step(s), {} statement(s) to {} in {:.2}s (lock acquired after {:.2}s).",
            applied.steps_applied,
            applied.statements,
            prepared.url,
            applied.elapsed.as_secs_f64(),
            applied.lock_wait.as_secs_f64()
        );
        let after = prepared.recheck(&applied.after);
        return finish(ctx, &prepared, &plan, after, out);
    }
    let report = prepared.report.clone();
    finish(ctx, &prepared, &plan, report, out)
}

fn describe_steps(out: &mut String, plan: &FixPlan) {
    for (i, s) in plan.steps.iter().enumerate() {
        let rows = s
            .affected_rows
            .map(|n| format!(" ({n} row(s) affected)"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:>2}. [{}] {} {}{rows}",
            i + 1,
            s.safety,
            s.action,
            s.object.path()
        );
    }
}

/// Reports what is left and decides the exit status: converged only when
/// no finding fails any more.
fn finish(
    ctx: &Ctx,
    prepared: &Prepared,
    plan: &FixPlan,
    after: driftless_rules::Report,
    mut out: String,
) -> Result<Status> {
    for s in &plan.withheld {
        let _ = writeln!(
            out,
            "Withheld: [{}] {} {}: {}",
            s.safety, s.action, s.object, s.reason
        );
    }
    for u in &plan.unfixed {
        let _ = writeln!(out, "Not fixable automatically: {}: {}", u.finding, u.why);
    }
    let status = if after.failed() {
        let rules = prepared.rules();
        let actual = prepared.url.to_string();
        let files = prepared.expected.files();
        let view = CheckReport {
            report: &after,
            rules: &rules,
            expected: &prepared.expected.description,
            actual: &actual,
            files: &files,
        };
        let _ = writeln!(out, "\nNot converged: drift remains.\n");
        out.push_str(&format::render(CheckFormat::Human, &view, ctx.color));
        Status::Drift
    } else {
        let _ = writeln!(
            out,
            "Converged: {} matches {}.",
            prepared.url, prepared.expected.description
        );
        Status::Clean
    };
    ctx.write_stdout(&out).context("writing the fix report")?;
    Ok(status)
}
