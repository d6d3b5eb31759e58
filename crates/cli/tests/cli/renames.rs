//! Renames, not quarantine-and-add, on each backend: a column and a table
//! renamed by hand, with rows, are proposed by `check` (human and JSON),
//! quarantined and added by a plan that says why when nothing confirms
//! them, and renamed with their data kept by `fix --apply
//! --accept-renames` or a `[[rename]]` entry; an ambiguous pair is not
//! proposed; a bad `[[rename]]` entry exits 2 naming its line, and one that
//! names no pair is reported.
//!
//! Indexes and constraints the same: one expected under another name is
//! reported missing and orphan (the check fails: migrations address them
//! by name), paired as a possible rename, dropped and built again
//! unconfirmed, and renamed in place when confirmed (dropped and added
//! where the server cannot rename it: MariaDB's foreign keys and checks,
//! SQLite's constraints).

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

/// `driftless COMMAND --db DB --expect EXPECTED --format json` and
/// `extra`: the run and its JSON document.
async fn json_run(command: &str, db: &TestDb, expected: &TestDb, extra: &[&str]) -> (Run, Value) {
    let mut args = vec![
        command,
        "--db",
        &db.url,
        "--expect",
        &expected.url,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let run = driftless(&args).await;
    let doc = json_document(&run.stdout);
    (run, doc)
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
    let (_, doc) = json_run("check", &db, &expected, &[]).await;
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
    let (run, plan) = json_run("plan", &db, &expected, &[]).await;
    assert_eq!(run.code, Some(1), "{run:#?}");
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
    let (run, plan) = json_run("plan", &db, &expected, &["--config", &path]).await;
    assert_eq!(run.code, Some(1), "{run:#?}");
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

    fixed_with_config(&db, &expected, &path).await;
    assert_data_kept(&db).await;
}

/// `fix --apply --config PATH` converges, and `check --config PATH` then
/// finds nothing: the entries, applied, stay in the file harmlessly.
async fn fixed_with_config(db: &TestDb, expected: &TestDb, path: &str) {
    let run = driftless(&fix_args(db, expected, &["--config", path])).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    let run = driftless(&[
        "check",
        "--db",
        &db.url,
        "--expect",
        &expected.url,
        "--config",
        path,
    ])
    .await;
    assert_eq!(run.code, Some(0), "applied entries are harmless: {run:#?}");
}

async fn ambiguous_and_bad_entries(backend: Backend) {
    let expected = db_with(backend, EXPECTED).await;
    let db = db_with(
        backend,
        "CREATE TABLE users (id integer PRIMARY KEY, nick varchar(40), alias varchar(40));
CREATE TABLE customers (id integer PRIMARY KEY, name varchar(40))",
    )
    .await;
    let (_, doc) = json_run("check", &db, &expected, &[]).await;
    assert!(findings(&doc, "possible-rename").is_empty(), "{doc:#}");

    // An entry that names no pair is reported, as a warning.
    let (_dir, path) = config(
        "[[rename]]\nkind = \"column\"\ntable = \"users\"\nfrom = \"nik\"\nto = \"nickname\"\n",
    );
    let (_, doc) = json_run("check", &db, &expected, &["--config", &path]).await;
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
    assert!(
        line.contains("\"column\", \"table\", \"index\" or \"constraint\""),
        "{line}"
    );
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

const EXPECTED_PARTS: &str = "CREATE TABLE authors (id integer PRIMARY KEY, email varchar(80));
CREATE INDEX authors_email_idx ON authors (email);
CREATE TABLE books (id integer PRIMARY KEY, author_id integer, title varchar(80),
  CONSTRAINT books_title_key UNIQUE (title),
  CONSTRAINT books_author_fk FOREIGN KEY (author_id) REFERENCES authors (id),
  CONSTRAINT books_title_check CHECK (title <> ''))";
const ACTUAL_PARTS: &str = "CREATE TABLE authors (id integer PRIMARY KEY, email varchar(80));
CREATE INDEX email_idx ON authors (email);
CREATE TABLE books (id integer PRIMARY KEY, author_id integer, title varchar(80),
  CONSTRAINT uq_title UNIQUE (title),
  CONSTRAINT fk_author FOREIGN KEY (author_id) REFERENCES authors (id),
  CONSTRAINT ck_title CHECK (title <> ''));
INSERT INTO authors (id, email) VALUES (1, 'ann@example.com');
INSERT INTO books (id, author_id, title) VALUES (1, 1, 'Dune')";

/// The rows are still there, and the database has the expected names.
async fn assert_parts_converged(db: &TestDb, expected: &TestDb) {
    assert_eq!(scalar(&db.url, "SELECT count(*) FROM books").await, Some(1));
    assert_eq!(
        scalar(&db.url, "SELECT count(*) FROM authors").await,
        Some(1)
    );
    assert_eq!(check_code(db, expected).await, Some(0));
}

async fn part_renames_proposed_then_accepted(backend: Backend) {
    let expected = db_with(backend, EXPECTED_PARTS).await;
    let db = db_with(backend, ACTUAL_PARTS).await;
    let run = driftless(&["check", "--db", &db.url, "--expect", &expected.url]).await;
    assert_eq!(
        run.code,
        Some(1),
        "the name drift fails the check: {run:#?}"
    );
    assert!(run.stdout.contains("possibly renamed"), "{run:#?}");
    let (_, doc) = json_run("check", &db, &expected, &[]).await;
    let named = |rule: &str, name: &str| {
        findings(&doc, rule)
            .into_iter()
            .find(|f| f["object"]["name"] == name)
            .unwrap_or_else(|| panic!("no {rule} for {name}: {doc:#}"))
    };
    named("missing-index", "authors_email_idx");
    named("orphan-index", "email_idx");
    let index = named("possible-rename", "authors_email_idx");
    assert_eq!(index["object"]["kind"], "index");
    assert!(
        index["hint"]
            .as_str()
            .unwrap()
            .contains("kind = \"index\" | table = "),
        "{doc:#}"
    );
    // On MariaDB the foreign key's index has its name too.
    let fk = findings(&doc, "possible-rename")
        .into_iter()
        .find(|f| f["object"]["kind"] == "foreign_key")
        .and_then(|f| f["message"].as_str())
        .unwrap_or_else(|| panic!("no foreign key rename: {doc:#}"));
    let in_place = backend == Backend::Postgres;
    assert_eq!(
        fk.contains("cannot rename a foreign key, so fk_author is dropped and books_author_fk added, confirmed or not"),
        !in_place,
        "{fk}"
    );

    // Unconfirmed: dropped and built again, and the steps say why.
    let (run, plan) = json_run("plan", &db, &expected, &[]).await;
    assert_eq!(run.code, Some(1), "{run:#?}");
    let steps = plan["steps"].as_array().unwrap();
    for action in ["drop index", "create index"] {
        let step = steps
            .iter()
            .find(|s| s["action"] == action && s["reason"].as_str().unwrap().contains("email"))
            .unwrap_or_else(|| panic!("no {action} step: {plan:#}"));
        let reason = step["reason"].as_str().unwrap();
        assert!(reason.contains("possibly renamed"), "{action}: {reason}");
    }

    let run = driftless(&fix_args(&db, &expected, &["--accept-renames"])).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(run.stdout.contains("rename index"), "{run:#?}");
    assert_eq!(
        run.stdout.contains("rename constraint"),
        backend != Backend::Sqlite,
        "{run:#?}"
    );
    assert!(!run.stdout.contains("create index"), "{run:#?}");
    assert_parts_converged(&db, &expected).await;
}

async fn part_renames_confirmed_in_config(backend: Backend) {
    let expected = db_with(backend, EXPECTED_PARTS).await;
    let db = db_with(backend, ACTUAL_PARTS).await;
    let (_dir, path) = config(
        "[[rename]]
kind = \"index\"
table = \"authors\"
from = \"email_idx\"
to = \"authors_email_idx\"

[[rename]]
kind = \"constraint\"
table = \"books\"
from = \"fk_author\"
to = \"books_author_fk\"
",
    );
    let (run, plan) = json_run("plan", &db, &expected, &["--config", &path]).await;
    assert_eq!(run.code, Some(1), "{run:#?}");
    let step = &plan["steps"][0];
    assert_eq!(step["action"], "rename index", "{plan:#}");
    assert!(
        step["reason"]
            .as_str()
            .unwrap()
            .contains("driftless.toml:1 confirms"),
        "{plan:#}"
    );
    let renamed_fk = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["action"] == "rename constraint");
    assert_eq!(renamed_fk, backend == Backend::Postgres, "{plan:#}");

    fixed_with_config(&db, &expected, &path).await;
    assert_parts_converged(&db, &expected).await;
}

/// An index of another definition under another name is no rename; the
/// same names find nothing.
async fn parts_of_other_definitions_are_no_renames(backend: Backend) {
    let expected = db_with(backend, EXPECTED_PARTS).await;
    let db = db_with(
        backend,
        &EXPECTED_PARTS.replace(
            "CREATE INDEX authors_email_idx ON authors (email)",
            "CREATE INDEX email_idx ON authors (id, email)",
        ),
    )
    .await;
    let (run, doc) = json_run("check", &db, &expected, &[]).await;
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(findings(&doc, "possible-rename").is_empty(), "{doc:#}");
    assert_eq!(findings(&doc, "missing-index").len(), 1, "{doc:#}");
    assert_eq!(findings(&doc, "orphan-index").len(), 1, "{doc:#}");
    let same = db_with(backend, EXPECTED_PARTS).await;
    let (run, doc) = json_run("check", &same, &expected, &[]).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(findings(&doc, "possible-rename").is_empty(), "{doc:#}");
}

#[tokio::test]
async fn index_and_constraint_renames_proposed_then_accepted_on_sqlite() {
    part_renames_proposed_then_accepted(Backend::Sqlite).await;
}

#[tokio::test]
async fn index_and_constraint_renames_proposed_then_accepted_on_postgres() {
    part_renames_proposed_then_accepted(Backend::Postgres).await;
}

#[tokio::test]
async fn index_and_constraint_renames_proposed_then_accepted_on_mariadb() {
    part_renames_proposed_then_accepted(Backend::Mysql).await;
}

#[tokio::test]
async fn index_and_constraint_renames_confirmed_in_config_on_sqlite() {
    part_renames_confirmed_in_config(Backend::Sqlite).await;
}

#[tokio::test]
async fn index_and_constraint_renames_confirmed_in_config_on_postgres() {
    part_renames_confirmed_in_config(Backend::Postgres).await;
}

#[tokio::test]
async fn index_and_constraint_renames_confirmed_in_config_on_mariadb() {
    part_renames_confirmed_in_config(Backend::Mysql).await;
}

#[tokio::test]
async fn parts_of_other_definitions_are_no_renames_on_sqlite() {
    parts_of_other_definitions_are_no_renames(Backend::Sqlite).await;
}

#[tokio::test]
async fn parts_of_other_definitions_are_no_renames_on_postgres() {
    parts_of_other_definitions_are_no_renames(Backend::Postgres).await;
}

#[tokio::test]
async fn parts_of_other_definitions_are_no_renames_on_mariadb() {
    parts_of_other_definitions_are_no_renames(Backend::Mysql).await;
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
