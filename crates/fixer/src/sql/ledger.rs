//! The ledger writer: recording a migration as applied in its tool's own
//! ledger format, the statements behind "fake" fixes (record without
//! running) and ledger rebuilds. Pure: statements as values, executed by
//! the caller.

use driftless_model::{Checksum, Dialect, LedgerKind, LedgerTable, Migration, MigrationKind};

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
    let r = Record {
        t: format!(
            "{}.{}",
            quote_ident(dialect, &table.schema),
            quote_ident(dialect, &table.table)
        ),
        table,
        dialect,
        migration,
        ms: execution_ms.max(0),
    };
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

/// One migration to record in one ledger table (`t`, quoted).
struct Record<'a> {
    t: String,
    table: &'a LedgerTable,
    dialect: Dialect,
    migration: &'a Migration,
    ms: i64,
}

impl Record<'_> {
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
            Dialect::Sqlite => "strftime('%Y-%m-%d %H:%M:%f', 'now')",
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
        let now = match self.dialect {
            Dialect::Postgres => {
                "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"
            }
            Dialect::Mysql => "DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%dT%H:%i:%s.%f+00:00')",
            Dialect::Sqlite => "strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')",
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
            Dialect::Sqlite => "'driftless'",
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
             VALUES ({uuid}, {}, {now}, {}, NULL, NULL, {now}, 0)",
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
            [format!("INSERT INTO \"app\".\"django_migrations\" {values}, strftime('%Y-%m-%d %H:%M:%f', 'now'))")]
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
