//! Database URLs: parsing, dialect detection and redaction.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Mutex;

use crate::error::{Error, Result};
use driftless_model::Dialect;

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
/// use driftless_introspect::DbUrl;
/// use driftless_model::Dialect;
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
        remember_secrets(raw);
        let redacted = redact_url(raw);
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
                    reason: "missing file path (use sqlite:path/to/file.db or sqlite::memory:)"
                        .into(),
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

    /// Whether the server is on this machine, reached over a loopback
    /// address (`localhost`, `127.0.0.0/8`, `::1`). Not for SQLite.
    ///
    /// ```
    /// use driftless_introspect::DbUrl;
    /// assert!(DbUrl::parse("postgres://u@127.0.0.1/db").unwrap().is_loopback());
    /// assert!(DbUrl::parse("mysql://u@[::1]:3306/db").unwrap().is_loopback());
    /// assert!(!DbUrl::parse("postgres://u@db.internal/db").unwrap().is_loopback());
    /// ```
    pub fn is_loopback(&self) -> bool {
        if self.dialect == Dialect::Sqlite {
            return false;
        }
        let Ok(parsed) = url::Url::parse(&self.raw) else {
            return false;
        };
        // Hosts of non-special schemes stay opaque to the URL parser:
        // `127.0.0.1` arrives as a domain, `[::1]` in brackets.
        match parsed.host() {
            Some(url::Host::Domain(d)) => {
                d.eq_ignore_ascii_case("localhost")
                    || d.trim_start_matches('[')
                        .trim_end_matches(']')
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            }
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
    }

    /// Whether the URL sets any of the query parameters `names` (compared
    /// without regard to case), such as `sslmode`.
    pub fn has_param(&self, names: &[&str]) -> bool {
        query_pairs(after_scheme(&self.raw))
            .iter()
            .any(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
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

/// Secrets of every URL parsed by [`DbUrl::parse`] in this process (at
/// least [`MIN_REMEMBERED`] characters long), masked by [`redact`] wherever
/// they appear: in a driver's log line (`value=…`) as in a malformed URL.
static SECRETS: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// Shorter secrets are not remembered: masking every occurrence of two
/// letters would garble messages. The structural redaction still hides them.
const MIN_REMEMBERED: usize = 4;

/// Remembers the password and secret parameter values of `raw` (as written
/// and percent-decoded).
fn remember_secrets(raw: &str) {
    let mut found = Vec::new();
    let rest = after_scheme(raw);
    if let Some((userinfo, _)) = split_userinfo(rest) {
        if let Some((_, password)) = userinfo.split_once(':') {
            found.push(password.to_string());
        }
    }
    for (key, value) in query_pairs(rest) {
        if SECRET_PARAMS.contains(&key.to_ascii_lowercase().as_str()) {
            found.push(value.to_string());
        }
    }
    let mut secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    for f in found {
        for s in [percent_decode(&f), f] {
            if s.chars().count() >= MIN_REMEMBERED {
                secrets.insert(s);
            }
        }
    }
}

/// `raw` after `scheme:` and `//`, or all of it when it has no scheme.
fn after_scheme(raw: &str) -> &str {
    let scheme_end = raw.find(':').filter(|&i| {
        i > 0
            && raw[..i]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    match scheme_end {
        Some(i) => {
            let rest = &raw[i + 1..];
            rest.strip_prefix("//").unwrap_or(rest)
        }
        None => raw,
    }
}

/// Splits `user:password` off the front of `rest` (what follows
/// `scheme://`). The userinfo ends at the last `@` before the first `?`
/// after it, or else at the last `@`: a password holding an unencoded `/`,
/// `#`, `?` or `@` is still all userinfo.
fn split_userinfo(rest: &str) -> Option<(&str, &str)> {
    let before_query = rest.find('?').and_then(|q| rest[..q].rfind('@'));
    let at = before_query.or_else(|| rest.rfind('@'))?;
    Some((&rest[..at], &rest[at..]))
}

/// `key=value` pairs after the first `?` (or `&`/`;`-separated anywhere).
fn query_pairs(rest: &str) -> Vec<(&str, &str)> {
    let Some(q) = rest.find('?') else {
        return Vec::new();
    };
    rest[q + 1..]
        .split(['&', ';'])
        .filter_map(|pair| pair.split_once('='))
        .collect()
}

/// The userinfo of `rest` with its password masked.
fn mask_userinfo(rest: &str) -> String {
    match split_userinfo(rest) {
        Some((userinfo, tail)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***{tail}"),
            None => rest.to_string(),
        },
        None => rest.to_string(),
    }
}

/// One URL given as a whole (a command-line argument): everything between
/// the scheme and the host's `@` that follows a `:` is the password, even
/// when it holds spaces or delimiters, or the `//` is missing.
fn redact_url(raw: &str) -> String {
    let rest = after_scheme(raw);
    let head = &raw[..raw.len() - rest.len()];
    mask_secrets(&redact_params(&format!("{head}{}", mask_userinfo(rest))))
}

/// Replaces every remembered secret in `text` (longest first) with `***`.
fn mask_secrets(text: &str) -> String {
    let secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    if secrets.is_empty() {
        return text.to_string();
    }
    let mut by_length: Vec<&String> = secrets.iter().collect();
    by_length.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = text.to_string();
    for secret in by_length {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "***");
        }
    }
    out
}

/// Replaces the password and secret query parameters of anything URL-like
/// in `text` with `***`, and every secret of a URL this process parsed with
/// [`DbUrl::parse`] wherever it appears. Safe on text that is not a URL.
///
/// ```
/// assert_eq!(
///     driftless_introspect::redact("mysql://root:hunter2@h/db?password=x&ssl=1"),
///     "mysql://root:***@h/db?password=***&ssl=1"
/// );
/// // A password with an unencoded `/` is still all password.
/// assert_eq!(
///     driftless_introspect::redact("error: postgres://app:p/w@h/db is bad"),
///     "error: postgres://app:***@h/db is bad"
/// );
/// ```
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // userinfo passwords: scheme://user:password@host, within one word
    // (up to whitespace, a quote, or the next URL).
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        let mut end = tail
            .find(|c: char| c.is_whitespace() || c == '`' || c == '"' || c == '\'')
            .unwrap_or(tail.len());
        if let Some(next) = tail[..end].find("://") {
            // Another URL in the same word: stop at its scheme.
            end = tail[..next]
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c)))
                .map_or(0, |i| i + 1);
        }
        out.push_str(&mask_userinfo(&tail[..end]));
        rest = &tail[end..];
    }
    out.push_str(rest);
    mask_secrets(&redact_params(&out))
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
        if key.is_empty()
            || key.contains(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        {
            continue;
        }
        if SECRET_PARAMS.contains(&key.to_ascii_lowercase().as_str()) {
            let val_start = key_start + eq + 1;
            let val_end = bytes[val_start..]
                .find(|c: char| {
                    c == '&'
                        || c == ';'
                        || c == '#'
                        || c.is_whitespace()
                        || c == '`'
                        || c == '"'
                        || c == '\''
                })
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

    /// A password with unencoded delimiters, or a URL without `//`, showed
    /// (part of) the password in errors; a driver's log line showed a
    /// secret parameter's value.
    #[test]
    fn regression_unusual_passwords_are_redacted() {
        for (raw, shown) in [
            (
                "postgres://app:pw/x@127.0.0.1:1/prod",
                "postgres://app:***@127.0.0.1:1/prod",
            ),
            ("postgres://app:pw#x@h/prod", "postgres://app:***@h/prod"),
            ("postgres://app:pw?x@h/prod", "postgres://app:***@h/prod"),
            (
                "postgres://app:p@w@h/prod?a=b",
                "postgres://app:***@h/prod?a=b",
            ),
            ("mysql://app:pw x@h/prod", "mysql://app:***@h/prod"),
            ("postgres:app:secretpw@db/prod", "postgres:app:***@db/prod"),
            (
                "postgres://app@h/db?email=a@b.c",
                "postgres://app@h/db?email=a@b.c",
            ),
        ] {
            let shown_by_parse = match DbUrl::parse(raw) {
                Ok(u) => u.to_string(),
                Err(e) => e.to_string(),
            };
            assert!(shown_by_parse.contains(shown), "{raw}: {shown_by_parse}");
        }
        assert_eq!(
            redact("a postgres://u:p/q@h/d,mysql://v:w@h/e b"),
            "a postgres://u:***@h/d,mysql://v:***@h/e b"
        );
        DbUrl::parse("postgres://app@h/db?sslpassword=remembered-secret").ok();
        assert_eq!(
            redact(
                "ignoring unrecognized connect parameter key=sslpassword value=remembered-secret"
            ),
            "ignoring unrecognized connect parameter key=sslpassword value=***"
        );
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
        assert!(matches!(
            DbUrl::parse("redis://h"),
            Err(Error::UnsupportedScheme { .. })
        ));
        assert!(matches!(
            DbUrl::parse("nonsense"),
            Err(Error::InvalidUrl { .. })
        ));
        assert!(matches!(
            DbUrl::parse("postgres://"),
            Err(Error::InvalidUrl { .. })
        ));
        assert!(matches!(
            DbUrl::parse("sqlite:"),
            Err(Error::InvalidUrl { .. })
        ));
    }

    #[test]
    fn same_database_normalises_host_and_port() {
        let a = DbUrl::parse("postgres://root@localhost/test").ok();
        let b = DbUrl::parse("postgres://other:pw@127.0.0.1:5432/test").ok();
        let c = DbUrl::parse("postgres://root@127.0.0.1:5432/dev").ok();
        let (Some(a), Some(b), Some(c)) = (a, b, c) else {
            panic!("parse")
        };
        assert!(a.same_database(&b));
        assert!(!a.same_database(&c));
    }
}
