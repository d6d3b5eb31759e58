//! Tables and views: `CREATE TABLE` (sea-query, or a plain statement of
//! sea-query's elements where it cannot say the whole), drop, rename, the
//! copy of a table rebuild, and views.

use std::collections::BTreeMap;

use driftless_model::{Dialect, ForeignKey, Identity, Table, View, CHECK_OPTION, SECURITY_INVOKER};
use sea_query::{
    Check, ColumnDef, Expr, IndexBuilder, IndexCreateStatement, MysqlQueryBuilder,
    Table as SqTable, TableBuilder,
};

use super::columns::{column_def, ColumnUse};
use super::fragment::{fragment, plain_name, with_params, FragmentKind};
use super::keys::{
    key_suffixes, named_foreign_key, references, table_checks, table_primary_key, table_uniques,
};
use crate::plan::PlanError;
use crate::quote::{ident, literal, qualified, sq_iden, sq_table};

/// Options for [`Writer::create_table`](super::Writer::create_table).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CreateTable<'a> {
    /// Write the foreign keys inline (SQLite, which cannot add them later);
    /// otherwise they are added by their own statements.
    pub(crate) foreign_keys: bool,
    /// `CREATE TABLE IF NOT EXISTS`.
    pub(crate) if_not_exists: bool,
    /// Column order: these first (declared order), then any others.
    pub(crate) order: Option<&'a [String]>,
}

/// A new table as the elements of its `CREATE TABLE`, in the order
/// sea-query writes them: columns, keys (primary, then unique), table-level
/// foreign keys, checks.
pub(super) struct NewTable<'t> {
    pub(super) dialect: Dialect,
    pub(super) schema: &'t str,
    pub(super) name: &'t str,
    pub(super) if_not_exists: bool,
    pub(super) columns: Vec<ColumnDef>,
    pub(super) keys: Vec<IndexCreateStatement>,
    /// Per key of `keys`: what sea-query cannot say after it (` DEFERRABLE
    /// …` on PostgreSQL, the primary key's ` COMMENT '…'` on MySQL) or
    /// nothing.
    pub(super) key_suffixes: Vec<String>,
    /// Inline foreign keys of more than one column (SQLite), which sea-query
    /// cannot name: `(name, key)`.
    pub(super) foreign_keys: Vec<(&'t str, &'t ForeignKey)>,
    /// `(name, expression, ` NO INHERIT` or nothing)` (sea-query cannot
    /// say `NO INHERIT`).
    pub(super) checks: Vec<(String, String, &'static str)>,
    /// The table comment (MySQL).
    pub(super) comment: Option<String>,
    /// What follows the element list: SQLite's `WITHOUT ROWID, STRICT`.
    pub(super) suffix: Option<String>,
}

/// The column a SQLite table's primary key is written on as `PRIMARY KEY
/// AUTOINCREMENT`, if any.
fn sqlite_autoincrement_column(table: &Table) -> Option<&str> {
    let pk = table.primary_key.as_ref()?;
    if pk.columns.len() != 1 {
        return None;
    }
    let c = &pk.columns[0];
    (table.columns.get(c)?.identity == Some(Identity::AutoIncrement)).then_some(c.as_str())
}

/// SQLite's table options as they follow the element list (`WITHOUT
/// ROWID, STRICT`), if the table has any (`Table::options` `without_rowid`
/// and `strict`, `"true"` when set).
fn sqlite_options(table: &Table) -> Option<String> {
    let set = |k: &str| table.options.get(k).is_some_and(|v| v == "true");
    let options: Vec<&str> = [("without_rowid", "WITHOUT ROWID"), ("strict", "STRICT")]
        .into_iter()
        .filter(|(k, _)| set(k))
        .map(|(_, sql)| sql)
        .collect();
    (!options.is_empty()).then(|| options.join(", "))
}

/// The order of a new table's columns: `opts.order` first (those the table
/// has), then the rest in the table's own order.
fn create_order<'t>(table: &'t Table, opts: CreateTable<'_>) -> Vec<&'t str> {
    let mut order: Vec<&str> = Vec::new();
    for c in opts.order.into_iter().flatten() {
        if let Some((name, _)) = table.columns.get_key_value(c.as_str()) {
            order.push(name.as_str());
        }
    }
    for c in table.column_order() {
        if !order.contains(&c) {
            order.push(c);
        }
    }
    order
}

