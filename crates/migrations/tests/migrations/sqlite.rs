//! Migrations on SQLite: a sqlx folder applied by sqlx's own migrator, then
//! tampered with; replay into an in-memory database with provenance and
//! line-exact failures; 500 generated migrations; `--expect-cmd`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::time::Instant;

use driftless_introspect::{ConnectOptions, Database, DbUrl, Error};
use driftless_migrations::{
    expect_from_command, load_migrations, load_migrations_as, read_ledgers,
    recover_applied_sources, replay, ReplayOptions, DEV_MARKER_TABLE,
};
use driftless_model::{
    migration_status, object_fingerprints, select_ledger, Error as ModelError, LedgerKind,
    MigrationFormat, MigrationSet, MigrationState, Modification, ObjectKind, ObjectRef,
};
use driftless_testkit::TestDb;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn git(dir: &Path, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.email=test@example.invalid",
            "-c",
            "user.name=test",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

async fn sqlx_migrate(url: &str, dir: &Path) {
    use sqlx::Connection;
    let migrator = sqlx::migrate::Migrator::new(dir.to_path_buf())
        .await
        .unwrap();
    let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
    migrator.run(&mut c).await.unwrap();
    c.close().await.unwrap();
}

async fn open(url: &str) -> Database {
    Database::connect(&DbUrl::parse(url).unwrap(), &ConnectOptions::default())
        .await
        .unwrap()
}

fn col(table: &str, name: &str) -> ObjectRef {
    ObjectRef::table_part(ObjectKind::Column, "main", table, name)
}

#[tokio::test]
async fn sqlx_folder_applied_by_sqlx_then_tampered() {
    let db = TestDb::sqlite();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(
        dir,
        "1_users.sql",
        "CREATE TABLE users (\n    id INTEGER PRIMARY KEY,\n    email TEXT NOT NULL\n);\n",
    );
    write(
        dir,
        "2_user_login_count.sql",
        "ALTER TABLE users ADD COLUMN login_count INTEGER NOT NULL DEFAULT 0;\n",
    );
    write(dir, "3_posts.sql", "CREATE TABLE posts (\n    id INTEGER PRIMARY KEY,\n    user_id INTEGER REFERENCES users (id),\n    title TEXT\n);\n");
    write(
        dir,
        "4_posts_user_index.sql",
        "CREATE INDEX posts_user ON posts (user_id);\n",
    );
    write(
        dir,
        "5_user_avatar.sql",
        "-- a picture\nALTER TABLE users ADD COLUMN avatar TEXT;\n",
    );
    git(dir, &["init", "-q"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "migrations"]);
    sqlx_migrate(&db.url, dir).await;

    // Untouched: everything applied, checksums equal to sqlx's own.
    let set = load_migrations(dir).unwrap();
    assert_eq!(set.format, MigrationFormat::Sqlx);
    assert_eq!(set.ids(), vec!["1", "2", "3", "4", "5"]);
    let mut live = open(&db.url).await;
    let ledgers = read_ledgers(&mut live).await.unwrap();
    let ledger = select_ledger(&set, &ledgers).unwrap();
    assert_eq!(ledger.kind(), LedgerKind::Sqlx);
    assert_eq!(ledger.entries.len(), 5);
    assert_eq!(ledger.entries[1].name.as_deref(), Some("user login count"));
    let status = migration_status(&set, Some(ledger));
    assert!(
        status.iter().all(|s| s.state == MigrationState::Applied),
        "{status:#?}"
    );
    for s in &status {
        assert_eq!(
            s.file_checksum, s.recorded_checksum,
            "sqlx's checksum for {}",
            s.id
        );
    }

    // Tamper: a cosmetic edit, a real edit, a deleted file, a lost ledger
    // row, and a column dropped by hand.
    write(dir, "1_users.sql", "-- the accounts\nCREATE TABLE users (\n  id INTEGER PRIMARY KEY,\n  email TEXT NOT NULL\n);\r\n");
    write(dir, "3_posts.sql", "CREATE TABLE posts (\n    id INTEGER PRIMARY KEY,\n    user_id INTEGER REFERENCES users (id),\n    title VARCHAR(200)\n);\n");
    std::fs::remove_file(dir.join("4_posts_user_index.sql")).unwrap();
    db.exec("DELETE FROM _sqlx_migrations WHERE version = 5")
        .await;
    db.exec("ALTER TABLE users DROP COLUMN login_count").await;

    let mut set = load_migrations(dir).unwrap();
    let ledgers = read_ledgers(&mut live).await.unwrap();
    let ledger = select_ledger(&set, &ledgers).unwrap();
    let state = |set: &MigrationSet, id: &str| {
        migration_status(set, Some(ledger))
            .into_iter()
            .find(|s| s.id == id)
            .map(|s| s.state)
    };
    assert_eq!(
        state(&set, "1"),
        Some(MigrationState::Modified(Modification::Unknown))
    );
    assert_eq!(recover_applied_sources(&mut set, ledger), 2);
    assert_eq!(
        state(&set, "1"),
        Some(MigrationState::Modified(Modification::Cosmetic))
    );
    assert_eq!(
        state(&set, "3"),
        Some(MigrationState::Modified(Modification::Statements))
    );
    assert_eq!(state(&set, "4"), Some(MigrationState::Unknown));
    assert_eq!(state(&set, "5"), Some(MigrationState::Unapplied));
    assert_eq!(state(&set, "2"), Some(MigrationState::Applied));

    // Replay gives the expected schema and provenance.
    let expected = replay(&set, &ReplayOptions::default()).await.unwrap();
    assert!(expected.snapshot.table("main", "posts").is_some());
    let p = &expected.provenance;
    assert_eq!(p.created_by(&col("users", "login_count")), Some("2"));
    assert_eq!(p.origin(&col("users", "avatar")), Some("5"));
    let actual = live.snapshot(&Default::default()).await.unwrap();
    let actual = object_fingerprints(&actual);
    assert_eq!(
        p.missing_effects("2", &actual),
        vec![&col("users", "login_count")]
    );
    assert!(p.missing_effects("1", &actual).is_empty());
    assert!(
        p.effects_present("5", &actual),
        "avatar exists although its row was removed"
    );
    live.close().await.unwrap();
}

#[tokio::test]
async fn replay_failure_names_file_line_and_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "1_a.sql", "CREATE TABLE a (id INTEGER PRIMARY KEY);\n");
    write(
        dir,
        "2_b.sql",
        "-- two statements, the second one broken\nCREATE TABLE b (id INTEGER);\n\nINSERT INTO b VALUES ('x;y');\nALTER TABLE nope\n  ADD COLUMN c INTEGER;\n",
    );
    let set = load_migrations(dir).unwrap();
    let err = replay(&set, &ReplayOptions::default()).await.unwrap_err();
    let Error::Model(ModelError::Migration {
        path,
        line,
        message,
    }) = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(path, &dir.join("2_b.sql"));
    assert_eq!(*line, 5, "{err}");
    assert!(
        message.contains("2_b") && message.contains("no such table: nope"),
        "{message}"
    );
    assert!(err.to_string().contains("2_b.sql:5:"), "{err}");
}

