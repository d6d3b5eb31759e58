//! From findings to ordered steps: intake (findings → work per object),
//! resolution (work → target definitions, derived changes), emission
//! (targets → statements per dialect), ordering by phase.

use std::collections::{BTreeMap, BTreeSet};

use driftless_introspect::{is_quarantined, Dialect, Snapshot, Table, View, QUARANTINE_PREFIX};
use driftless_rules::{Finding, FixIntent, ObjectKind, ObjectRef};

use crate::guard::{guarded, Cond};
use crate::names::{self, Name, Space};
use crate::options::{Orphans, PlanOptions};
use crate::plan::{FixStep, PlanError, Preflight, PreflightKind, Reason, Unfixed};
use crate::safety::Safety;

/// The plan before the allowed/withheld split.
pub(crate) struct Built {
    pub(crate) steps: Vec<FixStep>,
    pub(crate) unfixed: Vec<Unfixed>,
}

/// Execution phases, in order. Steps run phase by phase; within a phase in
/// the order they were emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Phase {
    DropViews,
    DropForeignKeys,
    DropConstraints,
    Schemas,
    Types,
    Sequences,
    RemoveTables,
    CreateTables,
    Columns,
    CreateConstraints,
    CreateForeignKeys,
    SequenceOwnership,
    DropTypes,
    DropSequences,
    DropSchemas,
    Views,
    Comments,
}

/// `(schema, name)` — schema as the actual snapshot names it where it can.
pub(crate) type Key = (String, String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Act {
    Create,
    Drop,
    Replace,
}

fn merge_act(old: Act, new: Act) -> Act {
    match (old, new) {
        (a, b) if a == b => a,
        _ => Act::Replace,
    }
}

/// Which parts of a column to bring to the expected definition.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Aspects {
    pub(crate) ty: bool,
    pub(crate) nullable: bool,
    pub(crate) default: bool,
    pub(crate) other: bool,
    pub(crate) comment: bool,
}

impl Aspects {
    fn all() -> Self {
        Aspects {
            ty: true,
            nullable: true,
            default: true,
            other: true,
            comment: true,
        }
    }
    fn union(self, o: Aspects) -> Self {
        Aspects {
            ty: self.ty || o.ty,
            nullable: self.nullable || o.nullable,
            default: self.default || o.default,
            other: self.other || o.other,
            comment: self.comment || o.comment,
        }
    }
}

type Acts = BTreeMap<String, (Act, Vec<Reason>)>;

fn push_act(map: &mut Acts, name: &str, act: Act, r: Reason) {
    let e = map.entry(name.to_string()).or_insert((act, Vec::new()));
    e.0 = merge_act(e.0, act);
    e.1.push(r);
}

/// What the findings ask of one existing table.
#[derive(Debug, Default)]
struct TableWork {
    add: BTreeMap<String, Vec<Reason>>,
    remove: BTreeMap<String, Vec<Reason>>,
    alter: BTreeMap<String, (Aspects, Vec<Reason>)>,
    pk: Option<(Act, Vec<Reason>)>,
    uniques: Acts,
    indexes: Acts,
    fks: Acts,
    checks: Acts,
    comment: Vec<Reason>,
}

/// What the findings ask, per object.
#[derive(Debug, Default)]
pub(crate) struct Work {
    pub(crate) schemas: Acts,
    pub(crate) tables_create: BTreeMap<Key, Vec<Reason>>,
    pub(crate) tables_remove: BTreeMap<Key, Vec<Reason>>,
    tables: BTreeMap<Key, TableWork>,
    pub(crate) enums: BTreeMap<Key, (Act, Vec<Reason>)>,
    pub(crate) views: BTreeMap<Key, (Act, Vec<Reason>)>,
    pub(crate) view_comments: BTreeMap<Key, Vec<Reason>>,
    pub(crate) sequences: BTreeMap<Key, (Act, Vec<Reason>)>,
    pub(crate) unfixed: Vec<Unfixed>,
}

/// The inputs, with name resolution between the two snapshots.
pub(crate) struct Ctx<'a> {
    pub(crate) d: Dialect,
    pub(crate) exp: &'a Snapshot,
    pub(crate) act: &'a Snapshot,
    pub(crate) options: &'a PlanOptions,
}

