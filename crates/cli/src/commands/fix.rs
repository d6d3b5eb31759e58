//! `driftless fix`: without --apply, the plan (nothing changes); with
//! --apply, run it under the fix lock, then read the schema again and
//! exit 0 only when the drift is gone.
//!
//! A deploy that waited for the lock while another one fixed the schema
//! plans again from the schema as it now is (usually: nothing left to do).
//! SIGINT or SIGTERM during the apply stops it: the statement in flight is
//! cancelled, the transaction rolled back where the database has one, and
//! one error line says what state the database is in (exit 130 for
//! SIGINT, 143 for SIGTERM); a second signal exits at once. A signal while
//! reading or planning stops there, with nothing changed. A fix committed but not verified (the schema could not
//! be read again) exits 2 with a message that says so.

use std::fmt::Write as _;

use anyhow::{Context as _, Result};
use driftless_fixer::{ApplyError, FixPlan};

use super::{plan::count_rows, Ctx, Prepared};
use crate::args::{CheckFormat, FixArgs, FixFormat};
use crate::format::{self, markdown, CheckReport};
use crate::Status;

/// Plans, and with --apply repairs and verifies.
pub async fn run(ctx: &Ctx, args: FixArgs) -> Result<Status> {
    if args.apply {
        super::check_repair(&args.repair)?;
    }
    let mut prepared = Prepared::load(ctx, &args.db, &args.expect, None).await?;
    let mut plan = prepared.plan(&args.repair)?;
    if !args.apply {
        count_rows(ctx, &prepared, &mut plan).await?;
        let text = match args.format {
            FixFormat::Text => plan.to_sql(),
            FixFormat::Markdown => format!(
                "## driftless fix: plan only, nothing applied\n\n{}\nRun again with {} to execute this plan.\n",
                markdown::plan_body(&plan, 3),
                markdown::code("--apply")
            ),
        };
        ctx.write_stdout(&text).context("writing the plan")?;
        if !ctx.quiet && !plan.is_empty() {
            tracing::warn!("nothing was changed: run again with --apply to execute this plan");
        }
        return Ok(prepared.status());
    }

    let mut out = String::new();
    let (plan, after) = repair(ctx, &args, &mut prepared, plan, &mut out).await?;
    let after = match args.apply_pending {
        true => apply_pending(ctx, &args, &mut prepared, &mut out)
            .await?
            .unwrap_or(after),
        false => after,
    };
    finish(ctx, &prepared, &plan, after, out, args.format)
}

/// Applies the pending migrations after the repair, and says which; what
/// the rules say then, or `None` when there was none (the repair's verdict
/// stands).
async fn apply_pending(
    ctx: &Ctx,
    args: &FixArgs,
    prepared: &mut Prepared,
    out: &mut String,
) -> Result<Option<driftless_rules::Report>> {
    let spinner = ctx.spinner(format!(
        "applying the pending migrations to {}",
        prepared.url
    ));
    let applied = prepared.apply_pending(args.migrate_cmd.as_deref()).await;
    drop(spinner);
    let applied = applied?;
    if applied.is_empty() {
        let _ = writeln!(out, "No pending migration to apply.");
        return Ok(None);
    }
    let _ = writeln!(
        out,
        "Applied {} pending migration(s) to {}: {}.",
        applied.len(),
        prepared.url,
        applied.join(", ")
    );
    Ok(Some(prepared.report.clone()))
}

