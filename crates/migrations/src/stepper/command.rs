//! The command stepper: a shell command the user (or a framework's
//! default, Rails' `bin/rails db:migrate:up VERSION={version}`) gives, run
//! once a migration. It knows nothing of the framework: the migrations and
//! their order are driftless's own reading of the folder, and what a step
//! ran is unknown (the schema is read in full after it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use driftless_introspect::{redact, DbUrl, Error, Result};
use driftless_model::MigrationSet;

use super::protocol::{FrameworkGraph, FrameworkNode, MigrationKey, StepOutcome};
use crate::replay::command_failure;

/// One migration a command stepper applies, with the values its
/// template's placeholders take.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommandStep {
    /// The migration's id, as its ledger records it.
    pub id: String,
    /// `{app}`: the Django app label, else empty.
    pub app: String,
    /// `{name}`: the migration's name.
    pub name: String,
    /// `{version}`: its version, else its id.
    pub version: String,
    /// Its file.
    pub file: PathBuf,
    /// The ids it depends on.
    pub parents: Vec<String>,
}

impl CommandStep {
    /// The steps of every migration of `set`, in the set's order.
    pub fn from_set(set: &MigrationSet) -> Vec<CommandStep> {
        set.migrations
            .iter()
            .map(|m| CommandStep {
                id: m.id.clone(),
                app: m.app.clone().unwrap_or_default(),
                name: m.name.clone(),
                version: m.version.clone().unwrap_or_else(|| m.id.clone()),
                file: set.file_path(m),
                parents: m.parents.clone(),
            })
            .collect()
    }

    /// Its key in the stepper's graph: the id, without an app.
    pub fn key(&self) -> MigrationKey {
        MigrationKey::new("", &self.id)
    }
}

/// A command stepper, ready: one process per [`apply`](Self::apply).
#[derive(Debug)]
pub(super) struct CommandRun {
    project: PathBuf,
    template: String,
    env: Vec<(String, String)>,
    steps: BTreeMap<MigrationKey, CommandStep>,
    graph: FrameworkGraph,
    dev: DbUrl,
}

impl CommandRun {
    pub(super) fn new(
        project: &Path,
        template: &str,
        env: &[(String, String)],
        steps: &[CommandStep],
        dev: &DbUrl,
    ) -> Self {
        let nodes = steps
            .iter()
            .map(|s| FrameworkNode {
                app: String::new(),
                name: s.id.clone(),
                file: Some(s.file.clone()),
                dependencies: s.parents.iter().map(|p| MigrationKey::new("", p)).collect(),
                replaces: Vec::new(),
            })
            .collect();
        let graph = FrameworkGraph {
            framework: format!("`{}`", redact(template)),
            nodes,
            plan: steps.iter().map(CommandStep::key).collect(),
        };
        CommandRun {
            project: project.to_path_buf(),
            template: template.to_string(),
            env: env.to_vec(),
            steps: steps.iter().map(|s| (s.key(), s.clone())).collect(),
            graph,
            dev: dev.clone(),
        }
    }

    pub(super) fn graph(&self) -> &FrameworkGraph {
        &self.graph
    }

    /// Runs the template for `migration`: applied (statements unknown) when
    /// it exits with 0, failed with its exit code and last error lines
    /// otherwise.
    pub(super) async fn apply(&self, migration: &MigrationKey) -> Result<StepOutcome> {
        let Some(step) = self.steps.get(migration) else {
            return Err(Error::Invalid(format!(
                "the step command has no migration {migration}"
            )));
        };
        let command = fill(&self.template, step);
        let output = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(&command)
            .current_dir(&self.project)
            .env("DATABASE_URL", self.dev.expose_secret())
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| {
                Error::Invalid(format!(
                    "cannot run `{}` in {}: {e}",
                    redact(&command),
                    self.project.display()
                ))
            })?;
        if output.status.success() {
            return Ok(StepOutcome::Applied { statements: None });
        }
        let (code, tail) = command_failure(&output, &self.dev);
        // What failed first, then the end of the output it came with.
        let stderr = String::from_utf8_lossy(&output.stderr);
        let line = headline(&stderr)
            .map(|l| redact(l).replace(self.dev.expose_secret(), &self.dev.to_string()));
        let message = match line {
            Some(line) if !tail.starts_with(&line) => format!("{line}\n{tail}"),
            _ => tail,
        };
        Ok(StepOutcome::Failed {
            message,
            kind: format!("exit code {code}"),
            line: line_in(&stderr, &step.file).unwrap_or(0),
        })
    }
}

