//! An independent description of a PostgreSQL catalog, written apart from
//! driftless's own introspection, to judge conformance cases: a set of facts
//! that ignores column order, owners and auto-generated constraint names.

use std::collections::BTreeSet;

use sqlx::{Connection, PgConnection, Row};

use crate::cases::Case;

/// Schemas a fact may come from: not system, not owned by an extension.
const SCHEMA_FILTER: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'";

fn not_extension(oid: &str) -> String {
    format!("NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = {oid} AND d.deptype = 'e')")
}

/// Every fact the comparison looks at, as sorted text lines.
pub async fn fingerprint(url: &str, case: &Case) -> Result<BTreeSet<String>, sqlx::Error> {
    let (schemas, exclude) = (&case.schemas, &case.exclude);
    let mut c = PgConnection::connect(url).await?;
    sqlx::raw_sql("SET search_path = pg_catalog")
        .execute(&mut c)
        .await?;
    let mut filter = SCHEMA_FILTER.to_string();
    if !schemas.is_empty() {
        filter.push_str(&format!(
            " AND n.nspname = ANY('{{{}}}')",
            schemas.join(",")
        ));
    }
    if !exclude.is_empty() {
        filter.push_str(&format!(
            " AND NOT n.nspname = ANY('{{{}}}')",
            exclude.join(",")
        ));
    }
    let queries: Vec<(&str, String)> = vec![
        ("schema", format!(
            "SELECT n.nspname FROM pg_namespace n WHERE {filter} AND {}", not_extension("n.oid"))),
        ("relation", format!(
            "SELECT n.nspname || '.' || c.relname || ' kind=' || c.relkind::text || ' persistence=' || c.relpersistence::text \
             || ' rls=' || c.relrowsecurity || ' partition=' || coalesce(pg_get_expr(c.relpartbound, c.oid), '') \
             || ' partkey=' || coalesce(pg_get_partkeydef(c.oid), '') \
             || ' inherits=' || coalesce((SELECT string_agg(i.inhparent::regclass::text, ',' ORDER BY i.inhseqno) FROM pg_inherits i WHERE i.inhrelid = c.oid), '') \
             || ' comment=' || coalesce(obj_description(c.oid, 'pg_class'), '') \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {filter} AND {}", not_extension("c.oid"))),
        ("column", format!(
            "SELECT n.nspname || '.' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) \
             || ' notnull=' || a.attnotnull || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') \
             || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text \
             || ' collation=' || coalesce((SELECT co.collname FROM pg_collation co WHERE co.oid = a.attcollation AND a.attcollation <> t.typcollation), '') \
             || ' comment=' || coalesce(col_description(c.oid, a.attnum), '') \
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_type t ON t.oid = a.atttypid \
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {filter} AND {}",
            not_extension("c.oid"))),
        ("constraint", format!(
            "SELECT n.nspname || '.' || coalesce(r.relname, ty.typname) || ' ' || con.contype::text || ' ' || pg_get_constraintdef(con.oid) \
             || ' deferrable=' || con.condeferrable || ' deferred=' || con.condeferred \
             FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace \
             LEFT JOIN pg_class r ON r.oid = con.conrelid LEFT JOIN pg_type ty ON ty.oid = con.contypid \
             WHERE {filter} AND con.conislocal")),
        ("index", format!(
            "SELECT n.nspname || '.' || t.relname || ' ' || regexp_replace(pg_get_indexdef(i.indexrelid), '^CREATE (UNIQUE )?INDEX \\S+ ON ', 'CREATE \\1INDEX ON ') \
             FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid \
             JOIN pg_namespace n ON n.oid = ic.relnamespace \
             WHERE {filter} AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid AND con.contype IN ('p','u','x')) \
             AND {}", not_extension("t.oid"))),
        ("view", format!(
            "SELECT n.nspname || '.' || c.relname || ' ' || pg_get_viewdef(c.oid) FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('v', 'm') AND {filter} AND {}",
            not_extension("c.oid"))),
        ("enum", format!(
            "SELECT n.nspname || '.' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) \
             FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace \
             WHERE {filter} AND {} GROUP BY n.nspname, t.typname", not_extension("t.oid"))),
        ("type", format!(
            "SELECT n.nspname || '.' || t.typname || ' kind=' || t.typtype::text || ' ' || coalesce(format_type(t.typbasetype, t.typtypmod), '') \
             || ' notnull=' || t.typnotnull || ' default=' || coalesce(t.typdefault, '') \
             || ' attrs=' || coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0), '') \
             FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
             WHERE t.typtype IN ('d', 'c', 'r') AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c') \
             AND {filter} AND {}", not_extension("t.oid"))),
        ("sequence", format!(
            "SELECT n.nspname || '.' || c.relname || ' ' || format_type(s.seqtypid, NULL) || ' start=' || s.seqstart \
             || ' inc=' || s.seqincrement || ' min=' || s.seqmin || ' max=' || s.seqmax || ' cycle=' || s.seqcycle \
             FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE {filter} AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('i', 'e'))")),
        ("function", format!(
            "SELECT n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') ' \
             || md5(pg_get_functiondef(p.oid)) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
             WHERE p.prokind IN ('f', 'p', 'w') AND {filter} AND {}", not_extension("p.oid"))),
        ("trigger", format!(
            "SELECT n.nspname || '.' || c.relname || ' ' || pg_get_triggerdef(tg.oid) FROM pg_trigger tg \
             JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE NOT tg.tgisinternal AND {filter}")),
        ("policy", format!(
            "SELECT n.nspname || '.' || c.relname || ' ' || pol.polname || ' ' || pol.polcmd::text || ' ' || pol.polpermissive \
             || ' ' || coalesce(pg_get_expr(pol.polqual, pol.polrelid), '') || ' ' || coalesce(pg_get_expr(pol.polwithcheck, pol.polrelid), '') \
             FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {filter}")),
        ("extension", format!(
            "SELECT e.extname || ' schema=' || n.nspname || CASE WHEN {} THEN ' version=' || e.extversion ELSE '' END \
             FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace \
             WHERE e.extname <> 'plpgsql' AND {filter}", case.extension_versions)),
    ];
    let mut facts = BTreeSet::new();
    for (kind, sql) in queries {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut c)
            .await?;
        for row in rows {
            let text: Option<String> = row.try_get(0)?;
            if let Some(text) = text {
                facts.insert(format!("{kind} {text}"));
            }
        }
    }
    let _ = c.close().await;
    Ok(facts)
}
