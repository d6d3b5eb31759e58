//! Planning and applying options.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

use driftless_introspect::IntrospectOptions;
use serde::{Deserialize, Serialize};

use crate::hazards::LockLevel;
use crate::safety::Safety;
use driftless_introspect::Interrupt;

/// What to do with orphan tables and columns (in the database, not in the
/// expected schema).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Orphans {
    /// Set aside, keeping the data (the default): a column's values move
    /// to a quarantine table keyed by the primary key and the column is
    /// dropped (no primary key: renamed to `_driftless_quarantine_<name>`,
    /// nullable); a table moves to the quarantine schema (PostgreSQL) or is
    /// renamed `_driftless_quarantine_<name>`. Recorded in the quarantine
    /// catalog, restorable (see `plan_restore`). Quarantined objects are
    /// not drift.
    #[default]
    Quarantine,
    /// Drop them ([`Safety::Destructive`]: needs allowing).
    Drop,
    /// Leave them as they are.
    Keep,
}

impl Orphans {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Orphans::Quarantine => "quarantine",
            Orphans::Drop => "drop",
            Orphans::Keep => "keep",
        }
    }

    /// Parses `quarantine`, `drop` or `keep`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "quarantine" => Some(Orphans::Quarantine),
            "drop" => Some(Orphans::Drop),
            "keep" => Some(Orphans::Keep),
            _ => None,
        }
    }
}

impl fmt::Display for Orphans {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to plan.
///
/// ```
/// use driftless_fixer::{Orphans, PlanOptions, Safety};
/// let o = PlanOptions::default().with_orphans(Orphans::Drop).with_allow(Safety::Destructive);
/// assert_eq!(o.allow, Safety::Destructive);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlanOptions {
    /// Orphan tables and columns: quarantine (default), drop or keep.
    pub orphans: Orphans,
    /// The highest safety class that runs (default [`Safety::Locking`]);
    /// steps above it are withheld.
    pub allow: Safety,
    /// The value the existing rows of an added NOT NULL column without a
    /// default get, by column path (`schema.table.column`): what the
    /// migration that added it gave them (see
    /// `driftless_model::Provenance::backfill`). Without one, adding such a
    /// column to a table with rows is refused.
    pub backfills: BTreeMap<String, String>,
    /// The names already held in the PostgreSQL quarantine schema
    /// (`driftless_quarantine`, which introspection does not read): names
    /// new quarantine tables avoid. See `quarantine::held_names`.
    pub quarantine_held: BTreeSet<String>,
    /// Whether every possible rename (a `possible-rename` finding) is made
    /// as a rename; without it, only those the configuration confirms
    /// (`[[rename]]`) are, and the orphans of the others are quarantined
    /// and the missing objects added.
    pub accept_renames: bool,
    /// Tables of at least this many bytes (live size, read with the
    /// actual schema) are changed online: each of their steps commits on
    /// its own, with the online strategies (see [`FixStep::online`](crate::FixStep::online));
    /// smaller tables keep the one transaction. `None` (`--atomic`):
    /// every step in one transaction. Default
    /// [`DEFAULT_ONLINE_THRESHOLD`]. SQLite always runs atomically.
    pub online_threshold: Option<u64>,
}

/// The default [`PlanOptions::online_threshold`]: 16 MiB.
pub const DEFAULT_ONLINE_THRESHOLD: u64 = 16 << 20;

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            orphans: Orphans::Quarantine,
            allow: Safety::Locking,
            backfills: BTreeMap::new(),
            quarantine_held: BTreeSet::new(),
            accept_renames: false,
            online_threshold: Some(DEFAULT_ONLINE_THRESHOLD),
        }
    }
}

impl PlanOptions {
    /// Sets the orphan policy.
    pub fn with_orphans(mut self, orphans: Orphans) -> Self {
        self.orphans = orphans;
        self
    }

    /// Gives the existing rows of added NOT NULL columns these values (see
    /// [`PlanOptions::backfills`]).
    pub fn with_backfills(mut self, backfills: BTreeMap<String, String>) -> Self {
        self.backfills = backfills;
        self
    }

    /// Names new quarantine objects avoid (see
    /// [`PlanOptions::quarantine_held`]).
    pub fn with_quarantine_held(mut self, names: BTreeSet<String>) -> Self {
        self.quarantine_held = names;
        self
    }

    /// Makes every possible rename a rename (see
    /// [`PlanOptions::accept_renames`]).
    pub fn with_accept_renames(mut self, accept: bool) -> Self {
        self.accept_renames = accept;
        self
    }

