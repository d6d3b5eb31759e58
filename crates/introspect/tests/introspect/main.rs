//! driftless-introspect's integration tests against real servers, one test
//! binary made of modules (`cargo test -p driftless-introspect --test
//! introspect`; one module: `… --test introspect tls::`).
//!
//! - `postgres_catalog`, `mysql_catalog`, `sqlite_catalog`: each reader on
//!   a fixture with every object kind, round trips counted;
//! - `postgres_versions`: the PostgreSQL fixtures on every other supported
//!   version (`DRIFTLESS_TEST_POSTGRES_URLS`);
//! - `seaschema_postgres`: an independent cross-check with sea-schema;
//! - `roundtrip`: snapshots through JSON and back;
//! - `connect_errors`: refused, unreachable and misnamed servers, codes kept;
//! - `tls`: plaintext first on loopback, TLS when asked or required.
//!
//! Migration folders, ledgers and replay are driftless-migrations' tests.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod connect_errors;
mod mysql_catalog;
mod postgres_catalog;
mod postgres_versions;
mod roundtrip;
mod seaschema_postgres;
mod sqlite_catalog;
mod tls;
