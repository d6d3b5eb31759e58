//! Statement renderers: one function per kind of statement, for every
//! dialect. sea-query renders tables, columns, indexes and foreign keys;
//! the rest (enums' label changes through sea-query's Postgres extension
//! aside) is hand-written with [`crate::quote`].

use driftless_model::{
    Check as CheckDef, Column, Dialect, FkAction, ForeignKey, Identity, Index, IndexKey,
    PrimaryKey, Sequence, Table, UniqueConstraint, View,
};
use sea_query::extension::postgres::Type as PgType;
use sea_query::{
    Alias, ColumnDef, ColumnType, Expr, ForeignKey as SqForeignKey, ForeignKeyAction,
    Index as SqIndex, IndexOrder, IntoIden, Keyword, MysqlQueryBuilder, PostgresQueryBuilder,
    SqliteQueryBuilder, Table as SqTable,
};

use crate::lex::{portable_literals, scan, trim_statement};
use crate::plan::PlanError;
use crate::quote::{ident, literal, qualified, sq_iden, sq_raw_name, sq_table};

/// Renders a sea-query schema statement for `dialect`.
macro_rules! build {
    ($dialect:expr, $stmt:expr) => {
        match $dialect {
            Dialect::Postgres => $stmt.to_string(PostgresQueryBuilder),
            Dialect::Mysql => $stmt.to_string(MysqlQueryBuilder),
            Dialect::Sqlite => $stmt.to_string(SqliteQueryBuilder),
        }
    };
}

/// What a fragment taken from a snapshot is, for error messages.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FragmentKind {
    Type,
    Default,
    Expression,
    Predicate,
    ViewDefinition,
}

impl FragmentKind {
    fn as_str(self) -> &'static str {
        match self {
            FragmentKind::Type => "column type",
            FragmentKind::Default => "default expression",
            FragmentKind::Expression => "expression",
            FragmentKind::Predicate => "index predicate",
            FragmentKind::ViewDefinition => "view definition",
        }
    }
}

/// Checks that `text` is one SQL fragment that cannot end the statement it
/// is placed in; PostgreSQL literals holding backslashes come back spelled
/// as escape strings, which no session setting can reinterpret.
pub(crate) fn fragment<'t>(
    dialect: Dialect,
    kind: FragmentKind,
    object: &str,
    text: &'t str,
) -> Result<std::borrow::Cow<'t, str>, PlanError> {
    let t = match kind {
        FragmentKind::ViewDefinition => trim_statement(text),
        _ => text.trim(),
    };
    let t = portable_literals(dialect, t);
    match scan(dialect, &t) {
        Ok(_) => Ok(t),
        Err(problem) => Err(PlanError::UnsafeFragment {
            object: object.to_string(),
            what: kind.as_str(),
            text: text.to_string(),
            problem: problem.describe(),
        }),
    }
}

fn fk_action(a: FkAction) -> ForeignKeyAction {
    match a {
        FkAction::NoAction => ForeignKeyAction::NoAction,
        FkAction::Restrict => ForeignKeyAction::Restrict,
        FkAction::Cascade => ForeignKeyAction::Cascade,
        FkAction::SetNull => ForeignKeyAction::SetNull,
        FkAction::SetDefault => ForeignKeyAction::SetDefault,
    }
}

/// The type spelling including a collation clause when the column has one.
fn type_with_collation(dialect: Dialect, object: &str, col: &Column) -> Result<String, PlanError> {
    let ty = fragment(dialect, FragmentKind::Type, object, &col.data_type)?;
    Ok(match (&col.collation, dialect) {
        (Some(c), Dialect::Postgres) => format!("{ty} COLLATE {}", collation_name(dialect, c)),
        (Some(c), Dialect::Mysql) => format!("{ty} COLLATE {}", ident(dialect, c)),
        (Some(c), Dialect::Sqlite) => format!("{ty} COLLATE {}", ident(dialect, c)),
        (None, _) => ty.to_string(),
    })
}

/// A PostgreSQL collation may come schema-qualified (`pg_catalog."C"`) or bare.
fn collation_name(dialect: Dialect, c: &str) -> String {
    match crate::types::split_pg_type_name(c) {
        Some((Some(schema), name)) => {
            format!("{}.{}", ident(dialect, &schema), ident(dialect, &name))
        }
        Some((None, name)) => ident(dialect, &name),
        None => ident(dialect, c),
    }
}

/// How a column definition is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnUse {
    /// Inside CREATE TABLE.
    Create,
    /// ALTER TABLE … ADD COLUMN.
    Add,
    /// MySQL MODIFY COLUMN (the full definition).
    Modify,
}

