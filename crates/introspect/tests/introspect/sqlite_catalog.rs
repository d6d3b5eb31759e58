//! Live introspection of SQLite: a fixture exercising every object kind
//! SQLite has, compared field by field with what we expect; a fixed number
//! of round trips whatever the catalog size; attached schemas.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;

use driftless_introspect::{ConnectOptions, Database, DbUrl, Error, IntrospectOptions};
use driftless_model::{
    CatalogKind, Check, Column, Dialect, FkAction, ForeignKey, Generated, Identity, Index,
    IndexKey, IndexPart, ObjectKind, ObjectRef, PrimaryKey, Snapshot, Table, UniqueConstraint,
    View,
};
use driftless_testkit::TestDb;

const FIXTURE: &str = r#"
CREATE TABLE "Authors" (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    "Full Name" TEXT NOT NULL COLLATE NOCASE,
    email TEXT UNIQUE,
    born DATE DEFAULT (date('now')),
    karma REAL NOT NULL DEFAULT 0.5 CHECK (karma >= 0),
    created TEXT DEFAULT CURRENT_TIMESTAMP,
    slug TEXT GENERATED ALWAYS AS (lower("Full Name")) VIRTUAL,
    name_len INT AS (length( "Full Name" )) STORED,
    "größe" INTEGER DEFAULT (CAST('42' AS INTEGER)),
    CONSTRAINT ck_email CHECK (email LIKE '%@%' /* a ) in a comment */)
);
-- reserved words as names, a composite key, a self-reference
CREATE TABLE "order" (
    "select" INTEGER NOT NULL,
    "group" INTEGER NOT NULL,
    author_id INTEGER REFERENCES "authors" ON DELETE SET NULL,
    parent_select INTEGER,
    parent_group INTEGER,
    note TEXT DEFAULT 'it''s, (fine)',
    CONSTRAINT pk_order PRIMARY KEY ("select", "group"),
    CONSTRAINT fk_parent FOREIGN KEY (parent_select, parent_group)
        REFERENCES "order" ("select", "group") ON DELETE CASCADE ON UPDATE RESTRICT
        DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (author_id, "group"),
    CHECK ("group" > 0 AND note <> ')')
) WITHOUT ROWID;
CREATE TABLE plain (k TEXT PRIMARY KEY, v BLOB DEFAULT x'00ff');
CREATE INDEX ix_authors_lower ON "Authors" (lower(email) DESC, karma COLLATE RTRIM) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX "Ix Ünïcode" ON "Authors" ("größe");
CREATE INDEX ix_order_author ON "order" (author_id, "select" DESC);
CREATE VIEW "Author Names" AS
    SELECT id, "Full Name" -- the name
    FROM "Authors" WHERE karma > 0;
CREATE VIRTUAL TABLE docs USING fts5(body);
CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL);
INSERT INTO "Authors" ("Full Name", email) VALUES ('Ada', 'ada@example.org');
"#;

async fn open(url: &str) -> Database {
    Database::connect(&DbUrl::parse(url).unwrap(), &ConnectOptions::read_only())
        .await
        .unwrap()
}

fn col(position: u32, ty: &str) -> Column {
    Column::new(position, ty)
}

fn not_null(mut c: Column) -> Column {
    c.nullable = false;
    c
}

fn default(mut c: Column, d: &str) -> Column {
    c.default = Some(d.into());
    c
}

fn columns(cols: Vec<(&str, Column)>) -> BTreeMap<String, Column> {
    cols.into_iter().map(|(n, c)| (n.to_string(), c)).collect()
}

