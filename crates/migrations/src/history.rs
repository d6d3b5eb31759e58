//! Recovering the text a modified migration had when it was applied, from
//! the project's git history, so that a modification can be classified as
//! cosmetic or not.

use std::path::Path;
use std::process::Command;

use driftless_model::{Ledger, LedgerState, MigrationSet};

fn git(root: &Path, args: &[&str]) -> Option<Vec<u8>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .ok()?;
    out.status.success().then_some(out.stdout)
}

/// For every migration of `set` whose checksum differs from the one
/// `ledger` recorded, looks through the git history of its file for the
/// version whose checksum matches, and keeps that text in
/// [`MigrationSet::applied_sources`]. Returns how many were found.
///
/// Runs `git` in the set's folder; when git is missing or the folder is not
/// in a repository, nothing is found and the set is left as it was.
/// Ledgers without checksums have nothing to compare and find nothing.
pub fn recover_applied_sources(set: &mut MigrationSet, ledger: &Ledger) -> usize {
    let kind = ledger.kind();
    let wide = ledger.table.wide_versions;
    let mut found = Vec::new();
    for m in &set.migrations {
        let Some(entry) = ledger.entry_for(m) else {
            continue;
        };
        if entry.state != LedgerState::Applied {
            continue;
        }
        let Some(recorded) = &entry.checksum else {
            continue;
        };
        if m.matches_checksum(kind, wide, recorded) != Some(false) {
            continue;
        }
        let Some(path) = m.path.to_str() else {
            continue;
        };
        let Some(log) = git(&set.root, &["log", "--format=%H", "--", path]) else {
            continue;
        };
        for commit in String::from_utf8_lossy(&log).lines() {
            let spec = format!("{commit}:./{path}");
            let Some(bytes) = git(&set.root, &["show", &spec]) else {
                continue;
            };
            let Ok(text) = String::from_utf8(bytes) else {
                continue;
            };
            let mut probe = m.clone();
            probe.content = text;
            if probe.matches_checksum(kind, wide, recorded) == Some(true) {
                found.push((m.id.clone(), probe.content));
                break;
            }
        }
    }
    let n = found.len();
    set.applied_sources.extend(found);
    n
}
