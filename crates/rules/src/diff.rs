//! The pairing of an expected and an actual snapshot, computed once per
//! check and read by every built-in rule.
//!
//! Schemas, tables, columns, views, enums and sequences pair by name.
//! Objects compared by their definition pair by kind, schema, table and
//! name. Indexes and constraints pair by name too: one whose definition is
//! expected under another name is missing under that name and an orphan
//! under its own (migrations drop and alter indexes and constraints by
//! name), and the `possible-rename` rule pairs the two. Primary keys pair
//! by table (their names are not compared).
//!
//! What the pairing leaves out is never reported by the built-in rules:
//! system schemas, migration-ledger tables, quarantined tables and columns
//! (and the indexes and constraints that refer to them), the contents of a
//! missing schema or table (the missing object is one finding), and the parts
//! of an orphan table.

use std::collections::{BTreeMap, BTreeSet};

use driftless_model::{
    is_ledger_table, is_quarantined, CatalogKind, Check, Column, DefinedObject, Dialect, Enum,
    Exclusion, ForeignKey, Index, IndexKey, ObjectKind, ObjectRef, PrimaryKey, Schema,
    SchemaPairing, Sequence, Snapshot, Table, UniqueConstraint, View, QUARANTINE_PREFIX,
};

use crate::compare::{Comparer, SchemaMap};

/// One side's object: its name and definition.
#[derive(Debug)]
pub struct Named<'a, T> {
    /// The object's name on this side.
    pub name: &'a str,
    /// Its definition.
    pub def: &'a T,
}

impl<T> Clone for Named<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Named<'_, T> {}

/// How an object pairs across the two snapshots.
#[derive(Debug)]
pub enum Pairing<'a, T> {
    /// Only the expected side has it.
    Missing(Named<'a, T>),
    /// Only the actual side has it.
    Orphan(Named<'a, T>),
    /// Both sides have it (under different names only for primary keys,
    /// which pair by table).
    Both {
        /// The expected side.
        expected: Named<'a, T>,
        /// The actual side.
        actual: Named<'a, T>,
    },
}

impl<T> Clone for Pairing<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Pairing<'_, T> {}

/// One paired object and where it lives.
#[derive(Debug)]
pub struct Entry<'a, T> {
    /// The schema, as findings name it (the actual side's name when a
    /// schema pairs under two names).
    pub schema: &'a str,
    /// The table, for columns, indexes and constraints.
    pub table: Option<&'a str>,
    /// The two sides.
    pub pairing: Pairing<'a, T>,
}

impl<T> Clone for Entry<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Entry<'_, T> {}

impl<'a, T> Entry<'a, T> {
    /// The name findings use: the actual side's when it exists.
    pub fn name(&self) -> &'a str {
        match self.pairing {
            Pairing::Missing(e) => e.name,
            Pairing::Orphan(a) | Pairing::Both { actual: a, .. } => a.name,
        }
    }

    /// The expected side, if any.
    pub fn expected(&self) -> Option<Named<'a, T>> {
        match self.pairing {
            Pairing::Missing(e) | Pairing::Both { expected: e, .. } => Some(e),
            Pairing::Orphan(_) => None,
        }
    }

    /// The actual side, if any.
    pub fn actual(&self) -> Option<Named<'a, T>> {
        match self.pairing {
            Pairing::Orphan(a) | Pairing::Both { actual: a, .. } => Some(a),
            Pairing::Missing(_) => None,
        }
    }

    /// The expected side when only it exists.
    pub fn missing(&self) -> Option<Named<'a, T>> {
        match self.pairing {
            Pairing::Missing(e) => Some(e),
            _ => None,
        }
    }

    /// The actual side when only it exists.
    pub fn orphan(&self) -> Option<Named<'a, T>> {
        match self.pairing {
            Pairing::Orphan(a) => Some(a),
            _ => None,
        }
    }

    /// Both sides, when both exist.
    pub fn both(&self) -> Option<(Named<'a, T>, Named<'a, T>)> {
        match self.pairing {
            Pairing::Both { expected, actual } => Some((expected, actual)),
            _ => None,
        }
    }

    /// The object this entry is about, as a finding names it.
    pub fn object(&self, kind: ObjectKind) -> ObjectRef {
        match (kind, self.table) {
            (ObjectKind::Schema, _) => ObjectRef::schema_object(kind, self.schema, None),
            (ObjectKind::Table, _) => ObjectRef::table(self.schema, self.name()),
            (_, Some(t)) => ObjectRef::table_part(kind, self.schema, t, self.name()),
            (_, None) => ObjectRef::schema_object(kind, self.schema, Some(self.name())),
        }
    }
}

