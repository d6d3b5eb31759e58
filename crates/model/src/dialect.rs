//! The kinds of database driftless reads, and how each quotes names and
//! strings.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The kind of database a snapshot was read from.
///
/// Comparison is always within one dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// PostgreSQL 12 or later.
    Postgres,
    /// MySQL 8 or MariaDB 10.5 or later.
    Mysql,
    /// SQLite 3.
    Sqlite,
}

impl Dialect {
    /// The lower-case name used in URLs, JSON and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Mysql => "mysql",
            Dialect::Sqlite => "sqlite",
        }
    }

    /// `name` quoted as an identifier (`"…"`, MySQL `` `…` ``) with the
    /// quote character doubled inside, so that no name can end its quotes
    /// early. NUL characters, which no database keeps in a name, are
    /// dropped. Every identifier driftless writes into SQL goes through
    /// here.
    ///
    /// ```
    /// use driftless_model::Dialect;
    /// assert_eq!(Dialect::Postgres.quote_ident(r#"x"; DROP TABLE t; --"#), r#""x""; DROP TABLE t; --""#);
    /// assert_eq!(Dialect::Mysql.quote_ident("a`b"), "`a``b`");
    /// ```
    pub fn quote_ident(self, name: &str) -> String {
        let q = match self {
            Dialect::Mysql => '`',
            Dialect::Postgres | Dialect::Sqlite => '"',
        };
        let mut out = String::with_capacity(name.len() + 2);
        out.push(q);
        for c in name.chars() {
            if c == q {
                out.push(q);
            }
            if c != '\0' {
                out.push(c);
            }
        }
        out.push(q);
        out
    }

    /// `text` as a string literal that cannot end early: quotes doubled;
    /// MySQL also escapes backslashes; a PostgreSQL literal holding a
    /// backslash is an escape string (`E'…'`), which reads the same
    /// whatever `standard_conforming_strings` is. NUL characters dropped.
    ///
    /// ```
    /// use driftless_model::Dialect;
    /// assert_eq!(Dialect::Postgres.quote_literal("it's"), "'it''s'");
    /// assert_eq!(Dialect::Postgres.quote_literal(r"a\b"), r"E'a\\b'");
    /// assert_eq!(Dialect::Mysql.quote_literal(r"a\'b"), r"'a\\''b'");
    /// assert_eq!(Dialect::Sqlite.quote_literal(r"a\'b"), r"'a\''b'");
    /// ```
    pub fn quote_literal(self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 3);
        let backslash_escapes = self == Dialect::Mysql;
        let escape_string = self == Dialect::Postgres && text.contains('\\');
        if escape_string {
            out.push('E');
        }
        out.push('\'');
        for c in text.chars() {
            match c {
                '\'' => out.push_str("''"),
                '\\' if backslash_escapes || escape_string => out.push_str("\\\\"),
                '\0' => {}
                c => out.push(c),
            }
        }
        out.push('\'');
        out
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
