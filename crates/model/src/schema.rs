//! The schema model: plain data, serde-serialisable, deterministic.
//!
//! Every map is a [`BTreeMap`] so that iteration order, JSON output and
//! findings are stable; a snapshot file diffs cleanly in git.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::CatalogObject;
use crate::defined::DefinedObject;
pub use crate::dialect::Dialect;

/// Version of the snapshot JSON format written by this crate.
///
/// Readers refuse documents with a newer major format than they know.
pub const FORMAT_VERSION: u32 = 1;

/// A complete description of a database schema at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// Format version of the document ([`FORMAT_VERSION`] when written).
    pub format_version: u32,
    /// The database kind the snapshot describes.
    pub dialect: Dialect,
    /// Schemas by name. MySQL calls them databases; SQLite has `main`.
    #[serde(default)]
    pub schemas: BTreeMap<String, Schema>,
    /// Catalog objects the model does not compare ([`CatalogKind`](crate::CatalogKind)),
    /// sorted; listed so that reports can say what was not compared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmodeled: Vec<CatalogObject>,
    /// Objects compared by the statement that makes them (functions,
    /// triggers, policies, …; [`CatalogKind::compared`](crate::CatalogKind::compared)),
    /// sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<DefinedObject>,
    /// The roles of the server, sorted, when privileges were read
    /// (PostgreSQL): a grant to a role the server lacks cannot be made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// The live size of each table, when the schema was read from a
    /// database that gives them (see `Database::table_sizes` in
    /// driftless-introspect): what the fixer judges a step's hazard and
    /// its online strategy by. Never written to a snapshot file, never
    /// compared.
    #[serde(skip)]
    pub sizes: crate::sizes::LiveSizes,
}

impl Snapshot {
    /// An empty snapshot for `dialect`.
    pub fn new(dialect: Dialect) -> Self {
        Snapshot {
            format_version: FORMAT_VERSION,
            dialect,
            schemas: BTreeMap::new(),
            unmodeled: Vec::new(),
            objects: Vec::new(),
            roles: Vec::new(),
            sizes: crate::sizes::LiveSizes::default(),
        }
    }

    /// Leaves out the objects of the opt-in kinds `opt_in` does not ask
    /// for (and the role names without privileges, the `VERSION` clause of
    /// extensions without versions): a snapshot file written with them,
    /// compared without them.
    pub fn keep_opted_in(&mut self, opt_in: crate::OptIn) {
        self.objects.retain(|o| opt_in.compares(o.kind));
        if !opt_in.privileges {
            self.roles.clear();
        }
        if !opt_in.extension_versions {
            self.objects
                .iter_mut()
                .filter(|o| o.kind == crate::CatalogKind::Extension)
                .for_each(crate::DefinedObject::forget_version);
        }
    }

    /// Looks up a table by schema and name.
    pub fn table(&self, schema: &str, table: &str) -> Option<&Table> {
        self.schemas.get(schema)?.tables.get(table)
    }

