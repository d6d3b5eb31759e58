//! Parsing `[fix]`: the repair policy a team commits with its
//! configuration. Flags on the command line override it.
//!
//! ```toml
//! [fix]
//! max_lock = "share update exclusive"   # refuse plans with a stronger lock
//! online_threshold = "16MiB"            # tables from this size change online
//! atomic = false                        # true: always one transaction
//! allow_table_copy = false              # MySQL: let ALTER TABLE copy a big table
//! lock_retries = 8                      # tries again after a lock wait times out
//! ```

use toml::de::DeValue;
use toml::Spanned;

use super::{ConfigError, Parser};

const FIX_KEYS: &str = "allow_table_copy, atomic, lock_retries, max_lock, online_threshold";

/// The `[fix]` section of `driftless.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FixSettings {
    /// `max_lock`: the strongest table lock a step may take, as written
    /// (a PostgreSQL lock mode or a MySQL `LOCK=` value; the fixer reads
    /// it), with its line.
    pub max_lock: Option<(String, usize)>,
    /// `online_threshold`: tables of at least this many bytes change
    /// online (an integer, or a string with a unit: `"16MiB"`, `"1GB"`).
    pub online_threshold: Option<u64>,
    /// `atomic`: every step in one transaction, whatever the table sizes.
    pub atomic: Option<bool>,
    /// `allow_table_copy`: MySQL/MariaDB online steps may copy their table.
    pub allow_table_copy: Option<bool>,
    /// `lock_retries`: how often an online step's statement is tried
    /// again after its lock wait timed out.
    pub lock_retries: Option<u32>,
}

/// Parses a size in bytes: `1048576`, `512kB`, `16MiB`, `1.5GB`, `2 GiB`
/// (`k`/`M`/`G`/`T` are powers of 1000, `Ki`/`Mi`/`Gi`/`Ti` of 1024;
/// the `B` is optional).
///
/// ```
/// use driftless_rules::parse_size;
/// assert_eq!(parse_size("16MiB"), Some(16 << 20));
/// assert_eq!(parse_size("1.5 GB"), Some(1_500_000_000));
/// assert_eq!(parse_size("0"), Some(0));
/// assert_eq!(parse_size("12 parsecs"), None);
/// ```
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let at = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(at);
    let number: f64 = number.parse().ok()?;
    let unit = unit.trim();
    let unit = unit.strip_suffix(['B', 'b']).unwrap_or(unit);
    let factor: u64 = match unit {
        "" => 1,
        "k" | "K" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        _ => return None,
    };
    let bytes = number * factor as f64;
    (bytes.is_finite() && bytes >= 0.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
}

impl Parser<'_> {
    /// The `[fix]` table.
    pub(super) fn fix(&self, value: &Spanned<DeValue<'_>>) -> Result<FixSettings, ConfigError> {
        let DeValue::Table(t) = value.get_ref() else {
            return Err(self.invalid(
                value.span(),
                "fix",
                format!(
                    "expected a table ([fix]), found {}",
                    value.get_ref().type_str()
                ),
            ));
        };
        let mut fix = FixSettings::default();
        for (k, v) in Self::entries(t) {
            let key = k.get_ref().as_ref();
            match key {
                "max_lock" => {
                    let s = self.string(key, v)?.trim().to_string();
                    fix.max_lock = Some((s, self.line(v.span())));
                }
                "online_threshold" => fix.online_threshold = Some(self.size(key, v)?),
                "atomic" => fix.atomic = Some(self.boolean(key, v)?),
                "allow_table_copy" => fix.allow_table_copy = Some(self.boolean(key, v)?),
                "lock_retries" => fix.lock_retries = Some(self.count(key, v)?),
                other => return Err(self.unknown_key(k.span(), "[fix]", other, FIX_KEYS)),
            }
        }
        Ok(fix)
    }

    pub(super) fn boolean(&self, key: &str, v: &Spanned<DeValue<'_>>) -> Result<bool, ConfigError> {
        match v.get_ref() {
            DeValue::Boolean(b) => Ok(*b),
            other => Err(self.invalid(
                v.span(),
                key,
                format!("expected true or false, found {}", other.type_str()),
            )),
        }
    }

    fn count(&self, key: &str, v: &Spanned<DeValue<'_>>) -> Result<u32, ConfigError> {
        let n = match v.get_ref() {
            DeValue::Integer(i) => u32::from_str_radix(i.as_str(), i.radix()).ok(),
            _ => None,
        };
        n.ok_or_else(|| self.invalid(v.span(), key, "expected a whole number from 0"))
    }

    fn size(&self, key: &str, v: &Spanned<DeValue<'_>>) -> Result<u64, ConfigError> {
        let n = match v.get_ref() {
            DeValue::Integer(i) => u64::from_str_radix(i.as_str(), i.radix()).ok(),
            DeValue::String(s) => parse_size(s),
            _ => None,
        };
        n.ok_or_else(|| {
            self.invalid(
                v.span(),
                key,
                "expected a size in bytes: a whole number, or a string such as \"16MiB\"",
            )
        })
    }
}
