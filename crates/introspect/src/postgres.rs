//! Catalog reader for PostgreSQL (12 and later).
//!
//! # What is read
//!
//! Every non-system schema (or `IntrospectOptions::schemas`), skipping
//! whatever an extension owns (`pg_depend` deptype `e`): tables (`relkind`
//! `r` and `p`), their columns, primary keys, unique, foreign key and check
//! constraints, indexes that do not implement a constraint, enums,
//! sequences (not those implementing identity columns), views and
//! materialized views, and comments on all of these.
//!
//! **Partitions and inheritance.** Partitions and inheritance children are
//! tables, in their place, with their parent and bound in the table's
//! options ([`driftless_model::PARTITION_OF`] and the others); what they
//! inherit (columns, constraints, partition-local index clones) is read
//! once, on the parent. Foreign keys that reference a partitioned table are
//! reported once, not once per partition (`conparentid <> 0` clones are
//! skipped). Partitions a partition manager makes at run time (pg_partman)
//! are its own, listed and not compared (module `managed`).
//!
//! **Compared by definition:** functions, procedures, triggers, event
//! triggers, rules, row security, policies, extensions, domains, composite
//! and range types and collations ([`driftless_model::DefinedObject`], from
//! the statement the server prints). The kinds of
//! [`driftless_model::CatalogKind::not_compared`] are listed by kind,
//! schema and name (`Snapshot::unmodeled`), so that a report says what it
//! did not compare; a scoped read lists none. A `NOT VALID` constraint and
//! an INVALID index (left by an interrupted online fix, or a failed
//! `CREATE INDEX CONCURRENTLY`) are not read: neither stands for the
//! object the expected schema has.
//!
//! **Opt-in kinds.** Privileges (grants on relations, columns, sequences,
//! routines and schemas as they differ from each object's default, and
//! default privileges: one more bulk query, [`query::PRIVILEGES`]) and
//! publications are always listed, and compared as
//! [`driftless_model::DefinedObject`]s only when
//! [`IntrospectOptions::opt_in`] asks for them.
//!
//! # Consistency and printing
//!
//! Everything is read inside `BEGIN ISOLATION LEVEL REPEATABLE READ, READ
//! ONLY` and ends with `ROLLBACK`: one consistent view, no writes. A
//! connection already inside a transaction is refused (with
//! [`Error::Invalid`]) rather than joined or rolled back. The transaction
//! pins `search_path` to `pg_catalog, pg_temp`, so that `format_type`,
//! `pg_get_expr` and friends print user types, functions and relations
//! schema-qualified (`public.mood`, `nextval('public.t_id_seq'::regclass)`)
//! and built-in ones unqualified, identically on any two databases whatever
//! their users' search paths.
//!
//! # Locks and interrupts
//!
//! Reading a table's defaults, checks, index predicates and expressions
//! (`pg_get_expr`, `pg_get_constraintdef`) opens the table, so a read
//! queues behind a session holding it in `ACCESS EXCLUSIVE` mode (an
//! `ALTER TABLE`, a `LOCK TABLE`). Read-only connections start with
//! `lock_timeout` set to [`ConnectOptions::lock_timeout`](crate::ConnectOptions::lock_timeout)
//! (every connection of the read, helpers included), and a read that
//! waits longer fails with [`Error::Locked`], which names the locked table
//! and the holding session (`pg_locks`, `pg_stat_activity`, read on a
//! second connection). With [`ConnectOptions::interrupt`](crate::ConnectOptions::interrupt),
//! a triggered interrupt cancels the queries of the caller's connection
//! and of every helper on the server (`pg_cancel_backend`).
//!
//! # Speed
//!
//! A fixed number of bulk queries ([`query`]), whatever the number of
//! tables. The first connection exports its snapshot
//! (`pg_export_snapshot()`); [`HELPERS`] more connections import it (`SET
//! TRANSACTION SNAPSHOT`), and all of them take the independent queries
//! from one queue ([`JOBS`]), heaviest first: they run at the same time,
//! and the result is exactly as consistent as on one connection. Where a
//! snapshot cannot be exported or a helper cannot connect (connection
//! limit, a pooler, a server without the function), the other connections
//! (at worst the first one alone) run its share, still in the snapshot.
//! Rows are decoded with typed access ([`rows`]) and assembled by pure
//! code ([`parse`]).
//!
//! A scoped read (replay provenance, after every migration) is one round
//! trip instead ([`batch`]): statements prepared once per connection,
//! executed together in one message.

