//! Which relations a migration touches, read from its statements, so that
//! replay provenance re-reads only those after each migration instead of
//! the whole schema (which made provenance quadratic in the number of
//! migrations).
//!
//! A statement is read with the migration lexer and recognised by its
//! leading keywords: table, index, view and comment DDL names relations
//! ([`Touch::Names`]); data statements and session settings touch nothing
//! ([`Touch::Nothing`]); anything else (types, schemas, functions, DO
//! blocks, procedures, dynamic SQL, triggers, extensions, inheritance)
//! cannot be scoped and asks for a full snapshot ([`Touch::Unknown`]).
//!
//! The names are then completed from the schema as it stood before the
//! migration ([`relations`]): names that differ only in ASCII case, the
//! table of a named index, the sequences a named table owns, and for a
//! statement that can reach beyond its own relation (drops, renames, type
//! changes, `CASCADE`, and new tables, which complete foreign keys that
//! referenced them before they existed) the tables whose foreign keys
//! reference a named table and the views that mention a named relation.
//! Over-inclusion only costs a little reading; the replay compares the
//! final state with a full snapshot to make sure nothing was missed.

use std::collections::BTreeSet;

use driftless_model::sql::{self, TokenKind};
use driftless_model::{Dialect, SchemaObject, SchemaObjectKind, Snapshot};

/// What a statement (or a migration) does to the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Touch {
    /// No schema change (data, session settings, transaction control).
    Nothing,
    /// Changes confined to these relations.
    Names {
        /// Relation names as the statement spells them (unquoted names
        /// folded to lower case on PostgreSQL).
        names: BTreeSet<String>,
        /// Index names whose tables are touched.
        indexes: BTreeSet<String>,
        /// Whether the change can reach dependent relations (drops,
        /// renames, type changes, `CASCADE`, new tables).
        reaches: bool,
    },
    /// Cannot be scoped: take a full snapshot.
    Unknown,
}

impl Touch {
    /// The touch of two statements run one after the other.
    fn and(self, other: Touch) -> Touch {
        match (self, other) {
            (Touch::Unknown, _) | (_, Touch::Unknown) => Touch::Unknown,
            (Touch::Nothing, t) | (t, Touch::Nothing) => t,
            (
                Touch::Names {
                    mut names,
                    mut indexes,
                    reaches,
                },
                Touch::Names {
                    names: n2,
                    indexes: i2,
                    reaches: r2,
                },
            ) => {
                names.extend(n2);
                indexes.extend(i2);
                Touch::Names {
                    names,
                    indexes,
                    reaches: reaches || r2,
                }
            }
        }
    }
}

/// One significant token: a keyword or name (`word`, quotes removed) or
/// punctuation.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// An unquoted word, as written.
    Word(String),
    /// A quoted identifier, unquoted.
    Quoted(String),
    /// A string literal or punctuation.
    Other(String),
}

impl Tok {
    fn keyword(&self) -> Option<String> {
        match self {
            Tok::Word(w) => Some(w.to_ascii_uppercase()),
            _ => None,
        }
    }

    /// The identifier this token names, as the database stores it.
    fn name(&self, dialect: Dialect) -> Option<String> {
        match self {
            Tok::Word(w) if dialect == Dialect::Postgres => Some(w.to_ascii_lowercase()),
            Tok::Word(w) => Some(w.clone()),
            Tok::Quoted(q) => Some(q.clone()),
            Tok::Other(_) => None,
        }
    }
}

fn tokens(sql: &str, dialect: Dialect) -> Vec<Tok> {
    sql::tokens(sql, dialect)
        .filter_map(|t| match t.kind {
            TokenKind::Whitespace | TokenKind::Comment => None,
            // Numbers read as words, as names made of digits are.
            TokenKind::Word | TokenKind::Number => Some(Tok::Word(t.text.to_string())),
            TokenKind::QuotedIdent => Some(Tok::Quoted(sql::unquote(t.text).into_owned())),
            _ => Some(Tok::Other(t.text.to_string())),
        })
        .collect()
}

