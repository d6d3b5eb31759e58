//! Migrations on PostgreSQL: a sqlx folder applied by sqlx's own migrator
//! and tampered with; ledgers exactly as Django, Alembic, Flyway,
//! golang-migrate and Prisma write them; replay into a dev database with
//! provenance and the dev-database guards.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;

use driftless_fixer::{record_statements, record_statements_guarded};
use driftless_introspect::{ConnectOptions, Database, DbUrl};
use driftless_migrations::{
    load_migrations, load_migrations_as, read_ledgers, replay, ReplayOptions, DEV_MARKER_TABLE,
};
use driftless_model::{
    migration_status, object_fingerprints, select_ledger, Checksum, LedgerKind, LedgerState,
    MigrationFormat, MigrationSet, MigrationState, MigrationStatus, ObjectKind, ObjectRef,
};
use driftless_testkit::TestDb;

fn write(dir: &Path, name: &str, text: &str) {
    if let Some(parent) = dir.join(name).parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(dir.join(name), text).unwrap();
}

async fn open(url: &str) -> Database {
    Database::connect(&DbUrl::parse(url).unwrap(), &ConnectOptions::read_only())
        .await
        .unwrap()
}

async fn status_of(db: &TestDb, set: &MigrationSet) -> Vec<MigrationStatus> {
    let mut live = open(&db.url).await;
    let ledgers = read_ledgers(&mut live).await.unwrap();
    live.close().await.unwrap();
    let ledger = select_ledger(set, &ledgers)
        .unwrap_or_else(|| panic!("no ledger for {} in {ledgers:#?}", set.format));
    migration_status(set, Some(ledger))
}

fn states(v: &[MigrationStatus]) -> Vec<(&str, &str)> {
    v.iter()
        .map(|s| (s.id.as_str(), s.state.as_str()))
        .collect()
}

fn col(table: &str, name: &str) -> ObjectRef {
    ObjectRef::table_part(ObjectKind::Column, "public", table, name)
}

