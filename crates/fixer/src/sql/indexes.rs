//! `CREATE INDEX` and `DROP INDEX`: sea-query where it spells the index
//! (with its partial-index `WHERE`), a plain builder where it cannot
//! (`NULLS FIRST/LAST`, per-part collations, SQLite expression parts,
//! MySQL, where sea-query writes only bare table names).

use driftless_model::{Dialect, Index, IndexKey};
use sea_query::{
    Alias, ConditionalStatement, Expr, Index as SqIndex, IndexColumn, IndexOrder, IntoIden,
};

use super::columns::collation_name;
use super::fragment::{fragment, plain_name, with_params, FragmentKind};
use crate::plan::PlanError;
use crate::quote::{ident, literal, qualified, sq_iden, sq_raw_name, sq_table};

/// An index checked for writing: its method (`btree`, the default, left
/// out) and predicate, validated.
struct Checked<'i> {
    object: String,
    method: Option<&'i str>,
    predicate: Option<String>,
}

/// Validates every fragment of `index` and what the dialect can write.
fn check<'i>(
    dialect: Dialect,
    schema: &str,
    table: &str,
    name: &str,
    index: &'i Index,
) -> Result<Checked<'i>, PlanError> {
    let object = format!("index {name} on {schema}.{table}");
    if index.parts.is_empty() {
        return Err(PlanError::Unsupported {
            object,
            reason: "the index has no key parts".into(),
        });
    }
    for p in &index.parts {
        if let IndexKey::Expression(e) = &p.key {
            fragment(dialect, FragmentKind::Expression, &object, e)?;
        }
    }
    let predicate = match &index.predicate {
        Some(p) if dialect == Dialect::Mysql => {
            return Err(PlanError::Unsupported {
                object,
                reason: format!("MySQL has no partial indexes (WHERE {p})"),
            })
        }
        Some(p) => Some(fragment(dialect, FragmentKind::Predicate, &object, p)?.to_string()),
        None => None,
    };
    let method = index
        .method
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty() && !m.eq_ignore_ascii_case("btree"));
    if let Some(m) = method {
        plain_name(&object, "index method", m, false)?;
    }
    Ok(Checked {
        object,
        method,
        predicate,
    })
}

/// Whether sea-query can render `index` (no NULLS FIRST/LAST, no per-part
/// collation, no expression parts on SQLite, operator classes on
/// PostgreSQL only, no storage parameters, NULLS DISTINCT; MySQL never:
/// sea-query writes only bare table names there).
fn sea_query_can_render(dialect: Dialect, index: &Index) -> bool {
    dialect != Dialect::Mysql
        && index.storage.is_empty()
        && !index.nulls_not_distinct
        && index.parts.iter().all(|p| {
            p.nulls_first.is_none()
                && p.collation.is_none()
                && (dialect == Dialect::Postgres || p.opclass.is_none())
                && (dialect != Dialect::Sqlite || matches!(p.key, IndexKey::Column(_)))
        })
}

/// `CREATE [UNIQUE] INDEX [IF NOT EXISTS]`.
pub(super) fn create_index(
    dialect: Dialect,
    schema: &str,
    table: &str,
    name: &str,
    index: &Index,
    if_not_exists: bool,
) -> Result<String, PlanError> {
    let checked = check(dialect, schema, table, name, index)?;
    let on = Target {
        dialect,
        schema,
        table,
        name,
        if_not_exists,
    };
    if sea_query_can_render(dialect, index) {
        sea_query_index(&on, index, &checked)
    } else {
        plain_index(&on, index, &checked)
    }
}

/// Where an index goes.
struct Target<'a> {
    dialect: Dialect,
    schema: &'a str,
    table: &'a str,
    name: &'a str,
    if_not_exists: bool,
}

fn sea_query_index(
    on: &Target<'_>,
    index: &Index,
    checked: &Checked<'_>,
) -> Result<String, PlanError> {
    let dialect = on.dialect;
    let mut stmt = SqIndex::create();
    stmt.name(sq_raw_name(dialect, on.name))
        .table(sq_table(dialect, on.schema, on.table));
    if index.unique {
        stmt.unique();
    }
    if on.if_not_exists {
        stmt.if_not_exists();
    }
    if let (Some(m), Dialect::Postgres) = (checked.method, dialect) {
        stmt.index_type(sea_query::IndexType::Custom(
            Alias::new(m.to_ascii_lowercase()).into_iden(),
        ));
    }
    for p in &index.parts {
        let order = p.descending.then_some(IndexOrder::Desc);
        let col = match &p.key {
            IndexKey::Column(c) => match (p.length, order) {
                (Some(len), Some(o)) => IndexColumn::from((sq_iden(c), len, o)),
                (Some(len), None) => IndexColumn::from((sq_iden(c), len)),
                (None, Some(o)) => IndexColumn::from((sq_iden(c), o)),
                (None, None) => IndexColumn::from(sq_iden(c)),
            },
            IndexKey::Expression(e) => {
                let e = fragment(dialect, FragmentKind::Expression, &checked.object, e)?;
                let e = Expr::cust(e.into_owned());
                match order {
                    Some(o) => IndexColumn::from((e, o)),
                    None => IndexColumn::from(e),
                }
            }
        };
        let col = match &p.opclass {
            Some(op) => {
                plain_name("index", "operator class", op, true)?;
                col.with_operator_class(Alias::new(op.as_str()))
            }
            None => col,
        };
        stmt.col(col);
    }
    if dialect == Dialect::Postgres {
        for c in &index.include {
            stmt.include(sq_iden(c));
        }
    }
    if let Some(p) = &checked.predicate {
        stmt.and_where(Expr::cust(p.clone()));
    }
    Ok(build!(dialect, stmt))
}

