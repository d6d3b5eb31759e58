//! Plans that must converge although a name they create is already taken:
//! a table renamed by hand keeps the names of its indexes and constraints,
//! a trigger elsewhere reads a table SQLite rebuilds, an index holds the
//! rebuild's temporary name.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use driftless_fixer::{Orphans, PlanError, PlanOptions};
use driftless_testkit::Backend;
use support::*;

/// Plans and applies, and asserts that nothing is left to fix.
async fn converges(db: &driftless_testkit::TestDb, expected: &driftless_model::Snapshot) {
    let fixed = match fix(db, expected, &PlanOptions::default()).await {
        Ok(f) => f,
        Err(e) => {
            let a = snapshot(db).await;
            let p = driftless_fixer::plan(
                expected,
                &a,
                &findings(expected, &a),
                &PlanOptions::default(),
            )
            .unwrap();
            panic!("{e}\n{}", p.to_sql());
        }
    };
    assert!(
        fixed.left.is_empty(),
        "not converged:\n{}\n{}",
        describe(&fixed.left),
        fixed.plan.to_sql()
    );
    assert!(fixed.plan.withheld.is_empty(), "{}", fixed.plan.to_sql());
}

const USERS_PG: &str = "CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL, CONSTRAINT users_email_key UNIQUE (email), CONSTRAINT users_id_check CHECK (id > 0));
     CREATE INDEX users_email_idx ON users (lower(email));
     CREATE TABLE posts (id integer PRIMARY KEY, user_id integer CONSTRAINT posts_user_fk REFERENCES users (id))";

#[tokio::test]
async fn postgres_table_renamed_by_hand_is_quarantined_with_its_index_names() {
    let expected = snapshot(&db_with(Backend::Postgres, USERS_PG).await).await;
    let db = db_with(
        Backend::Postgres,
        &format!(
            "{USERS_PG};
             INSERT INTO users VALUES (1, 'ada@example.com');
             ALTER TABLE users RENAME TO users_old"
        ),
    )
    .await;
    converges(&db, &expected).await;
    // The rows stay in the quarantined table, moved to the quarantine
    // schema with its indexes, under names of its own.
    assert_eq!(
        rows(
            &db,
            "SELECT COUNT(*) FROM driftless_quarantine.public__users_old"
        )
        .await[0][0]
            .as_i64(),
        Some(1)
    );
    assert_eq!(
        rows(
            &db,
            "SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'driftless_quarantine' AND c.relname LIKE 'public\\_\\_users\\_%' AND c.relkind = 'i'"
        )
        .await[0][0]
            .as_i64(),
        Some(3)
    );
}

#[tokio::test]
async fn postgres_plan_refuses_a_name_that_a_kept_table_holds() {
    let expected = snapshot(&db_with(Backend::Postgres, USERS_PG).await).await;
    let db = db_with(
        Backend::Postgres,
        &format!("{USERS_PG}; ALTER TABLE users RENAME TO users_old"),
    )
    .await;
    let actual = snapshot(&db).await;
    let keep = PlanOptions::default().with_orphans(Orphans::Keep);
    let err = driftless_fixer::plan(&expected, &actual, &findings(&expected, &actual), &keep)
        .expect_err("the kept table holds the names the new one needs");
    assert!(
        matches!(&err, PlanError::NameTaken { name, holder, .. }
            if ["users_pkey", "users_email_key", "users_email_idx"].contains(&name.as_str())
                && holder.contains("users_old")),
        "{err}"
    );
    assert!(err.to_string().contains("rename or drop"), "{err}");
}

#[tokio::test]
async fn sqlite_table_renamed_by_hand_is_quarantined_with_its_index_names() {
    let schema = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
         CREATE UNIQUE INDEX users_email_idx ON users (email);
         CREATE INDEX users_lower_idx ON users (lower(email))";
    let expected = snapshot(&db_with(Backend::Sqlite, schema).await).await;
    let db = db_with(
        Backend::Sqlite,
        &format!(
            "{schema};
             INSERT INTO users VALUES (1, 'ada@example.com');
             ALTER TABLE users RENAME TO users_old"
        ),
    )
    .await;
    converges(&db, &expected).await;
    assert_eq!(
        rows(&db, "SELECT COUNT(*) FROM _driftless_quarantine_users_old").await[0][0].as_i64(),
        Some(1)
    );
}

#[tokio::test]
async fn mariadb_table_renamed_by_hand_is_quarantined_with_its_foreign_key_names() {
    let schema = "CREATE TABLE teams (id int PRIMARY KEY);
         CREATE TABLE users (id int PRIMARY KEY, team_id int, email varchar(100) NOT NULL,
           CONSTRAINT users_team_fk FOREIGN KEY (team_id) REFERENCES teams (id),
           CONSTRAINT users_email_check CHECK (email <> ''))";
    let expected = snapshot(&db_with(Backend::Mysql, schema).await).await;
    let db = db_with(
        Backend::Mysql,
        &format!(
            "{schema};
             INSERT INTO teams VALUES (1);
             INSERT INTO users VALUES (1, 1, 'ada@example.com');
             RENAME TABLE users TO users_old"
        ),
    )
    .await;
    converges(&db, &expected).await;
}

#[tokio::test]
async fn sqlite_rebuild_keeps_triggers_and_views_of_other_tables_that_read_it() {
    let schema = |parent: &str| {
        format!(
            "CREATE TABLE parent (id INTEGER PRIMARY KEY, {parent});
             CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id));
             CREATE TABLE log (what TEXT);
             CREATE VIEW parent_names AS SELECT name FROM parent;
             CREATE TRIGGER child_ins AFTER INSERT ON child BEGIN
               INSERT INTO log SELECT name FROM parent WHERE id = NEW.parent_id;
             END"
        )
    };
    let expected = snapshot(&db_with(Backend::Sqlite, &schema("name TEXT NOT NULL")).await).await;
    let db = db_with(
        Backend::Sqlite,
        &format!(
            "{}; INSERT INTO parent VALUES (1, 'ada')",
            schema("name TEXT")
        ),
    )
    .await;
    converges(&db, &expected).await;
    db.exec("INSERT INTO child VALUES (1, 1)").await;
    assert_eq!(
        rows(&db, "SELECT what FROM log").await[0][0].as_str(),
        Some("ada")
    );
    assert_eq!(
        rows(&db, "SELECT name FROM parent_names").await[0][0].as_str(),
        Some("ada")
    );
}

#[tokio::test]
async fn sqlite_rebuild_avoids_an_index_holding_its_temporary_name() {
    let schema = |name: &str| {
        format!(
            "CREATE TABLE parent (id INTEGER PRIMARY KEY, {name});
             CREATE TABLE other (x INTEGER);
             CREATE INDEX _driftless_new_parent ON other (x)"
        )
    };
    let expected = snapshot(&db_with(Backend::Sqlite, &schema("name TEXT NOT NULL")).await).await;
    let db = db_with(
        Backend::Sqlite,
        &format!(
            "{}; INSERT INTO parent VALUES (1, 'ada')",
            schema("name TEXT")
        ),
    )
    .await;
    converges(&db, &expected).await;
    assert_eq!(
        rows(&db, "SELECT name FROM parent").await[0][0].as_str(),
        Some("ada")
    );
}
