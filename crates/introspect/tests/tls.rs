//! When connections use TLS: on a loopback address only where the URL (or
//! the server) asks for it; elsewhere as the driver's default says.
//!
//! `.ci/run` creates the role `driftless_tls_only`, which `pg_hba.conf`
//! refuses without TLS (`hostnossl … reject`), and makes sure the server
//! offers TLS.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use driftless_introspect::{ConnectOptions, Database, DbUrl, IntrospectOptions, Value};
use driftless_testkit::postgres_server_url;

/// Whether the connection's own backend is using TLS.
async fn uses_tls(db: &mut Database) -> bool {
    let rows = db
        .query(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            "asking whether this connection uses TLS",
        )
        .await
        .unwrap();
    match rows.first().and_then(|r| r.first()) {
        Some(Value::Bool(b)) => *b,
        other => panic!("unexpected pg_stat_ssl row: {other:?}"),
    }
}

fn server_url(user: Option<&str>, query: Option<&str>) -> DbUrl {
    let mut u = url::Url::parse(&postgres_server_url()).unwrap();
    if let Some(user) = user {
        u.set_username(user).unwrap();
        u.set_password(None).unwrap();
    }
    if let Some(q) = query {
        u.set_query(Some(q));
    }
    DbUrl::parse(u.as_str()).unwrap()
}

#[tokio::test]
async fn loopback_connections_skip_tls_unless_asked() {
    let url = server_url(None, None);
    assert!(
        url.is_loopback(),
        "the test server is expected on loopback: {url}"
    );
    let mut db = Database::connect(&url, &ConnectOptions::default())
        .await
        .unwrap();
    assert!(
        !uses_tls(&mut db).await,
        "{url} used TLS without being asked"
    );

    // The URL's own choice wins.
    let url = server_url(None, Some("sslmode=require"));
    let mut db = Database::connect(&url, &ConnectOptions::default())
        .await
        .unwrap();
    assert!(uses_tls(&mut db).await, "{url} did not use TLS");
}

#[tokio::test]
async fn a_server_refusing_plaintext_gets_tls() {
    let url = server_url(Some("driftless_tls_only"), None);
    let mut db = Database::connect(&url, &ConnectOptions::read_only())
        .await
        .unwrap();
    assert!(uses_tls(&mut db).await);
    // And it is a working connection: the reader's whole protocol runs.
    let snap = db.snapshot(&IntrospectOptions::default()).await.unwrap();
    assert!(
        snap.schemas.contains_key("public"),
        "{:?}",
        snap.schemas.keys()
    );

    // Refused both ways, the error is the server's.
    let url = server_url(Some("driftless_tls_only"), Some("sslmode=disable"));
    let Err(err) = Database::connect(&url, &ConnectOptions::default()).await else {
        panic!("plaintext was asked for and must be refused");
    };
    assert!(err.to_string().contains("driftless_tls_only"), "{err}");
}
