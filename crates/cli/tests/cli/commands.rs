//! End-to-end tests of the `driftless` binary against real databases:
//! SQLite files, and fresh PostgreSQL and MariaDB databases from the test kit.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;

use driftless_introspect::{ConnectOptions, Database, DbUrl, IntrospectOptions};
use driftless_model::{Checksum, Snapshot};
use driftless_testkit::{Backend, TestDb};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_driftless");

/// A password that must never appear in any output.
const SECRET: &str = "hunter2-s3cret";

#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn driftless(args: &[&str]) -> Run {
    driftless_in(&workspace(), args)
}

fn driftless_in(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("DRIFTLESS_LOG")
        .env("NO_COLOR", "1")
        .output()
        .expect("run driftless");
    Run {
        code: out.status.code().expect("exit code, not a signal"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn story_dir() -> PathBuf {
    workspace().join("examples/deploy-story")
}

/// Exit 2, nothing on stdout, exactly one line on stderr: `error: …`
/// containing `needle`, and never the password.
fn assert_one_error(run: &Run, needle: &str) {
    assert_eq!(run.code, 2, "{run:#?}");
    assert_eq!(run.stdout, "", "{run:#?}");
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {run:#?}");
    assert!(lines[0].starts_with("error: "), "{run:#?}");
    assert!(lines[0].contains(needle), "`{needle}` in {run:#?}");
    assert!(
        !run.stderr.contains(SECRET) && !run.stdout.contains(SECRET),
        "password printed: {run:#?}"
    );
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("RUST_BACKTRACE"),
        "{run:#?}"
    );
}

fn json(run: &Run) -> Value {
    assert_ne!(run.code, 2, "{run:#?}");
    crate::documents::json_document(&run.stdout)
}

/// `(rule, object path)` of every finding of a JSON report, sorted.
fn findings(doc: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = doc["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            let o = &f["object"];
            let path: Vec<&str> = ["schema", "table", "name"]
                .iter()
                .filter_map(|k| o[*k].as_str())
                .collect();
            (f["rule"].as_str().unwrap().to_string(), path.join("."))
        })
        .collect();
    v.sort();
    v
}

async fn sqlite_with(sql: &str) -> TestDb {
    let db = TestDb::sqlite();
    db.exec(sql).await;
    db
}

const USERS: &str =
    "CREATE TABLE users (id integer PRIMARY KEY, email varchar(254) NOT NULL, name text);
CREATE INDEX users_email_idx ON users (email);";

async fn read(url: &str) -> Snapshot {
    let url = DbUrl::parse(url).unwrap();
    let mut db = Database::connect(&url, &ConnectOptions::read_only())
        .await
        .unwrap();
    let s = db.snapshot(&IntrospectOptions::default()).await.unwrap();
    db.close().await.unwrap();
    s
}

// ---------------------------------------------------------------- usage

#[test]
fn every_command_has_help_with_a_worked_example() {
    for cmd in [
        "snapshot",
        "check",
        "plan",
        "fix",
        "migrations",
        "rules",
        "completions",
    ] {
        let run = driftless(&[cmd, "--help"]);
        assert_eq!(run.code, 0, "{cmd}: {run:#?}");
        assert!(
            run.stdout.contains("Examples:") && run.stdout.contains(&format!("driftless {cmd}")),
            "{cmd}: {run:#?}"
        );
    }
    let run = driftless(&["--help"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("Exit codes"));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["--no-such-flag"][..],
        &["check"],
        &["check", "--db", "sqlite::memory:"],
        &[
            "check",
            "--db",
            "sqlite::memory:",
            "--expect",
            "a.json",
            "--migrations",
            "m",
        ],
        &[
            "check",
            "--db",
            "sqlite::memory:",
            "--expect",
            "a.json",
            "--format",
            "xml",
        ],
        &[
            "check",
            "--db",
            "sqlite::memory:",
            "--expect",
            "a.json",
            "--dev-url",
            "sqlite::memory:",
        ],
        &["completions", "powershell"],
        &[
            "snapshot",
            "--db",
            "sqlite::memory:",
            "--connect-timeout",
            "0",
        ],
        &[
            "fix",
            "--db",
            "sqlite::memory:",
            "--expect",
            "a.json",
            "--lock-timeout",
            "5 parsecs",
        ],
    ] {
        let run = driftless(args);
        assert_eq!(run.code, 2, "{args:?}: {run:#?}");
        assert!(run.stderr.starts_with("error:"), "{args:?}: {run:#?}");
        assert_eq!(run.stdout, "");
    }
}

#[test]
fn usage_errors_never_echo_a_password() {
    let url = format!("postgres://app:{SECRET}@db.internal/prod");
    let run = driftless(&["check", "--db", &url, "--frobnicate"]);
    assert_eq!(run.code, 2, "{run:#?}");
    assert!(!run.stderr.contains(SECRET), "{run:#?}");
    let run = Command::new(BIN)
        .args(["check", "--help"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&run.stdout).contains(SECRET),
        "--help shows $DATABASE_URL's value"
    );
}

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let run = driftless(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {run:#?}");
        assert!(
            run.stdout.contains("driftless") && run.stdout.contains("snapshot"),
            "{shell}"
        );
    }
}

// ---------------------------------------------------------------- snapshot

#[tokio::test]
async fn snapshot_round_trip_on_sqlite() {
    let db = sqlite_with(USERS).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("schema.json");
    let file_s = file.to_str().unwrap();

    let to_stdout = driftless(&["snapshot", "--db", &db.url]);
    assert_eq!(to_stdout.code, 0, "{to_stdout:#?}");
    let to_file = driftless(&["snapshot", "--db", &db.url, "-o", file_s]);
    assert_eq!(to_file.code, 0, "{to_file:#?}");
    assert_eq!(to_file.stdout, "");
    let written = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        written, to_stdout.stdout,
        "stdout and -o write the same document"
    );

    crate::documents::snapshot_document(&written);
    let parsed = Snapshot::from_json(&written, &file).unwrap();
    assert_eq!(parsed, read(&db.url).await);
    assert!(parsed
        .table("main", "users")
        .unwrap()
        .columns
        .contains_key("email"));
    assert_eq!(
        parsed.to_json(),
        written,
        "serialising again gives the same bytes"
    );

    // The snapshot is a valid expected schema for the database it came from.
    let check = driftless(&[
        "check", "--db", &db.url, "--expect", file_s, "--format", "json",
    ]);
    assert_eq!(check.code, 0, "{check:#?}");
    assert_eq!(findings(&json(&check)), vec![]);
}

#[tokio::test]
async fn snapshot_selects_schemas_on_postgres() {
    let db = TestDb::postgres().await;
    db.exec("CREATE SCHEMA billing; CREATE TABLE billing.invoices (id int PRIMARY KEY); CREATE TABLE public.users (id int PRIMARY KEY);")
        .await;
    let run = driftless(&["snapshot", "--db", &db.url, "--schema", "billing"]);
    assert_eq!(run.code, 0, "{run:#?}");
    crate::documents::snapshot_document(&run.stdout);
    let snap = Snapshot::from_json(&run.stdout, Path::new("stdout")).unwrap();
    assert!(snap.table("billing", "invoices").is_some());
    assert!(
        snap.table("public", "users").is_none(),
        "only the selected schema"
    );
}

// ---------------------------------------------------------------- check

#[tokio::test]
async fn check_exit_codes_and_json_on_sqlite() {
    let expected = sqlite_with(USERS).await;
    let same = sqlite_with(USERS).await;
    let drifted =
        sqlite_with("CREATE TABLE users (id integer PRIMARY KEY, email varchar(254) NOT NULL);")
            .await;

    let clean = driftless(&[
        "check",
        "--db",
        &same.url,
        "--expect",
        &expected.url,
        "--format",
        "json",
    ]);
    assert_eq!(clean.code, 0, "{clean:#?}");
    let doc = json(&clean);
    assert_eq!(doc["format_version"], 1);
    assert_eq!(doc["summary"]["status"], "clean");

    let drift = driftless(&[
        "check",
        "--db",
        &drifted.url,
        "--expect",
        &expected.url,
        "--format",
        "json",
    ]);
    assert_eq!(drift.code, 1, "{drift:#?}");
    let doc = json(&drift);
    assert_eq!(
        findings(&doc),
        vec![
            ("missing-column".to_string(), "main.users.name".to_string()),
            (
                "missing-index".to_string(),
                "main.users.users_email_idx".to_string()
            ),
        ]
    );
    for f in doc["findings"].as_array().unwrap() {
        for key in [
            "rule", "severity", "object", "message", "expected", "actual",
        ] {
            assert!(f.get(key).is_some(), "{key}: {f}");
        }
    }
    assert_eq!(doc["summary"]["status"], "drift");

    // Every format reports the same drift with the same exit code.
    for format in ["human", "sarif", "github", "junit"] {
        let run = driftless(&[
            "check",
            "--db",
            &drifted.url,
            "--expect",
            &expected.url,
            "--format",
            format,
        ]);
        assert_eq!(run.code, 1, "{format}: {run:#?}");
        assert!(run.stdout.contains("users_email_idx"), "{format}: {run:#?}");
    }
    let sarif: Value = serde_json::from_str(
        &driftless(&[
            "check",
            "--db",
            &drifted.url,
            "--expect",
            &expected.url,
            "--format",
            "sarif",
        ])
        .stdout,
    )
    .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 2);

    // A warning fails by default (fail_on = warning); raising the failing
    // severity above it passes, lowering it to info still fails.
    let extra = sqlite_with(&format!(
        "{USERS} CREATE TABLE extra (id integer PRIMARY KEY);"
    ))
    .await;
    let run = driftless(&[
        "check",
        "--db",
        &extra.url,
        "--expect",
        &expected.url,
        "--format",
        "json",
    ]);
    let doc = json(&run);
    assert_eq!(
        findings(&doc),
        vec![("orphan-table".to_string(), "main.extra".to_string())]
    );
    assert_eq!(doc["findings"][0]["severity"], "warning");
    assert_eq!(run.code, 1, "{run:#?}");
    let lenient = driftless(&[
        "check",
        "--db",
        &extra.url,
        "--expect",
        &expected.url,
        "--fail-on",
        "error",
    ]);
    assert_eq!(lenient.code, 0, "{lenient:#?}");
    assert!(
        lenient.stdout.contains("orphan-table"),
        "still reported: {lenient:#?}"
    );
    let strict = driftless(&[
        "check",
        "--db",
        &extra.url,
        "--expect",
        &expected.url,
        "--fail-on",
        "info",
    ]);
    assert_eq!(strict.code, 1, "{strict:#?}");

    // driftless.toml in the current folder: severities, ignores, waivers.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("driftless.toml"),
        "[rules]\n\"orphan-table\" = \"info\"\n",
    )
    .unwrap();
    let run = driftless_in(
        dir.path(),
        &[
            "check",
            "--db",
            &extra.url,
            "--expect",
            &expected.url,
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "an info finding does not fail: {run:#?}");
    assert_eq!(json(&run)["findings"][0]["severity"], "info");
    std::fs::write(
        dir.path().join("driftless.toml"),
        "ignore = [\"main.extra\"]\n",
    )
    .unwrap();
    let run = driftless_in(
        dir.path(),
        &[
            "check",
            "--db",
            &extra.url,
            "--expect",
            &expected.url,
            "--format",
            "json",
        ],
    );
    assert_eq!((run.code, findings(&json(&run))), (0, vec![]), "{run:#?}");
    // An unknown rule in the configuration is an input error naming file and line.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "fail_on = \"error\"\n[rules]\n\"orphan-tabel\" = \"off\"\n",
    )
    .unwrap();
    let run = driftless(&[
        "check",
        "--db",
        &extra.url,
        "--expect",
        &expected.url,
        "--config",
        bad.to_str().unwrap(),
    ]);
    assert_one_error(
        &run,
        &format!("{}:3: unknown rule `orphan-tabel`", bad.display()),
    );
}

