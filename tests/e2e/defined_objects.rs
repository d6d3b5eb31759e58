//! Objects compared by their definition on PostgreSQL (functions,
//! procedures, triggers, event triggers, policies, row security, rules,
//! extensions, domains, composite and range types, collations): found,
//! repaired in dependency order with data rows present, and converged;
//! and the dependency cases the fixer must order (a policy on a column
//! that is dropped, a default calling a function made in the same plan, a
//! routine calling another).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use driftless_fixer::{Orphans, PlanOptions, Safety};
use driftless_introspect::IntrospectOptions;
use driftless_model::{CatalogKind, ObjectKind, OptIn, Snapshot};
use driftless_testkit::Backend;
use support::*;

/// Every compared kind, with data in the tables.
const RICH: &str = r#"
SET check_function_bodies = false;
CREATE EXTENSION IF NOT EXISTS citext;
CREATE SCHEMA app;
CREATE COLLATION app.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE DOMAIN app.posint AS integer CHECK (VALUE > 0);
CREATE TYPE app.pair AS (a int, b text);
CREATE TYPE app.floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE FUNCTION app.add(a integer, b integer) RETURNS integer LANGUAGE sql AS 'SELECT a + b';
COMMENT ON FUNCTION app.add(integer, integer) IS 'adds';
CREATE FUNCTION app.items_total() RETURNS bigint LANGUAGE sql AS 'SELECT sum(qty) FROM app.items';
CREATE FUNCTION app.double_total() RETURNS bigint LANGUAGE plpgsql
  AS $$ BEGIN RETURN app.items_total() * 2; END $$;
CREATE PROCEDURE app.reset_items() LANGUAGE sql AS 'UPDATE app.items SET qty = 1';
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql
  AS $$ BEGIN NEW.updated_at = now(); RETURN NEW; END $$;
CREATE TABLE app.items (
  id int PRIMARY KEY,
  qty app.posint,
  p app.pair,
  r app.floatrange,
  email citext,
  name text COLLATE app.ci,
  n int DEFAULT app.add(1, 2),
  tenant int NOT NULL DEFAULT 1,
  updated_at timestamptz
);
CREATE TRIGGER items_touch BEFORE UPDATE ON app.items FOR EACH ROW EXECUTE FUNCTION app.touch();
CREATE TRIGGER items_quiet AFTER INSERT ON app.items FOR EACH ROW EXECUTE FUNCTION app.touch();
ALTER TABLE app.items DISABLE TRIGGER items_quiet;
COMMENT ON TRIGGER items_touch ON app.items IS 'keeps updated_at';
ALTER TABLE app.items ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.items FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON app.items FOR SELECT USING (tenant = 1);
CREATE TABLE app.log (id int);
CREATE RULE log_nodelete AS ON DELETE TO app.log DO INSTEAD NOTHING;
CREATE FUNCTION app.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
"#;

const ROWS: &str =
    "INSERT INTO app.items (id, qty, email, name) VALUES (1, 5, 'A@x', 'a'), (2, 7, 'b@x', 'b');";

fn options() -> PlanOptions {
    PlanOptions::default()
        .with_orphans(Orphans::Drop)
        .with_allow(Safety::DataLoss)
}

async fn converges(expected_sql: &str, actual_sql: &str) -> driftless_fixer::FixPlan {
    converges_on(&Server::Main(Backend::Postgres), expected_sql, actual_sql).await
}

async fn converges_on(
    server: &Server,
    expected_sql: &str,
    actual_sql: &str,
) -> driftless_fixer::FixPlan {
    let expected = snapshot(&server.db_with(expected_sql).await).await;
    let db = server.db_with(actual_sql).await;
    let fixed = fix(&db, &expected, &options()).await.unwrap();
    assert!(
        fixed.left.is_empty(),
        "not converged:\n{}\n{}",
        describe(&fixed.left),
        fixed.plan.to_sql()
    );
    let again = fix(&db, &expected, &options()).await.unwrap();
    assert!(again.plan.steps.is_empty(), "{}", again.plan.to_sql());
    fixed.plan
}

#[tokio::test]
async fn every_kind_is_read_with_its_definition_drop_and_dependencies() {
    reads_every_kind(&Server::Main(Backend::Postgres)).await;
}

/// The fixture read and converged from an empty database on every other
/// supported PostgreSQL version (`DRIFTLESS_TEST_POSTGRES_URLS`).
#[test]
fn every_kind_is_read_and_created_on_every_postgres_version() {
    driftless_testkit::each_postgres_version(|server| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let server = Server::Postgres(server);
        rt.block_on(async {
            reads_every_kind(&server).await;
            converges_on(&server, RICH, "").await;
        });
    });
}

