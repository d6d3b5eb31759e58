//! Secrets in database URLs — userinfo passwords (plain, percent-encoded,
//! and unencoded ones holding URL delimiters), `?password=`,
//! `?sslpassword=` and `?token=` parameters — never appear in anything the
//! binary prints: errors, log lines (`-v`, `-vvv`, `--log-format json`),
//! and the human, JSON, SARIF, GitHub and JUnit reports. Every error path
//! that prints a URL is driven: bad URL, unknown scheme, unreachable host,
//! refused connection, missing database, wrong password (a MariaDB user
//! with a password; PostgreSQL here trusts every local connection), bad
//! `--dev-url`, a failing `--expect` URL, and plan and fix errors.
//!
//! Every secret below starts with [`MARK`]; no output may contain it.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

use driftless_testkit::{mysql_server_url, postgres_server_url, Backend, TestDb};

const BIN: &str = env!("CARGO_BIN_EXE_driftless");

/// The start of every secret: found anywhere in an output, a secret leaked.
const MARK: &str = "Zq8";
/// A password of plain characters.
const PASSWORD: &str = "Zq8-pw-hunter2";
/// A token for `?token=`.
const TOKEN: &str = "Zq8-token-abc";
/// A password that needs percent-encoding, and its encoding.
const ODD_PASSWORD: &str = "Zq8@enc/pw:#?";
const ODD_PASSWORD_ENCODED: &str = "Zq8%40enc%2Fpw%3A%23%3F";

/// Log flag sets every error path runs under.
const LOG_FLAGS: &[&[&str]] = &[&[], &["-v"], &["-vvv"], &["--log-format", "json", "-vv"]];

#[derive(Debug)]
struct Run {
    /// Shown in failure messages.
    #[allow(dead_code)]
    args: Vec<String>,
    code: i32,
    stdout: String,
    stderr: String,
}

