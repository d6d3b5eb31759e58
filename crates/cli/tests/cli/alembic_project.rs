//! An Alembic project named any way Alembic users name it: `--migrations`
//! the `script_location` folder, the folder of `alembic.ini`, or the file;
//! a broken `alembic.ini`; and the upgrade hook of
//! `examples/recipes/alembic`, run by the real `alembic upgrade head`.

use std::path::{Path, PathBuf};
use std::process::Output;

use driftless_testkit::{framework_project, python, python_ok, workspace_copy};

use crate::support::{command, finish, one_error, Run};

/// The alembic story rearranged as projects usually are: the revisions and
/// `env.py` in `db_revisions/`, which `alembic.ini` names.
fn rearranged_story() -> tempfile::TempDir {
    let project = framework_project("alembic-story");
    let root = project.path();
    let scripts = root.join("db_revisions");
    std::fs::create_dir(&scripts).unwrap();
    for entry in ["env.py", "script.py.mako", "versions"] {
        std::fs::rename(root.join(entry), scripts.join(entry)).unwrap();
    }
    std::fs::write(
        root.join("alembic.ini"),
        "[alembic]\n# where the revisions are\nscript_location = %(here)s/db_revisions\npath_separator = os\n",
    )
    .unwrap();
    project
}

/// Runs `driftless ARGS` in `dir`.
async fn driftless_in(dir: &Path, args: &[&str]) -> Run {
    let mut c = command(args);
    c.current_dir(dir);
    finish(c.spawn().unwrap()).await
}

/// The ids `migrations --format json` lists.
fn ids(run: &Run) -> Vec<String> {
    let doc = crate::documents::json_document(&run.stdout);
    doc["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_script_location_the_project_folder_and_alembic_ini_all_find_the_revisions() {
    let project = rearranged_story();
    let root = project.path();
    let url = format!("sqlite:///{}", root.join("app.db").display());
    python_ok(root, &url, &["-m", "alembic", "upgrade", "head"]);
    let mut seen = Vec::new();
    for dir in ["db_revisions", "db_revisions/", ".", "alembic.ini"] {
        let args = [
            "migrations",
            "--db",
            &url,
            "--migrations",
            dir,
            "--format",
            "json",
        ];
        let run = driftless_in(root, &args).await;
        assert_eq!(run.code, Some(0), "{dir}: {run:#?}");
        seen.push(ids(&run));
    }
    assert_eq!(seen[0].len(), 5, "{seen:?}");
    assert!(seen.iter().all(|s| *s == seen[0]), "{seen:?}");
    // The stepper finds the project from each, runs its revisions and finds
    // the database as they leave it.
    let py = python();
    for dir in [".", "alembic.ini", "db_revisions"] {
        let args = ["check", "--db", &url, "--migrations", dir, "--python", &py];
        let run = driftless_in(root, &args).await;
        assert_eq!(run.code, Some(0), "{dir}: {run:#?}");
        assert!(run.stdout.contains("No drift"), "{dir}: {run:#?}");
    }
}

#[tokio::test]
async fn a_broken_alembic_ini_names_the_file_and_the_line() {
    let project = rearranged_story();
    let root = project.path();
    let url = format!("sqlite:///{}", root.join("app.db").display());
    python_ok(root, &url, &["-m", "alembic", "upgrade", "head"]);
    let ini = root.join("alembic.ini");
    let cases: [(&str, &[&str]); 3] = [
        (
            "[alembic]\nsqlalchemy.url = sqlite://\n",
            &["alembic.ini:1:", "no `script_location`"],
        ),
        (
            "[alembic]\n\nscript_location = %(here)s/gone\n",
            &["alembic.ini:3:", "gone` is not a folder"],
        ),
        (
            "[alembic]\nscript_location = myapp:migrations\n",
            &["alembic.ini:2:", "names a Python package"],
        ),
    ];
    for (text, needles) in cases {
        std::fs::write(&ini, text).unwrap();
        for dir in [".", "alembic.ini"] {
            let run = driftless_in(root, &["check", "--db", &url, "--migrations", dir]).await;
            one_error(&run, needles);
            let args = ["migrations", "--db", &url, "--migrations", dir];
            one_error(&driftless_in(root, &args).await, needles);
        }
    }
}

/// The example project of `examples/recipes/alembic`, copied.
fn recipe() -> tempfile::TempDir {
    workspace_copy("examples/recipes/alembic")
}

/// `alembic ARGS` (the test environment's) in `project` on `url`, with the
/// driftless check of `env.py` on when `check`; asserts its exit code and
/// returns its stdout.
fn alembic(project: &Path, url: &str, args: &[&str], check: bool, code: i32) -> String {
    let bin = PathBuf::from(python()).with_file_name("alembic");
    let mut c = std::process::Command::new(bin);
    c.args(args)
        .current_dir(project)
        .env("DATABASE_URL", url)
        .env("DRIFTLESS", crate::support::BIN)
        .env("NO_COLOR", "1")
        .env_remove("DRIFTLESS_LOG");
    if check {
        c.env("DRIFTLESS_CHECK", "1");
    }
    let out: Output = c.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "alembic {args:?}:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test]
async fn the_upgrade_hook_fails_the_upgrade_on_drift_and_passes_a_clean_database() {
    let project = recipe();
    let root = project.path();
    let clean = format!("sqlite:///{}", root.join("clean.db").display());
    let stdout = alembic(root, &clean, &["upgrade", "head"], true, 0);
    assert!(stdout.contains("No drift"), "{stdout}");

    // Production grew a column by hand after the first revision.
    let prod = format!("sqlite:///{}", root.join("prod.db").display());
    alembic(root, &prod, &["upgrade", "0a1b2c3d4e5f"], false, 0);
    let add = "import os, sqlalchemy as sa\nwith sa.create_engine(os.environ['DATABASE_URL']).begin() as c:\n    c.execute(sa.text('ALTER TABLE account ADD COLUMN avatar varchar(255)'))";
    python_ok(root, &prod, &["-c", add]);
    let stdout = alembic(root, &prod, &["upgrade", "head"], true, 1);
    for needle in [
        "orphan-column",
        "main.account.avatar",
        "at or above warning: drift",
    ] {
        assert!(stdout.contains(needle), "`{needle}` in:\n{stdout}");
    }
    // Without the flag the hook stays out of the way.
    let stdout = alembic(root, &prod, &["upgrade", "head"], false, 0);
    assert_eq!(stdout, "");
}
