//! The deploy story of `examples/deploy-story`: the committed
//! `production.db` is what `production.sql` builds, and the README's first
//! command reports exactly the story's drift.
//!
//! `DRIFTLESS_BLESS=1 cargo test -p driftless --test cli examples::` rebuilds
//! `production.db` from `production.sql`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

use driftless_introspect::{ConnectOptions, Database, DbUrl, IntrospectOptions, Row};
use driftless_model::Snapshot;
use serde_json::Value;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn story() -> PathBuf {
    workspace().join("examples/deploy-story")
}

/// Builds a database from `production.sql` at `path`.
async fn build(path: &Path) {
    let sql = std::fs::read_to_string(story().join("production.sql")).unwrap();
    let url = DbUrl::parse(&format!("sqlite:{}", path.display())).unwrap();
    let mut db = Database::connect(
        &url,
        &ConnectOptions::default().with_create_if_missing(true),
    )
    .await
    .unwrap();
    db.execute(&sql, "building the story's production database")
        .await
        .unwrap();
    db.execute("VACUUM", "compacting").await.unwrap();
    db.close().await.unwrap();
}

/// The schema and every row of every table, ordered.
async fn contents(path: &Path) -> (Snapshot, Vec<(String, Vec<Row>)>) {
    let url = DbUrl::parse(&format!("sqlite:{}", path.display())).unwrap();
    let mut options = IntrospectOptions::default();
    options.include_ledger_tables = true;
    let mut db = Database::connect(&url, &ConnectOptions::read_only())
        .await
        .unwrap();
    let snapshot = db.snapshot(&options).await.unwrap();
    let mut rows = Vec::new();
    for (_, table, _) in snapshot.tables() {
        let data = db
            .query(
                &format!("SELECT * FROM \"{table}\" ORDER BY 1"),
                "reading rows",
            )
            .await
            .unwrap();
        rows.push((table.to_string(), data));
    }
    db.close().await.unwrap();
    (snapshot, rows)
}

#[tokio::test]
async fn production_db_is_built_from_production_sql() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("production.db");
    build(&fresh).await;
    let committed = story().join("production.db");
    if driftless_testkit::bless() {
        std::fs::copy(&fresh, &committed).unwrap();
    }
    let (want_schema, want_rows) = contents(&fresh).await;
    let (have_schema, have_rows) = contents(&committed).await;
    assert_eq!(
        have_schema, want_schema,
        "examples/deploy-story/production.db is stale: rebuild it with DRIFTLESS_BLESS=1 cargo test -p driftless --test cli examples::"
    );
    assert_eq!(
        have_rows, want_rows,
        "production.db's rows differ from production.sql's"
    );
    assert!(want_rows
        .iter()
        .any(|(t, rows)| t == "_sqlx_migrations" && rows.len() == 5));
}

/// The README's first command, as written there.
fn readme_first_command() -> Vec<String> {
    let readme = std::fs::read_to_string(workspace().join("README.md")).unwrap();
    let line = readme
        .lines()
        .find(|l| l.starts_with("cargo run -q -p driftless -- "))
        .expect("the README's first command");
    line.trim_start_matches("cargo run -q -p driftless -- ")
        .split_whitespace()
        .map(String::from)
        .collect()
}

#[test]
fn readme_first_command_reports_the_story() {
    let mut args = readme_first_command();
    assert_eq!(args[0], "check", "{args:?}");
    args.extend(["--format".to_string(), "json".to_string()]);
    let out = Command::new(env!("CARGO_BIN_EXE_driftless"))
        .args(&args)
        .current_dir(workspace())
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = crate::documents::json_document(&stdout);
    let mut found: Vec<(String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let o = &f["object"];
            let path: Vec<&str> = ["schema", "table", "name"]
                .iter()
                .filter_map(|k| o[*k].as_str())
                .filter(|s| !s.is_empty())
                .collect();
            (f["rule"].as_str().unwrap().to_string(), path.join("."))
        })
        .collect();
    found.sort();
    let mut want: Vec<(String, String)> = [
        // The story: a column production grew by hand, one it lost.
        ("missing-column", "main.authentication_user.login_count"),
        ("orphan-column", "main.authentication_user.avatar"),
        // ... while the ledger says 0005 (and 0003) ran.
        ("ledger-effect-missing", "3"),
        ("ledger-effect-missing", "5"),
        // Planted besides.
        ("missing-index", "main.blog_post.blog_post_published_at_idx"),
        ("nullability-mismatch", "main.blog_post.title"),
    ]
    .iter()
    .map(|(r, p)| (r.to_string(), p.to_string()))
    .collect();
    want.sort();
    assert_eq!(found, want, "{stdout}");
}

#[test]
fn readme_first_command_in_human_form() {
    let out = Command::new(env!("CARGO_BIN_EXE_driftless"))
        .args(readme_first_command())
        .current_dir(workspace())
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("main.authentication_user\n"), "{stdout}");
    assert!(
        stdout.contains("login_count") && stdout.contains("avatar"),
        "{stdout}"
    );
    assert!(
        stdout.lines().last().unwrap().starts_with("6 findings"),
        "{stdout}"
    );
}
