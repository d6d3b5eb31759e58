//! The deploy preflight's two ends in the pipeline: the statements that
//! copy the live schema (and a framework's ledger) into the dev database,
//! and the live row counts of the tables pending statements hold up.

use std::collections::BTreeMap;

use driftless_fixer::{ledger_copy_statements, PlanOptions};
use driftless_introspect::{ConnectOptions, Database, DbUrl, Value};
use driftless_model::{Dialect, Ledger, PendingRun, Snapshot};
use driftless_rules::{Config, Context, Registry};

use crate::error::Result;

/// The statements that build `actual` (the live schema, read from
/// `target`) in the empty dev database `dev`, and then `ledger`'s copy
/// when the framework needs it: the fixer's own plan from an empty schema.
pub(crate) fn copy_statements(
    actual: &Snapshot,
    ledger: Option<&Ledger>,
    target: &DbUrl,
    dev: &DbUrl,
) -> Result<Vec<String>> {
    let mut copy = actual.clone();
    if actual.dialect == Dialect::Mysql {
        if let (Some(from), Some(to)) = (target.database(), dev.database()) {
            copy.rename_schema(from, to);
        }
    }
    let default_schema = match actual.dialect {
        Dialect::Postgres => "public".to_string(),
        Dialect::Sqlite => "main".to_string(),
        Dialect::Mysql => dev.database().unwrap_or_default().to_string(),
    };
    // The dev database has its default schema already, and nothing else.
    let mut empty = Snapshot::new(actual.dialect);
    if let Some(schema) = copy.schemas.get(&default_schema) {
        let mut bare = schema.clone();
        bare.tables.clear();
        bare.views.clear();
        bare.enums.clear();
        bare.sequences.clear();
        empty.schemas.insert(default_schema, bare);
    }
    let registry = Registry::builtin();
    let findings = registry
        .check(&Config::default(), &Context::new(&copy, &empty))
        .findings;
    let plan = driftless_fixer::plan(&copy, &empty, &findings, &PlanOptions::default())?;
    let mut statements: Vec<String> = plan.statements().map(str::to_string).collect();
    if let Some(ledger) = ledger {
        statements.extend(ledger_copy_statements(ledger, actual.dialect));
    }
    Ok(statements)
}

/// Notes in `run` the live rows and size of every table a pending
/// statement holds up: from the sizes read with the target's schema (one
/// bulk query), or, on SQLite, which keeps none, counted on the target
/// (read-only); hazards on tables the live database lacks (made by the
/// pending migrations themselves) go.
pub(crate) async fn count_rows(
    run: &mut PendingRun,
    actual: &Snapshot,
    target: &DbUrl,
    schemas: &[String],
    connect: &ConnectOptions,
) -> Result<()> {
    // A table only the pending migrations make holds up nothing live.
    run.hazards.retain(|h| {
        actual.schemas.iter().any(|(name, s)| {
            h.hazard.schema.as_ref().is_none_or(|want| want == name)
                && s.tables.contains_key(&h.hazard.table)
        })
    });
    if run.hazards.is_empty() {
        return Ok(());
    }
    if !actual.sizes.is_empty() {
        note_sizes(run, actual, schemas);
        return Ok(());
    }
    // SQLite keeps no size statistics: count.
    let dialect = target.dialect();
    let mut db = Database::connect(target, connect).await?;
    let mut counted: BTreeMap<String, Option<u64>> = BTreeMap::new();
    for h in &mut run.hazards {
        let schema = h.hazard.schema.clone().or_else(|| {
            (dialect != Dialect::Sqlite)
                .then(|| schemas.first().cloned())
                .flatten()
        });
        let name = match &schema {
            Some(s) => format!(
                "{}.{}",
                dialect.quote_ident(s),
                dialect.quote_ident(&h.hazard.table)
            ),
            None => dialect.quote_ident(&h.hazard.table),
        };
        if !counted.contains_key(&name) {
            let sql = format!("SELECT count(*) FROM {name}");
            let rows = db.query(&sql, "counting the rows of a table").await.ok();
            let n = rows
                .as_ref()
                .and_then(|r| r.first())
                .and_then(|r| r.first())
                .and_then(Value::as_i64)
                .and_then(|n| u64::try_from(n).ok());
            counted.insert(name.clone(), n);
        }
        h.rows = counted.get(&name).copied().flatten();
    }
    let _ = db.close().await;
    Ok(())
}

/// The live rows and bytes of each hazard's table, from `actual`'s sizes
/// (a statement naming no schema is on the first of `schemas`, else on
/// the only schema holding the table).
fn note_sizes(run: &mut PendingRun, actual: &Snapshot, schemas: &[String]) {
    for h in &mut run.hazards {
        let table = &h.hazard.table;
        let schema = h.hazard.schema.clone().or_else(|| {
            schemas.first().cloned().or_else(|| {
                actual
                    .schemas
                    .iter()
                    .find(|(_, s)| s.tables.contains_key(table))
                    .map(|(n, _)| n.clone())
            })
        });
        if let Some(size) = schema.and_then(|s| actual.sizes.get(&s, table)) {
            h.rows = size.rows;
            h.bytes = size.bytes;
        }
    }
}