/// The pairing of an expected and an actual snapshot.
///
/// Obtained from [`Context::diff`](crate::Context::diff), which computes it
/// once per context. Every list holds entries in a deterministic order.
#[derive(Debug, Clone)]
pub struct SchemaDiff<'a> {
    cmp: Comparer,
    schemas: Vec<Entry<'a, Schema>>,
    tables: Vec<Entry<'a, Table>>,
    columns: Vec<Entry<'a, Column>>,
    primary_keys: Vec<Entry<'a, PrimaryKey>>,
    uniques: Vec<Entry<'a, UniqueConstraint>>,
    indexes: Vec<Entry<'a, Index>>,
    foreign_keys: Vec<Entry<'a, ForeignKey>>,
    checks: Vec<Entry<'a, Check>>,
    exclusions: Vec<Entry<'a, Exclusion>>,
    views: Vec<Entry<'a, View>>,
    enums: Vec<Entry<'a, Enum>>,
    sequences: Vec<Entry<'a, Sequence>>,
    objects: Vec<Entry<'a, DefinedObject>>,
}

impl<'a> SchemaDiff<'a> {
    /// Pairs `expected` with `actual`; schemas pair as
    /// [`SchemaPairing`](driftless_model::SchemaPairing) says (on MySQL
    /// and SQLite, the one schema of each side whatever its name).
    pub fn new(expected: &'a Snapshot, actual: &'a Snapshot) -> Self {
        let dialect = actual.dialect;
        let pairing = SchemaPairing::new(expected, actual);
        let named = |snap: &'a Snapshot, name: Option<&'a str>| {
            let (name, def) = snap.schemas.get_key_value(name?)?;
            Some(Named { name, def })
        };
        let schema_pairs: Vec<Pairing<'a, Schema>> = pairing
            .pairs()
            .iter()
            .filter_map(
                |p| match (named(expected, p.expected), named(actual, p.actual)) {
                    (Some(expected), Some(actual)) => Some(Pairing::Both { expected, actual }),
                    (Some(e), None) => Some(Pairing::Missing(e)),
                    (None, Some(a)) => Some(Pairing::Orphan(a)),
                    (None, None) => None,
                },
            )
            .collect();
        let mut schemas_map = SchemaMap::default();
        for (e, a) in pairing.renamed() {
            schemas_map.add(e, a);
        }
        let (ec, ac) = (expected.counts(), actual.counts());
        let mut diff = SchemaDiff {
            cmp: Comparer {
                dialect,
                schemas: schemas_map,
            },
            schemas: Vec::with_capacity(schema_pairs.len()),
            tables: Vec::with_capacity(ec.tables.max(ac.tables)),
            columns: Vec::with_capacity(ec.columns.max(ac.columns)),
            primary_keys: Vec::with_capacity(ec.primary_keys.max(ac.primary_keys)),
            uniques: Vec::with_capacity(ec.uniques.max(ac.uniques)),
            indexes: Vec::with_capacity(ec.indexes.max(ac.indexes)),
            foreign_keys: Vec::with_capacity(ec.foreign_keys.max(ac.foreign_keys)),
            checks: Vec::with_capacity(ec.checks.max(ac.checks)),
            exclusions: Vec::new(),
            views: Vec::new(),
            enums: Vec::new(),
            sequences: Vec::new(),
            objects: Vec::new(),
        };
        for pairing in schema_pairs {
            let entry = Entry {
                schema: match pairing {
                    Pairing::Missing(e) => e.name,
                    Pairing::Orphan(a) | Pairing::Both { actual: a, .. } => a.name,
                },
                table: None,
                pairing,
            };
            diff.schemas.push(entry);
            match pairing {
                Pairing::Missing(_) => {}
                Pairing::Orphan(a) => diff.add_schema_contents(a.name, None, Some(a.def)),
                Pairing::Both { expected, actual } => {
                    diff.add_schema_contents(actual.name, Some(expected.def), Some(actual.def))
                }
            }
        }
        diff.objects = pair_defined(expected, actual, &diff.cmp.schemas);
        diff
    }

