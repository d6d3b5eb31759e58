//! Rendering a plan: plain SQL, JSON, a guarded idempotent script, and new
//! migration files for sqlx, golang-migrate, Flyway and Django.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use driftless_model::Dialect;

use crate::migration_text::{leading_number, ledger_note, terminated, RenderError};
use crate::options::ApplyOptions;
use crate::plan::{FixPlan, FixStep};
use crate::sql::{Mysql, Postgres, Sqlite, Writer};

/// The advisory-lock key (`pg_advisory_xact_lock`) every driftless apply
/// takes on PostgreSQL: the bytes of `"driftles"` as a big-endian integer.
pub const PG_ADVISORY_LOCK_KEY: i64 = 0x6472_6966_746c_6573;

/// The MySQL/MariaDB `GET_LOCK` names a plan takes, in order: `driftless.` followed by each database the plan reads or changes
/// (cut to 64 characters, the server's limit). Per database, named rather
/// than taken from the connection's default database: fixes of different
/// databases on one server do not wait for each other, and two fixes of one
/// database exclude each other whatever database their URLs name.
pub(crate) fn mysql_lock_names(plan: &FixPlan) -> Vec<String> {
    let schemas = plan
        .base_schemas
        .iter()
        .map(String::as_str)
        .chain(plan.steps.iter().map(|s| s.object.schema.as_str()));
    let names: std::collections::BTreeSet<String> = schemas
        .filter(|s| !s.is_empty())
        .map(|s| format!("driftless.{s}").chars().take(64).collect())
        .collect();
    names.into_iter().collect()
}

/// Migration folder layouts [`FixPlan::migration_files`] can write into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MigrationFormat {
    /// sqlx: `<YYYYMMDDHHMMSS>_driftless_fix.sql`, a version above every
    /// existing one.
    Sqlx,
    /// golang-migrate: `<version>_driftless_fix.up.sql` and `.down.sql`;
    /// sequential numbers (same width) when the folder uses them, else a
    /// `YYYYMMDDHHMMSS` timestamp. The down file does not undo the fix (see
    /// its comment).
    GolangMigrate,
    /// Flyway: `V<n>__driftless_fix.sql`, `n` one above the highest version.
    Flyway,
    /// Django: `<NNNN>_driftless_fix.py` with a `RunSQL` operation of the
    /// guarded statements, depending on the latest migration of the app (the
    /// folder's parent folder).
    Django,
    /// Alembic: `<id>_driftless_fix.py`, a revision of the folder's head(s)
    /// running the guarded statements with `op.execute`.
    Alembic,
}

impl MigrationFormat {
    /// Parses `sqlx`, `golang-migrate` (or `migrate`), `flyway`, `django`, `alembic`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sqlx" => Some(MigrationFormat::Sqlx),
            "golang-migrate" | "migrate" | "golang_migrate" => Some(MigrationFormat::GolangMigrate),
            "flyway" => Some(MigrationFormat::Flyway),
            "django" => Some(MigrationFormat::Django),
            "alembic" => Some(MigrationFormat::Alembic),
            _ => None,
        }
    }
}

/// One comment line, whatever the text holds.
fn comment(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    format!("-- {one_line}")
}

/// One statement on its own line, terminated.
fn push_statement(out: &mut String, stmt: &str) {
    let _ = writeln!(out, "{}", terminated(stmt));
}

fn step_header(out: &mut String, n: usize, s: &FixStep) {
    let _ = writeln!(
        out,
        "{}",
        comment(&format!(
            "step {n} [{}] {} {}",
            s.safety,
            s.action,
            s.object.path()
        ))
    );
    let _ = writeln!(out, "{}", comment(&format!("reason: {}", s.reason)));
    if let Some(h) = &s.hazard {
        let _ = writeln!(out, "{}", comment(&format!("lock: {h}")));
    }
    if s.online {
        let how = if s.outside_transaction {
            "runs outside any transaction"
        } else {
            "commits on its own"
        };
        let rerun = s.on_rerun.as_deref().unwrap_or("a rerun plans again");
        let _ = writeln!(
            out,
            "{}",
            comment(&format!("online: {how}; if interrupted: {rerun}"))
        );
    }
}

