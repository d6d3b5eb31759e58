//! Builds and runs the examples, and checks what they print.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../custom_rule.rs"]
mod custom_rule;

#[path = "../deploy_tool.rs"]
mod deploy_tool;

#[test]
fn custom_rule_runs_next_to_the_builtin_rules() {
    let mut out = Vec::new();
    let found = custom_rule::run(&mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let has = |rule: &str, path: &str| found.contains(&(rule.to_string(), path.to_string()));
    assert!(
        has("no-plaintext-password", "main.users.password"),
        "{text}"
    );
    assert!(
        !found
            .iter()
            .any(|(r, p)| r == "no-plaintext-password" && p.ends_with("password_hash")),
        "{text}"
    );
    assert!(has("table-without-primary-key", "main.audit_log"), "{text}");
    // The built-in rules ran too.
    assert!(has("orphan-column", "main.users.password"), "{text}");
    // Primary-key findings name the key: `main.audit_log.<key name>`.
    assert!(
        found
            .iter()
            .any(|(r, p)| r == "primary-key-mismatch" && p.starts_with("main.audit_log")),
        "{text}"
    );
    assert!(text.contains("check fails"), "{text}");
    assert!(
        text.contains("error   table-without-primary-key"),
        "the config raised its severity: {text}"
    );
}

#[tokio::test]
async fn deploy_tool_refuses_destructive_repairs_and_applies_safe_ones() {
    let mut out = Vec::new();
    let decisions = deploy_tool::run(&mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(decisions.len(), 2, "{text}");
    match &decisions[0] {
        deploy_tool::Decision::Refused(why) => assert!(
            why.contains("avatar") && why.contains("destructive"),
            "{why}\n{text}"
        ),
        other => panic!("dropping avatar must be refused, got {other:?}\n{text}"),
    }
    assert!(
        matches!(decisions[1], deploy_tool::Decision::Repaired { .. }),
        "{:?}\n{text}",
        decisions[1]
    );
    assert!(text.contains("login_count"), "{text}");
}

#[tokio::test]
async fn deploy_tool_leaves_a_clean_database_alone() {
    let (dir, url) = deploy_tool::story_copy("clean").unwrap();
    let migrations =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy-story/migrations");
    let policy = deploy_tool::Policy {
        orphans: driftless_fixer::Orphans::Quarantine,
        allow: driftless_fixer::Safety::Locking,
    };
    let mut out = Vec::new();
    let first = deploy_tool::predeploy(&url, &migrations, policy, &mut out)
        .await
        .unwrap();
    assert!(
        matches!(first, deploy_tool::Decision::Repaired { .. }),
        "{first:?}"
    );
    let second = deploy_tool::predeploy(&url, &migrations, policy, &mut out)
        .await
        .unwrap();
    assert_eq!(
        second,
        deploy_tool::Decision::UpToDate,
        "{}",
        String::from_utf8_lossy(&out)
    );
    std::fs::remove_dir_all(dir).unwrap();
}
