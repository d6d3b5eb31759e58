//! Hostile identifiers: schemas (PostgreSQL), tables, columns, indexes,
//! unique, check and foreign-key constraints and enum labels named with
//! quotes, backticks, semicolons, comment starts, backslashes, dollar
//! quotes, unicode (combining marks, emoji, right-to-left), leading digits,
//! reserved words, whitespace, and at each backend's maximum identifier
//! length (PostgreSQL 63 bytes, MySQL 64 characters, SQLite 200 characters)
//! are introspected exactly, reported exactly, and fixed: plan + apply, the
//! guarded script and the plain SQL all converge, and no name injects SQL
//! (a `canary` table that names try to drop keeps its row).
//!
//! A proptest generates the names; fixed regression cases pin the worst
//! ones. Limits of the databases themselves, not of driftless, shape the
//! generator: MariaDB refuses names ending in a space and characters
//! outside the Basic Multilingual Plane (emoji), and stores tables as files
//! whose encoded names must fit the file system's 255 bytes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::collections::BTreeMap;
use std::sync::Mutex;

use driftless_fixer::record_statements;
use driftless_fixer::{ApplyOptions, FixPlan, Orphans, PlanOptions, Safety};
use driftless_introspect::{ConnectOptions, Database, DbUrl, IntrospectOptions};
use driftless_migrations::{load_migrations, read_ledgers, replay, ReplayOptions};
use driftless_model::{migration_status, LedgerKind, LedgerTable, MigrationState, Snapshot};
use driftless_rules::{ObjectKind, ObjectRef};
use driftless_testkit::{Backend, TestDb};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};
use support::*;

/// Pieces names are made of. None contains `@`, which the generator uses
/// for the token that keeps every name of a case distinct.
const PIECES: &[&str] = &[
    // quotes of every dialect
    "\"",
    "\"\"",
    "`",
    "``",
    "'",
    "''",
    // statement and comment breakers
    ";",
    "\"; DROP TABLE canary; --",
    "'); DROP TABLE canary; --",
    "`; DROP TABLE canary; --",
    "--",
    "/*",
    "*/",
    "#",
    // escapes, dollar quotes, placeholders, LIKE wildcards, qualification
    "\\",
    "\\'",
    "$$",
    "$driftless$",
    "$1",
    "?",
    ":x",
    "%",
    "_",
    ".",
    "a.b",
    "(",
    ")",
    ",",
    // whitespace
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    // unicode
    "é",
    "e\u{301}",
    "\u{1F600}",
    "名前",
    "ß",
    "Ω",
    "\u{200B}",
    "\u{202E}",
    // reserved words and case
    "select",
    "SELECT",
    "table",
    "order",
    "user",
    "group",
    "from",
    "where",
    "index",
    "key",
    "check",
    "constraint",
    "default",
    "null",
    "Users",
    "ID",
    // digits (a name may start with one)
    "1",
    "0",
    "42",
];

/// What kind of object a name is for (MariaDB limits table names further).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Table,
    Other,
}

/// How one name is made: pieces before and after its token, and whether it
/// is padded to the backend's maximum length.
#[derive(Debug, Clone)]
struct Recipe {
    prefix: Vec<usize>,
    suffix: Vec<usize>,
    full_length: bool,
}

fn recipe() -> impl Strategy<Value = Recipe> {
    (
        prop::collection::vec(0..PIECES.len(), 0..4),
        prop::collection::vec(0..PIECES.len(), 0..4),
        prop::bool::weighted(0.25),
    )
        .prop_map(|(prefix, suffix, full_length)| Recipe {
            prefix,
            suffix,
            full_length,
        })
}

/// The longest name of a backend, and whether it counts bytes (else characters).
fn limit(b: Backend) -> (usize, bool) {
    match b {
        Backend::Postgres => (63, true),
        Backend::Mysql => (64, false),
        Backend::Sqlite => (200, false),
    }
}

fn length(b: Backend, s: &str) -> usize {
    if limit(b).1 {
        s.len()
    } else {
        s.chars().count()
    }
}

/// The bytes MariaDB's file name for a table of this name takes
/// (`[A-Za-z0-9_]` as is, everything else `@xxxx`).
fn mysql_file_len(s: &str) -> usize {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                1
            } else {
                5
            }
        })
        .sum()
}

fn fits(b: Backend, role: Role, s: &str, max: usize) -> bool {
    length(b, s) <= max && (b != Backend::Mysql || role != Role::Table || mysql_file_len(s) <= 200)
}

fn truncate(b: Backend, role: Role, s: &str, max: usize) -> String {
    let mut out = String::new();
    for c in s.chars() {
        out.push(c);
        if !fits(b, role, &out, max) {
            out.pop();
            break;
        }
    }
    out
}

