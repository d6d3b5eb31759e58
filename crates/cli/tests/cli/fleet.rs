//! Fleets: `check` over the tenant schemas of a database (`--each-schema`),
//! the databases of a server (`--each-database`) and a list of databases
//! (`--targets`), on real PostgreSQL, MariaDB and SQLite: exactly the
//! drifted targets reported, grouped by identical drift; shards disjoint
//! and complete, merged into the unsharded run's report; a target that
//! cannot be reached reported as its own error; a baseline's new,
//! resolved and persisting drift; the fix of a group applied to each
//! member.

use std::collections::BTreeSet;
use std::process::Stdio;

use driftless_testkit::TestDb;
use serde_json::Value;
use tokio::io::AsyncWriteExt;

use crate::documents::json_document;
use crate::support::{command, driftless, finish, one_error, Run};

/// The tables of one tenant: a schema `name` with a table, a nullable
/// column and an index.
fn tenant_sql(name: &str) -> String {
    format!(
        "CREATE SCHEMA {name}; \
         CREATE TABLE {name}.users (id int PRIMARY KEY, email text NOT NULL, name text); \
         CREATE INDEX users_email ON {name}.users (email);"
    )
}

/// A PostgreSQL database with the schema `template` and `tenants` tenant
/// schemas made from it (`tenant_1` …), then `drift` run on it.
pub(crate) async fn tenants(count: usize, drift: &str) -> TestDb {
    let db = TestDb::postgres().await;
    let mut sql = tenant_sql("template");
    for i in 1..=count {
        sql.push_str(&tenant_sql(&format!("tenant_{i}")));
    }
    sql.push_str(drift);
    db.exec(&sql).await;
    db
}

/// Tenants 2 and 5 lost the column `name`; tenant 3 lost the index.
pub(crate) const PLANTED: &str = "ALTER TABLE tenant_2.users DROP COLUMN name; \
                       ALTER TABLE tenant_5.users DROP COLUMN name; \
                       DROP INDEX tenant_3.users_email;";

/// `check --each-schema 'tenant_*'` against the template schema of the
/// same database, with `extra` arguments.
async fn check_tenants(db: &TestDb, extra: &[&str]) -> Run {
    let mut args = vec!["check", "--db", &db.url, "--each-schema", "tenant_*"];
    args.extend(["--expect", &db.url, "--expect-schema", "template"]);
    args.extend(extra);
    driftless(&args).await
}

/// The members of each group of a fleet report, in the report's order.
fn groups(doc: &Value) -> Vec<Vec<String>> {
    doc["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            g["targets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_string())
                .collect()
        })
        .collect()
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The targets of a fleet report, by name.
fn target_names(doc: &Value) -> BTreeSet<String> {
    doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap().to_string())
        .collect()
}

/// A fleet report's targets sorted by name (a run lists them as they
/// finished).
fn sorted_targets(doc: &Value) -> Vec<Value> {
    let mut list = doc["targets"].as_array().unwrap().clone();
    list.sort_by_key(|t| t["target"].as_str().unwrap().to_string());
    list
}

