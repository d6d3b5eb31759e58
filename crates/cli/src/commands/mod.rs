//! The commands, and what they share: connecting, reading a schema,
//! writing to stdout.

mod check;
mod completions;
mod expected;
mod fix;
mod migrations;
mod plan;
mod rules;
mod snapshot;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, Result};
use driftless_fixer::{ApplyOptions, FixPlan, Orphans, PlanOptions, Safety};
use driftless_introspect::{
    read_ledgers, recover_applied_sources, select_ledger, ConnectOptions, Database, DbUrl,
    IntrospectOptions, Ledger, Snapshot,
};
use driftless_rules::{Config, Context, Date, Registry, Report, RuleMeta, Severity};

use self::expected::Expected;

use crate::args::{Cli, Command, DbArgs, ExpectArgs, OrphansArg, RepairArgs, SafetyArg};
use crate::term::{self, Spinner};
use crate::Status;

/// What every command needs from the global options.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// -q: no progress indicator.
    pub quiet: bool,
    /// Whether stdout output is coloured.
    pub color: bool,
    /// --connect-timeout.
    pub connect_timeout: Duration,
}

impl Ctx {
    /// Options for opening a database that must not be written.
    pub fn read_only(&self) -> ConnectOptions {
        ConnectOptions::read_only().with_connect_timeout(self.connect_timeout)
    }

    /// Options for opening the database `fix --apply` repairs.
    pub fn read_write(&self) -> ConnectOptions {
        ConnectOptions::default().with_connect_timeout(self.connect_timeout)
    }

    /// Parses a URL given on the command line (errors print it redacted).
    pub fn parse_url(&self, raw: &str) -> Result<DbUrl> {
        Ok(DbUrl::parse(raw)?)
    }

    /// Starts the progress spinner.
    pub fn spinner(&self, message: impl Into<String>) -> Spinner {
        Spinner::start(self.quiet, message)
    }

    /// Reads the schema of a live database, read-only, with a spinner.
    pub async fn read_live(&self, url: &DbUrl, schemas: &[String]) -> Result<Snapshot> {
        Ok(self.read_live_with_ledgers(url, schemas, false).await?.0)
    }

    /// Reads the schema of a live database and, when asked, its migration
    /// ledgers: read-only, with a spinner.
    pub async fn read_live_with_ledgers(
        &self,
        url: &DbUrl,
        schemas: &[String],
        ledgers: bool,
    ) -> Result<(Snapshot, Vec<Ledger>)> {
        let spinner = self.spinner(format!("connecting to {url}"));
        let mut db = Database::connect(url, &self.read_only()).await?;
        spinner.set(format!("reading the schema of {url}"));
        let snapshot = db
            .snapshot(&IntrospectOptions::default().with_schemas(schemas.iter().cloned()))
            .await?;
        let ledgers = if ledgers {
            spinner.set(format!("reading the migration ledgers of {url}"));
            read_ledgers(&mut db).await?
        } else {
            Vec::new()
        };
        tracing::debug!(url = %url, round_trips = db.round_trips(), "schema read");
        db.close().await?;
        Ok((snapshot, ledgers))
    }

    /// Writes `text` to stdout and flushes. When the reader has gone
    /// (`driftless check | head -n3`), the output stops quietly and this
    /// returns `Ok`: the command still ends with the status it computed
    /// (1 on drift), so a pipeline under `set -o pipefail` cannot turn
    /// drift into success. Other write errors (a full disk) are errors.
    pub fn write_stdout(&self, text: &str) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        term::ignore_broken_pipe(out.write_all(text.as_bytes()).and_then(|()| out.flush()))
    }
}

