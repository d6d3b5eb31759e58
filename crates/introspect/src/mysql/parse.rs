//! Catalog rows (see [`super::query`]) → the schema model. Pure.
//!
//! # Conventions
//!
//! * **Types** are `COLUMN_TYPE` as the server prints it (`int(11)`,
//!   `varchar(20)`, `enum('a','b')` — MySQL has no named enums, so an enum
//!   stays inline in the column type).
//! * **Defaults** are reported as the SQL text that, written after
//!   `DEFAULT` in a column definition, recreates the default on both MySQL 8
//!   and MariaDB — the same text whichever of the two the catalog came from:
//!   - no default, and `DEFAULT NULL` (the same thing): none;
//!   - a string, date or enum literal: quoted the way MariaDB prints it
//!     (`'it''s'`, with `\\`, `\n`, `\r`, `\0` escapes); MySQL 8's
//!     unquoted form is quoted so;
//!   - a numeric or bit literal as printed (`0`, `1.50`, `b'101'`);
//!   - `CURRENT_TIMESTAMP` and its synonyms (`now()`, `localtimestamp`)
//!     as `current_timestamp()` or `current_timestamp(<precision>)`;
//!   - any other expression wrapped in one pair of parentheses, as MySQL 8
//!     requires (`(uuid())`, `(1 + 1)`).
//!
//!   `ON UPDATE CURRENT_TIMESTAMP` is [`Column::on_update`], spelled the
//!   same way.
//! * **Collations** are reported on a column only when they differ from
//!   its table's default collation.
//! * **JSON columns on MariaDB**: `JSON` is an alias there for `longtext`
//!   with a `utf8mb4_bin` collation and an implicit column-level
//!   `CHECK (json_valid(col))` named after the column. Such a column is
//!   reported as MySQL reports it: type `json`, no collation, and that
//!   implicit check is not reported. Every other check is.
//! * **Unique constraints vs indexes**: MySQL has no separate unique
//!   constraints: what `TABLE_CONSTRAINTS` lists as `UNIQUE` is exactly
//!   the unique indexes other than `PRIMARY`. A unique index whose key
//!   parts are whole columns in ascending order, with the default B-tree
//!   method, is reported as a unique constraint; any other unique
//!   index (prefix lengths, descending or functional parts, `HASH`) as an
//!   [`Index`] with `unique` set, so nothing is lost.
//! * **Indexes InnoDB adds for foreign keys**: InnoDB creates an index for
//!   each foreign key whose columns no index covers (named after the
//!   constraint, or the first column). It is a real index (dropping the FK
//!   leaves it behind) and is reported like any other.
//! * **Foreign key actions**: InnoDB treats `RESTRICT` and `NO ACTION`
//!   identically (both are checked immediately) and the servers disagree on
//!   which to report for an unspecified action (MariaDB says `RESTRICT`,
//!   MySQL 8 `NO ACTION`), so both are reported as [`FkAction::NoAction`].
//! * **CHECK expressions** lose the outer parentheses MySQL 8 adds, so they
//!   read as MariaDB prints them.
//! * **View definitions** lose the qualifier naming their own schema
//!   (`` `app`.`users` `` → `` `users` ``), so databases with different
//!   names compare equal.
//! * **Index method** is set for anything but `BTREE`: `FULLTEXT`,
//!   `SPATIAL`, `HASH`.
//! * **Sequences** (MariaDB): data type `bigint`.
//! * Migration-ledger tables are left out unless asked for.

use std::collections::{BTreeMap, BTreeSet};

use super::query::Flavor;
use crate::database::{Row, Value};
use crate::error::{Error, Result};
use crate::IntrospectOptions;
use driftless_model::{
    Check, Column, Dialect, FkAction, ForeignKey, Generated, Identity, Index, IndexKey, IndexPart,
    PrimaryKey, Schema, Sequence, Snapshot, Table, UniqueConstraint, View, CHECK_OPTION,
    SECURITY_INVOKER,
};

/// The rows of every catalog query of one read.
#[derive(Debug, Default)]
pub(crate) struct CatalogRows {
    pub(crate) schemata: Vec<Row>,
    pub(crate) tables: Vec<Row>,
    pub(crate) columns: Vec<Row>,
    pub(crate) indexes: Vec<Row>,
    pub(crate) foreign_keys: Vec<Row>,
    pub(crate) fk_rules: Vec<Row>,
    pub(crate) checks: Vec<Row>,
    pub(crate) views: Vec<Row>,
    pub(crate) sequences: Vec<Row>,
    pub(crate) partitions: Vec<Row>,
    /// Rows of [`super::query::ObjectQueries`] (none on a scoped read).
    pub(crate) triggers: Vec<Row>,
    pub(crate) routines: Vec<Row>,
    pub(crate) parameters: Vec<Row>,
    pub(crate) events: Vec<Row>,
}

pub(super) fn text(row: &Row, i: usize) -> Option<String> {
    match row.get(i)? {
        Value::Text(s) => Some(s.clone()),
        Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::Int(n) => Some(n.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_string()),
        _ => None,
    }
}

pub(super) fn int(row: &Row, i: usize) -> Option<i64> {
    row.get(i).and_then(|v| match v {
        Value::Bytes(b) => std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.trim().parse().ok()),
        other => other.as_i64(),
    })
}

/// The first `n` columns as text, or a catalog error naming `what`.
pub(super) fn keys<const N: usize>(row: &Row, what: &str) -> Result<[String; N]> {
    let mut out: [String; N] = std::array::from_fn(|_| String::new());
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = text(row, i).ok_or_else(|| Error::Catalog {
            object: format!("information_schema row ({what})"),
            message: format!("column {} is missing or NULL in {row:?}", i + 1),
        })?;
    }
    Ok(out)
}