mod batch;
mod defined;
mod managed;
mod parse;
mod query;
mod rows;
mod viewdef;

pub(crate) use batch::Session;

use std::sync::Arc;

use sqlx::postgres::types::Oid;
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::Row as _;

use self::parse::Catalog;
use crate::driver::query_error;
use crate::error::{Error, Result};
use crate::{Database, IntrospectOptions};
use driftless_model::Snapshot;

/// The bulk catalog queries that follow the namespace query, independent of
/// each other. All but two take the wanted namespace oids as `$1`, and
/// those over relations the names of a scoped read as `$2` ([`Filter`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Task {
    Relations,
    Columns,
    Constraints,
    Indexes,
    Enums,
    Sequences,
    Comments,
    Lookups,
    Unmodeled,
    TableObjects,
    Privileges,
}

/// The work, as jobs taken from one shared queue, heaviest first; a job's
/// tasks run one after the other on the connection that took it.
///
/// On a 5,000-table catalog the columns (100,000 rows with `format_type`
/// and defaults) and the constraints and indexes dominate; the rest
/// together cost less than either. Check constraints, index predicates and
/// index expressions must be deparsed against their table, for which a
/// backend builds a relation cache entry the first time it opens the
/// table: reading indexes on the connection that has just read the
/// constraints builds each entry once instead of twice (measured: the
/// indexes query takes about half as long there as on a fresh backend).
/// Policies (and rules) follow on that connection for the same reason:
/// printing a policy's expressions opens its table (half the cost there).
/// That job is the longest, so it goes first: the caller's connection,
/// ready before any helper has connected, takes it. The other objects
/// compared by their definition come next: with a function and a trigger
/// per table (`bench/code_objects.py`), deparsing them and looking up what
/// each depends on takes almost as long, so they start at once on the
/// first helper.
const JOBS: [&[Task]; 9] = [
    &[Task::Constraints, Task::Indexes, Task::TableObjects],
    &[Task::Unmodeled],
    &[Task::Columns],
    &[Task::Relations],
    &[Task::Sequences],
    &[Task::Enums],
    &[Task::Privileges],
    &[Task::Lookups],
    &[Task::Comments],
];

/// Helper connections opened besides the caller's, when the snapshot can
/// be shared: one per heavy job.
const HELPERS: usize = 2;

/// The jobs not yet taken. Every connection takes the next one as soon as
/// it is free, so a helper that connects late (or never) leaves its share
/// to the others and the work stays balanced whatever the catalog.
struct Queue(std::sync::Mutex<std::collections::VecDeque<Vec<Task>>>);

/// The tasks a scoped read leaves out: the enums, the objects the model
/// does not compare, policies and rules, and the privileges (a scoped
/// snapshot has none).
const NOT_SCOPED: [Task; 4] = [
    Task::Enums,
    Task::Unmodeled,
    Task::Privileges,
    Task::TableObjects,
];

impl Queue {
    /// All jobs; for a scoped read, without the tasks of [`NOT_SCOPED`]
    /// (a job left with none is dropped; the others keep the rest).
    fn new(scoped: bool) -> Self {
        let jobs = JOBS
            .into_iter()
            .map(|job| {
                job.iter()
                    .copied()
                    .filter(|t| !(scoped && NOT_SCOPED.contains(t)))
                    .collect::<Vec<Task>>()
            })
            .filter(|job| !job.is_empty());
        Queue(std::sync::Mutex::new(jobs.collect()))
    }

    fn next(&self) -> Option<Vec<Task>> {
        // A poisoned lock only means another taker panicked; the queue
        // itself is always consistent.
        match self.0.lock() {
            Ok(mut q) => q.pop_front(),
            Err(poisoned) => poisoned.into_inner().pop_front(),
        }
    }
}