impl<'a> Ctx<'a> {
    fn resolve<'s>(&self, snap: &'s Snapshot, s: &str) -> Option<&'s str> {
        if let Some((k, _)) = snap.schemas.get_key_value(s) {
            return Some(k.as_str());
        }
        // MySQL and SQLite: one schema per connection, whatever its name
        // on each side.
        if self.d != Dialect::Postgres && snap.schemas.len() == 1 {
            return snap.schemas.keys().next().map(String::as_str);
        }
        None
    }

    /// The schema's name in the actual snapshot.
    pub(crate) fn act_schema(&self, s: &str) -> Option<&'a str> {
        self.resolve(self.act, s)
    }

    /// The schema's name in the expected snapshot.
    pub(crate) fn exp_schema(&self, s: &str) -> Option<&'a str> {
        self.resolve(self.exp, s)
    }

    /// The canonical key schema for `s`.
    pub(crate) fn key_schema(&self, s: &str) -> String {
        self.act_schema(s)
            .or_else(|| self.exp_schema(s))
            .unwrap_or(s)
            .to_string()
    }

    pub(crate) fn act_table(&self, s: &str, t: &str) -> Option<&'a Table> {
        self.act.schemas.get(self.act_schema(s)?)?.tables.get(t)
    }

    pub(crate) fn exp_table(&self, s: &str, t: &str) -> Option<&'a Table> {
        self.exp.schemas.get(self.exp_schema(s)?)?.tables.get(t)
    }

    /// SQL text from the expected side with references to its schema
    /// rewritten to the actual one (MySQL qualifies view bodies and checks
    /// with the database name, which differs between the two databases).
    pub(crate) fn localize_sql(&self, s: &str, sql: &str) -> String {
        if self.d != Dialect::Mysql {
            return sql.to_string();
        }
        match (self.exp_schema(s), self.act_schema(s)) {
            (Some(e), Some(a)) if e != a => {
                let q = |n: &str| format!("{}.", crate::quote::ident(Dialect::Mysql, n));
                sql.replace(&q(e), &q(a))
            }
            _ => sql.to_string(),
        }
    }

    /// Every name held in schema `s` on either side, whatever its
    /// namespace: what a temporary or quarantine name must avoid.
    pub(crate) fn held_names(&self, s: &str) -> BTreeSet<String> {
        let act = self.act_schema(s).and_then(|n| self.act.schemas.get(n));
        let exp = self.exp_schema(s).and_then(|n| self.exp.schemas.get(n));
        names::all_held(self.d, act.into_iter().chain(exp))
    }

    /// A view to create in schema `s` (named as the actual snapshot names
    /// it): on MySQL, its body's references to relations of that database
    /// qualified (see [`crate::lex::qualify_mysql_relations`]).
    pub(crate) fn qualify_view(&self, s: &str, view: &View) -> View {
        let mut view = view.clone();
        if self.d == Dialect::Mysql {
            let has = |snap: &Snapshot, schema: Option<&str>, name: &str| {
                schema
                    .and_then(|k| snap.schemas.get(k))
                    .is_some_and(|sc| sc.tables.contains_key(name) || sc.views.contains_key(name))
            };
            let (e, a) = (self.exp_schema(s), self.act_schema(s));
            let is_relation = |n: &str| has(self.act, a, n) || has(self.exp, e, n);
            view.definition =
                crate::lex::qualify_mysql_relations(&view.definition, s, &is_relation);
        }
        view
    }

    /// The actual-side name of a schema the expected snapshot names: a
    /// MySQL database paired with the target's database of another name
    /// takes the target's name; a schema neither side pairs (another
    /// database a foreign key reaches into) keeps its own.
    pub(crate) fn target_schema(&self, s: &str) -> String {
        if self.exp.schemas.contains_key(s) && !self.act.schemas.contains_key(s) {
            if let Some(a) = self.act_schema(s) {
                return a.to_string();
            }
        }
        s.to_string()
    }

    /// An expected table with its SQL text localized (see
    /// [`Ctx::localize_sql`]) and its foreign keys pointing into the
    /// target's schemas (see [`Ctx::target_schema`]).
    pub(crate) fn localize_table(&self, s: &str, t: &Table) -> Table {
        let mut t = t.clone();
        for fk in t.foreign_keys.values_mut() {
            fk.ref_schema = self.target_schema(&fk.ref_schema);
        }
        if self.d == Dialect::Mysql {
            for c in t.checks.values_mut() {
                c.expression = self.localize_sql(s, &c.expression);
            }
            for col in t.columns.values_mut() {
                if let Some(g) = &mut col.generated {
                    g.expression = self.localize_sql(s, &g.expression);
                }
            }
        }
        t
    }
}

fn unfixed(f: &Finding, why: impl Into<String>) -> Unfixed {
    Unfixed {
        finding: Reason::of(f),
        why: why.into(),
    }
}

