//! The quarantine's SQL: the catalog (one row per quarantined object, with
//! what restoring it needs), the tables that keep an orphan column's
//! values keyed by their rows' primary key, the copy of the values out of
//! the live table and back, and PostgreSQL's move of a table into the
//! quarantine schema.
//!
//! Where things go: on PostgreSQL, in the schema
//! [`QUARANTINE_SCHEMA`](driftless_model::QUARANTINE_SCHEMA); on
//! MySQL/MariaDB and SQLite, in the database of the quarantined object,
//! under names marked with
//! [`QUARANTINE_PREFIX`](driftless_model::QUARANTINE_PREFIX). The catalog
//! is [`QUARANTINE_CATALOG`](driftless_model::QUARANTINE_CATALOG) there.

use driftless_model::{Column, Dialect, PrimaryKey, Table, QUARANTINE_CATALOG, QUARANTINE_SCHEMA};

use super::{writer, CreateTable, Postgres};
use crate::plan::PlanError;
use crate::quote::{ident, literal, qualified};

/// The schema quarantined data of objects of `schema` goes to.
pub(crate) fn quarantine_schema(d: Dialect, schema: &str) -> &str {
    match d {
        Dialect::Postgres => QUARANTINE_SCHEMA,
        Dialect::Mysql | Dialect::Sqlite => schema,
    }
}

/// One row of the catalog, as a quarantine step writes it.
#[derive(Debug, Clone)]
pub(crate) struct CatalogRow<'a> {
    /// `column` (values moved to a quarantine table), `renamed column`
    /// (renamed inside its table: no primary key) or `table`.
    pub(crate) kind: &'a str,
    pub(crate) schema: &'a str,
    pub(crate) table: &'a str,
    pub(crate) column: Option<&'a str>,
    pub(crate) quarantine_schema: &'a str,
    pub(crate) quarantine_table: &'a str,
    pub(crate) quarantine_column: Option<&'a str>,
    /// The column's definition (`driftless_model::Column` as JSON).
    pub(crate) definition: Option<&'a Column>,
    /// The primary key columns the values are keyed by.
    pub(crate) key: &'a [String],
    /// The fingerprint of the schema the plan was made from.
    pub(crate) plan: &'a str,
}

/// The catalog's columns, in the order [`catalog_insert`] writes and
/// [`catalog_select`] reads them.
const CATALOG_COLUMNS: &str = "kind, source_schema, source_table, source_column, quarantine_schema, quarantine_table, quarantine_column, definition, key_columns, quarantined_at, plan";

/// The catalog table of schema `schema`, qualified.
fn catalog(d: Dialect, schema: &str) -> String {
    qualified(d, quarantine_schema(d, schema), QUARANTINE_CATALOG)
}

/// The statements creating the quarantine schema (PostgreSQL) and the
/// catalog, unless they exist.
pub(crate) fn ensure_catalog(d: Dialect, schema: &str) -> Vec<String> {
    let time = match d {
        Dialect::Postgres => "timestamp with time zone",
        Dialect::Mysql => "datetime(6)",
        Dialect::Sqlite => "text",
    };
    let mut out = Vec::new();
    if d == Dialect::Postgres {
        out.push(Postgres.create_schema(QUARANTINE_SCHEMA, true));
    }
    out.push(format!(
        "CREATE TABLE IF NOT EXISTS {} (kind varchar(32) NOT NULL, source_schema varchar(255) NOT NULL, \
         source_table varchar(255) NOT NULL, source_column varchar(255), quarantine_schema varchar(255) NOT NULL, \
         quarantine_table varchar(255) NOT NULL, quarantine_column varchar(255), definition text, \
         key_columns text NOT NULL, quarantined_at {time} NOT NULL, plan varchar(64) NOT NULL)",
        catalog(d, schema)
    ));
    out
}

