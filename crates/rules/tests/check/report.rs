//! Running a registry with a configuration: severities, ignores, waivers,
//! failing thresholds, summary, order.

use driftless_model::{Column, Snapshot, Table};
use driftless_rules::{
    Config, Context, Date, ObjectPattern, Registry, Report, RuleSetting, Severity, Waiver,
};

use crate::support::wide_snapshot;

/// Expected: t0..t2. Actual: t1 lacks column c4 (missing-column, error),
/// t2 has an extra column `avatar` (orphan-column, warning) and t0 an extra
/// table comment (comment-mismatch, info).
fn pair() -> (Snapshot, Snapshot) {
    let expected = wide_snapshot(3, 6);
    let mut actual = expected.clone();
    let public = actual.schemas.get_mut("public").unwrap();
    public.tables.get_mut("t1").unwrap().columns.remove("c4");
    public
        .tables
        .get_mut("t2")
        .unwrap()
        .columns
        .insert("avatar".into(), Column::new(7, "text"));
    public.tables.get_mut("t0").unwrap().comment = Some("hand-written".into());
    (expected, actual)
}

fn today() -> Date {
    Date::parse("2025-06-15").unwrap()
}

fn run(config: &Config, today: Option<Date>) -> Report {
    let (e, a) = pair();
    let cx = Context::new(&e, &a);
    let cx = match today {
        Some(d) => cx.with_today(d),
        None => cx,
    };
    Registry::builtin().check(config, &cx)
}

fn rules(r: &Report) -> Vec<(&str, String, Severity)> {
    r.findings
        .iter()
        .map(|f| (f.rule.as_str(), f.object.path(), f.severity))
        .collect()
}

#[test]
fn default_configuration() {
    let r = run(&Config::default(), Some(today()));
    assert_eq!(
        rules(&r),
        [
            ("comment-mismatch", "public.t0".to_string(), Severity::Info),
            (
                "missing-column",
                "public.t1.c4".to_string(),
                Severity::Error
            ),
            (
                "orphan-column",
                "public.t2.avatar".to_string(),
                Severity::Warning
            ),
        ]
    );
    assert_eq!(
        (r.summary.error, r.summary.warning, r.summary.info),
        (1, 1, 1)
    );
    assert_eq!(
        (r.summary.waived, r.summary.ignored, r.summary.total()),
        (0, 0, 3)
    );
    assert_eq!(r.fail_on, Severity::Warning);
    assert!(r.failed());
    assert!(r.fails(Severity::Error));
    assert_eq!(r.failing(Severity::Warning).count(), 2);
    // Deterministic: the same input gives the same report.
    assert_eq!(run(&Config::default(), Some(today())), r);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["summary"]["error"], 1);
    assert_eq!(json["findings"][1]["fix"]["action"], "add_column");
    assert_eq!(json["findings"][1]["expected"]["data_type"], "text");
}

#[test]
fn severities_and_switches() {
    let text = r#"
fail_on = "error"
[rules]
"missing-column" = "warning"
"orphan-column" = "off"
"comment-mismatch" = { severity = "error" }
"#;
    let config = Config::from_toml_str(text, "driftless.toml").unwrap();
    let r = run(&config, Some(today()));
    assert_eq!(
        rules(&r),
        [
            ("comment-mismatch", "public.t0".to_string(), Severity::Error),
            (
                "missing-column",
                "public.t1.c4".to_string(),
                Severity::Warning
            ),
        ]
    );
    assert!(r.failed());
    let mut config = config;
    config.set_rule("comment-mismatch", RuleSetting::off());
    let r = run(&config, Some(today()));
    assert!(!r.failed(), "only a warning left, failing at error");
    assert!(r.fails(Severity::Warning));
}

#[test]
fn disabled_by_default_rules_run_when_enabled() {
    let (e, mut a) = pair();
    let t = a
        .schemas
        .get_mut("public")
        .unwrap()
        .tables
        .get_mut("t0")
        .unwrap();
    t.columns.get_mut("c1").unwrap().position = 3;
    t.columns.get_mut("c2").unwrap().position = 2;
    let registry = Registry::builtin();
    let cx = Context::new(&e, &a);
    assert!(!registry
        .check(&Config::default(), &cx)
        .findings
        .iter()
        .any(|f| f.rule == "column-order"));
    let config = Config::from_toml_str("[rules]\ncolumn-order = \"on\"\n", "x.toml").unwrap();
    let r = registry.check(&config, &cx);
    assert_eq!(
        r.findings
            .iter()
            .filter(|f| f.rule == "column-order")
            .count(),
        1
    );
}

