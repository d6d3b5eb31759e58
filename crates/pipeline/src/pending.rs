//! After the repair, the pending migrations applied to the target itself
//! (`fix --apply-pending`): SQL migrations by driftless, one transaction a
//! migration where the database has transactional DDL, each recorded in
//! its tool's own ledger format; migrations that are code by the
//! framework's own migrate command. Then the target is read again.

use std::time::Instant;

use driftless_fixer::{create_ledger_statements, record_statements};
use driftless_introspect::{Database, DbUrl};
use driftless_migrations::{
    alembic_project, default_python, django_project, rails_project, run_command,
};
use driftless_model::{split_statements, Dialect, MigrationFormat, MigrationSet};

use crate::check::Checked;
use crate::error::{Error, Result};

/// The migrate command a framework's adapter runs by default, and the
/// folder it runs in.
pub fn default_migrate_command(set: &MigrationSet) -> Option<(String, std::path::PathBuf)> {
    let root = set.root.as_path();
    match set.format {
        MigrationFormat::Django => Some((
            format!("{} manage.py migrate --noinput", default_python()),
            django_project(root)?,
        )),
        MigrationFormat::Alembic => Some((
            format!("{} -m alembic upgrade heads", default_python()),
            alembic_project(root)?,
        )),
        MigrationFormat::Rails => Some(("bin/rails db:migrate".into(), rails_project(root)?)),
        _ => None,
    }
}

impl Checked {
    /// Applies the pending migrations to the target, in order (see the
    /// module documentation), then reads it again and judges it; returns
    /// the ids applied. `migrate_cmd` replaces the framework's default
    /// migrate command for migrations that are code.
    pub async fn apply_pending(&mut self, migrate_cmd: Option<&str>) -> Result<Vec<String>> {
        let pending = self.expected.pending.clone();
        let Some(set) = self
            .expected
            .migrations
            .clone()
            .filter(|_| !pending.is_empty())
        else {
            return Ok(Vec::new());
        };
        if set.is_replayable() {
            self.apply_sql(&set, &pending).await?;
        } else {
            let (default, dir) = default_migrate_command(&set).ok_or_else(|| {
                Error::ApplyPending(format!(
                    "no migrate command is known for {} migrations in {}: give --migrate-cmd",
                    set.format,
                    set.root.display()
                ))
            })?;
            let command = migrate_cmd.map_or(default, str::to_string);
            run_command(&command, &dir, &self.target).await?;
        }
        self.reload_actual().await?;
        self.settle_recorded();
        self.report = self.recheck(&self.actual);
        Ok(pending)
    }

    /// Runs each pending SQL migration and records it, in one transaction
    /// a migration on PostgreSQL and SQLite. An interrupt (see
    /// [`ConnectOptions::interrupt`](driftless_introspect::ConnectOptions::interrupt))
    /// stops before the next migration, never inside one: the error says
    /// how many were applied and recorded.
    async fn apply_sql(&self, set: &MigrationSet, pending: &[String]) -> Result<()> {
        let ledger = self.ledger().ok_or_else(|| {
            Error::ApplyPending(format!(
                "{} has no {} ledger to record them in: run the tool's own migrate once",
                self.target, set.format
            ))
        })?;
        let table = ledger.table.clone();
        let dialect = self.target.dialect();
        let mut db = Database::connect(&self.target, self.read_write()).await?;
        // Each migration runs whole (its rollback must not be refused).
        let interrupt = db.set_interrupt(None);
        // A database without a ledger (a new one): created as the tool
        // creates it, before the first migration runs.
        if self.expected.rebuild.as_ref().is_some_and(|r| r.create) {
            let (_, guarded) = create_ledger_statements(&table, dialect);
            execute_all(&mut db, &guarded, "creating the migration ledger").await?;
        }
        for (done, id) in pending.iter().enumerate() {
            let Some(m) = set.migrations.iter().find(|m| &m.id == id) else {
                continue;
            };
            if let Some(reason) = interrupt.as_ref().and_then(|i| i.reason()) {
                let _ = db.close().await;
                return Err(Error::ApplyPending(format!(
                    "{reason}: stopped before migration {}; {done} of {} pending migration(s) were applied and recorded",
                    m.label(),
                    pending.len()
                )));
            }
            let transactional = dialect != Dialect::Mysql;
            if transactional {
                db.execute(begin(dialect), "starting a pending migration")
                    .await?;
            }
            let started = Instant::now();
            let result = run_one(&mut db, set, m, &self.target).await;
            let recorded = match result {
                Ok(()) => {
                    let ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
                    match record_statements(&table, dialect, m, ms) {
                        Ok(sql) => {
                            execute_all(&mut db, &sql, "recording a pending migration").await
                        }
                        Err(e) => Err(Error::ApplyPending(format!("migration {}: {e}", m.label()))),
                    }
                }
                Err(e) => Err(e),
            };
            if let Err(e) = recorded {
                if transactional {
                    let _ = db
                        .execute("ROLLBACK", "rolling back a pending migration")
                        .await;
                }
                let _ = db.close().await;
                return Err(e);
            }
            if transactional {
                db.execute("COMMIT", "committing a pending migration")
                    .await?;
            }
        }
        db.close().await?;
        Ok(())
    }
}

fn begin(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "BEGIN IMMEDIATE",
        _ => "BEGIN",
    }
}

async fn execute_all(db: &mut Database, sql: &[String], context: &str) -> Result<()> {
    for s in sql {
        db.execute(s, context).await?;
    }
    Ok(())
}

/// Runs the statements of migration `m`; a failure names its file and line
/// with the database's message.
async fn run_one(
    db: &mut Database,
    set: &MigrationSet,
    m: &driftless_model::Migration,
    target: &DbUrl,
) -> Result<()> {
    let Some(sql) = &m.sql else { return Ok(()) };
    for stmt in split_statements(sql, target.dialect()) {
        if let Err(e) = db.execute(&stmt.sql, "applying a pending migration").await {
            let message = match e {
                driftless_introspect::Error::Query { message, .. }
                | driftless_introspect::Error::PermissionDenied { message, .. } => message,
                other => return Err(other.into()),
            };
            return Err(
                driftless_introspect::Error::from(driftless_model::Error::Migration {
                    path: set.file_path(m),
                    line: m.sql_line + stmt.line - 1,
                    message: format!(
                        "pending migration {} failed on {target}: {message}",
                        m.label()
                    ),
                })
                .into(),
            );
        }
    }
    Ok(())
}
