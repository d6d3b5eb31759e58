//! The namespaces object names live in, per dialect: which names a new
//! object cannot take because an object of another kind, or of another
//! table, already holds them.
//!
//! * PostgreSQL: tables, views, sequences and indexes — including the
//!   indexes behind primary keys and unique constraints, which carry the
//!   constraint's name — share one namespace per schema; tables, views and
//!   enums also share the type namespace. Check and foreign-key names are
//!   per table.
//! * SQLite: tables, views and indexes share one namespace per database
//!   (constraint names are not looked up at all; triggers have their own).
//! * MySQL/MariaDB: tables and views share one namespace per database;
//!   index names are per table; foreign-key names are per database.
//!
//! Also the names driftless makes ([`quarantine_name`]) and the identifiers
//! a SQL text mentions ([`Mentions`]).

use std::collections::{BTreeMap, BTreeSet};

use driftless_model::{Dialect, ObjectKind, ObjectRef, Schema, Table, QUARANTINE_PREFIX};

use crate::lex::mentioned_identifiers;

/// A namespace wider than one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Space {
    /// Relations (and, on PostgreSQL, indexes and index-backed constraints).
    Relation,
    /// Types (PostgreSQL).
    Type,
    /// Constraint names (MySQL foreign keys).
    Constraint,
}

/// One name an object holds in a namespace wider than its table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Name {
    pub(crate) space: Space,
    pub(crate) name: String,
    /// The object holding it.
    pub(crate) object: ObjectRef,
}

impl Name {
    fn new(space: Space, name: &str, object: ObjectRef) -> Self {
        Name {
            space,
            name: name.to_string(),
            object,
        }
    }
}

/// The names the parts of table `t` (indexes, constraints) hold in
/// namespaces wider than the table.
pub(crate) fn parts(d: Dialect, schema: &str, t: &str, table: &Table) -> Vec<Name> {
    let part = |kind, n: &str| ObjectRef::table_part(kind, schema, t, n);
    let mut out = Vec::new();
    match d {
        Dialect::Postgres => {
            if let Some(pk) = &table.primary_key {
                let o = part(ObjectKind::PrimaryKey, &pk.name);
                out.push(Name::new(Space::Relation, &pk.name, o));
            }
            for n in table.uniques.keys() {
                out.push(Name::new(Space::Relation, n, part(ObjectKind::Unique, n)));
            }
            for n in table.indexes.keys() {
                out.push(Name::new(Space::Relation, n, part(ObjectKind::Index, n)));
            }
        }
        Dialect::Sqlite => {
            for n in table.indexes.keys() {
                out.push(Name::new(Space::Relation, n, part(ObjectKind::Index, n)));
            }
        }
        Dialect::Mysql => {
            for n in table.foreign_keys.keys() {
                let o = part(ObjectKind::ForeignKey, n);
                out.push(Name::new(Space::Constraint, n, o));
            }
        }
    }
    out
}

/// The names a table holds: its own and those of its parts.
pub(crate) fn table(d: Dialect, schema: &str, t: &str, table: &Table) -> Vec<Name> {
    let mut out = relation(d, ObjectRef::table(schema, t));
    out.extend(parts(d, schema, t, table));
    out
}

/// The names a table, view or sequence holds itself.
pub(crate) fn relation(d: Dialect, object: ObjectRef) -> Vec<Name> {
    let name = object
        .name
        .clone()
        .or_else(|| object.table.clone())
        .unwrap_or_default();
    let mut out = vec![Name::new(Space::Relation, &name, object.clone())];
    if d == Dialect::Postgres && object.kind != ObjectKind::Sequence {
        out.push(Name::new(Space::Type, &name, object));
    }
    out
}

/// The name an enum type holds (PostgreSQL).
pub(crate) fn enum_type(schema: &str, n: &str) -> Name {
    Name::new(
        Space::Type,
        n,
        ObjectRef::schema_object(ObjectKind::Enum, schema, Some(n)),
    )
}

/// Every name the objects of `schema` hold, as schema `s`.
pub(crate) fn schema(d: Dialect, s: &str, schema: &Schema) -> Vec<Name> {
    let mut out = Vec::new();
    for (t, def) in &schema.tables {
        out.extend(table(d, s, t, def));
    }
    for (kind, names) in [
        (ObjectKind::View, schema.views.keys().collect::<Vec<_>>()),
        (ObjectKind::Sequence, schema.sequences.keys().collect()),
    ] {
        for n in names {
            out.extend(relation(
                d,
                ObjectRef::schema_object(kind, s, Some(n.as_str())),
            ));
        }
    }
    out.extend(schema.enums.keys().map(|n| enum_type(s, n)));
    out
}

/// Every name held in `schemas`, whatever its namespace: what a temporary
/// or quarantine name must avoid.
pub(crate) fn all_held<'a>(
    d: Dialect,
    schemas: impl IntoIterator<Item = &'a Schema>,
) -> BTreeSet<String> {
    schemas
        .into_iter()
        .flat_map(|sc| schema(d, "", sc))
        .map(|n| n.name)
        .collect()
}

/// The first name of `created` that an object of `held` other than itself
/// keeps in the same namespace, with that object. A pair the expected
/// schema holds both of is no collision: that server keeps them apart
/// (MariaDB scopes some names per table where MySQL scopes them per
/// database).
pub(crate) fn first_collision<'n>(
    created: &'n [Name],
    held: &'n [Name],
    expected: &BTreeSet<Name>,
) -> Option<(&'n Name, &'n Name)> {
    let mut by_name: BTreeMap<(&str, Space, &str), Vec<&Name>> = BTreeMap::new();
    for h in held {
        by_name
            .entry((h.object.schema.as_str(), h.space, h.name.as_str()))
            .or_default()
            .push(h);
    }
    created.iter().find_map(|c| {
        let key = (c.object.schema.as_str(), c.space, c.name.as_str());
        by_name
            .get(&key)?
            .iter()
            .find(|h| h.object != c.object && !expected.contains(**h))
            .map(|h| (c, *h))
    })
}

