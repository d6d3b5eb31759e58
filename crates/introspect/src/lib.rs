//! The schema model of driftless, and everything that produces one: live
//! catalog introspection (PostgreSQL, MySQL/MariaDB, SQLite), snapshot
//! files, and (with the migrations module) migration folders and ledgers.
//!
//! The [`sql`] module is the one SQL lexer of the workspace: migration
//! splitting, the SQLite DDL reader, and (in driftless-rules and
//! driftless-fixer) SQL comparison and fragment checks all read its tokens.
//!
//! Introspection costs a fixed number of bulk catalog queries, whatever the
//! number of tables, inside one read-only transaction, and never writes.
//!
//! ```
//! use driftless_introspect::{Column, Dialect, Snapshot, Table};
//! use std::path::Path;
//!
//! let mut snap = Snapshot::new(Dialect::Sqlite);
//! let mut users = Table::default();
//! users.columns.insert("id".into(), Column { nullable: false, ..Column::new(1, "INTEGER") });
//! snap.schemas.entry("main".into()).or_default().tables.insert("users".into(), users);
//!
//! let json = snap.to_json();
//! let back = Snapshot::from_json(&json, Path::new("schema.json")).unwrap();
//! assert_eq!(back, snap);
//! ```
//!
//! Modules, bottom up:
//! - `model`: the serde schema model (`Snapshot` and its parts); `names`:
//!   ledger, system and quarantine names; `sql`: the SQL lexer;
//! - `error`, `error_code` (database codes and their kinds), `url`
//!   (parsing, redaction), `files` (reading only regular files, bounded);
//! - `driver` (driver errors into ours), `sqlite_connection` (statement
//!   timeout and interrupt for SQLite), `database` (connections, queries,
//!   read-only opens);
//! - `postgres`, `mysql`, `sqlite`: the catalog readers, each split into
//!   queries as values and pure row parsing;
//! - `snapshot_file`, `source`: snapshot files and expected-source specs;
//! - `migrations`: folders of nine frameworks, ledgers of ten tools,
//!   status, replay with provenance, ledger rows as the tools write them.
#![deny(missing_docs)]

mod database;
mod driver;
mod error;
mod error_code;
mod files;
mod migrations;
mod model;
mod mysql;
mod names;
mod postgres;
mod snapshot_file;
mod source;
pub mod sql;
mod sqlite;
mod sqlite_connection;
mod url;

pub use database::{ConnectOptions, Database, Row, Value};
pub use error::{BoxError, Error, Result};
pub use error_code::{DbErrorCode, ErrorKind};
pub use files::{
    read_regular_file, FileRefusal, DEFAULT_MAX_MIGRATION_SIZE, DEFAULT_MAX_SNAPSHOT_SIZE,
};
pub use migrations::{
    classify_modification, expect_from_command, migration_status, normalize_sql,
    object_fingerprints, read_ledgers, record_statements, recover_applied_sources, replay,
    select_ledger, split_statements, Checksum, Effect, EffectKind, Ledger, LedgerEntry, LedgerKind,
    LedgerState, LedgerTable, Migration, MigrationFormat, MigrationKind, MigrationLoadOptions,
    MigrationSet, MigrationState, MigrationStatus, Modification, Provenance, ProvenanceReads,
    Replay, ReplayOptions, ReplayStep, SchemaObject, SchemaObjectKind, SourceFile, SqlStatement,
    DEV_MARKER_TABLE,
};
pub use model::{
    Check, Column, Dialect, Enum, FkAction, ForeignKey, Generated, Identity, Index, IndexKey,
    IndexPart, ObjectCounts, PrimaryKey, Schema, Sequence, SequenceOwner, Snapshot, Table,
    UniqueConstraint, View, FORMAT_VERSION,
};
pub use names::{
    is_ledger_table, is_quarantined, is_system_schema, LEDGER_TABLES, QUARANTINE_PREFIX,
};
pub use source::Source;
pub use sqlite_connection::SqliteInterrupt;
pub use url::{redact, DbUrl};

/// What to read from a live database.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct IntrospectOptions {
    /// Schemas to read. Empty: every non-system schema (PostgreSQL), the
    /// URL's database (MySQL), `main` (SQLite).
    pub schemas: Vec<String>,
    /// Also read migration-ledger tables (`django_migrations` …) as tables.
    pub include_ledger_tables: bool,
    /// A scoped read (replay provenance): only the tables, views and
    /// sequences with these names (and what each reader documents it adds),
    /// no enums; still a fixed number of queries. `None`: everything.
    pub(crate) only: Option<std::collections::BTreeSet<String>>,
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

    /// Whether objects of `schema` are wanted (explicit list, or not a system schema).
    pub fn wants_schema(&self, schema: &str) -> bool {
        if self.schemas.is_empty() {
            !is_system_schema(schema)
        } else {
            self.schemas.iter().any(|s| s == schema)
        }
    }

    /// The same options, reading only the relations named `names` (see
    /// the `only` field).
    pub(crate) fn scoped(&self, names: std::collections::BTreeSet<String>) -> Self {
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
