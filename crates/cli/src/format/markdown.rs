//! `--format markdown`: reports for a pull-request comment or a CI job
//! summary (`$GITHUB_STEP_SUMMARY`). The helpers here escape what a table
//! cell, an inline code span or a fenced block must not contain; the
//! renderers of `check`, `plan`, `fix` and `migrations` share them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use driftless_fixer::{FixPlan, FixStep, Safety};
use driftless_rules::{Finding, ObjectKind};

use super::{plural, quarantine_line, summary_line, CheckReport};

/// Text for a paragraph or a table cell: Markdown and HTML specials
/// escaped (nothing the text holds can format, link or end the cell), line
/// breaks as `<br>`.
pub(crate) fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' | '\n' => out.push_str("<br>"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// An inline code span for a paragraph or a table cell: delimited by more
/// backticks than the text holds in a row, on one line, `|` escaped (a
/// table cell ends at an unescaped `|`, even inside code).
pub(crate) fn code(s: &str) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let ticks = "`".repeat(longest_run(&one_line, '`') + 1);
    let pad = if one_line.starts_with('`') || one_line.ends_with('`') || one_line.is_empty() {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{}{pad}{ticks}", one_line.replace('|', "\\|"))
}

/// A fenced code block of `lang`, fenced with more backticks than the body
/// holds in a row (so nothing in it can end the block early).
pub(crate) fn fenced(lang: &str, body: &str) -> String {
    let fence = "`".repeat((longest_run(body, '`') + 1).max(3));
    let body = body.trim_end_matches('\n');
    format!("{fence}{lang}\n{body}\n{fence}\n")
}

/// A collapsible block: `summary` (plain text, escaped) over `body`
/// (Markdown).
pub(crate) fn details(summary: &str, body: &str) -> String {
    format!(
        "<details><summary>{}</summary>\n\n{}\n</details>\n",
        html(summary),
        body.trim_end_matches('\n')
    )
}

/// A table: the header row, the delimiter row, then the rows (cells
/// already escaped). Every row has as many cells as the header.
pub(crate) fn table(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let cells: Vec<&str> = cells.collect();
        format!("| {} |\n", cells.join(" | "))
    };
    out.push_str(&line(&mut head.iter().copied()));
    out.push_str(&line(&mut head.iter().map(|_| "---")));
    for r in rows {
        let mut cells: Vec<&str> = r.iter().map(String::as_str).collect();
        cells.resize(head.len(), "");
        out.push_str(&line(&mut cells.into_iter()));
    }
    out
}

