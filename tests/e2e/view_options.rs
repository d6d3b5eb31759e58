//! View options: the check option, security invoker and (PostgreSQL)
//! security barrier are read, found as drift by `view-definition-mismatch`
//! and converged with rows in the tables the views read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use crate::fix_features::converges;
use crate::support::*;

use driftless_testkit::Backend;

/// The options of each view of `sql`'s database, by view name.
async fn options_of(backend: Backend, sql: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let snap = snapshot(&db_with(backend, sql).await).await;
    snap.schemas
        .values()
        .flat_map(|s| s.views.iter())
        .map(|(name, v)| (name.clone(), v.options.clone()))
        .collect()
}

/// The rules' findings of `actual_sql` against `expected_sql`, as sorted
/// `rule message` lines.
async fn found(backend: Backend, expected_sql: &str, actual_sql: &str) -> Vec<String> {
    found_lines(backend, expected_sql, actual_sql, |f| {
        format!("{} {}", f.rule, f.message)
    })
    .await
}

fn options(of: &[(&str, &str)]) -> BTreeMap<String, String> {
    of.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const PG_VIEWS: &str = r#"
CREATE TABLE accounts (id integer PRIMARY KEY, active boolean NOT NULL, owner text);
CREATE VIEW active AS SELECT id, active, owner FROM accounts WHERE active WITH LOCAL CHECK OPTION;
CREATE VIEW mine WITH (security_barrier, security_invoker = on) AS
    SELECT id, owner FROM accounts WHERE owner = current_user;
CREATE VIEW cascading AS SELECT id, active FROM active WITH CASCADED CHECK OPTION;
CREATE VIEW plain AS SELECT id FROM accounts;
"#;

/// `active` without its check option, `mine` without security invoker
/// (a barrier written `true`), `cascading` with a local one, `plain` a
/// barrier switched off (what a plain view does).
const PG_VIEWS_DRIFTED: &str = r#"
CREATE TABLE accounts (id integer PRIMARY KEY, active boolean NOT NULL, owner text);
INSERT INTO accounts VALUES (1, true, 'a'), (2, false, 'b');
CREATE VIEW active AS SELECT id, active, owner FROM accounts WHERE active;
CREATE VIEW mine WITH (security_barrier = true) AS
    SELECT id, owner FROM accounts WHERE owner = current_user;
CREATE VIEW cascading AS SELECT id, active FROM active WITH LOCAL CHECK OPTION;
CREATE VIEW plain WITH (security_barrier = off) AS SELECT id FROM accounts;
"#;

#[tokio::test]
async fn postgres_view_options_are_read_found_and_converge() {
    assert_eq!(
        options_of(Backend::Postgres, PG_VIEWS).await,
        BTreeMap::from([
            ("active".to_string(), options(&[("check_option", "local")])),
            (
                "mine".to_string(),
                options(&[("security_barrier", "true"), ("security_invoker", "true")])
            ),
            (
                "cascading".to_string(),
                options(&[("check_option", "cascaded")])
            ),
            ("plain".to_string(), options(&[])),
        ])
    );
    assert_eq!(
        found(Backend::Postgres, PG_VIEWS, PG_VIEWS_DRIFTED).await,
        [
            "view-definition-mismatch view public.active differs (expected vs actual): \
             check_option local vs (none)",
            "view-definition-mismatch view public.cascading differs (expected vs actual): \
             check_option cascaded vs local",
            "view-definition-mismatch view public.mine differs (expected vs actual): \
             security_invoker true vs (none)",
        ]
    );
    converges(Backend::Postgres, PG_VIEWS, PG_VIEWS_DRIFTED).await;
    converges(Backend::Postgres, PG_VIEWS_DRIFTED, PG_VIEWS).await;
    converges(Backend::Postgres, PG_VIEWS, "").await;
}

const MY_VIEWS: &str = r#"
CREATE TABLE accounts (id int PRIMARY KEY, active tinyint NOT NULL, owner varchar(20));
CREATE SQL SECURITY INVOKER VIEW active AS SELECT id, active, owner FROM accounts WHERE active = 1
    WITH LOCAL CHECK OPTION;
CREATE VIEW cascading AS SELECT id, active FROM active WITH CASCADED CHECK OPTION;
CREATE SQL SECURITY DEFINER VIEW plain AS SELECT id FROM accounts;
"#;

/// `active` a definer view without check option, `cascading` a local one,
/// `plain` an invoker view.
const MY_VIEWS_DRIFTED: &str = r#"
CREATE TABLE accounts (id int PRIMARY KEY, active tinyint NOT NULL, owner varchar(20));
INSERT INTO accounts VALUES (1, 1, 'a'), (2, 0, 'b');
CREATE VIEW active AS SELECT id, active, owner FROM accounts WHERE active = 1;
CREATE VIEW cascading AS SELECT id, active FROM active WITH LOCAL CHECK OPTION;
CREATE SQL SECURITY INVOKER VIEW plain AS SELECT id FROM accounts;
"#;

#[tokio::test]
async fn mysql_view_options_are_read_found_and_converge() {
    assert_eq!(
        options_of(Backend::Mysql, MY_VIEWS).await,
        BTreeMap::from([
            (
                "active".to_string(),
                options(&[("check_option", "local"), ("security_invoker", "true")])
            ),
            (
                "cascading".to_string(),
                options(&[("check_option", "cascaded")])
            ),
            ("plain".to_string(), options(&[])),
        ])
    );
    let found = found(Backend::Mysql, MY_VIEWS, MY_VIEWS_DRIFTED).await;
    let views: Vec<&str> = found
        .iter()
        .map(|f| f.split(" differs").next().unwrap())
        .collect();
    assert_eq!(
        views.len(),
        3,
        "one finding per drifted view, nothing else: {found:#?}"
    );
    assert!(
        found[0].ends_with("check_option local vs (none); security_invoker true vs (none)"),
        "{found:#?}"
    );
    assert!(
        found[1].ends_with("check_option cascaded vs local"),
        "{found:#?}"
    );
    assert!(
        found[2].ends_with("security_invoker (none) vs true"),
        "{found:#?}"
    );
    converges(Backend::Mysql, MY_VIEWS, MY_VIEWS_DRIFTED).await;
    converges(Backend::Mysql, MY_VIEWS_DRIFTED, MY_VIEWS).await;
    converges(Backend::Mysql, MY_VIEWS, "").await;
}
