//! Guards for the idempotent script: catalog conditions under which a
//! statement still needs to run, rendered per dialect.
//!
//! PostgreSQL statements run inside `DO` blocks (`IF … THEN EXECUTE …`);
//! MySQL/MariaDB statements run through a prepared statement chosen by
//! `IF(condition, statement, 'DO 0')`; SQLite has no conditional execution,
//! so only its native `IF [NOT] EXISTS` forms are guarded.

use driftless_model::Dialect;

use crate::quote::{literal, qualified};

/// A catalog condition.
#[derive(Debug, Clone)]
pub(crate) enum Cond {
    /// A table or view (a relation) exists.
    Relation { schema: String, name: String },
    /// A column exists.
    Column {
        schema: String,
        table: String,
        column: String,
    },
    /// An index exists (PostgreSQL: by name in the schema; MySQL: on the table).
    Index {
        schema: String,
        table: String,
        name: String,
    },
    /// A constraint of the table exists.
    Constraint {
        schema: String,
        table: String,
        name: String,
    },
    /// A type exists (PostgreSQL).
    Type { schema: String, name: String },
    /// An enum's labels differ from these (PostgreSQL).
    EnumLabelsDiffer {
        schema: String,
        name: String,
        labels: Vec<String>,
    },
    /// A column is an identity column (PostgreSQL).
    Identity {
        schema: String,
        table: String,
        column: String,
    },
    /// Negation.
    Not(Box<Cond>),
}

impl Cond {
    pub(crate) fn not(self) -> Cond {
        Cond::Not(Box::new(self))
    }
}

fn pg_regclass(schema: &str, name: &str) -> String {
    literal(
        Dialect::Postgres,
        &qualified(Dialect::Postgres, schema, name),
    )
}

/// The condition as a boolean SQL expression.
pub(crate) fn render_cond(dialect: Dialect, cond: &Cond) -> Option<String> {
    let lit = |s: &str| literal(dialect, s);
    Some(match (dialect, cond) {
        (_, Cond::Not(c)) => format!("NOT ({})", render_cond(dialect, c)?),
        (Dialect::Postgres, Cond::Relation { schema, name }) => format!("to_regclass({}) IS NOT NULL", pg_regclass(schema, name)),
        (Dialect::Postgres, Cond::Column { schema, table, column }) => format!(
            "EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = {} AND table_name = {} AND column_name = {})",
            lit(schema),
            lit(table),
            lit(column)
        ),
        (Dialect::Postgres, Cond::Index { schema, name, .. }) => format!("to_regclass({}) IS NOT NULL", pg_regclass(schema, name)),
        (Dialect::Postgres, Cond::Constraint { schema, table, name }) => format!(
            "EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass({}) AND conname = {})",
            pg_regclass(schema, table),
            lit(name)
        ),
        (Dialect::Postgres, Cond::Type { schema, name }) => format!("to_regtype({}) IS NOT NULL", pg_regclass(schema, name)),
        (Dialect::Postgres, Cond::EnumLabelsDiffer { schema, name, labels }) => format!(
            "(SELECT array_agg(enumlabel::text ORDER BY enumsortorder) FROM pg_catalog.pg_enum WHERE enumtypid = to_regtype({})) IS DISTINCT FROM ARRAY[{}]::text[]",
            pg_regclass(schema, name),
            labels.iter().map(|l| lit(l)).collect::<Vec<_>>().join(", ")
        ),
        (Dialect::Postgres, Cond::Identity { schema, table, column }) => format!(
            "EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = {} AND table_name = {} AND column_name = {} AND is_identity = 'YES')",
            lit(schema),
            lit(table),
            lit(column)
        ),
        (Dialect::Mysql, Cond::Relation { schema, name }) => format!(
            "EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = {} AND table_name = {})",
            lit(schema),
            lit(name)
        ),
        (Dialect::Mysql, Cond::Column { schema, table, column }) => format!(
            "EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = {} AND table_name = {} AND column_name = {})",
            lit(schema),
            lit(table),
            lit(column)
        ),
        (Dialect::Mysql, Cond::Index { schema, table, name }) => format!(
            "EXISTS (SELECT 1 FROM information_schema.statistics WHERE table_schema = {} AND table_name = {} AND index_name = {})",
            lit(schema),
            lit(table),
            lit(name)
        ),
        (Dialect::Mysql, Cond::Constraint { schema, table, name }) => format!(
            "EXISTS (SELECT 1 FROM information_schema.table_constraints WHERE constraint_schema = {} AND table_name = {} AND constraint_name = {})",
            lit(schema),
            lit(table),
            lit(name)
        ),
        (Dialect::Sqlite, Cond::Relation { name, .. }) => format!("EXISTS (SELECT 1 FROM sqlite_schema WHERE name = {})", lit(name)),
        (Dialect::Sqlite, Cond::Column { table, column, .. }) => {
            format!("EXISTS (SELECT 1 FROM pragma_table_xinfo({}) WHERE name = {})", lit(table), lit(column))
        }
        (Dialect::Sqlite, Cond::Index { name, .. }) => format!("EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = {})", lit(name)),
        _ => return None,
    })
}

