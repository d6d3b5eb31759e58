//! The `Rule` trait and the context rules read.

use driftless_introspect::Snapshot;

use crate::finding::{Finding, Severity};

/// Metadata every rule declares; `driftless rules` and the docs are generated from it.
#[derive(Debug, Clone, Copy)]
pub struct RuleMeta {
    /// Kebab-case id (`missing-column`).
    pub id: &'static str,
    /// One line: what it finds.
    pub summary: &'static str,
    /// Why it matters.
    pub rationale: &'static str,
    /// Severity unless configured otherwise.
    pub default_severity: Severity,
    /// An example of drift it reports.
    pub example: &'static str,
    /// How it is fixed, and how safe the fix is.
    pub fix: &'static str,
    /// Whether it runs unless enabled explicitly.
    pub enabled_by_default: bool,
}

/// What rules look at: the expected and actual schemas, plus (when known)
/// the migration set and ledger.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Context<'a> {
    /// What the database should look like.
    pub expected: &'a Snapshot,
    /// What it looks like.
    pub actual: &'a Snapshot,
}

impl<'a> Context<'a> {
    /// A context comparing two snapshots.
    pub fn new(expected: &'a Snapshot, actual: &'a Snapshot) -> Self {
        Context { expected, actual }
    }
}

/// A drift check: pure, synchronous, no I/O.
///
/// ```
/// use driftless_rules::{Context, Finding, FixIntent, ObjectRef, Rule, RuleMeta, Severity};
///
/// /// Every table needs a primary key.
/// struct TableWithoutPrimaryKey;
///
/// static META: RuleMeta = RuleMeta {
///     id: "table-without-primary-key",
///     summary: "A table in the actual schema has no primary key",
///     rationale: "Rows without identity cannot be replicated or updated safely.",
///     default_severity: Severity::Warning,
///     example: "CREATE TABLE events (payload text)",
///     fix: "None: add a primary key in a migration.",
///     enabled_by_default: true,
/// };
///
/// impl Rule for TableWithoutPrimaryKey {
///     fn meta(&self) -> &RuleMeta { &META }
///     fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
///         for (schema, name, table) in cx.actual.tables() {
///             if table.primary_key.is_none() {
///                 out.push(Finding::new(
///                     &META,
///                     ObjectRef::table(schema, name),
///                     format!("table {schema}.{name} has no primary key"),
///                     FixIntent::Manual,
///                 ));
///             }
///         }
///     }
/// }
/// ```
pub trait Rule: Send + Sync {
    /// The rule's metadata.
    fn meta(&self) -> &RuleMeta;
    /// Appends what the rule finds in `cx` to `out`.
    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>);
}
