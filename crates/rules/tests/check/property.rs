//! Properties over generated snapshots: a snapshot has no drift against
//! itself; renaming indexes and constraints is not drift; removing one table
//! is exactly one finding.

use std::collections::BTreeMap;

use driftless_model::{
    Check, Column, Dialect, Enum, FkAction, ForeignKey, Generated, Identity, Index, IndexKey,
    IndexPart, PrimaryKey, Schema, Sequence, SequenceOwner, Snapshot, Table, UniqueConstraint,
    View, QUARANTINE_PREFIX,
};
use driftless_rules::{Config, Context, Date, Registry, RuleSetting};
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[a-z][a-z0-9_]{0,6}",
        1 => Just("django_migrations".to_string()),
        1 => "[a-z]{1,4}".prop_map(|s| format!("{QUARANTINE_PREFIX}{s}")),
        1 => Just("Mixed Case".to_string()),
    ]
}

fn sql() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("(a > 0)".to_string()),
        Just("lower((email)::text)".to_string()),
        Just("'it''s'::text".to_string()),
        Just("now()".to_string()),
        "[a-z]{1,5} [<>=] [0-9]{1,3}",
    ]
}

fn column(position: u32) -> impl Strategy<Value = Column> {
    (
        prop::sample::select(vec![
            "integer",
            "bigint",
            "text",
            "character varying(20)",
            "boolean",
            "mood",
        ]),
        any::<bool>(),
        prop::option::of(sql()),
        prop::option::of(prop::sample::select(vec![
            Identity::Always,
            Identity::ByDefault,
            Identity::AutoIncrement,
        ])),
        prop::option::of((sql(), any::<bool>())),
        prop::option::of(prop::sample::select(vec!["C", "en_US"])),
        prop::option::of("[a-z ]{0,12}"),
    )
        .prop_map(
            move |(ty, nullable, default, identity, generated, collation, comment)| Column {
                inherited: false,
                position,
                data_type: ty.to_string(),
                nullable,
                default,
                identity,
                identity_options: None,
                generated: generated.map(|(expression, stored)| Generated { expression, stored }),
                on_update: None,
                collation: collation.map(String::from),
                comment,
                invisible: false,
            },
        )
}

fn index(cols: Vec<String>) -> impl Strategy<Value = Index> {
    (
        prop::collection::vec(
            (
                prop::sample::select(cols.clone()),
                any::<bool>(),
                prop::option::of(sql()),
            ),
            1..3,
        ),
        any::<bool>(),
        prop::option::of(prop::sample::select(vec!["btree", "gin", "hash"])),
        prop::option::of(sql()),
        prop::collection::vec(prop::sample::select(cols), 0..2),
    )
        .prop_map(|(parts, unique, method, predicate, include)| Index {
            parts: parts
                .into_iter()
                .map(|(c, descending, expr)| IndexPart {
                    key: expr.map_or(IndexKey::Column(c.clone()), IndexKey::Expression),
                    descending,
                    ..IndexPart::column(c)
                })
                .collect(),
            unique,
            method: method.map(String::from),
            predicate,
            include,
            comment: None,
            ignored: false,
            storage: Vec::new(),
            nulls_not_distinct: false,
        })
}

