//! PostgreSQL privileges and publications (opt-in), table persistence and
//! orphan schemas:
//! read field by field, found, repaired with data rows present and
//! converged; without the opt-in, privileges are listed as not compared
//! and nothing about them is reported as drift.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use driftless_fixer::{Orphans, PlanOptions, Safety};
use driftless_introspect::IntrospectOptions;
use driftless_model::{CatalogKind, DefinedObject, ObjectKind, ObjectRef, OptIn, PERSISTENCE};
use driftless_testkit::{Backend, TestDb};
use support::*;

/// The role the fixtures grant to (created once, kept: roles are
/// server-wide).
const READER: &str = "driftless_e2e_reader";

/// Every kind of privilege, with data in the table.
const GRANTS: &str = r#"
CREATE SCHEMA app;
CREATE TABLE app.items (id int PRIMARY KEY, email text, qty int);
CREATE VIEW app.cheap AS SELECT id FROM app.items WHERE qty < 10;
CREATE SEQUENCE app.ticket;
CREATE FUNCTION app.add(a integer, b integer) RETURNS integer LANGUAGE sql AS 'SELECT a + b';
GRANT SELECT, INSERT ON app.items TO driftless_e2e_reader;
GRANT UPDATE (email) ON app.items TO driftless_e2e_reader WITH GRANT OPTION;
GRANT SELECT ON app.cheap TO PUBLIC;
GRANT USAGE ON SEQUENCE app.ticket TO driftless_e2e_reader;
REVOKE EXECUTE ON FUNCTION app.add(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.add(integer, integer) TO driftless_e2e_reader;
GRANT USAGE ON SCHEMA app TO driftless_e2e_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO driftless_e2e_reader;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
"#;

const ROWS: &str = "INSERT INTO app.items VALUES (1, 'a@x', 5), (2, 'b@x', 20);";

const PRIVILEGES: OptIn = OptIn {
    privileges: true,
    publications: false,
    extension_versions: false,
};

const PUBLICATIONS: OptIn = OptIn {
    privileges: false,
    publications: true,
    extension_versions: false,
};

fn privileged() -> IntrospectOptions {
    IntrospectOptions::default().with_privileges(true)
}

/// A database with `sql` run in it, the reader role made first.
async fn db(sql: &str) -> TestDb {
    let db = TestDb::postgres().await;
    ensure_role(&db, READER).await;
    if !sql.trim().is_empty() {
        db.exec(sql).await;
    }
    db
}

/// Creates role `name` unless the server has it (two tests may race to
/// create it: the loser's duplicate is ignored).
async fn ensure_role(db: &TestDb, name: &str) {
    db.exec(&format!(
        "DO $$ BEGIN CREATE ROLE {name} NOLOGIN; \
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
    ))
    .await;
}

fn options() -> PlanOptions {
    PlanOptions::default()
        .with_orphans(Orphans::Drop)
        .with_allow(Safety::DataLoss)
}

fn find<'a>(
    snap: &'a [DefinedObject],
    kind: CatalogKind,
    table: Option<&str>,
    name: &str,
) -> &'a DefinedObject {
    snap.iter()
        .find(|o| o.kind == kind && o.table.as_deref() == table && o.name == name)
        .unwrap_or_else(|| panic!("{kind} {name} on {table:?} in {snap:#?}"))
}

fn role(name: &str) -> ObjectRef {
    ObjectRef {
        kind: ObjectKind::Role,
        schema: String::new(),
        table: None,
        name: Some(name.into()),
    }
}

