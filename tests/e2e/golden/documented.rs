//! Tools no package registry here installs (Flyway: Maven; golang-migrate:
//! Go modules; Prisma: its engines' own download site): driftless's rows
//! against rows taken from the tools' source, cited at each table and
//! value. The ledger table is made with the DDL the tool runs; the
//! expected checksums were computed outside driftless with the tool's
//! algorithm (Python's `zlib.crc32` line by line for Flyway,
//! `hashlib.sha256` for Prisma).

use driftless_introspect::Value;
use driftless_model::MigrationFormat;
use driftless_testkit::{Backend, TestDb};

use super::{assert_rows_match, record_with_driftless, write_files};
use crate::support::rows;

/// driftless records `files` (read as `format`) in `db`, whose ledger
/// `ddl` made empty; the rows `sql` then reads.
async fn recorded(
    backend: Backend,
    ddl: &str,
    files: &[(&str, &str)],
    format: MigrationFormat,
    sql: &str,
) -> (TestDb, Vec<Vec<Value>>) {
    let db = TestDb::new(backend).await;
    db.exec(ddl).await;
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), files);
    record_with_driftless(&db, dir.path(), format).await;
    let got = rows(&db, sql).await;
    (db, got)
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

/// flyway/flyway, flyway-core/src/main/resources/org/flywaydb/core/
/// internal/database/{postgresql,sqlite}/createMetaDataTable.sql.
fn flyway_ddl(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            r#"CREATE TABLE "main"."flyway_schema_history" ("installed_rank" INT NOT NULL PRIMARY KEY, "version" VARCHAR(50), "description" VARCHAR(200) NOT NULL, "type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL, "checksum" INT, "installed_by" VARCHAR(100) NOT NULL, "installed_on" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')), "execution_time" INT NOT NULL, "success" BOOLEAN NOT NULL);
CREATE INDEX "main"."flyway_schema_history_s_idx" ON "flyway_schema_history" ("success");"#
        }
        _ => {
            r#"CREATE TABLE "public"."flyway_schema_history" ("installed_rank" INT NOT NULL, "version" VARCHAR(50), "description" VARCHAR(200) NOT NULL, "type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL, "checksum" INTEGER, "installed_by" VARCHAR(100) NOT NULL, "installed_on" TIMESTAMP NOT NULL DEFAULT now(), "execution_time" INTEGER NOT NULL, "success" BOOLEAN NOT NULL);
ALTER TABLE "public"."flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");
CREATE INDEX "flyway_schema_history_s_idx" ON "public"."flyway_schema_history" ("success");"#
        }
    }
}

/// Flyway's rows for two versioned SQL migrations: the version with `_`
/// read as `.`, the description with `_` as spaces, type `SQL`, the file
/// name as script, the checksum a CRC-32 of the file's lines without their
/// line breaks (a CRLF file sums as its LF twin), as a signed int
/// (flyway-core ChecksumCalculator / LoadableResource: each
/// `BufferedReader.readLine()` fed to `java.util.zip.CRC32`, cast to int),
/// `installed_by` the connection's user (PostgreSQL `current_user`; SQLite
/// `""`: SQLiteDatabase.doGetCurrentUser), `success` true;
/// `installed_on` the column's default and `execution_time` milliseconds
/// depend on the run.
async fn flyway(backend: Backend) {
    let files = [
        (
            "V1__create_users.sql",
            "CREATE TABLE users (id integer PRIMARY KEY);\r\n-- the users\n",
        ),
        (
            "V1_1__add_email.sql",
            "ALTER TABLE users ADD COLUMN email text;\n",
        ),
    ];
    let (installed_on, success, user, on) = match backend {
        Backend::Sqlite => ("installed_on", "success + 0", "", "2017-01-01 00:00:00.000"),
        _ => (
            "to_char(installed_on, 'YYYY-MM-DD HH24:MI:SS.US')",
            "success",
            "root",
            "2017-01-01 00:00:00.000000",
        ),
    };
    let sql = format!("SELECT installed_rank, version, description, type, script, checksum, installed_by, {success}, {installed_on}, execution_time FROM flyway_schema_history ORDER BY installed_rank");
    let (db, got) = recorded(
        backend,
        flyway_ddl(backend),
        &files,
        MigrationFormat::Flyway,
        &sql,
    )
    .await;
    let user = match backend {
        Backend::Sqlite => user.to_string(),
        _ => rows(&db, "SELECT CAST(current_user AS text)").await[0][0]
            .as_str()
            .unwrap()
            .to_string(),
    };
    let truth = match backend {
        Backend::Sqlite => Value::Int(1),
        _ => Value::Bool(true),
    };
    let row = |rank: i64, version: &str, description: &str, script: &str, sum: i64| {
        vec![
            Value::Int(rank),
            text(version),
            text(description),
            text("SQL"),
            text(script),
            Value::Int(sum),
            text(&user),
            truth.clone(),
            text(on),
            Value::Int(0),
        ]
    };
    let expected = [
        row(
            1,
            "1",
            "create users",
            "V1__create_users.sql",
            -1_208_095_058,
        ),
        row(2, "1.1", "add email", "V1_1__add_email.sql", -596_222_700),
    ];
    assert_rows_match(&expected, &got, &[8, 9], &sql);
}

#[tokio::test]
async fn flyway_ledger_rows_equal_flyways_documented_rows_on_sqlite() {
    flyway(Backend::Sqlite).await;
}

#[tokio::test]
async fn flyway_ledger_rows_equal_flyways_documented_rows_on_postgres() {
    flyway(Backend::Postgres).await;
}

