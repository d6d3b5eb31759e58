//! Moving a schema's objects under another schema name, everywhere the
//! name appears: map keys, `schema` fields, and the schema-qualified names
//! inside expressions the server printed (`nextval('tenant_7.t_id_seq'::regclass)`,
//! `tenant_7.mood`, view bodies), so that one tenant's schema compares with
//! a template's as if they had the same name.
//!
//! The rewrite is by shape, not by meaning: `from.` (or `"from".`) at the
//! start of an identifier becomes `to.`, also inside string literals,
//! because PostgreSQL prints `regclass` references as literals. Text that
//! merely contains the schema's name followed by a dot (a string constant
//! `'tenant_7.csv'` in a check) is rewritten too; comparing two schemas of
//! the same shape, both sides are rewritten alike.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// Fields whose whole value is a schema name.
const SCHEMA_FIELDS: &[&str] = &["schema", "ref_schema", "schemas"];
/// Maps whose keys are schema names.
const SCHEMA_MAPS: &[&str] = &["schemas"];

/// `text` with every schema-qualified reference to `from` made to `to`.
///
/// ```
/// use driftless_model::rename_schema_in_text;
/// assert_eq!(
///     rename_schema_in_text("nextval('tenant_7.t_id_seq'::regclass)", "tenant_7", "public"),
///     "nextval('public.t_id_seq'::regclass)"
/// );
/// assert_eq!(rename_schema_in_text(r#""tenant_7"."t""#, "tenant_7", "x"), r#""x"."t""#);
/// // Only whole names: tenant_70 is another schema.
/// assert_eq!(rename_schema_in_text("tenant_70.t", "tenant_7", "x"), "tenant_70.t");
/// ```
pub fn rename_schema_in_text(text: &str, from: &str, to: &str) -> String {
    if from.is_empty() || !text.contains(from) {
        return text.to_string();
    }
    let quoted_from = format!("\"{}\".", from.replace('"', "\"\""));
    let quoted_to = format!("\"{}\".", to.replace('"', "\"\""));
    let plain_from = format!("{from}.");
    let plain_to = format!("{to}.");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let at_start = out
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '$' || c == '"'));
        if at_start && rest.starts_with(&quoted_from) {
            out.push_str(&quoted_to);
            rest = &rest[quoted_from.len()..];
        } else if at_start && rest.starts_with(&plain_from) {
            out.push_str(&plain_to);
            rest = &rest[plain_from.len()..];
        } else if let Some(c) = rest.chars().next() {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Rewrites `value` in place: keys of schema maps and schema fields equal
/// to `from` become `to`; every other string (and key) has its qualified
/// references rewritten ([`rename_schema_in_text`]).
pub fn rename_schema_in_json(value: &mut Value, from: &str, to: &str) {
    match value {
        Value::String(s) => {
            if s.contains(from) {
                *s = rename_schema_in_text(s, from, to);
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| rename_schema_in_json(v, from, to)),
        Value::Object(map) => {
            let old = std::mem::take(map);
            for (key, mut v) in old {
                let whole_name = SCHEMA_FIELDS.contains(&key.as_str());
                match &mut v {
                    Value::String(s) if whole_name && s == from => *s = to.to_string(),
                    Value::Array(items) if whole_name => rename_names(items, from, to),
                    Value::Object(inner) if SCHEMA_MAPS.contains(&key.as_str()) => {
                        rename_keys(inner, from, to);
                        rename_schema_in_json(&mut v, from, to);
                    }
                    _ => rename_schema_in_json(&mut v, from, to),
                }
                map.insert(rename_schema_in_text(&key, from, to), v);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn rename_names(items: &mut [Value], from: &str, to: &str) {
    for item in items {
        match item {
            Value::String(s) if s == from => *s = to.to_string(),
            other => rename_schema_in_json(other, from, to),
        }
    }
}

fn rename_keys(map: &mut serde_json::Map<String, Value>, from: &str, to: &str) {
    if let Some(v) = map.remove(from) {
        map.insert(to.to_string(), v);
    }
}

/// A copy of `value` (a snapshot, a finding, a plan: anything that
/// serialises) with schema `from` named `to` throughout.
///
/// ```
/// use driftless_model::{renamed_schema, Dialect, Snapshot};
/// let mut s = Snapshot::new(Dialect::Postgres);
/// s.schemas.insert("tenant_7".into(), Default::default());
/// let r: Snapshot = renamed_schema(&s, "tenant_7", "public").unwrap();
/// assert!(r.schemas.contains_key("public"));
/// ```
pub fn renamed_schema<T: Serialize + DeserializeOwned>(
    value: &T,
    from: &str,
    to: &str,
) -> Result<T> {
    let mut v = serde_json::to_value(value).map_err(rename_error)?;
    if from != to {
        rename_schema_in_json(&mut v, from, to);
    }
    serde_json::from_value(v).map_err(rename_error)
}

fn rename_error(e: serde_json::Error) -> Error {
    Error::Rename(e.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn qualified_names_move_and_others_stay() {
        let cases = [
            ("tenant_7.mood", "public.mood"),
            (
                "'tenant_7.t_id_seq'::regclass",
                "'public.t_id_seq'::regclass",
            ),
            ("xtenant_7.t", "xtenant_7.t"),
            ("tenant_7", "tenant_7"),
            ("a = tenant_7.f(b)", "a = public.f(b)"),
        ];
        for (input, want) in cases {
            assert_eq!(
                rename_schema_in_text(input, "tenant_7", "public"),
                want,
                "{input}"
            );
        }
    }

    #[test]
    fn schema_fields_and_map_keys_move() {
        let mut v = serde_json::json!({
            "schemas": {"t7": {"tables": {"u": {"foreign_keys": {"f": {"ref_schema": "t7"}}}}}},
            "object": {"schema": "t7", "table": "t7"},
        });
        rename_schema_in_json(&mut v, "t7", "p");
        assert_eq!(
            v["schemas"]["p"]["tables"]["u"]["foreign_keys"]["f"]["ref_schema"],
            "p"
        );
        assert_eq!(v["object"]["schema"], "p");
        // A table that happens to share the schema's name keeps its name.
        assert_eq!(v["object"]["table"], "t7");
    }
}