#[tokio::test]
async fn tenants_from_a_template_report_exactly_the_drifted_ones_grouped() {
    let db = tenants(6, PLANTED).await;
    let human = check_tenants(&db, &[]).await;
    assert_eq!(human.code, Some(1), "{human:#?}");
    let out = &human.stdout;
    for needle in [
        "2 targets drifted (tenant_2, tenant_5):",
        "missing-column  column template.users.name is missing",
        "1 target drifted (tenant_3):",
        "missing-index",
        "3 clean.",
        "6 targets: 3 clean, 3 drifted in 2 groups.",
    ] {
        assert!(out.contains(needle), "`{needle}` in:\n{out}");
    }
    // The biggest drift group first.
    assert!(
        out.find("tenant_2, tenant_5") < out.find("(tenant_3)"),
        "{out}"
    );

    let json = check_tenants(&db, &["--format", "json"]).await;
    assert_eq!(json.code, Some(1), "{json:#?}");
    let doc = json_document(&json.stdout);
    let expected_groups = vec![
        names(&["tenant_2", "tenant_5"]),
        names(&["tenant_3"]),
        names(&["tenant_1", "tenant_4", "tenant_6"]),
    ];
    assert_eq!(groups(&doc), expected_groups);
    assert_eq!(doc["summary"]["drifted"], 3);
    assert_eq!(doc["summary"]["clean"], 3);
    for t in doc["targets"].as_array().unwrap() {
        let name = t["target"].as_str().unwrap();
        let drifted = ["tenant_2", "tenant_3", "tenant_5"].contains(&name);
        assert_eq!(t["drifted"], drifted, "{t}");
        // Each target's findings name its own schema.
        for f in t["findings"].as_array().unwrap() {
            assert_eq!(f["object"]["schema"], name, "{f}");
        }
    }
    // The group's drift names the expected schema's objects, once.
    assert_eq!(
        doc["groups"][0]["findings"][0]["object"]["schema"],
        "template"
    );

    // The same fleet against a snapshot of the template: the same groups.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tenant.json").display().to_string();
    let snap = driftless(&[
        "snapshot", "--db", &db.url, "--schema", "template", "-o", &file,
    ])
    .await;
    assert_eq!(snap.code, Some(0), "{snap:#?}");
    let args = [
        "check",
        "--db",
        &db.url,
        "--each-schema",
        "tenant_*",
        "--expect",
        &file,
    ];
    let run = driftless(&[&args[..], &["--format", "json"]].concat()).await;
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert_eq!(groups(&json_document(&run.stdout)), expected_groups);
}

/// On MariaDB a schema is a database: tenant databases of one server,
/// read together, against a snapshot of one of them and against one of
/// them as the template.
#[tokio::test]
async fn tenant_databases_of_a_mariadb_server() {
    let prefix = format!("fleet_{}_{}", std::process::id(), line!());
    let mut dbs = Vec::new();
    for i in 1..=3 {
        let db = TestDb::mysql_named(&format!("{prefix}_t{i}")).await;
        db.exec("CREATE TABLE users (id int PRIMARY KEY, email varchar(100) NOT NULL, name text)")
            .await;
        dbs.push(db);
    }
    let dir = tempfile::tempdir().unwrap();
    let expected = snapshot_of(&dbs[0], dir.path()).await;
    dbs[1].exec("ALTER TABLE users DROP COLUMN name").await;
    let glob = format!("{prefix}_t*");
    let args = ["check", "--db", &dbs[0].url, "--each-schema", &glob];
    let run = driftless(&[&args[..], &["--expect", &expected, "--format", "json"]].concat()).await;
    assert_eq!(run.code, Some(1), "{run:#?}");
    let doc = json_document(&run.stdout);
    assert_eq!(groups(&doc)[0], vec![dbs[1].name.clone()]);
    assert_eq!(doc["summary"]["clean"], 2);
    let template = &dbs[0].name;
    let run = driftless(
        &[
            &args[..],
            &["--expect", &dbs[0].url, "--expect-schema", template],
        ]
        .concat(),
    )
    .await;
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stdout
            .contains("2 targets: 1 clean, 1 drifted in 1 group."),
        "the template is not a tenant: {}",
        run.stdout
    );
}

#[tokio::test]
async fn machine_formats_report_each_target() {
    let db = tenants(3, "ALTER TABLE tenant_2.users DROP COLUMN name;").await;
    let sarif = check_tenants(&db, &["--format", "sarif"]).await;
    assert_eq!(sarif.code, Some(1), "{sarif:#?}");
    let log: Value = serde_json::from_str(&sarif.stdout).unwrap();
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    let drifted: Vec<&Value> = runs
        .iter()
        .filter(|r| !r["results"].as_array().unwrap().is_empty())
        .collect();
    assert_eq!(drifted.len(), 1);
    assert_eq!(drifted[0]["automationDetails"]["id"], "driftless/tenant_2/");

    let junit = check_tenants(&db, &["--format", "junit"]).await;
    assert_eq!(junit.code, Some(1), "{junit:#?}");
    assert!(junit.stdout.starts_with("<?xml"), "{}", junit.stdout);
    assert!(
        junit
            .stdout
            .contains("<testsuite name=\"tenant_2: missing-column\""),
        "{}",
        junit.stdout
    );
    assert!(junit.stdout.trim_end().ends_with("</testsuites>"));

    let github = check_tenants(&db, &["--format", "github"]).await;
    assert_eq!(github.code, Some(1), "{github:#?}");
    let lines: Vec<&str> = github.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", github.stdout);
    assert!(
        lines[0].starts_with("::error title=tenant_2%3A missing-column"),
        "{}",
        lines[0]
    );
    assert_eq!(lines[1], "3 targets: 2 clean, 1 drifted in 1 group.");

    let markdown = check_tenants(&db, &["--format", "markdown"]).await;
    assert_eq!(markdown.code, Some(1), "{markdown:#?}");
    crate::documents::assert_markdown(&markdown.stdout);
    assert!(
        markdown.stdout.starts_with("## driftless fleet: drift"),
        "{}",
        markdown.stdout
    );
}

