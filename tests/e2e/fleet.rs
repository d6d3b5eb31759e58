//! Fleets through the library: tenant schemas built from a template with
//! planted drift, many databases with one unreachable, shards, merge, a
//! baseline, and the fix by group, on real servers.

use std::collections::BTreeSet;

use driftless_fixer::{ApplyOptions, PlanOptions};
use driftless_introspect::{ConnectOptions, Database, DbUrl, IntrospectOptions};
use driftless_model::Snapshot;
use driftless_pipeline::fleet::{
    Baseline, Fleet, FleetReport, Groups, Shard, TargetCheck, TargetReport, TargetUrl,
};
use driftless_pipeline::{GivenSchema, MigrationReplay};
use driftless_testkit::TestDb;
use futures::stream::{self, BoxStream, StreamExt};

/// A template schema `tpl` with an enum, a serial key, a foreign key, a
/// check, an index, a view, a trigger with its function, and row-level
/// security with a policy: every kind whose printed form names its schema.
const TEMPLATE: &str = "
CREATE TYPE {s}.mood AS ENUM ('ok', 'meh');
CREATE TABLE {s}.users (
  id serial PRIMARY KEY,
  email text NOT NULL CHECK (email <> ''),
  mood {s}.mood NOT NULL DEFAULT 'ok'
);
CREATE TABLE {s}.orders (
  id bigserial PRIMARY KEY,
  user_id integer NOT NULL REFERENCES {s}.users (id),
  total numeric(10, 2) NOT NULL DEFAULT 0
);
CREATE INDEX orders_user ON {s}.orders (user_id);
CREATE VIEW {s}.big_orders AS SELECT id, total FROM {s}.orders WHERE total > 100;
CREATE FUNCTION {s}.touch() RETURNS trigger LANGUAGE plpgsql
  AS $$ BEGIN NEW.total = round(NEW.total, 2); RETURN NEW; END $$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON {s}.orders FOR EACH ROW EXECUTE FUNCTION {s}.touch();
ALTER TABLE {s}.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON {s}.orders USING (user_id > 0);
";

async fn tenants(db: &TestDb, names: &[&str]) {
    let mut sql = String::new();
    for s in names {
        sql.push_str(&format!("CREATE SCHEMA {s};"));
        sql.push_str(&TEMPLATE.replace("{s}", s));
    }
    db.exec(&sql).await;
}

async fn read(url: &DbUrl, schemas: &[&str]) -> Snapshot {
    let mut c = Database::connect(url, &ConnectOptions::read_only())
        .await
        .unwrap();
    let s = c
        .snapshot(&IntrospectOptions::default().with_schemas(schemas.iter().map(|s| s.to_string())))
        .await
        .unwrap();
    c.close().await.unwrap();
    s
}

/// A fleet report from a stream of checks, as the command writes it.
async fn report_of(fleet: &Fleet, mut checks: BoxStream<'_, TargetCheck>) -> FleetReport {
    let mut groups = Groups::new();
    let mut targets: Vec<TargetReport> = Vec::new();
    while let Some(check) = checks.next().await {
        targets.push(check.add_to(&mut groups));
    }
    targets.sort_by(|a, b| a.target.cmp(&b.target));
    let (groups, summary) = groups.finish();
    FleetReport {
        json_schema: None,
        expected: fleet.describe(),
        shard: None,
        targets,
        groups,
        summary,
        baseline: None,
    }
}

/// A template schema and five tenants: 2 and 4 lost a column, 3 grew an index.
async fn planted() -> (TestDb, DbUrl, Snapshot) {
    let db = TestDb::postgres().await;
    tenants(
        &db,
        &[
            "tpl", "tenant_1", "tenant_2", "tenant_3", "tenant_4", "tenant_5",
        ],
    )
    .await;
    db.exec(
        "ALTER TABLE tenant_2.orders DROP COLUMN total CASCADE;
         ALTER TABLE tenant_4.orders DROP COLUMN total CASCADE;
         CREATE INDEX users_email ON tenant_3.users (email);
         INSERT INTO tenant_1.users (email) VALUES ('a@example.com');",
    )
    .await;
    let url = DbUrl::parse(&db.url).unwrap();
    let template = read(&url, &["tpl"]).await;
    (db, url, template)
}

fn fleet_of(template: &Snapshot) -> Fleet {
    Fleet::new(Box::new(GivenSchema::new(template.clone(), "template tpl")))
}

fn drifted(report: &FleetReport) -> Vec<&str> {
    report
        .targets
        .iter()
        .filter(|t| t.drifted)
        .map(|t| t.target.as_str())
        .collect()
}

