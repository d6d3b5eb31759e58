//! From findings to ordered steps: intake (findings → work per object),
//! resolution (work → target definitions, derived changes), emission
//! (targets → statements per dialect), ordering by phase.

use std::collections::{BTreeMap, BTreeSet};

use driftless_model::{
    is_quarantined, Dialect, ObjectKind, ObjectRef, QualifiedName, Snapshot, Table, PARTITION_BY,
};
use driftless_rules::{Aspect, Finding, FixIntent};

use crate::defined;
use crate::model::{
    unfixed_reason, Act, Acts, Aspects, Ctx, Out, Part, Removal, Resolved, TableWork, Target, Work,
};
use crate::names::{self, mentions, quarantine_name, Name, Space};
use crate::objects;
use crate::options::{Orphans, PlanOptions};
use crate::plan::{fingerprint, FixPlan, FixStep, PlanError, Reason, Unfixed, PLAN_FORMAT_VERSION};
use crate::renames;
use crate::safety::Safety;
use crate::tables;

/// The plan before the allowed/withheld split.
pub(crate) struct Built {
    pub(crate) steps: Vec<FixStep>,
    pub(crate) unfixed: Vec<Unfixed>,
}

fn merge_act(old: Act, new: Act) -> Act {
    match (old, new) {
        (a, b) if a == b => a,
        _ => Act::Replace,
    }
}

fn push_act(map: &mut Acts, name: &str, act: Act, r: Reason) {
    let e = map.entry(name.to_string()).or_insert((act, Vec::new()));
    e.0 = merge_act(e.0, act);
    e.1.push(r);
}

fn unfixed(f: &Finding, why: impl Into<String>) -> Unfixed {
    Unfixed {
        finding: Reason::of(f),
        why: why.into(),
    }
}

/// Findings → work.
fn intake(ctx: &Ctx<'_>, findings: &[Finding]) -> Work {
    let mut w = Work::default();
    for f in findings {
        if f.waiver.as_ref().is_some_and(|wv| !wv.expired) {
            continue;
        }
        if let FixIntent::Rename { .. } = f.fix {
            continue; // below, once the work they go with is known
        }
        match act_of(f) {
            Ok(act) => record(ctx, &mut w, f, act),
            Err(why) => w.unfixed.push(unfixed(f, why)),
        }
    }
    add_created_schema_contents(ctx, &mut w);
    for f in findings.iter().filter(|f| !f.is_waived()) {
        if let FixIntent::Rename { from, .. } = &f.fix {
            renames::note_unaccepted(ctx, &mut w, f, from);
        }
    }
    w
}

/// What a finding asks of its object (create, drop, replace), or why
/// driftless leaves it to a human.
fn act_of(f: &Finding) -> Result<Act, String> {
    let o = &f.object;
    match f.fix {
        FixIntent::Manual => {
            return Err(f
                .hint
                .clone()
                .unwrap_or_else(|| "the rule asks for a human decision".into()));
        }
        FixIntent::UpdateChecksum => {
            return Err(String::from("store the file's checksum in the ledger: a ledger step does it when the plan is made with the migration folder (`--migrations`)"));
        }
        FixIntent::RetryMigration => {
            return Err(String::from("clear the failed ledger row: a ledger step does it when the plan is made with the migration folder (`--migrations`)"));
        }
        FixIntent::QuarantineLedgerRow => {
            return Err(String::from("move the row out of the ledger: a ledger step does it when the plan is made with the migration folder (`--migrations`)"));
        }
        FixIntent::RecordMigration => {
            return Err(String::from("record the migration in its ledger: a ledger step does it when the plan is made with the migration folder (`--migrations`), or your migration tool's command that records a migration without running it"));
        }
        _ => {}
    }
    if o.table.as_deref().is_some_and(is_quarantined)
        || (o.table.is_none() && o.name.as_deref().is_some_and(is_quarantined))
    {
        return Err(String::from(
            "the object is quarantined; drop it by hand once its data is no longer needed",
        ));
    }
    match f.fix {
        FixIntent::Create => Ok(Act::Create),
        FixIntent::Remove | FixIntent::Drop => Ok(Act::Drop),
        FixIntent::Replace | FixIntent::Alter { .. } | FixIntent::SetComment => Ok(Act::Replace),
        _ => Err(String::from(
            "driftless has no automatic fix for this kind of finding",
        )),
    }
}

/// What of a column finding `fix` asks to bring to the expected definition.
fn column_aspects(fix: &FixIntent) -> Aspects {
    let mut a = Aspects::default();
    match fix {
        FixIntent::Alter { aspects } => {
            for aspect in aspects {
                match aspect {
                    Aspect::Type => a.ty = true,
                    Aspect::Nullability => a.nullable = true,
                    Aspect::Default => a.default = true,
                    Aspect::Identity => a.other = true,
                    Aspect::Visibility => a.visibility = true,
                    _ => a = a.union(Aspects::all()),
                }
            }
        }
        FixIntent::SetComment => a.comment = true,
        _ => a = Aspects::all(),
    }
    a
}

