//! A small SQL fragment scanner: checks that an expression, type or view
//! body taken from a snapshot is one fragment (no statement separator, no
//! comment, balanced parentheses and quotes), and finds the identifiers a
//! view definition mentions.

use driftless_introspect::Dialect;

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
pub(crate) fn scan(dialect: Dialect, text: &str) -> Result<Vec<Token>, FragmentProblem> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut depth: i64 = 0;
    let mut i = 0;
    let n = chars.len();
    if chars.iter().all(|c| c.is_whitespace()) {
        return Err(FragmentProblem::Empty);
    }
    while i < n {
        let c = chars[i];
        match c {
            ';' => return Err(FragmentProblem::Separator),
            '-' if i + 1 < n && chars[i + 1] == '-' => return Err(FragmentProblem::Comment),
            '/' if i + 1 < n && chars[i + 1] == '*' => return Err(FragmentProblem::Comment),
            '#' if dialect == Dialect::Mysql => return Err(FragmentProblem::Comment),
            '(' => {
                depth += 1;
                i += 1;
            }
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err(FragmentProblem::UnbalancedParentheses);
                }
                i += 1;
            }
            '\'' => {
                i = skip_string(dialect, &chars, i, '\'')?;
                tokens.push(Token::Other);
            }
            '"' if dialect != Dialect::Mysql => {
                let (name, next) = quoted_ident(&chars, i, '"')?;
                tokens.push(Token::Ident(name));
                i = next;
            }
            '"' => {
                // MySQL: a double-quoted string (without ANSI_QUOTES).
                i = skip_string(dialect, &chars, i, '"')?;
                tokens.push(Token::Other);
            }
            '`' if dialect != Dialect::Postgres => {
                let (name, next) = quoted_ident(&chars, i, '`')?;
                tokens.push(Token::Ident(name));
                i = next;
            }
            '[' if dialect == Dialect::Sqlite => {
                // SQLite accepts [name] identifiers.
                let mut j = i + 1;
                while j < n && chars[j] != ']' {
                    j += 1;
                }
                if j >= n {
                    return Err(FragmentProblem::UnterminatedQuote);
                }
                tokens.push(Token::Ident(chars[i + 1..j].iter().collect()));
                i = j + 1;
            }
            '$' if dialect == Dialect::Postgres => {
                // A dollar-quoted string `$tag$ … $tag$`, or a parameter `$1`.
                let mut j = i + 1;
                while j < n && (chars[j].is_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                let is_param = j > i + 1 && chars[i + 1].is_ascii_digit();
                if !is_param && j < n && chars[j] == '$' {
                    let tag: String = chars[i..=j].iter().collect();
                    let rest: String = chars[j + 1..].iter().collect();
                    match rest.find(&tag) {
                        Some(pos) => {
                            let consumed = rest[..pos].chars().count() + tag.chars().count();
                            i = j + 1 + consumed;
                            tokens.push(Token::Other);
                        }
                        None => return Err(FragmentProblem::UnterminatedQuote),
                    }
                } else {
                    i = j.max(i + 1);
                    tokens.push(Token::Other);
                }
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < n && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                // Prefixed string literals: E'…', B'…', X'…', N'…', _utf8mb4'…'.
                if i < n && chars[i] == '\'' {
                    i = skip_string(dialect, &chars, i, '\'')?;
                    tokens.push(Token::Other);
                } else {
                    tokens.push(Token::Ident(word));
                }
            }
            _ => {
                i += 1;
            }
        }
    }
    if depth != 0 {
        return Err(FragmentProblem::UnbalancedParentheses);
    }
    Ok(tokens)
}

fn skip_string(
    dialect: Dialect,
    chars: &[char],
    start: usize,
    q: char,
) -> Result<usize, FragmentProblem> {
    let n = chars.len();
    let mut i = start + 1;
    // Backslash escapes: MySQL always, PostgreSQL inside E'…' (treated the
    // same way here: a backslash never ends a literal early).
    let backslash = dialect != Dialect::Sqlite;
    while i < n {
        let c = chars[i];
        if backslash && c == '\\' {
            i += 2;
            continue;
        }
        if c == q {
            if i + 1 < n && chars[i + 1] == q {
                i += 2;
                continue;
            }
            return Ok(i + 1);
        }
        i += 1;
    }
    Err(FragmentProblem::UnterminatedQuote)
}

fn quoted_ident(chars: &[char], start: usize, q: char) -> Result<(String, usize), FragmentProblem> {
    let n = chars.len();
    let mut i = start + 1;
    let mut name = String::new();
    while i < n {
        let c = chars[i];
        if c == q {
            if i + 1 < n && chars[i + 1] == q {
                name.push(q);
                i += 2;
                continue;
            }
            return Ok((name, i + 1));
        }
        name.push(c);
        i += 1;
    }
    Err(FragmentProblem::UnterminatedQuote)
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

    #[test]
    fn finds_view_dependencies() {
        let ids = mentioned_identifiers(
            Dialect::Postgres,
            " SELECT u.id, \"Weird\"\"Name\".x FROM public.users u JOIN \"Weird\"\"Name\" ON true;",
        );
        assert!(ids.contains(&"users".to_string()));
        assert!(ids.contains(&"Weird\"Name".to_string()));
    }
}
