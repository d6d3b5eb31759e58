//! Findings: what a rule reports.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; never fails a check by default.
    Info,
    /// Likely a problem.
    Warning,
    /// Drift that breaks deploys or loses data.
    Error,
}

impl Severity {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// Parses `info`, `warning` (or `warn`), `error`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of object a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ObjectKind {
    /// A schema (namespace).
    Schema,
    /// A table.
    Table,
    /// A column.
    Column,
    /// A primary key.
    PrimaryKey,
    /// A UNIQUE constraint.
    Unique,
    /// An index.
    Index,
    /// A foreign key.
    ForeignKey,
    /// A CHECK constraint.
    Check,
    /// An enumerated type.
    Enum,
    /// A view.
    View,
    /// A sequence.
    Sequence,
    /// A migration (file or ledger row).
    Migration,
}

impl ObjectKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Schema => "schema",
            ObjectKind::Table => "table",
            ObjectKind::Column => "column",
            ObjectKind::PrimaryKey => "primary_key",
            ObjectKind::Unique => "unique",
            ObjectKind::Index => "index",
            ObjectKind::ForeignKey => "foreign_key",
            ObjectKind::Check => "check",
            ObjectKind::Enum => "enum",
            ObjectKind::View => "view",
            ObjectKind::Sequence => "sequence",
            ObjectKind::Migration => "migration",
        }
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which object a finding is about: kind + schema + table + name.
///
/// For a table, `table` is set and `name` is `None`; for a column, index or
/// constraint both are set; for enums, views and sequences `table` is `None`
/// and `name` is the object's name; for a migration, `schema` is empty and
/// `name` is the migration's id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    /// The kind of object.
    pub kind: ObjectKind,
    /// The schema.
    pub schema: String,
    /// The table, for tables and their parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// The object's own name, for objects other than tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl ObjectRef {
    /// A table.
    pub fn table(schema: &str, table: &str) -> Self {
        ObjectRef {
            kind: ObjectKind::Table,
            schema: schema.into(),
            table: Some(table.into()),
            name: None,
        }
    }

    /// A part of a table (column, index, constraint).
    pub fn table_part(kind: ObjectKind, schema: &str, table: &str, name: &str) -> Self {
        ObjectRef {
            kind,
            schema: schema.into(),
            table: Some(table.into()),
            name: Some(name.into()),
        }
    }

    /// A schema-level object (enum, view, sequence) or a schema itself.
    pub fn schema_object(kind: ObjectKind, schema: &str, name: Option<&str>) -> Self {
        ObjectRef {
            kind,
            schema: schema.into(),
            table: None,
            name: name.map(Into::into),
        }
    }

    /// A migration, by id.
    pub fn migration(id: &str) -> Self {
        ObjectRef {
            kind: ObjectKind::Migration,
            schema: String::new(),
            table: None,
            name: Some(id.into()),
        }
    }

    /// The dotted path used for ignore globs and messages:
    /// `schema.table.name`, `schema.table`, `schema.name`, or the migration id.
    pub fn path(&self) -> String {
        let mut parts: Vec<&str> = Vec::with_capacity(3);
        if !self.schema.is_empty() {
            parts.push(&self.schema);
        }
        if let Some(t) = self.table.as_deref().filter(|t| !t.is_empty()) {
            parts.push(t);
        }
        if let Some(n) = self.name.as_deref().filter(|n| !n.is_empty()) {
            parts.push(n);
        }
        parts.join(".")
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.path())
    }
}

