//! Read-only by construction: `check`, `plan`, `snapshot`, `migrations`
//! (and `fix` without `--apply`) work for a role that can only read, and
//! never write.
//!
//! * PostgreSQL: a login role with `default_transaction_read_only = on`,
//!   no TEMP, first with no privilege on any table (the catalog is all it
//!   reads), then with SELECT (to read the migration ledger). The role's
//!   snapshot equals the owner's; the tuple counters of the database and of
//!   every table, the schema and the row counts are the same afterwards.
//! * MariaDB: a user with SELECT only on the database; it reads the same
//!   schema as root, except view definitions, which MariaDB hides without
//!   SHOW VIEW: those are not compared (and a warning says so).
//! * SQLite: the file is opened read-only; its bytes and modification time
//!   do not change and no journal is left (in WAL mode: the WAL stays
//!   empty).
//! * And the construction itself: driftless's read-only connections refuse
//!   writes on every backend, whatever the role may do.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use crate::support;

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use driftless_introspect::{ConnectOptions, Database, DbUrl};
use driftless_model::{Checksum, Snapshot};
use driftless_testkit::{mysql_server_url, postgres_server_url, Backend, TestDb};
use support::*;

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{nanos:x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// `url` with its user (and password) replaced by `userinfo`.
fn with_user(url: &str, userinfo: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let rest = rest.split_once('@').map(|(_, r)| r).unwrap_or(rest);
    format!("{scheme}://{userinfo}@{rest}")
}

/// Runs `sql` on the server (not in a test database), from a thread of its
/// own so that it also works in `Drop`.
fn on_server(url: String, sql: String) {
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let mut db =
                Database::connect(&DbUrl::parse(&url).unwrap(), &ConnectOptions::default())
                    .await
                    .unwrap();
            let r = db.execute(&sql, "managing a test account").await;
            let _ = db.close().await;
            r.unwrap_or_else(|e| panic!("{sql}: {e}"));
        });
    })
    .join()
    .unwrap();
}

/// A login account on a server, dropped again with the handle.
struct Account {
    server: String,
    drop_sql: String,
    /// The name (PostgreSQL role, MariaDB user).
    name: String,
    /// Its password (MariaDB).
    password: String,
}

impl Account {
    /// A PostgreSQL role that can log in, whose every transaction is
    /// read-only, and that owns nothing.
    fn postgres() -> Account {
        let name = unique("dl_ro");
        let server = postgres_server_url();
        on_server(
            server.clone(),
            format!(
                "CREATE ROLE \"{name}\" LOGIN; \
                 ALTER ROLE \"{name}\" SET default_transaction_read_only = on"
            ),
        );
        Account {
            server,
            drop_sql: format!("DROP ROLE IF EXISTS \"{name}\""),
            name,
            password: String::new(),
        }
    }

    /// A MariaDB user with a password and no privilege yet.
    fn mariadb() -> Account {
        let name = unique("dl_ro");
        let password = unique("pw");
        let server = mysql_server_url();
        on_server(
            server.clone(),
            format!("CREATE USER '{name}'@'%' IDENTIFIED BY '{password}'"),
        );
        Account {
            server,
            drop_sql: format!("DROP USER IF EXISTS '{name}'@'%'"),
            name,
            password,
        }
    }

    /// `db`'s URL, logged in as this account.
    fn url(&self, db: &TestDb) -> String {
        if self.password.is_empty() {
            with_user(&db.url, &self.name)
        } else {
            with_user(&db.url, &format!("{}:{}", self.name, self.password))
        }
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        on_server(self.server.clone(), self.drop_sql.clone());
    }
}

/// What the fixtures build: every kind of object, rows, and an sqlx ledger
/// recording `1_init.sql`.
const MIGRATION: &str = "CREATE TABLE accounts (id integer PRIMARY KEY);\n";