/// What the bulk queries read: the wanted namespaces (`$1`) and, for a
/// scoped read, the relation names (`$2`).
struct Filter {
    namespaces: Vec<Oid>,
    names: Option<Vec<String>>,
}

/// The rows of one task.
enum Rows {
    Relations(Vec<rows::RelationRow>),
    Columns(Vec<rows::ColumnRow>),
    Constraints(Vec<rows::ConstraintRow>),
    Indexes(Vec<rows::IndexRow>),
    Enums(Vec<rows::EnumLabelRow>),
    Sequences(Vec<rows::SequenceRow>),
    Comments(Vec<rows::CommentRow>),
    Lookups(Vec<rows::LookupRow>),
    Unmodeled(Vec<rows::UnmodeledRow>),
    Privileges(Vec<rows::UnmodeledRow>),
}

impl Task {
    fn context(self) -> &'static str {
        match self {
            Task::Relations => "reading tables and views",
            Task::Columns => "reading columns",
            Task::Constraints => "reading constraints",
            Task::Indexes => "reading indexes",
            Task::Enums => "reading enums",
            Task::Sequences => "reading sequences",
            Task::Comments => "reading comments",
            Task::Lookups => "reading collations and operator classes",
            Task::Unmodeled => "listing the objects the model does not compare",
            Task::TableObjects => "reading policies and rules",
            Task::Privileges => "reading privileges",
        }
    }

    fn sql(self, version: i32, scoped: bool) -> &'static str {
        let new = version >= 150_000;
        match (self, scoped) {
            (Task::Relations, false) => query::RELATIONS,
            (Task::Relations, true) => query::RELATIONS_SCOPED,
            (Task::Columns, false) => query::COLUMNS,
            (Task::Columns, true) => query::COLUMNS_SCOPED,
            (Task::Constraints, false) if new => query::CONSTRAINTS_15,
            (Task::Constraints, true) if new => query::CONSTRAINTS_15_SCOPED,
            (Task::Constraints, false) => query::CONSTRAINTS_12,
            (Task::Constraints, true) => query::CONSTRAINTS_12_SCOPED,
            (Task::Indexes, false) if new => query::INDEXES_15,
            (Task::Indexes, true) if new => query::INDEXES_15_SCOPED,
            (Task::Indexes, false) => query::INDEXES_12,
            (Task::Indexes, true) => query::INDEXES_12_SCOPED,
            (Task::Enums, _) => query::ENUMS,
            (Task::Sequences, false) => query::SEQUENCES,
            (Task::Sequences, true) => query::SEQUENCES_SCOPED,
            (Task::Comments, _) => query::COMMENTS,
            (Task::Lookups, false) => query::LOOKUPS,
            (Task::Lookups, true) => query::LOOKUPS_SCOPED,
            (Task::Unmodeled, _) => query::UNMODELED,
            (Task::TableObjects, _) => query::TABLE_OBJECTS,
            (Task::Privileges, _) => query::PRIVILEGES,
        }
    }

    /// Runs the query and decodes its rows (one round trip).
    async fn run(
        self,
        conn: &mut PgConnection,
        version: i32,
        filter: &Filter,
    ) -> Result<Rows, sqlx::Error> {
        let q = sqlx::query(self.sql(version, filter.names.is_some()));
        let q = match (self, &filter.names) {
            (Task::Lookups, Some(names)) => q.bind(names),
            (Task::Comments | Task::Lookups, _) => q,
            // A task a scoped read leaves out takes no names.
            (_, Some(names)) if !NOT_SCOPED.contains(&self) => {
                q.bind(&filter.namespaces).bind(names)
            }
            _ => q.bind(&filter.namespaces),
        };
        let started = std::time::Instant::now();
        let rows = q.fetch_all(conn).await?;
        let fetched = started.elapsed();
        let out = self.decode(&rows)?;
        tracing::debug!(
            task = ?self,
            rows = rows.len(),
            fetched = ?fetched,
            decoded = ?(started.elapsed() - fetched),
            "catalog query"
        );
        Ok(out)
    }
}