/// A cursor over a statement's tokens.
struct Cursor<'a> {
    toks: &'a [Tok],
    at: usize,
    dialect: Dialect,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<String> {
        self.toks.get(self.at).and_then(Tok::keyword)
    }

    /// Consumes the keywords `words` if they come next, in order.
    fn eat(&mut self, words: &[&str]) -> bool {
        let matches = words.iter().enumerate().all(|(i, w)| {
            self.toks
                .get(self.at + i)
                .and_then(Tok::keyword)
                .is_some_and(|k| k == *w)
        });
        if matches {
            self.at += words.len();
        }
        matches
    }

    /// Consumes any of `words`, each at most once, in any order.
    fn skip_any(&mut self, words: &[&str]) {
        while self.peek().is_some_and(|k| words.contains(&k.as_str())) {
            self.at += 1;
        }
    }

    /// Consumes a possibly qualified name and returns its last part.
    fn name(&mut self) -> Option<String> {
        let mut last = self.toks.get(self.at)?.name(self.dialect)?;
        self.at += 1;
        while self.toks.get(self.at) == Some(&Tok::Other(".".into())) {
            last = self.toks.get(self.at + 1)?.name(self.dialect)?;
            self.at += 2;
        }
        Some(last)
    }

    /// Every name-like token from here on.
    fn rest_names(&self) -> BTreeSet<String> {
        self.toks[self.at.min(self.toks.len())..]
            .iter()
            .filter_map(|t| t.name(self.dialect))
            .collect()
    }

    fn rest_has(&self, words: &[&str]) -> bool {
        self.toks[self.at.min(self.toks.len())..]
            .iter()
            .filter_map(Tok::keyword)
            .any(|k| words.contains(&k.as_str()))
    }
}

fn names(names: BTreeSet<String>, reaches: bool) -> Touch {
    Touch::Names {
        names,
        indexes: BTreeSet::new(),
        reaches,
    }
}

fn one(name: Option<String>, reaches: bool) -> Touch {
    match name {
        Some(n) => names(BTreeSet::from([n]), reaches),
        None => Touch::Unknown,
    }
}

/// Words after `ALTER TABLE t` or `DROP …` that can change other relations.
const REACHING: &[&str] = &[
    "DROP", "RENAME", "ALTER", "MODIFY", "CHANGE", "TYPE", "CASCADE", "ATTACH", "DETACH", "SET",
];

/// What one statement touches.
pub(crate) fn statement_touch(sql: &str, dialect: Dialect) -> Touch {
    let toks = tokens(sql, dialect);
    if toks
        .iter()
        .any(|t| t.keyword().as_deref() == Some("INHERITS"))
    {
        return Touch::Unknown;
    }
    let mut c = Cursor {
        toks: &toks,
        at: 0,
        dialect,
    };
    let Some(first) = c.peek() else {
        return Touch::Nothing;
    };
    c.at = 1;
    match first.as_str() {
        "CREATE" => create(&mut c),
        "ALTER" => alter(&mut c),
        "DROP" => drop(&mut c),
        "COMMENT" => comment(&mut c),
        "RENAME" => names(c.rest_names(), true),
        "INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "TRUNCATE" | "SET" | "BEGIN" | "COMMIT"
        | "START" | "END" | "ROLLBACK" | "SAVEPOINT" | "RELEASE" | "ANALYZE" | "VACUUM"
        | "REINDEX" | "GRANT" | "REVOKE" | "PRAGMA" | "LOCK" | "USE" => Touch::Nothing,
        // A query can call a function that changes the schema, except on
        // SQLite.
        "SELECT" | "WITH" | "VALUES" if dialect == Dialect::Sqlite => Touch::Nothing,
        _ => Touch::Unknown,
    }
}