fn fixture(backend: Backend) -> String {
    let checksum = Checksum::sqlx(MIGRATION).to_string();
    match backend {
        Backend::Postgres => format!(
            "CREATE TYPE mood AS ENUM ('calm', 'busy');
             CREATE SEQUENCE invoice_seq;
             CREATE TABLE accounts (id integer PRIMARY KEY, name varchar(50) NOT NULL, mood mood,
                 CONSTRAINT accounts_name_check CHECK (length(name) > 0));
             CREATE TABLE orders (id integer PRIMARY KEY, account_id integer NOT NULL REFERENCES accounts (id),
                 note text, invoice integer DEFAULT nextval('invoice_seq'));
             CREATE INDEX orders_account_idx ON orders (account_id);
             CREATE VIEW busy_accounts AS SELECT id, name FROM accounts WHERE mood = 'busy';
             COMMENT ON TABLE orders IS 'what was bought';
             INSERT INTO accounts VALUES (1, 'ada', 'calm'), (2, 'bea', 'busy');
             INSERT INTO orders (id, account_id, note) VALUES (1, 1, 'rush'), (2, 2, NULL);
             CREATE TABLE _sqlx_migrations (version bigint PRIMARY KEY, description text NOT NULL,
                 installed_on timestamptz NOT NULL DEFAULT now(), success boolean NOT NULL,
                 checksum bytea NOT NULL, execution_time bigint NOT NULL);
             INSERT INTO _sqlx_migrations VALUES (1, 'init', now(), true, decode('{checksum}', 'hex'), 1);"
        ),
        Backend::Mysql => format!(
            "CREATE TABLE accounts (id integer PRIMARY KEY, name varchar(50) NOT NULL, mood enum('calm', 'busy'),
                 CONSTRAINT accounts_name_check CHECK (char_length(name) > 0));
             CREATE TABLE orders (id integer PRIMARY KEY, account_id integer NOT NULL, note text,
                 CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id));
             CREATE VIEW busy_accounts AS SELECT id, name FROM accounts WHERE mood = 'busy';
             CREATE SEQUENCE invoice_seq;
             INSERT INTO accounts VALUES (1, 'ada', 'calm'), (2, 'bea', 'busy');
             INSERT INTO orders (id, account_id, note) VALUES (1, 1, 'rush'), (2, 2, NULL);
             CREATE TABLE _sqlx_migrations (version bigint PRIMARY KEY, description text NOT NULL,
                 installed_on timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP, success boolean NOT NULL,
                 checksum blob NOT NULL, execution_time bigint NOT NULL);
             INSERT INTO _sqlx_migrations VALUES (1, 'init', NOW(), TRUE, X'{checksum}', 1);"
        ),
        Backend::Sqlite => format!(
            "CREATE TABLE accounts (id integer PRIMARY KEY, name varchar(50) NOT NULL CHECK (length(name) > 0));
             CREATE TABLE orders (id integer PRIMARY KEY, account_id integer NOT NULL REFERENCES accounts (id), note text);
             CREATE INDEX orders_account_idx ON orders (account_id);
             CREATE VIEW named_accounts AS SELECT id, name FROM accounts;
             CREATE TRIGGER orders_note AFTER INSERT ON orders BEGIN UPDATE orders SET note = 'new' WHERE id = NEW.id AND note IS NULL; END;
             INSERT INTO accounts VALUES (1, 'ada'), (2, 'bea');
             INSERT INTO orders (id, account_id, note) VALUES (1, 1, 'rush'), (2, 2, 'gift');
             CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
                 installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL,
                 checksum BLOB NOT NULL, execution_time BIGINT NOT NULL);
             INSERT INTO _sqlx_migrations VALUES (1, 'init', '2024-01-01 00:00:00', TRUE, X'{checksum}', 1);"
        ),
    }
}

/// The expected schema: the fixture's, plus `accounts.login_count`.
async fn expected_db(backend: Backend) -> TestDb {
    let db = db_with(backend, &fixture(backend)).await;
    db.exec("ALTER TABLE accounts ADD COLUMN login_count integer NOT NULL DEFAULT 0")
        .await;
    db
}

/// A migrations folder holding `1_init.sql`, recorded in the fixture's
/// ledger.
fn migrations_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("1_init.sql"), MIGRATION).unwrap();
    dir
}

