//! End-to-end tests of the whole pipeline against real databases, one test
//! binary made of modules (`cargo test -p driftless-e2e --test e2e`; one
//! module: `… --test e2e fix_story::`). The conformance corpus runs as its
//! own binary (`--test conformance`, its own harness).
//!
//! - `convergence`: random schema pairs with data converge, on every backend;
//! - `fix_*`: the fixer on real databases: the deploy story, failures and
//!   rollbacks, locks, preflight refusals, table rebuilds, the guarded
//!   script, name collisions, object kinds, the MariaDB `ALTER TABLE`
//!   algorithm of each column change (`fix_algorithms`);
//! - `quarantine`: orphans set aside, listed and restored, on every backend;
//! - `pending`: two expected states and the deploy preflight, with sqlx's
//!   own migrator, on every backend;
//! - `ledger_repair`: a lost ledger rebuilt, and ledger rows on MariaDB
//!   written only once their effects are there, with sqlx's own migrator;
//! - `golden`: the ledger rows driftless writes equal each migration
//!   tool's own (the real tool where a registry has it; needs
//!   `scripts/test-python`, `scripts/test-dbmate` and Debian's Rails);
//! - `sqlite_kinds`: SQLite's triggers, table options, generated and
//!   untyped columns and partial indexes found and converged with rows;
//! - `managed_partitions`: pg_partman's partitions are its own, not drift,
//!   and `[coverage] ignore = ["partition"]` leaves partitions out;
//! - `hostile_identifiers`: names that break quoting, end to end;
//! - `postgres_details`: PostgreSQL details other projects' schema suites
//!   exercise (index storage parameters, …), found and converged;
//! - `privileges`: PostgreSQL grants and default privileges (opt-in),
//!   unlogged tables and orphan schemas, found and converged with rows;
//! - `fuzz_corpus`: the fuzz targets on their committed corpus;
//! - `schema_pairing`: the rules and the fixer pair a MySQL database or a
//!   SQLite `main` with a single schema of another name alike;
//! - `fleet`: tenant schemas and many databases against one expected
//!   schema: groups, shards, merge, baseline, the fix by group;
//! - `support`: fresh databases, check + plan + repair through the pipeline.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod convergence;
mod defined_objects;
mod fix_algorithms;
mod fix_collisions;
mod fix_failures;
mod fix_features;
mod fix_locks;
mod fix_preflight;
mod fix_rebuilds;
mod fix_script;
mod fix_story;
mod fleet;
mod fuzz_corpus;
mod golden;
mod hostile_identifiers;
mod ledger_repair;
mod managed_partitions;
mod pending;
mod postgres_details;
mod privileges;
mod quarantine;
mod schema_pairing;
mod sqlite_kinds;
mod support;
mod view_options;
