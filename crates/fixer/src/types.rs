//! Column types as classes, and whether changing from one to another can
//! lose data — with the SQL predicate that counts the rows it would affect.

use driftless_model::{Dialect, Snapshot};

use crate::quote::literal;

/// A column type reduced to what matters for data loss.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TypeClass {
    Int { min: i128, max: i128 },
    Decimal { precision: Option<u32>, scale: u32 },
    Float { double: bool },
    Text { max: Option<u64> },
    Bool,
    Date,
    Time,
    Timestamp,
    Binary { max: Option<u64> },
    Json,
    Uuid,
    Enum(Vec<String>),
    Other(String),
}

/// A type change that can lose data: what it does, and a predicate over the
/// (quoted) column selecting the rows it would affect.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Loss {
    pub(crate) describe: String,
    pub(crate) predicate: String,
}

/// Base name (lower case, without parameters) and the numeric parameters.
fn split_type(t: &str) -> (String, Vec<String>) {
    let t = t.trim();
    match t.find('(') {
        Some(open) => {
            let close = t.rfind(')').unwrap_or(t.len());
            let base = format!("{} {}", &t[..open], t.get(close + 1..).unwrap_or(""))
                .trim()
                .to_ascii_lowercase();
            let params = t
                .get(open + 1..close)
                .unwrap_or("")
                .split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect();
            (base, params)
        }
        None => (t.to_ascii_lowercase(), Vec::new()),
    }
}

/// The labels of a MySQL `enum('a','b')` type spelling.
pub(crate) fn mysql_enum_labels(t: &str) -> Option<Vec<String>> {
    let lower = t.trim().to_ascii_lowercase();
    if !lower.starts_with("enum(") {
        return None;
    }
    let inner = t.trim().get(5..t.trim().len().saturating_sub(1))?;
    let chars: Vec<char> = inner.chars().collect();
    let mut labels = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\'' {
            let mut label = String::new();
            i += 1;
            while i < chars.len() {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    // MySQL prints a newline as `\n`, a carriage return as
                    // `\r` and a backslash as `\\` in COLUMN_TYPE.
                    label.push(match chars[i + 1] {
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        '0' => '\0',
                        'b' => '\u{8}',
                        'Z' => '\u{1a}',
                        c => c,
                    });
                    i += 2;
                    continue;
                }
                if chars[i] == '\'' {
                    if i + 1 < chars.len() && chars[i + 1] == '\'' {
                        label.push('\'');
                        i += 2;
                        continue;
                    }
                    break;
                }
                label.push(chars[i]);
                i += 1;
            }
            labels.push(label);
        }
        i += 1;
    }
    Some(labels)
}

fn int_range(bits: u32, unsigned: bool) -> (i128, i128) {
    if unsigned {
        (0, (1i128 << bits) - 1)
    } else {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    }
}

/// Finds a PostgreSQL enum by the type name a column carries
/// (`mood`, `public.mood`, `"Mood"`, `s."Mood"`).
pub(crate) fn pg_enum_labels<'a>(
    snapshot: &'a Snapshot,
    column_schema: &str,
    data_type: &str,
) -> Option<(&'a str, &'a str, &'a [String])> {
    let (schema, name) = split_pg_type_name(data_type)?;
    let schema = schema.unwrap_or_else(|| column_schema.to_string());
    let (s, sch) = snapshot.schemas.get_key_value(&schema)?;
    let (n, e) = sch.enums.get_key_value(&name)?;
    Some((s.as_str(), n.as_str(), &e.labels))
}

/// Splits a PostgreSQL type name into optional schema and name, unquoting.
pub(crate) fn split_pg_type_name(data_type: &str) -> Option<(Option<String>, String)> {
    let t = data_type.trim();
    let mut parts = Vec::new();
    let chars: Vec<char> = t.chars().collect();
    let mut i = 0;
    let mut cur = String::new();
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            i += 1;
            while i < chars.len() {
                if chars[i] == '"' {
                    if i + 1 < chars.len() && chars[i + 1] == '"' {
                        cur.push('"');
                        i += 2;
                        continue;
                    }
                    break;
                }
                cur.push(chars[i]);
                i += 1;
            }
        } else if c == '.' {
            parts.push(std::mem::take(&mut cur));
        } else if c.is_alphanumeric() || c == '_' || c == '$' {
            cur.push(c);
        } else {
            return None;
        }
        i += 1;
    }
    parts.push(cur);
    match parts.len() {
        1 => Some((None, parts.pop()?)),
        2 => {
            let name = parts.pop()?;
            Some((parts.pop(), name))
        }
        _ => None,
    }
}

