//! Multi-statement changes on each backend: the SQLite table rebuild keeps
//! data, indexes, triggers and the rows of child tables; PostgreSQL enums
//! gain labels in place or are rebuilt; MySQL enum columns are modified.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use driftless_fixer::{PlanOptions, Safety};
use driftless_testkit::Backend;
use support::*;

#[tokio::test]
async fn sqlite_rebuild_keeps_data_indexes_triggers_and_children() {
    let expected = snapshot(
        &db_with(
            Backend::Sqlite,
            "CREATE TABLE parent (id INTEGER PRIMARY KEY, name varchar(40) NOT NULL, score INTEGER NOT NULL DEFAULT 0 CHECK (score >= 0));
             CREATE INDEX parent_name_idx ON parent (name);
             CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id) ON DELETE CASCADE);
             CREATE TABLE audit (what TEXT);
             CREATE TRIGGER parent_audit AFTER INSERT ON parent BEGIN INSERT INTO audit VALUES ('added ' || NEW.name); END",
        )
        .await,
    )
    .await;
    let db = db_with(
        Backend::Sqlite,
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT, score INTEGER);
         CREATE INDEX parent_name_idx ON parent (name);
         CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id) ON DELETE CASCADE);
         CREATE TABLE audit (what TEXT);
         CREATE TRIGGER parent_audit AFTER INSERT ON parent BEGIN INSERT INTO audit VALUES ('added ' || NEW.name); END;
         INSERT INTO parent (id, name, score) VALUES (1, 'ada', 3), (2, 'bob', 5);
         INSERT INTO child (id, parent_id) VALUES (10, 1), (11, 1), (12, 2)",
    )
    .await;
    let fixed = fix(&db, &expected, &PlanOptions::default()).await.unwrap();
    // The trigger is set aside around the rebuild by steps of its own, so
    // that the script and migration files do the same as apply.
    let actions: Vec<&str> = fixed.plan.steps.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "drop trigger",
            "backfill column",
            "rebuild table",
            "create trigger"
        ],
        "{}",
        fixed.plan.to_sql()
    );
    assert_eq!(fixed.plan.steps[2].safety, Safety::Locking);
    assert!(fixed.plan.steps.iter().all(|s| s.safety <= Safety::Locking));
    assert!(
        fixed.left.is_empty(),
        "not converged:\n{}",
        describe(&fixed.left)
    );
    // Data, child rows (no cascade on the drop of the old table), index, trigger.
    assert_eq!(
        rows(&db, "SELECT COUNT(*) FROM parent").await[0][0].as_i64(),
        Some(2)
    );
    assert_eq!(
        rows(&db, "SELECT COUNT(*) FROM child").await[0][0].as_i64(),
        Some(3)
    );
    assert_eq!(
        rows(
            &db,
            "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index' AND name = 'parent_name_idx'"
        )
        .await[0][0]
            .as_i64(),
        Some(1)
    );
    db.exec("INSERT INTO parent (id, name) VALUES (3, 'cy')")
        .await;
    assert_eq!(
        rows(&db, "SELECT COUNT(*) FROM audit WHERE what = 'added cy'").await[0][0].as_i64(),
        Some(1)
    );
    assert_eq!(
        rows(&db, "SELECT score FROM parent WHERE id = 3").await[0][0].as_i64(),
        Some(0)
    );
}

const MOOD: &str = "CREATE TABLE people (id integer PRIMARY KEY, mood mood NOT NULL DEFAULT 'ok')";

#[tokio::test]
async fn postgres_enum_gains_labels_in_place() {
    let expected = snapshot(
        &db_with(
            Backend::Postgres,
            &format!("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'ecstatic'); {MOOD}"),
        )
        .await,
    )
    .await;
    let db = db_with(
        Backend::Postgres,
        &format!("CREATE TYPE mood AS ENUM ('ok', 'happy'); {MOOD}; INSERT INTO people VALUES (1, 'happy'), (2, 'ok')"),
    )
    .await;
    let fixed = fix(&db, &expected, &PlanOptions::default()).await.unwrap();
    assert_eq!(fixed.plan.steps.len(), 1);
    assert_eq!(fixed.plan.steps[0].action, "add enum labels");
    assert!(
        fixed.left.is_empty(),
        "not converged:\n{}",
        describe(&fixed.left)
    );
    assert_eq!(
        rows(&db, "SELECT mood::text FROM people ORDER BY id").await[0][0].as_str(),
        Some("happy")
    );
}