/// Whether a fix intent asks to set a table's options.
fn is_options(fix: &FixIntent) -> bool {
    matches!(fix, FixIntent::Alter { aspects } if aspects.contains(&Aspect::Options))
}

/// Records what finding `f` asks (`act`) in the work for its object.
fn record(ctx: &Ctx<'_>, w: &mut Work, f: &Finding, act: Act) {
    let o = &f.object;
    let r = Reason::of(f);
    let schema = ctx.key_schema(&o.schema);
    let table = o.table.clone().unwrap_or_default();
    let name = o.name.clone().unwrap_or_default();
    let tkey = QualifiedName::new(schema.clone(), table);
    match o.kind {
        ObjectKind::Migration => w.unfixed.push(unfixed(
            f,
            "migration findings are fixed with your migration tool",
        )),
        ObjectKind::Schema => {
            let n = if name.is_empty() {
                o.schema.clone()
            } else {
                name
            };
            if ctx.d != Dialect::Postgres {
                w.unfixed.push(unfixed(f, format!("driftless changes only the connected database on {}; create or drop databases by hand", ctx.d)));
            } else {
                push_act(&mut w.schemas, &n, act, r);
            }
        }
        ObjectKind::Table => match act {
            Act::Create => w.tables_create.entry(tkey).or_default().push(r),
            Act::Drop => w.tables_remove.entry(tkey).or_default().push(r),
            Act::Replace if is_options(&f.fix) => record_options(ctx, w, tkey, r),
            Act::Replace => w.tables.entry(tkey).or_default().comment.push(r),
        },
        ObjectKind::Column => {
            let tw = w.tables.entry(tkey).or_default();
            match act {
                Act::Create => tw.add.entry(name).or_default().push(r),
                Act::Drop => tw.remove.entry(name).or_default().push(r),
                Act::Replace => {
                    let e = tw
                        .alter
                        .entry(name)
                        .or_insert((Aspects::default(), Vec::new()));
                    e.0 = e.0.union(column_aspects(&f.fix));
                    e.1.push(r);
                }
            }
        }
        ObjectKind::PrimaryKey => {
            let tw = w.tables.entry(tkey).or_default();
            let e = tw.pk.get_or_insert((act, Vec::new()));
            e.0 = merge_act(e.0, act);
            e.1.push(r);
        }
        ObjectKind::Unique => push_act(
            &mut w.tables.entry(tkey).or_default().uniques,
            &name,
            act,
            r,
        ),
        ObjectKind::Index if ctx.is_view(&tkey.schema, &tkey.name) => {
            push_act(w.view_indexes.entry(tkey).or_default(), &name, act, r)
        }
        ObjectKind::Index => push_act(
            &mut w.tables.entry(tkey).or_default().indexes,
            &name,
            act,
            r,
        ),
        ObjectKind::ForeignKey => {
            push_act(&mut w.tables.entry(tkey).or_default().fks, &name, act, r)
        }
        ObjectKind::Check => push_act(&mut w.tables.entry(tkey).or_default().checks, &name, act, r),
        ObjectKind::Exclusion => push_act(
            &mut w.tables.entry(tkey).or_default().exclusions,
            &name,
            act,
            r,
        ),
        ObjectKind::View if f.fix == FixIntent::SetComment => w
            .view_comments
            .entry(QualifiedName::new(schema, name))
            .or_default()
            .push(r),
        ObjectKind::Enum | ObjectKind::View | ObjectKind::Sequence => {
            let map = match o.kind {
                ObjectKind::Enum => &mut w.enums,
                ObjectKind::View => &mut w.views,
                _ => &mut w.sequences,
            };
            let e = map
                .entry(QualifiedName::new(schema, name))
                .or_insert((act, Vec::new()));
            e.0 = merge_act(e.0, act);
            e.1.push(r);
        }
        kind if defined::is_defined(kind) => {
            let mut key = o.clone();
            if !key.schema.is_empty() {
                key.schema = schema;
            }
            let e = w.defined.entry(key).or_insert((act, Vec::new()));
            e.0 = merge_act(e.0, act);
            e.1.push(r);
        }
        _ => w.unfixed.push(unfixed(
            f,
            "driftless has no automatic fix for this kind of object",
        )),
    }
}

/// A table's options to change. A table that becomes partitioned or stops
/// being so (PostgreSQL cannot change that in place) is removed, as an
/// orphan table is (quarantined by default, its rows kept there), and
/// created anew.
fn record_options(ctx: &Ctx<'_>, w: &mut Work, tkey: QualifiedName, r: Reason) {
    let key = |t: Option<&Table>| t.and_then(|t| t.options.get(PARTITION_BY).cloned());
    let (e, a) = (
        ctx.exp_table(&tkey.schema, &tkey.name),
        ctx.act_table(&tkey.schema, &tkey.name),
    );
    if ctx.d == Dialect::Postgres && e.is_some() && a.is_some() && key(e) != key(a) {
        w.tables_remove
            .entry(tkey.clone())
            .or_default()
            .push(r.clone());
        w.tables_create.entry(tkey).or_default().push(r);
    } else {
        w.tables.entry(tkey).or_default().options.push(r);
    }
}

