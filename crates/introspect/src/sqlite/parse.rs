//! Catalog rows (see [`super::query`]) → the schema model. Pure.
//!
//! The JSON of each row is read in place: names and other strings borrow
//! from it (they are copied once, into the model), each CREATE statement
//! is tokenized once.
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
//! * Nullability is what the pragma says: a rowid alias (`INTEGER PRIMARY
//!   KEY`) is NOT NULL only when declared so (SQLite never stores NULL in
//!   it either way, but a rebuilt table must declare what the original
//!   did); the key columns of a `WITHOUT ROWID` table are NOT NULL.
//! * Declared types are the pragma's, empty for a column declared without
//!   one.
//! * Table options: `without_rowid` and `strict` (`"true"`), from the
//!   CREATE TABLE statement.
//! * Triggers are compared by their statement as stored
//!   ([`DefinedObject`]), depending on their table and on the tables and
//!   views their body names.
//! * Collations are reported when they differ from `BINARY`; the built-in
//!   names (`BINARY`, `NOCASE`, `RTRIM`) are upper-cased.
//! * A foreign key that names no referenced columns references the primary
//!   key of its table; that key's columns are reported.
//! * Referenced table names are spelled as the referenced table is named
//!   (SQLite matches them case-insensitively).
//! * Virtual tables and the shadow tables behind them, `sqlite_%` tables
//!   and (unless asked for) migration-ledger tables are left out.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;

use super::ddl::{self, CreateTable, References, TableConstraint};
use super::query::WIDTH;
use crate::database::{Row, Value};
use crate::error::{Error, Result};
use crate::IntrospectOptions;
use driftless_model::{
    CatalogKind, CatalogObject, Check, Column, DefinedObject, Dialect, FkAction, ForeignKey,
    Generated, Identity, Index, IndexKey, IndexPart, ObjectKind, ObjectRef, PrimaryKey, Snapshot,
    Table, UniqueConstraint, View,
};

/// A constraint's declared name (if any) and the name to synthesise otherwise.
type Naming = (Option<String>, String);

/// A string of the catalog JSON: borrowed from it unless it had escapes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Text<'a>(Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visitor<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visitor<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Text<'a>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> std::result::Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(Visitor(PhantomData))
    }
}

/// One object of `sqlite_schema` (see [`super::query`] for the layout).
#[derive(Debug, Deserialize)]
struct RawObject<'a> {
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    kind: Text<'a>,
    #[serde(borrow)]
    sql: Option<Text<'a>>,
    /// `None` unless a table stored in the file.
    #[serde(borrow)]
    columns: Option<Vec<RawColumn<'a>>>,
    #[serde(borrow)]
    indexes: Option<Vec<RawIndex<'a>>>,
    #[serde(borrow)]
    foreign_keys: Option<Vec<RawForeignKeyColumn<'a>>>,
    /// `tbl_name`: the table or view of an index or trigger.
    #[serde(borrow, default)]
    table: Option<Text<'a>>,
}

/// A row of `pragma_table_xinfo`.
#[derive(Debug, Deserialize)]
struct RawColumn<'a> {
    cid: i64,
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    decl_type: Option<Text<'a>>,
    notnull: Option<i64>,
    #[serde(borrow)]
    default: Option<Text<'a>>,
    pk: Option<i64>,
    hidden: Option<i64>,
}

impl RawColumn<'_> {
    fn pk(&self) -> i64 {
        self.pk.unwrap_or(0)
    }
    fn hidden(&self) -> i64 {
        self.hidden.unwrap_or(0)
    }
    fn decl_type(&self) -> &str {
        self.decl_type.as_deref().unwrap_or_default()
    }
}

/// A row of `pragma_index_list`, with its key columns.
#[derive(Debug, Deserialize)]
struct RawIndex<'a> {
    seq: i64,
    #[serde(borrow)]
    name: Text<'a>,
    unique: Option<i64>,
    #[serde(borrow)]
    origin: Option<Text<'a>>,
    partial: Option<i64>,
    /// `None` for the primary key of a `WITHOUT ROWID` table.
    #[serde(borrow)]
    keys: Option<Vec<RawIndexPart<'a>>>,
}

impl RawIndex<'_> {
    fn origin(&self) -> &str {
        self.origin.as_deref().unwrap_or_default()
    }

    /// The key columns in key order.
    fn parts(&self) -> Vec<&RawIndexPart<'_>> {
        let mut parts: Vec<&RawIndexPart<'_>> = self.keys.iter().flatten().collect();
        parts.sort_by_key(|p| p.seqno);
        parts
    }
}

/// A key column row of `pragma_index_xinfo`.
#[derive(Debug, Deserialize)]
struct RawIndexPart<'a> {
    seqno: i64,
    cid: i64,
    #[serde(borrow)]
    name: Option<Text<'a>>,
    descending: Option<i64>,
    #[serde(borrow)]
    collation: Option<Text<'a>>,
}

