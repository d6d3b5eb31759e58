//! Ledger rebuild: a database that holds what its migrations create but
//! whose ledger is missing or empty (restored from a dump without it,
//! dropped by hand) gets the ledger back, with the longest prefix of
//! migrations whose effects are all in the schema (a general
//! `--fake-initial`, or Flyway's baseline). Pure.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{
    object_fingerprints, Effect, EffectKind, Ledger, LedgerEntry, LedgerKind, LedgerState,
    LedgerTable, MigrationSet, Provenance,
};
use crate::object::ObjectRef;
use crate::schema::{Dialect, Snapshot};

/// The ledger a database lost, to write again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerRebuild {
    /// Where the ledger lives (or is to be created).
    pub table: LedgerTable,
    /// Whether the table is missing (created first, as the tool creates it).
    pub create: bool,
    /// The migrations to record, in the tool's order: the longest prefix
    /// whose effects the schema shows.
    pub recorded: Vec<String>,
    /// The first migration after them with schema effects, and what of
    /// it the schema lacks: where the prefix stops. `None` when every
    /// migration is in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<RebuildStop>,
}

/// Where a [`LedgerRebuild`]'s prefix stops.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RebuildStop {
    /// The migration.
    pub id: String,
    /// Its effects the schema lacks: objects it creates or changes that
    /// are missing (or defined otherwise), objects it drops still there.
    pub absent: Vec<Effect>,
}

impl LedgerRebuild {
    /// Whether the database is new: it has no ledger, and nothing a
    /// migration makes (there is nothing to record; every migration is
    /// pending).
    pub fn is_new_database(&self) -> bool {
        self.create && self.recorded.is_empty()
    }

    /// The ledger as it will be once rebuilt: a row for each migration of
    /// the prefix (what the rules judge the database against meanwhile).
    pub fn ledger(&self, dialect: Dialect) -> Ledger {
        let entries = self
            .recorded
            .iter()
            .map(|id| {
                let (app, name) = match self.table.kind {
                    LedgerKind::Django => id
                        .split_once('.')
                        .map_or((None, None), |(a, n)| (Some(a.into()), Some(n.into()))),
                    _ => (None, None),
                };
                LedgerEntry {
                    id: id.clone(),
                    name,
                    app,
                    checksum: None,
                    applied_at: None,
                    state: LedgerState::Applied,
                    execution_ms: None,
                    detail: None,
                }
            })
            .collect();
        Ledger {
            table: self.table.clone(),
            dialect,
            entries,
        }
    }
}

