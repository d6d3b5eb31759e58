//! `driftless migrations`: where every migration stands, like Django's
//! `showmigrations`: applied, unapplied, unknown (ledger only), modified,
//! failed. Read-only.

use std::fmt::Write as _;

use anyhow::{Context as _, Result};
use driftless_introspect::Database;
use driftless_migrations::{
    default_python, read_ledgers, recover_applied_sources, Framework, Stepper,
};
use driftless_model::{
    migration_status, outside_apps, select_ledger, Ledger, MigrationFormat, MigrationSet,
    MigrationState, MigrationStatus, Modification, OutsideApp,
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
    let framework = framework_migrations(&set, &args).await?;
    ctx.checkpoint(&url, "reporting")?;
    let outside = outside_apps(&set, ledger, framework.as_deref());
    let text = match args.format {
        StatusFormat::Human => human(&set, ledger, &statuses, ctx.color) + &human_outside(&outside),
        StatusFormat::Json => json(&set, ledger, &statuses, &outside),
        StatusFormat::Markdown => markdown(&set, ledger, &statuses, &outside),
    };
    ctx.write_stdout(&text)
        .context("writing the migration status")?;
    let failing = statuses.iter().any(|s| is_failing(s.state))
        || outside
            .iter()
            .any(|a| !a.pending.is_empty() || a.installed == Some(false));
    Ok(if failing {
        Status::Drift
    } else {
        Status::Clean
    })
}

/// Django's list of every migration it knows (its own apps' included),
/// read without a database; `None` for other layouts, or when the default
/// Python cannot run the project (an explicit `--python` that cannot is
/// an error, as is a migration graph Django refuses).
async fn framework_migrations(
    set: &MigrationSet,
    args: &MigrationsArgs,
) -> Result<Option<Vec<(String, String)>>> {
    if set.format != MigrationFormat::Django {
        return Ok(None);
    }
    let python = args.python.clone().unwrap_or_else(default_python);
    let Some(framework) = Framework::for_folder(set, &args.migrations, &python) else {
        return Ok(None);
    };
    match Stepper::graph_of(&framework).await {
        Ok(graph) => Ok(Some(
            graph.plan.into_iter().map(|k| (k.app, k.name)).collect(),
        )),
        Err(e @ driftless_introspect::Error::Model(_)) => Err(e.into()),
        Err(e) if args.python.is_some() => Err(e.into()),
        Err(e) => {
            tracing::warn!("Django's own apps are listed from the ledger only: {e}");
            Ok(None)
        }
    }
}

/// The group of Django's own apps (and libraries'): counts per app, the
/// pending migrations named.
fn human_outside(apps: &[OutsideApp]) -> String {
    if apps.is_empty() {
        return String::new();
    }
    let mut out = String::from("Django's own apps and libraries' apps (outside the folder)\n");
    let width = apps
        .iter()
        .map(|a| a.app.chars().count())
        .max()
        .unwrap_or(0);
    for a in apps {
        let mut line = format!(" {:<width$}  {} applied", a.app, a.applied.len());
        if a.installed == Some(false) {
            line.push_str(", not installed: in the ledger only");
        } else if !a.pending.is_empty() {
            let _ = write!(
                line,
                ", {} unapplied ({})",
                a.pending.len(),
                a.pending.join(", ")
            );
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
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
        // The detail says why (no such file, recorded as failed).
        MigrationState::Unknown => "unknown".to_string(),
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

/// The label under its app's heading: without the app's prefix.
fn short_label(s: &MigrationStatus) -> &str {
    s.app
        .as_deref()
        .and_then(|a| s.label.strip_prefix(a))
        .and_then(|l| l.strip_prefix('.'))
        .unwrap_or(&s.label)
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
        .map(|s| short_label(s).chars().count())
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
            short_label(s),
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

/// The status as Markdown: a summary line, a table of the migrations,
/// and Django's own apps apart.
fn markdown(
    set: &MigrationSet,
    ledger: Option<&Ledger>,
    statuses: &[MigrationStatus],
    outside: &[OutsideApp],
) -> String {
    use crate::format::markdown::{code, table, text};
    let failing = statuses.iter().filter(|s| is_failing(s.state)).count();
    let verdict = match failing {
        0 => "up to date".to_string(),
        n => format!("{n} to look at"),
    };
    let mut out = format!("## driftless migrations: {verdict}\n\n");
    let summary = human(set, ledger, statuses, false);
    let mut lines = summary.lines();
    let (first, last) = (lines.next().unwrap_or(""), lines.last().unwrap_or(""));
    let _ = writeln!(out, "**{}**\n\n{}\n", text(last), text(first));
    let rows: Vec<Vec<String>> = statuses
        .iter()
        .map(|s| vec![code(&s.label), text(&describe(s))])
        .collect();
    if !rows.is_empty() {
        out.push_str(&table(&["Migration", "Status"], &rows));
        out.push('\n');
    }
    if !outside.is_empty() {
        let rows: Vec<Vec<String>> = human_outside(outside)
            .lines()
            .skip(1)
            .map(|l| {
                let (app, rest) = l.trim().split_once("  ").unwrap_or((l.trim(), ""));
                vec![code(app), text(rest.trim())]
            })
            .collect();
        out.push_str("### Django's own apps and libraries' apps (outside the folder)\n\n");
        out.push_str(&table(&["App", "Migrations"], &rows));
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

fn json(
    set: &MigrationSet,
    ledger: Option<&Ledger>,
    statuses: &[MigrationStatus],
    outside: &[OutsideApp],
) -> String {
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
        "outside_apps": outside,
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
    crate::format::documents::document(crate::args::SchemaName::Migrations, doc)
}
