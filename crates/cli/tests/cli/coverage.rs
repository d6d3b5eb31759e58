//! Honest coverage: what the model does not compare (triggers, functions,
//! policies, partitions, extensions …) is counted and reported, so that
//! "No drift" only ever means every object was compared. The scenarios a
//! new user tries, on each backend: the report says what was not compared
//! (human, JSON, markdown), extension-owned objects are counted apart,
//! `[coverage] ignore` leaves kinds out, `--schema` scopes the listing, and
//! a snapshot keeps the listing.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;

use driftless_model::{CatalogKind, Snapshot};
use driftless_testkit::TestDb;
use serde_json::{json, Value};

use crate::documents::json_document;
use crate::support::*;

/// The expected schema of the PostgreSQL scenario: a table, an extension
/// (compared; the objects it owns are counted apart) and a trigger
/// (compared).
const PG_TABLES: &str = "\
CREATE EXTENSION citext;
CREATE TABLE public.orders (id int PRIMARY KEY, updated_at timestamptz);
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql
  AS $$BEGIN NEW.updated_at = now(); RETURN NEW; END$$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON public.orders
  FOR EACH ROW EXECUTE FUNCTION public.touch();";

/// The same, and what a new user's database also has of the kinds the
/// model does not compare.
const PG_EXTRAS: &str = "\
CREATE AGGREGATE public.int_total(int) (SFUNC = int4pl, STYPE = int);
CREATE OPERATOR public.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = int4eq);
CREATE STATISTICS public.orders_stats ON id, updated_at FROM public.orders;
CREATE FOREIGN DATA WRAPPER dummy_fdw;
CREATE SERVER dummy_server FOREIGN DATA WRAPPER dummy_fdw;
CREATE FOREIGN TABLE public.remote_orders (id int) SERVER dummy_server;";

async fn postgres_scenario() -> (TestDb, TestDb) {
    let expected = TestDb::postgres().await;
    expected.exec(PG_TABLES).await;
    let actual = TestDb::postgres().await;
    actual.exec(PG_TABLES).await;
    actual.exec(PG_EXTRAS).await;
    (expected, actual)
}

async fn check(actual: &str, expected: &str, extra: &[&str]) -> Run {
    let mut args = vec!["check", "--db", actual, "--expect", expected];
    args.extend_from_slice(extra);
    driftless(&args).await
}

/// Checks `actual` against `expected` in human form (exit 0, no "No
/// drift:", the summary naming what was `not_compared`) and returns the
/// JSON report.
async fn human_then_json(actual: &str, expected: &str, not_compared: &str) -> Value {
    let human = check(actual, expected, &[]).await;
    assert_eq!(human.code, Some(0), "{human:#?}");
    assert!(!human.stdout.contains("No drift:"), "{}", human.stdout);
    let summary = format!("not compared: {not_compared} (see unmodeled-object)");
    assert!(human.stdout.contains(&summary), "{}", human.stdout);
    json_document(&check(actual, expected, &["--format", "json"]).await.stdout)
}

/// The `unmodeled-object` findings of a JSON report: path → message.
fn unmodeled(doc: &Value) -> Vec<(String, String)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "unmodeled-object")
        .map(|f| {
            let o = &f["object"];
            let path = [&o["schema"], &o["name"]]
                .iter()
                .filter_map(|v| v.as_str())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(".");
            (path, f["message"].as_str().unwrap().to_string())
        })
        .collect()
}