/// Builds a name for `backend` from `recipe`, with token number `token`.
fn build(b: Backend, role: Role, r: &Recipe, token: usize) -> String {
    let tok = format!("@{}", char::from(b'a' + u8::try_from(token).unwrap()));
    let allowed = |p: &&&str| b != Backend::Mysql || p.chars().all(|c| u32::from(c) < 0x10000);
    let prefix: String = r
        .prefix
        .iter()
        .map(|i| &PIECES[*i])
        .filter(allowed)
        .copied()
        .collect();
    let suffix: String = r
        .suffix
        .iter()
        .map(|i| &PIECES[*i])
        .filter(allowed)
        .copied()
        .collect();
    let (max, _) = limit(b);
    let room = max - tok.len();
    let prefix = truncate(b, role, &prefix, room);
    let suffix = truncate(b, role, &suffix, room - length(b, &prefix));
    let mut name = format!("{prefix}{tok}{suffix}");
    if b == Backend::Mysql {
        // MariaDB: no name ends with a space (and enum labels lose trailing spaces).
        name = name.trim_end().to_string();
    }
    if r.full_length {
        while length(b, &name) < max {
            name.push('x');
        }
    }
    assert!(fits(b, role, &name, max), "{name:?}");
    name
}

/// Every name of one case.
#[derive(Debug, Clone)]
struct Names {
    schema: String,
    enum_type: String,
    labels: [String; 3],
    parent: String,
    pk: String,
    u: String,
    uq: String,
    child: String,
    cpk: String,
    refc: String,
    val: String,
    val2: String,
    mood: String,
    extra: String,
    ck: String,
    fk: String,
    ix: String,
    missing: String,
    mcol: String,
    orphan: String,
    ocol: String,
    /// A text column whose default drifts.
    note: String,
    /// Whether the drifted enum also has its labels in another order.
    reorder: bool,
}

const NAME_COUNT: usize = 24;

impl Names {
    fn from_recipes(b: Backend, r: &[Recipe], reorder: bool) -> Names {
        let tables = [5usize, 9, 19, 21];
        let n = |i: usize| {
            build(
                b,
                if tables.contains(&i) {
                    Role::Table
                } else {
                    Role::Other
                },
                &r[i],
                i,
            )
        };
        Names {
            schema: n(0),
            enum_type: n(1),
            labels: [n(2), n(3), n(4)],
            parent: n(5),
            pk: n(6),
            u: n(7),
            uq: n(8),
            child: n(9),
            cpk: n(10),
            refc: n(11),
            val: n(12),
            val2: n(13),
            mood: n(14),
            extra: n(15),
            ck: n(16),
            fk: n(17),
            ix: n(18),
            missing: n(19),
            mcol: n(20),
            orphan: n(21),
            ocol: n(22),
            note: n(23),
            reorder,
        }
    }

    /// Every name, for statistics.
    fn all(&self) -> Vec<&str> {
        let mut v = vec![
            &self.schema,
            &self.enum_type,
            &self.parent,
            &self.pk,
            &self.u,
            &self.uq,
            &self.child,
            &self.cpk,
            &self.refc,
            &self.val,
            &self.val2,
            &self.mood,
            &self.extra,
            &self.ck,
            &self.fk,
            &self.ix,
            &self.missing,
            &self.mcol,
            &self.orphan,
            &self.ocol,
            &self.note,
        ];
        v.extend(self.labels.iter());
        v.into_iter().map(String::as_str).collect()
    }
}

// ---- SQL written by the test itself (independent of the crates' quoting).

