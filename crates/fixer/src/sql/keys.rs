//! Keys and constraints: the primary key and unique constraints of a new
//! table (sea-query), foreign keys (sea-query without `DEFERRABLE`, a plain
//! builder with it and wherever sea-query cannot qualify the referenced
//! table), checks, and dropping a named constraint.

use driftless_model::{Check as CheckDef, Dialect, FkAction, ForeignKey, Table};
use sea_query::{
    ForeignKey as SqForeignKey, ForeignKeyAction, ForeignKeyCreateStatement, Index as SqIndex,
    IndexCreateStatement, Table as SqTable,
};

use super::fragment::{fragment, FragmentKind};
use super::indexes::idents;
use crate::plan::PlanError;
use crate::quote::{ident, literal, qualified, sq_iden, sq_raw_name, sq_table};

fn fk_action(a: FkAction) -> ForeignKeyAction {
    match a {
        FkAction::NoAction => ForeignKeyAction::NoAction,
        FkAction::Restrict => ForeignKeyAction::Restrict,
        FkAction::Cascade => ForeignKeyAction::Cascade,
        FkAction::SetNull => ForeignKeyAction::SetNull,
        FkAction::SetDefault => ForeignKeyAction::SetDefault,
    }
}

/// The primary key of a new table, for sea-query's `CREATE TABLE`
/// (named on PostgreSQL, where the name is kept).
pub(super) fn table_primary_key(dialect: Dialect, table: &Table) -> Option<IndexCreateStatement> {
    let pk = table.primary_key.as_ref()?;
    let mut idx = SqIndex::create();
    idx.primary();
    if dialect == Dialect::Postgres {
        idx.name(sq_raw_name(dialect, &pk.name));
    }
    for c in &pk.columns {
        idx.col(sq_iden(c));
    }
    Some(idx)
}

/// The unique constraints of a new table, for sea-query's `CREATE TABLE`.
pub(super) fn table_uniques(dialect: Dialect, table: &Table) -> Vec<IndexCreateStatement> {
    table
        .uniques
        .iter()
        .map(|(name, u)| {
            let mut idx = SqIndex::create();
            idx.name(sq_raw_name(dialect, name)).unique();
            if u.nulls_not_distinct && dialect == Dialect::Postgres {
                idx.nulls_not_distinct();
            }
            for c in &u.columns {
                idx.col(sq_iden(c));
            }
            idx
        })
        .collect()
}

/// Per key [`table_primary_key`] (when `with_pk`) and [`table_uniques`]
/// give, in their order, what sea-query cannot say after it: ` DEFERRABLE
/// …` (PostgreSQL), the primary key's ` COMMENT '…'` (MySQL), or nothing.
pub(super) fn key_suffixes(dialect: Dialect, table: &Table, with_pk: bool) -> Vec<String> {
    let pk = table
        .primary_key
        .iter()
        .filter(|_| with_pk)
        .map(|pk| match dialect {
            Dialect::Postgres => deferral((pk.deferrable, pk.initially_deferred)).to_string(),
            Dialect::Mysql => mysql_key_comment(pk.comment.as_deref()),
            Dialect::Sqlite => String::new(),
        });
    let uniques = table.uniques.values().map(|u| match dialect {
        Dialect::Postgres => deferral((u.deferrable, u.initially_deferred)).to_string(),
        _ => String::new(),
    });
    pk.chain(uniques).collect()
}

/// MySQL: ` COMMENT '…'` of a key with a comment, or nothing.
pub(super) fn mysql_key_comment(comment: Option<&str>) -> String {
    comment.map_or_else(String::new, |c| {
        format!(" COMMENT {}", literal(Dialect::Mysql, c))
    })
}

/// ` DEFERRABLE [INITIALLY DEFERRED]` of `(deferrable, initially deferred)`,
/// or nothing.
pub(super) fn deferral(d: (bool, bool)) -> &'static str {
    match d {
        (false, _) => "",
        (true, false) => " DEFERRABLE",
        (true, true) => " DEFERRABLE INITIALLY DEFERRED",
    }
}

/// The expressions of a table's checks, checked: `(name, expression,
/// what follows the check: ` NO INHERIT` or nothing)`.
pub(super) fn table_checks(
    dialect: Dialect,
    object: &str,
    table: &Table,
) -> Result<Vec<(String, String, &'static str)>, PlanError> {
    table
        .checks
        .iter()
        .map(|(name, check)| {
            let e = fragment(dialect, FragmentKind::Expression, object, &check.expression)?;
            Ok((name.clone(), e.into_owned(), no_inherit(dialect, check)))
        })
        .collect()
}

