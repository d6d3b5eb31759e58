//! The built-in expected-schema sources.

use std::collections::BTreeSet;
use std::path::PathBuf;

use async_trait::async_trait;
use driftless_introspect::{redact, DbUrl, Source};
use driftless_migrations::{
    default_python, expect_from_command, load_migrations_with, preflight_framework, preflight_sql,
    replay, replay_framework, Framework, MigrationLoadOptions, PreflightInput, Replay,
    ReplayOptions,
};
use driftless_model::{recorded_as_applied, select_ledger, MigrationSet, PendingRun, Snapshot};

use crate::error::{Error, Result};
use crate::live;
use crate::preflight;
use crate::source::{Expected, ExpectedSource, SourceContext};

/// Another live database (staging, a developer's database): its schema,
/// read-only; or one schema of a database (a template schema that tenant
/// schemas are made from), which may be the target database itself.
#[derive(Debug, Clone)]
pub struct LiveDatabase {
    url: DbUrl,
    schema: Option<String>,
}

impl LiveDatabase {
    /// The database at `url`.
    pub fn new(url: DbUrl) -> Self {
        LiveDatabase { url, schema: None }
    }

    /// Only the schema `name` of the database (a tenant template): read
    /// alone, whatever schemas the target compares. The database may be
    /// the target's own: its other schemas are compared with this one (a
    /// fleet leaves the template out of its tenants).
    pub fn with_schema(mut self, name: impl Into<String>) -> Self {
        self.schema = Some(name.into());
        self
    }
}

#[async_trait]
impl ExpectedSource for LiveDatabase {
    fn describe(&self) -> String {
        match &self.schema {
            Some(schema) => format!("schema {schema} of database {}", self.url),
            None => format!("database {}", self.url),
        }
    }

    async fn load(&self, cx: &SourceContext<'_>) -> Result<Expected> {
        let own: Vec<String> = self.schema.iter().cloned().collect();
        if own.is_empty() && self.url.same_database(cx.target) {
            return Err(Error::SameDatabase {
                url: self.url.to_string(),
            });
        }
        let schemas = if own.is_empty() { cx.schemas } else { &own };
        let (snapshot, _) = live::read_live(
            &self.url,
            &cx.introspect(schemas),
            cx.read_only,
            cx.progress,
            false,
        )
        .await?;
        Ok(Expected::new(snapshot, self.describe()))
    }
}

/// A snapshot file written by `driftless snapshot` (or
/// [`Snapshot::save`](driftless_model::Snapshot::save)).
#[derive(Debug, Clone)]
pub struct SnapshotFile {
    path: PathBuf,
}

impl SnapshotFile {
    /// The snapshot at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        SnapshotFile { path: path.into() }
    }
}

#[async_trait]
impl ExpectedSource for SnapshotFile {
    fn describe(&self) -> String {
        format!("snapshot {}", self.path.display())
    }

    async fn load(&self, _cx: &SourceContext<'_>) -> Result<Expected> {
        let snapshot = Snapshot::load(&self.path)?;
        Ok(Expected::new(snapshot, self.describe()).with_file(self.path.clone()))
    }
}

/// A schema the caller already holds: built in code, fetched from a
/// schema registry, read earlier.
#[derive(Debug, Clone)]
pub struct GivenSchema {
    snapshot: Snapshot,
    description: String,
}

impl GivenSchema {
    /// `snapshot`, described as `description` in reports.
    pub fn new(snapshot: Snapshot, description: impl Into<String>) -> Self {
        GivenSchema {
            snapshot,
            description: description.into(),
        }
    }
}

#[async_trait]
impl ExpectedSource for GivenSchema {
    fn describe(&self) -> String {
        self.description.clone()
    }

    async fn load(&self, _cx: &SourceContext<'_>) -> Result<Expected> {
        Ok(Expected::new(self.snapshot.clone(), self.describe()))
    }
}

/// A folder of migrations replayed in order into a scratch database, with
/// which migration made each object: SQL migrations statement by
/// statement (SQLite: in memory unless a dev URL is given); Django,
/// Alembic and Rails migrations, which are code, by the framework itself,
/// one migration a step (see [`replay_framework`]; SQLite: a temporary
/// file), as is any folder given a per-migration command
/// ([`with_step_cmd`](Self::with_step_cmd)).
#[derive(Debug, Clone)]
pub struct MigrationReplay {
    dir: PathBuf,
    dev_url: Option<DbUrl>,
    load: MigrationLoadOptions,
    python: Option<String>,
    step_cmd: Option<(String, PathBuf)>,
}

