//! Ledger steps: a pending migration whose effects the repaired schema
//! holds is recorded as applied, in its tool's own ledger format (what
//! Django calls `migrate --fake`), after the schema steps and in the same
//! transaction where the database allows it.

use driftless_model::{
    Ledger, LedgerEntry, LedgerState, LedgerTable, Migration, MigrationSet, ObjectRef,
};
use driftless_rules::{Finding, FixIntent};

use crate::plan::{FixPlan, FixStep, PlanError, Reason};
use crate::safety::Safety;
use crate::sql::{
    quarantine_ledger_row, record_statements, record_statements_guarded, resolve_failed_statements,
    update_checksum_statements, LEDGER_QUARANTINE_TABLE,
};

/// Adds to `plan` the ledger steps the findings ask for: each ledger row
/// without a file moved out of `ledger`
/// ([`FixIntent::QuarantineLedgerRow`]), then each migration of `set` to
/// record ([`FixIntent::RecordMigration`]) recorded, in the set's order;
/// and takes those findings off the plan's unfixed list.
///
/// ```
/// use driftless_fixer::{add_ledger_steps, plan, PlanOptions};
/// use driftless_migrations::{parse_migrations, SourceFile};
/// use driftless_model::{Dialect, Ledger, LedgerKind, LedgerTable, ObjectRef, Snapshot};
/// use driftless_rules::{Finding, FixIntent, Registry};
/// use std::path::Path;
///
/// let set = parse_migrations(Path::new("m"), &[SourceFile::new("1_users.sql", "CREATE TABLE users (id int);")]).unwrap();
/// let table = LedgerTable { kind: LedgerKind::Sqlx, schema: "main".into(), table: "_sqlx_migrations".into(), wide_versions: false };
/// let registry = Registry::builtin();
/// let meta = registry.metas().find(|m| m.id == "effect-present-unrecorded").unwrap();
/// let mut f = Finding::new(meta, ObjectRef::migration("1"), "already there", FixIntent::RecordMigration);
/// f.migration = Some("1".into());
/// let empty = Snapshot::new(Dialect::Sqlite);
/// let mut p = plan(&empty, &empty, &[f.clone()], &PlanOptions::default()).unwrap();
/// let ledger = Ledger { table, dialect: Dialect::Sqlite, entries: Vec::new() };
/// add_ledger_steps(&mut p, &set, &ledger, &[f]).unwrap();
/// assert_eq!(p.steps[0].action, "record migration");
/// assert!(p.steps[0].sql[0].starts_with("INSERT INTO \"main\".\"_sqlx_migrations\""));
/// assert!(p.unfixed.is_empty());
/// ```
pub fn add_ledger_steps(
    plan: &mut FixPlan,
    set: &MigrationSet,
    ledger: &Ledger,
    findings: &[Finding],
) -> Result<(), PlanError> {
    quarantine_steps(plan, ledger, findings);
    let table = &ledger.table;
    for (i, m) in set.migrations.iter().enumerate() {
        let Some(f) = findings.iter().find(|f| {
            matches!(
                f.fix,
                FixIntent::RecordMigration | FixIntent::RetryMigration | FixIntent::UpdateChecksum
            ) && f.migration.as_deref() == Some(m.id.as_str())
        }) else {
            continue;
        };
        if f.fix == FixIntent::UpdateChecksum {
            checksum_step(plan, table, f, m);
            continue;
        }
        let failed = ledger
            .entries
            .iter()
            .find(|e| e.id == m.id && matches!(e.state, LedgerState::Failed | LedgerState::Dirty));
        if let Some(entry) = failed {
            let previous = i.checked_sub(1).map(|p| set.migrations[p].id.as_str());
            let applied = f.fix == FixIntent::RecordMigration;
            resolve_step(plan, ledger, f, m.label(), entry, applied, previous);
            continue;
        }
        if f.fix != FixIntent::RecordMigration {
            continue;
        }
        let failed = |e: crate::sql::RecordError| PlanError::Unsupported {
            object: format!("migration {}", m.label()),
            reason: e.to_string(),
        };
        let sql = record_statements(table, plan.dialect, m, 0).map_err(failed)?;
        let script = record_statements_guarded(table, plan.dialect, m, 0).map_err(failed)?;
        let why = format!(
            "record {} in {} as its tool would, without running it",
            m.label(),
            table.table
        );
        push_step(plan, f, &m.id, "record migration", why, (sql, script));
    }
    Ok(())
}

/// A step storing migration `m`'s current checksum in its ledger row.
fn checksum_step(plan: &mut FixPlan, table: &LedgerTable, f: &Finding, m: &Migration) {
    let Some(sql) = update_checksum_statements(table, plan.dialect, m) else {
        return;
    };
    let why = format!(
        "the ledger takes the checksum of {} as it is now",
        m.label()
    );
    push_step(plan, f, &m.id, "update checksum", why, (sql.clone(), sql));
}

/// A step resolving the failed ledger row `entry` of migration `label`:
/// marked applied, or cleared so that migrate runs it again.
fn resolve_step(
    plan: &mut FixPlan,
    ledger: &Ledger,
    f: &Finding,
    label: String,
    entry: &LedgerEntry,
    applied: bool,
    previous: Option<&str>,
) {
    let Some(sql) = resolve_failed_statements(ledger, plan.dialect, entry, applied, previous)
    else {
        return;
    };
    let (action, what) = match applied {
        true => (
            "mark migration applied",
            "marked applied, its effects now all in the schema",
        ),
        false => (
            "clear failed migration",
            "cleared, so that the next migrate runs it again",
        ),
    };
    let why = format!("{label} {what}");
    push_step(plan, f, &entry.id, action, why, (sql.clone(), sql));
}

/// A step moving each ledger row a finding asks to quarantine
/// ([`FixIntent::QuarantineLedgerRow`]) out of the ledger.
fn quarantine_steps(plan: &mut FixPlan, ledger: &Ledger, findings: &[Finding]) {
    for f in findings
        .iter()
        .filter(|f| f.fix == FixIntent::QuarantineLedgerRow)
    {
        let Some(entry) = ledger
            .entries
            .iter()
            .find(|e| Some(e.id.as_str()) == f.migration.as_deref())
        else {
            continue;
        };
        let Some((sql, script)) = quarantine_ledger_row(ledger, plan.dialect, entry) else {
            continue;
        };
        let why = format!(
            "the row moves to {LEDGER_QUARANTINE_TABLE} (restorable), then leaves {}",
            ledger.table.table
        );
        push_step(
            plan,
            f,
            &entry.id,
            "quarantine ledger row",
            why,
            (sql, script),
        );
    }
}

/// Adds a safe ledger step on migration `id` that resolves finding `f`
/// (`why` says how), with its plain and guarded statements, and takes the
/// finding off the plan's unfixed list.
fn push_step(
    plan: &mut FixPlan,
    f: &Finding,
    id: &str,
    action: &str,
    why: String,
    (sql, script): (Vec<String>, Vec<String>),
) {
    let reason = Reason::of(f);
    plan.unfixed.retain(|u| u.finding != reason);
    plan.steps.push(FixStep {
        object: ObjectRef::migration(id),
        action: action.into(),
        safety: Safety::Safe,
        reason: format!("{reason}; {why}"),
        fixes: vec![reason],
        sql,
        script,
        preflight: Vec::new(),
        affected_rows: None,
        rebuilds: None,
        completes: None,
    });
}
