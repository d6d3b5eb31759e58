//! The expected schema by replay: SQL migrations run in order, one
//! statement at a time, into a scratch database; or a framework's own
//! migrate command run against it.
//!
//! The scratch ("dev") database is never the target. SQLite replays into
//! an in-memory database by default. PostgreSQL and MySQL need a dev
//! database given explicitly, which driftless empties before each use; it
//! refuses to empty one that holds anything unless driftless marked it as
//! its own by the table [`DEV_MARKER_TABLE`], which it leaves there.

use std::path::Path;
use std::time::{Duration, Instant};

use std::collections::BTreeSet;

use driftless_introspect::{
    redact, ConnectOptions, Database, DbUrl, Error, IntrospectOptions, Result, Value,
};
use driftless_model::{
    split_statements, Dialect, Migration, MigrationSet, Provenance, Snapshot, SqlStatement,
};

use crate::scope::Touch;
use crate::tracker::{conclude, DevReader, ProvenanceReads, Tracker};

/// The table driftless leaves in a dev database to mark it as a scratch
/// database it may empty. Never part of a snapshot it returns.
pub const DEV_MARKER_TABLE: &str = "_driftless_dev_database";

/// How to replay.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ReplayOptions {
    /// The scratch database (`--dev-url`). Default: SQLite in memory.
    pub dev_url: Option<DbUrl>,
    /// The database the result will be compared with (`--db`): the dev
    /// database must not be it, must be of its dialect, and on MySQL its
    /// database name replaces the dev database's in the result.
    pub target: Option<DbUrl>,
    /// What to read after replay.
    pub introspect: IntrospectOptions,
    /// Connection options for the dev database.
    pub connect: ConnectOptions,
    /// Snapshot after every migration to build [`Provenance`] (default true).
    pub provenance: bool,
    /// For provenance, read after each migration only what its statements
    /// touched (default true); `false` reads the whole schema after every
    /// migration, which gives the same provenance in time quadratic in the
    /// number of migrations.
    pub scoped_provenance: bool,
    /// The ids of the migrations the target's ledger records as applied
    /// (as [`MigrationSet`] and ledgers spell them; for a framework, its
    /// own apps' too). With it, those are replayed first, in order, and the
    /// schema they build — the recorded state — is read before the pending
    /// ones follow ([`Replay::recorded`]).
    pub recorded: Option<BTreeSet<String>>,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            dev_url: None,
            target: None,
            introspect: IntrospectOptions::default(),
            connect: ConnectOptions::default(),
            provenance: true,
            scoped_provenance: true,
            recorded: None,
        }
    }
}

impl ReplayOptions {
    /// Replays into `url`.
    pub fn with_dev_url(mut self, url: DbUrl) -> Self {
        self.dev_url = Some(url);
        self
    }

    /// Compares against `url`.
    pub fn with_target(mut self, url: DbUrl) -> Self {
        self.target = Some(url);
        self
    }

    /// Reads with these options.
    pub fn with_introspect(mut self, options: IntrospectOptions) -> Self {
        self.introspect = options;
        self
    }

    /// Whether to snapshot after every migration for provenance.
    pub fn with_provenance(mut self, on: bool) -> Self {
        self.provenance = on;
        self
    }

    /// Replays the migrations `recorded` as applied first, and reads the
    /// schema they build (see [`ReplayOptions::recorded`]).
    pub fn with_recorded(mut self, recorded: BTreeSet<String>) -> Self {
        self.recorded = Some(recorded);
        self
    }

    /// Whether provenance reads only what each migration touched.
    pub fn with_scoped_provenance(mut self, on: bool) -> Self {
        self.scoped_provenance = on;
        self
    }
}

/// One replayed migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayStep {
    /// The migration's id.
    pub id: String,
    /// Statements executed.
    pub statements: usize,
    /// Time spent executing them (snapshots not included).
    pub elapsed: Duration,
}

