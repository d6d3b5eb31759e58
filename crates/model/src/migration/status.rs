//! Reconciling a migration set with a ledger: which migrations are applied,
//! pending, unknown to the folder, modified since they ran, or failed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::lexer::normalize_sql;
use super::{
    compare_flyway_versions, Checksum, Ledger, LedgerEntry, LedgerKind, LedgerState, Migration,
    MigrationKind, MigrationSet,
};
use crate::schema::Dialect;

/// How a migration file changed since it was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Modification {
    /// Only whitespace, comments, line endings or a byte-order mark changed.
    Cosmetic,
    /// The statements changed.
    Statements,
    /// The checksum differs, and the applied text is not available to tell
    /// how (see driftless-migrations' `recover_applied_sources`).
    Unknown,
}

/// Where one migration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "state", content = "change", rename_all = "snake_case")]
#[non_exhaustive]
pub enum MigrationState {
    /// Recorded as applied, and (where checksums are kept) unchanged.
    Applied,
    /// On disk, not recorded.
    Unapplied,
    /// Recorded, but no such file in the folder.
    Unknown,
    /// Recorded as applied, but the file changed since.
    Modified(Modification),
    /// Recorded as failed, or dirty.
    Failed,
}

impl MigrationState {
    /// The lower-case label (`applied`, `unapplied`, `unknown`, `modified`, `failed`).
    pub fn as_str(self) -> &'static str {
        match self {
            MigrationState::Applied => "applied",
            MigrationState::Unapplied => "unapplied",
            MigrationState::Unknown => "unknown",
            MigrationState::Modified(_) => "modified",
            MigrationState::Failed => "failed",
        }
    }
}

/// One line of a `showmigrations`-style listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationStatus {
    /// The migration's id.
    pub id: String,
    /// Its display label (file stem or folder name).
    pub label: String,
    /// Django app label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// The file, relative to the set's root; `None` for unknown migrations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// Where it stands.
    #[serde(flatten)]
    pub state: MigrationState,
    /// When the ledger says it was applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_at: Option<String>,
    /// The checksum of the file as the ledger's tool computes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_checksum: Option<Checksum>,
    /// The checksum the ledger recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_checksum: Option<Checksum>,
    /// Why, in a few words (`dirty`, `below baseline 3`, the tool's log …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The ledger that records `set`'s migrations, among those read from a
/// database: the first whose tool uses the set's layout (for a Django set,
/// `django_migrations`; for sqlx, `_sqlx_migrations`, else a golang-migrate
/// `schema_migrations` …).
pub fn select_ledger<'a>(set: &MigrationSet, ledgers: &'a [Ledger]) -> Option<&'a Ledger> {
    let rank = |l: &Ledger| l.kind().formats().iter().position(|f| *f == set.format);
    ledgers
        .iter()
        .filter_map(|l| {
            rank(l).map(|r| {
                (
                    r,
                    matches!(l.table.schema.as_str(), "public" | "main")
                        .then_some(0)
                        .unwrap_or(1),
                    l,
                )
            })
        })
        .min_by_key(|(r, s, _)| (*r, *s))
        .map(|(_, _, l)| l)
}

/// The key two ids are compared by: versions compare as numbers.
fn key(kind: LedgerKind, id: &str) -> String {
    match kind {
        LedgerKind::Flyway => {
            if id.starts_with("R__") {
                return id.to_string();
            }
            let mut parts: Vec<String> = id
                .split(['.', '_'])
                .map(|p| {
                    let t = p.trim_start_matches('0');
                    if t.is_empty() {
                        "0".to_string()
                    } else {
                        t.to_string()
                    }
                })
                .collect();
            while parts.len() > 1 && parts.last().map(String::as_str) == Some("0") {
                parts.pop();
            }
            parts.join(".")
        }
        LedgerKind::Sqlx
        | LedgerKind::Refinery
        | LedgerKind::GolangMigrate
        | LedgerKind::Rails
        | LedgerKind::Dbmate
        | LedgerKind::Diesel
            if !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()) =>
        {
            let t = id.trim_start_matches('0');
            if t.is_empty() {
                "0".to_string()
            } else {
                t.to_string()
            }
        }
        _ => id.to_string(),
    }
}