impl Task {
    /// Decodes the rows of this task's query.
    pub(super) fn decode(self, rows: &[PgRow]) -> Result<Rows, sqlx::Error> {
        Ok(match self {
            Task::Relations => Rows::Relations(decode(rows, rows::RelationRow::decode)?),
            Task::Columns => Rows::Columns(decode(rows, rows::ColumnRow::decode)?),
            Task::Constraints => Rows::Constraints(decode(rows, rows::ConstraintRow::decode)?),
            Task::Indexes => Rows::Indexes(decode(rows, rows::IndexRow::decode)?),
            Task::Enums => Rows::Enums(decode(rows, rows::EnumLabelRow::decode)?),
            Task::Sequences => Rows::Sequences(decode(rows, rows::SequenceRow::decode)?),
            Task::Comments => Rows::Comments(decode(rows, rows::CommentRow::decode)?),
            Task::Lookups => Rows::Lookups(decode(rows, rows::LookupRow::decode)?),
            Task::Unmodeled | Task::TableObjects => {
                Rows::Unmodeled(decode(rows, rows::UnmodeledRow::decode)?)
            }
            Task::Privileges => Rows::Privileges(decode(rows, rows::UnmodeledRow::decode)?),
        })
    }
}

fn decode<T>(
    rows: &[PgRow],
    f: fn(&PgRow) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, sqlx::Error> {
    rows.iter().map(f).collect()
}

impl Catalog {
    fn absorb(&mut self, rows: Rows) {
        match rows {
            Rows::Relations(r) => self.relations = r,
            Rows::Columns(r) => self.columns = r,
            Rows::Constraints(r) => self.constraints = r,
            Rows::Indexes(r) => self.indexes = r,
            Rows::Enums(r) => self.enums = r,
            Rows::Sequences(r) => self.sequences = r,
            Rows::Comments(r) => self.comments = r,
            Rows::Lookups(r) => self.lookups = r,
            Rows::Unmodeled(r) => self.unmodeled.extend(r),
            Rows::Privileges(r) => self.privileges = r,
        }
    }
}

/// Reads a PostgreSQL catalog; see the module documentation. A scoped read
/// ([`IntrospectOptions`] `only`) runs on the caller's connection alone
/// (it is small, and helpers would cost two connections per read), in one
/// message when [`batch`] can ([`batch::scoped_snapshot`]).
pub(crate) async fn snapshot(db: &mut Database, options: &IntrospectOptions) -> Result<Snapshot> {
    if db.pg().is_none() {
        return Err(Error::Invalid(format!(
            "{} is not a PostgreSQL database",
            db.url()
        )));
    }
    if let Some(catalog) = batch::scoped_snapshot(db, options).await? {
        return parse::assemble(catalog, options);
    }
    begin(db).await?;
    let read = read_catalog(db, options).await;
    // Always end the transaction, so the connection stays usable; the
    // catalog error, if any, is the one worth reporting.
    let end = db
        .execute(query::END, "ending the snapshot transaction")
        .await;
    let catalog = read?;
    end?;
    let started = std::time::Instant::now();
    let snapshot = parse::assemble(catalog, options);
    tracing::debug!(elapsed = ?started.elapsed(), "catalog assembled");
    snapshot
}

/// Starts the snapshot transaction (two round trips); refuses to run
/// inside a transaction the caller has open, which it must neither join
/// nor end.
async fn begin(db: &mut Database) -> Result<()> {
    let url = db.url.to_string();
    let context = "starting a read-only snapshot transaction";
    db.round_trips += 1;
    let rows = sqlx::raw_sql(query::OUTSIDE_TRANSACTION)
        .fetch_all(pg(db)?)
        .await
        .map_err(|e| query_error(&url, context, e))?;
    let outside = match rows.first() {
        Some(row) => row
            .try_get::<bool, _>(0)
            .map_err(|e| query_error(&url, context, e))?,
        None => false,
    };
    if !outside {
        return Err(in_transaction_error(&url));
    }
    db.execute(query::BEGIN, context).await?;
    Ok(())
}

/// The refusal to read inside a transaction the caller has open.
fn in_transaction_error(url: &str) -> Error {
    Error::Invalid(format!(
        "cannot read the schema of {url} inside a transaction that is already open: \
         introspection needs its own read-only snapshot transaction \
         (commit or roll back first, or use another connection)"
    ))
}

/// What a helper connection reports back.
enum Helper {
    /// It ran the tasks it took (possibly none).
    Done { rows: Vec<Rows>, round_trips: u64 },
    /// It could not connect or join the snapshot, and took no task.
    Unavailable { round_trips: u64 },
    /// One of its queries failed.
    Failed { error: Error, round_trips: u64 },
}

async fn read_catalog(db: &mut Database, options: &IntrospectOptions) -> Result<Catalog> {
    let url = db.url.to_string();
    // Export the snapshot for helper connections; if that is impossible,
    // start over in a fresh transaction and read everything here.
    let scoped = options.only.is_some();
    let exported = if scoped {
        Err(None)
    } else {
        db.round_trips += 1;
        let conn = pg(db)?;
        sqlx::query_as::<_, (String, i32, String)>(query::EXPORT_SNAPSHOT)
            .fetch_one(conn)
            .await
            .map_err(Some)
    };
    let (version, snapshot_id) = match exported {
        Ok((_, version, id)) if query::is_snapshot_id(&id) => (version, Some(id)),
        Ok((_, version, _)) => (version, None),
        Err(None) => (read_version(db, query::VERSION_SCOPED).await?, None),
        Err(Some(e)) => {
            tracing::debug!("cannot export a snapshot ({e}); reading on one connection");
            db.execute(query::END, "ending the snapshot transaction")
                .await?;
            db.execute(query::BEGIN, "starting a read-only snapshot transaction")
                .await?;
            (read_version(db, query::VERSION).await?, None)
        }
    };

    // Helpers connect and join the snapshot while the namespaces are read,
    // then take tasks from the queue like the first connection does.
    let queue = Arc::new(Queue::new(scoped));
    let mut helpers = Vec::new();
    let mut senders = Vec::new();
    if let Some(id) = &snapshot_id {
        for _ in 0..HELPERS {
            let (tx, rx) = tokio::sync::oneshot::channel::<Arc<Filter>>();
            senders.push(tx);
            let (url, connect_options, id, queue) = (
                db.url.clone(),
                db.options.clone(),
                id.clone(),
                Arc::clone(&queue),
            );
            helpers.push(tokio::spawn(async move {
                run_helper(url, connect_options, id, queue, version, rx).await
            }));
        }
    }

    let mut catalog = Catalog::default();
    let main = async {
        db.round_trips += 1;
        let namespaces = sqlx::query(query::NAMESPACES)
            .fetch_all(pg(db)?)
            .await
            .and_then(|rows| decode(&rows, rows::NamespaceRow::decode))
            .map_err(|e| query_error(&url, "reading schemas", e))?;
        let wanted = Arc::new(Filter {
            namespaces: parse::wanted_namespaces(&namespaces, options)
                .iter()
                .map(|n| Oid(n.oid))
                .collect(),
            names: options.only.as_ref().map(|o| o.iter().cloned().collect()),
        });
        catalog.namespaces = namespaces;
        for tx in senders.drain(..) {
            // A helper that has gone away reports so itself.
            let _ = tx.send(Arc::clone(&wanted));
        }
        for rows in run_tasks(db, &queue, version, &wanted).await? {
            catalog.absorb(rows);
        }
        Ok::<_, Error>(())
    }
    .await;
    // Dropping the senders (on error) releases helpers still waiting.
    drop(senders);
    // If the first connection failed, helpers find nothing left to do.
    while queue.next().is_some() {}

    // Collect every helper before returning, so none outlives the snapshot.
    let mut first_error = None;
    for handle in helpers {
        match handle.await {
            Ok(Helper::Done { rows, round_trips }) => {
                db.round_trips += round_trips;
                for r in rows {
                    catalog.absorb(r);
                }
            }
            Ok(Helper::Unavailable { round_trips }) => db.round_trips += round_trips,
            Ok(Helper::Failed { error, round_trips }) => {
                db.round_trips += round_trips;
                first_error.get_or_insert(error);
            }
            Err(e) => {
                first_error.get_or_insert(Error::Invalid(format!(
                    "a catalog reader for {url} stopped: {e}"
                )));
            }
        }
    }
    main?;
    match first_error {
        Some(error) => Err(error),
        None => Ok(catalog),
    }
}

/// A helper connection: joins the exported snapshot, waits for the
/// namespace oids, takes tasks until none is left, and ends its
/// transaction.
async fn run_helper(
    url: crate::DbUrl,
    options: crate::ConnectOptions,
    snapshot_id: String,
    queue: Arc<Queue>,
    version: i32,
    namespaces: tokio::sync::oneshot::Receiver<Arc<Filter>>,
) -> Helper {
    let mut db = match Database::connect(&url, &options).await {
        Ok(db) => db,
        Err(e) => {
            tracing::debug!("helper connection failed: {e}");
            return Helper::Unavailable { round_trips: 0 };
        }
    };
    let joined = db
        .execute(
            &query::begin_with_snapshot(&snapshot_id),
            "joining the exported snapshot",
        )
        .await;
    if let Err(e) = joined {
        tracing::debug!("helper cannot join the snapshot: {e}");
        let round_trips = db.round_trips;
        let _ = db.close().await;
        return Helper::Unavailable { round_trips };
    }
    let outcome = match namespaces.await {
        // Its queries are cancelled on the server when interrupted.
        Ok(wanted) => {
            let watch = db.watch("reading the catalog");
            crate::watch::Watch::run(watch, run_tasks(&mut db, &queue, version, &wanted)).await
        }
        // The first connection failed; it reports the error.
        Err(_) => Ok(Vec::new()),
    };
    let _ = db
        .execute(query::END, "ending the snapshot transaction")
        .await;
    let round_trips = db.round_trips;
    let _ = db.close().await;
    match outcome {
        Ok(rows) => Helper::Done { rows, round_trips },
        Err(error) => Helper::Failed { error, round_trips },
    }
}

/// Takes jobs from the queue and runs their tasks until none is left.
async fn run_tasks(
    db: &mut Database,
    queue: &Queue,
    version: i32,
    filter: &Filter,
) -> Result<Vec<Rows>> {
    let url = db.url.to_string();
    let mut out = Vec::new();
    while let Some(job) = queue.next() {
        for task in job {
            db.round_trips += 1;
            let rows = task
                .run(pg(db)?, version, filter)
                .await
                .map_err(|e| query_error(&url, task.context(), e))?;
            out.push(rows);
        }
    }
    Ok(out)
}

/// Pins the settings of `sql` ([`query::VERSION`] or
/// [`query::VERSION_SCOPED`]) and reads the server version, without
/// exporting the snapshot.
async fn read_version(db: &mut Database, sql: &'static str) -> Result<i32> {
    let url = db.url.to_string();
    db.round_trips += 1;
    let (_, version) = sqlx::query_as::<_, (String, i32)>(sql)
        .fetch_one(pg(db)?)
        .await
        .map_err(|e| query_error(&url, "reading the server version", e))?;
    Ok(version)
}

fn pg(db: &mut Database) -> Result<&mut PgConnection> {
    db.pg()
        .ok_or_else(|| Error::Invalid("not a PostgreSQL connection".into()))
}

#[cfg(test)]
mod tests {
    use super::{Queue, Task, NOT_SCOPED};

    fn tasks(queue: &Queue) -> Vec<Task> {
        std::iter::from_fn(|| queue.next()).flatten().collect()
    }

    /// A scoped read leaves out only the tasks it has no use for: the
    /// constraints and indexes, which share a job with policies and rules,
    /// are still read.
    #[test]
    fn a_scoped_queue_keeps_every_task_but_the_unscoped_ones() {
        let all = tasks(&Queue::new(false));
        let scoped = tasks(&Queue::new(true));
        assert_eq!(all.len(), 11);
        let expected: Vec<Task> = all
            .iter()
            .copied()
            .filter(|t| !NOT_SCOPED.contains(t))
            .collect();
        assert_eq!(scoped, expected);
        assert!(scoped.contains(&Task::Constraints) && scoped.contains(&Task::Indexes));
    }
}
