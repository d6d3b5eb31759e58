//! Steps for tables: create, quarantine or drop, and alter (columns,
//! keys, indexes, constraints), per dialect. SQLite changes that `ALTER
//! TABLE` cannot make become one table rebuild.

use std::collections::{BTreeMap, BTreeSet};

use driftless_model::{
    Column, Dialect, ForeignKey, Identity, Index, IndexKey, ObjectKind, ObjectRef, QualifiedName,
    Table, PARTITION_BOUND, PARTITION_OF, PERSISTENCE, QUARANTINE_SCHEMA, STORAGE, UNLOGGED,
};

use crate::algorithm::mysql_column_algorithm;
use crate::guard;
use crate::model::{Ctx, Moved, Out, Part, Phase, Removal, Resolved, StepSpec, Target};
use crate::names::mentions;
use crate::online;
use crate::part_settings::{self, InPlace};
use crate::plan::Reason;
use crate::plan::{PlanError, Preflight, PreflightKind};
use crate::safety::Safety;
use crate::sql::quarantine::CatalogRow;
use crate::sql::{self, Commented, Constraint, CreateTable, Mysql, Postgres, Writer};
use crate::types::{self, Rows};

fn col_ref(s: &str, t: &str, c: &str) -> ObjectRef {
    ObjectRef::table_part(ObjectKind::Column, s, t, c)
}

fn part_ref(kind: ObjectKind, s: &str, t: &str, n: &str) -> ObjectRef {
    ObjectRef::table_part(kind, s, t, n)
}

fn refuse_not_null_add(d: Dialect, s: &str, t: &str, c: &str) -> Preflight {
    Preflight {
        kind: PreflightKind::RefuseIfAny,
        sql: sql::writer(d).count_rows(s, t, None),
        message: format!(
            "refusing to add column {c} to {s}.{t}: it is NOT NULL without a default and the table has rows. \
             Give the column a default in the expected schema, or add it as nullable, backfill it, then make it NOT NULL"
        ),
    }
}

/// A SQLite table rebuilt as STRICT refuses the rows whose value in column
/// `c` its new type `ty` does not take.
fn refuse_unstrict(s: &str, t: &str, c: &str, ty: &str) -> Preflight {
    Preflight {
        kind: PreflightKind::RefuseIfAny,
        sql: sql::Sqlite.count_rows(s, t, Some((c, &Rows::RefusedByStrict(ty.to_string())))),
        message: format!(
            "refusing to rebuild {s}.{t} as STRICT: rows hold in column {c} values that STRICT type {ty} refuses. \
             Convert or clear those values first, or declare the column ANY"
        ),
    }
}

fn refuse_nulls(d: Dialect, s: &str, t: &str, c: &str) -> Preflight {
    Preflight {
        kind: PreflightKind::RefuseIfAny,
        sql: sql::writer(d).count_rows(s, t, Some((c, &Rows::Null))),
        message: format!(
            "refusing to make {s}.{t}.{c} NOT NULL: rows hold NULL in it. \
             Update those rows (or give the column a default and backfill it) first"
        ),
    }
}

/// The value the NULLs of column `tc` get before it becomes NOT NULL:
/// its expected default (not an identity's or a generated column's; not
/// when the type changes too, since the default is of the new type and
/// the backfill runs before the change).
fn backfill_default<'c>(ac: &Column, tc: &'c Column) -> Option<&'c str> {
    let becomes_not_null = ac.nullable && !tc.nullable;
    let same_type = ac.data_type == tc.data_type && ac.collation == tc.collation;
    let plain = tc.identity.is_none() && tc.generated.is_none() && same_type;
    (becomes_not_null && plain)
        .then_some(tc.default.as_deref())
        .flatten()
}

/// The backfill step of column `c` of `s.tn` with `default`, counting
/// the rows it fills; `template` is the column's step.
fn backfill_step<'r>(
    ctx: &Ctx<'_>,
    (s, tn, c): (&str, &str, &str),
    default: &str,
    template: &StepSpec<'r>,
) -> Result<StepSpec<'r>, PlanError> {
    let d = ctx.d;
    let mut step = online::backfill(d, (s, tn, c), default, template, ctx.online(s, tn))?;
    step.preflight.push(Preflight {
        kind: PreflightKind::CountAffected,
        sql: sql::writer(d).count_rows(s, tn, Some((c, &Rows::Null))),
        message: format!("fills the NULLs of {s}.{tn}.{c} with its default ({default}) before it becomes NOT NULL"),
    });
    Ok(step)
}

fn count_loss(d: Dialect, s: &str, t: &str, c: &str, loss: &types::Loss) -> Preflight {
    Preflight {
        kind: PreflightKind::CountAffected,
        sql: sql::writer(d).count_rows(s, t, Some((c, &loss.rows))),
        message: format!("changing the type of {s}.{t}.{c} {}", loss.describe),
    }
}

/// The value existing rows get in column `c` of `s.tn`, added as `col`,
/// when it needs one and the plan's options give one.
fn backfill<'a>(ctx: &Ctx<'a>, s: &str, tn: &str, c: &str, col: &Column) -> Option<&'a str> {
    if !needs_value(col) {
        return None;
    }
    ctx.options
        .backfills
        .get(&format!("{s}.{tn}.{c}"))
        .map(String::as_str)
}

/// Whether adding `col` needs a NOT NULL refusal check.
fn needs_value(col: &Column) -> bool {
    !col.nullable && col.default.is_none() && col.identity.is_none() && col.generated.is_none()
}

/// Orphan tables: quarantine (rename aside) or drop, drops in reverse
/// dependency order.
pub(crate) fn removals(ctx: &Ctx<'_>, r: &Resolved<'_>, out: &mut Out) -> Result<(), PlanError> {
    let (d, w) = (ctx.d, ctx.sql());
    for i in removal_order(ctx, r) {
        let rm = &r.removals[i];
        let (s, t) = (rm.schema.as_str(), rm.name.as_str());
        let object = ObjectRef::table(s, t);
        match &rm.quarantine_as {
            Some(q) => {
                let has_fks = !rm.table.foreign_keys.is_empty();
                if d != Dialect::Sqlite {
                    for fk_name in rm.table.foreign_keys.keys() {
                        let note = "its table is quarantined, and a quarantined table must not constrain the tables that stay";
                        let spec = drop_foreign_key_first(ctx, rm, fk_name, Safety::Safe, note)?;
                        out.push(Phase::DropForeignKeys, spec);
                    }
                }
                let mut spec = StepSpec::new(object, "quarantine table", Safety::Safe);
                spec.fixes = rm.reasons.clone();
                if d == Dialect::Sqlite && has_fks {
                    // SQLite cannot drop a foreign key: copy into the quarantine table without them.
                    let mut bare = rm.table.clone();
                    bare.foreign_keys.clear();
                    bare.indexes.clear();
                    let cols: Vec<(&str, &str)> = bare
                        .column_order()
                        .into_iter()
                        .filter(|c| {
                            bare.columns
                                .get(*c)
                                .is_some_and(|col| col.generated.is_none())
                        })
                        .map(|c| (c, c))
                        .collect();
                    spec.safety = Safety::Locking;
                    spec.sql = vec![
                        w.create_table(
                            s,
                            q,
                            &bare,
                            CreateTable {
                                foreign_keys: false,
                                ..CreateTable::default()
                            },
                        )?,
                        w.copy_rows(s, t, q, &cols, &[])?,
                        w.drop_table(s, t, false),
                    ];
                    spec.sql.extend(quarantine_parts(d, rm, q, true)?);
                    spec.note = Some("SQLite cannot drop foreign keys in place: the rows are copied into the quarantine table, without its foreign keys");
                    out.view_changed.insert(QualifiedName::new(s, t));
                } else {
                    spec.sql = leave_parents(d, s, t, rm.table);
                    spec.sql.push(w.rename_table(s, t, q));
                    spec.sql.extend(quarantine_parts(d, rm, q, false)?);
                    if d == Dialect::Postgres {
                        let mut first = sql::quarantine::ensure_catalog(d, s);
                        first.append(&mut spec.sql);
                        spec.sql = first;
                        for (seq, _) in ctx.owned_sequences(s, t).into_iter().filter(|(_, e)| *e) {
                            spec.sql.push(Postgres.sequence_owned_by(s, &seq, None));
                        }
                        spec.sql.push(Postgres.set_schema(s, q, QUARANTINE_SCHEMA));
                        spec.note = Some("renamed and moved to the quarantine schema with its indexes, keys and owned sequences, data kept");
                    }
                }
                spec.sql.extend(record_table(ctx, rm, q));
                if d != Dialect::Sqlite || !has_fks {
                    spec.script = w.guarded(&guard::relation(s, t), &spec.sql);
                } else {
                    spec.script = spec.sql.clone();
                }
                out.push(Phase::RemoveTables, spec);
            }
            None => {
                release_changing_keys(ctx, r, rm, out)?;
                drop_table(ctx, rm, object, out);
            }
        }
    }
    Ok(())
}

/// A step dropping foreign key `fk_name` of removed table `rm`, with the
/// foreign keys that go first.
fn drop_foreign_key_first<'n>(
    ctx: &Ctx<'_>,
    rm: &Removal<'_>,
    fk_name: &str,
    safety: Safety,
    note: &'n str,
) -> Result<StepSpec<'n>, PlanError> {
    let (d, s, t) = (ctx.d, rm.schema.as_str(), rm.name.as_str());
    let stmt = ctx
        .sql()
        .alter_constraint(s, t, Constraint::DropForeignKey(fk_name))?;
    let mut spec = StepSpec::new(
        part_ref(ObjectKind::ForeignKey, s, t, fk_name),
        "drop foreign key",
        safety,
    );
    spec.note = Some(note);
    spec.guarded_statement(d, &guard::constraint(s, t, fk_name), stmt);
    Ok(spec)
}

