//! Column types as classes, and whether changing from one to another can
//! lose data — with the rows it would affect, which the SQL writers (the
//! `sql` module) count.

use driftless_model::{Dialect, Snapshot};

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

/// A type change that can lose data: what it does, and the rows it would
/// affect.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Loss {
    pub(crate) describe: String,
    pub(crate) rows: Rows,
}

/// Rows of a table, as a condition on one of its columns (the preflight
/// counts them before a change that refuses or loses them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rows {
    /// The column is NULL.
    Null,
    /// The column is not NULL: every value is converted.
    NotNull,
    /// An integer outside `min..=max`.
    Outside { min: i128, max: i128 },
    /// A number with more than this many integer digits.
    DigitsOver(u32),
    /// A number whose absolute value exceeds this.
    AbsAbove(i128),
    /// Neither 0 nor 1.
    NotBoolean,
    /// Text longer than `chars` characters (`cast`: the value cast to text
    /// first).
    CharsOver { chars: u64, cast: bool },
    /// Binary data longer than this many bytes.
    BytesOver(u64),
    /// A decimal that rounding to `scale` digits changes, or with more
    /// integer digits than `digits`.
    Rescaled {
        scale: Option<u32>,
        digits: Option<u32>,
    },
    /// A number with a fraction, or outside `min..=max`.
    Fractional { min: i128, max: i128 },
    /// Text that is not an integer.
    NotInteger,
    /// A value that is none of these labels (compared as text).
    NotIn(Vec<String>),
    /// An enum value (or, `array`, an array of them) holding one of these
    /// labels.
    HoldsAny { labels: Vec<String>, array: bool },
    /// SQLite text that numeric affinity would store as a number reading
    /// differently.
    NumericText,
    /// A SQLite value that a STRICT column of this type refuses: one that
    /// the column's affinity does not turn into a value of the type
    /// (`INTEGER`/`INT`, `REAL`, `TEXT`, `BLOB`; `ANY` takes every value).
    RefusedByStrict(String),
}

/// Base name (lower case, without parameters) and the numeric parameters.
pub(crate) fn split_type(t: &str) -> (String, Vec<String>) {
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
    mysql_labels(t, "enum(")
}

/// The values of a MySQL `set('a','b')` type spelling.
pub(crate) fn mysql_set_labels(t: &str) -> Option<Vec<String>> {
    mysql_labels(t, "set(")
}

