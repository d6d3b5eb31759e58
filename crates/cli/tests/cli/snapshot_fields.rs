//! The published snapshot schema (`driftless schema snapshot`) describes
//! every field the model writes. The snapshot below sets every field of
//! every type, written as full struct literals: a field added to the model
//! does not compile here until it is set, and then fails validation until
//! the schema describes it.

use std::collections::BTreeMap;
use std::path::Path;

use driftless_model::{
    CatalogKind, CatalogObject, Check, Column, DefinedObject, Dialect, Enum, Exclusion, FkAction,
    ForeignKey, Generated, Identity, IdentityOptions, Index, IndexKey, IndexPart, ObjectKind,
    ObjectRef, PrimaryKey, Schema, Sequence, SequenceOwner, Snapshot, Table, UniqueConstraint,
    View,
};

use crate::documents::assert_valid;

const SNAPSHOT: &str = "https://driftless.dev/schema/snapshot/v1.json";

fn text(s: &str) -> Option<String> {
    Some(s.to_string())
}

fn names(of: &[&str]) -> Vec<String> {
    of.iter().map(|s| s.to_string()).collect()
}

fn column() -> Column {
    Column {
        position: 1,
        data_type: "integer".into(),
        nullable: false,
        default: text("0"),
        identity: Some(Identity::Always),
        identity_options: Some(IdentityOptions {
            start: -100,
            increment: 5,
            min_value: -100,
            max_value: 100,
            cache: 2,
            cycle: true,
        }),
        generated: Some(Generated {
            expression: "(a + 1)".into(),
            stored: true,
        }),
        on_update: text("current_timestamp()"),
        collation: text("C"),
        comment: text("a column"),
        inherited: true,
        invisible: true,
    }
}

fn index() -> Index {
    let part = |key| IndexPart {
        key,
        descending: true,
        nulls_first: Some(false),
        opclass: text("text_pattern_ops"),
        collation: text("C"),
        length: Some(10),
    };
    Index {
        parts: vec![
            part(IndexKey::Column("a".into())),
            part(IndexKey::Expression("lower(b)".into())),
        ],
        unique: true,
        method: text("btree"),
        predicate: text("(a > 0)"),
        include: names(&["c"]),
        ignored: true,
        comment: text("an index"),
        storage: names(&["fillfactor=70"]),
        nulls_not_distinct: true,
    }
}

fn table() -> Table {
    Table {
        columns: BTreeMap::from([("a".into(), column())]),
        primary_key: Some(PrimaryKey {
            name: "t_pkey".into(),
            columns: names(&["a"]),
            deferrable: true,
            initially_deferred: true,
            comment: text("a key"),
        }),
        uniques: BTreeMap::from([(
            "t_b_key".into(),
            UniqueConstraint {
                columns: names(&["b"]),
                nulls_not_distinct: true,
                deferrable: true,
                initially_deferred: true,
                comment: text("a unique"),
            },
        )]),
        indexes: BTreeMap::from([("t_idx".into(), index())]),
        foreign_keys: BTreeMap::from([(
            "t_fk".into(),
            ForeignKey {
                columns: names(&["a"]),
                ref_schema: "public".into(),
                ref_table: "u".into(),
                ref_columns: names(&["id"]),
                on_delete: FkAction::Cascade,
                on_update: FkAction::SetNull,
                deferrable: true,
                initially_deferred: true,
                comment: text("a key"),
                match_full: true,
            },
        )]),
        checks: BTreeMap::from([(
            "t_check".into(),
            Check {
                expression: "(a > 0)".into(),
                comment: text("a check"),
                no_inherit: true,
            },
        )]),
        exclusions: BTreeMap::from([(
            "t_excl".into(),
            Exclusion {
                definition: "EXCLUDE USING gist (r WITH &&)".into(),
                comment: text("an exclusion"),
            },
        )]),
        comment: text("a table"),
        options: BTreeMap::from([("persistence".into(), "unlogged".into())]),
    }
}

fn schema() -> Schema {
    Schema {
        tables: BTreeMap::from([("t".into(), table())]),
        views: BTreeMap::from([(
            "v".into(),
            View {
                definition: " SELECT 1 AS a;".into(),
                materialized: true,
                indexes: BTreeMap::from([("v_idx".into(), index())]),
                comment: text("a view"),
                options: BTreeMap::from([("check_option".into(), "local".into())]),
            },
        )]),
        enums: BTreeMap::from([(
            "mood".into(),
            Enum {
                labels: names(&["sad", "ok"]),
                comment: text("an enum"),
            },
        )]),
        sequences: BTreeMap::from([(
            "s".into(),
            Sequence {
                data_type: "bigint".into(),
                start: 1,
                increment: 1,
                min_value: 1,
                max_value: i64::MAX,
                cache: 1,
                cycle: true,
                owned_by: Some(SequenceOwner {
                    table: "t".into(),
                    column: "a".into(),
                }),
                comment: text("a sequence"),
            },
        )]),
        comment: text("a schema"),
    }
}

fn snapshot() -> Snapshot {
    Snapshot {
        format_version: driftless_model::FORMAT_VERSION,
        dialect: Dialect::Postgres,
        schemas: BTreeMap::from([("public".into(), schema())]),
        unmodeled: vec![CatalogObject {
            kind: CatalogKind::Partition,
            schema: text("public"),
            name: "t_2026".into(),
            table: text("t"),
            extension: text("pg_partman"),
            parent: text("t"),
        }],
        objects: vec![DefinedObject {
            kind: CatalogKind::Trigger,
            schema: text("public"),
            table: text("t"),
            name: "t_touch".into(),
            definition: "CREATE TRIGGER t_touch …".into(),
            drop: "DROP TRIGGER t_touch ON public.t".into(),
            then: names(&["ALTER TABLE public.t DISABLE TRIGGER t_touch"]),
            depends_on: vec![ObjectRef {
                kind: ObjectKind::Function,
                schema: "public".into(),
                table: None,
                name: text("touch()"),
            }],
            comment: text("a trigger"),
        }],
        roles: names(&["app"]),
        sizes: Default::default(),
    }
}

#[test]
fn the_snapshot_schema_describes_every_field_of_the_model() {
    let snap = snapshot();
    let json = snap.to_json();
    assert_valid(&serde_json::from_str(&json).unwrap(), SNAPSHOT);
    assert_eq!(
        Snapshot::from_json(&json, Path::new("every-field.json")).unwrap(),
        snap,
        "every field survives a round trip"
    );
}

#[test]
fn the_snapshot_schema_names_every_kind_of_catalog_object() {
    let mut snap = Snapshot::new(Dialect::Postgres);
    snap.unmodeled = CatalogKind::ALL
        .iter()
        .map(|&kind| CatalogObject {
            kind,
            schema: None,
            name: "x".into(),
            table: None,
            extension: None,
            parent: None,
        })
        .collect();
    assert_valid(&serde_json::from_str(&snap.to_json()).unwrap(), SNAPSHOT);
}