/// The foreign keys of a table dropped outright that reference a kept
/// table whose keys the plan changes go first, with the same safety as the
/// drop (withheld with it): the server refuses to drop a key a foreign key
/// still uses, and the table itself goes only after the tables change.
fn release_changing_keys(
    ctx: &Ctx<'_>,
    r: &Resolved<'_>,
    rm: &Removal<'_>,
    out: &mut Out,
) -> Result<(), PlanError> {
    if ctx.d == Dialect::Sqlite {
        return Ok(());
    }
    for (fk_name, fk) in &rm.table.foreign_keys {
        let referenced = QualifiedName::new(ctx.target_schema(&fk.ref_schema), &fk.ref_table);
        let changes = r.targets.get(&referenced).is_some_and(|t| {
            t.actual.primary_key != t.target.primary_key
                || t.actual.uniques != t.target.uniques
                || t.actual.indexes != t.target.indexes
        });
        if changes {
            let note = "its table is dropped, and the keys it references change first";
            let spec = drop_foreign_key_first(ctx, rm, fk_name, Safety::Destructive, note)?;
            out.push(Phase::DropForeignKeys, spec);
        }
    }
    Ok(())
}

/// The order of [`Resolved::removals`]: reverse dependency order, a table
/// before the tables it references, a partition or inheritance child
/// before its parent.
fn removal_order(ctx: &Ctx<'_>, r: &Resolved<'_>) -> Vec<usize> {
    let mut pending: Vec<usize> = (0..r.removals.len()).collect();
    let mut order = Vec::new();
    while !pending.is_empty() {
        // A table goes after those that reference it and its partitions
        // and inheritance children.
        let referenced = |i: usize, pending: &[usize]| {
            let rm = &r.removals[i];
            let parent = (rm.schema.clone(), rm.name.clone());
            pending.iter().any(|&j| {
                let other = &r.removals[j];
                j != i
                    && (other.table.foreign_keys.values().any(|fk| {
                        fk.ref_table == rm.name && ctx.target_schema(&fk.ref_schema) == rm.schema
                    }) || other.table.parent_tables(&other.schema).contains(&parent))
            })
        };
        let pos = pending
            .iter()
            .position(|&i| !referenced(i, &pending))
            .unwrap_or(0);
        order.push(pending.remove(pos));
    }
    order
}

/// The statements that take table `s.t` out of its partitioning or
/// inheritance hierarchy (PostgreSQL): a quarantined table must not hold
/// rows of the tables that stay.
fn leave_parents(d: Dialect, s: &str, t: &str, table: &Table) -> Vec<String> {
    if d != Dialect::Postgres {
        return Vec::new();
    }
    let partition = table.options.contains_key(PARTITION_OF);
    table
        .parent_tables(s)
        .iter()
        .map(|p| match partition {
            true => Postgres.detach_partition(s, t, p),
            false => Postgres.inherit(s, t, p, false),
        })
        .collect()
}

/// Drops an orphan table outright (`--orphans drop`). A sequence it owns
/// and the expected schema keeps is released first, or the drop would
/// take it along.
fn drop_table(ctx: &Ctx<'_>, rm: &Removal<'_>, object: ObjectRef, out: &mut Out) {
    let (d, w, s, t) = (ctx.d, ctx.sql(), rm.schema.as_str(), rm.name.as_str());
    let mut spec = StepSpec::new(object, "drop table", Safety::Destructive);
    spec.fixes = rm.reasons.clone();
    let released: Vec<String> = match d {
        Dialect::Postgres => ctx
            .owned_sequences(s, t)
            .into_iter()
            .filter(|(_, expected)| *expected)
            .map(|(seq, _)| Postgres.sequence_owned_by(s, &seq, None))
            .collect(),
        _ => Vec::new(),
    };
    spec.sql = released.clone();
    spec.sql.push(w.drop_table(s, t, false));
    spec.script = released;
    spec.script.push(w.drop_table(s, t, true));
    out.push(Phase::RemoveTables, spec);
    let key = QualifiedName::new(s, t);
    out.view_changed.insert(key.clone());
    out.dropped_tables.insert(key);
}

/// The statements that give the parts of a quarantined table whose names
/// the schema shares their quarantine names ([`Removal::renamed_parts`]):
/// PostgreSQL renames keys and indexes; SQLite, which cannot rename an
/// index, creates it again under the new name (`copied`: the rows were
/// copied into a new table, and the old indexes went with the old one).
fn quarantine_parts(
    d: Dialect,
    rm: &Removal<'_>,
    q: &str,
    copied: bool,
) -> Result<Vec<String>, PlanError> {
    let s = rm.schema.as_str();
    let w = sql::writer(d);
    let mut stmts = Vec::new();
    for (part, new) in &rm.renamed_parts {
        let old = part.name.as_str();
        match (d, part.object.kind) {
            (Dialect::Postgres, ObjectKind::Index) => {
                stmts.push(Postgres.rename_index(s, old, new));
            }
            (Dialect::Postgres, ObjectKind::Sequence) => {
                stmts.push(Postgres.rename_sequence(s, old, new));
            }
            (Dialect::Postgres, _) => stmts.push(Postgres.rename_constraint(s, q, old, new)),
            (_, ObjectKind::Index) => {
                let Some(idx) = rm.table.indexes.get(old) else {
                    continue;
                };
                if !copied {
                    stmts.push(w.drop_index(s, q, old, false));
                }
                stmts.push(w.create_index(s, q, new, idx, false)?);
            }
            _ => {
                return Err(PlanError::Unsupported {
                    object: part.object.to_string(),
                    reason: format!("{d} cannot rename it aside with its quarantined table"),
                })
            }
        }
    }
    Ok(stmts)
}

/// The catalog statements of a quarantined table.
fn record_table(ctx: &Ctx<'_>, rm: &Removal<'_>, q: &str) -> Vec<String> {
    let d = ctx.d;
    let s = rm.schema.as_str();
    let key: Vec<String> = rm
        .table
        .primary_key
        .as_ref()
        .map(|pk| pk.columns.clone())
        .unwrap_or_default();
    let mut stmts = if d == Dialect::Postgres {
        Vec::new() // created before the move
    } else {
        sql::quarantine::ensure_catalog(d, s)
    };
    stmts.push(sql::quarantine::catalog_insert(
        d,
        &CatalogRow {
            kind: "table",
            schema: s,
            table: &rm.name,
            column: None,
            quarantine_schema: sql::quarantine::quarantine_schema(d, s),
            quarantine_table: q,
            quarantine_column: None,
            definition: None,
            key: &key,
            plan: &ctx.plan_id,
        },
    ));
    stmts
}

/// Missing tables: CREATE TABLE, then (PostgreSQL, MySQL) foreign keys once
/// every table exists, indexes and comments.
pub(crate) fn creates(ctx: &Ctx<'_>, r: &Resolved<'_>, out: &mut Out) -> Result<(), PlanError> {
    let (d, w) = (ctx.d, ctx.sql());
    for (QualifiedName { schema: s, name: t }, (table, reasons)) in parents_first(&r.creates) {
        let inline_fks = d == Dialect::Sqlite;
        let mut spec = StepSpec::new(ObjectRef::table(s, t), "create table", Safety::Safe);
        spec.fixes = reasons.clone();
        spec.sql = vec![w.create_table(
            s,
            t,
            table,
            CreateTable {
                foreign_keys: inline_fks,
                ..CreateTable::default()
            },
        )?];
        spec.script = vec![w.create_table(
            s,
            t,
            table,
            CreateTable {
                foreign_keys: inline_fks,
                if_not_exists: true,
                ..CreateTable::default()
            },
        )?];
        out.push(Phase::CreateTables, spec);
        let note = "part of a table that is created";
        if !inline_fks {
            for (n, fk) in &table.foreign_keys {
                let stmt = w.alter_constraint(s, t, Constraint::AddForeignKey(n, fk))?;
                let mut spec = StepSpec::new(
                    part_ref(ObjectKind::ForeignKey, s, t, n),
                    "add foreign key",
                    Safety::Safe,
                );
                spec.fixes = reasons.clone();
                spec.note = Some(note);
                spec.guarded_statement(d, &guard::constraint(s, t, n).not(), stmt);
                out.push(Phase::CreateForeignKeys, spec);
            }
        }
        for (n, idx) in &table.indexes {
            let mut spec = StepSpec::new(
                part_ref(ObjectKind::Index, s, t, n),
                "create index",
                Safety::Safe,
            );
            spec.fixes = reasons.clone();
            spec.note = Some(note);
            index_create_statements(d, s, t, n, idx, &mut spec)?;
            out.push(Phase::CreateConstraints, spec);
        }
        if d == Dialect::Postgres {
            let mut comments = Vec::new();
            if let Some(c) = &table.comment {
                comments.push(w.comment(Commented::Table(s, t), Some(c))?);
            }
            for (cn, col) in &table.columns {
                if let Some(c) = &col.comment {
                    comments.push(w.comment(Commented::Column(s, t, cn), Some(c))?);
                }
            }
            comments.extend(part_settings::part_comments(s, t, table)?);
            let mut spec = StepSpec::new(ObjectRef::table(s, t), "comment", Safety::Safe);
            spec.fixes = reasons.clone();
            spec.note = Some(note);
            spec.script = comments.clone();
            spec.sql = comments;
            out.push(Phase::Comments, spec);
        }
    }
    Ok(())
}

/// The tables to create, each after the parents it is created with.
fn parents_first(
    creates: &BTreeMap<QualifiedName, (Table, Vec<Reason>)>,
) -> Vec<(&QualifiedName, &(Table, Vec<Reason>))> {
    let mut pending: Vec<(&QualifiedName, &(Table, Vec<Reason>))> = creates.iter().collect();
    let mut order = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let waits = |k: &QualifiedName, t: &Table, pending: &[(&QualifiedName, _)]| {
            t.parent_tables(&k.schema).iter().any(|(ps, pt)| {
                pending
                    .iter()
                    .any(|(o, _)| o.schema == *ps && o.name == *pt && *o != k)
            })
        };
        let pos = pending
            .iter()
            .position(|(k, (t, _))| !waits(k, t, &pending))
            .unwrap_or(0);
        order.push(pending.remove(pos));
    }
    order
}

fn index_create_statements(
    d: Dialect,
    s: &str,
    t: &str,
    n: &str,
    idx: &driftless_model::Index,
    spec: &mut StepSpec<'_>,
) -> Result<(), PlanError> {
    let w = sql::writer(d);
    let stmt = w.create_index(s, t, n, idx, false)?;
    spec.script = match d {
        Dialect::Mysql => w.guarded(&guard::index(s, t, n).not(), std::slice::from_ref(&stmt)),
        _ => vec![w.create_index(s, t, n, idx, true)?],
    };
    spec.sql = vec![stmt];
    Ok(())
}

