//! What a check compared, and what it did not: the objects of each kind
//! the model compares, and the catalog objects it does not
//! ([`driftless_model::CatalogKind`]), so that "no drift" is only claimed
//! when everything was compared.

use std::collections::BTreeMap;

use driftless_model::{CatalogKind, NotCompared, ObjectCounts, ObjectRef, Snapshot};
use serde::Serialize;

use crate::config::Config;
use crate::rule::Context;

/// The coverage of one check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Coverage {
    /// Objects of each kind the model compares, in the actual database.
    pub compared: ObjectCounts,
    /// Objects of each kind the model does not compare, in the actual
    /// database (extension-owned ones and ignored kinds left out).
    pub not_compared: BTreeMap<String, usize>,
    /// The same for the expected schema, when it is a database or a
    /// snapshot (not a migration replay).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub expected_not_compared: BTreeMap<String, usize>,
    /// Objects not compared that an extension owns (counted, not
    /// reported).
    pub extension_owned: usize,
}

impl Coverage {
    /// The coverage of `cx` under `config` (`[coverage] ignore`).
    pub fn of(cx: &Context<'_>, config: &Config) -> Self {
        let actual = not_compared(cx.actual, config);
        let expected = if reports_expected(cx) {
            not_compared(cx.expected, config).by_kind()
        } else {
            BTreeMap::new()
        };
        Coverage {
            compared: cx.actual.counts(),
            not_compared: names(actual.by_kind()),
            expected_not_compared: names(expected),
            extension_owned: actual.extension_owned,
        }
    }

    /// Whether every object of both sides was compared.
    pub fn is_complete(&self) -> bool {
        self.not_compared.is_empty() && self.expected_not_compared.is_empty()
    }

    /// `2 triggers, 1 policy`: what was not compared, on either side (the
    /// larger count of each kind).
    pub fn summary(&self) -> String {
        let mut both = self.not_compared.clone();
        for (kind, n) in &self.expected_not_compared {
            let e = both.entry(kind.clone()).or_default();
            *e = (*e).max(*n);
        }
        let parts: Vec<String> = both
            .into_iter()
            .map(
                |(kind, n)| match driftless_model::CatalogKind::parse(&kind) {
                    Some(k) => k.count(n),
                    None => format!("{n} {kind}"),
                },
            )
            .collect();
        parts.join(", ")
    }
}

/// Whether the expected side's uncompared objects are reported: when it
/// is a database or a snapshot, not a migration replay.
pub(crate) fn reports_expected(cx: &Context<'_>) -> bool {
    cx.migrations.is_none()
}

/// The objects of `snap` not compared, less the kinds `config` ignores.
pub(crate) fn not_compared<'s>(snap: &'s Snapshot, config: &Config) -> NotCompared<'s> {
    NotCompared::of(&snap.unmodeled, |k| config.ignores_kind(k))
}

fn names<K: ToString>(counts: BTreeMap<K, usize>) -> BTreeMap<String, usize> {
    counts
        .into_iter()
        .map(|(k, n)| (k.to_string(), n))
        .collect()
}

/// Whether `object` belongs to a table `[coverage] ignore` leaves out by
/// its place: a partition (`"partition"`: made at run time by a partition
/// manager the project runs itself) or an inheritance child
/// (`"inheritance child"`), on either side.
pub(crate) fn in_ignored_hierarchy(config: &Config, cx: &Context<'_>, object: &ObjectRef) -> bool {
    let partitions = config.ignores_kind(CatalogKind::Partition);
    let children = config.ignores_kind(CatalogKind::InheritanceChild);
    let Some(table) = object.table.as_deref().filter(|_| partitions || children) else {
        return false;
    };
    [cx.expected, cx.actual]
        .into_iter()
        .filter_map(|snap| snap.table(&object.schema, table))
        .any(|t| match t.parents() {
            (Some(_), _) => partitions,
            (None, Some(_)) => children,
            (None, None) => false,
        })
}
