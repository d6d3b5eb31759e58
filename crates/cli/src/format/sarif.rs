//! `--format sarif`: SARIF 2.1.0 for code-scanning upload. The rules come
//! from the rule metadata; each finding is a result whose location is the
//! database object, as a logical location (`main.users.email`, kind
//! `column`).

use driftless_rules::{Finding, RuleMeta, Severity};
use serde_json::{json, Map, Value};

use super::CheckReport;

/// The schema URI written into the log.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// `missing-column` → `MissingColumn` (SARIF's recommended rule name form).
fn pascal(id: &str) -> String {
    id.split(['-', '_'])
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(first) => first.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

fn rule(meta: &RuleMeta) -> Value {
    json!({
        "id": meta.id,
        "name": pascal(meta.id),
        "shortDescription": {"text": meta.summary},
        "fullDescription": {"text": meta.rationale},
        "help": {
            "text": format!("{}\n\nExample: {}\n\nFix: {}", meta.rationale, meta.example, meta.fix),
            "markdown": format!("{}\n\n**Example:** `{}`\n\n**Fix:** {}", meta.rationale, meta.example, meta.fix),
        },
        "defaultConfiguration": {
            "enabled": meta.enabled_by_default,
            "level": level(meta.default_severity),
        },
    })
}

/// A relative path as a URI reference: `/` separators, reserved and
/// non-ASCII bytes percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.replace('\\', "/").bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(char::from(b))
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

fn result(f: &Finding, rule_index: Option<usize>, file: Option<&str>) -> Value {
    let mut r = Map::new();
    r.insert("ruleId".into(), json!(f.rule));
    if let Some(i) = rule_index {
        r.insert("ruleIndex".into(), json!(i));
    }
    r.insert("level".into(), json!(level(f.severity)));
    let mut text = f.message.clone();
    if let Some(h) = &f.hint {
        text.push_str(&format!("\nFix: {h}"));
    }
    r.insert("message".into(), json!({ "text": text }));
    let name = f
        .object
        .name
        .clone()
        .or_else(|| f.object.table.clone())
        .unwrap_or_else(|| f.object.schema.clone());
    let mut location = Map::new();
    // Code scanning shows a result on a file: the migration that made the
    // object, or the snapshot file, when known.
    if let Some(file) = file {
        location.insert(
            "physicalLocation".into(),
            json!({ "artifactLocation": { "uri": uri(file) } }),
        );
    }
    location.insert(
        "logicalLocations".into(),
        json!([{
            "name": name,
            "fullyQualifiedName": f.object.path(),
            "kind": f.object.kind.as_str(),
        }]),
    );
    r.insert("locations".into(), json!([Value::Object(location)]));
    r.insert(
        "partialFingerprints".into(),
        json!({ "driftlessObject/v1": format!("{}:{}:{}", f.rule, f.object.kind, f.object.path()) }),
    );
    if let Some(w) = f.waiver.as_ref().filter(|w| !w.expired) {
        r.insert(
            "suppressions".into(),
            json!([{
                "kind": "external",
                "status": "accepted",
                "justification": format!("{} (owner {}, until {})", w.reason, w.owner, w.expires),
            }]),
        );
    }
    let mut props = Map::new();
    props.insert("objectKind".into(), json!(f.object.kind.as_str()));
    if let Some(e) = &f.expected {
        props.insert("expected".into(), e.clone());
    }
    if let Some(a) = &f.actual {
        props.insert("actual".into(), a.clone());
    }
    if let Some(m) = &f.migration {
        props.insert("migration".into(), json!(m));
    }
    if let Some(w) = f.waiver.as_ref().filter(|w| w.expired) {
        props.insert(
            "expiredWaiver".into(),
            json!({"reason": w.reason, "owner": w.owner, "expires": w.expires}),
        );
    }
    r.insert("properties".into(), Value::Object(props));
    Value::Object(r)
}

/// Renders the report as a SARIF 2.1.0 log.
pub fn render(report: &CheckReport<'_>) -> String {
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [run(report)],
    });
    super::pretty_json(&doc)
}

