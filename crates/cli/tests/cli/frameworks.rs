//! The deploy story on a real Django project (tests/frameworks/django-story,
//! Django from `scripts/test-python`): production deployed at
//! `authentication 0003` with avatar data, a hotfix ledger row whose file
//! exists nowhere, 0004 and 0005 recorded with `migrate --fake` but never
//! run, a hand-made index, 0006 pending. `check --migrations` steps through
//! the migrations with Django itself and traces each finding to its
//! migration.

use driftless_testkit::{python, TestDb};

use crate::support::{deploy_story, driftless, manage, run_python};

fn assert_story_findings(out: &str, schema: &str) {
    for needle in [
        format!("migration authentication.0005_user_login_count is recorded as applied in django_migrations, but column {schema}.authentication_user.login_count it creates is absent"),
        format!("migration authentication.0004_remove_user_avatar is recorded as applied in django_migrations, but column {schema}.authentication_user.avatar it drops is still there"),
        "migration authentication.0003_alter_user_avatar_max_length is recorded as applied".to_string(),
        format!("migration authentication.0006_user_auth_user_login_count_idx is not applied: no record of it in django_migrations; the next migrate creates index {schema}.authentication_user.auth_user_login_count_idx"),
        format!("column {schema}.authentication_user.avatar exists but is not expected"),
        "index hand_made_email_idx".to_string(),
        "(added by migration authentication.0005_user_login_count)".to_string(),
    ] {
        assert!(out.contains(&needle), "missing `{needle}` in:\n{out}");
    }
    // Django's own apps are in the expected schema: nothing is missing;
    // what pending 0006 will create is reported once, by the migration.
    assert!(!out.contains("missing-table"), "{out}");
    assert!(!out.contains("missing-index"), "{out}");
    assert!(!out.contains("index auth_user_login_count_idx on"), "{out}");
}

