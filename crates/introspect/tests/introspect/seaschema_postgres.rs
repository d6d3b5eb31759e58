//! Cross-check of the PostgreSQL reader against sea-schema 0.18's discovery,
//! an independent implementation (information_schema plus per-table
//! queries), on the same database, for what both cover: tables, columns
//! (order, type, nullability, default, identity, generated), primary keys,
//! unique constraints, foreign keys, checks and enums.
//!
//! Where the two disagree, the test pins the difference and says which
//! side is right and why.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::{BTreeMap, BTreeSet};

use driftless_introspect::{ConnectOptions, Database, DbUrl, IntrospectOptions};
use driftless_model::{FkAction, Snapshot, Table};
use driftless_testkit::TestDb;
use sea_schema::postgres::def::{
    ArbitraryPrecisionNumericAttr, ArrayDef, ColumnDefault, ColumnInfo, EnumDef, ForeignKeyAction,
    Schema as SeaSchema, StringAttr, TableDef, TimeAttr, Type,
};
use sea_schema::postgres::discovery::SchemaDiscovery;

const FIXTURE: &str = include_str!("postgres_fixture.sql");

/// Our snapshot (ledger tables included, as sea-schema knows nothing of
/// them) and sea-schema's discovery of each of its schemas.
async fn both(db: &TestDb) -> (Snapshot, BTreeMap<String, SeaSchema>) {
    let url = DbUrl::parse(&db.url).unwrap();
    let mut conn = Database::connect(&url, &ConnectOptions::read_only())
        .await
        .unwrap();
    let mut options = IntrospectOptions::default();
    options.include_ledger_tables = true;
    let ours = conn.snapshot(&options).await.unwrap();
    conn.close().await.unwrap();

    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let mut theirs = BTreeMap::new();
    for schema in ours.schemas.keys() {
        let discovered = SchemaDiscovery::new(pool.clone(), schema)
            .discover()
            .await
            .unwrap();
        theirs.insert(schema.clone(), discovered);
    }
    pool.close().await;
    (ours, theirs)
}

/// sea-schema's type in PostgreSQL's canonical spelling (`format_type`),
/// for the types the fixture uses. Enums and unknown types come without
/// their schema.
fn canonical(t: &Type) -> String {
    match t {
        Type::SmallInt => "smallint".into(),
        Type::Integer => "integer".into(),
        Type::BigInt => "bigint".into(),
        Type::Text => "text".into(),
        Type::Boolean => "boolean".into(),
        Type::Date => "date".into(),
        Type::JsonBinary => "jsonb".into(),
        Type::Varchar(StringAttr { length: Some(n) }) => format!("character varying({n})"),
        Type::Numeric(ArbitraryPrecisionNumericAttr {
            precision: Some(p),
            scale: Some(s),
        }) => format!("numeric({p},{s})"),
        Type::TimestampWithTimeZone(TimeAttr {
            precision: Some(6) | None,
        }) => "timestamp with time zone".into(),
        Type::TimestampWithTimeZone(TimeAttr { precision: Some(p) }) => {
            format!("timestamp({p}) with time zone")
        }
        Type::Array(ArrayDef {
            col_type: Some(inner),
        }) => format!("{}[]", canonical(inner)),
        Type::Enum(EnumDef { typename, .. }) => typename.clone(),
        Type::Unknown(name) => name.clone(),
        other => panic!("type {other:?} is not in the fixture"),
    }
}

/// Whether our type and sea-schema's name the same type.
fn same_type(ours: &str, theirs: &Type) -> bool {
    let theirs = canonical(theirs);
    ours == theirs || ours.ends_with(&format!(".{theirs}"))
}

/// Whether our default expression and sea-schema's parsed default agree.
fn same_default(ours: Option<&str>, theirs: Option<&ColumnDefault>) -> bool {
    match (ours, theirs) {
        (None, None) => true,
        (Some(o), Some(ColumnDefault::Expression(t) | ColumnDefault::AutoIncrement(t))) => o == t,
        (Some(o), Some(ColumnDefault::String(t))) => o.starts_with(&format!("'{t}'")),
        (Some(o), Some(ColumnDefault::Int(t))) => o == t.to_string(),
        (Some(o), Some(ColumnDefault::Real(t))) => o.parse::<f64>().ok() == Some(*t),
        (Some(o), Some(ColumnDefault::Bool(t))) => o == t.to_string(),
        (Some(o), Some(ColumnDefault::CurrentTimestamp)) => {
            o == "now()" || o == "CURRENT_TIMESTAMP"
        }
        _ => false,
    }
}

