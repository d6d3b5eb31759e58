//! Fix plans for schema drift: findings in, ordered and safety-classified
//! SQL out — written per backend (with sea-query where it expresses the
//! statement), shown as plain SQL, JSON,
//! a guarded re-runnable script or a new migration file, and applied under
//! a lock with a transaction where the database has transactional DDL.
//!
//! The pipeline: [`plan`] turns the [`Finding`](driftless_rules::Finding)s
//! of the rules (expected vs actual [`Snapshot`](driftless_model::Snapshot))
//! into a [`FixPlan`] of [`FixStep`]s. Definitions come from the snapshots;
//! findings say what to fix. Steps run in dependency order: views that read
//! changing tables are dropped first, then foreign keys and constraints that
//! go, schemas, types, sequences, orphan tables, new tables, columns,
//! indexes and constraints, foreign keys (after the tables they reference),
//! type and sequence drops, and the views again.
//!
//! Every step has a [`Safety`] class, ordered `Safe < Locking < Destructive
//! < DataLoss`; steps above [`PlanOptions::allow`] (default `Locking`) are
//! withheld. Orphan tables and columns are quarantined by default
//! ([`Orphans`]): an orphan column's values move to a quarantine table
//! keyed by the rows' primary key (PostgreSQL: in the
//! `driftless_quarantine` schema; MySQL and SQLite:
//! `_driftless_quarantine_<table>__<column>` next to the table), then the
//! column is dropped, so the table is left exactly as expected (a table
//! without a primary key keeps the column renamed to
//! `_driftless_quarantine_<column>`, nullable); an orphan table moves to
//! the quarantine schema (PostgreSQL) or is renamed to
//! `_driftless_quarantine_<table>`
//! ([`QUARANTINE_PREFIX`](driftless_model::QUARANTINE_PREFIX)), with the
//! index and key names its schema shares. Each quarantine is recorded in a
//! catalog, listed and undone by [`list_quarantine`] and [`plan_restore`]. A plan that would create a name an
//! object it keeps still holds is refused ([`PlanError::NameTaken`]). A type change that can lose data
//! counts the rows it affects before anything runs ([`preflight`]); a
//! NOT NULL column without a default for a table with rows is refused then,
//! with what to do instead.
//!
//! Multi-statement changes are planned per backend: SQLite column and
//! constraint changes through the documented table rebuild (new table, copy,
//! drop, rename, indexes and triggers recreated — also the triggers of other
//! tables that read the rebuilt one — and `foreign_key_check`);
//! PostgreSQL enum labels added in place (`ALTER TYPE … ADD VALUE
//! BEFORE/AFTER`) or, when labels are removed or reordered, through a
//! rename–create–convert–drop rebuild; MySQL column changes with one full
//! `MODIFY COLUMN`.
//!
//! [`apply`] runs a plan: PostgreSQL in one transaction behind
//! `pg_advisory_xact_lock` with `lock_timeout` and `statement_timeout`,
//! SQLite in one `BEGIN IMMEDIATE` transaction, MySQL/MariaDB step by step
//! behind `GET_LOCK` (a rerun plans again from where a failure stopped); it
//! then reads the schema again for the caller's rules to confirm convergence.
//!
//! Modules, bottom to top (a module imports only those above it in this list):
//!
//! - `hazards`: the lock, rewrite or scan, live size and duration of
//!   each step ([`StepHazard`]);
//! - `quote`, `lex`, `safety`, `options`: identifiers and
//!   literals, SQL lexing, safety classes, plan/apply options (stop
//!   requests are driftless-introspect's [`Interrupt`], re-exported);
//! - `names`: namespaces, quarantine names, identifiers a text mentions;
//! - `types`: type changes — which can lose data, and the rows they affect;
//! - `algorithm`: which `ALTER TABLE` algorithm MySQL/MariaDB can change a
//!   column with (INSTANT, INPLACE, COPY), from the column as it is and as
//!   it should be;
//! - `plan`: the plan's data ([`FixPlan`], [`FixStep`], [`PlanError`] …);
//! - `guard`: the conditions that make the script re-runnable;
//! - `sql`: the one home of SQL text — a writer per dialect behind one
//!   interface for every statement a plan, its script and apply send;
//! - `model`: what planning works on — work per object, the snapshots with
//!   name resolution, resolved targets, the step collector and its phases;
//! - `online`: the online strategies of steps on big tables, and the
//!   backfill before `SET NOT NULL`;
//! - `tables`, `objects`: step builders for tables and for schema-level
//!   objects (schemas, sequences, enums, views);
//! - `planner`: findings → work → targets → ordered steps ([`plan`]);
//! - `render`: the text formats (SQL, script, migration files);
//! - `apply`: running a plan against a database ([`apply`], [`preflight`]),
//!   in one transaction or, with online steps, step by step with lock
//!   retries (`apply::online`), after the policy checks ([`policy_refusal`]);
//! - `quarantine`: the quarantine read back and restored ([`list_quarantine`], [`plan_restore`]).
//!
//! The same drift, planned for the three backends:
//!
//! ```
//! use driftless_fixer::{plan, PlanOptions, Safety};
//! use driftless_model::{Column, Dialect, PrimaryKey, Snapshot, Table};
//! use driftless_rules::{Config, Context, Registry};
//!
//! // Expected: users(id PRIMARY KEY, login_count NOT NULL DEFAULT 0).
//! // Actual: users(id PRIMARY KEY, avatar) — a column added by hand, one missing.
//! fn snapshots(d: Dialect, schema: &str, int: &str, text: &str) -> (Snapshot, Snapshot) {
//!     let mut users = Table::default();
//!     users.columns.insert("id".into(), Column { nullable: false, ..Column::new(1, int) });
//!     users.primary_key = Some(PrimaryKey {
//!         name: "users_pkey".into(),
//!         columns: vec!["id".into()],
//!         deferrable: false,
//!         initially_deferred: false,
//!         comment: None,
//!     });
//!     let mut expected = users.clone();
//!     expected.columns.insert(
//!         "login_count".into(),
//!         Column { nullable: false, default: Some("0".into()), ..Column::new(2, int) },
//!     );
//!     let mut actual = users;
//!     actual.columns.insert("avatar".into(), Column::new(2, text));
//!     let snap = |t: Table| {
//!         let mut s = Snapshot::new(d);
//!         s.schemas.entry(schema.into()).or_default().tables.insert("users".into(), t);
//!         s
//!     };
//!     (snap(expected), snap(actual))
//! }
//!
//! // The statements, without those creating the quarantine table and
//! // writing its catalog row.
//! let sql = |(expected, actual): (Snapshot, Snapshot)| {
//!     let findings = Registry::builtin().check(&Config::default(), &Context::new(&expected, &actual)).findings;
//!     let plan = plan(&expected, &actual, &findings, &PlanOptions::default()).unwrap();
//!     assert!(plan.steps.iter().all(|s| s.safety == Safety::Safe));
//!     plan.statements()
//!         .filter(|s| !s.starts_with("CREATE") && !s.contains("_driftless_quarantine_catalog"))
//!         .map(String::from)
//!         .collect::<Vec<_>>()
//! };
//!
//! assert_eq!(
//!     sql(snapshots(Dialect::Postgres, "public", "integer", "text")),
//!     [
//!         r#"INSERT INTO "driftless_quarantine"."public__users__avatar" ("id", "avatar") SELECT "id", "avatar" FROM "public"."users""#,
//!         r#"ALTER TABLE "public"."users" DROP COLUMN "avatar""#,
//!         r#"ALTER TABLE "public"."users" ADD COLUMN "login_count" integer NOT NULL DEFAULT 0"#,
//!     ]
//! );
//! assert_eq!(
//!     sql(snapshots(Dialect::Mysql, "app", "int(11)", "text")),
//!     [
//!         "INSERT INTO `app`.`_driftless_quarantine_users__avatar` (`id`, `avatar`) SELECT `id`, `avatar` FROM `app`.`users`",
//!         "ALTER TABLE `app`.`users` DROP COLUMN `avatar`",
//!         "ALTER TABLE `app`.`users` ADD COLUMN `login_count` int(11) NOT NULL DEFAULT 0",
//!     ]
//! );
//! assert_eq!(
//!     sql(snapshots(Dialect::Sqlite, "main", "INTEGER", "TEXT")),
//!     [
//!         r#"INSERT INTO "_driftless_quarantine_users__avatar" ("id", "avatar") SELECT "id", "avatar" FROM "users""#,
//!         r#"ALTER TABLE "users" DROP COLUMN "avatar""#,
//!         r#"ALTER TABLE "users" ADD COLUMN "login_count" INTEGER NOT NULL DEFAULT 0"#,
//!     ]
//! );
//! ```
//!
//! Applying (needs a live database):
//!
//! ```no_run
//! # async fn demo(expected: driftless_model::Snapshot) -> Result<(), Box<dyn std::error::Error>> {
//! use driftless_fixer::{apply, plan, ApplyOptions, PlanOptions};
//! use driftless_introspect::{ConnectOptions, Database, DbUrl, IntrospectOptions};
//! use driftless_rules::{Config, Context, Registry};
//!
//! let mut db = Database::connect(&DbUrl::parse("postgres://root@127.0.0.1/app")?, &ConnectOptions::default()).await?;
//! let actual = db.snapshot(&IntrospectOptions::default()).await?;
//! let rules = Registry::builtin();
//! let findings = rules.check(&Config::default(), &Context::new(&expected, &actual)).findings;
//! let fix = plan(&expected, &actual, &findings, &PlanOptions::default())?;
//! println!("{}", fix.to_sql());
//! let report = apply(&mut db, &fix, &ApplyOptions::default()).await?;
//! let left = rules.check(&Config::default(), &Context::new(&expected, &report.after)).findings;
//! println!("converged: {}", left.is_empty());
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod algorithm;
mod apply;
mod defined;
mod framework_files;
mod guard;
mod hazards;
mod ledger_steps;
mod lex;
mod migration_text;
mod model;
mod names;
mod objects;
mod online;
mod options;
mod part_settings;
mod plan;
mod planner;
mod quarantine;
mod quote;
mod renames;
mod render;
mod safety;
mod settled;
mod sql;
mod tables;
mod types;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;

