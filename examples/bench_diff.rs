//! In-memory part of the benchmark (`bench/bench.py`): diff + rules and fix
//! planning between two snapshot files, with no database involved.
//!
//! ```sh
//! cargo run --release -p driftless-examples --example bench_diff -- expected.json actual.json
//! ```
//!
//! Prints one JSON object: `{"rules_ms", "findings", "plan_ms", "steps", "tables", "columns"}`
//! (best of five runs each).

use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use driftless_fixer::{plan, PlanOptions, Safety};
use driftless_model::Snapshot;
use driftless_rules::{Config, Context, Date, Registry};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [expected, actual] = args.as_slice() else {
        anyhow::bail!("usage: bench_diff EXPECTED.json ACTUAL.json");
    };
    let expected = Snapshot::load(Path::new(expected)).context("expected snapshot")?;
    let actual = Snapshot::load(Path::new(actual)).context("actual snapshot")?;
    let registry = Registry::builtin();
    let config = Config::default();
    let today = Date::from_ymd(2026, 1, 1).context("date")?;

    let mut best_rules = f64::MAX;
    let mut findings = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let cx = Context::new(&expected, &actual).with_today(today);
        findings = registry.check(&config, &cx).findings;
        best_rules = best_rules.min(start.elapsed().as_secs_f64() * 1e3);
    }
    let options = PlanOptions::default().with_allow(Safety::DataLoss);
    let mut best_plan = f64::MAX;
    let mut steps = 0;
    for _ in 0..5 {
        let start = Instant::now();
        let fix = plan(&expected, &actual, &findings, &options)?;
        best_plan = best_plan.min(start.elapsed().as_secs_f64() * 1e3);
        steps = fix.steps.len();
    }
    let counts = expected.counts();
    println!(
        "{{\"rules_ms\": {best_rules:.3}, \"findings\": {}, \"plan_ms\": {best_plan:.3}, \"steps\": {steps}, \"tables\": {}, \"columns\": {}}}",
        findings.len(),
        counts.tables,
        counts.columns
    );
    Ok(())
}