/// Classifies `data_type` of a column in `schema` of `snapshot`.
pub(crate) fn classify(
    dialect: Dialect,
    snapshot: &Snapshot,
    schema: &str,
    data_type: &str,
) -> TypeClass {
    if dialect == Dialect::Postgres {
        if let Some((_, _, labels)) = pg_enum_labels(snapshot, schema, data_type) {
            return TypeClass::Enum(labels.to_vec());
        }
    }
    if dialect == Dialect::Mysql {
        if let Some(labels) = mysql_enum_labels(data_type) {
            return TypeClass::Enum(labels);
        }
    }
    let (base, params) = split_type(data_type);
    if base.ends_with("[]") {
        return TypeClass::Other(base);
    }
    let unsigned = base.contains("unsigned");
    let base = base
        .replace("unsigned", "")
        .replace("zerofill", "")
        .split(" collate ")
        .next()
        .unwrap_or("")
        .split(" character set ")
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    let num = |i: usize| params.get(i).and_then(|p| p.parse::<u64>().ok());
    let int = |bits| {
        let (min, max) = int_range(bits, unsigned);
        TypeClass::Int { min, max }
    };
    match base.as_str() {
        "tinyint" if dialect == Dialect::Mysql && num(0) == Some(1) => int(8),
        "tinyint" => int(8),
        "smallint" | "int2" | "smallserial" => int(16),
        "mediumint" => int(24),
        "integer" | "int" | "int4" | "serial" => int(32),
        "bigint" | "int8" | "bigserial" => int(64),
        "numeric" | "decimal" | "dec" | "fixed" => TypeClass::Decimal {
            precision: num(0).map(|p| p as u32).or(if dialect == Dialect::Mysql {
                Some(10)
            } else {
                None
            }),
            scale: num(1).unwrap_or(0) as u32,
        },
        "real" | "float4" => TypeClass::Float { double: false },
        "float" => TypeClass::Float {
            double: dialect == Dialect::Postgres || num(0).is_some_and(|p| p > 24),
        },
        "double precision" | "double" | "float8" => TypeClass::Float { double: true },
        "character varying" | "varchar" | "character" | "char" | "bpchar" | "nvarchar"
        | "nchar" => TypeClass::Text {
            max: num(0).or(
                if base.starts_with("char") || base == "character" || base == "bpchar" {
                    Some(1)
                } else {
                    None
                },
            ),
        },
        "text" if dialect == Dialect::Mysql => TypeClass::Text { max: Some(65_535) },
        "text" | "citext" | "longtext" | "clob" => TypeClass::Text { max: None },
        "tinytext" => TypeClass::Text { max: Some(255) },
        "mediumtext" => TypeClass::Text {
            max: Some(16_777_215),
        },
        "boolean" | "bool" => TypeClass::Bool,
        "date" => TypeClass::Date,
        b if b.starts_with("time with") || b == "time" || b == "timetz" => TypeClass::Time,
        b if b.starts_with("timestamp") || b == "datetime" || b == "timestamptz" => {
            TypeClass::Timestamp
        }
        "bytea" | "blob" | "longblob" => TypeClass::Binary { max: None },
        "tinyblob" => TypeClass::Binary { max: Some(255) },
        "mediumblob" => TypeClass::Binary {
            max: Some(16_777_215),
        },
        "binary" | "varbinary" => TypeClass::Binary {
            max: num(0).or(Some(1)),
        },
        "json" | "jsonb" => TypeClass::Json,
        "uuid" => TypeClass::Uuid,
        _ => TypeClass::Other(base),
    }
}

fn digits(v: i128) -> u64 {
    v.unsigned_abs().to_string().len() as u64
}

/// The SQL text of the column cast to text, for length predicates.
fn as_text(dialect: Dialect, col: &str) -> String {
    match dialect {
        Dialect::Postgres => format!("CAST({col} AS text)"),
        Dialect::Mysql => format!("CAST({col} AS CHAR)"),
        Dialect::Sqlite => format!("CAST({col} AS TEXT)"),
    }
}

fn char_len(dialect: Dialect, expr: &str) -> String {
    match dialect {
        Dialect::Postgres | Dialect::Mysql => format!("CHAR_LENGTH({expr})"),
        Dialect::Sqlite => format!("length({expr})"),
    }
}

fn not_null(col: &str) -> String {
    format!("{col} IS NOT NULL")
}

/// A conversion that loses the rows matching `predicate`.
fn lossy(describe: String, predicate: String) -> Option<Loss> {
    Some(Loss {
        describe,
        predicate,
    })
}