/// The configuration: `--config FILE`, else `driftless.toml` found from
/// the current folder upwards, else the defaults; checked against the
/// rules of `registry`.
pub fn load_config(path: Option<&Path>, registry: &Registry) -> Result<Config> {
    let config = match path {
        Some(p) => Config::load(p)?,
        None => {
            let cwd = std::env::current_dir().context("cannot read the current folder")?;
            Config::discover(&cwd)?.unwrap_or_default()
        }
    };
    config.validate(registry)?;
    if let Some(p) = config.path() {
        tracing::info!(config = %p.display(), "configuration loaded");
    }
    Ok(config)
}

/// Today's date (UTC), against which waivers expire.
pub fn today() -> Option<Date> {
    let now = time::OffsetDateTime::now_utc();
    Date::from_ymd(now.year(), u8::from(now.month()), now.day())
}

/// A rule context for `expected` and `actual`, with today's date.
pub fn rule_context<'a>(expected: &'a Snapshot, actual: &'a Snapshot) -> Context<'a> {
    let cx = Context::new(expected, actual);
    match today() {
        Some(day) => cx.with_today(day),
        // Without a date every waiver counts as expired: the check fails closed.
        None => cx,
    }
}

/// What `check`, `plan` and `fix` start from: both schemas, compared.
#[derive(Debug)]
pub struct Prepared {
    /// The database checked (or repaired).
    pub url: DbUrl,
    /// The rules.
    pub registry: Registry,
    /// The configuration (with `--fail-on` applied).
    pub config: Config,
    /// The expected schema (and migrations, when it came from a folder).
    pub expected: Expected,
    /// The database's schema.
    pub actual: Snapshot,
    /// The database's migration ledgers (read when migrations are given).
    pub ledgers: Vec<Ledger>,
    /// The findings.
    pub report: Report,
}

impl Prepared {
    /// Reads the configuration and both schemas (read-only) and runs the rules.
    pub async fn load(
        ctx: &Ctx,
        db: &DbArgs,
        expect: &ExpectArgs,
        fail_on: Option<Severity>,
    ) -> Result<Self> {
        let url = ctx.parse_url(&db.db)?;
        let registry = Registry::builtin();
        let mut config = load_config(expect.config.as_deref(), &registry)?;
        if let Some(severity) = fail_on {
            config.set_fail_on(severity);
        }
        // Both sides are read at the same time: two databases (or a replay
        // and a database) cost the slower of the two, not their sum.
        let (mut expected, (actual, ledgers)) = tokio::try_join!(
            expected::load(ctx, expect, &url, &db.schemas),
            ctx.read_live_with_ledgers(&url, &db.schemas, expected::uses_migrations(expect)),
        )?;
        if expected.snapshot.dialect != actual.dialect {
            anyhow::bail!(
                "cannot compare {url} ({}) with {} ({}): the expected schema must come from the same kind of database",
                actual.dialect,
                expected.description,
                expected.snapshot.dialect
            );
        }
        if let Some(set) = expected.migrations.as_mut() {
            if let Some(ledger) = select_ledger(set, &ledgers) {
                // Earlier versions of modified files, from git, tell
                // cosmetic changes from real ones.
                recover_applied_sources(set, ledger);
            }
        }
        let report = run_rules(&registry, &config, &expected, &ledgers, &actual);
        Ok(Prepared {
            url,
            registry,
            config,
            expected,
            actual,
            ledgers,
            report,
        })
    }

    /// Reads the database's schema (and ledgers) again, read-only, and runs
    /// the rules on it: the schema changed since it was loaded.
    pub async fn reload_actual(&mut self, ctx: &Ctx, schemas: &[String]) -> Result<()> {
        let (actual, ledgers) = ctx
            .read_live_with_ledgers(&self.url, schemas, self.expected.migrations.is_some())
            .await?;
        self.actual = actual;
        self.ledgers = ledgers;
        self.report = self.recheck(&self.actual);
        Ok(())
    }

    /// Runs the rules on `actual` (the database after a fix).
    pub fn recheck(&self, actual: &Snapshot) -> Report {
        run_rules(
            &self.registry,
            &self.config,
            &self.expected,
            &self.ledgers,
            actual,
        )
    }