    fn add_schema_contents(
        &mut self,
        schema: &'a str,
        exp: Option<&'a Schema>,
        act: Option<&'a Schema>,
    ) {
        let tables = |s: Option<&'a Schema>| {
            s.into_iter()
                .flat_map(|s| s.tables.iter())
                .filter(|(n, _)| !is_ledger_table(n) && !is_quarantined(n))
                .map(|(n, t)| (n.as_str(), t))
        };
        for pairing in collect_merge(tables(exp), tables(act)) {
            self.tables.push(Entry {
                schema,
                table: None,
                pairing,
            });
            if let Pairing::Both { expected, actual } = pairing {
                self.add_table_parts(schema, actual.name, expected.def, actual.def);
            }
        }
        let views: Vec<Pairing<'a, View>> = merge_objects(exp, act, |s| &s.views)
            .into_iter()
            .filter(
                |p| !matches!(p, Pairing::Orphan(a) if a.def.definition.contains(QUARANTINE_PREFIX)),
            )
            .collect();
        for p in &views {
            if let Pairing::Both { expected, actual } = *p {
                let (e, a) = (&expected.def.indexes, &actual.def.indexes);
                self.add_indexes(schema, actual.name, e, a);
            }
        }
        push_entries(&mut self.views, schema, None, views);
        push_entries(
            &mut self.enums,
            schema,
            None,
            merge_objects(exp, act, |s| &s.enums),
        );
        let sequences = merge_objects(exp, act, |s| &s.sequences)
            .into_iter()
            .filter(|p| !matches!(p, Pairing::Orphan(a) if sequence_quarantined(a.name, a.def)));
        push_entries(&mut self.sequences, schema, None, sequences);
    }

    fn add_table_parts(&mut self, schema: &'a str, table: &'a str, exp: &'a Table, act: &'a Table) {
        let cols = |t: &'a Table| {
            t.columns
                .iter()
                .filter(|(n, _)| !is_quarantined(n))
                .map(|(n, c)| (n.as_str(), c))
        };
        let columns = &mut self.columns;
        // A column a partition or inheritance child takes from its parent
        // comes and goes with the parent's, when the table keeps its parents.
        let same_parents = exp.parents() == act.parents();
        merge_by_name(cols(exp), cols(act), |pairing| {
            let inherited = match pairing {
                Pairing::Missing(e) => e.def.inherited,
                Pairing::Orphan(a) => a.def.inherited,
                Pairing::Both { expected, actual } => {
                    expected.def.inherited && actual.def.inherited
                }
            };
            if !(same_parents && inherited) {
                columns.push(Entry {
                    schema,
                    table: Some(table),
                    pairing,
                })
            }
        });

        let pk = match (&exp.primary_key, &act.primary_key) {
            (Some(e), Some(a)) => Some(Pairing::Both {
                expected: Named {
                    name: &e.name,
                    def: e,
                },
                actual: Named {
                    name: &a.name,
                    def: a,
                },
            }),
            (Some(e), None) => Some(Pairing::Missing(Named {
                name: &e.name,
                def: e,
            })),
            (None, Some(a)) if !a.columns.iter().any(|c| is_quarantined(c)) => {
                Some(Pairing::Orphan(Named {
                    name: &a.name,
                    def: a,
                }))
            }
            _ => None,
        };
        push_entries(&mut self.primary_keys, schema, Some(table), pk);

        let uniques = &mut self.uniques;
        pair_parts(
            &exp.uniques,
            &act.uniques,
            |n, u| is_quarantined(n) || u.columns.iter().any(|c| is_quarantined(c)),
            |p| uniques.push(part(schema, table, p)),
        );
        self.add_indexes(schema, table, &exp.indexes, &act.indexes);
        let foreign_keys = &mut self.foreign_keys;
        pair_parts(
            &exp.foreign_keys,
            &act.foreign_keys,
            |n, fk| {
                is_quarantined(n)
                    || is_quarantined(&fk.ref_table)
                    || fk
                        .columns
                        .iter()
                        .chain(&fk.ref_columns)
                        .any(|c| is_quarantined(c))
            },
            |p| foreign_keys.push(part(schema, table, p)),
        );
        let checks = &mut self.checks;
        pair_parts(
            &exp.checks,
            &act.checks,
            |n, c| is_quarantined(n) || c.expression.contains(QUARANTINE_PREFIX),
            |p| checks.push(part(schema, table, p)),
        );
        let exclusions = &mut self.exclusions;
        pair_parts(
            &exp.exclusions,
            &act.exclusions,
            |n, x| is_quarantined(n) || x.definition.contains(QUARANTINE_PREFIX),
            |p| exclusions.push(part(schema, table, p)),
        );
    }

    /// The indexes of a table, or of a materialized view (whose name
    /// stands for the table), on both sides.
    fn add_indexes(
        &mut self,
        schema: &'a str,
        table: &'a str,
        exp: &'a BTreeMap<String, Index>,
        act: &'a BTreeMap<String, Index>,
    ) {
        let indexes = &mut self.indexes;
        pair_parts(exp, act, index_quarantined, |p| {
            indexes.push(part(schema, table, p))
        });
    }

    /// The dialect compared.
    pub fn dialect(&self) -> Dialect {
        self.cmp.dialect
    }

    /// The actual-side name of expected schema `schema` (they differ when
    /// two MySQL databases of different names are compared).
    pub fn actual_schema_name<'s>(&'s self, schema: &'s str) -> &'s str {
        self.cmp.schemas.to_actual(schema)
    }

    /// The expected-side name of actual schema `schema`.
    pub fn expected_schema_name<'s>(&'s self, schema: &'s str) -> &'s str {
        self.cmp.schemas.to_expected(schema)
    }

    pub(crate) fn comparer(&self) -> &Comparer {
        &self.cmp
    }

    /// Schemas (system schemas left out).
    pub fn schemas(&self) -> &[Entry<'a, Schema>] {
        &self.schemas
    }

    /// Tables of schemas on both sides and of orphan schemas (ledger and
    /// quarantined tables left out).
    pub fn tables(&self) -> &[Entry<'a, Table>] {
        &self.tables
    }

    /// Columns of tables on both sides (quarantined columns left out).
    pub fn columns(&self) -> &[Entry<'a, Column>] {
        &self.columns
    }

    /// Primary keys of tables on both sides.
    pub fn primary_keys(&self) -> &[Entry<'a, PrimaryKey>] {
        &self.primary_keys
    }

    /// UNIQUE constraints of tables on both sides.
    pub fn uniques(&self) -> &[Entry<'a, UniqueConstraint>] {
        &self.uniques
    }

    /// Indexes of tables and materialized views on both sides (an index
    /// of a view names the view as its table).
    pub fn indexes(&self) -> &[Entry<'a, Index>] {
        &self.indexes
    }

    /// Foreign keys of tables on both sides.
    pub fn foreign_keys(&self) -> &[Entry<'a, ForeignKey>] {
        &self.foreign_keys
    }

    /// CHECK constraints of tables on both sides.
    pub fn checks(&self) -> &[Entry<'a, Check>] {
        &self.checks
    }

    /// Exclusion constraints of tables on both sides (PostgreSQL).
    pub fn exclusions(&self) -> &[Entry<'a, Exclusion>] {
        &self.exclusions
    }

    /// Views.
    pub fn views(&self) -> &[Entry<'a, View>] {
        &self.views
    }

    /// Enumerated types.
    pub fn enums(&self) -> &[Entry<'a, Enum>] {
        &self.enums
    }

    /// Sequences.
    pub fn sequences(&self) -> &[Entry<'a, Sequence>] {
        &self.sequences
    }

    /// Objects compared by their definition (functions, triggers,
    /// policies, …), by kind, schema, table and name; those on orphan or
    /// quarantined tables left out.
    pub fn objects(&self) -> &[Entry<'a, DefinedObject>] {
        &self.objects
    }
}