#[tokio::test]
async fn sqlx_migrator_ledger_then_tampering_and_replay_provenance() {
    let db = TestDb::postgres().await;
    let dev = TestDb::postgres().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(
        dir,
        "20240501000000_users.sql",
        "CREATE TABLE users (\n    id bigserial PRIMARY KEY,\n    email text NOT NULL UNIQUE\n);\n",
    );
    write(
        dir,
        "20240502000000_user_login_count.sql",
        "ALTER TABLE users ADD COLUMN login_count integer NOT NULL DEFAULT 0;\n",
    );
    write(
        dir,
        "20240503000000_posts.up.sql",
        "CREATE TYPE mood AS ENUM ('happy', 'sad');\nCREATE TABLE posts (\n    id bigserial PRIMARY KEY,\n    user_id bigint NOT NULL REFERENCES users (id),\n    mood mood,\n    body text CHECK (body <> '')\n);\nCREATE FUNCTION touch() RETURNS trigger AS $$\nBEGIN\n  NEW.body := trim(NEW.body);\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n",
    );
    write(
        dir,
        "20240503000000_posts.down.sql",
        "DROP TABLE posts; DROP TYPE mood;\n",
    );
    write(
        dir,
        "20240504000000_user_avatar.sql",
        "ALTER TABLE users ADD COLUMN avatar text;\nCREATE INDEX users_avatar ON users (avatar);\n",
    );
    {
        use sqlx::Connection;
        let migrator = sqlx::migrate::Migrator::new(dir.to_path_buf())
            .await
            .unwrap();
        let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
        migrator.run(&mut c).await.unwrap();
        c.close().await.unwrap();
    }
    let set = load_migrations(dir).unwrap();
    assert_eq!(set.format, MigrationFormat::Sqlx);
    let st = status_of(&db, &set).await;
    assert!(
        st.iter().all(|s| s.state == MigrationState::Applied),
        "{st:#?}"
    );
    assert!(st
        .iter()
        .all(|s| s.file_checksum.is_some() && s.file_checksum == s.recorded_checksum));

    // Replay into the dev database: same schema as sqlx produced.
    let options = ReplayOptions::default()
        .with_target(DbUrl::parse(&db.url).unwrap())
        .with_dev_url(DbUrl::parse(&dev.url).unwrap());
    let r = replay(&set, &options).await.unwrap();
    let mut live = open(&db.url).await;
    let actual = live.snapshot(&Default::default()).await.unwrap();
    assert_eq!(
        r.snapshot, actual,
        "replayed schema equals the migrated one"
    );
    let p = &r.provenance;
    assert_eq!(
        p.created_by(&col("users", "login_count")),
        Some("20240502000000")
    );
    let idx = ObjectRef::table_part(ObjectKind::Index, "public", "users", "users_avatar");
    assert_eq!(p.origin(&idx), Some("20240504000000"));
    let mood = ObjectRef::schema_object(ObjectKind::Enum, "public", Some("mood"));
    assert_eq!(p.created_by(&mood), Some("20240503000000"));

    // Tamper.
    write(dir, "20240501000000_users.sql", "CREATE TABLE users (\n    id bigserial PRIMARY KEY,\n    email varchar(320) NOT NULL UNIQUE\n);\n");
    std::fs::remove_file(dir.join("20240503000000_posts.up.sql")).unwrap();
    std::fs::remove_file(dir.join("20240503000000_posts.down.sql")).unwrap();
    db.exec("DELETE FROM _sqlx_migrations WHERE version = 20240504000000")
        .await;
    db.exec("ALTER TABLE users DROP COLUMN login_count").await;
    let set = load_migrations(dir).unwrap();
    let st = status_of(&db, &set).await;
    assert_eq!(
        states(&st),
        vec![
            ("20240501000000", "modified"),
            ("20240502000000", "applied"),
            ("20240504000000", "unapplied"),
            ("20240503000000", "unknown"),
        ]
    );
    let actual = object_fingerprints(&live.snapshot(&Default::default()).await.unwrap());
    assert_eq!(
        p.missing_effects("20240502000000", &actual),
        vec![&col("users", "login_count")]
    );
    assert!(p.effects_present("20240504000000", &actual));
    live.close().await.unwrap();
}

#[tokio::test]
async fn dev_database_guards() {
    let db = TestDb::postgres().await;
    let dev = TestDb::postgres().await;
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "1_a.sql",
        "CREATE SCHEMA app;\nCREATE TABLE app.a (id int);\n",
    );
    let set = load_migrations(tmp.path()).unwrap();
    let target = DbUrl::parse(&db.url).unwrap();

    let same = ReplayOptions::default()
        .with_target(target.clone())
        .with_dev_url(target.clone());
    assert!(replay(&set, &same)
        .await
        .unwrap_err()
        .to_string()
        .contains("target database itself"));
    let none = ReplayOptions::default().with_target(target.clone());
    assert!(replay(&set, &none)
        .await
        .unwrap_err()
        .to_string()
        .contains("--dev-url"));

    dev.exec("CREATE TABLE customer_data (id int)").await;
    let options = ReplayOptions::default()
        .with_target(target)
        .with_dev_url(DbUrl::parse(&dev.url).unwrap());
    let err = replay(&set, &options).await.unwrap_err().to_string();
    assert!(
        err.contains("not empty") && err.contains("public.customer_data"),
        "{err}"
    );
    dev.exec("DROP TABLE customer_data").await;

    let first = replay(&set, &options).await.unwrap();
    assert!(first.snapshot.table("app", "a").is_some());
    assert!(first.snapshot.table("public", DEV_MARKER_TABLE).is_none());
    let again = replay(&set, &options).await.unwrap();
    assert_eq!(
        first.snapshot, again.snapshot,
        "the marked dev database is emptied and reused"
    );

    let bad = tempfile::tempdir().unwrap();
    write(
        bad.path(),
        "1_a.sql",
        "CREATE TABLE a (id int);\n\nCREATE INDEX ON a (nope);\n",
    );
    let set = load_migrations(bad.path()).unwrap();
    let err = replay(&set, &options).await.unwrap_err();
    assert!(
        err.to_string().contains("1_a.sql:3:")
            && err.to_string().contains("\"nope\" does not exist"),
        "{err}"
    );
}

