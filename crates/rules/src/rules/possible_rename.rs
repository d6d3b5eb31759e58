use std::collections::BTreeMap;

use driftless_model::{Column, Dialect, ObjectKind, ObjectRef, Snapshot, Table};
use serde::Serialize;

use crate::compare::{
    describe_check, describe_column, describe_exclusion, describe_foreign_key, describe_index,
    describe_unique, Comparer,
};
use crate::diff::{Entry, Named};
use crate::finding::{Finding, FixIntent, Severity};
use crate::rename::{Rename, RenameKind};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::json;

declare_rule! {
    PossibleRename {
        id: "possible-rename",
        summary: "A missing column, table, index or constraint and an orphan of the same kind and definition in the same place: possibly one renamed.",
        rationale: "Without a rename the fixer quarantines an orphan column or table and adds the missing one empty, so the renamed object's data ends up in quarantine; an index or constraint is dropped and built again. Names matter for indexes and constraints too: Django, Rails and Alembic migrations drop and alter them by name, and fail on a database where the name drifted. So an index or constraint whose definition is expected under another name is reported as missing and orphan (the check fails), and this rule pairs the two as a possible rename. Only pairs that are unambiguous (one candidate each way) are proposed, and none is applied unless confirmed (`--accept-renames`, or a `[[rename]]` entry in `driftless.toml`, which a pull request reviews), never guessed in CI. Severity info: the missing and orphan findings already fail the check; this one adds evidence, and a `[[rename]]` entry that names no such pair is reported as a warning.",
        severity: Info,
        enabled: true,
        example: "-- expected\nCREATE TABLE users (id integer PRIMARY KEY, nickname text);\nCREATE INDEX users_nickname_idx ON users (nickname);\n-- actual\nCREATE TABLE users (id integer PRIMARY KEY, nick text);\nCREATE INDEX users_nick ON users (nick);",
        fix: "Safe when confirmed: one rename step (`ALTER TABLE … RENAME COLUMN … TO …`, `ALTER TABLE … RENAME TO …`; PostgreSQL `ALTER INDEX … RENAME TO …` and `ALTER TABLE … RENAME CONSTRAINT …`; MySQL/MariaDB `ALTER TABLE … RENAME INDEX …`; SQLite drops the index and creates it under the new name in one step) replaces the quarantine (or drop) and the add, and the data stays. MySQL/MariaDB cannot rename a foreign key or check, nor SQLite a constraint: those are dropped and added under the expected name, confirmed or not. Unconfirmed, the orphan is quarantined (or dropped) and the missing object added, the steps saying it may be a rename and how to confirm it.",
    }
}

/// The missing and orphan objects of one kind in one place (a table's
/// columns, indexes or constraints of a kind; a schema's tables).
struct Group<'a, T> {
    kind: ObjectKind,
    schema: &'a str,
    table: Option<&'a str>,
    missing: Vec<Named<'a, T>>,
    orphans: Vec<Named<'a, T>>,
}

/// How one kind of object is compared and described.
struct Judge<'c, T> {
    kind: ObjectKind,
    differences: &'c dyn Fn(&T, &T) -> Vec<String>,
    describe: &'c dyn Fn(&T) -> String,
}

