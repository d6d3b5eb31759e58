//! Placeholder overview (written once the API settles).
#![deny(missing_docs)]

mod guard;
mod lex;
mod objects;
mod options;
mod plan;
mod planner;
mod quote;
mod safety;
mod sql;
mod tables;
mod types;

pub use options::{ApplyOptions, Orphans, PlanOptions};
pub use plan::{fingerprint, plan, FixPlan, FixStep, PlanError, Preflight, PreflightKind, Reason, Unfixed, PLAN_FORMAT_VERSION};
pub use safety::Safety;
