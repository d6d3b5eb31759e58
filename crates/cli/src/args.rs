//! Command-line arguments (clap derive). Parsing only: every value that may
//! hold a secret (database URLs) is taken as plain text here and parsed in
//! the commands, so that clap's own error messages can never echo a password.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

const MAIN_EXAMPLES: &str = "\
Examples:
  # Does production still match its migrations? (exit 1 when it drifted)
  driftless check --db \"$DATABASE_URL\" --migrations migrations/

  # Compare against a committed snapshot, annotate a GitHub pull request
  driftless check --db \"$DATABASE_URL\" --expect schema.json --format github

  # Repair: preview the plan, then apply it (orphans are quarantined)
  driftless plan --db \"$DATABASE_URL\" --expect schema.json
  driftless fix  --db \"$DATABASE_URL\" --expect schema.json --apply

Exit codes: 0 no drift at or above the failing severity,
1 drift (fix: not converged), 2 bad usage, bad input or a database error
(a read waiting longer than --lock-timeout for another session's lock
names the table and the session), 130 / 143 stopped by SIGINT / SIGTERM.";

const SNAPSHOT_EXAMPLES: &str = "\
Examples:
  # Write the schema of the local database next to the code, like a lock file
  driftless snapshot --db postgres://app@localhost/app -o schema.json

  # Only two schemas, to stdout
  driftless snapshot --db \"$DATABASE_URL\" --schema public --schema billing

A schema named with --schema that the database does not have is an error
(exit 2); nothing is written.";

const CHECK_EXAMPLES: &str = "\
Examples:
  # Production against its sqlx migrations, replayed into SQLite memory
  driftless check --db sqlite:prod.db --migrations migrations/

  # Postgres against migrations replayed into a scratch database
  driftless check --db \"$DATABASE_URL\" --migrations migrations/ \\
      --dev-url postgres://localhost/scratch

  # A Django project: its own migrate command builds the expected schema
  driftless check --db \"$DATABASE_URL\" --migrations . \\
      --dev-url postgres://localhost/scratch \\
      --expect-cmd \"python manage.py migrate\"

  # Any framework, a migration at a time, for provenance (Rails' default)
  driftless check --db \"$DATABASE_URL\" --migrations db/migrate \\
      --dev-url postgres://localhost/scratch \\
      --step-cmd \"bin/rails db:migrate:up VERSION={version}\"

  # Against a snapshot file, SARIF for code scanning; only errors fail
  driftless check --db \"$DATABASE_URL\" --expect schema.json \\
      --format sarif --fail-on error > drift.sarif

  # A fleet: every tenant schema against the template schema
  driftless check --db \"$DATABASE_URL\" --each-schema 'tenant_*' \\
      --expect \"$DATABASE_URL\" --expect-schema template

  # Many databases, 8 at a time, each within 30s, one report
  driftless check --targets shops.txt --expect shop.json --jobs 8 \\
      --target-timeout 30s --format json > fleet.json

Exit codes: 0 no finding at or above the failing severity, 1 drift,
2 usage, input or database error, 130 / 143 stopped by SIGINT / SIGTERM
(nothing is changed). A fleet (--each-schema, --each-database, --targets):
1 when any target drifted (with --baseline: only new drift), 2 when a
target could not be checked and none drifted, else 0.";

const PLAN_EXAMPLES: &str = "\
Examples:
  # The SQL that would repair production (nothing is executed)
  driftless plan --db \"$DATABASE_URL\" --expect schema.json

  # A guarded script that can safely run twice
  driftless plan --db \"$DATABASE_URL\" --expect schema.json \\
      --format script > fix.sql

  # A new migration file in the project's migrations folder
  driftless plan --db \"$DATABASE_URL\" --migrations migrations/ \\
      --format migration --out migrations/

  # A fleet: one plan per drift group, with the tenants it applies to
  driftless plan --db \"$DATABASE_URL\" --each-schema 'tenant_*' \\
      --expect tenant.json

Exit codes: 0 no finding at or above the failing severity, 1 drift (as for
`check`; the plan is printed either way), 2 usage, input or database error.";

const FIX_EXAMPLES: &str = "\
Examples:
  # Show what would change (same as `plan`), change nothing
  driftless fix --db \"$DATABASE_URL\" --expect schema.json

  # Apply: orphan columns and tables are quarantined (renamed aside, data kept)
  driftless fix --db \"$DATABASE_URL\" --migrations migrations/ --apply

  # Drop orphans instead (destructive, so it must be allowed explicitly)
  driftless fix --db \"$DATABASE_URL\" --expect schema.json --apply \\
      --orphans drop --allow-destructive

  # A busy production table: tables from 1GB change online (concurrent
  # index builds, NOT VALID then VALIDATE, short lock waits retried), and
  # no step may block writers
  driftless fix --db \"$DATABASE_URL\" --expect schema.json --apply \\
      --online-threshold 1GB --max-lock 'share update exclusive'

  # Every drifted tenant: planned once per drift group, applied to each
  # member in its own transaction and lock
  driftless fix --db \"$DATABASE_URL\" --each-schema 'tenant_*' \\
      --expect tenant.json --apply

