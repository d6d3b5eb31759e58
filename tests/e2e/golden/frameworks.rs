//! Django, Alembic and Rails against the ledgers driftless writes: the
//! story projects of tests/frameworks, with the real frameworks.

use std::path::Path;

use driftless_model::MigrationFormat;
use driftless_testkit::{framework_project, python, Backend, TestDb};

use super::{assert_same_rows, record_with_driftless, run_ok, sqlalchemy_url, table_count};

/// `manage.py ARGS` of the Django story against `url`.
fn manage(project: &Path, url: &str, args: &[&str]) -> String {
    let args: Vec<&str> = std::iter::once("manage.py")
        .chain(args.iter().copied())
        .collect();
    run_ok(&python(), project, &args, &[("DATABASE_URL", url)])
}

/// The URL the story's settings read (`sqlite:PATH` for SQLite).
fn django_url(db: &TestDb) -> String {
    match db.backend {
        Backend::Sqlite => format!("sqlite:{}", db.name),
        _ => db.url.clone(),
    }
}

/// `migrate --fake` records the story's six migrations; driftless records
/// them in the `django_migrations` Django's recorder made empty; then
/// `migrate --check` finds nothing to apply.
async fn django(backend: Backend) {
    let project = framework_project("django-story");
    let (tool, ours) = (TestDb::new(backend).await, TestDb::new(backend).await);
    manage(
        project.path(),
        &django_url(&tool),
        &["migrate", "-v0", "--fake", "authentication"],
    );
    let ensure = "from django.db import connection\nfrom django.db.migrations.recorder import MigrationRecorder\nMigrationRecorder(connection).ensure_schema()";
    manage(project.path(), &django_url(&ours), &["shell", "-c", ensure]);
    record_with_driftless(&ours, project.path(), MigrationFormat::Django).await;
    // SQLite keeps Django's `isoformat()` text: microseconds, six digits.
    let applied = match backend {
        Backend::Postgres => "to_char(applied AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), 26",
        _ => "applied, length(applied)",
    };
    let sql = format!(
        "SELECT app, name, {applied} FROM django_migrations WHERE app = 'authentication' ORDER BY id"
    );
    assert_same_rows(&tool, &ours, &sql, &[2]).await;
    manage(
        project.path(),
        &django_url(&ours),
        &["migrate", "--check", "authentication"],
    );
}

#[tokio::test]
async fn django_ledger_rows_equal_djangos_on_sqlite() {
    django(Backend::Sqlite).await;
}

#[tokio::test]
async fn django_ledger_rows_equal_djangos_on_postgres() {
    django(Backend::Postgres).await;
}

fn alembic(project: &Path, url: &str, args: &[&str]) -> String {
    let args: Vec<&str> = ["-m", "alembic"]
        .into_iter()
        .chain(args.iter().copied())
        .collect();
    run_ok(&python(), project, &args, &[("DATABASE_URL", url)])
}

/// `alembic upgrade head` through the story's branches and merge leaves
/// one head; driftless, recording every revision in the `alembic_version`
/// that `alembic stamp base` made, leaves the same; `upgrade head` on it
/// then runs nothing (no `account` table appears).
async fn alembic_golden(backend: Backend) {
    let project = framework_project("alembic-story");
    let (tool, ours) = (TestDb::new(backend).await, TestDb::new(backend).await);
    alembic(project.path(), &sqlalchemy_url(&tool), &["upgrade", "head"]);
    alembic(project.path(), &sqlalchemy_url(&ours), &["stamp", "base"]);
    record_with_driftless(&ours, project.path(), MigrationFormat::Alembic).await;
    let sql = "SELECT version_num FROM alembic_version ORDER BY version_num";
    assert_same_rows(&tool, &ours, sql, &[]).await;
    alembic(project.path(), &sqlalchemy_url(&ours), &["upgrade", "head"]);
    assert_eq!(
        table_count(&ours, "account").await,
        0,
        "alembic ran a revision again"
    );
}

#[tokio::test]
async fn alembic_ledger_rows_equal_alembics_on_sqlite() {
    alembic_golden(Backend::Sqlite).await;
}

#[tokio::test]
async fn alembic_ledger_rows_equal_alembics_on_postgres() {
    alembic_golden(Backend::Postgres).await;
}

fn rails(project: &Path, url: &str, args: &[&str]) -> String {
    run_ok("bin/rails", project, args, &[("DATABASE_URL", url)])
}

/// `db:migrate` records the story's five versions; driftless records them
/// in the `schema_migrations` Active Record created empty; `db:migrate`
/// on it then runs nothing (no `users` table) and adds the
/// `ar_internal_metadata` row Rails' own run wrote.
async fn rails_golden(backend: Backend) {
    let project = framework_project("rails-story");
    let (tool, ours) = (TestDb::new(backend).await, TestDb::new(backend).await);
    rails(project.path(), &sqlalchemy_url(&tool), &["db:migrate"]);
    let create = "ActiveRecord::SchemaMigration.create_table";
    rails(project.path(), &sqlalchemy_url(&ours), &["runner", create]);
    let migrate = project.path().join("db/migrate");
    record_with_driftless(&ours, &migrate, MigrationFormat::Rails).await;
    let sql = "SELECT version FROM schema_migrations ORDER BY version";
    assert_same_rows(&tool, &ours, sql, &[]).await;
    rails(project.path(), &sqlalchemy_url(&ours), &["db:migrate"]);
    assert_eq!(
        table_count(&ours, "users").await,
        0,
        "rails ran a migration again"
    );
    let meta = "SELECT key, value, CAST(created_at AS text) FROM ar_internal_metadata";
    assert_same_rows(&tool, &ours, meta, &[2]).await;
}

#[tokio::test]
async fn rails_ledger_rows_equal_active_records_on_sqlite() {
    rails_golden(Backend::Sqlite).await;
}

#[tokio::test]
async fn rails_ledger_rows_equal_active_records_on_postgres() {
    rails_golden(Backend::Postgres).await;
}
