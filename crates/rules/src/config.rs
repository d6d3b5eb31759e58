//! Configuration: `driftless.toml`.
//!
//! ```toml
//! fail_on = "warning"                        # error | warning | info
//! ignore = ["public.legacy_*", "*.*.tmp_*"]  # globs over schema.table.name
//!
//! [rules]
//! "orphan-column" = "off"                    # or "on", or a severity
//! "column-order" = { severity = "warning" }  # enables it, as a warning
//!
//! [[waiver]]
//! rule = "orphan-column"
//! object = "public.authentication_user.avatar"
//! reason = "dropped by migration 0042, deployed next week"
//! owner = "alice@example.com"
//! expires = 2025-07-01                       # or "2025-07-01"
//!
//! [coverage]
//! ignore = ["aggregate", "partition"]        # kinds left out of the check
//!
//! [fix]                                      # the repair policy (see FixSettings)
//! max_lock = "share update exclusive"
//!
//! [[rename]]                                 # confirms a possible rename
//! kind = "column"                            # or "table", "index", "constraint"
//! table = "public.users"
//! from = "nick"
//! to = "nickname"
//! ```
//!
//! Globs match [`ObjectRef::path`]: `*` and `?` stay within one dot-separated
//! part, `**` spans parts, `[abc]` is a class. A pattern that matches a table
//! also matches its columns, indexes and constraints; one that matches a
//! schema matches everything in it.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use driftless_model::{read_regular_file, CatalogKind, ObjectKind, ObjectRef, OptIn};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::date::Date;
use crate::finding::{Finding, Severity};
use crate::rule::RuleMeta;

mod fix;
mod rename;

pub use fix::{parse_size, FixSettings};

use crate::rename::Rename;

/// The file name [`Config::discover`] looks for.
pub const CONFIG_FILE_NAME: &str = "driftless.toml";

/// The failing severity when the configuration sets none.
pub const DEFAULT_FAIL_ON: Severity = Severity::Warning;

/// The largest configuration file read, in bytes.
const MAX_CONFIG_SIZE: u64 = 16 * 1024 * 1024;

/// Why a configuration cannot be used. Every variant names the file and the
/// 1-based line (0 for settings made in code rather than read from a file).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{}:{line}:{column}: invalid TOML: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
        /// The column (1-based, in characters).
        column: usize,
        /// What the parser says.
        message: String,
    },
    /// A key driftless does not know.
    #[error("{}:{line}: unknown key `{key}` in {section} (expected one of: {expected})", path.display())]
    UnknownKey {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
        /// Where: `the top level`, `[[waiver]]`, `[rules."orphan-column"]`.
        section: String,
        /// The key.
        key: String,
        /// The keys allowed there.
        expected: String,
    },
    /// A rule id no registered rule has.
    #[error("{}:{line}: unknown rule `{id}`{}", path.display(), suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default())]
    UnknownRule {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
        /// The id.
        id: String,
        /// The closest known id, if one is close.
        suggestion: Option<String>,
    },
    /// A value of the wrong type or form.
    #[error("{}:{line}: invalid value for `{key}`: {message}", path.display())]
    InvalidValue {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
        /// The key.
        key: String,
        /// What is wrong and what is expected.
        message: String,
    },
    /// A required key is absent.
    #[error("{}:{line}: {section} is missing `{key}`", path.display())]
    MissingKey {
        /// The file.
        path: PathBuf,
        /// The line of the section.
        line: usize,
        /// The section (`[[waiver]]`).
        section: String,
        /// The key.
        key: String,
    },
}

impl ConfigError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            ConfigError::Read { path, .. }
            | ConfigError::Syntax { path, .. }
            | ConfigError::UnknownKey { path, .. }
            | ConfigError::UnknownRule { path, .. }
            | ConfigError::InvalidValue { path, .. }
            | ConfigError::MissingKey { path, .. } => path,
        }
    }

    /// The 1-based line, when the error has one.
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Read { .. } => None,
            ConfigError::Syntax { line, .. }
            | ConfigError::UnknownKey { line, .. }
            | ConfigError::UnknownRule { line, .. }
            | ConfigError::InvalidValue { line, .. }
            | ConfigError::MissingKey { line, .. } => Some(*line),
        }
    }
}

