//! Rules of driftless. (Being written.)
#![deny(missing_docs)]

mod finding;
mod rule;

pub use finding::{sort_findings, AppliedWaiver, Finding, FixIntent, ObjectKind, ObjectRef, Severity};
pub use rule::{Context, Rule, RuleMeta};
