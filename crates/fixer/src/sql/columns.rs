//! Column definitions (sea-query's [`ColumnDef`]) and the column statements
//! every dialect has: add, drop, rename.

use driftless_model::{Column, Dialect, Identity};
use sea_query::{Alias, ColumnDef, ColumnType, Expr, IntoIden, Keyword, Table as SqTable};

use super::fragment::{fragment, FragmentKind};
use crate::plan::PlanError;
use crate::quote::{ident, sq_iden, sq_table};

/// How a column definition is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ColumnUse {
    /// Inside CREATE TABLE.
    Create,
    /// ALTER TABLE … ADD COLUMN.
    Add,
    /// MySQL MODIFY COLUMN (the full definition).
    Modify,
}

/// `column …` in error messages.
pub(super) fn column_object(schema: &str, table: &str, name: &str) -> String {
    format!("column {schema}.{table}.{name}")
}

/// Whether `col` is a SQLite column declared without a type (SQLite alone
/// allows one; its type is then empty).
fn untyped(dialect: Dialect, col: &Column) -> bool {
    dialect == Dialect::Sqlite && col.data_type.trim().is_empty()
}

/// The type spelling including a collation clause when the column has one;
/// on SQLite, empty for a column declared without a type (and only the
/// collation clause when it has one).
pub(super) fn type_with_collation(
    dialect: Dialect,
    object: &str,
    col: &Column,
) -> Result<String, PlanError> {
    let ty = if untyped(dialect, col) {
        std::borrow::Cow::Borrowed("")
    } else {
        fragment(dialect, FragmentKind::Type, object, &col.data_type)?
    };
    let spelled = match (&col.collation, dialect) {
        (Some(c), Dialect::Postgres) => format!("{ty} COLLATE {}", collation_name(dialect, c)),
        (Some(c), Dialect::Mysql | Dialect::Sqlite) => {
            format!("{ty} COLLATE {}", ident(dialect, c))
        }
        (None, _) => ty.to_string(),
    };
    Ok(spelled.trim_start().to_string())
}

/// A collation, quoted; it may come schema-qualified (PostgreSQL's
/// `pg_catalog."C"`) or bare.
pub(super) fn collation_name(dialect: Dialect, c: &str) -> String {
    match crate::types::split_pg_type_name(c) {
        Some((Some(schema), name)) => {
            format!("{}.{}", ident(dialect, &schema), ident(dialect, &name))
        }
        Some((None, name)) => ident(dialect, &name),
        None => ident(dialect, c),
    }
}

/// A default or other keyword-like expression for sea-query, written as is.
pub(super) fn verbatim(text: &str) -> Expr {
    Expr::Keyword(Keyword::Custom(Alias::new(text).into_iden()))
}

