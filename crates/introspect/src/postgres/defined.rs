//! Rows of compared catalog objects → [`DefinedObject`]s.

use driftless_model::{CatalogKind, DefinedObject, ObjectKind, ObjectRef};

use super::rows::UnmodeledRow;

/// The compared object of `row` (`None` without a definition: a routine
/// the server cannot print).
pub(crate) fn defined_object(
    kind: CatalogKind,
    schema: Option<&str>,
    row: UnmodeledRow,
) -> Option<DefinedObject> {
    let mut o = DefinedObject::new(kind, schema, row.name, row.definition?);
    o.table = row.table;
    o.drop = row.drop.unwrap_or_default();
    o.then = row.then;
    o.comment = row.comment;
    o.depends_on = row.depends.iter().filter_map(|d| dependency(d)).collect();
    o.depends_on.sort();
    o.depends_on.dedup();
    Some(o)
}

/// An object named `kind␟schema␟table␟name` by the catalog query.
fn dependency(text: &str) -> Option<ObjectRef> {
    let mut parts = text.split('\u{1f}');
    let kind = parts.next()?;
    let kind = ObjectKind::ALL
        .iter()
        .copied()
        .find(|k| k.as_str() == kind)?;
    let schema = parts.next()?.to_string();
    let some = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_string);
    Some(ObjectRef {
        kind,
        schema,
        table: some(parts.next()),
        name: some(parts.next()),
    })
}
