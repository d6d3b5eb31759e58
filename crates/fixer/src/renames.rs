//! Renames: a `possible-rename` finding that is confirmed (a `[[rename]]`
//! entry) or accepted (`--accept-renames`) becomes one rename step instead
//! of the orphan's quarantine and the missing object's creation; the rest
//! of the plan is made against the schema as renamed. An unaccepted one
//! is shown on the quarantine and add steps it could replace.

use driftless_model::{IndexKey, ObjectKind, ObjectRef, QualifiedName, Snapshot, Table};
use driftless_rules::{Finding, FixIntent};

use crate::guard;
use crate::model::{Ctx, Out, Phase, StepSpec, Work};
use crate::options::PlanOptions;
use crate::plan::{Reason, Unfixed};
use crate::safety::Safety;

/// One accepted rename.
pub(crate) struct Accepted {
    /// The schema (as the actual snapshot names it).
    schema: String,
    /// The table of a renamed column; `None` for a table.
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

/// Whether `f` is a rename the plan makes.
fn accepted_from<'f>(f: &'f Finding, options: &PlanOptions) -> Option<&'f str> {
    match &f.fix {
        FixIntent::Rename { from, confirmed }
            if (*confirmed || options.accept_renames) && !f.is_waived() =>
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
        (ObjectKind::Column, Some(t)) => ObjectRef::table_part(o.kind, &o.schema, t, from),
        _ => ObjectRef::table(&o.schema, from),
    }
}

/// Splits the accepted renames out of `findings` and applies them to a
/// copy of `actual`.
pub(crate) fn accept(actual: &Snapshot, findings: &[Finding], options: &PlanOptions) -> Renamed {
    let mut accepted = Vec::new();
    let mut settled: Vec<(ObjectRef, ObjectRef)> = Vec::new();
    let mut renamed = actual.clone();
    for f in findings {
        let Some(from) = accepted_from(f, options) else {
            continue;
        };
        let o = &f.object;
        let (table, to) = match o.kind {
            ObjectKind::Column => (o.table.clone(), o.name.clone()),
            _ => (None, o.table.clone()),
        };
        let Some(to) = to.filter(|_| applies(&renamed, f, from)) else {
            continue;
        };
        rename_in(&mut renamed, &o.schema, table.as_deref(), from, &to);
        settled.push((o.clone(), orphan_of(f, from)));
        accepted.push(Accepted {
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
        (ObjectKind::Column, Some(t), Some(to)) => schema
            .tables
            .get(t)
            .is_some_and(|t| t.columns.contains_key(from) && !t.columns.contains_key(to)),
        (ObjectKind::Table, Some(to), _) => {
            schema.tables.contains_key(from) && !schema.tables.contains_key(to)
        }
        _ => false,
    }
}

/// Renames column `from` of `table` (or, without one, table `from`) of
/// `schema` to `to` in `snap`, with the references to it.
fn rename_in(snap: &mut Snapshot, schema: &str, table: Option<&str>, from: &str, to: &str) {
    let Some(s) = snap.schemas.get_mut(schema) else {
        return;
    };
    let owner = table.unwrap_or(from).to_string();
    match table {
        Some(t) => {
            if let Some(t) = s.tables.get_mut(t) {
                if let Some(c) = t.columns.remove(from) {
                    t.columns.insert(to.to_string(), c);
                }
                rename_own_column(t, from, to);
            }
        }
        None => {
            if let Some(t) = s.tables.remove(from) {
                s.tables.insert(to.to_string(), t);
            }
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
pub(crate) fn steps(ctx: &Ctx<'_>, accepted: &[Accepted], out: &mut Out) {
    let w = ctx.sql();
    for a in accepted {
        let s = a.schema.as_str();
        let (object, action, stmt, cond) = match &a.table {
            Some(t) => (
                ObjectRef::table_part(ObjectKind::Column, s, t, &a.from),
                "rename column",
                w.rename_column(s, t, &a.from, &a.to),
                guard::column(s, t, &a.from),
            ),
            None => (
                ObjectRef::table(s, &a.from),
                "rename table",
                w.rename_table(s, &a.from, &a.to),
                guard::relation(s, &a.from),
            ),
        };
        let mut spec = StepSpec::new(object, action, Safety::Safe);
        spec.fixes = a.reasons.clone();
        let note = format!(
            "renamed to {}, its data kept: the rename is confirmed",
            a.to
        );
        spec.note = Some(&note);
        spec.script = w.guarded(&cond, std::slice::from_ref(&stmt));
        spec.sql = vec![stmt];
        out.push(Phase::Renames, spec);
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
        _ => {}
    }
    if !noted {
        w.unfixed.push(Unfixed {
            finding: r,
            why: f.hint.clone().unwrap_or_default(),
        });
    }
}
