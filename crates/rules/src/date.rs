//! Calendar dates, for waiver expiry.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A calendar date (`YYYY-MM-DD`), used for waiver expiry.
///
/// The library never reads the clock: the caller passes today's date in
/// ([`Context::with_today`](crate::Context::with_today)).
///
/// ```
/// use driftless_rules::Date;
/// let d = Date::parse("2025-02-28").unwrap();
/// assert_eq!(d.to_string(), "2025-02-28");
/// assert!(Date::parse("2025-02-30").is_none());
/// assert!(Date::from_ymd(2025, 3, 1).unwrap() > d);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

impl Date {
    /// The date `year-month-day`, if it exists in the Gregorian calendar
    /// (years 1 to 9999).
    pub fn from_ymd(year: i32, month: u8, day: u8) -> Option<Self> {
        if !(1..=9999).contains(&year) {
            return None;
        }
        let m = time::Month::try_from(month).ok()?;
        time::Date::from_calendar_date(year, m, day).ok()?;
        Some(Date { year, month, day })
    }

    /// Parses exactly `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let digits = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = s.get(r)?;
            if part.bytes().all(|c| c.is_ascii_digit()) {
                part.parse().ok()
            } else {
                None
            }
        };
        let year = i32::try_from(digits(0..4)?).ok()?;
        let month = u8::try_from(digits(5..7)?).ok()?;
        let day = u8::try_from(digits(8..10)?).ok()?;
        Self::from_ymd(year, month, day)
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1 to 31.
    pub fn day(self) -> u8 {
        self.day
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Date::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("not a date (YYYY-MM-DD): {s}")))
    }
}

#[cfg(test)]
mod tests {
    use super::Date;

    #[test]
    fn parses_and_orders() {
        assert_eq!(
            Date::parse("2024-02-29").map(|d| d.to_string()).as_deref(),
            Some("2024-02-29")
        );
        assert!(Date::parse("2023-02-29").is_none());
        assert!(Date::parse("2023-2-01").is_none());
        assert!(Date::parse("2023-02-01x").is_none());
        assert!(Date::parse("+023-02-01").is_none());
        assert!(Date::parse("0000-01-01").is_none());
        assert!(Date::parse("2023-12-31") < Date::parse("2024-01-01"));
        let json = serde_json::to_string(&Date::from_ymd(2030, 1, 2)).unwrap();
        assert_eq!(json, "\"2030-01-02\"");
    }
}