fn part<'a, T>(schema: &'a str, table: &'a str, pairing: Pairing<'a, T>) -> Entry<'a, T> {
    Entry {
        schema,
        table: Some(table),
        pairing,
    }
}

fn push_entries<'a, T>(
    out: &mut Vec<Entry<'a, T>>,
    schema: &'a str,
    table: Option<&'a str>,
    pairings: impl IntoIterator<Item = Pairing<'a, T>>,
) {
    out.extend(pairings.into_iter().map(|pairing| Entry {
        schema,
        table,
        pairing,
    }));
}

fn index_quarantined(name: &str, i: &Index) -> bool {
    is_quarantined(name)
        || i.include.iter().any(|c| is_quarantined(c))
        || i.predicate
            .as_deref()
            .is_some_and(|p| p.contains(QUARANTINE_PREFIX))
        || i.parts.iter().any(|p| match &p.key {
            IndexKey::Column(c) => is_quarantined(c),
            IndexKey::Expression(e) => e.contains(QUARANTINE_PREFIX),
        })
}

fn sequence_quarantined(name: &str, s: &Sequence) -> bool {
    is_quarantined(name)
        || s.owned_by
            .as_ref()
            .is_some_and(|o| is_quarantined(&o.table) || is_quarantined(&o.column))
}

