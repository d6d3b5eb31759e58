//! What planning works on, shared by the planner and the step builders:
//! the work the findings ask for per object ([`Work`]), the two snapshots
//! with name resolution between them ([`Ctx`]), the resolved targets
//! ([`Resolved`]) and the step collector ([`Out`]) with its phases.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use driftless_model::{
    AlterAlgorithm, Dialect, ObjectKind, ObjectRef, QualifiedName, SchemaPairing, Snapshot, Table,
    View, QUARANTINE_CATALOG,
};

use crate::guard::Cond;
use crate::lex::qualify_mysql_relations;
use crate::names::{self, Name};
use crate::options::PlanOptions;
use crate::plan::{FixStep, Preflight, PreflightKind, Reason, Unfixed};
use crate::quote::ident;
use crate::safety::Safety;
use crate::sql::{self, Writer};

/// Execution phases, in order. Steps run phase by phase; within a phase in
/// the order they were emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Phase {
    Renames,
    DropDefined,
    DropViews,
    DropForeignKeys,
    DropConstraints,
    Schemas,
    Types,
    DefinedBefore,
    Sequences,
    RemoveTables,
    CreateTables,
    Columns,
    CreateConstraints,
    CreateForeignKeys,
    SequenceOwnership,
    DropDefinedLate,
    DropTypes,
    DropSequences,
    DropSchemas,
    Views,
    DefinedAfter,
    Comments,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Act {
    Create,
    Drop,
    Replace,
}

/// Which parts of a column to bring to the expected definition.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Aspects {
    pub(crate) ty: bool,
    pub(crate) nullable: bool,
    pub(crate) default: bool,
    pub(crate) other: bool,
    pub(crate) comment: bool,
    /// MySQL `INVISIBLE`.
    pub(crate) visibility: bool,
}

impl Aspects {
    pub(crate) fn all() -> Self {
        Aspects {
            ty: true,
            nullable: true,
            default: true,
            other: true,
            comment: true,
            visibility: true,
        }
    }
    pub(crate) fn union(self, o: Aspects) -> Self {
        Aspects {
            ty: self.ty || o.ty,
            nullable: self.nullable || o.nullable,
            default: self.default || o.default,
            other: self.other || o.other,
            comment: self.comment || o.comment,
            visibility: self.visibility || o.visibility,
        }
    }
}

pub(crate) type Acts = BTreeMap<String, (Act, Vec<Reason>)>;

/// What the findings ask of objects compared by their definition, by
/// identity.
pub(crate) type DefinedWork = BTreeMap<ObjectRef, (Act, Vec<Reason>)>;

/// What the findings ask of one existing table.
#[derive(Debug, Default)]
pub(crate) struct TableWork {
    pub(crate) add: BTreeMap<String, Vec<Reason>>,
    pub(crate) remove: BTreeMap<String, Vec<Reason>>,
    pub(crate) alter: BTreeMap<String, (Aspects, Vec<Reason>)>,
    pub(crate) pk: Option<(Act, Vec<Reason>)>,
    pub(crate) uniques: Acts,
    pub(crate) indexes: Acts,
    pub(crate) fks: Acts,
    pub(crate) checks: Acts,
    pub(crate) exclusions: Acts,
    pub(crate) comment: Vec<Reason>,
    /// Findings on the table's options ([`Table::options`](driftless_model::Table::options)).
    pub(crate) options: Vec<Reason>,
}

/// What the findings ask, per object.
#[derive(Debug, Default)]
pub(crate) struct Work {
    pub(crate) schemas: Acts,
    /// Tables and schema-level objects by name, the schema as the actual
    /// snapshot names it where it can ([`Ctx::key_schema`]).
    pub(crate) tables_create: BTreeMap<QualifiedName, Vec<Reason>>,
    pub(crate) tables_remove: BTreeMap<QualifiedName, Vec<Reason>>,
    pub(crate) tables: BTreeMap<QualifiedName, TableWork>,
    pub(crate) enums: BTreeMap<QualifiedName, (Act, Vec<Reason>)>,
    pub(crate) views: BTreeMap<QualifiedName, (Act, Vec<Reason>)>,
    pub(crate) view_comments: BTreeMap<QualifiedName, Vec<Reason>>,
    /// Indexes of materialized views, by view.
    pub(crate) view_indexes: BTreeMap<QualifiedName, Acts>,
    pub(crate) sequences: BTreeMap<QualifiedName, (Act, Vec<Reason>)>,
    /// Objects compared by their definition, by identity.
    pub(crate) defined: DefinedWork,
    pub(crate) unfixed: Vec<Unfixed>,
}

