use driftless_model::ObjectKind;
use serde_json::Value;

use crate::diff::Entry;
use crate::finding::{Finding, FixIntent};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::located;

declare_rule! {
    CommentMismatch {
        id: "comment-mismatch",
        summary: "A comment on a schema, table, column, view or enum differs from the expected one.",
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

impl Rule for CommentMismatch {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let diff = cx.diff();
        for entry in diff.schemas() {
            if let Some((e, a)) = entry.both() {
                push(
                    out,
                    entry,
                    ObjectKind::Schema,
                    e.def.comment.as_ref(),
                    a.def.comment.as_ref(),
                );
            }
        }
        for entry in diff.tables() {
            if let Some((e, a)) = entry.both() {
                push(
                    out,
                    entry,
                    ObjectKind::Table,
                    e.def.comment.as_ref(),
                    a.def.comment.as_ref(),
                );
            }
        }
        for entry in diff.columns() {
            if let Some((e, a)) = entry.both() {
                push(
                    out,
                    entry,
                    ObjectKind::Column,
                    e.def.comment.as_ref(),
                    a.def.comment.as_ref(),
                );
            }
        }
        for entry in diff.views() {
            if let Some((e, a)) = entry.both() {
                push(
                    out,
                    entry,
                    ObjectKind::View,
                    e.def.comment.as_ref(),
                    a.def.comment.as_ref(),
                );
            }
        }
        for entry in diff.enums() {
            if let Some((e, a)) = entry.both() {
                push(
                    out,
                    entry,
                    ObjectKind::Enum,
                    e.def.comment.as_ref(),
                    a.def.comment.as_ref(),
                );
            }
        }
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
    fn finds_nothing_for_equal_comments_or_missing_objects() {
        let mut actual = fixture();
        public(&mut actual).tables.remove("users");
        assert!(run_pair(&CommentMismatch, &fixture(), &actual).is_empty());
    }
}
