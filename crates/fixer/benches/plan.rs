//! Plan generation for a 5,000-table, 100,000-column snapshot pair with 10%
//! drift (`cargo bench -p driftless-fixer --bench plan`). Prints the time of
//! the rules' check (for scale), of planning, and of rendering.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use driftless_fixer::{plan, PlanOptions, Safety};
use driftless_model::{
    Column, Dialect, FkAction, ForeignKey, Index, IndexPart, PrimaryKey, Snapshot, Table,
};
use driftless_rules::{Config, Context, Registry};

const TABLES: usize = 5_000;
const COLUMNS: usize = 20;

fn table(i: usize) -> Table {
    let mut t = Table::default();
    t.columns.insert(
        "id".into(),
        Column {
            inherited: false,
            nullable: false,
            ..Column::new(1, "bigint")
        },
    );
    for c in 1..COLUMNS {
        let ty = match c % 4 {
            0 => "integer",
            1 => "character varying(100)",
            2 => "timestamp with time zone",
            _ => "numeric(12,2)",
        };
        let mut col = Column::new(c as u32 + 1, ty);
        col.nullable = c % 3 != 0;
        if c % 5 == 0 {
            col.default = Some("0".into());
        }
        t.columns.insert(format!("c{c}"), col);
    }
    t.primary_key = Some(PrimaryKey {
        deferrable: false,
        initially_deferred: false,
        name: format!("t{i}_pkey"),
        columns: vec!["id".into()],
        comment: None,
    });
    t.indexes.insert(
        format!("t{i}_c1_idx"),
        Index {
            parts: vec![IndexPart::column("c1")],
            unique: false,
            method: None,
            predicate: None,
            include: vec![],
            comment: None,
            ignored: false,
            storage: Vec::new(),
            nulls_not_distinct: false,
        },
    );
    if i > 0 {
        t.foreign_keys.insert(
            format!("t{i}_parent_fk"),
            ForeignKey {
                columns: vec!["c4".into()],
                ref_schema: "public".into(),
                ref_table: format!("t{}", i - 1),
                ref_columns: vec!["id".into()],
                on_delete: FkAction::NoAction,
                on_update: FkAction::NoAction,
                deferrable: false,
                initially_deferred: false,
                comment: None,
                match_full: false,
            },
        );
    }
    t
}

fn snapshots() -> (Snapshot, Snapshot) {
    let mut expected = Snapshot::new(Dialect::Postgres);
    let schema = expected.schemas.entry("public".into()).or_default();
    for i in 0..TABLES {
        schema.tables.insert(format!("t{i}"), table(i));
    }
    let mut actual = expected.clone();
    let tables = &mut actual.schemas.get_mut("public").unwrap().tables;
    // 10% of the tables drift, each in one of ten ways.
    for i in (0..TABLES).step_by(10) {
        let name = format!("t{i}");
        match (i / 10) % 10 {
            0 => {
                tables.remove(&name); // missing table
            }
            1 => {
                tables.get_mut(&name).unwrap().columns.remove("c7"); // missing column
            }
            2 => {
                tables
                    .get_mut(&name)
                    .unwrap()
                    .columns
                    .insert("avatar".into(), Column::new(99, "text")); // orphan column
            }
            3 => {
                tables
                    .get_mut(&name)
                    .unwrap()
                    .columns
                    .get_mut("c5")
                    .unwrap()
                    .data_type = "character varying(40)".into()
            }
            4 => {
                tables
                    .get_mut(&name)
                    .unwrap()
                    .columns
                    .get_mut("c3")
                    .unwrap()
                    .nullable = false
            }
            5 => {
                tables
                    .get_mut(&name)
                    .unwrap()
                    .columns
                    .get_mut("c10")
                    .unwrap()
                    .default = None
            }
            6 => {
                tables.get_mut(&name).unwrap().indexes.clear(); // missing index
            }
            7 => {
                let t = tables.get_mut(&name).unwrap();
                t.indexes.insert(
                    format!("{name}_extra"),
                    Index {
                        parts: vec![IndexPart::column("c2"), IndexPart::column("c3")],
                        unique: true,
                        method: None,
                        predicate: None,
                        include: vec![],
                        comment: None,
                        ignored: false,
                        storage: Vec::new(),
                        nulls_not_distinct: false,
                    },
                );
            }
            8 => {
                tables.get_mut(&name).unwrap().foreign_keys.clear(); // missing foreign key
            }
            _ => {
                tables.insert(format!("legacy_{i}"), table(i)); // orphan table
            }
        }
    }
    (expected, actual)
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let v = f();
    (v, t.elapsed())
}

fn main() {
    let ((expected, actual), build) = time(snapshots);
    let c = expected.counts();
    println!(
        "snapshot pair: {} tables, {} columns (expected side); built in {build:.2?}",
        c.tables, c.columns
    );
    let registry = Registry::builtin();
    let (findings, check) = time(|| {
        registry
            .check(&Config::default(), &Context::new(&expected, &actual))
            .findings
    });
    println!("rules check: {} findings in {check:.2?}", findings.len());
    let options = PlanOptions::default().with_allow(Safety::DataLoss);
    let mut best = Duration::MAX;
    let mut steps = 0;
    for _ in 0..5 {
        let (p, t) = time(|| plan(&expected, &actual, &findings, &options).unwrap());
        steps = p.steps.len();
        best = best.min(t);
    }
    println!("plan: {steps} steps in {best:.2?} (best of 5)");
    let p = plan(&expected, &actual, &findings, &options).unwrap();
    let (sql, render) = time(|| p.to_sql());
    let (script, script_t) = time(|| p.to_script(&Default::default()));
    println!(
        "render: SQL {} KiB in {render:.2?}, idempotent script {} KiB in {script_t:.2?}",
        sql.len() / 1024,
        script.len() / 1024
    );
}
