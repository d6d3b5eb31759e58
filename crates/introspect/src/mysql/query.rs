//! The catalog SELECTs for MySQL and MariaDB, as values.
//!
//! Every query reads one `information_schema` view for all the selected
//! schemas at once (`TABLE_SCHEMA IN (…)`, a constant list, which MariaDB
//! needs to avoid opening the tables of every other database), so their
//! number never depends on the number of tables. Integer columns are cast
//! to `SIGNED` so they decode the same way on both servers.
//!
//! Each query over a view that needs table definitions makes the server
//! open every table's definition; with more tables than the server's
//! `table_definition_cache` (400 by default) that means reading them from
//! disk again, so the reader keeps such queries few: `TABLE_CONSTRAINTS` is
//! not read for unique constraints, because its `UNIQUE` rows are exactly
//! the unique indexes other than `PRIMARY` (both servers derive them from
//! the same index flag as `STATISTICS.NON_UNIQUE = 0`).

/// Opens the read-only transaction every catalog query runs in.
pub(crate) const BEGIN: &str = "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY";

/// Ends it (nothing was written; rolling back is cheapest).
pub(crate) const END: &str = "ROLLBACK";

/// The URL's database and the server version.
pub(crate) const SERVER: &str = "SELECT DATABASE(), VERSION()";

/// Which server, and which catalog features it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Flavor {
    /// MariaDB rather than MySQL.
    pub(crate) mariadb: bool,
    /// (major, minor, patch).
    pub(crate) version: (u32, u32, u32),
}

impl Flavor {
    /// Reads `VERSION()`: `8.0.36`, `10.11.6-MariaDB-0+deb12u1`,
    /// `5.5.5-10.6.12-MariaDB` (old replication prefix).
    pub(crate) fn parse(version: &str) -> Flavor {
        let mariadb = version.to_ascii_lowercase().contains("mariadb");
        let text = version
            .strip_prefix("5.5.5-")
            .filter(|_| mariadb)
            .unwrap_or(version);
        let mut nums = text
            .split(|c: char| !c.is_ascii_digit())
            .take(3)
            .map(|p| p.parse::<u32>().unwrap_or(0));
        let mut next = || nums.next().unwrap_or(0);
        Flavor {
            mariadb,
            version: (next(), next(), next()),
        }
    }

    /// `STATISTICS.EXPRESSION` (functional key parts): MySQL 8.0.13+.
    pub(crate) fn has_index_expressions(self) -> bool {
        !self.mariadb && self.version >= (8, 0, 13)
    }

    /// `information_schema.CHECK_CONSTRAINTS`: MariaDB 10.2.22+, MySQL 8.0.16+.
    pub(crate) fn has_check_constraints(self) -> bool {
        if self.mariadb {
            self.version >= (10, 2, 22)
        } else {
            self.version >= (8, 0, 16)
        }
    }

    /// Whether the optimizer ignores an index, as `'YES'` or `'NO'`:
    /// `STATISTICS.IGNORED` on MariaDB 10.6+, `IS_VISIBLE` (inverted) on
    /// MySQL 8; `NULL` before.
    pub(crate) fn index_ignored(self) -> &'static str {
        match (self.mariadb, self.version) {
            (true, v) if v >= (10, 6, 0) => "IGNORED",
            (false, v) if v >= (8, 0, 0) => "IF(IS_VISIBLE = 'NO', 'YES', 'NO')",
            _ => "NULL",
        }
    }

    /// `SCHEMATA.SCHEMA_COMMENT`: MariaDB 10.5+.
    pub(crate) fn has_schema_comments(self) -> bool {
        self.mariadb && self.version >= (10, 5, 0)
    }
}

