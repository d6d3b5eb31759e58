//! Provenance: which migration created or last changed each schema object,
//! from the snapshots taken after each migration during replay.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::object::{ObjectKind, ObjectRef};
use crate::schema::Snapshot;

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Every object of `snapshot` with a fingerprint of its definition (JSON;
/// column positions left out, since column order is not drift). Two
/// objects with equal fingerprints are defined the same way.
pub fn object_fingerprints(snapshot: &Snapshot) -> BTreeMap<ObjectRef, String> {
    use ObjectKind as K;
    let mut out = BTreeMap::new();
    for (s, schema) in &snapshot.schemas {
        out.insert(
            ObjectRef::schema_object(K::Schema, s, None),
            json(&schema.comment),
        );
        for (t, table) in &schema.tables {
            out.insert(ObjectRef::table(s, t), json(&table.comment));
            for (c, col) in &table.columns {
                let mut col = col.clone();
                col.position = 0;
                out.insert(ObjectRef::table_part(K::Column, s, t, c), json(&col));
            }
            if let Some(pk) = &table.primary_key {
                out.insert(
                    ObjectRef::table_part(K::PrimaryKey, s, t, &pk.name),
                    json(&pk.columns),
                );
            }
            for (n, u) in &table.uniques {
                out.insert(ObjectRef::table_part(K::Unique, s, t, n), json(u));
            }
            for (n, i) in &table.indexes {
                out.insert(ObjectRef::table_part(K::Index, s, t, n), json(i));
            }
            for (n, fk) in &table.foreign_keys {
                out.insert(ObjectRef::table_part(K::ForeignKey, s, t, n), json(fk));
            }
            for (n, c) in &table.checks {
                out.insert(ObjectRef::table_part(K::Check, s, t, n), json(c));
            }
        }
        for (n, v) in &schema.views {
            out.insert(ObjectRef::schema_object(K::View, s, Some(n)), json(v));
        }
        for (n, e) in &schema.enums {
            out.insert(ObjectRef::schema_object(K::Enum, s, Some(n)), json(e));
        }
        for (n, q) in &schema.sequences {
            out.insert(ObjectRef::schema_object(K::Sequence, s, Some(n)), json(q));
        }
    }
    out
}

/// What a migration did to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectKind {
    /// The object appeared.
    Created,
    /// Its definition changed.
    Changed,
    /// It disappeared.
    Dropped,
}

/// One effect of a migration on the schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effect {
    /// The object.
    pub object: ObjectRef,
    /// Created, changed or dropped.
    pub kind: EffectKind,
    /// The object's fingerprint right after the migration (none when dropped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
}

/// Which migration created or last changed each object of the replayed
/// schema, and every migration's effects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// Migration ids in replay order.
    migrations: Vec<String>,
    /// Effects per migration id.
    effects: BTreeMap<String, Vec<Effect>>,
    /// For every object of the final schema: the migration that (last) created it.
    #[serde(skip)]
    created: BTreeMap<ObjectRef, String>,
    /// For every object of the final schema: the migration that last created or changed it.
    #[serde(skip)]
    changed: BTreeMap<ObjectRef, String>,
    /// Fingerprints of the final schema.
    #[serde(skip)]
    last: BTreeMap<ObjectRef, String>,
    /// What the migration that added a column gave the rows there then,
    /// by the column's path (`schema.table.column`), when its statements
    /// say (see [`Provenance::note_backfills`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    backfills: BTreeMap<String, String>,
    /// The same three maps right after the migrations the ledger records
    /// as applied, when those were replayed first (see
    /// [`Provenance::mark_recorded`]).
    #[serde(skip)]
    recorded: Option<Checkpoint>,
}

/// Who made what, at one point of a replay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Checkpoint {
    created: BTreeMap<ObjectRef, String>,
    changed: BTreeMap<ObjectRef, String>,
    last: BTreeMap<ObjectRef, String>,
}

impl Provenance {
    /// An empty provenance.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records migration `id`, which took the schema from `before` to
    /// `after` (both from [`object_fingerprints`]).
    pub fn record(
        &mut self,
        id: &str,
        before: &BTreeMap<ObjectRef, String>,
        after: &BTreeMap<ObjectRef, String>,
    ) {
        self.record_part(id, before, after);
        self.last.clone_from(after);
    }

    /// Starts from a schema that already holds `fingerprints` (before the
    /// first migration), for [`Provenance::record_part`].
    pub fn start(&mut self, fingerprints: BTreeMap<ObjectRef, String>) {
        self.last = fingerprints;
    }

