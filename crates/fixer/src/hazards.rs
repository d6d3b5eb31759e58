//! What each step does to a busy table: the lock it takes
//! ([`LockLevel`], read from its statements by driftless-model's
//! `statement_lock`), whether it rewrites or reads every row, the table's
//! live size and a rough duration, from the sizes read with the actual
//! schema ([`Snapshot::sizes`]).

use std::fmt;

use driftless_model::{human_bytes, Snapshot};
pub use driftless_model::{AlterAlgorithm, LockLevel};
use serde::{Deserialize, Serialize};

/// How long a step holds its table up, roughly, from the table's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DurationClass {
    /// Changes the catalog only.
    Instant,
    /// Reads or rewrites under 256 MiB.
    Seconds,
    /// Reads or rewrites under 32 GiB.
    Minutes,
    /// Reads or rewrites more.
    Hours,
}

impl DurationClass {
    /// The class of a step that reads or rewrites `bytes`.
    pub fn of_bytes(bytes: u64) -> Self {
        const MIB: u64 = 1 << 20;
        match bytes {
            b if b < 256 * MIB => DurationClass::Seconds,
            b if b < 32 * 1024 * MIB => DurationClass::Minutes,
            _ => DurationClass::Hours,
        }
    }

    /// `instant`, `seconds`, `minutes`, `hours`.
    pub fn as_str(self) -> &'static str {
        match self {
            DurationClass::Instant => "instant",
            DurationClass::Seconds => "seconds",
            DurationClass::Minutes => "minutes",
            DurationClass::Hours => "hours",
        }
    }
}

/// What a step does to the existing table it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StepHazard {
    /// The table (`schema.table`).
    pub table: String,
    /// The strongest lock the step takes on it.
    pub lock: LockLevel,
    /// The lock as the database names it (`ACCESS EXCLUSIVE`, `LOCK=NONE`).
    pub lock_name: String,
    /// Whether the step copies every row into a new table file.
    pub rewrites: bool,
    /// Whether the step reads every row (to build or validate something).
    pub scans: bool,
    /// MySQL/MariaDB column changes: the algorithm the server can run the
    /// step's `ALTER TABLE` with, decided from the column as it is and as
    /// it should be; the lock, `rewrites` and `scans` follow from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<AlterAlgorithm>,
    /// The table's estimated live rows, when the server has an estimate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// The table's bytes on disk, indexes included, when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// How long it holds the table up, roughly; `None` when the step reads
    /// or rewrites a table whose size is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<DurationClass>,
}

impl fmt::Display for StepHazard {
    /// `ACCESS EXCLUSIVE lock on public.events, reads every row (2000000
    /// rows, 150.0 MiB): seconds`; MySQL: `LOCK=NONE on app.events …`, or
    /// for a column change `ALGORITHM=INPLACE, LOCK=NONE on app.events …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // PostgreSQL names a mode (`SHARE`), MySQL a clause (`LOCK=NONE`).
        match self.algorithm {
            Some(a) => write!(f, "{} on {}", a.clause(), self.table)?,
            None if self.lock_name.contains('=') => {
                write!(f, "{} on {}", self.lock_name, self.table)?
            }
            None => write!(f, "{} lock on {}", self.lock_name, self.table)?,
        }
        if self.rewrites {
            f.write_str(", rewrites it")?;
        } else if self.scans {
            f.write_str(", reads every row")?;
        }
        let mut size = Vec::new();
        if let Some(r) = self.rows {
            size.push(format!("{r} rows"));
        }
        if let Some(b) = self.bytes {
            size.push(human_bytes(b));
        }
        if !size.is_empty() {
            write!(f, " ({})", size.join(", "))?;
        }
        match self.duration {
            Some(d) => write!(f, ": {}", d.as_str()),
            None => f.write_str(": duration unknown"),
        }
    }
}

/// Whether `schema.table` is at least `threshold` bytes big in `act`
/// (an unknown size is not).
pub(crate) fn is_big(act: &Snapshot, schema: &str, table: &str, threshold: Option<u64>) -> bool {
    let (Some(t), Some(size)) = (threshold, act.sizes.get(schema, table)) else {
        return false;
    };
    size.bytes.is_some_and(|b| b >= t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_the_size() {
        assert_eq!(DurationClass::of_bytes(1 << 20), DurationClass::Seconds);
        assert_eq!(DurationClass::of_bytes(1 << 30), DurationClass::Minutes);
        assert_eq!(DurationClass::of_bytes(1 << 40), DurationClass::Hours);
    }
}