    /// Metadata of every rule.
    pub fn rules(&self) -> Vec<RuleMeta> {
        self.registry.metas().copied().collect()
    }

    /// The fix plan for the findings.
    pub fn plan(&self, repair: &RepairArgs) -> Result<FixPlan> {
        Ok(driftless_fixer::plan(
            &self.expected.snapshot,
            &self.actual,
            &self.report.findings,
            &plan_options(repair),
        )?)
    }

    /// Exit status of the comparison: drift when a finding fails.
    pub fn status(&self) -> Status {
        if self.report.failed() {
            Status::Drift
        } else {
            Status::Clean
        }
    }
}

/// Runs the rules over the expected schema (with its migrations and their
/// provenance, when known) and `actual` (with the database's ledger).
fn run_rules(
    registry: &Registry,
    config: &Config,
    expected: &Expected,
    ledgers: &[Ledger],
    actual: &Snapshot,
) -> Report {
    let mut cx = rule_context(&expected.snapshot, actual);
    if let Some(set) = &expected.migrations {
        cx = cx.with_migrations(set, select_ledger(set, ledgers));
    }
    if let Some(p) = &expected.provenance {
        cx = cx.with_provenance(p);
    }
    registry.check(config, &cx)
}

/// Planning options from the command line.
pub fn plan_options(repair: &RepairArgs) -> PlanOptions {
    let mut options = PlanOptions::default().with_orphans(match repair.orphans {
        OrphansArg::Quarantine => Orphans::Quarantine,
        OrphansArg::Drop => Orphans::Drop,
        OrphansArg::Keep => Orphans::Keep,
    });
    let allow = match (repair.allow_destructive, repair.allow) {
        (true, _) => Some(Safety::Destructive),
        (false, Some(SafetyArg::Safe)) => Some(Safety::Safe),
        (false, Some(SafetyArg::Locking)) => Some(Safety::Locking),
        (false, Some(SafetyArg::Destructive)) => Some(Safety::Destructive),
        (false, Some(SafetyArg::DataLoss)) => Some(Safety::DataLoss),
        (false, None) => None,
    };
    if let Some(allow) = allow {
        options = options.with_allow(allow);
    }
    options
}

/// Apply options (timeouts) from the command line.
pub fn apply_options(repair: &RepairArgs, schemas: &[String]) -> ApplyOptions {
    let mut options = ApplyOptions::default()
        .with_introspect(IntrospectOptions::default().with_schemas(schemas.iter().cloned()));
    if let Some(t) = repair.lock_timeout {
        options = options.with_lock_timeout(t);
    }
    if let Some(t) = repair.statement_timeout {
        options = options.with_statement_timeout(t);
    }
    options
}

/// Leaves a large value to the end of the process instead of freeing it.
/// Commands call this on their snapshots when they are done: the process
/// exits right after, and freeing a 5,000-table snapshot's hundreds of
/// thousands of small allocations one by one only delays the exit (by
/// tens of milliseconds) when the operating system reclaims the memory at
/// once anyway. Only for plain data, never for connections or files.
pub(crate) fn release_at_exit<T>(value: T) {
    std::mem::forget(value);
}

/// Runs the command line.
pub async fn run(cli: Cli) -> Result<Status> {
    let ctx = Ctx {
        quiet: cli.global.quiet,
        color: term::stdout_color(cli.global.color),
        connect_timeout: Duration::from_secs(cli.global.connect_timeout),
    };
    match cli.command {
        Command::Snapshot(args) => snapshot::run(&ctx, args).await,
        Command::Completions(args) => completions::run(&ctx, &args),
        Command::Migrations(args) => migrations::run(&ctx, args).await,
        Command::Check(args) => check::run(&ctx, args).await,
        Command::Rules(args) => rules::run(&ctx, &args),
        Command::Plan(args) => plan::run(&ctx, args).await,
        Command::Fix(args) => fix::run(&ctx, args).await,
    }
}