pub(crate) fn unfixed_reason(r: &Reason, why: impl Into<String>) -> Unfixed {
    Unfixed {
        finding: r.clone(),
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
        let o = &f.object;
        let r = Reason::of(f);
        match f.fix {
            FixIntent::Manual => {
                w.unfixed.push(unfixed(
                    f,
                    f.hint
                        .clone()
                        .unwrap_or_else(|| "the rule asks for a human decision".into()),
                ));
                continue;
            }
            FixIntent::RecordMigration => {
                w.unfixed.push(unfixed(f, "record the migration with your migration tool (for example `migrate --fake`); driftless does not write ledgers"));
                continue;
            }
            _ => {}
        }
        if o.table.as_deref().is_some_and(is_quarantined)
            || (o.table.is_none() && o.name.as_deref().is_some_and(is_quarantined))
        {
            w.unfixed.push(unfixed(
                f,
                "the object is quarantined; drop it by hand once its data is no longer needed",
            ));
            continue;
        }
        let schema = ctx.key_schema(&o.schema);
        let table = o.table.clone().unwrap_or_default();
        let name = o.name.clone().unwrap_or_default();
        let tkey = (schema.clone(), table.clone());
        let act_of = |intent: &FixIntent| match intent {
            FixIntent::CreateSchema
            | FixIntent::CreateTable
            | FixIntent::AddColumn
            | FixIntent::Create => Some(Act::Create),
            FixIntent::RemoveTable | FixIntent::RemoveColumn | FixIntent::Drop => Some(Act::Drop),
            FixIntent::Replace
            | FixIntent::AlterEnum
            | FixIntent::AlterSequence
            | FixIntent::SetComment
            | FixIntent::AlterColumnOther
            | FixIntent::AlterColumnType
            | FixIntent::AlterColumnDefault
            | FixIntent::AlterColumnNullability => Some(Act::Replace),
            _ => None,
        };
        let Some(act) = act_of(&f.fix) else {
            w.unfixed.push(unfixed(
                f,
                "driftless has no automatic fix for this kind of finding",
            ));
            continue;
        };
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
                Act::Replace => w.tables.entry(tkey).or_default().comment.push(r),
            },
            ObjectKind::Column => {
                let tw = w.tables.entry(tkey).or_default();
                match f.fix {
                    FixIntent::AddColumn | FixIntent::Create => {
                        tw.add.entry(name).or_default().push(r)
                    }
                    FixIntent::RemoveColumn | FixIntent::Drop => {
                        tw.remove.entry(name).or_default().push(r)
                    }
                    _ => {
                        let mut a = Aspects::default();
                        match f.fix {
                            FixIntent::AlterColumnType => a.ty = true,
                            FixIntent::AlterColumnNullability => a.nullable = true,
                            FixIntent::AlterColumnDefault => a.default = true,
                            FixIntent::AlterColumnOther => a.other = true,
                            FixIntent::SetComment => a.comment = true,
                            _ => a = Aspects::all(),
                        }
                        let e = tw
                            .alter
                            .entry(name)
                            .or_insert((Aspects::default(), Vec::new()));
                        e.0 = e.0.union(a);
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
            ObjectKind::Index => push_act(
                &mut w.tables.entry(tkey).or_default().indexes,
                &name,
                act,
                r,
            ),
            ObjectKind::ForeignKey => {
                push_act(&mut w.tables.entry(tkey).or_default().fks, &name, act, r)
            }
            ObjectKind::Check => {
                push_act(&mut w.tables.entry(tkey).or_default().checks, &name, act, r)
            }
            ObjectKind::View if f.fix == FixIntent::SetComment => {
                w.view_comments.entry((schema, name)).or_default().push(r)
            }
            ObjectKind::Enum | ObjectKind::View | ObjectKind::Sequence => {
                let map = match o.kind {
                    ObjectKind::Enum => &mut w.enums,
                    ObjectKind::View => &mut w.views,
                    _ => &mut w.sequences,
                };
                let e = map.entry((schema, name)).or_insert((act, Vec::new()));
                e.0 = merge_act(e.0, act);
                e.1.push(r);
            }
            _ => w.unfixed.push(unfixed(
                f,
                "driftless has no automatic fix for this kind of object",
            )),
        }
    }
    // A missing schema is one finding: everything in it is created with it.
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
                .entry((n.clone(), t.clone()))
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
                    .entry((n.clone(), o.clone()))
                    .or_insert((Act::Create, Vec::new()));
                e.1.extend(rs.iter().cloned());
            }
        }
    }
    w
}

/// A part of a table, for reasons.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Part {
    Column(String),
    Pk,
    Unique(String),
    Index(String),
    Fk(String),
    Check(String),
    Comment,
}

/// An existing table and what it should become.
#[derive(Debug)]
pub(crate) struct Target<'a> {
    pub(crate) schema: String,
    pub(crate) name: String,
    pub(crate) actual: &'a Table,
    pub(crate) target: Table,
    /// Quarantined columns: old name → new name.
    pub(crate) renames: BTreeMap<String, String>,
    /// Findings behind each change.
    pub(crate) reasons: BTreeMap<Part, Vec<Reason>>,
    /// Why a derived change (no finding of its own) is made.
    pub(crate) notes: BTreeMap<Part, String>,
    /// Foreign keys to drop and re-add around a column type change.
    pub(crate) fk_rebuild: BTreeSet<String>,
}

