//! Ledger rebuild: a database that holds what its migrations create but
//! whose ledger is missing or empty (restored from a dump without it,
//! dropped by hand) gets the ledger back, with the longest prefix of
//! migrations whose effects are all in the schema (a general
//! `--fake-initial`, or Flyway's baseline). Pure.

use serde::{Deserialize, Serialize};

use super::{
    object_fingerprints, Effect, Ledger, LedgerEntry, LedgerKind, LedgerState, LedgerTable,
    MigrationSet, Provenance,
};
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
/// created (the target's default schema). `None` otherwise.
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
/// assert!(plan_ledger_rebuild(&set, None, &p, &empty, "main").is_none());
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
    let n = provenance.present_prefix(&fingerprints);
    if n == 0 {
        return None;
    }
    let ids = provenance.migrations();
    let stop = ids[n..]
        .iter()
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
        recorded: ids[..n].to_vec(),
        stop,
    })
}
