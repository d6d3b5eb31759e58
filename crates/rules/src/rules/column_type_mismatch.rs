use driftless_model::ObjectKind;

use crate::finding::{Aspect, Finding, FixIntent};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::json;

declare_rule! {
    ColumnTypeMismatch {
        id: "column-type-mismatch",
        summary: "A column's type differs from the expected type.",
        rationale: "Values the application writes may be rejected or silently truncated, comparisons and indexes behave differently, and migrations written against the expected type fail.",
        severity: Error,
        enabled: true,
        example: "-- expected\nCREATE TABLE users (name varchar(200));\n-- actual\nCREATE TABLE users (name varchar(100));",
        fix: "Locking, and data-loss when narrowing: changing a type rewrites the table on most backends; a narrowing change (text to integer, shorter length) is classified data-loss and reports how many rows would be affected.",
    }
}

impl Rule for ColumnTypeMismatch {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let diff = cx.diff();
        for entry in diff.columns() {
            let (Some((e, a)), Some(table)) = (entry.both(), entry.table) else {
                continue;
            };
            if diff.comparer().type_eq(e.def, a.def) {
                continue;
            }
            out.push(
                Finding::new(
                    &Self::META,
                    entry.object(ObjectKind::Column),
                    format!(
                        "column {}.{table}.{} has type {} but {} is expected",
                        entry.schema,
                        a.name,
                        spelled(&a.def.data_type),
                        spelled(&e.def.data_type)
                    ),
                    FixIntent::alter(Aspect::Type),
                )
                .values(json(e.def), json(a.def))
                .hint(format!(
                    "change the type of {}.{table}.{} to {}",
                    entry.schema,
                    a.name,
                    spelled(&e.def.data_type)
                )),
            );
        }
    }
}

/// A type as messages show it: `(none)` for a column declared without one
/// (SQLite).
fn spelled(data_type: &str) -> &str {
    if data_type.trim().is_empty() {
        "(none)"
    } else {
        data_type
    }
}

#[cfg(test)]
mod tests {
    use super::ColumnTypeMismatch;
    use crate::rules::testing::*;

    #[test]
    fn finds_a_type_change() {
        let mut actual = fixture();
        column(&mut actual, "users", "name").data_type = "character varying(50)".into();
        let findings = run_pair(&ColumnTypeMismatch, &fixture(), &actual);
        let f = only(&findings, "column-type-mismatch", "public.users.name");
        assert_eq!(
            f.message,
            "column public.users.name has type character varying(50) but character varying(100) is expected"
        );
        assert_eq!(f.fix, crate::FixIntent::alter(crate::Aspect::Type));
        assert_eq!(
            f.actual.as_ref().unwrap()["data_type"],
            "character varying(50)"
        );
    }

    #[test]
    fn a_column_without_a_type_is_named_so() {
        let mut actual = fixture();
        column(&mut actual, "users", "name").data_type = String::new();
        let findings = run_pair(&ColumnTypeMismatch, &fixture(), &actual);
        let f = only(&findings, "column-type-mismatch", "public.users.name");
        assert_eq!(
            f.message,
            "column public.users.name has type (none) but character varying(100) is expected"
        );
    }

    #[test]
    fn finds_nothing_for_spelling_that_means_the_same_type() {
        let mut actual = fixture();
        column(&mut actual, "users", "name").data_type = "CHARACTER VARYING(100)".into();
        // Other attributes are other rules' business.
        column(&mut actual, "users", "email").nullable = true;
        assert!(run_pair(&ColumnTypeMismatch, &fixture(), &actual).is_empty());
    }
}