/// The inputs, with name resolution between the two snapshots.
pub(crate) struct Ctx<'a> {
    pub(crate) d: Dialect,
    pub(crate) exp: &'a Snapshot,
    pub(crate) act: &'a Snapshot,
    pub(crate) options: &'a PlanOptions,
    /// Which expected schema is which actual one (as the rules pair them).
    pub(crate) schemas: SchemaPairing<'a>,
    /// The fingerprint of the actual schema: the plan's id in the
    /// quarantine catalog.
    pub(crate) plan_id: String,
    /// Names this plan gives quarantined objects, by schema.
    taken: RefCell<BTreeSet<(String, String)>>,
}

impl<'a> Ctx<'a> {
    /// Whether an expected table that inherits from `schema.table` (both
    /// as the actual snapshot names them) keeps column `column`, which
    /// the expected `schema.table` does not have: dropped from the parent
    /// alone (`ONLY`), it stays on the children as their own.
    pub(crate) fn kept_by_children(&self, schema: &str, table: &str, column: &str) -> bool {
        let parent = (self.target_schema(schema), table.to_string());
        self.exp.tables().any(|(s, _, t)| {
            t.columns.contains_key(column)
                && t.parent_tables(s)
                    .iter()
                    .any(|(ps, pt)| (self.target_schema(ps), pt.clone()) == parent)
        })
    }

    pub(crate) fn new(exp: &'a Snapshot, act: &'a Snapshot, options: &'a PlanOptions) -> Self {
        Ctx {
            d: act.dialect,
            exp,
            act,
            options,
            schemas: SchemaPairing::new(exp, act),
            plan_id: crate::plan::fingerprint(act),
            taken: RefCell::new(BTreeSet::new()),
        }
    }

    /// A name for a quarantined object in quarantine schema `qs` (see
    /// [`sql::quarantine::quarantine_schema`]), from `base`: free among the
    /// names either side holds in schema `s` and, on PostgreSQL, in the
    /// quarantine schema ([`PlanOptions::quarantine_held`]), and among the
    /// names this plan gave already. MySQL and SQLite names carry the
    /// quarantine prefix.
    pub(crate) fn quarantine_name(&self, s: &str, base: &str) -> String {
        let qs = sql::quarantine::quarantine_schema(self.d, s).to_string();
        let held = self.held_names(s);
        let mut taken = self.taken.borrow_mut();
        let is_taken = |n: &str| {
            held.contains(n)
                || n == QUARANTINE_CATALOG
                || taken.contains(&(qs.clone(), n.to_string()))
                || (self.d == Dialect::Postgres && self.options.quarantine_held.contains(n))
        };
        let name = match self.d {
            Dialect::Postgres => names::fitted_name(self.d, base, base, &is_taken),
            _ => names::quarantine_name(self.d, base, &is_taken),
        };
        taken.insert((qs, name.clone()));
        name
    }

    /// The sequences table `s.t` owns (PostgreSQL), each with whether the
    /// expected schema has a sequence of that name: such a sequence stays
    /// when the table is quarantined (released, `OWNED BY NONE`), the
    /// others move with it.
    pub(crate) fn owned_sequences(&self, s: &str, t: &str) -> Vec<(String, bool)> {
        let Some(sc) = self.act_schema(s).and_then(|n| self.act.schemas.get(n)) else {
            return Vec::new();
        };
        let exp = self.exp_schema(s).and_then(|n| self.exp.schemas.get(n));
        sc.sequences
            .iter()
            .filter(|(_, seq)| seq.owned_by.as_ref().is_some_and(|o| o.table == t))
            .map(|(n, _)| (n.clone(), exp.is_some_and(|e| e.sequences.contains_key(n))))
            .collect()
    }

    /// Where the values of column `c` of table `s.t` go, keyed by `key`:
    /// PostgreSQL `driftless_quarantine.<s>__<t>__<c>`, MySQL and SQLite
    /// `_driftless_quarantine_<t>__<c>` next to the table.
    pub(crate) fn values_table_for(&self, s: &str, t: &str, c: &str, key: &[String]) -> Moved {
        let base = match self.d {
            Dialect::Postgres => format!("{s}__{t}__{c}"),
            _ => format!("{t}__{c}"),
        };
        let table = self.quarantine_name(s, &base);
        let pk_name = match self.d {
            Dialect::Postgres => self.quarantine_name(s, &format!("{table}_pkey")),
            _ => format!("{table}_pkey"),
        };
        Moved {
            schema: sql::quarantine::quarantine_schema(self.d, s).to_string(),
            table,
            key: key.to_vec(),
            pk_name,
        }
    }