impl Rule for PossibleRename {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let diff = cx.diff();
        let (cmp, d) = (diff.comparer(), diff.dialect());
        let mut used = vec![false; cx.renames.len()];
        let columns = Judge {
            kind: ObjectKind::Column,
            differences: &|e: &Column, a: &Column| column_differences(cmp, e, a),
            describe: &describe_column,
        };
        propose_all(cx, diff.columns(), &columns, &mut used, out);
        let tables = Judge {
            kind: ObjectKind::Table,
            differences: &|e: &Table, a: &Table| table_differences(cmp, e, a),
            describe: &describe_table,
        };
        propose_all(cx, diff.tables(), &tables, &mut used, out);
        let uniques = Judge {
            kind: ObjectKind::Unique,
            differences: &|e, a| cmp.unique_diffs(e, a),
            describe: &describe_unique,
        };
        propose_all(cx, diff.uniques(), &uniques, &mut used, out);
        let indexes = Judge {
            kind: ObjectKind::Index,
            differences: &|e, a| cmp.index_diffs(e, a),
            describe: &|i| describe_index(d, i),
        };
        propose_all(cx, diff.indexes(), &indexes, &mut used, out);
        let foreign_keys = Judge {
            kind: ObjectKind::ForeignKey,
            differences: &|e, a| cmp.foreign_key_diffs(e, a),
            describe: &describe_foreign_key,
        };
        propose_all(cx, diff.foreign_keys(), &foreign_keys, &mut used, out);
        let checks = Judge {
            kind: ObjectKind::Check,
            differences: &|e, a| cmp.check_diffs(e, a),
            describe: &describe_check,
        };
        propose_all(cx, diff.checks(), &checks, &mut used, out);
        let exclusions = Judge {
            kind: ObjectKind::Exclusion,
            differences: &|e, a| cmp.exclusion_diffs(e, a),
            describe: &describe_exclusion,
        };
        propose_all(cx, diff.exclusions(), &exclusions, &mut used, out);
        for (r, _) in cx.renames.iter().zip(used).filter(|(_, u)| !u) {
            if !already_applied(r, cx.actual) {
                out.push(unmatched(cx.actual, r));
            }
        }
    }
}

/// The renames of every group of `entries`.
fn propose_all<T: Serialize>(
    cx: &Context<'_>,
    entries: &[Entry<'_, T>],
    judge: &Judge<'_, T>,
    used: &mut [bool],
    out: &mut Vec<Finding>,
) {
    for g in groups(entries, judge.kind) {
        propose(cx, &g, judge, used, out);
    }
}
/// Missing and orphan entries grouped by where they are.
fn groups<'a, T>(entries: &[Entry<'a, T>], kind: ObjectKind) -> Vec<Group<'a, T>> {
    let mut map: BTreeMap<(&str, Option<&str>), Group<'a, T>> = BTreeMap::new();
    for e in entries {
        let (missing, orphan) = (e.missing(), e.orphan());
        if missing.is_none() && orphan.is_none() {
            continue;
        }
        let g = map.entry((e.schema, e.table)).or_insert_with(|| Group {
            kind,
            schema: e.schema,
            table: e.table,
            missing: Vec::new(),
            orphans: Vec::new(),
        });
        g.missing.extend(missing);
        g.orphans.extend(orphan);
    }
    map.into_values().collect()
}

/// The renames of one group: those the configuration declares, and the
/// unambiguous pairs (exactly one candidate each way) of the others.
fn propose<T: Serialize>(
    cx: &Context<'_>,
    g: &Group<'_, T>,
    judge: &Judge<'_, T>,
    used: &mut [bool],
    out: &mut Vec<Finding>,
) {
    let same = |m: &Named<'_, T>, o: &Named<'_, T>| (judge.differences)(m.def, o.def).is_empty();
    let declared = |i: usize, r: &Rename| {
        r.is_in(g.kind, g.schema, g.table)
            && g.missing.iter().any(|m| m.name == r.to)
            && g.orphans.iter().any(|o| o.name == r.from)
            && (i == 0 || !cx.renames[..i].iter().any(|p| p == r))
    };
    let claimed: Vec<(usize, &Rename)> = cx
        .renames
        .iter()
        .enumerate()
        .filter(|(i, r)| declared(*i, r))
        .collect();
    for (i, r) in &claimed {
        used[*i] = true;
        let (Some(m), Some(o)) = (
            g.missing.iter().find(|m| m.name == r.to),
            g.orphans.iter().find(|o| o.name == r.from),
        ) else {
            continue;
        };
        let diffs = (judge.differences)(m.def, o.def);
        out.push(if diffs.is_empty() {
            rename_finding(cx, g, judge, *m, *o, Some(r))
        } else {
            differing(g, *m, *o, r, &diffs)
        });
    }
    let taken = |name: &str, orphan: bool| {
        claimed
            .iter()
            .any(|(_, r)| if orphan { r.from == name } else { r.to == name })
    };
    for m in g.missing.iter().filter(|m| !taken(m.name, false)) {
        let candidates: Vec<&Named<'_, T>> = g
            .orphans
            .iter()
            .filter(|o| !taken(o.name, true) && same(m, o))
            .collect();
        let [o] = candidates[..] else { continue };
        let back = g
            .missing
            .iter()
            .filter(|m2| !taken(m2.name, false) && same(m2, o))
            .count();
        if back == 1 {
            out.push(rename_finding(cx, g, judge, *m, *o, None));
        }
    }
}