#[tokio::test]
async fn postgres_reports_what_it_did_not_compare() {
    let (expected, actual) = postgres_scenario().await;

    let human = check(&actual.url, &expected.url, &[]).await;
    assert_eq!(human.code, Some(0), "{human:#?}");
    assert!(!human.stdout.contains("No drift:"), "{}", human.stdout);
    assert!(
        human.stdout.contains(
            "No drift in what was compared: \
             postgres://root@127.0.0.1:5432/"
        ) || human.stdout.contains("No drift in what was compared: "),
        "{}",
        human.stdout
    );
    let kinds = "1 aggregate, 1 foreign data wrapper, 1 foreign server, 1 foreign table, \
                 1 operator, 1 statistics";
    assert!(
        human
            .stdout
            .contains(&format!("not compared: {kinds} (see unmodeled-object)")),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .contains("\ndatabase\n  info     unmodeled-object  1 foreign data wrapper"),
        "{}",
        human.stdout
    );
    assert!(!human.stdout.contains("citextin"), "{}", human.stdout);

    let run = check(&actual.url, &expected.url, &["--format", "json"]).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    let doc = json_document(&run.stdout);
    assert_eq!(
        doc["coverage"]["not_compared"],
        json!({"aggregate": 1, "foreign data wrapper": 1, "foreign server": 1,
               "foreign table": 1, "operator": 1, "statistics": 1})
    );
    // The extension's own functions and types come with it: counted apart.
    assert!(doc["coverage"]["extension_owned"].as_u64().unwrap() > 10);
    assert_eq!(doc["coverage"]["compared"]["tables"], 1);
    // The extension, the function and the trigger are compared.
    assert_eq!(doc["coverage"]["compared"]["defined"], 3);
    assert_eq!(
        unmodeled(&doc),
        [
            (
                "foreign data wrapper".into(),
                "1 foreign data wrapper not compared: dummy_fdw".into()
            ),
            (
                "foreign server".into(),
                "1 foreign server not compared: dummy_server".into()
            ),
            (
                "public.aggregate".into(),
                "1 aggregate in public not compared: int_total".into()
            ),
            (
                "public.foreign table".into(),
                "1 foreign table in public not compared: remote_orders".into()
            ),
            (
                "public.operator".into(),
                "1 operator in public not compared: ===".into()
            ),
            (
                "public.statistics".into(),
                "1 statistics in public not compared: orders_stats".into()
            ),
        ]
    );
    assert!(doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["severity"] == "info"));

    let md = check(&actual.url, &expected.url, &["--format", "markdown"]).await;
    assert!(
        md.stdout.contains("No drift in what was compared"),
        "{}",
        md.stdout
    );

    // Info findings fail only when asked to.
    let strict = check(&actual.url, &expected.url, &["--fail-on", "info"]).await;
    assert_eq!(strict.code, Some(1), "{strict:#?}");
}

