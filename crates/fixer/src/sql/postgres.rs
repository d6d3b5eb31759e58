//! The PostgreSQL writer, and the statements only PostgreSQL has: schemas,
//! enum types (sea-query's extension), sequences, column type, nullability,
//! default, identity and generation changes, renamed constraints and
//! indexes, `COMMENT ON`, the `DO` blocks of the guarded script, and the
//! transaction's settings and advisory lock.

use driftless_model::{
    Column, Dialect, Exclusion, Identity, IdentityOptions, Sequence, Table, INHERITS,
    PARTITION_BOUND, PARTITION_BY, PARTITION_OF, PERSISTENCE, STORAGE, UNLOGGED,
};
use sea_query::extension::postgres::Type as PgType;
use sea_query::{Alias, ColumnDef, ColumnType, Expr, PostgresQueryBuilder, Table as SqTable};

use super::columns::{column_object, type_with_collation, verbatim};
use super::fragment::{fragment, plain_name, with_params, FragmentKind};
use super::indexes::idents;
use super::tables::{elements, CreateTable, NewTable};
use super::{keys, Commented, Constraint, Writer};
use crate::guard::Cond;
use crate::plan::PlanError;
use crate::quote::{ident, literal, qualified, sq_iden, sq_raw_name, sq_table};

const D: Dialect = Dialect::Postgres;

/// Writes PostgreSQL.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Postgres;

impl Writer for Postgres {
    fn dialect(&self) -> Dialect {
        D
    }

    /// sea-query's, unless the table needs what sea-query cannot say:
    /// deferrable keys, `NO INHERIT` checks, exclusion constraints, a place in a partitioning or
    /// inheritance hierarchy (see [`hierarchy`]), `UNLOGGED`; then a plain
    /// statement of sea-query's elements and those clauses.
    fn create_table(
        &self,
        schema: &str,
        name: &str,
        table: &Table,
        opts: CreateTable<'_>,
    ) -> Result<String, PlanError> {
        let new = NewTable::new(D, schema, name, table, opts)?;
        let plain = !table.exclusions.is_empty()
            || new.key_suffixes.iter().any(|d| !d.is_empty())
            || new.checks.iter().any(|(_, _, suffix)| !suffix.is_empty())
            || [PARTITION_BY, PARTITION_OF, INHERITS, PERSISTENCE, STORAGE]
                .iter()
                .any(|o| table.options.contains_key(*o));
        if !plain {
            return Ok(new.render());
        }
        let mut elements = elements(&PostgresQueryBuilder, &new);
        for (n, x) in &table.exclusions {
            let def = exclusion(schema, name, n, x)?;
            elements.push(format!("CONSTRAINT {} {def}", ident(D, n)));
        }
        hierarchy(schema, name, table, opts.if_not_exists, &elements)
    }

    /// `ALTER TABLE … ADD CONSTRAINT` (sea-query's for a foreign key that
    /// is not `DEFERRABLE`, which it does not write) / `DROP CONSTRAINT`.
    fn alter_constraint(
        &self,
        schema: &str,
        table: &str,
        change: Constraint<'_>,
    ) -> Result<String, PlanError> {
        let head = || format!("ALTER TABLE {} ADD CONSTRAINT", qualified(D, schema, table));
        Ok(match change {
            Constraint::AddPrimaryKey(pk) => format!(
                "{} {} PRIMARY KEY ({}){}",
                head(),
                ident(D, &pk.name),
                idents(D, &pk.columns),
                keys::deferral((pk.deferrable, pk.initially_deferred))
            ),
            Constraint::AddUnique(name, unique) => format!(
                "{} {} UNIQUE {}({}){}",
                head(),
                ident(D, name),
                if unique.nulls_not_distinct {
                    "NULLS NOT DISTINCT "
                } else {
                    ""
                },
                idents(D, &unique.columns),
                keys::deferral((unique.deferrable, unique.initially_deferred))
            ),
            Constraint::AddExclusion(name, x) => {
                format!(
                    "{} {} {}",
                    head(),
                    ident(D, name),
                    exclusion(schema, table, name, x)?
                )
            }
            Constraint::AddCheck(name, check) => keys::add_check(D, schema, table, name, check)?,
            Constraint::AddForeignKey(name, fk) if fk.deferrable || fk.match_full => {
                keys::add_foreign_key(D, schema, table, name, fk)
            }
            Constraint::AddForeignKey(name, fk) => {
                keys::foreign_key_stmt(D, schema, table, name, fk).to_string(PostgresQueryBuilder)
            }
            Constraint::DropForeignKey(name) => {
                let mut f = sea_query::ForeignKey::drop();
                f.name(sq_raw_name(D, name))
                    .table(sq_table(D, schema, table));
                f.to_string(PostgresQueryBuilder)
            }
            Constraint::DropPrimaryKey(_)
            | Constraint::DropUnique(_)
            | Constraint::DropCheck(_)
            | Constraint::DropExclusion(_) => {
                keys::drop_constraint(D, schema, table, change.name())
            }
        })
    }