/// `column public.users.nick`, `table public.people`, `index
/// public.users.users_nick_idx`.
fn named(g: &Group<'_, impl Sized>, name: &str) -> String {
    match g.table {
        Some(t) => format!("{} {}.{t}.{name}", g.kind.noun(), g.schema),
        None => format!("table {}.{name}", g.schema),
    }
}

/// The object a finding about `name` of group `g` names.
fn object(g: &Group<'_, impl Sized>, name: &str) -> ObjectRef {
    match g.table {
        Some(t) => ObjectRef::table_part(g.kind, g.schema, t, name),
        None => ObjectRef::table(g.schema, name),
    }
}

/// The server's name in messages.
fn server(d: Dialect) -> &'static str {
    match d {
        Dialect::Postgres => "PostgreSQL",
        Dialect::Mysql => "MySQL/MariaDB",
        Dialect::Sqlite => "SQLite",
    }
}

/// What the plan does without the rename: `nick is quarantined and
/// nickname added empty`, `users_nick is dropped and users_nickname_idx
/// created`.
fn without_rename(kind: ObjectKind, from: &str, to: &str) -> String {
    match kind {
        ObjectKind::Column | ObjectKind::Table => {
            format!("{from} is quarantined and {to} added empty")
        }
        ObjectKind::Index => format!("{from} is dropped and {to} created"),
        _ => format!("{from} is dropped and {to} added"),
    }
}

/// A possible (or, with `confirmed`, declared) rename of `o` to `m`.
fn rename_finding<T: Serialize>(
    cx: &Context<'_>,
    g: &Group<'_, T>,
    judge: &Judge<'_, T>,
    m: Named<'_, T>,
    o: Named<'_, T>,
    confirmed: Option<&Rename>,
) -> Finding {
    let d = cx.diff().dialect();
    let evidence = format!(
        "{} is missing and {} is not expected, with the same definition ({})",
        named(g, m.name),
        named(g, o.name),
        (judge.describe)(o.def)
    );
    let cannot = format!(
        "{} cannot rename a {}, so {}, confirmed or not",
        server(d),
        g.kind.noun(),
        without_rename(g.kind, o.name, m.name)
    );
    let (message, hint) = match (confirmed, g.kind.renamable_on(d)) {
        (Some(r), renames) => (
            format!(
                "{evidence}: renamed, as the [[rename]] at {} confirms{}",
                r.origin,
                if renames { String::new() } else { format!("; {cannot}") }
            ),
            format!("rename {} to {}", named(g, o.name), m.name),
        ),
        (None, true) => (
            format!("{evidence}: possibly renamed; unless the rename is confirmed (--accept-renames, or a [[rename]] entry in driftless.toml), {}", without_rename(g.kind, o.name, m.name)),
            format!(
                "if it is a rename, confirm it with --accept-renames (plan, fix), or add these lines to driftless.toml: {}",
                toml_entry(d, g, o.name, m.name).join(" | ")
            ),
        ),
        (None, false) => (
            format!("{evidence}: possibly renamed; {cannot}"),
            String::from("nothing to confirm: the plan drops it and adds it under the expected name"),
        ),
    };
    Finding::new(
        &PossibleRename::META,
        object(g, m.name),
        message,
        FixIntent::Rename {
            from: o.name.to_string(),
            confirmed: confirmed.is_some(),
        },
    )
    .values(json(m.def), json(o.def))
    .hint(hint)
}

