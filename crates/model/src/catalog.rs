//! Catalog objects the model does not compare: listed by kind, schema and
//! name, so that a report can say what it did not look at instead of
//! claiming there is no drift.
//!
//! Each dialect has one list of the kinds its reader lists
//! ([`CatalogKind::not_compared`]). When the model learns to compare a
//! kind, that kind leaves the list and the reader stops listing it.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::dialect::Dialect;

/// Declares [`CatalogKind`] from one list: each kind with its name
/// (snapshots, JSON, `driftless.toml`) and its plural.
macro_rules! catalog_kinds {
    ($($(#[doc = $doc:literal])* $kind:ident => $name:literal, $plural:literal;)*) => {
        /// The kind of a catalog object the model does not compare.
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        #[non_exhaustive]
        pub enum CatalogKind {
            $($(#[doc = $doc])* #[serde(rename = $name)] $kind,)*
        }

        impl CatalogKind {
            /// Every kind, in order.
            pub const ALL: &'static [CatalogKind] = &[$(CatalogKind::$kind),*];

            /// The name (`event trigger`), as snapshots, JSON and
            /// `driftless.toml` spell it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(CatalogKind::$kind => $name,)*
                }
            }

            /// The plural messages use (`event triggers`, `policies`).
            pub fn plural(self) -> &'static str {
                match self {
                    $(CatalogKind::$kind => $plural,)*
                }
            }
        }
    };
}

catalog_kinds! {
    /// A function (PostgreSQL, MySQL).
    Function => "function", "functions";
    /// A procedure.
    Procedure => "procedure", "procedures";
    /// An aggregate function (PostgreSQL).
    Aggregate => "aggregate", "aggregates";
    /// A trigger on a table or view.
    Trigger => "trigger", "triggers";
    /// An event trigger (PostgreSQL; database-wide).
    EventTrigger => "event trigger", "event triggers";
    /// A row-level security policy (PostgreSQL).
    Policy => "policy", "policies";
    /// Row-level security enabled on a table (PostgreSQL).
    RowSecurity => "row security", "tables with row security";
    /// A rewrite rule that does not implement a view (PostgreSQL).
    Rule => "rule", "rules";
    /// An installed extension (PostgreSQL): one per database, read when the
    /// schema it is installed in is; that schema is part of its
    /// definition, and changes in place.
    Extension => "extension", "extensions";
    /// A domain (PostgreSQL).
    Domain => "domain", "domains";
    /// A base type made by `CREATE TYPE … (INPUT = …)` (PostgreSQL).
    BaseType => "base type", "base types";
    /// A composite type (PostgreSQL).
    CompositeType => "composite type", "composite types";
    /// A range type (PostgreSQL).
    RangeType => "range type", "range types";
    /// A collation (PostgreSQL).
    Collation => "collation", "collations";
    /// A foreign table (PostgreSQL).
    ForeignTable => "foreign table", "foreign tables";
    /// A foreign-data wrapper (PostgreSQL; database-wide).
    ForeignDataWrapper => "foreign data wrapper", "foreign data wrappers";
    /// A foreign server (PostgreSQL; database-wide).
    ForeignServer => "foreign server", "foreign servers";
    /// A publication (PostgreSQL; database-wide).
    Publication => "publication", "publications";
    /// A subscription (PostgreSQL; database-wide).
    Subscription => "subscription", "subscriptions";
    /// A partition of a partitioned table (MySQL, whose bounds are not
    /// compared; PostgreSQL partitions are tables, with their bound in
    /// [`Table::options`](crate::Table::options)).
    Partition => "partition", "partitions";
    /// A table a partition manager (pg_partman) keeps to copy settings to
    /// the partitions it makes (PostgreSQL; listed as the manager's).
    PartitionTemplate => "partition template", "partition templates";
    /// A table that inherits from another (PostgreSQL; compared as a table,
    /// with its parents in [`Table::options`](crate::Table::options)).
    InheritanceChild => "inheritance child", "inheritance children";
    /// An extended statistics object (PostgreSQL).
    Statistics => "statistics", "statistics objects";
    /// An operator (PostgreSQL).
    Operator => "operator", "operators";
    /// A cast (PostgreSQL; database-wide).
    Cast => "cast", "casts";
    /// A scheduled event (MySQL).
    Event => "event", "events";
    /// A virtual table (SQLite).
    VirtualTable => "virtual table", "virtual tables";
    /// A privilege on a table, column, sequence, routine or schema as it
    /// differs from the object's default: granted (`GRANT`) or revoked
    /// (PostgreSQL; compared with the privileges opt-in).
    Privilege => "privilege", "privileges";
    /// A default privilege (`ALTER DEFAULT PRIVILEGES`; PostgreSQL;
    /// compared with the privileges opt-in).
    DefaultPrivilege => "default privilege", "default privileges";
}

impl CatalogKind {
    /// The kinds the reader of `dialect` lists because the model does not
    /// compare them. Modelling a kind means taking it out of this list and
    /// into [`CatalogKind::compared`]; objects of a compared kind that an
    /// extension owns stay listed here, counted apart and not reported.
    pub fn not_compared(dialect: Dialect) -> &'static [CatalogKind] {
        use CatalogKind::*;
        match dialect {
            Dialect::Postgres => &[
                Aggregate,
                BaseType,
                ForeignTable,
                ForeignDataWrapper,
                ForeignServer,
                Subscription,
                Statistics,
                Operator,
                Cast,
            ],
            Dialect::Mysql => &[],
            Dialect::Sqlite => &[VirtualTable],
        }
    }

    /// Whether it is a privilege kind ([`OptIn::privileges`]).
    pub fn is_privilege(self) -> bool {
        matches!(self, CatalogKind::Privilege | CatalogKind::DefaultPrivilege)
    }

    /// The kinds the reader of `dialect` compares by their definition only
    /// when asked to ([`OptIn`]), and lists as not compared otherwise.
    pub fn opt_in(dialect: Dialect) -> &'static [CatalogKind] {
        use CatalogKind::*;
        match dialect {
            Dialect::Postgres => &[Privilege, DefaultPrivilege, Publication],
            Dialect::Mysql | Dialect::Sqlite => &[],
        }
    }

    /// The kind named `name` (`event trigger`; `_` and `-` read as spaces,
    /// case ignored).
    pub fn parse(name: &str) -> Option<CatalogKind> {
        let name = name.trim().to_ascii_lowercase().replace(['_', '-'], " ");
        CatalogKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == name || k.plural() == name)
    }

    /// `n` objects of this kind: `1 trigger`, `2 triggers`.
    pub fn count(self, n: usize) -> String {
        if n == 1 {
            format!("1 {}", self.as_str())
        } else {
            format!("{n} {}", self.plural())
        }
    }
}