/// golang-migrate keeps one row, the last version, `dirty` false: its
/// drivers' `SetVersion` empties the table and inserts `(version, dirty)`
/// (golang-migrate/migrate, database/postgres/postgres.go and
/// database/sqlite3/sqlite3.go, whose `ensureVersionTable` makes the
/// tables below; a Go `bool` is stored as the integer 0 by go-sqlite3).
async fn golang_migrate(backend: Backend) {
    let ddl = match backend {
        Backend::Sqlite => "CREATE TABLE IF NOT EXISTS schema_migrations (version uint64,dirty bool); CREATE UNIQUE INDEX IF NOT EXISTS version_unique ON schema_migrations (version);",
        _ => "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint not null primary key, dirty boolean not null)",
    };
    let files = [
        (
            "1_create_users.up.sql",
            "CREATE TABLE users (id integer PRIMARY KEY);\n",
        ),
        ("1_create_users.down.sql", "DROP TABLE users;\n"),
        (
            "2_add_email.up.sql",
            "ALTER TABLE users ADD COLUMN email text;\n",
        ),
        (
            "2_add_email.down.sql",
            "ALTER TABLE users DROP COLUMN email;\n",
        ),
    ];
    let (sql, dirty) = match backend {
        Backend::Sqlite => (
            "SELECT version, typeof(version), dirty + 0, typeof(dirty) FROM schema_migrations",
            vec![
                Value::Int(2),
                text("integer"),
                Value::Int(0),
                text("integer"),
            ],
        ),
        _ => (
            "SELECT version, dirty FROM schema_migrations",
            vec![Value::Int(2), Value::Bool(false)],
        ),
    };
    let (_db, got) = recorded(backend, ddl, &files, MigrationFormat::GolangMigrate, sql).await;
    assert_rows_match(&[dirty], &got, &[], sql);
}

#[tokio::test]
async fn golang_migrate_ledger_row_equals_its_documented_row_on_sqlite() {
    golang_migrate(Backend::Sqlite).await;
}

#[tokio::test]
async fn golang_migrate_ledger_row_equals_its_documented_row_on_postgres() {
    golang_migrate(Backend::Postgres).await;
}

/// `_prisma_migrations` as the schema engine creates it
/// (prisma/prisma-engines, schema-engine/connectors/sql-schema-connector/
/// src/flavour/{postgres,sqlite}.rs, `create_migrations_table`).
fn prisma_ddl(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            r#"CREATE TABLE "_prisma_migrations" ("id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME, "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME, "started_at" DATETIME NOT NULL DEFAULT current_timestamp, "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)"#
        }
        _ => {
            r#"CREATE TABLE _prisma_migrations (id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ, migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TIMESTAMPTZ, started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count INTEGER NOT NULL DEFAULT 0)"#
        }
    }
}

/// What `prisma migrate resolve --applied` writes, the command that records
/// a migration without running it (sql_migration_persistence.rs,
/// `mark_migration_applied_impl`): a v4 UUID, the SHA-256 of the script in
/// lower-case hex (schema-connector checksum.rs), `logs` the empty string,
/// `started_at` and `finished_at` the same instant, no steps counted. quaint
/// stores a SQLite datetime as Unix milliseconds (an integer).
async fn prisma(backend: Backend) {
    let script = "-- CreateTable\nCREATE TABLE \"users\" (\"id\" INTEGER NOT NULL PRIMARY KEY);\n";
    let files = [("migrations/20240101000000_init/migration.sql", script)];
    let stamp = match backend {
        Backend::Sqlite => "finished_at",
        _ => "CAST(EXTRACT(EPOCH FROM finished_at) * 1000 AS bigint)",
    };
    let sql = format!("SELECT id, checksum, migration_name, logs, rolled_back_at, applied_steps_count, finished_at = started_at, {stamp} FROM _prisma_migrations");
    let (_db, mut got) = recorded(
        backend,
        prisma_ddl(backend),
        &files,
        MigrationFormat::Prisma,
        &sql,
    )
    .await;
    assert_v4_uuid(got[0][0].as_str().unwrap());
    let uuid = "0f2a1b7e-5a1c-4d2e-9b3f-6c7d8e9fa0b1";
    got[0][0] = text(uuid);
    let truth = match backend {
        Backend::Sqlite => Value::Int(1),
        _ => Value::Bool(true),
    };
    let expected = vec![
        text(uuid),
        text("9c489780e24abfeea233b2ba8bc35a1b5a66f31199addbe856bd24dc8edcf499"),
        text("20240101000000_init"),
        text(""),
        Value::Null,
        Value::Int(0),
        truth,
        Value::Int(1_704_067_200_000),
    ];
    assert_rows_match(&[expected], &got, &[7], &sql);
}

/// A random (version 4) UUID in lower-case hex, as `Uuid::new_v4()` prints.
fn assert_v4_uuid(id: &str) {
    let hyphens: Vec<usize> = id.match_indices('-').map(|(i, _)| i).collect();
    assert_eq!(hyphens, [8, 13, 18, 23], "{id}");
    assert_eq!(&id[14..15], "4", "a version 4 UUID: {id}");
    assert!(
        id.chars()
            .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
        "{id}"
    );
}

#[tokio::test]
async fn prisma_ledger_rows_equal_prismas_documented_rows_on_sqlite() {
    prisma(Backend::Sqlite).await;
}

#[tokio::test]
async fn prisma_ledger_rows_equal_prismas_documented_rows_on_postgres() {
    prisma(Backend::Postgres).await;
}
