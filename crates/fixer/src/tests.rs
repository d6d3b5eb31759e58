//! Planning and rendering: the same drift on the three dialects, asserted
//! side by side (PostgreSQL, MySQL, SQLite).

use driftless_model::{
    Check, Column, Dialect, Enum, FkAction, ForeignKey, Index, IndexPart, PrimaryKey, Snapshot,
    Table, UniqueConstraint, View,
};
use driftless_rules::{Config, Context, Registry};

use crate::{
    plan, ApplyOptions, FixPlan, MigrationFormat, Orphans, PlanError, PlanOptions, PreflightKind,
    Safety,
};

const ALL: [Dialect; 3] = [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite];

fn schema_of(d: Dialect) -> &'static str {
    match d {
        Dialect::Postgres => "public",
        Dialect::Mysql => "app",
        Dialect::Sqlite => "main",
    }
}

fn ty(d: Dialect, t: &str) -> String {
    match (d, t) {
        (Dialect::Postgres, "int") => "integer".into(),
        (Dialect::Mysql, "int") => "int(11)".into(),
        (Dialect::Sqlite, "int") => "INTEGER".into(),
        (Dialect::Postgres, "varchar") => "character varying(150)".into(),
        (_, "varchar") => "varchar(150)".into(),
        (Dialect::Postgres, "short") => "character varying(20)".into(),
        (_, "short") => "varchar(20)".into(),
        (_, other) => other.into(),
    }
}

fn col(pos: u32, ty: String, nullable: bool, default: Option<&str>) -> Column {
    Column {
        inherited: false,
        nullable,
        default: default.map(String::from),
        ..Column::new(pos, ty)
    }
}

fn snapshot_with(d: Dialect, tables: Vec<(&str, Table)>) -> Snapshot {
    let mut s = Snapshot::new(d);
    let sch = s.schemas.entry(schema_of(d).into()).or_default();
    for (n, t) in tables {
        sch.tables.insert(n.into(), t);
    }
    s
}

fn users(d: Dialect) -> Table {
    let mut t = Table::default();
    t.columns
        .insert("id".into(), col(1, ty(d, "int"), false, None));
    t.columns
        .insert("username".into(), col(2, ty(d, "varchar"), false, None));
    t.primary_key = Some(PrimaryKey {
        deferrable: false,
        initially_deferred: false,
        name: "authentication_user_pkey".into(),
        columns: vec!["id".into()],
        comment: None,
    });
    t
}

/// The deployment story: expected has `login_count integer NOT NULL DEFAULT 0`
/// and no `avatar`; the database has `avatar` and lacks `login_count`.
fn story(d: Dialect) -> (Snapshot, Snapshot) {
    let mut expected = users(d);
    expected
        .columns
        .insert("login_count".into(), col(3, ty(d, "int"), false, Some("0")));
    let mut actual = users(d);
    actual
        .columns
        .insert("avatar".into(), col(3, ty(d, "varchar"), true, None));
    (
        snapshot_with(d, vec![("authentication_user", expected)]),
        snapshot_with(d, vec![("authentication_user", actual)]),
    )
}

fn plan_for(e: &Snapshot, a: &Snapshot, o: &PlanOptions) -> FixPlan {
    let findings = Registry::builtin()
        .check(&Config::default(), &Context::new(e, a))
        .findings;
    plan(e, a, &findings, o).unwrap()
}

fn sql_of(p: &FixPlan) -> Vec<String> {
    p.statements().map(String::from).collect()
}

/// Plans `f(dialect)` for each dialect and returns the statements.
fn side_by_side(f: impl Fn(Dialect) -> (Snapshot, Snapshot), o: &PlanOptions) -> [Vec<String>; 3] {
    ALL.map(|d| {
        let (e, a) = f(d);
        sql_of(&plan_for(&e, &a, o))
    })
}

#[test]
fn deployment_story_quarantines_and_adds() {
    let [pg, my, lite] = side_by_side(story, &PlanOptions::default());
    // The values move to a quarantine table keyed by the primary key, then
    // the column is dropped: the table is left as expected.
    let expect = |stmts: &[String], copy: &str, drop: &str, add: &str| {
        let copy_at = stmts.iter().position(|s| s == copy);
        let drop_at = stmts.iter().position(|s| s == drop);
        assert!(copy_at.is_some() && copy_at < drop_at, "{stmts:#?}");
        assert_eq!(stmts.last().map(String::as_str), Some(add), "{stmts:#?}");
        assert!(stmts
            .iter()
            .any(|s| s.contains("INSERT INTO") && s.contains("_driftless_quarantine_catalog")));
        assert!(!stmts.iter().any(|s| s.contains("RENAME")), "{stmts:#?}");
    };
    expect(
        &pg,
        r#"INSERT INTO "driftless_quarantine"."public__authentication_user__avatar" ("id", "avatar") SELECT "id", "avatar" FROM "public"."authentication_user""#,
        r#"ALTER TABLE "public"."authentication_user" DROP COLUMN "avatar""#,
        r#"ALTER TABLE "public"."authentication_user" ADD COLUMN "login_count" integer NOT NULL DEFAULT 0"#,
    );
    expect(
        &my,
        "INSERT INTO `app`.`_driftless_quarantine_authentication_user__avatar` (`id`, `avatar`) SELECT `id`, `avatar` FROM `app`.`authentication_user`",
        "ALTER TABLE `app`.`authentication_user` DROP COLUMN `avatar`",
        "ALTER TABLE `app`.`authentication_user` ADD COLUMN `login_count` int(11) NOT NULL DEFAULT 0",
    );
    expect(
        &lite,
        r#"INSERT INTO "_driftless_quarantine_authentication_user__avatar" ("id", "avatar") SELECT "id", "avatar" FROM "authentication_user""#,
        r#"ALTER TABLE "authentication_user" DROP COLUMN "avatar""#,
        r#"ALTER TABLE "authentication_user" ADD COLUMN "login_count" INTEGER NOT NULL DEFAULT 0"#,
    );
    for d in ALL {
        let (e, a) = story(d);
        let p = plan_for(&e, &a, &PlanOptions::default());
        assert!(p.steps.iter().all(|s| s.safety == Safety::Safe));
        assert_eq!(p.steps[0].action, "quarantine column");
        assert!(
            p.steps[0].reason.contains("orphan-column"),
            "{}",
            p.steps[0].reason
        );
        assert!(p.withheld.is_empty() && p.unfixed.is_empty());
    }
}