fn trailer(out: &mut String, plan: &FixPlan) {
    if !plan.withheld.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            comment(&format!(
                "{} step(s) withheld (above the allowed safety class):",
                plan.withheld.len()
            ))
        );
        for s in &plan.withheld {
            let _ = writeln!(
                out,
                "{}",
                comment(&format!(
                    "[{}] {} {}: {}",
                    s.safety,
                    s.action,
                    s.object.path(),
                    s.reason
                ))
            );
            for q in &s.sql {
                let _ = writeln!(out, "{}", comment(&format!("  {}", terminated(q))));
            }
        }
    }
    if !plan.unfixed.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            comment(&format!(
                "{} finding(s) without an automatic fix:",
                plan.unfixed.len()
            ))
        );
        for u in &plan.unfixed {
            let _ = writeln!(out, "{}", comment(&format!("{}: {}", u.finding, u.why)));
        }
    }
}

fn header(out: &mut String, plan: &FixPlan, what: &str) {
    let _ = writeln!(
        out,
        "{}",
        comment(&format!(
            "driftless {what} for {}: {} step(s), {} withheld, {} unfixed; base schema {}",
            plan.dialect,
            plan.steps.len(),
            plan.withheld.len(),
            plan.unfixed.len(),
            plan.base
        ))
    );
}

impl FixPlan {
    /// The plan as plain SQL: each step's statements, preceded by a comment
    /// with its safety class and reason; withheld steps and unfixed findings
    /// as comments at the end. No transaction control.
    pub fn to_sql(&self) -> String {
        let mut out = String::new();
        header(&mut out, self, "fix plan");
        for (i, s) in self.steps.iter().enumerate() {
            out.push('\n');
            step_header(&mut out, i + 1, s);
            for q in &s.sql {
                push_statement(&mut out, q);
            }
        }
        trailer(&mut out, self);
        out
    }

