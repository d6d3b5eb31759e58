//! The fix plan: ordered, safety-classified steps with their SQL.

use driftless_model::{Dialect, ObjectRef, Snapshot};
use driftless_rules::Finding;
use serde::{Deserialize, Serialize};

use crate::hazards::{AlterAlgorithm, StepHazard};
use crate::safety::Safety;

/// Version of the plan JSON document.
pub const PLAN_FORMAT_VERSION: u32 = 1;

/// An ordered list of steps that turns the actual schema into the expected
/// one, for one dialect.
///
/// `steps` are the steps allowed by
/// [`PlanOptions::allow`](crate::PlanOptions::allow); `withheld` are steps
/// computed but above that threshold (shown, never applied);
/// `unfixed` are findings no automatic step can repair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FixPlan {
    /// Format version of the JSON document ([`PLAN_FORMAT_VERSION`]).
    pub format_version: u32,
    /// The database kind the SQL is written for.
    pub dialect: Dialect,
    /// The steps to run, in order.
    pub steps: Vec<FixStep>,
    /// Steps above the allowed safety class, in the order they would run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withheld: Vec<FixStep>,
    /// Findings that need a human.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unfixed: Vec<Unfixed>,
    /// Fingerprint of the actual schema the plan was made from; apply
    /// refuses to run a plan on a schema that changed since.
    pub base: String,
    /// The schemas the fingerprint covers (a caller may plan over part of
    /// a database); apply compares these only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub base_schemas: Vec<String>,
}

/// One step of a plan: one or more statements that fix one object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FixStep {
    /// The object the step changes.
    pub object: ObjectRef,
    /// What the step does, in a few words (`add column`, `quarantine column` …).
    pub action: String,
    /// How risky it is.
    pub safety: Safety,
    /// Why: the findings it fixes (rule, object, message), or what step it
    /// serves; a data-loss step also says which rows it affects.
    pub reason: String,
    /// The findings this step fixes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<Reason>,
    /// The statements, in order.
    pub sql: Vec<String>,
    /// The same statements guarded so that running them again changes
    /// nothing (see [`FixPlan::to_script`]).
    pub script: Vec<String>,
    /// Read-only checks run before anything is applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preflight: Vec<Preflight>,
    /// Rows the step affects, once counted by [`preflight`](crate::preflight).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affected_rows: Option<u64>,
    /// SQLite: the table this step rebuilds (its triggers are recreated
    /// after the rebuild when applying).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rebuilds: Option<String>,
    /// The pending migration this step completes before a ledger step
    /// records it (it creates part of what that migration makes): like the
    /// ledger steps, it must run before the migration tool's next migrate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completes: Option<String>,
    /// What the step does to the existing table it changes: its lock,
    /// whether it rewrites or reads every row, the table's live size and
    /// a rough duration (`None` for steps on no existing table).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hazard: Option<StepHazard>,
    /// An online step (a table at or above the online threshold, see
    /// [`PlanOptions::online_threshold`](crate::PlanOptions)): it commits
    /// on its own as soon as it is done instead of in the plan's one
    /// transaction, and each blocking statement waits only briefly for its
    /// lock and retries.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub online: bool,
    /// The step runs outside any transaction (`CREATE INDEX
    /// CONCURRENTLY`, which PostgreSQL refuses inside one).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub outside_transaction: bool,
    /// What a rerun does when the fix is interrupted during or right
    /// after this step (online steps, which commit on their own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_rerun: Option<String>,
    /// The step's one statement changes a batch of rows at most (a
    /// backfill): the apply runs it again until it changes none.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub batched: bool,
    /// A step outside any transaction: the statement that removes what a
    /// failed or interrupted run of it leaves (the INVALID index of a
    /// concurrent build), run when it fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undo: Option<String>,
    /// MySQL/MariaDB column changes: the algorithm decided while planning,
    /// from the column as it is and as it should be; moved into
    /// [`FixStep::hazard`] once the plan is built.
    #[serde(skip)]
    pub(crate) algorithm: Option<AlterAlgorithm>,
}

impl FixStep {
    /// A step that runs `sql` (`script`, its guarded form) in the plan's
    /// transaction, fixing no finding of its own; the rest left empty.
    pub(crate) fn new(
        object: ObjectRef,
        action: String,
        safety: Safety,
        reason: String,
        (sql, script): (Vec<String>, Vec<String>),
    ) -> Self {
        FixStep {
            object,
            action,
            safety,
            reason,
            fixes: Vec::new(),
            sql,
            script,
            preflight: Vec::new(),
            affected_rows: None,
            rebuilds: None,
            completes: None,
            hazard: None,
            online: false,
            outside_transaction: false,
            on_rerun: None,
            batched: false,
            undo: None,
            algorithm: None,
        }
    }

