//! Catalog rows → [`Snapshot`]: pure, no database needed.

use std::collections::HashMap;

use super::rows::{
    ColumnRow, CommentRow, ConstraintRow, EnumLabelRow, IndexRow, LookupRow, NamespaceRow,
    RelationRow, SequenceRow,
};
use crate::error::{Error, Result};
use crate::model::{
    Check, Column, Dialect, Enum, FkAction, ForeignKey, Generated, Identity, Index, IndexKey,
    IndexPart, PrimaryKey, Schema, Sequence, SequenceOwner, Snapshot, Table, UniqueConstraint,
    View,
};
use crate::IntrospectOptions;

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
    } = catalog;
    let mut snap = Snapshot::new(Dialect::Postgres);

    let mut schema_names: HashMap<u32, String> = HashMap::new();
    for ns in wanted_namespaces(&namespaces, options) {
        schema_names.insert(ns.oid, ns.name.clone());
        snap.schemas.insert(
            ns.name.clone(),
            Schema {
                comment: ns.comment.clone(),
                ..Schema::default()
            },
        );
    }

    let mut relation_comments: HashMap<(u32, i32), String> = HashMap::new();
    let mut type_comments: HashMap<u32, String> = HashMap::new();
    for c in comments {
        if c.on_type {
            if c.sub == 0 {
                type_comments.insert(c.object, c.text);
            }
        } else {
            relation_comments.insert((c.object, c.sub), c.text);
        }
    }

    let mut collation_names: HashMap<u32, String> = HashMap::new();
    let mut opclass_names: HashMap<u32, String> = HashMap::new();
    let mut type_collations: HashMap<u32, u32> = HashMap::new();
    for l in lookups {
        match (l.kind.as_str(), l.name) {
            ("c", Some(name)) => {
                collation_names.insert(l.oid, name);
            }
            ("o", Some(name)) => {
                opclass_names.insert(l.oid, name);
            }
            ("t", _) => {
                let collation = u32::try_from(l.number).map_err(|_| Error::Catalog {
                    object: format!("type {}", l.oid),
                    message: format!("collation oid {} out of range", l.number),
                })?;
                type_collations.insert(l.oid, collation);
            }
            _ => {}
        }
    }
    let collation_name = |oid: u32, object: &dyn Fn() -> String| -> Result<String> {
        collation_names
            .get(&oid)
            .cloned()
            .ok_or_else(|| Error::Catalog {
                object: object(),
                message: format!("unknown collation oid {oid}"),
            })
    };

    // Tables and views. `tables` maps the oid of every table that is in the
    // snapshot to its (schema, name).
    let mut tables: HashMap<u32, (String, String)> = HashMap::new();
    for rel in relations {
        let Some(schema_name) = schema_names.get(&rel.namespace) else {
            continue;
        };
        let Some(schema) = snap.schemas.get_mut(schema_name) else {
            continue;
        };
        let comment = relation_comments.remove(&(rel.oid, 0));
        match rel.kind {
            b'r' | b'p' => {
                if !options.wants_table(&rel.name) {
                    continue;
                }
                schema.tables.insert(
                    rel.name.clone(),
                    Table {
                        comment,
                        ..Table::default()
                    },
                );
                tables.insert(rel.oid, (schema_name.clone(), rel.name));
            }
            b'v' | b'm' => {
                let definition = rel.view_definition.unwrap_or_default().trim().to_string();
                schema.views.insert(
                    rel.name,
                    View {
                        definition,
                        materialized: rel.kind == b'm',
                        comment,
                    },
                );
            }
            _ => {}
        }
    }

    // Columns: every column read names a key (also of tables left out of the
    // snapshot, such as ledger tables, which foreign keys may reference).
    let mut column_keys: HashMap<(u32, i16), ColumnKey> = HashMap::with_capacity(columns.len());
    let mut table_columns: HashMap<u32, Vec<ColumnRow>> = HashMap::new();
    for col in columns {
        column_keys.insert(
            (col.table, col.attnum),
            ColumnKey {
                name: col.name.clone(),
                collation: col.collation,
            },
        );
        if tables.contains_key(&col.table) {
            table_columns.entry(col.table).or_default().push(col);
        }
    }
    for (oid, mut cols) in table_columns {
        let table = table_mut(&mut snap, &tables, oid)?;
        cols.sort_by_key(|c| c.attnum);
        for (i, col) in cols.into_iter().enumerate() {
            let object = || format!("column {}.{}", describe(&tables, oid), col.name);
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
            let type_collation = type_collations.get(&col.type_oid).copied().unwrap_or(0);
            let collation = if col.collation != 0 && col.collation != type_collation {
                Some(collation_name(col.collation, &object)?)
            } else {
                None
            };
            let position = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let column = Column {
                position,
                data_type: col.data_type,
                nullable: !col.not_null,
                default,
                identity,
                generated,
                collation,
                comment: relation_comments.remove(&(oid, i32::from(col.attnum))),
            };
            table.columns.insert(col.name, column);
        }
    }

    let key_name = |table: u32, attnum: i16, object: &dyn Fn() -> String| -> Result<String> {
        column_keys
            .get(&(table, attnum))
            .map(|k| k.name.clone())
            .ok_or_else(|| Error::Catalog {
                object: object(),
                message: format!("no column with attnum {attnum} in relation {table}"),
            })
    };
    let key_names = |table: u32, attnums: &[i16], object: &dyn Fn() -> String| {
        attnums
            .iter()
            .map(|&n| key_name(table, n, object))
            .collect::<Result<Vec<String>>>()
    };

    for con in constraints {
        if !tables.contains_key(&con.table) {
            continue;
        }
        let object = || {
            format!(
                "constraint {} on {}",
                con.name,
                describe(&tables, con.table)
            )
        };
        let columns = key_names(con.table, &con.columns, &object)?;
        let table = table_mut(&mut snap, &tables, con.table)?;
        match con.kind {
            b'p' => {
                table.primary_key = Some(PrimaryKey {
                    name: con.name,
                    columns,
                });
            }
            b'u' => {
                table.uniques.insert(
                    con.name,
                    UniqueConstraint {
                        columns,
                        nulls_not_distinct: con.nulls_not_distinct,
                    },
                );
            }
            b'f' => {
                let ref_columns = match con.ref_column_names {
                    Some(names) => names,
                    None => key_names(con.ref_table, &con.ref_columns, &object)?,
                };
                let (Some(ref_schema), Some(ref_table)) = (con.ref_schema, con.ref_table_name)
                else {
                    return Err(Error::Catalog {
                        object: object(),
                        message: format!("referenced relation {} not found", con.ref_table),
                    });
                };
                let fk = ForeignKey {
                    columns,
                    ref_schema,
                    ref_table,
                    ref_columns,
                    on_delete: fk_action(con.on_delete, &object)?,
                    on_update: fk_action(con.on_update, &object)?,
                    deferrable: con.deferrable,
                    initially_deferred: con.deferred,
                };
                table.foreign_keys.insert(con.name, fk);
            }
            b'c' => {
                let expression = con.check.unwrap_or_default();
                table.checks.insert(con.name, Check { expression });
            }
            _ => {}
        }
    }

    for idx in indexes {
        if !tables.contains_key(&idx.table) {
            continue;
        }
        let object = || format!("index {} on {}", idx.name, describe(&tables, idx.table));
        let key_count = usize::try_from(idx.key_count)
            .unwrap_or(0)
            .min(idx.keys.len());
        let mut parts = Vec::with_capacity(key_count);
        for k in 0..key_count {
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
                    column_keys
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
            let collation = match idx.collations.get(k).copied().unwrap_or(0) {
                0 => None,
                c if c == column_collation => None,
                c => Some(collation_name(c, &object)?),
            };
            parts.push(IndexPart {
                key,
                descending,
                // The default is NULLS LAST ascending, NULLS FIRST descending.
                nulls_first: (nulls_first != descending).then_some(nulls_first),
                opclass: idx
                    .opclasses
                    .get(k)
                    .and_then(|oid| opclass_names.get(oid))
                    .cloned(),
                collation,
                length: None,
            });
        }
        let include = key_names(idx.table, &idx.keys[key_count..], &object)?;
        let index = Index {
            parts,
            unique: idx.unique,
            method: (idx.method != "btree").then_some(idx.method),
            predicate: idx.predicate,
            include,
        };
        let table = table_mut(&mut snap, &tables, idx.table)?;
        table.indexes.insert(idx.name, index);
    }

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
        let Some(schema) = schema_names
            .get(&namespace)
            .and_then(|s| snap.schemas.get_mut(s))
        else {
            continue;
        };
        labels.sort_by(|a, b| a.0.total_cmp(&b.0));
        schema.enums.insert(
            name,
            Enum {
                labels: labels.into_iter().map(|(_, l)| l).collect(),
                comment: type_comments.remove(&oid),
            },
        );
    }

    for seq in sequences {
        let Some(schema) = schema_names
            .get(&seq.namespace)
            .and_then(|s| snap.schemas.get_mut(s))
        else {
            continue;
        };
        let owned_by = match (seq.owner_table, seq.owner_column) {
            (Some(table), Some(column)) => {
                // A sequence belonging to a table left out (a ledger table)
                // is left out with it.
                if !options.wants_table(&table) {
                    continue;
                }
                Some(SequenceOwner { table, column })
            }
            _ => None,
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
            },
        );
    }

    Ok(snap)
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
