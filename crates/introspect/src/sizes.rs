//! Live table sizes in one bulk query: what a fix step's hazard and its
//! online strategy are judged by.

use driftless_model::{Dialect, LiveSizes, QualifiedName, TableSize};

use crate::{Database, Result, Row, Value};

/// Every user table of a PostgreSQL database: schema, table, estimated
/// rows (NULL before the first analyse), bytes with indexes and TOAST.
/// `pg_total_relation_size` opens the table, so it would queue behind an
/// ACCESS EXCLUSIVE lock: a table with one (held or asked for) gets the
/// page counts of its last analyse instead, which take no lock.
const POSTGRES: &str = "\
SELECT n.nspname::text, c.relname::text, \
       CASE WHEN c.reltuples >= 0 THEN c.reltuples::int8 END, \
       CASE WHEN EXISTS (SELECT FROM pg_locks l WHERE l.relation = c.oid AND l.mode = 'AccessExclusiveLock' \
                           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())) \
            THEN (c.relpages::int8 + COALESCE(t.relpages, 0) \
                  + COALESCE((SELECT sum(i.relpages) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
                              WHERE x.indrelid = c.oid), 0)) * current_setting('block_size')::int8 \
            ELSE pg_total_relation_size(c.oid)::int8 END \
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
LEFT JOIN pg_class t ON t.oid = c.reltoastrelid \
WHERE c.relkind IN ('r', 'p') \
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";

/// Every base table of a MySQL/MariaDB server outside the system
/// databases: schema, table, estimated rows, data and index bytes.
const MYSQL: &str = "\
SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_ROWS, DATA_LENGTH + INDEX_LENGTH \
FROM information_schema.TABLES \
WHERE TABLE_TYPE = 'BASE TABLE' \
  AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')";

impl Database {
    /// The live size of every table in `schemas` (every user schema when
    /// empty), in one query: PostgreSQL `pg_class.reltuples` and
    /// `pg_total_relation_size`, MySQL/MariaDB `information_schema.TABLES`
    /// (`TABLE_ROWS`, `DATA_LENGTH + INDEX_LENGTH`). SQLite gives none
    /// (an empty map): a fix there always runs in one transaction.
    /// Read-only.
    pub async fn table_sizes(&mut self, schemas: &[String]) -> Result<LiveSizes> {
        let sql = match self.dialect() {
            Dialect::Postgres => POSTGRES,
            Dialect::Mysql => MYSQL,
            Dialect::Sqlite => return Ok(LiveSizes::default()),
        };
        let rows = self.query(sql, "reading the live table sizes").await?;
        Ok(parse(&rows, schemas))
    }
}

/// The rows of [`POSTGRES`] or [`MYSQL`], those in `schemas` (all when
/// empty).
fn parse(rows: &[Row], schemas: &[String]) -> LiveSizes {
    let mut sizes = LiveSizes::default();
    let count = |v: Option<&Value>| {
        v.and_then(Value::as_i64)
            .and_then(|n| u64::try_from(n).ok())
    };
    for row in rows {
        let (Some(schema), Some(table)) = (
            row.first().and_then(Value::as_str),
            row.get(1).and_then(Value::as_str),
        ) else {
            continue;
        };
        if !schemas.is_empty() && !schemas.iter().any(|s| s == schema) {
            continue;
        }
        let size = TableSize {
            rows: count(row.get(2)),
            bytes: count(row.get(3)),
        };
        sizes.insert(QualifiedName::new(schema, table), size);
    }
    sizes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_without_an_estimate_have_no_row_count() {
        let row = |s: &str, rows: Value| {
            vec![
                Value::Text(s.into()),
                Value::Text("events".into()),
                rows,
                Value::Int(8192),
            ]
        };
        let rows = [row("public", Value::Null), row("other", Value::Int(3))];
        let all = parse(&rows, &[]);
        assert_eq!(
            all.get("public", "events"),
            Some(TableSize {
                rows: None,
                bytes: Some(8192)
            })
        );
        let scoped = parse(&rows, &["other".to_string()]);
        assert_eq!(scoped.get("public", "events"), None);
        assert_eq!(scoped.get("other", "events").and_then(|s| s.rows), Some(3));
    }
}
