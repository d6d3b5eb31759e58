//! Monitoring by difference: a fleet run compared with an earlier report,
//! so that a scheduled job alerts on new drift, not every night on the
//! same known drift.

use std::collections::{BTreeMap, BTreeSet};

use driftless_rules::Finding;
use serde::{Deserialize, Serialize};

use super::report::{FleetReport, TargetReport};

/// What changed since the baseline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineDiff {
    /// Findings the baseline did not have, per target.
    pub new: Vec<TargetChange>,
    /// Findings of the baseline that are gone, per target.
    pub resolved: Vec<TargetChange>,
    /// How many findings are in both.
    pub persisting: usize,
    /// Drift groups (fingerprints) that are new, gone, or in both.
    pub groups: GroupChanges,
    /// Targets of the baseline that this run did not check (absent, or
    /// failed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gone: Vec<String>,
}

/// Some findings of one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetChange {
    /// The target.
    pub target: String,
    /// The findings.
    pub findings: Vec<Finding>,
}

/// Drift groups compared by fingerprint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupChanges {
    /// Fingerprints the baseline did not have.
    pub new: Vec<String>,
    /// Fingerprints of the baseline that no target has now.
    pub resolved: Vec<String>,
    /// Fingerprints in both.
    pub persisting: Vec<String>,
}

impl BaselineDiff {
    /// Whether a new finding fails the check (at or above `fail_on`, unwaived).
    pub fn has_new_drift(&self, fail_on: driftless_rules::Severity) -> bool {
        self.new
            .iter()
            .flat_map(|t| &t.findings)
            .any(|f| f.severity >= fail_on && !f.is_waived())
    }
}

/// A baseline report, held as what each target had, to compare targets
/// with as their results arrive.
#[derive(Debug)]
pub struct Baseline {
    targets: BTreeMap<String, Vec<Finding>>,
    groups: BTreeSet<String>,
    diff: BaselineDiff,
}

/// What identifies a finding across runs: the rule, the object and what
/// it says (the message names the values that drifted).
fn key(f: &Finding) -> (&str, &driftless_model::ObjectRef, &str) {
    (&f.rule, &f.object, &f.message)
}

impl Baseline {
    /// The baseline `report` (an earlier run's JSON report).
    pub fn new(report: FleetReport) -> Self {
        Baseline {
            groups: report
                .groups
                .iter()
                .map(|g| g.fingerprint.clone())
                .collect(),
            targets: report
                .targets
                .into_iter()
                .filter(|t| t.error.is_none())
                .map(|t| (t.target, t.findings))
                .collect(),
            diff: BaselineDiff::default(),
        }
    }

    /// Compares one target of the current run with the baseline's.
    pub fn compare(&mut self, current: &TargetReport) {
        if current.error.is_some() {
            return;
        }
        let before = self.targets.remove(&current.target).unwrap_or_default();
        let old: BTreeSet<_> = before.iter().map(key).collect();
        let now: BTreeSet<_> = current.findings.iter().map(key).collect();
        let new: Vec<Finding> = current
            .findings
            .iter()
            .filter(|f| !old.contains(&key(f)))
            .cloned()
            .collect();
        let resolved: Vec<Finding> = before
            .iter()
            .filter(|f| !now.contains(&key(f)))
            .cloned()
            .collect();
        self.diff.persisting += current.findings.len() - new.len();
        push_change(&mut self.diff.new, &current.target, new);
        push_change(&mut self.diff.resolved, &current.target, resolved);
    }

    /// The difference, once every target of the run was compared; the
    /// run's groups are `current` (their fingerprints).
    pub fn finish<'a>(mut self, current: impl IntoIterator<Item = &'a str>) -> BaselineDiff {
        let now: BTreeSet<&str> = current.into_iter().collect();
        let (persisting, new): (Vec<&str>, Vec<&str>) =
            now.iter().partition(|g| self.groups.contains(**g));
        self.diff.groups.new = new.into_iter().map(str::to_string).collect();
        self.diff.groups.persisting = persisting.into_iter().map(str::to_string).collect();
        self.diff.groups.resolved = self
            .groups
            .iter()
            .filter(|g| !now.contains(g.as_str()))
            .cloned()
            .collect();
        self.diff.gone = self.targets.into_keys().collect();
        self.diff
    }
}

fn push_change(list: &mut Vec<TargetChange>, target: &str, findings: Vec<Finding>) {
    if !findings.is_empty() {
        list.push(TargetChange {
            target: target.to_string(),
            findings,
        });
    }
}