fn expected_authors() -> Table {
    let mut t = Table {
        columns: columns(vec![
            (
                "id",
                // A rowid alias is NOT NULL only when declared so.
                Column {
                    inherited: false,
                    identity: Some(Identity::AutoIncrement),
                    identity_options: None,
                    ..col(1, "INTEGER")
                },
            ),
            (
                "Full Name",
                Column {
                    inherited: false,
                    collation: Some("NOCASE".into()),
                    ..not_null(col(2, "TEXT"))
                },
            ),
            ("email", col(3, "TEXT")),
            ("born", default(col(4, "DATE"), "date('now')")),
            ("karma", default(not_null(col(5, "REAL")), "0.5")),
            ("created", default(col(6, "TEXT"), "CURRENT_TIMESTAMP")),
            (
                "slug",
                Column {
                    inherited: false,
                    generated: Some(Generated {
                        expression: "lower(\"Full Name\")".into(),
                        stored: false,
                    }),
                    ..col(7, "TEXT")
                },
            ),
            (
                "name_len",
                Column {
                    inherited: false,
                    generated: Some(Generated {
                        expression: "length( \"Full Name\" )".into(),
                        stored: true,
                    }),
                    ..col(8, "INT")
                },
            ),
            ("größe", default(col(9, "INTEGER"), "CAST('42' AS INTEGER)")),
        ]),
        ..Table::default()
    };
    t.primary_key = Some(PrimaryKey {
        deferrable: false,
        initially_deferred: false,
        name: "pk_Authors".into(),
        columns: vec!["id".into()],
        comment: None,
    });
    t.uniques.insert(
        "uq_Authors_email".into(),
        UniqueConstraint {
            deferrable: false,
            initially_deferred: false,
            columns: vec!["email".into()],
            nulls_not_distinct: false,
            comment: None,
        },
    );
    t.indexes.insert(
        "ix_authors_lower".into(),
        Index {
            parts: vec![
                IndexPart {
                    descending: true,
                    ..IndexPart {
                        key: IndexKey::Expression("lower(email)".into()),
                        ..IndexPart::column("")
                    }
                },
                IndexPart {
                    collation: Some("RTRIM".into()),
                    ..IndexPart::column("karma")
                },
            ],
            unique: false,
            method: None,
            predicate: Some("email IS NOT NULL".into()),
            include: vec![],
            comment: None,
            ignored: false,
            storage: Vec::new(),
            nulls_not_distinct: false,
        },
    );
    t.indexes.insert(
        "Ix Ünïcode".into(),
        Index {
            parts: vec![IndexPart::column("größe")],
            unique: true,
            method: None,
            predicate: None,
            include: vec![],
            comment: None,
            ignored: false,
            storage: Vec::new(),
            nulls_not_distinct: false,
        },
    );
    t.checks.insert(
        "ck_Authors_karma".into(),
        Check {
            expression: "karma >= 0".into(),
            comment: None,
            no_inherit: false,
        },
    );
    t.checks.insert(
        "ck_email".into(),
        Check {
            expression: "email LIKE '%@%'".into(),
            comment: None,
            no_inherit: false,
        },
    );
    t
}

