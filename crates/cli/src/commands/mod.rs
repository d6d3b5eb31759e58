//! The commands, and what they share: connecting, reading a schema,
//! writing to stdout.

mod check;
mod completions;
mod expected;
mod fix;
mod fleet;
mod migrations;
mod plan;
mod quarantine;
mod report;
mod rules;
mod snapshot;

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use driftless_fixer::Interrupt;
use driftless_fixer::{
    ApplyEvent, ApplyOptions, ApplyProgress, FixPlan, LockLevel, LockRetry, Orphans, PlanOptions,
    Safety, DEFAULT_ONLINE_THRESHOLD,
};
use driftless_introspect::{ConnectOptions, DbUrl, IntrospectOptions, DEFAULT_LOCK_TIMEOUT};
use driftless_model::Snapshot;
use driftless_pipeline::{read_live, Checked, DriftCheck, Progress, Stage};
use driftless_rules::{Config, FixSettings, Registry, RuleMeta, Severity};

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
    /// --lock-timeout, when given.
    pub lock_timeout: Option<Duration>,
    /// Triggered by SIGINT or SIGTERM: every connection and apply of the
    /// command watches it.
    pub interrupt: Interrupt,
}

impl Ctx {
    /// Options for opening a database that must not be written: reads
    /// wait for locks up to --lock-timeout (default 5 s).
    pub fn read_only(&self) -> ConnectOptions {
        self.watched(ConnectOptions::read_only())
    }

    /// Options for opening the database `fix --apply` repairs, and scratch
    /// databases replays write.
    pub fn read_write(&self) -> ConnectOptions {
        self.watched(ConnectOptions::default())
    }

    /// `options` with the connect and lock timeouts and the interrupt.
    fn watched(&self, options: ConnectOptions) -> ConnectOptions {
        options
            .with_connect_timeout(self.connect_timeout)
            .with_lock_timeout(self.lock_timeout.unwrap_or(DEFAULT_LOCK_TIMEOUT))
            .with_interrupt(self.interrupt.clone())
    }

    /// Fails with [`driftless_introspect::Error::Interrupted`] when a
    /// signal came while the command did work that does not watch for it
    /// (comparing, planning): `what` is the next step, not taken.
    pub fn checkpoint(&self, url: &DbUrl, what: &str) -> Result<()> {
        match self.interrupt.reason() {
            Some(reason) => Err(driftless_introspect::Error::Interrupted {
                url: url.to_string(),
                context: format!("before {what}"),
                reason: reason.to_string(),
            }
            .into()),
            None => Ok(()),
        }
    }

    /// Parses a URL given on the command line (errors print it redacted).
    pub fn parse_url(&self, raw: &str) -> Result<DbUrl> {
        Ok(DbUrl::parse(raw)?)
    }

    /// Starts the progress spinner.
    pub fn spinner(&self, message: impl Into<String>) -> Spinner {
        Spinner::start(self.quiet, message)
    }

