//! Typed rows of the catalog queries in [`super::query`], and their
//! decoding from the driver's rows (typed access by position, no I/O).

use sqlx::postgres::types::Oid;
use sqlx::postgres::PgRow;
use sqlx::Row as _;

/// A `"char"` catalog value (`relkind`, `contype` …) as a byte; `0` when empty.
fn char_byte(v: i8) -> u8 {
    u8::from_ne_bytes(v.to_ne_bytes())
}

/// One row of [`super::query::NAMESPACES`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NamespaceRow {
    pub(crate) oid: u32,
    pub(crate) name: String,
    pub(crate) comment: Option<String>,
    pub(crate) extension_owned: bool,
}

impl NamespaceRow {
    pub(crate) fn decode(row: &PgRow) -> Result<Self, sqlx::Error> {
        Ok(NamespaceRow {
            oid: row.try_get::<Oid, _>(0)?.0,
            name: row.try_get(1)?,
            comment: row.try_get(2)?,
            extension_owned: row.try_get(3)?,
        })
    }
}

/// One row of [`super::query::RELATIONS`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RelationRow {
    pub(crate) oid: u32,
    pub(crate) namespace: u32,
    pub(crate) name: String,
    /// `r`, `p`, `v` or `m`.
    pub(crate) kind: u8,
    pub(crate) view_definition: Option<String>,
    /// The view's stored query (`pg_rewrite.ev_action`), before PostgreSQL 16.
    pub(crate) view_rule: Option<String>,
    /// The partition key of a partitioned table.
    pub(crate) partition_by: Option<String>,
    /// The bound of a partition.
    pub(crate) partition_bound: Option<String>,
    /// The parent tables, as SQL names relative to the schema, joined by `, `.
    pub(crate) parents: Option<String>,
    /// An `UNLOGGED` table (`relpersistence` `u`).
    pub(crate) unlogged: bool,
    /// Its options (`reloptions`), `name=value` each.
    pub(crate) options: Option<Vec<String>>,
}

impl RelationRow {
    pub(crate) fn decode(row: &PgRow) -> Result<Self, sqlx::Error> {
        Ok(RelationRow {
            oid: row.try_get::<Oid, _>(0)?.0,
            namespace: row.try_get::<Oid, _>(1)?.0,
            name: row.try_get(2)?,
            kind: char_byte(row.try_get(3)?),
            view_definition: row.try_get(4)?,
            view_rule: row.try_get(5)?,
            partition_by: row.try_get(6)?,
            partition_bound: row.try_get(7)?,
            parents: row.try_get(8)?,
            unlogged: row.try_get(9)?,
            options: row.try_get(10)?,
        })
    }
}

/// One row of [`super::query::COLUMNS`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ColumnRow {
    pub(crate) table: u32,
    pub(crate) attnum: i16,
    pub(crate) name: String,
    pub(crate) data_type: String,
    pub(crate) type_oid: u32,
    pub(crate) not_null: bool,
    /// The default, or the generation expression of a generated column.
    pub(crate) default: Option<String>,
    /// `a` (always), `d` (by default) or `0`.
    pub(crate) identity: u8,
    /// `s` (stored), `v` (virtual) or `0`.
    pub(crate) generated: u8,
    pub(crate) collation: u32,
    /// The column comes from a parent table.
    pub(crate) inherited: bool,
}

impl ColumnRow {
    pub(crate) fn decode(row: &PgRow) -> Result<Self, sqlx::Error> {
        Ok(ColumnRow {
            table: row.try_get::<Oid, _>(0)?.0,
            attnum: row.try_get(1)?,
            name: row.try_get(2)?,
            data_type: row.try_get(3)?,
            type_oid: row.try_get::<Oid, _>(4)?.0,
            not_null: row.try_get(5)?,
            default: row.try_get(6)?,
            identity: char_byte(row.try_get(7)?),
            generated: char_byte(row.try_get(8)?),
            collation: row.try_get::<Oid, _>(9)?.0,
            inherited: row.try_get(10)?,
        })
    }
}

