//! A repair committed as history: `plan --format migration` writes a
//! Django migration or an Alembic revision into the real project; the
//! framework's own `migrate` / `upgrade head` applies it to the drifted
//! database, which then checks clean against the folder (the new file
//! included), and replays on a database that never drifted.

use driftless_testkit::{python, TestDb};

use crate::support::{driftless, manage, run_python, scalar};

/// Runs `args` with Python in `project` against `url`; panics on failure.
fn python_in(project: &std::path::Path, url: &str, args: &[&str]) {
    let out = run_python(project, url, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `command` on `url` against the project's migrations, stepped by
/// the framework's Python into `dev`, with `extra` arguments.
async fn against_project(
    command: &str,
    url: &str,
    dev: &str,
    project: &str,
    extra: &[&str],
) -> crate::support::Run {
    let py = python();
    let mut args = vec![
        command,
        "--db",
        url,
        "--migrations",
        project,
        "--python",
        &py,
        "--dev-url",
        dev,
    ];
    args.extend_from_slice(extra);
    driftless(&args).await
}

/// `plan --format migration` into `out`: the one file written.
async fn written_migration(url: &str, dev: &str, project: &str, out: &str) -> std::path::PathBuf {
    let extra = ["--format", "migration", "--out", out];
    let run = against_project("plan", url, dev, project, &extra).await;
    // 1: there was drift to plan for.
    assert_eq!(run.code, Some(1), "{}", run.output());
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("wrote "))
        .unwrap_or_else(|| panic!("no file written:\n{}", run.output()));
    std::path::PathBuf::from(line.trim_start_matches("wrote ").trim())
}

async fn check_code(url: &str, dev: &str, project: &str) -> (Option<i32>, String) {
    let run = against_project("check", url, dev, project, &[]).await;
    (run.code, run.output())
}

#[tokio::test]
async fn a_django_migration_of_the_repair_is_applied_by_migrate_and_replays_where_nothing_drifted()
{
    let project = driftless_testkit::framework_project("django-story");
    let (prod, dev, fresh) = (
        TestDb::postgres().await,
        TestDb::postgres().await,
        TestDb::postgres().await,
    );
    manage(project.path(), &prod.url, &["migrate", "-v0"]);
    prod.exec(
        "ALTER TABLE authentication_user ADD COLUMN nickname varchar(40);
         UPDATE authentication_user SET nickname = 'x';
         INSERT INTO authentication_user (username, email, login_count, date_joined, nickname)
           VALUES ('ann', 'ann@example.com', 0, now(), 'annie');
         DROP INDEX auth_user_login_count_idx;",
    )
    .await;
    let dir = project.path().display().to_string();
    let folder = project
        .path()
        .join("authentication/migrations")
        .display()
        .to_string();
    let file = written_migration(&prod.url, &dev.url, &dir, &folder).await;
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        file.ends_with("0007_driftless_fix.py"),
        "{}",
        file.display()
    );
    assert!(
        text.contains("(\"authentication\", \"0006_user_auth_user_login_count_idx\")"),
        "{text}"
    );
    // Django applies it, and records it in its ledger.
    manage(project.path(), &prod.url, &["migrate", "-v0"]);
    assert_eq!(
        scalar(
            &prod.url,
            "SELECT count(*) FROM django_migrations WHERE name = '0007_driftless_fix'"
        )
        .await,
        Some(1)
    );
    let (code, out) = check_code(&prod.url, &dev.url, &dir).await;
    assert_eq!(code, Some(0), "{out}");
    // The nickname values wait in quarantine.
    let run = driftless(&["quarantine", "list", "--db", &prod.url, "--format", "json"]).await;
    assert!(
        run.stdout.contains("authentication_user.nickname"),
        "{}",
        run.output()
    );
    // A database that never drifted takes the whole history, the repair included.
    manage(project.path(), &fresh.url, &["migrate", "-v0"]);
    let (code, out) = check_code(&fresh.url, &dev.url, &dir).await;
    assert_eq!(code, Some(0), "{out}");
}

#[tokio::test]
async fn an_alembic_revision_of_the_repair_is_applied_by_upgrade_head_and_replays_where_nothing_drifted(
) {
    let project = driftless_testkit::framework_project("alembic-story");
    let (prod, dev, fresh) = (
        TestDb::postgres().await,
        TestDb::postgres().await,
        TestDb::postgres().await,
    );
    python_in(
        project.path(),
        &prod.url,
        &["-m", "alembic", "upgrade", "head"],
    );
    prod.exec(
        "DROP INDEX invoice_account_idx;
         ALTER TABLE account ADD COLUMN legacy_code text;",
    )
    .await;
    let dir = project.path().display().to_string();
    let file = written_migration(&prod.url, &dev.url, &dir, &dir).await;
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        file.parent().unwrap().ends_with("versions"),
        "{}",
        file.display()
    );
    assert!(text.contains("down_revision = \"f1e2d3c4b5a6\""), "{text}");
    python_in(
        project.path(),
        &prod.url,
        &["-m", "alembic", "upgrade", "head"],
    );
    let (code, out) = check_code(&prod.url, &dev.url, &dir).await;
    assert_eq!(code, Some(0), "{out}");
    python_in(
        project.path(),
        &fresh.url,
        &["-m", "alembic", "upgrade", "head"],
    );
    let (code, out) = check_code(&fresh.url, &dev.url, &dir).await;
    assert_eq!(code, Some(0), "{out}");
    // The revision is the head now: Alembic agrees nothing is pending.
    let out = run_python(project.path(), &prod.url, &["-m", "alembic", "current"]);
    let current = String::from_utf8_lossy(&out.stdout);
    let id = file
        .file_name()
        .unwrap()
        .to_string_lossy()
        .split('_')
        .next()
        .unwrap()
        .to_string();
    assert!(
        current.contains(&id) && current.contains("(head)"),
        "{current}"
    );
}
