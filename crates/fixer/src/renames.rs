//! Renames: a `possible-rename` finding that is confirmed (a `[[rename]]`
//! entry) or accepted (`--accept-renames`) becomes one rename step instead
//! of the orphan's quarantine (or drop) and the missing object's creation;
//! the rest of the plan is made against the schema as renamed. An
//! unaccepted one, or one the dialect cannot rename
//! ([`ObjectKind::renamable_on`](driftless_model::ObjectKind::renamable_on)), is shown on
//! the quarantine (or drop) and add steps it could replace.

use driftless_model::{
    Dialect, Index, IndexKey, ObjectKind, ObjectRef, QualifiedName, Schema, Snapshot, Table,
};
use driftless_rules::{Finding, FixIntent};

use crate::guard;
use crate::model::{Acts, Ctx, Out, Phase, StepSpec, TableWork, Work};
use crate::options::PlanOptions;
use crate::plan::{PlanError, Reason, Unfixed};
use crate::safety::Safety;
use crate::sql::{Mysql, Postgres};

/// One accepted rename.
pub(crate) struct Accepted {
    /// What is renamed.
    kind: ObjectKind,
    /// The schema (as the actual snapshot names it).
    schema: String,
    /// The table of a renamed column, index or constraint; `None` for a
    /// table.
    table: Option<String>,
    from: String,
    to: String,
    /// The rename finding, and the missing and orphan findings it settles.
    reasons: Vec<Reason>,
}

/// The accepted renames of `findings`, the schema as they leave it, and
/// the findings they do not settle.
pub(crate) struct Renamed {
    pub(crate) accepted: Vec<Accepted>,
    pub(crate) actual: Snapshot,
    pub(crate) findings: Vec<Finding>,
}

/// Whether `f` is a rename the plan makes (confirmed or accepted, and one
/// the dialect can make).
fn accepted_from<'f>(f: &'f Finding, d: Dialect, options: &PlanOptions) -> Option<&'f str> {
    match &f.fix {
        FixIntent::Rename { from, confirmed }
            if (*confirmed || options.accept_renames)
                && !f.is_waived()
                && f.object.kind.renamable_on(d) =>
        {
            Some(from)
        }
        _ => None,
    }
}

/// The orphan a rename finding renames.
fn orphan_of(f: &Finding, from: &str) -> ObjectRef {
    let o = &f.object;
    match (o.kind, &o.table) {
        (ObjectKind::Table, _) | (_, None) => ObjectRef::table(&o.schema, from),
        (kind, Some(t)) => ObjectRef::table_part(kind, &o.schema, t, from),
    }
}

/// Splits the accepted renames out of `findings` and applies them to a
/// copy of `actual`.
pub(crate) fn accept(actual: &Snapshot, findings: &[Finding], options: &PlanOptions) -> Renamed {
    let mut accepted = Vec::new();
    let mut settled: Vec<(ObjectRef, ObjectRef)> = Vec::new();
    let mut renamed = actual.clone();
    for f in findings {
        let Some(from) = accepted_from(f, actual.dialect, options) else {
            continue;
        };
        let o = &f.object;
        let (table, to) = match o.kind {
            ObjectKind::Table => (None, o.table.clone()),
            _ => (o.table.clone(), o.name.clone()),
        };
        let Some(to) = to.filter(|_| applies(&renamed, f, from)) else {
            continue;
        };
        rename_in(&mut renamed, o.kind, &o.schema, table.as_deref(), from, &to);
        settled.push((o.clone(), orphan_of(f, from)));
        accepted.push(Accepted {
            kind: o.kind,
            schema: o.schema.clone(),
            table,
            from: from.to_string(),
            to,
            reasons: vec![Reason::of(f)],
        });
    }
    let mut rest = Vec::new();
    for f in findings {
        let pair = settled.iter().position(|(missing, orphan)| match &f.fix {
            FixIntent::Rename { .. } | FixIntent::Create => &f.object == missing,
            FixIntent::Remove | FixIntent::Drop => &f.object == orphan,
            _ => false,
        });
        match pair {
            Some(i) if !matches!(f.fix, FixIntent::Rename { .. }) => {
                accepted[i].reasons.push(Reason::of(f))
            }
            Some(_) => {}
            None => rest.push(f.clone()),
        }
    }
    Renamed {
        accepted,
        actual: renamed,
        findings: rest,
    }
}

