//! The deploy story on a real Rails project (tests/frameworks/rails-story,
//! Debian's Rails 6.1, no Bundler): production migrated up to the index on
//! `users.email`, `users.login_count` (added by 20240102000002) dropped by
//! hand, 20240104000004 (`change_column`) and 20240105000005 (an index on
//! `login_count`) pending. `check --migrations`
//! steps through the migrations with `bin/rails db:migrate:up`, one
//! migration a step, and traces each finding to its migration.

use std::path::Path;

use driftless_testkit::TestDb;

use crate::support::{command, driftless, finish, Run};

const RECORDED: [&str; 3] = ["20240101000001", "20240102000002", "20240103000003"];
const PENDING: [&str; 2] = [
    "20240104000004_widen_users_email",
    "20240105000005_add_index_on_users_login_count",
];

/// Runs `bin/rails ARGS` in `project` against `url`.
fn run_rails(project: &Path, url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new("bin/rails")
        .args(args)
        .current_dir(project)
        .env("DATABASE_URL", url)
        .output()
        .expect(
            "run bin/rails (apt-get install ruby-railties ruby-activerecord ruby-sqlite3 ruby-pg)",
        )
}

/// Runs `bin/rails ARGS` in `project` against `url`; it must succeed.
fn rails(project: &Path, url: &str, args: &[&str]) {
    let out = run_rails(project, url, args);
    assert!(
        out.status.success(),
        "bin/rails {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Production as the story left it, built by Rails itself.
fn deploy_story(project: &Path, url: &str) {
    for version in RECORDED {
        rails(
            project,
            url,
            &["db:migrate:up", &format!("VERSION={version}")],
        );
    }
    let drop =
        "ActiveRecord::Base.connection.execute(%q(ALTER TABLE users DROP COLUMN login_count))";
    rails(project, url, &["runner", drop]);
}

fn assert_story_findings(run: &Run, schema: &str) {
    assert_eq!(run.code, Some(1), "{}", run.output());
    let out = &run.stdout;
    for needle in [
        "ledger-effect-missing".to_string(),
        format!("migration {}_add_login_count_to_users is recorded as applied in schema_migrations, but column {schema}.users.login_count it creates is absent", RECORDED[1]),
        format!("column {schema}.users.login_count is missing"),
        "(added by migration 20240102000002_add_login_count_to_users)".to_string(),
        "unapplied-migration".to_string(),
        format!("migration {} is not applied: no record of it in schema_migrations; the next migrate changes column {schema}.users.email", PENDING[0]),
        format!("migration {} is not applied: no record of it in schema_migrations; the next migrate creates index {schema}.users.index_users_on_login_count", PENDING[1]),
    ] {
        assert!(out.contains(&needle), "missing `{needle}` in:\n{out}");
    }
    // What the pending migrations will change is reported once, by the
    // migration, not as drift of its own.
    assert!(!out.contains("column-type-mismatch"), "{out}");
    assert!(!out.contains("missing-index"), "{out}");
}

#[tokio::test]
async fn the_rails_story_is_traced_to_its_migrations_on_sqlite() {
    let project = driftless_testkit::framework_project("rails-story");
    let db = project.path().join("production.sqlite3");
    deploy_story(project.path(), &format!("sqlite3:{}", db.display()));
    let schema_dump = project.path().join("db/schema.rb");
    std::fs::remove_file(&schema_dump).expect("Rails dumped the production schema");
    let dir = project.path().join("db/migrate").display().to_string();
    let url = format!("sqlite:{}", db.display());
    let run = driftless(&["check", "--db", &url, "--migrations", &dir]).await;
    assert_story_findings(&run, "main");
    // The schema dump Rails writes after migrating did not land in the
    // project.
    assert!(!schema_dump.exists());
    // SQLite takes a double-quoted name it cannot find as a string, so the
    // index on the dropped column builds there: the preflight says the
    // pending migrations apply, and Rails agrees.
    assert!(
        !run.stdout.contains("pending-migration-fails"),
        "{}",
        run.stdout
    );
    rails(
        project.path(),
        &format!("sqlite3:{}", db.display()),
        &["db:migrate"],
    );
}

#[tokio::test]
async fn the_rails_story_is_traced_to_its_migrations_on_postgres() {
    let project = driftless_testkit::framework_project("rails-story");
    let (prod, dev) = (TestDb::postgres().await, TestDb::postgres().await);
    deploy_story(project.path(), &prod.url);
    let dir = project.path().join("db/migrate").display().to_string();
    let args = [
        "check",
        "--db",
        &prod.url,
        "--migrations",
        &dir,
        "--dev-url",
        &dev.url,
    ];
    let run = driftless(&args).await;
    assert_story_findings(&run, "public");
    // The preflight: the index on the dropped column fails on a copy of
    // production (its ledger copied too), as the deploy's migrate then
    // does on production itself.
    let fails = format!(
        "migration {} will fail on this database: PG::UndefinedColumn: ERROR:  column \"login_count\" does not exist",
        PENDING[1]
    );
    assert!(run.stdout.contains(&fails), "{}", run.stdout);
    assert_eq!(run.stdout.matches("pending-migration-fails").count(), 1);
    let out = run_rails(project.path(), &prod.url, &["db:migrate"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("column \"login_count\" does not exist"),
        "{stderr}"
    );
}

/// `driftless ARGS` run in `dir`.
async fn driftless_in(dir: &Path, args: &[&str]) -> Run {
    let mut c = command(args);
    c.current_dir(dir);
    finish(c.spawn().expect("start driftless")).await
}

#[tokio::test]
async fn a_step_command_steps_through_the_migrations() {
    let project = driftless_testkit::framework_project("rails-story");
    let db = project.path().join("production.sqlite3");
    deploy_story(project.path(), &format!("sqlite3:{}", db.display()));
    let url = format!("sqlite:{}", db.display());
    let step = "ruby bin/rails db:migrate:up VERSION={version} && echo {name} >> steps.log";
    let args = [
        "check",
        "--db",
        &url,
        "--migrations",
        "db/migrate",
        "--step-cmd",
        step,
    ];
    let run = driftless_in(project.path(), &args).await;
    assert_story_findings(&run, "main");
    // Once a migration, recorded ones first, then once more for each
    // pending one on the copy of production (the preflight).
    let log = std::fs::read_to_string(project.path().join("steps.log")).unwrap();
    assert_eq!(
        log.lines().collect::<Vec<_>>(),
        [
            "create_users",
            "add_login_count_to_users",
            "add_index_on_users_email",
            "widen_users_email",
            "add_index_on_users_login_count",
            "widen_users_email",
            "add_index_on_users_login_count"
        ]
    );
}

#[tokio::test]
async fn a_failing_step_names_the_migration_file() {
    let project = driftless_testkit::framework_project("rails-story");
    let broken = project
        .path()
        .join("db/migrate/20240106000006_add_column_to_nowhere.rb");
    std::fs::write(
        &broken,
        "class AddColumnToNowhere < ActiveRecord::Migration[6.1]\n  def change\n    add_column :nowhere, :x, :integer\n  end\nend\n",
    )
    .unwrap();
    let dir = project.path().join("db/migrate").display().to_string();
    let run = driftless(&["check", "--db", "sqlite::memory:", "--migrations", &dir]).await;
    assert_eq!(run.code, Some(2), "{}", run.output());
    for needle in [
        // The line of the migration that raised, from Rails' trace.
        "20240106000006_add_column_to_nowhere.rb:3:",
        "exit code 1",
        "nowhere",
    ] {
        assert!(
            run.stderr.contains(needle),
            "missing `{needle}` in:\n{}",
            run.stderr
        );
    }
}

#[tokio::test]
async fn a_failing_step_command_shows_no_password() {
    let project = driftless_testkit::framework_project("rails-story");
    let (prod, dev) = (TestDb::postgres().await, TestDb::postgres().await);
    // The local server trusts loopback: the password is only there to be
    // hidden.
    let dev_url = dev.url.replacen("://root@", "://root:s3cret-pw@", 1);
    let step = "echo \"cannot reach $DATABASE_URL\" >&2; exit 3";
    let args = [
        "check",
        "--db",
        &prod.url,
        "--migrations",
        "db/migrate",
        "--dev-url",
        &dev_url,
        "--step-cmd",
        step,
    ];
    let run = driftless_in(project.path(), &args).await;
    assert_eq!(run.code, Some(2), "{}", run.output());
    for needle in [
        "20240101000001_create_users.rb",
        "exit code 3",
        "cannot reach postgres://root:",
    ] {
        assert!(
            run.stderr.contains(needle),
            "missing `{needle}` in:\n{}",
            run.stderr
        );
    }
    assert!(!run.output().contains("s3cret-pw"), "{}", run.output());
    let said = run.stderr.matches("cannot reach postgres").count();
    assert_eq!(said, 1, "{}", run.stderr);
}
