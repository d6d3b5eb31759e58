//! Catalog rows (see [`super::query`]) → the schema model. Pure.
//!
//! # What comes from where
//!
//! The pragmas give columns (declared type, NOT NULL, `dflt_value`, key
//! order, generated kind), indexes (origin, uniqueness, partial flag, key
//! columns with order and collation) and foreign keys (columns, actions).
//! The CREATE statements in `sqlite_schema.sql`, read with the tokenizer of
//! [`super::ddl`], give what the pragmas do not: constraint names, CHECK
//! expressions, generation expressions, `AUTOINCREMENT`, column collations,
//! `DEFERRABLE`, index key expressions and partial-index predicates.
//!
//! # Synthesised names
//!
//! SQLite constraints often have no name. So that two databases built from
//! the same DDL always report the same names, unnamed constraints get one
//! by this convention (a declared `CONSTRAINT name` always wins):
//!
//! | constraint | name |
//! |---|---|
//! | primary key | `pk_<table>` |
//! | unique | `uq_<table>_<col>[_<col>…]` |
//! | foreign key | `fk_<table>_<col>[_<col>…]` |
//! | check on a column | `ck_<table>_<column>` |
//! | table check | `ck_<table>_<first column it mentions>`, or `ck_<table>` |
//!
//! When a name is already taken in the table (by a declared name or an
//! earlier synthesised one of the same kind), `_2`, `_3` … is appended, in
//! declaration order.
//!
//! # Other conventions
//!
//! * A rowid alias (`INTEGER PRIMARY KEY`) is reported NOT NULL, because
//!   SQLite never stores NULL in it, although `pragma_table_info` says 0.
//! * Collations are reported when they differ from `BINARY`; the built-in
//!   names (`BINARY`, `NOCASE`, `RTRIM`) are upper-cased.
//! * A foreign key that names no referenced columns references the primary
//!   key of its table; that key's columns are reported.
//! * Referenced table names are spelled as the referenced table is named
//!   (SQLite matches them case-insensitively).
//! * Virtual tables and the shadow tables behind them, `sqlite_%` tables
//!   and (unless asked for) migration-ledger tables are left out.

use std::collections::{BTreeMap, BTreeSet};

use super::ddl::{self, References, TableConstraint};
use super::query::WIDTH;
use crate::database::{Row, Value};
use crate::error::{Error, Result};
use crate::model::{
    Check, Column, Dialect, FkAction, ForeignKey, Generated, Identity, Index, IndexKey, IndexPart,
    PrimaryKey, Snapshot, Table, UniqueConstraint, View,
};
use crate::IntrospectOptions;

type Key = (String, String);

/// A constraint's declared name (if any) and the name to synthesise otherwise.
type Naming = (Option<String>, String);

/// A foreign key of the pragmas with its naming, its declaration if found,
/// and its referencing columns.
type MatchedForeignKey<'a> = (
    Naming,
    Option<&'a References>,
    Vec<String>,
    &'a RawForeignKey,
);

#[derive(Debug, Default)]
struct Object {
    kind: String,
    sql: Option<String>,
    list_type: Option<String>,
}

#[derive(Debug)]
struct RawColumn {
    cid: i64,
    name: String,
    decl_type: String,
    notnull: bool,
    default: Option<String>,
    pk: i64,
    hidden: i64,
}

#[derive(Debug)]
struct RawIndex {
    seq: i64,
    name: String,
    unique: bool,
    origin: String,
    partial: bool,
}

#[derive(Debug)]
struct RawIndexPart {
    seqno: i64,
    cid: i64,
    name: Option<String>,
    descending: bool,
    collation: Option<String>,
}

#[derive(Debug, Default)]
struct RawForeignKey {
    /// (seq, from, to)
    columns: Vec<(i64, String, Option<String>)>,
    table: String,
    on_update: String,
    on_delete: String,
}

#[derive(Default)]
struct Catalog {
    objects: BTreeMap<Key, Object>,
    columns: BTreeMap<Key, Vec<RawColumn>>,
    indexes: BTreeMap<Key, Vec<RawIndex>>,
    /// (schema, index name) → key parts.
    index_parts: BTreeMap<Key, Vec<RawIndexPart>>,
    /// (schema, table) → id → FK.
    foreign_keys: BTreeMap<Key, BTreeMap<i64, RawForeignKey>>,
}

