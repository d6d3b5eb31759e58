use driftless_model::ObjectKind;

use crate::compare::describe_primary_key;
use crate::finding::{Finding, FixIntent};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::json;

declare_rule! {
    PrimaryKeyMismatch {
        id: "primary-key-mismatch",
        summary: "A table's primary key is missing, unexpected, or on other columns than expected.",
        rationale: "Without its primary key a table accepts duplicate rows, ORMs cannot address rows, and replication may refuse updates; a key on other columns changes what is unique. Key names do not count (they are often generated).",
        severity: Error,
        enabled: true,
        example: "-- expected\nCREATE TABLE events (id bigint PRIMARY KEY, payload text);\n-- actual\nCREATE TABLE events (id bigint, payload text);",
        fix: "Locking: adding a primary key builds a unique index and fails on duplicate or NULL keys; replacing one drops the old key first.",
    }
}

impl Rule for PrimaryKeyMismatch {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let diff = cx.diff();
        for entry in diff.primary_keys() {
            let Some(table) = entry.table else {
                continue;
            };
            let at = format!("table {}.{table}", entry.schema);
            let object = entry.object(ObjectKind::PrimaryKey);
            let finding = match entry.pairing {
                crate::Pairing::Missing(e) => Finding::new(
                    &Self::META,
                    object,
                    format!(
                        "{at} has no primary key ({} expected)",
                        describe_primary_key(e.def)
                    ),
                    FixIntent::Create,
                )
                .values(json(e.def), None)
                .hint(format!("add {} to {at}", describe_primary_key(e.def))),
                crate::Pairing::Orphan(a) => Finding::new(
                    &Self::META,
                    object,
                    format!(
                        "{at} has {} but no primary key is expected",
                        describe_primary_key(a.def)
                    ),
                    FixIntent::Drop,
                )
                .values(None, json(a.def))
                .hint(format!("drop primary key {} of {at}", a.name)),
                crate::Pairing::Both { expected, actual } => {
                    if diff
                        .comparer()
                        .primary_key_diffs(expected.def, actual.def)
                        .is_empty()
                    {
                        continue;
                    }
                    Finding::new(
                        &Self::META,
                        object,
                        format!(
                            "{at} has {} but {} is expected",
                            describe_primary_key(actual.def),
                            describe_primary_key(expected.def)
                        ),
                        FixIntent::Replace,
                    )
                    .values(json(expected.def), json(actual.def))
                    .hint(format!(
                        "replace the primary key of {at} with {}",
                        describe_primary_key(expected.def)
                    ))
                }
            };
            out.push(finding);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PrimaryKeyMismatch;
    use crate::rules::testing::*;

    #[test]
    fn finds_missing_extra_and_changed_keys() {
        let mut expected = fixture();
        let mut actual = fixture();
        table(&mut actual, "users").primary_key = None;
        table(&mut actual, "posts")
            .primary_key
            .as_mut()
            .unwrap()
            .columns = vec!["id".into(), "user_id".into()];
        let findings = run_pair(&PrimaryKeyMismatch, &expected, &actual);
        assert_eq!(findings.len(), 2);
        assert_eq!(
            findings[0].message,
            "table public.posts has PRIMARY KEY (id, user_id) but PRIMARY KEY (id) is expected"
        );
        assert_eq!(findings[0].fix, crate::FixIntent::Replace);
        let f = only(
            &findings[1..],
            "primary-key-mismatch",
            "public.users.users_pkey",
        );
        assert_eq!(
            f.message,
            "table public.users has no primary key (PRIMARY KEY (id) expected)"
        );
        assert_eq!(f.fix, crate::FixIntent::Create);

        table(&mut expected, "users").primary_key = None;
        let findings = run(&PrimaryKeyMismatch, &expected, &fixture());
        let f = only(&findings, "primary-key-mismatch", "public.users.users_pkey");
        assert_eq!(f.fix, crate::FixIntent::Drop);
    }

    #[test]
    fn finds_nothing_when_only_the_name_differs() {
        let mut actual = fixture();
        table(&mut actual, "users")
            .primary_key
            .as_mut()
            .unwrap()
            .name = "pk_users".into();
        assert!(run_pair(&PrimaryKeyMismatch, &fixture(), &actual).is_empty());
    }
}
