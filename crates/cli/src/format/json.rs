//! `--format json`: one document with a format version, the findings and a
//! summary. The shape is stable: fields are only ever added.

use driftless_rules::Finding;
use serde_json::{json, Map, Value};

use super::CheckReport;

/// Version of the JSON report format.
pub const FORMAT_VERSION: u32 = 1;

fn finding(f: &Finding) -> Value {
    let mut o = Map::new();
    o.insert("rule".into(), json!(f.rule));
    o.insert("severity".into(), json!(f.severity.as_str()));
    o.insert(
        "object".into(),
        json!({
            "kind": f.object.kind.as_str(),
            "schema": f.object.schema,
            "table": f.object.table,
            "name": f.object.name,
        }),
    );
    o.insert("message".into(), json!(f.message));
    o.insert("expected".into(), f.expected.clone().unwrap_or(Value::Null));
    o.insert("actual".into(), f.actual.clone().unwrap_or(Value::Null));
    if let Some(m) = &f.migration {
        o.insert("migration".into(), json!(m));
    }
    if let Some(h) = &f.hint {
        o.insert("hint".into(), json!(h));
    }
    if let Some(w) = &f.waiver {
        o.insert(
            "waiver".into(),
            json!({"reason": w.reason, "owner": w.owner, "expires": w.expires, "expired": w.expired}),
        );
    }
    Value::Object(o)
}

/// Renders the report as pretty JSON with a trailing newline.
pub fn render(report: &CheckReport<'_>) -> String {
    let s = report.summary();
    let failing = report.failing();
    let doc = json!({
        "format_version": FORMAT_VERSION,
        "findings": report.findings().iter().map(finding).collect::<Vec<_>>(),
        "summary": {
            "status": if failing > 0 { "drift" } else { "clean" },
            "fail_on": report.fail_on().as_str(),
            "total": s.total(),
            "failing": failing,
            "errors": s.error,
            "warnings": s.warning,
            "info": s.info,
            "waived": s.waived,
            "ignored": s.ignored,
            "expected": report.expected,
            "actual": report.actual,
        },
    });
    let mut doc = doc;
    if report.quarantined > 0 {
        doc["summary"]["quarantined"] = json!(report.quarantined);
    }
    super::documents::document(crate::args::SchemaName::Report, doc)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn snapshot() {
        let lib = library_report(true);
        assert_snapshot("check.json", &render(&report(&lib)));
    }

    #[test]
    fn document_shape() {
        let lib = library_report(true);
        let doc: Value = serde_json::from_str(&render(&report(&lib))).unwrap();
        assert_eq!(doc["format_version"], 1);
        let list = doc["findings"].as_array().unwrap();
        assert_eq!(list.len(), 5);
        for f in list {
            for key in [
                "rule", "severity", "object", "message", "expected", "actual",
            ] {
                assert!(f.get(key).is_some(), "{key} in {f}");
            }
            for key in ["kind", "schema", "table", "name"] {
                assert!(f["object"].get(key).is_some(), "object.{key} in {f}");
            }
        }
        assert_eq!(doc["summary"]["failing"], 3);
        assert_eq!(doc["summary"]["status"], "drift");
        let clean: Value = serde_json::from_str(&render(&report(&library_report(false)))).unwrap();
        assert_eq!(clean["summary"]["status"], "clean");
        assert_eq!(clean["findings"], json!([]));
    }
}
