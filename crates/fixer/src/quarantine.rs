//! What fixes set aside, and undoing it: the quarantine catalog read back
//! ([`list_quarantine`]) and the plan that restores one object
//! ([`plan_restore`]), applied like any plan ([`apply`](crate::apply())).
//!
//! A quarantined orphan column's values live in a quarantine table keyed
//! by the primary key of their rows (every row, NULLs included), and the
//! column is dropped; a table without a primary key keeps the column
//! renamed aside (`_driftless_quarantine_<column>`, nullable). An orphan
//! table moves to the quarantine schema (PostgreSQL) or takes a marked
//! name. Each quarantine writes one catalog row
//! ([`QUARANTINE_CATALOG`](driftless_model::QUARANTINE_CATALOG)): the
//! original schema, table and column, the column's definition (JSON of
//! [`Column`]), the key columns, where the data went, when, and the
//! fingerprint of the schema the plan was made from.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use driftless_fixer::{apply, find_quarantined, list_quarantine, plan_restore, ApplyOptions};
//! use driftless_introspect::{ConnectOptions, Database, DbUrl, IntrospectOptions};
//!
//! let url = DbUrl::parse("sqlite:app.db")?;
//! let mut db = Database::connect(&url, &ConnectOptions::default()).await?;
//! let held = list_quarantine(&mut db).await?;
//! let entry = find_quarantined(&held, "users.avatar")?;
//! let actual = db.snapshot(&IntrospectOptions::default()).await?;
//! let restore = plan_restore(&actual, entry)?;
//! apply(&mut db, &restore, &ApplyOptions::default()).await?;
//! # Ok(()) }
//! ```

use std::collections::BTreeSet;

use driftless_introspect::{Database, Value};
use driftless_model::{Column, Dialect, ObjectKind, ObjectRef, Snapshot, QUARANTINE_SCHEMA};
use serde::{Deserialize, Serialize};

use crate::plan::{fingerprint, FixPlan, FixStep, PlanError, PLAN_FORMAT_VERSION};
use crate::safety::Safety;
use crate::sql::{self, quarantine as q, Mysql, Postgres};

/// How an object was quarantined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum QuarantineKind {
    /// A column whose values moved to a quarantine table, keyed by the
    /// primary key; the column was dropped.
    Column,
    /// A column renamed aside in its own table (the table has no primary key).
    RenamedColumn,
    /// A table moved to the quarantine schema or renamed aside.
    Table,
}

impl QuarantineKind {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "column" => Some(QuarantineKind::Column),
            "renamed column" => Some(QuarantineKind::RenamedColumn),
            "table" => Some(QuarantineKind::Table),
            _ => None,
        }
    }
}

/// One quarantined object, as its catalog row records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QuarantineEntry {
    /// How it was quarantined.
    pub kind: QuarantineKind,
    /// The schema it came from.
    pub schema: String,
    /// The table it came from (for a table: its original name).
    pub table: String,
    /// The column, for a column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The schema of the table that holds the data now.
    pub quarantine_schema: String,
    /// The table that holds the data now.
    pub quarantine_table: String,
    /// The column of that table holding the values, for a column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quarantine_column: Option<String>,
    /// The column's definition when it was quarantined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<Column>,
    /// The primary key columns the values are kept by.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key: Vec<String>,
    /// When (UTC, `YYYY-MM-DD HH:MM:SS`).
    pub quarantined_at: String,
    /// The fingerprint of the schema the quarantining plan was made from.
    pub plan: String,
    /// Rows held: the quarantine table's rows (a renamed column: its
    /// non-NULL values).
    pub rows: u64,
}

impl QuarantineEntry {
    /// The object as it was: `schema.table.column` or `schema.table`.
    pub fn object(&self) -> String {
        match &self.column {
            Some(c) => format!("{}.{}.{c}", self.schema, self.table),
            None => format!("{}.{}", self.schema, self.table),
        }
    }

    /// Where its data is now: `schema.table[.column]`.
    pub fn held_in(&self) -> String {
        let t = format!("{}.{}", self.quarantine_schema, self.quarantine_table);
        match (self.kind, &self.quarantine_column) {
            (QuarantineKind::RenamedColumn, Some(c)) => format!("{t}.{c}"),
            _ => t,
        }
    }

    /// Whether `name` names this entry: its object with or without the
    /// schema, or where its data is held.
    fn is_named(&self, name: &str) -> bool {
        let object = self.object();
        let bare = object
            .split_once('.')
            .map(|(_, rest)| rest)
            .unwrap_or(&object);
        name == object || name == bare || name == self.held_in() || name == self.quarantine_table
    }
}