/// One row of [`super::query::CONSTRAINTS_15`] / [`super::query::CONSTRAINTS_12`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConstraintRow {
    pub(crate) table: u32,
    pub(crate) name: String,
    /// `p`, `u`, `f`, `c` or `x`.
    pub(crate) kind: u8,
    pub(crate) columns: Vec<i16>,
    /// Referenced table (0 unless a foreign key).
    pub(crate) ref_table: u32,
    pub(crate) ref_columns: Vec<i16>,
    pub(crate) ref_schema: Option<String>,
    pub(crate) ref_table_name: Option<String>,
    /// Referenced column names, when the server resolved them (the
    /// referenced table is not among the tables read).
    pub(crate) ref_column_names: Option<Vec<String>>,
    pub(crate) on_update: u8,
    pub(crate) on_delete: u8,
    pub(crate) deferrable: bool,
    pub(crate) deferred: bool,
    /// A check's expression; an exclusion constraint's definition.
    pub(crate) check: Option<String>,
    pub(crate) nulls_not_distinct: bool,
    /// The constraint's oid (its comment's key).
    pub(crate) oid: u32,
    /// `NO INHERIT` (a check).
    pub(crate) no_inherit: bool,
    /// `MATCH FULL` (a foreign key).
    pub(crate) match_full: bool,
}

impl ConstraintRow {
    pub(crate) fn decode(row: &PgRow) -> Result<Self, sqlx::Error> {
        Ok(ConstraintRow {
            table: row.try_get::<Oid, _>(0)?.0,
            name: row.try_get(1)?,
            kind: char_byte(row.try_get(2)?),
            columns: row.try_get::<Option<Vec<i16>>, _>(3)?.unwrap_or_default(),
            ref_table: row.try_get::<Oid, _>(4)?.0,
            ref_columns: row.try_get::<Option<Vec<i16>>, _>(5)?.unwrap_or_default(),
            ref_schema: row.try_get(6)?,
            ref_table_name: row.try_get(7)?,
            ref_column_names: row.try_get(8)?,
            on_update: char_byte(row.try_get(9)?),
            on_delete: char_byte(row.try_get(10)?),
            deferrable: row.try_get(11)?,
            deferred: row.try_get(12)?,
            check: row.try_get(13)?,
            nulls_not_distinct: row.try_get(14)?,
            oid: row.try_get::<Oid, _>(15)?.0,
            no_inherit: row.try_get(16)?,
            match_full: row.try_get(17)?,
        })
    }
}

/// One row of [`super::query::INDEXES_15`] / [`super::query::INDEXES_12`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IndexRow {
    pub(crate) table: u32,
    pub(crate) name: String,
    pub(crate) unique: bool,
    /// How many of `keys` are key columns; the rest are `INCLUDE` columns.
    pub(crate) key_count: i16,
    /// Attribute numbers; 0 for an expression.
    pub(crate) keys: Vec<i16>,
    /// Per key column: bit 1 = DESC, bit 2 = NULLS FIRST.
    pub(crate) options: Vec<i16>,
    pub(crate) opclasses: Vec<u32>,
    pub(crate) collations: Vec<u32>,
    pub(crate) method: String,
    pub(crate) predicate: Option<String>,
    /// Per key column: the expression, or None for a plain column.
    pub(crate) expressions: Option<Vec<Option<String>>>,
    /// The index's own oid (its comment's key).
    pub(crate) oid: u32,
    /// Storage parameters, `name=value` each.
    pub(crate) storage: Option<Vec<String>>,
    /// `NULLS NOT DISTINCT` (PostgreSQL 15+).
    pub(crate) nulls_not_distinct: bool,
}

impl IndexRow {
    pub(crate) fn decode(row: &PgRow) -> Result<Self, sqlx::Error> {
        let oids = |i: usize| -> Result<Vec<u32>, sqlx::Error> {
            Ok(row
                .try_get::<Vec<Oid>, _>(i)?
                .into_iter()
                .map(|o| o.0)
                .collect())
        };
        Ok(IndexRow {
            table: row.try_get::<Oid, _>(0)?.0,
            name: row.try_get(1)?,
            unique: row.try_get(2)?,
            key_count: row.try_get(3)?,
            keys: row.try_get(4)?,
            options: row.try_get(5)?,
            opclasses: oids(6)?,
            collations: oids(7)?,
            method: row.try_get(8)?,
            predicate: row.try_get(9)?,
            expressions: row.try_get(10)?,
            oid: row.try_get::<Oid, _>(11)?.0,
            storage: row.try_get(12)?,
            nulls_not_distinct: row.try_get(13)?,
        })
    }
}

/// One row of [`super::query::ENUMS`]: one label.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EnumLabelRow {
    pub(crate) oid: u32,
    pub(crate) namespace: u32,
    pub(crate) name: String,
    pub(crate) sort_order: f32,
    pub(crate) label: String,
}

