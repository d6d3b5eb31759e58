//! `--format junit`: JUnit XML for CI dashboards. One test suite per rule
//! that ran; one test case per rule × object, failed by its findings
//! (skipped when a waiver in force accepts them); a rule that found
//! nothing is one passing test case.

use std::fmt::Write as _;

use driftless_rules::Finding;

use super::CheckReport;

/// Escapes text for XML content and attribute values, dropping the
/// control characters XML 1.0 cannot carry.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

/// The details of one finding, as the body of a failure element.
fn details(f: &Finding) -> String {
    let mut lines = vec![format!("{}: {}", f.severity, f.message)];
    if let Some(e) = &f.expected {
        lines.push(format!("expected: {e}"));
    }
    if let Some(a) = &f.actual {
        lines.push(format!("actual: {a}"));
    }
    if let Some(m) = &f.migration {
        lines.push(format!("migration: {m}"));
    }
    if let Some(h) = &f.hint {
        lines.push(format!("fix: {h}"));
    }
    lines.join("\n")
}

struct Case<'a> {
    name: String,
    findings: Vec<&'a Finding>,
}

struct Suite<'a> {
    rule: String,
    cases: Vec<Case<'a>>,
}

impl Suite<'_> {
    fn failures(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| c.findings.iter().any(|f| !f.is_waived()))
            .count()
    }

    fn skipped(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| !c.findings.is_empty() && c.findings.iter().all(|f| f.is_waived()))
            .count()
    }
}

fn suites<'a>(report: &CheckReport<'a>) -> Vec<Suite<'a>> {
    let mut suites: Vec<Suite<'a>> = report
        .rules
        .iter()
        .map(|r| Suite {
            rule: r.id.to_string(),
            cases: Vec::new(),
        })
        .collect();
    for f in report.findings() {
        let idx = match suites.iter().position(|s| s.rule == f.rule) {
            Some(i) => i,
            None => {
                suites.push(Suite {
                    rule: f.rule.clone(),
                    cases: Vec::new(),
                });
                suites.len() - 1
            }
        };
        let name = f.object.to_string();
        let suite = &mut suites[idx];
        match suite.cases.iter_mut().find(|c| c.name == name) {
            Some(case) => case.findings.push(f),
            None => suite.cases.push(Case {
                name,
                findings: vec![f],
            }),
        }
    }
    for s in &mut suites {
        if s.cases.is_empty() {
            s.cases.push(Case {
                name: "no drift".into(),
                findings: Vec::new(),
            });
        }
    }
    suites
}

/// Renders the report as JUnit XML.
pub fn render(report: &CheckReport<'_>) -> String {
    let mut body = String::new();
    let counts = write_suites(&mut body, report, "");
    let mut out = String::from(HEADER);
    let _ = writeln!(
        out,
        "<testsuites name=\"driftless\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">",
        counts.0, counts.1, counts.2
    );
    out.push_str(&body);
    out.push_str("</testsuites>\n");
    out
}

/// The XML declaration.
pub const HEADER: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// Writes the report's test suites, their names prefixed with `prefix`
/// (a fleet's target); returns the test, failure and skipped counts.
pub fn write_suites(
    out: &mut String,
    report: &CheckReport<'_>,
    prefix: &str,
) -> (usize, usize, usize) {
    let suites = suites(report);
    let tests: usize = suites.iter().map(|s| s.cases.len()).sum();
    let failures: usize = suites.iter().map(Suite::failures).sum();
    let skipped: usize = suites.iter().map(Suite::skipped).sum();
    for s in &suites {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">",
            xml(prefix),
            xml(&s.rule),
            s.cases.len(),
            s.failures(),
            s.skipped()
        );
        write_properties(out, report, &s.rule);
        for c in &s.cases {
            write_case(out, &s.rule, c);
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    (tests, failures, skipped)
}

/// A target that could not be checked, as a suite with one test case in
/// error.
pub fn error_suite(target: &str, error: &str) -> String {
    format!(
        "  <testsuite name=\"{t}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n    <testcase classname=\"driftless\" name=\"{t}\">\n      <error message=\"{e}\"/>\n    </testcase>\n  </testsuite>\n",
        t = xml(target),
        e = xml(error)
    )
}

fn write_properties(out: &mut String, report: &CheckReport<'_>, rule: &str) {
    let Some(meta) = report.rule(rule) else {
        return;
    };
    let _ = writeln!(out, "    <properties>");
    let _ = writeln!(
        out,
        "      <property name=\"summary\" value=\"{}\"/>",
        xml(meta.summary)
    );
    let _ = writeln!(
        out,
        "      <property name=\"expected\" value=\"{}\"/>",
        xml(report.expected)
    );
    let _ = writeln!(
        out,
        "      <property name=\"actual\" value=\"{}\"/>",
        xml(report.actual)
    );
    let _ = writeln!(out, "    </properties>");
}

fn write_case(out: &mut String, rule: &str, c: &Case<'_>) {
    let open = format!(
        "    <testcase classname=\"driftless.{}\" name=\"{}\"",
        xml(rule),
        xml(&c.name)
    );
    let active: Vec<&&Finding> = c.findings.iter().filter(|f| !f.is_waived()).collect();
    if c.findings.is_empty() {
        let _ = writeln!(out, "{open}/>");
    } else if active.is_empty() {
        let _ = writeln!(out, "{open}>");
        for f in &c.findings {
            if let Some(w) = &f.waiver {
                let _ = writeln!(
                    out,
                    "      <skipped message=\"{}\"/>",
                    xml(&format!(
                        "waived until {} by {}: {}",
                        w.expires, w.owner, w.reason
                    ))
                );
            }
        }
        let _ = writeln!(out, "    </testcase>");
    } else {
        let _ = writeln!(out, "{open}>");
        let message = active
            .iter()
            .map(|f| f.message.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let body = active
            .iter()
            .map(|f| details(f))
            .collect::<Vec<_>>()
            .join("\n\n");
        let _ = writeln!(
            out,
            "      <failure type=\"{}\" message=\"{}\">{}</failure>",
            active
                .iter()
                .map(|f| f.severity)
                .max()
                .map_or("error", |s| s.as_str()),
            xml(&message),
            xml(&body)
        );
        let _ = writeln!(out, "    </testcase>");
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn snapshot() {
        let lib = library_report(true);
        assert_snapshot("check.junit", &render(&report(&lib)));
    }

    #[test]
    fn counts_and_escaping() {
        let lib = library_report(true);
        let out = render(&report(&lib));
        // 5 rules: 4 with one finding each (1 waived), tmp_import's waiver expired.
        assert!(out.contains("<testsuites name=\"driftless\" tests=\"5\" failures=\"4\" errors=\"0\" skipped=\"1\">"), "{out}");
        assert!(out.contains("&lt;b&gt;&amp;&quot;quoted&quot;&lt;/b&gt;"));
        assert!(!out.contains("<b>"));
        let clean = render(&report(&library_report(false)));
        assert!(clean.contains("tests=\"5\" failures=\"0\""), "{clean}");
        assert_eq!(clean.matches("name=\"no drift\"").count(), RULES.len());
    }

    #[test]
    fn xml_escapes() {
        assert_eq!(xml("a<b>&\"'\u{1}\n"), "a&lt;b&gt;&amp;&quot;&apos;&#10;");
    }
}
