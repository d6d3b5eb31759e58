//! The rules over objects compared by their definition: functions,
//! procedures, triggers, event triggers, policies, row security, rules,
//! extensions, domains, composite and range types, collations (and MySQL
//! routines, triggers and events; SQLite triggers).

use driftless_model::DefinedObject;

use crate::diff::Entry;
use crate::finding::{Finding, FixIntent};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::json;

declare_rule! {
    MissingObject {
        id: "missing-object",
        summary: "A function, procedure, trigger, policy, rule, extension, type, collation or (opted in) privilege or publication the expected side has does not exist in the database.",
        rationale: "Code the application relies on is absent: a trigger that keeps `updated_at` current never fires, a policy that limits rows to a tenant is not enforced, a function a default calls is not there.",
        severity: Error,
        enabled: true,
        example: "-- expected\nCREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();\n-- actual: no trigger orders_touch",
        fix: "Safe: the fixer runs the statement the expected side's server prints for the object, after what it depends on. A privilege revoked is destructive (it takes access away). A grant to a role the server does not have is left to a human: the finding says which role to create.",
    }
}

declare_rule! {
    OrphanObject {
        id: "orphan-object",
        summary: "The database has a function, procedure, trigger, policy, rule, extension, type, collation or (opted in) privilege or publication the expected side does not know.",
        rationale: "Code added by hand changes what writes do (a trigger), who sees which rows (a policy), or blocks migrations that change what it depends on (`cannot drop column … because other objects depend on it`).",
        severity: Warning,
        enabled: true,
        example: "-- expected: no trigger audit_users\n-- actual\nCREATE TRIGGER audit_users AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION audit();",
        fix: "Destructive: dropping code changes behaviour, and revoking a privilege takes access away, so the drop runs only with --allow-destructive; nothing holding data is dropped.",
    }
}

declare_rule! {
    ObjectMismatch {
        id: "object-mismatch",
        summary: "A function, procedure, trigger, policy, rule, extension, type, collation or (opted in) privilege or publication differs from the expected one (its definition, its settings or its comment).",
        rationale: "The object exists under the expected name but does something else: a function body edited in production, a policy widened by hand, a trigger disabled.",
        severity: Error,
        enabled: true,
        example: "-- expected\nCREATE POLICY tenant ON orders USING (tenant_id = current_setting('app.tenant')::int);\n-- actual\nCREATE POLICY tenant ON orders USING (true);",
        fix: "Safe for functions (replaced in place when the signature and result type are unchanged); other objects are dropped and recreated, with what depends on them.",
    }
}

/// One line describing `o` for a message: its statement, on one line,
/// shortened.
fn one_line(o: &DefinedObject) -> String {
    let text: Vec<&str> = o.definition.split_whitespace().collect();
    let text = text.join(" ");
    match text.char_indices().nth(160) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

fn object_of(entry: &Entry<'_, DefinedObject>, o: &DefinedObject) -> driftless_model::ObjectRef {
    let mut r = o.object();
    r.schema = entry.schema.to_string();
    r
}

/// The roles expected object `o` names (a grantee) that the actual
/// server does not have, when its roles were read.
fn absent_roles<'a>(cx: &Context<'_>, o: &'a DefinedObject) -> Vec<&'a str> {
    let roles = &cx.actual.roles;
    if roles.is_empty() {
        return Vec::new();
    }
    o.roles()
        .filter(|r| !roles.iter().any(|x| x == r))
        .collect()
}

/// One finding per object only one side has: missing (`expected`) or
/// an orphan.
fn one_sided(meta: &RuleMeta, cx: &Context<'_>, expected: bool, out: &mut Vec<Finding>) {
    for entry in cx.diff().objects() {
        let only = if expected {
            entry.missing()
        } else {
            entry.orphan()
        };
        let Some(o) = only else { continue };
        let (label, text) = (o.def.label(), one_line(o.def));
        let absent = absent_roles(cx, o.def);
        let (message, fix, hint) = if expected && !absent.is_empty() {
            (
                format!(
                    "{label} is missing (expected {text}); role {} does not exist on this server",
                    absent.join(", ")
                ),
                FixIntent::Manual,
                format!(
                    "create role {} (CREATE ROLE …), then run the fix again",
                    absent.join(", ")
                ),
            )
        } else if expected {
            (
                format!("{label} is missing (expected {text})"),
                FixIntent::Create,
                format!("create {label} as the expected schema defines it"),
            )
        } else {
            (
                format!("{label} exists but is not expected ({text})"),
                FixIntent::Drop,
                format!(
                    "drop {label} (with --allow-destructive), or add it to the expected schema"
                ),
            )
        };
        let (e, a) = if expected {
            (json(o.def), None)
        } else {
            (None, json(o.def))
        };
        out.push(
            Finding::new(meta, object_of(entry, o.def), message, fix)
                .values(e, a)
                .hint(hint),
        );
    }
}

impl Rule for MissingObject {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        one_sided(&Self::META, cx, true, out);
    }
}