Exit codes: 0 converged (or nothing to do), 1 not converged,
2 usage, input or database error (a fleet: 1 when a target is not
converged, 2 when one failed and every other converged). A fix that was
committed but could not be verified (the connection was lost while the
schema was read again) also exits 2; its message says `committed`, lists
the committed steps and the cause: run `driftless check` to see whether
the drift is gone. SIGINT or SIGTERM stops any phase (exit 130 / 143):
the statement in flight is cancelled, the transaction rolled back, and one
line says what state the database is in; a second signal exits at once.
Online steps commit one by one: after an interruption, run the fix again
(the plan says what a rerun does at each step).";

const MIGRATIONS_EXAMPLES: &str = "\
Examples:
  # Which migrations are applied, unapplied, unknown, modified or failed
  driftless migrations --db \"$DATABASE_URL\" --migrations migrations/

  # The same as JSON
  driftless migrations --db sqlite:app.db --migrations migrations --format json";

const QUARANTINE_EXAMPLES: &str = "\
Examples:
  # What fixes set aside: object, where its data is, rows held, when
  driftless quarantine list --db \"$DATABASE_URL\"

  # Put a quarantined column back with its values: preview, then apply
  driftless quarantine restore --db \"$DATABASE_URL\" public.users.avatar
  driftless quarantine restore --db \"$DATABASE_URL\" public.users.avatar --apply";

const RULES_EXAMPLES: &str = "\
Examples:
  # Every rule with its default severity and summary
  driftless rules

  # The reference as Markdown (the README's rule table is generated from it)
  driftless rules --format markdown";

const SCHEMA_EXAMPLES: &str = "\
Examples:
  # The schema of `check --format json` (its documents name it in `$schema`)
  driftless schema report > driftless-report.schema.json

  # The schema of `plan --format json`
  driftless schema plan";

const REPORT_EXAMPLES: &str = "\
Examples:
  # Three shards of one fleet run, then one report
  driftless check --db \"$DATABASE_URL\" --each-schema 'tenant_*' \\
      --expect tenant.json --shard 1/3 --format json > shard-1.json
  driftless report merge shard-*.json --format human

  # Alert only on drift that is new since last night
  driftless report merge shard-*.json --baseline last-night.json

Exit codes: 0 no drift, 1 a target drifted (with --baseline: new drift),
2 usage or input error, or a target could not be checked and none drifted.";

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  driftless completions bash > /etc/bash_completion.d/driftless
  driftless completions zsh  > \"${fpath[1]}/_driftless\"
  driftless completions fish > ~/.config/fish/completions/driftless.fish";

/// Find and repair schema drift between a live database and its migrations
/// or a known-good schema.
#[derive(Debug, Parser)]
#[command(name = "driftless", version, after_help = MAIN_EXAMPLES, max_term_width = 100)]
pub struct Cli {
    /// Options every command accepts.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// `--connect-timeout` written before the command
    /// (`driftless --connect-timeout 5 check …`); the commands that connect
    /// list it in their own help.
    #[arg(long, hide = true, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub connect_timeout: Option<u64>,
    /// Only print errors; no progress indicator.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// More log output on stderr (-v info, -vv debug, -vvv trace incl. SQL).
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,
    /// When to colour output (auto: when writing to a terminal and NO_COLOR is unset).
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    /// Format of the log lines on stderr.
    #[arg(long, global = true, value_enum, value_name = "FORMAT", default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the schema of a live database as a JSON snapshot.
    #[command(after_help = SNAPSHOT_EXAMPLES)]
    Snapshot(SnapshotArgs),
    /// Compare a live database with its expected schema and report drift.
    #[command(after_help = CHECK_EXAMPLES)]
    Check(CheckArgs),
    /// Print the plan that would repair the drift; executes nothing.
    #[command(after_help = PLAN_EXAMPLES)]
    Plan(PlanArgs),
    /// Repair the drift (with --apply), then verify that it is gone.
    #[command(after_help = FIX_EXAMPLES)]
    Fix(FixArgs),
    /// Show the status of every migration: applied, unapplied, unknown, modified, failed.
    #[command(after_help = MIGRATIONS_EXAMPLES)]
    Migrations(MigrationsArgs),
    /// What fixes set aside (quarantined columns and tables), and restoring it.
    #[command(after_help = QUARANTINE_EXAMPLES)]
    Quarantine(QuarantineArgs),
    /// List every rule with its severity and summary.
    #[command(after_help = RULES_EXAMPLES)]
    Rules(RulesArgs),
    /// Print the JSON Schema of a JSON document driftless writes.
    #[command(after_help = SCHEMA_EXAMPLES)]
    Schema(SchemaArgs),
    /// Combine fleet reports: `report merge` joins the shards of one run.
    #[command(after_help = REPORT_EXAMPLES)]
    Report(ReportArgs),
    /// Print a shell completion script.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions(CompletionsArgs),
}

/// `--connect-timeout`'s default, in seconds.
pub const DEFAULT_CONNECT_TIMEOUT: u64 = 10;

/// How to connect: only on the commands that open a database.
#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// Give up connecting to a database after SECS seconds.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_CONNECT_TIMEOUT,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub connect_timeout: u64,
    /// How long to wait for a lock another session holds: 0 (do not wait:
    /// fail at once when another session holds it) to 24d, e.g. 500ms, 5s,
    /// 1m. Reads wait up to 5s by default, then fail (exit 2) naming the
    /// locked table and the session holding it; fix --apply waits this long
    /// (default 10s) for the fix lock and for each table or row lock.
    /// MySQL/MariaDB wait in whole seconds, rounded up.
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub lock_timeout: Option<std::time::Duration>,
}