    /// `COMMENT ON … IS …` (`NULL` removes it).
    fn comment(&self, on: Commented<'_>, text: Option<&str>) -> Result<String, PlanError> {
        let (kind, target) = match on {
            Commented::Schema(s) => ("SCHEMA", ident(D, s)),
            Commented::Table(s, t) => ("TABLE", qualified(D, s, t)),
            Commented::Column(s, t, c) => {
                ("COLUMN", format!("{}.{}", qualified(D, s, t), ident(D, c)))
            }
            Commented::Type(s, n) => ("TYPE", qualified(D, s, n)),
            Commented::View {
                schema,
                name,
                materialized,
            } => (
                if materialized {
                    "MATERIALIZED VIEW"
                } else {
                    "VIEW"
                },
                qualified(D, schema, name),
            ),
            Commented::Index(s, n) => ("INDEX", qualified(D, s, n)),
            Commented::Constraint(s, t, n) => (
                "CONSTRAINT",
                format!("{} ON {}", ident(D, n), qualified(D, s, t)),
            ),
            Commented::Sequence(s, n) => ("SEQUENCE", qualified(D, s, n)),
        };
        let value = text.map(|c| literal(D, c)).unwrap_or_else(|| "NULL".into());
        Ok(format!("COMMENT ON {kind} {target} IS {value}"))
    }

    /// One `DO` block: `IF condition THEN EXECUTE '…'; … END IF`.
    fn guarded(&self, cond: &Cond, stmts: &[String]) -> Vec<String> {
        let body: String = stmts
            .iter()
            .map(|s| format!("    EXECUTE {};\n", literal(D, s)))
            .collect();
        let inner = format!("BEGIN\n  IF {} THEN\n{body}  END IF;\nEND", probe(cond));
        let tag = dollar_tag(&inner);
        vec![format!("DO {tag}\n{inner}\n{tag}")]
    }
}

/// An exclusion constraint's definition, checked to be one fragment.
fn exclusion(schema: &str, table: &str, name: &str, x: &Exclusion) -> Result<String, PlanError> {
    let object = format!("exclusion constraint {name} on {schema}.{table}");
    Ok(fragment(D, FragmentKind::Expression, &object, &x.definition)?.into_owned())
}

/// `CREATE [UNLOGGED] TABLE` of a table with `elements`, in its place in a
/// hierarchy: `PARTITION OF parent [(constraints)] FOR VALUES …`, or
/// `(elements) INHERITS (parents)`; then `PARTITION BY …` for a
/// partitioned table.
fn hierarchy(
    schema: &str,
    name: &str,
    table: &Table,
    if_not_exists: bool,
    elements: &[String],
) -> Result<String, PlanError> {
    let object = format!("table {schema}.{name}");
    let option = |key: &str| -> Result<Option<String>, PlanError> {
        table
            .options
            .get(key)
            .map(|v| Ok(fragment(D, FragmentKind::Expression, &object, v)?.into_owned()))
            .transpose()
    };
    let ine = if if_not_exists { "IF NOT EXISTS " } else { "" };
    let unlogged = if table.options.get(PERSISTENCE).map(String::as_str) == Some(UNLOGGED) {
        "UNLOGGED "
    } else {
        ""
    };
    let mut sql = format!("CREATE {unlogged}TABLE {ine}{}", qualified(D, schema, name));
    let parents: Vec<String> = table
        .parent_tables(schema)
        .iter()
        .map(|(s, t)| qualified(D, s, t))
        .collect();
    match (option(PARTITION_OF)?, option(PARTITION_BOUND)?) {
        (Some(_), Some(bound)) => {
            sql.push_str(&format!(" PARTITION OF {}", parents.join(", ")));
            if !elements.is_empty() {
                sql.push_str(&format!(" ( {} )", elements.join(", ")));
            }
            sql.push_str(&format!(" {bound}"));
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err(PlanError::Unsupported {
                object,
                reason: "a partition needs both its parent and its bound".into(),
            })
        }
        (None, None) => {
            match elements {
                [] => sql.push_str(" ()"),
                _ => sql.push_str(&format!(" ( {} )", elements.join(", "))),
            }
            if !parents.is_empty() {
                sql.push_str(&format!(" INHERITS ({})", parents.join(", ")));
            }
        }
    }
    if let Some(key) = option(PARTITION_BY)? {
        sql.push_str(&format!(" PARTITION BY {key}"));
    }
    if let Some(storage) = table.options.get(STORAGE) {
        let params = table_storage(&object, &storage_entries(storage))?;
        sql.push_str(&format!(" WITH ({})", params.join(", ")));
    }
    Ok(sql)
}