impl Ledger {
    /// The entry recorded for `migration`, with ids compared the way the
    /// tool compares them (versions as numbers: `0005` is `5`).
    pub fn entry_for(&self, migration: &Migration) -> Option<&LedgerEntry> {
        let kind = self.kind();
        let id = key(kind, &migration.id);
        self.entries.iter().find(|e| key(kind, &e.id) == id)
    }
}

impl Migration {
    /// Whether the checksum a ledger of `kind` recorded (`wide`: refinery
    /// with 64-bit versions) is this migration's; `None` when the tool
    /// keeps no checksum this migration can be compared with.
    pub fn matches_checksum(
        &self,
        kind: LedgerKind,
        wide: bool,
        recorded: &Checksum,
    ) -> Option<bool> {
        checksums_match(self, kind, wide, recorded)
    }
}

fn checksums_match(
    m: &Migration,
    kind: LedgerKind,
    wide: bool,
    recorded: &Checksum,
) -> Option<bool> {
    match kind {
        LedgerKind::Refinery => {
            let v = m.version.as_deref()?.parse::<i64>().ok()?;
            let name = m.refinery_name()?;
            let c = Checksum::refinery(&name, v, &m.content, wide)?;
            Some(&c == recorded)
        }
        LedgerKind::Prisma => {
            let c = Checksum::prisma(&m.content);
            // Prisma accepts a file whose only change is its line endings.
            Some(&c == recorded || &Checksum::prisma(&m.content.replace("\r\n", "\n")) == recorded)
        }
        _ => m.checksum_for(kind).map(|c| &c == recorded),
    }
}

/// How `migration` changed since it was applied, given the checksum the
/// ledger recorded. With the applied text (`applied_source`) the two are
/// compared with comments and whitespace normalised away; without it, the
/// file's cosmetic variants (other line endings, with or without a trailing
/// newline, BOM or trailing spaces) are tried against the checksum.
pub fn classify_modification(
    migration: &Migration,
    kind: LedgerKind,
    recorded: &Checksum,
    applied_source: Option<&str>,
    dialect: Dialect,
) -> Modification {
    if let Some(old) = applied_source {
        return if normalize_sql(old, dialect) == normalize_sql(&migration.content, dialect) {
            Modification::Cosmetic
        } else {
            Modification::Statements
        };
    }
    let c = &migration.content;
    let stripped: String = c.lines().map(str::trim_end).collect::<Vec<_>>().join("\n");
    let mut variants = vec![
        c.replace("\r\n", "\n"),
        c.replace("\r\n", "\n").replace('\n', "\r\n"),
        format!("{c}\n"),
        c.trim_end_matches(['\n', '\r']).to_string(),
        format!("\u{feff}{c}"),
        c.trim_start_matches('\u{feff}').to_string(),
        stripped.clone(),
        format!("{stripped}\n"),
        c.trim().to_string(),
        format!("{}\n", c.trim()),
    ];
    let more: Vec<String> = variants
        .iter()
        .map(|v| v.replace('\n', "\r\n").replace("\r\r\n", "\r\n"))
        .collect();
    variants.extend(more);
    for v in variants {
        if v == *c {
            continue;
        }
        let mut probe = migration.clone();
        probe.content = v;
        if checksums_match(&probe, kind, true, recorded) == Some(true)
            || checksums_match(&probe, kind, false, recorded) == Some(true)
        {
            return Modification::Cosmetic;
        }
    }
    Modification::Unknown
}

fn status_of(m: &Migration, state: MigrationState) -> MigrationStatus {
    MigrationStatus {
        id: m.id.clone(),
        label: m.label(),
        app: m.app.clone(),
        path: Some(m.path.clone()),
        state,
        applied_at: None,
        file_checksum: None,
        recorded_checksum: None,
        detail: None,
    }
}