impl Command {
    /// The connection options, on the commands that open a database.
    pub fn connect(&self) -> Option<&ConnectArgs> {
        Some(match self {
            Command::Snapshot(a) => &a.db.connect,
            Command::Check(a) => &a.db.connect,
            Command::Plan(a) => &a.db.connect,
            Command::Fix(a) => &a.db.connect,
            Command::Migrations(a) => &a.connect,
            Command::Quarantine(a) => match &a.command {
                QuarantineCommand::List(l) => &l.connect,
                QuarantineCommand::Restore(r) => &r.connect,
            },
            Command::Rules(_)
            | Command::Completions(_)
            | Command::Schema(_)
            | Command::Report(_) => return None,
        })
    }

    /// `--connect-timeout`, on the commands that open a database.
    pub fn connect_timeout(&self) -> Option<u64> {
        self.connect().map(|c| c.connect_timeout)
    }

    /// `--lock-timeout`, when given.
    pub fn lock_timeout(&self) -> Option<std::time::Duration> {
        self.connect().and_then(|c| c.lock_timeout)
    }
}

/// The database to read (or repair).
#[derive(Debug, Args)]
pub struct DbArgs {
    /// The live database: postgres://…, mysql://…, mariadb://… or sqlite:path
    /// (with --each-database: the server, any database of it).
    #[arg(long, value_name = "URL", env = "DATABASE_URL", hide_env_values = true)]
    pub db: Option<String>,
    /// Only these schemas (repeatable; default: every non-system schema).
    #[arg(long = "schema", value_name = "NAME")]
    pub schemas: Vec<String>,
    /// Compare privileges too (PostgreSQL): grants on tables, columns,
    /// sequences, routines and schemas, and default privileges (also
    /// `[coverage] privileges = true` in driftless.toml). Without it they
    /// are listed as not compared.
    #[arg(long)]
    pub privileges: bool,
    /// Compare publications too (PostgreSQL): each with its tables (or
    /// FOR ALL TABLES) and what it publishes (also `[coverage]
    /// publications = true`). Without it they are listed as not compared.
    #[arg(long)]
    pub publications: bool,
    /// Compare the installed version of each extension too (PostgreSQL;
    /// also `[coverage] extension_versions = true`): a difference is fixed
    /// with `ALTER EXTENSION … UPDATE TO`. Without it extensions are
    /// compared by name and schema.
    #[arg(long)]
    pub extension_versions: bool,
    /// How to connect.
    #[command(flatten)]
    pub connect: ConnectArgs,
}

impl DbArgs {
    /// The opt-in kinds to compare: these flags, and what `config` asks
    /// for.
    pub fn opt_in(&self, config: &driftless_rules::Config) -> driftless_model::OptIn {
        let flags = driftless_model::OptIn {
            privileges: self.privileges,
            publications: self.publications,
            extension_versions: self.extension_versions,
        };
        flags.union(config.opt_in())
    }

    /// `--db` (or `$DATABASE_URL`): required, except by a fleet run over
    /// `--targets` (a missing one is an error naming `--db`, exit 2).
    pub fn url(&self) -> Result<&str, anyhow::Error> {
        self.db.as_deref().ok_or_else(|| {
            anyhow::anyhow!("no database given: pass --db URL (or set $DATABASE_URL)")
        })
    }
}

/// Many targets compared with one expected schema (`check`, `plan`, `fix`).
#[derive(Debug, Args)]
#[group(skip)]
#[command(group(
    clap::ArgGroup::new("fleet")
        .multiple(false)
        .args(["each_schema", "each_database", "targets"])
))]
pub struct FleetArgs {
    /// Every schema of --db whose name matches GLOB (`tenant_*`), each
    /// compared with the one expected schema under its own name; read in one
    /// catalog read.
    #[arg(long, value_name = "GLOB", conflicts_with = "schemas")]
    pub each_schema: Option<String>,
    /// Every database of the server of --db whose name matches GLOB
    /// (`shop_*`).
    #[arg(long, value_name = "GLOB", conflicts_with = "schemas")]
    pub each_database: Option<String>,
    /// The databases to check, one URL a line (`#` comments, `${VAR}`
    /// expanded from the environment); `-` reads them from stdin.
    #[arg(long, value_name = "FILE", conflicts_with = "schemas")]
    pub targets: Option<String>,
    /// The schema of the expected side every target is compared with, when it
    /// has several (a template schema: `--expect postgres://… --expect-schema
    /// template`; it may be --db's own database).
    #[arg(long, value_name = "NAME", requires = "fleet")]
    pub expect_schema: Option<String>,
    /// How many databases to check at once (default: twice the cores).
    #[arg(long, value_name = "N", requires = "fleet",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
    /// Check only share I of N of the targets (stable by the target's name);
    /// `auto`: a Kubernetes Indexed Job's share, from $JOB_COMPLETION_INDEX and
    /// $DRIFTLESS_SHARDS (the Job's completions).
    #[arg(long, value_name = "I/N|auto", requires = "fleet")]
    pub shard: Option<String>,
    /// Give up on one database after DURATION (connecting, reading and
    /// comparing), e.g. 30s, 2m; it is reported as an error of that target.
    #[arg(long, value_name = "DURATION", requires = "fleet", value_parser = parse_timeout)]
    pub target_timeout: Option<std::time::Duration>,
}

