//! Report formats of `driftless check`, one module each. Every format
//! renders the same [`CheckReport`] to a string; they are snapshot-tested
//! against `tests/snapshots/check.<format>` with fixed findings.

pub(crate) mod documents;
pub(crate) mod fleet;
pub(crate) mod github;
mod human;
mod json;
pub(crate) mod junit;
pub(crate) mod markdown;
pub(crate) mod sarif;

use std::collections::BTreeMap;

use driftless_rules::{Finding, Report, RuleMeta, Severity, Summary};

use crate::args::CheckFormat;

/// Everything a report shows: the library's [`Report`] and where the two
/// schemas came from.
#[derive(Debug, Clone, Copy)]
pub struct CheckReport<'a> {
    /// The findings (sorted, waived ones marked), counts and failing severity.
    pub report: &'a Report,
    /// Metadata of every rule that ran, in registry order.
    pub rules: &'a [RuleMeta],
    /// Where the expected schema came from (redacted).
    pub expected: &'a str,
    /// The checked database (redacted URL).
    pub actual: &'a str,
    /// Files findings can point at: migration id → its file, and `""` →
    /// the expected schema's file (a snapshot), as relative paths.
    pub files: &'a BTreeMap<String, String>,
    /// How many objects earlier fixes quarantined (kept, never drift).
    pub quarantined: usize,
}

impl<'a> CheckReport<'a> {
    /// The file a finding points at: its migration's file, else the
    /// expected schema's file, when known.
    pub fn file_of(&self, finding: &Finding) -> Option<&'a str> {
        finding
            .migration
            .as_deref()
            .and_then(|m| self.files.get(m))
            .or_else(|| self.files.get(""))
            .map(String::as_str)
    }

    /// The findings.
    pub fn findings(&self) -> &'a [Finding] {
        &self.report.findings
    }

    /// The counts.
    pub fn summary(&self) -> Summary {
        self.report.summary
    }

    /// Findings at or above this severity fail the check.
    pub fn fail_on(&self) -> Severity {
        self.report.fail_on
    }

    /// How many findings fail the check.
    pub fn failing(&self) -> usize {
        self.report.failing(self.report.fail_on).count()
    }

    /// The metadata of a rule, if it is one that ran.
    pub fn rule(&self, id: &str) -> Option<&'a RuleMeta> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// Renders the report in `format`; `color` only affects `human`.
pub fn render(format: CheckFormat, report: &CheckReport<'_>, color: bool) -> String {
    match format {
        CheckFormat::Human => human::render(report, color),
        CheckFormat::Json => json::render(report),
        CheckFormat::Sarif => sarif::render(report),
        CheckFormat::Github => github::render(report),
        CheckFormat::Junit => junit::render(report),
        CheckFormat::Markdown => markdown::render(report),
    }
}

/// A JSON document, pretty-printed with a final newline (the machine
/// formats of `check` and `migrations`).
pub(crate) fn pretty_json(doc: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(doc)
        .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()));
    text.push('\n');
    text
}

/// The plan as a JSON document stamped with its schema.
pub(crate) fn plan_json(plan: &driftless_fixer::FixPlan) -> String {
    match serde_json::from_str(&plan.to_json()) {
        Ok(doc) => documents::document(crate::args::SchemaName::Plan, doc),
        Err(_) => plan.to_json(),
    }
}

/// "1 error", "2 warnings".
fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The line that counts what earlier fixes quarantined, if anything.
fn quarantine_line(report: &CheckReport<'_>) -> Option<String> {
    (report.quarantined > 0).then(|| {
        format!(
            "{} kept in quarantine by earlier fixes, not drift (`driftless quarantine list`).",
            plural(report.quarantined, "object", "objects")
        )
    })
}

/// The rule that reports the objects not compared.
const UNMODELED_RULE: &str = "unmodeled-object";

/// What was not compared (`2 triggers, 1 policy`), if anything was not.
fn not_compared(report: &CheckReport<'_>) -> Option<String> {
    let coverage = &report.report.coverage;
    (!coverage.is_complete()).then(|| coverage.summary())
}

/// The line saying what was not compared, for reports whose summary line
/// does not already say it.
fn coverage_line(report: &CheckReport<'_>) -> Option<String> {
    if no_drift_in_compared(report) {
        return None;
    }
    not_compared(report).map(|what| format!("Not compared: {what} (see {UNMODELED_RULE})."))
}

/// Whether nothing fails and every finding only says what was not compared.
fn no_drift_in_compared(report: &CheckReport<'_>) -> bool {
    report.failing() == 0 && report.findings().iter().all(|f| f.rule == UNMODELED_RULE)
}