async fn reads_every_kind(server: &Server) {
    let db = server.db_with(RICH).await;
    let snap = snapshot(&db).await;
    let find = |kind: CatalogKind, name: &str| {
        snap.objects
            .iter()
            .find(|o| o.kind == kind && o.name == name)
            .unwrap_or_else(|| panic!("{kind} {name} in {:#?}", snap.objects))
    };
    let add = find(CatalogKind::Function, "add(a integer, b integer)");
    assert!(add
        .definition
        .starts_with("CREATE OR REPLACE FUNCTION app.add(a integer, b integer)\n RETURNS integer"));
    assert_eq!(add.drop, "DROP FUNCTION app.add(a integer, b integer)");
    assert_eq!(add.comment.as_deref(), Some("adds"));
    assert_eq!(
        add.then,
        ["COMMENT ON FUNCTION app.add(a integer, b integer) IS 'adds'"]
    );
    let touch = find(CatalogKind::Trigger, "items_touch");
    assert_eq!(touch.table.as_deref(), Some("items"));
    assert_eq!(
        touch.definition,
        "CREATE TRIGGER items_touch BEFORE UPDATE ON app.items FOR EACH ROW EXECUTE FUNCTION app.touch()"
    );
    assert_eq!(touch.drop, "DROP TRIGGER items_touch ON app.items");
    let deps: Vec<(ObjectKind, Option<&str>, Option<&str>)> = touch
        .depends_on
        .iter()
        .map(|d| (d.kind, d.table.as_deref(), d.name.as_deref()))
        .collect();
    assert_eq!(
        deps,
        [
            (ObjectKind::Table, Some("items"), None),
            (ObjectKind::Function, None, Some("touch()")),
        ]
    );
    let quiet = find(CatalogKind::Trigger, "items_quiet");
    assert_eq!(
        quiet.then,
        ["ALTER TABLE app.items DISABLE TRIGGER items_quiet"]
    );
    let policy = find(CatalogKind::Policy, "tenant_rows");
    assert_eq!(
        policy.definition,
        "CREATE POLICY tenant_rows ON app.items AS PERMISSIVE FOR SELECT TO PUBLIC USING ((tenant = 1))"
    );
    let rls = find(CatalogKind::RowSecurity, "items");
    assert_eq!(
        rls.definition,
        "ALTER TABLE app.items ENABLE ROW LEVEL SECURITY"
    );
    assert_eq!(rls.then, ["ALTER TABLE app.items FORCE ROW LEVEL SECURITY"]);
    assert_eq!(
        find(CatalogKind::Rule, "log_nodelete").definition,
        "CREATE RULE log_nodelete AS\n    ON DELETE TO app.log DO INSTEAD NOTHING"
    );
    assert_eq!(
        find(CatalogKind::Domain, "posint").definition,
        "CREATE DOMAIN app.posint AS integer CONSTRAINT posint_check CHECK ((VALUE > 0))"
    );
    assert_eq!(
        find(CatalogKind::CompositeType, "pair").definition,
        "CREATE TYPE app.pair AS (a integer, b text)"
    );
    assert_eq!(
        find(CatalogKind::RangeType, "floatrange").definition,
        "CREATE TYPE app.floatrange AS RANGE (SUBTYPE = double precision, SUBTYPE_DIFF = float8mi)"
    );
    assert_eq!(
        find(CatalogKind::Collation, "ci").definition,
        "CREATE COLLATION app.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)"
    );
    assert_eq!(
        find(CatalogKind::Extension, "citext").definition,
        "CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public"
    );
    // What the extension owns is not compared, and not reported.
    assert!(!snap.objects.iter().any(|o| o.name.starts_with("citextin")));
    assert!(snap
        .unmodeled
        .iter()
        .any(|o| o.name.starts_with("citextin(") && o.extension.as_deref() == Some("citext")));
}

#[tokio::test]
async fn everything_is_created_in_dependency_order_from_an_empty_database() {
    let plan = converges(RICH, "").await;
    let order: Vec<String> = plan.steps.iter().map(|s| s.action.clone()).collect();
    let at = |a: &str| order.iter().position(|x| x == a).unwrap();
    assert!(at("create extension") < at("create table"), "{order:?}");
    assert!(at("create domain") < at("create table"), "{order:?}");
    assert!(at("create function") < at("create table"), "{order:?}");
    assert!(at("create table") < at("create trigger"), "{order:?}");
    assert!(at("create table") < at("create policy"), "{order:?}");
    let name = |i: usize| plan.steps[i].object.name.clone().unwrap_or_default();
    let pos = |n: &str| (0..plan.steps.len()).find(|i| name(*i) == n).unwrap();
    // double_total calls items_total: PostgreSQL does not record it.
    assert!(pos("items_total()") < pos("double_total()"));
}