/// A foreign key as sea-query builds it (no `DEFERRABLE`).
pub(super) fn foreign_key_stmt(
    dialect: Dialect,
    schema: &str,
    table: &str,
    name: &str,
    fk: &ForeignKey,
) -> ForeignKeyCreateStatement {
    let mut f = SqForeignKey::create();
    f.name(sq_raw_name(dialect, name));
    f.from_tbl(sq_table(dialect, schema, table));
    for c in &fk.columns {
        f.from_col(sq_iden(c));
    }
    f.to_tbl(sq_table(dialect, &fk.ref_schema, &fk.ref_table));
    for c in &fk.ref_columns {
        f.to_col(sq_iden(c));
    }
    if fk.on_delete != FkAction::NoAction {
        f.on_delete(fk_action(fk.on_delete));
    }
    if fk.on_update != FkAction::NoAction {
        f.on_update(fk_action(fk.on_update));
    }
    f
}

/// `REFERENCES table (columns) [ON DELETE …] [ON UPDATE …] [DEFERRABLE
/// [INITIALLY DEFERRED]]`: the referenced table qualified like every other
/// table name (bare on SQLite); MySQL has no deferrable keys.
pub(super) fn references(dialect: Dialect, fk: &ForeignKey) -> String {
    let mut s = format!(
        "REFERENCES {} ({})",
        qualified(dialect, &fk.ref_schema, &fk.ref_table),
        idents(dialect, &fk.ref_columns)
    );
    if fk.match_full && dialect == Dialect::Postgres {
        s.push_str(" MATCH FULL");
    }
    if fk.on_delete != FkAction::NoAction {
        s.push_str(&format!(" ON DELETE {}", fk.on_delete.as_sql()));
    }
    if fk.on_update != FkAction::NoAction {
        s.push_str(&format!(" ON UPDATE {}", fk.on_update.as_sql()));
    }
    if dialect != Dialect::Mysql {
        s.push_str(deferral((fk.deferrable, fk.initially_deferred)));
    }
    s
}

/// `CONSTRAINT name FOREIGN KEY (columns) REFERENCES …`, a table element.
pub(super) fn named_foreign_key(dialect: Dialect, name: &str, fk: &ForeignKey) -> String {
    format!(
        "CONSTRAINT {} FOREIGN KEY ({}) {}",
        ident(dialect, name),
        idents(dialect, &fk.columns),
        references(dialect, fk)
    )
}

/// `ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY …`, written plainly (for
/// what sea-query's [`foreign_key_stmt`] cannot say).
pub(super) fn add_foreign_key(
    dialect: Dialect,
    schema: &str,
    table: &str,
    name: &str,
    fk: &ForeignKey,
) -> String {
    format!(
        "ALTER TABLE {} ADD {}",
        qualified(dialect, schema, table),
        named_foreign_key(dialect, name, fk)
    )
}

/// `ALTER TABLE … ADD CONSTRAINT … CHECK (…)` (sea-query adds checks only
/// in `CREATE TABLE`).
pub(super) fn add_check(
    dialect: Dialect,
    schema: &str,
    table: &str,
    name: &str,
    check: &CheckDef,
) -> Result<String, PlanError> {
    let object = format!("check {name} on {schema}.{table}");
    let e = fragment(
        dialect,
        FragmentKind::Expression,
        &object,
        &check.expression,
    )?;
    Ok(format!(
        "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({e}){}",
        qualified(dialect, schema, table),
        ident(dialect, name),
        no_inherit(dialect, check)
    ))
}

/// ` NO INHERIT` for such a check on PostgreSQL, else nothing.
pub(super) fn no_inherit(dialect: Dialect, check: &CheckDef) -> &'static str {
    if check.no_inherit && dialect == Dialect::Postgres {
        " NO INHERIT"
    } else {
        ""
    }
}

/// `ALTER TABLE … DROP CONSTRAINT`.
pub(super) fn drop_constraint(dialect: Dialect, schema: &str, table: &str, name: &str) -> String {
    let mut a = SqTable::alter();
    a.table(sq_table(dialect, schema, table))
        .drop_constraint(sq_iden(name));
    build!(dialect, a)
}
