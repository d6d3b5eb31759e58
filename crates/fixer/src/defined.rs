//! Steps for objects compared by their definition ([`DefinedObject`]):
//! functions, procedures, triggers, policies, rules, row security,
//! extensions, domains, composite and range types, collations, event
//! triggers (MySQL routines, triggers and events; SQLite triggers).
//!
//! The reader gives each object the statement that makes it and the one
//! that removes it, so the steps are the server's own statements, ordered:
//! - drops first (phase `DropDefined`), what depends on an object before
//!   the object; an orphan type, collation, routine or extension after the
//!   tables instead (`DropDefinedLate`), since a column the plan changes
//!   may still use it; objects on a view or table the plan drops are
//!   dropped before it and made again on the new one;
//! - what tables may use (extensions, collations, types, functions) after
//!   the enums and before the tables (`DefinedBefore`);
//! - what sits on tables and views (triggers, policies, rules, row
//!   security, event triggers, events) after the views (`DefinedAfter`).
//!
//! Within a phase, an object comes after what it depends on: the server's
//! dependency catalog ([`DefinedObject::depends_on`]), and for routines the
//! names their bodies mention (PostgreSQL does not record calls between
//! functions). An object replaced by drop and create takes what depends on
//! it along: dropped before it, created again after it.

use std::collections::{BTreeMap, BTreeSet};

use driftless_model::{CatalogKind, DefinedObject, Dialect, ObjectKind, ObjectRef};

use crate::model::{Act, Ctx, DefinedWork, Out, Phase, StepSpec, Work};
use crate::plan::Reason;
use crate::safety::Safety;
use crate::sql::defined as sql;

/// The two sides of the objects the plan touches, by identity.
struct Sides<'a> {
    ctx: &'a Ctx<'a>,
    /// Actual objects by identity (schema as the actual side names it).
    act: BTreeMap<ObjectRef, &'a DefinedObject>,
    /// Expected objects by identity, the schema as the actual side names it.
    exp: BTreeMap<ObjectRef, &'a DefinedObject>,
}

impl<'a> Sides<'a> {
    fn new(ctx: &'a Ctx<'a>) -> Self {
        let act = ctx.act.objects.iter().map(|o| (o.object(), o)).collect();
        let exp = ctx
            .exp
            .objects
            .iter()
            .map(|o| {
                let mut r = o.object();
                if !r.schema.is_empty() {
                    r.schema = ctx.key_schema(&r.schema);
                }
                (r, o)
            })
            .collect();
        Sides { ctx, act, exp }
    }

    /// Whether the expected object can replace the actual one in place
    /// (`CREATE OR REPLACE FUNCTION` with the same arguments and result).
    fn in_place(&self, e: &DefinedObject, a: &DefinedObject) -> bool {
        self.ctx.d == Dialect::Postgres
            && matches!(e.kind, CatalogKind::Function | CatalogKind::Procedure)
            && sql::pg_routine_header(&e.definition) == sql::pg_routine_header(&a.definition)
    }

    /// The statements that alter the actual object into the expected one
    /// in place, when there are such statements: an extension moved to
    /// another schema or version (a drop would take its objects, and the
    /// columns and rows using them).
    fn altered(&self, e: &DefinedObject, a: &DefinedObject) -> Option<Vec<String>> {
        (self.ctx.d == Dialect::Postgres && e.kind == CatalogKind::Extension)
            .then(|| sql::pg_extension_alter(&a.definition, &e.definition))
            .flatten()
    }

    /// Whether the table or view `k` sits on exists after the plan (it is
    /// rebuilt or recreated, not dropped for good).
    fn relation_stays(&self, k: &ObjectRef) -> bool {
        let Some(t) = k.table.as_deref() else {
            return false;
        };
        let schema = self.ctx.exp_schema(&k.schema).unwrap_or(&k.schema);
        self.ctx
            .exp
            .schemas
            .get(schema)
            .is_some_and(|s| s.tables.contains_key(t) || s.views.contains_key(t))
    }