impl FleetArgs {
    /// Whether the command runs over a fleet.
    pub fn is_fleet(&self) -> bool {
        self.each_schema.is_some() || self.each_database.is_some() || self.targets.is_some()
    }
}

/// Where the expected schema comes from: `--expect SOURCE` or
/// `--migrations DIR`, exactly one (a missing one is reported naming both).
#[derive(Debug, Args)]
#[group(skip)]
#[command(group(
    clap::ArgGroup::new("source")
        .required(true)
        .multiple(false)
        .args(["expect", "migrations"])
))]
pub struct ExpectArgs {
    /// The expected schema: a database URL or a snapshot file.
    #[arg(long, value_name = "SOURCE")]
    pub expect: Option<String>,
    /// A folder of migrations; the expected schema is what replaying them gives.
    #[arg(long, value_name = "DIR")]
    pub migrations: Option<PathBuf>,
    /// Scratch database to replay migrations into (default: $DRIFTLESS_DEV_URL,
    /// which keeps a password off the command line; SQLite: in memory).
    /// Cleaned before use; must not be the --db database.
    #[arg(
        long,
        value_name = "URL",
        requires = "migrations",
        conflicts_with = "expect"
    )]
    pub dev_url: Option<String>,
    /// Build the expected schema with a framework's own migrate command, run in
    /// the current folder with DATABASE_URL set to the dev database.
    #[arg(
        long,
        value_name = "CMD",
        requires = "migrations",
        conflicts_with = "expect"
    )]
    pub expect_cmd: Option<String>,
    /// The Python that runs Django or Alembic migrations one at a time for
    /// provenance (default: $VIRTUAL_ENV/bin/python, else python3).
    #[arg(
        long,
        value_name = "PATH",
        requires = "migrations",
        conflicts_with_all = ["expect", "expect_cmd"]
    )]
    pub python: Option<String>,
    /// Step through the migrations with this shell command, run once a migration
    /// in the current folder with DATABASE_URL set to the dev database and
    /// {app}, {name}, {version} filled from the migration (the schema is read in
    /// full after each, for provenance). Rails' default: bin/rails
    /// db:migrate:up VERSION={version}.
    #[arg(
        long,
        value_name = "TEMPLATE",
        requires = "migrations",
        conflicts_with_all = ["expect", "expect_cmd", "python"]
    )]
    pub step_cmd: Option<String>,
    /// Configuration file (default: driftless.toml in the current folder or above).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The largest migration file read (default 16M); a larger one is refused.
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub max_migration_size: Option<u64>,
}

/// `driftless snapshot`.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// The database to read.
    #[command(flatten)]
    pub db: DbArgs,
    /// Write to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `driftless check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The database to check.
    #[command(flatten)]
    pub db: DbArgs,
    /// The expected schema.
    #[command(flatten)]
    pub expect: ExpectArgs,
    /// Report format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub format: CheckFormat,
    /// Fail (exit 1) on findings at or above this severity (default: the
    /// config's fail_on, else warning).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,
    /// Many targets.
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// With a fleet: compare with an earlier run's JSON report; exit 1 only
    /// on new drift (the report says what is new, resolved and persisting).
    #[arg(long, value_name = "FILE", requires = "fleet")]
    pub baseline: Option<PathBuf>,
}

/// Repair choices shared by `plan` and `fix`.
#[derive(Debug, Args)]
pub struct RepairArgs {
    /// Allow destructive steps (drops); same as --allow destructive.
    #[arg(long, conflicts_with = "allow")]
    pub allow_destructive: bool,
    /// The riskiest kind of step to allow: safe, data-change (backfills),
    /// locking (default), destructive, or data-loss (narrowing type
    /// changes).
    #[arg(long, value_enum, value_name = "SAFETY")]
    pub allow: Option<SafetyArg>,
    /// What to do with orphan tables and columns.
    #[arg(long, value_enum, value_name = "WHAT", default_value_t = OrphansArg::Quarantine)]
    pub orphans: OrphansArg,
    /// Make every possible rename (`possible-rename` findings: columns,
    /// tables, indexes, constraints) a rename, keeping the data, instead of
    /// quarantining (or dropping) the orphan and adding the missing object;
    /// `[[rename]]` entries in driftless.toml confirm single renames.
    #[arg(long)]
    pub accept_renames: bool,
    /// How long one statement may run: 0 (no limit) to 24d, e.g. 30s, 5m;
    /// default 5m.
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub statement_timeout: Option<std::time::Duration>,
    /// Run every step in one transaction, as on a small database, whatever
    /// the table sizes (SQLite always does).
    #[arg(long, conflicts_with = "online_threshold")]
    pub atomic: bool,
    /// Tables of at least this live size change online: concurrent index
    /// builds, NOT VALID constraints validated apart, each step committed
    /// on its own with short lock waits and retries (default 16MiB; 0: every
    /// table; [fix] online_threshold in driftless.toml).
    #[arg(long, value_name = "SIZE", value_parser = parse_size_arg)]
    pub online_threshold: Option<u64>,
    /// Refuse, before anything runs, a plan with a step taking a stronger
    /// table lock: a PostgreSQL lock mode (e.g. "share update exclusive",
    /// "share", "access exclusive") or a MySQL LOCK= value (none, shared,
    /// exclusive); [fix] max_lock in driftless.toml.
    #[arg(long, value_name = "LEVEL", value_parser = parse_lock_level)]
    pub max_lock: Option<driftless_fixer::LockLevel>,
    /// MySQL/MariaDB: let an online step copy its table (ALGORITHM=COPY,
    /// writes wait for the whole copy) when the server accepts neither
    /// ALGORITHM=INSTANT nor INPLACE with LOCK=NONE; without it such a plan
    /// is refused before anything runs.
    #[arg(long)]
    pub allow_table_copy: bool,
    /// Online steps: how often a statement whose lock wait timed out is
    /// tried again, after a pause that doubles each time (default 8).
    #[arg(long, value_name = "N")]
    pub lock_retries: Option<u32>,
    /// Online steps: how long one try waits for its table lock before it
    /// gives way to the writers queued behind it (default 500ms).
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub lock_retry_wait: Option<std::time::Duration>,
    /// Online steps: the pause before the first retry, doubled for each
    /// next one up to 30s (default 500ms).
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub lock_retry_backoff: Option<std::time::Duration>,
}

