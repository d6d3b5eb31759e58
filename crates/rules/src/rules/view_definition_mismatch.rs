declare_rule! {
    ViewDefinitionMismatch {
        id: "view-definition-mismatch",
        summary: "A view's defining query, whether it is materialized, or its options (check option, security invoker, security barrier) differ from the expected ones.",
        rationale: "Readers of the view get other rows or columns than the application was written for; without its check option, writes through the view land rows it does not show; with other security, it reads with other privileges.",
        severity: Warning,
        enabled: true,
        example: "-- expected\nCREATE VIEW active_users AS SELECT id, email FROM users WHERE active;\n-- actual\nCREATE VIEW active_users AS SELECT id, email FROM users;",
        fix: "Safe: the view is replaced (dropped and recreated when its columns change).",
    }
}

mismatch_rule!(ViewDefinitionMismatch, View, views, view_diffs);

#[cfg(test)]
mod tests {
    use super::ViewDefinitionMismatch;
    use crate::rules::testing::*;

    #[test]
    fn finds_a_changed_view() {
        let mut actual = fixture();
        public(&mut actual)
            .views
            .get_mut("active_users")
            .unwrap()
            .definition = " SELECT users.id,\n    users.email\n   FROM users;".into();
        let findings = run_pair(&ViewDefinitionMismatch, &fixture(), &actual);
        let f = only(&findings, "view-definition-mismatch", "public.active_users");
        assert_eq!(
            f.message,
            "view active_users differs (expected vs actual): definition differs"
                .replace("view ", "view public.")
        );
        assert_eq!(f.fix, crate::FixIntent::Replace);
        assert!(f.expected.as_ref().unwrap()["definition"]
            .as_str()
            .unwrap()
            .contains("WHERE"));
    }

    /// Regression: a MySQL user with SELECT only (no SHOW VIEW) reads every
    /// view's definition as empty, which was reported as drift.
    #[test]
    fn finds_nothing_for_a_definition_that_could_not_be_read() {
        let mut actual = fixture();
        public(&mut actual)
            .views
            .get_mut("active_users")
            .unwrap()
            .definition = String::new();
        assert!(run_pair(&ViewDefinitionMismatch, &fixture(), &actual).is_empty());
        assert!(run_pair(&ViewDefinitionMismatch, &actual, &fixture()).is_empty());
    }

    #[test]
    fn finds_changed_options() {
        let mut expected = fixture();
        let view = public(&mut expected).views.get_mut("active_users").unwrap();
        view.options.insert("check_option".into(), "local".into());
        view.options
            .insert("security_invoker".into(), "true".into());
        let mut actual = fixture();
        let view = public(&mut actual).views.get_mut("active_users").unwrap();
        view.options
            .insert("check_option".into(), "cascaded".into());
        let findings = run_pair(&ViewDefinitionMismatch, &expected, &actual);
        let f = only(&findings, "view-definition-mismatch", "public.active_users");
        assert_eq!(
            f.message,
            "view public.active_users differs (expected vs actual): \
             check_option local vs cascaded; security_invoker true vs (none)"
        );
        assert!(run_pair(&ViewDefinitionMismatch, &expected, &expected).is_empty());
    }

    #[test]
    fn finds_nothing_for_layout_differences() {
        let mut actual = fixture();
        public(&mut actual)
            .views
            .get_mut("active_users")
            .unwrap()
            .definition = "SELECT users.id, users.email FROM users WHERE users.active".into();
        assert!(run_pair(&ViewDefinitionMismatch, &fixture(), &actual).is_empty());
    }
}