#[tokio::test]
async fn tenant_schemas_report_exactly_the_drifted_ones_grouped_by_drift() {
    let (_db, url, template) = planted().await;
    let fleet = fleet_of(&template);
    let report = report_of(&fleet, fleet.each_schema(&url, "tenant_*").await.unwrap()).await;
    assert_eq!(
        drifted(&report),
        ["tenant_2", "tenant_3", "tenant_4"],
        "{report:#?}"
    );
    assert_eq!(report.summary.clean, 2);
    assert_eq!(report.summary.groups, 3);
    // Biggest drifted group first: the two that lost the same column, whose
    // findings name the template's objects.
    let first = &report.groups[0];
    assert_eq!(first.targets, ["tenant_2", "tenant_4"]);
    assert!(first.findings.iter().any(|f| f.rule == "missing-column"
        && f.object.schema == "tpl"
        && f.object.table.as_deref() == Some("orders")));
    assert_eq!(report.groups[1].targets, ["tenant_3"]);
    assert!(!report.groups[2].drifted);
    assert_eq!(report.groups[2].targets, ["tenant_1", "tenant_5"]);
    // Each target's own findings name its own schema.
    let t2 = report
        .targets
        .iter()
        .find(|t| t.target == "tenant_2")
        .unwrap();
    assert!(
        t2.findings.iter().all(|f| f.object.schema == "tenant_2"),
        "{t2:#?}"
    );
    assert!(t2
        .findings
        .iter()
        .any(|f| f.message.contains("tenant_2.orders")));
}

#[tokio::test]
async fn shards_are_disjoint_and_complete_and_merge_into_the_unsharded_run() {
    let (_db, url, template) = planted().await;
    let whole = {
        let fleet = fleet_of(&template);
        report_of(&fleet, fleet.each_schema(&url, "tenant_*").await.unwrap()).await
    };
    let mut parts = Vec::new();
    for i in 1..=3 {
        let fleet = fleet_of(&template).with_shard(Shard::new(i, 3).unwrap());
        // A shard may hold no tenant of five: an empty stream, not an error.
        let part = report_of(&fleet, fleet.each_schema(&url, "tenant_*").await.unwrap()).await;
        parts.push(part);
    }
    let names: Vec<String> = parts
        .iter()
        .flat_map(|p| p.targets.iter().map(|t| t.target.clone()))
        .collect();
    let unique: BTreeSet<&String> = names.iter().collect();
    assert_eq!(names.len(), 5, "{names:?}");
    assert_eq!(unique.len(), 5);
    let merged = FleetReport::merge(parts).unwrap();
    assert_eq!(merged, whole);
}

#[tokio::test]
async fn a_baseline_tells_new_drift_from_known_drift() {
    let (db, url, template) = planted().await;
    let fleet = fleet_of(&template);
    let before = report_of(&fleet, fleet.each_schema(&url, "tenant_*").await.unwrap()).await;
    db.exec("DROP INDEX tenant_3.users_email; ALTER TABLE tenant_5.users ADD COLUMN avatar text;")
        .await;
    let now = report_of(&fleet, fleet.each_schema(&url, "tenant_*").await.unwrap()).await;
    let mut baseline = Baseline::new(before);
    now.targets.iter().for_each(|t| baseline.compare(t));
    let diff = baseline.finish(now.groups.iter().map(|g| g.fingerprint.as_str()));
    let targets = |list: &[driftless_pipeline::fleet::TargetChange]| -> Vec<String> {
        list.iter().map(|c| c.target.clone()).collect()
    };
    assert_eq!(targets(&diff.new), ["tenant_5"]);
    assert_eq!(targets(&diff.resolved), ["tenant_3"]);
    assert!(diff.persisting >= 2, "{diff:#?}");
    assert!(diff.has_new_drift(driftless_rules::Severity::Warning));
}

#[tokio::test]
async fn a_fix_by_group_converges_every_member_and_leaves_clean_tenants_untouched() {
    let (_db, url, template) = planted().await;
    let clean_before = read(&url, &["tenant_1", "tenant_5"]).await;
    let fleet = fleet_of(&template);
    let checks: Vec<TargetCheck> = fleet
        .each_schema(&url, "tenant_*")
        .await
        .unwrap()
        .collect()
        .await;
    let options = PlanOptions::default();
    let groups = fleet.plan_groups(checks, &options).unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0].targets, ["tenant_2", "tenant_4"]);
    assert_eq!(groups[0].representative, "tenant_2");
    let mut fixed = Vec::new();
    for group in groups {
        fixed.extend(group.apply(&options, &ApplyOptions::default(), 2).await);
    }
    assert_eq!(fixed.len(), 3);
    for f in &fixed {
        let repair = f
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("{}: {e}", f.target));
        assert!(
            repair.converged(),
            "{}: {:#?}",
            f.target,
            repair.after.findings
        );
    }
    let again = report_of(&fleet, fleet.each_schema(&url, "tenant_*").await.unwrap()).await;
    assert_eq!(again.summary.drifted, 0, "{again:#?}");
    assert_eq!(read(&url, &["tenant_1", "tenant_5"]).await, clean_before);
}