/// `--online-threshold`: a size in bytes.
fn parse_size_arg(s: &str) -> Result<u64, String> {
    driftless_rules::parse_size(s).ok_or_else(|| {
        format!(
            "`{}` is not a size (use e.g. 0, 500kB, 16MiB, 2GB)",
            s.trim()
        )
    })
}

/// `--max-lock`: a lock level.
fn parse_lock_level(s: &str) -> Result<driftless_fixer::LockLevel, String> {
    driftless_fixer::LockLevel::parse(s).ok_or_else(|| {
        format!(
            "`{}` is not a lock level (use a PostgreSQL lock mode such as \"share update exclusive\", \"share\", \"access exclusive\", or none, shared, exclusive)",
            s.trim()
        )
    })
}

/// `driftless plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The database to repair.
    #[command(flatten)]
    pub db: DbArgs,
    /// The expected schema.
    #[command(flatten)]
    pub expect: ExpectArgs,
    /// How to repair.
    #[command(flatten)]
    pub repair: RepairArgs,
    /// Many targets: one plan per drift group.
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Sql)]
    pub format: PlanFormat,
    /// With --format migration: the migrations folder to write the new file
    /// into (default: the --migrations folder).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// With --format migration: the folder's layout, when it cannot be told
    /// from the files already there.
    #[arg(long, value_enum, value_name = "LAYOUT")]
    pub migration_format: Option<MigrationLayout>,
}

/// `driftless fix`.
#[derive(Debug, Args)]
pub struct FixArgs {
    /// The database to repair.
    #[command(flatten)]
    pub db: DbArgs,
    /// The expected schema.
    #[command(flatten)]
    pub expect: ExpectArgs,
    /// How to repair.
    #[command(flatten)]
    pub repair: RepairArgs,
    /// Many targets: planned once per drift group, applied to each member.
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Execute the plan (without it, fix only prints the plan).
    #[arg(long)]
    pub apply: bool,
    /// After the repair, apply the pending migrations too, then verify:
    /// SQL ones by driftless, one transaction each where the database
    /// allows it, recorded as their tool records them; Django, Alembic and
    /// Rails ones by the framework's migrate command (see --migrate-cmd).
    #[arg(long, requires = "apply")]
    pub apply_pending: bool,
    /// With --apply-pending, the framework's migrate command, run through
    /// the shell in the project folder with DATABASE_URL set to --db
    /// (default: `python manage.py migrate --noinput`, `python -m alembic
    /// upgrade heads`, `bin/rails db:migrate`).
    #[arg(long, value_name = "CMD", requires = "apply_pending")]
    pub migrate_cmd: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FixFormat::Text)]
    pub format: FixFormat,
}

/// `driftless migrations`.
#[derive(Debug, Args)]
pub struct MigrationsArgs {
    /// The live database: postgres://…, mysql://…, mariadb://… or sqlite:path.
    #[arg(long, value_name = "URL", env = "DATABASE_URL", hide_env_values = true)]
    pub db: String,
    /// How to connect.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// The migrations folder.
    #[arg(long, value_name = "DIR")]
    pub migrations: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StatusFormat::Human)]
    pub format: StatusFormat,
    /// The largest migration file read (default 16M); a larger one is refused.
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub max_migration_size: Option<u64>,
    /// The Python whose Django lists its own apps' migrations (admin, auth
    /// …), pending ones included (default: $VIRTUAL_ENV/bin/python, else
    /// python3, when it runs Django; without it, they are listed from the
    /// ledger only).
    #[arg(long, value_name = "PATH")]
    pub python: Option<String>,
}

/// `driftless quarantine`.
#[derive(Debug, Args)]
pub struct QuarantineArgs {
    /// List or restore.
    #[command(subcommand)]
    pub command: QuarantineCommand,
}

/// `driftless quarantine list|restore`.
#[derive(Debug, Subcommand)]
pub enum QuarantineCommand {
    /// What the quarantine holds: object, where its data is, rows held, when.
    List(QuarantineListArgs),
    /// Put one quarantined object back (the plan only, unless --apply).
    Restore(QuarantineRestoreArgs),
}

/// `driftless quarantine list`.
#[derive(Debug, Args)]
pub struct QuarantineListArgs {
    /// The live database: postgres://…, mysql://…, mariadb://… or sqlite:path.
    #[arg(long, value_name = "URL", env = "DATABASE_URL", hide_env_values = true)]
    pub db: String,
    /// How to connect.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = QuarantineFormat::Text)]
    pub format: QuarantineFormat,
}