fn index_drop_statements(d: Dialect, s: &str, t: &str, n: &str, spec: &mut StepSpec<'_>) {
    let w = sql::writer(d);
    let stmt = w.drop_index(s, t, n, false);
    spec.script = match d {
        Dialect::Mysql => w.guarded(&guard::index(s, t, n), std::slice::from_ref(&stmt)),
        _ => vec![w.drop_index(s, t, n, true)],
    };
    spec.sql = vec![stmt];
}

/// An existing table brought to its target.
pub(crate) fn alter(ctx: &Ctx<'_>, t: &Target<'_>, out: &mut Out) -> Result<(), PlanError> {
    match ctx.d {
        Dialect::Sqlite => alter_sqlite(ctx, t, out),
        _ => alter_server(ctx, t, out),
    }
}

/// The constraint a guard looks for when the key is the primary key.
fn pk_constraint_name(d: Dialect, name: &str) -> String {
    match d {
        Dialect::Mysql => "PRIMARY".into(),
        _ => name.into(),
    }
}

/// Whether an index uses one of `cols`.
fn index_uses(d: Dialect, i: &driftless_model::Index, cols: &BTreeSet<String>) -> bool {
    cols.iter().any(|c| {
        i.parts.iter().any(|p| match &p.key {
            driftless_model::IndexKey::Column(k) => k == c,
            driftless_model::IndexKey::Expression(e) => mentions(d, e, c),
        }) || i.include.contains(c)
            || i.predicate.as_deref().is_some_and(|p| mentions(d, p, c))
    })
}

/// PostgreSQL cannot change the type of a column that a generated column
/// reads, nor alter a generation expression: such generated columns are
/// dropped first and added back after the other column changes (their
/// values are computed, nothing is lost).
fn pg_regenerated(d: Dialect, a: &Table, g: &Table) -> BTreeSet<String> {
    if d != Dialect::Postgres {
        return BTreeSet::new();
    }
    let retyped: Vec<&String> = a
        .columns
        .iter()
        .filter(|(c, ac)| {
            g.columns
                .get(*c)
                .is_some_and(|tc| tc.data_type != ac.data_type || tc.collation != ac.collation)
        })
        .map(|(c, _)| c)
        .collect();
    a.columns
        .iter()
        .filter(|(c, ac)| {
            let (Some(tc), Some(gen)) = (g.columns.get(*c), &ac.generated) else {
                return false;
            };
            tc.generated.is_some()
                && (ac.generated != tc.generated
                    || retyped
                        .iter()
                        .any(|r| r != c && mentions(d, &gen.expression, r)))
        })
        .map(|(c, _)| c.clone())
        .collect()
}

/// The table [`alter_server`] works on, for the per-kind step builders.
struct Alter<'t> {
    d: Dialect,
    w: &'static dyn Writer,
    s: &'t str,
    tn: &'t str,
    t: &'t Target<'t>,
    /// PostgreSQL generated columns dropped and added back around the change.
    regen: BTreeSet<String>,
    /// The table is at or above the online threshold.
    online: bool,
}

impl Alter<'_> {
    fn regen_uses(&self, cols: &[String]) -> bool {
        cols.iter().any(|c| self.regen.contains(c))
    }

    fn regen_mentions(&self, text: &str) -> bool {
        self.regen.iter().any(|c| mentions(self.d, text, c))
    }

    /// The statement of a key or constraint change on this table.
    fn alter(&self, change: Constraint<'_>) -> Result<String, PlanError> {
        self.w.alter_constraint(self.s, self.tn, change)
    }

    /// Unique constraints are indexes to MySQL.
    fn unique_cond(&self, n: &str) -> guard::Cond {
        match self.d {
            Dialect::Mysql => guard::index(self.s, self.tn, n),
            _ => guard::constraint(self.s, self.tn, n),
        }
    }
}

/// The names of the parts in `from` that `to` lacks or defines otherwise
/// (apart from what changes in place on `d`: [`part_settings`]), or that
/// are `rebuilt` all the same.
fn differing<T: InPlace>(
    d: Dialect,
    from: &BTreeMap<String, T>,
    to: &BTreeMap<String, T>,
    rebuilt: impl Fn(&String, &T) -> bool,
) -> Vec<String> {
    from.iter()
        .filter(|(n, v)| part_settings::rebuilt(d, to.get(*n), Some(*v)) || rebuilt(n, v))
        .map(|(n, _)| n.clone())
        .collect()
}

