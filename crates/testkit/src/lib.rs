//! Test support: each test gets its own, uniquely named database on a real
//! server, removed again when the handle is dropped, so tests run in parallel.
//!
//! Server URLs come from `DRIFTLESS_TEST_POSTGRES_URL` and
//! `DRIFTLESS_TEST_MYSQL_URL` (as `.ci/run` exports them), defaulting to the
//! local servers `postgres://root@127.0.0.1:5432/test` and
//! `mysql://root@127.0.0.1:3306/test`. A test never skips: when the server
//! cannot be reached it fails with the URL it tried. The other supported
//! PostgreSQL versions are listed by `DRIFTLESS_TEST_POSTGRES_URLS`
//! ([`postgres_versions`], [`on_every_postgres_version`]).
#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

mod versions;

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;

pub use versions::{
    each_postgres_version, on_every_postgres_version, postgres_versions, PostgresServer,
    OTHER_POSTGRES_MAJORS, POSTGRES_VERSIONS_ENV,
};

pub const POSTGRES_ENV: &str = "DRIFTLESS_TEST_POSTGRES_URL";
pub const MYSQL_ENV: &str = "DRIFTLESS_TEST_MYSQL_URL";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The kind of server a test database lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Mysql,
    Sqlite,
}

impl Backend {
    pub const ALL: [Backend; 3] = [Backend::Postgres, Backend::Mysql, Backend::Sqlite];
}

/// The admin URL of the PostgreSQL test server.
pub fn postgres_server_url() -> String {
    std::env::var(POSTGRES_ENV).unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/test".into())
}

/// The admin URL of the MySQL/MariaDB test server.
pub fn mysql_server_url() -> String {
    std::env::var(MYSQL_ENV).unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

/// The environment variable naming the Python that has the pinned
/// frameworks (`scripts/test-python` makes it; `scripts/test` exports it).
pub const PYTHON_ENV: &str = "DRIFTLESS_TEST_PYTHON";

/// The Python interpreter with Django and Alembic installed, for the
/// framework tests. Never skips: without it the test fails, saying how to
/// get one.
pub fn python() -> String {
    test_tool(
        PYTHON_ENV,
        "target/test-python/bin/python",
        "Python with the test frameworks",
        "scripts/test-python",
    )
}

/// The environment variable naming the dbmate binary (`scripts/test-dbmate`
/// installs it from npm; `scripts/test` exports it).
pub const DBMATE_ENV: &str = "DRIFTLESS_TEST_DBMATE";

/// The dbmate binary, for the ledger golden tests. Never skips, like
/// [`python`].
pub fn dbmate() -> String {
    test_tool(
        DBMATE_ENV,
        "target/test-dbmate/node_modules/.bin/dbmate",
        "dbmate",
        "scripts/test-dbmate",
    )
}

/// The environment variable naming the folder `scripts/test-wheel` fills
/// (`venv/`, a fresh virtualenv `pip install .` installed driftless into, and
/// `wheelhouse/`, the same build as a wheel file); `scripts/test` exports it.
pub const WHEEL_ENV: &str = "DRIFTLESS_TEST_WHEEL";

/// The folder of the packaging build ([`WHEEL_ENV`]). Never skips, like
/// [`python`].
pub fn wheel() -> std::path::PathBuf {
    std::path::PathBuf::from(test_tool(
        WHEEL_ENV,
        "target/test-wheel",
        "wheel build",
        "scripts/test-wheel",
    ))
}

/// A tool the tests run: `env`'s path, else `default` in the workspace
/// (where `script` installs it); fails saying how to get it.
fn test_tool(env: &str, default: &str, what: &str, script: &str) -> String {
    match std::env::var(env) {
        Ok(p) if !p.is_empty() => p,
        _ => {
            let path = workspace_root().join(default);
            assert!(
                path.exists(),
                "no {what}: set {env} or run {script} (scripts/test does)"
            );
            path.display().to_string()
        }
    }
}

/// Runs `command` to its end; panics with everything it printed unless it
/// succeeds. Its standard output.
pub fn succeeded(command: &mut std::process::Command) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("start {command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs the test [`python`] with `args` in `project`, `DATABASE_URL` set to
/// `url`; panics unless it succeeds, with its error output. Its output.
pub fn python_ok(project: &std::path::Path, url: &str, args: &[&str]) -> String {
    let mut python = std::process::Command::new(python());
    succeeded(
        python
            .args(args)
            .current_dir(project)
            .env("DATABASE_URL", url),
    )
}

/// The workspace's root folder.
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A copy of the framework project `tests/frameworks/NAME` in a fresh
/// temporary folder (tests may write into it).
pub fn framework_project(name: &str) -> tempfile::TempDir {
    workspace_copy(&format!("tests/frameworks/{name}"))
}

/// A copy of the workspace's folder `path` (`__pycache__` left out) in a
/// fresh temporary folder, e.g. a Python package to build without writing
/// into the checkout.
pub fn workspace_copy(path: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary folder");
    copy_tree(&workspace_root().join(path), dir.path());
    dir
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read framework project") {
        let entry = entry.expect("folder entry");
        let (path, name) = (entry.path(), entry.file_name());
        if name == "__pycache__" {
            continue;
        }
        if path.is_dir() {
            copy_tree(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).expect("copy file");
        }
    }
}

fn unique_name(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}_{}_{}_{:x}", std::process::id(), n, nanos)
}

