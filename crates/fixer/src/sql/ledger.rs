//! The ledger writer: recording a migration as applied in its tool's own
//! ledger format, the statements behind "fake" fixes (record without
//! running) and ledger rebuilds. Pure: statements as values, executed by
//! the caller.

use super::ledger_ddl::ledger_ddl;
use driftless_model::{
    Checksum, Dialect, Ledger, LedgerEntry, LedgerKind, LedgerState, LedgerTable, Migration,
    MigrationKind,
};

/// A migration its ledger cannot record (a non-numeric id for a numeric
/// ledger, say).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RecordError(String);

type Result<T> = std::result::Result<T, RecordError>;

fn quote_ident(dialect: Dialect, ident: &str) -> String {
    dialect.quote_ident(ident)
}

fn lit(dialect: Dialect, s: &str) -> String {
    dialect.quote_literal(s)
}

/// The ledger table, schema-qualified and quoted.
fn qualified(dialect: Dialect, table: &LedgerTable) -> String {
    format!(
        "{}.{}",
        quote_ident(dialect, &table.schema),
        quote_ident(dialect, &table.table)
    )
}

/// What a `SELECT` of constants needs before its `WHERE`: MySQL's `FROM DUAL`.
fn from_dual(dialect: Dialect) -> &'static str {
    if dialect == Dialect::Mysql {
        " FROM DUAL"
    } else {
        ""
    }
}

/// The statements that record `migration` as applied in `table`, exactly
/// as its tool would after running it: the same columns, checksum,
/// timestamps (the database's clock) and, where the tool keeps one, the
/// execution time `execution_ms`.
///
/// golang-migrate and Alembic keep only their head(s): the statements
/// replace the heads `migration` follows. Errors for a migration whose id
/// the ledger cannot hold (a non-numeric version for a numeric ledger).
///
/// ```
/// use driftless_fixer::record_statements;
/// use driftless_migrations::{parse_migrations, SourceFile};
/// use driftless_model::{Dialect, LedgerKind, LedgerTable};
/// use std::path::Path;
///
/// let set = parse_migrations(Path::new("m"), &[SourceFile::new("20240501_users.sql", "CREATE TABLE users (id int);")]).unwrap();
/// let table = LedgerTable { kind: LedgerKind::Sqlx, schema: "public".into(), table: "_sqlx_migrations".into(), wide_versions: false };
/// let sql = record_statements(&table, Dialect::Postgres, &set.migrations[0], 12).unwrap();
/// assert!(sql[0].starts_with("INSERT INTO \"public\".\"_sqlx_migrations\" (version, description, success, checksum, execution_time) VALUES (20240501, 'users', TRUE, decode('"));
/// ```
pub fn record_statements(
    table: &LedgerTable,
    dialect: Dialect,
    migration: &Migration,
    execution_ms: i64,
) -> Result<Vec<String>> {
    let r = Record::new(table, dialect, migration, execution_ms);
    Ok(match table.kind {
        LedgerKind::Django => r.django(),
        LedgerKind::Sqlx => r.sqlx()?,
        LedgerKind::Refinery => r.refinery()?,
        LedgerKind::Diesel | LedgerKind::Dbmate | LedgerKind::Rails => vec![format!(
            "INSERT INTO {} (version) VALUES ({})",
            r.t,
            r.l(&migration.id)
        )],
        LedgerKind::SeaOrm => r.sea_orm(),
        LedgerKind::Flyway => r.flyway(),
        LedgerKind::GolangMigrate => r.golang_migrate()?,
        LedgerKind::Alembic => r.alembic(),
        LedgerKind::Prisma => r.prisma(),
    })
}

