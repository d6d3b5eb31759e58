//! Table options of MySQL and MariaDB → [`Table::options`]. Pure.
//!
//! Only what a table was given beyond its schema's and server's defaults
//! is reported, so a table made by the same statement on the same kind of
//! server reads the same whatever the defaults were:
//!
//! * `engine`: `TABLES.ENGINE` when it is not the server's
//!   `default_storage_engine` (`MyISAM`, `Aria`, `MEMORY`);
//! * `collation` and `charset`: `TABLES.TABLE_COLLATION` (and its
//!   character set) when it is not the schema's default collation;
//! * `row_format`: the `ROW_FORMAT` the table was created with
//!   (`CREATE_OPTIONS` holds it only when it was given), upper case;
//! * `key_block_size`: the `KEY_BLOCK_SIZE` the table was created with
//!   (`CREATE_OPTIONS` again), in KiB;
//! * `partition_by`: the partitioning clause, assembled from
//!   `information_schema.PARTITIONS` in one canonical spelling:
//!   ``PARTITION BY RANGE (year(`d`)) (PARTITION `p0` VALUES LESS THAN (2000), PARTITION `p1` VALUES LESS THAN MAXVALUE)``,
//!   every partition (and subpartition) named, as the server named them;
//!   hash and key partitions the server named itself (`p0` … `pN-1`) as
//!   ``PARTITION BY HASH (`id`) PARTITIONS N``, as the server prints them.
//!   MariaDB's `SYSTEM_TIME` partitioning keeps only which partitions hold
//!   history: its interval is not in the catalog.

use std::collections::BTreeMap;

use super::parse::{int, keys, non_empty, table_mut, text, CatalogRows};
use crate::database::Row;
use crate::error::Result;
use driftless_model::{collation_charset, Dialect, Snapshot};

/// Sets the options of every table read.
pub(super) fn add_table_options(snap: &mut Snapshot, rows: &CatalogRows) -> Result<()> {
    let mut defaults: BTreeMap<String, (Option<String>, Option<String>)> = BTreeMap::new();
    for row in &rows.schemata {
        let [schema] = keys(row, "SCHEMATA")?;
        defaults.insert(schema, (non_empty(text(row, 2)), non_empty(text(row, 3))));
    }
    for row in &rows.tables {
        let [schema, name] = keys(row, "TABLES")?;
        let (collation, engine) = defaults.get(&schema).cloned().unwrap_or_default();
        if let Some(t) = table_mut(snap, &schema, &name) {
            t.options = table_options(
                &Defaults { collation, engine },
                non_empty(text(row, 3)),
                non_empty(text(row, 5)),
                &text(row, 6).unwrap_or_default(),
            );
        }
    }
    for ((schema, name), clause) in partition_clauses(&rows.partitions)? {
        if let Some(t) = table_mut(snap, &schema, &name) {
            t.options.insert("partition_by".into(), clause);
        }
    }
    Ok(())
}

/// A schema's default collation and the server's default engine.
struct Defaults {
    collation: Option<String>,
    engine: Option<String>,
}

/// The options of one table from its `TABLES` row.
fn table_options(
    defaults: &Defaults,
    collation: Option<String>,
    engine: Option<String>,
    create_options: &str,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(engine) = engine {
        let default = defaults.engine.as_deref().unwrap_or("");
        if !engine.eq_ignore_ascii_case(default) {
            out.insert("engine".to_string(), engine);
        }
    }
    if let Some(collation) = collation.filter(|c| Some(c) != defaults.collation.as_ref()) {
        out.insert(
            "charset".to_string(),
            collation_charset(&collation).to_string(),
        );
        out.insert("collation".to_string(), collation);
    }
    let given = |name: &str| {
        create_options.split_whitespace().find_map(|o| {
            let (key, value) = o.split_once('=')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.to_ascii_uppercase())
        })
    };
    for name in ["row_format", "key_block_size"] {
        if let Some(value) = given(name) {
            out.insert(name.to_string(), value);
        }
    }
    out
}

/// One row of [`super::query::Queries::partitions`].
struct PartitionRow {
    position: i64,
    sub_position: i64,
    name: String,
    sub_name: Option<String>,
    method: String,
    sub_method: Option<String>,
    expression: String,
    sub_expression: String,
    description: String,
    comment: String,
}