#[tokio::test]
async fn dbmate_sections_replay_with_their_line_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(
        dir,
        "20240101000000_create.sql",
        "-- migrate:up\nCREATE TABLE t (id INTEGER);\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE t SET id = id + 1;\nEND;\n\n-- migrate:down\nDROP TABLE t;\n",
    );
    write(
        dir,
        "20240102000000_bad.sql",
        "-- migrate:up\n\nSELECT * FROM missing_table;\n-- migrate:down\n",
    );
    let set = load_migrations(dir).unwrap();
    assert_eq!(set.format, MigrationFormat::Dbmate);
    let err = replay(&set, &ReplayOptions::default()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Model(ModelError::Migration { line: 3, .. })),
        "{err}"
    );
}

#[tokio::test]
async fn replays_500_generated_migrations_in_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for i in 1..=500u32 {
        let sql = if i % 5 == 1 {
            format!("CREATE TABLE t{i} (\n  id INTEGER PRIMARY KEY,\n  name TEXT NOT NULL DEFAULT 'a;b'\n);\n")
        } else {
            let base = i - (i - 1) % 5;
            format!("ALTER TABLE t{base} ADD COLUMN c{i} INTEGER;\nCREATE INDEX t{base}_c{i} ON t{base} (c{i});\n")
        };
        write(dir, &format!("{i:04}_step_{i}.sql"), &sql);
    }
    let set = load_migrations(dir).unwrap();
    assert_eq!(set.migrations.len(), 500);
    let started = Instant::now();
    let r = replay(&set, &ReplayOptions::default()).await.unwrap();
    let with_provenance = started.elapsed();
    let started = Instant::now();
    let plain = replay(&set, &ReplayOptions::default().with_provenance(false))
        .await
        .unwrap();
    let without = started.elapsed();
    println!(
        "replayed 500 migrations ({} statements) into sqlite::memory: {:.0} ms with provenance (a snapshot after each), {:.0} ms without",
        r.steps.iter().map(|s| s.statements).sum::<usize>(),
        with_provenance.as_secs_f64() * 1e3,
        without.as_secs_f64() * 1e3
    );
    assert_eq!(r.steps.len(), 500);
    assert_eq!(r.snapshot, plain.snapshot);
    let counts = r.snapshot.counts();
    assert_eq!(counts.tables, 100);
    assert_eq!(counts.columns, 100 * 2 + 400);
    assert_eq!(counts.indexes, 400);
    let c = ObjectRef::table_part(ObjectKind::Column, "main", "t496", "c499");
    assert_eq!(r.provenance.created_by(&c), Some("499"));
    let ix = ObjectRef::table_part(ObjectKind::Index, "main", "t1", "t1_c3");
    assert_eq!(r.provenance.origin(&ix), Some("3"));
}