/// A sea-query column definition of `col`.
pub(crate) fn column_def(
    dialect: Dialect,
    object: &str,
    name: &str,
    col: &Column,
    usage: ColumnUse,
    inline_pk_autoincrement: bool,
) -> Result<ColumnDef, PlanError> {
    let ty = type_with_collation(dialect, object, col)?;
    let mut def = ColumnDef::new_with_type(sq_iden(name), ColumnType::custom(Alias::new(ty)));
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
            def.default(Expr::Keyword(Keyword::Custom(Alias::new(d).into_iden())));
        }
    }
    if let Some(g) = &col.generated {
        let e = fragment(dialect, FragmentKind::Expression, object, &g.expression)?;
        // PostgreSQL 15 has stored generated columns only.
        let stored = g.stored || dialect == Dialect::Postgres;
        def.generated(Expr::cust(e.to_string()), stored);
    }
    match (col.identity, dialect) {
        (Some(Identity::Always), Dialect::Postgres) => {
            def.extra("GENERATED ALWAYS AS IDENTITY");
        }
        (Some(Identity::ByDefault | Identity::AutoIncrement), Dialect::Postgres) => {
            def.extra("GENERATED BY DEFAULT AS IDENTITY");
        }
        (Some(_), Dialect::Mysql) => {
            def.auto_increment();
        }
        (Some(_), Dialect::Sqlite) if inline_pk_autoincrement => {
            def.primary_key().auto_increment();
        }
        _ => {}
    }
    if dialect == Dialect::Mysql {
        if let Some(c) = &col.comment {
            def.comment(c.replace('\0', ""));
        }
    }
    Ok(def)
}

/// Whether a SQLite table's primary key is written on its column as
/// `PRIMARY KEY AUTOINCREMENT`.
fn sqlite_autoincrement_column(table: &Table) -> Option<&str> {
    let pk = table.primary_key.as_ref()?;
    if pk.columns.len() != 1 {
        return None;
    }
    let c = &pk.columns[0];
    (table.columns.get(c)?.identity == Some(Identity::AutoIncrement)).then_some(c.as_str())
}

/// Options for [`create_table`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CreateTable<'a> {
    /// Write the foreign keys inline (SQLite); otherwise they are added later.
    pub(crate) foreign_keys: bool,
    /// `CREATE TABLE IF NOT EXISTS`.
    pub(crate) if_not_exists: bool,
    /// Column order: these first (declared order), then any others.
    pub(crate) order: Option<&'a [String]>,
}

/// Refuses inline foreign keys on MySQL: sea-query cannot name another
/// database in their `REFERENCES` there (they are added after the table).
fn inline_foreign_keys_possible(
    dialect: Dialect,
    object: &str,
    table: &Table,
    opts: CreateTable<'_>,
) -> Result<(), PlanError> {
    if opts.foreign_keys && dialect == Dialect::Mysql && !table.foreign_keys.is_empty() {
        return Err(PlanError::Unsupported {
            object: object.to_string(),
            reason: "foreign keys are added after CREATE TABLE on MySQL".into(),
        });
    }
    Ok(())
}

