//! Reading input files (migrations, snapshots, configuration) without
//! trusting what the path points at.
//!
//! Only regular files are read, at most a given number of bytes: a path
//! that names (or links to) `/dev/zero`, a FIFO, a socket, a device or a
//! folder is refused before anything is read, and a file over the limit is
//! refused instead of filling memory. The file is opened without blocking
//! (a FIFO swapped in after the first check cannot stall the open) and its
//! type is checked again on the opened descriptor, so a race between the
//! check and the open cannot slip a special file through.

use std::fmt;
use std::fs::{File, FileType, Metadata};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// One MiB.
const MIB: u64 = 1024 * 1024;

/// Default limit for one migration file: 16 MiB. Real migrations are
/// kilobytes; a data migration of a few megabytes still fits.
pub const DEFAULT_MAX_MIGRATION_SIZE: u64 = 16 * MIB;

/// Default limit for a snapshot file: 1 GiB (a 5,000-table snapshot is
/// tens of megabytes; a snapshot over this would not fit the model in
/// memory anyway).
pub const DEFAULT_MAX_SNAPSHOT_SIZE: u64 = 1024 * MIB;

/// Why an input file was refused without being read. Carried inside the
/// [`io::Error`] that [`read_regular_file`] returns; get it back with
/// [`FileRefusal::of`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileRefusal {
    /// The path is (or links to) something other than a regular file.
    NotRegular {
        /// What it is: `a FIFO`, `a character device`, `a folder` …
        kind: &'static str,
    },
    /// The file is larger than the limit.
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The path is a symbolic link whose target lies outside the folder
    /// being read (a migrations folder).
    OutsideFolder {
        /// Where the link leads (resolved).
        target: PathBuf,
    },
}

impl FileRefusal {
    /// The refusal inside `err`, when [`read_regular_file`] refused the file.
    pub fn of(err: &io::Error) -> Option<&FileRefusal> {
        err.get_ref()?.downcast_ref::<FileRefusal>()
    }

    /// The [`io::Error`] carrying this refusal (kind `InvalidInput`, or
    /// `FileTooLarge`), as [`read_regular_file`] returns it.
    pub fn into_io(self) -> io::Error {
        let kind = match self {
            FileRefusal::NotRegular { .. } | FileRefusal::OutsideFolder { .. } => {
                io::ErrorKind::InvalidInput
            }
            FileRefusal::TooLarge { .. } => io::ErrorKind::FileTooLarge,
        };
        io::Error::new(kind, self)
    }
}

impl fmt::Display for FileRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileRefusal::NotRegular { kind } => {
                write!(f, "it is {kind}, not a regular file")
            }
            FileRefusal::TooLarge { limit } => write!(
                f,
                "it is larger than the limit of {} for one file",
                human_size(*limit)
            ),
            FileRefusal::OutsideFolder { target } => write!(
                f,
                "it is a symbolic link to {}, outside the folder being read (only links inside it are followed)",
                target.display()
            ),
        }
    }
}

impl std::error::Error for FileRefusal {}

/// `16 MiB (16777216 bytes)`, or `512 bytes`.
pub(crate) fn human_size(bytes: u64) -> String {
    let units = [(1024 * MIB, "GiB"), (MIB, "MiB"), (1024, "KiB")];
    match units
        .iter()
        .find(|(unit, _)| bytes >= *unit && bytes.is_multiple_of(*unit))
    {
        Some((unit, name)) => format!("{} {name} ({bytes} bytes)", bytes / unit),
        None => format!("{bytes} bytes"),
    }
}

/// What a file type is, for messages: `None` for a regular file.
pub fn special_file_kind(ft: FileType) -> Option<&'static str> {
    if ft.is_file() {
        return None;
    }
    if ft.is_dir() {
        return Some("a folder");
    }
    if ft.is_symlink() {
        return Some("a symbolic link");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if ft.is_socket() {
            return Some("a socket");
        }
        if ft.is_char_device() {
            return Some("a character device");
        }
        if ft.is_block_device() {
            return Some("a block device");
        }
    }
    Some("a special file")
}

/// Refuses `meta` unless it is a regular file of at most `max_bytes`.
pub(crate) fn check_regular(meta: &Metadata, max_bytes: u64) -> io::Result<()> {
    if let Some(kind) = special_file_kind(meta.file_type()) {
        return Err(FileRefusal::NotRegular { kind }.into_io());
    }
    if meta.len() > max_bytes {
        return Err(FileRefusal::TooLarge { limit: max_bytes }.into_io());
    }
    Ok(())
}

/// Opens `path` for reading without blocking on a FIFO (or a device that
/// waits for a peer): the open returns at once and the type check on the
/// descriptor refuses it.
fn open_nonblocking(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    options.open(path)
}

/// Reads the regular file at `path` (symbolic links are followed), at most
/// `max_bytes` bytes.
///
/// Refuses, without reading anything, a path that is not a regular file
/// (a folder, a FIFO, a socket, a device such as `/dev/zero`) and a file
/// larger than `max_bytes`; a file that grows past the limit while it is
/// read is refused too. Refusals are [`io::Error`]s carrying a
/// [`FileRefusal`] (kind `InvalidInput` or `FileTooLarge`).
///
/// ```
/// use driftless_model::{read_regular_file, FileRefusal};
///
/// let err = read_regular_file(std::path::Path::new("/dev/zero"), 1024).unwrap_err();
/// # #[cfg(unix)]
/// assert_eq!(
///     FileRefusal::of(&err),
///     Some(&FileRefusal::NotRegular { kind: "a character device" })
/// );
/// ```
pub fn read_regular_file(path: &Path, max_bytes: u64) -> io::Result<Vec<u8>> {
    // The type first, from the path: a FIFO is never opened.
    check_regular(&std::fs::metadata(path)?, max_bytes)?;
    let file = open_nonblocking(path)?;
    // Again on the descriptor: the path may have been swapped meanwhile.
    let meta = file.metadata()?;
    check_regular(&meta, max_bytes)?;
    let capacity = usize::try_from(meta.len()).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity);
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(FileRefusal::TooLarge { limit: max_bytes }.into_io());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_a_regular_file_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.sql");
        std::fs::write(&path, "SELECT 1;\n").unwrap();
        assert_eq!(read_regular_file(&path, 10).unwrap(), b"SELECT 1;\n");
        let err = read_regular_file(&path, 9).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        assert_eq!(
            FileRefusal::of(&err),
            Some(&FileRefusal::TooLarge { limit: 9 })
        );
    }

    #[test]
    fn refuses_folders() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_regular_file(dir.path(), 10).unwrap_err();
        assert_eq!(
            FileRefusal::of(&err),
            Some(&FileRefusal::NotRegular { kind: "a folder" })
        );
        assert_eq!(err.to_string(), "it is a folder, not a regular file");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_devices_and_fifos_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("zero.sql");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let err = read_regular_file(&link, 1 << 20).unwrap_err();
        assert_eq!(
            FileRefusal::of(&err),
            Some(&FileRefusal::NotRegular {
                kind: "a character device"
            })
        );
        let fifo = dir.path().join("fifo.sql");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let err = read_regular_file(&fifo, 1 << 20).unwrap_err();
        assert_eq!(
            FileRefusal::of(&err),
            Some(&FileRefusal::NotRegular {
                kind: "a FIFO (named pipe)"
            })
        );
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(16 * MIB), "16 MiB (16777216 bytes)");
        assert_eq!(human_size(2048), "2 KiB (2048 bytes)");
        assert_eq!(human_size(1000), "1000 bytes");
    }
}