/// A sea-query column definition of `col`; `inline_pk_autoincrement`:
/// SQLite's `PRIMARY KEY AUTOINCREMENT` on the column.
pub(super) fn column_def(
    dialect: Dialect,
    object: &str,
    name: &str,
    col: &Column,
    usage: ColumnUse,
    inline_pk_autoincrement: bool,
) -> Result<ColumnDef, PlanError> {
    let ty = type_with_collation(dialect, object, col)?;
    let mut def = if ty.is_empty() {
        ColumnDef::new(sq_iden(name))
    } else {
        ColumnDef::new_with_type(sq_iden(name), ColumnType::custom(Alias::new(ty)))
    };
    let generated = col.generated.is_some();
    // MySQL/MariaDB take no NULL/NOT NULL on generated columns in all versions.
    if !(generated && dialect == Dialect::Mysql) {
        if col.nullable {
            if dialect == Dialect::Mysql || usage == ColumnUse::Modify {
                def.null();
            }
        } else {
            def.not_null();
        }
    }
    if let Some(d) = &col.default {
        if !generated
            && col
                .identity
                .is_none_or(|i| i == Identity::AutoIncrement && dialect != Dialect::Postgres)
        {
            let d = fragment(dialect, FragmentKind::Default, object, d)?;
            def.default(verbatim(&d));
        }
    }
    if let (Some(u), Dialect::Mysql) = (&col.on_update, dialect) {
        let u = fragment(dialect, FragmentKind::Default, object, u)?;
        def.extra(format!("ON UPDATE {u}"));
    }
    if let Some(g) = &col.generated {
        let e = fragment(dialect, FragmentKind::Expression, object, &g.expression)?;
        // PostgreSQL 15 has stored generated columns only.
        let stored = g.stored || dialect == Dialect::Postgres;
        def.generated(Expr::cust(e.to_string()), stored);
    }
    match (col.identity, dialect) {
        (Some(i), Dialect::Postgres) => {
            def.extra(super::postgres::identity_clause(
                i,
                col.identity_options.as_ref(),
            ));
        }
        (Some(_), Dialect::Mysql) => {
            def.auto_increment();
        }
        (Some(_), Dialect::Sqlite) if inline_pk_autoincrement => {
            def.primary_key().auto_increment();
        }
        _ => {}
    }
    if dialect == Dialect::Mysql && col.invisible {
        def.extra("INVISIBLE");
    }
    if dialect == Dialect::Mysql {
        if let Some(c) = &col.comment {
            def.comment(c.replace('\0', ""));
        }
    }
    Ok(def)
}

/// `ALTER TABLE … ADD COLUMN` (PostgreSQL: `IF NOT EXISTS` on request).
pub(super) fn add_column(
    dialect: Dialect,
    schema: &str,
    table: &str,
    name: &str,
    col: &Column,
    if_not_exists: bool,
) -> Result<String, PlanError> {
    let object = column_object(schema, table, name);
    let def = column_def(dialect, &object, name, col, ColumnUse::Add, false)?;
    let mut a = SqTable::alter();
    a.table(sq_table(dialect, schema, table));
    if if_not_exists && dialect == Dialect::Postgres {
        a.add_column_if_not_exists(def);
    } else {
        a.add_column(def);
    }
    Ok(build!(dialect, a))
}

/// `ALTER TABLE … DROP COLUMN` (PostgreSQL: `IF EXISTS` on request).
pub(super) fn drop_column(
    dialect: Dialect,
    schema: &str,
    table: &str,
    name: &str,
    if_exists: bool,
) -> String {
    let mut a = SqTable::alter();
    a.table(sq_table(dialect, schema, table));
    if if_exists && dialect == Dialect::Postgres {
        a.drop_column_if_exists(sq_iden(name));
    } else {
        a.drop_column(sq_iden(name));
    }
    build!(dialect, a)
}

/// `ALTER TABLE … RENAME COLUMN … TO …`.
pub(super) fn rename_column(
    dialect: Dialect,
    schema: &str,
    table: &str,
    from: &str,
    to: &str,
) -> String {
    let mut a = SqTable::alter();
    a.table(sq_table(dialect, schema, table))
        .rename_column(sq_iden(from), sq_iden(to));
    build!(dialect, a)
}

/// MySQL `ALTER TABLE … MODIFY COLUMN` with the full definition; with
/// `replace`, `ALTER TABLE … DROP COLUMN c, ADD COLUMN c …` in one
/// statement instead: the change of a column to or from generated, or
/// between VIRTUAL and STORED, which `MODIFY COLUMN` refuses.
pub(super) fn modify_column(
    dialect: Dialect,
    schema: &str,
    table: &str,
    name: &str,
    col: &Column,
    replace: bool,
) -> Result<String, PlanError> {
    let object = column_object(schema, table, name);
    let usage = if replace {
        ColumnUse::Add
    } else {
        ColumnUse::Modify
    };
    let def = column_def(dialect, &object, name, col, usage, false)?;
    let mut a = SqTable::alter();
    a.table(sq_table(dialect, schema, table));
    if replace {
        a.drop_column(sq_iden(name)).add_column(def);
    } else {
        a.modify_column(def);
    }
    Ok(build!(dialect, a))
}
