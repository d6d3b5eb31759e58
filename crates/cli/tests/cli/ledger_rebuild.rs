//! A Django database whose `django_migrations` was emptied (a dump
//! restored without its rows): `fix --apply` records the migrations whose
//! effects are all there, Django's own apps too, and Django's next
//! `migrate` applies the rest and runs clean.

use driftless_testkit::{python, python_ok, TestDb};

use crate::support::driftless;

/// Production migrated by Django to `authentication 0003`, with a user,
/// then its ledger emptied.
fn emptied(project: &std::path::Path, url: &str) {
    python_ok(project, url, &["manage.py", "migrate", "-v0", "auth"]);
    python_ok(
        project,
        url,
        &["manage.py", "migrate", "-v0", "authentication", "0003"],
    );
    let sql = "INSERT INTO authentication_user (username, email, avatar) VALUES ('ann', 'ann@example.com', 'ann.png'); DELETE FROM django_migrations";
    let code = format!("from django.db import connection\nwith connection.cursor() as c:\n    for s in {sql:?}.split(';'):\n        c.execute(s)");
    python_ok(project, url, &["manage.py", "shell", "-c", &code]);
}

async fn rebuilt_then_migrate(url: &str, dev: Option<&str>) {
    let project = driftless_testkit::framework_project("django-story");
    let project = project.path();
    emptied(project, url);
    let dir = project.display().to_string();
    let py = python();
    let mut args = vec!["plan", "--db", url, "--migrations", &dir, "--python", &py];
    if let Some(dev) = dev {
        args.extend(["--dev-url", dev]);
    }
    let plan = driftless(&args).await;
    for needle in [
        "the migration ledger django_migrations is empty",
        "authentication.0004_remove_user_avatar and the migrations after it stay pending",
        "rebuild ledger",
    ] {
        assert!(
            plan.stdout.contains(needle),
            "missing `{needle}` in:\n{}",
            plan.output()
        );
    }
    args[0] = "fix";
    args.push("--apply");
    let run = driftless(&args).await;
    assert_eq!(run.code, Some(0), "{}", run.output());
    // Django agrees: it applies 0004 to 0006, and nothing else.
    let shown = python_ok(project, url, &["manage.py", "migrate", "--plan"]);
    let planned: Vec<&str> = shown
        .lines()
        .filter(|l| l.contains("authentication."))
        .collect();
    assert_eq!(planned.len(), 3, "{shown}");
    assert!(!shown.contains("auth.0001"), "{shown}");
    python_ok(project, url, &["manage.py", "migrate", "-v0"]);
    python_ok(project, url, &["manage.py", "migrate", "--check"]);
    python_ok(
        project,
        url,
        &["manage.py", "makemigrations", "--check", "--dry-run"],
    );
}

#[tokio::test]
async fn an_emptied_django_ledger_is_rebuilt_and_migrate_runs_clean_on_sqlite() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = format!("sqlite:{}", dir.path().join("production.sqlite3").display());
    rebuilt_then_migrate(&url, None).await;
}

#[tokio::test]
async fn an_emptied_django_ledger_is_rebuilt_and_migrate_runs_clean_on_postgres() {
    let (prod, dev) = (TestDb::postgres().await, TestDb::postgres().await);
    rebuilt_then_migrate(&prod.url, Some(&dev.url)).await;
}