/// Whether the database still has the orphan a rename finding names, and
/// not yet the name it takes.
fn applies(actual: &Snapshot, f: &Finding, from: &str) -> bool {
    let o = &f.object;
    let Some(schema) = actual.schemas.get(&o.schema) else {
        return false;
    };
    match (o.kind, &o.table, &o.name) {
        (ObjectKind::Table, Some(to), _) => {
            schema.tables.contains_key(from) && !schema.tables.contains_key(to)
        }
        (kind, Some(t), Some(to)) => {
            let has = |name: &str| has_part(schema, kind, t, name);
            has(from) && !has(to)
        }
        _ => false,
    }
}

/// Whether table (or, for an index, materialized view) `table` of `schema`
/// has a column, index or constraint (`kind`) named `name`.
fn has_part(schema: &Schema, kind: ObjectKind, table: &str, name: &str) -> bool {
    match schema.tables.get(table) {
        Some(t) => match kind {
            ObjectKind::Column => t.columns.contains_key(name),
            ObjectKind::Index => t.indexes.contains_key(name),
            ObjectKind::Unique => t.uniques.contains_key(name),
            ObjectKind::ForeignKey => t.foreign_keys.contains_key(name),
            ObjectKind::Check => t.checks.contains_key(name),
            ObjectKind::Exclusion => t.exclusions.contains_key(name),
            _ => false,
        },
        None => {
            kind == ObjectKind::Index
                && schema
                    .views
                    .get(table)
                    .is_some_and(|v| v.indexes.contains_key(name))
        }
    }
}

/// Moves the entry `from` of `map` to `to`.
fn move_key<T>(map: &mut std::collections::BTreeMap<String, T>, from: &str, to: &str) {
    if let Some(v) = map.remove(from) {
        map.insert(to.to_string(), v);
    }
}

/// Renames index or constraint (`kind`) `from` of `table` (a table, or for
/// an index a materialized view) of `s` to `to`.
fn rename_part(s: &mut Schema, kind: ObjectKind, table: &str, from: &str, to: &str) {
    let Some(t) = s.tables.get_mut(table) else {
        if let Some(v) = s.views.get_mut(table) {
            move_key(&mut v.indexes, from, to);
        }
        return;
    };
    match kind {
        ObjectKind::Index => move_key(&mut t.indexes, from, to),
        ObjectKind::Unique => move_key(&mut t.uniques, from, to),
        ObjectKind::ForeignKey => move_key(&mut t.foreign_keys, from, to),
        ObjectKind::Check => move_key(&mut t.checks, from, to),
        ObjectKind::Exclusion => move_key(&mut t.exclusions, from, to),
        _ => {}
    }
}

/// Renames column `from` of `table` (or, without one, table `from`) of
/// `schema` to `to` in `snap`, with the references to it; or, for another
/// `kind`, the index or constraint `from` of `table`.
fn rename_in(
    snap: &mut Snapshot,
    kind: ObjectKind,
    schema: &str,
    table: Option<&str>,
    from: &str,
    to: &str,
) {
    let Some(s) = snap.schemas.get_mut(schema) else {
        return;
    };
    let owner = table.unwrap_or(from).to_string();
    match (kind, table) {
        (ObjectKind::Column, Some(t)) => {
            if let Some(t) = s.tables.get_mut(t) {
                move_key(&mut t.columns, from, to);
                rename_own_column(t, from, to);
            }
        }
        (ObjectKind::Table, _) | (_, None) => move_key(&mut s.tables, from, to),
        (kind, Some(t)) => {
            rename_part(s, kind, t, from, to);
            return;
        }
    }
    let new_owner = table.map_or(to, |t| t);
    for s in snap.schemas.values_mut() {
        for t in s.tables.values_mut() {
            for fk in t.foreign_keys.values_mut() {
                if fk.ref_schema != schema || fk.ref_table != owner {
                    continue;
                }
                fk.ref_table = new_owner.to_string();
                if table.is_some() {
                    rename_all(&mut fk.ref_columns, from, to);
                }
            }
        }
    }
}

