//! Recording a migration as applied in its tool's own ledger format: the
//! statements behind "fake" fixes (record without running) and ledger
//! rebuilds. Pure: statements as values, executed by the caller.

use super::{LedgerKind, LedgerTable, Migration};
use crate::error::{Error, Result};
use crate::model::Dialect;

fn quote_ident(dialect: Dialect, ident: &str) -> String {
    dialect.quote_ident(ident)
}

fn lit(dialect: Dialect, s: &str) -> String {
    dialect.quote_literal(s)
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
/// use driftless_introspect::{record_statements, Dialect, LedgerKind, LedgerTable, MigrationSet, SourceFile};
/// use std::path::Path;
///
/// let set = MigrationSet::from_files(Path::new("m"), &[SourceFile::new("20240501_users.sql", "CREATE TABLE users (id int);")]).unwrap();
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
    let record = Record {
        t: format!(
            "{}.{}",
            quote_ident(dialect, &table.schema),
            quote_ident(dialect, &table.table)
        ),
        table,
        dialect,
        migration,
    };
    let t = &record.t;
    let ms = execution_ms.max(0);
    let sql = match table.kind {
        LedgerKind::Django => vec![record.django()],
        LedgerKind::Sqlx => vec![record.sqlx(ms)?],
        LedgerKind::Refinery => vec![record.refinery()?],
        LedgerKind::Diesel | LedgerKind::Dbmate | LedgerKind::Rails => {
            vec![format!(
                "INSERT INTO {t} (version) VALUES ({})",
                record.lit(&migration.id)
            )]
        }
        LedgerKind::SeaOrm => {
            let now = match dialect {
                Dialect::Postgres => "CAST(EXTRACT(EPOCH FROM now()) AS bigint)",
                Dialect::Mysql => "UNIX_TIMESTAMP()",
                Dialect::Sqlite => "CAST(strftime('%s', 'now') AS INTEGER)",
            };
            vec![format!(
                "INSERT INTO {t} (version, applied_at) VALUES ({}, {now})",
                record.lit(&migration.id)
            )]
        }
        LedgerKind::Flyway => vec![record.flyway(ms)],
        LedgerKind::GolangMigrate => {
            let v = record.numeric_id()?;
            let f = if dialect == Dialect::Postgres {
                "FALSE"
            } else {
                "0"
            };
            vec![
                format!("DELETE FROM {t}"),
                format!("INSERT INTO {t} (version, dirty) VALUES ({v}, {f})"),
            ]
        }
        LedgerKind::Alembic => record.alembic(),
        LedgerKind::Prisma => vec![record.prisma()],
    };
    Ok(sql)
}

/// What the statements recording one migration are built from.
struct Record<'a> {
    /// The ledger table, qualified and quoted.
    t: String,
    table: &'a LedgerTable,
    dialect: Dialect,
    migration: &'a Migration,
}

