//! The registry of rules and running them: [`Registry::check`] → [`Report`].

use std::fmt;
use std::path::Path;

use driftless_model::ObjectKind;
use serde::Serialize;

use crate::config::{closest, Config, ConfigError};
use crate::coverage::{in_ignored_hierarchy, Coverage};

use crate::finding::{sort_findings, AppliedWaiver, Finding, FixIntent, Severity};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::BUILTIN;

/// Why a rule cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// Another rule already has this id.
    #[error("a rule with id `{id}` is already registered")]
    DuplicateId {
        /// The id.
        id: String,
    },
    /// The id is not kebab-case.
    #[error(
        "rule id `{id}` is not kebab-case (lower-case letters and digits in words joined by `-`)"
    )]
    InvalidId {
        /// The id.
        id: String,
    },
}

#[derive(Clone)]
enum Slot {
    Builtin(&'static dyn Rule),
    Custom(std::sync::Arc<dyn Rule>),
}

impl Slot {
    fn rule(&self) -> &dyn Rule {
        match self {
            Slot::Builtin(r) => *r,
            Slot::Custom(r) => r.as_ref(),
        }
    }
}

/// The rules a check runs: the built-ins and any registered by the user.
///
/// ```
/// use driftless_rules::Registry;
/// let registry = Registry::builtin();
/// assert!(registry.get("missing-column").is_some());
/// assert!(registry.metas().all(|m| !m.summary.is_empty()));
/// ```
#[derive(Clone)]
pub struct Registry {
    slots: Vec<Slot>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.metas().map(|m| m.id)).finish()
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::builtin()
    }
}

/// Whether `id` is kebab-case: `[a-z][a-z0-9]*(-[a-z0-9]+)*`.
fn is_kebab_case(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_lowercase())
        && id.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

impl Registry {
    /// Every built-in rule.
    pub fn builtin() -> Self {
        Registry {
            slots: BUILTIN.iter().map(|r| Slot::Builtin(*r)).collect(),
        }
    }

    /// No rules at all (to run only your own).
    pub fn empty() -> Self {
        Registry { slots: Vec::new() }
    }

    /// Adds a rule. Its id must be kebab-case and not taken.
    pub fn register(&mut self, rule: Box<dyn Rule>) -> Result<(), RegistryError> {
        let id = rule.meta().id;
        if !is_kebab_case(id) {
            return Err(RegistryError::InvalidId { id: id.to_string() });
        }
        if self.get(id).is_some() {
            return Err(RegistryError::DuplicateId { id: id.to_string() });
        }
        self.slots.push(Slot::Custom(rule.into()));
        Ok(())
    }

    /// The rules, built-ins first, in registration order.
    pub fn rules(&self) -> impl Iterator<Item = &dyn Rule> + '_ {
        self.slots.iter().map(Slot::rule)
    }

    /// The metadata of every rule, in registration order.
    pub fn metas(&self) -> impl Iterator<Item = &RuleMeta> + '_ {
        self.rules().map(|r| r.meta())
    }

    /// The rule with `id`.
    pub fn get(&self, id: &str) -> Option<&dyn Rule> {
        self.rules().find(|r| r.meta().id == id)
    }

    /// How many rules there are.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Runs every rule `config` enables over `cx`, then applies the
    /// configuration: severity overrides, ignore globs, waivers. Findings
    /// come back sorted. Rule ids the registry does not know have no effect
    /// here; [`Config::validate`] reports them.
    pub fn check(&self, config: &Config, cx: &Context<'_>) -> Report {
        let mut findings = Vec::new();
        for rule in self.rules() {
            let meta = rule.meta();
            if config.is_enabled(meta) {
                rule.check(cx, &mut findings);
            }
        }
        if let Some(provenance) = cx.provenance {
            for f in findings.iter_mut().filter(|f| f.migration.is_none()) {
                trace_to_migration(f, provenance, cx.migrations);
            }
        }
        let before = findings.len();
        findings.retain(|f| {
            !config.is_ignored(&f.object) && !in_ignored_hierarchy(config, cx, &f.object)
        });
        let ignored = before - findings.len();
        for f in &mut findings {
            if let Some(severity) = config.severity_override(&f.rule) {
                f.severity = severity;
            }
            if let Some(w) = config.waiver_for(f) {
                let expired = cx.today.is_none_or(|today| today > w.expires);
                if expired {
                    let why = match cx.today {
                        Some(_) => format!("waiver by {} expired on {}", w.owner, w.expires),
                        None => format!(
                            "waiver by {} (until {}) not applied: no date to check its expiry against",
                            w.owner, w.expires
                        ),
                    };
                    f.message = format!("{} ({why}: {})", f.message, w.reason);
                }
                f.waiver = Some(AppliedWaiver {
                    reason: w.reason.clone(),
                    owner: w.owner.clone(),
                    expires: w.expires.to_string(),
                    expired,
                });
            }
        }
        sort_findings(&mut findings);
        let mut summary = Summary {
            ignored,
            ..Summary::default()
        };
        for f in &findings {
            if f.is_waived() {
                summary.waived += 1;
            } else {
                match f.severity {
                    Severity::Error => summary.error += 1,
                    Severity::Warning => summary.warning += 1,
                    Severity::Info => summary.info += 1,
                }
            }
        }
        Report {
            findings,
            summary,
            fail_on: config.fail_on(),
            coverage: Coverage::of(cx, config),
        }
    }
}

