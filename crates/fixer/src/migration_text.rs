//! Text shared by the files a plan renders: statements terminated, Python
//! string literals, migration numbers, and the note listing the ledger
//! steps a migration file cannot carry.

use std::path::PathBuf;

use crate::plan::{FixPlan, FixStep};

/// Why a plan could not be rendered or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// A file or folder could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A plan document is not valid JSON or does not match the plan format.
    #[error("invalid plan document: {0}")]
    Json(String),
    /// The plan document was written by a newer version.
    #[error("plan format version {found} is newer than this build understands ({supported}); upgrade driftless")]
    Version {
        /// The version found.
        found: u32,
        /// The newest version understood.
        supported: u32,
    },
}

/// The marker lines around the ledger steps a migration file leaves out.
pub const LEDGER_NOTE_BEGIN: &str = "driftless ledger steps: begin";
/// See [`LEDGER_NOTE_BEGIN`].
pub const LEDGER_NOTE_END: &str = "driftless ledger steps: end";

/// The ledger steps of `plan` (see [`FixStep::is_ledger_step`]), which a
/// migration file cannot carry, as lines to put in comments: why, then
/// each step with its guarded statements, between [`LEDGER_NOTE_BEGIN`]
/// and [`LEDGER_NOTE_END`]. Empty without ledger steps.
pub(crate) fn ledger_note(plan: &FixPlan) -> Vec<String> {
    let steps: Vec<(usize, &FixStep)> = plan
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_ledger_step())
        .collect();
    if steps.is_empty() {
        return Vec::new();
    }
    let mut out = vec![
        format!(
            "{} ledger step(s) are not in this file: the migration tool checks its ledger before",
            steps.len()
        ),
        "it runs any migration. Run these statements (guarded: running them twice changes".into(),
        "nothing) against the database first, then the tool's migrate.".into(),
        LEDGER_NOTE_BEGIN.into(),
    ];
    for (i, s) in steps {
        out.push(format!(
            "step {} [{}] {} {}",
            i + 1,
            s.safety,
            s.action,
            s.object.path()
        ));
        for q in &s.script {
            out.extend(terminated(q).lines().map(String::from));
        }
    }
    out.push(LEDGER_NOTE_END.into());
    out
}

pub(crate) fn terminated(stmt: &str) -> String {
    let t = stmt.trim_end();
    if t.ends_with(';') {
        t.to_string()
    } else {
        format!("{t};")
    }
}

pub(crate) fn py_str(s: &str) -> String {
    // A JSON string is a valid Python string literal.
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

pub(crate) fn leading_number(name: &str) -> Option<u128> {
    let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}
