//! Findings that name objects other findings' steps repair: a migration the
//! ledger records as applied whose effects are absent (`ledger-effect-missing`)
//! needs no step of its own when the plan recreates every object it created
//! and removes every object it dropped. Such a finding is not "without an
//! automatic fix": the last of those steps settles it.

use driftless_rules::Finding;

use crate::plan::{FixStep, Reason, Unfixed};

/// The rule whose findings the object steps settle.
const EFFECT_MISSING: &str = "ledger-effect-missing";

/// Moves each `ledger-effect-missing` finding of `unfixed` whose objects
/// (the paths in its expected and actual values) all have a step in `steps`
/// to the last of those steps' `fixes`, saying so in its reason.
pub(crate) fn settle_effect_findings(
    findings: &[Finding],
    steps: &mut [FixStep],
    unfixed: &mut Vec<Unfixed>,
) {
    unfixed.retain(|u| {
        let Some(f) = findings
            .iter()
            .find(|f| f.rule == EFFECT_MISSING && Reason::of(f) == u.finding)
        else {
            return true;
        };
        match last_step_of(steps, &effect_paths(f)) {
            Some(i) => {
                let step = &mut steps[i];
                step.reason = format!("{}; settles {}", step.reason, u.finding);
                step.fixes.push(u.finding.clone());
                false
            }
            None => true,
        }
    });
}

/// The paths of the objects `f` names: created but absent, dropped but kept.
fn effect_paths(f: &Finding) -> Vec<String> {
    [&f.expected, &f.actual]
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_array())
        .flatten()
        .filter_map(|p| p.as_str().map(str::to_string))
        .collect()
}

/// The index of the last step that repairs one of `paths`, when every one
/// of them has such a step.
fn last_step_of(steps: &[FixStep], paths: &[String]) -> Option<usize> {
    if paths.is_empty() {
        return None;
    }
    let mut last = 0;
    for path in paths {
        let i = steps.iter().rposition(|s| repairs(s, path))?;
        last = last.max(i);
    }
    Some(last)
}

/// Whether `step` changes the object at `path` or fixes a finding about it.
fn repairs(step: &FixStep, path: &str) -> bool {
    step.object.path() == path || step.fixes.iter().any(|r| r.object.path() == path)
}
