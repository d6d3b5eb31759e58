//! Reading a live database: its schema and, when asked, its ledgers; its
//! tables' live sizes.

use driftless_introspect::{ConnectOptions, Database, DbUrl, IntrospectOptions};
use driftless_migrations::read_ledgers;
use driftless_model::{Ledger, Snapshot};

use crate::error::Result;
use crate::progress::Progress;

/// Reads the schema of the database at `url` as `options` say (its
/// schemas, privileges) and, with `ledgers`, its migration ledgers,
/// reporting stages to `progress`. Open it read-only unless you mean to
/// write.
pub async fn read_live(
    url: &DbUrl,
    options: &IntrospectOptions,
    connect: &ConnectOptions,
    progress: &dyn Progress,
    ledgers: bool,
) -> Result<(Snapshot, Vec<Ledger>)> {
    let stage = progress.begin(&format!("connecting to {url}"));
    let mut db = Database::connect(url, connect).await?;
    stage.set(&format!("reading the schema of {url}"));
    let snapshot = db.snapshot(options).await?;
    let ledgers = if ledgers {
        stage.set(&format!("reading the migration ledgers of {url}"));
        read_ledgers(&mut db).await?
    } else {
        Vec::new()
    };
    tracing::debug!(url = %url, round_trips = db.round_trips(), "schema read");
    db.close().await?;
    Ok((snapshot, ledgers))
}

/// Reads only the migration ledgers of the database at `url`.
pub async fn read_ledgers_only(
    url: &DbUrl,
    connect: &ConnectOptions,
    progress: &dyn Progress,
) -> Result<Vec<Ledger>> {
    let _stage = progress.begin(&format!("reading the migration ledgers of {url}"));
    let mut db = Database::connect(url, connect).await?;
    let ledgers = read_ledgers(&mut db).await?;
    db.close().await?;
    Ok(ledgers)
}

/// The live size of every table of the database at `url` (only
/// `schemas`, when given), in one query, into `snapshot`: what fix steps
/// judge their hazards and online strategies by. Best effort: a database
/// that cannot say (SQLite) or a failed read leaves the sizes empty, and
/// every fix then runs in one transaction. Read after the schema and the
/// expected side, so that it never delays them.
pub(crate) async fn read_sizes(
    url: &DbUrl,
    schemas: &[String],
    connect: &ConnectOptions,
    snapshot: &mut Snapshot,
) {
    let sizes = async {
        let mut db = Database::connect(url, connect).await?;
        let sizes = db.table_sizes(schemas).await;
        let _ = db.close().await;
        sizes
    };
    match sizes.await {
        Ok(sizes) => snapshot.sizes = sizes,
        Err(e) => tracing::debug!("cannot read the live table sizes of {url}: {e}"),
    }
}