#[tokio::test]
async fn expect_cmd_runs_the_command_against_a_dev_database() {
    let tmp = tempfile::tempdir().unwrap();
    let script = "set -e\ntest -n \"$DATABASE_URL\"\nsqlite3 \"${DATABASE_URL#sqlite://}\" 'CREATE TABLE django_migrations (id integer primary key); CREATE TABLE shop_order (id integer primary key, total numeric);'\n";
    write(tmp.path(), "migrate.sh", script);
    let snap = expect_from_command("sh migrate.sh", tmp.path(), &ReplayOptions::default())
        .await
        .unwrap();
    assert!(snap.table("main", "shop_order").is_some(), "{snap:#?}");
    assert!(snap.table("main", DEV_MARKER_TABLE).is_none());
    assert!(
        snap.table("main", "django_migrations").is_none(),
        "ledger tables are not schema"
    );

    let err = expect_from_command(
        "echo 'connecting to postgres://u:hunter2@db/x' >&2; echo 'boom' >&2; exit 3",
        tmp.path(),
        &ReplayOptions::default(),
    )
    .await
    .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("exit code 3") && msg.contains("boom"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
}

#[tokio::test]
async fn dev_database_file_must_be_empty_or_marked() {
    let dev = TestDb::sqlite();
    dev.exec("CREATE TABLE precious (id INTEGER)").await;
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "1_a.sql", "CREATE TABLE a (id INTEGER);");
    let set = load_migrations(tmp.path()).unwrap();
    let options = ReplayOptions::default().with_dev_url(DbUrl::parse(&dev.url).unwrap());
    let err = replay(&set, &options).await.unwrap_err();
    assert!(
        err.to_string().contains("not empty") && err.to_string().contains("precious"),
        "{err}"
    );
    assert_eq!(
        dev.scalar_i64("SELECT count(*) FROM precious").await,
        0,
        "left untouched"
    );

    dev.exec("DROP TABLE precious").await;
    let first = replay(&set, &options).await.unwrap();
    assert!(first.snapshot.table("main", "a").is_some());
    // Marked now: a second replay empties it and runs again.
    let second = replay(&set, &options).await.unwrap();
    assert_eq!(first.snapshot, second.snapshot);
    assert_eq!(
        dev.scalar_i64(&format!("SELECT count(*) FROM {DEV_MARKER_TABLE}"))
            .await,
        1
    );
}

#[tokio::test]
async fn data_only_migrations_have_no_effects() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(
        dir,
        "1_a.sql",
        "CREATE TABLE a (id INTEGER PRIMARY KEY, n INTEGER);\n",
    );
    write(
        dir,
        "2_seed.sql",
        "INSERT INTO a (n) VALUES (1), (2);\nUPDATE a SET n = n + 1;\n",
    );
    write(dir, "3_b.sql", "ALTER TABLE a ADD COLUMN b TEXT;\n");
    let set = load_migrations(dir).unwrap();
    let r = replay(&set, &ReplayOptions::default()).await.unwrap();
    assert!(r.provenance.effects("2").is_empty());
    assert_eq!(r.provenance.effects("3").len(), 1);
    assert_eq!(r.provenance.migrations(), &["1", "2", "3"]);
    assert_eq!(r.steps[1].statements, 2);
}