    /// Sets the highest safety class that runs.
    pub fn with_allow(mut self, allow: Safety) -> Self {
        self.allow = allow;
        self
    }

    /// Sets the online threshold in bytes (`None`: atomic, every step in
    /// one transaction); see [`PlanOptions::online_threshold`].
    pub fn with_online_threshold(mut self, bytes: Option<u64>) -> Self {
        self.online_threshold = bytes;
        self
    }
}

/// The longest lock or statement timeout [`apply`](super::apply()) accepts:
/// 24 days, which every backend can express (PostgreSQL counts these
/// timeouts in milliseconds in a 32-bit integer, about 24.8 days).
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 86_400);

/// How to apply a plan.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApplyOptions {
    /// How long to wait for a lock — the advisory lock that serialises
    /// deploys, and each table and row lock (PostgreSQL `lock_timeout`,
    /// MySQL `lock_wait_timeout` and `innodb_lock_wait_timeout`, SQLite
    /// busy timeout). Default 10 s; at most [`MAX_TIMEOUT`].
    ///
    /// Zero means *do not wait*: fail at once when another session holds
    /// the lock. PostgreSQL, whose `lock_timeout = 0` would wait forever,
    /// gets its shortest wait, 1 ms. MySQL and MariaDB count whole seconds:
    /// other values are rounded up to the next second (MySQL, unlike
    /// MariaDB, cannot wait less than 1 s for a table lock; `GET_LOCK`
    /// still does not wait).
    pub lock_timeout: Duration,
    /// Longest a single statement may run (PostgreSQL `statement_timeout`,
    /// MariaDB `max_statement_time`; on SQLite the connection interrupts a
    /// longer statement itself). Default 5 minutes; at most
    /// [`MAX_TIMEOUT`]; zero means no limit.
    pub statement_timeout: Duration,
    /// Re-read the schema once the lock is held and refuse a plan made from
    /// a schema that has changed since (default true).
    pub check_base: bool,
    /// What to read after applying, and for the base check: pass the
    /// options the actual snapshot was read with.
    pub introspect: IntrospectOptions,
    /// Lets the caller stop the apply (Ctrl-C): see [`Interrupt`]. Default none.
    pub interrupt: Option<Interrupt>,
    /// Told of every statement the apply ran (see [`ApplyProgress`]). Default none.
    pub progress: Option<ApplyProgress>,
    /// The strongest table lock a step may take: a plan with a step above
    /// it is refused before anything runs ([`ApplyError::LockAboveMax`](crate::ApplyError::LockAboveMax)).
    /// Default none (any lock).
    pub max_lock: Option<LockLevel>,
    /// MySQL/MariaDB: let an online step copy its table (`ALGORITHM=COPY`:
    /// writes wait for the whole copy) when the server accepts neither
    /// `ALGORITHM=INSTANT` nor `ALGORITHM=INPLACE, LOCK=NONE` for it.
    /// Default false: such a plan is refused before anything runs
    /// ([`ApplyError::TableCopyRefused`](crate::ApplyError::TableCopyRefused)).
    pub allow_table_copy: bool,
    /// How the statements of online steps wait for their table locks.
    pub lock_retry: LockRetry,
}

/// How the statements of online steps (see
/// [`FixStep::online`](crate::FixStep::online)) wait for their table
/// locks: briefly, then again after a pause, so that a long query on the
/// table makes the fix wait and retry instead of queueing every writer
/// behind its lock request.
///
/// ```
/// use std::time::Duration;
/// use driftless_fixer::LockRetry;
/// let r = LockRetry::default();
/// assert_eq!(r.pause(1), Duration::from_millis(500));
/// assert_eq!(r.pause(2), Duration::from_secs(1));
/// assert_eq!(r.pause(20), Duration::from_secs(30), "capped");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LockRetry {
    /// How long one attempt waits for its lock (PostgreSQL `lock_timeout`;
    /// MySQL `lock_wait_timeout`, whole seconds, at least 1). Default 500 ms.
    pub wait: Duration,
    /// How many times a statement is tried again after its wait timed
    /// out. Default 8.
    pub retries: u32,
    /// The pause before the first retry, doubled before each next one up
    /// to 30 s. Default 500 ms.
    pub backoff: Duration,
}

impl Default for LockRetry {
    fn default() -> Self {
        LockRetry {
            wait: Duration::from_millis(500),
            retries: 8,
            backoff: Duration::from_millis(500),
        }
    }
}

impl LockRetry {
    /// A retry policy.
    pub fn new(wait: Duration, retries: u32, backoff: Duration) -> Self {
        LockRetry {
            wait,
            retries,
            backoff,
        }
    }

