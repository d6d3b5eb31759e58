//! PostgreSQL details that other projects' schema suites exercise: index
//! storage parameters, …; each found as drift and converged with rows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::fix_features::converges;
use crate::support::*;

use driftless_testkit::Backend;

/// The rules' findings of `actual_sql` against `expected_sql`, as sorted
/// `rule kind name` lines.
async fn found(expected_sql: &str, actual_sql: &str) -> Vec<String> {
    let expected = snapshot(&db_with(Backend::Postgres, expected_sql).await).await;
    let actual = snapshot(&db_with(Backend::Postgres, actual_sql).await).await;
    let mut out: Vec<String> = findings(&expected, &actual)
        .iter()
        .map(|f| format!("{} {}", f.rule, f.object))
        .collect();
    out.sort();
    out
}

/// Index storage parameters (`WITH (fillfactor = 70)`), in any order.
const PG_STORAGE: &str = r#"
CREATE TABLE docs (id integer PRIMARY KEY, body text, tag text, n integer);
CREATE INDEX docs_body_idx ON docs (body) WITH (fillfactor = 70, deduplicate_items = off);
CREATE INDEX docs_tag_idx ON docs USING hash (tag) WITH (fillfactor = '60');
CREATE INDEX docs_n_idx ON docs (n);
"#;

/// The same parameters in another order, some missing, some added.
const PG_STORAGE_DRIFTED: &str = r#"
CREATE TABLE docs (id integer PRIMARY KEY, body text, tag text, n integer);
CREATE INDEX docs_body_idx ON docs (body) WITH (deduplicate_items = off, fillfactor = '70');
CREATE INDEX docs_tag_idx ON docs USING hash (tag);
CREATE INDEX docs_n_idx ON docs (n) WITH (fillfactor = 50);
INSERT INTO docs VALUES (1, 'a', 'x', 1), (2, 'b', 'y', 2);
"#;

#[tokio::test]
async fn postgres_index_storage_parameters_are_drift_in_any_order() {
    assert_eq!(
        found(PG_STORAGE, PG_STORAGE_DRIFTED).await,
        [
            "index-mismatch index public.docs.docs_n_idx",
            "index-mismatch index public.docs.docs_tag_idx"
        ]
    );
    converges(Backend::Postgres, PG_STORAGE, PG_STORAGE_DRIFTED).await;
    converges(Backend::Postgres, PG_STORAGE, "").await;
}