fn text(row: &Row, i: usize) -> Option<String> {
    match row.get(i)? {
        Value::Text(s) => Some(s.clone()),
        Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::Int(n) => Some(n.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn int(row: &Row, i: usize) -> Option<i64> {
    row.get(i).and_then(Value::as_i64)
}

fn bad_row(what: &str, row: &Row) -> Error {
    Error::Catalog {
        object: format!("sqlite catalog row ({what})"),
        message: format!("unexpected shape: {row:?}"),
    }
}

impl Catalog {
    fn from_rows(rows: &[Row]) -> Result<Catalog> {
        let mut cat = Catalog::default();
        for row in rows {
            if row.len() != WIDTH {
                return Err(bad_row("width", row));
            }
            let (Some(tag), Some(schema), Some(table)) = (text(row, 0), text(row, 1), text(row, 2))
            else {
                return Err(bad_row("key", row));
            };
            let key = (schema.clone(), table);
            match tag.as_str() {
                "o" => {
                    let obj = cat.objects.entry(key).or_default();
                    obj.kind = text(row, 3).unwrap_or_default();
                    obj.sql = text(row, 5);
                }
                "v" => {
                    cat.objects.entry(key).or_default().list_type = text(row, 3);
                }
                "c" => {
                    let (Some(cid), Some(name)) = (int(row, 3), text(row, 4)) else {
                        return Err(bad_row("column", row));
                    };
                    cat.columns.entry(key).or_default().push(RawColumn {
                        cid,
                        name,
                        decl_type: text(row, 5).unwrap_or_default(),
                        notnull: int(row, 6).unwrap_or(0) != 0,
                        default: text(row, 7),
                        pk: int(row, 8).unwrap_or(0),
                        hidden: int(row, 9).unwrap_or(0),
                    });
                }
                "i" => {
                    let (Some(seq), Some(name)) = (int(row, 3), text(row, 4)) else {
                        return Err(bad_row("index", row));
                    };
                    cat.indexes.entry(key).or_default().push(RawIndex {
                        seq,
                        name,
                        unique: int(row, 5).unwrap_or(0) != 0,
                        origin: text(row, 6).unwrap_or_default(),
                        partial: int(row, 7).unwrap_or(0) != 0,
                    });
                }
                "x" => {
                    let (Some(index), Some(seqno), Some(cid)) =
                        (text(row, 3), int(row, 4), int(row, 5))
                    else {
                        return Err(bad_row("index key", row));
                    };
                    cat.index_parts
                        .entry((schema, index))
                        .or_default()
                        .push(RawIndexPart {
                            seqno,
                            cid,
                            name: text(row, 6),
                            descending: int(row, 7).unwrap_or(0) != 0,
                            collation: text(row, 8),
                        });
                }
                "f" => {
                    let (Some(id), Some(seq), Some(table), Some(from)) =
                        (int(row, 3), int(row, 4), text(row, 5), text(row, 6))
                    else {
                        return Err(bad_row("foreign key", row));
                    };
                    let fk = cat
                        .foreign_keys
                        .entry(key)
                        .or_default()
                        .entry(id)
                        .or_default();
                    fk.columns.push((seq, from, text(row, 7)));
                    fk.table = table;
                    fk.on_update = text(row, 8).unwrap_or_default();
                    fk.on_delete = text(row, 9).unwrap_or_default();
                }
                _ => return Err(bad_row("tag", row)),
            }
        }
        Ok(cat)
    }
}

/// Builds the snapshot of `schemas` from the catalog rows.
pub(crate) fn snapshot(
    rows: &[Row],
    schemas: &[String],
    options: &IntrospectOptions,
) -> Result<Snapshot> {
    let cat = Catalog::from_rows(rows)?;
    let mut snap = Snapshot::new(Dialect::Sqlite);
    for schema in schemas {
        snap.schemas.entry(schema.clone()).or_default();
    }
    // Primary keys of every table first: foreign keys that name no
    // referenced columns point at them.
    let mut table_names: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut primary_keys: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for ((schema, table), obj) in &cat.objects {
        if obj.kind == "table" {
            let lower = (schema.clone(), table.to_ascii_lowercase());
            table_names.insert(lower.clone(), table.clone());
            if let Some(cols) = cat.columns.get(&(schema.clone(), table.clone())) {
                primary_keys.insert(lower, pk_columns(cols));
            }
        }
    }
    for ((schema, name), obj) in &cat.objects {
        let Some(out) = snap.schemas.get_mut(schema) else {
            continue;
        };
        if !options.wants_table(name) {
            continue;
        }
        match obj.kind.as_str() {
            "table" => {
                if matches!(obj.list_type.as_deref(), Some("virtual" | "shadow")) {
                    continue;
                }
                let key = (schema.clone(), name.clone());
                let Some(columns) = cat.columns.get(&key) else {
                    // No columns: a virtual table the pragmas were not run on.
                    continue;
                };
                let ctx = TableContext {
                    schema,
                    name,
                    table_names: &table_names,
                    primary_keys: &primary_keys,
                };
                let table = build_table(&ctx, obj.sql.as_deref(), columns, &cat)?;
                out.tables.insert(name.clone(), table);
            }
            "view" => {
                let sql = obj.sql.as_deref().unwrap_or_default();
                let definition = ddl::view_definition(sql).unwrap_or_else(|| ddl::normalise(sql));
                out.views.insert(
                    name.clone(),
                    View {
                        definition,
                        materialized: false,
                        comment: None,
                    },
                );
            }
            _ => {}
        }
    }
    Ok(snap)
}

struct TableContext<'a> {
    schema: &'a str,
    name: &'a str,
    /// (schema, lower-case name) → name as created.
    table_names: &'a BTreeMap<(String, String), String>,
    /// (schema, lower-case name) → primary key columns.
    primary_keys: &'a BTreeMap<(String, String), Vec<String>>,
}

impl TableContext<'_> {
    fn error(&self, message: impl Into<String>) -> Error {
        Error::Catalog {
            object: format!("table {}.{}", self.schema, self.name),
            message: message.into(),
        }
    }
}

fn pk_columns(cols: &[RawColumn]) -> Vec<String> {
    let mut pk: Vec<(i64, &str)> = cols
        .iter()
        .filter(|c| c.pk > 0)
        .map(|c| (c.pk, c.name.as_str()))
        .collect();
    pk.sort();
    pk.into_iter().map(|(_, n)| n.to_string()).collect()
}

/// Upper-cases SQLite's built-in collation names; others stay as written.
fn canonical_collation(name: &str) -> String {
    if ["BINARY", "NOCASE", "RTRIM"]
        .iter()
        .any(|b| b.eq_ignore_ascii_case(name))
    {
        name.to_ascii_uppercase()
    } else {
        name.to_string()
    }
}

fn is_binary(name: &str) -> bool {
    name.eq_ignore_ascii_case("BINARY")
}

/// `base`, or `base_2`, `base_3` … whichever is not yet in `taken`.
fn unique_name(base: String, taken: &mut BTreeSet<String>) -> String {
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    taken.insert(name.clone());
    name
}

fn same_columns(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y))
}