impl Rule for OrphanObject {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        one_sided(&Self::META, cx, false, out);
    }
}

impl Rule for ObjectMismatch {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let diff = cx.diff();
        for entry in diff.objects() {
            let Some((e, a)) = entry.both() else { continue };
            let diffs = diff.comparer().defined_diffs(e.def, a.def);
            if diffs.is_empty() {
                continue;
            }
            let label = a.def.label();
            let message = format!("{label} differs (expected vs actual): {}", diffs.join("; "));
            out.push(
                Finding::new(
                    &Self::META,
                    object_of(entry, a.def),
                    message,
                    FixIntent::Replace,
                )
                .values(json(e.def), json(a.def))
                .hint(format!("replace {label} with the expected definition")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{MissingObject, ObjectMismatch, OrphanObject};
    use crate::rules::testing::*;
    use driftless_model::{CatalogKind, DefinedObject};

    fn trigger(body: &str) -> DefinedObject {
        let mut t = DefinedObject::new(
            CatalogKind::Trigger,
            Some("public"),
            "users_touch",
            format!("CREATE TRIGGER users_touch BEFORE UPDATE ON public.users FOR EACH ROW {body}"),
        );
        t.table = Some("users".into());
        t
    }

    #[test]
    fn finds_a_missing_trigger() {
        let mut expected = fixture();
        expected
            .objects
            .push(trigger("EXECUTE FUNCTION public.touch()"));
        let findings = run_pair(&MissingObject, &expected, &fixture());
        let f = only(&findings, "missing-object", "public.users.users_touch");
        assert_eq!(f.object.kind, driftless_model::ObjectKind::Trigger);
        assert!(f.message.starts_with(
            "trigger users_touch on public.users is missing (expected CREATE TRIGGER"
        ));
        assert_eq!(f.fix, crate::FixIntent::Create);
        assert!(run_pair(&MissingObject, &expected, &expected).is_empty());
    }

    #[test]
    fn finds_an_orphan_function_but_not_on_orphan_tables() {
        let mut actual = fixture();
        actual.objects.push(DefinedObject::new(
            CatalogKind::Function,
            Some("public"),
            "touch()",
            "CREATE OR REPLACE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        ));
        let mut on_orphan = trigger("EXECUTE FUNCTION public.touch()");
        on_orphan.table = Some("not_expected".into());
        public(&mut actual)
            .tables
            .insert("not_expected".into(), Default::default());
        actual.objects.push(on_orphan);
        let findings = run_pair(&OrphanObject, &fixture(), &actual);
        let f = only(&findings, "orphan-object", "public.touch()");
        assert_eq!(
            f.message.split(" (").next(),
            Some("function public.touch() exists but is not expected")
        );
        assert_eq!(f.fix, crate::FixIntent::Drop);
    }

    #[test]
    fn finds_a_changed_definition_and_setting_but_not_layout() {
        let mut expected = fixture();
        expected
            .objects
            .push(trigger("EXECUTE FUNCTION public.touch()"));
        let mut actual = fixture();
        let mut changed = trigger("EXECUTE FUNCTION public.audit()");
        changed.then = vec!["ALTER TABLE public.users DISABLE TRIGGER users_touch".into()];
        actual.objects.push(changed);
        let findings = run_pair(&ObjectMismatch, &expected, &actual);
        let f = only(&findings, "object-mismatch", "public.users.users_touch");
        assert!(
            f.message
                .contains("definition differs; settings none vs ALTER TABLE"),
            "{}",
            f.message
        );
        let mut relaid = fixture();
        relaid
            .objects
            .push(trigger("EXECUTE   FUNCTION\n public.touch()"));
        assert!(run_pair(&ObjectMismatch, &expected, &relaid).is_empty());
    }
}