/// Whether changing `col` (quoted) from `from` to `to` can lose data, and if
/// so which rows it affects.
pub(crate) fn loss(dialect: Dialect, col: &str, from: &TypeClass, to: &TypeClass) -> Option<Loss> {
    use TypeClass as T;
    let any_value = |what: &str| {
        lossy(
            format!("{what}; every non-NULL value is converted"),
            not_null(col),
        )
    };
    match (from, to) {
        (a, b) if a == b => None,
        (T::Int { min: a0, max: a1 }, T::Int { min: b0, max: b1 }) => {
            int_narrowing(col, (*a0, *a1), (*b0, *b1))
        }
        (T::Int { min, max }, T::Decimal { precision, scale }) => {
            int_to_decimal(col, (*min, *max), *precision, *scale)
        }
        (T::Int { min, max }, T::Float { double }) => int_to_float(col, (*min, *max), *double),
        (
            T::Int { .. }
            | T::Decimal { .. }
            | T::Float { .. }
            | T::Bool
            | T::Date
            | T::Time
            | T::Timestamp
            | T::Uuid
            | T::Json
            | T::Enum(_),
            T::Text { max: None },
        ) => None,
        (T::Int { min, max }, T::Text { max: Some(n) }) => {
            int_to_short_text(dialect, col, (*min, *max), *n)
        }
        (T::Uuid, T::Text { max: Some(n) }) if *n >= 36 => None,
        (T::Date, T::Text { max: Some(n) }) if *n >= 10 => None,
        (T::Enum(labels), T::Text { max: Some(n) })
            if labels.iter().all(|l| l.chars().count() as u64 <= *n) =>
        {
            None
        }
        (T::Int { min, max }, T::Bool) if *min >= 0 && *max <= 1 => None,
        (T::Int { .. }, T::Bool) => lossy(
            "keeps only true/false".into(),
            format!("{col} NOT IN (0, 1)"),
        ),
        (T::Bool, T::Int { .. } | T::Decimal { .. } | T::Float { .. }) => None,
        (
            T::Decimal {
                precision: p0,
                scale: s0,
            },
            T::Decimal {
                precision: p1,
                scale: s1,
            },
        ) => decimal_rescale(col, (*p0, *s0), (*p1, *s1)),
        (T::Decimal { .. } | T::Float { .. }, T::Int { min, max }) => {
            fraction_to_int(dialect, col, (*min, *max))
        }
        (T::Decimal { .. }, T::Float { double: true }) => None,
        (T::Float { double: false }, T::Float { double: true }) => None,
        (T::Text { max: a }, T::Text { max: b }) => text_shortening(dialect, col, *a, *b),
        (T::Binary { max: a }, T::Binary { max: b }) => binary_shortening(dialect, col, *a, *b),
        (T::Text { .. }, T::Int { min, max }) => text_to_int(dialect, col, (*min, *max)),
        (T::Text { .. } | T::Enum(_), T::Enum(labels)) => to_enum(dialect, col, from, labels),
        (T::Timestamp, T::Date) => any_value("drops the time of day"),
        (T::Date, T::Timestamp) => None,
        (T::Json, T::Json) => None,
        (T::Text { max: None }, T::Json) => any_value("parses text as JSON"),
        (_, T::Other(_)) | (T::Other(_), _) => {
            any_value("converts to a type driftless cannot compare")
        }
        _ => any_value("converts values to another type"),
    }
}

fn int_narrowing(col: &str, (a0, a1): (i128, i128), (b0, b1): (i128, i128)) -> Option<Loss> {
    if b0 <= a0 && a1 <= b1 {
        return None;
    }
    lossy(
        format!("narrows the integer range to {b0}..{b1}"),
        format!("({col} < {b0} OR {col} > {b1})"),
    )
}

fn int_to_decimal(
    col: &str,
    (min, max): (i128, i128),
    precision: Option<u32>,
    scale: u32,
) -> Option<Loss> {
    let int_digits = precision?.saturating_sub(scale) as u64;
    if int_digits >= digits(min).max(digits(max)) {
        return None;
    }
    lossy(
        format!("allows only {int_digits} integer digits"),
        format!("ABS({col}) >= 1{}", "0".repeat(int_digits as usize)),
    )
}

fn int_to_float(col: &str, (min, max): (i128, i128), double: bool) -> Option<Loss> {
    let exact: i128 = if double { 1 << 53 } else { 1 << 24 };
    if -exact <= min && max <= exact {
        return None;
    }
    lossy(
        format!("stores integers beyond {exact} inexactly"),
        format!("ABS({col}) > {exact}"),
    )
}