/// Why the quarantine could not be read or restored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QuarantineError {
    /// Reading or writing the database failed.
    #[error(transparent)]
    Database(#[from] driftless_introspect::Error),
    /// The restore could not be planned.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A catalog row driftless cannot read.
    #[error("the quarantine catalog holds a row driftless cannot read: {0}")]
    Catalog(String),
    /// No quarantined object has that name.
    #[error("nothing quarantined is named {object}{}", known_list(.known))]
    Unknown {
        /// The name asked for.
        object: String,
        /// The objects the quarantine holds.
        known: Vec<String>,
    },
    /// Several quarantined objects have that name.
    #[error("{object} names several quarantined objects: {}; name one as `schema.table.column`", .matches.join(", "))]
    Ambiguous {
        /// The name asked for.
        object: String,
        /// The objects it names.
        matches: Vec<String>,
    },
    /// Restoring would overwrite something that exists again.
    #[error("cannot restore {object}: {why}")]
    Conflict {
        /// The object.
        object: String,
        /// What is in the way.
        why: String,
    },
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        String::from(" (the quarantine is empty)")
    } else {
        format!(" (quarantined: {})", known.join(", "))
    }
}

/// The schema holding the catalog of the connection's objects (see
/// [`sql::quarantine::quarantine_schema`]).
async fn catalog_schema(db: &mut Database) -> Result<String, QuarantineError> {
    Ok(match db.dialect() {
        Dialect::Postgres => QUARANTINE_SCHEMA.to_string(),
        Dialect::Sqlite => String::from("main"),
        Dialect::Mysql => {
            let rows = db
                .query("SELECT DATABASE()", "reading the database name")
                .await?;
            text(rows.first().and_then(|r| r.first())).unwrap_or_default()
        }
    })
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Text(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    }
}

/// Everything the quarantine of the connected database holds, with the
/// rows each object keeps. Reads only; an empty list when nothing was
/// ever quarantined.
pub async fn list_quarantine(db: &mut Database) -> Result<Vec<QuarantineEntry>, QuarantineError> {
    let d = db.dialect();
    let schema = catalog_schema(db).await?;
    let ctx = "reading the quarantine catalog";
    if db
        .query(&q::catalog_exists(d, &schema), ctx)
        .await?
        .is_empty()
    {
        return Ok(Vec::new());
    }
    let rows = db.query(&q::catalog_select(d, &schema), ctx).await?;
    let mut out = Vec::new();
    for row in rows {
        let mut e = parse_entry(&row)?;
        let count_col = match e.kind {
            QuarantineKind::RenamedColumn => e.quarantine_column.as_deref(),
            _ => None,
        };
        let sql = q::count_held(d, &e.quarantine_schema, &e.quarantine_table, count_col);
        // A table dropped by hand since holds nothing.
        e.rows = match db.query(&sql, "counting quarantined rows").await {
            Ok(r) => match r.first().and_then(|r| r.first()) {
                Some(Value::Int(n)) => u64::try_from(*n).unwrap_or(0),
                _ => 0,
            },
            Err(_) => 0,
        };
        out.push(e);
    }
    Ok(out)
}

/// One catalog row (columns in the order `catalog_select` reads them).
fn parse_entry(row: &[Value]) -> Result<QuarantineEntry, QuarantineError> {
    let get = |i: usize| text(row.get(i));
    let need =
        |i: usize, what: &str| get(i).ok_or_else(|| QuarantineError::Catalog(format!("no {what}")));
    let kind_text = need(0, "kind")?;
    let kind = QuarantineKind::parse(&kind_text)
        .ok_or_else(|| QuarantineError::Catalog(format!("unknown kind {kind_text:?}")))?;
    let definition = match get(7) {
        Some(json) => Some(
            serde_json::from_str::<Column>(&json)
                .map_err(|e| QuarantineError::Catalog(format!("column definition: {e}")))?,
        ),
        None => None,
    };
    let key = serde_json::from_str::<Vec<String>>(&need(8, "key columns")?)
        .map_err(|e| QuarantineError::Catalog(format!("key columns: {e}")))?;
    Ok(QuarantineEntry {
        kind,
        schema: need(1, "schema")?,
        table: need(2, "table")?,
        column: get(3),
        quarantine_schema: need(4, "quarantine schema")?,
        quarantine_table: need(5, "quarantine table")?,
        quarantine_column: get(6),
        definition,
        key,
        quarantined_at: get(9).unwrap_or_default(),
        plan: get(10).unwrap_or_default(),
        rows: 0,
    })
}

