//! The one home of SQL text: every statement a plan, its guarded script and
//! `apply` send is written here, by one writer per dialect behind the
//! [`Writer`] interface ([`writer`] picks it), plus the statements only one
//! dialect has, on that dialect's writer ([`Postgres`], [`Mysql`],
//! [`Sqlite`]).
//!
//! sea-query writes the statements it expresses exactly: `CREATE TABLE`
//! (columns, keys, unique constraints, checks, MySQL's table comment),
//! column additions, drops, renames and definitions (`MODIFY COLUMN`,
//! PostgreSQL's type, nullability and default changes), `CREATE INDEX`
//! with its partial-index `WHERE`, `DROP INDEX`, foreign keys that are not
//! `DEFERRABLE`, dropped constraints, and PostgreSQL's enum types. Plain
//! builders write the rest, quoting every name and literal with
//! `crate::quote` (one identifier quoting and one literal quoting per
//! dialect): a table without columns (`()`), SQLite's named table-level
//! foreign keys, `DEFERRABLE`, indexes sea-query cannot spell (`NULLS
//! FIRST`, per-part collations, and every MySQL index: sea-query names no
//! database there), keys and constraints added to existing tables,
//! identity and generation changes, sequences, schemas, views, comments,
//! the preflight's counts, the script's guards, and the transaction, lock
//! and timeout statements. Nothing sea-query wrote is edited afterwards: a
//! plain builder writes a whole statement, at most from elements sea-query
//! rendered on their own (the column definitions, keys and checks of a
//! SQLite table with named foreign keys).
//!
//! The ledger writer is here too: `ledger` writes the rows that record a
//! migration as applied exactly as each tool writes them
//! ([`record_statements`](crate::record_statements)).
//!
//! The quarantine's statements are here too: `quarantine` writes the
//! catalog, the tables keeping an orphan column's values by primary key,
//! and the copies out and back.
//!
//! Modules: `fragment` (SQL taken from a snapshot, checked), `columns`,
//! `tables` (and views), `indexes`, `keys`, `rows` (the builders the
//! writers share, given the dialect), then the writers `postgres`,
//! `mysql`, `sqlite`.

use driftless_model::{
    Check as CheckDef, Column, Dialect, Exclusion, ForeignKey, Index, PrimaryKey, Table,
    UniqueConstraint, View,
};

use crate::guard::Cond;
use crate::plan::PlanError;
use crate::types::Rows;

/// Renders a sea-query schema statement for a dialect.
macro_rules! build {
    ($dialect:expr, $stmt:expr) => {
        match $dialect {
            Dialect::Postgres => $stmt.to_string(sea_query::PostgresQueryBuilder),
            Dialect::Mysql => $stmt.to_string(sea_query::MysqlQueryBuilder),
            Dialect::Sqlite => $stmt.to_string(sea_query::SqliteQueryBuilder),
        }
    };
}

mod columns;
pub(crate) mod defined;
mod fragment;
mod indexes;
mod keys;
mod ledger;
mod ledger_ddl;
mod mysql;
pub(crate) mod online;
mod postgres;
pub(crate) mod quarantine;
mod rows;
mod sqlite;
mod tables;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;

pub use ledger::{
    ledger_copy_statements, quarantine_ledger_row, record_statements, record_statements_guarded,
    resolve_failed_statements, update_checksum_statements, RecordError, LEDGER_QUARANTINE_TABLE,
};
pub(crate) use ledger_ddl::also_when;
pub use ledger_ddl::{create_ledger_statements, effects_condition};
pub(crate) use mysql::Mysql;
pub(crate) use postgres::Postgres;
pub(crate) use sqlite::Sqlite;
pub(crate) use tables::CreateTable;

/// The writer of `dialect`.
pub(crate) fn writer(dialect: Dialect) -> &'static dyn Writer {
    match dialect {
        Dialect::Postgres => &Postgres,
        Dialect::Mysql => &Mysql,
        Dialect::Sqlite => &Sqlite,
    }
}