/// A missing schema is one finding: everything in it is created with it.
fn add_created_schema_contents(ctx: &Ctx<'_>, w: &mut Work) {
    let created: Vec<(String, Vec<Reason>)> = w
        .schemas
        .iter()
        .filter(|(n, (act, _))| *act != Act::Drop && !ctx.act.schemas.contains_key(*n))
        .map(|(n, (_, rs))| (n.clone(), rs.clone()))
        .collect();
    for (n, rs) in created {
        let Some(schema) = ctx.exp.schemas.get(&n) else {
            continue;
        };
        for t in schema.tables.keys() {
            w.tables_create
                .entry(QualifiedName::new(n.clone(), t.clone()))
                .or_default()
                .extend(rs.iter().cloned());
        }
        for (names, map) in [
            (schema.enums.keys().collect::<Vec<_>>(), &mut w.enums),
            (schema.sequences.keys().collect(), &mut w.sequences),
            (schema.views.keys().collect(), &mut w.views),
        ] {
            for o in names {
                let e = map
                    .entry(QualifiedName::new(n.clone(), o.clone()))
                    .or_insert((Act::Create, Vec::new()));
                e.1.extend(rs.iter().cloned());
            }
        }
    }
}

/// Where an orphan table goes when quarantined: its new name, and new
/// names for the parts whose names the schema shares (PostgreSQL indexes,
/// keys and owned sequences, SQLite indexes), all free on both sides (and,
/// on PostgreSQL, in the quarantine schema the table moves to).
fn quarantine_names(
    ctx: &Ctx<'_>,
    schema: &str,
    name: &str,
    table: &Table,
) -> (String, Vec<(Name, String)>) {
    let base = |n: &str| match ctx.d {
        Dialect::Postgres => format!("{schema}__{n}"),
        _ => n.to_string(),
    };
    let q = ctx.quarantine_name(schema, &base(name));
    let mut parts: Vec<Name> = names::parts(ctx.d, schema, name, table)
        .into_iter()
        .filter(|p| p.space == Space::Relation)
        .collect();
    if ctx.d == Dialect::Postgres {
        parts.extend(owned_sequences(ctx, schema, name));
    }
    let parts = parts
        .into_iter()
        .map(|p| {
            let new = ctx.quarantine_name(schema, &base(&p.name));
            (p, new)
        })
        .collect();
    (q, parts)
}

/// The names of the sequences table `schema.name` owns that move with it
/// (see [`Ctx::owned_sequences`]).
fn owned_sequences(ctx: &Ctx<'_>, schema: &str, name: &str) -> Vec<Name> {
    ctx.owned_sequences(schema, name)
        .into_iter()
        .filter(|(_, expected)| !expected)
        .flat_map(|(n, _)| {
            let object = driftless_model::ObjectRef::schema_object(
                ObjectKind::Sequence,
                schema,
                Some(n.as_str()),
            );
            names::relation(ctx.d, object).into_iter().take(1)
        })
        .collect()
}

/// Removes from `t` every constraint and index that uses column `col`;
/// returns the parts removed.
fn remove_dependents(d: Dialect, t: &mut Table, col: &str) -> Vec<Part> {
    let mut removed = Vec::new();
    if t.primary_key
        .as_ref()
        .is_some_and(|pk| pk.columns.iter().any(|c| c == col))
    {
        t.primary_key = None;
        removed.push(Part::primary_key());
    }
    t.uniques.retain(|n, u| {
        let keep = !u.columns.iter().any(|c| c == col);
        if !keep {
            removed.push(Part::Of(ObjectKind::Unique, n.clone()));
        }
        keep
    });
    t.indexes.retain(|n, i| {
        let uses = i.parts.iter().any(|p| match &p.key {
            driftless_model::IndexKey::Column(c) => c == col,
            driftless_model::IndexKey::Expression(e) => mentions(d, e, col),
        }) || i.include.iter().any(|c| c == col)
            || i.predicate.as_deref().is_some_and(|p| mentions(d, p, col));
        if uses {
            removed.push(Part::Of(ObjectKind::Index, n.clone()));
        }
        !uses
    });
    t.foreign_keys.retain(|n, fk| {
        let keep = !fk.columns.iter().any(|c| c == col);
        if !keep {
            removed.push(Part::Of(ObjectKind::ForeignKey, n.clone()));
        }
        keep
    });
    t.checks.retain(|n, c| {
        let keep = !mentions(d, &c.expression, col);
        if !keep {
            removed.push(Part::Of(ObjectKind::Check, n.clone()));
        }
        keep
    });
    t.exclusions.retain(|n, x| {
        let keep = !mentions(d, &x.definition, col);
        if !keep {
            removed.push(Part::Of(ObjectKind::Exclusion, n.clone()));
        }
        keep
    });
    removed
}