/// The names held in PostgreSQL's quarantine schema (tables, indexes,
/// sequences …), for [`PlanOptions::quarantine_held`](crate::PlanOptions):
/// new quarantine objects avoid them. Empty on the other dialects, whose
/// quarantine names live in the snapshot.
pub async fn quarantine_held_names(db: &mut Database) -> Result<BTreeSet<String>, QuarantineError> {
    if db.dialect() != Dialect::Postgres {
        return Ok(BTreeSet::new());
    }
    let rows = db
        .query(&q::held_names(), "reading the quarantine schema")
        .await?;
    Ok(rows.iter().filter_map(|r| text(r.first())).collect())
}

/// The entry `object` names: `schema.table.column`, `table.column`,
/// `schema.table`, `table`, or where its data is held.
pub fn find_quarantined<'a>(
    entries: &'a [QuarantineEntry],
    object: &str,
) -> Result<&'a QuarantineEntry, QuarantineError> {
    let matches: Vec<&QuarantineEntry> = entries.iter().filter(|e| e.is_named(object)).collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(QuarantineError::Unknown {
            object: object.to_string(),
            known: entries.iter().map(QuarantineEntry::object).collect(),
        }),
        many => Err(QuarantineError::Ambiguous {
            object: object.to_string(),
            matches: many.iter().map(|e| e.object()).collect(),
        }),
    }
}

/// The plan that puts `entry` back, made against `actual` (the schema as
/// it is now): a column is added again with its definition and its values
/// copied back by key (then the quarantine table and the catalog row go);
/// a renamed column takes its name back; a table its schema and name.
/// Refused when the object exists again, or its table is gone.
pub fn plan_restore(
    actual: &Snapshot,
    entry: &QuarantineEntry,
) -> Result<FixPlan, QuarantineError> {
    let d = actual.dialect;
    let (action, sql, note) = match entry.kind {
        QuarantineKind::Column => restore_column(actual, entry)?,
        QuarantineKind::RenamedColumn => restore_renamed(actual, entry)?,
        QuarantineKind::Table => restore_table(actual, entry)?,
    };
    let object = match &entry.column {
        Some(c) => ObjectRef::table_part(ObjectKind::Column, &entry.schema, &entry.table, c),
        None => ObjectRef::table(&entry.schema, &entry.table),
    };
    let reason = format!("restore {} from {}{note}", entry.object(), entry.held_in());
    let step = FixStep::new(
        object,
        action.to_string(),
        Safety::Locking,
        reason,
        (sql.clone(), sql),
    );
    Ok(FixPlan {
        format_version: PLAN_FORMAT_VERSION,
        dialect: d,
        steps: vec![step],
        withheld: Vec::new(),
        unfixed: Vec::new(),
        base: fingerprint(actual),
        base_schemas: actual.schemas.keys().cloned().collect(),
    })
}

type Restore = (&'static str, Vec<String>, String);

fn conflict(entry: &QuarantineEntry, why: impl Into<String>) -> QuarantineError {
    QuarantineError::Conflict {
        object: entry.object(),
        why: why.into(),
    }
}

/// The live table of a column entry, which must exist without the column.
fn live_table<'a>(
    actual: &'a Snapshot,
    entry: &QuarantineEntry,
) -> Result<(&'a driftless_model::Table, String), QuarantineError> {
    let column = entry.column.clone().unwrap_or_default();
    let table = actual
        .schemas
        .get(&entry.schema)
        .and_then(|s| s.tables.get(&entry.table))
        .ok_or_else(|| {
            conflict(
                entry,
                format!("table {}.{} does not exist", entry.schema, entry.table),
            )
        })?;
    if table.columns.contains_key(&column) {
        return Err(conflict(
            entry,
            format!(
                "column {column} exists again in {}.{}; drop or rename it first",
                entry.schema, entry.table
            ),
        ));
    }
    Ok((table, column))
}

/// The statements restoring NOT NULL on a column added back nullable.
fn restore_not_null(
    d: Dialect,
    s: &str,
    t: &str,
    c: &str,
    def: &Column,
) -> Result<Option<String>, PlanError> {
    if def.nullable {
        return Ok(None);
    }
    Ok(match d {
        Dialect::Postgres => Some(Postgres.alter_column_null(s, t, c, false)),
        Dialect::Mysql => Some(Mysql.modify_column(s, t, c, def, false)?),
        Dialect::Sqlite => None,
    })
}