#[tokio::test]
async fn drift_in_each_kind_is_repaired_with_data_kept() {
    let drifted = format!(
        "{RICH}{ROWS}
        DROP TRIGGER items_touch ON app.items;
        ALTER TABLE app.items ENABLE TRIGGER items_quiet;
        CREATE OR REPLACE FUNCTION app.add(a integer, b integer) RETURNS integer LANGUAGE sql AS 'SELECT a + b + 1';
        DROP POLICY tenant_rows ON app.items;
        CREATE POLICY everything ON app.items USING (true);
        ALTER TABLE app.items NO FORCE ROW LEVEL SECURITY;
        CREATE FUNCTION app.audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER items_audit AFTER INSERT ON app.items FOR EACH ROW EXECUTE FUNCTION app.audit();
        DROP RULE log_nodelete ON app.log;
        CREATE EVENT TRIGGER driftless_e2e_ddl ON ddl_command_end EXECUTE FUNCTION app.on_ddl();"
    );
    let expected = snapshot(&db_with(Backend::Postgres, RICH).await).await;
    let db = db_with(Backend::Postgres, &drifted).await;
    let found = findings(&expected, &snapshot(&db).await);
    let rules = |rule: &str| found.iter().filter(|f| f.rule == rule).count();
    assert_eq!(rules("missing-object"), 3, "{}", describe(&found));
    assert_eq!(rules("orphan-object"), 4, "{}", describe(&found));
    assert_eq!(rules("object-mismatch"), 3, "{}", describe(&found));

    // Without permission the orphans stay: their drops are withheld.
    let cautious = fix(&db, &expected, &PlanOptions::default()).await.unwrap();
    assert_eq!(
        cautious.plan.withheld.len(),
        4,
        "{}",
        cautious.plan.to_sql()
    );
    let fixed = fix(&db, &expected, &options()).await.unwrap();
    assert!(fixed.left.is_empty(), "{}", describe(&fixed.left));
    let kept = rows(&db, "SELECT count(*) FROM app.items").await;
    assert_eq!(kept[0][0], driftless_introspect::Value::Int(2));
    let sum = rows(&db, "SELECT app.add(1, 1)").await;
    assert_eq!(sum[0][0], driftless_introspect::Value::Int(2));
}

#[tokio::test]
async fn a_policy_on_a_dropped_column_goes_first_and_a_recreated_function_takes_its_trigger() {
    let expected = "CREATE TABLE t (id int PRIMARY KEY, tenant int);
        CREATE POLICY p ON t USING (tenant = 1);
        CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER t_f BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();";
    // The policy uses a column the expected table does not have; the
    // function returns another type, so it is dropped and created again,
    // and its trigger with it.
    let actual = "CREATE TABLE t (id int PRIMARY KEY, tenant int, owner text);
        INSERT INTO t VALUES (1, 1, 'a');
        CREATE POLICY p ON t USING (owner = current_user);
        CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';
        CREATE FUNCTION g() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER t_f BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION g();";
    let plan = converges(expected, actual).await;
    let actions: Vec<&str> = plan.steps.iter().map(|s| s.action.as_str()).collect();
    let at = |a: &str| actions.iter().position(|x| *x == a).unwrap();
    assert!(at("drop policy") < at("drop column"), "{actions:?}");
}

/// An enum losing a label added by hand is rebuilt while a partial index
/// and a check compare its column with a label: they are dropped around
/// the conversion and made again (the server would otherwise compare the
/// new type with the old one: `operator does not exist`).
#[tokio::test]
async fn an_enum_rebuilt_under_a_partial_index_and_a_check() {
    let expected = "CREATE TYPE order_status AS ENUM ('pending', 'done');
        CREATE TABLE orders (id int PRIMARY KEY, status order_status NOT NULL DEFAULT 'pending',
          CONSTRAINT done_has_id CHECK (status <> 'done' OR id > 0));
        CREATE INDEX orders_pending ON orders (id) WHERE status = 'pending';";
    let actual = format!(
        "{expected}
        ALTER TYPE order_status ADD VALUE 'hold';
        INSERT INTO orders VALUES (1, 'pending'), (2, 'done');"
    );
    let plan = converges(expected, &actual).await;
    let rebuild = plan
        .steps
        .iter()
        .find(|s| s.action == "rebuild enum type")
        .unwrap();
    let at = |prefix: &str| {
        rebuild
            .sql
            .iter()
            .position(|q| q.starts_with(prefix))
            .unwrap()
    };
    assert!(
        at("DROP INDEX") < at("ALTER TABLE \"public\".\"orders\" ALTER COLUMN \"status\" TYPE")
    );
    assert!(
        at("CREATE INDEX") > at("ALTER TABLE \"public\".\"orders\" ALTER COLUMN \"status\" TYPE")
    );
}