    /// Reads the schema of a live database as `options` say, read-only,
    /// with a spinner.
    pub async fn read_live(&self, url: &DbUrl, options: &IntrospectOptions) -> Result<Snapshot> {
        let progress = SpinnerProgress { quiet: self.quiet };
        Ok(read_live(url, options, &self.read_only(), &progress, false)
            .await?
            .0)
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
/// the current folder upwards, else the defaults. The pipeline checks it
/// against the rules before it reads any database.
pub fn load_config(path: Option<&Path>) -> Result<Config> {
    let config = match path {
        Some(p) => Config::load(p)?,
        None => {
            let cwd = std::env::current_dir().context("cannot read the current folder")?;
            Config::discover(&cwd)?.unwrap_or_default()
        }
    };
    if let Some(p) = config.path() {
        tracing::info!(config = %p.display(), "configuration loaded");
    }
    Ok(config)
}

/// What `check`, `plan` and `fix` start from: both schemas, compared
/// (the library's [`Checked`], which it derefs to).
#[derive(Debug)]
pub struct Prepared {
    /// The database checked (or repaired).
    pub url: DbUrl,
    checked: Checked,
}

impl std::ops::Deref for Prepared {
    type Target = Checked;

    fn deref(&self) -> &Checked {
        &self.checked
    }
}

impl std::ops::DerefMut for Prepared {
    fn deref_mut(&mut self) -> &mut Checked {
        &mut self.checked
    }
}

impl Prepared {
    /// Reads the configuration and both schemas (read-only) and runs the rules.
    pub async fn load(
        ctx: &Ctx,
        db: &DbArgs,
        expect: &ExpectArgs,
        fail_on: Option<Severity>,
    ) -> Result<Self> {
        let url = ctx.parse_url(db.url()?)?;
        let registry = Registry::builtin();
        let mut config = load_config(expect.config.as_deref())?;
        if let Some(severity) = fail_on {
            config.set_fail_on(severity);
        }
        let opt_in = db.opt_in(&config);
        let checked = DriftCheck::new(url.clone(), expected::source(ctx, expect)?)
            .with_schemas(db.schemas.iter().cloned())
            .with_opt_in(opt_in)
            .with_registry(registry)
            .with_config(config)
            .with_connect(ctx.read_only(), ctx.read_write())
            .with_progress(Arc::new(SpinnerProgress { quiet: ctx.quiet }))
            .run()
            .await
            .map_err(|e| match e {
                driftless_pipeline::Error::Introspect(e) => expected::with_size_hint(e),
                other => other.into(),
            })?;
        ctx.checkpoint(&url, "reporting or planning")?;
        Ok(Prepared { url, checked })
    }

    /// Metadata of every rule.
    pub fn rules(&self) -> Vec<RuleMeta> {
        self.registry.metas().copied().collect()
    }

    /// The fix plan for the findings.
    pub fn plan(&self, repair: &RepairArgs) -> Result<FixPlan> {
        Ok(self.checked.plan(&self.plan_options(repair))?)
    }

    /// The fix plan for the findings, with `options`.
    pub fn checked_plan(&self, options: &PlanOptions) -> Result<FixPlan> {
        Ok(self.checked.plan(options)?)
    }

    /// Planning options from the command line and the `[fix]` policy of
    /// the configuration (flags win).
    pub fn plan_options(&self, repair: &RepairArgs) -> PlanOptions {
        policy_plan_options(repair, self.config.fix())
    }

    /// Apply options from the command line and the `[fix]` policy of the
    /// configuration (flags win).
    pub fn apply_options(
        &self,
        ctx: &Ctx,
        repair: &RepairArgs,
        schemas: &[String],
    ) -> Result<ApplyOptions> {
        let options = policy_apply_options(ctx, repair, schemas, &self.config)?;
        Ok(options.with_introspect(self.checked.introspect()))
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

/// Stage reports shown as a spinner on stderr (hidden with -q or when
/// stderr is not a terminal).
struct SpinnerProgress {
    quiet: bool,
}

impl Progress for SpinnerProgress {
    fn begin(&self, message: &str) -> Box<dyn Stage + '_> {
        Box::new(Spinner::start(self.quiet, message))
    }
}

impl Stage for Spinner {
    fn set(&self, message: &str) {
        Spinner::set(self, message);
    }
}

/// Refuses, before `fix --apply` reads anything, repair choices that
/// contradict each other: `--orphans drop` asks for drops, which only run
/// when destructive steps are allowed; without that, the rest would be
/// applied and the drops withheld. (A plan shows them withheld.)
pub fn check_repair(repair: &RepairArgs) -> Result<()> {
    let allowed = plan_options(repair).allow >= Safety::Destructive;
    if repair.orphans == OrphansArg::Drop && !allowed {
        anyhow::bail!(
            "--orphans drop drops tables and columns, which is destructive: add --allow-destructive (or use --orphans quarantine, the default, which keeps their data); nothing was changed"
        );
    }
    Ok(())
}

/// Planning options from the command line.
pub fn plan_options(repair: &RepairArgs) -> PlanOptions {
    policy_plan_options(repair, &FixSettings::default())
}

/// Planning options from the command line and the `[fix]` policy
/// (`--atomic` / `--online-threshold` win over `atomic` /
/// `online_threshold`).
fn policy_plan_options(repair: &RepairArgs, fix: &FixSettings) -> PlanOptions {
    let atomic = repair.atomic || (repair.online_threshold.is_none() && fix.atomic == Some(true));
    let threshold = repair
        .online_threshold
        .or(fix.online_threshold)
        .unwrap_or(DEFAULT_ONLINE_THRESHOLD);
    let mut options = PlanOptions::default()
        .with_online_threshold((!atomic).then_some(threshold))
        .with_orphans(match repair.orphans {
            OrphansArg::Quarantine => Orphans::Quarantine,
            OrphansArg::Drop => Orphans::Drop,
            OrphansArg::Keep => Orphans::Keep,
        })
        .with_accept_renames(repair.accept_renames);
    let allow = match (repair.allow_destructive, repair.allow) {
        (true, _) => Some(Safety::Destructive),
        (false, Some(SafetyArg::Safe)) => Some(Safety::Safe),
        (false, Some(SafetyArg::DataChange)) => Some(Safety::DataChange),
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

/// Apply options (timeouts, the interrupt, the lock policy) from the
/// command line and the `[fix]` policy of `config` (flags win).
fn policy_apply_options(
    ctx: &Ctx,
    repair: &RepairArgs,
    schemas: &[String],
    config: &Config,
) -> Result<ApplyOptions> {
    let fix = config.fix();
    let mut options = apply_options(ctx, repair, schemas);
    if let (None, Some((text, line))) = (repair.max_lock, &fix.max_lock) {
        let file = config
            .path()
            .map_or_else(|| "driftless.toml".to_string(), |p| p.display().to_string());
        options.max_lock = Some(LockLevel::parse(text).with_context(|| {
            format!("{file}:{line}: `{text}` is not a lock level (max_lock: use a PostgreSQL lock mode such as \"share update exclusive\", or none, shared, exclusive)")
        })?);
    }
    options.allow_table_copy |= fix.allow_table_copy == Some(true);
    if let (None, Some(n)) = (repair.lock_retries, fix.lock_retries) {
        options.lock_retry.retries = n;
    }
    Ok(options)
}

/// Apply options (timeouts, the interrupt, the lock policy) from the
/// command line.
pub fn apply_options(ctx: &Ctx, repair: &RepairArgs, schemas: &[String]) -> ApplyOptions {
    let mut options = ApplyOptions::default()
        .with_introspect(IntrospectOptions::default().with_schemas(schemas.iter().cloned()))
        .with_interrupt(ctx.interrupt.clone());
    if let Some(t) = ctx.lock_timeout {
        options = options.with_lock_timeout(t);
    }
    if let Some(t) = repair.statement_timeout {
        options = options.with_statement_timeout(t);
    }
    let defaults = LockRetry::default();
    options = options
        .with_max_lock(repair.max_lock)
        .with_allow_table_copy(repair.allow_table_copy)
        .with_lock_retry(LockRetry::new(
            repair.lock_retry_wait.unwrap_or(defaults.wait),
            repair.lock_retries.unwrap_or(defaults.retries),
            repair.lock_retry_backoff.unwrap_or(defaults.backoff),
        ));
    match fault_pause() {
        Some(progress) => options.with_progress(progress),
        None => options,
    }
}

/// The environment variable of the fault-injection hook: with
/// `DRIFTLESS_FAULT_PAUSE_AFTER_STATEMENT=N`, an apply stops for good right
/// after its Nth statement ran, once it said so on stderr, so that a test
/// can kill the process (SIGKILL) at that exact statement boundary.
pub const FAULT_PAUSE_VAR: &str = "DRIFTLESS_FAULT_PAUSE_AFTER_STATEMENT";

fn fault_pause() -> Option<ApplyProgress> {
    let n: usize = std::env::var(FAULT_PAUSE_VAR).ok()?.trim().parse().ok()?;
    Some(ApplyProgress::new(move |event| {
        let ApplyEvent::Statement { statement, .. } = event else {
            return;
        };
        if statement == n {
            eprintln!("driftless: paused after statement {n} ({FAULT_PAUSE_VAR})");
            // Blocks this thread, and with it the apply, until killed.
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
    }))
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

/// How long a command may take to stop after the first signal before the
/// process ends without it (each connection stops its own statement at
/// once; this only bounds work that does not watch, such as a framework's
/// migrate command).
const STOP_GRACE: Duration = Duration::from_secs(15);

/// Runs the command line; SIGINT and SIGTERM stop it (see `signals`).
pub async fn run(cli: Cli) -> Result<Status> {
    let interrupt = Interrupt::new();
    crate::signals::watch(interrupt.clone());
    let command = dispatch(cli, interrupt.clone());
    tokio::pin!(command);
    tokio::select! {
        r = &mut command => r,
        () = interrupt.triggered() => match tokio::time::timeout(STOP_GRACE, command).await {
            Ok(r) => r,
            Err(_) => Err(anyhow::anyhow!(
                "{}: the command did not stop within {}s and was abandoned",
                interrupt.reason().unwrap_or("interrupted"),
                STOP_GRACE.as_secs()
            )),
        },
    }
}

/// Runs the command.
async fn dispatch(cli: Cli, interrupt: Interrupt) -> Result<Status> {
    let ctx = Ctx {
        quiet: cli.global.quiet,
        color: term::stdout_color(cli.global.color),
        // Written before the command or after it (the commands that
        // connect list it in their help).
        connect_timeout: Duration::from_secs(
            cli.global
                .connect_timeout
                .or(cli.command.connect_timeout())
                .unwrap_or(crate::args::DEFAULT_CONNECT_TIMEOUT),
        ),
        lock_timeout: cli.command.lock_timeout(),
        interrupt,
    };
    match cli.command {
        Command::Snapshot(args) => snapshot::run(&ctx, args).await,
        Command::Completions(args) => completions::run(&ctx, &args),
        Command::Migrations(args) => migrations::run(&ctx, args).await,
        Command::Check(args) if args.fleet.is_fleet() => fleet::check(&ctx, args).await,
        Command::Check(args) => check::run(&ctx, args).await,
        Command::Rules(args) => rules::run(&ctx, &args),
        Command::Schema(args) => rules::schema(&ctx, &args),
        Command::Plan(args) if args.fleet.is_fleet() => fleet::plan(&ctx, args).await,
        Command::Plan(args) => plan::run(&ctx, args).await,
        Command::Fix(args) if args.fleet.is_fleet() => fleet::fix(&ctx, args).await,
        Command::Fix(args) => fix::run(&ctx, args).await,
        Command::Quarantine(args) => quarantine::run(&ctx, args).await,
        Command::Report(args) => report::run(&ctx, args),
    }
}