    /// Actual objects that depend on one of `dropped`, transitively.
    fn dependents(&self, dropped: &BTreeSet<ObjectRef>) -> BTreeSet<ObjectRef> {
        let mut out: BTreeSet<ObjectRef> = BTreeSet::new();
        loop {
            let more: Vec<ObjectRef> = self
                .act
                .iter()
                .filter(|(k, _)| !dropped.contains(*k) && !out.contains(*k))
                .filter(|(_, o)| {
                    o.depends_on
                        .iter()
                        .any(|d| dropped.contains(d) || out.contains(d))
                })
                .map(|(k, _)| k.clone())
                .collect();
            if more.is_empty() {
                return out;
            }
            out.extend(more);
        }
    }
}

/// What the plan does with the objects: drop, create, replace in place.
#[derive(Default)]
struct Moves<'a> {
    /// Dropped: actual objects, with the findings and whether the drop is
    /// the finding's fix (an orphan) or serves a recreation.
    drop: BTreeMap<ObjectRef, (Vec<Reason>, bool)>,
    /// Created from the expected side, with the findings (empty for an
    /// object recreated because something it depends on was).
    create: BTreeMap<ObjectRef, Vec<Reason>>,
    /// Replaced in place by the expected definition.
    replace: BTreeMap<ObjectRef, Vec<Reason>>,
    /// Altered in place by these statements.
    alter: BTreeMap<ObjectRef, (Vec<Reason>, Vec<String>)>,
    /// Made again as they are after their relation is recreated (objects
    /// the expected side does not have and the findings ask nothing of).
    keep: BTreeMap<ObjectRef, &'a DefinedObject>,
}

/// The relations the plan drops (views dropped to be recreated or for
/// good, tables dropped): the objects on them go with them.
fn gone_relations(out: &Out) -> BTreeSet<(String, String)> {
    let views = out
        .steps
        .iter()
        .filter(|(phase, s)| *phase == Phase::DropViews && s.object.kind == ObjectKind::View)
        .filter_map(|(_, s)| Some((s.object.schema.clone(), s.object.name.clone()?)));
    let tables = out
        .dropped_tables
        .iter()
        .map(|q| (q.schema.clone(), q.name.clone()));
    // A SQLite table rebuild drops the old table, and its triggers with it.
    let rebuilt = out
        .steps
        .iter()
        .filter_map(|(_, s)| Some((s.object.schema.clone(), s.rebuilds.clone()?)));
    views.chain(tables).chain(rebuilt).collect()
}

/// Whether `o` (on another relation) names one of `gone` in its body: a
/// SQLite trigger reading a table that is rebuilt must be set aside while
/// the old table is gone (SQLite's rename rejects a schema with a trigger
/// that reads a missing table).
fn reads_gone(d: Dialect, o: &DefinedObject, gone: &BTreeSet<(String, String)>) -> bool {
    d == Dialect::Sqlite
        && o.kind == CatalogKind::Trigger
        && gone.iter().any(|(s, t)| {
            o.schema.as_deref() == Some(s.as_str()) && sql::mentions_word(&o.definition, t)
        })
}

