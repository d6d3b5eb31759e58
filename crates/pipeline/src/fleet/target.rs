//! One target of a fleet, checked: its findings in its own names, and the
//! same findings in the expected schema's names, by which targets group.

use driftless_model::renamed_schema;
use driftless_rules::Finding;

use super::report::{fingerprint, Groups, TargetReport};
use crate::check::Checked;
use crate::error::Result;

/// One target's check, as it finished.
#[derive(Debug)]
#[non_exhaustive]
pub struct TargetCheck {
    /// The target: a schema name, or a database URL (redacted).
    pub target: String,
    /// The check, naming the target's own objects; or why it could not be made.
    pub result: Result<Checked>,
    /// The target's schema and the expected schema's name, when they differ.
    pub(super) rename: Option<(String, String)>,
}

impl TargetCheck {
    pub(super) fn new(
        target: String,
        result: Result<Checked>,
        rename: Option<(String, String)>,
    ) -> Self {
        TargetCheck {
            target,
            result,
            rename: rename.filter(|(own, expected)| own != expected),
        }
    }

    /// The findings named as the expected schema names its objects: equal
    /// for targets that drifted the same way (empty when not checked).
    pub fn canonical_findings(&self) -> Vec<Finding> {
        let Ok(checked) = &self.result else {
            return Vec::new();
        };
        let findings = &checked.report.findings;
        match &self.rename {
            Some((own, expected)) => findings
                .iter()
                .map(|f| renamed_schema(f, own, expected).unwrap_or_else(|_| f.clone()))
                .collect(),
            None => findings.clone(),
        }
    }

    /// The fingerprint of its drift (none when it was not checked).
    pub fn fingerprint(&self) -> Option<String> {
        self.result
            .is_ok()
            .then(|| fingerprint(&self.canonical_findings()))
    }

    /// The target's report, its fingerprint included.
    pub fn report(&self) -> TargetReport {
        self.report_with(self.fingerprint())
    }

    /// Adds the target to `groups`, and returns its report.
    pub fn add_to(&self, groups: &mut Groups) -> TargetReport {
        let print = match &self.result {
            Ok(checked) => {
                Some(groups.add(&self.target, self.canonical_findings(), checked.drifted()))
            }
            Err(_) => {
                groups.add_failed();
                None
            }
        };
        self.report_with(print)
    }

    fn report_with(&self, fingerprint: Option<String>) -> TargetReport {
        match &self.result {
            Ok(checked) => TargetReport {
                target: self.target.clone(),
                findings: checked.report.findings.clone(),
                drifted: checked.drifted(),
                fingerprint,
                error: None,
            },
            Err(e) => TargetReport::failed(&self.target, e.to_string()),
        }
    }
}