impl<'a> Target<'a> {
    fn new(schema: &str, name: &str, actual: &'a Table) -> Self {
        Target {
            schema: schema.to_string(),
            name: name.to_string(),
            actual,
            target: actual.clone(),
            renames: BTreeMap::new(),
            reasons: BTreeMap::new(),
            notes: BTreeMap::new(),
            fk_rebuild: BTreeSet::new(),
        }
    }

    pub(crate) fn reasons_of(&self, p: &Part) -> Vec<Reason> {
        self.reasons.get(p).cloned().unwrap_or_default()
    }

    pub(crate) fn note_of(&self, p: &Part) -> Option<&str> {
        self.notes.get(p).map(String::as_str)
    }

    /// A step for part `p` of the table, carrying the findings and the note
    /// recorded for that part.
    pub(crate) fn part_step(
        &self,
        p: &Part,
        object: ObjectRef,
        action: &'static str,
        safety: Safety,
    ) -> StepSpec<'_> {
        let mut spec = StepSpec::new(object, action, safety);
        spec.fixes = self.reasons_of(p);
        spec.note = self.note_of(p);
        spec
    }

    fn note(&mut self, p: Part, why: String) {
        self.notes.entry(p).or_insert(why);
    }
}

/// An orphan table to quarantine or drop.
#[derive(Debug)]
pub(crate) struct Removal<'a> {
    pub(crate) schema: String,
    pub(crate) name: String,
    pub(crate) table: &'a Table,
    /// `Some(new name)` to quarantine; `None` to drop.
    pub(crate) quarantine_as: Option<String>,
    /// Quarantined: the parts whose names the table shares with the rest
    /// of the schema (see [`names`]), with their new names, so that the
    /// expected objects can take the old ones.
    pub(crate) renamed_parts: Vec<(Name, String)>,
    pub(crate) reasons: Vec<Reason>,
}

/// Everything resolved.
pub(crate) struct Resolved<'a> {
    pub(crate) targets: BTreeMap<Key, Target<'a>>,
    pub(crate) removals: Vec<Removal<'a>>,
    pub(crate) creates: BTreeMap<Key, (Table, Vec<Reason>)>,
}

/// The largest identifier length of a dialect (bytes for PostgreSQL,
/// characters for MySQL).
fn max_ident(d: Dialect) -> usize {
    match d {
        Dialect::Postgres => 63,
        Dialect::Mysql => 64,
        Dialect::Sqlite => usize::MAX,
    }
}

fn fnv32(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

fn truncate_to(d: Dialect, s: &str, max: usize) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let len = if d == Dialect::Postgres {
            out.len() + c.len_utf8()
        } else {
            out.chars().count() + 1
        };
        if len > max {
            break;
        }
        out.push(c);
    }
    out
}

fn ident_len(d: Dialect, s: &str) -> usize {
    if d == Dialect::Postgres {
        s.len()
    } else {
        s.chars().count()
    }
}

/// The quarantine name for `name`: `_driftless_quarantine_<name>`, made
/// short enough for the dialect and distinct from every name in `taken`.
pub(crate) fn quarantine_name(d: Dialect, name: &str, taken: &dyn Fn(&str) -> bool) -> String {
    let max = max_ident(d);
    let mut base = format!("{QUARANTINE_PREFIX}{name}");
    if ident_len(d, &base) > max {
        let hash = format!("_{:08x}", fnv32(name));
        base = format!("{}{hash}", truncate_to(d, &base, max - hash.len()));
    }
    let mut candidate = base.clone();
    let mut n = 2u32;
    while taken(&candidate) {
        let suffix = format!("_{n}");
        candidate = format!(
            "{}{suffix}",
            truncate_to(d, &base, max.saturating_sub(suffix.len()))
        );
        n += 1;
    }
    candidate
}

/// Where an orphan table goes when quarantined: its new name, and new
/// names for the parts whose names the schema shares (PostgreSQL indexes
/// and keys, SQLite indexes), all free on both sides.
fn quarantine_names(
    ctx: &Ctx<'_>,
    schema: &str,
    name: &str,
    table: &Table,
) -> (String, Vec<(Name, String)>) {
    let mut taken = ctx.held_names(schema);
    let mut take = |n: &str| {
        let q = quarantine_name(ctx.d, n, &|c| taken.contains(c));
        taken.insert(q.clone());
        q
    };
    let q = take(name);
    let parts = names::parts(ctx.d, schema, name, table)
        .into_iter()
        .filter(|p| p.space == Space::Relation)
        .map(|p| {
            let new = take(&p.name);
            (p, new)
        })
        .collect();
    (q, parts)
}

/// Whether `text` mentions identifier `name`.
pub(crate) fn mentions(d: Dialect, text: &str, name: &str) -> bool {
    Mentions::new(d, text).has(name)
}

/// The identifiers a text mentions, lexed once for many questions (a view
/// definition asked about every table that changes).
pub(crate) struct Mentions {
    exact: std::collections::HashSet<String>,
    folded: std::collections::HashSet<String>,
}