fn moves<'a>(
    sides: &Sides<'a>,
    work: &DefinedWork,
    gone: &BTreeSet<(String, String)>,
) -> Moves<'a> {
    let mut m = Moves::default();
    for (k, o) in sides.act.iter().filter(|(k, o)| {
        k.table
            .as_ref()
            .is_some_and(|t| gone.contains(&(k.schema.clone(), t.clone())))
            || reads_gone(sides.ctx.d, o, gone)
    }) {
        // Dropped before its relation, so that the relation's drop does
        // not take it silently; made again on the new one: as expected,
        // or as it is when the findings ask nothing of it.
        m.drop.insert(k.clone(), (Vec::new(), false));
        if sides.exp.contains_key(k) {
            m.create.insert(k.clone(), Vec::new());
        } else if !work.contains_key(k) && sides.relation_stays(k) {
            m.keep.insert(k.clone(), *o);
        }
    }
    for (k, (act, reasons)) in work {
        let (e, a) = (sides.exp.get(k), sides.act.get(k));
        let altered = e.zip(a).and_then(|(e, a)| sides.altered(e, a));
        if let (false, Some(stmts)) = (matches!(act, Act::Drop), altered) {
            m.alter.insert(k.clone(), (reasons.clone(), stmts));
            continue;
        }
        match (act, e, a) {
            (Act::Drop, _, Some(_)) => {
                let e = m.drop.entry(k.clone()).or_insert((Vec::new(), true));
                e.0.clone_from(reasons);
                e.1 = true;
            }
            (_, Some(e), Some(a)) if sides.in_place(e, a) => {
                m.replace.insert(k.clone(), reasons.clone());
            }
            (_, Some(_), Some(_)) => {
                m.drop
                    .entry(k.clone())
                    .or_insert((Vec::new(), false))
                    .0
                    .clone_from(reasons);
                m.create.insert(k.clone(), reasons.clone());
            }
            (_, Some(_), None) => {
                m.create.insert(k.clone(), reasons.clone());
            }
            _ => {}
        }
    }
    let dropped: BTreeSet<ObjectRef> = m.drop.keys().cloned().collect();
    for k in sides.dependents(&dropped) {
        m.drop.entry(k.clone()).or_insert((Vec::new(), false));
        if sides.exp.contains_key(&k) {
            m.create.entry(k).or_default();
        }
    }
    m
}

/// Where an object's creation goes.
fn create_phase(o: &DefinedObject) -> Phase {
    if o.before_tables() {
        Phase::DefinedBefore
    } else {
        Phase::DefinedAfter
    }
}

/// Rank of a kind among objects that do not depend on each other:
/// extensions and types before the routines that use them, triggers
/// after rules.
fn kind_rank(kind: CatalogKind) -> u8 {
    use CatalogKind::*;
    match kind {
        Extension => 0,
        Collation => 1,
        Domain | CompositeType | RangeType => 2,
        Function | Procedure => 3,
        Rule => 4,
        Trigger => 5,
        RowSecurity => 6,
        Policy => 7,
        _ => 8,
    }
}

/// The bare name a routine's body would call it by (`add` of
/// `add(integer, integer)`).
fn called_name(o: &DefinedObject) -> Option<&str> {
    matches!(o.kind, CatalogKind::Function | CatalogKind::Procedure)
        .then(|| o.name.split('(').next().unwrap_or(&o.name))
}

/// `keys` in an order where each object comes after those of `keys` it
/// depends on (recorded, or named in its body).
fn ordered(keys: Vec<(ObjectRef, &DefinedObject)>) -> Vec<(ObjectRef, &DefinedObject)> {
    let mut left = keys;
    left.sort_by(|(ka, a), (kb, b)| (kind_rank(a.kind), ka).cmp(&(kind_rank(b.kind), kb)));
    let deps: Vec<BTreeSet<usize>> = left
        .iter()
        .map(|(k, o)| {
            let calls = |n: &str| sql::mentions_word(&o.definition, n);
            left.iter()
                .enumerate()
                .filter(|(_, (other, p))| {
                    other != k
                        && (o.depends_on.contains(other) || called_name(p).is_some_and(calls))
                })
                .map(|(i, _)| i)
                .collect()
        })
        .collect();
    let mut done: Vec<usize> = Vec::with_capacity(left.len());
    while done.len() < left.len() {
        let next = (0..left.len())
            .filter(|i| !done.contains(i))
            .find(|i| deps[*i].iter().all(|dep| done.contains(dep)))
            .or_else(|| (0..left.len()).find(|i| !done.contains(i)));
        match next {
            Some(i) => done.push(i),
            None => break,
        }
    }
    done.into_iter().map(|i| left[i].clone()).collect()
}