/// Assigns names in two passes (declared names first, then synthesised
/// ones), each in declaration order. `items` are (declared name, synthesised base).
fn assign_names(items: &[(Option<String>, String)]) -> Vec<String> {
    let mut taken = BTreeSet::new();
    let mut names: Vec<Option<String>> = items
        .iter()
        .map(|(declared, _)| declared.clone().map(|d| unique_name(d, &mut taken)))
        .collect();
    for (slot, (_, base)) in names.iter_mut().zip(items) {
        if slot.is_none() {
            *slot = Some(unique_name(base.clone(), &mut taken));
        }
    }
    names.into_iter().map(Option::unwrap_or_default).collect()
}

fn build_table(
    ctx: &TableContext<'_>,
    sql: Option<&str>,
    raw_columns: &[RawColumn],
    cat: &Catalog,
) -> Result<Table> {
    let sql = sql.ok_or_else(|| ctx.error("sqlite_schema has no CREATE TABLE statement"))?;
    let ddl = ddl::parse_create_table(sql)
        .ok_or_else(|| ctx.error("cannot read the column list of its CREATE TABLE statement"))?;
    let mut table = Table::default();
    let column_names: Vec<String> = {
        let mut cols: Vec<&RawColumn> = raw_columns.iter().collect();
        cols.sort_by_key(|c| c.cid);
        cols.into_iter().map(|c| c.name.clone()).collect()
    };
    let canonical = |name: &str| -> String {
        column_names
            .iter()
            .find(|c| c.eq_ignore_ascii_case(name))
            .cloned()
            .unwrap_or_else(|| name.to_string())
    };

    // Primary key.
    let pk_cols = pk_columns(raw_columns);
    let table_pk = ddl.constraints.iter().find_map(|c| match c {
        TableConstraint::PrimaryKey {
            name,
            columns,
            autoincrement,
        } => Some((name.clone(), columns.clone(), *autoincrement)),
        _ => None,
    });
    let column_pk = ddl.columns.iter().find_map(|c| {
        c.primary_key
            .clone()
            .map(|(name, desc)| (c.name.clone(), name, desc))
    });
    let rowid_alias = pk_cols.len() == 1
        && !ddl.without_rowid
        && raw_columns
            .iter()
            .any(|c| c.pk == 1 && c.decl_type.eq_ignore_ascii_case("INTEGER"))
        && !column_pk.as_ref().is_some_and(|(_, _, desc)| *desc);
    if !pk_cols.is_empty() {
        let declared = table_pk
            .as_ref()
            .and_then(|(n, _, _)| n.clone())
            .or_else(|| column_pk.as_ref().and_then(|(_, n, _)| n.clone()));
        table.primary_key = Some(PrimaryKey {
            name: declared.unwrap_or_else(|| format!("pk_{}", ctx.name)),
            columns: pk_cols.clone(),
        });
    }

    // Columns.
    for raw in raw_columns {
        if raw.hidden == 1 {
            continue;
        }
        let position = u32::try_from(raw.cid + 1)
            .map_err(|_| ctx.error(format!("column id {} out of range", raw.cid)))?;
        let def = ddl.column(&raw.name);
        let mut col = Column::new(position, raw.decl_type.clone());
        col.nullable = !(raw.notnull || (rowid_alias && raw.pk == 1));
        col.default = raw.default.clone();
        col.collation = def
            .and_then(|d| d.collation.as_deref())
            .filter(|c| !is_binary(c))
            .map(canonical_collation);
        if matches!(raw.hidden, 2 | 3) {
            let (expression, _) = def.and_then(|d| d.generated.clone()).ok_or_else(|| {
                ctx.error(format!(
                    "cannot find the expression of generated column {}",
                    raw.name
                ))
            })?;
            col.generated = Some(Generated {
                expression,
                stored: raw.hidden == 3,
            });
        }
        let autoincrement = def.is_some_and(|d| d.autoincrement)
            || table_pk.as_ref().is_some_and(|(_, cols, auto)| {
                *auto && cols.len() == 1 && cols[0].eq_ignore_ascii_case(&raw.name)
            });
        if autoincrement {
            col.identity = Some(Identity::AutoIncrement);
        }
        table.columns.insert(raw.name.clone(), col);
    }

    let key = (ctx.schema.to_string(), ctx.name.to_string());
    let mut indexes: Vec<&RawIndex> = cat
        .indexes
        .get(&key)
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    indexes.sort_by_key(|i| std::cmp::Reverse(i.seq));
    let parts_of = |index: &str| -> Vec<&RawIndexPart> {
        let mut parts: Vec<&RawIndexPart> = cat
            .index_parts
            .get(&(ctx.schema.to_string(), index.to_string()))
            .map(|v| v.iter().collect())
            .unwrap_or_default();
        parts.sort_by_key(|p| p.seqno);
        parts
    };

    // UNIQUE constraints: indexes of origin 'u', named after the declaration
    // with the same columns.
    let declared_uniques: Vec<(Option<String>, Vec<String>)> = ddl
        .columns
        .iter()
        .flat_map(|c| c.uniques.iter().map(|n| (n.clone(), vec![c.name.clone()])))
        .chain(ddl.constraints.iter().filter_map(|c| match c {
            TableConstraint::Unique { name, columns } => Some((name.clone(), columns.clone())),
            _ => None,
        }))
        .collect();
    let mut unique_indexes: Vec<Vec<String>> = indexes
        .iter()
        .filter(|i| i.origin == "u")
        .map(|i| {
            parts_of(&i.name)
                .iter()
                .map(|p| p.name.clone().unwrap_or_else(|| "rowid".into()))
                .collect()
        })
        .collect();
    let mut uniques: Vec<(Naming, Vec<String>)> = Vec::new();
    for (declared, cols) in &declared_uniques {
        if let Some(pos) = unique_indexes.iter().position(|u| same_columns(u, cols)) {
            let columns = unique_indexes.remove(pos);
            uniques.push((
                (
                    declared.clone(),
                    format!("uq_{}_{}", ctx.name, columns.join("_")),
                ),
                columns,
            ));
        }
    }
    for columns in unique_indexes {
        uniques.push((
            (None, format!("uq_{}_{}", ctx.name, columns.join("_"))),
            columns,
        ));
    }
    let names = assign_names(&uniques.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>());
    for (name, (_, columns)) in names.into_iter().zip(uniques) {
        table.uniques.insert(
            name,
            UniqueConstraint {
                columns,
                nulls_not_distinct: false,
            },
        );
    }

    // Plain indexes (origin 'c').
    for index in indexes.iter().filter(|i| i.origin == "c") {
        let sql = cat
            .objects
            .get(&(ctx.schema.to_string(), index.name.clone()))
            .and_then(|o| o.sql.as_deref());
        let parsed = sql.and_then(ddl::parse_create_index);
        let mut parts = Vec::new();
        for (n, raw) in parts_of(&index.name).into_iter().enumerate() {
            let column_collation = |name: &str| {
                ddl.column(name)
                    .and_then(|d| d.collation.clone())
                    .unwrap_or_else(|| "BINARY".into())
            };
            let (key, default_collation) = match (raw.cid, &raw.name) {
                (-2, _) => {
                    let item = parsed
                        .as_ref()
                        .and_then(|p| p.items.get(n))
                        .ok_or_else(|| {
                            ctx.error(format!(
                                "cannot read the key expressions of index {}",
                                index.name
                            ))
                        })?;
                    (
                        IndexKey::Expression(item.expression.clone()),
                        "BINARY".to_string(),
                    )
                }
                (-1, _) => (IndexKey::Column("rowid".into()), "BINARY".to_string()),
                (_, Some(name)) => (IndexKey::Column(name.clone()), column_collation(name)),
                (cid, None) => {
                    return Err(ctx.error(format!(
                        "index {} has a key with no name (cid {cid})",
                        index.name
                    )))
                }
            };
            let collation = raw
                .collation
                .as_deref()
                .filter(|c| !c.eq_ignore_ascii_case(&default_collation))
                .map(canonical_collation);
            parts.push(IndexPart {
                key,
                descending: raw.descending,
                nulls_first: None,
                opclass: None,
                collation,
                length: None,
            });
        }
        let predicate = if index.partial {
            Some(
                parsed
                    .as_ref()
                    .and_then(|p| p.predicate.clone())
                    .ok_or_else(|| {
                        ctx.error(format!(
                            "cannot read the WHERE clause of partial index {}",
                            index.name
                        ))
                    })?,
            )
        } else {
            None
        };
        table.indexes.insert(
            index.name.clone(),
            Index {
                parts,
                unique: index.unique,
                method: None,
                predicate,
                include: Vec::new(),
            },
        );
    }

    // Foreign keys: pragma rows give columns and actions; the declaration
    // with the same columns and referenced table gives name and DEFERRABLE.
    let mut raw_fks: Vec<(Vec<String>, &RawForeignKey)> = cat
        .foreign_keys
        .get(&key)
        .map(|fks| {
            fks.values()
                .rev()
                .map(|fk| {
                    let mut cols = fk.columns.clone();
                    cols.sort_by_key(|(seq, _, _)| *seq);
                    (cols.into_iter().map(|(_, from, _)| from).collect(), fk)
                })
                .collect()
        })
        .unwrap_or_default();
    let declared_fks: Vec<&References> = ddl
        .columns
        .iter()
        .flat_map(|c| c.references.iter())
        .chain(ddl.constraints.iter().filter_map(|c| match c {
            TableConstraint::ForeignKey(r) => Some(r),
            _ => None,
        }))
        .collect();
    let mut fks: Vec<MatchedForeignKey<'_>> = Vec::new();
    for declared in declared_fks {
        if let Some(pos) = raw_fks.iter().position(|(cols, raw)| {
            same_columns(cols, &declared.columns) && raw.table.eq_ignore_ascii_case(&declared.table)
        }) {
            let (cols, raw) = raw_fks.remove(pos);
            let base = format!("fk_{}_{}", ctx.name, cols.join("_"));
            fks.push(((declared.name.clone(), base), Some(declared), cols, raw));
        }
    }
    for (cols, raw) in raw_fks {
        let base = format!("fk_{}_{}", ctx.name, cols.join("_"));
        fks.push(((None, base), None, cols, raw));
    }
    let names = assign_names(&fks.iter().map(|(n, ..)| n.clone()).collect::<Vec<_>>());
    for (name, (_, declared, columns, raw)) in names.into_iter().zip(fks) {
        let lower = (ctx.schema.to_string(), raw.table.to_ascii_lowercase());
        let ref_table = ctx
            .table_names
            .get(&lower)
            .cloned()
            .unwrap_or_else(|| raw.table.clone());
        let mut to: Vec<(i64, Option<String>)> = raw
            .columns
            .iter()
            .map(|(s, _, t)| (*s, t.clone()))
            .collect();
        to.sort_by_key(|(s, _)| *s);
        let ref_columns: Vec<String> = if to.iter().all(|(_, t)| t.is_some()) {
            to.into_iter().filter_map(|(_, t)| t).collect()
        } else if let Some(pk) = ctx.primary_keys.get(&lower) {
            pk.clone()
        } else {
            declared.map(|d| d.ref_columns.clone()).unwrap_or_default()
        };
        table.foreign_keys.insert(
            name,
            ForeignKey {
                columns: columns.iter().map(|c| canonical(c)).collect(),
                ref_schema: ctx.schema.to_string(),
                ref_table,
                ref_columns,
                on_delete: FkAction::from_sql(&raw.on_delete).unwrap_or(FkAction::NoAction),
                on_update: FkAction::from_sql(&raw.on_update).unwrap_or(FkAction::NoAction),
                deferrable: declared.is_some_and(|d| d.deferrable),
                initially_deferred: declared.is_some_and(|d| d.initially_deferred),
            },
        );
    }

    // CHECK constraints, from the declaration only.
    let checks: Vec<(Naming, String)> = ddl
        .columns
        .iter()
        .flat_map(|c| {
            let col = canonical(&c.name);
            c.checks.iter().map(move |k| {
                (
                    (k.name.clone(), format!("ck_{}_{}", ctx.name, col)),
                    k.expression.clone(),
                )
            })
        })
        .chain(ddl.constraints.iter().filter_map(|c| match c {
            TableConstraint::Check(k) => {
                let base = match ddl::first_column_referenced(&k.expression, &column_names) {
                    Some(col) => format!("ck_{}_{}", ctx.name, col),
                    None => format!("ck_{}", ctx.name),
                };
                Some(((k.name.clone(), base), k.expression.clone()))
            }
            _ => None,
        }))
        .collect();
    let names = assign_names(&checks.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>());
    for (name, (_, expression)) in names.into_iter().zip(checks) {
        table.checks.insert(name, Check { expression });
    }
    Ok(table)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::type_complexity,
    clippy::too_many_arguments
)]
mod tests {
    use super::*;

