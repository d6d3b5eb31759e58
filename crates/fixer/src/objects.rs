//! Steps for schema-level objects: schemas, sequences, enum types, views.

use std::collections::{BTreeMap, BTreeSet};

use driftless_model::{
    Column, Dialect, Enum, IndexKey, ObjectKind, ObjectRef, QualifiedName, Sequence, View,
};

use crate::guard::{self, Cond};
use crate::model::{unfixed_reason, Act, Ctx, Out, Phase, Resolved, StepSpec, Target, Work};
use crate::names::Mentions;
use crate::options::Orphans;
use crate::plan::{PlanError, Preflight, PreflightKind, Reason};
use crate::quote::literal;
use crate::safety::Safety;
use crate::sql::{Commented, Constraint, Postgres, Writer};
use crate::types::{self, Rows};

fn obj(kind: ObjectKind, s: &str, n: &str) -> ObjectRef {
    ObjectRef::schema_object(kind, s, Some(n))
}

/// Schemas (PostgreSQL, the planner's only dialect with schema work):
/// create, drop, comment.
pub(crate) fn schemas(ctx: &Ctx<'_>, work: &Work, out: &mut Out) -> Result<(), PlanError> {
    for (n, (act, reasons)) in &work.schemas {
        let exp = ctx.exp.schemas.get(n);
        let actual = ctx.act.schemas.get(n);
        let object = ObjectRef::schema_object(ObjectKind::Schema, n, None);
        match (act, exp, actual) {
            (Act::Create, Some(e), None) | (Act::Replace, Some(e), None) => {
                let mut spec = StepSpec::new(object.clone(), "create schema", Safety::Safe);
                spec.fixes = reasons.clone();
                spec.sql = vec![Postgres.create_schema(n, false)];
                spec.script = vec![Postgres.create_schema(n, true)];
                out.push(Phase::Schemas, spec);
                if let Some(c) = &e.comment {
                    let stmt = Postgres.comment(Commented::Schema(n), Some(c))?;
                    out.push_safe(Phase::Comments, object, "comment", reasons, stmt);
                }
            }
            (Act::Drop, None, Some(a)) => {
                let kept = kept_in_schema(ctx, work, n, a);
                if !kept.is_empty() {
                    out.unfixed.extend(reasons.iter().map(|r| {
                        unfixed_reason(
                            r,
                            format!(
                                "the plan leaves {} in it; the schema is dropped once it is empty",
                                kept.join(", ")
                            ),
                        )
                    }));
                    continue;
                }
                let mut spec = StepSpec::new(object, "drop schema", Safety::Destructive);
                spec.fixes = reasons.clone();
                spec.sql = vec![Postgres.drop_schema(n, false)];
                spec.script = vec![Postgres.drop_schema(n, true)];
                out.push(Phase::DropSchemas, spec);
            }
            (_, Some(e), Some(a)) if e.comment != a.comment => {
                let stmt = Postgres.comment(Commented::Schema(n), e.comment.as_deref())?;
                out.push_safe(Phase::Comments, object, "comment", reasons, stmt);
            }
            _ => out.unfixed.extend(reasons.iter().map(|r| {
                unfixed_reason(
                    r,
                    "the schema is the same on both sides, or missing on the side the fix needs",
                )
            })),
        }
    }
    Ok(())
}

/// What orphan schema `n` (`a` on the actual side) still holds after the
/// plan: the tables, views, sequences, enums and objects no finding asks
/// to remove (or that `--orphans keep` keeps), and every object of a kind
/// the model does not compare. Objects on a removed table go with it.
fn kept_in_schema(ctx: &Ctx<'_>, work: &Work, n: &str, a: &driftless_model::Schema) -> Vec<String> {
    let key = |t: &str| QualifiedName::new(n.to_string(), t.to_string());
    let removed =
        |t: &str| work.tables_remove.contains_key(&key(t)) && ctx.options.orphans != Orphans::Keep;
    let dropped = |m: &BTreeMap<QualifiedName, (Act, Vec<Reason>)>, o: &str| {
        m.get(&key(o)).is_some_and(|(act, _)| *act == Act::Drop)
    };
    let mut kept: Vec<String> = Vec::new();
    kept.extend(
        a.tables
            .keys()
            .filter(|t| !removed(t))
            .map(|t| format!("table {t}")),
    );
    kept.extend(
        a.views
            .keys()
            .filter(|v| !dropped(&work.views, v))
            .map(|v| format!("view {v}")),
    );
    kept.extend(
        a.enums
            .keys()
            .filter(|e| !dropped(&work.enums, e))
            .map(|e| format!("type {e}")),
    );
    kept.extend(
        a.sequences
            .iter()
            .filter(|(q, seq)| {
                let owner_removed = seq.owned_by.as_ref().is_some_and(|o| removed(&o.table));
                !dropped(&work.sequences, q) && !owner_removed
            })
            .map(|(q, _)| format!("sequence {q}")),
    );
    for o in ctx
        .act
        .objects
        .iter()
        .filter(|o| o.schema.as_deref() == Some(n))
    {
        let on_removed = o.table.as_deref().is_some_and(removed);
        let drop = work
            .defined
            .get(&o.object())
            .is_some_and(|(act, _)| *act == Act::Drop);
        if !on_removed && !drop {
            kept.push(o.label());
        }
    }
    for o in ctx
        .act
        .unmodeled
        .iter()
        .filter(|o| o.schema.as_deref() == Some(n))
    {
        if o.extension.is_none() && !o.table.as_deref().is_some_and(removed) {
            kept.push(format!("{} {}", o.kind, o.label()));
        }
    }
    kept
}

