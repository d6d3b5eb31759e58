//! Migration sets on disk, migration ledgers in the database, and the
//! expected schema obtained by replaying migrations.
//!
//! * [`MigrationSet::load`] detects the framework of a folder (sqlx,
//!   refinery / Flyway, golang-migrate, dbmate, diesel, Prisma, Django,
//!   Alembic, Rails, SeaORM) and reads its migrations in the order, with the
//!   ids and checksums, the framework itself uses. Parsing is pure
//!   ([`MigrationSet::from_files`]).
//! * [`read_ledgers`] finds and reads every migration ledger table with
//!   plain SELECTs.
//! * [`migration_status`] reconciles the two.
//! * [`replay`] runs SQL migrations one statement at a time into a scratch
//!   database and records which migration created or changed each object
//!   ([`Provenance`]); [`expect_from_command`] runs a framework's own
//!   migrate command instead.

mod checksum;
mod folder;
mod formats;
mod history;
mod ledger;
mod lexer;
mod provenance;
mod python;
mod record;
mod replay;
mod scope;
mod status;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub use checksum::Checksum;
pub use folder::MigrationLoadOptions;
pub use history::recover_applied_sources;
pub use ledger::{read_ledgers, Ledger, LedgerEntry, LedgerKind, LedgerState, LedgerTable};
pub use lexer::{normalize_sql, split_statements, SqlStatement};
pub use provenance::{
    object_fingerprints, Effect, EffectKind, Provenance, SchemaObject, SchemaObjectKind,
};
pub use record::record_statements;
pub use replay::{
    expect_from_command, replay, ProvenanceReads, Replay, ReplayOptions, ReplayStep,
    DEV_MARKER_TABLE,
};
pub use status::{
    classify_modification, migration_status, select_ledger, MigrationState, MigrationStatus,
    Modification,
};

/// The framework a migration folder belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum MigrationFormat {
    /// sqlx: `<version>_<description>.sql`, or `.up.sql` / `.down.sql`.
    Sqlx,
    /// refinery: `V<n>__<name>.sql` (same layout as Flyway).
    Refinery,
    /// Flyway: `V<version>__<description>.sql`, repeatable `R__<description>.sql`.
    Flyway,
    /// golang-migrate: `<version>_<title>.up.sql` / `.down.sql`.
    GolangMigrate,
    /// dbmate: `<version>_<name>.sql` with `-- migrate:up` / `-- migrate:down` sections.
    Dbmate,
    /// diesel: `<timestamp>_<name>/up.sql` (and `down.sql`).
    Diesel,
    /// Prisma: `<timestamp>_<name>/migration.sql`.
    Prisma,
    /// Django: `<app>/migrations/NNNN_<name>.py`.
    Django,
    /// Alembic: `versions/*.py` with `revision` / `down_revision`.
    Alembic,
    /// Rails: `db/migrate/<timestamp>_<name>.rb`.
    Rails,
    /// SeaORM: `m<date>_<time>_<name>.rs`.
    SeaOrm,
}

impl MigrationFormat {
    /// The kebab-case name (`golang-migrate`).
    pub fn as_str(self) -> &'static str {
        match self {
            MigrationFormat::Sqlx => "sqlx",
            MigrationFormat::Refinery => "refinery",
            MigrationFormat::Flyway => "flyway",
            MigrationFormat::GolangMigrate => "golang-migrate",
            MigrationFormat::Dbmate => "dbmate",
            MigrationFormat::Diesel => "diesel",
            MigrationFormat::Prisma => "prisma",
            MigrationFormat::Django => "django",
            MigrationFormat::Alembic => "alembic",
            MigrationFormat::Rails => "rails",
            MigrationFormat::SeaOrm => "sea-orm",
        }
    }

    /// Parses the kebab-case name.
    pub fn parse(s: &str) -> Option<Self> {
        ALL_FORMATS
            .iter()
            .copied()
            .find(|f| f.as_str() == s.to_ascii_lowercase())
    }

    /// Whether migrations of this format are SQL files driftless can replay.
    /// Django, Alembic, Rails and SeaORM migrations are code: their expected
    /// schema comes from [`expect_from_command`].
    pub fn is_sql(self) -> bool {
        !matches!(
            self,
            MigrationFormat::Django
                | MigrationFormat::Alembic
                | MigrationFormat::Rails
                | MigrationFormat::SeaOrm
        )
    }
}