#[tokio::test]
async fn privileges_are_read_field_by_field() {
    let db = db(GRANTS).await;
    let snap = snapshot_with(&db, &privileged()).await;
    let objects = &snap.objects;
    let p = CatalogKind::Privilege;
    let select = find(objects, p, Some("items"), "SELECT to driftless_e2e_reader");
    assert_eq!(select.schema.as_deref(), Some("app"));
    assert_eq!(
        select.definition,
        "GRANT SELECT ON TABLE app.items TO driftless_e2e_reader"
    );
    assert_eq!(
        select.drop,
        "REVOKE SELECT ON TABLE app.items FROM driftless_e2e_reader"
    );
    assert!(select.then.is_empty() && select.comment.is_none());
    assert_eq!(
        select.depends_on,
        [ObjectRef::table("app", "items"), role(READER)]
    );
    assert_eq!(
        select.label(),
        "privilege SELECT to driftless_e2e_reader on app.items"
    );
    assert!(!select.revokes());
    find(objects, p, Some("items"), "INSERT to driftless_e2e_reader");
    let column = find(
        objects,
        p,
        Some("items"),
        "UPDATE (email) to driftless_e2e_reader",
    );
    assert_eq!(
        column.definition,
        "GRANT UPDATE (email) ON TABLE app.items TO driftless_e2e_reader WITH GRANT OPTION"
    );
    // Granted with the grant option: what its grantee granted from it
    // goes too (the server refuses a plain REVOKE while that exists).
    assert_eq!(
        column.drop,
        "REVOKE UPDATE (email) ON TABLE app.items FROM driftless_e2e_reader CASCADE"
    );
    let view = find(objects, p, Some("cheap"), "SELECT to PUBLIC");
    assert_eq!(view.definition, "GRANT SELECT ON TABLE app.cheap TO PUBLIC");
    assert_eq!(view.depends_on.len(), 1, "PUBLIC is no role: {view:#?}");
    assert_eq!(view.depends_on[0].kind, ObjectKind::View);
    let seq = find(objects, p, Some("ticket"), "USAGE to driftless_e2e_reader");
    assert_eq!(
        seq.definition,
        "GRANT USAGE ON SEQUENCE app.ticket TO driftless_e2e_reader"
    );
    let signature = Some("add(a integer, b integer)");
    let revoked = find(objects, p, signature, "EXECUTE revoked from PUBLIC");
    assert_eq!(
        revoked.definition,
        "REVOKE EXECUTE ON FUNCTION app.add(a integer, b integer) FROM PUBLIC"
    );
    assert_eq!(
        revoked.drop,
        "GRANT EXECUTE ON FUNCTION app.add(a integer, b integer) TO PUBLIC"
    );
    assert!(revoked.revokes());
    assert_eq!(revoked.depends_on[0].kind, ObjectKind::Function);
    find(objects, p, signature, "EXECUTE to driftless_e2e_reader");
    let usage = find(objects, p, None, "USAGE to driftless_e2e_reader");
    assert_eq!(usage.schema.as_deref(), Some("app"));
    assert_eq!(
        usage.definition,
        "GRANT USAGE ON SCHEMA app TO driftless_e2e_reader"
    );
    assert_eq!(
        usage.label(),
        "privilege USAGE to driftless_e2e_reader on schema app"
    );
    // The server's own initial privileges (USAGE on public to PUBLIC) and
    // the owner's are no drift, and not listed.
    assert!(!objects
        .iter()
        .any(|o| o.schema.as_deref() == Some("public") && o.kind == p));
    assert!(!objects
        .iter()
        .any(|o| o.kind == p && o.name.contains(" to root")));

    let d = CatalogKind::DefaultPrivilege;
    let owner = current_user(&db).await;
    let tables = find(
        objects,
        d,
        None,
        &format!("for {owner}: SELECT on tables to driftless_e2e_reader"),
    );
    assert_eq!(tables.schema.as_deref(), Some("app"));
    assert_eq!(
        tables.definition,
        format!("ALTER DEFAULT PRIVILEGES FOR ROLE \"{owner}\" IN SCHEMA \"app\" GRANT SELECT ON TABLES TO driftless_e2e_reader")
    );
    assert_eq!(
        tables.drop,
        format!("ALTER DEFAULT PRIVILEGES FOR ROLE \"{owner}\" IN SCHEMA \"app\" REVOKE SELECT ON TABLES FROM driftless_e2e_reader")
    );
    let mut roles = vec![role(&owner), role(READER)];
    roles.sort();
    assert_eq!(tables.depends_on, roles);
    let functions = find(
        objects,
        d,
        None,
        &format!("for {owner}: EXECUTE on functions revoked from PUBLIC"),
    );
    assert_eq!(functions.schema, None, "database-wide");
    assert_eq!(
        functions.definition,
        format!(
            "ALTER DEFAULT PRIVILEGES FOR ROLE \"{owner}\" REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC"
        )
    );
    assert!(functions.revokes());
    assert!(snap.roles.iter().any(|r| r == READER) && snap.roles.contains(&owner));
    // Exactly these, nothing else.
    let kinds = |k: CatalogKind| objects.iter().filter(|o| o.kind == k).count();
    assert_eq!(kinds(p), 8, "{objects:#?}");
    assert_eq!(kinds(d), 2, "{objects:#?}");

    // A read of one schema leaves the database-wide default privileges out.
    let app = snapshot_with(&db, &privileged().with_schemas(["app"])).await;
    assert!(!app
        .objects
        .iter()
        .any(|o| o.kind == d && o.schema.is_none()));
}