/// `CREATE TABLE` for `table` named `schema.name`.
pub(crate) fn create_table(
    dialect: Dialect,
    schema: &str,
    name: &str,
    table: &Table,
    opts: CreateTable<'_>,
) -> Result<String, PlanError> {
    let object = format!("table {schema}.{name}");
    let mut stmt = SqTable::create();
    stmt.table(sq_table(dialect, schema, name));
    if opts.if_not_exists {
        stmt.if_not_exists();
    }
    let autoinc = if dialect == Dialect::Sqlite {
        sqlite_autoincrement_column(table)
    } else {
        None
    };
    for c in &create_order(table, opts) {
        let Some(col) = table.columns.get(*c) else {
            continue;
        };
        let mut def = column_def(
            dialect,
            &object,
            c,
            col,
            ColumnUse::Create,
            autoinc == Some(*c),
        )?;
        // SQLite: single-column foreign keys go on the column, where they
        // keep their name (sea-query writes table-level ones unnamed).
        if dialect == Dialect::Sqlite && opts.foreign_keys {
            for (fk_name, fk) in &table.foreign_keys {
                if fk.columns.len() == 1 && fk.columns[0] == *c {
                    def.extra(sqlite_column_reference(dialect, fk_name, fk));
                }
            }
        }
        stmt.col(def);
    }
    if autoinc.is_none() {
        create_primary_key(&mut stmt, dialect, table);
    }
    create_uniques(&mut stmt, dialect, table);
    let mut sqlite_names = Vec::new();
    inline_foreign_keys_possible(dialect, &object, table, opts)?;
    if opts.foreign_keys {
        for (fk_name, fk) in &table.foreign_keys {
            if dialect == Dialect::Sqlite {
                if fk.columns.len() == 1 {
                    continue; // written on the column above
                }
                sqlite_names.push((fk_name, fk));
            }
            let mut f = foreign_key_stmt(dialect, schema, name, fk_name, fk);
            stmt.foreign_key(&mut f);
        }
    }
    for (cname, check) in &table.checks {
        let e = fragment(
            dialect,
            FragmentKind::Expression,
            &object,
            &check.expression,
        )?;
        stmt.check((sq_iden(cname), Expr::cust(e.to_string())));
    }
    if dialect == Dialect::Mysql {
        if let Some(c) = &table.comment {
            stmt.comment(c.replace('\0', ""));
        }
    }
    let mut sql = build!(dialect, stmt);
    if table.columns.is_empty()
        && table.primary_key.is_none()
        && table.uniques.is_empty()
        && table.checks.is_empty()
        && (!opts.foreign_keys || table.foreign_keys.is_empty())
    {
        // A table without columns (PostgreSQL): sea-query writes no list.
        sql.push_str(" ()");
    }
    Ok(name_sqlite_foreign_keys(dialect, sql, &sqlite_names))
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

fn create_primary_key(stmt: &mut sea_query::TableCreateStatement, dialect: Dialect, table: &Table) {
    let Some(pk) = &table.primary_key else {
        return;
    };
    let mut idx = SqIndex::create();
    if dialect == Dialect::Postgres {
        idx.name(sq_raw_name(dialect, &pk.name));
    }
    for c in &pk.columns {
        idx.col(sq_iden(c));
    }
    stmt.primary_key(&mut idx);
}

fn create_uniques(stmt: &mut sea_query::TableCreateStatement, dialect: Dialect, table: &Table) {
    for (uname, u) in &table.uniques {
        let mut idx = SqIndex::create();
        idx.name(sq_raw_name(dialect, uname)).unique();
        if u.nulls_not_distinct && dialect == Dialect::Postgres {
            idx.nulls_not_distinct();
        }
        for c in &u.columns {
            idx.col(sq_iden(c));
        }
        stmt.index(&mut idx);
    }
}

/// Names (and makes deferrable) SQLite's table-level foreign keys: the
/// clause sea-query wrote is known exactly, so it is found and prefixed.
fn name_sqlite_foreign_keys(
    dialect: Dialect,
    mut sql: String,
    fks: &[(&String, &ForeignKey)],
) -> String {
    for (fk_name, fk) in fks {
        let clause = fk_clause(dialect, fk);
        let mut named = format!("CONSTRAINT {} {clause}", ident(dialect, fk_name));
        if fk.deferrable {
            named.push_str(if fk.initially_deferred {
                " DEFERRABLE INITIALLY DEFERRED"
            } else {
                " DEFERRABLE"
            });
        }
        sql = sql.replacen(&format!(", {clause}"), &format!(", {named}"), 1);
    }
    sql
}

/// The table-level foreign key clause exactly as sea-query writes it:
/// the referenced table as `qualified` names it on MySQL (sea-query cannot
/// qualify it there), bare on SQLite.
fn fk_clause(dialect: Dialect, fk: &ForeignKey) -> String {
    let cols = |cs: &[String]| {
        cs.iter()
            .map(|c| ident(dialect, c))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut s = format!(
        "FOREIGN KEY ({}) REFERENCES {} ({})",
        cols(&fk.columns),
        qualified(dialect, &fk.ref_schema, &fk.ref_table),
        cols(&fk.ref_columns)
    );
    if fk.on_delete != FkAction::NoAction {
        s.push_str(&format!(" ON DELETE {}", fk.on_delete.as_sql()));
    }
    if fk.on_update != FkAction::NoAction {
        s.push_str(&format!(" ON UPDATE {}", fk.on_update.as_sql()));
    }
    s
}

fn sqlite_column_reference(dialect: Dialect, fk_name: &str, fk: &ForeignKey) -> String {
    let mut s = format!(
        "CONSTRAINT {} REFERENCES {} ({})",
        ident(dialect, fk_name),
        ident(dialect, &fk.ref_table),
        fk.ref_columns
            .iter()
            .map(|c| ident(dialect, c))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if fk.on_delete != FkAction::NoAction {
        s.push_str(&format!(" ON DELETE {}", fk.on_delete.as_sql()));
    }
    if fk.on_update != FkAction::NoAction {
        s.push_str(&format!(" ON UPDATE {}", fk.on_update.as_sql()));
    }
    if fk.deferrable {
        s.push_str(if fk.initially_deferred {
            " DEFERRABLE INITIALLY DEFERRED"
        } else {
            " DEFERRABLE"
        });
    }
    s
}

fn foreign_key_stmt(
    dialect: Dialect,
    schema: &str,
    table: &str,
    name: &str,
    fk: &ForeignKey,
) -> sea_query::ForeignKeyCreateStatement {
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

/// `ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY` (PostgreSQL, MySQL).
pub(crate) fn add_foreign_key(
    dialect: Dialect,
    schema: &str,
    table: &str,
    name: &str,
    fk: &ForeignKey,
) -> String {
    if dialect == Dialect::Mysql {
        // Hand-written: sea-query writes only bare table names here.
        return format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {}",
            qualified(dialect, schema, table),
            ident(dialect, name),
            fk_clause(dialect, fk)
        );
    }
    let mut sql = build!(dialect, foreign_key_stmt(dialect, schema, table, name, fk));
    if dialect == Dialect::Postgres && fk.deferrable {
        sql.push_str(if fk.initially_deferred {
            " DEFERRABLE INITIALLY DEFERRED"
        } else {
            " DEFERRABLE"
        });
    }
    sql
}

/// `ALTER TABLE … DROP CONSTRAINT` / `DROP FOREIGN KEY`.
pub(crate) fn drop_foreign_key(dialect: Dialect, schema: &str, table: &str, name: &str) -> String {
    if dialect == Dialect::Mysql {
        // Hand-written: sea-query writes only bare table names here.
        return format!(
            "ALTER TABLE {} DROP FOREIGN KEY {}",
            qualified(dialect, schema, table),
            ident(dialect, name)
        );
    }
    let mut f = SqForeignKey::drop();
    f.name(sq_raw_name(dialect, name))
        .table(sq_table(dialect, schema, table));
    build!(dialect, f)
}

/// `DROP TABLE`.
pub(crate) fn drop_table(dialect: Dialect, schema: &str, table: &str, if_exists: bool) -> String {
    let mut d = SqTable::drop();
    d.table(sq_table(dialect, schema, table));
    if if_exists {
        d.if_exists();
    }
    build!(dialect, d)
}

/// `ALTER TABLE … RENAME TO …` / `RENAME TABLE`.
pub(crate) fn rename_table(dialect: Dialect, schema: &str, from: &str, to: &str) -> String {
    let mut r = SqTable::rename();
    // PostgreSQL keeps the schema and takes no qualified new name; MySQL
    // moves a table renamed to an unqualified name into the connection's
    // default database, so the new name is qualified there.
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

/// PostgreSQL `ALTER TABLE … RENAME CONSTRAINT … TO …` (a primary key or
/// unique constraint takes its index along).
pub(crate) fn pg_rename_constraint(schema: &str, table: &str, from: &str, to: &str) -> String {
    let d = Dialect::Postgres;
    format!(
        "ALTER TABLE {} RENAME CONSTRAINT {} TO {}",
        qualified(d, schema, table),
        ident(d, from),
        ident(d, to)
    )
}

/// PostgreSQL `ALTER INDEX … RENAME TO …`.
pub(crate) fn pg_rename_index(schema: &str, from: &str, to: &str) -> String {
    let d = Dialect::Postgres;
    format!(
        "ALTER INDEX {} RENAME TO {}",
        qualified(d, schema, from),
        ident(d, to)
    )
}

/// `ALTER TABLE … ADD COLUMN`.
pub(crate) fn add_column(
    dialect: Dialect,
    schema: &str,
    table: &str,
    name: &str,
    col: &Column,
    if_not_exists: bool,
) -> Result<String, PlanError> {
    let object = format!("column {schema}.{table}.{name}");
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

/// `ALTER TABLE … DROP COLUMN`.
pub(crate) fn drop_column(
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
pub(crate) fn rename_column(
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

/// MySQL `ALTER TABLE … MODIFY COLUMN` with the full definition.
pub(crate) fn mysql_modify_column(
    schema: &str,
    table: &str,
    name: &str,
    col: &Column,
) -> Result<String, PlanError> {
    let d = Dialect::Mysql;
    let object = format!("column {schema}.{table}.{name}");
    let def = column_def(d, &object, name, col, ColumnUse::Modify, false)?;
    let mut a = SqTable::alter();
    a.table(sq_table(d, schema, table)).modify_column(def);
    Ok(build!(d, a))
}

/// PostgreSQL `ALTER COLUMN … TYPE … USING …` (`via_text` casts through
/// text, for enums).
pub(crate) fn pg_alter_type(
    schema: &str,
    table: &str,
    name: &str,
    col: &Column,
    via_text: bool,
) -> Result<String, PlanError> {
    let d = Dialect::Postgres;
    let object = format!("column {schema}.{table}.{name}");
    let ty = type_with_collation(d, &object, col)?;
    let bare_ty = fragment(d, FragmentKind::Type, &object, &col.data_type)?;
    let using = if via_text {
        let text = if bare_ty.ends_with("[]") {
            "text[]"
        } else {
            "text"
        };
        format!("{}::{text}::{bare_ty}", ident(d, name))
    } else {
        format!("{}::{bare_ty}", ident(d, name))
    };
    let mut def = ColumnDef::new_with_type(sq_iden(name), ColumnType::custom(Alias::new(ty)));
    def.using(Expr::cust(using));
    let mut a = SqTable::alter();
    a.table(sq_table(d, schema, table)).modify_column(def);
    Ok(build!(d, a))
}

/// PostgreSQL `ALTER COLUMN … SET NOT NULL` / `DROP NOT NULL`.
pub(crate) fn pg_alter_nullable(schema: &str, table: &str, name: &str, nullable: bool) -> String {
    let d = Dialect::Postgres;
    let mut def = ColumnDef::new(sq_iden(name));
    if nullable {
        def.null();
    } else {
        def.not_null();
    }
    let mut a = SqTable::alter();
    a.table(sq_table(d, schema, table)).modify_column(def);
    build!(d, a)
}

/// PostgreSQL `ALTER COLUMN … SET DEFAULT …` / `DROP DEFAULT`.
pub(crate) fn pg_alter_default(
    schema: &str,
    table: &str,
    name: &str,
    default: Option<&str>,
) -> Result<String, PlanError> {
    let d = Dialect::Postgres;
    match default {
        Some(expr) => {
            let object = format!("column {schema}.{table}.{name}");
            let e = fragment(d, FragmentKind::Default, &object, expr)?;
            let mut def = ColumnDef::new(sq_iden(name));
            def.default(Expr::Keyword(Keyword::Custom(Alias::new(e).into_iden())));
            let mut a = SqTable::alter();
            a.table(sq_table(d, schema, table)).modify_column(def);
            Ok(build!(d, a))
        }
        // sea-query has no DROP DEFAULT.
        None => Ok(format!(
            "ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT",
            qualified(d, schema, table),
            ident(d, name)
        )),
    }
}

/// PostgreSQL identity changes (hand-written: sea-query has none).
pub(crate) fn pg_alter_identity(
    schema: &str,
    table: &str,
    name: &str,
    from: Option<Identity>,
    to: Option<Identity>,
) -> Vec<String> {
    let d = Dialect::Postgres;
    let head = format!(
        "ALTER TABLE {} ALTER COLUMN {}",
        qualified(d, schema, table),
        ident(d, name)
    );
    let kind = |i: Identity| {
        if i == Identity::Always {
            "ALWAYS"
        } else {
            "BY DEFAULT"
        }
    };
    match (from, to) {
        (a, b) if a == b => Vec::new(),
        (Some(_), None) => vec![format!("{head} DROP IDENTITY IF EXISTS")],
        (None, Some(b)) => vec![format!("{head} ADD GENERATED {} AS IDENTITY", kind(b))],
        (Some(_), Some(b)) => vec![format!("{head} SET GENERATED {}", kind(b))],
        (None, None) => Vec::new(),
    }
}

/// PostgreSQL `COMMENT ON …`.
pub(crate) fn pg_comment(kind: &str, target: &str, comment: Option<&str>) -> String {
    let value = comment
        .map(|c| literal(Dialect::Postgres, c))
        .unwrap_or_else(|| "NULL".into());
    format!("COMMENT ON {kind} {target} IS {value}")
}

/// MySQL table comment.
pub(crate) fn mysql_table_comment(schema: &str, table: &str, comment: Option<&str>) -> String {
    let d = Dialect::Mysql;
    format!(
        "ALTER TABLE {} COMMENT = {}",
        qualified(d, schema, table),
        literal(d, comment.unwrap_or(""))
    )
}

/// Whether sea-query can render `index` (no NULLS FIRST/LAST, no per-part
/// collation, no expression parts outside PostgreSQL and MySQL).
fn sea_query_can_render_index(dialect: Dialect, index: &Index) -> bool {
    index.parts.iter().all(|p| {
        p.nulls_first.is_none()
            && p.collation.is_none()
            && (dialect == Dialect::Postgres || p.opclass.is_none())
            && (dialect != Dialect::Sqlite || matches!(p.key, IndexKey::Column(_)))
    })
}

/// `CREATE [UNIQUE] INDEX`.
pub(crate) fn create_index(
    dialect: Dialect,
    schema: &str,
    table: &str,
    name: &str,
    index: &Index,
    if_not_exists: bool,
) -> Result<String, PlanError> {
    let object = format!("index {name} on {schema}.{table}");
    if index.parts.is_empty() {
        return Err(PlanError::Unsupported {
            object,
            reason: "the index has no key parts".into(),
        });
    }
    // Validate every fragment first.
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
        if !m.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(PlanError::UnsafeFragment {
                object,
                what: "index method",
                text: m.to_string(),
                problem: "it is not a plain name",
            });
        }
    }
    // MySQL: hand-written, as sea-query writes only bare table names there.
    if !sea_query_can_render_index(dialect, index) || dialect == Dialect::Mysql {
        return hand_written_index(
            dialect,
            schema,
            table,
            name,
            index,
            if_not_exists,
            method,
            predicate.as_deref(),
        );
    }
    let mut stmt = SqIndex::create();
    stmt.name(sq_raw_name(dialect, name))
        .table(sq_table(dialect, schema, table));
    if index.unique {
        stmt.unique();
    }
    if if_not_exists {
        stmt.if_not_exists();
    }
    if let Some(m) = method {
        if dialect == Dialect::Postgres {
            stmt.index_type(sea_query::IndexType::Custom(
                Alias::new(m.to_ascii_lowercase()).into_iden(),
            ));
        }
    }
    for p in &index.parts {
        let order = if p.descending {
            Some(IndexOrder::Desc)
        } else {
            None
        };
        match &p.key {
            IndexKey::Column(c) => {
                let col = match (p.length, order) {
                    (Some(len), Some(o)) => sea_query::IndexColumn::from((sq_iden(c), len, o)),
                    (Some(len), None) => sea_query::IndexColumn::from((sq_iden(c), len)),
                    (None, Some(o)) => sea_query::IndexColumn::from((sq_iden(c), o)),
                    (None, None) => sea_query::IndexColumn::from(sq_iden(c)),
                };
                let col = match &p.opclass {
                    Some(op) => col.with_operator_class(Alias::new(opclass(op)?)),
                    None => col,
                };
                stmt.col(col);
            }
            IndexKey::Expression(e) => {
                let e = fragment(dialect, FragmentKind::Expression, &object, e)?.into_owned();
                let col = match order {
                    Some(o) => sea_query::IndexColumn::from((Expr::cust(e), o)),
                    None => sea_query::IndexColumn::from(Expr::cust(e)),
                };
                let col = match &p.opclass {
                    Some(op) => col.with_operator_class(Alias::new(opclass(op)?)),
                    None => col,
                };
                stmt.col(col);
            }
        }
    }
    if !index.include.is_empty() && dialect == Dialect::Postgres {
        for c in &index.include {
            stmt.include(sq_iden(c));
        }
    }
    let mut sql = build!(dialect, stmt);
    if let Some(p) = predicate {
        sql.push_str(&format!(" WHERE {p}"));
    }
    Ok(sql)
}

fn opclass(op: &str) -> Result<String, PlanError> {
    if op
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        Ok(op.to_string())
    } else {
        Err(PlanError::UnsafeFragment {
            object: "index".into(),
            what: "operator class",
            text: op.into(),
            problem: "it is not a plain name",
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn hand_written_index(
    dialect: Dialect,
    schema: &str,
    table: &str,
    name: &str,
    index: &Index,
    if_not_exists: bool,
    method: Option<&str>,
    predicate: Option<&str>,
) -> Result<String, PlanError> {
    let object = format!("index {name} on {schema}.{table}");
    let mut parts = Vec::new();
    for p in &index.parts {
        let mut s = match &p.key {
            IndexKey::Column(c) => ident(dialect, c),
            IndexKey::Expression(e) => {
                format!(
                    "({})",
                    fragment(dialect, FragmentKind::Expression, &object, e)?
                )
            }
        };
        if let (Some(len), Dialect::Mysql) = (p.length, dialect) {
            s.push_str(&format!("({len})"));
        }
        if let Some(c) = &p.collation {
            s.push_str(&format!(" COLLATE {}", collation_name(dialect, c)));
        }
        if let Some(op) = &p.opclass {
            if dialect == Dialect::Postgres {
                s.push_str(&format!(" {}", opclass(op)?));
            }
        }
        if p.descending {
            s.push_str(" DESC");
        }
        match p.nulls_first {
            Some(true) => s.push_str(" NULLS FIRST"),
            Some(false) => s.push_str(" NULLS LAST"),
            None => {}
        }
        parts.push(s);
    }
    let kind = match method {
        Some(m)
            if dialect == Dialect::Mysql
                && (m.eq_ignore_ascii_case("fulltext") || m.eq_ignore_ascii_case("spatial")) =>
        {
            format!("{} ", m.to_ascii_uppercase())
        }
        _ if index.unique => "UNIQUE ".to_string(),
        _ => String::new(),
    };
    let ine = if if_not_exists && dialect != Dialect::Mysql {
        "IF NOT EXISTS "
    } else {
        ""
    };
    let on = qualified(dialect, schema, table);
    let using = match (method, dialect) {
        (Some(m), Dialect::Postgres) => format!(" USING {}", m.to_ascii_lowercase()),
        _ => String::new(),
    };
    let mut sql = format!(
        "CREATE {kind}INDEX {ine}{} ON {on}{using} ({})",
        ident(dialect, name),
        parts.join(", ")
    );
    if !index.include.is_empty() && dialect == Dialect::Postgres {
        sql.push_str(&format!(
            " INCLUDE ({})",
            index
                .include
                .iter()
                .map(|c| ident(dialect, c))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(p) = predicate {
        sql.push_str(&format!(" WHERE {p}"));
    }
    Ok(sql)
}

/// `DROP INDEX`.
pub(crate) fn drop_index(
    dialect: Dialect,
    schema: &str,
    table: &str,
    name: &str,
    if_exists: bool,
) -> String {
    if dialect == Dialect::Mysql {
        // Hand-written: sea-query writes only bare table names here.
        return format!(
            "DROP INDEX {} ON {}",
            ident(dialect, name),
            qualified(dialect, schema, table)
        );
    }
    let mut d = SqIndex::drop();
    d.name(sq_raw_name(dialect, name))
        .table(sq_table(dialect, schema, table));
    if if_exists && dialect != Dialect::Mysql {
        d.if_exists();
    }
    build!(dialect, d)
}

/// Adds a UNIQUE constraint (PostgreSQL: a constraint; MySQL: a unique index).
pub(crate) fn add_unique(
    dialect: Dialect,
    schema: &str,
    table: &str,
    name: &str,
    u: &UniqueConstraint,
) -> String {
    match dialect {
        // Hand-written: sea-query writes only bare table names here.
        Dialect::Mysql => format!(
            "CREATE UNIQUE INDEX {} ON {} ({})",
            ident(dialect, name),
            qualified(dialect, schema, table),
            u.columns
                .iter()
                .map(|c| ident(dialect, c))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => format!(
            "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE {}({})",
            qualified(dialect, schema, table),
            ident(dialect, name),
            if u.nulls_not_distinct {
                "NULLS NOT DISTINCT "
            } else {
                ""
            },
            u.columns
                .iter()
                .map(|c| ident(dialect, c))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Drops a UNIQUE constraint.
pub(crate) fn drop_unique(dialect: Dialect, schema: &str, table: &str, name: &str) -> String {
    match dialect {
        Dialect::Mysql => drop_index(dialect, schema, table, name, false),
        _ => drop_constraint(dialect, schema, table, name),
    }
}

/// `ALTER TABLE … DROP CONSTRAINT`.
pub(crate) fn drop_constraint(dialect: Dialect, schema: &str, table: &str, name: &str) -> String {
    let mut a = SqTable::alter();
    a.table(sq_table(dialect, schema, table))
        .drop_constraint(sq_iden(name));
    build!(dialect, a)
}

/// Adds a primary key (hand-written: sea-query adds keys only in CREATE TABLE).
pub(crate) fn add_primary_key(
    dialect: Dialect,
    schema: &str,
    table: &str,
    pk: &PrimaryKey,
) -> String {
    let cols = pk
        .columns
        .iter()
        .map(|c| ident(dialect, c))
        .collect::<Vec<_>>()
        .join(", ");
    match dialect {
        Dialect::Mysql => format!(
            "ALTER TABLE {} ADD PRIMARY KEY ({cols})",
            qualified(dialect, schema, table)
        ),
        _ => format!(
            "ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY ({cols})",
            qualified(dialect, schema, table),
            ident(dialect, &pk.name)
        ),
    }
}

/// Drops a primary key.
pub(crate) fn drop_primary_key(
    dialect: Dialect,
    schema: &str,
    table: &str,
    pk: &PrimaryKey,
) -> String {
    match dialect {
        Dialect::Mysql => format!(
            "ALTER TABLE {} DROP PRIMARY KEY",
            qualified(dialect, schema, table)
        ),
        _ => drop_constraint(dialect, schema, table, &pk.name),
    }
}

/// Adds a CHECK constraint (hand-written: sea-query adds checks only in CREATE TABLE).
pub(crate) fn add_check(
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
        "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({e})",
        qualified(dialect, schema, table),
        ident(dialect, name)
    ))
}

/// PostgreSQL `CREATE TYPE … AS ENUM`.
pub(crate) fn pg_create_enum(schema: &str, name: &str, labels: &[String]) -> String {
    let stmt = PgType::create()
        .as_enum((sq_iden(schema), sq_iden(name)))
        .values(labels.iter().map(|l| Alias::new(l.replace('\0', ""))))
        .to_owned();
    stmt.to_string(PostgresQueryBuilder)
}

/// PostgreSQL `ALTER TYPE … ADD VALUE [IF NOT EXISTS] … [BEFORE|AFTER] …`.
pub(crate) fn pg_enum_add_value(
    schema: &str,
    name: &str,
    label: &str,
    before: Option<&str>,
    after: Option<&str>,
    if_not_exists: bool,
) -> String {
    let mut stmt = PgType::alter()
        .name((sq_iden(schema), sq_iden(name)))
        .add_value(Alias::new(label.replace('\0', "")));
    if if_not_exists {
        stmt = stmt.if_not_exists();
    }
    if let Some(b) = before {
        stmt = stmt.before(Alias::new(b.replace('\0', "")));
    } else if let Some(a) = after {
        stmt = stmt.after(Alias::new(a.replace('\0', "")));
    }
    stmt.to_string(PostgresQueryBuilder)
}

/// PostgreSQL `ALTER TYPE … RENAME TO …`.
pub(crate) fn pg_rename_type(schema: &str, name: &str, to: &str) -> String {
    PgType::alter()
        .name((sq_iden(schema), sq_iden(name)))
        .rename_to(sq_iden(to))
        .to_string(PostgresQueryBuilder)
}

/// PostgreSQL `DROP TYPE [IF EXISTS]`.
pub(crate) fn pg_drop_type(schema: &str, name: &str, if_exists: bool) -> String {
    let mut stmt = PgType::drop();
    stmt.name((sq_iden(schema), sq_iden(name)));
    if if_exists {
        stmt.if_exists();
    }
    stmt.to_string(PostgresQueryBuilder)
}

/// PostgreSQL `CREATE SCHEMA`.
pub(crate) fn create_schema(dialect: Dialect, schema: &str, if_not_exists: bool) -> String {
    format!(
        "CREATE SCHEMA {}{}",
        if if_not_exists { "IF NOT EXISTS " } else { "" },
        ident(dialect, schema)
    )
}

/// PostgreSQL `DROP SCHEMA` (never CASCADE).
pub(crate) fn drop_schema(dialect: Dialect, schema: &str, if_exists: bool) -> String {
    format!(
        "DROP SCHEMA {}{}",
        if if_exists { "IF EXISTS " } else { "" },
        ident(dialect, schema)
    )
}

fn sequence_options(seq: &Sequence, object: &str) -> Result<String, PlanError> {
    let ty = fragment(
        Dialect::Postgres,
        FragmentKind::Type,
        object,
        &seq.data_type,
    )?;
    Ok(format!(
        "AS {ty} INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {} CACHE {} {}",
        seq.increment,
        seq.min_value,
        seq.max_value,
        seq.start,
        seq.cache.max(1),
        if seq.cycle { "CYCLE" } else { "NO CYCLE" }
    ))
}

/// PostgreSQL `CREATE SEQUENCE`.
pub(crate) fn pg_create_sequence(
    schema: &str,
    name: &str,
    seq: &Sequence,
    if_not_exists: bool,
) -> Result<String, PlanError> {
    let d = Dialect::Postgres;
    let object = format!("sequence {schema}.{name}");
    Ok(format!(
        "CREATE SEQUENCE {}{} {}",
        if if_not_exists { "IF NOT EXISTS " } else { "" },
        qualified(d, schema, name),
        sequence_options(seq, &object)?
    ))
}

/// PostgreSQL `ALTER SEQUENCE` to the given options (the current value is kept).
pub(crate) fn pg_alter_sequence(
    schema: &str,
    name: &str,
    seq: &Sequence,
) -> Result<String, PlanError> {
    let d = Dialect::Postgres;
    let object = format!("sequence {schema}.{name}");
    Ok(format!(
        "ALTER SEQUENCE {} {}",
        qualified(d, schema, name),
        sequence_options(seq, &object)?
    ))
}

/// PostgreSQL `ALTER SEQUENCE … OWNED BY`.
pub(crate) fn pg_sequence_owned_by(
    schema: &str,
    name: &str,
    owner: Option<(&str, &str)>,
) -> String {
    let d = Dialect::Postgres;
    let by = match owner {
        Some((t, c)) => format!("{}.{}", qualified(d, schema, t), ident(d, c)),
        None => "NONE".into(),
    };
    format!(
        "ALTER SEQUENCE {} OWNED BY {by}",
        qualified(d, schema, name)
    )
}

/// `DROP SEQUENCE`.
pub(crate) fn pg_drop_sequence(schema: &str, name: &str, if_exists: bool) -> String {
    format!(
        "DROP SEQUENCE {}{}",
        if if_exists { "IF EXISTS " } else { "" },
        qualified(Dialect::Postgres, schema, name)
    )
}

/// `CREATE [MATERIALIZED] VIEW`.
pub(crate) fn create_view(
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
    let kind = if view.materialized && dialect == Dialect::Postgres {
        "MATERIALIZED VIEW"
    } else {
        "VIEW"
    };
    let or_replace = if if_not_exists && !view.materialized && dialect != Dialect::Sqlite {
        "OR REPLACE "
    } else {
        ""
    };
    Ok(format!(
        "CREATE {or_replace}{kind} {ine}{} AS {body}",
        qualified(dialect, schema, name)
    ))
}

/// `DROP [MATERIALIZED] VIEW`.
pub(crate) fn drop_view(
    dialect: Dialect,
    schema: &str,
    name: &str,
    materialized: bool,
    if_exists: bool,
) -> String {
    let kind = if materialized && dialect == Dialect::Postgres {
        "MATERIALIZED VIEW"
    } else {
        "VIEW"
    };
    format!(
        "DROP {kind} {}{}",
        if if_exists { "IF EXISTS " } else { "" },
        qualified(dialect, schema, name)
    )
}
