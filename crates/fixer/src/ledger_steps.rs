//! Ledger steps: a pending migration whose effects the repaired schema
//! holds is recorded as applied, in its tool's own ledger format (what
//! Django calls `migrate --fake`), after the schema steps and in the same
//! transaction where the database allows it.

use std::collections::BTreeMap;

use driftless_model::{
    Dialect, EffectKind, Ledger, LedgerEntry, LedgerRebuild, LedgerState, LedgerTable, Migration,
    MigrationKind, MigrationSet, ObjectRef, Provenance,
};
use driftless_rules::{Finding, FixIntent};

use crate::plan::{FixPlan, FixStep, PlanError, Reason};
use crate::safety::Safety;
use crate::sql::{
    also_when, create_ledger_statements, effects_condition, quarantine_ledger_row,
    record_statements, record_statements_guarded, resolve_failed_statements,
    update_checksum_statements, RecordError, LEDGER_QUARANTINE_TABLE,
};

/// Adds to `plan` the ledger steps the findings ask for: each ledger row
/// without a file moved out of `ledger`
/// ([`FixIntent::QuarantineLedgerRow`]), then each migration of `set` to
/// record ([`FixIntent::RecordMigration`]) recorded, in the set's order;
/// and takes those findings off the plan's unfixed list.
///
/// With the `provenance` of the set's replay, on MySQL/MariaDB (where DDL
/// commits as it runs) each row is written only once its migration's
/// effects are there: the statements check `information_schema` first, so
/// that a repair stopped half-way never leaves a migration recorded
/// without its effects, and a rerun completes it.
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
/// add_ledger_steps(&mut p, &set, &ledger, &[f], None).unwrap();
/// assert_eq!(p.steps[0].action, "record migration");
/// assert!(p.steps[0].sql[0].starts_with("INSERT INTO \"main\".\"_sqlx_migrations\""));
/// assert!(p.unfixed.is_empty());
/// ```
pub fn add_ledger_steps(
    plan: &mut FixPlan,
    set: &MigrationSet,
    ledger: &Ledger,
    findings: &[Finding],
    provenance: Option<&Provenance>,
) -> Result<(), PlanError> {
    quarantine_steps(plan, ledger, findings);
    let table = &ledger.table;
    let guard = RowGuard::new(plan.dialect, provenance);
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
            let guard = guard.as_ref().filter(|_| applied);
            resolve_step(
                plan,
                ledger,
                (f, guard),
                m.label(),
                entry,
                applied,
                previous,
            );
            continue;
        }
        if f.fix != FixIntent::RecordMigration {
            continue;
        }
        let (sql, script) = record_pair(table, plan.dialect, m, guard.as_ref())?;
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
    (f, guard): (&Finding, Option<&RowGuard<'_>>),
    label: String,
    entry: &LedgerEntry,
    applied: bool,
    previous: Option<&str>,
) {
    let Some(mut sql) = resolve_failed_statements(ledger, plan.dialect, entry, applied, previous)
    else {
        return;
    };
    if let Some(g) = guard {
        sql = g.wait(&entry.id, &sql);
    }
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
    statements: (Vec<String>, Vec<String>),
) {
    let reason = Reason::of(f);
    plan.unfixed.retain(|u| u.finding != reason);
    let mut step = ledger_step(f, ObjectRef::migration(id), why, statements);
    step.action = action.into();
    plan.steps.push(step);
}

/// A safe ledger step on `object` that resolves finding `f` (`why` says
/// how), with its plain and guarded statements.
fn ledger_step(
    f: &Finding,
    object: ObjectRef,
    why: String,
    (sql, script): (Vec<String>, Vec<String>),
) -> FixStep {
    let reason = Reason::of(f);
    let mut step = FixStep::new(
        object,
        String::new(),
        Safety::Safe,
        format!("{reason}; {why}"),
        (sql, script),
    );
    step.fixes = vec![reason];
    step
}

/// The plain and guarded statements recording `m` in `table`; with a
/// [`RowGuard`] both are the guarded ones, waiting for `m`'s effects.
fn record_pair(
    table: &LedgerTable,
    dialect: Dialect,
    m: &Migration,
    guard: Option<&RowGuard<'_>>,
) -> Result<(Vec<String>, Vec<String>), PlanError> {
    let failed = |e: RecordError| PlanError::Unsupported {
        object: format!("migration {}", m.label()),
        reason: e.to_string(),
    };
    let script = record_statements_guarded(table, dialect, m, 0).map_err(failed)?;
    Ok(match guard {
        Some(g) => {
            let waiting = g.wait(&m.id, &script);
            (waiting.clone(), waiting)
        }
        None => (
            record_statements(table, dialect, m, 0).map_err(failed)?,
            script,
        ),
    })
}

