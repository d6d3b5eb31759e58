use driftless_model::ObjectKind;
use serde_json::Value;

use crate::diff::Entry;
use crate::finding::{Aspect, Finding, FixIntent};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::located;

declare_rule! {
    VisibilityMismatch {
        id: "visibility-mismatch",
        summary: "A column is invisible, or an index ignored by the optimizer, where the expected one is not (or the other way round; MySQL/MariaDB).",
        rationale: "An invisible column is left out of `SELECT *` and cannot take a value from an INSERT without a column list, so code written for the expected schema reads other columns or fails to insert. An ignored index (MariaDB `IGNORED`, MySQL `INVISIBLE`) is maintained on every write but no query uses it: queries planned around it scan instead.",
        severity: Warning,
        enabled: true,
        example: "-- expected\nCREATE TABLE users (id int, token text INVISIBLE, KEY users_token (token));\n-- actual\nCREATE TABLE users (id int, token text, KEY users_token (token) IGNORED);",
        fix: "Safe: the column is modified with its full definition (`MODIFY … INVISIBLE`), the index altered in place (`ALTER INDEX … [NOT] IGNORED` on MariaDB, `VISIBLE`/`INVISIBLE` on MySQL); no data changes.",
    }
}

/// The finding on `entry`: `(expected, actual)` say whether it is hidden;
/// `hidden` and `shown` name the two states.
fn push<T>(
    out: &mut Vec<Finding>,
    entry: &Entry<'_, T>,
    kind: ObjectKind,
    (expected, actual): (bool, bool),
    (hidden, shown): (&str, &str),
) {
    let state = |h: bool| if h { hidden } else { shown };
    let at = located(entry, kind);
    out.push(
        Finding::new(
            &VisibilityMismatch::META,
            entry.object(kind),
            format!(
                "{at} is {} but {} is expected",
                state(actual),
                state(expected)
            ),
            FixIntent::alter(Aspect::Visibility),
        )
        .values(Some(Value::Bool(expected)), Some(Value::Bool(actual)))
        .hint(format!("make {at} {}", state(expected))),
    );
}

impl Rule for VisibilityMismatch {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let diff = cx.diff();
        for entry in diff.columns() {
            if let Some((e, a)) = entry.both() {
                if e.def.invisible != a.def.invisible {
                    let states = ("invisible", "visible");
                    let pair = (e.def.invisible, a.def.invisible);
                    push(out, entry, ObjectKind::Column, pair, states);
                }
            }
        }
        for entry in diff.indexes() {
            let Some((e, a)) = entry.both() else { continue };
            // An index of another definition is rebuilt as expected (index-mismatch).
            if e.def.ignored != a.def.ignored
                && diff.comparer().index_diffs(e.def, a.def).is_empty()
            {
                let states = ("ignored by the optimizer", "used by the optimizer");
                push(
                    out,
                    entry,
                    ObjectKind::Index,
                    (e.def.ignored, a.def.ignored),
                    states,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::VisibilityMismatch;
    use crate::rules::testing::*;
    use driftless_model::IndexPart;

    #[test]
    fn finds_an_invisible_column_and_an_ignored_index() {
        let mut actual = fixture();
        column(&mut actual, "users", "email").invisible = true;
        table(&mut actual, "users")
            .indexes
            .get_mut("users_name_idx")
            .unwrap()
            .ignored = true;
        let findings = run_pair(&VisibilityMismatch, &fixture(), &actual);
        assert_eq!(findings.len(), 2, "{findings:#?}");
        let f = only(&findings[..1], "visibility-mismatch", "public.users.email");
        assert_eq!(
            f.message,
            "column public.users.email is invisible but visible is expected"
        );
        assert_eq!(f.fix, crate::FixIntent::alter(crate::Aspect::Visibility));
        let f = only(
            &findings[1..],
            "visibility-mismatch",
            "public.users.users_name_idx",
        );
        assert_eq!(
            f.message,
            "index users_name_idx on public.users is ignored by the optimizer but used by the optimizer is expected"
        );
        assert_eq!(f.severity, crate::Severity::Warning);
    }

    #[test]
    fn finds_nothing_for_equal_visibility_or_a_rebuilt_index() {
        let mut actual = fixture();
        assert!(run_pair(&VisibilityMismatch, &fixture(), &actual).is_empty());
        // Another key: index-mismatch rebuilds it, ignored as expected.
        let i = table(&mut actual, "users")
            .indexes
            .get_mut("users_name_idx")
            .unwrap();
        i.ignored = true;
        i.parts.push(IndexPart::column("email"));
        assert!(run_pair(&VisibilityMismatch, &fixture(), &actual).is_empty());
    }
}