/// The largest identifier length of a dialect (bytes for PostgreSQL,
/// characters for MySQL).
fn max_ident(d: Dialect) -> usize {
    match d {
        Dialect::Postgres => 63,
        Dialect::Mysql => 64,
        Dialect::Sqlite => usize::MAX,
    }
}

/// 64-bit FNV-1a of `s`: a stable short id (an Alembic revision's).
pub(crate) fn fnv64(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn fnv32(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

fn truncate_to(d: Dialect, s: &str, max: usize) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let len = if d == Dialect::Postgres {
            out.len() + c.len_utf8()
        } else {
            out.chars().count() + 1
        };
        if len > max {
            break;
        }
        out.push(c);
    }
    out
}

fn ident_len(d: Dialect, s: &str) -> usize {
    if d == Dialect::Postgres {
        s.len()
    } else {
        s.chars().count()
    }
}

/// The quarantine name for `name`: `_driftless_quarantine_<name>`, made
/// short enough for the dialect and distinct from every name in `taken`.
pub(crate) fn quarantine_name(d: Dialect, name: &str, taken: &dyn Fn(&str) -> bool) -> String {
    fitted_name(d, &format!("{QUARANTINE_PREFIX}{name}"), name, taken)
}

/// `base`, made short enough for the dialect (a hash of `seed` keeps
/// truncated names apart) and distinct from every name in `taken`.
pub(crate) fn fitted_name(
    d: Dialect,
    base: &str,
    seed: &str,
    taken: &dyn Fn(&str) -> bool,
) -> String {
    let max = max_ident(d);
    let mut base = base.to_string();
    if ident_len(d, &base) > max {
        let hash = format!("_{:08x}", fnv32(seed));
        base = format!("{}{hash}", truncate_to(d, &base, max - hash.len()));
    }
    let mut candidate = base.clone();
    let mut n = 2u32;
    while taken(&candidate) {
        let suffix = format!("_{n}");
        candidate = format!(
            "{}{suffix}",
            truncate_to(d, &base, max.saturating_sub(suffix.len()))
        );
        n += 1;
    }
    candidate
}

/// Whether `text` mentions identifier `name`.
pub(crate) fn mentions(d: Dialect, text: &str, name: &str) -> bool {
    Mentions::new(d, text).has(name)
}

/// The identifiers a text mentions, lexed once for many questions (a view
/// definition asked about every table that changes).
pub(crate) struct Mentions {
    exact: std::collections::HashSet<String>,
    folded: std::collections::HashSet<String>,
}

impl Mentions {
    pub(crate) fn new(d: Dialect, text: &str) -> Self {
        let exact: std::collections::HashSet<String> =
            mentioned_identifiers(d, text).into_iter().collect();
        let folded = exact.iter().map(|i| i.to_ascii_lowercase()).collect();
        Mentions { exact, folded }
    }

    /// Whether identifier `name` is mentioned: spelled the same, or, for a
    /// name without capitals, in any ASCII case (an unquoted mention).
    pub(crate) fn has(&self, name: &str) -> bool {
        self.exact.contains(name)
            || (!name.chars().any(char::is_uppercase) && self.folded.contains(name))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use driftless_model::{Index, IndexPart, PrimaryKey};

    fn users() -> Table {
        let mut t = Table {
            primary_key: Some(PrimaryKey {
                deferrable: false,
                initially_deferred: false,
                name: "users_pkey".into(),
                columns: vec!["id".into()],
                comment: None,
            }),
            ..Table::default()
        };
        t.indexes.insert(
            "users_email_idx".into(),
            Index {
                parts: vec![IndexPart::column("email")],
                unique: false,
                method: None,
                predicate: None,
                include: Vec::new(),
                comment: None,
                ignored: false,
                storage: Vec::new(),
                nulls_not_distinct: false,
            },
        );
        t
    }

    fn names(d: Dialect) -> Vec<(Space, String)> {
        table(d, "s", "users", &users())
            .into_iter()
            .map(|n| (n.space, n.name))
            .collect()
    }

    #[test]
    fn postgres_indexes_and_keys_share_the_relation_namespace() {
        assert_eq!(
            names(Dialect::Postgres),
            [
                (Space::Relation, "users".into()),
                (Space::Type, "users".into()),
                (Space::Relation, "users_pkey".into()),
                (Space::Relation, "users_email_idx".into()),
            ]
        );
    }

    #[test]
    fn sqlite_indexes_share_the_table_namespace_and_mysql_indexes_do_not() {
        assert_eq!(
            names(Dialect::Sqlite),
            [
                (Space::Relation, "users".into()),
                (Space::Relation, "users_email_idx".into()),
            ]
        );
        assert_eq!(names(Dialect::Mysql), [(Space::Relation, "users".into())]);
    }

    #[test]
    fn quarantine_names_fit_and_are_unique() {
        let none = |_: &str| false;
        assert_eq!(
            quarantine_name(Dialect::Postgres, "avatar", &none),
            "_driftless_quarantine_avatar"
        );
        let long = "x".repeat(60);
        let q = quarantine_name(Dialect::Postgres, &long, &none);
        assert!(q.len() <= 63 && q.starts_with(QUARANTINE_PREFIX), "{q}");
        let taken = |n: &str| n == "_driftless_quarantine_avatar";
        assert_eq!(
            quarantine_name(Dialect::Mysql, "avatar", &taken),
            "_driftless_quarantine_avatar_2"
        );
    }
}
