//! Which object is this: the one identity of a schema object (or a
//! migration) that findings, provenance and fix plans share.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalog::CatalogKind;
use crate::dialect::Dialect;

/// Declares [`ObjectKind`] from one list: each kind with its snake_case
/// name (JSON, rule ids, ignore patterns) and the noun messages use. Adding
/// a kind is one line here.
macro_rules! object_kinds {
    ($($(#[doc = $doc:literal])* $kind:ident => $name:literal, $noun:literal;)*) => {
        /// The kind of an object: a schema, a table or one of its parts, a
        /// schema-level object, or a migration.
        ///
        /// Ordered as listed (schemas first, migrations last): findings sort
        /// by it.
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        #[non_exhaustive]
        pub enum ObjectKind {
            $($(#[doc = $doc])* #[serde(rename = $name)] $kind,)*
        }

        impl ObjectKind {
            /// Every kind, in order.
            pub const ALL: &'static [ObjectKind] = &[$(ObjectKind::$kind),*];

            /// The snake_case name (`primary_key`), as JSON spells it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ObjectKind::$kind => $name,)*
                }
            }

            /// The noun messages use (`primary key`, `check constraint`).
            pub fn noun(self) -> &'static str {
                match self {
                    $(ObjectKind::$kind => $noun,)*
                }
            }
        }
    };
}

object_kinds! {
    /// A schema (namespace; the database on MySQL).
    Schema => "schema", "schema";
    /// A table.
    Table => "table", "table";
    /// A column.
    Column => "column", "column";
    /// A primary key.
    PrimaryKey => "primary_key", "primary key";
    /// A UNIQUE constraint.
    Unique => "unique", "unique constraint";
    /// An index.
    Index => "index", "index";
    /// A foreign key.
    ForeignKey => "foreign_key", "foreign key";
    /// A CHECK constraint.
    Check => "check", "check constraint";
    /// An exclusion constraint (PostgreSQL).
    Exclusion => "exclusion", "exclusion constraint";
    /// An enumerated type.
    Enum => "enum", "enum";
    /// A view.
    View => "view", "view";
    /// A sequence.
    Sequence => "sequence", "sequence";
    /// A function (PostgreSQL, MySQL), by name and argument types.
    Function => "function", "function";
    /// A procedure, by name and argument types.
    Procedure => "procedure", "procedure";
    /// A trigger on a table or view.
    Trigger => "trigger", "trigger";
    /// An event trigger (PostgreSQL; database-wide).
    EventTrigger => "event_trigger", "event trigger";
    /// A row-level security policy on a table (PostgreSQL).
    Policy => "policy", "policy";
    /// Row-level security of a table, enabled or forced (PostgreSQL).
    RowSecurity => "row_security", "row security";
    /// A rewrite rule on a table or view (PostgreSQL).
    Rule => "rule", "rule";
    /// An installed extension (PostgreSQL).
    Extension => "extension", "extension";
    /// A domain (PostgreSQL).
    Domain => "domain", "domain";
    /// A composite type (PostgreSQL).
    CompositeType => "composite_type", "composite type";
    /// A range type (PostgreSQL).
    RangeType => "range_type", "range type";
    /// A collation (PostgreSQL).
    Collation => "collation", "collation";
    /// A scheduled event (MySQL).
    Event => "event", "event";
    /// A privilege granted or revoked on an object (PostgreSQL).
    Privilege => "privilege", "privilege";
    /// A default privilege (PostgreSQL).
    DefaultPrivilege => "default_privilege", "default privilege";
    /// A publication (PostgreSQL; database-wide).
    Publication => "publication", "publication";
    /// A role (PostgreSQL; server-wide), as privileges name it.
    Role => "role", "role";
    /// Catalog objects of one kind the model does not compare (`name` is
    /// the kind: `trigger`), see [`CatalogKind`](crate::CatalogKind).
    CatalogObject => "catalog_object", "catalog object";
    /// A migration (file or ledger row).
    Migration => "migration", "migration";
}

impl ObjectKind {
    /// Whether `d` can give an object of this kind another name in one
    /// step, keeping what it holds: PostgreSQL renames tables, columns,
    /// indexes and constraints; MySQL/MariaDB tables, columns and indexes
    /// (unique keys among them), not foreign keys or checks, which are
    /// dropped and added under the new name; SQLite tables, columns and
    /// indexes (an index dropped and created again, in one step), not
    /// constraints, which are part of their table's definition.
    ///
    /// ```
    /// use driftless_model::{Dialect, ObjectKind};
    /// assert!(ObjectKind::ForeignKey.renamable_on(Dialect::Postgres));
    /// assert!(ObjectKind::Unique.renamable_on(Dialect::Mysql));
    /// assert!(!ObjectKind::Check.renamable_on(Dialect::Mysql));
    /// assert!(!ObjectKind::Unique.renamable_on(Dialect::Sqlite));
    /// ```
    pub fn renamable_on(self, d: Dialect) -> bool {
        use ObjectKind::*;
        matches!(
            (d, self),
            (_, Table | Column | Index)
                | (Dialect::Postgres, Unique | ForeignKey | Check | Exclusion)
                | (Dialect::Mysql, Unique)
        )
    }

    /// The kind findings give an object of catalog kind `kind` that the
    /// model compares by its definition ([`DefinedObject`](crate::DefinedObject));
    /// [`ObjectKind::CatalogObject`] for the kinds it does not compare.
    pub fn of_catalog(kind: CatalogKind) -> ObjectKind {
        match kind {
            CatalogKind::Function => ObjectKind::Function,
            CatalogKind::Procedure => ObjectKind::Procedure,
            CatalogKind::Trigger => ObjectKind::Trigger,
            CatalogKind::EventTrigger => ObjectKind::EventTrigger,
            CatalogKind::Policy => ObjectKind::Policy,
            CatalogKind::RowSecurity => ObjectKind::RowSecurity,
            CatalogKind::Rule => ObjectKind::Rule,
            CatalogKind::Extension => ObjectKind::Extension,
            CatalogKind::Domain => ObjectKind::Domain,
            CatalogKind::CompositeType => ObjectKind::CompositeType,
            CatalogKind::RangeType => ObjectKind::RangeType,
            CatalogKind::Collation => ObjectKind::Collation,
            CatalogKind::Event => ObjectKind::Event,
            CatalogKind::Privilege => ObjectKind::Privilege,
            CatalogKind::DefaultPrivilege => ObjectKind::DefaultPrivilege,
            CatalogKind::Publication => ObjectKind::Publication,
            _ => ObjectKind::CatalogObject,
        }
    }

    /// The catalog kind of an object of this kind compared by its
    /// definition, if it is one.
    pub fn catalog_kind(self) -> Option<CatalogKind> {
        CatalogKind::ALL
            .iter()
            .copied()
            .find(|k| ObjectKind::of_catalog(*k) == self && self != ObjectKind::CatalogObject)
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name qualified by its schema: a table, view, enum or sequence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QualifiedName {
    /// The schema.
    pub schema: String,
    /// The object's name in it.
    pub name: String,
}

impl QualifiedName {
    /// `schema.name`.
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        QualifiedName {
            schema: schema.into(),
            name: name.into(),
        }
    }
}

/// Which object: kind + schema + table + name.
///
/// For a table, `table` is set and `name` is `None`; for a column, index or
/// constraint both are set; for enums, views and sequences `table` is `None`
/// and `name` is the object's name; for a schema both are `None`; for a
/// migration, `schema` is empty and `name` is the migration's id.
///
/// ```
/// use driftless_model::{ObjectKind, ObjectRef};
///
/// let pk = ObjectRef::table_part(ObjectKind::PrimaryKey, "public", "users", "users_pkey");
/// assert_eq!(pk.path(), "public.users.users_pkey");
/// assert_eq!(pk.to_string(), "primary_key public.users.users_pkey");
/// assert_eq!(pk.described().to_string(), "primary key public.users.users_pkey");
/// assert_eq!(
///     serde_json::to_string(&ObjectRef::table("public", "users")).unwrap(),
///     r#"{"kind":"table","schema":"public","table":"users"}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    /// The kind of object.
    pub kind: ObjectKind,
    /// The schema.
    pub schema: String,
    /// The table, for tables and their parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// The object's own name, for objects other than tables and schemas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl ObjectRef {
    /// A table.
    pub fn table(schema: &str, table: &str) -> Self {
        ObjectRef {
            kind: ObjectKind::Table,
            schema: schema.into(),
            table: Some(table.into()),
            name: None,
        }
    }

    /// A part of a table (column, primary key, index, constraint).
    pub fn table_part(kind: ObjectKind, schema: &str, table: &str, name: &str) -> Self {
        ObjectRef {
            kind,
            schema: schema.into(),
            table: Some(table.into()),
            name: Some(name.into()),
        }
    }

    /// A schema-level object (enum, view, sequence), or a schema itself
    /// (`name` = `None`).
    pub fn schema_object(kind: ObjectKind, schema: &str, name: Option<&str>) -> Self {
        ObjectRef {
            kind,
            schema: schema.into(),
            table: None,
            name: name.map(Into::into),
        }
    }

    /// A migration, by id.
    pub fn migration(id: &str) -> Self {
        ObjectRef {
            kind: ObjectKind::Migration,
            schema: String::new(),
            table: None,
            name: Some(id.into()),
        }
    }

    /// The dotted path used for ignore globs and messages:
    /// `schema.table.name`, `schema.table`, `schema.name`, `schema`, or the
    /// migration id. Empty parts are left out.
    pub fn path(&self) -> String {
        let mut parts: Vec<&str> = Vec::with_capacity(3);
        if !self.schema.is_empty() {
            parts.push(&self.schema);
        }
        if let Some(t) = self.table.as_deref().filter(|t| !t.is_empty()) {
            parts.push(t);
        }
        if let Some(n) = self.name.as_deref().filter(|n| !n.is_empty()) {
            parts.push(n);
        }
        parts.join(".")
    }

    /// The object as messages name it: its kind's noun and its path
    /// (`primary key public.users.users_pkey`). [`Display`](fmt::Display)
    /// writes the kind's snake_case name instead.
    pub fn described(&self) -> Described<'_> {
        Described(self)
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.path())
    }
}

