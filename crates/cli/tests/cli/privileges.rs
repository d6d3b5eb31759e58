//! The opt-ins: `--privileges` (and `[coverage] privileges = true`) on `snapshot`,
//! `check`, `plan` and `fix`: PostgreSQL grants compared, repaired and
//! converged; without the opt-in they are listed as not compared and a
//! difference in them is no drift. Also `--extension-versions`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use driftless_model::{CatalogKind, Snapshot};
use driftless_testkit::TestDb;

use crate::support::*;

const ROLE: &str = "driftless_cli_auditor";

const SCHEMA: &str = "CREATE TABLE public.orders (id int PRIMARY KEY, total int);
INSERT INTO public.orders VALUES (1, 10);";

/// Two databases with the same table; the expected one grants SELECT to
/// the role, the actual one grants it DELETE instead.
async fn scenario() -> (TestDb, TestDb) {
    let expected = TestDb::postgres().await;
    expected
        .exec(&format!(
            "DO $$ BEGIN CREATE ROLE {ROLE} NOLOGIN; \
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
             {SCHEMA} GRANT SELECT ON public.orders TO {ROLE};"
        ))
        .await;
    let actual = TestDb::postgres().await;
    actual
        .exec(&format!(
            "{SCHEMA} GRANT DELETE ON public.orders TO {ROLE};"
        ))
        .await;
    (expected, actual)
}

#[tokio::test]
async fn privileges_are_compared_only_when_asked() {
    let (expected, actual) = scenario().await;
    let (a, e) = (actual.url.as_str(), expected.url.as_str());

    // Without the opt-in: no drift in what was compared, and the grant is
    // listed as not compared.
    let plain = driftless(&["check", "--db", a, "--expect", e]).await;
    assert_eq!(plain.code, Some(0), "{plain:#?}");
    assert!(
        plain.stdout.contains("not compared: 1 privilege"),
        "{}",
        plain.stdout
    );
    assert!(!plain.stdout.contains("No drift:"), "{}", plain.stdout);

    // With it: one grant missing (an error), one extra (a warning).
    let compared = driftless(&["check", "--db", a, "--expect", e, "--privileges"]).await;
    assert_eq!(compared.code, Some(1), "{compared:#?}");
    assert!(
        compared
            .stdout
            .contains("privilege SELECT to driftless_cli_auditor on public.orders is missing"),
        "{}",
        compared.stdout
    );
    assert!(
        compared.stdout.contains(
            "privilege DELETE to driftless_cli_auditor on public.orders exists but is not expected"
        ),
        "{}",
        compared.stdout
    );

    // The plan grants; the revoke waits for --allow-destructive.
    let plan = driftless(&["plan", "--db", a, "--expect", e, "--privileges"]).await;
    assert!(
        plan.stdout
            .contains("GRANT SELECT ON TABLE public.orders TO driftless_cli_auditor"),
        "{}",
        plan.stdout
    );
    let fix = driftless(&[
        "fix",
        "--db",
        a,
        "--expect",
        e,
        "--privileges",
        "--apply",
        "--allow-destructive",
    ])
    .await;
    assert_eq!(fix.code, Some(0), "{fix:#?}");
    let after = driftless(&["check", "--db", a, "--expect", e, "--privileges"]).await;
    assert_eq!(after.code, Some(0), "{after:#?}");
    let rows = actual
        .scalar_i64(&format!(
            "SELECT count(*) FROM public.orders WHERE has_table_privilege('{ROLE}', 'public.orders', 'SELECT') \
             AND NOT has_table_privilege('{ROLE}', 'public.orders', 'DELETE')"
        ))
        .await;
    assert_eq!(
        rows, 1,
        "the row is kept and the grants are the expected ones"
    );
}