/// A string literal that means `text` whatever the session's `sql_mode`
/// (a backslash is an escape unless `NO_BACKSLASH_ESCAPES`; a hex literal
/// sidesteps the question).
pub(crate) fn literal(text: &str) -> String {
    if text.contains('\\') {
        let hex: String = text.bytes().map(|b| format!("{b:02X}")).collect();
        format!("CONVERT(X'{hex}' USING utf8mb4)")
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

/// `` `name` `` with embedded backticks doubled.
pub(crate) fn quote_ident(name: &str) -> String {
    driftless_model::Dialect::Mysql.quote_ident(name)
}

/// `column IN ('a', 'b')`.
fn filter(column: &str, schemas: &[String]) -> String {
    let list: Vec<String> = schemas.iter().map(|s| literal(s)).collect();
    if list.len() == 1 {
        format!("{column} = {}", list.join(""))
    } else {
        format!("{column} IN ({})", list.join(", "))
    }
}

/// The catalog queries for one read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Queries {
    /// SCHEMA_NAME, comment, DEFAULT_COLLATION_NAME, the server's default
    /// storage engine.
    pub(crate) schemata: String,
    /// TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, TABLE_COLLATION, TABLE_COMMENT,
    /// ENGINE, CREATE_OPTIONS.
    pub(crate) tables: String,
    /// TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE,
    /// DATA_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, GENERATION_EXPRESSION,
    /// COLLATION_NAME, COLUMN_COMMENT.
    pub(crate) columns: String,
    /// TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX,
    /// COLUMN_NAME, COLLATION, SUB_PART, INDEX_TYPE, EXPRESSION, whether
    /// the index is ignored ([`Flavor::index_ignored`]), INDEX_COMMENT.
    pub(crate) indexes: String,
    /// TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION,
    /// COLUMN_NAME, REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME,
    /// REFERENCED_COLUMN_NAME of foreign-key columns.
    pub(crate) foreign_keys: String,
    /// CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, UPDATE_RULE,
    /// DELETE_RULE. Read apart from the key columns and joined in memory:
    /// MariaDB joins two `information_schema` views without an index, which
    /// took 3.4 s for 1,000 tables instead of 0.06 s for the two reads.
    pub(crate) fk_rules: String,
    /// TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE, LEVEL
    /// (MariaDB; NULL on MySQL). `None` when the server has no such view.
    pub(crate) checks: Option<String>,
    /// TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION, CHECK_OPTION,
    /// SECURITY_TYPE.
    pub(crate) views: String,
    /// TABLE_SCHEMA, TABLE_NAME, PARTITION_NAME, SUBPARTITION_NAME, their
    /// ordinal positions, PARTITION_METHOD, SUBPARTITION_METHOD,
    /// PARTITION_EXPRESSION, SUBPARTITION_EXPRESSION,
    /// PARTITION_DESCRIPTION, PARTITION_COMMENT of partitioned tables.
    pub(crate) partitions: String,
    /// The schema-level objects compared by their definition, read
    /// together in one round trip and not part of a scoped read
    /// ([`Queries::all`]).
    pub(crate) objects: ObjectQueries,
}

/// The catalog queries of the objects compared by their definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ObjectQueries {
    /// TRIGGER_SCHEMA, TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING,
    /// EVENT_MANIPULATION, ACTION_ORDER, ACTION_STATEMENT.
    pub(crate) triggers: String,
    /// ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE, DTD_IDENTIFIER,
    /// CHARACTER_SET_NAME, COLLATION_NAME, ROUTINE_DEFINITION,
    /// IS_DETERMINISTIC, SQL_DATA_ACCESS, SECURITY_TYPE, ROUTINE_COMMENT,
    /// DATABASE_COLLATION.
    pub(crate) routines: String,
    /// SPECIFIC_SCHEMA, SPECIFIC_NAME, ROUTINE_TYPE, ORDINAL_POSITION,
    /// PARAMETER_MODE, PARAMETER_NAME, DTD_IDENTIFIER, CHARACTER_SET_NAME,
    /// COLLATION_NAME of every routine parameter (not a function's result).
    pub(crate) parameters: String,
    /// EVENT_SCHEMA, EVENT_NAME, EVENT_TYPE, EXECUTE_AT, INTERVAL_VALUE,
    /// INTERVAL_FIELD, ENDS, STATUS, ON_COMPLETION, EVENT_COMMENT,
    /// EVENT_DEFINITION.
    pub(crate) events: String,
}

