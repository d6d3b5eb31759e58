//! Typed errors of the introspection crate.

use std::path::PathBuf;

use crate::error_code::{DbErrorCode, ErrorKind};

/// A boxed underlying error, so that no dependency's error type is part of our API.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong while connecting, introspecting, or reading
/// snapshot files, migration folders and ledgers (driftless-migrations
/// reports its errors with this type too).
///
/// URLs inside errors are always redacted: no password is ever printed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL could not be parsed.
    #[error("invalid database URL `{url}`: {reason}")]
    InvalidUrl {
        /// The redacted URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The URL's scheme names no supported database.
    #[error("unsupported database URL scheme `{scheme}` in `{url}`: use postgres://, mysql://, mariadb:// or sqlite:")]
    UnsupportedScheme {
        /// The scheme found.
        scheme: String,
        /// The redacted URL.
        url: String,
    },
    /// Connecting did not finish within the connect timeout.
    #[error("timed out after {seconds}s connecting to {url} (is the server running and reachable? change the limit with --connect-timeout)")]
    ConnectTimeout {
        /// The redacted URL.
        url: String,
        /// The timeout that elapsed.
        seconds: u64,
    },
    /// The server could not be reached or refused the connection.
    #[error("cannot connect to {}: {message}", url_before_colon(url))]
    #[non_exhaustive]
    Connect {
        /// The redacted URL.
        url: String,
        /// The database driver's message.
        message: String,
        /// The database's error code, when the server refused the
        /// connection (none when it could not be reached).
        code: Option<Box<DbErrorCode>>,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// The database named in the URL does not exist.
    #[error("database `{database}` does not exist on {url}")]
    MissingDatabase {
        /// The database name.
        database: String,
        /// The redacted URL.
        url: String,
    },
    /// Authentication failed or the role lacks a privilege.
    #[error("permission denied on {}: {message}", url_before_colon(url))]
    #[non_exhaustive]
    PermissionDenied {
        /// The redacted URL.
        url: String,
        /// The database's message.
        message: String,
        /// The database's error code.
        code: Option<Box<DbErrorCode>>,
    },
    /// A statement or catalog query failed.
    #[error("{context} failed on {}: {message}", url_before_colon(url))]
    #[non_exhaustive]
    Query {
        /// The redacted URL.
        url: String,
        /// What was being done (`reading columns`, `executing step 3` …).
        context: String,
        /// The database's message.
        message: String,
        /// The database's error code (none when the statement failed in
        /// the driver or on the network rather than in the database).
        code: Option<Box<DbErrorCode>>,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// A statement ran longer than the statement timeout and was stopped
    /// (SQLite, where driftless enforces the timeout itself: see
    /// [`Database::set_statement_timeout`](crate::Database::set_statement_timeout)).
    #[error("{context} on {url} was interrupted: it ran longer than the statement timeout ({timeout:?})")]
    StatementTimeout {
        /// The redacted URL.
        url: String,
        /// What was being done.
        context: String,
        /// The timeout that elapsed.
        timeout: std::time::Duration,
    },
    /// A read waited longer than the lock timeout
    /// ([`ConnectOptions::lock_timeout`](crate::ConnectOptions::lock_timeout))
    /// for a lock another session holds; `holders` says which tables are
    /// locked and by whom, as far as the server tells.
    #[error("{context} on {url} waited longer than the lock timeout ({}) for a lock another session holds: {}; nothing was changed (retry once it is released, or wait longer with --lock-timeout)", crate::lock::seconds(*timeout), crate::lock::describe(holders))]
    Locked {
        /// The redacted URL.
        url: String,
        /// What was being done.
        context: String,
        /// The lock timeout that elapsed.
        timeout: std::time::Duration,
        /// The locked tables and the sessions holding them (empty when the
        /// server could not say: the lock may have been released since).
        holders: Vec<crate::LockHolder>,
        /// The database's error code.
        code: Option<Box<DbErrorCode>>,
    },
    /// The work was asked to stop ([`Interrupt`](crate::Interrupt)): the
    /// statement in flight, if any, was cancelled and no further one sent.
    #[error("{reason}: stopped {context} on {url}")]
    Interrupted {
        /// The redacted URL.
        url: String,
        /// What was being done (`connecting`, `reading columns` …).
        context: String,
        /// Why (the interrupt's reason, e.g. `received SIGINT`).
        reason: String,
    },
    /// SQL to be sent holds a NUL character, which no database accepts in
    /// SQL text; nothing was sent.
    #[error("{context} on {url}: the SQL holds a NUL character at line {line}, column {column}, which SQL text cannot contain; nothing was sent")]
    NulCharacter {
        /// The redacted URL.
        url: String,
        /// What was being done.
        context: String,
        /// 1-based line of the NUL in the SQL.
        line: usize,
        /// 1-based column (in characters).
        column: usize,
    },
    /// A SQLite database opened read-only has a hot journal (a writer
    /// stopped in the middle of a transaction, e.g. it was killed), and it
    /// could not be rolled back.
    #[error("{url}: a writer stopped in the middle of a transaction and left the hot journal {} behind; the database must be rolled back before it can be read, and rolling it back failed ({message}). Open it once as a user who may write both the file and its folder (for example `sqlite3 {} 'PRAGMA schema_version'`), which rolls it back, then retry; never delete the journal, that would corrupt the database", journal.display(), database.display())]
    HotJournal {
        /// The redacted URL.
        url: String,
        /// The database file.
        database: PathBuf,
        /// Its journal (`<database>-journal`).
        journal: PathBuf,
        /// Why it could not be rolled back.
        message: String,
    },
    /// The catalog returned something the model cannot represent.
    #[error("unexpected catalog data for {object}: {message}")]
    Catalog {
        /// The object (`table public.users`).
        object: String,
        /// What was unexpected.
        message: String,
    },
    /// A snapshot file or a migration folder could not be read (see
    /// [`driftless_model::Error`]).
    #[error(transparent)]
    Model(#[from] driftless_model::Error),
    /// The request cannot be carried out as given.
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// The code the database reported with this error, if it came from the
    /// database.
    pub fn code(&self) -> Option<&DbErrorCode> {
        match self {
            Error::Connect { code, .. }
            | Error::PermissionDenied { code, .. }
            | Error::Query { code, .. }
            | Error::Locked { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// What kind of failure this is: from the database's code for errors
    /// the database reported ([`DbErrorCode::kind`]), from the variant for
    /// those driftless recognised itself ([`Error::MissingDatabase`],
    /// [`Error::PermissionDenied`], [`Error::StatementTimeout`], and
    /// [`Error::HotJournal`], a read-only open that could not roll a
    /// journal back, [`Error::Locked`], a lock wait that timed out, and
    /// [`Error::Interrupted`]); [`ErrorKind::Other`] for the rest.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::MissingDatabase { .. } => ErrorKind::MissingDatabase,
            Error::PermissionDenied { .. } => ErrorKind::PermissionDenied,
            Error::StatementTimeout { .. } => ErrorKind::StatementTimeout,
            Error::HotJournal { .. } => ErrorKind::ReadOnly,
            Error::Locked { .. } => ErrorKind::LockTimeout,
            Error::Interrupted { .. } => ErrorKind::Interrupted,
            other => other.code().map_or(ErrorKind::Other, DbErrorCode::kind),
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A URL as a message writes it just before a colon: in backticks when it
/// ends with a colon of its own (`sqlite::memory:`), so that the two do
/// not run together (`on sqlite::memory:: near …`).
///
/// ```
/// use driftless_introspect::url_before_colon;
/// assert_eq!(url_before_colon("sqlite::memory:"), "`sqlite::memory:`");
/// assert_eq!(url_before_colon("sqlite:app.db"), "sqlite:app.db");
/// ```
pub fn url_before_colon(url: &str) -> std::borrow::Cow<'_, str> {
    if url.ends_with(':') {
        format!("`{url}`").into()
    } else {
        url.into()
    }
}
