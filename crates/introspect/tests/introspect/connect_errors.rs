//! Opening a database: every way it can go wrong gives its typed error, and
//! no error message ever contains a password from the URL. Also: how
//! [`Database::query`] decodes values on each backend, and how errors the
//! database reports keep its code and are told apart by it ([`Error::kind`]).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use driftless_introspect::{ConnectOptions, Database, DbUrl, Error, ErrorKind, Value};
use driftless_testkit::{mysql_server_url, postgres_server_url, TestDb};

const SECRET: &str = "Sup3r-s3cret-pw";

fn fast() -> ConnectOptions {
    ConnectOptions::default().with_connect_timeout(Duration::from_secs(1))
}

/// Connects and returns the error, checking that it never shows `secret`.
async fn connect_err(url: &str, options: &ConnectOptions, secret: &str) -> Error {
    let err = match DbUrl::parse(url) {
        Err(e) => e,
        Ok(parsed) => match Database::connect(&parsed, options).await {
            Ok(_) => panic!("connecting to {parsed} should have failed"),
            Err(e) => e,
        },
    };
    let shown = format!("{err} / {err:?}");
    assert!(!shown.contains(secret), "password leaked: {shown}");
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        assert!(
            !s.to_string().contains(secret),
            "password leaked in source: {s}"
        );
        source = s.source();
    }
    err
}

/// `scheme://user:SECRET@host:port/db` from a server URL.
fn with_password(
    server_url: &str,
    user: &str,
    password: &str,
    host_port: &str,
    db: &str,
) -> String {
    let scheme = server_url.split("://").next().unwrap();
    format!("{scheme}://{user}:{password}@{host_port}/{db}")
}

fn host_port(server_url: &str) -> String {
    let u = url::Url::parse(server_url).unwrap();
    format!("{}:{}", u.host_str().unwrap(), u.port().unwrap())
}

#[tokio::test]
async fn malformed_urls() {
    for url in [
        format!("postgres://me:{SECRET}@/db"),
        format!("mysql://me:{SECRET}@"),
        "not a url at all".to_string(),
        "sqlite:".to_string(),
    ] {
        let err = connect_err(&url, &fast(), SECRET).await;
        assert!(matches!(err, Error::InvalidUrl { .. }), "{url}: {err:?}");
    }
    // The driver refuses what the URL parser let through.
    let err = connect_err(
        &format!("postgres://me:{SECRET}@127.0.0.1:5432/db?sslmode=bogus"),
        &fast(),
        SECRET,
    )
    .await;
    assert!(matches!(err, Error::InvalidUrl { .. }), "{err:?}");
}

#[tokio::test]
async fn unknown_scheme() {
    let err = connect_err(
        &format!("redis://me:{SECRET}@127.0.0.1:6379/0"),
        &fast(),
        SECRET,
    )
    .await;
    match err {
        Error::UnsupportedScheme { scheme, url } => {
            assert_eq!(scheme, "redis");
            assert_eq!(url, "redis://me:***@127.0.0.1:6379/0");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    // A listener that accepts TCP connections (the kernel completes the
    // handshake) but never speaks the protocol.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    for scheme in ["postgres", "mysql"] {
        let url = format!("{scheme}://me:{SECRET}@127.0.0.1:{port}/db");
        let started = Instant::now();
        let err = connect_err(&url, &fast(), SECRET).await;
        let elapsed = started.elapsed();
        match &err {
            Error::ConnectTimeout { seconds, url } => {
                assert_eq!(*seconds, 1);
                assert!(url.contains("me:***@"), "{url}");
            }
            other => panic!("{scheme}: {other:?}"),
        }
        assert!(
            elapsed < Duration::from_secs(5),
            "{scheme} took {elapsed:?}"
        );
        assert!(err.to_string().contains("timed out after 1s"), "{err}");
    }
    drop(listener);
}

#[tokio::test]
async fn a_closed_port_is_a_connect_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    for scheme in ["postgres", "mysql"] {
        let url = format!("{scheme}://me:{SECRET}@127.0.0.1:{port}/db");
        let err = connect_err(&url, &fast(), SECRET).await;
        assert!(matches!(err, Error::Connect { .. }), "{scheme}: {err:?}");
        assert!(err.to_string().starts_with("cannot connect to"), "{err}");
    }
}

