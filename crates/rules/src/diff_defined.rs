//! The pairing of objects compared by their definition
//! ([`DefinedObject`]): by kind, schema (as the schema pairing maps it),
//! table and name.

use std::collections::{BTreeMap, BTreeSet};

use driftless_model::{is_quarantined, CatalogKind, DefinedObject, Snapshot, QUARANTINE_PREFIX};

use crate::compare::SchemaMap;
use crate::diff::{Entry, Named, Pairing};

/// An object's identity with its schema as the actual side names it.
type Key<'a> = (CatalogKind, &'a str, Option<&'a str>, &'a str);

fn key<'a>(o: &'a DefinedObject, schema: &'a str) -> Key<'a> {
    (o.kind, schema, o.table.as_deref(), o.name.as_str())
}

/// Whether an actual object is left out: on a quarantined table, or on a
/// table only the actual side has (the orphan table is the finding, and
/// its objects go with it).
fn left_out(o: &DefinedObject, orphan_tables: &BTreeSet<(&str, &str)>) -> bool {
    let schema = o.schema.as_deref().unwrap_or_default();
    o.table
        .as_deref()
        .is_some_and(|t| is_quarantined(t) || orphan_tables.contains(&(schema, t)))
        || o.definition.contains(QUARANTINE_PREFIX)
}

/// Tables (by actual schema and name) the actual side has and the expected
/// side does not.
fn orphan_tables<'a>(
    expected: &'a Snapshot,
    actual: &'a Snapshot,
    schemas: &SchemaMap,
) -> BTreeSet<(&'a str, &'a str)> {
    let mut out = BTreeSet::new();
    for (s, schema) in &actual.schemas {
        let exp = expected.schemas.get(schemas.to_expected(s));
        for t in schema.tables.keys().chain(schema.views.keys()) {
            let known = exp.is_some_and(|e| e.tables.contains_key(t) || e.views.contains_key(t));
            if !known {
                out.insert((s.as_str(), t.as_str()));
            }
        }
    }
    out
}

/// The schema of expected object `o` as the actual side names it.
fn actual_schema<'a>(actual: &'a Snapshot, o: &'a DefinedObject, schemas: &SchemaMap) -> &'a str {
    let own = o.schema.as_deref().unwrap_or_default();
    let mapped = schemas.to_actual(own);
    if mapped == own {
        return own;
    }
    actual
        .schemas
        .get_key_value(mapped)
        .map_or(own, |(k, _)| k.as_str())
}

/// Pairs the objects of `expected` with those of `actual`.
pub(crate) fn pair<'a>(
    expected: &'a Snapshot,
    actual: &'a Snapshot,
    schemas: &SchemaMap,
) -> Vec<Entry<'a, DefinedObject>> {
    let orphans = orphan_tables(expected, actual, schemas);
    let mut exp: BTreeMap<Key<'a>, &'a DefinedObject> = BTreeMap::new();
    for o in &expected.objects {
        exp.insert(key(o, actual_schema(actual, o, schemas)), o);
    }
    let mut out = Vec::with_capacity(exp.len().max(actual.objects.len()));
    for a in &actual.objects {
        let schema = a.schema.as_deref().unwrap_or_default();
        let found = exp.remove(&key(a, schema));
        if found.is_none() && left_out(a, &orphans) {
            continue;
        }
        let actual = Named {
            name: &a.name,
            def: a,
        };
        let pairing = match found {
            Some(e) => Pairing::Both {
                expected: Named {
                    name: &e.name,
                    def: e,
                },
                actual,
            },
            None => Pairing::Orphan(actual),
        };
        out.push(Entry {
            schema,
            table: a.table.as_deref(),
            pairing,
        });
    }
    for ((_, schema, table, _), e) in exp {
        out.push(Entry {
            schema,
            table,
            pairing: Pairing::Missing(Named {
                name: &e.name,
                def: e,
            }),
        });
    }
    out.sort_by(|x, y| {
        let k = |e: &Entry<'a, DefinedObject>| {
            let d = e.expected().or(e.actual()).map(|n| n.def.kind);
            (d, e.schema, e.table, e.name())
        };
        k(x).cmp(&k(y))
    });
    out
}