    /// Whether the step belongs to the ledger: it writes the migration
    /// tool's ledger (a migration's row, or the ledger table a rebuild
    /// creates and fills), or completes a migration a ledger step records. The
    /// migration tool checks its ledger before it runs anything, so such a
    /// step cannot go into a migration file (see
    /// [`FixPlan::migration_files`]).
    pub fn is_ledger_step(&self) -> bool {
        use driftless_model::ObjectKind;
        self.object.kind == ObjectKind::Migration
            || self.completes.is_some()
            || (self.object.kind == ObjectKind::Table
                && self
                    .object
                    .table
                    .as_deref()
                    .is_some_and(driftless_model::is_ledger_table))
    }
}

/// A finding a step fixes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// The rule id.
    pub rule: String,
    /// The object of the finding.
    pub object: ObjectRef,
    /// The finding's message.
    pub message: String,
}

impl Reason {
    pub(crate) fn of(f: &Finding) -> Self {
        Reason {
            rule: f.rule.clone(),
            object: f.object.clone(),
            message: f.message.clone(),
        }
    }
}

impl Reason {
    /// Whether the message names the object already (`column
    /// public.orders.note is missing`): then it is not named twice.
    fn message_names_object(&self) -> bool {
        let o = &self.object;
        let name = [
            o.name.as_deref(),
            o.table.as_deref(),
            Some(o.schema.as_str()),
        ]
        .into_iter()
        .flatten()
        .find(|n| !n.is_empty());
        name.is_some_and(|n| self.message.contains(n))
    }
}

/// `rule: message`, with the object between them when the message does
/// not name it.
impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.message_names_object() {
            write!(f, "{}: {}", self.rule, self.message)
        } else {
            write!(f, "{}: {}: {}", self.rule, self.object, self.message)
        }
    }
}

/// A read-only check of the live data that runs before a plan is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Preflight {
    /// What the result means.
    pub kind: PreflightKind,
    /// A `SELECT COUNT(*) …` query.
    pub sql: String,
    /// The message (for a refusal: what to do instead).
    pub message: String,
}

/// What a [`Preflight`] count means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PreflightKind {
    /// A count above zero refuses the whole plan before anything runs.
    RefuseIfAny,
    /// The count is the number of rows the step affects (reported).
    CountAffected,
}

/// A finding without an automatic fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unfixed {
    /// The finding.
    #[serde(flatten)]
    pub finding: Reason,
    /// Why driftless does not fix it.
    pub why: String,
}

/// Why a plan could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The two snapshots are of different database kinds.
    #[error("cannot plan across dialects: expected schema is {expected}, actual is {actual}")]
    DialectMismatch {
        /// Dialect of the expected snapshot.
        expected: Dialect,
        /// Dialect of the actual snapshot.
        actual: Dialect,
    },
    /// A type, default, expression or view body from a snapshot is not one
    /// SQL fragment (it could end the statement it is placed in).
    #[error("refusing to render the {what} of {object}: {problem}: {text:?}")]
    UnsafeFragment {
        /// The object.
        object: String,
        /// Which part.
        what: &'static str,
        /// The text.
        text: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// An object the plan creates would take a name that an object the plan
    /// keeps holds in the same namespace (a PostgreSQL index and a table,
    /// a SQLite index of another table …): the plan could never apply.
    #[error(
        "cannot create {object}: {holder} already holds the name {name:?}, and the plan keeps it; \
         rename or drop {holder} first"
    )]
    NameTaken {
        /// The object the plan would create.
        object: String,
        /// The contested name.
        name: String,
        /// The existing object holding it.
        holder: String,
    },
    /// The backend cannot express the change.
    #[error("cannot fix {object}: {reason}")]
    Unsupported {
        /// The object.
        object: String,
        /// Why not.
        reason: String,
    },
}

impl FixPlan {
    /// Whether there is nothing to run.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The highest safety class among the steps to run.
    pub fn max_safety(&self) -> Option<Safety> {
        self.steps.iter().map(|s| s.safety).max()
    }

    /// Every statement of the steps to run, in order.
    pub fn statements(&self) -> impl Iterator<Item = &str> {
        self.steps
            .iter()
            .flat_map(|s| s.sql.iter().map(String::as_str))
    }
}

/// A stable fingerprint of a snapshot (FNV-1a over its compact JSON), hex.
/// Only what the model compares counts: the objects it does not compare
/// (`Snapshot::unmodeled`, which a plan never touches) are left out.
pub fn fingerprint(snapshot: &Snapshot) -> String {
    /// The fields of a snapshot the model compares, serialised as the
    /// snapshot serialises them.
    #[derive(Serialize)]
    struct Compared<'a> {
        format_version: u32,
        dialect: Dialect,
        schemas: &'a std::collections::BTreeMap<String, driftless_model::Schema>,
    }
    struct Fnv(u64);
    impl std::io::Write for Fnv {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            for b in buf {
                self.0 ^= u64::from(*b);
                self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    // Serialising plain data with string keys cannot fail; hash what was written.
    let compared = Compared {
        format_version: snapshot.format_version,
        dialect: snapshot.dialect,
        schemas: &snapshot.schemas,
    };
    let _ = serde_json::to_writer(&mut h, &compared);
    format!("{:016x}", h.0)
}
