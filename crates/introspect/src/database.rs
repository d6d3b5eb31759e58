//! A live database connection: the only part of the crate that does I/O
//! against a server.

use std::str::FromStr;
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlSslMode};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgSslMode};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Column as _, ConnectOptions as _, Connection as _, TypeInfo as _};

use crate::driver::{query_error, RedactedError};
use crate::error::{Error, Result};
use crate::error_code::{DbErrorCode, ErrorKind};
use crate::interrupt::Interrupt;
use crate::sqlite_connection::{
    has_code, journal_of, recover_hot_journal, Recovery, SqliteInterrupt, Stopped, Watchdog,
    INTERRUPTED, READONLY_ROLLBACK,
};
use crate::url::{redact, DbUrl};
use crate::watch::{Canceller, Watch};
use crate::IntrospectOptions;
use driftless_model::{Dialect, Snapshot};

/// How to open a [`Database`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConnectOptions {
    /// Give up connecting after this long (default 10 s).
    pub connect_timeout: Duration,
    /// Open read-only where the driver allows it (SQLite opens the file
    /// read-only; on servers every transaction of the session is read-only:
    /// PostgreSQL `default_transaction_read_only`, MySQL
    /// `SET SESSION TRANSACTION READ ONLY`).
    pub read_only: bool,
    /// SQLite: create the file if it does not exist (default false, so a
    /// mistyped path is an error rather than a new empty database).
    pub create_if_missing: bool,
    /// How long a read waits for a lock another session holds before it
    /// fails with [`Error::Locked`] (default [`DEFAULT_LOCK_TIMEOUT`];
    /// zero: do not wait). Read-only connections set it for their session
    /// (PostgreSQL `lock_timeout`; MySQL `lock_wait_timeout`, which bounds
    /// metadata-lock waits, in whole seconds rounded up); every SQLite
    /// connection waits this long for a locked file (busy timeout).
    pub lock_timeout: Duration,
    /// Stops connecting and the statement in flight when triggered (see
    /// [`Interrupt`]). Default none.
    pub interrupt: Option<Interrupt>,
}

/// How long a read waits for a lock by default: long enough for the short
/// locks of ordinary traffic, short enough that a session holding a table
/// exclusively is reported rather than waited out.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(5);

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            connect_timeout: Duration::from_secs(10),
            read_only: false,
            create_if_missing: false,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            interrupt: None,
        }
    }
}

impl ConnectOptions {
    /// Options for reading only: `check`, `plan`, `snapshot`.
    pub fn read_only() -> Self {
        ConnectOptions {
            read_only: true,
            ..Self::default()
        }
    }

    /// Sets the connect timeout.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the lock timeout of reads (see [`ConnectOptions::lock_timeout`]).
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// Lets `interrupt` stop this connection's work (see [`Interrupt`]).
    pub fn with_interrupt(mut self, interrupt: Interrupt) -> Self {
        self.interrupt = Some(interrupt);
        self
    }

    /// Sets whether a missing SQLite file is created.
    pub fn with_create_if_missing(mut self, create: bool) -> Self {
        self.create_if_missing = create;
        self
    }
}

/// One value of a row returned by [`Database::query`].
///
/// Not `#[non_exhaustive]`: driftless-migrations turns every variant into
/// ledger text, and a new one must be handled there.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A boolean.
    Bool(bool),
    /// Any integer type.
    Int(i64),
    /// Any floating-point type.
    Float(f64),
    /// Text (and anything the query cast to text).
    Text(String),
    /// Binary data.
    Bytes(Vec<u8>),
}

