//! Migration ledgers: the tables in which migration tools record what they
//! applied. Found from the catalog and read with plain SELECTs; nothing is
//! ever created or written.

use std::collections::BTreeMap;

use driftless_introspect::{Database, Error, Result, Row, Value};
use driftless_model::{
    is_system_schema, Checksum, Dialect, Ledger, LedgerEntry, LedgerKind, LedgerState, LedgerTable,
};

const EXTRA_TABLES: &[&str] = &["ar_internal_metadata"];

fn table_list() -> String {
    let mut names: Vec<&str> = [
        LedgerKind::Django,
        LedgerKind::Sqlx,
        LedgerKind::Refinery,
        LedgerKind::Diesel,
        LedgerKind::SeaOrm,
        LedgerKind::Flyway,
        LedgerKind::Dbmate,
        LedgerKind::Alembic,
        LedgerKind::Prisma,
    ]
    .iter()
    .map(|k| k.table())
    .chain(EXTRA_TABLES.iter().copied())
    .collect();
    names.sort();
    names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The catalog SELECT that lists `(schema, table, column, type)` of every
/// table that may be a ledger; feed its rows to [`detect_ledger_tables`]
/// (for callers that run the SELECTs on their own connection).
pub fn ledger_catalog_query(dialect: Dialect) -> String {
    let list = table_list();
    match dialect {
        Dialect::Postgres => format!(
            "SELECT c.table_schema::text, c.table_name::text, c.column_name::text, c.data_type::text \
             FROM information_schema.columns c WHERE c.table_name IN ({list}) ORDER BY 1, 2, 3"
        ),
        Dialect::Mysql => format!(
            "SELECT CAST(c.table_schema AS CHAR), CAST(c.table_name AS CHAR), CAST(c.column_name AS CHAR), CAST(c.data_type AS CHAR) \
             FROM information_schema.columns c WHERE c.table_schema = DATABASE() AND c.table_name IN ({list}) ORDER BY 1, 2, 3"
        ),
        Dialect::Sqlite => format!(
            "SELECT 'main', m.name, p.name, p.type FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name IN ({list}) ORDER BY 1, 2, 3"
        ),
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Null => None,
        Value::Text(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
    }
}

/// The ledgers that rows of [`ledger_catalog_query`] show. Pure.
pub fn detect_ledger_tables(rows: &[Row]) -> Vec<LedgerTable> {
    // (schema, table) -> column -> type
    let mut tables: BTreeMap<(String, String), BTreeMap<String, String>> = BTreeMap::new();
    for r in rows {
        let (Some(s), Some(t), Some(c)) = (text(r.first()), text(r.get(1)), text(r.get(2))) else {
            continue;
        };
        if is_system_schema(&s) {
            continue;
        }
        let ty = text(r.get(3)).unwrap_or_default().to_ascii_lowercase();
        tables
            .entry((s, t))
            .or_default()
            .insert(c.to_ascii_lowercase(), ty);
    }
    let mut out = Vec::new();
    for ((schema, table), cols) in &tables {
        let kind = match table.as_str() {
            "django_migrations" => LedgerKind::Django,
            "_sqlx_migrations" => LedgerKind::Sqlx,
            "refinery_schema_history" => LedgerKind::Refinery,
            "__diesel_schema_migrations" => LedgerKind::Diesel,
            "seaql_migrations" => LedgerKind::SeaOrm,
            "flyway_schema_history" => LedgerKind::Flyway,
            "alembic_version" => LedgerKind::Alembic,
            "_prisma_migrations" => LedgerKind::Prisma,
            "schema_migrations" if cols.contains_key("dirty") => LedgerKind::GolangMigrate,
            "schema_migrations"
                if tables.contains_key(&(schema.clone(), "ar_internal_metadata".into())) =>
            {
                LedgerKind::Rails
            }
            "schema_migrations" => LedgerKind::Dbmate,
            _ => continue,
        };
        let wide_versions = kind == LedgerKind::Refinery
            && cols
                .get("version")
                .is_some_and(|t| t.contains("big") || t.contains("int8"));
        out.push(LedgerTable {
            kind,
            schema: schema.clone(),
            table: table.clone(),
            wide_versions,
        });
    }
    out
}

fn quote(dialect: Dialect, ident: &str) -> String {
    dialect.quote_ident(ident)
}

/// The SELECT that reads `table`; feed its rows to [`parse_ledger`]. A
/// query as a value: no database needed.
pub fn ledger_query(dialect: Dialect, table: &LedgerTable) -> String {
    let t = format!(
        "{}.{}",
        quote(dialect, &table.schema),
        quote(dialect, &table.table)
    );
    let txt = |col: &str| match dialect {
        Dialect::Mysql => format!("CAST({col} AS CHAR)"),
        _ => format!("CAST({col} AS TEXT)"),
    };
    let hex = |col: &str| match dialect {
        Dialect::Postgres => format!("encode({col}, 'hex')"),
        _ => format!("LOWER(HEX({col}))"),
    };
    match table.kind {
        LedgerKind::Django => format!("SELECT id, app, name, {} FROM {t} ORDER BY id", txt("applied")),
        LedgerKind::Sqlx => format!(
            "SELECT version, description, {}, success, {}, execution_time FROM {t} ORDER BY version",
            txt("installed_on"),
            hex("checksum")
        ),
        LedgerKind::Refinery => format!("SELECT version, name, applied_on, checksum FROM {t} ORDER BY version"),
        LedgerKind::Diesel => format!("SELECT version, {} FROM {t} ORDER BY version", txt("run_on")),
        LedgerKind::SeaOrm => format!("SELECT version, {} FROM {t} ORDER BY version", txt("applied_at")),
        LedgerKind::Flyway => format!(
            "SELECT installed_rank, {}, description, type, script, checksum, {}, execution_time, success FROM {t} ORDER BY installed_rank",
            txt("version"),
            txt("installed_on")
        ),
        LedgerKind::GolangMigrate => format!("SELECT version, dirty FROM {t}"),
        LedgerKind::Dbmate | LedgerKind::Rails => format!("SELECT {} FROM {t} ORDER BY version", txt("version")),
        LedgerKind::Alembic => format!("SELECT version_num FROM {t} ORDER BY version_num"),
        LedgerKind::Prisma => format!(
            "SELECT migration_name, checksum, {}, {}, {}, logs, applied_steps_count FROM {t} ORDER BY {}, migration_name",
            txt("started_at"),
            txt("finished_at"),
            txt("rolled_back_at"),
            "started_at"
        ),
    }
}

fn entry(id: String, state: LedgerState) -> LedgerEntry {
    LedgerEntry {
        id,
        name: None,
        app: None,
        checksum: None,
        applied_at: None,
        state,
        execution_ms: None,
        detail: None,
    }
}

fn bad_row(table: &LedgerTable, message: &str) -> Error {
    Error::Catalog {
        object: format!("ledger table {}.{}", table.schema, table.table),
        message: message.to_string(),
    }
}

/// Text column `i` of ledger row `r`, which must be there.
fn required(table: &LedgerTable, r: &Row, i: usize, what: &str) -> Result<String> {
    text(r.get(i)).ok_or_else(|| bad_row(table, &format!("{what} is NULL or missing")))
}

/// Turns the rows of [`ledger_query`] into a ledger (for callers that run
/// the SELECT on their own connection). Pure; a row without its key column
/// is a typed error, never a panic.
///
/// ```
/// use driftless_introspect::Value;
/// use driftless_migrations::parse_ledger;
/// use driftless_model::{Dialect, LedgerKind, LedgerTable};
/// let table = LedgerTable { kind: LedgerKind::Alembic, schema: "public".into(), table: "alembic_version".into(), wide_versions: false };
/// let ledger = parse_ledger(&table, Dialect::Postgres, &[vec![Value::Text("ae10".into())]]).unwrap();
/// assert_eq!(ledger.entries[0].id, "ae10");
/// ```
pub fn parse_ledger(table: &LedgerTable, dialect: Dialect, rows: &[Row]) -> Result<Ledger> {
    let mut entries = Vec::new();
    match table.kind {
        LedgerKind::Django => {
            for r in rows {
                let app = required(table, r, 1, "app")?;
                let name = required(table, r, 2, "name")?;
                let mut e = entry(format!("{app}.{name}"), LedgerState::Applied);
                e.app = Some(app);
                e.name = Some(name);
                e.applied_at = text(r.get(3));
                entries.push(e);
            }
        }
        LedgerKind::Sqlx => {
            for r in rows {
                let version = required(table, r, 0, "version")?;
                let success = r.get(3).and_then(Value::as_bool).unwrap_or(true);
                let mut e = entry(
                    version,
                    if success {
                        LedgerState::Applied
                    } else {
                        LedgerState::Failed
                    },
                );
                e.name = text(r.get(1));
                e.applied_at = text(r.get(2));
                e.checksum = text(r.get(4)).map(|h| Checksum::Sha384(h.to_ascii_lowercase()));
                e.execution_ms = r.get(5).and_then(Value::as_i64).map(|ns| ns / 1_000_000);
                entries.push(e);
            }
        }
        LedgerKind::Refinery => {
            for r in rows {
                let mut e = entry(required(table, r, 0, "version")?, LedgerState::Applied);
                e.name = text(r.get(1));
                e.applied_at = text(r.get(2));
                e.checksum = text(r.get(3))
                    .and_then(|c| c.trim().parse().ok())
                    .map(Checksum::SipHash13);
                entries.push(e);
            }
        }
        LedgerKind::Diesel | LedgerKind::SeaOrm => {
            for r in rows {
                let mut e = entry(required(table, r, 0, "version")?, LedgerState::Applied);
                e.applied_at = text(r.get(1));
                entries.push(e);
            }
        }
        LedgerKind::Flyway => entries = flyway_entries(rows),
        LedgerKind::GolangMigrate => {
            for r in rows {
                let dirty = r.get(1).and_then(Value::as_bool).unwrap_or(false);
                let version = required(table, r, 0, "version")?;
                entries.push(entry(
                    version,
                    if dirty {
                        LedgerState::Dirty
                    } else {
                        LedgerState::Applied
                    },
                ));
            }
        }
        LedgerKind::Dbmate | LedgerKind::Rails | LedgerKind::Alembic => {
            for r in rows {
                entries.push(entry(
                    required(table, r, 0, "version")?,
                    LedgerState::Applied,
                ));
            }
        }
        LedgerKind::Prisma => entries = prisma_entries(table, rows)?,
    }
    Ok(Ledger {
        table: table.clone(),
        dialect,
        entries,
    })
}

/// The entries of a Flyway history: `DELETE` rows remove earlier ones, a
/// repeatable migration keeps only its latest run, `SCHEMA` rows are skipped.
fn flyway_entries(rows: &[Row]) -> Vec<LedgerEntry> {
    let mut entries: Vec<LedgerEntry> = Vec::new();
    for r in rows {
        let kind = text(r.get(3)).unwrap_or_default().to_ascii_uppercase();
        let version = text(r.get(1));
        let description = text(r.get(2)).unwrap_or_default();
        let id = match &version {
            Some(v) => v.clone(),
            None => format!("R__{}", description.replace(' ', "_")),
        };
        if kind == "SCHEMA" {
            continue;
        }
        if kind == "DELETE" {
            entries.retain(|e: &LedgerEntry| e.id != id);
            continue;
        }
        let success = r.get(8).and_then(Value::as_bool).unwrap_or(true);
        let state = if kind.contains("BASELINE") {
            LedgerState::Baseline
        } else if success {
            LedgerState::Applied
        } else {
            LedgerState::Failed
        };
        let mut e = entry(id.clone(), state);
        e.name = Some(description);
        e.checksum = r
            .get(5)
            .and_then(Value::as_i64)
            .and_then(|c| i32::try_from(c).ok())
            .map(Checksum::Crc32);
        e.applied_at = text(r.get(6));
        e.execution_ms = r.get(7).and_then(Value::as_i64);
        e.detail = text(r.get(4));
        if version.is_none() {
            // A repeatable migration: the latest run is what counts.
            entries.retain(|x: &LedgerEntry| x.id != id);
        }
        entries.push(e);
    }
    entries
}

/// The entries of a Prisma history.
fn prisma_entries(table: &LedgerTable, rows: &[Row]) -> Result<Vec<LedgerEntry>> {
    // Several rows per migration are possible (failed, rolled back,
    // then applied): one entry per migration, the successful row
    // winning, then a failed one, then a rolled-back one.
    let mut by_name: Vec<LedgerEntry> = Vec::new();
    for r in rows {
        let name = required(table, r, 0, "migration_name")?;
        let finished = text(r.get(3));
        let rolled_back = text(r.get(4));
        let state = match (&finished, &rolled_back) {
            (_, Some(_)) => LedgerState::RolledBack,
            (Some(_), None) => LedgerState::Applied,
            (None, None) => LedgerState::Failed,
        };
        let mut e = entry(name.clone(), state);
        e.checksum = text(r.get(1)).map(|c| Checksum::Sha256(c.to_ascii_lowercase()));
        e.applied_at = finished.or_else(|| text(r.get(2)));
        e.detail = text(r.get(5));
        let rank = |s: LedgerState| match s {
            LedgerState::Applied => 0,
            LedgerState::Failed => 1,
            _ => 2,
        };
        match by_name.iter_mut().find(|x| x.id == name) {
            Some(prev) if rank(e.state) <= rank(prev.state) => *prev = e,
            Some(_) => {}
            None => by_name.push(e),
        }
    }
    Ok(by_name)
}

/// Finds every migration ledger in the database and reads it, with plain
/// SELECTs only (one catalog query, then one query per ledger found).
pub async fn read_ledgers(db: &mut Database) -> Result<Vec<Ledger>> {
    let dialect = db.dialect();
    let rows = db
        .query(&ledger_catalog_query(dialect), "finding migration ledgers")
        .await?;
    let mut out = Vec::new();
    for table in detect_ledger_tables(&rows) {
        let context = format!("reading migration ledger {}.{}", table.schema, table.table);
        let rows = db.query(&ledger_query(dialect, &table), &context).await?;
        out.push(parse_ledger(&table, dialect, &rows)?);
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn t(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn detects_kinds_from_columns() {
        let rows = vec![
            vec![
                t("public"),
                t("schema_migrations"),
                t("version"),
                t("bigint"),
            ],
            vec![
                t("public"),
                t("schema_migrations"),
                t("dirty"),
                t("boolean"),
            ],
            vec![
                t("rails"),
                t("schema_migrations"),
                t("version"),
                t("character varying"),
            ],
            vec![
                t("rails"),
                t("ar_internal_metadata"),
                t("key"),
                t("character varying"),
            ],
            vec![
                t("other"),
                t("schema_migrations"),
                t("version"),
                t("character varying"),
            ],
            vec![
                t("pg_catalog"),
                t("django_migrations"),
                t("id"),
                t("integer"),
            ],
            vec![
                t("main"),
                t("refinery_schema_history"),
                t("version"),
                t("int8"),
            ],
        ];
        let kinds: Vec<(LedgerKind, String, bool)> = detect_ledger_tables(&rows)
            .into_iter()
            .map(|l| (l.kind, l.schema, l.wide_versions))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (LedgerKind::Refinery, "main".into(), true),
                (LedgerKind::Dbmate, "other".into(), false),
                (LedgerKind::GolangMigrate, "public".into(), false),
                (LedgerKind::Rails, "rails".into(), false),
            ]
        );
    }

    #[test]
    fn flyway_rows() {
        let table = LedgerTable {
            kind: LedgerKind::Flyway,
            schema: "public".into(),
            table: "flyway_schema_history".into(),
            wide_versions: false,
        };
        let row = |rank: i64, v: Option<&str>, d: &str, ty: &str, ck: Option<i64>, ok: bool| {
            vec![
                Value::Int(rank),
                v.map_or(Value::Null, t),
                t(d),
                t(ty),
                t("s.sql"),
                ck.map_or(Value::Null, Value::Int),
                t("2024-01-01 00:00:00"),
                Value::Int(12),
                Value::Bool(ok),
            ]
        };
        let rows = vec![
            row(
                1,
                Some("1"),
                "<< Flyway Baseline >>",
                "BASELINE",
                None,
                true,
            ),
            row(2, Some("2"), "add users", "SQL", Some(-5), true),
            row(3, None, "views", "SQL", Some(1), true),
            row(4, None, "views", "SQL", Some(2), true),
            row(5, Some("3"), "broken", "SQL", Some(7), false),
        ];
        let l = parse_ledger(&table, Dialect::Postgres, &rows).unwrap();
        let got: Vec<(&str, LedgerState)> =
            l.entries.iter().map(|e| (e.id.as_str(), e.state)).collect();
        assert_eq!(
            got,
            vec![
                ("1", LedgerState::Baseline),
                ("2", LedgerState::Applied),
                ("R__views", LedgerState::Applied),
                ("3", LedgerState::Failed)
            ]
        );
        assert_eq!(
            l.entry("R__views").unwrap().checksum,
            Some(Checksum::Crc32(2))
        );
        assert_eq!(l.entry("2").unwrap().execution_ms, Some(12));
    }

    #[test]
    fn prisma_rows_collapse_per_migration() {
        let table = LedgerTable {
            kind: LedgerKind::Prisma,
            schema: "public".into(),
            table: "_prisma_migrations".into(),
            wide_versions: false,
        };
        let row = |n: &str, fin: Option<&str>, rb: Option<&str>, logs: Option<&str>| {
            vec![
                t(n),
                t("AB"),
                t("s"),
                fin.map_or(Value::Null, t),
                rb.map_or(Value::Null, t),
                logs.map_or(Value::Null, t),
                Value::Int(1),
            ]
        };
        let rows = vec![
            row("1_a", None, Some("x"), Some("boom")),
            row("1_a", Some("f"), None, None),
            row("2_b", None, None, Some("error: relation exists")),
        ];
        let l = parse_ledger(&table, Dialect::Postgres, &rows).unwrap();
        assert_eq!(l.entries.len(), 2);
        assert_eq!(l.entries[0].state, LedgerState::Applied);
        assert_eq!(l.entries[0].checksum, Some(Checksum::Sha256("ab".into())));
        assert_eq!(l.entries[1].state, LedgerState::Failed);
        assert_eq!(
            l.entries[1].detail.as_deref(),
            Some("error: relation exists")
        );
    }

    #[test]
    fn queries_quote_and_cast_per_dialect() {
        let table = LedgerTable {
            kind: LedgerKind::Sqlx,
            schema: "app".into(),
            table: "_sqlx_migrations".into(),
            wide_versions: false,
        };
        assert!(ledger_query(Dialect::Mysql, &table).contains("`app`.`_sqlx_migrations`"));
        assert!(ledger_query(Dialect::Mysql, &table).contains("LOWER(HEX(checksum))"));
        assert!(ledger_query(Dialect::Postgres, &table).contains("encode(checksum, 'hex')"));
        assert!(ledger_catalog_query(Dialect::Sqlite).contains("'_sqlx_migrations'"));
    }

    #[test]
    fn null_key_is_a_typed_error() {
        let table = LedgerTable {
            kind: LedgerKind::Django,
            schema: "public".into(),
            table: "django_migrations".into(),
            wide_versions: false,
        };
        let err = parse_ledger(
            &table,
            Dialect::Postgres,
            &[vec![Value::Int(1), Value::Null, t("x"), Value::Null]],
        );
        assert!(matches!(err, Err(Error::Catalog { .. })));
    }
}