impl PartitionRow {
    fn read(row: &Row) -> Result<((String, String), PartitionRow)> {
        let [schema, table, name] = keys(row, "PARTITIONS")?;
        let part = PartitionRow {
            position: int(row, 4).unwrap_or(0),
            sub_position: int(row, 5).unwrap_or(0),
            name,
            sub_name: non_empty(text(row, 3)),
            method: text(row, 6).unwrap_or_default().to_ascii_uppercase(),
            sub_method: non_empty(text(row, 7)).map(|m| m.to_ascii_uppercase()),
            expression: text(row, 8).unwrap_or_default(),
            sub_expression: text(row, 9).unwrap_or_default(),
            description: text(row, 10).unwrap_or_default(),
            comment: text(row, 11).unwrap_or_default(),
        };
        Ok(((schema, table), part))
    }

    /// `VALUES LESS THAN (2000)`, `VALUES IN (1,2)`, `DEFAULT`, `HISTORY`, or
    /// nothing (hash and key partitions).
    fn bound(&self) -> String {
        let d = self.description.as_str();
        match self.method.as_str() {
            "RANGE" if d.eq_ignore_ascii_case("MAXVALUE") => " VALUES LESS THAN MAXVALUE".into(),
            "RANGE" | "RANGE COLUMNS" => format!(" VALUES LESS THAN ({d})"),
            "LIST" | "LIST COLUMNS" if d.eq_ignore_ascii_case("DEFAULT") => " DEFAULT".into(),
            "LIST" | "LIST COLUMNS" => format!(" VALUES IN ({d})"),
            "SYSTEM_TIME" if d.eq_ignore_ascii_case("CURRENT") => " CURRENT".into(),
            "SYSTEM_TIME" => " HISTORY".into(),
            _ => String::new(),
        }
    }
}

/// The partitioning clause of every partitioned table among `rows`.
fn partition_clauses(rows: &[Row]) -> Result<BTreeMap<(String, String), String>> {
    let mut tables: BTreeMap<(String, String), Vec<PartitionRow>> = BTreeMap::new();
    for row in rows {
        let (key, part) = PartitionRow::read(row)?;
        tables.entry(key).or_default().push(part);
    }
    Ok(tables
        .into_iter()
        .map(|(key, mut parts)| {
            parts.sort_by_key(|p| (p.position, p.sub_position));
            (key, partition_clause(&parts))
        })
        .collect())
}

/// The clause of one table from its rows, sorted by position.
fn partition_clause(parts: &[PartitionRow]) -> String {
    let quote = |n: &str| Dialect::Mysql.quote_ident(n);
    let Some(first) = parts.first() else {
        return String::new();
    };
    let mut clause = format!("PARTITION BY {}", first.method);
    if first.method != "SYSTEM_TIME" {
        clause.push_str(&format!(" ({})", first.expression));
    }
    if let Some(sub) = &first.sub_method {
        clause.push_str(&format!(
            " SUBPARTITION BY {sub} ({})",
            first.sub_expression
        ));
    }
    if let Some(count) = default_named(parts) {
        if count > 1 {
            clause.push_str(&format!(" PARTITIONS {count}"));
        }
        return clause;
    }
    let mut defs: Vec<String> = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 && parts[i - 1].position == p.position {
            continue;
        }
        let mut def = format!("PARTITION {}{}", quote(&p.name), p.bound());
        if !p.comment.is_empty() {
            def.push_str(&format!(
                " COMMENT {}",
                Dialect::Mysql.quote_literal(&p.comment)
            ));
        }
        let subs: Vec<String> = parts
            .iter()
            .filter(|s| s.position == p.position)
            .filter_map(|s| s.sub_name.as_deref())
            .map(|s| format!("SUBPARTITION {}", quote(s)))
            .collect();
        if !subs.is_empty() {
            def.push_str(&format!(" ({})", subs.join(", ")));
        }
        defs.push(def);
    }
    clause.push_str(&format!(" ({})", defs.join(", ")));
    clause
}