const ALL_FORMATS: &[MigrationFormat] = &[
    MigrationFormat::Sqlx,
    MigrationFormat::Refinery,
    MigrationFormat::Flyway,
    MigrationFormat::GolangMigrate,
    MigrationFormat::Dbmate,
    MigrationFormat::Diesel,
    MigrationFormat::Prisma,
    MigrationFormat::Django,
    MigrationFormat::Alembic,
    MigrationFormat::Rails,
    MigrationFormat::SeaOrm,
];

impl fmt::Display for MigrationFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a migration runs once (versioned) or whenever it changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MigrationKind {
    /// Applied once, in version order.
    Versioned,
    /// Flyway `R__` migrations: re-applied after all versioned ones whenever
    /// their checksum changes.
    Repeatable,
}

/// One migration on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Migration {
    /// The key the framework's ledger records it under: the version
    /// (sqlx, golang-migrate, dbmate, diesel, Rails, refinery, Flyway), the
    /// script name for Flyway repeatables, the folder name (Prisma), the
    /// file stem (SeaORM), the revision (Alembic), `app.name` (Django).
    pub id: String,
    /// The version as written, when the framework has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The human name or description, as the framework records it.
    pub name: String,
    /// The Django app label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// Versioned or repeatable.
    pub kind: MigrationKind,
    /// The (up) file, relative to the set's root.
    pub path: PathBuf,
    /// The file's whole text (what checksums are computed over).
    #[serde(skip)]
    pub content: String,
    /// The SQL to run, for SQL migrations (dbmate: the `migrate:up`
    /// section). `None` for code migrations.
    #[serde(skip)]
    pub sql: Option<String>,
    /// 1-based line of the file where `sql` starts.
    #[serde(skip)]
    pub sql_line: usize,
    /// The checksum the set's own framework computes, if it keeps one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Checksum>,
    /// Ids this migration depends on (Django dependencies, Alembic
    /// down revisions and `depends_on`); empty for linear formats.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<String>,
    /// Ids a squashed Django migration replaces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replaces: Vec<String>,
    /// Whether the framework runs it outside a transaction.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_transaction: bool,
}

impl Migration {
    /// The display label: `0005_user_login_count`, `V2__add_index.sql`,
    /// `shop.0002_order`, `20240101120000_create_users`.
    pub fn label(&self) -> String {
        match self.path.file_name().and_then(|f| f.to_str()) {
            Some("up.sql" | "migration.sql") => self
                .path
                .parent()
                .and_then(|p| p.file_name())
                .and_then(|f| f.to_str())
                .unwrap_or(&self.id)
                .to_string(),
            _ if self.app.is_some() => self.id.clone(),
            Some(file) => file
                .trim_end_matches(".up.sql")
                .trim_end_matches(".sql")
                .trim_end_matches(".py")
                .trim_end_matches(".rb")
                .trim_end_matches(".rs")
                .to_string(),
            None => self.id.clone(),
        }
    }

    /// The checksum a ledger of `kind` stores for this migration, computed
    /// the way that framework computes it; `None` when it keeps none.
    pub fn checksum_for(&self, kind: LedgerKind) -> Option<Checksum> {
        match kind {
            LedgerKind::Sqlx => Some(Checksum::sqlx(&self.content)),
            LedgerKind::Flyway => Some(Checksum::flyway(&self.content)),
            LedgerKind::Prisma => Some(Checksum::prisma(&self.content)),
            LedgerKind::Refinery => {
                let v = self.version.as_deref()?.parse::<i64>().ok()?;
                let name = formats::refinery_name(&self.path)?;
                Checksum::refinery(&name, v, &self.content, false)
                    .or_else(|| Checksum::refinery(&name, v, &self.content, true))
            }
            _ => None,
        }
    }
}

/// A file handed to [`MigrationSet::from_files`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Path relative to the set's root, with `/` separators.
    pub path: PathBuf,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

