//! The catalog SELECTs of the PostgreSQL reader, as plain values.
//!
//! Every query is a bulk query over `pg_catalog`: its cost grows with the
//! catalog but the number of queries does not. All of them run inside a
//! transaction whose `search_path` is `pg_catalog, pg_temp` (see
//! [`EXPORT_SNAPSHOT`]), so `format_type`, `pg_get_expr`, `pg_get_viewdef` and
//! `pg_get_indexdef` print every user object schema-qualified, the same way
//! on any two databases.
//!
//! Per-row work on the server is kept cheap: names are joined in bulk,
//! column names of keys are resolved by the client from the columns query,
//! and column defaults (which cannot reference columns) are deparsed
//! without a relation context, which spares the server one relation open
//! per default.
//!
//! The queries that take `$1` expect the `oid[]` of the namespaces being
//! read, as selected from [`NAMESPACES`]; those over relations also take
//! `$2`, the `text[]` of the relation names of a scoped read (sequences:
//! also those owned by a named table), or NULL for all.

/// Whether the connection is outside any transaction: sent as a simple
/// query, its own implicit transaction starts with this message, so
/// `now()` (the start of the transaction) equals `statement_timestamp()`
/// (the receipt of the message); inside a transaction the caller opened
/// earlier it does not. It takes no lock and changes nothing, so the
/// reader can refuse before its `BEGIN` would warn, or fail and abort the
/// caller's transaction. Columns: `outside bool`.
pub(crate) const OUTSIDE_TRANSACTION: &str = "SELECT now() = statement_timestamp()";

/// Starts the read-only snapshot transaction.
pub(crate) const BEGIN: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";

/// Ends the snapshot transaction (it never wrote anything).
pub(crate) const END: &str = "ROLLBACK";

/// The statement that makes a helper connection see exactly the snapshot
/// exported by the first one. `{}` is replaced by the snapshot id, which is
/// checked by [`is_snapshot_id`] first.
pub(crate) fn begin_with_snapshot(snapshot_id: &str) -> String {
    format!(
        "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; \
         SET TRANSACTION SNAPSHOT '{snapshot_id}'; \
         SET LOCAL search_path = pg_catalog, pg_temp; \
         SET LOCAL standard_conforming_strings = on; \
         SET LOCAL jit = off"
    )
}

/// Whether `id` looks like what `pg_export_snapshot()` returns
/// (`00000003-0000001B-1`), so that it can be spliced into
/// [`begin_with_snapshot`] safely.
pub(crate) fn is_snapshot_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

/// Pins `search_path` and `standard_conforming_strings` for the rest of
/// the transaction (`set_config(…, true)` is `SET LOCAL`), turns JIT
/// compilation off (the catalog queries are large and their plans'
/// estimated costs can pass `jit_above_cost` on a big catalog: compiling
/// them took seconds, running them milliseconds), reads the server
/// version and exports the snapshot for the helper connections.
///
/// `pg_temp` is named last so that temporary objects can never shadow a
/// catalog table; no user schema is on the path, so every user type,
/// function and relation in printed expressions is schema-qualified.
/// With standard-conforming strings, printed literals are spelled the same
/// whatever the role's or database's default (`'a\'` is `a\`; with the
/// setting off PostgreSQL prints it `'a\\'`).
/// Columns: `settings text` (the pinned values), `version int4`,
/// `snapshot text`.
pub(crate) const EXPORT_SNAPSHOT: &str = "\
SELECT concat_ws('; ', set_config('search_path', 'pg_catalog, pg_temp', true),
                 set_config('standard_conforming_strings', 'on', true),
                 set_config('jit', 'off', true)),
       current_setting('server_version_num')::int4, pg_export_snapshot()";

/// [`EXPORT_SNAPSHOT`] without the export, when exporting is impossible.
/// Columns: `settings text` (the pinned values), `version int4`.
pub(crate) const VERSION: &str = "\
SELECT concat_ws('; ', set_config('search_path', 'pg_catalog, pg_temp', true),
                 set_config('standard_conforming_strings', 'on', true),
                 set_config('jit', 'off', true)),
       current_setting('server_version_num')::int4";

/// [`VERSION`] for a scoped read, which also asks for generic plans: the
/// same small queries run once per replayed migration, and planning them
/// afresh each time (the custom plans PostgreSQL otherwise keeps for some)
/// cost more than running them.
pub(crate) const VERSION_SCOPED: &str = "\
SELECT concat_ws('; ', set_config('search_path', 'pg_catalog, pg_temp', true),
                 set_config('standard_conforming_strings', 'on', true),
                 set_config('jit', 'off', true),
                 set_config('plan_cache_mode', 'force_generic_plan', true)),
       current_setting('server_version_num')::int4";

/// Every namespace, its comment, and whether an extension owns it. The
/// client picks the wanted ones (system schemas are recognised by name).
/// Columns: `oid`, `name text`, `comment text?`, `extension_owned bool`.
pub(crate) const NAMESPACES: &str = "\
SELECT n.oid, n.nspname::text, d.description,
       EXISTS (SELECT FROM pg_depend x
               WHERE x.classid = 'pg_namespace'::regclass AND x.objid = n.oid AND x.deptype = 'e')
FROM pg_namespace n
LEFT JOIN pg_description d
       ON d.objoid = n.oid AND d.classoid = 'pg_namespace'::regclass AND d.objsubid = 0";

/// `NOT EXISTS` clause excluding objects owned by an extension (pg_depend
/// deptype `e`); `$obj` is the object's oid column, `$class` its catalog.
macro_rules! not_extension_owned {
    ($obj:literal, $class:literal) => {
        concat!(
            "NOT EXISTS (SELECT FROM pg_depend x WHERE x.classid = '",
            $class,
            "'::regclass AND x.objid = ",
            $obj,
            " AND x.deptype = 'e')"
        )
    };
}

/// Condition keeping the relations of a scoped read, named in `$2` (see
/// [`crate::IntrospectOptions`]), or all of them (`full`); `$rel` is the
/// `pg_class` alias. The two spellings are two statements, so that each
/// gets a plan of its own (the scoped one an index scan on the name).
macro_rules! named {
    (full, $rel:literal) => {
        "TRUE"
    };
    (scoped, $rel:literal) => {
        concat!($rel, ".relname = ANY ($2)")
    };
}

/// Condition selecting the tables that are read, on `pg_class` alias `c`:
/// ordinary and partitioned tables (partitions too), in the wanted
/// namespaces, not owned by an extension, named in `$2` if it is given;
/// `m`: materialized views too (their columns and indexes).
macro_rules! wanted_table {
    ($m:ident) => {
        wanted_table!($m, "c.relkind IN ('r', 'p')")
    };
    ($m:ident, m) => {
        wanted_table!($m, "c.relkind IN ('r', 'p', 'm')")
    };
    ($m:ident, $kinds:literal) => {
        concat!(
            $kinds,
            " AND c.relnamespace = ANY ($1) AND ",
            named!($m, "c"),
            " AND ",
            not_extension_owned!("c.oid", "pg_class")
        )
    };
}

/// Tables (partitions too), views and materialized views (a macro over
/// the spelling of [`named`]).
/// Columns: `oid`, `namespace oid`, `name text`, `kind "char"`,
/// `view_definition text?`, `view_rule text?` (the view's stored query
/// before PostgreSQL 16, see `viewdef`), `partition_by text?`
/// (`pg_get_partkeydef`), `partition_bound text?`, `parents text?` (the
/// tables it inherits from or is a partition of, in order, as SQL names
/// relative to its schema, joined by `, `), `unlogged bool`,
/// `options text[]?` (`reloptions`, `name=value` each).
macro_rules! relations_query {
    ($m:ident) => {
        concat!(
            "\
SELECT c.oid, c.relnamespace, c.relname::text, c.relkind,
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END,
       CASE WHEN c.relkind IN ('v', 'm') AND current_setting('server_version_num')::int4 < 160000
            THEN (SELECT r.ev_action::text FROM pg_rewrite r
                  WHERE r.ev_class = c.oid AND r.rulename = '_RETURN') END,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,
       (SELECT string_agg(CASE WHEN pc.relnamespace = c.relnamespace THEN quote_ident(pc.relname)
                               ELSE quote_ident(pn.nspname) || '.' || quote_ident(pc.relname) END,
                          ', ' ORDER BY i.inhseqno)
        FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent
        JOIN pg_namespace pn ON pn.oid = pc.relnamespace
        WHERE i.inhrelid = c.oid),
       c.relpersistence = 'u',
       c.reloptions
FROM pg_class c
WHERE c.relkind IN ('r', 'p', 'v', 'm') AND c.relnamespace = ANY ($1)
  AND ",
            named!($m, "c"),
            " AND ",
            not_extension_owned!("c.oid", "pg_class")
        )
    };
}

