//! The code a database gives with an error (PostgreSQL SQLSTATE, MySQL /
//! MariaDB error number and SQLSTATE, SQLite extended result code), and
//! what kind of failure it stands for, so that callers recognise lock
//! timeouts, busy databases or missing objects by code rather than by the
//! (possibly translated) message.

use std::fmt;

use driftless_model::Dialect;

/// What kind of failure a database error stands for, as far as driftless
/// needs to tell them apart. See [`DbErrorCode::kind`] for the codes each
/// kind covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Waiting for a lock took longer than the lock timeout (or the lock
    /// was requested without waiting and is held).
    LockTimeout,
    /// The transaction was chosen as a deadlock victim and rolled back.
    Deadlock,
    /// The statement ran longer than the statement timeout and was stopped.
    StatementTimeout,
    /// SQLite: another connection holds a lock on the database (or, within
    /// the same connection, on a table).
    Busy,
    /// A table, column, index, routine or schema named in the statement
    /// does not exist.
    UndefinedObject,
    /// The database named in the URL does not exist (or, SQLite, its file
    /// cannot be opened).
    MissingDatabase,
    /// Authentication failed or the role lacks a privilege.
    PermissionDenied,
    /// A write was refused because the transaction, session, server or
    /// file is read-only.
    ReadOnly,
    /// The statement was interrupted (killed or cancelled) for another
    /// reason than the statement timeout.
    Interrupted,
    /// Any other failure.
    Other,
}

/// The code a database reported with an error.
///
/// * PostgreSQL: the SQLSTATE (`55P03` lock_not_available …);
/// * MySQL / MariaDB: the error number (`1205` lock wait timeout …) and the
///   SQLSTATE, which MySQL uses as a coarse category;
/// * SQLite: the extended result code (`5` SQLITE_BUSY, `776`
///   SQLITE_READONLY_ROLLBACK …) as the number.
///
/// ```
/// use driftless_introspect::{DbErrorCode, ErrorKind};
/// assert_eq!(DbErrorCode::postgres("55P03").kind(), ErrorKind::LockTimeout);
/// assert_eq!(DbErrorCode::mysql(1146, Some("42S02")).kind(), ErrorKind::UndefinedObject);
/// assert_eq!(DbErrorCode::sqlite(517).kind(), ErrorKind::Busy); // SQLITE_BUSY_SNAPSHOT
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbErrorCode {
    dialect: Dialect,
    sqlstate: Option<String>,
    number: Option<i64>,
    kind: ErrorKind,
}

impl DbErrorCode {
    /// A PostgreSQL error, by its SQLSTATE.
    pub fn postgres(sqlstate: &str) -> Self {
        DbErrorCode {
            dialect: Dialect::Postgres,
            sqlstate: Some(sqlstate.to_string()),
            number: None,
            kind: postgres_kind(sqlstate),
        }
    }

    /// A MySQL / MariaDB error, by its number and SQLSTATE.
    pub fn mysql(number: u16, sqlstate: Option<&str>) -> Self {
        DbErrorCode {
            dialect: Dialect::Mysql,
            sqlstate: sqlstate.map(str::to_string),
            number: Some(i64::from(number)),
            kind: mysql_kind(number, sqlstate),
        }
    }

    /// A SQLite error, by its (extended) result code.
    pub fn sqlite(code: i32) -> Self {
        DbErrorCode {
            dialect: Dialect::Sqlite,
            sqlstate: None,
            number: Some(i64::from(code)),
            kind: sqlite_kind(code),
        }
    }

