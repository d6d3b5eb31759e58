//! Live PostgreSQL introspection: a fixture with every object kind is read
//! from a fresh database and compared field by field; the number of round
//! trips does not grow with the catalog; the snapshot is the same whatever
//! the session's search path and whether or not helper connections can
//! share the snapshot; connection problems give typed errors.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;

use driftless_introspect::{ConnectOptions, Database, DbUrl, Error, IntrospectOptions};
use driftless_model::{
    Check, Column, Enum, Exclusion, FkAction, ForeignKey, Generated, Identity, IdentityOptions,
    Index, IndexKey, IndexPart, PrimaryKey, Sequence, SequenceOwner, Snapshot, Table,
    UniqueConstraint, View,
};
use driftless_testkit::TestDb;

const FIXTURE: &str = include_str!("postgres_fixture.sql");

async fn connect(url: &str) -> Database {
    Database::connect(&DbUrl::parse(url).unwrap(), &ConnectOptions::read_only())
        .await
        .unwrap()
}

/// Snapshot of `url` and the number of round trips it took.
async fn snapshot_with(url: &str, options: &IntrospectOptions) -> (Snapshot, u64) {
    let mut db = connect(url).await;
    let before = db.round_trips();
    let snap = db.snapshot(options).await.unwrap();
    let trips = db.round_trips() - before;
    db.close().await.unwrap();
    (snap, trips)
}

async fn fixture_db() -> TestDb {
    fixture_in(TestDb::postgres().await).await
}

/// The major version of the server `db` is on.
async fn server_major(db: &TestDb) -> i64 {
    db.scalar_i64("SELECT current_setting('server_version_num')::bigint / 10000")
        .await
}

/// The fixture run in `db`. UNIQUE NULLS NOT DISTINCT came with PostgreSQL
/// 15: before it, that constraint is a plain UNIQUE.
async fn fixture_in(db: TestDb) -> TestDb {
    if server_major(&db).await >= 15 {
        db.exec(FIXTURE).await;
    } else {
        db.exec(&FIXTURE.replace("UNIQUE NULLS NOT DISTINCT", "UNIQUE"))
            .await;
    }
    db
}

fn col(position: u32, data_type: &str, nullable: bool) -> Column {
    Column {
        inherited: false,
        nullable,
        ..Column::new(position, data_type)
    }
}

fn with_default(mut c: Column, default: &str) -> Column {
    c.default = Some(default.to_string());
    c
}

fn part(name: &str) -> IndexPart {
    IndexPart::column(name)
}

fn expr(e: &str) -> IndexPart {
    IndexPart {
        key: IndexKey::Expression(e.to_string()),
        ..IndexPart::column("")
    }
}