pub(super) fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

/// How a `TABLES` row is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Table,
    View,
    Sequence,
}

fn table_kind(table_type: &str) -> Option<Kind> {
    match table_type.to_ascii_uppercase().as_str() {
        "BASE TABLE" | "SYSTEM VERSIONED" => Some(Kind::Table),
        "VIEW" => Some(Kind::View),
        "SEQUENCE" => Some(Kind::Sequence),
        _ => None,
    }
}

/// The MariaDB sequences among the `TABLES` rows, as (schema, name).
pub(crate) fn sequence_tables(
    tables: &[Row],
    options: &IntrospectOptions,
) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for row in tables {
        let [schema, name, table_type] = keys(row, "TABLES")?;
        if table_kind(&table_type) == Some(Kind::Sequence) && options.wants_table(&name) {
            out.push((schema, name));
        }
    }
    out.sort();
    Ok(out)
}

/// `(schema, name)` of a table, view or sequence.
type ObjectKey = (String, String);
/// `(schema, table, name)` of a constraint, index or column.
type MemberKey = (String, String, String);

/// What the `TABLES` rows said: the kind of each object read, and the
/// default collation of each table.
struct Relations {
    kinds: BTreeMap<ObjectKey, Kind>,
    collations: BTreeMap<ObjectKey, Option<String>>,
}

impl Relations {
    fn is_table(&self, schema: &str, name: &str) -> bool {
        self.kinds.get(&(schema.to_string(), name.to_string())) == Some(&Kind::Table)
    }
}

/// Builds the snapshot from the rows of one read.
pub(crate) fn snapshot(
    flavor: Flavor,
    rows: &CatalogRows,
    options: &IntrospectOptions,
) -> Result<Snapshot> {
    let mut snap = Snapshot::new(Dialect::Mysql);
    for row in &rows.schemata {
        let [schema] = keys(row, "SCHEMATA")?;
        snap.schemas.insert(
            schema,
            Schema {
                comment: non_empty(text(row, 1)),
                ..Schema::default()
            },
        );
    }
    let relations = add_relations(&mut snap, rows, options)?;
    let json_checks = mariadb_json_checks(flavor, rows)?;
    add_columns(&mut snap, flavor, rows, &relations, &json_checks)?;
    add_indexes(&mut snap, rows, &relations)?;
    add_foreign_keys(&mut snap, rows, &relations)?;
    add_checks(&mut snap, rows, &json_checks)?;
    add_views(&mut snap, rows, &relations)?;
    add_sequences(&mut snap, rows)?;
    super::options::add_table_options(&mut snap, rows)?;
    super::defined::add_objects(&mut snap, rows, options)?;
    Ok(snap)
}

/// The table `schema.table` of `snap`, if it is there.
pub(super) fn table_mut<'s>(
    snap: &'s mut Snapshot,
    schema: &str,
    table: &str,
) -> Option<&'s mut Table> {
    snap.schemas
        .get_mut(schema)
        .and_then(|s| s.tables.get_mut(table))
}

/// Tables, views and sequences by (schema, name); table default collations.
fn add_relations(
    snap: &mut Snapshot,
    rows: &CatalogRows,
    options: &IntrospectOptions,
) -> Result<Relations> {
    let mut relations = Relations {
        kinds: BTreeMap::new(),
        collations: BTreeMap::new(),
    };
    for row in &rows.tables {
        let [schema, name, table_type] = keys(row, "TABLES")?;
        let Some(kind) = table_kind(&table_type) else {
            continue;
        };
        if !options.wants_table(&name) {
            continue;
        }
        let Some(out) = snap.schemas.get_mut(&schema) else {
            continue;
        };
        if kind == Kind::Table {
            out.tables.insert(
                name.clone(),
                Table {
                    comment: non_empty(text(row, 4)),
                    ..Table::default()
                },
            );
            relations
                .collations
                .insert((schema.clone(), name.clone()), text(row, 3));
        }
        relations.kinds.insert((schema, name), kind);
    }
    Ok(relations)
}

/// JSON columns of MariaDB: longtext + implicit json_valid() check. The
/// keys of those checks (named after their column).
fn mariadb_json_checks(flavor: Flavor, rows: &CatalogRows) -> Result<BTreeSet<MemberKey>> {
    let mut json_checks = BTreeSet::new();
    if flavor.mariadb {
        for row in &rows.checks {
            let [schema, table, name, clause] = keys(row, "CHECK_CONSTRAINTS")?;
            let level = text(row, 4).unwrap_or_default();
            let implicit = format!("json_valid({})", quote_ident(&name));
            if level.eq_ignore_ascii_case("Column") && clause.trim() == implicit {
                json_checks.insert((schema, table, name));
            }
        }
    }
    Ok(json_checks)
}