    /// The code of a database error reported through the driver; `None`
    /// for other driver errors (I/O, protocol, TLS …).
    pub(crate) fn from_driver(e: &sqlx::Error) -> Option<Self> {
        let sqlx::Error::Database(db) = e else {
            return None;
        };
        if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
            return Some(DbErrorCode::postgres(pg.code()));
        }
        if let Some(my) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
            return Some(DbErrorCode::mysql(my.number(), my.code()));
        }
        let code: i32 = db.code()?.parse().ok()?;
        let mut code = DbErrorCode::sqlite(code);
        // SQLite has no code of its own for a missing table, column, index
        // …: it reports SQLITE_ERROR with a message that is never
        // translated and always starts `no such <object>:`.
        if code.number == Some(SQLITE_ERROR) && db.message().starts_with("no such ") {
            code.kind = ErrorKind::UndefinedObject;
        }
        Some(code)
    }

    /// The database that reported the error.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The SQLSTATE (PostgreSQL, MySQL / MariaDB).
    pub fn sqlstate(&self) -> Option<&str> {
        self.sqlstate.as_deref()
    }

    /// The error number (MySQL / MariaDB) or extended result code (SQLite).
    pub fn number(&self) -> Option<i64> {
        self.number
    }

    /// What kind of failure the code stands for:
    ///
    /// | kind | PostgreSQL | MySQL / MariaDB | SQLite |
    /// |---|---|---|---|
    /// | [`LockTimeout`](ErrorKind::LockTimeout) | 55P03 | 1205, 3572 | |
    /// | [`Deadlock`](ErrorKind::Deadlock) | 40P01 | 1213 | |
    /// | [`StatementTimeout`](ErrorKind::StatementTimeout) | 57014 (also a cancel request) | 3024, 1969 | |
    /// | [`Busy`](ErrorKind::Busy) | | | 5, 6 and their extended codes |
    /// | [`UndefinedObject`](ErrorKind::UndefinedObject) | 42P01, 42703, 42704, 42883, 3F000 | 1051, 1054, 1091, 1109, 1146, 1176, 1305, 1360 | 1 with `no such …` |
    /// | [`MissingDatabase`](ErrorKind::MissingDatabase) | 3D000 | 1049 | 14 |
    /// | [`PermissionDenied`](ErrorKind::PermissionDenied) | 28000, 28P01, 42501 | 1044, 1045, 1142, 1143, 1227, 1370, 1698 | 3, 23 |
    /// | [`ReadOnly`](ErrorKind::ReadOnly) | 25006 | 1792 | 8 and its extended codes |
    /// | [`Interrupted`](ErrorKind::Interrupted) | | 1317 | 9 |
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Display for DbErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.dialect, self.number, &self.sqlstate) {
            (Dialect::Mysql, Some(n), Some(s)) => write!(f, "MySQL error {n} (SQLSTATE {s})"),
            (Dialect::Mysql, Some(n), None) => write!(f, "MySQL error {n}"),
            (Dialect::Sqlite, Some(n), _) => write!(f, "SQLite result code {n}"),
            (_, _, Some(s)) => write!(f, "SQLSTATE {s}"),
            _ => f.write_str("no error code"),
        }
    }
}

/// SQLite's primary result code `SQLITE_ERROR` (generic error).
const SQLITE_ERROR: i64 = 1;

fn postgres_kind(sqlstate: &str) -> ErrorKind {
    match sqlstate {
        "55P03" => ErrorKind::LockTimeout,
        "40P01" => ErrorKind::Deadlock,
        // query_canceled: the statement timeout, or a cancel request
        // (PostgreSQL reports both with this code).
        "57014" => ErrorKind::StatementTimeout,
        "42P01" | "42703" | "42704" | "42883" | "3F000" => ErrorKind::UndefinedObject,
        "3D000" => ErrorKind::MissingDatabase,
        "28000" | "28P01" | "42501" => ErrorKind::PermissionDenied,
        "25006" => ErrorKind::ReadOnly,
        _ => ErrorKind::Other,
    }
}

fn mysql_kind(number: u16, sqlstate: Option<&str>) -> ErrorKind {
    match number {
        // ER_LOCK_WAIT_TIMEOUT; ER_LOCK_NOWAIT (MySQL 8).
        1205 | 3572 => ErrorKind::LockTimeout,
        // ER_LOCK_DEADLOCK.
        1213 => ErrorKind::Deadlock,
        // ER_QUERY_TIMEOUT (MySQL max_execution_time); ER_STATEMENT_TIMEOUT
        // (MariaDB max_statement_time).
        3024 | 1969 => ErrorKind::StatementTimeout,
        // ER_QUERY_INTERRUPTED (KILL QUERY).
        1317 => ErrorKind::Interrupted,
        // ER_BAD_TABLE_ERROR, ER_BAD_FIELD_ERROR, ER_CANT_DROP_FIELD_OR_KEY,
        // ER_UNKNOWN_TABLE, ER_NO_SUCH_TABLE, ER_KEY_DOES_NOT_EXITS,
        // ER_SP_DOES_NOT_EXIST, ER_TRG_DOES_NOT_EXIST.
        1051 | 1054 | 1091 | 1109 | 1146 | 1176 | 1305 | 1360 => ErrorKind::UndefinedObject,
        // ER_BAD_DB_ERROR.
        1049 => ErrorKind::MissingDatabase,
        // ER_DBACCESS_DENIED_ERROR, ER_ACCESS_DENIED_ERROR,
        // ER_TABLEACCESS_DENIED_ERROR, ER_COLUMNACCESS_DENIED_ERROR,
        // ER_SPECIFIC_ACCESS_DENIED_ERROR, ER_PROCACCESS_DENIED_ERROR,
        // ER_ACCESS_DENIED_NO_PASSWORD_ERROR.
        1044 | 1045 | 1142 | 1143 | 1227 | 1370 | 1698 => ErrorKind::PermissionDenied,
        // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION.
        1792 => ErrorKind::ReadOnly,
        // Invalid authorization specification.
        _ if sqlstate == Some("28000") => ErrorKind::PermissionDenied,
        _ => ErrorKind::Other,
    }
}

