//! Live introspection of MySQL/MariaDB: a fixture exercising every object
//! kind the server has, compared field by field with what we expect; a
//! fixed number of round trips whatever the catalog size; schema selection.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;

use driftless_introspect::{ConnectOptions, Database, DbUrl, IntrospectOptions};
use driftless_model::{
    Check, Column, Dialect, FkAction, ForeignKey, Generated, Identity, Index, IndexKey, IndexPart,
    PrimaryKey, Sequence, Snapshot, Table, UniqueConstraint,
};
use driftless_testkit::TestDb;

const FIXTURE: &str = include_str!("mariadb_fixture.sql");

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

fn index(parts: Vec<IndexPart>) -> Index {
    Index {
        parts,
        unique: false,
        method: None,
        predicate: None,
        include: vec![],
        comment: None,
        ignored: false,
        storage: Vec::new(),
        nulls_not_distinct: false,
    }
}

fn expected_authors() -> Table {
    let mut t = Table {
        comment: Some("people who write".into()),
        columns: columns(vec![
            (
                "id",
                Column {
                    inherited: false,
                    identity: Some(Identity::AutoIncrement),
                    identity_options: None,
                    ..not_null(col(1, "int(11)"))
                },
            ),
            (
                "Full Name",
                Column {
                    inherited: false,
                    collation: Some("utf8mb4_bin".into()),
                    comment: Some("as printed".into()),
                    ..not_null(col(2, "varchar(100)"))
                },
            ),
            ("email", col(3, "varchar(255)")),
            (
                "status",
                default(
                    not_null(col(4, "enum('active','it''s','gone')")),
                    "'active'",
                ),
            ),
            ("karma", default(not_null(col(5, "decimal(10,2)")), "0.50")),
            (
                "created",
                default(not_null(col(6, "timestamp(6)")), "current_timestamp(6)"),
            ),
            ("born", default(col(7, "date"), "'2000-01-01'")),
            ("token", default(col(8, "char(36)"), "(uuid())")),
            (
                "score",
                default(col(9, "int(11)"), "(cast('42' as signed) + 1)"),
            ),
            ("prefs", col(10, "json")),
            (
                "slug",
                Column {
                    inherited: false,
                    generated: Some(Generated {
                        expression: "lcase(`Full Name`)".into(),
                        stored: false,
                    }),
                    ..col(11, "varchar(100)")
                },
            ),
            (
                "name_len",
                Column {
                    inherited: false,
                    generated: Some(Generated {
                        expression: "char_length(`Full Name`)".into(),
                        stored: true,
                    }),
                    ..col(12, "int(11)")
                },
            ),
            ("größe", col(13, "int(11)")),
            ("bio", col(14, "text")),
            (
                "secret",
                Column {
                    invisible: true,
                    comment: Some("not in SELECT *".into()),
                    ..default(col(15, "varchar(20)"), "'hidden'")
                },
            ),
        ]),
        ..Table::default()
    };
    t.primary_key = Some(PrimaryKey {
        deferrable: false,
        initially_deferred: false,
        name: "PRIMARY".into(),
        columns: vec!["id".into()],
        comment: None,
    });
    t.uniques.insert(
        "uq_email".into(),
        UniqueConstraint {
            deferrable: false,
            initially_deferred: false,
            columns: vec!["email".into()],
            nulls_not_distinct: false,
            comment: None,
        },
    );
    t.indexes.insert(
        "ix_name_prefix".into(),
        index(vec![
            IndexPart {
                length: Some(10),
                ..IndexPart::column("Full Name")
            },
            IndexPart {
                descending: true,
                ..IndexPart::column("created")
            },
        ]),
    );
    t.indexes
        .insert("ix_slug".into(), index(vec![IndexPart::column("slug")]));
    // A unique key with a comment is a unique index (a constraint has none).
    t.indexes.insert(
        "uq_token".into(),
        Index {
            unique: true,
            comment: Some("one per author".into()),
            ..index(vec![IndexPart::column("token")])
        },
    );
    t.indexes.insert(
        "ix_born".into(),
        Index {
            ignored: true,
            comment: Some("by birthday".into()),
            ..index(vec![IndexPart::column("born")])
        },
    );
    t.indexes.insert(
        "ix_score".into(),
        Index {
            ignored: true,
            ..index(vec![IndexPart::column("score")])
        },
    );
    t.indexes.insert(
        "ft_bio".into(),
        Index {
            method: Some("FULLTEXT".into()),
            ..index(vec![IndexPart::column("bio")])
        },
    );
    t.checks.insert(
        "ck_karma".into(),
        Check {
            expression: "`karma` >= 0".into(),
            comment: None,
            no_inherit: false,
        },
    );
    t
}