impl Record<'_> {
    fn lit(&self, s: &str) -> String {
        lit(self.dialect, s)
    }

    /// The migration id as the number a numeric ledger stores.
    fn numeric_id(&self) -> Result<i64> {
        self.migration.id.parse::<i64>().map_err(|_| {
            Error::Invalid(format!(
                "migration id `{}` is not a number, which the {} ledger {} needs",
                self.migration.id, self.table.kind, self.table.table
            ))
        })
    }

    /// The migration's checksum as `kind` records it, as text.
    fn checksum_text(&self, kind: LedgerKind) -> String {
        self.migration
            .checksum_for(kind)
            .map(|c| c.to_string())
            .unwrap_or_default()
    }

    fn django(&self) -> String {
        let Record { t, migration, .. } = self;
        let app = migration.app.as_deref().unwrap_or_default();
        let now = match self.dialect {
            Dialect::Sqlite => "strftime('%Y-%m-%d %H:%M:%f', 'now')",
            _ => "CURRENT_TIMESTAMP",
        };
        format!(
            "INSERT INTO {t} (app, name, applied) VALUES ({}, {}, {now})",
            self.lit(app),
            self.lit(&migration.name)
        )
    }

    fn sqlx(&self, ms: i64) -> Result<String> {
        let Record { t, dialect, .. } = self;
        let checksum = self.checksum_text(LedgerKind::Sqlx);
        let bytes = match dialect {
            Dialect::Postgres => format!("decode('{checksum}', 'hex')"),
            _ => format!("X'{checksum}'"),
        };
        let truth = if *dialect == Dialect::Postgres {
            "TRUE"
        } else {
            "1"
        };
        Ok(format!(
            "INSERT INTO {t} (version, description, success, checksum, execution_time) VALUES ({}, {}, {truth}, {bytes}, {})",
            self.numeric_id()?,
            self.lit(&self.migration.name),
            ms.saturating_mul(1_000_000)
        ))
    }

    fn refinery(&self) -> Result<String> {
        let Record { t, migration, .. } = self;
        let checksum = self.checksum_text(LedgerKind::Refinery);
        let now = match self.dialect {
            Dialect::Postgres => {
                "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"
            }
            Dialect::Mysql => "DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%dT%H:%i:%s.%f+00:00')",
            Dialect::Sqlite => "strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')",
        };
        Ok(format!(
            "INSERT INTO {t} (version, name, applied_on, checksum) VALUES ({}, {}, {now}, {})",
            self.numeric_id()?,
            self.lit(
                &super::formats::refinery_name(&migration.path)
                    .unwrap_or_else(|| migration.name.clone())
            ),
            self.lit(&checksum)
        ))
    }

    fn flyway(&self, ms: i64) -> String {
        let Record { t, migration, .. } = self;
        let checksum = match migration.checksum_for(LedgerKind::Flyway) {
            Some(super::Checksum::Crc32(c)) => c.to_string(),
            _ => "NULL".into(),
        };
        let version = match migration.kind {
            super::MigrationKind::Versioned => {
                self.lit(migration.version.as_deref().unwrap_or(&migration.id))
            }
            super::MigrationKind::Repeatable => "NULL".into(),
        };
        let script = migration
            .path
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or_default();
        let (user, truth) = match self.dialect {
            Dialect::Postgres => ("current_user", "TRUE"),
            Dialect::Mysql => ("SUBSTRING_INDEX(CURRENT_USER(), '@', 1)", "1"),
            Dialect::Sqlite => ("'driftless'", "1"),
        };
        format!(
            "INSERT INTO {t} (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) \
             SELECT COALESCE(MAX(installed_rank), 0) + 1, {version}, {}, 'SQL', {}, {checksum}, {user}, {ms}, {truth} FROM {t}",
            self.lit(&migration.name),
            self.lit(script)
        )
    }

    /// Replaces the heads the migration follows with it.
    fn alembic(&self) -> Vec<String> {
        let Record { t, migration, .. } = self;
        let mut out = Vec::new();
        if !migration.parents.is_empty() {
            let parents: Vec<String> = migration.parents.iter().map(|p| self.lit(p)).collect();
            out.push(format!(
                "DELETE FROM {t} WHERE version_num IN ({})",
                parents.join(", ")
            ));
        }
        out.push(format!(
            "INSERT INTO {t} (version_num) VALUES ({})",
            self.lit(&migration.id)
        ));
        out
    }

    fn prisma(&self) -> String {
        let Record { t, migration, .. } = self;
        let checksum = self.checksum_text(LedgerKind::Prisma);
        let (uuid, now) = match self.dialect {
            Dialect::Postgres => ("CAST(gen_random_uuid() AS text)", "now()"),
            Dialect::Mysql => ("UUID()", "CURRENT_TIMESTAMP(3)"),
            Dialect::Sqlite => (
                "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))",
                "CAST(strftime('%s', 'now') AS INTEGER) * 1000",
            ),
        };
        format!(
            "INSERT INTO {t} (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count) \
             VALUES ({uuid}, {}, {now}, {}, NULL, NULL, {now}, 0)",
            self.lit(&checksum),
            self.lit(&migration.id)
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::{MigrationSet, SourceFile};
    use super::*;
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
        let set = MigrationSet::from_files(
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

    #[test]
    fn alembic_replaces_the_heads_it_follows() {
        let rev = |r: &str, d: &str| format!("revision = '{r}'\ndown_revision = {d}\n");
        let files = vec![
            SourceFile::new("versions/a.py", rev("a", "None")),
            SourceFile::new("versions/b.py", rev("b", "'a'")),
            SourceFile::new("versions/c.py", rev("c", "'a'")),
            SourceFile::new("versions/m.py", rev("m", "('b', 'c')")),
        ];
        let set = MigrationSet::from_files(Path::new("m"), &files).unwrap();
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
