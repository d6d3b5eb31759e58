//! The MySQL/MariaDB writer, and the statements only it has: `MODIFY
//! COLUMN`, the table comment, the prepared statements of the guarded
//! script, and the session's settings and `GET_LOCK`s.
//!
//! Every table is named with its database: a statement must not depend on
//! the connection's default database. Where sea-query writes bare table
//! names (indexes, foreign keys) the statements are plain.

use driftless_model::{collation_charset, Column, Dialect, PrimaryKey};

use super::indexes::{drop_index, idents};
use super::{columns, keys, unsupported, Commented, Constraint, Writer};
use crate::guard::Cond;
use crate::plan::PlanError;
use crate::quote::{ident, literal, qualified};

const D: Dialect = Dialect::Mysql;

/// Writes MySQL and MariaDB.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mysql;

impl Writer for Mysql {
    fn dialect(&self) -> Dialect {
        D
    }

    /// Unique constraints are indexes to MySQL; foreign keys are written
    /// plainly (sea-query would not name the referenced table's database).
    fn alter_constraint(
        &self,
        schema: &str,
        table: &str,
        change: Constraint<'_>,
    ) -> Result<String, PlanError> {
        let t = qualified(D, schema, table);
        Ok(match change {
            Constraint::AddPrimaryKey(pk) => format!("ALTER TABLE {t} ADD {}", primary_key(pk)),
            Constraint::DropPrimaryKey(_) => format!("ALTER TABLE {t} DROP PRIMARY KEY"),
            Constraint::AddUnique(name, unique) => format!(
                "CREATE UNIQUE INDEX {} ON {t} ({})",
                ident(D, name),
                idents(D, &unique.columns)
            ),
            Constraint::DropUnique(name) => drop_index(D, schema, table, name, false),
            Constraint::AddCheck(name, check) => keys::add_check(D, schema, table, name, check)?,
            Constraint::DropCheck(name) => keys::drop_constraint(D, schema, table, name),
            Constraint::AddForeignKey(name, fk) => {
                keys::add_foreign_key(D, schema, table, name, fk)
            }
            Constraint::DropForeignKey(name) => {
                format!("ALTER TABLE {t} DROP FOREIGN KEY {}", ident(D, name))
            }
            Constraint::AddExclusion(name, _) | Constraint::DropExclusion(name) => {
                return Err(super::unsupported(
                    D,
                    format!("exclusion constraint {name} on {schema}.{table}"),
                    "have exclusion constraints",
                ))
            }
        })
    }

    /// The table comment (`ALTER TABLE … COMMENT = '…'`, empty to remove);
    /// a column's comment is part of its definition ([`Mysql::modify_column`]).
    fn comment(&self, on: Commented<'_>, text: Option<&str>) -> Result<String, PlanError> {
        match on {
            Commented::Table(schema, table) => Ok(format!(
                "ALTER TABLE {} COMMENT = {}",
                qualified(D, schema, table),
                literal(D, text.unwrap_or(""))
            )),
            other => Err(unsupported(
                D,
                other.object(),
                "set this comment apart from the definition",
            )),
        }
    }

    /// `SET @driftless_run = (condition)`, then each statement through a
    /// prepared statement chosen by `IF(@driftless_run, statement, 'DO 0')`.
    fn guarded(&self, cond: &Cond, stmts: &[String]) -> Vec<String> {
        let Some(c) = probe(cond) else {
            return stmts.to_vec();
        };
        let mut out = vec![format!("SET @driftless_run = ({c})")];
        for s in stmts {
            out.push(format!(
                "SET @driftless_sql = IF(@driftless_run, {}, 'DO 0')",
                literal(D, s)
            ));
            out.push("PREPARE driftless_stmt FROM @driftless_sql".into());
            out.push("EXECUTE driftless_stmt".into());
            out.push("DEALLOCATE PREPARE driftless_stmt".into());
        }
        out
    }
}

