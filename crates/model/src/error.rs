//! Typed errors of reading the files the model describes.

use std::path::PathBuf;

/// What can go wrong reading a snapshot file or a migration folder.
///
/// Database errors are driftless-introspect's; its `Error::Model` carries
/// these when they come up while reading a database's expected schema.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// `cannot read`, `cannot write` …
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A snapshot file is not valid JSON or does not match the model.
    #[error("{path}:{line}:{column}: invalid snapshot: {message}")]
    SnapshotParse {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A snapshot file was written by a newer format.
    #[error("{path}: snapshot format version {found} is newer than this build understands ({supported}); upgrade driftless")]
    SnapshotVersion {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// A migration folder or file could not be understood.
    #[error("{}: {message}", location(path, *line))]
    Migration {
        /// The file (or folder).
        path: PathBuf,
        /// 1-based line (0 when the problem is the file as a whole).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A model value did not serialise back after a schema rename
    /// ([`renamed_schema`](crate::renamed_schema)).
    #[error("cannot rename a schema in a model value: {0}")]
    Rename(String),
}

/// `path:line`, or `path` alone for line 0 (the file as a whole).
fn location(path: &std::path::Path, line: usize) -> String {
    match line {
        0 => path.display().to_string(),
        n => format!("{}:{n}", path.display()),
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_migration_error_names_the_line_only_when_it_is_known() {
        let at = |line| Error::Migration {
            path: PathBuf::from("m/0001_init.sql"),
            line,
            message: "bad".into(),
        };
        assert_eq!(at(3).to_string(), "m/0001_init.sql:3: bad");
        assert_eq!(at(0).to_string(), "m/0001_init.sql: bad");
    }
}