/// Lines that wrap an error without saying what it is: Rails' (`rake`'s)
/// first two.
const WRAPPERS: [&str; 2] = [
    "rails aborted!",
    "StandardError: An error has occurred, this and all later migrations canceled",
];

/// The line of a failed step's error output that says what failed: its
/// first that is neither empty nor a known wrapper.
fn headline(stderr: &str) -> Option<&str> {
    stderr
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !WRAPPERS.iter().any(|w| l.starts_with(w)))
}

/// The line of `file` a failed step's error output names first
/// (`…/db/migrate/1_x.rb:3:in `change'`), the line of the migration's code
/// that raised.
fn line_in(stderr: &str, file: &Path) -> Option<usize> {
    let name = file.file_name()?.to_str()?;
    stderr.match_indices(name).find_map(|(at, _)| {
        let rest = stderr[at + name.len()..].strip_prefix(':')?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    })
}

/// `template` with `{app}`, `{name}` and `{version}` replaced by `step`'s
/// values, shell-quoted; other text is kept as written.
pub(super) fn fill(template: &str, step: &CommandStep) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let value = [
            ("{app}", &step.app),
            ("{name}", &step.name),
            ("{version}", &step.version),
        ]
        .into_iter()
        .find(|(p, _)| rest.starts_with(p));
        match value {
            Some((placeholder, value)) => {
                out.push_str(&shell_quote(value));
                rest = &rest[placeholder.len()..];
            }
            None => {
                out.push('{');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `s` as one word of `sh`: as it is when it holds only characters the
/// shell leaves alone, else in single quotes.
fn shell_quote(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(app: &str, name: &str, version: &str) -> CommandStep {
        CommandStep {
            id: version.into(),
            app: app.into(),
            name: name.into(),
            version: version.into(),
            file: PathBuf::from("db/migrate/x.rb"),
            parents: Vec::new(),
        }
    }

    #[test]
    fn fills_the_placeholders_shell_quoted() {
        let s = step("", "create_users", "20240101000001");
        assert_eq!(
            fill("bin/rails db:migrate:up VERSION={version}", &s),
            "bin/rails db:migrate:up VERSION=20240101000001"
        );
        let s = step("shop", "it's {version} $HOME", "7");
        assert_eq!(
            fill("run {app} {name} {unknown} {", &s),
            r"run shop 'it'\''s {version} $HOME' {unknown} {"
        );
        assert_eq!(fill("x {app}", &step("", "n", "1")), "x ''");
    }

    #[test]
    fn the_headline_skips_the_wrappers() {
        let rails = "rails aborted!\nStandardError: An error has occurred, this and all later migrations canceled:\n\nPG::UndefinedColumn: ERROR:  column \"x\" does not exist\n/p/db/migrate/1_x.rb:3:in `change'";
        assert_eq!(
            headline(rails),
            Some("PG::UndefinedColumn: ERROR:  column \"x\" does not exist")
        );
        assert_eq!(headline("\nno such file\n"), Some("no such file"));
        assert_eq!(line_in(rails, Path::new("/q/db/migrate/1_x.rb")), Some(3));
        assert_eq!(line_in("1_x.rb: failed", Path::new("1_x.rb")), None);
        assert_eq!(headline(""), None);
    }
}