    /// Whether table `s.t` is at or above the online threshold: its steps
    /// take the online strategies (PostgreSQL, MySQL/MariaDB; SQLite
    /// always runs in one transaction).
    pub(crate) fn online(&self, s: &str, t: &str) -> bool {
        let threshold = self.options.online_threshold;
        self.d != Dialect::Sqlite && crate::hazards::is_big(self.act, s, t, threshold)
    }

    /// The SQL writer of the plan's dialect.
    pub(crate) fn sql(&self) -> &'static dyn Writer {
        sql::writer(self.d)
    }

    /// The schema's name in the actual snapshot.
    pub(crate) fn act_schema(&self, s: &str) -> Option<&'a str> {
        self.schemas.to_actual(s)
    }

    /// Whether either snapshot has a view `s.name` (an index finding on
    /// a materialized view names the view as its table).
    pub(crate) fn is_view(&self, s: &str, name: &str) -> bool {
        [
            (self.exp, self.exp_schema(s)),
            (self.act, self.act_schema(s)),
        ]
        .iter()
        .any(|(snap, schema)| {
            schema
                .and_then(|schema| snap.schemas.get(schema))
                .is_some_and(|schema| schema.views.contains_key(name))
        })
    }

    /// The schema's name in the expected snapshot.
    pub(crate) fn exp_schema(&self, s: &str) -> Option<&'a str> {
        self.schemas.to_expected(s)
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
                let q = |n: &str| format!("{}.", ident(Dialect::Mysql, n));
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
    /// qualified (see [`qualify_mysql_relations`]).
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
            view.definition = qualify_mysql_relations(&view.definition, s, &is_relation);
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

pub(crate) fn unfixed_reason(r: &Reason, why: impl Into<String>) -> Unfixed {
    Unfixed {
        finding: r.clone(),
        why: why.into(),
    }
}

/// A part of a table, for reasons: a column, key, index or constraint by
/// its kind and name (the primary key, one per table, by its kind alone),
/// the table's comment, or its options.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Part {
    Of(ObjectKind, String),
    Comment,
    /// The table's options.
    Options,
}

impl Part {
    pub(crate) fn column(name: &str) -> Self {
        Part::Of(ObjectKind::Column, name.to_string())
    }

    pub(crate) fn primary_key() -> Self {
        Part::Of(ObjectKind::PrimaryKey, String::new())
    }
}

/// An orphan column whose values move to a quarantine table, keyed by
/// the primary key of their rows, before it is dropped.
#[derive(Debug, Clone)]
pub(crate) struct Moved {
    /// The quarantine table's schema.
    pub(crate) schema: String,
    /// The quarantine table.
    pub(crate) table: String,
    /// The primary key columns.
    pub(crate) key: Vec<String>,
    /// The name of the quarantine table's primary key.
    pub(crate) pk_name: String,
}

/// An existing table and what it should become.
#[derive(Debug)]
pub(crate) struct Target<'a> {
    pub(crate) schema: String,
    pub(crate) name: String,
    pub(crate) actual: &'a Table,
    pub(crate) target: Table,
    /// Columns quarantined in place (no primary key): old name → new name.
    pub(crate) renames: BTreeMap<String, String>,
    /// Columns whose values move to a quarantine table, then dropped.
    pub(crate) moved: BTreeMap<String, Moved>,
    /// Findings behind each change.
    pub(crate) reasons: BTreeMap<Part, Vec<Reason>>,
    /// Why a derived change (no finding of its own) is made.
    pub(crate) notes: BTreeMap<Part, String>,
    /// Foreign keys to drop and re-add around a column type change.
    pub(crate) fk_rebuild: BTreeSet<String>,
}

