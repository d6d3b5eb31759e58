//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`: seeds made
//! from the project's fixtures, and every input a fuzzer once crashed on)
//! through the fuzz targets' own entry points, so CI covers them without a
//! fuzzer. Run the fuzzers themselves with `fuzz/run.sh`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

#[path = "../../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod harness;

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    files
}

/// The project's own SQL fixtures (`examples/**/*.sql`, `crates/*/tests/*.sql`),
/// read where they live: seeds of the statement splitter beside its corpus.
fn project_sql_fixtures() -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for path in entries.map(|e| e.unwrap().path()) {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "sql") {
                let bytes = std::fs::read(&path).unwrap();
                out.push((path, bytes));
            }
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    walk(&root.join("examples"), &mut files);
    for krate in std::fs::read_dir(root.join("crates")).unwrap() {
        walk(&krate.unwrap().path().join("tests"), &mut files);
    }
    files.sort();
    assert!(
        files.len() >= 3,
        "no SQL fixtures found under {}",
        root.display()
    );
    files
}

fn replay(target: &str) {
    replay_inputs(target, corpus(target));
}

fn replay_inputs(target: &str, inputs: Vec<(PathBuf, Vec<u8>)>) {
    for (path, bytes) in inputs {
        let outcome = std::panic::catch_unwind(|| harness::run(target, &bytes));
        match outcome {
            Ok(known) => assert!(known, "unknown fuzz target {target}"),
            Err(_) => panic!("fuzz target {target} panics on {}", path.display()),
        }
    }
}

#[test]
fn every_target_has_a_corpus() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let mut found: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut expected: Vec<String> = harness::TARGETS.iter().map(|t| t.to_string()).collect();
    expected.sort();
    assert_eq!(found, expected);
}

#[test]
fn snapshot_json_corpus() {
    replay("snapshot_json");
}

#[test]
fn config_toml_corpus() {
    replay("config_toml");
}

#[test]
fn migration_files_corpus() {
    replay("migration_files");
}

#[test]
fn split_statements_corpus() {
    replay("split_statements");
    replay_inputs("split_statements", project_sql_fixtures());
}

#[test]
fn ledger_rows_corpus() {
    replay("ledger_rows");
}

/// The decoders the seeds rely on read what they say.
#[test]
fn decoders() {
    let files = harness::decode_files(b"==> a/1_x.sql <==\nSELECT 1;\n==> b.sql <==\n");
    assert_eq!(files.len(), 2);
    assert_eq!(files[0].path, PathBuf::from("a/1_x.sql"));
    assert_eq!(files[0].bytes, b"SELECT 1;\n");
    assert!(files[1].bytes.is_empty());
    let (table, _, rows) =
        harness::decode_ledger(b"sqlx mysql\ni1\tt\tb1\t~\txff00\tf2.5\tplain\n");
    assert_eq!(table.table, "_sqlx_migrations");
    use driftless_introspect::Value;
    assert_eq!(
        rows,
        vec![vec![
            Value::Int(1),
            Value::Text(String::new()),
            Value::Bool(true),
            Value::Null,
            Value::Bytes(vec![0xff, 0]),
            Value::Float(2.5),
            Value::Text("plain".into()),
        ]]
    );
}
