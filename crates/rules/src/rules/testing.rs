//! Hand-made snapshots for the rules' own tests.

use driftless_model::{
    Check, Column, Dialect, Enum, FkAction, ForeignKey, Identity, Index, IndexPart, PrimaryKey,
    Schema, Sequence, Snapshot, Table, UniqueConstraint, View,
};

use crate::finding::{sort_findings, Finding};
use crate::rule::{Context, Rule};

fn col(position: u32, data_type: &str, nullable: bool, default: Option<&str>) -> Column {
    Column {
        inherited: false,
        nullable,
        default: default.map(Into::into),
        ..Column::new(position, data_type)
    }
}

/// A PostgreSQL schema `public` with every object kind: tables `users` and
/// `posts` (primary keys, a unique constraint, indexes, a foreign key, a
/// check, comments), enum `mood`, view `active_users`, sequence `invoice_no`.
pub(crate) fn fixture() -> Snapshot {
    let mut public = Schema::default();
    public.tables.insert("users".into(), users());
    public.tables.insert("posts".into(), posts());
    add_types_and_views(&mut public);
    public.comment = Some("standard public schema".into());
    let mut snap = Snapshot::new(Dialect::Postgres);
    snap.schemas.insert("public".into(), public);
    snap
}

/// `users`: identity key, unique email, an index, a check, comments.
fn users() -> Table {
    let mut users = Table::default();
    users.columns.insert(
        "id".into(),
        Column {
            inherited: false,
            identity: Some(Identity::ByDefault),
            identity_options: None,
            ..col(1, "integer", false, None)
        },
    );
    users
        .columns
        .insert("email".into(), col(2, "text", false, None));
    users
        .columns
        .insert("name".into(), col(3, "character varying(100)", true, None));
    users
        .columns
        .insert("active".into(), col(4, "boolean", false, Some("true")));
    users.columns.insert(
        "created_at".into(),
        Column {
            inherited: false,
            comment: Some("When the account was opened".into()),
            ..col(5, "timestamp with time zone", true, Some("now()"))
        },
    );
    users.primary_key = Some(PrimaryKey {
        deferrable: false,
        initially_deferred: false,
        name: "users_pkey".into(),
        columns: vec!["id".into()],
        comment: None,
    });
    users.uniques.insert(
        "users_email_key".into(),
        UniqueConstraint {
            deferrable: false,
            initially_deferred: false,
            columns: vec!["email".into()],
            nulls_not_distinct: false,
            comment: None,
        },
    );
    users.indexes.insert(
        "users_name_idx".into(),
        Index {
            parts: vec![IndexPart::column("name")],
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
    users.checks.insert(
        "users_email_check".into(),
        Check {
            expression: "(email <> ''::text)".into(),
            comment: None,
            no_inherit: false,
        },
    );
    users.comment = Some("People who sign in".into());
    users
}

/// `posts`: a foreign key to `users` and its index, an enum column.
fn posts() -> Table {
    let mut posts = Table::default();
    posts
        .columns
        .insert("id".into(), col(1, "bigint", false, None));
    posts
        .columns
        .insert("user_id".into(), col(2, "integer", false, None));
    posts
        .columns
        .insert("title".into(), col(3, "text", true, None));
    posts
        .columns
        .insert("mood".into(), col(4, "mood", true, None));
    posts.primary_key = Some(PrimaryKey {
        deferrable: false,
        initially_deferred: false,
        name: "posts_pkey".into(),
        columns: vec!["id".into()],
        comment: None,
    });
    posts.foreign_keys.insert(
        "posts_user_id_fkey".into(),
        ForeignKey {
            columns: vec!["user_id".into()],
            ref_schema: "public".into(),
            ref_table: "users".into(),
            ref_columns: vec!["id".into()],
            on_delete: FkAction::Cascade,
            on_update: FkAction::NoAction,
            deferrable: false,
            initially_deferred: false,
            comment: None,
            match_full: false,
        },
    );
    posts.indexes.insert(
        "posts_user_id_idx".into(),
        Index {
            parts: vec![IndexPart::column("user_id")],
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

    posts
}

/// Enum `mood`, view `active_users`, sequence `invoice_no`.
fn add_types_and_views(public: &mut Schema) {
    public.enums.insert(
        "mood".into(),
        Enum {
            labels: vec!["happy".into(), "ok".into(), "sad".into()],
            comment: None,
        },
    );
    public.views.insert(
        "active_users".into(),
        View {
            indexes: Default::default(),
            options: Default::default(),
            definition: " SELECT users.id,\n    users.email\n   FROM users\n  WHERE users.active;"
                .into(),
            materialized: false,
            comment: None,
        },
    );
    public.sequences.insert(
        "invoice_no".into(),
        Sequence {
            data_type: "bigint".into(),
            start: 1000,
            increment: 1,
            min_value: 1,
            max_value: i64::MAX,
            cache: 1,
            cycle: false,
            owned_by: None,
            comment: None,
        },
    );
}

/// Schema `public` of `snap`.
pub(crate) fn public(snap: &mut Snapshot) -> &mut Schema {
    snap.schemas.get_mut("public").unwrap()
}

/// Table `public.<name>` of `snap`.
pub(crate) fn table<'s>(snap: &'s mut Snapshot, name: &str) -> &'s mut Table {
    public(snap).tables.get_mut(name).unwrap()
}

/// Column `public.<table>.<name>` of `snap`.
pub(crate) fn column<'s>(snap: &'s mut Snapshot, table_name: &str, name: &str) -> &'s mut Column {
    table(snap, table_name).columns.get_mut(name).unwrap()
}

/// Runs one rule and returns its findings, sorted.
pub(crate) fn run(rule: &dyn Rule, expected: &Snapshot, actual: &Snapshot) -> Vec<Finding> {
    let cx = Context::new(expected, actual);
    let mut out = Vec::new();
    rule.check(&cx, &mut out);
    sort_findings(&mut out);
    out
}

/// Runs one rule on the fixture against itself, and on the fixture against
/// `mutated` (expected, actual) — asserting the first finds nothing.
pub(crate) fn run_pair(rule: &dyn Rule, expected: &Snapshot, actual: &Snapshot) -> Vec<Finding> {
    assert_eq!(
        run(rule, expected, expected),
        Vec::new(),
        "{} on identical snapshots",
        rule.meta().id
    );
    run(rule, expected, actual)
}

/// Asserts there is exactly one finding, about `path`, and returns it.
pub(crate) fn only<'f>(findings: &'f [Finding], rule: &str, path: &str) -> &'f Finding {
    assert_eq!(findings.len(), 1, "expected one finding, got {findings:#?}");
    let f = &findings[0];
    assert_eq!(f.rule, rule);
    assert_eq!(f.object.path(), path, "{f:#?}");
    assert!(f
        .hint
        .as_deref()
        .is_some_and(|h| !h.is_empty() && !h.contains('\n')));
    f
}