fn q(b: Backend, name: &str) -> String {
    match b {
        Backend::Mysql => format!("`{}`", name.replace('`', "``")),
        _ => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

fn lit(b: Backend, s: &str) -> String {
    match b {
        Backend::Mysql => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''")),
        Backend::Postgres if s.contains('\\') => {
            format!("E'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
        }
        _ => format!("'{}'", s.replace('\'', "''")),
    }
}

/// `schema.table` on PostgreSQL, `table` elsewhere.
fn t(b: Backend, n: &Names, table: &str) -> String {
    match b {
        Backend::Postgres => format!("{}.{}", q(b, &n.schema), q(b, table)),
        _ => q(b, table),
    }
}

/// The DDL of the expected (`expected = true`) or drifted database.
///
/// Drift: the actual database lacks a table, a column, an index, the
/// unique, check and foreign-key constraints, a column default (a string
/// that is itself a hostile name) and an enum label (with `reorder`, its
/// other labels are also in another order: a rebuild); a column has
/// another type and nullability; it has an orphan table and an orphan
/// column, and rows.
fn ddl(b: Backend, n: &Names, expected: bool) -> String {
    let (int, text, big, note_type) = match b {
        Backend::Sqlite => ("INTEGER", "TEXT", "BIGINT", "TEXT"),
        Backend::Mysql => ("integer", "text", "bigint", "varchar(200)"),
        Backend::Postgres => ("integer", "text", "bigint", "text"),
    };
    let labels: Vec<&String> = match (expected, n.reorder) {
        (true, _) => n.labels.iter().collect(),
        (false, false) => vec![&n.labels[0], &n.labels[1]],
        (false, true) => vec![&n.labels[1], &n.labels[0]],
    };
    let label_list = labels
        .iter()
        .map(|l| lit(b, l))
        .collect::<Vec<_>>()
        .join(", ");
    let mood_type = match b {
        Backend::Postgres => format!("{}.{}", q(b, &n.schema), q(b, &n.enum_type)),
        Backend::Mysql => format!("enum({label_list})"),
        Backend::Sqlite => text.to_string(),
    };
    let mut s = Vec::new();
    s.push(format!("CREATE TABLE canary (id {int})"));
    s.push("INSERT INTO canary VALUES (1)".to_string());
    if b == Backend::Postgres {
        s.push(format!("CREATE SCHEMA {}", q(b, &n.schema)));
        s.push(format!("CREATE TYPE {mood_type} AS ENUM ({label_list})"));
    }
    let uq = if expected {
        format!(", CONSTRAINT {} UNIQUE ({})", q(b, &n.uq), q(b, &n.u))
    } else {
        String::new()
    };
    s.push(format!(
        "CREATE TABLE {} ({} {int} PRIMARY KEY, {} {int}{uq})",
        t(b, n, &n.parent),
        q(b, &n.pk),
        q(b, &n.u)
    ));
    let mut cols = vec![
        format!("{} {int} PRIMARY KEY", q(b, &n.cpk)),
        format!("{} {int}", q(b, &n.refc)),
        format!("{} {mood_type}", q(b, &n.mood)),
    ];
    if expected {
        cols.push(format!("{} {big} NOT NULL", q(b, &n.val)));
        cols.push(format!(
            "{} {note_type} DEFAULT {}",
            q(b, &n.note),
            lit(b, &n.labels[2])
        ));
        cols.push(format!("{} {int}", q(b, &n.val2)));
        cols.push(format!(
            "CONSTRAINT {} CHECK ({} >= 0)",
            q(b, &n.ck),
            q(b, &n.val)
        ));
        cols.push(format!(
            "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})",
            q(b, &n.fk),
            q(b, &n.refc),
            t(b, n, &n.parent),
            q(b, &n.pk)
        ));
    } else {
        cols.push(format!("{} {int}", q(b, &n.val)));
        cols.push(format!("{} {note_type}", q(b, &n.note)));
        cols.push(format!("{} {text}", q(b, &n.extra)));
    }
    s.push(format!(
        "CREATE TABLE {} ({})",
        t(b, n, &n.child),
        cols.join(", ")
    ));
    if expected {
        s.push(format!(
            "CREATE INDEX {} ON {} ({})",
            q(b, &n.ix),
            t(b, n, &n.child),
            q(b, &n.val)
        ));
        s.push(format!(
            "CREATE TABLE {} ({} {text})",
            t(b, n, &n.missing),
            q(b, &n.mcol)
        ));
    } else {
        s.push(format!(
            "CREATE TABLE {} ({} {text})",
            t(b, n, &n.orphan),
            q(b, &n.ocol)
        ));
        s.push(format!("INSERT INTO {} VALUES (1, 1)", t(b, n, &n.parent)));
        s.push(format!(
            "INSERT INTO {} ({}, {}, {}, {}, {}) VALUES (1, 1, 5, {}, {})",
            t(b, n, &n.child),
            q(b, &n.cpk),
            q(b, &n.refc),
            q(b, &n.val),
            q(b, &n.mood),
            q(b, &n.extra),
            lit(b, &n.labels[0]),
            lit(b, "kept")
        ));
        s.push(format!(
            "INSERT INTO {} VALUES ({})",
            t(b, n, &n.orphan),
            lit(b, "orphan row")
        ));
    }
    s.join(";\n") + ";\n"
}

/// The schema key objects of a snapshot live under.
fn schema_key(b: Backend, n: &Names, snap: &Snapshot) -> String {
    match b {
        Backend::Postgres => n.schema.clone(),
        Backend::Mysql | Backend::Sqlite => snap.schemas.keys().next().cloned().unwrap_or_default(),
    }
}

fn keys<V>(m: &BTreeMap<String, V>) -> Vec<&str> {
    m.keys().map(String::as_str).collect()
}

fn sorted(mut v: Vec<&str>) -> Vec<&str> {
    v.sort();
    v
}

/// The names the expected database was created with are the names its
/// snapshot holds, byte for byte.
fn assert_introspected_exactly(
    b: Backend,
    n: &Names,
    e: &Snapshot,
    a: &Snapshot,
) -> Result<(), String> {
    let s = schema_key(b, n, e);
    let schema = e
        .schemas
        .get(&s)
        .ok_or_else(|| format!("schema {s:?} not in {:?}", keys(&e.schemas)))?;
    // PostgreSQL: the canary lives in `public`, the rest in the hostile schema.
    let mut want_tables = vec![n.parent.as_str(), &n.child, &n.missing];
    if b != Backend::Postgres {
        want_tables.push("canary");
    }
    check_eq("tables", &keys(&schema.tables), &sorted(want_tables))?;
    let child = &schema.tables[&n.child];
    let mut want_cols = vec![n.cpk.as_str(), &n.refc, &n.val, &n.mood, &n.val2, &n.note];
    want_cols.sort();
    check_eq("child columns", &keys(&child.columns), &want_cols)?;
    check_eq(
        "child indexes",
        &keys(&child.indexes)
            .into_iter()
            .filter(|i| *i == n.ix)
            .collect::<Vec<_>>(),
        &vec![n.ix.as_str()],
    )?;
    check_eq("child checks", &keys(&child.checks), &vec![n.ck.as_str()])?;
    check_eq(
        "child foreign keys",
        &keys(&child.foreign_keys),
        &vec![n.fk.as_str()],
    )?;
    let fk = &child.foreign_keys[&n.fk];
    check_eq("fk columns", &fk.columns, &vec![n.refc.clone()])?;
    check_eq("fk referenced table", &fk.ref_table, &n.parent)?;
    check_eq(
        "fk referenced columns",
        &fk.ref_columns,
        &vec![n.pk.clone()],
    )?;
    let parent = &schema.tables[&n.parent];
    check_eq(
        "parent columns",
        &keys(&parent.columns),
        &sorted(vec![&n.pk, &n.u]),
    )?;
    check_eq(
        "parent uniques",
        &keys(&parent.uniques),
        &vec![n.uq.as_str()],
    )?;
    check_eq(
        "unique columns",
        &parent.uniques[&n.uq].columns,
        &vec![n.u.clone()],
    )?;
    check_eq(
        "missing table columns",
        &keys(&schema.tables[&n.missing].columns),
        &vec![n.mcol.as_str()],
    )?;
    match b {
        Backend::Postgres => {
            check_eq("enums", &keys(&schema.enums), &vec![n.enum_type.as_str()])?;
            check_eq(
                "enum labels",
                &schema.enums[&n.enum_type].labels,
                &n.labels.to_vec(),
            )?;
        }
        Backend::Mysql => {
            let ty = &child.columns[&n.mood].data_type;
            // MariaDB spells labels with `''`, `\\`, `\n` and `\r`.
            let spell = |l: &str| {
                format!(
                    "'{}'",
                    l.replace('\\', "\\\\")
                        .replace('\'', "''")
                        .replace('\n', "\\n")
                        .replace('\r', "\\r")
                )
            };
            let want = format!(
                "enum({})",
                n.labels
                    .iter()
                    .map(|l| spell(l))
                    .collect::<Vec<_>>()
                    .join(",")
            );
            check_eq("enum column type", ty, &want)?;
        }
        Backend::Sqlite => {}
    }
    // The drifted side: its orphans, by their exact names.
    let sa = schema_key(b, n, a);
    let schema = a
        .schemas
        .get(&sa)
        .ok_or_else(|| format!("schema {sa:?} not in the actual snapshot"))?;
    let orphan = schema.tables.get(&n.orphan).ok_or_else(|| {
        format!(
            "orphan table {:?} not in {:?}",
            n.orphan,
            keys(&schema.tables)
        )
    })?;
    check_eq(
        "orphan table columns",
        &keys(&orphan.columns),
        &vec![n.ocol.as_str()],
    )?;
    let child = schema.tables.get(&n.child).ok_or("child table missing")?;
    if !child.columns.contains_key(&n.extra) {
        return Err(format!(
            "orphan column {:?} not in {:?}",
            n.extra,
            keys(&child.columns)
        ));
    }
    Ok(())
}

fn check_eq<T: PartialEq + std::fmt::Debug + ?Sized>(
    what: &str,
    got: &T,
    want: &T,
) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: introspected {got:?}, created {want:?}"))
    }
}

/// The findings the drift must produce, each naming its object exactly.
fn assert_reported_exactly(
    b: Backend,
    n: &Names,
    schema: &str,
    found: &[driftless_rules::Finding],
) -> Result<(), String> {
    use ObjectKind as K;
    let part = |k: K, table: &str, name: &str| ObjectRef::table_part(k, schema, table, name);
    let mut want = vec![
        ("missing-table", ObjectRef::table(schema, &n.missing)),
        ("orphan-table", ObjectRef::table(schema, &n.orphan)),
        ("missing-column", part(K::Column, &n.child, &n.val2)),
        ("orphan-column", part(K::Column, &n.child, &n.extra)),
        ("missing-index", part(K::Index, &n.child, &n.ix)),
        ("missing-unique", part(K::Unique, &n.parent, &n.uq)),
        ("missing-check", part(K::Check, &n.child, &n.ck)),
        ("missing-foreign-key", part(K::ForeignKey, &n.child, &n.fk)),
        ("column-type-mismatch", part(K::Column, &n.child, &n.val)),
        ("nullability-mismatch", part(K::Column, &n.child, &n.val)),
        ("default-mismatch", part(K::Column, &n.child, &n.note)),
    ];
    match b {
        Backend::Postgres => want.push((
            "enum-mismatch",
            ObjectRef::schema_object(K::Enum, schema, Some(&n.enum_type)),
        )),
        Backend::Mysql => want.push(("column-type-mismatch", part(K::Column, &n.child, &n.mood))),
        Backend::Sqlite => {}
    }
    for (rule, object) in &want {
        if !found.iter().any(|f| f.rule == *rule && f.object == *object) {
            return Err(format!(
                "no {rule} finding for {object:?}; found:\n{}",
                describe_objects(found)
            ));
        }
    }
    Ok(())
}

fn describe_objects(found: &[driftless_rules::Finding]) -> String {
    found
        .iter()
        .map(|f| format!("  {} {:?}", f.rule, f.object))
        .collect::<Vec<_>>()
        .join("\n")
}

fn plan_options() -> PlanOptions {
    PlanOptions::default()
        .with_orphans(Orphans::Quarantine)
        .with_allow(Safety::DataLoss)
}

async fn canary_intact(db: &TestDb) -> Result<(), String> {
    match db.try_exec("SELECT id FROM canary").await {
        Ok(()) => {}
        Err(e) => return Err(format!("canary table gone: {e}")),
    }
    let n = db.scalar_i64("SELECT count(*) FROM canary").await;
    if n == 1 {
        Ok(())
    } else {
        Err(format!("canary table has {n} rows"))
    }
}

/// Runs `sql` (a whole rendered document) on `db`; then the rules must
/// report nothing against `expected`, and the canary must be intact.
async fn run_rendered(
    db: &TestDb,
    what: &str,
    sql: &str,
    expected: &Snapshot,
) -> Result<(), String> {
    db.try_exec(sql)
        .await
        .map_err(|e| format!("{what} failed: {e}\n{sql}"))?;
    canary_intact(db)
        .await
        .map_err(|e| format!("{what}: {e}\n{sql}"))?;
    let after = snapshot(db).await;
    let left = findings(expected, &after);
    if !left.is_empty() {
        return Err(format!(
            "{what} did not converge:\n{}\n{sql}",
            describe(&left)
        ));
    }
    Ok(())
}

/// One case: create both databases, check introspection and findings,
/// apply the plan, run the guarded script and the plain SQL on copies.
async fn case(b: Backend, n: &Names, rendered: bool) -> Result<(), String> {
    let expected_db = db_with(b, &ddl(b, n, true)).await;
    let expected = snapshot(&expected_db).await;
    let expected_url = expected_db.url.clone();
    let actual_sql = ddl(b, n, false);
    let db = TestDb::new(b).await;
    db.try_exec(&actual_sql)
        .await
        .map_err(|e| format!("creating the drifted database: {e}\n{actual_sql}"))?;
    let actual = snapshot(&db).await;
    assert_introspected_exactly(b, n, &expected, &actual)?;
    let found = findings(&expected, &actual);
    let schema = schema_key(b, n, &actual);
    assert_reported_exactly(b, n, &schema, &found)?;

    let options = plan_options();
    let plan = driftless_fixer::plan(&expected, &actual, &found, &options)
        .map_err(|e| format!("plan: {e}"))?;
    if !plan.unfixed.is_empty() || !plan.withheld.is_empty() {
        return Err(format!("plan leaves findings:\n{}", plan.to_sql()));
    }
    let fixed = fix(&db, &expected, &options)
        .await
        .map_err(|e| format!("apply failed: {e}\n{}", plan.to_sql()))?;
    if !fixed.left.is_empty() {
        return Err(format!(
            "apply did not converge:\n{}\n{}",
            describe(&fixed.left),
            fixed.plan.to_sql()
        ));
    }
    canary_intact(&db)
        .await
        .map_err(|e| format!("apply: {e}\n{}", plan.to_sql()))?;
    // Kept data survives (the SQLite rebuild copies it by column name).
    let kept = db
        .scalar_i64(&format!(
            "SELECT count(*) FROM {} WHERE {} = 5",
            t(b, n, &n.child),
            q(b, &n.val)
        ))
        .await;
    if kept != 1 {
        return Err(format!(
            "the child row is gone after apply\n{}",
            fixed.plan.to_sql()
        ));
    }
    // A rerun has nothing to do.
    let again = fix(&db, &expected, &options)
        .await
        .map_err(|e| format!("rerun: {e}"))?;
    if !again.plan.steps.is_empty() {
        return Err(format!("rerun plans again:\n{}", again.plan.to_sql()));
    }
    let planned_name = db.name.clone();
    drop(db);

    replay_and_ledger(b, n, &expected, &expected_url).await?;
    schema_filters(b, n, &expected_db).await?;
    drop(expected_db);

    if rendered {
        // Copies of the drifted database. The rendered SQL names the
        // database it was planned for (MySQL: the database itself), so on
        // MySQL the copies take that name.
        let copy = || async {
            match b {
                Backend::Mysql => TestDb::mysql_named(&planned_name).await,
                _ => TestDb::new(b).await,
            }
        };
        let script = plan.to_script(&ApplyOptions::default());
        let db = copy().await;
        db.exec(&actual_sql).await;
        run_rendered(&db, "guarded script", &script, &expected).await?;
        if b != Backend::Sqlite {
            // Guarded: a second run changes nothing and fails nothing.
            run_rendered(&db, "guarded script (second run)", &script, &expected).await?;
        }
        drop(db);
        let sql = render_plain(b, &plan);
        let db = copy().await;
        db.exec(&actual_sql).await;
        run_rendered(&db, "plain SQL", &sql, &expected).await?;
    }
    Ok(())
}

/// The expected DDL as a migration file with a hostile description:
/// replayed (statement by statement, so the splitter must see through
/// every quote) twice into one dev database (the second replay empties
/// the hostile objects of the first), it gives the expected schema. Then
/// the migration is recorded in a sqlx ledger in the hostile schema and
/// read back.
async fn replay_and_ledger(
    b: Backend,
    n: &Names,
    expected: &Snapshot,
    expected_url: &str,
) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let description: String = n
        .extra
        .chars()
        .filter(|c| !matches!(c, '/' | '\n' | '\r' | '\0'))
        .collect();
    let file = format!("1_{description}.sql");
    std::fs::write(dir.path().join(&file), ddl(b, n, true))
        .map_err(|e| format!("writing {file:?}: {e}"))?;
    let set = load_migrations(dir.path()).map_err(|e| format!("loading {file:?}: {e}"))?;
    if set.ids() != ["1"] {
        return Err(format!("{file:?} read as {:?}", set.ids()));
    }
    let target = DbUrl::parse(expected_url).unwrap();
    let dev = match b {
        Backend::Sqlite => None,
        _ => Some(TestDb::new(b).await),
    };
    let mut options = ReplayOptions::default().with_target(target);
    if let Some(dev) = &dev {
        options = options.with_dev_url(DbUrl::parse(&dev.url).unwrap());
    }
    for round in ["first", "second"] {
        let replayed = replay(&set, &options)
            .await
            .map_err(|e| format!("{round} replay of {file:?}: {e}"))?;
        let left = findings(expected, &replayed.snapshot);
        if !left.is_empty() {
            return Err(format!(
                "{round} replay differs from the database:\n{}",
                describe(&left)
            ));
        }
    }
    // The sqlx ledger, in the hostile schema on PostgreSQL.
    let db = TestDb::new(b).await;
    let (schema_sql, ledger_ddl) = match b {
        Backend::Postgres => (
            format!("CREATE SCHEMA {};\n", q(b, &n.schema)),
            "version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL",
        ),
        _ => (
            String::new(),
            "version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, checksum BLOB NOT NULL, execution_time BIGINT NOT NULL",
        ),
    };
    db.exec(&format!(
        "{schema_sql}CREATE TABLE {} ({ledger_ddl})",
        t(b, n, "_sqlx_migrations")
    ))
    .await;
    let mut c = open(&db).await;
    let schema = match b {
        Backend::Postgres => n.schema.clone(),
        Backend::Mysql => db.name.clone(),
        Backend::Sqlite => "main".to_string(),
    };
    let table = LedgerTable {
        kind: LedgerKind::Sqlx,
        schema: schema.clone(),
        table: "_sqlx_migrations".into(),
        wide_versions: false,
    };
    for sql in record_statements(&table, c.dialect(), &set.migrations[0], 7)
        .map_err(|e| format!("record: {e}"))?
    {
        c.execute(&sql, "recording")
            .await
            .map_err(|e| format!("recording the migration: {e}\n{sql}"))?;
    }
    let ledgers = read_ledgers(&mut c)
        .await
        .map_err(|e| format!("reading the ledger: {e}"))?;
    c.close().await.unwrap();
    let [ledger] = ledgers.as_slice() else {
        return Err(format!("ledgers read: {ledgers:?}"));
    };
    if ledger.table.schema != schema
        || ledger.entries.len() != 1
        || ledger.entries[0].name.as_deref() != Some(set.migrations[0].name.as_str())
    {
        return Err(format!(
            "ledger read back as {ledger:?}, recorded {:?}",
            set.migrations[0].name
        ));
    }
    let status = migration_status(&set, Some(ledger));
    if status.len() != 1 || status[0].state != MigrationState::Applied {
        return Err(format!("status after recording: {status:?}"));
    }
    Ok(())
}