#[tokio::test]
async fn django_layout_and_ledger_as_django_writes_it() {
    let db = TestDb::postgres().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mig = |deps: &str, extra: &str| {
        format!(
            "from django.conf import settings\nfrom django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n{extra}\n    dependencies = [\n{deps}    ]\n\n    operations = [\n        migrations.AddField(model_name='user', name='x', field=models.IntegerField(default=0)),\n    ]\n"
        )
    };
    write(dir, "manage.py", "import sys\n");
    write(dir, "authentication/__init__.py", "");
    write(dir, "authentication/migrations/__init__.py", "");
    write(
        dir,
        "authentication/migrations/0001_initial.py",
        &mig(
            "        ('auth', '0012_alter_user_first_name_max_length'),\n",
            "    initial = True",
        ),
    );
    write(
        dir,
        "authentication/migrations/0002_user_avatar.py",
        &mig("        ('authentication', '0001_initial'),\n", ""),
    );
    write(
        dir,
        "authentication/migrations/0003_user_login_count.py",
        &mig("        ('authentication', '0002_user_avatar'),\n        migrations.swappable_dependency(settings.AUTH_USER_MODEL),\n", ""),
    );
    write(dir, "shop/migrations/__init__.py", "");
    write(
        dir,
        "shop/migrations/0001_initial.py",
        &mig(
            "        ('authentication', '__first__'),\n",
            "    initial = True",
        ),
    );
    write(
        dir,
        "shop/migrations/0002_order_total.py",
        &mig("        ('shop', '0001_initial'),\n", ""),
    );
    write(
        dir,
        "shop/migrations/0001_squashed_0002_order_total.py",
        &mig(
            "        ('authentication', '0001_initial'),\n",
            "    replaces = [('shop', '0001_initial'), ('shop', '0002_order_total')]",
        ),
    );
    let set = load_migrations(dir).unwrap();
    assert_eq!(set.format, MigrationFormat::Django);
    assert_eq!(set.apps(), vec!["authentication", "shop"]);

    db.exec(
        r#"CREATE TABLE "django_migrations" ("id" serial NOT NULL PRIMARY KEY, "app" varchar(255) NOT NULL, "name" varchar(255) NOT NULL, "applied" timestamp with time zone NOT NULL);
        INSERT INTO django_migrations (app, name, applied) VALUES
          ('contenttypes', '0001_initial', '2024-05-01 10:00:00+00'),
          ('auth', '0012_alter_user_first_name_max_length', '2024-05-01 10:00:01+00'),
          ('authentication', '0001_initial', '2024-05-01 10:00:02+00'),
          ('authentication', '0002_user_avatar', '2024-05-01 10:00:03+00'),
          ('shop', '0001_initial', '2024-05-01 10:00:04+00'),
          ('shop', '0002_order_total', '2024-05-01 10:00:05+00'),
          ('shop', '0003_from_another_branch', '2024-05-02 09:00:00+00');"#,
    )
    .await;
    let st = status_of(&db, &set).await;
    let got = states(&st);
    assert!(got.contains(&("authentication.0001_initial", "applied")));
    assert!(got.contains(&("authentication.0002_user_avatar", "applied")));
    assert!(got.contains(&("authentication.0003_user_login_count", "unapplied")));
    assert!(
        got.contains(&("shop.0001_squashed_0002_order_total", "applied")),
        "{got:?}"
    );
    assert!(got.contains(&("shop.0003_from_another_branch", "unknown")));
    assert!(
        !got.iter()
            .any(|(id, _)| id.starts_with("auth.") || id.starts_with("contenttypes.")),
        "{got:?}"
    );
    let applied = st
        .iter()
        .find(|s| s.id == "authentication.0002_user_avatar")
        .unwrap();
    assert!(
        applied
            .applied_at
            .as_deref()
            .unwrap()
            .starts_with("2024-05-01 10:00:03"),
        "{applied:?}"
    );
}

