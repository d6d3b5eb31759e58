//! Provenance as a replay goes: the schema as the steps built it, and what
//! each migration did to it, at the cost of few reads.
//!
//! After a migration whose statements name their relations (see the
//! `scope` module), the read is deferred: the following migrations join a
//! *batch* as long as each touches relations no other member touched, and
//! one scoped read of all the batch's relations then tells each member's
//! effects apart (each relation changed under one member only). A member
//! that touches a relation of the batch, drops or renames something whose
//! dependents the batch may have changed, or names an index, reads the
//! batch first. Migrations that cannot be scoped read the batch, then the
//! whole schema. The full reads a replay takes anyway (the recorded state,
//! the final schema) read the last batch too.
//!
//! So a run of migrations each adding to its own table costs one read, not
//! one per migration; the final full read still checks that nothing was
//! missed (see [`Tracker::diverged`]).

use std::collections::{BTreeMap, BTreeSet};

use driftless_introspect::{Database, Result};
use driftless_model::{
    object_fingerprints, Dialect, ObjectRef, Provenance, Snapshot, SqlStatement,
};

use crate::scope::{self, migration_touch, Touch};

/// The most relations one scoped read covers; a migration touching more is
/// followed by a full read, which costs about the same by then (and SQLite
/// caps a compound SELECT at 500 terms, two a relation in its scoped
/// catalog query).
const MAX_SCOPED_RELATIONS: usize = 200;

/// How provenance read the dev database during a replay.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProvenanceReads {
    /// Scoped reads, each of what one or more migrations touched.
    pub scoped: usize,
    /// Reads of the whole schema after a migration that could not be scoped.
    pub full: usize,
    /// Migrations whose effects were told apart from a read shared with
    /// the migrations before them (no read of their own).
    pub shared: usize,
    /// Whether the scoped reads missed a change, so that the replay ran
    /// again with a full read after every migration (a bug to report).
    pub replayed_in_full: bool,
}

/// Reads the dev database for a [`Tracker`].
pub(crate) trait DevReader {
    /// The relations `names` (and what they own).
    async fn scoped(&self, db: &mut Database, names: &BTreeSet<String>) -> Result<Snapshot>;
    /// The whole schema.
    async fn full(&self, db: &mut Database) -> Result<Snapshot>;
}

/// A migration whose read is deferred.
struct Member {
    id: String,
    /// The relations it touched.
    names: BTreeSet<String>,
    /// Its statements, for the values it gave new columns.
    statements: Vec<String>,
}

/// Provenance as the replay goes.
pub(crate) struct Tracker {
    /// The schema as the steps built it, up to the batch.
    model: Snapshot,
    pub(crate) provenance: Provenance,
    pub(crate) reads: ProvenanceReads,
    /// Read everything after every migration (no scoped reads).
    pub(crate) full: bool,
    /// Migrations whose read is deferred, in order.
    batch: Vec<Member>,
    /// The relations the batch's members touched.
    pending: BTreeSet<String>,
    /// A change a shared read could not attribute.
    missed: Option<String>,
}

/// The fingerprints of the objects of `s` a read of `names` covers.
fn part(s: &Snapshot, names: &BTreeSet<String>) -> BTreeMap<ObjectRef, String> {
    object_fingerprints(&scope::restrict(s, names))
        .into_iter()
        .filter(|(o, _)| scope::covers(names, o))
        .collect()
}

/// The sequences of `s` owned by a table of `names`.
fn owned_sequences(s: &Snapshot, names: &BTreeSet<String>) -> Vec<String> {
    s.schemas
        .values()
        .flat_map(|schema| &schema.sequences)
        .filter(|(_, q)| {
            q.owned_by
                .as_ref()
                .is_some_and(|o| names.contains(&o.table))
        })
        .map(|(n, _)| n.clone())
        .collect()
}

impl Tracker {
    pub(crate) fn new(initial: Snapshot, full: bool) -> Self {
        let mut provenance = Provenance::new();
        provenance.start(object_fingerprints(&initial));
        Tracker {
            model: initial,
            provenance,
            reads: ProvenanceReads::default(),
            full,
            batch: Vec::new(),
            pending: BTreeSet::new(),
            missed: None,
        }
    }