/// A new label the same plan uses (a default, a policy) cannot be added in
/// the transaction that uses it: the labels commit first in a step of their
/// own, and no column is rewritten; `--atomic` rebuilds the type instead.
#[tokio::test]
async fn postgres_enum_label_used_by_the_plan_commits_before_it() {
    let expected = snapshot(
        &db_with(
            Backend::Postgres,
            "CREATE TYPE mood AS ENUM ('ok', 'happy', 'ecstatic');
             CREATE TABLE people (id integer PRIMARY KEY, mood mood NOT NULL DEFAULT 'ecstatic');
             ALTER TABLE people ENABLE ROW LEVEL SECURITY;
             CREATE POLICY glad ON people USING (mood <> 'ecstatic')",
        )
        .await,
    )
    .await;
    let actual = "CREATE TYPE mood AS ENUM ('ok', 'happy');
         CREATE TABLE people (id integer PRIMARY KEY, mood mood NOT NULL DEFAULT 'ok');
         ALTER TABLE people ENABLE ROW LEVEL SECURITY;
         INSERT INTO people VALUES (1, 'happy'), (2, 'ok')";
    let allow = PlanOptions::default().with_allow(Safety::Destructive);
    for (options, first, rebuilt) in [
        (allow.clone(), "add enum labels", false),
        (
            allow.clone().with_online_threshold(None),
            "rebuild enum type",
            true,
        ),
    ] {
        let db = db_with(Backend::Postgres, actual).await;
        let fixed = fix(&db, &expected, &options).await.unwrap();
        let actions: Vec<&str> = fixed.plan.steps.iter().map(|s| s.action.as_str()).collect();
        assert_eq!(actions.first(), Some(&first), "{actions:?}");
        assert_eq!(fixed.plan.steps[0].online, !rebuilt, "{actions:?}");
        assert!(
            fixed.left.is_empty(),
            "not converged:\n{}",
            describe(&fixed.left)
        );
        let moods = rows(&db, "SELECT mood::text FROM people ORDER BY id").await;
        assert_eq!(moods[0][0].as_str(), Some("happy"));
        assert_eq!(moods[1][0].as_str(), Some("ok"));
    }
}

#[tokio::test]
async fn postgres_enum_with_removed_and_reordered_labels_is_rebuilt() {
    let db = db_with(
        Backend::Postgres,
        &format!(
            "CREATE TYPE mood AS ENUM ('ok', 'happy', 'meh'); {MOOD}; INSERT INTO people VALUES (1, 'happy'), (2, 'ok');
             CREATE VIEW happy_people AS SELECT id FROM people WHERE mood = 'happy'"
        ),
    )
    .await;
    // The view reading the column exists on both sides.
    let expected_with_view = {
        let e = db_with(
            Backend::Postgres,
            &format!("CREATE TYPE mood AS ENUM ('happy', 'ok'); {MOOD}; CREATE VIEW happy_people AS SELECT id FROM people WHERE mood = 'happy'"),
        )
        .await;
        snapshot(&e).await
    };
    let held = fix(&db, &expected_with_view, &PlanOptions::default())
        .await
        .unwrap();
    assert_eq!(
        held.plan.withheld.len(),
        2,
        "removing a label is data loss: {}",
        held.plan.to_sql()
    );
    let fixed = match fix(
        &db,
        &expected_with_view,
        &PlanOptions::default().with_allow(Safety::DataLoss),
    )
    .await
    {
        Ok(f) => f,
        Err(e) => {
            let a = snapshot(&db).await;
            let p = driftless_fixer::plan(
                &expected_with_view,
                &a,
                &findings(&expected_with_view, &a),
                &PlanOptions::default().with_allow(Safety::DataLoss),
            )
            .unwrap();
            panic!(
                "{e}\n{}\n{}",
                p.to_json(),
                describe(&findings(&expected_with_view, &a))
            );
        }
    };
    assert!(
        fixed
            .plan
            .steps
            .iter()
            .any(|s| s.action == "rebuild enum type"),
        "{}",
        fixed.plan.to_sql()
    );
    assert!(
        fixed.left.is_empty(),
        "not converged:\n{}",
        describe(&fixed.left)
    );
    let moods = rows(&db, "SELECT mood::text FROM people ORDER BY id").await;
    assert_eq!(
        (moods[0][0].as_str(), moods[1][0].as_str()),
        (Some("happy"), Some("ok"))
    );
    assert_eq!(
        rows(&db, "SELECT COUNT(*) FROM happy_people").await[0][0].as_i64(),
        Some(1)
    );
}

#[tokio::test]
async fn mariadb_enum_column_is_modified() {
    let expected = snapshot(&db_with(Backend::Mysql, "CREATE TABLE people (id integer PRIMARY KEY, mood enum('sad','ok','happy') NOT NULL DEFAULT 'ok')").await).await;
    let db = db_with(
        Backend::Mysql,
        "CREATE TABLE people (id integer PRIMARY KEY, mood enum('ok','happy') NOT NULL DEFAULT 'ok'); INSERT INTO people VALUES (1, 'happy')",
    )
    .await;
    let fixed = fix(&db, &expected, &PlanOptions::default()).await.unwrap();
    assert_eq!(fixed.plan.steps.len(), 1, "{}", fixed.plan.to_sql());
    assert!(fixed.plan.steps[0].sql[0].contains("MODIFY COLUMN"));
    assert!(
        fixed.left.is_empty(),
        "not converged:\n{}",
        describe(&fixed.left)
    );
    assert_eq!(
        rows(&db, "SELECT mood FROM people").await[0][0].as_str(),
        Some("happy")
    );
}
