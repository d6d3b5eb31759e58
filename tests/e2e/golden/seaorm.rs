//! sea-orm-migration (crates.io, on SQLite) against the ledger driftless
//! writes.

use driftless_model::MigrationFormat;
use driftless_testkit::TestDb;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{Database, DatabaseConnection};

use super::{assert_same_rows, record_with_driftless, write_files};

/// A migration that runs one statement, named as its file is.
struct Sql(&'static str, &'static str);

impl MigrationName for Sql {
    fn name(&self) -> &str {
        self.0
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Sql {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(self.1).await?;
        Ok(())
    }
}

const CREATE: (&str, &str) = (
    "m20240101_000001_create_users",
    "CREATE TABLE users (id integer PRIMARY KEY)",
);
const EMAIL: (&str, &str) = (
    "m20240102_000002_add_email",
    "ALTER TABLE users ADD COLUMN email text",
);

struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(Sql(CREATE.0, CREATE.1)),
            Box::new(Sql(EMAIL.0, EMAIL.1)),
        ]
    }
}

async fn connect(db: &TestDb) -> DatabaseConnection {
    Database::connect(db.url.as_str()).await.unwrap()
}

/// `seaql_migrations`: the migration's name as version, `applied_at` Unix
/// seconds. sea-orm-migration, run again, has nothing pending.
#[tokio::test]
async fn sea_orm_ledger_rows_equal_sea_orms_on_sqlite() {
    let (tool, ours) = (TestDb::sqlite(), TestDb::sqlite());
    Migrator::up(&connect(&tool).await, None).await.unwrap();
    Migrator::install(&connect(&ours).await).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let body = "use sea_orm_migration::prelude::*;\n";
    write_files(
        dir.path(),
        &[
            (&format!("migration/src/{}.rs", CREATE.0), body),
            (&format!("migration/src/{}.rs", EMAIL.0), body),
        ],
    );
    record_with_driftless(&ours, dir.path(), MigrationFormat::SeaOrm).await;
    let sql =
        "SELECT version, applied_at, typeof(applied_at) FROM seaql_migrations ORDER BY version";
    assert_same_rows(&tool, &ours, sql, &[1]).await;
    let pending = Migrator::get_pending_migrations(&connect(&ours).await)
        .await
        .unwrap();
    assert!(pending.is_empty(), "{} pending", pending.len());
}