/// An invalid object glob.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid object pattern `{pattern}`: {message}")]
pub struct PatternError {
    /// The pattern.
    pub pattern: String,
    /// What is wrong with it.
    pub message: String,
}

/// A glob over object paths (`public.legacy_*`, `*.*.tmp_*`).
///
/// ```
/// use driftless_rules::{ObjectKind, ObjectPattern, ObjectRef};
/// let p = ObjectPattern::new("public.legacy_*").unwrap();
/// assert!(p.matches(&ObjectRef::table("public", "legacy_users")));
/// assert!(p.matches(&ObjectRef::table_part(ObjectKind::Column, "public", "legacy_users", "id")));
/// assert!(!p.matches(&ObjectRef::table("public", "users")));
/// assert!(ObjectPattern::new("*.*.tmp_*").unwrap()
///     .matches(&ObjectRef::table_part(ObjectKind::Column, "app", "users", "tmp_x")));
/// ```
#[derive(Debug, Clone)]
pub struct ObjectPattern {
    text: String,
    matcher: globset::GlobMatcher,
}

impl PartialEq for ObjectPattern {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl ObjectPattern {
    /// Compiles a pattern.
    pub fn new(pattern: &str) -> Result<Self, PatternError> {
        let err = |message: String| PatternError {
            pattern: pattern.to_string(),
            message,
        };
        if pattern.is_empty() || pattern.split('.').any(str::is_empty) {
            return Err(err(
                "empty part (patterns look like `schema.table.name`)".into()
            ));
        }
        if pattern.contains('/') {
            return Err(err("`/` is not allowed; parts are separated by `.`".into()));
        }
        let glob = globset::GlobBuilder::new(&pattern.replace('.', "/"))
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|e| err(e.kind().to_string()))?;
        Ok(ObjectPattern {
            text: pattern.to_string(),
            matcher: glob.compile_matcher(),
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the pattern matches `object` or an object containing it
    /// (its table, its schema).
    pub fn matches(&self, object: &ObjectRef) -> bool {
        let parts: Vec<&str> = [
            Some(object.schema.as_str()),
            object.table.as_deref(),
            object.name.as_deref(),
        ]
        .into_iter()
        .flatten()
        .filter(|p| !p.is_empty())
        .collect();
        (1..=parts.len()).any(|n| self.matcher.is_match(parts[..n].join("/")))
    }
}

/// How the configuration sets one rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuleSetting {
    /// Explicitly on or off (`None`: on when a severity is set, otherwise
    /// the rule's default).
    pub enabled: Option<bool>,
    /// The severity its findings get instead of the rule's own.
    pub severity: Option<Severity>,
}

impl RuleSetting {
    /// Turned off.
    pub fn off() -> Self {
        RuleSetting {
            enabled: Some(false),
            severity: None,
        }
    }

    /// Turned on, with the rule's own severity.
    pub fn on() -> Self {
        RuleSetting {
            enabled: Some(true),
            severity: None,
        }
    }

    /// Turned on, with `severity`.
    pub fn with_severity(severity: Severity) -> Self {
        RuleSetting {
            enabled: Some(true),
            severity: Some(severity),
        }
    }
}

/// An accepted drift: the finding stays in the report, marked waived, and
/// does not fail the check until `expires` has passed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Waiver {
    /// The rule id.
    pub rule: String,
    /// Which objects.
    pub object: ObjectPattern,
    /// Why the drift is accepted.
    pub reason: String,
    /// Who accepted it.
    pub owner: String,
    /// The last day it applies.
    pub expires: Date,
}

impl Waiver {
    /// A waiver of `rule` for objects matching `object`.
    pub fn new(
        rule: impl Into<String>,
        object: ObjectPattern,
        reason: impl Into<String>,
        owner: impl Into<String>,
        expires: Date,
    ) -> Self {
        Waiver {
            rule: rule.into(),
            object,
            reason: reason.into(),
            owner: owner.into(),
            expires,
        }
    }

