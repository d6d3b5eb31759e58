//! Framework steppers: a framework's own migration engine, driven one
//! migration at a time by a small driver that driftless ships and runs in
//! one long-lived process, so that driftless can read the schema between
//! steps. 200 migrations cost one start-up of the framework, not 200.
//! Frameworks without a driver (Rails, or any other through `--step-cmd`)
//! are stepped by a command run once a migration instead (`command`).
//!
//! The driver speaks a line protocol on its standard streams: each line
//! of its output that starts with [`MARKER`] carries one JSON object
//! (`graph` once, then `applied` or `failed` per command); driftless
//! sends one JSON command a line (`apply`, `quit`). Everything else the
//! project prints is kept, for error messages, and otherwise ignored.

mod command;
mod protocol;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use driftless_introspect::{redact, DbUrl, Error, Result};
use driftless_model::{MigrationFormat, MigrationSet};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use command::CommandRun;
pub use command::CommandStep;
use protocol::Opening;
pub use protocol::{FrameworkGraph, FrameworkNode, MigrationKey, Refusal, StepOutcome};

/// The prefix of the driver's protocol lines.
pub const MARKER: &str = "@@driftless ";

/// The Django driver: Django's `MigrationExecutor`, one migration a step.
const DJANGO_DRIVER: &str = include_str!("django_driver.py");

/// The Alembic driver: Alembic's `upgrade`, one revision a step.
const ALEMBIC_DRIVER: &str = include_str!("alembic_driver.py");

/// How many lines of the project's own output an error message quotes.
const TAIL_LINES: usize = 12;

/// Which framework to drive, and how to start it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Framework {
    /// A Django project: `PYTHON manage.py shell -c DRIVER` in the folder
    /// holding `manage.py`.
    Django {
        /// The folder holding `manage.py`.
        project: PathBuf,
        /// The Python interpreter (`python3`, or a virtualenv's).
        python: String,
    },
    /// An Alembic project: `PYTHON -c DRIVER` in the folder holding
    /// `alembic.ini`.
    Alembic {
        /// The folder holding `alembic.ini`.
        project: PathBuf,
        /// The Python interpreter.
        python: String,
    },
    /// Any framework: `sh -c TEMPLATE` once a migration, in `project`,
    /// with `{app}`, `{name}` and `{version}` filled from the migration.
    /// What a step ran is unknown: the schema is read in full after it.
    Command {
        /// The folder the command runs in.
        project: PathBuf,
        /// The command, with its placeholders.
        template: String,
        /// Environment variables set for it besides `DATABASE_URL`.
        env: Vec<(String, String)>,
        /// The migrations, in the order they are applied.
        steps: Vec<CommandStep>,
    },
}

impl Framework {
    /// A Django project in `project`, run by `python`.
    pub fn django(project: impl Into<PathBuf>, python: impl Into<String>) -> Self {
        Framework::Django {
            project: project.into(),
            python: python.into(),
        }
    }

    /// An Alembic project in `project`, run by `python`.
    pub fn alembic(project: impl Into<PathBuf>, python: impl Into<String>) -> Self {
        Framework::Alembic {
            project: project.into(),
            python: python.into(),
        }
    }

    /// The project's folder.
    pub fn project(&self) -> &Path {
        match self {
            Framework::Django { project, .. }
            | Framework::Alembic { project, .. }
            | Framework::Command { project, .. } => project,
        }
    }

    /// A command stepper: `template` once for each migration of `set`, in
    /// `project`.
    pub fn command(
        project: impl Into<PathBuf>,
        template: impl Into<String>,
        set: &MigrationSet,
    ) -> Self {
        Framework::Command {
            project: project.into(),
            template: template.into(),
            env: Vec::new(),
            steps: CommandStep::from_set(set),
        }
    }

