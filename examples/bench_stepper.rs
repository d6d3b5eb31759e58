//! Stepper part of the benchmark (`bench/bench.py --only stepper`): where
//! the time of stepping through a Django or Alembic project goes, the
//! framework's steps against driftless's reads between them.
//!
//! ```sh
//! cargo run --release -p driftless-examples --example bench_stepper -- PROJECT PYTHON [DEV_URL]
//! ```
//!
//! `PROJECT` holds `manage.py` (or `alembic.ini`); `DEV_URL` is the
//! scratch database (default a temporary SQLite file), which is emptied.
//! Prints one JSON object: `{"total_s", "steps_s", "reads_s",
//! "migrations", "statements", "scoped_reads", "full_reads",
//! "replayed_in_full"}` (`steps_s`: the framework applying migrations,
//! round trips included; `reads_s`: the rest, reads and start-up).

use std::path::Path;

use anyhow::Context as _;
use driftless_introspect::DbUrl;
use driftless_migrations::{replay_framework, Framework, ReplayOptions};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (project, python, dev) = match args.as_slice() {
        [p, py] => (p, py, None),
        [p, py, dev] => (p, py, Some(DbUrl::parse(dev).context("dev URL")?)),
        _ => anyhow::bail!("usage: bench_stepper PROJECT PYTHON [DEV_URL]"),
    };
    let framework = if Path::new(project).join("alembic.ini").is_file() {
        Framework::alembic(project, python)
    } else {
        Framework::django(project, python)
    };
    let mut options = ReplayOptions::default();
    if let Some(dev) = dev {
        options = options.with_dev_url(dev);
    }
    let r = replay_framework(&framework, &options).await?.replay;
    let total = r.elapsed.as_secs_f64();
    let steps: f64 = r.steps.iter().map(|s| s.elapsed.as_secs_f64()).sum();
    let statements: usize = r.steps.iter().map(|s| s.statements).sum();
    println!(
        "{{\"total_s\": {total:.3}, \"steps_s\": {steps:.3}, \"reads_s\": {:.3}, \"migrations\": {}, \
         \"statements\": {statements}, \"scoped_reads\": {}, \"full_reads\": {}, \"replayed_in_full\": {}}}",
        total - steps,
        r.steps.len(),
        r.reads.scoped,
        r.reads.full,
        r.reads.replayed_in_full
    );
    Ok(())
}