fn expected_order() -> Table {
    let mut t = Table {
        columns: columns(vec![
            ("select", not_null(col(1, "INTEGER"))),
            ("group", not_null(col(2, "INTEGER"))),
            ("author_id", col(3, "INTEGER")),
            ("parent_select", col(4, "INTEGER")),
            ("parent_group", col(5, "INTEGER")),
            ("note", default(col(6, "TEXT"), "'it''s, (fine)'")),
        ]),
        ..Table::default()
    };
    t.primary_key = Some(PrimaryKey {
        deferrable: false,
        initially_deferred: false,
        name: "pk_order".into(),
        columns: vec!["select".into(), "group".into()],
        comment: None,
    });
    t.uniques.insert(
        "uq_order_author_id_group".into(),
        UniqueConstraint {
            deferrable: false,
            initially_deferred: false,
            columns: vec!["author_id".into(), "group".into()],
            nulls_not_distinct: false,
            comment: None,
        },
    );
    t.indexes.insert(
        "ix_order_author".into(),
        Index {
            parts: vec![
                IndexPart::column("author_id"),
                IndexPart {
                    descending: true,
                    ..IndexPart::column("select")
                },
            ],
            unique: false,
            method: None,
            predicate: None,
            include: vec![],
            comment: None,
            ignored: false,
            storage: Vec::new(),
            nulls_not_distinct: false,
        },
    );
    t.foreign_keys.insert(
        "fk_order_author_id".into(),
        ForeignKey {
            columns: vec!["author_id".into()],
            ref_schema: "main".into(),
            ref_table: "Authors".into(),
            ref_columns: vec!["id".into()],
            on_delete: FkAction::SetNull,
            on_update: FkAction::NoAction,
            deferrable: false,
            initially_deferred: false,
            comment: None,
            match_full: false,
        },
    );
    t.foreign_keys.insert(
        "fk_parent".into(),
        ForeignKey {
            columns: vec!["parent_select".into(), "parent_group".into()],
            ref_schema: "main".into(),
            ref_table: "order".into(),
            ref_columns: vec!["select".into(), "group".into()],
            on_delete: FkAction::Cascade,
            on_update: FkAction::Restrict,
            deferrable: true,
            initially_deferred: true,
            comment: None,
            match_full: false,
        },
    );
    t.checks.insert(
        "ck_order_group".into(),
        Check {
            expression: "\"group\" > 0 AND note <> ')'".into(),
            comment: None,
            no_inherit: false,
        },
    );
    t.options.insert("without_rowid".into(), "true".into());
    t
}

fn expected_plain() -> Table {
    let mut t = Table {
        columns: columns(vec![
            ("k", col(1, "TEXT")),
            ("v", default(col(2, "BLOB"), "x'00ff'")),
        ]),
        ..Table::default()
    };
    t.primary_key = Some(PrimaryKey {
        deferrable: false,
        initially_deferred: false,
        name: "pk_plain".into(),
        columns: vec!["k".into()],
        comment: None,
    });
    t
}

#[tokio::test]
async fn fixture_is_read_field_by_field() {
    let db = TestDb::sqlite();
    db.exec(FIXTURE).await;
    let mut conn = open(&db.url).await;
    let snap = conn.snapshot(&IntrospectOptions::default()).await.unwrap();
    assert_eq!(snap.dialect, Dialect::Sqlite);
    assert_eq!(snap.schemas.keys().collect::<Vec<_>>(), vec!["main"]);
    let main = &snap.schemas["main"];
    // No ledger table, no virtual table or its shadow tables, no sqlite_sequence.
    assert_eq!(
        main.tables.keys().collect::<Vec<_>>(),
        vec!["Authors", "order", "plain"]
    );
    assert_eq!(main.tables["Authors"], expected_authors());
    assert_eq!(main.tables["order"], expected_order());
    assert_eq!(main.tables["plain"], expected_plain());
    assert_eq!(
        main.views,
        BTreeMap::from([(
            "Author Names".to_string(),
            View {
                indexes: Default::default(),
                options: Default::default(),
                definition: "SELECT id, \"Full Name\" FROM \"Authors\" WHERE karma > 0".into(),
                materialized: false,
                comment: None
            },
        )])
    );
    assert!(main.enums.is_empty() && main.sequences.is_empty());

    // Ledger tables come back when asked for.
    let mut opts = IntrospectOptions::default();
    opts.include_ledger_tables = true;
    let with_ledger = conn.snapshot(&opts).await.unwrap();
    let ledger = with_ledger.table("main", "_sqlx_migrations").unwrap();
    assert_eq!(ledger.column_order(), vec!["version", "description"]);

    // The snapshot survives its JSON form.
    let back = Snapshot::from_json(&snap.to_json(), std::path::Path::new("s.json")).unwrap();
    assert_eq!(back, snap);
}