    /// The plan as a JSON document (format [`PLAN_FORMAT_VERSION`](crate::PLAN_FORMAT_VERSION)):
    /// `dialect`, `base`, and `steps` (each with `object`, `action`,
    /// `safety`, `reason`, `sql`, `script`, `preflight`), `withheld`, `unfixed`.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()));
        s.push('\n');
        s
    }

    /// Reads a plan written by [`FixPlan::to_json`].
    pub fn from_json(text: &str) -> Result<FixPlan, RenderError> {
        #[derive(serde::Deserialize)]
        struct Probe {
            format_version: Option<u32>,
        }
        if let Ok(Probe {
            format_version: Some(v),
        }) = serde_json::from_str::<Probe>(text)
        {
            if v > crate::PLAN_FORMAT_VERSION {
                return Err(RenderError::Version {
                    found: v,
                    supported: crate::PLAN_FORMAT_VERSION,
                });
            }
        }
        serde_json::from_str(text).map_err(|e| RenderError::Json(e.to_string()))
    }

    /// A script that can be run twice: every statement is guarded by the
    /// catalog state it changes, and the whole runs under the same lock and
    /// timeouts as [`apply`](super::apply()).
    ///
    /// * PostgreSQL: one transaction; `SET LOCAL lock_timeout`,
    ///   `statement_timeout` and `standard_conforming_strings = on` (string
    ///   literals holding backslashes are escape strings anyway, so a session
    ///   default cannot change where one ends); `pg_advisory_xact_lock`; `IF [NOT] EXISTS`
    ///   forms where PostgreSQL has them, `DO` blocks (`IF … THEN EXECUTE`)
    ///   elsewhere; an enum rebuild runs only while the labels differ.
    /// * MySQL/MariaDB: `NO_BACKSLASH_ESCAPES` cleared from the session's
    ///   `sql_mode`; `GET_LOCK` (the script stops with an error when the
    ///   lock is not granted in time); each guarded statement runs through a
    ///   prepared statement chosen by `IF(condition, statement, 'DO 0')` on
    ///   `information_schema`. DDL commits implicitly, so a rerun after a
    ///   failure continues where it stopped.
    /// * SQLite: one `BEGIN IMMEDIATE` transaction with foreign keys off and
    ///   `PRAGMA foreign_key_check` at the end; `CREATE … IF NOT EXISTS` and
    ///   `DROP … IF EXISTS` where SQLite has them. **Limit:** SQLite has no
    ///   conditional execution, so `ALTER TABLE … ADD/RENAME/DROP COLUMN`
    ///   and the copy of a table rebuild that renames or drops columns are
    ///   not guarded: a second run stops at the first of them with an error
    ///   and, the script being one transaction, changes nothing. Table
    ///   rebuilds that only change types or constraints do run twice.
    pub fn to_script(&self, options: &ApplyOptions) -> String {
        let mut out = String::new();
        header(&mut out, self, "idempotent fix script");
        let lock_ms = options.pg_lock_timeout_ms();
        let stmt_ms = options.pg_statement_timeout_ms();
        let lock_s = options.mysql_lock_timeout_s();
        let stmt = push_statement;
        match self.dialect {
            Dialect::Postgres => {
                let pg = Postgres;
                out.push('\n');
                stmt(&mut out, pg.begin());
                stmt(&mut out, &pg.set_lock_timeout(lock_ms));
                stmt(&mut out, &pg.set_statement_timeout(stmt_ms));
                stmt(&mut out, pg.standard_conforming_strings());
                let _ = writeln!(
                    out,
                    "{}",
                    comment(
                        "one fix at a time: a second deploy waits up to lock_timeout, then fails"
                    )
                );
                stmt(&mut out, &pg.advisory_lock(PG_ADVISORY_LOCK_KEY));
            }
            Dialect::Mysql => {
                out.push('\n');
                stmt(&mut out, &Mysql.set_lock_wait_timeout(lock_s));
                stmt(&mut out, Mysql.backslash_escapes());
                let _ = writeln!(out, "{}", comment("one fix at a time: fails with 'Subquery returns more than 1 row' when the lock is not granted"));
                for name in mysql_lock_names(self) {
                    stmt(&mut out, &Mysql.get_lock_or_fail(&name, lock_s));
                }
            }
            Dialect::Sqlite => {
                let _ = writeln!(
                    out,
                    "\n{}",
                    comment(
                        "foreign keys off for table rebuilds (only possible outside a transaction)"
                    )
                );
                stmt(&mut out, Sqlite.foreign_keys(false));
                stmt(
                    &mut out,
                    &Sqlite.busy_timeout(options.sqlite_busy_timeout_ms()),
                );
                stmt(&mut out, Sqlite.begin_immediate());
            }
        }
        for (i, s) in self.steps.iter().enumerate() {
            out.push('\n');
            step_header(&mut out, i + 1, s);
            for q in &s.script {
                push_statement(&mut out, q);
            }
        }
        out.push('\n');
        match self.dialect {
            Dialect::Postgres => stmt(&mut out, Postgres.commit()),
            Dialect::Mysql => {
                for name in mysql_lock_names(self) {
                    stmt(&mut out, &Mysql.release_lock_quietly(&name));
                }
            }
            Dialect::Sqlite => {
                let _ = writeln!(
                    out,
                    "{}",
                    comment("lists rows whose foreign keys no longer match (none expected)")
                );
                stmt(&mut out, Sqlite.foreign_key_check());
                stmt(&mut out, Sqlite.commit());
                stmt(&mut out, Sqlite.foreign_keys(true));
            }
        }
        trailer(&mut out, self);
        out
    }

    /// The files of a new migration for `dir` in `format`, without writing
    /// them: the folder is read to number the migration after the existing
    /// ones. `unix_time` (seconds) dates timestamp-numbered migrations.
    ///
    /// The body is the plan's plain SQL: the migration tool decides about
    /// transactions (sqlx, Flyway and Django run PostgreSQL and SQLite
    /// migrations in one). On SQLite, a plan that rebuilds tables turns
    /// foreign keys off first, which only works outside a transaction: the
    /// sqlx file then starts with `-- no-transaction` and manages its own.
    pub fn migration_files(
        &self,
        dir: &Path,
        format: MigrationFormat,
        unix_time: u64,
    ) -> Result<Vec<(PathBuf, String)>, RenderError> {
        let names = list_dir(dir)?;
        let stamp = timestamp(unix_time);
        let body = |own_tx: bool| migration_body(self, own_tx);
        let files = match format {
            MigrationFormat::Sqlx => {
                let max = names
                    .iter()
                    .filter_map(|n| leading_number(n.as_str()))
                    .max();
                let mut v: u128 = stamp.parse().unwrap_or(0);
                if let Some(m) = max {
                    v = v.max(m + 1);
                }
                let own_tx = self.dialect == Dialect::Sqlite
                    && self.steps.iter().any(|s| s.rebuilds.is_some());
                let mut text = String::new();
                if own_tx {
                    text.push_str("-- no-transaction\n");
                }
                text.push_str(&body(own_tx));
                vec![(dir.join(format!("{v}_driftless_fix.sql")), text)]
            }
            MigrationFormat::GolangMigrate => {
                let versions: Vec<(u128, usize)> = names
                    .iter()
                    .filter(|n| n.ends_with(".up.sql"))
                    .filter_map(|n| {
                        let digits: String = n.chars().take_while(char::is_ascii_digit).collect();
                        digits.parse::<u128>().ok().map(|v| (v, digits.len()))
                    })
                    .collect();
                let sequential =
                    !versions.is_empty() && versions.iter().all(|(v, _)| *v < 1_000_000_000);
                let version = if sequential {
                    let (max, _) = versions.iter().max().copied().unwrap_or((0, 1));
                    let width = versions.iter().map(|(_, w)| *w).max().unwrap_or(1);
                    format!("{:0width$}", max + 1)
                } else {
                    let mut v: u128 = stamp.parse().unwrap_or(0);
                    if let Some((max, _)) = versions.iter().max() {
                        v = v.max(max + 1);
                    }
                    v.to_string()
                };
                let mut down = format!(
                    "{}\n{}\n{}\n",
                    comment("driftless fixes are not reversed automatically."),
                    comment("Quarantined tables and columns (_driftless_quarantine_*) still hold their data:"),
                    comment("rename them back by hand if the fix must be undone.")
                );
                push_statement(&mut down, crate::sql::writer(self.dialect).nothing());
                vec![
                    (
                        dir.join(format!("{version}_driftless_fix.up.sql")),
                        body(false),
                    ),
                    (dir.join(format!("{version}_driftless_fix.down.sql")), down),
                ]
            }
            MigrationFormat::Flyway => {
                let max = names
                    .iter()
                    .filter_map(|n| n.strip_prefix('V').or_else(|| n.strip_prefix('v')))
                    .filter(|n| n.contains("__") && n.ends_with(".sql"))
                    .filter_map(leading_number)
                    .max()
                    .unwrap_or(0);
                vec![(
                    dir.join(format!("V{}__driftless_fix.sql", max + 1)),
                    body(false),
                )]
            }
            MigrationFormat::Django => crate::framework_files::django_file(self, dir, &names),
            MigrationFormat::Alembic => {
                crate::framework_files::alembic_file(self, dir, &names, unix_time)?
            }
        };
        Ok(files)
    }

    /// Writes [`FixPlan::migration_files`] into `dir` (never overwriting a
    /// file) and returns their paths.
    pub fn write_migration(
        &self,
        dir: &Path,
        format: MigrationFormat,
        unix_time: u64,
    ) -> Result<Vec<PathBuf>, RenderError> {
        let files = self.migration_files(dir, format, unix_time)?;
        let mut written = Vec::new();
        for (path, text) in files {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(|source| RenderError::Io {
                    action: "cannot create",
                    path: path.clone(),
                    source,
                })?;
            std::io::Write::write_all(&mut f, text.as_bytes()).map_err(|source| {
                RenderError::Io {
                    action: "cannot write",
                    path: path.clone(),
                    source,
                }
            })?;
            written.push(path);
        }
        Ok(written)
    }
}