impl Mentions {
    pub(crate) fn new(d: Dialect, text: &str) -> Self {
        let exact: std::collections::HashSet<String> = crate::lex::mentioned_identifiers(d, text)
            .into_iter()
            .collect();
        let folded = exact.iter().map(|i| i.to_ascii_lowercase()).collect();
        Mentions { exact, folded }
    }

    /// Whether identifier `name` is mentioned: spelled the same, or, for a
    /// name without capitals, in any ASCII case (an unquoted mention).
    pub(crate) fn has(&self, name: &str) -> bool {
        self.exact.contains(name)
            || (!name.chars().any(char::is_uppercase) && self.folded.contains(name))
    }
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
        removed.push(Part::Pk);
    }
    t.uniques.retain(|n, u| {
        let keep = !u.columns.iter().any(|c| c == col);
        if !keep {
            removed.push(Part::Unique(n.clone()));
        }
        keep
    });
    t.indexes.retain(|n, i| {
        let uses = i.parts.iter().any(|p| match &p.key {
            driftless_introspect::IndexKey::Column(c) => c == col,
            driftless_introspect::IndexKey::Expression(e) => mentions(d, e, col),
        }) || i.include.iter().any(|c| c == col)
            || i.predicate.as_deref().is_some_and(|p| mentions(d, p, col));
        if uses {
            removed.push(Part::Index(n.clone()));
        }
        !uses
    });
    t.foreign_keys.retain(|n, fk| {
        let keep = !fk.columns.iter().any(|c| c == col);
        if !keep {
            removed.push(Part::Fk(n.clone()));
        }
        keep
    });
    t.checks.retain(|n, c| {
        let keep = !mentions(d, &c.expression, col);
        if !keep {
            removed.push(Part::Check(n.clone()));
        }
        keep
    });
    removed
}