#[test]
fn dropping_orphans_needs_destructive() {
    let drop = PlanOptions::default().with_orphans(Orphans::Drop);
    for d in ALL {
        let (e, a) = story(d);
        let p = plan_for(&e, &a, &drop);
        assert_eq!(p.withheld.len(), 1, "{d}");
        assert_eq!(p.withheld[0].safety, Safety::Destructive);
        assert!(p.withheld[0].reason.contains("--allow-destructive"));
        assert_eq!(p.steps.len(), 1);
    }
    let [pg, my, lite] = side_by_side(story, &drop.with_allow(Safety::Destructive));
    assert_eq!(
        pg[0],
        r#"ALTER TABLE "public"."authentication_user" DROP COLUMN "avatar""#
    );
    assert_eq!(
        my[0],
        "ALTER TABLE `app`.`authentication_user` DROP COLUMN `avatar`"
    );
    assert_eq!(
        lite[0],
        r#"ALTER TABLE "authentication_user" DROP COLUMN "avatar""#
    );
    let keep = PlanOptions::default().with_orphans(Orphans::Keep);
    for d in ALL {
        let (e, a) = story(d);
        let p = plan_for(&e, &a, &keep);
        assert_eq!(p.steps.len(), 1);
        assert_eq!(p.unfixed.len(), 1);
        assert!(p.unfixed[0].why.contains("kept"));
    }
}

fn narrowing(d: Dialect) -> (Snapshot, Snapshot) {
    let mut e = users(d);
    e.columns.get_mut("username").unwrap().data_type = ty(d, "short");
    (
        snapshot_with(d, vec![("authentication_user", e)]),
        snapshot_with(d, vec![("authentication_user", users(d))]),
    )
}

#[test]
fn narrowing_a_type_is_data_loss_with_a_count() {
    let allow = PlanOptions::default().with_allow(Safety::DataLoss);
    let [pg, my, lite] = side_by_side(narrowing, &allow);
    assert_eq!(
        pg,
        [
            r#"ALTER TABLE "public"."authentication_user" ALTER COLUMN "username" TYPE character varying(20) USING "username"::character varying(20)"#
        ]
    );
    assert_eq!(
        my,
        ["ALTER TABLE `app`.`authentication_user` MODIFY COLUMN `username` varchar(20) NOT NULL"]
    );
    assert_eq!(
        lite,
        [
            r#"CREATE TABLE "_driftless_new_authentication_user" ( "id" INTEGER NOT NULL, "username" varchar(20) NOT NULL, PRIMARY KEY ("id") )"#,
            r#"INSERT INTO "_driftless_new_authentication_user" ("id", "username") SELECT "id", "username" FROM "authentication_user""#,
            r#"DROP TABLE "authentication_user""#,
            r#"ALTER TABLE "_driftless_new_authentication_user" RENAME TO "authentication_user""#,
        ]
    );
    for d in [Dialect::Postgres, Dialect::Mysql] {
        let (e, a) = narrowing(d);
        let p = plan_for(&e, &a, &PlanOptions::default());
        assert!(p.steps.is_empty(), "{d}");
        assert_eq!(p.withheld[0].safety, Safety::DataLoss);
        let pre = &p.withheld[0].preflight[0];
        assert_eq!(pre.kind, PreflightKind::CountAffected);
        assert!(
            pre.sql.ends_with("CHAR_LENGTH(\"username\") > 20")
                || pre.sql.ends_with("CHAR_LENGTH(`username`) > 20"),
            "{}",
            pre.sql
        );
        assert!(p.withheld[0]
            .reason
            .contains("truncates text to 20 characters"));
    }
    // SQLite does not enforce varchar lengths: a rebuild, locking, no loss.
    let (e, a) = narrowing(Dialect::Sqlite);
    let p = plan_for(&e, &a, &PlanOptions::default());
    assert_eq!(p.steps[0].safety, Safety::Locking);
    assert_eq!(p.steps[0].rebuilds.as_deref(), Some("authentication_user"));
}

#[test]
fn adding_not_null_without_default_is_refused_at_preflight() {
    for d in ALL {
        let mut e = users(d);
        e.columns
            .insert("email".into(), col(3, ty(d, "varchar"), false, None));
        let p = plan_for(
            &snapshot_with(d, vec![("authentication_user", e)]),
            &snapshot_with(d, vec![("authentication_user", users(d))]),
            &PlanOptions::default(),
        );
        let pre: Vec<_> = p.steps.iter().flat_map(|s| &s.preflight).collect();
        assert_eq!(pre.len(), 1, "{d}");
        assert_eq!(pre[0].kind, PreflightKind::RefuseIfAny);
        assert!(pre[0].sql.starts_with("SELECT COUNT(*) FROM"));
        assert!(
            pre[0].message.contains("Give the column a default"),
            "{}",
            pre[0].message
        );
        assert!(pre[0].message.contains("backfill"));
    }
}