fn create(c: &mut Cursor<'_>) -> Touch {
    c.eat(&["OR", "REPLACE"]);
    c.skip_any(&[
        "TEMP",
        "TEMPORARY",
        "UNLOGGED",
        "GLOBAL",
        "LOCAL",
        "UNIQUE",
        "FULLTEXT",
        "SPATIAL",
        "MATERIALIZED",
    ]);
    let Some(kind) = c.peek() else {
        return Touch::Unknown;
    };
    c.at += 1;
    match kind.as_str() {
        "TABLE" => {
            c.eat(&["IF", "NOT", "EXISTS"]);
            let Some(table) = c.name() else {
                return Touch::Unknown;
            };
            let mut set = BTreeSet::from([table]);
            if c.rest_has(&["PARTITION"]) {
                set.extend(c.rest_names());
            }
            names(set, true)
        }
        "INDEX" => {
            c.eat(&["CONCURRENTLY"]);
            c.eat(&["IF", "NOT", "EXISTS"]);
            if !c.eat(&["ON"]) {
                c.name();
                if !c.eat(&["ON"]) {
                    return Touch::Unknown;
                }
            }
            c.eat(&["ONLY"]);
            one(c.name(), false)
        }
        "VIEW" => {
            c.eat(&["IF", "NOT", "EXISTS"]);
            one(c.name(), false)
        }
        _ => Touch::Unknown,
    }
}

fn alter(c: &mut Cursor<'_>) -> Touch {
    c.eat(&["MATERIALIZED"]);
    let Some(kind) = c.peek() else {
        return Touch::Unknown;
    };
    c.at += 1;
    c.eat(&["IF", "EXISTS"]);
    c.eat(&["ONLY"]);
    match kind.as_str() {
        "TABLE" | "VIEW" => {
            let Some(table) = c.name() else {
                return Touch::Unknown;
            };
            let reaches = c.rest_has(REACHING);
            let mut set = BTreeSet::from([table]);
            if reaches {
                set.extend(c.rest_names());
            }
            names(set, reaches)
        }
        "INDEX" => match c.name() {
            Some(index) => Touch::Names {
                names: c.rest_names(),
                indexes: BTreeSet::from([index]),
                reaches: false,
            },
            None => Touch::Unknown,
        },
        _ => Touch::Unknown,
    }
}

fn drop(c: &mut Cursor<'_>) -> Touch {
    c.eat(&["MATERIALIZED"]);
    let Some(kind) = c.peek() else {
        return Touch::Unknown;
    };
    c.at += 1;
    c.eat(&["CONCURRENTLY"]);
    c.eat(&["IF", "EXISTS"]);
    match kind.as_str() {
        "TABLE" | "VIEW" => names(c.rest_names(), true),
        "INDEX" => {
            let rest = c.rest_names();
            Touch::Names {
                indexes: rest.clone(),
                names: rest,
                reaches: true,
            }
        }
        _ => Touch::Unknown,
    }
}

fn comment(c: &mut Cursor<'_>) -> Touch {
    if !c.eat(&["ON"]) {
        return Touch::Unknown;
    }
    c.eat(&["MATERIALIZED"]);
    let Some(kind) = c.peek() else {
        return Touch::Unknown;
    };
    c.at += 1;
    match kind.as_str() {
        "TABLE" | "VIEW" => one(c.name(), false),
        "COLUMN" => {
            // [schema.]table.column: the table is the part before the last.
            let start = c.at;
            c.name();
            let parts: Vec<String> = c.toks[start..c.at]
                .iter()
                .filter_map(|t| t.name(c.dialect))
                .collect();
            one(parts.iter().rev().nth(1).cloned(), false)
        }
        "INDEX" => match c.name() {
            Some(index) => Touch::Names {
                names: BTreeSet::new(),
                indexes: BTreeSet::from([index]),
                reaches: false,
            },
            None => Touch::Unknown,
        },
        "CONSTRAINT" => {
            c.name();
            if !c.eat(&["ON"]) {
                return Touch::Unknown;
            }
            c.eat(&["DOMAIN"]);
            one(c.name(), false)
        }
        _ => Touch::Unknown,
    }
}