#[tokio::test]
async fn alembic_branch_and_merge() {
    let db = TestDb::postgres().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let rev = |r: &str, down: &str, msg: &str| {
        format!(
            "\"\"\"{msg}\n\nRevision ID: {r}\nRevises: {down}\nCreate Date: 2024-05-01 10:00:00\n\n\"\"\"\nfrom typing import Sequence, Union\n\nfrom alembic import op\nimport sqlalchemy as sa\n\n# revision identifiers, used by Alembic.\nrevision: str = '{r}'\ndown_revision: Union[str, Sequence[str], None] = {down}\nbranch_labels: Union[str, Sequence[str], None] = None\ndepends_on: Union[str, Sequence[str], None] = None\n\n\ndef upgrade() -> None:\n    pass\n"
        )
    };
    write(dir, "alembic.ini", "[alembic]\nscript_location = alembic\n");
    write(
        dir,
        "alembic/env.py",
        "from alembic import context\nrevision = context\n",
    );
    write(
        dir,
        "alembic/versions/1a2b3c4d5e6f_create_users.py",
        &rev("1a2b3c4d5e6f", "None", "create users"),
    );
    write(
        dir,
        "alembic/versions/2b3c4d5e6f70_add_avatar.py",
        &rev("2b3c4d5e6f70", "'1a2b3c4d5e6f'", "add avatar"),
    );
    write(
        dir,
        "alembic/versions/3c4d5e6f7081_add_orders.py",
        &rev("3c4d5e6f7081", "'1a2b3c4d5e6f'", "add orders"),
    );
    write(
        dir,
        "alembic/versions/4d5e6f708192_merge.py",
        &rev(
            "4d5e6f708192",
            "('2b3c4d5e6f70', '3c4d5e6f7081')",
            "merge heads",
        ),
    );
    let set = load_migrations(dir).unwrap();
    assert_eq!(set.format, MigrationFormat::Alembic);
    assert_eq!(set.ids().first(), Some(&"1a2b3c4d5e6f"));
    assert_eq!(set.ids().last(), Some(&"4d5e6f708192"));

    db.exec("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))").await;
    // Two branch heads recorded, not merged yet.
    db.exec("INSERT INTO alembic_version VALUES ('2b3c4d5e6f70'), ('3c4d5e6f7081')")
        .await;
    let st = status_of(&db, &set).await;
    assert_eq!(
        states(&st),
        vec![
            ("1a2b3c4d5e6f", "applied"),
            ("2b3c4d5e6f70", "applied"),
            ("3c4d5e6f7081", "applied"),
            ("4d5e6f708192", "unapplied")
        ]
    );
    // Only one branch.
    db.exec("DELETE FROM alembic_version WHERE version_num = '3c4d5e6f7081'")
        .await;
    let st = status_of(&db, &set).await;
    assert_eq!(
        st.iter()
            .filter(|s| s.state == MigrationState::Applied)
            .count(),
        2
    );
    // Merged.
    db.exec("UPDATE alembic_version SET version_num = '4d5e6f708192'")
        .await;
    let st = status_of(&db, &set).await;
    assert!(
        st.iter().all(|s| s.state == MigrationState::Applied),
        "{st:#?}"
    );
    // A head from elsewhere.
    db.exec("UPDATE alembic_version SET version_num = 'ffffffffffff'")
        .await;
    let st = status_of(&db, &set).await;
    assert_eq!(states(&st).last(), Some(&("ffffffffffff", "unknown")));
}