/// The result of [`replay`].
#[derive(Debug, Clone)]
pub struct Replay {
    /// The schema after the last migration: the head state.
    pub snapshot: Snapshot,
    /// The schema after the migrations recorded as applied, when
    /// [`ReplayOptions::recorded`] named them: the recorded state.
    pub recorded: Option<Snapshot>,
    /// Which migration created or last changed each object (empty when
    /// replayed without provenance).
    pub provenance: Provenance,
    /// Each migration replayed, in order.
    pub steps: Vec<ReplayStep>,
    /// Wall time of the whole replay, snapshots included.
    pub elapsed: Duration,
    /// How provenance read the schema.
    pub reads: ProvenanceReads,
}

/// `items` reordered so that those whose id is `recorded` come first, the
/// rest after, each part in its given order; and how many are recorded
/// (`None` without a recorded set).
pub(crate) fn recorded_first<'a, T>(
    items: impl IntoIterator<Item = &'a T>,
    id: impl Fn(&T) -> String,
    recorded: Option<&BTreeSet<String>>,
) -> (Vec<&'a T>, Option<usize>) {
    let items: Vec<&T> = items.into_iter().collect();
    let Some(recorded) = recorded else {
        return (items, None);
    };
    let (mut first, rest): (Vec<&T>, Vec<&T>) =
        items.into_iter().partition(|t| recorded.contains(&id(t)));
    let split = first.len();
    first.extend(rest);
    (first, Some(split))
}

/// The dev database to use, after the safety checks.
pub(crate) fn resolve_dev(options: &ReplayOptions) -> Result<DbUrl> {
    let dev = match (&options.dev_url, &options.target) {
        (Some(dev), _) => dev.clone(),
        (None, None) => DbUrl::parse("sqlite::memory:")?,
        (None, Some(t)) if t.dialect() == Dialect::Sqlite => DbUrl::parse("sqlite::memory:")?,
        (None, Some(t)) => {
            return Err(Error::Invalid(format!(
                "replaying migrations for a {} database needs a scratch database of the same kind: pass --dev-url (an empty database driftless may wipe, never {t})",
                t.dialect()
            )))
        }
    };
    if let Some(t) = &options.target {
        if dev.dialect() != t.dialect() {
            return Err(Error::Invalid(format!(
                "the dev database {dev} is {} but the target {t} is {}: the expected schema must come from the same kind of database",
                dev.dialect(),
                t.dialect()
            )));
        }
        if dev.same_database(t) {
            return Err(Error::Invalid(format!(
                "the dev database {dev} is the target database itself; replay wipes the dev database, so give a separate scratch database"
            )));
        }
    }
    Ok(dev)
}

fn cell(r: &[Value], i: usize) -> String {
    match r.get(i) {
        Some(Value::Text(s)) => s.clone(),
        Some(Value::Bytes(b)) => String::from_utf8_lossy(b).into_owned(),
        Some(Value::Int(v)) => v.to_string(),
        _ => String::new(),
    }
}

fn q(dialect: Dialect, ident: &str) -> String {
    dialect.quote_ident(ident)
}

