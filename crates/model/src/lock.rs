//! The table lock a statement takes, as an ordered type, with whether it
//! rewrites or reads every row: what a fix step or a pending migration
//! does to a busy table.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::hazard::{statement_hazards, HazardKind};
use crate::schema::Dialect;
use crate::sql::{tokens, TokenKind};

/// The lock a statement takes on the table it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatementLock {
    /// The lock.
    pub level: LockLevel,
    /// Whether it copies every row into a new table file.
    pub rewrites: bool,
    /// Whether it reads every row (to build or validate something).
    pub scans: bool,
}

/// A table lock, ordered from the weakest to the strongest: PostgreSQL's
/// lock modes, which MySQL/MariaDB's `LOCK=` clauses map onto
/// (`NONE` = [`LockLevel::RowExclusive`], writes go on; `SHARED` =
/// [`LockLevel::Share`], reads go on, writes wait; `EXCLUSIVE` =
/// [`LockLevel::Exclusive`], both wait).
///
/// ```
/// use driftless_model::{Dialect, LockLevel};
/// assert_eq!(LockLevel::parse("share update exclusive"), Some(LockLevel::ShareUpdateExclusive));
/// assert_eq!(LockLevel::parse("shared"), Some(LockLevel::Share));
/// assert!(LockLevel::Share < LockLevel::AccessExclusive);
/// assert_eq!(LockLevel::AccessExclusive.name(Dialect::Postgres), "ACCESS EXCLUSIVE");
/// assert_eq!(LockLevel::Share.name(Dialect::Mysql), "LOCK=SHARED");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockLevel {
    /// Reading the table: conflicts with ACCESS EXCLUSIVE only.
    AccessShare,
    /// `SELECT … FOR UPDATE`.
    RowShare,
    /// Writing rows: reads and writes go on (MySQL `LOCK=NONE`).
    RowExclusive,
    /// `CREATE INDEX CONCURRENTLY`, `VALIDATE CONSTRAINT`: reads and
    /// writes go on, other DDL waits.
    ShareUpdateExclusive,
    /// `CREATE INDEX`: reads go on, writes wait (MySQL `LOCK=SHARED`).
    Share,
    /// Adding a foreign key: reads go on, writes wait.
    ShareRowExclusive,
    /// Reads of the rows go on, writes wait (MySQL `LOCK=EXCLUSIVE`:
    /// both wait).
    Exclusive,
    /// Most `ALTER TABLE`: every read and write waits.
    AccessExclusive,
}

impl LockLevel {
    /// Every level, weakest first.
    pub const ALL: [LockLevel; 8] = [
        LockLevel::AccessShare,
        LockLevel::RowShare,
        LockLevel::RowExclusive,
        LockLevel::ShareUpdateExclusive,
        LockLevel::Share,
        LockLevel::ShareRowExclusive,
        LockLevel::Exclusive,
        LockLevel::AccessExclusive,
    ];

    /// The lock as the database names it: PostgreSQL's mode (`ACCESS
    /// EXCLUSIVE`), MySQL's `LOCK=` clause, SQLite's database lock
    /// (`SHARED`, `RESERVED`).
    pub fn name(self, d: Dialect) -> &'static str {
        use LockLevel::*;
        match (d, self) {
            (Dialect::Postgres, _) => self.pg_name(),
            (Dialect::Mysql, AccessShare | RowShare | RowExclusive) => "LOCK=NONE",
            (Dialect::Mysql, ShareUpdateExclusive | Share | ShareRowExclusive) => "LOCK=SHARED",
            (Dialect::Mysql, Exclusive | AccessExclusive) => "LOCK=EXCLUSIVE",
            (Dialect::Sqlite, AccessShare | RowShare) => "SHARED",
            (Dialect::Sqlite, _) => "RESERVED",
        }
    }

    /// The lock in a sentence: `ACCESS EXCLUSIVE lock`, `LOCK=NONE`.
    pub fn phrase(self, d: Dialect) -> String {
        match self.name(d) {
            clause if clause.contains('=') => clause.to_string(),
            mode => format!("{mode} lock"),
        }
    }

    fn pg_name(self) -> &'static str {
        match self {
            LockLevel::AccessShare => "ACCESS SHARE",
            LockLevel::RowShare => "ROW SHARE",
            LockLevel::RowExclusive => "ROW EXCLUSIVE",
            LockLevel::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            LockLevel::Share => "SHARE",
            LockLevel::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockLevel::Exclusive => "EXCLUSIVE",
            LockLevel::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    /// Parses a PostgreSQL mode name (`access exclusive`,
    /// `SHARE_UPDATE_EXCLUSIVE`, `share-row-exclusive`, with or without a
    /// trailing `lock`) or a MySQL `LOCK=` value (`none`, `shared`;
    /// `exclusive` is both), case-insensitively.
    pub fn parse(s: &str) -> Option<Self> {
        let norm: String = s
            .trim()
            .to_ascii_uppercase()
            .replace(['-', '_'], " ")
            .trim_start_matches("LOCK=")
            .trim_end_matches(" LOCK")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        match norm.as_str() {
            "NONE" => Some(LockLevel::RowExclusive),
            "SHARED" => Some(LockLevel::Share),
            n => LockLevel::ALL.into_iter().find(|l| l.pg_name() == n),
        }
    }
}