fn exp_sequence<'a>(ctx: &Ctx<'a>, s: &str, n: &str) -> Option<&'a Sequence> {
    ctx.exp.schemas.get(ctx.exp_schema(s)?)?.sequences.get(n)
}

fn act_sequence<'a>(ctx: &Ctx<'a>, s: &str, n: &str) -> Option<&'a Sequence> {
    ctx.act.schemas.get(ctx.act_schema(s)?)?.sequences.get(n)
}

/// The sequence a `nextval('…'::regclass)` default names.
fn nextval_target(default: &str, schema: &str) -> Option<QualifiedName> {
    let lower = default.to_ascii_lowercase();
    let start = lower.find("nextval(")? + "nextval(".len();
    let rest = default.get(start..)?.trim_start();
    let rest = rest.strip_prefix('\'')?;
    let mut name = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            if chars.peek() == Some(&'\'') {
                chars.next();
                name.push('\'');
                continue;
            }
            break;
        }
        name.push(c);
    }
    let (s, n) = types::split_pg_type_name(&name)?;
    Some(QualifiedName::new(
        s.unwrap_or_else(|| schema.to_string()),
        n,
    ))
}

/// Sequences (PostgreSQL): create, alter, own, drop — and create the
/// sequences that new defaults (`nextval`) need.
pub(crate) fn sequences(
    ctx: &Ctx<'_>,
    work: &Work,
    r: &Resolved<'_>,
    out: &mut Out,
) -> Result<(), PlanError> {
    let d = ctx.d;
    if d != Dialect::Postgres {
        for (_, reasons) in work.sequences.values() {
            out.unfixed.extend(reasons.iter().map(|r| {
                unfixed_reason(
                    r,
                    format!("driftless manages sequences on PostgreSQL only, not on {d}"),
                )
            }));
        }
        return Ok(());
    }
    let wanted = wanted_sequences(ctx, work, r);
    let dropped_columns: BTreeSet<(QualifiedName, String)> = r
        .targets
        .iter()
        .flat_map(|(k, t)| {
            t.actual
                .columns
                .keys()
                .filter(|c| !t.target.columns.contains_key(*c) && !t.renames.contains_key(*c))
                .map(move |c| (k.clone(), c.clone()))
        })
        .collect();
    for (QualifiedName { schema: s, name: n }, (act, reasons, note)) in &wanted {
        let (exp, actual) = (exp_sequence(ctx, s, n), act_sequence(ctx, s, n));
        let seq = SequenceWork {
            s,
            n,
            reasons,
            note: note.as_deref(),
        };
        match (act, exp, actual) {
            (Act::Drop, _, Some(a)) => {
                let owner_dropped = a.owned_by.as_ref().is_some_and(|o| {
                    let k = QualifiedName::new(s.clone(), o.table.clone());
                    out.dropped_tables.contains(&k)
                        || dropped_columns.contains(&(k, o.column.clone()))
                });
                // Otherwise dropped with its owner.
                if !owner_dropped {
                    seq.drop(out);
                }
            }
            (Act::Create | Act::Replace, Some(e), None) => seq.create(e, out)?,
            (Act::Create | Act::Replace, Some(e), Some(a)) => seq.alter(e, a, out)?,
            _ => {
                out.unfixed.extend(reasons.iter().map(|r| {
                    unfixed_reason(r, "the sequence is missing on the side the fix needs")
                }))
            }
        }
    }
    Ok(())
}

/// What the plan asks of each sequence (with the reasons and a note),
/// including the sequences that defaults set by this plan call `nextval`
/// on and the database lacks.
type WantedSequences = BTreeMap<QualifiedName, (Act, Vec<crate::plan::Reason>, Option<String>)>;

fn wanted_sequences(ctx: &Ctx<'_>, work: &Work, r: &Resolved<'_>) -> WantedSequences {
    let mut wanted: WantedSequences = work
        .sequences
        .iter()
        .map(|(k, (a, rs))| (k.clone(), (*a, rs.clone(), None)))
        .collect();
    let mut defaults: Vec<(String, String, String, &Column)> = Vec::new();
    for (QualifiedName { schema: s, name: t }, (table, _)) in &r.creates {
        for (c, col) in &table.columns {
            defaults.push((s.clone(), t.clone(), c.clone(), col));
        }
    }
    for (QualifiedName { schema: s, name: t }, target) in &r.targets {
        for (c, col) in &target.target.columns {
            if target.actual.columns.get(c).map(|a| &a.default) != Some(&col.default) {
                defaults.push((s.clone(), t.clone(), c.clone(), col));
            }
        }
    }
    for (s, t, c, col) in defaults {
        let Some(dflt) = &col.default else { continue };
        let Some(key) = nextval_target(dflt, &s) else {
            continue;
        };
        if exp_sequence(ctx, &key.schema, &key.name).is_some()
            && act_sequence(ctx, &key.schema, &key.name).is_none()
            && !wanted.contains_key(&key)
        {
            wanted.insert(
                key,
                (
                    Act::Create,
                    Vec::new(),
                    Some(format!("the default of {s}.{t}.{c} uses it")),
                ),
            );
        }
    }
    wanted
}