/// What to drop to empty a PostgreSQL dev database, in a workable order:
/// `(kind, qualified name)`.
const PG_DROPS: &str = "\
SELECT kind, name FROM (\
 SELECT 1 AS o, 'EXTENSION' AS kind, quote_ident(e.extname) AS name FROM pg_extension e WHERE e.extname <> 'plpgsql' \
 UNION ALL SELECT 2, 'SCHEMA', quote_ident(n.nspname) FROM pg_namespace n \
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND n.nspname NOT LIKE 'pg\\_%' \
 UNION ALL SELECT 3, CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' \
   WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, 'public.' || quote_ident(c.relname) \
   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
   WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') \
 UNION ALL SELECT 4, CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END, \
   'public.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')' \
   FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' \
 UNION ALL SELECT 5, CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, 'public.' || quote_ident(t.typname) \
   FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
   WHERE n.nspname = 'public' AND (t.typtype IN ('e', 'd', 'r') \
     OR (t.typtype = 'c' AND EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c')))\
) AS d ORDER BY o, name";

/// Empties the dev database if it is empty already or carries the marker,
/// refuses otherwise, and leaves the marker.
pub(crate) async fn prepare_dev(db: &mut Database) -> Result<()> {
    let dialect = db.dialect();
    if db.url().is_sqlite_memory() {
        return Ok(());
    }
    // (kind, schema, name) of everything in the database.
    let objects: Vec<(String, String, String)> = match dialect {
        Dialect::Postgres => db
            .query(
                "SELECT 'relation', n.nspname::text, c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('r','p','v','m','S','f') AND n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg\\_%' \
                 UNION ALL SELECT 'schema', n.nspname::text, n.nspname::text FROM pg_namespace n \
                 WHERE n.nspname NOT IN ('pg_catalog','information_schema','public') AND n.nspname NOT LIKE 'pg\\_%' \
                 UNION ALL SELECT 'routine', n.nspname::text, p.proname::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
                 WHERE n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg\\_%' \
                 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') \
                 UNION ALL SELECT 'type', n.nspname::text, t.typname::text FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
                 WHERE t.typtype IN ('e','d','r','m') AND n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg\\_%' \
                 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e') \
                 ORDER BY 1, 2, 3",
                "inspecting the dev database",
            )
            .await?
            .iter()
            .map(|r| (cell(r, 0), cell(r, 1), cell(r, 2)))
            .collect(),
        Dialect::Mysql => db
            .query(
                "SELECT CAST(table_type AS CHAR), CAST(table_schema AS CHAR), CAST(table_name AS CHAR) FROM information_schema.tables WHERE table_schema = DATABASE() \
                 UNION ALL SELECT CAST(routine_type AS CHAR), CAST(routine_schema AS CHAR), CAST(routine_name AS CHAR) FROM information_schema.routines WHERE routine_schema = DATABASE() \
                 UNION ALL SELECT 'EVENT', CAST(event_schema AS CHAR), CAST(event_name AS CHAR) FROM information_schema.events WHERE event_schema = DATABASE() \
                 ORDER BY 1, 2, 3",
                "inspecting the dev database",
            )
            .await?
            .iter()
            .map(|r| (cell(r, 0), cell(r, 1), cell(r, 2)))
            .collect(),
        Dialect::Sqlite => db
            .query(
                "SELECT type, 'main', name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY 1, 2, 3",
                "inspecting the dev database",
            )
            .await?
            .iter()
            .map(|r| (cell(r, 0), cell(r, 1), cell(r, 2)))
            .collect(),
    };
    let marked = objects.iter().any(|(_, _, n)| n == DEV_MARKER_TABLE);
    if !marked {
        if let Some((kind, schema, name)) = objects.first() {
            return Err(Error::Invalid(format!(
                "the dev database {} is not empty ({} {schema}.{name}, {} object(s) in all) and was not prepared by driftless; \
                 replay wipes the dev database, so give an empty database (driftless then marks it with the table {DEV_MARKER_TABLE})",
                db.url(),
                kind.to_ascii_lowercase(),
                objects.len()
            )));
        }
    }
    let mut drops = Vec::new();
    match dialect {
        Dialect::Postgres => {
            // Drop everything but the `public` schema itself, whose owner,
            // grants and comment stay as the database was created.
            let rows = db
                .query(PG_DROPS, "listing the dev database's objects")
                .await?;
            for r in rows {
                drops.push(format!(
                    "DROP {} IF EXISTS {} CASCADE",
                    cell(&r, 0),
                    cell(&r, 1)
                ));
            }
            drops.push("CREATE SCHEMA IF NOT EXISTS public".into());
        }
        Dialect::Mysql => {
            drops.push("SET FOREIGN_KEY_CHECKS = 0".into());
            for (kind, _, name) in &objects {
                let what = match kind.as_str() {
                    "VIEW" | "SYSTEM VIEW" => "VIEW",
                    "SEQUENCE" => "SEQUENCE",
                    "PROCEDURE" => "PROCEDURE",
                    "FUNCTION" => "FUNCTION",
                    "EVENT" => "EVENT",
                    _ => "TABLE",
                };
                drops.push(format!("DROP {what} IF EXISTS {}", q(dialect, name)));
            }
            drops.push("SET FOREIGN_KEY_CHECKS = 1".into());
        }
        Dialect::Sqlite => {
            for (kind, _, name) in &objects {
                let what = match kind.as_str() {
                    "view" => "VIEW",
                    "trigger" => "TRIGGER",
                    "index" => continue,
                    _ => "TABLE",
                };
                drops.push(format!("DROP {what} IF EXISTS {}", q(dialect, name)));
            }
        }
    }
    for sql in drops {
        db.execute(&sql, "emptying the dev database").await?;
    }
    let marker = format!(
        "CREATE TABLE {} (note varchar(200))",
        q(dialect, DEV_MARKER_TABLE)
    );
    db.execute(&marker, "marking the dev database").await?;
    let note = format!(
        "INSERT INTO {} (note) VALUES ('scratch database of driftless: emptied before every replay')",
        q(dialect, DEV_MARKER_TABLE)
    );
    db.execute(&note, "marking the dev database").await?;
    Ok(())
}