fn driftless(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("DRIFTLESS_LOG")
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run driftless");
    Run {
        args: args.iter().map(|a| a.to_string()).collect(),
        code: out.status.code().expect("exit code, not a signal"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// No secret, no panic, no backtrace, in either stream.
fn assert_clean(run: &Run) {
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert!(
            !text.contains(MARK),
            "a secret leaked on {stream}: {run:#?}"
        );
        assert!(
            !text.contains("panicked")
                && !text.contains("RUST_BACKTRACE")
                && !text.contains("internal error"),
            "{run:#?}"
        );
    }
}

/// An error: exit 2, `error: …` naming `needle` on stderr, no secret.
fn assert_error(run: &Run, needle: &str) {
    assert_clean(run);
    assert_eq!(run.code, 2, "{run:#?}");
    let error = run
        .stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line: {run:#?}"));
    assert!(
        error.contains(needle),
        "`{needle}` not in the error: {run:#?}"
    );
}

/// Runs `args` under every log flag set and checks the error.
fn every_log_flag(dir: &Path, args: &[&str], needle: &str) {
    for flags in LOG_FLAGS {
        let mut all: Vec<&str> = flags.to_vec();
        all.extend_from_slice(args);
        assert_error(&driftless(dir, &all, &[]), needle);
    }
}

/// `url` with its secret placed every way: userinfo (plain and
/// percent-encoded), and each secret query parameter.
fn secret_variants(scheme: &str, host_port: &str, db: &str) -> Vec<String> {
    vec![
        format!("{scheme}://app:{PASSWORD}@{host_port}/{db}"),
        format!("{scheme}://app:{ODD_PASSWORD_ENCODED}@{host_port}/{db}"),
        format!("{scheme}://app@{host_port}/{db}?password={PASSWORD}"),
        format!("{scheme}://app@{host_port}/{db}?connect_timeout=5&sslpassword={PASSWORD}&x=y"),
        format!("{scheme}://app@{host_port}/{db}?token={TOKEN}"),
        format!("{scheme}://app:{PASSWORD}@{host_port}/{db}?PASSWORD={PASSWORD}&Token={TOKEN}"),
    ]
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// A snapshot file of a small SQLite schema (expected side for a SQLite target).
fn sqlite_snapshot(dir: &Path) -> PathBuf {
    let db = dir.join("expected.db");
    std::fs::File::create(&db).unwrap();
    let url = format!("sqlite://{}", db.display());
    let created = driftless(dir, &["snapshot", "--db", &url, "-o", "unused.json"], &[]);
    // An empty new file: the snapshot works and writes an empty schema.
    assert_eq!(created.code, 0, "{created:#?}");
    dir.join("unused.json")
}

#[test]
fn bad_urls() {
    let dir = tmp();
    let d = dir.path();
    for url in [
        format!("postgres://app:{PASSWORD}@/prod"),
        format!("postgres://app:{PASSWORD}@db.internal:99999/prod"),
        format!("mysql://app:{ODD_PASSWORD_ENCODED}@db internal/prod"),
        format!("postgres://app@/prod?password={PASSWORD}"),
        format!("postgres://app@db:port/prod?sslpassword={PASSWORD}"),
        format!("postgres:app:{PASSWORD}@db/prod"),
    ] {
        every_log_flag(d, &["snapshot", "--db", &url], "URL");
    }
}

/// Passwords holding URL delimiters without percent-encoding (a common
/// mistake): whatever the URL parser makes of them, no part leaks.
#[test]
fn unencoded_passwords_with_delimiters() {
    let dir = tmp();
    let d = dir.path();
    for password in [
        "Zq8/slash",
        "Zq8#hash",
        "Zq8?query",
        "Zq8@at",
        "Zq8 space",
        "Zq8'quote\"dq`bt",
        "Zq8:colon",
    ] {
        for scheme in ["postgres", "mysql"] {
            let url = format!("{scheme}://app:{password}@127.0.0.1:1/prod");
            for flags in LOG_FLAGS {
                let mut args: Vec<&str> = flags.to_vec();
                args.extend_from_slice(&["--connect-timeout", "2", "snapshot", "--db", &url]);
                let run = driftless(d, &args, &[]);
                assert_clean(&run);
                assert_eq!(run.code, 2, "{run:#?}");
            }
        }
    }
}

#[test]
fn unknown_schemes() {
    let dir = tmp();
    for url in [
        format!("redis://app:{PASSWORD}@cache.internal/0"),
        format!("oracle://app@db.internal/prod?password={PASSWORD}"),
        format!("http://app:{ODD_PASSWORD_ENCODED}@db.internal/prod?token={TOKEN}"),
    ] {
        every_log_flag(dir.path(), &["snapshot", "--db", &url], "scheme");
    }
}

#[test]
fn unreachable_hosts_and_refused_connections() {
    let dir = tmp();
    let d = dir.path();
    for scheme in ["postgres", "mysql"] {
        for host in [
            "127.0.0.1:1",
            "nonexistent.invalid:5432",
            "10.255.255.1:5432",
        ] {
            // A timeout costs a second: fewer log variants for it.
            let flag_sets: &[&[&str]] = if host.starts_with("10.") {
                &[&["-vvv"]]
            } else {
                LOG_FLAGS
            };
            for url in secret_variants(scheme, host, "prod") {
                for flags in flag_sets {
                    let mut args: Vec<&str> = flags.to_vec();
                    args.extend_from_slice(&["--connect-timeout", "1", "snapshot", "--db", &url]);
                    let run = driftless(d, &args, &[]);
                    assert_error(&run, "connect");
                }
            }
        }
    }
}

/// A MariaDB user with a password (and a read-only one) on a fresh database.
struct MariaUser {
    db: TestDb,
    user: String,
    reader: String,
}

impl MariaUser {
    async fn new() -> MariaUser {
        let db = TestDb::mysql().await;
        let user = format!("{}_rw", db.name);
        let reader = format!("{}_ro", db.name);
        let mut sql = String::new();
        for host in ["%", "localhost", "127.0.0.1"] {
            sql.push_str(&format!(
                "CREATE USER '{user}'@'{host}' IDENTIFIED BY '{PASSWORD}';\
                 GRANT ALL ON `{0}`.* TO '{user}'@'{host}';\
                 CREATE USER '{reader}'@'{host}' IDENTIFIED BY '{ODD_PASSWORD}';\
                 GRANT SELECT ON `{0}`.* TO '{reader}'@'{host}';",
                db.name
            ));
        }
        db.exec(&sql).await;
        db.exec("CREATE TABLE users (id int PRIMARY KEY, email varchar(100))")
            .await;
        MariaUser { db, user, reader }
    }

    fn host(&self) -> String {
        let server = mysql_server_url();
        let rest = server.split_once("://").map_or(server.as_str(), |(_, r)| r);
        let authority = rest.split('/').next().unwrap_or(rest);
        authority
            .rsplit_once('@')
            .map_or(authority, |(_, h)| h)
            .to_string()
    }

    /// The read-write user's URL with `password` (and `extra` query).
    fn url(&self, password: &str, db: &str, extra: &str) -> String {
        format!(
            "mysql://{}:{password}@{}/{db}{extra}",
            self.user,
            self.host()
        )
    }

    fn reader_url(&self) -> String {
        format!(
            "mysql://{}:{ODD_PASSWORD_ENCODED}@{}/{}",
            self.reader,
            self.host(),
            self.db.name
        )
    }

    async fn drop_users(&self) {
        let mut sql = String::new();
        for host in ["%", "localhost", "127.0.0.1"] {
            sql.push_str(&format!(
                "DROP USER IF EXISTS '{}'@'{host}'; DROP USER IF EXISTS '{}'@'{host}';",
                self.user, self.reader
            ));
        }
        let _ = self.db.try_exec(&sql).await;
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn mariadb_wrong_password_missing_database_and_working_runs() {
    let rt = runtime();
    let m = rt.block_on(MariaUser::new());
    let dir = tmp();
    let d = dir.path();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // Wrong password, in every place a secret can sit.
        for url in [
            m.url("Zq8-wrong", &m.db.name, ""),
            m.url("Zq8%40wrong%2F", &m.db.name, "?sslpassword=Zq8-ssl"),
            format!(
                "mysql://{}@{}/{}?password={PASSWORD}x",
                m.user,
                m.host(),
                m.db.name
            ),
        ] {
            every_log_flag(d, &["snapshot", "--db", &url], "permission denied");
            every_log_flag(
                d,
                &[
                    "check",
                    "--db",
                    &url,
                    "--expect",
                    &url.replace(&m.db.name, "other"),
                ],
                "",
            );
        }
        // The right password, a database that does not exist.
        let missing = m.url(PASSWORD, "dl_no_such_database", "?token=Zq8-tok");
        every_log_flag(d, &["snapshot", "--db", &missing], "permission denied");

        // Working runs: the snapshot, then every report format and log flag.
        let good = m.url(PASSWORD, &m.db.name, "?sslpassword=Zq8-unused");
        let snap = d.join("expected.json");
        let run = driftless(
            d,
            &[
                "-vv",
                "snapshot",
                "--db",
                &good,
                "-o",
                snap.to_str().unwrap(),
            ],
            &[],
        );
        assert_clean(&run);
        assert_eq!(run.code, 0, "{run:#?}");
        // Drift: the expected schema has a column the database lacks.
        let mut doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&snap).unwrap()).unwrap();
        let schema = doc["schemas"]
            .as_object_mut()
            .unwrap()
            .values_mut()
            .next()
            .unwrap();
        schema["tables"]["users"]["columns"]["login_count"] =
            serde_json::json!({"position": 3, "data_type": "int(11)", "nullable": true});
        std::fs::write(&snap, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
        for format in ["human", "json", "sarif", "github", "junit", "markdown"] {
            for flags in LOG_FLAGS {
                let mut args: Vec<&str> = flags.to_vec();
                args.extend_from_slice(&[
                    "check",
                    "--db",
                    &good,
                    "--expect",
                    snap.to_str().unwrap(),
                    "--format",
                    format,
                ]);
                let run = driftless(d, &args, &[]);
                assert_clean(&run);
                assert_eq!(run.code, 1, "drift expected: {run:#?}");
                crate::documents::check_output(format, Some(run.code), &run.stdout);
            }
        }
        for (cmd, format) in [
            ("plan", "sql"),
            ("plan", "json"),
            ("plan", "script"),
            ("plan", "markdown"),
            ("fix", "sql"),
            ("fix", "markdown"),
        ] {
            for flags in LOG_FLAGS {
                let mut args: Vec<&str> = flags.to_vec();
                args.extend_from_slice(&[
                    cmd,
                    "--db",
                    &good,
                    "--expect",
                    snap.to_str().unwrap(),
                    "--format",
                    format,
                ]);
                let run = driftless(d, &args, &[]);
                assert_clean(&run);
                crate::documents::check_output(format, Some(run.code), &run.stdout);
            }
        }
        // Through DATABASE_URL.
        let run = driftless(
            d,
            &[
                "-vvv",
                "check",
                "--expect",
                snap.to_str().unwrap(),
                "--format",
                "json",
            ],
            &[("DATABASE_URL", &good)],
        );
        assert_clean(&run);
        assert_eq!(run.code, 1, "{run:#?}");

        // fix --apply as the read-only user: the ALTER is refused.
        for flags in LOG_FLAGS {
            let mut args: Vec<&str> = flags.to_vec();
            let reader = m.reader_url();
            args.extend_from_slice(&[
                "fix",
                "--db",
                &reader,
                "--expect",
                snap.to_str().unwrap(),
                "--apply",
            ]);
            let run = driftless(d, &args, &[]);
            assert_clean(&run);
            assert_eq!(run.code, 2, "{run:#?}");
        }
        // A failing --expect URL, and --expect naming the database itself.
        let bad_expect = m.url("Zq8-wrong", "dl_other_database", "");
        every_log_flag(
            d,
            &["check", "--db", &good, "--expect", &bad_expect],
            "permission denied",
        );
        every_log_flag(
            d,
            &["plan", "--db", &good, "--expect", &good],
            "is the database being checked",
        );
        every_log_flag(
            d,
            &["fix", "--db", &good, "--expect", &bad_expect, "--apply"],
            "permission denied",
        );
        // Bad --dev-url: refused, of another kind, and the target itself.
        let migrations = d.join("migrations");
        std::fs::create_dir_all(&migrations).unwrap();
        std::fs::write(
            migrations.join("1_users.sql"),
            "CREATE TABLE users (id int PRIMARY KEY, email varchar(100));\n",
        )
        .unwrap();
        let m_dir = migrations.to_str().unwrap();
        for dev in [
            format!("mysql://app:{PASSWORD}@127.0.0.1:1/dev?token={TOKEN}"),
            format!("postgres://app:{ODD_PASSWORD_ENCODED}@127.0.0.1:1/dev"),
            good.clone(),
            m.url("Zq8-wrong", "dev", ""),
        ] {
            every_log_flag(
                d,
                &[
                    "check",
                    "--db",
                    &good,
                    "--migrations",
                    m_dir,
                    "--dev-url",
                    &dev,
                ],
                "",
            );
            every_log_flag(
                d,
                &[
                    "fix",
                    "--db",
                    &good,
                    "--migrations",
                    m_dir,
                    "--dev-url",
                    &dev,
                    "--apply",
                ],
                "",
            );
        }
        // migrations status with a password, working and failing.
        let run = driftless(
            d,
            &[
                "-vv",
                "migrations",
                "--db",
                &good,
                "--migrations",
                m_dir,
                "--format",
                "json",
            ],
            &[],
        );
        assert_clean(&run);
        every_log_flag(
            d,
            &["migrations", "--db", &bad_expect, "--migrations", m_dir],
            "permission denied",
        );
    }));
    rt.block_on(m.drop_users());
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

/// PostgreSQL (trust authentication: the password is ignored, so these are
/// the paths after a successful connection) and a missing database.
#[test]
fn postgres_paths() {
    let rt = runtime();
    let db = rt.block_on(TestDb::new(Backend::Postgres));
    rt.block_on(db.exec("CREATE TABLE users (id int PRIMARY KEY)"));
    let dir = tmp();
    let d = dir.path();
    let server = postgres_server_url();
    let with_secret = |db_name: &str| {
        let url = server.replacen("://root@", &format!("://root:{PASSWORD}@"), 1);
        let base = url
            .rsplit_once('/')
            .map_or(url.as_str(), |(b, _)| b)
            .to_string();
        format!("{base}/{db_name}?sslpassword={PASSWORD}&application_name=x&token={TOKEN}")
    };
    every_log_flag(
        d,
        &["snapshot", "--db", &with_secret("dl_no_such_database")],
        "does not exist",
    );
    let good = with_secret(&db.name);
    let snap = d.join("s.json");
    let run = driftless(
        d,
        &[
            "-vvv",
            "snapshot",
            "--db",
            &good,
            "-o",
            snap.to_str().unwrap(),
        ],
        &[],
    );
    assert_clean(&run);
    assert_eq!(run.code, 0, "{run:#?}");
    let missing = with_secret("dl_no_such_database");
    for format in ["human", "json", "sarif", "github", "junit", "markdown"] {
        for flags in LOG_FLAGS {
            let mut args: Vec<&str> = flags.to_vec();
            args.extend_from_slice(&[
                "check", "--db", &good, "--expect", &missing, "--format", format,
            ]);
            assert_error(&driftless(d, &args, &[]), "does not exist");
            let mut args: Vec<&str> = flags.to_vec();
            args.extend_from_slice(&[
                "check",
                "--db",
                &good,
                "--expect",
                snap.to_str().unwrap(),
                "--format",
                format,
            ]);
            let run = driftless(d, &args, &[]);
            assert_clean(&run);
            assert_eq!(run.code, 0, "{run:#?}");
            crate::documents::check_output(format, Some(run.code), &run.stdout);
        }
    }
    // A SQLite snapshot against PostgreSQL: the dialect error names both.
    let lite = sqlite_snapshot(d);
    every_log_flag(
        d,
        &["plan", "--db", &good, "--expect", lite.to_str().unwrap()],
        "same kind",
    );
    // --dev-url equal to the target, and a dev database that cannot be reached.
    let migrations = d.join("m");
    std::fs::create_dir_all(&migrations).unwrap();
    std::fs::write(
        migrations.join("1_users.sql"),
        "CREATE TABLE users (id int PRIMARY KEY);\n",
    )
    .unwrap();
    let m_dir = migrations.to_str().unwrap();
    every_log_flag(
        d,
        &[
            "check",
            "--db",
            &good,
            "--migrations",
            m_dir,
            "--dev-url",
            &good,
        ],
        "",
    );
    every_log_flag(
        d,
        &["check", "--db", &good, "--migrations", m_dir],
        "dev-url",
    );
    every_log_flag(
        d,
        &[
            "plan",
            "--db",
            &good,
            "--migrations",
            m_dir,
            "--dev-url",
            &with_secret("dl_no_such_dev"),
        ],
        "",
    );
}

/// Usage errors that echo arguments (clap) still hide the secret.
#[test]
fn usage_errors() {
    let dir = tmp();
    let d = dir.path();
    let url = format!("postgres://app:{PASSWORD}@db/prod?token={TOKEN}");
    for args in [
        vec!["check", "--db", &url],
        vec!["check", "--db", &url, "--expect", &url, "--migrations", "m"],
        vec!["snapshot", "--db", &url, "--bogus", &url],
        vec![
            "check",
            "--db",
            &url,
            "--expect",
            "x.json",
            "--dev-url",
            &url,
        ],
        vec![
            "check", "--db", &url, "--expect", "x.json", "--format", &url,
        ],
        vec!["fix", "--db", &url, "--expect", "x.json", "--orphans", &url],
    ] {
        let run = driftless(d, &args, &[]);
        assert_clean(&run);
        assert_eq!(run.code, 2, "{run:#?}");
    }
}

/// sqlx logs a connection parameter it does not know with its value
/// (`ignoring unrecognized connect parameter key=sslpassword value=…`);
/// at -vvv that line printed the secret.
#[test]
fn regression_driver_log_of_a_secret_parameter_is_redacted() {
    let dir = tmp();
    let url = format!("postgres://app@127.0.0.1:1/prod?sslpassword={PASSWORD}&token={TOKEN}");
    for flags in [&["-vvv"][..], &["-vvv", "--log-format", "json"][..]] {
        let mut args: Vec<&str> = flags.to_vec();
        args.extend_from_slice(&["snapshot", "--db", &url]);
        let run = driftless(dir.path(), &args, &[]);
        assert_error(&run, "cannot connect");
        assert!(
            run.stderr.contains("sslpassword"),
            "the driver's line is still logged: {run:#?}"
        );
    }
}
