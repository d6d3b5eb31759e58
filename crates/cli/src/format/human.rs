//! `--format human`: findings grouped by table, each with its fix hint,
//! then a summary line. Coloured only when asked to (a terminal without
//! NO_COLOR, or --color always).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use driftless_rules::{Finding, ObjectKind, Severity};
use owo_colors::{OwoColorize, Style};

use super::{coverage_line, quarantine_line, summary_line, CheckReport};

/// At most this many lines of a definition diff under a finding.
const DIFF_LINES: usize = 8;

/// Applies styles only when colour is on.
struct Paint(bool);

impl Paint {
    fn style(&self, text: &str, style: Style) -> String {
        if self.0 {
            text.style(style).to_string()
        } else {
            text.to_string()
        }
    }
}

/// The heading a finding is grouped under: `schema.table` for tables and
/// their parts, the schema for schema-level objects, `database` for
/// database-wide objects (event triggers, foreign servers), `migrations`
/// for migrations.
fn group(f: &Finding) -> String {
    let o = &f.object;
    match (&o.kind, &o.table) {
        (ObjectKind::Migration, _) => "migrations".to_string(),
        (_, None) if o.schema.is_empty() => "database".to_string(),
        (_, Some(table)) if o.schema.is_empty() => table.clone(),
        (_, Some(table)) => format!("{}.{}", o.schema, table),
        (_, None) => format!("schema {}", o.schema),
    }
}

fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Error => Style::new().red().bold(),
        Severity::Warning => Style::new().yellow().bold(),
        Severity::Info => Style::new().blue(),
    }
}

/// Renders the report.
pub fn render(report: &CheckReport<'_>, color: bool) -> String {
    let p = Paint(color);
    let mut out = String::new();
    let _ = writeln!(out, "Checked {} against {}", report.actual, report.expected);

    // Groups in name order; within a group, the findings' own order.
    let mut groups: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
    for f in report.findings() {
        groups.entry(group(f)).or_default().push(f);
    }
    let rule_width = report
        .findings()
        .iter()
        .map(|f| f.rule.len())
        .max()
        .unwrap_or(0);

    for (name, findings) in &groups {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", p.style(name, Style::new().bold().underline()));
        for f in findings {
            let waived = f.is_waived();
            let label = if waived {
                "waived"
            } else {
                f.severity.as_str()
            };
            let style = if waived {
                Style::new().dimmed()
            } else {
                severity_style(f.severity)
            };
            let _ = writeln!(
                out,
                "  {}  {}  {}",
                p.style(&format!("{label:<7}"), style),
                p.style(&format!("{:<rule_width$}", f.rule), Style::new().cyan()),
                one_line(&f.message)
            );
            let indent = " ".repeat(2 + 7 + 2 + rule_width + 2);
            // A view's query: the lines that differ (the JSON report
            // carries both definitions).
            for line in f.definition_diff(DIFF_LINES) {
                let _ = writeln!(out, "{indent}{}", one_line(&line));
            }
            // The message names the migration (`added by migration 0005_…`);
            // `migration` stays in the machine-readable formats.
            if let Some(h) = &f.hint {
                let _ = writeln!(
                    out,
                    "{indent}{} {}",
                    p.style("fix:", Style::new().green()),
                    one_line(h)
                );
            }
            // An expired waiver is already named in the message.
            if let Some(w) = f.waiver.as_ref().filter(|w| !w.expired) {
                let text = format!(
                    "waived until {} by {}: {}",
                    w.expires,
                    w.owner,
                    one_line(&w.reason)
                );
                let _ = writeln!(out, "{indent}{}", p.style(&text, Style::new().dimmed()));
            }
        }
    }
    if !groups.is_empty() {
        let _ = writeln!(out);
    }
    let style = if report.failing() > 0 {
        Style::new().red().bold()
    } else {
        Style::new().green().bold()
    };
    let _ = writeln!(out, "{}", p.style(&summary_line(report), style));
    if let Some(line) = coverage_line(report) {
        let _ = writeln!(out, "{line}");
    }
    if let Some(line) = quarantine_line(report) {
        let _ = writeln!(out, "{line}");
    }
    out
}

/// Keeps a finding on its line: control characters become spaces.
fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_control())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn plain() {
        let lib = library_report(true);
        assert_snapshot("check.human", &render(&report(&lib), false));
    }

    #[test]
    fn coloured() {
        let lib = library_report(true);
        let out = render(&report(&lib), true);
        assert!(out.contains("\u{1b}["), "ANSI escapes when colour is on");
        assert_eq!(strip_ansi(&out), render(&report(&lib), false));
    }

    #[test]
    fn no_drift() {
        assert_snapshot(
            "check-clean.human",
            &render(&report(&library_report(false)), false),
        );
    }

    fn strip_ansi(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }
}
