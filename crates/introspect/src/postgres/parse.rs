//! Catalog rows → [`Snapshot`]: pure, no database needed.

use std::collections::BTreeMap;

// The assembly's maps are keyed by catalog oids: hashed with foldhash, not
// the standard library's SipHash (a sixth of the assembly's time on a
// 5,000-table catalog), since nothing a user controls picks the keys.
use foldhash::{HashMap, HashMapExt};

use super::managed::Managed;
use super::rows::{
    ColumnRow, CommentRow, ConstraintRow, EnumLabelRow, IndexRow, LookupRow, NamespaceRow,
    RelationRow, SequenceRow, UnmodeledRow,
};
use super::viewdef::{single_entry_name, unqualified};
use crate::error::{Error, Result};
use crate::IntrospectOptions;
use driftless_model::{
    CatalogKind, CatalogObject, Check, Column, Dialect, Enum, Exclusion, FkAction, ForeignKey,
    Generated, Identity, IdentityOptions, Index, IndexKey, IndexPart, PrimaryKey, Schema, Sequence,
    SequenceOwner, Snapshot, Table, UniqueConstraint, View, INHERITS, PARTITION_BOUND,
    PARTITION_BY, PARTITION_OF, PERSISTENCE, STORAGE, UNLOGGED,
};

/// The default collation (`pg_collation` oid of `"default"`).
const DEFAULT_COLLATION: u32 = 100;

/// Everything the catalog queries returned.
#[derive(Debug, Default)]
pub(crate) struct Catalog {
    pub(crate) namespaces: Vec<NamespaceRow>,
    pub(crate) relations: Vec<RelationRow>,
    pub(crate) columns: Vec<ColumnRow>,
    pub(crate) constraints: Vec<ConstraintRow>,
    pub(crate) indexes: Vec<IndexRow>,
    pub(crate) enums: Vec<EnumLabelRow>,
    pub(crate) sequences: Vec<SequenceRow>,
    pub(crate) comments: Vec<CommentRow>,
    pub(crate) lookups: Vec<LookupRow>,
    pub(crate) unmodeled: Vec<UnmodeledRow>,
    pub(crate) privileges: Vec<UnmodeledRow>,
}

/// The namespaces to read: not owned by an extension, and wanted by
/// `options` (an explicit list, or every non-system schema). Sorted by oid.
pub(crate) fn wanted_namespaces<'a>(
    namespaces: &'a [NamespaceRow],
    options: &IntrospectOptions,
) -> Vec<&'a NamespaceRow> {
    let mut wanted: Vec<&NamespaceRow> = namespaces
        .iter()
        .filter(|n| !n.extension_owned && options.wants_schema(&n.name))
        .collect();
    wanted.sort_by_key(|n| n.oid);
    wanted
}

/// A column of a table that was read, by `(table oid, attnum)`.
struct ColumnKey {
    name: String,
    collation: u32,
}

/// Names looked up by oid: collations, operator classes, and each type's
/// default collation.
#[derive(Default)]
struct Lookups {
    collation_names: HashMap<u32, String>,
    opclass_names: HashMap<u32, String>,
    type_collations: HashMap<u32, u32>,
}

impl Lookups {
    fn from_rows(rows: Vec<LookupRow>) -> Result<Self> {
        let mut lookups = Lookups::default();
        for l in rows {
            match (l.kind.as_str(), l.name) {
                ("c", Some(name)) => {
                    lookups.collation_names.insert(l.oid, name);
                }
                ("o", Some(name)) => {
                    lookups.opclass_names.insert(l.oid, name);
                }
                ("t", _) => {
                    let collation = u32::try_from(l.number).map_err(|_| Error::Catalog {
                        object: format!("type {}", l.oid),
                        message: format!("collation oid {} out of range", l.number),
                    })?;
                    lookups.type_collations.insert(l.oid, collation);
                }
                _ => {}
            }
        }
        Ok(lookups)
    }

    fn collation_name(&self, oid: u32, object: &dyn Fn() -> String) -> Result<String> {
        self.collation_names
            .get(&oid)
            .cloned()
            .ok_or_else(|| Error::Catalog {
                object: object(),
                message: format!("unknown collation oid {oid}"),
            })
    }
}

/// The snapshot being built, with the maps the phases share.
struct Assembly<'o> {
    snap: Snapshot,
    options: &'o IntrospectOptions,
    /// Namespace oid → schema name, for the schemas in the snapshot.
    schema_names: HashMap<u32, String>,
    /// The oid of every table that is in the snapshot → its (schema, name).
    tables: HashMap<u32, (String, String)>,
    /// The oid of every materialized view in the snapshot → its (schema, name).
    matviews: HashMap<u32, (String, String)>,
    /// Every column read (also of tables left out of the snapshot, such as
    /// ledger tables, which foreign keys may reference).
    column_keys: HashMap<(u32, i16), ColumnKey>,
    /// Comments on relations (`sub` 0) and their columns, by `(oid, sub)`.
    relation_comments: HashMap<(u32, i32), String>,
    /// Comments on types, by oid.
    type_comments: HashMap<u32, String>,
    /// Comments on constraints, by oid.
    constraint_comments: HashMap<u32, String>,
    lookups: Lookups,
}