/// Introspection restricted to schemas: the hostile schema on PostgreSQL
/// reads exactly its objects; hostile names of schemas that do not exist
/// read nothing (or fail cleanly) and inject nothing.
async fn schema_filters(b: Backend, n: &Names, db: &TestDb) -> Result<(), String> {
    let url = DbUrl::parse(&db.url).unwrap();
    if b == Backend::Postgres {
        let mut c = Database::connect(&url, &ConnectOptions::read_only())
            .await
            .unwrap();
        let only = c
            .snapshot(&IntrospectOptions::default().with_schemas([n.schema.clone()]))
            .await
            .map_err(|e| format!("snapshot of schema {:?}: {e}", n.schema))?;
        c.close().await.unwrap();
        if only.schemas.keys().collect::<Vec<_>>() != [&n.schema]
            || only.schemas[&n.schema].tables.len() != 3
        {
            return Err(format!(
                "snapshot of schema {:?} holds {:?}",
                n.schema,
                only.schemas.keys()
            ));
        }
    }
    for hostile in [
        n.ck.as_str(),
        "x'); DROP TABLE canary; --",
        "x\"; DROP TABLE canary; --",
        "x`; DROP TABLE canary; --",
        "%",
        "_",
    ] {
        let mut c = Database::connect(&url, &ConnectOptions::read_only())
            .await
            .unwrap();
        let got = c
            .snapshot(&IntrospectOptions::default().with_schemas([hostile.to_string()]))
            .await;
        let _ = c.close().await;
        if let Ok(s) = got {
            if s.schemas.values().any(|s| !s.tables.is_empty()) {
                return Err(format!(
                    "schema filter {hostile:?} read tables: {:?}",
                    s.schemas.keys()
                ));
            }
        }
    }
    canary_intact(db).await
}

