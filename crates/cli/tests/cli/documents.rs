//! The documents the binary writes for machines and for people: every JSON
//! document validated against the published JSON Schema its `$schema` key
//! names (`crates/cli/schema/`), every Markdown report checked for well
//! formed tables, fences and collapsible blocks. The other test modules
//! read JSON output through [`json_document`], so every command and JSON
//! format they run is validated; the tests here run each command once in
//! each machine format on SQLite.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use driftless_testkit::TestDb;
use serde_json::Value;

use crate::support::{driftless, Run};

/// The published schemas, by `$id`.
fn schemas() -> BTreeMap<String, Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let schema: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let id = schema["$id"].as_str().unwrap().to_string();
        out.insert(id, schema);
    }
    out
}

/// Asserts that `doc` is valid against the published schema `id` (its
/// references to the other published schemas resolved locally).
pub fn assert_valid(doc: &Value, id: &str) {
    let schemas = schemas();
    let schema = schemas
        .get(id)
        .unwrap_or_else(|| panic!("no published schema {id}"));
    let mut registry = jsonschema::Registry::new();
    for (uri, s) in &schemas {
        registry = registry.add(uri, s.clone()).unwrap();
    }
    let registry = registry.prepare().unwrap();
    let validator = jsonschema::options()
        .with_registry(&registry)
        .build(schema)
        .unwrap_or_else(|e| panic!("schema {id}: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not valid against {id}:\n{}\n{doc:#}",
        errors.join("\n")
    );
}

/// The JSON document `stdout` holds, validated against the published
/// schema its `$schema` key names.
pub fn json_document(stdout: &str) -> Value {
    let doc: Value = serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{stdout}"));
    let id = doc["$schema"]
        .as_str()
        .unwrap_or_else(|| panic!("no $schema key:\n{stdout}"))
        .to_string();
    assert_valid(&doc, &id);
    doc
}

/// Validates a snapshot document (it carries no `$schema`, see
/// `driftless schema snapshot`).
pub fn snapshot_document(text: &str) -> Value {
    let doc: Value = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{text}"));
    assert_eq!(doc.get("$schema"), None, "a snapshot is read strictly");
    assert_valid(&doc, "https://driftless.dev/schema/snapshot/v1.json");
    doc
}

/// Checks the output of a run in `format`: a JSON document against its
/// schema, Markdown for its form; other formats pass. Runs that failed
/// with exit 2 print nothing to check.
pub fn check_output(format: &str, run_code: Option<i32>, stdout: &str) {
    if run_code == Some(2) {
        return;
    }
    match format {
        "json" => {
            json_document(stdout);
        }
        "markdown" => assert_markdown(stdout),
        _ => {}
    }
}

/// The number of cells of a table row: `|`s not escaped, less one.
fn cells(line: &str) -> usize {
    let mut count = 0usize;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => count += 1,
            _ => escaped = false,
        }
        if c != '\\' {
            escaped = false;
        }
    }
    count.saturating_sub(1)
}

