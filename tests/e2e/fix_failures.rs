//! A statement that fails in the middle of a plan: PostgreSQL and SQLite
//! are left exactly as before; MySQL/MariaDB keeps the steps before it and a
//! rerun continues where it stopped. The error names the step, its SQL and
//! the database's message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use driftless_fixer::{apply, plan, ApplyError, ApplyOptions, PlanOptions};
use driftless_introspect::IntrospectOptions;
use driftless_testkit::Backend;
use support::*;

const EXPECTED: &str = "CREATE TABLE accounts (
    id integer PRIMARY KEY,
    username varchar(150) NOT NULL,
    login_count integer NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX accounts_username_key ON accounts (username);
CREATE VIEW account_names AS SELECT id, username FROM accounts";

// Two rows share a username: the unique index (step 3 of 4) cannot be built.
const ACTUAL: &str = "CREATE TABLE accounts (
    id integer PRIMARY KEY,
    username varchar(150) NOT NULL,
    avatar varchar(100)
);
INSERT INTO accounts (id, username, avatar) VALUES (1, 'ada', 'a.png'), (2, 'ada', 'b.png'), (3, 'cy', NULL)";

async fn failing_plan(
    backend: Backend,
) -> (
    driftless_testkit::TestDb,
    driftless_model::Snapshot,
    driftless_fixer::FixPlan,
    ApplyError,
) {
    let expected = snapshot(&db_with(backend, EXPECTED).await).await;
    let db = db_with(backend, ACTUAL).await;
    let mut c = open(&db).await;
    let actual = c.snapshot(&IntrospectOptions::default()).await.unwrap();
    let p = plan(
        &expected,
        &actual,
        &findings(&expected, &actual),
        &PlanOptions::default(),
    )
    .unwrap();
    // MySQL reads a unique index as a unique constraint.
    let unique = if backend == Backend::Mysql {
        "add unique constraint"
    } else {
        "create index"
    };
    let actions: Vec<&str> = p.steps.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(
        actions,
        ["quarantine column", "add column", unique, "create view"],
        "{}",
        p.to_sql()
    );
    let err = apply(&mut c, &p, &ApplyOptions::default())
        .await
        .unwrap_err();
    c.close().await.unwrap();
    match &err {
        ApplyError::Statement {
            step, sql, message, ..
        } => {
            assert_eq!(*step, 3);
            assert!(sql.contains("CREATE UNIQUE INDEX"), "{sql}");
            assert!(!message.is_empty());
            let shown = err.to_string();
            assert!(
                shown.contains("step 3")
                    && shown.contains(sql.as_str())
                    && shown.contains(message.as_str()),
                "{shown}"
            );
        }
        other => panic!("expected a statement error, got {other}"),
    }
    (db, expected, p, err)
}

async fn rolled_back(backend: Backend) {
    let before_db = db_with(backend, ACTUAL).await;
    let before = snapshot(&before_db).await;
    let (db, _, _, err) = failing_plan(backend).await;
    assert!(
        matches!(
            err,
            ApplyError::Statement {
                rolled_back: true,
                applied_steps: 2,
                ..
            }
        ),
        "{err}"
    );
    let after = snapshot(&db).await;
    // Same schema as an untouched copy (names of the databases aside).
    assert_eq!(
        after.schemas.values().collect::<Vec<_>>(),
        before.schemas.values().collect::<Vec<_>>()
    );
    let data = rows(&db, "SELECT id, username, avatar FROM accounts ORDER BY id").await;
    assert_eq!(data.len(), 3);
    assert_eq!(data[0][2].as_str(), Some("a.png"));
}

#[tokio::test]
async fn postgres_rolls_back_everything() {
    rolled_back(Backend::Postgres).await;
}

#[tokio::test]
async fn sqlite_rolls_back_everything() {
    rolled_back(Backend::Sqlite).await;
}

#[tokio::test]
async fn mariadb_keeps_earlier_steps_and_a_rerun_continues() {
    let (db, expected, _, err) = failing_plan(Backend::Mysql).await;
    assert!(
        matches!(
            err,
            ApplyError::Statement {
                rolled_back: false,
                applied_steps: 2,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("run the fix again to continue"));
    // The first two steps stay applied.
    let now = snapshot(&db).await;
    let (_, _, t) = now.tables().find(|(_, n, _)| *n == "accounts").unwrap();
    assert!(!t.columns.contains_key("avatar") && t.columns.contains_key("login_count"));
    let mut c = open(&db).await;
    let held = driftless_fixer::list_quarantine(&mut c).await.unwrap();
    c.close().await.unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].rows, 3, "the quarantined values stay: {held:?}");
    // Fix the data, run again: the new plan holds only what is left.
    db.exec("UPDATE accounts SET username = 'bea' WHERE id = 2")
        .await;
    let second = fix(&db, &expected, &PlanOptions::default()).await.unwrap();
    let actions: Vec<&str> = second
        .plan
        .steps
        .iter()
        .map(|s| s.action.as_str())
        .collect();
    assert_eq!(actions, ["add unique constraint", "create view"]);
    assert!(
        second.left.is_empty(),
        "not converged:\n{}",
        describe(&second.left)
    );
}