/// What `migrate` does next on `url`: its exit status and error output.
fn next_migrate(project: &std::path::Path, url: &str) -> (bool, String) {
    let out = run_python(project, url, &["manage.py", "migrate", "-v0"]);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
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
    // Django's shell, which drives the migrations, says nothing of its own.
    assert!(
        !run.output().contains("imported automatically"),
        "{}",
        run.output()
    );
    // SQLite takes a double-quoted name it cannot find as a string, so
    // 0006's index builds there: the preflight says it applies, and the
    // framework agrees.
    assert!(
        !run.stdout.contains("pending-migration-fails"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("pending migration authentication.0006_user_auth_user_login_count_idx reads every row of table authentication_user while writes wait (1 row live)"),
        "{}",
        run.stdout
    );
    let (ok, stderr) = next_migrate(project.path(), &url);
    assert!(ok, "{stderr}");
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
    // The preflight: 0006 fails on a copy of production, as the deploy's
    // migrate then does on production itself.
    let fails = "migration authentication.0006_user_auth_user_login_count_idx will fail on this database: column \"login_count\" does not exist";
    assert!(run.stdout.contains(fails), "{}", run.stdout);
    assert_eq!(run.stdout.matches("pending-migration-fails").count(), 1);
    let (ok, stderr) = next_migrate(project.path(), &prod.url);
    assert!(
        !ok && stderr.contains("column \"login_count\" does not exist"),
        "{stderr}"
    );
}

/// Production at the Alembic story's merge revision, with `is_active`
/// (revision 5e7762e4d336, on one branch) dropped by hand; f1e2d3c4b5a6
/// is pending.
fn alembic_production(project: &std::path::Path, url: &str) {
    let out = run_python(project, url, &["-m", "alembic", "upgrade", "d00dfeed4242"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let drop = "import os, sqlalchemy as sa\nraw = os.environ['DATABASE_URL'].replace('postgres://', 'postgresql+psycopg://', 1)\nwith sa.create_engine(raw).begin() as c:\n    c.execute(sa.text('ALTER TABLE account DROP COLUMN is_active'))";
    let out = run_python(project, url, &["-c", drop]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn alembic_story(url: &str, dev: Option<&str>, schema: &str) {
    let project = driftless_testkit::framework_project("alembic-story");
    alembic_production(project.path(), url);
    let dir = project.path().display().to_string();
    let py = python();
    let mut args = vec!["check", "--db", url, "--migrations", &dir, "--python", &py];
    if let Some(dev) = dev {
        args.extend(["--dev-url", dev]);
    }
    let run = driftless(&args).await;
    assert_eq!(run.code, Some(1), "{}", run.output());
    for needle in [
        format!("migration 5e7762e4d336_account_is_active is recorded as applied in alembic_version, but column {schema}.account.is_active it creates is absent"),
        format!("the next migrate creates index {schema}.invoice.invoice_account_idx"),
        format!("column {schema}.account.is_active is missing"),
    ] {
        assert!(run.stdout.contains(&needle), "missing `{needle}` in:\n{}", run.stdout);
    }
    assert!(!run.stdout.contains("missing-index"), "{}", run.stdout);
    assert!(
        !run.stdout.contains("pending-migration-fails"),
        "{}",
        run.stdout
    );
    // The pending revision applies cleanly, as the preflight said.
    let out = run_python(project.path(), url, &["-m", "alembic", "upgrade", "head"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn an_alembic_revision_recorded_under_a_merge_is_traced_on_sqlite() {
    let dir = tempfile::tempdir().expect("temporary folder");
    // `sqlite:////abs/path`: what SQLAlchemy and driftless both read.
    let url = format!("sqlite:///{}", dir.path().join("production.db").display());
    alembic_story(&url, None, "main").await;
}

#[tokio::test]
async fn an_alembic_revision_recorded_under_a_merge_is_traced_on_postgres() {
    let (prod, dev) = (TestDb::postgres().await, TestDb::postgres().await);
    alembic_story(&prod.url, Some(&dev.url), "public").await;
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

/// `driftless migrations` on the story: the project's app as
/// `showmigrations` lists it, Django's own apps in a group of their own
/// with their counts (not unknown), their pending migrations named from
/// Django's own graph, and an app no longer installed called so.
#[tokio::test]
async fn migrations_lists_djangos_own_apps_apart_and_unknown_once() {
    let project = driftless_testkit::framework_project("django-story");
    let db = project.path().join("production.sqlite3");
    let url = format!("sqlite:{}", db.display());
    deploy_story(project.path(), &url);
    let sql = "DELETE FROM django_migrations WHERE app = 'contenttypes' AND name = '0002_remove_content_type_name'; \
               INSERT INTO django_migrations (app, name, applied) VALUES ('admin', '0001_initial', '2026-01-01 00:00:00');";
    manage(project.path(), &url, &["shell", "-c", &format!("from django.db import connection\nwith connection.cursor() as c:\n    for s in {sql:?}.split(';'):\n        s.strip() and c.execute(s)")]);
    let dir = project.path().display().to_string();
    let py = python();
    let run = driftless(&[
        "migrations",
        "--db",
        &url,
        "--migrations",
        &dir,
        "--python",
        &py,
    ])
    .await;
    assert_eq!(run.code, Some(1), "{}", run.output());
    let out = &run.stdout;
    for needle in [
        " [X] 0005_user_login_count ",
        " [ ] 0006_user_auth_user_login_count_idx ",
        " [?] 0003_alter_user_avatar_max_length    unknown (recorded in the ledger; no such migration in the folder)",
        "7 migrations: 5 applied, 1 unapplied, 1 unknown, 0 modified, 0 failed",
        "Django's own apps and libraries' apps (outside the folder)",
        " auth          12 applied\n",
        " contenttypes  1 applied, 1 unapplied (0002_remove_content_type_name)\n",
        " admin         1 applied, not installed: in the ledger only\n",
    ] {
        assert!(out.contains(needle), "missing `{needle}` in:\n{out}");
    }
    assert_eq!(out.matches("no such").count(), 1, "{out}");
    assert!(!out.contains("[?] auth"), "{out}");
    let json = driftless(&[
        "migrations",
        "--db",
        &url,
        "--migrations",
        &dir,
        "--python",
        &py,
        "--format",
        "json",
    ])
    .await;
    let doc = crate::documents::json_document(&json.stdout);
    let auth = doc["outside_apps"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["app"] == "auth"))
        .expect("auth listed");
    assert_eq!(auth["applied"].as_array().map(Vec::len), Some(12), "{auth}");
    assert_eq!(auth["installed"], true, "{auth}");
    // Listing runs Django without a database and writes nothing into the project.
    assert!(!project.path().join("authentication/__pycache__").exists());
}

/// What a broken project looks like to `check`: exit 2, the file, the
/// migration and the framework's own words, and nothing written into the
/// project or the production database.
mod bad_input {
    use std::path::Path;

    use super::*;

    /// A production database that only the check reads.
    fn production(dir: &Path) -> (String, Vec<u8>) {
        let db = dir.join("production.sqlite3");
        let make = format!(
            "import sqlite3; c = sqlite3.connect({:?}); c.execute('CREATE TABLE t (x int)'); c.commit()",
            db.display().to_string()
        );
        let out = std::process::Command::new(python())
            .args(["-c", &make])
            .output()
            .expect("run python");
        assert!(out.status.success(), "{out:?}");
        (
            format!("sqlite:{}", db.display()),
            std::fs::read(&db).expect("read db"),
        )
    }

    fn files(dir: &Path) -> Vec<String> {
        let mut all = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).expect("read dir") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    stack.push(p.clone());
                }
                all.push(p.display().to_string());
            }
        }
        all.sort();
        all
    }

    /// Writes `extra` files into a copy of project `name`, checks it, and
    /// returns the error output after asserting exit 2 and no writes.
    async fn check_broken(name: &str, migrations: &str, extra: &[(&str, &str)]) -> String {
        let project = driftless_testkit::framework_project(name);
        for (file, text) in extra {
            std::fs::write(project.path().join(file), text).expect("write migration");
        }
        let (url, before) = production(project.path());
        let listed = files(project.path());
        let dir = project.path().join(migrations).display().to_string();
        let py = python();
        let run = driftless(&["check", "--db", &url, "--migrations", &dir, "--python", &py]).await;
        assert_eq!(run.code, Some(2), "{}", run.output());
        assert_eq!(
            files(project.path()),
            listed,
            "the project was written into"
        );
        let after = std::fs::read(project.path().join("production.sqlite3")).expect("read db");
        assert!(before == after, "the production database changed");
        run.stderr
    }

    fn assert_names(err: &str, needles: &[&str]) {
        for needle in needles {
            assert!(err.contains(needle), "missing `{needle}` in:\n{err}");
        }
    }

    #[tokio::test]
    async fn django_a_missing_dependency() {
        let text = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    dependencies = [(\"authentication\", \"0006_user_auth_user_login_count_idx\"), (\"auth\", \"0099_nowhere\")]\n    operations = []\n";
        let err = check_broken(
            "django-story",
            "",
            &[("authentication/migrations/0007_more.py", text)],
        )
        .await;
        assert_names(
            &err,
            &[
                "0007_more.py:4:",
                "Django 5.2",
                "authentication.0007_more",
                "nonexistent parent node ('auth', '0099_nowhere') (NodeNotFoundError)",
            ],
        );
    }

    #[tokio::test]
    async fn django_a_dependency_cycle() {
        let a = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    dependencies = [(\"authentication\", \"0006_user_auth_user_login_count_idx\"), (\"authentication\", \"0008_b\")]\n    operations = []\n";
        let b = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    dependencies = [(\"authentication\", \"0007_a\")]\n    operations = []\n";
        let err = check_broken(
            "django-story",
            "",
            &[
                ("authentication/migrations/0007_a.py", a),
                ("authentication/migrations/0008_b.py", b),
            ],
        )
        .await;
        assert_names(&err, &["0007_a.py", "cycle", "authentication.0007_a"]);
    }

    #[tokio::test]
    async fn django_two_leaf_migrations_in_one_app() {
        let text = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    dependencies = [(\"authentication\", \"0005_user_login_count\")]\n    operations = []\n";
        let err = check_broken(
            "django-story",
            "",
            &[("authentication/migrations/0007_other.py", text)],
        )
        .await;
        assert_names(
            &err,
            &[
                "0007_other.py",
                "authentication.0007_other",
                "Conflicting migrations detected; multiple leaf nodes in the migration graph: (0006_user_auth_user_login_count_idx, 0007_other in authentication)",
                "makemigrations --merge",
            ],
        );
    }

    #[tokio::test]
    async fn django_a_migration_that_fails() {
        let text = "from django.db import migrations\n\n\ndef backfill(apps, schema_editor):\n    raise ValueError(\"no such customer\")\n\n\nclass Migration(migrations.Migration):\n    dependencies = [(\"authentication\", \"0006_user_auth_user_login_count_idx\")]\n    operations = [migrations.RunPython(backfill)]\n";
        let err = check_broken(
            "django-story",
            "",
            &[("authentication/migrations/0007_backfill.py", text)],
        )
        .await;
        assert_names(
            &err,
            &[
                "0007_backfill.py:5:",
                "migration authentication.0007_backfill failed to apply",
                "ValueError: no such customer",
            ],
        );
    }

    #[tokio::test]
    async fn django_a_migration_that_does_not_parse() {
        let text = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    dependencies = [(\"authentication\", \"0006_user_auth_user_login_count_idx\")\n    operations = []\n";
        let err = check_broken(
            "django-story",
            "",
            &[("authentication/migrations/0007_typo.py", text)],
        )
        .await;
        assert_names(&err, &["0007_typo.py"]);
    }

    const REVISION: &str = "from alembic import op\n\nrevision = \"{rev}\"\ndown_revision = {down}\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n    {body}\n";

    fn revision(rev: &str, down: &str, body: &str) -> String {
        REVISION
            .replace("{rev}", rev)
            .replace("{down}", down)
            .replace("{body}", body)
    }

    #[tokio::test]
    async fn alembic_a_missing_down_revision() {
        let text = revision("aaaa", "\"0bad0bad0bad\"", "pass");
        let err = check_broken(
            "alembic-story",
            "versions",
            &[("versions/aaaa_more.py", &text)],
        )
        .await;
        assert_names(&err, &["aaaa_more.py:4:", "aaaa", "0bad0bad0bad"]);
    }

    #[tokio::test]
    async fn alembic_a_cycle() {
        let a = revision("aaaa", "\"bbbb\"", "pass");
        let b = revision("bbbb", "\"aaaa\"", "pass");
        let err = check_broken(
            "alembic-story",
            "versions",
            &[("versions/aaaa_a.py", &a), ("versions/bbbb_b.py", &b)],
        )
        .await;
        assert_names(&err, &["aaaa_a.py", "cycle", "aaaa"]);
    }

    #[tokio::test]
    async fn alembic_two_heads() {
        let text = revision("aaaa", "\"d00dfeed4242\"", "pass");
        let err = check_broken(
            "alembic-story",
            "versions",
            &[("versions/aaaa_branch.py", &text)],
        )
        .await;
        assert_names(
            &err,
            &[
                "aaaa_branch.py",
                "Alembic 1.",
                "migration aaaa",
                "Multiple head revisions are present (aaaa, f1e2d3c4b5a6)",
            ],
        );
    }

    #[tokio::test]
    async fn alembic_a_revision_that_fails() {
        let text = revision(
            "aaaa",
            "\"f1e2d3c4b5a6\"",
            "op.execute(\"ALTER TABLE nowhere ADD COLUMN x int\")",
        );
        let err = check_broken(
            "alembic-story",
            "versions",
            &[("versions/aaaa_alter.py", &text)],
        )
        .await;
        assert_names(
            &err,
            &[
                "aaaa_alter.py:10:",
                "migration aaaa failed to apply",
                "no such table: nowhere",
            ],
        );
    }
}

/// The repair that lets the deploy go on: `fix --apply --apply-pending`
/// on the story, then Django's own checks pass and the next migrate has
/// nothing left; a second fix changes nothing; the table holds exactly
/// the columns the migrations build, and the quarantined avatar values
/// come back with `driftless quarantine restore`.
async fn the_story_repaired(url: &str, dev: Option<&str>, project: &std::path::Path) {
    let dir = project.display().to_string();
    let py = python();
    let migrate = format!("{py} manage.py migrate --noinput");
    let mut args = vec![
        "fix",
        "--db",
        url,
        "--migrations",
        &dir,
        "--python",
        &py,
        "--apply",
    ];
    if let Some(dev) = dev {
        args.extend(["--dev-url", dev]);
    }
    let mut with_pending = args.clone();
    with_pending.extend(["--apply-pending", "--migrate-cmd", &migrate]);
    let run = driftless(&with_pending).await;
    assert_eq!(run.code, Some(0), "{}", run.output());
    assert!(
        run.stdout
            .contains("quarantine ledger row authentication.0003_alter_user_avatar_max_length"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Applied 1 pending migration(s)"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("Not fixable automatically"),
        "{}",
        run.stdout
    );
    for check in [
        vec!["manage.py", "migrate", "--check"],
        vec!["manage.py", "makemigrations", "--check", "--dry-run"],
    ] {
        let out = run_python(project, url, &check);
        assert!(
            out.status.success(),
            "{check:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let again = driftless(&args).await;
    assert_eq!(again.code, Some(0), "{}", again.output());
    assert!(
        again.stdout.contains("Nothing to apply"),
        "{}",
        again.stdout
    );
    avatar_quarantined_and_restored(url, project).await;
}

/// The columns of `authentication_user` in the database at `url`.
async fn user_columns(url: &str) -> Vec<String> {
    let mut db = crate::support::open(url).await;
    let snap = db.snapshot(&Default::default()).await.unwrap();
    db.close().await.unwrap();
    let (_, _, t) = snap
        .tables()
        .find(|(_, n, _)| *n == "authentication_user")
        .unwrap();
    t.columns.keys().cloned().collect()
}

/// After the repair: `authentication_user` has exactly the columns the
/// migrations build, avatar's values wait in quarantine, and `driftless
/// quarantine restore` brings them back.
async fn avatar_quarantined_and_restored(url: &str, project: &std::path::Path) {
    let fresh = tempfile::tempdir().unwrap();
    let built = format!("sqlite:{}", fresh.path().join("built.sqlite3").display());
    manage(project, &built, &["migrate", "-v0"]);
    assert_eq!(user_columns(url).await, user_columns(&built).await);

    let run = driftless(&["quarantine", "list", "--db", url, "--format", "json"]).await;
    assert_eq!(run.code, Some(0), "{}", run.output());
    let doc = crate::documents::json_document(&run.stdout);
    let held = doc["quarantined"].as_array().unwrap();
    assert_eq!(held.len(), 1, "{doc}");
    assert!(
        held[0]["object"]
            .as_str()
            .unwrap()
            .ends_with("authentication_user.avatar"),
        "{doc}"
    );
    assert_eq!(held[0]["rows"], 1, "{doc}");

    let run = driftless(&[
        "quarantine",
        "restore",
        "--db",
        url,
        "authentication_user.avatar",
        "--apply",
    ])
    .await;
    assert_eq!(run.code, Some(0), "{}", run.output());
    assert_eq!(
        crate::support::scalar(url, "SELECT count(*) FROM authentication_user WHERE username = 'ann' AND avatar = 'ann.png'").await,
        Some(1)
    );
}

#[tokio::test]
async fn the_django_story_is_repaired_and_migrate_runs_clean_on_sqlite() {
    let project = driftless_testkit::framework_project("django-story");
    let db = project.path().join("production.sqlite3");
    let url = format!("sqlite:{}", db.display());
    deploy_story(project.path(), &url);
    the_story_repaired(&url, None, project.path()).await;
}

#[tokio::test]
async fn the_django_story_is_repaired_and_migrate_runs_clean_on_postgres() {
    let project = driftless_testkit::framework_project("django-story");
    let (prod, dev) = (TestDb::postgres().await, TestDb::postgres().await);
    deploy_story(project.path(), &prod.url);
    the_story_repaired(&prod.url, Some(&dev.url), project.path()).await;
}

/// The fallback steppers: one `manage.py migrate APP NAME` or one
/// `alembic upgrade REV` a migration (`--step-cmd`), for a project the
/// long-lived driver cannot drive; findings name the same migrations.
#[tokio::test]
async fn django_and_alembic_step_one_command_a_migration_as_a_fallback() {
    let py = python();
    let django = driftless_testkit::framework_project("django-story");
    let url = format!(
        "sqlite:{}",
        django.path().join("production.sqlite3").display()
    );
    deploy_story(django.path(), &url);
    let dir = django.path().display().to_string();
    let step = format!("cd '{dir}' && {py} manage.py migrate -v0 {{app}} {{name}}");
    let run = driftless(&[
        "check",
        "--db",
        &url,
        "--migrations",
        &dir,
        "--step-cmd",
        &step,
    ])
    .await;
    assert_eq!(run.code, Some(1), "{}", run.output());
    assert_story_findings(&run.stdout, "main");

    let alembic = driftless_testkit::framework_project("alembic-story");
    let db = tempfile::tempdir().expect("temporary folder");
    let url = format!("sqlite:///{}", db.path().join("production.db").display());
    alembic_production(alembic.path(), &url);
    let dir = alembic.path().display().to_string();
    let step = format!("cd '{dir}' && {py} -m alembic upgrade {{version}}");
    let run = driftless(&[
        "check",
        "--db",
        &url,
        "--migrations",
        &dir,
        "--step-cmd",
        &step,
    ])
    .await;
    assert_eq!(run.code, Some(1), "{}", run.output());
    assert!(
        run.stdout.contains("migration 5e7762e4d336_account_is_active is recorded as applied in alembic_version, but column main.account.is_active it creates is absent"),
        "{}",
        run.stdout
    );
}

/// Migration 0007: Django's `RenameIndex` of 0006's index, which names
/// it by its old name (`ALTER INDEX … RENAME TO …`; Django's `RemoveIndex`
/// would not do: it drops `IF EXISTS`, and leaves a renamed index behind
/// without a word).
const RENAME_INDEX: &str = "from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [(\"authentication\", \"0006_user_auth_user_login_count_idx\")]
    operations = [
        migrations.RenameIndex(
            model_name=\"user\",
            new_name=\"auth_user_logins_idx\",
            old_name=\"auth_user_login_count_idx\",
        ),
    ]
";

/// An index renamed by hand in production: the next migration, which
/// names it, fails there. `check` against the schema Django's migrations
/// build reports the name drift, `fix --accept-renames` names the index
/// back (one rename, no rebuild), and the migration runs.
#[tokio::test]
async fn a_renamed_index_is_named_back_and_djangos_rename_index_runs_on_postgres() {
    let project = driftless_testkit::framework_project("django-story");
    let (prod, built) = (TestDb::postgres().await, TestDb::postgres().await);
    for db in [&prod, &built] {
        manage(project.path(), &db.url, &["migrate", "-v0"]);
    }
    prod.exec("ALTER INDEX auth_user_login_count_idx RENAME TO login_count_idx")
        .await;
    std::fs::write(
        project
            .path()
            .join("authentication/migrations/0007_rename_login_count_idx.py"),
        RENAME_INDEX,
    )
    .unwrap();
    let (ok, stderr) = next_migrate(project.path(), &prod.url);
    assert!(
        !ok && stderr.contains("relation \"auth_user_login_count_idx\" does not exist"),
        "{stderr}"
    );

    let args = ["--db", &prod.url, "--expect", &built.url];
    let run = driftless(&[&["check"][..], &args].concat()).await;
    assert_eq!(run.code, Some(1), "{}", run.output());
    assert!(
        run.stdout.contains("index public.authentication_user.auth_user_login_count_idx is missing and index public.authentication_user.login_count_idx is not expected"),
        "{}",
        run.stdout
    );
    let run = driftless(&[&["fix"][..], &args, &["--apply", "--accept-renames"]].concat()).await;
    assert!(run.stdout.contains("rename index"), "{}", run.output());
    assert!(!run.stdout.contains("create index"), "{}", run.output());
    let (ok, stderr) = next_migrate(project.path(), &prod.url);
    assert!(ok, "{stderr}");
    assert_eq!(
        crate::support::scalar(
            &prod.url,
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'auth_user_logins_idx'"
        )
        .await,
        Some(1)
    );
}
