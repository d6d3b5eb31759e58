//! SQL around the statements the reader gives objects compared by their
//! definition ([`DefinedObject`](driftless_model::DefinedObject)): the
//! verbs of their steps, drops made idempotent for scripts, and what a
//! routine's creation needs first.

use driftless_model::sql::{tokens, Token, TokenKind};
use driftless_model::{CatalogKind, Dialect};

/// The words after `DROP` that name an object's kind, longest first.
const DROP_KINDS: &[&str] = &[
    "EVENT TRIGGER",
    "MATERIALIZED VIEW",
    "FUNCTION",
    "PROCEDURE",
    "TRIGGER",
    "POLICY",
    "RULE",
    "EXTENSION",
    "DOMAIN",
    "TYPE",
    "COLLATION",
    "PUBLICATION",
    "EVENT",
];

/// `drop` with `IF EXISTS` after its kind (`DROP TRIGGER IF EXISTS t ON
/// s.x`), so that a script can run it again; statements that are not a
/// `DROP <kind>` (`ALTER TABLE … DISABLE ROW LEVEL SECURITY`) are
/// returned as they are.
pub(crate) fn drop_if_exists(drop: &str) -> String {
    let trimmed = drop.trim_start();
    let upper = trimmed.to_ascii_uppercase();
    let Some(rest) = upper.strip_prefix("DROP ") else {
        return drop.to_string();
    };
    for kind in DROP_KINDS {
        if let Some(after) = rest.strip_prefix(kind) {
            if !after.starts_with(' ') || after.trim_start().starts_with("IF EXISTS") {
                continue;
            }
            let at = "DROP ".len() + kind.len();
            return format!("{} IF EXISTS{}", &trimmed[..at], &trimmed[at..]);
        }
    }
    drop.to_string()
}

/// Whether running `definition` again changes nothing (`CREATE OR
/// REPLACE`, `… IF NOT EXISTS`, an `ALTER TABLE` setting, a `GRANT` or
/// `REVOKE`).
pub(crate) fn is_idempotent_create(definition: &str) -> bool {
    let upper = definition.trim_start().to_ascii_uppercase();
    upper.starts_with("CREATE OR REPLACE")
        || upper.starts_with("ALTER ")
        || upper.starts_with("GRANT ")
        || upper.starts_with("REVOKE ")
        || upper
            .split_whitespace()
            .take(6)
            .collect::<Vec<_>>()
            .windows(3)
            .any(|w| w == ["IF", "NOT", "EXISTS"])
}

/// Statements a step runs before creating an object of `kind`: on
/// PostgreSQL, routine bodies are not checked when created (as pg_dump
/// does), since a body may name tables and functions made later in the
/// plan.
pub(crate) fn create_prelude(d: Dialect, kind: CatalogKind) -> Vec<String> {
    if d == Dialect::Postgres && matches!(kind, CatalogKind::Function | CatalogKind::Procedure) {
        vec!["SET check_function_bodies = false".to_string()]
    } else {
        Vec::new()
    }
}

/// The part of a PostgreSQL routine's definition (`pg_get_functiondef`)
/// that `CREATE OR REPLACE` cannot change: its name, arguments and result
/// (the first line, and the `RETURNS` line when there is one).
pub(crate) fn pg_routine_header(definition: &str) -> Vec<&str> {
    let mut lines = definition.lines().map(str::trim);
    let mut out: Vec<&str> = lines.next().into_iter().collect();
    out.extend(lines.filter(|l| l.starts_with("RETURNS ")).take(1));
    out
}