#[tokio::test]
async fn same_ddl_gives_the_same_snapshot() {
    let a = TestDb::sqlite();
    let b = TestDb::sqlite();
    a.exec(FIXTURE).await;
    // Same schema, different layout and comments.
    let relaid: String = FIXTURE
        .replace("    ", "\t  ")
        .replace("/* a ) in a comment */", "-- other\n");
    b.exec(&relaid).await;
    let sa = open(&a.url)
        .await
        .snapshot(&IntrospectOptions::default())
        .await
        .unwrap();
    let sb = open(&b.url)
        .await
        .snapshot(&IntrospectOptions::default())
        .await
        .unwrap();
    assert_eq!(sa, sb);
}

fn catalog_sql(tables: usize) -> String {
    let mut sql = String::new();
    for i in 0..tables {
        let fk = if i == 0 {
            String::new()
        } else {
            format!(
                ", parent_id INTEGER REFERENCES t{} (id) ON DELETE CASCADE",
                i - 1
            )
        };
        sql.push_str(&format!(
            "CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, qty INT DEFAULT 0 CHECK (qty >= 0), \
             total INT AS (qty * 2){fk});\n\
             CREATE INDEX t{i}_name ON t{i} (lower(name)) WHERE qty > 0;\n"
        ));
        if i % 10 == 0 {
            sql.push_str(&format!("CREATE VIEW v{i} AS SELECT id, name FROM t{i};\n"));
        }
    }
    sql
}

#[tokio::test]
async fn round_trips_do_not_depend_on_catalog_size() {
    let mut counts = Vec::new();
    for n in [3, 60] {
        let db = TestDb::sqlite();
        db.exec(&catalog_sql(n)).await;
        let mut conn = open(&db.url).await;
        let before = conn.round_trips();
        let snap = conn.snapshot(&IntrospectOptions::default()).await.unwrap();
        counts.push(conn.round_trips() - before);
        let c = snap.counts();
        assert_eq!(
            (c.tables, c.indexes, c.uniques, c.checks, c.foreign_keys),
            (n, n, n, n, n - 1)
        );
        assert_eq!(c.views, n.div_ceil(10));
        assert_eq!(c.columns, 4 * n + (n - 1));
    }
    assert_eq!(counts[0], counts[1], "round trips for 3 and 60 tables");
    assert_eq!(counts[0], 1, "SQLite is read in one statement");
}

#[tokio::test]
async fn attached_schemas_are_read_when_named() {
    let main = TestDb::sqlite();
    let aux = TestDb::sqlite();
    main.exec("CREATE TABLE a (id INTEGER PRIMARY KEY)").await;
    aux.exec("CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INT REFERENCES b)")
        .await;
    let mut conn = Database::connect(
        &DbUrl::parse(&main.url).unwrap(),
        &ConnectOptions::default(),
    )
    .await
    .unwrap();
    conn.execute(
        &format!(
            "ATTACH DATABASE '{}' AS \"aux db\"",
            aux.name.replace('\'', "''")
        ),
        "attach",
    )
    .await
    .unwrap();
    let opts = IntrospectOptions::default().with_schemas(["main", "aux db"]);
    let snap = conn.snapshot(&opts).await.unwrap();
    assert_eq!(
        snap.schemas.keys().collect::<Vec<_>>(),
        vec!["aux db", "main"]
    );
    assert!(snap.table("main", "a").is_some());
    let b = snap.table("aux db", "b").unwrap();
    assert_eq!(b.foreign_keys["fk_b_a_id"].ref_schema, "aux db");
    assert_eq!(b.foreign_keys["fk_b_a_id"].ref_columns, vec!["id"]);

    let err = conn
        .snapshot(&IntrospectOptions::default().with_schemas(["nope"]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err:?}");
    assert!(err.to_string().contains("`nope` is not attached"), "{err}");
}

#[tokio::test]
async fn empty_database_has_an_empty_main_schema() {
    let db = TestDb::sqlite();
    let snap = open(&db.url)
        .await
        .snapshot(&IntrospectOptions::default())
        .await
        .unwrap();
    assert_eq!(snap.schemas.len(), 1);
    assert_eq!(snap.schemas["main"], Default::default());
}

#[tokio::test]
async fn a_trigger_named_like_its_table_does_not_hide_it() {
    // Triggers have their own namespace: `t` can be both a table and a
    // trigger. The table must still be read.
    let db = TestDb::sqlite();
    db.exec(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE);\n\
         CREATE TRIGGER t AFTER INSERT ON t BEGIN SELECT 1; END;",
    )
    .await;
    let snap = open(&db.url)
        .await
        .snapshot(&IntrospectOptions::default())
        .await
        .unwrap();
    let t = snap.table("main", "t").expect("table t");
    assert_eq!(t.column_order(), vec!["id", "v"]);
    assert_eq!(t.uniques["uq_t_v"].columns, vec!["v"]);
}

