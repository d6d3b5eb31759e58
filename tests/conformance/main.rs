//! Conformance runner: converges a live PostgreSQL database onto each schema
//! pair of the corpus written by other projects
//! (`tests/conformance/corpus/postgres/migra`, the migra project's fixtures;
//! `$DRIFTLESS_CONFORMANCE_DIR` points elsewhere), and judges the result with an
//! independent catalog comparison (`fingerprint.rs`), not with driftless's
//! own introspection.
//!
//! `cargo test -p driftless-e2e --test conformance` prints one line per case
//! and the total; it fails when a case pinned in [`CONVERGING`] does not
//! converge (a regression fails even if another case starts converging),
//! when a case outside the list converges (pin it), or when driftless panics.
//! `DRIFTLESS_CONFORMANCE_VERBOSE=1` prints every remaining difference.
//!
//! The pinned cases then run again on every other supported PostgreSQL
//! version (`DRIFTLESS_TEST_POSTGRES_URLS`, driftless-testkit), both sides
//! of each case on the same server; each must converge there too.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod cases;
mod fingerprint;

use driftless_fixer::{apply, plan, ApplyOptions, Orphans, PlanOptions, Safety};
use driftless_introspect::{ConnectOptions, Database, DbUrl, IntrospectOptions};
use driftless_model::{OptIn, Snapshot};
use driftless_rules::{Config, Context, Registry};
use driftless_testkit::{PostgresServer, TestDb};

/// The cases that converge, by name: each must keep converging, and a
/// case that starts converging is added here.
const CONVERGING: &[&str] = &[
    "collations",
    "constraints",
    "dependencies",
    "dependencies2",
    "dependencies3",
    "dependencies4",
    "enumdefaults",
    "enumdeps",
    "everything",
    "excludeschema",
    "extversions",
    "generated",
    "generated_added",
    "identitycols",
    "inherit",
    "inherit2",
    "partitioning",
    "privileges",
    "rls",
    "rls2",
    "seq",
    "singleschema",
    "singleschema_ext",
    "triggers",
    "triggers2",
    "triggers3",
];

enum Outcome {
    Converged {
        steps: usize,
    },
    Differs {
        steps: usize,
        diffs: Vec<String>,
        findings_left: usize,
    },
    Failed {
        stage: &'static str,
        message: String,
    },
}

fn scope(mut snap: Snapshot, case: &cases::Case) -> Snapshot {
    snap.schemas.retain(|name, _| {
        (case.schemas.is_empty() || case.schemas.contains(name)) && !case.exclude.contains(name)
    });
    snap
}

/// A fresh database on `server`, by default the main test server.
async fn fresh_db(server: Option<&PostgresServer>) -> TestDb {
    match server {
        Some(server) => server.test_db().await,
        None => TestDb::postgres().await,
    }
}

async fn run(case: &cases::Case, server: Option<&PostgresServer>) -> Outcome {
    let (a, b) = (fresh_db(server).await, fresh_db(server).await);
    if let Err(e) = cases::ensure_roles(&a.url, &case.roles).await {
        return Outcome::Failed {
            stage: "create roles",
            message: e,
        };
    }
    if let Err(e) = cases::load_sql(&a.url, &case.dir.join("current.sql")) {
        return Outcome::Failed {
            stage: "load current.sql",
            message: e,
        };
    }
    if let Err(e) = cases::load_sql(&b.url, &case.dir.join("desired.sql")) {
        return Outcome::Failed {
            stage: "load desired.sql",
            message: e,
        };
    }
    let result: Result<Outcome, (&'static str, String)> = async {
        let mut db_a =
            Database::connect(&DbUrl::parse(&a.url).unwrap(), &ConnectOptions::default())
                .await
                .map_err(|e| ("connect", e.to_string()))?;
        let mut db_b =
            Database::connect(&DbUrl::parse(&b.url).unwrap(), &ConnectOptions::read_only())
                .await
                .map_err(|e| ("connect", e.to_string()))?;
        // The case's scope, as schema selection: every schema either side
        // has, less the excluded ones (or just the selected ones).
        let mut schemas: Vec<String> = case.schemas.clone();
        if schemas.is_empty() {
            let everything = IntrospectOptions::default();
            for db in [&mut db_a, &mut db_b] {
                let snap = db
                    .snapshot(&everything)
                    .await
                    .map_err(|e| ("introspect", e.to_string()))?;
                schemas.extend(
                    snap.schemas
                        .into_keys()
                        .filter(|s| !case.exclude.contains(s)),
                );
            }
            schemas.sort();
            schemas.dedup();
        }
        let opt_in = OptIn {
            extension_versions: case.extension_versions,
            ..OptIn::default()
        };
        let opts = IntrospectOptions::default()
            .with_schemas(schemas)
            .with_opt_in(opt_in);
        let expected = scope(
            db_b.snapshot(&opts)
                .await
                .map_err(|e| ("introspect desired", e.to_string()))?,
            case,
        );
        let actual = scope(
            db_a.snapshot(&opts)
                .await
                .map_err(|e| ("introspect current", e.to_string()))?,
            case,
        );
        let rules = Registry::builtin();
        let config = Config::default();
        let findings = rules
            .check(&config, &Context::new(&expected, &actual))
            .findings;
        let options = PlanOptions::default()
            .with_orphans(Orphans::Drop)
            .with_allow(Safety::DataLoss);
        let fix =
            plan(&expected, &actual, &findings, &options).map_err(|e| ("plan", e.to_string()))?;
        let steps = fix.steps.len();
        let report = apply(&mut db_a, &fix, &ApplyOptions::default())
            .await
            .map_err(|e| ("apply", e.to_string()))?;
        let after = scope(report.after, case);
        let findings_left = rules
            .check(&config, &Context::new(&expected, &after))
            .findings
            .len();
        let fa = fingerprint::fingerprint(&a.url, case)
            .await
            .map_err(|e| ("fingerprint", e.to_string()))?;
        let fb = fingerprint::fingerprint(&b.url, case)
            .await
            .map_err(|e| ("fingerprint", e.to_string()))?;
        let diffs = cases::differences(&fa, &fb);
        Ok(if diffs.is_empty() {
            Outcome::Converged { steps }
        } else {
            Outcome::Differs {
                steps,
                diffs,
                findings_left,
            }
        })
    }
    .await;
    result.unwrap_or_else(|(stage, message)| Outcome::Failed { stage, message })
}