impl<'t> NewTable<'t> {
    /// The elements of `table`; inline foreign keys (`opts.foreign_keys`)
    /// exist on SQLite only (the others add them once every table exists).
    pub(super) fn new(
        dialect: Dialect,
        schema: &'t str,
        name: &'t str,
        table: &'t Table,
        opts: CreateTable<'_>,
    ) -> Result<Self, PlanError> {
        let object = format!("table {schema}.{name}");
        let inline = opts.foreign_keys && !table.foreign_keys.is_empty();
        if inline && dialect != Dialect::Sqlite {
            return Err(PlanError::Unsupported {
                object,
                reason: format!("foreign keys are added after CREATE TABLE on {dialect}"),
            });
        }
        let autoinc = match dialect {
            Dialect::Sqlite => sqlite_autoincrement_column(table),
            _ => None,
        };
        let mut columns = Vec::new();
        // A partition's or inheritance child's columns from its parents
        // come from the parents.
        let from_parents = table.has_parent();
        for c in create_order(table, opts) {
            let Some(col) = table.columns.get(c) else {
                continue;
            };
            if from_parents && col.inherited {
                continue;
            }
            let mut def = column_def(
                dialect,
                &object,
                c,
                col,
                ColumnUse::Create,
                autoinc == Some(c),
            )?;
            // SQLite: single-column foreign keys go on the column, where
            // sea-query keeps their name.
            let on_column: Vec<String> = table
                .foreign_keys
                .iter()
                .filter(|(_, fk)| inline && fk.columns.len() == 1 && fk.columns[0] == c)
                .map(|(n, fk)| {
                    format!(
                        "CONSTRAINT {} {}",
                        ident(dialect, n),
                        references(dialect, fk)
                    )
                })
                .collect();
            if !on_column.is_empty() {
                def.extra(on_column.join(" "));
            }
            columns.push(def);
        }
        let mut keys = Vec::new();
        if autoinc.is_none() {
            keys.extend(table_primary_key(dialect, table));
        }
        keys.extend(table_uniques(dialect, table));
        let key_suffixes = key_suffixes(dialect, table, autoinc.is_none());
        let foreign_keys = table
            .foreign_keys
            .iter()
            .filter(|(_, fk)| inline && fk.columns.len() != 1)
            .map(|(n, fk)| (n.as_str(), fk))
            .collect();
        let comment = match dialect {
            Dialect::Mysql => table.comment.as_ref().map(|c| c.replace('\0', "")),
            _ => None,
        };
        let suffix = match dialect {
            Dialect::Sqlite => sqlite_options(table),
            _ => None,
        };
        Ok(NewTable {
            dialect,
            schema,
            name,
            if_not_exists: opts.if_not_exists,
            columns,
            keys,
            key_suffixes,
            foreign_keys,
            checks: table_checks(dialect, &object, table)?,
            comment,
            suffix,
        })
    }

    fn is_empty(&self) -> bool {
        self.columns.is_empty()
            && self.keys.is_empty()
            && self.foreign_keys.is_empty()
            && self.checks.is_empty()
    }

    /// `CREATE TABLE [IF NOT EXISTS] name ( elements )`, written plainly;
    /// `()` for a table without any (PostgreSQL allows them; sea-query
    /// writes no list then).
    pub(super) fn plain(&self, elements: &[String]) -> String {
        let ine = if self.if_not_exists {
            "IF NOT EXISTS "
        } else {
            ""
        };
        let name = qualified(self.dialect, self.schema, self.name);
        let suffix = self
            .suffix
            .as_ref()
            .map_or_else(String::new, |s| format!(" {s}"));
        match elements {
            [] => format!("CREATE TABLE {ine}{name} (){suffix}"),
            _ => format!(
                "CREATE TABLE {ine}{name} ( {} ){suffix}",
                elements.join(", ")
            ),
        }
    }