fn migration_body(plan: &FixPlan, own_tx: bool) -> String {
    let mut out = String::new();
    header(&mut out, plan, "fix migration");
    for line in ledger_note(plan) {
        let _ = writeln!(out, "{}", comment(&line));
    }
    let stmt = push_statement;
    if own_tx {
        stmt(&mut out, Sqlite.foreign_keys(false));
        stmt(&mut out, Sqlite.begin());
    }
    let schema_steps = plan.steps.iter().enumerate();
    let mut any = false;
    for (i, s) in schema_steps.filter(|(_, s)| !s.is_ledger_step()) {
        out.push('\n');
        step_header(&mut out, i + 1, s);
        for q in &s.sql {
            push_statement(&mut out, q);
        }
        any = true;
    }
    if !any {
        // Some tools refuse a migration without a statement (MySQL: "Query
        // was empty").
        push_statement(&mut out, crate::sql::writer(plan.dialect).nothing());
    }
    if own_tx {
        out.push('\n');
        stmt(&mut out, Sqlite.foreign_key_check());
        stmt(&mut out, Sqlite.commit());
        stmt(&mut out, Sqlite.foreign_keys(true));
    }
    trailer(&mut out, plan);
    out
}

fn list_dir(dir: &Path) -> Result<Vec<String>, RenderError> {
    let rd = std::fs::read_dir(dir).map_err(|source| RenderError::Io {
        action: "cannot read migration folder",
        path: dir.to_path_buf(),
        source,
    })?;
    let mut names = Vec::new();
    for e in rd {
        let e = e.map_err(|source| RenderError::Io {
            action: "cannot read migration folder",
            path: dir.to_path_buf(),
            source,
        })?;
        names.push(e.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

fn timestamp(unix_time: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(i64::try_from(unix_time).unwrap_or(i64::MAX))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let f = time::macros::format_description!("[year][month][day][hour][minute][second]");
    t.format(f).unwrap_or_else(|_| "19700101000000".into())
}