/// The catalog condition as a boolean expression on `information_schema`,
/// which names the database (the guard does not depend on the
/// connection's default database); `None` for conditions MySQL has no
/// catalog for.
fn probe(cond: &Cond) -> Option<String> {
    let lit = |s: &str| literal(D, s);
    Some(match cond {
        Cond::Not(c) => format!("NOT ({})", probe(c)?),
        Cond::And(a, b) => format!("({}) AND ({})", probe(a)?, probe(b)?),
        Cond::Relation { schema, name } => format!(
            "EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = {} AND table_name = {})",
            lit(schema),
            lit(name)
        ),
        Cond::Column { schema, table, column } => format!(
            "EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = {} AND table_name = {} AND column_name = {})",
            lit(schema),
            lit(table),
            lit(column)
        ),
        Cond::Index { schema, table, name } => format!(
            "EXISTS (SELECT 1 FROM information_schema.statistics WHERE table_schema = {} AND table_name = {} AND index_name = {})",
            lit(schema),
            lit(table),
            lit(name)
        ),
        Cond::Constraint { schema, table, name } => format!(
            "EXISTS (SELECT 1 FROM information_schema.table_constraints WHERE constraint_schema = {} AND table_name = {} AND constraint_name = {})",
            lit(schema),
            lit(table),
            lit(name)
        ),
        Cond::Type { .. } | Cond::EnumLabelsDiffer { .. } | Cond::Identity { .. } => return None,
    })
}

/// A `KEY_BLOCK_SIZE` value: its digits (`0`, the default, for none).
fn key_block_size(size: Option<&str>) -> String {
    let digits: String = size
        .unwrap_or("0")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    if digits.is_empty() {
        "0".into()
    } else {
        digits
    }
}

/// `PRIMARY KEY (…)`, with the key's comment.
fn primary_key(pk: &PrimaryKey) -> String {
    format!(
        "PRIMARY KEY ({}){}",
        idents(D, &pk.columns),
        keys::mysql_key_comment(pk.comment.as_deref())
    )
}

/// Columns.
impl Mysql {
    /// `ALTER TABLE … MODIFY COLUMN` with the full definition (with
    /// `replace`: dropped and added again, for a change of generation kind).
    pub(crate) fn modify_column(
        &self,
        schema: &str,
        table: &str,
        name: &str,
        col: &Column,
        replace: bool,
    ) -> Result<String, PlanError> {
        columns::modify_column(D, schema, table, name, col, replace)
    }

    /// `ALTER TABLE … ADD COLUMN …, ADD PRIMARY KEY (…)`: an
    /// auto-increment column added with the primary key it leads (the
    /// server refuses an auto-increment column that leads no key, and
    /// numbers the existing rows as it adds it).
    pub(crate) fn add_column_with_primary_key(
        &self,
        schema: &str,
        table: &str,
        (name, col): (&str, &Column),
        pk: &PrimaryKey,
    ) -> Result<String, PlanError> {
        let add = columns::add_column(D, schema, table, name, col, false)?;
        Ok(format!(
            "{add}, ADD PRIMARY KEY ({})",
            idents(D, &pk.columns)
        ))
    }

    /// `ALTER TABLE … DROP PRIMARY KEY, ADD PRIMARY KEY (…)`: the primary
    /// key replaced in one statement, so that the auto-increment column
    /// leading both is never without its key.
    pub(crate) fn replace_primary_key(&self, schema: &str, table: &str, pk: &PrimaryKey) -> String {
        format!(
            "ALTER TABLE {} DROP PRIMARY KEY, ADD {}",
            qualified(D, schema, table),
            primary_key(pk)
        )
    }

    /// `ALTER TABLE … MODIFY COLUMN …, DROP PRIMARY KEY`: the primary key
    /// dropped with the auto-increment of the column it alone keyed
    /// (`col`, its definition without it).
    pub(crate) fn drop_primary_key_unkeying(
        &self,
        schema: &str,
        table: &str,
        (name, col): (&str, &Column),
    ) -> Result<String, PlanError> {
        let modify = columns::modify_column(D, schema, table, name, col, false)?;
        Ok(format!("{modify}, DROP PRIMARY KEY"))
    }

