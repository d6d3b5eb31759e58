//! Well-known names: system schemas, migration ledger tables, quarantine.

/// Prefix of driftless's quarantine names on MySQL/MariaDB and SQLite (a
/// quarantined table, the table keeping a column's values, the catalog)
/// and of an orphan column renamed aside in a table without a primary
/// key. Quarantined objects keep their data and are not drift.
pub const QUARANTINE_PREFIX: &str = "_driftless_quarantine_";

/// The PostgreSQL schema driftless keeps quarantined data in: the values
/// of orphan columns, keyed by their rows' primary key, orphan tables, and
/// the quarantine catalog. Never read as application schema, never drift.
pub const QUARANTINE_SCHEMA: &str = "driftless_quarantine";

/// The table of the quarantine catalog: one row per quarantined object,
/// with what restoring it needs. PostgreSQL: in [`QUARANTINE_SCHEMA`]
/// (`driftless_quarantine._driftless_quarantine_catalog`); MySQL/MariaDB
/// and SQLite: in the database of the quarantined objects.
pub const QUARANTINE_CATALOG: &str = "_driftless_quarantine_catalog";

/// Whether `schema` is driftless's own quarantine schema.
///
/// ```
/// assert!(driftless_model::is_quarantine_schema("driftless_quarantine"));
/// assert!(!driftless_model::is_quarantine_schema("public"));
/// ```
pub fn is_quarantine_schema(schema: &str) -> bool {
    schema == QUARANTINE_SCHEMA
}

/// Tables that migration tools keep their ledger in. They are never
/// application schema and never orphans.
pub const LEDGER_TABLES: &[&str] = &[
    "django_migrations",
    "_sqlx_migrations",
    "refinery_schema_history",
    "__diesel_schema_migrations",
    "seaql_migrations",
    "flyway_schema_history",
    "schema_migrations",
    "ar_internal_metadata",
    "alembic_version",
    "_prisma_migrations",
    "goose_db_version",
];

/// Whether `table` is a known migration-ledger table.
///
/// ```
/// assert!(driftless_model::is_ledger_table("django_migrations"));
/// assert!(!driftless_model::is_ledger_table("users"));
/// ```
pub fn is_ledger_table(table: &str) -> bool {
    LEDGER_TABLES.contains(&table)
}

/// Whether `name` is a quarantined table or column.
pub fn is_quarantined(name: &str) -> bool {
    name.starts_with(QUARANTINE_PREFIX)
}

/// Schemas that belong to the database system, never to the application.
pub fn is_system_schema(schema: &str) -> bool {
    matches!(
        schema,
        "pg_catalog" | "information_schema" | "pg_toast" | "mysql" | "performance_schema" | "sys"
    ) || schema.starts_with("pg_temp_")
        || schema.starts_with("pg_toast_temp_")
}
