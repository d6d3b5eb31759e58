//! The preflight's counting queries: how many rows a change affects, as a
//! condition on one column ([`Rows`], which the planner chooses) rendered
//! per dialect.

use driftless_model::Dialect;

use crate::quote::{ident, literal, qualified};
use crate::types::Rows;

/// `SELECT COUNT(*) FROM table [WHERE condition]`.
pub(super) fn count_rows(
    dialect: Dialect,
    schema: &str,
    table: &str,
    filter: Option<(&str, &Rows)>,
) -> String {
    let t = qualified(dialect, schema, table);
    match filter {
        Some((column, rows)) => format!(
            "SELECT COUNT(*) FROM {t} WHERE {}",
            condition(dialect, &ident(dialect, column), rows)
        ),
        None => format!("SELECT COUNT(*) FROM {t}"),
    }
}

/// The column cast to text.
fn as_text(dialect: Dialect, col: &str) -> String {
    match dialect {
        Dialect::Postgres => format!("CAST({col} AS text)"),
        Dialect::Mysql => format!("CAST({col} AS CHAR)"),
        Dialect::Sqlite => format!("CAST({col} AS TEXT)"),
    }
}

/// The length of a text in characters.
fn char_length(dialect: Dialect, expr: &str) -> String {
    match dialect {
        Dialect::Postgres | Dialect::Mysql => format!("CHAR_LENGTH({expr})"),
        Dialect::Sqlite => format!("length({expr})"),
    }
}

/// `10^digits`, written out.
fn power_of_ten(digits: u32) -> String {
    format!("1{}", "0".repeat(digits as usize))
}

fn labels(dialect: Dialect, labels: &[String]) -> String {
    labels
        .iter()
        .map(|l| literal(dialect, l))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The condition `rows` on the quoted column `col`.
pub(super) fn condition(dialect: Dialect, col: &str, rows: &Rows) -> String {
    match rows {
        Rows::Null => format!("{col} IS NULL"),
        Rows::NotNull => format!("{col} IS NOT NULL"),
        Rows::Outside { min, max } => format!("({col} < {min} OR {col} > {max})"),
        Rows::DigitsOver(digits) => format!("ABS({col}) >= {}", power_of_ten(*digits)),
        Rows::AbsAbove(limit) => format!("ABS({col}) > {limit}"),
        Rows::NotBoolean => format!("{col} NOT IN (0, 1)"),
        Rows::CharsOver { chars, cast } => {
            let text = match cast {
                true => as_text(dialect, col),
                false => col.to_string(),
            };
            format!("{} > {chars}", char_length(dialect, &text))
        }
        Rows::BytesOver(bytes) => match dialect {
            Dialect::Postgres => format!("OCTET_LENGTH({col}) > {bytes}"),
            Dialect::Mysql | Dialect::Sqlite => format!("LENGTH({col}) > {bytes}"),
        },
        Rows::Rescaled { scale, digits } => {
            let mut parts = Vec::new();
            if let Some(s) = scale {
                parts.push(format!("{col} <> ROUND({col}, {s})"));
            }
            if let Some(d) = digits {
                parts.push(format!("ABS({col}) >= {}", power_of_ten(*d)));
            }
            format!("({})", parts.join(" OR "))
        }
        Rows::Fractional { min, max } => {
            let trunc = match dialect {
                Dialect::Postgres => format!("TRUNC({col})"),
                Dialect::Mysql => format!("TRUNCATE({col}, 0)"),
                Dialect::Sqlite => format!("CAST({col} AS INTEGER)"),
            };
            format!("({col} <> {trunc} OR {col} < {min} OR {col} > {max})")
        }
        Rows::NotInteger => match dialect {
            Dialect::Postgres => format!(r"NOT (CAST({col} AS text) ~ '^\s*[-+]?[0-9]+\s*$')"),
            Dialect::Mysql => {
                format!("NOT ({col} REGEXP '^[[:space:]]*[-+]?[0-9]+[[:space:]]*$')")
            }
            Dialect::Sqlite => format!("CAST(CAST({col} AS INTEGER) AS TEXT) <> {col}"),
        },
        Rows::NotIn(l) => {
            let lhs = match dialect {
                Dialect::Postgres => as_text(dialect, col),
                _ => col.to_string(),
            };
            format!("{lhs} NOT IN ({})", labels(dialect, l))
        }
        Rows::HoldsAny { labels: l, array } => match array {
            true => format!(
                "CAST({col} AS text[]) && ARRAY[{}]::text[]",
                labels(dialect, l)
            ),
            false => format!("{} IN ({})", as_text(dialect, col), labels(dialect, l)),
        },
        Rows::NumericText => format!(
            "typeof({col}) = 'text' AND {col} GLOB '*[0-9]*' AND NOT {col} GLOB '*[^0-9.eE+ -]*' AND CAST(CAST({col} AS NUMERIC) AS TEXT) <> {col}"
        ),
        Rows::RefusedByStrict(ty) => refused_by_strict(col, ty),
    }
}

/// The SQLite condition of the values a STRICT column of type `ty` refuses.
/// The comparison `col = CAST(col AS NUMERIC)` applies numeric affinity to
/// the column, as storing in a numeric column does: true exactly when the
/// value reads as a number.
fn refused_by_strict(col: &str, ty: &str) -> String {
    let numeric = format!("CAST({col} AS NUMERIC)");
    match ty.trim().to_ascii_uppercase().as_str() {
        "INT" | "INTEGER" => format!(
            "typeof({col}) IN ('real', 'text', 'blob') AND NOT (typeof({col}) <> 'blob' \
             AND {col} = {numeric} AND {numeric} = CAST({numeric} AS INTEGER))"
        ),
        "REAL" => format!(
            "typeof({col}) IN ('text', 'blob') AND NOT (typeof({col}) = 'text' AND {col} = {numeric})"
        ),
        "TEXT" => format!("typeof({col}) = 'blob'"),
        "BLOB" => format!("typeof({col}) IN ('integer', 'real', 'text')"),
        _ => "0".to_string(),
    }
}
