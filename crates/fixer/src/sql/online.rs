//! The statements of online strategies and of the non-atomic apply:
//! PostgreSQL concurrent index builds, `NOT VALID` constraints and their
//! validation, the session's settings and advisory lock; MySQL/MariaDB
//! `ALGORITHM=` / `LOCK=` clauses; batched backfills.

use driftless_model::Dialect;

use super::fragment::{fragment, FragmentKind};
use super::Postgres;
use crate::plan::PlanError;
use crate::quote::{ident, qualified};

const D: Dialect = Dialect::Postgres;

/// Rows one backfill batch updates.
pub(crate) const BACKFILL_BATCH: u32 = 10_000;

impl Postgres {
    /// `CREATE [UNIQUE] INDEX …` built without blocking writes: `CREATE
    /// [UNIQUE] INDEX CONCURRENTLY …` (`create` is a statement of
    /// [`Writer::create_index`](super::Writer::create_index)).
    pub(crate) fn concurrently(&self, create: &str) -> String {
        match create.find(" INDEX ") {
            Some(at) => format!("{} INDEX CONCURRENTLY {}", &create[..at], &create[at + 7..]),
            None => create.to_string(),
        }
    }

    /// `DROP INDEX CONCURRENTLY IF EXISTS s.n`: the INVALID index an
    /// interrupted concurrent build leaves (introspection does not count
    /// one as present), dropped without blocking writes.
    pub(crate) fn drop_index_concurrently(&self, schema: &str, name: &str) -> String {
        format!(
            "DROP INDEX CONCURRENTLY IF EXISTS {}",
            qualified(D, schema, name)
        )
    }

    /// `add` (an `ALTER TABLE … ADD CONSTRAINT … CHECK|FOREIGN KEY`)
    /// without checking the existing rows.
    pub(crate) fn not_valid(&self, add: &str) -> String {
        format!("{add} NOT VALID")
    }

    /// `ALTER TABLE … DROP CONSTRAINT IF EXISTS`: a `NOT VALID` constraint
    /// an interrupted fix left (introspection does not count one as
    /// present).
    pub(crate) fn drop_constraint_if_exists(
        &self,
        schema: &str,
        table: &str,
        name: &str,
    ) -> String {
        format!(
            "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}",
            qualified(D, schema, table),
            ident(D, name)
        )
    }

    /// `ALTER TABLE … VALIDATE CONSTRAINT`: checks the existing rows
    /// under a lock that lets reads and writes go on.
    pub(crate) fn validate_constraint(&self, schema: &str, table: &str, name: &str) -> String {
        format!(
            "ALTER TABLE {} VALIDATE CONSTRAINT {}",
            qualified(D, schema, table),
            ident(D, name)
        )
    }

    /// `ALTER TABLE … ADD CONSTRAINT … CHECK (c IS NOT NULL) NOT VALID`.
    pub(crate) fn not_null_check(&self, schema: &str, table: &str, name: &str, c: &str) -> String {
        format!(
            "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} IS NOT NULL) NOT VALID",
            qualified(D, schema, table),
            ident(D, name),
            ident(D, c)
        )
    }

    /// `CREATE UNIQUE INDEX CONCURRENTLY n ON t (cols)`.
    pub(crate) fn unique_index_concurrently(
        &self,
        schema: &str,
        table: &str,
        name: &str,
        columns: &[String],
    ) -> String {
        format!(
            "CREATE UNIQUE INDEX CONCURRENTLY {} ON {} ({})",
            ident(D, name),
            qualified(D, schema, table),
            super::indexes::idents(D, columns)
        )
    }

    /// `ALTER TABLE … ADD CONSTRAINT n UNIQUE USING INDEX n`: the unique
    /// constraint from an index built already (instant).
    pub(crate) fn unique_using_index(&self, schema: &str, table: &str, name: &str) -> String {
        format!(
            "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {}",
            qualified(D, schema, table),
            ident(D, name),
            ident(D, name)
        )
    }

    /// `SET lock_timeout` for the session (the non-atomic apply).
    pub(crate) fn set_session_lock_timeout(&self, ms: u128) -> String {
        format!("SET lock_timeout = '{ms}ms'")
    }

    /// `SET statement_timeout` for the session (0: no limit).
    pub(crate) fn set_session_statement_timeout(&self, ms: u128) -> String {
        format!("SET statement_timeout = '{ms}ms'")
    }

    /// `SET standard_conforming_strings = on` for the session.
    pub(crate) fn session_standard_conforming_strings(&self) -> &'static str {
        "SET standard_conforming_strings = on"
    }

    /// `SELECT pg_advisory_lock(key)`: held by the session until released.
    pub(crate) fn advisory_session_lock(&self, key: i64) -> String {
        format!("SELECT pg_advisory_lock({key})")
    }

    /// `SELECT pg_advisory_unlock(key)`.
    pub(crate) fn advisory_unlock(&self, key: i64) -> String {
        format!("SELECT pg_advisory_unlock({key})")
    }

    /// `RESET lock_timeout; RESET statement_timeout`, after a non-atomic apply.
    pub(crate) fn reset_timeouts(&self) -> &'static str {
        "RESET lock_timeout; RESET statement_timeout"
    }
}

/// One batch of a backfill: at most [`BACKFILL_BATCH`] rows of `s.t`
/// whose `c` is NULL get `value` (an expression: the column's expected
/// default). The apply runs it until it changes no row.
pub(crate) fn backfill_batch(
    d: Dialect,
    s: &str,
    t: &str,
    c: &str,
    value: &str,
) -> Result<String, PlanError> {
    let object = format!("default of {s}.{t}.{c}");
    let v = fragment(d, FragmentKind::Expression, &object, value)?;
    let (table, col) = (qualified(d, s, t), ident(d, c));
    Ok(match d {
        Dialect::Postgres => format!(
            "UPDATE {table} SET {col} = ({v}) WHERE ctid IN (SELECT ctid FROM {table} WHERE {col} IS NULL LIMIT {BACKFILL_BATCH})"
        ),
        Dialect::Mysql => format!(
            "UPDATE {table} SET {col} = ({v}) WHERE {col} IS NULL LIMIT {BACKFILL_BATCH}"
        ),
        // SQLite always repairs in one transaction that locks the whole
        // database, so batches would gain nothing; and a WITHOUT ROWID
        // table has no rowid to batch by.
        Dialect::Sqlite => format!("UPDATE {table} SET {col} = ({v}) WHERE {col} IS NULL"),
    })
}

/// The MySQL/MariaDB forms of an `ALTER TABLE` to try, in order: in
/// place without copying (`ALGORITHM=INSTANT`), in place with writes going
/// on (`ALGORITHM=INPLACE, LOCK=NONE`). Other statements have none.
pub(crate) fn mysql_online_forms(stmt: &str) -> Vec<String> {
    let alter = stmt
        .get(..12)
        .is_some_and(|h| h.eq_ignore_ascii_case("ALTER TABLE "));
    if !alter {
        return Vec::new();
    }
    vec![
        format!("{stmt}, ALGORITHM=INSTANT"),
        format!("{stmt}, ALGORITHM=INPLACE, LOCK=NONE"),
    ]
}