#[tokio::test]
async fn names_with_quotes_backslashes_and_newlines_are_read_exactly() {
    let db = TestDb::sqlite();
    db.exec(
        "CREATE TABLE \"pa\"\"rent\\\" (\"k\"\"ey\" TEXT PRIMARY KEY, \"ü\" INT);\n\
         CREATE TABLE \"ch\nild\" (\n\
             id INTEGER PRIMARY KEY,\n\
             \"re\\f\" TEXT DEFAULT 'a''b\\c' REFERENCES \"pa\"\"rent\\\",\n\
             \"tab\tname\" INT CHECK (\"tab\tname\" > 0)\n\
         );\n\
         CREATE INDEX \"ix \"\"q\"\"\" ON \"ch\nild\" (\"re\\f\" COLLATE NOCASE DESC, \"tab\tname\" + 1);",
    )
    .await;
    let snap = open(&db.url)
        .await
        .snapshot(&IntrospectOptions::default())
        .await
        .unwrap();
    let parent = snap.table("main", "pa\"rent\\").expect("parent");
    assert_eq!(parent.column_order(), vec!["k\"ey", "ü"]);
    assert_eq!(parent.primary_key.as_ref().unwrap().columns, vec!["k\"ey"]);
    let child = snap.table("main", "ch\nild").expect("child");
    assert_eq!(child.column_order(), vec!["id", "re\\f", "tab\tname"]);
    assert_eq!(child.columns["re\\f"].default.as_deref(), Some("'a''b\\c'"));
    let fk = &child.foreign_keys["fk_ch\nild_re\\f"];
    assert_eq!(fk.ref_table, "pa\"rent\\");
    assert_eq!(fk.ref_columns, vec!["k\"ey"]);
    assert_eq!(
        child.checks["ck_ch\nild_tab\tname"].expression,
        "\"tab\tname\" > 0"
    );
    let ix = &child.indexes["ix \"q\""];
    assert_eq!(ix.parts[0].key, IndexKey::Column("re\\f".into()));
    assert_eq!(ix.parts[0].collation.as_deref(), Some("NOCASE"));
    assert!(ix.parts[0].descending);
    assert_eq!(
        ix.parts[1].key,
        IndexKey::Expression("\"tab\tname\" + 1".into())
    );
}

/// A statement that never ends on its own: counts an endless series.
const RUNAWAY: &str =
    "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r";

/// Regression: SQL holding a NUL character (from a migration file or a
/// snapshot) made SQLite's driver loop forever preparing the text after it.
#[tokio::test]
async fn regression_sql_holding_a_nul_is_refused_before_it_is_sent() {
    let db = TestDb::sqlite();
    let mut c = Database::connect(&DbUrl::parse(&db.url).unwrap(), &ConnectOptions::default())
        .await
        .unwrap();
    let sent = c.round_trips();
    for sql in [
        "CREATE TABLE u (id INTEGER PRIMARY KEY);\0\n",
        "SELECT 1;\n\0",
    ] {
        let err = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            c.execute(sql, "replaying"),
        )
        .await
        .expect("refused at once, not spinning in the driver")
        .unwrap_err();
        assert!(matches!(err, Error::NulCharacter { .. }), "{err}");
        let err = tokio::time::timeout(std::time::Duration::from_secs(10), c.query(sql, "reading"))
            .await
            .expect("refused at once")
            .unwrap_err();
        assert!(err.to_string().contains("NUL character"), "{err}");
    }
    let err = c.execute("SELECT 1;\n\0", "replaying").await.unwrap_err();
    assert!(err.to_string().contains("line 2, column 1"), "{err}");
    assert_eq!(c.round_trips(), sent, "nothing was sent");
    // Nothing was run: the table does not exist, and the connection works.
    let rows = c
        .query("SELECT count(*) FROM sqlite_schema", "counting")
        .await
        .unwrap();
    assert_eq!(rows[0][0].as_i64(), Some(0));
}

