//! The expected-schema source that `--expect SOURCE` or `--migrations DIR`
//! names.

use anyhow::Result;
use driftless_pipeline::{source_from_spec, ExpectedSource, MigrationCommand, MigrationReplay};

use super::Ctx;
use crate::args::ExpectArgs;

/// The source the arguments name.
pub fn source(ctx: &Ctx, args: &ExpectArgs) -> Result<Box<dyn ExpectedSource>> {
    match (&args.expect, &args.migrations) {
        (Some(spec), _) => Ok(source_from_spec(spec)?),
        (None, Some(dir)) => {
            let dev = args
                .dev_url
                .as_deref()
                .map(|u| ctx.parse_url(u))
                .transpose()?;
            Ok(match args.expect_cmd.as_deref() {
                Some(cmd) => {
                    let mut source = MigrationCommand::new(dir, cmd);
                    if let Some(dev) = dev {
                        source = source.with_dev_url(dev);
                    }
                    Box::new(source)
                }
                None => {
                    let mut source = MigrationReplay::new(dir);
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