/// Table storage parameters (`toast.` ones dotted) as `name = 'value'`.
fn table_storage(object: &str, entries: &[(&str, &str)]) -> Result<Vec<String>, PlanError> {
    let entries = entries.iter().map(|&(n, v)| (n, Some(v)));
    with_params(D, object, "storage parameter", entries, true)
}

/// The `name=value` entries of a [`STORAGE`] option
/// (`fillfactor=70, autovacuum_enabled=false`).
fn storage_entries(storage: &str) -> Vec<(&str, &str)> {
    storage
        .split(", ")
        .filter(|e| !e.is_empty())
        .map(|e| e.split_once('=').unwrap_or((e, "true")))
        .collect()
}

/// Statements that move tables within partitioning and inheritance
/// hierarchies.
impl Postgres {
    /// `leave` (a `DETACH PARTITION` or `NO INHERIT` of table `s.t`) in a
    /// `DO` block that then drops what the table had taken from its parent
    /// and keeps as its own once it leaves: the constraints not declared on
    /// it (not NOT NULL) and its parts of the parent's indexes. The model
    /// counts them as the parent's, so the plan could neither see nor drop
    /// them otherwise.
    pub(crate) fn leave_parent(&self, s: &str, t: &str, leave: &str) -> String {
        let rel = literal(D, &qualified(D, s, t));
        let inner = format!(
            "DECLARE c text; i text; cons text[]; idx text[];
BEGIN
  SELECT array_agg(conname::text) INTO cons FROM pg_catalog.pg_constraint
   WHERE conrelid = {rel}::regclass AND NOT conislocal AND contype <> 'n';
  SELECT array_agg(x.indexrelid::regclass::text) INTO idx FROM pg_catalog.pg_index x
   JOIN pg_catalog.pg_inherits h ON h.inhrelid = x.indexrelid
   WHERE x.indrelid = {rel}::regclass
     AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint k WHERE k.conindid = x.indexrelid);
  EXECUTE {};
  FOREACH c IN ARRAY coalesce(cons, '{{}}') LOOP
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I', {rel}, c);
  END LOOP;
  FOREACH i IN ARRAY coalesce(idx, '{{}}') LOOP
    EXECUTE 'DROP INDEX IF EXISTS ' || i;
  END LOOP;
END",
            literal(D, leave)
        );
        let tag = dollar_tag(&inner);
        format!("DO {tag}\n{inner}\n{tag}")
    }

    /// `ALTER TABLE parent DETACH PARTITION table`; `parent` is `(schema, name)`.
    pub(crate) fn detach_partition(
        &self,
        schema: &str,
        table: &str,
        parent: &(String, String),
    ) -> String {
        format!(
            "ALTER TABLE {} DETACH PARTITION {}",
            qualified(D, &parent.0, &parent.1),
            qualified(D, schema, table)
        )
    }

    /// `ALTER TABLE parent ATTACH PARTITION table FOR VALUES …`.
    pub(crate) fn attach_partition(
        &self,
        schema: &str,
        table: &str,
        parent: &(String, String),
        bound: &str,
    ) -> Result<String, PlanError> {
        let object = format!("table {schema}.{table}");
        let bound = fragment(D, FragmentKind::Expression, &object, bound)?;
        Ok(format!(
            "ALTER TABLE {} ATTACH PARTITION {} {bound}",
            qualified(D, &parent.0, &parent.1),
            qualified(D, schema, table)
        ))
    }

    /// `ALTER TABLE table [NO] INHERIT parent`.
    pub(crate) fn inherit(
        &self,
        schema: &str,
        table: &str,
        parent: &(String, String),
        on: bool,
    ) -> String {
        format!(
            "ALTER TABLE {} {}INHERIT {}",
            qualified(D, schema, table),
            if on { "" } else { "NO " },
            qualified(D, &parent.0, &parent.1)
        )
    }

    /// `ALTER TABLE … SET UNLOGGED` when `unlogged`, else `SET LOGGED`.
    pub(crate) fn set_persistence(&self, schema: &str, table: &str, unlogged: bool) -> String {
        format!(
            "ALTER TABLE {} SET {}",
            qualified(D, schema, table),
            if unlogged { "UNLOGGED" } else { "LOGGED" }
        )
    }

    /// `ALTER TABLE … RESET (names)` of the storage parameters `expected`
    /// lacks, then `ALTER TABLE … SET (name = 'value', …)` of those it sets
    /// otherwise ([`STORAGE`] options, either absent).
    pub(crate) fn alter_storage(
        &self,
        schema: &str,
        table: &str,
        actual: Option<&str>,
        expected: Option<&str>,
    ) -> Result<Vec<String>, PlanError> {
        let object = format!("table {schema}.{table}");
        let (a, e) = (
            storage_entries(actual.unwrap_or_default()),
            storage_entries(expected.unwrap_or_default()),
        );
        let on = qualified(D, schema, table);
        let mut out = Vec::new();
        let gone: Vec<&str> = a
            .iter()
            .map(|(n, _)| *n)
            .filter(|n| e.iter().all(|(m, _)| m != n))
            .collect();
        if !gone.is_empty() {
            for n in &gone {
                plain_name(&object, "storage parameter", n, true)?;
            }
            out.push(format!("ALTER TABLE {on} RESET ({})", gone.join(", ")));
        }
        let set: Vec<(&str, &str)> = e.into_iter().filter(|p| !a.contains(p)).collect();
        if !set.is_empty() {
            let params = table_storage(&object, &set)?;
            out.push(format!("ALTER TABLE {on} SET ({})", params.join(", ")));
        }
        Ok(out)
    }
}