/// The lines of the `[[rename]]` entry that confirms a rename (the schema
/// named on PostgreSQL only: elsewhere it is the database, whose name
/// varies).
fn toml_entry(d: Dialect, g: &Group<'_, impl Sized>, from: &str, to: &str) -> Vec<String> {
    let schema = match d {
        Dialect::Postgres => format!("{}.", g.schema),
        _ => String::new(),
    };
    let kind = RenameKind::of(g.kind).map_or("", RenameKind::as_str);
    let mut lines = vec![String::from("[[rename]]"), format!("kind = \"{kind}\"")];
    match g.table {
        Some(t) => lines.extend([
            format!("table = \"{schema}{t}\""),
            format!("from = \"{from}\""),
            format!("to = \"{to}\""),
        ]),
        None => lines.extend([
            format!("from = \"{schema}{from}\""),
            format!("to = \"{schema}{to}\""),
        ]),
    }
    lines
}

/// A declared rename whose two objects differ: not applied.
fn differing<T: Serialize>(
    g: &Group<'_, T>,
    m: Named<'_, T>,
    o: Named<'_, T>,
    r: &Rename,
    diffs: &[String],
) -> Finding {
    let mut f = Finding::new(
        &PossibleRename::META,
        object(g, m.name),
        format!(
            "the [[rename]] at {} renames {} to {}, but their definitions differ (expected vs actual): {}; it is not applied",
            r.origin,
            named(g, o.name),
            m.name,
            diffs.join("; ")
        ),
        FixIntent::Manual,
    )
    .values(json(m.def), json(o.def))
    .hint("change the entry, or bring the definitions together first");
    f.severity = Severity::Warning;
    f
}

/// Whether the database already has what `r` renames to, and no longer
/// what it renames from (the entry has been applied; it is left in the
/// file harmlessly).
fn already_applied(r: &Rename, actual: &Snapshot) -> bool {
    let in_schema = |s: &str| r.schema.as_deref().is_none_or(|rs| rs == s);
    match &r.table {
        Some(t) => actual.schemas.iter().any(|(s, schema)| {
            let has = |name: &str| has_part(schema, t, r.kind, name);
            in_schema(s) && has(&r.to) && !has(&r.from)
        }),
        None => {
            actual.tables().any(|(s, n, _)| in_schema(s) && n == r.to)
                && !actual.tables().any(|(s, n, _)| in_schema(s) && n == r.from)
        }
    }
}

/// Whether table (or, for an index, materialized view) `table` of `schema`
/// has a part of `kind` named `name`.
fn has_part(schema: &driftless_model::Schema, table: &str, kind: RenameKind, name: &str) -> bool {
    let view_index = || {
        schema
            .views
            .get(table)
            .is_some_and(|v| v.indexes.contains_key(name))
    };
    let Some(t) = schema.tables.get(table) else {
        return kind == RenameKind::Index && view_index();
    };
    match kind {
        RenameKind::Column => t.columns.contains_key(name),
        RenameKind::Index => t.indexes.contains_key(name),
        RenameKind::Constraint => {
            t.uniques.contains_key(name)
                || t.foreign_keys.contains_key(name)
                || t.checks.contains_key(name)
                || t.exclusions.contains_key(name)
        }
        RenameKind::Table => false,
    }
}

/// A declared rename that names no missing and orphan pair.
fn unmatched(actual: &Snapshot, r: &Rename) -> Finding {
    let schema = r
        .schema
        .clone()
        .or_else(|| actual.schemas.keys().next().cloned())
        .unwrap_or_default();
    let object = match (&r.table, r.kind) {
        (Some(t), RenameKind::Column) => {
            ObjectRef::table_part(ObjectKind::Column, &schema, t, &r.to)
        }
        (Some(t), _) => ObjectRef::table(&schema, t),
        (None, _) => ObjectRef::table(&schema, &r.to),
    };
    let what = r.kind.as_str();
    let mut f = Finding::new(
        &PossibleRename::META,
        object,
        format!(
            "the [[rename]] at {} ({}) names no missing {what} and orphan {what} of the database: it is not applied",
            r.origin,
            r.described()
        ),
        FixIntent::Manual,
    )
    .hint("correct or remove the entry");
    f.severity = Severity::Warning;
    f
}

