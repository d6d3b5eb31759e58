//! Reading and writing snapshot files.

use std::path::Path;

use crate::error::{Error, Result};
use crate::files::{read_regular_file, DEFAULT_MAX_SNAPSHOT_SIZE};
use crate::model::{Snapshot, FORMAT_VERSION};

impl Snapshot {
    /// Serialises to pretty JSON with a trailing newline; deterministic.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|e| {
            // Serialising plain data with string keys cannot fail; keep a
            // readable document anyway rather than panicking.
            format!("{{\"error\": {:?}}}", e.to_string())
        });
        s.push('\n');
        s
    }

    /// Parses a snapshot document. `path` is used in error messages only.
    pub fn from_json(text: &str, path: &Path) -> Result<Self> {
        #[derive(serde::Deserialize)]
        struct Probe {
            format_version: Option<u32>,
        }
        if let Ok(Probe {
            format_version: Some(v),
        }) = serde_json::from_str::<Probe>(text)
        {
            if v > FORMAT_VERSION {
                return Err(Error::SnapshotVersion {
                    path: path.to_path_buf(),
                    found: v,
                    supported: FORMAT_VERSION,
                });
            }
        }
        serde_json::from_str(text).map_err(|e| Error::SnapshotParse {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
    }

    /// Reads a snapshot file: a regular file (symbolic links followed) of
    /// at most [`DEFAULT_MAX_SNAPSHOT_SIZE`] bytes; a FIFO, a device or a
    /// folder is refused without being read (see [`read_regular_file`]).
    pub fn load(path: &Path) -> Result<Self> {
        let io = |source| Error::Io {
            action: "cannot read snapshot",
            path: path.to_path_buf(),
            source,
        };
        let bytes = read_regular_file(path, DEFAULT_MAX_SNAPSHOT_SIZE).map_err(io)?;
        let text = String::from_utf8(bytes).map_err(|_| {
            io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the file is not valid UTF-8",
            ))
        })?;
        Snapshot::from_json(&text, path)
    }

    /// Writes a snapshot file.
    pub fn save(&self, path: &Path) -> Result<()> {
        let io = |source| Error::Io {
            action: "cannot write snapshot",
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::create(path).map_err(io)?;
        let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
        self.write_json(&mut out).map_err(io)?;
        std::io::Write::flush(&mut out).map_err(io)
    }

    /// Writes what [`Snapshot::to_json`] returns to `out`, as it is
    /// produced (a 5,000-table snapshot is tens of megabytes).
    pub fn write_json(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self).map_err(std::io::Error::from)?;
        out.write_all(b"\n")
    }
}