/// [`record_statements`] made safe to run twice, for the guarded script:
/// each row is written only when the ledger does not hold it yet, and a
/// heads-only ledger keeps its other heads until the new one is in.
pub fn record_statements_guarded(
    table: &LedgerTable,
    dialect: Dialect,
    migration: &Migration,
    execution_ms: i64,
) -> Result<Vec<String>> {
    let r = Record::new(table, dialect, migration, execution_ms);
    let present = r.present()?;
    let dual = from_dual(dialect);
    let guard = format!(
        "{dual} WHERE NOT EXISTS (SELECT 1 FROM {} WHERE {present})",
        r.t
    );
    let plain = record_statements(table, dialect, migration, execution_ms)?;
    Ok(plain
        .into_iter()
        .map(|sql| {
            let flyway_rank = "SELECT COALESCE(MAX(installed_rank), 0) + 1, ";
            if let Some((insert, rest)) = sql.split_once(flyway_rank) {
                let values = rest.strip_suffix(&format!(" FROM {}", r.t)).unwrap_or(rest);
                format!(
                    "{insert}SELECT (SELECT COALESCE(MAX(installed_rank), 0) + 1 FROM {}), {values}{guard}",
                    r.t
                )
            } else if let Some((insert, values)) = sql.split_once(") VALUES (") {
                let values = values.strip_suffix(')').unwrap_or(values);
                format!("{insert}) SELECT {values}{guard}")
            } else if sql == format!("DELETE FROM {}", r.t) {
                // golang-migrate: the other head goes, never the new one.
                format!("DELETE FROM {} WHERE NOT ({present})", r.t)
            } else {
                sql
            }
        })
        .collect())
}

