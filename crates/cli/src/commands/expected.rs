//! The expected schema, from `--expect SOURCE` or `--migrations DIR`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use driftless_introspect::{
    expect_from_command, replay, DbUrl, FileRefusal, IntrospectOptions, MigrationLoadOptions,
    MigrationSet, Provenance, ReplayOptions, Snapshot, Source,
};

use super::Ctx;
use crate::args::ExpectArgs;

/// The expected side of a comparison.
#[derive(Debug)]
pub struct Expected {
    /// The schema.
    pub snapshot: Snapshot,
    /// Where it came from, for reports (redacted).
    pub description: String,
    /// The migration set, when the schema came from a migrations folder.
    pub migrations: Option<MigrationSet>,
    /// Which migration created or last changed each object, when replayed.
    pub provenance: Option<Provenance>,
    /// The snapshot file the schema was read from.
    pub file: Option<PathBuf>,
}

impl Expected {
    /// Files findings can point at: each migration's file by id, and the
    /// snapshot file under `""`.
    pub fn files(&self) -> BTreeMap<String, String> {
        let mut files = BTreeMap::new();
        if let Some(set) = &self.migrations {
            for m in &set.migrations {
                files.insert(m.id.clone(), set.file_path(m).display().to_string());
            }
        }
        if let Some(f) = &self.file {
            files.insert(String::new(), f.display().to_string());
        }
        files
    }
}

/// Whether the expected schema comes from a migrations folder (so the
/// database's migration ledgers matter too).
pub fn uses_migrations(args: &ExpectArgs) -> bool {
    args.migrations.is_some()
        || args
            .expect
            .as_deref()
            .is_some_and(|s| matches!(Source::parse(s), Ok(Source::MigrationsDir(_))))
}

/// Reads the expected schema for a comparison with the database at `target`.
pub async fn load(
    ctx: &Ctx,
    args: &ExpectArgs,
    target: &DbUrl,
    schemas: &[String],
) -> Result<Expected> {
    match (&args.expect, &args.migrations) {
        (Some(source), _) => match Source::parse(source)? {
            Source::Database(url) => {
                if url.same_database(target) {
                    anyhow::bail!("--expect {url} is the database being checked: compare it with another database, a snapshot file or a migrations folder");
                }
                let snapshot = ctx.read_live(&url, schemas).await?;
                Ok(Expected {
                    snapshot,
                    description: format!("database {url}"),
                    migrations: None,
                    provenance: None,
                    file: None,
                })
            }
            Source::SnapshotFile(path) => {
                let snapshot = Snapshot::load(&path)?;
                Ok(Expected {
                    snapshot,
                    description: format!("snapshot {}", path.display()),
                    migrations: None,
                    provenance: None,
                    file: Some(path),
                })
            }
            Source::MigrationsDir(dir) => {
                let set = load_migrations(&dir, args.max_migration_size)?;
                from_migrations(ctx, &dir, set, None, None, target, schemas).await
            }
            _ => anyhow::bail!(
                "unsupported --expect source `{}`",
                driftless_introspect::redact(source)
            ),
        },
        (None, Some(dir)) => {
            let dev = args
                .dev_url
                .as_deref()
                .map(|u| ctx.parse_url(u))
                .transpose()?;
            let set = load_migrations(dir, args.max_migration_size)?;
            let cmd = args.expect_cmd.as_deref();
            from_migrations(ctx, dir, set, dev, cmd, target, schemas).await
        }
        (None, None) => {
            anyhow::bail!("give the expected schema with --expect SOURCE or --migrations DIR")
        }
    }
}

/// Reads a migrations folder, each file at most `max_size` bytes
/// (`--max-migration-size`; the library's default without it).
pub fn load_migrations(dir: &Path, max_size: Option<u64>) -> Result<MigrationSet> {
    let mut options = MigrationLoadOptions::default();
    if let Some(bytes) = max_size {
        options = options.with_max_file_size(bytes);
    }
    MigrationSet::load_with(dir, &options).map_err(|e| {
        let too_large = matches!(
            &e,
            driftless_introspect::Error::Io { source, .. }
                if matches!(FileRefusal::of(source), Some(FileRefusal::TooLarge { .. }))
        );
        if too_large {
            anyhow::anyhow!("{e} (raise it with --max-migration-size BYTES)")
        } else {
            e.into()
        }
    })
}

async fn from_migrations(
    ctx: &Ctx,
    dir: &Path,
    set: MigrationSet,
    dev: Option<DbUrl>,
    command: Option<&str>,
    target: &DbUrl,
    schemas: &[String],
) -> Result<Expected> {
    let mut options = ReplayOptions::default()
        .with_target(target.clone())
        .with_introspect(IntrospectOptions::default().with_schemas(schemas.iter().cloned()));
    options.connect = ctx.read_write();
    if let Some(dev) = &dev {
        options = options.with_dev_url(dev.clone());
    }
    let into = dev.as_ref().map_or_else(
        || "an in-memory SQLite database".to_string(),
        |d| d.to_string(),
    );
    match command {
        Some(cmd) => {
            let _spinner = ctx.spinner(format!("running `{cmd}` against {into}"));
            let cwd = std::env::current_dir().context("cannot read the current folder")?;
            let snapshot = expect_from_command(cmd, &cwd, &options).await?;
            Ok(Expected {
                snapshot,
                description: format!("migrations {} (by `{cmd}`)", dir.display()),
                migrations: Some(set),
                provenance: None,
                file: None,
            })
        }
        None => {
            let _spinner = ctx.spinner(format!(
                "replaying {} {} migrations into {into}",
                set.migrations.len(),
                set.format
            ));
            let replayed = replay(&set, &options).await?;
            tracing::info!(
                migrations = replayed.steps.len(),
                elapsed_ms = replayed.elapsed.as_millis() as u64,
                "migrations replayed"
            );
            Ok(Expected {
                snapshot: replayed.snapshot,
                description: format!("migrations {}", dir.display()),
                migrations: Some(set),
                provenance: Some(replayed.provenance),
                file: None,
            })
        }
    }
}