fn expected_order(schema: &str) -> Table {
    let mut t = Table {
        columns: columns(vec![
            ("select", not_null(col(1, "int(11)"))),
            ("group", not_null(col(2, "int(11)"))),
            ("author_id", col(3, "int(11)")),
            ("parent_select", col(4, "int(11)")),
            ("parent_group", col(5, "int(11)")),
            ("note", default(col(6, "varchar(20)"), "'it''s, (fine)'")),
        ]),
        ..Table::default()
    };
    t.primary_key = Some(PrimaryKey {
        deferrable: false,
        initially_deferred: false,
        name: "PRIMARY".into(),
        columns: vec!["select".into(), "group".into()],
        comment: None,
    });
    // An unnamed UNIQUE KEY is named after its first column.
    t.uniques.insert(
        "author_id".into(),
        UniqueConstraint {
            deferrable: false,
            initially_deferred: false,
            columns: vec!["author_id".into(), "group".into()],
            nulls_not_distinct: false,
            comment: None,
        },
    );
    // InnoDB's index for fk_parent (no index covered its columns); fk_author
    // is covered by the unique key.
    t.indexes.insert(
        "fk_parent".into(),
        index(vec![
            IndexPart::column("parent_select"),
            IndexPart::column("parent_group"),
        ]),
    );
    t.foreign_keys.insert(
        "fk_author".into(),
        ForeignKey {
            columns: vec!["author_id".into()],
            ref_schema: schema.into(),
            ref_table: "Authors".into(),
            ref_columns: vec!["id".into()],
            on_delete: FkAction::SetNull,
            on_update: FkAction::Cascade,
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
            ref_schema: schema.into(),
            ref_table: "order".into(),
            ref_columns: vec!["select".into(), "group".into()],
            on_delete: FkAction::Cascade,
            // Unspecified: NO ACTION, which MariaDB reports as RESTRICT.
            on_update: FkAction::NoAction,
            deferrable: false,
            initially_deferred: false,
            comment: None,
            match_full: false,
        },
    );
    // A column-level check is named after its column; an unnamed table
    // check CONSTRAINT_<n>.
    t.checks.insert(
        "note".into(),
        Check {
            expression: "`note` <> ''".into(),
            comment: None,
            no_inherit: false,
        },
    );
    t.checks.insert(
        "CONSTRAINT_1".into(),
        Check {
            expression: "`group` > 0".into(),
            comment: None,
            no_inherit: false,
        },
    );
    t
}

#[tokio::test]
async fn fixture_is_read_field_by_field() {
    let db = TestDb::mysql().await;
    db.exec(FIXTURE).await;
    let mut conn = open(&db.url).await;
    let snap = conn.snapshot(&IntrospectOptions::default()).await.unwrap();
    assert_eq!(snap.dialect, Dialect::Mysql);
    assert_eq!(snap.schemas.keys().collect::<Vec<_>>(), vec![&db.name]);
    let schema = &snap.schemas[&db.name];
    assert_eq!(
        schema.tables.keys().collect::<Vec<_>>(),
        vec!["Authors", "order"],
        "no ledger table, no sequence, no view among the tables"
    );
    assert_eq!(schema.tables["Authors"], expected_authors());
    assert_eq!(schema.tables["order"], expected_order(&db.name));
    assert_eq!(
        schema.views.keys().collect::<Vec<_>>(),
        vec!["Author Names"]
    );
    assert_eq!(
        schema.views["Author Names"].definition,
        "select `Authors`.`id` AS `id`,`Authors`.`Full Name` AS `Full Name` from `Authors` where `Authors`.`karma` > 0"
    );
    assert_eq!(
        schema.sequences,
        BTreeMap::from([(
            "invoice_no".to_string(),
            Sequence {
                data_type: "bigint".into(),
                start: 100,
                increment: 10,
                min_value: 1,
                max_value: 100000,
                cache: 20,
                cycle: true,
                owned_by: None,
                comment: None,
            }
        )])
    );
    assert!(schema.enums.is_empty(), "MySQL enums are column types");

    // Ledger tables come back when asked for.
    let mut opts = IntrospectOptions::default();
    opts.include_ledger_tables = true;
    let with_ledger = conn.snapshot(&opts).await.unwrap();
    assert!(with_ledger.table(&db.name, "schema_migrations").is_some());

    // The snapshot survives its JSON form.
    let back = Snapshot::from_json(&snap.to_json(), std::path::Path::new("s.json")).unwrap();
    assert_eq!(back, snap);
}