/// A backend-neutral description of what would repair a finding.
///
/// The fixer looks the full definitions up in the expected and actual
/// snapshots; the intent only says what to do to which object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FixIntent {
    /// Create a schema that exists only on the expected side.
    CreateSchema,
    /// Create the table as the expected side defines it.
    CreateTable,
    /// Remove (quarantine / drop / keep, by the user's choice) an orphan table.
    RemoveTable,
    /// Add the column as the expected side defines it.
    AddColumn,
    /// Remove (quarantine / drop / keep) an orphan column.
    RemoveColumn,
    /// Change the column's type to the expected one.
    AlterColumnType,
    /// Set or drop NOT NULL as expected.
    AlterColumnNullability,
    /// Set or drop the default as expected.
    AlterColumnDefault,
    /// Change identity / generated-expression / collation as expected
    /// (usually by recreating the column or table).
    AlterColumnOther,
    /// Create an object (index, constraint, enum, view, sequence) as expected.
    Create,
    /// Drop an object that the expected side does not have.
    Drop,
    /// Drop and recreate an object whose definition differs.
    Replace,
    /// Add the missing labels to an enum (or rebuild it when labels were
    /// removed or reordered).
    AlterEnum,
    /// Alter a sequence's parameters in place (its current value is kept).
    AlterSequence,
    /// Set (or remove) the object's comment as expected.
    SetComment,
    /// Record a migration as applied without running it (`--fake`).
    RecordMigration,
    /// No automatic fix: a human must decide.
    Manual,
}

/// One detected difference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The id of the rule that found it (`missing-column`).
    pub rule: String,
    /// Severity after configuration.
    pub severity: Severity,
    /// The object concerned.
    pub object: ObjectRef,
    /// A complete, human sentence.
    pub message: String,
    /// What the expected side has, if anything.
    #[serde(default)]
    pub expected: Option<serde_json::Value>,
    /// What the actual side has, if anything.
    #[serde(default)]
    pub actual: Option<serde_json::Value>,
    /// The migration the object traces to, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration: Option<String>,
    /// A one-line hint of the fix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// What would repair it.
    pub fix: FixIntent,
    /// The waiver that accepts this drift, if one applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<AppliedWaiver>,
}

impl Finding {
    /// A finding with the rule's id and default severity, no values, no hint.
    pub fn new(
        rule: &crate::RuleMeta,
        object: ObjectRef,
        message: impl Into<String>,
        fix: FixIntent,
    ) -> Self {
        Finding {
            rule: rule.id.to_string(),
            severity: rule.default_severity,
            object,
            message: message.into(),
            expected: None,
            actual: None,
            migration: None,
            hint: None,
            fix,
            waiver: None,
        }
    }

    /// Sets the expected and actual values.
    pub fn values(
        mut self,
        expected: Option<serde_json::Value>,
        actual: Option<serde_json::Value>,
    ) -> Self {
        self.expected = expected;
        self.actual = actual;
        self
    }

    /// Sets the fix hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Whether an unexpired waiver accepts this finding (it then does not fail a check).
    pub fn is_waived(&self) -> bool {
        self.waiver.as_ref().is_some_and(|w| !w.expired)
    }

    /// The deterministic sort key: object, then rule, then message.
    pub fn sort_key(&self) -> (&ObjectRef, &str, &str) {
        (&self.object, &self.rule, &self.message)
    }
}

/// A waiver that matched a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedWaiver {
    /// Why the drift is accepted.
    pub reason: String,
    /// Who accepted it.
    pub owner: String,
    /// Until when (`YYYY-MM-DD`).
    pub expires: String,
    /// Whether the waiver has expired (the finding then counts again).
    pub expired: bool,
}

/// Sorts findings deterministically.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

#[cfg(test)]
mod tests {
    use super::{ObjectKind, ObjectRef};

    #[test]
    fn paths_skip_empty_parts() {
        assert_eq!(
            ObjectRef::table_part(ObjectKind::PrimaryKey, "main", "t", "").path(),
            "main.t"
        );
        assert_eq!(ObjectRef::table("public", "users").path(), "public.users");
        assert_eq!(ObjectRef::migration("0001_initial").path(), "0001_initial");
        assert_eq!(
            ObjectRef::schema_object(ObjectKind::Schema, "billing", None).to_string(),
            "schema billing"
        );
    }
}