fn table() -> impl Strategy<Value = Table> {
    prop::collection::btree_map(name(), 0u32..1, 1..6)
        .prop_flat_map(|names| {
            let names: Vec<String> = names.into_keys().collect();
            let cols = names
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    column(i as u32 + 1).prop_map({
                        let n = n.clone();
                        move |c| (n.clone(), c)
                    })
                })
                .collect::<Vec<_>>();
            let pick = prop::sample::subsequence(names.clone(), 1..=names.len());
            (
                cols,
                prop::option::of(pick.clone()),
                prop::collection::btree_map(name(), (pick.clone(), any::<bool>()), 0..3),
                prop::collection::btree_map(name(), index(names.clone()), 0..3),
                prop::collection::btree_map(
                    name(),
                    (
                        pick.clone(),
                        name(),
                        prop::sample::select(vec![
                            FkAction::NoAction,
                            FkAction::Cascade,
                            FkAction::SetNull,
                        ]),
                        any::<bool>(),
                    ),
                    0..3,
                ),
                prop::collection::btree_map(name(), sql(), 0..3),
                prop::option::of("[a-z ]{0,12}"),
            )
        })
        .prop_map(|(cols, pk, uniques, indexes, fks, checks, comment)| Table {
            columns: cols.into_iter().collect(),
            exclusions: Default::default(),
            primary_key: pk.map(|columns| PrimaryKey {
                deferrable: false,
                initially_deferred: false,
                name: "pk".into(),
                columns,
                comment: None,
            }),
            uniques: uniques
                .into_iter()
                .map(|(n, (columns, nulls_not_distinct))| {
                    (
                        n,
                        UniqueConstraint {
                            deferrable: false,
                            initially_deferred: false,
                            columns,
                            nulls_not_distinct,
                            comment: None,
                        },
                    )
                })
                .collect(),
            indexes,
            foreign_keys: fks
                .into_iter()
                .map(|(n, (columns, ref_table, on_delete, deferrable))| {
                    (
                        n,
                        ForeignKey {
                            ref_columns: columns.clone(),
                            columns,
                            ref_schema: "public".into(),
                            ref_table,
                            on_delete,
                            on_update: FkAction::NoAction,
                            deferrable,
                            initially_deferred: deferrable,
                            comment: None,
                            match_full: false,
                        },
                    )
                })
                .collect(),
            checks: checks
                .into_iter()
                .map(|(n, expression)| {
                    (
                        n,
                        Check {
                            expression,
                            comment: None,
                            no_inherit: false,
                        },
                    )
                })
                .collect(),
            comment,
            options: Default::default(),
        })
}

fn schema() -> impl Strategy<Value = Schema> {
    (
        prop::collection::btree_map(name(), table(), 0..5),
        prop::collection::btree_map(name(), (sql(), any::<bool>()), 0..2),
        prop::collection::btree_map(name(), prop::collection::vec("[a-z]{1,5}", 0..4), 0..2),
        prop::collection::btree_map(
            name(),
            (
                any::<i64>(),
                1i64..10,
                any::<bool>(),
                prop::option::of((name(), name())),
            ),
            0..2,
        ),
        prop::option::of("[a-z ]{0,12}"),
    )
        .prop_map(|(tables, views, enums, sequences, comment)| Schema {
            tables,
            views: views
                .into_iter()
                .map(|(n, (definition, materialized))| {
                    (
                        n,
                        View {
                            indexes: Default::default(),
                            options: Default::default(),
                            definition: format!("SELECT {definition}"),
                            materialized,
                            comment: None,
                        },
                    )
                })
                .collect(),
            enums: enums
                .into_iter()
                .map(|(n, labels)| {
                    (
                        n,
                        Enum {
                            labels,
                            comment: None,
                        },
                    )
                })
                .collect(),
            sequences: sequences
                .into_iter()
                .map(|(n, (start, increment, cycle, owner))| {
                    (
                        n,
                        Sequence {
                            data_type: "bigint".into(),
                            start,
                            increment,
                            min_value: 1,
                            max_value: i64::MAX,
                            cache: 1,
                            cycle,
                            owned_by: owner.map(|(table, column)| SequenceOwner { table, column }),
                            comment: None,
                        },
                    )
                })
                .collect(),
            comment,
        })
}

fn snapshot() -> impl Strategy<Value = Snapshot> {
    (
        prop::sample::select(vec![Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite]),
        prop::collection::btree_map(
            prop_oneof![Just("public".to_string()), name()],
            schema(),
            0..3,
        ),
    )
        .prop_map(|(dialect, schemas): (Dialect, BTreeMap<String, Schema>)| {
            let mut s = Snapshot::new(dialect);
            s.schemas = schemas;
            s
        })
}

