//! `--targets` and `--each-database`: many databases, each read on its
//! own connection, a bounded number at once, each within a time budget; a
//! target that fails is reported as that target's error.

use std::time::Duration;

use driftless_introspect::{ConnectOptions, Database, DbUrl};
use driftless_model::Dialect;
use futures::stream::{BoxStream, Stream, StreamExt};

use super::schemas::matcher;
use super::target::TargetCheck;
use super::Fleet;
use crate::check::DriftCheck;
use crate::error::{Error, Result};

/// The name a MySQL target's own database has in its group's findings,
/// when the expected side has no name of its own for it.
pub const DATABASE_PLACEHOLDER: &str = "{database}";

/// A database of a fleet: its URL, or why the list could not give one (a
/// line that is not a URL), reported as that target's error.
pub type TargetUrl = std::result::Result<DbUrl, (String, String)>;

/// Every database of the server `server` points at whose name matches
/// `glob`, as URLs that differ from `server` only in the database
/// (PostgreSQL: templates and databases that refuse connections left out;
/// MySQL/MariaDB: system databases left out).
pub async fn list_databases(
    server: &DbUrl,
    glob: &str,
    connect: &ConnectOptions,
) -> Result<Vec<DbUrl>> {
    let glob_matcher = matcher(glob)?;
    let query = match server.dialect() {
        Dialect::Postgres => {
            "SELECT datname::text FROM pg_catalog.pg_database \
             WHERE NOT datistemplate AND datallowconn ORDER BY 1"
        }
        Dialect::Mysql => {
            "SELECT CAST(schema_name AS CHAR) FROM information_schema.schemata \
             WHERE schema_name NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') \
             ORDER BY 1"
        }
        Dialect::Sqlite => {
            return Err(Error::InvalidGlob {
                glob: glob.to_string(),
                error: "a SQLite file is one database: list the files with --targets".into(),
            })
        }
    };
    let mut db = Database::connect(server, connect).await?;
    let rows = db.query(query, "listing the databases").await?;
    db.close().await?;
    let mut urls = Vec::new();
    for name in rows
        .iter()
        .filter_map(|r| r.first().and_then(|v| v.as_str()))
        .filter(|n| glob_matcher.is_match(n))
    {
        urls.push(server.with_database(name)?);
    }
    if urls.is_empty() {
        return Err(Error::NoTargets {
            what: "database",
            url: server.to_string(),
            glob: glob.to_string(),
        });
    }
    Ok(urls)
}

impl Fleet {
    /// Loads the expected side as a database `target` of the fleet gets it
    /// (cached for the targets): call it before [`Fleet::databases`] so
    /// that a source that cannot be loaded is one error, not one per target.
    pub async fn load_expected(&self, target: &DbUrl) -> Result<()> {
        self.expected_source(None, false)
            .canonical(&self.source_cx(target, &[]))
            .await
            .map(drop)
    }

    /// Checks every database of `targets` in this run's shard, at most
    /// [`with_jobs`](Fleet::with_jobs) at once, each within `budget` (when
    /// given); yields each as it finishes.
    pub fn databases<'a>(
        &'a self,
        targets: impl Stream<Item = TargetUrl> + Send + 'a,
        budget: Option<Duration>,
    ) -> BoxStream<'a, TargetCheck> {
        targets
            .filter(move |t| {
                let name = match t {
                    Ok(url) => url.to_string(),
                    Err((name, _)) => name.clone(),
                };
                futures::future::ready(self.holds(&name))
            })
            .map(move |t| async move {
                match t {
                    Ok(url) => self.database_check(url, budget).await,
                    Err((name, error)) => TargetCheck::new(name, Err(Error::Target(error)), None),
                }
            })
            .buffer_unordered(self.jobs)
            .boxed()
    }

    /// One database, judged against the expected side (renamed to its own
    /// database name on MySQL, where a schema is a database).
    async fn database_check(&self, url: DbUrl, budget: Option<Duration>) -> TargetCheck {
        let name = url.to_string();
        let own = (url.dialect() == Dialect::Mysql)
            .then(|| url.database().map(str::to_string))
            .flatten();
        let source = self.expected_source(own.as_deref(), false);
        let cx = self.source_cx(&url, &[]);
        // Findings group under the expected schema's name, or a
        // placeholder when the expected side is named as the target.
        let canonical = match &own {
            Some(own) if !self.source.uses_migrations() => source
                .canonical(&cx)
                .await
                .ok()
                .flatten()
                .filter(|c| c != own)
                .or_else(|| Some(DATABASE_PLACEHOLDER.to_string())),
            Some(_) => Some(DATABASE_PLACEHOLDER.to_string()),
            None => None,
        };
        let check = DriftCheck::new(url.clone(), Box::new(source))
            .with_registry(self.registry.clone())
            .with_config(self.config.clone())
            .with_connect(self.read_only.clone(), self.read_write.clone())
            .with_today(self.today)
            .run();
        let result = match budget {
            Some(limit) => tokio::time::timeout(limit, check)
                .await
                .unwrap_or(Err(Error::TargetTimeout(limit))),
            None => check.await,
        };
        TargetCheck::new(name, result, own.zip(canonical))
    }
}