/// Work → targets, removals and creations, with derived changes.
fn resolve<'a>(ctx: &Ctx<'a>, work: &mut Work) -> Resolved<'a> {
    let d = ctx.d;
    let mut targets: BTreeMap<Key, Target<'a>> = BTreeMap::new();
    let mut creates = BTreeMap::new();
    let mut removals = Vec::new();
    let mut unf = Vec::new();

    for (key, reasons) in &work.tables_create {
        match (ctx.exp_table(&key.0, &key.1), ctx.act_table(&key.0, &key.1)) {
            (Some(t), None) => {
                creates.insert(
                    key.clone(),
                    (ctx.localize_table(&key.0, t), reasons.clone()),
                );
            }
            (None, _) => unf.extend(
                reasons
                    .iter()
                    .map(|r| unfixed_reason(r, "the expected schema has no such table")),
            ),
            (Some(_), Some(_)) => unf.extend(
                reasons
                    .iter()
                    .map(|r| unfixed_reason(r, "the table already exists in the database")),
            ),
        }
    }

    for (key, tw) in std::mem::take(&mut work.tables) {
        let (s, tname) = (&key.0, &key.1);
        let all_reasons = || {
            tw.add
                .values()
                .chain(tw.remove.values())
                .chain(tw.alter.values().map(|(_, r)| r))
                .flatten()
                .cloned()
                .chain(tw.pk.iter().flat_map(|(_, r)| r.clone()))
                .chain(
                    [&tw.uniques, &tw.indexes, &tw.fks, &tw.checks]
                        .into_iter()
                        .flat_map(|m| m.values().flat_map(|(_, r)| r.clone())),
                )
                .chain(tw.comment.iter().cloned())
                .collect::<Vec<_>>()
        };
        let Some(actual) = ctx.act_table(s, tname) else {
            if !creates.contains_key(&key) {
                unf.extend(
                    all_reasons()
                        .iter()
                        .map(|r| unfixed_reason(r, "the table does not exist in the database")),
                );
            }
            continue;
        };
        if work.tables_remove.contains_key(&key) {
            continue; // the whole table goes
        }
        let Some(expected) = ctx.exp_table(s, tname) else {
            unf.extend(
                all_reasons()
                    .iter()
                    .map(|r| unfixed_reason(r, "the expected schema has no such table")),
            );
            continue;
        };
        let expected = &ctx.localize_table(s, expected);
        let t = targets
            .entry(key.clone())
            .or_insert_with(|| Target::new(s, tname, actual));

        // Columns to add.
        for (c, rs) in &tw.add {
            match expected.columns.get(c) {
                Some(col) => {
                    t.target.columns.insert(c.clone(), col.clone());
                    t.reasons
                        .entry(Part::Column(c.clone()))
                        .or_default()
                        .extend(rs.iter().cloned());
                }
                None => unf.extend(
                    rs.iter()
                        .map(|r| unfixed_reason(r, "the expected table has no such column")),
                ),
            }
        }
        // Columns to alter.
        for (c, (aspects, rs)) in &tw.alter {
            let (Some(exp_col), Some(tc)) = (expected.columns.get(c), t.target.columns.get_mut(c))
            else {
                unf.extend(
                    rs.iter()
                        .map(|r| unfixed_reason(r, "the column is missing on one side")),
                );
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
            }
            if aspects.other {
                tc.identity = exp_col.identity;
                tc.generated = exp_col.generated.clone();
                tc.collation = exp_col.collation.clone();
            }
            if aspects.comment {
                tc.comment = exp_col.comment.clone();
            }
            t.reasons
                .entry(Part::Column(c.clone()))
                .or_default()
                .extend(rs.iter().cloned());
        }
        // Constraints.
        if let Some((act, rs)) = &tw.pk {
            match act {
                Act::Drop => t.target.primary_key = None,
                _ => {
                    match &expected.primary_key {
                        Some(pk) => t.target.primary_key = Some(pk.clone()),
                        None => {
                            unf.extend(rs.iter().map(|r| {
                                unfixed_reason(r, "the expected table has no primary key")
                            }));
                            continue;
                        }
                    }
                }
            }
            t.reasons
                .entry(Part::Pk)
                .or_default()
                .extend(rs.iter().cloned());
        }
        macro_rules! constraints {
            ($work:ident, $field:ident, $part:ident, $what:literal) => {
                for (n, (act, rs)) in &tw.$work {
                    match act {
                        Act::Drop => {
                            t.target.$field.remove(n);
                        }
                        _ => match expected.$field.get(n) {
                            Some(def) => {
                                t.target.$field.insert(n.clone(), def.clone());
                            }
                            None => {
                                unf.extend(rs.iter().map(|r| {
                                    unfixed_reason(
                                        r,
                                        concat!("the expected table has no such ", $what),
                                    )
                                }));
                                continue;
                            }
                        },
                    }
                    t.reasons
                        .entry(Part::$part(n.clone()))
                        .or_default()
                        .extend(rs.iter().cloned());
                }
            };
        }
        constraints!(uniques, uniques, Unique, "unique constraint");
        constraints!(indexes, indexes, Index, "index");
        constraints!(fks, foreign_keys, Fk, "foreign key");
        constraints!(checks, checks, Check, "check constraint");
        if !tw.comment.is_empty() {
            t.target.comment = expected.comment.clone();
            t.reasons
                .entry(Part::Comment)
                .or_default()
                .extend(tw.comment.iter().cloned());
        }
        // Orphan columns, last: their dependents go with them.
        for (c, rs) in &tw.remove {
            let Some(col) = actual.columns.get(c) else {
                unf.extend(
                    rs.iter()
                        .map(|r| unfixed_reason(r, "the database has no such column")),
                );
                continue;
            };
            if expected.columns.contains_key(c) {
                unf.extend(
                    rs.iter()
                        .map(|r| unfixed_reason(r, "the expected table has this column")),
                );
                continue;
            }
            let verb = match ctx.options.orphans {
                Orphans::Keep => {
                    unf.extend(
                        rs.iter()
                            .map(|r| unfixed_reason(r, "orphan columns are kept (--orphans keep)")),
                    );
                    continue;
                }
                Orphans::Quarantine => "quarantined",
                Orphans::Drop => "dropped",
            };
            t.target.columns.remove(c);
            if ctx.options.orphans == Orphans::Quarantine {
                let taken =
                    |n: &str| actual.columns.contains_key(n) || t.target.columns.contains_key(n);
                let q = quarantine_name(d, c, &taken);
                let mut qc = col.clone();
                if qc.generated.is_none() {
                    qc.nullable = true;
                }
                if d == Dialect::Postgres || d == Dialect::Mysql {
                    qc.identity = None;
                }
                t.target.columns.insert(q.clone(), qc);
                t.renames.insert(c.clone(), q);
            }
            t.reasons
                .entry(Part::Column(c.clone()))
                .or_default()
                .extend(rs.iter().cloned());
            for part in remove_dependents(d, &mut t.target, c) {
                t.note(part, format!("it uses column {c}, which is {verb}"));
            }
        }
    }

    // Orphan tables.
    for (key, reasons) in &work.tables_remove {
        let Some(table) = ctx.act_table(&key.0, &key.1) else {
            unf.extend(
                reasons
                    .iter()
                    .map(|r| unfixed_reason(r, "the database has no such table")),
            );
            continue;
        };
        if ctx.exp_table(&key.0, &key.1).is_some() {
            unf.extend(
                reasons
                    .iter()
                    .map(|r| unfixed_reason(r, "the expected schema has this table")),
            );
            continue;
        }
        let quarantine_as = match ctx.options.orphans {
            Orphans::Keep => {
                unf.extend(
                    reasons
                        .iter()
                        .map(|r| unfixed_reason(r, "orphan tables are kept (--orphans keep)")),
                );
                continue;
            }
            Orphans::Drop => None,
            Orphans::Quarantine => Some(quarantine_names(ctx, &key.0, &key.1, table)),
        };
        let (quarantine_as, renamed_parts) = match quarantine_as {
            Some((q, parts)) => (Some(q), parts),
            None => (None, Vec::new()),
        };
        removals.push(Removal {
            schema: key.0.clone(),
            name: key.1.clone(),
            table,
            quarantine_as,
            renamed_parts,
            reasons: reasons.clone(),
        });
    }

    // Foreign keys of kept tables that point at removed tables or at
    // removed/quarantined columns go too.
    let removed_tables: BTreeSet<Key> = removals
        .iter()
        .map(|r| (r.schema.clone(), r.name.clone()))
        .collect();
    let gone_columns: BTreeSet<(Key, String)> = targets
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
        let key = (ctx.key_schema(s), tname.to_string());
        if removed_tables.contains(&key) {
            continue;
        }
        for (fk_name, fk) in &table.foreign_keys {
            let ref_key = (ctx.target_schema(&fk.ref_schema), fk.ref_table.clone());
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
                    .or_insert_with(|| Target::new(&key.0, tname, table));
                // Only the key as it is: a replacement from the expected side stays.
                if t.target.foreign_keys.get(fk_name) == Some(fk) {
                    t.target.foreign_keys.remove(fk_name);
                    t.note(Part::Fk(fk_name.clone()), why);
                }
            }
        }
    }

    // Foreign keys over a column whose type changes are dropped and added
    // back around the change (MySQL refuses the change otherwise; on
    // PostgreSQL the intermediate types may not match). SQLite rebuilds.
    if d != Dialect::Sqlite {
        let retyped: BTreeSet<(Key, String)> = targets
            .iter()
            .flat_map(|(k, t)| {
                t.actual.columns.iter().filter_map(move |(c, ac)| {
                    let tc = t.target.columns.get(c)?;
                    (tc.data_type != ac.data_type || tc.collation != ac.collation)
                        .then(|| (k.clone(), c.clone()))
                })
            })
            .collect();
        if !retyped.is_empty() {
            for (s, tname, table) in ctx.act.tables() {
                let key = (ctx.key_schema(s), tname.to_string());
                if removed_tables.contains(&key) {
                    continue;
                }
                for (fk_name, fk) in &table.foreign_keys {
                    let ref_key = (ctx.target_schema(&fk.ref_schema), fk.ref_table.clone());
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
                            .or_insert_with(|| Target::new(&key.0, tname, table));
                        if t.target.foreign_keys.get(fk_name) == Some(fk) {
                            t.fk_rebuild.insert(fk_name.clone());
                            t.note(Part::Fk(fk_name.clone()), "a column it uses changes type; it is dropped and added back around the change".into());
                        }
                    }
                }
            }
        }
    }

    work.unfixed.extend(unf);
    Resolved {
        targets,
        removals,
        creates,
    }
}

