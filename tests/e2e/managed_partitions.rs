//! Partitions made at run time: those pg_partman manages are its own
//! (listed, counted apart, never drift, never touched by a fix), and
//! `[coverage] ignore = ["partition"]` leaves out the partitions a project
//! makes by other means.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use driftless_model::{CatalogKind, ObjectKind};
use driftless_rules::{Config, Context, Registry};
use driftless_testkit::Backend;
use support::*;

const PARTMAN: &str = "CREATE SCHEMA partman; CREATE EXTENSION pg_partman SCHEMA partman;";

const EVENTS: &str =
    "CREATE TABLE public.events (id bigint NOT NULL, created_at timestamptz NOT NULL, body text)
     PARTITION BY RANGE (created_at);";

#[tokio::test]
async fn pg_partman_partitions_are_the_extensions_not_drift() {
    // The migrations made the parent and a column it gained since; the
    // partitions are pg_partman's, made on the day it ran.
    let expected = snapshot(
        &db_with(
            Backend::Postgres,
            &format!("{PARTMAN} {EVENTS} ALTER TABLE public.events ADD COLUMN kind text NOT NULL DEFAULT 'note';"),
        )
        .await,
    )
    .await;
    let db = db_with(
        Backend::Postgres,
        &format!(
            "{PARTMAN} {EVENTS}
             SELECT partman.create_parent('public.events', 'created_at', 'native', 'daily', p_premake := 2);
             INSERT INTO public.events VALUES (1, now(), 'a'), (2, now() - interval '1 day', 'b');"
        ),
    )
    .await;
    let partitions =
        "SELECT count(*) FROM pg_class WHERE relispartition AND relname LIKE 'events_%'";
    let made = rows(&db, partitions).await[0][0].as_i64().unwrap();
    assert!(made >= 5, "{made} partitions");

    let actual = snapshot(&db).await;
    let tables: Vec<&String> = actual.schemas["public"].tables.keys().collect();
    assert_eq!(tables, ["events"]);
    let owned: Vec<_> = actual
        .unmodeled
        .iter()
        .filter(|o| o.extension.as_deref() == Some("pg_partman"))
        .collect();
    let listed = owned
        .iter()
        .filter(|o| o.kind == CatalogKind::Partition)
        .count();
    assert_eq!(listed as i64, made);
    assert!(owned
        .iter()
        .filter(|o| o.kind == CatalogKind::Partition)
        .all(|o| o.parent.as_deref() == Some("public.events")
            && o.schema.as_deref() == Some("public")));
    assert!(owned
        .iter()
        .any(|o| o.kind == CatalogKind::PartitionTemplate
            && o.schema.as_deref() == Some("partman")
            && o.name == "template_public_events"));

    // Only the column is drift; nothing about partitions or the template.
    let found = findings(&expected, &actual);
    let drift: Vec<_> = found
        .iter()
        .filter(|f| f.rule != "unmodeled-object")
        .collect();
    assert_eq!(drift.len(), 1, "{}", describe(&found));
    assert_eq!(drift[0].rule, "missing-column");

    let fixed = fix(&db, &expected, &driftless_fixer::PlanOptions::default())
        .await
        .unwrap();
    assert!(
        fixed.left.is_empty(),
        "not converged:\n{}",
        describe(&fixed.left)
    );
    assert!(fixed
        .plan
        .steps
        .iter()
        .all(|s| s.object.table.as_deref() == Some("events")));
    assert_eq!(rows(&db, partitions).await[0][0].as_i64(), Some(made));
    let kinds = rows(
        &db,
        "SELECT count(*) FROM public.events WHERE kind = 'note'",
    )
    .await;
    assert_eq!(
        kinds[0][0].as_i64(),
        Some(2),
        "the rows and their partitions stay"
    );
}

#[tokio::test]
async fn ignoring_the_partition_kind_leaves_partitions_out() {
    let y2026 = "CREATE TABLE public.events_2026 PARTITION OF public.events
                   FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');";
    let expected = snapshot(&db_with(Backend::Postgres, &format!("{EVENTS} {y2026}")).await).await;
    let actual = snapshot(
        &db_with(
            Backend::Postgres,
            &format!(
                "{EVENTS} {y2026}
                 CREATE TABLE public.events_old PARTITION OF public.events DEFAULT;
                 CREATE INDEX events_2026_body ON public.events_2026 (body);"
            ),
        )
        .await,
    )
    .await;
    let check = |config: &Config| {
        Registry::builtin()
            .check(config, &Context::new(&expected, &actual))
            .findings
    };
    let all = check(&Config::default());
    let drift: Vec<(&str, ObjectKind, String)> = all
        .iter()
        .map(|f| (f.rule.as_str(), f.object.kind, f.object.path()))
        .collect();
    assert_eq!(
        drift,
        [
            (
                "orphan-table",
                ObjectKind::Table,
                "public.events_old".to_string()
            ),
            (
                "orphan-index",
                ObjectKind::Index,
                "public.events_2026.events_2026_body".to_string()
            ),
        ],
        "{}",
        describe(&all)
    );

    let mut config = Config::default();
    config.ignore_kind(CatalogKind::Partition);
    let left = check(&config);
    assert!(left.is_empty(), "{}", describe(&left));
}
