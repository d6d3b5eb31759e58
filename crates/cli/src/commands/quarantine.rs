//! `driftless quarantine list|restore`: what fixes set aside, and putting
//! it back. `list` only reads; `restore` shows its plan unless `--apply`.

use std::fmt::Write as _;

use anyhow::{Context as _, Result};
use driftless_fixer::QuarantineEntry;
use driftless_pipeline::{quarantine_list, quarantine_restore};
use serde_json::json;

use super::Ctx;
use crate::args::{
    QuarantineArgs, QuarantineCommand, QuarantineFormat, QuarantineListArgs, QuarantineRestoreArgs,
    SchemaName,
};
use crate::Status;

/// Version of the JSON document of `list`.
const FORMAT_VERSION: u32 = 1;

/// Runs `quarantine list` or `quarantine restore`.
pub async fn run(ctx: &Ctx, args: QuarantineArgs) -> Result<Status> {
    match args.command {
        QuarantineCommand::List(a) => list(ctx, a).await,
        QuarantineCommand::Restore(a) => restore(ctx, a).await,
    }
}

async fn list(ctx: &Ctx, args: QuarantineListArgs) -> Result<Status> {
    let url = ctx.parse_url(&args.db)?;
    let spinner = ctx.spinner(format!("reading the quarantine of {url}"));
    let entries = quarantine_list(&url, &ctx.read_only()).await?;
    drop(spinner);
    let text = match args.format {
        QuarantineFormat::Text => text(&entries, &url.to_string()),
        QuarantineFormat::Json => crate::format::documents::document(
            SchemaName::Quarantine,
            json!({
                "format_version": FORMAT_VERSION,
                "quarantined": entries.iter().map(entry_json).collect::<Vec<_>>(),
            }),
        ),
    };
    ctx.write_stdout(&text).context("writing the quarantine")?;
    Ok(Status::Clean)
}

fn entry_json(e: &QuarantineEntry) -> serde_json::Value {
    json!({
        "object": e.object(),
        "kind": e.kind,
        "held_in": e.held_in(),
        "rows": e.rows,
        "quarantined_at": e.quarantined_at,
        "key": e.key,
        "definition": e.definition,
        "plan": e.plan,
    })
}

/// One line an object: what, where its data is, rows held, when.
fn text(entries: &[QuarantineEntry], url: &str) -> String {
    if entries.is_empty() {
        return format!("Nothing is quarantined in {url}.\n");
    }
    let rows: Vec<[String; 4]> = entries
        .iter()
        .map(|e| {
            [
                e.object(),
                e.held_in(),
                e.rows.to_string(),
                e.quarantined_at.clone(),
            ]
        })
        .collect();
    let head = ["OBJECT", "HELD IN", "ROWS", "QUARANTINED AT"].map(String::from);
    let mut width = [0usize; 4];
    for r in std::iter::once(&head).chain(&rows) {
        for (w, cell) in width.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for r in std::iter::once(&head).chain(&rows) {
        let line = format!(
            "{:<a$}  {:<b$}  {:>c$}  {}",
            r[0],
            r[1],
            r[2],
            r[3],
            a = width[0],
            b = width[1],
            c = width[2]
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let _ = writeln!(
        out,
        "{} quarantined object(s). Restore one with `driftless quarantine restore --db URL OBJECT --apply`.",
        entries.len()
    );
    out
}

async fn restore(ctx: &Ctx, args: QuarantineRestoreArgs) -> Result<Status> {
    let url = ctx.parse_url(&args.db)?;
    let connect = if args.apply {
        ctx.read_write()
    } else {
        ctx.read_only()
    };
    let spinner = ctx.spinner(format!("restoring {} in {url}", args.object));
    let restored = quarantine_restore(&url, &connect, &args.object, args.apply).await?;
    drop(spinner);
    let e = &restored.entry;
    let mut out = String::new();
    match &restored.applied {
        None => {
            let _ = writeln!(
                out,
                "Restore plan for {} (from {}, {} row(s) held); nothing applied, rerun with --apply:",
                e.object(),
                e.held_in(),
                e.rows
            );
            out.push_str(&restored.plan.to_sql());
        }
        Some(report) => {
            let _ = writeln!(
                out,
                "Restored {} from {} ({} row(s) held, {} statement(s)).",
                e.object(),
                e.held_in(),
                e.rows,
                report.statements
            );
            for step in &restored.plan.steps {
                if let Some(note) = step.reason.split("; ").nth(1) {
                    let _ = writeln!(out, "Note: {note}.");
                }
            }
        }
    }
    ctx.write_stdout(&out).context("writing the restore")?;
    Ok(Status::Clean)
}
