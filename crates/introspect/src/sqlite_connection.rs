//! What SQLite, an embedded database, leaves to its host and driftless
//! supplies around each of its connections: a statement timeout and a way
//! to stop a running statement from another task (both through a progress
//! handler, since there is no server to enforce a timeout or to receive a
//! cancel request), and the rollback of a hot journal before a read-only
//! connection reads.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions as _, Connection as _, Executor as _};

/// Virtual-machine instructions SQLite runs between two calls of the
/// progress handler: a few microseconds of work, so an interrupt or a
/// deadline takes effect at once, while the handler's cost (two atomic
/// loads and, with a deadline, a clock read) stays far below 1 %.
const PROGRESS_STEPS: i32 = 1000;

/// No deadline.
const NEVER: u64 = u64::MAX;

const NOT_STOPPED: u8 = 0;
const STOPPED_AT_DEADLINE: u8 = 1;
const STOPPED_ON_REQUEST: u8 = 2;

/// The state a connection's progress handler reads, shared with its
/// [`Watchdog`] and every [`SqliteInterrupt`].
#[derive(Debug)]
struct Shared {
    epoch: Instant,
    /// Sequence number of the statement running now; 0 between statements.
    running: AtomicU64,
    /// Sequence number of the statement asked to stop.
    stop: AtomicU64,
    /// Nanoseconds after `epoch` past which the running statement is
    /// interrupted; [`NEVER`]: no deadline.
    deadline: AtomicU64,
    /// Why the progress handler interrupted the running statement.
    stopped: AtomicU8,
}

impl Shared {
    fn now(&self) -> u64 {
        nanos(self.epoch.elapsed())
    }

    /// The progress handler: whether the running statement may go on.
    fn keep_going(&self) -> bool {
        let running = self.running.load(Ordering::Acquire);
        if running != 0 && self.stop.load(Ordering::Acquire) == running {
            self.stopped.store(STOPPED_ON_REQUEST, Ordering::Release);
            return false;
        }
        let deadline = self.deadline.load(Ordering::Acquire);
        if deadline != NEVER && self.now() >= deadline {
            self.stopped.store(STOPPED_AT_DEADLINE, Ordering::Release);
            return false;
        }
        true
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(NEVER)
}

/// Why the progress handler stopped a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stopped {
    /// It ran past the statement timeout, which was this long.
    Deadline(Duration),
    /// A [`SqliteInterrupt`] asked it to stop.
    Request,
}

/// Watches the statements of one SQLite connection: arms the deadline
/// before each and says afterwards whether the progress handler stopped it.
#[derive(Debug)]
pub(crate) struct Watchdog {
    shared: Arc<Shared>,
    sequence: u64,
    timeout: Option<Duration>,
}

impl Watchdog {
    /// Installs the progress handler on `conn`.
    pub(crate) async fn install(conn: &mut SqliteConnection) -> Result<Self, sqlx::Error> {
        let shared = Arc::new(Shared {
            epoch: Instant::now(),
            running: AtomicU64::new(0),
            stop: AtomicU64::new(0),
            deadline: AtomicU64::new(NEVER),
            stopped: AtomicU8::new(NOT_STOPPED),
        });
        let handler = Arc::clone(&shared);
        conn.lock_handle()
            .await?
            .set_progress_handler(PROGRESS_STEPS, move || handler.keep_going());
        Ok(Watchdog {
            shared,
            sequence: 0,
            timeout: None,
        })
    }

    /// Sets how long each statement from now on may run.
    pub(crate) fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }

    /// Starts watching the statement about to be sent.
    pub(crate) fn arm(&mut self) {
        self.sequence += 1;
        let deadline = self
            .timeout
            .map_or(NEVER, |t| self.shared.now().saturating_add(nanos(t)));
        self.shared.stopped.store(NOT_STOPPED, Ordering::Release);
        self.shared.deadline.store(deadline, Ordering::Release);
        self.shared.running.store(self.sequence, Ordering::Release);
    }

    /// Stops watching; whether (and why) the progress handler stopped the
    /// statement.
    pub(crate) fn disarm(&mut self) -> Option<Stopped> {
        self.shared.running.store(0, Ordering::Release);
        self.shared.deadline.store(NEVER, Ordering::Release);
        match self.shared.stopped.swap(NOT_STOPPED, Ordering::AcqRel) {
            STOPPED_AT_DEADLINE => Some(Stopped::Deadline(self.timeout.unwrap_or_default())),
            STOPPED_ON_REQUEST => Some(Stopped::Request),
            _ => None,
        }
    }

    /// A handle that stops the running statement from elsewhere.
    pub(crate) fn interrupt_handle(&self) -> SqliteInterrupt {
        SqliteInterrupt(Arc::clone(&self.shared))
    }
}

/// Stops the statement a SQLite connection is running, from any task or
/// thread: SQLite has no server to send a cancel request to (PostgreSQL
/// `pg_cancel_backend`, MySQL `KILL QUERY`). Get one from
/// [`Database::sqlite_interrupt`](crate::Database::sqlite_interrupt).
///
/// Like a server's cancel request, it stops the statement running at the
/// moment of the call, within a few thousand SQLite instructions; that
/// statement fails with SQLite's `interrupted` error (and SQLite rolls an
/// open transaction back if the statement was writing). A statement
/// started afterwards runs normally.
#[derive(Debug, Clone)]
pub struct SqliteInterrupt(Arc<Shared>);