fn int_to_short_text(
    dialect: Dialect,
    col: &str,
    (min, max): (i128, i128),
    n: u64,
) -> Option<Loss> {
    if digits(min).max(digits(max)) < n {
        return None;
    }
    lossy(
        format!("truncates to {n} characters"),
        format!("{} > {n}", char_len(dialect, &as_text(dialect, col))),
    )
}

fn decimal_rescale(
    col: &str,
    (p0, s0): (Option<u32>, u32),
    (p1, s1): (Option<u32>, u32),
) -> Option<Loss> {
    let int0 = p0.map(|p| p.saturating_sub(s0));
    let int1 = p1.map(|p| p.saturating_sub(s1));
    let int_ok = match (int0, int1) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(a), Some(b)) => b >= a,
    };
    if int_ok && s1 >= s0 {
        return None;
    }
    let mut preds = Vec::new();
    if s1 < s0 {
        preds.push(format!("{col} <> ROUND({col}, {s1})"));
    }
    if let (false, Some(b)) = (int_ok, int1) {
        preds.push(format!("ABS({col}) >= 1{}", "0".repeat(b as usize)));
    }
    lossy(
        format!(
            "changes precision/scale to ({}, {s1})",
            p1.map(|p| p.to_string()).unwrap_or_else(|| "any".into())
        ),
        format!("({})", preds.join(" OR ")),
    )
}

fn fraction_to_int(dialect: Dialect, col: &str, (min, max): (i128, i128)) -> Option<Loss> {
    let trunc = match dialect {
        Dialect::Postgres => format!("TRUNC({col})"),
        Dialect::Mysql => format!("TRUNCATE({col}, 0)"),
        Dialect::Sqlite => format!("CAST({col} AS INTEGER)"),
    };
    lossy(
        "drops fractional digits and values outside the integer range".into(),
        format!("({col} <> {trunc} OR {col} < {min} OR {col} > {max})"),
    )
}

fn text_shortening(dialect: Dialect, col: &str, a: Option<u64>, b: Option<u64>) -> Option<Loss> {
    match (a, b) {
        (_, None) => None,
        (Some(a), Some(b)) if b >= a => None,
        (_, Some(b)) => lossy(
            format!("truncates text to {b} characters"),
            format!("{} > {b}", char_len(dialect, col)),
        ),
    }
}

fn binary_shortening(dialect: Dialect, col: &str, a: Option<u64>, b: Option<u64>) -> Option<Loss> {
    match (a, b) {
        (_, None) => None,
        (Some(a), Some(b)) if b >= a => None,
        (_, Some(b)) => {
            let len = match dialect {
                Dialect::Postgres => format!("OCTET_LENGTH({col})"),
                Dialect::Mysql | Dialect::Sqlite => format!("LENGTH({col})"),
            };
            lossy(
                format!("truncates binary data to {b} bytes"),
                format!("{len} > {b}"),
            )
        }
    }
}

fn text_to_int(dialect: Dialect, col: &str, (min, max): (i128, i128)) -> Option<Loss> {
    let pred = match dialect {
        Dialect::Postgres => format!("NOT (CAST({col} AS text) ~ '^\\s*[-+]?[0-9]+\\s*$')"),
        Dialect::Mysql => {
            format!("NOT ({col} REGEXP '^[[:space:]]*[-+]?[0-9]+[[:space:]]*$')")
        }
        Dialect::Sqlite => format!("CAST(CAST({col} AS INTEGER) AS TEXT) <> {col}"),
    };
    lossy(
        format!("converts text to integers (range {min}..{max}); rows that do not hold an integer cannot be converted"),
        pred,
    )
}

fn to_enum(dialect: Dialect, col: &str, from: &TypeClass, labels: &[String]) -> Option<Loss> {
    if let TypeClass::Enum(old) = from {
        if old.iter().all(|l| labels.contains(l)) {
            return None;
        }
    }
    let list = labels
        .iter()
        .map(|l| literal(dialect, l))
        .collect::<Vec<_>>()
        .join(", ");
    let lhs = match dialect {
        Dialect::Postgres => as_text(dialect, col),
        _ => col.to_string(),
    };
    let pred = if labels.is_empty() {
        not_null(col)
    } else {
        format!("{lhs} NOT IN ({list})")
    };
    lossy(
        "keeps only the labels of the new enum; rows holding another value cannot be converted"
            .into(),
        pred,
    )
}

/// SQLite type affinity of a declared type (sqlite.org/datatype3.html §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Affinity {
    Integer,
    Text,
    Blob,
    Real,
    Numeric,
}

