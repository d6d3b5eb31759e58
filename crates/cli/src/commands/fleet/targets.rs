//! What a fleet run goes over: the tenant schemas of one database, the
//! databases of a server, or the databases a targets file lists; and the
//! share of them this run checks.

use std::io::BufRead;

use anyhow::{Context as _, Result};
use driftless_introspect::DbUrl;
use driftless_model::Dialect;
use driftless_pipeline::fleet::{list_databases, Shard, TargetUrl};

use crate::args::{DbArgs, FleetArgs};
use crate::commands::Ctx;

/// The variable `--shard auto` reads the number of shares from (a
/// Kubernetes Indexed Job sets it from `.spec.completions`; the index is
/// `JOB_COMPLETION_INDEX`).
pub const SHARDS_ENV: &str = "DRIFTLESS_SHARDS";

/// The targets of a run.
#[derive(Debug)]
pub enum Targets {
    /// Every schema of `db` matching `glob`.
    Schemas {
        /// The database.
        db: DbUrl,
        /// The pattern.
        glob: String,
    },
    /// These databases (a line that is no URL: that target's error).
    Databases(Vec<TargetUrl>),
}

impl Targets {
    /// The targets the command line names.
    pub async fn from_args(ctx: &Ctx, db: &DbArgs, fleet: &FleetArgs) -> Result<Targets> {
        if let Some(file) = &fleet.targets {
            return Ok(Targets::Databases(read_targets(ctx, file)?));
        }
        let url = ctx.parse_url(db.url()?)?;
        if let Some(glob) = &fleet.each_schema {
            if url.dialect() == Dialect::Sqlite {
                anyhow::bail!(
                    "--each-schema needs PostgreSQL, MySQL or MariaDB: a SQLite file has no tenant schemas (list several SQLite files with --targets FILE)"
                );
            }
            return Ok(Targets::Schemas {
                db: url,
                glob: glob.clone(),
            });
        }
        let glob = fleet
            .each_database
            .as_deref()
            .context("no fleet given: --each-schema, --each-database or --targets")?;
        let urls = list_databases(&url, glob, &ctx.read_only()).await?;
        Ok(Targets::Databases(urls.into_iter().map(Ok).collect()))
    }
}

/// The share `--shard` names: `I/N`, or `auto` (a Kubernetes Indexed Job).
pub fn shard(arg: Option<&str>) -> Result<Option<Shard>> {
    let Some(arg) = arg else {
        return Ok(None);
    };
    let shard = if arg.trim() == "auto" {
        Shard::from_env(|v| std::env::var(v).ok(), SHARDS_ENV)
            .map_err(|e| anyhow::anyhow!("--shard auto: {e} (set {SHARDS_ENV} to the number of shards; Kubernetes sets JOB_COMPLETION_INDEX)"))?
    } else {
        arg.parse::<Shard>()
            .map_err(|e| anyhow::anyhow!("--shard: {e}"))?
    };
    Ok(Some(shard))
}

/// The targets file (`-`: stdin).
fn read_targets(ctx: &Ctx, file: &str) -> Result<Vec<TargetUrl>> {
    let reader: Box<dyn BufRead> = if file == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let f = std::fs::File::open(file)
            .with_context(|| format!("cannot read the targets file {file}"))?;
        Box::new(std::io::BufReader::new(f))
    };
    let name = if file == "-" { "stdin" } else { file };
    let mut targets = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read the targets file {name}"))?;
        if let Some(target) = target_line(ctx, name, i + 1, &line, |v| std::env::var(v).ok()) {
            targets.push(target);
        }
    }
    if targets.is_empty() {
        anyhow::bail!("the targets file {name} lists no database (one URL a line, # comments)");
    }
    Ok(targets)
}

/// One line of a targets file: nothing for a blank line or a comment; a
/// URL, with `${VAR}` expanded through `env`; or the error of that line's
/// target (named `FILE:LINE`, so that no part of a bad URL is printed).
fn target_line(
    ctx: &Ctx,
    file: &str,
    number: usize,
    line: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Option<TargetUrl> {
    let text = match line.find(" #").or_else(|| line.find("\t#")) {
        Some(at) => &line[..at],
        None => line,
    }
    .trim();
    if text.is_empty() || text.starts_with('#') {
        return None;
    }
    let here = format!("{file}:{number}");
    let expanded = match expand(text, env) {
        Ok(t) => t,
        Err(e) => return Some(Err((here, e))),
    };
    Some(
        ctx.parse_url(&expanded)
            .map_err(|e| (here, driftless_introspect::redact(&e.to_string()))),
    )
}

/// `${VAR}` replaced by the variable's value; an unset one is an error
/// naming it.
fn expand(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| "an unclosed ${ in the URL".to_string())?;
        let var = &after[..end];
        let value = env(var).ok_or_else(|| format!("${{{var}}} is not set"))?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ctx() -> Ctx {
        Ctx {
            quiet: true,
            color: false,
            connect_timeout: Duration::from_secs(1),
            lock_timeout: None,
            interrupt: Default::default(),
        }
    }

    #[test]
    fn lines_are_urls_comments_or_errors_of_their_target() {
        let env = |v: &str| (v == "PW").then(|| "s3cret".to_string());
        let line = |text: &str| target_line(&ctx(), "t.txt", 7, text, env);
        assert!(line("").is_none());
        assert!(line("   # a comment").is_none());
        let url = line("postgres://app:${PW}@db/shop_1  # Berlin")
            .unwrap()
            .unwrap();
        assert_eq!(url.database(), Some("shop_1"));
        assert!(!url.to_string().contains("s3cret"));
        let (name, error) = line("postgres://app:${NOPE}@db/x").unwrap().unwrap_err();
        assert_eq!(name, "t.txt:7");
        assert!(error.contains("${NOPE} is not set"), "{error}");
        let (name, _) = line("not a url at all").unwrap().unwrap_err();
        assert_eq!(name, "t.txt:7");
    }

    #[test]
    fn shards_by_hand_or_from_kubernetes() {
        assert_eq!(shard(None).unwrap(), None);
        assert_eq!(shard(Some("2/3")).unwrap(), Shard::new(2, 3).ok());
        let e = shard(Some("4/3")).unwrap_err().to_string();
        assert!(e.contains("--shard") && e.contains("4/3"), "{e}");
    }
}
