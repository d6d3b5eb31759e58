//! Scoped reads in one round trip.
//!
//! Replay provenance reads the schema after every migration, a few
//! relations at a time, so the cost of a scoped read is its round trips,
//! not its rows. A scoped read therefore sends everything as one
//! simple-protocol message: a first statement that checks the connection
//! is outside any transaction and only then pins the settings (for the
//! rest of the message: its implicit transaction), the namespaces, and one
//! `EXECUTE` per catalog task of statements prepared once per connection
//! ([`prepare_sql`]) with generic plans, so that no statement is planned
//! again for every migration. The result sets come back in order.
//!
//! The bulk queries need the oids of the wanted namespaces, which the
//! namespaces query of the same message returns: the message is sent with
//! those of the previous read on the connection ([`Session`]); if the
//! namespaces read say otherwise (a schema was created or dropped, or this
//! is the first read), the caller reads again the ordinary way.

use sqlx::postgres::PgRow;
use sqlx::Row as _;

use super::parse::{self, Catalog};
use super::{decode, in_transaction_error, pg, query, rows, Task};
use crate::driver::{query_error, result_sets};
use crate::error::Result;
use crate::{Database, IntrospectOptions};

/// What a connection remembers between scoped reads.
#[derive(Debug, Clone, Default)]
pub(crate) struct Session {
    /// The server version the statements were prepared for (`None`: not
    /// prepared on this connection yet).
    prepared: Option<i32>,
    /// The schemas asked for and the oids of the wanted namespaces at the
    /// previous scoped read.
    namespaces: Option<(Vec<String>, Vec<u32>)>,
}

/// The tasks of a scoped read, in the order their results come back.
const TASKS: [Task; 7] = [
    Task::Relations,
    Task::Columns,
    Task::Constraints,
    Task::Indexes,
    Task::Sequences,
    Task::Comments,
    Task::Lookups,
];

/// Name of the prepared statement of `task`.
fn statement(task: Task) -> &'static str {
    match task {
        Task::Relations => "driftless_scoped_relations",
        Task::Columns => "driftless_scoped_columns",
        Task::Constraints => "driftless_scoped_constraints",
        Task::Indexes => "driftless_scoped_indexes",
        Task::Enums => "driftless_scoped_enums",
        Task::Sequences => "driftless_scoped_sequences",
        Task::Comments => "driftless_scoped_comments",
        Task::Lookups => "driftless_scoped_lookups",
        Task::Unmodeled => "driftless_scoped_unmodeled",
        Task::TableObjects => "driftless_scoped_table_objects",
        Task::Privileges => "driftless_scoped_privileges",
    }
}

/// The parameter types of `task`'s statement (see [`Task::run`]).
fn parameters(task: Task) -> &'static str {
    match task {
        Task::Comments => "",
        Task::Lookups => "(text[])",
        _ => "(oid[], text[])",
    }
}

/// Pins the settings of [`query::VERSION_SCOPED`] for the rest of the
/// message, only outside a transaction, and says whether it was.
/// Columns: `outside bool`, `settings text?`.
const GUARD: &str = "\
SELECT now() = statement_timestamp(),
       CASE WHEN now() = statement_timestamp() THEN
         concat_ws('; ', set_config('search_path', 'pg_catalog, pg_temp', true),
                   set_config('standard_conforming_strings', 'on', true),
                   set_config('jit', 'off', true),
                   set_config('plan_cache_mode', 'force_generic_plan', true))
       END";

/// The message that prepares the scoped statements on a connection (under
/// the pinned search path, so that names resolve as in the bulk reader).
fn prepare_sql(version: i32) -> String {
    let mut sql = format!("{GUARD};\n");
    for task in TASKS {
        sql.push_str(&format!(
            "PREPARE {} {} AS {};\n",
            statement(task),
            parameters(task),
            task.sql(version, true)
        ));
    }
    sql
}