fn add_columns(
    snap: &mut Snapshot,
    flavor: Flavor,
    rows: &CatalogRows,
    relations: &Relations,
    json_checks: &BTreeSet<MemberKey>,
) -> Result<()> {
    for row in &rows.columns {
        let [schema, table, name] = keys(row, "COLUMNS")?;
        if !relations.is_table(&schema, &table) {
            continue;
        }
        let position = int(row, 3)
            .and_then(|p| u32::try_from(p).ok())
            .ok_or_else(|| {
                catalog_error(
                    &schema,
                    &table,
                    format!("column {name} has no valid position"),
                )
            })?;
        let column_type = text(row, 4).unwrap_or_default();
        let data_type = text(row, 5).unwrap_or_default().to_ascii_lowercase();
        let extra = text(row, 8).unwrap_or_default();
        let extra_upper = extra.to_ascii_uppercase();
        let generation = non_empty(text(row, 9));
        let mut col = Column::new(position, column_type);
        col.nullable = text(row, 6).is_some_and(|n| n.eq_ignore_ascii_case("YES"));
        col.comment = non_empty(text(row, 11));
        let table_collation = relations
            .collations
            .get(&(schema.clone(), table.clone()))
            .cloned()
            .flatten();
        col.collation = non_empty(text(row, 10)).filter(|c| Some(c) != table_collation.as_ref());
        if extra_upper.contains("AUTO_INCREMENT") {
            col.identity = Some(Identity::AutoIncrement);
        }
        col.invisible = extra_upper.split_whitespace().any(|w| w == "INVISIBLE");
        let generated = extra_upper.contains("GENERATED")
            || extra_upper.contains("PERSISTENT")
            || { extra_upper.split_whitespace().any(|w| w == "VIRTUAL") };
        match generation {
            Some(expression) if generated => {
                col.generated = Some(Generated {
                    expression,
                    stored: extra_upper.contains("STORED") || extra_upper.contains("PERSISTENT"),
                });
            }
            _ => {
                col.default =
                    normalise_default(flavor, text(row, 7).as_deref(), &data_type, &extra);
                col.on_update = on_update(&extra);
            }
        }
        if json_checks.contains(&(schema.clone(), table.clone(), name.clone()))
            && data_type == "longtext"
        {
            col.data_type = "json".into();
            col.collation = None;
        }
        if let Some(t) = table_mut(snap, &schema, &table) {
            t.columns.insert(name, col);
        }
    }
    Ok(())
}

/// What the rows of one index say: uniqueness, method, whether the
/// optimizer ignores it, its comment, its key parts by position.
struct IndexRows {
    unique: bool,
    method: Option<String>,
    ignored: bool,
    comment: Option<String>,
    parts: Vec<(i64, IndexPart)>,
}

/// Indexes: PRIMARY, unique constraints, other indexes. A unique index the
/// optimizer ignores, or with a comment, is an index: a unique constraint
/// has neither.
fn add_indexes(snap: &mut Snapshot, rows: &CatalogRows, relations: &Relations) -> Result<()> {
    let mut indexes: BTreeMap<MemberKey, IndexRows> = BTreeMap::new();
    for row in &rows.indexes {
        let [schema, table, name] = keys(row, "STATISTICS")?;
        if !relations.is_table(&schema, &table) {
            continue;
        }
        let seq = int(row, 4).unwrap_or(0);
        let key = match (non_empty(text(row, 5)), non_empty(text(row, 9))) {
            (Some(column), _) => IndexKey::Column(column),
            (None, Some(expression)) => IndexKey::Expression(expression),
            (None, None) => {
                return Err(catalog_error(
                    &schema,
                    &table,
                    format!("index {name} has a key part with neither column nor expression"),
                ))
            }
        };
        // A SPATIAL index has no prefix, although MariaDB lists the
        // geometry's 32 bytes as one (`SUB_PART`), which it then refuses.
        let spatial = text(row, 8).is_some_and(|m| m.eq_ignore_ascii_case("SPATIAL"));
        let part = IndexPart {
            key,
            descending: text(row, 6).is_some_and(|c| c.eq_ignore_ascii_case("D")),
            nulls_first: None,
            opclass: None,
            collation: None,
            length: int(row, 7)
                .and_then(|l| u32::try_from(l).ok())
                .filter(|_| !spatial),
        };
        let entry = indexes
            .entry((schema, table, name))
            .or_insert_with(|| IndexRows {
                unique: int(row, 3) == Some(0),
                method: non_empty(text(row, 8)).filter(|m| !m.eq_ignore_ascii_case("BTREE")),
                ignored: text(row, 10).is_some_and(|i| i.eq_ignore_ascii_case("YES")),
                comment: non_empty(text(row, 11)),
                parts: Vec::new(),
            });
        entry.parts.push((seq, part));
    }
    for ((schema, table, name), rows) in indexes {
        let IndexRows {
            unique,
            method,
            ignored,
            comment,
            mut parts,
        } = rows;
        parts.sort_by_key(|(seq, _)| *seq);
        let parts: Vec<IndexPart> = parts.into_iter().map(|(_, p)| p).collect();
        let Some(t) = table_mut(snap, &schema, &table) else {
            continue;
        };
        let plain_columns: Option<Vec<String>> = parts
            .iter()
            .map(|p| match &p.key {
                IndexKey::Column(c) if !p.descending && p.length.is_none() => Some(c.clone()),
                _ => None,
            })
            .collect();
        if name == "PRIMARY" {
            let columns = parts
                .iter()
                .map(|p| match &p.key {
                    IndexKey::Column(c) | IndexKey::Expression(c) => c.clone(),
                })
                .collect();
            t.primary_key = Some(PrimaryKey {
                name,
                columns,
                deferrable: false,
                initially_deferred: false,
                comment,
            });
            continue;
        }
        match plain_columns {
            Some(columns) if unique && method.is_none() && !ignored && comment.is_none() => {
                t.uniques.insert(
                    name,
                    UniqueConstraint {
                        deferrable: false,
                        initially_deferred: false,
                        columns,
                        nulls_not_distinct: false,
                        comment: None,
                    },
                );
            }
            _ => {
                t.indexes.insert(
                    name,
                    Index {
                        parts,
                        unique,
                        method,
                        predicate: None,
                        include: Vec::new(),
                        ignored,
                        comment,
                        storage: Vec::new(),
                        nulls_not_distinct: false,
                    },
                );
            }
        }
    }
    Ok(())
}

