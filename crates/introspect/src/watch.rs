//! Stopping a connection's work when its [`Interrupt`] is triggered: the
//! statement in flight is cancelled on the server (or, SQLite, on its own
//! connection), and the call returns [`Error::Interrupted`].

use std::future::Future;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::interrupt::Interrupt;
use crate::sqlite_connection::SqliteInterrupt;
use crate::{ConnectOptions, Database, DbUrl};
use driftless_model::Dialect;

/// How long a cancelled statement may take to return before the call
/// returns without it. PostgreSQL and MySQL answer a cancel request at
/// once; SQLite cannot stop waiting in its busy handler, whose wait is
/// then abandoned (it only ever reads or writes the local file).
const STOP_GRACE: Duration = Duration::from_secs(2);

/// How to stop the statement a connection runs.
#[derive(Debug, Clone)]
pub(crate) enum Canceller {
    /// A server session, cancelled from a second connection.
    Server(i64),
    /// A SQLite connection, interrupted from another task.
    Sqlite(SqliteInterrupt),
    /// Nothing to cancel (the session id could not be read).
    None,
}

/// What one call needs to stop its work.
#[derive(Debug)]
pub(crate) struct Watch {
    pub(crate) interrupt: Interrupt,
    pub(crate) url: DbUrl,
    pub(crate) context: String,
    pub(crate) canceller: Canceller,
}

impl Watch {
    /// Runs `work` until it ends or the interrupt is triggered; then
    /// cancels its statement, gives it [`STOP_GRACE`] to return, and fails
    /// with [`Error::Interrupted`]. Without a watch, just runs `work`.
    pub(crate) async fn run<T>(
        watch: Option<Watch>,
        work: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let Some(w) = watch else {
            return work.await;
        };
        if w.interrupt.is_triggered() {
            return Err(w.error());
        }
        tokio::pin!(work);
        tokio::select! {
            r = &mut work => r,
            () = w.interrupt.triggered() => {
                w.cancel().await;
                let _ = tokio::time::timeout(STOP_GRACE, work).await;
                Err(w.error())
            }
        }
    }

    async fn cancel(&self) {
        match &self.canceller {
            Canceller::Server(id) => cancel_session(&self.url, *id).await,
            Canceller::Sqlite(handle) => {
                handle.interrupt();
            }
            Canceller::None => {}
        }
    }

    fn error(&self) -> Error {
        Error::Interrupted {
            url: self.url.to_string(),
            context: self.context.clone(),
            reason: self.interrupt.reason().unwrap_or("interrupted").to_string(),
        }
    }
}

/// The statement that reads a server session's id, if the database has
/// sessions.
pub(crate) fn session_id_sql(dialect: Dialect) -> Option<&'static str> {
    match dialect {
        Dialect::Postgres => Some("SELECT pg_backend_pid()::bigint"),
        Dialect::Mysql => Some("SELECT CONNECTION_ID()"),
        Dialect::Sqlite => None,
    }
}

/// The statement, sent from a second connection, that cancels what server
/// session `id` runs.
fn cancel_sql(dialect: Dialect, id: i64) -> Option<String> {
    match dialect {
        Dialect::Postgres => Some(format!("SELECT pg_cancel_backend({id})")),
        Dialect::Mysql => Some(format!("KILL QUERY {id}")),
        Dialect::Sqlite => None,
    }
}

/// Cancels the statement server session `id` of the database at `url`
/// runs, from a second connection (PostgreSQL `pg_cancel_backend`, MySQL
/// `KILL QUERY`). Best effort: a failure is logged, and the caller's lock
/// and statement timeouts still bound the wait.
pub(crate) async fn cancel_session(url: &DbUrl, id: i64) {
    let Some(sql) = cancel_sql(url.dialect(), id) else {
        return;
    };
    let options = ConnectOptions::default().with_connect_timeout(Duration::from_secs(5));
    // Boxed: connecting and executing may themselves cancel (recursion).
    match Box::pin(Database::connect(url, &options)).await {
        Ok(mut other) => {
            if let Err(e) = Box::pin(other.execute(&sql, "cancelling a statement")).await {
                tracing::debug!("cancelling session {id}'s statement failed: {e}");
            }
            let _ = other.close().await;
        }
        Err(e) => tracing::debug!("cannot connect to cancel session {id}'s statement: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_and_cancel_requests_per_dialect() {
        let all = [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite];
        assert_eq!(
            all.map(|d| (session_id_sql(d), cancel_sql(d, 42))),
            [
                (
                    Some("SELECT pg_backend_pid()::bigint"),
                    Some("SELECT pg_cancel_backend(42)".to_string())
                ),
                (
                    Some("SELECT CONNECTION_ID()"),
                    Some("KILL QUERY 42".to_string())
                ),
                (None, None),
            ]
        );
    }
}