    /// Those of `names` that the snapshot has no schema of, in the order
    /// given (a read scoped to schemas that do not exist gives an empty
    /// snapshot, which is rarely what was meant).
    pub fn missing_schemas<'a>(&self, names: &'a [String]) -> Vec<&'a str> {
        names
            .iter()
            .filter(|n| !self.schemas.contains_key(n.as_str()))
            .map(String::as_str)
            .collect()
    }

    /// Iterates over every table with its schema name, in sorted order.
    pub fn tables(&self) -> impl Iterator<Item = (&str, &str, &Table)> {
        self.schemas.iter().flat_map(|(s, schema)| {
            schema
                .tables
                .iter()
                .map(move |(t, table)| (s.as_str(), t.as_str(), table))
        })
    }

    /// Renames schema `from` to `to`, including every foreign key that
    /// references a table in it (e.g. a MySQL database replayed under a
    /// scratch name, read back under the target's name). Returns whether
    /// `from` existed.
    pub fn rename_schema(&mut self, from: &str, to: &str) -> bool {
        let Some(schema) = self.schemas.remove(from) else {
            return false;
        };
        self.schemas.insert(to.to_string(), schema);
        for o in &mut self.unmodeled {
            if o.schema.as_deref() == Some(from) {
                o.schema = Some(to.to_string());
            }
        }
        for o in &mut self.objects {
            o.rename_schema(from, to);
        }
        for schema in self.schemas.values_mut() {
            for table in schema.tables.values_mut() {
                for fk in table.foreign_keys.values_mut() {
                    if fk.ref_schema == from {
                        fk.ref_schema = to.to_string();
                    }
                }
            }
        }
        true
    }

    /// Counts of each object kind, for summaries and benchmarks.
    pub fn counts(&self) -> ObjectCounts {
        let mut c = ObjectCounts {
            defined: self.objects.len(),
            ..ObjectCounts::default()
        };
        for schema in self.schemas.values() {
            c.schemas += 1;
            c.tables += schema.tables.len();
            c.views += schema.views.len();
            c.enums += schema.enums.len();
            c.sequences += schema.sequences.len();
            for t in schema.tables.values() {
                c.columns += t.columns.len();
                c.indexes += t.indexes.len();
                c.foreign_keys += t.foreign_keys.len();
                c.checks += t.checks.len();
                c.uniques += t.uniques.len();
                c.primary_keys += usize::from(t.primary_key.is_some());
            }
        }
        c
    }
}

/// How many objects of each kind a snapshot holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ObjectCounts {
    pub schemas: usize,
    pub tables: usize,
    pub columns: usize,
    pub primary_keys: usize,
    pub uniques: usize,
    pub indexes: usize,
    pub foreign_keys: usize,
    pub checks: usize,
    pub views: usize,
    pub enums: usize,
    pub sequences: usize,
    /// Objects compared by their definition (functions, triggers, …).
    #[serde(default)]
    pub defined: usize,
}

/// One schema (namespace) and the objects in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    /// Base tables by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tables: BTreeMap<String, Table>,
    /// Views (plain and materialized) by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub views: BTreeMap<String, View>,
    /// Enumerated types by name (PostgreSQL; MySQL enums are column types).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub enums: BTreeMap<String, Enum>,
    /// Free-standing sequences by name (not those backing identity columns).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sequences: BTreeMap<String, Sequence>,
    /// Comment on the schema, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A base table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// Columns by name; [`Column::position`] keeps the declared order.
    pub columns: BTreeMap<String, Column>,
    /// The primary key, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_key: Option<PrimaryKey>,
    /// UNIQUE constraints by name (not plain unique indexes).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub uniques: BTreeMap<String, UniqueConstraint>,
    /// Indexes that do not back a primary key or unique constraint, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub indexes: BTreeMap<String, Index>,
    /// Foreign keys by constraint name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub foreign_keys: BTreeMap<String, ForeignKey>,
    /// CHECK constraints by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub checks: BTreeMap<String, Check>,
    /// Exclusion constraints by name (PostgreSQL).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub exclusions: BTreeMap<String, Exclusion>,
    /// Comment on the table, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Table options the server keeps, by lower-case name, as it reports
    /// them: `engine`, `charset`, `collation`, `row_format`,
    /// `partition_by` on MySQL; `without_rowid`, `strict` on SQLite; on
    /// PostgreSQL the table's place in a partitioning or inheritance
    /// hierarchy: [`PARTITION_BY`], [`PARTITION_OF`], [`PARTITION_BOUND`],
    /// [`INHERITS`], its [`PERSISTENCE`] when it is unlogged, and its
    /// [`STORAGE`] parameters.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