fn merge_objects<'a, T: 'a>(
    exp: Option<&'a Schema>,
    act: Option<&'a Schema>,
    get: impl Fn(&'a Schema) -> &'a BTreeMap<String, T>,
) -> Vec<Pairing<'a, T>> {
    let side = |s: Option<&'a Schema>| {
        s.map(&get)
            .into_iter()
            .flatten()
            .map(|(n, v)| (n.as_str(), v))
    };
    collect_merge(side(exp), side(act))
}

/// Merge-joins two name-sorted sequences.
fn merge_by_name<'a, T: 'a>(
    exp: impl Iterator<Item = (&'a str, &'a T)>,
    act: impl Iterator<Item = (&'a str, &'a T)>,
    mut emit: impl FnMut(Pairing<'a, T>),
) {
    let mut exp = exp.peekable();
    let mut act = act.peekable();
    loop {
        let order = match (exp.peek(), act.peek()) {
            (None, None) => break,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some((e, _)), Some((a, _))) => e.cmp(a),
        };
        match order {
            std::cmp::Ordering::Less => {
                if let Some((name, def)) = exp.next() {
                    emit(Pairing::Missing(Named { name, def }));
                }
            }
            std::cmp::Ordering::Greater => {
                if let Some((name, def)) = act.next() {
                    emit(Pairing::Orphan(Named { name, def }));
                }
            }
            std::cmp::Ordering::Equal => {
                if let (Some((en, ed)), Some((an, ad))) = (exp.next(), act.next()) {
                    emit(Pairing::Both {
                        expected: Named { name: en, def: ed },
                        actual: Named { name: an, def: ad },
                    });
                }
            }
        }
    }
}

fn collect_merge<'a, T: 'a>(
    exp: impl Iterator<Item = (&'a str, &'a T)>,
    act: impl Iterator<Item = (&'a str, &'a T)>,
) -> Vec<Pairing<'a, T>> {
    let mut out = Vec::new();
    merge_by_name(exp, act, |p| out.push(p));
    out
}

/// Pairs indexes or constraints by name; the rest is missing or orphan.
/// Objects `skip` accepts (quarantined) are left out.
fn pair_parts<'a, T>(
    exp: &'a BTreeMap<String, T>,
    act: &'a BTreeMap<String, T>,
    skip: impl Fn(&str, &T) -> bool,
    emit: impl FnMut(Pairing<'a, T>),
) {
    let side = |m: &'a BTreeMap<String, T>| {
        m.iter()
            .filter(|(n, v)| !skip(n, v))
            .map(|(n, v)| (n.as_str(), v))
    };
    merge_by_name(side(exp), side(act), emit);
}

// The pairing of objects compared by their definition ([`DefinedObject`]):
// by kind, schema (as the schema pairing maps it), table and name.

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
fn pair_defined<'a>(
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

#[cfg(test)]
mod tests {
    use super::*;
    use driftless_model::IndexPart;

    fn index(cols: &[&str]) -> Index {
        Index {
            parts: cols.iter().map(|c| IndexPart::column(*c)).collect(),
            unique: false,
            method: None,
            predicate: None,
            include: Vec::new(),
            comment: None,
            ignored: false,
            storage: Vec::new(),
            nulls_not_distinct: false,
        }
    }

