//! The entry points of driftless's fuzz targets: each takes arbitrary bytes,
//! feeds them to one of the parsers that read user- or database-controlled
//! input, and checks the parser's contract. A panic (including a failed
//! contract check) is a bug.
//!
//! The same functions replay the committed corpus in the normal test suite
//! (`tests/e2e/fuzz_corpus.rs` of `driftless-e2e` includes this file), so every
//! seed and every regression input runs in CI without a fuzzer.
//!
//! Input encodings, chosen so that seeds are readable text:
//! - `snapshot_json`, `config_toml`, `split_statements`: the bytes as text
//!   (lossy UTF-8).
//! - `migration_files`: files in `head`'s format, each introduced by a line
//!   `==> relative/path <==`, its bytes following up to the next such line.
//! - `ledger_rows`: first line `<ledger kind> <dialect>` (`sqlx postgres`),
//!   then one row per line, values separated by tabs: `~` NULL, `b0`/`b1`,
//!   `i<int>`, `f<float>`, `t<text>`, `x<hex bytes>`; anything else is text.
#![forbid(unsafe_code)]

use std::path::Path;

use driftless_introspect::Value;
use driftless_migrations::{
    detect_ledger_tables, ledger_query, parse_ledger, parse_migrations, parse_migrations_as,
    SourceFile,
};
use driftless_model::{
    migration_status, normalize_sql, split_statements as split, Dialect, LedgerKind, LedgerTable,
    MigrationFormat, Snapshot,
};
use driftless_rules::{Config, Registry};

/// The names of the fuzz targets, as in `fuzz/Cargo.toml` and `fuzz/corpus/`.
pub const TARGETS: &[&str] = &[
    "snapshot_json",
    "config_toml",
    "migration_files",
    "split_statements",
    "ledger_rows",
];

/// Runs the target named `name` on `data`; `false` for an unknown name.
pub fn run(name: &str, data: &[u8]) -> bool {
    match name {
        "snapshot_json" => snapshot_json(data),
        "config_toml" => config_toml(data),
        "migration_files" => migration_files(data),
        "split_statements" => split_statements(data),
        "ledger_rows" => ledger_rows(data),
        _ => return false,
    }
    true
}

const DIALECTS: [Dialect; 3] = [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite];

const LEDGER_KINDS: [LedgerKind; 11] = [
    LedgerKind::Django,
    LedgerKind::Sqlx,
    LedgerKind::Refinery,
    LedgerKind::Diesel,
    LedgerKind::SeaOrm,
    LedgerKind::Flyway,
    LedgerKind::GolangMigrate,
    LedgerKind::Dbmate,
    LedgerKind::Rails,
    LedgerKind::Alembic,
    LedgerKind::Prisma,
];

const FORMAT_NAMES: [&str; 11] = [
    "sqlx",
    "refinery",
    "flyway",
    "golang-migrate",
    "dbmate",
    "diesel",
    "prisma",
    "django",
    "alembic",
    "rails",
    "sea-orm",
];

/// `Snapshot::from_json`: never panics; a document it accepts writes back
/// (`to_json`) to a document that reads back equal.
pub fn snapshot_json(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let path = Path::new("fuzz.json");
    if let Ok(snapshot) = Snapshot::from_json(&text, path) {
        let json = snapshot.to_json();
        match Snapshot::from_json(&json, path) {
            Ok(back) => assert_eq!(
                back, snapshot,
                "snapshot JSON round trip changed the snapshot"
            ),
            Err(e) => panic!("a snapshot's own JSON does not read back: {e}\n{json}"),
        }
        let _ = snapshot.counts();
    }
}

/// `Config::from_toml_str` and `Config::validate`: never panic; errors
/// carry the file's path.
pub fn config_toml(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match Config::from_toml_str(&text, "driftless.toml") {
        Ok(config) => {
            let _ = config.validate(&Registry::builtin());
        }
        Err(e) => {
            assert_eq!(e.path(), Path::new("driftless.toml"));
            let _ = e.to_string();
        }
    }
}

/// Splits `data` into files: `==> path <==` lines introduce each file.
pub fn decode_files(data: &[u8]) -> Vec<SourceFile> {
    let mut files: Vec<SourceFile> = Vec::new();
    let mut current: Option<(String, Vec<u8>)> = None;
    for line in data.split_inclusive(|b| *b == b'\n') {
        let trimmed = line.strip_suffix(b"\n").unwrap_or(line);
        let header = trimmed
            .strip_prefix(b"==> ")
            .and_then(|h| h.strip_suffix(b" <=="));
        match header {
            Some(path) => {
                if let Some((p, bytes)) = current.take() {
                    files.push(SourceFile::new(p, bytes));
                }
                current = Some((String::from_utf8_lossy(path).into_owned(), Vec::new()));
            }
            None => {
                if let Some((_, bytes)) = current.as_mut() {
                    bytes.extend_from_slice(line);
                }
            }
        }
    }
    if let Some((p, bytes)) = current {
        files.push(SourceFile::new(p, bytes));
    }
    files
}