/// Whether `text` names `name` as a whole word anywhere, string literals
/// and dollar-quoted routine bodies included (a call between functions
/// that PostgreSQL does not record), case-insensitively. A superset of
/// `names::mentions`, which asks the exact question (identifiers outside
/// strings, as the lexer reads them): ordering and setting aside may err
/// towards too many objects, never too few.
pub(crate) fn mentions_word(text: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let (text, name) = (text.to_lowercase(), name.to_lowercase());
    text.match_indices(&name).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + name.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

/// A MySQL `CREATE` or `DROP` of a trigger, routine or event as the
/// reader prints it (`` CREATE TRIGGER `t` BEFORE INSERT ON `orders` … ``)
/// with the object's name, and a trigger's table, qualified by `schema`;
/// the body runs in the object's database whatever the connection's
/// default. A statement of another shape, or already qualified, comes back
/// as it is.
pub(crate) fn mysql_qualified(stmt: &str, schema: &str) -> String {
    let d = Dialect::Mysql;
    let toks: Vec<Token<'_>> = tokens(stmt, d).filter(|t| !t.is_trivia()).collect();
    let starts = toks
        .first()
        .is_some_and(|t| t.is_word("CREATE") || t.is_word("DROP"));
    let Some(name) = toks
        .iter()
        .position(|t| t.kind == TokenKind::QuotedIdent)
        .filter(|_| starts)
    else {
        return stmt.to_string();
    };
    if toks.get(name + 1).is_some_and(|t| t.is_punct('.')) {
        return stmt.to_string();
    }
    let mut at = vec![toks[name].start];
    let trigger = toks[0].is_word("CREATE") && toks.get(1).is_some_and(|t| t.is_word("TRIGGER"));
    if trigger {
        let table = toks[name..]
            .iter()
            .position(|t| t.is_word("ON"))
            .and_then(|on| toks.get(name + on + 1))
            .filter(|t| t.kind == TokenKind::QuotedIdent);
        at.extend(table.map(|t| t.start));
    }
    let prefix = format!("{}.", d.quote_ident(schema));
    let mut out = stmt.to_string();
    for pos in at.into_iter().rev() {
        out.insert_str(pos, &prefix);
    }
    out
}

/// The verb of a step doing `how` (`create`, `drop`, `replace`) to an
/// object of `kind`: `create trigger`, `drop policy`, `replace function`.
pub(crate) fn verb(how: &str, kind: CatalogKind) -> &'static str {
    if kind == CatalogKind::RowSecurity {
        return match how {
            "drop" => "disable row security",
            _ => "set row security",
        };
    }
    macro_rules! verbs {
        ($($k:ident => $n:literal),* $(,)?) => {
            match (how, kind) {
                $(
                    ("create", CatalogKind::$k) => concat!("create ", $n),
                    ("drop", CatalogKind::$k) => concat!("drop ", $n),
                    ("replace", CatalogKind::$k) => concat!("replace ", $n),
                    ("alter", CatalogKind::$k) => concat!("alter ", $n),
                )*
                ("alter", _) => "alter object",
                ("drop", _) => "drop object",
                ("replace", _) => "replace object",
                _ => "create object",
            }
        };
    }
    verbs! {
        Function => "function",
        Procedure => "procedure",
        Trigger => "trigger",
        EventTrigger => "event trigger",
        Policy => "policy",
        RowSecurity => "row security",
        Rule => "rule",
        Extension => "extension",
        Domain => "domain",
        CompositeType => "composite type",
        RangeType => "range type",
        Collation => "collation",
        Event => "event",
        Privilege => "privilege",
        DefaultPrivilege => "default privilege",
        Publication => "publication",
    }
}

/// The statements that turn the extension `actual` prints into the one
/// `expected` prints (`CREATE EXTENSION IF NOT EXISTS e WITH SCHEMA s
/// [VERSION 'v']`, as the reader prints them) in place: `ALTER EXTENSION …
/// SET SCHEMA` and `… UPDATE TO`, which keep its objects (and the columns,
/// data and configuration rows using them) where a drop would lose them.
/// `None` when they differ in anything else.
pub(crate) fn pg_extension_alter(actual: &str, expected: &str) -> Option<Vec<String>> {
    let (a, e) = (
        ExtensionClauses::read(actual)?,
        ExtensionClauses::read(expected)?,
    );
    if a.name != e.name {
        return None;
    }
    let mut out = Vec::new();
    if a.schema != e.schema {
        out.push(format!(
            "ALTER EXTENSION {} SET SCHEMA {}",
            e.name, e.schema?
        ));
    }
    if a.version != e.version {
        out.push(format!(
            "ALTER EXTENSION {} UPDATE TO {}",
            e.name, e.version?
        ));
    }
    Some(out)
}

/// The clauses of a `CREATE EXTENSION` statement, as printed.
struct ExtensionClauses<'a> {
    name: &'a str,
    schema: Option<&'a str>,
    version: Option<&'a str>,
}

