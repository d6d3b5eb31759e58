//! Hand-made migration sets, ledgers and provenance for the migration
//! rules' own tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use driftless_migrations::{parse_migrations, SourceFile};
use driftless_model::{
    object_fingerprints, Checksum, Column, Dialect, Ledger, LedgerEntry, LedgerKind, LedgerState,
    LedgerTable, MigrationSet, PendingRun, Provenance, Snapshot, Table,
};

use crate::finding::{sort_findings, Finding};
use crate::rule::{Context, Rule};

/// A sqlx migration set from `(file name, SQL)` pairs.
pub(crate) fn sqlx_set(files: &[(&str, &str)]) -> MigrationSet {
    let files: Vec<SourceFile> = files.iter().map(|(p, t)| SourceFile::new(*p, *t)).collect();
    parse_migrations(Path::new("migrations"), &files).unwrap()
}

/// A `_sqlx_migrations` ledger: `(version, SQL as applied, state)`.
pub(crate) fn sqlx_ledger(rows: &[(&str, &str, LedgerState)]) -> Ledger {
    Ledger {
        table: LedgerTable {
            kind: LedgerKind::Sqlx,
            schema: "main".into(),
            table: "_sqlx_migrations".into(),
            wide_versions: false,
        },
        dialect: Dialect::Sqlite,
        entries: rows
            .iter()
            .map(|(id, sql, state)| LedgerEntry {
                id: (*id).into(),
                name: Some(format!("migration {id}")),
                app: None,
                checksum: Some(Checksum::sqlx(sql)),
                applied_at: Some("2024-05-01 10:00:00".into()),
                state: *state,
                execution_ms: Some(3),
                detail: None,
            })
            .collect(),
    }
}

/// A SQLite snapshot of `main` with the given tables and their columns.
pub(crate) fn tables(spec: &[(&str, &[&str])]) -> Snapshot {
    let mut snap = Snapshot::new(Dialect::Sqlite);
    let main = snap.schemas.entry("main".into()).or_default();
    for (name, cols) in spec {
        let mut t = Table::default();
        for (i, c) in cols.iter().enumerate() {
            t.columns
                .insert((*c).into(), Column::new(i as u32 + 1, "INTEGER"));
        }
        main.tables.insert((*name).into(), t);
    }
    snap
}

/// Provenance of a replay whose snapshot after each migration is given.
pub(crate) fn provenance(steps: &[(&str, &Snapshot)]) -> Provenance {
    let mut p = Provenance::new();
    let mut before = object_fingerprints(&tables(&[]));
    for (id, snap) in steps {
        let now = object_fingerprints(snap);
        p.record(id, &before, &now);
        before = now;
    }
    p
}

/// Runs one rule with a migration set, ledger and provenance; sorted findings.
pub(crate) fn run_migrations(
    rule: &dyn Rule,
    expected: &Snapshot,
    actual: &Snapshot,
    set: &MigrationSet,
    ledger: Option<&Ledger>,
    provenance: Option<&Provenance>,
) -> Vec<Finding> {
    let mut cx = Context::new(expected, actual).with_migrations(set, ledger);
    if let Some(p) = provenance {
        cx = cx.with_provenance(p);
    }
    let mut out = Vec::new();
    rule.check(&cx, &mut out);
    sort_findings(&mut out);
    out
}

/// Runs `rule` with the deploy preflight's result `run`.
pub(crate) fn run_pending(
    rule: &dyn Rule,
    schema: &Snapshot,
    set: &MigrationSet,
    run: &PendingRun,
) -> Vec<Finding> {
    let cx = Context::new(schema, schema)
        .with_migrations(set, None)
        .with_pending_run(run);
    let mut out = Vec::new();
    rule.check(&cx, &mut out);
    sort_findings(&mut out);
    out
}