/// The plain SQL as a user runs it. On SQLite, a rebuild needs foreign keys
/// off, which the plain SQL (no transaction control) leaves to the caller.
fn render_plain(b: Backend, plan: &FixPlan) -> String {
    match b {
        Backend::Sqlite => format!("PRAGMA foreign_keys = OFF;\n{}", plan.to_sql()),
        _ => plan.to_sql(),
    }
}

// ---- statistics for the report.

static STATS: Mutex<BTreeMap<(String, &'static str), usize>> = Mutex::new(BTreeMap::new());

fn categories(b: Backend, name: &str) -> Vec<&'static str> {
    let mut c = Vec::new();
    let has = |p: &str| name.contains(p);
    if has("\"") {
        c.push("double quote");
    }
    if has("`") {
        c.push("backtick");
    }
    if has("'") {
        c.push("single quote");
    }
    if has(";") {
        c.push("semicolon");
    }
    if has("--") {
        c.push("-- comment");
    }
    if has("/*") {
        c.push("/* comment");
    }
    if has("\\") {
        c.push("backslash");
    }
    if has("$") {
        c.push("dollar");
    }
    if !name.is_ascii() {
        c.push("unicode");
    }
    if has("\u{301}") {
        c.push("combining mark");
    }
    if name.chars().any(|ch| u32::from(ch) >= 0x1F000) {
        c.push("emoji");
    }
    if name.starts_with(|ch: char| ch.is_ascii_digit()) {
        c.push("leading digit");
    }
    let lower = name.to_lowercase();
    if [
        "select",
        "table",
        "order",
        "user",
        "group",
        "from",
        "where",
        "index",
        "key",
        "check",
        "constraint",
        "default",
        "null",
    ]
    .iter()
    .any(|w| lower.contains(w))
    {
        c.push("reserved word");
    }
    if name.starts_with(char::is_whitespace) {
        c.push("leading whitespace");
    }
    if name.ends_with(char::is_whitespace) {
        c.push("trailing whitespace");
    }
    if name.trim().contains(char::is_whitespace) {
        c.push("inner whitespace");
    }
    if length(b, name) == limit(b).0 {
        c.push("maximum length");
    }
    c
}

