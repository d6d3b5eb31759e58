//! Embedding driftless in a deploy tool: before running the framework's
//! `migrate`, check the database against its migrations; when it drifted,
//! plan the repair, refuse to deploy if the repair would destroy anything,
//! otherwise apply it and verify that the drift is gone.
//!
//! ```sh
//! # On copies of the deploy story's production database (nothing is changed in place):
//! cargo run -p driftless-examples --example deploy_tool
//! # On your own database:
//! cargo run -p driftless-examples --example deploy_tool -- sqlite:prod.db migrations/
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

use driftless_fixer::{ApplyOptions, Orphans, PlanOptions, Safety};
use driftless_introspect::DbUrl;
use driftless_pipeline::{DriftCheck, MigrationReplay};

/// What the deploy tool decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// No drift: go ahead and migrate.
    UpToDate,
    /// Drift repaired and verified: go ahead and migrate.
    Repaired {
        /// Steps applied.
        steps: usize,
    },
    /// Do not deploy: a human must look.
    Refused(String),
}

/// The deploy tool's policy.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// What to do with columns and tables production has and the code does not.
    pub orphans: Orphans,
    /// The riskiest step the tool may run unattended.
    pub allow: Safety,
}

/// The pre-deploy hook: check, plan, refuse or repair, verify.
pub async fn predeploy(
    url: &str,
    migrations: &Path,
    policy: Policy,
    out: &mut dyn Write,
) -> anyhow::Result<Decision> {
    let url = DbUrl::parse(url)?;

    // 1. Check, as `driftless check --migrations` does: the migrations
    //    replayed into a scratch database (SQLite: in memory), with which
    //    migration made each object, against the live schema and ledger,
    //    read-only.
    let source = MigrationReplay::new(migrations);
    let mut checked = DriftCheck::new(url.clone(), Box::new(source)).run().await?;
    if !checked.drifted() {
        writeln!(out, "{url}: no drift, running migrate")?;
        return Ok(Decision::UpToDate);
    }
    writeln!(out, "{url}: {} finding(s):", checked.report.findings.len())?;
    for f in &checked.report.findings {
        writeln!(
            out,
            "  {:<7} {:<22} {}",
            f.severity.as_str(),
            f.rule,
            f.message
        )?;
    }

    // 2. Plan. Steps riskier than the policy allows are withheld: refuse.
    let options = PlanOptions::default()
        .with_orphans(policy.orphans)
        .with_allow(policy.allow);
    let fix = checked.plan(&options)?;
    if !fix.withheld.is_empty() {
        let why: Vec<String> = fix
            .withheld
            .iter()
            .map(|s| format!("[{}] {} {}", s.safety, s.action, s.object.path()))
            .collect();
        writeln!(
            out,
            "refusing to deploy: the repair needs {}",
            why.join(", ")
        )?;
        return Ok(Decision::Refused(why.join("; ")));
    }
    for s in &fix.steps {
        writeln!(
            out,
            "  apply [{}] {} {}",
            s.safety,
            s.action,
            s.object.path()
        )?;
    }

    // 3. Apply under the fix lock (one transaction on SQLite and
    //    PostgreSQL; a NOT NULL column over NULLs refuses before anything
    //    changes), then verify on the schema read back.
    let repair = checked
        .repair(fix, &options, &ApplyOptions::default())
        .await?;
    if !repair.converged() {
        let left: Vec<String> = repair
            .after
            .findings
            .iter()
            .map(|f| format!("{} {}", f.rule, f.object.path()))
            .collect();
        writeln!(
            out,
            "refusing to deploy: drift remains after the repair: {}",
            left.join(", ")
        )?;
        return Ok(Decision::Refused(left.join("; ")));
    }
    let steps = repair.applied.map_or(0, |a| a.steps_applied);
    writeln!(
        out,
        "{url}: repaired in {steps} step(s), verified; running migrate"
    )?;
    Ok(Decision::Repaired { steps })
}

/// A copy of the deploy story's production database in a fresh folder.
pub fn story_copy(label: &str) -> anyhow::Result<(PathBuf, String)> {
    let story = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy-story");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "driftless-deploy-tool-{}-{label}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("production.db");
    std::fs::copy(story.join("production.db"), &db)?;
    Ok((dir, format!("sqlite:{}", db.display())))
}

/// Runs the story twice: a policy that would drop orphan columns is refused;
/// one that quarantines them repairs production.
pub async fn run(out: &mut dyn Write) -> anyhow::Result<Vec<Decision>> {
    let migrations = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy-story/migrations");
    let mut decisions = Vec::new();
    for (label, orphans, allow) in [
        (
            "drop orphans, safe and locking steps only",
            Orphans::Drop,
            Safety::Locking,
        ),
        (
            "quarantine orphans, safe and locking steps only",
            Orphans::Quarantine,
            Safety::Locking,
        ),
    ] {
        writeln!(out, "\n== policy: {label}")?;
        let (dir, url) = story_copy(if orphans == Orphans::Drop {
            "drop"
        } else {
            "quarantine"
        })?;
        let decision = predeploy(&url, &migrations, Policy { orphans, allow }, out).await;
        let _ = std::fs::remove_dir_all(&dir);
        decisions.push(decision?);
    }
    Ok(decisions)
}

#[allow(dead_code)] // only the binary calls it; the tests call `run`
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut stdout = std::io::stdout().lock();
    match args.as_slice() {
        [] => {
            run(&mut stdout).await?;
        }
        [url, migrations] => {
            let policy = Policy {
                orphans: Orphans::Quarantine,
                allow: Safety::Locking,
            };
            let decision = predeploy(url, Path::new(migrations), policy, &mut stdout).await?;
            if let Decision::Refused(_) = decision {
                std::process::exit(1);
            }
        }
        _ => anyhow::bail!("usage: deploy_tool [DATABASE_URL MIGRATIONS_DIR]"),
    }
    Ok(())
}
