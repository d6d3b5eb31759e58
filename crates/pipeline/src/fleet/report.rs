//! What a fleet run reports: each target's findings, the targets grouped
//! by identical drift, and a summary; merged from shards, and compared with
//! an earlier report.

use std::collections::BTreeMap;

use driftless_rules::Finding;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::baseline::BaselineDiff;
use super::shard::Shard;

/// One target of a fleet run, checked (or not: `error`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetReport {
    /// The target: a schema name (`--each-schema`) or a database URL,
    /// password redacted.
    pub target: String,
    /// Its findings, naming its own objects.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// Whether a finding fails the check.
    #[serde(default)]
    pub drifted: bool,
    /// The drift group it belongs to (see [`fingerprint`]); absent when it
    /// could not be checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// Why it could not be checked (it was not; the others were).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl TargetReport {
    /// A target that could not be checked.
    pub fn failed(target: impl Into<String>, error: impl Into<String>) -> Self {
        TargetReport {
            target: target.into(),
            findings: Vec::new(),
            drifted: false,
            fingerprint: None,
            error: Some(error.into()),
        }
    }
}

/// Targets with identical drift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// The drift fingerprint the members share.
    pub fingerprint: String,
    /// Whether the group's findings fail the check.
    pub drifted: bool,
    /// The members, sorted.
    pub targets: Vec<String>,
    /// The drift, once, naming the objects as the expected schema does.
    pub findings: Vec<Finding>,
}

/// Counts of a fleet run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetSummary {
    /// Targets in the run (checked or not).
    pub targets: usize,
    /// Checked, with nothing failing.
    pub clean: usize,
    /// Checked, with drift.
    pub drifted: usize,
    /// Not checked (unreachable, no privilege …).
    pub failed: usize,
    /// Distinct drift groups.
    pub groups: usize,
}

/// The fingerprint of a drift: a digest of the findings (named as the
/// expected schema names its objects), independent of their order.
/// Targets with the same fingerprint drifted identically.
///
/// ```
/// assert_eq!(driftless_pipeline::fleet::fingerprint(&[]).len(), 16);
/// ```
pub fn fingerprint(findings: &[Finding]) -> String {
    let mut lines: Vec<String> = findings
        .iter()
        .map(|f| serde_json::to_string(f).unwrap_or_else(|_| f.message.clone()))
        .collect();
    lines.sort();
    let mut digest = Sha256::new();
    for line in &lines {
        digest.update(line.as_bytes());
        digest.update(b"\n");
    }
    digest.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Targets gathered into drift groups as their results arrive. Holds one
/// copy of each distinct drift and the members' names, not their findings.
#[derive(Debug, Default)]
pub struct Groups {
    groups: BTreeMap<String, Group>,
    summary: FleetSummary,
}

impl Groups {
    /// No targets yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts a target that could not be checked.
    pub fn add_failed(&mut self) {
        self.summary.targets += 1;
        self.summary.failed += 1;
    }

    /// Adds a checked target whose drift, named as the expected schema
    /// names its objects, is `canonical`; returns its fingerprint.
    pub fn add(&mut self, target: &str, canonical: Vec<Finding>, drifted: bool) -> String {
        let print = fingerprint(&canonical);
        self.summary.targets += 1;
        if drifted {
            self.summary.drifted += 1;
        } else {
            self.summary.clean += 1;
        }
        self.groups
            .entry(print.clone())
            .or_insert_with(|| Group {
                fingerprint: print.clone(),
                drifted,
                targets: Vec::new(),
                findings: canonical,
            })
            .targets
            .push(target.to_string());
        print
    }

    /// Adds a group of an earlier run (a shard's report): its members join
    /// the group of the same fingerprint.
    pub fn add_group(&mut self, group: Group) {
        let n = group.targets.len();
        self.summary.targets += n;
        if group.drifted {
            self.summary.drifted += n;
        } else {
            self.summary.clean += n;
        }
        match self.groups.get_mut(&group.fingerprint) {
            Some(g) => g.targets.extend(group.targets),
            None => {
                self.groups.insert(group.fingerprint.clone(), group);
            }
        }
    }

    /// The summary so far.
    pub fn summary(&self) -> FleetSummary {
        FleetSummary {
            groups: self.groups.len(),
            ..self.summary
        }
    }

    /// The groups, drifted first, then the biggest, then by fingerprint;
    /// members sorted.
    pub fn finish(self) -> (Vec<Group>, FleetSummary) {
        let summary = self.summary();
        let mut groups: Vec<Group> = self.groups.into_values().collect();
        for g in &mut groups {
            g.targets.sort();
            g.targets.dedup();
        }
        groups.sort_by(|a, b| {
            (b.drifted, b.targets.len(), &a.fingerprint).cmp(&(
                a.drifted,
                a.targets.len(),
                &b.fingerprint,
            ))
        });
        (groups, summary)
    }
}

/// The JSON document of a fleet run (`check --each-schema … --format json`,
/// one shard's report, or `report merge`'s): every target, the groups, the
/// summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetReport {
    /// The JSON Schema of the document, when it names one.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub json_schema: Option<String>,
    /// The expected source every target was compared with.
    pub expected: String,
    /// The share of the targets this report covers, when sharded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// Every target, sorted by name.
    pub targets: Vec<TargetReport>,
    /// Drift groups, drifted first, biggest first.
    pub groups: Vec<Group>,
    /// Counts.
    pub summary: FleetSummary,
    /// What changed since an earlier report, when compared with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineDiff>,
}