/// `driftless quarantine restore`.
#[derive(Debug, Args)]
pub struct QuarantineRestoreArgs {
    /// The live database: postgres://…, mysql://…, mariadb://… or sqlite:path.
    #[arg(long, value_name = "URL", env = "DATABASE_URL", hide_env_values = true)]
    pub db: String,
    /// How to connect.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// The object: schema.table.column, table.column, a table, or where its
    /// data is held (as `quarantine list` shows it).
    #[arg(value_name = "OBJECT")]
    pub object: String,
    /// Restore it; without this flag, only print the plan.
    #[arg(long)]
    pub apply: bool,
}

/// `quarantine list --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QuarantineFormat {
    /// A table.
    Text,
    /// One JSON document.
    Json,
}

/// `driftless rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
    pub format: RulesFormat,
}

/// `driftless schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The document.
    #[arg(value_enum, value_name = "DOCUMENT")]
    pub document: SchemaName,
}

/// The JSON documents driftless writes, each with a published JSON Schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaName {
    /// `check --format json`.
    Report,
    /// `plan --format json`.
    Plan,
    /// `migrations --format json`.
    Migrations,
    /// `quarantine list --format json`.
    Quarantine,
    /// `rules --format json`.
    Rules,
    /// `snapshot` (also read by `--expect FILE`).
    Snapshot,
    /// `check --each-schema|--each-database|--targets --format json`, and
    /// `report merge`.
    FleetReport,
}

/// `driftless report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// What to do with reports.
    #[command(subcommand)]
    pub command: ReportCommand,
}

/// `driftless report merge`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Combine the JSON reports of the shards of one fleet run into one.
    Merge(MergeArgs),
}

/// `driftless report merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' JSON reports (`check … --shard I/N --format json`).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = MergeFormat::Json)]
    pub format: MergeFormat,
    /// Compare the merged run with an earlier run's report; exit 1 only on
    /// new drift.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Fail (exit 1) on new findings at or above this severity, with
    /// --baseline (default: warning).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,
}

/// `report merge --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MergeFormat {
    /// The merged report as JSON (as one unsharded run writes it).
    Json,
    /// The groups, failed targets and a summary line.
    Human,
    /// Markdown for a pull-request comment or a CI job summary.
    Markdown,
}

/// `driftless completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: ShellArg,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// Colour when writing to a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines with key=value fields.
    Text,
    /// One JSON object per line.
    Json,
}

/// `check --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// Grouped by table, with a fix hint per finding.
    Human,
    /// One JSON document with findings and a summary.
    Json,
    /// SARIF 2.1.0, for code-scanning upload.
    Sarif,
    /// GitHub Actions workflow-command annotations.
    Github,
    /// JUnit XML, one test case per rule and object.
    Junit,
    /// Markdown for a pull-request comment or a CI job summary: a summary
    /// line, a table per schema, fix hints.
    Markdown,
}

/// `plan --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// Plain SQL.
    Sql,
    /// The plan as JSON.
    Json,
    /// A guarded, idempotent script that can run twice.
    Script,
    /// A new migration file in the project's format (see --out).
    Migration,
    /// Markdown for a pull-request comment or a CI job summary: the steps
    /// as a table, their SQL in a collapsible block.
    Markdown,
}

/// `migrations --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    /// A table, like showmigrations.
    Human,
    /// One JSON document.
    Json,
    /// Markdown for a pull-request comment or a CI job summary.
    Markdown,
}

/// `fix --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FixFormat {
    /// The plan as SQL (without --apply), or the steps run and the verdict.
    Text,
    /// Markdown for a pull-request comment or a CI job summary: the
    /// verdict, the steps, their SQL in a collapsible block, what remains.
    Markdown,
}

/// `rules --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    /// Aligned text.
    Text,
    /// The Markdown reference.
    Markdown,
    /// JSON.
    Json,
}

/// A severity on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    /// Fail on anything, informational findings included.
    Info,
    /// Fail on warnings and errors.
    Warning,
    /// Fail on errors only.
    Error,
}

impl From<SeverityArg> for driftless_rules::Severity {
    fn from(s: SeverityArg) -> Self {
        match s {
            SeverityArg::Info => driftless_rules::Severity::Info,
            SeverityArg::Warning => driftless_rules::Severity::Warning,
            SeverityArg::Error => driftless_rules::Severity::Error,
        }
    }
}

/// `--orphans`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OrphansArg {
    /// Rename aside with a marked name; the data stays.
    Quarantine,
    /// Drop (needs --allow-destructive).
    Drop,
    /// Leave them alone.
    Keep,
}

/// `--allow`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SafetyArg {
    /// Only steps that change nothing existing and block nobody.
    Safe,
    /// Also backfills: NULLs filled with a column's expected default
    /// before it becomes NOT NULL.
    DataChange,
    /// Also steps that lock or rewrite a table (the default).
    Locking,
    /// Also drops.
    Destructive,
    /// Also conversions that can lose data.
    DataLoss,
}

/// `--migration-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MigrationLayout {
    /// `<timestamp>_driftless_fix.sql`.
    Sqlx,
    /// `<version>_driftless_fix.up.sql` / `.down.sql`.
    GolangMigrate,
    /// `V<n>__driftless_fix.sql` (also refinery).
    Flyway,
    /// `<NNNN>_driftless_fix.py` with a RunSQL operation.
    Django,
    /// `<id>_driftless_fix.py`, a revision of the head (--out: the versions
    /// folder, the script_location or the folder of alembic.ini).
    Alembic,
}

