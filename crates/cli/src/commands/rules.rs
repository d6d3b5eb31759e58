//! `driftless rules`: every rule, from its metadata.

use std::fmt::Write as _;

use anyhow::{Context as _, Result};
use driftless_rules::{reference_markdown, Registry};
use serde_json::json;

use super::Ctx;
use crate::args::{RulesArgs, RulesFormat, SchemaArgs, SchemaName};
use crate::Status;

/// Version of the JSON document.
const FORMAT_VERSION: u32 = 1;

/// Lists the built-in rules.
pub fn run(ctx: &Ctx, args: &RulesArgs) -> Result<Status> {
    let registry = Registry::builtin();
    let text = match args.format {
        RulesFormat::Text => text(&registry),
        RulesFormat::Markdown => {
            let mut md = reference_markdown(&registry);
            md.push('\n');
            md
        }
        RulesFormat::Json => {
            let rules: Vec<_> = registry
                .metas()
                .map(|m| {
                    json!({
                        "id": m.id,
                        "summary": m.summary,
                        "rationale": m.rationale,
                        "default_severity": m.default_severity.as_str(),
                        "enabled_by_default": m.enabled_by_default,
                        "example": m.example,
                        "fix": m.fix,
                    })
                })
                .collect();
            let doc = json!({ "format_version": FORMAT_VERSION, "rules": rules });
            crate::format::documents::document(SchemaName::Rules, doc)
        }
    };
    ctx.write_stdout(&text).context("writing the rule list")?;
    Ok(Status::Clean)
}

fn text(registry: &Registry) -> String {
    let width = registry.metas().map(|m| m.id.len()).max().unwrap_or(0);
    let mut out = String::new();
    for m in registry.metas() {
        let enabled = if m.enabled_by_default {
            ""
        } else {
            " (off by default)"
        };
        let _ = writeln!(
            out,
            "{:<width$}  {:<7}  {}{enabled}",
            m.id,
            m.default_severity.as_str(),
            m.summary
        );
    }
    let _ = writeln!(
        out,
        "\n{} rules. `driftless rules --format markdown` prints the full reference.",
        registry.len()
    );
    out
}

/// `driftless schema NAME`: the published JSON Schema of a document.
pub fn schema(ctx: &Ctx, args: &SchemaArgs) -> Result<Status> {
    let name: SchemaName = args.document;
    ctx.write_stdout(name.text())
        .context("writing the JSON Schema")?;
    Ok(Status::Clean)
}
