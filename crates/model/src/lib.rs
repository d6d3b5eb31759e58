//! The schema model of driftless: plain data that every other crate shares,
//! with no database driver behind it.
//!
//! A [`Snapshot`] is a database schema as data (tables, columns, indexes,
//! constraints, enums, views, sequences), serialised to deterministic JSON
//! for snapshot files. Beside it, migrations and ledgers as data: the
//! [`MigrationSet`] of a folder, the [`Ledger`] rows of a database, how the
//! two reconcile ([`migration_status`]) and which migration made each
//! object ([`Provenance`]). Producing these is the other crates' work:
//! driftless-introspect reads live catalogs, driftless-migrations reads
//! migration folders and ledgers and replays migrations.
//!
//! The [`sql`] module is the one SQL lexer of the workspace: migration
//! splitting, the SQLite DDL reader, and (in driftless-rules and
//! driftless-fixer) SQL comparison and fragment checks all read its tokens.
//!
//! ```
//! use driftless_model::{Column, Dialect, Snapshot, Table};
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
//! - `schema`: the serde schema model (`Snapshot` and its parts, `Dialect`);
//!   `names`: ledger, system and quarantine names; `sql`: the SQL lexer;
//!   `object`: which object is this ([`ObjectRef`], [`ObjectKind`]), as
//!   findings, provenance and fix plans name objects;
//! - `pairing`: which expected schema is which actual one
//!   ([`SchemaPairing`]), for the rules and the fixer alike;
//! - `error`: errors reading snapshot files and migration folders;
//!   `files`: reading only regular files, bounded;
//! - `lock`: the table lock a statement takes ([`LockLevel`], [`statement_lock`]),
//!   and the lock of each MySQL/MariaDB `ALTER TABLE` algorithm ([`AlterAlgorithm`]);
//! - `sizes`: live table sizes read with a schema, never compared;
//! - `snapshot_file`: snapshot JSON, files read and written;
//! - `migration`: migration sets and ledgers as data, with `checksum`
//!   (the checksums of eight tools), `ledger` (ledger tables and rows),
//!   `lexer` (statement splitting, normalising), `provenance` (effects of
//!   each migration, object fingerprints) and `status` (a set reconciled
//!   with a ledger).
#![deny(missing_docs)]

mod adopt;
mod catalog;
mod defined;
mod dialect;
mod error;
mod files;
mod hazard;
mod lock;
mod migration;
mod names;
mod object;
mod pairing;
mod rename;
mod schema;
mod sizes;
mod snapshot_file;
pub mod sql;

pub use adopt::accept_pending_effects;
pub use catalog::{CatalogKind, CatalogObject, NotCompared, OptIn};
pub use defined::DefinedObject;
pub use error::{Error, Result};
pub use files::{
    read_regular_file, special_file_kind, FileRefusal, DEFAULT_MAX_MIGRATION_SIZE,
    DEFAULT_MAX_SNAPSHOT_SIZE,
};
pub use hazard::{column_backfills, statement_hazards, Hazard, HazardKind};
pub use lock::{statement_lock, AlterAlgorithm, LockLevel, StatementLock};
pub use migration::{
    classify_modification, compare_flyway_versions, migration_status, normalize_sql,
    object_fingerprints, outside_apps, recorded_as_applied, refinery_file_name, select_ledger,
    split_statements, Checksum, Effect, EffectKind, Ledger, LedgerEntry, LedgerKind, LedgerState,
    LedgerTable, Migration, MigrationFormat, MigrationKind, MigrationSet, MigrationState,
    MigrationStatus, Modification, OutsideApp, PendingFailure, PendingHazard, PendingRun,
    Provenance, SqlStatement,
};
pub use migration::{plan_ledger_rebuild, LedgerRebuild, RebuildStop};
pub use names::{
    is_ledger_table, is_quarantine_schema, is_quarantined, is_system_schema, LEDGER_TABLES,
    QUARANTINE_CATALOG, QUARANTINE_PREFIX, QUARANTINE_SCHEMA,
};
pub use object::{Described, ObjectKind, ObjectRef, QualifiedName};
pub use pairing::{SchemaPair, SchemaPairing};
pub use rename::{rename_schema_in_json, rename_schema_in_text, renamed_schema};
pub use schema::{
    collation_charset, Check, Column, Dialect, Enum, Exclusion, FkAction, ForeignKey, Generated,
    Identity, IdentityOptions, Index, IndexKey, IndexPart, ObjectCounts, PrimaryKey, Schema,
    Sequence, SequenceOwner, Snapshot, Table, UniqueConstraint, View, CHECK_OPTION, FORMAT_VERSION,
    INHERITS, PARTITION_BOUND, PARTITION_BY, PARTITION_OF, PERSISTENCE, SECURITY_INVOKER, STORAGE,
    UNLOGGED,
};
pub use sizes::{human_bytes, LiveSizes, TableSize};