#[tokio::test]
async fn two_databases_from_the_same_ddl_compare_equal() {
    let a = TestDb::mysql().await;
    let b = TestDb::mysql().await;
    a.exec(FIXTURE).await;
    b.exec(FIXTURE).await;
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
    // Views lose their own schema's qualifier, so only FK ref_schema differs.
    let mut sb_schema = sb.schemas[&b.name].clone();
    for t in sb_schema.tables.values_mut() {
        for fk in t.foreign_keys.values_mut() {
            assert_eq!(fk.ref_schema, b.name);
            fk.ref_schema = a.name.clone();
        }
    }
    assert_eq!(sa.schemas[&a.name], sb_schema);
}

fn catalog_sql(tables: usize) -> String {
    let mut sql = String::from("CREATE SEQUENCE s0;\n");
    for i in 0..tables {
        let fk = if i == 0 {
            String::new()
        } else {
            format!(
                ", parent_id INT, CONSTRAINT fk_{i} FOREIGN KEY (parent_id) REFERENCES t{} (id) ON DELETE CASCADE",
                i - 1
            )
        };
        sql.push_str(&format!(
            "CREATE TABLE t{i} (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL UNIQUE, \
             qty INT DEFAULT 0 CHECK (qty >= 0), total INT AS (qty * 2), KEY ix_{i} (name(5), qty){fk});\n"
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
    for n in [3usize, 60] {
        let db = TestDb::mysql().await;
        db.exec(&catalog_sql(n)).await;
        let mut conn = open(&db.url).await;
        let before = conn.round_trips();
        let snap = conn.snapshot(&IntrospectOptions::default()).await.unwrap();
        counts.push(conn.round_trips() - before);
        let c = snap.counts();
        // Indexes: ix_<i> on every table plus InnoDB's index for each FK.
        assert_eq!(
            (
                c.tables,
                c.uniques,
                c.checks,
                c.foreign_keys,
                c.indexes,
                c.sequences
            ),
            (n, n, n, n - 1, n + (n - 1), 1)
        );
        assert_eq!(c.views, n.div_ceil(10));
        assert_eq!(c.columns, 4 * n + (n - 1));
    }
    assert_eq!(counts[0], counts[1], "round trips for 3 and 60 tables");
    // begin, version, schemata, tables, columns, statistics, foreign-key
    // columns, foreign-key rules, checks, views, the objects not compared,
    // sequences, rollback.
    assert_eq!(counts[0], 13);
}

#[tokio::test]
async fn schemas_are_selected_and_cross_schema_keys_named() {
    let a = TestDb::mysql().await;
    let b = TestDb::mysql().await;
    a.exec("CREATE TABLE p (id INT PRIMARY KEY)").await;
    b.exec(&format!(
        "CREATE TABLE c (id INT PRIMARY KEY, p_id INT, CONSTRAINT fk_p FOREIGN KEY (p_id) REFERENCES `{}`.p (id))",
        a.name
    ))
    .await;
    let mut conn = open(&b.url).await;
    let opts = IntrospectOptions::default().with_schemas([
        a.name.clone(),
        b.name.clone(),
        "no_such_schema".into(),
    ]);
    let snap = conn.snapshot(&opts).await.unwrap();
    let mut expected = vec![&a.name, &b.name];
    expected.sort();
    assert_eq!(
        snap.schemas.keys().collect::<Vec<_>>(),
        expected,
        "a missing schema is absent"
    );
    let fk = &snap.table(&b.name, "c").unwrap().foreign_keys["fk_p"];
    assert_eq!(
        (fk.ref_schema.as_str(), fk.ref_table.as_str()),
        (a.name.as_str(), "p")
    );
    assert!(snap.table(&a.name, "p").is_some());
}

#[tokio::test]
async fn functional_and_unique_prefix_indexes_are_indexes() {
    let db = TestDb::mysql().await;
    db.exec(
        "CREATE TABLE t (a VARCHAR(50), b TEXT, c INT, \
         UNIQUE KEY u_prefix (a(4)), UNIQUE KEY u_desc (c DESC), UNIQUE KEY u_text (b))",
    )
    .await;
    let snap = open(&db.url)
        .await
        .snapshot(&IntrospectOptions::default())
        .await
        .unwrap();
    let t = snap.table(&db.name, "t").unwrap();
    assert!(t.uniques.is_empty(), "{:?}", t.uniques);
    assert_eq!(
        t.indexes["u_prefix"],
        Index {
            unique: true,
            ..index(vec![IndexPart {
                length: Some(4),
                ..IndexPart::column("a")
            }])
        }
    );
    assert_eq!(
        t.indexes["u_desc"],
        Index {
            unique: true,
            ..index(vec![IndexPart {
                descending: true,
                ..IndexPart::column("c")
            }])
        }
    );
    // MariaDB enforces UNIQUE on a TEXT column with a hash index.
    assert_eq!(t.indexes["u_text"].method.as_deref(), Some("HASH"));
    assert!(t.indexes["u_text"].unique);
    assert_eq!(
        t.indexes["u_text"].parts[0].key,
        IndexKey::Column("b".into())
    );
}

/// A scoped read of `names` on `conn` and the round trips it took.
async fn scoped_read(conn: &mut Database, names: &[String]) -> (Snapshot, u64) {
    let options = IntrospectOptions::default().scoped(names.iter().cloned().collect());
    let before = conn.round_trips();
    let snap = conn.snapshot(&options).await.unwrap();
    (snap, conn.round_trips() - before)
}

#[tokio::test]
async fn scoped_reads_take_one_round_trip_whatever_they_read() {
    let fixture = TestDb::mysql().await;
    fixture.exec(FIXTURE).await;
    let large = TestDb::mysql().await;
    large.exec(&catalog_sql(60)).await;
    for db in [&fixture, &large] {
        let mut conn = open(&db.url).await;
        let full = conn.snapshot(&IntrospectOptions::default()).await.unwrap();
        let schema = &full.schemas[&db.name];
        let mut all: Vec<String> = schema
            .tables
            .keys()
            .chain(schema.views.keys())
            .cloned()
            .collect();
        all.sort();
        for names in [&all[..1], &all[..2], &all[..]] {
            let (scoped, trips) = scoped_read(&mut conn, names).await;
            assert_eq!(trips, 1, "{} relations", names.len());
            let got = &scoped.schemas[&db.name];
            for name in names {
                assert_eq!(got.tables.get(name), schema.tables.get(name), "{name}");
                assert_eq!(got.views.get(name), schema.views.get(name), "{name}");
            }
            assert_eq!(got.tables.len() + got.views.len(), names.len());
        }
        conn.close().await.unwrap();
    }
    // Naming a sequence costs the one query that reads its settings.
    let mut conn = open(&large.url).await;
    conn.snapshot(&IntrospectOptions::default()).await.unwrap();
    let (scoped, trips) = scoped_read(&mut conn, &["s0".to_string()]).await;
    assert_eq!(trips, 2);
    assert_eq!(scoped.counts().sequences, 1);
    conn.close().await.unwrap();
}

const OBJECTS: &[&str] = &[
    "CREATE TABLE orders (id int PRIMARY KEY, total int, note varchar(20))",
    "CREATE TABLE audit (id int, what varchar(40)) ENGINE=MyISAM DEFAULT CHARSET=latin1 ROW_FORMAT=FIXED",
    "CREATE TABLE logs (id int, day date) PARTITION BY RANGE (year(day)) \
     (PARTITION p_old VALUES LESS THAN (2000) COMMENT 'before', PARTITION p_new VALUES LESS THAN MAXVALUE)",
    "CREATE TABLE hashed (id int) PARTITION BY HASH (id) PARTITIONS 2",
    "CREATE DEFINER = CURRENT_USER TRIGGER orders_check BEFORE INSERT ON orders FOR EACH ROW \
     BEGIN\n  IF NEW.total < 0 THEN SET NEW.total = 0; END IF;\n  INSERT INTO audit VALUES (NEW.id, 'insert');\nEND",
    "CREATE TRIGGER orders_note BEFORE INSERT ON orders FOR EACH ROW FOLLOWS orders_check SET NEW.note = 'new'",
    "CREATE PROCEDURE purge_orders(IN below int, OUT removed varchar(20) CHARACTER SET latin1) \
     MODIFIES SQL DATA SQL SECURITY INVOKER COMMENT 'it''s nightly' \
     BEGIN DELETE FROM orders WHERE total < below; SET removed = ROW_COUNT(); END",
    "CREATE FUNCTION twice(x int) RETURNS decimal(10,2) DETERMINISTIC RETURN 2 * x + total_of(x)",
    "CREATE FUNCTION total_of(x int) RETURNS int READS SQL DATA RETURN (SELECT total FROM orders WHERE id = x)",
    "CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY STARTS '2031-01-01 00:00:00' ENDS '2032-01-01 00:00:00' \
     ON COMPLETION PRESERVE DISABLE COMMENT 'off' DO CALL purge_orders(0, @n)",
    "CREATE EVENT once ON SCHEDULE AT '2035-01-01 00:00:00' DO DELETE FROM orders",
];

#[tokio::test]
async fn triggers_routines_events_and_table_options_are_read_field_by_field() {
    use driftless_model::{CatalogKind, ObjectKind, ObjectRef};
    let db = TestDb::mysql().await;
    for sql in OBJECTS {
        db.exec(sql).await;
    }
    let mut conn = open(&db.url).await;
    let snap = conn.snapshot(&IntrospectOptions::default()).await.unwrap();
    let s = db.name.as_str();
    assert_eq!(snap.unmodeled, Vec::new(), "every object is compared");
    let got: Vec<(CatalogKind, Option<&str>, &str, &str, &str)> = snap
        .objects
        .iter()
        .map(|o| {
            assert_eq!(o.schema.as_deref(), Some(s));
            assert_eq!(o.comment, None);
            (
                o.kind,
                o.table.as_deref(),
                o.name.as_str(),
                o.definition.as_str(),
                o.drop.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                CatalogKind::Function,
                None,
                "total_of",
                "CREATE FUNCTION `total_of`(`x` int(11)) RETURNS int(11) READS SQL DATA RETURN (SELECT total FROM orders WHERE id = x)",
                "DROP FUNCTION `total_of`",
            ),
            (
                CatalogKind::Function,
                None,
                "twice",
                "CREATE FUNCTION `twice`(`x` int(11)) RETURNS decimal(10,2) DETERMINISTIC RETURN 2 * x + total_of(x)",
                "DROP FUNCTION `twice`",
            ),
            (
                CatalogKind::Procedure,
                None,
                "purge_orders",
                "CREATE PROCEDURE `purge_orders`(IN `below` int(11), OUT `removed` varchar(20) CHARACTER SET latin1 COLLATE latin1_swedish_ci) \
                 MODIFIES SQL DATA SQL SECURITY INVOKER COMMENT 'it''s nightly' \
                 BEGIN DELETE FROM orders WHERE total < below; SET removed = ROW_COUNT(); END",
                "DROP PROCEDURE `purge_orders`",
            ),
            (
                CatalogKind::Trigger,
                Some("orders"),
                "orders_check",
                "CREATE TRIGGER `orders_check` BEFORE INSERT ON `orders` FOR EACH ROW BEGIN\n  IF NEW.total < 0 THEN SET NEW.total = 0; END IF;\n  INSERT INTO audit VALUES (NEW.id, 'insert');\nEND",
                "DROP TRIGGER `orders_check`",
            ),
            (
                CatalogKind::Trigger,
                Some("orders"),
                "orders_note",
                "CREATE TRIGGER `orders_note` BEFORE INSERT ON `orders` FOR EACH ROW FOLLOWS `orders_check` SET NEW.note = 'new'",
                "DROP TRIGGER `orders_note`",
            ),
            (
                CatalogKind::Event,
                None,
                "nightly",
                "CREATE EVENT `nightly` ON SCHEDULE EVERY 1 DAY ENDS '2032-01-01 00:00:00' ON COMPLETION PRESERVE DISABLE COMMENT 'off' DO CALL purge_orders(0, @n)",
                "DROP EVENT `nightly`",
            ),
            (
                CatalogKind::Event,
                None,
                "once",
                "CREATE EVENT `once` ON SCHEDULE AT '2035-01-01 00:00:00' ON COMPLETION NOT PRESERVE ENABLE DO DELETE FROM orders",
                "DROP EVENT `once`",
            ),
        ]
    );
    let deps = |name: &str| {
        snap.objects
            .iter()
            .find(|o| o.name == name)
            .map(|o| o.depends_on.clone())
            .unwrap()
    };
    let orders = ObjectRef::table(s, "orders");
    let routine = |kind, name| ObjectRef::schema_object(kind, s, Some(name));
    assert_eq!(
        deps("orders_check"),
        [ObjectRef::table(s, "audit"), orders.clone()]
    );
    assert_eq!(
        deps("orders_note"),
        [
            orders.clone(),
            ObjectRef::table_part(ObjectKind::Trigger, s, "orders", "orders_check")
        ]
    );
    assert_eq!(deps("twice"), [routine(ObjectKind::Function, "total_of")]);
    assert_eq!(deps("total_of"), [orders]);
    assert_eq!(
        deps("nightly"),
        [routine(ObjectKind::Procedure, "purge_orders")]
    );

    let options = |t: &str| {
        snap.table(s, t)
            .unwrap()
            .options
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<Vec<_>>()
    };
    let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(options("orders"), []);
    assert_eq!(
        options("audit"),
        [
            pair("charset", "latin1"),
            pair("collation", "latin1_swedish_ci"),
            pair("engine", "MyISAM"),
            pair("row_format", "FIXED"),
        ]
    );
    assert_eq!(
        options("logs"),
        [pair(
            "partition_by",
            "PARTITION BY RANGE (year(`day`)) (PARTITION `p_old` VALUES LESS THAN (2000) COMMENT 'before', \
             PARTITION `p_new` VALUES LESS THAN MAXVALUE)"
        )]
    );
    assert_eq!(
        options("hashed"),
        [pair(
            "partition_by",
            "PARTITION BY HASH (`id`) PARTITIONS 2"
        )]
    );

    // What the reader prints, run on another database, reads the same.
    let again = TestDb::mysql().await;
    for t in ["orders", "audit", "logs", "hashed"] {
        let create = if t == "orders" {
            OBJECTS[0].to_string()
        } else {
            let o = snap.table(s, t).unwrap();
            let cols = if t == "logs" {
                "id int, day date"
            } else if t == "audit" {
                "id int, what varchar(40)"
            } else {
                "id int"
            };
            let mut sql = format!("CREATE TABLE {t} ({cols})");
            if let Some(e) = o.options.get("engine") {
                sql.push_str(&format!(" ENGINE={e}"));
            }
            if let Some(c) = o.options.get("collation") {
                sql.push_str(&format!(" COLLATE={c}"));
            }
            if let Some(r) = o.options.get("row_format") {
                sql.push_str(&format!(" ROW_FORMAT={r}"));
            }
            if let Some(p) = o.options.get("partition_by") {
                sql.push_str(&format!(" {p}"));
            }
            sql
        };
        again.exec(&create).await;
    }
    let mut ordered = snap.objects.clone();
    ordered.sort_by_key(|o| match o.kind {
        CatalogKind::Function if o.name == "total_of" => 0,
        CatalogKind::Function | CatalogKind::Procedure => 1,
        _ => 2,
    });
    for o in &ordered {
        again.exec(&o.definition).await;
    }
    let mut copy = open(&again.url)
        .await
        .snapshot(&IntrospectOptions::default())
        .await
        .unwrap();
    assert!(copy.rename_schema(&again.name, s));
    assert_eq!(copy.objects, snap.objects);
    assert_eq!(copy.schemas[s].tables, snap.schemas[s].tables);
}

#[tokio::test]
async fn reading_objects_costs_no_round_trip_per_object() {
    let db = TestDb::mysql().await;
    for sql in OBJECTS {
        db.exec(sql).await;
    }
    let mut conn = open(&db.url).await;
    let before = conn.round_trips();
    conn.snapshot(&IntrospectOptions::default()).await.unwrap();
    let trips = conn.round_trips() - before;
    let empty = TestDb::mysql().await;
    let mut c = open(&empty.url).await;
    let b = c.round_trips();
    let snap = c.snapshot(&IntrospectOptions::default()).await.unwrap();
    assert_eq!(trips, c.round_trips() - b);
    assert_eq!(
        snap.objects,
        Vec::new(),
        "another database's objects are not read"
    );
}
