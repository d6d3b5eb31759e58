//! The whole driftless pipeline as a library: **sources → snapshots →
//! rules → findings → plan**, as the `driftless` command runs it.
//!
//! A [`DriftCheck`] compares one database with an [`ExpectedSource`] — a
//! live database ([`LiveDatabase`]), a snapshot file ([`SnapshotFile`]), a
//! folder of SQL migrations replayed into a scratch database
//! ([`MigrationReplay`]), a framework's own migrate command
//! ([`MigrationCommand`]), a schema you already hold ([`GivenSchema`]), or a
//! source of your own — and returns a
//! [`Checked`]: both schemas, the migration ledgers, the findings, and
//! from there the repair plan.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use driftless_introspect::DbUrl;
//! use driftless_pipeline::{DriftCheck, SnapshotFile};
//!
//! let dir = tempfile::tempdir()?;
//! let db = dir.path().join("app.db");
//! let target = DbUrl::parse(&format!("sqlite:{}", db.display()))?;
//! # let create = driftless_introspect::ConnectOptions::default().with_create_if_missing(true);
//! # let mut conn = driftless_introspect::Database::connect(&target, &create).await?;
//! # conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)", "setup").await?;
//! # let expected = conn.snapshot(&Default::default()).await?;
//! # conn.execute("ALTER TABLE users ADD COLUMN avatar TEXT", "setup").await?;
//! # conn.close().await?;
//! # expected.save(&dir.path().join("schema.json"))?;
//! // schema.json: a snapshot of the schema as it should be.
//! let source = SnapshotFile::new(dir.path().join("schema.json"));
//! let checked = DriftCheck::new(target, Box::new(source)).run().await?;
//! assert!(checked.drifted());
//! assert_eq!(checked.report.findings[0].rule, "orphan-column");
//! # Ok(()) }
//! ```
//!
//! Modules: `source` (the trait and what it yields), `sources` (the
//! built-in sources), `check` (the comparison and what follows from it),
//! `repair` (apply, plan again when stale, judge), `quarantine` (what
//! fixes set aside, restored),
//! `live` (reading a live database), `progress` (stage reports), `error`.
#![deny(missing_docs)]

mod check;
mod error;
pub mod fleet;
mod live;
mod pending;
mod preflight;
mod progress;
mod quarantine;
mod repair;
mod source;
mod sources;

pub use check::{today, Checked, DriftCheck};
pub use error::{Error, Result};
pub use live::read_live;
pub use pending::default_migrate_command;
pub use progress::{Progress, Silent, Stage};
pub use quarantine::{quarantine_list, quarantine_restore, Restored};
pub use repair::Repair;
pub use source::{Expected, ExpectedSource, SourceContext};
pub use sources::{
    source_from_spec, GivenSchema, LiveDatabase, MigrationCommand, MigrationReplay, SnapshotFile,
};