/// What a ledger row waits for on MySQL/MariaDB: the objects each
/// migration's effects leave in the final replayed schema (created or
/// changed, and still there at the end) and those it drops for good.
struct RowGuard<'a> {
    provenance: &'a Provenance,
    /// Whether each object touched by a migration exists at the end.
    at_end: BTreeMap<&'a ObjectRef, bool>,
}

impl<'a> RowGuard<'a> {
    /// `None` but on MySQL/MariaDB with a provenance.
    fn new(dialect: Dialect, provenance: Option<&'a Provenance>) -> Option<Self> {
        let provenance = provenance.filter(|_| dialect == Dialect::Mysql)?;
        let mut at_end = BTreeMap::new();
        for id in provenance.migrations() {
            for e in provenance.effects(id) {
                at_end.insert(&e.object, e.kind != EffectKind::Dropped);
            }
        }
        Some(RowGuard { provenance, at_end })
    }

    /// `statements` (guarded ledger statements) made to wait for the
    /// effects of migration `id`.
    fn wait(&self, id: &str, statements: &[String]) -> Vec<String> {
        let effects = self.provenance.effects(id);
        let lasting = |e: &&driftless_model::Effect, there: bool| {
            (e.kind != EffectKind::Dropped) == there && self.at_end.get(&e.object) == Some(&there)
        };
        let present: Vec<&ObjectRef> = effects
            .iter()
            .filter(|e| lasting(e, true))
            .map(|e| &e.object)
            .collect();
        let absent: Vec<&ObjectRef> = effects
            .iter()
            .filter(|e| lasting(e, false))
            .map(|e| &e.object)
            .collect();
        match effects_condition(Dialect::Mysql, &present, &absent) {
            Some(condition) => also_when(statements, &condition),
            None => statements.to_vec(),
        }
    }
}

/// Adds the steps that give back the ledger a database lost
/// ([`LedgerRebuild`], reported by the `ledger-lost` finding): its table
/// created first when missing, as the tool creates it, then the
/// migrations of the prefix recorded in the tool's order (migrations of a
/// framework's own apps too, for Django). Runs before [`add_ledger_steps`]
/// (whose rows follow the rebuilt ones), with the same `provenance` for
/// MySQL/MariaDB.
pub fn add_rebuild_steps(
    plan: &mut FixPlan,
    set: &MigrationSet,
    rebuild: &LedgerRebuild,
    findings: &[Finding],
    provenance: Option<&Provenance>,
) -> Result<(), PlanError> {
    let Some(f) = findings.iter().find(|f| f.rule == "ledger-lost") else {
        return Ok(());
    };
    let table = &rebuild.table;
    let guard = RowGuard::new(plan.dialect, provenance);
    let (mut sql, mut script) = (Vec::new(), Vec::new());
    for id in &rebuild.recorded {
        let Some(m) = set.get(id).cloned().or_else(|| outside_migration(set, id)) else {
            continue;
        };
        let (plain, guarded) = record_pair(table, plan.dialect, &m, guard.as_ref())?;
        sql.extend(plain);
        script.extend(guarded);
    }
    let reason = Reason::of(f);
    if rebuild.create {
        let create = create_ledger_statements(table, plan.dialect);
        let why = format!("{} is created as its tool creates it", table.table);
        let mut step = ledger_step(
            f,
            ObjectRef::table(&table.schema, &table.table),
            why,
            create,
        );
        step.action = "create ledger table".into();
        plan.steps.push(step);
    }
    let why = match &rebuild.stop {
        Some(stop) => format!(
            "{} migration(s) recorded, the longest prefix whose effects are all present; it stops before {}, whose {} is absent",
            rebuild.recorded.len(),
            set.get(&stop.id).map_or_else(|| stop.id.clone(), Migration::label),
            stop.absent.first().map(|e| e.object.described().to_string()).unwrap_or_default()
        ),
        None => format!(
            "{} migration(s) recorded: every migration's effects are present",
            rebuild.recorded.len()
        ),
    };
    let mut step = ledger_step(
        f,
        ObjectRef::table(&table.schema, &table.table),
        why,
        (sql, script),
    );
    step.action = "rebuild ledger".into();
    plan.steps.push(step);
    plan.unfixed.retain(|u| u.finding != reason);
    Ok(())
}

/// A migration of a Django app outside the folder (`auth.0001_initial`),
/// as its ledger row needs it: app and name.
fn outside_migration(set: &MigrationSet, id: &str) -> Option<Migration> {
    let (app, name) = id.split_once('.')?;
    let template = set.migrations.first()?;
    (template.app.is_some()).then(|| Migration {
        id: id.to_string(),
        version: None,
        name: name.to_string(),
        app: Some(app.to_string()),
        kind: MigrationKind::Versioned,
        path: template.path.clone(),
        content: String::new(),
        sql: None,
        sql_line: 1,
        checksum: None,
        parents: Vec::new(),
        replaces: Vec::new(),
        no_transaction: false,
    })
}
