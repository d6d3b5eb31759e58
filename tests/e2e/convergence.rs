//! The convergence property, one body for every backend (the tests at the
//! end run it on SQLite, PostgreSQL and MariaDB).
//!
//! A random pair of schemas within the model — tables, columns of each
//! backend's common types, defaults, nullability, indexes (unique and
//! multi-column), foreign keys, checks, triggers, an enum type and
//! row-level security policies on PostgreSQL; on MariaDB table options
//! (character set, row format), a function with a procedure calling it,
//! invisible columns, ignored indexes and index comments; comments on
//! indexes, primary keys and checks on PostgreSQL; on SQLite `WITHOUT ROWID` and `STRICT` tables, generated columns,
//! columns without a type, partial indexes and triggers on every event —
//! is
//! created as two real databases, the actual one with rows. Then the rules'
//! findings are planned (orphans quarantined or dropped, data loss allowed)
//! and applied: the rules must report nothing afterwards, and every value
//! of a column that both sides keep must still be there.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use driftless_fixer::{Orphans, PlanOptions, Safety};
use driftless_testkit::Backend;
use proptest::prelude::*;
use proptest::strategy::ValueTree;

use crate::support;
use support::*;

/// What values a column holds, whatever its type on either side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Small non-negative integers, in numeric or text types.
    Num,
    /// Labels `a`..`d`, in an enum or a text type.
    Label,
    /// Booleans.
    Flag,
    /// Dates.
    Day,
    /// A nullable integer referencing another table's `id`.
    Ref,
}

/// The column pool: names with fixed kinds, so both sides agree on values.
pub const COLUMNS: [(&str, Kind); 7] = [
    ("c1", Kind::Num),
    ("c2", Kind::Num),
    ("c3", Kind::Label),
    ("c4", Kind::Flag),
    ("c5", Kind::Day),
    ("c6", Kind::Num),
    ("fk", Kind::Ref),
];

pub const TABLES: [&str; 4] = ["t1", "t2", "t3", "t4"];

#[derive(Debug, Clone)]
pub struct ColSpec {
    pub name: &'static str,
    pub kind: Kind,
    /// Index into the kind's type list of the backend.
    pub ty: usize,
    pub nullable: bool,
    pub default: bool,
    /// MySQL: `INVISIBLE` (only with a default or NULL allowed).
    pub invisible: bool,
}

#[derive(Debug, Clone)]
pub struct IndexSpec {
    pub cols: Vec<&'static str>,
    pub unique: bool,
    /// SQLite: a partial index, `WHERE` one of [`PREDICATES`] on its first
    /// column.
    pub predicate: Option<usize>,
    /// MySQL: ignored by the optimizer (`IGNORED`).
    pub ignored: bool,
    /// MySQL, PostgreSQL: a comment on the index.
    pub comment: bool,
}

/// Partial-index predicates (SQLite), on the index's first column `{c}`.
pub const PREDICATES: [&str; 3] = [
    "{c} IN (1, 2, 17)",
    "{c} IS NOT NULL",
    "abs({c}) > 5 OR {c} IS NULL",
];

/// Expressions of a generated column `g` (SQLite).
pub const GENERATED: [&str; 2] = ["id * 2", "id + 1"];

/// Trigger events and bodies (SQLite): `(WHEN clause, statements)`, `{t}`
/// the trigger's table. The bodies change no data.
pub const TRIGGER_EVENTS: [&str; 3] = ["AFTER INSERT", "BEFORE UPDATE", "AFTER DELETE"];
pub const TRIGGER_BODIES: [(&str, &str); 3] = [
    ("", "SELECT 1;"),
    ("WHEN 1 ", "SELECT 2;"),
    ("", "UPDATE {t} SET id = id WHERE 0;"),
];

#[derive(Debug, Clone)]
pub struct TableSpec {
    pub name: &'static str,
    pub cols: Vec<ColSpec>,
    /// Named `<table>_ix<n>`.
    pub indexes: Vec<IndexSpec>,
    /// Check `col >= 0` on these columns (numeric ones only).
    pub checks: Vec<&'static str>,
    /// The table `fk` references, if the table has `fk` and a foreign key.
    pub fk_to: Option<&'static str>,
    /// A trigger `<table>_trg` on inserts, in one of three variants (its
    /// timing and body; on PostgreSQL with its own function `<table>_trg()`).
    pub trigger: Option<u8>,
    /// PostgreSQL: row-level security with a policy `<table>_pol` that lets
    /// every row through (`true`) or none (`false`).
    pub policy: Option<bool>,
    /// Table options after the column list (MySQL: character set, row
    /// format; see [`TABLE_OPTIONS`]).
    pub options: Vec<&'static str>,
    /// SQLite: `WITHOUT ROWID`.
    pub without_rowid: bool,
    /// SQLite: `STRICT` (its columns take the types of [`col_type`]).
    pub strict: bool,
    /// SQLite: a generated column `g`: the index of its expression in
    /// [`GENERATED`], and whether it is STORED.
    pub generated: Option<(usize, bool)>,
    /// SQLite: more triggers `<table>_trg<n>`, each an index into
    /// [`TRIGGER_EVENTS`] and one into [`TRIGGER_BODIES`].
    pub triggers: Vec<(usize, usize)>,
    /// PostgreSQL: an exclusion constraint `<table>_excl` on `id`,
    /// deferrable and initially deferred when `true`.
    pub exclusion: Option<bool>,
    /// PostgreSQL: comments on the primary key and the checks.
    pub constraint_comments: bool,
}

