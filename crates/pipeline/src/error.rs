//! The pipeline's error type.

use driftless_model::Dialect;

/// Why a pipeline run failed. Every variant names what it was about;
/// database URLs in messages are redacted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading a database, a snapshot file, a migration folder or a ledger failed.
    #[error(transparent)]
    Introspect(#[from] driftless_introspect::Error),
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] driftless_rules::ConfigError),
    /// The fix could not be planned.
    #[error(transparent)]
    Plan(#[from] driftless_fixer::PlanError),
    /// The fix could not be applied (boxed: the error carries what was
    /// committed before it).
    #[error(transparent)]
    Apply(Box<driftless_fixer::ApplyError>),
    /// The quarantine could not be read or restored.
    #[error(transparent)]
    Quarantine(#[from] driftless_fixer::QuarantineError),
    /// The expected schema came from another kind of database.
    #[error("cannot compare {target} ({actual}) with {expected} ({expected_dialect}): the expected schema must come from the same kind of database")]
    DialectMismatch {
        /// The database checked (redacted).
        target: String,
        /// Its dialect.
        actual: Dialect,
        /// The expected source's description.
        expected: String,
        /// The expected schema's dialect.
        expected_dialect: Dialect,
    },
    /// The expected source is the very database being checked.
    #[error("{url} is the database being checked: compare it with another database, a snapshot file or a migrations folder")]
    SameDatabase {
        /// The URL (redacted).
        url: String,
    },
    /// Schemas named to compare exist neither in the database nor in the
    /// expected schema (a typo, most likely).
    #[error("no schema named {} in {url} nor in the expected schema (check --schema)", .schemas.join(", "))]
    NoSuchSchema {
        /// The schemas not found.
        schemas: Vec<String>,
        /// The database checked (redacted).
        url: String,
    },
    /// The pending migrations cannot be applied (`fix --apply-pending`).
    #[error("cannot apply the pending migrations: {0}")]
    ApplyPending(String),
    /// The current folder, where a migrate command runs, cannot be read.
    #[error("cannot read the current folder: {0}")]
    CurrentDir(#[source] std::io::Error),
    /// A user-defined expected source failed.
    #[error("{source_name}: {error}")]
    Source {
        /// The source's description.
        source_name: String,
        /// What went wrong.
        #[source]
        error: driftless_introspect::BoxError,
    },
    /// A fleet's glob is not a valid pattern.
    #[error("invalid pattern {glob:?}: {error}")]
    InvalidGlob {
        /// The pattern given.
        glob: String,
        /// What is wrong with it.
        error: String,
    },
    /// No schema or database matches a fleet's pattern.
    #[error("no {what} of {url} matches {glob:?}")]
    NoTargets {
        /// `schema` or `database`.
        what: &'static str,
        /// The database or server (redacted).
        url: String,
        /// The pattern.
        glob: String,
    },
    /// The expected side of a fleet has not exactly one schema to compare
    /// each target with.
    #[error("{expected} has {}: each target is compared with one schema; name it with --expect-schema", describe_schemas(.schemas))]
    ExpectedSchemas {
        /// The expected source's description.
        expected: String,
        /// The schemas it has.
        schemas: Vec<String>,
    },
    /// A fleet target that is not one (a line of a targets list that is
    /// not a database URL).
    #[error("{0}")]
    Target(String),
    /// A fleet target took longer than its time budget.
    #[error("gave up after {0:?}: the target did not answer in time")]
    TargetTimeout(std::time::Duration),
}

fn describe_schemas(schemas: &[String]) -> String {
    match schemas {
        [] => "no schema".to_string(),
        many => format!("schemas {}", many.join(", ")),
    }
}

/// A snapshot file or migration folder that could not be read is reported
/// as reading errors are, as [`Error::Introspect`].
impl From<driftless_model::Error> for Error {
    fn from(e: driftless_model::Error) -> Self {
        Error::Introspect(e.into())
    }
}

impl From<driftless_fixer::ApplyError> for Error {
    fn from(e: driftless_fixer::ApplyError) -> Self {
        Error::Apply(Box::new(e))
    }
}

/// The pipeline's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