#[tokio::test]
async fn missing_databases() {
    let pg = postgres_server_url();
    let url = with_password(&pg, "root", SECRET, &host_port(&pg), "driftless_no_such_db");
    match connect_err(&url, &fast(), SECRET).await {
        Error::MissingDatabase { database, url } => {
            assert_eq!(database, "driftless_no_such_db");
            assert!(url.contains("root:***@"), "{url}");
        }
        other => panic!("postgres: {other:?}"),
    }

    let my = mysql_server_url();
    let url = format!(
        "{}/driftless_no_such_db",
        my.rsplit_once('/').map_or(my.as_str(), |(head, _)| head)
    );
    match connect_err(&url, &fast(), SECRET).await {
        Error::MissingDatabase { database, .. } => assert_eq!(database, "driftless_no_such_db"),
        other => panic!("mysql: {other:?}"),
    }

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.db");
    let url = format!("sqlite://{}", path.display());
    match connect_err(&url, &ConnectOptions::read_only(), SECRET).await {
        Error::MissingDatabase { database, .. } => assert_eq!(database, path.display().to_string()),
        other => panic!("sqlite: {other:?}"),
    }
    assert!(!path.exists(), "a read never creates the file");
    // Not even with the default options.
    let err = connect_err(&url, &ConnectOptions::default(), SECRET).await;
    assert!(matches!(err, Error::MissingDatabase { .. }), "{err:?}");
    assert!(!path.exists());
}

/// A MySQL user with a password, dropped again at the end of the test.
struct MysqlUser {
    name: String,
}

impl MysqlUser {
    async fn create(password: &str) -> MysqlUser {
        let name = format!("dl_pw_{}_{}", std::process::id(), rand_suffix());
        admin_exec(&format!(
            "CREATE USER '{name}'@'%' IDENTIFIED BY '{password}'"
        ))
        .await;
        MysqlUser { name }
    }
}

impl Drop for MysqlUser {
    fn drop(&mut self) {
        let sql = format!("DROP USER IF EXISTS '{}'@'%'", self.name);
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(admin_exec(&sql));
        })
        .join();
    }
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

async fn admin_exec(sql: &str) {
    let url = DbUrl::parse(&mysql_server_url()).unwrap();
    let mut db = Database::connect(&url, &ConnectOptions::default())
        .await
        .unwrap();
    db.execute(sql, "managing a test user").await.unwrap();
    db.close().await.unwrap();
}

#[tokio::test]
async fn wrong_password_is_permission_denied() {
    let user = MysqlUser::create(SECRET).await;
    let my = mysql_server_url();
    let hp = host_port(&my);

    // The right password works …
    let good = DbUrl::parse(&with_password(&my, &user.name, SECRET, &hp, "")).unwrap();
    let db = Database::connect(&good, &fast()).await.unwrap();
    assert!(!format!("{db:?}").contains(SECRET));
    db.close().await.unwrap();

    // … a wrong one is refused, and neither password is printed.
    let wrong = "Wr0ng-pa55word";
    let url = with_password(&my, &user.name, wrong, &hp, "");
    let err = connect_err(&url, &fast(), wrong).await;
    assert!(matches!(err, Error::PermissionDenied { .. }), "{err:?}");
    let shown = err.to_string();
    assert!(
        shown.contains(&user.name) && !shown.contains(SECRET),
        "{shown}"
    );

    // A password in a query parameter is redacted as well.
    let url = format!("mysql://{}@{hp}/?password={wrong}", user.name);
    let _ = connect_err(&url, &fast(), wrong).await;
}

fn texts(row: &[Value]) -> Vec<String> {
    row.iter().map(|v| format!("{v:?}")).collect()
}

