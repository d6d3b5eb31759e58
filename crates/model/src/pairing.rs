//! Which schema of an expected snapshot is which schema of an actual one:
//! the one pairing policy that the rules' comparison and the fixer's plans
//! both follow.

use crate::names::{is_quarantine_schema, is_system_schema};
use crate::schema::{Dialect, Snapshot};

/// One schema of the pairing: on both sides (possibly under two names), or
/// on one side only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaPair<'a> {
    /// Its name in the expected snapshot, if it has it.
    pub expected: Option<&'a str>,
    /// Its name in the actual snapshot, if it has it.
    pub actual: Option<&'a str>,
}

/// The pairing of the schemas of two snapshots.
///
/// Where a connection reaches one schema (MySQL and MariaDB: the
/// connection's database; SQLite: `main`), the one schema on each side
/// pairs with the other whatever their names: two databases being compared
/// usually have different names (`app_staging` and `app`). Otherwise
/// (PostgreSQL, or a side with several schemas) schemas pair by name.
/// System schemas (`pg_catalog`, `information_schema`, MySQL's `mysql` …)
/// and driftless's quarantine schema take no part.
///
/// ```
/// use driftless_model::{Dialect, SchemaPairing, Snapshot};
///
/// let snapshot = |d: Dialect, schema: &str| {
///     let mut s = Snapshot::new(d);
///     s.schemas.entry(schema.into()).or_default();
///     s
/// };
/// let (staging, production) = (snapshot(Dialect::Mysql, "app_staging"), snapshot(Dialect::Mysql, "app"));
/// let pairing = SchemaPairing::new(&staging, &production);
/// assert_eq!(pairing.to_actual("app_staging"), Some("app"));
/// assert_eq!(pairing.to_expected("app"), Some("app_staging"));
///
/// let (a, b) = (snapshot(Dialect::Postgres, "billing"), snapshot(Dialect::Postgres, "public"));
/// let pairing = SchemaPairing::new(&a, &b);
/// assert_eq!(pairing.to_actual("billing"), None);
/// assert_eq!(pairing.pairs().len(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct SchemaPairing<'a> {
    expected: &'a Snapshot,
    actual: &'a Snapshot,
    pairs: Vec<SchemaPair<'a>>,
}

/// Whether a connection of dialect `d` reaches one schema only.
fn connection_scoped(d: Dialect) -> bool {
    match d {
        Dialect::Mysql | Dialect::Sqlite => true,
        Dialect::Postgres => false,
    }
}

impl<'a> SchemaPairing<'a> {
    /// Pairs the schemas of `expected` with those of `actual`.
    pub fn new(expected: &'a Snapshot, actual: &'a Snapshot) -> Self {
        let names = |s: &'a Snapshot| -> Vec<&'a str> {
            s.schemas
                .keys()
                .map(String::as_str)
                .filter(|n| !is_system_schema(n) && !is_quarantine_schema(n))
                .collect()
        };
        let (exp, act) = (names(expected), names(actual));
        let pairs = match (exp.as_slice(), act.as_slice()) {
            ([e], [a])
                if expected.dialect == actual.dialect && connection_scoped(actual.dialect) =>
            {
                vec![SchemaPair {
                    expected: Some(e),
                    actual: Some(a),
                }]
            }
            _ => by_name(&exp, &act),
        };
        SchemaPairing {
            expected,
            actual,
            pairs,
        }
    }

    /// Every schema, in the order of their names.
    pub fn pairs(&self) -> &[SchemaPair<'a>] {
        &self.pairs
    }

    /// The actual snapshot's name for schema `s`, which either side may
    /// name: `s` itself when the actual snapshot has a schema so named,
    /// otherwise the actual schema paired with expected schema `s`.
    pub fn to_actual(&self, s: &str) -> Option<&'a str> {
        own_name(self.actual, s).or_else(|| self.paired(s, |p| (p.expected, p.actual)))
    }

    /// The expected snapshot's name for schema `s`, which either side may
    /// name (see [`SchemaPairing::to_actual`]).
    pub fn to_expected(&self, s: &str) -> Option<&'a str> {
        own_name(self.expected, s).or_else(|| self.paired(s, |p| (p.actual, p.expected)))
    }

    /// The other side's name of the schema whose name on one side is `s`;
    /// `sides` gives a pair's (one side, other side).
    fn paired(
        &self,
        s: &str,
        sides: fn(&SchemaPair<'a>) -> (Option<&'a str>, Option<&'a str>),
    ) -> Option<&'a str> {
        self.pairs
            .iter()
            .map(sides)
            .find(|(from, _)| *from == Some(s))
            .and_then(|(_, to)| to)
    }

    /// The pairs whose names differ: `(expected, actual)`.
    pub fn renamed(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        self.pairs
            .iter()
            .filter_map(|p| match (p.expected, p.actual) {
                (Some(e), Some(a)) if e != a => Some((e, a)),
                _ => None,
            })
    }
}