/// The ids of the migrations `ledger` records as applied, as `set` and the
/// ledger spell them: the set's migrations that are applied (also by
/// implication: ancestors of a recorded head, a squashed migration whose
/// replaced ones are recorded) or modified since, and every row recorded
/// as applied (a framework's own apps, rows without a file). The
/// migrations that build the recorded state.
pub fn recorded_as_applied(set: &MigrationSet, ledger: &Ledger) -> BTreeSet<String> {
    let mut ids: BTreeSet<String> = migration_status(set, Some(ledger))
        .into_iter()
        .filter(|s| {
            matches!(
                s.state,
                MigrationState::Applied | MigrationState::Modified(_)
            )
        })
        .map(|s| s.id)
        .collect();
    ids.extend(
        ledger
            .entries
            .iter()
            .filter(|e| e.state == LedgerState::Applied)
            .map(|e| e.id.clone()),
    );
    ids
}

/// Reconciles `set` with `ledger` (or with no ledger at all: everything is
/// unapplied). Pure. Returns the set's migrations in order, then the ledger
/// entries no file matches.
///
/// Django rows of apps that have no migrations in the folder (the
/// framework's own `auth`, `contenttypes` …) are not reported as unknown.
pub fn migration_status(set: &MigrationSet, ledger: Option<&Ledger>) -> Vec<MigrationStatus> {
    let Some(ledger) = ledger else {
        return set
            .migrations
            .iter()
            .map(|m| {
                let mut s = status_of(m, MigrationState::Unapplied);
                s.detail = Some("no migration ledger in the database".into());
                s
            })
            .collect();
    };
    let kind = ledger.kind();
    let entries: BTreeMap<String, &LedgerEntry> = ledger
        .entries
        .iter()
        .map(|e| (key(kind, &e.id), e))
        .collect();
    let mut matched: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();

    let implied = ImpliedApplied {
        by_head: applied_by_head(set, ledger),
        baseline: ledger
            .entries
            .iter()
            .filter(|e| e.state == LedgerState::Baseline)
            .map(|e| e.id.clone())
            .max_by(|a, b| compare_flyway_versions(a, b)),
        // Django squashing: a squashed migration counts as applied when all
        // it replaces are, and the replaced ones when the squashed one is.
        replaced_by: set
            .migrations
            .iter()
            .flat_map(|m| m.replaces.iter().map(move |r| (r.as_str(), m.id.as_str())))
            .collect(),
    };
    let recorded = |id: &str| {
        entries
            .get(&key(kind, id))
            .is_some_and(|e| e.state == LedgerState::Applied)
    };

    for m in &set.migrations {
        let k = key(kind, &m.id);
        if let Some(e) = entries.get(&k) {
            matched.insert(k);
            out.push(recorded_status(set, ledger, m, e));
        } else {
            out.push(implied.status(m, &recorded));
        }
    }

    let apps: BTreeSet<&str> = set.apps().into_iter().collect();
    for e in &ledger.entries {
        let k = key(kind, &e.id);
        if matched.contains(&k) || e.state == LedgerState::Baseline {
            continue;
        }
        if kind == LedgerKind::Django {
            if e.app.as_deref().is_some_and(|a| !apps.contains(a)) {
                continue;
            }
            if implied.replaced_by.contains_key(e.id.as_str()) {
                continue;
            }
        }
        out.push(unknown_status(kind, e));
    }
    out
}