    /// The statement as sea-query writes it (a table without elements
    /// written plainly); `foreign_keys` must be empty: sea-query cannot
    /// name them.
    pub(super) fn render(self) -> String {
        if self.is_empty() {
            return self.plain(&[]);
        }
        let dialect = self.dialect;
        let mut stmt = SqTable::create();
        stmt.table(sq_table(dialect, self.schema, self.name));
        if self.if_not_exists {
            stmt.if_not_exists();
        }
        for def in self.columns {
            stmt.col(def);
        }
        for mut key in self.keys {
            stmt.index(&mut key);
        }
        for (name, e, _) in self.checks {
            stmt.check(Check::named(sq_iden(&name), Expr::cust(e)));
        }
        if let Some(c) = self.comment {
            stmt.comment(c);
        }
        if let Some(s) = self.suffix {
            stmt.extra(s);
        }
        build!(dialect, stmt)
    }
}

/// The elements of `new`, each rendered by sea-query's builder `b` on its
/// own (with the deferral sea-query cannot say), with the named
/// table-level foreign keys between the keys and the checks (where
/// sea-query puts foreign keys).
pub(super) fn elements<B: TableBuilder + IndexBuilder>(b: &B, new: &NewTable<'_>) -> Vec<String> {
    let render = |f: &dyn Fn(&mut String)| {
        let mut s = String::new();
        f(&mut s);
        s
    };
    let mut out: Vec<String> = Vec::new();
    out.extend(
        new.columns
            .iter()
            .map(|c| render(&|s| b.prepare_column_def(c, s))),
    );
    out.extend(new.keys.iter().enumerate().map(|(i, k)| {
        let key = render(&|s| b.prepare_table_index_expression(k, s));
        key + new.key_suffixes.get(i).map_or("", String::as_str)
    }));
    out.extend(
        new.foreign_keys
            .iter()
            .map(|(name, fk)| named_foreign_key(new.dialect, name, fk)),
    );
    out.extend(new.checks.iter().map(|(name, e, suffix)| {
        let check = Check::named(sq_iden(name), Expr::cust(e.clone()));
        render(&|s| b.prepare_check_constraint(&check, s)) + suffix
    }));
    out
}

/// `CREATE TABLE` as sea-query writes it (see [`NewTable::render`]).
pub(super) fn create_table(
    dialect: Dialect,
    schema: &str,
    name: &str,
    table: &Table,
    opts: CreateTable<'_>,
) -> Result<String, PlanError> {
    let new = NewTable::new(dialect, schema, name, table, opts)?;
    let mut sql = match dialect {
        // A primary key's comment: sea-query's elements, written plainly.
        Dialect::Mysql if new.key_suffixes.iter().any(|k| !k.is_empty()) => {
            let mut sql = new.plain(&elements(&MysqlQueryBuilder, &new));
            if let Some(c) = &new.comment {
                sql.push_str(&format!(" COMMENT {}", literal(dialect, c)));
            }
            sql
        }
        _ => new.render(),
    };
    if dialect == Dialect::Mysql && !table.options.is_empty() {
        sql.push_str(&super::Mysql.create_options(schema, name, &table.options)?);
    }
    Ok(sql)
}

/// `DROP TABLE [IF EXISTS]`.
pub(super) fn drop_table(dialect: Dialect, schema: &str, table: &str, if_exists: bool) -> String {
    let mut d = SqTable::drop();
    d.table(sq_table(dialect, schema, table));
    if if_exists {
        d.if_exists();
    }
    build!(dialect, d)
}

/// `ALTER TABLE … RENAME TO …` / `RENAME TABLE`: PostgreSQL keeps the
/// schema and takes no qualified new name; MySQL moves a table renamed to
/// an unqualified name into the connection's default database, so the new
/// name is qualified there.
pub(super) fn rename_table(dialect: Dialect, schema: &str, from: &str, to: &str) -> String {
    let mut r = SqTable::rename();
    let to_dialect = match dialect {
        Dialect::Mysql => Dialect::Mysql,
        Dialect::Postgres | Dialect::Sqlite => Dialect::Sqlite,
    };
    r.table(
        sq_table(dialect, schema, from),
        sq_table(to_dialect, schema, to),
    );
    build!(dialect, r)
}

