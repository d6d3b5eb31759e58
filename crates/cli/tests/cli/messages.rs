//! What a user reads, pinned: each message that once said a thing twice,
//! named the wrong tool or hid what differs is compared with a snapshot in
//! `crates/cli/tests/snapshots/messages/` (`DRIFTLESS_BLESS=1` rewrites
//! them). Temporary paths, database URLs and timings are masked.

use std::path::{Path, PathBuf};

use crate::support::*;
use driftless_testkit::TestDb;

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/messages")
}

/// Compares `actual` with the snapshot `name` (or writes it when blessing).
fn assert_snapshot(name: &str, actual: &str) {
    driftless_testkit::assert_golden(&snapshot_dir().join(name), actual);
}

/// `text` with each of `(value, placeholder)` replaced (longest first) and
/// every `1.23s` timing made `N.NNs`.
fn masked(text: &str, replace: &[(&str, &str)]) -> String {
    let mut pairs = replace.to_vec();
    pairs.sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
    let mut out = text.to_string();
    for (value, placeholder) in pairs {
        out = out.replace(value, placeholder);
    }
    let mut masked = String::with_capacity(out.len());
    let mut chars = out.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            let mut number = String::from(c);
            while let Some(d) = chars
                .peek()
                .copied()
                .filter(|d| d.is_ascii_digit() || *d == '.')
            {
                number.push(d);
                chars.next();
            }
            if number.contains('.') && chars.peek() == Some(&'s') {
                masked.push_str("N.NN");
            } else {
                masked.push_str(&number);
            }
        } else {
            masked.push(c);
        }
    }
    masked
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The deploy story's production database, copied: (its folder, URL).
fn story_copy() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("production.db");
    std::fs::copy(workspace().join("examples/deploy-story/production.db"), &db).unwrap();
    let url = format!("sqlite:{}", db.display());
    (dir, url)
}

/// The deploy story's migrations copied into a folder of their own.
fn story_migrations(into: &Path) -> String {
    let from = workspace().join("examples/deploy-story/migrations");
    let to = into.join("migrations");
    std::fs::create_dir_all(&to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
    to.display().to_string()
}

/// The deploy story copied: its database and migrations in a folder.
struct Story {
    dir: tempfile::TempDir,
    url: String,
    migrations: String,
}

impl Story {
    fn new() -> Self {
        let (dir, url) = story_copy();
        let migrations = story_migrations(dir.path());
        Story {
            dir,
            url,
            migrations,
        }
    }

    /// Runs `driftless CMD --db … --migrations … EXTRA`, expecting `code`.
    async fn run(&self, cmd: &str, extra: &[&str], code: i32) -> Run {
        let mut args = vec![cmd, "--db", &self.url, "--migrations", &self.migrations];
        args.extend_from_slice(extra);
        let run = driftless(&args).await;
        assert_eq!(run.code, Some(code), "{run:#?}");
        run
    }

    /// `text` with the story's folder shown as `<dir>`.
    fn masked(&self, text: &str) -> String {
        masked(text, &[(&self.dir.path().display().to_string(), "<dir>")])
    }
}

/// Regression: a step's reason repeated its object (`rebuild table
/// main.blog_post: …`), an unfixed finding its object
/// (`column main.x: column main.x is …`); `ledger-effect-missing`
/// findings that the plan's own steps settle were listed as without an
/// automatic fix.
#[tokio::test]
async fn plan_reasons_name_each_object_once() {
    let story = Story::new();
    let run = story.run("plan", &[], 1).await;
    assert_snapshot("plan-reasons.sql", &story.masked(&run.stdout));
    assert!(
        !run.stdout.contains("without an automatic fix"),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.stdout
            .matches("; settles ledger-effect-missing: ")
            .count(),
        2
    );
}

/// Regression: `fix` listed a pending migration (left to migrate, not
/// failing) as "Not fixable automatically", then said "Converged".
#[tokio::test]
async fn fix_lists_as_unfixable_only_what_still_fails() {
    let story = Story::new();
    std::fs::write(
        Path::new(&story.migrations).join("0006_tags.sql"),
        "CREATE TABLE tags (id INTEGER PRIMARY KEY);\n",
    )
    .unwrap();
    let run = story.run("fix", &["--apply"], 0).await;
    assert_snapshot("fix-pending-left.txt", &story.masked(&run.stdout));
}

/// Regression: the hint for a migration whose effects are present named
/// Django's `--fake` whatever the ledger; and without a ledger the reason
/// was said twice (`(it has no migration ledger) (no migration ledger in
/// the database)`).
#[tokio::test]
async fn ledger_messages_name_the_ledger_found() {
    let story = Story::new();
    // Repaired, then 0005's ledger row lost while its column stays: the
    // hint speaks of sqlx's ledger, not of Django's --fake.
    story.run("fix", &["--apply"], 0).await;
    let mut db = open(&story.url).await;
    run_sql(&mut db, "DELETE FROM _sqlx_migrations WHERE version = 5").await;
    db.close().await.unwrap();
    let unrecorded = story.masked(&story.run("check", &[], 1).await.stdout);

    // A new database: no ledger at all.
    let fresh = TestDb::sqlite();
    let args = [
        "check",
        "--db",
        &fresh.url,
        "--migrations",
        &story.migrations,
    ];
    let run = driftless(&args).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    let new = story.masked(&run.stdout).replace(&fresh.url, "<db>");
    assert_snapshot("ledger-messages.txt", &format!("{unrecorded}\n{new}"));
}

/// Regression: `failed to replay on sqlite::memory:: near …`.
#[tokio::test]
async fn a_failed_replay_in_memory_names_the_url_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("1_a.sql"), "CREATE TABLE a (id INTEGER);\n").unwrap();
    std::fs::write(dir.path().join("2_b.sql"), "CREATE TABLEX b;\n").unwrap();
    let db = TestDb::sqlite();
    let folder = dir.path().display().to_string();
    let run = driftless(&["check", "--db", &db.url, "--migrations", &folder]).await;
    assert_eq!(run.code, Some(2), "{run:#?}");
    let text = masked(&run.stderr, &[(&folder, "<dir>")]);
    assert_snapshot("replay-in-memory.txt", &text);
}

