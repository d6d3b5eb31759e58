//! Parsing `[[rename]]`: renames the configuration confirms.
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
//!
//! [[rename]]
//! kind = "index"              # or "constraint": unique, check, foreign key, exclusion
//! table = "public.users"
//! from = "users_email_idx"
//! to = "users_email_6f2b_idx"
//! ```

use std::ops::Range;

use toml::de::DeValue;
use toml::Spanned;

use super::{ConfigError, Parser};
use crate::rename::{Rename, RenameKind};

const RENAME_KEYS: &str = "from, kind, table, to";

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
                        "column" => RenameKind::Column,
                        "table" => RenameKind::Table,
                        "index" => RenameKind::Index,
                        "constraint" => RenameKind::Constraint,
                        _ => {
                            return Err(self.invalid(
                                v.span(),
                                key,
                                format!("expected \"column\", \"table\", \"index\" or \"constraint\", found \"{value}\""),
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
            RenameKind::Table => self.table_rename(table, (from, to), to_span.clone())?,
            _ => {
                let (table, span) = table.ok_or_else(|| missing("table"))?;
                for (name, span, key) in [(from, from_span, "from"), (to, to_span.clone(), "to")] {
                    if name.contains('.') {
                        let why = format!(
                            "expected {} name (the table is given by `table`)",
                            article(kind)
                        );
                        return Err(self.invalid(span, key, why));
                    }
                }
                let (schema, table) = split(table);
                if table.is_empty() {
                    return Err(self.invalid(span, "table", "expected a table, or schema.table"));
                }
                Rename::part(kind, schema, table, from, to)
            }
        };
        if rename.from == rename.to {
            return Err(self.invalid(to_span, "to", "names the same object as `from`"));
        }
        rename.origin = format!("{}:{line}", self.path.display());
        Ok(rename)
    }

    /// A `kind = "table"` entry: no `table`, and `from` and `to` in one
    /// schema.
    fn table_rename(
        &self,
        table: Option<(&str, Range<usize>)>,
        (from, to): (&str, &str),
        to_span: Range<usize>,
    ) -> Result<Rename, ConfigError> {
        if let Some((_, span)) = table {
            let why = "a table rename names its tables with `from` and `to`";
            return Err(self.invalid(span, "table", why));
        }
        let ((fs, from), (ts, to)) = (split(from), split(to));
        if fs.is_some() && ts.is_some() && fs != ts {
            let why =
                "a table is renamed within its schema: `from` and `to` name different schemas";
            return Err(self.invalid(to_span, "to", why));
        }
        Ok(Rename::table(fs.or(ts), from, to))
    }
}

/// `a column`, `an index`, `a constraint`.
fn article(kind: RenameKind) -> String {
    let noun = kind.as_str();
    match noun.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {noun}"),
        _ => format!("a {noun}"),
    }
}