/// Builds the snapshot from the catalog rows.
pub(crate) fn assemble(catalog: Catalog, options: &IntrospectOptions) -> Result<Snapshot> {
    let Catalog {
        namespaces,
        relations,
        columns,
        constraints,
        indexes,
        enums,
        sequences,
        comments,
        lookups,
        mut unmodeled,
        privileges,
    } = catalog;
    let mut assembly = Assembly {
        snap: Snapshot::new(Dialect::Postgres),
        options,
        schema_names: HashMap::new(),
        tables: HashMap::new(),
        matviews: HashMap::new(),
        column_keys: HashMap::with_capacity(columns.len()),
        relation_comments: HashMap::new(),
        type_comments: HashMap::new(),
        constraint_comments: HashMap::new(),
        lookups: Lookups::default(),
    };
    assembly.add_schemas(&namespaces);
    assembly.sort_comments(comments);
    assembly.lookups = Lookups::from_rows(lookups)?;
    assembly.add_relations(relations);
    assembly.add_columns(columns)?;
    assembly.add_constraints(constraints)?;
    assembly.add_indexes(indexes)?;
    assembly.add_enums(enums);
    assembly.add_sequences(sequences);
    let managed = Managed::take(&mut unmodeled, &assembly.schema_names);
    unmodeled.extend(assembly.take_roles(privileges));
    assembly.add_unmodeled(unmodeled);
    managed.set_aside(&mut assembly.snap);
    // What the opt-ins leave out of a read (an extension's version) is
    // left out where it is left out of a snapshot file: one place.
    assembly.snap.keep_opted_in(assembly.options.opt_in);
    Ok(assembly.snap)
}