/// The bodies the function `score(x)` may have (MySQL).
pub const FUNCTION_BODIES: [&str; 2] = [
    "DETERMINISTIC RETURN 2 * x",
    "READS SQL DATA RETURN (SELECT count(*) FROM information_schema.TABLES WHERE TABLE_ROWS > x)",
];

/// The table options a MySQL table may be given.
pub const TABLE_OPTIONS: [&str; 2] = ["DEFAULT CHARSET=latin1", "ROW_FORMAT=COMPACT"];

#[derive(Debug, Clone)]
pub struct SchemaSpec {
    pub tables: Vec<TableSpec>,
    /// Labels of the enum (PostgreSQL type `mood`; MySQL `enum(...)` columns).
    pub labels: Vec<&'static str>,
    /// MySQL: the function `score(x int)` with this body of
    /// [`FUNCTION_BODIES`], and the procedure `touch_all()` calling it.
    pub routine: Option<usize>,
}

/// The label sets an enum may have (always containing `a`).
pub const LABEL_SETS: [&[&str]; 5] = [
    &["a", "b", "c"],
    &["a", "b"],
    &["a", "c", "b"],
    &["a", "b", "c", "d"],
    &["d", "a", "b"],
];

/// The types a kind may take on `backend`.
pub fn types(backend: Backend, kind: Kind, labels: &[&str]) -> Vec<String> {
    let mysql_enum = || {
        format!(
            "enum({})",
            labels
                .iter()
                .map(|l| format!("'{l}'"))
                .collect::<Vec<_>>()
                .join(",")
        )
    };
    match (backend, kind) {
        (Backend::Postgres, Kind::Num) => [
            "smallint",
            "integer",
            "bigint",
            "varchar(20)",
            "text",
            "numeric(10,2)",
        ]
        .map(String::from)
        .to_vec(),
        (Backend::Mysql, Kind::Num) => [
            "smallint",
            "int",
            "bigint",
            "varchar(20)",
            "text",
            "decimal(10,2)",
        ]
        .map(String::from)
        .to_vec(),
        (Backend::Sqlite, Kind::Num) => [
            "SMALLINT",
            "INTEGER",
            "BIGINT",
            "VARCHAR(20)",
            "TEXT",
            "DECIMAL(10,2)",
            "",
        ]
        .map(String::from)
        .to_vec(),
        (Backend::Postgres, Kind::Label) => {
            vec!["mood".into(), "varchar(40)".into(), "text".into()]
        }
        (Backend::Mysql, Kind::Label) => vec![mysql_enum(), "varchar(40)".into()],
        (Backend::Sqlite, Kind::Label) => vec!["TEXT".into(), "VARCHAR(40)".into(), "".into()],
        (Backend::Postgres, Kind::Flag) | (Backend::Mysql, Kind::Flag) => vec!["boolean".into()],
        (Backend::Sqlite, Kind::Flag) => vec!["BOOLEAN".into()],
        (_, Kind::Day) => vec!["date".into()],
        (Backend::Sqlite, Kind::Ref) => vec!["INTEGER".into()],
        (_, Kind::Ref) => vec!["integer".into()],
    }
}

/// The type of column `c` of table `t` on `backend`: one of
/// [`types`], or in a STRICT table (SQLite) one of the types STRICT allows.
pub fn col_type(backend: Backend, t: &TableSpec, c: &ColSpec, labels: &[&str]) -> String {
    if !t.strict {
        return types(backend, c.kind, labels)[c.ty].clone();
    }
    match c.kind {
        Kind::Num => ["INTEGER", "TEXT"][c.ty % 2],
        Kind::Label | Kind::Day => "TEXT",
        Kind::Flag | Kind::Ref => "INTEGER",
    }
    .to_string()
}

fn is_text_type(t: &str) -> bool {
    let t = t.to_ascii_lowercase();
    t.contains("char") || t.contains("text") || t.starts_with("enum") || t == "mood"
}

