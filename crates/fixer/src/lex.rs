//! SQL fragment checks on the tokens of [`driftless_model::sql`]:
//! that an expression, type or view body taken from a snapshot is one
//! fragment (no statement separator, no comment, balanced parentheses and
//! quotes), the identifiers a view definition mentions, and MySQL view
//! bodies qualified with their own database.

use std::borrow::Cow;
use std::collections::BTreeSet;

use driftless_model::sql::{self, Token as SqlToken, TokenKind};
use driftless_model::Dialect;

/// A lexical token of a fragment that matters to the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    /// A bare or quoted identifier (unquoted and de-duplicated quotes).
    Ident(String),
    /// Anything else (literals, numbers, punctuation) — content not kept.
    Other,
}

/// What is wrong with a fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FragmentProblem {
    Empty,
    Separator,
    Comment,
    UnbalancedParentheses,
    UnterminatedQuote,
}

impl FragmentProblem {
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            FragmentProblem::Empty => "it is empty",
            FragmentProblem::Separator => "it contains a statement separator `;`",
            FragmentProblem::Comment => "it contains an SQL comment",
            FragmentProblem::UnbalancedParentheses => "its parentheses are not balanced",
            FragmentProblem::UnterminatedQuote => "it has an unterminated quote",
        }
    }
}

/// Scans `text` and returns its identifier tokens, or the first problem.
///
/// MySQL strings take backslash escapes (apply and the guarded script
/// clear `NO_BACKSLASH_ESCAPES`); PostgreSQL strings are standard
/// conforming, and PostgreSQL text should first go through
/// [`portable_literals`] so that it means the same under either setting.
pub(crate) fn scan(dialect: Dialect, text: &str) -> Result<Vec<Token>, FragmentProblem> {
    if text.chars().all(char::is_whitespace) {
        return Err(FragmentProblem::Empty);
    }
    let lexed: Vec<SqlToken<'_>> = sql::tokens(text, dialect).collect();
    let mut tokens = Vec::new();
    let mut depth: i64 = 0;
    for (i, t) in lexed.iter().enumerate() {
        match t.kind {
            TokenKind::Comment => return Err(FragmentProblem::Comment),
            TokenKind::String | TokenKind::QuotedIdent if !t.terminated => {
                return Err(FragmentProblem::UnterminatedQuote)
            }
            TokenKind::String | TokenKind::Number => tokens.push(Token::Other),
            TokenKind::QuotedIdent => tokens.push(Token::Ident(sql::unquote(t.text).into_owned())),
            // A word glued to a string is its prefix (E'…', B'…', X'…',
            // N'…', _utf8mb4'…'), not a name.
            TokenKind::Word if !is_literal_prefix(t, lexed.get(i + 1)) => {
                tokens.push(Token::Ident(t.text.to_string()));
            }
            TokenKind::Punct if t.text == ";" => return Err(FragmentProblem::Separator),
            TokenKind::Punct if t.text == "(" => depth += 1,
            TokenKind::Punct if t.text == ")" => {
                depth -= 1;
                if depth < 0 {
                    return Err(FragmentProblem::UnbalancedParentheses);
                }
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(FragmentProblem::UnbalancedParentheses);
    }
    Ok(tokens)
}

/// Whether word `t` prefixes the `'…'` string right after it.
fn is_literal_prefix(t: &SqlToken<'_>, next: Option<&SqlToken<'_>>) -> bool {
    t.kind == TokenKind::Word
        && next.is_some_and(|n| {
            n.kind == TokenKind::String && n.start == t.end() && n.text.starts_with('\'')
        })
}

/// PostgreSQL: `text` with every standard string literal that holds a
/// backslash re-spelled as an escape string (`'a\'` becomes `E'a\\'`),
/// which means the same whatever `standard_conforming_strings` is — also
/// when a whole script is sent at once and a `SET` in it comes too late
/// for the parser. Other dialects, and text without such literals, as is.
pub(crate) fn portable_literals(dialect: Dialect, text: &str) -> Cow<'_, str> {
    if dialect != Dialect::Postgres || !text.contains('\\') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut prev: Option<SqlToken<'_>> = None;
    for t in sql::tokens(text, dialect) {
        // A standard string: not prefixed (E'…', B'…', U&'…' stay as is).
        let standard = t.kind == TokenKind::String
            && t.text.starts_with('\'')
            && !prev.is_some_and(|p| is_literal_prefix(&p, Some(&t)))
            && !(out.ends_with("U&") || out.ends_with("u&"));
        match t.text.get(1..t.text.len() - 1) {
            Some(body) if standard && t.terminated && body.contains('\\') => {
                out.push_str("E'");
                out.push_str(&body.replace('\\', "\\\\"));
                out.push('\'');
            }
            _ => out.push_str(t.text),
        }
        prev = Some(t);
    }
    Cow::Owned(out)
}

/// Strips surrounding whitespace and one trailing `;` (view definitions as
/// PostgreSQL prints them end with one).
pub(crate) fn trim_statement(text: &str) -> &str {
    let t = text.trim();
    t.strip_suffix(';').map(str::trim_end).unwrap_or(t)
}

/// The identifiers `text` mentions, lower-cased when unquoted bare words
/// would fold (used for view dependencies; over-approximation is fine).
pub(crate) fn mentioned_identifiers(dialect: Dialect, text: &str) -> Vec<String> {
    match scan(dialect, trim_statement(text)) {
        Ok(tokens) => tokens
            .into_iter()
            .filter_map(|t| match t {
                Token::Ident(s) => Some(s),
                Token::Other => None,
            })
            .collect(),
        // An unscannable definition: fall back to splitting on anything
        // that cannot be part of a name (over-approximates, never misses).
        Err(_) => text
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect(),
    }
}

/// A lexeme of MySQL text, for [`qualify_mysql_relations`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Lexeme {
    /// A bare word (keyword, name or number), lower-cased.
    Word(String),
    /// A backquoted identifier and the byte offset of its opening quote.
    Quoted { name: String, start: usize },
    /// A string literal.
    Literal,
    /// Any other character.
    Punct(char),
}

