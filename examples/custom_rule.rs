//! A custom rule, registered next to the built-in ones.
//!
//! Two rules a team might add for itself:
//! * `no-plaintext-password`: a column named like a password whose type
//!   could hold any text and whose name does not say it is a hash;
//! * `table-without-primary-key`: rows without identity.
//!
//! They run with the built-in rules over two snapshots built in memory, no
//! database needed:
//!
//! ```sh
//! cargo run -p driftless-examples --example custom_rule
//! ```

use std::io::Write;

use driftless_model::{Column, Dialect, PrimaryKey, Snapshot, Table};
use driftless_rules::{
    Config, Context, Date, Finding, FixIntent, ObjectKind, ObjectRef, Registry, Rule, RuleMeta,
    Severity,
};

/// Flags columns that look like they store passwords in plain text.
pub struct NoPlaintextPassword;

static NO_PLAINTEXT_PASSWORD: RuleMeta = RuleMeta {
    id: "no-plaintext-password",
    summary: "A column named like a password is not marked as a hash.",
    rationale: "A leaked dump with plain-text passwords compromises every account, here and wherever users reused them.",
    default_severity: Severity::Error,
    example: "CREATE TABLE users (id integer PRIMARY KEY, password text);",
    fix: "Manual: store a salted hash (argon2, bcrypt) in a column named password_hash.",
    enabled_by_default: true,
};

impl Rule for NoPlaintextPassword {
    fn meta(&self) -> &RuleMeta {
        &NO_PLAINTEXT_PASSWORD
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (schema, table, t) in cx.actual.tables() {
            for (name, column) in &t.columns {
                let lower = name.to_ascii_lowercase();
                let looks_like_password =
                    lower.contains("password") || lower == "passwd" || lower == "pwd";
                let says_hashed = lower.contains("hash") || lower.contains("digest");
                if looks_like_password && !says_hashed {
                    out.push(
                        Finding::new(
                            &NO_PLAINTEXT_PASSWORD,
                            ObjectRef::table_part(ObjectKind::Column, schema, table, name),
                            format!(
                                "column {schema}.{table}.{name} ({}) may hold plain-text passwords",
                                column.data_type
                            ),
                            FixIntent::Manual,
                        )
                        .hint(format!(
                            "store a salted hash in {table}.{name}_hash instead"
                        )),
                    );
                }
            }
        }
    }
}

/// Flags tables without a primary key.
pub struct TableWithoutPrimaryKey;

static TABLE_WITHOUT_PRIMARY_KEY: RuleMeta = RuleMeta {
    id: "table-without-primary-key",
    summary: "A table in the database has no primary key.",
    rationale: "Rows without identity cannot be updated or replicated safely, and logical replication refuses them.",
    default_severity: Severity::Warning,
    example: "CREATE TABLE events (payload text);",
    fix: "Manual: add a primary key in a migration.",
    enabled_by_default: true,
};

impl Rule for TableWithoutPrimaryKey {
    fn meta(&self) -> &RuleMeta {
        &TABLE_WITHOUT_PRIMARY_KEY
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (schema, table, t) in cx.actual.tables() {
            if t.primary_key.is_none() {
                out.push(
                    Finding::new(
                        &TABLE_WITHOUT_PRIMARY_KEY,
                        ObjectRef::table(schema, table),
                        format!("table {schema}.{table} has no primary key"),
                        FixIntent::Manual,
                    )
                    .hint("add a primary key in a migration"),
                );
            }
        }
    }
}

fn table(name: &str, columns: &[(&str, &str, bool)], primary_key: Option<&str>) -> Table {
    let mut t = Table::default();
    for (i, (name, data_type, nullable)) in columns.iter().enumerate() {
        let position = u32::try_from(i + 1).unwrap_or(u32::MAX);
        t.columns.insert(
            (*name).to_string(),
            Column {
                inherited: false,
                nullable: *nullable,
                ..Column::new(position, *data_type)
            },
        );
    }
    t.primary_key = primary_key.map(|c| PrimaryKey {
        deferrable: false,
        initially_deferred: false,
        name: format!("pk_{name}"),
        columns: vec![c.to_string()],
        comment: None,
    });
    t
}

/// The expected schema and a drifted copy of it.
fn snapshots() -> (Snapshot, Snapshot) {
    let mut expected = Snapshot::new(Dialect::Sqlite);
    let main = expected.schemas.entry("main".into()).or_default();
    main.tables.insert(
        "users".into(),
        table(
            "users",
            &[
                ("id", "INTEGER", false),
                ("email", "TEXT", false),
                ("password_hash", "TEXT", false),
            ],
            Some("id"),
        ),
    );
    main.tables.insert(
        "audit_log".into(),
        table(
            "audit_log",
            &[("id", "INTEGER", false), ("entry", "TEXT", false)],
            Some("id"),
        ),
    );

    let mut actual = Snapshot::new(Dialect::Sqlite);
    let main = actual.schemas.entry("main".into()).or_default();
    main.tables.insert(
        "users".into(),
        table(
            "users",
            &[
                ("id", "INTEGER", false),
                ("email", "TEXT", false),
                ("password_hash", "TEXT", false),
                ("password", "TEXT", true),
            ],
            Some("id"),
        ),
    );
    main.tables.insert(
        "audit_log".into(),
        table(
            "audit_log",
            &[("id", "INTEGER", false), ("entry", "TEXT", false)],
            None,
        ),
    );
    (expected, actual)
}

/// Runs the built-in rules and the two custom ones, and prints the report.
/// Returns `(rule id, object path)` of every finding.
pub fn run(out: &mut dyn Write) -> anyhow::Result<Vec<(String, String)>> {
    let mut registry = Registry::builtin();
    registry.register(Box::new(NoPlaintextPassword))?;
    registry.register(Box::new(TableWithoutPrimaryKey))?;

    // driftless.toml works for custom rules exactly as for built-in ones.
    let config = Config::from_toml_str(
        "fail_on = \"error\"\n[rules]\n\"table-without-primary-key\" = \"error\"\n",
        "driftless.toml",
    )?;
    config.validate(&registry)?;

    let (expected, actual) = snapshots();
    let today = Date::from_ymd(2025, 6, 1).ok_or_else(|| anyhow::anyhow!("invalid date"))?;
    let report = registry.check(&config, &Context::new(&expected, &actual).with_today(today));

    writeln!(
        out,
        "{} rules ran ({} built in, 2 custom).",
        registry.len(),
        registry.len() - 2
    )?;
    for f in &report.findings {
        writeln!(
            out,
            "{:<7} {:<26} {}",
            f.severity.as_str(),
            f.rule,
            f.message
        )?;
        if let Some(hint) = &f.hint {
            writeln!(out, "{:<35}fix: {hint}", "")?;
        }
    }
    writeln!(
        out,
        "check {}",
        if report.failed() { "fails" } else { "passes" }
    )?;
    Ok(report
        .findings
        .iter()
        .map(|f| (f.rule.clone(), f.object.path()))
        .collect())
}

#[allow(dead_code)] // only the binary calls it; the tests call `run`
fn main() -> anyhow::Result<()> {
    run(&mut std::io::stdout().lock())?;
    Ok(())
}
