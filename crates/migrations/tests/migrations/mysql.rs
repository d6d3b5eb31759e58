//! Migrations on MySQL/MariaDB: sqlx's migrator writes the ledger, replay
//! into a dev database (named after the target in the result), statement
//! splitting with `DELIMITER` and routine bodies, refinery's checksum.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;

use driftless_introspect::{ConnectOptions, Database, DbUrl};
use driftless_migrations::{
    load_migrations, load_migrations_as, read_ledgers, replay, ReplayOptions,
};
use driftless_model::{
    migration_status, select_ledger, Checksum, LedgerKind, MigrationFormat, MigrationState,
    ObjectKind, ObjectRef,
};
use driftless_testkit::TestDb;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[tokio::test]
async fn sqlx_migrator_ledger_and_replay_into_a_dev_database() {
    let db = TestDb::mysql().await;
    let dev = TestDb::mysql().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "1_users.sql", "CREATE TABLE users (\n  id BIGINT AUTO_INCREMENT PRIMARY KEY,\n  email VARCHAR(255) NOT NULL # the login\n) ENGINE=InnoDB;\n");
    write(dir, "2_login_count.sql", "ALTER TABLE users ADD COLUMN login_count INT NOT NULL DEFAULT 0;\nCREATE INDEX users_email ON users (email);\n");
    write(
        dir,
        "3_bump.sql",
        "CREATE TRIGGER bump BEFORE UPDATE ON users FOR EACH ROW\nBEGIN\n  IF NEW.login_count < 0 THEN\n    SET NEW.login_count = 0;\n  END IF;\nEND;\nINSERT INTO users (email) VALUES ('a;b@example.com');\n",
    );
    {
        use sqlx::Connection;
        let migrator = sqlx::migrate::Migrator::new(dir.to_path_buf())
            .await
            .unwrap();
        let mut c = sqlx::MySqlConnection::connect(&db.url).await.unwrap();
        migrator.run(&mut c).await.unwrap();
        c.close().await.unwrap();
    }
    let set = load_migrations(dir).unwrap();
    let mut live = Database::connect(
        &DbUrl::parse(&db.url).unwrap(),
        &ConnectOptions::read_only(),
    )
    .await
    .unwrap();
    let ledgers = read_ledgers(&mut live).await.unwrap();
    let ledger = select_ledger(&set, &ledgers).unwrap();
    assert_eq!(ledger.kind(), LedgerKind::Sqlx);
    let st = migration_status(&set, Some(ledger));
    assert!(
        st.iter()
            .all(|s| s.state == MigrationState::Applied && s.file_checksum == s.recorded_checksum),
        "{st:#?}"
    );

    let options = ReplayOptions::default()
        .with_target(DbUrl::parse(&db.url).unwrap())
        .with_dev_url(DbUrl::parse(&dev.url).unwrap());
    let r = replay(&set, &options).await.unwrap();
    assert_eq!(
        r.steps.iter().map(|s| s.statements).collect::<Vec<_>>(),
        vec![1, 2, 2]
    );
    let actual = live.snapshot(&Default::default()).await.unwrap();
    assert_eq!(
        r.snapshot, actual,
        "replay in {} reads as the target database {}",
        dev.name, db.name
    );
    let c = ObjectRef::table_part(ObjectKind::Column, &db.name, "users", "login_count");
    assert_eq!(r.provenance.created_by(&c), Some("2"));
    live.close().await.unwrap();

    // The dev database is reused: it carries driftless's marker now.
    let again = replay(&set, &options).await.unwrap();
    assert_eq!(again.snapshot, r.snapshot);

    let same = ReplayOptions::default()
        .with_target(DbUrl::parse(&db.url).unwrap())
        .with_dev_url(DbUrl::parse(&db.url.replace("127.0.0.1", "localhost")).unwrap());
    assert!(replay(&set, &same).await.is_err());
}