#[tokio::test]
async fn flyway_checksums_and_history() {
    let db = TestDb::postgres().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // CRC-32 of the lines without terminators, computed independently
    // (zlib.crc32, fed line by line) as Flyway's ChecksumCalculator does.
    let v1 = "-- Create the users table\r\nCREATE TABLE users (\r\n    id BIGINT PRIMARY KEY,\r\n    email VARCHAR(255) NOT NULL\r\n);\r\n\r\nCREATE INDEX users_email ON users (email);\r\n";
    write(dir, "db/migration/V1__Create_users.sql", v1);
    assert_eq!(Checksum::flyway(v1), Checksum::Crc32(1861156930));
    assert_eq!(
        Checksum::flyway(&v1.replace("\r\n", "\n")),
        Checksum::Crc32(1861156930)
    );
    write(
        dir,
        "db/migration/V1_1__Add_name.sql",
        "ALTER TABLE users ADD COLUMN name text;\n",
    );
    write(
        dir,
        "db/migration/V2__Broken.sql",
        "ALTER TABLE users ADD COLUMN x nope;\n",
    );
    write(
        dir,
        "db/migration/R__Users_view.sql",
        "CREATE OR REPLACE VIEW v AS SELECT id FROM users;\n",
    );
    let set = load_migrations(dir).unwrap();
    assert_eq!(set.format, MigrationFormat::Flyway);
    assert_eq!(set.ids(), vec!["1", "1.1", "2", "R__Users_view"]);
    assert_eq!(set.migrations[1].name, "Add name");

    db.exec(
        r#"CREATE TABLE "flyway_schema_history" (
            "installed_rank" INT NOT NULL, "version" VARCHAR(50), "description" VARCHAR(200) NOT NULL,
            "type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL, "checksum" INTEGER,
            "installed_by" VARCHAR(100) NOT NULL, "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
            "execution_time" INTEGER NOT NULL, "success" BOOLEAN NOT NULL,
            CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank"));
        INSERT INTO flyway_schema_history VALUES
          (1, '1', 'Create users', 'SQL', 'V1__Create_users.sql', 1861156930, 'root', '2024-05-01 10:00:00', 41, true),
          (2, '1.1', 'Add name', 'SQL', 'V1_1__Add_name.sql', 12345, 'root', '2024-05-01 10:00:01', 5, true),
          (3, '2', 'Broken', 'SQL', 'V2__Broken.sql', 0, 'root', '2024-05-01 10:00:02', 2, false),
          (4, NULL, 'Users view', 'SQL', 'R__Users_view.sql', 7, 'root', '2024-05-01 10:00:03', 3, true);"#,
    )
    .await;
    let st = status_of(&db, &set).await;
    assert_eq!(
        states(&st),
        vec![
            ("1", "applied"),
            ("1.1", "modified"),
            ("2", "failed"),
            ("R__Users_view", "unapplied")
        ]
    );
    assert_eq!(st[0].applied_at.as_deref(), Some("2024-05-01 10:00:00"));
    assert_eq!(st[1].recorded_checksum, Some(Checksum::Crc32(12345)));
}

#[tokio::test]
async fn golang_migrate_dirty_and_prisma_failed() {
    let db = TestDb::postgres().await;
    let tmp = tempfile::tempdir().unwrap();
    let g = tmp.path().join("golang");
    std::fs::create_dir_all(&g).unwrap();
    for (n, name) in [(1, "users"), (2, "posts"), (3, "tags")] {
        write(&g, &format!("00000{n}_{name}.up.sql"), "SELECT 1;\n");
        write(&g, &format!("00000{n}_{name}.down.sql"), "SELECT 1;\n");
    }
    let set = load_migrations(&g).unwrap();
    assert_eq!(set.format, MigrationFormat::GolangMigrate);
    db.exec("CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL); INSERT INTO schema_migrations VALUES (2, true)").await;
    let st = status_of(&db, &set).await;
    assert_eq!(
        states(&st),
        vec![("1", "applied"), ("2", "failed"), ("3", "unapplied")]
    );
    assert!(st[1].detail.as_deref().unwrap().contains("dirty"));

    let p = tmp.path().join("prisma");
    let init = "-- CreateTable\nCREATE TABLE \"User\" (\"id\" SERIAL NOT NULL);\n";
    write(&p, "migrations/20240501000000_init/migration.sql", init);
    write(
        &p,
        "migrations/20240502000000_add_posts/migration.sql",
        "CREATE TABLE \"Post\" (\"id\" SERIAL);\n",
    );
    write(
        &p,
        "migrations/migration_lock.toml",
        "provider = \"postgresql\"\n",
    );
    let set = load_migrations(&p).unwrap();
    assert_eq!(set.format, MigrationFormat::Prisma);
    let sum = Checksum::prisma(init).to_string();
    db.exec(&format!(
        r#"CREATE TABLE "_prisma_migrations" ("id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL,
            "finished_at" TIMESTAMPTZ, "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
            "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0);
        INSERT INTO _prisma_migrations VALUES
          ('a', '{sum}', '2024-05-01 10:00:01+00', '20240501000000_init', NULL, NULL, '2024-05-01 10:00:00+00', 1),
          ('b', 'x', NULL, '20240502000000_add_posts', 'Database error: relation "Post" already exists', NULL, '2024-05-02 10:00:00+00', 0);"#
    ))
    .await;
    let mut live = open(&db.url).await;
    let ledgers = read_ledgers(&mut live).await.unwrap();
    let kinds: Vec<LedgerKind> = ledgers.iter().map(|l| l.kind()).collect();
    assert_eq!(
        kinds,
        vec![LedgerKind::Prisma, LedgerKind::GolangMigrate],
        "sorted by schema and table"
    );
    let ledger = select_ledger(&set, &ledgers).unwrap();
    assert_eq!(ledger.entries[1].state, LedgerState::Failed);
    let st = migration_status(&set, Some(ledger));
    assert_eq!(
        states(&st),
        vec![
            ("20240501000000_init", "applied"),
            ("20240502000000_add_posts", "failed")
        ]
    );
    assert!(st[1].detail.as_deref().unwrap().contains("already exists"));
    live.close().await.unwrap();
}