/// `parse_migrations` (detection and every format's parser) over
/// file names and contents: never panics; a set it returns has unique ids
/// and statuses for every migration.
pub fn migration_files(data: &[u8]) {
    let files = decode_files(data);
    let root = Path::new("migrations");
    let mut sets = Vec::new();
    if let Ok(set) = parse_migrations(root, &files) {
        sets.push(set);
    }
    for name in FORMAT_NAMES {
        if let Some(format) = MigrationFormat::parse(name) {
            if let Ok(set) = parse_migrations_as(root, &files, format) {
                sets.push(set);
            }
        }
    }
    for set in &sets {
        let mut ids = set.ids();
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count, "duplicate migration ids in a parsed set");
        for m in &set.migrations {
            let _ = m.label();
            let _ = set.file_path(m);
            for kind in LEDGER_KINDS {
                let _ = m.checksum_for(kind);
            }
            if let Some(sql) = &m.sql {
                for d in DIALECTS {
                    let _ = split(sql, d);
                }
            }
        }
        let status = migration_status(set, None);
        assert!(
            status.len() >= set.migrations.len(),
            "a migration without a status"
        );
        let _ = set.apps();
    }
}

/// `split_statements` and `normalize_sql` on every dialect: never panic;
/// statements come in order, each is the text at its offset, and its line
/// is the line of that offset.
pub fn split_statements(data: &[u8]) {
    let sql = String::from_utf8_lossy(data);
    for d in DIALECTS {
        let mut after = 0usize;
        for s in split(&sql, d) {
            assert!(s.offset >= after, "statements overlap or go backwards");
            let rest = sql
                .get(s.offset..)
                .unwrap_or_else(|| panic!("offset {} is not a char boundary", s.offset));
            assert!(
                rest.starts_with(&s.sql),
                "statement text is not the text at its offset"
            );
            assert!(!s.sql.trim().is_empty(), "empty statement");
            assert_eq!(
                s.line,
                1 + sql[..s.offset].matches('\n').count(),
                "wrong line"
            );
            after = s.offset + s.sql.len();
        }
        let _ = normalize_sql(&sql, d);
    }
}

fn decode_value(field: &str) -> Value {
    let mut chars = field.chars();
    let tag = chars.next();
    let rest = chars.as_str();
    match tag {
        Some('~') if rest.is_empty() => Value::Null,
        Some('b') if rest == "0" || rest == "1" => Value::Bool(rest == "1"),
        Some('i') => rest
            .parse()
            .map_or_else(|_| Value::Text(field.into()), Value::Int),
        Some('f') => rest
            .parse()
            .map_or_else(|_| Value::Text(field.into()), Value::Float),
        Some('t') => Value::Text(rest.into()),
        Some('x') => {
            let bytes: Option<Vec<u8>> = (0..rest.len() / 2)
                .map(|i| {
                    rest.get(2 * i..2 * i + 2)
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                })
                .collect();
            bytes.map_or_else(|| Value::Text(field.into()), Value::Bytes)
        }
        _ => Value::Text(field.into()),
    }
}

/// Decodes the `ledger_rows` encoding: the ledger table and its rows.
pub fn decode_ledger(data: &[u8]) -> (LedgerTable, Dialect, Vec<Vec<Value>>) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    let mut words = header.split_whitespace();
    let kind_name = words.next().unwrap_or_default();
    let kind = LEDGER_KINDS
        .iter()
        .copied()
        .find(|k| k.as_str() == kind_name)
        .unwrap_or(LEDGER_KINDS[header.len() % LEDGER_KINDS.len()]);
    let dialect = match words.next().unwrap_or_default() {
        "mysql" => Dialect::Mysql,
        "sqlite" => Dialect::Sqlite,
        _ => Dialect::Postgres,
    };
    let rows = lines
        .map(|l| l.split('\t').map(decode_value).collect())
        .collect();
    let table = LedgerTable {
        kind,
        schema: "public".into(),
        table: kind.table().into(),
        wide_versions: false,
    };
    (table, dialect, rows)
}

/// `parse_ledger` for the decoded ledger kind and `detect_ledger_tables`
/// over the same rows: never panic; every entry has an id.
pub fn ledger_rows(data: &[u8]) {
    let (table, dialect, rows) = decode_ledger(data);
    if let Ok(ledger) = parse_ledger(&table, dialect, &rows) {
        assert_eq!(ledger.table, table);
        for e in &ledger.entries {
            let _ = ledger.entry(&e.id);
        }
    }
    for t in detect_ledger_tables(&rows) {
        let _ = parse_ledger(&t, dialect, &rows);
        let _ = ledger_query(dialect, &t);
    }
}