/// How one kind of named table part is dropped and added on PostgreSQL and
/// MySQL: one descriptor per kind, walked by [`NamedKind::drops`] and
/// [`NamedKind::adds`].
struct NamedKind {
    kind: ObjectKind,
    drop: (&'static str, Phase),
    add: (&'static str, Phase),
    /// The parts of `from` that go from `to` (or are rebuilt).
    changed: fn(&Alter<'_>, &Table, &Table) -> Vec<String>,
    drop_statements: fn(&Alter<'_>, &str, &mut StepSpec<'_>) -> Result<(), PlanError>,
    add_statements: fn(&Alter<'_>, &str, &mut StepSpec<'_>) -> Result<(), PlanError>,
}

const UNIQUES: NamedKind = NamedKind {
    kind: ObjectKind::Unique,
    drop: ("drop unique constraint", Phase::DropConstraints),
    add: ("add unique constraint", Phase::CreateConstraints),
    changed: |x, from, to| {
        differing(x.d, &from.uniques, &to.uniques, |_, u| {
            x.regen_uses(&u.columns)
        })
    },
    drop_statements: |x, n, spec| {
        let stmt = x.alter(Constraint::DropUnique(n))?;
        spec.guarded_statement(x.d, &x.unique_cond(n), stmt);
        Ok(())
    },
    add_statements: |x, n, spec| {
        if let Some(u) = x.t.target.uniques.get(n) {
            let stmt = x.alter(Constraint::AddUnique(n, u))?;
            spec.guarded_statement(x.d, &x.unique_cond(n).not(), stmt);
        }
        Ok(())
    },
};

const CHECKS: NamedKind = NamedKind {
    kind: ObjectKind::Check,
    drop: ("drop check constraint", Phase::DropConstraints),
    add: ("add check constraint", Phase::CreateConstraints),
    changed: |x, from, to| {
        differing(x.d, &from.checks, &to.checks, |_, c| {
            x.regen_mentions(&c.expression)
        })
    },
    drop_statements: |x, n, spec| {
        let stmt = x.alter(Constraint::DropCheck(n))?;
        spec.guarded_statement(x.d, &guard::constraint(x.s, x.tn, n), stmt);
        Ok(())
    },
    add_statements: |x, n, spec| {
        if let Some(c) = x.t.target.checks.get(n) {
            let stmt = x.alter(Constraint::AddCheck(n, c))?;
            spec.guarded_statement(x.d, &guard::constraint(x.s, x.tn, n).not(), stmt);
        }
        Ok(())
    },
};

const INDEXES: NamedKind = NamedKind {
    kind: ObjectKind::Index,
    drop: ("drop index", Phase::DropConstraints),
    add: ("create index", Phase::CreateConstraints),
    changed: |x, from, to| {
        differing(x.d, &from.indexes, &to.indexes, |_, i| {
            index_uses(x.d, i, &x.regen)
        })
    },
    drop_statements: |x, n, spec| {
        index_drop_statements(x.d, x.s, x.tn, n, spec);
        Ok(())
    },
    add_statements: |x, n, spec| match x.t.target.indexes.get(n) {
        Some(i) => index_create_statements(x.d, x.s, x.tn, n, i, spec),
        None => Ok(()),
    },
};

const EXCLUSIONS: NamedKind = NamedKind {
    kind: ObjectKind::Exclusion,
    drop: ("drop exclusion constraint", Phase::DropConstraints),
    add: ("add exclusion constraint", Phase::CreateConstraints),
    changed: |x, from, to| {
        differing(x.d, &from.exclusions, &to.exclusions, |_, c| {
            x.regen_mentions(&c.definition)
        })
    },
    drop_statements: |x, n, spec| {
        let stmt = x.alter(Constraint::DropExclusion(n))?;
        spec.guarded_statement(x.d, &guard::constraint(x.s, x.tn, n), stmt);
        Ok(())
    },
    add_statements: |x, n, spec| {
        if let Some(c) = x.t.target.exclusions.get(n) {
            let stmt = x.alter(Constraint::AddExclusion(n, c))?;
            spec.guarded_statement(x.d, &guard::constraint(x.s, x.tn, n).not(), stmt);
        }
        Ok(())
    },
};

const FOREIGN_KEYS: NamedKind = NamedKind {
    kind: ObjectKind::ForeignKey,
    drop: ("drop foreign key", Phase::DropForeignKeys),
    add: ("add foreign key", Phase::CreateForeignKeys),
    changed: |x, from, to| {
        differing(x.d, &from.foreign_keys, &to.foreign_keys, |n, _| {
            x.t.fk_rebuild.contains(n)
        })
    },
    drop_statements: |x, n, spec| {
        let stmt = x.alter(Constraint::DropForeignKey(n))?;
        spec.guarded_statement(x.d, &guard::constraint(x.s, x.tn, n), stmt);
        Ok(())
    },
    add_statements: |x, n, spec| {
        if let Some(fk) = x.t.target.foreign_keys.get(n) {
            let stmt = x.alter(Constraint::AddForeignKey(n, fk))?;
            spec.guarded_statement(x.d, &guard::constraint(x.s, x.tn, n).not(), stmt);
            mysql_index_named_back(x, n, fk, spec);
        }
        Ok(())
    },
};

/// MySQL/MariaDB: adding foreign key `n` replaces an index the server made
/// for an earlier key with one named `n` (MariaDB does so even when the
/// index serves the new key). Where the target keeps such an index under
/// its own name, it is renamed back after the key is added, only if the
/// server did replace it.
fn mysql_index_named_back(x: &Alter<'_>, n: &str, fk: &ForeignKey, spec: &mut StepSpec) {
    if x.d != Dialect::Mysql || x.t.target.indexes.contains_key(n) {
        return;
    }
    let serving = x.t.target.indexes.iter().find(|(name, i)| {
        x.t.actual.indexes.get(*name) == Some(*i) && leads(&fk.columns, &column_parts(i))
    });
    let Some((name, _)) = serving else { return };
    let cond = guard::index(x.s, x.tn, name)
        .not()
        .and(guard::index(x.s, x.tn, n));
    let rename = sql::writer(x.d).guarded(&cond, &[Mysql.rename_index(x.s, x.tn, n, name)]);
    spec.sql.extend(rename.iter().cloned());
    spec.script.extend(rename);
    spec.note.get_or_insert(
        "the server may replace an index it made for an earlier key with one named after this key: \
         if it does, that index is renamed back to the expected name",
    );
}

/// The columns that lead `index`, up to its first expression.
fn column_parts(index: &Index) -> Vec<&String> {
    index
        .parts
        .iter()
        .map_while(|p| match &p.key {
            IndexKey::Column(c) => Some(c),
            IndexKey::Expression(_) => None,
        })
        .collect()
}

/// Whether a foreign key's `columns` lead `key` (the columns of an index
/// or unique key): the key serves the foreign key.
fn leads(columns: &[String], key: &[&String]) -> bool {
    !columns.is_empty()
        && columns.len() <= key.len()
        && columns
            .iter()
            .zip(key)
            .all(|(f, c)| f.eq_ignore_ascii_case(c))
}

impl NamedKind {
    /// Steps dropping the parts of this kind that go or change.
    fn drops(&self, x: &Alter<'_>, out: &mut Out) -> Result<(), PlanError> {
        for n in (self.changed)(x, x.t.actual, &x.t.target) {
            let p = Part::Of(self.kind, n.clone());
            let (action, phase) = self.drop;
            let object = part_ref(self.kind, x.s, x.tn, &n);
            let mut spec = x.t.part_step(&p, object, action, Safety::Safe);
            (self.drop_statements)(x, &n, &mut spec)?;
            if !mysql_key_needs(x, self.kind, &n) {
                out.push(phase, spec);
                continue;
            }
            // After the new indexes, one of which may serve the key
            // instead: the server then drops an index it made for the key
            // itself, so the step drops it only if it is still there.
            spec.sql = spec.script.clone();
            spec.note = Some("a foreign key needs it until a new index serves the key: dropped after the new indexes, unless the server dropped it (an index it made for the key) already");
            out.push(Phase::CreateForeignKeys, spec);
        }
        Ok(())
    }

    /// Steps adding the parts of this kind that are new or changed.
    fn adds(&self, x: &Alter<'_>, out: &mut Out) -> Result<(), PlanError> {
        for n in (self.changed)(x, &x.t.target, x.t.actual) {
            let p = Part::Of(self.kind, n.clone());
            let (action, phase) = self.add;
            let object = part_ref(self.kind, x.s, x.tn, &n);
            let mut spec = x.t.part_step(&p, object, action, Safety::Locking);
            (self.add_statements)(x, &n, &mut spec)?;
            if !x.online {
                out.push(phase, spec);
                continue;
            }
            let at = (x.s, x.tn, n.as_str());
            for spec in online::add_part(x.d, self.kind, at, &x.t.target, spec) {
                out.push(phase, spec);
            }
        }
        Ok(())
    }
}

/// PostgreSQL and MySQL: a table changed in place, part by part.
fn alter_server(ctx: &Ctx<'_>, t: &Target<'_>, out: &mut Out) -> Result<(), PlanError> {
    let x = Alter {
        d: ctx.d,
        w: ctx.sql(),
        s: t.schema.as_str(),
        tn: t.name.as_str(),
        t,
        regen: pg_regenerated(ctx.d, t.actual, &t.target),
        online: ctx.online(&t.schema, &t.name),
    };
    // Foreign keys that go (or are rebuilt) first.
    FOREIGN_KEYS.drops(&x, out)?;
    alter_primary_key(&x, out)?;
    for kind in [&UNIQUES, &CHECKS, &INDEXES, &EXCLUSIONS] {
        kind.drops(&x, out)?;
        kind.adds(&x, out)?;
    }
    alter_hierarchy(&x, out)?;
    alter_persistence(&x, out);
    alter_storage(&x, out)?;
    alter_columns(ctx, &x, out)?;
    alter_options(&x, out)?;
    // Foreign keys come back last.
    FOREIGN_KEYS.adds(&x, out)?;
    part_settings::settings(x.d, t, out)
}

/// A table's place in a partitioning or inheritance hierarchy (PostgreSQL):
/// detached from the partitioned table or released from the parents it
/// leaves before its columns change, attached or inheriting afterwards.
fn alter_hierarchy(x: &Alter<'_>, out: &mut Out) -> Result<(), PlanError> {
    let (s, tn) = (x.s, x.tn);
    let (a, g) = (x.t.actual, &x.t.target);
    if x.d != Dialect::Postgres || a.options == g.options {
        return Ok(());
    }
    let partition = |t: &Table| {
        let bound = t.options.get(PARTITION_BOUND)?;
        t.options.get(PARTITION_OF)?;
        let parent = t.parent_tables(s).into_iter().next()?;
        Some((parent, bound.clone()))
    };
    let inherits = |t: &Table| -> Vec<(String, String)> {
        match t.options.contains_key(PARTITION_OF) {
            true => Vec::new(),
            false => t.parent_tables(s),
        }
    };
    let (was, will) = (partition(a), partition(g));
    let step = |action: &'static str, stmt: String| {
        let mut spec = x.t.part_step(
            &Part::Options,
            ObjectRef::table(s, tn),
            action,
            Safety::Locking,
        );
        spec.statement(stmt);
        spec
    };
    if was != will {
        if let Some((parent, _)) = &was {
            let detach = Postgres.detach_partition(s, tn, parent);
            let stmt = Postgres.leave_parent(s, tn, &detach);
            out.push(Phase::DropConstraints, step("detach partition", stmt));
        }
        if let Some((parent, bound)) = &will {
            let stmt = Postgres.attach_partition(s, tn, parent, bound)?;
            out.push(Phase::CreateConstraints, step("attach partition", stmt));
        }
    }
    let (before, after) = (inherits(a), inherits(g));
    for p in before.iter().filter(|p| !after.contains(p)) {
        let mut stmt = Postgres.inherit(s, tn, p, false);
        if after.is_empty() && before.len() == 1 {
            stmt = Postgres.leave_parent(s, tn, &stmt);
        }
        out.push(Phase::DropConstraints, step("leave parent table", stmt));
    }
    for p in after.iter().filter(|p| !before.contains(p)) {
        let stmt = Postgres.inherit(s, tn, p, true);
        out.push(
            Phase::CreateConstraints,
            step("inherit from parent table", stmt),
        );
    }
    Ok(())
}

/// A table's storage parameters set and reset (PostgreSQL); nothing is
/// rewritten.
fn alter_storage(x: &Alter<'_>, out: &mut Out) -> Result<(), PlanError> {
    let (a, g) = (
        x.t.actual.options.get(STORAGE).map(String::as_str),
        x.t.target.options.get(STORAGE).map(String::as_str),
    );
    if x.d != Dialect::Postgres || a == g {
        return Ok(());
    }
    let mut spec = x.t.part_step(
        &Part::Options,
        ObjectRef::table(x.s, x.tn),
        "set storage parameters",
        Safety::Safe,
    );
    let stmts = Postgres.alter_storage(x.s, x.tn, a, g)?;
    spec.sql = stmts.clone();
    spec.script = stmts;
    out.push(Phase::Columns, spec);
    Ok(())
}

/// A table made unlogged or logged again (PostgreSQL), before its columns
/// change: the table is rewritten under an exclusive lock.
fn alter_persistence(x: &Alter<'_>, out: &mut Out) {
    let unlogged = |t: &Table| t.options.get(PERSISTENCE).map(String::as_str) == Some(UNLOGGED);
    let (a, g) = (x.t.actual, &x.t.target);
    if x.d != Dialect::Postgres || unlogged(a) == unlogged(g) {
        return;
    }
    let action = if unlogged(g) {
        "set table unlogged"
    } else {
        "set table logged"
    };
    let mut spec = x.t.part_step(
        &Part::Options,
        ObjectRef::table(x.s, x.tn),
        action,
        Safety::Locking,
    );
    spec.statement(Postgres.set_persistence(x.s, x.tn, unlogged(g)));
    out.push(Phase::Columns, spec);
}

/// The text types whose length a character set conversion may widen
/// (`text` to `mediumtext` when each character takes more bytes).
const WIDENED_TYPES: &[&str] = &["tinytext", "text", "mediumtext"];

/// MySQL: the table's options, one step after its columns changed (every
/// expected column is there): the engine, the row format, the character
/// set (its text columns converted, then given back the types the
/// expected side has) and the partitioning.
fn alter_options(x: &Alter<'_>, out: &mut Out) -> Result<(), PlanError> {
    let (s, tn, t) = (x.s, x.tn, x.t);
    let (a, g) = (&t.actual.options, &t.target.options);
    if x.d != Dialect::Mysql || a == g {
        return Ok(());
    }
    let get = |m: &BTreeMap<String, String>, k: &str| m.get(k).cloned();
    let differs = |k: &str| a.get(k) != g.get(k);
    let mut spec = t.part_step(
        &Part::Options,
        ObjectRef::table(s, tn),
        "alter table options",
        Safety::Locking,
    );
    let mut sql = Vec::new();
    if differs("engine") {
        sql.push(Mysql.set_engine(s, tn, get(g, "engine").as_deref()));
    }
    if differs("row_format") {
        sql.push(Mysql.set_row_format(s, tn, get(g, "row_format").as_deref()));
    }
    if differs("key_block_size") {
        let size = get(g, "key_block_size");
        sql.push(Mysql.set_key_block_size(s, tn, size.as_deref()));
    }
    if differs("collation") || differs("charset") {
        let target = get(g, "collation");
        sql.extend(Mysql.convert_to(s, tn, get(g, "charset").as_deref(), target.as_deref()));
        for (c, col) in &t.target.columns {
            if WIDENED_TYPES.contains(&col.data_type.to_ascii_lowercase().as_str()) {
                sql.push(Mysql.modify_column(s, tn, c, col, false)?);
            }
        }
        if !get(g, "charset").is_some_and(|c| c.starts_with("utf8mb4")) {
            spec.safety = Safety::DataLoss;
            spec.note = Some("text is converted to another character set (the database's default when none is expected), which may not hold every character it has: those are replaced");
        }
    }
    if differs("partition_by") {
        sql.push(Mysql.partition_by(s, tn, get(g, "partition_by").as_deref())?);
    }
    spec.script = sql.clone();
    spec.sql = sql;
    out.push(Phase::Columns, spec);
    Ok(())
}

/// The primary key, dropped and added when it changes.
fn alter_primary_key(x: &Alter<'_>, out: &mut Out) -> Result<(), PlanError> {
    let (d, s, tn) = (x.d, x.s, x.tn);
    let (a, g) = (x.t.actual, &x.t.target);
    if !part_settings::rebuilt(d, a.primary_key.as_ref(), g.primary_key.as_ref()) {
        return Ok(());
    }
    let p = Part::primary_key();
    if mysql_auto_key(x, out)? {
        return Ok(());
    }
    if let Some(pk) = &a.primary_key {
        let stmt = match auto_keyed_by_primary_key(d, a) {
            // The column keeps no auto-increment: it goes with the key.
            Some((c, col)) => {
                let plain = Column {
                    identity: None,
                    ..col.clone()
                };
                Mysql.drop_primary_key_unkeying(s, tn, (c, &plain))?
            }
            None => x.alter(Constraint::DropPrimaryKey(pk))?,
        };
        let mut spec = x.t.part_step(
            &p,
            part_ref(ObjectKind::PrimaryKey, s, tn, &pk.name),
            "drop primary key",
            Safety::Safe,
        );
        spec.guarded_statement(
            d,
            &guard::constraint(s, tn, &pk_constraint_name(d, &pk.name)),
            stmt,
        );
        out.push(Phase::DropConstraints, spec);
    }
    if let Some(pk) = g
        .primary_key
        .as_ref()
        .filter(|_| added_auto_key(d, a, g).is_none())
    {
        let stmt = x.alter(Constraint::AddPrimaryKey(pk))?;
        let mut spec = x.t.part_step(
            &p,
            part_ref(ObjectKind::PrimaryKey, s, tn, &pk.name),
            "add primary key",
            Safety::Locking,
        );
        spec.guarded_statement(
            d,
            &guard::constraint(s, tn, &pk_constraint_name(d, &pk.name)).not(),
            stmt,
        );
        out.push(Phase::CreateConstraints, spec);
    }
    Ok(())
}

/// MySQL/MariaDB: whether index or unique key `n` of the actual table,
/// which the target lacks, serves one of its foreign keys (the key's
/// columns lead it): the server refuses to drop it while no other index
/// does, so it is dropped after the target's indexes are made.
fn mysql_key_needs(x: &Alter<'_>, kind: ObjectKind, n: &str) -> bool {
    let (a, g) = (x.t.actual, &x.t.target);
    let columns: Vec<&String> = match kind {
        ObjectKind::Index if !g.indexes.contains_key(n) => {
            a.indexes.get(n).map_or(Vec::new(), column_parts)
        }
        ObjectKind::Unique if !g.uniques.contains_key(n) => a
            .uniques
            .get(n)
            .map_or(Vec::new(), |u| u.columns.iter().collect()),
        _ => Vec::new(),
    };
    x.d == Dialect::Mysql
        && a.foreign_keys
            .values()
            .any(|fk| leads(&fk.columns, &columns))
}

/// MySQL/MariaDB: the auto-increment column of `t` that its primary key
/// alone keys (no other key leads with it), with its definition: the
/// server refuses to drop that key while the column is auto-increment.
fn auto_keyed_by_primary_key(d: Dialect, t: &Table) -> Option<(&str, &Column)> {
    let c = t.primary_key.as_ref()?.columns.first()?;
    let col = t.columns.get(c)?;
    let by = std::slice::from_ref(c);
    let other = t
        .uniques
        .values()
        .any(|u| leads(by, &u.columns.iter().collect::<Vec<_>>()))
        || t.indexes.values().any(|i| leads(by, &column_parts(i)));
    let auto = d == Dialect::Mysql && col.identity == Some(Identity::AutoIncrement);
    (auto && !other).then_some((c.as_str(), col))
}

/// MySQL/MariaDB: the auto-increment column the expected primary key of
/// `g` leads that `a` lacks: added with the key in one statement.
fn added_auto_key<'g>(d: Dialect, a: &Table, g: &'g Table) -> Option<&'g str> {
    let c = g.primary_key.as_ref()?.columns.first()?;
    let auto = g.columns.get(c)?.identity == Some(Identity::AutoIncrement);
    (d == Dialect::Mysql && auto && !a.columns.contains_key(c)).then_some(c.as_str())
}