/// A row of `pragma_foreign_key_list`: one column of foreign key `id`.
#[derive(Debug, Deserialize)]
struct RawForeignKeyColumn<'a> {
    id: i64,
    seq: i64,
    #[serde(borrow)]
    table: Text<'a>,
    #[serde(borrow)]
    from: Text<'a>,
    #[serde(borrow)]
    to: Option<Text<'a>>,
    #[serde(borrow)]
    on_update: Option<Text<'a>>,
    #[serde(borrow)]
    on_delete: Option<Text<'a>>,
}

/// The rows of one foreign key, in column order.
struct RawForeignKey<'r, 'a> {
    rows: Vec<&'r RawForeignKeyColumn<'a>>,
}

impl RawForeignKey<'_, '_> {
    fn first(&self) -> Option<&RawForeignKeyColumn<'_>> {
        self.rows.first().copied()
    }
    fn table(&self) -> &str {
        self.first().map_or("", |r| &r.table)
    }
    fn on_delete(&self) -> FkAction {
        fk_action(self.first().and_then(|r| r.on_delete.as_deref()))
    }
    fn on_update(&self) -> FkAction {
        fk_action(self.first().and_then(|r| r.on_update.as_deref()))
    }
}

fn fk_action(sql: Option<&str>) -> FkAction {
    sql.and_then(FkAction::from_sql)
        .unwrap_or(FkAction::NoAction)
}

fn bad_row(what: &str, detail: impl fmt::Display) -> Error {
    Error::Catalog {
        object: format!("sqlite catalog row ({what})"),
        message: format!("unexpected shape: {detail}"),
    }
}

/// A text value of a catalog row (a value SQLite returned as bytes because
/// it is not valid UTF-8 is read lossily).
fn text<'r>(row: &'r Row, i: usize, what: &str) -> Result<Cow<'r, str>> {
    match row.get(i) {
        Some(Value::Text(s)) => Ok(Cow::Borrowed(s)),
        Some(Value::Bytes(b)) => Ok(String::from_utf8_lossy(b)),
        other => Err(bad_row(what, format!("column {i} is {other:?}"))),
    }
}

fn json<'t, T: Deserialize<'t>>(json: &'t str, schema: &str, what: &str) -> Result<T> {
    serde_json::from_str(json).map_err(|e| Error::Catalog {
        object: format!("sqlite catalog of schema {schema} ({what})"),
        message: e.to_string(),
    })
}

/// Builds the snapshot of `schemas` from the catalog rows.
pub(crate) fn snapshot(
    rows: &[Row],
    schemas: &[String],
    options: &IntrospectOptions,
) -> Result<Snapshot> {
    let mut snap = Snapshot::new(Dialect::Sqlite);
    for schema in schemas {
        snap.schemas.entry(schema.clone()).or_default();
    }
    for row in rows {
        if row.len() != WIDTH {
            return Err(bad_row("width", format!("{} columns", row.len())));
        }
        let schema = text(row, 0, "schema")?;
        let objects_json = text(row, 1, "objects")?;
        let special_json = text(row, 2, "virtual tables")?;
        let Some(out) = snap.schemas.get_mut(schema.as_ref()) else {
            continue;
        };
        let objects: Vec<RawObject<'_>> = json(&objects_json, &schema, "objects")?;
        let special: Vec<Text<'_>> = json(&special_json, &schema, "virtual tables")?;
        read_schema(&schema, &objects, &special, options, out)?;
        if options.only.is_none() {
            snap.unmodeled
                .extend(unmodeled(&schema, &objects, &special));
        }
        snap.objects.extend(triggers(&schema, &objects, options));
    }
    snap.unmodeled.sort();
    snap.objects.sort();
    Ok(snap)
}

