use driftless_model::{CatalogKind, CatalogObject, NotCompared, ObjectKind, ObjectRef, Snapshot};

use crate::coverage::reports_expected;
use crate::finding::{Finding, FixIntent};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::json;

declare_rule! {
    UnmodeledObject {
        id: "unmodeled-object",
        summary: "The database holds objects of a kind driftless does not compare (triggers, functions, policies …).",
        rationale: "A check that is silent about what it cannot see is believed: \"no drift\" must not hide an extra trigger or policy. One finding per kind and schema counts them and names a few; objects an extension owns are counted apart, not reported. Ignore a kind with `[coverage] ignore = [\"trigger\"]` in driftless.toml.",
        severity: Info,
        enabled: true,
        example: "-- expected: table orders only\n-- actual\nCREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.updated_at = now(); RETURN NEW; END$$;\nCREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();",
        fix: "None: compare these objects by other means, or ignore their kind.",
    }
}

/// How many names a message lists before "and N more".
const NAMED: usize = 5;

impl Rule for UnmodeledObject {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        // Kinds `[coverage] ignore` names are dropped by the registry
        // (`Config::is_ignored`), and counted as ignored.
        report(cx.actual, "", out);
        if reports_expected(cx) {
            report(cx.expected, "the expected schema: ", out);
        }
    }
}

/// One finding per kind and schema of what `snap` holds and the model
/// does not compare; `side` starts the message.
fn report(snap: &Snapshot, side: &str, out: &mut Vec<Finding>) {
    for ((kind, schema), objects) in NotCompared::of(&snap.unmodeled, |_| false).groups {
        out.push(finding(kind, schema, &objects, side));
    }
}

/// The finding for `objects` of `kind` in `schema` (`""`: database-wide).
fn finding(kind: CatalogKind, schema: &str, objects: &[&CatalogObject], side: &str) -> Finding {
    let mut names: Vec<String> = objects.iter().take(NAMED).map(|o| o.label()).collect();
    if objects.len() > NAMED {
        names.push(format!("and {} more", objects.len() - NAMED));
    }
    let place = if schema.is_empty() {
        String::new()
    } else {
        format!(" in {schema}")
    };
    let mut f = Finding::new(
        &UnmodeledObject::META,
        ObjectRef::schema_object(ObjectKind::CatalogObject, schema, Some(kind.as_str())),
        format!(
            "{side}{}{place} not compared: {}",
            kind.count(objects.len()),
            names.join(", ")
        ),
        FixIntent::Manual,
    )
    .hint(format!(
        "driftless does not compare {}; to leave them out of reports: [coverage] ignore = [\"{}\"] in driftless.toml",
        kind.plural(),
        kind.as_str()
    ));
    f.actual = json(objects);
    f
}

#[cfg(test)]
mod tests {
    use super::UnmodeledObject;
    use crate::rules::testing::*;
    use driftless_model::{CatalogKind, CatalogObject};

    fn trigger(name: &str, table: &str) -> CatalogObject {
        let mut t = CatalogObject::new(CatalogKind::Trigger, Some("public"), name);
        t.table = Some(table.into());
        t
    }

    #[test]
    fn counts_by_kind_and_schema_and_skips_extension_objects() {
        let mut actual = fixture();
        let mut owned = CatalogObject::new(CatalogKind::Function, Some("public"), "citextin");
        owned.extension = Some("citext".into());
        actual.unmodeled = vec![
            owned,
            trigger("a_touch", "a"),
            trigger("b_touch", "b"),
            CatalogObject::new(CatalogKind::EventTrigger, None, "audit_ddl"),
        ];
        actual.unmodeled.sort();
        let findings = run_pair(&UnmodeledObject, &fixture(), &actual);
        let found: Vec<(String, &str)> = findings
            .iter()
            .map(|f| (f.object.path(), f.message.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "event trigger".to_string(),
                    "1 event trigger not compared: audit_ddl"
                ),
                (
                    "public.trigger".to_string(),
                    "2 triggers in public not compared: a_touch on a, b_touch on b"
                ),
            ]
        );
        assert!(findings.iter().all(|f| f.severity == crate::Severity::Info));
    }

    #[test]
    fn names_a_few_and_reports_the_expected_side_of_a_database() {
        let mut expected = fixture();
        expected.unmodeled = (0..7).map(|i| trigger(&format!("t{i}"), "x")).collect();
        let findings = run(&UnmodeledObject, &expected, &fixture());
        let f = only(&findings, "unmodeled-object", "public.trigger");
        assert_eq!(
            f.message,
            "the expected schema: 7 triggers in public not compared: \
             t0 on x, t1 on x, t2 on x, t3 on x, t4 on x, and 2 more"
        );
    }
}
