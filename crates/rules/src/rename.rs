//! Renames the configuration confirms (`[[rename]]` in `driftless.toml`).

use driftless_model::ObjectKind;

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
