//! Migration ledgers as data: the tables in which migration tools record
//! what they applied, and the rows read from them (driftless-migrations
//! finds and reads them).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Checksum, MigrationFormat};
use crate::schema::Dialect;

/// The tool whose ledger a table is.
///
/// Not `#[non_exhaustive]`: driftless-migrations reads and writes each
/// tool's rows in exhaustive matches, so that a new one cannot be forgotten.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LedgerKind {
    /// `django_migrations (id, app, name, applied)`.
    Django,
    /// `_sqlx_migrations (version, description, installed_on, success, checksum, execution_time)`.
    Sqlx,
    /// `refinery_schema_history (version, name, applied_on, checksum)`.
    Refinery,
    /// `__diesel_schema_migrations (version, run_on)`.
    Diesel,
    /// `seaql_migrations (version, applied_at)`.
    SeaOrm,
    /// `flyway_schema_history (installed_rank, version, description, type, script, checksum, …, success)`.
    Flyway,
    /// golang-migrate's `schema_migrations (version, dirty)`: one row, the current version.
    GolangMigrate,
    /// dbmate's `schema_migrations (version)`: one row per applied migration.
    Dbmate,
    /// Rails' `schema_migrations (version)` (next to `ar_internal_metadata`).
    Rails,
    /// `alembic_version (version_num)`: one row per head.
    Alembic,
    /// `_prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)`.
    Prisma,
}

impl LedgerKind {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerKind::Django => "django",
            LedgerKind::Sqlx => "sqlx",
            LedgerKind::Refinery => "refinery",
            LedgerKind::Diesel => "diesel",
            LedgerKind::SeaOrm => "sea-orm",
            LedgerKind::Flyway => "flyway",
            LedgerKind::GolangMigrate => "golang-migrate",
            LedgerKind::Dbmate => "dbmate",
            LedgerKind::Rails => "rails",
            LedgerKind::Alembic => "alembic",
            LedgerKind::Prisma => "prisma",
        }
    }

    /// The table the tool keeps its ledger in.
    pub fn table(self) -> &'static str {
        match self {
            LedgerKind::Django => "django_migrations",
            LedgerKind::Sqlx => "_sqlx_migrations",
            LedgerKind::Refinery => "refinery_schema_history",
            LedgerKind::Diesel => "__diesel_schema_migrations",
            LedgerKind::SeaOrm => "seaql_migrations",
            LedgerKind::Flyway => "flyway_schema_history",
            LedgerKind::GolangMigrate | LedgerKind::Dbmate | LedgerKind::Rails => {
                "schema_migrations"
            }
            LedgerKind::Alembic => "alembic_version",
            LedgerKind::Prisma => "_prisma_migrations",
        }
    }

    /// The tool's own command that records a migration as applied without
    /// running it, for tools that have one (Django's `--fake`, Alembic's
    /// `stamp` …); `None` for those that do not (sqlx, Rails, dbmate …).
    pub fn record_command(self) -> Option<&'static str> {
        match self {
            LedgerKind::Django => Some("python manage.py migrate APP NAME --fake"),
            LedgerKind::Alembic => Some("alembic stamp REVISION"),
            LedgerKind::Prisma => Some("prisma migrate resolve --applied NAME"),
            LedgerKind::GolangMigrate => Some("migrate force VERSION"),
            LedgerKind::Sqlx
            | LedgerKind::Refinery
            | LedgerKind::Diesel
            | LedgerKind::SeaOrm
            | LedgerKind::Flyway
            | LedgerKind::Dbmate
            | LedgerKind::Rails => None,
        }
    }

    /// Whether the ledger records only the current version(s) rather than
    /// one row per applied migration (golang-migrate, Alembic).
    pub fn heads_only(self) -> bool {
        matches!(self, LedgerKind::GolangMigrate | LedgerKind::Alembic)
    }

    /// The ledger a layout's own tool keeps (the one to create when a
    /// database has none): the kind whose best match is `format`.
    pub fn for_format(format: MigrationFormat) -> LedgerKind {
        use MigrationFormat as F;
        match format {
            F::Django => LedgerKind::Django,
            F::Sqlx => LedgerKind::Sqlx,
            F::Refinery => LedgerKind::Refinery,
            F::Flyway => LedgerKind::Flyway,
            F::GolangMigrate => LedgerKind::GolangMigrate,
            F::Dbmate => LedgerKind::Dbmate,
            F::Diesel => LedgerKind::Diesel,
            F::Prisma => LedgerKind::Prisma,
            F::Alembic => LedgerKind::Alembic,
            F::Rails => LedgerKind::Rails,
            F::SeaOrm => LedgerKind::SeaOrm,
        }
    }

    /// Migration layouts whose ids this ledger records, best match first.
    pub fn formats(self) -> &'static [MigrationFormat] {
        use MigrationFormat as F;
        match self {
            LedgerKind::Django => &[F::Django],
            LedgerKind::Sqlx => &[F::Sqlx, F::GolangMigrate],
            LedgerKind::Refinery => &[F::Refinery, F::Flyway],
            LedgerKind::Diesel => &[F::Diesel],
            LedgerKind::SeaOrm => &[F::SeaOrm],
            LedgerKind::Flyway => &[F::Flyway, F::Refinery],
            LedgerKind::GolangMigrate => &[F::GolangMigrate, F::Sqlx],
            LedgerKind::Dbmate => &[F::Dbmate, F::Rails],
            LedgerKind::Rails => &[F::Rails, F::Dbmate],
            LedgerKind::Alembic => &[F::Alembic],
            LedgerKind::Prisma => &[F::Prisma],
        }
    }
}

impl fmt::Display for LedgerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a ledger lives.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LedgerTable {
    /// The tool.
    pub kind: LedgerKind,
    /// Schema (MySQL: database; SQLite: `main`).
    pub schema: String,
    /// Table name.
    pub table: String,
    /// refinery: the version column is 64-bit (`int8-versions`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub wide_versions: bool,
}

/// What a ledger row says about its migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LedgerState {
    /// Applied successfully.
    Applied,
    /// Started and failed (sqlx `success = false`, Flyway `success = false`,
    /// Prisma: not finished and not rolled back).
    Failed,
    /// golang-migrate's `dirty = true`: the migration stopped half-way.
    Dirty,
    /// Prisma: marked rolled back (`migrate resolve --rolled-back`).
    RolledBack,
    /// Flyway baseline: everything up to this version counts as applied.
    Baseline,
}

/// One row of a ledger (one per migration where the tool keeps several).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// The migration's key, comparable to [`super::Migration::id`].
    pub id: String,
    /// Name or description as recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Django app label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// Recorded checksum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Checksum>,
    /// When it was applied, as the database prints the timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_at: Option<String>,
    /// Applied, failed, dirty …
    pub state: LedgerState,
    /// How long it ran, in milliseconds, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_ms: Option<i64>,
    /// Extra text the tool recorded (Prisma's `logs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A migration ledger read from a database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    /// Where it lives and whose it is.
    pub table: LedgerTable,
    /// The database kind it was read from.
    pub dialect: Dialect,
    /// Rows in the tool's order.
    pub entries: Vec<LedgerEntry>,
}
impl Ledger {
    /// The tool.
    pub fn kind(&self) -> LedgerKind {
        self.table.kind
    }

    /// The entry with `id`.
    pub fn entry(&self, id: &str) -> Option<&LedgerEntry> {
        self.entries.iter().find(|e| e.id == id)
    }
}