/// The columns a table's indexes and checks may use on `backend`: numeric
/// ones (MySQL cannot index `text` without a prefix length).
fn indexable(backend: Backend, t: &TableSpec, c: &ColSpec, labels: &[&str]) -> bool {
    let ty = col_type(backend, t, c, labels);
    c.kind == Kind::Num && !(backend == Backend::Mysql && ty == "text")
}

fn checkable(backend: Backend, t: &TableSpec, c: &ColSpec, labels: &[&str]) -> bool {
    c.kind == Kind::Num && !is_text_type(&col_type(backend, t, c, labels))
}

/// What only SQLite has: table options, a generated column, triggers.
type SqliteExtras = ((bool, bool), Option<(usize, bool)>, Vec<(usize, usize)>);

fn sqlite_extras() -> impl Strategy<Value = SqliteExtras> {
    (
        (
            proptest::bool::weighted(0.25),
            proptest::bool::weighted(0.25),
        ),
        proptest::option::weighted(0.3, (0usize..GENERATED.len(), any::<bool>())),
        proptest::collection::vec(
            (0usize..TRIGGER_EVENTS.len(), 0usize..TRIGGER_BODIES.len()),
            0..=2,
        ),
    )
}

/// `true` with probability `weight` on the `on` backends; elsewhere always
/// `false`, drawing nothing (the other backends' cases stay as they were).
fn flag_on(backend: Backend, on: &[Backend], weight: f64) -> BoxedStrategy<bool> {
    if on.contains(&backend) {
        proptest::bool::weighted(weight).boxed()
    } else {
        Just(false).boxed()
    }
}

fn table_strategy(backend: Backend, name: &'static str) -> impl Strategy<Value = TableSpec> {
    let mysql = [Backend::Mysql];
    let cols = proptest::collection::vec(
        (
            any::<bool>(),
            0usize..6,
            any::<bool>(),
            any::<bool>(),
            flag_on(backend, &mysql, 0.2),
        ),
        COLUMNS.len(),
    );
    let idx = proptest::collection::vec(
        (
            proptest::sample::subsequence((0..COLUMNS.len()).collect::<Vec<_>>(), 1..=2),
            any::<bool>(),
            proptest::option::weighted(0.4, 0usize..PREDICATES.len()),
            flag_on(backend, &mysql, 0.3),
            flag_on(backend, &[Backend::Mysql, Backend::Postgres], 0.3),
        ),
        0..=2,
    );
    (
        cols,
        idx,
        proptest::collection::vec(0usize..COLUMNS.len(), 0..=2),
        proptest::option::of(0usize..TABLES.len()),
        proptest::option::of(0u8..3),
        proptest::option::of(any::<bool>()),
        proptest::sample::subsequence(TABLE_OPTIONS.to_vec(), 0..=TABLE_OPTIONS.len()),
        sqlite_extras(),
        proptest::option::of(any::<bool>()),
        flag_on(backend, &[Backend::Postgres], 0.3),
    )
        .prop_map(
            move |(
                cols,
                idx,
                checks,
                fk,
                trigger,
                policy,
                options,
                extras,
                exclusion,
                comments,
            )| {
                let sqlite = backend == Backend::Sqlite;
                let ((without_rowid, strict), generated, triggers) = extras;
                let cols: Vec<ColSpec> = COLUMNS
                    .iter()
                    .zip(cols)
                    .filter(|(_, (present, ..))| *present)
                    .map(|((n, k), (_, ty, nullable, default, invisible))| {
                        let n_types = types(backend, *k, LABEL_SETS[0]).len();
                        let nullable = nullable || *k == Kind::Ref;
                        let default = default && *k != Kind::Ref;
                        ColSpec {
                            name: n,
                            kind: *k,
                            ty: ty % n_types,
                            nullable,
                            default,
                            invisible: invisible && (nullable || default),
                        }
                    })
                    .collect();
                let has = |n: &str| cols.iter().any(|c| c.name == n);
                let indexes = idx
                    .into_iter()
                    .map(|(cs, unique, predicate, ignored, comment)| IndexSpec {
                        cols: cs
                            .into_iter()
                            .map(|i| COLUMNS[i].0)
                            .filter(|c| has(c))
                            .collect(),
                        unique,
                        predicate: predicate.filter(|_| sqlite),
                        ignored,
                        comment,
                    })
                    .filter(|i| !i.cols.is_empty())
                    .collect();
                let mut checks: Vec<&'static str> = checks
                    .into_iter()
                    .map(|i| COLUMNS[i].0)
                    .filter(|c| has(c))
                    .collect();
                checks.sort();
                checks.dedup();
                let fk_to = if has("fk") {
                    fk.map(|i| TABLES[i])
                } else {
                    None
                };
                TableSpec {
                    name,
                    cols,
                    indexes,
                    checks,
                    fk_to,
                    trigger,
                    policy: policy.filter(|_| backend == Backend::Postgres),
                    options: if backend == Backend::Mysql {
                        options
                    } else {
                        Vec::new()
                    },
                    without_rowid: sqlite && without_rowid,
                    strict: sqlite && strict,
                    generated: generated.filter(|_| sqlite),
                    triggers: if sqlite { triggers } else { Vec::new() },
                    exclusion: exclusion.filter(|_| backend == Backend::Postgres),
                    constraint_comments: comments,
                }
            },
        )
}