/// `INSERT INTO to (targets) SELECT sources FROM from`; `values` are
/// columns filled with an expression instead (a backfill), checked to be
/// one SQL fragment.
pub(super) fn copy_rows(
    dialect: Dialect,
    schema: &str,
    from: &str,
    to: &str,
    columns: &[(&str, &str)],
    values: &[(&str, &str)],
) -> Result<String, PlanError> {
    let (mut targets, mut sources): (Vec<String>, Vec<String>) = columns
        .iter()
        .map(|(t, s)| (ident(dialect, t), ident(dialect, s)))
        .unzip();
    for (t, value) in values {
        let object = format!("column {schema}.{to}.{t}");
        let v = super::fragment::fragment(
            dialect,
            super::fragment::FragmentKind::Default,
            &object,
            value,
        )?;
        targets.push(ident(dialect, t));
        sources.push(v.into_owned());
    }
    Ok(format!(
        "INSERT INTO {} ({}) SELECT {} FROM {}",
        qualified(dialect, schema, to),
        targets.join(", "),
        sources.join(", "),
        qualified(dialect, schema, from)
    ))
}

/// `VIEW` or (PostgreSQL) `MATERIALIZED VIEW`.
fn view_kind(dialect: Dialect, materialized: bool) -> &'static str {
    if materialized && dialect == Dialect::Postgres {
        "MATERIALIZED VIEW"
    } else {
        "VIEW"
    }
}

/// `CREATE [OR REPLACE] [MATERIALIZED] VIEW [IF NOT EXISTS]`.
pub(super) fn create_view(
    dialect: Dialect,
    schema: &str,
    name: &str,
    view: &View,
    if_not_exists: bool,
) -> Result<String, PlanError> {
    let object = format!("view {schema}.{name}");
    let body = fragment(
        dialect,
        FragmentKind::ViewDefinition,
        &object,
        &view.definition,
    )?;
    let ine = match (if_not_exists, dialect) {
        (true, Dialect::Sqlite) => "IF NOT EXISTS ",
        (true, Dialect::Postgres) if view.materialized => "IF NOT EXISTS ",
        _ => "",
    };
    let or_replace = if if_not_exists && !view.materialized && dialect != Dialect::Sqlite {
        "OR REPLACE "
    } else {
        ""
    };
    let [before, with, after] = view_options(dialect, &object, &view.options)?;
    Ok(format!(
        "CREATE {or_replace}{before}{} {ine}{}{with} AS {body}{after}",
        view_kind(dialect, view.materialized),
        qualified(dialect, schema, name)
    ))
}

/// A view's options as `CREATE VIEW` takes them: before `VIEW` (MySQL `SQL
/// SECURITY INVOKER `), after its name (PostgreSQL ` WITH (check_option =
/// 'local')`) and after its query (MySQL ` WITH LOCAL CHECK OPTION`).
fn view_options(
    dialect: Dialect,
    object: &str,
    options: &BTreeMap<String, String>,
) -> Result<[String; 3], PlanError> {
    if options.is_empty() {
        return Ok(Default::default());
    }
    if dialect == Dialect::Postgres {
        let entries = options.iter().map(|(k, v)| (k.as_str(), Some(v.as_str())));
        let list = with_params(dialect, object, "view option", entries, false)?;
        return Ok([
            String::new(),
            format!(" WITH ({})", list.join(", ")),
            String::new(),
        ]);
    }
    for name in options.keys() {
        plain_name(object, "view option", name, false)?;
    }
    Ok(match dialect {
        Dialect::Mysql => {
            let invoker = options.get(SECURITY_INVOKER).is_some_and(|v| v == "true");
            let before = if invoker { "SQL SECURITY INVOKER " } else { "" };
            let after = match options.get(CHECK_OPTION) {
                Some(o) => {
                    plain_name(object, "check option", o, false)?;
                    format!(" WITH {} CHECK OPTION", o.to_ascii_uppercase())
                }
                None => String::new(),
            };
            [before.to_string(), String::new(), after]
        }
        _ => Default::default(),
    })
}

/// `DROP [MATERIALIZED] VIEW [IF EXISTS]`.
pub(super) fn drop_view(
    dialect: Dialect,
    schema: &str,
    name: &str,
    materialized: bool,
    if_exists: bool,
) -> String {
    format!(
        "DROP {} {}{}",
        view_kind(dialect, materialized),
        if if_exists { "IF EXISTS " } else { "" },
        qualified(dialect, schema, name)
    )
}