    fn t(s: &str) -> Value {
        Value::Text(s.into())
    }
    fn i(n: i64) -> Value {
        Value::Int(n)
    }
    const N: Value = Value::Null;

    fn row(mut v: Vec<Value>) -> Row {
        v.resize(WIDTH, Value::Null);
        v
    }

    fn obj(name: &str, kind: &str, sql: &str) -> Row {
        row(vec![t("o"), t("main"), t(name), t(kind), t(name), t(sql)])
    }

    fn col(
        table: &str,
        cid: i64,
        name: &str,
        ty: &str,
        notnull: i64,
        dflt: Option<&str>,
        pk: i64,
        hidden: i64,
    ) -> Row {
        row(vec![
            t("c"),
            t("main"),
            t(table),
            i(cid),
            t(name),
            t(ty),
            i(notnull),
            dflt.map_or(N, t),
            i(pk),
            i(hidden),
        ])
    }

    #[test]
    fn builds_tables_with_synthesised_names() {
        let parent = "CREATE TABLE \"Parent\" (id INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT NOT NULL COLLATE nocase UNIQUE, \
                      g INT AS (id * 2) STORED, CHECK (code <> ''), CONSTRAINT named CHECK (id > 0), CHECK (length(code) > 1))";
        let child = "CREATE TABLE child (a INT, b INT REFERENCES parent ON DELETE CASCADE, \
                     PRIMARY KEY (a, b), FOREIGN KEY (a) REFERENCES child (b) DEFERRABLE INITIALLY DEFERRED, UNIQUE (b, a)) WITHOUT ROWID";
        let rows = vec![
            obj("Parent", "table", parent),
            obj("child", "table", child),
            obj(
                "ix",
                "index",
                "CREATE INDEX ix ON child (lower(a) DESC, b COLLATE NOCASE) WHERE a > 0",
            ),
            obj("v", "view", "CREATE VIEW v AS SELECT * FROM child"),
            obj(
                "django_migrations",
                "table",
                "CREATE TABLE django_migrations (id INTEGER)",
            ),
            obj("ft", "table", "CREATE VIRTUAL TABLE ft USING fts5(x)"),
            row(vec![t("v"), t("main"), t("ft"), t("virtual")]),
            obj(
                "ft_data",
                "table",
                "CREATE TABLE 'ft_data'(id INTEGER PRIMARY KEY, block BLOB)",
            ),
            row(vec![t("v"), t("main"), t("ft_data"), t("shadow")]),
            col("ft_data", 0, "id", "INTEGER", 0, None, 1, 0),
            col("Parent", 0, "id", "INTEGER", 0, None, 1, 0),
            col("Parent", 1, "code", "TEXT", 1, Some("'x'"), 0, 0),
            col("Parent", 2, "g", "INT", 0, None, 0, 3),
            col("child", 0, "a", "INT", 1, None, 1, 0),
            col("child", 1, "b", "INT", 1, None, 2, 0),
            col("django_migrations", 0, "id", "INTEGER", 0, None, 0, 0),
            row(vec![
                t("i"),
                t("main"),
                t("Parent"),
                i(0),
                t("sqlite_autoindex_Parent_1"),
                i(1),
                t("u"),
                i(0),
            ]),
            row(vec![
                t("x"),
                t("main"),
                t("Parent"),
                t("sqlite_autoindex_Parent_1"),
                i(0),
                i(1),
                t("code"),
                i(0),
                t("NOCASE"),
            ]),
            row(vec![
                t("i"),
                t("main"),
                t("child"),
                i(0),
                t("ix"),
                i(0),
                t("c"),
                i(1),
            ]),
            row(vec![
                t("i"),
                t("main"),
                t("child"),
                i(1),
                t("sqlite_autoindex_child_2"),
                i(1),
                t("u"),
                i(0),
            ]),
            row(vec![
                t("i"),
                t("main"),
                t("child"),
                i(2),
                t("sqlite_autoindex_child_1"),
                i(1),
                t("pk"),
                i(0),
            ]),
            row(vec![
                t("x"),
                t("main"),
                t("child"),
                t("ix"),
                i(0),
                i(-2),
                N,
                i(1),
                t("BINARY"),
            ]),
            row(vec![
                t("x"),
                t("main"),
                t("child"),
                t("ix"),
                i(1),
                i(1),
                t("b"),
                i(0),
                t("NOCASE"),
            ]),
            row(vec![
                t("x"),
                t("main"),
                t("child"),
                t("sqlite_autoindex_child_2"),
                i(0),
                i(1),
                t("b"),
                i(0),
                t("BINARY"),
            ]),
            row(vec![
                t("x"),
                t("main"),
                t("child"),
                t("sqlite_autoindex_child_2"),
                i(1),
                i(0),
                t("a"),
                i(0),
                t("BINARY"),
            ]),
            row(vec![
                t("f"),
                t("main"),
                t("child"),
                i(0),
                i(0),
                t("child"),
                t("a"),
                t("b"),
                t("NO ACTION"),
                t("NO ACTION"),
            ]),
            row(vec![
                t("f"),
                t("main"),
                t("child"),
                i(1),
                i(0),
                t("parent"),
                t("b"),
                N,
                t("NO ACTION"),
                t("CASCADE"),
            ]),
        ];
        let snap = snapshot(&rows, &["main".to_string()], &IntrospectOptions::default()).unwrap();
        let main = &snap.schemas["main"];
        assert_eq!(
            main.tables.keys().collect::<Vec<_>>(),
            vec!["Parent", "child"]
        );
        let p = &main.tables["Parent"];
        assert_eq!(p.primary_key.as_ref().unwrap().name, "pk_Parent");
        let id = &p.columns["id"];
        assert!(!id.nullable, "rowid alias is NOT NULL");
        assert_eq!(id.identity, Some(Identity::AutoIncrement));
        assert_eq!(p.columns["code"].collation.as_deref(), Some("NOCASE"));
        assert_eq!(p.columns["code"].default.as_deref(), Some("'x'"));
        assert_eq!(
            p.columns["g"].generated,
            Some(Generated {
                expression: "id * 2".into(),
                stored: true
            })
        );
        assert_eq!(p.uniques.keys().collect::<Vec<_>>(), vec!["uq_Parent_code"]);
        assert_eq!(
            p.checks
                .iter()
                .map(|(k, v)| (k.as_str(), v.expression.as_str()))
                .collect::<Vec<_>>(),
            vec![
                ("ck_Parent_code", "code <> ''"),
                ("ck_Parent_code_2", "length(code) > 1"),
                ("named", "id > 0"),
            ]
        );
        let c = &main.tables["child"];
        assert_eq!(c.primary_key.as_ref().unwrap().columns, vec!["a", "b"]);
        assert_eq!(c.uniques["uq_child_b_a"].columns, vec!["b", "a"]);
        let ix = &c.indexes["ix"];
        assert_eq!(ix.parts[0].key, IndexKey::Expression("lower(a)".into()));
        assert!(ix.parts[0].descending);
        assert_eq!(ix.parts[1].collation.as_deref(), Some("NOCASE"));
        assert_eq!(ix.predicate.as_deref(), Some("a > 0"));
        let fk_b = &c.foreign_keys["fk_child_b"];
        assert_eq!(fk_b.ref_table, "Parent");
        assert_eq!(fk_b.ref_columns, vec!["id"]);
        assert_eq!(fk_b.on_delete, FkAction::Cascade);
        let fk_a = &c.foreign_keys["fk_child_a"];
        assert!(fk_a.deferrable && fk_a.initially_deferred);
        assert_eq!(main.views["v"].definition, "SELECT * FROM child");
    }

    #[test]
    fn rejects_malformed_rows() {
        assert!(snapshot(
            &[vec![t("o")]],
            &["main".into()],
            &IntrospectOptions::default()
        )
        .is_err());
        assert!(snapshot(
            &[row(vec![t("?"), t("main"), t("x")])],
            &["main".into()],
            &IntrospectOptions::default()
        )
        .is_err());
    }

    #[test]
    fn names_are_unique_in_declaration_order() {
        let names = assign_names(&[
            (None, "ck_t_a".into()),
            (Some("ck_t_a".into()), "ck_t_b".into()),
            (None, "ck_t_a".into()),
        ]);
        assert_eq!(names, vec!["ck_t_a_2", "ck_t_a", "ck_t_a_3"]);
    }
}