/// [`relations_query`] of a full read.
pub(crate) const RELATIONS: &str = relations_query!(full);

/// [`relations_query`] of a scoped read.
pub(crate) const RELATIONS_SCOPED: &str = relations_query!(scoped);

/// Columns of the wanted tables and materialized views (whose indexes
/// name them).
/// Columns: `table oid`, `attnum int2`, `name text`, `type text`,
/// `type_oid oid`, `not_null bool`, `default text?`, `identity "char"`,
/// `generated "char"`, `collation oid`, `inherited bool` (`attinhcount > 0`).
///
/// A default never references a column, so it is deparsed with relation 0
/// (no relation is opened); a generation expression does, so it is
/// deparsed against its table.
macro_rules! columns_query {
    ($m:ident) => {
        concat!(
            "\
SELECT a.attrelid, a.attnum, a.attname::text, format_type(a.atttypid, a.atttypmod), a.atttypid,
       a.attnotnull,
       CASE WHEN a.atthasdef THEN
         (SELECT CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, 0)
                      ELSE pg_get_expr(d.adbin, d.adrelid) END
          FROM pg_attrdef d WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum)
       END,
       a.attidentity, a.attgenerated, a.attcollation, a.attinhcount > 0
FROM pg_class c
JOIN pg_attribute a ON a.attrelid = c.oid
WHERE a.attnum > 0 AND NOT a.attisdropped AND ",
            wanted_table!($m, m)
        )
    };
}

/// [`columns_query`] of a full read.
pub(crate) const COLUMNS: &str = columns_query!(full);

/// [`columns_query`] of a scoped read.
pub(crate) const COLUMNS_SCOPED: &str = columns_query!(scoped);

/// Primary key, unique, foreign key, check and exclusion constraints of
/// the wanted tables; `$nnd` is the expression for `NULLS NOT DISTINCT`.
/// Only those declared on the table itself (`conislocal`): the ones a
/// partition or inheritance child takes from its parent come and go with
/// the parent's. A `NOT VALID` constraint is not read: the rows it has not
/// checked may break it, so it does not stand for the expected one (an
/// online fix left it between its two steps; a rerun adds and validates it
/// again).
///
/// Constraints with a parent (`conparentid <> 0`) are the per-partition
/// clones of a foreign key that references a partitioned table; the parent
/// constraint stands for them. Referenced column names are resolved on the
/// server only when the referenced table is not among those read (another
/// schema, a partition, an extension's table); otherwise the client maps
/// attribute numbers to names from the columns query.
macro_rules! constraints_query {
    ($m:ident, $nnd:literal) => {
        concat!(
            "\
SELECT con.conrelid, con.conname::text, con.contype, con.conkey, con.confrelid, con.confkey,
       rn.nspname::text, rc.relname::text,
       CASE WHEN con.contype = 'f' AND NOT (rc.relkind IN ('r', 'p') AND NOT rc.relispartition
                                             AND rc.relnamespace = ANY ($1) AND ",
            named!($m, "rc"),
            " AND ",
            not_extension_owned!("rc.oid", "pg_class"),
            ")
            THEN ARRAY(SELECT ra.attname::text
                       FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                       JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = k.attnum
                       ORDER BY k.ord)
       END,
       con.confupdtype, con.confdeltype, con.condeferrable, con.condeferred,
       CASE con.contype WHEN 'c' THEN pg_get_expr(con.conbin, con.conrelid)
                        WHEN 'x' THEN pg_get_constraintdef(con.oid) END,
       ",
            $nnd,
            ", con.oid, con.connoinherit, con.confmatchtype = 'f'
FROM pg_class c
JOIN pg_constraint con ON con.conrelid = c.oid
LEFT JOIN pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
LEFT JOIN pg_index ui ON ui.indexrelid = con.conindid AND con.contype = 'u'
WHERE con.contype IN ('p', 'u', 'f', 'c', 'x') AND con.conparentid = 0 AND con.conislocal
  AND con.convalidated AND ",
            wanted_table!($m)
        )
    };
}

/// [`constraints_query`] for PostgreSQL 15 and later.
/// Columns: `table oid`, `name text`, `kind "char"`, `columns int2[]`,
/// `ref_table oid`, `ref_columns int2[]?`, `ref_schema text?`,
/// `ref_table_name text?`, `ref_column_names text[]?`, `on_update "char"`,
/// `on_delete "char"`, `deferrable bool`, `deferred bool`, `check text?`
/// (an exclusion constraint: its definition), `nulls_not_distinct bool`,
/// `oid oid`, `no_inherit bool`, `match_full bool`.
pub(crate) const CONSTRAINTS_15: &str =
    constraints_query!(full, "COALESCE(ui.indnullsnotdistinct, false)");

/// [`CONSTRAINTS_15`] of a scoped read.
pub(crate) const CONSTRAINTS_15_SCOPED: &str =
    constraints_query!(scoped, "COALESCE(ui.indnullsnotdistinct, false)");

/// [`CONSTRAINTS_15`] for PostgreSQL 12 to 14 (no `NULLS NOT DISTINCT`).
pub(crate) const CONSTRAINTS_12: &str = constraints_query!(full, "false");

/// [`CONSTRAINTS_12`] of a scoped read.
pub(crate) const CONSTRAINTS_12_SCOPED: &str = constraints_query!(scoped, "false");

/// Indexes of the wanted tables and materialized views that do not
/// implement a primary key, unique or exclusion constraint, nor are a
/// partition's part of an index on its partitioned table (`pg_inherits`:
/// made and dropped with the parent's), and are valid: the INVALID index a
/// failed or interrupted `CREATE INDEX CONCURRENTLY` leaves serves no
/// query and is not read (a rerun of the fix drops it and builds it again). The `int2vector` / `oidvector` columns
/// are 0-based; slicing them (`[:]`) turns them into ordinary 1-based
/// arrays that the driver decodes.
/// Columns: `table oid`, `name text`, `unique bool`, `key_count int2`,
/// `keys int2[]`, `options int2[]`, `opclasses oid[]`, `collations oid[]`,
/// `method text`, `predicate text?`, `expressions text[]?` (one entry per
/// key column, NULL where the key is a plain column), `index oid`,
/// `storage text[]?` (`reloptions`, `name=value` each), `nulls_not_distinct
/// bool` (`$nnd`: `false` before PostgreSQL 15).
macro_rules! indexes_query {
    ($m:ident, $nnd:literal) => {
        concat!(
    "\
SELECT i.indrelid, ic.relname::text, i.indisunique, i.indnkeyatts, (i.indkey::int2[])[:],
       (i.indoption::int2[])[:], (i.indclass::oid[])[:], (i.indcollation::oid[])[:], am.amname::text,
       CASE WHEN i.indpred IS NOT NULL THEN pg_get_expr(i.indpred, i.indrelid) END,
       CASE WHEN i.indexprs IS NOT NULL THEN
         ARRAY(SELECT CASE WHEN i.indkey[k - 1] = 0 THEN pg_get_indexdef(i.indexrelid, k, true) END
               FROM generate_series(1, i.indnkeyatts) AS k ORDER BY k)
       END, i.indexrelid, ic.reloptions, ",
    $nnd,
    "
FROM pg_class c
JOIN pg_index i ON i.indrelid = c.oid
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_am am ON am.oid = ic.relam
WHERE i.indisvalid AND NOT EXISTS (SELECT FROM pg_constraint k
                  WHERE k.conrelid = i.indrelid AND k.conindid = i.indexrelid
                    AND k.contype IN ('p', 'u', 'x'))
  AND NOT EXISTS (SELECT FROM pg_inherits pi WHERE pi.inhrelid = i.indexrelid)
  AND ",
    wanted_table!($m, m)
        )
    };
}

/// [`indexes_query`] of a full read, PostgreSQL 15 and later.
pub(crate) const INDEXES_15: &str = indexes_query!(full, "i.indnullsnotdistinct");

/// [`INDEXES_15`] of a scoped read.
pub(crate) const INDEXES_15_SCOPED: &str = indexes_query!(scoped, "i.indnullsnotdistinct");

/// [`INDEXES_15`] for PostgreSQL 12 to 14 (no `NULLS NOT DISTINCT`).
pub(crate) const INDEXES_12: &str = indexes_query!(full, "false");

/// [`INDEXES_12`] of a scoped read.
pub(crate) const INDEXES_12_SCOPED: &str = indexes_query!(scoped, "false");

/// Enum labels of the wanted namespaces (the client orders them).
/// Columns: `type oid`, `namespace oid`, `name text`, `sort_order float4`,
/// `label text`.
pub(crate) const ENUMS: &str = concat!(
    "\
SELECT t.oid, t.typnamespace, t.typname::text, e.enumsortorder, e.enumlabel::text
FROM pg_type t
JOIN pg_enum e ON e.enumtypid = t.oid
WHERE t.typnamespace = ANY ($1) AND ",
    not_extension_owned!("t.oid", "pg_type")
);

/// Sequences of the wanted namespaces (named in `$2`, or owned by a table
/// named there, if it is given), with the column a `serial` or `OWNED BY`
/// sequence belongs to (pg_depend deptype `a`), or the identity column a
/// sequence implements (deptype `i`).
/// Columns: `name text`, `namespace oid`, `type text`, `start int8`,
/// `increment int8`, `min int8`, `max int8`, `cache int8`, `cycle bool`,
/// `owner_table text?`, `owner_column text?`, `oid oid`, `identity bool`.
/// Condition keeping the sequences of a scoped read: named in `$2`, or
/// depending on a relation named there (owned by a table), both found by
/// index; or all of them (`full`).
macro_rules! named_sequence {
    (full) => {
        "TRUE"
    };
    (scoped) => {
        "c.oid IN (SELECT n.oid FROM pg_class n WHERE n.relname = ANY ($2) \
         UNION ALL SELECT o.objid FROM pg_class t \
         JOIN pg_depend o ON o.refclassid = 'pg_class'::regclass AND o.refobjid = t.oid \
         WHERE t.relname = ANY ($2) AND o.classid = 'pg_class'::regclass)"
    };
}

macro_rules! sequences_query {
    ($m:ident) => {
        concat!(
            "\
SELECT c.relname::text, c.relnamespace, format_type(s.seqtypid, NULL), s.seqstart,
       s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
       oc.relname::text, oa.attname::text, c.oid, d.deptype IS NOT DISTINCT FROM 'i'
FROM pg_class c
JOIN pg_sequence s ON s.seqrelid = c.oid
LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
                     AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
LEFT JOIN pg_class oc ON oc.oid = d.refobjid
LEFT JOIN pg_attribute oa ON oa.attrelid = d.refobjid AND oa.attnum = d.refobjsubid
WHERE c.relkind = 'S' AND c.relnamespace = ANY ($1)
  AND ",
            named_sequence!($m),
            " AND ",
            not_extension_owned!("c.oid", "pg_class")
        )
    };
}

/// [`sequences_query`] of a full read.
pub(crate) const SEQUENCES: &str = sequences_query!(full);

/// [`sequences_query`] of a scoped read.
pub(crate) const SEQUENCES_SCOPED: &str = sequences_query!(scoped);

/// Comments on user relations (indexes and sequences too), columns, types
/// and constraints (oids below 16384 belong to the system). Columns:
/// `on_type bool`, `object oid`, `sub int4`, `text text`,
/// `on_constraint bool`.
pub(crate) const COMMENTS: &str = "\
SELECT d.classoid = 'pg_type'::regclass, d.objoid, d.objsubid, d.description,
       d.classoid = 'pg_constraint'::regclass
FROM pg_description d
WHERE d.classoid IN ('pg_class'::regclass, 'pg_type'::regclass, 'pg_constraint'::regclass)
  AND d.objoid >= 16384";

/// The objects each extension owns (`pg_depend` deptype `e`), as `ext`:
/// the common table expression [`UNMODELED`] and [`TABLE_OBJECTS`] start
/// with.
macro_rules! ext_cte {
    () => {
        "WITH ext AS (SELECT d.classid, d.objid, e.extname::text AS extname, en.nspname::text AS extschema
             FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
             JOIN pg_namespace en ON en.oid = e.extnamespace
             WHERE d.deptype = 'e' AND d.refclassid = 'pg_extension'::regclass)"
    };
}

