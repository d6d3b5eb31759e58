//! Tables a partition manager makes at run time: pg_partman creates a
//! partition per day, month or id range ahead of time (and a template
//! table it copies settings from), so that no migration names them and
//! two databases made by the same migrations on different days hold
//! different partitions. They are recognised from the manager's own
//! configuration (`part_config`: `parent_table`, `template_table`) and
//! listed as objects the extension owns: counted apart, never reported as
//! drift, never changed by a fix. The partitioned table itself stays a
//! table, compared as any other.
//!
//! The configuration table is named by the extension's schema, which a
//! plain query cannot follow; the [`UNMODELED`](super::query::UNMODELED)
//! query reads it with `query_to_xml` (no extra round trip), as a row of
//! kind [`MANAGER`] whose definition is that XML, and only when the reading
//! role may select from it.

use std::collections::BTreeMap;

use foldhash::HashMap;

use super::rows::UnmodeledRow;
use driftless_model::{CatalogKind, CatalogObject, Snapshot};

/// The kind of the row naming an installed partition manager.
pub(super) const MANAGER: &str = "partition manager";

/// What the installed partition managers manage.
#[derive(Debug, Default)]
pub(super) struct Managed {
    /// Managed table (schema, name) → (its manager, the kind it is listed
    /// as, the table it is a partition of).
    tables: BTreeMap<(String, String), (String, CatalogKind, Option<String>)>,
}

impl Managed {
    /// Takes the manager rows out of `rows` and finds, among the partition
    /// rows (`schema_names`: namespace oid → schema), the partitions of the
    /// tables they manage, and of those partitions in turn
    /// (sub-partitioning).
    pub(super) fn take(rows: &mut Vec<UnmodeledRow>, schema_names: &HashMap<u32, String>) -> Self {
        let mut out = Managed::default();
        let managers: Vec<UnmodeledRow> = rows.extract_if(.., |r| r.kind == MANAGER).collect();
        let mut parents: BTreeMap<String, String> = BTreeMap::new();
        for m in &managers {
            let xml = m.definition.as_deref().unwrap_or_default();
            for parent in xml_values(xml, "parent_table") {
                parents.insert(parent, m.name.clone());
            }
            for template in xml_values(xml, "template_table") {
                if let Some((s, t)) = template.split_once('.') {
                    let entry = (m.name.clone(), CatalogKind::PartitionTemplate, None);
                    out.tables.insert((s.to_string(), t.to_string()), entry);
                }
            }
        }
        let partitions: Vec<(String, &UnmodeledRow)> = rows
            .iter()
            .filter(|r| r.kind == CatalogKind::Partition.as_str())
            .filter_map(|r| Some((schema_names.get(&r.namespace)?.clone(), r)))
            .collect();
        // Partitions of managed tables are managed; repeated until no more
        // are found, for partitions that are partitioned in turn.
        loop {
            let before = out.tables.len();
            for (schema, row) in &partitions {
                let Some(parent) = &row.parent else { continue };
                if let Some(manager) = parents.get(parent).cloned() {
                    let key = (schema.clone(), row.name.clone());
                    parents.insert(format!("{schema}.{}", row.name), manager.clone());
                    let entry = (manager, CatalogKind::Partition, Some(parent.clone()));
                    out.tables.insert(key, entry);
                }
            }
            if out.tables.len() == before {
                break;
            }
        }
        out
    }

    /// Moves the managed tables of `snap` from its schemas to the objects
    /// it lists as owned by their manager.
    pub(super) fn set_aside(self, snap: &mut Snapshot) {
        for ((schema, name), (manager, kind, parent)) in self.tables {
            let Some(s) = snap.schemas.get_mut(&schema) else {
                continue;
            };
            if s.tables.remove(&name).is_none() {
                continue;
            }
            let mut object = CatalogObject::new(kind, Some(&schema), name);
            object.extension = Some(manager);
            object.parent = parent;
            snap.unmodeled.push(object);
        }
        snap.unmodeled.sort();
    }
}

/// The text of every `<element>…</element>` of `xml` (as `query_to_xml`
/// writes a row's column), entities decoded; empty and `xsi:nil` elements
/// are left out.
fn xml_values(xml: &str, element: &str) -> Vec<String> {
    let (open, close) = (format!("<{element}>"), format!("</{element}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        let value = unescape(&after[..end]);
        if !value.is_empty() {
            out.push(value);
        }
        rest = &after[end + close.len()..];
    }
    out
}

/// XML text with its entities (`&amp;`, `&#x41;` …) decoded.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let Some(semi) = tail.find(';') else {
            out.push_str(tail);
            return out;
        };
        let entity = &tail[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .map(|h| u32::from_str_radix(h, 16))
                .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => out.push(c),
            None => out.push_str(&tail[..=semi]),
        }
        rest = &tail[semi + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"<table xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">

<row>
  <parent_table>public.events</parent_table>
  <template_table>partman.template_public_events</template_table>
</row>

<row>
  <parent_table>app.a&amp;b&#x41;</parent_table>
  <template_table xsi:nil="true"/>
</row>

</table>
"#;

    #[test]
    fn reads_the_values_of_query_to_xml() {
        assert_eq!(
            xml_values(CONFIG, "parent_table"),
            ["public.events", "app.a&bA"]
        );
        assert_eq!(
            xml_values(CONFIG, "template_table"),
            ["partman.template_public_events"]
        );
        assert_eq!(unescape("a &unknown; &lt;b"), "a &unknown; <b");
        assert_eq!(unescape("dangling &amp"), "dangling &amp");
    }

    fn row(kind: &str, namespace: u32, name: &str, parent: Option<&str>) -> UnmodeledRow {
        UnmodeledRow {
            kind: kind.into(),
            namespace,
            name: name.into(),
            table: None,
            extension: None,
            parent: parent.map(str::to_string),
            definition: (kind == MANAGER).then(|| CONFIG.to_string()),
            drop: None,
            then: Vec::new(),
            depends: Vec::new(),
            comment: None,
        }
    }

    #[test]
    fn finds_managed_partitions_and_their_own_partitions() {
        let mut rows = vec![
            row(MANAGER, 9, "pg_partman", None),
            row("partition", 1, "events_p2026_12_01", Some("public.events")),
            row(
                "partition",
                1,
                "events_p2026_12_01_a",
                Some("public.events_p2026_12_01"),
            ),
            row("partition", 1, "orders_2026", Some("public.orders")),
            row("function", 1, "f()", None),
        ];
        let names: HashMap<u32, String> = [(1, "public".to_string())].into_iter().collect();
        let managed = Managed::take(&mut rows, &names);
        assert_eq!(rows.len(), 4, "the manager row is taken out");
        let keys: Vec<&str> = managed.tables.keys().map(|(_, n)| n.as_str()).collect();
        assert_eq!(
            keys,
            [
                "template_public_events",
                "events_p2026_12_01",
                "events_p2026_12_01_a"
            ]
        );
    }
}