/// The SARIF run of one report (a fleet writes one run per target).
pub fn run(report: &CheckReport<'_>) -> Value {
    // Rules that ran, plus any rule a finding names that the list lacks.
    let mut rules: Vec<Value> = report.rules.iter().map(rule).collect();
    let mut ids: Vec<String> = report.rules.iter().map(|r| r.id.to_string()).collect();
    for f in report.findings() {
        if !ids.contains(&f.rule) {
            ids.push(f.rule.clone());
            rules.push(json!({ "id": f.rule }));
        }
    }
    let results: Vec<Value> = report
        .findings()
        .iter()
        .map(|f| {
            result(
                f,
                ids.iter().position(|id| *id == f.rule),
                report.file_of(f),
            )
        })
        .collect();
    json!({
            "tool": {
                "driver": {
                    "name": "driftless",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": env!("CARGO_PKG_REPOSITORY"),
                    "rules": rules,
                },
            },
            "invocations": [{
                "executionSuccessful": true,
                "properties": {
                    "expected": report.expected,
                    "actual": report.actual,
                    "failOn": report.fail_on().as_str(),
                },
            }],
            "results": results,
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn snapshot() {
        let lib = library_report(true);
        assert_snapshot("check.sarif", &render(&report(&lib)));
    }

    #[test]
    fn uris() {
        assert_eq!(
            uri("migrations/0005 add x.sql"),
            "migrations/0005%20add%20x.sql"
        );
        assert_eq!(uri("a\\b/ü.sql"), "a/b/%C3%BC.sql");
    }

    #[test]
    fn names() {
        assert_eq!(pascal("missing-column"), "MissingColumn");
        assert_eq!(pascal("x"), "X");
    }

    /// Properties each SARIF 2.1.0 object may have (the schema sets
    /// `additionalProperties: false` on all of them) and must have.
    fn shape(kind: &str) -> (&'static [&'static str], &'static [&'static str]) {
        match kind {
            "sarifLog" => (
                &[
                    "$schema",
                    "version",
                    "runs",
                    "inlineExternalProperties",
                    "properties",
                ],
                &["version", "runs"],
            ),
            "run" => (
                &[
                    "tool",
                    "invocations",
                    "conversion",
                    "language",
                    "versionControlProvenance",
                    "originalUriBaseIds",
                    "artifacts",
                    "logicalLocations",
                    "graphs",
                    "results",
                    "automationDetails",
                    "runAggregates",
                    "baselineGuid",
                    "redactionTokens",
                    "defaultEncoding",
                    "defaultSourceLanguage",
                    "newlineSequences",
                    "columnKind",
                    "externalPropertyFileReferences",
                    "threadFlowLocations",
                    "taxonomies",
                    "addresses",
                    "translations",
                    "policies",
                    "webRequests",
                    "webResponses",
                    "specialLocations",
                    "properties",
                ],
                &["tool"],
            ),
            "tool" => (&["driver", "extensions", "properties"], &["driver"]),
            "toolComponent" => (
                &[
                    "guid",
                    "name",
                    "organization",
                    "product",
                    "productSuite",
                    "shortDescription",
                    "fullDescription",
                    "fullName",
                    "version",
                    "semanticVersion",
                    "dottedQuadFileVersion",
                    "releaseDateUtc",
                    "downloadUri",
                    "informationUri",
                    "globalMessageStrings",
                    "notifications",
                    "rules",
                    "taxa",
                    "locations",
                    "language",
                    "contents",
                    "isComprehensive",
                    "localizedDataSemanticVersion",
                    "minimumRequiredLocalizedDataSemanticVersion",
                    "associatedComponent",
                    "translationMetadata",
                    "supportedTaxonomies",
                    "properties",
                ],
                &["name"],
            ),
            "reportingDescriptor" => (
                &[
                    "id",
                    "deprecatedIds",
                    "guid",
                    "deprecatedGuids",
                    "name",
                    "deprecatedNames",
                    "shortDescription",
                    "fullDescription",
                    "messageStrings",
                    "defaultConfiguration",
                    "helpUri",
                    "help",
                    "relationships",
                    "properties",
                ],
                &["id"],
            ),
            "multiformatMessageString" => (&["text", "markdown", "properties"], &["text"]),
            "reportingConfiguration" => (
                &["enabled", "level", "rank", "parameters", "properties"],
                &[],
            ),
            "invocation" => (
                &[
                    "commandLine",
                    "arguments",
                    "responseFiles",
                    "startTimeUtc",
                    "endTimeUtc",
                    "exitCode",
                    "ruleConfigurationOverrides",
                    "notificationConfigurationOverrides",
                    "toolExecutionNotifications",
                    "toolConfigurationNotifications",
                    "exitCodeDescription",
                    "exitSignalName",
                    "exitSignalNumber",
                    "processStartFailureMessage",
                    "executionSuccessful",
                    "machine",
                    "account",
                    "processId",
                    "executableLocation",
                    "workingDirectory",
                    "environmentVariables",
                    "stdin",
                    "stdout",
                    "stderr",
                    "stdoutStderr",
                    "properties",
                ],
                &["executionSuccessful"],
            ),
            "result" => (
                &[
                    "ruleId",
                    "ruleIndex",
                    "rule",
                    "kind",
                    "level",
                    "message",
                    "analysisTarget",
                    "locations",
                    "guid",
                    "correlationGuid",
                    "occurrenceCount",
                    "partialFingerprints",
                    "fingerprints",
                    "stacks",
                    "codeFlows",
                    "graphs",
                    "graphTraversals",
                    "relatedLocations",
                    "suppressions",
                    "baselineState",
                    "rank",
                    "attachments",
                    "hostedViewerUri",
                    "workItemUris",
                    "provenance",
                    "fixes",
                    "taxa",
                    "webRequest",
                    "webResponse",
                    "properties",
                ],
                &["message"],
            ),
            "message" => (&["text", "markdown", "id", "arguments", "properties"], &[]),
            "location" => (
                &[
                    "id",
                    "physicalLocation",
                    "logicalLocations",
                    "message",
                    "annotations",
                    "relationships",
                    "properties",
                ],
                &[],
            ),
            "physicalLocation" => (
                &[
                    "address",
                    "artifactLocation",
                    "region",
                    "contextRegion",
                    "properties",
                ],
                &[],
            ),
            "artifactLocation" => (
                &["uri", "uriBaseId", "index", "description", "properties"],
                &[],
            ),
            "logicalLocation" => (
                &[
                    "name",
                    "index",
                    "fullyQualifiedName",
                    "decoratedName",
                    "parentIndex",
                    "kind",
                    "properties",
                ],
                &[],
            ),
            "suppression" => (
                &[
                    "guid",
                    "kind",
                    "status",
                    "justification",
                    "location",
                    "properties",
                ],
                &["kind"],
            ),
            other => panic!("no shape for {other}"),
        }
    }

    fn check(kind: &str, v: &Value, at: &str) {
        let obj = v
            .as_object()
            .unwrap_or_else(|| panic!("{at}: {kind} must be an object"));
        let (allowed, required) = shape(kind);
        for key in obj.keys() {
            assert!(
                allowed.contains(&key.as_str()),
                "{at}: {kind} may not have `{key}`"
            );
        }
        for key in required {
            assert!(obj.contains_key(*key), "{at}: {kind} needs `{key}`");
        }
        if let Some(p) = obj.get("properties") {
            assert!(
                p.is_object(),
                "{at}.properties: a property bag is an object"
            );
        }
    }

    fn each<'v>(v: &'v Value, key: &str, at: &str) -> Vec<(String, &'v Value)> {
        match v.get(key) {
            None => vec![],
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, x)| (format!("{at}.{key}[{i}]"), x))
                .collect(),
            Some(other) => panic!("{at}.{key} must be an array, is {other}"),
        }
    }

    /// Walks the log and checks every object against the 2.1.0 schema's
    /// property lists, required properties and enumerations.
    fn validate(log: &Value) {
        check("sarifLog", log, "$");
        assert_eq!(log["version"], "2.1.0");
        for (at, run) in each(log, "runs", "$") {
            check("run", run, &at);
            check("tool", &run["tool"], &format!("{at}.tool"));
            let driver = &run["tool"]["driver"];
            check("toolComponent", driver, &format!("{at}.tool.driver"));
            let rule_count = driver["rules"].as_array().map_or(0, Vec::len);
            for (at, r) in each(driver, "rules", &format!("{at}.tool.driver")) {
                check("reportingDescriptor", r, &at);
                for key in ["shortDescription", "fullDescription", "help"] {
                    if let Some(m) = r.get(key) {
                        check("multiformatMessageString", m, &format!("{at}.{key}"));
                    }
                }
                if let Some(c) = r.get("defaultConfiguration") {
                    check(
                        "reportingConfiguration",
                        c,
                        &format!("{at}.defaultConfiguration"),
                    );
                    assert!(["none", "note", "warning", "error"]
                        .contains(&c["level"].as_str().unwrap()));
                }
            }
            for (at, inv) in each(run, "invocations", &at) {
                check("invocation", inv, &at);
                assert!(inv["executionSuccessful"].is_boolean());
            }
            for (at, res) in each(run, "results", &at) {
                check("result", res, &at);
                check("message", &res["message"], &format!("{at}.message"));
                assert!(
                    res["message"]["text"].is_string() || res["message"]["id"].is_string(),
                    "{at}.message: text or id"
                );
                if let Some(l) = res.get("level") {
                    assert!(
                        ["none", "note", "warning", "error"].contains(&l.as_str().unwrap()),
                        "{at}.level"
                    );
                }
                if let Some(i) = res.get("ruleIndex") {
                    let i = i.as_u64().unwrap() as usize;
                    assert!(i < rule_count, "{at}.ruleIndex in range");
                    assert_eq!(
                        driver["rules"][i]["id"], res["ruleId"],
                        "{at}.ruleIndex points at its rule"
                    );
                }
                for (at, loc) in each(res, "locations", &at) {
                    check("location", loc, &at);
                    for (at, l) in each(loc, "logicalLocations", &at) {
                        check("logicalLocation", l, &at);
                    }
                    if let Some(p) = loc.get("physicalLocation") {
                        check("physicalLocation", p, &format!("{at}.physicalLocation"));
                        check(
                            "artifactLocation",
                            &p["artifactLocation"],
                            &format!("{at}.physicalLocation.artifactLocation"),
                        );
                        let uri = p["artifactLocation"]["uri"].as_str().unwrap();
                        assert!(
                            !uri.contains(' ') && !uri.contains('\\'),
                            "{at}: uri-reference {uri}"
                        );
                    }
                }
                for (at, s) in each(res, "suppressions", &at) {
                    check("suppression", s, &at);
                    assert!(["inSource", "external"].contains(&s["kind"].as_str().unwrap()));
                    if let Some(st) = s.get("status") {
                        assert!(
                            ["accepted", "underReview", "rejected"].contains(&st.as_str().unwrap())
                        );
                    }
                }
                if let Some(fp) = res.get("partialFingerprints") {
                    assert!(fp.as_object().unwrap().values().all(Value::is_string));
                }
            }
        }
    }

    #[test]
    fn valid_against_the_sarif_2_1_0_schema() {
        let lib = library_report(true);
        let log: Value = serde_json::from_str(&render(&report(&lib))).unwrap();
        validate(&log);
        assert_eq!(
            log["runs"][0]["results"].as_array().unwrap().len(),
            lib.findings.len()
        );
        assert_eq!(
            log["runs"][0]["tool"]["driver"]["rules"]
                .as_array()
                .unwrap()
                .len(),
            RULES.len()
        );
        let empty: Value = serde_json::from_str(&render(&report(&library_report(false)))).unwrap();
        validate(&empty);
    }

    #[test]
    fn unknown_rules_still_resolve() {
        let mut lib = library_report(true);
        lib.findings[0].rule = "custom-rule".into();
        let log: Value = serde_json::from_str(&render(&report(&lib))).unwrap();
        let results = log["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results[0]["ruleId"], "custom-rule");
        assert_eq!(
            log["runs"][0]["tool"]["driver"]["rules"]
                [results[0]["ruleIndex"].as_u64().unwrap() as usize]["id"],
            "custom-rule"
        );
        validate(&log);
    }
}
