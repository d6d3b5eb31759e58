//! Database driver errors turned into this crate's [`Error`] (the
//! message redacted, the database's code kept), and multi-statement
//! messages split into their result sets.

use crate::error::Error;
use crate::error_code::{DbErrorCode, ErrorKind};
use crate::url::redact;

/// The error of `context` (`reading columns`) failing on the database at
/// `url` (redacted): a permission error, or a query error with its code.
pub(crate) fn query_error(url: &str, context: &str, e: sqlx::Error) -> Error {
    let code = DbErrorCode::from_driver(&e).map(Box::new);
    let message = match &e {
        sqlx::Error::Database(db) => redact(db.message()),
        other => redact(&other.to_string()),
    };
    if code.as_deref().map(DbErrorCode::kind) == Some(ErrorKind::PermissionDenied) {
        return Error::PermissionDenied {
            url: url.to_string(),
            message: format!("{context}: {message}"),
            code,
        };
    }
    Error::Query {
        url: url.to_string(),
        context: context.to_string(),
        message: message.clone(),
        code,
        source: Box::new(RedactedError(message)),
    }
}

/// An error message kept as text after redaction, so that a driver error
/// carrying a URL never reaches the caller unredacted.
#[derive(Debug)]
pub(crate) struct RedactedError(pub(crate) String);

impl std::fmt::Display for RedactedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RedactedError {}

/// Sends `sql` (one or more statements) as one message and returns the
/// rows of each statement in order, one list per statement (empty for a
/// statement that returns no rows).
pub(crate) async fn result_sets<'e, DB, E>(
    executor: E,
    sql: String,
) -> Result<Vec<Vec<DB::Row>>, sqlx::Error>
where
    DB: sqlx::Database,
    E: sqlx::Executor<'e, Database = DB>,
{
    use futures::TryStreamExt as _;
    let mut sets = Vec::new();
    let mut current = Vec::new();
    let mut stream = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).fetch_many(executor);
    while let Some(item) = stream.try_next().await? {
        match item {
            sqlx::Either::Left(_) => sets.push(std::mem::take(&mut current)),
            sqlx::Either::Right(row) => current.push(row),
        }
    }
    Ok(sets)
}
