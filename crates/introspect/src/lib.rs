//! Live catalog introspection for driftless: connections to PostgreSQL,
//! MySQL/MariaDB and SQLite, and catalog readers that turn a database's
//! schema into a [`Snapshot`](driftless_model::Snapshot) (the model lives in
//! driftless-model; migration folders and ledgers in driftless-migrations).
//!
//! Introspection costs a fixed number of bulk catalog queries, whatever the
//! number of tables, inside one read-only transaction, and never writes.
//!
//! ```
//! use driftless_introspect::{ConnectOptions, Database, DbUrl, IntrospectOptions};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> driftless_introspect::Result<()> {
//! let url = DbUrl::parse("sqlite::memory:")?;
//! let mut db = Database::connect(&url, &ConnectOptions::default()).await?;
//! db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL)", "creating users")
//!     .await?;
//! let snapshot = db.snapshot(&IntrospectOptions::default()).await?;
//! assert_eq!(snapshot.counts().tables, 1);
//! # Ok(())
//! # }
//! ```
//!
//! Modules, bottom up:
//! - `error`, `error_code` (database codes and their kinds), `url`
//!   (parsing, redaction), `interrupt` (asking reads and applies to stop);
//! - `lock` (who holds the lock a read timed out waiting for), `watch`
//!   (stopping a connection's work when its interrupt is triggered);
//! - `driver` (driver errors into ours), `sqlite_connection` (statement
//!   timeout and interrupt for SQLite), `database` (connections, queries,
//!   read-only opens);
//! - `postgres`, `mysql`, `sqlite`: the catalog readers, each split into
//!   queries as values and pure row parsing;
//! - `source`: expected-source specs (a database, a snapshot file, a
//!   migrations folder).
#![deny(missing_docs)]

mod database;
mod driver;
mod error;
mod error_code;
mod interrupt;
mod lock;
mod mysql;
mod postgres;
mod sizes;
mod source;
mod sqlite;
mod sqlite_connection;
mod url;
mod watch;

use std::collections::BTreeSet;

use driftless_model::{is_ledger_table, is_quarantine_schema, is_system_schema, OptIn};

pub use database::{ConnectOptions, Database, Row, Value, DEFAULT_LOCK_TIMEOUT};
pub use error::{url_before_colon, BoxError, Error, Result};
pub use error_code::{DbErrorCode, ErrorKind};
pub use interrupt::Interrupt;
pub use lock::{describe_holders, table_holders, LockHolder};
pub use source::Source;
pub use sqlite_connection::SqliteInterrupt;
pub use url::{redact, DbUrl};

/// What to read from a live database.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct IntrospectOptions {
    /// Schemas to read. Empty: every non-system schema but driftless's
    /// quarantine schema (PostgreSQL), the
    /// URL's database (MySQL), `main` (SQLite).
    pub schemas: Vec<String>,
    /// Also read migration-ledger tables (`django_migrations` …) as tables.
    pub include_ledger_tables: bool,
    /// The opt-in kinds to compare (PostgreSQL): privileges (grants on
    /// tables, columns, sequences, routines and schemas, default
    /// privileges, and the server's role names) and publications, as
    /// [`DefinedObject`](driftless_model::DefinedObject)s. Those not asked
    /// for (the default) are listed as not compared. Other databases: no
    /// effect.
    pub opt_in: OptIn,
    /// A scoped read (replay provenance): only the tables, views and
    /// sequences with these names (and what each reader documents it adds),
    /// no enums; still a fixed number of queries. `None`: everything.
    pub(crate) only: Option<BTreeSet<String>>,
}

impl IntrospectOptions {
    /// Restricts introspection to the given schemas.
    pub fn with_schemas<I, S>(mut self, schemas: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.schemas = schemas.into_iter().map(Into::into).collect();
        self
    }

    /// Compares privileges too (see [`IntrospectOptions::opt_in`]).
    pub fn with_privileges(mut self, privileges: bool) -> Self {
        self.opt_in.privileges = privileges;
        self
    }

    /// Compares these opt-in kinds (see [`IntrospectOptions::opt_in`]).
    pub fn with_opt_in(mut self, opt_in: OptIn) -> Self {
        self.opt_in = opt_in;
        self
    }

    /// Whether objects of `schema` are wanted (explicit list, or not a system schema).
    pub fn wants_schema(&self, schema: &str) -> bool {
        if self.schemas.is_empty() {
            !is_system_schema(schema) && !is_quarantine_schema(schema)
        } else {
            self.schemas.iter().any(|s| s == schema)
        }
    }

    /// The same options, reading only the tables, views and sequences
    /// named `names` (and what each reader adds to them: their indexes,
    /// constraints, owned sequences), no enums: the scoped read after a
    /// migration that replay provenance makes. Still a fixed number of
    /// queries; on PostgreSQL and MySQL, after the first read on a
    /// connection, one round trip (two on MariaDB when a sequence is read).
    pub fn scoped(&self, names: BTreeSet<String>) -> Self {
        IntrospectOptions {
            only: Some(names),
            ..self.clone()
        }
    }

    /// Whether `table` is wanted (ledger tables only when asked for).
    pub fn wants_table(&self, table: &str) -> bool {
        self.include_ledger_tables || !is_ledger_table(table)
    }
}