/// `text` split at each `sep` outside double quotes.
fn split_unquoted(text: &str, sep: char) -> Vec<String> {
    let (mut out, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    for c in text.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if c == sep && !quoted {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out
}

/// An SQL identifier as its name: `"a""b"` is `a"b`; `abc` is `abc`.
fn unquote(ident: &str) -> String {
    match ident.strip_prefix('"').and_then(|i| i.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => ident.to_string(),
    }
}

/// Table option (PostgreSQL): the partition key of a partitioned table, as
/// `pg_get_partkeydef` prints it (`RANGE (logdate)`).
pub const PARTITION_BY: &str = "partition_by";

/// Table option (PostgreSQL): the partitioned table a partition belongs to,
/// as an SQL name relative to the partition's schema (`measurement`, or
/// `other.measurement` when the parent is in another schema), so that two
/// schemas of different names compare equal.
pub const PARTITION_OF: &str = "partition_of";

/// Table option (PostgreSQL): a partition's bound, as `pg_get_expr` prints
/// it (`FOR VALUES FROM ('2006-02-01') TO ('2006-03-01')`, `DEFAULT`).
pub const PARTITION_BOUND: &str = "partition_bound";

/// Table option (PostgreSQL): the tables an inheritance child inherits
/// from, in order, as SQL names relative to its schema joined by `, `.
pub const INHERITS: &str = "inherits";

/// Table option (PostgreSQL): the table's storage parameters
/// (`reloptions`: `fillfactor`, `autovacuum_*`, …), each `name=value`,
/// sorted and joined by `, `; absent when it has none.
pub const STORAGE: &str = "storage";

/// Table option (PostgreSQL): `unlogged` for an `UNLOGGED` table
/// (`relpersistence` `u`); absent for an ordinary, logged table.
pub const PERSISTENCE: &str = "persistence";

/// The value of [`PERSISTENCE`] for an `UNLOGGED` table.
pub const UNLOGGED: &str = "unlogged";

impl Table {
    /// The parents of this table (PostgreSQL): the partitioned table it is
    /// a partition of and the tables it inherits from, as the options
    /// spell them; equal on two tables that sit at the same place.
    pub fn parents(&self) -> (Option<&str>, Option<&str>) {
        (
            self.options.get(PARTITION_OF).map(String::as_str),
            self.options.get(INHERITS).map(String::as_str),
        )
    }

    /// Whether the table has a parent (a partition or an inheritance child).
    pub fn has_parent(&self) -> bool {
        self.parents() != (None, None)
    }

    /// The parent tables (PostgreSQL) as `(schema, name)`, the names of
    /// the options resolved against the table's own `schema`.
    pub fn parent_tables(&self, schema: &str) -> Vec<(String, String)> {
        let (of, inherits) = self.parents();
        of.into_iter()
            .chain(inherits)
            .flat_map(|names| split_unquoted(names, ','))
            .filter_map(|name| {
                let parts: Vec<String> = split_unquoted(name.trim(), '.')
                    .iter()
                    .map(|p| unquote(p.trim()))
                    .collect();
                match parts.as_slice() {
                    [t] => Some((schema.to_string(), t.clone())),
                    [s, t] => Some((s.clone(), t.clone())),
                    _ => None,
                }
            })
            .collect()
    }

    /// Column names in declared order.
    pub fn column_order(&self) -> Vec<&str> {
        let mut cols: Vec<(&u32, &str)> = self
            .columns
            .iter()
            .map(|(n, c)| (&c.position, n.as_str()))
            .collect();
        cols.sort();
        cols.into_iter().map(|(_, n)| n).collect()
    }
}

/// A table column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// 1-based declared position. Column order is not drift by default.
    pub position: u32,
    /// The type as the database spells it canonically
    /// (`character varying(20)`, `int(11)`, `INTEGER`).
    pub data_type: String,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// Default expression as the catalog prints it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Identity / auto-increment behaviour, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// The options of a PostgreSQL identity column's sequence, when any
    /// differs from the default for the column's type (`START WITH -100
    /// INCREMENT BY 5 …`); `None` for the defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_options: Option<IdentityOptions>,
    /// Generated (computed) column expression, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<Generated>,
    /// MySQL/MariaDB `ON UPDATE` expression (`current_timestamp()`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_update: Option<String>,
    /// Collation when it differs from the database default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    /// Comment on the column, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The column comes from a parent table (PostgreSQL `attinhcount > 0`:
    /// a partition's columns, an inheritance child's inherited ones); it is
    /// added, altered and dropped with the parent's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inherited: bool,
    /// Left out of `SELECT *` and of an `INSERT` without a column list
    /// (MariaDB and MySQL `INVISIBLE`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub invisible: bool,
}

impl Column {
    /// A nullable column of `data_type` at `position`, with nothing else set.
    pub fn new(position: u32, data_type: impl Into<String>) -> Self {
        Column {
            position,
            data_type: data_type.into(),
            nullable: true,
            default: None,
            identity: None,
            identity_options: None,
            generated: None,
            on_update: None,
            collation: None,
            comment: None,
            inherited: false,
            invisible: false,
        }
    }
}

/// The MySQL/MariaDB character set a collation belongs to: its name up to
/// the first `_` (`utf8mb4_unicode_ci` → `utf8mb4`; `binary` is its own).
///
/// ```
/// assert_eq!(driftless_model::collation_charset("latin1_swedish_ci"), "latin1");
/// ```
pub fn collation_charset(collation: &str) -> &str {
    collation.split('_').next().unwrap_or(collation)
}

/// The sequence options of a PostgreSQL identity column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityOptions {
    /// START WITH.
    pub start: i64,
    /// INCREMENT BY.
    pub increment: i64,
    /// MINVALUE.
    pub min_value: i64,
    /// MAXVALUE.
    pub max_value: i64,
    /// CACHE.
    pub cache: i64,
    /// CYCLE.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cycle: bool,
}