/// One PostgreSQL sequence to change.
struct SequenceWork<'a> {
    s: &'a str,
    n: &'a str,
    reasons: &'a [crate::plan::Reason],
    note: Option<&'a str>,
}

impl SequenceWork<'_> {
    fn object(&self) -> ObjectRef {
        obj(ObjectKind::Sequence, self.s, self.n)
    }

    fn own(&self, seq: &Sequence) -> String {
        Postgres.sequence_owned_by(
            self.s,
            self.n,
            seq.owned_by
                .as_ref()
                .map(|o| (o.table.as_str(), o.column.as_str())),
        )
    }

    fn drop(&self, out: &mut Out) {
        let mut spec = StepSpec::new(self.object(), "drop sequence", Safety::Destructive);
        spec.fixes = self.reasons.to_vec();
        spec.sql = vec![Postgres.drop_sequence(self.s, self.n, false)];
        spec.script = vec![Postgres.drop_sequence(self.s, self.n, true)];
        out.push(Phase::DropSequences, spec);
    }

    fn create(&self, e: &Sequence, out: &mut Out) -> Result<(), PlanError> {
        let mut spec = StepSpec::new(self.object(), "create sequence", Safety::Safe);
        spec.fixes = self.reasons.to_vec();
        spec.note = self.note;
        spec.sql = vec![Postgres.create_sequence(self.s, self.n, e, false)?];
        spec.script = vec![Postgres.create_sequence(self.s, self.n, e, true)?];
        out.push(Phase::Sequences, spec);
        if e.comment.is_some() {
            self.comment(e, out)?;
        }
        if e.owned_by.is_some() {
            let mut spec = StepSpec::new(self.object(), "set sequence owner", Safety::Safe);
            spec.fixes = self.reasons.to_vec();
            spec.note = self.note;
            spec.statement(self.own(e));
            out.push(Phase::SequenceOwnership, spec);
        }
        Ok(())
    }

    fn alter(&self, e: &Sequence, a: &Sequence, out: &mut Out) -> Result<(), PlanError> {
        let mut opts_a = a.clone();
        opts_a.owned_by = e.owned_by.clone();
        opts_a.comment = e.comment.clone();
        if opts_a != *e {
            let stmt = Postgres.alter_sequence(self.s, self.n, e)?;
            out.push_safe(
                Phase::Sequences,
                self.object(),
                "alter sequence",
                self.reasons,
                stmt,
            );
        }
        if a.owned_by != e.owned_by {
            out.push_safe(
                Phase::SequenceOwnership,
                self.object(),
                "set sequence owner",
                self.reasons,
                self.own(e),
            );
        }
        if a.comment != e.comment {
            self.comment(e, out)?;
        }
        Ok(())
    }

    /// Sets the sequence's comment to `e`'s.
    fn comment(&self, e: &Sequence, out: &mut Out) -> Result<(), PlanError> {
        let on = Commented::Sequence(self.s, self.n);
        let stmt = Postgres.comment(on, e.comment.as_deref())?;
        out.push_safe(
            Phase::Comments,
            self.object(),
            "comment",
            self.reasons,
            stmt,
        );
        Ok(())
    }
}

fn exp_enum<'a>(ctx: &Ctx<'a>, s: &str, n: &str) -> Option<&'a Enum> {
    ctx.exp.schemas.get(ctx.exp_schema(s)?)?.enums.get(n)
}

fn act_enum<'a>(ctx: &Ctx<'a>, s: &str, n: &str) -> Option<&'a Enum> {
    ctx.act.schemas.get(ctx.act_schema(s)?)?.enums.get(n)
}

/// Whether `small` appears in `big` in the same relative order.
fn is_subsequence(small: &[String], big: &[String]) -> bool {
    let mut it = big.iter();
    small.iter().all(|x| it.any(|y| y == x))
}