/// What each object of the compared kinds depends on (`pg_depend`,
/// normal and automatic dependencies on user objects), each as
/// `kind␟schema␟table␟name`; an object an extension owns is named by its
/// extension. A common table expression of [`UNMODELED`] (after `ext`),
/// joined to each kind's rows as `dp` ([`depends_on`]): one pass over
/// `pg_depend` with hash joins, where a lookup per object (two for each
/// dependency, to filter and to print it) cost a third of the whole query
/// on 5,000 triggers.
macro_rules! deps_cte {
    ($classes:literal) => {
        concat!("deps AS (
  SELECT d.classid, d.objid, array_remove(array_agg(DISTINCT r.ref), NULL) AS refs
  FROM pg_depend d
  LEFT JOIN ext xr ON xr.classid = d.refclassid AND xr.objid = d.refobjid
  LEFT JOIN pg_class c ON d.refclassid = 'pg_class'::regclass AND c.oid = d.refobjid
                       AND c.relkind IN ('r', 'p', 'v', 'm')
  LEFT JOIN pg_proc p ON d.refclassid = 'pg_proc'::regclass AND p.oid = d.refobjid
                      AND p.prokind IN ('f', 'p')
  LEFT JOIN pg_type t ON d.refclassid = 'pg_type'::regclass AND t.oid = d.refobjid
                      AND t.typtype IN ('e', 'd', 'r', 'c')
                      AND (t.typtype <> 'c' OR EXISTS (SELECT FROM pg_class rc WHERE rc.oid = t.typrelid AND rc.relkind = 'c'))
  LEFT JOIN pg_extension e ON d.refclassid = 'pg_extension'::regclass AND e.oid = d.refobjid
  LEFT JOIN pg_collation l ON d.refclassid = 'pg_collation'::regclass AND l.oid = d.refobjid
  LEFT JOIN pg_namespace n ON n.oid = COALESCE(c.relnamespace, p.pronamespace, t.typnamespace, l.collnamespace)
  CROSS JOIN LATERAL (SELECT CASE
    WHEN xr.extname IS NOT NULL THEN concat_ws(chr(31), 'extension', '', '', xr.extname)
    WHEN c.oid IS NOT NULL THEN
      CASE WHEN c.relkind IN ('v', 'm') THEN concat_ws(chr(31), 'view', n.nspname, '', c.relname)
           ELSE concat_ws(chr(31), 'table', n.nspname, c.relname, '') END
    WHEN p.oid IS NOT NULL THEN
      concat_ws(chr(31), CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END, n.nspname, '',
                p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')')
    WHEN t.oid IS NOT NULL THEN
      concat_ws(chr(31), CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain'
                         WHEN 'r' THEN 'range_type' ELSE 'composite_type' END, n.nspname, '', t.typname)
    WHEN e.oid IS NOT NULL THEN concat_ws(chr(31), 'extension', '', '', e.extname)
    WHEN l.oid IS NOT NULL THEN concat_ws(chr(31), 'collation', n.nspname, '', l.collname)
    END AS ref) r
  WHERE d.classid IN (", $classes, ")
    AND d.deptype IN ('n', 'a') AND d.refobjid >= 16384
    AND NOT (d.classid = d.refclassid AND d.objid = d.refobjid)
  GROUP BY d.classid, d.objid)")
    };
}