impl IdentityOptions {
    /// The options of an identity sequence of `data_type` (`smallint`,
    /// `integer`, `bigint`), or `None` when they are the defaults
    /// `GENERATED … AS IDENTITY` gives a column of that type.
    pub fn unless_default(self, data_type: &str) -> Option<Self> {
        let max = match data_type {
            "smallint" => i64::from(i16::MAX),
            "integer" => i64::from(i32::MAX),
            _ => i64::MAX,
        };
        let default = IdentityOptions {
            start: 1,
            increment: 1,
            min_value: 1,
            max_value: max,
            cache: 1,
            cycle: false,
        };
        (self != default).then_some(self)
    }

    /// The options as `GENERATED … AS IDENTITY (…)` takes them:
    /// `START WITH -100 INCREMENT BY 5 MINVALUE -100 MAXVALUE 100 CACHE 1 NO CYCLE`.
    pub fn to_sql(&self) -> String {
        self.clauses("").join(" ")
    }

    /// Each option as a clause, after `prefix` (`SET ` for `ALTER COLUMN`).
    pub fn clauses(&self, prefix: &str) -> Vec<String> {
        vec![
            format!("{prefix}START WITH {}", self.start),
            format!("{prefix}INCREMENT BY {}", self.increment),
            format!("{prefix}MINVALUE {}", self.min_value),
            format!("{prefix}MAXVALUE {}", self.max_value),
            format!("{prefix}CACHE {}", self.cache),
            format!("{prefix}{}", if self.cycle { "CYCLE" } else { "NO CYCLE" }),
        ]
    }
}

/// Identity or auto-increment behaviour of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    /// `GENERATED ALWAYS AS IDENTITY` (PostgreSQL).
    Always,
    /// `GENERATED BY DEFAULT AS IDENTITY` (PostgreSQL).
    ByDefault,
    /// `AUTO_INCREMENT` (MySQL) or `AUTOINCREMENT` (SQLite).
    AutoIncrement,
}

/// A generated (computed) column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Generated {
    /// The generation expression as the catalog prints it.
    pub expression: String,
    /// `STORED` (true) or `VIRTUAL` (false).
    pub stored: bool,
}

