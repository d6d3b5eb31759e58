//! Where an Alembic project keeps its revisions, as its `alembic.ini`
//! says: `--migrations` may name the file, the folder holding it, or the
//! `script_location` folder itself (found as any folder is).

use std::path::{Component, Path, PathBuf};

use driftless_model::Error;

/// The name Alembic looks for.
const INI: &str = "alembic.ini";

/// The folder to read the revisions of an Alembic project from, when
/// `path` is an `alembic.ini` file (any `.ini` file) or a folder holding
/// `alembic.ini`: its `[alembic]` section's `version_locations` (the
/// folder they share) when set, else its `script_location`, both with
/// `%(here)s` (the file's folder) filled in and relative to the file's
/// folder. `None` for any other path: it is read as a folder.
///
/// An `alembic.ini` without `script_location`, naming a package
/// (`package:folder`) or a folder that does not exist, is an error naming
/// the file and the line.
pub fn alembic_folder(path: &Path) -> Result<Option<PathBuf>, Error> {
    let ini = if path.is_dir() {
        path.join(INI)
    } else {
        path.to_path_buf()
    };
    let is_ini = ini.extension().is_some_and(|e| e == "ini");
    if !is_ini || !ini.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&ini).map_err(|source| Error::Io {
        action: "cannot read",
        path: ini.clone(),
        source,
    })?;
    let here = match ini.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let section = Section::read(&text);
    let error = |line: usize, message: String| Error::Migration {
        path: ini.clone(),
        line,
        message,
    };
    let Some((line, location)) = section.get("script_location") else {
        return Err(error(
            section.header,
            "no `script_location` in the [alembic] section: Alembic cannot find the revisions"
                .into(),
        ));
    };
    let folder = |line: usize, value: &str| -> Result<PathBuf, Error> {
        let value = section.interpolate(value, &here);
        if value.contains(':') && !Path::new(&value).exists() {
            return Err(error(line, format!(
                "`{value}` names a Python package; give the folder of its revisions with --migrations DIR"
            )));
        }
        let dir = here.join(&value);
        if !dir.is_dir() {
            return Err(error(
                line,
                format!(
                    "`{value}` is not a folder ({} does not exist)",
                    dir.display()
                ),
            ));
        }
        Ok(dir)
    };
    let script = folder(line, location)?;
    let Some((line, versions)) = section.get("version_locations") else {
        return Ok(Some(script));
    };
    let separator = section.get("path_separator").map(|(_, s)| s.trim());
    let dirs = split_locations(versions, separator)
        .map(|v| folder(line, v))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(shared_folder(&dirs).unwrap_or(script)))
}

/// The entries of `version_locations`: split as `path_separator` says
/// (`os`: `:`, `space`, `newline`, `;`, `:`), by default on spaces and
/// commas, as Alembic does for files without the setting.
fn split_locations<'a>(value: &'a str, separator: Option<&str>) -> impl Iterator<Item = &'a str> {
    let sep: fn(char) -> bool = match separator {
        Some("os") | Some(":") => |c| c == ':' || c == '\n',
        Some(";") => |c| c == ';' || c == '\n',
        Some("newline") => |c| c == '\n',
        _ => |c: char| c.is_whitespace() || c == ',',
    };
    value.split(sep).map(str::trim).filter(|v| !v.is_empty())
}

/// The deepest folder holding every one of `dirs` (the only one when
/// there is one).
fn shared_folder(dirs: &[PathBuf]) -> Option<PathBuf> {
    fn normal(p: &Path) -> Vec<Component<'_>> {
        p.components().filter(|c| *c != Component::CurDir).collect()
    }
    let first = normal(dirs.first()?);
    let depth = dirs.iter().skip(1).fold(first.len(), |n, d| {
        let other = normal(d);
        first
            .iter()
            .zip(&other)
            .take(n)
            .take_while(|(a, b)| a == b)
            .count()
    });
    let shared: PathBuf = first[..depth].iter().collect();
    (!shared.as_os_str().is_empty()).then_some(shared)
}

/// The `[alembic]` section of an ini file: each key with its line and
/// value (continuation lines joined), and the line of the header.
struct Section<'a> {
    header: usize,
    entries: Vec<(&'a str, usize, String)>,
}