impl fmt::Display for LockLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.pg_name())
    }
}

/// How MySQL/MariaDB runs an `ALTER TABLE`: the cheapest `ALGORITHM=` the
/// server accepts for the change, weakest first. The lock and the work
/// follow from it ([`AlterAlgorithm::lock`]).
///
/// ```
/// use driftless_model::{AlterAlgorithm, LockLevel};
/// let l = AlterAlgorithm::Inplace.lock();
/// assert_eq!((l.level, l.rewrites, l.scans), (LockLevel::RowExclusive, false, true));
/// assert!(AlterAlgorithm::Copy.lock().rewrites);
/// assert_eq!(AlterAlgorithm::Instant.clause(), "ALGORITHM=INSTANT");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlterAlgorithm {
    /// `ALGORITHM=INSTANT`: the catalog only; reads and writes go on.
    Instant,
    /// `ALGORITHM=INPLACE, LOCK=NONE`: the server works through the rows
    /// (checks them, rebuilds an index or the table in place) while reads
    /// and writes go on.
    Inplace,
    /// `ALGORITHM=COPY`: every row is copied into a new table while
    /// writes wait (`LOCK=SHARED`).
    Copy,
}

impl AlterAlgorithm {
    /// The lock it takes and the work it does: INSTANT and INPLACE let
    /// writes go on (`LOCK=NONE`), INPLACE reading every row; COPY holds
    /// writes (`LOCK=SHARED`) and rewrites the table.
    pub fn lock(self) -> StatementLock {
        let (level, rewrites, scans) = match self {
            AlterAlgorithm::Instant => (LockLevel::RowExclusive, false, false),
            AlterAlgorithm::Inplace => (LockLevel::RowExclusive, false, true),
            AlterAlgorithm::Copy => (LockLevel::Share, true, true),
        };
        StatementLock {
            level,
            rewrites,
            scans,
        }
    }

    /// The clause as the server spells it (`ALGORITHM=INPLACE, LOCK=NONE`).
    pub fn clause(self) -> &'static str {
        match self {
            AlterAlgorithm::Instant => "ALGORITHM=INSTANT",
            AlterAlgorithm::Inplace => "ALGORITHM=INPLACE, LOCK=NONE",
            AlterAlgorithm::Copy => "ALGORITHM=COPY, LOCK=SHARED",
        }
    }
}

/// The lock one statement takes on the table it names, and whether it
/// rewrites or reads every row; `None` for statements on no existing
/// table (creating a table, a type, a schema …).
///
/// ```
/// use driftless_model::{statement_lock, Dialect, LockLevel};
/// let l = statement_lock(Dialect::Postgres, "CREATE INDEX CONCURRENTLY i ON t (a)").unwrap();
/// assert_eq!((l.level, l.rewrites, l.scans), (LockLevel::ShareUpdateExclusive, false, true));
/// ```
pub fn statement_lock(d: Dialect, sql: &str) -> Option<StatementLock> {
    lock_of(d, sql).map(|(level, rewrites, scans)| StatementLock {
        level,
        rewrites,
        scans,
    })
}