/// MySQL text as lexemes; `None` when a quote is not closed.
fn mysql_lexemes(text: &str) -> Option<Vec<Lexeme>> {
    let mut out = Vec::new();
    for t in sql::tokens(text, Dialect::Mysql) {
        let lexeme = match t.kind {
            _ if t.is_trivia() => continue,
            TokenKind::String | TokenKind::QuotedIdent if !t.terminated => return None,
            TokenKind::String => Lexeme::Literal,
            TokenKind::QuotedIdent => Lexeme::Quoted {
                name: sql::unquote(t.text).into_owned(),
                start: t.start,
            },
            TokenKind::Word | TokenKind::Number => Lexeme::Word(t.text.to_ascii_lowercase()),
            _ => Lexeme::Punct(t.text.chars().next()?),
        };
        out.push(lexeme);
    }
    Some(out)
}

/// The names of the common table expressions `lexemes` define: a name
/// followed by `AS (`, or by a column list and `AS (`.
fn cte_names(lexemes: &[Lexeme]) -> BTreeSet<&str> {
    let mut names = BTreeSet::new();
    for (i, lx) in lexemes.iter().enumerate() {
        let Lexeme::Quoted { name, .. } = lx else {
            continue;
        };
        let mut j = i + 1;
        if lexemes.get(j) == Some(&Lexeme::Punct('(')) {
            let mut depth = 0usize;
            while let Some(l) = lexemes.get(j) {
                match l {
                    Lexeme::Punct('(') => depth += 1,
                    Lexeme::Punct(')') => depth = depth.saturating_sub(1),
                    _ => {}
                }
                j += 1;
                if depth == 0 {
                    break;
                }
            }
        }
        if lexemes.get(j) == Some(&Lexeme::Word("as".into()))
            && lexemes.get(j + 1) == Some(&Lexeme::Punct('('))
        {
            names.insert(name.as_str());
        }
    }
    names
}

