//! `driftless.toml`: every accepted form, and every error path with its file and line.

use std::path::Path;

use driftless_rules::{
    Config, ConfigError, Date, ObjectKind, ObjectRef, Registry, RuleSetting, Severity,
};

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml_str(text, "conf/driftless.toml")
}

fn err(text: &str) -> ConfigError {
    match parse(text) {
        Ok(c) => match c.validate(&Registry::builtin()) {
            Ok(()) => panic!("accepted:\n{text}"),
            Err(e) => e,
        },
        Err(e) => e,
    }
}

fn assert_at(e: &ConfigError, line: usize) {
    assert_eq!(e.path(), Path::new("conf/driftless.toml"), "{e}");
    assert_eq!(e.line(), Some(line), "{e}");
    assert!(
        e.to_string()
            .starts_with(&format!("conf/driftless.toml:{line}:")),
        "{e}"
    );
}

#[test]
fn reads_every_setting() {
    let text = r#"
fail_on = "error"
ignore = ["public.legacy_*", "*.*.tmp_*"]

[rules]
"orphan-column" = "off"
orphan-table = "info"
column-order = { severity = "warning" }
comment-mismatch = { enabled = false }
missing-index = true

[[waiver]]
rule = "orphan-column"
object = "public.authentication_user.avatar"
reason = "dropped by migration 0042"
owner = "alice@example.com"
expires = 2025-07-01

[[waiver]]
rule = "missing-index"
object = "public.*"
reason = "built concurrently by ops"
owner = "ops"
expires = "2025-08-01"
"#;
    let c = parse(text).unwrap();
    c.validate(&Registry::builtin()).unwrap();
    assert_eq!(c.path(), Some(Path::new("conf/driftless.toml")));
    assert_eq!(c.fail_on(), Severity::Error);
    assert_eq!(c.rule_setting("orphan-column"), Some(RuleSetting::off()));
    assert_eq!(
        c.rule_setting("orphan-table"),
        Some(RuleSetting::with_severity(Severity::Info))
    );
    let order = c.rule_setting("column-order").unwrap();
    assert_eq!(
        (order.enabled, order.severity),
        (None, Some(Severity::Warning))
    );
    assert_eq!(c.rule_setting("missing-index"), Some(RuleSetting::on()));
    let registry = Registry::builtin();
    let meta = |id: &str| *registry.get(id).unwrap().meta();
    assert!(!c.is_enabled(&meta("orphan-column")));
    assert!(c.is_enabled(&meta("column-order")));
    assert!(!c.is_enabled(&meta("comment-mismatch")));
    assert!(c.is_enabled(&meta("missing-table")));
    assert_eq!(c.severity_override("orphan-table"), Some(Severity::Info));
    assert!(c.is_ignored(&ObjectRef::table("public", "legacy_users")));
    assert!(c.is_ignored(&ObjectRef::table_part(
        ObjectKind::Index,
        "public",
        "legacy_users",
        "ix"
    )));
    assert!(c.is_ignored(&ObjectRef::table_part(
        ObjectKind::Column,
        "app",
        "users",
        "tmp_x"
    )));
    assert!(!c.is_ignored(&ObjectRef::table("public", "users")));
    assert!(!c.is_ignored(&ObjectRef::table("app", "tmp_x")));
    let w: Vec<_> = c.waivers().collect();
    assert_eq!(w.len(), 2);
    assert_eq!(w[0].expires, Date::from_ymd(2025, 7, 1).unwrap());
    assert_eq!(w[1].expires.to_string(), "2025-08-01");
    assert_eq!(w[0].object.as_str(), "public.authentication_user.avatar");
    assert_eq!(w[1].owner, "ops");
}

#[test]
fn empty_file_is_the_default() {
    let c = parse("").unwrap();
    assert_eq!(c.fail_on(), driftless_rules::DEFAULT_FAIL_ON);
    assert_eq!(c.ignore_patterns().count(), 0);
    assert_eq!(c.waivers().count(), 0);
}

#[test]
fn syntax_error_has_line_and_column() {
    let e = err("fail_on = \"error\"\n\n[rules\n");
    assert_at(&e, 3);
    assert!(
        matches!(e, ConfigError::Syntax { column, .. } if column >= 1),
        "{e:?}"
    );
    let e = err("a = 1\na = 2\n");
    assert!(matches!(e, ConfigError::Syntax { line: 2, .. }), "{e:?}");
}

