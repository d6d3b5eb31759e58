//! Fleets: many targets compared with one expected schema — every tenant
//! schema of a database matching a glob (`--each-schema`), or many
//! databases (`--targets`, `--each-database`) — streamed as they finish,
//! grouped by identical drift, sharded across jobs, merged, and compared
//! with an earlier run.
//!
//! ```no_run
//! # async fn demo() -> driftless_pipeline::Result<()> {
//! use futures::StreamExt;
//! use driftless_introspect::DbUrl;
//! use driftless_pipeline::fleet::{Fleet, Groups};
//! use driftless_pipeline::SnapshotFile;
//!
//! let db = DbUrl::parse("postgres://app@db/saas")?;
//! let fleet = Fleet::new(Box::new(SnapshotFile::new("tenant.json")));
//! let mut groups = Groups::new();
//! let mut checks = fleet.each_schema(&db, "tenant_*").await?;
//! while let Some(check) = checks.next().await {
//!     let report = check.add_to(&mut groups);
//!     if report.drifted {
//!         println!("{} drifted", report.target);
//!     }
//! }
//! let (groups, summary) = groups.finish();
//! println!("{} clean, {} drifted in {} groups", summary.clean, summary.drifted, groups.len());
//! # Ok(()) }
//! ```

mod baseline;
mod cache;
mod databases;
mod fix;
mod report;
mod schemas;
mod shard;
mod target;

use std::sync::Arc;

use driftless_introspect::{ConnectOptions, DbUrl};
use driftless_model::Ledger;
use driftless_rules::{Config, Date, Registry};

use crate::check::today;
use crate::progress::{Progress, Silent};
use crate::source::{ExpectedSource, SourceContext};

pub use baseline::{Baseline, BaselineDiff, GroupChanges, TargetChange};
pub use databases::{list_databases, TargetUrl, DATABASE_PLACEHOLDER};
pub use fix::{GroupPlan, TargetFix};
pub use report::{fingerprint, FleetReport, FleetSummary, Group, Groups, MergeError, TargetReport};
pub use schemas::glob_matches;
pub use shard::{Shard, ShardError};
pub use target::TargetCheck;

/// Many targets checked against one expected source.
pub struct Fleet {
    source: Arc<cache::CachedSource>,
    expect_schema: Option<String>,
    registry: Registry,
    config: Config,
    read_only: ConnectOptions,
    read_write: ConnectOptions,
    progress: Arc<dyn Progress>,
    today: Option<Date>,
    jobs: usize,
    shard: Option<Shard>,
}

impl std::fmt::Debug for Fleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fleet")
            .field("source", &self.source.describe())
            .field("jobs", &self.jobs)
            .field("shard", &self.shard)
            .finish_non_exhaustive()
    }
}

impl Fleet {
    /// Targets compared with `source`: loaded once (once per distinct
    /// migration ledger, for a migrations source), shared by every target.
    pub fn new(source: Box<dyn ExpectedSource>) -> Self {
        Fleet {
            source: Arc::new(cache::CachedSource::new(source)),
            expect_schema: None,
            registry: Registry::builtin(),
            config: Config::default(),
            read_only: ConnectOptions::read_only(),
            read_write: ConnectOptions::default(),
            progress: Arc::new(Silent),
            today: today(),
            jobs: default_jobs(),
            shard: None,
        }
    }

    /// Compares each target with this schema of the expected side (needed
    /// when it has several; a template schema of a live database).
    pub fn with_expect_schema(mut self, schema: impl Into<String>) -> Self {
        self.expect_schema = Some(schema.into());
        self
    }

    /// Runs these rules.
    pub fn with_registry(mut self, registry: Registry) -> Self {
        self.registry = registry;
        self
    }

    /// Judges with this configuration.
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Opens databases with these options (see [`crate::DriftCheck::with_connect`]).
    pub fn with_connect(mut self, read_only: ConnectOptions, read_write: ConnectOptions) -> Self {
        self.read_only = read_only;
        self.read_write = read_write;
        self
    }

    /// Reports stages to `progress`.
    pub fn with_progress(mut self, progress: Arc<dyn Progress>) -> Self {
        self.progress = progress;
        self
    }

    /// Checks at most `jobs` databases at once (at least 1).
    pub fn with_jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs.max(1);
        self
    }

    /// Checks only the targets of `shard`.
    pub fn with_shard(mut self, shard: Shard) -> Self {
        self.shard = Some(shard);
        self
    }

    /// The expected source, for reports.
    pub fn describe(&self) -> String {
        self.source.describe()
    }

    /// Whether `target` is in this run's shard.
    fn holds(&self, target: &str) -> bool {
        self.shard.is_none_or(|s| s.holds(target))
    }

    /// The expected side as a target sees it (see [`cache::SharedSource`]).
    fn expected_source(&self, rename_to: Option<&str>, single: bool) -> cache::SharedSource {
        cache::SharedSource {
            cache: Arc::clone(&self.source),
            pick: self.expect_schema.clone(),
            rename_to: rename_to.map(str::to_string),
            single,
        }
    }

    /// What a source needs to load for `target` with its `ledgers`.
    fn source_cx<'a>(&'a self, target: &'a DbUrl, ledgers: &'a [Ledger]) -> SourceContext<'a> {
        SourceContext {
            target,
            schemas: &[],
            read_only: &self.read_only,
            read_write: &self.read_write,
            progress: self.progress.as_ref(),
            ledgers,
            opt_in: driftless_model::OptIn::default(),
        }
    }

    /// The failing severity of the configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

/// The default number of databases checked at once: twice the cores (a
/// check mostly waits on its database), at least 2.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| (n.get() * 2).max(2))
}