/// One key part of a plain-built index.
fn plain_part(
    dialect: Dialect,
    object: &str,
    p: &driftless_model::IndexPart,
) -> Result<String, PlanError> {
    let mut s = match &p.key {
        IndexKey::Column(c) => ident(dialect, c),
        // SQLite keeps the statement as written and its reader gives the
        // key as written: parentheses would make it read back otherwise.
        IndexKey::Expression(e) if dialect == Dialect::Sqlite => {
            fragment(dialect, FragmentKind::Expression, object, e)?.into_owned()
        }
        IndexKey::Expression(e) => {
            format!(
                "({})",
                fragment(dialect, FragmentKind::Expression, object, e)?
            )
        }
    };
    if let (Some(len), Dialect::Mysql) = (p.length, dialect) {
        s.push_str(&format!("({len})"));
    }
    if let Some(c) = &p.collation {
        s.push_str(&format!(" COLLATE {}", collation_name(dialect, c)));
    }
    if let (Some(op), Dialect::Postgres) = (&p.opclass, dialect) {
        plain_name("index", "operator class", op, true)?;
        s.push_str(&format!(" {op}"));
    }
    if p.descending {
        s.push_str(" DESC");
    }
    match p.nulls_first {
        Some(true) => s.push_str(" NULLS FIRST"),
        Some(false) => s.push_str(" NULLS LAST"),
        None => {}
    }
    Ok(s)
}

fn plain_index(on: &Target<'_>, index: &Index, checked: &Checked<'_>) -> Result<String, PlanError> {
    let dialect = on.dialect;
    let parts = index
        .parts
        .iter()
        .map(|p| plain_part(dialect, &checked.object, p))
        .collect::<Result<Vec<_>, _>>()?;
    let kind = match checked.method {
        Some(m)
            if dialect == Dialect::Mysql
                && (m.eq_ignore_ascii_case("fulltext") || m.eq_ignore_ascii_case("spatial")) =>
        {
            format!("{} ", m.to_ascii_uppercase())
        }
        _ if index.unique => "UNIQUE ".to_string(),
        _ => String::new(),
    };
    let ine = if on.if_not_exists && dialect != Dialect::Mysql {
        "IF NOT EXISTS "
    } else {
        ""
    };
    let using = match (checked.method, dialect) {
        (Some(m), Dialect::Postgres) => format!(" USING {}", m.to_ascii_lowercase()),
        _ => String::new(),
    };
    let mut sql = format!(
        "CREATE {kind}INDEX {ine}{} ON {}{using} ({})",
        ident(dialect, on.name),
        qualified(dialect, on.schema, on.table),
        parts.join(", ")
    );
    if !index.include.is_empty() && dialect == Dialect::Postgres {
        sql.push_str(&format!(" INCLUDE ({})", idents(dialect, &index.include)));
    }
    if index.nulls_not_distinct && dialect == Dialect::Postgres {
        sql.push_str(" NULLS NOT DISTINCT");
    }
    if !index.storage.is_empty() && dialect == Dialect::Postgres {
        let entries = index.storage.iter().map(|p| match p.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (p.as_str(), None),
        });
        let params = with_params(
            dialect,
            &checked.object,
            "storage parameter",
            entries,
            false,
        )?;
        sql.push_str(&format!(" WITH ({})", params.join(", ")));
    }
    if let Some(p) = &checked.predicate {
        sql.push_str(&format!(" WHERE {p}"));
    }
    if dialect == Dialect::Mysql {
        if let Some(c) = &index.comment {
            sql.push_str(&format!(" COMMENT {}", literal(dialect, c)));
        }
        if index.ignored {
            sql.push(' ');
            sql.push_str(mysql_ignored(true));
        }
    }
    Ok(sql)
}

/// The index option that makes the optimizer ignore an index (`true`) or
/// use it, for MariaDB 10.6+ (`IGNORED`) and MySQL 8 (`INVISIBLE`), each
/// in a comment only the other server skips.
pub(super) fn mysql_ignored(ignored: bool) -> &'static str {
    match ignored {
        true => "/*M!100600 IGNORED */ /*!80000 INVISIBLE */",
        false => "/*M!100600 NOT IGNORED */ /*!80000 VISIBLE */",
    }
}

/// `ALTER TABLE … ALTER INDEX … [NOT] IGNORED` (MariaDB) / `VISIBLE`,
/// `INVISIBLE` (MySQL): whether the optimizer uses the index, in place.
pub(super) fn alter_index_ignored(schema: &str, table: &str, name: &str, ignored: bool) -> String {
    let d = Dialect::Mysql;
    format!(
        "ALTER TABLE {} ALTER INDEX {} {}",
        qualified(d, schema, table),
        ident(d, name),
        mysql_ignored(ignored)
    )
}

/// Quoted names, comma-separated.
pub(super) fn idents(dialect: Dialect, names: &[String]) -> String {
    names
        .iter()
        .map(|c| ident(dialect, c))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `DROP INDEX [IF EXISTS]` (MySQL: `DROP INDEX … ON table`, plain: sea-query
/// writes only bare table names there, and MySQL has no `IF EXISTS`).
pub(super) fn drop_index(
    dialect: Dialect,
    schema: &str,
    table: &str,
    name: &str,
    if_exists: bool,
) -> String {
    if dialect == Dialect::Mysql {
        return format!(
            "DROP INDEX {} ON {}",
            ident(dialect, name),
            qualified(dialect, schema, table)
        );
    }
    let mut d = SqIndex::drop();
    d.name(sq_raw_name(dialect, name))
        .table(sq_table(dialect, schema, table));
    if if_exists {
        d.if_exists();
    }
    build!(dialect, d)
}
