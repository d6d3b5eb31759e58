//! The Django app (`integrations/django`, distribution `driftless-django`)
//! as a user installs it: one fresh virtualenv per test run, into which pip
//! installs the app with the `driftless-db` wheel of `scripts/test-wheel`
//! (`--find-links`) and the Django and psycopg that
//! `tests/frameworks/requirements.txt` pins (as constraints; `psycopg[binary]`
//! asked for by name). Then
//! `python manage.py driftless …` runs on a copy of the story project whose
//! production drifted as in the deploy story and whose settings are a
//! user's: a plain `DATABASES` dict, `driftless_django` installed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use driftless_testkit::{framework_project, succeeded, wheel, workspace_copy, workspace_root};
use driftless_testkit::{PgRole, TestDb};
use tempfile::TempDir;

use crate::support::{deploy_story, fresh_venv, pinned_constraints, scalar, Run};

/// The version the wheel and the app carry: the CLI crate's.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The virtualenv of this test run, made by the first test that needs it.
fn venv() -> &'static Path {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(make_venv)
}

/// `python -m venv`, then `pip install` of the app as a user runs it.
fn make_venv() -> PathBuf {
    let runs = Path::new(env!("CARGO_TARGET_TMPDIR")).join("django-app");
    remove_finished_runs(&runs);
    let venv = runs.join(format!("venv-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&venv);
    fresh_venv(&venv);
    let work = tempfile::tempdir().expect("temporary folder");
    let constraints = pinned_constraints(work.path());
    // Built from a copy: setuptools writes build/ and *.egg-info next to the sources.
    let app = workspace_copy("integrations/django");
    let wheelhouse = wheel().join("wheelhouse");
    succeeded(
        Command::new(venv.join("bin/python"))
            .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
            .arg("--find-links")
            .arg(&wheelhouse)
            .arg("-c")
            .arg(&constraints)
            // This build's wheel itself, not a driftless-db of the index.
            .arg(driftless_wheel(&wheelhouse))
            .arg("psycopg[binary]")
            .arg(app.path()),
    );
    venv
}

/// The `driftless_db-VERSION-…whl` file of `scripts/test-wheel`.
fn driftless_wheel(wheelhouse: &Path) -> PathBuf {
    let prefix = format!("driftless_db-{VERSION}-");
    std::fs::read_dir(wheelhouse)
        .expect("read the wheelhouse")
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
        })
        .unwrap_or_else(|| {
            panic!(
                "no {prefix}*.whl in {} (scripts/test-wheel)",
                wheelhouse.display()
            )
        })
}