/// A string literal that means `text` whatever `standard_conforming_strings`
/// says (an escape string, `E'…'`, reads backslashes the same either way).
fn literal(text: &str) -> String {
    format!("E'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
}

/// `ARRAY[…]::text[]` of `names`.
fn text_array(names: &[String]) -> String {
    let items: Vec<String> = names.iter().map(|n| literal(n)).collect();
    format!("ARRAY[{}]::text[]", items.join(", "))
}

/// `'{…}'::oid[]` of `oids`.
fn oid_array(oids: &[u32]) -> String {
    let items: Vec<String> = oids.iter().map(u32::to_string).collect();
    format!("'{{{}}}'::oid[]", items.join(","))
}

/// The message of one scoped read: the guard, the namespaces, then one
/// `EXECUTE` per task of [`TASKS`].
fn read_sql(namespaces: &[u32], names: &[String]) -> String {
    let (oids, names) = (oid_array(namespaces), text_array(names));
    let mut sql = format!("{GUARD};\n{};\n", query::NAMESPACES);
    for task in TASKS {
        let args = match task {
            Task::Comments => String::new(),
            Task::Lookups => format!("({names})"),
            _ => format!("({oids}, {names})"),
        };
        sql.push_str(&format!("EXECUTE {}{args};\n", statement(task)));
    }
    sql
}

/// A scoped read in one round trip, or `None` when the namespaces it
/// assumed were not the wanted ones (the caller reads the ordinary way;
/// the next read assumes the new ones).
pub(super) async fn scoped_snapshot(
    db: &mut Database,
    options: &IntrospectOptions,
) -> Result<Option<Catalog>> {
    let Some(names) = options.only.as_ref() else {
        return Ok(None);
    };
    let names: Vec<String> = names.iter().cloned().collect();
    prepare(db).await?;
    let assumed = match &db.pg_session.namespaces {
        Some((schemas, oids)) if schemas == &options.schemas => oids.clone(),
        _ => Vec::new(),
    };
    let sent = send(
        db,
        read_sql(&assumed, &names),
        "reading the touched relations",
    )
    .await;
    let Ok(sets) = sent else {
        // Whatever failed (the prepared statements gone with a `DISCARD
        // ALL`, say), the ordinary read reports it if it persists.
        db.pg_session = Session::default();
        return Ok(None);
    };
    let url = db.url.to_string();
    let err = |e: sqlx::Error| query_error(&url, "reading the touched relations", e);
    let mut sets = sets.into_iter();
    let guard = sets.next().unwrap_or_default();
    if !guard
        .first()
        .map(|r| r.try_get::<bool, _>(0))
        .transpose()
        .map_err(err)?
        .unwrap_or(false)
    {
        return Err(in_transaction_error(&url));
    }
    let namespaces =
        decode(&sets.next().unwrap_or_default(), rows::NamespaceRow::decode).map_err(err)?;
    let wanted: Vec<u32> = parse::wanted_namespaces(&namespaces, options)
        .iter()
        .map(|n| n.oid)
        .collect();
    let matches = wanted == assumed;
    db.pg_session.namespaces = Some((options.schemas.clone(), wanted));
    if !matches {
        return Ok(None);
    }
    let mut catalog = Catalog {
        namespaces,
        ..Catalog::default()
    };
    for task in TASKS {
        let rows: Vec<PgRow> = sets.next().unwrap_or_default();
        catalog.absorb(task.decode(&rows).map_err(err)?);
    }
    Ok(Some(catalog))
}

/// Prepares the scoped statements on this connection unless they are
/// (one round trip, once); returns the server version.
async fn prepare(db: &mut Database) -> Result<i32> {
    if let Some(version) = db.pg_session.prepared {
        return Ok(version);
    }
    let version = match pg(db)?.server_version_num() {
        Some(v) => i32::try_from(v).unwrap_or(i32::MAX),
        None => super::read_version(db, query::VERSION).await?,
    };
    send(
        db,
        prepare_sql(version),
        "preparing the scoped catalog queries",
    )
    .await?;
    db.pg_session.prepared = Some(version);
    Ok(version)
}

/// Sends one simple-protocol message; its result sets, in order.
async fn send(db: &mut Database, sql: String, context: &str) -> Result<Vec<Vec<PgRow>>> {
    let url = db.url.to_string();
    db.round_trips += 1;
    result_sets(pg(db)?, sql)
        .await
        .map_err(|e| query_error(&url, context, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_arrays() {
        assert_eq!(literal("a'b\\c"), "E'a''b\\\\c'");
        assert_eq!(text_array(&[]), "ARRAY[]::text[]");
        assert_eq!(oid_array(&[1, 22]), "'{1,22}'::oid[]");
        let sql = read_sql(&[2200], &["t".to_string()]);
        assert_eq!(sql.matches("EXECUTE").count(), TASKS.len());
        assert!(sql.contains("EXECUTE driftless_scoped_lookups(ARRAY[E't']::text[])"));
        assert!(sql.contains("EXECUTE driftless_scoped_comments;"));
    }
}
