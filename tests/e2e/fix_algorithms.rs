//! MariaDB column changes on a table above the online threshold: the
//! plan's hazard says which `ALTER TABLE` algorithm the server can use
//! (INSTANT, INPLACE with `LOCK=NONE`, COPY), and the server then does
//! exactly that: the same statement tried on a copy of the table with
//! `ALGORITHM=INSTANT`, then `ALGORITHM=INPLACE, LOCK=NONE`. The in-place
//! classes apply without `--allow-table-copy`; the copies are refused
//! before anything changes, and apply with it.

use crate::support::*;

use driftless_fixer::{AlterAlgorithm, ApplyError, ApplyOptions, FixPlan, PlanOptions, Safety};
use driftless_model::OptIn;
use driftless_testkit::{Backend, TestDb};

use AlterAlgorithm::*;

/// Rows in each table: a few hundred KiB, above [`THRESHOLD`].
const ROWS: u32 = 5_000;
/// The online threshold of the plans.
const THRESHOLD: u64 = 64 << 10;

/// One change: `c` as it is (its definition, and the value each row gets)
/// and as it should be, and the algorithm it needs.
struct Change {
    what: &'static str,
    actual: &'static str,
    value: &'static str,
    expected: &'static str,
    algorithm: AlterAlgorithm,
}

const fn change(
    what: &'static str,
    actual: &'static str,
    value: &'static str,
    expected: &'static str,
    algorithm: AlterAlgorithm,
) -> Change {
    Change {
        what,
        actual,
        value,
        expected,
        algorithm,
    }
}

/// `t` with column `c` (its definition, and more of the table's).
fn table(c: &str) -> String {
    format!("CREATE TABLE t (id int PRIMARY KEY, {c}, pad varchar(100));")
}

/// `t` with [`ROWS`] rows, `c` of each `value`.
fn filled(c: &str, value: &str) -> String {
    format!(
        "{}
INSERT INTO t (id, c, pad) SELECT seq, {value}, REPEAT('x', 100) FROM seq_1_to_{ROWS};
ANALYZE TABLE t;",
        table(c)
    )
}

/// The class a hazard states: its algorithm, else what its lock implies.
fn stated(plan: &FixPlan) -> AlterAlgorithm {
    let steps: Vec<_> = plan.steps.iter().filter(|s| s.hazard.is_some()).collect();
    assert_eq!(steps.len(), 1, "{:#?}", plan.steps);
    let (step, h) = (steps[0], steps[0].hazard.as_ref().unwrap());
    assert!(step.online, "above the threshold: {step:#?}");
    h.algorithm.unwrap_or(match (h.rewrites, h.scans) {
        (true, _) => Copy,
        (false, true) => Inplace,
        (false, false) => Instant,
    })
}

/// What the server does with the plan's `ALTER TABLE`, run on `probe` (a
/// copy of the table): the first of INSTANT and INPLACE it accepts, else
/// COPY.
async fn server_does(actual: &TestDb, probe: &TestDb, plan: &FixPlan) -> AlterAlgorithm {
    let alter = plan
        .steps
        .iter()
        .flat_map(|s| &s.sql)
        .find(|s| s.starts_with("ALTER TABLE"))
        .expect("an ALTER TABLE");
    let (from, to) = (format!("`{}`.", actual.name), format!("`{}`.", probe.name));
    assert!(alter.contains(&from), "{alter}");
    let alter = alter.replace(&from, &to);
    let mut db = open(probe).await;
    let mut done = Copy;
    for (algorithm, clause) in [
        (Instant, "ALGORITHM=INSTANT"),
        (Inplace, "ALGORITHM=INPLACE, LOCK=NONE"),
    ] {
        match db.execute(&format!("{alter}, {clause}"), "probe").await {
            Ok(_) => {
                done = algorithm;
                break;
            }
            Err(e) => {
                let code = e.code().and_then(|c| c.number());
                assert!(matches!(code, Some(1845 | 1846)), "{alter}, {clause}: {e}");
            }
        }
    }
    db.close().await.unwrap();
    done
}

