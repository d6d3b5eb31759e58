//! The recipes of `examples/recipes/` run as their platform would run them,
//! against real databases, with the driftless wheel (`scripts/test-wheel`)
//! as the package index would serve it (`PIP_FIND_LINKS`):
//!
//! - `render-build.sh`: Render's build command for a Django app, in a
//!   virtualenv as Render's Python builds have;
//! - `github-actions.yml`: the workflow's steps in order, as the runner
//!   runs them (`bash -eo pipefail`, `$GITHUB_OUTPUT`, `$GITHUB_STEP_SUMMARY`,
//!   `if:` conditions), the actions it uses emulated (checkout: the project
//!   folder; setup-python: a fresh virtualenv; upload-sarif: the file must
//!   be SARIF);
//! - `gitlab-ci.yml`: the jobs in stage order, `before_script` and `script`
//!   as the runner runs them, `needs`, `rules`, the JUnit report.
//!
//! Services (the scratch PostgreSQL) are the tests' own databases, put in
//! the variables that name them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use driftless_testkit::{framework_project, sqlx_migrate, wheel, workspace_root, Backend, TestDb};
use serde_yaml::Value;

use crate::support::{deploy_story, driftless, fresh_venv, pinned_constraints, scalar};

mod fleet;

/// A project folder and a fresh virtualenv the recipe installs into; the
/// artifacts jobs upload, for the jobs after them.
struct Site {
    project: tempfile::TempDir,
    venv: tempfile::TempDir,
    env: BTreeMap<String, String>,
    artifacts: tempfile::TempDir,
}

impl Site {
    /// `project` with a fresh virtualenv; pip finds the driftless wheel in the
    /// test build's wheelhouse and takes the frameworks' pinned versions.
    fn new(project: tempfile::TempDir) -> Site {
        let venv = tempfile::tempdir().expect("temporary folder");
        fresh_venv(venv.path());
        let bin = venv.path().join("bin");
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let pins = pinned_constraints(venv.path());
        let wheelhouse = wheel().join("wheelhouse");
        let env = [
            ("PATH", path),
            ("VIRTUAL_ENV", venv.path().display().to_string()),
            ("PIP_FIND_LINKS", wheelhouse.display().to_string()),
            ("PIP_CONSTRAINT", pins.display().to_string()),
            ("PIP_DISABLE_PIP_VERSION_CHECK", "1".into()),
            ("PIP_QUIET", "1".into()),
            ("NO_COLOR", "1".into()),
        ];
        let env = env.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        let artifacts = tempfile::tempdir().expect("temporary folder");
        Site {
            project,
            venv,
            env,
            artifacts,
        }
    }

    fn dir(&self) -> &Path {
        self.project.path()
    }

    /// Runs `bash --noprofile --norc -eo pipefail FILE` in the project with
    /// the site's environment and `env`.
    fn bash(&self, script: &Path, env: &BTreeMap<String, String>) -> Output {
        Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(script)
            .current_dir(self.dir())
            .env_remove("DATABASE_URL")
            .envs(&self.env)
            .envs(env)
            .output()
            .expect("run bash")
    }
}