/// Removes the marker table from a snapshot of the dev database and, on
/// MySQL, names the schema after the target database.
pub(crate) fn tidy(snapshot: &mut Snapshot, dev: &DbUrl, target: Option<&DbUrl>) {
    for schema in snapshot.schemas.values_mut() {
        schema.tables.remove(DEV_MARKER_TABLE);
    }
    if dev.dialect() == Dialect::Mysql {
        if let (Some(from), Some(to)) = (dev.database(), target.and_then(DbUrl::database)) {
            snapshot.rename_schema(from, to);
        }
    }
}

pub(crate) async fn connect_dev(dev: &DbUrl, options: &ReplayOptions) -> Result<Database> {
    let mut connect = options.connect.clone();
    connect.read_only = false;
    Database::connect(dev, &connect).await
}

/// Replays the SQL migrations of `set` in order into the dev database and
/// reads the resulting schema, with the provenance of every object.
///
/// Statements run one at a time (see [`split_statements`]), so that a
/// failure names the migration's file and the line of the failing
/// statement, with the database's message, as a
/// [`driftless_model::Error::Migration`].
///
/// Provenance costs one read per migration, of what the migration touched
/// (see the `scope` module): a scoped read of the relations its statements
/// name, a full snapshot for statements that cannot be scoped, none for a
/// migration that changed no schema. The final schema is read in full and
/// must equal the one the steps built; if it does not (a statement reached
/// further than its scope), the replay runs again with a full snapshot
/// after every migration, and says so.
pub async fn replay(set: &MigrationSet, options: &ReplayOptions) -> Result<Replay> {
    if !set.is_replayable() {
        return Err(Error::Invalid(format!(
            "{} migrations are code, not SQL: run the framework's own migrate command against a dev database instead (--expect-cmd)",
            set.format
        )));
    }
    let started = Instant::now();
    let dev = resolve_dev(options)?;
    let mut replayed = replay_into(set, options, &dev, !options.scoped_provenance).await?;
    let mut replayed_in_full = false;
    if let Some(diverged) = &replayed.diverged {
        tracing::warn!(
            "scoped provenance missed a change ({diverged}); replaying again with a full snapshot after every migration"
        );
        replayed = replay_into(set, options, &dev, true).await?;
        replayed_in_full = true;
    }
    let (provenance, mut reads) = replayed
        .tracker
        .map(|t| (t.provenance, t.reads))
        .unwrap_or_default();
    reads.replayed_in_full = replayed_in_full;
    Ok(Replay {
        snapshot: replayed.snapshot,
        recorded: replayed.recorded,
        provenance,
        steps: replayed.steps,
        elapsed: started.elapsed(),
        reads,
    })
}

/// One pass of [`replay`].
struct Pass {
    snapshot: Snapshot,
    recorded: Option<Snapshot>,
    tracker: Option<Tracker>,
    steps: Vec<ReplayStep>,
    /// An object whose final definition differs from what the steps built.
    diverged: Option<String>,
}