pub(crate) fn sqlite_affinity(declared: &str) -> Affinity {
    let t = declared.to_ascii_uppercase();
    if t.contains("INT") {
        Affinity::Integer
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        Affinity::Text
    } else if t.contains("BLOB") || t.trim().is_empty() {
        Affinity::Blob
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        Affinity::Real
    } else {
        Affinity::Numeric
    }
}

/// SQLite keeps every value through a table rebuild, except that a column
/// with numeric affinity converts text that looks like a number.
pub(crate) fn sqlite_loss(col: &str, from: &str, to: &str) -> Option<Loss> {
    let (a, b) = (sqlite_affinity(from), sqlite_affinity(to));
    let numeric = |x| matches!(x, Affinity::Integer | Affinity::Real | Affinity::Numeric);
    if numeric(b) && !numeric(a) {
        Some(Loss {
            describe: "gives the column numeric affinity: text that looks like a number is stored as a number (e.g. '007' becomes 7)".to_string(),
            // Text made of number characters only, whose numeric form reads differently.
            predicate: format!(
                "typeof({col}) = 'text' AND {col} GLOB '*[0-9]*' AND NOT {col} GLOB '*[^0-9.eE+ -]*' AND CAST(CAST({col} AS NUMERIC) AS TEXT) <> {col}"
            ),
        })
    } else {
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn c(d: Dialect, t: &str) -> TypeClass {
        classify(d, &Snapshot::new(d), "public", t)
    }

    #[test]
    fn widening_is_not_loss() {
        let d = Dialect::Postgres;
        assert!(loss(d, "\"c\"", &c(d, "integer"), &c(d, "bigint")).is_none());
        assert!(loss(
            d,
            "\"c\"",
            &c(d, "character varying(20)"),
            &c(d, "character varying(50)")
        )
        .is_none());
        assert!(loss(d, "\"c\"", &c(d, "character varying(20)"), &c(d, "text")).is_none());
        assert!(loss(d, "\"c\"", &c(d, "integer"), &c(d, "text")).is_none());
        assert!(loss(d, "\"c\"", &c(d, "numeric(10,2)"), &c(d, "numeric(12,2)")).is_none());
        let m = Dialect::Mysql;
        assert!(loss(m, "`c`", &c(m, "int(11)"), &c(m, "bigint(20)")).is_none());
        assert!(loss(m, "`c`", &c(m, "enum('a','b')"), &c(m, "enum('a','b','c')")).is_none());
    }

    #[test]
    fn narrowing_is_loss_with_a_predicate() {
        let d = Dialect::Postgres;
        let l = loss(
            d,
            "\"c\"",
            &c(d, "character varying(50)"),
            &c(d, "character varying(20)"),
        )
        .unwrap();
        assert_eq!(l.predicate, "CHAR_LENGTH(\"c\") > 20");
        let l = loss(d, "\"c\"", &c(d, "text"), &c(d, "integer")).unwrap();
        assert!(l.predicate.contains("~"));
        let l = loss(d, "\"c\"", &c(d, "bigint"), &c(d, "smallint")).unwrap();
        assert_eq!(l.predicate, "(\"c\" < -32768 OR \"c\" > 32767)");
        let m = Dialect::Mysql;
        let l = loss(m, "`c`", &c(m, "enum('a','b','c')"), &c(m, "enum('a','b')")).unwrap();
        assert_eq!(l.predicate, "`c` NOT IN ('a', 'b')");
        assert!(sqlite_loss("\"c\"", "TEXT", "INTEGER").is_some());
        assert!(sqlite_loss("\"c\"", "INTEGER", "TEXT").is_none());
    }

    #[test]
    fn parses_type_names() {
        assert_eq!(
            split_pg_type_name("public.\"Mood\""),
            Some((Some("public".into()), "Mood".into()))
        );
        assert_eq!(split_pg_type_name("mood"), Some((None, "mood".into())));
        assert_eq!(split_pg_type_name("character varying(20)"), None);
        assert_eq!(
            mysql_enum_labels("enum('a','it''s','b\\'c')"),
            Some(vec!["a".into(), "it's".into(), "b'c".into()])
        );
    }

    /// MariaDB spells an enum label holding a newline `'a\nb'` in
    /// COLUMN_TYPE; the label is not `anb`.
    #[test]
    fn regression_mysql_enum_label_escapes_are_decoded() {
        assert_eq!(
            mysql_enum_labels("enum('a\\nb','c\\rd','g\\\\h','i''j','k\tl')"),
            Some(vec![
                "a\nb".into(),
                "c\rd".into(),
                "g\\h".into(),
                "i'j".into(),
                "k\tl".into()
            ])
        );
    }
}
