//! The reports of a fleet run (`--each-schema`, `--each-database`,
//! `--targets`, and `report merge`): the JSON document written piece by
//! piece as targets finish, and the human and Markdown reports of the
//! drift groups, written at the end.

use std::fmt::Write as _;

use driftless_pipeline::fleet::{BaselineDiff, FleetSummary, Group, Shard, TargetReport};
use driftless_rules::Finding;
use serde::Serialize;
use serde_json::Value;

use super::markdown;
use crate::args::SchemaName;

/// At most this many member names are listed under a group.
const NAMES_SHOWN: usize = 10;

/// What the end of a fleet report shows.
#[derive(Debug, Clone, Copy)]
pub struct FleetView<'a> {
    /// The expected source.
    pub expected: &'a str,
    /// The drift groups, drifted first, biggest first.
    pub groups: &'a [Group],
    /// The counts.
    pub summary: FleetSummary,
    /// The targets that could not be checked.
    pub failed: &'a [TargetReport],
    /// What changed since the baseline, when compared with one.
    pub baseline: Option<&'a BaselineDiff>,
}

/// `4001` as `4,001`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `n target` / `n targets`.
fn targets(n: usize) -> String {
    match n {
        1 => "1 target".to_string(),
        n => format!("{} targets", thousands(n)),
    }
}

/// The first names of a group, and how many more.
fn names(members: &[String]) -> String {
    let shown: Vec<&str> = members
        .iter()
        .take(NAMES_SHOWN)
        .map(String::as_str)
        .collect();
    match members.len().saturating_sub(NAMES_SHOWN) {
        0 => shown.join(", "),
        more => format!("{} and {} more", shown.join(", "), thousands(more)),
    }
}

/// The one-line summary: `4,001 targets: 3,997 clean, 3 drifted in 2
/// groups, 1 could not be checked.`
pub fn summary_line(s: &FleetSummary, groups: &[Group]) -> String {
    let drift_groups = groups.iter().filter(|g| g.drifted).count();
    let mut line = format!(
        "{}: {} clean, {} drifted",
        targets(s.targets),
        thousands(s.clean),
        thousands(s.drifted)
    );
    if s.drifted > 0 {
        let _ = write!(
            line,
            " in {} group{}",
            thousands(drift_groups),
            if drift_groups == 1 { "" } else { "s" }
        );
    }
    if s.failed > 0 {
        let _ = write!(line, ", {} could not be checked", thousands(s.failed));
    }
    line.push('.');
    line
}

