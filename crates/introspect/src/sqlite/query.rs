//! The catalog SELECTs for SQLite, as values.
//!
//! The whole catalog is read by ONE statement: `sqlite_schema` joined with
//! the pragma table-valued functions, one `UNION ALL` branch per kind of
//! row, tagged by the first column. Every row has [`WIDTH`] columns:
//!
//! | tag | 2: schema | 3: table | 4 | 5 | 6 | 7 | 8 | 9 | 10 |
//! |---|---|---|---|---|---|---|---|---|---|
//! | `o` object | | name | type | tbl_name | sql | | | | |
//! | `v` virtual or shadow table | | name | type | | | | | | |
//! | `c` column | | table | cid | name | type | notnull | dflt_value | pk | hidden |
//! | `i` index | | table | seq | name | unique | origin | partial | | |
//! | `x` index key | | table | index | seqno | cid | name | desc | coll | |
//! | `f` FK column | | table | id | seq | table | from | to | on_update | on_delete |
//!
//! Virtual tables (`rootpage = 0`) are never handed to the pragmas, so a
//! module that is not loaded cannot make the read fail. `pragma_table_list`
//! is read once, unjoined (called per table it scans the whole schema
//! each time, which made a 5,000-table read take seconds).

/// Number of columns of every catalog row.
pub(crate) const WIDTH: usize = 11;

/// Lists the attached schemas (only needed when schemas other than `main`
/// are asked for).
pub(crate) const DATABASE_LIST: &str = "SELECT name FROM pragma_database_list ORDER BY seq";

/// `"name"` with embedded quotes doubled.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `'text'` with embedded quotes doubled.
pub(crate) fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The single catalog query over `schemas`.
pub(crate) fn catalog(schemas: &[String]) -> String {
    let branches: Vec<String> = schemas.iter().map(|s| schema_branches(s)).collect();
    branches.join("\nUNION ALL\n")
}

fn schema_branches(schema: &str) -> String {
    let s = quote_literal(schema);
    let master = format!("{}.sqlite_schema AS m", quote_ident(schema));
    let user = r"m.name NOT LIKE 'sqlite\_%' ESCAPE '\'";
    let tables = format!("m.type = 'table' AND m.rootpage > 0 AND {user}");
    [
        format!(
            "SELECT 'o', {s}, m.name, m.type, m.tbl_name, m.sql, NULL, NULL, NULL, NULL, NULL \
             FROM {master} WHERE {user}"
        ),
        format!(
            "SELECT 'v', {s}, tl.name, tl.type, NULL, NULL, NULL, NULL, NULL, NULL, NULL \
             FROM pragma_table_list AS tl WHERE tl.schema = {s} AND tl.type IN ('virtual', 'shadow')"
        ),
        format!(
            "SELECT 'c', {s}, m.name, c.cid, c.name, c.type, c.\"notnull\", c.dflt_value, c.pk, c.hidden, NULL \
             FROM {master} JOIN pragma_table_xinfo(m.name, {s}) AS c WHERE {tables}"
        ),
        format!(
            "SELECT 'i', {s}, m.name, il.seq, il.name, il.\"unique\", il.origin, il.partial, NULL, NULL, NULL \
             FROM {master} JOIN pragma_index_list(m.name, {s}) AS il WHERE {tables}"
        ),
        format!(
            "SELECT 'x', {s}, m.name, il.name, ix.seqno, ix.cid, ix.name, ix.\"desc\", ix.coll, NULL, NULL \
             FROM {master} JOIN pragma_index_list(m.name, {s}) AS il \
             JOIN pragma_index_xinfo(il.name, {s}) AS ix WHERE {tables} AND ix.key = 1"
        ),
        format!(
            "SELECT 'f', {s}, m.name, f.id, f.seq, f.\"table\", f.\"from\", f.\"to\", f.on_update, f.on_delete, NULL \
             FROM {master} JOIN pragma_foreign_key_list(m.name, {s}) AS f WHERE {tables}"
        ),
    ]
    .join("\nUNION ALL\n")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::type_complexity)]
mod tests {
    use super::*;

    #[test]
    fn one_statement_for_every_schema() {
        let sql = catalog(&["main".to_string(), "o'dd\"s".to_string()]);
        assert_eq!(sql.matches("SELECT ").count(), 12);
        assert!(sql.contains("\"o'dd\"\"s\".sqlite_schema"));
        assert!(sql.contains("pragma_table_xinfo(m.name, 'o''dd\"s')"));
        assert!(!sql.contains(';'));
    }
}
