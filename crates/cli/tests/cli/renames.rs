//! Renames, not quarantine-and-add, on each backend: a column and a table
//! renamed by hand, with rows, are proposed by `check` (human and JSON),
//! quarantined and added by a plan that says why when nothing confirms
//! them, and renamed with their data kept by `fix --apply
//! --accept-renames` or a `[[rename]]` entry; an ambiguous pair is not
//! proposed; a bad `[[rename]]` entry exits 2 naming its line, and one that
//! names no pair is reported.

use driftless_testkit::{Backend, TestDb};
use serde_json::Value;

use crate::documents::json_document;
use crate::support::*;

const EXPECTED: &str = "CREATE TABLE users (id integer PRIMARY KEY, nickname varchar(40));
CREATE TABLE customers (id integer PRIMARY KEY, name varchar(40))";
const ACTUAL: &str = "CREATE TABLE users (id integer PRIMARY KEY, nick varchar(40));
INSERT INTO users (id, nick) VALUES (1, 'ada'), (2, NULL);
CREATE TABLE people (id integer PRIMARY KEY, name varchar(40));
INSERT INTO people (id, name) VALUES (7, 'bob')";

const RENAMES: &str = "[[rename]]
kind = \"column\"
table = \"users\"
from = \"nick\"
to = \"nickname\"

[[rename]]
kind = \"table\"
from = \"people\"
to = \"customers\"
";

async fn pair(backend: Backend) -> (TestDb, TestDb) {
    (
        db_with(backend, EXPECTED).await,
        db_with(backend, ACTUAL).await,
    )
}

/// A `driftless.toml` with `text`, in a folder of its own.
fn config(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("driftless.toml");
    std::fs::write(&path, text).unwrap();
    let path = path.to_string_lossy().into_owned();
    (dir, path)
}

fn findings<'d>(doc: &'d Value, rule: &str) -> Vec<&'d Value> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

/// The data of the renamed column and table is all there.
async fn assert_data_kept(db: &TestDb) {
    let count = |sql: &'static str| scalar(&db.url, sql);
    assert_eq!(
        count("SELECT count(*) FROM users WHERE nickname = 'ada'").await,
        Some(1)
    );
    assert_eq!(count("SELECT count(*) FROM users").await, Some(2));
    assert_eq!(
        count("SELECT count(*) FROM customers WHERE name = 'bob'").await,
        Some(1)
    );
}

async fn proposed_then_accepted(backend: Backend) {
    let (expected, db) = pair(backend).await;
    let run = driftless(&["check", "--db", &db.url, "--expect", &expected.url]).await;
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stdout.contains("possibly renamed") && run.stdout.contains("--accept-renames"),
        "{run:#?}"
    );
    let run = driftless(&[
        "check",
        "--db",
        &db.url,
        "--expect",
        &expected.url,
        "--format",
        "json",
    ])
    .await;
    let doc = json_document(&run.stdout);
    let proposed = findings(&doc, "possible-rename");
    assert_eq!(proposed.len(), 2, "{doc:#}");
    let column = proposed
        .iter()
        .find(|f| f["object"]["kind"] == "column")
        .unwrap();
    assert_eq!(column["object"]["name"], "nickname", "{doc:#}");
    assert_eq!(column["severity"], "info");
    assert!(column["actual"].is_object() && column["expected"].is_object());
    assert!(
        column["hint"]
            .as_str()
            .unwrap()
            .contains("[[rename]] | kind = \"column\" | table = "),
        "{doc:#}"
    );

    // Unconfirmed: quarantined and added, and the steps say why.
    let run = driftless(&[
        "plan",
        "--db",
        &db.url,
        "--expect",
        &expected.url,
        "--format",
        "json",
    ])
    .await;
    assert_eq!(run.code, Some(1), "{run:#?}");
    let plan = json_document(&run.stdout);
    let steps = plan["steps"].as_array().unwrap();
    let step = |action: &str| {
        steps
            .iter()
            .find(|s| s["action"] == action)
            .unwrap_or_else(|| panic!("no {action} step: {plan:#}"))
    };
    for action in [
        "quarantine column",
        "add column",
        "quarantine table",
        "create table",
    ] {
        let reason = step(action)["reason"].as_str().unwrap();
        assert!(
            reason.contains("possibly renamed") && reason.contains("--accept-renames"),
            "{action}: {reason}"
        );
    }
    assert!(!steps.iter().any(|s| s["action"] == "rename column"));

    let run = driftless(&fix_args(&db, &expected, &["--accept-renames"])).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(
        run.stdout.contains("rename column") && run.stdout.contains("rename table"),
        "{run:#?}"
    );
    assert!(!run.stdout.contains("quarantine"), "{run:#?}");
    assert_data_kept(&db).await;
    assert_eq!(check_code(&db, &expected).await, Some(0));
}