/// SQLite has no statement timeout of its own: the connection interrupts
/// a statement that runs past it, and the next statement runs normally.
#[tokio::test]
async fn sqlite_statements_honour_the_statement_timeout() {
    let db = TestDb::sqlite();
    let mut c = open(&db.url).await;
    c.set_statement_timeout(Some(std::time::Duration::from_millis(200)));
    let started = std::time::Instant::now();
    let err = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        c.query(RUNAWAY, "counting forever"),
    )
    .await
    .expect("interrupted at the statement timeout")
    .unwrap_err();
    assert!(
        matches!(&err, Error::StatementTimeout { timeout, .. } if timeout.as_millis() == 200),
        "{err}"
    );
    assert!(err.to_string().contains("counting forever"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let rows = c.query("SELECT 42", "after the timeout").await.unwrap();
    assert_eq!(rows[0][0].as_i64(), Some(42));
    // Without a timeout a long statement runs to its end.
    c.set_statement_timeout(None);
    let rows = c
        .query(
            "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r LIMIT 300000) SELECT count(*) FROM r",
            "counting",
        )
        .await
        .unwrap();
    assert_eq!(rows[0][0].as_i64(), Some(300_000));
}

/// A [`SqliteInterrupt`](driftless_introspect::SqliteInterrupt) stops the
/// statement running on its connection from another task; the next one
/// runs normally.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_interrupt_stops_the_running_statement() {
    let db = TestDb::sqlite();
    let mut c = open(&db.url).await;
    let stop = c
        .sqlite_interrupt()
        .expect("SQLite connections can be interrupted");
    assert!(!stop.interrupt(), "nothing is running yet");
    let task = tokio::spawn(async move {
        let r = c.query(RUNAWAY, "counting forever").await.map(drop);
        (c, r)
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(stop.interrupt(), "the statement is running");
    let (mut c, r) = tokio::time::timeout(std::time::Duration::from_secs(10), task)
        .await
        .expect("stopped at once")
        .unwrap();
    let err = r.unwrap_err();
    assert!(err.to_string().contains("interrupted"), "{err}");
    assert_eq!(
        c.query("SELECT 1", "after").await.unwrap()[0][0].as_i64(),
        Some(1)
    );
}

#[tokio::test]
async fn triggers_are_compared_and_virtual_tables_listed_not_compared() {
    let db = TestDb::sqlite();
    db.exec(
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, updated_at TEXT);\n\
         CREATE TRIGGER orders_touch AFTER UPDATE ON orders BEGIN \
           UPDATE orders SET updated_at = datetime('now') WHERE id = NEW.id; END;\n\
         CREATE VIRTUAL TABLE docs USING fts5(body);",
    )
    .await;
    let mut conn = open(&db.url).await;
    let before = conn.round_trips();
    let snap = conn.snapshot(&IntrospectOptions::default()).await.unwrap();
    assert_eq!(conn.round_trips() - before, 1, "still one statement");
    let got: Vec<(&str, Option<&str>, &str)> = snap
        .unmodeled
        .iter()
        .map(|o| (o.kind.as_str(), o.schema.as_deref(), o.name.as_str()))
        .collect();
    // The fts5 shadow tables belong to `docs` and are not listed; the
    // trigger is compared, not listed.
    assert_eq!(got, [("virtual table", Some("main"), "docs")]);
    let names: Vec<String> = snap.objects.iter().map(|o| o.label()).collect();
    assert_eq!(names, ["trigger orders_touch on main.orders"]);
    assert!(snap.table("main", "docs").is_none());
    assert_eq!(snap.table("main", "orders").unwrap().columns.len(), 2);
}

/// Every kind SQLite has beyond tables, columns, keys and views: triggers
/// (on a table, on a view), WITHOUT ROWID and STRICT tables, generated
/// columns, columns declared without a type, rowid aliases declared NOT
/// NULL or not, partial indexes with any WHERE.
const KINDS: &str = r#"
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    status TEXT NOT NULL DEFAULT 'new',
    note,
    payload BLOB,
    total REAL,
    taxed REAL GENERATED ALWAYS AS (total * 1.2) STORED,
    label AS (upper(status)),
    updated_at TEXT
);
CREATE TABLE audit (id INTEGER NOT NULL PRIMARY KEY, what ANY, at TEXT) STRICT;
CREATE TABLE kv (k TEXT PRIMARY KEY, v) WITHOUT ROWID;
CREATE TABLE pair (a INT, b INT NOT NULL, v ANY, PRIMARY KEY (a, b)) STRICT, WITHOUT ROWID;
CREATE INDEX ix_open ON orders (status, total) WHERE status IN ('new', 'paid') AND note IS NOT NULL;
CREATE UNIQUE INDEX ix_big ON orders (lower(status)) WHERE coalesce(total, 0) > 100 OR length(note) BETWEEN 1 AND 5;
CREATE VIEW open_orders AS SELECT id, status FROM orders WHERE status = 'new';
CREATE TRIGGER orders_touch AFTER UPDATE OF status ON orders
  WHEN NEW.status <> OLD.status