impl fmt::Display for CatalogKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kinds compared only when asked for: what differs between
/// environments by design as often as by drift (who may read what, what is
/// replicated), so a plain check leaves them out and lists them as not
/// compared.
///
/// ```
/// use driftless_model::{CatalogKind, OptIn};
///
/// let none = OptIn::default();
/// assert!(!none.compares(CatalogKind::Privilege));
/// assert!(none.compares(CatalogKind::Trigger));
/// let privileges = OptIn { privileges: true, ..OptIn::default() };
/// assert!(privileges.compares(CatalogKind::DefaultPrivilege));
/// assert!(!privileges.compares(CatalogKind::Publication));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct OptIn {
    /// Privileges and default privileges (PostgreSQL, `--privileges`).
    pub privileges: bool,
    /// Publications (PostgreSQL, `--publications`).
    pub publications: bool,
    /// The installed version of each extension (PostgreSQL,
    /// `--extension-versions`): without it an extension is compared by
    /// name and schema, and the `VERSION` clause of its definition is left
    /// out on both sides.
    pub extension_versions: bool,
}

impl OptIn {
    /// Whether objects of `kind` are compared under these choices (every
    /// kind that is not opt-in is).
    pub fn compares(self, kind: CatalogKind) -> bool {
        match kind {
            CatalogKind::Privilege | CatalogKind::DefaultPrivilege => self.privileges,
            CatalogKind::Publication => self.publications,
            _ => true,
        }
    }

    /// What either asks for.
    pub fn union(self, other: OptIn) -> OptIn {
        OptIn {
            privileges: self.privileges || other.privileges,
            publications: self.publications || other.publications,
            extension_versions: self.extension_versions || other.extension_versions,
        }
    }
}

/// One catalog object the model does not compare.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogObject {
    /// Its kind.
    pub kind: CatalogKind,
    /// Its schema; `None` for database-wide objects (event triggers,
    /// casts, foreign servers, publications, subscriptions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Its name (a cast: `source AS target`).
    pub name: String,
    /// The table it belongs to (triggers, policies, rules), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// The extension that owns it (PostgreSQL `pg_depend` deptype `e`):
    /// it comes and goes with the extension, and is not reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
    /// The table it is a partition or inheritance child of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