/// Differences between two column definitions (name, position and comment
/// aside).
fn column_differences(cmp: &Comparer, e: &Column, a: &Column) -> Vec<String> {
    let mut d = Vec::new();
    if !cmp.type_eq(e, a) {
        d.push(format!("type {} vs {}", e.data_type, a.data_type));
    }
    if e.nullable != a.nullable {
        d.push(String::from("nullability"));
    }
    if !cmp.default_eq(e, a) {
        d.push(String::from("default"));
    }
    d.extend(cmp.column_identity_diffs(e, a));
    d
}

/// Differences between two table definitions: their columns (by name),
/// primary keys, constraints and indexes (by definition, names aside).
fn table_differences(cmp: &Comparer, e: &Table, a: &Table) -> Vec<String> {
    let mut d = Vec::new();
    let names = |t: &Table| t.columns.keys().cloned().collect::<Vec<_>>();
    if names(e) != names(a) {
        d.push(format!(
            "columns {} vs {}",
            names(e).join(", "),
            names(a).join(", ")
        ));
    }
    for (n, ec) in &e.columns {
        if let Some(diffs) = a.columns.get(n).map(|ac| column_differences(cmp, ec, ac)) {
            if !diffs.is_empty() {
                d.push(format!("column {n}: {}", diffs.join(", ")));
            }
        }
    }
    let pk_same = match (&e.primary_key, &a.primary_key) {
        (None, None) => true,
        (Some(x), Some(y)) => cmp.primary_key_diffs(x, y).is_empty(),
        _ => false,
    };
    if !pk_same {
        d.push(String::from("primary key"));
    }
    for (what, same) in [
        (
            "unique constraints",
            paired(&e.uniques, &a.uniques, |x, y| cmp.unique_diffs(x, y)),
        ),
        (
            "indexes",
            paired(&e.indexes, &a.indexes, |x, y| cmp.index_diffs(x, y)),
        ),
        (
            "foreign keys",
            paired(&e.foreign_keys, &a.foreign_keys, |x, y| {
                cmp.foreign_key_diffs(x, y)
            }),
        ),
        (
            "check constraints",
            paired(&e.checks, &a.checks, |x, y| cmp.check_diffs(x, y)),
        ),
    ] {
        if !same {
            d.push(String::from(what));
        }
    }
    d
}

/// Whether two sets of named parts have the same definitions, names aside.
fn paired<T>(
    e: &BTreeMap<String, T>,
    a: &BTreeMap<String, T>,
    diffs: impl Fn(&T, &T) -> Vec<String>,
) -> bool {
    let mut left: Vec<&T> = a.values().collect();
    e.len() == a.len()
        && e.values()
            .all(|x| match left.iter().position(|y| diffs(x, y).is_empty()) {
                Some(i) => {
                    left.remove(i);
                    true
                }
                None => false,
            })
}

/// `columns id integer NOT NULL, name text NULL`.
fn describe_table(t: &Table) -> String {
    let columns: Vec<String> = t
        .columns
        .iter()
        .map(|(n, c)| format!("{n} {}", describe_column(c)))
        .collect();
    format!("columns {}", columns.join(", "))
}

#[cfg(test)]
mod tests {
    use super::PossibleRename;
    use crate::rename::{Rename, RenameKind};
    use crate::rule::Context;
    use crate::rules::testing::*;
    use crate::{FixIntent, Rule, Severity};
    use driftless_model::Column;

    fn renamed_column() -> (driftless_model::Snapshot, driftless_model::Snapshot) {
        let (mut expected, mut actual) = (fixture(), fixture());
        table(&mut expected, "users")
            .columns
            .insert("nickname".into(), Column::new(6, "text"));
        table(&mut actual, "users")
            .columns
            .insert("nick".into(), Column::new(6, "text"));
        (expected, actual)
    }