impl<'a> ExtensionClauses<'a> {
    fn read(stmt: &'a str) -> Option<Self> {
        let toks: Vec<Token<'a>> = tokens(stmt, Dialect::Postgres)
            .filter(|t| !t.is_trivia())
            .collect();
        let words: Vec<&str> = toks.iter().map(|t| t.text).collect();
        let after = |kw: &str| {
            toks.iter()
                .position(|t| t.is_word(kw))
                .and_then(|i| toks.get(i + 1))
                .map(|t| t.text)
        };
        let prefix = ["CREATE", "EXTENSION", "IF", "NOT", "EXISTS"];
        let starts = words.len() > prefix.len()
            && words
                .iter()
                .zip(prefix)
                .all(|(w, p)| w.eq_ignore_ascii_case(p));
        // Anything beyond the name, the schema and the version (CASCADE) is
        // not something these statements can change.
        let known = 1
            + prefix.len()
            + 3 * usize::from(after("SCHEMA").is_some())
            + 2 * usize::from(after("VERSION").is_some());
        (starts && known == words.len()).then(|| ExtensionClauses {
            name: words[prefix.len()],
            schema: after("SCHEMA"),
            version: after("VERSION"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_move_and_update_in_place() {
        let at = |schema: &str, version: &str| {
            format!("CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA {schema}{version}")
        };
        assert_eq!(
            pg_extension_alter(&at("public", ""), &at("\"Ext\"", "")),
            Some(vec![
                r#"ALTER EXTENSION citext SET SCHEMA "Ext""#.to_string()
            ])
        );
        assert_eq!(
            pg_extension_alter(
                &at("public", " VERSION '1.5'"),
                &at("public", " VERSION '1.6'")
            ),
            Some(vec!["ALTER EXTENSION citext UPDATE TO '1.6'".to_string()])
        );
        // Another extension, or a clause these statements cannot change.
        assert_eq!(
            pg_extension_alter(
                &at("public", ""),
                "CREATE EXTENSION IF NOT EXISTS hstore WITH SCHEMA public"
            ),
            None
        );
        assert_eq!(
            pg_extension_alter(&at("public", ""), &at("x", " CASCADE")),
            None
        );
        // No version on the expected side: not a change these statements make.
        assert_eq!(
            pg_extension_alter(&at("public", " VERSION '1.5'"), &at("public", "")),
            None
        );
    }

    #[test]
    fn drops_become_idempotent() {
        assert_eq!(
            drop_if_exists("DROP TRIGGER t ON public.x"),
            "DROP TRIGGER IF EXISTS t ON public.x"
        );
        assert_eq!(
            drop_if_exists("DROP EVENT TRIGGER ddl_log"),
            "DROP EVENT TRIGGER IF EXISTS ddl_log"
        );
        assert_eq!(
            drop_if_exists("DROP FUNCTION public.add(integer, integer)"),
            "DROP FUNCTION IF EXISTS public.add(integer, integer)"
        );
        assert_eq!(
            drop_if_exists("DROP EVENT IF EXISTS e"),
            "DROP EVENT IF EXISTS e"
        );
        assert_eq!(
            drop_if_exists("ALTER TABLE public.x DISABLE ROW LEVEL SECURITY"),
            "ALTER TABLE public.x DISABLE ROW LEVEL SECURITY"
        );
    }

    #[test]
    fn mysql_statements_name_their_database() {
        assert_eq!(
            mysql_qualified(
                "CREATE TRIGGER `t` BEFORE INSERT ON `orders` FOR EACH ROW SET NEW.a = 1",
                "a`b"
            ),
            "CREATE TRIGGER `a``b`.`t` BEFORE INSERT ON `a``b`.`orders` FOR EACH ROW SET NEW.a = 1"
        );
        assert_eq!(
            mysql_qualified(
                "CREATE FUNCTION `f`(`x` int(11)) RETURNS int(11) RETURN x",
                "app"
            ),
            "CREATE FUNCTION `app`.`f`(`x` int(11)) RETURNS int(11) RETURN x"
        );
        assert_eq!(
            drop_if_exists(&mysql_qualified("DROP EVENT `e`", "app")),
            "DROP EVENT IF EXISTS `app`.`e`"
        );
        for same in ["DROP TRIGGER `app`.`t`", "SELECT `x`", "CREATE TRIGGER t"] {
            assert_eq!(mysql_qualified(same, "app"), same);
        }
    }

    #[test]
    fn idempotent_creates_and_routine_headers() {
        assert!(is_idempotent_create(
            "CREATE OR REPLACE FUNCTION f() RETURNS int"
        ));
        assert!(is_idempotent_create(
            "CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public"
        ));
        assert!(!is_idempotent_create("CREATE TRIGGER t BEFORE UPDATE ON x"));
        let def = "CREATE OR REPLACE FUNCTION public.f(a integer)\n RETURNS integer\n LANGUAGE sql\nAS $function$ SELECT a $function$\n";
        assert_eq!(
            pg_routine_header(def),
            [
                "CREATE OR REPLACE FUNCTION public.f(a integer)",
                "RETURNS integer"
            ]
        );
        assert_eq!(
            verb("drop", CatalogKind::EventTrigger),
            "drop event trigger"
        );
    }
}