impl CatalogObject {
    /// An object of `kind` named `name` in `schema`, with nothing else set.
    pub fn new(kind: CatalogKind, schema: Option<&str>, name: impl Into<String>) -> Self {
        CatalogObject {
            kind,
            schema: schema.map(str::to_string),
            name: name.into(),
            table: None,
            extension: None,
            parent: None,
        }
    }

    /// Its name as messages show it: `orders_touch on orders`.
    pub fn label(&self) -> String {
        match &self.table {
            Some(t) if *t != self.name => format!("{} on {t}", self.name),
            _ => self.name.clone(),
        }
    }
}

/// What a snapshot's catalog holds that the model does not compare:
/// objects reported (by kind and schema), and how many an extension owns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotCompared<'a> {
    /// Objects not owned by an extension, by kind, then schema (`""` for
    /// database-wide objects).
    pub groups: BTreeMap<(CatalogKind, &'a str), Vec<&'a CatalogObject>>,
    /// Objects owned by an extension (not reported).
    pub extension_owned: usize,
}

impl<'a> NotCompared<'a> {
    /// Groups `objects`, leaving out the kinds for which `ignored` says so.
    pub fn of(objects: &'a [CatalogObject], ignored: impl Fn(CatalogKind) -> bool) -> Self {
        let mut out = NotCompared::default();
        for o in objects {
            if ignored(o.kind) {
                continue;
            }
            if o.extension.is_some() {
                out.extension_owned += 1;
                continue;
            }
            out.groups
                .entry((o.kind, o.schema.as_deref().unwrap_or_default()))
                .or_default()
                .push(o);
        }
        out
    }

    /// The number of objects of each kind.
    pub fn by_kind(&self) -> BTreeMap<CatalogKind, usize> {
        let mut out = BTreeMap::new();
        for ((kind, _), objects) in &self.groups {
            *out.entry(*kind).or_default() += objects.len();
        }
        out
    }

    /// Whether nothing is reported.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// `2 triggers, 1 policy`.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .by_kind()
            .into_iter()
            .map(|(kind, n)| kind.count(n))
            .collect();
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_and_count() {
        assert_eq!(
            CatalogKind::parse("event_trigger"),
            Some(CatalogKind::EventTrigger)
        );
        assert_eq!(CatalogKind::parse("Policies"), Some(CatalogKind::Policy));
        assert_eq!(CatalogKind::parse("table"), None);
        assert_eq!(CatalogKind::Policy.count(1), "1 policy");
        assert_eq!(CatalogKind::Policy.count(3), "3 policies");
        for d in [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite] {
            let listed = CatalogKind::not_compared(d);
            let compared = CatalogKind::compared(d);
            let opt_in = CatalogKind::opt_in(d);
            assert!(
                listed.contains(&CatalogKind::Trigger) != compared.contains(&CatalogKind::Trigger)
            );
            assert!(listed.iter().all(|k| !compared.contains(k)), "{d}");
            assert!(
                opt_in
                    .iter()
                    .all(|k| !compared.contains(k) && !listed.contains(k)),
                "{d}"
            );
        }
    }

    #[test]
    fn extension_owned_objects_are_counted_apart() {
        let mut owned = CatalogObject::new(CatalogKind::Function, Some("public"), "citextin");
        owned.extension = Some("citext".into());
        let mut trigger = CatalogObject::new(CatalogKind::Trigger, Some("public"), "touch");
        trigger.table = Some("orders".into());
        let objects = vec![
            owned,
            trigger,
            CatalogObject::new(CatalogKind::Function, Some("public"), "touch"),
            CatalogObject::new(CatalogKind::EventTrigger, None, "audit_ddl"),
        ];
        let nc = NotCompared::of(&objects, |_| false);
        assert_eq!(nc.extension_owned, 1);
        assert_eq!(nc.summary(), "1 function, 1 trigger, 1 event trigger");
        assert_eq!(
            nc.groups[&(CatalogKind::Trigger, "public")][0].label(),
            "touch on orders"
        );
        let nc = NotCompared::of(&objects, |k| k == CatalogKind::EventTrigger);
        assert_eq!(nc.summary(), "1 function, 1 trigger");
    }
}