fn with_orders(d: Dialect) -> (Snapshot, Snapshot) {
    let mut orders = Table::default();
    orders
        .columns
        .insert("id".into(), col(1, ty(d, "int"), false, None));
    orders
        .columns
        .insert("user_id".into(), col(2, ty(d, "int"), false, None));
    orders
        .columns
        .insert("code".into(), col(3, ty(d, "short"), true, None));
    orders.primary_key = Some(PrimaryKey {
        deferrable: false,
        initially_deferred: false,
        name: "orders_pkey".into(),
        columns: vec!["id".into()],
        comment: None,
    });
    orders.foreign_keys.insert(
        "orders_user_fk".into(),
        ForeignKey {
            columns: vec!["user_id".into()],
            ref_schema: schema_of(d).into(),
            ref_table: "authentication_user".into(),
            ref_columns: vec!["id".into()],
            on_delete: FkAction::Cascade,
            on_update: FkAction::NoAction,
            deferrable: false,
            initially_deferred: false,
            comment: None,
            match_full: false,
        },
    );
    orders.uniques.insert(
        "orders_code_key".into(),
        UniqueConstraint {
            deferrable: false,
            initially_deferred: false,
            columns: vec!["code".into()],
            nulls_not_distinct: false,
            comment: None,
        },
    );
    orders.checks.insert(
        "orders_id_positive".into(),
        Check {
            expression: "id > 0".into(),
            comment: None,
            no_inherit: false,
        },
    );
    let mut idx = IndexPart::column("user_id");
    idx.descending = true;
    orders.indexes.insert(
        "orders_user_code_idx".into(),
        Index {
            parts: vec![idx, IndexPart::column("code")],
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
    (
        snapshot_with(
            d,
            vec![("authentication_user", users(d)), ("orders", orders)],
        ),
        snapshot_with(d, vec![("authentication_user", users(d))]),
    )
}

#[test]
fn creating_a_table_with_keys() {
    let [pg, my, lite] = side_by_side(with_orders, &PlanOptions::default());
    assert_eq!(
        pg,
        [
            r#"CREATE TABLE "public"."orders" ( "id" integer NOT NULL, "user_id" integer NOT NULL, "code" character varying(20), CONSTRAINT "orders_pkey" PRIMARY KEY ("id"), CONSTRAINT "orders_code_key" UNIQUE ("code"), CONSTRAINT "orders_id_positive" CHECK (id > 0) )"#,
            r#"CREATE INDEX "orders_user_code_idx" ON "public"."orders" ("user_id" DESC, "code")"#,
            r#"ALTER TABLE "public"."orders" ADD CONSTRAINT "orders_user_fk" FOREIGN KEY ("user_id") REFERENCES "public"."authentication_user" ("id") ON DELETE CASCADE"#,
        ]
    );
    assert_eq!(
        my,
        [
            "CREATE TABLE `app`.`orders` ( `id` int(11) NOT NULL, `user_id` int(11) NOT NULL, `code` varchar(20) NULL, PRIMARY KEY (`id`), UNIQUE KEY `orders_code_key` (`code`), CONSTRAINT `orders_id_positive` CHECK (id > 0) )",
            "CREATE INDEX `orders_user_code_idx` ON `app`.`orders` (`user_id` DESC, `code`)",
            "ALTER TABLE `app`.`orders` ADD CONSTRAINT `orders_user_fk` FOREIGN KEY (`user_id`) REFERENCES `app`.`authentication_user` (`id`) ON DELETE CASCADE",
        ]
    );
    assert_eq!(
        lite,
        [
            r#"CREATE TABLE "orders" ( "id" INTEGER NOT NULL, "user_id" INTEGER NOT NULL CONSTRAINT "orders_user_fk" REFERENCES "authentication_user" ("id") ON DELETE CASCADE, "code" varchar(20), PRIMARY KEY ("id"), CONSTRAINT "orders_code_key" UNIQUE ("code"), CONSTRAINT "orders_id_positive" CHECK (id > 0) )"#,
            r#"CREATE INDEX "orders_user_code_idx" ON "orders" ("user_id" DESC, "code")"#,
        ]
    );
}

fn weird(d: Dialect) -> (Snapshot, Snapshot) {
    let mut t = Table::default();
    t.columns.insert(
        "a\"b`c; DROP TABLE x; --".into(),
        col(1, ty(d, "int"), true, None),
    );
    let idx = Index {
        parts: vec![IndexPart::column("a\"b`c; DROP TABLE x; --")],
        unique: true,
        method: None,
        predicate: None,
        include: vec![],
        comment: None,
        ignored: false,
        storage: Vec::new(),
        nulls_not_distinct: false,
    };
    t.indexes.insert("i\"dx`;".into(), idx);
    (
        snapshot_with(d, vec![("t\"; DROP TABLE y; --", t)]),
        snapshot_with(d, vec![]),
    )
}

#[test]
fn no_name_can_inject_sql() {
    let [pg, my, lite] = side_by_side(weird, &PlanOptions::default());
    assert_eq!(
        pg,
        [
            r#"CREATE TABLE "public"."t""; DROP TABLE y; --" ( "a""b`c; DROP TABLE x; --" integer )"#,
            r#"CREATE UNIQUE INDEX "i""dx`;" ON "public"."t""; DROP TABLE y; --" ("a""b`c; DROP TABLE x; --")"#,
        ]
    );
    assert_eq!(
        my,
        [
            "CREATE TABLE `app`.`t\"; DROP TABLE y; --` ( `a\"b``c; DROP TABLE x; --` int(11) NULL )",
            "CREATE UNIQUE INDEX `i\"dx``;` ON `app`.`t\"; DROP TABLE y; --` (`a\"b``c; DROP TABLE x; --`)",
        ]
    );
    assert_eq!(
        lite,
        [
            r#"CREATE TABLE "t""; DROP TABLE y; --" ( "a""b`c; DROP TABLE x; --" INTEGER )"#,
            r#"CREATE UNIQUE INDEX "i""dx`;" ON "t""; DROP TABLE y; --" ("a""b`c; DROP TABLE x; --")"#,
        ]
    );
}

#[test]
fn fragments_that_could_end_a_statement_are_refused() {
    for d in ALL {
        let mut e = users(d);
        e.columns.insert(
            "x".into(),
            col(3, ty(d, "int"), true, Some("0; DROP TABLE users")),
        );
        let es = snapshot_with(d, vec![("authentication_user", e)]);
        let a = snapshot_with(d, vec![("authentication_user", users(d))]);
        let findings = Registry::builtin()
            .check(&Config::default(), &Context::new(&es, &a))
            .findings;
        let err = plan(&es, &a, &findings, &PlanOptions::default()).unwrap_err();
        assert!(
            matches!(
                err,
                PlanError::UnsafeFragment {
                    what: "default expression",
                    ..
                }
            ),
            "{err}"
        );
    }
}

fn pg_enums(exp_labels: &[&str], act_labels: &[&str]) -> (Snapshot, Snapshot) {
    let d = Dialect::Postgres;
    let mk = |labels: &[&str], default: &str| {
        let mut t = users(d);
        t.columns
            .insert("mood".into(), col(3, "mood".into(), false, Some(default)));
        let mut s = snapshot_with(d, vec![("authentication_user", t)]);
        s.schemas.get_mut("public").unwrap().enums.insert(
            "mood".into(),
            Enum {
                labels: labels.iter().map(|l| l.to_string()).collect(),
                comment: None,
            },
        );
        s
    };
    (mk(exp_labels, "'ok'::mood"), mk(act_labels, "'ok'::mood"))
}

#[test]
fn postgres_enum_labels_are_added_in_place() {
    let (e, a) = pg_enums(&["sad", "ok", "happy", "ecstatic"], &["ok", "happy"]);
    let p = plan_for(&e, &a, &PlanOptions::default());
    assert_eq!(
        sql_of(&p),
        [
            r#"ALTER TYPE "public"."mood" ADD VALUE 'sad' BEFORE 'ok'"#,
            r#"ALTER TYPE "public"."mood" ADD VALUE 'ecstatic' AFTER 'happy'"#,
        ]
    );
    assert_eq!(p.steps[0].safety, Safety::Safe);
    assert!(p.steps[0].script[0].contains("IF NOT EXISTS"));
}

#[test]
fn postgres_enum_with_removed_labels_is_rebuilt() {
    let (e, a) = pg_enums(&["happy", "ok"], &["ok", "happy", "sad"]);
    let p = plan_for(&e, &a, &PlanOptions::default().with_allow(Safety::DataLoss));
    assert_eq!(
        sql_of(&p),
        [
            r#"ALTER TYPE "public"."mood" RENAME TO "_driftless_old_mood""#,
            r#"CREATE TYPE "public"."mood" AS ENUM ('happy', 'ok')"#,
            r#"ALTER TABLE "public"."authentication_user" ALTER COLUMN "mood" DROP DEFAULT"#,
            r#"ALTER TABLE "public"."authentication_user" ALTER COLUMN "mood" TYPE "public"."mood" USING "mood"::text::"public"."mood""#,
            r#"ALTER TABLE "public"."authentication_user" ALTER COLUMN "mood" SET DEFAULT 'ok'::mood"#,
            r#"DROP TYPE "public"."_driftless_old_mood""#,
        ]
    );
    assert_eq!(p.steps[0].safety, Safety::DataLoss);
    assert_eq!(
        p.steps[0].preflight[0].sql,
        r#"SELECT COUNT(*) FROM "public"."authentication_user" WHERE CAST("mood" AS text) IN ('sad')"#
    );
    assert!(p.steps[0].script[0].starts_with("DO $driftless$"));
    assert!(p.steps[0].script[0].contains("IS DISTINCT FROM ARRAY['happy', 'ok']::text[]"));
}

fn with_view(d: Dialect) -> (Snapshot, Snapshot) {
    let view = View {
        indexes: Default::default(),
        options: Default::default(),
        definition: "SELECT id, username FROM authentication_user".into(),
        materialized: false,
        comment: None,
    };
    let (mut e, mut a) = narrowing(d);
    for s in [&mut e, &mut a] {
        s.schemas
            .get_mut(schema_of(d))
            .unwrap()
            .views
            .insert("user_names".into(), view.clone());
    }
    (e, a)
}

#[test]
fn views_reading_a_changed_table_are_dropped_and_recreated() {
    let allow = PlanOptions::default().with_allow(Safety::DataLoss);
    let [pg, my, lite] = side_by_side(with_view, &allow);
    assert_eq!(
        pg.first().map(String::as_str),
        Some(r#"DROP VIEW "public"."user_names""#)
    );
    assert_eq!(
        pg.last().map(String::as_str),
        Some(
            r#"CREATE VIEW "public"."user_names" AS SELECT id, username FROM authentication_user"#
        )
    );
    // MySQL views do not block column changes.
    assert!(my.iter().all(|s| !s.contains("VIEW")));
    assert_eq!(
        lite.first().map(String::as_str),
        Some(r#"DROP VIEW "user_names""#)
    );
    assert_eq!(
        lite.last().map(String::as_str),
        Some(r#"CREATE VIEW "user_names" AS SELECT id, username FROM authentication_user"#)
    );
}

#[test]
fn orphan_tables_are_quarantined_or_dropped_in_dependency_order() {
    for d in ALL {
        let (e, a) = with_orders(d);
        // Swap: the database has orders, the expected schema does not.
        let p = plan_for(&a, &e, &PlanOptions::default());
        let actions: Vec<&str> = p.steps.iter().map(|s| s.action.as_str()).collect();
        match d {
            Dialect::Sqlite => assert_eq!(actions, ["quarantine table"]),
            _ => assert_eq!(actions, ["drop foreign key", "quarantine table"]),
        }
        let moved = match d {
            Dialect::Postgres => {
                r#"ALTER TABLE "public"."public__orders" SET SCHEMA "driftless_quarantine""#
            }
            _ => "_driftless_quarantine_orders",
        };
        assert!(p
            .steps
            .last()
            .unwrap()
            .sql
            .iter()
            .any(|s| s.contains(moved)));
        let p = plan_for(
            &a,
            &e,
            &PlanOptions::default()
                .with_orphans(Orphans::Drop)
                .with_allow(Safety::Destructive),
        );
        assert_eq!(p.steps.last().unwrap().action, "drop table");
    }
}

#[test]
fn json_round_trips_and_migrations_are_numbered() {
    let (e, a) = story(Dialect::Postgres);
    let p = plan_for(&e, &a, &PlanOptions::default());
    let json = p.to_json();
    assert!(json.contains("\"safety\": \"safe\""));
    assert_eq!(FixPlan::from_json(&json).unwrap(), p);

    let dir = tempfile::tempdir().unwrap();
    let t = 1_700_000_000; // 2023-11-14 22:13:20 UTC
    let names = |fmt| -> Vec<String> {
        p.migration_files(dir.path(), fmt, t)
            .unwrap()
            .iter()
            .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(
        names(MigrationFormat::Sqlx),
        ["20231114221320_driftless_fix.sql"]
    );
    assert_eq!(
        names(MigrationFormat::GolangMigrate),
        [
            "20231114221320_driftless_fix.up.sql",
            "20231114221320_driftless_fix.down.sql"
        ]
    );
    assert_eq!(names(MigrationFormat::Flyway), ["V1__driftless_fix.sql"]);
    assert_eq!(names(MigrationFormat::Django), ["0001_driftless_fix.py"]);
    for f in [
        "000001_init.up.sql",
        "000001_init.down.sql",
        "V7__init.sql",
        "0003_auto.py",
        "__init__.py",
    ] {
        std::fs::write(dir.path().join(f), "").unwrap();
    }
    assert_eq!(
        names(MigrationFormat::GolangMigrate)[0],
        "000002_driftless_fix.up.sql"
    );
    assert_eq!(names(MigrationFormat::Flyway), ["V8__driftless_fix.sql"]);
    assert_eq!(names(MigrationFormat::Django), ["0004_driftless_fix.py"]);
    let (_, django) = &p
        .migration_files(dir.path(), MigrationFormat::Django, t)
        .unwrap()[0];
    assert!(
        django.contains("(\"0003_auto\")") || django.contains("\"0003_auto\"),"),
        "{django}"
    );
    assert!(django.contains("migrations.RunSQL("));
    let written = p
        .write_migration(dir.path(), MigrationFormat::Sqlx, t)
        .unwrap();
    assert!(std::fs::read_to_string(&written[0])
        .unwrap()
        .contains("ADD COLUMN \"login_count\""));
    assert!(
        p.write_migration(dir.path(), MigrationFormat::Sqlx, 0)
            .is_ok(),
        "numbered above existing versions"
    );
}

/// Ledger steps, and the steps that complete a migration they record, run
/// before the migration tool's migrate: a migration file carries the
/// schema steps and lists the others, guarded, in a marked comment.
#[test]
fn migration_files_leave_ledger_steps_to_a_note() {
    let (e, a) = story(Dialect::Postgres);
    let mut p = plan_for(&e, &a, &PlanOptions::default());
    let n = p.steps.len();
    assert!(n >= 2);
    let marked = |step: &mut crate::FixStep, name: &str| {
        step.sql = vec![format!("CREATE TABLE {name} (id int)")];
        step.script = vec![format!("CREATE TABLE IF NOT EXISTS {name} (id int)")];
    };
    marked(&mut p.steps[0], "completing_marker");
    p.steps[0].completes = Some("4".into());
    marked(&mut p.steps[1], "schema_marker");
    let mut record = p.steps[1].clone();
    record.object = driftless_model::ObjectRef::migration("4");
    record.action = "record migration".into();
    marked(&mut record, "record_marker");
    p.steps.push(record);
    let dir = tempfile::tempdir().unwrap();
    for format in [MigrationFormat::Sqlx, MigrationFormat::Django] {
        let (_, text) = &p.migration_files(dir.path(), format, 0).unwrap()[0];
        let note = text
            .split(crate::LEDGER_NOTE_BEGIN)
            .nth(1)
            .and_then(|rest| rest.split(crate::LEDGER_NOTE_END).next())
            .unwrap_or_else(|| panic!("a ledger note: {text}"));
        assert!(note.contains("step 1 ["), "{note}");
        let record = format!("step {} [safe] record migration", n + 1);
        assert!(note.contains(&record), "{note}");
        assert!(
            note.contains("IF NOT EXISTS record_marker"),
            "guarded: {note}"
        );
        assert!(note.contains("IF NOT EXISTS completing_marker"), "{note}");
        let comment = if format == MigrationFormat::Django {
            "#"
        } else {
            "--"
        };
        let body: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim_start().starts_with(comment))
            .collect();
        let in_body = |name: &str| body.iter().any(|l| l.contains(name));
        assert!(in_body("schema_marker"), "{text}");
        assert!(
            !in_body("completing_marker") && !in_body("record_marker"),
            "{text}"
        );
    }
}

#[test]
fn scripts_take_the_lock_and_guard_statements() {
    let o = ApplyOptions::default();
    for d in ALL {
        let (e, a) = story(d);
        let s = plan_for(&e, &a, &PlanOptions::default()).to_script(&o);
        match d {
            Dialect::Postgres => {
                assert!(s.contains("SELECT pg_advisory_xact_lock("));
                assert!(s.contains("ADD COLUMN IF NOT EXISTS"));
                assert!(s.contains("DO $driftless$"));
            }
            Dialect::Mysql => {
                assert!(s.contains("GET_LOCK("));
                assert!(s.contains("PREPARE driftless_stmt FROM @driftless_sql"));
            }
            Dialect::Sqlite => {
                assert!(s.contains("BEGIN IMMEDIATE;"));
                assert!(s.contains("PRAGMA foreign_key_check;"));
            }
        }
    }
}

/// MySQL: the expected snapshot's only database (`app`) is paired with the
/// target's (`prod`): every statement, the foreign key's referenced table,
/// the script's guards and its lock name the target's database.
#[test]
fn mysql_statements_name_the_target_database_of_a_cross_name_pairing() {
    let d = Dialect::Mysql;
    let (e, mut a) = with_orders(d);
    let app = a.schemas.remove("app").unwrap();
    a.schemas.insert("prod".into(), app);
    let p = plan_for(&e, &a, &PlanOptions::default());
    assert_eq!(
        sql_of(&p),
        [
            "CREATE TABLE `prod`.`orders` ( `id` int(11) NOT NULL, `user_id` int(11) NOT NULL, `code` varchar(20) NULL, PRIMARY KEY (`id`), UNIQUE KEY `orders_code_key` (`code`), CONSTRAINT `orders_id_positive` CHECK (id > 0) )",
            "CREATE INDEX `orders_user_code_idx` ON `prod`.`orders` (`user_id` DESC, `code`)",
            "ALTER TABLE `prod`.`orders` ADD CONSTRAINT `orders_user_fk` FOREIGN KEY (`user_id`) REFERENCES `prod`.`authentication_user` (`id`) ON DELETE CASCADE",
        ]
    );
    let script = p.to_script(&ApplyOptions::default());
    assert!(script.contains("GET_LOCK('driftless.prod', "), "{script}");
    assert!(script.contains("table_schema = 'prod'"), "{script}");
    assert!(
        !script.contains("`app`") && !script.contains("DATABASE()"),
        "{script}"
    );
}

#[test]
fn sqlite_table_level_foreign_keys_keep_their_names() {
    let d = Dialect::Sqlite;
    let mut t = Table::default();
    t.columns
        .insert("a".into(), col(1, ty(d, "int"), true, None));
    t.columns
        .insert("b".into(), col(2, ty(d, "int"), true, None));
    t.foreign_keys.insert(
        "fk_pair".into(),
        ForeignKey {
            columns: vec!["a".into(), "b".into()],
            ref_schema: "main".into(),
            ref_table: "parent".into(),
            ref_columns: vec!["x".into(), "y".into()],
            on_delete: FkAction::SetNull,
            on_update: FkAction::NoAction,
            deferrable: true,
            initially_deferred: true,
            comment: None,
            match_full: false,
        },
    );
    let p = plan_for(
        &snapshot_with(d, vec![("child", t)]),
        &snapshot_with(d, vec![]),
        &PlanOptions::default(),
    );
    assert_eq!(
        sql_of(&p),
        [
            r#"CREATE TABLE "child" ( "a" INTEGER, "b" INTEGER, CONSTRAINT "fk_pair" FOREIGN KEY ("a", "b") REFERENCES "parent" ("x", "y") ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED )"#
        ]
    );
}

/// A table renamed by hand: `users` became `users_old`, keeping the names
/// of its key and index.
fn renamed_by_hand(d: Dialect) -> (Snapshot, Snapshot) {
    let mut t = users(d);
    if let Some(pk) = &mut t.primary_key {
        pk.name = "users_pkey".into();
    }
    t.indexes.insert(
        "users_username_idx".into(),
        Index {
            parts: vec![IndexPart::column("username")],
            unique: true,
            method: None,
            predicate: None,
            include: Vec::new(),
            comment: None,
            ignored: false,
            storage: Vec::new(),
            nulls_not_distinct: false,
        },
    );
    (
        snapshot_with(d, vec![("users", t.clone())]),
        snapshot_with(d, vec![("users_old", t)]),
    )
}

#[test]
fn quarantine_renames_the_names_a_table_shares_with_its_schema() {
    let [pg, my, lite] = side_by_side(renamed_by_hand, &PlanOptions::default());
    // PostgreSQL: renamed to names free in both schemas, then moved to
    // the quarantine schema.
    assert_eq!(
        pg[2..6],
        [
            r#"ALTER TABLE "public"."users_old" RENAME TO "public__users_old""#,
            r#"ALTER TABLE "public"."public__users_old" RENAME CONSTRAINT "users_pkey" TO "public__users_pkey""#,
            r#"ALTER INDEX "public"."users_username_idx" RENAME TO "public__users_username_idx""#,
            r#"ALTER TABLE "public"."public__users_old" SET SCHEMA "driftless_quarantine""#,
        ]
    );
    // MySQL index names are per table.
    assert_eq!(
        my[0],
        "RENAME TABLE `app`.`users_old` TO `app`.`_driftless_quarantine_users_old`"
    );
    assert!(my[3].starts_with("CREATE TABLE `app`.`users`"), "{my:?}");
    // SQLite cannot rename an index: it is created again under the new name.
    assert_eq!(
        lite[..3],
        [
            r#"ALTER TABLE "users_old" RENAME TO "_driftless_quarantine_users_old""#,
            r#"DROP INDEX "users_username_idx""#,
            r#"CREATE UNIQUE INDEX "_driftless_quarantine_users_username_idx" ON "_driftless_quarantine_users_old" ("username")"#,
        ]
    );
    // Kept (or its drop withheld), the table holds the names the new one
    // needs: refused. Dropped, it frees them.
    for d in [Dialect::Postgres, Dialect::Sqlite] {
        let (e, a) = renamed_by_hand(d);
        let findings = Registry::builtin()
            .check(&Config::default(), &Context::new(&e, &a))
            .findings;
        let drop = PlanOptions::default().with_orphans(Orphans::Drop);
        for o in [
            PlanOptions::default().with_orphans(Orphans::Keep),
            drop.clone(),
        ] {
            let err = plan(&e, &a, &findings, &o).unwrap_err();
            assert!(matches!(err, PlanError::NameTaken { .. }), "{err}");
        }
        let p = plan(&e, &a, &findings, &drop.with_allow(Safety::Destructive)).unwrap();
        assert_eq!(p.steps[0].action, "drop table");
    }
}

/// The story's table without a primary key: the orphan column is renamed
/// aside in its table instead, and a NOT NULL one loses its NOT NULL.
fn story_without_key(d: Dialect) -> (Snapshot, Snapshot) {
    let (mut e, mut a) = story(d);
    for snap in [&mut e, &mut a] {
        for sc in snap.schemas.values_mut() {
            for t in sc.tables.values_mut() {
                t.primary_key = None;
                if let Some(c) = t.columns.get_mut("avatar") {
                    c.nullable = false;
                }
            }
        }
    }
    (e, a)
}

#[test]
fn without_a_primary_key_the_column_is_renamed_aside_and_made_nullable() {
    let [pg, my, lite] = side_by_side(story_without_key, &PlanOptions::default());
    let has = |stmts: &[String], s: &str| {
        assert!(stmts.iter().any(|x| x == s), "{s} not in {stmts:#?}");
    };
    has(
        &pg,
        r#"ALTER TABLE "public"."authentication_user" RENAME COLUMN "avatar" TO "_driftless_quarantine_avatar""#,
    );
    has(
        &pg,
        r#"ALTER TABLE "public"."authentication_user" ALTER COLUMN "_driftless_quarantine_avatar" DROP NOT NULL"#,
    );
    has(&my, "ALTER TABLE `app`.`authentication_user` RENAME COLUMN `avatar` TO `_driftless_quarantine_avatar`");
    assert!(
        my.iter().any(|s| s.starts_with(
            "ALTER TABLE `app`.`authentication_user` MODIFY COLUMN `_driftless_quarantine_avatar`"
        ) && !s.contains("NOT NULL")),
        "{my:#?}"
    );
    // SQLite rebuilds the table to drop the NOT NULL.
    assert!(
        lite.iter()
            .any(|s| s.contains(r#""_driftless_quarantine_avatar""#)
                && s.starts_with("CREATE TABLE")),
        "{lite:#?}"
    );
    for stmts in [&pg, &my, &lite] {
        assert!(
            stmts.iter().any(|s| s.contains("'renamed column'")),
            "{stmts:#?}"
        );
    }
}

#[test]
fn fingerprints_ignore_the_objects_not_compared() {
    let (_, actual) = story(Dialect::Postgres);
    let mut listed = actual.clone();
    listed.unmodeled.push(driftless_model::CatalogObject::new(
        driftless_model::CatalogKind::Trigger,
        Some("public"),
        "users_touch",
    ));
    assert_eq!(
        crate::plan::fingerprint(&listed),
        crate::plan::fingerprint(&actual)
    );
    // Unchanged from the plain snapshot's JSON (plans made before keep their base).
    let mut plain = actual.clone();
    plain.schemas.clear();
    assert_ne!(
        crate::plan::fingerprint(&plain),
        crate::plan::fingerprint(&actual)
    );
}

/// An index whose definition changed: expected on (username), the
/// database's on (id), under one name.
fn changed_index(d: Dialect) -> (Snapshot, Snapshot) {
    let index = |column: &str| Index {
        parts: vec![IndexPart::column(column)],
        unique: false,
        method: None,
        predicate: None,
        include: Vec::new(),
        comment: None,
        ignored: false,
        storage: Vec::new(),
        nulls_not_distinct: false,
    };
    let (mut expected, mut actual) = (users(d), users(d));
    expected
        .indexes
        .insert("users_lookup".into(), index("username"));
    actual.indexes.insert("users_lookup".into(), index("id"));
    (
        snapshot_with(d, vec![("authentication_user", expected)]),
        snapshot_with(d, vec![("authentication_user", actual)]),
    )
}

/// Regression: with `--allow safe`, the safe half of an index replacement
/// (the drop) ran and the locking half (the create) was withheld, leaving
/// the index missing. The drop is withheld with the step that recreates it.
#[test]
fn a_replacement_is_withheld_whole_when_its_recreating_step_is() {
    for d in ALL {
        let (e, a) = changed_index(d);
        let safe = plan_for(&e, &a, &PlanOptions::default().with_allow(Safety::Safe));
        assert!(safe.steps.is_empty(), "{d}: {}", safe.to_sql());
        let withheld: Vec<&str> = safe.withheld.iter().map(|s| s.action.as_str()).collect();
        assert_eq!(withheld, ["drop index", "create index"], "{d}");
        assert!(
            safe.withheld[0]
                .reason
                .contains("the step that recreates it is withheld"),
            "{d}: {}",
            safe.withheld[0].reason
        );
        let locking = plan_for(&e, &a, &PlanOptions::default().with_allow(Safety::Locking));
        let run: Vec<&str> = locking.steps.iter().map(|s| s.action.as_str()).collect();
        assert_eq!(run, ["drop index", "create index"], "{d}");
        assert!(locking.withheld.is_empty(), "{d}");
    }
}

/// `orders` as it should be and as it is on a big PostgreSQL table: the
/// foreign key, unique constraint, check and index missing, `code` NULL
/// allowed where it should be NOT NULL with a default.
fn big_orders(size: u64) -> (Snapshot, Snapshot) {
    let d = Dialect::Postgres;
    let (mut exp, _) = with_orders(d);
    let orders = exp
        .schemas
        .get_mut("public")
        .unwrap()
        .tables
        .get_mut("orders")
        .unwrap();
    let code = orders.columns.get_mut("code").unwrap();
    code.nullable = false;
    code.default = Some("'none'::character varying".into());
    let mut bare = orders.clone();
    bare.foreign_keys.clear();
    bare.uniques.clear();
    bare.checks.clear();
    bare.indexes.clear();
    let code = bare.columns.get_mut("code").unwrap();
    code.nullable = true;
    let mut act = snapshot_with(d, vec![("authentication_user", users(d)), ("orders", bare)]);
    act.sizes.insert(
        driftless_model::QualifiedName::new("public", "orders"),
        driftless_model::TableSize {
            rows: Some(2_000_000),
            bytes: Some(size),
        },
    );
    (exp, act)
}

#[test]
fn big_postgres_tables_change_online_small_ones_in_one_transaction() {
    let (e, a) = big_orders(200 << 20);
    let p = plan_for(&e, &a, &PlanOptions::default());
    let steps: Vec<(String, bool, bool)> = p
        .steps
        .iter()
        .map(|s| (s.action.clone(), s.online, s.outside_transaction))
        .collect();
    let has = |action: &str, outside: bool| {
        steps
            .iter()
            .any(|(a, online, o)| a == action && *online && *o == outside)
    };
    assert!(has("create index concurrently", true), "{steps:?}");
    assert!(has("create unique index concurrently", true), "{steps:?}");
    assert!(has("add unique constraint using index", false), "{steps:?}");
    assert!(has("add constraint not valid", false), "{steps:?}");
    assert!(has("validate constraint", false), "{steps:?}");
    assert!(has("add not-null check not valid", false), "{steps:?}");
    assert!(has("validate not-null check", false), "{steps:?}");
    assert!(has("drop not-null check", false), "{steps:?}");
    assert!(has("backfill column", true), "{steps:?}");
    let sql = sql_of(&p);
    assert!(sql.contains(&r#"CREATE INDEX CONCURRENTLY "orders_user_code_idx" ON "public"."orders" ("user_id" DESC, "code")"#.to_string()), "{sql:#?}");
    assert!(
        sql.iter()
            .any(|s| s.ends_with("NOT VALID") && s.contains("FOREIGN KEY")),
        "{sql:#?}"
    );
    assert!(
        sql.contains(
            &r#"ALTER TABLE "public"."orders" VALIDATE CONSTRAINT "orders_user_fk""#.to_string()
        ),
        "{sql:#?}"
    );
    // The backfill comes before SET NOT NULL, the helper check around it.
    let at = |needle: &str| sql.iter().position(|s| s.contains(needle)).unwrap();
    assert!(at("UPDATE") < at("SET NOT NULL"), "{sql:#?}");
    assert!(
        at("IS NOT NULL) NOT VALID") < at("SET NOT NULL"),
        "{sql:#?}"
    );
    let backfill = p
        .steps
        .iter()
        .find(|s| s.action == "backfill column")
        .unwrap();
    assert_eq!(backfill.safety, Safety::DataChange);
    assert!(backfill.batched);
    assert!(
        !backfill.preflight.is_empty(),
        "it counts the rows it fills"
    );
    // No refusal: the NULLs are filled.
    assert!(p
        .steps
        .iter()
        .flat_map(|s| &s.preflight)
        .all(|f| f.kind != PreflightKind::RefuseIfAny));
    let h = p.steps[0]
        .hazard
        .as_ref()
        .expect("a hazard on an existing table");
    assert_eq!(h.rows, Some(2_000_000));
    assert_eq!(h.bytes, Some(200 << 20));

    // The same table under the threshold: one transaction, as before.
    let (e, a) = big_orders(8 << 10);
    let p = plan_for(&e, &a, &PlanOptions::default());
    assert!(p.steps.iter().all(|s| !s.online), "{:#?}", p.steps);
    assert!(sql_of(&p).iter().all(|s| !s.contains("CONCURRENTLY")));
    // --atomic: never online.
    let (e, a) = big_orders(200 << 20);
    let p = plan_for(&e, &a, &PlanOptions::default().with_online_threshold(None));
    assert!(p
        .steps
        .iter()
        .all(|s| !s.online && s.hazard.is_some() == s.object.table.is_some()));
}

#[test]
fn max_lock_refuses_a_plan_before_it_runs() {
    let (e, a) = big_orders(8 << 10);
    let p = plan_for(&e, &a, &PlanOptions::default());
    let strict =
        ApplyOptions::default().with_max_lock(Some(crate::LockLevel::ShareUpdateExclusive));
    let refused = crate::policy_refusal(&p, &strict).expect("a step takes a stronger lock");
    assert!(
        refused
            .to_string()
            .contains("above the allowed SHARE UPDATE EXCLUSIVE"),
        "{refused}"
    );
    let any = ApplyOptions::default();
    assert!(crate::policy_refusal(&p, &any).is_none());
}

#[test]
fn nulls_are_backfilled_with_the_default_before_not_null_on_every_backend() {
    for d in ALL {
        let mut exp = users(d);
        exp.columns
            .insert("nick".into(), col(3, ty(d, "short"), false, Some("'none'")));
        let mut act = users(d);
        act.columns
            .insert("nick".into(), col(3, ty(d, "short"), true, Some("'none'")));
        let (e, a) = (
            snapshot_with(d, vec![("users", exp)]),
            snapshot_with(d, vec![("users", act)]),
        );
        let p = plan_for(&e, &a, &PlanOptions::default());
        let at = |action: &str| p.steps.iter().position(|s| s.action == action);
        let backfill = at("backfill column").unwrap_or_else(|| panic!("{d:?}: {:#?}", p.steps));
        let change = at("alter column").or(at("rebuild table")).unwrap();
        assert!(backfill < change, "{d:?}: the NULLs are filled first");
        let step = &p.steps[backfill];
        assert_eq!(step.safety, Safety::DataChange);
        assert!(step.sql[0].starts_with("UPDATE"), "{d:?}: {:?}", step.sql);
        assert!(
            p.steps
                .iter()
                .flat_map(|s| &s.preflight)
                .all(|f| f.kind != PreflightKind::RefuseIfAny),
            "{d:?}: no refusal"
        );
        // --allow safe withholds it, and the change with it refuses.
        let safe = plan_for(&e, &a, &PlanOptions::default().with_allow(Safety::Safe));
        assert!(
            safe.withheld.iter().any(|s| s.action == "backfill column"),
            "{d:?}"
        );
    }
}