impl ObjectQueries {
    /// The queries for `schemas`, the same on both servers.
    fn new(schemas: &[String]) -> ObjectQueries {
        ObjectQueries {
            triggers: format!(
                "SELECT TRIGGER_SCHEMA, TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, \
                 CAST(ACTION_ORDER AS SIGNED), ACTION_STATEMENT FROM information_schema.TRIGGERS WHERE {}",
                filter("TRIGGER_SCHEMA", schemas)
            ),
            routines: format!(
                "SELECT ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE, DTD_IDENTIFIER, CHARACTER_SET_NAME, \
                 COLLATION_NAME, ROUTINE_DEFINITION, IS_DETERMINISTIC, SQL_DATA_ACCESS, SECURITY_TYPE, \
                 ROUTINE_COMMENT, DATABASE_COLLATION FROM information_schema.ROUTINES \
                 WHERE {} AND ROUTINE_TYPE IN ('PROCEDURE', 'FUNCTION')",
                filter("ROUTINE_SCHEMA", schemas)
            ),
            parameters: format!(
                "SELECT SPECIFIC_SCHEMA, SPECIFIC_NAME, ROUTINE_TYPE, CAST(ORDINAL_POSITION AS SIGNED), \
                 PARAMETER_MODE, PARAMETER_NAME, DTD_IDENTIFIER, CHARACTER_SET_NAME, COLLATION_NAME \
                 FROM information_schema.PARAMETERS WHERE {} AND ORDINAL_POSITION > 0",
                filter("SPECIFIC_SCHEMA", schemas)
            ),
            events: format!(
                "SELECT EVENT_SCHEMA, EVENT_NAME, EVENT_TYPE, CAST(EXECUTE_AT AS CHAR), \
                 CAST(INTERVAL_VALUE AS CHAR), INTERVAL_FIELD, CAST(ENDS AS CHAR), STATUS, ON_COMPLETION, \
                 EVENT_COMMENT, EVENT_DEFINITION FROM information_schema.EVENTS WHERE {}",
                filter("EVENT_SCHEMA", schemas)
            ),
        }
    }

    /// Every query, in the order they are sent.
    pub(crate) fn all(&self) -> [&str; 4] {
        [
            &self.triggers,
            &self.routines,
            &self.parameters,
            &self.events,
        ]
    }
}