fn rename_all(columns: &mut [String], from: &str, to: &str) {
    for c in columns.iter_mut().filter(|c| *c == from) {
        *c = to.to_string();
    }
}

/// The table's own references to its column `from`, renamed `to`.
fn rename_own_column(t: &mut Table, from: &str, to: &str) {
    if let Some(pk) = &mut t.primary_key {
        rename_all(&mut pk.columns, from, to);
    }
    for u in t.uniques.values_mut() {
        rename_all(&mut u.columns, from, to);
    }
    for i in t.indexes.values_mut() {
        for p in &mut i.parts {
            if let IndexKey::Column(c) = &mut p.key {
                if c == from {
                    *c = to.to_string();
                }
            }
        }
        rename_all(&mut i.include, from, to);
    }
    for fk in t.foreign_keys.values_mut() {
        rename_all(&mut fk.columns, from, to);
    }
}

/// The rename steps, first in the plan.
pub(crate) fn steps(ctx: &Ctx<'_>, accepted: &[Accepted], out: &mut Out) -> Result<(), PlanError> {
    let w = ctx.sql();
    for a in accepted {
        let s = a.schema.as_str();
        let (action, stmts, cond) = match (a.kind, &a.table) {
            (ObjectKind::Column, Some(t)) => (
                "rename column",
                vec![w.rename_column(s, t, &a.from, &a.to)],
                guard::column(s, t, &a.from),
            ),
            (ObjectKind::Table, _) | (_, None) => (
                "rename table",
                vec![w.rename_table(s, &a.from, &a.to)],
                guard::relation(s, &a.from),
            ),
            (ObjectKind::Index, Some(t)) => (
                "rename index",
                rename_index(ctx, s, t, &a.from, &a.to)?,
                guard::index(s, t, &a.from),
            ),
            (kind, Some(t)) => (
                "rename constraint",
                vec![rename_constraint(ctx.d, kind, s, t, &a.from, &a.to)],
                guard::constraint(s, t, &a.from),
            ),
        };
        let object = match &a.table {
            Some(t) => ObjectRef::table_part(a.kind, s, t, &a.from),
            None => ObjectRef::table(s, &a.from),
        };
        // SQLite builds the index again: it takes as long as creating it.
        let rebuilt = ctx.d == Dialect::Sqlite && a.kind == ObjectKind::Index;
        let safety = if rebuilt {
            Safety::Locking
        } else {
            Safety::Safe
        };
        let mut spec = StepSpec::new(object, action, safety);
        spec.fixes = a.reasons.clone();
        let note = match a.kind {
            ObjectKind::Column | ObjectKind::Table => format!(
                "renamed to {}, its data kept: the rename is confirmed",
                a.to
            ),
            _ if rebuilt => format!(
                "the rename to {} is confirmed; SQLite cannot rename an index, so it is dropped and created under the new name in this one step",
                a.to
            ),
            _ => format!("renamed to {}: the rename is confirmed", a.to),
        };
        spec.note = Some(&note);
        spec.script = w.guarded(&cond, &stmts);
        spec.sql = stmts;
        out.push(Phase::Renames, spec);
    }
    Ok(())
}

