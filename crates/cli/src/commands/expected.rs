//! The expected-schema source that `--expect SOURCE` or `--migrations DIR`
//! names, and how migration folders are read.

use std::path::Path;

use anyhow::Result;
use driftless_migrations::{load_migrations_with, MigrationLoadOptions};
use driftless_model::{FileRefusal, MigrationSet};
use driftless_pipeline::{source_from_spec, ExpectedSource, MigrationCommand, MigrationReplay};

use super::Ctx;
use crate::args::ExpectArgs;

/// The source the arguments name.
pub fn source(ctx: &Ctx, args: &ExpectArgs) -> Result<Box<dyn ExpectedSource>> {
    let load = load_options(args.max_migration_size);
    match (&args.expect, &args.migrations) {
        (Some(spec), _) => Ok(source_from_spec(spec, &load)?),
        (None, Some(dir)) => {
            let dev = args
                .dev_url
                .clone()
                .or_else(dev_url_from_env)
                .map(|u| ctx.parse_url(&u))
                .transpose()?;
            Ok(match args.expect_cmd.as_deref() {
                Some(cmd) => {
                    let mut source = MigrationCommand::new(dir, cmd).with_load_options(load);
                    if let Some(dev) = dev {
                        source = source.with_dev_url(dev);
                    }
                    Box::new(source)
                }
                None => {
                    let mut source = MigrationReplay::new(dir).with_load_options(load);
                    if let Some(python) = &args.python {
                        source = source.with_python(python.clone());
                    }
                    if let Some(template) = &args.step_cmd {
                        let cwd = std::env::current_dir()?;
                        source = source.with_step_cmd(template.clone(), cwd);
                    }
                    if let Some(dev) = dev {
                        source = source.with_dev_url(dev);
                    }
                    Box::new(source)
                }
            })
        }
        (None, None) => {
            anyhow::bail!("give the expected schema with --expect SOURCE or --migrations DIR")
        }
    }
}

/// The variable naming the dev database when `--dev-url` does not.
const DEV_URL_ENV: &str = "DRIFTLESS_DEV_URL";

/// `$DRIFTLESS_DEV_URL`, read only with `--migrations` (so that it never
/// clashes with `--expect`), unless empty.
fn dev_url_from_env() -> Option<String> {
    std::env::var(DEV_URL_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())
}

/// How migration folders are read: each file at most `max_size` bytes
/// (`--max-migration-size`; the library's default without it).
fn load_options(max_size: Option<u64>) -> MigrationLoadOptions {
    let options = MigrationLoadOptions::default();
    match max_size {
        Some(bytes) => options.with_max_file_size(bytes),
        None => options,
    }
}

/// Reads a migrations folder, each file at most `max_size` bytes.
pub fn load_migrations(dir: &Path, max_size: Option<u64>) -> Result<MigrationSet> {
    load_migrations_with(dir, &load_options(max_size)).map_err(with_size_hint)
}

/// Adds the flag that raises the limit to an error about a file over it.
pub fn with_size_hint(e: driftless_introspect::Error) -> anyhow::Error {
    let too_large = matches!(
        &e,
        driftless_introspect::Error::Model(driftless_model::Error::Io { source, .. })
            if matches!(FileRefusal::of(source), Some(FileRefusal::TooLarge { .. }))
    );
    if too_large {
        anyhow::anyhow!("{e} (raise it with --max-migration-size BYTES)")
    } else {
        e.into()
    }
}