/// A random schema within the model.
pub fn schema_strategy(backend: Backend) -> impl Strategy<Value = SchemaSpec> {
    let tables: Vec<_> = TABLES
        .iter()
        .map(|t| proptest::option::weighted(0.7, table_strategy(backend, t)))
        .collect();
    (
        tables,
        0usize..LABEL_SETS.len(),
        proptest::option::of(0usize..FUNCTION_BODIES.len()),
    )
        .prop_map(move |(tables, labels, routine)| {
            let labels = LABEL_SETS[labels].to_vec();
            let mut tables: Vec<TableSpec> = tables.into_iter().flatten().collect();
            let names: Vec<&str> = tables.iter().map(|t| t.name).collect();
            for t in &mut tables {
                // Keep only what this schema can hold.
                if t.fk_to.is_some_and(|r| !names.contains(&r)) {
                    t.fk_to = None;
                }
                let spec = t.clone();
                let col = |n: &str| spec.cols.iter().find(|c| c.name == n);
                t.indexes.retain(|i| {
                    i.cols
                        .iter()
                        .all(|c| col(c).is_some_and(|c| indexable(backend, &spec, c, &labels)))
                });
                t.checks
                    .retain(|c| col(c).is_some_and(|c| checkable(backend, &spec, c, &labels)));
            }
            SchemaSpec {
                tables,
                labels,
                routine: routine.filter(|_| backend == Backend::Mysql),
            }
        })
}

/// The pair, made consistent: a column the expected side adds to an
/// existing table as NOT NULL gets a default (a plan refuses it otherwise,
/// by design).
pub fn pair_strategy(backend: Backend) -> impl Strategy<Value = (SchemaSpec, SchemaSpec, bool)> {
    (
        schema_strategy(backend),
        schema_strategy(backend),
        any::<bool>(),
    )
        .prop_map(|(mut e, a, drop)| {
            for t in &mut e.tables {
                if let Some(at) = a.tables.iter().find(|x| x.name == t.name) {
                    for c in &mut t.cols {
                        if !c.nullable && !at.cols.iter().any(|x| x.name == c.name) {
                            c.default = true;
                        }
                    }
                    // A new column filled with its default cannot be unique over several rows.
                    let filled: Vec<&str> = t
                        .cols
                        .iter()
                        .filter(|c| c.default && !at.cols.iter().any(|x| x.name == c.name))
                        .map(|c| c.name)
                        .collect();
                    for i in &mut t.indexes {
                        if i.cols.iter().any(|c| filled.contains(c)) {
                            i.unique = false;
                        }
                    }
                }
            }
            (e, a, drop)
        })
}

fn default_sql(backend: Backend, kind: Kind, ty: &str) -> String {
    match kind {
        Kind::Num if is_text_type(ty) => "'7'".into(),
        Kind::Num => "7".into(),
        Kind::Label => "'a'".into(),
        Kind::Flag => {
            if backend == Backend::Postgres {
                "true".into()
            } else {
                "1".into()
            }
        }
        Kind::Day => "'2024-01-01'".into(),
        Kind::Ref => "NULL".into(),
    }
}