#[tokio::test]
async fn check_human_output_groups_by_table_with_hints() {
    let expected = sqlite_with(USERS).await;
    let drifted =
        sqlite_with("CREATE TABLE users (id integer PRIMARY KEY, email varchar(254) NOT NULL);")
            .await;
    let run = driftless(&["check", "--db", &drifted.url, "--expect", &expected.url]);
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(run.stdout.contains("\nmain.users\n"), "{run:#?}");
    assert!(run.stdout.contains("fix:"), "a fix hint: {run:#?}");
    assert!(run.stdout.contains("2 findings"), "{run:#?}");
    assert!(
        !run.stdout.contains('\u{1b}'),
        "no colour with NO_COLOR or off a terminal"
    );
    let forced = driftless(&[
        "check",
        "--db",
        &drifted.url,
        "--expect",
        &expected.url,
        "--color",
        "always",
    ]);
    assert!(
        forced.stdout.contains('\u{1b}'),
        "--color always colours: {forced:#?}"
    );
}

#[tokio::test]
async fn check_never_writes_sqlite() {
    let expected = sqlite_with(USERS).await;
    let actual = sqlite_with(
        "CREATE TABLE users (id integer PRIMARY KEY); INSERT INTO users VALUES (1), (2);",
    )
    .await;
    let path = Path::new(&actual.name);
    let before = std::fs::read(path).unwrap();
    let modified = std::fs::metadata(path).unwrap().modified().unwrap();
    for format in ["human", "json", "sarif", "github", "junit", "markdown"] {
        let run = driftless(&[
            "check",
            "--db",
            &actual.url,
            "--expect",
            &expected.url,
            "--format",
            format,
        ]);
        assert_eq!(run.code, 1, "{run:#?}");
        crate::documents::check_output(format, Some(run.code), &run.stdout);
    }
    let run = driftless(&["plan", "--db", &actual.url, "--expect", &expected.url]);
    assert_eq!(run.code, 1, "plan exits like check: {run:#?}");
    assert!(run.stdout.contains("CREATE INDEX"), "{run:#?}");
    let run = driftless(&["snapshot", "--db", &actual.url]);
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(
        std::fs::read(path).unwrap(),
        before,
        "the database file is byte for byte the same"
    );
    assert_eq!(
        std::fs::metadata(path).unwrap().modified().unwrap(),
        modified
    );
    let dir = path.parent().unwrap();
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into())
        .collect();
    assert_eq!(
        names,
        vec!["test.db".to_string()],
        "no journal or WAL files left: {names:?}"
    );
}