    /// A Rails project in `project` (the folder holding `bin/rails`):
    /// `bin/rails db:migrate:up VERSION={version}` once a migration, the
    /// schema dump Rails writes after migrating sent to `/dev/null` rather
    /// than over the project's `db/schema.rb`.
    pub fn rails(project: impl Into<PathBuf>, set: &MigrationSet) -> Self {
        Framework::Command {
            project: project.into(),
            template: RAILS_STEP.to_string(),
            env: vec![("SCHEMA".to_string(), "/dev/null".to_string())],
            steps: CommandStep::from_set(set),
        }
    }

    /// The long-lived driver's command, and how messages name it; `None`
    /// for a command stepper.
    fn driver(&self) -> Option<(Command, String)> {
        Some(match self {
            Framework::Django { project, python } => {
                let mut c = Command::new(python);
                // -v 0: Django 5.2's shell otherwise announces the models
                // it imported into every report.
                c.arg("manage.py")
                    .arg("shell")
                    .args(["-v", "0"])
                    .arg("-c")
                    .arg(DJANGO_DRIVER)
                    .current_dir(project);
                let shown = format!("{python} manage.py shell (in {})", project.display());
                (c, shown)
            }
            Framework::Alembic { project, python } => {
                let mut c = Command::new(python);
                c.arg("-c").arg(ALEMBIC_DRIVER).current_dir(project);
                let shown = format!("{python} with Alembic (in {})", project.display());
                (c, shown)
            }
            Framework::Command { .. } => return None,
        })
    }
}

/// Rails' step: `db:migrate:up` runs the one migration of `VERSION`.
pub const RAILS_STEP: &str = "bin/rails db:migrate:up VERSION={version}";

/// A running stepper: the framework's migration graph, and what applies
/// one migration a step to the scratch database.
#[derive(Debug)]
pub struct Stepper(Kind);

// One stepper lives per run: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Kind {
    Driver(Driver),
    Command(CommandRun),
}

impl Stepper {
    /// Starts `framework` against the scratch database `dev` (given to the
    /// project as `DATABASE_URL`) and reads its migration graph.
    pub async fn start(framework: &Framework, dev: &DbUrl) -> Result<Stepper> {
        if let Framework::Command {
            project,
            template,
            env,
            steps,
        } = framework
        {
            let run = CommandRun::new(project, template, env, steps, dev);
            return Ok(Stepper(Kind::Command(run)));
        }
        Ok(Stepper(Kind::Driver(
            Driver::spawn(framework, dev, false).await?,
        )))
    }

    /// The framework's migration graph, read without a database (Django's
    /// loader without a connection; the project's settings see
    /// `DATABASE_URL=sqlite::memory:`, which nothing opens; a command
    /// stepper's is driftless's reading of the folder). A graph the
    /// framework refuses is an error, as for [`Stepper::start`].
    pub async fn graph_of(framework: &Framework) -> Result<FrameworkGraph> {
        let nowhere = DbUrl::parse("sqlite::memory:")?;
        if let Framework::Command { .. } = framework {
            return Ok(Stepper::start(framework, &nowhere).await?.graph().clone());
        }
        let driver = Driver::spawn(framework, &nowhere, true).await?;
        let graph = driver.graph.clone();
        driver.finish().await?;
        Ok(graph)
    }

    /// The framework's migrations, their dependencies, and the order in
    /// which it would apply all of them to an empty database.
    pub fn graph(&self) -> &FrameworkGraph {
        match &self.0 {
            Kind::Driver(d) => &d.graph,
            Kind::Command(c) => c.graph(),
        }
    }

    /// Applies one migration; the outcome names the statements it ran
    /// (when the stepper sees them), or the framework's error.
    pub async fn apply(&mut self, migration: &MigrationKey) -> Result<StepOutcome> {
        match &mut self.0 {
            Kind::Driver(d) => d.apply(migration).await,
            Kind::Command(c) => c.apply(migration).await,
        }
    }

    /// Stops the stepper: asks a driver to stop and waits for it.
    pub async fn finish(self) -> Result<()> {
        match self.0 {
            Kind::Driver(d) => d.finish().await,
            Kind::Command(_) => Ok(()),
        }
    }
}