    /// `ALTER TABLE … RENAME INDEX … TO …` (a unique key is an index).
    pub(crate) fn rename_index(&self, schema: &str, table: &str, from: &str, to: &str) -> String {
        format!(
            "ALTER TABLE {} RENAME INDEX {} TO {}",
            qualified(D, schema, table),
            ident(D, from),
            ident(D, to)
        )
    }

    /// Whether the optimizer ignores index `name`, changed in place.
    pub(crate) fn alter_index_ignored(
        &self,
        schema: &str,
        table: &str,
        name: &str,
        ignored: bool,
    ) -> String {
        super::indexes::alter_index_ignored(schema, table, name, ignored)
    }
}

/// The session of a fix: its settings and locks. DDL commits implicitly,
/// so there is no transaction.
impl Mysql {
    /// Table (metadata) and InnoDB row lock waits, in whole seconds.
    pub(crate) fn set_lock_wait_timeout(&self, seconds: u64) -> String {
        format!("SET SESSION lock_wait_timeout = {seconds}, innodb_lock_wait_timeout = {seconds}")
    }

    /// Clears `NO_BACKSLASH_ESCAPES` from the session's `sql_mode`:
    /// literals are written with backslash escapes.
    pub(crate) fn backslash_escapes(&self) -> &'static str {
        "SET SESSION sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '')"
    }

    /// `SELECT VERSION()` (MariaDB says so in it).
    pub(crate) fn version(&self) -> &'static str {
        "SELECT VERSION()"
    }

    /// MariaDB's `max_statement_time`, seconds as `0.500000` (0: no limit).
    pub(crate) fn set_max_statement_time(&self, seconds: &str) -> String {
        format!("SET SESSION max_statement_time = {seconds}")
    }

    /// `SELECT GET_LOCK('name', seconds)`: 1 granted, 0 timed out.
    pub(crate) fn get_lock(&self, name: &str, seconds: u64) -> String {
        format!("SELECT GET_LOCK({}, {seconds})", literal(D, name))
    }

    /// The script's form of [`Mysql::get_lock`]: fails with "Subquery
    /// returns more than 1 row" unless the lock is granted.
    pub(crate) fn get_lock_or_fail(&self, name: &str, seconds: u64) -> String {
        format!(
            "DO IF(GET_LOCK({}, {seconds}) = 1, 0, (SELECT 1 UNION ALL SELECT 2))",
            literal(D, name)
        )
    }

    /// `SELECT RELEASE_LOCK('name')`.
    pub(crate) fn release_lock(&self, name: &str) -> String {
        format!("SELECT RELEASE_LOCK({})", literal(D, name))
    }

    /// The script's form of [`Mysql::release_lock`].
    pub(crate) fn release_lock_quietly(&self, name: &str) -> String {
        format!("DO RELEASE_LOCK({})", literal(D, name))
    }
}

/// Table options ([`Table::options`](driftless_model::Table::options)):
/// storage engine, row format, character set and collation, partitioning.
impl Mysql {
    /// `ALTER TABLE … ENGINE = …`; a table without an engine of its own
    /// uses the default engine of MySQL and MariaDB, InnoDB.
    pub(crate) fn set_engine(&self, schema: &str, table: &str, engine: Option<&str>) -> String {
        format!(
            "ALTER TABLE {} ENGINE = {}",
            qualified(D, schema, table),
            ident(D, engine.unwrap_or("InnoDB"))
        )
    }

    /// `ALTER TABLE … ROW_FORMAT = …` (`DEFAULT` when none is given).
    pub(crate) fn set_row_format(&self, schema: &str, table: &str, format: Option<&str>) -> String {
        let format: String = format
            .unwrap_or("DEFAULT")
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        format!(
            "ALTER TABLE {} ROW_FORMAT = {format}",
            qualified(D, schema, table)
        )
    }