impl MigrationReplay {
    /// Replays the migrations in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        MigrationReplay {
            dir: dir.into(),
            dev_url: None,
            load: MigrationLoadOptions::default(),
            python: None,
            step_cmd: None,
        }
    }

    /// Steps the migrations by running `template` through `sh -c` once a
    /// migration, in `project`, with `DATABASE_URL` set to the scratch
    /// database and `{app}`, `{name}` and `{version}` filled (shell-quoted)
    /// from the migration; the schema is read in full after each.
    pub fn with_step_cmd(
        mut self,
        template: impl Into<String>,
        project: impl Into<PathBuf>,
    ) -> Self {
        self.step_cmd = Some((template.into(), project.into()));
        self
    }

    /// Runs Django and Alembic steppers with this Python interpreter
    /// (default: [`default_python`]).
    pub fn with_python(mut self, python: impl Into<String>) -> Self {
        self.python = Some(python.into());
        self
    }

    /// Reads the folder with these options (file size limit, layout).
    pub fn with_load_options(mut self, options: MigrationLoadOptions) -> Self {
        self.load = options;
        self
    }

    /// Replays into the scratch database at `url` (emptied first; it must
    /// be marked as a dev database or empty).
    pub fn with_dev_url(mut self, url: DbUrl) -> Self {
        self.dev_url = Some(url);
        self
    }
}

#[async_trait]
impl ExpectedSource for MigrationReplay {
    fn describe(&self) -> String {
        format!("migrations {}", self.dir.display())
    }

    fn uses_migrations(&self) -> bool {
        true
    }

    async fn preflight(
        &self,
        cx: &SourceContext<'_>,
        expected: &Expected,
        actual: &Snapshot,
    ) -> Result<Option<PendingRun>> {
        let Some(set) = expected
            .migrations
            .as_ref()
            .filter(|_| !expected.pending.is_empty())
        else {
            return Ok(None);
        };
        let options = replay_options(cx, self.dev_url.as_ref());
        let framework = self.framework(set);
        // Its kind and name (the framework's SQLite scratch file is made later).
        let dev = match &self.dev_url {
            Some(dev) => dev.clone(),
            None => DbUrl::parse("sqlite::memory:")?,
        };
        if dev.dialect() != cx.target.dialect() {
            // Without a dev database of the target's kind: no preflight.
            return Ok(None);
        }
        let ledger = framework
            .as_ref()
            .and_then(|_| select_ledger(set, cx.ledgers));
        let copy = preflight::copy_statements(actual, ledger, cx.target, &dev)?;
        let input = PreflightInput {
            copy: &copy,
            pending: &expected.pending,
        };
        let _stage = cx.progress.begin(&format!(
            "applying {} pending migration(s) to a copy of the live schema",
            expected.pending.len()
        ));
        let run = match &framework {
            Some(f) => preflight_framework(f, input, &options).await?,
            None => preflight_sql(set, input, &options).await?,
        };
        Ok(Some(run))
    }

    async fn load(&self, cx: &SourceContext<'_>) -> Result<Expected> {
        let set = load_migrations_with(&self.dir, &self.load)?;
        let mut options = replay_options(cx, self.dev_url.as_ref());
        options.recorded = select_ledger(&set, cx.ledgers).map(|l| recorded_as_applied(&set, l));
        if !set.is_replayable() || self.step_cmd.is_some() {
            if let Some(framework) = self.framework(&set) {
                let _stage = cx.progress.begin(&format!(
                    "stepping through {} {} migrations in {}",
                    set.migrations.len(),
                    set.format,
                    self.dev_url.as_ref().map_or_else(
                        || "a temporary SQLite database".to_string(),
                        ToString::to_string
                    )
                ));
                let stepped = replay_framework(&framework, &options).await?;
                return Ok(self.expected(set, stepped.replay, options.recorded.as_ref()));
            }
        }
        let _stage = cx.progress.begin(&format!(
            "replaying {} {} migrations into {}",
            set.migrations.len(),
            set.format,
            scratch_name(self.dev_url.as_ref())
        ));
        let replayed = replay(&set, &options).await?;
        tracing::info!(
            migrations = replayed.steps.len(),
            elapsed_ms = replayed.elapsed.as_millis() as u64,
            "migrations replayed"
        );
        Ok(self.expected(set, replayed, options.recorded.as_ref()))
    }
}

impl MigrationReplay {
    /// The framework that steps `set`'s migrations: the step command when
    /// one is given, else the framework's own when they are code.
    fn framework(&self, set: &MigrationSet) -> Option<Framework> {
        if let Some((template, project)) = &self.step_cmd {
            return Some(Framework::command(project, template, set));
        }
        if set.is_replayable() {
            return None;
        }
        let python = self.python.clone().unwrap_or_else(default_python);
        Framework::for_folder(set, &self.dir, &python)
    }