/// A table dropped while the expected schema keeps a sequence it owns:
/// the sequence is released first, or the drop would take it along.
#[tokio::test]
async fn a_dropped_table_releases_the_sequence_the_expected_schema_keeps() {
    let expected = "CREATE SEQUENCE shared_seq START 100;";
    let actual = "CREATE TABLE legacy (id int);
        CREATE SEQUENCE shared_seq START 100 OWNED BY legacy.id;
        SELECT nextval('shared_seq');";
    let plan = converges(expected, actual).await;
    let drop = plan
        .steps
        .iter()
        .find(|s| s.action == "drop table")
        .unwrap();
    assert_eq!(
        drop.sql,
        [
            "ALTER SEQUENCE \"public\".\"shared_seq\" OWNED BY NONE",
            "DROP TABLE \"public\".\"legacy\""
        ]
    );
}

/// An extension in another schema than expected is moved (`ALTER EXTENSION
/// … SET SCHEMA`), not dropped and made again: a drop would take the
/// columns typed by it, and their rows.
#[tokio::test]
async fn an_extension_moves_schema_in_place_keeping_its_columns() {
    let table = "CREATE TABLE people (id int PRIMARY KEY, email citext)";
    let db = db_with(
        Backend::Postgres,
        &format!("CREATE EXTENSION citext; {table}; INSERT INTO people VALUES (1, 'A@x')"),
    )
    .await;
    let expected = snapshot(
        &db_with(
            Backend::Postgres,
            &format!(
                "CREATE SCHEMA ext; CREATE EXTENSION citext SCHEMA ext; {}",
                table.replace("citext", "ext.citext")
            ),
        )
        .await,
    )
    .await;
    let fixed = fix(&db, &expected, &PlanOptions::default()).await.unwrap();
    assert!(
        fixed.left.is_empty(),
        "not converged:\n{}\n{}",
        describe(&fixed.left),
        fixed.plan.to_sql()
    );
    let ext = fixed
        .plan
        .steps
        .iter()
        .find(|s| s.object.kind == ObjectKind::Extension)
        .unwrap();
    assert_eq!(ext.action, "alter extension");
    assert_eq!(ext.sql, ["ALTER EXTENSION citext SET SCHEMA ext"]);
    let found = rows(
        &db,
        "SELECT pg_typeof(email)::text, email::text FROM people",
    )
    .await;
    assert_eq!(found[0][0].as_str(), Some("ext.citext"));
    assert_eq!(
        found[0][1].as_str(),
        Some("A@x"),
        "the column keeps its rows"
    );
}

/// An extension's installed version is compared only when asked for
/// (`--extension-versions`): then an older one is updated in place
/// (`ALTER EXTENSION … UPDATE TO`), keeping the columns typed by it.
#[tokio::test]
async fn an_extension_version_is_compared_when_asked_and_updated_in_place() {
    let table = "CREATE TABLE people (id int PRIMARY KEY, email citext)";
    let db = db_with(
        Backend::Postgres,
        &format!(
            "CREATE EXTENSION citext VERSION '1.5'; {table}; INSERT INTO people VALUES (1, 'A@x')"
        ),
    )
    .await;
    let source = db_with(
        Backend::Postgres,
        &format!("CREATE EXTENSION citext VERSION '1.6'; {table}"),
    )
    .await;
    let versions = OptIn {
        extension_versions: true,
        ..OptIn::default()
    };
    let with = IntrospectOptions::default().with_opt_in(versions);
    let expected = snapshot_with(&source, &with).await;
    let ext = |s: &Snapshot| {
        s.objects
            .iter()
            .find(|o| o.kind == CatalogKind::Extension)
            .unwrap()
            .definition
            .clone()
    };
    assert_eq!(
        ext(&expected),
        "CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public VERSION '1.6'"
    );
    assert_eq!(
        ext(&snapshot(&source).await),
        "CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public"
    );

    // Without the opt-in the versions are not compared, even against a
    // snapshot that has them.
    let fixed = fix(&db, &expected, &PlanOptions::default()).await.unwrap();
    assert!(fixed.plan.steps.is_empty(), "{}", fixed.plan.to_sql());
    assert!(fixed.left.is_empty(), "{}", describe(&fixed.left));

    let fixed = fix_with(&db, &expected, &PlanOptions::default(), versions)
        .await
        .unwrap();
    assert!(fixed.left.is_empty(), "{}", describe(&fixed.left));
    let steps: Vec<&[String]> = fixed.plan.steps.iter().map(|s| &s.sql[..]).collect();
    assert_eq!(steps, [["ALTER EXTENSION citext UPDATE TO '1.6'"]]);
    assert_eq!(ext(&fixed.after), ext(&expected));
    let found = rows(&db, "SELECT email::text FROM people WHERE email = 'a@X'").await;
    assert_eq!(found.len(), 1, "the column keeps its rows and type");
}