/// The rebuild a database needs: `ledger` (the one [`super::select_ledger`]
/// found for `set`, if any) is missing or records nothing as applied, and
/// the schema `actual` shows the effects of a prefix of the migrations
/// replayed into `provenance`. `schema` is where a missing ledger is
/// created (the target's default schema). A missing ledger with nothing
/// present is a new database: a rebuild that records nothing, with the
/// ledger to create once migrations run. `None` otherwise.
///
/// ```
/// use driftless_model::{plan_ledger_rebuild, object_fingerprints, Column, Dialect, MigrationFormat, MigrationSet, Provenance, Snapshot, Table};
///
/// let empty = Snapshot::new(Dialect::Sqlite);
/// let mut users = empty.clone();
/// let mut t = Table::default();
/// t.columns.insert("id".into(), Column::new(1, "INTEGER"));
/// users.schemas.entry("main".into()).or_default().tables.insert("users".into(), t);
/// let mut p = Provenance::new();
/// p.record("1", &object_fingerprints(&empty), &object_fingerprints(&users));
/// let set = MigrationSet { root: "m".into(), format: MigrationFormat::Sqlx, migrations: Vec::new(), applied_sources: Default::default() };
/// let rebuild = plan_ledger_rebuild(&set, None, &p, &users, "main").unwrap();
/// assert_eq!(rebuild.recorded, ["1"]);
/// assert!(rebuild.create);
/// assert_eq!(rebuild.table.table, "_sqlx_migrations");
/// // A new database: nothing to record, the ledger still to create.
/// let new = plan_ledger_rebuild(&set, None, &p, &empty, "main").unwrap();
/// assert!(new.recorded.is_empty() && new.create);
/// ```
pub fn plan_ledger_rebuild(
    set: &MigrationSet,
    ledger: Option<&Ledger>,
    provenance: &Provenance,
    actual: &Snapshot,
    schema: &str,
) -> Option<LedgerRebuild> {
    let holds_rows = ledger.is_some_and(|l| {
        l.entries
            .iter()
            .any(|e| matches!(e.state, LedgerState::Applied | LedgerState::Baseline))
    });
    if holds_rows {
        return None;
    }
    let fingerprints = object_fingerprints(actual);
    let ids = provenance.migrations();
    let recorded: Vec<String> = if set.migrations.iter().any(|m| !m.parents.is_empty()) {
        present_closure(set, provenance, &fingerprints)
    } else {
        ids[..provenance.present_prefix(&fingerprints)].to_vec()
    };
    // An empty ledger that records nothing present is what it says; a
    // missing one, with nothing present, is a new database: it records
    // nothing, and the first pending migration creates it.
    if recorded.is_empty() && ledger.is_some() {
        return None;
    }
    let stop = ids
        .iter()
        .filter(|id| !recorded.contains(id))
        .find(|id| !provenance.effects(id).is_empty())
        .map(|id| {
            let present = provenance.present_effects(id, &fingerprints);
            RebuildStop {
                id: id.clone(),
                absent: provenance
                    .effects(id)
                    .iter()
                    .filter(|e| !present.contains(e))
                    .cloned()
                    .collect(),
            }
        });
    let table = ledger.map_or_else(
        || {
            let kind = LedgerKind::for_format(set.format);
            LedgerTable {
                kind,
                schema: schema.to_string(),
                table: kind.table().to_string(),
                wide_versions: false,
            }
        },
        |l| l.table.clone(),
    );
    Some(LedgerRebuild {
        table,
        create: ledger.is_none(),
        recorded,
        stop,
    })
}