/// Work → targets, removals and creations, with derived changes.
fn resolve<'a>(ctx: &Ctx<'a>, work: &mut Work) -> Resolved<'a> {
    let mut unf = Vec::new();
    let creates = resolve_creates(ctx, work, &mut unf);
    let mut targets: BTreeMap<QualifiedName, Target<'a>> = BTreeMap::new();
    for (key, tw) in std::mem::take(&mut work.tables) {
        resolve_table(ctx, &key, &tw, work, &creates, &mut targets, &mut unf);
    }
    let removals = resolve_removals(ctx, work, &mut unf);
    let removed_tables: BTreeSet<QualifiedName> = removals
        .iter()
        .map(|r| QualifiedName::new(r.schema.clone(), r.name.clone()))
        .collect();
    drop_dangling_foreign_keys(ctx, &removed_tables, &mut targets);
    if ctx.d != Dialect::Sqlite {
        rebuild_retyped_foreign_keys(ctx, &removed_tables, &mut targets);
    }
    work.unfixed.extend(unf);
    Resolved {
        targets,
        removals,
        creates,
    }
}

/// Records every finding of `reasons` as unfixed, for the same reason.
fn unfix_all(unf: &mut Vec<Unfixed>, reasons: &[Reason], why: &str) {
    unf.extend(reasons.iter().map(|r| unfixed_reason(r, why)));
}

/// Tables to create: their expected definitions, localized.
fn resolve_creates(
    ctx: &Ctx<'_>,
    work: &Work,
    unf: &mut Vec<Unfixed>,
) -> BTreeMap<QualifiedName, (Table, Vec<Reason>)> {
    let mut creates = BTreeMap::new();
    for (key, reasons) in &work.tables_create {
        match (
            ctx.exp_table(&key.schema, &key.name),
            ctx.act_table(&key.schema, &key.name),
        ) {
            (Some(t), None) => {
                creates.insert(
                    key.clone(),
                    (ctx.localize_table(&key.schema, t), reasons.clone()),
                );
            }
            (None, _) => unfix_all(unf, reasons, "the expected schema has no such table"),
            (Some(t), Some(_)) if work.tables_remove.contains_key(key) => {
                // Recreated (see [`record_options`]).
                creates.insert(
                    key.clone(),
                    (ctx.localize_table(&key.schema, t), reasons.clone()),
                );
            }
            (Some(_), Some(_)) => {
                unfix_all(unf, reasons, "the table already exists in the database")
            }
        }
    }
    creates
}

/// Every finding behind the work on one table.
fn table_reasons(tw: &TableWork) -> Vec<Reason> {
    tw.add
        .values()
        .chain(tw.remove.values())
        .chain(tw.alter.values().map(|(_, r)| r))
        .flatten()
        .cloned()
        .chain(tw.pk.iter().flat_map(|(_, r)| r.clone()))
        .chain(
            [
                &tw.uniques,
                &tw.indexes,
                &tw.fks,
                &tw.checks,
                &tw.exclusions,
            ]
            .into_iter()
            .flat_map(|m| m.values().flat_map(|(_, r)| r.clone())),
        )
        .chain(tw.comment.iter().cloned())
        .chain(tw.options.iter().cloned())
        .collect::<Vec<_>>()
}

/// What the findings ask of one existing table → its target.
fn resolve_table<'a>(
    ctx: &Ctx<'a>,
    key: &QualifiedName,
    tw: &TableWork,
    work: &Work,
    creates: &BTreeMap<QualifiedName, (Table, Vec<Reason>)>,
    targets: &mut BTreeMap<QualifiedName, Target<'a>>,
    unf: &mut Vec<Unfixed>,
) {
    let (s, tname) = (&key.schema, &key.name);
    let Some(actual) = ctx.act_table(s, tname) else {
        if !creates.contains_key(key) {
            let why = "the table does not exist in the database";
            unfix_all(unf, &table_reasons(tw), why);
        }
        return;
    };
    if work.tables_remove.contains_key(key) {
        return; // the whole table goes
    }
    let Some(expected) = ctx.exp_table(s, tname) else {
        unfix_all(
            unf,
            &table_reasons(tw),
            "the expected schema has no such table",
        );
        return;
    };
    let expected = &ctx.localize_table(s, expected);
    let t = targets
        .entry(key.clone())
        .or_insert_with(|| Target::new(s, tname, actual));
    resolve_columns(t, tw, expected, unf);
    if !resolve_constraints(t, tw, expected, unf) {
        return;
    }
    if !tw.comment.is_empty() {
        t.target.comment = expected.comment.clone();
        t.reasons
            .entry(Part::Comment)
            .or_default()
            .extend(tw.comment.iter().cloned());
    }
    if !tw.options.is_empty() {
        t.target.options = expected.options.clone();
        t.reasons
            .entry(Part::Options)
            .or_default()
            .extend(tw.options.iter().cloned());
    }
    // Orphan columns, last: their dependents go with them.
    remove_orphan_columns(ctx, t, tw, expected, unf);
}

