//! Migration-replay part of the benchmark (`bench/bench.py --only
//! migrations`): the same migrations replayed with and without provenance,
//! in this process, so the two figures differ only by what provenance
//! costs.
//!
//! ```sh
//! cargo run --release -p driftless-examples --example bench_replay -- DIR [DEV_URL]
//! ```
//!
//! `DIR` is a migration folder; `DEV_URL` the scratch database (default
//! SQLite in memory), which is emptied. Prints one JSON object:
//! `{"plain_s", "provenance_s", "migrations", "tables", "scoped_reads",
//! "full_reads", "shared", "replayed_in_full"}` (best of three runs each; the reads
//! are those provenance made).

use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use driftless_introspect::DbUrl;
use driftless_migrations::{load_migrations, replay, ReplayOptions};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, dev) = match args.as_slice() {
        [dir] => (dir, None),
        [dir, dev] => (dir, Some(DbUrl::parse(dev).context("dev URL")?)),
        _ => anyhow::bail!("usage: bench_replay DIR [DEV_URL]"),
    };
    let set = load_migrations(Path::new(dir)).context("migrations")?;
    let mut options = ReplayOptions::default();
    if let Some(dev) = dev {
        options = options.with_dev_url(dev);
    }
    let mut best = [f64::MAX; 2];
    let mut tables = 0;
    let mut reads = None;
    for _ in 0..3 {
        for (i, provenance) in [false, true].into_iter().enumerate() {
            let o = options.clone().with_provenance(provenance);
            let start = Instant::now();
            let r = replay(&set, &o).await?;
            best[i] = best[i].min(start.elapsed().as_secs_f64());
            tables = r.snapshot.counts().tables;
            if provenance {
                reads = Some(r.reads);
            }
        }
    }
    let reads = reads.unwrap_or_default();
    println!(
        "{{\"plain_s\": {:.3}, \"provenance_s\": {:.3}, \"migrations\": {}, \"tables\": {tables}, \
         \"scoped_reads\": {}, \"full_reads\": {}, \"shared\": {}, \"replayed_in_full\": {}}}",
        best[0],
        best[1],
        set.migrations.len(),
        reads.scoped,
        reads.full,
        reads.shared,
        reads.replayed_in_full
    );
    Ok(())
}