/// For migrations that form a graph (Django, Alembic): the largest set,
/// closed under dependencies and in replay order, of migrations whose
/// effects the schema shows, each taken only when every migration it
/// depends on is. Migrations without schema effects are kept only when a
/// kept migration depends on them. A migration of an app outside the
/// folder (Django's own) depends on the one before it in its app.
fn present_closure(
    set: &MigrationSet,
    provenance: &Provenance,
    actual: &BTreeMap<ObjectRef, String>,
) -> Vec<String> {
    let ids = provenance.migrations();
    let parents = |i: usize| -> Vec<String> {
        let id = &ids[i];
        if let Some(m) = set.get(id) {
            return m.parents.clone();
        }
        let app = id.split_once('.').map(|(a, _)| a);
        ids[..i]
            .iter()
            .rev()
            .find(|p| p.split_once('.').map(|(a, _)| a) == app && app.is_some())
            .cloned()
            .into_iter()
            .collect()
    };
    // What a later migration drops is judged by its absence, not by the
    // migration that made it (Django's contenttypes.0001 makes a column
    // 0002 drops).
    let mut at_end: BTreeMap<&ObjectRef, bool> = BTreeMap::new();
    for id in ids {
        for e in provenance.effects(id) {
            at_end.insert(&e.object, e.kind != EffectKind::Dropped);
        }
    }
    let holds = |e: &Effect| {
        provenance.effect_present(e, actual)
            || (at_end.get(&e.object) == Some(&false) && !actual.contains_key(&e.object))
    };
    let mut kept: Vec<(String, Vec<String>)> = Vec::new();
    let mut last: BTreeMap<&ObjectRef, &Effect> = BTreeMap::new();
    for (i, id) in ids.iter().enumerate() {
        let needs = parents(i);
        let known = |p: &String| ids.contains(p);
        if !needs
            .iter()
            .filter(|p| known(p))
            .all(|p| kept.iter().any(|(k, _)| k == p))
        {
            continue;
        }
        let mut with = last.clone();
        for e in provenance.effects(id) {
            with.insert(&e.object, e);
        }
        if with.values().all(|e| holds(e)) {
            last = with;
            kept.push((id.clone(), needs));
        }
    }
    // Effect-less migrations nothing kept depends on are left to migrate.
    loop {
        let before = kept.len();
        let needed: BTreeSet<String> = kept.iter().flat_map(|(_, p)| p.clone()).collect();
        kept.retain(|(id, _)| !provenance.effects(id).is_empty() || needed.contains(id));
        if kept.len() == before {
            break;
        }
    }
    kept.into_iter().map(|(id, _)| id).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::migration::{Migration, MigrationFormat, MigrationKind};
    use crate::schema::{Column, Table};

    fn snap(tables: &[(&str, &[&str])]) -> Snapshot {
        let mut s = Snapshot::new(Dialect::Sqlite);
        let schema = s.schemas.entry("main".into()).or_default();
        for (t, cols) in tables {
            let mut table = Table::default();
            for (i, c) in cols.iter().enumerate() {
                table
                    .columns
                    .insert((*c).into(), Column::new(i as u32 + 1, "INTEGER"));
            }
            schema.tables.insert((*t).into(), table);
        }
        s
    }

    fn revision(id: &str, parents: &[&str]) -> Migration {
        Migration {
            id: id.into(),
            version: None,
            name: id.into(),
            app: None,
            kind: MigrationKind::Versioned,
            path: format!("versions/{id}.py").into(),
            content: String::new(),
            sql: None,
            sql_line: 1,
            checksum: None,
            parents: parents.iter().map(|p| (*p).to_string()).collect(),
            replaces: Vec::new(),
            no_transaction: false,
        }
    }

    /// An Alembic graph: a, then branches b and c, their merge m, then d.
    /// The schema shows a, b and c: the merge (no schema effects) waits
    /// with d, which nothing present shows, and x, made by b and dropped
    /// by d, counts as b left it.
    #[test]
    fn a_graph_keeps_what_is_there_and_what_it_depends_on() {
        let set = MigrationSet {
            root: "m".into(),
            format: MigrationFormat::Alembic,
            migrations: vec![
                revision("a", &[]),
                revision("b", &["a"]),
                revision("c", &["a"]),
                revision("m", &["b", "c"]),
                revision("d", &["m"]),
            ],
            applied_sources: Default::default(),
        };
        let steps = [
            ("a", snap(&[("t", &["id"])])),
            ("b", snap(&[("t", &["id", "x"])])),
            ("c", snap(&[("t", &["id", "x"]), ("u", &["id"])])),
            ("m", snap(&[("t", &["id", "x"]), ("u", &["id"])])),
            ("d", snap(&[("t", &["id"]), ("u", &["id", "y"])])),
        ];
        let mut p = Provenance::new();
        let mut before = object_fingerprints(&Snapshot::new(Dialect::Sqlite));
        for (id, s) in &steps {
            let now = object_fingerprints(s);
            p.record(id, &before, &now);
            before = now;
        }
        let live = &steps[2].1;
        let rebuild = plan_ledger_rebuild(&set, None, &p, live, "main").unwrap();
        assert_eq!(rebuild.recorded, ["a", "b", "c"]);
        assert_eq!(rebuild.table.table, "alembic_version");
        let stop = rebuild.stop.unwrap();
        assert_eq!(stop.id, "d");
        // All of it there: the merge is kept, d depending on it.
        let all = plan_ledger_rebuild(&set, None, &p, &steps[4].1, "main").unwrap();
        assert_eq!(all.recorded, ["a", "b", "c", "m", "d"]);
        assert!(all.stop.is_none());
    }
}
