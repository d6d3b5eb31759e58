//! Catalog reader for SQLite.
//!
//! One statement reads the whole catalog: `sqlite_schema` joined with the
//! pragma table-valued functions and aggregated by SQLite into one JSON
//! row per schema ([`query`]); the rows become the model in pure code
//! ([`parse`]), with the CREATE statements read by a tokenizer ([`ddl`])
//! for what the pragmas do not tell. A single statement sees one
//! consistent state of the file, so no transaction is needed. A writer
//! holding the file's exclusive lock makes it wait up to
//! [`ConnectOptions::lock_timeout`](crate::ConnectOptions::lock_timeout)
//! (the busy timeout), then fail with [`Error::Locked`] (SQLite cannot say
//! which connection holds the lock); an interrupt stops the statement, or
//! abandons its wait for the lock, which SQLite cannot cut short.
//!
//! Schema `main` is read by default; other attached schemas (`temp`, or
//! ones the caller attached on this connection) when named in
//! [`IntrospectOptions::schemas`]. Naming a schema that is not attached is
//! an error.

mod ddl;
mod parse;
mod query;

use crate::error::{Error, Result};
use crate::{Database, IntrospectOptions};
use driftless_model::Snapshot;

pub(crate) async fn snapshot(db: &mut Database, options: &IntrospectOptions) -> Result<Snapshot> {
    let schemas: Vec<String> = if options.schemas.is_empty() {
        vec!["main".to_string()]
    } else {
        options.schemas.clone()
    };
    if schemas.iter().any(|s| s != "main") {
        let attached: Vec<String> = db
            .query(query::DATABASE_LIST, "listing attached SQLite schemas")
            .await?
            .into_iter()
            .filter_map(|row| row.first().and_then(|v| v.as_str().map(str::to_string)))
            .collect();
        if let Some(missing) = schemas.iter().find(|s| !attached.contains(s)) {
            return Err(Error::Invalid(format!(
                "schema `{missing}` is not attached to {} (attached: {})",
                db.url(),
                attached.join(", ")
            )));
        }
    }
    let rows = db
        .query(
            &query::catalog(&schemas, options.only.as_ref()),
            "reading the SQLite catalog",
        )
        .await?;
    parse::snapshot(&rows, &schemas, options)
}