/// Every rule on, including those off by default.
fn everything() -> (Registry, Config) {
    let registry = Registry::builtin();
    let mut config = Config::default();
    for m in registry.metas() {
        config.set_rule(m.id, RuleSetting::on());
    }
    (registry, config)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_snapshot_has_no_drift_against_itself(s in snapshot()) {
        let (registry, config) = everything();
        let cx = Context::new(&s, &s).with_today(Date::parse("2025-01-01").unwrap());
        let report = registry.check(&config, &cx);
        prop_assert!(report.findings.is_empty(), "{:#?}", report.findings);
        prop_assert!(!report.fails(driftless_rules::Severity::Info));
    }

    /// Indexes and constraints under other names are reported (missing
    /// under the expected name, orphan under their own, and possibly
    /// renamed): migrations address them by name. Primary keys pair by
    /// table, their names aside.
    #[test]
    fn renamed_indexes_and_constraints_are_drift(s in snapshot()) {
        let (registry, config) = everything();
        let mut renamed = s.clone();
        for schema in renamed.schemas.values_mut() {
            for t in schema.tables.values_mut() {
                if let Some(pk) = &mut t.primary_key {
                    pk.name = "renamed_pkey".into();
                }
            }
        }
        let report = registry.check(&config, &Context::new(&s, &renamed));
        prop_assert!(report.findings.is_empty(), "{:#?}", report.findings);
        for schema in renamed.schemas.values_mut() {
            for t in schema.tables.values_mut() {
                t.indexes = std::mem::take(&mut t.indexes).into_iter().map(|(n, i)| (format!("{n}_auto"), i)).collect();
                t.uniques = std::mem::take(&mut t.uniques).into_iter().map(|(n, u)| (format!("{n}_auto"), u)).collect();
                t.checks = std::mem::take(&mut t.checks).into_iter().map(|(n, c)| (format!("{n}_auto"), c)).collect();
                t.foreign_keys = std::mem::take(&mut t.foreign_keys).into_iter().map(|(n, f)| (format!("{n}_auto"), f)).collect();
            }
        }
        let report = registry.check(&config, &Context::new(&s, &renamed));
        for f in &report.findings {
            let name = f.object.name.as_deref().unwrap_or_default();
            match f.rule.as_str() {
                "possible-rename" => prop_assert_eq!(
                    &f.fix,
                    &driftless_rules::FixIntent::Rename { from: format!("{name}_auto"), confirmed: false }
                ),
                r if r.starts_with("missing-") => prop_assert!(!name.ends_with("_auto"), "{:#?}", f),
                r if r.starts_with("orphan-") => prop_assert!(name.ends_with("_auto"), "{:#?}", f),
                _ => prop_assert!(false, "{:#?}", f),
            }
        }
    }

    #[test]
    fn a_removed_table_is_one_finding(s in snapshot(), pick in any::<prop::sample::Index>()) {
        let candidates: Vec<(String, String)> = s.schemas.iter().flat_map(|(sn, schema)| {
            schema.tables.keys().map(move |t| (sn.clone(), t.clone()))
        }).filter(|(sn, t)| {
            !driftless_model::is_ledger_table(t)
                && !driftless_model::is_quarantined(t)
                && !driftless_model::is_system_schema(sn)
        }).collect();
        prop_assume!(!candidates.is_empty(), "the snapshot has no table to remove");
        let (sn, t) = candidates[pick.index(candidates.len())].clone();
        let mut actual = s.clone();
        actual.schemas.get_mut(&sn).unwrap().tables.remove(&t);
        let (registry, config) = everything();
        let report = registry.check(&config, &Context::new(&s, &actual));
        // Foreign keys and sequences elsewhere may still point at it; what
        // the table itself owns is reported once.
        let about_it: Vec<_> = report.findings.iter().filter(|f| f.object.table.as_deref() == Some(t.as_str()) && f.object.schema == sn).collect();
        prop_assert_eq!(about_it.len(), 1, "{:#?}", report.findings);
        prop_assert_eq!(about_it[0].rule.as_str(), "missing-table");
    }
}