/// The statement recording `row` in the catalog.
pub(crate) fn catalog_insert(d: Dialect, row: &CatalogRow<'_>) -> String {
    let l = |s: &str| literal(d, s);
    let opt = |s: Option<&str>| s.map_or_else(|| "NULL".to_string(), l);
    let definition = row.definition.and_then(|c| serde_json::to_string(c).ok());
    let key = serde_json::to_string(row.key).unwrap_or_else(|_| "[]".into());
    format!(
        "INSERT INTO {} ({CATALOG_COLUMNS}) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, CURRENT_TIMESTAMP, {})",
        catalog(d, row.schema),
        l(row.kind),
        l(row.schema),
        l(row.table),
        opt(row.column),
        l(row.quarantine_schema),
        l(row.quarantine_table),
        opt(row.quarantine_column),
        opt(definition.as_deref()),
        l(&key),
        l(row.plan),
    )
}

/// The query reading the catalog of schema `schema`, every column as text,
/// in [`CATALOG_COLUMNS`] order.
pub(crate) fn catalog_select(d: Dialect, schema: &str) -> String {
    let at = match d {
        Dialect::Postgres => "to_char(quarantined_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')",
        Dialect::Mysql => "DATE_FORMAT(quarantined_at, '%Y-%m-%d %H:%i:%s')",
        Dialect::Sqlite => "quarantined_at",
    };
    let cols = CATALOG_COLUMNS.replace("quarantined_at", at);
    format!(
        "SELECT {cols} FROM {} ORDER BY quarantined_at, source_schema, source_table, source_column",
        catalog(d, schema)
    )
}

/// The query telling whether the catalog of schema `schema` exists (one
/// row when it does).
pub(crate) fn catalog_exists(d: Dialect, schema: &str) -> String {
    let l = |s: &str| literal(d, s);
    let name = l(QUARANTINE_CATALOG);
    match d {
        Dialect::Postgres => format!(
            "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = {} AND tablename = {name}",
            l(QUARANTINE_SCHEMA)
        ),
        Dialect::Mysql => format!(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = {} AND table_name = {name}",
            l(schema)
        ),
        Dialect::Sqlite => {
            format!("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = {name}")
        }
    }
}

/// The statement removing the catalog row of the object kept in
/// `quarantine_schema.quarantine_table` (its column `quarantine_column`).
pub(crate) fn catalog_delete(
    d: Dialect,
    schema: &str,
    quarantine_schema: &str,
    quarantine_table: &str,
    quarantine_column: Option<&str>,
) -> String {
    let l = |s: &str| literal(d, s);
    let column = match quarantine_column {
        Some(c) => format!("quarantine_column = {}", l(c)),
        None => "quarantine_column IS NULL".into(),
    };
    format!(
        "DELETE FROM {} WHERE quarantine_schema = {} AND quarantine_table = {} AND {column}",
        catalog(d, schema),
        l(quarantine_schema),
        l(quarantine_table)
    )
}

/// The definition of the table keeping the values of `column` (named
/// `col`) keyed by the `key` columns of `live`: the key columns, NOT NULL,
/// as its primary key (named `pk_name`), then the value; without defaults,
/// identities, generation or comments.
pub(crate) fn values_table(
    live: &Table,
    key: &[String],
    col: &str,
    column: &Column,
    pk_name: &str,
) -> Table {
    let bare = |c: &Column, position: u32, nullable: bool| Column {
        inherited: false,
        position,
        data_type: c.data_type.clone(),
        nullable,
        default: None,
        identity: None,
        identity_options: None,
        generated: None,
        on_update: None,
        collation: c.collation.clone(),
        comment: None,
        invisible: false,
    };
    let mut t = Table::default();
    for (i, k) in key.iter().enumerate() {
        if let Some(kc) = live.columns.get(k) {
            let position = u32::try_from(i + 1).unwrap_or(u32::MAX);
            t.columns.insert(k.clone(), bare(kc, position, false));
        }
    }
    let position = u32::try_from(key.len() + 1).unwrap_or(u32::MAX);
    t.columns
        .insert(col.to_string(), bare(column, position, true));
    t.primary_key = Some(PrimaryKey {
        deferrable: false,
        initially_deferred: false,
        name: pk_name.to_string(),
        columns: key.to_vec(),
        comment: None,
    });
    t
}