/// Enum types (PostgreSQL): create, add labels in place, rebuild when
/// labels are removed or reordered, drop.
pub(crate) fn enums(
    ctx: &Ctx<'_>,
    work: &Work,
    r: &Resolved<'_>,
    out: &mut Out,
) -> Result<(), PlanError> {
    let d = ctx.d;
    if d != Dialect::Postgres {
        for (_, reasons) in work.enums.values() {
            out.unfixed.extend(reasons.iter().map(|r| unfixed_reason(r, "enum types exist on PostgreSQL only; MySQL enums are column types (fixed as column type changes)")));
        }
        return Ok(());
    }
    // The actual columns typed by each enum, found once for all rebuilds.
    let mut typed_by: BTreeMap<(&str, &str), Vec<EnumColumn<'_>>> = BTreeMap::new();
    if !work.enums.is_empty() {
        for (ts, tn, table) in ctx.act.tables() {
            for (c, col) in &table.columns {
                let base = col.data_type.trim_end_matches("[]");
                if let Some((es, en, _)) = types::pg_enum_labels(ctx.act, ts, base) {
                    typed_by.entry((es, en)).or_default().push(EnumColumn {
                        schema: ts,
                        table: tn,
                        name: c,
                        column: col,
                    });
                }
            }
        }
    }
    for (QualifiedName { schema: s, name: n }, (act, reasons)) in &work.enums {
        let (exp, actual) = (exp_enum(ctx, s, n), act_enum(ctx, s, n));
        let object = obj(ObjectKind::Enum, s, n);
        match (act, exp, actual) {
            (Act::Drop, None, Some(_)) => {
                let mut spec = StepSpec::new(object, "drop enum type", Safety::Destructive);
                spec.fixes = reasons.clone();
                spec.sql = vec![Postgres.drop_type(s, n, false)];
                spec.script = vec![Postgres.drop_type(s, n, true)];
                out.push(Phase::DropTypes, spec);
            }
            (Act::Create | Act::Replace, Some(e), None) => {
                let stmt = Postgres.create_enum(s, n, &e.labels);
                let mut spec = StepSpec::new(object.clone(), "create enum type", Safety::Safe);
                spec.fixes = reasons.clone();
                spec.guarded_statement(
                    d,
                    &Cond::Type {
                        schema: s.clone(),
                        name: n.clone(),
                    }
                    .not(),
                    stmt,
                );
                out.push(Phase::Types, spec);
                if let Some(c) = &e.comment {
                    let stmt = Postgres.comment(Commented::Type(s, n), Some(c))?;
                    out.push_safe(Phase::Comments, object, "comment", reasons, stmt);
                }
            }
            (_, Some(e), Some(a)) => {
                if e.labels != a.labels {
                    let new: Vec<&String> =
                        e.labels.iter().filter(|l| !a.labels.contains(l)).collect();
                    let used_now =
                        new.iter().any(|l| {
                            let lit = literal(d, l);
                            out.all_sql().any(|q| q.contains(&lit))
                                || ctx.exp.schemas.values().any(|sc| {
                                    sc.views.values().any(|v| v.definition.contains(&lit))
                                })
                                || ctx.exp.objects.iter().any(|o| o.definition.contains(&lit))
                        });
                    // A label used in the same transaction that adds it is
                    // refused ("unsafe use of new value"): unless the fix is
                    // atomic, the labels commit first in a step of their own.
                    let own_commit = used_now && ctx.options.online_threshold.is_some();
                    if is_subsequence(&a.labels, &e.labels) && (!used_now || own_commit) {
                        let mut spec = add_labels(s, n, &a.labels, &e.labels, reasons, &object);
                        if own_commit {
                            spec.make_online(false, LABELS_RERUN);
                        }
                        out.push(Phase::Types, spec);
                    } else {
                        let typed = typed_by
                            .get(&(s.as_str(), n.as_str()))
                            .map_or(&[][..], Vec::as_slice);
                        rebuild_enum(ctx, r, s, n, a, e, typed, reasons, &object, out)?;
                    }
                }
                if e.comment != a.comment {
                    let stmt = Postgres.comment(Commented::Type(s, n), e.comment.as_deref())?;
                    out.push_safe(Phase::Comments, object, "comment", reasons, stmt);
                }
            }
            _ => {
                out.unfixed.extend(reasons.iter().map(|r| {
                    unfixed_reason(r, "the enum type is missing on the side the fix needs")
                }))
            }
        }
    }
    Ok(())
}

/// What a rerun does after labels committed in a step of their own.
const LABELS_RERUN: &str = "the labels commit before the steps that use them (PostgreSQL refuses a label in the transaction that adds it); after an interruption they stay, and a rerun finds them present";

/// The step adding to enum `s.n` (labels `have`) the labels of `want` it
/// lacks, each in its place.
fn add_labels<'r>(
    s: &str,
    n: &str,
    have: &[String],
    want: &[String],
    reasons: &[crate::plan::Reason],
    object: &ObjectRef,
) -> StepSpec<'r> {
    let mut sql_v = Vec::new();
    let mut script = Vec::new();
    for (i, label) in want.iter().enumerate() {
        if have.contains(label) {
            continue;
        }
        // Before the next label the type already has; else after the previous one.
        let before = want[i + 1..]
            .iter()
            .find(|l| have.contains(l))
            .map(String::as_str);
        let after = if before.is_none() && i > 0 {
            Some(want[i - 1].as_str())
        } else {
            None
        };
        sql_v.push(Postgres.add_enum_value(s, n, label, before, after, false));
        script.push(Postgres.add_enum_value(s, n, label, before, after, true));
    }
    let mut spec = StepSpec::new(object.clone(), "add enum labels", Safety::Safe);
    spec.fixes = reasons.to_vec();
    spec.sql = sql_v;
    spec.script = script;
    spec
}

/// An actual column typed by an enum (or an array of it).
struct EnumColumn<'a> {
    schema: &'a str,
    table: &'a str,
    name: &'a str,
    column: &'a Column,
}