fn dollar_tag(body: &str) -> String {
    let mut n = 0u32;
    loop {
        let tag = if n == 0 {
            "$driftless$".to_string()
        } else {
            format!("$driftless{n}$")
        };
        if !body.contains(&tag) {
            return tag;
        }
        n += 1;
    }
}

/// The statements guarded by `cond`: they run only while it holds. Returns
/// the statements unguarded (with a note in the caller's docs) where the
/// dialect cannot branch (SQLite).
pub(crate) fn guarded(dialect: Dialect, cond: &Cond, stmts: &[String]) -> Vec<String> {
    let Some(c) = render_cond(dialect, cond) else {
        return stmts.to_vec();
    };
    match dialect {
        Dialect::Postgres => {
            let body: String = stmts
                .iter()
                .map(|s| format!("    EXECUTE {};\n", literal(dialect, s)))
                .collect();
            let inner = format!("BEGIN\n  IF {c} THEN\n{body}  END IF;\nEND");
            let tag = dollar_tag(&inner);
            vec![format!("DO {tag}\n{inner}\n{tag}")]
        }
        Dialect::Mysql => {
            let mut out = vec![format!("SET @driftless_run = ({c})")];
            for s in stmts {
                out.push(format!(
                    "SET @driftless_sql = IF(@driftless_run, {}, 'DO 0')",
                    literal(dialect, s)
                ));
                out.push("PREPARE driftless_stmt FROM @driftless_sql".into());
                out.push("EXECUTE driftless_stmt".into());
                out.push("DEALLOCATE PREPARE driftless_stmt".into());
            }
            out
        }
        Dialect::Sqlite => stmts.to_vec(),
    }
}

/// Shorthand: a relation condition.
pub(crate) fn relation(schema: &str, name: &str) -> Cond {
    Cond::Relation {
        schema: schema.into(),
        name: name.into(),
    }
}

/// Shorthand: a column condition.
pub(crate) fn column(schema: &str, table: &str, col: &str) -> Cond {
    Cond::Column {
        schema: schema.into(),
        table: table.into(),
        column: col.into(),
    }
}

/// Shorthand: a constraint condition.
pub(crate) fn constraint(schema: &str, table: &str, name: &str) -> Cond {
    Cond::Constraint {
        schema: schema.into(),
        table: table.into(),
        name: name.into(),
    }
}

/// Shorthand: an index condition.
pub(crate) fn index(schema: &str, table: &str, name: &str) -> Cond {
    Cond::Index {
        schema: schema.into(),
        table: table.into(),
        name: name.into(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn postgres_do_block_quotes_the_statement() {
        let out = guarded(
            Dialect::Postgres,
            &column("public", "t", "a'b").not(),
            &["ALTER TABLE \"t\" ADD COLUMN \"a'b\" int".into()],
        );
        assert_eq!(out.len(), 1);
        assert!(out[0].starts_with("DO $driftless$"));
        assert!(out[0].contains("column_name = 'a''b'"));
        assert!(out[0].contains("EXECUTE 'ALTER TABLE \"t\" ADD COLUMN \"a''b\" int';"));
    }

    #[test]
    fn mysql_prepared_statement() {
        let out = guarded(
            Dialect::Mysql,
            &column("app", "t", "c"),
            &["ALTER TABLE `app`.`t` RENAME COLUMN `c` TO `d`".into()],
        );
        // The database is named: the guard does not depend on the
        // connection's default database.
        assert_eq!(out[0], "SET @driftless_run = (EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'app' AND table_name = 't' AND column_name = 'c'))");
        assert_eq!(out[1], "SET @driftless_sql = IF(@driftless_run, 'ALTER TABLE `app`.`t` RENAME COLUMN `c` TO `d`', 'DO 0')");
    }
}