#[test]
fn unknown_top_level_key() {
    let e = err("fail_on = \"error\"\n\nfial_on = \"x\"\n");
    assert_at(&e, 3);
    assert!(
        matches!(&e, ConfigError::UnknownKey { key, section, .. } if key == "fial_on" && section == "the top level")
    );
    assert_eq!(
        e.to_string(),
        "conf/driftless.toml:3: unknown key `fial_on` in the top level (expected one of: coverage, fail_on, fix, ignore, rename, rules, waiver)"
    );
}

#[test]
fn unknown_top_level_table() {
    let e = err("[rules]\n\n[rulez]\nx = 1\n");
    assert_at(&e, 3);
}

#[test]
fn unknown_key_in_a_rule_table() {
    let e = err("[rules]\n\"orphan-column\" = { severity = \"info\", level = 2 }\n");
    assert_at(&e, 2);
    assert!(
        matches!(&e, ConfigError::UnknownKey { key, section, .. } if key == "level" && section == "[rules.\"orphan-column\"]")
    );
}

#[test]
fn unknown_key_in_a_waiver() {
    let e = err("[[waiver]]\nrule = \"orphan-column\"\nobject = \"*\"\nreason = \"r\"\nowner = \"o\"\nexpires = 2030-01-01\nticket = \"X-1\"\n");
    assert_at(&e, 7);
    assert!(matches!(&e, ConfigError::UnknownKey { section, .. } if section == "[[waiver]]"));
}