impl SqliteInterrupt {
    /// Asks the running statement to stop; `false` when none was running.
    pub fn interrupt(&self) -> bool {
        let running = self.0.running.load(Ordering::Acquire);
        if running == 0 {
            return false;
        }
        self.0.stop.store(running, Ordering::Release);
        true
    }
}

/// SQLite's extended result code `SQLITE_READONLY_ROLLBACK`: a read-only
/// connection found a hot journal it may not roll back.
pub(crate) const READONLY_ROLLBACK: &str = "776";

/// SQLite's result code `SQLITE_INTERRUPT`.
pub(crate) const INTERRUPTED: &str = "9";

/// The rollback journal beside the database file `database`.
pub(crate) fn journal_of(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_os_string();
    name.push("-journal");
    PathBuf::from(name)
}

/// Whether `e` is SQLite's result code `code`.
pub(crate) fn has_code(e: &sqlx::Error, code: &str) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some(code))
}

/// What became of a hot journal found by a read-only open.
#[derive(Debug)]
pub(crate) enum Recovery {
    /// There was none (or none this connection had to roll back).
    NotNeeded(SqliteConnection),
    /// It was rolled back on a read-write connection; this is a new
    /// read-only connection.
    RolledBack(SqliteConnection),
    /// It could not be rolled back: the driver's message.
    Failed(String),
}

/// A read-only connection cannot roll back a hot journal (a rollback
/// journal left by a writer that stopped in the middle of a transaction,
/// e.g. killed), and SQLite then refuses every read with "attempt to write
/// a readonly database" (`SQLITE_READONLY_ROLLBACK`). When the journal
/// exists, `conn` (opened read-only with `opts`) reads once; on that error
/// the database is opened read-write just to read once, which makes SQLite
/// roll the journal back (and only that: the database is then as of its
/// last commit, as any reader would have seen it), and read-only again.
pub(crate) async fn recover_hot_journal(
    mut conn: SqliteConnection,
    opts: &SqliteConnectOptions,
) -> Recovery {
    let journal = journal_of(opts.get_filename());
    if !std::fs::metadata(&journal).is_ok_and(|m| m.len() > 0) {
        return Recovery::NotNeeded(conn);
    }
    match conn.execute("PRAGMA schema_version").await {
        Err(e) if has_code(&e, READONLY_ROLLBACK) => {}
        // Not hot (a live writer's journal), or another problem the first
        // real query reports as usual.
        _ => return Recovery::NotNeeded(conn),
    }
    let _ = conn.close().await;
    let writable = opts.clone().read_only(false).create_if_missing(false);
    let rolled_back = async {
        let mut rw = writable.connect().await?;
        let read = rw.execute("PRAGMA schema_version").await.map(drop);
        let _ = rw.close().await;
        read?;
        opts.connect().await
    }
    .await;
    match rolled_back {
        Ok(conn) => {
            tracing::warn!(
                "{}: rolled back the transaction a writer left unfinished (hot journal {}); the database is as of its last commit",
                opts.get_filename().display(),
                journal.display()
            );
            Recovery::RolledBack(conn)
        }
        Err(e) => Recovery::Failed(match &e {
            sqlx::Error::Database(db) => db.message().to_string(),
            other => other.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> Arc<Shared> {
        Arc::new(Shared {
            epoch: Instant::now(),
            running: AtomicU64::new(0),
            stop: AtomicU64::new(0),
            deadline: AtomicU64::new(NEVER),
            stopped: AtomicU8::new(NOT_STOPPED),
        })
    }

    #[test]
    fn an_interrupt_stops_only_the_statement_running_when_it_came() {
        let s = shared();
        let handle = SqliteInterrupt(Arc::clone(&s));
        assert!(!handle.interrupt(), "nothing running");
        s.running.store(1, Ordering::Release);
        assert!(s.keep_going());
        assert!(handle.interrupt());
        assert!(!s.keep_going());
        assert_eq!(s.stopped.load(Ordering::Acquire), STOPPED_ON_REQUEST);
        // The next statement is not affected.
        s.stopped.store(NOT_STOPPED, Ordering::Release);
        s.running.store(2, Ordering::Release);
        assert!(s.keep_going());
    }

    #[test]
    fn a_deadline_in_the_past_stops_the_statement() {
        let s = shared();
        s.running.store(1, Ordering::Release);
        s.deadline
            .store(s.now() + 60_000_000_000, Ordering::Release);
        assert!(s.keep_going());
        s.deadline.store(0, Ordering::Release);
        assert!(!s.keep_going());
        assert_eq!(s.stopped.load(Ordering::Acquire), STOPPED_AT_DEADLINE);
    }

    #[test]
    fn the_journal_sits_beside_the_database() {
        assert_eq!(
            journal_of(Path::new("/data/app.db")),
            PathBuf::from("/data/app.db-journal")
        );
    }
}
