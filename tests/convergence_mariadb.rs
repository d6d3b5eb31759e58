//! Convergence property on mariadb: plan + apply makes the rules report nothing,
//! and no value of a kept column is lost (see `convergence_support.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "convergence_support.rs"]
mod convergence;

use driftless_testkit::Backend;

#[test]
fn random_schema_pairs_converge() {
    convergence::run(Backend::Mysql, 100);
}

#[test]
fn the_generator_covers_the_model() {
    let c = convergence::coverage(Backend::Mysql, 50);
    for kind in [
        "tables",
        "columns",
        "unique indexes",
        "multi-column indexes",
        "checks",
        "foreign keys",
        "defaults",
        "not null",
    ] {
        assert!(
            c.get(kind).copied().unwrap_or(0) > 0,
            "no {kind} generated: {c:?}"
        );
    }
}