#[tokio::test]
async fn snapshot_writes_privileges_with_the_flag_or_the_config() {
    let (expected, _actual) = scenario().await;
    let dir = tempfile::tempdir().unwrap();
    let read = |name: &str| -> Snapshot { Snapshot::load(&dir.path().join(name)).unwrap() };
    let without = dir.path().join("without.json");
    let run = driftless(&[
        "snapshot",
        "--db",
        &expected.url,
        "-o",
        without.to_str().unwrap(),
    ])
    .await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    let snap = read("without.json");
    assert!(!snap.objects.iter().any(|o| o.kind.is_privilege()));
    assert!(snap
        .unmodeled
        .iter()
        .any(|o| o.kind == CatalogKind::Privilege));
    assert!(snap.roles.is_empty());

    let with = dir.path().join("with.json");
    let run = driftless(&[
        "snapshot",
        "--db",
        &expected.url,
        "--privileges",
        "-o",
        with.to_str().unwrap(),
    ])
    .await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    let snap = read("with.json");
    let grant = snap
        .objects
        .iter()
        .find(|o| o.kind == CatalogKind::Privilege)
        .unwrap();
    assert_eq!(
        grant.definition,
        "GRANT SELECT ON TABLE public.orders TO driftless_cli_auditor"
    );
    assert!(snap.roles.iter().any(|r| r == ROLE));

    // The same from driftless.toml, found from the current folder.
    std::fs::write(
        dir.path().join("driftless.toml"),
        "[coverage]\nprivileges = true\n",
    )
    .unwrap();
    let mut c = command(&["snapshot", "--db", &expected.url, "-o", "config.json"]);
    c.current_dir(dir.path());
    let run = finish(c.spawn().unwrap()).await;
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(read("config.json").objects, snap.objects);
}

#[tokio::test]
async fn fleets_refuse_the_privileges_opt_in() {
    let (expected, actual) = scenario().await;
    let run = driftless(&[
        "check",
        "--db",
        &actual.url,
        "--each-schema",
        "public",
        "--expect",
        &expected.url,
        "--privileges",
    ])
    .await;
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert!(
        run.stderr.contains(
            "privileges, publications and extension versions are not compared across a fleet"
        ),
        "{}",
        run.stderr
    );
}

/// `--extension-versions` (and `[coverage] extension_versions = true`):
/// an older extension is drift only when asked, and `fix` updates it in
/// place.
#[tokio::test]
async fn extension_versions_are_compared_only_when_asked() {
    let expected = TestDb::postgres().await;
    expected
        .exec("CREATE EXTENSION citext VERSION '1.6'; CREATE TABLE t (e citext)")
        .await;
    let actual = TestDb::postgres().await;
    actual
        .exec("CREATE EXTENSION citext VERSION '1.5'; CREATE TABLE t (e citext); INSERT INTO t VALUES ('A')")
        .await;
    let (a, e) = (actual.url.as_str(), expected.url.as_str());

    let plain = driftless(&["check", "--db", a, "--expect", e]).await;
    assert_eq!(plain.code, Some(0), "{plain:#?}");

    let versions = &["check", "--db", a, "--expect", e, "--extension-versions"];
    let compared = driftless(versions).await;
    assert_eq!(compared.code, Some(1), "{compared:#?}");
    assert!(
        compared.stdout.contains("VERSION '1.6'"),
        "{}",
        compared.stdout
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("driftless.toml"),
        "[coverage]\nextension_versions = true\n",
    )
    .unwrap();
    let mut c = command(&["check", "--db", a, "--expect", e]);
    c.current_dir(dir.path());
    let configured = finish(c.spawn().unwrap()).await;
    assert_eq!(configured.code, Some(1), "{configured:#?}");

    let plan = driftless(&["plan", "--db", a, "--expect", e, "--extension-versions"]).await;
    assert!(
        plan.stdout
            .contains("ALTER EXTENSION citext UPDATE TO '1.6'"),
        "{plan:#?}"
    );
    let fix = &[
        "fix",
        "--db",
        a,
        "--expect",
        e,
        "--extension-versions",
        "--apply",
    ];
    let fixed = driftless(fix).await;
    assert_eq!(fixed.code, Some(0), "{fixed:#?}");
    assert!(
        fixed.stdout.contains("[safe] alter extension citext"),
        "{}",
        fixed.stdout
    );
    let again = driftless(versions).await;
    assert_eq!(again.code, Some(0), "{again:#?}");
}
