//! Catalog reader for MySQL and MariaDB.
//!
//! A fixed number of bulk `information_schema` queries ([`query`]) for all
//! selected schemas at once, inside one `START TRANSACTION WITH CONSISTENT
//! SNAPSHOT, READ ONLY` that is rolled back at the end; the rows become the
//! model in pure code ([`parse`], which documents how defaults, JSON
//! columns, unique constraints and foreign-key actions are normalised).
//!
//! Round trips: begin, server version, then one query each for schemata,
//! tables, columns, indexes (with unique constraints), foreign-key columns,
//! foreign-key rules, checks (where
//! the server has them) and views, one message with the queries of
//! partitions, triggers, routines, their parameters and events, plus one
//! for the settings of all MariaDB sequences when there are any, then the
//! rollback.
//!
//! Locks: `information_schema` reads are not held up by table locks
//! (`LOCK TABLES … WRITE`, a transaction blocking an `ALTER`); reads of
//! tables themselves (ledgers, row counts) are, for at most
//! [`ConnectOptions::lock_timeout`](crate::ConnectOptions::lock_timeout)
//! on a read-only connection (`lock_wait_timeout`), then fail with
//! [`Error::Locked`](crate::Error::Locked) naming the table and the
//! session holding it where the server says (see `lock`).
//!
//! The schema read by default is the URL's database (`DATABASE()`);
//! [`IntrospectOptions::schemas`] selects others. A named schema that does
//! not exist is simply absent from the snapshot. A scoped read (replay
//! provenance) adds a `TABLE_NAME IN (…)` condition to every query over
//! tables, and once the connection has read before, sends all its queries
//! in one message (one round trip, no transaction).

mod defined;
mod options;
mod parse;
mod query;

use crate::error::{Error, Result};
use crate::{Database, IntrospectOptions};
use driftless_model::Snapshot;

/// What the connection's previous read found: `DATABASE()` and
/// `VERSION()`, which a scoped read assumes again and checks in the same
/// round trip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    database: Option<String>,
    version: String,
}

impl Session {
    /// From the row of [`query::SERVER`].
    fn from_rows(rows: &[crate::Row]) -> Session {
        let text = |i: usize| {
            rows.first().and_then(|r| r.get(i)).and_then(|v| match v {
                crate::Value::Text(s) => Some(s.clone()),
                crate::Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
                _ => None,
            })
        };
        Session {
            database: text(0),
            version: text(1).unwrap_or_default(),
        }
    }

    /// The server's flavor and the queries for `options`.
    fn queries(
        &self,
        db: &Database,
        options: &IntrospectOptions,
    ) -> Result<(query::Flavor, query::Queries)> {
        let flavor = query::Flavor::parse(&self.version);
        let schemas = if options.schemas.is_empty() {
            vec![self.database.clone().ok_or_else(|| {
                Error::Invalid(format!(
                    "{} names no database: add one to the URL or select schemas explicitly",
                    db.url()
                ))
            })?]
        } else {
            options.schemas.clone()
        };
        let q = query::Queries::new(flavor, &schemas);
        let q = match &options.only {
            Some(only) => q.scoped(only),
            None => q,
        };
        Ok((flavor, q))
    }
}

pub(crate) async fn snapshot(db: &mut Database, options: &IntrospectOptions) -> Result<Snapshot> {
    if let Some(snapshot) = scoped(db, options).await? {
        return Ok(snapshot);
    }
    db.execute(query::BEGIN, "starting a read-only snapshot transaction")
        .await?;
    let result = read(db, options).await;
    let end = db
        .execute(query::END, "ending the read-only transaction")
        .await;
    let snapshot = result?;
    end?;
    Ok(snapshot)
}

