//! Copying one object's definition from a snapshot into another: how the
//! schema drift is judged against takes in what a pending migration
//! already did to the live database (see `driftless_model::judged_schema`).

use std::collections::{BTreeMap, BTreeSet};

use crate::migration::{object_fingerprints, Provenance};
use crate::object::{ObjectKind, ObjectRef};
use crate::schema::{Schema, Snapshot, Table};

/// Sets `key` in `dst` to `src`'s value, or removes it when `src` has none.
fn put<V: Clone>(dst: &mut BTreeMap<String, V>, key: &str, src: Option<&V>) {
    match src {
        Some(v) => {
            dst.insert(key.to_string(), v.clone());
        }
        None => {
            dst.remove(key);
        }
    }
}

impl Snapshot {
    /// Makes `object` in `self` what it is in `from`: copies its definition,
    /// or removes it when `from` lacks it. A table or schema brings only
    /// what its fingerprint covers (its comment), not its parts, which are
    /// objects of their own; a part whose table `self` lacks is left alone.
    /// Migrations are not schema objects: nothing happens.
    ///
    /// ```
    /// use driftless_model::{Column, Dialect, ObjectKind, ObjectRef, Snapshot, Table};
    ///
    /// let mut live = Snapshot::new(Dialect::Sqlite);
    /// let mut users = Table::default();
    /// users.columns.insert("id".into(), Column::new(1, "INTEGER"));
    /// users.columns.insert("login_count".into(), Column::new(2, "INTEGER"));
    /// live.schemas.entry("main".into()).or_default().tables.insert("users".into(), users.clone());
    ///
    /// let mut expected = live.clone();
    /// expected.schemas.get_mut("main").unwrap().tables.get_mut("users").unwrap().columns.remove("login_count");
    /// let column = ObjectRef::table_part(ObjectKind::Column, "main", "users", "login_count");
    /// expected.adopt(&live, &column);
    /// assert_eq!(expected, live);
    /// ```
    pub fn adopt(&mut self, from: &Snapshot, object: &ObjectRef) {
        let src = from.schemas.get(&object.schema);
        if object.kind == ObjectKind::Schema {
            match src {
                Some(s) => {
                    let dst = self.schemas.entry(object.schema.clone()).or_default();
                    dst.comment.clone_from(&s.comment);
                }
                None => {
                    self.schemas.remove(&object.schema);
                }
            }
            return;
        }
        let Some(dst) = self.schemas.get_mut(&object.schema) else {
            return;
        };
        match (object.kind, object.table.as_deref(), object.name.as_deref()) {
            (ObjectKind::Table, Some(t), _) => adopt_table(dst, src, t),
            (ObjectKind::View, _, Some(n)) => {
                put(&mut dst.views, n, src.and_then(|s| s.views.get(n)))
            }
            (ObjectKind::Enum, _, Some(n)) => {
                put(&mut dst.enums, n, src.and_then(|s| s.enums.get(n)))
            }
            (ObjectKind::Sequence, _, Some(n)) => {
                put(&mut dst.sequences, n, src.and_then(|s| s.sequences.get(n)));
            }
            (kind, Some(t), Some(n)) => {
                if let Some(table) = dst.tables.get_mut(t) {
                    adopt_part(table, src.and_then(|s| s.tables.get(t)), kind, n);
                }
            }
            _ => {}
        }
    }
}

/// Takes into `recorded` (the schema after the migrations a ledger records
/// as applied) what the `pending` migrations would create, change or drop
/// that `actual` already shows, as `actual` has it: the schema drift is
/// judged against. Such objects are explained by their migration, which
/// the ledger rules report once (`effect-present-unrecorded`), so they are
/// neither unexpected nor repaired. Returns how many objects were taken.
pub fn accept_pending_effects(
    recorded: &mut Snapshot,
    actual: &Snapshot,
    provenance: &Provenance,
    pending: &[String],
) -> usize {
    let fingerprints = object_fingerprints(actual);
    // Schemas and tables before their parts: ObjectRef orders by kind.
    let present: BTreeSet<&ObjectRef> = pending
        .iter()
        .flat_map(|id| provenance.present_effects(id, &fingerprints))
        .map(|e| &e.object)
        .collect();
    for object in &present {
        recorded.adopt(actual, object);
    }
    present.len()
}