fn action(a: Option<&ForeignKeyAction>) -> FkAction {
    match a {
        None | Some(ForeignKeyAction::NoAction) => FkAction::NoAction,
        Some(ForeignKeyAction::Restrict) => FkAction::Restrict,
        Some(ForeignKeyAction::Cascade) => FkAction::Cascade,
        Some(ForeignKeyAction::SetNull) => FkAction::SetNull,
        Some(ForeignKeyAction::SetDefault) => FkAction::SetDefault,
    }
}

/// Compares one table; returns the differences as `table: what` lines.
fn compare_table(schema: &str, name: &str, ours: &Table, theirs: &TableDef) -> Vec<String> {
    let mut diffs = Vec::new();
    let at = format!("{schema}.{name}");

    let their_order: Vec<&str> = theirs.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(ours.column_order(), their_order, "{at}: column order");
    for c in &theirs.columns {
        let ColumnInfo {
            name: col,
            col_type,
            default,
            generated,
            not_null,
            is_identity,
        } = c;
        let o = &ours.columns[col];
        if !same_type(&o.data_type, col_type) {
            diffs.push(format!("{at}.{col}: type {} / {col_type:?}", o.data_type));
        }
        assert_eq!(o.nullable, not_null.is_none(), "{at}.{col}: nullability");
        assert_eq!(o.identity.is_some(), *is_identity, "{at}.{col}: identity");
        assert_eq!(
            o.generated.as_ref().map(|g| g.expression.as_str()),
            generated.as_ref().map(|g| g.0.as_str()),
            "{at}.{col}: generation expression"
        );
        if !same_default(o.default.as_deref(), default.as_ref()) {
            // The only accepted difference: a name qualified by us where
            // sea-schema, printing in its session's search path, leaves
            // `public.` out.
            let unqualified = o.default.as_deref().map(|d| d.replace("public.", ""));
            assert!(
                same_default(unqualified.as_deref(), default.as_ref()),
                "{at}.{col}: default {:?} / {default:?}",
                o.default
            );
            diffs.push(format!(
                "{at}.{col}: default {} / {default:?}",
                o.default.as_deref().unwrap_or("")
            ));
        }
    }

    // Primary key.
    let their_pk: Vec<(String, Vec<String>)> = theirs
        .primary_key_constraints
        .iter()
        .map(|p| (p.name.clone(), p.columns.clone()))
        .collect();
    let our_pk: Vec<(String, Vec<String>)> = ours
        .primary_key
        .iter()
        .map(|p| (p.name.clone(), p.columns.clone()))
        .collect();
    assert_eq!(our_pk, their_pk, "{at}: primary key");

    // Unique: sea-schema lists every unique index; we list UNIQUE
    // constraints, and unique indexes under indexes.
    for u in &theirs.unique_constraints {
        match ours.uniques.get(&u.name) {
            Some(o) => {
                assert_eq!(o.columns, u.columns, "{at}: unique {}", u.name);
                assert!(!u.is_partial);
            }
            None => {
                let index = ours
                    .indexes
                    .get(&u.name)
                    .unwrap_or_else(|| panic!("{at}: unique {} unknown to us", u.name));
                assert!(index.unique);
                diffs.push(format!(
                    "{at}: unique index {} with columns {:?}, partial {}",
                    u.name, u.columns, u.is_partial
                ));
            }
        }
    }
    let their_uniques: BTreeSet<&str> = theirs
        .unique_constraints
        .iter()
        .map(|u| u.name.as_str())
        .collect();
    for name in ours.uniques.keys() {
        assert!(
            their_uniques.contains(name.as_str()),
            "{at}: unique {name} unknown to them"
        );
    }

    // Foreign keys: sea-schema has no referenced schema.
    assert_eq!(
        ours.foreign_keys.len(),
        theirs.reference_constraints.len(),
        "{at}: foreign keys"
    );
    for r in &theirs.reference_constraints {
        let o = ours
            .foreign_keys
            .get(&r.name)
            .unwrap_or_else(|| panic!("{at}: foreign key {} unknown to us", r.name));
        assert_eq!(o.columns, r.columns, "{at}: fk {}", r.name);
        assert_eq!(o.ref_table, r.table, "{at}: fk {}", r.name);
        assert_eq!(o.ref_columns, r.foreign_columns, "{at}: fk {}", r.name);
        assert_eq!(
            o.on_delete,
            action(r.on_delete.as_ref()),
            "{at}: fk {}",
            r.name
        );
        assert_eq!(
            o.on_update,
            action(r.on_update.as_ref()),
            "{at}: fk {}",
            r.name
        );
        if o.ref_schema != schema {
            diffs.push(format!(
                "{at}: fk {} references {}.{} (sea-schema: {})",
                r.name, o.ref_schema, o.ref_table, r.table
            ));
        }
    }

    // Checks: sea-schema reads information_schema.check_constraints, which
    // also lists every NOT NULL as a check, and wraps expressions in one
    // more pair of parentheses (it strips `CHECK ` from the constraint
    // definition).
    let mut not_null_checks = 0;
    for c in &theirs.check_constraints {
        match ours.checks.get(&c.name) {
            Some(o) => assert_eq!(
                format!("({})", o.expression),
                c.expr,
                "{at}: check {}",
                c.name
            ),
            None => {
                assert!(
                    c.name.ends_with("_not_null"),
                    "{at}: check {} unknown to us",
                    c.name
                );
                let col = c.expr.strip_suffix(" IS NOT NULL").unwrap();
                assert!(!ours.columns[col].nullable, "{at}: {col}");
                not_null_checks += 1;
            }
        }
    }
    assert_eq!(
        not_null_checks,
        ours.columns.values().filter(|c| !c.nullable).count(),
        "{at}: NOT NULL checks"
    );
    assert_eq!(
        ours.checks.len() + not_null_checks,
        theirs.check_constraints.len(),
        "{at}: checks"
    );
    diffs
}