/// Records every migration with [`record_statements`], then reads the
/// ledger back: each one applied, with the checksum its tool computes.
async fn record_all(db: &TestDb, set: &MigrationSet, create_ledger: &str) {
    db.exec(create_ledger).await;
    let mut live = open(&db.url).await;
    let ledgers = read_ledgers(&mut live).await.unwrap();
    live.close().await.unwrap();
    let ledger = select_ledger(set, &ledgers).unwrap().clone();
    for m in &set.migrations {
        for sql in
            record_statements(&ledger.table, driftless_model::Dialect::Postgres, m, 7).unwrap()
        {
            db.exec(&sql).await;
        }
    }
    // The guarded form (the fix script's) changes nothing on a ledger that
    // holds the rows already, run twice.
    let count = format!("SELECT count(*) FROM \"{}\"", ledger.table.table);
    let rows = db.scalar_i64(&count).await;
    for _ in 0..2 {
        for m in &set.migrations {
            let dialect = driftless_model::Dialect::Postgres;
            for sql in record_statements_guarded(&ledger.table, dialect, m, 7).unwrap() {
                db.exec(&sql).await;
            }
        }
    }
    assert_eq!(db.scalar_i64(&count).await, rows, "{}", ledger.kind());
    let st = status_of(db, set).await;
    assert!(
        st.iter().all(|s| s.state == MigrationState::Applied),
        "{}: {st:#?}",
        ledger.kind()
    );
    assert!(
        st.iter().all(|s| s.file_checksum == s.recorded_checksum),
        "{st:#?}"
    );
}

