//! driftless-migrations' integration tests, one test binary made of
//! modules (`cargo test -p driftless-migrations --test migrations`; one
//! module: `… --test migrations sqlite::`).
//!
//! - `sqlite`, `postgres`, `mysql`: folders, ledgers, replay and provenance
//!   on each backend;
//! - `provenance_scope`: scoped provenance reads against full ones;
//! - `rules`: the migration rules on real ledgers;
//! - `status`: sets reconciled with hand-made ledgers (no database);
//! - `stepper`: the Django stepper with the real Django.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod mysql;
mod postgres;
mod provenance_scope;
mod rules;
mod sqlite;
mod status;
mod stepper;