fn replace_db(server_url: &str, db: &str) -> String {
    let (head, query) = match server_url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (server_url, None),
    };
    let scheme_end = head.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match head[scheme_end..].find('/') {
        Some(i) => &head[..scheme_end + i],
        None => head,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// A fresh database for one test.
pub struct TestDb {
    pub backend: Backend,
    /// URL of the fresh database.
    pub url: String,
    /// Name of the database (SQLite: the file path).
    pub name: String,
    server_url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A fresh database on `backend`.
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Postgres => Self::postgres().await,
            Backend::Mysql => Self::mysql().await,
            Backend::Sqlite => Self::sqlite(),
        }
    }

    /// A fresh PostgreSQL database.
    pub async fn postgres() -> TestDb {
        Self::postgres_at(&postgres_server_url(), None, POSTGRES_ENV).await
    }

    /// A fresh database on the PostgreSQL server at `server_url` (named by
    /// the variable `env`); when `major` is given, the server must report it.
    async fn postgres_at(server_url: &str, major: Option<u32>, env: &str) -> TestDb {
        let name = unique_name("dl");
        let mut c = sqlx::PgConnection::connect(server_url)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL test server at {server_url} ({env}): {e}"));
        if let Some(major) = major {
            let num: String = sqlx::query_scalar("SHOW server_version_num")
                .fetch_one(&mut c)
                .await
                .expect("read server_version_num");
            let reported = num.parse::<u32>().unwrap_or(0) / 10000;
            assert_eq!(reported, major, "{server_url} ({env}) is PostgreSQL {num}");
        }
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut c)
            .await
            .unwrap_or_else(|e| panic!("create database {name}: {e}"));
        let _ = c.close().await;
        TestDb {
            backend: Backend::Postgres,
            url: replace_db(server_url, &name),
            name,
            server_url: server_url.to_string(),
            _dir: None,
        }
    }

    /// A fresh MySQL/MariaDB database.
    pub async fn mysql() -> TestDb {
        Self::mysql_named(&unique_name("dl")).await
    }

    /// A fresh MySQL/MariaDB database named `name` (e.g. the name of one
    /// dropped before, for SQL that names its database to run again).
    pub async fn mysql_named(name: &str) -> TestDb {
        let server_url = mysql_server_url();
        let name = name.to_string();
        let mut c = sqlx::MySqlConnection::connect(&server_url)
            .await
            .unwrap_or_else(|e| panic!("MySQL test server at {server_url} ({MYSQL_ENV}): {e}"));
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
        )))
        .execute(&mut c)
        .await
        .unwrap_or_else(|e| panic!("create database {name}: {e}"));
        let _ = c.close().await;
        TestDb {
            backend: Backend::Mysql,
            url: replace_db(&server_url, &name),
            name,
            server_url,
            _dir: None,
        }
    }

    /// A fresh SQLite file in a temporary folder.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("test.db");
        std::fs::File::create(&path).expect("create sqlite file");
        let name = path.display().to_string();
        TestDb {
            backend: Backend::Sqlite,
            url: format!("sqlite://{name}"),
            name,
            server_url: String::new(),
            _dir: Some(dir),
        }
    }

    /// Runs SQL (several statements allowed) in the test database; panics on error.
    pub async fn exec(&self, sql: &str) {
        if let Err(e) = self.try_exec(sql).await {
            panic!("executing on {}: {e}\n{sql}", self.name);
        }
    }

    /// Runs SQL in the test database.
    pub async fn try_exec(&self, sql: &str) -> Result<(), sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match self.backend {
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url).await?;
                sqlx::raw_sql(sql).execute(&mut c).await?;
                c.close().await
            }
            Backend::Mysql => {
                let mut c = sqlx::MySqlConnection::connect(&self.url).await?;
                sqlx::raw_sql(sql).execute(&mut c).await?;
                c.close().await
            }
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.url).await?;
                sqlx::raw_sql(sql).execute(&mut c).await?;
                c.close().await
            }
        }
    }

    /// Runs a query returning one integer (e.g. `SELECT count(*) …`).
    pub async fn scalar_i64(&self, sql: &str) -> i64 {
        let q = sqlx::AssertSqlSafe(sql.to_string());
        let res: Result<i64, sqlx::Error> = async {
            match self.backend {
                Backend::Postgres => {
                    let mut c = sqlx::PgConnection::connect(&self.url).await?;
                    sqlx::query_scalar::<_, i64>(q).fetch_one(&mut c).await
                }
                Backend::Mysql => {
                    let mut c = sqlx::MySqlConnection::connect(&self.url).await?;
                    sqlx::query_scalar::<_, i64>(q).fetch_one(&mut c).await
                }
                Backend::Sqlite => {
                    let mut c = sqlx::SqliteConnection::connect(&self.url).await?;
                    sqlx::query_scalar::<_, i64>(q).fetch_one(&mut c).await
                }
            }
        }
        .await;
        res.unwrap_or_else(|e| panic!("query on {}: {e}\n{sql}", self.name))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (backend, name, server) = (self.backend, self.name.clone(), self.server_url.clone());
        if backend == Backend::Sqlite {
            return;
        }
        on_own_runtime(async move {
            match backend {
                Backend::Postgres => {
                    if let Ok(mut c) = sqlx::PgConnection::connect(&server).await {
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        )))
                        .execute(&mut c)
                        .await;
                    }
                }
                Backend::Mysql => {
                    if let Ok(mut c) = sqlx::MySqlConnection::connect(&server).await {
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS `{name}`"
                        )))
                        .execute(&mut c)
                        .await;
                    }
                }
                Backend::Sqlite => {}
            }
        });
    }
}

