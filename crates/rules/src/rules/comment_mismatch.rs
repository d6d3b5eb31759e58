use driftless_model::ObjectKind;
use serde_json::Value;

use crate::diff::Entry;
use crate::finding::{Finding, FixIntent};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::located;

declare_rule! {
    CommentMismatch {
        id: "comment-mismatch",
        summary: "A comment on a schema, table, column, key, constraint, index, view, enum or sequence differs from the expected one.",
        rationale: "Comments are documentation that tools (data catalogs, admin UIs, GraphQL layers) read; they do not change behaviour, so this is information only.",
        severity: Info,
        enabled: true,
        example: "-- expected\nCOMMENT ON COLUMN users.email IS 'Login address, unique';\n-- actual: no comment on users.email",
        fix: "Safe: setting a comment changes no data.",
    }
}

fn push<T>(
    out: &mut Vec<Finding>,
    entry: &Entry<'_, T>,
    kind: ObjectKind,
    expected: Option<&String>,
    actual: Option<&String>,
) {
    if expected == actual {
        return;
    }
    let quoted = |c: Option<&String>| {
        c.map_or_else(|| "no comment".to_string(), |c| format!("comment '{c}'"))
    };
    let at = located(entry, kind);
    out.push(
        Finding::new(
            &CommentMismatch::META,
            entry.object(kind),
            format!(
                "{at} has {} but {} is expected",
                quoted(actual),
                quoted(expected)
            ),
            FixIntent::SetComment,
        )
        .values(
            Some(expected.map_or(Value::Null, |c| Value::String(c.clone()))),
            Some(actual.map_or(Value::Null, |c| Value::String(c.clone()))),
        )
        .hint(match expected {
            Some(c) => format!("set the comment on {at} to '{c}'"),
            None => format!("remove the comment on {at}"),
        }),
    );
}

/// Compares the comments of the objects both sides have in `entries`.
fn compare<T>(
    out: &mut Vec<Finding>,
    entries: &[Entry<'_, T>],
    kind: ObjectKind,
    comment: impl Fn(&T) -> Option<&String>,
) {
    for entry in entries {
        if let Some((e, a)) = entry.both() {
            push(out, entry, kind, comment(e.def), comment(a.def));
        }
    }
}

impl Rule for CommentMismatch {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let d = cx.diff();
        compare(out, d.schemas(), ObjectKind::Schema, |o| o.comment.as_ref());
        compare(out, d.tables(), ObjectKind::Table, |o| o.comment.as_ref());
        compare(out, d.columns(), ObjectKind::Column, |o| o.comment.as_ref());
        compare(out, d.primary_keys(), ObjectKind::PrimaryKey, |o| {
            o.comment.as_ref()
        });
        compare(out, d.uniques(), ObjectKind::Unique, |o| o.comment.as_ref());
        compare(out, d.indexes(), ObjectKind::Index, |o| o.comment.as_ref());
        compare(out, d.foreign_keys(), ObjectKind::ForeignKey, |o| {
            o.comment.as_ref()
        });
        compare(out, d.checks(), ObjectKind::Check, |o| o.comment.as_ref());
        compare(out, d.exclusions(), ObjectKind::Exclusion, |o| {
            o.comment.as_ref()
        });
        compare(out, d.views(), ObjectKind::View, |o| o.comment.as_ref());
        compare(out, d.enums(), ObjectKind::Enum, |o| o.comment.as_ref());
        compare(out, d.sequences(), ObjectKind::Sequence, |o| {
            o.comment.as_ref()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::CommentMismatch;
    use crate::rules::testing::*;

    #[test]
    fn finds_changed_and_removed_comments() {
        let mut actual = fixture();
        table(&mut actual, "users").comment = Some("Accounts".into());
        column(&mut actual, "users", "created_at").comment = None;
        public(&mut actual).comment = None;
        let findings = run_pair(&CommentMismatch, &fixture(), &actual);
        assert_eq!(findings.len(), 3, "{findings:#?}");
        assert_eq!(
            findings[0].message,
            "schema public has no comment but comment 'standard public schema' is expected"
        );
        let f = only(&findings[1..2], "comment-mismatch", "public.users");
        assert_eq!(f.message, "table public.users has comment 'Accounts' but comment 'People who sign in' is expected");
        assert_eq!(f.severity, crate::Severity::Info);
        assert_eq!(f.fix, crate::FixIntent::SetComment);
        assert_eq!(
            findings[2].message,
            "column public.users.created_at has no comment but comment 'When the account was opened' is expected"
        );
    }

    #[test]
    fn finds_changed_comments_on_indexes_constraints_and_sequences() {
        let mut actual = fixture();
        let users = table(&mut actual, "users");
        users.indexes.get_mut("users_name_idx").unwrap().comment = Some("by name".into());
        users
            .checks
            .values_mut()
            .for_each(|c| c.comment = Some("sane".into()));
        users
            .uniques
            .values_mut()
            .for_each(|u| u.comment = Some("one".into()));
        users.primary_key.as_mut().unwrap().comment = Some("id".into());
        public(&mut actual)
            .sequences
            .values_mut()
            .for_each(|s| s.comment = Some("numbers".into()));
        let findings = run_pair(&CommentMismatch, &fixture(), &actual);
        let mut kinds: Vec<String> = findings.iter().map(|f| f.object.kind.to_string()).collect();
        kinds.sort();
        assert_eq!(
            kinds,
            ["check", "index", "primary_key", "sequence", "unique"],
            "{findings:#?}"
        );
        let f = findings
            .iter()
            .find(|f| f.object.kind == driftless_model::ObjectKind::Index)
            .unwrap();
        assert_eq!(
            f.message,
            "index users_name_idx on public.users has comment 'by name' but no comment is expected"
        );
        assert_eq!(f.fix, crate::FixIntent::SetComment);
    }

    #[test]
    fn finds_nothing_for_equal_comments_or_missing_objects() {
        let mut actual = fixture();
        public(&mut actual).tables.remove("users");
        assert!(run_pair(&CommentMismatch, &fixture(), &actual).is_empty());
    }
}