/// What a migration's statements touch together.
pub(crate) fn migration_touch<'s>(
    statements: impl IntoIterator<Item = &'s str>,
    dialect: Dialect,
) -> Touch {
    statements.into_iter().fold(Touch::Nothing, |acc, s| {
        acc.and(statement_touch(s, dialect))
    })
}

/// Whether two names are the same up to ASCII case.
fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// The relation names (as stored) a scoped read must cover for a touch
/// made on `model` (the schema before the migration); see the module
/// documentation.
pub(crate) fn relations(
    named: &BTreeSet<String>,
    indexes: &BTreeSet<String>,
    reaches: bool,
    model: &Snapshot,
) -> BTreeSet<String> {
    let mut out = named.clone();
    let relation_names = model.schemas.values().flat_map(|s| {
        s.tables
            .keys()
            .chain(s.views.keys())
            .chain(s.sequences.keys())
    });
    for n in relation_names {
        if named.iter().any(|x| same(x, n)) {
            out.insert(n.clone());
        }
    }
    for (_, t, table) in model.tables().filter(|_| !indexes.is_empty()) {
        let has_index = table.indexes.keys().chain(table.uniques.keys());
        if has_index
            .chain(table.primary_key.iter().map(|p| &p.name))
            .any(|i| indexes.iter().any(|x| same(x, i)))
        {
            out.insert(t.to_string());
        }
    }
    if reaches {
        for (_, t, table) in model.tables() {
            if table
                .foreign_keys
                .values()
                .any(|fk| out.iter().any(|x| same(x, &fk.ref_table)))
            {
                out.insert(t.to_string());
            }
        }
        add_mentioning_views(model, &mut out);
    }
    for schema in model.schemas.values() {
        for (name, seq) in &schema.sequences {
            if let Some(owner) = &seq.owned_by {
                if out.iter().any(|x| same(x, &owner.table)) {
                    out.insert(name.clone());
                }
            }
        }
    }
    out
}

/// Adds the views whose definition mentions a name of `out`, until none
/// is left to add (views over views).
fn add_mentioning_views(model: &Snapshot, out: &mut BTreeSet<String>) {
    loop {
        let lowered: Vec<String> = out.iter().map(|n| n.to_ascii_lowercase()).collect();
        let mut added = false;
        for schema in model.schemas.values() {
            for (name, view) in &schema.views {
                if out.contains(name) {
                    continue;
                }
                let def = view.definition.to_ascii_lowercase();
                if lowered.iter().any(|n| def.contains(n.as_str())) {
                    out.insert(name.clone());
                    added = true;
                }
            }
        }
        if !added {
            return;
        }
    }
}

/// Whether `object` is covered by a scoped read of `names`: tables and
/// their parts, views and sequences with one of those names; schemas and
/// enums never.
pub(crate) fn covers(names: &BTreeSet<String>, object: &SchemaObject) -> bool {
    use SchemaObjectKind as K;
    match object.kind {
        K::Schema | K::Enum => false,
        K::View | K::Sequence => object.name.as_ref().is_some_and(|n| names.contains(n)),
        _ => object.table.as_ref().is_some_and(|t| names.contains(t)),
    }
}

/// The part of `snapshot` a scoped read of `names` covers.
pub(crate) fn restrict(snapshot: &Snapshot, names: &BTreeSet<String>) -> Snapshot {
    let mut out = Snapshot::new(snapshot.dialect);
    for (s, schema) in &snapshot.schemas {
        let part = out.schemas.entry(s.clone()).or_default();
        for n in names {
            if let Some(t) = schema.tables.get(n) {
                part.tables.insert(n.clone(), t.clone());
            }
            if let Some(v) = schema.views.get(n) {
                part.views.insert(n.clone(), v.clone());
            }
            if let Some(q) = schema.sequences.get(n) {
                part.sequences.insert(n.clone(), q.clone());
            }
        }
    }
    out
}