/// The statement adding column `c` of the target; MySQL/MariaDB: with the
/// primary key when the auto-increment column leads it (`spec` then fixes
/// the key's findings too).
fn add_column(
    x: &Alter<'_>,
    (c, col): (&str, &Column),
    spec: &mut StepSpec<'_>,
) -> Result<String, PlanError> {
    let (a, g) = (x.t.actual, &x.t.target);
    match &g.primary_key {
        Some(pk) if added_auto_key(x.d, a, g) == Some(c) => {
            spec.fixes.extend(x.t.reasons_of(&Part::primary_key()));
            spec.safety = Safety::Locking;
            Mysql.add_column_with_primary_key(x.s, x.tn, (c, col), pk)
        }
        _ => x.w.add_column(x.s, x.tn, c, col, false),
    }
}

/// MySQL/MariaDB: a primary key replaced by one led by the same
/// auto-increment column, which only it keys: one step drops and adds it
/// in one statement, after the columns changed (the new key's columns are
/// there). Whether it was.
fn mysql_auto_key(x: &Alter<'_>, out: &mut Out) -> Result<bool, PlanError> {
    let (a, g) = (x.t.actual, &x.t.target);
    let (Some((c, _)), Some(pk)) = (auto_keyed_by_primary_key(x.d, a), &g.primary_key) else {
        return Ok(false);
    };
    let kept = g
        .columns
        .get(c)
        .is_some_and(|col| col.identity == Some(Identity::AutoIncrement));
    if !kept
        || pk
            .columns
            .first()
            .is_none_or(|f| !f.eq_ignore_ascii_case(c))
    {
        return Ok(false);
    }
    let mut spec = x.t.part_step(
        &Part::primary_key(),
        part_ref(ObjectKind::PrimaryKey, x.s, x.tn, &pk.name),
        "replace primary key",
        Safety::Locking,
    );
    spec.statement(Mysql.replace_primary_key(x.s, x.tn, pk));
    out.push(Phase::CreateConstraints, spec);
    Ok(true)
}

/// The steps dropping the columns of the actual table that the target
/// lacks (not renamed or moved aside).
fn drop_columns<'r>(ctx: &Ctx<'_>, x: &Alter<'r>, out: &mut Out) -> Vec<StepSpec<'r>> {
    let (d, w, s, tn, t) = (x.d, x.w, x.s, x.tn, x.t);
    let mut drops = Vec::new();
    for c in t.actual.columns.keys() {
        if t.target.columns.contains_key(c) || t.renames.contains_key(c) || t.moved.contains_key(c)
        {
            continue;
        }
        let p = Part::column(c);
        let mut stmt = w.drop_column(s, tn, c, false);
        let mut spec = t.part_step(&p, col_ref(s, tn, c), "drop column", Safety::Destructive);
        spec.script = match d {
            Dialect::Postgres => vec![w.drop_column(s, tn, c, true)],
            _ => w.guarded(&guard::column(s, tn, c), std::slice::from_ref(&stmt)),
        };
        if d == Dialect::Postgres && ctx.kept_by_children(s, tn, c) {
            // The children keep the column as their own.
            stmt = stmt.replacen("ALTER TABLE ", "ALTER TABLE ONLY ", 1);
            spec.script = vec![stmt.clone()];
            spec.note = Some("the tables that inherit from it keep the column as their own");
        }
        spec.sql = vec![stmt];
        drops.push(spec);
        out.view_changed.insert(QualifiedName::new(s, tn));
    }
    drops
}