/// The dependencies of a row joined to [`deps_cte`] as `dp`
/// (`LEFT JOIN deps dp ON dp.classid = … AND dp.objid = …`).
macro_rules! depends_on {
    () => {
        "COALESCE(dp.refs, '{}'::text[])"
    };
}

/// Catalog objects beyond tables, views, enums and sequences, in the
/// wanted namespaces (`$1`), and the database-wide ones (namespace 0; the
/// client keeps them only when every schema is read). Those of the kinds
/// the model compares ([`driftless_model::CatalogKind::compared`]) come
/// with the statement that makes them (`pg_get_functiondef`,
/// `pg_get_triggerdef`, `pg_get_ruledef`, or assembled from catalog
/// columns the server has canonicalised), the one that removes them, the
/// statements that complete them (a disabled trigger, forced row
/// security, a comment) and what they depend on (`pg_depend`, as
/// `kind␟schema␟table␟name`; an object an extension owns is named by its
/// extension). An object an extension owns (pg_depend deptype `e`, or a
/// trigger or rule on such a table) names it and gets no definition;
/// operators and casts only when no extension owns them. Left out:
/// functions and casts a type made for itself (deptype `i`: a range
/// type's constructors), trigger clones on partitions (deptype `P` on the
/// parent's trigger) and the rules implementing views. Partitions and
/// inheritance children name their parent. An installed pg_partman is a
/// row of kind `partition manager` whose definition is its configuration
/// table as `query_to_xml` prints it (see [`super::managed`]).
/// A publication comes with its
/// tables (`FOR TABLE`, sorted, or `FOR ALL TABLES`) and what it
/// publishes; its row filters, column lists and schemas (PostgreSQL 15)
/// are not read.
/// Comments are joined from `pg_description` once per object, not read
/// through `obj_description`, a function call that costs four times as
/// much per object (measured on 5,000 triggers); the statements that
/// complete an object are an array without its NULLs, not a sorted
/// subquery per object.
/// Columns: `kind text`, `namespace oid`, `name text`, `table text?`,
/// `extension text?`, `parent text?`, `definition text?`, `drop text?`,
/// `then text[]?`, `depends text[]?`, `comment text?`.
pub(crate) const UNMODELED: &str = concat!(
    ext_cte!(),
    ",
",
    deps_cte!("'pg_proc'::regclass, 'pg_trigger'::regclass, 'pg_type'::regclass, 'pg_event_trigger'::regclass"),
    "
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
       p.pronamespace,
       CASE WHEN p.prokind IN ('f', 'p')
            THEN p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
            ELSE p.proname::text END,
       NULL::text, x.extname, NULL::text,
       CASE WHEN x.extname IS NULL AND p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) END,
       format('DROP %s %I.%I(%s)', CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
              pn.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
       ARRAY(SELECT format('COMMENT ON %s %I.%I(%s) IS %L',
                           CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
                           pn.nspname, p.proname, pg_get_function_identity_arguments(p.oid),
                           dsc.description)
             WHERE dsc.description IS NOT NULL),
       ",
    depends_on!(),
    ", dsc.description
FROM pg_proc p JOIN pg_namespace pn ON pn.oid = p.pronamespace
LEFT JOIN pg_description dsc ON dsc.objoid = p.oid AND dsc.classoid = 'pg_proc'::regclass AND dsc.objsubid = 0
LEFT JOIN deps dp ON dp.classid = 'pg_proc'::regclass AND dp.objid = p.oid
LEFT JOIN ext x ON x.classid = 'pg_proc'::regclass AND x.objid = p.oid
WHERE p.pronamespace = ANY ($1)
  AND NOT EXISTS (SELECT FROM pg_depend i WHERE i.classid = 'pg_proc'::regclass
                  AND i.objid = p.oid AND i.deptype = 'i')
UNION ALL
SELECT 'trigger', c.relnamespace, t.tgname::text, c.relname::text, COALESCE(x.extname, xc.extname), NULL,
       pg_get_triggerdef(t.oid),
       format('DROP TRIGGER %I ON %I.%I', t.tgname, cn.nspname, c.relname),
       array_remove(ARRAY[
               CASE t.tgenabled WHEN 'D' THEN format('ALTER TABLE %I.%I DISABLE TRIGGER %I', cn.nspname, c.relname, t.tgname)
                                    WHEN 'R' THEN format('ALTER TABLE %I.%I ENABLE REPLICA TRIGGER %I', cn.nspname, c.relname, t.tgname)
                                    WHEN 'A' THEN format('ALTER TABLE %I.%I ENABLE ALWAYS TRIGGER %I', cn.nspname, c.relname, t.tgname) END,
               CASE WHEN dsc.description IS NOT NULL
                        THEN format('COMMENT ON TRIGGER %I ON %I.%I IS %L', t.tgname, cn.nspname, c.relname,
                                    dsc.description) END], NULL),
       ",
    depends_on!(),
    ", dsc.description
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
LEFT JOIN pg_description dsc ON dsc.objoid = t.oid AND dsc.classoid = 'pg_trigger'::regclass AND dsc.objsubid = 0
LEFT JOIN deps dp ON dp.classid = 'pg_trigger'::regclass AND dp.objid = t.oid
LEFT JOIN ext x ON x.classid = 'pg_trigger'::regclass AND x.objid = t.oid
LEFT JOIN ext xc ON xc.classid = 'pg_class'::regclass AND xc.objid = c.oid
WHERE NOT t.tgisinternal AND c.relnamespace = ANY ($1)
  AND NOT EXISTS (SELECT FROM pg_depend pd WHERE pd.classid = 'pg_trigger'::regclass
                  AND pd.objid = t.oid AND pd.deptype = 'P')
UNION ALL
SELECT CASE WHEN c.relkind = 'f' THEN 'foreign table'
            WHEN c.relispartition THEN 'partition'
            ELSE 'inheritance child' END,
       c.relnamespace, c.relname::text, NULL, xc.extname,
       (SELECT pn.nspname || '.' || pc.relname FROM pg_inherits i
        JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace
        WHERE i.inhrelid = c.oid ORDER BY i.inhseqno LIMIT 1),
       NULL, NULL, NULL, NULL, NULL
FROM pg_class c
LEFT JOIN ext xc ON xc.classid = 'pg_class'::regclass AND xc.objid = c.oid
WHERE c.relnamespace = ANY ($1)
  AND (c.relkind = 'f' OR c.relkind IN ('r', 'p')
       AND (c.relispartition OR EXISTS (SELECT FROM pg_inherits i WHERE i.inhrelid = c.oid)))
UNION ALL
SELECT 'row security', c.relnamespace, c.relname::text, c.relname::text, xc.extname, NULL,
       format('ALTER TABLE %I.%I %s ROW LEVEL SECURITY', cn.nspname, c.relname,
              CASE WHEN c.relrowsecurity THEN 'ENABLE' ELSE 'DISABLE' END),
       format('ALTER TABLE %I.%I DISABLE ROW LEVEL SECURITY, NO FORCE ROW LEVEL SECURITY', cn.nspname, c.relname),
       ARRAY(SELECT format('ALTER TABLE %I.%I FORCE ROW LEVEL SECURITY', cn.nspname, c.relname)
             WHERE c.relforcerowsecurity),
       ARRAY[concat_ws(chr(31), 'table', cn.nspname, c.relname, '')], NULL
FROM pg_class c JOIN pg_namespace cn ON cn.oid = c.relnamespace
LEFT JOIN ext xc ON xc.classid = 'pg_class'::regclass AND xc.objid = c.oid
WHERE (c.relrowsecurity OR c.relforcerowsecurity) AND c.relnamespace = ANY ($1)
UNION ALL
SELECT 'extension', e.extnamespace, e.extname::text, NULL, NULL, NULL,
       format('CREATE EXTENSION IF NOT EXISTS %I WITH SCHEMA %I VERSION %L', e.extname, en.nspname, e.extversion),
       format('DROP EXTENSION %I', e.extname),
       NULL, NULL, NULL
FROM pg_extension e JOIN pg_namespace en ON en.oid = e.extnamespace WHERE e.extnamespace = ANY ($1)
UNION ALL
SELECT CASE t.typtype WHEN 'd' THEN 'domain' WHEN 'r' THEN 'range type'
                      WHEN 'c' THEN 'composite type' ELSE 'base type' END,
       t.typnamespace, t.typname::text, NULL, x.extname, NULL,
       CASE WHEN x.extname IS NOT NULL THEN NULL
            WHEN t.typtype = 'd' THEN
              format('CREATE DOMAIN %I.%I AS %s', tn.nspname, t.typname, format_type(t.typbasetype, t.typtypmod))
              || COALESCE((SELECT ' COLLATE ' || quote_ident(cn.nspname) || '.' || quote_ident(l.collname)
                           FROM pg_collation l JOIN pg_namespace cn ON cn.oid = l.collnamespace
                           JOIN pg_type bt ON bt.oid = t.typbasetype
                           WHERE l.oid = t.typcollation AND t.typcollation <> bt.typcollation), '')
              || COALESCE(' DEFAULT ' || t.typdefault, '')
              || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END
              || COALESCE((SELECT string_agg(' CONSTRAINT ' || quote_ident(k.conname) || ' '
                                             || pg_get_constraintdef(k.oid), '' ORDER BY k.conname)
                           FROM pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'c'), '')
            WHEN t.typtype = 'c' THEN
              format('CREATE TYPE %I.%I AS (%s)', tn.nspname, t.typname,
                     (SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod),
                                        ', ' ORDER BY a.attnum)
                      FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped))
            WHEN t.typtype = 'r' THEN
              (SELECT format('CREATE TYPE %I.%I AS RANGE (SUBTYPE = %s%s%s%s%s)', tn.nspname, t.typname,
                             format_type(g.rngsubtype, NULL),
                             CASE WHEN NOT o.opcdefault THEN ', SUBTYPE_OPCLASS = ' || quote_ident(on_.nspname) || '.' || quote_ident(o.opcname) ELSE '' END,
                             CASE WHEN g.rngcollation <> 0 AND g.rngcollation <> st.typcollation
                                  THEN ', COLLATION = ' || g.rngcollation::regcollation::text ELSE '' END,
                             CASE WHEN g.rngcanonical <> 0 THEN ', CANONICAL = ' || g.rngcanonical::regproc::text ELSE '' END,
                             CASE WHEN g.rngsubdiff <> 0 THEN ', SUBTYPE_DIFF = ' || g.rngsubdiff::regproc::text ELSE '' END)
               FROM pg_range g JOIN pg_opclass o ON o.oid = g.rngsubopc JOIN pg_namespace on_ ON on_.oid = o.opcnamespace
               JOIN pg_type st ON st.oid = g.rngsubtype WHERE g.rngtypid = t.oid)
       END,
       format('DROP %s %I.%I', CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, tn.nspname, t.typname),
       ARRAY(SELECT format('COMMENT ON %s %I.%I IS %L', CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END,
                           tn.nspname, t.typname, dsc.description)
             WHERE dsc.description IS NOT NULL),
       ",
    depends_on!(),
    ", dsc.description
