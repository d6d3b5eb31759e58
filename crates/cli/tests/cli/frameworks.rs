//! The deploy story on a real Django project (tests/frameworks/django-story,
//! Django from `scripts/test-python`): production deployed at
//! `authentication 0003` with avatar data, a hotfix ledger row whose file
//! exists nowhere, 0004 and 0005 recorded with `migrate --fake` but never
//! run, a hand-made index, 0006 pending. `check --migrations` steps through
//! the migrations with Django itself and traces each finding to its
//! migration.

use driftless_testkit::{python, TestDb};

use crate::support::driftless;

/// Runs `python manage.py ARGS` in `project` against `url`.
fn manage(project: &std::path::Path, url: &str, args: &[&str]) {
    let out = std::process::Command::new(python())
        .arg("manage.py")
        .args(args)
        .current_dir(project)
        .env("DATABASE_URL", url)
        .output()
        .expect("run manage.py");
    assert!(
        out.status.success(),
        "manage.py {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Production as the story left it, built by Django itself.
fn deploy_story(project: &std::path::Path, url: &str) {
    manage(project, url, &["migrate", "-v0", "auth"]);
    manage(project, url, &["migrate", "-v0", "authentication", "0003"]);
    manage(
        project,
        url,
        &["migrate", "-v0", "--fake", "authentication", "0005"],
    );
    let sql = "INSERT INTO authentication_user (username, email, avatar) VALUES ('ann', 'ann@example.com', 'ann.png'); \
               INSERT INTO django_migrations (app, name, applied) VALUES ('authentication', '0003_alter_user_avatar_max_length', '2026-01-01 00:00:00'); \
               CREATE INDEX hand_made_email_idx ON authentication_user (email);";
    manage(project, url, &["shell", "-c", &format!("from django.db import connection\nwith connection.cursor() as c:\n    for s in {sql:?}.split(';'):\n        s.strip() and c.execute(s)")]);
}

fn assert_story_findings(out: &str, schema: &str) {
    for needle in [
        format!("migration authentication.0005_user_login_count is recorded as applied in django_migrations, but column {schema}.authentication_user.login_count it creates is absent"),
        "migration authentication.0003_alter_user_avatar_max_length is recorded as applied".to_string(),
        "migration authentication.0006_user_auth_user_login_count_idx is not applied".to_string(),
        format!("column {schema}.authentication_user.avatar exists but is not expected"),
        "index hand_made_email_idx".to_string(),
        "(added by migration authentication.0005_user_login_count)".to_string(),
    ] {
        assert!(out.contains(&needle), "missing `{needle}` in:\n{out}");
    }
    // Django's own apps are in the expected schema: nothing is missing.
    assert!(!out.contains("missing-table"), "{out}");
}

#[tokio::test]
async fn the_django_story_is_traced_to_its_migrations_on_sqlite() {
    let project = driftless_testkit::framework_project("django-story");
    let db = project.path().join("production.sqlite3");
    let url = format!("sqlite:{}", db.display());
    deploy_story(project.path(), &url);
    let dir = project.path().display().to_string();
    let py = python();
    let run = driftless(&["check", "--db", &url, "--migrations", &dir, "--python", &py]).await;
    assert_eq!(run.code, Some(1), "{}", run.output());
    assert_story_findings(&run.stdout, "main");
}

#[tokio::test]
async fn the_django_story_is_traced_to_its_migrations_on_postgres() {
    let project = driftless_testkit::framework_project("django-story");
    let (prod, dev) = (TestDb::postgres().await, TestDb::postgres().await);
    deploy_story(project.path(), &prod.url);
    let dir = project.path().display().to_string();
    let py = python();
    let args = [
        "check",
        "--db",
        &prod.url,
        "--migrations",
        &dir,
        "--dev-url",
        &dev.url,
        "--python",
        &py,
    ];
    let run = driftless(&args).await;
    assert_eq!(run.code, Some(1), "{}", run.output());
    assert_story_findings(&run.stdout, "public");
}

#[tokio::test]
async fn a_python_without_django_is_a_clear_error() {
    let project = driftless_testkit::framework_project("django-story");
    let dir = project.path().display().to_string();
    let run = driftless(&[
        "check",
        "--db",
        "sqlite::memory:",
        "--migrations",
        &dir,
        "--python",
        "/nonexistent/python3",
    ])
    .await;
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(
        run.stderr.contains("cannot start /nonexistent/python3"),
        "{}",
        run.stderr
    );
}
