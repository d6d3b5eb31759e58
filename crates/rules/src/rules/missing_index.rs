use crate::compare::describe_index;
use crate::finding::{Finding, ObjectKind};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::report_missing;

declare_rule! {
    MissingIndex {
        id: "missing-index",
        summary: "An index the expected side has does not exist in the database.",
        rationale: "Queries that rely on it scan whole tables; a missing unique index also lets duplicates in. An index with another name but the same definition counts as present.",
        severity: Warning,
        enabled: true,
        example: "-- expected\nCREATE INDEX posts_user_id_idx ON posts (user_id);\n-- actual: no index on posts (user_id)",
        fix: "Locking: building an index blocks writes to the table while it runs (PostgreSQL can build it concurrently outside a transaction).",
    }
}

impl Rule for MissingIndex {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        report_missing(
            &Self::META,
            cx.diff().indexes(),
            ObjectKind::Index,
            "index",
            describe_index,
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::MissingIndex;
    use crate::rules::testing::*;

    #[test]
    fn finds_a_missing_index() {
        let mut actual = fixture();
        table(&mut actual, "posts").indexes.clear();
        let findings = run_pair(&MissingIndex, &fixture(), &actual);
        let f = only(&findings, "missing-index", "public.posts.posts_user_id_idx");
        assert_eq!(
            f.message,
            "index posts_user_id_idx on public.posts is missing (expected (user_id))"
        );
        assert_eq!(f.fix, crate::FixIntent::Create);
        assert_eq!(
            f.expected.as_ref().unwrap()["parts"][0]["column"],
            "user_id"
        );
    }

    #[test]
    fn finds_nothing_for_an_auto_named_equal_index() {
        let mut actual = fixture();
        let i = table(&mut actual, "posts")
            .indexes
            .remove("posts_user_id_idx")
            .unwrap();
        table(&mut actual, "posts")
            .indexes
            .insert("ix_posts_user_id".into(), i);
        assert!(run_pair(&MissingIndex, &fixture(), &actual).is_empty());
    }
}