async fn confirmed_in_config(backend: Backend) {
    let (expected, db) = pair(backend).await;
    let (_dir, path) = config(RENAMES);
    let run = driftless(&[
        "plan",
        "--db",
        &db.url,
        "--expect",
        &expected.url,
        "--config",
        &path,
        "--format",
        "json",
    ])
    .await;
    assert_eq!(run.code, Some(1), "{run:#?}");
    let plan = json_document(&run.stdout);
    let actions: Vec<&str> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["rename table", "rename column"], "{plan:#}");
    let reason = |i: usize| plan["steps"][i]["reason"].as_str().unwrap();
    assert!(
        reason(0).contains("driftless.toml:7 confirms"),
        "{}",
        reason(0)
    );
    assert!(
        reason(1).contains("driftless.toml:1 confirms"),
        "{}",
        reason(1)
    );

    let mut args = fix_args(&db, &expected, &["--config"]);
    args.push(&path);
    let run = driftless(&args).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_data_kept(&db).await;
    // The entries, applied, stay in the file harmlessly.
    let run = driftless(&[
        "check",
        "--db",
        &db.url,
        "--expect",
        &expected.url,
        "--config",
        &path,
    ])
    .await;
    assert_eq!(run.code, Some(0), "{run:#?}");
}

async fn ambiguous_and_bad_entries(backend: Backend) {
    let expected = db_with(backend, EXPECTED).await;
    let db = db_with(
        backend,
        "CREATE TABLE users (id integer PRIMARY KEY, nick varchar(40), alias varchar(40));
CREATE TABLE customers (id integer PRIMARY KEY, name varchar(40))",
    )
    .await;
    let json = |config: Option<&str>| {
        let mut args = vec![
            "check",
            "--db",
            &db.url,
            "--expect",
            &expected.url,
            "--format",
            "json",
        ];
        if let Some(c) = config {
            args.extend(["--config", c]);
        }
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let args = json(None);
    let run = driftless(&args.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let doc = json_document(&run.stdout);
    assert!(findings(&doc, "possible-rename").is_empty(), "{doc:#}");

    // An entry that names no pair is reported, as a warning.
    let (_dir, path) = config(
        "[[rename]]\nkind = \"column\"\ntable = \"users\"\nfrom = \"nik\"\nto = \"nickname\"\n",
    );
    let args = json(Some(&path));
    let run = driftless(&args.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let doc = json_document(&run.stdout);
    let unmatched = findings(&doc, "possible-rename");
    assert_eq!(unmatched.len(), 1, "{doc:#}");
    assert_eq!(unmatched[0]["severity"], "warning");
    assert!(
        unmatched[0]["message"]
            .as_str()
            .unwrap()
            .contains("names no missing column and orphan column"),
        "{doc:#}"
    );

    // A bad entry: exit 2, naming the file and line, nothing changed.
    let (_dir, path) = config("[[rename]]\nkind = \"colum\"\nfrom = \"a\"\nto = \"b\"\n");
    let run = driftless(&fix_args(&db, &expected, &["--config", &path])).await;
    let line = one_error(&run, &["driftless.toml:2:", "kind"]);
    assert!(line.contains("\"column\" or \"table\""), "{line}");
    let (_dir, path) = config("[[rename]]\nkind = \"table\"\nfrom = \"a\"\nto = \"b\"\nwhy = 1\n");
    let run = driftless(&[
        "check",
        "--db",
        &db.url,
        "--expect",
        &expected.url,
        "--config",
        &path,
    ])
    .await;
    one_error(
        &run,
        &["driftless.toml:5:", "unknown key `why` in [[rename]]"],
    );
    assert_eq!(
        scalar(&db.url, "SELECT count(*) FROM users").await,
        Some(0),
        "nothing changed"
    );
    assert_eq!(check_code(&db, &expected).await, Some(1));
}

#[tokio::test]
async fn renames_proposed_then_accepted_on_sqlite() {
    proposed_then_accepted(Backend::Sqlite).await;
}

#[tokio::test]
async fn renames_proposed_then_accepted_on_postgres() {
    proposed_then_accepted(Backend::Postgres).await;
}

#[tokio::test]
async fn renames_proposed_then_accepted_on_mariadb() {
    proposed_then_accepted(Backend::Mysql).await;
}

#[tokio::test]
async fn renames_confirmed_in_config_on_sqlite() {
    confirmed_in_config(Backend::Sqlite).await;
}

#[tokio::test]
async fn renames_confirmed_in_config_on_postgres() {
    confirmed_in_config(Backend::Postgres).await;
}

#[tokio::test]
async fn renames_confirmed_in_config_on_mariadb() {
    confirmed_in_config(Backend::Mysql).await;
}

#[tokio::test]
async fn renames_ambiguous_and_bad_entries_on_sqlite() {
    ambiguous_and_bad_entries(Backend::Sqlite).await;
}

#[tokio::test]
async fn renames_ambiguous_and_bad_entries_on_postgres() {
    ambiguous_and_bad_entries(Backend::Postgres).await;
}

#[tokio::test]
async fn renames_ambiguous_and_bad_entries_on_mariadb() {
    ambiguous_and_bad_entries(Backend::Mysql).await;
}
