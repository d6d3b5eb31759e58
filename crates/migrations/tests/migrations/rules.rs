//! The whole migration pipeline on PostgreSQL: a sqlx folder applied by
//! sqlx's own migrator, tampered with in every way a deploy meets, and each
//! tampering reported by the right built-in rule.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;

use driftless_introspect::{ConnectOptions, Database, DbUrl};
use driftless_migrations::{
    load_migrations, read_ledgers, recover_applied_sources, replay, ReplayOptions,
};
use driftless_model::select_ledger;
use driftless_rules::{Config, Context, Finding, FixIntent, Registry, Severity};
use driftless_testkit::TestDb;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
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
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Reads the folder, the ledger, replays into `dev`, and runs every
/// built-in rule; returns the findings of the migration rules.
async fn check(db: &TestDb, dev: &TestDb, dir: &Path) -> Vec<Finding> {
    let mut set = load_migrations(dir).unwrap();
    let target = DbUrl::parse(&db.url).unwrap();
    let mut live = Database::connect(&target, &ConnectOptions::read_only())
        .await
        .unwrap();
    let actual = live.snapshot(&Default::default()).await.unwrap();
    let ledgers = read_ledgers(&mut live).await.unwrap();
    live.close().await.unwrap();
    let ledger = select_ledger(&set, &ledgers);
    if let Some(l) = ledger {
        recover_applied_sources(&mut set, l);
    }
    let options = ReplayOptions::default()
        .with_target(target)
        .with_dev_url(DbUrl::parse(&dev.url).unwrap());
    let expected = replay(&set, &options).await.unwrap();
    let cx = Context::new(&expected.snapshot, &actual)
        .with_migrations(&set, ledger)
        .with_provenance(&expected.provenance);
    let report = Registry::builtin().check(&Config::default(), &cx);
    report
        .findings
        .into_iter()
        .filter(|f| f.object.kind == driftless_rules::ObjectKind::Migration)
        .collect()
}

fn find<'a>(findings: &'a [Finding], rule: &str, id: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.rule == rule && f.object.path() == id)
        .unwrap_or_else(|| panic!("no {rule} finding for {id} in {findings:#?}"))
}

#[tokio::test]
async fn each_tampering_is_reported_by_the_right_rule() {
    let db = TestDb::postgres().await;
    let dev = TestDb::postgres().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(
        dir,
        "1_users.sql",
        "CREATE TABLE users (\n    id bigserial PRIMARY KEY,\n    email text NOT NULL\n);\n",
    );
    write(
        dir,
        "2_user_login_count.sql",
        "ALTER TABLE users ADD COLUMN login_count integer NOT NULL DEFAULT 0;\n",
    );
    write(
        dir,
        "3_posts.sql",
        "CREATE TABLE posts (\n    id bigserial PRIMARY KEY,\n    title text\n);\n",
    );
    write(
        dir,
        "4_posts_title_index.sql",
        "CREATE INDEX posts_title ON posts (title);\n",
    );
    write(
        dir,
        "5_user_avatar.sql",
        "ALTER TABLE users ADD COLUMN avatar text;\n",
    );
    git(dir, &["init", "-q"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "migrations"]);
    {
        use sqlx::Connection;
        let migrator = sqlx::migrate::Migrator::new(dir.to_path_buf())
            .await
            .unwrap();
        let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
        migrator.run(&mut c).await.unwrap();
        c.close().await.unwrap();
    }
    assert_eq!(
        check(&db, &dev, dir).await,
        Vec::new(),
        "freshly migrated: nothing to report"
    );

    // Edited files: one only cosmetically, one in its statements.
    write(dir, "1_users.sql", "-- accounts\nCREATE TABLE users (\n  id bigserial PRIMARY KEY,\n  email text NOT NULL\n);\r\n");
    write(
        dir,
        "3_posts.sql",
        "CREATE TABLE posts (\n    id bigserial PRIMARY KEY,\n    title varchar(200)\n);\n",
    );
    // A deleted file.
    std::fs::remove_file(dir.join("4_posts_title_index.sql")).unwrap();
    // A ledger row removed (its column stays).
    db.exec("DELETE FROM _sqlx_migrations WHERE version = 5")
        .await;
    // A column dropped by hand.
    db.exec("ALTER TABLE users DROP COLUMN login_count").await;
    // A new migration not applied yet.
    write(
        dir,
        "6_tags.sql",
        "CREATE TABLE tags (id bigserial PRIMARY KEY, name text NOT NULL);\n",
    );

    let findings = check(&db, &dev, dir).await;
    let cosmetic = find(&findings, "modified-migration", "1");
    assert_eq!(cosmetic.severity, Severity::Warning);
    assert!(
        cosmetic
            .message
            .contains("only in whitespace, comments or line endings"),
        "{}",
        cosmetic.message
    );
    let real = find(&findings, "modified-migration", "3");
    assert_eq!(real.severity, Severity::Error);
    assert!(
        real.message.ends_with("in its statements"),
        "{}",
        real.message
    );
    let unknown = find(&findings, "unknown-applied-migration", "4");
    assert!(unknown.message.contains("different migration history"));
    let fake = find(&findings, "effect-present-unrecorded", "5");
    assert_eq!(fake.fix, FixIntent::RecordMigration);
    assert!(
        fake.message.contains("column public.users.avatar"),
        "{}",
        fake.message
    );
    let missing = find(&findings, "ledger-effect-missing", "2");
    assert!(
        missing
            .message
            .contains("column public.users.login_count it creates is absent"),
        "{}",
        missing.message
    );
    assert_eq!(missing.migration.as_deref(), Some("2"));
    let pending = find(&findings, "unapplied-migration", "6");
    assert_eq!(pending.severity, Severity::Info);
    assert_eq!(
        findings.len(),
        6,
        "exactly one finding per tampering: {findings:#?}"
    );

    // A migration that failed half-way.
    db.exec("UPDATE _sqlx_migrations SET success = false WHERE version = 2")
        .await;
    let findings = check(&db, &dev, dir).await;
    let failed = find(&findings, "failed-migration", "2");
    assert!(failed
        .message
        .contains("is marked as failed in _sqlx_migrations"));
    assert!(
        !findings.iter().any(|f| f.rule == "ledger-effect-missing"),
        "a failed migration is not 'applied'"
    );
}
