//! The PostgreSQL fixtures on every other supported version
//! (`DRIFTLESS_TEST_POSTGRES_URLS`: 14, 16, 17 and 18 beside the main
//! server's 15): the catalog differs between versions, the snapshot of the
//! same schema must not. Each version reads its own databases; what is
//! expected is the same as on the main server.

use driftless_testkit::{on_every_postgres_version, PostgresServer};

use crate::postgres_catalog::{
    fixture_read_field_by_field, hierarchy_read_field_by_field, scoped_reads_in_one_round_trip,
    unmodeled_objects_listed,
};

#[tokio::test]
async fn hierarchy_fixture_is_read_field_by_field_on_every_version() {
    on_every_postgres_version(|server: PostgresServer| async move {
        hierarchy_read_field_by_field(server.test_db().await).await;
    })
    .await;
}

#[tokio::test]
async fn fixture_is_read_field_by_field_on_every_version() {
    on_every_postgres_version(|server: PostgresServer| async move {
        fixture_read_field_by_field(server.test_db().await).await;
    })
    .await;
}

#[tokio::test]
async fn scoped_reads_equal_full_ones_on_every_version() {
    on_every_postgres_version(|server: PostgresServer| async move {
        scoped_reads_in_one_round_trip(server.test_db().await, server.test_db().await).await;
    })
    .await;
}

#[tokio::test]
async fn objects_the_model_does_not_compare_are_listed_on_every_version() {
    on_every_postgres_version(|server: PostgresServer| async move {
        unmodeled_objects_listed(server.test_db().await).await;
    })
    .await;
}
