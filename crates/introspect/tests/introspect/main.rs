//! driftless-introspect's integration tests against real servers, one test
//! binary made of modules (`cargo test -p driftless-introspect --test
//! introspect`; one module: `… --test introspect tls::`).
//!
//! - `postgres_catalog`, `mysql_catalog`, `sqlite_catalog`: each reader on
//!   a fixture with every object kind, round trips counted;
//! - `seaschema_postgres`: an independent cross-check with sea-schema;
//! - `roundtrip`: snapshots through JSON and back;
//! - `connect_errors`: refused, unreachable and misnamed servers, codes kept;
//! - `tls`: plaintext first on loopback, TLS when asked or required;
//! - `migrations_*`: folders, ledgers, replay and provenance per backend.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod connect_errors;
mod migrations_mysql;
mod migrations_postgres;
mod migrations_provenance_scope;
mod migrations_rules;
mod migrations_sqlite;
mod mysql_catalog;
mod postgres_catalog;
mod roundtrip;
mod seaschema_postgres;
mod sqlite_catalog;
mod tls;