/// Text inside an HTML element: `&`, `<`, `>` escaped.
fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn longest_run(s: &str, c: char) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for ch in s.chars() {
        run = if ch == c { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

// ---------------------------------------------------------------- check

/// The schema a finding is listed under (`migrations` for migrations).
fn schema_of(f: &Finding) -> String {
    match f.object.kind {
        ObjectKind::Migration => String::new(),
        _ => f.object.schema.clone(),
    }
}

/// The object, short: its kind, then its path within the schema as code.
fn object_cell(f: &Finding) -> String {
    let o = &f.object;
    let path: Vec<&str> = [o.table.as_deref(), o.name.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    match path.is_empty() {
        true => format!("{} {}", o.kind.noun(), code(&o.schema)),
        false => format!("{} {}", o.kind.noun(), code(&path.join("."))),
    }
}

/// The severity, or that the finding is waived (until when, by whom, why).
fn severity_cell(f: &Finding) -> String {
    match f.waiver.as_ref().filter(|w| !w.expired) {
        Some(w) => format!(
            "{} (waived until {} by {}: {})",
            f.severity.as_str(),
            text(&w.expires.to_string()),
            text(&w.owner),
            text(&w.reason)
        ),
        None => f.severity.as_str().to_string(),
    }
}

/// Where the finding comes from: its migration and the migration's file,
/// else the expected schema's file.
fn provenance_cell(report: &CheckReport<'_>, f: &Finding) -> String {
    let file = report.file_of(f);
    match (&f.migration, file) {
        (Some(m), Some(file)) => format!("migration {} ({})", code(m), code(file)),
        (Some(m), None) => format!("migration {}", code(m)),
        (None, Some(file)) => code(file),
        (None, None) => String::new(),
    }
}

/// One section per schema: a table of its findings, then their fix hints.
fn check_sections(out: &mut String, report: &CheckReport<'_>, level: usize) {
    let mut groups: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
    for f in report.findings() {
        groups.entry(schema_of(f)).or_default().push(f);
    }
    let hashes = "#".repeat(level);
    for (schema, findings) in &groups {
        let title = match schema.is_empty() {
            true => "Migrations".to_string(),
            false => format!("Schema {}", code(schema)),
        };
        let _ = writeln!(out, "{hashes} {title}\n");
        let rows: Vec<Vec<String>> = findings
            .iter()
            .map(|f| {
                vec![
                    code(&f.rule),
                    severity_cell(f),
                    object_cell(f),
                    text(&f.message),
                    provenance_cell(report, f),
                ]
            })
            .collect();
        out.push_str(&table(
            &["Rule", "Severity", "Object", "Message", "Provenance"],
            &rows,
        ));
        let hints: Vec<String> = findings
            .iter()
            .filter_map(|f| {
                f.hint
                    .as_ref()
                    .map(|h| format!("- {}: {}\n", object_cell(f), text(h)))
            })
            .collect();
        if !hints.is_empty() {
            let _ = writeln!(out, "\nFixes:\n");
            out.extend(hints);
        }
        out.push('\n');
    }
}

/// The body of a check report (no title): the summary line in bold, what
/// was compared, a section per schema, the quarantine count. `level` is
/// the heading level of the sections.
pub(crate) fn check_body(report: &CheckReport<'_>, level: usize) -> String {
    let mut out = format!("**{}**\n\n", text(&summary_line(report)));
    let _ = writeln!(
        out,
        "Checked {} against {}.\n",
        code(report.actual),
        text(report.expected)
    );
    check_sections(&mut out, report, level);
    if let Some(line) = quarantine_line(report) {
        let _ = writeln!(out, "{}\n", text(&line));
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// Renders `check --format markdown`.
pub fn render(report: &CheckReport<'_>) -> String {
    let verdict = if report.failing() > 0 {
        "drift"
    } else if report.summary().total() > 0 {
        "passing"
    } else {
        "no drift"
    };
    format!("## driftless check: {verdict}\n\n{}", check_body(report, 3))
}

// ---------------------------------------------------------------- plans

/// "3 steps (2 safe, 1 locking)".
fn step_counts(steps: &[FixStep]) -> String {
    let mut by: BTreeMap<Safety, usize> = BTreeMap::new();
    for s in steps {
        *by.entry(s.safety).or_default() += 1;
    }
    let classes: Vec<String> = by.iter().map(|(s, n)| format!("{n} {s}")).collect();
    match classes.is_empty() {
        true => plural(steps.len(), "step", "steps"),
        false => format!(
            "{} ({})",
            plural(steps.len(), "step", "steps"),
            classes.join(", ")
        ),
    }
}

fn step_rows(steps: &[FixStep], numbered: bool) -> Vec<Vec<String>> {
    steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut row = Vec::new();
            if numbered {
                row.push((i + 1).to_string());
            }
            let rows = s
                .affected_rows
                .map(|n| format!(" ({} affected)", plural(n as usize, "row", "rows")))
                .unwrap_or_default();
            row.extend([
                format!("{}{rows}", s.safety),
                text(&s.action),
                code(&s.object.path()),
                text(&s.reason),
            ]);
            row
        })
        .collect()
}

/// The body of a plan (no title): a summary line, a table of the steps,
/// the SQL in a collapsible block, the withheld steps and the findings
/// without an automatic fix. `level` is the heading level of the sections.
pub(crate) fn plan_body(plan: &FixPlan, level: usize) -> String {
    let hashes = "#".repeat(level);
    let mut summary = format!("{} for {}", step_counts(&plan.steps), plan.dialect);
    if !plan.withheld.is_empty() {
        let _ = write!(summary, "; {} withheld", plan.withheld.len());
    }
    if !plan.unfixed.is_empty() {
        let _ = write!(
            summary,
            "; {} without an automatic fix",
            plural(plan.unfixed.len(), "finding", "findings")
        );
    }
    let mut out = format!(
        "**{}.** Base schema {}.\n\n",
        text(&summary),
        code(&plan.base)
    );
    if !plan.steps.is_empty() {
        out.push_str(&table(
            &["#", "Safety", "Action", "Object", "Reason"],
            &step_rows(&plan.steps, true),
        ));
        out.push('\n');
        let title = format!("Plan: {}", plural(plan.steps.len(), "step", "steps"));
        out.push_str(&details(&title, &fenced("sql", &plan.to_sql())));
        out.push('\n');
    }
    if !plan.withheld.is_empty() {
        let _ = writeln!(out, "{hashes} Withheld (above the allowed safety class)\n");
        out.push_str(&table(
            &["Safety", "Action", "Object", "Reason"],
            &step_rows(&plan.withheld, false),
        ));
        out.push('\n');
    }
    if !plan.unfixed.is_empty() {
        let _ = writeln!(out, "{hashes} Not fixable automatically\n");
        let rows: Vec<Vec<String>> = plan
            .unfixed
            .iter()
            .map(|u| {
                vec![
                    code(&u.finding.rule),
                    code(&u.finding.object.path()),
                    text(&u.finding.message),
                    text(&u.why),
                ]
            })
            .collect();
        out.push_str(&table(&["Rule", "Object", "Message", "Why"], &rows));
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// Renders `plan --format markdown`.
pub fn render_plan(plan: &FixPlan) -> String {
    let title = match plan.steps.len() {
        0 => "nothing to run".to_string(),
        n => plural(n, "step", "steps"),
    };
    format!("## driftless plan: {title}\n\n{}", plan_body(plan, 3))
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn snapshot() {
        let lib = library_report(true);
        assert_snapshot("check.markdown", &render(&report(&lib)));
        let clean = library_report(false);
        assert_snapshot("check-clean.markdown", &render(&report(&clean)));
    }

    #[test]
    fn plan_snapshot() {
        assert_snapshot("plan.markdown", &render_plan(&plan()));
    }

    #[test]
    fn cells_escape_what_would_end_or_format_them() {
        assert_eq!(text("a|b"), "a\\|b");
        assert_eq!(text("line\r\nnext\rthird\n"), "line<br>next<br>third<br>");
        assert_eq!(text("<b>&</b>"), "&lt;b&gt;&amp;&lt;/b&gt;");
        assert_eq!(text("*_x_* [l](u) `c`"), "\\*\\_x\\_\\* \\[l\\](u) \\`c\\`");
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code("a\nb"), "`a b`");
        assert_eq!(fenced("sql", "SELECT 1;\n"), "```sql\nSELECT 1;\n```\n");
        assert_eq!(fenced("", "a ```` b"), "`````\na ```` b\n`````\n");
        let t = table(
            &["a", "b"],
            &[vec!["1".into()], vec!["2".into(), "3".into()]],
        );
        assert_eq!(t, "| a | b |\n| --- | --- |\n| 1 |  |\n| 2 | 3 |\n");
    }
}
