//! Who holds the lock a read timed out waiting for.
//!
//! When a read fails with a lock timeout, driftless asks the server, on a
//! second short-lived connection, which tables other sessions hold locks
//! on that a reader waits for, and what those sessions are doing:
//!
//! - PostgreSQL: `pg_locks` (granted `AccessExclusiveLock` on a table or
//!   view: the only mode that blocks a catalog read or a `SELECT`) joined
//!   with `pg_stat_activity` (pid, application name, state, how long its
//!   transaction has been open, the start of its query);
//! - MySQL / MariaDB: `information_schema.METADATA_LOCK_INFO` when the
//!   MariaDB plugin of that name is installed; otherwise the tables
//!   `SHOW OPEN TABLES` reports in use in the URL's database, with the
//!   other sessions on that database (`information_schema.PROCESSLIST`);
//! - SQLite: the whole file is locked and the database cannot say by
//!   whom, so no holder is named.
//!
//! The lock may be released between the timeout and this look: then no
//! holder is found and the error says so.

use std::fmt;
use std::time::Duration;

use crate::{ConnectOptions, Database, DbUrl, Row, Value};
use driftless_model::Dialect;

/// A locked table and the session holding the lock, as the server
/// describes them in [`Error::Locked`](crate::Error::Locked).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LockHolder {
    /// The locked table (`public.users`), when the server names it.
    pub table: Option<String>,
    /// The holding session's id (PostgreSQL pid, MySQL connection id),
    /// when the server names it.
    pub session: Option<i64>,
    /// Its application name (PostgreSQL) or user@host (MySQL).
    pub application: Option<String>,
    /// Its state (`idle in transaction`, `Sleep` …).
    pub state: Option<String>,
    /// How long its transaction (PostgreSQL) or current command (MySQL)
    /// has been running, in seconds.
    pub seconds: Option<f64>,
    /// The start of its current or last query, on one line.
    pub query: Option<String>,
}

/// How much of a holder's query an error quotes.
const QUERY_CHARS: usize = 80;

impl fmt::Display for LockHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.table {
            Some(table) => write!(f, "table {table} is locked by ")?,
            None => f.write_str("held by ")?,
        }
        match self.session {
            Some(id) => write!(f, "session {id}")?,
            None => f.write_str("a session the server does not name")?,
        }
        let mut details = Vec::new();
        if let Some(a) = self.application.as_deref().filter(|a| !a.is_empty()) {
            details.push(format!("application {a}"));
        }
        match (&self.state, self.seconds) {
            (Some(s), Some(t)) => details.push(format!("{s} for {}", seconds_f(t))),
            (Some(s), None) => details.push(s.clone()),
            (None, Some(t)) => details.push(format!("for {}", seconds_f(t))),
            (None, None) => {}
        }
        if let Some(q) = self.query.as_deref().filter(|q| !q.is_empty()) {
            details.push(format!("query: {q}"));
        }
        if !details.is_empty() {
            write!(f, " ({})", details.join(", "))?;
        }
        Ok(())
    }
}

/// The holders as one clause of an error message.
pub fn describe_holders(holders: &[LockHolder]) -> String {
    describe(holders)
}