/// Runs `cleanup` to its end on a thread with a runtime of its own: `Drop`
/// cannot be async, and the test's runtime may be shutting down.
fn on_own_runtime(cleanup: impl std::future::Future<Output = ()> + Send + 'static) {
    let _ = std::thread::spawn(move || {
        if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            rt.block_on(cleanup);
        }
    })
    .join();
}

/// A PostgreSQL login role with a password (and CREATEDB) that owns one
/// test database, as an application's own role would: for tests that
/// prove a password is never printed. Dropped with the handle, after the
/// databases it may own ([`TestDb`]'s and those named in `also_drop`).
pub struct PgRole {
    pub name: String,
    pub password: String,
    /// The owned database's URL with the role's name and password.
    pub url: String,
    /// The server's host and port, as a Django setting names them.
    pub host: String,
    pub port: String,
    databases: Vec<String>,
    server_url: String,
}

impl PgRole {
    /// A new role owning `db` (PostgreSQL); `also_drop` names more
    /// databases the test may leave behind on failure.
    pub async fn owning(db: &TestDb, also_drop: &[&str]) -> PgRole {
        assert_eq!(
            db.backend,
            Backend::Postgres,
            "a role for a PostgreSQL database"
        );
        let name = format!("{}_role", db.name);
        // ':' and '@' need percent-encoding in a URL.
        let password = format!(
            "pw:{:x}@Secr3t",
            std::process::id() ^ COUNTER.load(Ordering::SeqCst)
        );
        let mut c = sqlx::PgConnection::connect(&db.server_url)
            .await
            .expect("connect");
        let sql = format!(
            "CREATE ROLE \"{name}\" LOGIN CREATEDB PASSWORD '{password}'; ALTER DATABASE \"{}\" OWNER TO \"{name}\"",
            db.name
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut c)
            .await
            .expect("create role");
        let _ = c.close().await;
        let (host, port) = host_port(&db.server_url);
        let encoded = password.replace(':', "%3A").replace('@', "%40");
        let url = format!("postgres://{name}:{encoded}@{host}:{port}/{}", db.name);
        let mut databases = vec![db.name.clone()];
        databases.extend(also_drop.iter().map(|d| d.to_string()));
        PgRole {
            name,
            password,
            url,
            host,
            port,
            databases,
            server_url: db.server_url.clone(),
        }
    }
}