async fn current_user(db: &TestDb) -> String {
    match &rows(db, "SELECT current_user::text").await[0][0] {
        driftless_introspect::Value::Text(s) => s.clone(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn without_the_opt_in_privileges_are_listed_not_compared() {
    let expected_db = db("").await;
    expected_db
        .exec(&GRANTS.replace(
            "GRANT SELECT, INSERT ON app.items TO driftless_e2e_reader;",
            "",
        ))
        .await;
    let actual_db = db(GRANTS).await;
    let (expected, actual) = (snapshot(&expected_db).await, snapshot(&actual_db).await);
    assert!(!actual.objects.iter().any(|o| o.kind.is_privilege()));
    assert!(actual.roles.is_empty());
    let listed = |k: CatalogKind| actual.unmodeled.iter().filter(|o| o.kind == k).count();
    assert_eq!(listed(CatalogKind::Privilege), 8);
    assert_eq!(listed(CatalogKind::DefaultPrivilege), 2);
    let found = findings(&expected, &actual);
    assert!(
        found.iter().all(|f| f.rule == "unmodeled-object"),
        "{}",
        describe(&found)
    );
    // The check says what it did not compare.
    assert!(
        found.iter().any(|f| f.message.contains("privilege")),
        "{}",
        describe(&found)
    );
    // An expected snapshot written with privileges, compared without them:
    // its privileges are left out, nothing is planned for them.
    let with = snapshot_with(&expected_db, &privileged()).await;
    let fixed = fix(&actual_db, &with, &options()).await.unwrap();
    assert!(fixed.plan.steps.is_empty(), "{}", fixed.plan.to_sql());
    assert!(fixed.left.is_empty(), "{}", describe(&fixed.left));
}

#[tokio::test]
async fn drift_in_privileges_is_repaired_with_data_kept() {
    let drifted = format!(
        "{GRANTS}{ROWS}
        REVOKE INSERT ON app.items FROM driftless_e2e_reader;
        GRANT DELETE ON app.items TO driftless_e2e_reader;
        REVOKE UPDATE (email) ON app.items FROM driftless_e2e_reader;
        GRANT UPDATE (email) ON app.items TO driftless_e2e_reader;
        GRANT EXECUTE ON FUNCTION app.add(integer, integer) TO PUBLIC;
        ALTER DEFAULT PRIVILEGES IN SCHEMA app REVOKE SELECT ON TABLES FROM driftless_e2e_reader;
        ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT USAGE ON SEQUENCES TO driftless_e2e_reader;"
    );
    let expected = snapshot_with(&db(GRANTS).await, &privileged()).await;
    let db = db(&drifted).await;
    let found = findings(&expected, &snapshot_with(&db, &privileged()).await);
    let rules = |rule: &str| found.iter().filter(|f| f.rule == rule).count();
    // INSERT, the default SELECT on tables, and EXECUTE revoked from PUBLIC.
    assert_eq!(rules("missing-object"), 3, "{}", describe(&found));
    // DELETE, the default USAGE on sequences.
    assert_eq!(rules("orphan-object"), 2, "{}", describe(&found));
    // The grant option.
    assert_eq!(rules("object-mismatch"), 1, "{}", describe(&found));

    // Without permission, what takes access away waits: the revokes of
    // DELETE and of the default on sequences, and PUBLIC's EXECUTE.
    let cautious = fix_with(&db, &expected, &PlanOptions::default(), PRIVILEGES)
        .await
        .unwrap();
    let withheld: Vec<&str> = cautious
        .plan
        .withheld
        .iter()
        .flat_map(|s| s.sql.iter().map(String::as_str))
        .collect();
    assert_eq!(withheld.len(), 3, "{withheld:#?}");
    assert!(
        withheld.iter().all(|s| s.contains("REVOKE")),
        "{withheld:#?}"
    );
    assert!(cautious
        .plan
        .steps
        .iter()
        .flat_map(|s| &s.sql)
        .any(|s| s == "GRANT INSERT ON TABLE app.items TO driftless_e2e_reader"));

    let fixed = fix_with(&db, &expected, &options(), PRIVILEGES)
        .await
        .unwrap();
    assert!(fixed.left.is_empty(), "{}", describe(&fixed.left));
    let again = fix_with(&db, &expected, &options(), PRIVILEGES)
        .await
        .unwrap();
    assert!(again.plan.steps.is_empty(), "{}", again.plan.to_sql());
    let kept = rows(&db, "SELECT count(*) FROM app.items").await;
    assert_eq!(kept[0][0], driftless_introspect::Value::Int(2));
    let can = rows(
        &db,
        "SELECT has_table_privilege('driftless_e2e_reader', 'app.items', 'INSERT'), \
                has_table_privilege('driftless_e2e_reader', 'app.items', 'DELETE')",
    )
    .await;
    assert_eq!(
        can[0],
        [
            driftless_introspect::Value::Bool(true),
            driftless_introspect::Value::Bool(false)
        ]
    );
}

#[tokio::test]
async fn privileges_are_made_from_an_empty_database() {
    let expected = snapshot_with(&db(&format!("{GRANTS}{ROWS}")).await, &privileged()).await;
    let db = db("").await;
    let fixed = fix_with(&db, &expected, &options(), PRIVILEGES)
        .await
        .unwrap();
    assert!(fixed.left.is_empty(), "{}", describe(&fixed.left));
    let order: Vec<&str> = fixed.plan.steps.iter().map(|s| s.action.as_str()).collect();
    let at = |a: &str| order.iter().position(|x| *x == a).unwrap();
    assert!(at("create table") < at("create privilege"), "{order:?}");
    assert!(at("create function") < at("create privilege"), "{order:?}");
}

#[tokio::test]
async fn a_grant_to_a_role_the_server_lacks_is_reported_and_left_alone() {
    let mut expected = snapshot_with(&db(GRANTS).await, &privileged()).await;
    // The expected side comes from a server with a role this one lacks.
    let ghost = "driftless_e2e_no_such_role";
    for o in expected
        .objects
        .iter_mut()
        .filter(|o| o.kind.is_privilege())
    {
        o.name = o.name.replace(READER, ghost);
        o.definition = o.definition.replace(READER, ghost);
        o.drop = o.drop.replace(READER, ghost);
        for d in o
            .depends_on
            .iter_mut()
            .filter(|d| d.kind == ObjectKind::Role)
        {
            if d.name.as_deref() == Some(READER) {
                d.name = Some(ghost.into());
            }
        }
    }
    let db = db(&format!("{GRANTS}{ROWS}")).await;
    let found = findings(&expected, &snapshot_with(&db, &privileged()).await);
    let absent: Vec<_> = found
        .iter()
        .filter(|f| {
            f.message
                .contains(&format!("role {ghost} does not exist on this server"))
        })
        .collect();
    assert_eq!(absent.len(), 7, "{}", describe(&found));
    assert!(absent.iter().all(|f| f.rule == "missing-object"
        && f.fix == driftless_rules::FixIntent::Manual
        && f.hint
            .as_deref()
            .is_some_and(|h| h.contains(&format!("create role {ghost}")))));
    // The apply does not fail: the grants wait for the role, the rest is
    // repaired.
    let fixed = fix_with(&db, &expected, &options(), PRIVILEGES)
        .await
        .unwrap();
    assert_eq!(fixed.plan.unfixed.len(), 7, "{:#?}", fixed.plan.unfixed);
    assert!(fixed
        .plan
        .steps
        .iter()
        .flat_map(|s| &s.sql)
        .all(|s| !s.contains(ghost)));
    assert_eq!(fixed.left.len(), 7, "{}", describe(&fixed.left));
}

#[tokio::test]
async fn unlogged_tables_are_read_and_converged_with_rows() {
    let expected_sql = "CREATE UNLOGGED TABLE cache (k text PRIMARY KEY, v text);
        CREATE TABLE events (id int PRIMARY KEY, what text);
        CREATE UNLOGGED TABLE fresh (id int);";
    let actual_sql = "CREATE TABLE cache (k text PRIMARY KEY, v text);
        CREATE UNLOGGED TABLE events (id int PRIMARY KEY, what text);
        INSERT INTO cache VALUES ('a', '1'), ('b', '2');
        INSERT INTO events VALUES (1, 'x');";
    let expected = snapshot(&db_with(Backend::Postgres, expected_sql).await).await;
    let cache = expected.table("public", "cache").unwrap();
    assert_eq!(
        cache.options.get(PERSISTENCE).map(String::as_str),
        Some("unlogged")
    );
    assert!(expected
        .table("public", "events")
        .unwrap()
        .options
        .is_empty());
    let db = db_with(Backend::Postgres, actual_sql).await;
    let found = findings(&expected, &snapshot(&db).await);
    let options_found: Vec<_> = found
        .iter()
        .filter(|f| f.rule == "table-option-mismatch")
        .collect();
    assert_eq!(options_found.len(), 2, "{}", describe(&found));
    assert!(options_found[0]
        .message
        .contains("persistence unlogged vs (none)"));
    let fixed = fix(&db, &expected, &options()).await.unwrap();
    assert!(fixed.left.is_empty(), "{}", describe(&fixed.left));
    let sql = fixed.plan.to_sql();
    assert!(
        sql.contains("ALTER TABLE \"public\".\"cache\" SET UNLOGGED"),
        "{sql}"
    );
    assert!(
        sql.contains("ALTER TABLE \"public\".\"events\" SET LOGGED"),
        "{sql}"
    );
    assert!(
        sql.contains("CREATE UNLOGGED TABLE \"public\".\"fresh\""),
        "{sql}"
    );
    let kept = rows(
        &db,
        "SELECT count(*) FROM cache UNION ALL SELECT count(*) FROM events",
    )
    .await;
    assert_eq!(kept[0][0], driftless_introspect::Value::Int(2));
    assert_eq!(kept[1][0], driftless_introspect::Value::Int(1));
    let persistence = rows(
        &db,
        "SELECT string_agg(relname || '=' || relpersistence::text, ',' ORDER BY relname) FROM pg_class \
         WHERE relname IN ('cache', 'events', 'fresh')",
    )
    .await;
    assert_eq!(
        persistence[0][0],
        driftless_introspect::Value::Text("cache=u,events=p,fresh=u".into())
    );
}

#[tokio::test]
async fn an_orphan_schema_is_dropped_once_emptied_and_kept_while_it_holds_something() {
    let extra = "CREATE SCHEMA scratch;
        CREATE TABLE scratch.tmp (id int);
        INSERT INTO scratch.tmp VALUES (1);
        CREATE FUNCTION scratch.f() RETURNS int LANGUAGE sql AS 'SELECT 1';
        CREATE SCHEMA empty_one;";
    let expected = snapshot(&db_with(Backend::Postgres, "CREATE TABLE t (id int);").await).await;
    let db = db_with(
        Backend::Postgres,
        &format!("CREATE TABLE t (id int);{extra}"),
    )
    .await;
    let found = findings(&expected, &snapshot(&db).await);
    let orphans: Vec<&str> = found
        .iter()
        .filter(|f| f.rule == "orphan-schema")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(
        orphans,
        [
            "schema empty_one exists but is not expected (0 tables)",
            "schema scratch exists but is not expected (1 table)"
        ]
    );
    // Orphans kept: the schema holding them stays, and says why.
    let keep = PlanOptions::default()
        .with_orphans(Orphans::Keep)
        .with_allow(Safety::DataLoss);
    let kept = fix(&db, &expected, &keep).await.unwrap();
    let why: Vec<&str> = kept
        .plan
        .unfixed
        .iter()
        .filter(|u| u.finding.rule == "orphan-schema")
        .map(|u| u.why.as_str())
        .collect();
    assert_eq!(why.len(), 1, "{:#?}", kept.plan.unfixed);
    // The orphan function goes (drops are allowed), the orphan table stays.
    assert!(
        why[0].contains("table tmp") && !why[0].contains("function"),
        "{}",
        why[0]
    );
    assert!(rows(
        &db,
        "SELECT 1 FROM pg_namespace WHERE nspname = 'empty_one'"
    )
    .await
    .is_empty());
    // Dropped with everything in it once allowed.
    let fixed = fix(&db, &expected, &options()).await.unwrap();
    assert!(fixed.left.is_empty(), "{}", describe(&fixed.left));
    assert!(
        rows(&db, "SELECT 1 FROM pg_namespace WHERE nspname = 'scratch'")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn publications_are_compared_when_asked_and_converged_with_rows() {
    let tables = "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY);";
    let expected_sql = format!(
        "{tables}
        CREATE PUBLICATION pub_ab FOR TABLE a, b WITH (publish = 'insert, update');
        CREATE PUBLICATION pub_all FOR ALL TABLES;
        COMMENT ON PUBLICATION pub_all IS 'everything';"
    );
    let actual_sql = format!(
        "{tables} INSERT INTO a VALUES (1); INSERT INTO b VALUES (2);
        CREATE PUBLICATION pub_ab FOR TABLE a;
        CREATE PUBLICATION pub_old;"
    );
    let read = IntrospectOptions::default().with_opt_in(PUBLICATIONS);
    let expected = snapshot_with(&db_with(Backend::Postgres, &expected_sql).await, &read).await;
    let find = |name: &str| {
        expected
            .objects
            .iter()
            .find(|o| o.kind == CatalogKind::Publication && o.name == name)
            .unwrap_or_else(|| panic!("{name} in {:#?}", expected.objects))
    };
    let ab = find("pub_ab");
    assert_eq!((ab.schema.as_deref(), ab.table.as_deref()), (None, None));
    assert_eq!(
        ab.definition,
        "CREATE PUBLICATION pub_ab FOR TABLE public.a, public.b WITH (publish = 'insert, update')"
    );
    assert_eq!(ab.drop, "DROP PUBLICATION pub_ab");
    assert_eq!(
        ab.depends_on,
        [
            ObjectRef::table("public", "a"),
            ObjectRef::table("public", "b")
        ]
    );
    let all = find("pub_all");
    assert_eq!(
        all.definition,
        "CREATE PUBLICATION pub_all FOR ALL TABLES WITH (publish = 'insert, update, delete, truncate')"
    );
    assert_eq!(all.then, ["COMMENT ON PUBLICATION pub_all IS 'everything'"]);
    assert_eq!(all.comment.as_deref(), Some("everything"));
    assert_eq!(all.label(), "publication pub_all");

    let db = db_with(Backend::Postgres, &actual_sql).await;
    // Without the opt-in: listed as not compared, no drift about them.
    let plain = snapshot(&db).await;
    assert!(!plain
        .objects
        .iter()
        .any(|o| o.kind == CatalogKind::Publication));
    assert_eq!(
        plain
            .unmodeled
            .iter()
            .filter(|o| o.kind == CatalogKind::Publication)
            .count(),
        2
    );
    let mut without = expected.clone();
    without.keep_opted_in(OptIn::default());
    assert_eq!(without.objects.len(), expected.objects.len() - 2);
    let found = findings(&without, &plain);
    assert!(
        found.iter().all(|f| f.rule == "unmodeled-object"),
        "{}",
        describe(&found)
    );
    let untouched = fix(&db, &expected, &options()).await.unwrap();
    assert!(
        untouched.plan.steps.is_empty(),
        "{}",
        untouched.plan.to_sql()
    );

    // With it: one missing, one orphan, one that differs.
    let found = findings(&expected, &snapshot_with(&db, &read).await);
    let rules: Vec<(&str, Option<&str>)> = found
        .iter()
        .map(|f| (f.rule.as_str(), f.object.name.as_deref()))
        .collect();
    assert_eq!(
        rules,
        [
            ("object-mismatch", Some("pub_ab")),
            ("missing-object", Some("pub_all")),
            ("orphan-object", Some("pub_old")),
        ],
        "{}",
        describe(&found)
    );
    let fixed = fix_with(&db, &expected, &options(), PUBLICATIONS)
        .await
        .unwrap();
    assert!(fixed.left.is_empty(), "{}", describe(&fixed.left));
    let again = fix_with(&db, &expected, &options(), PUBLICATIONS)
        .await
        .unwrap();
    assert!(again.plan.steps.is_empty(), "{}", again.plan.to_sql());
    let kept = rows(
        &db,
        "SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM b)",
    )
    .await;
    assert_eq!(kept[0][0], driftless_introspect::Value::Int(2));
}

/// A privilege its grantee passed on (granted with the grant option, then
/// granted by the grantee to another role) is revoked with CASCADE: the
/// server refuses a plain REVOKE while a privilege granted from it exists.
#[tokio::test]
async fn a_privilege_passed_on_is_revoked_with_what_was_granted_from_it() {
    const PASSED_TO: &str = "driftless_e2e_passed_to";
    let base = "CREATE SCHEMA app; CREATE TABLE app.items (id int PRIMARY KEY); \
                INSERT INTO app.items VALUES (1);";
    let expected = snapshot_with(&db(base).await, &privileged()).await;
    let db = db(base).await;
    ensure_role(&db, PASSED_TO).await;
    db.exec(&format!(
        "GRANT USAGE ON SCHEMA app TO {READER}; \
         GRANT SELECT ON app.items TO {READER} WITH GRANT OPTION; \
         SET ROLE {READER}; GRANT SELECT ON app.items TO {PASSED_TO}; RESET ROLE;"
    ))
    .await;
    let fixed = fix_with(&db, &expected, &options(), PRIVILEGES)
        .await
        .unwrap();
    assert!(fixed.left.is_empty(), "{}", describe(&fixed.left));
    let can = rows(
        &db,
        &format!(
            "SELECT has_table_privilege('{READER}', 'app.items', 'SELECT'), \
                    has_table_privilege('{PASSED_TO}', 'app.items', 'SELECT')"
        ),
    )
    .await;
    assert_eq!(
        can[0],
        [
            driftless_introspect::Value::Bool(false),
            driftless_introspect::Value::Bool(false)
        ]
    );
    let kept = rows(&db, "SELECT count(*) FROM app.items").await;
    assert_eq!(kept[0][0], driftless_introspect::Value::Int(1));
}