/// `s` as `snapshot` spells it, if it has a schema so named.
fn own_name<'a>(snapshot: &'a Snapshot, s: &str) -> Option<&'a str> {
    snapshot.schemas.get_key_value(s).map(|(k, _)| k.as_str())
}

/// Merges two sorted name lists: equal names pair, the rest stand alone.
fn by_name<'a>(exp: &[&'a str], act: &[&'a str]) -> Vec<SchemaPair<'a>> {
    use std::cmp::Ordering;
    let mut out = Vec::with_capacity(exp.len().max(act.len()));
    let (mut e, mut a) = (
        exp.iter().copied().peekable(),
        act.iter().copied().peekable(),
    );
    loop {
        let order = match (e.peek(), a.peek()) {
            (None, None) => break,
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
        };
        out.push(SchemaPair {
            expected: if order.is_le() { e.next() } else { None },
            actual: if order.is_ge() { a.next() } else { None },
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(d: Dialect, schemas: &[&str]) -> Snapshot {
        let mut s = Snapshot::new(d);
        for n in schemas {
            s.schemas.entry((*n).into()).or_default();
        }
        s
    }

    fn pairs<'a>(p: &SchemaPairing<'a>) -> Vec<(Option<&'a str>, Option<&'a str>)> {
        p.pairs().iter().map(|p| (p.expected, p.actual)).collect()
    }

    #[test]
    fn connection_scoped_dialects_pair_the_single_schemas_whatever_their_names() {
        for d in [Dialect::Mysql, Dialect::Sqlite] {
            let (e, a) = (snapshot(d, &["staging"]), snapshot(d, &["app"]));
            let p = SchemaPairing::new(&e, &a);
            assert_eq!(pairs(&p), [(Some("staging"), Some("app"))], "{d}");
            assert_eq!(p.to_actual("staging"), Some("app"));
            assert_eq!(p.to_actual("app"), Some("app"));
            assert_eq!(p.to_expected("app"), Some("staging"));
            assert_eq!(p.to_expected("staging"), Some("staging"));
            assert_eq!(p.renamed().collect::<Vec<_>>(), [("staging", "app")]);
        }
        // System schemas take no part.
        let e = snapshot(Dialect::Mysql, &["staging", "mysql"]);
        let a = snapshot(Dialect::Mysql, &["app"]);
        assert_eq!(
            pairs(&SchemaPairing::new(&e, &a)),
            [(Some("staging"), Some("app"))]
        );
    }

    #[test]
    fn postgres_and_several_schemas_pair_by_name() {
        let (e, a) = (
            snapshot(Dialect::Postgres, &["billing"]),
            snapshot(Dialect::Postgres, &["public"]),
        );
        let p = SchemaPairing::new(&e, &a);
        assert_eq!(pairs(&p), [(Some("billing"), None), (None, Some("public"))]);
        assert_eq!(p.to_actual("billing"), None);
        assert_eq!(p.renamed().count(), 0);

        let e = snapshot(Dialect::Mysql, &["a", "b"]);
        let a = snapshot(Dialect::Mysql, &["b", "c"]);
        let p = SchemaPairing::new(&e, &a);
        assert_eq!(
            pairs(&p),
            [(Some("a"), None), (Some("b"), Some("b")), (None, Some("c"))]
        );
        assert_eq!(p.to_actual("a"), None);

        // Snapshots of two dialects never pair under two names.
        let e = snapshot(Dialect::Sqlite, &["main"]);
        let a = snapshot(Dialect::Mysql, &["app"]);
        assert_eq!(SchemaPairing::new(&e, &a).to_actual("main"), None);
    }
}