/// Heads-only ledgers (golang-migrate, Alembic): what is applied follows
/// from the head(s). Migration id → the recorded head it is an ancestor of.
fn applied_by_head(set: &MigrationSet, ledger: &Ledger) -> BTreeMap<String, String> {
    let mut applied_by_head: BTreeMap<String, String> = BTreeMap::new();
    let kind = ledger.kind();
    if kind == LedgerKind::GolangMigrate {
        if let Some(head) = ledger.entries.first() {
            let head_v: u128 = head.id.parse().unwrap_or(0);
            for m in &set.migrations {
                if m.id.parse::<u128>().is_ok_and(|v| v < head_v) {
                    applied_by_head.insert(m.id.clone(), head.id.clone());
                }
            }
        }
    } else if kind == LedgerKind::Alembic {
        let parents: BTreeMap<&str, &[String]> = set
            .migrations
            .iter()
            .map(|m| (m.id.as_str(), m.parents.as_slice()))
            .collect();
        for head in &ledger.entries {
            let mut stack: Vec<&str> = parents
                .get(head.id.as_str())
                .map(|p| p.iter().map(String::as_str).collect())
                .unwrap_or_default();
            while let Some(id) = stack.pop() {
                if applied_by_head
                    .insert(id.to_string(), head.id.clone())
                    .is_none()
                {
                    if let Some(ps) = parents.get(id) {
                        stack.extend(ps.iter().map(String::as_str));
                    }
                }
            }
        }
    }
    applied_by_head
}

/// The status of migration `m`, which ledger entry `e` records.
fn recorded_status(
    set: &MigrationSet,
    ledger: &Ledger,
    m: &Migration,
    e: &LedgerEntry,
) -> MigrationStatus {
    let kind = ledger.kind();
    let mut s = status_of(m, MigrationState::Applied);
    s.applied_at.clone_from(&e.applied_at);
    s.recorded_checksum.clone_from(&e.checksum);
    s.detail.clone_from(&e.detail);
    s.state = match e.state {
        LedgerState::Failed => MigrationState::Failed,
        LedgerState::Dirty => {
            s.detail = Some("dirty: the migration stopped half-way".into());
            MigrationState::Failed
        }
        LedgerState::RolledBack => {
            s.detail = Some("rolled back".into());
            MigrationState::Unapplied
        }
        LedgerState::Applied | LedgerState::Baseline => {
            let file = m.checksum_for(kind);
            s.file_checksum.clone_from(&file);
            match &e.checksum {
                Some(rec)
                    if checksums_match(m, kind, ledger.table.wide_versions, rec) == Some(false) =>
                {
                    if m.kind == MigrationKind::Repeatable {
                        s.detail = Some("changed since its last run: Flyway re-applies it".into());
                        MigrationState::Unapplied
                    } else {
                        let applied = set.applied_sources.get(&m.id).map(String::as_str);
                        MigrationState::Modified(classify_modification(
                            m,
                            kind,
                            rec,
                            applied,
                            ledger.dialect,
                        ))
                    }
                }
                _ => MigrationState::Applied,
            }
        }
    };
    s
}

/// What makes a migration the ledger does not record applied all the same.
struct ImpliedApplied<'s> {
    /// Ancestors of a recorded head (see [`applied_by_head`]).
    by_head: BTreeMap<String, String>,
    /// The highest Flyway baseline version.
    baseline: Option<String>,
    /// Django: a replaced migration's id → the squashed one replacing it.
    replaced_by: BTreeMap<&'s str, &'s str>,
}

impl ImpliedApplied<'_> {
    /// The status of migration `m`, which the ledger does not record;
    /// `recorded` tells whether the ledger records an id as applied.
    fn status(&self, m: &Migration, recorded: &dyn Fn(&str) -> bool) -> MigrationStatus {
        let mut s = status_of(m, MigrationState::Unapplied);
        if let Some(head) = self.by_head.get(&m.id) {
            s.state = MigrationState::Applied;
            s.detail = Some(format!("ancestor of recorded version {head}"));
        } else if let (Some(b), Some(v)) = (&self.baseline, &m.version) {
            if m.kind == MigrationKind::Versioned && compare_flyway_versions(v, b).is_le() {
                s.state = MigrationState::Applied;
                s.detail = Some(format!("below baseline {b}"));
            }
        }
        if s.state == MigrationState::Unapplied
            && !m.replaces.is_empty()
            && m.replaces.iter().all(|r| recorded(r))
        {
            s.state = MigrationState::Applied;
            s.detail = Some("every migration it replaces is applied".into());
        }
        if s.state == MigrationState::Unapplied {
            if let Some(sq) = self
                .replaced_by
                .get(m.id.as_str())
                .filter(|sq| recorded(sq))
            {
                s.state = MigrationState::Applied;
                s.detail = Some(format!("replaced by {sq}, which is applied"));
            }
        }
        s
    }
}