    /// The fingerprints of the schema after the last recorded migration.
    pub fn last(&self) -> &BTreeMap<ObjectRef, String> {
        &self.last
    }

    /// Records migration `id` from the part of the schema it could have
    /// changed: `before` and `after` hold the same selection of objects
    /// (the rest of the schema is unchanged), so the effects are those
    /// [`Provenance::record`] finds on the whole schema, at the cost of the
    /// part.
    pub fn record_part(
        &mut self,
        id: &str,
        before: &BTreeMap<ObjectRef, String>,
        after: &BTreeMap<ObjectRef, String>,
    ) {
        let mut effects = Vec::new();
        for (o, def) in after {
            match before.get(o) {
                None => {
                    effects.push(Effect {
                        object: o.clone(),
                        kind: EffectKind::Created,
                        definition: Some(def.clone()),
                    });
                    self.created.insert(o.clone(), id.to_string());
                    self.changed.insert(o.clone(), id.to_string());
                }
                Some(old) if old != def => {
                    effects.push(Effect {
                        object: o.clone(),
                        kind: EffectKind::Changed,
                        definition: Some(def.clone()),
                    });
                    self.changed.insert(o.clone(), id.to_string());
                }
                Some(_) => {}
            }
        }
        for o in before.keys().filter(|o| !after.contains_key(*o)) {
            effects.push(Effect {
                object: o.clone(),
                kind: EffectKind::Dropped,
                definition: None,
            });
            self.created.remove(o);
            self.changed.remove(o);
            self.last.remove(o);
        }
        for (o, def) in after {
            if self.last.get(o) != Some(def) {
                self.last.insert(o.clone(), def.clone());
            }
        }
        self.migrations.push(id.to_string());
        self.effects.insert(id.to_string(), effects);
    }

    /// Marks the point of the replay where the migrations the ledger
    /// records as applied are all in, and the pending ones follow: from
    /// then on [`Provenance::created_by`], [`Provenance::origin`] and
    /// [`Provenance::missing_effects`] answer for the schema at this point
    /// (the recorded state), while effects keep being recorded.
    pub fn mark_recorded(&mut self) {
        self.recorded = Some(Checkpoint {
            created: self.created.clone(),
            changed: self.changed.clone(),
            last: self.last.clone(),
        });
    }

    /// The fingerprints of the recorded state (see
    /// [`Provenance::mark_recorded`]), else of the final schema.
    pub fn recorded_fingerprints(&self) -> &BTreeMap<ObjectRef, String> {
        self.recorded.as_ref().map_or(&self.last, |c| &c.last)
    }

    fn created_map(&self) -> &BTreeMap<ObjectRef, String> {
        self.recorded.as_ref().map_or(&self.created, |c| &c.created)
    }

    fn changed_map(&self) -> &BTreeMap<ObjectRef, String> {
        self.recorded.as_ref().map_or(&self.changed, |c| &c.changed)
    }