#[tokio::test]
async fn check_never_writes_postgres() {
    let expected = TestDb::postgres().await;
    expected.exec(USERS).await;
    let actual = TestDb::postgres().await;
    actual
        .exec("CREATE TABLE users (id integer PRIMARY KEY, avatar text); INSERT INTO users VALUES (1, 'a.png');")
        .await;
    let before = read(&actual.url).await;
    let run = driftless(&[
        "check",
        "--db",
        &actual.url,
        "--expect",
        &expected.url,
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{run:#?}");
    let run = driftless(&["plan", "--db", &actual.url, "--expect", &expected.url]);
    assert_eq!(run.code, 1, "{run:#?}");
    let run = driftless(&["fix", "--db", &actual.url, "--expect", &expected.url]);
    assert_eq!(
        run.code, 1,
        "fix without --apply changes nothing and reports the drift: {run:#?}"
    );
    assert_eq!(read(&actual.url).await, before);
    assert_eq!(
        actual
            .scalar_i64("SELECT count(*) FROM users WHERE avatar = 'a.png'")
            .await,
        1
    );
}

// ---------------------------------------------------------------- errors

#[test]
fn malformed_url_is_one_error() {
    let url = format!("postgres://app:{SECRET}@/prod");
    assert_one_error(
        &driftless(&["snapshot", "--db", &url]),
        "invalid database URL `postgres://app:***@/prod`",
    );
    assert_one_error(
        &driftless(&["snapshot", "--db", "nonsense"]),
        "invalid database URL",
    );
}

#[test]
fn unknown_scheme_is_one_error() {
    let url = format!("redis://app:{SECRET}@cache.internal/0");
    assert_one_error(
        &driftless(&["snapshot", "--db", &url]),
        "unsupported database URL scheme `redis`",
    );
    let run = driftless(&["check", "--db", "sqlite::memory:", "--expect", &url]);
    assert_one_error(&run, "redis://app:***@cache.internal/0");
}

#[test]
fn missing_databases_are_one_error() {
    let pg = driftless_testkit::postgres_server_url();
    let pg = pg.replacen("root@", &format!("root:{SECRET}@"), 1);
    let pg = format!(
        "{}/driftless_no_such_database",
        pg.rsplit_once('/').unwrap().0
    );
    assert_one_error(
        &driftless(&["snapshot", "--db", &pg]),
        "database `driftless_no_such_database` does not exist",
    );

    let missing = std::env::temp_dir().join("driftless-no-such-dir/prod.db");
    let url = format!("sqlite:{}", missing.display());
    assert_one_error(&driftless(&["snapshot", "--db", &url]), "does not exist");
    assert!(!missing.exists(), "a missing SQLite file is not created");
}

#[test]
fn wrong_password_on_mariadb_is_one_error() {
    let my = driftless_testkit::mysql_server_url();
    let my = my.replacen("root@", &format!("root:{SECRET}@"), 1);
    let run = driftless(&["snapshot", "--db", &my]);
    assert_one_error(&run, "root:***@");
}

#[test]
fn unreachable_host_times_out_as_one_error() {
    // A server that accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    for scheme in ["postgres", "mysql"] {
        let url = format!("{scheme}://app:{SECRET}@127.0.0.1:{port}/prod");
        let started = std::time::Instant::now();
        let run = driftless(&["--connect-timeout", "1", "snapshot", "--db", &url]);
        assert_one_error(&run, "timed out after 1s");
        assert!(
            run.stderr
                .contains(&format!("{scheme}://app:***@127.0.0.1:{port}/prod")),
            "{run:#?}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(8),
            "{:?}",
            started.elapsed()
        );
    }
    drop(listener);
}

#[test]
fn refused_connection_is_one_error() {
    // Bind and release a port, so nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://app:{SECRET}@127.0.0.1:{port}/prod");
    assert_one_error(
        &driftless(&["snapshot", "--db", &url]),
        "cannot connect to postgres://app:***@",
    );
}

#[test]
fn corrupt_snapshot_file_is_one_error_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("schema.json");
    std::fs::write(
        &file,
        "{\n  \"format_version\": 1,\n  \"dialect\": \"sqlite\",\n  \"schemas\": {\n    oops\n",
    )
    .unwrap();
    let run = driftless(&[
        "check",
        "--db",
        "sqlite::memory:",
        "--expect",
        file.to_str().unwrap(),
    ]);
    assert_one_error(&run, &format!("{}:5:", file.display()));

    std::fs::write(&file, "{\"format_version\": 99, \"dialect\": \"sqlite\"}").unwrap();
    let run = driftless(&[
        "check",
        "--db",
        "sqlite::memory:",
        "--expect",
        file.to_str().unwrap(),
    ]);
    assert_one_error(&run, "snapshot format version 99");

    let run = driftless(&[
        "check",
        "--db",
        "sqlite::memory:",
        "--expect",
        "/nonexistent/schema.json",
    ]);
    assert_one_error(&run, "/nonexistent/schema.json");
}

#[tokio::test]
async fn comparing_different_kinds_of_database_is_one_error() {
    let pg = TestDb::postgres().await;
    let lite = sqlite_with(USERS).await;
    let run = driftless(&["check", "--db", &pg.url, "--expect", &lite.url]);
    assert_one_error(&run, "sqlite");
}

// ---------------------------------------------------------------- migrations

#[test]
fn migrations_status_of_the_deploy_story() {
    let run = driftless(&[
        "migrations",
        "--db",
        "sqlite:examples/deploy-story/production.db",
        "--migrations",
        "examples/deploy-story/migrations",
    ]);
    assert_eq!(
        run.code, 0,
        "every migration is recorded as applied: {run:#?}"
    );
    assert!(run.stdout.contains("[X] 0005_user_login_count"), "{run:#?}");
    assert!(run.stdout.contains("5 migrations: 5 applied"), "{run:#?}");

    let run = driftless(&[
        "migrations",
        "--db",
        "sqlite:examples/deploy-story/production.db",
        "--migrations",
        "examples/deploy-story/migrations",
        "--format",
        "json",
    ]);
    let doc = json(&run);
    assert_eq!(doc["format"], "sqlx");
    assert_eq!(doc["ledger"]["table"], "_sqlx_migrations");
    assert_eq!(doc["summary"]["applied"], 5);
}

#[tokio::test]
async fn migrations_status_reports_unapplied_and_modified() {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    let first = "CREATE TABLE users (id integer PRIMARY KEY);\n";
    std::fs::write(
        migrations.join("1_create_users.sql"),
        "CREATE TABLE users (id integer PRIMARY KEY, x int);\n",
    )
    .unwrap();
    std::fs::write(
        migrations.join("2_add_email.sql"),
        "ALTER TABLE users ADD COLUMN email text;\n",
    )
    .unwrap();
    let db = TestDb::sqlite();
    db.exec(&format!(
        "{first} CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, \
         installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, checksum BLOB NOT NULL, \
         execution_time BIGINT NOT NULL); INSERT INTO _sqlx_migrations VALUES (1, 'create users', '2024-01-01 00:00:00', TRUE, X'{}', 1);",
        Checksum::sqlx(first)
    ))
    .await;
    let run = driftless(&[
        "migrations",
        "--db",
        &db.url,
        "--migrations",
        migrations.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(run.stdout.contains("[ ] 2_add_email"), "{run:#?}");
    assert!(
        run.stdout.contains("1_create_users") && run.stdout.contains("modified"),
        "{run:#?}"
    );
}

#[test]
fn missing_migrations_folder_is_one_error() {
    let run = driftless(&[
        "migrations",
        "--db",
        "sqlite::memory:",
        "--migrations",
        "/nonexistent/migrations",
    ]);
    assert_one_error(&run, "/nonexistent/migrations");
}

// ---------------------------------------------------------------- the deploy story on servers

/// The deploy story's migrations, read from the examples folder.
fn story_migrations() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(story_dir().join("migrations"))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// Builds "production" on a server: migrations 0001–0004 as written, then
/// the hand-made drift of production.sql, and an sqlx ledger that records
/// all five migrations as applied.
async fn story_production(db: &TestDb) {
    let migrations = story_migrations();
    for (_, sql) in &migrations[..4] {
        db.exec(sql).await;
    }
    let (drift, ledger) = match db.backend {
        Backend::Postgres => (
            "ALTER TABLE authentication_user ADD COLUMN avatar varchar(255);
             DROP INDEX blog_post_published_at_idx;
             ALTER TABLE blog_post ALTER COLUMN title DROP NOT NULL;",
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
               installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL, checksum BYTEA NOT NULL,
               execution_time BIGINT NOT NULL);",
        ),
        Backend::Mysql => (
            "ALTER TABLE authentication_user ADD COLUMN avatar varchar(255);
             DROP INDEX blog_post_published_at_idx ON blog_post;
             ALTER TABLE blog_post MODIFY title varchar(200) NULL;",
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
               installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, checksum BLOB NOT NULL,
               execution_time BIGINT NOT NULL);",
        ),
        Backend::Sqlite => unreachable!("SQLite's production is examples/deploy-story/production.sql"),
    };
    db.exec(drift).await;
    db.exec(ledger).await;
    for (file, sql) in &migrations {
        let (version, desc) = file.trim_end_matches(".sql").split_once('_').unwrap();
        let hex = Checksum::sqlx(sql).to_string();
        let blob = match db.backend {
            Backend::Postgres => format!("'\\x{hex}'::bytea"),
            _ => format!("X'{hex}'"),
        };
        db.exec(&format!(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES ({}, '{}', TRUE, {blob}, 1000)",
            version.parse::<i64>().unwrap(),
            desc.replace('_', " ")
        ))
        .await;
    }
    db.exec("INSERT INTO authentication_user (id, username, email, password, avatar) VALUES (1, 'ada', 'ada@example.com', 'x', 'avatars/ada.png')")
        .await;
}

/// The schema findings every backend must report for the story.
fn story_schema_findings(schema: &str) -> Vec<(String, String)> {
    let mut v = vec![
        (
            "missing-column".to_string(),
            format!("{schema}.authentication_user.login_count"),
        ),
        (
            "orphan-column".to_string(),
            format!("{schema}.authentication_user.avatar"),
        ),
        (
            "missing-index".to_string(),
            format!("{schema}.blog_post.blog_post_published_at_idx"),
        ),
        (
            "nullability-mismatch".to_string(),
            format!("{schema}.blog_post.title"),
        ),
    ];
    v.sort();
    v
}

async fn deploy_story_on(backend: Backend) {
    let production = TestDb::new(backend).await;
    story_production(&production).await;
    let expected = TestDb::new(backend).await;
    for (_, sql) in story_migrations() {
        expected.exec(&sql).await;
    }
    let schema = match backend {
        Backend::Postgres => "public".to_string(),
        _ => production.name.clone(),
    };

    // Against a database built by the migrations.
    let run = driftless(&[
        "check",
        "--db",
        &production.url,
        "--expect",
        &expected.url,
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{run:#?}");
    assert_eq!(
        findings(&json(&run)),
        story_schema_findings(&schema),
        "{}",
        run.stdout
    );

    // Against the migrations folder, replayed into a scratch database.
    let dev = TestDb::new(backend).await;
    let before = read(&production.url).await;
    let run = driftless(&[
        "check",
        "--db",
        &production.url,
        "--migrations",
        story_dir().join("migrations").to_str().unwrap(),
        "--dev-url",
        &dev.url,
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{run:#?}");
    let doc = json(&run);
    let schema_findings: Vec<(String, String)> = findings(&doc)
        .into_iter()
        .filter(|(_, path)| path.starts_with(&format!("{schema}.")))
        .collect();
    assert_eq!(
        schema_findings,
        story_schema_findings(&schema),
        "{}",
        run.stdout
    );
    assert_eq!(read(&production.url).await, before, "check never writes");
    assert_eq!(
        production
            .scalar_i64("SELECT count(*) FROM authentication_user WHERE avatar IS NOT NULL")
            .await,
        1
    );
}

#[tokio::test]
async fn deploy_story_on_postgres() {
    deploy_story_on(Backend::Postgres).await;
}

#[tokio::test]
async fn deploy_story_on_mariadb() {
    deploy_story_on(Backend::Mysql).await;
}

// ---------------------------------------------------------------- fix

#[tokio::test]
async fn fix_applies_quarantines_and_converges_on_postgres() {
    let production = TestDb::postgres().await;
    story_production(&production).await;
    let expected = TestDb::postgres().await;
    for (_, sql) in story_migrations() {
        expected.exec(&sql).await;
    }
    let args = |extra: &[&str]| {
        let mut v = vec!["fix", "--db", &production.url, "--expect", &expected.url];
        v.extend_from_slice(extra);
        v.iter().map(|s| s.to_string()).collect::<Vec<String>>()
    };
    let run_args = |a: Vec<String>| driftless(&a.iter().map(String::as_str).collect::<Vec<_>>());

    // Dropping the orphan is destructive: refused up front without
    // --allow-destructive, nothing changed.
    let run = run_args(args(&["--apply", "--orphans", "drop"]));
    assert_eq!(run.code, 2, "{run:#?}");
    assert!(run.stderr.contains("add --allow-destructive"), "{run:#?}");
    assert_eq!(
        production
            .scalar_i64("SELECT count(*) FROM authentication_user WHERE avatar IS NOT NULL")
            .await,
        1
    );

    // The default quarantines it: the values move to the quarantine
    // schema, keyed by id, and stay readable.
    let run = run_args(args(&[
        "--apply",
        "--lock-timeout",
        "5s",
        "--statement-timeout",
        "1m",
    ]));
    assert_eq!(run.code, 0, "{run:#?}");
    assert!(run.stdout.contains("Converged"), "{run:#?}");
    assert_eq!(
        production
            .scalar_i64("SELECT count(*) FROM driftless_quarantine.public__authentication_user__avatar WHERE avatar = 'avatars/ada.png'")
            .await,
        1
    );
    assert_eq!(
        production
            .scalar_i64("SELECT count(*) FROM authentication_user WHERE login_count = 0")
            .await,
        1
    );

    // A second run has nothing to do.
    let run = run_args(args(&["--apply"]));
    assert_eq!(run.code, 0, "{run:#?}");
    assert!(run.stdout.contains("Nothing to apply"), "{run:#?}");
    let check = driftless(&["check", "--db", &production.url, "--expect", &expected.url]);
    assert_eq!(check.code, 0, "{check:#?}");
}

/// The live side of the `--schema` tests: drift against [`SCHEMA_EXPECTED`]
/// (an orphan column and table, a missing column, index, unique key,
/// foreign key and view).
const SCHEMA_LIVE: &str = "CREATE TABLE t (id int PRIMARY KEY, x int);
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE gone (id int PRIMARY KEY);";

const SCHEMA_EXPECTED: &str =
    "CREATE TABLE p (id int PRIMARY KEY, name varchar(20), UNIQUE KEY p_name (name));
CREATE TABLE t (id int PRIMARY KEY, y int, p_id int, KEY t_y (y), CONSTRAINT t_p FOREIGN KEY (p_id) REFERENCES p (id));
CREATE VIEW tp AS SELECT t.id, p.name FROM t JOIN p ON t.p_id = p.id;
CREATE TRIGGER t_y BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.y = coalesce(NEW.y, 0); END;
CREATE FUNCTION p_count() RETURNS int READS SQL DATA RETURN (SELECT count(*) FROM p);
CREATE EVENT p_purge ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM p WHERE name IS NULL;";

/// A snapshot file of a fresh MariaDB database holding [`SCHEMA_EXPECTED`].
async fn expected_snapshot_file(dir: &Path) -> String {
    let expected = TestDb::mysql().await;
    expected.exec(SCHEMA_EXPECTED).await;
    let file = dir.join("expected.json").display().to_string();
    let run = driftless(&["snapshot", "--db", &expected.url, "-o", &file]);
    assert_eq!(run.code, 0, "{run:#?}");
    file
}

/// Fixes database `schema` through `url` and checks it converged: the
/// expected snapshot's only database is paired with `schema`, whatever the
/// names.
fn fix_and_check_schema(url: &str, schema: &str, file: &str) {
    let fix = driftless(&[
        "fix", "--db", url, "--schema", schema, "--expect", file, "--apply", "--allow", "locking",
    ]);
    assert_eq!(fix.code, 0, "{fix:#?}");
    assert!(fix.stdout.contains("Converged"), "{fix:#?}");
    let check = driftless(&["check", "--db", url, "--schema", schema, "--expect", file]);
    assert_eq!(check.code, 0, "{check:#?}");
}

/// Regression: with `--schema` naming another database than the URL's, the
/// plan's unqualified statements ran in the URL's database: its tables were
/// changed and the selected database kept its drift.
#[tokio::test]
async fn regression_fix_with_schema_changes_that_database_not_the_urls_on_mariadb() {
    let dir = tempfile::tempdir().unwrap();
    let file = expected_snapshot_file(dir.path()).await;
    let url_db = TestDb::mysql().await;
    let target = TestDb::mysql().await;
    url_db.exec(SCHEMA_LIVE).await;
    target.exec(SCHEMA_LIVE).await;
    let untouched = read(&url_db.url).await;

    let plan = driftless(&[
        "plan",
        "--db",
        &url_db.url,
        "--schema",
        &target.name,
        "--expect",
        &file,
    ]);
    assert_eq!(plan.code, 1, "{plan:#?}");
    let qualified = format!("`{}`.`t`", target.name);
    assert!(plan.stdout.contains(&qualified), "{plan:#?}");
    assert!(!plan.stdout.contains(&url_db.name), "{plan:#?}");

    fix_and_check_schema(&url_db.url, &target.name, &file);
    assert_eq!(
        read(&url_db.url).await,
        untouched,
        "the URL's database is untouched"
    );
    let after = read(&target.url).await;
    assert!(after
        .table(&target.name, "_driftless_quarantine_gone")
        .is_some());
    // The trigger, function and event are made in the selected database.
    let objects: Vec<(Option<&str>, &str)> = after
        .objects
        .iter()
        .map(|o| (o.schema.as_deref(), o.name.as_str()))
        .collect();
    let s = Some(target.name.as_str());
    assert_eq!(objects, [(s, "p_count"), (s, "t_y"), (s, "p_purge")]);
    assert!(after
        .table(&target.name, "t")
        .unwrap()
        .columns
        .contains_key("y"));
    // The view reads the selected database's tables, not the URL's.
    assert_eq!(
        target
            .scalar_i64(&format!(
                "SELECT count(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() \
                 AND VIEW_DEFINITION LIKE '%`{}`.`t`%' AND VIEW_DEFINITION NOT LIKE '%{}%'",
                target.name, url_db.name
            ))
            .await,
        1
    );
}

/// A URL without a database selects it with `--schema`; the fix lock is
/// taken for that database (it was taken for the URL's database, none, and
/// reported as another fix running). Without `--schema`: one clear error.
#[tokio::test]
async fn fix_with_schema_and_a_url_without_database_on_mariadb() {
    let dir = tempfile::tempdir().unwrap();
    let file = expected_snapshot_file(dir.path()).await;
    let target = TestDb::mysql().await;
    target.exec(SCHEMA_LIVE).await;
    let server = target.url.replacen(&format!("/{}", target.name), "", 1);
    assert_ne!(server, target.url);

    fix_and_check_schema(&server, &target.name, &file);
    let after = read(&target.url).await;
    assert!(after
        .table(&target.name, "p")
        .unwrap()
        .columns
        .contains_key("name"));

    let run = driftless(&["check", "--db", &server, "--expect", &file]);
    assert_one_error(&run, "names no database");
}

#[tokio::test]
async fn database_url_comes_from_the_environment() {
    let db = sqlite_with(USERS).await;
    let out = Command::new(BIN)
        .args(["snapshot"])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"users\""));
}

#[tokio::test]
async fn plan_formats() {
    let expected = sqlite_with(USERS).await;
    let drifted =
        sqlite_with("CREATE TABLE users (id integer PRIMARY KEY, email varchar(254) NOT NULL);")
            .await;
    let base = ["plan", "--db", &drifted.url, "--expect", &expected.url];
    let sql = driftless(&base);
    assert!(
        sql.stdout.contains("ADD COLUMN \"name\"") && sql.stdout.contains("CREATE INDEX"),
        "{sql:#?}"
    );
    let json_plan = driftless(&[&base[..], &["--format", "json"]].concat());
    let doc = json(&json_plan);
    assert_eq!(doc["dialect"], "sqlite");
    assert_eq!(doc["steps"].as_array().unwrap().len(), 2, "{doc}");
    let script = driftless(&[&base[..], &["--format", "script"]].concat());
    assert!(
        script.stdout.contains("BEGIN IMMEDIATE") && script.stdout.contains("IF NOT EXISTS"),
        "{script:#?}"
    );

    // A migration file in an sqlx folder, numbered after the existing ones.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("20240101000000_init.sql"), USERS).unwrap();
    let out = dir.path().to_str().unwrap();
    let run = driftless(&[&base[..], &["--format", "migration", "--out", out]].concat());
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(
        run.stdout.starts_with("wrote ") && run.stdout.contains("_driftless_fix.sql"),
        "{run:#?}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    // Without a folder to write into: one error.
    let run = driftless(&[&base[..], &["--format", "migration"]].concat());
    assert_one_error(&run, "--out DIR");
}

// ---------------------------------------------------------------- pipes

/// Runs `driftless args` with stdout a pipe whose reader reads the first
/// `keep` bytes (none: it closes at once) and then closes it, as
/// `driftless … | head -n3` does; with `close_stderr`, stderr is a closed
/// pipe too (`2>&1 | head`). Returns the run (stdout empty: it went to the
/// closed pipe). The binary must still end with the status it computed.
async fn driftless_into_closed_pipe(
    args: &[&str],
    keep: usize,
    close_stderr: bool,
) -> support::Run {
    use tokio::io::AsyncReadExt;
    let mut command = support::command(args);
    let mut child = command
        .current_dir(workspace())
        .spawn()
        .expect("run driftless");
    if close_stderr {
        drop(child.stderr.take());
    }
    let mut stdout = child.stdout.take().unwrap();
    let mut head = vec![0; keep];
    stdout
        .read_exact(&mut head)
        .await
        .expect("the first bytes of stdout");
    drop(stdout);
    support::finish(child).await
}

/// A copy of the deploy story's drifted production database.
fn story_copy() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("production.db");
    std::fs::copy(story_dir().join("production.db"), &db).unwrap();
    (dir, format!("sqlite:{}", db.display()))
}

/// `check … | head` on a drifted database exited 0 under `set -o
/// pipefail`: the broken pipe was taken for success.
#[tokio::test]
async fn check_into_a_closed_pipe_still_exits_1_on_drift() {
    let (_dir, url) = story_copy();
    let story = story_dir().join("migrations");
    let args = [
        "check",
        "--db",
        &url,
        "--migrations",
        story.to_str().unwrap(),
    ];
    for close_stderr in [false, true] {
        let run = driftless_into_closed_pipe(&args, 0, close_stderr).await;
        assert_eq!(run.code, Some(1), "{run:#?}");
        assert!(!run.stderr.contains("error"), "{run:#?}");
    }
    // Logs on a closed stderr do not change the ending either.
    let mut verbose = args.to_vec();
    verbose.push("-vv");
    let run = driftless_into_closed_pipe(&verbose, 0, true).await;
    assert_eq!(run.code, Some(1), "{run:#?}");
}

/// The reader goes away in the middle of a report larger than the pipe's
/// buffer, after reading its first lines.
#[tokio::test]
async fn check_with_a_long_report_into_a_pipe_closed_after_a_few_lines() {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    let tables: String = (0..1500)
        .map(|i| {
            format!("CREATE TABLE expected_table_{i:04} (id integer primary key, name text);\n")
        })
        .collect();
    std::fs::write(migrations.join("1_tables.sql"), tables).unwrap();
    // Recorded as applied, each table without its column `name`.
    let live: String = (0..1500)
        .map(|i| format!("CREATE TABLE expected_table_{i:04} (id integer primary key);\n"))
        .chain([
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, \
             installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, \
             checksum BLOB NOT NULL, execution_time BIGINT NOT NULL);\n\
             INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (1, 'tables', 1, X'00', 1);\n"
                .to_string(),
        ])
        .collect();
    let live = sqlite_with(&live).await;
    let url = live.url.clone();
    let args = [
        "check",
        "--db",
        &url,
        "--migrations",
        migrations.to_str().unwrap(),
    ];
    let whole = driftless(&args);
    assert_eq!(whole.code, 1, "{whole:#?}");
    assert!(whole.stdout.len() > 256 * 1024, "{}", whole.stdout.len());
    let run = driftless_into_closed_pipe(&args, 200, false).await;
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(!run.stderr.contains("error"), "{run:#?}");
}

/// `fix --apply … | head -n1` that does not converge exits 1; once the
/// fix converges, 0 — and `check` on the repaired database, 0.
#[tokio::test]
async fn fix_into_a_closed_pipe_keeps_its_status() {
    let (_dir, url) = story_copy();
    let story = story_dir().join("migrations");
    let story = story.to_str().unwrap();
    let fix = [
        "fix",
        "--db",
        &url,
        "--migrations",
        story,
        "--apply",
        "--orphans",
    ];
    // Keeping the orphan column leaves drift.
    let keep = [&fix[..], &["keep"]].concat();
    let run = driftless_into_closed_pipe(&keep, 0, false).await;
    assert_eq!(run.code, Some(1), "not converged: {run:#?}");
    let destructive = [&fix[..], &["drop", "--allow-destructive"]].concat();
    let run = driftless_into_closed_pipe(&destructive, 0, false).await;
    assert_eq!(run.code, Some(0), "converged: {run:#?}");
    let check = ["check", "--db", &url, "--migrations", story];
    let run = driftless_into_closed_pipe(&check, 0, true).await;
    assert_eq!(run.code, Some(0), "clean: {run:#?}");
}
