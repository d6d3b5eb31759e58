//! Findings: what a rule reports.

use std::collections::BTreeSet;
use std::fmt;

use driftless_model::ObjectRef;
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

/// What part of an object's definition [`FixIntent::Alter`] brings to the
/// expected one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Aspect {
    /// A column's type.
    Type,
    /// A column's NOT NULL.
    Nullability,
    /// A column's default.
    Default,
    /// A column's identity (auto-increment), generation expression or
    /// collation (usually changed by recreating the column or the table).
    Identity,
    /// An enum's labels: the missing ones added (the enum rebuilt when
    /// labels were removed or reordered).
    Labels,
    /// A sequence's parameters, altered in place (its current value kept).
    Parameters,
    /// A table's options ([`Table::options`](driftless_model::Table::options)):
    /// storage engine, character set, row format, partitioning (MySQL),
    /// WITHOUT ROWID, STRICT (SQLite).
    Options,
    /// Whether a column is invisible or an index ignored by the optimizer
    /// (MySQL/MariaDB), changed in place.
    Visibility,
}

/// A backend-neutral description of what would repair a finding: an action
/// on the finding's object, whatever its kind (the object says the kind).
///
/// The fixer looks the full definitions up in the expected and actual
/// snapshots; the intent only says what to do to the object.
///
/// Serialised with the action in `action`: `{"action": "create"}`,
/// `{"action": "alter", "aspects": ["nullability"]}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FixIntent {
    /// Create the object as the expected side defines it (a schema or a
    /// table with everything in it).
    Create,
    /// Set aside an orphan that holds data (a table, a column): quarantine,
    /// drop or keep it, by the user's choice.
    Remove,
    /// Drop an object that the expected side does not have.
    Drop,
    /// Drop and recreate an object whose definition differs.
    Replace,
    /// Bring these aspects of the object's definition to the expected ones,
    /// in place where the database allows it.
    Alter {
        /// What differs.
        aspects: BTreeSet<Aspect>,
    },
    /// Set (or remove) the object's comment as expected.
    SetComment,
    /// Record a migration as applied without running it (`--fake`).
    RecordMigration,
    /// Store the migration file's current checksum in the ledger: the file
    /// changed only cosmetically, or what its current text does is in the
    /// schema (Flyway's `repair`).
    UpdateChecksum,
    /// Clear a failed (or dirty) ledger row whose migration left no trace
    /// in the schema, so that the next migrate runs it again.
    RetryMigration,
    /// Move a ledger row whose migration file is gone to driftless's ledger
    /// quarantine table (restorable), then delete it from the ledger, so
    /// that the framework stops tripping on it.
    QuarantineLedgerRow,
    /// Rename the object the finding is about (missing under this name)
    /// from `from`, an orphan of the same kind and definition, keeping its
    /// data. Only a `confirmed` rename (a `[[rename]]` entry of the
    /// configuration) is applied unless the plan accepts every possible
    /// rename; otherwise the orphan is set aside and the object created.
    Rename {
        /// The name the object has in the database: a column's name, or a
        /// table's (in the same schema).
        from: String,
        /// Whether the configuration declares this rename.
        confirmed: bool,
    },
    /// No automatic fix: a human must decide.
    Manual,
}

impl FixIntent {
    /// Alter one aspect of the object.
    pub fn alter(aspect: Aspect) -> Self {
        FixIntent::Alter {
            aspects: BTreeSet::from([aspect]),
        }
    }
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

    /// How the expected definition (a view's query) differs from the
    /// actual one, as changed lines (see [`line_diff`](crate::line_diff)),
    /// at most `max`; empty when the finding's values carry no two
    /// definitions.
    pub fn definition_diff(&self, max: usize) -> Vec<String> {
        let definition = |v: &Option<serde_json::Value>| {
            v.as_ref()
                .and_then(|v| v.get("definition"))
                .and_then(serde_json::Value::as_str)
                .map(str::to_string)
        };
        match (definition(&self.expected), definition(&self.actual)) {
            (Some(e), Some(a)) if e != a => crate::line_diff(&e, &a, max),
            _ => Vec::new(),
        }
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
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{Aspect, FixIntent};

    #[test]
    fn intents_serialise_with_their_action() {
        let json = |f: &FixIntent| serde_json::to_string(f).unwrap();
        assert_eq!(json(&FixIntent::Create), r#"{"action":"create"}"#);
        assert_eq!(json(&FixIntent::SetComment), r#"{"action":"set_comment"}"#);
        let alter = FixIntent::alter(Aspect::Nullability);
        assert_eq!(
            json(&alter),
            r#"{"action":"alter","aspects":["nullability"]}"#
        );
        assert_eq!(
            serde_json::from_str::<FixIntent>(&json(&alter)).unwrap(),
            alter
        );
    }
}
