//! Detecting and parsing each framework's migration layout. Pure: works on
//! [`SourceFile`]s, never on the file system.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;

use driftless_model::{
    compare_flyway_versions, refinery_file_name, Checksum, Error, Migration, MigrationFormat,
    MigrationKind, MigrationSet, Result,
};

use crate::python::{assignments, Assignment, PyValue};

/// A file handed to [`parse_migrations`]: a file of a migration folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Path relative to the set's root, with `/` separators.
    pub path: PathBuf,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

impl SourceFile {
    /// A file from its relative path and text.
    pub fn new(path: impl Into<PathBuf>, text: impl Into<Vec<u8>>) -> Self {
        SourceFile {
            path: path.into(),
            bytes: text.into(),
        }
    }
}

/// Detects the framework of `files` (paths relative to `root`) and parses
/// them. Pure: `root` only prefixes paths in errors.
///
/// ```
/// use driftless_migrations::{parse_migrations, SourceFile};
/// use driftless_model::MigrationFormat;
/// use std::path::Path;
///
/// let files = vec![
///     SourceFile::new("2_add_email.sql", "ALTER TABLE users ADD COLUMN email text;"),
///     SourceFile::new("1_create_users.sql", "CREATE TABLE users (id integer primary key);"),
/// ];
/// let set = parse_migrations(Path::new("migrations"), &files).unwrap();
/// assert_eq!(set.format, MigrationFormat::Sqlx);
/// assert_eq!(set.ids(), vec!["1", "2"]);
/// assert_eq!(set.migrations[1].name, "add email");
/// ```
pub fn parse_migrations(
    root: &Path,
    files: &[SourceFile],
) -> driftless_introspect::Result<MigrationSet> {
    Ok(detect_and_parse(root, files)?)
}

/// Parses `files` as a set of `format`. Pure.
pub fn parse_migrations_as(
    root: &Path,
    files: &[SourceFile],
    format: MigrationFormat,
) -> driftless_introspect::Result<MigrationSet> {
    Ok(parse(root, files, format)?)
}

/// Detects the framework of `files` and parses them.
pub(crate) fn detect_and_parse(root: &Path, files: &[SourceFile]) -> Result<MigrationSet> {
    let format = detect(files).ok_or_else(|| Error::Migration {
        path: root.to_path_buf(),
        line: 0,
        message: "no migrations found: expected a sqlx, refinery/Flyway, golang-migrate, dbmate, diesel, Prisma, Django, Alembic, Rails or SeaORM layout".into(),
    })?;
    parse(root, files, format)
}

/// Compiles a built-in pattern once. The patterns are constants exercised
/// by the unit tests, so compiling them cannot fail at run time.
#[allow(clippy::expect_used)]
fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("built-in migration file pattern"))
}

fn sqlx_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"^([^_]+)_(.+\.sql)$")
}
fn golang_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"^([0-9]+)_(.*)\.(down|up)\.(.*)$")
}
fn flyway_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"^V([0-9][0-9._]*)__(.+)\.sql$")
}
fn flyway_repeatable_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"^R__(.+)\.sql$")
}
fn dbmate_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"^(\d+)_?(.*)\.sql$")
}
fn rails_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"^(\d+)_([A-Za-z0-9_]+)\.rb$")
}
fn seaorm_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"^(m\d{8}_\d{6}_\w+)\.rs$")
}
fn dbmate_marker_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?m)^--\s*migrate:(up|down)(.*)$")
}

fn file_name(p: &Path) -> &str {
    p.file_name().and_then(|f| f.to_str()).unwrap_or("")
}

fn parent(p: &Path) -> PathBuf {
    p.parent().map(Path::to_path_buf).unwrap_or_default()
}

fn ext(p: &Path) -> &str {
    p.extension().and_then(|e| e.to_str()).unwrap_or("")
}

fn in_dir_named(p: &Path, name: &str) -> bool {
    p.parent().map(file_name) == Some(name)
}

/// Whether a file may belong to some migration layout.
pub(crate) fn wanted_file(rel: &Path) -> bool {
    let depth = rel.components().count();
    match ext(rel) {
        "sql" => true,
        "toml" => matches!(file_name(rel), "migration_lock.toml" | "metadata.toml"),
        "py" => {
            depth == 1
                || rel
                    .components()
                    .any(|c| matches!(c.as_os_str().to_str(), Some("migrations" | "versions")))
        }
        "rb" => depth == 1 || in_dir_named(rel, "migrate"),
        "rs" => seaorm_re().is_match(file_name(rel)),
        _ => false,
    }
}

