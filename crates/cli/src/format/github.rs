//! `--format github`: GitHub Actions workflow commands, one annotation per
//! finding (`::error title=…::message`), then the summary as a plain line.
//!
//! Escaping follows the runner's rules: in the message `%`, `\r`, `\n`;
//! in property values additionally `:` and `,`.

use driftless_rules::{Finding, Severity};

use super::{summary_line, CheckReport};

/// Escapes the message part of a workflow command.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (`title=`) of a workflow command.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(f: &Finding) -> &'static str {
    if f.is_waived() {
        return "notice";
    }
    match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// Renders the report.
pub fn render(report: &CheckReport<'_>) -> String {
    let mut out = annotations(report, "");
    out.push_str(&summary_line(report));
    out.push('\n');
    out
}

/// One annotation per finding, titles prefixed with `prefix` (a fleet's
/// target).
pub fn annotations(report: &CheckReport<'_>, prefix: &str) -> String {
    let mut out = String::new();
    for f in report.findings() {
        let title = format!("{prefix}{} {}", f.rule, f.object.path());
        let mut message = f.message.clone();
        if let Some(m) = &f.migration {
            message.push_str(&format!("\nmigration: {m}"));
        }
        if let Some(h) = &f.hint {
            message.push_str(&format!("\nfix: {h}"));
        }
        // An expired waiver is already named in the message.
        if let Some(w) = f.waiver.as_ref().filter(|w| !w.expired) {
            message.push_str(&format!(
                "\nwaived until {} by {}: {}",
                w.expires, w.owner, w.reason
            ));
        }
        out.push_str(&annotation(command(f), &title, &message));
    }
    out
}

/// One workflow command: `::error title=…::message`.
pub fn annotation(command: &str, title: &str, message: &str) -> String {
    format!(
        "::{command} title={}::{}\n",
        escape_property(title),
        escape_data(message)
    )
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn snapshot() {
        let lib = library_report(true);
        assert_snapshot("check.github", &render(&report(&lib)));
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_data("100% a\r\nb: c, d"), "100%25 a%0D%0Ab: c, d");
        assert_eq!(
            escape_property("100% a\r\nb: c, d"),
            "100%25 a%0D%0Ab%3A c%2C d"
        );
    }

    #[test]
    fn one_line_per_finding() {
        let lib = library_report(true);
        let out = render(&report(&lib));
        assert_eq!(
            out.lines().filter(|l| l.starts_with("::")).count(),
            lib.findings.len()
        );
        assert!(out
            .lines()
            .all(|l| !l.starts_with("::") || l.matches("::").count() == 2));
    }
}
