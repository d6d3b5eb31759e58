//! The SQLite writer, and the statements only SQLite has: `CREATE TABLE`
//! with named table-level foreign keys, the pragmas and `BEGIN IMMEDIATE`
//! of a fix, and the triggers a table rebuild sets aside.
//!
//! SQLite changes keys and constraints by rebuilding the table (the
//! planner's `tables` module): the statements that would alter them in place are
//! refused here. It has no conditional execution, so the guarded script
//! runs its statements as they are.

use driftless_model::{Dialect, Table};
use sea_query::SqliteQueryBuilder;

use super::tables::{elements, CreateTable, NewTable};
use super::{unsupported, Commented, Constraint, Writer};
use crate::guard::Cond;
use crate::plan::PlanError;
use crate::quote::ident;

const D: Dialect = Dialect::Sqlite;

/// Writes SQLite.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sqlite;

impl Writer for Sqlite {
    fn dialect(&self) -> Dialect {
        D
    }

    /// sea-query's, unless the table has inline foreign keys of more than
    /// one column, which sea-query cannot name: then a plain statement of
    /// sea-query's elements and the named keys.
    fn create_table(
        &self,
        schema: &str,
        name: &str,
        table: &Table,
        opts: CreateTable<'_>,
    ) -> Result<String, PlanError> {
        let new = NewTable::new(D, schema, name, table, opts)?;
        Ok(if new.foreign_keys.is_empty() {
            new.render()
        } else {
            new.plain(&elements(&SqliteQueryBuilder, &new))
        })
    }

    /// Refused: SQLite rebuilds the table instead.
    fn alter_constraint(
        &self,
        schema: &str,
        table: &str,
        change: Constraint<'_>,
    ) -> Result<String, PlanError> {
        let kind = change.kind();
        let verb = if change.adds() { "add" } else { "drop" };
        Err(unsupported(
            D,
            format!("{kind} {} on {schema}.{table}", change.name()),
            &format!("{verb} a {kind} in place (the table is rebuilt)"),
        ))
    }

    fn comment(&self, on: Commented<'_>, _text: Option<&str>) -> Result<String, PlanError> {
        Err(unsupported(D, on.object(), "store comments"))
    }

    /// The statements as they are: SQLite cannot branch.
    fn guarded(&self, _cond: &Cond, stmts: &[String]) -> Vec<String> {
        stmts.to_vec()
    }
}

/// A fix: its pragmas, its transaction, the triggers of a rebuild.
impl Sqlite {
    /// `PRAGMA busy_timeout`, in milliseconds (0: do not wait).
    pub(crate) fn busy_timeout(&self, ms: u128) -> String {
        format!("PRAGMA busy_timeout = {ms}")
    }

    /// `PRAGMA foreign_keys = ON | OFF` (only outside a transaction: table
    /// rebuilds run with foreign keys off).
    pub(crate) fn foreign_keys(&self, on: bool) -> &'static str {
        if on {
            "PRAGMA foreign_keys = ON"
        } else {
            "PRAGMA foreign_keys = OFF"
        }
    }

    /// `PRAGMA foreign_key_check`: the rows whose foreign keys do not match.
    pub(crate) fn foreign_key_check(&self) -> &'static str {
        "PRAGMA foreign_key_check"
    }

    /// `BEGIN IMMEDIATE`: the write lock taken at once.
    pub(crate) fn begin_immediate(&self) -> &'static str {
        "BEGIN IMMEDIATE"
    }

    /// The triggers: `name, tbl_name, sql` rows, by name.
    pub(crate) fn triggers(&self) -> &'static str {
        "SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'trigger' AND sql IS NOT NULL ORDER BY name"
    }

    /// `DROP TRIGGER`.
    pub(crate) fn drop_trigger(&self, name: &str) -> String {
        format!("DROP TRIGGER {}", ident(D, name))
    }
}