FROM pg_type t JOIN pg_namespace tn ON tn.oid = t.typnamespace
LEFT JOIN pg_description dsc ON dsc.objoid = t.oid AND dsc.classoid = 'pg_type'::regclass AND dsc.objsubid = 0
LEFT JOIN deps dp ON dp.classid = 'pg_type'::regclass AND dp.objid = t.oid
LEFT JOIN ext x ON x.classid = 'pg_type'::regclass AND x.objid = t.oid
WHERE t.typnamespace = ANY ($1) AND t.typtype IN ('b', 'c', 'd', 'r') AND t.typcategory <> 'A'
  AND (t.typtype <> 'c' OR EXISTS (SELECT FROM pg_class r WHERE r.oid = t.typrelid AND r.relkind = 'c'))
UNION ALL
SELECT 'collation', l.collnamespace, l.collname::text, NULL, x.extname, NULL,
       CASE WHEN x.extname IS NOT NULL THEN NULL
            WHEN l.collprovider = 'c' THEN
              format('CREATE COLLATION %I.%I (provider = libc, lc_collate = %L, lc_ctype = %L)',
                     ln.nspname, l.collname, to_jsonb(l) ->> 'collcollate', to_jsonb(l) ->> 'collctype')
            ELSE format('CREATE COLLATION %I.%I (provider = %s, locale = %L, deterministic = %s%s)',
                        ln.nspname, l.collname, CASE l.collprovider WHEN 'i' THEN 'icu' ELSE 'builtin' END,
                        COALESCE(to_jsonb(l) ->> 'colllocale', to_jsonb(l) ->> 'colliculocale',
                                 to_jsonb(l) ->> 'collcollate'),
                        CASE WHEN l.collisdeterministic THEN 'true' ELSE 'false' END,
                        COALESCE(', rules = ' || quote_literal(to_jsonb(l) ->> 'collicurules'), ''))
       END,
       format('DROP COLLATION %I.%I', ln.nspname, l.collname),
       ARRAY(SELECT format('COMMENT ON COLLATION %I.%I IS %L', ln.nspname, l.collname,
                           dsc.description)
             WHERE dsc.description IS NOT NULL),
       NULL, dsc.description
FROM pg_collation l JOIN pg_namespace ln ON ln.oid = l.collnamespace
LEFT JOIN pg_description dsc ON dsc.objoid = l.oid AND dsc.classoid = 'pg_collation'::regclass AND dsc.objsubid = 0
LEFT JOIN ext x ON x.classid = 'pg_collation'::regclass AND x.objid = l.oid
WHERE l.collnamespace = ANY ($1)
UNION ALL
SELECT 'partition manager', 0, e.extname::text, NULL, NULL, NULL,
       CASE WHEN has_table_privilege(format('%I.part_config', en.nspname), 'SELECT')
            THEN query_to_xml(format('SELECT * FROM %I.part_config', en.nspname), false, false, '')::text END,
       NULL, NULL, NULL, NULL
FROM pg_extension e JOIN pg_namespace en ON en.oid = e.extnamespace
WHERE e.extname = 'pg_partman' AND to_regclass(format('%I.part_config', en.nspname)) IS NOT NULL
UNION ALL
SELECT 'statistics', s.stxnamespace, s.stxname::text, NULL, x.extname, NULL, NULL, NULL, NULL, NULL, NULL
FROM pg_statistic_ext s LEFT JOIN ext x ON x.classid = 'pg_statistic_ext'::regclass AND x.objid = s.oid
WHERE s.stxnamespace = ANY ($1)
UNION ALL
SELECT 'operator', o.oprnamespace, o.oprname::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM pg_operator o
WHERE o.oprnamespace = ANY ($1)
  AND NOT EXISTS (SELECT FROM ext x WHERE x.classid = 'pg_operator'::regclass AND x.objid = o.oid)
UNION ALL
SELECT 'cast', 0, format('%s AS %s', k.castsource::regtype, k.casttarget::regtype), NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL
FROM pg_cast k
WHERE k.oid >= 16384
  AND NOT EXISTS (SELECT FROM pg_depend i WHERE i.classid = 'pg_cast'::regclass
                  AND i.objid = k.oid AND i.deptype = 'i')
  AND NOT EXISTS (SELECT FROM ext x WHERE x.classid = 'pg_cast'::regclass AND x.objid = k.oid)