    /// Notes, for each column migration `id` created, the value its
    /// `statements` gave the rows that were there (see
    /// [`crate::column_backfills`]): what a repair that adds the column to a
    /// table with rows gives them.
    pub fn note_backfills<'s>(
        &mut self,
        id: &str,
        statements: impl IntoIterator<Item = &'s str>,
        dialect: crate::schema::Dialect,
    ) {
        let found: Vec<(String, String, String)> = statements
            .into_iter()
            .flat_map(|sql| crate::hazard::column_backfills(sql, dialect))
            .collect();
        if found.is_empty() {
            return;
        }
        let created = self
            .effects(id)
            .iter()
            .filter(|e| e.kind == EffectKind::Created && e.object.kind == ObjectKind::Column)
            .map(|e| e.object.clone())
            .collect::<Vec<_>>();
        for o in created {
            let (Some(t), Some(c)) = (o.table.as_deref(), o.name.as_deref()) else {
                continue;
            };
            if let Some((_, _, v)) = found
                .iter()
                .find(|(ft, fc, _)| ft.eq_ignore_ascii_case(t) && fc.eq_ignore_ascii_case(c))
            {
                self.backfills.insert(o.path(), v.clone());
            }
        }
    }

    /// The values noted by [`Provenance::note_backfills`], by column path.
    pub fn backfills(&self) -> &BTreeMap<String, String> {
        &self.backfills
    }

    /// The same provenance for the schema renamed from `from` to `to`
    /// (a tenant compared with the template the migrations built): every
    /// object, definition and backfill path moved along.
    pub fn rename_schema(&mut self, from: &str, to: &str) {
        let object = |o: &ObjectRef| {
            let mut o = o.clone();
            if o.schema == from {
                o.schema = to.to_string();
            }
            o
        };
        let text = |t: &str| crate::rename::rename_schema_in_text(t, from, to);
        let map = |m: &BTreeMap<ObjectRef, String>, defs: bool| -> BTreeMap<ObjectRef, String> {
            m.iter()
                .map(|(o, v)| (object(o), if defs { text(v) } else { v.clone() }))
                .collect()
        };
        for effects in self.effects.values_mut() {
            for e in effects.iter_mut() {
                e.object = object(&e.object);
                e.definition = e.definition.as_deref().map(text);
            }
        }
        self.created = map(&self.created, false);
        self.changed = map(&self.changed, false);
        self.last = map(&self.last, true);
        if let Some(c) = &mut self.recorded {
            *c = Checkpoint {
                created: map(&c.created, false),
                changed: map(&c.changed, false),
                last: map(&c.last, true),
            };
        }
        self.backfills = std::mem::take(&mut self.backfills)
            .into_iter()
            .map(|(path, v)| (text(&path), text(&v)))
            .collect();
    }

    /// Migration ids in replay order.
    pub fn migrations(&self) -> &[String] {
        &self.migrations
    }

    /// What migration `id` did to the schema (empty for an unknown id or a
    /// migration without schema effects).
    pub fn effects(&self, id: &str) -> &[Effect] {
        self.effects.get(id).map_or(&[], Vec::as_slice)
    }

    /// The migration that created `object` (the last one, if it was dropped
    /// and created again).
    pub fn created_by(&self, object: &ObjectRef) -> Option<&str> {
        self.created_map().get(object).map(String::as_str)
    }

    /// The migration that created or last changed `object`: the one to
    /// name in a finding about it.
    pub fn origin(&self, object: &ObjectRef) -> Option<&str> {
        self.changed_map().get(object).map(String::as_str)
    }

    /// Objects that migration `id` created, that still exist at the end of
    /// the replay, and that `actual` (from [`object_fingerprints`]) lacks.
    /// Parts of a table (or schema) that is missing altogether are left
    /// out: the table stands for them, named by the migration that created it.
    pub fn missing_effects(
        &self,
        id: &str,
        actual: &BTreeMap<ObjectRef, String>,
    ) -> Vec<&ObjectRef> {
        self.effects(id)
            .iter()
            .filter(|e| e.kind == EffectKind::Created && self.created_by(&e.object) == Some(id))
            .map(|e| &e.object)
            .filter(|o| !actual.contains_key(*o))
            .filter(|o| {
                // A missing table (schema) stands for its parts, whichever
                // migration created it.
                let table_missing = o.kind != ObjectKind::Table
                    && o.table
                        .as_ref()
                        .is_some_and(|t| !actual.contains_key(&ObjectRef::table(&o.schema, t)));
                let schema_missing = o.kind != ObjectKind::Schema
                    && !actual.contains_key(&ObjectRef::schema_object(
                        ObjectKind::Schema,
                        &o.schema,
                        None,
                    ));
                !table_missing && !schema_missing
            })
            .collect()
    }

    /// Whether every effect of migration `id` is already visible in
    /// `actual`: what it creates exists (defined as the migration, or the
    /// final replayed schema, defines it), what it changes is defined that
    /// way, what it drops is gone. `false` for a migration without schema
    /// effects, which cannot be judged from the schema.
    pub fn effects_present(&self, id: &str, actual: &BTreeMap<ObjectRef, String>) -> bool {
        let effects = self.effects(id);
        !effects.is_empty() && effects.iter().all(|e| self.effect_present(e, actual))
    }

    /// How many migrations, from the first in replay order, the schema
    /// `actual` (from [`object_fingerprints`]) shows applied: the longest
    /// prefix after which every object the prefix touched is as its last
    /// migration there left it (created and changed objects defined so,
    /// dropped ones gone), ending on a migration with schema effects. What
    /// a lost ledger is rebuilt with; 0 when the schema shows none.
    pub fn present_prefix(&self, actual: &BTreeMap<ObjectRef, String>) -> usize {
        let mut last: BTreeMap<&ObjectRef, &Effect> = BTreeMap::new();
        let mut best = 0;
        for (i, id) in self.migrations.iter().enumerate() {
            let effects = self.effects(id);
            if effects.is_empty() {
                continue;
            }
            for e in effects {
                last.insert(&e.object, e);
            }
            if last.values().all(|e| self.effect_present(e, actual)) {
                best = i + 1;
            }
        }
        best
    }

    /// The effects of migration `id` that `actual` already shows (see
    /// [`Provenance::effects_present`]).
    pub fn present_effects<'a>(
        &'a self,
        id: &str,
        actual: &BTreeMap<ObjectRef, String>,
    ) -> Vec<&'a Effect> {
        self.effects(id)
            .iter()
            .filter(|e| self.effect_present(e, actual))
            .collect()
    }

    /// The objects migration `id` drops that are gone from the recorded
    /// state (no later recorded migration made them again) but present in
    /// `actual`: a drop recorded without having run.
    pub fn undone_drops(&self, id: &str, actual: &BTreeMap<ObjectRef, String>) -> Vec<&ObjectRef> {
        let recorded = self.recorded_fingerprints();
        self.effects(id)
            .iter()
            .filter(|e| e.kind == EffectKind::Dropped)
            .map(|e| &e.object)
            .filter(|o| !recorded.contains_key(*o) && actual.contains_key(*o))
            .filter(|o| {
                // A surviving table stands for its surviving parts.
                o.kind == ObjectKind::Table
                    || o.table.as_ref().is_none_or(|t| {
                        let table = ObjectRef::table(&o.schema, t);
                        recorded.contains_key(&table) || !actual.contains_key(&table)
                    })
            })
            .collect()
    }

    /// Whether `actual` shows effect `e`: what it creates or changes is
    /// defined as right after it (or as at the end of the replay), what it
    /// drops is gone.
    pub fn effect_present(&self, e: &Effect, actual: &BTreeMap<ObjectRef, String>) -> bool {
        match e.kind {
            EffectKind::Dropped => !actual.contains_key(&e.object),
            EffectKind::Created | EffectKind::Changed => actual.get(&e.object).is_some_and(|a| {
                Some(a) == e.definition.as_ref() || Some(a) == self.last.get(&e.object)
            }),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::schema::{Column, Dialect, Table};

    fn snap(cols: &[(&str, &str)]) -> Snapshot {
        let mut s = Snapshot::new(Dialect::Sqlite);
        let mut t = Table::default();
        for (i, (n, ty)) in cols.iter().enumerate() {
            t.columns
                .insert((*n).into(), Column::new(i as u32 + 1, *ty));
        }
        s.schemas
            .entry("main".into())
            .or_default()
            .tables
            .insert("users".into(), t);
        s
    }

    #[test]
    fn records_created_changed_dropped() {
        let empty = object_fingerprints(&Snapshot::new(Dialect::Sqlite));
        let s1 = object_fingerprints(&snap(&[("id", "INTEGER")]));
        let s2 = object_fingerprints(&snap(&[("id", "INTEGER"), ("login_count", "INTEGER")]));
        let s3 = object_fingerprints(&snap(&[("id", "BIGINT"), ("login_count", "INTEGER")]));
        let mut p = Provenance::new();
        p.record("0001", &empty, &s1);
        p.record("0002", &s1, &s2);
        p.record("0003", &s2, &s3);
        let col = |n: &str| ObjectRef::table_part(ObjectKind::Column, "main", "users", n);
        assert_eq!(p.created_by(&col("login_count")), Some("0002"));
        assert_eq!(p.origin(&col("id")), Some("0003"));
        assert_eq!(p.created_by(&col("id")), Some("0001"));
        assert_eq!(p.effects("0003").len(), 1);
        assert_eq!(p.effects("0003")[0].kind, EffectKind::Changed);

        // The live database lost login_count.
        let live = object_fingerprints(&snap(&[("id", "BIGINT")]));
        assert_eq!(p.missing_effects("0002", &live), vec![&col("login_count")]);
        assert!(p.missing_effects("0001", &live).is_empty());
        assert!(!p.effects_present("0002", &live));
        assert!(p.effects_present("0003", &live));
        // The whole table missing: only the table is named.
        let mut bare = Snapshot::new(Dialect::Sqlite);
        bare.schemas.entry("main".into()).or_default();
        let nothing = object_fingerprints(&bare);
        let missing = p.missing_effects("0001", &nothing);
        assert!(missing.iter().any(|o| o.kind == ObjectKind::Table));
        assert!(missing.iter().all(|o| o.kind != ObjectKind::Column));
        assert_eq!(col("x").described().to_string(), "column main.users.x");
        let pk = ObjectRef::table_part(ObjectKind::PrimaryKey, "main", "users", "pk_users");
        assert_eq!(
            pk.described().to_string(),
            "primary key main.users.pk_users"
        );
    }
}