/// The number of partitions of a hash or key partitioning whose
/// partitions are the ones the server names itself (`p0` … `pN-1`, no
/// comment, no subpartitions): `PARTITIONS N` says it all, and is what the
/// server prints for a table made so.
fn default_named(parts: &[PartitionRow]) -> Option<usize> {
    let hashed = |m: &str| matches!(m, "HASH" | "KEY" | "LINEAR HASH" | "LINEAR KEY");
    let default = parts.iter().enumerate().all(|(i, p)| {
        hashed(&p.method)
            && p.sub_method.is_none()
            && p.comment.is_empty()
            && p.name == format!("p{i}")
    });
    default.then_some(parts.len())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::database::Value;

    fn defaults() -> Defaults {
        Defaults {
            collation: Some("utf8mb4_general_ci".into()),
            engine: Some("InnoDB".into()),
        }
    }

    #[test]
    fn only_what_differs_from_the_defaults_is_an_option() {
        let none = table_options(
            &defaults(),
            Some("utf8mb4_general_ci".into()),
            Some("InnoDB".into()),
            "",
        );
        assert!(none.is_empty());
        let all = table_options(
            &defaults(),
            Some("latin1_swedish_ci".into()),
            Some("MyISAM".into()),
            "max_rows=10 row_format=compressed key_block_size=8",
        );
        let got: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            got,
            [
                ("charset", "latin1"),
                ("collation", "latin1_swedish_ci"),
                ("engine", "MyISAM"),
                ("key_block_size", "8"),
                ("row_format", "COMPRESSED")
            ]
        );
        assert_eq!(collation_charset("binary"), "binary");
    }

    fn row(values: &[Option<&str>]) -> Row {
        values
            .iter()
            .map(|v| v.map_or(Value::Null, |s| Value::Text(s.into())))
            .collect()
    }

    #[test]
    fn partitions_become_one_clause() {
        let p = |name: &str, sub: Option<&str>, pos: &str, spos: Option<&str>, desc: &str| {
            row(&[
                Some("app"),
                Some("t"),
                Some(name),
                sub,
                Some(pos),
                spos,
                Some("RANGE"),
                sub.map(|_| "HASH"),
                Some("year(`d`)"),
                sub.map(|_| "`id`"),
                Some(desc),
                Some(if name == "p0" { "it's old" } else { "" }),
            ])
        };
        let rows = vec![
            p("p1", Some("p1s0"), "2", Some("1"), "MAXVALUE"),
            p("p0", Some("p0s1"), "1", Some("2"), "2000"),
            p("p0", Some("p0s0"), "1", Some("1"), "2000"),
            p("p1", Some("p1s1"), "2", Some("2"), "MAXVALUE"),
        ];
        let clauses = partition_clauses(&rows).unwrap();
        assert_eq!(
            clauses[&("app".to_string(), "t".to_string())],
            "PARTITION BY RANGE (year(`d`)) SUBPARTITION BY HASH (`id`) (\
             PARTITION `p0` VALUES LESS THAN (2000) COMMENT 'it''s old' (SUBPARTITION `p0s0`, SUBPARTITION `p0s1`), \
             PARTITION `p1` VALUES LESS THAN MAXVALUE (SUBPARTITION `p1s0`, SUBPARTITION `p1s1`))"
        );
        let list = |name: &str, pos: &str, desc: &str| {
            row(&[
                Some("app"),
                Some("l"),
                Some(name),
                None,
                Some(pos),
                None,
                Some("LIST COLUMNS"),
                None,
                Some("`c`"),
                None,
                Some(desc),
                Some(""),
            ])
        };
        let clauses =
            partition_clauses(&[list("a", "1", "'x','y'"), list("d", "2", "DEFAULT")]).unwrap();
        assert_eq!(
            clauses[&("app".to_string(), "l".to_string())],
            "PARTITION BY LIST COLUMNS (`c`) (PARTITION `a` VALUES IN ('x','y'), PARTITION `d` DEFAULT)"
        );
    }

    #[test]
    fn hash_partitions_the_server_named_are_counted() {
        let hash = |table: &str, name: &str, pos: &str| {
            row(&[
                Some("app"),
                Some(table),
                Some(name),
                None,
                Some(pos),
                None,
                Some("LINEAR KEY"),
                None,
                Some("`id`"),
                None,
                Some(""),
                Some(""),
            ])
        };
        let rows = [
            hash("one", "p0", "1"),
            hash("four", "p0", "1"),
            hash("four", "p1", "2"),
            hash("four", "p2", "3"),
            hash("four", "p3", "4"),
            hash("named", "p0", "1"),
            hash("named", "hot", "2"),
        ];
        let clauses = partition_clauses(&rows).unwrap();
        let of = |t: &str| clauses[&("app".to_string(), t.to_string())].clone();
        assert_eq!(of("one"), "PARTITION BY LINEAR KEY (`id`)");
        assert_eq!(of("four"), "PARTITION BY LINEAR KEY (`id`) PARTITIONS 4");
        assert_eq!(
            of("named"),
            "PARTITION BY LINEAR KEY (`id`) (PARTITION `p0`, PARTITION `hot`)"
        );
    }
}