#[tokio::test]
async fn shards_are_disjoint_and_complete_and_merge_into_the_unsharded_run() {
    let db = tenants(8, PLANTED).await;
    let whole = check_tenants(&db, &["--format", "json"]).await;
    let whole_doc = json_document(&whole.stdout);
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut seen = BTreeSet::new();
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let run = check_tenants(&db, &["--format", "json", "--shard", &shard]).await;
        assert!(matches!(run.code, Some(0 | 1)), "{run:#?}");
        let doc = json_document(&run.stdout);
        assert_eq!(doc["shard"]["index"], i);
        for name in target_names(&doc) {
            assert!(seen.insert(name.clone()), "{name} in two shards");
        }
        let file = dir.path().join(format!("shard-{i}.json"));
        std::fs::write(&file, &run.stdout).unwrap();
        files.push(file.display().to_string());
    }
    assert_eq!(seen, target_names(&whole_doc), "the shards cover the fleet");

    let merge = |format: &'static str| {
        let files = files.clone();
        async move {
            let mut args = vec!["report", "merge", "--format", format];
            args.extend(files.iter().map(String::as_str));
            driftless(&args).await
        }
    };
    let merged = merge("json").await;
    assert_eq!(merged.code, whole.code, "{merged:#?}");
    let merged_doc = json_document(&merged.stdout);
    assert_eq!(merged_doc["groups"], whole_doc["groups"]);
    assert_eq!(merged_doc["summary"], whole_doc["summary"]);
    assert_eq!(sorted_targets(&merged_doc), sorted_targets(&whole_doc));
    let human = merge("human").await;
    assert_eq!(human.stdout, check_tenants(&db, &[]).await.stdout);

    // Kubernetes Indexed Jobs: the share from the pod's index.
    let mut job = command(&[
        "check",
        "--db",
        &db.url,
        "--each-schema",
        "tenant_*",
        "--expect",
        &db.url,
        "--expect-schema",
        "template",
        "--shard",
        "auto",
        "--format",
        "json",
    ]);
    job.env("JOB_COMPLETION_INDEX", "1")
        .env("DRIFTLESS_SHARDS", "3");
    let auto = finish(job.spawn().unwrap()).await;
    let second = std::fs::read_to_string(&files[1]).unwrap();
    assert_eq!(
        target_names(&json_document(&auto.stdout)),
        target_names(&json_document(&second))
    );

    // Overlapping shards are refused.
    let twice = driftless(&["report", "merge", &files[0], &files[0]]).await;
    if !target_names(&json_document(&second)).is_empty() {
        one_error(&twice, &["more than one report"]);
    }
}

/// A snapshot file of `db`, in `dir`.
async fn snapshot_of(db: &TestDb, dir: &std::path::Path) -> String {
    let file = dir.join("expected.json").display().to_string();
    let run = driftless(&["snapshot", "--db", &db.url, "-o", &file]).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    file
}

