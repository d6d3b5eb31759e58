//! Repairs with schema and ledger steps, on a drifted sqlx project.
//!
//! Crash safety: `fix --apply` is
//! killed (SIGKILL) at every statement boundary, on each backend, through
//! the CLI's fault-injection hook (`DRIFTLESS_FAULT_PAUSE_AFTER_STATEMENT`:
//! the apply stops right after its Nth statement, the test kills it).
//!
//! The repair: a column a recorded migration added is missing, an orphan
//! column holds data, an index is missing, a pending migration is partly
//! present (its table exists, its index does not: create the rest, then
//! record it), an applied migration was edited cosmetically (new checksum)
//! and the ledger has a row whose file exists nowhere (quarantined).
//!
//! After every kill: on PostgreSQL and SQLite the database is exactly as
//! before (one transaction); on MariaDB, where DDL commits by itself, no
//! migration is recorded whose effects are absent. Then `fix --apply`
//! again converges, and sqlx's own `Migrator` runs without error.
//!
//! As a migration file (`plan --format migration`): the file carries the
//! schema steps; the ledger steps, and the step that completes the pending
//! migration they record, are in its note, run first; then sqlx's
//! `Migrator` applies the file and accepts the ledger.

use driftless_testkit::{sqlx_migrate, Backend, TestDb};

use driftless_model::{split_statements, Dialect};

use crate::support::{self, backend_name, driftless, open, signal, state, Watched};

const USERS: &str = "CREATE TABLE users (id integer PRIMARY KEY, name varchar(50) NOT NULL);\n";
const LOGIN: &str = "ALTER TABLE users ADD COLUMN login_count integer NOT NULL DEFAULT 0;\n";
const POSTS: &str = "CREATE TABLE posts (id integer PRIMARY KEY, user_id integer NOT NULL);\n\
                     CREATE INDEX posts_user_idx ON posts (user_id);\n";
const TAGS: &str = "CREATE TABLE tags (id integer PRIMARY KEY, label varchar(20));\n\
                    CREATE INDEX tags_label_idx ON tags (label);\n";

/// The CLI's fault-injection hook.
const FAULT_VAR: &str = "DRIFTLESS_FAULT_PAUSE_AFTER_STATEMENT";

/// The marker the fault-injection hook prints once it paused.
const PAUSED: &str = "paused after statement";

/// A drifted production database, its migrations folder and the dev
/// database replays go to.
struct Drifted {
    dir: tempfile::TempDir,
    prod: TestDb,
    dev: Option<TestDb>,
}