#[tokio::test]
async fn recording_migrations_in_each_ledger_format() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let sql = |dir: &str, files: &[(&str, &str)]| {
        for (n, t) in files {
            write(&root.join(dir), n, t);
        }
        load_migrations(&root.join(dir)).unwrap()
    };

    // sqlx: sqlx's own migrator accepts the recorded row and does not run it again.
    let db = TestDb::postgres().await;
    let set = sql("sqlx", &[("1_a.sql", "CREATE TABLE a (id int);\n")]);
    {
        use sqlx::Connection;
        let migrator = sqlx::migrate::Migrator::new(root.join("sqlx"))
            .await
            .unwrap();
        let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
        migrator.run(&mut c).await.unwrap();
        c.close().await.unwrap();
    }
    write(&root.join("sqlx"), "2_b.sql", "CREATE TABLE b (id int);\n");
    db.exec("CREATE TABLE b (id int)").await;
    let set2 = load_migrations(&root.join("sqlx")).unwrap();
    let mut live = open(&db.url).await;
    let ledgers = read_ledgers(&mut live).await.unwrap();
    live.close().await.unwrap();
    let table = &select_ledger(&set2, &ledgers).unwrap().table;
    for s in record_statements(
        table,
        driftless_model::Dialect::Postgres,
        &set2.migrations[1],
        5,
    )
    .unwrap()
    {
        db.exec(&s).await;
    }
    {
        use sqlx::Connection;
        let migrator = sqlx::migrate::Migrator::new(root.join("sqlx"))
            .await
            .unwrap();
        let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
        migrator
            .run(&mut c)
            .await
            .expect("sqlx accepts the recorded migration as applied");
        c.close().await.unwrap();
    }
    assert!(status_of(&db, &set2)
        .await
        .iter()
        .all(|s| s.state == MigrationState::Applied));
    drop(set);

    let db = TestDb::postgres().await;
    let set = sql(
        "flyway",
        &[
            ("V1__a.sql", "SELECT 1;\r\n"),
            ("V1_1__b.sql", "SELECT 2;\n"),
            ("R__v.sql", "SELECT 3;\n"),
        ],
    );
    record_all(&db, &set, r#"CREATE TABLE "flyway_schema_history" ("installed_rank" INT NOT NULL PRIMARY KEY, "version" VARCHAR(50), "description" VARCHAR(200) NOT NULL, "type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL, "checksum" INTEGER, "installed_by" VARCHAR(100) NOT NULL, "installed_on" TIMESTAMP NOT NULL DEFAULT now(), "execution_time" INTEGER NOT NULL, "success" BOOLEAN NOT NULL)"#).await;

    let db = TestDb::postgres().await;
    sql(
        "refinery",
        &[
            ("V1__create_a.sql", "SELECT 1;\n"),
            ("V2__b.sql", "SELECT 2;\n"),
        ],
    );
    let set = load_migrations_as(&root.join("refinery"), MigrationFormat::Refinery).unwrap();
    record_all(&db, &set, "CREATE TABLE refinery_schema_history (version int4 PRIMARY KEY, name VARCHAR(255), applied_on VARCHAR(255), checksum VARCHAR(255))").await;

    let db = TestDb::postgres().await;
    let set = sql(
        "golang",
        &[("1_a.up.sql", "SELECT 1;"), ("2_b.up.sql", "SELECT 2;")],
    );
    record_all(&db, &set, "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)").await;

    let db = TestDb::postgres().await;
    let set = sql(
        "prisma",
        &[
            ("1_a/migration.sql", "SELECT 1;\n"),
            ("2_b/migration.sql", "SELECT 2;\n"),
        ],
    );
    record_all(&db, &set, r#"CREATE TABLE "_prisma_migrations" ("id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ, "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)"#).await;

    let db = TestDb::postgres().await;
    let mig = "class Migration(migrations.Migration):\n    dependencies = []\n";
    let set = sql(
        "django",
        &[
            ("shop/migrations/0001_initial.py", mig),
            ("shop/migrations/0002_b.py", mig),
        ],
    );
    record_all(&db, &set, r#"CREATE TABLE "django_migrations" ("id" serial NOT NULL PRIMARY KEY, "app" varchar(255) NOT NULL, "name" varchar(255) NOT NULL, "applied" timestamp with time zone NOT NULL)"#).await;

    let db = TestDb::postgres().await;
    let rev = |r: &str, d: &str| format!("revision = '{r}'\ndown_revision = {d}\n");
    let (a, b, c, m) = (
        rev("a1", "None"),
        rev("b2", "'a1'"),
        rev("c3", "'a1'"),
        rev("d4", "('b2', 'c3')"),
    );
    let set = sql(
        "alembic",
        &[
            ("versions/a.py", &a),
            ("versions/b.py", &b),
            ("versions/c.py", &c),
            ("versions/d.py", &m),
        ],
    );
    record_all(
        &db,
        &set,
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
    )
    .await;
    assert_eq!(
        db.scalar_i64("SELECT count(*) FROM alembic_version").await,
        1,
        "one head after the merge"
    );
}