/// Columns to add and to alter.
fn resolve_columns(t: &mut Target<'_>, tw: &TableWork, expected: &Table, unf: &mut Vec<Unfixed>) {
    for (c, rs) in &tw.add {
        match expected.columns.get(c) {
            Some(col) => {
                t.target.columns.insert(c.clone(), col.clone());
                t.reasons
                    .entry(Part::column(c))
                    .or_default()
                    .extend(rs.iter().cloned());
            }
            None => unfix_all(unf, rs, "the expected table has no such column"),
        }
    }
    for (c, (aspects, rs)) in &tw.alter {
        let (Some(exp_col), Some(tc)) = (expected.columns.get(c), t.target.columns.get_mut(c))
        else {
            unfix_all(unf, rs, "the column is missing on one side");
            continue;
        };
        if aspects.ty {
            tc.data_type = exp_col.data_type.clone();
        }
        if aspects.nullable {
            tc.nullable = exp_col.nullable;
        }
        if aspects.default {
            tc.default = exp_col.default.clone();
            tc.on_update = exp_col.on_update.clone();
        }
        if aspects.other {
            tc.identity = exp_col.identity;
            tc.identity_options = exp_col.identity_options;
            tc.generated = exp_col.generated.clone();
            tc.collation = exp_col.collation.clone();
        }
        if aspects.comment {
            tc.comment = exp_col.comment.clone();
        }
        if aspects.visibility {
            tc.invisible = exp_col.invisible;
        }
        t.reasons
            .entry(Part::column(c))
            .or_default()
            .extend(rs.iter().cloned());
    }
}

/// The primary key and the named constraints and indexes to drop or bring
/// to the expected definition. `false` when the primary key the findings
/// ask for is not in the expected table: the rest of the table's work is
/// then left alone.
fn resolve_constraints(
    t: &mut Target<'_>,
    tw: &TableWork,
    expected: &Table,
    unf: &mut Vec<Unfixed>,
) -> bool {
    if let Some((act, rs)) = &tw.pk {
        match act {
            Act::Drop => t.target.primary_key = None,
            _ => match &expected.primary_key {
                Some(pk) => t.target.primary_key = Some(pk.clone()),
                None => {
                    unfix_all(unf, rs, "the expected table has no primary key");
                    return false;
                }
            },
        }
        t.reasons
            .entry(Part::primary_key())
            .or_default()
            .extend(rs.iter().cloned());
    }
    let reasons = &mut t.reasons;
    let (target, exp) = (&mut t.target, expected);
    resolve_named(
        &tw.uniques,
        &mut target.uniques,
        &exp.uniques,
        ObjectKind::Unique,
        reasons,
        unf,
    );
    resolve_named(
        &tw.indexes,
        &mut target.indexes,
        &exp.indexes,
        ObjectKind::Index,
        reasons,
        unf,
    );
    resolve_named(
        &tw.fks,
        &mut target.foreign_keys,
        &exp.foreign_keys,
        ObjectKind::ForeignKey,
        reasons,
        unf,
    );
    resolve_named(
        &tw.checks,
        &mut target.checks,
        &exp.checks,
        ObjectKind::Check,
        reasons,
        unf,
    );
    resolve_named(
        &tw.exclusions,
        &mut target.exclusions,
        &exp.exclusions,
        ObjectKind::Exclusion,
        reasons,
        unf,
    );
    true
}

/// Named parts of one kind (unique constraints, indexes …): dropped, or
/// taken from the expected table.
fn resolve_named<T: Clone>(
    acts: &Acts,
    target: &mut BTreeMap<String, T>,
    expected: &BTreeMap<String, T>,
    kind: ObjectKind,
    reasons: &mut BTreeMap<Part, Vec<Reason>>,
    unf: &mut Vec<Unfixed>,
) {
    for (n, (act, rs)) in acts {
        match act {
            Act::Drop => {
                target.remove(n);
            }
            _ => match expected.get(n) {
                Some(def) => {
                    target.insert(n.clone(), def.clone());
                }
                None => {
                    let why = format!("the expected table has no such {}", kind.noun());
                    unfix_all(unf, rs, &why);
                    continue;
                }
            },
        }
        reasons
            .entry(Part::Of(kind, n.clone()))
            .or_default()
            .extend(rs.iter().cloned());
    }
}

/// Orphan columns: quarantined or dropped (per [`Orphans`]), with the
/// constraints and indexes that use them. A quarantined column's values
/// move to a quarantine table keyed by the row's primary key; a table
/// without one (or whose key changes or uses the column) keeps it under a
/// quarantine name instead, nullable.
fn remove_orphan_columns(
    ctx: &Ctx<'_>,
    t: &mut Target<'_>,
    tw: &TableWork,
    expected: &Table,
    unf: &mut Vec<Unfixed>,
) {
    let (d, actual) = (ctx.d, t.actual);
    let key = quarantine_key(t, tw);
    for (c, rs) in &tw.remove {
        let Some(col) = actual.columns.get(c) else {
            unfix_all(unf, rs, "the database has no such column");
            continue;
        };
        if expected.columns.contains_key(c) {
            unfix_all(unf, rs, "the expected table has this column");
            continue;
        }
        let verb = match ctx.options.orphans {
            Orphans::Keep => {
                unfix_all(unf, rs, "orphan columns are kept (--orphans keep)");
                continue;
            }
            Orphans::Quarantine => "quarantined",
            Orphans::Drop => "dropped",
        };
        t.target.columns.remove(c);
        if ctx.options.orphans == Orphans::Quarantine {
            match &key {
                Some(key) => {
                    let moved = ctx.values_table_for(&t.schema, &t.name, c, key);
                    t.moved.insert(c.clone(), moved);
                }
                None => rename_aside(d, t, c, col),
            }
        }
        t.reasons
            .entry(Part::column(c))
            .or_default()
            .extend(rs.iter().cloned());
        for part in remove_dependents(d, &mut t.target, c) {
            t.note(part, format!("it uses column {c}, which is {verb}"));
        }
    }
}

