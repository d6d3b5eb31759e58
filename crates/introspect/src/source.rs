//! Where an expected schema comes from.

use std::path::PathBuf;

use crate::error::Result;
use crate::url::DbUrl;

/// The origin of a schema: a live database, a snapshot file or a folder of
/// migrations.
///
/// ```
/// use driftless_introspect::Source;
/// assert!(matches!(Source::parse("mysql://root@127.0.0.1/app").unwrap(), Source::Database(_)));
/// assert!(matches!(Source::parse("schema.json").unwrap(), Source::SnapshotFile(_)));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Source {
    /// A live database.
    Database(DbUrl),
    /// A snapshot JSON file written by `driftless snapshot`.
    SnapshotFile(PathBuf),
    /// A folder of migrations.
    MigrationsDir(PathBuf),
}

impl Source {
    /// Classifies `s`: a URL with a database scheme, an existing folder, or
    /// otherwise a snapshot file path.
    pub fn parse(s: &str) -> Result<Self> {
        let lower = s.trim().to_ascii_lowercase();
        let looks_like_url = lower.contains("://")
            || lower.starts_with("sqlite:")
            || lower.starts_with("postgres:")
            || lower.starts_with("postgresql:")
            || lower.starts_with("mysql:")
            || lower.starts_with("mariadb:");
        if looks_like_url {
            return Ok(Source::Database(DbUrl::parse(s)?));
        }
        let path = PathBuf::from(s);
        if path.is_dir() {
            Ok(Source::MigrationsDir(path))
        } else {
            Ok(Source::SnapshotFile(path))
        }
    }
}