/// Runs the plan (when there is one) and returns the plan as run and what
/// the rules say after it.
async fn repair(
    ctx: &Ctx,
    args: &FixArgs,
    prepared: &mut Prepared,
    plan: FixPlan,
    out: &mut String,
) -> Result<(FixPlan, driftless_rules::Report)> {
    if plan.is_empty() {
        let _ = writeln!(out, "Nothing to apply to {}.", prepared.url);
    } else {
        let spinner = ctx.spinner(format!(
            "applying {} step(s) to {}",
            plan.steps.len(),
            prepared.url
        ));
        let options = prepared.apply_options(ctx, &args.repair, &args.db.schemas)?;
        let plan_options = prepared.plan_options(&args.repair);
        let repaired = prepared.repair(plan, &plan_options, &options).await;
        drop(spinner);
        let repair = match repaired {
            // Committed, not verified: exit 2 like any database error, but
            // say that the database was changed and what to do next.
            Err(driftless_pipeline::Error::Apply(e))
                if matches!(*e, ApplyError::VerifyFailed { .. }) =>
            {
                return Err(anyhow::anyhow!(
                    "{e}; the database was changed: run `driftless check` to see whether the drift is gone"
                ))
            }
            other => other?,
        };
        let Some(applied) = &repair.applied else {
            let _ = writeln!(
                out,
                "Nothing left to apply to {}: the schema changed while this fix waited for the lock (another deploy fixed it).",
                prepared.url
            );
            return Ok((repair.plan, repair.after));
        };
        if args.format == FixFormat::Text {
            describe_steps(out, &repair.plan);
        }
        let _ = writeln!(
            out,
            "Applied {} step(s), {} statement(s) to {} in {:.2}s (lock acquired after {:.2}s).",
            applied.steps_applied,
            applied.statements,
            prepared.url,
            applied.elapsed.as_secs_f64(),
            applied.lock_wait.as_secs_f64()
        );
        return Ok((repair.plan, repair.after));
    }
    let report = prepared.report.clone();
    Ok((plan, report))
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
    notes: String,
    format: FixFormat,
) -> Result<Status> {
    // Only what still fails: a step (or migrate) may have resolved it, and
    // what no longer fails (a pending migration, left to migrate) does not
    // stand between the database and "Converged".
    let mut plan = plan.clone();
    plan.unfixed.retain(|u| {
        after
            .failing(after.fail_on)
            .any(|f| f.rule == u.finding.rule && f.object == u.finding.object)
    });
    let rules = prepared.rules();
    let actual = prepared.url.to_string();
    let files = prepared.expected.files();
    let view = CheckReport {
        report: &after,
        rules: &rules,
        expected: &prepared.expected.description,
        actual: &actual,
        files: &files,
        quarantined: prepared.quarantined.len(),
    };
    let converged = !after.failed();
    let out = match format {
        FixFormat::Text => text_outcome(ctx, &plan, &view, converged, notes),
        FixFormat::Markdown => markdown_outcome(&plan, &view, converged, &notes),
    };
    ctx.write_stdout(&out).context("writing the fix report")?;
    Ok(if converged {
        Status::Clean
    } else {
        Status::Drift
    })
}

/// The text report: what was done, withheld and not fixable, then the
/// verdict (and what remains).
fn text_outcome(
    ctx: &Ctx,
    plan: &FixPlan,
    view: &CheckReport<'_>,
    converged: bool,
    mut out: String,
) -> String {
    for s in &plan.withheld {
        let _ = writeln!(
            out,
            "Withheld: [{}] {} {}: {}",
            s.safety,
            s.action,
            s.object.path(),
            s.reason
        );
    }
    for u in &plan.unfixed {
        let _ = writeln!(out, "Not fixable automatically: {}: {}", u.finding, u.why);
    }
    if converged {
        let _ = writeln!(out, "Converged: {} matches {}.", view.actual, view.expected);
    } else {
        let _ = writeln!(out, "\nNot converged: drift remains.\n");
        out.push_str(&format::render(CheckFormat::Human, view, ctx.color));
    }
    out
}

/// The Markdown report: the verdict as the title, what was done, the plan
/// as run, and what remains.
fn markdown_outcome(
    plan: &FixPlan,
    view: &CheckReport<'_>,
    converged: bool,
    notes: &str,
) -> String {
    let verdict = if converged {
        "converged"
    } else {
        "not converged"
    };
    let mut out = format!("## driftless fix: {verdict}\n\n");
    for line in notes.lines().filter(|l| !l.trim().is_empty()) {
        let _ = writeln!(out, "{}\n", markdown::text(line));
    }
    if converged {
        let _ = writeln!(
            out,
            "**Converged: {} matches {}.**\n",
            markdown::code(view.actual),
            markdown::text(view.expected)
        );
    }
    if !plan.steps.is_empty() || !plan.withheld.is_empty() || !plan.unfixed.is_empty() {
        out.push_str("### Steps\n\n");
        out.push_str(&markdown::plan_body(plan, 4));
        out.push('\n');
    }
    if !converged {
        out.push_str("### Drift that remains\n\n");
        out.push_str(&markdown::check_body(view, 4));
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}
