//! Walking a migrations folder: which entries are read, which are refused
//! and which are skipped.

use std::fs::FileType;
use std::io;
use std::path::{Path, PathBuf};

use driftless_model::{
    read_regular_file, special_file_kind, Error, FileRefusal, MigrationFormat, MigrationSet,
    Result, DEFAULT_MAX_MIGRATION_SIZE,
};

use crate::formats::{self, SourceFile};

/// Reads `dir` and detects its framework, with the default
/// [`MigrationLoadOptions`].
pub fn load_migrations(dir: &Path) -> driftless_introspect::Result<MigrationSet> {
    load_migrations_with(dir, &MigrationLoadOptions::default())
}

/// Reads `dir` as a set of the given framework (for layouts that two
/// frameworks share, such as refinery and Flyway).
pub fn load_migrations_as(
    dir: &Path,
    format: MigrationFormat,
) -> driftless_introspect::Result<MigrationSet> {
    load_migrations_with(dir, &MigrationLoadOptions::default().with_format(format))
}

/// Reads `dir` as `options` say: only regular files inside the folder, each
/// at most [`MigrationLoadOptions::max_file_size`] bytes (see
/// [`MigrationLoadOptions`] for what is refused and what is skipped).
/// `dir` may also be an Alembic project's `alembic.ini` or the folder
/// holding it: the folder read is then the one it names (see
/// [`alembic_folder`](crate::alembic_folder)).
pub fn load_migrations_with(
    dir: &Path,
    options: &MigrationLoadOptions,
) -> driftless_introspect::Result<MigrationSet> {
    // An Alembic project's `alembic.ini` (or its folder) names the folder.
    let resolved = match options.format {
        None | Some(MigrationFormat::Alembic) => crate::alembic_ini::alembic_folder(dir)?,
        Some(_) => None,
    };
    let dir = resolved.as_deref().unwrap_or(dir);
    let files = read_tree(dir, options.max_file_size)?;
    let set = match options.format {
        Some(format) => formats::parse(dir, &files, format)?,
        None => formats::detect_and_parse(dir, &files)?,
    };
    Ok(set)
}

/// How [`load_migrations_with`] reads a migrations folder.
///
/// Only regular files are read. An entry named like a migration file
/// (`.sql`, and `.py`, `.rb`, `.rs`, `.toml` where the layouts keep them)
/// is **refused** — the load fails with an error naming it and saying
/// why — when it is a FIFO, a socket, a device (a link to `/dev/zero`), a
/// folder, larger than [`max_file_size`](Self::max_file_size), or a
/// symbolic link that leads outside the folder or cannot be followed.
/// Symbolic links to regular files inside the folder are followed. A link
/// outside is refused even when it leads to a regular file: a committed
/// link must not make a CI run read (and print in an error) a file of the
/// machine such as `/etc/shadow` or a key; give the real folder instead.
///
/// Other entries are never opened. Folders are searched (hidden ones and
/// dependency folders such as `node_modules` excepted); a symbolic link to
/// a folder is not followed, and a FIFO, socket, device or broken link is
/// skipped, each with a warning in the log.
///
/// ```
/// use driftless_migrations::{load_migrations_with, MigrationLoadOptions};
///
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("1_big.sql"), "SELECT 1;\n".repeat(200)).unwrap();
/// let small = MigrationLoadOptions::default().with_max_file_size(1024);
/// let err = load_migrations_with(dir.path(), &small).unwrap_err();
/// assert!(err.to_string().contains("larger than the limit of 1 KiB"));
/// let larger = MigrationLoadOptions::default().with_max_file_size(4096);
/// assert_eq!(load_migrations_with(dir.path(), &larger).unwrap().ids(), ["1"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationLoadOptions {
    /// The largest migration file read, in bytes (default
    /// [`DEFAULT_MAX_MIGRATION_SIZE`], 16 MiB).
    pub max_file_size: u64,
    /// The framework, for layouts that two share (refinery and Flyway);
    /// `None` detects it.
    pub format: Option<MigrationFormat>,
}

impl Default for MigrationLoadOptions {
    fn default() -> Self {
        MigrationLoadOptions {
            max_file_size: DEFAULT_MAX_MIGRATION_SIZE,
            format: None,
        }
    }
}

