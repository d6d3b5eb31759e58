//! The Django stepper on the story project (tests/frameworks/django-story)
//! and the Alembic one on a revision graph with a branch and a merge
//! (tests/frameworks/alembic-story), with the real frameworks from `scripts/test-python`: the graph Django
//! reports, one migration a step on SQLite and PostgreSQL with the
//! statements each ran, the framework's own errors, and a start that fails.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use driftless_introspect::{ConnectOptions, Database, DbUrl, IntrospectOptions};
use driftless_migrations::{django_project, Framework, MigrationKey, StepOutcome, Stepper};
use driftless_testkit::TestDb;

fn story() -> (tempfile::TempDir, Framework) {
    let dir = driftless_testkit::framework_project("django-story");
    let framework = Framework::django(dir.path(), driftless_testkit::python());
    (dir, framework)
}

fn key(app: &str, name: &str) -> MigrationKey {
    MigrationKey::new(app, name)
}

/// The table's columns, by name.
async fn columns(url: &DbUrl, table: &str) -> Vec<String> {
    let mut db = Database::connect(url, &ConnectOptions::read_only())
        .await
        .unwrap();
    let snap = db.snapshot(&IntrospectOptions::default()).await.unwrap();
    db.close().await.unwrap();
    let schema = snap.schemas.values().next().unwrap();
    schema.tables[table].columns.keys().cloned().collect()
}

async fn apply(stepper: &mut Stepper, m: &MigrationKey) -> Vec<String> {
    match stepper.apply(m).await.unwrap() {
        StepOutcome::Applied { statements } => statements.expect("a driver sees its statements"),
        other => panic!("{m} did not apply: {other:?}"),
    }
}

#[tokio::test]
async fn django_steps_one_migration_at_a_time_on_sqlite() {
    let (dir, framework) = story();
    let file = dir.path().join("dev.sqlite3");
    let dev = DbUrl::parse(&format!("sqlite:///{}", file.display())).unwrap();
    let mut stepper = Stepper::start(&framework, &dev).await.unwrap();
    let graph = stepper.graph().clone();
    assert!(
        graph.framework.starts_with("Django 5.2"),
        "{}",
        graph.framework
    );
    let ours: Vec<String> = graph
        .plan
        .iter()
        .filter(|k| k.app == "authentication")
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        ours,
        [
            "authentication.0001_initial",
            "authentication.0002_user_avatar",
            "authentication.0003_user_date_joined",
            "authentication.0004_remove_user_avatar",
            "authentication.0005_user_login_count",
            "authentication.0006_user_auth_user_login_count_idx"
        ]
    );
    // Django's own apps are in the graph, and their files are Django's.
    let auth = graph.nodes.iter().find(|n| n.app == "auth").unwrap();
    assert!(auth
        .file
        .as_ref()
        .unwrap()
        .to_string_lossy()
        .contains("django"));
    let node = graph
        .nodes
        .iter()
        .find(|n| n.key() == key("authentication", "0005_user_login_count"))
        .unwrap();
    assert_eq!(
        node.dependencies,
        [key("authentication", "0004_remove_user_avatar")]
    );

    // Everything up to 0004, which removed avatar again.
    for m in &graph.plan[..graph.plan.len() - 2] {
        apply(&mut stepper, m).await;
    }
    assert_eq!(
        columns(&dev, "authentication_user").await,
        ["date_joined", "email", "id", "username"]
    );
    let statements = apply(
        &mut stepper,
        &key("authentication", "0005_user_login_count"),
    )
    .await;
    assert!(
        statements.iter().any(|s| s.contains("login_count")),
        "{statements:#?}"
    );
    assert!(columns(&dev, "authentication_user")
        .await
        .contains(&"login_count".to_string()));
    stepper.finish().await.unwrap();
    assert_eq!(
        django_project(&dir.path().join("authentication/migrations")).unwrap(),
        dir.path().canonicalize().unwrap()
    );
}