impl FleetReport {
    /// Combines the reports of the shards of one run into the report of
    /// the whole run: the same targets, groups and summary as an unsharded
    /// run. Reports of different expected sources, or sharing a target,
    /// are refused.
    pub fn merge(reports: Vec<FleetReport>) -> Result<FleetReport, MergeError> {
        let expected = reports
            .first()
            .map(|r| r.expected.clone())
            .ok_or(MergeError::Empty)?;
        let mut groups = Groups::new();
        let mut targets = Vec::new();
        for report in reports {
            if report.expected != expected {
                return Err(MergeError::Expected {
                    first: expected,
                    other: report.expected,
                });
            }
            report.groups.into_iter().for_each(|g| groups.add_group(g));
            targets.extend(report.targets);
        }
        targets.sort_by(|a, b| a.target.cmp(&b.target));
        if let Some(w) = targets.windows(2).find(|w| w[0].target == w[1].target) {
            return Err(MergeError::Overlap(w[0].target.clone()));
        }
        targets
            .iter()
            .filter(|t| t.error.is_some())
            .for_each(|_| groups.add_failed());
        let (groups, summary) = groups.finish();
        Ok(FleetReport {
            json_schema: None,
            expected,
            shard: None,
            targets,
            groups,
            summary,
            baseline: None,
        })
    }
}

/// Why shard reports do not merge.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// No report was given.
    #[error("no report to merge")]
    Empty,
    /// The reports compared with different expected schemas.
    #[error("the reports compare with different expected schemas ({first} and {other}): they are not shards of one run")]
    Expected {
        /// The first report's source.
        first: String,
        /// Another report's source.
        other: String,
    },
    /// Two reports hold the same target: the shards overlap.
    #[error(
        "target {0} is in more than one report: the shards overlap (or a report was given twice)"
    )]
    Overlap(String),
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use driftless_model::ObjectRef;
    use driftless_rules::{FixIntent, Severity};

    fn finding(table: &str) -> Finding {
        Finding {
            rule: "missing-table".into(),
            severity: Severity::Error,
            object: ObjectRef::table("public", table),
            message: format!("table public.{table} is missing"),
            expected: None,
            actual: None,
            migration: None,
            hint: None,
            fix: FixIntent::Create,
            waiver: None,
        }
    }

    #[test]
    fn the_order_of_findings_does_not_change_the_fingerprint() {
        let (a, b) = (finding("a"), finding("b"));
        assert_eq!(
            fingerprint(&[a.clone(), b.clone()]),
            fingerprint(&[b, a.clone()])
        );
        assert_ne!(fingerprint(&[a]), fingerprint(&[]));
    }

    #[test]
    fn groups_come_drifted_and_biggest_first() {
        let mut g = Groups::new();
        for t in ["t1", "t2", "t3"] {
            g.add(t, Vec::new(), false);
        }
        g.add("t4", vec![finding("a")], true);
        g.add("t5", vec![finding("b")], true);
        g.add("t6", vec![finding("b")], true);
        g.add_failed();
        let (groups, summary) = g.finish();
        assert_eq!(groups[0].targets, ["t5", "t6"]);
        assert_eq!(groups[1].targets, ["t4"]);
        assert_eq!(groups[2].targets, ["t1", "t2", "t3"]);
        assert_eq!(
            summary,
            FleetSummary {
                targets: 7,
                clean: 3,
                drifted: 3,
                failed: 1,
                groups: 3
            }
        );
    }
}