    /// Whether it applies to `finding` (expired or not).
    pub fn matches(&self, finding: &Finding) -> bool {
        self.rule == finding.rule && self.object.matches(&finding.object)
    }
}

/// The check configuration, usually read from `driftless.toml`.
///
/// ```
/// use driftless_rules::{Config, Registry, Severity};
/// let text = "fail_on = \"error\"\n[rules]\n\"orphan-column\" = \"off\"\n";
/// let config = Config::from_toml_str(text, "driftless.toml").unwrap();
/// config.validate(&Registry::builtin()).unwrap();
/// assert_eq!(config.fail_on(), Severity::Error);
///
/// let bad = Config::from_toml_str("[rules]\n\"orphan-colum\" = \"off\"\n", "driftless.toml").unwrap();
/// let err = bad.validate(&Registry::builtin()).unwrap_err();
/// assert_eq!(err.to_string(), "driftless.toml:2: unknown rule `orphan-colum` (did you mean `orphan-column`?)");
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    path: Option<PathBuf>,
    fail_on: Severity,
    rules: BTreeMap<String, (RuleSetting, usize)>,
    ignore: Vec<ObjectPattern>,
    waivers: Vec<(Waiver, usize)>,
    ignored_kinds: Vec<CatalogKind>,
    opt_in: OptIn,
    renames: Vec<Rename>,
    fix: FixSettings,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            path: None,
            fail_on: DEFAULT_FAIL_ON,
            rules: BTreeMap::new(),
            ignore: Vec::new(),
            waivers: Vec::new(),
            ignored_kinds: Vec::new(),
            opt_in: OptIn::default(),
            renames: Vec::new(),
            fix: FixSettings::default(),
        }
    }
}

const TOP_KEYS: &str = "coverage, fail_on, fix, ignore, rename, rules, waiver";
const COVERAGE_KEYS: &str = "extension_versions, ignore, privileges, publications";
const RULE_KEYS: &str = "enabled, severity";
const WAIVER_KEYS: &str = "rule, object, reason, owner, expires";

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

struct Parser<'t> {
    text: &'t str,
    path: PathBuf,
}

type Entry<'a, 'i> = (
    &'a Spanned<std::borrow::Cow<'i, str>>,
    &'a Spanned<DeValue<'i>>,
);