/// A long-lived driver process speaking the line protocol.
#[derive(Debug)]
struct Driver {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    output: Arc<Mutex<VecDeque<String>>>,
    graph: FrameworkGraph,
    shown: String,
    dev: DbUrl,
}

impl Driver {
    async fn spawn(framework: &Framework, dev: &DbUrl, graph_only: bool) -> Result<Driver> {
        let Some((mut command, shown)) = framework.driver() else {
            return Err(Error::Invalid(format!("no driver for {framework:?}")));
        };
        if graph_only {
            command.env("DRIFTLESS_GRAPH_ONLY", "1");
        }
        command
            .env("DATABASE_URL", dev.expose_secret())
            .env("PYTHONUNBUFFERED", "1")
            // Nothing is written into the project (no __pycache__).
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .map_err(|e| Error::Invalid(format!("cannot start {shown}: {e}")))?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(Error::Invalid(format!("cannot talk to {shown}")));
        };
        let output = Arc::new(Mutex::new(VecDeque::new()));
        tokio::spawn(keep_tail(BufReader::new(stderr).lines(), output.clone()));
        let mut stepper = Driver {
            child,
            stdin,
            stdout: BufReader::new(stdout).lines(),
            output,
            graph: FrameworkGraph::default(),
            shown,
            dev: dev.clone(),
        };
        let first = stepper.next_message().await?;
        match protocol::graph(&first).map_err(|e| stepper.failure(&e))? {
            Opening::Graph(graph) => stepper.graph = graph,
            Opening::Refused(refusal) => {
                // The driver exits after a refusal; its status adds nothing.
                let _ = stepper.finish().await;
                return Err(refused(framework, &refusal).into());
            }
        }
        Ok(stepper)
    }

    async fn apply(&mut self, migration: &MigrationKey) -> Result<StepOutcome> {
        let line = protocol::apply_command(migration);
        self.send(&line).await?;
        let reply = self.next_message().await?;
        protocol::outcome(&reply, migration).map_err(|e| self.failure(&e))
    }

    async fn finish(mut self) -> Result<()> {
        // A driver that is gone already has nothing more to say.
        let _ = self.send(&protocol::quit_command()).await;
        drop(self.stdin);
        let status = self.child.wait().await;
        match status {
            Ok(s) if s.success() => Ok(()),
            Ok(s) => Err(Error::Invalid(format!(
                "{} exited with {s} after its last migration:\n{}",
                self.shown,
                tail(&self.output, &self.dev)
            ))),
            Err(e) => Err(Error::Invalid(format!(
                "{} did not finish: {e}",
                self.shown
            ))),
        }
    }

    async fn send(&mut self, line: &str) -> Result<()> {
        let written = async {
            self.stdin.write_all(line.as_bytes()).await?;
            self.stdin.write_all(b"\n").await?;
            self.stdin.flush().await
        }
        .await;
        written.map_err(|e| self.failure(&format!("it stopped listening ({e})")))
    }

    /// The next protocol line, skipping (and keeping) the project's own.
    async fn next_message(&mut self) -> Result<String> {
        loop {
            match self.stdout.next_line().await {
                Ok(Some(line)) => match line.strip_prefix(MARKER) {
                    Some(message) => return Ok(message.to_string()),
                    None => push_tail(&self.output, line),
                },
                Ok(None) => {
                    // Let the error output catch up before quoting it.
                    let _ = self.child.wait().await;
                    tokio::task::yield_now().await;
                    return Err(self.failure("it stopped"));
                }
                Err(e) => return Err(self.failure(&format!("its output is unreadable ({e})"))),
            }
        }
    }

    fn failure(&self, what: &str) -> Error {
        Error::Invalid(format!(
            "the migration stepper {} failed: {what}\n{}",
            self.shown,
            tail(&self.output, &self.dev)
        ))
    }
}