/// The statements that store `migration`'s current checksum in its row of
/// `table`, as the tool computes it (Flyway's `repair`). `None` for ledgers
/// without checksums, and for Flyway's repeatable migrations, which the
/// tool re-applies instead.
pub fn update_checksum_statements(
    table: &LedgerTable,
    dialect: Dialect,
    migration: &Migration,
) -> Option<Vec<String>> {
    let r = Record::new(table, dialect, migration, 0);
    let key = r.present().ok()?;
    let value = match table.kind {
        LedgerKind::Sqlx => {
            let hex = r.checksum(LedgerKind::Sqlx);
            match dialect {
                Dialect::Postgres => format!("decode('{hex}', 'hex')"),
                _ => format!("X'{hex}'"),
            }
        }
        LedgerKind::Refinery | LedgerKind::Prisma => r.l(&r.checksum(table.kind)),
        LedgerKind::Flyway if migration.kind == MigrationKind::Versioned => {
            match migration.checksum_for(LedgerKind::Flyway) {
                Some(Checksum::Crc32(c)) => c.to_string(),
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(vec![format!(
        "UPDATE {} SET checksum = {value} WHERE {key}",
        r.t
    )])
}

/// The statements that resolve a failed (or dirty) ledger row `entry`:
/// with `applied`, mark it applied (its effects are in the schema now);
/// without, clear it so that the next migrate runs the migration again
/// (`previous`: for golang-migrate, the version before it, which the
/// ledger goes back to). As each tool's own repair does: sqlx and Flyway
/// rows get `success` set or are deleted, golang-migrate's `dirty` flag is
/// cleared or its version set back, a Prisma row is finished or rolled
/// back (`prisma migrate resolve`). `None` for ledgers without failed rows.
pub fn resolve_failed_statements(
    ledger: &Ledger,
    dialect: Dialect,
    entry: &LedgerEntry,
    applied: bool,
    previous: Option<&str>,
) -> Option<Vec<String>> {
    let t = qualified(dialect, &ledger.table);
    let l = |s: &str| lit(dialect, s);
    let (yes, no) = if dialect == Dialect::Postgres {
        ("TRUE", "FALSE")
    } else {
        ("1", "0")
    };
    let number = |id: &str| id.parse::<i64>().map_or_else(|_| l(id), |n| n.to_string());
    let now = match dialect {
        Dialect::Sqlite => "CAST(strftime('%s', 'now') AS INTEGER) * 1000",
        _ => "CURRENT_TIMESTAMP",
    };
    let key = match ledger.kind() {
        LedgerKind::Sqlx => format!("version = {}", number(&entry.id)),
        LedgerKind::Flyway => format!("version = {} AND success = {no}", l(&entry.id)),
        LedgerKind::Prisma => format!(
            "migration_name = {} AND finished_at IS NULL AND rolled_back_at IS NULL",
            l(&entry.id)
        ),
        LedgerKind::GolangMigrate => format!("version = {}", number(&entry.id)),
        _ => return None,
    };
    Some(match (ledger.kind(), applied) {
        (LedgerKind::Sqlx | LedgerKind::Flyway, true) => {
            vec![format!("UPDATE {t} SET success = {yes} WHERE {key}")]
        }
        (LedgerKind::Sqlx | LedgerKind::Flyway, false) => {
            vec![format!("DELETE FROM {t} WHERE {key}")]
        }
        (LedgerKind::GolangMigrate, true) => {
            vec![format!("UPDATE {t} SET dirty = {no} WHERE {key}")]
        }
        (LedgerKind::GolangMigrate, false) => {
            let mut out = vec![format!("DELETE FROM {t} WHERE {key}")];
            if let Some(p) = previous {
                // Guarded: a script run twice finds the version back already.
                let dual = from_dual(dialect);
                out.push(format!(
                    "INSERT INTO {t} (version, dirty) SELECT {}, {no}{dual} WHERE NOT EXISTS (SELECT 1 FROM {t})",
                    number(p)
                ));
            }
            out
        }
        (LedgerKind::Prisma, true) => {
            vec![format!("UPDATE {t} SET finished_at = {now} WHERE {key}")]
        }
        (LedgerKind::Prisma, false) => {
            vec![format!("UPDATE {t} SET rolled_back_at = {now} WHERE {key}")]
        }
        _ => return None,
    })
}

/// The table, in the ledger's schema, that keeps the ledger rows driftless
/// took out of a ledger: which ledger, which migration, the row as JSON
/// (everything needed to write it back) and when. Its name marks it as
/// driftless's own quarantine, never reported as drift.
pub const LEDGER_QUARANTINE_TABLE: &str = "_driftless_quarantine_ledger_rows";

/// The statements that move `entry` (a row whose migration file is gone)
/// out of `ledger` into [`LEDGER_QUARANTINE_TABLE`]: plain, and guarded for
/// a script that may run twice (the row is copied only while the ledger
/// still holds it). `None` for ledgers that keep only their heads
/// (Alembic, golang-migrate), where the row is the database's position.
pub fn quarantine_ledger_row(
    ledger: &Ledger,
    dialect: Dialect,
    entry: &LedgerEntry,
) -> Option<(Vec<String>, Vec<String>)> {
    let l = |s: &str| lit(dialect, s);
    let id_number = || {
        entry
            .id
            .parse::<i64>()
            .map_or_else(|_| l(&entry.id), |n| n.to_string())
    };
    let predicate = match ledger.kind() {
        LedgerKind::Alembic | LedgerKind::GolangMigrate => return None,
        LedgerKind::Django => format!(
            "app = {} AND name = {}",
            l(entry.app.as_deref().unwrap_or_default()),
            l(entry.name.as_deref().unwrap_or(&entry.id))
        ),
        LedgerKind::Sqlx | LedgerKind::Refinery => format!("version = {}", id_number()),
        LedgerKind::Prisma => format!("migration_name = {}", l(&entry.id)),
        LedgerKind::Diesel
        | LedgerKind::Dbmate
        | LedgerKind::Rails
        | LedgerKind::SeaOrm
        | LedgerKind::Flyway => format!("version = {}", l(&entry.id)),
    };
    let schema = quote_ident(dialect, &ledger.table.schema);
    let t = qualified(dialect, &ledger.table);
    let q = format!("{schema}.{}", quote_ident(dialect, LEDGER_QUARANTINE_TABLE));
    let time = match dialect {
        Dialect::Postgres => "timestamp with time zone",
        Dialect::Mysql => "datetime(6)",
        Dialect::Sqlite => "text",
    };
    let create = format!(
        "CREATE TABLE IF NOT EXISTS {q} (ledger_table varchar(255) NOT NULL, migration varchar(255) NOT NULL, entry text NOT NULL, quarantined_at {time} NOT NULL)"
    );
    let row = serde_json::to_string(entry).unwrap_or_default();
    let values = format!(
        "{}, {}, {}, CURRENT_TIMESTAMP",
        l(&ledger.table.table),
        l(&entry.id),
        l(&row)
    );
    let copy = format!(
        "INSERT INTO {q} (ledger_table, migration, entry, quarantined_at) VALUES ({values})"
    );
    let dual = from_dual(dialect);
    let guarded_copy = format!(
        "INSERT INTO {q} (ledger_table, migration, entry, quarantined_at) SELECT {values}{dual} WHERE EXISTS (SELECT 1 FROM {t} WHERE {predicate})"
    );
    let delete = format!("DELETE FROM {t} WHERE {predicate}");
    Some((
        vec![create.clone(), copy, delete.clone()],
        vec![create, guarded_copy, delete],
    ))
}

/// The statements that make, in an empty scratch database, a copy of a
/// framework's `ledger`: the table as the framework creates it and every
/// row, so that the framework, started on the copy, sees the same applied
/// migrations (the deploy preflight). Django, Alembic and Rails, whose
/// steppers need their ledger; empty for tools whose migrations driftless
/// replays itself.
///
/// ```
/// use driftless_fixer::ledger_copy_statements;
/// use driftless_model::{Dialect, Ledger, LedgerEntry, LedgerKind, LedgerState, LedgerTable};
///
/// let table = LedgerTable { kind: LedgerKind::Alembic, schema: "main".into(), table: "alembic_version".into(), wide_versions: false };
/// let entry = LedgerEntry { id: "ae1027a6acf".into(), name: None, app: None, checksum: None, applied_at: None, state: LedgerState::Applied, execution_ms: None, detail: None };
/// let ledger = Ledger { table, dialect: Dialect::Sqlite, entries: vec![entry] };
/// let sql = ledger_copy_statements(&ledger, Dialect::Sqlite);
/// assert_eq!(sql[1], "INSERT INTO \"alembic_version\" (version_num) VALUES ('ae1027a6acf')");
/// ```
pub fn ledger_copy_statements(ledger: &Ledger, dialect: Dialect) -> Vec<String> {
    let t = quote_ident(dialect, &ledger.table.table);
    let applied = ledger
        .entries
        .iter()
        .filter(|e| e.state == LedgerState::Applied);
    let row = |e: &LedgerEntry| match ledger.table.kind {
        LedgerKind::Django => Some(format!(
            "INSERT INTO {t} (app, name, applied) VALUES ({}, {}, CURRENT_TIMESTAMP)",
            lit(dialect, e.app.as_deref().unwrap_or_default()),
            lit(dialect, e.name.as_deref().unwrap_or(&e.id))
        )),
        LedgerKind::Alembic => Some(format!(
            "INSERT INTO {t} (version_num) VALUES ({})",
            lit(dialect, &e.id)
        )),
        LedgerKind::Rails => Some(format!(
            "INSERT INTO {t} (version) VALUES ({})",
            lit(dialect, &e.id)
        )),
        _ => None,
    };
    if !matches!(
        ledger.table.kind,
        LedgerKind::Django | LedgerKind::Alembic | LedgerKind::Rails
    ) {
        return Vec::new();
    }
    let mut out = ledger_ddl(&ledger.table, dialect, &t);
    out.extend(applied.filter_map(row));
    out
}

/// One migration to record in one ledger table (`t`, quoted).
struct Record<'a> {
    t: String,
    table: &'a LedgerTable,
    dialect: Dialect,
    migration: &'a Migration,
    ms: i64,
}

impl<'a> Record<'a> {
    fn new(table: &'a LedgerTable, dialect: Dialect, migration: &'a Migration, ms: i64) -> Self {
        Record {
            t: qualified(dialect, table),
            table,
            dialect,
            migration,
            ms: ms.max(0),
        }
    }

    fn l(&self, s: &str) -> String {
        lit(self.dialect, s)
    }

    /// The migration's id as the number a numeric ledger needs.
    fn numeric(&self) -> Result<i64> {
        self.migration.id.parse::<i64>().map_err(|_| {
            RecordError(format!(
                "migration id `{}` is not a number, which the {} ledger {} needs",
                self.migration.id, self.table.kind, self.table.table
            ))
        })
    }

    fn checksum(&self, kind: LedgerKind) -> String {
        self.migration
            .checksum_for(kind)
            .map(|c| c.to_string())
            .unwrap_or_default()
    }

    /// A predicate on the ledger that holds when the migration is recorded.
    fn present(&self) -> Result<String> {
        let m = self.migration;
        Ok(match self.table.kind {
            LedgerKind::Django => format!(
                "app = {} AND name = {}",
                self.l(m.app.as_deref().unwrap_or_default()),
                self.l(&m.name)
            ),
            LedgerKind::Sqlx | LedgerKind::Refinery | LedgerKind::GolangMigrate => {
                format!("version = {}", self.numeric()?)
            }
            LedgerKind::Diesel | LedgerKind::Dbmate | LedgerKind::Rails | LedgerKind::SeaOrm => {
                format!("version = {}", self.l(&m.id))
            }
            LedgerKind::Flyway => match m.kind {
                MigrationKind::Versioned => {
                    format!(
                        "version = {}",
                        self.l(m.version.as_deref().unwrap_or(&m.id))
                    )
                }
                MigrationKind::Repeatable => {
                    let script = m
                        .path
                        .file_name()
                        .and_then(|f| f.to_str())
                        .unwrap_or_default();
                    match m.checksum_for(LedgerKind::Flyway) {
                        Some(Checksum::Crc32(c)) => {
                            format!("script = {} AND checksum = {c}", self.l(script))
                        }
                        _ => format!("script = {} AND checksum IS NULL", self.l(script)),
                    }
                }
            },
            LedgerKind::Alembic => format!("version_num = {}", self.l(&m.id)),
            LedgerKind::Prisma => format!(
                "migration_name = {} AND finished_at IS NOT NULL AND rolled_back_at IS NULL",
                self.l(&m.id)
            ),
        })
    }

    fn truth(&self) -> &'static str {
        if self.dialect == Dialect::Postgres {
            "TRUE"
        } else {
            "1"
        }
    }

    fn django(&self) -> Vec<String> {
        let app = self.migration.app.as_deref().unwrap_or_default();
        let now = match self.dialect {
            // Microseconds, as Django's `isoformat()` writes them.
            Dialect::Sqlite => "strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'",
            _ => "CURRENT_TIMESTAMP",
        };
        vec![format!(
            "INSERT INTO {} (app, name, applied) VALUES ({}, {}, {now})",
            self.t,
            self.l(app),
            self.l(&self.migration.name)
        )]
    }

    fn sqlx(&self) -> Result<Vec<String>> {
        let checksum = self.checksum(LedgerKind::Sqlx);
        let bytes = match self.dialect {
            Dialect::Postgres => format!("decode('{checksum}', 'hex')"),
            _ => format!("X'{checksum}'"),
        };
        Ok(vec![format!(
            "INSERT INTO {} (version, description, success, checksum, execution_time) VALUES ({}, {}, {}, {bytes}, {})",
            self.t,
            self.numeric()?,
            self.l(&self.migration.name),
            self.truth(),
            self.ms.saturating_mul(1_000_000)
        )])
    }

    fn refinery(&self) -> Result<Vec<String>> {
        // RFC 3339 in UTC spelled `Z`, as refinery formats `applied_on`.
        let now = match self.dialect {
            Dialect::Postgres => {
                "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
            }
            Dialect::Mysql => "DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%dT%H:%i:%s.%fZ')",
            Dialect::Sqlite => "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        };
        let name = self
            .migration
            .refinery_name()
            .unwrap_or_else(|| self.migration.name.clone());
        Ok(vec![format!(
            "INSERT INTO {} (version, name, applied_on, checksum) VALUES ({}, {}, {now}, {})",
            self.t,
            self.numeric()?,
            self.l(&name),
            self.l(&self.checksum(LedgerKind::Refinery))
        )])
    }

    fn sea_orm(&self) -> Vec<String> {
        let now = match self.dialect {
            Dialect::Postgres => "CAST(EXTRACT(EPOCH FROM now()) AS bigint)",
            Dialect::Mysql => "UNIX_TIMESTAMP()",
            Dialect::Sqlite => "CAST(strftime('%s', 'now') AS INTEGER)",
        };
        vec![format!(
            "INSERT INTO {} (version, applied_at) VALUES ({}, {now})",
            self.t,
            self.l(&self.migration.id)
        )]
    }

    fn flyway(&self) -> Vec<String> {
        let m = self.migration;
        let checksum = match m.checksum_for(LedgerKind::Flyway) {
            Some(Checksum::Crc32(c)) => c.to_string(),
            _ => "NULL".into(),
        };
        let version = match m.kind {
            MigrationKind::Versioned => self.l(m.version.as_deref().unwrap_or(&m.id)),
            MigrationKind::Repeatable => "NULL".into(),
        };
        let script = m
            .path
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or_default();
        let user = match self.dialect {
            Dialect::Postgres => "current_user",
            Dialect::Mysql => "SUBSTRING_INDEX(CURRENT_USER(), '@', 1)",
            // Flyway's SQLite user is the empty string.
            Dialect::Sqlite => "''",
        };
        let t = &self.t;
        vec![format!(
            "INSERT INTO {t} (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) \
             SELECT COALESCE(MAX(installed_rank), 0) + 1, {version}, {}, 'SQL', {}, {checksum}, {user}, {}, {} FROM {t}",
            self.l(&m.name),
            self.l(script),
            self.ms,
            self.truth()
        )]
    }

    fn golang_migrate(&self) -> Result<Vec<String>> {
        let v = self.numeric()?;
        let f = if self.dialect == Dialect::Postgres {
            "FALSE"
        } else {
            "0"
        };
        Ok(vec![
            format!("DELETE FROM {}", self.t),
            format!("INSERT INTO {} (version, dirty) VALUES ({v}, {f})", self.t),
        ])
    }

    fn alembic(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.migration.parents.is_empty() {
            let parents: Vec<String> = self.migration.parents.iter().map(|p| self.l(p)).collect();
            out.push(format!(
                "DELETE FROM {} WHERE version_num IN ({})",
                self.t,
                parents.join(", ")
            ));
        }
        out.push(format!(
            "INSERT INTO {} (version_num) VALUES ({})",
            self.t,
            self.l(&self.migration.id)
        ));
        out
    }

    /// The row `prisma migrate resolve --applied` writes: empty `logs`,
    /// started and finished at once, no steps counted.
    fn prisma(&self) -> Vec<String> {
        let (uuid, now) = match self.dialect {
            Dialect::Postgres => ("CAST(gen_random_uuid() AS text)", "now()"),
            Dialect::Mysql => ("UUID()", "CURRENT_TIMESTAMP(3)"),
            Dialect::Sqlite => (
                "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))",
                "CAST(strftime('%s', 'now') AS INTEGER) * 1000",
            ),
        };
        vec![format!(
            "INSERT INTO {} (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count) \
             VALUES ({uuid}, {}, {now}, {}, '', NULL, {now}, 0)",
            self.t,
            self.l(&self.checksum(LedgerKind::Prisma)),
            self.l(&self.migration.id)
        )]
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use driftless_migrations::{parse_migrations, SourceFile};
    use driftless_model::LedgerEntry;
    use std::path::Path;

    fn table(kind: LedgerKind) -> LedgerTable {
        LedgerTable {
            kind,
            schema: "app".into(),
            table: kind.table().into(),
            wide_versions: false,
        }
    }

    #[test]
    fn quotes_values_per_dialect() {
        let set = parse_migrations(
            Path::new("m"),
            &[SourceFile::new("db/migrate/20240101000000_o_brien.rb", "")],
        )
        .unwrap();
        let mut m = set.migrations[0].clone();
        m.id = "it's\\".into();
        let my = record_statements(&table(LedgerKind::Rails), Dialect::Mysql, &m, 0).unwrap();
        assert_eq!(
            my,
            vec!["INSERT INTO `app`.`schema_migrations` (version) VALUES ('it''s\\\\')"]
        );
        // An escape string: the same whatever standard_conforming_strings is.
        let pg = record_statements(&table(LedgerKind::Rails), Dialect::Postgres, &m, 0).unwrap();
        assert_eq!(
            pg,
            vec!["INSERT INTO \"app\".\"schema_migrations\" (version) VALUES (E'it''s\\\\')"]
        );
        assert!(record_statements(&table(LedgerKind::Sqlx), Dialect::Postgres, &m, 0).is_err());
    }

    /// Rails' ledger copied as Active Record creates it: what
    /// `db:migrate:up` on the copy reads as applied.
    #[test]
    fn rails_ledger_copy_on_each_dialect() {
        let entry = |id: &str, state| LedgerEntry {
            id: id.into(),
            name: None,
            app: None,
            checksum: None,
            applied_at: None,
            state,
            execution_ms: None,
            detail: None,
        };
        let ledger = |dialect| Ledger {
            table: table(LedgerKind::Rails),
            dialect,
            entries: vec![
                entry("20240101000001", LedgerState::Applied),
                entry("20240102000002", LedgerState::Failed),
            ],
        };
        assert_eq!(
            ledger_copy_statements(&ledger(Dialect::Postgres), Dialect::Postgres),
            [
                "CREATE TABLE \"schema_migrations\" (version varchar NOT NULL PRIMARY KEY)",
                "INSERT INTO \"schema_migrations\" (version) VALUES ('20240101000001')"
            ]
        );
        assert_eq!(
            ledger_copy_statements(&ledger(Dialect::Mysql), Dialect::Mysql)[0],
            "CREATE TABLE `schema_migrations` (version varchar(255) NOT NULL PRIMARY KEY)"
        );
    }

    /// The same record on the three dialects, side by side.
    #[test]
    fn sqlx_and_django_rows_on_each_dialect() {
        let set = parse_migrations(
            Path::new("m"),
            &[SourceFile::new(
                "20240501000000_users.sql",
                "CREATE TABLE users (id int);",
            )],
        )
        .unwrap();
        let m = &set.migrations[0];
        let sum = m.checksum_for(LedgerKind::Sqlx).unwrap().to_string();
        let record = |d| record_statements(&table(LedgerKind::Sqlx), d, m, 12).unwrap();
        let prefix = "(version, description, success, checksum, execution_time) VALUES (20240501000000, 'users'";
        assert_eq!(
            record(Dialect::Postgres),
            [format!("INSERT INTO \"app\".\"_sqlx_migrations\" {prefix}, TRUE, decode('{sum}', 'hex'), 12000000)")]
        );
        assert_eq!(
            record(Dialect::Mysql),
            [format!(
                "INSERT INTO `app`.`_sqlx_migrations` {prefix}, 1, X'{sum}', 12000000)"
            )]
        );
        assert_eq!(
            record(Dialect::Sqlite),
            [format!(
                "INSERT INTO \"app\".\"_sqlx_migrations\" {prefix}, 1, X'{sum}', 12000000)"
            )]
        );
        let mut dj = m.clone();
        dj.app = Some("auth".into());
        dj.name = "0001_initial".into();
        let django = |d| record_statements(&table(LedgerKind::Django), d, &dj, 0).unwrap();
        let values = "(app, name, applied) VALUES ('auth', '0001_initial'";
        assert_eq!(
            django(Dialect::Postgres),
            [format!(
                "INSERT INTO \"app\".\"django_migrations\" {values}, CURRENT_TIMESTAMP)"
            )]
        );
        assert_eq!(
            django(Dialect::Mysql),
            [format!(
                "INSERT INTO `app`.`django_migrations` {values}, CURRENT_TIMESTAMP)"
            )]
        );
        assert_eq!(
            django(Dialect::Sqlite),
            [format!("INSERT INTO \"app\".\"django_migrations\" {values}, strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')")]
        );
    }

    #[test]
    fn alembic_replaces_the_heads_it_follows() {
        let rev = |r: &str, d: &str| format!("revision = '{r}'\ndown_revision = {d}\n");
        let files = vec![
            SourceFile::new("versions/a.py", rev("a", "None")),
            SourceFile::new("versions/b.py", rev("b", "'a'")),
            SourceFile::new("versions/c.py", rev("c", "'a'")),
            SourceFile::new("versions/m.py", rev("m", "('b', 'c')")),
        ];
        let set = parse_migrations(Path::new("m"), &files).unwrap();
        let sql = record_statements(
            &table(LedgerKind::Alembic),
            Dialect::Sqlite,
            set.get("m").unwrap(),
            0,
        )
        .unwrap();
        assert_eq!(
            sql,
            vec![
                "DELETE FROM \"app\".\"alembic_version\" WHERE version_num IN ('b', 'c')"
                    .to_string(),
                "INSERT INTO \"app\".\"alembic_version\" (version_num) VALUES ('m')".to_string()
            ]
        );
    }
}