async fn replay_into(
    set: &MigrationSet,
    options: &ReplayOptions,
    dev: &DbUrl,
    full: bool,
) -> Result<Pass> {
    let mut db = connect_dev(dev, options).await?;
    prepare_dev(&mut db).await?;
    let dialect = dev.dialect();
    let read = Reader { dev, options };
    let mut tracker = if options.provenance {
        Some(Tracker::new(read.full(&mut db).await?, full))
    } else {
        None
    };
    let mut steps = Vec::with_capacity(set.migrations.len());
    let mut version = None;
    let (order, split) =
        recorded_first(&set.migrations, |m| m.id.clone(), options.recorded.as_ref());
    let mut recorded = None;
    for (i, m) in order.into_iter().enumerate() {
        if Some(i) == split {
            recorded = Some(read.recorded_state(&mut db, tracker.as_mut()).await?);
        }
        let Some(sql) = &m.sql else { continue };
        // Reading the schema changes no schema: the version after the
        // previous migration is the version before this one.
        let version_before = match (&tracker, version) {
            (None, _) => None,
            (Some(_), Some(v)) => Some(v),
            (Some(_), None) => sqlite_schema_version(&mut db).await?,
        };
        let statements = split_statements(sql, dialect);
        let expected = match &mut tracker {
            Some(tracker) => Some(tracker.expect(sql, &statements, &read, &mut db).await?),
            None => None,
        };
        let t0 = Instant::now();
        run_migration(&mut db, set, m, &statements, dev).await?;
        steps.push(ReplayStep {
            id: m.id.clone(),
            statements: statements.len(),
            elapsed: t0.elapsed(),
        });
        if let (Some(tracker), Some(expected)) = (&mut tracker, expected) {
            // SQLite counts schema changes: a migration that changed no
            // schema (data only) needs no read.
            let version_after = sqlite_schema_version(&mut db).await?;
            version = version_after;
            let touch = match (expected, version_before) {
                (_, Some(v)) if Some(v) == version_after => Touch::Nothing,
                // A schema change SQLite counted but no statement names.
                (Touch::Nothing, Some(_)) => Touch::Unknown,
                (touch, _) => touch,
            };
            let sqls = statements.iter().map(|s| s.sql.clone()).collect();
            tracker.step(&m.id, touch, sqls, &read, &mut db).await?;
        }
    }
    let snapshot = read.full(&mut db).await?;
    let _ = db.close().await;
    let diverged = conclude(tracker.as_mut(), &snapshot, split.is_some(), &mut recorded);
    Ok(Pass {
        snapshot,
        recorded,
        tracker,
        steps,
        diverged,
    })
}

/// Runs the statements of migration `m`; a failure names its file and the
/// line of the failing statement.
async fn run_migration(
    db: &mut Database,
    set: &MigrationSet,
    m: &Migration,
    statements: &[SqlStatement],
    dev: &DbUrl,
) -> Result<()> {
    for stmt in statements {
        if let Err(e) = db.execute(&stmt.sql, "replaying migrations").await {
            let message = match e {
                Error::Query { message, .. } => message,
                Error::PermissionDenied { message, .. } => message,
                other => return Err(other),
            };
            return Err(driftless_model::Error::Migration {
                path: set.file_path(m),
                line: m.sql_line + stmt.line - 1,
                message: format!(
                    "migration {} failed to replay on {}: {message}",
                    m.label(),
                    driftless_introspect::url_before_colon(&dev.to_string())
                ),
            }
            .into());
        }
    }
    Ok(())
}

/// Reads the dev database during replay.
pub(crate) struct Reader<'a> {
    pub(crate) dev: &'a DbUrl,
    pub(crate) options: &'a ReplayOptions,
}

impl Reader<'_> {
    async fn read(&self, db: &mut Database, introspect: &IntrospectOptions) -> Result<Snapshot> {
        let mut s = db.snapshot(introspect).await?;
        tidy(&mut s, self.dev, self.options.target.as_ref());
        Ok(s)
    }

    /// Reads the recorded state, once the recorded migrations are in, and
    /// marks the point in the provenance.
    pub(crate) async fn recorded_state(
        &self,
        db: &mut Database,
        tracker: Option<&mut Tracker>,
    ) -> Result<Snapshot> {
        let now = self.full(db).await?;
        if let Some(t) = tracker {
            t.settle(&now);
            t.provenance.mark_recorded();
        }
        Ok(now)
    }
}