fn lossy(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn recipe(name: &str) -> PathBuf {
    workspace_root().join("examples/recipes").join(name)
}

/// The Django story project with a requirements.txt as a deploy has it.
fn django_site() -> Site {
    let project = framework_project("django-story");
    std::fs::write(
        project.path().join("requirements.txt"),
        "Django\npsycopg[binary]\ndriftless-db\n",
    )
    .expect("write requirements.txt");
    Site::new(project)
}

/// Production as the Django story left it (frameworks.rs), and an empty
/// scratch database.
async fn django_production(site: &Site) -> (TestDb, TestDb) {
    let prod = TestDb::postgres().await;
    deploy_story(site.dir(), &prod.url);
    (prod, TestDb::postgres().await)
}

/// The operator's repair: `driftless fix --apply` of `prod` against the
/// migrations in `dir`, replayed into `scratch`; it must converge.
async fn repair(prod: &TestDb, scratch: &TestDb, dir: &Path, extra: &[&str]) {
    let dir = dir.display().to_string();
    let mut args = vec!["fix", "--db", &prod.url, "--migrations", &dir];
    args.extend(["--dev-url", &scratch.url, "--apply"]);
    args.extend(extra);
    let fix = driftless(&args).await;
    assert_eq!(fix.code, Some(0), "{}", fix.output());
}

async fn applied(prod: &TestDb, name: &str) -> Option<i64> {
    let sql = format!("SELECT count(*) FROM django_migrations WHERE name = '{name}'");
    scalar(&prod.url, &sql).await
}

#[tokio::test]
async fn render_build_refuses_a_drifted_database_then_repairs_and_migrates() {
    let site = django_site();
    let (prod, scratch) = django_production(&site).await;
    let run = |autofix: bool| {
        let mut env = BTreeMap::from([
            ("DATABASE_URL".to_string(), prod.url.clone()),
            ("DRIFTLESS_DEV_URL".to_string(), scratch.url.clone()),
        ]);
        if autofix {
            env.insert("DRIFTLESS_AUTOFIX".into(), "1".into());
        }
        let out = site.bash(&recipe("render-build.sh"), &env);
        (out.status.code(), lossy(&out))
    };
    let (code, out) = run(false);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("login_count") && out.contains("avatar"),
        "{out}"
    );
    assert!(out.contains("not migrating"), "{out}");
    assert_eq!(
        applied(&prod, "0006_user_auth_user_login_count_idx").await,
        Some(0)
    );

    let (code, out) = run(true);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("Converged") && out.contains("==> migrating"),
        "{out}"
    );
    assert_eq!(
        applied(&prod, "0006_user_auth_user_login_count_idx").await,
        Some(1)
    );

    let (code, out) = run(false);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("==> no drift"), "{out}");
}

/// A password in the database URL a recipe is given, which no output may show.
const PASSWORD: &str = "pw-s3cret-7f2a";

/// What a GitHub Actions job did: each step's outcome, the step summary,
/// the SARIF it uploaded.
#[derive(Debug, Default)]
struct JobRun {
    steps: Vec<(String, Option<bool>, String)>,
    summary: String,
    uploaded: Vec<serde_json::Value>,
}

impl JobRun {
    fn succeeded(&self) -> bool {
        self.steps.iter().all(|(_, ok, _)| *ok != Some(false))
    }

    /// `Some(success)` when the step named `name` ran, `None` when skipped.
    fn step(&self, name: &str) -> (Option<bool>, &str) {
        let (_, ok, out) = self
            .steps
            .iter()
            .find(|(n, _, _)| n == name)
            .unwrap_or_else(|| panic!("no step {name}: {:?}", self.steps));
        (*ok, out)
    }
}

/// Runs the job `job` of the workflow `file` in `site`: `secrets` fill
/// `${{ secrets.NAME }}`; `services` replace env values naming a service.
fn run_workflow(
    site: &Site,
    file: &Path,
    job: &str,
    secrets: &[(&str, &str)],
    services: &[(&str, &str)],
) -> JobRun {
    run_matrix_job(site, file, job, secrets, services, &[])
}

