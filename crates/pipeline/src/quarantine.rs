//! The quarantine of a live database: what fixes set aside
//! ([`quarantine_list`]) and putting one object back
//! ([`quarantine_restore`]), as `driftless quarantine list|restore` run
//! them.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use driftless_fixer::{ApplyOptions, PlanOptions};
//! use driftless_introspect::{ConnectOptions, DbUrl};
//! use driftless_pipeline::{quarantine_list, quarantine_restore, DriftCheck, SnapshotFile};
//!
//! let dir = tempfile::tempdir()?;
//! let target = DbUrl::parse(&format!("sqlite:{}", dir.path().join("app.db").display()))?;
//! # let create = driftless_introspect::ConnectOptions::default().with_create_if_missing(true);
//! # let mut conn = driftless_introspect::Database::connect(&target, &create).await?;
//! # conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)", "setup").await?;
//! # let expected = conn.snapshot(&Default::default()).await?;
//! # conn.execute("ALTER TABLE users ADD COLUMN avatar TEXT; INSERT INTO users VALUES (1, 'ann@example.com', 'ann.png')", "setup").await?;
//! # conn.close().await?;
//! # expected.save(&dir.path().join("schema.json"))?;
//! // The database has an orphan column, users.avatar: fix quarantines it.
//! let source = SnapshotFile::new(dir.path().join("schema.json"));
//! let mut checked = DriftCheck::new(target.clone(), Box::new(source)).run().await?;
//! let plan = checked.plan(&PlanOptions::default())?;
//! checked.repair(plan, &PlanOptions::default(), &ApplyOptions::default()).await?;
//!
//! let read = ConnectOptions::read_only();
//! let held = quarantine_list(&target, &read).await?;
//! assert_eq!(held[0].object(), "main.users.avatar");
//! assert_eq!(held[0].rows, 1);
//!
//! // Without `apply`, the plan only; with it, the column and its values are back.
//! let write = ConnectOptions::default();
//! let restored = quarantine_restore(&target, &write, "users.avatar", true).await?;
//! assert_eq!(restored.plan.steps[0].action, "restore column");
//! assert!(quarantine_list(&target, &read).await?.is_empty());
//! # Ok(()) }
//! ```

use std::collections::BTreeSet;

use driftless_fixer::{
    apply, find_quarantined, list_quarantine, plan_restore, quarantine_held_names, ApplyOptions,
    ApplyReport, FixPlan, QuarantineEntry,
};
use driftless_introspect::{ConnectOptions, Database, DbUrl, IntrospectOptions};

use crate::error::Result;

/// Everything the quarantine of the database at `url` holds, with the rows
/// each object keeps. Read-only.
pub async fn quarantine_list(
    url: &DbUrl,
    connect: &ConnectOptions,
) -> Result<Vec<QuarantineEntry>> {
    let mut db = Database::connect(url, connect).await?;
    let entries = list_quarantine(&mut db).await;
    db.close().await?;
    Ok(entries?)
}

/// The quarantine as a check sees it: what it holds, and (PostgreSQL) the
/// names its schema holds, which new quarantine objects avoid.
pub(crate) async fn read_quarantine(
    url: &DbUrl,
    connect: &ConnectOptions,
) -> Result<(Vec<QuarantineEntry>, BTreeSet<String>)> {
    let mut db = Database::connect(url, connect).await?;
    let entries = list_quarantine(&mut db).await;
    let held = quarantine_held_names(&mut db).await;
    db.close().await?;
    Ok((entries?, held?))
}

/// The outcome of [`quarantine_restore`].
#[derive(Debug)]
#[non_exhaustive]
pub struct Restored {
    /// The entry restored.
    pub entry: QuarantineEntry,
    /// The restoring plan.
    pub plan: FixPlan,
    /// What applying did; `None` when only planned.
    pub applied: Option<ApplyReport>,
}

/// Restores quarantined `object` (`schema.table.column`, `table.column`,
/// a table, or where its data is held) in the database at `url`, opened
/// with `connect` (read-write to apply): plans it and, with `apply_it`,
/// applies it (under the fix lock, in one transaction on PostgreSQL and
/// SQLite). Refused when the object is unknown or exists again
/// ([`QuarantineError`](driftless_fixer::QuarantineError)).
pub async fn quarantine_restore(
    url: &DbUrl,
    connect: &ConnectOptions,
    object: &str,
    apply_it: bool,
) -> Result<Restored> {
    let mut db = Database::connect(url, connect).await?;
    let outcome = restore_on(&mut db, object, apply_it, connect).await;
    let _ = db.close().await;
    outcome
}

/// The restore on `db`; the apply stops (and rolls back) on `connect`'s
/// interrupt, like a fix.
async fn restore_on(
    db: &mut Database,
    object: &str,
    apply_it: bool,
    connect: &ConnectOptions,
) -> Result<Restored> {
    let entries = list_quarantine(db).await?;
    let entry = find_quarantined(&entries, object)?.clone();
    let options = match &connect.interrupt {
        Some(interrupt) => ApplyOptions::default().with_interrupt(interrupt.clone()),
        None => ApplyOptions::default(),
    };
    let actual = db.snapshot(&IntrospectOptions::default()).await?;
    let plan = plan_restore(&actual, &entry)?;
    let applied = if apply_it {
        Some(apply(db, &plan, &options).await?)
    } else {
        None
    };
    Ok(Restored {
        entry,
        plan,
        applied,
    })
}