/// Rebuilds enum `s.n` from `a` to `e`; `typed` are the actual columns of
/// the type, which are converted to the new one.
#[allow(clippy::too_many_arguments)]
fn rebuild_enum(
    ctx: &Ctx<'_>,
    r: &Resolved<'_>,
    s: &str,
    n: &str,
    a: &Enum,
    e: &Enum,
    typed: &[EnumColumn<'_>],
    reasons: &[crate::plan::Reason],
    object: &ObjectRef,
    out: &mut Out,
) -> Result<(), PlanError> {
    let d = Dialect::Postgres;
    let taken = |x: &str| {
        ctx.act
            .schemas
            .values()
            .any(|sc| sc.enums.contains_key(x) || sc.tables.contains_key(x))
    };
    let old = crate::names::quarantine_name(d, n, &taken).replacen(
        "_driftless_quarantine_",
        "_driftless_old_",
        1,
    );
    let removed: Vec<&String> = a.labels.iter().filter(|l| !e.labels.contains(l)).collect();
    let mut stmts = vec![
        Postgres.rename_type(s, n, &old),
        Postgres.create_enum(s, n, &e.labels),
    ];
    let mut preflight = Vec::new();
    let rebuild = EnumRebuild {
        ctx,
        r,
        s,
        n,
        removed: &removed,
    };
    for typed_column in typed {
        rebuild.convert(typed_column, &mut stmts, &mut preflight, out)?;
    }
    let safety = if removed.is_empty() {
        Safety::Locking
    } else {
        Safety::DataLoss
    };
    let mut spec = StepSpec::new(object.clone(), "rebuild enum type", safety);
    spec.fixes = reasons.to_vec();
    spec.note = Some("labels are removed or reordered (or new labels are used in the same transaction): the type is renamed aside, created anew, and its columns converted through text");
    spec.script = Postgres.guarded(
        &Cond::EnumLabelsDiffer {
            schema: s.into(),
            name: n.into(),
            labels: e.labels.clone(),
        },
        &stmts,
    );
    spec.sql = stmts;
    spec.preflight = preflight;
    out.push(Phase::Types, spec);
    // Part of the rebuild: withheld with it when its class is not allowed.
    let mut spec = StepSpec::new(object.clone(), "drop old enum type", safety);
    spec.fixes = reasons.to_vec();
    spec.sql = vec![Postgres.drop_type(s, &old, false)];
    spec.script = vec![Postgres.drop_type(s, &old, true)];
    out.push(Phase::DropTypes, spec);
    Ok(())
}

/// An enum type being rebuilt: its columns are converted to the new type.
struct EnumRebuild<'a> {
    ctx: &'a Ctx<'a>,
    r: &'a Resolved<'a>,
    s: &'a str,
    n: &'a str,
    removed: &'a [&'a String],
}

impl EnumRebuild<'_> {
    /// Converts one column typed by the enum (unless its table goes, or
    /// the column leaves the type by its own step), counting the rows that
    /// hold removed labels.
    fn convert(
        &self,
        typed_column: &EnumColumn<'_>,
        stmts: &mut Vec<String>,
        preflight: &mut Vec<Preflight>,
        out: &mut Out,
    ) -> Result<(), PlanError> {
        let (ctx, r, s, n, removed) = (self.ctx, self.r, self.s, self.n, self.removed);
        let (ts, tn, c, col) = (
            typed_column.schema,
            typed_column.table,
            typed_column.name,
            typed_column.column,
        );
        let key = QualifiedName::new(ctx.key_schema(ts), tn);
        if r.removals
            .iter()
            .any(|rm| rm.quarantine_as.is_none() && rm.schema == key.schema && rm.name == key.name)
        {
            return Ok(());
        }
        let array = col.data_type.trim_end().ends_with("[]");
        // Columns that leave the type, or go, are handled by their own steps.
        let target_col = match r.targets.get(&key) {
            Some(t) => match t
                .target
                .columns
                .get(c)
                .or_else(|| t.renames.get(c).and_then(|q| t.target.columns.get(q)))
            {
                Some(tc) => Some(tc),
                None => return Ok(()),
            },
            None => None,
        };
        if let Some(tc) = target_col {
            if tc.data_type != col.data_type {
                return Ok(());
            }
        }
        let mut new_col = col.clone();
        new_col.data_type = Postgres.type_name(s, n, array);
        new_col.collation = None;
        let around = self.compared_with_labels(typed_column, r.targets.get(&key))?;
        stmts.extend(around.0);
        if col.default.is_some() {
            stmts.push(Postgres.alter_column_default(ts, tn, c, None)?);
        }
        stmts.push(Postgres.alter_column_type(ts, tn, c, &new_col, true)?);
        let dflt = target_col
            .map(|tc| tc.default.clone())
            .unwrap_or_else(|| col.default.clone());
        if let Some(df) = dflt {
            stmts.push(Postgres.alter_column_default(ts, tn, c, Some(&df))?);
        }
        stmts.extend(around.1);
        out.view_changed.insert(key.clone());
        if !removed.is_empty() {
            let rows = Rows::HoldsAny {
                labels: removed.iter().map(|l| l.to_string()).collect(),
                array,
            };
            preflight.push(Preflight {
                kind: PreflightKind::CountAffected,
                sql: Postgres.count_rows(ts, tn, Some((c, &rows))),
                message: format!("rows of {ts}.{tn}.{c} hold labels removed from {s}.{n} and cannot be converted"),
            });
        }
        Ok(())
    }
}

