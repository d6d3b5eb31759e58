//! Integration tests of driftless-rules through its public API: the
//! configuration file, running a registry (severities, ignores, waivers),
//! the check(S, S) property, and the size benchmark.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod config;
mod perf;
mod property;
mod report;
mod support;