/// Foreign keys: key columns, and their rules read apart.
fn add_foreign_keys(snap: &mut Snapshot, rows: &CatalogRows, relations: &Relations) -> Result<()> {
    let mut rules: BTreeMap<MemberKey, (String, String)> = BTreeMap::new();
    for row in &rows.fk_rules {
        let [schema, table, name, on_update, on_delete] = keys(row, "REFERENTIAL_CONSTRAINTS")?;
        rules.insert((schema, table, name), (on_update, on_delete));
    }
    type FkRows = (String, String, Vec<(i64, String, String)>);
    let mut fks: BTreeMap<MemberKey, FkRows> = BTreeMap::new();
    for row in &rows.foreign_keys {
        let [schema, table, name] = keys(row, "KEY_COLUMN_USAGE")?;
        if !relations.is_table(&schema, &table) {
            continue;
        }
        let [_, _, _, _, column, ref_schema, ref_table, ref_column] =
            keys::<8>(&fill_position(row), "KEY_COLUMN_USAGE")?;
        let position = int(row, 3).unwrap_or(0);
        let entry = fks
            .entry((schema, table, name))
            .or_insert_with(|| (ref_schema, ref_table, Vec::new()));
        entry.2.push((position, column, ref_column));
    }
    for ((schema, table, name), (ref_schema, ref_table, mut cols)) in fks {
        let (on_update, on_delete) = rules
            .get(&(schema.clone(), table.clone(), name.clone()))
            .cloned()
            .unwrap_or_default();
        cols.sort_by_key(|(p, _, _)| *p);
        let Some(t) = table_mut(snap, &schema, &table) else {
            continue;
        };
        t.foreign_keys.insert(
            name,
            ForeignKey {
                columns: cols.iter().map(|(_, c, _)| c.clone()).collect(),
                ref_schema,
                ref_table,
                ref_columns: cols.into_iter().map(|(_, _, r)| r).collect(),
                on_delete: fk_action(&on_delete),
                on_update: fk_action(&on_update),
                deferrable: false,
                initially_deferred: false,
                comment: None,
                match_full: false,
            },
        );
    }
    Ok(())
}

/// CHECK constraints, except the implicit ones of JSON columns.
fn add_checks(
    snap: &mut Snapshot,
    rows: &CatalogRows,
    json_checks: &BTreeSet<MemberKey>,
) -> Result<()> {
    for row in &rows.checks {
        let [schema, table, name, clause] = keys(row, "CHECK_CONSTRAINTS")?;
        if json_checks.contains(&(schema.clone(), table.clone(), name.clone())) {
            let is_json = snap
                .table(&schema, &table)
                .and_then(|t| t.columns.get(&name))
                .is_some_and(|c| c.data_type == "json");
            if is_json {
                continue;
            }
        }
        let Some(t) = table_mut(snap, &schema, &table) else {
            continue;
        };
        t.checks.insert(
            name,
            Check {
                expression: strip_outer_parens(clause.trim()).to_string(),
                comment: None,
                no_inherit: false,
            },
        );
    }
    Ok(())
}

fn add_views(snap: &mut Snapshot, rows: &CatalogRows, relations: &Relations) -> Result<()> {
    for row in &rows.views {
        let [schema, name] = keys(row, "VIEWS")?;
        if relations.kinds.get(&(schema.clone(), name.clone())) != Some(&Kind::View) {
            continue;
        }
        let definition = text(row, 2).unwrap_or_default();
        if let Some(s) = snap.schemas.get_mut(&schema) {
            s.views.insert(
                name,
                View {
                    indexes: Default::default(),
                    definition: strip_schema_qualifier(definition.trim(), &schema),
                    materialized: false,
                    comment: None,
                    options: view_options(row),
                },
            );
        }
    }
    Ok(())
}

/// A view's check option and SQL SECURITY, as the model names them: only
/// what differs from a plain view (`CHECK_OPTION` `NONE`, `SECURITY_TYPE`
/// `DEFINER`).
fn view_options(row: &Row) -> BTreeMap<String, String> {
    let mut options = BTreeMap::new();
    match text(row, 3).map(|o| o.to_ascii_lowercase()) {
        Some(o) if o != "none" && !o.is_empty() => {
            options.insert(CHECK_OPTION.to_string(), o);
        }
        _ => {}
    }
    if text(row, 4).is_some_and(|s| s.eq_ignore_ascii_case("INVOKER")) {
        options.insert(SECURITY_INVOKER.to_string(), "true".to_string());
    }
    options
}

/// Sequences (MariaDB).
fn add_sequences(snap: &mut Snapshot, rows: &CatalogRows) -> Result<()> {
    for row in &rows.sequences {
        let [schema, name] = keys(row, "sequence")?;
        let value = |i: usize| {
            int(row, i).ok_or_else(|| {
                catalog_error(
                    &schema,
                    &name,
                    format!("sequence setting {} is not an integer", i - 1),
                )
            })
        };
        let sequence = Sequence {
            data_type: "bigint".into(),
            start: value(2)?,
            increment: value(3)?,
            min_value: value(4)?,
            max_value: value(5)?,
            cache: value(6)?,
            cycle: value(7)? != 0,
            owned_by: None,
            comment: None,
        };
        if let Some(s) = snap.schemas.get_mut(&schema) {
            s.sequences.insert(name, sequence);
        }
    }
    Ok(())
}