/// `ALWAYS` or `BY DEFAULT`.
fn identity_kind(i: Identity) -> &'static str {
    if i == Identity::Always {
        "ALWAYS"
    } else {
        "BY DEFAULT"
    }
}

/// `GENERATED ALWAYS AS IDENTITY`, with the sequence options in
/// parentheses when they are not the defaults.
pub(super) fn identity_clause(i: Identity, options: Option<&IdentityOptions>) -> String {
    let mut s = format!("GENERATED {} AS IDENTITY", identity_kind(i));
    if let Some(o) = options {
        s.push_str(&format!(" ({})", o.to_sql()));
    }
    s
}

/// A relation or type name as the text literal `to_regclass` and
/// `to_regtype` read.
fn regclass(schema: &str, name: &str) -> String {
    literal(D, &qualified(D, schema, name))
}

/// The catalog condition as a boolean expression.
fn probe(cond: &Cond) -> String {
    let lit = |s: &str| literal(D, s);
    match cond {
        Cond::Not(c) => format!("NOT ({})", probe(c)),
        Cond::And(a, b) => format!("({}) AND ({})", probe(a), probe(b)),
        Cond::Relation { schema, name } | Cond::Index { schema, name, .. } => {
            format!("to_regclass({}) IS NOT NULL", regclass(schema, name))
        }
        Cond::Column { schema, table, column } => format!(
            "EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = {} AND table_name = {} AND column_name = {})",
            lit(schema),
            lit(table),
            lit(column)
        ),
        Cond::Constraint { schema, table, name } => format!(
            "EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass({}) AND conname = {})",
            regclass(schema, table),
            lit(name)
        ),
        Cond::Type { schema, name } => format!("to_regtype({}) IS NOT NULL", regclass(schema, name)),
        Cond::EnumLabelsDiffer { schema, name, labels } => format!(
            "(SELECT array_agg(enumlabel::text ORDER BY enumsortorder) FROM pg_catalog.pg_enum WHERE enumtypid = to_regtype({})) IS DISTINCT FROM ARRAY[{}]::text[]",
            regclass(schema, name),
            labels.iter().map(|l| lit(l)).collect::<Vec<_>>().join(", ")
        ),
        Cond::Identity { schema, table, column } => format!(
            "EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = {} AND table_name = {} AND column_name = {} AND is_identity = 'YES')",
            lit(schema),
            lit(table),
            lit(column)
        ),
    }
}