/// The relation names a scoped snapshot holds.
pub(crate) fn held(snapshot: &Snapshot) -> impl Iterator<Item = &String> {
    snapshot.schemas.values().flat_map(|s| {
        s.tables
            .keys()
            .chain(s.views.keys())
            .chain(s.sequences.keys())
    })
}

/// Replaces the part of `model` that a scoped read of `names` covers with
/// what the read returned (`scoped`, whose schemas are those of `model`).
pub(crate) fn merge(model: &mut Snapshot, scoped: Snapshot, names: &BTreeSet<String>) {
    for (s, part) in scoped.schemas {
        let Some(schema) = model.schemas.get_mut(&s) else {
            continue;
        };
        for n in names {
            schema.tables.remove(n);
            schema.views.remove(n);
            schema.sequences.remove(n);
        }
        schema.tables.extend(part.tables);
        schema.views.extend(part.views);
        schema.sequences.extend(part.sequences);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn touch(sql: &str, d: Dialect) -> Touch {
        statement_touch(sql, d)
    }

    #[test]
    fn recognises_table_and_index_ddl() {
        let pg = Dialect::Postgres;
        assert_eq!(
            touch(
                "CREATE TABLE IF NOT EXISTS app.\"Users\" (id int REFERENCES t)",
                pg
            ),
            names(set(&["Users"]), true)
        );
        assert_eq!(
            touch(
                "create unique index concurrently if not exists i on only Public.T (a)",
                pg
            ),
            names(set(&["t"]), false)
        );
        assert_eq!(
            touch("CREATE INDEX ON t (a)", pg),
            names(set(&["t"]), false)
        );
        assert_eq!(
            touch("ALTER TABLE t ADD COLUMN c int REFERENCES p (id)", pg),
            names(set(&["t"]), false)
        );
        let Touch::Names {
            names: n, reaches, ..
        } = touch("ALTER TABLE t RENAME TO u", pg)
        else {
            panic!()
        };
        assert!(reaches && n.contains("t") && n.contains("u"));
        let Touch::Names {
            indexes, reaches, ..
        } = touch("DROP INDEX IF EXISTS a.i1, i2 CASCADE", pg)
        else {
            panic!()
        };
        assert!(reaches && indexes.contains("i1") && indexes.contains("i2"));
        assert_eq!(
            touch("COMMENT ON COLUMN app.t.c IS 'x'", pg),
            names(set(&["t"]), false)
        );
        assert_eq!(
            touch("create table `Mixed` (id int)", Dialect::Mysql),
            names(set(&["Mixed"]), true)
        );
    }

    #[test]
    fn data_statements_touch_nothing_and_the_rest_is_unknown() {
        let pg = Dialect::Postgres;
        assert_eq!(touch("INSERT INTO t VALUES (1)", pg), Touch::Nothing);
        assert_eq!(touch("-- only a comment", pg), Touch::Nothing);
        assert_eq!(touch("SELECT f()", pg), Touch::Unknown);
        assert_eq!(touch("SELECT 1", Dialect::Sqlite), Touch::Nothing);
        for sql in [
            "DO $$ BEGIN EXECUTE 'CREATE TABLE x (a int)'; END $$",
            "CREATE TYPE mood AS ENUM ('a')",
            "ALTER TYPE mood RENAME TO feeling",
            "CREATE SCHEMA s",
            "CREATE FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql",
            "CALL p()",
            "CREATE TABLE c () INHERITS (p)",
            "ALTER SEQUENCE s RENAME TO s2",
            "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END",
        ] {
            assert_eq!(touch(sql, pg), Touch::Unknown, "{sql}");
        }
        let all = migration_touch(["CREATE TABLE a (x int)", "INSERT INTO a VALUES (1)"], pg);
        assert_eq!(all, names(set(&["a"]), true));
        let all = migration_touch(["CREATE TABLE a (x int)", "DO $$ $$"], pg);
        assert_eq!(all, Touch::Unknown);
    }
}