    /// The pause before retry `n` (from 1): the backoff doubled `n - 1`
    /// times, at most 30 s.
    pub fn pause(&self, n: u32) -> Duration {
        let doubled = self
            .backoff
            .checked_mul(1u32 << n.saturating_sub(1).min(16))
            .unwrap_or(Duration::MAX);
        doubled.min(Duration::from_secs(30))
    }

    /// PostgreSQL `lock_timeout` of one attempt, in milliseconds (never 0).
    pub(crate) fn pg_wait_ms(&self) -> u128 {
        ceil_millis(self.wait).max(1)
    }

    /// MySQL `lock_wait_timeout` of one attempt, whole seconds (at least 1).
    pub(crate) fn mysql_wait_s(&self) -> u64 {
        let t = self.wait.min(MAX_TIMEOUT);
        (t.as_secs() + u64::from(t.subsec_nanos() > 0)).max(1)
    }
}

/// What the apply tells a [`ApplyProgress`] callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApplyEvent {
    /// Statement `statement` (from 1, counted over the whole plan) of step
    /// `step` (from 1) ran without error; the next one has not started.
    Statement {
        /// The step, from 1.
        step: usize,
        /// The statement, from 1, over the whole plan.
        statement: usize,
    },
}

/// A callback the apply calls as it goes, on its own task: to show
/// progress, or to stop the process at an exact point to test what a crash
/// there leaves (the CLI's fault-injection hook does).
///
/// ```
/// use driftless_fixer::{ApplyEvent, ApplyOptions, ApplyProgress};
/// let options = ApplyOptions::default().with_progress(ApplyProgress::new(|e| {
///     let ApplyEvent::Statement { statement, .. } = e else { return };
///     eprintln!("{statement} statements done");
/// }));
/// assert!(options.progress.is_some());
/// ```
#[derive(Clone)]
pub struct ApplyProgress(std::sync::Arc<dyn Fn(ApplyEvent) + Send + Sync>);

impl ApplyProgress {
    /// A callback from `f`.
    pub fn new(f: impl Fn(ApplyEvent) + Send + Sync + 'static) -> Self {
        ApplyProgress(std::sync::Arc::new(f))
    }

    pub(crate) fn tell(&self, event: ApplyEvent) {
        (self.0)(event);
    }
}

impl std::fmt::Debug for ApplyProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApplyProgress(..)")
    }
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            lock_timeout: Duration::from_secs(10),
            statement_timeout: Duration::from_secs(300),
            check_base: true,
            introspect: IntrospectOptions::default(),
            interrupt: None,
            progress: None,
            max_lock: None,
            allow_table_copy: false,
            lock_retry: LockRetry::default(),
        }
    }
}

impl ApplyOptions {
    /// Sets the lock timeout.
    pub fn with_lock_timeout(mut self, t: Duration) -> Self {
        self.lock_timeout = t;
        self
    }

    /// Sets the statement timeout.
    pub fn with_statement_timeout(mut self, t: Duration) -> Self {
        self.statement_timeout = t;
        self
    }

    /// Sets whether the base schema is checked under the lock.
    pub fn with_check_base(mut self, check: bool) -> Self {
        self.check_base = check;
        self
    }

    /// Sets the introspection options.
    pub fn with_introspect(mut self, introspect: IntrospectOptions) -> Self {
        self.introspect = introspect;
        self
    }

    /// Lets `interrupt` stop the apply.
    pub fn with_interrupt(mut self, interrupt: Interrupt) -> Self {
        self.interrupt = Some(interrupt);
        self
    }

    /// Refuses plans with a step whose lock is stronger than `max`.
    pub fn with_max_lock(mut self, max: Option<LockLevel>) -> Self {
        self.max_lock = max;
        self
    }

    /// Lets MySQL/MariaDB online steps copy their table when nothing else
    /// works (see [`ApplyOptions::allow_table_copy`]).
    pub fn with_allow_table_copy(mut self, allow: bool) -> Self {
        self.allow_table_copy = allow;
        self
    }

    /// Sets how online steps wait for their locks.
    pub fn with_lock_retry(mut self, retry: LockRetry) -> Self {
        self.lock_retry = retry;
        self
    }