#[tokio::test]
async fn sea_schema_agrees_where_both_look() {
    let db = TestDb::postgres().await;
    db.exec(FIXTURE).await;
    let (ours, theirs) = both(&db).await;

    let mut diffs = Vec::new();
    for (schema, sea) in &theirs {
        let our_schema = &ours.schemas[schema];
        let their_tables: BTreeMap<&str, &TableDef> = sea
            .tables
            .iter()
            .map(|t| (t.info.name.as_str(), t))
            .collect();
        for (name, t) in &their_tables {
            match our_schema.tables.get(*name) {
                Some(o) => diffs.extend(compare_table(schema, name, o, t)),
                None => diffs.push(format!("{schema}.{name}: table only sea-schema sees")),
            }
        }
        // sea-schema does not list partitions.
        for (name, _) in our_schema
            .tables
            .iter()
            .filter(|(_, t)| t.parents().0.is_none())
        {
            assert!(
                their_tables.contains_key(name.as_str()),
                "{schema}.{name} unknown to them"
            );
        }
        for e in &sea.enums {
            match our_schema.enums.get(&e.typename) {
                Some(o) => assert_eq!(o.labels, e.values, "{schema}.{}", e.typename),
                None => diffs.push(format!(
                    "{schema}.{}: enum only sea-schema sees",
                    e.typename
                )),
            }
        }
        assert_eq!(
            our_schema.enums.len(),
            sea.enums
                .iter()
                .filter(|e| our_schema.enums.contains_key(&e.typename))
                .count()
        );
    }

    diffs.sort();
    let mut expected = vec![
            // We are right: the column's type is the domain, which carries
            // CHECK (VALUE > 0); sea-schema reports the base type (it reads
            // information_schema.columns.data_type), so a change of domain
            // or of its constraint would go unnoticed.
            "app.users.visits: type app.positive_int / Integer",
            // We are right: we print every expression with search_path set
            // to pg_catalog only, so user objects are always
            // schema-qualified and the text is the same on any two
            // databases whatever their users' search paths; sea-schema
            // prints in its session's search path, where `public` is
            // visible.
            "public.django_migrations.id: default nextval('public.django_migrations_id_seq'::regclass) / Some(AutoIncrement(\"nextval('django_migrations_id_seq'::regclass)\"))",
            // We are right: this is a partial unique index, not a UNIQUE
            // constraint (a foreign key cannot reference it, ON CONFLICT ON
            // CONSTRAINT cannot name it), and `email`, `score` are INCLUDE
            // columns, not part of the key: sea-schema's reading claims
            // (name, email, score) is unique, which is weaker than the truth.
            // We list it under indexes, with its predicate and INCLUDE list.
            "app.users: unique index users_active_name_idx with columns [\"name\", \"email\", \"score\"], partial true",
            // We are right: the referenced table lives in another schema,
            // which sea-schema's References does not record (it names the
            // table only, so `select` would be looked up in the wrong schema).
            "Ünïcode Schema.таблица: fk таблица_ref_fkey references public.select (sea-schema: select)",
            // We are right to leave these out: they belong to an extension
            // (pg_depend deptype 'e'); CREATE EXTENSION creates them and
            // pg_dump does not dump them either. sea-schema does not look at
            // pg_depend.
            "public.ext_enum: enum only sea-schema sees",
            "public.ext_table: table only sea-schema sees",
        ];
    expected.sort();
    assert_eq!(diffs, expected);
}