/// The file as text: valid UTF-8 without NUL characters, which no
/// database accepts in SQL (and no migration language in source); a
/// file holding one is binary or damaged (e.g. zero-filled by a crash).
fn text<'a>(root: &Path, f: &'a SourceFile) -> Result<&'a str> {
    let line_at = |offset: usize| 1 + f.bytes[..offset].iter().filter(|b| **b == b'\n').count();
    let text = std::str::from_utf8(&f.bytes).map_err(|e| Error::Migration {
        path: root.join(&f.path),
        line: line_at(e.valid_up_to()),
        message: "the file is not valid UTF-8".into(),
    })?;
    match text.find('\0') {
        None => Ok(text),
        Some(at) => Err(Error::Migration {
            path: root.join(&f.path),
            line: line_at(at),
            message: format!(
                "the file holds a NUL character (column {}), which SQL cannot contain: is it binary or damaged?",
                1 + text[..at].rsplit('\n').next().map_or(0, |l| l.chars().count())
            ),
        }),
    }
}

fn migration_error(root: &Path, path: &Path, line: usize, message: impl Into<String>) -> Error {
    Error::Migration {
        path: root.join(path),
        line,
        message: message.into(),
    }
}

/// The folder most of `paths` live in (ties: the shallowest, then by name).
fn main_base<'a>(paths: impl Iterator<Item = &'a Path>, levels: usize) -> Option<PathBuf> {
    let mut counts: BTreeMap<PathBuf, usize> = BTreeMap::new();
    for p in paths {
        let mut b = p.to_path_buf();
        for _ in 0..levels {
            b = parent(&b);
        }
        *counts.entry(b).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by(|(pa, a), (pb, b)| {
            a.cmp(b)
                .then_with(|| pb.components().count().cmp(&pa.components().count()))
                .then_with(|| pb.cmp(pa))
        })
        .map(|(p, _)| p)
}

fn is_alembic(f: &SourceFile) -> bool {
    ext(&f.path) == "py" && {
        let t = String::from_utf8_lossy(&f.bytes);
        t.contains("down_revision") && t.contains("revision")
    }
}

fn is_django(f: &SourceFile) -> bool {
    ext(&f.path) == "py"
        && !file_name(&f.path).starts_with(['_', '~'])
        && (in_dir_named(&f.path, "migrations") || f.path.components().count() == 1)
        && String::from_utf8_lossy(&f.bytes).contains("class Migration")
}

fn candidates(files: &[SourceFile], format: MigrationFormat) -> Vec<&SourceFile> {
    files
        .iter()
        .filter(|f| {
            let name = file_name(&f.path);
            match format {
                MigrationFormat::Alembic => is_alembic(f),
                MigrationFormat::Django => is_django(f),
                MigrationFormat::Rails => rails_re().is_match(name),
                MigrationFormat::SeaOrm => seaorm_re().is_match(name),
                MigrationFormat::Prisma => {
                    name == "migration.sql" && f.path.components().count() >= 2
                }
                MigrationFormat::Diesel => name == "up.sql" && f.path.components().count() >= 2,
                MigrationFormat::Flyway | MigrationFormat::Refinery => {
                    flyway_re().is_match(name) || flyway_repeatable_re().is_match(name)
                }
                MigrationFormat::Dbmate => {
                    dbmate_re().is_match(name)
                        && dbmate_marker_re().is_match(&String::from_utf8_lossy(&f.bytes))
                }
                MigrationFormat::GolangMigrate => {
                    golang_re().is_match(name) && name.ends_with(".sql")
                }
                MigrationFormat::Sqlx => sqlx_re()
                    .captures(name)
                    .is_some_and(|c| c[1].chars().all(|ch| ch.is_ascii_digit())),
            }
        })
        .collect()
}

/// The framework whose layout `files` follow, if any.
fn detect(files: &[SourceFile]) -> Option<MigrationFormat> {
    use MigrationFormat as F;
    for format in [
        F::Alembic,
        F::Django,
        F::Rails,
        F::SeaOrm,
        F::Prisma,
        F::Diesel,
        F::Flyway,
        F::Dbmate,
    ] {
        if !candidates(files, format).is_empty() {
            return Some(format);
        }
    }
    let numbered = candidates(files, F::Sqlx);
    if numbered.is_empty() {
        return None;
    }
    let base = main_base(numbered.iter().map(|f| f.path.as_path()), 1)?;
    let in_base: Vec<_> = numbered
        .iter()
        .filter(|f| parent(&f.path) == base)
        .collect();
    if in_base
        .iter()
        .all(|f| golang_re().is_match(file_name(&f.path)))
    {
        Some(F::GolangMigrate)
    } else {
        Some(F::Sqlx)
    }
}

/// Parses `files` as a set of `format`.
pub(crate) fn parse(
    root: &Path,
    files: &[SourceFile],
    format: MigrationFormat,
) -> Result<MigrationSet> {
    use MigrationFormat as F;
    let migrations = match format {
        F::Sqlx => parse_sqlx(root, files)?,
        F::GolangMigrate => parse_golang(root, files)?,
        F::Flyway | F::Refinery => parse_flyway(root, files, format)?,
        F::Dbmate => parse_dbmate(root, files)?,
        F::Diesel => parse_folders(root, files, format)?,
        F::Prisma => parse_folders(root, files, format)?,
        F::Django => parse_django(root, files)?,
        F::Alembic => parse_alembic(root, files)?,
        F::Rails => parse_rails(root, files)?,
        F::SeaOrm => parse_seaorm(root, files)?,
    };
    if migrations.is_empty() {
        return Err(Error::Migration {
            path: root.to_path_buf(),
            line: 0,
            message: format!("no {format} migrations found"),
        });
    }
    let mut seen = BTreeSet::new();
    for m in &migrations {
        if !seen.insert(m.id.clone()) {
            return Err(migration_error(
                root,
                &m.path,
                0,
                format!("duplicate {format} migration id `{}`", m.id),
            ));
        }
    }
    Ok(MigrationSet {
        root: root.to_path_buf(),
        format,
        migrations,
        applied_sources: BTreeMap::new(),
    })
}

fn base_files(files: &[SourceFile], format: MigrationFormat, levels: usize) -> Vec<&SourceFile> {
    let c = candidates(files, format);
    let Some(base) = main_base(c.iter().map(|f| f.path.as_path()), levels) else {
        return Vec::new();
    };
    c.into_iter()
        .filter(|f| {
            let mut b = f.path.clone();
            for _ in 0..levels {
                b = parent(&b);
            }
            b == base
        })
        .collect()
}

fn new_migration(
    id: String,
    name: String,
    path: &Path,
    content: &str,
    sql: Option<String>,
) -> Migration {
    Migration {
        id,
        version: None,
        name,
        app: None,
        kind: MigrationKind::Versioned,
        path: path.to_path_buf(),
        content: content.to_string(),
        sql,
        sql_line: 1,
        checksum: None,
        parents: Vec::new(),
        replaces: Vec::new(),
        no_transaction: false,
    }
}

fn parse_sqlx(root: &Path, files: &[SourceFile]) -> Result<Vec<Migration>> {
    let mut out: Vec<(i64, Migration)> = Vec::new();
    for f in base_files(files, MigrationFormat::Sqlx, 1) {
        let name = file_name(&f.path);
        let Some(c) = sqlx_re().captures(name) else {
            continue;
        };
        if name.ends_with(".down.sql") {
            continue;
        }
        let version: i64 = c[1].parse().map_err(|_| {
            migration_error(
                root,
                &f.path,
                0,
                format!(
                    "expected an integer version prefix (e.g. `01_foo.sql`), found `{}`",
                    &c[1]
                ),
            )
        })?;
        let rest = &c[2];
        let suffix = if rest.ends_with(".up.sql") {
            ".up.sql"
        } else {
            ".sql"
        };
        let description = rest.trim_end_matches(suffix).replace('_', " ");
        let content = text(root, f)?;
        let mut m = new_migration(
            version.to_string(),
            description,
            &f.path,
            content,
            Some(content.to_string()),
        );
        m.version = Some(c[1].to_string());
        m.checksum = Some(Checksum::sqlx(content));
        m.no_transaction = content.starts_with("-- no-transaction");
        out.push((version, m));
    }
    out.sort_by_key(|a| a.0);
    Ok(out.into_iter().map(|(_, m)| m).collect())
}

fn parse_golang(root: &Path, files: &[SourceFile]) -> Result<Vec<Migration>> {
    let mut out: Vec<(u64, Migration)> = Vec::new();
    for f in base_files(files, MigrationFormat::GolangMigrate, 1) {
        let name = file_name(&f.path);
        let Some(c) = golang_re().captures(name) else {
            continue;
        };
        if &c[3] != "up" {
            continue;
        }
        let version: u64 = c[1].parse().map_err(|_| {
            migration_error(
                root,
                &f.path,
                0,
                format!("version `{}` is out of range", &c[1]),
            )
        })?;
        let content = text(root, f)?;
        let mut m = new_migration(
            version.to_string(),
            c[2].to_string(),
            &f.path,
            content,
            Some(content.to_string()),
        );
        m.version = Some(c[1].to_string());
        out.push((version, m));
    }
    out.sort_by_key(|a| a.0);
    Ok(out.into_iter().map(|(_, m)| m).collect())
}

fn parse_flyway(
    root: &Path,
    files: &[SourceFile],
    format: MigrationFormat,
) -> Result<Vec<Migration>> {
    let c = candidates(files, format);
    let Some(base) = c.iter().map(|f| parent(&f.path)).min_by(|a, b| {
        a.components()
            .count()
            .cmp(&b.components().count())
            .then_with(|| a.cmp(b))
    }) else {
        return Ok(Vec::new());
    };
    let mut versioned: Vec<Migration> = Vec::new();
    let mut repeatable: Vec<Migration> = Vec::new();
    for f in c.into_iter().filter(|f| f.path.starts_with(&base)) {
        let name = file_name(&f.path);
        let content = text(root, f)?;
        if let Some(cap) = flyway_re().captures(name) {
            let version = cap[1].replace('_', ".");
            if format == MigrationFormat::Refinery {
                let Some((refinery_version, refinery_name)) = refinery_file_name(name) else {
                    return Err(migration_error(
                        root,
                        &f.path,
                        0,
                        "refinery expects `V<integer>__<name>.sql`",
                    ));
                };
                let v: i64 = refinery_version.parse().map_err(|_| {
                    migration_error(
                        root,
                        &f.path,
                        0,
                        format!("refinery versions are integers, found `{refinery_version}`"),
                    )
                })?;
                let mut m = new_migration(
                    v.to_string(),
                    refinery_name.to_string(),
                    &f.path,
                    content,
                    Some(content.to_string()),
                );
                m.version = Some(refinery_version.to_string());
                m.checksum = Checksum::refinery(refinery_name, v, content, false);
                versioned.push(m);
            } else {
                let mut m = new_migration(
                    version.clone(),
                    cap[2].replace('_', " "),
                    &f.path,
                    content,
                    Some(content.to_string()),
                );
                m.version = Some(version);
                m.checksum = Some(Checksum::flyway(content));
                versioned.push(m);
            }
        } else if let Some(cap) = flyway_repeatable_re().captures(name) {
            if format == MigrationFormat::Refinery {
                continue;
            }
            let mut m = new_migration(
                format!("R__{}", &cap[1]),
                cap[1].replace('_', " "),
                &f.path,
                content,
                Some(content.to_string()),
            );
            m.kind = MigrationKind::Repeatable;
            m.checksum = Some(Checksum::flyway(content));
            repeatable.push(m);
        }
    }
    versioned.sort_by(|a, b| {
        compare_flyway_versions(
            a.version.as_deref().unwrap_or(""),
            b.version.as_deref().unwrap_or(""),
        )
    });
    for w in versioned.windows(2) {
        if compare_flyway_versions(
            w[0].version.as_deref().unwrap_or(""),
            w[1].version.as_deref().unwrap_or(""),
        ) == Ordering::Equal
        {
            return Err(migration_error(
                root,
                &w[1].path,
                0,
                format!(
                    "found more than one migration with version {} (also {})",
                    w[1].id,
                    w[0].path.display()
                ),
            ));
        }
    }
    repeatable.sort_by(|a, b| a.name.cmp(&b.name));
    versioned.extend(repeatable);
    Ok(versioned)
}

fn parse_dbmate(root: &Path, files: &[SourceFile]) -> Result<Vec<Migration>> {
    let mut out = Vec::new();
    for f in base_files(files, MigrationFormat::Dbmate, 1) {
        let name = file_name(&f.path);
        let Some(c) = dbmate_re().captures(name) else {
            continue;
        };
        let content = text(root, f)?;
        let (sql, line, options) = dbmate_up_section(content).ok_or_else(|| {
            migration_error(
                root,
                &f.path,
                0,
                "dbmate migration has no `-- migrate:up` section",
            )
        })?;
        let mut m = new_migration(
            c[1].to_string(),
            c[2].to_string(),
            &f.path,
            content,
            Some(sql),
        );
        m.version = Some(c[1].to_string());
        m.sql_line = line;
        m.no_transaction = options.contains("transaction:false");
        out.push(m);
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// The `-- migrate:up` section of a dbmate file, the line it starts on,
/// and the marker's options.
fn dbmate_up_section(content: &str) -> Option<(String, usize, String)> {
    let markers: Vec<_> = dbmate_marker_re().captures_iter(content).collect();
    let up = markers.iter().find(|c| &c[1] == "up")?;
    let whole = up.get(0)?;
    let start = content[whole.end()..]
        .find('\n')
        .map_or(content.len(), |i| whole.end() + i + 1);
    let end = markers
        .iter()
        .filter_map(|c| c.get(0))
        .map(|m| m.start())
        .find(|s| *s > whole.start())
        .unwrap_or(content.len());
    let end = end.max(start);
    let line = 1 + content[..start].matches('\n').count();
    Some((content[start..end].to_string(), line, up[2].to_string()))
}

fn parse_folders(
    root: &Path,
    files: &[SourceFile],
    format: MigrationFormat,
) -> Result<Vec<Migration>> {
    let mut out = Vec::new();
    let lock_or_meta: BTreeMap<PathBuf, &SourceFile> = files
        .iter()
        .filter(|f| file_name(&f.path) == "metadata.toml")
        .map(|f| (parent(&f.path), f))
        .collect();
    for f in base_files(files, format, 2) {
        let dir = parent(&f.path);
        let dir_name = file_name(&dir).to_string();
        let content = text(root, f)?;
        let mut m = if format == MigrationFormat::Diesel {
            let version = dir_name.split('_').next().unwrap_or("").replace('-', "");
            let name = dir_name.split_once('_').map_or("", |(_, n)| n).to_string();
            let mut m = new_migration(
                version.clone(),
                name,
                &f.path,
                content,
                Some(content.to_string()),
            );
            m.version = Some(version);
            m.no_transaction = lock_or_meta.get(&dir).is_some_and(|meta| {
                String::from_utf8_lossy(&meta.bytes)
                    .lines()
                    .any(|l| l.replace(' ', "").starts_with("run_in_transaction=false"))
            });
            m
        } else {
            let name = dir_name
                .split_once('_')
                .map_or(dir_name.as_str(), |(_, n)| n)
                .to_string();
            let mut m = new_migration(
                dir_name.clone(),
                name,
                &f.path,
                content,
                Some(content.to_string()),
            );
            m.version = dir_name.split('_').next().map(str::to_string);
            m.checksum = Some(Checksum::prisma(content));
            m
        };
        m.sql_line = 1;
        out.push(m);
    }
    out.sort_by(|a, b| a.id.cmp(&b.id).then_with(|| a.path.cmp(&b.path)));
    Ok(out)
}

fn parse_rails(root: &Path, files: &[SourceFile]) -> Result<Vec<Migration>> {
    let mut out: Vec<(u128, Migration)> = Vec::new();
    for f in base_files(files, MigrationFormat::Rails, 1) {
        let Some(c) = rails_re().captures(file_name(&f.path)) else {
            continue;
        };
        let content = text(root, f)?;
        let v: u128 = c[1]
            .parse()
            .map_err(|_| migration_error(root, &f.path, 0, "version out of range"))?;
        let mut m = new_migration(c[1].to_string(), c[2].to_string(), &f.path, content, None);
        m.version = Some(c[1].to_string());
        out.push((v, m));
    }
    out.sort_by_key(|a| a.0);
    Ok(out.into_iter().map(|(_, m)| m).collect())
}

fn parse_seaorm(root: &Path, files: &[SourceFile]) -> Result<Vec<Migration>> {
    let mut out = Vec::new();
    for f in base_files(files, MigrationFormat::SeaOrm, 1) {
        let Some(c) = seaorm_re().captures(file_name(&f.path)) else {
            continue;
        };
        let content = text(root, f)?;
        out.push(new_migration(
            c[1].to_string(),
            c[1].to_string(),
            &f.path,
            content,
            None,
        ));
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

fn seq_of_strings(v: &PyValue) -> Vec<String> {
    match v {
        PyValue::Str(s) => vec![s.clone()],
        PyValue::Seq(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn find<'a>(a: &'a [Assignment], name: &str) -> Option<&'a Assignment> {
    a.iter().find(|x| x.name == name)
}

/// Orders `migrations` so that every one comes after its parents; among
/// those ready, the earlier in the given order first.
fn topological(root: &Path, migrations: Vec<Migration>) -> Result<Vec<Migration>> {
    let index: BTreeMap<String, usize> = migrations
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id.clone(), i))
        .collect();
    let mut indegree = vec![0usize; migrations.len()];
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); migrations.len()];
    for (i, m) in migrations.iter().enumerate() {
        for p in &m.parents {
            if let Some(&pi) = index.get(p) {
                indegree[i] += 1;
                children[pi].push(i);
            }
        }
    }
    let mut ready: BTreeSet<usize> = (0..migrations.len())
        .filter(|i| indegree[*i] == 0)
        .collect();
    let mut order = Vec::with_capacity(migrations.len());
    while let Some(i) = ready.pop_first() {
        order.push(i);
        for &c in &children[i] {
            indegree[c] -= 1;
            if indegree[c] == 0 {
                ready.insert(c);
            }
        }
    }
    if order.len() != migrations.len() {
        let stuck = (0..migrations.len())
            .find(|i| indegree[*i] > 0)
            .unwrap_or(0);
        let m = &migrations[stuck];
        return Err(migration_error(
            root,
            &m.path,
            0,
            format!("dependency cycle through migration {}", m.id),
        ));
    }
    let mut slots: Vec<Option<Migration>> = migrations.into_iter().map(Some).collect();
    Ok(order.into_iter().filter_map(|i| slots[i].take()).collect())
}

fn django_app(root: &Path, path: &Path) -> String {
    let dir = parent(path);
    if dir.as_os_str().is_empty() {
        // The folder given is an app's `migrations` folder itself.
        let base = if file_name(root) == "migrations" {
            parent(root)
        } else {
            root.to_path_buf()
        };
        return file_name(&base).to_string();
    }
    let app_dir = parent(&dir);
    if app_dir.as_os_str().is_empty() {
        file_name(root).to_string()
    } else {
        file_name(&app_dir).to_string()
    }
}

fn parse_django(root: &Path, files: &[SourceFile]) -> Result<Vec<Migration>> {
    struct Raw {
        m: Migration,
        deps: Vec<(String, String, usize)>,
        replaces: Vec<(String, String)>,
    }
    let mut raws = Vec::new();
    let mut app_dirs: BTreeMap<String, PathBuf> = BTreeMap::new();
    for f in candidates(files, MigrationFormat::Django) {
        let app = django_app(root, &f.path);
        let dir = parent(&f.path);
        if let Some(other) = app_dirs.insert(app.clone(), dir.clone()) {
            if other != dir {
                return Err(migration_error(
                    root,
                    &f.path,
                    0,
                    format!(
                        "two apps share the label `{app}` ({} and {})",
                        other.display(),
                        dir.display()
                    ),
                ));
            }
        }
        let content = text(root, f)?;
        let stem = file_name(&f.path).trim_end_matches(".py").to_string();
        let a = assignments(content);
        let pairs = |v: &PyValue, line: usize| -> Vec<(String, String, usize)> {
            match v {
                PyValue::Seq(items) => items
                    .iter()
                    .filter_map(|i| match i {
                        PyValue::Seq(t) if t.len() == 2 => {
                            Some((t[0].as_str()?.to_string(), t[1].as_str()?.to_string(), line))
                        }
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            }
        };
        let deps = find(&a, "dependencies")
            .map(|d| pairs(&d.value, d.line))
            .unwrap_or_default();
        let replaces = find(&a, "replaces")
            .map(|d| {
                pairs(&d.value, d.line)
                    .into_iter()
                    .map(|(x, y, _)| (x, y))
                    .collect()
            })
            .unwrap_or_default();
        let mut m = new_migration(format!("{app}.{stem}"), stem, &f.path, content, None);
        m.app = Some(app);
        raws.push(Raw { m, deps, replaces });
    }
    let ids: BTreeSet<String> = raws.iter().map(|r| r.m.id.clone()).collect();
    let apps: BTreeSet<String> = raws.iter().filter_map(|r| r.m.app.clone()).collect();
    // First and last migration of each app, by name, for `__first__` / `__latest__`.
    let mut first: BTreeMap<String, String> = BTreeMap::new();
    let mut latest: BTreeMap<String, String> = BTreeMap::new();
    for r in &raws {
        let app = r.m.app.clone().unwrap_or_default();
        let name = r.m.name.clone();
        first
            .entry(app.clone())
            .and_modify(|n| {
                if name < *n {
                    n.clone_from(&name)
                }
            })
            .or_insert(name.clone());
        latest
            .entry(app)
            .and_modify(|n| {
                if name > *n {
                    n.clone_from(&name)
                }
            })
            .or_insert(name);
    }
    let mut migrations = Vec::new();
    for mut r in raws {
        for (app, name, line) in &r.deps {
            if !apps.contains(app) {
                // Another project's app (django.contrib.auth …): not in this folder.
                continue;
            }
            let target = match name.as_str() {
                "__first__" => first.get(app).cloned().unwrap_or_default(),
                "__latest__" => latest.get(app).cloned().unwrap_or_default(),
                n => n.to_string(),
            };
            let id = format!("{app}.{target}");
            if !ids.contains(&id) {
                return Err(migration_error(
                    root,
                    &r.m.path,
                    *line,
                    format!("migration {} depends on {id}, which does not exist", r.m.id),
                ));
            }
            r.m.parents.push(id);
        }
        r.m.replaces = r.replaces.iter().map(|(a, n)| format!("{a}.{n}")).collect();
        migrations.push(r.m);
    }
    migrations.sort_by(|a, b| a.id.cmp(&b.id));
    topological(root, migrations)
}

fn parse_alembic(root: &Path, files: &[SourceFile]) -> Result<Vec<Migration>> {
    let mut migrations = Vec::new();
    let mut lines: BTreeMap<String, usize> = BTreeMap::new();
    for f in candidates(files, MigrationFormat::Alembic) {
        let content = text(root, f)?;
        let a = assignments(content);
        let Some(rev) = find(&a, "revision").filter(|r| r.indent == 0) else {
            continue;
        };
        let Some(revision) = rev.value.as_str() else {
            return Err(migration_error(
                root,
                &f.path,
                rev.line,
                "`revision` is not a string literal",
            ));
        };
        let down = find(&a, "down_revision").filter(|r| r.indent == 0);
        let Some(down) = down else {
            return Err(migration_error(
                root,
                &f.path,
                rev.line,
                "no `down_revision` assignment",
            ));
        };
        if !matches!(
            down.value,
            PyValue::Str(_) | PyValue::None | PyValue::Seq(_)
        ) {
            return Err(migration_error(
                root,
                &f.path,
                down.line,
                "`down_revision` is not a string, a tuple of strings or None",
            ));
        }
        let mut parents = seq_of_strings(&down.value);
        if let Some(dep) = find(&a, "depends_on").filter(|r| r.indent == 0) {
            parents.extend(seq_of_strings(&dep.value));
        }
        lines.insert(revision.to_string(), down.line);
        let stem = file_name(&f.path).trim_end_matches(".py");
        let name = stem
            .strip_prefix(revision)
            .map(|s| s.trim_start_matches('_'))
            .filter(|s| !s.is_empty())
            .unwrap_or(stem)
            .to_string();
        let mut m = new_migration(revision.to_string(), name, &f.path, content, None);
        m.parents = parents;
        migrations.push(m);
    }
    let ids: BTreeSet<String> = migrations.iter().map(|m| m.id.clone()).collect();
    for m in &migrations {
        for p in &m.parents {
            if !ids.contains(p) {
                return Err(migration_error(
                    root,
                    &m.path,
                    lines.get(&m.id).copied().unwrap_or(0),
                    format!("revision {p} referenced from {} is not present", m.id),
                ));
            }
        }
    }
    migrations.sort_by(|a, b| a.path.cmp(&b.path));
    topological(root, migrations)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn f(p: &str, t: &str) -> SourceFile {
        SourceFile::new(p, t)
    }

    fn set(files: &[SourceFile]) -> MigrationSet {
        detect_and_parse(Path::new("m"), files).unwrap()
    }

    #[test]
    fn regexes_compile() {
        for r in [
            sqlx_re(),
            golang_re(),
            flyway_re(),
            flyway_repeatable_re(),
            dbmate_re(),
            rails_re(),
            seaorm_re(),
            dbmate_marker_re(),
        ] {
            assert!(!r.as_str().is_empty());
        }
    }

    #[test]
    fn sqlx_order_ids_and_descriptions() {
        let s = set(&[
            f("10_later_one.sql", "b"),
            f("2_add_x.up.sql", "a"),
            f("2_add_x.down.sql", "drop"),
            f("README.md.sql.txt", ""),
        ]);
        assert_eq!(s.format, MigrationFormat::Sqlx);
        assert_eq!(s.ids(), vec!["2", "10"]);
        assert_eq!(s.migrations[0].name, "add x");
        assert_eq!(s.migrations[1].name, "later one");
        let err = detect_and_parse(Path::new("m"), &[f("1_a.sql", ""), f("x_b.sql", "")]);
        assert!(
            err.is_ok(),
            "x_b.sql does not look like a sqlx migration and is ignored"
        );
        let err = parse(
            Path::new("m"),
            &[f("99999999999999999999_a.sql", "")],
            MigrationFormat::Sqlx,
        );
        assert!(
            matches!(err, Err(Error::Migration { line: 0, .. })),
            "{err:?}"
        );
    }

    #[test]
    fn golang_migrate_up_files_only() {
        let s = set(&[
            f("000002_b.up.sql", "2"),
            f("000001_a.up.sql", "1"),
            f("000001_a.down.sql", "x"),
        ]);
        assert_eq!(s.format, MigrationFormat::GolangMigrate);
        assert_eq!(s.ids(), vec!["1", "2"]);
        assert_eq!(s.migrations[0].sql.as_deref(), Some("1"));
    }

    #[test]
    fn flyway_versions_and_repeatables() {
        let s = set(&[
            f("sql/V1_10__ten.sql", "a"),
            f("sql/V1_9__nine.sql", "b"),
            f("sql/V2__add_users_table.sql", "c"),
            f("sql/R__views.sql", "v"),
        ]);
        assert_eq!(s.format, MigrationFormat::Flyway);
        assert_eq!(s.ids(), vec!["1.9", "1.10", "2", "R__views"]);
        assert_eq!(s.migrations[2].name, "add users table");
        assert_eq!(s.migrations[3].kind, MigrationKind::Repeatable);
        let dup = detect_and_parse(Path::new("m"), &[f("V1__a.sql", ""), f("V1.0__b.sql", "")]);
        assert!(dup.is_err());
        let r = parse(
            Path::new("m"),
            &[f("V1__create_users.sql", "x"), f("R__v.sql", "")],
            MigrationFormat::Refinery,
        )
        .unwrap();
        assert_eq!(r.ids(), vec!["1"]);
        assert_eq!(r.migrations[0].name, "create_users");
        assert_eq!(
            r.migrations[0].checksum,
            Checksum::refinery("create_users", 1, "x", false)
        );
    }

    #[test]
    fn dbmate_sections() {
        let content = "-- migrate:up transaction:false\nCREATE TABLE a (id int);\n\n-- migrate:down\nDROP TABLE a;\n";
        let s = set(&[f("db/migrations/20200101000000_create_a.sql", content)]);
        assert_eq!(s.format, MigrationFormat::Dbmate);
        let m = &s.migrations[0];
        assert_eq!(m.id, "20200101000000");
        assert_eq!(m.sql_line, 2);
        assert_eq!(m.sql.as_deref(), Some("CREATE TABLE a (id int);\n\n"));
        assert!(m.no_transaction);
    }

    #[test]
    fn diesel_and_prisma_folders() {
        let s = set(&[
            f("2023-01-02-000000_add_posts/up.sql", "b"),
            f("2023-01-02-000000_add_posts/down.sql", ""),
            f("00000000000000_diesel_initial_setup/up.sql", "a"),
        ]);
        assert_eq!(s.format, MigrationFormat::Diesel);
        assert_eq!(s.ids(), vec!["00000000000000", "20230102000000"]);
        assert_eq!(s.migrations[1].name, "add_posts");
        assert_eq!(s.migrations[1].label(), "2023-01-02-000000_add_posts");
        let p = set(&[
            f("prisma/migrations/20240102_b/migration.sql", "b"),
            f("prisma/migrations/20240101_init/migration.sql", "a"),
            f(
                "prisma/migrations/migration_lock.toml",
                "provider = \"postgresql\"",
            ),
        ]);
        assert_eq!(p.format, MigrationFormat::Prisma);
        assert_eq!(p.ids(), vec!["20240101_init", "20240102_b"]);
        assert_eq!(p.migrations[0].checksum, Some(Checksum::prisma("a")));
    }

    #[test]
    fn rails_and_seaorm() {
        let s = set(&[
            f("db/migrate/20240102000000_add_email.rb", "x"),
            f("db/migrate/20240101000000_create_users.rb", "y"),
        ]);
        assert_eq!(s.format, MigrationFormat::Rails);
        assert_eq!(s.ids(), vec!["20240101000000", "20240102000000"]);
        let s = set(&[
            f("migration/src/m20220101_000001_create_table.rs", ""),
            f("migration/src/lib.rs", ""),
        ]);
        assert_eq!(s.format, MigrationFormat::SeaOrm);
        assert_eq!(s.ids(), vec!["m20220101_000001_create_table"]);
    }

    #[test]
    fn django_dependencies_and_squash() {
        let mig = |deps: &str, extra: &str| {
            format!("from django.db import migrations\n\nclass Migration(migrations.Migration):\n    dependencies = [{deps}]\n{extra}    operations = []\n")
        };
        let files = vec![
            f("shop/migrations/__init__.py", ""),
            f(
                "shop/migrations/0001_initial.py",
                &mig("('auth', '0012_x')", ""),
            ),
            f(
                "shop/migrations/0002_order.py",
                &mig("('shop', '0001_initial'), ('users', '__first__')", ""),
            ),
            f(
                "shop/migrations/0001_squashed_0002.py",
                &mig(
                    "('users', '0001_initial')",
                    "    replaces = [('shop', '0001_initial'), ('shop', '0002_order')]\n",
                ),
            ),
            f("users/migrations/0001_initial.py", &mig("", "")),
        ];
        let s = set(&files);
        assert_eq!(s.format, MigrationFormat::Django);
        assert_eq!(s.apps(), vec!["shop", "users"]);
        let ids = s.ids();
        let pos = |id: &str| ids.iter().position(|x| *x == id).unwrap();
        assert!(pos("users.0001_initial") < pos("shop.0002_order"));
        assert!(pos("shop.0001_initial") < pos("shop.0002_order"));
        let sq = s.get("shop.0001_squashed_0002").unwrap();
        assert_eq!(sq.replaces, vec!["shop.0001_initial", "shop.0002_order"]);
        assert_eq!(
            s.get("shop.0002_order").unwrap().parents,
            vec!["shop.0001_initial", "users.0001_initial"]
        );
        let bad = vec![f(
            "shop/migrations/0002_x.py",
            &mig("\n        ('shop', '0001_missing'),\n    ", ""),
        )];
        let err = detect_and_parse(Path::new("m"), &bad).unwrap_err();
        assert!(matches!(err, Error::Migration { line: 4, .. }), "{err}");
    }

    #[test]
    fn alembic_branches_and_merges() {
        let rev = |r: &str, down: &str| {
            format!("\"\"\"msg\n\nRevision ID: {r}\n\"\"\"\nrevision = '{r}'\ndown_revision = {down}\nbranch_labels = None\n")
        };
        let files = vec![
            f("alembic/env.py", "from alembic import context\n"),
            f("alembic/versions/aaa_base.py", &rev("aaa", "None")),
            f("alembic/versions/bbb_left.py", &rev("bbb", "'aaa'")),
            f("alembic/versions/ccc_right.py", &rev("ccc", "'aaa'")),
            f(
                "alembic/versions/ddd_merge.py",
                &rev("ddd", "('bbb', 'ccc')"),
            ),
        ];
        let s = set(&files);
        assert_eq!(s.format, MigrationFormat::Alembic);
        assert_eq!(s.ids(), vec!["aaa", "bbb", "ccc", "ddd"]);
        assert_eq!(s.get("ddd").unwrap().parents, vec!["bbb", "ccc"]);
        assert_eq!(s.get("bbb").unwrap().name, "left");
        let bad = vec![f("versions/x.py", &rev("x", "'nope'"))];
        let err = detect_and_parse(Path::new("m"), &bad).unwrap_err();
        assert!(matches!(err, Error::Migration { line: 6, .. }), "{err}");
    }

    #[test]
    fn invalid_utf8_names_line() {
        let files = vec![SourceFile {
            path: "1_a.sql".into(),
            bytes: b"SELECT 1;\n\xff".to_vec(),
        }];
        let err = detect_and_parse(Path::new("m"), &files).unwrap_err();
        assert!(matches!(err, Error::Migration { line: 2, .. }), "{err}");
    }

    #[test]
    fn nothing_found() {
        assert!(detect_and_parse(Path::new("m"), &[f("notes.txt.sql.bak", "")]).is_err());
    }
}
