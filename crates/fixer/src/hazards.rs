//! What each step does to a busy table: the lock it takes, whether it
//! rewrites or reads every row, the table's live size and a rough
//! duration — judged from the step's own statements and the sizes read
//! with the actual schema ([`Snapshot::sizes`]).

use std::fmt;

use driftless_model::sql::{tokens, TokenKind};
use driftless_model::{human_bytes, statement_hazards, Dialect, HazardKind, Snapshot};
use serde::{Deserialize, Serialize};

/// A table lock, ordered from the weakest to the strongest: PostgreSQL's
/// lock modes, which MySQL/MariaDB's `LOCK=` clauses map onto
/// (`NONE` = [`LockLevel::RowExclusive`], writes go on; `SHARED` =
/// [`LockLevel::Share`], reads go on, writes wait; `EXCLUSIVE` =
/// [`LockLevel::Exclusive`], both wait).
///
/// ```
/// use driftless_fixer::LockLevel;
/// use driftless_model::Dialect;
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
    /// rows, 150.0 MiB): seconds`; MySQL: `LOCK=NONE on app.events …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // PostgreSQL names a mode (`SHARE`), MySQL a clause (`LOCK=NONE`).
        let lock = if self.lock_name.contains('=') {
            ""
        } else {
            " lock"
        };
        write!(f, "{}{lock} on {}", self.lock_name, self.table)?;
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

/// The lock one statement takes on the table it names, and whether it
/// rewrites or reads every row; `None` for statements on no existing
/// table (creating a table, a type, a schema …).
pub(crate) fn statement_lock(d: Dialect, sql: &str) -> Option<(LockLevel, bool, bool)> {
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

    fn lock(d: Dialect, sql: &str) -> Option<(LockLevel, bool, bool)> {
        statement_lock(d, sql)
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

    #[test]
    fn durations_follow_the_size() {
        assert_eq!(DurationClass::of_bytes(1 << 20), DurationClass::Seconds);
        assert_eq!(DurationClass::of_bytes(1 << 30), DurationClass::Minutes);
        assert_eq!(DurationClass::of_bytes(1 << 40), DurationClass::Hours);
    }
}
