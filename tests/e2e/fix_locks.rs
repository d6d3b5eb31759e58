//! Two deploys never fix at once: the second waits for the lock up to the
//! lock timeout, then fails clearly; one that gets the lock after the first
//! has fixed the schema finds its plan stale, and a new plan is empty.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::time::Duration;

use driftless_fixer::{
    apply, plan, ApplyError, ApplyOptions, FixPlan, PlanOptions, PG_ADVISORY_LOCK_KEY,
};
use driftless_introspect::{Database, IntrospectOptions};
use driftless_testkit::{Backend, TestDb};
use support::*;

const EXPECTED: &str = "CREATE TABLE items (id integer PRIMARY KEY, name varchar(50) NOT NULL, qty integer NOT NULL DEFAULT 0)";
const ACTUAL: &str = "CREATE TABLE items (id integer PRIMARY KEY, name varchar(50) NOT NULL);
INSERT INTO items (id, name) VALUES (1, 'bolt'), (2, 'nut')";

async fn setup(backend: Backend) -> (TestDb, driftless_model::Snapshot, FixPlan) {
    let expected = snapshot(&db_with(backend, EXPECTED).await).await;
    let db = db_with(backend, ACTUAL).await;
    let actual = snapshot(&db).await;
    let p = plan(
        &expected,
        &actual,
        &findings(&expected, &actual),
        &PlanOptions::default(),
    )
    .unwrap();
    assert_eq!(p.steps.len(), 1);
    (db, expected, p)
}

/// Takes the lock every driftless apply takes, on another connection.
async fn hold_lock(backend: Backend, db: &TestDb) -> Database {
    let mut h = open(db).await;
    match backend {
        Backend::Postgres => {
            h.execute("BEGIN", "test").await.unwrap();
            h.query(
                &format!("SELECT pg_advisory_xact_lock({PG_ADVISORY_LOCK_KEY})"),
                "test",
            )
            .await
            .unwrap();
        }
        Backend::Mysql => {
            let r = h
                .query(
                    "SELECT GET_LOCK(LEFT(CONCAT('driftless.', DATABASE()), 64), 5)",
                    "test",
                )
                .await
                .unwrap();
            assert_eq!(r[0][0].as_i64(), Some(1));
        }
        Backend::Sqlite => {
            h.execute("BEGIN IMMEDIATE", "test").await.unwrap();
        }
    }
    h
}

async fn release(backend: Backend, mut h: Database) {
    match backend {
        Backend::Mysql => {
            h.query(
                "SELECT RELEASE_LOCK(LEFT(CONCAT('driftless.', DATABASE()), 64))",
                "test",
            )
            .await
            .unwrap();
        }
        _ => {
            h.execute("ROLLBACK", "test").await.unwrap();
        }
    }
    h.close().await.unwrap();
}

async fn second_deploy_waits_then_fails(backend: Backend) {
    let (db, expected, p) = setup(backend).await;
    let before = snapshot(&db).await;
    let holder = hold_lock(backend, &db).await;
    let mut c = open(&db).await;
    let opts = ApplyOptions::default().with_lock_timeout(Duration::from_secs(1));
    let started = std::time::Instant::now();
    let err = apply(&mut c, &p, &opts).await.unwrap_err();
    assert!(matches!(err, ApplyError::Locked { .. }), "{err}");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited {:?}",
        started.elapsed()
    );
    assert!(
        err.to_string().contains("another driftless fix is running"),
        "{err}"
    );
    assert_eq!(snapshot(&db).await, before, "nothing changed");

    // Once the lock is free, the same plan applies.
    release(backend, holder).await;
    let report = apply(&mut c, &p, &opts).await.unwrap();
    assert!(findings(&expected, &report.after).is_empty());
    c.close().await.unwrap();
}

#[tokio::test]
async fn postgres_second_deploy_waits_then_fails() {
    second_deploy_waits_then_fails(Backend::Postgres).await;
}

#[tokio::test]
async fn mariadb_second_deploy_waits_then_fails() {
    second_deploy_waits_then_fails(Backend::Mysql).await;
}

#[tokio::test]
async fn sqlite_second_deploy_waits_then_fails() {
    second_deploy_waits_then_fails(Backend::Sqlite).await;
}

/// Two deploys planned from the same schema run at once: one fixes, the
/// other waits for the lock, finds the schema changed, and a new plan of it
/// is empty.
async fn concurrent_deploys(backend: Backend) {
    let (db, expected, p) = setup(backend).await;
    let holder = hold_lock(backend, &db).await;
    let mut first = open(&db).await;
    let mut second = open(&db).await;
    let opts = ApplyOptions::default().with_lock_timeout(Duration::from_secs(20));
    let (p1, p2) = (p.clone(), p.clone());
    let o1 = opts.clone();
    let a = tokio::spawn(async move {
        let r = apply(&mut first, &p1, &o1).await;
        first.close().await.unwrap();
        r
    });
    // Let the first queue on the lock, then the second.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let o2 = opts.clone();
    let b = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let r = apply(&mut second, &p2, &o2).await;
        second.close().await.unwrap();
        r
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    release(backend, holder).await;
    let (ra, rb) = (a.await.unwrap(), b.await.unwrap());
    let (ok, stale): (Vec<_>, Vec<_>) = [ra, rb].into_iter().partition(Result::is_ok);
    assert_eq!(ok.len(), 1, "exactly one deploy fixes");
    let err = stale.into_iter().next().unwrap().unwrap_err();
    assert!(matches!(err, ApplyError::Stale { .. }), "{err}");
    assert!(err.to_string().contains("plan again"));
    // Planning again finds nothing to do.
    let mut c = open(&db).await;
    let now = c.snapshot(&IntrospectOptions::default()).await.unwrap();
    assert!(findings(&expected, &now).is_empty());
    c.close().await.unwrap();
}

#[tokio::test]
async fn postgres_concurrent_deploys_fix_once() {
    concurrent_deploys(Backend::Postgres).await;
}

#[tokio::test]
async fn mariadb_concurrent_deploys_fix_once() {
    concurrent_deploys(Backend::Mysql).await;
}

#[tokio::test]
async fn sqlite_concurrent_deploys_fix_once() {
    concurrent_deploys(Backend::Sqlite).await;
}