    /// Before migration SQL `sql` (split into `statements`) runs: what it
    /// is expected to touch, once the batch was read if it cannot join it.
    pub(crate) async fn expect(
        &mut self,
        sql: &str,
        statements: &[SqlStatement],
        read: &impl DevReader,
        db: &mut Database,
    ) -> Result<Touch> {
        // Inheritance spreads a change of a parent table to its children,
        // which nothing names: from its first mention on, read everything.
        if sql.to_ascii_uppercase().contains("INHERITS") {
            self.full = true;
        }
        let touch = if self.full {
            Touch::Unknown
        } else {
            let sqls = statements.iter().map(|s| s.sql.as_str());
            migration_touch(sqls, self.model.dialect)
        };
        self.before(&touch, read, db).await?;
        Ok(touch)
    }

    /// Before a migration that will touch `touch` runs: reads the batch
    /// unless the migration can join it.
    pub(crate) async fn before(
        &mut self,
        touch: &Touch,
        read: &impl DevReader,
        db: &mut Database,
    ) -> Result<()> {
        let joins = match touch {
            Touch::Nothing => true,
            Touch::Unknown => false,
            Touch::Names {
                names,
                indexes,
                reaches,
            } => {
                self.joins(names, indexes, *reaches) && {
                    let rel = scope::relations(names, indexes, *reaches, &self.model);
                    !self.overlaps(&rel) && rel.len() + self.pending.len() <= MAX_SCOPED_RELATIONS
                }
            }
        };
        if joins {
            Ok(())
        } else {
            self.flush(read, db).await
        }
    }

    /// Records migration `id`, which ran `statements` and touched `touch`
    /// (after [`Tracker::before`] with what it was expected to touch).
    pub(crate) async fn step(
        &mut self,
        id: &str,
        touch: Touch,
        statements: Vec<String>,
        read: &impl DevReader,
        db: &mut Database,
    ) -> Result<()> {
        let member = |names| Member {
            id: id.to_string(),
            names,
            statements,
        };
        match touch {
            Touch::Nothing => self.batch.push(member(BTreeSet::new())),
            Touch::Names {
                names,
                indexes,
                reaches,
            } => {
                let rel = scope::relations(&names, &indexes, reaches, &self.model);
                if rel.len() > MAX_SCOPED_RELATIONS {
                    return self.after_unscoped(member(rel), read, db).await;
                }
                self.pending.extend(rel.iter().cloned());
                self.batch.push(member(rel));
            }
            Touch::Unknown => return self.after_unscoped(member(BTreeSet::new()), read, db).await,
        }
        Ok(())
    }

    /// Records member `m`, which could not be scoped, from a full read. The
    /// batch was read before it ran, unless its statements hid a change
    /// (counted by SQLite, named by none), which a shared read cannot
    /// tell apart: the replay then runs again in full.
    async fn after_unscoped(
        &mut self,
        m: Member,
        read: &impl DevReader,
        db: &mut Database,
    ) -> Result<()> {
        if !self.batch.is_empty() {
            self.missed = Some(format!("a change of migration {} no statement names", m.id));
            self.flush(read, db).await?;
        }
        self.full_step(m, read, db).await
    }

    /// Whether a migration touching `names` may join the batch before its
    /// relations are completed from the model, which is not current for
    /// the batch's relations: an index name may belong to a table of the
    /// batch, and a change that reaches dependents needs their current
    /// definitions. Only new relations on PostgreSQL, which nothing can
    /// reference yet, reach nothing of the batch.
    fn joins(&self, names: &BTreeSet<String>, indexes: &BTreeSet<String>, reaches: bool) -> bool {
        if self.batch.is_empty() {
            return true;
        }
        indexes.is_empty()
            && (!reaches
                || (self.model.dialect == Dialect::Postgres
                    && names.iter().all(|n| !self.known(n))))
    }

    /// Whether a relation named `n` (up to ASCII case) exists in the model
    /// or was touched by the batch.
    fn known(&self, n: &str) -> bool {
        scope::held(&self.model)
            .chain(&self.pending)
            .any(|r| r.eq_ignore_ascii_case(n))
    }

    /// Whether `names` meet the batch's relations (up to ASCII case).
    fn overlaps(&self, names: &BTreeSet<String>) -> bool {
        names
            .iter()
            .any(|n| self.pending.iter().any(|p| p.eq_ignore_ascii_case(n)))
    }