impl Drifted {
    async fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, sql: &str| std::fs::write(dir.path().join(name), sql).unwrap();
        write("1_users.sql", USERS);
        write("2_login_count.sql", LOGIN);
        write("3_posts.sql", POSTS);
        let prod = TestDb::new(backend).await;
        sqlx_migrate(backend, &prod.url, dir.path()).await.unwrap();
        let drop_index = match backend {
            Backend::Mysql => "DROP INDEX posts_user_idx ON posts",
            _ => "DROP INDEX posts_user_idx",
        };
        let checksum = match backend {
            Backend::Postgres => "decode('00', 'hex')",
            _ => "X'00'",
        };
        for sql in [
            "INSERT INTO users (id, name) VALUES (1, 'ann'), (2, 'bob')",
            "INSERT INTO posts (id, user_id) VALUES (1, 1)",
            "ALTER TABLE users DROP COLUMN login_count",
            "ALTER TABLE users ADD COLUMN avatar varchar(100)",
            "UPDATE users SET avatar = 'ann.png' WHERE id = 1",
            drop_index,
            "CREATE TABLE tags (id integer PRIMARY KEY, label varchar(20))",
            &format!(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                 VALUES (9, 'hotfix', TRUE, {checksum}, 1)"
            ),
        ] {
            prod.exec(sql).await;
        }
        // A cosmetic edit of an applied migration, and a pending one.
        write("1_users.sql", &format!("-- the users\n{USERS}"));
        write("4_tags.sql", TAGS);
        let dev = match backend {
            Backend::Sqlite => None,
            _ => Some(TestDb::new(backend).await),
        };
        Drifted { dir, prod, dev }
    }

    fn args<'a>(&'a self, command: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
        let mut v = vec![
            command,
            "--db",
            self.prod.url.as_str(),
            "--migrations",
            self.dir.path().to_str().unwrap(),
        ];
        if let Some(dev) = &self.dev {
            v.extend(["--dev-url", dev.url.as_str()]);
        }
        v.extend_from_slice(extra);
        v
    }

    /// The ledger's rows: version, success and checksum (hex).
    async fn ledger(&self) -> Vec<String> {
        let hex = match self.prod.backend {
            Backend::Postgres => "encode(checksum, 'hex')",
            _ => "lower(hex(checksum))",
        };
        let sql = format!(
            "SELECT version, CASE WHEN success THEN 1 ELSE 0 END, {hex} FROM _sqlx_migrations ORDER BY version"
        );
        let mut c = open(&self.prod.url).await;
        let rows = c.query(&sql, "reading the ledger").await.unwrap();
        c.close().await.unwrap();
        rows.iter().map(|r| format!("{r:?}")).collect()
    }

    /// The migrations `check` reports as recorded while their effects are
    /// absent.
    async fn recorded_but_absent(&self) -> Vec<String> {
        let run = driftless(&self.args("check", &["--format", "json"])).await;
        assert_ne!(run.code, Some(2), "{run:#?}");
        let report = crate::documents::json_document(&run.stdout);
        let findings = report["findings"].as_array().cloned().unwrap_or_default();
        let mut out: Vec<String> = findings
            .iter()
            .filter(|f| f["rule"] == "ledger-effect-missing")
            .map(|f| f["message"].as_str().unwrap_or_default().to_string())
            .collect();
        out.sort();
        out
    }
}

/// Kills `fix --apply` after each statement in turn on `backend`; returns
/// how many kills there were. `online`: every table changes online
/// (`--online-threshold 0`), each step committing on its own, so a kill
/// keeps the steps before it; a migration is still never recorded
/// without its effects.
async fn kill_at_every_boundary(backend: Backend, online: bool) -> usize {
    let extra: &[&str] = if online {
        &["--apply", "--online-threshold", "0"]
    } else {
        &["--apply"]
    };
    let mut kills = 0;
    for n in 1.. {
        let d = Drifted::new(backend).await;
        let (before, ledger_before) = (state(&d.prod).await, d.ledger().await);
        let absent_before = d.recorded_but_absent().await;
        assert!(
            absent_before.iter().any(|a| a.contains("login_count")),
            "the missing column of a recorded migration is reported: {absent_before:?}"
        );
        let n_text = n.to_string();
        let env = [(FAULT_VAR, n_text.as_str())];
        let mut fix = Watched::spawn_with(&d.args("fix", extra), &env);
        if !fix.line_or_end(PAUSED).await {
            // The plan has fewer statements: the whole apply ran.
            let run = fix.finish().await;
            assert_eq!(run.code, Some(0), "the unbroken fix converges: {run:#?}");
            assert!(n > 5, "a repair of several statements: {run:#?}");
            break;
        }
        signal(fix.child(), "KILL");
        let run = fix.finish().await;
        assert_eq!(run.code, None, "killed by the signal: {run:#?}");
        kills += 1;
        let absent = d.recorded_but_absent().await;
        assert!(
            absent.iter().all(|a| absent_before.contains(a)),
            "{}: killed after statement {n}, a migration is recorded without its effects: {absent:?} (before: {absent_before:?})",
            backend_name(backend)
        );
        if backend != Backend::Mysql && !online {
            assert_eq!(state(&d.prod).await, before, "killed after statement {n}");
            assert_eq!(
                d.ledger().await,
                ledger_before,
                "killed after statement {n}"
            );
        }
        let rerun = driftless(&d.args("fix", extra)).await;
        assert_eq!(
            rerun.code,
            Some(0),
            "after a kill at {n}, the rerun converges: {rerun:#?}"
        );
        sqlx_migrate(backend, &d.prod.url, d.dir.path())
            .await
            .unwrap_or_else(|e| panic!("sqlx migrate after a kill at {n} and a rerun: {e}"));
        assert!(d.recorded_but_absent().await.is_empty());
        assert_eq!(
            support::scalar(&d.prod.url, "SELECT count(*) FROM users").await,
            Some(2)
        );
    }
    eprintln!(
        "{}: fix --apply killed (SIGKILL) at {kills} statement boundaries; none left a migration recorded without its effects; every rerun converged and sqlx migrate ran",
        backend_name(backend)
    );
    kills
}