fn index(parts: Vec<IndexPart>) -> Index {
    Index {
        parts,
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

fn fk(columns: &[&str], schema: &str, table: &str, ref_columns: &[&str]) -> ForeignKey {
    ForeignKey {
        columns: strings(columns),
        ref_schema: schema.to_string(),
        ref_table: table.to_string(),
        ref_columns: strings(ref_columns),
        on_delete: FkAction::NoAction,
        on_update: FkAction::NoAction,
        deferrable: false,
        initially_deferred: false,
        comment: None,
        match_full: false,
    }
}

fn strings(s: &[&str]) -> Vec<String> {
    s.iter().map(|s| s.to_string()).collect()
}

fn pk(name: &str, columns: &[&str]) -> Option<PrimaryKey> {
    Some(PrimaryKey {
        deferrable: false,
        initially_deferred: false,
        name: name.to_string(),
        columns: strings(columns),
        comment: None,
    })
}

fn check(e: &str) -> Check {
    Check {
        expression: e.to_string(),
        comment: None,
        no_inherit: false,
    }
}

fn map<V>(entries: Vec<(&str, V)>) -> BTreeMap<String, V> {
    entries
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// Compares two maps entry by entry, so that a failure names the entry.
fn assert_entries<V: PartialEq + std::fmt::Debug>(
    what: &str,
    actual: &BTreeMap<String, V>,
    expected: &BTreeMap<String, V>,
) {
    for (name, value) in expected {
        assert_eq!(actual.get(name), Some(value), "{what}: `{name}`");
    }
    let extra: Vec<&String> = actual
        .keys()
        .filter(|k| !expected.contains_key(*k))
        .collect();
    assert!(extra.is_empty(), "{what}: unexpected {extra:?}");
}

fn assert_table(snap: &Snapshot, schema: &str, name: &str, expected: &Table) {
    let actual = snap
        .table(schema, name)
        .unwrap_or_else(|| panic!("table {schema}.{name} missing"));
    let what = |kind: &str| format!("{schema}.{name} {kind}");
    assert_entries(&what("columns"), &actual.columns, &expected.columns);
    assert_eq!(
        actual.primary_key,
        expected.primary_key,
        "{}",
        what("primary key")
    );
    assert_entries(&what("uniques"), &actual.uniques, &expected.uniques);
    assert_entries(&what("indexes"), &actual.indexes, &expected.indexes);
    assert_entries(
        &what("foreign keys"),
        &actual.foreign_keys,
        &expected.foreign_keys,
    );
    assert_entries(&what("checks"), &actual.checks, &expected.checks);
    assert_eq!(actual.comment, expected.comment, "{}", what("comment"));
    assert_eq!(actual, expected);
}

fn expected_users() -> Table {
    let mut email = col(2, "text", false);
    email.collation = Some("C".into());
    email.comment = Some("login, case-sensitive".into());
    let mut email_lower = col(9, "text", true);
    email_lower.generated = Some(Generated {
        expression: "lower(email)".into(),
        stored: true,
    });
    let mut id = col(1, "bigint", false);
    id.identity = Some(Identity::Always);

    let mut created_desc = part("created_at");
    created_desc.descending = true;
    created_desc.nulls_first = Some(false);
    let mut name_nulls_first = part("name");
    name_nulls_first.nulls_first = Some(true);
    let mut name_c_desc = part("name");
    name_c_desc.descending = true;
    name_c_desc.collation = Some("C".into());
    let mut name_pattern = part("name");
    name_pattern.opclass = Some("varchar_pattern_ops".into());
    let mut trgm = expr("(handle::text)");
    trgm.opclass = Some("public.gin_trgm_ops".into());
    // The expression inherits the column's collation "C", which differs
    // from the database default: the index really uses "C".
    let mut lower_email = expr("lower(email)");
    lower_email.collation = Some("C".into());

    Table {
        exclusions: Default::default(),
        columns: map(vec![
            ("id", id),
            ("email", email),
            ("handle", col(3, "public.citext", true)),
            (
                "name",
                with_default(
                    col(4, "character varying(100)", true),
                    "'anon'::character varying",
                ),
            ),
            (
                "mood",
                with_default(col(5, "app.mood", false), "'ok'::app.mood"),
            ),
            ("score", with_default(col(6, "numeric(10,2)", true), "0")),
            (
                "created_at",
                with_default(col(7, "timestamp(3) with time zone", false), "now()"),
            ),
            ("tags", with_default(col(8, "text[]", true), "'{}'::text[]")),
            ("email_lower", email_lower),
            ("manager_id", col(10, "bigint", true)),
            (
                "visits",
                with_default(col(11, "app.positive_int", true), "1"),
            ),
        ]),
        primary_key: pk("users_pkey", &["id"]),
        uniques: map(vec![(
            "users_email_key",
            UniqueConstraint {
                deferrable: false,
                initially_deferred: false,
                columns: strings(&["email"]),
                nulls_not_distinct: false,
                comment: None,
            },
        )]),
        indexes: map(vec![
            (
                "users_active_name_idx",
                Index {
                    unique: true,
                    predicate: Some("(mood <> 'sad'::app.mood)".into()),
                    include: strings(&["email", "score"]),
                    ..index(vec![part("name")])
                },
            ),
            (
                "users_created_name_idx",
                index(vec![created_desc, name_nulls_first]),
            ),
            (
                "users_handle_trgm_idx",
                Index {
                    method: Some("gin".into()),
                    ..index(vec![trgm])
                },
            ),
            ("users_lower_email_idx", index(vec![lower_email])),
            ("users_name_c_idx", index(vec![name_c_desc])),
            ("users_name_pattern_idx", index(vec![name_pattern])),
        ]),
        foreign_keys: map(vec![(
            "users_manager_id_fkey",
            ForeignKey {
                on_delete: FkAction::SetNull,
                ..fk(&["manager_id"], "app", "users", &["id"])
            },
        )]),
        checks: map(vec![(
            "users_score_check",
            check("(score >= (0)::numeric)"),
        )]),
        comment: Some("people".into()),
        options: Default::default(),
    }
}

/// `app.orders` as read, `nulls_not_distinct` as its unique constraint was made.
fn expected_orders(nulls_not_distinct: bool) -> Table {
    let mut seq_no = col(8, "bigint", false);
    seq_no.identity = Some(Identity::ByDefault);
    // `START WITH 5`: the identity sequence's options, as they are not the
    // defaults.
    seq_no.identity_options = Some(IdentityOptions {
        start: 5,
        increment: 1,
        min_value: 1,
        max_value: i64::MAX,
        cache: 1,
        cycle: false,
    });
    Table {
        exclusions: Default::default(),
        columns: map(vec![
            (
                "id",
                with_default(
                    col(1, "integer", false),
                    "nextval('app.orders_id_seq'::regclass)",
                ),
            ),
            ("tenant", col(2, "integer", false)),
            ("number", col(3, "integer", false)),
            ("user_id", col(4, "bigint", false)),
            (
                "Total Amount",
                with_default(col(5, "numeric(12,2)", false), "0.00"),
            ),
            ("status", with_default(col(6, "text", true), "'new'::text")),
            (
                "placed_on",
                with_default(col(7, "date", true), "CURRENT_DATE"),
            ),
            ("seq_no", seq_no),
        ]),
        primary_key: pk("orders_pkey", &["id"]).map(|pk| PrimaryKey {
            comment: Some("surrogate".into()),
            ..pk
        }),
        uniques: map(vec![(
            "orders_tenant_number_key",
            UniqueConstraint {
                deferrable: false,
                initially_deferred: false,
                columns: strings(&["tenant", "number"]),
                nulls_not_distinct,
                comment: Some("one per tenant".into()),
            },
        )]),
        indexes: map(vec![
            (
                "orders_mixed_idx",
                index(vec![
                    part("tenant"),
                    expr("(number + 1)"),
                    part("Total Amount"),
                ]),
            ),
            (
                "orders_status_hash",
                Index {
                    method: Some("hash".into()),
                    comment: Some("by status".into()),
                    ..index(vec![part("status")])
                },
            ),
        ]),
        foreign_keys: map(vec![(
            "orders_user_fk",
            ForeignKey {
                on_delete: FkAction::Cascade,
                on_update: FkAction::Restrict,
                deferrable: true,
                initially_deferred: true,
                comment: Some("owner".into()),
                ..fk(&["user_id"], "app", "users", &["id"])
            },
        )]),
        checks: map(vec![(
            "positive_total",
            Check {
                comment: Some("never negative".into()),
                ..check("(\"Total Amount\" >= (0)::numeric)")
            },
        )]),
        comment: None,
        options: Default::default(),
    }
}

#[tokio::test]
async fn fixture_is_read_field_by_field() {
    fixture_read_field_by_field(TestDb::postgres().await).await;
}

/// The fixture, run in `db`, read back field by field.
pub(super) async fn fixture_read_field_by_field(db: TestDb) {
    let db = fixture_in(db).await;
    let nulls_not_distinct = server_major(&db).await >= 15;
    let (snap, _) = snapshot_with(&db.url, &IntrospectOptions::default()).await;

    // Schemas: not the system ones, not the one an extension owns.
    assert_eq!(
        snap.schemas.keys().collect::<Vec<_>>(),
        ["app", "public", "Ünïcode Schema"]
    );
    assert_eq!(
        snap.schemas["app"].comment.as_deref(),
        Some("application schema")
    );
    assert_eq!(snap.schemas["Ünïcode Schema"].comment, None);

    assert_table(&snap, "app", "users", &expected_users());
    assert_table(&snap, "app", "orders", &expected_orders(nulls_not_distinct));
    assert_table(
        &snap,
        "app",
        "order_lines",
        &Table {
            columns: map(vec![
                ("tenant", col(1, "integer", false)),
                ("number", col(2, "integer", false)),
                ("line", col(3, "integer", false)),
                ("qty", col(4, "integer", false)),
            ]),
            primary_key: pk("order_lines_pkey", &["tenant", "number", "line"]),
            foreign_keys: map(vec![(
                "lines_order_fk",
                ForeignKey {
                    on_delete: FkAction::Cascade,
                    on_update: FkAction::SetDefault,
                    deferrable: true,
                    ..fk(
                        &["tenant", "number"],
                        "app",
                        "orders",
                        &["tenant", "number"],
                    )
                },
            )]),
            checks: map(vec![("qty_positive", check("(qty > 0)"))]),
            ..Table::default()
        },
    );

    // A partitioned table is one table with its partition key; its
    // partitions are tables of their own (below), and a foreign key to it
    // appears once.
    assert_table(
        &snap,
        "app",
        "events",
        &Table {
            columns: map(vec![
                ("id", col(1, "bigint", false)),
                ("at", col(2, "date", false)),
                ("payload", col(3, "jsonb", true)),
            ]),
            primary_key: pk("events_pkey", &["id", "at"]),
            indexes: map(vec![(
                "events_payload_idx",
                Index {
                    method: Some("gin".into()),
                    ..index(vec![part("payload")])
                },
            )]),
            options: map(vec![("partition_by", "RANGE (at)".to_string())]),
            ..Table::default()
        },
    );
    // A partition: its columns come from the partitioned table, and so do
    // its key and its part of the partitioned index (neither listed).
    let inherited = |c: Column| Column {
        inherited: true,
        ..c
    };
    assert_table(
        &snap,
        "app",
        "events_2024",
        &Table {
            columns: map(vec![
                ("id", inherited(col(1, "bigint", false))),
                ("at", inherited(col(2, "date", false))),
                ("payload", inherited(col(3, "jsonb", true))),
            ]),
            options: map(vec![
                ("partition_of", "events".to_string()),
                (
                    "partition_bound",
                    "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')".to_string(),
                ),
            ]),
            ..Table::default()
        },
    );
    assert_table(
        &snap,
        "app",
        "event_refs",
        &Table {
            columns: map(vec![
                ("id", col(1, "bigint", true)),
                ("at", col(2, "date", true)),
            ]),
            foreign_keys: map(vec![(
                "event_refs_id_at_fkey",
                fk(&["id", "at"], "app", "events", &["id", "at"]),
            )]),
            ..Table::default()
        },
    );
    assert_eq!(
        snap.schemas["app"].tables.keys().collect::<Vec<_>>(),
        [
            "event_refs",
            "events",
            "events_2024",
            "events_2025",
            "order_lines",
            "orders",
            "users"
        ]
    );

    // Reserved words, mixed case and unicode, as names.
    assert_table(
        &snap,
        "public",
        "select",
        &Table {
            columns: map(vec![
                ("from", col(1, "integer", false)),
                ("order", col(2, "text", true)),
                ("user", col(3, "text", true)),
                ("group", col(4, "integer", true)),
            ]),
            primary_key: pk("select_pkey", &["from"]),
            foreign_keys: map(vec![(
                "select_group_fkey",
                fk(&["group"], "public", "select", &["from"]),
            )]),
            ..Table::default()
        },
    );
    assert_table(
        &snap,
        "public",
        "MixedCase",
        &Table {
            columns: map(vec![
                ("CamelCol", col(1, "integer", false)),
                ("naïve café", col(2, "text", true)),
                ("Ключ", col(3, "text", true)),
            ]),
            indexes: map(vec![(
                "MixedCase_Idx",
                index(vec![part("CamelCol"), part("naïve café")]),
            )]),
            ..Table::default()
        },
    );
    let mut kolonka = with_default(col(1, "integer", true), "42");
    kolonka.comment = Some("столбец".into());
    assert_table(
        &snap,
        "Ünïcode Schema",
        "таблица",
        &Table {
            columns: map(vec![("колонка", kolonka), ("ref", col(2, "integer", true))]),
            foreign_keys: map(vec![(
                "таблица_ref_fkey",
                fk(&["ref"], "public", "select", &["from"]),
            )]),
            ..Table::default()
        },
    );
    // Extension-owned tables and the ledger table are left out.
    assert_eq!(
        snap.schemas["public"].tables.keys().collect::<Vec<_>>(),
        ["MixedCase", "select"]
    );

    // Enums in two schemas, labels in sort order (`meh` was added BEFORE 'ok').
    assert_entries(
        "app enums",
        &snap.schemas["app"].enums,
        &map(vec![(
            "mood",
            Enum {
                labels: strings(&["sad", "meh", "ok", "happy"]),
                comment: Some("how it feels".into()),
            },
        )]),
    );
    assert_entries(
        "public enums",
        &snap.schemas["public"].enums,
        &map(vec![(
            "mood",
            Enum {
                labels: strings(&["blue", "green"]),
                comment: None,
            },
        )]),
    );

    // Sequences: free-standing and serial ones; not identity, extension or
    // ledger ones.
    assert_entries(
        "app sequences",
        &snap.schemas["app"].sequences,
        &map(vec![
            (
                "invoice_no",
                Sequence {
                    data_type: "integer".into(),
                    start: 1000,
                    increment: 10,
                    min_value: 1000,
                    max_value: 999_999,
                    cache: 5,
                    cycle: true,
                    owned_by: None,
                    comment: Some("invoice numbers".into()),
                },
            ),
            (
                "orders_id_seq",
                Sequence {
                    data_type: "integer".into(),
                    start: 1,
                    increment: 1,
                    min_value: 1,
                    max_value: 2_147_483_647,
                    cache: 1,
                    cycle: false,
                    owned_by: Some(SequenceOwner {
                        table: "orders".into(),
                        column: "id".into(),
                    }),
                    comment: None,
                },
            ),
        ]),
    );
    assert!(snap.schemas["public"].sequences.is_empty());

    // Views, with schema-qualified definitions, as PostgreSQL 16 and later
    // print them on every version (one table read: columns unqualified).
    assert_entries(
        "app views",
        &snap.schemas["app"].views,
        &map(vec![
            (
                "active_users",
                View {
                    indexes: Default::default(),
                    options: Default::default(),
                    definition: "SELECT id,\n    email\n   FROM app.users\n  \
                                 WHERE mood <> 'sad'::app.mood;"
                        .into(),
                    materialized: false,
                    comment: Some("not sad".into()),
                },
            ),
            (
                "user_moods",
                View {
                    indexes: Default::default(),
                    options: Default::default(),
                    definition: "SELECT mood,\n    count(*) AS n\n   FROM app.users\n  \
                                 GROUP BY mood;"
                        .into(),
                    materialized: true,
                    comment: None,
                },
            ),
        ]),
    );

    let counts = snap.counts();
    assert_eq!(
        (
            counts.tables,
            counts.columns,
            counts.indexes,
            counts.foreign_keys,
            counts.checks
        ),
        (10, 43, 10, 6, 3)
    );
}

#[tokio::test]
async fn schemas_and_ledger_tables_are_selected_by_the_options() {
    let db = fixture_db().await;
    let (only_app, _) =
        snapshot_with(&db.url, &IntrospectOptions::default().with_schemas(["app"])).await;
    assert_eq!(only_app.schemas.keys().collect::<Vec<_>>(), ["app"]);
    // A foreign key into a schema that is not read still names its columns.
    let (unicode, _) = snapshot_with(
        &db.url,
        &IntrospectOptions::default().with_schemas(["Ünïcode Schema"]),
    )
    .await;
    assert_eq!(
        unicode
            .table("Ünïcode Schema", "таблица")
            .unwrap()
            .foreign_keys["таблица_ref_fkey"],
        fk(&["ref"], "public", "select", &["from"])
    );

    let mut with_ledger = IntrospectOptions::default().with_schemas(["public"]);
    with_ledger.include_ledger_tables = true;
    let (snap, _) = snapshot_with(&db.url, &with_ledger).await;
    let ledger = snap.table("public", "django_migrations").unwrap();
    assert_eq!(ledger.column_order(), ["id", "app", "name", "applied"]);
    assert_eq!(
        snap.schemas["public"].sequences["django_migrations_id_seq"].owned_by,
        Some(SequenceOwner {
            table: "django_migrations".into(),
            column: "id".into()
        })
    );
}

/// DDL for `n` tables, each with a key, a unique constraint, an index, a
/// foreign key, a check, a default, a comment, a view and a sequence.
fn catalog_of(n: usize) -> String {
    let mut sql = String::from("CREATE TYPE public.state AS ENUM ('on', 'off');\n");
    for i in 0..n {
        let fk = if i == 0 {
            String::new()
        } else {
            format!(", parent bigint REFERENCES public.t{} (id)", i - 1)
        };
        sql.push_str(&format!(
            "CREATE TABLE public.t{i} (id bigserial PRIMARY KEY, code text UNIQUE, \
             state public.state DEFAULT 'on', qty integer CHECK (qty > 0){fk});\n\
             CREATE INDEX t{i}_lower ON public.t{i} (lower(code)) WHERE qty > 1;\n\
             COMMENT ON COLUMN public.t{i}.code IS 'code {i}';\n\
             CREATE VIEW public.v{i} AS SELECT id, code FROM public.t{i};\n"
        ));
    }
    sql
}

#[tokio::test]
async fn round_trips_do_not_grow_with_the_catalog() {
    let small = TestDb::postgres().await;
    small.exec(&catalog_of(3)).await;
    let large = TestDb::postgres().await;
    large.exec(&catalog_of(60)).await;

    let (small_snap, small_trips) = snapshot_with(&small.url, &IntrospectOptions::default()).await;
    let (large_snap, large_trips) = snapshot_with(&large.url, &IntrospectOptions::default()).await;
    assert_eq!(small_snap.counts().tables, 3);
    assert_eq!(large_snap.counts().tables, 60);
    assert_eq!(large_snap.counts().views, 60);
    assert_eq!(large_snap.counts().indexes, 60);
    assert_eq!(large_snap.counts().foreign_keys, 59);
    assert_eq!(large_snap.counts().sequences, 60);
    assert_eq!(small_trips, large_trips);
    assert!(small_trips <= 20, "{small_trips} round trips");
}

#[tokio::test]
async fn snapshot_is_independent_of_the_session_search_path() {
    let plain = fixture_db().await;
    let odd = fixture_db().await;
    // Every session on `odd` sees app's and the unicode schema's objects
    // unqualified; the snapshot must not change.
    odd.exec(&format!(
        "ALTER DATABASE \"{}\" SET search_path = app, \"Ünïcode Schema\", public",
        odd.name
    ))
    .await;
    let (a, _) = snapshot_with(&plain.url, &IntrospectOptions::default()).await;
    let (b, _) = snapshot_with(&odd.url, &IntrospectOptions::default()).await;
    assert_eq!(a.to_json(), b.to_json());
}

#[tokio::test]
async fn snapshot_ends_its_transaction_and_closes_its_helpers() {
    let db = fixture_db().await;
    let mut conn = connect(&db.url).await;
    conn.snapshot(&IntrospectOptions::default()).await.unwrap();
    // SET LOCAL ended with the transaction; nothing was written.
    let rows = conn
        .query(
            "SELECT current_setting('search_path'), txid_current_if_assigned() IS NULL",
            "test",
        )
        .await
        .unwrap();
    assert_eq!(rows[0][0].as_str(), Some("\"$user\", public"));
    assert_eq!(rows[0][1].as_bool(), Some(true));
    // The helper connections are gone (their backends may take a moment).
    let mut others = -1;
    for _ in 0..50 {
        others = db
            .scalar_i64(&format!(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' \
                 AND application_name = 'driftless' AND pid <> {}",
                db.name,
                conn.query("SELECT pg_backend_pid()", "test").await.unwrap()[0][0]
                    .as_i64()
                    .unwrap()
            ))
            .await;
        if others == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(others, 0, "helper connections left open");
    conn.close().await.unwrap();
}

#[tokio::test]
async fn refuses_to_run_inside_a_transaction_the_caller_opened() {
    let db = fixture_db().await;
    // A connection that may write, as a deploy tool's would.
    let mut conn = Database::connect(&DbUrl::parse(&db.url).unwrap(), &ConnectOptions::default())
        .await
        .unwrap();
    conn.execute("BEGIN; CREATE TEMP TABLE pending (i integer)", "test")
        .await
        .unwrap();
    match conn.snapshot(&IntrospectOptions::default()).await {
        Err(Error::Invalid(message)) => {
            assert!(message.contains("already open"), "{message}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // The caller's transaction is untouched: still open, its work still
    // there, its search path unchanged.
    let rows = conn
        .query(
            "SELECT count(*), current_setting('search_path') FROM pg_temp.pending",
            "test",
        )
        .await
        .unwrap();
    assert_eq!(rows[0][0].as_i64(), Some(0));
    assert_eq!(rows[0][1].as_str(), Some("\"$user\", public"));
    conn.execute("ROLLBACK", "test").await.unwrap();
    // Once it has ended, the snapshot works on the same connection.
    let snap = conn.snapshot(&IntrospectOptions::default()).await.unwrap();
    assert!(snap.table("app", "users").is_some());
    conn.close().await.unwrap();
}

/// A login role for one test (roles belong to the whole server, so its
/// name is derived from the test database's unique name).
struct Role {
    name: String,
}

impl Role {
    async fn create(db: &TestDb, attributes: &str) -> Role {
        let name = format!("{}_role", db.name);
        db.exec(&format!("CREATE ROLE \"{name}\" LOGIN {attributes}"))
            .await;
        Role { name }
    }

    /// `url` with this role as the user.
    fn url(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").unwrap();
        let host = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
        format!("{scheme}://{}@{host}", self.name)
    }

    async fn drop_role(self, db: &TestDb) {
        db.exec(&format!("DROP ROLE \"{}\"", self.name)).await;
    }
}

#[tokio::test]
async fn reads_on_one_connection_when_helpers_cannot_connect() {
    let db = fixture_db().await;
    let (expected, shared_trips) = snapshot_with(&db.url, &IntrospectOptions::default()).await;
    // One connection allowed: every helper is refused.
    let role = Role::create(&db, "CONNECTION LIMIT 1").await;
    let (snap, trips) = snapshot_with(&role.url(&db.url), &IntrospectOptions::default()).await;
    role.drop_role(&db).await;
    assert_eq!(snap, expected);
    // Transaction check, BEGIN, export, namespaces, the eleven bulk
    // queries, ROLLBACK: all on the one connection.
    assert_eq!(trips, 16, "shared: {shared_trips}");
}

#[tokio::test]
async fn reads_on_one_connection_when_the_snapshot_cannot_be_exported() {
    let db = fixture_db().await;
    let (expected, _) = snapshot_with(&db.url, &IntrospectOptions::default()).await;
    let role = Role::create(&db, "").await;
    db.exec("REVOKE EXECUTE ON FUNCTION pg_catalog.pg_export_snapshot() FROM PUBLIC")
        .await;
    let url = role.url(&db.url);
    let (snap, trips) = snapshot_with(&url, &IntrospectOptions::default()).await;
    // The connection is still usable afterwards (the failed export was
    // rolled back, and so was the second transaction).
    let mut conn = connect(&url).await;
    conn.snapshot(&IntrospectOptions::default()).await.unwrap();
    let rows = conn.query("SELECT 1", "test").await.unwrap();
    assert_eq!(rows[0][0].as_i64(), Some(1));
    conn.close().await.unwrap();
    role.drop_role(&db).await;
    assert_eq!(snap, expected);
    // Transaction check, BEGIN, the failed export, ROLLBACK, BEGIN, version,
    // namespaces, the eleven bulk queries, ROLLBACK.
    assert_eq!(trips, 19);
}

#[tokio::test]
async fn missing_database_and_bad_credentials_are_typed_errors() {
    let db = TestDb::postgres().await;
    let missing = DbUrl::parse(&db.url)
        .unwrap()
        .with_database("driftless_no_such_database")
        .unwrap();
    match Database::connect(&missing, &ConnectOptions::read_only()).await {
        Err(Error::MissingDatabase { database, .. }) => {
            assert_eq!(database, "driftless_no_such_database")
        }
        other => panic!("expected MissingDatabase, got {other:?}"),
    }

    let secret = "n0t-the-Passw0rd";
    let (scheme, rest) = db.url.split_once("://").unwrap();
    let host = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
    let bad = DbUrl::parse(&format!(
        "{scheme}://no_such_role_driftless:{secret}@{host}"
    ))
    .unwrap();
    match Database::connect(&bad, &ConnectOptions::read_only()).await {
        Err(e @ Error::PermissionDenied { .. }) => {
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains(secret), "{shown}");
            assert!(shown.contains("no_such_role_driftless"), "{shown}");
        }
        other => panic!("expected PermissionDenied, got {other:?}"),
    }
}

/// A scoped read of `names` on `conn` and the round trips it took.
async fn scoped_read(conn: &mut Database, names: &[String]) -> (Snapshot, u64) {
    let options = IntrospectOptions::default().scoped(names.iter().cloned().collect());
    let before = conn.round_trips();
    let snap = conn.snapshot(&options).await.unwrap();
    (snap, conn.round_trips() - before)
}

/// Every table and view of `snap`, each once.
fn relation_names(snap: &Snapshot) -> Vec<String> {
    let mut names: Vec<String> = snap
        .schemas
        .values()
        .flat_map(|s| s.tables.keys().chain(s.views.keys()).cloned())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The tables and views of `scoped` equal those of `full`, where `scoped`
/// has them (every one when it named them all).
fn assert_scoped_matches(scoped: &Snapshot, full: &Snapshot, every: bool) {
    for (schema, s) in &full.schemas {
        for (name, table) in &s.tables {
            match scoped.table(schema, name) {
                Some(t) => assert_eq!(t, table, "{schema}.{name}"),
                None => assert!(!every, "{schema}.{name} missing"),
            }
        }
        for (name, view) in &s.views {
            let got = scoped.schemas.get(schema).and_then(|s| s.views.get(name));
            match got {
                Some(v) => assert_eq!(v, view, "{schema}.{name}"),
                None => assert!(!every, "view {schema}.{name} missing"),
            }
        }
    }
}

#[tokio::test]
async fn scoped_reads_take_one_round_trip_whatever_they_read() {
    scoped_reads_in_one_round_trip(TestDb::postgres().await, TestDb::postgres().await).await;
}

/// Scoped reads of the fixture (run in `fixture`) and of a large catalog
/// (in `large`) take one round trip each and equal the full read.
pub(super) async fn scoped_reads_in_one_round_trip(fixture: TestDb, large: TestDb) {
    let fixture = fixture_in(fixture).await;
    large.exec(&catalog_of(60)).await;
    for db in [&fixture, &large] {
        let (full, _) = snapshot_with(&db.url, &IntrospectOptions::default()).await;
        let all = relation_names(&full);
        let mut conn = connect(&db.url).await;
        // The first scoped read on a connection prepares its statements
        // and learns the namespaces; every later one is one message.
        scoped_read(&mut conn, &all[..1]).await;
        for names in [&all[..1], &all[..3], &all[..]] {
            let (scoped, trips) = scoped_read(&mut conn, names).await;
            assert_eq!(trips, 1, "{} relations", names.len());
            assert_scoped_matches(&scoped, &full, names.len() == all.len());
        }
        // A schema created since is seen: the read falls back to the
        // ordinary one, and the next is one message again.
        db.exec("CREATE SCHEMA later; CREATE TABLE later.t1 (id int PRIMARY KEY)")
            .await;
        let (scoped, trips) = scoped_read(&mut conn, &["t1".to_string()]).await;
        assert!(trips > 1);
        assert!(scoped.table("later", "t1").is_some());
        let (_, trips) = scoped_read(&mut conn, &["t1".to_string()]).await;
        assert_eq!(trips, 1);
        conn.close().await.unwrap();
    }
}

#[tokio::test]
async fn scoped_read_refuses_a_transaction_the_caller_opened() {
    let db = fixture_db().await;
    let mut conn = Database::connect(&DbUrl::parse(&db.url).unwrap(), &ConnectOptions::default())
        .await
        .unwrap();
    let users = ["users".to_string()];
    scoped_read(&mut conn, &users).await;
    conn.execute("BEGIN; CREATE TEMP TABLE pending (i integer)", "test")
        .await
        .unwrap();
    let options = IntrospectOptions::default().scoped(users.iter().cloned().collect());
    match conn.snapshot(&options).await {
        Err(Error::Invalid(message)) => assert!(message.contains("already open"), "{message}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    // The caller's transaction is still open, its search path unchanged.
    let rows = conn
        .query(
            "SELECT count(*), current_setting('search_path') FROM pg_temp.pending",
            "test",
        )
        .await
        .unwrap();
    assert_eq!(rows[0][0].as_i64(), Some(0));
    assert_eq!(rows[0][1].as_str(), Some("\"$user\", public"));
    conn.execute("ROLLBACK", "test").await.unwrap();
    let (snap, trips) = scoped_read(&mut conn, &users).await;
    assert_eq!(trips, 1);
    assert!(snap.table("app", "users").is_some());
    conn.close().await.unwrap();
}

/// `(kind, schema, name, table, extension, parent)` of what `snap` lists
/// as not compared, extension-owned objects left out.
/// What `snap` lists beyond tables, views, enums and sequences: the
/// objects not compared (not those an extension owns), then the compared
/// ones, as (kind, schema, name, table or parent, compared).
fn listed(snap: &Snapshot) -> Vec<(String, String, String, String, bool)> {
    let not_compared = snap
        .unmodeled
        .iter()
        .filter(|o| o.extension.is_none())
        .map(|o| {
            (
                o.kind.as_str().to_string(),
                o.schema.clone().unwrap_or_default(),
                o.name.clone(),
                o.table.clone().or(o.parent.clone()).unwrap_or_default(),
                false,
            )
        });
    let compared = snap.objects.iter().map(|o| {
        (
            o.kind.as_str().to_string(),
            o.schema.clone().unwrap_or_default(),
            o.name.clone(),
            o.table.clone().unwrap_or_default(),
            true,
        )
    });
    not_compared.chain(compared).collect()
}

/// Every kind the model does not compare, once, in schema `cov`, plus the
/// database-wide ones.
const UNMODELED_FIXTURE: &str = "\
CREATE SCHEMA cov;
CREATE EXTENSION citext SCHEMA cov;
CREATE TABLE cov.orders (id int PRIMARY KEY, updated_at timestamptz);
CREATE FUNCTION cov.touch() RETURNS trigger LANGUAGE plpgsql
  AS $$BEGIN NEW.updated_at = now(); RETURN NEW; END$$;
CREATE PROCEDURE cov.purge() LANGUAGE sql AS 'DELETE FROM cov.orders';
CREATE AGGREGATE cov.total(int) (SFUNC = int4pl, STYPE = int);
CREATE TRIGGER orders_touch BEFORE UPDATE ON cov.orders FOR EACH ROW EXECUTE FUNCTION cov.touch();
ALTER TABLE cov.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON cov.orders USING (true);
CREATE RULE no_delete AS ON DELETE TO cov.orders DO INSTEAD NOTHING;
CREATE DOMAIN cov.positive AS int CHECK (VALUE > 0);
CREATE TYPE cov.pair AS (a int, b int);
CREATE TYPE cov.span AS RANGE (subtype = int4);
CREATE COLLATION cov.c2 FROM \"C\";
CREATE TABLE cov.events (at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE cov.events_2026 PARTITION OF cov.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TRIGGER events_touch BEFORE INSERT ON cov.events FOR EACH ROW EXECUTE FUNCTION cov.touch();
CREATE TABLE cov.base (id int);
CREATE TABLE cov.child () INHERITS (cov.base);
CREATE STATISTICS cov.st ON id, updated_at FROM cov.orders;
CREATE OPERATOR cov.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = int4eq);
CREATE FOREIGN DATA WRAPPER cov_fdw;
CREATE SERVER cov_server FOREIGN DATA WRAPPER cov_fdw;
CREATE FOREIGN TABLE cov.remote (a int) SERVER cov_server;
CREATE PUBLICATION cov_pub;
CREATE SUBSCRIPTION cov_sub CONNECTION 'dbname=nowhere' PUBLICATION cov_pub
  WITH (connect = false, slot_name = NONE, enabled = false);
CREATE FUNCTION cov.f_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$BEGIN END$$;
CREATE EVENT TRIGGER cov_ddl ON ddl_command_end EXECUTE FUNCTION cov.f_ddl();
CREATE FUNCTION cov.pair_text(cov.pair) RETURNS text LANGUAGE sql AS 'SELECT ''p''';
CREATE CAST (cov.pair AS text) WITH FUNCTION cov.pair_text(cov.pair);";

#[tokio::test]
async fn objects_the_model_does_not_compare_are_listed() {
    unmodeled_objects_listed(TestDb::postgres().await).await;
}

/// Every kind beyond tables, views, enums and sequences, made in `db`, is
/// listed once: compared with its definition, or listed as not compared.
pub(super) async fn unmodeled_objects_listed(db: TestDb) {
    db.exec(UNMODELED_FIXTURE).await;
    let (snap, _) = snapshot_with(&db.url, &IntrospectOptions::default()).await;
    let c = |k: &str, s: &str, n: &str, on: &str| {
        (
            k.to_string(),
            s.to_string(),
            n.to_string(),
            on.to_string(),
            true,
        )
    };
    let t = |k: &str, s: &str, n: &str, on: &str| {
        (
            k.to_string(),
            s.to_string(),
            n.to_string(),
            on.to_string(),
            false,
        )
    };
    let mut want = vec![
        c("function", "cov", "f_ddl()", ""),
        c("function", "cov", "pair_text(cov.pair)", ""),
        c("function", "cov", "touch()", ""),
        c("procedure", "cov", "purge()", ""),
        t("aggregate", "cov", "total", ""),
        c("trigger", "cov", "events_touch", "events"),
        c("trigger", "cov", "orders_touch", "orders"),
        c("event trigger", "", "cov_ddl", ""),
        c("policy", "cov", "own", "orders"),
        c("row security", "cov", "orders", "orders"),
        c("rule", "cov", "no_delete", "orders"),
        c("extension", "", "citext", ""),
        c("domain", "cov", "positive", ""),
        c("composite type", "cov", "pair", ""),
        c("range type", "cov", "span", ""),
        c("collation", "cov", "c2", ""),
        t("foreign table", "cov", "remote", ""),
        t("foreign data wrapper", "", "cov_fdw", ""),
        t("foreign server", "", "cov_server", ""),
        t("publication", "", "cov_pub", ""),
        t("subscription", "", "cov_sub", ""),
        t("statistics", "cov", "st", ""),
        t("operator", "cov", "===", ""),
        t("cast", "", "cov.pair AS text", ""),
    ];
    let mut got = listed(&snap);
    want.sort_by(|a, b| (&a.1, &a.2, &a.0).cmp(&(&b.1, &b.2, &b.0)));
    got.sort_by(|a, b| (&a.1, &a.2, &a.0).cmp(&(&b.1, &b.2, &b.0)));
    assert_eq!(got, want);
    // Every compared object carries the statement that makes it.
    assert!(snap
        .objects
        .iter()
        .all(|o| !o.definition.is_empty() && !o.drop.is_empty()));
    // citext's functions, operators and type: owned by the extension.
    let owned: Vec<&str> = snap
        .unmodeled
        .iter()
        .filter(|o| o.extension.as_deref() == Some("citext"))
        .map(|o| o.name.as_str())
        .collect();
    assert!(
        owned.iter().any(|n| n.starts_with("citextin(")) && owned.contains(&"citext"),
        "{owned:?}"
    );
    // Partitions and inheritance children are tables, in their place.
    assert!(snap.table("cov", "events").is_some());
    let partition = snap.table("cov", "events_2026").unwrap();
    assert_eq!(partition.parents(), (Some("events"), None));
    let child = snap.table("cov", "child").unwrap();
    assert_eq!(child.parents(), (None, Some("base")));
    // Reads scoped to a schema list what is in it, not database-wide objects.
    let (public, _) = snapshot_with(
        &db.url,
        &IntrospectOptions::default().with_schemas(["public"]),
    )
    .await;
    assert_eq!(listed(&public), Vec::new());
    let (cov, _) =
        snapshot_with(&db.url, &IntrospectOptions::default().with_schemas(["cov"])).await;
    // An extension is one per database, read with the schema it is
    // installed in.
    let in_cov = |o: &(String, String, String, String, bool)| o.1 == "cov" || o.0 == "extension";
    assert!(listed(&cov).iter().all(in_cov));
    assert_eq!(
        listed(&cov).len(),
        want.iter().filter(|o| in_cov(o)).count()
    );
    // The listing survives the snapshot document.
    assert_eq!(
        Snapshot::from_json(&snap.to_json(), std::path::Path::new("s")).unwrap(),
        snap
    );
    db.exec("DROP EVENT TRIGGER cov_ddl; DROP SUBSCRIPTION cov_sub; DROP PUBLICATION cov_pub;")
        .await;
}

/// Partitions (a default one, a partition-local index), an inheritance
/// child with a column of its own and one merged with the parent's,
/// exclusion constraints, deferrable keys, and a materialized view's index.
const HIERARCHY_FIXTURE: &str = "\
CREATE SCHEMA h;
CREATE TABLE h.m (id int NOT NULL, d date NOT NULL, v int, CONSTRAINT m_v_check CHECK (v > 0),
  PRIMARY KEY (id, d)) PARTITION BY RANGE (d);
CREATE INDEX m_v_idx ON h.m (v);
CREATE TABLE h.m_2026 PARTITION OF h.m FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE h.m_other PARTITION OF h.m DEFAULT;
CREATE INDEX m_2026_local_idx ON h.m_2026 (id);
CREATE TABLE h.base (id int NOT NULL, note text DEFAULT 'x');
CREATE TABLE h.child (note text, extra int, CONSTRAINT child_extra_check CHECK (extra > 0)) INHERITS (h.base);
CREATE TABLE h.bookings (room int, during tsrange, code int,
  CONSTRAINT bookings_pkey PRIMARY KEY (room) DEFERRABLE INITIALLY DEFERRED,
  CONSTRAINT bookings_code_key UNIQUE (code) DEFERRABLE,
  CONSTRAINT bookings_no_overlap EXCLUDE USING gist (during WITH &&));
INSERT INTO h.m VALUES (1, '2026-02-01', 3), (2, '2020-01-01', 4);
CREATE MATERIALIZED VIEW h.days AS SELECT DISTINCT d FROM h.m;
CREATE UNIQUE INDEX days_d_idx ON h.days (d);";

#[tokio::test]
async fn hierarchy_fixture_is_read_field_by_field() {
    hierarchy_read_field_by_field(TestDb::postgres().await).await;
}

/// [`HIERARCHY_FIXTURE`], run in `db`, read back field by field.
pub(super) async fn hierarchy_read_field_by_field(db: TestDb) {
    db.exec(HIERARCHY_FIXTURE).await;
    let (snap, _) = snapshot_with(&db.url, &IntrospectOptions::default()).await;
    let inherited = |c: Column| Column {
        inherited: true,
        ..c
    };
    let partition_columns = || {
        map(vec![
            ("id", inherited(col(1, "integer", false))),
            ("d", inherited(col(2, "date", false))),
            ("v", inherited(col(3, "integer", true))),
        ])
    };
    assert_table(
        &snap,
        "h",
        "m",
        &Table {
            columns: map(vec![
                ("id", col(1, "integer", false)),
                ("d", col(2, "date", false)),
                ("v", col(3, "integer", true)),
            ]),
            primary_key: pk("m_pkey", &["id", "d"]),
            indexes: map(vec![("m_v_idx", index(vec![part("v")]))]),
            checks: map(vec![("m_v_check", check("(v > 0)"))]),
            options: map(vec![("partition_by", "RANGE (d)".to_string())]),
            ..Table::default()
        },
    );
    // The key, the check and the index part that come from the partitioned
    // table are its; the partition's own index is the partition's.
    assert_table(
        &snap,
        "h",
        "m_2026",
        &Table {
            columns: partition_columns(),
            indexes: map(vec![("m_2026_local_idx", index(vec![part("id")]))]),
            options: map(vec![
                ("partition_of", "m".to_string()),
                (
                    "partition_bound",
                    "FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')".to_string(),
                ),
            ]),
            ..Table::default()
        },
    );
    assert_table(
        &snap,
        "h",
        "m_other",
        &Table {
            columns: partition_columns(),
            options: map(vec![
                ("partition_of", "m".to_string()),
                ("partition_bound", "DEFAULT".to_string()),
            ]),
            ..Table::default()
        },
    );
    let note = |c: Column| Column {
        default: Some("'x'::text".into()),
        ..c
    };
    assert_table(
        &snap,
        "h",
        "child",
        &Table {
            columns: map(vec![
                ("id", inherited(col(1, "integer", false))),
                ("note", inherited(note(col(2, "text", true)))),
                ("extra", col(3, "integer", true)),
            ]),
            checks: map(vec![("child_extra_check", check("(extra > 0)"))]),
            options: map(vec![("inherits", "base".to_string())]),
            ..Table::default()
        },
    );
    assert_table(
        &snap,
        "h",
        "bookings",
        &Table {
            columns: map(vec![
                ("room", col(1, "integer", false)),
                ("during", col(2, "tsrange", true)),
                ("code", col(3, "integer", true)),
            ]),
            primary_key: Some(PrimaryKey {
                deferrable: true,
                initially_deferred: true,
                ..pk("bookings_pkey", &["room"]).unwrap()
            }),
            uniques: map(vec![(
                "bookings_code_key",
                UniqueConstraint {
                    columns: strings(&["code"]),
                    nulls_not_distinct: false,
                    deferrable: true,
                    initially_deferred: false,
                    comment: None,
                },
            )]),
            exclusions: map(vec![(
                "bookings_no_overlap",
                Exclusion {
                    definition: "EXCLUDE USING gist (during WITH &&)".into(),
                    comment: None,
                },
            )]),
            ..Table::default()
        },
    );
    let days = &snap.schemas["h"].views["days"];
    assert!(days.materialized);
    assert_entries(
        "h.days indexes",
        &days.indexes,
        &map(vec![(
            "days_d_idx",
            Index {
                unique: true,
                ..index(vec![part("d")])
            },
        )]),
    );
    // Nothing of the hierarchy is left uncompared.
    assert_eq!(listed(&snap), Vec::new());
}