impl EnumLabelRow {
    pub(crate) fn decode(row: &PgRow) -> Result<Self, sqlx::Error> {
        Ok(EnumLabelRow {
            oid: row.try_get::<Oid, _>(0)?.0,
            namespace: row.try_get::<Oid, _>(1)?.0,
            name: row.try_get(2)?,
            sort_order: row.try_get(3)?,
            label: row.try_get(4)?,
        })
    }
}

/// One row of [`super::query::SEQUENCES`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SequenceRow {
    pub(crate) name: String,
    pub(crate) namespace: u32,
    pub(crate) data_type: String,
    pub(crate) start: i64,
    pub(crate) increment: i64,
    pub(crate) min_value: i64,
    pub(crate) max_value: i64,
    pub(crate) cache: i64,
    pub(crate) cycle: bool,
    pub(crate) owner_table: Option<String>,
    pub(crate) owner_column: Option<String>,
    /// The sequence's oid (its comment's key).
    pub(crate) oid: u32,
    /// It implements the identity column `owner_column`.
    pub(crate) identity: bool,
}

impl SequenceRow {
    pub(crate) fn decode(row: &PgRow) -> Result<Self, sqlx::Error> {
        Ok(SequenceRow {
            name: row.try_get(0)?,
            namespace: row.try_get::<Oid, _>(1)?.0,
            data_type: row.try_get(2)?,
            start: row.try_get(3)?,
            increment: row.try_get(4)?,
            min_value: row.try_get(5)?,
            max_value: row.try_get(6)?,
            cache: row.try_get(7)?,
            cycle: row.try_get(8)?,
            owner_table: row.try_get(9)?,
            owner_column: row.try_get(10)?,
            oid: row.try_get::<Oid, _>(11)?.0,
            identity: row.try_get(12)?,
        })
    }
}

/// One row of [`super::query::COMMENTS`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CommentRow {
    /// On a type (else on a relation or, with `sub > 0`, a column).
    pub(crate) on_type: bool,
    pub(crate) object: u32,
    pub(crate) sub: i32,
    pub(crate) text: String,
    /// On a constraint.
    pub(crate) on_constraint: bool,
}

impl CommentRow {
    pub(crate) fn decode(row: &PgRow) -> Result<Self, sqlx::Error> {
        Ok(CommentRow {
            on_type: row.try_get(0)?,
            object: row.try_get::<Oid, _>(1)?.0,
            sub: row.try_get(2)?,
            text: row.try_get(3)?,
            on_constraint: row.try_get(4)?,
        })
    }
}

/// One row of [`super::query::LOOKUPS`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LookupRow {
    /// `c` collation, `o` non-default operator class, `t` type collation.
    pub(crate) kind: String,
    pub(crate) oid: u32,
    pub(crate) number: i64,
    pub(crate) name: Option<String>,
}

impl LookupRow {
    pub(crate) fn decode(row: &PgRow) -> Result<Self, sqlx::Error> {
        Ok(LookupRow {
            kind: row.try_get(0)?,
            oid: row.try_get::<Oid, _>(1)?.0,
            number: row.try_get(2)?,
            name: row.try_get(3)?,
        })
    }
}

/// One row of [`super::query::UNMODELED`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UnmodeledRow {
    pub(crate) kind: String,
    /// 0 for database-wide objects.
    pub(crate) namespace: u32,
    pub(crate) name: String,
    pub(crate) table: Option<String>,
    pub(crate) extension: Option<String>,
    pub(crate) parent: Option<String>,
    /// The statement that makes it (kinds the model compares).
    pub(crate) definition: Option<String>,
    /// The statement that removes it.
    pub(crate) drop: Option<String>,
    /// Statements that complete it.
    pub(crate) then: Vec<String>,
    /// What it depends on, as `kind␟schema␟table␟name`.
    pub(crate) depends: Vec<String>,
    pub(crate) comment: Option<String>,
}

impl UnmodeledRow {
    pub(crate) fn decode(row: &PgRow) -> Result<Self, sqlx::Error> {
        Ok(UnmodeledRow {
            kind: row.try_get(0)?,
            namespace: row.try_get::<Oid, _>(1)?.0,
            name: row.try_get(2)?,
            table: row.try_get(3)?,
            extension: row.try_get(4)?,
            parent: row.try_get(5)?,
            definition: row.try_get(6)?,
            drop: row.try_get(7)?,
            then: row
                .try_get::<Option<Vec<String>>, _>(8)?
                .unwrap_or_default(),
            depends: row
                .try_get::<Option<Vec<String>>, _>(9)?
                .unwrap_or_default(),
            comment: row.try_get(10)?,
        })
    }
}
