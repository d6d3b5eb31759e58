//! `driftless snapshot`: the schema of a live database as JSON.

use anyhow::{Context as _, Result};
use driftless_introspect::IntrospectOptions;

use super::Ctx;
use crate::args::SnapshotArgs;
use crate::Status;

/// Reads the database and writes the snapshot to stdout or `-o FILE`.
pub async fn run(ctx: &Ctx, args: SnapshotArgs) -> Result<Status> {
    let url = ctx.parse_url(args.db.url()?)?;
    let options = IntrospectOptions::default()
        .with_schemas(args.db.schemas.iter().cloned())
        .with_opt_in(args.db.opt_in(&super::load_config(None)?));
    let snapshot = ctx.read_live(&url, &options).await?;
    ctx.checkpoint(&url, "writing the snapshot")?;
    let missing = snapshot.missing_schemas(&args.db.schemas);
    if !missing.is_empty() {
        anyhow::bail!(
            "no schema named {} in {url} (check --schema); no snapshot written",
            missing.join(", ")
        );
    }
    match &args.output {
        Some(path) => {
            snapshot.save(path)?;
            let counts = snapshot.counts();
            tracing::info!(file = %path.display(), tables = counts.tables, columns = counts.columns, "snapshot written");
        }
        None => ctx
            .write_stdout(&snapshot.to_json())
            .context("writing the snapshot to stdout")?,
    }
    super::release_at_exit(snapshot);
    Ok(Status::Clean)
}