#[tokio::test]
async fn an_unreachable_target_is_an_error_of_its_own_and_the_others_are_checked() {
    let (clean, drifted) = (TestDb::postgres().await, TestDb::postgres().await);
    for db in [&clean, &drifted] {
        db.exec("CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL)")
            .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let expected = snapshot_of(&clean, dir.path()).await;
    drifted.exec("ALTER TABLE users DROP COLUMN email").await;
    let down = "postgres://root@127.0.0.1:1/nowhere";
    let list = format!(
        "# the shops\n{}\n{}  # drifted\n\n{down}\npostgres://root:${{FLEET_TEST_UNSET}}@127.0.0.1/x\n",
        clean.url, drifted.url
    );
    let targets = dir.path().join("targets.txt");
    std::fs::write(&targets, &list).unwrap();
    let targets = targets.display().to_string();
    let check = |file: String, format: &'static str| {
        let expected = expected.clone();
        async move {
            driftless(&[
                "check",
                "--targets",
                &file,
                "--expect",
                &expected,
                "--format",
                format,
                "--connect-timeout",
                "3",
                "--target-timeout",
                "20s",
                "--jobs",
                "2",
            ])
            .await
        }
    };
    let run = check(targets.clone(), "json").await;
    assert_eq!(run.code, Some(1), "drift wins over errors: {run:#?}");
    let doc = json_document(&run.stdout);
    assert_eq!(doc["summary"]["targets"], 4);
    assert_eq!(doc["summary"]["failed"], 2);
    assert_eq!(doc["summary"]["drifted"], 1);
    assert_eq!(doc["summary"]["clean"], 1);
    let by_name = |name: &str| {
        doc["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["target"].as_str().unwrap().starts_with(name))
            .unwrap_or_else(|| panic!("{name} in {doc:#}"))
            .clone()
    };
    assert!(by_name(down)["error"].as_str().unwrap().contains("connect"));
    let unset = by_name(&format!("{}:6", dir.path().join("targets.txt").display()));
    assert!(unset["error"]
        .as_str()
        .unwrap()
        .contains("${FLEET_TEST_UNSET} is not set"));
    assert_eq!(by_name(&drifted.url)["drifted"], true);

    // Without the drifted one: the errors decide, exit 2.
    let list = format!("{}\n{down}\n", clean.url);
    let only = dir.path().join("only.txt");
    std::fs::write(&only, &list).unwrap();
    let run = check(only.display().to_string(), "human").await;
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert!(
        run.stdout.contains("Could not check 1 target:"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("1 clean."), "{}", run.stdout);

    // A server that accepts and never answers: the target's budget ends it.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut sockets = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            sockets.push(socket);
        }
    });
    let list = format!("{}\npostgres://root@127.0.0.1:{port}/silent\n", clean.url);
    let slow = dir.path().join("slow.txt");
    std::fs::write(&slow, &list).unwrap();
    let slow = slow.display().to_string();
    let started = std::time::Instant::now();
    let run = driftless(&[
        "check",
        "--targets",
        &slow,
        "--expect",
        &expected,
        "--connect-timeout",
        "60",
        "--target-timeout",
        "1s",
    ])
    .await;
    held.abort();
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert!(run.stdout.contains("gave up after 1s"), "{}", run.stdout);
    assert!(started.elapsed() < std::time::Duration::from_secs(30));

    // The list on stdin.
    let mut child = command(&["check", "--targets", "-", "--expect", &expected])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{}\n", clean.url).as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let run = finish(child).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(
        run.stdout.contains("1 target: 1 clean, 0 drifted."),
        "{}",
        run.stdout
    );
}

/// `check --each-database` over `dbs` (the first kept clean, the last
/// drifted by `drift`), each made with `setup`.
async fn each_database(dbs: &[TestDb], setup: &str, drift: &str) {
    for db in dbs {
        db.exec(setup).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let expected = snapshot_of(&dbs[0], dir.path()).await;
    let last = dbs.last().unwrap();
    last.exec(drift).await;
    let glob = format!(
        "{{{}}}",
        dbs.iter()
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>()
            .join(",")
    );
    let run = driftless(&[
        "check",
        "--db",
        &dbs[0].url,
        "--each-database",
        &glob,
        "--expect",
        &expected,
        "--format",
        "json",
    ])
    .await;
    assert_eq!(run.code, Some(1), "{run:#?}");
    let doc = json_document(&run.stdout);
    assert_eq!(doc["summary"]["targets"], dbs.len());
    assert_eq!(doc["summary"]["drifted"], 1);
    let drifted: Vec<&Value> = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["drifted"] == true)
        .collect();
    assert!(
        drifted[0]["target"].as_str().unwrap().contains(&last.name),
        "{doc:#}"
    );
    assert_eq!(
        groups(&doc).len(),
        2,
        "one drifted group, one clean: {doc:#}"
    );
}