#[tokio::test]
async fn recorded_migrations_read_back_as_applied() {
    use driftless_fixer::record_statements;
    use driftless_model::Dialect;
    let db = TestDb::sqlite();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "1_a.sql", "CREATE TABLE a (id INTEGER);\n");
    sqlx_migrate(&db.url, dir).await;
    write(dir, "2_b.sql", "CREATE TABLE b (id INTEGER);\n");
    db.exec("CREATE TABLE b (id INTEGER)").await;
    let prisma = dir.join("prisma");
    std::fs::create_dir_all(prisma.join("1_init")).unwrap();
    write(&prisma.join("1_init"), "migration.sql", "SELECT 1;\n");
    db.exec("CREATE TABLE \"_prisma_migrations\" (\"id\" TEXT PRIMARY KEY NOT NULL, \"checksum\" TEXT NOT NULL, \"finished_at\" DATETIME, \"migration_name\" TEXT NOT NULL, \"logs\" TEXT, \"rolled_back_at\" DATETIME, \"started_at\" DATETIME NOT NULL DEFAULT current_timestamp, \"applied_steps_count\" INTEGER UNSIGNED NOT NULL DEFAULT 0)").await;
    let django = dir.join("django");
    std::fs::create_dir_all(django.join("shop/migrations")).unwrap();
    write(
        &django.join("shop/migrations"),
        "0001_initial.py",
        "class Migration:\n    dependencies = []\n",
    );
    db.exec("CREATE TABLE \"django_migrations\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"app\" varchar(255) NOT NULL, \"name\" varchar(255) NOT NULL, \"applied\" datetime NOT NULL)").await;

    let mut live = open(&db.url).await;
    let ledgers = read_ledgers(&mut live).await.unwrap();
    let folders = [dir.to_path_buf(), prisma, django];
    for (i, folder) in folders.iter().enumerate() {
        let set = load_migrations_as(
            folder,
            [
                MigrationFormat::Sqlx,
                MigrationFormat::Prisma,
                MigrationFormat::Django,
            ][i],
        )
        .unwrap();
        let ledger = select_ledger(&set, &ledgers).unwrap();
        for m in set.migrations.iter().skip(usize::from(i == 0)) {
            for sql in record_statements(&ledger.table, Dialect::Sqlite, m, 3).unwrap() {
                db.exec(&sql).await;
            }
        }
    }
    let ledgers = read_ledgers(&mut live).await.unwrap();
    live.close().await.unwrap();
    for (i, folder) in folders.iter().enumerate() {
        let set = load_migrations_as(
            folder,
            [
                MigrationFormat::Sqlx,
                MigrationFormat::Prisma,
                MigrationFormat::Django,
            ][i],
        )
        .unwrap();
        let st = migration_status(&set, select_ledger(&set, &ledgers));
        assert!(
            st.iter()
                .all(|s| s.state == MigrationState::Applied
                    && s.file_checksum == s.recorded_checksum),
            "{st:#?}"
        );
        assert!(st.iter().all(|s| s.applied_at.is_some()), "{st:#?}");
    }
    sqlx_migrate(&db.url, dir).await;
}

#[tokio::test]
async fn the_recorded_state_is_read_before_the_pending_migrations() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(
        dir,
        "1_a.sql",
        "CREATE TABLE a (id INTEGER PRIMARY KEY, n INTEGER);\n",
    );
    write(dir, "2_b.sql", "CREATE TABLE b (id INTEGER PRIMARY KEY);\n");
    write(dir, "3_a_m.sql", "ALTER TABLE a ADD COLUMN m TEXT;\n");
    write(dir, "4_a_n.sql", "ALTER TABLE a DROP COLUMN n;\n");
    let set = load_migrations(dir).unwrap();
    // The ledger records 1 and 3; 2 and 4 are pending.
    let recorded = ["1", "3"].iter().map(|s| s.to_string()).collect();
    let options = ReplayOptions::default().with_recorded(recorded);
    let r = replay(&set, &options).await.unwrap();
    assert_eq!(r.provenance.migrations(), &["1", "3", "2", "4"]);
    let state = r.recorded.expect("the recorded state");
    let fingerprints = object_fingerprints(&state);
    assert!(fingerprints.contains_key(&col("a", "n")) && fingerprints.contains_key(&col("a", "m")));
    assert!(!fingerprints.contains_key(&ObjectRef::table("main", "b")));
    let head = object_fingerprints(&r.snapshot);
    assert!(
        head.contains_key(&ObjectRef::table("main", "b")) && !head.contains_key(&col("a", "n"))
    );
    // Who made what answers for the recorded state: n exists there, made by 1.
    assert_eq!(r.provenance.origin(&col("a", "n")), Some("1"));
    assert_eq!(
        r.provenance.created_by(&ObjectRef::table("main", "b")),
        None
    );
    // 4 drops n: a recorded 4 whose drop did not happen would be reported.
    let live_with_n = object_fingerprints(&state);
    assert!(
        r.provenance.undone_drops("4", &live_with_n).is_empty(),
        "4 is pending: its drop is not recorded state"
    );
}
