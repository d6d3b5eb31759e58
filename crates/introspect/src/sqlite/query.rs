//! The catalog SELECT for SQLite, as a value.
//!
//! The whole catalog is read by ONE statement that returns one row per
//! schema, whatever the number of tables: SQLite aggregates
//! `sqlite_schema` and the pragma table-valued functions into JSON
//! (`json_group_array`), so the driver hands over a few large values
//! instead of one row per column, index key and foreign-key column.
//! Every row has [`WIDTH`] columns:
//!
//! | 0 | 1 | 2 |
//! |---|---|---|
//! | schema | objects (JSON) | virtual and shadow tables (JSON) |
//!
//! Objects are the tables, views, indexes and triggers of `sqlite_schema`
//! (`sqlite_%` names left out), each an array, positional (`tbl_name`: the
//! table or view an index or trigger belongs to):
//!
//! ```text
//! [name, type, sql, columns, indexes, foreign_keys, tbl_name]
//! columns:      [[cid, name, type, notnull, dflt_value, pk, hidden], …]   pragma_table_xinfo
//! indexes:      [[seq, name, unique, origin, partial, keys], …]            pragma_index_list
//! keys:         [[seqno, cid, name, desc, coll], …]                        pragma_index_xinfo, key columns
//! foreign_keys: [[id, seq, table, from, to, on_update, on_delete], …]      pragma_foreign_key_list
//! ```
//!
//! `columns`, `indexes` and `foreign_keys` are `null` except for tables stored in the file
//! (`rootpage > 0`): virtual tables are never handed to the pragmas, so a
//! module that is not loaded cannot make the read fail. `keys` is `null`
//! for the index of a `WITHOUT ROWID` primary key (origin `pk`), which the
//! model does not use. The third column lists the names of virtual tables
//! and their shadow tables, read once from `pragma_table_list`, unjoined
//! (called per table it scans the whole schema each time, which made a
//! 5,000-table read take seconds), and only when the schema has a virtual
//! table (the list costs a scan of every table, a lot for a scoped read).
//!
//! Nested aggregates are wrapped in `json(…)`: a scalar subquery does not
//! carry the JSON subtype, and without it the outer `json_array` would
//! embed the array as a string.
//!
//! The JSON grows by about 2 KB per table (11 MB for 5,000 tables of
//! about 20 columns), far below SQLite's string limit (1 GB by default).

use std::collections::BTreeSet;

use driftless_model::Dialect;

/// Number of columns of every catalog row.
pub(crate) const WIDTH: usize = 3;

/// Lists the attached schemas (only needed when schemas other than `main`
/// are asked for).
pub(crate) const DATABASE_LIST: &str = "SELECT name FROM pragma_database_list ORDER BY seq";

/// The single catalog query over `schemas`; with `only` (a scoped read),
/// over the tables and views with those names (ASCII case ignored, as
/// SQLite does) and the tables their foreign keys reference, whose primary
/// keys a reference without a column list means, each with its indexes.
pub(crate) fn catalog(schemas: &[String], only: Option<&BTreeSet<String>>) -> String {
    let selects: Vec<String> = schemas.iter().map(|s| schema_select(s, only)).collect();
    selects.join("\nUNION ALL\n")
}

/// The condition on `m` (`sqlite_schema`) of a scoped read. The tables
/// referenced are read by one `pragma_foreign_key_list` per named table
/// (given its name, the pragma does not scan the schema).
fn scope_condition(schema: &str, only: &BTreeSet<String>) -> String {
    let s = Dialect::Sqlite.quote_literal(schema);
    let mut names: Vec<String> = only
        .iter()
        .map(|n| {
            format!(
                "SELECT {}",
                Dialect::Sqlite.quote_literal(&n.to_ascii_lowercase())
            )
        })
        .collect();
    names.extend(only.iter().map(|n| {
        format!(
            "SELECT lower(f.\"table\") FROM pragma_foreign_key_list({}, {s}) AS f",
            Dialect::Sqlite.quote_literal(n)
        )
    }));
    if names.is_empty() {
        return " AND 0".to_string();
    }
    format!(" AND lower(m.tbl_name) IN ({})", names.join(" UNION "))
}

fn schema_select(schema: &str, only: Option<&BTreeSet<String>>) -> String {
    let s = Dialect::Sqlite.quote_literal(schema);
    let scope = only.map_or_else(String::new, |o| scope_condition(schema, o));
    let master = format!("{}.sqlite_schema AS m", Dialect::Sqlite.quote_ident(schema));
    let stored_table = "m.type = 'table' AND m.rootpage > 0";
    let columns = format!(
        "SELECT json_group_array(json_array(c.cid, c.name, c.type, c.\"notnull\", c.dflt_value, c.pk, c.hidden)) \
         FROM pragma_table_xinfo(m.name, {s}) AS c"
    );
    let keys = format!(
        "SELECT json_group_array(json_array(ix.seqno, ix.cid, ix.name, ix.\"desc\", ix.coll)) \
         FROM pragma_index_xinfo(il.name, {s}) AS ix WHERE ix.key = 1"
    );
    let indexes = format!(
        "SELECT json_group_array(json_array(il.seq, il.name, il.\"unique\", il.origin, il.partial, \
         CASE WHEN il.origin <> 'pk' THEN json(({keys})) END)) \
         FROM pragma_index_list(m.name, {s}) AS il"
    );
    let foreign_keys = format!(
        "SELECT json_group_array(json_array(f.id, f.seq, f.\"table\", f.\"from\", f.\"to\", f.on_update, f.on_delete)) \
         FROM pragma_foreign_key_list(m.name, {s}) AS f"
    );
    format!(
        "SELECT {s}, \
         (SELECT json_group_array(json_array(m.name, m.type, m.sql, \
         CASE WHEN {stored_table} THEN json(({columns})) END, \
         CASE WHEN {stored_table} THEN json(({indexes})) END, \
         CASE WHEN {stored_table} THEN json(({foreign_keys})) END, m.tbl_name)) \
         FROM {master} WHERE m.type IN ('table', 'view', 'index', 'trigger') AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'{scope}), \
         CASE WHEN EXISTS (SELECT 1 FROM {master} WHERE m.type = 'table' AND m.rootpage = 0) \
         THEN (SELECT json_group_array(tl.name) FROM pragma_table_list AS tl \
         WHERE tl.schema = {s} AND tl.type IN ('virtual', 'shadow')) ELSE '[]' END"
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::type_complexity)]
mod tests {
    use super::*;

    #[test]
    fn one_statement_one_row_per_schema() {
        let sql = catalog(&["main".to_string(), "o'dd\"s".to_string()], None);
        assert_eq!(sql.matches("UNION ALL").count(), 1);
        assert_eq!(sql.matches("pragma_table_xinfo(").count(), 2);
        assert!(sql.contains("\"o'dd\"\"s\".sqlite_schema"));
        assert!(sql.contains("pragma_table_xinfo(m.name, 'o''dd\"s')"));
        assert!(!sql.contains(';'));
    }
}