/// Targets as the command reads them: URLs, or a line that is none.
fn urls(list: Vec<TargetUrl>) -> BoxStream<'static, TargetUrl> {
    stream::iter(list).boxed()
}

#[tokio::test]
async fn many_databases_with_an_unreachable_one_report_it_and_check_the_others() {
    let schema = "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);";
    let mut dbs = Vec::new();
    for _ in 0..3 {
        let db = TestDb::postgres().await;
        db.exec(schema).await;
        dbs.push(db);
    }
    dbs[1]
        .exec("ALTER TABLE users ADD COLUMN avatar text")
        .await;
    let expected = read(&DbUrl::parse(&dbs[0].url).unwrap(), &[]).await;
    let fleet = Fleet::new(Box::new(GivenSchema::new(expected, "template"))).with_jobs(2);
    let mut list: Vec<TargetUrl> = dbs
        .iter()
        .map(|d| Ok(DbUrl::parse(&d.url).unwrap()))
        .collect();
    let down = DbUrl::parse("postgres://nobody:secret@127.0.0.1:1/none?connect_timeout=2").unwrap();
    list.push(Ok(down));
    list.push(Err((
        "line 7".into(),
        "line 7: not a database URL: 'oops'".into(),
    )));
    let report = report_of(&fleet, fleet.databases(urls(list), None)).await;
    assert_eq!(report.summary.targets, 5);
    assert_eq!(report.summary.failed, 2, "{report:#?}");
    assert_eq!(report.summary.drifted, 1);
    assert_eq!(
        drifted(&report),
        [DbUrl::parse(&dbs[1].url).unwrap().to_string()]
    );
    let failed: Vec<&TargetReport> = report
        .targets
        .iter()
        .filter(|t| t.error.is_some())
        .collect();
    assert!(failed
        .iter()
        .all(|t| !t.target.contains("secret") && !t.error.as_ref().unwrap().contains("secret")));
}

#[tokio::test]
async fn mysql_databases_of_a_server_group_by_drift_under_the_expected_name() {
    let prefix = format!("fleet{}", std::process::id());
    let schema = "CREATE TABLE users (id int PRIMARY KEY, email varchar(100) NOT NULL);";
    let mut dbs = Vec::new();
    for i in 0..4 {
        let db = TestDb::mysql_named(&format!("{prefix}_{i}")).await;
        db.exec(schema).await;
        dbs.push(db);
    }
    for d in [&dbs[1], &dbs[3]] {
        d.exec("ALTER TABLE users ADD COLUMN avatar varchar(10)")
            .await;
    }
    let server = DbUrl::parse(&dbs[0].url).unwrap();
    let expected = read(&server, &[]).await;
    let fleet = Fleet::new(Box::new(GivenSchema::new(expected, "template")));
    let found = driftless_pipeline::fleet::list_databases(
        &server,
        &format!("{prefix}_*"),
        &ConnectOptions::read_only(),
    )
    .await
    .unwrap();
    assert_eq!(found.len(), 4);
    let report = report_of(
        &fleet,
        fleet.databases(urls(found.into_iter().map(Ok).collect()), None),
    )
    .await;
    assert_eq!(report.summary.drifted, 2, "{report:#?}");
    assert_eq!(report.groups[0].targets.len(), 2, "{report:#?}");
    assert!(report.groups[0].drifted);
}

#[tokio::test]
async fn sqlite_files_are_targets_too() {
    let mut files = Vec::new();
    for i in 0..3 {
        let db = TestDb::sqlite();
        db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);")
            .await;
        if i == 2 {
            db.exec("CREATE INDEX users_email ON users (email)").await;
        }
        files.push(db);
    }
    let expected = read(&DbUrl::parse(&files[0].url).unwrap(), &[]).await;
    let fleet = Fleet::new(Box::new(GivenSchema::new(expected, "template")));
    let list = files
        .iter()
        .map(|f| Ok(DbUrl::parse(&f.url).unwrap()))
        .collect();
    let report = report_of(&fleet, fleet.databases(urls(list), None)).await;
    assert_eq!(report.summary.drifted, 1, "{report:#?}");
    assert_eq!(report.summary.clean, 2);
}

