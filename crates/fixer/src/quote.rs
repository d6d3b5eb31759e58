//! Quoting of identifiers and string literals for hand-written SQL, and the
//! pre-escaping sea-query needs for names it writes verbatim.
//!
//! Every name that reaches SQL goes through here or through sea-query's own
//! escaping of `String` identifiers: no name can end its quotes early.

use driftless_model::Dialect;
use sea_query::{Alias, DynIden, IntoIden, SchemaName, TableName, TableRef};

/// The identifier quote character of a dialect.
pub(crate) fn quote_char(dialect: Dialect) -> char {
    match dialect {
        Dialect::Mysql => '`',
        Dialect::Postgres | Dialect::Sqlite => '"',
    }
}

/// `name` quoted as an identifier, with the quote character doubled inside
/// ([`Dialect::quote_ident`], the one quoting of every crate).
pub(crate) fn ident(dialect: Dialect, name: &str) -> String {
    dialect.quote_ident(name)
}

/// A table (or other schema object) name, schema-qualified on PostgreSQL
/// and MySQL/MariaDB (where the schema is a database: a statement must not
/// depend on the connection's default database). SQLite objects live in
/// `main`, the only database a driftless connection has.
pub(crate) fn qualified(dialect: Dialect, schema: &str, name: &str) -> String {
    match dialect {
        Dialect::Postgres | Dialect::Mysql => {
            format!("{}.{}", ident(dialect, schema), ident(dialect, name))
        }
        Dialect::Sqlite => ident(dialect, name),
    }
}

/// A string literal. PostgreSQL and SQLite double single quotes; MySQL also
/// escapes backslashes (harmless under `NO_BACKSLASH_ESCAPES`: the literal
/// still cannot end early). NUL characters are dropped: no database stores
/// them in names or labels.
pub(crate) fn literal(dialect: Dialect, s: &str) -> String {
    dialect.quote_literal(s)
}

/// A name for the places where sea-query writes names verbatim between
/// quotes (index, foreign-key and table-constraint names): pre-escaped by
/// doubling the quote character, so the result is still one identifier.
pub(crate) fn sq_raw_name(dialect: Dialect, name: &str) -> String {
    let q = quote_char(dialect);
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c == q {
            out.push(q);
        }
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

/// An identifier for sea-query: always an owned string, which sea-query
/// escapes itself.
pub(crate) fn sq_iden(name: &str) -> DynIden {
    Alias::new(name.replace('\0', "")).into_iden()
}

/// A table reference for sea-query, qualified like [`qualified`].
pub(crate) fn sq_table(dialect: Dialect, schema: &str, table: &str) -> TableRef {
    match dialect {
        Dialect::Postgres | Dialect::Mysql => TableRef::Table(
            TableName(Some(SchemaName(None, sq_iden(schema))), sq_iden(table)),
            None,
        ),
        Dialect::Sqlite => TableRef::Table(TableName(None, sq_iden(table)), None),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_cannot_escape_their_quotes() {
        assert_eq!(ident(Dialect::Postgres, r#"a"b;c"#), r#""a""b;c""#);
        assert_eq!(
            ident(Dialect::Sqlite, r#"x"; DROP TABLE t; --"#),
            r#""x""; DROP TABLE t; --""#
        );
        assert_eq!(ident(Dialect::Mysql, "a`b"), "`a``b`");
        assert_eq!(
            qualified(Dialect::Postgres, "s\"", "t"),
            r#""s""".."t""#.replace("..", ".")
        );
        assert_eq!(qualified(Dialect::Mysql, "app", "t"), "`app`.`t`");
        assert_eq!(qualified(Dialect::Mysql, "a`p", "t"), "`a``p`.`t`");
        assert_eq!(qualified(Dialect::Sqlite, "main", "t"), "\"t\"");
    }

    #[test]
    fn literals() {
        assert_eq!(literal(Dialect::Postgres, "it's"), "'it''s'");
        assert_eq!(literal(Dialect::Postgres, r"a\b"), r"E'a\\b'");
        assert_eq!(literal(Dialect::Mysql, r"a\'b"), r"'a\\''b'");
        assert_eq!(literal(Dialect::Sqlite, r"a\'b"), r"'a\''b'");
    }
}