BEGIN
  UPDATE orders SET updated_at = datetime('now') WHERE id = NEW.id;
  INSERT INTO "audit" (what, at) VALUES ('touch', datetime('now'));
END;
CREATE TRIGGER open_insert INSTEAD OF INSERT ON open_orders BEGIN INSERT INTO orders (status) VALUES (NEW.status); END;
INSERT INTO orders (status, note, total) VALUES ('paid', 'n', 150);
"#;

fn index(parts: Vec<IndexPart>, unique: bool, predicate: &str) -> Index {
    Index {
        parts,
        unique,
        method: None,
        predicate: Some(predicate.into()),
        include: vec![],
        comment: None,
        ignored: false,
        storage: Vec::new(),
        nulls_not_distinct: false,
    }
}

#[tokio::test]
async fn every_sqlite_kind_is_read_field_by_field() {
    let db = TestDb::sqlite();
    db.exec(KINDS).await;
    let mut conn = open(&db.url).await;
    let before = conn.round_trips();
    let snap = conn.snapshot(&IntrospectOptions::default()).await.unwrap();
    assert_eq!(conn.round_trips() - before, 1, "one statement");
    let main = &snap.schemas["main"];
    let generated = |expression: &str, stored: bool, c: Column| Column {
        generated: Some(Generated {
            expression: expression.into(),
            stored,
        }),
        ..c
    };
    let mut orders = Table {
        columns: columns(vec![
            ("id", col(1, "INTEGER")),
            ("status", default(not_null(col(2, "TEXT")), "'new'")),
            ("note", col(3, "")),
            ("payload", col(4, "BLOB")),
            ("total", col(5, "REAL")),
            ("taxed", generated("total * 1.2", true, col(6, "REAL"))),
            ("label", generated("upper(status)", false, col(7, ""))),
            ("updated_at", col(8, "TEXT")),
        ]),
        primary_key: Some(PrimaryKey {
            deferrable: false,
            initially_deferred: false,
            name: "pk_orders".into(),
            columns: vec!["id".into()],
            comment: None,
        }),
        ..Table::default()
    };
    orders.indexes.insert(
        "ix_open".into(),
        index(
            vec![IndexPart::column("status"), IndexPart::column("total")],
            false,
            "status IN ('new', 'paid') AND note IS NOT NULL",
        ),
    );
    orders.indexes.insert(
        "ix_big".into(),
        index(
            vec![IndexPart {
                key: IndexKey::Expression("lower(status)".into()),
                ..IndexPart::column("status")
            }],
            true,
            "coalesce(total, 0) > 100 OR length(note) BETWEEN 1 AND 5",
        ),
    );
    assert_eq!(main.tables["orders"], orders);

    let option = |k: &str| (k.to_string(), "true".to_string());
    let audit = &main.tables["audit"];
    assert_eq!(audit.options, BTreeMap::from([option("strict")]));
    assert!(!audit.columns["id"].nullable, "declared NOT NULL");
    assert_eq!(audit.columns["what"].data_type, "ANY");
    let kv = &main.tables["kv"];
    assert_eq!(kv.options, BTreeMap::from([option("without_rowid")]));
    assert_eq!(
        (kv.columns["v"].data_type.as_str(), kv.columns["v"].nullable),
        ("", true)
    );
    let pair = &main.tables["pair"];
    assert_eq!(
        pair.options,
        BTreeMap::from([option("strict"), option("without_rowid")])
    );
    assert_eq!(pair.primary_key.as_ref().unwrap().columns, vec!["a", "b"]);

    // Triggers: the statement as stored, the table (or view) they are on,
    // a drop that works, and what they read.
    let stored: BTreeMap<String, String> = {
        let mut s = driftless_introspect::Database::connect(
            &DbUrl::parse(&db.url).unwrap(),
            &ConnectOptions::read_only(),
        )
        .await
        .unwrap();
        s.query(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger'",
            "reading triggers",
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().to_string(),
                r[1].as_str().unwrap().to_string(),
            )
        })
        .collect()
    };
    let [open_insert, touch] = snap.objects.as_slice() else {
        panic!("two triggers: {:?}", snap.objects)
    };
    assert_eq!(
        (
            open_insert.kind,
            open_insert.schema.as_deref(),
            open_insert.table.as_deref(),
            open_insert.name.as_str()
        ),
        (
            CatalogKind::Trigger,
            Some("main"),
            Some("open_orders"),
            "open_insert"
        )
    );
    assert_eq!(open_insert.definition, stored["open_insert"]);
    assert_eq!(open_insert.drop, "DROP TRIGGER \"main\".\"open_insert\"");
    assert_eq!(
        open_insert.depends_on,
        vec![
            ObjectRef::schema_object(ObjectKind::View, "main", Some("open_orders")),
            ObjectRef::table("main", "orders"),
        ]
    );
    assert_eq!(touch.table.as_deref(), Some("orders"));
    assert_eq!(touch.definition, stored["orders_touch"]);
    assert!(touch.definition.contains("WHEN NEW.status <> OLD.status"));
    assert_eq!(
        touch.depends_on,
        vec![
            ObjectRef::table("main", "orders"),
            ObjectRef::table("main", "audit")
        ]
    );
    assert!(touch.then.is_empty() && touch.comment.is_none());
    assert!(snap.unmodeled.is_empty(), "{:?}", snap.unmodeled);

    // The drop statements work, and the snapshot survives its JSON form.
    let rw = TestDb::sqlite();
    rw.exec(KINDS).await;
    rw.exec(&format!("{};\n{}", open_insert.drop, touch.drop))
        .await;
    let after = open(&rw.url)
        .await
        .snapshot(&IntrospectOptions::default())
        .await
        .unwrap();
    assert!(after.objects.is_empty());
    let back = Snapshot::from_json(&snap.to_json(), std::path::Path::new("s.json")).unwrap();
    assert_eq!(back, snap);
}