impl EnumRebuild<'_> {
    /// The partial or expression indexes and the checks of the column's
    /// table that compare the column with the enum's labels, which the plan
    /// leaves as they are: dropped before the conversion (their
    /// expressions would compare the new type with the old one) and made
    /// again after it. Those the plan changes have their own steps.
    fn compared_with_labels(
        &self,
        typed_column: &EnumColumn<'_>,
        target: Option<&Target<'_>>,
    ) -> Result<(Vec<String>, Vec<String>), PlanError> {
        let (ts, tn, c) = (typed_column.schema, typed_column.table, typed_column.name);
        let Some(table) = self.ctx.act_table(ts, tn) else {
            return Ok((Vec::new(), Vec::new()));
        };
        let uses = |text: &str| {
            let m = Mentions::new(Dialect::Postgres, text);
            m.has(c) || m.has(self.n)
        };
        let (mut before, mut after) = (Vec::new(), Vec::new());
        for (name, index) in &table.indexes {
            let kept = target.is_none_or(|t| t.target.indexes.get(name) == Some(index));
            let exprs = index.parts.iter().filter_map(|p| match &p.key {
                IndexKey::Expression(e) => Some(e.as_str()),
                IndexKey::Column(_) => None,
            });
            let compared = index
                .predicate
                .iter()
                .map(String::as_str)
                .chain(exprs)
                .any(uses);
            if kept && compared {
                before.push(Postgres.drop_index(ts, tn, name, false));
                after.push(Postgres.create_index(ts, tn, name, index, false)?);
            }
        }
        for (name, check) in &table.checks {
            let kept = target.is_none_or(|t| t.target.checks.get(name) == Some(check));
            if kept && uses(&check.expression) {
                before.push(Postgres.alter_constraint(ts, tn, Constraint::DropCheck(name))?);
                after.push(Postgres.alter_constraint(ts, tn, Constraint::AddCheck(name, check))?);
            }
        }
        Ok((before, after))
    }
}

/// Orders `names` so that a view comes after the views its definition mentions.
fn topo_order(
    d: Dialect,
    names: &[QualifiedName],
    def_of: &dyn Fn(&QualifiedName) -> Option<String>,
) -> Vec<QualifiedName> {
    let deps: BTreeMap<&QualifiedName, BTreeSet<&QualifiedName>> = names
        .iter()
        .map(|k| {
            let def = Mentions::new(d, &def_of(k).unwrap_or_default());
            let ds = names
                .iter()
                .filter(|o| *o != k && def.has(&o.name))
                .collect();
            (k, ds)
        })
        .collect();
    let mut done: Vec<QualifiedName> = Vec::new();
    let mut left: Vec<&QualifiedName> = names.iter().collect();
    while !left.is_empty() {
        let pos = left
            .iter()
            .position(|k| deps[k].iter().all(|dep| done.contains(dep)))
            .unwrap_or(0);
        done.push(left.remove(pos).clone());
    }
    done
}

/// Views: drop the ones that go, are replaced, or read a table that changes
/// shape; create them again (in dependency order) at the end.
pub(crate) fn views(ctx: &Ctx<'_>, work: &Work, out: &mut Out) -> Result<(), PlanError> {
    let mut act_views: BTreeMap<QualifiedName, &View> = BTreeMap::new();
    for (s, sc) in &ctx.act.schemas {
        for (v, view) in &sc.views {
            act_views.insert(QualifiedName::new(ctx.key_schema(s), v.clone()), view);
        }
    }
    let views = Views {
        ctx,
        work,
        act_views,
    };
    let affected = views.affected(out);
    let dependent = views.dependent(&affected, out);
    let (create, lost) = views.to_create(&dependent, out);
    views.drop(&affected, &dependent, &create, &lost, out);
    views.create(&create, out)?;
    views.indexes(&create, out)?;
    views.comments(&create, out)
}

/// The view work of one plan: what the fix asks for, and the views the
/// database has.
struct Views<'a> {
    ctx: &'a Ctx<'a>,
    work: &'a Work,
    act_views: BTreeMap<QualifiedName, &'a View>,
}

/// Views to create at the end: the definition, and whether it is created
/// again only because what it reads changed.
type Creates = BTreeMap<QualifiedName, (View, bool)>;

