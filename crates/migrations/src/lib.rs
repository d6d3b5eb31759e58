//! Migrations for driftless: migration folders of eleven frameworks,
//! migration ledgers of eleven tools, and the expected schema obtained by
//! replaying migrations. The sets, ledgers, statuses and provenance these
//! produce are plain data of driftless-model; the databases are reached
//! through driftless-introspect.
//!
//! * [`load_migrations`] detects the framework of a folder (sqlx,
//!   refinery / Flyway, golang-migrate, dbmate, diesel, Prisma, Django,
//!   Alembic, Rails, SeaORM) and reads its migrations in the order, with the
//!   ids and checksums, the framework itself uses. Parsing is pure
//!   ([`parse_migrations`]).
//! * [`read_ledgers`] finds and reads every migration ledger table with
//!   plain SELECTs; [`recover_applied_sources`] finds, in git history, the
//!   text a modified migration had when it was applied.
//! * [`migration_status`](driftless_model::migration_status) (in
//!   driftless-model) reconciles the two.
//! * [`replay`] runs SQL migrations one statement at a time into a scratch
//!   database and records which migration created or changed each object
//!   ([`Provenance`](driftless_model::Provenance)); [`expect_from_command`]
//!   runs a framework's own migrate command instead, and
//!   [`replay_framework`] lets Django or Alembic apply their migrations one
//!   at a time, with the same provenance (Rails, or any framework given a
//!   per-migration command, too: the schema is read in full after each).
//! * The rows that record a migration as applied, the way each tool
//!   writes them, are SQL: driftless-fixer's `record_statements` writes them.
//!
//! Errors are [`driftless_introspect::Error`]s: a folder that cannot be
//! understood is its `Model` variant, a ledger or replay that fails in the
//! database one of its database variants.
//!
//! ```
//! use driftless_migrations::{parse_migrations, SourceFile};
//! use driftless_model::{migration_status, MigrationState};
//! use std::path::Path;
//!
//! let files = [SourceFile::new("1_create_users.sql", "CREATE TABLE users (id integer);")];
//! let set = parse_migrations(Path::new("migrations"), &files).unwrap();
//! // No ledger yet: every migration is pending.
//! let status = migration_status(&set, None);
//! assert_eq!(status[0].state, MigrationState::Unapplied);
//! ```
//!
//! Modules, bottom up:
//! - `python`: a reader of the Python literals Django and Alembic
//!   migrations declare; `formats`: detecting and parsing each framework's
//!   layout (pure, on [`SourceFile`]s); `folder`: walking a migrations
//!   folder (what is read, refused, skipped);
//! - `ledger`: finding and reading ledger tables (queries as values, pure
//!   row parsing, one async reader); `history`: applied texts recovered from git;
//! - `scope`: which relations a migration touches, for scoped provenance
//!   reads; `replay`: replay into a scratch database, provenance, and
//!   framework migrate commands;
//! - `stepper`: the Django and Alembic drivers (Python shipped inside) and
//!   their line protocol; `stepped`: provenance for migrations that are
//!   code, by stepping the framework one migration at a time;
//! - `preflight`: the pending migrations applied to a copy of the live
//!   schema, as the next migrate will (the deploy preflight).
#![deny(missing_docs)]

mod alembic_ini;
mod folder;
mod formats;
mod history;
mod ledger;
mod preflight;
mod python;
mod replay;
mod scope;
mod stepped;
mod stepper;
mod tracker;

pub use alembic_ini::alembic_folder;
pub use folder::{load_migrations, load_migrations_as, load_migrations_with, MigrationLoadOptions};
pub use formats::{parse_migrations, parse_migrations_as, SourceFile};
pub use history::recover_applied_sources;
pub use ledger::{
    detect_ledger_tables, ledger_catalog_query, ledger_query, parse_ledger, read_ledgers,
};
pub use preflight::{preflight_framework, preflight_sql, PreflightInput};
pub use replay::{
    expect_from_command, replay, run_command, Replay, ReplayOptions, ReplayStep, DEV_MARKER_TABLE,
};
pub use stepped::{replay_framework, FrameworkReplay};
pub use stepper::{
    alembic_project, default_python, django_project, rails_project, CommandStep, Framework,
    FrameworkGraph, FrameworkNode, MigrationKey, Refusal, StepOutcome, Stepper, RAILS_STEP,
};
pub use tracker::ProvenanceReads;