/// The FK row with its position column as text, so [`keys`] can read all
/// ten columns uniformly.
fn fill_position(row: &Row) -> Row {
    let mut r = row.clone();
    if let Some(v) = r.get_mut(3) {
        *v = Value::Text(int(row, 3).unwrap_or(0).to_string());
    }
    r
}

fn catalog_error(schema: &str, table: &str, message: String) -> Error {
    Error::Catalog {
        object: format!("table {schema}.{table}"),
        message,
    }
}

fn quote_ident(name: &str) -> String {
    super::query::quote_ident(name)
}

/// `RESTRICT` and `NO ACTION` mean the same in InnoDB: both become `NoAction`.
fn fk_action(rule: &str) -> FkAction {
    match FkAction::from_sql(rule) {
        Some(FkAction::Restrict) | None => FkAction::NoAction,
        Some(a) => a,
    }
}

fn is_numeric_literal(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mut parts = mantissa.splitn(2, '.');
    let int_part = parts.next().unwrap_or("");
    let frac = parts.next();
    let digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok = digits(int_part)
        && frac.is_none_or(digits)
        && (!int_part.is_empty() || frac.is_some_and(|f| !f.is_empty()));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

fn is_bit_or_hex_literal(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    ((lower.starts_with("b'") || lower.starts_with("x'"))
        && lower.ends_with('\'')
        && lower.len() >= 3)
        || (lower.starts_with("0x")
            && lower.len() > 2
            && lower[2..].chars().all(|c| c.is_ascii_hexdigit()))
        || (lower.starts_with("0b")
            && lower.len() > 2
            && lower[2..].chars().all(|c| c == '0' || c == '1'))
}

const NUMERIC_TYPES: &[&str] = &[
    "tinyint",
    "smallint",
    "mediumint",
    "int",
    "integer",
    "bigint",
    "decimal",
    "numeric",
    "dec",
    "fixed",
    "float",
    "double",
    "real",
    "double precision",
    "year",
    "bit",
    "bool",
    "boolean",
    "serial",
];

/// Quotes a string the way MariaDB prints string literals in the catalog.
fn quote_string(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 2);
    out.push('\'');
    for c in raw.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Normalises an expression default (see the module documentation).
fn normalise_expression(expr: &str) -> String {
    let e = expr.trim();
    let lower = e.to_ascii_lowercase();
    for synonym in ["current_timestamp", "now", "localtimestamp", "localtime"] {
        if let Some(rest) = lower.strip_prefix(synonym) {
            let rest = rest.trim();
            if rest.is_empty() || rest == "()" {
                return "current_timestamp()".into();
            }
            if let Some(p) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
                let p = p.trim();
                if !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) {
                    return format!("current_timestamp({p})");
                }
            }
        }
    }
    if wrapped_in_parens(e) {
        e.to_string()
    } else {
        format!("({e})")
    }
}

/// The default of a column as the text that recreates it (see the module
/// documentation). `data_type` is `DATA_TYPE`, lower case.
pub(crate) fn normalise_default(
    flavor: Flavor,
    raw: Option<&str>,
    data_type: &str,
    extra: &str,
) -> Option<String> {
    let raw = raw?;
    if flavor.mariadb {
        let t = raw.trim();
        if t.eq_ignore_ascii_case("NULL") {
            return None;
        }
        if t.starts_with('\'') || is_numeric_literal(t) || is_bit_or_hex_literal(t) {
            return Some(t.to_string());
        }
        return Some(normalise_expression(t));
    }
    // MySQL: literals are unquoted; DEFAULT_GENERATED marks expressions.
    let extra_upper = extra.to_ascii_uppercase();
    let is_timestamp_keyword = {
        let e = normalise_expression(raw);
        e.starts_with("current_timestamp(") && !wrapped_in_parens(raw.trim())
    };
    if extra_upper.contains("DEFAULT_GENERATED") || is_timestamp_keyword {
        return Some(normalise_expression(raw));
    }
    let numeric = NUMERIC_TYPES.contains(&data_type);
    if (numeric && (is_numeric_literal(raw.trim()) || is_bit_or_hex_literal(raw.trim())))
        || (data_type == "bit" && is_bit_or_hex_literal(raw.trim()))
    {
        return Some(raw.trim().to_string());
    }
    Some(quote_string(raw))
}

/// The `ON UPDATE` expression `EXTRA` carries (`on update
/// current_timestamp()` on MariaDB, `DEFAULT_GENERATED on update
/// CURRENT_TIMESTAMP(6)` on MySQL 8), spelled as a default is.
fn on_update(extra: &str) -> Option<String> {
    let at = extra.to_ascii_lowercase().find("on update ")?;
    let expr = extra.get(at + "on update ".len()..)?.trim();
    (!expr.is_empty()).then(|| normalise_expression(expr))
}

/// Whether `s` is entirely enclosed by one matching pair of parentheses.
fn wrapped_in_parens(s: &str) -> bool {
    if !s.starts_with('(') || !s.ends_with(')') {
        return false;
    }
    matching_close(s, 0) == Some(s.len() - 1)
}

/// Byte index of the `)` matching the `(` at `open`, skipping quoted text.
fn matching_close(s: &str, open: usize) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'\'' | b'"' | b'`') => i = skip_quoted(bytes, i, q),
            b'(' => {
                depth += 1;
                i += 1;
            }
            b')' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    None
}

