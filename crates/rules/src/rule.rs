//! The `Rule` trait and the context rules read.

use std::sync::OnceLock;

use driftless_model::{Ledger, LedgerRebuild, MigrationSet, PendingRun, Provenance, Snapshot};

use crate::date::Date;
use crate::diff::SchemaDiff;
use crate::finding::{Finding, Severity};
use crate::rename::Rename;

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
/// the migration set and ledger, and today's date for waiver expiry.
///
/// Build it with [`Context::new`] and the `with_…` methods; the pairing of
/// the two snapshots ([`Context::diff`]) is computed once, on first use, and
/// shared by every rule.
///
/// ```
/// use driftless_model::{Dialect, Snapshot};
/// use driftless_rules::{Context, Date};
///
/// let expected = Snapshot::new(Dialect::Postgres);
/// let actual = Snapshot::new(Dialect::Postgres);
/// let cx = Context::new(&expected, &actual).with_today(Date::parse("2025-06-01").unwrap());
/// assert!(cx.diff().tables().is_empty());
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Context<'a> {
    /// What the database should look like.
    pub expected: &'a Snapshot,
    /// What it looks like.
    pub actual: &'a Snapshot,
    /// Today's date, against which waiver expiry is judged. Without it,
    /// every waiver counts as expired (a check fails closed).
    pub today: Option<Date>,
    /// The migration set on disk, when checking against a migrations folder.
    pub migrations: Option<&'a MigrationSet>,
    /// The database's migration ledger for that set, if it has one.
    pub ledger: Option<&'a Ledger>,
    /// Which migration created or last changed each expected object
    /// (from replaying the set).
    pub provenance: Option<&'a Provenance>,
    /// The pending migrations applied to a copy of the live schema (the
    /// deploy preflight), when that ran.
    pub pending_run: Option<&'a PendingRun>,
    /// The ledger the database lost and gets back, when it has the
    /// effects of migrations but a missing or empty ledger; `ledger` is
    /// then that ledger as it will be once rebuilt.
    pub rebuild: Option<&'a LedgerRebuild>,
    /// The renames the configuration confirms (`[[rename]]`).
    pub renames: &'a [Rename],
    diff: OnceLock<SchemaDiff<'a>>,
}

impl<'a> Context<'a> {
    /// A context comparing two snapshots.
    pub fn new(expected: &'a Snapshot, actual: &'a Snapshot) -> Self {
        Context {
            expected,
            actual,
            today: None,
            migrations: None,
            ledger: None,
            provenance: None,
            pending_run: None,
            rebuild: None,
            renames: &[],
            diff: OnceLock::new(),
        }
    }

    /// Sets today's date (the library never reads the clock).
    pub fn with_today(mut self, today: Date) -> Self {
        self.today = Some(today);
        self
    }

    /// Sets the migration set on disk and the database's ledger for it
    /// (`None`: the database has no ledger; every migration is unapplied).
    pub fn with_migrations(mut self, set: &'a MigrationSet, ledger: Option<&'a Ledger>) -> Self {
        self.migrations = Some(set);
        self.ledger = ledger;
        self
    }

    /// Sets the provenance of the expected objects (from replay).
    pub fn with_provenance(mut self, provenance: &'a Provenance) -> Self {
        self.provenance = Some(provenance);
        self
    }

    /// Sets what the pending migrations did on a copy of the live schema.
    pub fn with_pending_run(mut self, run: &'a PendingRun) -> Self {
        self.pending_run = Some(run);
        self
    }

    /// Sets the ledger rebuild the database needs (see [`Context::rebuild`]).
    pub fn with_ledger_rebuild(mut self, rebuild: &'a LedgerRebuild) -> Self {
        self.rebuild = Some(rebuild);
        self
    }

    /// Sets the renames the configuration confirms (see
    /// [`Config::renames`](crate::Config::renames)).
    pub fn with_renames(mut self, renames: &'a [Rename]) -> Self {
        self.renames = renames;
        self
    }

    /// The pairing of the expected and actual snapshots, computed on first
    /// use and then shared.
    pub fn diff(&self) -> &SchemaDiff<'a> {
        self.diff
            .get_or_init(|| SchemaDiff::new(self.expected, self.actual))
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