/// Names the migration an expected object comes from, in the finding and
/// its message: the one that created a missing object, or the one that
/// created or last changed an object that differs. Orphans have none.
fn trace_to_migration(
    f: &mut Finding,
    provenance: &driftless_model::Provenance,
    set: Option<&driftless_model::MigrationSet>,
) {
    let object = &f.object;
    if object.kind == ObjectKind::Migration {
        return;
    }
    let creates = f.fix == FixIntent::Create;
    if matches!(f.fix, FixIntent::Remove | FixIntent::Drop) {
        return;
    }
    let (origin, verb) = if creates {
        (provenance.created_by(object), "added by")
    } else {
        (provenance.origin(object), "last changed by")
    };
    if let Some(id) = origin {
        // The message names it as its file does (`0005_user_login_count`);
        // the field keeps its id, as the ledger and the migration rules do.
        let label = set
            .and_then(|s| s.migrations.iter().find(|m| m.id == id))
            .map_or_else(|| id.to_string(), |m| m.label());
        f.message = format!("{} ({verb} migration {label})", f.message);
        f.migration = Some(id.to_string());
    }
}

/// How many findings a check produced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Summary {
    /// Errors not waived.
    pub error: usize,
    /// Warnings not waived.
    pub warning: usize,
    /// Infos not waived.
    pub info: usize,
    /// Findings accepted by an unexpired waiver.
    pub waived: usize,
    /// Findings dropped by an ignore glob.
    pub ignored: usize,
}

impl Summary {
    /// Findings reported (waived included, ignored not).
    pub fn total(&self) -> usize {
        self.error + self.warning + self.info + self.waived
    }
}

/// The outcome of [`Registry::check`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// Every finding, sorted; waived ones included (marked).
    pub findings: Vec<Finding>,
    /// Counts.
    pub summary: Summary,
    /// The failing severity the configuration sets.
    pub fail_on: Severity,
    /// What was compared and what was not.
    pub coverage: Coverage,
}

impl Report {
    /// Whether a finding at or above `threshold` is not waived (an expired
    /// waiver does not count).
    pub fn fails(&self, threshold: Severity) -> bool {
        self.failing(threshold).next().is_some()
    }

    /// Whether the check fails at the configured severity ([`Report::fail_on`]).
    pub fn failed(&self) -> bool {
        self.fails(self.fail_on)
    }

    /// The findings at or above `threshold` that are not waived.
    pub fn failing(&self, threshold: Severity) -> impl Iterator<Item = &Finding> + '_ {
        self.findings
            .iter()
            .filter(move |f| f.severity >= threshold && !f.is_waived())
    }

    /// Whether there is no finding at all.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