/// Regression: `view-definition-mismatch` said only "definition differs".
#[tokio::test]
async fn a_view_mismatch_shows_the_lines_that_differ() {
    let expected = TestDb::sqlite();
    let actual = TestDb::sqlite();
    let table = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, active INTEGER);";
    expected
        .exec(&format!(
            "{table} CREATE VIEW active_users AS\nSELECT id, email\nFROM users\nWHERE active = 1;"
        ))
        .await;
    actual
        .exec(&format!(
            "{table} CREATE VIEW active_users AS\nSELECT id,   email\nFROM users\nORDER BY id;"
        ))
        .await;
    let run = driftless(&["check", "--db", &actual.url, "--expect", &expected.url]).await;
    assert_eq!(run.code, Some(1), "{run:#?}");
    let text = masked(
        &run.stdout,
        &[(&actual.url, "<actual>"), (&expected.url, "<expected>")],
    );
    assert_snapshot("view-diff.txt", &text);
}

/// Regression: `(((lower(name))))`, `rebuild enum type enum …`, and a
/// view mismatch without its difference (PostgreSQL, whose view
/// definitions span several lines).
#[tokio::test]
async fn enum_and_expression_index_messages_on_postgres() {
    let expected = TestDb::postgres().await;
    let actual = TestDb::postgres().await;
    expected
        .exec(
            "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
             CREATE TABLE people (id int PRIMARY KEY, name text, m mood);
             CREATE INDEX people_lower ON people ((lower(name)));
             CREATE INDEX people_upper ON people ((upper(name)));
             CREATE VIEW named AS SELECT id, name FROM people WHERE name IS NOT NULL;",
        )
        .await;
    actual
        .exec(
            "CREATE TYPE mood AS ENUM ('ok', 'sad');
             CREATE TABLE people (id int PRIMARY KEY, name text, m mood);
             CREATE INDEX people_lower ON people ((upper(name)));
             CREATE VIEW named AS SELECT id, name FROM people ORDER BY id;",
        )
        .await;
    let check = driftless(&["check", "--db", &actual.url, "--expect", &expected.url]).await;
    assert_eq!(check.code, Some(1), "{check:#?}");
    let plan = driftless(&["plan", "--db", &actual.url, "--expect", &expected.url]).await;
    assert_eq!(plan.code, Some(1), "{plan:#?}");
    let comments: Vec<&str> = plan
        .stdout
        .lines()
        .filter(|l| l.starts_with("-- step") || l.starts_with("-- reason"))
        .collect();
    let text = format!("{}\n{}\n", check.stdout, comments.join("\n"));
    let text = masked(
        &text,
        &[(&actual.url, "<actual>"), (&expected.url, "<expected>")],
    );
    assert_snapshot("postgres-enum-index.txt", &text);
}

