//! When connections use TLS: on a loopback address only where the URL (or
//! the server) asks for it; elsewhere as the driver's default says.
//!
//! The server must offer TLS and have a login role `driftless_tls_only`
//! that `pg_hba.conf` refuses without TLS (`hostnossl … reject`). Both live
//! outside any database (a server setting, a file the server reads on
//! reload), so a test cannot make them on its own: `scripts/test-env` does,
//! and [`server_setup`] names whatever is missing.
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

/// What the test server lacks for these tests (empty: nothing), asked of
/// the server itself as its administrator.
async fn server_setup() -> Vec<&'static str> {
    let url = server_url(None, None);
    let mut db = Database::connect(&url, &ConnectOptions::read_only())
        .await
        .unwrap();
    let rows = db
        .query(
            "SELECT current_setting('ssl') = 'on', \
                    EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'driftless_tls_only' AND rolcanlogin), \
                    EXISTS (SELECT 1 FROM pg_hba_file_rules WHERE type = 'hostnossl' \
                            AND 'driftless_tls_only' = ANY(user_name) AND auth_method = 'reject')",
            "checking the server's TLS setup",
        )
        .await
        .unwrap();
    let wants = [
        "ssl = on",
        "a login role driftless_tls_only",
        "a pg_hba.conf line `hostnossl all driftless_tls_only … reject`",
    ];
    let row = rows.first().expect("one row");
    wants
        .into_iter()
        .zip(row)
        .filter(|(_, have)| !matches!(have, Value::Bool(true)))
        .map(|(want, _)| want)
        .collect()
}

/// Fails, naming what is missing and how to get it, unless the server
/// offers TLS and, when `tls_only_role`, has the role that needs it.
async fn require_server_setup(tls_only_role: bool) {
    let mut missing = server_setup().await;
    if !tls_only_role {
        missing.retain(|want| !want.contains("driftless_tls_only"));
    }
    assert!(
        missing.is_empty(),
        "the PostgreSQL test server lacks {}; `scripts/test-env` sets it up (README, Install)",
        missing.join(", ")
    );
}

#[tokio::test]
async fn loopback_connections_skip_tls_unless_asked() {
    require_server_setup(false).await;
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
    require_server_setup(true).await;
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