impl SourceFile {
    /// A file from its relative path and text.
    pub fn new(path: impl Into<PathBuf>, text: impl Into<Vec<u8>>) -> Self {
        SourceFile {
            path: path.into(),
            bytes: text.into(),
        }
    }
}

/// The migrations of one folder, in the order their framework applies them.
///
/// ```
/// use driftless_introspect::{MigrationFormat, MigrationSet, SourceFile};
/// use std::path::Path;
///
/// let files = vec![
///     SourceFile::new("2_add_email.sql", "ALTER TABLE users ADD COLUMN email text;"),
///     SourceFile::new("1_create_users.sql", "CREATE TABLE users (id integer primary key);"),
/// ];
/// let set = MigrationSet::from_files(Path::new("migrations"), &files).unwrap();
/// assert_eq!(set.format, MigrationFormat::Sqlx);
/// assert_eq!(set.ids(), vec!["1", "2"]);
/// assert_eq!(set.migrations[1].name, "add email");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationSet {
    /// The folder the set was read from.
    pub root: PathBuf,
    /// The framework.
    pub format: MigrationFormat,
    /// Migrations in apply order.
    pub migrations: Vec<Migration>,
    /// Earlier versions of modified files whose checksum matches the ledger,
    /// by migration id (filled by [`recover_applied_sources`]).
    #[serde(skip)]
    pub applied_sources: BTreeMap<String, String>,
}

impl MigrationSet {
    /// Reads `dir` and detects its framework, with the default
    /// [`MigrationLoadOptions`].
    pub fn load(dir: &Path) -> Result<Self> {
        Self::load_with(dir, &MigrationLoadOptions::default())
    }

    /// Reads `dir` as a set of the given framework (for layouts that two
    /// frameworks share, such as refinery and Flyway).
    pub fn load_as(dir: &Path, format: MigrationFormat) -> Result<Self> {
        Self::load_with(dir, &MigrationLoadOptions::default().with_format(format))
    }

    /// Reads `dir` as `options` say: only regular files inside the folder,
    /// each at most [`MigrationLoadOptions::max_file_size`] bytes (see
    /// [`MigrationLoadOptions`] for what is refused and what is skipped).
    pub fn load_with(dir: &Path, options: &MigrationLoadOptions) -> Result<Self> {
        let files = folder::read_tree(dir, options.max_file_size)?;
        match options.format {
            Some(format) => formats::parse(dir, &files, format),
            None => Self::from_files(dir, &files),
        }
    }

    /// Detects the framework of `files` (paths relative to `root`) and
    /// parses them. Pure: `root` only prefixes paths in errors.
    pub fn from_files(root: &Path, files: &[SourceFile]) -> Result<Self> {
        let format = formats::detect(files).ok_or_else(|| Error::Migration {
            path: root.to_path_buf(),
            line: 0,
            message: "no migrations found: expected a sqlx, refinery/Flyway, golang-migrate, dbmate, diesel, Prisma, Django, Alembic, Rails or SeaORM layout".into(),
        })?;
        formats::parse(root, files, format)
    }

    /// Parses `files` as a set of `format`. Pure.
    pub fn from_files_as(
        root: &Path,
        files: &[SourceFile],
        format: MigrationFormat,
    ) -> Result<Self> {
        formats::parse(root, files, format)
    }

    /// Migration ids in apply order.
    pub fn ids(&self) -> Vec<&str> {
        self.migrations.iter().map(|m| m.id.as_str()).collect()
    }

    /// The migration with `id`.
    pub fn get(&self, id: &str) -> Option<&Migration> {
        self.migrations.iter().find(|m| m.id == id)
    }

    /// The Django app labels (or other groups) present in the set.
    pub fn apps(&self) -> Vec<&str> {
        let mut apps: Vec<&str> = self
            .migrations
            .iter()
            .filter_map(|m| m.app.as_deref())
            .collect();
        apps.sort();
        apps.dedup();
        apps
    }

    /// Whether the set is made of SQL files that [`replay`] can run.
    pub fn is_replayable(&self) -> bool {
        self.format.is_sql()
    }

    /// The file of `migration` on disk.
    pub fn file_path(&self, migration: &Migration) -> PathBuf {
        self.root.join(&migration.path)
    }
}