UNION ALL
SELECT 'event trigger', 0, v.evtname::text, NULL, x.extname, NULL,
       format('CREATE EVENT TRIGGER %I ON %s%s EXECUTE FUNCTION %s()', v.evtname, v.evtevent,
              CASE WHEN v.evttags IS NOT NULL
                   THEN ' WHEN TAG IN (' || (SELECT string_agg(quote_literal(g), ', ' ORDER BY g)
                                             FROM unnest(v.evttags) g) || ')' ELSE '' END,
              v.evtfoid::regproc),
       format('DROP EVENT TRIGGER %I', v.evtname),
       array_remove(ARRAY[
               CASE v.evtenabled WHEN 'D' THEN format('ALTER EVENT TRIGGER %I DISABLE', v.evtname)
                                     WHEN 'R' THEN format('ALTER EVENT TRIGGER %I ENABLE REPLICA', v.evtname)
                                     WHEN 'A' THEN format('ALTER EVENT TRIGGER %I ENABLE ALWAYS', v.evtname) END,
               CASE WHEN dsc.description IS NOT NULL
                        THEN format('COMMENT ON EVENT TRIGGER %I IS %L', v.evtname,
                                    dsc.description) END], NULL),
       ",
    depends_on!(),
    ", dsc.description
FROM pg_event_trigger v LEFT JOIN ext x ON x.classid = 'pg_event_trigger'::regclass AND x.objid = v.oid
LEFT JOIN pg_description dsc ON dsc.objoid = v.oid AND dsc.classoid = 'pg_event_trigger'::regclass AND dsc.objsubid = 0
LEFT JOIN deps dp ON dp.classid = 'pg_event_trigger'::regclass AND dp.objid = v.oid
UNION ALL
SELECT 'foreign data wrapper', 0, w.fdwname::text, NULL, x.extname, NULL, NULL, NULL, NULL, NULL, NULL
FROM pg_foreign_data_wrapper w
LEFT JOIN ext x ON x.classid = 'pg_foreign_data_wrapper'::regclass AND x.objid = w.oid
UNION ALL
SELECT 'foreign server', 0, f.srvname::text, NULL, x.extname, NULL, NULL, NULL, NULL, NULL, NULL
FROM pg_foreign_server f LEFT JOIN ext x ON x.classid = 'pg_foreign_server'::regclass AND x.objid = f.oid
UNION ALL
SELECT 'publication', 0, b.pubname::text, NULL, x.extname, NULL,
       format('CREATE PUBLICATION %I%s WITH (publish = %L%s)', b.pubname,
              CASE WHEN b.puballtables THEN ' FOR ALL TABLES'
                   ELSE COALESCE(' FOR TABLE ' || (SELECT string_agg(format('%I.%I', pn.nspname, pc.relname), ', '
                                                                     ORDER BY pn.nspname, pc.relname)
                                                   FROM pg_publication_rel pr JOIN pg_class pc ON pc.oid = pr.prrelid
                                                   JOIN pg_namespace pn ON pn.oid = pc.relnamespace
                                                   WHERE pr.prpubid = b.oid), '') END,
              concat_ws(', ', CASE WHEN b.pubinsert THEN 'insert' END, CASE WHEN b.pubupdate THEN 'update' END,
                        CASE WHEN b.pubdelete THEN 'delete' END, CASE WHEN b.pubtruncate THEN 'truncate' END),
              CASE WHEN to_jsonb(b) ->> 'pubviaroot' = 'true' THEN ', publish_via_partition_root = true' ELSE '' END),
       format('DROP PUBLICATION %I', b.pubname),
       ARRAY(SELECT format('COMMENT ON PUBLICATION %I IS %L', b.pubname, dsc.description)
             WHERE dsc.description IS NOT NULL),
       ARRAY(SELECT concat_ws(chr(31), 'table', pn.nspname, pc.relname, '')
             FROM pg_publication_rel pr JOIN pg_class pc ON pc.oid = pr.prrelid
             JOIN pg_namespace pn ON pn.oid = pc.relnamespace
             WHERE pr.prpubid = b.oid ORDER BY 1),
       dsc.description
FROM pg_publication b LEFT JOIN ext x ON x.classid = 'pg_publication'::regclass AND x.objid = b.oid
LEFT JOIN pg_description dsc ON dsc.objoid = b.oid AND dsc.classoid = 'pg_publication'::regclass AND dsc.objsubid = 0
UNION ALL
SELECT 'subscription', 0, u.subname::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM pg_subscription u
WHERE u.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
);

/// The policies and rules of the wanted namespaces (`$1`), as rows of
/// [`UNMODELED`]. A query of its own, run on the connection that has read
/// the constraints and indexes: printing a policy's expressions opens its
/// table, and that backend has the table's relation cache entry already
/// (measured on 1,250 policies: half the cost of a fresh backend's).
pub(crate) const TABLE_OBJECTS: &str = concat!(
    ext_cte!(),
    ",
",
    deps_cte!("'pg_policy'::regclass, 'pg_rewrite'::regclass"),
    "
SELECT 'policy', c.relnamespace, pol.polname::text, c.relname::text, xc.extname, NULL,
       format('CREATE POLICY %I ON %I.%I AS %s FOR %s TO %s%s%s', pol.polname, cn.nspname, c.relname,
              CASE WHEN pol.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
              CASE pol.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                              WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
              CASE WHEN pol.polroles = '{0}' THEN 'PUBLIC'
                   ELSE (SELECT string_agg(quote_ident(a.rolname), ', ' ORDER BY a.rolname)
                         FROM pg_roles a WHERE a.oid = ANY (pol.polroles)) END,
              ' USING (' || pg_get_expr(pol.polqual, pol.polrelid) || ')',
              ' WITH CHECK (' || pg_get_expr(pol.polwithcheck, pol.polrelid) || ')'),
       format('DROP POLICY %I ON %I.%I', pol.polname, cn.nspname, c.relname),
       ARRAY(SELECT format('COMMENT ON POLICY %I ON %I.%I IS %L', pol.polname, cn.nspname, c.relname,
                           dsc.description)
             WHERE dsc.description IS NOT NULL),
       ",
    depends_on!(),
    ", dsc.description
FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
LEFT JOIN pg_description dsc ON dsc.objoid = pol.oid AND dsc.classoid = 'pg_policy'::regclass AND dsc.objsubid = 0
LEFT JOIN deps dp ON dp.classid = 'pg_policy'::regclass AND dp.objid = pol.oid
LEFT JOIN ext xc ON xc.classid = 'pg_class'::regclass AND xc.objid = c.oid
WHERE c.relnamespace = ANY ($1)
UNION ALL
SELECT 'rule', c.relnamespace, r.rulename::text, c.relname::text, xc.extname, NULL,
       rtrim(pg_get_ruledef(r.oid), ';'),
       format('DROP RULE %I ON %I.%I', r.rulename, cn.nspname, c.relname),
       array_remove(ARRAY[
               CASE r.ev_enabled WHEN 'D' THEN format('ALTER TABLE %I.%I DISABLE RULE %I', cn.nspname, c.relname, r.rulename) END,
               CASE WHEN dsc.description IS NOT NULL
                        THEN format('COMMENT ON RULE %I ON %I.%I IS %L', r.rulename, cn.nspname, c.relname,
                                    dsc.description) END], NULL),
       ",
    depends_on!(),
    ", dsc.description
FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace cn ON cn.oid = c.relnamespace
LEFT JOIN pg_description dsc ON dsc.objoid = r.oid AND dsc.classoid = 'pg_rewrite'::regclass AND dsc.objsubid = 0
LEFT JOIN deps dp ON dp.classid = 'pg_rewrite'::regclass AND dp.objid = r.oid
LEFT JOIN ext xc ON xc.classid = 'pg_class'::regclass AND xc.objid = c.oid
WHERE r.rulename <> '_RETURN' AND c.relnamespace = ANY ($1)"
);

