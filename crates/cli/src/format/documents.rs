//! The JSON documents driftless writes and their published JSON Schemas
//! (draft 2020-12, in `crates/cli/schema/`), printed by `driftless schema
//! NAME`. Every document but a snapshot names its schema in a `$schema`
//! key, first; a snapshot is read back strictly by older versions, so it
//! carries only its `format_version`.

use serde_json::{Map, Value};

use crate::args::SchemaName;

impl SchemaName {
    /// The schema's `$id`, the value of a document's `$schema` key.
    pub fn id(self) -> &'static str {
        match self {
            SchemaName::Report => "https://driftless.dev/schema/report/v1.json",
            SchemaName::Plan => "https://driftless.dev/schema/plan/v1.json",
            SchemaName::Migrations => "https://driftless.dev/schema/migrations/v1.json",
            SchemaName::Quarantine => "https://driftless.dev/schema/quarantine/v1.json",
            SchemaName::Rules => "https://driftless.dev/schema/rules/v1.json",
            SchemaName::Snapshot => "https://driftless.dev/schema/snapshot/v1.json",
            SchemaName::FleetReport => "https://driftless.dev/schema/fleet-report/v1.json",
        }
    }

    /// The schema document.
    pub fn text(self) -> &'static str {
        match self {
            SchemaName::Report => include_str!("../../schema/report.schema.json"),
            SchemaName::Plan => include_str!("../../schema/plan.schema.json"),
            SchemaName::Migrations => include_str!("../../schema/migrations.schema.json"),
            SchemaName::Quarantine => include_str!("../../schema/quarantine.schema.json"),
            SchemaName::Rules => include_str!("../../schema/rules.schema.json"),
            SchemaName::Snapshot => include_str!("../../schema/snapshot.schema.json"),
            SchemaName::FleetReport => include_str!("../../schema/fleet-report.schema.json"),
        }
    }
}

/// `doc` with `"$schema": <id of name>` as its first key.
pub(crate) fn stamped(name: SchemaName, doc: Value) -> Value {
    let Value::Object(fields) = doc else {
        return doc;
    };
    let mut out = Map::new();
    out.insert("$schema".into(), Value::String(name.id().into()));
    out.extend(fields.into_iter().filter(|(k, _)| k != "$schema"));
    Value::Object(out)
}

/// `doc`, stamped with its schema, pretty-printed with a final newline.
pub(crate) fn document(name: SchemaName, doc: Value) -> String {
    super::pretty_json(&stamped(name, doc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn every_schema_is_json_with_its_id_and_the_2020_12_dialect() {
        for name in SchemaName::value_variants() {
            let schema: Value = serde_json::from_str(name.text()).unwrap();
            assert_eq!(schema["$id"], name.id(), "{name:?}");
            assert_eq!(
                schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
                "{name:?}"
            );
            if *name != SchemaName::Snapshot {
                assert_eq!(schema["properties"]["$schema"]["const"], name.id());
            }
        }
    }

    #[test]
    fn plan_snapshot() {
        let plan = super::super::fixtures::plan();
        super::super::fixtures::assert_snapshot("plan.json", &super::super::plan_json(&plan));
    }

    #[test]
    fn the_schema_key_comes_first_and_only_once() {
        let doc = serde_json::json!({"format_version": 1, "$schema": "old", "x": []});
        let text = document(SchemaName::Rules, doc);
        assert!(
            text.starts_with("{\n  \"$schema\": \"https://driftless.dev/schema/rules/v1.json\",\n  \"format_version\": 1,"),
            "{text}"
        );
        assert_eq!(text.matches("$schema").count(), 1);
    }
}