impl Queries {
    /// The queries for `schemas` on a server of `flavor`.
    pub(crate) fn new(flavor: Flavor, schemas: &[String]) -> Queries {
        let comment = if flavor.has_schema_comments() {
            "SCHEMA_COMMENT"
        } else {
            "NULL"
        };
        let expression = if flavor.has_index_expressions() {
            "EXPRESSION"
        } else {
            "NULL"
        };
        let checks = flavor.has_check_constraints().then(|| {
            if flavor.mariadb {
                format!(
                    "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE, LEVEL \
                     FROM information_schema.CHECK_CONSTRAINTS WHERE {}",
                    filter("CONSTRAINT_SCHEMA", schemas)
                )
            } else {
                format!(
                    "SELECT t.TABLE_SCHEMA, t.TABLE_NAME, t.CONSTRAINT_NAME, c.CHECK_CLAUSE, NULL \
                     FROM information_schema.TABLE_CONSTRAINTS AS t \
                     JOIN information_schema.CHECK_CONSTRAINTS AS c \
                     ON c.CONSTRAINT_SCHEMA = t.CONSTRAINT_SCHEMA AND c.CONSTRAINT_NAME = t.CONSTRAINT_NAME \
                     WHERE {} AND t.CONSTRAINT_TYPE = 'CHECK'",
                    filter("t.TABLE_SCHEMA", schemas)
                )
            }
        });
        Queries {
            schemata: format!(
                "SELECT SCHEMA_NAME, {comment}, DEFAULT_COLLATION_NAME, @@default_storage_engine \
                 FROM information_schema.SCHEMATA WHERE {}",
                filter("SCHEMA_NAME", schemas)
            ),
            tables: format!(
                "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, TABLE_COLLATION, TABLE_COMMENT, ENGINE, \
                 CREATE_OPTIONS FROM information_schema.TABLES WHERE {}",
                filter("TABLE_SCHEMA", schemas)
            ),
            columns: format!(
                "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, CAST(ORDINAL_POSITION AS SIGNED), COLUMN_TYPE, \
                 DATA_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, GENERATION_EXPRESSION, COLLATION_NAME, COLUMN_COMMENT \
                 FROM information_schema.COLUMNS WHERE {}",
                filter("TABLE_SCHEMA", schemas)
            ),
            indexes: format!(
                "SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, CAST(NON_UNIQUE AS SIGNED), CAST(SEQ_IN_INDEX AS SIGNED), \
                 COLUMN_NAME, COLLATION, CAST(SUB_PART AS SIGNED), INDEX_TYPE, {expression}, {}, INDEX_COMMENT \
                 FROM information_schema.STATISTICS WHERE {}",
                flavor.index_ignored(),
                filter("TABLE_SCHEMA", schemas)
            ),
            foreign_keys: format!(
                "SELECT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, CAST(ORDINAL_POSITION AS SIGNED), \
                 COLUMN_NAME, REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME \
                 FROM information_schema.KEY_COLUMN_USAGE \
                 WHERE {} AND REFERENCED_TABLE_NAME IS NOT NULL",
                filter("TABLE_SCHEMA", schemas)
            ),
            fk_rules: format!(
                "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE \
                 FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE {}",
                filter("CONSTRAINT_SCHEMA", schemas)
            ),
            checks,
            views: format!(
                "SELECT TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION, CHECK_OPTION, SECURITY_TYPE \
                 FROM information_schema.VIEWS WHERE {}",
                filter("TABLE_SCHEMA", schemas)
            ),
            partitions: format!(
                "SELECT TABLE_SCHEMA, TABLE_NAME, PARTITION_NAME, SUBPARTITION_NAME, \
                 CAST(PARTITION_ORDINAL_POSITION AS SIGNED), CAST(SUBPARTITION_ORDINAL_POSITION AS SIGNED), \
                 PARTITION_METHOD, SUBPARTITION_METHOD, PARTITION_EXPRESSION, SUBPARTITION_EXPRESSION, \
                 PARTITION_DESCRIPTION, PARTITION_COMMENT FROM information_schema.PARTITIONS \
                 WHERE {} AND PARTITION_NAME IS NOT NULL",
                filter("TABLE_SCHEMA", schemas)
            ),
            objects: ObjectQueries::new(schemas),
        }
    }

    /// The queries of a scoped read: only the tables and views named in
    /// `only` (as given and in lower case, which is how a server with
    /// `lower_case_table_names` stores them).
    pub(crate) fn scoped(mut self, only: &std::collections::BTreeSet<String>) -> Queries {
        let mut names: Vec<String> = only
            .iter()
            .flat_map(|n| [n.clone(), n.to_ascii_lowercase()])
            .collect();
        names.sort();
        names.dedup();
        let condition = |column: &str| {
            if names.is_empty() {
                " AND FALSE".to_string()
            } else {
                format!(" AND {}", filter(column, &names))
            }
        };
        for q in [
            &mut self.tables,
            &mut self.columns,
            &mut self.indexes,
            &mut self.foreign_keys,
            &mut self.fk_rules,
            &mut self.views,
            &mut self.partitions,
        ] {
            q.push_str(&condition("TABLE_NAME"));
        }
        if let Some(checks) = &mut self.checks {
            let column = if checks.contains(" AS t ") {
                "t.TABLE_NAME"
            } else {
                "TABLE_NAME"
            };
            checks.push_str(&condition(column));
        }
        self
    }

    /// Every query, in the order they are sent.
    pub(crate) fn all(&self) -> Vec<&str> {
        let mut all = vec![
            self.schemata.as_str(),
            &self.tables,
            &self.columns,
            &self.indexes,
            &self.foreign_keys,
            &self.fk_rules,
        ];
        if let Some(c) = &self.checks {
            all.push(c);
        }
        all.push(&self.views);
        all.push(&self.partitions);
        all
    }
}