    /// Reads what the batch touched and records its members.
    pub(crate) async fn flush(&mut self, read: &impl DevReader, db: &mut Database) -> Result<()> {
        if self.pending.is_empty() {
            let now = Snapshot::new(self.model.dialect);
            self.attribute(&now, false);
            return Ok(());
        }
        let now = read.scoped(db, &self.pending).await?;
        self.reads.scoped += 1;
        if now.schemas.keys().eq(self.model.schemas.keys()) {
            self.attribute(&now, true);
            return Ok(());
        }
        // A schema appeared or vanished: nothing a scoped read covers.
        let mut batch = std::mem::take(&mut self.batch);
        self.pending.clear();
        let last = batch.pop();
        if !batch.is_empty() {
            self.missed = Some("a schema, during a shared read".into());
        }
        for m in batch {
            self.record(m, &BTreeMap::new(), &BTreeMap::new());
        }
        match last {
            Some(m) => self.full_step(m, read, db).await,
            None => Ok(()),
        }
    }

    /// Records the batch from `now`, a read of at least its relations (a
    /// scoped read when `scoped`, which may also hold the sequences they
    /// own and the tables their foreign keys reference). A member alone
    /// takes all of it; members of a shared read take their relations and
    /// the sequences those own, and the rest, which no member touched, is
    /// left as the model has it (the final full read checks it).
    fn attribute(&mut self, now: &Snapshot, scoped: bool) {
        let batch = std::mem::take(&mut self.batch);
        let mut all = std::mem::take(&mut self.pending);
        let alone = batch.len() == 1;
        self.reads.shared += batch.len().saturating_sub(1);
        for mut m in batch {
            m.names.extend(owned_sequences(now, &m.names));
            if scoped && alone {
                m.names.extend(scope::held(now).cloned());
            }
            all.extend(m.names.iter().cloned());
            let (before, after) = (part(&self.model, &m.names), part(now, &m.names));
            self.record(m, &before, &after);
        }
        scope::merge(&mut self.model, scope::restrict(now, &all), &all);
    }

    /// Records member `m`'s effects, from the part of the schema it touched.
    fn record(
        &mut self,
        m: Member,
        before: &BTreeMap<ObjectRef, String>,
        after: &BTreeMap<ObjectRef, String>,
    ) {
        self.provenance.record_part(&m.id, before, after);
        self.note_backfills(&m);
    }

    /// Notes the values member `m`'s statements gave the columns it made.
    fn note_backfills(&mut self, m: &Member) {
        let sqls = m.statements.iter().map(String::as_str);
        self.provenance
            .note_backfills(&m.id, sqls, self.model.dialect);
    }

    /// Records member `m` from a read of the whole schema.
    async fn full_step(
        &mut self,
        m: Member,
        read: &impl DevReader,
        db: &mut Database,
    ) -> Result<()> {
        let now = read.full(db).await?;
        self.reads.full += 1;
        let (before, after) = (object_fingerprints(&self.model), object_fingerprints(&now));
        self.model = now;
        self.provenance.record(&m.id, &before, &after);
        self.note_backfills(&m);
        Ok(())
    }

    /// Records the batch from `now`, a read of the whole schema that the
    /// replay took anyway.
    pub(crate) fn settle(&mut self, now: &Snapshot) {
        if !self.batch.is_empty() {
            self.attribute(now, false);
        }
    }

    /// The first object whose definition in `actual` (the final schema,
    /// read in full) differs from what the steps built, if any; or the
    /// change a shared read could not attribute.
    pub(crate) fn diverged(&self, actual: &Snapshot) -> Option<String> {
        if let Some(missed) = &self.missed {
            return Some(missed.clone());
        }
        let actual = object_fingerprints(actual);
        let built = self.provenance.last();
        if &actual == built {
            return None;
        }
        let missed = actual
            .iter()
            .find(|(o, d)| built.get(*o) != Some(*d))
            .map(|(o, _)| o)
            .or_else(|| built.keys().find(|o| !actual.contains_key(*o)));
        Some(missed.map_or_else(|| "the schema".to_string(), ToString::to_string))
    }
}

/// Ends a pass: records the last batch from `snapshot` (the final schema,
/// read in full), takes it as the recorded state when the pass had a
/// recorded part but no pending one (`split` without `recorded`), and says
/// what the steps missed.
pub(crate) fn conclude(
    mut tracker: Option<&mut Tracker>,
    snapshot: &Snapshot,
    split: bool,
    recorded: &mut Option<Snapshot>,
) -> Option<String> {
    if let Some(t) = tracker.as_deref_mut() {
        t.settle(snapshot);
    }
    if split && recorded.is_none() {
        // Nothing pending: the recorded state is the head state.
        if let Some(t) = tracker.as_deref_mut() {
            t.provenance.mark_recorded();
        }
        *recorded = Some(snapshot.clone());
    }
    tracker.and_then(|t| t.diverged(snapshot))
}
