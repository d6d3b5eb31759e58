//! The Alembic repair story (tests/frameworks/alembic-repair, Alembic from
//! `scripts/test-python`): a revision graph with a branch and a merge,
//! production at the merge with `account.is_active` (recorded on one
//! branch) dropped by hand, a hand-made `account.nickname` holding data,
//! and the pending revision half done (its `invoice.note` made by hand,
//! its index not). `fix --apply` repairs and records, then Alembic's own
//! `upgrade head` and `check` pass and nothing was lost.

use driftless_testkit::{python, python_ok, TestDb};

use crate::support::driftless;

/// Runs SQL statements against `url` with SQLAlchemy.
const SQL: &str = "import os, sys, sqlalchemy as sa\nraw = os.environ['DATABASE_URL'].replace('postgres://', 'postgresql+psycopg://', 1)\nwith sa.create_engine(raw).begin() as c:\n    for s in sys.argv[1:]:\n        c.execute(sa.text(s))";

/// Prints `True` when a value `annie` is kept in what driftless set
/// aside (a quarantined column, table or schema).
const KEPT: &str = "import os, sqlalchemy as sa\nraw = os.environ['DATABASE_URL'].replace('postgres://', 'postgresql+psycopg://', 1)\ne = sa.create_engine(raw)\ni = sa.inspect(e)\nmark = '_driftless_quarantine'\nschemas = [None] + [s for s in i.get_schema_names() if s.startswith('driftless')]\nfound = False\nwith e.connect() as c:\n    for s in schemas:\n        for t in i.get_table_names(schema=s):\n            for col in i.get_columns(t, schema=s):\n                if s or t.startswith(mark) or col['name'].startswith(mark):\n                    q = sa.table(t, sa.column(col['name']), schema=s)\n                    v = sa.cast(q.c[col['name']], sa.String)\n                    found = found or c.execute(sa.select(v).where(v == 'annie')).first() is not None\nprint(found)";

/// Production as the story left it, built by Alembic itself (`note` spelled
/// as Alembic spells it: SQLite keeps a declared type as written).
fn production(project: &std::path::Path, url: &str) {
    python_ok(project, url, &["-m", "alembic", "upgrade", "d00dfeed4242"]);
    python_ok(
        project,
        url,
        &[
            "-c",
            SQL,
            "ALTER TABLE account DROP COLUMN is_active",
            "ALTER TABLE account ADD COLUMN nickname varchar(50)",
            "INSERT INTO account (id, email, nickname) VALUES (1, 'ann@example.com', 'annie')",
            "ALTER TABLE invoice ADD COLUMN note VARCHAR(200)",
        ],
    );
}

async fn repaired(url: &str, dev: Option<&str>, schema: &str) {
    let project = driftless_testkit::framework_project("alembic-repair");
    let project = project.path();
    production(project, url);
    // Alembic's own upgrade fails on the half-done revision.
    let out = std::process::Command::new(python())
        .args(["-m", "alembic", "upgrade", "head"])
        .current_dir(project)
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "the upgrade should fail before the fix"
    );
    let dir = project.display().to_string();
    let py = python();
    let mut args = vec!["fix", "--db", url, "--migrations", &dir, "--python", &py];
    if let Some(dev) = dev {
        args.extend(["--dev-url", dev]);
    }
    args.push("--apply");
    let run = driftless(&args).await;
    assert_eq!(run.code, Some(0), "{}", run.output());
    for needle in [
        format!("quarantine column {schema}.account.nickname"),
        format!("add column {schema}.account.is_active"),
        format!("create index {schema}.invoice.invoice_account_idx"),
        "record migration f1e2d3c4b5a6".to_string(),
    ] {
        assert!(
            run.stdout.contains(&needle),
            "missing `{needle}` in:\n{}",
            run.stdout
        );
    }
    assert!(
        !run.stdout
            .contains(&format!("add column {schema}.invoice.note")),
        "{}",
        run.stdout
    );
    // Alembic agrees: at head, nothing to upgrade, the models match.
    python_ok(project, url, &["-m", "alembic", "upgrade", "head"]);
    let current = python_ok(project, url, &["-m", "alembic", "current"]);
    assert!(current.contains("f1e2d3c4b5a6 (head)"), "{current}");
    python_ok(project, url, &["-m", "alembic", "check"]);
    // The hand-made column's data is kept aside.
    let kept = python_ok(project, url, &["-c", KEPT]);
    assert_eq!(kept.trim(), "True");
    // A second fix has nothing to do.
    args.pop();
    args[0] = "check";
    let again = driftless(&args).await;
    assert_eq!(again.code, Some(0), "{}", again.output());
}

#[tokio::test]
async fn an_alembic_graph_is_repaired_and_upgrade_and_check_pass_on_sqlite() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = format!("sqlite:///{}", dir.path().join("production.db").display());
    repaired(&url, None, "main").await;
}

#[tokio::test]
async fn an_alembic_graph_is_repaired_and_upgrade_and_check_pass_on_postgres() {
    let (prod, dev) = (TestDb::postgres().await, TestDb::postgres().await);
    repaired(&prod.url, Some(&dev.url), "public").await;
}
