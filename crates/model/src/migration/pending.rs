//! What the pending migrations did when applied to a schema-only copy of
//! the live database: the deploy preflight's result.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::hazard::Hazard;

/// The pending migrations applied, in the order the next migrate applies
/// them, to a copy of the live schema (and ledger) in the dev database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PendingRun {
    /// The pending migrations that applied cleanly, in order.
    pub applied: Vec<String>,
    /// The first one that failed, with the database's (or framework's)
    /// error; the ones after it did not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<PendingFailure>,
    /// Every statement they ran that holds up a table, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hazards: Vec<PendingHazard>,
}

/// A pending migration that failed on the copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PendingFailure {
    /// The migration's id.
    pub migration: String,
    /// Its file, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// The line of the failing statement in the file (0: unknown).
    pub line: usize,
    /// The error, as the database or framework gave it.
    pub message: String,
}

impl PendingFailure {
    /// Migration `migration` failed with `message`.
    pub fn new(migration: impl Into<String>, message: impl Into<String>) -> Self {
        PendingFailure {
            migration: migration.into(),
            file: None,
            line: 0,
            message: message.into(),
        }
    }

    /// In `file`, at `line`.
    pub fn at(mut self, file: PathBuf, line: usize) -> Self {
        self.file = Some(file);
        self.line = line;
        self
    }
}

/// A statement of a pending migration that holds up a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PendingHazard {
    /// The migration's id.
    pub migration: String,
    /// The statement, as it ran.
    pub statement: String,
    /// What it does to the table.
    pub hazard: Hazard,
    /// The table's row count in the live database (its estimate, where
    /// the server keeps one), when it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// The table's live size in bytes, indexes included, when it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// The table lock the statement takes (PostgreSQL, MySQL/MariaDB;
    /// SQLite locks the whole database for any write).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<crate::lock::LockLevel>,
}

impl PendingHazard {
    /// `statement` of `migration` does `hazard`.
    pub fn new(migration: impl Into<String>, statement: impl Into<String>, hazard: Hazard) -> Self {
        PendingHazard {
            migration: migration.into(),
            statement: statement.into(),
            hazard,
            rows: None,
            bytes: None,
            lock: None,
        }
    }
}