/// The one-line summary shared by `human` and `github`. "No drift" only
/// when every object was compared.
fn summary_line(report: &CheckReport<'_>) -> String {
    let s = report.summary();
    if no_drift_in_compared(report) {
        return match not_compared(report) {
            None if s.total() == 0 => {
                format!("No drift: {} matches {}.", report.actual, report.expected)
            }
            None => format!(
                "No drift in what was compared: {} matches {}.",
                report.actual, report.expected
            ),
            Some(what) => format!(
                "No drift in what was compared: {} matches {}; not compared: {what} (see {UNMODELED_RULE}).",
                report.actual, report.expected
            ),
        };
    }
    let mut parts = vec![
        plural(s.error, "error", "errors"),
        plural(s.warning, "warning", "warnings"),
        format!("{} info", s.info),
    ];
    if s.waived > 0 {
        parts.push(format!("{} waived", s.waived));
    }
    let failing = report.failing();
    let verdict = if failing > 0 {
        format!(
            "{} at or above {}: drift",
            plural(failing, "finding", "findings"),
            report.fail_on()
        )
    } else {
        format!("nothing at or above {}: passing", report.fail_on())
    };
    format!(
        "{} ({}); {}.",
        plural(s.total(), "finding", "findings"),
        parts.join(", "),
        verdict
    )
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Fixed findings for the format snapshots, and the snapshot helper.

    use driftless_model::{Dialect, Snapshot};
    use driftless_rules::{
        Aspect, Config, Context, Date, Finding, FixIntent, ObjectKind, ObjectPattern, ObjectRef,
        Registry, Report, Rule, RuleMeta, Severity, Waiver,
    };
    use serde_json::json;

    pub const RULES: &[RuleMeta] = &[
        RuleMeta {
            id: "missing-column",
            summary: "A column of the expected schema is missing from the database",
            rationale: "Code that reads or writes the column fails at run time.",
            default_severity: Severity::Error,
            example: "expected: login_count integer NOT NULL DEFAULT 0; actual: no such column",
            fix: "Add the column (safe when it is nullable or has a default).",
            enabled_by_default: true,
        },
        RuleMeta {
            id: "orphan-column",
            summary: "The database has a column the expected schema does not",
            rationale: "Hand-made columns break migrations that assume they are absent, and NOT NULL ones break inserts.",
            default_severity: Severity::Warning,
            example: "actual: avatar varchar(255); expected: no such column",
            fix: "Quarantine (rename aside, data kept), drop with --orphans drop, or keep.",
            enabled_by_default: true,
        },
        RuleMeta {
            id: "missing-index",
            summary: "An index of the expected schema is missing from the database",
            rationale: "Queries that rely on it become slow; a missing unique index lets duplicates in.",
            default_severity: Severity::Error,
            example: "expected: CREATE INDEX blog_post_published_at_idx ON blog_post (published_at)",
            fix: "Create the index (locking on large tables).",
            enabled_by_default: true,
        },
        RuleMeta {
            id: "nullability-mismatch",
            summary: "A column is nullable on one side and NOT NULL on the other",
            rationale: "Inserts fail, or NULLs creep in where code does not expect them.",
            default_severity: Severity::Error,
            example: "expected: title NOT NULL; actual: title nullable",
            fix: "Set or drop NOT NULL (fails while NULLs are present).",
            enabled_by_default: true,
        },
        RuleMeta {
            id: "orphan-table",
            summary: "The database has a table the expected schema does not",
            rationale: "Left-over tables confuse people and tools.",
            default_severity: Severity::Warning,
            example: "actual: table tmp_import",
            fix: "Quarantine, drop or keep.",
            enabled_by_default: true,
        },
    ];

    fn column(table: &str, name: &str) -> ObjectRef {
        ObjectRef::table_part(ObjectKind::Column, "main", table, name)
    }

    /// Five findings that exercise every field: a migration, a hint,
    /// characters every format must escape.
    fn raw_findings() -> Vec<Finding> {
        let mut v = vec![
            Finding::new(
                &RULES[0],
                column("authentication_user", "login_count"),
                "column main.authentication_user.login_count is missing",
                FixIntent::Create,
            )
            .values(Some(json!({"type": "integer", "nullable": false, "default": "0"})), None)
            .hint("add it: ALTER TABLE authentication_user ADD COLUMN login_count integer NOT NULL DEFAULT 0"),
            Finding::new(
                &RULES[1],
                column("authentication_user", "avatar"),
                "column main.authentication_user.avatar is not in the expected schema",
                FixIntent::Remove,
            )
            .values(None, Some(json!({"type": "varchar(255)", "nullable": true})))
            .hint("quarantine it (the data is kept): driftless fix --apply"),
            Finding::new(
                &RULES[2],
                ObjectRef::table_part(ObjectKind::Index, "main", "blog_post", "blog_post_published_at_idx"),
                "index blog_post_published_at_idx on main.blog_post is missing",
                FixIntent::Create,
            )
            .values(Some(json!("CREATE INDEX blog_post_published_at_idx ON blog_post (published_at)")), None)
            .hint("create it: CREATE INDEX blog_post_published_at_idx ON blog_post (published_at)"),
            Finding::new(
                &RULES[3],
                column("blog_post", "title"),
                "column main.blog_post.title is nullable, expected NOT NULL\r\n(100% of rows: 3, 1 NULL; <b>&\"quoted\"</b>)",
                FixIntent::alter(Aspect::Nullability),
            )
            .values(Some(json!({"nullable": false})), Some(json!({"nullable": true}))),
            Finding::new(
                &RULES[4],
                ObjectRef::table("main", "tmp_import"),
                "table main.tmp_import is not in the expected schema",
                FixIntent::Remove,
            ),
        ];
        v[0].migration = Some("0005_user_login_count".into());
        v[2].migration = Some("0003_blog_post_published_at_index".into());
        v
    }

    /// A rule that reports fixed findings.
    struct Fixed(&'static RuleMeta, Vec<Finding>);

    impl Rule for Fixed {
        fn meta(&self) -> &RuleMeta {
            self.0
        }
        fn check(&self, _cx: &Context<'_>, out: &mut Vec<Finding>) {
            out.extend(self.1.iter().cloned());
        }
    }

    /// The report the library makes of the fixed findings (or of none),
    /// failing on errors, with a waiver in force for `avatar` and an
    /// expired one for `tmp_import`.
    pub fn library_report(with_findings: bool) -> Report {
        let findings = if with_findings {
            raw_findings()
        } else {
            Vec::new()
        };
        let mut registry = Registry::empty();
        for meta in RULES {
            let mine = findings
                .iter()
                .filter(|f| f.rule == meta.id)
                .cloned()
                .collect();
            registry.register(Box::new(Fixed(meta, mine))).unwrap();
        }
        let mut config = Config::default();
        config.set_fail_on(Severity::Error);
        config.add_waiver(Waiver::new(
            "orphan-column",
            ObjectPattern::new("main.authentication_user.avatar").unwrap(),
            "avatars move to object storage, column dropped in Q3",
            "ada@example.com",
            Date::parse("2999-12-31").unwrap(),
        ));
        config.add_waiver(Waiver::new(
            "orphan-table",
            ObjectPattern::new("main.tmp_import").unwrap(),
            "import table, kept until the migration is verified",
            "grace",
            Date::parse("2024-01-31").unwrap(),
        ));
        let snapshot = Snapshot::new(Dialect::Sqlite);
        let cx = Context::new(&snapshot, &snapshot).with_today(Date::parse("2025-06-01").unwrap());
        registry.check(&config, &cx)
    }

    /// Migration files the fixed findings point at.
    pub fn files() -> &'static std::collections::BTreeMap<String, String> {
        static FILES: std::sync::OnceLock<std::collections::BTreeMap<String, String>> =
            std::sync::OnceLock::new();
        FILES.get_or_init(|| {
            [
                (
                    "0005_user_login_count",
                    "examples/deploy-story/migrations/0005_user_login_count.sql",
                ),
                (
                    "0003_blog_post_published_at_index",
                    "examples/deploy-story/migrations/0003_blog_post_published_at_index.sql",
                ),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
        })
    }

    /// A plan with every part a rendering shows: steps of each safety
    /// class, rows counted, withheld steps, findings without a fix, and
    /// characters Markdown must escape.
    pub fn plan() -> driftless_fixer::FixPlan {
        let step = |kind: &str,
                    table: &str,
                    name: Option<&str>,
                    action: &str,
                    safety: &str,
                    reason: &str,
                    sql: &[&str]| {
            json!({
                "object": {"kind": kind, "schema": "main", "table": table, "name": name},
                "action": action, "safety": safety, "reason": reason,
                "sql": sql, "script": sql,
            })
        };
        let mut quarantine = step(
            "column", "authentication_user", Some("avatar"), "quarantine column", "safe",
            "orphan-column: column main.authentication_user.avatar is not in the expected schema | kept",
            &[
                "CREATE TABLE \"_driftless_quarantine_authentication_user__avatar\" (\"id\" integer PRIMARY KEY, \"avatar\" varchar(255))",
                "INSERT INTO \"_driftless_quarantine_authentication_user__avatar\" SELECT \"id\", \"avatar\" FROM \"authentication_user\"",
                "ALTER TABLE \"authentication_user\" DROP COLUMN \"avatar\"",
            ],
        );
        quarantine["affected_rows"] = json!(3);
        let doc = json!({
            "format_version": 1,
            "dialect": "sqlite",
            "base": "5f3c9a0d21b7e4c8",
            "steps": [
                step("column", "authentication_user", Some("login_count"), "add column", "safe",
                     "missing-column: column main.authentication_user.login_count is missing",
                     &["ALTER TABLE \"authentication_user\" ADD COLUMN \"login_count\" integer NOT NULL DEFAULT 0"]),
                step("index", "blog_post", Some("blog_post_published_at_idx"), "create index", "locking",
                     "missing-index: index blog_post_published_at_idx on main.blog_post is missing\n(built while writes wait)",
                     &["CREATE INDEX \"blog_post_published_at_idx\" ON \"blog_post\" (\"published_at\")"]),
                quarantine,
            ],
            "withheld": [
                step("table", "tmp_import", None, "drop table", "destructive",
                     "orphan-table: table main.tmp_import is not in the expected schema",
                     &["DROP TABLE \"tmp_import\""]),
            ],
            "unfixed": [{
                "rule": "nullability-mismatch",
                "object": {"kind": "column", "schema": "main", "table": "blog_post", "name": "title"},
                "message": "column main.blog_post.title is nullable, expected NOT NULL (1 NULL; <b>&</b>)",
                "why": "NULLs are present: set the values first, then run the fix again",
            }],
        });
        driftless_fixer::FixPlan::from_json(&doc.to_string()).unwrap()
    }

    /// A report view of `report`.
    pub fn report(report: &Report) -> super::CheckReport<'_> {
        super::CheckReport {
            report,
            rules: RULES,
            expected: "migrations examples/deploy-story/migrations",
            actual: "sqlite:examples/deploy-story/production.db",
            files: files(),
            quarantined: 0,
        }
    }

    /// Compares `actual` with `tests/snapshots/<name>`; with
    /// `DRIFTLESS_BLESS=1` the file is (re)written instead.
    pub fn assert_snapshot(name: &str, actual: &str) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/snapshots")
            .join(name);
        driftless_testkit::assert_golden(&path, actual);
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    #[test]
    fn summary_counts_waivers_and_the_failing_threshold() {
        let lib = library_report(true);
        let report = report(&lib);
        let s = report.summary();
        assert_eq!(
            (s.total(), s.error, s.warning, s.info, s.waived),
            (5, 3, 1, 0, 1)
        );
        assert_eq!(report.failing(), 3);
        assert_eq!(
            summary_line(&report),
            "5 findings (3 errors, 1 warning, 0 info, 1 waived); 3 findings at or above error: drift."
        );
        let empty = library_report(false);
        assert_eq!(
            summary_line(&super::fixtures::report(&empty)),
            "No drift: sqlite:examples/deploy-story/production.db matches migrations examples/deploy-story/migrations."
        );
    }

    #[test]
    fn no_drift_is_only_claimed_when_everything_was_compared() {
        use driftless_model::{CatalogKind, CatalogObject, Dialect, Snapshot};
        use driftless_rules::{Config, Context, Registry};
        let expected = Snapshot::new(Dialect::Postgres);
        let mut actual = expected.clone();
        for (kind, name) in [
            (CatalogKind::Trigger, "orders_touch"),
            (CatalogKind::Trigger, "items_touch"),
            (CatalogKind::Policy, "own_rows"),
        ] {
            actual
                .unmodeled
                .push(CatalogObject::new(kind, Some("public"), name));
        }
        let mut owned = CatalogObject::new(CatalogKind::Function, Some("public"), "citextin");
        owned.extension = Some("citext".into());
        actual.unmodeled.push(owned);
        actual.unmodeled.sort();
        let registry = Registry::builtin();
        let cx = Context::new(&expected, &actual);
        let lib = registry.check(&Config::default(), &cx);
        let r = report(&lib);
        assert_eq!(
            summary_line(&r),
            "No drift in what was compared: sqlite:examples/deploy-story/production.db matches \
             migrations examples/deploy-story/migrations; not compared: 1 policy, 2 triggers \
             (see unmodeled-object)."
        );
        assert_eq!(lib.coverage.extension_owned, 1);
        assert_eq!(coverage_line(&r), None);
        let doc: serde_json::Value = serde_json::from_str(&json::render(&r)).unwrap();
        assert_eq!(
            doc["coverage"]["not_compared"],
            serde_json::json!({"policy": 1, "trigger": 2})
        );
        assert!(markdown::render(&r).contains("No drift in what was compared"));
        // Ignoring both kinds: nothing left uncompared, nothing reported.
        let mut config = Config::default();
        config.ignore_kind(CatalogKind::Trigger);
        config.ignore_kind(CatalogKind::Policy);
        let lib = registry.check(&config, &cx);
        assert!(lib.findings.is_empty());
        assert_eq!(lib.summary.ignored, 1 + 1);
        assert!(summary_line(&report(&lib)).starts_with("No drift: "));
    }
}