impl Drop for PgRole {
    fn drop(&mut self) {
        let mut sql: Vec<String> = self
            .databases
            .iter()
            .map(|d| format!("DROP DATABASE IF EXISTS \"{d}\" WITH (FORCE)"))
            .collect();
        sql.push(format!("DROP ROLE IF EXISTS \"{}\"", self.name));
        let server = self.server_url.clone();
        on_own_runtime(async move {
            if let Ok(mut c) = sqlx::PgConnection::connect(&server).await {
                for s in sql {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(s)).execute(&mut c).await;
                }
            }
        });
    }
}

/// The host and port of a server URL (`scheme://user@host:port/db`; port
/// 5432 when it names none).
fn host_port(url: &str) -> (String, String) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    match hostport.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() && !p.contains(']') => (h.to_string(), p.to_string()),
        _ => (hostport.to_string(), "5432".to_string()),
    }
}

/// The variable that turns golden-file checks into rewrites.
pub const BLESS_ENV: &str = "DRIFTLESS_BLESS";

/// Whether golden files (README sections, report snapshots, example
/// databases) are to be rewritten instead of compared: `DRIFTLESS_BLESS=1`.
/// Any other value is refused, so that a typo never rewrites silently nor
/// compares when a rewrite was meant.
pub fn bless() -> bool {
    match std::env::var_os(BLESS_ENV) {
        None => false,
        Some(v) if v == "1" => true,
        Some(v) if v.is_empty() || v == "0" => false,
        Some(v) => panic!("{BLESS_ENV}={v:?}: set it to 1 to rewrite golden files, or unset it"),
    }
}

/// Compares `actual` with the golden file at `path`; with
/// `DRIFTLESS_BLESS=1` ([`bless`]) the file is (re)written instead.
pub fn assert_golden(path: &std::path::Path, actual: &str) {
    if bless() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create the golden file's folder");
        }
        std::fs::write(path, actual).expect("write the golden file");
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with DRIFTLESS_BLESS=1 to create it)",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "{} differs from the output (run with DRIFTLESS_BLESS=1 to update it)\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        );
    }
}

/// Runs sqlx's own migrator (the `sqlx` crate's `Migrator`, as `sqlx
/// migrate run` does) for the migration files in `dir` against `url`.
pub async fn sqlx_migrate(
    backend: Backend,
    url: &str,
    dir: &std::path::Path,
) -> Result<(), sqlx::migrate::MigrateError> {
    use sqlx::Connection;
    let migrator = sqlx::migrate::Migrator::new(dir.to_path_buf())
        .await
        .expect("read the migration folder");
    match backend {
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
            migrator.run(&mut c).await
        }
        Backend::Mysql => {
            let mut c = sqlx::MySqlConnection::connect(url).await.expect("connect");
            migrator.run(&mut c).await
        }
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(url).await.expect("connect");
            migrator.run(&mut c).await
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_database_name() {
        assert_eq!(
            super::replace_db("postgres://root@127.0.0.1:5432/test?sslmode=disable", "x"),
            "postgres://root@127.0.0.1:5432/x?sslmode=disable"
        );
        assert_eq!(super::replace_db("mysql://root@h", "y"), "mysql://root@h/y");
    }
}