/// Runs every reading command against `url` (which reads `db`) and checks
/// what it reports. `allowed_stderr` filters warnings that are expected.
/// Returns the snapshot the command wrote.
async fn every_reading_command(
    url: &str,
    expected: &TestDb,
    migrations: &Path,
    allowed_stderr: &dyn Fn(&str) -> bool,
) -> Snapshot {
    let quiet = |run: &Run| {
        for line in stderr_lines(run) {
            assert!(allowed_stderr(line), "unexpected on stderr: {run:#?}");
        }
    };
    let snap = driftless(&["snapshot", "--db", url]).await;
    assert_eq!(snap.code, Some(0), "{snap:#?}");
    quiet(&snap);
    let snapshot = Snapshot::from_json(&snap.stdout, Path::new("stdout")).unwrap();

    // Against its own snapshot: clean.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &snap.stdout).unwrap();
    let path = file.path().to_str().unwrap();
    let run = driftless(&["check", "--db", url, "--expect", path]).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    quiet(&run);

    // Against the expected schema: the missing column, in every format.
    for format in ["human", "json", "sarif", "markdown"] {
        let run = driftless(&[
            "check",
            "--db",
            url,
            "--expect",
            &expected.url,
            "--format",
            format,
        ])
        .await;
        assert_eq!(run.code, Some(1), "{run:#?}");
        assert!(run.stdout.contains("login_count"), "{run:#?}");
        crate::documents::check_output(format, run.code, &run.stdout);
        quiet(&run);
    }
    let run = driftless(&["plan", "--db", url, "--expect", &expected.url]).await;
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(run.stdout.contains("ADD COLUMN"), "{run:#?}");
    quiet(&run);
    let run = driftless(&["fix", "--db", url, "--expect", &expected.url]).await;
    assert_eq!(run.code, Some(1), "fix without --apply: {run:#?}");
    assert!(run.stdout.contains("ADD COLUMN"), "{run:#?}");

    let dir = migrations.to_str().unwrap();
    let run = driftless(&["migrations", "--db", url, "--migrations", dir]).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(
        run.stdout.contains("[X] 1_init") && run.stdout.contains("_sqlx_migrations"),
        "{run:#?}"
    );
    quiet(&run);
    snapshot
}

/// PostgreSQL's tuple counters for the current database and its tables,
/// once they have stopped moving (sessions report theirs as they end).
async fn pg_tuple_counters(url: &str) -> (i64, i64) {
    let read = || async {
        let db = scalar(
            url,
            "SELECT (tup_inserted + tup_updated + tup_deleted)::bigint FROM pg_stat_database \
             WHERE datname = current_database()",
        )
        .await
        .unwrap();
        let tables = scalar(
            url,
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint FROM pg_stat_user_tables",
        )
        .await
        .unwrap();
        (db, tables)
    };
    let mut last = read().await;
    loop {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let now = read().await;
        if now == last {
            return now;
        }
        last = now;
    }
}