/// Usage errors that must name what to do: a missing source, `--orphans
/// drop` without `--allow-destructive`, a schema that does not exist.
#[tokio::test]
async fn usage_errors_name_the_way_out() {
    let story = Story::new();
    let file = story.url.trim_start_matches("sqlite:").to_string();
    let before = std::fs::read(&file).unwrap();
    let mut text = String::new();
    let run = driftless(&["check", "--db", &story.url]).await;
    assert_eq!(run.code, Some(2), "{run:#?}");
    text.push_str(&format!("$ driftless check\n{}\n", run.stderr));
    let run = story.run("fix", &["--apply", "--orphans", "drop"], 2).await;
    assert_eq!(run.stdout, "", "{run:#?}");
    text.push_str(&format!("$ driftless fix --apply\n{}\n", run.stderr));
    assert_eq!(std::fs::read(&file).unwrap(), before, "nothing changed");
    assert_snapshot("usage-errors.txt", &story.masked(&text));
}

/// Regression: `snapshot --schema nope` wrote an empty snapshot and exited
/// 0; `check --schema nope` compared nothing with nothing.
#[tokio::test]
async fn a_schema_that_does_not_exist_is_an_error() {
    let db = TestDb::postgres().await;
    db.exec("CREATE TABLE t (id int)").await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("schema.json");
    let out_arg = out.display().to_string();
    let snapshot = driftless(&[
        "snapshot", "--db", &db.url, "--schema", "nope", "-o", &out_arg,
    ])
    .await;
    assert_eq!(snapshot.code, Some(2), "{snapshot:#?}");
    assert!(!out.exists(), "nothing written");
    // Expected and actual alike lack it: a wrong name, not drift.
    let good = driftless(&["snapshot", "--db", &db.url, "-o", &out_arg]).await;
    assert_eq!(good.code, Some(0), "{good:#?}");
    let check = driftless(&[
        "check", "--db", &db.url, "--expect", &out_arg, "--schema", "public", "--schema", "nope",
    ])
    .await;
    assert_eq!(check.code, Some(2), "{check:#?}");
    let text = format!("{}{}", snapshot.stderr, check.stderr);
    let text = masked(&text, &[(&db.url, "<db>")]);
    assert_snapshot("missing-schema.txt", &text);
    // SQLite says so too (its schemas are attached databases).
    let lite = TestDb::sqlite();
    let run = driftless(&["snapshot", "--db", &lite.url, "--schema", "nope"]).await;
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert_eq!(run.stdout, "", "{run:#?}");
}

/// The examples of every `--help` fit an 80-column terminal (a long
/// command is continued with ` \`), and `plan` states its exit codes.
#[tokio::test]
async fn help_examples_at_80_columns() {
    let mut text = String::new();
    for cmd in ["check", "plan", "fix"] {
        let mut c = command(&[cmd, "--help"]);
        c.env("COLUMNS", "80");
        let run = finish(c.spawn().unwrap()).await;
        assert_eq!(run.code, Some(0), "{run:#?}");
        let examples = run.stdout.split_once("Examples:").unwrap().1;
        assert!(examples.lines().all(|l| l.len() <= 80), "{examples}");
        text.push_str(&format!("$ driftless {cmd} --help\nExamples:{examples}\n"));
    }
    assert_snapshot("help-examples.txt", &text);
    // `rules` opens no database: no connection flags.
    let run = driftless(&["rules", "--help"]).await;
    assert!(!run.stdout.contains("--connect-timeout"), "{run:#?}");
    let run = driftless(&["rules", "--connect-timeout", "3"]).await;
    assert_eq!(run.code, Some(2), "{run:#?}");
}

/// Regression: `Withheld: [destructive] drop column column main.t.c`: a
/// withheld step names its object once.
#[tokio::test]
async fn withheld_steps_name_their_object_once() {
    let story = Story::new();
    let extra = ["--apply", "--allow", "safe", "--orphans", "keep"];
    let run = story.run("fix", &extra, 1).await;
    let withheld: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("Withheld:") || l.starts_with("Not fixable"))
        .collect();
    let text = story.masked(&format!("{}\n", withheld.join("\n")));
    assert_snapshot("fix-withheld.txt", &text);
}