    /// `ALTER TABLE … KEY_BLOCK_SIZE = n` (`0`, the default, without one).
    pub(crate) fn set_key_block_size(
        &self,
        schema: &str,
        table: &str,
        size: Option<&str>,
    ) -> String {
        format!(
            "ALTER TABLE {} KEY_BLOCK_SIZE = {}",
            qualified(D, schema, table),
            key_block_size(size)
        )
    }

    /// The statements converting a table and its text columns to
    /// `collation` (and its character set); without one, to the default
    /// collation of the table's database, read when the statement runs
    /// (through a prepared statement: `CONVERT TO CHARACTER SET DEFAULT`
    /// would take the character set's own default collation instead).
    pub(crate) fn convert_to(
        &self,
        schema: &str,
        table: &str,
        charset: Option<&str>,
        collation: Option<&str>,
    ) -> Vec<String> {
        let t = qualified(D, schema, table);
        match collation {
            Some(c) => {
                let charset = charset.unwrap_or_else(|| collation_charset(c));
                vec![format!(
                    "ALTER TABLE {t} CONVERT TO CHARACTER SET {} COLLATE {}",
                    ident(D, charset),
                    ident(D, c)
                )]
            }
            None => vec![
                format!(
                    "SET @driftless_sql = (SELECT CONCAT({}, DEFAULT_CHARACTER_SET_NAME, ' COLLATE ', DEFAULT_COLLATION_NAME) \
                     FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = {})",
                    literal(D, &format!("ALTER TABLE {t} CONVERT TO CHARACTER SET ")),
                    literal(D, schema)
                ),
                "PREPARE driftless_stmt FROM @driftless_sql".into(),
                "EXECUTE driftless_stmt".into(),
                "DEALLOCATE PREPARE driftless_stmt".into(),
            ],
        }
    }

    /// The options a new table is created with, after its elements:
    /// ` ENGINE = … DEFAULT CHARSET = … COLLATE = … ROW_FORMAT = … PARTITION BY …`
    /// (each only when the table has it).
    pub(crate) fn create_options(
        &self,
        schema: &str,
        table: &str,
        options: &std::collections::BTreeMap<String, String>,
    ) -> Result<String, PlanError> {
        let mut out = String::new();
        if let Some(e) = options.get("engine") {
            out.push_str(&format!(" ENGINE = {}", ident(D, e)));
        }
        if let Some(c) = options.get("collation") {
            let charset = options
                .get("charset")
                .map_or_else(|| collation_charset(c), String::as_str);
            out.push_str(&format!(
                " DEFAULT CHARSET = {} COLLATE = {}",
                ident(D, charset),
                ident(D, c)
            ));
        }
        if let Some(f) = options.get("row_format") {
            let f: String = f.chars().filter(char::is_ascii_alphanumeric).collect();
            out.push_str(&format!(" ROW_FORMAT = {f}"));
        }
        if let Some(k) = options.get("key_block_size") {
            out.push_str(&format!(" KEY_BLOCK_SIZE = {}", key_block_size(Some(k))));
        }
        if let Some(p) = options.get("partition_by") {
            let object = format!("table {schema}.{table}");
            let p = super::fragment::fragment(
                D,
                super::fragment::FragmentKind::Partitioning,
                &object,
                p,
            )?;
            out.push(' ');
            out.push_str(&p);
        }
        Ok(out)
    }

    /// `ALTER TABLE … PARTITION BY …` (the clause as the reader prints
    /// it), or `… REMOVE PARTITIONING`.
    pub(crate) fn partition_by(
        &self,
        schema: &str,
        table: &str,
        clause: Option<&str>,
    ) -> Result<String, PlanError> {
        let t = qualified(D, schema, table);
        match clause {
            Some(c) => {
                let object = format!("table {schema}.{table}");
                let c = super::fragment::fragment(
                    D,
                    super::fragment::FragmentKind::Partitioning,
                    &object,
                    c,
                )?;
                Ok(format!("ALTER TABLE {t} {c}"))
            }
            None => Ok(format!("ALTER TABLE {t} REMOVE PARTITIONING")),
        }
    }
}