#[tokio::test]
async fn delimiter_blocks_and_refinery_ledger() {
    let db = TestDb::mysql().await;
    let dev = TestDb::mysql().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let v1 = "CREATE TABLE accounts (id INT PRIMARY KEY, balance INT NOT NULL);\n";
    let v2 = "DELIMITER //\nCREATE PROCEDURE credit(IN a INT, IN n INT)\nBEGIN\n  UPDATE accounts SET balance = balance + n WHERE id = a;\nEND//\nDELIMITER ;\nALTER TABLE accounts ADD COLUMN note TEXT;\n";
    write(dir, "V1__create_accounts.sql", v1);
    write(dir, "V2__credit.sql", v2);
    let set = load_migrations_as(dir, MigrationFormat::Refinery).unwrap();
    assert_eq!(set.ids(), vec!["1", "2"]);
    let options = ReplayOptions::default()
        .with_target(DbUrl::parse(&db.url).unwrap())
        .with_dev_url(DbUrl::parse(&dev.url).unwrap());
    let r = replay(&set, &options).await.unwrap();
    assert!(r
        .snapshot
        .table(&db.name, "accounts")
        .unwrap()
        .columns
        .contains_key("note"));
    assert_eq!(
        dev.scalar_i64(
            "SELECT COUNT(*) FROM information_schema.routines WHERE routine_schema = DATABASE()"
        )
        .await,
        1
    );

    let ck1 = Checksum::refinery("create_accounts", 1, v1, false).unwrap();
    db.exec(&format!(
        "CREATE TABLE refinery_schema_history (version INT PRIMARY KEY, name VARCHAR(255), applied_on VARCHAR(255), checksum VARCHAR(255));
         INSERT INTO refinery_schema_history VALUES (1, 'create_accounts', '2024-05-01T10:00:00+00:00', '{ck1}'), (2, 'credit', '2024-05-01T10:00:01+00:00', '42');"
    ))
    .await;
    let mut live = Database::connect(
        &DbUrl::parse(&db.url).unwrap(),
        &ConnectOptions::read_only(),
    )
    .await
    .unwrap();
    let ledgers = read_ledgers(&mut live).await.unwrap();
    live.close().await.unwrap();
    let ledger = select_ledger(&set, &ledgers).unwrap();
    assert_eq!(ledger.kind(), LedgerKind::Refinery);
    let st = migration_status(&set, Some(ledger));
    assert_eq!(st[0].state, MigrationState::Applied);
    assert!(matches!(st[1].state, MigrationState::Modified(_)));
}

#[tokio::test]
async fn recorded_migrations_read_back_as_applied() {
    use driftless_fixer::record_statements;
    use driftless_model::Dialect;
    let db = TestDb::mysql().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "1_a.sql", "CREATE TABLE a (id INT);\n");
    {
        use sqlx::Connection;
        let migrator = sqlx::migrate::Migrator::new(dir.to_path_buf())
            .await
            .unwrap();
        let mut c = sqlx::MySqlConnection::connect(&db.url).await.unwrap();
        migrator.run(&mut c).await.unwrap();
        c.close().await.unwrap();
    }
    write(dir, "2_b.sql", "CREATE TABLE b (id INT);\n");
    db.exec("CREATE TABLE b (id INT)").await;
    let flyway = tmp.path().join("flyway");
    std::fs::create_dir_all(&flyway).unwrap();
    write(&flyway, "V1__a.sql", "SELECT 1;\n");
    write(&flyway, "V2__b.sql", "SELECT 2;\n");
    db.exec("CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, checksum INT, installed_by VARCHAR(100) NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, execution_time INT NOT NULL, success BOOL NOT NULL)").await;
    let prisma = tmp.path().join("prisma");
    std::fs::create_dir_all(prisma.join("1_init")).unwrap();
    write(&prisma.join("1_init"), "migration.sql", "SELECT 1;\n");
    db.exec("CREATE TABLE _prisma_migrations (id VARCHAR(36) NOT NULL PRIMARY KEY, checksum VARCHAR(64) NOT NULL, finished_at DATETIME(3), migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at DATETIME(3), started_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), applied_steps_count INT UNSIGNED NOT NULL DEFAULT 0)").await;

    let mut live = Database::connect(
        &DbUrl::parse(&db.url).unwrap(),
        &ConnectOptions::read_only(),
    )
    .await
    .unwrap();
    let ledgers = read_ledgers(&mut live).await.unwrap();
    let formats = [
        MigrationFormat::Sqlx,
        MigrationFormat::Flyway,
        MigrationFormat::Prisma,
    ];
    for (i, (folder, skip)) in [(dir.to_path_buf(), 1), (flyway, 0), (prisma, 0)]
        .into_iter()
        .enumerate()
    {
        let set = load_migrations_as(&folder, formats[i]).unwrap();
        let ledger = select_ledger(&set, &ledgers).unwrap();
        for m in set.migrations.iter().skip(skip) {
            for sql in record_statements(&ledger.table, Dialect::Mysql, m, 3).unwrap() {
                db.exec(&sql).await;
            }
        }
    }
    let ledgers = read_ledgers(&mut live).await.unwrap();
    live.close().await.unwrap();
    assert_eq!(ledgers.len(), 3);
    for folder in [
        dir.to_path_buf(),
        tmp.path().join("flyway"),
        tmp.path().join("prisma"),
    ] {
        let set = load_migrations(&folder).unwrap();
        let st = migration_status(&set, select_ledger(&set, &ledgers));
        assert!(
            st.iter()
                .all(|s| s.state == MigrationState::Applied
                    && s.file_checksum == s.recorded_checksum),
            "{st:#?}"
        );
    }
    // sqlx's migrator accepts the recorded row.
    use sqlx::Connection;
    let migrator = sqlx::migrate::Migrator::new(dir.to_path_buf())
        .await
        .unwrap();
    let mut c = sqlx::MySqlConnection::connect(&db.url).await.unwrap();
    migrator
        .run(&mut c)
        .await
        .expect("sqlx accepts the recorded migration");
    c.close().await.unwrap();
}
