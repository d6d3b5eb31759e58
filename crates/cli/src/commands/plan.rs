//! `driftless plan`: the repair plan, rendered; executes nothing.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use driftless_fixer::{policy_refusal, preflight, FixPlan, MigrationFormat, PreflightKind};
use driftless_introspect::Database;

use super::{Ctx, Prepared};
use crate::args::{PlanArgs, PlanFormat};
use crate::Status;

/// Plans and prints (or writes a migration file). Exit 1 when the
/// database has drift at or above the failing severity, like `check`.
pub async fn run(ctx: &Ctx, args: PlanArgs) -> Result<Status> {
    let prepared = Prepared::load(ctx, &args.db, &args.expect, None).await?;
    // A script or a migration file runs in one transaction: no online
    // steps (a concurrent index build cannot run in one).
    let mut plan = match args.format {
        PlanFormat::Script | PlanFormat::Migration => {
            let atomic = prepared
                .plan_options(&args.repair)
                .with_online_threshold(None);
            prepared.checked_plan(&atomic)?
        }
        _ => prepared.plan(&args.repair)?,
    };
    count_rows(ctx, &prepared, &mut plan).await?;
    let options = prepared.apply_options(ctx, &args.repair, &args.db.schemas)?;
    if let Some(refused) = policy_refusal(&plan, &options) {
        tracing::warn!("the plan would be refused when applied: {refused}");
    }
    let text = match args.format {
        PlanFormat::Sql => plan.to_sql(),
        PlanFormat::Json => crate::format::plan_json(&plan),
        PlanFormat::Markdown => crate::format::markdown::render_plan(&plan),
        PlanFormat::Script => {
            plan.to_script(&super::apply_options(ctx, &args.repair, &args.db.schemas))
        }
        PlanFormat::Migration => {
            let dir = args
                .out
                .clone()
                .or_else(|| args.expect.migrations.clone())
                .context("--format migration needs the migrations folder: --out DIR (or --migrations DIR)")?;
            let layout = args.migration_format.map(|l| l.as_str());
            write_migration(&plan, dir, layout, args.expect.max_migration_size)?
        }
    };
    ctx.write_stdout(&text).context("writing the plan")?;
    let status = prepared.status();
    super::release_at_exit(prepared);
    Ok(status)
}

/// Runs the plan's read-only preflight counts, so that data-loss steps say
/// how many rows they affect and refusals show before anyone applies.
pub async fn count_rows(ctx: &Ctx, prepared: &Prepared, plan: &mut FixPlan) -> Result<()> {
    if plan
        .steps
        .iter()
        .chain(&plan.withheld)
        .all(|s| s.preflight.is_empty())
    {
        return Ok(());
    }
    let mut db = Database::connect(&prepared.url, &ctx.read_only()).await?;
    let outcomes = preflight(&mut db, plan).await?;
    db.close().await?;
    for o in outcomes
        .iter()
        .filter(|o| o.kind == PreflightKind::RefuseIfAny && o.rows > 0)
    {
        tracing::warn!(
            "step {} would be refused when applied: {} ({} row(s))",
            o.step,
            o.message,
            o.rows
        );
    }
    Ok(())
}

fn write_migration(
    plan: &FixPlan,
    dir: PathBuf,
    layout: Option<&str>,
    max_size: Option<u64>,
) -> Result<String> {
    if plan.is_empty() {
        return Ok(format!(
            "Nothing to fix: no migration written to {}.\n",
            dir.display()
        ));
    }
    let layout = match layout {
        Some(l) => l.to_string(),
        None => super::expected::load_migrations(&dir, max_size)
            .map(|set| set.format.as_str().to_string())
            .with_context(|| {
                format!(
                    "cannot tell the migration layout of {}: pass --migration-format",
                    dir.display()
                )
            })?,
    };
    let format = MigrationFormat::parse(&layout).with_context(|| {
        format!(
            "driftless cannot write {layout} migrations into {}: pass --migration-format sqlx, golang-migrate, flyway, django or alembic",
            dir.display()
        )
    })?;
    let dir = match format {
        MigrationFormat::Alembic => alembic_versions(dir)?,
        _ => dir,
    };
    let unix_time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let written = plan.write_migration(&dir, format, unix_time)?;
    let mut out = String::new();
    for path in written {
        out.push_str(&format!("wrote {}\n", path.display()));
    }
    Ok(out)
}

/// Where an Alembic revision goes: `dir` may be the project (its
/// `alembic.ini`), the `script_location` or the versions folder itself.
fn alembic_versions(dir: PathBuf) -> Result<PathBuf> {
    let base = driftless_migrations::alembic_folder(&dir)?.unwrap_or(dir);
    let versions = base.join("versions");
    Ok(if versions.is_dir() { versions } else { base })
}