/// Tenants whose ledgers differ: each judged against the migrations its
/// own ledger records (loaded once per distinct ledger), with provenance.
#[tokio::test]
async fn tenants_with_their_own_ledgers_are_judged_against_their_recorded_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path();
    std::fs::write(
        m.join("0001_users.sql"),
        "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);",
    )
    .unwrap();
    std::fs::write(
        m.join("0002_login.sql"),
        "ALTER TABLE users ADD COLUMN login_count integer NOT NULL DEFAULT 0;",
    )
    .unwrap();
    let db = TestDb::postgres().await;
    let dev = TestDb::postgres().await;
    let ledger = |s: &str, versions: &[i64]| {
        let mut sql = format!(
            "CREATE TABLE {s}._sqlx_migrations (version bigint PRIMARY KEY, description text NOT NULL, \
             installed_on timestamptz NOT NULL DEFAULT now(), success boolean NOT NULL, \
             checksum bytea NOT NULL, execution_time bigint NOT NULL);"
        );
        for v in versions {
            let file = std::fs::read(m.join(if *v == 1 {
                "0001_users.sql"
            } else {
                "0002_login.sql"
            }))
            .unwrap();
            let sum = sha384_hex(&file);
            let name = if *v == 1 { "users" } else { "login" };
            sql.push_str(&format!(
                "INSERT INTO {s}._sqlx_migrations (version, description, success, checksum, execution_time) \
                 VALUES ({v}, '{name}', true, '\\x{sum}', 1);"
            ));
        }
        sql
    };
    let mut sql = String::new();
    for (s, cols, versions) in [
        (
            "t_a",
            ", login_count integer NOT NULL DEFAULT 0",
            &[1, 2][..],
        ),
        ("t_b", "", &[1][..]),
        ("t_c", "", &[1, 2][..]),
    ] {
        sql.push_str(&format!(
            "CREATE SCHEMA {s}; CREATE TABLE {s}.users (id integer PRIMARY KEY, email text NOT NULL{cols});"
        ));
        sql.push_str(&ledger(s, versions));
    }
    db.exec(&sql).await;
    let url = DbUrl::parse(&db.url).unwrap();
    let source = MigrationReplay::new(m).with_dev_url(DbUrl::parse(&dev.url).unwrap());
    let fleet = Fleet::new(Box::new(source));
    let report = report_of(&fleet, fleet.each_schema(&url, "t_*").await.unwrap()).await;
    // t_b records only 0001: 0002 is pending, not drift. t_c records 0002
    // without its column: drift that names the migration.
    assert_eq!(drifted(&report), ["t_c"], "{report:#?}");
    let t_c = report.targets.iter().find(|t| t.target == "t_c").unwrap();
    assert!(
        t_c.findings.iter().any(|f| f.rule == "missing-column"
            && f.migration.as_deref() == Some("2")
            && f.object.schema == "t_c"
            && f.message.contains("t_c.users.login_count")),
        "{t_c:#?}"
    );
    assert!(
        t_c.findings
            .iter()
            .any(|f| f.rule == "ledger-effect-missing"),
        "{t_c:#?}"
    );
    // The template's schema comment (the server's own, on `public`) is not
    // the tenants' business.
    assert!(report
        .targets
        .iter()
        .all(|t| t.findings.iter().all(|f| f.rule != "comment-mismatch")));
}

fn sha384_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha384};
    Sha384::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An expected side with two schemas and no `--expect-schema`: one error
/// before any tenant is judged, not one per tenant.
#[tokio::test]
async fn an_expected_side_that_does_not_fit_is_one_error_before_any_target() {
    let (_db, url, template) = planted().await;
    let mut two = template.clone();
    two.rename_schema("tpl", "other");
    two.schemas.extend(template.schemas.clone());
    let fleet = Fleet::new(Box::new(GivenSchema::new(two, "two schemas")));
    let Err(e) = fleet.each_schema(&url, "tenant_*").await else {
        panic!("an expected side with two schemas was accepted");
    };
    assert!(e.to_string().contains("--expect-schema"), "{e}");
    let picked = fleet_of(&template).with_expect_schema("tpl");
    let report = report_of(&picked, picked.each_schema(&url, "tenant_*").await.unwrap()).await;
    assert_eq!(report.summary.drifted, 3);
}