impl DevReader for Reader<'_> {
    async fn scoped(&self, db: &mut Database, names: &BTreeSet<String>) -> Result<Snapshot> {
        self.read(db, &self.options.introspect.scoped(names.clone()))
            .await
    }

    async fn full(&self, db: &mut Database) -> Result<Snapshot> {
        self.read(db, &self.options.introspect).await
    }
}

/// SQLite's schema cookie, which changes with every schema change; `None`
/// on other databases.
pub(crate) async fn sqlite_schema_version(db: &mut Database) -> Result<Option<i64>> {
    if db.dialect() != Dialect::Sqlite {
        return Ok(None);
    }
    let rows = db
        .query("PRAGMA schema_version", "reading the schema version")
        .await?;
    Ok(rows.first().and_then(|r| r.first()).and_then(Value::as_i64))
}

/// How much of a failing command's error output an error quotes.
const STDERR_TAIL_LINES: usize = 20;

/// Runs `command` (with `sh -c`) in `dir`, with `DATABASE_URL` set to the
/// dev database, then reads the schema it produced: how Django
/// (`python manage.py migrate`), Alembic (`alembic upgrade head`) and Rails
/// (`bin/rails db:migrate`) projects get their expected schema.
///
/// The dev database is checked, emptied and marked as for [`replay`]. For
/// SQLite without a dev URL a temporary database file is used and removed
/// afterwards; `DATABASE_URL` then reads `sqlite:////tmp/…` (four
/// slashes: an absolute path for SQLAlchemy and dj-database-url). A failing command is reported with its exit code and the
/// last lines of its error output (passwords redacted).
pub async fn expect_from_command(
    command: &str,
    dir: &Path,
    options: &ReplayOptions,
) -> Result<Snapshot> {
    let (dev, temp_file) = scratch_dev(options, "expect")?;
    let result = run_and_read(command, dir, &dev, options).await;
    if let Some(path) = temp_file {
        let _ = std::fs::remove_file(path);
    }
    result
}

/// The scratch database for a framework that runs in its own process:
/// the dev URL, or for SQLite without one a temporary file (returned too,
/// to be removed afterwards).
pub(crate) fn scratch_dev(
    options: &ReplayOptions,
    purpose: &str,
) -> Result<(DbUrl, Option<std::path::PathBuf>)> {
    let mut temp_file = None;
    let dev = match (&options.dev_url, &options.target) {
        (None, target)
            if target
                .as_ref()
                .is_none_or(|t| t.dialect() == Dialect::Sqlite) =>
        {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            let path = std::env::temp_dir().join(format!(
                "driftless-{purpose}-{}-{nanos}.db",
                std::process::id()
            ));
            temp_file = Some(path.clone());
            // `sqlite:////abs/path`: the spelling SQLAlchemy and
            // dj-database-url read as an absolute path.
            DbUrl::parse(&format!("sqlite:///{}", path.display()))?
        }
        _ => resolve_dev(options)?,
    };
    Ok((dev, temp_file))
}

async fn run_and_read(
    command: &str,
    dir: &Path,
    dev: &DbUrl,
    options: &ReplayOptions,
) -> Result<Snapshot> {
    let mut connect = options.connect.clone();
    connect.read_only = false;
    connect.create_if_missing = true;
    let mut db = Database::connect(dev, &connect).await?;
    prepare_dev(&mut db).await?;
    let _ = db.close().await;
    stoppable(&connect, dev, command, run_command(command, dir, dev)).await?;
    let mut db = Database::connect(dev, &connect).await?;
    let mut snapshot = db.snapshot(&options.introspect).await?;
    let _ = db.close().await;
    tidy(&mut snapshot, dev, options.target.as_ref());
    Ok(snapshot)
}