/// Index just past the quoted text starting at `start` (quote `q`), with
/// doubled quotes and (outside backticks) backslash escapes.
fn skip_quoted(bytes: &[u8], start: usize, q: u8) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\\' && q != b'`' {
            i += 2;
        } else if b == q {
            if bytes.get(i + 1) == Some(&q) {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    bytes.len()
}

/// Removes every pair of parentheses that encloses the whole text.
fn strip_outer_parens(mut s: &str) -> &str {
    while wrapped_in_parens(s) {
        s = s[1..s.len() - 1].trim();
    }
    s
}

/// Removes `` `schema`. `` qualifiers naming `schema` outside quoted strings.
fn strip_schema_qualifier(definition: &str, schema: &str) -> String {
    let bytes = definition.as_bytes();
    let mut out = String::with_capacity(definition.len());
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'\'' | b'"') => i = skip_quoted(bytes, i, q),
            b'`' => {
                let end = skip_quoted(bytes, i, b'`');
                let terminated = end >= i + 2 && bytes[end - 1] == b'`';
                if !terminated {
                    break;
                }
                let ident = definition[i + 1..end - 1].replace("``", "`");
                if ident == schema && bytes.get(end) == Some(&b'.') {
                    out.push_str(&definition[copied..i]);
                    copied = end + 1;
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    out.push_str(&definition[copied.min(definition.len())..]);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::type_complexity)]
mod tests {
    use super::*;

    const MARIA: Flavor = Flavor {
        mariadb: true,
        version: (10, 11, 6),
    };
    const MYSQL: Flavor = Flavor {
        mariadb: false,
        version: (8, 0, 36),
    };

    #[test]
    fn defaults_agree_between_mariadb_and_mysql() {
        // (MariaDB COLUMN_DEFAULT, MySQL COLUMN_DEFAULT, MySQL EXTRA, DATA_TYPE, expected)
        let cases: &[(Option<&str>, Option<&str>, &str, &str, Option<&str>)] = &[
            (None, None, "", "int", None),
            (Some("NULL"), None, "", "varchar", None),
            (
                Some("'it''s'"),
                Some("it's"),
                "",
                "varchar",
                Some("'it''s'"),
            ),
            (
                Some("'a\\\\b'"),
                Some("a\\b"),
                "",
                "varchar",
                Some("'a\\\\b'"),
            ),
            (Some("'x\\ny'"), Some("x\ny"), "", "text", Some("'x\\ny'")),
            (Some("'NULL'"), Some("NULL"), "", "varchar", Some("'NULL'")),
            (Some("''"), Some(""), "", "varchar", Some("''")),
            (Some("'a'"), Some("a"), "", "enum", Some("'a'")),
            (
                Some("'2020-01-01'"),
                Some("2020-01-01"),
                "",
                "date",
                Some("'2020-01-01'"),
            ),
            (Some("0"), Some("0"), "", "int", Some("0")),
            (Some("1.50"), Some("1.50"), "", "decimal", Some("1.50")),
            (Some("-1"), Some("-1"), "", "float", Some("-1")),
            (Some("2020"), Some("2020"), "", "year", Some("2020")),
            (Some("b'101'"), Some("b'101'"), "", "bit", Some("b'101'")),
            (
                Some("current_timestamp()"),
                Some("CURRENT_TIMESTAMP"),
                "DEFAULT_GENERATED",
                "timestamp",
                Some("current_timestamp()"),
            ),
            (
                Some("current_timestamp(6)"),
                Some("CURRENT_TIMESTAMP(6)"),
                "DEFAULT_GENERATED on update CURRENT_TIMESTAMP(6)",
                "datetime",
                Some("current_timestamp(6)"),
            ),
            (
                Some("uuid()"),
                Some("uuid()"),
                "DEFAULT_GENERATED",
                "char",
                Some("(uuid())"),
            ),
            (
                Some("(1 + 1)"),
                Some("(1 + 1)"),
                "DEFAULT_GENERATED",
                "int",
                Some("(1 + 1)"),
            ),
        ];
        for (maria, my, extra, ty, expected) in cases {
            assert_eq!(
                normalise_default(MARIA, *maria, ty, ""),
                expected.map(String::from),
                "MariaDB {maria:?}"
            );
            assert_eq!(
                normalise_default(MYSQL, *my, ty, extra),
                expected.map(String::from),
                "MySQL {my:?}"
            );
        }
        // Old MySQL without DEFAULT_GENERATED.
        assert_eq!(
            normalise_default(MYSQL, Some("CURRENT_TIMESTAMP"), "timestamp", ""),
            Some("current_timestamp()".into())
        );
        // A string column whose literal looks like a number stays a string on MySQL.
        assert_eq!(
            normalise_default(MYSQL, Some("0"), "varchar", ""),
            Some("'0'".into())
        );
    }

    #[test]
    fn on_update_is_read_from_extra_on_both_servers() {
        assert_eq!(
            on_update("on update current_timestamp()"),
            Some("current_timestamp()".into())
        );
        assert_eq!(
            on_update("DEFAULT_GENERATED on update CURRENT_TIMESTAMP(6)"),
            Some("current_timestamp(6)".into())
        );
        assert_eq!(on_update("DEFAULT_GENERATED"), None);
        assert_eq!(on_update("on update "), None);
    }

    #[test]
    fn odd_input_never_panics() {
        for s in [
            "", "(", ")", "()", "'", "`", "\\", "é", "(é", "'é\\", "`é``", "((a)", "b'", "0x",
            "now(", "NULL",
        ] {
            let _ = strip_outer_parens(s);
            let _ = wrapped_in_parens(s);
            let _ = strip_schema_qualifier(s, "é");
            let _ = normalise_expression(s);
            for flavor in [MARIA, MYSQL] {
                let _ = normalise_default(flavor, Some(s), "varchar", "DEFAULT_GENERATED");
                let _ = normalise_default(flavor, Some(s), "int", "");
            }
        }
    }

