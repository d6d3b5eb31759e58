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

use driftless_fixer::{apply, plan, preflight, ApplyOptions, Orphans, PlanOptions, Safety};
use driftless_introspect::{
    read_ledgers, replay, ConnectOptions, Database, DbUrl, IntrospectOptions, MigrationSet,
    ReplayOptions, Snapshot,
};
use driftless_rules::{Config, Context, Registry, Report};

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

fn check(
    registry: &Registry,
    expected: &Snapshot,
    actual: &Snapshot,
    set: &MigrationSet,
    ledgers: &[driftless_introspect::Ledger],
    provenance: &driftless_introspect::Provenance,
) -> Report {
    let ledger = driftless_introspect::select_ledger(set, ledgers);
    let cx = Context::new(expected, actual)
        .with_migrations(set, ledger)
        .with_provenance(provenance);
    registry.check(&Config::default(), &cx)
}

/// The pre-deploy hook: check, plan, refuse or repair, verify.
pub async fn predeploy(
    url: &str,
    migrations: &Path,
    policy: Policy,
    out: &mut dyn Write,
) -> anyhow::Result<Decision> {
    let url = DbUrl::parse(url)?;
    let set = MigrationSet::load(migrations)?;

    // 1. The expected schema: the migrations replayed into a scratch
    //    database (SQLite: in memory), with which migration made each object.
    let replayed = replay(&set, &ReplayOptions::default().with_target(url.clone())).await?;

    // 2. The live schema and the migration ledger, read-only.
    let mut db = Database::connect(&url, &ConnectOptions::read_only()).await?;
    let actual = db.snapshot(&IntrospectOptions::default()).await?;
    let ledgers = read_ledgers(&mut db).await?;
    db.close().await?;

    // 3. Check.
    let registry = Registry::builtin();
    let report = check(
        &registry,
        &replayed.snapshot,
        &actual,
        &set,
        &ledgers,
        &replayed.provenance,
    );
    if !report.failed() {
        writeln!(out, "{url}: no drift, running migrate")?;
        return Ok(Decision::UpToDate);
    }
    writeln!(out, "{url}: {} finding(s):", report.findings.len())?;
    for f in &report.findings {
        writeln!(
            out,
            "  {:<7} {:<22} {}",
            f.severity.as_str(),
            f.rule,
            f.message
        )?;
    }

    // 4. Plan. Steps riskier than the policy allows are withheld: refuse.
    let options = PlanOptions::default()
        .with_orphans(policy.orphans)
        .with_allow(policy.allow);
    let mut fix = plan(&replayed.snapshot, &actual, &report.findings, &options)?;
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

    // 5. Apply under the fix lock (one transaction on SQLite and PostgreSQL);
    //    preflight first, so a NOT NULL column over NULLs refuses before
    //    anything changes.
    let mut db = Database::connect(&url, &ConnectOptions::default()).await?;
    preflight(&mut db, &mut fix).await?;
    for s in &fix.steps {
        writeln!(
            out,
            "  apply [{}] {} {}",
            s.safety,
            s.action,
            s.object.path()
        )?;
    }
    let applied = apply(&mut db, &fix, &ApplyOptions::default()).await?;
    db.close().await?;

    // 6. Verify on the schema read back after applying.
    let after = check(
        &registry,
        &replayed.snapshot,
        &applied.after,
        &set,
        &ledgers,
        &replayed.provenance,
    );
    if after.failed() {
        let left: Vec<String> = after
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
    writeln!(
        out,
        "{url}: repaired in {} step(s), verified; running migrate",
        applied.steps_applied
    )?;
    Ok(Decision::Repaired {
        steps: applied.steps_applied,
    })
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
