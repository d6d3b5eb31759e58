//! The wheel of `pyproject.toml` (maturin, `bindings = "bin"`): `pip install .`
//! into a fresh virtualenv gives the `driftless` command (`scripts/test-wheel`
//! runs it; `scripts/test` exports its folder), and the wheel file installs
//! without the package index into another fresh virtualenv.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use driftless_testkit::{succeeded, wheel, workspace_root};

use crate::support::fresh_venv;

/// The version every packaging of the CLI carries: the crate's.
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn run(program: &Path, args: &[&str], dir: &Path) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", program.display()))
}

fn ok(program: &Path, args: &[&str], dir: &Path) -> String {
    let mut command = Command::new(program);
    succeeded(
        command
            .args(args)
            .current_dir(dir)
            .env_remove("DATABASE_URL"),
    )
}

fn bin(venv: &Path, name: &str) -> PathBuf {
    venv.join("bin").join(name)
}

#[test]
fn pip_install_of_the_checkout_puts_driftless_on_the_virtualenvs_path() {
    let venv = wheel().join("venv");
    let root = workspace_root();
    let version = ok(&bin(&venv, "driftless"), &["--version"], &root);
    assert_eq!(version.trim(), format!("driftless {VERSION}"));
    let shown = ok(
        &bin(&venv, "python"),
        &["-m", "pip", "show", "driftless-db"],
        &root,
    );
    assert!(shown.contains("Name: driftless-db"), "{shown}");
    assert!(shown.contains(&format!("Version: {VERSION}")), "{shown}");

    // The installed command does the README's first job: the story's drift, exit 1.
    let out = run(
        &bin(&venv, "driftless"),
        &[
            "check",
            "--db",
            "sqlite:examples/deploy-story/production.db",
            "--migrations",
            "examples/deploy-story/migrations",
        ],
        &root,
    );
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(
        report.contains("authentication_user.avatar exists but is not expected"),
        "{report}"
    );
    assert!(
        report.contains("authentication_user.login_count is missing"),
        "{report}"
    );
}

#[test]
fn the_wheel_installs_without_the_index_and_uninstalls_cleanly() {
    let wheelhouse = wheel().join("wheelhouse");
    let wheels: Vec<_> = std::fs::read_dir(&wheelhouse)
        .expect("wheelhouse")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        wheels.len() == 1 && wheels[0].starts_with(&format!("driftless_db-{VERSION}-")),
        "one driftless_db wheel of version {VERSION} expected: {wheels:?}"
    );
    let dir = tempfile::tempdir().expect("temporary folder");
    let venv = dir.path().join("venv");
    fresh_venv(&venv);
    let links = wheelhouse.display().to_string();
    let pip = [
        "-m",
        "pip",
        "install",
        "-q",
        "--no-index",
        "--find-links",
        &links,
        "driftless-db",
    ];
    ok(&bin(&venv, "python"), &pip, dir.path());
    let version = ok(&bin(&venv, "driftless"), &["--version"], dir.path());
    assert_eq!(version.trim(), format!("driftless {VERSION}"));
    let uninstall = ["-m", "pip", "uninstall", "-y", "-q", "driftless-db"];
    ok(&bin(&venv, "python"), &uninstall, dir.path());
    assert!(
        !bin(&venv, "driftless").exists(),
        "pip uninstall left the command behind"
    );
}