impl Value {
    /// The value as text, if it is text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The value as an integer, if it is one (booleans count as 0/1).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(i64::from(*b)),
            Value::Text(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The value as a boolean (integers: non-zero is true).
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Int(i) => Some(*i != 0),
            Value::Text(s) => match s.as_str() {
                "t" | "true" | "1" | "TRUE" => Some(true),
                "f" | "false" | "0" | "FALSE" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether this is SQL NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// A row returned by [`Database::query`].
pub type Row = Vec<Value>;

pub(crate) enum Conn {
    Postgres(PgConnection),
    Mysql(MySqlConnection),
    Sqlite(SqliteConnection, Watchdog),
}

/// An open connection to a live database.
///
/// ```no_run
/// # async fn demo() -> Result<(), driftless_introspect::Error> {
/// use driftless_introspect::{ConnectOptions, Database, DbUrl, IntrospectOptions};
/// let url = DbUrl::parse("postgres://root@127.0.0.1/test")?;
/// let mut db = Database::connect(&url, &ConnectOptions::read_only()).await?;
/// let snapshot = db.snapshot(&IntrospectOptions::default()).await?;
/// println!("{} tables", snapshot.counts().tables);
/// # Ok(()) }
/// ```
pub struct Database {
    pub(crate) url: DbUrl,
    pub(crate) options: ConnectOptions,
    pub(crate) conn: Conn,
    pub(crate) round_trips: u64,
    /// What the PostgreSQL reader keeps between scoped reads.
    pub(crate) pg_session: crate::postgres::Session,
    /// What the MySQL reader keeps between scoped reads.
    pub(crate) mysql_session: Option<crate::mysql::Session>,
    /// The server session's id (PostgreSQL pid, MySQL connection id), read
    /// when the connection opens with an [`Interrupt`] to cancel its
    /// statements.
    session: Option<i64>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("url", &self.url).finish()
    }
}

impl Database {
    /// Opens a connection, within `options.connect_timeout` (and, with
    /// [`ConnectOptions::interrupt`], until it is triggered).
    pub async fn connect(url: &DbUrl, options: &ConnectOptions) -> Result<Self> {
        let watch = options.interrupt.clone().map(|interrupt| Watch {
            interrupt,
            url: url.clone(),
            context: "connecting".to_string(),
            canceller: Canceller::None,
        });
        let connecting = async {
            tokio::time::timeout(options.connect_timeout, open(url, options))
                .await
                .map_err(|_| Error::ConnectTimeout {
                    url: url.to_string(),
                    seconds: options.connect_timeout.as_secs().max(1),
                })?
        };
        let mut conn = Watch::run(watch, connecting).await?;
        let session = match options.interrupt {
            Some(_) => read_session_id(&mut conn).await,
            None => None,
        };
        Ok(Database {
            url: url.clone(),
            options: options.clone(),
            conn,
            round_trips: 0,
            pg_session: crate::postgres::Session::default(),
            mysql_session: None,
            session,
        })
    }

    /// The server session's id (PostgreSQL `pg_backend_pid()`, MySQL
    /// `CONNECTION_ID()`), to cancel its statement from another connection
    /// with [`Database::cancel_session`]; `None` for SQLite (see
    /// [`Database::sqlite_interrupt`]) or when the server does not say.
    pub async fn session_id(&mut self) -> Option<i64> {
        if self.session.is_none() {
            self.session = read_session_id(&mut self.conn).await;
        }
        self.session
    }

    /// Cancels the statement that server session `id` (see
    /// [`Database::session_id`]) of the database at `url` runs, from a
    /// second connection: PostgreSQL `pg_cancel_backend`, MySQL
    /// `KILL QUERY`. Best effort: a failure is logged, not returned.
    pub async fn cancel_session(url: &DbUrl, id: i64) {
        crate::watch::cancel_session(url, id).await;
    }

    /// Replaces the [`Interrupt`] that stops this connection's work and
    /// returns the previous one (driftless-fixer's apply takes it off while
    /// it handles its own, so that its rollback still runs).
    pub fn set_interrupt(&mut self, interrupt: Option<Interrupt>) -> Option<Interrupt> {
        std::mem::replace(&mut self.options.interrupt, interrupt)
    }

    /// What stops the next call when the connection's interrupt is
    /// triggered (`None` without one).
    pub(crate) fn watch(&self, context: &str) -> Option<Watch> {
        let interrupt = self.options.interrupt.clone()?;
        let canceller = match (&self.conn, self.session) {
            (Conn::Sqlite(_, watchdog), _) => Canceller::Sqlite(watchdog.interrupt_handle()),
            (_, Some(id)) => Canceller::Server(id),
            (_, None) => Canceller::None,
        };
        Some(Watch {
            interrupt,
            url: self.url.clone(),
            context: context.to_string(),
            canceller,
        })
    }

    /// Turns a lock timeout of a read into [`Error::Locked`], naming who
    /// holds the lock (read on a second connection, see `lock`). Reads
    /// are those of read-only connections and every snapshot (`always`).
    pub(crate) async fn explain_lock<T>(&self, result: Result<T>, always: bool) -> Result<T> {
        let Err(e) = result else {
            return result;
        };
        let waited = matches!(e.kind(), ErrorKind::LockTimeout | ErrorKind::Busy);
        if !waited || !(always || self.options.read_only) {
            return Err(e);
        }
        let context = match &e {
            Error::Query { context, .. } => context.clone(),
            _ => "reading".to_string(),
        };
        Err(Error::Locked {
            url: self.url.to_string(),
            context,
            timeout: self.options.lock_timeout,
            holders: crate::lock::holders(&self.url).await,
            code: e.code().cloned().map(Box::new),
        })
    }

    /// Opens another connection to the same database with the same options.
    pub async fn reconnect(&self) -> Result<Self> {
        Database::connect(&self.url, &self.options).await
    }

    /// The kind of database.
    pub fn dialect(&self) -> Dialect {
        self.url.dialect()
    }

    /// The URL this connection was opened with (prints redacted).
    pub fn url(&self) -> &DbUrl {
        &self.url
    }

    /// How many statements this connection has sent to the server so far.
    /// Introspection sends a fixed number, whatever the catalog's size.
    pub fn round_trips(&self) -> u64 {
        self.round_trips
    }

    /// Reads the schema: a fixed number of bulk catalog queries inside one
    /// read-only, consistent transaction where the database supports it.
    /// Never writes.
    ///
    /// A read that waits longer than [`ConnectOptions::lock_timeout`] for a
    /// lock fails with [`Error::Locked`]; with [`ConnectOptions::interrupt`]
    /// it stops when that is triggered ([`Error::Interrupted`]), its
    /// catalog queries cancelled on the server.
    pub async fn snapshot(&mut self, options: &IntrospectOptions) -> Result<Snapshot> {
        let watch = self.watch("reading the schema");
        // Boxed: the readers' futures are large, and callers nest this one
        // deep (a check, a repair, its base check) in futures that live on
        // a thread's stack.
        let read = Box::pin(async {
            match self.dialect() {
                Dialect::Postgres => crate::postgres::snapshot(self, options).await,
                Dialect::Mysql => crate::mysql::snapshot(self, options).await,
                Dialect::Sqlite => crate::sqlite::snapshot(self, options).await,
            }
        });
        let result = Watch::run(watch, read).await;
        self.explain_lock(result, true).await
    }

    /// Executes SQL (one or more statements separated by `;`) and returns
    /// the number of rows affected. `context` names what is being done for
    /// the error message.
    ///
    /// SQL holding a NUL character is refused before anything is sent
    /// ([`Error::NulCharacter`]): no database accepts one in SQL text, and
    /// SQLite's driver would never return.
    pub async fn execute(&mut self, sql: &str, context: &str) -> Result<u64> {
        let watch = self.watch(context);
        let result = Watch::run(watch, self.execute_now(sql, context)).await;
        self.explain_lock(result, false).await
    }

    /// [`Database::execute`] without the interrupt and the lock report.
    async fn execute_now(&mut self, sql: &str, context: &str) -> Result<u64> {
        self.refuse_nul(sql, context)?;
        self.round_trips += 1;
        let mut stopped = None;
        let res = match &mut self.conn {
            Conn::Postgres(c) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(c)
                .await
                .map(|r| r.rows_affected()),
            Conn::Mysql(c) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(c)
                .await
                .map(|r| r.rows_affected()),
            Conn::Sqlite(c, watchdog) => {
                watchdog.arm();
                let res = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected());
                stopped = watchdog.disarm();
                res
            }
        };
        res.map_err(|e| self.statement_error(context, stopped, e))
    }

    /// Runs one query and returns every row as [`Value`]s. Integer
    /// (signed and unsigned), float, boolean, text and binary columns decode
    /// directly; other types (timestamps, numerics, arrays …) come back as
    /// [`Value::Null`]: cast them to text in the query. SQL holding a NUL
    /// character is refused, as by [`Database::execute`].
    pub async fn query(&mut self, sql: &str, context: &str) -> Result<Vec<Row>> {
        let watch = self.watch(context);
        let result = Watch::run(watch, self.query_now(sql, context)).await;
        self.explain_lock(result, false).await
    }

    /// [`Database::query`] without the interrupt and the lock report.
    async fn query_now(&mut self, sql: &str, context: &str) -> Result<Vec<Row>> {
        self.refuse_nul(sql, context)?;
        self.round_trips += 1;
        let mut stopped = None;
        let rows = match &mut self.conn {
            Conn::Postgres(c) => sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(c)
                .await
                .map(|rows| {
                    rows.iter()
                        .map(|r| decode_row(r, decode_pg_special))
                        .collect()
                }),
            // The text protocol: a prepared statement would be closed when
            // the statement cache evicts it, and sqlx sends that close as a
            // packet of its own that the server does not answer, so the
            // next query waited for the delayed ACK (about 30 ms a query in
            // replay provenance, whose scoped catalog queries differ from
            // one migration to the next).
            Conn::Mysql(c) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .fetch_all(c)
                .await
                .map(|rows| {
                    rows.iter()
                        .map(|r| decode_row(r, decode_mysql_special))
                        .collect()
                }),
            Conn::Sqlite(c, watchdog) => {
                watchdog.arm();
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(c).await;
                stopped = watchdog.disarm();
                rows.map(|rows| rows.iter().map(|r| decode_row(r, |_, _, _| None)).collect())
            }
        };
        rows.map_err(|e| self.statement_error(context, stopped, e))
    }

    /// Runs `statements` as one multi-statement message (one round trip)
    /// and returns the rows of each, in order, decoded as by
    /// [`Database::query`]. The statements must not contain `;` outside
    /// string literals of their own. A statement that fails stops the ones
    /// after it; nothing runs in a transaction unless the statements open
    /// one.
    pub(crate) async fn query_batch(
        &mut self,
        statements: &[&str],
        context: &str,
    ) -> Result<Vec<Vec<Row>>> {
        let watch = self.watch(context);
        let result = Watch::run(watch, self.query_batch_now(statements, context)).await;
        self.explain_lock(result, false).await
    }

    /// [`Database::query_batch`] without the interrupt and the lock report.
    async fn query_batch_now(
        &mut self,
        statements: &[&str],
        context: &str,
    ) -> Result<Vec<Vec<Row>>> {
        let sql = statements.join(";\n");
        self.refuse_nul(&sql, context)?;
        self.round_trips += 1;
        let mut stopped = None;
        let sets = match &mut self.conn {
            Conn::Postgres(c) => crate::driver::result_sets(c, sql)
                .await
                .map(|sets| decode_sets(sets, |r| decode_row(r, decode_pg_special))),
            Conn::Mysql(c) => crate::driver::result_sets(c, sql)
                .await
                .map(|sets| decode_sets(sets, |r| decode_row(r, decode_mysql_special))),
            Conn::Sqlite(c, watchdog) => {
                watchdog.arm();
                let sets = crate::driver::result_sets(c, sql).await;
                stopped = watchdog.disarm();
                sets.map(|sets| decode_sets(sets, |r| decode_row(r, |_, _, _| None)))
            }
        };
        sets.map_err(|e| self.statement_error(context, stopped, e))
    }

    /// Bounds how long each statement sent from now on may run (`None`:
    /// no bound). SQLite has no statement timeout of its own: driftless
    /// interrupts a statement that runs longer, and it fails with
    /// [`Error::StatementTimeout`] (SQLite rolls back a transaction the
    /// statement was writing in). PostgreSQL and MySQL enforce their own
    /// setting (`statement_timeout`, `max_statement_time`), which the
    /// caller sets in its session: for them this changes nothing.
    pub fn set_statement_timeout(&mut self, timeout: Option<Duration>) {
        if let Conn::Sqlite(_, watchdog) = &mut self.conn {
            watchdog.set_timeout(timeout);
        }
    }

    /// SQLite: a handle that stops the statement this connection is
    /// running, from another task or thread (see [`SqliteInterrupt`]).
    /// `None` for PostgreSQL and MySQL, whose statements are cancelled
    /// from a second connection (`pg_cancel_backend`, `KILL QUERY`).
    pub fn sqlite_interrupt(&self) -> Option<SqliteInterrupt> {
        match &self.conn {
            Conn::Sqlite(_, watchdog) => Some(watchdog.interrupt_handle()),
            _ => None,
        }
    }

    /// Closes the connection cleanly.
    pub async fn close(self) -> Result<()> {
        let _ = match self.conn {
            Conn::Postgres(c) => c.close().await,
            Conn::Mysql(c) => c.close().await,
            Conn::Sqlite(c, _) => c.close().await,
        };
        Ok(())
    }

    pub(crate) fn query_error(&self, context: &str, e: sqlx::Error) -> Error {
        query_error(&self.url.to_string(), context, e)
    }

    /// The error of a statement that failed; `stopped`: whether (and why)
    /// driftless stopped it (SQLite).
    fn statement_error(&self, context: &str, stopped: Option<Stopped>, e: sqlx::Error) -> Error {
        if self.dialect() == Dialect::Sqlite {
            if let (Some(Stopped::Deadline(timeout)), true) = (stopped, has_code(&e, INTERRUPTED)) {
                return Error::StatementTimeout {
                    url: self.url.to_string(),
                    context: context.to_string(),
                    timeout,
                };
            }
            if has_code(&e, READONLY_ROLLBACK) {
                return hot_journal_error(&self.url, &redact(&e.to_string()));
            }
        }
        self.query_error(context, e)
    }

    /// Refuses SQL holding a NUL character, before it is sent.
    fn refuse_nul(&self, sql: &str, context: &str) -> Result<()> {
        let Some(at) = sql.find('\0') else {
            return Ok(());
        };
        let before = &sql[..at];
        Err(Error::NulCharacter {
            url: self.url.to_string(),
            context: context.to_string(),
            line: 1 + before.matches('\n').count(),
            column: 1 + before.rsplit('\n').next().map_or(0, |l| l.chars().count()),
        })
    }
}

async fn open(url: &DbUrl, options: &ConnectOptions) -> Result<Conn> {
    let redacted = url.to_string();
    let bad = |e: sqlx::Error| Error::InvalidUrl {
        url: redacted.clone(),
        reason: redact(&e.to_string()),
    };
    let res = match url.dialect() {
        Dialect::Postgres => {
            let opts = PgConnectOptions::from_str(url.expose_secret()).map_err(bad)?;
            let opts = opts
                .application_name("driftless")
                .log_statements(tracing::log::LevelFilter::Trace);
            // Read-only by construction: every transaction of the session,
            // including single statements, is read-only.
            // Reads wait for locks only so long (PostgreSQL reads 0 as "no
            // limit": the shortest wait it has stands for "do not wait").
            let opts = if options.read_only {
                let ms = options.lock_timeout.as_millis().max(1);
                opts.options([
                    ("default_transaction_read_only", "on".to_string()),
                    ("lock_timeout", format!("{ms}ms")),
                ])
            } else {
                opts
            };
            let plain = plaintext_first(url, std::env::var_os("PGSSLMODE").is_some())
                .then(|| opts.clone().ssl_mode(PgSslMode::Disable));
            connect_plaintext_first(opts, plain)
                .await
                .map(Conn::Postgres)
        }
        Dialect::Mysql => {
            let raw = url.expose_secret();
            let raw = raw.strip_prefix("mariadb:").map(|r| format!("mysql:{r}"));
            let raw = raw.as_deref().unwrap_or(url.expose_secret());
            let opts = MySqlConnectOptions::from_str(raw).map_err(bad)?;
            let opts = opts
                .pipes_as_concat(false)
                .no_engine_substitution(false)
                .log_statements(tracing::log::LevelFilter::Trace);
            let plain =
                plaintext_first(url, false).then(|| opts.clone().ssl_mode(MySqlSslMode::Disabled));
            match connect_plaintext_first(opts, plain).await {
                Ok(mut c) => {
                    let read_only = options.read_only.then_some(options.lock_timeout);
                    sqlx::raw_sql(sqlx::AssertSqlSafe(mysql_session(read_only)))
                        .execute(&mut c)
                        .await
                        .map(|_| Conn::Mysql(c))
                }
                Err(e) => Err(e),
            }
        }
        Dialect::Sqlite => {
            let opts = SqliteConnectOptions::from_str(url.expose_secret()).map_err(bad)?;
            return open_sqlite(url, options, opts).await;
        }
    };
    res.map_err(|e| connect_error(url, e))
}

/// The session settings of a MySQL connection. Every one runs under the
/// server's own `sql_mode`, as its client and the frameworks do: a
/// trigger, routine or event keeps the `sql_mode` it was created under,
/// and the driver's additions would change what its body means
/// (`PIPES_AS_CONCAT` makes `||` concatenation instead of OR; the
/// `IGNORE_SPACE` its handshake asks for makes built-in function names
/// reserved). A read-only one (`Some(lock_timeout)`) has every
/// transaction read-only and metadata-lock waits bounded by the lock
/// timeout, in whole seconds rounded up (MariaDB reads 0 as "do not
/// wait"; MySQL waits at least a second).
fn mysql_session(read_only: Option<Duration>) -> String {
    let mode = "SET SESSION sql_mode = @@GLOBAL.sql_mode";
    match read_only {
        Some(lock_timeout) => {
            let seconds = lock_timeout.as_secs() + u64::from(lock_timeout.subsec_nanos() > 0);
            format!(
                "{mode}; SET SESSION TRANSACTION READ ONLY; SET SESSION lock_wait_timeout = {seconds}"
            )
        }
        None => mode.to_string(),
    }
}

/// The server session id of a fresh connection (see
/// [`Database::session_id`]).
async fn read_session_id(conn: &mut Conn) -> Option<i64> {
    let sql = crate::watch::session_id_sql(match conn {
        Conn::Postgres(_) => Dialect::Postgres,
        Conn::Mysql(_) => Dialect::Mysql,
        Conn::Sqlite(..) => Dialect::Sqlite,
    })?;
    let id = match conn {
        Conn::Postgres(c) => sqlx::query_scalar::<_, i64>(sql).fetch_one(c).await,
        Conn::Mysql(c) => sqlx::query_scalar::<_, u64>(sql)
            .fetch_one(c)
            .await
            .map(|id| i64::try_from(id).unwrap_or(i64::MAX)),
        Conn::Sqlite(..) => return None,
    };
    id.map_err(|e| tracing::debug!("cannot read the session id: {e}"))
        .ok()
}

/// Opens a SQLite database: read-only ones roll back a hot journal first
/// (see [`recover_hot_journal`]); every connection gets the [`Watchdog`]
/// that enforces the statement timeout and interrupts.
async fn open_sqlite(
    url: &DbUrl,
    options: &ConnectOptions,
    opts: SqliteConnectOptions,
) -> Result<Conn> {
    let file = !url.is_sqlite_memory();
    let opts = if file {
        opts.read_only(options.read_only)
            .create_if_missing(options.create_if_missing && !options.read_only)
    } else {
        opts
    };
    let opts = opts
        .foreign_keys(false)
        .log_statements(tracing::log::LevelFilter::Trace);
    let opts = opts.busy_timeout(options.lock_timeout);
    let conn = opts.connect().await.map_err(|e| connect_error(url, e))?;
    let mut conn = if file && options.read_only {
        match recover_hot_journal(conn, &opts).await {
            Recovery::NotNeeded(c) | Recovery::RolledBack(c) => c,
            Recovery::Failed(message) => return Err(hot_journal_error(url, &redact(&message))),
        }
    } else {
        conn
    };
    let watchdog = Watchdog::install(&mut conn)
        .await
        .map_err(|e| connect_error(url, e))?;
    Ok(Conn::Sqlite(conn, watchdog))
}

/// [`Error::HotJournal`] for the SQLite database at `url`.
fn hot_journal_error(url: &DbUrl, message: &str) -> Error {
    let database = SqliteConnectOptions::from_str(url.expose_secret())
        .map(|o| o.get_filename().to_path_buf())
        .unwrap_or_default();
    Error::HotJournal {
        url: url.to_string(),
        journal: journal_of(&database),
        database,
        message: message.to_string(),
    }
}

/// Whether to try a connection without TLS first, as libpq's
/// `sslmode=allow` does: only when the server is on a loopback address and
/// neither the URL (`sslmode`, `ssl-mode`, certificates) nor the
/// environment (`env_chooses_tls`) says anything about TLS.
///
/// On loopback the driver's default (`prefer`: TLS when offered, the
/// server's certificate not checked) protects nothing that plaintext
/// exposes: there is no network to listen on and no server identity is
/// verified. It does cost each connection two TLS round trips, which the
/// driver's sockets stretch to about 40 ms each (Nagle's algorithm against
/// delayed acknowledgements), plus encrypting every catalog row on both
/// ends. A server that refuses plaintext (`hostssl` in `pg_hba.conf`,
/// `require_secure_transport`, a user that `REQUIRE SSL`) gets a second
/// attempt with the default mode.
fn plaintext_first(url: &DbUrl, env_chooses_tls: bool) -> bool {
    const TLS_PARAMS: &[&str] = &[
        "sslmode",
        "ssl-mode",
        "sslrootcert",
        "sslcert",
        "sslkey",
        "ssl-ca",
        "ssl-cert",
        "ssl-key",
    ];
    !env_chooses_tls && url.is_loopback() && !url.has_param(TLS_PARAMS)
}

/// Connects with `plain` (the options without TLS) when given, and with
/// `opts` when there is no `plain` or the server refuses it.
async fn connect_plaintext_first<O>(
    opts: O,
    plain: Option<O>,
) -> std::result::Result<O::Connection, sqlx::Error>
where
    O: sqlx::ConnectOptions,
    O::Connection: Sized,
{
    let Some(plain) = plain else {
        return opts.connect().await;
    };
    match plain.connect().await {
        Err(sqlx::Error::Database(e)) => {
            tracing::debug!("plaintext connection refused ({e}); trying TLS");
            opts.connect().await
        }
        other => other,
    }
}

fn connect_error(url: &DbUrl, e: sqlx::Error) -> Error {
    let redacted = url.to_string();
    let code = DbErrorCode::from_driver(&e).map(Box::new);
    if let sqlx::Error::Database(db) = &e {
        match code.as_deref().map(DbErrorCode::kind) {
            Some(ErrorKind::MissingDatabase) => {
                return Error::MissingDatabase {
                    database: url.database().unwrap_or_default().to_string(),
                    url: redacted,
                }
            }
            Some(ErrorKind::PermissionDenied) => {
                return Error::PermissionDenied {
                    url: redacted,
                    message: redact(db.message()),
                    code,
                }
            }
            _ => {}
        }
    }
    let message = redact(&e.to_string());
    Error::Connect {
        url: redacted,
        message: message.clone(),
        code,
        source: Box::new(RedactedError(message)),
    }
}

/// PostgreSQL types the generic decoding would misread: `float4`, `oid`.
fn decode_pg_special(row: &sqlx::postgres::PgRow, i: usize, type_name: &str) -> Option<Value> {
    use sqlx::Row as _;
    match type_name {
        "FLOAT4" => row
            .try_get::<Option<f32>, _>(i)
            .ok()
            .map(|v| v.map_or(Value::Null, |v| Value::Float(f64::from(v)))),
        "OID" => row
            .try_get::<Option<sqlx::postgres::types::Oid>, _>(i)
            .ok()
            .map(|v| v.map_or(Value::Null, |v| Value::Int(i64::from(v.0)))),
        _ => None,
    }
}

/// MySQL types the generic decoding would misread: unsigned integers.
fn decode_mysql_special(row: &sqlx::mysql::MySqlRow, i: usize, type_name: &str) -> Option<Value> {
    use sqlx::Row as _;
    if !type_name.contains("UNSIGNED") {
        return None;
    }
    let v = row.try_get::<Option<u64>, _>(i).ok()?;
    Some(match v {
        None => Value::Null,
        Some(v) => i64::try_from(v).map_or_else(|_| Value::Text(v.to_string()), Value::Int),
    })
}

/// Decodes every column of a row: first `special` (types one backend
/// needs handled itself), then the common types in a fixed order.
fn decode_row<R>(row: &R, special: impl Fn(&R, usize, &str) -> Option<Value>) -> Row
where
    R: sqlx::Row,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i32>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i16>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<f64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<bool>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<Vec<u8>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let common = |i: usize, type_name: &str| -> Value {
        let opt = |v: Option<Value>| v.unwrap_or(Value::Null);
        if type_name.contains("BOOL") {
            if let Ok(v) = row.try_get::<Option<bool>, _>(i) {
                return opt(v.map(Value::Bool));
            }
        }
        if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
            return opt(v.map(Value::Int));
        }
        if let Ok(v) = row.try_get::<Option<i32>, _>(i) {
            return opt(v.map(|v| Value::Int(v.into())));
        }
        if let Ok(v) = row.try_get::<Option<i16>, _>(i) {
            return opt(v.map(|v| Value::Int(v.into())));
        }
        if let Ok(v) = row.try_get::<Option<bool>, _>(i) {
            return opt(v.map(Value::Bool));
        }
        if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
            return opt(v.map(Value::Float));
        }
        if let Ok(v) = row.try_get::<Option<String>, _>(i) {
            return opt(v.map(Value::Text));
        }
        if let Ok(v) = row.try_get::<Option<Vec<u8>>, _>(i) {
            return opt(v.map(|b| match String::from_utf8(b) {
                Ok(s) if type_name.contains("CHAR") || type_name.contains("TEXT") => Value::Text(s),
                Ok(s) => Value::Bytes(s.into_bytes()),
                Err(e) => Value::Bytes(e.into_bytes()),
            }));
        }
        // A type none of the above decodes (cast it to text in the query):
        // never guess at its bytes.
        Value::Null
    };
    (0..row.columns().len())
        .map(|i| {
            let type_name = row.columns()[i].type_info().name().to_ascii_uppercase();
            special(row, i, &type_name).unwrap_or_else(|| common(i, &type_name))
        })
        .collect()
}

impl Database {
    /// Typed access to the PostgreSQL connection for the catalog readers.
    pub(crate) fn pg(&mut self) -> Option<&mut PgConnection> {
        match &mut self.conn {
            Conn::Postgres(c) => Some(c),
            _ => None,
        }
    }
}

/// Decodes the rows of each result set of a multi-statement message.
fn decode_sets<R>(sets: Vec<Vec<R>>, decode: impl Fn(&R) -> Row) -> Vec<Vec<Row>> {
    sets.iter()
        .map(|rows| rows.iter().map(&decode).collect())
        .collect()
}