impl<'a> Section<'a> {
    fn read(text: &'a str) -> Self {
        let mut section = Section {
            header: 0,
            entries: Vec::new(),
        };
        let mut inside = false;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.starts_with('[') {
                inside = line == "[alembic]";
                if inside {
                    section.header = i + 1;
                }
                continue;
            }
            if !inside || line.is_empty() || line.starts_with(['#', ';']) {
                continue;
            }
            let continued = raw.starts_with([' ', '\t']);
            match (continued, section.entries.last_mut()) {
                (true, Some((_, _, value))) => {
                    value.push('\n');
                    value.push_str(line);
                }
                _ => {
                    if let Some((key, value)) = line.split_once(['=', ':']) {
                        section
                            .entries
                            .push((key.trim(), i + 1, value.trim().to_string()));
                    }
                }
            }
        }
        section
    }

    fn get(&self, key: &str) -> Option<(usize, &str)> {
        self.entries
            .iter()
            .rev()
            .find(|(k, _, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, line, value)| (*line, value.as_str()))
    }

    /// `value` with `%(here)s`, `%(key)s` of the section and `%%` filled
    /// in, as Python's configparser does.
    fn interpolate(&self, value: &str, here: &Path) -> String {
        let mut out = String::new();
        let mut rest = value;
        while let Some(at) = rest.find('%') {
            out.push_str(&rest[..at]);
            rest = &rest[at..];
            if let Some(after) = rest.strip_prefix("%%") {
                out.push('%');
                rest = after;
                continue;
            }
            let name = rest.strip_prefix("%(").and_then(|r| r.split_once(")s"));
            let (text, after) = match name {
                Some(("here", after)) => (here.display().to_string(), after),
                Some((key, after)) => match self.get(key) {
                    Some((_, v)) if !v.contains('%') => (v.to_string(), after),
                    _ => (format!("%({key})s"), after),
                },
                None => ("%".to_string(), &rest[1..]),
            };
            out.push_str(&text);
            rest = after;
        }
        out.push_str(rest);
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn project(ini: &str, dirs: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(INI), ini).unwrap();
        for d in dirs {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        dir
    }

    #[test]
    fn the_file_its_folder_and_here_lead_to_the_script_location() {
        let p = project(
            "[alembic]\nscript_location = %(here)s/db/migrations\n\n[loggers]\nkeys = root\n",
            &["db/migrations/versions"],
        );
        let want = p
            .path()
            .join(format!("{}/db/migrations", p.path().display()));
        assert_eq!(alembic_folder(p.path()).unwrap(), Some(want.clone()));
        assert_eq!(alembic_folder(&p.path().join(INI)).unwrap(), Some(want));
        let p = project("[alembic]\nscript_location = migrations\n", &["migrations"]);
        assert_eq!(
            alembic_folder(p.path()).unwrap(),
            Some(p.path().join("migrations"))
        );
        // A folder without alembic.ini is read as a folder.
        assert_eq!(alembic_folder(&p.path().join("migrations")).unwrap(), None);
    }

    #[test]
    fn version_locations_win_over_the_script_location() {
        let p = project(
            "[alembic]\nscript_location = .\nversion_locations = %(here)s/versions\npath_separator = os\n",
            &["versions"],
        );
        let got = alembic_folder(p.path()).unwrap().unwrap();
        assert_eq!(
            got,
            p.path().join(format!("{}/versions", p.path().display()))
        );
        let p = project(
            "[alembic]\nscript_location = m\nversion_locations = m/a m/b\n",
            &["m/a", "m/b"],
        );
        assert_eq!(alembic_folder(p.path()).unwrap(), Some(p.path().join("m")));
    }

    #[test]
    fn a_bad_alembic_ini_names_the_file_and_the_line() {
        let p = project("# settings\n[alembic]\nsqlalchemy.url = x\n", &[]);
        let e = alembic_folder(p.path()).unwrap_err().to_string();
        assert!(e.contains("alembic.ini:2: no `script_location`"), "{e}");
        let p = project("[loggers]\nkeys = root\n", &[]);
        let e = alembic_folder(p.path()).unwrap_err().to_string();
        assert!(e.contains("alembic.ini: no `script_location`"), "{e}");
        let p = project("[alembic]\n\nscript_location = %(here)s/gone\n", &[]);
        let e = alembic_folder(p.path()).unwrap_err().to_string();
        assert!(
            e.contains("alembic.ini:3: `") && e.contains("/gone` is not a folder"),
            "{e}"
        );
        let p = project("[alembic]\nscript_location = myapp:migrations\n", &[]);
        let e = alembic_folder(p.path()).unwrap_err().to_string();
        assert!(
            e.contains("alembic.ini:2: `myapp:migrations` names a Python package"),
            "{e}"
        );
    }

    #[test]
    fn interpolation_follows_configparser() {
        let s = Section::read("[alembic]\nbase = db\nscript_location = %(base)s/m%%1\n");
        let (_, v) = s.get("script_location").unwrap();
        assert_eq!(s.interpolate(v, Path::new("/p")), "db/m%1");
        assert_eq!(s.interpolate("%(here)s/x", Path::new("/p")), "/p/x");
    }
}
