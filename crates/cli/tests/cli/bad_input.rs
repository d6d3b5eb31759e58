//! Invalid input through the binary: corrupt snapshot files, bad
//! configuration files and unparsable migration folders (and every input
//! of the committed fuzz corpus) end with exit code 2 and one `error:`
//! line naming the file — never a panic or a backtrace.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_driftless");

#[derive(Debug)]
struct Run {
    /// Shown in failure messages.
    #[allow(dead_code)]
    args: Vec<String>,
    code: i32,
    stdout: String,
    stderr: String,
}

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("DRIFTLESS_LOG")
        .env("RUST_BACKTRACE", "1")
        .env("NO_COLOR", "1");
    c
}

fn run_of(args: &[&str], out: std::process::Output) -> Run {
    Run {
        args: args.iter().map(|a| a.to_string()).collect(),
        code: out.status.code().expect("exit code, not a signal"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn driftless(dir: &Path, args: &[&str]) -> Run {
    run_of(args, command(dir, args).output().expect("run driftless"))
}

/// [`driftless`], killed (and the test failed) if it runs longer than
/// `limit`: for inputs that once made it spin forever.
fn driftless_within(dir: &Path, args: &[&str], limit: Duration) -> Run {
    let mut child = command(dir, args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start driftless");
    let started = Instant::now();
    while child.try_wait().expect("poll driftless").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "`driftless {}` did not finish within {limit:?}",
                args.join(" ")
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    run_of(args, child.wait_with_output().expect("collect the output"))
}

/// Exit 2, one `error:` line on stderr containing `needle`, no panic.
fn assert_input_error(run: &Run, needle: &str) {
    assert_eq!(run.code, 2, "{run:#?}");
    assert_eq!(run.stdout, "", "nothing on stdout: {run:#?}");
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {run:#?}");
    assert!(lines[0].starts_with("error: "), "{run:#?}");
    assert!(lines[0].contains(needle), "`{needle}` not in {run:#?}");
    for bad in ["panicked", "backtrace", "internal error", "RUST_BACKTRACE"] {
        assert!(!run.stderr.contains(bad), "{run:#?}");
    }
}

/// A folder with an empty SQLite database `live.db`; returns its URL.
fn setup() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    std::fs::File::create(&db).unwrap();
    let url = format!("sqlite://{}", db.display());
    (dir, url)
}

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn corrupt_snapshots() {
    let (dir, url) = setup();
    let d = dir.path();
    let cases: &[(&str, &[u8], &str)] = &[
        ("truncated.json", b"{\"format_version\": 1, \"dialect\": \"sqlite\", \"schemas\": {", "truncated.json:"),
        ("garbage.json", b"\xff\xfe\x00garbage\x01", "garbage.json"),
        ("empty.json", b"", "empty.json:"),
        ("wrong_types.json", b"{\"format_version\": \"one\", \"dialect\": 7, \"schemas\": []}", "wrong_types.json:"),
        ("unknown_dialect.json", b"{\"format_version\": 1, \"dialect\": \"oracle\", \"schemas\": {}}", "unknown_dialect.json:"),
        ("newer.json", b"{\"format_version\": 999, \"dialect\": \"sqlite\", \"schemas\": {}}", "newer"),
        ("unknown_field.json", b"{\"format_version\": 1, \"dialect\": \"sqlite\", \"schemas\": {\"main\": {\"tables\": {\"t\": {\"columns\": {\"c\": {\"position\": 1, \"data_type\": \"INT\", \"nullable\": true, \"bogus\": 1}}}}}}}", "unknown_field.json:"),
        ("huge_number.json", b"{\"format_version\": 1e999, \"dialect\": \"sqlite\", \"schemas\": {}}", "huge_number.json"),
        ("deep.json", &[b'['; 100_000], "deep.json"),
    ];
    for (name, bytes, needle) in cases {
        std::fs::write(d.join(name), bytes).unwrap();
        for cmd in ["check", "plan", "fix"] {
            let run = driftless(d, &[cmd, "--db", &url, "--expect", name]);
            assert_input_error(&run, needle);
        }
    }
    // A missing file and a folder that is not a migrations folder.
    assert_input_error(
        &driftless(d, &["check", "--db", &url, "--expect", "missing.json"]),
        "missing.json",
    );
}

/// Every snapshot seed and crash input of the fuzz corpus, as `--expect`:
/// exit 0/1 when it reads, 2 with one error line when it does not.
#[test]
fn fuzz_corpus_snapshots_through_the_cli() {
    let (dir, url) = setup();
    let d = dir.path();
    for file in corpus("snapshot_json") {
        let run = driftless(
            d,
            &["check", "--db", &url, "--expect", file.to_str().unwrap()],
        );
        match run.code {
            0 | 1 => assert!(!run.stderr.contains("panicked"), "{run:#?}"),
            _ => assert_input_error(&run, ""),
        }
    }
}

#[test]
fn bad_configuration_files() {
    let (dir, url) = setup();
    let d = dir.path();
    let snap = d.join("s.json");
    std::fs::write(
        &snap,
        "{\"format_version\": 1, \"dialect\": \"sqlite\", \"schemas\": {}}",
    )
    .unwrap();
    let cases: &[(&str, &str, &str)] = &[
        ("syntax.toml", "fail_on = \"error\n[rules", "syntax.toml:"),
        ("unknown_key.toml", "colour = true\n", "unknown_key.toml:"),
        ("bad_severity.toml", "fail_on = \"fatal\"\n", "bad_severity.toml:"),
        ("unknown_rule.toml", "[rules]\n\"orphan-colum\" = \"off\"\n", "unknown_rule.toml:"),
        ("bad_glob.toml", "ignore = [\"[a-\"]\n", "bad_glob.toml:"),
        ("bad_waiver.toml", "[[waiver]]\nrule = \"orphan-column\"\nobject = \"*\"\n", "bad_waiver.toml:"),
        ("bad_date.toml", "[[waiver]]\nrule = \"orphan-column\"\nobject = \"*\"\nreason = \"r\"\nowner = \"o\"\nexpires = 2025-02-30\n", "bad_date.toml:"),
        ("binary.toml", "\u{0}\u{1}\u{2}", "binary.toml"),
    ];
    for (name, text, needle) in cases {
        std::fs::write(d.join(name), text).unwrap();
        let run = driftless(
            d,
            &[
                "check", "--db", &url, "--expect", "s.json", "--config", name,
            ],
        );
        assert_input_error(&run, needle);
    }
    // Found by discovery (driftless.toml in the current folder), not named.
    std::fs::write(d.join("driftless.toml"), "[rules\n").unwrap();
    assert_input_error(
        &driftless(d, &["check", "--db", &url, "--expect", "s.json"]),
        "driftless.toml",
    );
    // Every config seed of the fuzz corpus.
    for file in corpus("config_toml") {
        let run = driftless(
            d,
            &[
                "check",
                "--db",
                &url,
                "--expect",
                "s.json",
                "--config",
                file.to_str().unwrap(),
            ],
        );
        match run.code {
            0 | 1 => assert!(!run.stderr.contains("panicked"), "{run:#?}"),
            _ => assert_input_error(&run, ""),
        }
    }
}

#[test]
fn unparsable_migration_folders() {
    let (dir, url) = setup();
    let d = dir.path();
    // (folder, its files, what the error names)
    type Case<'a> = (&'a str, &'a [(&'a str, &'a [u8])], &'a str);
    let cases: &[Case] = &[
        ("invalid_utf8", &[("1_a.sql", b"SELECT 1;\n\xff\xfe")], "1_a.sql"),
        ("duplicate_ids", &[("V1__a.sql", b""), ("V1.0__b.sql", b"")], "duplicate"),
        ("bad_sql", &[("1_a.sql", b"CREATE TABLE (;\n")], "1_a.sql"),
        ("out_of_range", &[("99999999999999999999_a.sql", b"SELECT 1;")], ""),
        (
            "django_missing_dependency",
            &[("shop/migrations/0002_x.py", b"from django.db import migrations\nclass Migration(migrations.Migration):\n    dependencies = [('shop', '0001_missing')]\n")],
            "0002_x.py",
        ),
        ("empty", &[], ""),
        ("only_notes", &[("notes.txt", b"hello")], ""),
    ];
    for (name, files, needle) in cases {
        let folder = d.join(name);
        std::fs::create_dir_all(&folder).unwrap();
        for (path, bytes) in *files {
            let p = folder.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        }
        let f = folder.to_str().unwrap();
        let mut runs = vec![
            vec!["check", "--db", url.as_str(), "--migrations", f],
            vec!["plan", "--db", url.as_str(), "--expect", f],
        ];
        // `migrations` reads the files without running them.
        if *name != "bad_sql" {
            runs.push(vec!["migrations", "--db", url.as_str(), "--migrations", f]);
        }
        for args in runs {
            assert_input_error(&driftless(d, &args), needle);
        }
    }
    assert_input_error(
        &driftless(
            d,
            &["check", "--db", &url, "--migrations", "no_such_folder"],
        ),
        "no_such_folder",
    );
}

/// How long a run on bad input may take: it once never ended.
const PROMPTLY: Duration = Duration::from_secs(20);

/// Regression: a NUL byte in a migration file made SQLite's driver spin
/// forever (100 % CPU) replaying it; `fix --apply` spun inside its write
/// transaction, locking every other writer out. It is bad input, named by
/// file and line, before anything runs.
#[test]
fn regression_nul_in_a_migration_file_is_bad_input_naming_the_file_and_line() {
    let (dir, url) = setup();
    let d = dir.path();
    let live = d.join("live.db");
    type Case<'a> = (&'a str, &'a [(&'a str, &'a [u8])], &'a str);
    let cases: &[Case] = &[
        (
            "after_the_last_statement",
            &[(
                "0001_init.sql",
                b"CREATE TABLE u (id INTEGER PRIMARY KEY);\0\n",
            )],
            "0001_init.sql:1: the file holds a NUL character (column 41)",
        ),
        (
            "inside_a_statement",
            &[(
                "0001_init.sql",
                b"CREATE TABLE u (id INTEGER PRIMARY KEY);\n\nCREATE TABLE v (\0id int);\n",
            )],
            "0001_init.sql:3: the file holds a NUL character (column 17)",
        ),
        (
            "in_a_later_file",
            &[
                ("0001_a.sql", b"CREATE TABLE a (id int);\n"),
                ("0002_b.sql", b"CREATE TABLE b (id int);\n\0"),
            ],
            "0002_b.sql:2: the file holds a NUL character",
        ),
    ];
    for (name, files, needle) in cases {
        let folder = d.join(name);
        std::fs::create_dir_all(&folder).unwrap();
        for (path, bytes) in *files {
            std::fs::write(folder.join(path), bytes).unwrap();
        }
        let f = folder.to_str().unwrap();
        let before = std::fs::read(&live).unwrap();
        for args in [
            vec!["check", "--db", url.as_str(), "--migrations", f],
            vec!["plan", "--db", url.as_str(), "--expect", f],
            vec!["fix", "--db", url.as_str(), "--expect", f, "--apply"],
            vec!["migrations", "--db", url.as_str(), "--migrations", f],
        ] {
            assert_input_error(&driftless_within(d, &args, PROMPTLY), needle);
        }
        assert_eq!(
            std::fs::read(&live).unwrap(),
            before,
            "{name}: nothing changed"
        );
    }
}

/// Regression: a snapshot whose column default holds `\u0000` put a NUL
/// into the fix's SQL, and `fix --apply` spun forever inside its write
/// transaction. The snapshot is bad input naming the object.
#[test]
fn regression_nul_in_a_snapshot_is_bad_input_naming_the_object() {
    let (dir, url) = setup();
    let d = dir.path();
    let live = d.join("live.db");
    // The live table, made by the binary from a snapshot without NUL.
    let table = |extra: &str| {
        format!(
            r#"{{"format_version": 1, "dialect": "sqlite", "schemas": {{"main": {{"tables": {{"u": {{"columns": {{"id": {{"position": 1, "data_type": "INTEGER", "nullable": false}}{extra}}}, "primary_key": {{"name": "pk_u", "columns": ["id"]}}}}}}}}}}}}"#
        )
    };
    std::fs::write(d.join("base.json"), table("")).unwrap();
    let made = driftless_within(
        d,
        &["fix", "--db", &url, "--expect", "base.json", "--apply"],
        PROMPTLY,
    );
    assert_eq!(made.code, 0, "{made:#?}");
    let cases = [
        (
            "default.json",
            table(
                r#", "extra": {"position": 2, "data_type": "TEXT", "nullable": true, "default": "'x'\u0000"}"#,
            ),
            "default.json:1:",
            "the default of column main.u.extra holds a NUL character",
        ),
        (
            "name.json",
            table(r#", "ex\u0000tra": {"position": 2, "data_type": "TEXT", "nullable": true}"#),
            "name.json:1:",
            "the name of column main.u.ex\\0tra holds a NUL character",
        ),
    ];
    for (name, text, at, what) in &cases {
        std::fs::write(d.join(name), text).unwrap();
        let before = std::fs::read(&live).unwrap();
        for args in [
            vec!["check", "--db", url.as_str(), "--expect", name],
            vec!["plan", "--db", url.as_str(), "--expect", name],
            vec!["fix", "--db", url.as_str(), "--expect", name, "--apply"],
        ] {
            let run = driftless_within(d, &args, PROMPTLY);
            assert_input_error(&run, at);
            assert_input_error(&run, what);
        }
        assert_eq!(
            std::fs::read(&live).unwrap(),
            before,
            "{name}: nothing changed"
        );
    }
}

/// Runs `driftless args` in `dir` with at most 1 GB of address space,
/// failing the test when it has not ended within two minutes: a file read
/// without end (a link to `/dev/zero`) or an open that never returns (a
/// FIFO) can neither stall the test nor swamp the machine.
#[cfg(unix)]
async fn driftless_bounded(dir: &Path, args: &[&str]) -> Run {
    let mut command = support::command_with_memory_limit(args, 1_000_000);
    let run = support::finish(command.current_dir(dir).spawn().expect("run driftless")).await;
    Run {
        args: args.iter().map(|a| a.to_string()).collect(),
        code: run.code.expect("exit code, not a signal"),
        stdout: run.stdout,
        stderr: run.stderr,
    }
}

/// A token of a secret file outside the migrations folder.
#[cfg(unix)]
const SECRET_TOKEN: &str = "S3CRET-TOKEN-4711";

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(made.success(), "mkfifo {}", path.display());
}

/// A link to `/dev/zero` grew memory until killed, a FIFO blocked for
/// ever, and a link to a secret file outside the folder was read and a
/// token of it echoed in the replay error. Each is refused now, before
/// anything is read, naming the entry and why.
#[cfg(unix)]
#[tokio::test]
async fn special_files_in_a_migration_folder_are_refused() {
    use std::os::unix::fs::symlink;
    let (dir, url) = setup();
    let d = dir.path();
    std::fs::write(
        d.join("shadow"),
        format!("root:$6${SECRET_TOKEN}$x:19000:0:99999:7:::\n"),
    )
    .unwrap();
    let valid = b"CREATE TABLE kept (id integer primary key);\n";
    // (folder, the refused entry, what the error says about it)
    let cases: &[(&str, &str, &str)] = &[
        (
            "zero",
            "2_zero.sql",
            "it is a character device, not a regular file",
        ),
        (
            "fifo",
            "2_wait.sql",
            "it is a FIFO (named pipe), not a regular file",
        ),
        ("secret", "2_secret.sql", "outside the folder being read"),
        (
            "folder",
            "2_folder.sql",
            "it is a folder, not a regular file",
        ),
    ];
    for (name, entry, why) in cases {
        let folder = d.join(name);
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join("1_kept.sql"), valid).unwrap();
        let path = folder.join(entry);
        match *name {
            "zero" => symlink("/dev/zero", &path).unwrap(),
            "fifo" => mkfifo(&path),
            "secret" => symlink(d.join("shadow"), &path).unwrap(),
            _ => std::fs::create_dir(&path).unwrap(),
        }
        let f = folder.to_str().unwrap();
        let why = match *name {
            "secret" => format!(
                "it is a symbolic link to {}, {why}",
                d.canonicalize().unwrap().join("shadow").display()
            ),
            _ => why.to_string(),
        };
        for args in [
            vec!["check", "--db", url.as_str(), "--migrations", f],
            vec!["plan", "--db", url.as_str(), "--expect", f],
            vec!["migrations", "--db", url.as_str(), "--migrations", f],
        ] {
            let run = driftless_bounded(d, &args).await;
            assert_input_error(&run, &format!("cannot read migration {f}/{entry}: {why}"));
            assert!(!run.stderr.contains(SECRET_TOKEN), "{run:#?}");
        }
    }
}

/// Entries that are not migration files are never opened: a FIFO or a
/// link to a device is skipped with a warning, a link to a folder is not
/// followed (with a warning), a link to a regular file inside the folder
/// is read.
#[cfg(unix)]
#[tokio::test]
async fn special_entries_that_are_not_migrations_are_skipped_with_a_warning() {
    use std::os::unix::fs::symlink;
    let (dir, url) = setup();
    let d = dir.path();
    let folder = d.join("migrations");
    std::fs::create_dir_all(folder.join("sql")).unwrap();
    std::fs::write(
        folder.join("sql/create.sql"),
        "CREATE TABLE linked_table (id integer primary key);\n",
    )
    .unwrap();
    symlink("sql/create.sql", folder.join("1_linked.sql")).unwrap();
    symlink("/dev/zero", folder.join("notes.txt")).unwrap();
    mkfifo(&folder.join("queue"));
    symlink("/etc", folder.join("etc")).unwrap();
    let f = folder.to_str().unwrap();
    let run = driftless_bounded(d, &["check", "--db", &url, "--migrations", f]).await;
    assert_eq!(
        run.code, 0,
        "a new database, the linked migration pending: {run:#?}"
    );
    assert!(
        run.stdout.contains("creates table main.linked_table"),
        "{run:#?}"
    );
    for (entry, why) in [
        ("notes.txt", "it is a character device, not a regular file"),
        ("queue", "it is a FIFO (named pipe), not a regular file"),
        (
            "etc",
            "it is a symbolic link to /etc, outside the folder being read",
        ),
    ] {
        let warning = format!("skipping {f}/{entry}: {why}");
        assert!(
            run.stderr
                .lines()
                .any(|l| l.contains("WARN") && l.contains(&warning)),
            "`{warning}` in {run:#?}"
        );
    }
}

/// A migration file over the limit (16 MiB by default) is refused with
/// the limit named; `--max-migration-size` raises it.
#[test]
fn oversized_migration_files_are_refused_unless_the_limit_is_raised() {
    let (dir, url) = setup();
    let d = dir.path();
    let folder = d.join("big");
    std::fs::create_dir(&folder).unwrap();
    let padding = format!("-- {}\n", "x".repeat(1020)).repeat(17 * 1024);
    std::fs::write(
        folder.join("1_big.sql"),
        format!("{padding}CREATE TABLE big_table (id integer primary key);\n"),
    )
    .unwrap();
    let f = folder.to_str().unwrap();
    for args in [
        vec!["check", "--db", url.as_str(), "--migrations", f],
        vec!["migrations", "--db", url.as_str(), "--migrations", f],
    ] {
        assert_input_error(
            &driftless(d, &args),
            "1_big.sql: it is larger than the limit of 16 MiB (16777216 bytes) for one file (raise it with --max-migration-size BYTES)",
        );
    }
    let raised = [
        "check",
        "--db",
        &url,
        "--migrations",
        f,
        "--max-migration-size",
        "32M",
    ];
    let run = driftless(d, &raised);
    // A new database: the migration is read, replayed and pending.
    assert_eq!(run.code, 0, "read, replayed, pending: {run:#?}");
    assert!(
        run.stdout.contains("creates table main.big_table"),
        "{run:#?}"
    );
    // And lowered: a small file over a small limit.
    let small = [
        "check",
        "--db",
        &url,
        "--migrations",
        f,
        "--max-migration-size",
        "1K",
    ];
    assert_input_error(&driftless(d, &small), "the limit of 1 KiB (1024 bytes)");
}

/// A snapshot or configuration file that is a FIFO, a link to a device or
/// a folder is refused without being read; so is a `driftless.toml`
/// found by discovery.
#[cfg(unix)]
#[tokio::test]
async fn special_snapshot_and_configuration_files_are_refused() {
    use std::os::unix::fs::symlink;
    let (dir, url) = setup();
    let d = dir.path();
    std::fs::write(
        d.join("s.json"),
        "{\"format_version\": 1, \"dialect\": \"sqlite\", \"schemas\": {}}",
    )
    .unwrap();
    symlink("/dev/zero", d.join("zero.json")).unwrap();
    mkfifo(&d.join("fifo.json"));
    for (file, why) in [
        ("zero.json", "it is a character device, not a regular file"),
        ("fifo.json", "it is a FIFO (named pipe), not a regular file"),
    ] {
        let run = driftless_bounded(d, &["check", "--db", &url, "--expect", file]).await;
        assert_input_error(&run, &format!("cannot read snapshot {file}: {why}"));
        let run = driftless_bounded(
            d,
            &[
                "check", "--db", &url, "--expect", "s.json", "--config", file,
            ],
        )
        .await;
        assert_input_error(&run, &format!("cannot read {file}: {why}"));
    }
    symlink("fifo.json", d.join("driftless.toml")).unwrap();
    let run = driftless_bounded(d, &["check", "--db", &url, "--expect", "s.json"]).await;
    assert_input_error(
        &run,
        "driftless.toml: it is a FIFO (named pipe), not a regular file",
    );
}