/// Privileges (read by every full read; compared with
/// `IntrospectOptions::privileges`, listed as not compared otherwise):
/// the grants on the relations, columns, routines and schemas of the
/// wanted namespaces (`$1`), each as it differs from the object's
/// baseline, its initial privileges (`pg_init_privs`: what `initdb` or an
/// extension set) or else the built-in default for its owner
/// (`acldefault`): a privilege granted beyond it (`GRANT … TO …`, the
/// grant option with it) or one of it revoked (`REVOKE … FROM …`), the
/// grantor and the owner's own privileges left out (owners are not
/// compared). Then the default privileges (`pg_default_acl`): those of a
/// schema as granted, the database-wide ones as they differ from the
/// built-in default. Then the name of every role, to tell a grant to a
/// role the server lacks. Objects an extension owns are left out.
/// Columns as [`UNMODELED`]: `kind` (`privilege`, `default privilege`,
/// `role`), `namespace oid` (0: database-wide), `name` (`SELECT to
/// reader`, `UPDATE (email) to reader`, `EXECUTE revoked from PUBLIC`,
/// `for app: SELECT on tables to reader`), `table` (the relation or
/// routine signature it is on; none for a schema), no extension or
/// parent, `definition` (the `GRANT`, `REVOKE` or `ALTER DEFAULT
/// PRIVILEGES` that makes it), `drop` (the one that undoes it), no
/// `then`, `depends` (the object, the roles it names), no comment.
pub(crate) const PRIVILEGES: &str = "\
WITH ext AS (SELECT d.classid, d.objid FROM pg_depend d
             WHERE d.deptype = 'e' AND d.refclassid = 'pg_extension'::regclass),