#[tokio::test]
async fn query_values_decode_on_postgres() {
    let db = TestDb::postgres().await;
    let mut conn = Database::connect(&DbUrl::parse(&db.url).unwrap(), &fast())
        .await
        .unwrap();
    let rows = conn
        .query(
            "SELECT NULL::int, true, 42::int2, 7::int4, (-9000000000)::int8, 1.5::float8, \
             'héllo'::text, '\\x00ff'::bytea, 'x'::varchar(3), 12.50::numeric::text, 'a'::name",
            "decoding",
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0],
        vec![
            Value::Null,
            Value::Bool(true),
            Value::Int(42),
            Value::Int(7),
            Value::Int(-9_000_000_000),
            Value::Float(1.5),
            Value::Text("héllo".into()),
            Value::Bytes(vec![0, 255]),
            Value::Text("x".into()),
            Value::Text("12.50".into()),
            Value::Text("a".into()),
        ],
        "{:?}",
        texts(&rows[0])
    );
    let empty = conn.query("SELECT 1 WHERE false", "empty").await.unwrap();
    assert!(empty.is_empty());
    let err = conn
        .query("SELECT * FROM no_such_table", "reading a missing table")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Query { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("reading a missing table failed on"),
        "{err}"
    );
}

#[tokio::test]
async fn query_values_decode_on_mysql() {
    let db = TestDb::mysql().await;
    let mut conn = Database::connect(&DbUrl::parse(&db.url).unwrap(), &fast())
        .await
        .unwrap();
    let rows = conn
        .query(
            "SELECT NULL, CAST(42 AS SIGNED), -9000000000, CAST(1.5 AS DOUBLE), 'héllo', X'00FF', \
             CAST('x' AS CHAR(3)), TABLE_NAME FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = 'information_schema' AND TABLE_NAME = 'TABLES'",
            "decoding",
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0],
        vec![
            Value::Null,
            Value::Int(42),
            Value::Int(-9_000_000_000),
            Value::Float(1.5),
            Value::Text("héllo".into()),
            Value::Bytes(vec![0, 255]),
            Value::Text("x".into()),
            Value::Text("TABLES".into()),
        ],
        "{:?}",
        texts(&rows[0])
    );
}

#[tokio::test]
async fn query_values_decode_on_sqlite() {
    let db = TestDb::sqlite();
    let mut conn = Database::connect(&DbUrl::parse(&db.url).unwrap(), &fast())
        .await
        .unwrap();
    let rows = conn
        .query("SELECT NULL, 1, -9000000000, 1.5, 'héllo', x'00ff' UNION ALL SELECT 'a', 'b', 2.5, 3, NULL, 'c'", "decoding")
        .await
        .unwrap();
    assert_eq!(
        rows,
        vec![
            vec![
                Value::Null,
                Value::Int(1),
                Value::Int(-9_000_000_000),
                Value::Float(1.5),
                Value::Text("héllo".into()),
                Value::Bytes(vec![0, 255]),
            ],
            // SQLite types each value, not each column.
            vec![
                Value::Text("a".into()),
                Value::Text("b".into()),
                Value::Float(2.5),
                Value::Int(3),
                Value::Null,
                Value::Text("c".into()),
            ],
        ]
    );
}

/// `float4` and `oid` came back as the raw bytes of the value read as text;
/// a type nothing decodes comes back as NULL, never as guessed bytes.
#[tokio::test]
async fn postgres_float4_and_oid_decode_as_numbers() {
    let db = TestDb::postgres().await;
    let mut conn = Database::connect(&DbUrl::parse(&db.url).unwrap(), &fast())
        .await
        .unwrap();
    let rows = conn
        .query(
            "SELECT 2.5::float4, 'pg_class'::regclass::oid, NULL::float4, now()",
            "decoding",
        )
        .await
        .unwrap();
    assert_eq!(
        rows[0],
        vec![
            Value::Float(2.5),
            Value::Int(1259),
            Value::Null,
            Value::Null
        ]
    );
}

/// MySQL unsigned integers came back as `Bool(true)`.
#[tokio::test]
async fn mysql_unsigned_integers_decode_as_numbers() {
    let db = TestDb::mysql().await;
    let mut conn = Database::connect(&DbUrl::parse(&db.url).unwrap(), &fast())
        .await
        .unwrap();
    let rows = conn
        .query(
            "SELECT CAST(7 AS UNSIGNED), CAST(18446744073709551615 AS UNSIGNED), CAST(NULL AS UNSIGNED)",
            "decoding",
        )
        .await
        .unwrap();
    assert_eq!(
        rows[0],
        vec![
            Value::Int(7),
            Value::Text("18446744073709551615".into()),
            Value::Null
        ]
    );
}

