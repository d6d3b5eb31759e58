use driftless_model::{Dialect, Index, IndexKey, ObjectKind};

use crate::diff::Entry;

use crate::compare::describe_index;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::report_missing;

declare_rule! {
    MissingIndex {
        id: "missing-index",
        summary: "An index the expected side has does not exist in the database.",
        rationale: "Queries that rely on it scan whole tables; a missing unique index also lets duplicates in. An index of the same definition under another name does not count: migrations drop and alter it by name, so it is reported missing here and orphan under its own name, and `possible-rename` pairs the two. On MySQL, the index InnoDB creates for a foreign key (named after it, on its columns) is not reported when the foreign key itself is missing: creating the key creates the index.",
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
        let diff = cx.diff();
        if diff.dialect() != Dialect::Mysql {
            report_missing(
                &Self::META,
                diff.indexes(),
                ObjectKind::Index,
                |i: &Index| describe_index(diff.dialect(), i),
                out,
            );
            return;
        }
        // MySQL: leave out the index a missing foreign key brings with it.
        let implied_by_fk = |e: &Entry<'_, Index>| {
            let Some(index) = e.missing() else {
                return false;
            };
            diff.foreign_keys().iter().any(|fk| {
                fk.schema == e.schema
                    && fk.table == e.table
                    && fk.missing().is_some_and(|k| {
                        k.name == index.name
                            && !index.def.unique
                            && index.def.parts.len() == k.def.columns.len()
                            && index
                                .def
                                .parts
                                .iter()
                                .zip(&k.def.columns)
                                .all(|(p, c)| matches!(&p.key, IndexKey::Column(n) if n == c))
                    })
            })
        };
        let entries: Vec<Entry<'_, Index>> = diff
            .indexes()
            .iter()
            .filter(|e| !implied_by_fk(e))
            .copied()
            .collect();
        report_missing(
            &Self::META,
            &entries,
            ObjectKind::Index,
            |i: &Index| describe_index(diff.dialect(), i),
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
    fn finds_nothing_for_the_index_of_a_missing_mysql_foreign_key() {
        let mut expected = fixture();
        expected.dialect = driftless_model::Dialect::Mysql;
        let posts = table(&mut expected, "posts");
        let i = posts.indexes.remove("posts_user_id_idx").unwrap();
        posts.indexes.insert("posts_user_id_fkey".into(), i);
        let mut actual = expected.clone();
        let posts = table(&mut actual, "posts");
        posts.indexes.clear();
        posts.foreign_keys.clear();
        let found = run_pair(&MissingIndex, &expected, &actual);
        assert!(found.is_empty(), "{found:#?}");
        // Without the foreign key missing, the index is reported.
        let mut actual = expected.clone();
        table(&mut actual, "posts").indexes.clear();
        assert_eq!(run(&MissingIndex, &expected, &actual).len(), 1);
    }

    /// An equal index under another name is no stand-in: a migration that
    /// drops `posts_user_id_idx` by name fails on this database.
    #[test]
    fn finds_an_equal_index_under_another_name() {
        let mut actual = fixture();
        let i = table(&mut actual, "posts")
            .indexes
            .remove("posts_user_id_idx")
            .unwrap();
        table(&mut actual, "posts")
            .indexes
            .insert("ix_posts_user_id".into(), i);
        let findings = run_pair(&MissingIndex, &fixture(), &actual);
        only(&findings, "missing-index", "public.posts.posts_user_id_idx");
    }
}