#[tokio::test]
async fn each_database_of_a_postgres_server() {
    let dbs = [
        TestDb::postgres().await,
        TestDb::postgres().await,
        TestDb::postgres().await,
    ];
    each_database(
        &dbs,
        "CREATE TABLE orders (id int PRIMARY KEY, total numeric(10,2) NOT NULL)",
        "ALTER TABLE orders ALTER COLUMN total DROP NOT NULL",
    )
    .await;
}

#[tokio::test]
async fn each_database_of_a_mariadb_server() {
    let dbs = [
        TestDb::mysql().await,
        TestDb::mysql().await,
        TestDb::mysql().await,
    ];
    each_database(
        &dbs,
        "CREATE TABLE orders (id int PRIMARY KEY, total decimal(10,2) NOT NULL)",
        "ALTER TABLE orders MODIFY total decimal(10,2) NULL",
    )
    .await;
}

#[tokio::test]
async fn sqlite_files_listed_as_targets() {
    let dbs = [TestDb::sqlite(), TestDb::sqlite(), TestDb::sqlite()];
    for db in &dbs {
        db.exec("CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL)")
            .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let expected = snapshot_of(&dbs[0], dir.path()).await;
    dbs[1].exec("CREATE INDEX notes_body ON notes (body)").await;
    let list: String = dbs.iter().map(|d| format!("{}\n", d.url)).collect();
    let file = dir.path().join("targets.txt");
    std::fs::write(&file, list).unwrap();
    let file = file.display().to_string();
    let run = driftless(&["check", "--targets", &file, "--expect", &expected]).await;
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(run.stdout.contains("orphan-index"), "{}", run.stdout);
    assert!(run.stdout.contains("2 clean."), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("3 targets: 2 clean, 1 drifted in 1 group."),
        "{}",
        run.stdout
    );
    // A SQLite file has no tenant schemas.
    let each = driftless(&[
        "check",
        "--db",
        &dbs[0].url,
        "--each-schema",
        "x*",
        "--expect",
        &expected,
    ])
    .await;
    one_error(&each, &["--each-schema", "SQLite", "--targets"]);
}

#[tokio::test]
async fn a_baseline_tells_new_drift_from_known_drift() {
    let db = tenants(4, "ALTER TABLE tenant_2.users DROP COLUMN name;").await;
    let dir = tempfile::tempdir().unwrap();
    let first = check_tenants(&db, &["--format", "json"]).await;
    assert_eq!(first.code, Some(1));
    let baseline = dir.path().join("baseline.json");
    std::fs::write(&baseline, &first.stdout).unwrap();
    let baseline = baseline.display().to_string();
    let with_baseline = |format: &'static str| {
        let baseline = baseline.clone();
        let db = &db;
        async move { check_tenants(db, &["--baseline", &baseline, "--format", format]).await }
    };

    // The same drift as last night: nothing new, exit 0.
    let same = with_baseline("json").await;
    assert_eq!(same.code, Some(0), "{same:#?}");
    let doc = json_document(&same.stdout);
    assert_eq!(doc["baseline"]["new"], Value::Array(Vec::new()));
    assert_eq!(doc["baseline"]["persisting"], 1);
    assert_eq!(doc["summary"]["drifted"], 1, "still reported as drift");

    // New drift on another tenant, and the known drift repaired.
    db.exec("DROP INDEX tenant_4.users_email; ALTER TABLE tenant_2.users ADD COLUMN name text;")
        .await;
    let changed = with_baseline("json").await;
    assert_eq!(changed.code, Some(1), "{changed:#?}");
    let doc = json_document(&changed.stdout);
    let diff = &doc["baseline"];
    assert_eq!(diff["new"][0]["target"], "tenant_4");
    assert_eq!(diff["resolved"][0]["target"], "tenant_2");
    assert_eq!(diff["persisting"], 0);
    assert_eq!(diff["groups"]["new"].as_array().unwrap().len(), 1);
    assert_eq!(diff["groups"]["resolved"].as_array().unwrap().len(), 1);
    let human = with_baseline("human").await;
    assert!(
        human
            .stdout
            .contains("Since the baseline: 1 new finding(s) on 1 target, 1 resolved, 0 persisting"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("New on tenant_4:"),
        "{}",
        human.stdout
    );

    // `report merge --baseline` decides the same way.
    let now = dir.path().join("now.json");
    std::fs::write(&now, check_tenants(&db, &["--format", "json"]).await.stdout).unwrap();
    let now = now.display().to_string();
    let merged = driftless(&["report", "merge", &now, "--baseline", &baseline]).await;
    assert_eq!(merged.code, Some(1), "{merged:#?}");
    let against_itself = driftless(&["report", "merge", &now, "--baseline", &now]).await;
    assert_eq!(against_itself.code, Some(0), "{against_itself:#?}");
}

#[tokio::test]
async fn fleet_usage_errors_name_the_way_out() {
    let db = tenants(1, "").await;
    let none = check_tenants(&db, &[]).await;
    assert_eq!(none.code, Some(0), "{none:#?}");
    let run = driftless(&["check", "--each-schema", "tenant_*", "--expect", "x.json"]).await;
    one_error(&run, &["--db"]);
    let run = driftless(&[
        "check",
        "--db",
        &db.url,
        "--each-schema",
        "nobody_*",
        "--expect",
        &db.url,
        "--expect-schema",
        "template",
    ])
    .await;
    one_error(&run, &["nobody_*"]);
    let run = check_tenants(&db, &["--shard", "4/3"]).await;
    one_error(&run, &["--shard", "4/3"]);
    let run = check_tenants(&db, &["--shard", "auto"]).await;
    one_error(&run, &["DRIFTLESS_SHARDS"]);
    let run = driftless(&["check", "--db", &db.url, "--expect", &db.url, "--jobs", "3"]).await;
    assert_eq!(run.code, Some(2), "--jobs needs a fleet: {run:#?}");
    let run = driftless(&["report", "merge", "/nonexistent/shard.json"]).await;
    one_error(&run, &["/nonexistent/shard.json"]);
}

/// The schema of `schema` in `db`, as `driftless snapshot` writes it.
async fn schema_of(db: &TestDb, schema: &str) -> String {
    let run = driftless(&["snapshot", "--db", &db.url, "--schema", schema]).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    run.stdout
}

/// `plan` or `fix` over the tenants against the template.
async fn repair_tenants(db: &TestDb, command: &str, extra: &[&str]) -> Run {
    let mut args = vec![command, "--db", &db.url, "--each-schema", "tenant_*"];
    args.extend(["--expect", &db.url, "--expect-schema", "template"]);
    args.extend(extra);
    driftless(&args).await
}

#[tokio::test]
async fn a_fix_by_group_converges_every_drifted_member_and_leaves_clean_tenants_untouched() {
    let db = tenants(6, PLANTED).await;
    db.exec("INSERT INTO tenant_1.users VALUES (1, 'a@example.com', 'A')")
        .await;
    let clean_before = [
        schema_of(&db, "tenant_1").await,
        schema_of(&db, "tenant_4").await,
    ];

    // One plan per drift group, headed by its members; nothing changes.
    let plan = repair_tenants(&db, "plan", &[]).await;
    assert_eq!(plan.code, Some(1), "{plan:#?}");
    assert_eq!(
        plan.stdout.matches("-- Drift group ").count(),
        2,
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("2 target(s): tenant_2, tenant_5"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("1 target(s): tenant_3"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("ADD COLUMN \"name\""),
        "{}",
        plan.stdout
    );
    let markdown = repair_tenants(&db, "plan", &["--format", "markdown"]).await;
    crate::documents::assert_markdown(&markdown.stdout);
    let json = repair_tenants(&db, "plan", &["--format", "json"]).await;
    one_error(&json, &["--format json", "sql or markdown"]);
    let dry = repair_tenants(&db, "fix", &[]).await;
    assert_eq!(dry.code, Some(1), "{dry:#?}");
    assert_eq!(
        check_tenants(&db, &[]).await.code,
        Some(1),
        "nothing applied"
    );

    let fix = repair_tenants(&db, "fix", &["--apply"]).await;
    assert_eq!(fix.code, Some(0), "{fix:#?}");
    let again = repair_tenants(&db, "fix", &["--apply", "--format", "markdown"]).await;
    assert_eq!(again.code, Some(0), "{again:#?}");
    crate::documents::assert_markdown(&again.stdout);
    assert!(again.stdout.contains("Repaired 0 of 0"), "{}", again.stdout);
    for t in ["tenant_2", "tenant_3", "tenant_5"] {
        assert!(
            fix.stdout.contains(&format!("{t}: converged")),
            "{}",
            fix.stdout
        );
    }
    assert!(
        fix.stdout.contains("Repaired 3 of 3 drifted target(s); 0 not converged, 0 failed; 3 clean target(s) untouched."),
        "{}",
        fix.stdout
    );
    let after = check_tenants(&db, &[]).await;
    assert_eq!(after.code, Some(0), "{after:#?}");
    assert!(after.stdout.contains("6 clean."), "{}", after.stdout);
    let clean_after = [
        schema_of(&db, "tenant_1").await,
        schema_of(&db, "tenant_4").await,
    ];
    assert_eq!(clean_before, clean_after, "clean tenants untouched");
    assert_eq!(
        crate::support::scalar(&db.url, "SELECT count(*) FROM tenant_1.users").await,
        Some(1)
    );
}

#[tokio::test]
async fn a_member_that_cannot_be_repaired_does_not_stop_the_others() {
    let db = tenants(5, PLANTED).await;
    // A session reading tenant_5's table: adding its column waits, then
    // gives up; tenant_2, in the same group, is repaired.
    let reader = crate::support::hold(&db.url, &["BEGIN", "SELECT * FROM tenant_5.users"]).await;
    let fix = repair_tenants(
        &db,
        "fix",
        &["--apply", "--lock-timeout", "1s", "--jobs", "1"],
    )
    .await;
    reader.release().await;
    assert_eq!(
        fix.code,
        Some(2),
        "one failed, every other converged: {fix:#?}"
    );
    assert!(fix.stdout.contains("tenant_2: converged"), "{}", fix.stdout);
    assert!(fix.stdout.contains("tenant_3: converged"), "{}", fix.stdout);
    assert!(
        fix.stdout.contains("tenant_5: not repaired:"),
        "{}",
        fix.stdout
    );
    let check = check_tenants(&db, &["--format", "json"]).await;
    let doc = json_document(&check.stdout);
    assert_eq!(
        groups(&doc)[0],
        names(&["tenant_5"]),
        "only tenant_5 still drifted"
    );
    let again = repair_tenants(&db, "fix", &["--apply"]).await;
    assert_eq!(again.code, Some(0), "{again:#?}");
}

/// A fleet's fix follows the `[fix]` policy of driftless.toml and each
/// tenant's live sizes, as one database's fix does: with
/// `online_threshold = 0` the missing index is built concurrently, which
/// `max_lock = "share update exclusive"` lets run; with `atomic = true` it
/// is built in the transaction, under a SHARE lock the same `max_lock`
/// refuses.
#[tokio::test]
async fn a_fleet_fix_follows_the_fix_policy_and_the_live_sizes() {
    let db = tenants(
        2,
        "DROP INDEX tenant_2.users_email; \
         INSERT INTO tenant_2.users VALUES (1, 'a@example.com', 'A');",
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let policy = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let online = policy(
        "online.toml",
        "[fix]\nmax_lock = \"share update exclusive\"\nonline_threshold = 0\n",
    );
    let atomic = policy(
        "atomic.toml",
        "[fix]\nmax_lock = \"share update exclusive\"\natomic = true\n",
    );
    let plan = repair_tenants(&db, "plan", &[]).await;
    assert!(!plan.stdout.contains("CONCURRENTLY"), "{}", plan.stdout);
    let plan = repair_tenants(&db, "plan", &["--config", &online]).await;
    assert!(
        plan.stdout
            .contains("CREATE INDEX CONCURRENTLY \"users_email\""),
        "{}",
        plan.stdout
    );

    let refused = repair_tenants(&db, "fix", &["--apply", "--config", &atomic]).await;
    assert_ne!(refused.code, Some(0), "{refused:#?}");
    assert!(
        refused
            .output()
            .contains("above the allowed SHARE UPDATE EXCLUSIVE"),
        "{refused:#?}"
    );
    assert_eq!(
        check_tenants(&db, &[]).await.code,
        Some(1),
        "nothing applied"
    );
    let fix = repair_tenants(&db, "fix", &["--apply", "--config", &online]).await;
    assert_eq!(fix.code, Some(0), "{fix:#?}");
    assert_eq!(check_tenants(&db, &[]).await.code, Some(0));
}