/// DDL for a plain catalog of `n` tables in `schema`, with an enum column.
fn plain_catalog(schema: &str, n: usize) -> String {
    let mut sql = format!("CREATE TYPE {schema}.state AS ENUM ('on', 'off', 'broken');\n");
    for i in 0..n {
        let fk = if i == 0 {
            String::new()
        } else {
            format!(
                ", parent_id bigint NOT NULL REFERENCES {schema}.t{} (id) ON DELETE CASCADE",
                i - 1
            )
        };
        sql.push_str(&format!(
            "CREATE TABLE {schema}.t{i} (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, \
             code varchar(20) NOT NULL UNIQUE, state {schema}.state DEFAULT 'on', \
             amount numeric(10,2) NOT NULL DEFAULT 0 CHECK (amount >= 0), \
             created_at timestamptz NOT NULL DEFAULT now(), note text{fk});\n"
        ));
    }
    sql
}

#[tokio::test]
async fn sea_schema_agrees_on_a_plain_catalog() {
    let db = TestDb::postgres().await;
    db.exec(&plain_catalog("public", 12)).await;
    let (ours, theirs) = both(&db).await;
    assert_eq!(ours.counts().tables, 12);
    let sea = &theirs["public"];
    assert_eq!(sea.tables.len(), 12);
    for t in &sea.tables {
        let o = ours.table("public", &t.info.name).unwrap();
        // Only the search-path difference explained above: we qualify the
        // enum in the default, sea-schema's session sees `public`.
        assert_eq!(
            compare_table("public", &t.info.name, o, t),
            [format!(
                "public.{}.state: default 'on'::public.state / Some(Expression(\"'on'::state\"))",
                t.info.name
            )]
        );
    }
    assert_eq!(sea.enums.len(), 1);
    assert_eq!(
        ours.schemas["public"].enums["state"].labels,
        sea.enums[0].values
    );
}

#[tokio::test]
async fn sea_schema_fails_on_an_enum_outside_the_search_path() {
    // sea-schema looks enum types up by unqualified name; in a schema that
    // is not on the search path the lookup fails and discovery returns an
    // error. We are right to read it: the catalog is perfectly valid.
    let db = TestDb::postgres().await;
    db.exec(&format!(
        "CREATE SCHEMA shop;\n{}",
        plain_catalog("shop", 2)
    ))
    .await;
    let url = DbUrl::parse(&db.url).unwrap();
    let mut conn = Database::connect(&url, &ConnectOptions::read_only())
        .await
        .unwrap();
    let ours = conn.snapshot(&IntrospectOptions::default()).await.unwrap();
    conn.close().await.unwrap();
    assert_eq!(ours.schemas["shop"].tables.len(), 2);
    assert_eq!(
        ours.table("shop", "t1").unwrap().columns["state"].data_type,
        "shop.state"
    );

    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let err = SchemaDiscovery::new(pool.clone(), "shop")
        .discover()
        .await
        .unwrap_err();
    pool.close().await;
    assert!(
        err.to_string().contains("type \"state\" does not exist"),
        "{err}"
    );
}
