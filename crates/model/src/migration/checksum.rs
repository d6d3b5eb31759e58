//! Migration checksums, computed exactly as each framework computes and
//! stores them.

use std::fmt;
use std::hash::Hasher;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha384};

/// A migration checksum in the form its framework stores it in its ledger.
///
/// ```
/// use driftless_model::Checksum;
/// // Flyway hashes lines without their line endings, so CRLF and LF agree.
/// assert_eq!(Checksum::flyway("12345\r\n6789\n"), Checksum::Crc32(-873187034));
/// assert_eq!(Checksum::flyway("12345\n6789"), Checksum::flyway("12345\r\n6789\r\n"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "algorithm", content = "value", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Checksum {
    /// SHA-384 of the file's bytes, lower-case hex (sqlx, `_sqlx_migrations.checksum`).
    Sha384(String),
    /// SHA-256 of the file's bytes, lower-case hex (Prisma, `_prisma_migrations.checksum`).
    Sha256(String),
    /// Flyway's CRC-32 over the file's lines without line endings, BOM
    /// stripped, as a signed 32-bit integer (`flyway_schema_history.checksum`).
    Crc32(i32),
    /// refinery's SipHash-1-3 of name, version and SQL, as an unsigned
    /// 64-bit integer (`refinery_schema_history.checksum`).
    SipHash13(u64),
}

impl Checksum {
    /// sqlx: SHA-384 of the file as read.
    pub fn sqlx(content: &str) -> Checksum {
        Checksum::Sha384(hex(&Sha384::digest(content.as_bytes())))
    }

    /// Prisma: SHA-256 of `migration.sql`.
    pub fn prisma(content: &str) -> Checksum {
        Checksum::Sha256(hex(&Sha256::digest(content.as_bytes())))
    }

    /// Flyway: CRC-32 fed with each line's UTF-8 bytes, without line
    /// terminators (`\n`, `\r\n`, `\r`, as Java's `BufferedReader.readLine`
    /// splits them), the byte-order mark stripped from the first line; the
    /// result as a Java `int`.
    pub fn flyway(content: &str) -> Checksum {
        let mut crc = crc32fast::Hasher::new();
        let content = content.strip_prefix('\u{feff}').unwrap_or(content);
        let bytes = content.as_bytes();
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => {
                    crc.update(&bytes[start..i]);
                    i += 1;
                    start = i;
                }
                b'\r' => {
                    crc.update(&bytes[start..i]);
                    i += 1;
                    if bytes.get(i) == Some(&b'\n') {
                        i += 1;
                    }
                    start = i;
                }
                _ => i += 1,
            }
        }
        crc.update(&bytes[start..]);
        // Java's `(int) crc32.getValue()`: the low 32 bits, reinterpreted as signed.
        Checksum::Crc32(i32::from_ne_bytes(crc.finalize().to_ne_bytes()))
    }

    /// refinery: SipHash-1-3 (zero keys) over `name`, `version` and `sql`
    /// hashed as Rust's `Hash` does (`str`: bytes then `0xff`; integers:
    /// native-endian bytes). `wide` selects refinery's `int8-versions`
    /// (an `i64` version); otherwise the version is an `i32`.
    pub fn refinery(name: &str, version: i64, sql: &str, wide: bool) -> Option<Checksum> {
        let mut h = siphasher::sip::SipHasher13::new();
        h.write(name.as_bytes());
        h.write_u8(0xff);
        if wide {
            h.write(&version.to_ne_bytes());
        } else {
            let v = i32::try_from(version).ok()?;
            h.write(&v.to_ne_bytes());
        }
        h.write(sql.as_bytes());
        h.write_u8(0xff);
        Some(Checksum::SipHash13(h.finish()))
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Checksum::Sha384(h) | Checksum::Sha256(h) => f.write_str(h),
            Checksum::Crc32(v) => write!(f, "{v}"),
            Checksum::SipHash13(v) => write!(f, "{v}"),
        }
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn sqlx_is_sha384_of_the_bytes() {
        // SHA-384("abc"), FIPS 180-2 test vector.
        assert_eq!(
            Checksum::sqlx("abc").to_string(),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"
        );
        assert_ne!(Checksum::sqlx("a\n"), Checksum::sqlx("a\r\n"));
    }

    #[test]
    fn flyway_crc_is_line_based() {
        // CRC-32("123456789") = 0xCBF43926, the standard check value.
        assert_eq!(
            Checksum::flyway("123456789"),
            Checksum::Crc32(0xCBF4_3926_u32 as i32)
        );
        assert_eq!(
            Checksum::flyway("1234\r56789\r\n"),
            Checksum::flyway("123456789")
        );
        assert_eq!(
            Checksum::flyway("\u{feff}123456789"),
            Checksum::flyway("123456789")
        );
        // Blank lines contribute nothing, as in Flyway.
        assert_eq!(
            Checksum::flyway("1234\n\n56789"),
            Checksum::flyway("123456789")
        );
        assert_eq!(Checksum::flyway(""), Checksum::Crc32(0));
    }

    #[test]
    fn refinery_matches_std_hash_of_the_fields() {
        use std::hash::Hash;
        let mut h = siphasher::sip::SipHasher13::new();
        "create_users".hash(&mut h);
        1i32.hash(&mut h);
        "CREATE TABLE users (id int);".hash(&mut h);
        let expected = h.finish();
        assert_eq!(
            Checksum::refinery("create_users", 1, "CREATE TABLE users (id int);", false),
            Some(Checksum::SipHash13(expected))
        );
        assert_eq!(Checksum::refinery("x", i64::MAX, "", false), None);
    }
}