fn sqlite_kind(code: i32) -> ErrorKind {
    // SQLITE_CANTOPEN itself (the extended codes name other causes: a
    // folder, a path that cannot be resolved …).
    if code == 14 {
        return ErrorKind::MissingDatabase;
    }
    // The primary result code is the low byte of an extended one.
    match code & 0xff {
        // SQLITE_BUSY, SQLITE_LOCKED.
        5 | 6 => ErrorKind::Busy,
        // SQLITE_READONLY.
        8 => ErrorKind::ReadOnly,
        // SQLITE_INTERRUPT.
        9 => ErrorKind::Interrupted,
        // SQLITE_PERM, SQLITE_AUTH.
        3 | 23 => ErrorKind::PermissionDenied,
        _ => ErrorKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_sqlstates() {
        for (code, kind) in [
            ("55P03", ErrorKind::LockTimeout),
            ("40P01", ErrorKind::Deadlock),
            ("57014", ErrorKind::StatementTimeout),
            ("42P01", ErrorKind::UndefinedObject),
            ("42703", ErrorKind::UndefinedObject),
            ("42704", ErrorKind::UndefinedObject),
            ("42883", ErrorKind::UndefinedObject),
            ("3F000", ErrorKind::UndefinedObject),
            ("3D000", ErrorKind::MissingDatabase),
            ("28P01", ErrorKind::PermissionDenied),
            ("28000", ErrorKind::PermissionDenied),
            ("42501", ErrorKind::PermissionDenied),
            ("25006", ErrorKind::ReadOnly),
            ("23505", ErrorKind::Other),
            ("42601", ErrorKind::Other),
        ] {
            let c = DbErrorCode::postgres(code);
            assert_eq!(c.kind(), kind, "{code}");
            assert_eq!((c.sqlstate(), c.number()), (Some(code), None));
            assert_eq!(c.dialect(), Dialect::Postgres);
            assert_eq!(c.to_string(), format!("SQLSTATE {code}"));
        }
    }

    #[test]
    fn mysql_numbers() {
        for (number, state, kind) in [
            (1205, "HY000", ErrorKind::LockTimeout),
            (3572, "HY000", ErrorKind::LockTimeout),
            (1213, "40001", ErrorKind::Deadlock),
            (3024, "HY000", ErrorKind::StatementTimeout),
            (1969, "70100", ErrorKind::StatementTimeout),
            (1317, "70100", ErrorKind::Interrupted),
            (1146, "42S02", ErrorKind::UndefinedObject),
            (1054, "42S22", ErrorKind::UndefinedObject),
            (1051, "42S02", ErrorKind::UndefinedObject),
            (1091, "42000", ErrorKind::UndefinedObject),
            (1049, "42000", ErrorKind::MissingDatabase),
            (1045, "28000", ErrorKind::PermissionDenied),
            (1044, "42000", ErrorKind::PermissionDenied),
            (1142, "42000", ErrorKind::PermissionDenied),
            (1698, "28000", ErrorKind::PermissionDenied),
            (1792, "25006", ErrorKind::ReadOnly),
            // SQLSTATE 42000 alone is a syntax error as well as a denial.
            (1064, "42000", ErrorKind::Other),
            (1062, "23000", ErrorKind::Other),
            // An authorization SQLSTATE with a number not listed.
            (1251, "28000", ErrorKind::PermissionDenied),
        ] {
            let c = DbErrorCode::mysql(number, Some(state));
            assert_eq!(c.kind(), kind, "{number}");
            assert_eq!(
                (c.sqlstate(), c.number()),
                (Some(state), Some(i64::from(number)))
            );
            assert_eq!(
                c.to_string(),
                format!("MySQL error {number} (SQLSTATE {state})")
            );
        }
        assert_eq!(
            DbErrorCode::mysql(1205, None).kind(),
            ErrorKind::LockTimeout
        );
        assert_eq!(
            DbErrorCode::mysql(1205, None).to_string(),
            "MySQL error 1205"
        );
    }

    #[test]
    fn sqlite_result_codes() {
        for (code, kind) in [
            (5, ErrorKind::Busy),
            (261, ErrorKind::Busy), // SQLITE_BUSY_RECOVERY
            (517, ErrorKind::Busy), // SQLITE_BUSY_SNAPSHOT
            (773, ErrorKind::Busy), // SQLITE_BUSY_TIMEOUT
            (6, ErrorKind::Busy),   // SQLITE_LOCKED
            (262, ErrorKind::Busy), // SQLITE_LOCKED_SHAREDCACHE
            (8, ErrorKind::ReadOnly),
            (776, ErrorKind::ReadOnly), // SQLITE_READONLY_ROLLBACK
            (9, ErrorKind::Interrupted),
            (14, ErrorKind::MissingDatabase),
            (526, ErrorKind::Other), // SQLITE_CANTOPEN_ISDIR
            (3, ErrorKind::PermissionDenied),
            (23, ErrorKind::PermissionDenied),
            (1, ErrorKind::Other),
            (19, ErrorKind::Other),   // SQLITE_CONSTRAINT
            (2067, ErrorKind::Other), // SQLITE_CONSTRAINT_UNIQUE
        ] {
            let c = DbErrorCode::sqlite(code);
            assert_eq!(c.kind(), kind, "{code}");
            assert_eq!((c.sqlstate(), c.number()), (None, Some(i64::from(code))));
            assert_eq!(c.to_string(), format!("SQLite result code {code}"));
        }
    }
}