/// The statements that give index `from` of `table` the name `to`:
/// PostgreSQL and MySQL/MariaDB rename it; SQLite, which cannot, drops it
/// and creates it under the new name (as the schema renamed has it).
fn rename_index(
    ctx: &Ctx<'_>,
    s: &str,
    t: &str,
    from: &str,
    to: &str,
) -> Result<Vec<String>, PlanError> {
    match ctx.d {
        Dialect::Postgres => Ok(vec![Postgres.rename_index(s, from, to)]),
        Dialect::Mysql => Ok(vec![Mysql.rename_index(s, t, from, to)]),
        Dialect::Sqlite => {
            let index: Option<&Index> = ctx.act_table(s, t).and_then(|t| t.indexes.get(to));
            let Some(index) = index else {
                return Err(PlanError::Unsupported {
                    object: ObjectRef::table_part(ObjectKind::Index, s, t, from).to_string(),
                    reason: format!("its definition is not known, to create it as {to}"),
                });
            };
            let w = ctx.sql();
            Ok(vec![
                w.drop_index(s, t, from, false),
                w.create_index(s, t, to, index, false)?,
            ])
        }
    }
}

/// `ALTER TABLE … RENAME CONSTRAINT` (PostgreSQL), or, for a MySQL unique
/// key, `RENAME INDEX` (the only constraints [`ObjectKind::renamable_on`] lets
/// through).
fn rename_constraint(
    d: Dialect,
    kind: ObjectKind,
    s: &str,
    t: &str,
    from: &str,
    to: &str,
) -> String {
    match (d, kind) {
        (Dialect::Mysql, _) => Mysql.rename_index(s, t, from, to),
        _ => Postgres.rename_constraint(s, t, from, to),
    }
}

/// An unaccepted rename: its finding goes with the steps that quarantine
/// the orphan and create the missing object, so that their reasons say it
/// may be a rename; with neither, it is left unfixed.
pub(crate) fn note_unaccepted(ctx: &Ctx<'_>, w: &mut Work, f: &Finding, from: &str) {
    let o = &f.object;
    let r = Reason::of(f);
    let schema = ctx.key_schema(&o.schema);
    let mut noted = false;
    match (o.kind, &o.table, &o.name) {
        (ObjectKind::Column, Some(t), Some(to)) => {
            if let Some(tw) = w.tables.get_mut(&QualifiedName::new(schema, t.clone())) {
                for (map, name) in [(&mut tw.remove, from), (&mut tw.add, to.as_str())] {
                    if let Some(rs) = map.get_mut(name) {
                        rs.push(r.clone());
                        noted = true;
                    }
                }
            }
        }
        (ObjectKind::Table, Some(to), _) => {
            for (map, name) in [
                (&mut w.tables_remove, from),
                (&mut w.tables_create, to.as_str()),
            ] {
                if let Some(rs) = map.get_mut(&QualifiedName::new(schema.clone(), name)) {
                    rs.push(r.clone());
                    noted = true;
                }
            }
        }
        (kind, Some(t), Some(to)) => {
            let key = QualifiedName::new(schema, t.clone());
            let mut acts = match w.tables.get_mut(&key) {
                Some(tw) => part_acts(tw, kind),
                None => w.view_indexes.get_mut(&key),
            };
            for name in [from, to.as_str()] {
                if let Some((_, rs)) = acts.as_deref_mut().and_then(|a| a.get_mut(name)) {
                    rs.push(r.clone());
                    noted = true;
                }
            }
        }
        _ => {}
    }
    if !noted {
        w.unfixed.push(Unfixed {
            finding: r,
            why: f.hint.clone().unwrap_or_default(),
        });
    }
}

/// The work on a table's indexes or constraints of `kind`.
fn part_acts(tw: &mut TableWork, kind: ObjectKind) -> Option<&mut Acts> {
    match kind {
        ObjectKind::Index => Some(&mut tw.indexes),
        ObjectKind::Unique => Some(&mut tw.uniques),
        ObjectKind::ForeignKey => Some(&mut tw.fks),
        ObjectKind::Check => Some(&mut tw.checks),
        ObjectKind::Exclusion => Some(&mut tw.exclusions),
        _ => None,
    }
}