/// The holders as one clause of an error message.
pub(crate) fn describe(holders: &[LockHolder]) -> String {
    if holders.is_empty() {
        return "the database did not name the session holding it (SQLite never does; on a server it may have been released since)"
            .to_string();
    }
    holders
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A duration in seconds as an error message writes it (`5s`, `0.5s`).
pub(crate) fn seconds(d: Duration) -> String {
    seconds_f(d.as_secs_f64())
}

fn seconds_f(s: f64) -> String {
    let rounded = (s * 10.0).round() / 10.0;
    format!("{rounded}s")
}

/// The holders of the locks a read of `url` waits for, read on a second
/// connection; empty when they cannot be read (best effort: the lock
/// timeout is the error, this only explains it).
pub(crate) async fn holders(url: &DbUrl) -> Vec<LockHolder> {
    let options = ConnectOptions::read_only().with_connect_timeout(Duration::from_secs(5));
    // Boxed: a lock timeout of these reads would explain itself (recursion).
    let Ok(mut db) = Box::pin(Database::connect(url, &options)).await else {
        return Vec::new();
    };
    let found = match url.dialect() {
        Dialect::Postgres => query(&mut db, POSTGRES).await,
        Dialect::Mysql => match query(&mut db, MARIADB_METADATA_LOCKS).await {
            Some(rows) if !rows.is_empty() => Some(rows),
            _ => mysql_open_tables(&mut db).await,
        },
        Dialect::Sqlite => None,
    };
    let _ = db.close().await;
    found.unwrap_or_default().iter().map(holder).collect()
}

/// The sessions holding any lock on table `schema.table` (PostgreSQL: any
/// granted mode, since a DDL statement waits for every one of them;
/// MySQL/MariaDB: as [`holders`] finds them), read on a second
/// connection; empty when they cannot be read. What a fix step that ran
/// out of lock retries names as its blocker.
pub async fn table_holders(url: &DbUrl, schema: &str, table: &str) -> Vec<LockHolder> {
    if url.dialect() != Dialect::Postgres {
        return holders(url).await;
    }
    let options = ConnectOptions::read_only().with_connect_timeout(Duration::from_secs(5));
    let Ok(mut db) = Box::pin(Database::connect(url, &options)).await else {
        return Vec::new();
    };
    let d = Dialect::Postgres;
    let name = format!("{}.{}", d.quote_ident(schema), d.quote_ident(table));
    let sql = POSTGRES_TABLE.replace("$1", &format!("'{}'", name.replace('\'', "''")));
    let found = query(&mut db, &sql).await;
    let _ = db.close().await;
    found.unwrap_or_default().iter().map(holder).collect()
}

/// The granted table locks of `pg_locks` with their sessions, then
/// `$where` (a literal): table, session, application, state, seconds,
/// query.
macro_rules! pg_holders {
    ($where:literal) => {
        concat!(
            "SELECT DISTINCT n.nspname || '.' || c.relname, l.pid::int8, a.application_name, a.state, \
       EXTRACT(EPOCH FROM now() - coalesce(a.xact_start, a.query_start))::float8, \
       left(regexp_replace(a.query, '\\s+', ' ', 'g'), 80) \
FROM pg_locks l \
JOIN pg_class c ON c.oid = l.relation \
JOIN pg_namespace n ON n.oid = c.relnamespace \
LEFT JOIN pg_stat_activity a ON a.pid = l.pid \
WHERE l.granted AND l.pid IS DISTINCT FROM pg_backend_pid() ",
            $where,
            " ORDER BY 1, 2 LIMIT 5"
        )
    };
}

/// Granted locks of other sessions on one table (`$1`, a quoted literal),
/// any mode. Columns as [`POSTGRES`].
const POSTGRES_TABLE: &str = pg_holders!("AND c.oid = to_regclass($1)");

/// Granted locks that block readers, with their sessions. Columns: table,
/// session, application, state, seconds, query.
const POSTGRES: &str = pg_holders!(
    "AND l.mode = 'AccessExclusiveLock' \
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
);

/// MariaDB with the `metadata_lock_info` plugin: table locks of other
/// sessions that block readers.
const MARIADB_METADATA_LOCKS: &str = "\
SELECT CONCAT(m.TABLE_SCHEMA, '.', m.TABLE_NAME), m.THREAD_ID, CONCAT(p.USER, '@', p.HOST), p.COMMAND, \
       CAST(p.TIME AS DOUBLE), LEFT(p.INFO, 80) \
FROM information_schema.METADATA_LOCK_INFO m \
LEFT JOIN information_schema.PROCESSLIST p ON p.ID = m.THREAD_ID \
WHERE m.THREAD_ID <> CONNECTION_ID() AND m.LOCK_TYPE = 'Table metadata lock' \
  AND m.LOCK_MODE IN ('MDL_EXCLUSIVE', 'MDL_SHARED_NO_READ_WRITE') \
ORDER BY 1, 2 LIMIT 5";

/// The other sessions on the URL's database, when the server cannot say
/// which one holds which table lock.
const MYSQL_SESSIONS: &str = "\
SELECT NULL, ID, CONCAT(USER, '@', HOST), COMMAND, CAST(TIME AS DOUBLE), LEFT(INFO, 80) \
FROM information_schema.PROCESSLIST \
WHERE ID <> CONNECTION_ID() AND DB = DATABASE() ORDER BY ID LIMIT 5";

/// MySQL without lock details: the tables in use in the URL's database
/// (`SHOW OPEN TABLES`), each with the other sessions on that database.
async fn mysql_open_tables(db: &mut Database) -> Option<Vec<Row>> {
    let tables = query(
        db,
        "SHOW OPEN TABLES WHERE In_use > 0 AND `Database` = DATABASE()",
    )
    .await?;
    let sessions = query(db, MYSQL_SESSIONS).await?;
    let in_use = tables.iter().map(|t| {
        format!(
            "{}.{}",
            text(t, 0).unwrap_or_default(),
            text(t, 1).unwrap_or_default()
        )
    });
    let rows = in_use
        .flat_map(|table| {
            sessions.iter().map(move |s| {
                let mut row = s.clone();
                if let Some(first) = row.first_mut() {
                    *first = Value::Text(table.clone());
                }
                row
            })
        })
        .collect::<Vec<_>>();
    Some(if rows.is_empty() { sessions } else { rows })
}

async fn query(db: &mut Database, sql: &str) -> Option<Vec<Row>> {
    match Box::pin(db.query(sql, "reading who holds the lock")).await {
        Ok(rows) => Some(rows),
        Err(e) => {
            tracing::debug!("cannot read the lock holders: {e}");
            None
        }
    }
}

/// A row of the queries above.
fn holder(row: &Row) -> LockHolder {
    LockHolder {
        table: text(row, 0),
        session: row.get(1).and_then(Value::as_i64),
        application: text(row, 2),
        state: text(row, 3),
        seconds: match row.get(4) {
            Some(Value::Float(f)) => Some(*f),
            Some(v) => v.as_i64().map(|i| i as f64),
            None => None,
        },
        query: text(row, 5).map(|q| q.chars().take(QUERY_CHARS).collect()),
    }
}

fn text(row: &Row, i: usize) -> Option<String> {
    match row.get(i)? {
        Value::Text(s) => Some(s.clone()),
        Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_reads_as_one_clause() {
        let h = LockHolder {
            table: Some("public.users".into()),
            session: Some(4242),
            application: Some("psql".into()),
            state: Some("idle in transaction".into()),
            seconds: Some(12.34),
            query: Some("LOCK TABLE users IN ACCESS EXCLUSIVE MODE".into()),
        };
        assert_eq!(
            h.to_string(),
            "table public.users is locked by session 4242 (application psql, idle in transaction for 12.3s, query: LOCK TABLE users IN ACCESS EXCLUSIVE MODE)"
        );
        assert!(describe(&[]).contains("did not name"));
        assert_eq!(seconds(Duration::from_millis(500)), "0.5s");
    }
}