#[tokio::test]
async fn postgres_coverage_ignore_and_schema_selection() {
    let (expected, actual) = postgres_scenario().await;
    // Both have schema `other` (an extra schema is drift); only the actual
    // one holds an aggregate there.
    expected.exec("CREATE SCHEMA other;").await;
    actual
        .exec("CREATE SCHEMA other; CREATE AGGREGATE other.f(int) (SFUNC = int4pl, STYPE = int);")
        .await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("driftless.toml");
    std::fs::write(
        &config,
        "[coverage]\nignore = [\"aggregate\", \"operator\", \"statistics\", \"foreign table\", \"foreign data wrapper\", \"foreign server\"]\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();

    let run = check(
        &actual.url,
        &expected.url,
        &["--config", config, "--format", "json"],
    )
    .await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    let doc = json_document(&run.stdout);
    assert_eq!(doc["coverage"]["not_compared"], json!({}));
    assert_eq!(unmodeled(&doc), Vec::<(String, String)>::new());
    // Everything ignored: "No drift" again.
    let human = check(
        &actual.url,
        &expected.url,
        &["--config", config, "--schema", "public"],
    )
    .await;
    assert_eq!(human.code, Some(0), "{human:#?}");
    assert!(human.stdout.contains("No drift: "), "{}", human.stdout);

    // `--schema public`: the function in `other` is not listed.
    let run = check(
        &actual.url,
        &expected.url,
        &["--schema", "public", "--format", "json"],
    )
    .await;
    let doc = json_document(&run.stdout);
    assert_eq!(doc["coverage"]["not_compared"]["aggregate"], 1);
    let run = check(
        &actual.url,
        &expected.url,
        &["--schema", "other", "--format", "json"],
    )
    .await;
    let doc = json_document(&run.stdout);
    assert_eq!(
        unmodeled(&doc),
        [(
            "other.aggregate".into(),
            "1 aggregate in other not compared: f".into()
        )]
    );

    // A kind that is not one is refused, naming the file.
    std::fs::write(
        dir.path().join("bad.toml"),
        "[coverage]\nignore = [\"gadget\"]\n",
    )
    .unwrap();
    let bad = dir.path().join("bad.toml");
    let run = check(
        &actual.url,
        &expected.url,
        &["--config", bad.to_str().unwrap()],
    )
    .await;
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert!(
        run.stderr.contains("`gadget` is not a kind of object"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn postgres_snapshot_keeps_what_was_not_compared() {
    let (_expected, actual) = postgres_scenario().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("schema.json");
    let file_s = file.to_str().unwrap();
    let run = driftless(&["snapshot", "--db", &actual.url, "-o", file_s]).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    let text = std::fs::read_to_string(&file).unwrap();
    crate::documents::snapshot_document(&text);
    let snap = Snapshot::from_json(&text, Path::new("schema.json")).unwrap();
    assert_eq!(
        Snapshot::from_json(&snap.to_json(), Path::new("again")).unwrap(),
        snap
    );
    let kinds: Vec<CatalogKind> = snap
        .unmodeled
        .iter()
        .filter(|o| o.extension.is_none())
        .map(|o| o.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            CatalogKind::Aggregate,
            CatalogKind::ForeignTable,
            CatalogKind::ForeignDataWrapper,
            CatalogKind::ForeignServer,
            CatalogKind::Statistics,
            CatalogKind::Operator,
        ]
    );
    let compared: Vec<(CatalogKind, &str)> = snap
        .objects
        .iter()
        .map(|o| (o.kind, o.name.as_str()))
        .collect();
    assert_eq!(
        compared,
        [
            (CatalogKind::Function, "touch()"),
            (CatalogKind::Trigger, "orders_touch"),
            (CatalogKind::Extension, "citext"),
        ]
    );
    assert!(snap
        .unmodeled
        .iter()
        .any(|o| o.name.starts_with("citextin(") && o.extension.as_deref() == Some("citext")));

    // Checked against its own snapshot: both sides say what they hold.
    let run = check(&actual.url, file_s, &["--format", "json"]).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    let doc = json_document(&run.stdout);
    assert_eq!(doc["coverage"]["expected_not_compared"]["operator"], 1);
    assert!(unmodeled(&doc)
        .iter()
        .any(|(_, m)| m == "the expected schema: 1 operator in public not compared: ==="));
}

/// MariaDB's triggers, routines, events and partitions are all compared:
/// the extra trigger and procedure are drift (exit 1), and nothing is left
/// "not compared".
#[tokio::test]
async fn mariadb_compares_triggers_and_procedures() {
    let tables = "CREATE TABLE orders (id int PRIMARY KEY, total int)";
    let expected = TestDb::mysql().await;
    expected.exec(tables).await;
    let actual = TestDb::mysql().await;
    actual.exec(tables).await;
    actual
        .exec("CREATE TRIGGER orders_check BEFORE INSERT ON orders FOR EACH ROW SET NEW.total = COALESCE(NEW.total, 0)")
        .await;
    actual
        .exec("CREATE PROCEDURE purge_orders() DELETE FROM orders WHERE total = 0")
        .await;
    let human = check(&actual.url, &expected.url, &[]).await;
    assert_eq!(human.code, Some(1), "{human:#?}");
    assert!(!human.stdout.contains("not compared"), "{}", human.stdout);
    let doc = json_document(
        &check(&actual.url, &expected.url, &["--format", "json"])
            .await
            .stdout,
    );
    assert!(unmodeled(&doc).is_empty());
    let mut orphans: Vec<(String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "orphan-object")
        .map(|f| {
            (
                f["object"]["kind"].as_str().unwrap().to_string(),
                f["object"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    orphans.sort();
    assert_eq!(
        orphans,
        [
            ("procedure".to_string(), "purge_orders".to_string()),
            ("trigger".to_string(), "orders_check".to_string()),
        ]
    );
}

#[tokio::test]
async fn sqlite_compares_triggers_and_reports_virtual_tables() {
    let tables = "CREATE TABLE orders (id integer PRIMARY KEY, updated_at text);
        CREATE TRIGGER orders_touch AFTER UPDATE ON orders BEGIN UPDATE orders SET updated_at = datetime('now') WHERE id = NEW.id; END;";
    let expected = TestDb::sqlite();
    expected.exec(tables).await;
    let actual = TestDb::sqlite();
    actual.exec(tables).await;
    actual
        .exec("CREATE VIRTUAL TABLE docs USING fts5(body);")
        .await;
    let doc = human_then_json(&actual.url, &expected.url, "1 virtual table").await;
    assert_eq!(
        unmodeled(&doc),
        [(
            "main.virtual table".into(),
            "1 virtual table in main not compared: docs".into()
        )]
    );
    // The same database as expected: both sides hold it; still not "No drift".
    let same = check(&actual.url, &actual.url, &[]).await;
    assert!(!same.stdout.contains("No drift:"), "{}", same.stdout);
    // A trigger only the database has is drift.
    actual
        .exec("CREATE TRIGGER orders_log AFTER INSERT ON orders BEGIN SELECT 1; END;")
        .await;
    let drift = check(&actual.url, &expected.url, &[]).await;
    assert_ne!(drift.code, Some(0), "{drift:#?}");
    assert!(
        drift.stdout.contains("orphan-object")
            && drift.stdout.contains("trigger orders_log on main.orders"),
        "{}",
        drift.stdout
    );
}
