//! SQL taken from a snapshot (types, defaults, expressions, predicates,
//! view bodies), checked before it is placed in a statement.

use std::borrow::Cow;

use driftless_model::Dialect;

use crate::lex::{portable_literals, scan, trim_statement};
use crate::plan::PlanError;
use crate::quote::literal;

/// What a fragment taken from a snapshot is, for error messages.
#[derive(Debug, Clone, Copy)]
pub(super) enum FragmentKind {
    Type,
    Default,
    Expression,
    Predicate,
    ViewDefinition,
    /// A MySQL table's partitioning clause (`PARTITION BY …`).
    Partitioning,
}

impl FragmentKind {
    fn as_str(self) -> &'static str {
        match self {
            FragmentKind::Type => "column type",
            FragmentKind::Default => "default expression",
            FragmentKind::Expression => "expression",
            FragmentKind::Predicate => "index predicate",
            FragmentKind::ViewDefinition => "view definition",
            FragmentKind::Partitioning => "partitioning clause",
        }
    }
}

/// Checks that `text` is one SQL fragment that cannot end the statement it
/// is placed in; PostgreSQL literals holding backslashes come back spelled
/// as escape strings, which no session setting can reinterpret.
pub(super) fn fragment<'t>(
    dialect: Dialect,
    kind: FragmentKind,
    object: &str,
    text: &'t str,
) -> Result<Cow<'t, str>, PlanError> {
    let t = match kind {
        FragmentKind::ViewDefinition => trim_statement(text),
        _ => text.trim(),
    };
    let t = portable_literals(dialect, t);
    match scan(dialect, &t) {
        Ok(_) => Ok(t),
        Err(problem) => Err(PlanError::UnsafeFragment {
            object: object.to_string(),
            what: kind.as_str(),
            text: text.to_string(),
            problem: problem.describe(),
        }),
    }
}

/// Parameters as `WITH (…)` takes them (PostgreSQL storage parameters,
/// view options): `name = 'value'`, the value quoted, or the bare name; a
/// name that is not a plain name ([`plain_name`], dotted where `dotted`)
/// is refused as `what`.
pub(super) fn with_params<'p>(
    dialect: Dialect,
    object: &str,
    what: &'static str,
    params: impl IntoIterator<Item = (&'p str, Option<&'p str>)>,
    dotted: bool,
) -> Result<Vec<String>, PlanError> {
    params
        .into_iter()
        .map(|(name, value)| {
            plain_name(object, what, name, dotted)?;
            Ok(match value {
                Some(v) => format!("{name} = {}", literal(dialect, v)),
                None => name.to_string(),
            })
        })
        .collect()
}

/// A name sea-query or a builder writes without quotes (an operator class,
/// an index method): letters, digits, `_` (and `.` where `dotted`) only.
pub(super) fn plain_name(
    object: &str,
    what: &'static str,
    text: &str,
    dotted: bool,
) -> Result<(), PlanError> {
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || (dotted && c == '.'))
    {
        Ok(())
    } else {
        Err(PlanError::UnsafeFragment {
            object: object.into(),
            what,
            text: text.into(),
            problem: "it is not a plain name",
        })
    }
}