/// The quoted values of a MySQL type spelled `<open>'a','b')`.
fn mysql_labels(t: &str, open: &str) -> Option<Vec<String>> {
    let lower = t.trim().to_ascii_lowercase();
    if !lower.starts_with(open) {
        return None;
    }
    let inner = t.trim().get(open.len()..t.trim().len().saturating_sub(1))?;
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

/// A conversion that loses `rows`.
fn lossy(describe: String, rows: Rows) -> Option<Loss> {
    Some(Loss { describe, rows })
}

/// Whether changing a column from `from` to `to` can lose data, and if so
/// which rows it affects.
pub(crate) fn loss(from: &TypeClass, to: &TypeClass) -> Option<Loss> {
    use TypeClass as T;
    let any_value = |what: &str| {
        lossy(
            format!("{what}; every non-NULL value is converted"),
            Rows::NotNull,
        )
    };
    match (from, to) {
        (a, b) if a == b => None,
        (T::Int { min: a0, max: a1 }, T::Int { min: b0, max: b1 }) => {
            int_narrowing((*a0, *a1), (*b0, *b1))
        }
        (T::Int { min, max }, T::Decimal { precision, scale }) => {
            int_to_decimal((*min, *max), *precision, *scale)
        }
        (T::Int { min, max }, T::Float { double }) => int_to_float((*min, *max), *double),
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
        (T::Int { min, max }, T::Text { max: Some(n) }) => int_to_short_text((*min, *max), *n),
        (T::Uuid, T::Text { max: Some(n) }) if *n >= 36 => None,
        (T::Date, T::Text { max: Some(n) }) if *n >= 10 => None,
        (T::Enum(labels), T::Text { max: Some(n) })
            if labels.iter().all(|l| l.chars().count() as u64 <= *n) =>
        {
            None
        }
        (T::Int { min, max }, T::Bool) if *min >= 0 && *max <= 1 => None,
        (T::Int { .. }, T::Bool) => lossy("keeps only true/false".into(), Rows::NotBoolean),
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
        ) => decimal_rescale((*p0, *s0), (*p1, *s1)),
        (T::Decimal { .. } | T::Float { .. }, T::Int { min, max }) => fraction_to_int((*min, *max)),
        (T::Decimal { .. }, T::Float { double: true }) => None,
        (T::Float { double: false }, T::Float { double: true }) => None,
        (T::Text { max: a }, T::Text { max: b }) => text_shortening(*a, *b),
        (T::Binary { max: a }, T::Binary { max: b }) => binary_shortening(*a, *b),
        (T::Text { .. }, T::Int { min, max }) => text_to_int((*min, *max)),
        (T::Text { .. } | T::Enum(_), T::Enum(labels)) => to_enum(from, labels),
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

fn int_narrowing((a0, a1): (i128, i128), (b0, b1): (i128, i128)) -> Option<Loss> {
    if b0 <= a0 && a1 <= b1 {
        return None;
    }
    lossy(
        format!("narrows the integer range to {b0}..{b1}"),
        Rows::Outside { min: b0, max: b1 },
    )
}

fn int_to_decimal((min, max): (i128, i128), precision: Option<u32>, scale: u32) -> Option<Loss> {
    let int_digits = precision?.saturating_sub(scale);
    if u64::from(int_digits) >= digits(min).max(digits(max)) {
        return None;
    }
    lossy(
        format!("allows only {int_digits} integer digits"),
        Rows::DigitsOver(int_digits),
    )
}

fn int_to_float((min, max): (i128, i128), double: bool) -> Option<Loss> {
    let exact: i128 = if double { 1 << 53 } else { 1 << 24 };
    if -exact <= min && max <= exact {
        return None;
    }
    lossy(
        format!("stores integers beyond {exact} inexactly"),
        Rows::AbsAbove(exact),
    )
}

fn int_to_short_text((min, max): (i128, i128), n: u64) -> Option<Loss> {
    if digits(min).max(digits(max)) < n {
        return None;
    }
    lossy(
        format!("truncates to {n} characters"),
        Rows::CharsOver {
            chars: n,
            cast: true,
        },
    )
}

fn decimal_rescale((p0, s0): (Option<u32>, u32), (p1, s1): (Option<u32>, u32)) -> Option<Loss> {
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
    lossy(
        format!(
            "changes precision/scale to ({}, {s1})",
            p1.map(|p| p.to_string()).unwrap_or_else(|| "any".into())
        ),
        Rows::Rescaled {
            scale: (s1 < s0).then_some(s1),
            digits: if int_ok { None } else { int1 },
        },
    )
}

fn fraction_to_int((min, max): (i128, i128)) -> Option<Loss> {
    lossy(
        "drops fractional digits and values outside the integer range".into(),
        Rows::Fractional { min, max },
    )
}

fn text_shortening(a: Option<u64>, b: Option<u64>) -> Option<Loss> {
    match (a, b) {
        (_, None) => None,
        (Some(a), Some(b)) if b >= a => None,
        (_, Some(b)) => lossy(
            format!("truncates text to {b} characters"),
            Rows::CharsOver {
                chars: b,
                cast: false,
            },
        ),
    }
}

fn binary_shortening(a: Option<u64>, b: Option<u64>) -> Option<Loss> {
    match (a, b) {
        (_, None) => None,
        (Some(a), Some(b)) if b >= a => None,
        (_, Some(b)) => lossy(
            format!("truncates binary data to {b} bytes"),
            Rows::BytesOver(b),
        ),
    }
}

fn text_to_int((min, max): (i128, i128)) -> Option<Loss> {
    lossy(
        format!("converts text to integers (range {min}..{max}); rows that do not hold an integer cannot be converted"),
        Rows::NotInteger,
    )
}

fn to_enum(from: &TypeClass, labels: &[String]) -> Option<Loss> {
    if let TypeClass::Enum(old) = from {
        if old.iter().all(|l| labels.contains(l)) {
            return None;
        }
    }
    let rows = if labels.is_empty() {
        Rows::NotNull
    } else {
        Rows::NotIn(labels.to_vec())
    };
    lossy(
        "keeps only the labels of the new enum; rows holding another value cannot be converted"
            .into(),
        rows,
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

/// Whether a SQLite table is STRICT.
pub(crate) fn is_strict(table: &driftless_model::Table) -> bool {
    table.options.get("strict").is_some_and(|v| v == "true")
}

/// The type a column of SQLite type `declared` takes in a STRICT table:
/// its own when STRICT allows it, otherwise `ANY`, which keeps every value
/// as it is.
pub(crate) fn sqlite_strict_type(declared: &str) -> &str {
    const STRICT: [&str; 6] = ["INT", "INTEGER", "REAL", "TEXT", "BLOB", "ANY"];
    if STRICT
        .iter()
        .any(|t| t.eq_ignore_ascii_case(declared.trim()))
    {
        declared
    } else {
        "ANY"
    }
}

/// SQLite keeps every value through a table rebuild, except that a column
/// with numeric affinity converts text that looks like a number.
pub(crate) fn sqlite_loss(from: &str, to: &str) -> Option<Loss> {
    let (a, b) = (sqlite_affinity(from), sqlite_affinity(to));
    let numeric = |x| matches!(x, Affinity::Integer | Affinity::Real | Affinity::Numeric);
    if numeric(b) && !numeric(a) {
        Some(Loss {
            describe: "gives the column numeric affinity: text that looks like a number is stored as a number (e.g. '007' becomes 7)".to_string(),
            // Text made of number characters only, whose numeric form reads differently.
            rows: Rows::NumericText,
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
    fn sqlite_strict_types() {
        assert_eq!(sqlite_strict_type("integer"), "integer");
        assert_eq!(sqlite_strict_type("VARCHAR(40)"), "ANY");
        assert_eq!(sqlite_strict_type(""), "ANY");
        assert_eq!(sqlite_strict_type("Blob"), "Blob");
    }

    #[test]
    fn widening_is_not_loss() {
        let d = Dialect::Postgres;
        assert!(loss(&c(d, "integer"), &c(d, "bigint")).is_none());
        assert!(loss(
            &c(d, "character varying(20)"),
            &c(d, "character varying(50)")
        )
        .is_none());
        assert!(loss(&c(d, "character varying(20)"), &c(d, "text")).is_none());
        assert!(loss(&c(d, "integer"), &c(d, "text")).is_none());
        assert!(loss(&c(d, "numeric(10,2)"), &c(d, "numeric(12,2)")).is_none());
        let m = Dialect::Mysql;
        assert!(loss(&c(m, "int(11)"), &c(m, "bigint(20)")).is_none());
        assert!(loss(&c(m, "enum('a','b')"), &c(m, "enum('a','b','c')")).is_none());
    }

    #[test]
    fn narrowing_is_loss_with_the_rows_it_affects() {
        let d = Dialect::Postgres;
        let rows = |from: &str, to: &str| loss(&c(d, from), &c(d, to)).unwrap().rows;
        assert_eq!(
            rows("character varying(50)", "character varying(20)"),
            Rows::CharsOver {
                chars: 20,
                cast: false
            }
        );
        assert_eq!(rows("text", "integer"), Rows::NotInteger);
        assert_eq!(
            rows("bigint", "smallint"),
            Rows::Outside {
                min: -32768,
                max: 32767
            }
        );
        assert_eq!(
            rows("numeric(12,4)", "numeric(8,2)"),
            Rows::Rescaled {
                scale: Some(2),
                digits: Some(6)
            }
        );
        let m = Dialect::Mysql;
        let l = loss(&c(m, "enum('a','b','c')"), &c(m, "enum('a','b')")).unwrap();
        assert_eq!(l.rows, Rows::NotIn(vec!["a".into(), "b".into()]));
        assert!(sqlite_loss("TEXT", "INTEGER").is_some());
        assert!(sqlite_loss("INTEGER", "TEXT").is_none());
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
