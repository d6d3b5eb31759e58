//! How risky a fix step is, as an ordered type.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The safety class of a fix step, ordered from harmless to lossy:
/// `Safe < DataChange < Locking < Destructive < DataLoss`.
///
/// A step runs only when its class is at or below the threshold the user
/// allows ([`PlanOptions::allow`](crate::PlanOptions)); the default threshold
/// is [`Safety::Locking`].
///
/// ```
/// use driftless_fixer::Safety;
/// assert!(Safety::Safe.allowed(Safety::Locking));
/// assert!(Safety::Locking.allowed(Safety::Locking));
/// assert!(Safety::DataChange.allowed(Safety::Locking));
/// assert!(!Safety::Destructive.allowed(Safety::Locking));
/// assert!(Safety::Destructive.allowed(Safety::DataLoss));
/// assert_eq!(Safety::parse("data-loss"), Some(Safety::DataLoss));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Safety {
    /// Changes nothing that exists and blocks nobody for long: create a
    /// table, add a nullable column, set a default, rename aside.
    Safe,
    /// Writes existing rows the way the expected schema implies, losing
    /// nothing: fills the NULLs of a column about to become NOT NULL with
    /// the column's expected default, in batches (the step states the row
    /// count). Allowed by default; `--allow safe` withholds it.
    DataChange,
    /// Takes a lock that blocks writes or rewrites the table (index builds,
    /// constraint validation, type changes, SQLite table rebuilds).
    Locking,
    /// Removes an object (table, column, view, type, sequence).
    Destructive,
    /// Converts values in a way that can lose data (narrowing a type,
    /// text to integer, removing enum labels in use).
    DataLoss,
}

impl Safety {
    /// Every class, in order.
    pub const ALL: [Safety; 5] = [
        Safety::Safe,
        Safety::DataChange,
        Safety::Locking,
        Safety::Destructive,
        Safety::DataLoss,
    ];

    /// Whether a step of this class may run when the user allows up to `threshold`.
    pub fn allowed(self, threshold: Safety) -> bool {
        self <= threshold
    }

    /// The kebab-case name (`safe`, `data-change`, `locking`,
    /// `destructive`, `data-loss`).
    pub fn as_str(self) -> &'static str {
        match self {
            Safety::Safe => "safe",
            Safety::DataChange => "data-change",
            Safety::Locking => "locking",
            Safety::Destructive => "destructive",
            Safety::DataLoss => "data-loss",
        }
    }

    /// Parses the kebab-case name (also `data_loss`, `dataloss`), case-insensitively.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "safe" => Some(Safety::Safe),
            "data-change" | "data_change" | "datachange" => Some(Safety::DataChange),
            "locking" => Some(Safety::Locking),
            "destructive" => Some(Safety::Destructive),
            "data-loss" | "data_loss" | "dataloss" => Some(Safety::DataLoss),
            _ => None,
        }
    }

    /// What the user has to allow for a step of this class to run.
    pub(crate) fn how_to_allow(self) -> &'static str {
        match self {
            Safety::Safe | Safety::Locking => "allow locking changes",
            Safety::DataChange => "allow data changes (--allow data-change)",
            Safety::Destructive => "allow destructive changes (--allow-destructive)",
            Safety::DataLoss => "allow data loss (--allow data-loss)",
        }
    }
}

impl fmt::Display for Safety {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn ordered_and_round_trips() {
        for w in Safety::ALL.windows(2) {
            assert!(w[0] < w[1]);
        }
        for s in Safety::ALL {
            assert_eq!(Safety::parse(s.as_str()), Some(s));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        assert_eq!(Safety::parse("nope"), None);
    }
}