async fn pins(c: &Change) {
    let what = c.what;
    let actual_sql = filled(c.actual, c.value);
    let actual = db_with(Backend::Mysql, &actual_sql).await;
    let probe = db_with(Backend::Mysql, &actual_sql).await;
    let expected = snapshot(&db_with(Backend::Mysql, &table(c.expected)).await).await;
    let options = PlanOptions::default()
        .with_online_threshold(Some(THRESHOLD))
        .with_allow(Safety::DataLoss)
        .with_accept_renames(true);
    let plan = check(&actual, &expected, OptIn::default())
        .await
        .plan(&options)
        .unwrap();
    let said = stated(&plan);
    assert_eq!(
        said, c.algorithm,
        "{what}: the plan says {said:?}: {:#?}",
        plan.steps
    );
    assert_eq!(
        server_does(&actual, &probe, &plan).await,
        said,
        "{what}: the server"
    );
    let before = snapshot(&actual).await;
    let run = fix_applying(
        &actual,
        &expected,
        &options,
        OptIn::default(),
        ApplyOptions::default(),
    )
    .await;
    match (said, run) {
        (
            Copy,
            Err(ApplyError::TableCopyRefused {
                applied_steps: 0, ..
            }),
        ) => {
            assert_eq!(snapshot(&actual).await, before, "{what}: nothing changed");
            let allowed = ApplyOptions::default().with_allow_table_copy(true);
            let run = fix_applying(&actual, &expected, &options, OptIn::default(), allowed).await;
            let fixed = run.unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(fixed.left.is_empty(), "{what}: {}", describe(&fixed.left));
        }
        (Instant | Inplace, Ok(fixed)) => {
            assert!(fixed.left.is_empty(), "{what}: {}", describe(&fixed.left));
        }
        (_, Err(e)) => panic!("{what}: {e}"),
        (_, Ok(_)) => panic!("{what}: a copy applied without permission"),
    }
    let rows = rows(&actual, "SELECT count(*) FROM t").await;
    assert_eq!(rows[0][0].as_i64(), Some(i64::from(ROWS)), "{what}");
}

const CHANGES: &[Change] = &[
    change(
        "default only",
        "c int DEFAULT 1",
        "seq",
        "c int DEFAULT 2",
        Instant,
    ),
    change(
        "comment only",
        "c int",
        "seq",
        "c int COMMENT 'units'",
        Instant,
    ),
    change(
        "the same type, another display width",
        "c int",
        "seq",
        "c int(10)",
        Instant,
    ),
    change("column rename", "c int", "seq", "d int", Instant),
    change(
        "index rename",
        "c int, KEY i1 (c)",
        "seq",
        "c int, KEY i2 (c)",
        Instant,
    ),
    change(
        "varchar widened, 80 to 240 bytes",
        "c varchar(20)",
        "'v'",
        "c varchar(60)",
        Instant,
    ),
    change(
        "varchar widened from 40 bytes past 255",
        "c varchar(10)",
        "'v'",
        "c varchar(100)",
        Instant,
    ),
    change(
        "enum value appended",
        "c enum('a','b')",
        "'a'",
        "c enum('a','b','c')",
        Instant,
    ),
    change(
        "collation of the same character set",
        "c varchar(20) COLLATE utf8mb4_unicode_ci",
        "'v'",
        "c varchar(20) COLLATE utf8mb4_bin",
        Instant,
    ),
    change(
        "NULL to NOT NULL",
        "c int",
        "seq",
        "c int NOT NULL",
        Inplace,
    ),
    change(
        "NOT NULL to NULL",
        "c int NOT NULL",
        "seq",
        "c int",
        Inplace,
    ),
    change(
        "varchar across 255 bytes",
        "c varchar(60)",
        "'v'",
        "c varchar(64)",
        Copy,
    ),
    change("narrowed", "c varchar(60)", "'v'", "c varchar(30)", Copy),
    change("int to bigint", "c int", "seq", "c bigint", Copy),
    change(
        "decimal precision",
        "c decimal(10,2)",
        "seq",
        "c decimal(12,2)",
        Copy,
    ),
    change(
        "enum value inserted",
        "c enum('a','b')",
        "'a'",
        "c enum('a','c','b')",
        Copy,
    ),
    change(
        "enum value removed",
        "c enum('a','b')",
        "'a'",
        "c enum('a')",
        Copy,
    ),
    change(
        "character set",
        "c varchar(20) CHARACTER SET latin1",
        "'v'",
        "c varchar(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
        Copy,
    ),
];

#[tokio::test]
async fn mariadb_plans_each_column_change_with_the_algorithm_the_server_uses() {
    for c in CHANGES {
        pins(c).await;
    }
}

#[tokio::test]
async fn mariadb_reindexes_a_collation_change_of_an_indexed_column_in_place() {
    pins(&change(
        "collation of an indexed column",
        "c varchar(20) COLLATE utf8mb4_unicode_ci, KEY c_idx (c)",
        "'v'",
        "c varchar(20) COLLATE utf8mb4_bin, KEY c_idx (c)",
        Inplace,
    ))
    .await;
}