/// Collects steps by phase.
#[derive(Default)]
pub(crate) struct Out {
    steps: Vec<(Phase, FixStep)>,
    /// Tables whose change requires the views that read them to be dropped
    /// first and created again afterwards.
    pub(crate) view_changed: BTreeSet<Key>,
    /// Tables dropped outright.
    pub(crate) dropped_tables: BTreeSet<Key>,
    /// Findings the emitters could not fix.
    pub(crate) unfixed: Vec<Unfixed>,
}

/// What a step is about to do, for [`Out::push`].
pub(crate) struct StepSpec<'r> {
    pub(crate) object: ObjectRef,
    pub(crate) action: &'static str,
    pub(crate) safety: Safety,
    pub(crate) fixes: Vec<Reason>,
    pub(crate) note: Option<&'r str>,
    pub(crate) sql: Vec<String>,
    pub(crate) script: Vec<String>,
    pub(crate) preflight: Vec<Preflight>,
    pub(crate) rebuilds: Option<String>,
}

impl<'r> StepSpec<'r> {
    pub(crate) fn new(object: ObjectRef, action: &'static str, safety: Safety) -> Self {
        StepSpec {
            object,
            action,
            safety,
            fixes: Vec::new(),
            note: None,
            sql: Vec::new(),
            script: Vec::new(),
            preflight: Vec::new(),
            rebuilds: None,
        }
    }

    /// The step runs one statement, in the plan and in the script alike.
    pub(crate) fn statement(&mut self, stmt: String) {
        self.script = vec![stmt.clone()];
        self.sql = vec![stmt];
    }

    /// The step runs one statement, which the script runs only when `cond`
    /// holds.
    pub(crate) fn guarded_statement(&mut self, d: Dialect, cond: &Cond, stmt: String) {
        self.script = guarded(d, cond, std::slice::from_ref(&stmt));
        self.sql = vec![stmt];
    }
}

