//! Database URLs: parsing, dialect detection and redaction.

use std::fmt;

use crate::error::{Error, Result};
use crate::model::Dialect;

/// Query parameters whose values are secrets and never printed.
const SECRET_PARAMS: &[&str] = &[
    "password",
    "pass",
    "pwd",
    "sslpassword",
    "token",
    "access_token",
    "auth_token",
    "secret",
    "api_key",
    "apikey",
];

/// A database URL that knows its dialect and never prints its password.
///
/// ```
/// use driftless_introspect::{DbUrl, Dialect};
/// let url = DbUrl::parse("postgres://app:s3cret@db.internal:5432/prod?sslmode=require").unwrap();
/// assert_eq!(url.dialect(), Dialect::Postgres);
/// assert_eq!(url.to_string(), "postgres://app:***@db.internal:5432/prod?sslmode=require");
/// assert_eq!(url.database(), Some("prod"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct DbUrl {
    raw: String,
    dialect: Dialect,
    redacted: String,
    database: Option<String>,
}

impl DbUrl {
    /// Parses `postgres://`, `postgresql://`, `mysql://`, `mariadb://` and
    /// `sqlite:` URLs (`sqlite::memory:`, `sqlite:path`, `sqlite://path`).
    pub fn parse(raw: &str) -> Result<Self> {
        let raw = raw.trim();
        let redacted = redact(raw);
        let Some((scheme, _)) = raw.split_once(':') else {
            return Err(Error::InvalidUrl {
                url: redacted,
                reason: "expected a URL such as postgres://user@host/db, mysql://user@host/db or sqlite:path".into(),
            });
        };
        let dialect = match scheme.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" => Dialect::Postgres,
            "mysql" | "mariadb" => Dialect::Mysql,
            "sqlite" => Dialect::Sqlite,
            other => {
                return Err(Error::UnsupportedScheme {
                    scheme: other.to_string(),
                    url: redacted,
                })
            }
        };
        let database = if dialect == Dialect::Sqlite {
            let path = sqlite_path(raw);
            if path.is_empty() {
                return Err(Error::InvalidUrl {
                    url: redacted,
                    reason: "missing file path (use sqlite:path/to/file.db or sqlite::memory:)".into(),
                });
            }
            Some(path.to_string())
        } else {
            let parsed = url::Url::parse(raw).map_err(|e| Error::InvalidUrl {
                url: redacted.clone(),
                reason: e.to_string(),
            })?;
            if parsed.host_str().is_none_or(str::is_empty) {
                return Err(Error::InvalidUrl {
                    url: redacted,
                    reason: "missing host".into(),
                });
            }
            let db = parsed.path().trim_start_matches('/');
            let db = percent_decode(db);
            (!db.is_empty()).then_some(db)
        };
        Ok(DbUrl {
            raw: raw.to_string(),
            dialect,
            redacted,
            database,
        })
    }

    /// The database kind this URL points at.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The database name (SQLite: the file path), if the URL names one.
    pub fn database(&self) -> Option<&str> {
        self.database.as_deref()
    }

    /// The URL with its secrets, for handing to a driver or a child process.
    /// Never print it.
    pub fn expose_secret(&self) -> &str {
        &self.raw
    }

    /// The same server with another database name (not for SQLite).
    pub fn with_database(&self, name: &str) -> Result<Self> {
        if self.dialect == Dialect::Sqlite {
            return Err(Error::Invalid(
                "a SQLite URL names a file, not a database on a server".into(),
            ));
        }
        let mut parsed = url::Url::parse(&self.raw).map_err(|e| Error::InvalidUrl {
            url: self.redacted.clone(),
            reason: e.to_string(),
        })?;
        parsed.set_path(&format!("/{name}"));
        DbUrl::parse(parsed.as_str())
    }

    /// Whether this URL points at an in-memory SQLite database.
    pub fn is_sqlite_memory(&self) -> bool {
        self.dialect == Dialect::Sqlite
            && self
                .database
                .as_deref()
                .is_some_and(|p| p == ":memory:" || p.contains("mode=memory"))
    }

    /// Whether two URLs point at the same database (same host, port and name).
    pub fn same_database(&self, other: &DbUrl) -> bool {
        if self.dialect != other.dialect {
            return false;
        }
        if self.dialect == Dialect::Sqlite {
            let canon = |p: &str| {
                std::fs::canonicalize(p)
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|_| p.to_string())
            };
            return match (&self.database, &other.database) {
                (Some(a), Some(b)) => canon(a) == canon(b) && !self.is_sqlite_memory(),
                _ => false,
            };
        }
        let key = |u: &DbUrl| {
            url::Url::parse(&u.raw).ok().map(|p| {
                let host = match p.host_str() {
                    Some("localhost") | Some("::1") | Some("[::1]") => "127.0.0.1".to_string(),
                    Some(h) => h.to_ascii_lowercase(),
                    None => String::new(),
                };
                let port = p.port().unwrap_or(match u.dialect {
                    Dialect::Postgres => 5432,
                    _ => 3306,
                });
                (host, port, u.database.clone())
            })
        };
        key(self).is_some() && key(self) == key(other)
    }
}

impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DbUrl").field(&self.redacted).finish()
    }
}

fn sqlite_path(raw: &str) -> &str {
    let rest = &raw["sqlite:".len().min(raw.len())..];
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    rest.split('?').next().unwrap_or("")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(v) = u8::from_str_radix(hex, 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Replaces the password and secret query parameters of anything URL-like
/// in `text` with `***`. Safe on text that is not a URL.
///
/// ```
/// assert_eq!(
///     driftless_introspect::redact("mysql://root:hunter2@h/db?password=x&ssl=1"),
///     "mysql://root:***@h/db?password=***&ssl=1"
/// );
/// ```
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // userinfo passwords: scheme://user:password@host
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || c == '/' || c == '`' || c == '"' || c == '\'')
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        if let Some(at) = authority.rfind('@') {
            let userinfo = &authority[..at];
            if let Some(colon) = userinfo.find(':') {
                out.push_str(&userinfo[..colon]);
                out.push_str(":***");
                out.push_str(&authority[at..]);
            } else {
                out.push_str(authority);
            }
        } else {
            out.push_str(authority);
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    redact_params(&out)
}

fn redact_params(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text;
    let mut last = 0;
    for (i, c) in text.char_indices() {
        if c != '?' && c != '&' && c != ';' {
            continue;
        }
        let key_start = i + 1;
        let Some(eq) = bytes[key_start..].find('=') else {
            continue;
        };
        let key = &bytes[key_start..key_start + eq];
        if key.is_empty() || key.contains(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')) {
            continue;
        }
        if SECRET_PARAMS.contains(&key.to_ascii_lowercase().as_str()) {
            let val_start = key_start + eq + 1;
            let val_end = bytes[val_start..]
                .find(|c: char| c == '&' || c == ';' || c == '#' || c.is_whitespace() || c == '`' || c == '"' || c == '\'')
                .map_or(bytes.len(), |e| val_start + e);
            out.push_str(&bytes[last..val_start]);
            out.push_str("***");
            last = val_end;
        }
    }
    out.push_str(&bytes[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_userinfo_and_params() {
        assert_eq!(redact("postgres://u:p@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact("error at postgres://u:p%40x@h:1/db?sslpassword=zz and mysql://a:b@c/d"),
            "error at postgres://u:***@h:1/db?sslpassword=*** and mysql://a:***@c/d"
        );
        assert_eq!(redact("x?token=abc&a=1"), "x?token=***&a=1");
        assert_eq!(redact("no url here"), "no url here");
        assert_eq!(redact("p://:@"), "p://:***@");
    }

    #[test]
    fn parses_dialects() {
        for (u, d) in [
            ("postgresql://h/db", Dialect::Postgres),
            ("mariadb://root@127.0.0.1:3306/test", Dialect::Mysql),
            ("sqlite::memory:", Dialect::Sqlite),
            ("sqlite://data/app.db?mode=ro", Dialect::Sqlite),
        ] {
            assert_eq!(DbUrl::parse(u).map(|u| u.dialect()).ok(), Some(d), "{u}");
        }
        assert!(matches!(DbUrl::parse("redis://h"), Err(Error::UnsupportedScheme { .. })));
        assert!(matches!(DbUrl::parse("nonsense"), Err(Error::InvalidUrl { .. })));
        assert!(matches!(DbUrl::parse("postgres://"), Err(Error::InvalidUrl { .. })));
        assert!(matches!(DbUrl::parse("sqlite:"), Err(Error::InvalidUrl { .. })));
    }

    #[test]
    fn same_database_normalises_host_and_port() {
        let a = DbUrl::parse("postgres://root@localhost/test").ok();
        let b = DbUrl::parse("postgres://other:pw@127.0.0.1:5432/test").ok();
        let c = DbUrl::parse("postgres://root@127.0.0.1:5432/dev").ok();
        let (Some(a), Some(b), Some(c)) = (a, b, c) else { panic!("parse") };
        assert!(a.same_database(&b));
        assert!(!a.same_database(&c));
    }
}
