//! Size: diff + every rule on two 5,000-table snapshots.

use std::time::{Duration, Instant};

use driftless_rules::{Config, Context, Registry};

use crate::support::wide_snapshot;

#[test]
fn five_thousand_tables_check_quickly() {
    let expected = wide_snapshot(5_000, 20);
    let mut actual = expected.clone();
    // 10% drift: every tenth table loses a column, gains one, and changes a type.
    let public = actual.schemas.get_mut("public").unwrap();
    for i in (0..5_000).step_by(10) {
        let t = public.tables.get_mut(&format!("t{i}")).unwrap();
        t.columns.remove("c19");
        t.columns
            .insert("extra".into(), driftless_model::Column::new(21, "integer"));
        t.columns.get_mut("c1").unwrap().data_type = "character varying(10)".into();
    }
    let registry = Registry::builtin();
    let config = Config::default();

    let mut best = Duration::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        let cx = Context::new(&expected, &actual);
        let report = registry.check(&config, &cx);
        best = best.min(start.elapsed());
        assert_eq!(report.findings.len(), 1_500);
        assert_eq!(report.summary.error, 1_000);
        assert_eq!(report.summary.warning, 500);
    }
    eprintln!("diff + rules on 2 x 5,000 tables (100,000 columns each): {best:?}");
    // The bound holds for optimised builds (`cargo test --release`); debug
    // builds are several times slower and only get a sanity bound.
    let bound = if cfg!(debug_assertions) {
        Duration::from_secs(5)
    } else {
        Duration::from_millis(100)
    };
    assert!(best < bound, "took {best:?}, bound {bound:?}");
}
