//! Reading and writing snapshot files.

use std::path::Path;

use crate::error::{Error, Result};
use crate::files::{read_regular_file, DEFAULT_MAX_SNAPSHOT_SIZE};
use crate::schema::{Snapshot, FORMAT_VERSION};

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
    ///
    /// A document holding a NUL character (`\u0000`) anywhere is refused,
    /// naming the object: no database accepts one in SQL, and the fixer
    /// would put it into statements.
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
        let snapshot = serde_json::from_str(text).map_err(|e| Error::SnapshotParse {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        match nul_escape(text) {
            None => Ok(snapshot),
            Some(at) => Err(nul_error(text, at, path)),
        }
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

/// The byte offset of the first `\u0000` escape in JSON `text`, the only
/// way a JSON document can hold a NUL character (a raw one is invalid).
fn nul_escape(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(found) = text[from..].find("\\u0000") {
        let at = from + found;
        // An escape only if the backslash is not itself escaped.
        let backslashes = bytes[..at]
            .iter()
            .rev()
            .take_while(|b| **b == b'\\')
            .count();
        if backslashes % 2 == 0 {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// A snapshot holding a NUL character: it names the object (whose values
/// become SQL when a fix is planned) and where the escape is.
fn nul_error(text: &str, at: usize, path: &Path) -> Error {
    let before = &text[..at];
    let mut found = Vec::new();
    let object = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .filter(|v| nul_path(v, &mut found))
        .map_or_else(|| "a value".to_string(), |_| describe(&found));
    Error::SnapshotParse {
        path: path.to_path_buf(),
        line: 1 + before.matches('\n').count(),
        column: 1 + before.rsplit('\n').next().map_or(0, |l| l.chars().count()),
        message: format!("{object} holds a NUL character (\\u0000), which SQL cannot contain"),
    }
}

/// Pushes onto `path` the keys leading to the first key or string (in
/// document order) that holds a NUL character; whether there is one.
fn nul_path(value: &serde_json::Value, path: &mut Vec<String>) -> bool {
    use serde_json::Value;
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
            path.push(format!("[{i}]"));
            let hit = nul_path(item, path);
            if !hit {
                path.pop();
            }
            hit
        }),
        Value::Object(map) => map.iter().any(|(key, item)| {
            path.push(key.clone());
            let hit = key.contains('\0') || nul_path(item, path);
            if !hit {
                path.pop();
            }
            hit
        }),
        _ => false,
    }
}

/// `schemas.main.tables.u.columns.c.default` as `the default of column
/// main.u.c`; a NUL in a name as `\0`.
fn describe(path: &[String]) -> String {
    const KINDS: &[(&str, &str)] = &[
        ("schemas", "schema"),
        ("tables", "table"),
        ("views", "view"),
        ("enums", "enum"),
        ("sequences", "sequence"),
        ("columns", "column"),
        ("uniques", "unique constraint"),
        ("indexes", "index"),
        ("foreign_keys", "foreign key"),
        ("checks", "check constraint"),
    ];
    let shown = |s: &str| s.replace('\0', "\\0");
    let mut kind = None;
    let mut names = Vec::new();
    let mut field = Vec::new();
    let mut i = 0;
    while i < path.len() {
        let container = KINDS.iter().find(|(key, _)| *key == path[i]);
        match (container, path.get(i + 1)) {
            (Some((_, k)), Some(name)) if field.is_empty() => {
                kind = Some(*k);
                names.push(shown(name));
                i += 2;
            }
            _ => {
                field.push(shown(&path[i]));
                i += 1;
            }
        }
    }
    match kind {
        None => format!("`{}`", field.join(".")),
        Some(k) if field.is_empty() => format!("the name of {k} {}", names.join(".")),
        Some(k) => format!("the {} of {k} {}", field.join("."), names.join(".")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_escape_is_found_but_an_escaped_backslash_before_u0000_is_not() {
        assert_eq!(nul_escape(r#"{"a": "x\\u0000"}"#), None);
        assert_eq!(nul_escape(r#"{"a": "x\\\u0000"}"#), Some(10));
        assert_eq!(nul_escape(r#"{"a": "\u0000"}"#), Some(7));
        assert_eq!(nul_escape(r#"{"a": "\u00001"}"#), Some(7));
    }

    #[test]
    fn the_object_holding_a_nul_is_named() {
        let p = |s: &str| s.split('/').map(String::from).collect::<Vec<_>>();
        assert_eq!(
            describe(&p("schemas/main/tables/u/columns/c/default")),
            "the default of column main.u.c"
        );
        assert_eq!(
            describe(&p("schemas/main/tables/u\0x")),
            "the name of table main.u\\0x"
        );
        assert_eq!(
            describe(&p(
                "schemas/main/tables/u/indexes/i/parts/[0]/key/expression"
            )),
            "the parts.[0].key.expression of index main.u.i"
        );
        assert_eq!(describe(&p("dialect")), "`dialect`");
    }
}