/// [`run_workflow`] for one combination of the job's matrix: `${{
/// matrix.KEY }}` filled from `matrix` in the steps' scripts and inputs.
fn run_matrix_job(
    site: &Site,
    file: &Path,
    job: &str,
    secrets: &[(&str, &str)],
    services: &[(&str, &str)],
    matrix: &[(&str, &str)],
) -> JobRun {
    let mut text = std::fs::read_to_string(file).expect("read the workflow");
    for (key, value) in matrix {
        text = text.replace(&format!("${{{{ matrix.{key} }}}}"), value);
    }
    let workflow: Value = serde_yaml::from_str(&text).expect("the workflow is YAML");
    let job = &workflow["jobs"][job];
    let mut env = yaml_env(&job["env"], secrets);
    env.extend(services.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let work = tempfile::tempdir().expect("temporary folder");
    let (output, summary) = (work.path().join("output"), work.path().join("summary"));
    env.insert("GITHUB_OUTPUT".into(), output.display().to_string());
    env.insert("GITHUB_STEP_SUMMARY".into(), summary.display().to_string());
    let mut run = JobRun::default();
    let mut outputs: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let steps = job["steps"].as_sequence().expect("steps");
    for (i, step) in steps.iter().enumerate() {
        let name = step_name(step);
        let failed = !run.succeeded();
        if !condition(site, step["if"].as_str(), failed, &outputs) {
            run.steps.push((name, None, String::new()));
            continue;
        }
        let (ok, out) = match (step["uses"].as_str(), step["run"].as_str()) {
            (Some(action), _) => (uses(site, action, &step["with"], &mut run), String::new()),
            (None, Some(script)) => {
                std::fs::write(&output, "").expect("reset GITHUB_OUTPUT");
                let file = work.path().join(format!("step{i}.sh"));
                std::fs::write(&file, script).expect("write the step");
                let mut step_env = env.clone();
                step_env.extend(yaml_env(&step["env"], secrets));
                let out = site.bash(&file, &step_env);
                if let Some(id) = step["id"].as_str() {
                    outputs.insert(id.into(), read_outputs(&output));
                }
                (out.status.success(), lossy(&out))
            }
            (None, None) => panic!("step {name} neither uses an action nor runs a script"),
        };
        run.steps.push((name, Some(ok), out));
    }
    run.summary = std::fs::read_to_string(&summary).unwrap_or_default();
    run
}

fn step_name(step: &Value) -> String {
    step["name"]
        .as_str()
        .or(step["uses"].as_str())
        .unwrap_or("run")
        .to_string()
}

/// An `env:` mapping, `${{ secrets.NAME }}` filled from `secrets`.
fn yaml_env(map: &Value, secrets: &[(&str, &str)]) -> BTreeMap<String, String> {
    let Some(map) = map.as_mapping() else {
        return BTreeMap::new();
    };
    map.iter()
        .map(|(k, v)| {
            let key = k.as_str().expect("env name").to_string();
            let mut value = v.as_str().map(str::to_string).unwrap_or_else(|| {
                serde_yaml::to_string(v)
                    .expect("env value")
                    .trim()
                    .to_string()
            });
            for (name, secret) in secrets {
                value = value.replace(&format!("${{{{ secrets.{name} }}}}"), secret);
            }
            assert!(
                !value.contains("${{"),
                "unfilled expression in env {key}: {value}"
            );
            (key, value)
        })
        .collect()
}

fn read_outputs(file: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The `if:` forms the recipe uses: none (runs when nothing failed),
/// `always() && hashFiles('F') != ''` and `steps.ID.outputs.KEY == 'V'`.
fn condition(
    site: &Site,
    expr: Option<&str>,
    failed: bool,
    outputs: &BTreeMap<String, BTreeMap<String, String>>,
) -> bool {
    let Some(expr) = expr else { return !failed };
    if let Some(rest) = expr.strip_prefix("always() && hashFiles('") {
        let file = rest.strip_suffix("') != ''").expect("hashFiles(…) != ''");
        return site.dir().join(file).is_file();
    }
    let (lhs, rhs) = expr.split_once(" == ").expect("a comparison");
    let path: Vec<&str> = lhs.split('.').collect();
    let ["steps", id, "outputs", key] = path[..] else {
        panic!("unsupported condition {expr}")
    };
    let value = outputs.get(id).and_then(|o| o.get(key));
    !failed && value.map(String::as_str) == Some(rhs.trim_matches('\''))
}

/// The actions the recipe uses, emulated.
fn uses(site: &Site, action: &str, with: &Value, run: &mut JobRun) -> bool {
    match action.split('@').next() {
        Some("actions/checkout") => true,
        Some("actions/setup-python") => site.venv.path().join("bin/python").is_file(),
        Some("github/codeql-action/upload-sarif") => {
            let file = with["sarif_file"].as_str().expect("sarif_file");
            let text = std::fs::read_to_string(site.dir().join(file)).unwrap_or_default();
            let Ok(sarif) = serde_json::from_str::<serde_json::Value>(&text) else {
                return false;
            };
            let ok = sarif["version"] == "2.1.0" && sarif["runs"].is_array();
            run.uploaded.push(sarif);
            ok
        }
        Some("actions/upload-artifact") => upload(site, with),
        Some("actions/download-artifact") => download(site, with),
        _ => panic!("the recipe uses {action}, which the test does not emulate"),
    }
}

/// `actions/upload-artifact`: the file `path` of the project kept as the
/// artifact `name` (fails when there is no such file, as
/// `if-no-files-found: error` would).
fn upload(site: &Site, with: &Value) -> bool {
    let name = with["name"].as_str().expect("artifact name");
    let path = site
        .dir()
        .join(with["path"].as_str().expect("artifact path"));
    let into = site.artifacts.path().join(name);
    std::fs::create_dir_all(&into).expect("artifact folder");
    let Some(file_name) = path.file_name() else {
        return false;
    };
    std::fs::copy(&path, into.join(file_name)).is_ok()
}

/// `actions/download-artifact` with `pattern: PREFIX*` and
/// `merge-multiple: true`: every matching artifact's files in the project.
fn download(site: &Site, with: &Value) -> bool {
    let pattern = with["pattern"].as_str().expect("artifact pattern");
    let prefix = pattern.strip_suffix('*').expect("a PREFIX* pattern");
    assert_eq!(with["merge-multiple"].as_bool(), Some(true));
    let artifacts = std::fs::read_dir(site.artifacts.path()).expect("artifacts");
    for artifact in artifacts.map(|e| e.expect("artifact").path()) {
        let name = artifact.file_name().expect("name").to_string_lossy();
        if !name.starts_with(prefix) {
            continue;
        }
        for file in std::fs::read_dir(&artifact).expect("artifact files") {
            let file = file.expect("file").path();
            std::fs::copy(&file, site.dir().join(file.file_name().expect("name")))
                .expect("download the artifact");
        }
    }
    true
}

/// The story's sqlx migrations, applied to a PostgreSQL database by sqlx
/// itself, then drifted as in the story: `avatar` added, `login_count` lost.
async fn sqlx_story(site: &Site) -> TestDb {
    let migrations = site.dir().join("migrations");
    std::fs::create_dir_all(&migrations).expect("create migrations/");
    let story = workspace_root().join("examples/deploy-story/migrations");
    for entry in std::fs::read_dir(&story).expect("story migrations") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, migrations.join(path.file_name().expect("name"))).expect("copy");
    }
    let prod = TestDb::postgres().await;
    sqlx_migrate(Backend::Postgres, &prod.url, &migrations)
        .await
        .expect("sqlx migrate");
    prod.exec("ALTER TABLE authentication_user ADD COLUMN avatar varchar(255)")
        .await;
    prod.exec("ALTER TABLE authentication_user DROP COLUMN login_count")
        .await;
    prod
}