/// A dollar-quote tag that does not occur in `body`.
fn dollar_tag(body: &str) -> String {
    let mut n = 0u32;
    loop {
        let tag = if n == 0 {
            "$driftless$".to_string()
        } else {
            format!("$driftless{n}$")
        };
        if !body.contains(&tag) {
            return tag;
        }
        n += 1;
    }
}

/// `IF NOT EXISTS ` / `IF EXISTS ` when asked.
fn if_(yes: bool, clause: &'static str) -> &'static str {
    if yes {
        clause
    } else {
        ""
    }
}

/// Schemas and enum types.
impl Postgres {
    /// `CREATE SCHEMA [IF NOT EXISTS]`.
    pub(crate) fn create_schema(&self, schema: &str, if_not_exists: bool) -> String {
        format!(
            "CREATE SCHEMA {}{}",
            if_(if_not_exists, "IF NOT EXISTS "),
            ident(D, schema)
        )
    }

    /// `DROP SCHEMA [IF EXISTS]` (never `CASCADE`).
    pub(crate) fn drop_schema(&self, schema: &str, if_exists: bool) -> String {
        format!(
            "DROP SCHEMA {}{}",
            if_(if_exists, "IF EXISTS "),
            ident(D, schema)
        )
    }

    /// `CREATE TYPE … AS ENUM (…)`.
    pub(crate) fn create_enum(&self, schema: &str, name: &str, labels: &[String]) -> String {
        PgType::create()
            .as_enum((sq_iden(schema), sq_iden(name)))
            .values(labels.iter().map(|l| Alias::new(l.replace('\0', ""))))
            .to_string(PostgresQueryBuilder)
    }

    /// `ALTER TYPE … ADD VALUE [IF NOT EXISTS] … [BEFORE … | AFTER …]`.
    pub(crate) fn add_enum_value(
        &self,
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

    /// `ALTER TYPE … RENAME TO …`.
    pub(crate) fn rename_type(&self, schema: &str, name: &str, to: &str) -> String {
        PgType::alter()
            .name((sq_iden(schema), sq_iden(name)))
            .rename_to(sq_iden(to))
            .to_string(PostgresQueryBuilder)
    }

    /// A type's name as a column's type spells it: qualified, with `[]`
    /// for an `array` of it.
    pub(crate) fn type_name(&self, schema: &str, name: &str, array: bool) -> String {
        let t = qualified(D, schema, name);
        if array {
            format!("{t}[]")
        } else {
            t
        }
    }

    /// `DROP TYPE [IF EXISTS]`.
    pub(crate) fn drop_type(&self, schema: &str, name: &str, if_exists: bool) -> String {
        let mut stmt = PgType::drop();
        stmt.name((sq_iden(schema), sq_iden(name)));
        if if_exists {
            stmt.if_exists();
        }
        stmt.to_string(PostgresQueryBuilder)
    }
}

/// The options of sequence `schema.name`, in the order `CREATE SEQUENCE`
/// takes them.
fn sequence_options(schema: &str, name: &str, seq: &Sequence) -> Result<String, PlanError> {
    let object = format!("sequence {schema}.{name}");
    let ty = fragment(D, FragmentKind::Type, &object, &seq.data_type)?;
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

/// Sequences (plain: sea-query has none).
impl Postgres {
    /// `CREATE SEQUENCE [IF NOT EXISTS] … AS … INCREMENT BY …`.
    pub(crate) fn create_sequence(
        &self,
        schema: &str,
        name: &str,
        seq: &Sequence,
        if_not_exists: bool,
    ) -> Result<String, PlanError> {
        Ok(format!(
            "CREATE SEQUENCE {}{} {}",
            if_(if_not_exists, "IF NOT EXISTS "),
            qualified(D, schema, name),
            sequence_options(schema, name, seq)?
        ))
    }

    /// `ALTER SEQUENCE` to the given options (the current value is kept).
    pub(crate) fn alter_sequence(
        &self,
        schema: &str,
        name: &str,
        seq: &Sequence,
    ) -> Result<String, PlanError> {
        Ok(format!(
            "ALTER SEQUENCE {} {}",
            qualified(D, schema, name),
            sequence_options(schema, name, seq)?
        ))
    }

    /// `ALTER SEQUENCE … OWNED BY table.column | NONE`.
    pub(crate) fn sequence_owned_by(
        &self,
        schema: &str,
        name: &str,
        owner: Option<(&str, &str)>,
    ) -> String {
        let by = match owner {
            Some((t, c)) => format!("{}.{}", qualified(D, schema, t), ident(D, c)),
            None => "NONE".into(),
        };
        format!(
            "ALTER SEQUENCE {} OWNED BY {by}",
            qualified(D, schema, name)
        )
    }

    /// `DROP SEQUENCE [IF EXISTS]`.
    pub(crate) fn drop_sequence(&self, schema: &str, name: &str, if_exists: bool) -> String {
        format!(
            "DROP SEQUENCE {}{}",
            if_(if_exists, "IF EXISTS "),
            qualified(D, schema, name)
        )
    }
}

/// `ALTER TABLE … ALTER COLUMN …`, the head of the plain column changes.
fn alter_column(schema: &str, table: &str, name: &str) -> String {
    format!(
        "ALTER TABLE {} ALTER COLUMN {}",
        qualified(D, schema, table),
        ident(D, name)
    )
}

/// sea-query's `ALTER TABLE … ALTER COLUMN` of `def`.
fn modify(schema: &str, table: &str, def: ColumnDef) -> String {
    let mut a = SqTable::alter();
    a.table(sq_table(D, schema, table)).modify_column(def);
    a.to_string(PostgresQueryBuilder)
}

/// Column changes.
impl Postgres {
    /// `ALTER COLUMN … TYPE … USING column::type` (`via_text` casts through
    /// text, for enums).
    pub(crate) fn alter_column_type(
        &self,
        schema: &str,
        table: &str,
        name: &str,
        col: &Column,
        via_text: bool,
    ) -> Result<String, PlanError> {
        let object = column_object(schema, table, name);
        let ty = type_with_collation(D, &object, col)?;
        let bare_ty = fragment(D, FragmentKind::Type, &object, &col.data_type)?;
        let using = if via_text {
            let text = if bare_ty.ends_with("[]") {
                "text[]"
            } else {
                "text"
            };
            format!("{}::{text}::{bare_ty}", ident(D, name))
        } else {
            format!("{}::{bare_ty}", ident(D, name))
        };
        let mut def = ColumnDef::new_with_type(sq_iden(name), ColumnType::custom(Alias::new(ty)));
        def.using(Expr::cust(using));
        Ok(modify(schema, table, def))
    }

    /// `ALTER COLUMN … SET NOT NULL` / `DROP NOT NULL`.
    pub(crate) fn alter_column_null(
        &self,
        schema: &str,
        table: &str,
        name: &str,
        nullable: bool,
    ) -> String {
        let mut def = ColumnDef::new(sq_iden(name));
        if nullable {
            def.null();
        } else {
            def.not_null();
        }
        modify(schema, table, def)
    }

    /// `ALTER COLUMN … SET DEFAULT …` (sea-query) / `DROP DEFAULT` (plain:
    /// sea-query has none).
    pub(crate) fn alter_column_default(
        &self,
        schema: &str,
        table: &str,
        name: &str,
        default: Option<&str>,
    ) -> Result<String, PlanError> {
        match default {
            Some(expr) => {
                let object = column_object(schema, table, name);
                let e = fragment(D, FragmentKind::Default, &object, expr)?;
                let mut def = ColumnDef::new(sq_iden(name));
                def.default(verbatim(&e));
                Ok(modify(schema, table, def))
            }
            None => Ok(format!(
                "{} DROP DEFAULT",
                alter_column(schema, table, name)
            )),
        }
    }

    /// The identity change from `from` to `to`: add (with the sequence
    /// options `options`), set or drop (plain: sea-query has none).
    pub(crate) fn alter_identity(
        &self,
        schema: &str,
        table: &str,
        name: &str,
        from: Option<Identity>,
        to: Option<Identity>,
        options: Option<&IdentityOptions>,
    ) -> Vec<String> {
        let head = alter_column(schema, table, name);
        match (from, to) {
            (a, b) if a == b => Vec::new(),
            (Some(_), None) => vec![format!("{head} DROP IDENTITY IF EXISTS")],
            (None, Some(b)) => vec![format!("{head} ADD {}", identity_clause(b, options))],
            (Some(_), Some(b)) => vec![format!("{head} SET GENERATED {}", identity_kind(b))],
            (None, None) => Vec::new(),
        }
    }

    /// The sequence options of identity column `name` set to `to` (the
    /// defaults for `None`). A sequence that has issued no value yet, or
    /// whose last value lies outside the new bounds (which the server
    /// refuses), restarts at the new start; one in use within them keeps
    /// its place.
    pub(crate) fn set_identity_options(
        &self,
        schema: &str,
        table: &str,
        name: &str,
        to: Option<&IdentityOptions>,
    ) -> String {
        let (min, max) = to.map_or((1, i64::MAX), |o| (o.min_value, o.max_value));
        let clauses = match to {
            Some(o) => o.clauses("SET "),
            None => [
                "SET INCREMENT BY 1",
                "SET NO MINVALUE",
                "SET NO MAXVALUE",
                "SET START WITH 1",
                "SET CACHE 1",
                "SET NO CYCLE",
            ]
            .map(String::from)
            .to_vec(),
        };
        let set = format!(
            "{} {}",
            alter_column(schema, table, name),
            clauses.join(" ")
        );
        let sequence = format!(
            "pg_catalog.pg_get_serial_sequence({}, {})",
            regclass(schema, table),
            literal(D, name)
        );
        let body = format!(
            "BEGIN\n  IF coalesce(pg_catalog.pg_sequence_last_value({sequence}::regclass) NOT BETWEEN {min} AND {max}, true) THEN\n    EXECUTE {};\n  ELSE\n    EXECUTE {};\n  END IF;\nEND",
            literal(D, &format!("{set} RESTART")),
            literal(D, &set)
        );
        let tag = dollar_tag(&body);
        format!("DO {tag}\n{body}\n{tag}")
    }

    /// `ALTER COLUMN … DROP EXPRESSION [IF EXISTS]`: a generated column
    /// becomes a plain one, keeping its values.
    pub(crate) fn drop_expression(
        &self,
        schema: &str,
        table: &str,
        name: &str,
        if_exists: bool,
    ) -> String {
        format!(
            "{} DROP EXPRESSION{}",
            alter_column(schema, table, name),
            if_(if_exists, " IF EXISTS")
        )
    }

    /// `ALTER TABLE … RENAME CONSTRAINT … TO …` (a primary key or unique
    /// constraint takes its index along).
    pub(crate) fn rename_constraint(
        &self,
        schema: &str,
        table: &str,
        from: &str,
        to: &str,
    ) -> String {
        format!(
            "ALTER TABLE {} RENAME CONSTRAINT {} TO {}",
            qualified(D, schema, table),
            ident(D, from),
            ident(D, to)
        )
    }

    /// `ALTER INDEX … RENAME TO …`.
    pub(crate) fn rename_index(&self, schema: &str, from: &str, to: &str) -> String {
        format!(
            "ALTER INDEX {} RENAME TO {}",
            qualified(D, schema, from),
            ident(D, to)
        )
    }
}

/// The fix's transaction: its settings and the advisory lock.
impl Postgres {
    /// `SET LOCAL lock_timeout`, in milliseconds.
    pub(crate) fn set_lock_timeout(&self, ms: u128) -> String {
        format!("SET LOCAL lock_timeout = '{ms}ms'")
    }

    /// `SET LOCAL statement_timeout`, in milliseconds (0: no limit).
    pub(crate) fn set_statement_timeout(&self, ms: u128) -> String {
        format!("SET LOCAL statement_timeout = '{ms}ms'")
    }

    /// Pins `standard_conforming_strings` (in `'…'` a backslash is an
    /// ordinary character), as the expressions copied from snapshots are
    /// spelled.
    pub(crate) fn standard_conforming_strings(&self) -> &'static str {
        "SET LOCAL standard_conforming_strings = on"
    }

    /// `SELECT pg_advisory_xact_lock(key)`: held until the transaction ends.
    pub(crate) fn advisory_lock(&self, key: i64) -> String {
        format!("SELECT pg_advisory_xact_lock({key})")
    }
}
