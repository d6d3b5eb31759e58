//! `driftless check`: compare, report, exit 1 on drift. Read-only.

use anyhow::{Context as _, Result};

use super::{Ctx, Prepared};
use crate::args::CheckArgs;
use crate::format::{self, CheckReport};
use crate::Status;

/// Runs the check and prints the report.
pub async fn run(ctx: &Ctx, args: CheckArgs) -> Result<Status> {
    let prepared =
        Prepared::load(ctx, &args.db, &args.expect, args.fail_on.map(Into::into)).await?;
    let rules = prepared.rules();
    let actual = prepared.url.to_string();
    let files = prepared.expected.files();
    let view = CheckReport {
        report: &prepared.report,
        rules: &rules,
        expected: &prepared.expected.description,
        actual: &actual,
        files: &files,
        quarantined: prepared.quarantined.len(),
    };
    let text = format::render(args.format, &view, ctx.color);
    ctx.write_stdout(&text).context("writing the report")?;
    tracing::info!(
        findings = prepared.report.findings.len(),
        failing = view.failing(),
        "check done"
    );
    let status = prepared.status();
    super::release_at_exit(prepared);
    Ok(status)
}