/// A scoped read (replay provenance, after every migration) in one round
/// trip: every catalog query in one multi-statement message, with the
/// server and database of the connection's previous read, which the same
/// message reads again (`None` when they changed or there was no previous
/// read: the caller reads the ordinary way). No transaction: MariaDB's
/// `information_schema` is not transactional, and replay is the only
/// client of its dev database.
async fn scoped(db: &mut Database, options: &IntrospectOptions) -> Result<Option<Snapshot>> {
    let Some(session) = db.mysql_session.clone() else {
        return Ok(None);
    };
    if options.only.is_none() {
        return Ok(None);
    }
    let (flavor, q) = session.queries(db, options)?;
    let mut statements = vec![query::SERVER];
    statements.extend(q.all());
    let sets = db
        .query_batch(&statements, "reading the touched relations")
        .await?;
    let mut sets = sets.into_iter();
    let mut next = || sets.next().unwrap_or_default();
    let server = Session::from_rows(&next());
    if server != session {
        db.mysql_session = Some(server);
        return Ok(None);
    }
    let mut rows = parse::CatalogRows {
        schemata: next(),
        tables: next(),
        columns: next(),
        indexes: next(),
        foreign_keys: next(),
        fk_rules: next(),
        ..parse::CatalogRows::default()
    };
    if q.checks.is_some() {
        rows.checks = next();
    }
    rows.views = next();
    rows.partitions = next();
    finish(db, flavor, rows, options).await.map(Some)
}

async fn read(db: &mut Database, options: &IntrospectOptions) -> Result<Snapshot> {
    let server = db
        .query(query::SERVER, "reading the server version")
        .await?;
    let session = Session::from_rows(&server);
    let (flavor, q) = session.queries(db, options)?;
    db.mysql_session = Some(session);
    let mut rows = parse::CatalogRows {
        schemata: db
            .query(&q.schemata, "reading information_schema.SCHEMATA")
            .await?,
        tables: db
            .query(&q.tables, "reading information_schema.TABLES")
            .await?,
        columns: db
            .query(&q.columns, "reading information_schema.COLUMNS")
            .await?,
        indexes: db
            .query(&q.indexes, "reading information_schema.STATISTICS")
            .await?,
        foreign_keys: db
            .query(
                &q.foreign_keys,
                "reading information_schema.KEY_COLUMN_USAGE",
            )
            .await?,
        fk_rules: db
            .query(
                &q.fk_rules,
                "reading information_schema.REFERENTIAL_CONSTRAINTS",
            )
            .await?,
        ..parse::CatalogRows::default()
    };
    if let Some(checks) = &q.checks {
        rows.checks = db
            .query(checks, "reading information_schema.CHECK_CONSTRAINTS")
            .await?;
    }
    rows.views = db
        .query(&q.views, "reading information_schema.VIEWS")
        .await?;
    let mut statements = vec![q.partitions.as_str()];
    statements.extend(q.objects.all());
    let sets = db
        .query_batch(
            &statements,
            "reading partitions, triggers, routines and events",
        )
        .await?;
    let mut sets = sets.into_iter();
    let mut next = || sets.next().unwrap_or_default();
    rows.partitions = next();
    rows.triggers = next();
    rows.routines = next();
    rows.parameters = next();
    rows.events = next();
    finish(db, flavor, rows, options).await
}

/// Reads the settings of the sequences among the tables read (one round
/// trip, when there are any) and assembles the snapshot.
async fn finish(
    db: &mut Database,
    flavor: query::Flavor,
    mut rows: parse::CatalogRows,
    options: &IntrospectOptions,
) -> Result<Snapshot> {
    if let Some(sql) = query::sequences(&parse::sequence_tables(&rows.tables, options)?) {
        rows.sequences = db.query(&sql, "reading sequence settings").await?;
    }
    let snapshot = parse::snapshot(flavor, &rows, options)?;
    warn_unreadable_views(db, &snapshot);
    Ok(snapshot)
}

/// A user without the SHOW VIEW privilege (e.g. one with SELECT only)
/// reads every view's definition as empty: say so once. The rules do not
/// compare a definition that could not be read.
fn warn_unreadable_views(db: &Database, snapshot: &Snapshot) {
    let unreadable: Vec<String> = snapshot
        .schemas
        .iter()
        .flat_map(|(schema, s)| {
            s.views
                .iter()
                .filter(|(_, v)| v.definition.is_empty())
                .map(move |(name, _)| format!("{schema}.{name}"))
        })
        .collect();
    if !unreadable.is_empty() {
        tracing::warn!(
            "{}: the definitions of {} view(s) cannot be read without the SHOW VIEW privilege and are not compared: {}",
            db.url(),
            unreadable.len(),
            unreadable.join(", ")
        );
    }
}