/// Columns: regenerated ones out first, then quarantine, drop, add, alter;
/// then the table comment.
fn alter_columns(ctx: &Ctx<'_>, x: &Alter<'_>, out: &mut Out) -> Result<(), PlanError> {
    let (d, w, s, tn, t, regen) = (x.d, x.w, x.s, x.tn, x.t, &x.regen);
    let (a, g) = (t.actual, &t.target);
    for c in regen {
        let mut spec = StepSpec::new(col_ref(s, tn, c), "drop generated column", Safety::Locking);
        spec.fixes = t.reasons_of(&Part::column(c));
        spec.note = Some("PostgreSQL cannot change a generation expression, or the type of a column a generated column reads: it is added back after the change, its values computed again");
        spec.sql = vec![w.drop_column(s, tn, c, false)];
        spec.script = vec![w.drop_column(s, tn, c, true)];
        out.push(Phase::Columns, spec);
        out.view_changed.insert(QualifiedName::new(s, tn));
    }
    quarantine_columns(ctx, x, out)?;
    for (c, m) in &t.moved {
        move_column(ctx, t, c, m, true, out)?;
    }
    let mut drops = drop_columns(ctx, x, out);
    // MySQL refuses to drop a table's last column: when every column goes,
    // the new ones are added first.
    let last = d == Dialect::Mysql && drops.len() == a.columns.len();
    if !last {
        drops
            .drain(..)
            .for_each(|spec| out.push(Phase::Columns, spec));
    }
    let quarantined: BTreeSet<&String> = t.renames.values().collect();
    for (c, col) in &g.columns {
        if a.columns.contains_key(c) || quarantined.contains(c) {
            continue;
        }
        let p = Part::column(c);
        let mut spec = t.part_step(&p, col_ref(s, tn, c), "add column", Safety::Safe);
        let stmt = add_column(x, (c, col), &mut spec)?;
        spec.script = match d {
            Dialect::Postgres => vec![w.add_column(s, tn, c, col, true)?],
            _ => w.guarded(&guard::column(s, tn, c).not(), std::slice::from_ref(&stmt)),
        };
        spec.sql = vec![stmt];
        if let Some(value) = backfill(ctx, s, tn, c, col) {
            // The rows there get what the migration gave them; the column
            // then keeps no default, as expected.
            let mut with = col.clone();
            with.default = Some(value.to_string());
            let add = w.add_column(s, tn, c, &with, false)?;
            let unset = match d {
                Dialect::Postgres => Postgres.alter_column_default(s, tn, c, None)?,
                _ => Mysql.modify_column(s, tn, c, col, false)?,
            };
            spec.script = match d {
                Dialect::Postgres => vec![w.add_column(s, tn, c, &with, true)?],
                _ => w.guarded(&guard::column(s, tn, c).not(), std::slice::from_ref(&add)),
            };
            spec.script.push(unset.clone());
            spec.sql = vec![add, unset];
            spec.note =
                Some("existing rows get the value the migration that added the column gave them");
        } else if needs_value(col) {
            spec.preflight.push(refuse_not_null_add(d, s, tn, c));
        }
        if d == Dialect::Postgres {
            if let Some(cm) = &col.comment {
                let q = w.comment(Commented::Column(s, tn, c), Some(cm))?;
                spec.sql.push(q.clone());
                spec.script.push(q);
            }
        }
        out.push(Phase::Columns, spec);
    }
    drops
        .into_iter()
        .for_each(|spec| out.push(Phase::Columns, spec));
    for (c, ac) in &a.columns {
        let Some(tc) = g.columns.get(c) else { continue };
        if same_column(ac, tc) || regen.contains(c) {
            continue;
        }
        match d {
            Dialect::Postgres => alter_column_pg(ctx, t, c, ac, tc, out)?,
            _ => alter_column_mysql(ctx, t, c, ac, tc, out)?,
        }
    }
    for c in regen {
        let Some(tc) = g.columns.get(c) else { continue };
        let mut spec = StepSpec::new(col_ref(s, tn, c), "add generated column", Safety::Locking);
        spec.fixes = t.reasons_of(&Part::column(c));
        spec.note = Some("added back after the columns it reads changed");
        spec.sql = vec![w.add_column(s, tn, c, tc, false)?];
        spec.script = vec![w.add_column(s, tn, c, tc, true)?];
        if let Some(cm) = &tc.comment {
            let q = w.comment(Commented::Column(s, tn, c), Some(cm))?;
            spec.sql.push(q.clone());
            spec.script.push(q);
        }
        out.push(Phase::Columns, spec);
    }
    if a.comment != g.comment {
        let stmt = w.comment(Commented::Table(s, tn), g.comment.as_deref())?;
        let mut spec = StepSpec::new(ObjectRef::table(s, tn), "comment", Safety::Safe);
        spec.fixes = t.reasons_of(&Part::Comment);
        spec.statement(stmt);
        out.push(Phase::Comments, spec);
    }
    Ok(())
}

/// Orphan columns renamed aside (`--orphans quarantine`), made nullable
/// and without identity so that they no longer constrain anything.
fn quarantine_columns(ctx: &Ctx<'_>, x: &Alter<'_>, out: &mut Out) -> Result<(), PlanError> {
    let (d, w, s, tn, t) = (x.d, x.w, x.s, x.tn, x.t);
    let (a, g) = (t.actual, &t.target);
    for (old, new) in &t.renames {
        let (Some(ac), Some(qc)) = (a.columns.get(old), g.columns.get(new)) else {
            continue;
        };
        let p = Part::column(old);
        let mut stmts = vec![w.rename_column(s, tn, old, new)];
        let script = match d {
            Dialect::Postgres => {
                if ac.identity.is_some() {
                    stmts.extend(Postgres.alter_identity(s, tn, new, ac.identity, None, None));
                }
                if !ac.nullable && qc.nullable {
                    stmts.push(Postgres.alter_column_null(s, tn, new, true));
                }
                w.guarded(&guard::column(s, tn, old), &stmts)
            }
            _ => {
                let mut sc = w.guarded(&guard::column(s, tn, old), &stmts);
                if ac.nullable != qc.nullable || ac.identity != qc.identity {
                    let m = Mysql.modify_column(s, tn, new, qc, false)?;
                    stmts.push(m.clone());
                    sc.push(m);
                }
                sc
            }
        };
        let record = record_renamed(d, &ctx.plan_id, s, tn, old, new, ac);
        stmts.extend(record.iter().cloned());
        let mut script = script;
        script.extend(record);
        let mut spec = StepSpec::new(col_ref(s, tn, old), "quarantine column", Safety::Safe);
        spec.fixes = t.reasons_of(&p);
        let note = renamed_note(new);
        spec.note = Some(&note);
        spec.sql = stmts;
        spec.script = script;
        out.push(Phase::Columns, spec);
    }
    Ok(())
}

fn renamed_note(new: &str) -> String {
    format!(
        "the table has no primary key to keep its values by: renamed to {new}, nullable; \
         its data is kept and it no longer takes part in the schema"
    )
}

/// The catalog statements of column `old` of `s.tn` renamed aside to `new`.
fn record_renamed(
    d: Dialect,
    plan: &str,
    s: &str,
    tn: &str,
    old: &str,
    new: &str,
    ac: &Column,
) -> Vec<String> {
    let mut stmts = sql::quarantine::ensure_catalog(d, s);
    stmts.push(sql::quarantine::catalog_insert(
        d,
        &CatalogRow {
            kind: "renamed column",
            schema: s,
            table: tn,
            column: Some(old),
            quarantine_schema: s,
            quarantine_table: tn,
            quarantine_column: Some(new),
            definition: Some(ac),
            key: &[],
            plan,
        },
    ));
    stmts
}

/// The step that moves the values of orphan column `c` to its quarantine
/// table (keyed by the primary key), records it in the catalog and, with
/// `drop`, drops the column (a SQLite rebuild drops it otherwise).
fn move_column(
    ctx: &Ctx<'_>,
    t: &Target<'_>,
    c: &str,
    m: &Moved,
    drop: bool,
    out: &mut Out,
) -> Result<(), PlanError> {
    let (d, w) = (ctx.d, ctx.sql());
    let (s, tn) = (t.schema.as_str(), t.name.as_str());
    let Some(ac) = t.actual.columns.get(c) else {
        return Ok(());
    };
    let mut stmts = move_statements(ctx, t, (c, ac), m)?;
    if drop {
        stmts.push(w.drop_column(s, tn, c, false));
    }
    let then = if drop {
        "then the column is dropped"
    } else {
        "the table's rebuild then leaves it out"
    };
    let note = format!(
        "its values move to {}.{}, keyed by the primary key ({}), restorable with `driftless quarantine restore`; {then}",
        m.schema,
        m.table,
        m.key.join(", "),
    );
    let p = Part::column(c);
    let mut spec = t.part_step(&p, col_ref(s, tn, c), "quarantine column", Safety::Safe);
    spec.note = Some(&note);
    spec.script = match d {
        Dialect::Sqlite => stmts.clone(),
        _ => w.guarded(&guard::column(s, tn, c), &stmts),
    };
    spec.sql = stmts;
    out.push(Phase::Columns, spec);
    out.view_changed.insert(QualifiedName::new(s, tn));
    Ok(())
}

/// The quarantine table of column `c` (`ac`) created, its values copied
/// in, the catalog row written.
fn move_statements(
    ctx: &Ctx<'_>,
    t: &Target<'_>,
    (c, ac): (&str, &Column),
    m: &Moved,
) -> Result<Vec<String>, PlanError> {
    let d = ctx.d;
    let (s, tn) = (t.schema.as_str(), t.name.as_str());
    // An enum's values are kept as text: the plan may rebuild the type.
    let as_text = d == Dialect::Postgres
        && matches!(
            types::classify(d, ctx.act, s, &ac.data_type),
            types::TypeClass::Enum(_)
        );
    let mut kept_col = ac.clone();
    if as_text {
        kept_col.data_type = String::from("text");
        kept_col.collation = None;
    }
    let q = sql::quarantine::values_table(t.actual, &m.key, c, &kept_col, &m.pk_name);
    let mut stmts = sql::quarantine::ensure_catalog(d, s);
    stmts.push(sql::quarantine::create_values_table(
        d, &m.schema, &m.table, &q,
    )?);
    let (live, kept) = ((s, tn), (m.schema.as_str(), m.table.as_str()));
    stmts.push(sql::quarantine::copy_out(
        d,
        live,
        kept,
        &m.key,
        (c, as_text),
    ));
    stmts.push(sql::quarantine::catalog_insert(
        d,
        &CatalogRow {
            kind: "column",
            schema: s,
            table: tn,
            column: Some(c),
            quarantine_schema: &m.schema,
            quarantine_table: &m.table,
            quarantine_column: Some(c),
            definition: Some(ac),
            key: &m.key,
            plan: &ctx.plan_id,
        },
    ));
    Ok(stmts)
}

/// Columns equal apart from their position.
fn same_column(a: &Column, b: &Column) -> bool {
    let mut b = b.clone();
    b.position = a.position;
    *a == b
}

/// The statements (plain and guarded) of one column alteration, with its
/// safety and preflight checks as they accumulate.
struct ColumnAlter {
    sql: Vec<String>,
    script: Vec<String>,
    safety: Safety,
    preflight: Vec<Preflight>,
}

impl ColumnAlter {
    fn new() -> Self {
        ColumnAlter {
            sql: Vec::new(),
            script: Vec::new(),
            safety: Safety::Safe,
            preflight: Vec::new(),
        }
    }

    /// A statement that is its own guarded form.
    fn both(&mut self, stmt: String) {
        self.script.push(stmt.clone());
        self.sql.push(stmt);
    }

    fn at_least(&mut self, safety: Safety) {
        self.safety = self.safety.max(safety);
    }
}

/// One PostgreSQL column of table `t` as `ac` is and `tc` should be.
struct PgColumn<'a> {
    s: &'a str,
    tn: &'a str,
    c: &'a str,
    ac: &'a Column,
    tc: &'a Column,
}

