//! The deployment story end to end on SQLite, PostgreSQL and MariaDB: the
//! expected `authentication_user` has `login_count integer NOT NULL DEFAULT
//! 0` and no `avatar`; the database has `avatar` (with data) and lacks
//! `login_count`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use driftless_fixer::{Orphans, PlanOptions, Safety};
use driftless_introspect::Value;
use driftless_testkit::Backend;
use support::*;

const EXPECTED: &str = "CREATE TABLE authentication_user (
    id integer PRIMARY KEY,
    username varchar(150) NOT NULL,
    login_count integer NOT NULL DEFAULT 0
)";

const ACTUAL: &str = "CREATE TABLE authentication_user (
    id integer PRIMARY KEY,
    username varchar(150) NOT NULL,
    avatar varchar(100)
);
INSERT INTO authentication_user (id, username, avatar) VALUES (1, 'ada', 'ada.png'), (2, 'bob', NULL), (3, 'cy', 'cy.jpg')";

async fn story(backend: Backend) {
    let expected_db = db_with(backend, EXPECTED).await;
    let expected = snapshot(&expected_db).await;
    let db = db_with(backend, ACTUAL).await;

    // Default: quarantine avatar, add login_count.
    let first = fix(&db, &expected, &PlanOptions::default()).await.unwrap();
    assert_eq!(first.plan.steps.len(), 2, "{}", first.plan.to_sql());
    assert!(first.plan.steps.iter().all(|s| s.safety == Safety::Safe));
    assert!(
        first.left.is_empty(),
        "not converged:\n{}",
        describe(&first.left)
    );
    // The table is left as expected; the values wait in quarantine, by id.
    assert!(first
        .after
        .tables()
        .all(|(_, n, t)| n != "authentication_user" || !t.columns.contains_key("avatar")));
    let mut c = open(&db).await;
    let held = driftless_fixer::list_quarantine(&mut c).await.unwrap();
    c.close().await.unwrap();
    assert_eq!(held.len(), 1, "{held:?}");
    let avatars = rows(
        &db,
        &format!("SELECT id, avatar FROM {} ORDER BY id", held[0].held_in()),
    )
    .await;
    assert_eq!(
        avatars,
        [
            vec![Value::Int(1), Value::Text("ada.png".into())],
            vec![Value::Int(2), Value::Null],
            vec![Value::Int(3), Value::Text("cy.jpg".into())]
        ],
        "quarantined data is still readable"
    );
    let counts = rows(
        &db,
        "SELECT COUNT(*) FROM authentication_user WHERE login_count = 0",
    )
    .await;
    assert_eq!(counts[0][0].as_i64(), Some(3));

    // Second run: nothing to do.
    let second = fix(&db, &expected, &PlanOptions::default()).await.unwrap();
    assert!(second.plan.steps.is_empty(), "{}", second.plan.to_sql());
    assert!(second.report.is_none(), "an empty plan is not applied");
    assert!(second.left.is_empty());

    // --orphans drop --allow-destructive drops it.
    let db2 = db_with(backend, ACTUAL).await;
    let drop = PlanOptions::default().with_orphans(Orphans::Drop);
    let withheld = fix(&db2, &expected, &drop).await.unwrap();
    assert_eq!(withheld.plan.withheld.len(), 1);
    assert_eq!(
        withheld.left.len(),
        1,
        "the orphan stays without --allow-destructive"
    );
    let dropped = fix(&db2, &expected, &drop.with_allow(Safety::Destructive))
        .await
        .unwrap();
    assert_eq!(dropped.plan.steps.len(), 1);
    assert_eq!(dropped.plan.steps[0].action, "drop column");
    assert!(
        dropped.left.is_empty(),
        "not converged:\n{}",
        describe(&dropped.left)
    );
    let after = &dropped.after;
    let (_, _, table) = after
        .tables()
        .find(|(_, n, _)| *n == "authentication_user")
        .unwrap();
    assert!(
        table.columns.keys().all(|c| !c.contains("avatar")),
        "{:?}",
        table.columns.keys()
    );
}

#[tokio::test]
async fn story_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test]
async fn story_postgres() {
    story(Backend::Postgres).await;
}

#[tokio::test]
async fn story_mariadb() {
    story(Backend::Mysql).await;
}