fn record(b: Backend, n: &Names) {
    let mut stats = STATS.lock().unwrap_or_else(|e| e.into_inner());
    let key = format!("{b:?}");
    for name in n.all() {
        *stats.entry((key.clone(), "names")).or_default() += 1;
        for c in categories(b, name) {
            *stats.entry((key.clone(), c)).or_default() += 1;
        }
    }
}

fn print_stats(b: Backend) {
    let stats = STATS.lock().unwrap_or_else(|e| e.into_inner());
    let key = format!("{b:?}");
    let line = stats
        .iter()
        .filter(|((k, _), _)| *k == key)
        .map(|((_, c), v)| format!("{c}: {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    eprintln!("hostile identifiers on {b:?}: {line}");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn proptest_backend(b: Backend, cases: u32) {
    let rt = runtime();
    // PROPTEST_CASES overrides the modest default for a longer hunt.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(cases);
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        max_shrink_iters: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let strategy = (prop::collection::vec(recipe(), NAME_COUNT), any::<bool>());
    let result = runner.run(&strategy, |(recipes, reorder)| {
        let n = Names::from_recipes(b, &recipes, reorder);
        record(b, &n);
        rt.block_on(case(b, &n, true))
            .map_err(|e| TestCaseError::fail(format!("{e}\nnames: {n:#?}")))
    });
    print_stats(b);
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn proptest_postgres() {
    proptest_backend(Backend::Postgres, 5);
}

#[test]
fn proptest_mariadb() {
    proptest_backend(Backend::Mysql, 24);
}

#[test]
fn proptest_sqlite() {
    proptest_backend(Backend::Sqlite, 96);
}

// ---- fixed regression cases: every name of a case built the same way.

/// (prefix pieces, suffix pieces, padded to the maximum length, enum reordered)
type Shape = (&'static [&'static str], &'static [&'static str], bool, bool);

const SHAPES: &[Shape] = &[
    // `"; DROP TABLE canary; --` and its single-quote form in every name.
    (
        &["\"; DROP TABLE canary; --"],
        &["'); DROP TABLE canary; --"],
        false,
        false,
    ),
    // Backtick injection, comment starts, backslash, the script's dollar tag.
    (
        &["`; DROP TABLE canary; --"],
        &["/*", "\\", "$driftless$"],
        false,
        true,
    ),
    // Combining marks, CJK and emoji, padded to exactly the maximum length.
    (&["e\u{301}", "名前", "\u{1F600}"], &["Ω"], true, false),
    // Reserved words and leading, inner and trailing whitespace.
    (&[" ", "select"], &["\t", "from", " "], false, true),
    // A leading digit and a line break, at the maximum length.
    (&["1", "table"], &["\r\n"], true, false),
    // Dollar quotes, escapes, placeholders and LIKE wildcards.
    (&["$$", "\\'"], &["$1", "?", ":x", "%", "_"], false, false),
];

fn shaped(b: Backend, shape: &Shape) -> Names {
    let index = |p: &str| PIECES.iter().position(|x| *x == p).unwrap();
    let r = Recipe {
        prefix: shape.0.iter().map(|p| index(p)).collect(),
        suffix: shape.1.iter().map(|p| index(p)).collect(),
        full_length: shape.2,
    };
    Names::from_recipes(b, &vec![r; NAME_COUNT], shape.3)
}

fn regressions(b: Backend) {
    let rt = runtime();
    for shape in SHAPES {
        let n = shaped(b, shape);
        record(b, &n);
        if let Err(e) = rt.block_on(case(b, &n, true)) {
            panic!("{e}\nnames: {n:#?}");
        }
    }
    print_stats(b);
}

#[test]
fn regressions_postgres() {
    regressions(Backend::Postgres);
}

#[test]
fn regressions_mariadb() {
    regressions(Backend::Mysql);
}

#[test]
fn regressions_sqlite() {
    regressions(Backend::Sqlite);
}

/// MariaDB spells an enum label holding a line break `'a\nb'` in its
/// column type; the fixer read it as `anb`, so the preflight of an enum
/// change counted rows holding that (kept) label as lost.
#[test]
fn regression_mysql_enum_label_with_newline_is_not_counted_as_lost() {
    runtime().block_on(async {
        let expected_db = db_with(Backend::Mysql, "CREATE TABLE t (id int PRIMARY KEY, m enum('a\\nb','d'))").await;
        let expected = snapshot(&expected_db).await;
        let db = db_with(
            Backend::Mysql,
            "CREATE TABLE t (id int PRIMARY KEY, m enum('a\\nb','c')); INSERT INTO t VALUES (1, 'a\\nb')",
        )
        .await;
        let mut c = open(&db).await;
        let actual = c.snapshot(&IntrospectOptions::default()).await.unwrap();
        let f = findings(&expected, &actual);
        let mut plan = driftless_fixer::plan(&expected, &actual, &f, &plan_options()).unwrap();
        let outcomes = driftless_fixer::preflight(&mut c, &mut plan).await.unwrap();
        c.close().await.unwrap();
        let lost: u64 = outcomes.iter().map(|o| o.rows).sum();
        assert_eq!(lost, 0, "{outcomes:?}\n{}", plan.to_sql());
        let fixed = fix(&db, &expected, &plan_options()).await.unwrap();
        assert!(fixed.left.is_empty(), "{}", describe(&fixed.left));
        assert_eq!(db.scalar_i64("SELECT count(*) FROM t WHERE m = 'a\\nb'").await, 1);
    });
}

/// A PostgreSQL default holding a backslash right before a quote
/// (`'a\''b'`, as the catalog prints it) was refused by the fixer as an
/// unterminated string. It must also keep its meaning on a database whose
/// sessions default to `standard_conforming_strings = off`, where the same
/// text would end the literal elsewhere: apply and the guarded script pin
/// the setting.
#[test]
fn regression_postgres_default_with_backslash_and_quote() {
    runtime().block_on(async {
        let ddl = "CREATE TABLE canary (id int); CREATE TABLE t (id int PRIMARY KEY, note text DEFAULT E'a\\\\''b; DROP TABLE canary; --')";
        let expected_db = db_with(Backend::Postgres, ddl).await;
        let expected = snapshot(&expected_db).await;
        let default = expected.table("public", "t").unwrap().columns["note"].default.clone();
        assert_eq!(default.as_deref(), Some("'a\\''b; DROP TABLE canary; --'::text"));
        let setup = |db: &TestDb| {
            format!(
                "CREATE TABLE canary (id int); INSERT INTO canary VALUES (1); \
                 CREATE TABLE t (id int PRIMARY KEY, note text); \
                 ALTER DATABASE \"{}\" SET standard_conforming_strings = off",
                db.name
            )
        };
        let db = TestDb::postgres().await;
        db.exec(&setup(&db)).await;
        let fixed = fix(&db, &expected, &plan_options()).await.unwrap();
        assert!(fixed.left.is_empty(), "{}", describe(&fixed.left));
        canary_intact(&db).await.unwrap();
        db.exec("INSERT INTO t (id) VALUES (1)").await;
        let note = rows(&db, "SELECT note FROM t").await;
        assert_eq!(note, vec![vec![driftless_introspect::Value::Text("a\\'b; DROP TABLE canary; --".into())]]);

        // The guarded script, run by a session with the setting off.
        let script = fixed.plan.to_script(&ApplyOptions::default());
        let db = TestDb::postgres().await;
        db.exec(&setup(&db)).await;
        db.exec(&script).await;
        canary_intact(&db).await.unwrap();
        let after = snapshot(&db).await;
        assert!(findings(&expected, &after).is_empty(), "{script}");
    });
}