/// Steps for the objects `work` asks for, and those that depend on them.
pub(crate) fn objects(ctx: &Ctx<'_>, work: &Work, out: &mut Out) {
    let gone = gone_relations(out);
    if work.defined.is_empty() && gone.is_empty() {
        return;
    }
    let sides = Sides::new(ctx);
    let m = moves(&sides, &work.defined, &gone);
    let drops: Vec<(ObjectRef, &DefinedObject)> = m
        .drop
        .keys()
        .filter_map(|k| Some((k.clone(), *sides.act.get(k)?)))
        .collect();
    let mut drops = ordered(drops);
    drops.reverse();
    for (k, o) in drops {
        let (reasons, explicit) = &m.drop[&k];
        push_drop(ctx.d, o, k, reasons, *explicit, out);
    }
    for (k, (reasons, stmts)) in &m.alter {
        if let Some(o) = sides.exp.get(k) {
            let mut spec = StepSpec::new(k.clone(), sql::verb("alter", o.kind), Safety::Safe);
            spec.fixes = reasons.clone();
            spec.sql = stmts.clone();
            spec.script = stmts.clone();
            out.push(create_phase(o), spec);
        }
    }
    for (k, reasons) in m.replace.iter().filter(|(k, _)| !m.create.contains_key(*k)) {
        if let Some(o) = sides.exp.get(k) {
            push_create(ctx.d, o, k.clone(), reasons, "replace", out);
        }
    }
    let creates: Vec<(ObjectRef, &DefinedObject)> = m
        .create
        .keys()
        .filter_map(|k| Some((k.clone(), *sides.exp.get(k)?)))
        .chain(m.keep.iter().map(|(k, o)| (k.clone(), *o)))
        .collect();
    for (k, o) in ordered(creates) {
        let reasons = m.create.get(&k).map_or(&[][..], Vec::as_slice);
        push_create(ctx.d, o, k.clone(), reasons, "create", out);
    }
}

/// `stmt` as it runs against the schema of `k`: on MySQL, the statements
/// the reader prints name the object (and a trigger's table) without their
/// database, which the connection's default database would supply.
fn located(d: Dialect, stmt: &str, k: &ObjectRef) -> String {
    if d == Dialect::Mysql && !k.schema.is_empty() {
        sql::mysql_qualified(stmt, &k.schema)
    } else {
        stmt.to_string()
    }
}

fn push_drop(
    d: Dialect,
    o: &DefinedObject,
    k: ObjectRef,
    reasons: &[Reason],
    explicit: bool,
    out: &mut Out,
) {
    let safety = if explicit {
        Safety::Destructive
    } else {
        Safety::Safe
    };
    // An orphan type, collation, routine or extension may still be used
    // by a column or default the plan changes: it goes after the tables.
    let phase = if explicit && o.before_tables() {
        Phase::DropDefinedLate
    } else {
        Phase::DropDefined
    };
    let drop = located(d, &o.drop, &k);
    let mut spec = StepSpec::new(k, sql::verb("drop", o.kind), safety);
    spec.fixes = reasons.to_vec();
    if !explicit {
        spec.note =
            Some("it depends on or sits on an object that is replaced, dropped or rebuilt; it is made again afterwards if expected");
    }
    spec.script = vec![sql::drop_if_exists(&drop)];
    spec.sql = vec![drop];
    out.push(phase, spec);
}

fn push_create(
    d: Dialect,
    o: &DefinedObject,
    k: ObjectRef,
    reasons: &[Reason],
    how: &str,
    out: &mut Out,
) {
    let definition = located(d, &o.definition, &k);
    let drop = located(d, &o.drop, &k);
    // Revoking a privilege takes access away from a running application.
    let safety = if o.revokes() {
        Safety::Destructive
    } else {
        Safety::Safe
    };
    let mut spec = StepSpec::new(k, sql::verb(how, o.kind), safety);
    spec.fixes = reasons.to_vec();
    if reasons.is_empty() {
        spec.note =
            Some("made again after an object it depends on or sits on is replaced or rebuilt");
    }
    let mut stmts = sql::create_prelude(d, o.kind);
    stmts.push(definition.clone());
    stmts.extend(o.then.iter().cloned());
    let mut script = sql::create_prelude(d, o.kind);
    if !sql::is_idempotent_create(&definition) && !drop.is_empty() {
        script.push(sql::drop_if_exists(&drop));
    }
    script.push(definition);
    script.extend(o.then.iter().cloned());
    spec.sql = stmts;
    spec.script = script;
    out.push(create_phase(o), spec);
}

/// Whether an object of `kind` is one this module plans for.
pub(crate) fn is_defined(kind: ObjectKind) -> bool {
    kind.catalog_kind().is_some()
}