impl Views<'_> {
    fn exp_view(&self, k: &QualifiedName) -> Option<&View> {
        let ctx = self.ctx;
        ctx.exp
            .schemas
            .get(ctx.exp_schema(&k.schema)?)?
            .views
            .get(&k.name)
    }

    fn reasons_of(&self, k: &QualifiedName) -> Vec<Reason> {
        self.work
            .views
            .get(k)
            .map(|(_, r)| r.clone())
            .unwrap_or_default()
    }

    fn explicit_drop(&self, k: &QualifiedName) -> bool {
        matches!(self.work.views.get(k), Some((Act::Drop, _)))
    }

    /// Views whose definition must be dropped first.
    fn affected(&self, out: &mut Out) -> BTreeSet<QualifiedName> {
        let mut affected: BTreeSet<QualifiedName> = BTreeSet::new();
        for (k, (act, reasons)) in &self.work.views {
            match (
                act,
                self.act_views.contains_key(k),
                self.exp_view(k).is_some(),
            ) {
                (Act::Drop, true, _) | (Act::Replace, true, true) | (Act::Create, true, true) => {
                    affected.insert(k.clone());
                }
                (Act::Create, false, true) | (Act::Replace, false, true) => {}
                _ => {
                    out.unfixed.extend(reasons.iter().map(|r| {
                        unfixed_reason(r, "the view is missing on the side the fix needs")
                    }))
                }
            }
        }
        affected
    }

    /// Views that read a changed table, or an affected view (transitively).
    /// Each definition is lexed once, whatever the number of questions.
    fn dependent(&self, affected: &BTreeSet<QualifiedName>, out: &Out) -> BTreeSet<QualifiedName> {
        let act_mentions: BTreeMap<&QualifiedName, Mentions> = self
            .act_views
            .iter()
            .map(|(k, v)| (k, Mentions::new(self.ctx.d, &v.definition)))
            .collect();
        let mut dependent: BTreeSet<QualifiedName> = BTreeSet::new();
        loop {
            let mut grew = false;
            for (k, m) in &act_mentions {
                if dependent.contains(*k) {
                    continue;
                }
                let reads_changed = out.view_changed.iter().any(|t| m.has(&t.name));
                let reads_view = affected
                    .iter()
                    .chain(dependent.iter())
                    .any(|o| o != *k && m.has(&o.name));
                if reads_changed || reads_view {
                    dependent.insert((*k).clone());
                    grew = true;
                }
            }
            if !grew {
                return dependent;
            }
        }
    }

    /// What to create at the end, with which definition; and the dependent
    /// views that are lost (they read a dropped table and are not expected).
    fn to_create(
        &self,
        dependent: &BTreeSet<QualifiedName>,
        out: &Out,
    ) -> (Creates, BTreeSet<QualifiedName>) {
        let mut create: Creates = BTreeMap::new();
        for (k, (act, _)) in &self.work.views {
            if matches!(act, Act::Create | Act::Replace) {
                if let Some(e) = self.exp_view(k) {
                    let mut v = e.clone();
                    v.definition = self.ctx.localize_sql(&k.schema, &v.definition);
                    create.insert(k.clone(), (v, false));
                }
            }
        }
        let mut lost: BTreeSet<QualifiedName> = BTreeSet::new();
        for k in dependent {
            if self.explicit_drop(k) || create.contains_key(k) {
                continue;
            }
            let a = self.act_views[k];
            // The expected definition when only the indexes differ (a
            // materialized view created again gets the expected ones).
            let def = match self.exp_view(k) {
                Some(e)
                    if e.definition == a.definition
                        && e.comment == a.comment
                        && e.options == a.options =>
                {
                    e.clone()
                }
                _ => a.clone(),
            };
            let def_mentions = Mentions::new(self.ctx.d, &def.definition);
            let reads_dropped = out.dropped_tables.iter().any(|t| def_mentions.has(&t.name));
            if reads_dropped && self.exp_view(k).is_none() {
                lost.insert(k.clone());
            } else {
                create.insert(k.clone(), (def, true));
            }
        }
        (create, lost)
    }

    /// Drops the affected and dependent views the database has, readers
    /// first.
    fn drop(
        &self,
        affected: &BTreeSet<QualifiedName>,
        dependent: &BTreeSet<QualifiedName>,
        create: &Creates,
        lost: &BTreeSet<QualifiedName>,
        out: &mut Out,
    ) {
        let d = self.ctx.d;
        let drops: Vec<QualifiedName> = affected
            .iter()
            .chain(dependent.iter())
            .filter(|k| self.act_views.contains_key(*k))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut drop_order = topo_order(d, &drops, &|k| {
            self.act_views.get(k).map(|v| v.definition.clone())
        });
        drop_order.reverse();
        for k in drop_order {
            let v = self.act_views[&k];
            let (safety, note) = if self.explicit_drop(&k) {
                (Safety::Destructive, None)
            } else if lost.contains(&k) {
                (
                    Safety::Destructive,
                    Some("it reads a table that is dropped, and the expected schema does not have it"),
                )
            } else if create.get(&k).is_some_and(|(_, derived)| *derived) {
                (
                    Safety::Safe,
                    Some("it reads a table or view that changes shape; it is created again afterwards"),
                )
            } else {
                (Safety::Safe, None)
            };
            let mut spec = StepSpec::new(
                obj(ObjectKind::View, &k.schema, &k.name),
                "drop view",
                safety,
            );
            spec.fixes = self.reasons_of(&k);
            spec.note = note;
            let w = self.ctx.sql();
            spec.sql = vec![w.drop_view(&k.schema, &k.name, v.materialized, false)];
            spec.script = vec![w.drop_view(&k.schema, &k.name, v.materialized, true)];
            out.push(Phase::DropViews, spec);
        }
    }

    /// Creates the views of `create`, what they read first.
    fn create(&self, create: &Creates, out: &mut Out) -> Result<(), PlanError> {
        let d = self.ctx.d;
        let names: Vec<QualifiedName> = create.keys().cloned().collect();
        for k in topo_order(d, &names, &|k| {
            create.get(k).map(|(v, _)| v.definition.clone())
        }) {
            let (v, derived) = &create[&k];
            let v = &self.ctx.qualify_view(&k.schema, v);
            let w = self.ctx.sql();
            let stmt = w.create_view(&k.schema, &k.name, v, false)?;
            let mut spec = StepSpec::new(
                obj(ObjectKind::View, &k.schema, &k.name),
                "create view",
                Safety::Safe,
            );
            spec.fixes = self.reasons_of(&k);
            if *derived {
                spec.note = Some("created again after the tables it reads changed");
            }
            spec.script = match d {
                Dialect::Sqlite => vec![w.create_view(&k.schema, &k.name, v, true)?],
                _ => w.guarded(
                    &guard::relation(&k.schema, &k.name).not(),
                    std::slice::from_ref(&stmt),
                ),
            };
            spec.sql = vec![stmt];
            if d == Dialect::Postgres {
                if let Some(c) = &v.comment {
                    let cm = w.comment(view_comment(&k.schema, &k.name, v), Some(c))?;
                    spec.sql.push(cm.clone());
                    spec.script.push(cm);
                }
            }
            out.push(Phase::Views, spec);
            for (n, idx) in &v.indexes {
                let mut spec = StepSpec::new(
                    ObjectRef::table_part(ObjectKind::Index, &k.schema, &k.name, n),
                    "create index",
                    Safety::Safe,
                );
                spec.fixes = self.reasons_of(&k);
                spec.note = Some("an index of a materialized view that is created");
                index_statements(d, &k.schema, &k.name, n, Some(idx), &mut spec)?;
                out.push(Phase::Views, spec);
            }
        }
        Ok(())
    }

    /// Indexes of materialized views that stay (created ones carry theirs):
    /// dropped, or dropped and created as expected.
    fn indexes(&self, create: &Creates, out: &mut Out) -> Result<(), PlanError> {
        let d = self.ctx.d;
        for (k, acts) in &self.work.view_indexes {
            if create.contains_key(k) {
                continue;
            }
            let (e, a) = (self.exp_view(k), self.act_views.get(k));
            for (n, (act, reasons)) in acts {
                let part = |action| {
                    let mut spec = StepSpec::new(
                        ObjectRef::table_part(ObjectKind::Index, &k.schema, &k.name, n),
                        action,
                        Safety::Safe,
                    );
                    spec.fixes = reasons.clone();
                    spec
                };
                if a.is_some_and(|a| a.indexes.contains_key(n)) {
                    let mut spec = part("drop index");
                    index_statements(d, &k.schema, &k.name, n, None, &mut spec)?;
                    out.push(Phase::DropConstraints, spec);
                }
                let wanted = e.and_then(|e| e.indexes.get(n));
                if let (Act::Create | Act::Replace, Some(idx)) = (act, wanted) {
                    let mut spec = part("create index");
                    spec.safety = Safety::Locking;
                    index_statements(d, &k.schema, &k.name, n, Some(idx), &mut spec)?;
                    out.push(Phase::Views, spec);
                }
            }
        }
        Ok(())
    }

    /// Comments of views that stay (created ones carry theirs).
    fn comments(&self, create: &Creates, out: &mut Out) -> Result<(), PlanError> {
        let d = self.ctx.d;
        for (k, reasons) in &self.work.view_comments {
            if create.contains_key(k) {
                continue; // created with its comment
            }
            match (d, self.exp_view(k), self.act_views.get(k)) {
                (Dialect::Postgres, Some(e), Some(_)) => {
                    let stmt = Postgres
                        .comment(view_comment(&k.schema, &k.name, e), e.comment.as_deref())?;
                    out.push_safe(
                        Phase::Comments,
                        obj(ObjectKind::View, &k.schema, &k.name),
                        "comment",
                        reasons,
                        stmt,
                    );
                }
                _ => out.unfixed.extend(reasons.iter().map(|r| {
                    unfixed_reason(
                        r,
                        format!("driftless sets view comments on PostgreSQL only, not on {d}"),
                    )
                })),
            }
        }
        Ok(())
    }
}

/// A view, as `COMMENT ON` names it.
fn view_comment<'a>(schema: &'a str, name: &'a str, v: &View) -> Commented<'a> {
    Commented::View {
        schema,
        name,
        materialized: v.materialized,
    }
}

/// The statements that create index `n` of view `s.v` (`Some`), or drop it.
fn index_statements(
    d: Dialect,
    s: &str,
    v: &str,
    n: &str,
    idx: Option<&driftless_model::Index>,
    spec: &mut StepSpec<'_>,
) -> Result<(), PlanError> {
    let w = crate::sql::writer(d);
    let (stmt, script) = match idx {
        Some(i) => (
            w.create_index(s, v, n, i, false)?,
            w.create_index(s, v, n, i, true)?,
        ),
        None => (w.drop_index(s, v, n, false), w.drop_index(s, v, n, true)),
    };
    spec.sql = vec![stmt];
    spec.script = vec![script];
    if let (Some(c), Dialect::Postgres) = (idx.and_then(|i| i.comment.as_deref()), d) {
        let stmt = w.comment(Commented::Index(s, n), Some(c))?;
        spec.sql.push(stmt.clone());
        spec.script.push(stmt);
    }
    Ok(())
}