/// The triggers of one schema, each as its statement as stored, depending
/// on its table (or view) and on every other table or view its statement
/// names (an over-approximation: a name may be a column's too).
fn triggers(
    schema: &str,
    objects: &[RawObject<'_>],
    options: &IntrospectOptions,
) -> Vec<DefinedObject> {
    let d = Dialect::Sqlite;
    let relations: HashMap<String, (ObjectKind, &str)> = objects
        .iter()
        .filter_map(|o| {
            let kind = match &*o.kind {
                "table" => ObjectKind::Table,
                "view" => ObjectKind::View,
                _ => return None,
            };
            Some((o.name.to_ascii_lowercase(), (kind, &*o.name)))
        })
        .collect();
    let reference = |kind: ObjectKind, name: &str| match kind {
        ObjectKind::Table => ObjectRef::table(schema, name),
        _ => ObjectRef::schema_object(kind, schema, Some(name)),
    };
    objects
        .iter()
        .filter(|o| &*o.kind == "trigger")
        .filter_map(|o| {
            let (sql, on) = (o.sql.as_deref()?, o.table.as_deref().unwrap_or_default());
            if !options.wants_table(on) {
                return None;
            }
            let mut t = DefinedObject::new(CatalogKind::Trigger, Some(schema), &*o.name, sql);
            t.drop = format!(
                "DROP TRIGGER {}.{}",
                d.quote_ident(schema),
                d.quote_ident(&o.name)
            );
            let own = relations.get(&on.to_ascii_lowercase());
            t.table = Some(own.map_or(on, |(_, n)| n).to_string());
            let mut seen = HashSet::new();
            for name in own
                .into_iter()
                .map(|(_, n)| Cow::Borrowed(*n))
                .chain(ddl::mentioned_names(sql))
            {
                if let Some((kind, n)) = relations.get(&name.to_ascii_lowercase()) {
                    if seen.insert(*n) {
                        t.depends_on.push(reference(*kind, n));
                    }
                }
            }
            Some(t)
        })
        .collect()
}

/// The virtual tables of one schema (the shadow tables behind a virtual
/// table are its own, and not listed).
fn unmodeled(schema: &str, objects: &[RawObject<'_>], special: &[Text<'_>]) -> Vec<CatalogObject> {
    let listed = CatalogKind::not_compared(Dialect::Sqlite);
    let special: HashSet<&str> = special.iter().map(|t| &**t).collect();
    objects
        .iter()
        .filter_map(|obj| {
            let is_virtual = || {
                special.contains(&*obj.name)
                    && obj.sql.as_deref().is_some_and(|sql| {
                        sql.trim_start()
                            .get(..20)
                            .is_some_and(|head| head.eq_ignore_ascii_case("CREATE VIRTUAL TABLE"))
                    })
            };
            let kind = match &*obj.kind {
                "table" if is_virtual() => CatalogKind::VirtualTable,
                _ => return None,
            };
            listed
                .contains(&kind)
                .then(|| CatalogObject::new(kind, Some(schema), obj.name.to_string()))
        })
        .collect()
}

/// What the tables of one schema look up about each other.
struct SchemaCatalog<'r, 'a> {
    schema: &'r str,
    /// Lower-case name → table (SQLite matches table names
    /// case-insensitively).
    tables: HashMap<String, &'r RawObject<'a>>,
    /// Index name → its CREATE INDEX statement.
    index_sql: HashMap<&'r str, &'r str>,
}

impl SchemaCatalog<'_, '_> {
    /// The name as created and the primary key columns (if read) of the
    /// table `name` refers to.
    fn referenced(&self, name: &str) -> Option<(&str, Option<Vec<String>>)> {
        let table = self.tables.get(&name.to_ascii_lowercase())?;
        Some((&table.name, table.columns.as_deref().map(pk_columns)))
    }
}

fn read_schema(
    schema: &str,
    objects: &[RawObject<'_>],
    special: &[Text<'_>],
    options: &IntrospectOptions,
    out: &mut driftless_model::Schema,
) -> Result<()> {
    let virtual_or_shadow: HashSet<&str> = special.iter().map(|t| &**t).collect();
    let mut cat = SchemaCatalog {
        schema,
        tables: HashMap::new(),
        index_sql: HashMap::new(),
    };
    for obj in objects {
        match &*obj.kind {
            "table" => {
                cat.tables.insert(obj.name.to_ascii_lowercase(), obj);
            }
            "index" => {
                if let Some(sql) = &obj.sql {
                    cat.index_sql.insert(&obj.name, sql);
                }
            }
            _ => {}
        }
    }
    let mut tokens = Vec::new();
    for obj in objects {
        let name = &*obj.name;
        if !options.wants_table(name) {
            continue;
        }
        match &*obj.kind {
            "table" => {
                if virtual_or_shadow.contains(name) {
                    continue;
                }
                let Some(columns) = &obj.columns else {
                    // No columns: a virtual table the pragmas were not run on.
                    continue;
                };
                let ctx = TableContext {
                    name,
                    catalog: &cat,
                };
                let table = build_table(&ctx, obj, columns, &mut tokens)?;
                out.tables.insert(name.to_string(), table);
            }
            "view" => {
                let sql = obj.sql.as_deref().unwrap_or_default();
                let definition = ddl::view_definition(sql).unwrap_or_else(|| ddl::normalise(sql));
                out.views.insert(
                    name.to_string(),
                    View {
                        indexes: Default::default(),
                        options: Default::default(),
                        definition,
                        materialized: false,
                        comment: None,
                    },
                );
            }
            _ => {}
        }
    }
    Ok(())
}

struct TableContext<'c, 'r, 'a> {
    name: &'c str,
    catalog: &'c SchemaCatalog<'r, 'a>,
}

impl TableContext<'_, '_, '_> {
    fn error(&self, message: impl Into<String>) -> Error {
        Error::Catalog {
            object: format!("table {}.{}", self.catalog.schema, self.name),
            message: message.into(),
        }
    }
}

fn pk_columns(cols: &[RawColumn<'_>]) -> Vec<String> {
    let mut pk: Vec<(i64, &str)> = cols
        .iter()
        .filter(|c| c.pk() > 0)
        .map(|c| (c.pk(), &*c.name))
        .collect();
    pk.sort_unstable();
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
    if !taken.contains(&base) {
        taken.insert(base.clone());
        return base;
    }
    let mut n = 2;
    loop {
        let name = format!("{base}_{n}");
        if !taken.contains(&name) {
            taken.insert(name.clone());
            return name;
        }
        n += 1;
    }
}

fn same_columns<A: AsRef<str>, B: AsRef<str>>(a: &[A], b: &[B]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.as_ref().eq_ignore_ascii_case(y.as_ref()))
}

/// Assigns names in two passes (declared names first, then synthesised
/// ones), each in declaration order. `items` are (declared name, synthesised base).
fn assign_names(items: Vec<Naming>) -> Vec<String> {
    if items.is_empty() {
        return Vec::new();
    }
    let mut taken = BTreeSet::new();
    let mut slots: Vec<(Option<String>, String)> = items
        .into_iter()
        .map(|(declared, base)| (declared.map(|d| unique_name(d, &mut taken)), base))
        .collect();
    for (slot, base) in &mut slots {
        if slot.is_none() {
            *slot = Some(unique_name(std::mem::take(base), &mut taken));
        }
    }
    slots
        .into_iter()
        .map(|(slot, _)| slot.unwrap_or_default())
        .collect()
}

/// `<prefix>_<table>_<col>[_<col>…]`.
fn synthesised_name<S: AsRef<str>>(prefix: &str, table: &str, columns: &[S]) -> String {
    let len = prefix.len()
        + table.len()
        + columns.iter().map(|c| c.as_ref().len() + 1).sum::<usize>()
        + 1;
    let mut name = String::with_capacity(len);
    name.push_str(prefix);
    name.push('_');
    name.push_str(table);
    for c in columns {
        name.push('_');
        name.push_str(c.as_ref());
    }
    name
}

/// The column definition of `ddl` for the pragma column at `cid` named
/// `name`: the definition at the same position when its name matches
/// (columns are declared in cid order), otherwise found by name.
fn column_def<'d, 'a>(
    ddl: &'d CreateTable<'a>,
    cid: i64,
    name: &str,
) -> Option<&'d ddl::ColumnDef<'a>> {
    usize::try_from(cid)
        .ok()
        .and_then(|i| ddl.columns.get(i))
        .filter(|d| d.name.eq_ignore_ascii_case(name))
        .or_else(|| ddl.column(name))
}

fn build_table<'r>(
    ctx: &TableContext<'_, '_, '_>,
    obj: &'r RawObject<'_>,
    raw_columns: &[RawColumn<'_>],
    tokens: &mut Vec<ddl::Token<'r>>,
) -> Result<Table> {
    let sql = obj
        .sql
        .as_deref()
        .ok_or_else(|| ctx.error("sqlite_schema has no CREATE TABLE statement"))?;
    let ddl = ddl::parse_create_table(sql, tokens)
        .ok_or_else(|| ctx.error("cannot read the column list of its CREATE TABLE statement"))?;
    let mut table = Table::default();
    let column_names: Vec<&str> = {
        let mut cols: Vec<&RawColumn<'_>> = raw_columns.iter().collect();
        cols.sort_by_key(|c| c.cid);
        cols.into_iter().map(|c| &*c.name).collect()
    };

    let table_pk = declared_table_pk(&ddl);
    table.primary_key = primary_key(ctx, &ddl, raw_columns, table_pk);
    for (option, set) in [("without_rowid", ddl.without_rowid), ("strict", ddl.strict)] {
        if set {
            table.options.insert(option.to_string(), "true".to_string());
        }
    }
    for raw in raw_columns {
        if raw.hidden() == 1 {
            continue;
        }
        let col = column(ctx, &ddl, raw, table_pk)?;
        table.columns.insert(raw.name.to_string(), col);
    }

    let mut indexes: Vec<&RawIndex<'_>> = raw_indexes(obj);
    indexes.sort_by_key(|i| std::cmp::Reverse(i.seq));
    add_uniques(ctx, &ddl, &indexes, &mut table);
    // Plain indexes (origin 'c').
    for index in indexes.iter().filter(|i| i.origin() == "c") {
        let built = plain_index(ctx, &ddl, index)?;
        table.indexes.insert(index.name.to_string(), built);
    }
    add_foreign_keys(ctx, &ddl, obj, &column_names, &mut table);
    add_checks(ctx, ddl, &column_names, &mut table);
    Ok(table)
}

/// The table's `PRIMARY KEY (…)` constraint: name, columns, AUTOINCREMENT.
type DeclaredPk<'d, 'a> = (Option<&'d str>, &'d [Cow<'a, str>], bool);

fn declared_table_pk<'d, 'a>(ddl: &'d CreateTable<'a>) -> Option<DeclaredPk<'d, 'a>> {
    ddl.constraints.iter().find_map(|c| match c {
        TableConstraint::PrimaryKey {
            name,
            columns,
            autoincrement,
        } => Some((name.as_deref(), columns.as_slice(), *autoincrement)),
        _ => None,
    })
}

/// The spelling of column `name` in the table (names match ignoring case).
fn canonical_column(column_names: &[&str], name: &str) -> String {
    column_names
        .iter()
        .find(|c| c.eq_ignore_ascii_case(name))
        .copied()
        .unwrap_or(name)
        .to_string()
}

/// The primary key.
fn primary_key(
    ctx: &TableContext<'_, '_, '_>,
    ddl: &CreateTable<'_>,
    raw_columns: &[RawColumn<'_>],
    table_pk: Option<DeclaredPk<'_, '_>>,
) -> Option<PrimaryKey> {
    let pk_cols = pk_columns(raw_columns);
    if pk_cols.is_empty() {
        return None;
    }
    let column_pk = ddl.columns.iter().find_map(|c| c.primary_key.as_ref());
    let declared = table_pk
        .and_then(|(n, _, _)| n)
        .or_else(|| column_pk.and_then(|(n, _)| n.as_deref()));
    Some(PrimaryKey {
        deferrable: false,
        initially_deferred: false,
        name: declared.map_or_else(|| format!("pk_{}", ctx.name), str::to_string),
        columns: pk_cols,
        comment: None,
    })
}

/// The column of pragma row `raw` (not a hidden one).
fn column(
    ctx: &TableContext<'_, '_, '_>,
    ddl: &CreateTable<'_>,
    raw: &RawColumn<'_>,
    table_pk: Option<DeclaredPk<'_, '_>>,
) -> Result<Column> {
    let hidden = raw.hidden();
    let position = u32::try_from(raw.cid + 1)
        .map_err(|_| ctx.error(format!("column id {} out of range", raw.cid)))?;
    let def = column_def(ddl, raw.cid, &raw.name);
    let mut col = Column::new(position, raw.decl_type());
    col.nullable = raw.notnull.unwrap_or(0) == 0;
    col.default = raw.default.as_deref().map(str::to_string);
    col.collation = def
        .and_then(|d| d.collation.as_deref())
        .filter(|c| !is_binary(c))
        .map(canonical_collation);
    if matches!(hidden, 2 | 3) {
        let (expression, _) = def.and_then(|d| d.generated.as_ref()).ok_or_else(|| {
            ctx.error(format!(
                "cannot find the expression of generated column {}",
                &*raw.name
            ))
        })?;
        col.generated = Some(Generated {
            expression: expression.clone(),
            stored: hidden == 3,
        });
    }
    let autoincrement = def.is_some_and(|d| d.autoincrement)
        || table_pk.is_some_and(|(_, cols, auto)| {
            auto && cols.len() == 1 && cols[0].eq_ignore_ascii_case(&raw.name)
        });
    if autoincrement {
        col.identity = Some(Identity::AutoIncrement);
    }
    Ok(col)
}

/// UNIQUE constraints: indexes of origin 'u', named after the declaration
/// with the same columns.
fn add_uniques(
    ctx: &TableContext<'_, '_, '_>,
    ddl: &CreateTable<'_>,
    indexes: &[&RawIndex<'_>],
    table: &mut Table,
) {
    let declared_uniques: Vec<(Option<&str>, &[Cow<'_, str>])> = ddl
        .columns
        .iter()
        .flat_map(|c| {
            c.uniques
                .iter()
                .map(move |n| (n.as_deref(), std::slice::from_ref(&c.name)))
        })
        .chain(ddl.constraints.iter().filter_map(|c| match c {
            TableConstraint::Unique { name, columns } => {
                Some((name.as_deref(), columns.as_slice()))
            }
            _ => None,
        }))
        .collect();
    let mut unique_indexes: Vec<Vec<String>> = indexes
        .iter()
        .filter(|i| i.origin() == "u")
        .map(|i| {
            i.parts()
                .iter()
                .map(|p| p.name.as_deref().unwrap_or("rowid").to_string())
                .collect()
        })
        .collect();
    let mut uniques: Vec<(Naming, Vec<String>)> = Vec::new();
    for (declared, cols) in declared_uniques {
        if let Some(pos) = unique_indexes.iter().position(|u| same_columns(u, cols)) {
            let columns = unique_indexes.remove(pos);
            let base = synthesised_name("uq", ctx.name, &columns);
            uniques.push(((declared.map(str::to_string), base), columns));
        }
    }
    for columns in unique_indexes {
        let base = synthesised_name("uq", ctx.name, &columns);
        uniques.push(((None, base), columns));
    }
    let (namings, columns): (Vec<Naming>, Vec<Vec<String>>) = uniques.into_iter().unzip();
    for (name, columns) in assign_names(namings).into_iter().zip(columns) {
        table.uniques.insert(
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
}

/// A plain index (origin 'c'). Its statement is read only for what the
/// pragmas do not tell: key expressions and the WHERE clause.
fn plain_index(
    ctx: &TableContext<'_, '_, '_>,
    ddl: &CreateTable<'_>,
    index: &RawIndex<'_>,
) -> Result<Index> {
    let raw_parts = index.parts();
    let partial = index.partial.unwrap_or(0) != 0;
    let parsed = if partial || raw_parts.iter().any(|p| p.cid == -2) {
        ctx.catalog
            .index_sql
            .get(&*index.name)
            .and_then(|sql| ddl::parse_create_index(sql))
    } else {
        None
    };
    let mut parts = Vec::with_capacity(raw_parts.len());
    for (n, raw) in raw_parts.into_iter().enumerate() {
        let column_collation = |name: &str| -> String {
            ddl.column(name)
                .and_then(|d| d.collation.as_deref())
                .unwrap_or("BINARY")
                .to_string()
        };
        let (key, default_collation) = match (raw.cid, raw.name.as_deref()) {
            (-2, _) => {
                let item = parsed
                    .as_ref()
                    .and_then(|p| p.items.get(n))
                    .ok_or_else(|| {
                        ctx.error(format!(
                            "cannot read the key expressions of index {}",
                            &*index.name
                        ))
                    })?;
                (
                    IndexKey::Expression(item.expression.clone()),
                    "BINARY".to_string(),
                )
            }
            (-1, _) => (IndexKey::Column("rowid".into()), "BINARY".to_string()),
            (_, Some(name)) => (IndexKey::Column(name.to_string()), column_collation(name)),
            (cid, None) => {
                return Err(ctx.error(format!(
                    "index {} has a key with no name (cid {cid})",
                    &*index.name
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
            descending: raw.descending.unwrap_or(0) != 0,
            nulls_first: None,
            opclass: None,
            collation,
            length: None,
        });
    }
    let predicate = if partial {
        Some(
            parsed
                .as_ref()
                .and_then(|p| p.predicate.clone())
                .ok_or_else(|| {
                    ctx.error(format!(
                        "cannot read the WHERE clause of partial index {}",
                        &*index.name
                    ))
                })?,
        )
    } else {
        None
    };
    Ok(Index {
        parts,
        unique: index.unique.unwrap_or(0) != 0,
        method: None,
        predicate,
        include: Vec::new(),
        comment: None,
        ignored: false,
        storage: Vec::new(),
        nulls_not_distinct: false,
    })
}

/// Foreign keys: pragma rows give columns and actions; the declaration
/// with the same columns and referenced table gives name and DEFERRABLE.
fn add_foreign_keys(
    ctx: &TableContext<'_, '_, '_>,
    ddl: &CreateTable<'_>,
    obj: &RawObject<'_>,
    column_names: &[&str],
    table: &mut Table,
) {
    let mut raw_fks: Vec<(Vec<&str>, RawForeignKey<'_, '_>)> = raw_foreign_keys(obj)
        .into_iter()
        .rev()
        .map(|fk| (fk.rows.iter().map(|r| &*r.from).collect(), fk))
        .collect();
    let declared_fks = ddl.columns.iter().flat_map(|c| c.references.iter()).chain(
        ddl.constraints.iter().filter_map(|c| match c {
            TableConstraint::ForeignKey(r) => Some(r),
            _ => None,
        }),
    );
    let mut namings = Vec::with_capacity(raw_fks.len());
    let mut rest: Vec<(Option<&References>, Vec<&str>, RawForeignKey<'_, '_>)> =
        Vec::with_capacity(raw_fks.len());
    for declared in declared_fks {
        if let Some(pos) = raw_fks.iter().position(|(cols, raw)| {
            same_columns(cols, &declared.columns)
                && raw.table().eq_ignore_ascii_case(&declared.table)
        }) {
            let (cols, raw) = raw_fks.remove(pos);
            let base = synthesised_name("fk", ctx.name, &cols);
            let declared_name = declared.name.as_deref().map(str::to_string);
            namings.push((declared_name, base));
            rest.push((Some(declared), cols, raw));
        }
    }
    for (cols, raw) in raw_fks {
        let base = synthesised_name("fk", ctx.name, &cols);
        namings.push((None, base));
        rest.push((None, cols, raw));
    }
    for (name, (declared, columns, raw)) in assign_names(namings).into_iter().zip(rest) {
        let referenced = ctx.catalog.referenced(raw.table());
        let ref_table = referenced
            .as_ref()
            .map_or(raw.table(), |(name, _)| name)
            .to_string();
        let ref_columns: Vec<String> = if raw.rows.iter().all(|r| r.to.is_some()) {
            raw.rows
                .iter()
                .filter_map(|r| r.to.as_deref().map(str::to_string))
                .collect()
        } else if let Some((_, Some(pk))) = referenced {
            pk
        } else {
            declared
                .map(|d| d.ref_columns.iter().map(|c| c.to_string()).collect())
                .unwrap_or_default()
        };
        table.foreign_keys.insert(
            name,
            ForeignKey {
                columns: columns
                    .iter()
                    .map(|c| canonical_column(column_names, c))
                    .collect(),
                ref_schema: ctx.catalog.schema.to_string(),
                ref_table,
                ref_columns,
                on_delete: raw.on_delete(),
                on_update: raw.on_update(),
                deferrable: declared.is_some_and(|d| d.deferrable),
                initially_deferred: declared.is_some_and(|d| d.initially_deferred),
                comment: None,
                match_full: false,
            },
        );
    }
}

/// CHECK constraints, from the declaration only (moved out of it).
fn add_checks(
    ctx: &TableContext<'_, '_, '_>,
    ddl: CreateTable<'_>,
    column_names: &[&str],
    table: &mut Table,
) {
    let CreateTable {
        columns: column_defs,
        constraints,
        ..
    } = ddl;
    let mut namings: Vec<Naming> = Vec::new();
    let mut expressions: Vec<String> = Vec::new();
    for c in column_defs {
        if c.checks.is_empty() {
            continue;
        }
        let col = canonical_column(column_names, &c.name);
        for k in c.checks {
            let base = synthesised_name("ck", ctx.name, &[&col]);
            namings.push((k.name.map(Cow::into_owned), base));
            expressions.push(k.expression);
        }
    }
    for c in constraints {
        if let TableConstraint::Check(k) = c {
            let base = match ddl::first_column_referenced(&k.expression, column_names) {
                Some(col) => synthesised_name("ck", ctx.name, &[col]),
                None => format!("ck_{}", ctx.name),
            };
            namings.push((k.name.map(Cow::into_owned), base));
            expressions.push(k.expression);
        }
    }
    for (name, expression) in assign_names(namings).into_iter().zip(expressions) {
        table.checks.insert(
            name,
            Check {
                expression,
                comment: None,
                no_inherit: false,
            },
        );
    }
}

/// The indexes pragma_index_list reported for `obj`.
fn raw_indexes<'r, 'a>(obj: &'r RawObject<'a>) -> Vec<&'r RawIndex<'a>> {
    obj.indexes.iter().flatten().collect()
}

/// The foreign keys of `obj` in id order, each with its rows in column order.
fn raw_foreign_keys<'r, 'a>(obj: &'r RawObject<'a>) -> Vec<RawForeignKey<'r, 'a>> {
    let mut by_id: BTreeMap<i64, Vec<&'r RawForeignKeyColumn<'a>>> = BTreeMap::new();
    for row in obj.foreign_keys.iter().flatten() {
        by_id.entry(row.id).or_default().push(row);
    }
    by_id
        .into_values()
        .map(|mut rows| {
            rows.sort_by_key(|r| r.seq);
            RawForeignKey { rows }
        })
        .collect()
}
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::type_complexity)]
mod tests {
    use serde_json::{json, Value as Json};

    use super::*;

    fn t(s: &str) -> Value {
        Value::Text(s.into())
    }

    /// One catalog row of schema `main`.
    fn row(objects: Json, special: Json) -> Row {
        vec![t("main"), t(&objects.to_string()), t(&special.to_string())]
    }

    fn read(rows: &[Row]) -> Result<Snapshot> {
        snapshot(rows, &["main".to_string()], &IntrospectOptions::default())
    }

    #[test]
    fn builds_tables_with_synthesised_names() {
        let parent = "CREATE TABLE \"Parent\" (id INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT NOT NULL COLLATE nocase UNIQUE, \
                      g INT AS (id * 2) STORED, CHECK (code <> ''), CONSTRAINT named CHECK (id > 0), CHECK (length(code) > 1))";
        let child = "CREATE TABLE child (a INT, b INT REFERENCES parent ON DELETE CASCADE, \
                     PRIMARY KEY (a, b), FOREIGN KEY (a) REFERENCES child (b) DEFERRABLE INITIALLY DEFERRED, UNIQUE (b, a)) WITHOUT ROWID";
        let objects = json!([
            [
                "Parent",
                "table",
                parent,
                [
                    [0, "id", "INTEGER", 0, null, 1, 0],
                    [1, "code", "TEXT", 1, "'x'", 0, 0],
                    [2, "g", "INT", 0, null, 0, 3]
                ],
                [[
                    0,
                    "sqlite_autoindex_Parent_1",
                    1,
                    "u",
                    0,
                    [[0, 1, "code", 0, "NOCASE"]]
                ]],
                []
            ],
            [
                "child",
                "table",
                child,
                [
                    [0, "a", "INT", 1, null, 1, 0],
                    [1, "b", "INT", 1, null, 2, 0]
                ],
                [
                    [
                        0,
                        "ix",
                        0,
                        "c",
                        1,
                        [[0, -2, null, 1, "BINARY"], [1, 1, "b", 0, "NOCASE"]]
                    ],
                    [
                        1,
                        "sqlite_autoindex_child_2",
                        1,
                        "u",
                        0,
                        [[0, 1, "b", 0, "BINARY"], [1, 0, "a", 0, "BINARY"]]
                    ],
                    [2, "sqlite_autoindex_child_1", 1, "pk", 0, null]
                ],
                [
                    [0, 0, "child", "a", "b", "NO ACTION", "NO ACTION"],
                    [1, 0, "parent", "b", null, "NO ACTION", "CASCADE"]
                ]
            ],
            [
                "ix",
                "index",
                "CREATE INDEX ix ON child (lower(a) DESC, b COLLATE NOCASE) WHERE a > 0",
                null,
                null,
                null
            ],
            [
                "v",
                "view",
                "CREATE VIEW v AS SELECT * FROM child",
                null,
                null,
                null,
                "v"
            ],
            [
                "touch",
                "trigger",
                "CREATE TRIGGER touch INSTEAD OF INSERT ON V BEGIN INSERT INTO \"PARENT\" (code) VALUES (new.b); END",
                null,
                null,
                null,
                "V"
            ],
            [
                "django_migrations",
                "table",
                "CREATE TABLE django_migrations (id INTEGER)",
                [[0, "id", "INTEGER", 0, null, 0, 0]],
                [],
                []
            ],
            [
                "ft",
                "table",
                "CREATE VIRTUAL TABLE ft USING fts5(x)",
                null,
                null,
                null
            ],
            [
                "ft_data",
                "table",
                "CREATE TABLE 'ft_data'(id INTEGER PRIMARY KEY, block BLOB)",
                [[0, "id", "INTEGER", 0, null, 1, 0]],
                [],
                []
            ]
        ]);
        let rows = vec![row(objects, json!(["ft", "ft_data"]))];
        let snap = read(&rows).unwrap();
        let main = &snap.schemas["main"];
        assert_eq!(
            main.tables.keys().collect::<Vec<_>>(),
            vec!["Parent", "child"]
        );
        let p = &main.tables["Parent"];
        assert_eq!(p.primary_key.as_ref().unwrap().name, "pk_Parent");
        let id = &p.columns["id"];
        assert!(id.nullable, "a rowid alias not declared NOT NULL");
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
        assert!(p.options.is_empty());
        assert_eq!(
            c.options,
            BTreeMap::from([("without_rowid".to_string(), "true".to_string())])
        );
        let [touch] = snap.objects.as_slice() else {
            panic!("one trigger: {:?}", snap.objects)
        };
        assert_eq!(touch.kind, CatalogKind::Trigger);
        assert_eq!(touch.label(), "trigger touch on main.v");
        assert_eq!(touch.drop, "DROP TRIGGER \"main\".\"touch\"");
        assert!(touch
            .definition
            .starts_with("CREATE TRIGGER touch INSTEAD OF"));
        assert_eq!(
            touch.depends_on,
            vec![
                ObjectRef::schema_object(ObjectKind::View, "main", Some("v")),
                ObjectRef::table("main", "Parent"),
            ]
        );
        assert!(snap
            .unmodeled
            .iter()
            .all(|o| o.kind != CatalogKind::Trigger));
    }

    #[test]
    fn strings_with_escapes_and_multi_column_keys_are_read() {
        // Names with quotes, backslashes and newlines arrive escaped in
        // the JSON; foreign-key rows arrive in any order.
        let sql = "CREATE TABLE \"we\"\"ird\\\" (\"a\"\"b\" INT, \"new\nline\" TEXT, c INT, \
                   CONSTRAINT fk2 FOREIGN KEY (c, \"a\"\"b\") REFERENCES other (x, y) ON UPDATE SET NULL)";
        let objects = json!([[
            "we\"ird\\",
            "table",
            sql,
            [
                [0, "a\"b", "INT", 0, null, 0, 0],
                [1, "new\nline", "TEXT", 0, "'é\t'", 0, 0],
                [2, "c", "INT", 0, null, 0, 0]
            ],
            [],
            [
                [0, 1, "other", "a\"b", "y", "SET NULL", "NO ACTION"],
                [0, 0, "other", "c", "x", "SET NULL", "NO ACTION"]
            ]
        ]]);
        let snap = read(&[row(objects, json!([]))]).unwrap();
        let table = &snap.schemas["main"].tables["we\"ird\\"];
        assert_eq!(table.column_order(), vec!["a\"b", "new\nline", "c"]);
        assert_eq!(table.columns["new\nline"].default.as_deref(), Some("'é\t'"));
        let fk = &table.foreign_keys["fk2"];
        assert_eq!(fk.columns, vec!["c", "a\"b"]);
        assert_eq!(fk.ref_table, "other");
        assert_eq!(fk.ref_columns, vec!["x", "y"]);
        assert_eq!(fk.on_update, FkAction::SetNull);
    }

    #[test]
    fn rejects_malformed_rows() {
        for rows in [
            vec![vec![t("main")]],
            vec![vec![t("main"), t("{"), t("[]")]],
            vec![vec![t("main"), t("[[\"t\", \"table\"]]"), t("[]")]],
            vec![vec![t("main"), Value::Int(1), t("[]")]],
            vec![vec![t("main"), t("[]"), t("[1]")]],
        ] {
            assert!(read(&rows).is_err(), "{rows:?}");
        }
        assert!(read(&[row(json!([]), json!([]))]).is_ok());
    }

    #[test]
    fn names_are_unique_in_declaration_order() {
        let names = assign_names(vec![
            (None, "ck_t_a".into()),
            (Some("ck_t_a".into()), "ck_t_b".into()),
            (None, "ck_t_a".into()),
        ]);
        assert_eq!(names, vec!["ck_t_a_2", "ck_t_a", "ck_t_a_3"]);
    }
}
