//! The fleet recipes: `fleet-github-matrix.yml` (the matrix's shards, each
//! job's steps with its matrix values on a runner of its own, then the
//! report job with the shards' artifacts) and `fleet-k8s-indexed-job.yaml`
//! (the Indexed Job's container command once per completion index, with
//! its environment and volumes, then the merge Job), against PostgreSQL
//! tenant schemas made from a template, three of them drifted.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use driftless_testkit::TestDb;
use serde::Deserialize;
use serde_yaml::Value;

use super::{lossy, recipe, run_matrix_job, run_workflow, Site, PASSWORD};
use crate::fleet::{tenants, PLANTED};
use crate::support::driftless;

/// Eight tenants made from `template`, three drifted, and the template's
/// snapshot at `file`.
async fn tenant_fleet(file: &Path) -> TestDb {
    let db = tenants(8, PLANTED).await;
    std::fs::create_dir_all(file.parent().expect("folder")).expect("create the folder");
    let out = file.display().to_string();
    let snap = driftless(&[
        "snapshot", "--db", &db.url, "--schema", "template", "-o", &out,
    ])
    .await;
    assert_eq!(snap.code, Some(0), "{snap:#?}");
    db
}

/// What the merged report must say about the planted drift.
fn assert_grouped(out: &str) {
    for needle in [
        "2 targets drifted (tenant_2, tenant_5):",
        "1 target drifted (tenant_3):",
        "8 targets: 5 clean, 3 drifted in 2 groups.",
    ] {
        assert!(out.contains(needle), "`{needle}` in:\n{out}");
    }
    assert!(!out.contains(PASSWORD), "the password leaked: {out}");
}

#[tokio::test]
async fn github_matrix_checks_shards_and_merges_their_reports() {
    let mut site = Site::new(tempfile::tempdir().expect("temporary folder"));
    let db = tenant_fleet(&site.dir().join("schema/tenant.json")).await;
    let expected = std::fs::read(site.dir().join("schema/tenant.json")).expect("snapshot");
    let secret_url = db
        .url
        .replacen("://root@", &format!("://root:{PASSWORD}@"), 1);
    let file = recipe("fleet-github-matrix.yml");
    let secrets = [("TENANTS_DATABASE_URL", secret_url.as_str())];
    for shard in ["1", "2", "3"] {
        // Each job on a runner of its own: a fresh checkout.
        site.project = tempfile::tempdir().expect("temporary folder");
        std::fs::create_dir_all(site.dir().join("schema")).expect("schema/");
        std::fs::write(site.dir().join("schema/tenant.json"), &expected).expect("checkout");
        let job = run_matrix_job(&site, &file, "shard", &secrets, &[], &[("shard", shard)]);
        assert!(job.succeeded(), "shard {shard}: {job:?}");
    }
    site.project = tempfile::tempdir().expect("temporary folder");
    let job = run_workflow(&site, &file, "report", &secrets, &[]);
    assert!(!job.succeeded(), "a tenant drifted: {job:?}");
    let (ok, out) = job.step("Merge the shards");
    assert_eq!(ok, Some(false), "{out}");
    assert_grouped(out);
    assert!(
        job.summary.starts_with("## driftless fleet: drift"),
        "{}",
        job.summary
    );
}

/// A container of a Job: its command (`sh -c SCRIPT`), environment and
/// volume mounts, run in `dir` as its working folder.
fn run_container(
    job: &Value,
    dir: &Path,
    secrets: &BTreeMap<(&str, &str), String>,
    site: &Site,
    index: Option<usize>,
) -> (Option<i32>, String) {
    let pod = &job["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let work = container["workingDir"].as_str().expect("workingDir");
    for mount in container["volumeMounts"].as_sequence().expect("mounts") {
        let path = mount["mountPath"].as_str().expect("mountPath");
        let inside = path
            .strip_prefix(work)
            .and_then(|p| p.strip_prefix('/'))
            .expect("volumes are mounted in the working folder");
        std::fs::create_dir_all(dir.join(inside)).expect("mount");
    }
    let command: Vec<&str> = container["command"]
        .as_sequence()
        .into_iter()
        .flatten()
        .chain(container["args"].as_sequence().into_iter().flatten())
        .map(|v| v.as_str().expect("a string"))
        .collect();
    let mut run = Command::new(command[0]);
    run.args(&command[1..])
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .envs(&site.env);
    for var in container["env"].as_sequence().into_iter().flatten() {
        let name = var["name"].as_str().expect("env name");
        let value = match var["value"].as_str() {
            Some(v) => v.to_string(),
            None => {
                let key = &var["valueFrom"]["secretKeyRef"];
                let secret = (
                    key["name"].as_str().expect("secret"),
                    key["key"].as_str().expect("key"),
                );
                secrets.get(&secret).expect("a known secret").clone()
            }
        };
        run.env(name, value);
    }
    if let Some(i) = index {
        run.env("JOB_COMPLETION_INDEX", i.to_string());
    }
    let out = run.output().expect("run the container command");
    (out.status.code(), lossy(&out))
}

#[tokio::test]
async fn kubernetes_indexed_job_checks_shards_and_the_merge_job_reports() {
    let site = Site::new(tempfile::tempdir().expect("temporary folder"));
    // The pods' working folder, where the volumes are mounted.
    let work = site.dir().join("work");
    let db = tenant_fleet(&work.join("config/tenant.json")).await;
    let secret_url = db
        .url
        .replacen("://root@", &format!("://root:{PASSWORD}@"), 1);
    let secrets = BTreeMap::from([(("tenants-db", "url"), secret_url)]);
    let text = std::fs::read_to_string(recipe("fleet-k8s-indexed-job.yaml")).expect("recipe");
    let jobs: Vec<Value> = serde_yaml::Deserializer::from_str(&text)
        .map(|d| Value::deserialize(d).expect("a YAML document"))
        .collect();
    let (check, merge) = (&jobs[0], &jobs[1]);
    assert_eq!(check["spec"]["completionMode"], "Indexed");
    assert_eq!(
        merge["spec"]["suspend"], true,
        "the merge waits for the check"
    );
    let completions = check["spec"]["completions"].as_u64().expect("completions");
    let shards = check["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_sequence()
        .expect("env")
        .iter()
        .find(|v| v["name"] == "DRIFTLESS_SHARDS")
        .and_then(|v| v["value"].as_str())
        .expect("DRIFTLESS_SHARDS");
    assert_eq!(shards, completions.to_string(), "one shard a completion");
    for index in 0..completions as usize {
        let (code, out) = run_container(check, &work, &secrets, &site, Some(index));
        assert_eq!(code, Some(0), "pod {index}: {out}");
    }
    let reports = std::fs::read_dir(work.join("reports"))
        .expect("reports")
        .count();
    assert_eq!(reports as u64, completions);
    let (code, out) = run_container(merge, &work, &secrets, &site, None);
    assert_eq!(code, Some(1), "a tenant drifted: {out}");
    assert_grouped(&out);
}