impl MigrationLayout {
    /// The layout's name, as the libraries spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            MigrationLayout::Sqlx => "sqlx",
            MigrationLayout::GolangMigrate => "golang-migrate",
            MigrationLayout::Flyway => "flyway",
            MigrationLayout::Django => "django",
            MigrationLayout::Alembic => "alembic",
        }
    }
}

/// `completions SHELL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShellArg {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
}

/// Parses a lock or statement timeout: a duration from 0 to
/// [`MAX_TIMEOUT`](driftless_fixer::MAX_TIMEOUT) (24 days), which every
/// database can express.
fn parse_timeout(s: &str) -> Result<std::time::Duration, String> {
    let t = parse_duration(s)?;
    let max = driftless_fixer::MAX_TIMEOUT;
    if t > max {
        return Err(format!(
            "`{}` is longer than {}d, the longest timeout every database accepts",
            s.trim(),
            max.as_secs() / 86_400
        ));
    }
    Ok(t)
}

/// `s` as a whole number and the unit written after it (`500ms`: 500 and
/// `ms`); `what` says what was expected when there is no number.
fn number_and_unit<'a>(s: &'a str, what: &str) -> Result<(u64, &'a str), String> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n = num.parse().map_err(|_| format!("`{s}` is not {what}"))?;
    Ok((n, unit.trim()))
}

/// Parses `500ms`, `5s`, `2m`, `1h`, `1d` or a plain number of seconds.
fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let (n, unit) = number_and_unit(s, "a duration (use e.g. 500ms, 5s, 2m, 1h, 1d)")?;
    let ms = match unit {
        "ms" => Some(n),
        "" | "s" => n.checked_mul(1_000),
        "m" | "min" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        "d" => n.checked_mul(86_400_000),
        other if other.starts_with('.') => {
            return Err(format!(
                "`{s}`: use a whole number with a smaller unit (e.g. 1500ms, not 1.5s)"
            ))
        }
        other => {
            return Err(format!(
                "unknown duration unit `{other}` (use ms, s, m, h or d)"
            ))
        }
    };
    ms.map(std::time::Duration::from_millis)
        .ok_or_else(|| format!("`{s}` is too long"))
}

