//! Where a fleet run's report goes as targets finish: the JSON document,
//! SARIF runs, JUnit suites and GitHub annotations are written per target
//! (memory does not grow with the targets); the human and Markdown
//! reports, made of the drift groups, at the end.

use driftless_pipeline::fleet::{Shard, TargetCheck, TargetReport};
use driftless_rules::RuleMeta;
use serde_json::json;

use crate::args::CheckFormat;
use crate::format::fleet::{self as render, FleetView};
use crate::format::{github, junit, sarif, CheckReport};

/// A report written as the run goes.
pub trait Sink {
    /// The start of the report.
    fn head(&mut self, expected: &str, shard: Option<Shard>) -> String;
    /// One target, as it finished.
    fn target(&mut self, check: &TargetCheck, report: &TargetReport) -> String;
    /// The end of the report.
    fn tail(&mut self, view: &FleetView<'_>) -> String;
}

/// The sink of `format`.
pub fn for_format(format: CheckFormat, rules: Vec<RuleMeta>) -> Box<dyn Sink> {
    match format {
        CheckFormat::Json => Box::new(Json { first: true }),
        CheckFormat::Human => Box::new(AtEnd(render::human)),
        CheckFormat::Markdown => Box::new(AtEnd(render::markdown)),
        CheckFormat::Sarif => Box::new(Sarif { rules, first: true }),
        CheckFormat::Junit => Box::new(Junit { rules }),
        CheckFormat::Github => Box::new(Github { rules }),
    }
}

/// The view of one checked target, as `check` reports one database.
fn with_view<T>(
    check: &TargetCheck,
    rules: &[RuleMeta],
    each: impl FnOnce(&CheckReport<'_>) -> T,
) -> Option<T> {
    let checked = check.result.as_ref().ok()?;
    let files = checked.expected.files();
    let view = CheckReport {
        report: &checked.report,
        rules,
        expected: &checked.expected.description,
        actual: &check.target,
        files: &files,
        quarantined: checked.quarantined.len(),
    };
    Some(each(&view))
}

struct Json {
    first: bool,
}

impl Sink for Json {
    fn head(&mut self, expected: &str, shard: Option<Shard>) -> String {
        render::json_head(expected, shard)
    }

    fn target(&mut self, _check: &TargetCheck, report: &TargetReport) -> String {
        let text = render::json_target(report, self.first);
        self.first = false;
        text
    }

    fn tail(&mut self, view: &FleetView<'_>) -> String {
        render::json_tail(view.groups, &view.summary, view.baseline)
    }
}

/// A report written once every target is in.
struct AtEnd(fn(&FleetView<'_>) -> String);

impl Sink for AtEnd {
    fn head(&mut self, _expected: &str, _shard: Option<Shard>) -> String {
        String::new()
    }

    fn target(&mut self, _check: &TargetCheck, _report: &TargetReport) -> String {
        String::new()
    }

    fn tail(&mut self, view: &FleetView<'_>) -> String {
        (self.0)(view)
    }
}

/// One SARIF run per target, its automation id naming the target.
struct Sarif {
    rules: Vec<RuleMeta>,
    first: bool,
}

impl Sink for Sarif {
    fn head(&mut self, _expected: &str, _shard: Option<Shard>) -> String {
        format!(
            "{{\n  \"$schema\": \"{}\",\n  \"version\": \"2.1.0\",\n  \"runs\": [",
            sarif::SCHEMA
        )
    }

    fn target(&mut self, check: &TargetCheck, report: &TargetReport) -> String {
        let mut run = match with_view(check, &self.rules, sarif::run) {
            Some(run) => run,
            None => failed_run(report),
        };
        run["automationDetails"] = json!({ "id": format!("driftless/{}/", report.target) });
        let text = serde_json::to_string_pretty(&run).unwrap_or_default();
        let comma = if self.first { "" } else { "," };
        self.first = false;
        format!("{comma}\n    {}", text.replace('\n', "\n    "))
    }

    fn tail(&mut self, _view: &FleetView<'_>) -> String {
        "\n  ]\n}\n".to_string()
    }
}

/// The run of a target that could not be checked: no results, the error
/// as a notification.
fn failed_run(report: &TargetReport) -> serde_json::Value {
    json!({
        "tool": { "driver": { "name": "driftless", "version": env!("CARGO_PKG_VERSION") } },
        "invocations": [{
            "executionSuccessful": false,
            "toolExecutionNotifications": [{
                "level": "error",
                "message": { "text": report.error.clone().unwrap_or_default() },
            }],
            "properties": { "actual": report.target },
        }],
        "results": [],
    })
}

/// The JUnit suites of every target, named `target: rule`.
struct Junit {
    rules: Vec<RuleMeta>,
}

impl Sink for Junit {
    fn head(&mut self, _expected: &str, _shard: Option<Shard>) -> String {
        format!("{}<testsuites name=\"driftless\">\n", junit::HEADER)
    }

    fn target(&mut self, check: &TargetCheck, report: &TargetReport) -> String {
        let prefix = format!("{}: ", report.target);
        with_view(check, &self.rules, |view| {
            let mut out = String::new();
            junit::write_suites(&mut out, view, &prefix);
            out
        })
        .unwrap_or_else(|| {
            junit::error_suite(&report.target, report.error.as_deref().unwrap_or(""))
        })
    }

    fn tail(&mut self, _view: &FleetView<'_>) -> String {
        "</testsuites>\n".to_string()
    }
}

/// GitHub annotations titled by target, then the fleet's summary line.
struct Github {
    rules: Vec<RuleMeta>,
}

impl Sink for Github {
    fn head(&mut self, _expected: &str, _shard: Option<Shard>) -> String {
        String::new()
    }

    fn target(&mut self, check: &TargetCheck, report: &TargetReport) -> String {
        let prefix = format!("{}: ", report.target);
        with_view(check, &self.rules, |view| {
            github::annotations(view, &prefix)
        })
        .unwrap_or_else(|| {
            github::annotation(
                "error",
                &report.target,
                &format!(
                    "could not be checked: {}",
                    report.error.as_deref().unwrap_or("")
                ),
            )
        })
    }

    fn tail(&mut self, view: &FleetView<'_>) -> String {
        format!("{}\n", render::summary_line(&view.summary, view.groups))
    }
}