#[tokio::test]
async fn github_actions_workflow_fails_on_drift_with_sarif_and_summary_then_passes() {
    let site = Site::new(tempfile::tempdir().expect("temporary folder"));
    let prod = sqlx_story(&site).await;
    let scratch = TestDb::postgres().await;
    // The server trusts the test user; the password is there to be hidden.
    let secret_url = prod
        .url
        .replacen("://root@", &format!("://root:{PASSWORD}@"), 1);
    assert_ne!(secret_url, prod.url);
    let run = || {
        run_workflow(
            &site,
            &recipe("github-actions.yml"),
            "driftless",
            &[("STAGING_DATABASE_URL", &secret_url)],
            &[("DRIFTLESS_DEV_URL", &scratch.url)],
        )
    };
    let job = run();
    assert!(!job.succeeded(), "{job:?}");
    let (ok, out) = job.step("Install driftless");
    assert_eq!(ok, Some(true), "{out}");
    assert_eq!(
        job.step("Check the database against the migrations").0,
        Some(true)
    );
    let sarif = job.uploaded.first().expect("SARIF uploaded").to_string();
    assert!(
        sarif.contains("missing-column") && sarif.contains("login_count"),
        "{sarif}"
    );
    let (ok, out) = job.step("Annotate the run");
    assert_eq!(ok, Some(false), "{out}");
    assert!(
        out.contains("::error") && out.contains("login_count"),
        "{out}"
    );
    let summary = &job.summary;
    for needle in [
        "## driftless check: drift",
        "| `missing-column` | error |",
        "login\\_count",
        "## driftless plan: ",
        "<details><summary>Plan: ",
        "ADD COLUMN \"login_count\"",
    ] {
        assert!(
            summary.contains(needle),
            "no {needle} in the summary:\n{summary}"
        );
    }
    let printed = job.steps.iter().map(|(_, _, out)| out.as_str());
    for text in printed.chain([summary.as_str()]) {
        assert!(!text.contains(PASSWORD), "the password leaked: {text}");
    }

    repair(&prod, &scratch, &site.dir().join("migrations"), &[]).await;
    let job = run();
    assert!(job.succeeded(), "{job:?}");
    assert_eq!(job.step("Annotate the run").0, None);
}

/// What a GitLab pipeline did: per job, `Some(success)` or `None` when it
/// did not run, and its log.
type Pipeline = BTreeMap<String, (Option<bool>, String)>;