impl MigrationLoadOptions {
    /// Sets the largest migration file read, in bytes.
    pub fn with_max_file_size(mut self, bytes: u64) -> Self {
        self.max_file_size = bytes;
        self
    }

    /// Reads the folder as a set of `format` instead of detecting it.
    pub fn with_format(mut self, format: MigrationFormat) -> Self {
        self.format = Some(format);
        self
    }
}

/// Folders never searched for migrations.
const SKIPPED_DIRS: &[&str] = &[
    "node_modules",
    "target",
    "__pycache__",
    "venv",
    "site-packages",
    "vendor",
    "dist",
];

const MAX_DEPTH: usize = 8;

/// What an entry of the folder is, once links are resolved.
enum Entry {
    File,
    Folder,
    LinkToFolder,
}

/// Reads the files under `dir` that can be migrations (see
/// [`MigrationLoadOptions`] for what is refused and skipped), sorted by
/// path relative to `dir`.
fn read_tree(dir: &Path, max_file_size: u64) -> Result<Vec<SourceFile>> {
    let io_error = |action, path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    };
    let root =
        std::fs::canonicalize(dir).map_err(io_error("cannot read migrations folder", dir))?;
    if !std::fs::metadata(&root)
        .map_err(io_error("cannot read migrations folder", dir))?
        .is_dir()
    {
        return Err(Error::Migration {
            path: dir.to_path_buf(),
            line: 0,
            message: "not a folder".into(),
        });
    }
    let mut out = Vec::new();
    let mut stack = vec![(root.clone(), PathBuf::new(), 0usize)];
    while let Some((abs, rel, depth)) = stack.pop() {
        let shown_dir = dir.join(&rel);
        let entries =
            std::fs::read_dir(&abs).map_err(io_error("cannot read folder", &shown_dir))?;
        for entry in entries {
            let entry = entry.map_err(io_error("cannot read folder", &shown_dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            let rel_path = rel.join(&name);
            let shown = dir.join(&rel_path);
            let kind = entry.file_type().and_then(|ft| classify(&root, &path, ft));
            if formats::wanted_file(&rel_path) {
                let read = kind.and_then(|kind| match kind {
                    Entry::File => read_regular_file(&path, max_file_size),
                    Entry::Folder | Entry::LinkToFolder => {
                        Err(FileRefusal::NotRegular { kind: "a folder" }.into_io())
                    }
                });
                let bytes = read.map_err(io_error("cannot read migration", &shown))?;
                out.push(SourceFile {
                    path: rel_path,
                    bytes,
                });
                continue;
            }
            match kind {
                Ok(Entry::File) => {}
                Ok(Entry::Folder) => {
                    if depth < MAX_DEPTH && !SKIPPED_DIRS.contains(&name.as_str()) {
                        stack.push((path, rel_path, depth + 1));
                    }
                }
                Ok(Entry::LinkToFolder) => tracing::warn!(
                    "skipping {}: a symbolic link to a folder (links to folders are not followed)",
                    shown.display()
                ),
                // A regular file outside: not a migration, never opened.
                Err(e)
                    if matches!(FileRefusal::of(&e), Some(FileRefusal::OutsideFolder { .. }))
                        && std::fs::metadata(&path).is_ok_and(|m| m.is_file()) => {}
                Err(e) => tracing::warn!("skipping {}: {e}", shown.display()),
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// What the entry at `path` (of type `ft`, not followed) is: links are
/// followed only to a regular file or folder inside `root`.
fn classify(root: &Path, path: &Path, ft: FileType) -> io::Result<Entry> {
    if !ft.is_symlink() {
        return match special_file_kind(ft) {
            None => Ok(Entry::File),
            Some(_) if ft.is_dir() => Ok(Entry::Folder),
            Some(kind) => Err(FileRefusal::NotRegular { kind }.into_io()),
        };
    }
    let target = std::fs::canonicalize(path)?;
    let meta = std::fs::metadata(&target)?;
    if !meta.is_dir() {
        if let Some(kind) = special_file_kind(meta.file_type()) {
            return Err(FileRefusal::NotRegular { kind }.into_io());
        }
    }
    if !target.starts_with(root) {
        return Err(FileRefusal::OutsideFolder { target }.into_io());
    }
    Ok(if meta.is_dir() {
        Entry::LinkToFolder
    } else {
        Entry::File
    })
}