/// A primary key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrimaryKey {
    /// Constraint name (`PRIMARY` on MySQL; synthesised on SQLite).
    pub name: String,
    /// Key columns in key order.
    pub columns: Vec<String>,
    /// `DEFERRABLE` (PostgreSQL).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deferrable: bool,
    /// `INITIALLY DEFERRED` (PostgreSQL).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub initially_deferred: bool,
    /// Comment on the key (PostgreSQL `COMMENT ON CONSTRAINT`, MySQL `COMMENT` of the key's index), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A UNIQUE constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UniqueConstraint {
    /// Key columns in key order.
    pub columns: Vec<String>,
    /// `NULLS NOT DISTINCT` (PostgreSQL 15+).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nulls_not_distinct: bool,
    /// `DEFERRABLE` (PostgreSQL).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deferrable: bool,
    /// `INITIALLY DEFERRED` (PostgreSQL).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub initially_deferred: bool,
    /// Comment on the constraint (PostgreSQL `COMMENT ON CONSTRAINT`, MySQL `COMMENT` of its index), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// An exclusion constraint (PostgreSQL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    /// The constraint as `pg_get_constraintdef` prints it
    /// (`EXCLUDE USING gist (c WITH &&)`, with `DEFERRABLE …` when so).
    pub definition: String,
    /// Comment on the constraint, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// An index that does not back a constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    /// Key parts in order.
    pub parts: Vec<IndexPart>,
    /// Whether the index enforces uniqueness.
    pub unique: bool,
    /// Access method (`btree`, `gin`, `hash`, `FULLTEXT` …) when not the default B-tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Partial index predicate (`WHERE …`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
    /// Non-key columns (`INCLUDE (…)`, PostgreSQL).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// The optimizer leaves the index unused, which the server still
    /// maintains (MariaDB `IGNORED`, MySQL `INVISIBLE`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ignored: bool,
    /// Comment on the index, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Storage parameters (PostgreSQL `WITH (fillfactor = 70)`) as the
    /// server keeps them, `name=value` each (`'70'` and `70` are both
    /// `fillfactor=70`), in the order they were given; their order is not
    /// compared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub storage: Vec<String>,
    /// A unique index that counts NULLs as equal (PostgreSQL 15+ `NULLS
    /// NOT DISTINCT`): one row with NULL in its keys at most.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nulls_not_distinct: bool,
}

/// One key part of an index: a column or an expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexPart {
    /// The key: a column or an expression.
    #[serde(flatten)]
    pub key: IndexKey,
    /// Descending order.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub descending: bool,
    /// Explicit NULLS FIRST / LAST when it differs from the default for the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nulls_first: Option<bool>,
    /// Operator class when not the default (PostgreSQL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opclass: Option<String>,
    /// Collation when not the column's (PostgreSQL, SQLite).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    /// Prefix length (MySQL `col(10)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
}

impl IndexPart {
    /// An ascending key part on column `name`.
    pub fn column(name: impl Into<String>) -> Self {
        IndexPart {
            key: IndexKey::Column(name.into()),
            descending: false,
            nulls_first: None,
            opclass: None,
            collation: None,
            length: None,
        }
    }
}

/// The key of an index part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexKey {
    /// A plain column.
    Column(String),
    /// An expression, as the catalog prints it.
    Expression(String),
}

/// Referential action of a foreign key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FkAction {
    /// `NO ACTION` (the default).
    NoAction,
    /// `RESTRICT`.
    Restrict,
    /// `CASCADE`.
    Cascade,
    /// `SET NULL`.
    SetNull,
    /// `SET DEFAULT`.
    SetDefault,
}

impl FkAction {
    /// The SQL spelling (`NO ACTION`, `CASCADE` …).
    pub fn as_sql(self) -> &'static str {
        match self {
            FkAction::NoAction => "NO ACTION",
            FkAction::Restrict => "RESTRICT",
            FkAction::Cascade => "CASCADE",
            FkAction::SetNull => "SET NULL",
            FkAction::SetDefault => "SET DEFAULT",
        }
    }

    /// Parses the SQL spelling, case-insensitively.
    pub fn from_sql(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "NO ACTION" => Some(FkAction::NoAction),
            "RESTRICT" => Some(FkAction::Restrict),
            "CASCADE" => Some(FkAction::Cascade),
            "SET NULL" => Some(FkAction::SetNull),
            "SET DEFAULT" => Some(FkAction::SetDefault),
            _ => None,
        }
    }
}

fn is_no_action(a: &FkAction) -> bool {
    *a == FkAction::NoAction
}

/// A foreign key constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForeignKey {
    /// Referencing columns, in key order.
    pub columns: Vec<String>,
    /// Schema of the referenced table.
    pub ref_schema: String,
    /// The referenced table.
    pub ref_table: String,
    /// Referenced columns, in key order.
    pub ref_columns: Vec<String>,
    /// `ON DELETE` action.
    #[serde(default = "no_action", skip_serializing_if = "is_no_action")]
    pub on_delete: FkAction,
    /// `ON UPDATE` action.
    #[serde(default = "no_action", skip_serializing_if = "is_no_action")]
    pub on_update: FkAction,
    /// `DEFERRABLE` (PostgreSQL, SQLite).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deferrable: bool,
    /// `INITIALLY DEFERRED`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub initially_deferred: bool,
    /// Comment on the constraint (PostgreSQL), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// `MATCH FULL` (PostgreSQL): a key with some columns NULL must have
    /// all of them NULL; otherwise `MATCH SIMPLE`, the default.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub match_full: bool,
}