/// The primary key an orphan column's values can be kept by: the table's
/// key, when the plan keeps it as it is and it uses no orphan column.
fn quarantine_key(t: &Target<'_>, tw: &TableWork) -> Option<Vec<String>> {
    let pk = t.actual.primary_key.as_ref()?;
    let kept = t.target.primary_key.as_ref() == Some(pk)
        && pk.columns.iter().all(|c| {
            !tw.remove.contains_key(c)
                && t.target.columns.get(c) == t.actual.columns.get(c)
                && t.target.columns.contains_key(c)
        });
    kept.then(|| pk.columns.clone())
}

/// The fallback quarantine of column `c` of a table without a usable
/// primary key: renamed aside in its table, nullable, without identity
/// (in a SQLite table that becomes STRICT, of a type STRICT allows).
fn rename_aside(d: Dialect, t: &mut Target<'_>, c: &str, col: &driftless_model::Column) {
    let actual = t.actual;
    let taken = |n: &str| actual.columns.contains_key(n) || t.target.columns.contains_key(n);
    let q = quarantine_name(d, c, &taken);
    let mut qc = col.clone();
    if qc.generated.is_none() {
        qc.nullable = true;
    }
    if d == Dialect::Postgres || d == Dialect::Mysql {
        qc.identity = None;
        qc.identity_options = None;
    }
    if d == Dialect::Sqlite && crate::types::is_strict(&t.target) {
        qc.data_type = crate::types::sqlite_strict_type(&qc.data_type).to_string();
    }
    t.target.columns.insert(q.clone(), qc);
    t.renames.insert(c.to_string(), q);
}

/// Orphan tables to quarantine or drop.
fn resolve_removals<'a>(ctx: &Ctx<'a>, work: &Work, unf: &mut Vec<Unfixed>) -> Vec<Removal<'a>> {
    let mut removals = Vec::new();
    for (key, reasons) in &work.tables_remove {
        let Some(table) = ctx.act_table(&key.schema, &key.name) else {
            unfix_all(unf, reasons, "the database has no such table");
            continue;
        };
        if ctx.exp_table(&key.schema, &key.name).is_some() && !work.tables_create.contains_key(key)
        {
            unfix_all(unf, reasons, "the expected schema has this table");
            continue;
        }
        let quarantine_as = match ctx.options.orphans {
            Orphans::Keep => {
                unfix_all(unf, reasons, "orphan tables are kept (--orphans keep)");
                continue;
            }
            Orphans::Drop => None,
            Orphans::Quarantine => Some(quarantine_names(ctx, &key.schema, &key.name, table)),
        };
        let (quarantine_as, renamed_parts) = match quarantine_as {
            Some((q, parts)) => (Some(q), parts),
            None => (None, Vec::new()),
        };
        removals.push(Removal {
            schema: key.schema.clone(),
            name: key.name.clone(),
            table,
            quarantine_as,
            renamed_parts,
            reasons: reasons.clone(),
        });
    }
    removals
}

/// Foreign keys of kept tables that point at removed tables or at
/// removed/quarantined columns go too.
fn drop_dangling_foreign_keys<'a>(
    ctx: &Ctx<'a>,
    removed_tables: &BTreeSet<QualifiedName>,
    targets: &mut BTreeMap<QualifiedName, Target<'a>>,
) {
    let gone_columns: BTreeSet<(QualifiedName, String)> = targets
        .iter()
        .flat_map(|(k, t)| {
            t.actual
                .columns
                .keys()
                .filter(|c| !t.target.columns.contains_key(*c))
                .map(move |c| (k.clone(), c.clone()))
        })
        .collect();
    for (s, tname, table) in ctx.act.tables() {
        let key = QualifiedName::new(ctx.key_schema(s), tname);
        if removed_tables.contains(&key) {
            continue;
        }
        for (fk_name, fk) in &table.foreign_keys {
            let ref_key = QualifiedName::new(ctx.target_schema(&fk.ref_schema), &fk.ref_table);
            let why = if removed_tables.contains(&ref_key) {
                Some(format!(
                    "it references table {}, which is {}",
                    fk.ref_table,
                    if ctx.options.orphans == Orphans::Drop {
                        "dropped"
                    } else {
                        "quarantined"
                    }
                ))
            } else {
                fk.ref_columns
                    .iter()
                    .find(|c| gone_columns.contains(&(ref_key.clone(), (*c).clone())))
                    .map(|c| {
                        format!(
                            "it references column {}.{c}, which is removed",
                            fk.ref_table
                        )
                    })
            };
            if let Some(why) = why {
                let t = targets
                    .entry(key.clone())
                    .or_insert_with(|| Target::new(&key.schema, tname, table));
                // Only the key as it is: a replacement from the expected side stays.
                if t.target.foreign_keys.get(fk_name) == Some(fk) {
                    t.target.foreign_keys.remove(fk_name);
                    t.note(Part::Of(ObjectKind::ForeignKey, fk_name.clone()), why);
                }
            }
        }
    }
}