async fn keep_tail(
    mut lines: Lines<BufReader<tokio::process::ChildStderr>>,
    into: Arc<Mutex<VecDeque<String>>>,
) {
    while let Ok(Some(line)) = lines.next_line().await {
        push_tail(&into, line);
    }
}

fn push_tail(tail: &Mutex<VecDeque<String>>, line: String) {
    if let Ok(mut t) = tail.lock() {
        if t.len() == TAIL_LINES {
            t.pop_front();
        }
        t.push_back(line);
    }
}

/// The project's last lines of output, passwords redacted.
fn tail(output: &Mutex<VecDeque<String>>, dev: &DbUrl) -> String {
    let lines = output
        .lock()
        .map(|t| t.iter().cloned().collect::<Vec<_>>().join("\n"))
        .unwrap_or_default();
    redact(&lines).replace(dev.expose_secret(), &dev.to_string())
}

/// The error for a migration graph the framework refuses: the file and
/// line of the migration it names (the line where the needle first
/// appears), the framework's message and exception type.
fn refused(framework: &Framework, r: &Refusal) -> driftless_model::Error {
    let path = r
        .file
        .clone()
        .unwrap_or_else(|| framework.project().to_path_buf());
    let line = r
        .needle
        .as_deref()
        .and_then(|needle| line_of(&path, needle))
        .unwrap_or(r.line);
    let which = r
        .migration
        .as_ref()
        .map(|m| format!(" at migration {m}"))
        .unwrap_or_default();
    driftless_model::Error::Migration {
        path,
        line,
        message: format!(
            "{} refuses the migration graph{which}: {} ({})",
            r.framework, r.error, r.kind
        ),
    }
}

/// The 1-based line of `path` where `needle` first appears.
fn line_of(path: &Path, needle: &str) -> Option<usize> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1)
}

/// The folder of a Django project that holds the migrations in `dir`: the
/// nearest folder, from `dir` up, that holds `manage.py`.
pub fn django_project(dir: &Path) -> Option<PathBuf> {
    nearest_holding(dir, "manage.py")
}

/// The folder of an Alembic project whose revisions are in `dir`: the
/// nearest folder, from `dir` up, that holds `alembic.ini`.
pub fn alembic_project(dir: &Path) -> Option<PathBuf> {
    nearest_holding(dir, "alembic.ini")
}

/// The folder of a Rails project whose migrations are in `dir`: the
/// nearest folder, from `dir` up, that holds `bin/rails`.
pub fn rails_project(dir: &Path) -> Option<PathBuf> {
    nearest_holding(dir, "bin/rails")
}

fn nearest_holding(dir: &Path, file: &str) -> Option<PathBuf> {
    let start = std::fs::canonicalize(dir).ok()?;
    start
        .ancestors()
        .find(|d| d.join(file).is_file())
        .map(Path::to_path_buf)
}

impl Framework {
    /// The stepper for the migrations `set` read from `dir`, Django and
    /// Alembic run by `python`: Django (the project of `manage.py`),
    /// Alembic (of `alembic.ini`) or Rails (of `bin/rails`); `None` for
    /// other layouts, or when the project file is not found from `dir` up.
    pub fn for_folder(set: &MigrationSet, dir: &Path, python: &str) -> Option<Framework> {
        match set.format {
            MigrationFormat::Django => django_project(dir).map(|p| Framework::django(p, python)),
            MigrationFormat::Alembic => alembic_project(dir).map(|p| Framework::alembic(p, python)),
            MigrationFormat::Rails => rails_project(dir).map(|p| Framework::rails(p, set)),
            _ => None,
        }
    }
}

/// The Python a stepper runs by default: the active virtualenv's
/// (`$VIRTUAL_ENV/bin/python`), else `python3`.
pub fn default_python() -> String {
    std::env::var_os("VIRTUAL_ENV")
        .map(|v| PathBuf::from(v).join("bin/python"))
        .filter(|p| p.is_file())
        .map_or_else(|| "python3".to_string(), |p| p.display().to_string())
}
