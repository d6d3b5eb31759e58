//! Renames the configuration confirms (`[[rename]]` in `driftless.toml`).

use driftless_model::ObjectKind;

/// What a `[[rename]]` entry renames (its `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RenameKind {
    /// A column of a table (`kind = "column"`).
    Column,
    /// A table (`kind = "table"`).
    Table,
    /// An index of a table (`kind = "index"`).
    Index,
    /// A unique, check, foreign-key or exclusion constraint of a table
    /// (`kind = "constraint"`; on MySQL/MariaDB a `UNIQUE KEY` is a unique
    /// constraint).
    Constraint,
}

impl RenameKind {
    /// Whether objects of `kind` are renamed by entries of this kind.
    pub fn covers(self, kind: ObjectKind) -> bool {
        matches!(
            (self, kind),
            (RenameKind::Column, ObjectKind::Column)
                | (RenameKind::Table, ObjectKind::Table)
                | (RenameKind::Index, ObjectKind::Index)
                | (
                    RenameKind::Constraint,
                    ObjectKind::Unique
                        | ObjectKind::ForeignKey
                        | ObjectKind::Check
                        | ObjectKind::Exclusion
                )
        )
    }

    /// The entry kind that renames objects of `kind`, if any.
    pub fn of(kind: ObjectKind) -> Option<Self> {
        [
            RenameKind::Column,
            RenameKind::Table,
            RenameKind::Index,
            RenameKind::Constraint,
        ]
        .into_iter()
        .find(|k| k.covers(kind))
    }

    /// `column`, `table`, `index`, `constraint`: how `driftless.toml`
    /// spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            RenameKind::Column => "column",
            RenameKind::Table => "table",
            RenameKind::Index => "index",
            RenameKind::Constraint => "constraint",
        }
    }
}

/// A rename the configuration confirms: the orphan `from` is the missing
/// `to`, renamed. The `possible-rename` rule reports it (or that it names
/// no such pair), and the fixer renames instead of quarantining (or
/// dropping) and adding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rename {
    /// What it renames.
    pub kind: RenameKind,
    /// The schema, when the entry names one.
    pub schema: Option<String>,
    /// The table a renamed column, index or constraint belongs to
    /// (`None` for a table).
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
        Rename::part(RenameKind::Column, schema, table, from, to)
    }

    /// The rename of a column, index or constraint (`kind`) of `table` (of
    /// `schema`, when given).
    pub fn part(kind: RenameKind, schema: Option<&str>, table: &str, from: &str, to: &str) -> Self {
        Rename {
            kind,
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
            kind: RenameKind::Table,
            schema: schema.map(str::to_string),
            table: None,
            from: from.to_string(),
            to: to.to_string(),
            origin: String::from("the command line"),
        }
    }

    /// Whether it names the rename of `from` to `to` of `kind`, in table
    /// `table` (table parts) of schema `schema`.
    pub fn names(
        &self,
        kind: ObjectKind,
        schema: &str,
        table: Option<&str>,
        from: &str,
        to: &str,
    ) -> bool {
        self.is_in(kind, schema, table) && self.from == from && self.to == to
    }

    /// Whether it is about objects of `kind` in table `table` (table
    /// parts) of schema `schema`.
    pub fn is_in(&self, kind: ObjectKind, schema: &str, table: Option<&str>) -> bool {
        self.kind.covers(kind)
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
        let kind = self.kind.as_str();
        match &self.table {
            Some(t) => format!("{kind} {schema}{t}.{} → {}", self.from, self.to),
            None => format!("{kind} {schema}{} → {}", self.from, self.to),
        }
    }
}