fn alter_column_pg(
    ctx: &Ctx<'_>,
    t: &Target<'_>,
    c: &str,
    ac: &Column,
    tc: &Column,
    out: &mut Out,
) -> Result<(), PlanError> {
    let col = PgColumn {
        s: t.schema.as_str(),
        tn: t.name.as_str(),
        c,
        ac,
        tc,
    };
    let (s, tn) = (col.s, col.tn);
    let mut alter = ColumnAlter::new();
    // A changed generation expression means a new column (its values are
    // computed); a plain column made generated loses the values it held.
    let recreate =
        ac.generated != tc.generated && !(ac.generated.is_some() && tc.generated.is_none());
    if recreate {
        let w = &Postgres;
        alter.safety = match ac.generated {
            Some(_) => Safety::Locking,
            None => Safety::DataLoss,
        };
        alter.sql.push(w.drop_column(s, tn, c, false));
        alter.script.push(w.drop_column(s, tn, c, true));
        alter.sql.push(w.add_column(s, tn, c, tc, false)?);
        alter.script.push(w.add_column(s, tn, c, tc, true)?);
        out.view_changed.insert(QualifiedName::new(s, tn));
    } else {
        if ac.generated.is_some() && tc.generated.is_none() {
            alter.at_least(Safety::Locking);
            alter.sql.push(Postgres.drop_expression(s, tn, c, false));
            alter.script.push(Postgres.drop_expression(s, tn, c, true));
        }
        // An identity column takes no default: the identity goes first.
        let identity_goes = ac.identity.is_some() && tc.identity.is_none();
        if identity_goes {
            pg_identity(&col, &mut alter);
        }
        let type_changed = pg_type_and_default(ctx, &col, &mut alter, out)?;
        if ac.identity.is_none() && tc.identity.is_some() && ac.default.is_some() && !type_changed {
            alter.both(Postgres.alter_column_default(s, tn, c, None)?);
        }
        pg_nullability(&col, &mut alter, backfill_default(ac, tc).is_some());
        if !identity_goes {
            pg_identity(&col, &mut alter);
        }
    }
    if ac.comment != tc.comment {
        alter.both(Postgres.comment(Commented::Column(s, tn, c), tc.comment.as_deref())?);
    }
    let p = Part::column(c);
    let mut spec = StepSpec::new(col_ref(s, tn, c), "alter column", alter.safety);
    spec.fixes = t.reasons_of(&p);
    spec.note = t.note_of(&p);
    spec.sql = alter.sql;
    spec.script = alter.script;
    spec.preflight = alter.preflight;
    push_not_null(ctx, (s, tn, c), (ac, tc), spec, out)
}

/// Pushes the step of column `c` (`ac` becoming `tc`): after the backfill
/// of its NULLs when it becomes NOT NULL with a default, and on a big
/// PostgreSQL table between the steps of the online `SET NOT NULL`.
fn push_not_null(
    ctx: &Ctx<'_>,
    (s, tn, c): (&str, &str, &str),
    (ac, tc): (&Column, &Column),
    spec: StepSpec<'_>,
    out: &mut Out,
) -> Result<(), PlanError> {
    if let Some(default) = backfill_default(ac, tc) {
        let step = backfill_step(ctx, (s, tn, c), default, &spec)?;
        out.push(Phase::Columns, step);
    }
    let online = ctx.d == Dialect::Postgres && ctx.online(s, tn);
    if !(online && ac.nullable && !tc.nullable) {
        out.push(Phase::Columns, spec);
        return Ok(());
    }
    let (before, after) = online::pg_not_null((s, tn, c), &spec);
    for step in before {
        out.push(Phase::Columns, step);
    }
    out.push(Phase::Columns, spec);
    out.push(Phase::Columns, after);
    Ok(())
}

/// The type (and the default around it) or only the default; whether the
/// type changed.
fn pg_type_and_default(
    ctx: &Ctx<'_>,
    col: &PgColumn<'_>,
    alter: &mut ColumnAlter,
    out: &mut Out,
) -> Result<bool, PlanError> {
    let d = Dialect::Postgres;
    let PgColumn { s, tn, c, ac, tc } = *col;
    let type_changed = ac.data_type != tc.data_type || ac.collation != tc.collation;
    if !type_changed {
        if ac.default != tc.default && tc.identity.is_none() && tc.generated.is_none() {
            alter.both(Postgres.alter_column_default(s, tn, c, tc.default.as_deref())?);
        }
        return Ok(false);
    }
    let exp_schema = ctx.exp_schema(s).unwrap_or(s);
    let from = types::classify(d, ctx.act, s, &ac.data_type);
    let to = types::classify(d, ctx.exp, exp_schema, &tc.data_type);
    let via_text =
        matches!(from, types::TypeClass::Enum(_)) || matches!(to, types::TypeClass::Enum(_));
    match types::loss(&from, &to) {
        Some(l) if ac.data_type != tc.data_type => {
            alter.safety = Safety::DataLoss;
            alter.preflight.push(count_loss(d, s, tn, c, &l));
        }
        _ => alter.at_least(Safety::Locking),
    }
    if ac.default.is_some() && ac.identity.is_none() {
        alter.both(Postgres.alter_column_default(s, tn, c, None)?);
    }
    alter.both(Postgres.alter_column_type(s, tn, c, tc, via_text)?);
    if tc.default.is_some() && tc.identity.is_none() && tc.generated.is_none() {
        alter.both(Postgres.alter_column_default(s, tn, c, tc.default.as_deref())?);
    }
    out.view_changed.insert(QualifiedName::new(s, tn));
    Ok(true)
}

/// `SET NOT NULL` (refused while rows hold NULL, unless `backfilled`: a
/// step of its own fills them first) or `DROP NOT NULL`.
fn pg_nullability(col: &PgColumn<'_>, alter: &mut ColumnAlter, backfilled: bool) {
    let PgColumn { s, tn, c, ac, tc } = *col;
    if ac.nullable == tc.nullable {
        return;
    }
    if !tc.nullable {
        alter.at_least(Safety::Locking);
        if !backfilled {
            alter
                .preflight
                .push(refuse_nulls(Dialect::Postgres, s, tn, c));
        }
        alter.both(Postgres.alter_column_null(s, tn, c, false));
    } else if !(ac.identity.is_some() && tc.identity.is_none()) {
        // (When the identity goes, it is dropped first: identity columns
        // are NOT NULL; see pg_identity.)
        alter.both(Postgres.alter_column_null(s, tn, c, true));
    }
}

fn pg_identity(col: &PgColumn<'_>, alter: &mut ColumnAlter) {
    let PgColumn { s, tn, c, ac, tc } = *col;
    if ac.identity.is_some() && tc.identity.is_some() && ac.identity_options != tc.identity_options
    {
        alter.at_least(Safety::Locking);
        let options = tc.identity_options.as_ref();
        alter.both(Postgres.set_identity_options(s, tn, c, options));
    }
    if ac.identity == tc.identity {
        return;
    }
    alter.at_least(Safety::Locking);
    let options = tc.identity_options.as_ref();
    for stmt in Postgres.alter_identity(s, tn, c, ac.identity, tc.identity, options) {
        let sc = if ac.identity.is_none() {
            Postgres.guarded(
                &crate::guard::Cond::Identity {
                    schema: s.into(),
                    table: tn.into(),
                    column: c.into(),
                }
                .not(),
                std::slice::from_ref(&stmt),
            )
        } else {
            vec![stmt.clone()]
        };
        alter.script.extend(sc);
        alter.sql.push(stmt);
    }
    if tc.nullable && !ac.nullable && ac.identity.is_some() && tc.identity.is_none() {
        alter.both(Postgres.alter_column_null(s, tn, c, true));
    }
}

fn alter_column_mysql(
    ctx: &Ctx<'_>,
    t: &Target<'_>,
    c: &str,
    ac: &Column,
    tc: &Column,
    out: &mut Out,
) -> Result<(), PlanError> {
    let d = Dialect::Mysql;
    let (s, tn) = (t.schema.as_str(), t.name.as_str());
    let p = Part::column(c);
    let mut safety = Safety::Safe;
    let mut preflight = Vec::new();
    if ac.data_type != tc.data_type || ac.collation != tc.collation {
        let exp_schema = ctx.exp_schema(s).unwrap_or(s);
        let from = types::classify(d, ctx.act, s, &ac.data_type);
        let to = types::classify(d, ctx.exp, exp_schema, &tc.data_type);
        match types::loss(&from, &to) {
            Some(l) if ac.data_type != tc.data_type => {
                safety = Safety::DataLoss;
                preflight.push(count_loss(d, s, tn, c, &l));
            }
            _ => safety = Safety::Locking,
        }
    }
    if ac.nullable && !tc.nullable {
        safety = safety.max(Safety::Locking);
        if backfill_default(ac, tc).is_none() {
            preflight.push(refuse_nulls(d, s, tn, c));
        }
    }
    if ac.identity != tc.identity || ac.generated != tc.generated {
        safety = safety.max(Safety::Locking);
    }
    // To or from generated, or between VIRTUAL and STORED: MODIFY refuses,
    // the column is dropped and added again (a plain column's values go).
    let generation = |col: &Column| col.generated.as_ref().map(|g| g.stored);
    let replaced = generation(ac) != generation(tc);
    if replaced {
        let plain = ac.generated.is_none() || tc.generated.is_none();
        safety = safety.max(if plain {
            Safety::DataLoss
        } else {
            Safety::Locking
        });
    }
    let stmt = Mysql.modify_column(s, tn, c, tc, replaced)?;
    let mut spec = StepSpec::new(col_ref(s, tn, c), "alter column", safety);
    spec.algorithm = Some(mysql_column_algorithm(c, (t.actual, ac), (&t.target, tc)));
    spec.fixes = t.reasons_of(&p);
    spec.note = t.note_of(&p).or(replaced.then_some(
        "MySQL and MariaDB cannot change a column to or from generated, nor between VIRTUAL and STORED: it is dropped and added again",
    ));
    spec.statement(stmt);
    spec.preflight = preflight;
    push_not_null(ctx, (s, tn, c), (ac, tc), spec, out)
}

