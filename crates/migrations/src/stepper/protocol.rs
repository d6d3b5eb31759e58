//! The stepper protocol's messages, as values (pure: no process here).

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::json;

/// A migration of a framework: its app (Django's app label; empty where
/// the framework has none) and its name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MigrationKey {
    /// The app label (`authentication`), or empty.
    pub app: String,
    /// The migration's name (`0005_user_login_count`).
    pub name: String,
}

impl MigrationKey {
    /// `app`'s migration `name`.
    pub fn new(app: impl Into<String>, name: impl Into<String>) -> Self {
        MigrationKey {
            app: app.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for MigrationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.app.is_empty() {
            f.write_str(&self.name)
        } else {
            write!(f, "{}.{}", self.app, self.name)
        }
    }
}

impl<'de> Deserialize<'de> for MigrationKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (app, name) = <(String, String)>::deserialize(d)?;
        Ok(MigrationKey { app, name })
    }
}

/// One migration of the framework's graph.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct FrameworkNode {
    /// The app label.
    pub app: String,
    /// The migration's name.
    pub name: String,
    /// Its file, where the framework knows it.
    #[serde(default)]
    pub file: Option<PathBuf>,
    /// The migrations it depends on.
    #[serde(default)]
    pub dependencies: Vec<MigrationKey>,
    /// The migrations it replaces (a squashed migration).
    #[serde(default)]
    pub replaces: Vec<MigrationKey>,
}

impl FrameworkNode {
    /// Its key.
    pub fn key(&self) -> MigrationKey {
        MigrationKey::new(&self.app, &self.name)
    }
}

/// The framework's migrations as it sees them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[non_exhaustive]
pub struct FrameworkGraph {
    /// The framework and its version (`Django 5.2.19`).
    pub framework: String,
    /// Every migration it knows, the project's and its libraries'.
    pub nodes: Vec<FrameworkNode>,
    /// The order in which it applies all of them to an empty database.
    pub plan: Vec<MigrationKey>,
}

/// What one step did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StepOutcome {
    /// Applied; the statements it sent to the database, in order, when
    /// the stepper sees them (a driver does; a command run once a
    /// migration does not: `None`, and what it touched is unknown).
    Applied {
        /// The SQL text of each statement.
        statements: Option<Vec<String>>,
    },
    /// The framework failed to apply it.
    Failed {
        /// The framework's (or the database's) message.
        message: String,
        /// The exception's type (`ProgrammingError`).
        kind: String,
        /// The line of the migration's file the error came from (its
        /// Python code), or 0 when the framework's own code raised it.
        line: usize,
    },
}

/// A migration graph the framework refuses (a cycle, a missing
/// dependency, two heads, a file that does not load), as its driver
/// reported it before stepping anything.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Refusal {
    /// The framework and its version.
    #[serde(default)]
    pub framework: String,
    /// The migration the refusal names, where there is one.
    #[serde(default)]
    pub migration: Option<MigrationKey>,
    /// Its file.
    #[serde(default)]
    pub file: Option<PathBuf>,
    /// A text whose first line in the file is where the problem is (the
    /// missing dependency's name), where the driver knows one.
    #[serde(default)]
    pub needle: Option<String>,
    /// The 1-based line, where the framework knows it (a syntax error).
    #[serde(default)]
    pub line: usize,
    /// The framework's message.
    pub error: String,
    /// The exception's type.
    #[serde(default, rename = "type")]
    pub kind: String,
}

/// The driver's first message: its graph, or why the framework refuses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Opening {
    Graph(FrameworkGraph),
    Refused(Refusal),
}

#[derive(Deserialize)]
struct Message {
    event: String,
    #[serde(default)]
    migration: Option<MigrationKey>,
    #[serde(default)]
    statements: Vec<String>,
    #[serde(default)]
    error: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    line: usize,
}

pub(super) fn graph(line: &str) -> Result<Opening, String> {
    #[derive(Deserialize)]
    struct Event {
        event: String,
    }
    let unreadable = |e: serde_json::Error| format!("its migration graph is unreadable ({e})");
    let event: Event = serde_json::from_str(line).map_err(unreadable)?;
    match event.event.as_str() {
        "graph" => Ok(Opening::Graph(
            serde_json::from_str(line).map_err(unreadable)?,
        )),
        "invalid" => Ok(Opening::Refused(
            serde_json::from_str(line).map_err(unreadable)?,
        )),
        other => Err(format!("it sent `{other}` before its migration graph")),
    }
}

pub(super) fn outcome(line: &str, asked: &MigrationKey) -> Result<StepOutcome, String> {
    let m: Message =
        serde_json::from_str(line).map_err(|e| format!("its answer is unreadable ({e})"))?;
    if m.migration.as_ref() != Some(asked) {
        return Err(format!("it answered for another migration than {asked}"));
    }
    match m.event.as_str() {
        "applied" => Ok(StepOutcome::Applied {
            statements: Some(m.statements),
        }),
        "failed" => Ok(StepOutcome::Failed {
            message: m.error,
            kind: m.kind,
            line: m.line,
        }),
        other => Err(format!("it answered `{other}` to apply {asked}")),
    }
}

pub(super) fn apply_command(m: &MigrationKey) -> String {
    json!({"cmd": "apply", "migration": [m.app, m.name]}).to_string()
}

pub(super) fn quit_command() -> String {
    json!({"cmd": "quit"}).to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_graph_and_the_outcomes() {
        let Opening::Graph(g) = graph(
            r#"{"event": "graph", "framework": "Django 5.2.19", "nodes": [{"app": "a", "name": "0002_x", "file": "/p/a/migrations/0002_x.py", "dependencies": [["a", "0001_initial"]], "replaces": [], "atomic": true}], "plan": [["a", "0001_initial"], ["a", "0002_x"]]}"#,
        )
        .unwrap() else {
            panic!("not a graph")
        };
        assert_eq!(g.framework, "Django 5.2.19");
        assert_eq!(
            g.nodes[0].dependencies,
            vec![MigrationKey::new("a", "0001_initial")]
        );
        assert_eq!(g.plan[1].to_string(), "a.0002_x");
        let k = MigrationKey::new("a", "0002_x");
        assert_eq!(
            outcome(r#"{"event": "applied", "migration": ["a", "0002_x"], "statements": ["CREATE TABLE t (id int)"]}"#, &k).unwrap(),
            StepOutcome::Applied { statements: Some(vec!["CREATE TABLE t (id int)".into()]) }
        );
        assert!(matches!(
            outcome(r#"{"event": "failed", "migration": ["a", "0002_x"], "error": "no such column: x", "type": "OperationalError"}"#, &k),
            Ok(StepOutcome::Failed { kind, .. }) if kind == "OperationalError"
        ));
        assert!(outcome(r#"{"event": "applied", "migration": ["a", "0003_y"]}"#, &k).is_err());
        assert!(graph(r#"{"event": "applied"}"#).is_err());
        let refused = graph(
            r#"{"event": "invalid", "framework": "Django 5.2.19", "migration": ["a", "0007_x"], "file": "/p/a/migrations/0007_x.py", "needle": "0099_y", "error": "no parent", "type": "NodeNotFoundError"}"#,
        )
        .unwrap();
        assert!(
            matches!(&refused, Opening::Refused(r) if r.migration == Some(MigrationKey::new("a", "0007_x")) && r.kind == "NodeNotFoundError"),
            "{refused:?}"
        );
        assert!(graph("not json").is_err());
        assert_eq!(
            apply_command(&k),
            r#"{"cmd":"apply","migration":["a","0002_x"]}"#
        );
    }
}