    #[test]
    fn numeric_literals() {
        for ok in ["0", "-1", "+2", "1.5", ".5", "1e3", "1.5E-3"] {
            assert!(is_numeric_literal(ok), "{ok}");
        }
        for bad in ["", "-", "1e", "a1", "1.2.3", "uuid()", "'1'"] {
            assert!(!is_numeric_literal(bad), "{bad}");
        }
    }

    #[test]
    fn parens_and_qualifiers() {
        assert_eq!(strip_outer_parens("((`a` > 0))"), "`a` > 0");
        assert_eq!(
            strip_outer_parens("(`a` > 0) and (`b` > 0)"),
            "(`a` > 0) and (`b` > 0)"
        );
        assert_eq!(strip_outer_parens("(`a` <> ')')"), "`a` <> ')'");
        assert!(!wrapped_in_parens("(a"));
        assert!(!wrapped_in_parens(")("));
        assert_eq!(
            strip_schema_qualifier("select `app`.`t`.`a` AS `a` from `app`.`t` where `t`.`b` = '`app`.' and `other`.`x`", "app"),
            "select `t`.`a` AS `a` from `t` where `t`.`b` = '`app`.' and `other`.`x`"
        );
        assert_eq!(strip_schema_qualifier("`we``ird`.`t`", "we`ird"), "`t`");
        assert_eq!(
            strip_schema_qualifier("unterminated `app", "app"),
            "unterminated `app"
        );
        assert_eq!(strip_schema_qualifier("`appé", "appé"), "`appé");
        assert_eq!(strip_schema_qualifier("`é`.`t` 'é\\", "é"), "`t` 'é\\");
    }

    fn t(s: &str) -> Value {
        Value::Text(s.into())
    }
    fn i(n: i64) -> Value {
        Value::Int(n)
    }
    const N: Value = Value::Null;