fn restore_column(actual: &Snapshot, entry: &QuarantineEntry) -> Result<Restore, QuarantineError> {
    let d = actual.dialect;
    let w = sql::writer(d);
    let (_, c) = live_table(actual, entry)?;
    let (s, t) = (entry.schema.as_str(), entry.table.as_str());
    let def = entry
        .definition
        .clone()
        .ok_or_else(|| QuarantineError::Catalog(format!("no definition of {}", entry.object())))?;
    let mut note = String::new();
    // Added nullable, filled, then NOT NULL again (SQLite cannot: a NOT
    // NULL column without a default stays nullable there).
    let mut add = def.clone();
    let keeps_not_null = d == Dialect::Sqlite && def.default.is_some();
    if !def.nullable && !keeps_not_null && def.generated.is_none() {
        add.nullable = true;
    }
    let mut stmts = vec![w.add_column(s, t, &c, &add, false)?];
    let kept = (
        entry.quarantine_schema.as_str(),
        entry.quarantine_table.as_str(),
    );
    if def.generated.is_none() {
        stmts.push(q::copy_back(
            d,
            (s, t),
            kept,
            &entry.key,
            (&c, &def.data_type),
        ));
        if add.nullable && !def.nullable {
            match restore_not_null(d, s, t, &c, &def)? {
                Some(stmt) => stmts.push(stmt),
                None => {
                    note = String::from(
                        "; SQLite cannot make an existing column NOT NULL: it stays nullable",
                    )
                }
            }
        }
    }
    stmts.push(w.drop_table(kept.0, kept.1, false));
    stmts.push(q::catalog_delete(
        d,
        s,
        kept.0,
        kept.1,
        entry.quarantine_column.as_deref(),
    ));
    Ok(("restore column", stmts, note))
}

fn restore_renamed(actual: &Snapshot, entry: &QuarantineEntry) -> Result<Restore, QuarantineError> {
    let d = actual.dialect;
    let (table, c) = live_table(actual, entry)?;
    let (s, t) = (entry.schema.as_str(), entry.table.as_str());
    let held = entry.quarantine_column.clone().unwrap_or_default();
    if !table.columns.contains_key(&held) {
        return Err(conflict(
            entry,
            format!("column {held} of {s}.{t} that holds it is gone"),
        ));
    }
    let mut stmts = vec![sql::writer(d).rename_column(s, t, &held, &c)];
    let mut note = String::new();
    if let Some(def) = &entry.definition {
        match restore_not_null(d, s, t, &c, def)? {
            Some(stmt) => stmts.push(stmt),
            None if !def.nullable => {
                note = String::from(
                    "; SQLite cannot make an existing column NOT NULL: it stays nullable",
                )
            }
            None => {}
        }
    }
    stmts.push(q::catalog_delete(
        d,
        s,
        &entry.quarantine_schema,
        &entry.quarantine_table,
        Some(&held),
    ));
    Ok(("restore column", stmts, note))
}

fn restore_table(actual: &Snapshot, entry: &QuarantineEntry) -> Result<Restore, QuarantineError> {
    let d = actual.dialect;
    let w = sql::writer(d);
    let (s, t) = (entry.schema.as_str(), entry.table.as_str());
    let schema = actual.schemas.get(s);
    if schema.is_some_and(|sc| sc.tables.contains_key(t) || sc.views.contains_key(t)) {
        return Err(conflict(
            entry,
            format!("{s}.{t} exists again; drop or rename it first"),
        ));
    }
    let (qs, qt) = (
        entry.quarantine_schema.as_str(),
        entry.quarantine_table.as_str(),
    );
    let mut stmts = Vec::new();
    if d == Dialect::Postgres {
        if schema.is_some_and(|sc| sc.tables.contains_key(qt)) {
            return Err(conflict(
                entry,
                format!("{s}.{qt} exists; it is in the way of the move back"),
            ));
        }
        stmts.push(Postgres.set_schema(qs, qt, s));
    }
    if qt != t {
        stmts.push(w.rename_table(s, qt, t));
    }
    stmts.push(q::catalog_delete(d, s, qs, qt, None));
    let note = String::from("; its indexes and keys keep their quarantine names");
    Ok(("restore table", stmts, note))
}