    /// Tells `progress` of every statement run.
    pub fn with_progress(mut self, progress: ApplyProgress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// The first timeout longer than [`MAX_TIMEOUT`], by name.
    pub(crate) fn timeout_too_long(&self) -> Option<(&'static str, Duration)> {
        [
            ("lock timeout", self.lock_timeout),
            ("statement timeout", self.statement_timeout),
        ]
        .into_iter()
        .find(|(_, t)| *t > MAX_TIMEOUT)
    }

    /// PostgreSQL `lock_timeout` in milliseconds: never 0, which would
    /// wait forever; a zero lock timeout (do not wait) is 1 ms.
    pub(crate) fn pg_lock_timeout_ms(&self) -> u128 {
        ceil_millis(self.lock_timeout).max(1)
    }

    /// PostgreSQL `statement_timeout` in milliseconds (0: no limit).
    pub(crate) fn pg_statement_timeout_ms(&self) -> u128 {
        ceil_millis(self.statement_timeout)
    }

    /// MySQL/MariaDB `lock_wait_timeout`, `innodb_lock_wait_timeout` and
    /// `GET_LOCK` timeout in whole seconds, rounded up (0: do not wait).
    pub(crate) fn mysql_lock_timeout_s(&self) -> u64 {
        let t = self.lock_timeout.min(MAX_TIMEOUT);
        t.as_secs() + u64::from(t.subsec_nanos() > 0)
    }

    /// MariaDB `max_statement_time`: seconds with microseconds, rounded
    /// up (`0.500000`; 0: no limit).
    pub(crate) fn mariadb_statement_timeout(&self) -> String {
        let micros = self
            .statement_timeout
            .min(MAX_TIMEOUT)
            .as_nanos()
            .div_ceil(1_000);
        format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
    }

    /// SQLite `busy_timeout` in milliseconds (0: do not wait).
    pub(crate) fn sqlite_busy_timeout_ms(&self) -> u128 {
        ceil_millis(self.lock_timeout)
    }
}

/// Whole milliseconds, rounded up, at most [`MAX_TIMEOUT`].
fn ceil_millis(t: Duration) -> u128 {
    t.min(MAX_TIMEOUT).as_nanos().div_ceil(1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(lock: Duration, statement: Duration) -> ApplyOptions {
        ApplyOptions::default()
            .with_lock_timeout(lock)
            .with_statement_timeout(statement)
    }

    #[test]
    fn a_zero_lock_timeout_means_do_not_wait_on_every_backend() {
        let o = with(Duration::ZERO, Duration::ZERO);
        assert_eq!(
            o.pg_lock_timeout_ms(),
            1,
            "PostgreSQL's 0 would wait forever"
        );
        assert_eq!(o.mysql_lock_timeout_s(), 0);
        assert_eq!(o.sqlite_busy_timeout_ms(), 0);
        // A zero statement timeout is no limit, which is 0 on both servers.
        assert_eq!(o.pg_statement_timeout_ms(), 0);
        assert_eq!(o.mariadb_statement_timeout(), "0.000000");
    }

    #[test]
    fn timeouts_round_up_to_what_each_backend_counts() {
        let o = with(Duration::from_millis(1_500), Duration::from_millis(500));
        assert_eq!(o.pg_lock_timeout_ms(), 1_500);
        assert_eq!(o.mysql_lock_timeout_s(), 2, "MySQL counts whole seconds");
        assert_eq!(o.sqlite_busy_timeout_ms(), 1_500);
        assert_eq!(o.pg_statement_timeout_ms(), 500);
        assert_eq!(o.mariadb_statement_timeout(), "0.500000");
        // Never rounded down to zero, which would mean something else.
        let o = with(Duration::from_nanos(1), Duration::from_nanos(1));
        assert_eq!(o.pg_lock_timeout_ms(), 1);
        assert_eq!(o.mysql_lock_timeout_s(), 1);
        assert_eq!(o.sqlite_busy_timeout_ms(), 1);
        assert_eq!(o.pg_statement_timeout_ms(), 1);
        assert_eq!(o.mariadb_statement_timeout(), "0.000001");
    }

    #[test]
    fn timeouts_above_the_maximum_are_named() {
        assert_eq!(with(MAX_TIMEOUT, MAX_TIMEOUT).timeout_too_long(), None);
        let long = MAX_TIMEOUT + Duration::from_millis(1);
        assert_eq!(
            with(long, MAX_TIMEOUT).timeout_too_long(),
            Some(("lock timeout", long))
        );
        assert_eq!(
            with(MAX_TIMEOUT, long).timeout_too_long(),
            Some(("statement timeout", long))
        );
        // Every backend can express the maximum.
        let o = with(MAX_TIMEOUT, MAX_TIMEOUT);
        assert!(o.pg_lock_timeout_ms() <= i32::MAX as u128);
        assert!(o.mysql_lock_timeout_s() <= 31_536_000);
        assert_eq!(o.mariadb_statement_timeout(), "2073600.000000");
    }
}