    #[test]
    fn proposes_an_unambiguous_column_rename() {
        let (expected, actual) = renamed_column();
        let findings = run_pair(&PossibleRename, &expected, &actual);
        let f = only(&findings, "possible-rename", "public.users.nickname");
        assert_eq!(f.message, "column public.users.nickname is missing and column public.users.nick is not expected, with the same definition (text NULL): possibly renamed; unless the rename is confirmed (--accept-renames, or a [[rename]] entry in driftless.toml), nick is quarantined and nickname added empty");
        assert_eq!(
            f.fix,
            FixIntent::Rename {
                from: "nick".into(),
                confirmed: false
            }
        );
        assert!(f.hint.as_deref().unwrap_or_default().ends_with(
            ": [[rename]] | kind = \"column\" | table = \"public.users\" | from = \"nick\" | to = \"nickname\""
        ));
        assert_eq!(f.severity, Severity::Info);
    }

    #[test]
    fn proposes_nothing_when_ambiguous_or_different() {
        let (expected, mut actual) = renamed_column();
        table(&mut actual, "users")
            .columns
            .insert("alias".into(), Column::new(7, "text"));
        assert!(run_pair(&PossibleRename, &expected, &actual).is_empty());
        let (expected, mut actual) = renamed_column();
        table(&mut actual, "users")
            .columns
            .insert("nick".into(), Column::new(6, "integer"));
        assert!(run_pair(&PossibleRename, &expected, &actual).is_empty());
    }

    #[test]
    fn a_declared_rename_settles_ambiguity_and_an_unmatched_one_is_reported() {
        let (expected, mut actual) = renamed_column();
        table(&mut actual, "users")
            .columns
            .insert("alias".into(), Column::new(7, "text"));
        let renames = [
            Rename::column(None, "users", "nick", "nickname"),
            Rename::table(Some("public"), "gone", "nowhere"),
        ];
        let cx = Context::new(&expected, &actual).with_renames(&renames);
        let mut findings = Vec::new();
        PossibleRename.check(&cx, &mut findings);
        assert_eq!(findings.len(), 2, "{findings:#?}");
        assert_eq!(
            findings[0].fix,
            FixIntent::Rename {
                from: "nick".into(),
                confirmed: true
            }
        );
        assert_eq!(findings[1].severity, Severity::Warning);
        assert!(findings[1].message.contains("names no missing table"));
    }

    #[test]
    fn proposes_a_table_rename() {
        let (expected, mut actual) = (fixture(), fixture());
        let posts = actual
            .schemas
            .get_mut("public")
            .and_then(|s| s.tables.remove("posts"));
        if let Some(posts) = posts {
            if let Some(s) = actual.schemas.get_mut("public") {
                s.tables.insert("articles".into(), posts);
            }
        }
        let findings = run_pair(&PossibleRename, &expected, &actual);
        let f = only(&findings, "possible-rename", "public.posts");
        assert_eq!(
            f.fix,
            FixIntent::Rename {
                from: "articles".into(),
                confirmed: false
            }
        );
    }