fn finding_line(f: &Finding) -> String {
    let waived = if f.is_waived() { " (waived)" } else { "" };
    format!(
        "  {:<7}  {}  {}{waived}",
        f.severity.as_str(),
        f.rule,
        one_line(&f.message)
    )
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The human report: each drift group with its members and findings, the
/// clean count, the targets that could not be checked, the baseline's
/// changes, and the summary line.
pub fn human(view: &FleetView<'_>) -> String {
    let mut out = format!("Compared with {}\n\n", view.expected);
    for g in view.groups.iter().filter(|g| !g.findings.is_empty()) {
        let how = if g.drifted {
            "drifted"
        } else {
            "below the failing severity"
        };
        let _ = writeln!(
            out,
            "{} {how} ({}):",
            targets(g.targets.len()),
            names(&g.targets)
        );
        for f in &g.findings {
            let _ = writeln!(out, "{}", finding_line(f));
        }
        out.push('\n');
    }
    let clean: usize = view
        .groups
        .iter()
        .filter(|g| g.findings.is_empty())
        .map(|g| g.targets.len())
        .sum();
    if clean > 0 {
        let _ = writeln!(out, "{} clean.\n", thousands(clean));
    }
    if !view.failed.is_empty() {
        let _ = writeln!(out, "Could not check {}:", targets(view.failed.len()));
        for t in view.failed {
            let _ = writeln!(
                out,
                "  {}: {}",
                t.target,
                one_line(t.error.as_deref().unwrap_or("unknown error"))
            );
        }
        out.push('\n');
    }
    if let Some(diff) = view.baseline {
        out.push_str(&baseline_human(diff));
    }
    out.push_str(&summary_line(&view.summary, view.groups));
    out.push('\n');
    out
}

/// How many findings a list of changes holds.
fn count(changes: &[driftless_pipeline::fleet::TargetChange]) -> usize {
    changes.iter().map(|c| c.findings.len()).sum()
}

/// The baseline's changes: new findings listed per target, the rest counted.
fn baseline_human(diff: &BaselineDiff) -> String {
    let mut out = format!(
        "Since the baseline: {} new finding(s) on {}, {} resolved, {} persisting; {} new drift group(s), {} resolved.\n",
        count(&diff.new),
        targets(diff.new.len()),
        count(&diff.resolved),
        diff.persisting,
        diff.groups.new.len(),
        diff.groups.resolved.len()
    );
    for change in &diff.new {
        let _ = writeln!(out, "New on {}:", change.target);
        for f in &change.findings {
            let _ = writeln!(out, "{}", finding_line(f));
        }
    }
    if !diff.gone.is_empty() {
        let _ = writeln!(out, "Not checked this time: {}.", names(&diff.gone));
    }
    out.push('\n');
    out
}

/// The Markdown report: a title with the verdict, a table of the groups,
/// each drifted group's findings, the targets not checked.
pub fn markdown(view: &FleetView<'_>) -> String {
    let s = &view.summary;
    let verdict = if s.drifted > 0 {
        "drift"
    } else if s.failed > 0 {
        "not every target checked"
    } else {
        "no drift"
    };
    let mut out = format!(
        "## driftless fleet: {verdict}\n\n{} Compared with {}.\n\n",
        markdown::text(&summary_line(s, view.groups)),
        markdown::text(view.expected)
    );
    let rows: Vec<Vec<String>> = view
        .groups
        .iter()
        .map(|g| {
            vec![
                markdown::code(&g.fingerprint),
                thousands(g.targets.len()),
                if g.findings.is_empty() {
                    "clean".into()
                } else {
                    g.findings.len().to_string()
                },
                markdown::text(&names(&g.targets)),
            ]
        })
        .collect();
    out.push_str(&markdown::table(
        &["Group", "Targets", "Findings", "Members"],
        &rows,
    ));
    for g in view.groups.iter().filter(|g| !g.findings.is_empty()) {
        let _ = writeln!(
            out,
            "\n### {} ({})\n",
            markdown::text(&targets(g.targets.len())),
            markdown::code(&g.fingerprint)
        );
        out.push_str(&markdown_findings(&g.findings));
    }
    if !view.failed.is_empty() {
        out.push_str("\n### Not checked\n\n");
        let rows: Vec<Vec<String>> = view
            .failed
            .iter()
            .map(|t| {
                vec![
                    markdown::code(&t.target),
                    markdown::text(t.error.as_deref().unwrap_or("")),
                ]
            })
            .collect();
        out.push_str(&markdown::table(&["Target", "Error"], &rows));
    }
    if let Some(diff) = view.baseline {
        out.push_str("\n### Since the baseline\n\n");
        out.push_str(&markdown::text(
            baseline_human(diff).lines().next().unwrap_or(""),
        ));
        out.push('\n');
        for change in &diff.new {
            let _ = writeln!(out, "\nNew on {}:\n", markdown::code(&change.target));
            out.push_str(&markdown_findings(&change.findings));
        }
    }
    out
}

fn markdown_findings(findings: &[Finding]) -> String {
    let rows: Vec<Vec<String>> = findings
        .iter()
        .map(|f| {
            vec![
                markdown::text(f.severity.as_str()),
                markdown::code(&f.rule),
                markdown::code(&f.object.path()),
                markdown::text(&f.message),
            ]
        })
        .collect();
    markdown::table(&["Severity", "Rule", "Object", "Finding"], &rows)
}

/// `value` as pretty JSON, every line after the first indented by
/// `indent` spaces (to sit inside the streamed document).
fn indented<T: Serialize + ?Sized>(value: &T, indent: usize) -> String {
    let text = serde_json::to_string_pretty(value).unwrap_or_else(|e| {
        serde_json::to_string(&e.to_string()).unwrap_or_else(|_| "null".into())
    });
    text.replace('\n', &format!("\n{}", " ".repeat(indent)))
}

/// The start of the streamed JSON document, up to the opening of `targets`.
pub fn json_head(expected: &str, shard: Option<Shard>) -> String {
    let mut out = format!(
        "{{\n  \"$schema\": {},\n  \"expected\": {},\n",
        indented(SchemaName::FleetReport.id(), 2),
        indented(expected, 2)
    );
    if let Some(shard) = shard {
        let _ = writeln!(out, "  \"shard\": {},", indented(&shard, 2));
    }
    out.push_str("  \"targets\": [");
    out
}

/// One target of the streamed document (`first`: no comma before it).
pub fn json_target(report: &TargetReport, first: bool) -> String {
    format!(
        "{}\n    {}",
        if first { "" } else { "," },
        indented(report, 4)
    )
}

/// The end of the streamed document: the groups, the summary, the
/// baseline's changes.
pub fn json_tail(
    groups: &[Group],
    summary: &FleetSummary,
    baseline: Option<&BaselineDiff>,
) -> String {
    let mut out = format!(
        "\n  ],\n  \"groups\": {},\n  \"summary\": {}",
        indented(groups, 2),
        indented(summary, 2)
    );
    if let Some(diff) = baseline {
        let _ = write!(out, ",\n  \"baseline\": {}", indented(diff, 2));
    }
    out.push_str("\n}\n");
    out
}

/// A whole fleet report (`report merge`), stamped with its schema.
pub fn json_document(report: &driftless_pipeline::fleet::FleetReport) -> String {
    let doc = serde_json::to_value(report).unwrap_or(Value::Null);
    super::documents::document(SchemaName::FleetReport, doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_at_a_glance() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(3997), "3,997");
        assert_eq!(thousands(1_234_567), "1,234,567");
        let s = FleetSummary {
            targets: 4001,
            clean: 3997,
            drifted: 3,
            failed: 1,
            groups: 3,
        };
        let group = |drifted| Group {
            fingerprint: String::new(),
            drifted,
            targets: Vec::new(),
            findings: Vec::new(),
        };
        assert_eq!(
            summary_line(&s, &[group(true), group(true), group(false)]),
            "4,001 targets: 3,997 clean, 3 drifted in 2 groups, 1 could not be checked."
        );
    }

    #[test]
    fn the_streamed_document_is_one_json_document() {
        let t = TargetReport::failed("tenant_1", "connection refused");
        let mut text = json_head("snapshot t.json", Shard::new(1, 2).ok());
        text.push_str(&json_target(&t, true));
        text.push_str(&json_target(&t, false));
        text.push_str(&json_tail(&[], &FleetSummary::default(), None));
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["targets"].as_array().unwrap().len(), 2);
        assert_eq!(doc["shard"]["index"], 1);
        assert_eq!(doc["$schema"], SchemaName::FleetReport.id());
    }
}
