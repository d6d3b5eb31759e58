//! `[[rename]]`: renames the configuration confirms.
//!
//! ```toml
//! [[rename]]
//! kind = "column"
//! table = "public.users"      # the schema is optional
//! from = "nick"
//! to = "nickname"
//!
//! [[rename]]
//! kind = "table"
//! from = "public.people"      # the schema is optional, the same on both
//! to = "public.customers"
//! ```

use driftless_model::ObjectKind;
use toml::de::DeValue;
use toml::Spanned;

use super::{ConfigError, Parser};

const RENAME_KEYS: &str = "from, kind, table, to";

/// A rename the configuration confirms: the orphan `from` is the missing
/// `to`, renamed. The `possible-rename` rule reports it (or that it names
/// no such pair), and the fixer renames instead of quarantining and adding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rename {
    /// [`ObjectKind::Column`] or [`ObjectKind::Table`].
    pub kind: ObjectKind,
    /// The schema, when the entry names one.
    pub schema: Option<String>,
    /// The table a renamed column belongs to (`None` for a table).
    pub table: Option<String>,
    /// The name in the database.
    pub from: String,
    /// The expected name.
    pub to: String,
    /// Where it is declared (`driftless.toml:12`), for messages.
    pub origin: String,
}

impl Rename {
    /// A column rename in `table` (of `schema`, when given).
    pub fn column(schema: Option<&str>, table: &str, from: &str, to: &str) -> Self {
        Rename {
            kind: ObjectKind::Column,
            schema: schema.map(str::to_string),
            table: Some(table.to_string()),
            from: from.to_string(),
            to: to.to_string(),
            origin: String::from("the command line"),
        }
    }

    /// A table rename (in `schema`, when given).
    pub fn table(schema: Option<&str>, from: &str, to: &str) -> Self {
        Rename {
            kind: ObjectKind::Table,
            schema: schema.map(str::to_string),
            table: None,
            from: from.to_string(),
            to: to.to_string(),
            origin: String::from("the command line"),
        }
    }

    /// Whether it names the rename of `from` to `to` of `kind`, in table
    /// `table` (columns) of schema `schema`.
    pub fn names(
        &self,
        kind: ObjectKind,
        schema: &str,
        table: Option<&str>,
        from: &str,
        to: &str,
    ) -> bool {
        self.kind == kind
            && self.schema.as_deref().is_none_or(|s| s == schema)
            && self.table.as_deref() == table
            && self.from == from
            && self.to == to
    }

    /// Whether it is about objects of `kind` in table `table` (columns) of
    /// schema `schema`.
    pub fn is_in(&self, kind: ObjectKind, schema: &str, table: Option<&str>) -> bool {
        self.kind == kind
            && self.schema.as_deref().is_none_or(|s| s == schema)
            && self.table.as_deref() == table
    }

    /// How messages name it: `column public.users.nick → nickname`.
    pub fn described(&self) -> String {
        let schema = self
            .schema
            .as_deref()
            .map(|s| format!("{s}."))
            .unwrap_or_default();
        match &self.table {
            Some(t) => format!("column {schema}{t}.{} → {}", self.from, self.to),
            None => format!("table {schema}{} → {}", self.from, self.to),
        }
    }
}

/// `schema.name` or `name`.
fn split(qualified: &str) -> (Option<&str>, &str) {
    match qualified.rsplit_once('.') {
        Some((s, n)) => (Some(s), n),
        None => (None, qualified),
    }
}

impl Parser<'_> {
    /// One `[[rename]]` table.
    pub(super) fn rename(&self, item: &Spanned<DeValue<'_>>) -> Result<Rename, ConfigError> {
        let DeValue::Table(t) = item.get_ref() else {
            return Err(self.invalid(
                item.span(),
                "rename",
                format!(
                    "expected a table ([[rename]]), found {}",
                    item.get_ref().type_str()
                ),
            ));
        };
        let (mut kind, mut table, mut from, mut to) = (None, None, None, None);
        for (k, v) in Self::entries(t) {
            let key = k.get_ref().as_ref();
            if !RENAME_KEYS.split(", ").any(|known| known == key) {
                return Err(self.unknown_key(k.span(), "[[rename]]", key, RENAME_KEYS));
            }
            let value = self.string(key, v)?.trim();
            if value.is_empty() || value.starts_with('.') || value.ends_with('.') {
                return Err(self.invalid(v.span(), key, "expected a name, or schema.name"));
            }
            match key {
                "kind" => {
                    kind = Some(match value {
                        "column" => ObjectKind::Column,
                        "table" => ObjectKind::Table,
                        _ => {
                            return Err(self.invalid(
                                v.span(),
                                key,
                                format!("expected \"column\" or \"table\", found \"{value}\""),
                            ))
                        }
                    })
                }
                "table" => table = Some((value, v.span())),
                "from" => from = Some((value, v.span())),
                _ => to = Some((value, v.span())),
            }
        }
        let line = self.line(item.span());
        let missing = |key: &str| ConfigError::MissingKey {
            path: self.path.clone(),
            line,
            section: "[[rename]]".into(),
            key: key.into(),
        };
        let kind = kind.ok_or_else(|| missing("kind"))?;
        let (from, from_span) = from.ok_or_else(|| missing("from"))?;
        let (to, to_span) = to.ok_or_else(|| missing("to"))?;
        let mut rename = match kind {
            ObjectKind::Column => {
                let (table, span) = table.ok_or_else(|| missing("table"))?;
                for (name, span, key) in [(from, from_span, "from"), (to, to_span.clone(), "to")] {
                    if name.contains('.') {
                        let why = "expected a column name (the table is given by `table`)";
                        return Err(self.invalid(span, key, why));
                    }
                }
                let (schema, table) = split(table);
                if table.is_empty() {
                    return Err(self.invalid(span, "table", "expected a table, or schema.table"));
                }
                Rename::column(schema, table, from, to)
            }
            _ => {
                if let Some((_, span)) = table {
                    let why = "a table rename names its tables with `from` and `to`";
                    return Err(self.invalid(span, "table", why));
                }
                let ((fs, from), (ts, to)) = (split(from), split(to));
                if fs.is_some() && ts.is_some() && fs != ts {
                    let why = "a table is renamed within its schema: `from` and `to` name different schemas";
                    return Err(self.invalid(to_span.clone(), "to", why));
                }
                Rename::table(fs.or(ts), from, to)
            }
        };
        if rename.from == rename.to {
            return Err(self.invalid(to_span, "to", "names the same object as `from`"));
        }
        rename.origin = format!("{}:{line}", self.path.display());
        Ok(rename)
    }
}