fn main() {
    let dir = cases::corpus_dir();
    let all = match cases::cases(&dir) {
        Ok(c) if !c.is_empty() => c,
        Ok(_) => {
            eprintln!(
                "conformance: no cases in {} (set DRIFTLESS_CONFORMANCE_DIR)",
                dir.display()
            );
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!(
                "conformance: cannot read the corpus at {}: {e} (set DRIFTLESS_CONFORMANCE_DIR)",
                dir.display()
            );
            std::process::exit(1);
        }
    };
    let verbose = std::env::var_os("DRIFTLESS_CONFORMANCE_VERBOSE").is_some();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut converged = Vec::new();
    println!("conformance corpus: {}", dir.display());
    for case in &all {
        let outcome = rt.block_on(run(case, None));
        match outcome {
            Outcome::Converged { steps } => {
                converged.push(case.name.as_str());
                println!("  converges   {:<18} ({steps} steps)", case.name);
            }
            Outcome::Differs {
                steps,
                diffs,
                findings_left,
            } => {
                println!(
                    "  differs     {:<18} ({steps} steps; {} facts differ; driftless sees {findings_left} findings left)",
                    case.name,
                    diffs.len()
                );
                for d in diffs.iter().take(if verbose { usize::MAX } else { 3 }) {
                    println!("                {}", truncate(d, 160));
                }
            }
            Outcome::Failed { stage, message } => {
                println!(
                    "  fails       {:<18} at {stage}: {}",
                    case.name,
                    truncate(&message.replace('\n', " "), 200)
                );
            }
        }
    }
    println!(
        "conformance: {} of {} cases converge ({} pinned)",
        converged.len(),
        all.len(),
        CONVERGING.len()
    );
    let regressed: Vec<&str> = CONVERGING
        .iter()
        .copied()
        .filter(|name| !converged.contains(name))
        .collect();
    let unpinned: Vec<&str> = converged
        .iter()
        .copied()
        .filter(|name| !CONVERGING.contains(name))
        .collect();
    if !regressed.is_empty() {
        println!(
            "conformance: no longer converging: {}",
            regressed.join(", ")
        );
    }
    if !unpinned.is_empty() {
        println!(
            "conformance: converging now, add to CONVERGING in tests/conformance/main.rs: {}",
            unpinned.join(", ")
        );
    }
    if !regressed.is_empty() || !unpinned.is_empty() {
        std::process::exit(1);
    }
    pinned_cases_on_other_versions(&rt, &all);
}

/// The pinned cases on every other PostgreSQL version, a thread per
/// version; fails naming each case that does not converge there.
fn pinned_cases_on_other_versions(rt: &tokio::runtime::Runtime, all: &[cases::Case]) {
    let pinned: Vec<&cases::Case> = all
        .iter()
        .filter(|c| CONVERGING.contains(&c.name.as_str()))
        .collect();
    driftless_testkit::each_postgres_version(|server| {
        let failed: Vec<String> = pinned
            .iter()
            .filter_map(|case| match rt.block_on(run(case, Some(&server))) {
                Outcome::Converged { .. } => None,
                Outcome::Differs { diffs, .. } => Some(format!(
                    "{}: {} facts differ, e.g. {}",
                    case.name,
                    diffs.len(),
                    truncate(&diffs.join("; "), 300)
                )),
                Outcome::Failed { stage, message } => Some(format!(
                    "{}: fails at {stage}: {}",
                    case.name,
                    truncate(&message.replace('\n', " "), 300)
                )),
            })
            .collect();
        println!(
            "conformance on PostgreSQL {}: {} of {} pinned cases converge",
            server.major,
            pinned.len() - failed.len(),
            pinned.len()
        );
        assert!(failed.is_empty(), "{}", failed.join("\n"));
    });
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}