impl Out {
    /// Pushes a safe step that runs one statement to fix `reasons`.
    pub(crate) fn push_safe(
        &mut self,
        phase: Phase,
        object: ObjectRef,
        action: &'static str,
        reasons: &[Reason],
        stmt: String,
    ) {
        let mut spec = StepSpec::new(object, action, Safety::Safe);
        spec.fixes = reasons.to_vec();
        spec.statement(stmt);
        self.push(phase, spec);
    }

    pub(crate) fn push(&mut self, phase: Phase, spec: StepSpec<'_>) {
        if spec.sql.is_empty() {
            return;
        }
        let mut reason: Vec<String> = spec.fixes.iter().map(|r| r.to_string()).collect();
        reason.dedup();
        if let Some(n) = spec.note {
            reason.push(format!("{} {}: {n}", spec.action, spec.object.path()));
        }
        if reason.is_empty() {
            reason.push(format!("{} {}", spec.action, spec.object));
        }
        for p in &spec.preflight {
            if p.kind == PreflightKind::CountAffected {
                reason.push(p.message.clone());
            }
        }
        let mut fixes = spec.fixes;
        fixes.dedup();
        self.steps.push((
            phase,
            FixStep {
                object: spec.object,
                action: spec.action.to_string(),
                safety: spec.safety,
                reason: reason.join("; "),
                fixes,
                sql: spec.sql,
                script: spec.script,
                preflight: spec.preflight,
                affected_rows: None,
                rebuilds: spec.rebuilds,
            },
        ));
    }

    /// Every statement emitted so far (for the enum-label check).
    pub(crate) fn all_sql(&self) -> impl Iterator<Item = &str> {
        self.steps
            .iter()
            .flat_map(|(_, s)| s.sql.iter().map(String::as_str))
    }
}

/// `SELECT COUNT(*) FROM table [WHERE predicate]`.
pub(crate) fn count_sql(d: Dialect, schema: &str, table: &str, predicate: Option<&str>) -> String {
    let t = crate::quote::qualified(d, schema, table);
    match predicate {
        Some(p) => format!("SELECT COUNT(*) FROM {t} WHERE {p}"),
        None => format!("SELECT COUNT(*) FROM {t}"),
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
    let removed: BTreeSet<Key> = r
        .removals
        .iter()
        .filter(|rm| rm.quarantine_as.is_some() || drops)
        .map(|rm| (rm.schema.clone(), rm.name.clone()))
        .collect();
    let mut created = Vec::new();
    let mut held = Vec::new();
    for ((s, t), (table, _)) in &r.creates {
        created.extend(names::table(d, s, t, table));
    }
    for (s, t, table) in ctx.act.tables() {
        let key = (ctx.key_schema(s), t.to_string());
        if removed.contains(&key) {
            continue;
        }
        let before = names::table(d, &key.0, t, table);
        match r.targets.get(&key) {
            Some(target) => {
                for n in names::table(d, &key.0, t, &target.target) {
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
        map.get(&(n.object.schema.clone(), name))
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

/// Findings → steps in execution order.
pub(crate) fn build(
    expected: &Snapshot,
    actual: &Snapshot,
    findings: &[Finding],
    options: &PlanOptions,
) -> Result<Built, PlanError> {
    let ctx = Ctx {
        d: actual.dialect,
        exp: expected,
        act: actual,
        options,
    };
    let mut work = intake(&ctx, findings);
    let resolved = resolve(&ctx, &mut work);
    check_names(&ctx, &work, &resolved)?;
    let mut out = Out::default();

    crate::objects::schemas(&ctx, &work, &mut out)?;
    crate::tables::removals(&ctx, &resolved, &mut out)?;
    crate::tables::creates(&ctx, &resolved, &mut out)?;
    for t in resolved.targets.values() {
        crate::tables::alter(&ctx, t, &mut out)?;
    }
    crate::objects::sequences(&ctx, &work, &resolved, &mut out)?;
    // Enums last among the emitters that write SQL using labels, so that
    // new labels used elsewhere in the plan are seen.
    crate::objects::enums(&ctx, &work, &resolved, &mut out)?;
    crate::objects::views(&ctx, &work, &mut out)?;

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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn quarantine_names_fit_and_are_unique() {
        let none = |_: &str| false;
        assert_eq!(
            quarantine_name(Dialect::Postgres, "avatar", &none),
            "_driftless_quarantine_avatar"
        );
        let long = "x".repeat(60);
        let q = quarantine_name(Dialect::Postgres, &long, &none);
        assert!(q.len() <= 63 && q.starts_with(QUARANTINE_PREFIX), "{q}");
        let taken = |n: &str| n == "_driftless_quarantine_avatar";
        assert_eq!(
            quarantine_name(Dialect::Mysql, "avatar", &taken),
            "_driftless_quarantine_avatar_2"
        );
    }
}