/// Runs `running` (the framework's `command` building the dev database)
/// until it ends or `connect`'s interrupt is triggered, which stops it
/// ([`Error::Interrupted`]; the command is killed when its future is
/// dropped).
async fn stoppable(
    connect: &ConnectOptions,
    dev: &DbUrl,
    command: &str,
    running: impl std::future::Future<Output = Result<()>>,
) -> Result<()> {
    let Some(interrupt) = &connect.interrupt else {
        return running.await;
    };
    tokio::select! {
        r = running => r,
        () = interrupt.triggered() => Err(Error::Interrupted {
            url: dev.to_string(),
            context: format!("running `{}` into the dev database", redact(command)),
            reason: interrupt.reason().unwrap_or("interrupted").to_string(),
        }),
    }
}

/// Runs `command` (with `sh -c`) in `dir` with `DATABASE_URL` set to `url`:
/// a framework's migrate command. A failing command is an error with its
/// exit code and the last lines of its error output (passwords redacted).
/// The command is killed if the returned future is dropped before it ends.
pub async fn run_command(command: &str, dir: &Path, dev: &DbUrl) -> Result<()> {
    let output = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .env("DATABASE_URL", dev.expose_secret())
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| {
            Error::Invalid(format!(
                "cannot run `{}` in {}: {e}",
                redact(command),
                dir.display()
            ))
        })?;
    if !output.status.success() {
        let (code, tail) = command_failure(&output, dev);
        return Err(Error::Invalid(format!(
            "`{}` failed in {} with exit code {code}:\n{tail}",
            redact(command),
            dir.display()
        )));
    }
    Ok(())
}

/// How a command that failed ended: its exit code (or that a signal
/// killed it), and the last lines of its error output (of its standard
/// output when it wrote no errors), passwords redacted.
pub(crate) fn command_failure(output: &std::process::Output, dev: &DbUrl) -> (String, String) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stderr = if stderr.trim().is_empty() {
        String::from_utf8_lossy(&output.stdout)
    } else {
        stderr
    };
    let lines: Vec<&str> = stderr.lines().collect();
    let tail = lines[lines.len().saturating_sub(STDERR_TAIL_LINES)..].join("\n");
    let code = output
        .status
        .code()
        .map_or("none (killed by a signal)".to_string(), |c| c.to_string());
    let tail = redact(&tail).replace(dev.expose_secret(), &dev.to_string());
    (code, tail)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn recorded_migrations_come_first_in_their_order() {
        let ids = ["1", "2", "3", "4"];
        let recorded: BTreeSet<String> = ["1", "3", "9"].iter().map(|s| s.to_string()).collect();
        let (order, split) = recorded_first(&ids, |s| s.to_string(), Some(&recorded));
        assert_eq!(order, [&"1", &"3", &"2", &"4"]);
        assert_eq!(split, Some(2));
        let (order, split) = recorded_first(&ids, |s| s.to_string(), None);
        assert_eq!(order.len(), 4);
        assert_eq!(split, None);
    }

    #[test]
    fn dev_url_rules() {
        let url = |s: &str| DbUrl::parse(s).unwrap();
        let o = ReplayOptions::default();
        assert!(resolve_dev(&o).unwrap().is_sqlite_memory());
        let o = ReplayOptions::default().with_target(url("postgres://root@127.0.0.1/prod"));
        assert!(matches!(resolve_dev(&o), Err(Error::Invalid(m)) if m.contains("--dev-url")));
        let o = o.with_dev_url(url("postgres://other:pw@localhost:5432/prod"));
        assert!(
            matches!(resolve_dev(&o), Err(Error::Invalid(m)) if m.contains("target database itself") && !m.contains("pw"))
        );
        let o = ReplayOptions::default()
            .with_target(url("postgres://root@127.0.0.1/prod"))
            .with_dev_url(url("mysql://root@127.0.0.1/dev"));
        assert!(resolve_dev(&o).is_err());
        let o = ReplayOptions::default().with_target(url("sqlite:prod.db"));
        assert!(resolve_dev(&o).unwrap().is_sqlite_memory());
    }
}
