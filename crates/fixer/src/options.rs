//! Planning and applying options.

use std::fmt;
use std::time::Duration;

use driftless_introspect::IntrospectOptions;
use serde::{Deserialize, Serialize};

use crate::interrupt::Interrupt;
use crate::safety::Safety;

/// What to do with orphan tables and columns (in the database, not in the
/// expected schema).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Orphans {
    /// Rename aside to `_driftless_quarantine_<name>`, keeping the data
    /// (the default). Quarantined objects are not drift.
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlanOptions {
    /// Orphan tables and columns: quarantine (default), drop or keep.
    pub orphans: Orphans,
    /// The highest safety class that runs (default [`Safety::Locking`]);
    /// steps above it are withheld.
    pub allow: Safety,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            orphans: Orphans::Quarantine,
            allow: Safety::Locking,
        }
    }
}

impl PlanOptions {
    /// Sets the orphan policy.
    pub fn with_orphans(mut self, orphans: Orphans) -> Self {
        self.orphans = orphans;
        self
    }

    /// Sets the highest safety class that runs.
    pub fn with_allow(mut self, allow: Safety) -> Self {
        self.allow = allow;
        self
    }
}

/// How to apply a plan.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApplyOptions {
    /// How long to wait for a lock — the advisory lock that serialises
    /// deploys, and each table lock (PostgreSQL `lock_timeout`, MySQL
    /// `lock_wait_timeout`, SQLite busy timeout). Default 10 s.
    pub lock_timeout: Duration,
    /// Longest a single statement may run (PostgreSQL `statement_timeout`,
    /// MariaDB `max_statement_time`; on SQLite the connection interrupts a
    /// longer statement itself). Default 5 minutes.
    pub statement_timeout: Duration,
    /// Re-read the schema once the lock is held and refuse a plan made from
    /// a schema that has changed since (default true).
    pub check_base: bool,
    /// What to read after applying, and for the base check: pass the
    /// options the actual snapshot was read with.
    pub introspect: IntrospectOptions,
    /// Lets the caller stop the apply (Ctrl-C): see [`Interrupt`]. Default none.
    pub interrupt: Option<Interrupt>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            lock_timeout: Duration::from_secs(10),
            statement_timeout: Duration::from_secs(300),
            check_base: true,
            introspect: IntrospectOptions::default(),
            interrupt: None,
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
}
