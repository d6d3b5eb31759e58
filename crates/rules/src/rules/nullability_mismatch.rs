use driftless_model::ObjectKind;

use crate::compare::describe_nullability;
use crate::finding::{Aspect, Finding, FixIntent};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::json;

declare_rule! {
    NullabilityMismatch {
        id: "nullability-mismatch",
        summary: "A column allows NULL where NOT NULL is expected, or the other way round.",
        rationale: "A column that should be NOT NULL lets bad rows in that code assumes cannot exist; a column that should accept NULL rejects inserts the application expects to succeed.",
        severity: Error,
        enabled: true,
        example: "-- expected\nCREATE TABLE users (email text NOT NULL);\n-- actual\nCREATE TABLE users (email text);",
        fix: "Safe to relax (DROP NOT NULL). Setting NOT NULL scans the table under a lock and fails if NULLs exist; the fixer reports how many rows hold NULL.",
    }
}

impl Rule for NullabilityMismatch {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for entry in cx.diff().columns() {
            let (Some((e, a)), Some(table)) = (entry.both(), entry.table) else {
                continue;
            };
            if e.def.nullable == a.def.nullable {
                continue;
            }
            let (want, have) = (
                describe_nullability(e.def.nullable),
                describe_nullability(a.def.nullable),
            );
            out.push(
                Finding::new(
                    &Self::META,
                    entry.object(ObjectKind::Column),
                    format!(
                        "column {}.{table}.{} is {have} but {want} is expected",
                        entry.schema, a.name
                    ),
                    FixIntent::alter(Aspect::Nullability),
                )
                .values(json(e.def), json(a.def))
                .hint(if e.def.nullable {
                    format!("drop NOT NULL on {}.{table}.{}", entry.schema, a.name)
                } else {
                    format!(
                        "set NOT NULL on {}.{table}.{} (after filling NULLs)",
                        entry.schema, a.name
                    )
                }),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::NullabilityMismatch;
    use crate::rules::testing::*;

    #[test]
    fn finds_both_directions() {
        let mut actual = fixture();
        column(&mut actual, "users", "email").nullable = true;
        column(&mut actual, "users", "name").nullable = false;
        let findings = run_pair(&NullabilityMismatch, &fixture(), &actual);
        assert_eq!(findings.len(), 2);
        assert_eq!(
            findings[0].message,
            "column public.users.email is NULL but NOT NULL is expected"
        );
        assert_eq!(
            findings[1].message,
            "column public.users.name is NOT NULL but NULL is expected"
        );
        only(&findings[..1], "nullability-mismatch", "public.users.email");
        assert_eq!(
            findings[0].fix,
            crate::FixIntent::alter(crate::Aspect::Nullability)
        );
    }

    #[test]
    fn finds_nothing_when_only_the_type_differs() {
        let mut actual = fixture();
        column(&mut actual, "users", "email").data_type = "varchar".into();
        assert!(run_pair(&NullabilityMismatch, &fixture(), &actual).is_empty());
    }
}