    fn snap(dialect: Dialect, schema: &str, indexes: &[(&str, &[&str])]) -> Snapshot {
        let mut s = Snapshot::new(dialect);
        let mut t = Table::default();
        t.columns.insert("a".into(), Column::new(1, "int"));
        t.columns.insert("b".into(), Column::new(2, "int"));
        for (n, cols) in indexes {
            t.indexes.insert((*n).into(), index(cols));
        }
        s.schemas
            .entry(schema.into())
            .or_default()
            .tables
            .insert("t".into(), t);
        s
    }

    fn pairs(d: &SchemaDiff<'_>) -> Vec<String> {
        d.indexes()
            .iter()
            .map(|x| match (x.both(), x.missing(), x.orphan()) {
                (Some((e, a)), _, _) => format!("{} = {}", e.name, a.name),
                (_, Some(e), _) => format!("missing {}", e.name),
                (_, _, Some(a)) => format!("orphan {}", a.name),
                _ => String::new(),
            })
            .collect()
    }

    /// An index expected under another name is missing and orphan (the
    /// `possible-rename` rule pairs them), not taken silently for the
    /// other: migrations address indexes by name.
    #[test]
    fn indexes_of_other_names_are_missing_and_orphan() {
        let e = snap(
            Dialect::Postgres,
            "public",
            &[("idx_a", &["a"]), ("idx_b", &["b"])],
        );
        let a = snap(
            Dialect::Postgres,
            "public",
            &[("idx_c", &["a"]), ("idx_d", &["b"])],
        );
        assert_eq!(
            pairs(&SchemaDiff::new(&e, &a)),
            [
                "missing idx_a",
                "missing idx_b",
                "orphan idx_c",
                "orphan idx_d"
            ]
        );
    }

    /// Convergence property failure: actual `t4_ix0 (c1)` was taken for
    /// expected `t4_ix1 (c1)` although expected `t4_ix0 (c2)` claims its
    /// name; the fix dropped it to create `t4_ix0`, and `t4_ix1` was never
    /// made. A name that stands on the other side is never paired away.
    #[test]
    fn regression_pairing_by_definition_never_takes_a_claimed_name() {
        let e = snap(
            Dialect::Postgres,
            "public",
            &[("t4_ix0", &["b"]), ("t4_ix1", &["a"])],
        );
        let a = snap(Dialect::Postgres, "public", &[("t4_ix0", &["a"])]);
        assert_eq!(
            pairs(&SchemaDiff::new(&e, &a)),
            ["t4_ix0 = t4_ix0", "missing t4_ix1"]
        );
        // Swapped names: each pairs with its namesake (to be replaced).
        let e = snap(
            Dialect::Postgres,
            "public",
            &[("idx_a", &["a"]), ("idx_b", &["b"])],
        );
        let a = snap(
            Dialect::Postgres,
            "public",
            &[("idx_a", &["b"]), ("idx_b", &["a"])],
        );
        assert_eq!(
            pairs(&SchemaDiff::new(&e, &a)),
            ["idx_a = idx_a", "idx_b = idx_b"]
        );
    }

    #[test]
    fn mysql_databases_of_different_names_pair() {
        let e = snap(Dialect::Mysql, "staging", &[]);
        let a = snap(Dialect::Mysql, "prod", &[]);
        let d = SchemaDiff::new(&e, &a);
        assert_eq!(d.schemas().len(), 1);
        assert!(d.schemas()[0].both().is_some());
        assert_eq!(d.tables()[0].schema, "prod");
        assert_eq!(d.actual_schema_name("staging"), "prod");
        assert_eq!(d.expected_schema_name("prod"), "staging");
        // Not on PostgreSQL.
        let e = snap(Dialect::Postgres, "staging", &[]);
        let a = snap(Dialect::Postgres, "prod", &[]);
        assert_eq!(SchemaDiff::new(&e, &a).schemas().len(), 2);
    }

    #[test]
    fn entry_paths() {
        let e = snap(Dialect::Postgres, "public", &[("idx_a", &["a"])]);
        let d = SchemaDiff::new(&e, &e);
        assert_eq!(d.schemas()[0].object(ObjectKind::Schema).path(), "public");
        assert_eq!(d.tables()[0].object(ObjectKind::Table).path(), "public.t");
        assert_eq!(
            d.indexes()[0].object(ObjectKind::Index).path(),
            "public.t.idx_a"
        );
        assert_eq!(
            d.columns()[0].object(ObjectKind::Column).path(),
            "public.t.a"
        );
    }
}
