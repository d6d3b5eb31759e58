//! migration_status on hand-made ledgers and parsed sets (pure, no database).

use std::path::Path;

use driftless_migrations::{parse_migrations, SourceFile};
use driftless_model::{
    migration_status, outside_apps, select_ledger, Checksum, Dialect, Ledger, LedgerEntry,
    LedgerKind, LedgerState, LedgerTable, MigrationState, MigrationStatus, Modification,
};

fn ledger(kind: LedgerKind, rows: Vec<(&str, LedgerState, Option<Checksum>)>) -> Ledger {
    Ledger {
        table: LedgerTable {
            kind,
            schema: "public".into(),
            table: kind.table().into(),
            wide_versions: false,
        },
        dialect: Dialect::Postgres,
        entries: rows
            .into_iter()
            .map(|(id, state, checksum)| LedgerEntry {
                id: id.into(),
                name: None,
                app: id
                    .split_once('.')
                    .filter(|_| kind == LedgerKind::Django)
                    .map(|(a, _)| a.to_string()),
                checksum,
                applied_at: None,
                state,
                execution_ms: None,
                detail: None,
            })
            .collect(),
    }
}

fn states(v: &[MigrationStatus]) -> Vec<(String, MigrationState)> {
    v.iter().map(|s| (s.id.clone(), s.state)).collect()
}

#[test]
fn sqlx_applied_modified_unapplied_unknown_failed() {
    let files = vec![
        SourceFile::new("1_a.sql", "CREATE TABLE a (id int);\n"),
        SourceFile::new("2_b.sql", "CREATE TABLE b (id int);\r\n"),
        SourceFile::new("3_c.sql", "CREATE TABLE c (id int);\n"),
        SourceFile::new("4_d.sql", "CREATE TABLE d (id int);\n"),
        SourceFile::new("6_f.sql", "CREATE TABLE f (id int);\n"),
    ];
    let set = parse_migrations(Path::new("m"), &files).unwrap();
    let l = ledger(
        LedgerKind::Sqlx,
        vec![
            (
                "1",
                LedgerState::Applied,
                Some(Checksum::sqlx("CREATE TABLE a (id int);\n")),
            ),
            (
                "2",
                LedgerState::Applied,
                Some(Checksum::sqlx("CREATE TABLE b (id int);\n")),
            ),
            (
                "3",
                LedgerState::Applied,
                Some(Checksum::sqlx("CREATE TABLE c (id bigint);\n")),
            ),
            ("5", LedgerState::Applied, Some(Checksum::sqlx("x"))),
            (
                "6",
                LedgerState::Failed,
                Some(Checksum::sqlx("CREATE TABLE f (id int);\n")),
            ),
        ],
    );
    assert_eq!(
        states(&migration_status(&set, Some(&l))),
        vec![
            ("1".into(), MigrationState::Applied),
            ("2".into(), MigrationState::Modified(Modification::Cosmetic)),
            ("3".into(), MigrationState::Modified(Modification::Unknown)),
            ("4".into(), MigrationState::Unapplied),
            ("6".into(), MigrationState::Failed),
            ("5".into(), MigrationState::Unknown),
        ]
    );
    let mut set2 = set.clone();
    set2.applied_sources
        .insert("3".into(), "-- old\nCREATE TABLE c (id bigint);".into());
    let st = migration_status(&set2, Some(&l));
    assert_eq!(
        st[2].state,
        MigrationState::Modified(Modification::Statements)
    );
    set2.applied_sources
        .insert("3".into(), "/* v1 */ CREATE TABLE c (\n  id int\n);".into());
    let st = migration_status(&set2, Some(&l));
    assert_eq!(
        st[2].state,
        MigrationState::Modified(Modification::Cosmetic)
    );
    assert!(migration_status(&set, None)
        .iter()
        .all(|s| s.state == MigrationState::Unapplied));
}

#[test]
fn heads_only_ledgers() {
    let files = vec![
        SourceFile::new("1_a.up.sql", "a"),
        SourceFile::new("2_b.up.sql", "b"),
        SourceFile::new("3_c.up.sql", "c"),
    ];
    let set = parse_migrations(Path::new("m"), &files).unwrap();
    let l = ledger(
        LedgerKind::GolangMigrate,
        vec![("2", LedgerState::Dirty, None)],
    );
    assert_eq!(
        states(&migration_status(&set, Some(&l))),
        vec![
            ("1".into(), MigrationState::Applied),
            ("2".into(), MigrationState::Failed),
            ("3".into(), MigrationState::Unapplied)
        ]
    );
}

