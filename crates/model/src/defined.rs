//! Objects compared by the statement that makes them: functions,
//! procedures, triggers, policies, rules, row security, extensions,
//! domains, composite and range types, collations, event triggers (and,
//! on MySQL, routines, triggers and events; on SQLite, triggers).
//!
//! The reader of each dialect asks the server to print the object
//! (`pg_get_functiondef`, `pg_get_triggerdef`, `sqlite_schema.sql`, …) or
//! assembles the statement from catalog columns the server has already
//! canonicalised, so two databases made by the same statements print the
//! same text: the comparison is on the server's canonical form, and the
//! expected side is made on the same kind of server. The statement is
//! what the fixer runs to create the object.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::catalog::CatalogKind;
use crate::dialect::Dialect;
use crate::object::{ObjectKind, ObjectRef};
use crate::rename::rename_schema_in_text;
use crate::sql::{tokens, Token, TokenKind};

/// An object the model compares by the statement that makes it.
///
/// ```
/// use driftless_model::{CatalogKind, DefinedObject};
///
/// let mut t = DefinedObject::new(
///     CatalogKind::Trigger,
///     Some("public"),
///     "orders_touch",
///     "CREATE TRIGGER orders_touch BEFORE UPDATE ON public.orders FOR EACH ROW EXECUTE FUNCTION public.touch()",
/// );
/// t.table = Some("orders".into());
/// assert_eq!(t.object().path(), "public.orders.orders_touch");
/// assert_eq!(t.label(), "trigger orders_touch on public.orders");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefinedObject {
    /// Its kind.
    pub kind: CatalogKind,
    /// Its schema; `None` for database-wide objects (event triggers,
    /// extensions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The table (or view) it belongs to: triggers, policies, rules, row
    /// security.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// Its name; a routine's name carries its argument types
    /// (`add(integer, integer)`), since overloads are different objects.
    pub name: String,
    /// The statement that makes it, as the server prints it.
    pub definition: String,
    /// The statement that removes it, as the reader spells it for its
    /// server (`DROP FUNCTION public.add(integer, integer)`, `DROP TRIGGER
    /// t ON public.orders`, `ALTER TABLE … DISABLE ROW LEVEL SECURITY`).
    /// Not compared.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub drop: String,
    /// Statements that complete it after the definition, in order
    /// (`ALTER TABLE … DISABLE TRIGGER …`, `… FORCE ROW LEVEL SECURITY`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub then: Vec<String>,
    /// The objects it needs, as the server's dependency catalog records
    /// them (tables, views, types, functions), or as its body names them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<ObjectRef>,
    /// Comment on it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl DefinedObject {
    /// An object of `kind` named `name` in `schema` made by `definition`,
    /// with nothing else set.
    pub fn new(
        kind: CatalogKind,
        schema: Option<&str>,
        name: impl Into<String>,
        definition: impl Into<String>,
    ) -> Self {
        DefinedObject {
            kind,
            schema: schema.map(str::to_string),
            table: None,
            name: name.into(),
            definition: definition.into(),
            drop: String::new(),
            then: Vec::new(),
            depends_on: Vec::new(),
            comment: None,
        }
    }

    /// Which object it is, as findings and plans name it.
    pub fn object(&self) -> ObjectRef {
        ObjectRef {
            kind: ObjectKind::of_catalog(self.kind),
            schema: self.schema.clone().unwrap_or_default(),
            table: self.table.clone(),
            name: Some(self.name.clone()),
        }
    }

    /// The identity it is paired by: kind, schema, table, name.
    pub fn key(&self) -> (CatalogKind, Option<&str>, Option<&str>, &str) {
        (
            self.kind,
            self.schema.as_deref(),
            self.table.as_deref(),
            &self.name,
        )
    }

    /// Whether everything compared is equal: definition, the statements
    /// after it and the comment (dependencies follow from the definition).
    pub fn same_as(&self, other: &DefinedObject) -> bool {
        self.definition == other.definition
            && self.then == other.then
            && self.comment == other.comment
    }

    /// Leaves the `VERSION 'v'` clause out of its definition (an extension
    /// compared without its version, see
    /// [`OptIn::extension_versions`](crate::OptIn::extension_versions)).
    ///
    /// ```
    /// use driftless_model::{CatalogKind, DefinedObject};
    ///
    /// let mut e = DefinedObject::new(
    ///     CatalogKind::Extension,
    ///     None,
    ///     "citext",
    ///     "CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public VERSION '1.6'",
    /// );
    /// e.forget_version();
    /// assert_eq!(e.definition, "CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public");
    /// ```
    pub fn forget_version(&mut self) {
        let toks: Vec<Token<'_>> = tokens(&self.definition, Dialect::Postgres)
            .filter(|t| !t.is_trivia())
            .collect();
        let clause = toks
            .windows(2)
            .rev()
            .find(|w| w[0].is_word("VERSION") && w[1].kind == TokenKind::String);
        let Some([version, value]) = clause else {
            return;
        };
        let (start, end) = (version.start, value.end());
        let before = self.definition[..start].trim_end();
        let after = self.definition[end..].trim_start();
        self.definition = if after.is_empty() {
            before.to_string()
        } else {
            format!("{before} {after}")
        };
    }

    /// Moves it from schema `from` to `to`: its own schema, the schema
    /// names inside its statements, and those of what it depends on.
    pub fn rename_schema(&mut self, from: &str, to: &str) {
        if self.schema.as_deref() == Some(from) {
            self.schema = Some(to.to_string());
        }
        self.definition = rename_schema_in_text(&self.definition, from, to);
        self.drop = rename_schema_in_text(&self.drop, from, to);
        for s in &mut self.then {
            *s = rename_schema_in_text(s, from, to);
        }
        for d in &mut self.depends_on {
            if d.schema == from {
                d.schema = to.to_string();
            }
        }
    }

    /// `trigger orders_touch on public.orders`, `function public.add(integer)`.
    pub fn label(&self) -> String {
        let qualified = |n: &str| match &self.schema {
            Some(s) => format!("{s}.{n}"),
            None => n.to_string(),
        };
        match &self.table {
            None if self.kind == CatalogKind::Privilege => match &self.schema {
                Some(s) => format!("{} {} on schema {s}", self.kind, self.name),
                None => format!("{} {}", self.kind, self.name),
            },
            None if self.kind == CatalogKind::DefaultPrivilege => match &self.schema {
                Some(s) => format!("{} {} in schema {s}", self.kind, self.name),
                None => format!("{} {}", self.kind, self.name),
            },
            Some(t) if self.kind == CatalogKind::RowSecurity => {
                format!("{} on {}", self.kind, qualified(t))
            }
            Some(t) => format!("{} {} on {}", self.kind, self.name, qualified(t)),
            None => format!("{} {}", self.kind, qualified(&self.name)),
        }
    }

    /// The roles it names (a privilege's grantee, a default privilege's
    /// owner), as [`DefinedObject::depends_on`] lists them.
    pub fn roles(&self) -> impl Iterator<Item = &str> {
        self.depends_on
            .iter()
            .filter(|d| d.kind == ObjectKind::Role)
            .filter_map(|d| d.name.as_deref())
    }

    /// Whether making it takes access away (a privilege revoked), rather
    /// than adding or changing code.
    pub fn revokes(&self) -> bool {
        self.kind.is_privilege()
            && unquoted_words(&self.definition)
                .into_iter()
                .find(|w| w.eq_ignore_ascii_case("GRANT") || w.eq_ignore_ascii_case("REVOKE"))
                .is_some_and(|w| w.eq_ignore_ascii_case("REVOKE"))
    }

    /// Whether it is made before tables (types, functions, extensions a
    /// column or default may use) rather than after them (triggers,
    /// policies, rules, row security, event triggers).
    pub fn before_tables(&self) -> bool {
        use CatalogKind::*;
        matches!(
            self.kind,
            Extension | Collation | Domain | CompositeType | RangeType | Function | Procedure
        )
    }
}