impl Parser<'_> {
    fn line(&self, span: Range<usize>) -> usize {
        line_col(self.text, span.start).0
    }

    fn invalid(&self, span: Range<usize>, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::InvalidValue {
            path: self.path.clone(),
            line: self.line(span),
            key: key.to_string(),
            message: message.into(),
        }
    }

    fn unknown_key(
        &self,
        span: Range<usize>,
        section: &str,
        key: &str,
        expected: &str,
    ) -> ConfigError {
        ConfigError::UnknownKey {
            path: self.path.clone(),
            line: self.line(span),
            section: section.to_string(),
            key: key.to_string(),
            expected: expected.to_string(),
        }
    }

    /// A table's entries in file order.
    fn entries<'a, 'i>(table: &'a DeTable<'i>) -> Vec<Entry<'a, 'i>> {
        let mut v: Vec<_> = table.iter().collect();
        v.sort_by_key(|(k, _)| k.span().start);
        v
    }

    fn string<'a>(
        &self,
        key: &str,
        value: &'a Spanned<DeValue<'_>>,
    ) -> Result<&'a str, ConfigError> {
        match value.get_ref() {
            DeValue::String(s) => Ok(s.as_ref()),
            other => Err(self.invalid(
                value.span(),
                key,
                format!("expected a string, found {}", other.type_str()),
            )),
        }
    }

    fn severity(&self, key: &str, value: &Spanned<DeValue<'_>>) -> Result<Severity, ConfigError> {
        let s = self.string(key, value)?;
        Severity::parse(s).ok_or_else(|| {
            self.invalid(
                value.span(),
                key,
                format!("`{s}` is not a severity (expected error, warning or info)"),
            )
        })
    }

    fn rule_setting(
        &self,
        id: &str,
        value: &Spanned<DeValue<'_>>,
    ) -> Result<RuleSetting, ConfigError> {
        match value.get_ref() {
            DeValue::Boolean(true) => Ok(RuleSetting::on()),
            DeValue::Boolean(false) => Ok(RuleSetting::off()),
            DeValue::String(s) => match s.to_ascii_lowercase().as_str() {
                "off" => Ok(RuleSetting::off()),
                "on" => Ok(RuleSetting::on()),
                _ => Severity::parse(s).map(RuleSetting::with_severity).ok_or_else(|| {
                    self.invalid(
                        value.span(),
                        id,
                        format!("`{s}` is not a rule setting (expected \"off\", \"on\", a severity, or {{ severity = \"…\" }})"),
                    )
                }),
            },
            DeValue::Table(t) => {
                let mut setting = RuleSetting::default();
                for (k, v) in Self::entries(t) {
                    match k.get_ref().as_ref() {
                        "severity" => setting.severity = Some(self.severity("severity", v)?),
                        "enabled" => match v.get_ref() {
                            DeValue::Boolean(b) => setting.enabled = Some(*b),
                            other => {
                                return Err(self.invalid(
                                    v.span(),
                                    "enabled",
                                    format!("expected true or false, found {}", other.type_str()),
                                ))
                            }
                        },
                        other => {
                            return Err(self.unknown_key(k.span(), &format!("[rules.\"{id}\"]"), other, RULE_KEYS))
                        }
                    }
                }
                Ok(setting)
            }
            other => Err(self.invalid(
                value.span(),
                id,
                format!("expected \"off\", \"on\", a severity, or a table, found {}", other.type_str()),
            )),
        }
    }

    /// `[coverage]`: `ignore`, the kinds of objects not compared that are
    /// not reported; `privileges`, `publications`, `extension_versions`:
    /// the opt-ins compared.
    fn coverage(
        &self,
        value: &Spanned<DeValue<'_>>,
    ) -> Result<(Vec<CatalogKind>, OptIn), ConfigError> {
        let DeValue::Table(t) = value.get_ref() else {
            return Err(self.invalid(
                value.span(),
                "coverage",
                format!(
                    "expected a table ([coverage]), found {}",
                    value.get_ref().type_str()
                ),
            ));
        };
        let (mut kinds, mut opt_in) = (Vec::new(), OptIn::default());
        for (k, v) in Self::entries(t) {
            match k.get_ref().as_ref() {
                "ignore" => {}
                "privileges" => {
                    opt_in.privileges = self.boolean("privileges", v)?;
                    continue;
                }
                "publications" => {
                    opt_in.publications = self.boolean("publications", v)?;
                    continue;
                }
                "extension_versions" => {
                    opt_in.extension_versions = self.boolean("extension_versions", v)?;
                    continue;
                }
                _ => {
                    return Err(self.unknown_key(
                        k.span(),
                        "[coverage]",
                        k.get_ref(),
                        COVERAGE_KEYS,
                    ))
                }
            }
            let DeValue::Array(items) = v.get_ref() else {
                return Err(self.invalid(
                    v.span(),
                    "ignore",
                    format!(
                        "expected an array of kinds, found {}",
                        v.get_ref().type_str()
                    ),
                ));
            };
            for item in items.iter() {
                let s = self.string("ignore", item)?;
                let kind = CatalogKind::parse(s).ok_or_else(|| {
                    let known: Vec<&str> = CatalogKind::ALL.iter().map(|k| k.as_str()).collect();
                    self.invalid(
                        item.span(),
                        "ignore",
                        format!(
                            "`{s}` is not a kind of object (expected one of: {})",
                            known.join(", ")
                        ),
                    )
                })?;
                kinds.push(kind);
            }
        }
        Ok((kinds, opt_in))
    }

    fn waiver(&self, item: &Spanned<DeValue<'_>>) -> Result<Waiver, ConfigError> {
        let DeValue::Table(t) = item.get_ref() else {
            return Err(self.invalid(
                item.span(),
                "waiver",
                format!(
                    "expected a table ([[waiver]]), found {}",
                    item.get_ref().type_str()
                ),
            ));
        };
        let (mut rule, mut object, mut reason, mut owner, mut expires) =
            (None, None, None, None, None);
        for (k, v) in Self::entries(t) {
            let key = k.get_ref().as_ref();
            match key {
                "rule" => rule = Some(self.string(key, v)?.to_string()),
                "object" => {
                    let s = self.string(key, v)?;
                    object = Some(
                        ObjectPattern::new(s)
                            .map_err(|e| self.invalid(v.span(), key, e.to_string()))?,
                    );
                }
                "reason" | "owner" => {
                    let s = self.string(key, v)?.trim();
                    if s.is_empty() {
                        return Err(self.invalid(v.span(), key, "must not be empty"));
                    }
                    if key == "reason" {
                        reason = Some(s.to_string());
                    } else {
                        owner = Some(s.to_string());
                    }
                }
                "expires" => {
                    let date = match v.get_ref() {
                        DeValue::String(s) => Date::parse(s),
                        DeValue::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => dt
                            .date
                            .and_then(|d| Date::from_ymd(i32::from(d.year), d.month, d.day)),
                        _ => None,
                    };
                    expires = Some(date.ok_or_else(|| {
                        self.invalid(
                            v.span(),
                            key,
                            "expected a date YYYY-MM-DD (for example 2025-12-31)",
                        )
                    })?);
                }
                other => return Err(self.unknown_key(k.span(), "[[waiver]]", other, WAIVER_KEYS)),
            }
        }
        let missing = |key: &str| ConfigError::MissingKey {
            path: self.path.clone(),
            line: self.line(item.span()),
            section: "[[waiver]]".into(),
            key: key.into(),
        };
        Ok(Waiver {
            rule: rule.ok_or_else(|| missing("rule"))?,
            object: object.ok_or_else(|| missing("object"))?,
            reason: reason.ok_or_else(|| missing("reason"))?,
            owner: owner.ok_or_else(|| missing("owner"))?,
            expires: expires.ok_or_else(|| missing("expires"))?,
        })
    }
}