/// What a `COMMENT` is set on.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Commented<'a> {
    Schema(&'a str),
    /// `(schema, table)`.
    Table(&'a str, &'a str),
    /// `(schema, table, column)`.
    Column(&'a str, &'a str, &'a str),
    /// An enum or other type: `(schema, name)`.
    Type(&'a str, &'a str),
    /// A view, materialized or not.
    View {
        schema: &'a str,
        name: &'a str,
        materialized: bool,
    },
    /// An index: `(schema, name)`.
    Index(&'a str, &'a str),
    /// A key or constraint of a table: `(schema, table, name)`.
    Constraint(&'a str, &'a str, &'a str),
    /// A sequence: `(schema, name)`.
    Sequence(&'a str, &'a str),
}

impl Commented<'_> {
    /// The object, for messages.
    fn object(&self) -> String {
        match *self {
            Commented::Schema(s) => format!("schema {s}"),
            Commented::Table(s, t) => format!("table {s}.{t}"),
            Commented::Column(s, t, c) => format!("column {s}.{t}.{c}"),
            Commented::Type(s, n) => format!("type {s}.{n}"),
            Commented::View { schema, name, .. } => format!("view {schema}.{name}"),
            Commented::Index(s, n) => format!("index {s}.{n}"),
            Commented::Constraint(s, t, n) => format!("constraint {n} on {s}.{t}"),
            Commented::Sequence(s, n) => format!("sequence {s}.{n}"),
        }
    }
}

/// A key or constraint added to an existing table, or dropped from one:
/// `(name, definition)`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Constraint<'a> {
    AddPrimaryKey(&'a PrimaryKey),
    DropPrimaryKey(&'a PrimaryKey),
    AddUnique(&'a str, &'a UniqueConstraint),
    DropUnique(&'a str),
    AddCheck(&'a str, &'a CheckDef),
    DropCheck(&'a str),
    AddForeignKey(&'a str, &'a ForeignKey),
    DropForeignKey(&'a str),
    /// An exclusion constraint (PostgreSQL).
    AddExclusion(&'a str, &'a Exclusion),
    DropExclusion(&'a str),
}

impl Constraint<'_> {
    /// The constraint's name.
    fn name(&self) -> &str {
        match *self {
            Constraint::AddPrimaryKey(pk) | Constraint::DropPrimaryKey(pk) => &pk.name,
            Constraint::AddUnique(n, _)
            | Constraint::DropUnique(n)
            | Constraint::AddCheck(n, _)
            | Constraint::DropCheck(n)
            | Constraint::AddForeignKey(n, _)
            | Constraint::DropForeignKey(n)
            | Constraint::AddExclusion(n, _)
            | Constraint::DropExclusion(n) => n,
        }
    }

    /// What it is, for messages.
    fn kind(&self) -> &'static str {
        match self {
            Constraint::AddPrimaryKey(_) | Constraint::DropPrimaryKey(_) => "primary key",
            Constraint::AddUnique(..) | Constraint::DropUnique(_) => "unique constraint",
            Constraint::AddCheck(..) | Constraint::DropCheck(_) => "check constraint",
            Constraint::AddForeignKey(..) | Constraint::DropForeignKey(_) => "foreign key",
            Constraint::AddExclusion(..) | Constraint::DropExclusion(_) => "exclusion constraint",
        }
    }

    /// Whether the change adds the constraint.
    fn adds(&self) -> bool {
        matches!(
            self,
            Constraint::AddPrimaryKey(_)
                | Constraint::AddUnique(..)
                | Constraint::AddCheck(..)
                | Constraint::AddForeignKey(..)
                | Constraint::AddExclusion(..)
        )
    }
}

/// The refusal of a statement `dialect` has no form of.
fn unsupported(dialect: Dialect, object: String, what: &str) -> PlanError {
    PlanError::Unsupported {
        object,
        reason: format!("{dialect} cannot {what}"),
    }
}

/// The statements every dialect writes, each in its own way. Table parts
/// are named by `schema` and `table` as the snapshot names them; the writer
/// qualifies them as its dialect needs (SQLite: bare names).
pub(crate) trait Writer: Sync {
    /// The dialect written.
    fn dialect(&self) -> Dialect;

    /// `CREATE TABLE` for `table` named `schema.name`.
    fn create_table(
        &self,
        schema: &str,
        name: &str,
        table: &Table,
        opts: CreateTable<'_>,
    ) -> Result<String, PlanError> {
        tables::create_table(self.dialect(), schema, name, table, opts)
    }

    /// `DROP TABLE [IF EXISTS]`.
    fn drop_table(&self, schema: &str, table: &str, if_exists: bool) -> String {
        tables::drop_table(self.dialect(), schema, table, if_exists)
    }

    /// Renames a table within its schema.
    fn rename_table(&self, schema: &str, from: &str, to: &str) -> String {
        tables::rename_table(self.dialect(), schema, from, to)
    }

    /// `INSERT INTO to (targets) SELECT sources FROM from`: the rows of one
    /// table copied into another, `columns` as `(target, source)` pairs.
    fn copy_rows(
        &self,
        schema: &str,
        from: &str,
        to: &str,
        columns: &[(&str, &str)],
        values: &[(&str, &str)],
    ) -> Result<String, PlanError> {
        tables::copy_rows(self.dialect(), schema, from, to, columns, values)
    }

    /// `ALTER TABLE … ADD COLUMN` (`if_not_exists` where the dialect has it).
    fn add_column(
        &self,
        schema: &str,
        table: &str,
        name: &str,
        col: &Column,
        if_not_exists: bool,
    ) -> Result<String, PlanError> {
        columns::add_column(self.dialect(), schema, table, name, col, if_not_exists)
    }

    /// `ALTER TABLE … DROP COLUMN` (`if_exists` where the dialect has it).
    fn drop_column(&self, schema: &str, table: &str, name: &str, if_exists: bool) -> String {
        columns::drop_column(self.dialect(), schema, table, name, if_exists)
    }

    /// `ALTER TABLE … RENAME COLUMN … TO …`.
    fn rename_column(&self, schema: &str, table: &str, from: &str, to: &str) -> String {
        columns::rename_column(self.dialect(), schema, table, from, to)
    }

    /// `CREATE [UNIQUE] INDEX [IF NOT EXISTS]`.
    fn create_index(
        &self,
        schema: &str,
        table: &str,
        name: &str,
        index: &Index,
        if_not_exists: bool,
    ) -> Result<String, PlanError> {
        indexes::create_index(self.dialect(), schema, table, name, index, if_not_exists)
    }

    /// `DROP INDEX [IF EXISTS]`.
    fn drop_index(&self, schema: &str, table: &str, name: &str, if_exists: bool) -> String {
        indexes::drop_index(self.dialect(), schema, table, name, if_exists)
    }

    /// Adds a key or constraint to an existing table, or drops one.
    fn alter_constraint(
        &self,
        schema: &str,
        table: &str,
        change: Constraint<'_>,
    ) -> Result<String, PlanError>;

    /// `CREATE [MATERIALIZED] VIEW`; `if_not_exists`: the script's form
    /// (`CREATE OR REPLACE` where `IF NOT EXISTS` is missing).
    fn create_view(
        &self,
        schema: &str,
        name: &str,
        view: &View,
        if_not_exists: bool,
    ) -> Result<String, PlanError> {
        tables::create_view(self.dialect(), schema, name, view, if_not_exists)
    }

    /// `DROP [MATERIALIZED] VIEW [IF EXISTS]`.
    fn drop_view(&self, schema: &str, name: &str, materialized: bool, if_exists: bool) -> String {
        tables::drop_view(self.dialect(), schema, name, materialized, if_exists)
    }

    /// Sets (or, with `None`, removes) the comment of an object.
    fn comment(&self, on: Commented<'_>, text: Option<&str>) -> Result<String, PlanError>;

    /// `SELECT COUNT(*)` of a table's rows, or of those rows whose column
    /// (`filter`) matches [`Rows`]: what a preflight check counts.
    fn count_rows(&self, schema: &str, table: &str, filter: Option<(&str, &Rows)>) -> String {
        rows::count_rows(self.dialect(), schema, table, filter)
    }

    /// The statements that run `stmts` only while `cond` holds in the
    /// catalog (the guarded script's form); unguarded where the dialect
    /// cannot branch (SQLite).
    fn guarded(&self, cond: &Cond, stmts: &[String]) -> Vec<String>;

    /// A statement that does nothing (for a migration file that must not
    /// be empty).
    fn nothing(&self) -> &'static str {
        "SELECT 1"
    }

    /// `BEGIN` (a deferred transaction).
    fn begin(&self) -> &'static str {
        "BEGIN"
    }

    /// `COMMIT`.
    fn commit(&self) -> &'static str {
        "COMMIT"
    }

    /// `ROLLBACK`.
    fn rollback(&self) -> &'static str {
        "ROLLBACK"
    }
}