/// The words of `text` outside double-quoted identifiers.
fn unquoted_words(text: &str) -> Vec<&str> {
    let (mut out, mut start, mut quoted) = (Vec::new(), None, false);
    for (i, c) in text.char_indices() {
        match c {
            '"' => {
                quoted = !quoted;
                start = None;
            }
            c if c.is_whitespace() => {
                if let Some(s) = start.take() {
                    out.push(&text[s..i]);
                }
            }
            _ if !quoted && start.is_none() => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

impl PartialOrd for DefinedObject {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for DefinedObject {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key()
            .cmp(&other.key())
            .then_with(|| self.definition.cmp(&other.definition))
    }
}

impl CatalogKind {
    /// The kinds the reader of `dialect` compares by their definition
    /// ([`DefinedObject`]); the opt-in kinds ([`CatalogKind::opt_in`]) it
    /// compares when asked to; every other kind it lists is reported as
    /// not compared ([`CatalogKind::not_compared`]).
    pub fn compared(dialect: Dialect) -> &'static [CatalogKind] {
        use CatalogKind::*;
        match dialect {
            Dialect::Postgres => &[
                Function,
                Procedure,
                Trigger,
                EventTrigger,
                Policy,
                RowSecurity,
                Rule,
                Extension,
                Domain,
                CompositeType,
                RangeType,
                Collation,
            ],
            Dialect::Mysql => &[Trigger, Procedure, Function, Event],
            Dialect::Sqlite => &[Trigger],
        }
    }
}
