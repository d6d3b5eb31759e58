//! Snapshot builders shared by the tests.

use driftless_model::{
    Check, Column, Dialect, FkAction, ForeignKey, Index, IndexPart, PrimaryKey, Snapshot, Table,
    UniqueConstraint,
};

/// A table `t<i>` of `columns` columns with a primary key, a unique
/// constraint, an index, a check, and a foreign key to `t<i-1>`.
pub fn wide_table(i: usize, columns: usize) -> Table {
    let mut t = Table::default();
    for c in 0..columns {
        let mut col = Column::new(c as u32 + 1, if c % 3 == 0 { "bigint" } else { "text" });
        col.nullable = c != 0;
        if c % 5 == 4 {
            col.default = Some("'x'::text".into());
        }
        t.columns.insert(format!("c{c}"), col);
    }
    t.primary_key = Some(PrimaryKey {
        deferrable: false,
        initially_deferred: false,
        name: format!("t{i}_pkey"),
        columns: vec!["c0".into()],
        comment: None,
    });
    t.uniques.insert(
        format!("t{i}_c1_key"),
        UniqueConstraint {
            deferrable: false,
            initially_deferred: false,
            columns: vec!["c1".into()],
            nulls_not_distinct: false,
            comment: None,
        },
    );
    t.indexes.insert(
        format!("t{i}_c2_idx"),
        Index {
            parts: vec![IndexPart::column("c2"), IndexPart::column("c3")],
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
    t.checks.insert(
        format!("t{i}_c1_check"),
        Check {
            expression: "(length(c1) < 100)".into(),
            comment: None,
            no_inherit: false,
        },
    );
    if i > 0 {
        t.foreign_keys.insert(
            format!("t{i}_parent_fkey"),
            ForeignKey {
                columns: vec!["c0".into()],
                ref_schema: "public".into(),
                ref_table: format!("t{}", i - 1),
                ref_columns: vec!["c0".into()],
                on_delete: FkAction::Cascade,
                on_update: FkAction::NoAction,
                deferrable: false,
                initially_deferred: false,
                comment: None,
                match_full: false,
            },
        );
    }
    t
}

/// A PostgreSQL snapshot of `tables` wide tables in `public`.
pub fn wide_snapshot(tables: usize, columns: usize) -> Snapshot {
    let mut s = Snapshot::new(Dialect::Postgres);
    let public = s.schemas.entry("public".into()).or_default();
    for i in 0..tables {
        public
            .tables
            .insert(format!("t{i}"), wide_table(i, columns));
    }
    s
}