acl_objects AS (
SELECT c.relnamespace AS ns, c.relname::text AS tbl, NULL::text AS col,
       CASE c.relkind WHEN 'S' THEN 'SEQUENCE ' ELSE 'TABLE ' END || format('%I.%I', n.nspname, c.relname) AS target,
       c.relacl AS acl,
       COALESCE((SELECT i.initprivs FROM pg_init_privs i WHERE i.objoid = c.oid AND i.classoid = 'pg_class'::regclass
                 AND i.objsubid = 0), acldefault(CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::\"char\", c.relowner)) AS base,
       CASE WHEN c.relkind IN ('v', 'm') THEN concat_ws(chr(31), 'view', n.nspname, '', c.relname)
            WHEN c.relkind = 'S' THEN concat_ws(chr(31), 'sequence', n.nspname, '', c.relname)
            ELSE concat_ws(chr(31), 'table', n.nspname, c.relname, '') END AS dep
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relacl IS NOT NULL AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND c.relnamespace = ANY ($1)
  AND NOT EXISTS (SELECT FROM ext x WHERE x.classid = 'pg_class'::regclass AND x.objid = c.oid)
UNION ALL
SELECT c.relnamespace, c.relname::text, a.attname::text,
       format('TABLE %I.%I', n.nspname, c.relname), a.attacl,
       COALESCE((SELECT i.initprivs FROM pg_init_privs i WHERE i.objoid = c.oid AND i.classoid = 'pg_class'::regclass
                 AND i.objsubid = a.attnum), acldefault('c', c.relowner)),
       concat_ws(chr(31), 'column', n.nspname, c.relname, a.attname)
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped AND c.relnamespace = ANY ($1)
  AND NOT EXISTS (SELECT FROM ext x WHERE x.classid = 'pg_class'::regclass AND x.objid = c.oid)
UNION ALL
SELECT p.pronamespace, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', NULL,
       format('%s %I.%I(%s)', CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
              n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
       p.proacl,
       COALESCE((SELECT i.initprivs FROM pg_init_privs i WHERE i.objoid = p.oid AND i.classoid = 'pg_proc'::regclass
                 AND i.objsubid = 0), acldefault('f', p.proowner)),
       concat_ws(chr(31), CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END, n.nspname, '',
                 p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')')
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE p.proacl IS NOT NULL AND p.prokind IN ('f', 'p') AND p.pronamespace = ANY ($1)
  AND NOT EXISTS (SELECT FROM ext x WHERE x.classid = 'pg_proc'::regclass AND x.objid = p.oid)
UNION ALL
SELECT n.oid, NULL, NULL, format('SCHEMA %I', n.nspname), n.nspacl,
       COALESCE((SELECT i.initprivs FROM pg_init_privs i WHERE i.objoid = n.oid AND i.classoid = 'pg_namespace'::regclass
                 AND i.objsubid = 0), acldefault('n', n.nspowner)),
       NULL
FROM pg_namespace n
WHERE n.nspacl IS NOT NULL AND n.oid = ANY ($1)
),
diffs AS (
SELECT o.*, g.grantee, g.privilege_type AS privilege, g.grantable, g.revoked
FROM acl_objects o
CROSS JOIN LATERAL (
  SELECT e.grantee, e.privilege_type, bool_or(e.is_grantable) AS grantable, false AS revoked
  FROM aclexplode(o.acl) e
  WHERE NOT EXISTS (SELECT FROM aclexplode(o.base) d
                    WHERE d.grantee = e.grantee AND d.privilege_type = e.privilege_type
                      AND d.is_grantable = e.is_grantable)
  GROUP BY e.grantee, e.privilege_type
  UNION ALL
  SELECT d.grantee, d.privilege_type, false, true
  FROM aclexplode(o.base) d
  WHERE NOT EXISTS (SELECT FROM aclexplode(o.acl) e
                    WHERE e.grantee = d.grantee AND e.privilege_type = d.privilege_type)
) g
),
named AS (
SELECT d.*, CASE WHEN d.grantee = 0 THEN 'PUBLIC' ELSE COALESCE(r.rolname::text, d.grantee::text) END AS who,
       CASE WHEN d.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(COALESCE(r.rolname::text, d.grantee::text)) END AS who_sql,
       d.privilege || COALESCE(' (' || quote_ident(d.col) || ')', '') AS what
FROM diffs d LEFT JOIN pg_roles r ON r.oid = d.grantee
)
SELECT 'privilege', ns,
       what || CASE WHEN revoked THEN ' revoked from ' ELSE ' to ' END || who,
       tbl, NULL::text, NULL::text,
       CASE WHEN revoked THEN format('REVOKE %s ON %s FROM %s', what, target, who_sql)
            ELSE format('GRANT %s ON %s TO %s%s', what, target, who_sql,
                        CASE WHEN grantable THEN ' WITH GRANT OPTION' ELSE '' END) END,
       CASE WHEN revoked THEN format('GRANT %s ON %s TO %s', what, target, who_sql)
            ELSE format('REVOKE %s ON %s FROM %s%s', what, target, who_sql,
                        CASE WHEN grantable THEN ' CASCADE' ELSE '' END) END,
       NULL::text[],
       ARRAY_REMOVE(ARRAY[dep, CASE WHEN grantee <> 0 THEN concat_ws(chr(31), 'role', '', '', who) END], NULL),
       NULL::text
FROM named
UNION ALL
SELECT 'default privilege', da.defaclnamespace,
       format('for %s: %s on %s %s %s', fr.rolname, g.privilege_type, da.kinds,
              CASE WHEN g.revoked THEN 'revoked from' ELSE 'to' END,
              CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE COALESCE(r.rolname::text, g.grantee::text) END),
       NULL, NULL, NULL,
       format('ALTER DEFAULT PRIVILEGES FOR ROLE %s%s %s %s ON %s %s %s%s', da.for_role, da.in_schema,
              CASE WHEN g.revoked THEN 'REVOKE' ELSE 'GRANT' END, g.privilege_type, upper(da.kinds),
              CASE WHEN g.revoked THEN 'FROM' ELSE 'TO' END, g.who_sql,
              CASE WHEN g.grantable THEN ' WITH GRANT OPTION' ELSE '' END),
       format('ALTER DEFAULT PRIVILEGES FOR ROLE %s%s %s %s ON %s %s %s', da.for_role, da.in_schema,
              CASE WHEN g.revoked THEN 'GRANT' ELSE 'REVOKE' END, g.privilege_type, upper(da.kinds),
              CASE WHEN g.revoked THEN 'TO' ELSE 'FROM' END, g.who_sql),
       NULL,
       ARRAY_REMOVE(ARRAY[concat_ws(chr(31), 'role', '', '', fr.rolname),
                          CASE WHEN g.grantee <> 0 THEN concat_ws(chr(31), 'role', '', '', COALESCE(r.rolname::text, g.grantee::text)) END], NULL),
       NULL
FROM (SELECT a.*, CASE a.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences' WHEN 'f' THEN 'functions'
                                       WHEN 'T' THEN 'types' ELSE 'schemas' END AS kinds,
             CASE a.defaclobjtype WHEN 'S' THEN 's' ELSE a.defaclobjtype END::\"char\" AS objtype,
             '\"' || replace((SELECT rolname FROM pg_roles WHERE oid = a.defaclrole), '\"', '\"\"') || '\"' AS for_role,
             COALESCE((SELECT ' IN SCHEMA \"' || replace(n.nspname, '\"', '\"\"') || '\"'
                       FROM pg_namespace n WHERE n.oid = a.defaclnamespace), '') AS in_schema
      FROM pg_default_acl a
      WHERE a.defaclnamespace = 0 OR a.defaclnamespace = ANY ($1)) da
JOIN pg_roles fr ON fr.oid = da.defaclrole
CROSS JOIN LATERAL (
  SELECT e.grantee, e.privilege_type, bool_or(e.is_grantable) AS grantable, false AS revoked,
         CASE WHEN e.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(COALESCE((SELECT rolname FROM pg_roles WHERE oid = e.grantee)::text, e.grantee::text)) END AS who_sql
  FROM aclexplode(da.defaclacl) e
  WHERE da.defaclnamespace <> 0
     OR NOT EXISTS (SELECT FROM aclexplode(acldefault(da.objtype, da.defaclrole)) d
                    WHERE d.grantee = e.grantee AND d.privilege_type = e.privilege_type
                      AND d.is_grantable = e.is_grantable)
  GROUP BY e.grantee, e.privilege_type
  UNION ALL
  SELECT d.grantee, d.privilege_type, false, true,
         CASE WHEN d.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(COALESCE((SELECT rolname FROM pg_roles WHERE oid = d.grantee)::text, d.grantee::text)) END
  FROM aclexplode(acldefault(da.objtype, da.defaclrole)) d
  WHERE da.defaclnamespace = 0
    AND NOT EXISTS (SELECT FROM aclexplode(da.defaclacl) e
                    WHERE e.grantee = d.grantee AND e.privilege_type = d.privilege_type)
) g
LEFT JOIN pg_roles r ON r.oid = g.grantee
UNION ALL
SELECT 'role', 0, r.rolname::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM pg_roles r";

/// Small lookup tables: collation names (`c`), names of non-default
/// operator classes (`o`), and the default collation of collatable types
/// (`t`, in `number`). Names outside `pg_catalog` are schema-qualified.
/// Columns: `kind text`, `oid`, `number int8`, `name text?`.
pub(crate) const LOOKUPS: &str = "\
SELECT 'c', l.oid, 0::int8,
       CASE WHEN n.nspname = 'pg_catalog' THEN l.collname::text
            ELSE n.nspname || '.' || l.collname END
FROM pg_collation l JOIN pg_namespace n ON n.oid = l.collnamespace
UNION ALL
SELECT 'o', o.oid, 0::int8,
       CASE WHEN n.nspname = 'pg_catalog' THEN o.opcname::text
            ELSE n.nspname || '.' || o.opcname END
FROM pg_opclass o JOIN pg_namespace n ON n.oid = o.opcnamespace
WHERE NOT o.opcdefault
UNION ALL
SELECT 't', t.oid, t.typcollation::int8, NULL
FROM pg_type t
WHERE t.typcollation <> 0";

/// [`LOOKUPS`] for a scoped read: only the collations, operator classes
/// and types that the columns and indexes of the relations named in `$1`
/// (`text[]`) use, instead of every collation of the server (hundreds with
/// ICU) once per replayed migration.
pub(crate) const LOOKUPS_SCOPED: &str = "\
WITH rel AS (SELECT c.oid FROM pg_class c WHERE c.relname = ANY ($1)),
     att AS (SELECT a.atttypid, a.attcollation FROM pg_attribute a WHERE a.attrelid IN (SELECT oid FROM rel)),
     idx AS (SELECT i.indclass, i.indcollation FROM pg_index i WHERE i.indrelid IN (SELECT oid FROM rel))
SELECT 'c', l.oid, 0::int8,
       CASE WHEN n.nspname = 'pg_catalog' THEN l.collname::text
            ELSE n.nspname || '.' || l.collname END
FROM pg_collation l JOIN pg_namespace n ON n.oid = l.collnamespace
WHERE l.oid IN (SELECT attcollation FROM att UNION SELECT unnest(indcollation::oid[]) FROM idx)
UNION ALL
SELECT 'o', o.oid, 0::int8,
       CASE WHEN n.nspname = 'pg_catalog' THEN o.opcname::text
            ELSE n.nspname || '.' || o.opcname END
FROM pg_opclass o JOIN pg_namespace n ON n.oid = o.opcnamespace
WHERE NOT o.opcdefault AND o.oid IN (SELECT unnest(indclass::oid[]) FROM idx)
UNION ALL
SELECT 't', t.oid, t.typcollation::int8, NULL
FROM pg_type t
WHERE t.typcollation <> 0 AND t.oid IN (SELECT atttypid FROM att)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_ids_are_checked_before_splicing() {
        assert!(is_snapshot_id("00000003-0000001B-1"));
        assert!(!is_snapshot_id(""));
        assert!(!is_snapshot_id("1'; DROP TABLE x; --"));
        assert_eq!(
            begin_with_snapshot("00000003-0000001B-1"),
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; \
             SET TRANSACTION SNAPSHOT '00000003-0000001B-1'; \
             SET LOCAL search_path = pg_catalog, pg_temp; \
             SET LOCAL standard_conforming_strings = on; \
             SET LOCAL jit = off"
        );
    }

    #[test]
    fn bulk_queries_filter_by_namespace_and_extension() {
        for q in [
            RELATIONS,
            COLUMNS,
            CONSTRAINTS_15,
            CONSTRAINTS_12,
            INDEXES_15,
            INDEXES_12,
            ENUMS,
            SEQUENCES,
        ] {
            assert!(q.contains("= ANY ($1)"), "{q}");
            assert!(q.contains("x.deptype = 'e'"), "{q}");
            assert!(!q.contains("$2"), "{q}");
        }
        for q in [
            RELATIONS_SCOPED,
            COLUMNS_SCOPED,
            CONSTRAINTS_15_SCOPED,
            CONSTRAINTS_12_SCOPED,
            INDEXES_15_SCOPED,
            INDEXES_12_SCOPED,
            SEQUENCES_SCOPED,
        ] {
            assert!(q.contains("relname = ANY ($2)"), "{q}");
            assert!(q.contains("= ANY ($1)"), "{q}");
        }
        assert!(UNMODELED.contains("= ANY ($1)") && UNMODELED.contains("deptype = 'e'"));
        assert!(!UNMODELED.contains("$2"));
        assert!(CONSTRAINTS_15.contains("indnullsnotdistinct"));
        assert!(!CONSTRAINTS_12.contains("indnullsnotdistinct"));
        assert!(INDEXES_15.contains("indnullsnotdistinct"));
        assert!(!INDEXES_12.contains("indnullsnotdistinct"));
    }
}