/// Removes the virtualenvs of earlier test runs whose process has ended.
fn remove_finished_runs(runs: &Path) {
    let Ok(entries) = std::fs::read_dir(runs) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name.strip_prefix("venv-").unwrap_or("");
        if !Path::new("/proc").join(pid).exists() || pid.is_empty() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// `python manage.py ARGS` in `project`, with the virtualenv's Python and
/// nothing of this process's database environment.
fn manage_py(project: &Path, args: &[&str]) -> Run {
    let out = Command::new(venv().join("bin/python"))
        .arg("manage.py")
        .args(args)
        .current_dir(project)
        .env_remove("DATABASE_URL")
        .env_remove("DJANGO_SETTINGS_MODULE")
        .env_remove("DRIFTLESS_DEV_URL")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run manage.py");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A user's settings for the story project: `databases` and `driftless`
/// are Python literals (`BASE_DIR` is the folder holding manage.py).
fn write_settings(project: &Path, databases: &str, driftless: &str) {
    let text = format!(
        "from pathlib import Path\n\n\
         BASE_DIR = Path(__file__).resolve().parent.parent\n\
         SECRET_KEY = \"driftless-test-only\"\n\
         DEBUG = False\n\
         USE_TZ = True\n\
         DEFAULT_AUTO_FIELD = \"django.db.models.BigAutoField\"\n\
         INSTALLED_APPS = [\"django.contrib.contenttypes\", \"django.contrib.auth\", \"authentication\", \"driftless_django\"]\n\
         DATABASES = {databases}\n\
         DRIFTLESS = {driftless}\n"
    );
    std::fs::write(project.join("storyproject/settings.py"), text).expect("write settings");
}

/// The story project with its production at `url` drifted (built with the
/// story's own settings), then given a user's settings.
fn drifted_project(url: &str, databases: &str, driftless: &str) -> TempDir {
    let project = framework_project("django-story");
    deploy_story(project.path(), url);
    write_settings(project.path(), databases, driftless);
    project
}

/// A SQLite production in the project's folder, as a user's settings name it.
const SQLITE_PRODUCTION: &str = "{\"default\": {\"ENGINE\": \"django.db.backends.sqlite3\", \"NAME\": BASE_DIR / \"production.sqlite3\"}}";

fn sqlite_url(project: &Path) -> String {
    format!("sqlite:{}", project.join("production.sqlite3").display())
}

/// `check --format json` names the orphan avatar and the missing
/// login_count, exit 1.
fn assert_story_drift(run: &Run) {
    assert_eq!(run.code, Some(1), "{}", run.output());
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    let findings = doc["findings"].as_array().expect("findings");
    let found = |rule: &str, column: &str| {
        findings
            .iter()
            .any(|f| f["rule"] == rule && f["message"].as_str().is_some_and(|m| m.contains(column)))
    };
    assert!(
        found("orphan-column", "authentication_user.avatar"),
        "{doc:#}"
    );
    assert!(
        found("missing-column", "authentication_user.login_count"),
        "{doc:#}"
    );
}

/// Whether `manage.py check --deploy` warns of the last run's drift.
fn deploy_check_warns(project: &Path) -> bool {
    let run = manage_py(project, &["check", "--deploy"]);
    assert_eq!(run.code, Some(0), "{}", run.output());
    run.output().contains("driftless.W001")
}

/// The acceptance: check (exit 1, avatar and login_count), fix --apply,
/// the project's own `migrate`, check again (exit 0); the deploy check
/// warns in between when `deploy_check` is on, never when off. Every run.
fn check_fix_migrate_check(project: &Path, deploy_check: bool) -> Vec<Run> {
    let drifted = manage_py(project, &["driftless", "check", "--format", "json"]);
    assert_story_drift(&drifted);
    assert_eq!(deploy_check_warns(project), deploy_check);
    let fix = manage_py(project, &["driftless", "fix", "--apply"]);
    assert_eq!(fix.code, Some(0), "{}", fix.output());
    let migrate = manage_py(project, &["migrate", "--noinput"]);
    assert_eq!(migrate.code, Some(0), "{}", migrate.output());
    let clean = manage_py(project, &["driftless", "check"]);
    assert_eq!(clean.code, Some(0), "{}", clean.output());
    assert!(!deploy_check_warns(project));
    vec![drifted, fix, migrate, clean]
}

#[tokio::test]
async fn manage_py_driftless_repairs_the_story_on_postgres_without_showing_the_password() {
    let db = TestDb::postgres().await;
    let dev = format!("test_{}", db.name);
    let role = PgRole::owning(&db, &[&dev]).await;
    let databases = format!(
        "{{\"default\": {{\"ENGINE\": \"django.db.backends.postgresql\", \"NAME\": {:?}, \"USER\": {:?}, \"PASSWORD\": {:?}, \"HOST\": {:?}, \"PORT\": {:?}}}}}",
        db.name, role.name, role.password, role.host, role.port
    );
    let project = drifted_project(&role.url, &databases, "{\"DEPLOY_CHECK\": True}");
    let runs = check_fix_migrate_check(project.path(), true);
    let encoded = role
        .url
        .split(['@', ':'])
        .nth(2)
        .unwrap_or_default()
        .to_string();
    for run in &runs {
        let text = run.output();
        assert!(
            !text.contains(&role.password) && !text.contains(&encoded),
            "{text}"
        );
    }
    // The dev database Django made for the runs is gone again.
    let sql = format!("SELECT count(*) FROM pg_database WHERE datname = '{dev}'");
    assert_eq!(scalar(&db.url, &sql).await, Some(0));
}

#[tokio::test]
async fn manage_py_driftless_repairs_the_story_on_sqlite() {
    let project = framework_project("django-story");
    deploy_story(project.path(), &sqlite_url(project.path()));
    write_settings(project.path(), SQLITE_PRODUCTION, "{}");
    check_fix_migrate_check(project.path(), false);
}

#[tokio::test]
async fn database_names_another_alias_and_the_default_is_not_touched() {
    let project = framework_project("django-story");
    deploy_story(project.path(), &sqlite_url(project.path()));
    let databases = "{\"default\": {\"ENGINE\": \"django.db.backends.sqlite3\", \"NAME\": BASE_DIR / \"default.sqlite3\"}, \
                     \"other\": {\"ENGINE\": \"django.db.backends.sqlite3\", \"NAME\": BASE_DIR / \"production.sqlite3\"}}";
    write_settings(project.path(), databases, "{}");
    let run = manage_py(
        project.path(),
        &[
            "driftless",
            "check",
            "--format",
            "json",
            "--database",
            "other",
        ],
    );
    assert_story_drift(&run);
    assert!(!project.path().join("default.sqlite3").exists());
    let missing = manage_py(
        project.path(),
        &["driftless", "--database", "nowhere", "check"],
    );
    assert_eq!(missing.code, Some(2), "{}", missing.output());
    assert!(
        missing
            .stderr
            .contains("no database 'nowhere' in settings.DATABASES (it has 'default', 'other')"),
        "{}",
        missing.stderr
    );
}

/// Oracle and SQL Server aliases (Django loads an alias's engine only when
/// it is used, so no driver is needed here): exit 2 naming the engine.
#[test]
fn an_engine_driftless_does_not_read_is_named_with_exit_2() {
    let project = framework_project("django-story");
    let databases = "{\"default\": {\"ENGINE\": \"django.db.backends.sqlite3\", \"NAME\": BASE_DIR / \"production.sqlite3\"}, \
                     \"reports\": {\"ENGINE\": \"django.db.backends.oracle\", \"NAME\": \"xe\", \"USER\": \"app\", \"PASSWORD\": \"oracle-Secr3t\"}, \
                     \"billing\": {\"ENGINE\": \"mssql\", \"NAME\": \"billing\", \"PASSWORD\": \"mssql-Secr3t\"}}";
    write_settings(project.path(), databases, "{}");
    for (args, engine) in [
        (
            &["driftless", "check", "--database", "reports"][..],
            "'django.db.backends.oracle'",
        ),
        (
            &["driftless", "--database", "billing", "fix", "--apply"][..],
            "'mssql'",
        ),
    ] {
        let run = manage_py(project.path(), args);
        assert_eq!(run.code, Some(2), "{}", run.output());
        let named = format!("uses the engine {engine}, which driftless does not support");
        assert!(run.stderr.contains(&named), "{}", run.stderr);
        assert!(
            !run.stderr.contains("Traceback") && !run.output().contains("Secr3t"),
            "{}",
            run.output()
        );
    }
    assert!(!project.path().join("production.sqlite3").exists());
}

/// A manage.py that sets DJANGO_SETTINGS_MODULE itself would run the
/// migrations on the project's own database: the stepper refuses, and
/// production is left as it was.
#[test]
fn a_manage_py_that_overrides_the_settings_is_refused() {
    let project = framework_project("django-story");
    let url = sqlite_url(project.path());
    deploy_story(project.path(), &url);
    write_settings(project.path(), SQLITE_PRODUCTION, "{}");
    let manage = project.path().join("manage.py");
    let text = std::fs::read_to_string(&manage).expect("read manage.py");
    let forced = text.replace(
        "os.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"storyproject.settings\")",
        "os.environ[\"DJANGO_SETTINGS_MODULE\"] = \"storyproject.settings\"",
    );
    assert_ne!(text, forced);
    std::fs::write(&manage, forced).expect("write manage.py");
    let before = std::fs::read(project.path().join("production.sqlite3")).expect("read db");
    let run = manage_py(project.path(), &["driftless", "check"]);
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(
        run.stderr.contains("sets DJANGO_SETTINGS_MODULE itself"),
        "{}",
        run.stderr
    );
    let after = std::fs::read(project.path().join("production.sqlite3")).expect("read db");
    assert!(before == after, "production changed");
}

#[test]
fn help_says_what_the_project_supplies_and_passes_driftless_help_through() {
    let project = framework_project("django-story");
    write_settings(project.path(), SQLITE_PRODUCTION, "{}");
    let run = manage_py(project.path(), &["driftless", "--help"]);
    assert_eq!(run.code, Some(0), "{}", run.output());
    for needle in [
        "--database",
        "--noinput",
        "DEV_DATABASE",
        "DEPLOY_CHECK",
        "driftless.W001",
        "test_NAME",
        "exit code",
    ] {
        assert!(
            run.stdout.contains(needle),
            "`{needle}` in:\n{}",
            run.stdout
        );
    }
    let run = manage_py(project.path(), &["driftless", "check", "--help"]);
    assert_eq!(run.code, Some(0), "{}", run.output());
    assert!(run.stdout.contains("--fail-on"), "{}", run.stdout);
}

/// The app's own unit tests (`integrations/django/tests`): the mapping of
/// DATABASES entries to URLs and back, run against the installed app.
#[test]
fn the_apps_python_unit_tests_pass() {
    let tests = workspace_root().join("integrations/django/tests");
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = Command::new(venv().join("bin/python"))
        .args(["-m", "unittest", "discover", "-v", "-s"])
        .arg(&tests)
        .current_dir(dir.path())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run python -m unittest");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("\nOK") && !text.contains("skipped"), "{text}");
}

/// The app carries the CLI's version and needs the wheel's distribution;
/// both are installed, and `driftless` is on the virtualenv's path.
#[test]
fn the_app_installs_beside_the_wheel_with_its_version() {
    let out = Command::new(venv().join("bin/python"))
        .args(["-m", "pip", "show", "driftless-django", "driftless-db"])
        .output()
        .expect("run pip show");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    for needle in [
        "Name: driftless-django",
        "Name: driftless-db",
        &format!("Version: {VERSION}\n"),
        "Requires: Django, driftless-db",
    ] {
        assert!(shown.contains(needle), "`{needle}` in:\n{shown}");
    }
    assert_eq!(
        shown.matches(&format!("Version: {VERSION}\n")).count(),
        2,
        "{shown}"
    );
    let version = Command::new(venv().join("bin/driftless"))
        .arg("--version")
        .output()
        .expect("run driftless");
    let printed = String::from_utf8_lossy(&version.stdout);
    assert_eq!(printed.trim(), format!("driftless {VERSION}"));
}

/// `DRIFTLESS_DEV_URL`, how `manage.py driftless` hands over the dev
/// database: used with `--migrations` (here a file in a folder that does
/// not exist, so the run fails naming it), ignored with `--expect`.
#[tokio::test]
async fn the_dev_url_comes_from_the_environment_with_migrations_only() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let dev = format!("sqlite:{}", dir.path().join("nowhere/dev.db").display());
    let db = "sqlite:examples/deploy-story/production.db";
    let migrations = "examples/deploy-story/migrations";
    let stepped = with_dev_url(&dev, &["check", "--db", db, "--migrations", migrations]).await;
    assert_eq!(stepped.code, Some(2), "{}", stepped.output());
    assert!(
        stepped.stderr.contains("nowhere/dev.db"),
        "{}",
        stepped.stderr
    );
    let copy = dir.path().join("expected.db");
    let production = workspace_root().join("examples/deploy-story/production.db");
    std::fs::copy(production, &copy).expect("copy the story's production");
    let expect = format!("sqlite:{}", copy.display());
    let expected = with_dev_url(&dev, &["check", "--db", db, "--expect", &expect]).await;
    assert_eq!(expected.code, Some(0), "{}", expected.output());
}

/// `driftless ARGS` in the workspace with `DRIFTLESS_DEV_URL=dev`.
async fn with_dev_url(dev: &str, args: &[&str]) -> Run {
    let mut c = crate::support::command(args);
    c.env("DRIFTLESS_DEV_URL", dev)
        .current_dir(workspace_root());
    crate::support::finish(c.spawn().expect("start driftless")).await
}