#[tokio::test]
async fn django_reports_the_databases_error_for_a_failing_step_on_postgres() {
    let (_dir, framework) = story();
    let db = TestDb::postgres().await;
    let dev = DbUrl::parse(&db.url).unwrap();
    let mut stepper = Stepper::start(&framework, &dev).await.unwrap();
    apply(&mut stepper, &key("authentication", "0001_initial")).await;
    // 0004 removes the column 0002 adds: skipping 0002 makes it fail in
    // PostgreSQL, which Django reports, and the stepper goes on.
    match stepper
        .apply(&key("authentication", "0004_remove_user_avatar"))
        .await
        .unwrap()
    {
        StepOutcome::Failed { message, kind, .. } => {
            assert!(message.contains("avatar"), "{message}");
            assert!(kind.contains("Error"), "{kind}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    let statements = apply(&mut stepper, &key("authentication", "0002_user_avatar")).await;
    assert!(
        statements
            .iter()
            .any(|s| s.contains("ADD COLUMN \"avatar\"")),
        "{statements:#?}"
    );
    stepper.finish().await.unwrap();
    assert_eq!(
        columns(&dev, "authentication_user").await,
        ["avatar", "email", "id", "username"]
    );
}

#[tokio::test]
async fn a_stepper_that_cannot_start_says_why_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let framework = Framework::django(dir.path(), driftless_testkit::python());
    let dev = DbUrl::parse("postgres://someone:s3cret@127.0.0.1:5432/nowhere").unwrap();
    let err = Stepper::start(&framework, &dev)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("manage.py"), "{err}");
    assert!(!err.contains("s3cret"), "{err}");
    let missing = Framework::django(dir.path(), "/nonexistent/python");
    let err = Stepper::start(&missing, &dev)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot start /nonexistent/python"), "{err}");
}

#[tokio::test]
async fn alembic_steps_through_a_branch_and_a_merge_on_postgres() {
    let dir = driftless_testkit::framework_project("alembic-story");
    let framework = Framework::alembic(dir.path(), driftless_testkit::python());
    let db = TestDb::postgres().await;
    let dev = DbUrl::parse(&db.url).unwrap();
    let mut stepper = Stepper::start(&framework, &dev).await.unwrap();
    let graph = stepper.graph().clone();
    assert!(
        graph.framework.starts_with("Alembic 1."),
        "{}",
        graph.framework
    );
    let at = |rev: &str| graph.plan.iter().position(|k| k.name == rev).unwrap();
    assert_eq!(at("1a2b3c4d5e6f"), 0);
    assert!(at("d00dfeed4242") > at("5e7762e4d336") && at("d00dfeed4242") > at("9c0ffee12345"));
    assert_eq!(at("f1e2d3c4b5a6"), 4);
    let merge = graph
        .nodes
        .iter()
        .find(|n| n.name == "d00dfeed4242")
        .unwrap();
    assert_eq!(
        merge.dependencies,
        [key("", "5e7762e4d336"), key("", "9c0ffee12345")]
    );
    let mut ran = Vec::new();
    for m in &graph.plan {
        ran.push((m.name.clone(), apply(&mut stepper, m).await));
    }
    stepper.finish().await.unwrap();
    let (_, is_active) = ran.iter().find(|(n, _)| n == "5e7762e4d336").unwrap();
    assert!(
        is_active.iter().any(|s| s.contains("ADD COLUMN is_active")),
        "{is_active:#?}"
    );
    assert_eq!(columns(&dev, "account").await, ["email", "id", "is_active"]);
}

/// Provenance from the steppers: which migration made each object.
mod provenance {
    use super::*;
    use driftless_migrations::{replay_framework, ReplayOptions};
    use driftless_model::{EffectKind, ObjectKind, ObjectRef};

    fn column(schema: &str, table: &str, name: &str) -> ObjectRef {
        ObjectRef::table_part(ObjectKind::Column, schema, table, name)
    }

    #[tokio::test]
    async fn django_migrations_that_are_code_get_provenance_on_sqlite() {
        let (_dir, framework) = story();
        let replayed = replay_framework(&framework, &ReplayOptions::default())
            .await
            .unwrap();
        let (r, graph) = (&replayed.replay, &replayed.graph);
        assert_eq!(r.steps.len(), graph.plan.len());
        let p = &r.provenance;
        let login_count = column("main", "authentication_user", "login_count");
        assert_eq!(
            p.created_by(&login_count),
            Some("authentication.0005_user_login_count")
        );
        let index = ObjectRef::table_part(
            ObjectKind::Index,
            "main",
            "authentication_user",
            "auth_user_login_count_idx",
        );
        assert_eq!(
            p.created_by(&index),
            Some("authentication.0006_user_auth_user_login_count_idx")
        );
        let avatar = column("main", "authentication_user", "avatar");
        let removed = p.effects("authentication.0004_remove_user_avatar");
        assert!(
            removed
                .iter()
                .any(|e| e.object == avatar && e.kind == EffectKind::Dropped),
            "{removed:#?}"
        );
        // Scoped reads, and no second pass.
        assert!(r.reads.scoped >= 6, "{:?}", r.reads);
        assert!(!r.reads.replayed_in_full, "{:?}", r.reads);
        assert!(r.snapshot.schemas["main"]
            .tables
            .contains_key("auth_permission"));
    }

    #[tokio::test]
    async fn alembic_revisions_get_provenance_on_postgres() {
        let dir = driftless_testkit::framework_project("alembic-story");
        let framework = Framework::alembic(dir.path(), driftless_testkit::python());
        let target = TestDb::postgres().await;
        let dev = TestDb::postgres().await;
        let options = ReplayOptions::default()
            .with_target(DbUrl::parse(&target.url).unwrap())
            .with_dev_url(DbUrl::parse(&dev.url).unwrap());
        let replayed = replay_framework(&framework, &options).await.unwrap();
        let p = &replayed.replay.provenance;
        assert_eq!(
            p.created_by(&column("public", "account", "is_active")),
            Some("5e7762e4d336")
        );
        assert_eq!(
            p.created_by(&ObjectRef::table("public", "invoice")),
            Some("9c0ffee12345")
        );
        assert!(
            !replayed.replay.reads.replayed_in_full,
            "{:?}",
            replayed.replay.reads
        );
    }

    #[tokio::test]
    async fn a_migration_the_framework_cannot_apply_is_named_with_its_file() {
        let (dir, framework) = story();
        // A broken migration: 0003 now adds a column to a table that does not exist.
        let path = dir
            .path()
            .join("authentication/migrations/0003_user_date_joined.py");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(
            &path,
            text.replace(
                "AddField(",
                "RunSQL('ALTER TABLE nowhere ADD COLUMN x int'), migrations.AddField(",
            ),
        )
        .unwrap();
        let err = replay_framework(&framework, &ReplayOptions::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("0003_user_date_joined.py"), "{err}");
        assert!(
            err.contains("authentication.0003_user_date_joined failed to apply"),
            "{err}"
        );
        assert!(err.contains("nowhere"), "{err}");
    }
}
