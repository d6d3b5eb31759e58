//! Migrations and ledgers as data: the migration set of a folder, the
//! ledger rows of a database, how the two reconcile ([`migration_status`]),
//! and which migration created or changed each object ([`Provenance`]).
//!
//! Reading them (folders, ledger tables, replay) is driftless-migrations'
//! work; everything here is pure.

mod checksum;
mod ledger;
mod lexer;
mod pending;
mod provenance;
mod rebuild;
mod status;

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

pub use checksum::Checksum;
pub use ledger::{Ledger, LedgerEntry, LedgerKind, LedgerState, LedgerTable};
pub use lexer::{normalize_sql, split_statements, SqlStatement};
pub use pending::{PendingFailure, PendingHazard, PendingRun};
pub use provenance::{object_fingerprints, Effect, EffectKind, Provenance};
pub use rebuild::{plan_ledger_rebuild, LedgerRebuild, RebuildStop};
pub use status::{
    classify_modification, migration_status, outside_apps, recorded_as_applied, select_ledger,
    MigrationState, MigrationStatus, Modification, OutsideApp,
};

/// The framework a migration folder belongs to.
///
/// Not `#[non_exhaustive]`: driftless-migrations detects and parses each
/// framework in exhaustive matches, so that a new one cannot be forgotten.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
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
    /// schema comes from running the framework's own migrate command.
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

    /// The name refinery records for this migration (see
    /// [`refinery_file_name`]).
    pub fn refinery_name(&self) -> Option<String> {
        let file = self.path.file_name()?.to_str()?;
        refinery_file_name(file).map(|(_, name)| name.to_string())
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
                let name = self.refinery_name()?;
                Checksum::refinery(&name, v, &self.content, false)
                    .or_else(|| Checksum::refinery(&name, v, &self.content, true))
            }
            _ => None,
        }
    }
}

/// refinery's reading of a migration file name (`V<n>__<name>.sql`, or
/// `U<n>__…`): its version and its name, as written; `None` for a name
/// refinery does not read.
///
/// ```
/// assert_eq!(driftless_model::refinery_file_name("V2__add_email.sql"), Some(("2", "add_email")));
/// assert_eq!(driftless_model::refinery_file_name("2_add_email.sql"), None);
/// ```
pub fn refinery_file_name(file_name: &str) -> Option<(&str, &str)> {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    // A constant pattern, exercised by the doc test: compiling it cannot
    // fail at run time.
    #[allow(clippy::expect_used)]
    let pattern = PATTERN.get_or_init(|| {
        Regex::new(r"^([UV])(\d+(?:\.\d+)?)__(\w+)").expect("refinery file pattern")
    });
    let c = pattern.captures(file_name)?;
    Some((c.get(2)?.as_str(), c.get(3)?.as_str()))
}

/// Compares Flyway versions numerically part by part (`1.10` after `1.9`,
/// `1.0` equal to `1`).
pub fn compare_flyway_versions(a: &str, b: &str) -> Ordering {
    let parts = |v: &str| -> Vec<u128> {
        let mut p: Vec<u128> = v
            .split(['.', '_'])
            .map(|x| x.parse().unwrap_or(0))
            .collect();
        while p.len() > 1 && p.last() == Some(&0) {
            p.pop();
        }
        p
    };
    parts(a).cmp(&parts(b))
}

/// The migrations of one folder, in the order their framework applies them
/// (driftless-migrations reads and parses folders into sets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationSet {
    /// The folder the set was read from.
    pub root: PathBuf,
    /// The framework.
    pub format: MigrationFormat,
    /// Migrations in apply order.
    pub migrations: Vec<Migration>,
    /// Earlier versions of modified files whose checksum matches the ledger,
    /// by migration id (filled by driftless-migrations' `recover_applied_sources`).
    #[serde(skip)]
    pub applied_sources: BTreeMap<String, String>,
}

impl MigrationSet {
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

    /// Whether the set is made of SQL files that driftless-migrations can
    /// replay.
    pub fn is_replayable(&self) -> bool {
        self.format.is_sql()
    }

    /// The file of `migration` on disk.
    pub fn file_path(&self, migration: &Migration) -> PathBuf {
        self.root.join(&migration.path)
    }
}
