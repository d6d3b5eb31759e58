//! The rule reference, generated from rule metadata.

use std::fmt::Write as _;

use crate::registry::Registry;
use crate::rule::RuleMeta;

/// Marker that opens the generated section of the README.
pub const README_START: &str = "<!-- rules:start -->";
/// Marker that closes the generated section of the README.
pub const README_END: &str = "<!-- rules:end -->";

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn section(out: &mut String, m: &RuleMeta) {
    let _ = writeln!(out, "### `{}`\n", m.id);
    let _ = writeln!(
        out,
        "Default severity: **{}** · enabled by default: **{}**\n",
        m.default_severity,
        if m.enabled_by_default { "yes" } else { "no" }
    );
    let _ = writeln!(out, "**What it does.** {}\n", m.summary);
    let _ = writeln!(out, "**Why is this bad?** {}\n", m.rationale);
    let _ = writeln!(
        out,
        "**Example**\n\n```sql\n{}\n```\n",
        m.example.trim_end()
    );
    let _ = writeln!(out, "**Fix safety.** {}\n", m.fix);
}

/// The rule reference as Markdown: a table (id, default severity, enabled
/// by default, summary) and a section per rule. The README's rule section
/// is exactly this text.
///
/// ```
/// use driftless_rules::{reference_markdown, Registry};
/// let md = reference_markdown(&Registry::builtin());
/// assert!(md.contains("| [`missing-column`](#missing-column) | error | yes |"));
/// assert!(md.contains("### `missing-column`"));
/// ```
pub fn reference_markdown(registry: &Registry) -> String {
    let mut out = String::new();
    out.push_str("| Rule | Default severity | Enabled | Summary |\n|---|---|---|---|\n");
    for m in registry.metas() {
        let _ = writeln!(
            out,
            "| [`{}`](#{}) | {} | {} | {} |",
            m.id,
            m.id,
            m.default_severity,
            if m.enabled_by_default { "yes" } else { "no" },
            cell(m.summary)
        );
    }
    out.push('\n');
    for m in registry.metas() {
        section(&mut out, m);
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// `readme` with the text between [`README_START`] and [`README_END`]
/// replaced by `reference`; when the markers are absent, a `## Rules`
/// section holding them is appended.
#[cfg(test)]
pub(crate) fn splice_readme(readme: &str, reference: &str) -> String {
    let block = format!("{README_START}\n{reference}{README_END}");
    if let (Some(start), Some(end)) = (readme.find(README_START), readme.find(README_END)) {
        if start < end {
            return format!(
                "{}{block}{}",
                &readme[..start],
                &readme[end + README_END.len()..]
            );
        }
    }
    let mut out = readme.trim_end().to_string();
    out.push_str(&format!("\n\n## Rules\n\n{block}\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splices_between_markers_and_appends_when_absent() {
        let appended = splice_readme("# x\n\ntext\n", "REF\n");
        assert_eq!(
            appended,
            "# x\n\ntext\n\n## Rules\n\n<!-- rules:start -->\nREF\n<!-- rules:end -->\n"
        );
        let replaced = splice_readme(&appended, "NEW\n");
        assert_eq!(
            replaced,
            "# x\n\ntext\n\n## Rules\n\n<!-- rules:start -->\nNEW\n<!-- rules:end -->\n"
        );
        assert_eq!(splice_readme(&replaced, "NEW\n"), replaced);
    }

    #[test]
    fn every_rule_has_a_section_and_a_row() {
        let r = Registry::builtin();
        let md = reference_markdown(&r);
        for m in r.metas() {
            assert!(md.contains(&format!("### `{}`", m.id)));
            assert!(md.contains(&format!("| [`{}`](#{}) |", m.id, m.id)));
        }
        assert!(md.ends_with('\n') && !md.ends_with("\n\n"));
    }

    /// The README's rule reference is generated from rule metadata; this
    /// fails when it is stale. Regenerate with
    /// `DRIFTLESS_BLESS=1 cargo test -p driftless-rules readme`.
    #[test]
    fn readme_rule_reference_is_up_to_date() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let wanted = splice_readme(&text, &reference_markdown(&Registry::builtin()));
        if wanted == text {
            return;
        }
        if driftless_testkit::bless() {
            std::fs::write(&path, wanted).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            return;
        }
        panic!(
            "the rule reference in {} is stale; regenerate it with:\n\n    DRIFTLESS_BLESS=1 cargo test -p driftless-rules readme\n",
            path.display()
        );
    }
}
