//! The conformance corpus in `tests/conformance/corpus/postgres/migra`: loading
//! a case into two fresh databases and judging it with the independent
//! fingerprint.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use driftless_model::Dialect;
use sqlx::{Connection, PgConnection};

/// One case: a current and a desired schema, and the scope its origin
/// compared (schema selection / exclusion from the case's `meta.json`).
#[derive(Debug, Clone)]
pub struct Case {
    /// Folder name.
    pub name: String,
    /// The case's folder.
    pub dir: PathBuf,
    /// Only these schemas are compared (empty: all).
    pub schemas: Vec<String>,
    /// These schemas are not compared.
    pub exclude: Vec<String>,
    /// Roles the case's SQL grants to, which must exist before it loads.
    pub roles: Vec<String>,
    /// Whether extension versions are compared (the case's
    /// `ignore_extension_versions` is false): by driftless, as its
    /// `--extension-versions` opt-in, and by the fingerprint.
    pub extension_versions: bool,
}

/// The corpus folder: `$DRIFTLESS_CONFORMANCE_DIR`, or the copy the
/// repository carries, `tests/conformance/corpus/postgres/migra`.
pub fn corpus_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("DRIFTLESS_CONFORMANCE_DIR") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/corpus/postgres/migra")
}

/// Every case in the corpus, sorted by name.
pub fn cases(dir: &Path) -> std::io::Result<Vec<Case>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if !path.join("current.sql").is_file() || !path.join("desired.sql").is_file() {
            continue;
        }
        let meta: serde_json::Value = std::fs::read_to_string(path.join("meta.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(serde_json::Value::Null);
        let flags = &meta["migra_flags"];
        let schemas = flags["schema"]
            .as_str()
            .map(|s| vec![s.to_string()])
            .unwrap_or_default();
        let exclude = flags["exclude_schema"]
            .as_str()
            .map(|s| vec![s.to_string()])
            .unwrap_or_default();
        let roles = meta["requires_roles"]
            .as_array()
            .map(|roles| {
                roles
                    .iter()
                    .filter_map(|r| r.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        out.push(Case {
            name: entry.file_name().to_string_lossy().into_owned(),
            dir: path,
            schemas,
            exclude,
            roles,
            extension_versions: flags["ignore_extension_versions"].as_bool() == Some(false),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Creates the roles a case needs on the server of `url` when they are
/// missing. Roles belong to the whole server, not to a test's database, so
/// they stay, as the origin's own harness leaves them; creating them here
/// spares the test a setup step outside the repository.
pub async fn ensure_roles(url: &str, roles: &[String]) -> Result<(), String> {
    if roles.is_empty() {
        return Ok(());
    }
    let mut c = PgConnection::connect(url)
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    for role in roles {
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
                .bind(role)
                .fetch_one(&mut c)
                .await
                .map_err(|e| format!("cannot look for role {role}: {e}"))?;
        if exists {
            continue;
        }
        let create = format!("CREATE ROLE {}", Dialect::Postgres.quote_ident(role));
        match sqlx::raw_sql(sqlx::AssertSqlSafe(create))
            .execute(&mut c)
            .await
        {
            Ok(_) => {}
            // Created meanwhile by another run: duplicate_object, or the
            // catalog's unique_violation when both inserted at once.
            Err(sqlx::Error::Database(e))
                if matches!(e.code().as_deref(), Some("42710") | Some("23505")) => {}
            Err(e) => return Err(format!("cannot create role {role}: {e}")),
        }
    }
    Ok(())
}

/// Loads an SQL file into a database with psql (the corpus is written for it).
pub fn load_sql(url: &str, file: &Path) -> Result<(), String> {
    let out = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f"])
        .arg(file)
        .output()
        .map_err(|e| format!("cannot run psql: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// The facts on which two fingerprints differ: `- fact` only in the first,
/// `+ fact` only in the second.
pub fn differences(actual: &BTreeSet<String>, desired: &BTreeSet<String>) -> Vec<String> {
    let mut out: Vec<String> = actual
        .difference(desired)
        .map(|f| format!("- {f}"))
        .collect();
    out.extend(desired.difference(actual).map(|f| format!("+ {f}")));
    out
}
