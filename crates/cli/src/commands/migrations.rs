//! `driftless migrations`: where every migration stands, like Django's
//! `showmigrations`: applied, unapplied, unknown (ledger only), modified,
//! failed. Read-only.

use std::fmt::Write as _;

use anyhow::{Context as _, Result};
use driftless_introspect::Database;
use driftless_migrations::{read_ledgers, recover_applied_sources};
use driftless_model::{
    migration_status, select_ledger, Ledger, MigrationSet, MigrationState, MigrationStatus,
    Modification,
};
use owo_colors::{OwoColorize, Style};
use serde_json::json;

use super::Ctx;
use crate::args::{MigrationsArgs, StatusFormat};
use crate::Status;

/// Version of the JSON document.
const FORMAT_VERSION: u32 = 1;

/// Lists the status; exit 1 when a migration is unapplied, unknown,
/// failed or changed in its statements (a cosmetic change is listed but
/// does not fail).
pub async fn run(ctx: &Ctx, args: MigrationsArgs) -> Result<Status> {
    let url = ctx.parse_url(&args.db)?;
    let mut set = super::expected::load_migrations(&args.migrations, args.max_migration_size)?;
    let spinner = ctx.spinner(format!("connecting to {url}"));
    let mut db = Database::connect(&url, &ctx.read_only()).await?;
    spinner.set(format!("reading migration ledgers of {url}"));
    let ledgers = read_ledgers(&mut db).await?;
    db.close().await?;
    drop(spinner);
    let ledger = select_ledger(&set, &ledgers);
    if let Some(ledger) = ledger {
        recover_applied_sources(&mut set, ledger);
    }
    let statuses = migration_status(&set, ledger);
    let text = match args.format {
        StatusFormat::Human => human(&set, ledger, &statuses, ctx.color),
        StatusFormat::Json => json(&set, ledger, &statuses),
    };
    ctx.write_stdout(&text)
        .context("writing the migration status")?;
    let failing = statuses.iter().any(|s| is_failing(s.state));
    Ok(if failing {
        Status::Drift
    } else {
        Status::Clean
    })
}

fn is_failing(state: MigrationState) -> bool {
    !matches!(
        state,
        MigrationState::Applied | MigrationState::Modified(Modification::Cosmetic)
    )
}

fn mark(state: MigrationState) -> (&'static str, Style) {
    match state {
        MigrationState::Applied => ("[X]", Style::new().green()),
        MigrationState::Unapplied => ("[ ]", Style::new().yellow()),
        MigrationState::Unknown => ("[?]", Style::new().red()),
        MigrationState::Modified(Modification::Cosmetic) => ("[~]", Style::new().yellow()),
        MigrationState::Modified(_) => ("[M]", Style::new().red()),
        MigrationState::Failed => ("[F]", Style::new().red().bold()),
        _ => ("[!]", Style::new().red()),
    }
}

fn describe(s: &MigrationStatus) -> String {
    let mut text = match s.state {
        MigrationState::Applied => match &s.applied_at {
            Some(at) => format!("applied {at}"),
            None => "applied".to_string(),
        },
        MigrationState::Unapplied => "unapplied".to_string(),
        MigrationState::Unknown => "unknown: recorded in the ledger, no such file".to_string(),
        MigrationState::Modified(Modification::Cosmetic) => {
            "modified since applied (whitespace, comments or line endings only)".to_string()
        }
        MigrationState::Modified(Modification::Statements) => {
            "modified since applied: statements changed".to_string()
        }
        MigrationState::Modified(_) => "modified since applied (checksum differs)".to_string(),
        MigrationState::Failed => "failed".to_string(),
        other => other.as_str().to_string(),
    };
    if let Some(d) = &s.detail {
        text.push_str(&format!(" ({d})"));
    }
    text
}

fn human(
    set: &MigrationSet,
    ledger: Option<&Ledger>,
    statuses: &[MigrationStatus],
    color: bool,
) -> String {
    let paint = |text: &str, style: Style| {
        if color {
            text.style(style).to_string()
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    let _ = write!(out, "{} migrations in {}", set.format, set.root.display());
    match ledger {
        Some(l) => {
            let _ = writeln!(
                out,
                ", ledger {}.{} ({})",
                l.table.schema,
                l.table.table,
                l.kind()
            );
        }
        None => {
            let _ = writeln!(
                out,
                "; the database has no {} ledger: nothing is recorded as applied",
                set.format
            );
        }
    }
    let width = statuses
        .iter()
        .map(|s| s.label.chars().count())
        .max()
        .unwrap_or(0);
    let mut app: Option<&str> = None;
    for s in statuses {
        if s.app.as_deref() != app {
            app = s.app.as_deref();
            if let Some(a) = app {
                let _ = writeln!(out, "{}", paint(a, Style::new().bold()));
            }
        }
        let (m, style) = mark(s.state);
        let _ = writeln!(
            out,
            " {} {:<width$}  {}",
            paint(m, style),
            s.label,
            describe(s)
        );
    }
    let count = |f: fn(MigrationState) -> bool| statuses.iter().filter(|s| f(s.state)).count();
    let applied = count(|s| s == MigrationState::Applied);
    let unapplied = count(|s| s == MigrationState::Unapplied);
    let unknown = count(|s| s == MigrationState::Unknown);
    let modified = count(|s| matches!(s, MigrationState::Modified(_)));
    let failed = count(|s| s == MigrationState::Failed);
    let _ = writeln!(
        out,
        "{} migrations: {applied} applied, {unapplied} unapplied, {unknown} unknown, {modified} modified, {failed} failed",
        statuses.len()
    );
    out
}

fn json(set: &MigrationSet, ledger: Option<&Ledger>, statuses: &[MigrationStatus]) -> String {
    let count = |label: &str| {
        statuses
            .iter()
            .filter(|s| s.state.as_str() == label)
            .count()
    };
    let doc = json!({
        "format_version": FORMAT_VERSION,
        "migrations_dir": set.root.display().to_string(),
        "format": set.format.as_str(),
        "ledger": ledger.map(|l| json!({
            "kind": l.kind().as_str(),
            "schema": l.table.schema,
            "table": l.table.table,
        })),
        "migrations": statuses,
        "summary": {
            "total": statuses.len(),
            "applied": count("applied"),
            "unapplied": count("unapplied"),
            "unknown": count("unknown"),
            "modified": count("modified"),
            "failed": count("failed"),
            "failing": statuses.iter().filter(|s| is_failing(s.state)).count(),
        },
    });
    crate::format::pretty_json(&doc)
}