/// Waits until `role` has no session left in `db`: each reports its
/// counters as it ends.
async fn role_sessions_ended(db: &TestDb, role: &str) {
    let sql = format!("SELECT count(*) FROM pg_stat_activity WHERE usename = '{role}'");
    wait_for(
        "the role's sessions to end",
        Duration::from_secs(30),
        || {
            let (url, sql) = (db.url.clone(), sql.clone());
            async move { (scalar(&url, &sql).await == Some(0)).then_some(()) }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_role_without_write_privileges() {
    // Declared first, dropped last (after the databases it may use).
    let role = Account::postgres();
    let db = db_with(Backend::Postgres, &fixture(Backend::Postgres)).await;
    let expected = expected_db(Backend::Postgres).await;
    let dir = migrations_dir();
    let name = &db.name;
    // Only CONNECT: no TEMP, no CREATE, no privilege on any table.
    db.exec(&format!(
        "REVOKE ALL ON DATABASE \"{name}\" FROM PUBLIC; \
         GRANT CONNECT ON DATABASE \"{name}\" TO \"{}\"",
        role.name
    ))
    .await;
    let url = role.url(&db);
    let owner = Snapshot::from_json(
        &driftless(&["snapshot", "--db", &db.url]).await.stdout,
        Path::new("stdout"),
    )
    .unwrap();
    let counters = pg_tuple_counters(&db.url).await;

    // The catalog is all a role needs for snapshot, check and plan.
    let snap = driftless(&["snapshot", "--db", &url]).await;
    assert_eq!(snap.code, Some(0), "{snap:#?}");
    assert_eq!(
        Snapshot::from_json(&snap.stdout, Path::new("stdout")).unwrap(),
        owner,
        "a catalog-only role reads the same schema as the owner"
    );
    for args in [
        vec!["check", "--db", &url, "--expect", &expected.url],
        vec!["plan", "--db", &url, "--expect", &expected.url],
    ] {
        let run = driftless(&args).await;
        assert_eq!(run.code, Some(1), "{run:#?}");
        assert_eq!(run.stderr, "", "{run:#?}");
    }
    // Nothing was written so far.
    role_sessions_ended(&db, &role.name).await;
    assert_eq!(
        pg_tuple_counters(&db.url).await,
        counters,
        "no tuple written"
    );

    // Reading the ledger needs SELECT; with it, every reading command.
    db.exec(&format!(
        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO \"{}\"",
        role.name
    ))
    .await;
    // (The GRANT itself updates the catalog, and the snapshot lists it as
    // a privilege not compared.)
    let owner = Snapshot::from_json(
        &driftless(&["snapshot", "--db", &db.url]).await.stdout,
        Path::new("stdout"),
    )
    .unwrap();
    let before = state(&db).await;
    let counters = pg_tuple_counters(&db.url).await;
    let read = every_reading_command(&url, &expected, dir.path(), &|_| false).await;
    assert_eq!(read, owner);

    // Nothing was written: the tuple counters, the schema, the rows.
    role_sessions_ended(&db, &role.name).await;
    assert_eq!(
        pg_tuple_counters(&db.url).await,
        counters,
        "no tuple written"
    );
    assert_eq!(state(&db).await, before);

    // The role really cannot write: every transaction is read-only, and
    // without that it lacks the privileges.
    let mut c = Database::connect(&DbUrl::parse(&url).unwrap(), &ConnectOptions::default())
        .await
        .unwrap();
    let err = c
        .execute("CREATE TABLE t (id integer)", "test")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("read-only transaction"), "{err}");
    c.execute("SET default_transaction_read_only = off", "test")
        .await
        .unwrap();
    for sql in [
        "CREATE TABLE t (id integer)",
        "INSERT INTO accounts (id, name) VALUES (9, 'eve')",
        "CREATE TEMP TABLE t (id integer)",
    ] {
        let err = c.execute(sql, "test").await.unwrap_err();
        assert!(
            err.to_string().contains("permission denied"),
            "{sql}: {err}"
        );
    }
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_user_with_select_only() {
    let user = Account::mariadb();
    let db = db_with(Backend::Mysql, &fixture(Backend::Mysql)).await;
    let expected = expected_db(Backend::Mysql).await;
    let dir = migrations_dir();
    on_server(
        user.server.clone(),
        format!("GRANT SELECT ON `{}`.* TO '{}'@'%'", db.name, user.name),
    );
    let url = user.url(&db);
    let owner = Snapshot::from_json(
        &driftless(&["snapshot", "--db", &db.url]).await.stdout,
        Path::new("stdout"),
    )
    .unwrap();
    let before = state(&db).await;

    // Without SHOW VIEW, MariaDB hides view definitions: one warning.
    let hidden = |line: &str| {
        line.contains("cannot be read without the SHOW VIEW privilege")
            && line.contains(".busy_accounts")
            && !line.contains(&user.password)
    };
    let read = every_reading_command(&url, &expected, dir.path(), &hidden).await;
    let blank = |mut s: Snapshot| {
        for schema in s.schemas.values_mut() {
            for view in schema.views.values_mut() {
                view.definition.clear();
            }
        }
        s
    };
    assert!(read
        .schemas
        .values()
        .flat_map(|s| s.views.values())
        .all(|v| v.definition.is_empty()));
    assert_eq!(
        read,
        blank(owner.clone()),
        "the same schema as root, view definitions aside"
    );
    // Checked against root's snapshot (with the definitions): no drift.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), owner.to_json()).unwrap();
    let run = driftless(&[
        "check",
        "--db",
        &url,
        "--expect",
        file.path().to_str().unwrap(),
    ])
    .await;
    assert_eq!(run.code, Some(0), "{run:#?}");

    assert_eq!(state(&db).await, before, "nothing was written");
    // The user really cannot write.
    let mut c = Database::connect(&DbUrl::parse(&url).unwrap(), &ConnectOptions::default())
        .await
        .unwrap();
    for sql in [
        "CREATE TABLE t (id integer)",
        "INSERT INTO accounts (id, name) VALUES (9, 'eve')",
        "CREATE TEMPORARY TABLE t (id integer)",
        "DROP VIEW busy_accounts",
    ] {
        let err = c.execute(sql, "test").await.unwrap_err();
        assert!(err.to_string().contains("denied"), "{sql}: {err}");
    }
    c.close().await.unwrap();
}

/// The file, its modification time, and the names in its folder.
fn file_state(db: &TestDb) -> (Vec<u8>, std::time::SystemTime, Vec<(String, u64)>) {
    let path = Path::new(&db.name);
    let mut names: Vec<(String, u64)> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                e.metadata().unwrap().len(),
            )
        })
        .filter(|(n, _)| n != "test.db")
        .collect();
    names.sort();
    (
        std::fs::read(path).unwrap(),
        std::fs::metadata(path).unwrap().modified().unwrap(),
        names,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_file_is_never_written() {
    for wal in [false, true] {
        let db = db_with(Backend::Sqlite, &fixture(Backend::Sqlite)).await;
        if wal {
            db.exec("PRAGMA journal_mode = WAL").await;
        }
        let expected = expected_db(Backend::Sqlite).await;
        let dir = migrations_dir();
        let (bytes, modified, _) = file_state(&db);
        every_reading_command(&db.url, &expected, dir.path(), &|_| false).await;
        let (bytes_after, modified_after, others) = file_state(&db);
        assert!(bytes_after == bytes, "wal={wal}: the same bytes");
        assert_eq!(modified_after, modified, "wal={wal}: not touched");
        if wal {
            // Readers of a WAL database share its index; the log stays empty.
            assert!(
                others
                    .iter()
                    .all(|(n, len)| n == "test.db-shm" || (n == "test.db-wal" && *len == 0)),
                "{others:?}"
            );
        } else {
            assert!(others.is_empty(), "no journal left: {others:?}");
        }
    }
}

/// Regression: read-only connections read the migration ledgers outside a
/// read-only transaction; now every statement of a read-only connection is
/// read-only, on every backend, whatever the account may do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_connections_refuse_writes() {
    for backend in Backend::ALL {
        let db = db_with(backend, "CREATE TABLE t (id integer)").await;
        let url = DbUrl::parse(&db.url).unwrap();
        let mut c = Database::connect(&url, &ConnectOptions::read_only())
            .await
            .unwrap();
        for sql in [
            "INSERT INTO t (id) VALUES (1)",
            "CREATE TABLE u (id integer)",
            "DROP TABLE t",
        ] {
            let err = c.execute(sql, "test").await.unwrap_err().to_string();
            let lower = err.to_ascii_lowercase();
            assert!(
                lower.contains("read-only")
                    || lower.contains("read only")
                    || lower.contains("readonly"),
                "{backend:?} {sql}: {err}"
            );
        }
        // Reading works.
        assert!(c.query("SELECT count(*) FROM t", "test").await.is_ok());
        c.close().await.unwrap();
        assert_eq!(scalar(&db.url, "SELECT count(*) FROM t").await, Some(0));
    }
}
