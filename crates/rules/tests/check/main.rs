//! Integration tests of driftless-rules through its public API: the
//! configuration file, running a registry (severities, ignores, waivers),
//! the check(S, S) property, the size benchmark, and the rules against
//! real catalogs (`live`). One test binary made of modules.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod config;
mod live;
mod perf;
mod property;
mod report;
mod support;