/// Foreign keys over a column whose type changes are dropped and added
/// back around the change (MySQL refuses the change otherwise; on
/// PostgreSQL the intermediate types may not match). SQLite rebuilds.
fn rebuild_retyped_foreign_keys<'a>(
    ctx: &Ctx<'a>,
    removed_tables: &BTreeSet<QualifiedName>,
    targets: &mut BTreeMap<QualifiedName, Target<'a>>,
) {
    let retyped: BTreeSet<(QualifiedName, String)> = targets
        .iter()
        .flat_map(|(k, t)| {
            t.actual.columns.iter().filter_map(move |(c, ac)| {
                let tc = t.target.columns.get(c)?;
                (tc.data_type != ac.data_type || tc.collation != ac.collation)
                    .then(|| (k.clone(), c.clone()))
            })
        })
        .collect();
    if retyped.is_empty() {
        return;
    }
    for (s, tname, table) in ctx.act.tables() {
        let key = QualifiedName::new(ctx.key_schema(s), tname);
        if removed_tables.contains(&key) {
            continue;
        }
        for (fk_name, fk) in &table.foreign_keys {
            let ref_key = QualifiedName::new(ctx.target_schema(&fk.ref_schema), &fk.ref_table);
            let touches = fk
                .columns
                .iter()
                .any(|c| retyped.contains(&(key.clone(), c.clone())))
                || fk
                    .ref_columns
                    .iter()
                    .any(|c| retyped.contains(&(ref_key.clone(), c.clone())));
            if touches {
                let t = targets
                    .entry(key.clone())
                    .or_insert_with(|| Target::new(&key.schema, tname, table));
                if t.target.foreign_keys.get(fk_name) == Some(fk) {
                    t.fk_rebuild.insert(fk_name.clone());
                    t.note(Part::Of(ObjectKind::ForeignKey, fk_name.clone()), "a column it uses changes type; it is dropped and added back around the change".into());
                }
            }
        }
    }
}

/// Refuses a plan that would create an object under a name that an object
/// it keeps holds in the same namespace: a table renamed by hand and kept
/// (`--orphans keep`) still holds its index names, an orphan index left in
/// place (rule off, waived) still holds its own. Such a plan could only
/// fail and roll back.
fn check_names(ctx: &Ctx<'_>, work: &Work, r: &Resolved<'_>) -> Result<(), PlanError> {
    let d = ctx.d;
    // A table dropped frees its names only if the drop is not withheld.
    let drops = Safety::Destructive.allowed(ctx.options.allow);
    let removed: BTreeSet<QualifiedName> = r
        .removals
        .iter()
        .filter(|rm| rm.quarantine_as.is_some() || drops)
        .map(|rm| QualifiedName::new(rm.schema.clone(), rm.name.clone()))
        .collect();
    let mut created = Vec::new();
    let mut held = Vec::new();
    for (k, (table, _)) in &r.creates {
        created.extend(names::table(d, &k.schema, &k.name, table));
    }
    for (s, t, table) in ctx.act.tables() {
        let key = QualifiedName::new(ctx.key_schema(s), t);
        if removed.contains(&key) {
            continue;
        }
        let before = names::table(d, &key.schema, t, table);
        match r.targets.get(&key) {
            Some(target) => {
                for n in names::table(d, &key.schema, t, &target.target) {
                    if before.contains(&n) {
                        held.push(n);
                    } else {
                        created.push(n);
                    }
                }
            }
            None => held.extend(before),
        }
    }
    // Views, sequences and enums: held unless dropped; created when the
    // expected side has them and the actual one does not.
    let act_of = |n: &Name| {
        let map = match n.object.kind {
            ObjectKind::View => &work.views,
            ObjectKind::Sequence => &work.sequences,
            ObjectKind::Enum => &work.enums,
            _ => return None,
        };
        let name = n.object.name.clone()?;
        map.get(&QualifiedName::new(n.object.schema.clone(), name))
            .map(|(act, _)| *act)
    };
    for (s, schema) in &ctx.act.schemas {
        for n in names::schema(d, &ctx.key_schema(s), schema) {
            if n.object.table.is_none() && act_of(&n) != Some(Act::Drop) {
                held.push(n);
            }
        }
    }
    let mut expected = BTreeSet::new();
    for (s, schema) in &ctx.exp.schemas {
        for n in names::schema(d, &ctx.key_schema(s), schema) {
            if n.object.table.is_none()
                && act_of(&n).is_some_and(|a| a != Act::Drop)
                && !held.contains(&n)
            {
                created.push(n.clone());
            }
            expected.insert(n);
        }
    }
    match names::first_collision(&created, &held, &expected) {
        Some((c, h)) => Err(PlanError::NameTaken {
            object: c.object.to_string(),
            name: c.name.clone(),
            holder: h.object.to_string(),
        }),
        None => Ok(()),
    }
}