pub use apply::{
    apply, policy_refusal, preflight, ApplyError, ApplyReport, CommittedStep, PreflightOutcome,
};
pub use driftless_introspect::Interrupt;
pub use hazards::{AlterAlgorithm, DurationClass, LockLevel, StepHazard};
pub use ledger_steps::{add_ledger_steps, add_rebuild_steps};
pub use migration_text::{RenderError, LEDGER_NOTE_BEGIN, LEDGER_NOTE_END};
pub use options::{
    ApplyEvent, ApplyOptions, ApplyProgress, LockRetry, Orphans, PlanOptions,
    DEFAULT_ONLINE_THRESHOLD, MAX_TIMEOUT,
};
pub use plan::{
    fingerprint, FixPlan, FixStep, PlanError, Preflight, PreflightKind, Reason, Unfixed,
    PLAN_FORMAT_VERSION,
};
pub use planner::plan;
pub use quarantine::{
    find_quarantined, list_quarantine, plan_restore, quarantine_held_names, QuarantineEntry,
    QuarantineError, QuarantineKind,
};
pub use render::{MigrationFormat, PG_ADVISORY_LOCK_KEY};
pub use safety::Safety;
pub use sql::{
    create_ledger_statements, effects_condition, ledger_copy_statements, quarantine_ledger_row,
    record_statements, record_statements_guarded, resolve_failed_statements,
    update_checksum_statements, RecordError, LEDGER_QUARANTINE_TABLE,
};
