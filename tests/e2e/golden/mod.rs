//! Ledger golden tests: for each migration tool, the ledger rows driftless
//! writes (`record_statements_guarded`, run twice) equal the rows the tool
//! itself writes for the same migrations, column by column. Columns that
//! depend on the run (when, how long, which row id) are compared by their
//! shape instead: the same type, the same digits-and-separators layout
//! (timezone spelling included). Then the tool, run again on the ledger
//! driftless wrote, accepts it and applies nothing.
//!
//! Real tools where a package registry has them: Django and Alembic (the
//! pinned Python of `scripts/test-python`), Rails (Debian's), dbmate (npm,
//! `scripts/test-dbmate`), refinery, diesel and sea-orm-migration
//! (crates.io, SQLite). Flyway, golang-migrate and Prisma's rows come from
//! their source (`documented`).

mod dbmate;
mod documented;
mod frameworks;
mod rust_tools;
mod seaorm;

use std::path::Path;

use driftless_fixer::record_statements_guarded;
use driftless_introspect::Value;
use driftless_migrations::{load_migrations_as, read_ledgers};
use driftless_model::{select_ledger, MigrationFormat};
use driftless_testkit::TestDb;

use crate::support::{open, rows};

/// driftless records every migration of `dir` (read as `format`) in the
/// ledger of `db`, which the tool created and left empty: the guarded
/// statements, run twice (the second run must write nothing).
pub async fn record_with_driftless(db: &TestDb, dir: &Path, format: MigrationFormat) {
    let set = load_migrations_as(dir, format).unwrap();
    let mut c = open(db).await;
    let ledgers = read_ledgers(&mut c).await.unwrap();
    let ledger = select_ledger(&set, &ledgers).expect("the ledger the tool created");
    let dialect = c.dialect();
    for _ in 0..2 {
        for m in &set.migrations {
            for sql in record_statements_guarded(&ledger.table, dialect, m, 7).unwrap() {
                c.execute(&sql, "record a migration").await.unwrap();
            }
        }
    }
    c.close().await.unwrap();
}

/// The layout of a run-dependent value: its type, and for text every digit
/// as `0` but a fraction of a second (whose length the tools trim) as `.F`.
fn shape(v: &Value) -> String {
    let Value::Text(s) = v else {
        return match v {
            Value::Null => "NULL".into(),
            Value::Int(_) => "integer".into(),
            other => format!("{other:?}"),
        };
    };
    let mut out = String::new();
    let mut fraction = false;
    for c in s.chars() {
        match c {
            '0'..='9' if fraction => {}
            '0'..='9' => out.push('0'),
            '.' => {
                fraction = true;
                out.push_str(".F");
            }
            c => {
                fraction = false;
                out.push(c);
            }
        }
    }
    out
}

/// `sql` reads the same rows from the tool's ledger and from driftless's
/// ([`assert_rows_match`]).
pub async fn assert_same_rows(tool: &TestDb, ours: &TestDb, sql: &str, run_dependent: &[usize]) {
    let theirs = rows(tool, sql).await;
    assert!(!theirs.is_empty(), "the tool wrote no rows: {sql}");
    assert_rows_match(&theirs, &rows(ours, sql).await, run_dependent, sql);
}

/// driftless's rows equal the tool's column by column, but for the
/// `run_dependent` columns (indexes), which must only have the same
/// [`shape`] (and not be NULL).
pub fn assert_rows_match(
    tool: &[Vec<Value>],
    ours: &[Vec<Value>],
    run_dependent: &[usize],
    what: &str,
) {
    let both = format!("{what}\ntool:      {tool:?}\ndriftless: {ours:?}");
    assert_eq!(tool.len(), ours.len(), "{both}");
    for (t, m) in tool.iter().zip(ours) {
        assert_eq!(t.len(), m.len(), "{both}");
        for (i, (a, b)) in t.iter().zip(m).enumerate() {
            if run_dependent.contains(&i) {
                assert_ne!(*a, Value::Null, "column {i}: {both}");
                assert_eq!(shape(a), shape(b), "column {i}: {both}");
            } else {
                assert_eq!(a, b, "column {i}: {both}");
            }
        }
    }
}

/// How many tables named `name` `db` has (0: the tool, run again on
/// driftless's ledger, ran no migration).
pub async fn table_count(db: &TestDb, name: &str) -> i64 {
    let sql = match db.backend {
        driftless_testkit::Backend::Sqlite => {
            format!("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{name}'")
        }
        _ => format!("SELECT count(*) FROM information_schema.tables WHERE table_name = '{name}'"),
    };
    db.scalar_i64(&sql).await
}

/// Writes `files` (relative path, content) under `dir`.
pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// A SQLite test database's URL as SQLAlchemy and Rails' story project
/// spell it: `sqlite:////abs/path`.
pub fn sqlalchemy_url(db: &TestDb) -> String {
    match db.backend {
        driftless_testkit::Backend::Sqlite => format!("sqlite:///{}", db.name),
        _ => db.url.clone(),
    }
}

/// Runs `program ARGS` in `dir` with `env`; it must succeed. Its stdout.
pub fn run_ok(program: &str, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut command = std::process::Command::new(program);
    let command = command.args(args).current_dir(dir);
    driftless_testkit::succeeded(command.envs(env.iter().copied()))
}

#[test]
fn shapes_keep_layout_and_zone_but_not_fraction_length() {
    let t = |s: &str| shape(&Value::Text(s.into()));
    assert_eq!(
        t("2026-12-06T02:30:00.1234Z"),
        t("2026-12-06T02:30:01.123456789Z")
    );
    assert_ne!(
        t("2026-12-06T02:30:00.123Z"),
        t("2026-12-06T02:30:00.123+00:00")
    );
    assert_ne!(t("2026-12-06 02:30:00"), t("2026-12-06T02:30:00"));
    assert_eq!(shape(&Value::Int(3)), shape(&Value::Int(40)));
}