/// Turns `findings` about `actual` (compared with `expected`) into an
/// ordered, safety-classified [`FixPlan`].
///
/// Pure: reads nothing but its arguments. Definitions come from the
/// snapshots; the findings say what to fix. Steps above
/// [`PlanOptions::allow`] land in [`FixPlan::withheld`]; findings without an
/// automatic fix in [`FixPlan::unfixed`].
pub fn plan(
    expected: &Snapshot,
    actual: &Snapshot,
    findings: &[Finding],
    options: &PlanOptions,
) -> Result<FixPlan, PlanError> {
    if expected.dialect != actual.dialect {
        return Err(PlanError::DialectMismatch {
            expected: expected.dialect,
            actual: actual.dialect,
        });
    }
    let mut built = build(expected, actual, findings, options)?;
    crate::settled::settle_effect_findings(findings, &mut built.steps, &mut built.unfixed);
    crate::online::annotate(&mut built.steps, actual, options.online_threshold);
    let (steps, withheld) = split_allowed(built.steps, options.allow);
    Ok(FixPlan {
        format_version: PLAN_FORMAT_VERSION,
        dialect: actual.dialect,
        steps,
        withheld,
        unfixed: built.unfixed,
        base: fingerprint(actual),
        base_schemas: actual.schemas.keys().cloned().collect(),
    })
}

/// `steps` split into those `allow` lets run and those withheld. A step
/// that drops an object another, withheld step recreates (an index or
/// constraint replaced by a new definition) is withheld with it: run
/// alone, it would leave the object missing.
fn split_allowed(steps: Vec<FixStep>, allow: Safety) -> (Vec<FixStep>, Vec<FixStep>) {
    let held: Vec<ObjectRef> = steps
        .iter()
        .filter(|s| !s.safety.allowed(allow))
        .map(|s| s.object.clone())
        .collect();
    let (mut run, mut withheld) = (Vec::new(), Vec::new());
    for mut s in steps {
        if !s.safety.allowed(allow) {
            s.reason = format!("{} [withheld: {}]", s.reason, s.safety.how_to_allow());
            withheld.push(s);
        } else if s.action.starts_with("drop ") && held.contains(&s.object) {
            s.reason = format!(
                "{} [withheld: the step that recreates it is withheld; run alone, this one would leave it missing]",
                s.reason
            );
            withheld.push(s);
        } else {
            run.push(s);
        }
    }
    (run, withheld)
}

/// Findings → steps in execution order.
pub(crate) fn build(
    expected: &Snapshot,
    actual: &Snapshot,
    findings: &[Finding],
    options: &PlanOptions,
) -> Result<Built, PlanError> {
    // Boxed: planning runs deep in the apply future, on the caller's stack.
    let renamed = Box::new(renames::accept(actual, findings, options));
    let mut ctx = Ctx::new(expected, &renamed.actual, options);
    if !renamed.accepted.is_empty() {
        // The plan is identified by the schema it starts from.
        ctx.plan_id = fingerprint(actual);
    }
    let mut work = intake(&ctx, &renamed.findings);
    let resolved = resolve(&ctx, &mut work);
    check_names(&ctx, &work, &resolved)?;
    let mut out = Out::default();
    renames::steps(&ctx, &renamed.accepted, &mut out)?;

    objects::schemas(&ctx, &work, &mut out)?;
    tables::removals(&ctx, &resolved, &mut out)?;
    tables::creates(&ctx, &resolved, &mut out)?;
    for t in resolved.targets.values() {
        tables::alter(&ctx, t, &mut out)?;
    }
    objects::sequences(&ctx, &work, &resolved, &mut out)?;
    // Enums last among the emitters that write SQL using labels, so that
    // new labels used elsewhere in the plan are seen.
    objects::enums(&ctx, &work, &resolved, &mut out)?;
    objects::views(&ctx, &work, &mut out)?;
    defined::objects(&ctx, &work, &mut out);

    let mut steps = out.steps;
    steps.sort_by_key(|(phase, _)| *phase);
    let mut unfixed = work.unfixed;
    unfixed.extend(out.unfixed);
    unfixed.sort_by(|a, b| {
        (&a.finding.object, &a.finding.rule, &a.finding.message).cmp(&(
            &b.finding.object,
            &b.finding.rule,
            &b.finding.message,
        ))
    });
    unfixed.dedup();
    Ok(Built {
        steps: steps.into_iter().map(|(_, s)| s).collect(),
        unfixed,
    })
}