/// Runs the pipeline of `file` in `site` as the runner would on the default
/// branch: jobs in stage order, `default:` merged, `variables` (global and
/// the job's, `overrides` last), `needs`, `rules: - if: $A == $B`.
fn run_pipeline(site: &Site, file: &Path, overrides: &[(&str, &str)]) -> Pipeline {
    let text = std::fs::read_to_string(file).expect("read the pipeline");
    let ci: Value = serde_yaml::from_str(&text).expect("the pipeline is YAML");
    let mut env = BTreeMap::from([
        ("CI".to_string(), "true".to_string()),
        ("CI_PROJECT_DIR".into(), site.dir().display().to_string()),
        ("CI_COMMIT_BRANCH".into(), "main".into()),
        ("CI_DEFAULT_BRANCH".into(), "main".into()),
    ]);
    add_variables(&mut env, &ci["variables"]);
    env.extend(
        overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let mut done = Pipeline::new();
    for stage in ci["stages"].as_sequence().expect("stages") {
        let jobs = ci
            .as_mapping()
            .expect("mapping")
            .iter()
            .filter(|(_, job)| job["stage"] == *stage);
        for (name, job) in jobs {
            let name = name.as_str().expect("job name").to_string();
            let outcome = gitlab_job(site, &ci, job, &env, &done);
            done.insert(name, outcome);
        }
    }
    done
}

fn add_variables(env: &mut BTreeMap<String, String>, vars: &Value) {
    for (k, v) in vars.as_mapping().into_iter().flatten() {
        let mut value = v.as_str().expect("variable").to_string();
        for (name, set) in env.iter() {
            value = value.replace(&format!("${name}"), set);
        }
        env.insert(k.as_str().expect("variable name").to_string(), value);
    }
}

fn gitlab_job(
    site: &Site,
    ci: &Value,
    job: &Value,
    env: &BTreeMap<String, String>,
    done: &Pipeline,
) -> (Option<bool>, String) {
    let needs_met = job["needs"].as_sequence().into_iter().flatten().all(|n| {
        done.get(n.as_str().expect("need"))
            .is_some_and(|(ok, _)| *ok == Some(true))
    });
    let rules_met = job["rules"].as_sequence().is_none_or(|rules| {
        rules.iter().any(|r| {
            let cond = r["if"].as_str().expect("rules: - if:");
            let (a, b) = cond.split_once(" == ").expect("$A == $B");
            let var = |s: &str| env.get(s.trim().trim_start_matches('$')).cloned();
            var(a) == var(b)
        })
    });
    if !needs_met || !rules_met {
        return (None, String::new());
    }
    let mut env = env.clone();
    add_variables(&mut env, &job["variables"]);
    let before = job
        .get("before_script")
        .unwrap_or(&ci["default"]["before_script"]);
    let lines: Vec<&str> = [before, &job["script"]]
        .into_iter()
        .flat_map(|s| s.as_sequence().into_iter().flatten())
        .map(|l| l.as_str().expect("script line"))
        .collect();
    let file = site.dir().join(".gitlab-job.sh");
    std::fs::write(&file, lines.join("\n")).expect("write the job");
    let out = site.bash(&file, &env);
    (Some(out.status.success()), lossy(&out))
}

#[tokio::test]
async fn gitlab_pipeline_stops_before_migrate_on_drift_with_a_junit_report() {
    let site = django_site();
    let (prod, scratch) = django_production(&site).await;
    let run = || {
        let overrides = [
            ("DATABASE_URL", prod.url.as_str()),
            ("DRIFTLESS_DEV_URL", scratch.url.as_str()),
        ];
        run_pipeline(&site, &recipe("gitlab-ci.yml"), &overrides)
    };
    let pipeline = run();
    let (check, log) = &pipeline["schema-drift"];
    assert_eq!(*check, Some(false), "{log}");
    assert_eq!(
        pipeline["migrate"].0, None,
        "migrate ran on a drifted database"
    );
    let junit =
        std::fs::read_to_string(site.dir().join("driftless-junit.xml")).expect("the JUnit report");
    assert!(
        junit.contains("<testsuite") && junit.contains("<failure"),
        "{junit}"
    );
    assert!(
        junit.contains("login_count") && junit.contains("avatar"),
        "{junit}"
    );
    assert_eq!(
        applied(&prod, "0006_user_auth_user_login_count_idx").await,
        Some(0)
    );

    // The operator repairs production with the plan the report led to.
    let python = site.dir().join(".venv/bin/python").display().to_string();
    repair(&prod, &scratch, site.dir(), &["--python", &python]).await;
    let pipeline = run();
    for (job, (ok, log)) in &pipeline {
        assert_eq!(*ok, Some(true), "{job}: {log}");
    }
    assert_eq!(
        applied(&prod, "0006_user_auth_user_login_count_idx").await,
        Some(1)
    );
}