// Error codes: every error the database reports keeps its code (SQLSTATE,
// MySQL error number, SQLite result code), and lock timeouts, busy
// databases and missing objects are recognised by it, not by the message
// (which PostgreSQL and MySQL translate).

async fn open(url: &str, options: &ConnectOptions) -> Database {
    Database::connect(&DbUrl::parse(url).unwrap(), options)
        .await
        .unwrap()
}

async fn run(db: &mut Database, sql: &str) {
    db.execute(sql, "setting up").await.unwrap();
}

/// Runs `sql`, which must fail, and checks what the error says of itself:
/// its kind, its code (`expected` is the SQLSTATE on PostgreSQL, the error
/// number on MySQL and SQLite), and that the message is still the usual one.
async fn fails_with(db: &mut Database, sql: &str, kind: ErrorKind, expected: &str) -> Error {
    let err = db.execute(sql, "provoking an error").await.unwrap_err();
    check(&err, kind, expected);
    assert!(
        err.to_string().starts_with("provoking an error failed on"),
        "{err}"
    );
    err
}

fn check(err: &Error, kind: ErrorKind, expected: &str) {
    assert_eq!(err.kind(), kind, "{err:?}");
    let code = err.code().unwrap_or_else(|| panic!("no code: {err:?}"));
    assert_eq!(code.kind(), kind, "{code}");
    let found = code
        .sqlstate()
        .filter(|_| code.number().is_none())
        .map(str::to_string)
        .or_else(|| code.number().map(|n| n.to_string()));
    assert_eq!(found.as_deref(), Some(expected), "{err:?}");
}

/// Locks with `a_first` on `a` and `b_first` on `b`, then runs `a_then`
/// and `b_then` concurrently, each waiting for the other's lock: exactly
/// one of them fails, chosen as the deadlock victim.
async fn deadlock(
    a: &mut Database,
    b: &mut Database,
    [a_first, b_first]: [&str; 2],
    [a_then, b_then]: [&str; 2],
) -> Error {
    run(a, a_first).await;
    run(b, b_first).await;
    let (ra, rb) = tokio::join!(
        a.execute(a_then, "provoking a deadlock"),
        b.execute(b_then, "provoking a deadlock")
    );
    match (ra, rb) {
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => e,
        other => panic!("expected exactly one deadlock victim: {other:?}"),
    }
}

async fn missing_database_error(url: &str) -> Error {
    let err = Database::connect(&DbUrl::parse(url).unwrap(), &fast())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::MissingDatabase { .. }), "{err:?}");
    err
}