/// A size in bytes: a number, optionally followed by K, M or G (powers of
/// 1024; `KiB`, `MB` … are read the same way).
fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (n, unit) = number_and_unit(s, "a size (use e.g. 65536, 512K, 64M, 1G)")?;
    let unit = unit.to_ascii_uppercase();
    let shift = match unit.trim_end_matches('B').trim_end_matches('I') {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        _ => return Err(format!("unknown size unit `{unit}` (use K, M or G)")),
    };
    n.checked_mul(1 << shift)
        .filter(|bytes| *bytes > 0)
        .ok_or_else(|| format!("`{s}` is not a usable size"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use std::time::Duration;

    #[test]
    fn the_command_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_command_has_a_worked_example() {
        let cmd = Cli::command();
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let after = sub
                .get_after_help()
                .map(|s| s.to_string())
                .unwrap_or_default();
            assert!(
                after.contains("Examples:") && after.contains("driftless "),
                "{}",
                sub.get_name()
            );
        }
    }

    /// Every example line of every `--help` is shown whole in an 80-column
    /// terminal: a long command is continued with ` \\`, never wrapped
    /// in the middle.
    #[test]
    fn help_examples_fit_80_columns() {
        let mut root = Cli::command().term_width(80);
        root.build();
        let mut commands = vec![root.clone()];
        commands.extend(root.get_subcommands().cloned());
        for mut cmd in commands {
            let after = cmd
                .get_after_help()
                .map(|s| s.to_string())
                .unwrap_or_default();
            let help = cmd.render_long_help().to_string();
            for line in after.lines() {
                assert!(
                    line.len() <= 80 && help.lines().any(|l| l.trim_end() == line.trim_end()),
                    "{}: wrapped at 80 columns: {line}",
                    cmd.get_name()
                );
            }
        }
    }

    /// `plan --help` states its exit codes, as `check` and `fix` do.
    #[test]
    fn commands_that_gate_a_deploy_state_their_exit_codes() {
        let cmd = Cli::command();
        for name in ["check", "plan", "fix"] {
            let sub = cmd.find_subcommand(name).unwrap();
            let after = sub
                .get_after_help()
                .map(|s| s.to_string())
                .unwrap_or_default();
            assert!(after.contains("Exit codes: 0 "), "{name}");
            assert!(
                after.contains(", 1 ") && after.contains("2 usage"),
                "{name}"
            );
        }
    }

    /// `rules` and `completions` open no database: no connection flags.
    #[test]
    fn connection_flags_only_on_commands_that_connect() {
        let cmd = Cli::command();
        let has = |name: &str| {
            cmd.find_subcommand(name)
                .unwrap()
                .get_arguments()
                .any(|a| a.get_id() == "connect_timeout")
        };
        for name in ["snapshot", "check", "plan", "fix", "migrations"] {
            assert!(has(name), "{name}");
        }
        assert!(!has("rules") && !has("completions"));
        let rules = Cli::try_parse_from(["driftless", "rules", "--connect-timeout", "3"]);
        assert!(rules.is_err());
        // Before the command, as before: still accepted.
        let cli = Cli::try_parse_from([
            "driftless",
            "--connect-timeout",
            "3",
            "snapshot",
            "--db",
            "sqlite::memory:",
        ])
        .unwrap();
        assert_eq!(cli.global.connect_timeout, Some(3));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("99999999999999999999h").is_err());
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(2 * 86_400)));
        assert!(parse_duration("1.5s").unwrap_err().contains("1500ms"));
    }

    #[test]
    fn timeouts_are_checked_when_parsed() {
        let fix_with = |db: &str, extra: &[&str]| {
            let args = ["driftless", "fix", "--db", db, "--expect", "a.json"];
            Cli::try_parse_from(args.iter().chain(extra))
        };
        let fix = |flag: &str, value: &str, db: &str| fix_with(db, &[flag, value]);
        let repair = |cli: Cli| match cli.command {
            Command::Fix(f) => (f.db.connect.lock_timeout, f.repair.statement_timeout),
            other => panic!("{other:?}"),
        };
        for db in ["postgres://h/db", "mysql://h/db", "sqlite:x.db"] {
            // 0: do not wait for a lock; no limit on a statement.
            let cli = fix("--lock-timeout", "0", db).unwrap();
            assert_eq!(repair(cli), (Some(Duration::ZERO), None));
            let cli = fix("--statement-timeout", "0s", db).unwrap();
            assert_eq!(repair(cli), (None, Some(Duration::ZERO)));
            // The longest is 24 days, on every backend.
            assert!(fix("--lock-timeout", "24d", db).is_ok());
            assert!(fix("--statement-timeout", "576h", db).is_ok());
            for flag in ["--lock-timeout", "--statement-timeout"] {
                for value in ["25d", "2073601s", "9999999999999h"] {
                    let e = fix(flag, value, db).unwrap_err().to_string();
                    assert!(
                        e.contains("24d") || e.contains("too long"),
                        "{flag} {value}: {e}"
                    );
                }
                // Negative: refused whether clap sees a flag or a value.
                assert!(fix(flag, "-1s", db).is_err());
                let e = fix_with(db, &[&format!("{flag}=-1s")])
                    .unwrap_err()
                    .to_string();
                assert!(e.contains("`-1s` is not a duration"), "{e}");
                let e = fix(flag, "1.5s", db).unwrap_err().to_string();
                assert!(e.contains("1500ms"), "{e}");
            }
        }
        // MySQL counts lock waits in whole seconds: a fraction of a second
        // is accepted and rounded up when applied (see ApplyOptions).
        let cli = fix("--lock-timeout", "1500ms", "mysql://h/db").unwrap();
        assert_eq!(repair(cli), (Some(Duration::from_millis(1_500)), None));
    }

    #[test]
    fn the_timeout_help_states_the_range_and_the_meaning_of_zero() {
        let mut cmd = Cli::command();
        let fix = cmd.find_subcommand_mut("fix").unwrap();
        let help = |id: &str| {
            fix.get_arguments()
                .find(|a| a.get_id() == id)
                .and_then(|a| a.get_help())
                .map(|h| h.to_string())
                .unwrap_or_default()
        };
        let max = format!("to {}d", driftless_fixer::MAX_TIMEOUT.as_secs() / 86_400);
        let lock = help("lock_timeout");
        assert!(
            lock.contains("0 (do not wait") && lock.contains(&max),
            "{lock}"
        );
        assert!(lock.contains("whole seconds, rounded up"), "{lock}");
        let statement = help("statement_timeout");
        assert!(
            statement.contains("0 (no limit)") && statement.contains(&max),
            "{statement}"
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("65536"), Ok(65536));
        assert_eq!(parse_size("512K"), Ok(512 * 1024));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("64mb"), Ok(64 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
    }

    #[test]
    fn expect_and_migrations_are_exclusive_and_one_is_required() {
        let parse = |args: &[&str]| Cli::try_parse_from(args.iter().copied());
        assert!(parse(&[
            "driftless",
            "check",
            "--db",
            "sqlite:x",
            "--expect",
            "a.json"
        ])
        .is_ok());
        assert!(parse(&[
            "driftless",
            "check",
            "--db",
            "sqlite:x",
            "--migrations",
            "m"
        ])
        .is_ok());
        // Neither: the error names both alternatives.
        for cmd in ["check", "plan", "fix"] {
            let e = parse(&["driftless", cmd, "--db", "sqlite:x"])
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("--expect <SOURCE>|--migrations <DIR>"),
                "{cmd}: {e}"
            );
        }
        assert!(parse(&[
            "driftless",
            "check",
            "--db",
            "sqlite:x",
            "--expect",
            "a",
            "--migrations",
            "m"
        ])
        .is_err());
        assert!(parse(&[
            "driftless",
            "check",
            "--db",
            "sqlite:x",
            "--expect",
            "a",
            "--dev-url",
            "sqlite::memory:"
        ])
        .is_err());
        assert!(parse(&[
            "driftless",
            "fix",
            "--db",
            "sqlite:x",
            "--expect",
            "a",
            "--allow-destructive",
            "--allow",
            "safe"
        ])
        .is_err());
        assert!(parse(&[
            "driftless",
            "fix",
            "--db",
            "sqlite:x",
            "--expect",
            "a",
            "--apply",
            "--allow",
            "data-loss",
            "--lock-timeout",
            "3s"
        ])
        .is_ok());
    }
}