#[test]
fn ignore_globs() {
    let config = Config::from_toml_str("ignore = [\"public.t2\", \"*.*.c4\"]\n", "x.toml").unwrap();
    let r = run(&config, Some(today()));
    assert_eq!(
        rules(&r),
        [("comment-mismatch", "public.t0".to_string(), Severity::Info)]
    );
    assert_eq!(r.summary.ignored, 2);
    assert!(!r.failed());
    let mut config = Config::default();
    config.add_ignore(ObjectPattern::new("public").unwrap());
    assert!(run(&config, Some(today())).is_clean());
}

fn waiver_config(expires: &str) -> Config {
    Config::from_toml_str(
        &format!(
            "[[waiver]]\nrule = \"orphan-column\"\nobject = \"public.t2.avatar\"\nreason = \"removed next release\"\nowner = \"alice\"\nexpires = {expires}\n"
        ),
        "driftless.toml",
    )
    .unwrap()
}

#[test]
fn unexpired_waiver_keeps_the_finding_but_does_not_fail() {
    for expires in ["2025-06-15", "2030-01-01"] {
        let r = run(&waiver_config(expires), Some(today()));
        let f = r
            .findings
            .iter()
            .find(|f| f.rule == "orphan-column")
            .unwrap();
        assert!(f.is_waived());
        let w = f.waiver.as_ref().unwrap();
        assert_eq!(
            (w.owner.as_str(), w.reason.as_str(), w.expired),
            ("alice", "removed next release", false)
        );
        assert_eq!(w.expires, expires);
        assert!(!f.message.contains("expired"));
        assert_eq!((r.summary.warning, r.summary.waived), (0, 1));
        assert_eq!(
            r.failing(Severity::Warning).count(),
            1,
            "only the missing column fails"
        );
    }
}

#[test]
fn expired_waiver_fails_again_and_says_so() {
    let r = run(&waiver_config("2025-06-14"), Some(today()));
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "orphan-column")
        .unwrap();
    assert!(!f.is_waived());
    assert!(f.waiver.as_ref().unwrap().expired);
    assert!(
        f.message
            .ends_with("(waiver by alice expired on 2025-06-14: removed next release)"),
        "{}",
        f.message
    );
    assert_eq!((r.summary.warning, r.summary.waived), (1, 0));
    assert_eq!(r.failing(Severity::Warning).count(), 2);
}

#[test]
fn without_a_date_waivers_fail_closed() {
    let r = run(&waiver_config("2030-01-01"), None);
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "orphan-column")
        .unwrap();
    assert!(!f.is_waived());
    assert!(
        f.message.contains("no date to check its expiry against"),
        "{}",
        f.message
    );
}

#[test]
fn waivers_match_rule_and_object() {
    let mut config = Config::default();
    config.add_waiver(Waiver::new(
        "missing-column",
        ObjectPattern::new("public.t2.*").unwrap(),
        "other table",
        "bob",
        Date::parse("2030-01-01").unwrap(),
    ));
    config.add_waiver(Waiver::new(
        "orphan-table",
        ObjectPattern::new("public.t2.avatar").unwrap(),
        "other rule",
        "bob",
        Date::parse("2030-01-01").unwrap(),
    ));
    let r = run(&config, Some(today()));
    assert!(r.findings.iter().all(|f| f.waiver.is_none()));
}

#[test]
fn custom_rules_run_beside_builtins() {
    use driftless_rules::{Finding, FixIntent, ObjectRef, Rule, RuleMeta};
    struct NoWideTables;
    static META: RuleMeta = RuleMeta {
        id: "no-wide-tables",
        summary: "A table has more than five columns.",
        rationale: "Wide tables are hard to read.",
        default_severity: Severity::Info,
        example: "CREATE TABLE t (a int, b int, c int, d int, e int, f int);",
        fix: "None.",
        enabled_by_default: true,
    };
    impl Rule for NoWideTables {
        fn meta(&self) -> &RuleMeta {
            &META
        }
        fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
            // Custom rules can read the shared pairing too.
            for entry in cx.diff().tables() {
                if let Some(a) = entry.actual().filter(|a| a.def.columns.len() > 6) {
                    out.push(Finding::new(
                        &META,
                        ObjectRef::table(entry.schema, a.name),
                        format!(
                            "table {}.{} has {} columns",
                            entry.schema,
                            a.name,
                            a.def.columns.len()
                        ),
                        FixIntent::Manual,
                    ));
                }
            }
        }
    }
    let mut registry = Registry::builtin();
    registry.register(Box::new(NoWideTables)).unwrap();
    let (e, a) = pair();
    let config = Config::from_toml_str("[rules]\nno-wide-tables = \"error\"\n", "x.toml").unwrap();
    config.validate(&registry).unwrap();
    let r = registry.check(&config, &Context::new(&e, &a));
    let mine: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule == "no-wide-tables")
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].severity, Severity::Error);
    assert_eq!(mine[0].message, "table public.t2 has 7 columns");
    let _ = Table::default();
}