impl Assembly<'_> {
    /// The role names among the privilege rows, kept when privileges are
    /// compared; the other rows.
    fn take_roles(&mut self, rows: Vec<UnmodeledRow>) -> Vec<UnmodeledRow> {
        let (roles, rest): (Vec<UnmodeledRow>, Vec<UnmodeledRow>) =
            rows.into_iter().partition(|r| r.kind == "role");
        if self.options.opt_in.privileges {
            self.snap.roles = roles.into_iter().map(|r| r.name).collect();
            self.snap.roles.sort();
        }
        rest
    }

    /// The objects beyond tables, views, enums and sequences, in the
    /// wanted schemas; the database-wide ones when every schema is read.
    /// Those of a compared kind with a definition are compared objects
    /// (those of an opt-in kind only when asked for); the others (and
    /// those an extension owns) are listed as not compared.
    fn add_unmodeled(&mut self, rows: Vec<UnmodeledRow>) {
        let d = Dialect::Postgres;
        let opt_in = self.options.opt_in;
        let compared = |k: CatalogKind| {
            CatalogKind::compared(d).contains(&k)
                || CatalogKind::opt_in(d).contains(&k) && opt_in.compares(k)
        };
        let listed = |k: CatalogKind| {
            CatalogKind::not_compared(d).contains(&k) || CatalogKind::opt_in(d).contains(&k)
        };
        for row in rows {
            let Some(kind) = CatalogKind::parse(&row.kind) else {
                continue;
            };
            let schema = if row.namespace == 0 {
                if !self.options.schemas.is_empty() {
                    continue;
                }
                None
            } else {
                match self.schema_names.get(&row.namespace) {
                    Some(name) => Some(name.as_str()),
                    None => continue,
                }
            };
            if compared(kind) && row.extension.is_none() {
                // An extension is read with the schema it is installed in,
                // but is one per database: that schema is in its definition.
                let schema = schema.filter(|_| kind != CatalogKind::Extension);
                if let Some(o) = super::defined::defined_object(kind, schema, row) {
                    self.snap.objects.push(o);
                }
                continue;
            }
            if !listed(kind) && row.extension.is_none() {
                continue;
            }
            let mut object = CatalogObject::new(kind, schema, row.name);
            object.table = row.table;
            object.extension = row.extension;
            object.parent = row.parent;
            self.snap.unmodeled.push(object);
        }
        self.snap.unmodeled.sort();
        self.snap.objects.sort();
    }

    fn add_schemas(&mut self, namespaces: &[NamespaceRow]) {
        for ns in wanted_namespaces(namespaces, self.options) {
            self.schema_names.insert(ns.oid, ns.name.clone());
            self.snap.schemas.insert(
                ns.name.clone(),
                Schema {
                    comment: ns.comment.clone(),
                    ..Schema::default()
                },
            );
        }
    }

    fn sort_comments(&mut self, comments: Vec<CommentRow>) {
        for c in comments {
            if c.on_constraint {
                self.constraint_comments.insert(c.object, c.text);
            } else if c.on_type {
                if c.sub == 0 {
                    self.type_comments.insert(c.object, c.text);
                }
            } else {
                self.relation_comments.insert((c.object, c.sub), c.text);
            }
        }
    }

    /// The schema in the snapshot of namespace `oid`, if it was read.
    fn schema_mut(&mut self, namespace: u32) -> Option<&mut Schema> {
        self.schema_names
            .get(&namespace)
            .and_then(|s| self.snap.schemas.get_mut(s))
    }

    /// Tables and views.
    fn add_relations(&mut self, relations: Vec<RelationRow>) {
        for rel in relations {
            let Some(schema_name) = self.schema_names.get(&rel.namespace) else {
                continue;
            };
            let Some(schema) = self.snap.schemas.get_mut(schema_name) else {
                continue;
            };
            let comment = self.relation_comments.remove(&(rel.oid, 0));
            match rel.kind {
                b'r' | b'p' => {
                    if !self.options.wants_table(&rel.name) {
                        continue;
                    }
                    schema.tables.insert(
                        rel.name.clone(),
                        Table {
                            comment,
                            options: table_options(&rel),
                            ..Table::default()
                        },
                    );
                    self.tables.insert(rel.oid, (schema_name.clone(), rel.name));
                }
                b'v' | b'm' => {
                    let mut definition = rel.view_definition.unwrap_or_default();
                    if let Some(name) = rel.view_rule.as_deref().and_then(single_entry_name) {
                        definition = unqualified(&definition, &name);
                    }
                    let definition = definition.trim().to_string();
                    if rel.kind == b'm' {
                        self.matviews
                            .insert(rel.oid, (schema_name.clone(), rel.name.clone()));
                    }
                    schema.views.insert(
                        rel.name,
                        View {
                            indexes: Default::default(),
                            definition,
                            materialized: rel.kind == b'm',
                            comment,
                            options: view_options(rel.options.unwrap_or_default()),
                        },
                    );
                }
                _ => {}
            }
        }
    }

    /// Columns: every column read names a key; those of tables in the
    /// snapshot become its columns, numbered in attnum order.
    fn add_columns(&mut self, columns: Vec<ColumnRow>) -> Result<()> {
        let mut table_columns: HashMap<u32, Vec<ColumnRow>> = HashMap::new();
        for col in columns {
            self.column_keys.insert(
                (col.table, col.attnum),
                ColumnKey {
                    name: col.name.clone(),
                    collation: col.collation,
                },
            );
            if self.tables.contains_key(&col.table) {
                table_columns.entry(col.table).or_default().push(col);
            }
        }
        for (oid, mut cols) in table_columns {
            cols.sort_by_key(|c| c.attnum);
            let mut built = Vec::with_capacity(cols.len());
            for (i, col) in cols.into_iter().enumerate() {
                let position = u32::try_from(i + 1).unwrap_or(u32::MAX);
                built.push(self.column(oid, position, col)?);
            }
            table_mut(&mut self.snap, &self.tables, oid)?
                .columns
                .extend(built);
        }
        Ok(())
    }

    /// One column of table `oid`, with its name.
    fn column(&mut self, oid: u32, position: u32, col: ColumnRow) -> Result<(String, Column)> {
        let object = || format!("column {}.{}", describe(&self.tables, oid), col.name);
        let identity = match col.identity {
            0 => None,
            b'a' => Some(Identity::Always),
            b'd' => Some(Identity::ByDefault),
            other => {
                return Err(Error::Catalog {
                    object: object(),
                    message: format!("unknown attidentity `{}`", char::from(other)),
                })
            }
        };
        let (default, generated) = match col.generated {
            0 => (col.default, None),
            b's' | b'v' => (
                None,
                Some(Generated {
                    expression: col.default.unwrap_or_default(),
                    stored: col.generated == b's',
                }),
            ),
            other => {
                return Err(Error::Catalog {
                    object: object(),
                    message: format!("unknown attgenerated `{}`", char::from(other)),
                })
            }
        };
        let type_collation = self
            .lookups
            .type_collations
            .get(&col.type_oid)
            .copied()
            .unwrap_or(0);
        let collation = if col.collation != 0 && col.collation != type_collation {
            Some(self.lookups.collation_name(col.collation, &object)?)
        } else {
            None
        };
        let column = Column {
            inherited: col.inherited,
            position,
            data_type: col.data_type,
            nullable: !col.not_null,
            default,
            identity,
            identity_options: None,
            generated,
            on_update: None,
            collation,
            comment: self.relation_comments.remove(&(oid, i32::from(col.attnum))),
            invisible: false,
        };
        Ok((col.name, column))
    }

    /// The names of columns `attnums` of relation `table`.
    fn key_names(
        &self,
        table: u32,
        attnums: &[i16],
        object: &dyn Fn() -> String,
    ) -> Result<Vec<String>> {
        attnums
            .iter()
            .map(|&attnum| {
                self.column_keys
                    .get(&(table, attnum))
                    .map(|k| k.name.clone())
                    .ok_or_else(|| Error::Catalog {
                        object: object(),
                        message: format!("no column with attnum {attnum} in relation {table}"),
                    })
            })
            .collect()
    }

    /// Primary keys, unique constraints, foreign keys and checks.
    fn add_constraints(&mut self, constraints: Vec<ConstraintRow>) -> Result<()> {
        for con in constraints {
            if !self.tables.contains_key(&con.table) {
                continue;
            }
            let object = || {
                format!(
                    "constraint {} on {}",
                    con.name,
                    describe(&self.tables, con.table)
                )
            };
            // An exclusion constraint is compared by its definition; its
            // keys may be expressions (attnum 0), which name no column.
            let columns = match con.kind {
                b'x' => Vec::new(),
                _ => self.key_names(con.table, &con.columns, &object)?,
            };
            let comment = self.constraint_comments.remove(&con.oid);
            if con.kind == b'f' {
                let mut fk = self.foreign_key(&con, columns, &object)?;
                fk.comment = comment;
                let table = table_mut(&mut self.snap, &self.tables, con.table)?;
                table.foreign_keys.insert(con.name, fk);
                continue;
            }
            let table = table_mut(&mut self.snap, &self.tables, con.table)?;
            match con.kind {
                b'p' => {
                    table.primary_key = Some(PrimaryKey {
                        name: con.name,
                        columns,
                        deferrable: con.deferrable,
                        initially_deferred: con.deferred,
                        comment,
                    });
                }
                b'u' => {
                    table.uniques.insert(
                        con.name,
                        UniqueConstraint {
                            columns,
                            nulls_not_distinct: con.nulls_not_distinct,
                            deferrable: con.deferrable,
                            initially_deferred: con.deferred,
                            comment,
                        },
                    );
                }
                b'x' => {
                    let definition = con.check.unwrap_or_default();
                    let exclusion = Exclusion {
                        definition,
                        comment,
                    };
                    table.exclusions.insert(con.name, exclusion);
                }
                b'c' => {
                    let expression = con.check.unwrap_or_default();
                    let check = Check {
                        expression,
                        comment,
                        no_inherit: con.no_inherit,
                    };
                    table.checks.insert(con.name, check);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The foreign key of constraint row `con`, over `columns`.
    fn foreign_key(
        &self,
        con: &ConstraintRow,
        columns: Vec<String>,
        object: &dyn Fn() -> String,
    ) -> Result<ForeignKey> {
        let ref_columns = match &con.ref_column_names {
            Some(names) => names.clone(),
            None => self.key_names(con.ref_table, &con.ref_columns, object)?,
        };
        let (Some(ref_schema), Some(ref_table)) = (&con.ref_schema, &con.ref_table_name) else {
            return Err(Error::Catalog {
                object: object(),
                message: format!("referenced relation {} not found", con.ref_table),
            });
        };
        Ok(ForeignKey {
            columns,
            ref_schema: ref_schema.clone(),
            ref_table: ref_table.clone(),
            ref_columns,
            on_delete: fk_action(con.on_delete, object)?,
            on_update: fk_action(con.on_update, object)?,
            deferrable: con.deferrable,
            initially_deferred: con.deferred,
            comment: None,
            match_full: con.match_full,
        })
    }

    /// Indexes of tables and of materialized views.
    fn add_indexes(&mut self, indexes: Vec<IndexRow>) -> Result<()> {
        for idx in indexes {
            let on_view = self.matviews.get(&idx.table).cloned();
            if !self.tables.contains_key(&idx.table) && on_view.is_none() {
                continue;
            }
            let object = || {
                let on = match &on_view {
                    Some((s, v)) => format!("{s}.{v}"),
                    None => describe(&self.tables, idx.table),
                };
                format!("index {} on {on}", idx.name)
            };
            let key_count = usize::try_from(idx.key_count)
                .unwrap_or(0)
                .min(idx.keys.len());
            let parts = (0..key_count)
                .map(|k| self.index_part(&idx, k, &object))
                .collect::<Result<Vec<IndexPart>>>()?;
            let include = self.key_names(idx.table, &idx.keys[key_count..], &object)?;
            let index = Index {
                parts,
                unique: idx.unique,
                method: (idx.method != "btree").then_some(idx.method),
                predicate: idx.predicate,
                include,
                ignored: false,
                comment: self.relation_comments.remove(&(idx.oid, 0)),
                storage: idx.storage.unwrap_or_default(),
                nulls_not_distinct: idx.nulls_not_distinct,
            };
            if let Some((schema, view)) = &on_view {
                if let Some(v) = self
                    .snap
                    .schemas
                    .get_mut(schema)
                    .and_then(|s| s.views.get_mut(view))
                {
                    v.indexes.insert(idx.name, index);
                }
                continue;
            }
            let table = table_mut(&mut self.snap, &self.tables, idx.table)?;
            table.indexes.insert(idx.name, index);
        }
        Ok(())
    }

    /// Key column `k` of index row `idx`.
    fn index_part(
        &self,
        idx: &IndexRow,
        k: usize,
        object: &dyn Fn() -> String,
    ) -> Result<IndexPart> {
        let attnum = idx.keys[k];
        let (key, column_collation) = if attnum == 0 {
            let expression = idx
                .expressions
                .as_ref()
                .and_then(|e| e.get(k).cloned().flatten())
                .ok_or_else(|| Error::Catalog {
                    object: object(),
                    message: format!("key column {} has no expression", k + 1),
                })?;
            (IndexKey::Expression(expression), DEFAULT_COLLATION)
        } else {
            let column =
                self.column_keys
                    .get(&(idx.table, attnum))
                    .ok_or_else(|| Error::Catalog {
                        object: object(),
                        message: format!("no column with attnum {attnum}"),
                    })?;
            (IndexKey::Column(column.name.clone()), column.collation)
        };
        let option = idx.options.get(k).copied().unwrap_or(0);
        let descending = option & 1 != 0;
        let nulls_first = option & 2 != 0;
        // A column key reports its collation when it is not the
        // column's; an expression key when it is not the database
        // default (the catalog does not keep the expression's own
        // collation, so `lower(c)` over a "C" column reports "C").
        let collation = match idx.collations.get(k).copied().unwrap_or(0) {
            0 => None,
            c if c == column_collation => None,
            c => Some(self.lookups.collation_name(c, object)?),
        };
        Ok(IndexPart {
            key,
            descending,
            // The default is NULLS LAST ascending, NULLS FIRST descending.
            nulls_first: (nulls_first != descending).then_some(nulls_first),
            opclass: idx
                .opclasses
                .get(k)
                .and_then(|oid| self.lookups.opclass_names.get(oid))
                .cloned(),
            collation,
            length: None,
        })
    }

    fn add_enums(&mut self, enums: Vec<EnumLabelRow>) {
        /// An enum being gathered from its label rows.
        struct EnumDraft {
            namespace: u32,
            name: String,
            labels: Vec<(f32, String)>,
        }
        let mut drafts: HashMap<u32, EnumDraft> = HashMap::new();
        for e in enums {
            drafts
                .entry(e.oid)
                .or_insert_with(|| EnumDraft {
                    namespace: e.namespace,
                    name: e.name,
                    labels: Vec::new(),
                })
                .labels
                .push((e.sort_order, e.label));
        }
        for (oid, draft) in drafts {
            let EnumDraft {
                namespace,
                name,
                mut labels,
            } = draft;
            let comment = self.type_comments.remove(&oid);
            let Some(schema) = self.schema_mut(namespace) else {
                continue;
            };
            labels.sort_by(|a, b| a.0.total_cmp(&b.0));
            schema.enums.insert(
                name,
                Enum {
                    labels: labels.into_iter().map(|(_, l)| l).collect(),
                    comment,
                },
            );
        }
    }

    fn add_sequences(&mut self, sequences: Vec<SequenceRow>) {
        for seq in sequences {
            if seq.identity {
                self.add_identity_options(seq);
                continue;
            }
            let owned_by = match (seq.owner_table, seq.owner_column) {
                (Some(table), Some(column)) => {
                    // A sequence belonging to a table left out (a ledger table)
                    // is left out with it.
                    if !self.options.wants_table(&table) {
                        continue;
                    }
                    Some(SequenceOwner { table, column })
                }
                _ => None,
            };
            let comment = self.relation_comments.remove(&(seq.oid, 0));
            let Some(schema) = self.schema_mut(seq.namespace) else {
                continue;
            };
            schema.sequences.insert(
                seq.name,
                Sequence {
                    data_type: seq.data_type,
                    start: seq.start,
                    increment: seq.increment,
                    min_value: seq.min_value,
                    max_value: seq.max_value,
                    cache: seq.cache,
                    cycle: seq.cycle,
                    owned_by,
                    comment,
                },
            );
        }
    }

    /// The options of an identity column's sequence, on its column when
    /// they are not the defaults.
    fn add_identity_options(&mut self, seq: SequenceRow) {
        let (Some(table), Some(column)) = (seq.owner_table, seq.owner_column) else {
            return;
        };
        let options = IdentityOptions {
            start: seq.start,
            increment: seq.increment,
            min_value: seq.min_value,
            max_value: seq.max_value,
            cache: seq.cache,
            cycle: seq.cycle,
        };
        let column = self
            .schema_mut(seq.namespace)
            .and_then(|s| s.tables.get_mut(&table))
            .and_then(|t| t.columns.get_mut(&column));
        if let Some(column) = column {
            column.identity_options = options.unless_default(&seq.data_type);
        }
    }
}

/// The options of table `rel`: its place in a partitioning or inheritance
/// hierarchy ([`PARTITION_BY`], [`PARTITION_OF`] with [`PARTITION_BOUND`],
/// or [`INHERITS`]), its [`PERSISTENCE`] when it is unlogged, and its
/// [`STORAGE`] parameters.
fn table_options(rel: &RelationRow) -> BTreeMap<String, String> {
    let mut options = BTreeMap::new();
    if rel.unlogged {
        options.insert(PERSISTENCE.to_string(), UNLOGGED.to_string());
    }
    if let Some(storage) = rel.options.as_ref().filter(|o| !o.is_empty()) {
        let mut storage = storage.clone();
        storage.sort();
        options.insert(STORAGE.to_string(), storage.join(", "));
    }
    if let Some(key) = &rel.partition_by {
        options.insert(PARTITION_BY.to_string(), key.clone());
    }
    match (&rel.partition_bound, &rel.parents) {
        (Some(bound), Some(parent)) => {
            options.insert(PARTITION_OF.to_string(), parent.clone());
            options.insert(PARTITION_BOUND.to_string(), bound.clone());
        }
        (None, Some(parents)) => {
            options.insert(INHERITS.to_string(), parents.clone());
        }
        _ => {}
    }
    options
}

/// A view's options from its `reloptions` (`check_option=local`,
/// `security_barrier=on`; a materialized view's storage parameters): names
/// lower-cased, and the security switches spelt `true`, or left out when
/// off (what a plain view does).
fn view_options(reloptions: Vec<String>) -> BTreeMap<String, String> {
    reloptions
        .into_iter()
        .filter_map(|option| {
            let (name, value) = option.split_once('=').unwrap_or((&option, "true"));
            let name = name.to_ascii_lowercase();
            if !matches!(name.as_str(), "security_barrier" | "security_invoker") {
                return Some((name, value.to_string()));
            }
            match value.to_ascii_lowercase().as_str() {
                "on" | "yes" | "1" | "true" => Some((name, "true".to_string())),
                _ => None,
            }
        })
        .collect()
}

fn describe(tables: &HashMap<u32, (String, String)>, oid: u32) -> String {
    match tables.get(&oid) {
        Some((schema, name)) => format!("{schema}.{name}"),
        None => format!("relation {oid}"),
    }
}

fn table_mut<'a>(
    snap: &'a mut Snapshot,
    tables: &HashMap<u32, (String, String)>,
    oid: u32,
) -> Result<&'a mut Table> {
    tables
        .get(&oid)
        .and_then(|(schema, name)| snap.schemas.get_mut(schema)?.tables.get_mut(name))
        .ok_or_else(|| Error::Catalog {
            object: format!("relation {oid}"),
            message: "table vanished while assembling the snapshot".into(),
        })
}

fn fk_action(code: u8, object: &dyn Fn() -> String) -> Result<FkAction> {
    Ok(match code {
        b'a' => FkAction::NoAction,
        b'r' => FkAction::Restrict,
        b'c' => FkAction::Cascade,
        b'n' => FkAction::SetNull,
        b'd' => FkAction::SetDefault,
        other => {
            return Err(Error::Catalog {
                object: object(),
                message: format!("unknown referential action `{}`", char::from(other)),
            })
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ns(oid: u32, name: &str) -> NamespaceRow {
        NamespaceRow {
            oid,
            name: name.into(),
            comment: None,
            extension_owned: false,
        }
    }

    fn rel(oid: u32, namespace: u32, name: &str, kind: u8) -> RelationRow {
        RelationRow {
            oid,
            namespace,
            name: name.into(),
            kind,
            view_definition: (kind == b'v').then(|| " SELECT 1;".to_string()),
            view_rule: None,
            partition_by: None,
            partition_bound: None,
            parents: None,
            unlogged: false,
            options: None,
        }
    }

    fn column(table: u32, attnum: i16, name: &str) -> ColumnRow {
        ColumnRow {
            table,
            attnum,
            name: name.into(),
            data_type: "text".into(),
            type_oid: 25,
            not_null: false,
            default: None,
            identity: 0,
            generated: 0,
            collation: DEFAULT_COLLATION,
            inherited: false,
        }
    }

    fn constraint(table: u32, name: &str, kind: u8, columns: Vec<i16>) -> ConstraintRow {
        ConstraintRow {
            table,
            name: name.into(),
            kind,
            columns,
            ref_table: 0,
            ref_columns: Vec::new(),
            ref_schema: None,
            ref_table_name: None,
            ref_column_names: None,
            on_update: b'a',
            on_delete: b'a',
            deferrable: false,
            deferred: false,
            check: None,
            nulls_not_distinct: false,
            oid: 0,
            no_inherit: false,
            match_full: false,
        }
    }

    fn lookup(kind: &str, oid: u32, number: i64, name: Option<&str>) -> LookupRow {
        LookupRow {
            kind: kind.into(),
            oid,
            number,
            name: name.map(str::to_string),
        }
    }

    /// Schema `app` (oid 1) with table `t` (10): columns a (1), b (3, after
    /// a dropped column), c (4); the `django_migrations` ledger table (11)
    /// and a view (12); `pg_catalog` (11) must be left out.
    fn catalog() -> Catalog {
        Catalog {
            namespaces: vec![ns(1, "app"), ns(11, "pg_catalog")],
            relations: vec![
                rel(10, 1, "t", b'r'),
                rel(11, 1, "django_migrations", b'r'),
                rel(12, 1, "v", b'v'),
                rel(13, 11, "pg_class", b'r'),
            ],
            columns: vec![
                column(10, 4, "c"),
                column(10, 1, "a"),
                column(10, 3, "b"),
                column(11, 1, "id"),
                column(13, 1, "oid"),
            ],
            lookups: vec![
                lookup("c", DEFAULT_COLLATION, 0, Some("default")),
                lookup("c", 950, 0, Some("C")),
                lookup("o", 4000, 0, Some("text_pattern_ops")),
                lookup("t", 25, i64::from(DEFAULT_COLLATION), None),
            ],
            ..Catalog::default()
        }
    }

    fn assemble_default(catalog: Catalog) -> Snapshot {
        assemble(catalog, &IntrospectOptions::default()).unwrap()
    }

    #[test]
    fn wanted_namespaces_skip_system_and_extension_schemas() {
        let mut rows = vec![ns(3, "b"), ns(11, "pg_catalog"), ns(2, "a"), ns(4, "ext")];
        rows[3].extension_owned = true;
        let names: Vec<&str> = wanted_namespaces(&rows, &IntrospectOptions::default())
            .iter()
            .map(|n| n.name.as_str())
            .collect();
        assert_eq!(names, ["a", "b"]);
        let only_b = IntrospectOptions::default().with_schemas(["b"]);
        assert_eq!(wanted_namespaces(&rows, &only_b).len(), 1);
    }

    #[test]
    fn positions_are_dense_and_ledger_tables_left_out() {
        let snap = assemble_default(catalog());
        assert_eq!(snap.schemas.keys().collect::<Vec<_>>(), ["app"]);
        let t = snap.table("app", "t").unwrap();
        assert_eq!(t.column_order(), ["a", "b", "c"]);
        assert_eq!(t.columns["c"].position, 3);
        assert!(snap.table("app", "django_migrations").is_none());
        assert_eq!(snap.schemas["app"].views["v"].definition, "SELECT 1;");

        let with_ledger = IntrospectOptions {
            include_ledger_tables: true,
            ..IntrospectOptions::default()
        };
        let snap = assemble(catalog(), &with_ledger).unwrap();
        assert!(snap.table("app", "django_migrations").is_some());
    }

    #[test]
    fn identity_generated_and_collation() {
        let mut cat = catalog();
        cat.columns[1].identity = b'a';
        cat.columns[2].generated = b's';
        cat.columns[2].default = Some("lower(a)".into());
        cat.columns[0].collation = 950;
        cat.comments = vec![CommentRow {
            on_type: false,
            object: 10,
            sub: 4,
            text: "see".into(),
            on_constraint: false,
        }];
        let snap = assemble_default(cat);
        let t = snap.table("app", "t").unwrap();
        assert_eq!(t.columns["a"].identity, Some(Identity::Always));
        assert_eq!(
            t.columns["b"].generated,
            Some(Generated {
                expression: "lower(a)".into(),
                stored: true
            })
        );
        assert_eq!(t.columns["b"].default, None);
        assert_eq!(t.columns["c"].collation.as_deref(), Some("C"));
        assert_eq!(t.columns["a"].collation, None);
        assert_eq!(t.columns["c"].comment.as_deref(), Some("see"));

        let mut bad = catalog();
        bad.columns[0].identity = b'x';
        assert!(matches!(
            assemble(bad, &IntrospectOptions::default()),
            Err(Error::Catalog { .. })
        ));
    }

    #[test]
    fn an_exclusion_over_an_expression_names_no_column() {
        let mut cat = catalog();
        let mut ex = constraint(10, "t_ex", b'x', vec![0]);
        ex.check = Some("EXCLUDE USING btree (lower(a) WITH =)".into());
        cat.constraints = vec![ex];
        let snap = assemble_default(cat);
        let t = snap.table("app", "t").unwrap();
        assert_eq!(
            t.exclusions["t_ex"].definition,
            "EXCLUDE USING btree (lower(a) WITH =)"
        );
    }

    #[test]
    fn constraints_map_attribute_numbers_to_names() {
        let mut cat = catalog();
        let mut fk = constraint(10, "t_fk", b'f', vec![3, 4]);
        fk.ref_table = 11;
        fk.ref_columns = vec![1, 1];
        fk.ref_schema = Some("app".into());
        fk.ref_table_name = Some("django_migrations".into());
        fk.on_delete = b'c';
        fk.on_update = b'n';
        fk.deferrable = true;
        let mut outside = constraint(10, "t_outside_fk", b'f', vec![1]);
        outside.ref_table = 99;
        outside.ref_columns = vec![7];
        outside.ref_schema = Some("other".into());
        outside.ref_table_name = Some("x".into());
        outside.ref_column_names = Some(vec!["x_id".into()]);
        let mut chk = constraint(10, "t_check", b'c', vec![1]);
        chk.check = Some("(a <> ''::text)".into());
        let mut uq = constraint(10, "t_b_c_key", b'u', vec![3, 4]);
        uq.nulls_not_distinct = true;
        cat.constraints = vec![
            constraint(10, "t_pkey", b'p', vec![1]),
            fk,
            outside,
            chk,
            uq,
        ];
        let snap = assemble_default(cat);
        let t = snap.table("app", "t").unwrap();
        assert_eq!(
            t.primary_key,
            Some(PrimaryKey {
                deferrable: false,
                initially_deferred: false,
                name: "t_pkey".into(),
                columns: vec!["a".into()],
                comment: None,
            })
        );
        let fk = &t.foreign_keys["t_fk"];
        assert_eq!(fk.columns, ["b", "c"]);
        // The referenced table is a ledger table left out of the snapshot;
        // its column names are still known.
        assert_eq!(fk.ref_columns, ["id", "id"]);
        assert_eq!(
            (fk.on_delete, fk.on_update, fk.deferrable),
            (FkAction::Cascade, FkAction::SetNull, true)
        );
        assert_eq!(t.foreign_keys["t_outside_fk"].ref_columns, ["x_id"]);
        assert_eq!(t.checks["t_check"].expression, "(a <> ''::text)");
        assert!(t.uniques["t_b_c_key"].nulls_not_distinct);

        let mut dangling = catalog();
        dangling.constraints = vec![constraint(10, "t_pkey", b'p', vec![2])];
        assert!(matches!(
            assemble(dangling, &IntrospectOptions::default()),
            Err(Error::Catalog { .. })
        ));
    }

    #[test]
    fn index_options_include_and_expressions() {
        let mut cat = catalog();
        cat.indexes = vec![IndexRow {
            table: 10,
            name: "t_idx".into(),
            unique: true,
            key_count: 4,
            keys: vec![1, 0, 3, 4, 1],
            // DESC (NULLS FIRST by default); DESC NULLS LAST; ASC NULLS FIRST; ASC.
            options: vec![3, 1, 2, 0],
            opclasses: vec![1, 2, 4000, 3],
            collations: vec![DEFAULT_COLLATION, DEFAULT_COLLATION, 950, 0],
            method: "btree".into(),
            predicate: Some("(c IS NOT NULL)".into()),
            expressions: Some(vec![None, Some("lower(a)".into()), None, None]),
            oid: 0,
            storage: Some(vec!["fillfactor=70".into(), "deduplicate_items=off".into()]),
            nulls_not_distinct: true,
        }];
        let snap = assemble_default(cat);
        let idx = &snap.table("app", "t").unwrap().indexes["t_idx"];
        assert_eq!(idx.method, None);
        assert!(idx.unique);
        assert_eq!(idx.include, ["a"]);
        assert_eq!(idx.predicate.as_deref(), Some("(c IS NOT NULL)"));
        let p = &idx.parts;
        assert_eq!(p[0].key, IndexKey::Column("a".into()));
        assert_eq!((p[0].descending, p[0].nulls_first), (true, None));
        assert_eq!(p[1].key, IndexKey::Expression("lower(a)".into()));
        assert_eq!((p[1].descending, p[1].nulls_first), (true, Some(false)));
        assert_eq!((p[2].descending, p[2].nulls_first), (false, Some(true)));
        assert_eq!(p[2].opclass.as_deref(), Some("text_pattern_ops"));
        assert_eq!(p[2].collation.as_deref(), Some("C"));
        assert_eq!(p[3], IndexPart::column("c"));
        assert_eq!(idx.storage, ["fillfactor=70", "deduplicate_items=off"]);

        let mut gin = catalog();
        gin.indexes = vec![IndexRow {
            table: 10,
            name: "t_gin".into(),
            unique: false,
            key_count: 1,
            keys: vec![0],
            options: vec![0],
            opclasses: vec![1],
            collations: vec![0],
            method: "gin".into(),
            predicate: None,
            expressions: None,
            oid: 0,
            storage: None,
            nulls_not_distinct: false,
        }];
        // An expression key without its expression is a catalog error, not a panic.
        assert!(matches!(
            assemble(gin, &IntrospectOptions::default()),
            Err(Error::Catalog { .. })
        ));
    }

    #[test]
    fn enums_sorted_and_sequences_follow_their_table() {
        let mut cat = catalog();
        cat.enums = ["happy", "sad", "meh"]
            .iter()
            .zip([3.0, 1.0, 1.5])
            .map(|(label, sort_order)| EnumLabelRow {
                oid: 500,
                namespace: 1,
                name: "mood".into(),
                sort_order,
                label: label.to_string(),
            })
            .collect();
        cat.comments = vec![CommentRow {
            on_type: true,
            object: 500,
            sub: 0,
            text: "feelings".into(),
            on_constraint: false,
        }];
        let seq = |name: &str, owner: Option<&str>| SequenceRow {
            name: name.into(),
            namespace: 1,
            data_type: "bigint".into(),
            start: 1,
            increment: 1,
            min_value: 1,
            max_value: i64::MAX,
            cache: 1,
            cycle: false,
            owner_table: owner.map(str::to_string),
            owner_column: owner.map(|_| "id".to_string()),
            oid: 0,
            identity: false,
        };
        cat.sequences = vec![
            seq("free", None),
            seq("t_id_seq", Some("t")),
            seq("django_migrations_id_seq", Some("django_migrations")),
        ];
        let snap = assemble_default(cat);
        let app = &snap.schemas["app"];
        assert_eq!(app.enums["mood"].labels, ["sad", "meh", "happy"]);
        assert_eq!(app.enums["mood"].comment.as_deref(), Some("feelings"));
        assert_eq!(
            app.sequences.keys().collect::<Vec<_>>(),
            ["free", "t_id_seq"]
        );
        assert_eq!(
            app.sequences["t_id_seq"].owned_by,
            Some(SequenceOwner {
                table: "t".into(),
                column: "id".into()
            })
        );
    }
}