#[test]
fn django_foreign_apps_and_squash() {
    let mig =
        |deps: &str, extra: &str| format!("class Migration:\n    dependencies = [{deps}]\n{extra}");
    let files = vec![
        SourceFile::new("shop/migrations/0001_initial.py", mig("", "")),
        SourceFile::new(
            "shop/migrations/0002_b.py",
            mig("('shop', '0001_initial')", ""),
        ),
        SourceFile::new(
            "shop/migrations/0001_squashed_0002_b.py",
            mig(
                "",
                "    replaces = [('shop', '0001_initial'), ('shop', '0002_b')]\n",
            ),
        ),
    ];
    let set = parse_migrations(Path::new("m"), &files).unwrap();
    let l = ledger(
        LedgerKind::Django,
        vec![
            ("auth.0001_initial", LedgerState::Applied, None),
            ("shop.0001_initial", LedgerState::Applied, None),
            ("shop.0002_b", LedgerState::Applied, None),
            ("shop.0003_gone", LedgerState::Applied, None),
        ],
    );
    let st = migration_status(&set, Some(&l));
    assert!(
        st.iter()
            .filter(|s| s.id != "shop.0003_gone")
            .all(|s| s.state == MigrationState::Applied),
        "{st:?}"
    );
    assert_eq!(
        st.iter()
            .filter(|s| s.state == MigrationState::Unknown)
            .count(),
        1
    );
}

#[test]
fn django_apps_outside_the_folder_are_grouped_not_unknown() {
    let files = vec![SourceFile::new(
        "shop/migrations/0001_initial.py",
        "class Migration:\n    dependencies = []\n",
    )];
    let set = parse_migrations(Path::new("m"), &files).unwrap();
    let l = ledger(
        LedgerKind::Django,
        vec![
            ("auth.0001_initial", LedgerState::Applied, None),
            ("admin.0001_initial", LedgerState::Applied, None),
            ("shop.0001_initial", LedgerState::Applied, None),
        ],
    );
    // From the ledger alone: applied counts, nothing known to be pending.
    let alone = outside_apps(&set, Some(&l), None);
    assert_eq!(
        alone
            .iter()
            .map(|a| (a.app.as_str(), a.applied.len(), a.installed))
            .collect::<Vec<_>>(),
        vec![("admin", 1, None), ("auth", 1, None)]
    );
    // With Django's graph: auth's second migration is pending, admin is
    // no longer installed, the folder's app is not repeated.
    let graph: Vec<(String, String)> = [
        ("auth", "0001_initial"),
        ("auth", "0002_more"),
        ("shop", "0001_initial"),
    ]
    .iter()
    .map(|(a, n)| (a.to_string(), n.to_string()))
    .collect();
    let known = outside_apps(&set, Some(&l), Some(&graph));
    assert_eq!(known.len(), 2, "{known:?}");
    assert_eq!(known[0].installed, Some(false));
    assert_eq!(known[1].pending, vec!["0002_more".to_string()]);
    assert_eq!(known[1].installed, Some(true));
    // No ledger: every migration of Django's own apps is pending.
    let none = outside_apps(&set, None, Some(&graph));
    assert_eq!(none[0].pending.len(), 2, "{none:?}");
}

#[test]
fn flyway_baseline_and_version_keys() {
    let files = vec![
        SourceFile::new("V1__a.sql", "a"),
        SourceFile::new("V1_1__b.sql", "b"),
        SourceFile::new("V2__c.sql", "c"),
    ];
    let set = parse_migrations(Path::new("m"), &files).unwrap();
    let l = ledger(
        LedgerKind::Flyway,
        vec![
            ("1.1", LedgerState::Baseline, None),
            ("2.0", LedgerState::Applied, Some(Checksum::flyway("c"))),
        ],
    );
    assert_eq!(
        states(&migration_status(&set, Some(&l))),
        vec![
            ("1".into(), MigrationState::Applied),
            ("1.1".into(), MigrationState::Applied),
            ("2".into(), MigrationState::Applied)
        ]
    );
}

#[test]
fn picks_the_ledger_of_the_sets_layout() {
    let set = parse_migrations(Path::new("m"), &[SourceFile::new("1_a.sql", "a")]).unwrap();
    let ls = vec![
        ledger(LedgerKind::Django, vec![]),
        ledger(LedgerKind::GolangMigrate, vec![]),
        ledger(LedgerKind::Sqlx, vec![]),
    ];
    assert_eq!(
        select_ledger(&set, &ls).map(Ledger::kind),
        Some(LedgerKind::Sqlx)
    );
    assert_eq!(
        select_ledger(&set, &ls[..2]).map(Ledger::kind),
        Some(LedgerKind::GolangMigrate)
    );
    assert!(select_ledger(&set, &ls[..1]).is_none());
}