/// `line` without its inline code spans (a run of backticks up to the
/// next run of as many; `\`` is no delimiter).
fn outside_code(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let run_at = |i: usize| chars[i..].iter().take_while(|c| **c == '`').count();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                out.extend(chars.get(i..i + 2).unwrap_or(&chars[i..]));
                i += 2;
            }
            '`' => {
                let n = run_at(i);
                let mut j = i + n;
                while j < chars.len() && !(chars[j] == '`' && run_at(j) == n) {
                    j += if chars[j] == '`' { run_at(j) } else { 1 };
                }
                assert!(j < chars.len(), "unclosed code span: {line:?}");
                i = j + n;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// The HTML a report may hold outside code: line breaks and the
/// collapsible block.
const TAGS: &[&str] = &["<br>", "<details>", "</details>", "<summary>", "</summary>"];

/// Asserts that `text` is well-formed Markdown as driftless writes it:
/// every table row has as many cells as its header, under a delimiter
/// row; code fences close; `<details>` blocks balance, each with a summary
/// followed by a blank line; no other HTML outside code.
pub fn assert_markdown(text: &str) {
    assert!(text.starts_with("## driftless "), "a title first:\n{text}");
    assert!(text.ends_with('\n') && !text.ends_with("\n\n"), "{text:?}");
    let lines: Vec<&str> = text.lines().collect();
    let mut fence: Option<usize> = None;
    let mut open_details = 0usize;
    let mut table: Option<usize> = None;
    for (i, line) in lines.iter().enumerate() {
        let at = || format!("line {}: {line:?}\n{text}", i + 1);
        let ticks = line.chars().take_while(|c| *c == '`').count();
        if let Some(n) = fence {
            if ticks >= n && line.trim_end().len() == ticks {
                fence = None;
            }
            continue;
        }
        if ticks >= 3 {
            fence = Some(ticks);
            table = None;
            continue;
        }
        if line.starts_with('|') {
            assert!(line.ends_with('|'), "{}", at());
            match table {
                None => {
                    table = Some(cells(line));
                    let next = lines.get(i + 1).copied().unwrap_or("");
                    assert!(next.starts_with("| ---"), "delimiter row: {}", at());
                }
                Some(n) => assert_eq!(cells(line), n, "cells per row: {}", at()),
            }
        } else {
            table = None;
        }
        if line.starts_with("<details>") {
            open_details += 1;
            assert!(
                line.starts_with("<details><summary>") && line.ends_with("</summary>"),
                "{}",
                at()
            );
            assert_eq!(lines.get(i + 1).copied(), Some(""), "{}", at());
        }
        if line.starts_with("</details>") {
            assert!(open_details > 0, "unbalanced: {}", at());
            open_details -= 1;
        }
        let outside = outside_code(line);
        let mut rest = outside.as_str();
        while let Some(p) = rest.find('<') {
            rest = &rest[p..];
            let tag = TAGS.iter().find(|t| rest.starts_with(**t));
            assert!(tag.is_some(), "raw HTML: {}", at());
            rest = &rest[tag.map_or(1, |t| t.len())..];
        }
    }
    assert_eq!(fence, None, "unclosed fence:\n{text}");
    assert_eq!(open_details, 0, "unclosed <details>:\n{text}");
}

// ---------------------------------------------------------------- tests

fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schema")
}

#[tokio::test]
async fn schema_prints_each_published_schema_and_each_is_valid_draft_2020_12() {
    let names = [
        "report",
        "plan",
        "migrations",
        "quarantine",
        "rules",
        "snapshot",
        "fleet-report",
    ];
    assert_eq!(
        std::fs::read_dir(schema_dir()).unwrap().count(),
        names.len(),
        "one file a document"
    );
    for name in names {
        let run = driftless(&["schema", name]).await;
        assert_eq!(run.code, Some(0), "{run:#?}");
        let file = schema_dir().join(format!("{name}.schema.json"));
        assert_eq!(
            run.stdout,
            std::fs::read_to_string(&file).unwrap(),
            "{name}"
        );
        let schema: Value = serde_json::from_str(&run.stdout).unwrap();
        assert!(
            jsonschema::meta::is_valid(&schema),
            "{name}: not a valid JSON Schema"
        );
        assert_eq!(
            schema["$id"],
            format!("https://driftless.dev/schema/{name}/v1.json")
        );
    }
    let run = driftless(&["schema", "nonsense"]).await;
    assert_eq!(run.code, Some(2), "{run:#?}");
}

#[test]
fn the_format_snapshots_match_their_schemas() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    for (file, id) in [
        ("check.json", "https://driftless.dev/schema/report/v1.json"),
        ("plan.json", "https://driftless.dev/schema/plan/v1.json"),
    ] {
        let doc = json_document(&std::fs::read_to_string(dir.join(file)).unwrap());
        assert_eq!(doc["$schema"], id, "{file}");
    }
    for file in ["check.markdown", "check-clean.markdown", "plan.markdown"] {
        assert_markdown(&std::fs::read_to_string(dir.join(file)).unwrap());
    }
}