#[test]
fn unknown_rule_id_in_rules() {
    let e = err("fail_on = \"error\"\n[rules]\n\"missing-column\" = \"error\"\n\"orphan-colum\" = \"off\"\n");
    assert_at(&e, 4);
    assert!(
        matches!(&e, ConfigError::UnknownRule { id, suggestion: Some(s), .. } if id == "orphan-colum" && s == "orphan-column")
    );
    let e = err("[rules]\n\"no-such-thing-at-all\" = \"off\"\n");
    assert!(
        matches!(
            &e,
            ConfigError::UnknownRule {
                suggestion: None,
                line: 2,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "conf/driftless.toml:2: unknown rule `no-such-thing-at-all`"
    );
}

#[test]
fn unknown_rule_id_in_a_waiver() {
    let e = err("\n[[waiver]]\nrule = \"missing-colum\"\nobject = \"*\"\nreason = \"r\"\nowner = \"o\"\nexpires = 2030-01-01\n");
    assert_at(&e, 2);
    assert!(matches!(&e, ConfigError::UnknownRule { id, .. } if id == "missing-colum"));
}

#[test]
fn user_rules_are_known_once_registered() {
    use driftless_rules::{Context, Finding, Rule, RuleMeta};
    struct Mine;
    static META: RuleMeta = RuleMeta {
        id: "house-style",
        summary: "s",
        rationale: "r",
        default_severity: Severity::Info,
        example: "e",
        fix: "f",
        enabled_by_default: true,
    };
    impl Rule for Mine {
        fn meta(&self) -> &RuleMeta {
            &META
        }
        fn check(&self, _: &Context<'_>, _: &mut Vec<Finding>) {}
    }
    let c = parse("[rules]\nhouse-style = \"error\"\n").unwrap();
    assert!(c.validate(&Registry::builtin()).is_err());
    let mut r = Registry::builtin();
    r.register(Box::new(Mine)).unwrap();
    c.validate(&r).unwrap();
}

#[test]
fn invalid_fail_on() {
    let e = err("\nfail_on = \"fatal\"\n");
    assert_at(&e, 2);
    assert!(matches!(&e, ConfigError::InvalidValue { key, .. } if key == "fail_on"));
    let e = err("fail_on = 3\n");
    assert_at(&e, 1);
    assert!(
        e.to_string().contains("expected a string, found integer"),
        "{e}"
    );
}

#[test]
fn invalid_rule_settings() {
    for (text, line) in [
        ("[rules]\n\"orphan-column\" = \"loud\"\n", 2),
        ("[rules]\n\"orphan-column\" = 3\n", 2),
        (
            "[rules]\n\n\"orphan-column\" = { severity = \"huge\" }\n",
            3,
        ),
        ("[rules]\n\"orphan-column\" = { enabled = \"yes\" }\n", 2),
        ("rules = \"all\"\n", 1),
    ] {
        let e = err(text);
        assert!(matches!(e, ConfigError::InvalidValue { .. }), "{e:?}");
        assert_at(&e, line);
    }
}

#[test]
fn invalid_ignore() {
    for (text, line) in [
        ("ignore = \"public.*\"\n", 1),
        ("ignore = [\n  \"public.*\",\n  3,\n]\n", 3),
        ("ignore = [\n  \"public..x\",\n]\n", 2),
        ("ignore = [\"public.[x\"]\n", 1),
        ("ignore = [\"a/b\"]\n", 1),
    ] {
        let e = err(text);
        assert!(
            matches!(&e, ConfigError::InvalidValue { key, .. } if key == "ignore"),
            "{e:?}"
        );
        assert_at(&e, line);
    }
}

#[test]
fn invalid_waivers() {
    let full = |over: &str| {
        let mut lines = vec![
            "rule = \"orphan-column\"".to_string(),
            "object = \"public.users.avatar\"".to_string(),
            "reason = \"kept for the migration\"".to_string(),
            "owner = \"alice\"".to_string(),
            "expires = 2030-01-01".to_string(),
        ];
        let key = over.split(' ').next().unwrap_or_default();
        lines.retain(|l| !l.starts_with(&format!("{key} ")));
        if over.contains('=') {
            lines.push(over.to_string());
        }
        format!("# waivers\n[[waiver]]\n{}\n", lines.join("\n"))
    };
    // Bad values: reported on the line of the value (the last line, line 7).
    for over in [
        "expires = \"2030-02-30\"",
        "expires = \"tomorrow\"",
        "expires = 2030-01-01T10:00:00",
        "expires = 20300101",
        "reason = \"  \"",
        "owner = \"\"",
        "object = \"\"",
        "rule = 5",
    ] {
        let e = err(&full(over));
        assert!(
            matches!(e, ConfigError::InvalidValue { .. }),
            "{over}: {e:?}"
        );
        assert_at(&e, 7);
    }
    // Missing keys: reported on the line of the [[waiver]] header.
    for key in ["rule", "object", "reason", "owner", "expires"] {
        let e = err(&full(key));
        assert!(
            matches!(&e, ConfigError::MissingKey { key: k, .. } if k == key),
            "{key}: {e:?}"
        );
        assert_at(&e, 2);
        assert!(
            e.to_string()
                .ends_with(&format!("[[waiver]] is missing `{key}`")),
            "{e}"
        );
    }
    // Not an array of tables.
    let e = err("waiver = \"all\"\n");
    assert_at(&e, 1);
    let e = err("waiver = [1]\n");
    assert_at(&e, 1);
}

#[test]
fn load_and_discover() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b/c");
    std::fs::create_dir_all(&nested).unwrap();
    assert!(
        Config::discover(&nested).unwrap().is_none()
            || dir
                .path()
                .ancestors()
                .any(|p| p.join("driftless.toml").is_file())
    );
    let file = dir.path().join("a/driftless.toml");
    std::fs::write(&file, "fail_on = \"info\"\n").unwrap();
    let found = Config::discover(&nested).unwrap().unwrap();
    assert_eq!(found.path(), Some(file.as_path()));
    assert_eq!(found.fail_on(), Severity::Info);
    let loaded = Config::load(&file).unwrap();
    assert_eq!(loaded.fail_on(), Severity::Info);

    std::fs::write(&file, "fail_on = \"info\"\nbogus = 1\n").unwrap();
    let e = Config::discover(&nested).unwrap_err();
    assert_eq!(e.path(), file.as_path());
    assert_eq!(e.line(), Some(2));

    let missing = dir.path().join("nope.toml");
    let e = Config::load(&missing).unwrap_err();
    assert!(matches!(e, ConfigError::Read { .. }));
    assert_eq!(e.path(), missing.as_path());
    assert_eq!(e.line(), None);
    assert!(e
        .to_string()
        .starts_with(&format!("cannot read {}", missing.display())));
}

#[test]
fn coverage_ignore_names_kinds_not_compared() {
    let c = parse("[coverage]\nignore = [\"event trigger\", \"Policies\", \"foreign_table\"]\n")
        .unwrap();
    use driftless_rules::{CatalogKind, ObjectKind, ObjectRef};
    assert!(c.ignores_kind(CatalogKind::EventTrigger));
    assert!(c.ignores_kind(CatalogKind::Policy));
    assert!(c.ignores_kind(CatalogKind::ForeignTable));
    assert!(!c.ignores_kind(CatalogKind::Trigger));
    let policies = ObjectRef::schema_object(ObjectKind::CatalogObject, "public", Some("policy"));
    assert!(c.is_ignored(&policies));
    let triggers = ObjectRef::schema_object(ObjectKind::CatalogObject, "public", Some("trigger"));
    assert!(!c.is_ignored(&triggers));
    // Kinds compared by their definition are left out too.
    let policy = ObjectRef::table_part(ObjectKind::Policy, "public", "users", "own_rows");
    assert!(c.is_ignored(&policy));
    let trigger = ObjectRef::table_part(ObjectKind::Trigger, "public", "users", "touch");
    assert!(!c.is_ignored(&trigger));
    assert!(!c.is_ignored(&ObjectRef::table("public", "users")));
    let e = err("[coverage]\nignore = [\"gadget\"]\n");
    assert_at(&e, 2);
    assert!(
        e.to_string()
            .contains("`gadget` is not a kind of object (expected one of: function, procedure"),
        "{e}"
    );
    let e = err("[coverage]\nskip = []\n");
    assert_eq!(
        e.to_string(),
        "conf/driftless.toml:2: unknown key `skip` in [coverage] (expected one of: extension_versions, ignore, privileges, publications)"
    );
    let e = err("coverage = 1\n");
    assert_at(&e, 1);
}

#[test]
fn renames_are_read_and_bad_ones_named_by_line() {
    let text = "[[rename]]\nkind = \"column\"\ntable = \"public.users\"\nfrom = \"nick\"\nto = \"nickname\"\n\n[[rename]]\nkind = \"table\"\nfrom = \"people\"\nto = \"public.customers\"\n";
    let config = Config::from_toml_str(text, "driftless.toml").unwrap();
    let r = config.renames();
    assert_eq!(r.len(), 2);
    assert_eq!(r[0], {
        let mut c = driftless_rules::Rename::column(Some("public"), "users", "nick", "nickname");
        c.origin = "driftless.toml:1".into();
        c
    });
    assert_eq!(r[1].described(), "table public.people → customers");
    assert_eq!(r[1].origin, "driftless.toml:7");
    for (bad, line, needle) in [
        (
            "[[rename]]\nkind = \"view\"\nfrom = \"a\"\nto = \"b\"\n",
            2,
            "expected \"column\", \"table\", \"index\" or \"constraint\"",
        ),
        (
            "[[rename]]\nkind = \"index\"\nfrom = \"a\"\nto = \"b\"\n",
            1,
            "[[rename]] is missing `table`",
        ),
        (
            "[[rename]]\nkind = \"constraint\"\ntable = \"t\"\nfrom = \"t.a\"\nto = \"b\"\n",
            4,
            "expected a constraint name",
        ),
        (
            "[[rename]]\nkind = \"column\"\nfrom = \"a\"\nto = \"b\"\n",
            1,
            "[[rename]] is missing `table`",
        ),
        (
            "[[rename]]\nkind = \"table\"\nfrom = \"s.a\"\nto = \"t.b\"\n",
            4,
            "different schemas",
        ),
        (
            "[[rename]]\nkind = \"column\"\ntable = \"t\"\nfrom = \"a\"\nto = \"a\"\n",
            5,
            "the same object",
        ),
        (
            "[[rename]]\nkind = \"column\"\ntable = \"t\"\nfrom = \"x.a\"\nto = \"b\"\n",
            4,
            "expected a column name",
        ),
        (
            "[[rename]]\nkind = \"table\"\nfrom = \"a\"\nto = \"b\"\nwhy = 1\n",
            5,
            "unknown key `why` in [[rename]]",
        ),
        ("rename = 1\n", 1, "expected [[rename]] tables"),
    ] {
        let e = Config::from_toml_str(bad, "driftless.toml").unwrap_err();
        assert_eq!(e.line(), Some(line), "{bad}: {e}");
        assert!(e.to_string().contains(needle), "{bad}: {e}");
    }
}