fn no_action() -> FkAction {
    FkAction::NoAction
}

/// A CHECK constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// The boolean expression as the catalog prints it (without `CHECK`).
    pub expression: String,
    /// Comment on the constraint (PostgreSQL), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// `NO INHERIT` (PostgreSQL): the check binds this table only, not
    /// its inheritance children.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_inherit: bool,
}

/// An enumerated type (PostgreSQL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Enum {
    /// Labels in sort order.
    pub labels: Vec<String>,
    /// Comment on the type, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct View {
    /// The defining query as the catalog prints it.
    pub definition: String,
    /// Materialized view (PostgreSQL).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub materialized: bool,
    /// Indexes of a materialized view, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub indexes: BTreeMap<String, Index>,
    /// Comment on the view, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// What the view does besides its query, by lower-case name, present
    /// only when it differs from a plain view: [`CHECK_OPTION`] (`local`,
    /// `cascaded`), [`SECURITY_INVOKER`] (`true`; MySQL/MariaDB `SQL
    /// SECURITY INVOKER`) and, on PostgreSQL, `security_barrier` (`true`)
    /// and a materialized view's storage parameters (`fillfactor`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

/// View option: rows written through the view must satisfy its `WHERE`
/// (`WITH LOCAL CHECK OPTION` → `local`, `WITH CASCADED CHECK OPTION` →
/// `cascaded`).
pub const CHECK_OPTION: &str = "check_option";

/// View option: the view reads its tables with the privileges of the
/// querying role, not of its owner (PostgreSQL 15+ `security_invoker`,
/// MySQL/MariaDB `SQL SECURITY INVOKER`); `true` when set.
pub const SECURITY_INVOKER: &str = "security_invoker";

/// A sequence that stands on its own (including those owned by `serial` columns,
/// excluding those that implement identity columns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sequence {
    /// Value type (`bigint`, `integer`, `smallint`).
    pub data_type: String,
    /// START WITH.
    pub start: i64,
    /// INCREMENT BY.
    pub increment: i64,
    /// MINVALUE.
    pub min_value: i64,
    /// MAXVALUE.
    pub max_value: i64,
    /// CACHE.
    #[serde(default = "one")]
    pub cache: i64,
    /// CYCLE.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cycle: bool,
    /// `OWNED BY table.column`, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owned_by: Option<SequenceOwner>,
    /// Comment on the sequence, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

fn one() -> i64 {
    1
}

/// The column a sequence is owned by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SequenceOwner {
    /// Owning table (same schema as the sequence).
    pub table: String,
    /// Owning column.
    pub column: String,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Replay into a MySQL scratch database read back under the target's
    /// name left foreign keys pointing at the scratch name.
    #[test]
    fn rename_schema_rewrites_foreign_key_targets() {
        let mut snap = Snapshot::new(Dialect::Mysql);
        let mut child = Table::default();
        child.foreign_keys.insert(
            "fk".into(),
            ForeignKey {
                columns: vec!["parent_id".into()],
                ref_schema: "scratch".into(),
                ref_table: "parent".into(),
                ref_columns: vec!["id".into()],
                on_delete: FkAction::Cascade,
                on_update: FkAction::NoAction,
                deferrable: false,
                initially_deferred: false,
                comment: None,
                match_full: false,
            },
        );
        let schema = snap.schemas.entry("scratch".into()).or_default();
        schema.tables.insert("parent".into(), Table::default());
        schema.tables.insert("child".into(), child);
        assert!(snap.rename_schema("scratch", "app"));
        assert!(!snap.rename_schema("scratch", "app"));
        let fk = &snap.table("app", "child").unwrap().foreign_keys["fk"];
        assert_eq!(fk.ref_schema, "app");
    }
}