impl<'a> Target<'a> {
    pub(crate) fn new(schema: &str, name: &str, actual: &'a Table) -> Self {
        Target {
            schema: schema.to_string(),
            name: name.to_string(),
            actual,
            target: actual.clone(),
            renames: BTreeMap::new(),
            moved: BTreeMap::new(),
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

    pub(crate) fn note(&mut self, p: Part, why: String) {
        self.notes.entry(p).or_insert(why);
    }
}

/// An orphan table to quarantine or drop.
#[derive(Debug)]
pub(crate) struct Removal<'a> {
    pub(crate) schema: String,
    pub(crate) name: String,
    pub(crate) table: &'a Table,
    /// `Some(new name)` to quarantine (PostgreSQL: the name it takes in
    /// the quarantine schema); `None` to drop.
    pub(crate) quarantine_as: Option<String>,
    /// Quarantined: the parts whose names the table shares with the rest
    /// of the schema (see [`names`]), with their new names, so that the
    /// expected objects can take the old ones (PostgreSQL: names free in
    /// the quarantine schema too, with its owned sequences).
    pub(crate) renamed_parts: Vec<(Name, String)>,
    pub(crate) reasons: Vec<Reason>,
}

/// Everything resolved.
pub(crate) struct Resolved<'a> {
    pub(crate) targets: BTreeMap<QualifiedName, Target<'a>>,
    pub(crate) removals: Vec<Removal<'a>>,
    pub(crate) creates: BTreeMap<QualifiedName, (Table, Vec<Reason>)>,
}

/// Collects steps by phase.
#[derive(Default)]
pub(crate) struct Out {
    pub(crate) steps: Vec<(Phase, FixStep)>,
    /// Tables whose change requires the views that read them to be dropped
    /// first and created again afterwards.
    pub(crate) view_changed: BTreeSet<QualifiedName>,
    /// Tables dropped outright.
    pub(crate) dropped_tables: BTreeSet<QualifiedName>,
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
    /// Commits on its own (see [`FixStep::online`]).
    pub(crate) online: bool,
    /// Runs outside any transaction.
    pub(crate) outside_transaction: bool,
    /// What a rerun does after an interruption here.
    pub(crate) on_rerun: Option<String>,
    /// Runs its one statement until it changes no row (see [`FixStep::batched`]).
    pub(crate) batched: bool,
    /// Removes what a failed run of an outside-transaction step leaves.
    pub(crate) undo: Option<String>,
    /// MySQL/MariaDB: the algorithm of the step's column change (see
    /// [`FixStep::algorithm`]).
    pub(crate) algorithm: Option<AlterAlgorithm>,
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
            online: false,
            outside_transaction: false,
            on_rerun: None,
            batched: false,
            undo: None,
            algorithm: None,
        }
    }

    /// Makes the step online: it commits on its own (outside any
    /// transaction with `outside`), and `rerun` says what a rerun does
    /// after an interruption here.
    pub(crate) fn make_online(&mut self, outside: bool, rerun: &str) {
        self.online = true;
        self.outside_transaction = outside;
        self.on_rerun = Some(rerun.to_string());
    }

    /// The step runs one statement, in the plan and in the script alike.
    pub(crate) fn statement(&mut self, stmt: String) {
        self.script = vec![stmt.clone()];
        self.sql = vec![stmt];
    }

    /// The step runs one statement, which the script runs only when `cond`
    /// holds.
    pub(crate) fn guarded_statement(&mut self, d: Dialect, cond: &Cond, stmt: String) {
        self.script = sql::writer(d).guarded(cond, std::slice::from_ref(&stmt));
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
        // The step's header names its action and object already.
        if let Some(n) = spec.note {
            reason.push(n.to_string());
        }
        if reason.is_empty() {
            // The action names the kind (`rebuild enum type`, `drop column`).
            reason.push(format!("{} {}", spec.action, spec.object.path()));
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
                completes: None,
                hazard: None,
                online: spec.online,
                outside_transaction: spec.outside_transaction,
                on_rerun: spec.on_rerun,
                batched: spec.batched,
                undo: spec.undo,
                algorithm: spec.algorithm,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: `rebuild enum type enum public.mood`, `drop column
    /// column …`: the action names the kind, the object only its path; and
    /// a reason whose message names the object does not repeat it.
    #[test]
    fn reasons_name_the_object_once() {
        let mut out = Out::default();
        let object = ObjectRef::schema_object(ObjectKind::Enum, "public", Some("mood"));
        let mut spec = StepSpec::new(object.clone(), "rebuild enum type", Safety::Locking);
        spec.statement("DROP TYPE mood".into());
        out.push(Phase::Types, spec);
        assert_eq!(out.steps[0].1.reason, "rebuild enum type public.mood");

        let column = ObjectRef::table_part(ObjectKind::Column, "public", "orders", "note");
        let missing = Reason {
            rule: "missing-column".into(),
            object: column.clone(),
            message: "column public.orders.note is missing".into(),
        };
        assert_eq!(
            missing.to_string(),
            "missing-column: column public.orders.note is missing"
        );
        let terse = Reason {
            message: "is missing".into(),
            ..missing
        };
        assert_eq!(
            terse.to_string(),
            "missing-column: column public.orders.note: is missing"
        );
    }
}