/// Whether SQLite's `ALTER TABLE … ADD COLUMN` can add `col`.
fn sqlite_can_add(col: &Column) -> bool {
    if needs_value(col)
        || col.identity.is_some()
        || col.generated.as_ref().is_some_and(|g| g.stored)
    {
        return false;
    }
    match &col.default {
        None => true,
        Some(dflt) => {
            let u = dflt.trim().to_ascii_uppercase();
            !(u.starts_with('(') || u.contains("CURRENT_TIME") || u.contains("CURRENT_DATE"))
        }
    }
}

/// The temporary name a SQLite rebuild creates its new table under:
/// `_driftless_new_<table>`, free of every name either side holds (tables,
/// views and indexes share one namespace).
fn rebuild_name(ctx: &Ctx<'_>, s: &str, tn: &str) -> String {
    let taken = ctx.held_names(s);
    let base = format!("_driftless_new_{tn}");
    let mut tmp = base.clone();
    let mut k = 2;
    while taken.contains(&tmp) {
        tmp = format!("{base}_{k}");
        k += 1;
    }
    tmp
}

fn alter_sqlite(ctx: &Ctx<'_>, t: &Target<'_>, out: &mut Out) -> Result<(), PlanError> {
    let (a, g) = (t.actual, &t.target);
    let quarantined: BTreeSet<&String> = t.renames.values().collect();
    let comparable = |c: &Column| Column {
        inherited: false,
        comment: None,
        position: 0,
        ..c.clone()
    };
    let altered = a.columns.iter().any(|(c, ac)| {
        g.columns
            .get(c)
            .is_some_and(|tc| comparable(ac) != comparable(tc))
    });
    let renamed_changed =
        t.renames.iter().any(
            |(old, new)| match (a.columns.get(old), g.columns.get(new)) {
                (Some(ac), Some(qc)) => comparable(ac) != comparable(qc),
                _ => false,
            },
        );
    let adds: Vec<(&String, &Column)> = g
        .columns
        .iter()
        .filter(|(c, _)| !a.columns.contains_key(*c) && !quarantined.contains(c))
        .collect();
    let drops: Vec<&String> = a
        .columns
        .keys()
        .filter(|c| {
            !g.columns.contains_key(*c) && !t.renames.contains_key(*c) && !t.moved.contains_key(*c)
        })
        .collect();
    let rebuild = altered
        || renamed_changed
        || a.primary_key != g.primary_key
        || a.uniques != g.uniques
        || a.checks != g.checks
        || a.foreign_keys != g.foreign_keys
        || a.options != g.options
        || adds.iter().any(|(_, col)| !sqlite_can_add(col))
        || drops.iter().copied().chain(t.moved.keys()).any(|c| {
            a.columns
                .get(c)
                .is_some_and(|col| col.generated.is_some() || col.identity.is_some())
        });
    for (c, m) in &t.moved {
        move_column(ctx, t, c, m, !rebuild, out)?;
    }
    if rebuild {
        rebuild_sqlite(ctx, t, !drops.is_empty(), out)?;
        for (old, new) in &t.renames {
            let Some(ac) = a.columns.get(old) else {
                continue;
            };
            let stmts = record_renamed(
                Dialect::Sqlite,
                &ctx.plan_id,
                &t.schema,
                &t.name,
                old,
                new,
                ac,
            );
            let mut spec = t.part_step(
                &Part::column(old),
                col_ref(&t.schema, &t.name, old),
                "quarantine column",
                Safety::Safe,
            );
            let note = renamed_note(new);
            spec.note = Some(&note);
            spec.script = stmts.clone();
            spec.sql = stmts;
            out.push(Phase::Columns, spec);
        }
        Ok(())
    } else {
        alter_sqlite_in_place(ctx, t, adds, drops, out)
    }
}

/// SQLite's table rebuild: a new table, the kept columns copied, the old
/// one dropped, the new one renamed, its indexes created again.
fn rebuild_sqlite(
    ctx: &Ctx<'_>,
    t: &Target<'_>,
    drops_columns: bool,
    out: &mut Out,
) -> Result<(), PlanError> {
    let (d, w) = (Dialect::Sqlite, &sql::Sqlite);
    let (s, tn) = (t.schema.as_str(), t.name.as_str());
    let (a, g) = (t.actual, &t.target);
    let tmp = rebuild_name(ctx, s, tn);
    let mut safety = Safety::Locking;
    let mut preflight = Vec::new();
    // Copy every kept column from its source (quarantined ones from their old name).
    let mut copied: Vec<(&str, &str)> = Vec::new();
    let mut values: Vec<(&str, &str)> = Vec::new();
    // Columns becoming NOT NULL whose NULLs get their default first.
    let mut backfills: Vec<(&str, &str)> = Vec::new();
    for c in g.column_order() {
        let Some(tc) = g.columns.get(c) else { continue };
        if tc.generated.is_some() {
            continue;
        }
        let src = t
            .renames
            .iter()
            .find(|(_, new)| new.as_str() == c)
            .map(|(old, _)| old.as_str())
            .or_else(|| a.columns.contains_key(c).then_some(c));
        let Some(src) = src else {
            match backfill(ctx, s, tn, c, tc) {
                Some(value) => values.push((c, value)),
                None if needs_value(tc) => preflight.push(refuse_not_null_add(d, s, tn, c)),
                None => {}
            }
            continue;
        };
        if let Some(ac) = a.columns.get(src) {
            let changes = !types::is_strict(a) || ac.data_type != tc.data_type;
            if types::is_strict(g) && changes && !tc.data_type.eq_ignore_ascii_case("ANY") {
                preflight.push(refuse_unstrict(s, tn, src, &tc.data_type));
            }
            if let Some(l) = types::sqlite_loss(&ac.data_type, &tc.data_type) {
                safety = Safety::DataLoss;
                preflight.push(count_loss(d, s, tn, src, &l));
            }
            match backfill_default(ac, tc) {
                Some(default) => backfills.push((src, default)),
                None if ac.nullable && !tc.nullable => {
                    preflight.push(refuse_nulls(d, s, tn, src));
                }
                None => {}
            }
        }
        copied.push((c, src));
    }
    if drops_columns && safety < Safety::Destructive {
        safety = Safety::Destructive;
    }
    let order: Vec<String> = g.column_order().into_iter().map(String::from).collect();
    let mut stmts = vec![
        w.create_table(
            s,
            &tmp,
            g,
            CreateTable {
                foreign_keys: true,
                if_not_exists: false,
                order: Some(&order),
            },
        )?,
        w.copy_rows(s, tn, &tmp, &copied, &values)?,
        w.drop_table(s, tn, false),
        w.rename_table(s, &tmp, tn),
    ];
    for (n, idx) in &g.indexes {
        stmts.push(w.create_index(s, tn, n, idx, false)?);
    }
    let mut script = vec![w.drop_table(s, &tmp, true)];
    script.extend(stmts.iter().cloned());
    let mut spec = StepSpec::new(ObjectRef::table(s, tn), "rebuild table", safety);
    spec.fixes = t.reasons.values().flatten().cloned().collect();
    spec.note = Some(
            "SQLite cannot change columns or constraints in place: the table is rebuilt \
             (new table, copy of the kept columns, drop, rename, indexes recreated; apply also recreates its triggers and those of other tables that read it, and runs foreign_key_check)",
        );
    spec.sql = stmts;
    spec.script = script;
    spec.preflight = preflight;
    spec.rebuilds = Some(tn.to_string());
    for (c, default) in backfills {
        let step = backfill_step(ctx, (s, tn, c), default, &spec)?;
        out.push(Phase::Columns, step);
    }
    out.push(Phase::Columns, spec);
    out.view_changed.insert(QualifiedName::new(s, tn));
    Ok(())
}

/// What SQLite can change in place: indexes, column renames (quarantine),
/// drops and adds.
fn alter_sqlite_in_place(
    ctx: &Ctx<'_>,
    t: &Target<'_>,
    adds: Vec<(&String, &Column)>,
    drops: Vec<&String>,
    out: &mut Out,
) -> Result<(), PlanError> {
    let (d, w) = (Dialect::Sqlite, &sql::Sqlite);
    let (s, tn) = (t.schema.as_str(), t.name.as_str());
    let (a, g) = (t.actual, &t.target);
    for (n, i) in &a.indexes {
        if g.indexes.get(n) != Some(i) {
            let p = Part::Of(ObjectKind::Index, n.clone());
            let mut spec = t.part_step(
                &p,
                part_ref(ObjectKind::Index, s, tn, n),
                "drop index",
                Safety::Safe,
            );
            index_drop_statements(d, s, tn, n, &mut spec);
            out.push(Phase::DropConstraints, spec);
        }
    }
    for (old, new) in &t.renames {
        let p = Part::column(old);
        let mut stmts = vec![w.rename_column(s, tn, old, new)];
        if let Some(ac) = a.columns.get(old) {
            stmts.extend(record_renamed(d, &ctx.plan_id, s, tn, old, new, ac));
        }
        let mut spec = StepSpec::new(col_ref(s, tn, old), "quarantine column", Safety::Safe);
        spec.fixes = t.reasons_of(&p);
        let note = renamed_note(new);
        spec.note = Some(&note);
        spec.script = stmts.clone();
        spec.sql = stmts;
        out.push(Phase::Columns, spec);
    }
    for c in drops {
        let p = Part::column(c);
        let stmt = w.drop_column(s, tn, c, false);
        let mut spec = t.part_step(&p, col_ref(s, tn, c), "drop column", Safety::Destructive);
        spec.statement(stmt);
        out.push(Phase::Columns, spec);
        out.view_changed.insert(QualifiedName::new(s, tn));
    }
    for (c, col) in adds {
        let p = Part::column(c);
        let stmt = w.add_column(s, tn, c, col, false)?;
        let mut spec = t.part_step(&p, col_ref(s, tn, c), "add column", Safety::Safe);
        spec.statement(stmt);
        out.push(Phase::Columns, spec);
    }
    for (n, i) in &g.indexes {
        if a.indexes.get(n) != Some(i) {
            let p = Part::Of(ObjectKind::Index, n.clone());
            let mut spec = t.part_step(
                &p,
                part_ref(ObjectKind::Index, s, tn, n),
                "create index",
                Safety::Locking,
            );
            index_create_statements(d, s, tn, n, i, &mut spec)?;
            out.push(Phase::CreateConstraints, spec);
        }
    }
    Ok(())
}