    /// The one finding about `path`.
    fn about<'f>(findings: &'f [crate::Finding], path: &str) -> &'f crate::Finding {
        let mut found = findings.iter().filter(|f| f.object.path() == path);
        let f = found
            .next()
            .unwrap_or_else(|| panic!("none about {path}: {findings:#?}"));
        assert!(found.next().is_none(), "{findings:#?}");
        f
    }

    /// `posts` with its index and foreign key under other names.
    fn renamed_parts() -> (driftless_model::Snapshot, driftless_model::Snapshot) {
        let (expected, mut actual) = (fixture(), fixture());
        let posts = table(&mut actual, "posts");
        let i = posts.indexes.remove("posts_user_id_idx").unwrap();
        posts.indexes.insert("ix_posts_user".into(), i);
        let fk = posts.foreign_keys.remove("posts_user_id_fkey").unwrap();
        posts.foreign_keys.insert("fk_posts_user".into(), fk);
        (expected, actual)
    }

    #[test]
    fn proposes_index_and_constraint_renames() {
        let (expected, actual) = renamed_parts();
        let findings = run_pair(&PossibleRename, &expected, &actual);
        let f = about(&findings, "public.posts.posts_user_id_idx");
        assert_eq!(f.message, "index public.posts.posts_user_id_idx is missing and index public.posts.ix_posts_user is not expected, with the same definition ((user_id)): possibly renamed; unless the rename is confirmed (--accept-renames, or a [[rename]] entry in driftless.toml), ix_posts_user is dropped and posts_user_id_idx created");
        assert_eq!(
            f.fix,
            FixIntent::Rename {
                from: "ix_posts_user".into(),
                confirmed: false
            }
        );
        assert!(f.hint.as_deref().unwrap_or_default().ends_with(
            ": [[rename]] | kind = \"index\" | table = \"public.posts\" | from = \"ix_posts_user\" | to = \"posts_user_id_idx\""
        ));
        let f = about(&findings, "public.posts.posts_user_id_fkey");
        assert_eq!(f.object.kind, driftless_model::ObjectKind::ForeignKey);
        assert!(f
            .hint
            .as_deref()
            .unwrap_or_default()
            .contains("kind = \"constraint\""));
    }

    #[test]
    fn a_constraint_mysql_cannot_rename_is_dropped_and_added_either_way() {
        let (mut expected, mut actual) = renamed_parts();
        expected.dialect = driftless_model::Dialect::Mysql;
        actual.dialect = driftless_model::Dialect::Mysql;
        let findings = run_pair(&PossibleRename, &expected, &actual);
        let f = about(&findings, "public.posts.posts_user_id_fkey");
        assert!(
            f.message.ends_with("possibly renamed; MySQL/MariaDB cannot rename a foreign key, so fk_posts_user is dropped and posts_user_id_fkey added, confirmed or not"),
            "{}",
            f.message
        );
        // An index it can rename.
        let f = about(&findings, "public.posts.posts_user_id_idx");
        assert!(f.message.contains("unless the rename is confirmed"));
    }

    #[test]
    fn proposes_no_part_rename_when_definitions_differ() {
        let (expected, mut actual) = renamed_parts();
        let posts = table(&mut actual, "posts");
        posts.indexes.get_mut("ix_posts_user").unwrap().unique = true;
        posts
            .foreign_keys
            .get_mut("fk_posts_user")
            .unwrap()
            .on_delete = driftless_model::FkAction::NoAction;
        assert!(run_pair(&PossibleRename, &expected, &actual).is_empty());
    }

    #[test]
    fn a_declared_index_rename_is_confirmed_and_an_applied_one_is_silent() {
        let (expected, actual) = renamed_parts();
        let renames = [Rename::part(
            RenameKind::Index,
            None,
            "posts",
            "ix_posts_user",
            "posts_user_id_idx",
        )];
        let cx = Context::new(&expected, &actual).with_renames(&renames);
        let mut findings = Vec::new();
        PossibleRename.check(&cx, &mut findings);
        let f = about(&findings, "public.posts.posts_user_id_idx");
        assert!(f
            .message
            .contains("renamed, as the [[rename]] at the command line confirms"));
        assert_eq!(
            f.fix,
            FixIntent::Rename {
                from: "ix_posts_user".into(),
                confirmed: true
            }
        );
        // Once applied, the entry is satisfied; a constraint entry for an
        // index names no pair.
        let cx = Context::new(&expected, &expected).with_renames(&renames);
        let mut findings = Vec::new();
        PossibleRename.check(&cx, &mut findings);
        assert!(findings.is_empty(), "{findings:#?}");
        let wrong = [Rename::part(
            RenameKind::Constraint,
            None,
            "posts",
            "ix_posts_user",
            "posts_user_id_idx",
        )];
        let cx = Context::new(&expected, &actual).with_renames(&wrong);
        let mut findings = Vec::new();
        PossibleRename.check(&cx, &mut findings);
        assert!(findings.iter().any(|f| f.severity == Severity::Warning
            && f.message
                .contains("names no missing constraint and orphan constraint")));
    }
}