/// An object as messages name it, from [`ObjectRef::described`].
#[derive(Debug, Clone, Copy)]
pub struct Described<'a>(&'a ObjectRef);

impl fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0.kind.noun(), self.0.path())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{ObjectKind, ObjectRef};

    #[test]
    fn paths_skip_empty_parts() {
        assert_eq!(
            ObjectRef::table_part(ObjectKind::PrimaryKey, "main", "t", "").path(),
            "main.t"
        );
        assert_eq!(ObjectRef::table("public", "users").path(), "public.users");
        assert_eq!(ObjectRef::migration("0001_initial").path(), "0001_initial");
        assert_eq!(
            ObjectRef::schema_object(ObjectKind::Schema, "billing", None).to_string(),
            "schema billing"
        );
    }

    #[test]
    fn the_json_name_is_the_snake_case_name() {
        for kind in ObjectKind::ALL {
            let json = serde_json::to_string(kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<ObjectKind>(&json).unwrap(), *kind);
        }
        assert_eq!(ObjectKind::Check.noun(), "check constraint");
    }

    #[test]
    fn serde_leaves_out_absent_parts() {
        let col = ObjectRef::table_part(ObjectKind::Column, "public", "users", "email");
        let json = serde_json::to_string(&col).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"column","schema":"public","table":"users","name":"email"}"#
        );
        assert_eq!(serde_json::from_str::<ObjectRef>(&json).unwrap(), col);
        assert_eq!(
            serde_json::to_string(&ObjectRef::migration("7")).unwrap(),
            r#"{"kind":"migration","schema":"","name":"7"}"#
        );
    }
}