/// MySQL/MariaDB: `body`, a view definition, with its references to the
/// tables and views of its own database qualified with `schema`.
///
/// Introspection removes the database's own qualifier from the server's
/// canonical view text (so databases of different names compare equal);
/// left bare, a reference would resolve against the session's default
/// database when the view is created, not against the view's own. A bare
/// backquoted name is a table reference where a table factor starts
/// (after `FROM`, a `JOIN`, or a `,` or `(` inside a FROM clause); it is
/// qualified when `is_relation` knows it and no common table expression of
/// the body takes the name. Text that does not lex comes back as is (the
/// fragment check refuses it).
pub(crate) fn qualify_mysql_relations(
    body: &str,
    schema: &str,
    is_relation: &dyn Fn(&str) -> bool,
) -> String {
    let Some(lexemes) = mysql_lexemes(body) else {
        return body.to_string();
    };
    let ctes = cte_names(&lexemes);
    // Per parenthesis level: inside a FROM clause; a table factor is next.
    let mut frames: Vec<(bool, bool)> = vec![(false, false)];
    let mut at = Vec::new();
    for (i, lx) in lexemes.iter().enumerate() {
        let Some(top) = frames.last_mut() else {
            break;
        };
        match lx {
            Lexeme::Word(w) if w == "from" || w.ends_with("join") => *top = (true, true),
            Lexeme::Word(w)
                if matches!(
                    w.as_str(),
                    "where"
                        | "group"
                        | "having"
                        | "order"
                        | "limit"
                        | "window"
                        | "union"
                        | "except"
                        | "intersect"
                        | "on"
                        | "using"
                        | "select"
                        | "into"
                        | "for"
                        | "lock"
                ) =>
            {
                *top = (false, false);
            }
            Lexeme::Punct(',') => top.1 = top.0,
            Lexeme::Punct('(') => {
                let factor = top.1;
                top.1 = false;
                frames.push((factor, factor));
            }
            Lexeme::Punct(')') => {
                if frames.len() > 1 {
                    frames.pop();
                }
            }
            Lexeme::Quoted { name, start } => {
                let dotted = (i > 0 && lexemes[i - 1] == Lexeme::Punct('.'))
                    || lexemes.get(i + 1) == Some(&Lexeme::Punct('.'));
                if top.1 && !dotted && is_relation(name) && !ctes.contains(name.as_str()) {
                    at.push(*start);
                }
                top.1 = false;
            }
            _ => top.1 = false,
        }
    }
    let prefix = format!("{}.", Dialect::Mysql.quote_ident(schema));
    let mut out = String::with_capacity(body.len() + at.len() * prefix.len());
    let mut copied = 0;
    for start in at {
        out.push_str(&body[copied..start]);
        out.push_str(&prefix);
        copied = start;
    }
    out.push_str(&body[copied..]);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_fragments() {
        for (d, s) in [
            (Dialect::Postgres, "nextval('users_id_seq'::regclass)"),
            (Dialect::Postgres, "'it''s; fine'::text"),
            (Dialect::Postgres, "(price > (0)::numeric)"),
            (Dialect::Mysql, "enum('a','b;c')"),
            (Dialect::Mysql, "'a\\'b'"),
            (Dialect::Sqlite, "CURRENT_TIMESTAMP"),
            (Dialect::Postgres, "$x$ ; $x$"),
        ] {
            assert!(scan(d, s).is_ok(), "{s}");
        }
    }

    #[test]
    fn rejects_injections() {
        assert_eq!(
            scan(Dialect::Postgres, "0; DROP TABLE t"),
            Err(FragmentProblem::Separator)
        );
        assert_eq!(
            scan(Dialect::Postgres, "0 -- x"),
            Err(FragmentProblem::Comment)
        );
        assert_eq!(scan(Dialect::Mysql, "0 # x"), Err(FragmentProblem::Comment));
        assert_eq!(
            scan(Dialect::Postgres, "0), b int, (c"),
            Err(FragmentProblem::UnbalancedParentheses)
        );
        assert_eq!(
            scan(Dialect::Postgres, "'abc"),
            Err(FragmentProblem::UnterminatedQuote)
        );
        assert_eq!(
            scan(Dialect::Mysql, "'a\\'"),
            Err(FragmentProblem::UnterminatedQuote)
        );
        assert_eq!(scan(Dialect::Sqlite, "  "), Err(FragmentProblem::Empty));
    }

    /// PostgreSQL prints the default `'a\''b'` (a backslash, then a quote)
    /// as a standard-conforming string; reading the backslash as an escape
    /// made the fixer refuse it as unterminated.
    #[test]
    fn regression_postgres_backslash_in_standard_string_is_not_an_escape() {
        assert!(scan(Dialect::Postgres, r"'$$\''@e$1?:x%_'::text").is_ok());
        assert!(scan(Dialect::Postgres, r"'a\'").is_ok());
        assert!(scan(Dialect::Postgres, r"E'a\'b'").is_ok());
        assert_eq!(
            scan(Dialect::Postgres, r"E'a\'"),
            Err(FragmentProblem::UnterminatedQuote)
        );
        // A standard string ends at its quote: what follows is scanned.
        assert_eq!(
            scan(Dialect::Postgres, r"'a\'; DROP TABLE t"),
            Err(FragmentProblem::Separator)
        );
        assert!(scan(Dialect::Sqlite, r"'a\'").is_ok());
        assert_eq!(
            scan(Dialect::Mysql, r"'a\'"),
            Err(FragmentProblem::UnterminatedQuote)
        );
    }

    /// A standard literal holding a backslash meant two different things
    /// under `standard_conforming_strings` on and off: `'\'; DROP TABLE t;
    /// --'` is one literal for one and a statement break for the other.
    #[test]
    fn regression_postgres_literals_with_backslashes_are_respelled_portably() {
        let p = |s| portable_literals(Dialect::Postgres, s).into_owned();
        assert_eq!(p(r"'a\''b'::text"), r"E'a\\''b'::text");
        assert_eq!(p(r"'\'; DROP TABLE t; --'"), r"E'\\'; DROP TABLE t; --'");
        assert_eq!(
            scan(Dialect::Postgres, &p(r"'\'; DROP TABLE t; --'")),
            Err(FragmentProblem::Separator)
        );
        // Escape strings, identifiers, dollar quotes and unicode strings as is.
        for s in [
            r"E'a\'b'",
            r#""a\'b" = 'c'"#,
            r"$x$\'$x$",
            r"U&'\0041'",
            "'plain'",
            r"'a' || e'\n'",
        ] {
            assert_eq!(p(s), s);
        }
        assert_eq!(p(r"lower('x\y') || 'z'"), r"lower(E'x\\y') || 'z'");
        assert_eq!(portable_literals(Dialect::Sqlite, r"'a\'"), r"'a\'");
    }

    #[test]
    fn finds_view_dependencies() {
        let ids = mentioned_identifiers(
            Dialect::Postgres,
            " SELECT u.id, \"Weird\"\"Name\".x FROM public.users u JOIN \"Weird\"\"Name\" ON true;",
        );
        assert!(ids.contains(&"users".to_string()));
        assert!(ids.contains(&"Weird\"Name".to_string()));
    }

    #[test]
    fn qualifies_mysql_table_references_of_the_own_database() {
        let known = |n: &str| ["t", "u", "v"].contains(&n);
        let q = |body: &str| qualify_mysql_relations(body, "app`x", &known);
        assert_eq!(
            q("select `t`.`id` AS `id`,`t`.`x` AS `t` from `t`"),
            "select `t`.`id` AS `id`,`t`.`x` AS `t` from `app``x`.`t`"
        );
        // Joins, aliases, other databases, derived tables, subqueries.
        assert_eq!(
            q("select `a`.`id` AS `id` from ((`t` `a` join `u` on(`a`.`id` = `u`.`id`)) left join `other`.`v` on(1)) where `a`.`id` in (select `u`.`id` from `u`)"),
            "select `a`.`id` AS `id` from ((`app``x`.`t` `a` join `app``x`.`u` on(`a`.`id` = `u`.`id`)) left join `other`.`v` on(1)) where `a`.`id` in (select `u`.`id` from `app``x`.`u`)"
        );
        assert_eq!(
            q("select `d`.`n` AS `n` from (select count(0) AS `n` from `t`) `d`, `v`"),
            "select `d`.`n` AS `n` from (select count(0) AS `n` from `app``x`.`t`) `d`, `app``x`.`v`"
        );
        // Names that are not relations of the database, strings, CTEs.
        assert_eq!(
            q("select 'from `t`' AS `s` from `w`"),
            "select 'from `t`' AS `s` from `w`"
        );
        assert_eq!(
            q("with `t` as (select 1 AS `x` from `u`), `c`(`y`) as (select 2) select `t`.`x` AS `x` from `t` join `c`"),
            "with `t` as (select 1 AS `x` from `app``x`.`u`), `c`(`y`) as (select 2) select `t`.`x` AS `x` from `t` join `c`"
        );
        // Unlexable text is left to the fragment check.
        assert_eq!(q("select 'x from `t`"), "select 'x from `t`");
    }
}