#[tokio::test]
async fn a_repair_with_ledger_steps_killed_at_every_statement_on_sqlite() {
    assert!(kill_at_every_boundary(Backend::Sqlite, false).await > 5);
}

#[tokio::test]
async fn a_repair_with_ledger_steps_killed_at_every_statement_on_postgres() {
    assert!(kill_at_every_boundary(Backend::Postgres, false).await > 5);
}

#[tokio::test]
async fn an_online_repair_with_ledger_steps_killed_at_every_statement_on_postgres() {
    assert!(kill_at_every_boundary(Backend::Postgres, true).await > 5);
}

#[tokio::test]
async fn an_online_repair_with_ledger_steps_killed_at_every_statement_on_mariadb() {
    assert!(kill_at_every_boundary(Backend::Mysql, true).await > 5);
}

#[tokio::test]
async fn a_repair_with_ledger_steps_killed_at_every_statement_on_mariadb() {
    assert!(kill_at_every_boundary(Backend::Mysql, false).await > 5);
}

/// The statements of the ledger note of migration file `text` (comment
/// prefix `--` taken off).
fn note_statements(text: &str, dialect: Dialect) -> Vec<String> {
    let note = text
        .split(driftless_fixer::LEDGER_NOTE_BEGIN)
        .nth(1)
        .and_then(|rest| rest.split(driftless_fixer::LEDGER_NOTE_END).next())
        .unwrap_or_else(|| panic!("a ledger note: {text}"));
    let sql: String = note
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("--"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .filter(|l| !l.starts_with("step "))
        .map(|l| format!("{l}\n"))
        .collect();
    split_statements(&sql, dialect)
        .into_iter()
        .map(|s| s.sql)
        .collect()
}

async fn migration_file_then_sqlx(backend: Backend, dialect: Dialect) {
    let d = Drifted::new(backend).await;
    let folder = d.dir.path().to_str().unwrap().to_string();
    let run = driftless(&d.args("plan", &["--format", "migration", "--out", &folder])).await;
    assert!(run.stdout.starts_with("wrote "), "{run:#?}");
    let file = std::fs::read_dir(d.dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("_driftless_fix.sql"))
        .unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    for line in text.lines().filter(|l| !l.starts_with("--")) {
        assert!(
            !line.contains("_sqlx_migrations") && !line.contains("tags_label_idx"),
            "ledger steps and the completing step stay out of the file's body: {text}"
        );
    }
    let statements = note_statements(&text, dialect);
    assert!(
        statements.iter().any(|s| s.contains("_sqlx_migrations")),
        "{statements:#?}"
    );
    let mut c = open(&d.prod.url).await;
    for sql in &statements {
        c.execute(sql, "running the ledger note").await.unwrap();
    }
    c.close().await.unwrap();
    sqlx_migrate(backend, &d.prod.url, d.dir.path())
        .await
        .unwrap_or_else(|e| panic!("sqlx migrate after the note: {e}\n{text}"));
    let ledger = d.ledger().await.join("\n");
    assert!(
        !ledger.contains("[Int(9),") && ledger.contains("[Int(4),"),
        "{ledger}"
    );
    let indexes: Vec<String> = state(&d.prod)
        .await
        .snapshot
        .tables()
        .flat_map(|(_, _, t)| t.indexes.keys().cloned().collect::<Vec<_>>())
        .collect();
    for name in ["posts_user_idx", "tags_label_idx"] {
        assert!(indexes.iter().any(|i| i == name), "{name} in {indexes:?}");
    }
}

#[tokio::test]
async fn a_migration_file_leaves_ledger_steps_to_its_note_on_sqlite() {
    migration_file_then_sqlx(Backend::Sqlite, Dialect::Sqlite).await;
}

#[tokio::test]
async fn a_migration_file_leaves_ledger_steps_to_its_note_on_postgres() {
    migration_file_then_sqlx(Backend::Postgres, Dialect::Postgres).await;
}

/// Regression: with `--apply-pending` and nothing left pending after the
/// repair, `fix` printed the verdict from before the repair ("Not
/// converged", exit 1) although the repair converged.
#[tokio::test]
async fn apply_pending_with_nothing_pending_keeps_the_repairs_verdict() {
    let d = Drifted::new(Backend::Sqlite).await;
    let run = driftless(&d.args("fix", &["--apply", "--apply-pending"])).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(
        run.stdout.contains("No pending migration to apply."),
        "{run:#?}"
    );
    assert!(!run.stdout.contains("Not converged"), "{run:#?}");
}

/// A new database (no ledger, nothing a migration makes): every migration
/// is pending, none is drift; `fix` makes nothing (that is migrate's job);
/// `--apply-pending` creates the ledger as sqlx does and applies them, and
/// sqlx's own migrator then finds nothing to do.
async fn a_new_database(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("1_users.sql"), USERS).unwrap();
    std::fs::write(dir.path().join("2_login_count.sql"), LOGIN).unwrap();
    let prod = TestDb::new(backend).await;
    let dev = match backend {
        Backend::Sqlite => None,
        _ => Some(TestDb::new(backend).await),
    };
    let d = Drifted { dir, prod, dev };
    let check = driftless(&d.args("check", &[])).await;
    assert_eq!(check.code, Some(0), "{check:#?}");
    assert_eq!(
        check.stdout.matches("unapplied-migration").count(),
        2,
        "{check:#?}"
    );
    assert!(!check.stdout.contains("missing-table"), "{check:#?}");
    assert!(
        check
            .stdout
            .contains("is not applied: the database has no migration ledger")
            && !check
                .stdout
                .contains("(no migration ledger in the database)"),
        "{check:#?}"
    );
    let fix = driftless(&d.args("fix", &["--apply"])).await;
    assert_eq!(fix.code, Some(0), "{fix:#?}");
    let made = state(&d.prod).await.snapshot.tables().count();
    assert_eq!(made, 0, "fix makes nothing a pending migration makes");
    let fix = driftless(&d.args("fix", &["--apply", "--apply-pending"])).await;
    assert_eq!(fix.code, Some(0), "{fix:#?}");
    assert!(
        fix.stdout.contains("Applied 2 pending migration(s)"),
        "{fix:#?}"
    );
    sqlx_migrate(d.prod.backend, &d.prod.url, d.dir.path())
        .await
        .expect("sqlx accepts the ledger driftless created and wrote");
    assert_eq!(d.ledger().await.len(), 2);
}

#[tokio::test]
async fn a_new_database_has_every_migration_pending_on_sqlite() {
    a_new_database(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_new_database_has_every_migration_pending_on_postgres() {
    a_new_database(Backend::Postgres).await;
}

#[tokio::test]
async fn a_new_database_has_every_migration_pending_on_mariadb() {
    a_new_database(Backend::Mysql).await;
}