/// How to provoke each kind of error on one server, and the code each
/// must carry.
struct Provocations {
    /// Run once on the first connection: creates table `t` with rows 1
    /// and 2 (which [`ROW_LOCKS`] lock).
    setup: &'static [&'static str],
    /// Statements that fail on their own: SQL, kind, code, and a piece of
    /// the database's usual message.
    failing: &'static [(&'static str, ErrorKind, &'static str, &'static str)],
    /// Starts a transaction.
    begin: &'static str,
    /// Sets and resets a short lock timeout, and the lock timeout's code.
    lock_timeout: [&'static str; 3],
    /// Sets a short statement timeout, a statement that outlasts it, resets
    /// it, and the statement timeout's code.
    statement_timeout: [&'static str; 4],
    /// Run on both connections before the deadlock, and the deadlock's code.
    deadlock: [&'static str; 2],
    /// A write refused on a read-only connection, and its code.
    read_only: [&'static str; 2],
    /// The server's URL (for a missing database).
    server_url: String,
}

/// Locks rows 1 and 2 of `t` until the transaction ends.
const ROW_LOCKS: [&str; 2] = [
    "SELECT id FROM t WHERE id = 1 FOR UPDATE",
    "SELECT id FROM t WHERE id = 2 FOR UPDATE",
];

async fn errors_keep_their_code(db: &TestDb, p: &Provocations) {
    let mut a = open(&db.url, &fast()).await;
    let mut b = open(&db.url, &fast()).await;
    for sql in p.setup {
        run(&mut a, sql).await;
    }
    for &(sql, kind, code, text) in p.failing {
        let err = fails_with(&mut a, sql, kind, code).await;
        assert!(err.to_string().contains(text), "{err}");
    }

    // A lock held by another transaction, waited for past the lock timeout.
    let [set, reset, code] = p.lock_timeout;
    run(&mut a, p.begin).await;
    run(&mut a, ROW_LOCKS[0]).await;
    run(&mut b, set).await;
    fails_with(&mut b, ROW_LOCKS[0], ErrorKind::LockTimeout, code).await;
    run(&mut a, "ROLLBACK").await;
    run(&mut b, reset).await;

    let [set, sql, reset, code] = p.statement_timeout;
    run(&mut b, set).await;
    fails_with(&mut b, sql, ErrorKind::StatementTimeout, code).await;
    run(&mut b, reset).await;

    let [setup, code] = p.deadlock;
    for c in [&mut a, &mut b] {
        run(c, setup).await;
        run(c, p.begin).await;
    }
    let err = deadlock(&mut a, &mut b, ROW_LOCKS, [ROW_LOCKS[1], ROW_LOCKS[0]]).await;
    check(&err, ErrorKind::Deadlock, code);
    for c in [&mut a, &mut b] {
        run(c, "ROLLBACK").await;
    }

    let [sql, code] = p.read_only;
    let mut ro = open(&db.url, &ConnectOptions::read_only()).await;
    fails_with(&mut ro, sql, ErrorKind::ReadOnly, code).await;

    let server = p.server_url.rsplit_once('/').unwrap().0;
    let err = missing_database_error(&format!("{server}/driftless_no_such_db")).await;
    assert_eq!(err.kind(), ErrorKind::MissingDatabase);
}

#[tokio::test]
async fn postgres_errors_keep_their_sqlstate() {
    let db = TestDb::postgres().await;
    let provocations = Provocations {
        setup: &["CREATE TABLE t (id int)", "INSERT INTO t VALUES (1), (2)"],
        failing: &[
            (
                "SELECT * FROM no_such_table",
                ErrorKind::UndefinedObject,
                "42P01",
                "\"no_such_table\" does not exist",
            ),
            (
                "SELECT no_such_column FROM t",
                ErrorKind::UndefinedObject,
                "42703",
                "no_such_column",
            ),
            ("SELECT 1 +", ErrorKind::Other, "42601", "syntax error"),
        ],
        begin: "BEGIN",
        lock_timeout: [
            "SET lock_timeout = '100ms'",
            "SET lock_timeout = 0",
            "55P03",
        ],
        statement_timeout: [
            "SET statement_timeout = '50ms'",
            "SELECT pg_sleep(5)",
            "SET statement_timeout = 0",
            "57014",
        ],
        deadlock: ["SET deadlock_timeout = '50ms'", "40P01"],
        read_only: ["CREATE TABLE v (id int)", "25006"],
        server_url: postgres_server_url(),
    };
    errors_keep_their_code(&db, &provocations).await;
}

#[tokio::test]
async fn mariadb_errors_keep_their_number() {
    let db = TestDb::mysql().await;
    let provocations = Provocations {
        setup: &[
            "CREATE TABLE t (id int PRIMARY KEY) ENGINE=InnoDB",
            "INSERT INTO t VALUES (1), (2)",
        ],
        failing: &[
            (
                "SELECT * FROM no_such_table",
                ErrorKind::UndefinedObject,
                "1146",
                "no_such_table' doesn't exist",
            ),
            (
                "SELECT no_such_column FROM t",
                ErrorKind::UndefinedObject,
                "1054",
                "no_such_column",
            ),
            (
                "DROP TABLE no_such_table",
                ErrorKind::UndefinedObject,
                "1051",
                "no_such_table",
            ),
            ("SELECT 1 +", ErrorKind::Other, "1064", "SQL syntax"),
        ],
        begin: "START TRANSACTION",
        lock_timeout: [
            "SET SESSION innodb_lock_wait_timeout = 1",
            "SET SESSION innodb_lock_wait_timeout = DEFAULT",
            "1205",
        ],
        // MariaDB's max_statement_time.
        statement_timeout: [
            "SET SESSION max_statement_time = 0.05",
            "SELECT SLEEP(5)",
            "SET SESSION max_statement_time = 0",
            "1969",
        ],
        // InnoDB finds deadlocks at once.
        deadlock: ["DO 0", "1213"],
        read_only: ["INSERT INTO t VALUES (3)", "1792"],
        server_url: mysql_server_url(),
    };
    errors_keep_their_code(&db, &provocations).await;
    let mut c = open(&db.url, &fast()).await;
    let err = c
        .execute("SELECT * FROM no_such_table", "reading")
        .await
        .unwrap_err();
    assert_eq!(err.code().unwrap().sqlstate(), Some("42S02"));
}

/// A statement MySQL refuses for want of a privilege (error 1142, SQLSTATE
/// 42000) was a plain query error: only PostgreSQL's SQLSTATE 42501 was
/// recognised.
#[tokio::test]
async fn mariadb_statement_without_privilege_is_permission_denied() {
    let db = TestDb::mysql().await;
    let user = MysqlUser::create(SECRET).await;
    let my = mysql_server_url();
    let url = with_password(&my, &user.name, SECRET, &host_port(&my), "");
    let mut c = open(&url, &fast()).await;
    let sql = format!("CREATE TABLE `{}`.t (id int)", db.name);
    let err = c.execute(&sql, "creating a table").await.unwrap_err();
    assert!(matches!(err, Error::PermissionDenied { .. }), "{err:?}");
    check(&err, ErrorKind::PermissionDenied, "1142");
    assert!(err.to_string().starts_with("permission denied on"), "{err}");
    assert!(!err.to_string().contains(SECRET), "{err}");
    c.close().await.unwrap();
}

#[tokio::test]
async fn sqlite_errors_keep_their_result_code() {
    let db = TestDb::sqlite();
    let mut a = open(&db.url, &fast()).await;
    let mut b = open(&db.url, &fast()).await;
    run(&mut a, "CREATE TABLE t (id INTEGER)").await;

    // SQLite has no code of its own for a missing object (SQLITE_ERROR).
    let err = fails_with(
        &mut a,
        "SELECT * FROM no_such_table",
        ErrorKind::UndefinedObject,
        "1",
    )
    .await;
    assert!(
        err.to_string().contains("no such table: no_such_table"),
        "{err}"
    );
    fails_with(
        &mut a,
        "SELECT no_such_column FROM t",
        ErrorKind::UndefinedObject,
        "1",
    )
    .await;
    fails_with(&mut a, "SELECT 1 +", ErrorKind::Other, "1").await;

    // Another connection holds the write lock: busy at once without a busy
    // timeout, and busy once a short one has elapsed (SQLite's lock timeout).
    run(&mut a, "BEGIN IMMEDIATE").await;
    run(&mut b, "PRAGMA busy_timeout = 0").await;
    let err = fails_with(&mut b, "BEGIN IMMEDIATE", ErrorKind::Busy, "5").await;
    assert!(err.to_string().contains("database is locked"), "{err}");
    run(&mut b, "PRAGMA busy_timeout = 100").await;
    fails_with(&mut b, "INSERT INTO t VALUES (1)", ErrorKind::Busy, "5").await;
    run(&mut a, "ROLLBACK").await;

    let mut ro = open(&db.url, &ConnectOptions::read_only()).await;
    fails_with(
        &mut ro,
        "CREATE TABLE u (id INTEGER)",
        ErrorKind::ReadOnly,
        "8",
    )
    .await;

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("absent.db").display());
    let err = missing_database_error(&url).await;
    assert_eq!(err.kind(), ErrorKind::MissingDatabase);
}

#[tokio::test]
async fn errors_outside_the_database_have_no_code() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    for scheme in ["postgres", "mysql"] {
        let url = format!("{scheme}://me@127.0.0.1:{port}/db");
        let err = connect_err(&url, &fast(), SECRET).await;
        assert!(matches!(err, Error::Connect { .. }), "{scheme}: {err:?}");
        assert!(err.code().is_none(), "{err:?}");
        assert_eq!(err.kind(), ErrorKind::Other);
    }
}
