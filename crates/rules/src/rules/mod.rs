//! The built-in rules, one per file, and the one list that registers them.
//!
//! Each rule is a unit struct declared with `declare_rule!`, which writes
//! its metadata ([`RuleMeta`]) and its ruff-style doc comment from the same
//! text, so the rustdoc, `driftless rules` and the README never disagree.
//! Schema rules read the pairing computed once per check
//! ([`Context::diff`](crate::Context::diff)).

use driftless_model::{
    migration_status, Effect, EffectKind, Ledger, MigrationSet, MigrationState, MigrationStatus,
    ObjectKind, ObjectRef,
};
use serde::Serialize;

use crate::diff::Entry;
use crate::finding::{Finding, FixIntent};
use crate::rule::{Context, Rule, RuleMeta};

/// Declares a built-in rule: a unit struct with a ruff-style doc comment
/// and its `META`, both from the same literals.
macro_rules! declare_rule {
    (
        $(#[$attr:meta])*
        $name:ident {
            id: $id:literal,
            summary: $summary:literal,
            rationale: $rationale:literal,
            severity: $sev:ident,
            enabled: $enabled:literal,
            example: $example:literal,
            fix: $fix:literal $(,)?
        }
    ) => {
        #[doc = concat!("Rule `", $id, "`.")]
        #[doc = ""]
        #[doc = "## What it does"]
        #[doc = ""]
        #[doc = $summary]
        #[doc = ""]
        #[doc = "## Why is this bad?"]
        #[doc = ""]
        #[doc = $rationale]
        #[doc = ""]
        #[doc = "## Example"]
        #[doc = ""]
        #[doc = "```sql"]
        #[doc = $example]
        #[doc = "```"]
        #[doc = ""]
        #[doc = "## Fix safety"]
        #[doc = ""]
        #[doc = $fix]
        $(#[$attr])*
        #[derive(Debug, Clone, Copy, Default)]
        pub(crate) struct $name;

        impl $name {
            /// The rule's metadata.
            pub(crate) const META: $crate::rule::RuleMeta = $crate::rule::RuleMeta {
                id: $id,
                summary: $summary,
                rationale: $rationale,
                default_severity: $crate::finding::Severity::$sev,
                example: $example,
                fix: $fix,
                enabled_by_default: $enabled,
            };
        }
    };
}

/// The `impl Rule` of a rule declared with [`declare_rule!`] whose check
/// is one expression over the context `$cx`, pushing to `$out`.
macro_rules! rule_impl {
    ($name:ident, |$cx:ident, $out:ident| $check:expr) => {
        impl $crate::rule::Rule for $name {
            fn meta(&self) -> &$crate::rule::RuleMeta {
                &Self::META
            }

            fn check(
                &self,
                $cx: &$crate::rule::Context<'_>,
                $out: &mut Vec<$crate::finding::Finding>,
            ) {
                $check
            }
        }
    };
}

/// The `impl Rule` of a `…-mismatch` rule: one finding per paired object
/// of `kind` (from the diff's `$pairs`) whose definitions differ, as the
/// comparer's `$diffs` says how.
macro_rules! mismatch_rule {
    ($name:ident, $kind:ident, $pairs:ident, $diffs:ident) => {
        rule_impl!($name, |cx, out| {
            let diff = cx.diff();
            $crate::rules::report_mismatch(
                &Self::META,
                diff.$pairs(),
                driftless_model::ObjectKind::$kind,
                |e, a| diff.comparer().$diffs(e, a),
                out,
            )
        });
    };
}

/// The `impl Rule` of a rule that reports the keys, checks or constraints
/// one side has and the other lacks: `$report` (`report_missing`,
/// `report_orphan`) over the pairs of `Diff::$pairs`, objects of kind
/// `$kind`, each described by `$describe`.
macro_rules! member_rule {
    ($name:ident, $report:ident, $pairs:ident, $kind:ident, $describe:path) => {
        rule_impl!($name, |cx, out| $crate::rules::$report(
            &Self::META,
            cx.diff().$pairs(),
            driftless_model::ObjectKind::$kind,
            $describe,
            out,
        ));
    };
}

mod check_mismatch;
mod column_identity_mismatch;
mod column_order;
mod column_type_mismatch;
mod comment_mismatch;
mod default_mismatch;
mod defined_objects;
mod effect_present_unrecorded;
mod enum_mismatch;
mod exclusion_mismatch;
mod failed_migration;
mod foreign_key_mismatch;
mod index_mismatch;
mod ledger_effect_missing;
mod ledger_lost;
mod missing_check;
mod missing_column;
mod missing_enum;
mod missing_exclusion;
mod missing_foreign_key;
mod missing_index;
mod missing_schema;
mod missing_sequence;
mod missing_table;
mod missing_unique;
mod missing_view;
mod modified_migration;
mod nullability_mismatch;
mod orphan_check;
mod orphan_column;
mod orphan_enum;
mod orphan_exclusion;
mod orphan_foreign_key;
mod orphan_index;
mod orphan_schema;
mod orphan_sequence;
mod orphan_table;
mod orphan_unique;
mod orphan_view;
mod pending_migration_fails;
mod pending_migration_locks;
mod possible_rename;
mod primary_key_mismatch;
mod sequence_mismatch;
mod table_option_mismatch;
mod unapplied_migration;
mod unique_mismatch;
mod unknown_applied_migration;
mod unmodeled_object;
mod view_definition_mismatch;
mod visibility_mismatch;

#[cfg(test)]
pub(crate) mod migration_testing;
#[cfg(test)]
pub(crate) mod testing;

/// Every built-in rule, in the order `driftless rules` and the docs list
/// them. Adding a rule: one file, one `mod` line above, one line here.
pub(crate) const BUILTIN: &[&dyn Rule] = &[
    &missing_schema::MissingSchema,
    &orphan_schema::OrphanSchema,
    &missing_table::MissingTable,
    &orphan_table::OrphanTable,
    &missing_column::MissingColumn,
    &orphan_column::OrphanColumn,
    &possible_rename::PossibleRename,
    &column_type_mismatch::ColumnTypeMismatch,
    &nullability_mismatch::NullabilityMismatch,
    &default_mismatch::DefaultMismatch,
    &column_identity_mismatch::ColumnIdentityMismatch,
    &column_order::ColumnOrder,
    &visibility_mismatch::VisibilityMismatch,
    &primary_key_mismatch::PrimaryKeyMismatch,
    &missing_unique::MissingUnique,
    &orphan_unique::OrphanUnique,
    &unique_mismatch::UniqueMismatch,
    &missing_index::MissingIndex,
    &orphan_index::OrphanIndex,
    &index_mismatch::IndexMismatch,
    &missing_foreign_key::MissingForeignKey,
    &orphan_foreign_key::OrphanForeignKey,
    &foreign_key_mismatch::ForeignKeyMismatch,
    &missing_check::MissingCheck,
    &orphan_check::OrphanCheck,
    &check_mismatch::CheckMismatch,
    &missing_exclusion::MissingExclusion,
    &orphan_exclusion::OrphanExclusion,
    &exclusion_mismatch::ExclusionMismatch,
    &missing_enum::MissingEnum,
    &orphan_enum::OrphanEnum,
    &enum_mismatch::EnumMismatch,
    &missing_view::MissingView,
    &orphan_view::OrphanView,
    &view_definition_mismatch::ViewDefinitionMismatch,
    &missing_sequence::MissingSequence,
    &orphan_sequence::OrphanSequence,
    &sequence_mismatch::SequenceMismatch,
    &defined_objects::MissingObject,
    &defined_objects::OrphanObject,
    &defined_objects::ObjectMismatch,
    &table_option_mismatch::TableOptionMismatch,
    &comment_mismatch::CommentMismatch,
    &unapplied_migration::UnappliedMigration,
    &unknown_applied_migration::UnknownAppliedMigration,
    &modified_migration::ModifiedMigration,
    &failed_migration::FailedMigration,
    &ledger_lost::LedgerLost,
    &ledger_effect_missing::LedgerEffectMissing,
    &effect_present_unrecorded::EffectPresentUnrecorded,
    &pending_migration_fails::PendingMigrationFails,
    &pending_migration_locks::PendingMigrationLocks,
    &unmodeled_object::UnmodeledObject,
];

/// A model part as a JSON value (`None` only if it cannot be serialised).
pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> Option<serde_json::Value> {
    serde_json::to_value(value).ok()
}

/// Shared body of the ledger rules that report migrations in one `state`:
/// one manual finding per such migration, with `message` saying what is
/// wrong, `hint` what to do, and the migration's status as the actual value.
/// Nothing is reported without both a migration set and a ledger.
pub(crate) fn report_migrations(
    meta: &RuleMeta,
    cx: &Context<'_>,
    state: MigrationState,
    message: impl Fn(&MigrationStatus, &MigrationSet, &Ledger) -> String,
    hint: &str,
    out: &mut Vec<Finding>,
) {
    let (Some(set), Some(ledger)) = (cx.migrations, cx.ledger) else {
        return;
    };
    for status in migration_status(set, Some(ledger)) {
        if status.state != state {
            continue;
        }
        let mut f = Finding::new(
            meta,
            ObjectRef::migration(&status.id),
            message(&status, set, ledger),
            FixIntent::Manual,
        )
        .hint(hint);
        f.actual = json(&status);
        f.migration = Some(status.id.clone());
        out.push(f);
    }
}

/// What `effects` do, as a message lists it: `creates column a, index b;
/// drops column c`, with at most `limit` objects named.
pub(crate) fn effect_list(effects: &[&Effect], limit: usize) -> String {
    let mut parts = Vec::new();
    let mut named = 0;
    for (kind, verb) in [
        (EffectKind::Created, "creates"),
        (EffectKind::Changed, "changes"),
        (EffectKind::Dropped, "drops"),
    ] {
        // A table made or dropped stands for its columns and keys.
        let whole = |o: &ObjectRef| {
            o.kind != ObjectKind::Table
                && o.kind != ObjectKind::Index
                && o.table.as_ref().is_some_and(|t| {
                    effects
                        .iter()
                        .any(|e| e.kind == kind && e.object == ObjectRef::table(&o.schema, t))
                })
        };
        let objects: Vec<String> = effects
            .iter()
            .filter(|e| e.kind == kind && !whole(&e.object))
            .map(|e| e.object.described().to_string())
            .collect();
        let shown: Vec<&String> = objects.iter().take(limit.saturating_sub(named)).collect();
        named += shown.len();
        let more = objects.len() - shown.len();
        match (shown.is_empty(), more) {
            (_, 0) if objects.is_empty() => {}
            (true, n) => parts.push(format!("{verb} {n} more object(s)")),
            (false, 0) => parts.push(format!("{verb} {}", join(&shown))),
            (false, n) => parts.push(format!("{verb} {} and {n} more", join(&shown))),
        }
    }
    parts.join("; ")
}

fn join(items: &[&String]) -> String {
    items
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// How a message names an entry: `index users_email_idx on public.users`,
/// `view public.active_users`, `column public.users.email`.
pub(crate) fn located<T>(entry: &Entry<'_, T>, kind: ObjectKind) -> String {
    let what = kind.noun();
    match (kind, entry.table) {
        (ObjectKind::Column, Some(t)) => format!("{what} {}.{t}.{}", entry.schema, entry.name()),
        (_, Some(t)) => format!("{what} {} on {}.{t}", entry.name(), entry.schema),
        (ObjectKind::Schema, None) => format!("{what} {}", entry.schema),
        (_, None) => format!("{what} {}.{}", entry.schema, entry.name()),
    }
}

/// Shared body of the `missing-…` rules for indexes, constraints, enums,
/// views and sequences: one finding per object only the expected side has.
pub(crate) fn report_missing<T: Serialize>(
    meta: &RuleMeta,
    entries: &[Entry<'_, T>],
    kind: ObjectKind,
    describe: impl Fn(&T) -> String,
    out: &mut Vec<Finding>,
) {
    report_one_sided(meta, entries, kind, describe, OneSide::Expected, out);
}

/// Shared body of the `orphan-…` rules: one finding per object only the
/// actual side has.
pub(crate) fn report_orphan<T: Serialize>(
    meta: &RuleMeta,
    entries: &[Entry<'_, T>],
    kind: ObjectKind,
    describe: impl Fn(&T) -> String,
    out: &mut Vec<Finding>,
) {
    report_one_sided(meta, entries, kind, describe, OneSide::Actual, out);
}

/// Which side alone has an object.
#[derive(Clone, Copy)]
enum OneSide {
    /// Only the expected side: the object is missing and is created.
    Expected,
    /// Only the actual side: the object is an orphan and is dropped.
    Actual,
}

/// One finding per entry only `side` has, for [`report_missing`] and
/// [`report_orphan`].
fn report_one_sided<T: Serialize>(
    meta: &RuleMeta,
    entries: &[Entry<'_, T>],
    kind: ObjectKind,
    describe: impl Fn(&T) -> String,
    side: OneSide,
    out: &mut Vec<Finding>,
) {
    for entry in entries {
        let only = match side {
            OneSide::Expected => entry.missing(),
            OneSide::Actual => entry.orphan(),
        };
        let Some(only) = only else {
            continue;
        };
        let at = located(entry, kind);
        let (message, fix, hint) = match side {
            OneSide::Expected => (
                format!("{at} is missing (expected {})", describe(only.def)),
                FixIntent::Create,
                format!("create {at} as the expected schema defines it"),
            ),
            OneSide::Actual => (
                format!("{at} exists but is not expected ({})", describe(only.def)),
                FixIntent::Drop,
                format!("drop {at}, or add it to the expected schema"),
            ),
        };
        let (expected, actual) = match side {
            OneSide::Expected => (json(only.def), None),
            OneSide::Actual => (None, json(only.def)),
        };
        out.push(
            Finding::new(meta, entry.object(kind), message, fix)
                .values(expected, actual)
                .hint(hint),
        );
    }
}

/// Shared body of the `…-mismatch` rules for indexes and constraints: one
/// finding per paired object whose definitions differ, saying how.
pub(crate) fn report_mismatch<T: Serialize>(
    meta: &RuleMeta,
    entries: &[Entry<'_, T>],
    kind: ObjectKind,
    differences: impl Fn(&T, &T) -> Vec<String>,
    out: &mut Vec<Finding>,
) {
    for entry in entries {
        if let Some((e, a)) = entry.both() {
            let diffs = differences(e.def, a.def);
            if diffs.is_empty() {
                continue;
            }
            let at = located(entry, kind);
            out.push(
                Finding::new(
                    meta,
                    entry.object(kind),
                    format!("{at} differs (expected vs actual): {}", diffs.join("; ")),
                    FixIntent::Replace,
                )
                .values(json(e.def), json(a.def))
                .hint(format!(
                    "drop and recreate {at} as the expected schema defines it"
                )),
            );
        }
    }
}