/// The status of ledger entry `e`, which no migration file matches.
fn unknown_status(kind: LedgerKind, e: &LedgerEntry) -> MigrationStatus {
    let failed = matches!(e.state, LedgerState::Failed | LedgerState::Dirty);
    let label = e
        .name
        .clone()
        .filter(|_| kind != LedgerKind::Django)
        .map_or(e.id.clone(), |n| format!("{} ({n})", e.id));
    MigrationStatus {
        id: e.id.clone(),
        label,
        app: e.app.clone(),
        path: None,
        state: if failed {
            MigrationState::Failed
        } else {
            MigrationState::Unknown
        },
        applied_at: e.applied_at.clone(),
        file_checksum: None,
        recorded_checksum: e.checksum.clone(),
        detail: Some(if failed {
            "recorded as failed; no such migration in the folder".into()
        } else {
            "recorded in the ledger; no such migration in the folder".into()
        }),
    }
}

/// A Django app with no migrations in the folder but with migrations in
/// the ledger or in the framework's graph: Django's own (`admin`, `auth`,
/// `contenttypes`, `sessions`) or a library's. `showmigrations` lists
/// them with the project's apps; they are not unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OutsideApp {
    /// The app label.
    pub app: String,
    /// Its migrations the ledger records, by name.
    pub applied: Vec<String>,
    /// Its migrations the framework knows and the ledger does not record.
    pub pending: Vec<String>,
    /// Whether the framework lists the app; `None` without the
    /// framework's graph, `Some(false)` for an app no longer installed
    /// (its rows are in the ledger only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installed: Option<bool>,
}

/// The Django apps outside `set`'s folder (see [`OutsideApp`]), from the
/// ledger's rows and, when given, the framework's own list of migrations
/// (`(app, name)` pairs, in its order). Pure; empty for other layouts.
pub fn outside_apps(
    set: &MigrationSet,
    ledger: Option<&Ledger>,
    framework: Option<&[(String, String)]>,
) -> Vec<OutsideApp> {
    if set.format != super::MigrationFormat::Django {
        return Vec::new();
    }
    let inside: BTreeSet<&str> = set.apps().into_iter().collect();
    let mut apps: BTreeMap<String, OutsideApp> = BTreeMap::new();
    let installed = framework.map(|_| false);
    fn app<'a>(
        apps: &'a mut BTreeMap<String, OutsideApp>,
        label: &str,
        installed: Option<bool>,
    ) -> &'a mut OutsideApp {
        apps.entry(label.to_string()).or_insert_with(|| OutsideApp {
            app: label.to_string(),
            applied: Vec::new(),
            pending: Vec::new(),
            installed,
        })
    }
    let recorded: BTreeSet<(&str, &str)> = ledger
        .filter(|l| l.kind() == LedgerKind::Django)
        .into_iter()
        .flat_map(|l| &l.entries)
        .filter_map(|e| {
            let app = e.app.as_deref()?;
            let name = e.name.as_deref().or_else(|| {
                e.id.strip_prefix(app)
                    .and_then(|rest| rest.strip_prefix('.'))
            })?;
            Some((app, name))
        })
        .filter(|(a, _)| !inside.contains(a))
        .collect();
    for (a, name) in &recorded {
        app(&mut apps, a, installed)
            .applied
            .push((*name).to_string());
    }
    for (a, name) in framework.unwrap_or_default() {
        if inside.contains(a.as_str()) {
            continue;
        }
        let entry = app(&mut apps, a, installed);
        entry.installed = Some(true);
        if !recorded.contains(&(a.as_str(), name.as_str())) {
            entry.pending.push(name.clone());
        }
    }
    apps.into_values().collect()
}