    #[test]
    fn builds_tables_from_rows() {
        let rows = CatalogRows {
            schemata: vec![vec![t("app"), t("")]],
            tables: vec![
                vec![
                    t("app"),
                    t("users"),
                    t("BASE TABLE"),
                    t("utf8mb4_general_ci"),
                    t("people"),
                ],
                vec![t("app"), t("v"), t("VIEW"), N, t("VIEW")],
                vec![
                    t("app"),
                    t("s"),
                    t("SEQUENCE"),
                    t("utf8mb4_general_ci"),
                    t(""),
                ],
                vec![
                    t("app"),
                    t("schema_migrations"),
                    t("BASE TABLE"),
                    t("utf8mb4_general_ci"),
                    t(""),
                ],
            ],
            columns: vec![
                vec![
                    t("app"),
                    t("users"),
                    t("id"),
                    i(1),
                    t("int(11)"),
                    t("int"),
                    t("NO"),
                    N,
                    t("auto_increment"),
                    N,
                    N,
                    t(""),
                ],
                vec![
                    t("app"),
                    t("users"),
                    t("j"),
                    i(2),
                    t("longtext"),
                    t("longtext"),
                    t("YES"),
                    t("NULL"),
                    t(""),
                    N,
                    t("utf8mb4_bin"),
                    t(""),
                ],
                vec![
                    t("app"),
                    t("users"),
                    t("name"),
                    i(3),
                    t("varchar(20)"),
                    t("varchar"),
                    t("YES"),
                    t("'x'"),
                    t(""),
                    N,
                    t("utf8mb4_bin"),
                    t("the name"),
                ],
                vec![
                    t("app"),
                    t("users"),
                    t("g"),
                    i(4),
                    t("int(11)"),
                    t("int"),
                    t("YES"),
                    N,
                    t("STORED GENERATED"),
                    t("`id` * 2"),
                    N,
                    t(""),
                ],
                vec![
                    t("app"),
                    t("v"),
                    t("id"),
                    i(1),
                    t("int(11)"),
                    t("int"),
                    t("NO"),
                    t("0"),
                    t(""),
                    N,
                    N,
                    t(""),
                ],
                vec![
                    t("app"),
                    t("schema_migrations"),
                    t("version"),
                    i(1),
                    t("bigint(20)"),
                    t("bigint"),
                    t("NO"),
                    N,
                    t(""),
                    N,
                    N,
                    t(""),
                ],
            ],
            indexes: vec![
                vec![
                    t("app"),
                    t("users"),
                    t("PRIMARY"),
                    i(0),
                    i(1),
                    t("id"),
                    t("A"),
                    N,
                    t("BTREE"),
                    N,
                ],
                vec![
                    t("app"),
                    t("users"),
                    t("uq"),
                    i(0),
                    i(1),
                    t("name"),
                    t("A"),
                    N,
                    t("BTREE"),
                    N,
                ],
                vec![
                    t("app"),
                    t("users"),
                    t("ix"),
                    i(1),
                    i(2),
                    t("g"),
                    t("D"),
                    N,
                    t("BTREE"),
                    N,
                ],
                vec![
                    t("app"),
                    t("users"),
                    t("ix"),
                    i(1),
                    i(1),
                    t("name"),
                    t("A"),
                    i(5),
                    t("BTREE"),
                    N,
                ],
                vec![
                    t("app"),
                    t("users"),
                    t("fx"),
                    i(1),
                    i(1),
                    N,
                    t("A"),
                    N,
                    t("BTREE"),
                    t("lower(`name`)"),
                ],
                vec![
                    t("app"),
                    t("users"),
                    t("ft"),
                    i(1),
                    i(1),
                    t("name"),
                    N,
                    N,
                    t("FULLTEXT"),
                    N,
                ],
            ],
            foreign_keys: vec![
                vec![
                    t("app"),
                    t("users"),
                    t("fk"),
                    i(2),
                    t("g"),
                    t("app"),
                    t("users"),
                    t("name"),
                ],
                vec![
                    t("app"),
                    t("users"),
                    t("fk"),
                    i(1),
                    t("id"),
                    t("app"),
                    t("users"),
                    t("id"),
                ],
            ],
            fk_rules: vec![vec![
                t("app"),
                t("users"),
                t("fk"),
                t("RESTRICT"),
                t("CASCADE"),
            ]],
            checks: vec![
                vec![
                    t("app"),
                    t("users"),
                    t("j"),
                    t("json_valid(`j`)"),
                    t("Column"),
                ],
                vec![t("app"), t("users"), t("ck"), t("`id` > 0"), t("Table")],
            ],
            views: vec![vec![
                t("app"),
                t("v"),
                t("select `app`.`users`.`id` AS `id` from `app`.`users`"),
                t("LOCAL"),
                t("INVOKER"),
            ]],
            sequences: vec![vec![
                t("app"),
                t("s"),
                i(10),
                i(5),
                i(1),
                i(1000),
                i(1000),
                i(1),
            ]],
            triggers: vec![vec![
                t("app"),
                t("touch"),
                t("users"),
                t("BEFORE"),
                t("UPDATE"),
                i(1),
                t("SET NEW.name = (SELECT max(`name`) FROM v)"),
            ]],
            ..CatalogRows::default()
        };
        let snap = snapshot(MARIA, &rows, &IntrospectOptions::default()).unwrap();
        assert!(snap.unmodeled.is_empty());
        let touch = &snap.objects[0];
        assert_eq!(
            touch.definition,
            "CREATE TRIGGER `touch` BEFORE UPDATE ON `users` FOR EACH ROW SET NEW.name = (SELECT max(`name`) FROM v)"
        );
        assert_eq!(
            touch.depends_on,
            [
                driftless_model::ObjectRef::table("app", "users"),
                driftless_model::ObjectRef::schema_object(
                    driftless_model::ObjectKind::View,
                    "app",
                    Some("v")
                ),
            ]
        );
        let app = &snap.schemas["app"];
        assert_eq!(app.tables.keys().collect::<Vec<_>>(), vec!["users"]);
        let u = &app.tables["users"];
        assert_eq!(u.comment.as_deref(), Some("people"));
        assert_eq!(u.column_order(), vec!["id", "j", "name", "g"]);
        assert_eq!(u.columns["id"].identity, Some(Identity::AutoIncrement));
        assert!(!u.columns["id"].nullable);
        assert_eq!(u.columns["j"].data_type, "json");
        assert_eq!(u.columns["j"].collation, None);
        assert_eq!(u.columns["j"].default, None);
        assert_eq!(u.columns["name"].collation.as_deref(), Some("utf8mb4_bin"));
        assert_eq!(u.columns["name"].comment.as_deref(), Some("the name"));
        assert_eq!(
            u.columns["g"]
                .generated
                .as_ref()
                .map(|g| (g.expression.as_str(), g.stored)),
            Some(("`id` * 2", true))
        );
        assert_eq!(
            u.primary_key.as_ref().map(|p| p.name.as_str()),
            Some("PRIMARY")
        );
        assert_eq!(u.uniques["uq"].columns, vec!["name"]);
        let ix = &u.indexes["ix"];
        assert_eq!(ix.parts[0].length, Some(5));
        assert!(ix.parts[1].descending);
        assert_eq!(
            u.indexes["fx"].parts[0].key,
            IndexKey::Expression("lower(`name`)".into())
        );
        assert_eq!(u.indexes["ft"].method.as_deref(), Some("FULLTEXT"));
        let fk = &u.foreign_keys["fk"];
        assert_eq!(fk.columns, vec!["id", "g"]);
        assert_eq!(fk.ref_columns, vec!["id", "name"]);
        assert_eq!(
            (fk.on_update, fk.on_delete),
            (FkAction::NoAction, FkAction::Cascade)
        );
        assert_eq!(u.checks.keys().collect::<Vec<_>>(), vec!["ck"]);
        assert_eq!(
            app.views["v"].definition,
            "select `users`.`id` AS `id` from `users`"
        );
        assert_eq!(
            app.views["v"].options,
            BTreeMap::from([
                (CHECK_OPTION.to_string(), "local".to_string()),
                (SECURITY_INVOKER.to_string(), "true".to_string()),
            ])
        );
        let s = &app.sequences["s"];
        assert_eq!(
            (
                s.start,
                s.increment,
                s.min_value,
                s.max_value,
                s.cache,
                s.cycle
            ),
            (10, 5, 1, 1000, 1000, true)
        );
        assert_eq!(
            sequence_tables(&rows.tables, &IntrospectOptions::default()).unwrap(),
            vec![("app".into(), "s".into())]
        );
    }

    #[test]
    fn malformed_rows_are_errors() {
        let rows = CatalogRows {
            schemata: vec![vec![t("app")]],
            tables: vec![vec![t("app"), N]],
            ..CatalogRows::default()
        };
        assert!(matches!(
            snapshot(MARIA, &rows, &IntrospectOptions::default()),
            Err(Error::Catalog { .. })
        ));
    }
}
