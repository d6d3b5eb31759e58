use driftless_model::ObjectKind;

use crate::compare::describe_default;
use crate::finding::{Aspect, Finding, FixIntent};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::json;

declare_rule! {
    DefaultMismatch {
        id: "default-mismatch",
        summary: "A column's default expression differs from the expected one (or one side has none).",
        rationale: "Inserts that omit the column store a different value than the application expects, or fail outright on a NOT NULL column without its default. `DEFAULT NULL` and no default are the same.",
        severity: Warning,
        enabled: true,
        example: "-- expected\nCREATE TABLE users (login_count integer NOT NULL DEFAULT 0);\n-- actual\nCREATE TABLE users (login_count integer NOT NULL);",
        fix: "Safe: setting or dropping a default changes no stored row.",
    }
}

impl Rule for DefaultMismatch {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let diff = cx.diff();
        for entry in diff.columns() {
            let (Some((e, a)), Some(table)) = (entry.both(), entry.table) else {
                continue;
            };
            if diff.comparer().default_eq(e.def, a.def) {
                continue;
            }
            let want = describe_default(e.def);
            out.push(
                Finding::new(
                    &Self::META,
                    entry.object(ObjectKind::Column),
                    format!(
                        "column {}.{table}.{} has {} but {want} is expected",
                        entry.schema,
                        a.name,
                        describe_default(a.def)
                    ),
                    FixIntent::alter(Aspect::Default),
                )
                .values(json(e.def), json(a.def))
                .hint(match (&e.def.default, &e.def.on_update) {
                    (None, None) => {
                        format!("drop the default of {}.{table}.{}", entry.schema, a.name)
                    }
                    _ => format!("give {}.{table}.{} {want}", entry.schema, a.name),
                }),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DefaultMismatch;
    use crate::rules::testing::*;

    #[test]
    fn finds_changed_and_missing_defaults() {
        let mut actual = fixture();
        column(&mut actual, "users", "active").default = Some("false".into());
        column(&mut actual, "users", "created_at").default = None;
        let findings = run_pair(&DefaultMismatch, &fixture(), &actual);
        assert_eq!(findings.len(), 2);
        let f = only(&findings[..1], "default-mismatch", "public.users.active");
        assert_eq!(
            f.message,
            "column public.users.active has DEFAULT false but DEFAULT true is expected"
        );
        assert_eq!(
            findings[1].message,
            "column public.users.created_at has no default but DEFAULT now() is expected"
        );
        assert_eq!(f.fix, crate::FixIntent::alter(crate::Aspect::Default));
    }

    #[test]
    fn finds_nothing_for_default_null_versus_none() {
        let mut actual = fixture();
        column(&mut actual, "users", "name").default = Some("NULL::character varying".into());
        column(&mut actual, "users", "active").default = Some(" TRUE ".into());
        assert!(run_pair(&DefaultMismatch, &fixture(), &actual).is_empty());
    }
}