fn adopt_table(dst: &mut Schema, src: Option<&Schema>, name: &str) {
    match src.and_then(|s| s.tables.get(name)) {
        Some(t) => {
            let table = dst.tables.entry(name.to_string()).or_default();
            table.comment.clone_from(&t.comment);
        }
        None => {
            dst.tables.remove(name);
        }
    }
}

fn adopt_part(dst: &mut Table, src: Option<&Table>, kind: ObjectKind, name: &str) {
    match kind {
        ObjectKind::Column => put(
            &mut dst.columns,
            name,
            src.and_then(|t| t.columns.get(name)),
        ),
        ObjectKind::PrimaryKey => {
            let pk = src.and_then(|t| t.primary_key.as_ref());
            if let Some(pk) = pk.filter(|pk| pk.name == name) {
                dst.primary_key = Some(pk.clone());
            } else if dst.primary_key.as_ref().is_some_and(|pk| pk.name == name) {
                dst.primary_key = None;
            }
        }
        ObjectKind::Unique => put(
            &mut dst.uniques,
            name,
            src.and_then(|t| t.uniques.get(name)),
        ),
        ObjectKind::Index => put(
            &mut dst.indexes,
            name,
            src.and_then(|t| t.indexes.get(name)),
        ),
        ObjectKind::ForeignKey => put(
            &mut dst.foreign_keys,
            name,
            src.and_then(|t| t.foreign_keys.get(name)),
        ),
        ObjectKind::Check => put(&mut dst.checks, name, src.and_then(|t| t.checks.get(name))),
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use crate::migration::object_fingerprints;
    use crate::object::{ObjectKind, ObjectRef};
    use crate::schema::{Column, Dialect, Index, IndexPart, Snapshot, Table};

    fn snapshot(columns: &[&str], index: bool, comment: Option<&str>) -> Snapshot {
        let mut s = Snapshot::new(Dialect::Postgres);
        let mut t = Table::default();
        for (i, c) in columns.iter().enumerate() {
            t.columns
                .insert((*c).into(), Column::new(i as u32 + 1, "integer"));
        }
        if index {
            t.indexes.insert(
                "users_n_idx".into(),
                Index {
                    parts: vec![IndexPart::column("n")],
                    unique: false,
                    method: None,
                    predicate: None,
                    include: Vec::new(),
                    comment: None,
                    ignored: false,
                    storage: Vec::new(),
                    nulls_not_distinct: false,
                },
            );
        }
        t.comment = comment.map(Into::into);
        s.schemas
            .entry("public".into())
            .or_default()
            .tables
            .insert("users".into(), t);
        s
    }

    #[test]
    fn adopting_every_object_of_a_snapshot_makes_it_equal() {
        let from = snapshot(&["id", "n"], true, Some("people"));
        let mut to = snapshot(&["id", "gone"], false, None);
        let mut all: Vec<ObjectRef> = object_fingerprints(&from).into_keys().collect();
        all.extend(object_fingerprints(&to).into_keys());
        for o in &all {
            to.adopt(&from, o);
        }
        assert_eq!(object_fingerprints(&to), object_fingerprints(&from));
    }

    #[test]
    fn a_table_brings_its_comment_not_its_parts_and_a_part_needs_its_table() {
        let from = snapshot(&["id"], false, Some("people"));
        let mut to = Snapshot::new(Dialect::Postgres);
        to.schemas.entry("public".into()).or_default();
        let col = ObjectRef::table_part(ObjectKind::Column, "public", "users", "id");
        to.adopt(&from, &col);
        assert!(to.schemas["public"].tables.is_empty());
        to.adopt(&from, &ObjectRef::table("public", "users"));
        let users = &to.schemas["public"].tables["users"];
        assert_eq!(users.comment.as_deref(), Some("people"));
        assert!(users.columns.is_empty());
        to.adopt(&from, &col);
        assert!(to.schemas["public"].tables["users"]
            .columns
            .contains_key("id"));
        to.adopt(
            &Snapshot::new(Dialect::Postgres),
            &ObjectRef::table("public", "users"),
        );
        assert!(to.schemas["public"].tables.is_empty());
    }
}