/// The DDL of a schema on `backend`.
pub fn ddl(backend: Backend, s: &SchemaSpec) -> String {
    let mut out = Vec::new();
    let int = if backend == Backend::Sqlite {
        "INTEGER"
    } else {
        "integer"
    };
    if backend == Backend::Postgres {
        out.push(format!(
            "CREATE TYPE mood AS ENUM ({})",
            s.labels
                .iter()
                .map(|l| format!("'{l}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    // Tables first, foreign keys added afterwards (they may form cycles);
    // SQLite takes them inline, referencing tables that may come later.
    for t in &s.tables {
        let mut parts = vec![format!("id {int} PRIMARY KEY")];
        for c in &t.cols {
            let ty = &col_type(backend, t, c, &s.labels);
            let mut p = format!("{} {ty}", c.name);
            if !c.nullable {
                p.push_str(" NOT NULL");
            }
            if c.default {
                p.push_str(&format!(" DEFAULT {}", default_sql(backend, c.kind, ty)));
            }
            if c.invisible {
                p.push_str(" INVISIBLE");
            }
            if c.name == "fk" && backend == Backend::Sqlite {
                if let Some(r) = t.fk_to {
                    p.push_str(&format!(" CONSTRAINT {}_fk_fk REFERENCES {r} (id)", t.name));
                }
            }
            parts.push(p);
        }
        if let Some((e, stored)) = t.generated {
            let kind = if stored { "STORED" } else { "VIRTUAL" };
            parts.push(format!(
                "g INTEGER GENERATED ALWAYS AS ({}) {kind}",
                GENERATED[e]
            ));
        }
        for c in &t.checks {
            parts.push(format!("CONSTRAINT {}_{c}_chk CHECK ({c} >= 0)", t.name));
        }
        if let Some(deferred) = t.exclusion {
            let deferral = if deferred {
                " DEFERRABLE INITIALLY DEFERRED"
            } else {
                ""
            };
            parts.push(format!(
                "CONSTRAINT {}_excl EXCLUDE USING btree (id WITH =){deferral}",
                t.name
            ));
        }
        let sqlite_options: Vec<&str> = [(t.without_rowid, "WITHOUT ROWID"), (t.strict, "STRICT")]
            .into_iter()
            .filter_map(|(set, option)| set.then_some(option))
            .collect();
        out.push(format!(
            "CREATE TABLE {} ({}){} {}",
            t.name,
            parts.join(", "),
            t.options
                .iter()
                .map(|o| format!(" {o}"))
                .collect::<String>(),
            sqlite_options.join(", ")
        ));
        out.extend(code_objects(backend, t));
        for (k, i) in t.indexes.iter().enumerate() {
            let predicate = i.predicate.map_or_else(String::new, |p| {
                format!(" WHERE {}", PREDICATES[p].replace("{c}", i.cols[0]))
            });
            let mut options = String::new();
            if i.comment && backend == Backend::Mysql {
                options.push_str(&format!(" COMMENT 'note {k}'"));
            }
            if i.ignored {
                options.push_str(" IGNORED");
            }
            out.push(format!(
                "CREATE {}INDEX {}_ix{k} ON {} ({}){predicate}{options}",
                if i.unique { "UNIQUE " } else { "" },
                t.name,
                t.name,
                i.cols.join(", ")
            ));
            if i.comment && backend == Backend::Postgres {
                out.push(format!("COMMENT ON INDEX {}_ix{k} IS 'note {k}'", t.name));
            }
        }
        if t.constraint_comments {
            out.push(format!(
                "COMMENT ON CONSTRAINT {n}_pkey ON {n} IS 'the key of {n}'",
                n = t.name
            ));
            for c in &t.checks {
                out.push(format!(
                    "COMMENT ON CONSTRAINT {n}_{c}_chk ON {n} IS '{c} non-negative'",
                    n = t.name
                ));
            }
        }
        for (k, (event, body)) in t.triggers.iter().enumerate() {
            let (when, body) = TRIGGER_BODIES[*body];
            out.push(format!(
                "CREATE TRIGGER {}_trg{k} {} ON {} {when}BEGIN {} END",
                t.name,
                TRIGGER_EVENTS[*event],
                t.name,
                body.replace("{t}", t.name)
            ));
        }
    }
    if let Some(body) = s.routine {
        out.push(format!(
            "CREATE FUNCTION score(x int) RETURNS int {}",
            FUNCTION_BODIES[body]
        ));
        out.push("CREATE PROCEDURE touch_all() SELECT score(1)".to_string());
    }
    if backend != Backend::Sqlite {
        for t in &s.tables {
            if let Some(r) = t.fk_to {
                out.push(format!(
                    "ALTER TABLE {} ADD CONSTRAINT {}_fk_fk FOREIGN KEY (fk) REFERENCES {r} (id)",
                    t.name, t.name
                ));
            }
        }
    }
    out.join(";\n")
}

/// The trigger and policy of table `t` on `backend`.
fn code_objects(backend: Backend, t: &TableSpec) -> Vec<String> {
    let n = t.name;
    let mut out = Vec::new();
    if let Some(v) = t.trigger {
        let timing = if v == 1 { "AFTER" } else { "BEFORE" };
        match backend {
            Backend::Postgres => {
                out.push(format!(
                    "CREATE FUNCTION {n}_trg() RETURNS trigger LANGUAGE plpgsql \
                     AS $$ BEGIN PERFORM {v}; RETURN NEW; END $$"
                ));
                out.push(format!(
                    "CREATE TRIGGER {n}_trg {timing} INSERT ON {n} FOR EACH ROW EXECUTE FUNCTION {n}_trg()"
                ));
            }
            Backend::Mysql => out.push(format!(
                "CREATE TRIGGER {n}_trg {timing} INSERT ON {n} FOR EACH ROW SET @driftless_trg = {v}"
            )),
            Backend::Sqlite => out.push(format!(
                "CREATE TRIGGER {n}_trg {timing} INSERT ON {n} BEGIN SELECT {v}; END"
            )),
        }
    }
    if let Some(all) = t.policy {
        out.push(format!("ALTER TABLE {n} ENABLE ROW LEVEL SECURITY"));
        out.push(format!("CREATE POLICY {n}_pol ON {n} USING ({all})"));
    }
    out
}

pub const ROWS: i64 = 3;

/// The value of column `c` (kind `k`, position `j`) in row `i`, as text, or
/// `None` for NULL. Valid under both schemas.
pub fn value(
    e: &SchemaSpec,
    a: &SchemaSpec,
    table: &str,
    c: &ColSpec,
    j: usize,
    i: i64,
) -> Option<String> {
    fn spec<'s>(s: &'s SchemaSpec, table: &str, col: &str) -> Option<(&'s TableSpec, &'s ColSpec)> {
        let t = s.tables.iter().find(|t| t.name == table)?;
        Some((t, t.cols.iter().find(|x| x.name == col)?))
    }
    let (et, ec) = (spec(e, table, c.name), spec(a, table, c.name));
    let nullable_everywhere =
        et.is_none_or(|(_, x)| x.nullable) && ec.is_none_or(|(_, x)| x.nullable);
    if c.kind == Kind::Ref {
        // Non-NULL only when every referenced table holds rows.
        let targets_have_rows = [et, ec]
            .iter()
            .flatten()
            .all(|(t, _)| t.fk_to.is_none_or(|r| a.tables.iter().any(|x| x.name == r)));
        return if targets_have_rows && i % 2 == 1 {
            Some(((i % ROWS) + 1).to_string())
        } else {
            None
        };
    }
    if nullable_everywhere && (i as usize + j).is_multiple_of(3) {
        return None;
    }
    Some(match c.kind {
        Kind::Num => ((i * 17 + j as i64 * 3) % 100).to_string(),
        Kind::Label => {
            let common: Vec<&str> = a
                .labels
                .iter()
                .copied()
                .filter(|l| e.labels.contains(l))
                .collect();
            common[(i as usize + j) % common.len()].to_string()
        }
        Kind::Flag => (i % 2).to_string(),
        Kind::Day => format!("2024-01-{:02}", 10 + i),
        Kind::Ref => unreachable!(),
    })
}

fn literal(backend: Backend, kind: Kind, v: &Option<String>) -> String {
    match (v, kind) {
        (None, _) => "NULL".into(),
        (Some(v), Kind::Flag) if backend == Backend::Postgres => {
            if v == "1" {
                "true".into()
            } else {
                "false".into()
            }
        }
        (Some(v), _) => format!("'{v}'"),
    }
}

/// The rows of the actual side (ids 1..=ROWS in every table); references
/// are set once every row exists.
pub fn inserts(backend: Backend, e: &SchemaSpec, a: &SchemaSpec) -> String {
    let mut out = Vec::new();
    let mut refs = Vec::new();
    for t in &a.tables {
        for i in 1..=ROWS {
            let mut names = vec!["id".to_string()];
            let mut vals = vec![i.to_string()];
            for (j, c) in t.cols.iter().enumerate() {
                let v = value(e, a, t.name, c, j, i);
                if c.kind == Kind::Ref {
                    if let Some(v) = &v {
                        refs.push(format!(
                            "UPDATE {} SET {} = {v} WHERE id = {i}",
                            t.name, c.name
                        ));
                    }
                    continue;
                }
                names.push(c.name.into());
                vals.push(literal(backend, c.kind, &v));
            }
            out.push(format!(
                "INSERT INTO {} ({}) VALUES ({})",
                t.name,
                names.join(", "),
                vals.join(", ")
            ));
        }
    }
    out.extend(refs);
    out.join(";\n")
}

fn text_of(backend: Backend, col: &str) -> String {
    match backend {
        Backend::Postgres => format!("{col}::text"),
        Backend::Mysql => format!("CAST({col} AS CHAR)"),
        Backend::Sqlite => format!("CAST({col} AS TEXT)"),
    }
}

fn normalize(kind: Kind, v: Option<&str>) -> Option<String> {
    let v = v?;
    Some(match kind {
        Kind::Num | Kind::Ref => v
            .trim()
            .parse::<f64>()
            .map(|f| format!("{f}"))
            .unwrap_or_else(|_| v.to_string()),
        Kind::Flag => {
            if matches!(v, "1" | "t" | "true") {
                "1".into()
            } else {
                "0".into()
            }
        }
        Kind::Day => v.chars().take(10).collect(),
        Kind::Label => v.to_string(),
    })
}

/// Plans and applies the fix of `actual` towards `expected` on `server`
/// (both sides made there), then checks convergence and that kept data is
/// intact; the number of steps applied.
pub async fn converges(
    server: &Server,
    e: &SchemaSpec,
    a: &SchemaSpec,
    drop_orphans: bool,
) -> Result<usize, String> {
    let backend = server.backend();
    let expected_db = server.db_with(&ddl(backend, e)).await;
    let expected = snapshot(&expected_db).await;
    drop(expected_db);
    let mut setup = ddl(backend, a);
    let rows_sql = inserts(backend, e, a);
    if !rows_sql.is_empty() {
        setup.push_str(";\n");
        setup.push_str(&rows_sql);
    }
    let db = server.db_with(&setup).await;
    let orphans = if drop_orphans {
        Orphans::Drop
    } else {
        Orphans::Quarantine
    };
    let options = PlanOptions::default()
        .with_orphans(orphans)
        .with_allow(Safety::DataLoss);
    let fixed = match fix(&db, &expected, &options).await {
        Ok(f) => f,
        Err(err) => {
            let now = snapshot(&db).await;
            let p = driftless_fixer::plan(&expected, &now, &findings(&expected, &now), &options)
                .unwrap();
            return Err(format!(
                "apply failed: {err}\n--- actual DDL\n{setup}\n--- expected DDL\n{}\n--- plan\n{}",
                ddl(backend, e),
                p.to_sql()
            ));
        }
    };
    if !fixed.left.is_empty() {
        return Err(format!(
            "not converged:\n{}\n--- actual DDL\n{setup}\n--- expected DDL\n{}\n--- plan\n{}",
            describe(&fixed.left),
            ddl(backend, e),
            fixed.plan.to_sql()
        ));
    }
    // Data of kept columns.
    for at in &a.tables {
        let Some(et) = e.tables.iter().find(|t| t.name == at.name) else {
            continue;
        };
        let kept: Vec<(usize, &ColSpec)> = at
            .cols
            .iter()
            .enumerate()
            .filter(|(_, c)| et.cols.iter().any(|x| x.name == c.name))
            .collect();
        if kept.is_empty() {
            continue;
        }
        let select = kept
            .iter()
            .map(|(_, c)| text_of(backend, c.name))
            .collect::<Vec<_>>()
            .join(", ");
        let got = rows(
            &db,
            &format!("SELECT {select} FROM {} ORDER BY id", at.name),
        )
        .await;
        if got.len() != ROWS as usize {
            return Err(format!("{}: {} rows instead of {ROWS}", at.name, got.len()));
        }
        for (i, row) in got.iter().enumerate() {
            for (k, (j, c)) in kept.iter().enumerate() {
                let want = normalize(c.kind, value(e, a, at.name, c, *j, i as i64 + 1).as_deref());
                let have = normalize(c.kind, row[k].as_str());
                if want != have {
                    return Err(format!(
                        "{}.{} row {}: had {want:?}, now {have:?}\n--- plan\n{}",
                        at.name,
                        c.name,
                        i + 1,
                        fixed.plan.to_sql()
                    ));
                }
            }
        }
    }
    Ok(fixed.plan.steps.len())
}

/// Runs the property for `backend` with `cases` cases
/// (`DRIFTLESS_CONVERGENCE_CASES` overrides the count).
pub fn run(backend: Backend, cases: u32) {
    let cases = std::env::var("DRIFTLESS_CONVERGENCE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    run_on(&Server::Main(backend), cases);
}

/// Runs the property with `cases` cases, every database made on `server`.
pub fn run_on(server: &Server, cases: u32) {
    let backend = server.backend();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = ProptestConfig {
        cases,
        max_shrink_iters: 40,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let started = std::time::Instant::now();
    // Counted per run: the three backends' runs share this binary.
    let (ran, applied) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let result = runner.run(&pair_strategy(backend), |(e, a, drop)| {
        ran.fetch_add(1, Ordering::Relaxed);
        let steps = rt
            .block_on(converges(server, &e, &a, drop))
            .map_err(TestCaseError::fail)?;
        applied.fetch_add(steps, Ordering::Relaxed);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (n, steps) = (ran.load(Ordering::Relaxed), applied.load(Ordering::Relaxed));
    eprintln!(
        "{server}: {n} schema pairs converged, {steps} steps applied, in {:.1?}",
        started.elapsed()
    );
    assert!(
        n >= cases as usize && steps > n,
        "the property ran {n} cases with {steps} steps"
    );
}

/// Counts of what the generator produced (for a sanity test of coverage).
pub fn coverage(backend: Backend, samples: usize) -> BTreeMap<&'static str, usize> {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strat = pair_strategy(backend);
    let mut c = BTreeMap::new();
    for _ in 0..samples {
        let (e, a, _) = strat.new_tree(&mut runner).unwrap().current();
        for s in [&e, &a] {
            *c.entry("routines").or_default() += usize::from(s.routine.is_some());
            for t in &s.tables {
                *c.entry("tables").or_default() += 1;
                *c.entry("columns").or_default() += t.cols.len();
                *c.entry("unique indexes").or_default() +=
                    t.indexes.iter().filter(|i| i.unique).count();
                *c.entry("multi-column indexes").or_default() +=
                    t.indexes.iter().filter(|i| i.cols.len() > 1).count();
                *c.entry("checks").or_default() += t.checks.len();
                *c.entry("foreign keys").or_default() += usize::from(t.fk_to.is_some());
                *c.entry("defaults").or_default() += t.cols.iter().filter(|c| c.default).count();
                *c.entry("not null").or_default() += t.cols.iter().filter(|c| !c.nullable).count();
                *c.entry("triggers").or_default() += usize::from(t.trigger.is_some());
                *c.entry("policies").or_default() += usize::from(t.policy.is_some());
                *c.entry("exclusion constraints").or_default() +=
                    usize::from(t.exclusion.is_some());
                *c.entry("deferrable constraints").or_default() +=
                    usize::from(t.exclusion == Some(true));
                *c.entry("table options").or_default() += t.options.len();
                *c.entry("partial indexes").or_default() +=
                    t.indexes.iter().filter(|i| i.predicate.is_some()).count();
                *c.entry("without rowid").or_default() += usize::from(t.without_rowid);
                *c.entry("strict").or_default() += usize::from(t.strict);
                *c.entry("generated columns").or_default() += usize::from(t.generated.is_some());
                *c.entry("triggers").or_default() += t.triggers.len();
                *c.entry("invisible columns").or_default() +=
                    t.cols.iter().filter(|c| c.invisible).count();
                *c.entry("ignored indexes").or_default() +=
                    t.indexes.iter().filter(|i| i.ignored).count();
                *c.entry("index comments").or_default() +=
                    t.indexes.iter().filter(|i| i.comment).count();
                *c.entry("constraint comments").or_default() += usize::from(t.constraint_comments);
                *c.entry("untyped columns").or_default() += t
                    .cols
                    .iter()
                    .filter(|c| col_type(backend, t, c, &s.labels).is_empty())
                    .count();
            }
        }
    }
    c
}

/// The kinds of object the generator must produce on every backend.
const COVERED: &[&str] = &[
    "tables",
    "columns",
    "unique indexes",
    "multi-column indexes",
    "checks",
    "foreign keys",
    "defaults",
    "not null",
    "triggers",
];

/// What the generator must produce on SQLite besides.
const COVERED_ON_SQLITE: &[&str] = &[
    "partial indexes",
    "without rowid",
    "strict",
    "generated columns",
    "untyped columns",
];

fn assert_covers_the_model(backend: Backend) {
    let c = coverage(backend, 50);
    if backend == Backend::Postgres {
        for kind in [
            "policies",
            "exclusion constraints",
            "deferrable constraints",
            "index comments",
            "constraint comments",
        ] {
            assert!(c.get(kind).copied().unwrap_or(0) > 0, "{kind}: {c:?}");
        }
    }
    if backend == Backend::Mysql {
        for kind in [
            "table options",
            "routines",
            "invisible columns",
            "ignored indexes",
            "index comments",
        ] {
            assert!(c.get(kind).copied().unwrap_or(0) > 0, "no {kind}: {c:?}");
        }
    }
    let sqlite = if backend == Backend::Sqlite {
        COVERED_ON_SQLITE
    } else {
        &[]
    };
    for kind in COVERED.iter().chain(sqlite) {
        assert!(
            c.get(kind).copied().unwrap_or(0) > 0,
            "no {kind} generated on {backend:?}: {c:?}"
        );
    }
}

#[test]
fn random_schema_pairs_converge_on_sqlite() {
    run(Backend::Sqlite, 300);
}

#[test]
fn random_schema_pairs_converge_on_postgres() {
    run(Backend::Postgres, 20);
}

/// A sample of the PostgreSQL cases on every other supported version
/// (`DRIFTLESS_TEST_POSTGRES_URLS`), the expected side made on the same
/// server as the actual one.
#[test]
fn a_sample_of_schema_pairs_converges_on_every_postgres_version() {
    driftless_testkit::each_postgres_version(|server| run_on(&Server::Postgres(server), 5));
}

#[test]
fn random_schema_pairs_converge_on_mariadb() {
    run(Backend::Mysql, 100);
}

#[test]
fn the_generator_covers_the_model_on_sqlite() {
    assert_covers_the_model(Backend::Sqlite);
}

#[test]
fn the_generator_covers_the_model_on_postgres() {
    assert_covers_the_model(Backend::Postgres);
}

#[test]
fn the_generator_covers_the_model_on_mariadb() {
    assert_covers_the_model(Backend::Mysql);
}