impl Config {
    /// Parses `text`, the contents of the file at `path` (used in errors).
    pub fn from_toml_str(text: &str, path: impl Into<PathBuf>) -> Result<Self, ConfigError> {
        let p = Parser {
            text,
            path: path.into(),
        };
        let doc = DeTable::parse(text).map_err(|e| {
            let (line, column) = line_col(text, e.span().map_or(0, |s| s.start));
            ConfigError::Syntax {
                path: p.path.clone(),
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })?;
        let mut config = Config {
            path: Some(p.path.clone()),
            ..Config::default()
        };
        for (k, v) in Parser::entries(doc.get_ref()) {
            let key = k.get_ref().as_ref();
            match key {
                "fail_on" => config.fail_on = p.severity(key, v)?,
                "coverage" => (config.ignored_kinds, config.opt_in) = p.coverage(v)?,
                "fix" => config.fix = p.fix(v)?,
                "ignore" => {
                    let DeValue::Array(items) = v.get_ref() else {
                        return Err(p.invalid(
                            v.span(),
                            key,
                            format!(
                                "expected an array of globs, found {}",
                                v.get_ref().type_str()
                            ),
                        ));
                    };
                    for item in items.iter() {
                        let s = p.string(key, item)?;
                        config.ignore.push(
                            ObjectPattern::new(s)
                                .map_err(|e| p.invalid(item.span(), key, e.to_string()))?,
                        );
                    }
                }
                "rules" => {
                    let DeValue::Table(t) = v.get_ref() else {
                        return Err(p.invalid(
                            v.span(),
                            key,
                            format!(
                                "expected a table ([rules]), found {}",
                                v.get_ref().type_str()
                            ),
                        ));
                    };
                    for (id, setting) in Parser::entries(t) {
                        let parsed = p.rule_setting(id.get_ref(), setting)?;
                        config
                            .rules
                            .insert(id.get_ref().to_string(), (parsed, p.line(id.span())));
                    }
                }
                "waiver" => {
                    let DeValue::Array(items) = v.get_ref() else {
                        return Err(p.invalid(
                            v.span(),
                            key,
                            format!(
                                "expected [[waiver]] tables, found {}",
                                v.get_ref().type_str()
                            ),
                        ));
                    };
                    for item in items.iter() {
                        let line = p.line(item.span());
                        config.waivers.push((p.waiver(item)?, line));
                    }
                }
                "rename" => {
                    let DeValue::Array(items) = v.get_ref() else {
                        return Err(p.invalid(
                            v.span(),
                            key,
                            format!(
                                "expected [[rename]] tables, found {}",
                                v.get_ref().type_str()
                            ),
                        ));
                    };
                    for item in items.iter() {
                        config.renames.push(p.rename(item)?);
                    }
                }
                other => return Err(p.unknown_key(k.span(), "the top level", other, TOP_KEYS)),
            }
        }
        Ok(config)
    }

    /// Reads and parses the file at `path`: a regular file (symbolic links
    /// followed) of at most 16 MiB; a FIFO, a device or a folder is refused
    /// without being read.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let read = |source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        };
        let bytes = read_regular_file(path, MAX_CONFIG_SIZE).map_err(read)?;
        let text = String::from_utf8(bytes).map_err(|_| {
            read(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the file is not valid UTF-8",
            ))
        })?;
        Self::from_toml_str(&text, path)
    }

    /// Looks for [`CONFIG_FILE_NAME`] in `dir` and then in each parent
    /// folder; loads the first one found. `Ok(None)` when there is none.
    /// A `driftless.toml` that exists but cannot be read (a FIFO, a
    /// folder, a broken link) is an error, not silently passed over.
    pub fn discover(dir: impl AsRef<Path>) -> Result<Option<Self>, ConfigError> {
        for folder in dir.as_ref().ancestors() {
            let candidate = folder.join(CONFIG_FILE_NAME);
            if candidate.symlink_metadata().is_ok() {
                return Self::load(&candidate).map(Some);
            }
        }
        Ok(None)
    }

    /// Every rule id the file names (in `[rules]` and waivers) with its
    /// line, in file order; [`Config::validate`] checks them.
    pub(crate) fn named_rules(&self) -> Vec<(usize, &str)> {
        let mut named: Vec<(usize, &str)> = self
            .rules
            .iter()
            .map(|(id, (_, line))| (*line, id.as_str()))
            .chain(
                self.waivers
                    .iter()
                    .map(|(w, line)| (*line, w.rule.as_str())),
            )
            .collect();
        named.sort();
        named
    }

    /// The file this configuration was read from.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The failing severity (default [`DEFAULT_FAIL_ON`]).
    pub fn fail_on(&self) -> Severity {
        self.fail_on
    }

    /// Sets the failing severity (a `--fail-on` flag overriding the file).
    pub fn set_fail_on(&mut self, severity: Severity) {
        self.fail_on = severity;
    }

    /// Sets how rule `id` runs (a command-line flag overriding the file).
    pub fn set_rule(&mut self, id: impl Into<String>, setting: RuleSetting) {
        self.rules.insert(id.into(), (setting, 0));
    }

    /// The setting for rule `id`, if the configuration has one.
    pub fn rule_setting(&self, id: &str) -> Option<RuleSetting> {
        self.rules.get(id).map(|(s, _)| *s)
    }

    /// Adds an ignore glob.
    pub fn add_ignore(&mut self, pattern: ObjectPattern) {
        self.ignore.push(pattern);
    }

    /// Adds a waiver.
    pub fn add_waiver(&mut self, waiver: Waiver) {
        self.waivers.push((waiver, 0));
    }

    /// The ignore globs.
    pub fn ignore_patterns(&self) -> impl Iterator<Item = &ObjectPattern> + '_ {
        self.ignore.iter()
    }

    /// The repair policy (`[fix]`).
    pub fn fix(&self) -> &FixSettings {
        &self.fix
    }

    /// The renames the configuration confirms (`[[rename]]`), in file order.
    pub fn renames(&self) -> &[Rename] {
        &self.renames
    }

    /// Confirms a rename, as a `[[rename]]` entry does.
    pub fn add_rename(&mut self, rename: Rename) {
        self.renames.push(rename);
    }

    /// The waivers, in file order.
    pub fn waivers(&self) -> impl Iterator<Item = &Waiver> + '_ {
        self.waivers.iter().map(|(w, _)| w)
    }

    /// Whether the rule runs.
    pub fn is_enabled(&self, meta: &RuleMeta) -> bool {
        match self.rule_setting(meta.id) {
            Some(RuleSetting {
                enabled: Some(on), ..
            }) => on,
            Some(RuleSetting {
                severity: Some(_), ..
            }) => true,
            _ => meta.enabled_by_default,
        }
    }

    /// The severity the configuration imposes on rule `id`'s findings.
    pub fn severity_override(&self, id: &str) -> Option<Severity> {
        self.rule_setting(id).and_then(|s| s.severity)
    }

    /// Whether an ignore glob matches `object`, or it is (or stands for
    /// objects) of a kind `[coverage] ignore` names: a kind compared by
    /// its definition (`trigger`) as well as one not compared.
    pub fn is_ignored(&self, object: &ObjectRef) -> bool {
        let kind = match object.kind {
            ObjectKind::CatalogObject => object.name.as_deref().and_then(CatalogKind::parse),
            other => other.catalog_kind(),
        };
        let ignored_kind = kind.is_some_and(|k| self.ignores_kind(k));
        ignored_kind || self.ignore.iter().any(|p| p.matches(object))
    }

    /// Whether objects of `kind` the model does not compare are left out
    /// of reports (`[coverage] ignore`).
    pub fn ignores_kind(&self, kind: CatalogKind) -> bool {
        self.ignored_kinds.contains(&kind)
    }

    /// The opt-in kinds compared (`[coverage] privileges = true`,
    /// `publications = true`, `extension_versions = true`; PostgreSQL).
    pub fn opt_in(&self) -> OptIn {
        self.opt_in
    }

    /// Leaves objects of `kind` out of reports, as `[coverage] ignore` does.
    pub fn ignore_kind(&mut self, kind: CatalogKind) {
        if !self.ignores_kind(kind) {
            self.ignored_kinds.push(kind);
        }
    }

    /// The first waiver that applies to `finding`.
    pub fn waiver_for(&self, finding: &Finding) -> Option<&Waiver> {
        self.waivers().find(|w| w.matches(finding))
    }
}

/// The id closest to `id` by edit distance, if it is close enough to be a typo.
pub(crate) fn closest<'a>(id: &str, known: impl Iterator<Item = &'a str>) -> Option<String> {
    known
        .map(|k| (levenshtein(id, k), k))
        .filter(|(d, k)| *d <= 3.max(k.len() / 4))
        .min()
        .map(|(_, k)| k.to_string())
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}