/// [`statement_lock`] as a tuple.
fn lock_of(d: Dialect, sql: &str) -> Option<(LockLevel, bool, bool)> {
    let w: Vec<String> = tokens(sql, d)
        .filter(|t| t.kind == TokenKind::Word)
        .map(|t| t.text.to_ascii_uppercase())
        .collect();
    let at = |i: usize, k: &str| w.get(i).is_some_and(|x| x == k);
    let has = |k: &str| w.iter().any(|x| x == k);
    let kinds: Vec<HazardKind> = statement_hazards(sql, d)
        .into_iter()
        .map(|h| h.kind)
        .collect();
    let rewrites = kinds.contains(&HazardKind::Rewrite);
    let scans = rewrites || kinds.contains(&HazardKind::Scan);
    let index = at(1, "INDEX") || (at(1, "UNIQUE") && at(2, "INDEX"));
    use LockLevel::*;
    let level = match d {
        Dialect::Postgres if at(0, "CREATE") && index => {
            let l = if has("CONCURRENTLY") {
                ShareUpdateExclusive
            } else {
                Share
            };
            return Some((l, false, true));
        }
        Dialect::Postgres if at(0, "DROP") && at(1, "INDEX") && has("CONCURRENTLY") => {
            ShareUpdateExclusive
        }
        Dialect::Postgres if at(0, "ALTER") && at(1, "TABLE") && has("VALIDATE") => {
            return Some((ShareUpdateExclusive, false, true));
        }
        Dialect::Postgres if at(0, "ALTER") && at(1, "TABLE") && has("FOREIGN") => {
            return Some((ShareRowExclusive, false, !has("VALID")));
        }
        Dialect::Postgres if at(0, "COMMENT") => ShareUpdateExclusive,
        Dialect::Mysql if (at(0, "CREATE") && index) || mysql_adds_index(&w) => {
            return Some((RowExclusive, false, true));
        }
        Dialect::Mysql if at(0, "ALTER") && has("INSTANT") => RowExclusive,
        Dialect::Mysql if at(0, "ALTER") && mysql_copies(&w) => {
            return Some((Share, true, true));
        }
        Dialect::Mysql if at(0, "ALTER") => RowExclusive,
        Dialect::Sqlite if at(0, "ALTER") || at(0, "CREATE") && index => Exclusive,
        _ if at(0, "INSERT") || at(0, "UPDATE") || at(0, "DELETE") => {
            return Some((RowExclusive, false, has("SELECT") || !at(0, "INSERT")));
        }
        _ if at(0, "ALTER") || at(0, "DROP") || at(0, "TRUNCATE") => AccessExclusive,
        _ => return None,
    };
    Some((level, rewrites, scans))
}

/// `ALTER TABLE … ADD [UNIQUE] INDEX|KEY`: built in place, writes go on.
fn mysql_adds_index(w: &[String]) -> bool {
    w.windows(2)
        .any(|p| p[0] == "ADD" && matches!(p[1].as_str(), "INDEX" | "KEY" | "UNIQUE" | "FULLTEXT"))
}

/// MySQL changes that copy the table (`ALGORITHM=COPY`): a column's type,
/// a primary key, a check or foreign key (validated against every row).
fn mysql_copies(w: &[String]) -> bool {
    let copy = [
        "MODIFY", "CHANGE", "CONVERT", "FORCE", "PRIMARY", "CHECK", "FOREIGN",
    ];
    w.iter().any(|x| copy.contains(&x.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(d: Dialect, sql: &str) -> Option<(LockLevel, bool, bool)> {
        lock_of(d, sql)
    }

    #[test]
    fn postgres_locks() {
        let pg = Dialect::Postgres;
        use LockLevel::*;
        assert_eq!(
            lock(pg, "CREATE INDEX i ON t (a)"),
            Some((Share, false, true))
        );
        assert_eq!(
            lock(pg, "CREATE UNIQUE INDEX CONCURRENTLY i ON t (a)"),
            Some((ShareUpdateExclusive, false, true))
        );
        assert_eq!(
            lock(
                pg,
                "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id) NOT VALID"
            ),
            Some((ShareRowExclusive, false, false))
        );
        assert_eq!(
            lock(
                pg,
                "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id)"
            ),
            Some((ShareRowExclusive, false, true))
        );
        assert_eq!(
            lock(pg, "ALTER TABLE t VALIDATE CONSTRAINT f"),
            Some((ShareUpdateExclusive, false, true))
        );
        assert_eq!(
            lock(pg, "ALTER TABLE t ADD COLUMN c int"),
            Some((AccessExclusive, false, false))
        );
        assert_eq!(
            lock(pg, "ALTER TABLE t ALTER COLUMN c TYPE bigint"),
            Some((AccessExclusive, true, true))
        );
        assert_eq!(lock(pg, "CREATE TABLE t (a int)"), None);
    }

    #[test]
    fn mysql_locks_and_names() {
        let my = Dialect::Mysql;
        use LockLevel::*;
        assert_eq!(
            lock(my, "ALTER TABLE `t` ADD INDEX `i` (`a`)"),
            Some((RowExclusive, false, true))
        );
        assert_eq!(
            lock(my, "ALTER TABLE `t` MODIFY `a` bigint"),
            Some((Share, true, true))
        );
        assert_eq!(
            lock(my, "ALTER TABLE `t` ADD COLUMN `c` int"),
            Some((RowExclusive, false, false))
        );
        assert_eq!(Share.name(my), "LOCK=SHARED");
        assert_eq!(LockLevel::parse("exclusive"), Some(Exclusive));
        assert_eq!(
            LockLevel::parse("ACCESS EXCLUSIVE LOCK"),
            Some(AccessExclusive)
        );
        assert_eq!(LockLevel::parse("LOCK=NONE"), Some(RowExclusive));
        assert_eq!(LockLevel::parse("nope"), None);
    }
}