/// One statement reading the settings of every MariaDB sequence in
/// `sequences` ((schema, name) pairs): schema, name, start, increment,
/// minimum, maximum, cache, cycle. `None` when there are none.
pub(crate) fn sequences(sequences: &[(String, String)]) -> Option<String> {
    if sequences.is_empty() {
        return None;
    }
    let parts: Vec<String> = sequences
        .iter()
        .map(|(schema, name)| {
            format!(
                "SELECT {}, {}, CAST(start_value AS SIGNED), CAST(increment AS SIGNED), \
                 CAST(minimum_value AS SIGNED), CAST(maximum_value AS SIGNED), CAST(cache_size AS SIGNED), \
                 CAST(cycle_option AS SIGNED) FROM {}.{}",
                literal(schema),
                literal(name),
                quote_ident(schema),
                quote_ident(name)
            )
        })
        .collect();
    Some(parts.join("\nUNION ALL\n"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::type_complexity)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        assert_eq!(
            Flavor::parse("10.11.19-MariaDB-0+deb12u1"),
            Flavor {
                mariadb: true,
                version: (10, 11, 19)
            }
        );
        assert_eq!(
            Flavor::parse("5.5.5-10.6.12-MariaDB"),
            Flavor {
                mariadb: true,
                version: (10, 6, 12)
            }
        );
        let my = Flavor::parse("8.0.36-0ubuntu0.22.04.1");
        assert_eq!(
            my,
            Flavor {
                mariadb: false,
                version: (8, 0, 36)
            }
        );
        assert!(
            my.has_index_expressions() && my.has_check_constraints() && !my.has_schema_comments()
        );
        let old = Flavor::parse("5.7.44");
        assert!(!old.has_index_expressions() && !old.has_check_constraints());
        assert_eq!(Flavor::parse("garbage").version, (0, 0, 0));
    }

    #[test]
    fn literals_survive_any_sql_mode() {
        assert_eq!(literal("app"), "'app'");
        assert_eq!(literal("o'hara"), "'o''hara'");
        assert_eq!(literal("a\\b"), "CONVERT(X'615C62' USING utf8mb4)");
        assert_eq!(quote_ident("we`ird"), "`we``ird`");
    }

    #[test]
    fn queries_filter_by_constant_schema_lists() {
        let maria = Queries::new(Flavor::parse("10.11.6-MariaDB"), &["app".to_string()]);
        assert!(maria.tables.ends_with("WHERE TABLE_SCHEMA = 'app'"));
        assert!(maria
            .indexes
            .contains(", NULL, IGNORED, INDEX_COMMENT FROM information_schema.STATISTICS"));
        assert!(maria
            .checks
            .as_deref()
            .unwrap_or("")
            .contains("LEVEL FROM information_schema.CHECK_CONSTRAINTS"));
        assert!(maria.schemata.contains("SCHEMA_COMMENT"));
        assert_eq!(maria.all().len(), 9);
        let my = Queries::new(Flavor::parse("8.0.36"), &["a".to_string(), "b".to_string()]);
        assert!(my.tables.ends_with("WHERE TABLE_SCHEMA IN ('a', 'b')"));
        assert!(my
            .indexes
            .contains("EXPRESSION, IF(IS_VISIBLE = 'NO', 'YES', 'NO'), INDEX_COMMENT FROM"));
        assert!(my
            .checks
            .as_deref()
            .unwrap_or("")
            .contains("t.CONSTRAINT_TYPE = 'CHECK'"));
        assert!(my.fk_rules.contains("CONSTRAINT_SCHEMA IN ('a', 'b')"));
        assert_eq!(
            Queries::new(Flavor::parse("5.7.1"), &["a".to_string()])
                .all()
                .len(),
            8
        );
    }

    #[test]
    fn sequences_are_read_in_one_statement() {
        assert_eq!(sequences(&[]), None);
        let sql =
            sequences(&[("s".into(), "a".into()), ("s".into(), "b`c".into())]).unwrap_or_default();
        assert_eq!(sql.matches("UNION ALL").count(), 1);
        assert!(sql.contains("FROM `s`.`b``c`"));
    }
}