impl Config {
    /// Checks every rule id (in `[rules]` and waivers) against `registry`.
    /// Returns the first unknown one in file order, with a suggestion.
    pub fn validate(&self, registry: &Registry) -> Result<(), ConfigError> {
        match self
            .named_rules()
            .into_iter()
            .find(|(_, id)| registry.get(id).is_none())
        {
            None => Ok(()),
            Some((line, id)) => Err(ConfigError::UnknownRule {
                path: self.path().map(Path::to_path_buf).unwrap_or_default(),
                line,
                id: id.to_string(),
                suggestion: closest(id, registry.metas().map(|m| m.id)),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftless_model::ObjectRef;

    /// A finding about an object a replayed migration created names that
    /// migration ("column login_count is added by 0005_user_login_count").
    #[test]
    fn findings_name_the_migration_from_provenance() {
        use driftless_model::{object_fingerprints, Column, Dialect, Provenance, Snapshot, Table};
        let mut v1 = Snapshot::new(Dialect::Sqlite);
        let mut users = Table::default();
        users.columns.insert("id".into(), Column::new(1, "INTEGER"));
        v1.schemas
            .entry("main".into())
            .or_default()
            .tables
            .insert("users".into(), users.clone());
        let mut v2 = v1.clone();
        let mut with_count = users;
        with_count
            .columns
            .insert("login_count".into(), Column::new(2, "INTEGER"));
        v2.schemas
            .entry("main".into())
            .or_default()
            .tables
            .insert("users".into(), with_count);
        let mut provenance = Provenance::new();
        provenance.record("0001_users", &Default::default(), &object_fingerprints(&v1));
        provenance.record(
            "0005_user_login_count",
            &object_fingerprints(&v1),
            &object_fingerprints(&v2),
        );

        let cx = Context::new(&v2, &v1).with_provenance(&provenance);
        let report = Registry::builtin().check(&Config::default(), &cx);
        let f = report
            .findings
            .iter()
            .find(|f| f.rule == "missing-column")
            .unwrap();
        assert_eq!(f.migration.as_deref(), Some("0005_user_login_count"));
        // Without the migration set, the id is the label too.
        assert!(
            f.message
                .ends_with("(added by migration 0005_user_login_count)"),
            "{}",
            f.message
        );

        // An orphan is not traced to any migration.
        let cx = Context::new(&v1, &v2).with_provenance(&provenance);
        let report = Registry::builtin().check(&Config::default(), &cx);
        let f = report
            .findings
            .iter()
            .find(|f| f.rule == "orphan-column")
            .unwrap();
        assert_eq!(f.migration, None);
    }

    struct Custom(&'static RuleMeta);

    impl Rule for Custom {
        fn meta(&self) -> &RuleMeta {
            self.0
        }
        fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
            for (schema, name, _) in cx.actual.tables() {
                out.push(Finding::new(
                    self.0,
                    ObjectRef::table(schema, name),
                    "custom",
                    FixIntent::Manual,
                ));
            }
        }
    }

    const fn meta(id: &'static str) -> RuleMeta {
        RuleMeta {
            id,
            summary: "s",
            rationale: "r",
            default_severity: Severity::Warning,
            example: "e",
            fix: "f",
            enabled_by_default: true,
        }
    }

    static TAKEN: RuleMeta = meta("missing-table");
    static BAD: RuleMeta = meta("Bad_Id");
    static OK: RuleMeta = meta("every-table-2");

    #[test]
    fn builtin_ids_are_unique_and_kebab_case() {
        let r = Registry::builtin();
        let mut ids: Vec<&str> = r.metas().map(|m| m.id).collect();
        assert!(ids.iter().all(|i| is_kebab_case(i)), "{ids:?}");
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n);
        assert!(n >= 33);
    }

    #[test]
    fn register_rejects_duplicates_and_bad_ids() {
        let mut r = Registry::builtin();
        assert_eq!(
            r.register(Box::new(Custom(&TAKEN))),
            Err(RegistryError::DuplicateId {
                id: "missing-table".into()
            })
        );
        assert_eq!(
            r.register(Box::new(Custom(&BAD))),
            Err(RegistryError::InvalidId {
                id: "Bad_Id".into()
            })
        );
        let before = r.len();
        r.register(Box::new(Custom(&OK))).unwrap();
        assert_eq!(r.len(), before + 1);
        assert!(r.get("every-table-2").is_some());
        assert_eq!(
            r.register(Box::new(Custom(&OK))).unwrap_err().to_string(),
            "a rule with id `every-table-2` is already registered"
        );
        for bad in ["", "-a", "a-", "a--b", "1a", "a_b", "aB"] {
            assert!(!is_kebab_case(bad), "{bad}");
        }
    }
}