#[test]
fn the_schemas_refuse_what_they_do_not_describe() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("check.json")).unwrap()).unwrap();
    let id = "https://driftless.dev/schema/report/v1.json";
    for broken in [
        |d: &mut Value| d["findings"][0]["severity"] = "fatal".into(),
        |d: &mut Value| d["summary"]["status"] = "maybe".into(),
        |d: &mut Value| d["findings"][0]["surprise"] = 1.into(),
        |d: &mut Value| d["format_version"] = 2.into(),
    ] {
        let mut d = doc.clone();
        broken(&mut d);
        let refused = std::panic::catch_unwind(|| assert_valid(&d, id));
        assert!(refused.is_err(), "{d:#}");
    }
}

#[test]
fn the_markdown_checker_catches_broken_reports() {
    let good = "## driftless check: drift\n\n| a | b |\n| --- | --- |\n| 1 | x \\| y |\n\n<details><summary>Plan: 1 step</summary>\n\n```sql\n<b>\n```\n</details>\n";
    assert_markdown(good);
    for bad in [
        good.replace("| 1 | x \\| y |", "| 1 | x | y |"),
        good.replace("</details>\n", ""),
        good.replace("```\n</details>", "</details>"),
        good.replace("| 1 |", "| <b>1</b> |"),
        good.replace("| --- | --- |\n", ""),
    ] {
        let refused = std::panic::catch_unwind(|| assert_markdown(&bad));
        assert!(refused.is_err(), "{bad}");
    }
}