    /// What a replay gives: judged against the recorded state when the
    /// target's ledger said which migrations are applied.
    fn expected(
        &self,
        set: MigrationSet,
        replayed: Replay,
        recorded: Option<&BTreeSet<String>>,
    ) -> Expected {
        let pending: Vec<String> = match recorded {
            Some(ids) => replayed
                .provenance
                .migrations()
                .iter()
                .filter(|id| !ids.contains(*id))
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        let expected = match replayed.recorded {
            Some(state) if recorded.is_some() => {
                Expected::new(state, self.describe()).with_head(replayed.snapshot, pending)
            }
            _ => Expected::new(replayed.snapshot, self.describe()),
        };
        expected
            .with_migrations(set)
            .with_provenance(replayed.provenance)
    }
}

/// A folder of migrations that are code (Django, Alembic, Rails): the
/// framework's own migrate command builds the schema in a scratch
/// database, reached through `DATABASE_URL`.
#[derive(Debug, Clone)]
pub struct MigrationCommand {
    dir: PathBuf,
    command: String,
    cwd: Option<PathBuf>,
    dev_url: Option<DbUrl>,
    load: MigrationLoadOptions,
}

impl MigrationCommand {
    /// Runs `command` (through the shell) for the migrations in `dir`.
    pub fn new(dir: impl Into<PathBuf>, command: impl Into<String>) -> Self {
        MigrationCommand {
            dir: dir.into(),
            command: command.into(),
            cwd: None,
            dev_url: None,
            load: MigrationLoadOptions::default(),
        }
    }

    /// Reads the folder with these options (file size limit, layout).
    pub fn with_load_options(mut self, options: MigrationLoadOptions) -> Self {
        self.load = options;
        self
    }

    /// Runs the command in `cwd` (default: the current folder).
    pub fn in_folder(mut self, cwd: impl Into<PathBuf>) -> Self {
        self.cwd = Some(cwd.into());
        self
    }

    /// Builds the schema in the scratch database at `url`.
    pub fn with_dev_url(mut self, url: DbUrl) -> Self {
        self.dev_url = Some(url);
        self
    }
}

#[async_trait]
impl ExpectedSource for MigrationCommand {
    fn describe(&self) -> String {
        format!("migrations {} (by `{}`)", self.dir.display(), self.command)
    }

    fn uses_migrations(&self) -> bool {
        true
    }

    async fn load(&self, cx: &SourceContext<'_>) -> Result<Expected> {
        let set = load_migrations_with(&self.dir, &self.load)?;
        let options = replay_options(cx, self.dev_url.as_ref());
        let _stage = cx.progress.begin(&format!(
            "running `{}` against {}",
            self.command,
            scratch_name(self.dev_url.as_ref())
        ));
        let cwd = match &self.cwd {
            Some(cwd) => cwd.clone(),
            None => std::env::current_dir().map_err(Error::CurrentDir)?,
        };
        let snapshot = expect_from_command(&self.command, &cwd, &options).await?;
        Ok(Expected::new(snapshot, self.describe()).with_migrations(set))
    }
}

fn replay_options(cx: &SourceContext<'_>, dev: Option<&DbUrl>) -> ReplayOptions {
    let mut options = ReplayOptions::default()
        .with_target(cx.target.clone())
        .with_introspect(cx.introspect(cx.schemas));
    options.connect = cx.read_write.clone();
    if let Some(dev) = dev {
        options = options.with_dev_url(dev.clone());
    }
    options
}

fn scratch_name(dev: Option<&DbUrl>) -> String {
    dev.map_or_else(
        || "an in-memory SQLite database".to_string(),
        ToString::to_string,
    )
}

/// The source a command-line `SOURCE` names: a database URL, a migrations
/// folder (replayed, read with `load`), or a snapshot file.
pub fn source_from_spec(
    spec: &str,
    load: &MigrationLoadOptions,
) -> Result<Box<dyn ExpectedSource>> {
    Ok(match Source::parse(spec)? {
        Source::Database(url) => Box::new(LiveDatabase::new(url)),
        Source::SnapshotFile(path) => Box::new(SnapshotFile::new(path)),
        Source::MigrationsDir(dir) => {
            Box::new(MigrationReplay::new(dir).with_load_options(load.clone()))
        }
        _ => {
            return Err(Error::Source {
                source_name: redact(spec),
                error: "unsupported expected-schema source".into(),
            })
        }
    })
}