/// `CREATE TABLE` of a values table (see [`values_table`]).
pub(crate) fn create_values_table(
    d: Dialect,
    schema: &str,
    name: &str,
    table: &Table,
) -> Result<String, PlanError> {
    writer(d).create_table(schema, name, table, CreateTable::default())
}

/// `INSERT INTO qs.q (key…, col) SELECT key…, col FROM s.t`: every row's
/// value, NULL included, so that a restore gives every row exactly the
/// value it had (a column default would otherwise fill the NULLs). With
/// `as_text` (PostgreSQL enums, whose type a plan may rebuild), the value
/// is kept as text.
pub(crate) fn copy_out(
    d: Dialect,
    (s, t): (&str, &str),
    (qs, q): (&str, &str),
    key: &[String],
    (col, as_text): (&str, bool),
) -> String {
    let mut cols: Vec<String> = key.iter().map(|c| ident(d, c)).collect();
    cols.push(ident(d, col));
    let targets = cols.join(", ");
    if as_text {
        if let Some(last) = cols.last_mut() {
            last.push_str("::text");
        }
    }
    format!(
        "INSERT INTO {} ({targets}) SELECT {} FROM {}",
        qualified(d, qs, q),
        cols.join(", "),
        qualified(d, s, t)
    )
}

/// `UPDATE s.t SET col = (the value kept for the row's key)` for the rows
/// the quarantine table `qs.q` holds a value of; on PostgreSQL the value
/// is cast to the column's type (`data_type`: a value kept as text).
pub(crate) fn copy_back(
    d: Dialect,
    (s, t): (&str, &str),
    (qs, q): (&str, &str),
    key: &[String],
    (col, data_type): (&str, &str),
) -> String {
    let live = qualified(d, s, t);
    let kept = qualified(d, qs, q);
    let alias = ident(d, "q");
    let matches: Vec<String> = key
        .iter()
        .map(|k| format!("{alias}.{} = {live}.{}", ident(d, k), ident(d, k)))
        .collect();
    let matches = matches.join(" AND ");
    let c = ident(d, col);
    let value = match d {
        Dialect::Postgres => format!("CAST({alias}.{c} AS {data_type})"),
        _ => format!("{alias}.{c}"),
    };
    format!(
        "UPDATE {live} SET {c} = (SELECT {value} FROM {kept} AS {alias} WHERE {matches}) \
         WHERE EXISTS (SELECT 1 FROM {kept} AS {alias} WHERE {matches})"
    )
}

/// The query counting the rows a quarantine table holds (with `column`:
/// its non-NULL values).
pub(crate) fn count_held(d: Dialect, schema: &str, table: &str, column: Option<&str>) -> String {
    let what = column.map_or_else(|| "*".to_string(), |c| ident(d, c));
    format!("SELECT COUNT({what}) FROM {}", qualified(d, schema, table))
}

/// The query listing every name held in PostgreSQL's quarantine schema.
pub(crate) fn held_names() -> String {
    format!(
        "SELECT c.relname::text FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = {}",
        literal(Dialect::Postgres, QUARANTINE_SCHEMA)
    )
}

impl Postgres {
    /// `ALTER TABLE s.t SET SCHEMA to` (its indexes, constraints and owned
    /// sequences move with it).
    pub(crate) fn set_schema(&self, schema: &str, table: &str, to: &str) -> String {
        format!(
            "ALTER TABLE {} SET SCHEMA {}",
            qualified(Dialect::Postgres, schema, table),
            ident(Dialect::Postgres, to)
        )
    }

    /// `ALTER SEQUENCE s.n RENAME TO to`.
    pub(crate) fn rename_sequence(&self, schema: &str, name: &str, to: &str) -> String {
        format!(
            "ALTER SEQUENCE {} RENAME TO {}",
            qualified(Dialect::Postgres, schema, name),
            ident(Dialect::Postgres, to)
        )
    }
}