/// A SQLite database with drift against a snapshot: a missing column, an
/// orphan column (quarantined by `fix`), an orphan table (withheld), with
/// characters Markdown must escape.
async fn drifted() -> (TestDb, tempfile::TempDir, PathBuf) {
    let expected = TestDb::sqlite();
    expected
        .exec("CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, login_count integer);")
        .await;
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("schema.json");
    let run = driftless(&[
        "snapshot",
        "--db",
        &expected.url,
        "-o",
        snap.to_str().unwrap(),
    ])
    .await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    let db = TestDb::sqlite();
    db.exec(
        "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, \"a|b<i>_x_\" text);
         INSERT INTO users (id, email, \"a|b<i>_x_\") VALUES (1, 'a@example.com', 'v');
         CREATE TABLE \"tmp|`import`\" (id integer);",
    )
    .await;
    (db, dir, snap)
}

fn check(run: &Run, format: &str, codes: &[i32]) {
    assert!(
        codes.contains(&run.code.unwrap_or(-1)),
        "{format}: {run:#?}"
    );
    check_output(format, run.code, &run.stdout);
}

#[tokio::test]
async fn every_command_writes_json_its_schema_accepts() {
    let (db, dir, snap) = drifted().await;
    let snap = snap.to_str().unwrap();
    let base = ["--db", &db.url, "--expect", snap];

    let out = driftless(&["snapshot", "--db", &db.url]).await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    snapshot_document(&out.stdout);

    let run = driftless(&[&["check"], &base[..], &["--format", "json"]].concat()).await;
    check(&run, "json", &[1]);
    let run = driftless(&[&["plan"], &base[..], &["--format", "json"]].concat()).await;
    check(&run, "json", &[1]);
    let drop = ["--format", "json", "--orphans", "drop"];
    let run = driftless(&[&["plan"], &base[..], &drop[..]].concat()).await;
    check(&run, "json", &[1]);
    let plan = json_document(&run.stdout);
    assert_eq!(
        plan["withheld"].as_array().map(Vec::len),
        Some(2),
        "{plan:#}"
    );
    let run = driftless(&["rules", "--format", "json"]).await;
    check(&run, "json", &[0]);

    let run = driftless(&[&["fix"], &base[..], &["--apply"]].concat()).await;
    assert_eq!(run.code, Some(0), "orphans quarantined: {run:#?}");
    let run = driftless(&["quarantine", "list", "--db", &db.url, "--format", "json"]).await;
    check(&run, "json", &[0]);
    let listed = json_document(&run.stdout);
    assert_eq!(listed["quarantined"].as_array().map(Vec::len), Some(2));
    let run = driftless(&[&["check"], &base[..], &["--format", "json"]].concat()).await;
    check(&run, "json", &[0]);
    assert_eq!(json_document(&run.stdout)["summary"]["quarantined"], 2);

    let migrations = migrations_folder(dir.path());
    let run = driftless(&[
        "migrations",
        "--db",
        &db.url,
        "--migrations",
        &migrations,
        "--format",
        "json",
    ])
    .await;
    check(&run, "json", &[1]);
}

/// A sqlx folder whose one migration the database has not recorded.
fn migrations_folder(dir: &Path) -> String {
    let m = dir.join("migrations");
    std::fs::create_dir_all(&m).unwrap();
    std::fs::write(
        m.join("20240101000000_users.sql"),
        "CREATE TABLE users (id integer PRIMARY KEY);\n",
    )
    .unwrap();
    m.to_str().unwrap().to_string()
}

#[tokio::test]
async fn every_command_writes_well_formed_markdown() {
    let (db, dir, snap) = drifted().await;
    let snap = snap.to_str().unwrap();
    let base = ["--db", &db.url, "--expect", snap];
    let md = ["--format", "markdown"];

    let run = driftless(&[&["check"], &base[..], &md[..]].concat()).await;
    check(&run, "markdown", &[1]);
    for needle in [
        "| Rule | Severity | Object | Message | Provenance |",
        "a\\|b&lt;i&gt;\\_x\\_",
    ] {
        assert!(run.stdout.contains(needle), "{needle}: {}", run.stdout);
    }
    let run = driftless(&[&["plan"], &base[..], &md[..]].concat()).await;
    check(&run, "markdown", &[1]);
    assert!(
        run.stdout
            .contains("<details><summary>Plan: 3 steps</summary>"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("```sql\n"), "{}", run.stdout);
    let run = driftless(&[&["fix"], &base[..], &md[..]].concat()).await;
    check(&run, "markdown", &[1]);
    assert!(
        run.stdout.starts_with("## driftless fix: plan only"),
        "{}",
        run.stdout
    );

    // Drops without --allow-destructive: withheld in a plan (`fix
    // --apply` refuses them up front).
    let drop = ["--orphans", "drop"];
    let run = driftless(&[&["plan"], &base[..], &md[..], &drop[..]].concat()).await;
    check(&run, "markdown", &[1]);
    assert!(run.stdout.contains("| destructive |"), "{}", run.stdout);
    let keep = ["--apply", "--orphans", "keep"];
    let run = driftless(&[&["fix"], &base[..], &md[..], &keep[..]].concat()).await;
    check(&run, "markdown", &[1]);
    for needle in ["## driftless fix: not converged", "### Drift that remains"] {
        assert!(run.stdout.contains(needle), "{needle}: {}", run.stdout);
    }
    let run = driftless(&[&["fix"], &base[..], &md[..], &["--apply"]].concat()).await;
    check(&run, "markdown", &[0]);
    assert!(
        run.stdout.starts_with("## driftless fix: converged"),
        "{}",
        run.stdout
    );
    let run = driftless(&[&["check"], &base[..], &md[..]].concat()).await;
    check(&run, "markdown", &[0]);
    assert!(
        run.stdout.starts_with("## driftless check: no drift"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("2 objects kept in quarantine"),
        "{}",
        run.stdout
    );

    let migrations = migrations_folder(dir.path());
    let run = driftless(&[
        "migrations",
        "--db",
        &db.url,
        "--migrations",
        &migrations,
        "--format",
        "markdown",
    ])
    .await;
    check(&run, "markdown", &[1]);
    assert!(run.stdout.contains("| unapplied"), "{}", run.stdout);
}
