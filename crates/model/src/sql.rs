//! The one SQL lexer of driftless: a dialect-aware token stream over SQL
//! text, shared by the migration statement splitter, the SQLite DDL reader,
//! the rules' comparison of SQL fragments and the fixer's fragment checks.
//!
//! Every byte of the input belongs to exactly one token, in order, so the
//! tokens' texts concatenated give back the input, whatever it holds (NUL,
//! unterminated quotes or comments, invalid-looking escapes). An
//! unterminated quote or comment runs to the end of the text and says so
//! ([`Token::terminated`]); the lexer never fails and always advances.
//!
//! Quoting follows each database:
//!
//! | | PostgreSQL | MySQL/MariaDB | SQLite |
//! |---|---|---|---|
//! | `'…'` (`''` escapes) | string | string, `\` escapes | string |
//! | `E'…'` | string, `\` escapes | word + string | word + string |
//! | `$tag$…$tag$` | string | — | — |
//! | `"…"` (`""` escapes) | identifier | string, `\` escapes | identifier |
//! | `` `…` `` (` `` ` escapes) | — | identifier | identifier |
//! | `[…]` | — | — | identifier |
//! | `-- …`, `/* … */` | comment (nested) | comment | comment |
//! | `# …` | — | comment | — |
//!
//! ```
//! use driftless_model::sql::{tokens, TokenKind};
//! use driftless_model::Dialect;
//!
//! let sql = "SELECT 'a;b', \"c\" -- note\nFROM t;";
//! let kinds: Vec<_> = tokens(sql, Dialect::Postgres)
//!     .filter(|t| t.kind != TokenKind::Whitespace)
//!     .map(|t| (t.kind, t.text))
//!     .collect();
//! assert_eq!(kinds[1], (TokenKind::String, "'a;b'"));
//! assert_eq!(kinds[3], (TokenKind::QuotedIdent, "\"c\""));
//! assert_eq!(kinds[4], (TokenKind::Comment, "-- note"));
//! let text: String = tokens(sql, Dialect::Postgres).map(|t| t.text).collect();
//! assert_eq!(text, sql);
//! ```

use std::borrow::Cow;

use crate::dialect::Dialect;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenKind {
    /// A run of whitespace (ASCII whitespace; PostgreSQL and MySQL also
    /// take a vertical tab).
    Whitespace,
    /// `-- …` up to (not including) the end of the line, `/* … */`
    /// (nested on PostgreSQL), and `# …` on MySQL.
    Comment,
    /// A bare word: keyword or unquoted identifier (letters, digits, `_`,
    /// `$` and every non-ASCII character; not starting with a digit).
    Word,
    /// A quoted identifier: `"…"` (not MySQL), `` `…` `` (not PostgreSQL),
    /// `[…]` (SQLite).
    QuotedIdent,
    /// A string literal: `'…'`, `"…"` on MySQL, `E'…'` and `$tag$…$tag$`
    /// on PostgreSQL.
    String,
    /// A numeric literal (`12`, `1.5e-3`, `.5`, `0x1F`).
    Number,
    /// Any other single character: punctuation and operators.
    Punct,
}

/// One token: its kind and its text, a slice of the input at byte
/// offset `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    /// What the token is.
    pub kind: TokenKind,
    /// Byte offset of the token's first character in the input.
    pub start: usize,
    /// The token's text.
    pub text: &'a str,
    /// `false` for a quote or block comment that the input ends inside.
    pub terminated: bool,
}

impl<'a> Token<'a> {
    /// Byte offset just past the token.
    pub fn end(&self) -> usize {
        self.start + self.text.len()
    }

    /// Whether this is the bare word `kw` (ASCII case-insensitive).
    pub fn is_word(&self, kw: &str) -> bool {
        self.kind == TokenKind::Word && self.text.eq_ignore_ascii_case(kw)
    }

    /// Whether this is the punctuation character `c`.
    pub fn is_punct(&self, c: char) -> bool {
        self.kind == TokenKind::Punct && self.text.len() == c.len_utf8() && self.text.starts_with(c)
    }

    /// Whether this token carries no meaning: whitespace or a comment.
    pub fn is_trivia(&self) -> bool {
        matches!(self.kind, TokenKind::Whitespace | TokenKind::Comment)
    }
}

/// The tokens of `sql` read as `dialect` reads it.
pub fn tokens(sql: &str, dialect: Dialect) -> Tokens<'_> {
    Tokens {
        src: sql,
        pos: 0,
        dialect,
    }
}

/// An iterator over the tokens of a text (see [`tokens`]).
#[derive(Debug, Clone)]
pub struct Tokens<'a> {
    src: &'a str,
    pos: usize,
    dialect: Dialect,
}

impl Tokens<'_> {
    /// Byte offset where the next token starts.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Resumes lexing at byte offset `pos` (moved forward to a character
    /// boundary, at most the end of the input), as a client does after a
    /// statement delimiter that the dialect's grammar does not know.
    pub fn seek(&mut self, pos: usize) {
        let mut pos = pos.min(self.src.len());
        while !self.src.is_char_boundary(pos) {
            pos += 1;
        }
        self.pos = pos;
    }
}

/// Removes the quotes around a quoted identifier or string literal and
/// undoes doubled quote characters (borrowed unless there were doubled
/// quotes; `[…]` has no escapes). Other text comes back as is.
pub fn unquote(text: &str) -> Cow<'_, str> {
    let close = match text.as_bytes().first() {
        Some(b'"') => '"',
        Some(b'\'') => '\'',
        Some(b'`') => '`',
        Some(b'[') => ']',
        _ => return Cow::Borrowed(text),
    };
    // The quotes are ASCII, so these slices fall on character boundaries.
    let inner = &text[1..];
    let inner = inner.strip_suffix(close).unwrap_or(inner);
    if close == ']' || !inner.contains(close) {
        return Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == close && chars.peek() == Some(&close) {
            chars.next();
        }
    }
    Cow::Owned(out)
}

/// `sql` trimmed and without the parentheses that enclose all of it
/// (`((lower(name)))` gives `lower(name)`; `(a) + (b)` stays as it is).
///
/// ```
/// use driftless_model::sql::strip_outer_parens;
/// use driftless_model::Dialect;
/// assert_eq!(strip_outer_parens(" ((lower(name))) ", Dialect::Postgres), "lower(name)");
/// assert_eq!(strip_outer_parens("(a) + (b)", Dialect::Postgres), "(a) + (b)");
/// assert_eq!(strip_outer_parens("(')')", Dialect::Postgres), "')'");
/// ```
pub fn strip_outer_parens(sql: &str, dialect: Dialect) -> &str {
    let mut s = sql.trim();
    loop {
        let toks: Vec<Token<'_>> = tokens(s, dialect).filter(|t| !t.is_trivia()).collect();
        let (Some(first), Some(last)) = (toks.first(), toks.last()) else {
            return s;
        };
        if toks.len() < 2 || !first.is_punct('(') || closing_paren(&toks) != Some(toks.len() - 1) {
            return s;
        }
        s = s[first.end()..last.start].trim();
    }
}

/// The index in `toks` of the `)` that closes the `(` at `toks[0]`.
fn closing_paren(toks: &[Token<'_>]) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate() {
        if t.is_punct('(') {
            depth += 1;
        } else if t.is_punct(')') {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// Whether `sql` is one function call (`lower(name)`, `pg_catalog.f(x)`):
/// a name, then parentheses that run to its end.
pub fn is_function_call(sql: &str, dialect: Dialect) -> bool {
    let toks: Vec<Token<'_>> = tokens(sql, dialect).filter(|t| !t.is_trivia()).collect();
    let mut i = 0;
    while toks
        .get(i)
        .is_some_and(|t| matches!(t.kind, TokenKind::Word | TokenKind::QuotedIdent))
    {
        i += 1;
        if toks.get(i).is_some_and(|t| t.is_punct('.')) {
            i += 1;
        } else {
            break;
        }
    }
    i > 0
        && toks.get(i).is_some_and(|t| t.is_punct('('))
        && closing_paren(&toks[i..]).map(|c| c + i) == Some(toks.len() - 1)
}

/// Whether `c` starts a bare word in `dialect`.
fn is_word_start(c: char, dialect: Dialect) -> bool {
    c.is_ascii_alphabetic() || c == '_' || !c.is_ascii() || (c == '$' && dialect == Dialect::Mysql)
}

/// Whether `c` continues a bare word.
fn is_word_continue(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$' || !c.is_ascii()
}

fn is_space(c: char, dialect: Dialect) -> bool {
    c.is_ascii_whitespace() || (c == '\u{b}' && dialect != Dialect::Sqlite)
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let start = self.pos;
        let rest = self.src.get(start..)?;
        let c = rest.chars().next()?;
        let (kind, len, terminated) = scan(rest, c, self.dialect);
        // Always advance by at least one character, and stay on a boundary.
        let mut end = (start + len.max(c.len_utf8())).min(self.src.len());
        while !self.src.is_char_boundary(end) {
            end += 1;
        }
        self.pos = end;
        Some(Token {
            kind,
            start,
            text: &self.src[start..end],
            terminated,
        })
    }
}

/// The kind and byte length of the token at the start of `rest` (whose
/// first character is `c`), and whether it is terminated.
fn scan(rest: &str, c: char, dialect: Dialect) -> (TokenKind, usize, bool) {
    let bytes = rest.as_bytes();
    let next = bytes.get(1).copied();
    let mysql = dialect == Dialect::Mysql;
    let postgres = dialect == Dialect::Postgres;
    match c {
        c if is_space(c, dialect) => {
            let len = rest.find(|ch| !is_space(ch, dialect)).unwrap_or(rest.len());
            (TokenKind::Whitespace, len, true)
        }
        '-' if next == Some(b'-') => line_comment(rest),
        '#' if mysql => line_comment(rest),
        '/' if next == Some(b'*') => block_comment(rest, postgres),
        '\'' => quoted(rest, 1, '\'', mysql, TokenKind::String),
        '"' if mysql => quoted(rest, 1, '"', true, TokenKind::String),
        '"' => quoted(rest, 1, '"', false, TokenKind::QuotedIdent),
        '`' if !postgres => quoted(rest, 1, '`', false, TokenKind::QuotedIdent),
        '[' if dialect == Dialect::Sqlite => match rest.find(']') {
            Some(e) => (TokenKind::QuotedIdent, e + 1, true),
            None => (TokenKind::QuotedIdent, rest.len(), false),
        },
        'E' | 'e' if postgres && next == Some(b'\'') => {
            quoted(rest, 2, '\'', true, TokenKind::String)
        }
        '$' if postgres => match dollar_tag(rest) {
            Some(tag) => match rest[tag.len()..].find(tag) {
                Some(e) => (TokenKind::String, tag.len() + e + tag.len(), true),
                None => (TokenKind::String, rest.len(), false),
            },
            None => (TokenKind::Punct, 1, true),
        },
        c if c.is_ascii_digit() || (c == '.' && next.is_some_and(|n| n.is_ascii_digit())) => {
            (TokenKind::Number, number_len(rest), true)
        }
        c if is_word_start(c, dialect) => {
            let len = rest
                .char_indices()
                .find(|&(i, ch)| i > 0 && !is_word_continue(ch))
                .map_or(rest.len(), |(i, _)| i);
            (TokenKind::Word, len, true)
        }
        c => (TokenKind::Punct, c.len_utf8(), true),
    }
}

fn line_comment(rest: &str) -> (TokenKind, usize, bool) {
    (
        TokenKind::Comment,
        rest.find('\n').unwrap_or(rest.len()),
        true,
    )
}

/// `/* … */` at the start of `rest`; when `nested`, inner `/* … */` pairs
/// nest (PostgreSQL).
fn block_comment(rest: &str, nested: bool) -> (TokenKind, usize, bool) {
    let bytes = rest.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') && (nested || depth == 0) {
            depth += 1;
            i += 2;
        } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
            depth = depth.saturating_sub(1);
            i += 2;
            if depth == 0 {
                return (TokenKind::Comment, i, true);
            }
        } else {
            i += 1;
        }
    }
    (TokenKind::Comment, rest.len(), false)
}

/// A quoted run at the start of `rest` whose opening quote ends at byte
/// `open_len`, closed by `close`; a doubled `close` stands for itself and,
/// when `backslash`, a backslash escapes the next character.
fn quoted(
    rest: &str,
    open_len: usize,
    close: char,
    backslash: bool,
    kind: TokenKind,
) -> (TokenKind, usize, bool) {
    let mut chars = rest.char_indices().skip_while(|&(i, _)| i < open_len);
    while let Some((i, c)) = chars.next() {
        if backslash && c == '\\' {
            chars.next();
        } else if c == close {
            let after = i + c.len_utf8();
            if rest[after..].starts_with(close) {
                chars.next();
            } else {
                return (kind, after, true);
            }
        }
    }
    (kind, rest.len(), false)
}

/// The `$tag$` opening `rest`, if it is one: an empty tag or an
/// identifier without `$`, not starting with a digit.
fn dollar_tag(rest: &str) -> Option<&str> {
    let inner = rest.get(1..)?;
    let end = inner.find('$')?;
    let tag = &inner[..end];
    let valid = tag.chars().enumerate().all(|(i, c)| {
        c == '_' || !c.is_ascii() || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())
    });
    valid.then(|| &rest[..end + 2])
}

/// The length of the numeric literal at the start of `rest`: digits,
/// letters (hex digits, exponents, suffixes), `.` and `_`, and a sign
/// right after a decimal exponent's `e`.
fn number_len(rest: &str) -> usize {
    let bytes = rest.as_bytes();
    let hex = rest.starts_with("0x") || rest.starts_with("0X");
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let word = b.is_ascii_alphanumeric() || b == b'.' || b == b'_';
        let exponent_sign =
            (b == b'+' || b == b'-') && !hex && i > 0 && matches!(bytes[i - 1], b'e' | b'E');
        if !(word || exponent_sign) {
            break;
        }
        i += 1;
    }
    i
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const DIALECTS: [Dialect; 3] = [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite];

    fn kinds(sql: &str, d: Dialect) -> Vec<(TokenKind, &str)> {
        tokens(sql, d)
            .filter(|t| t.kind != TokenKind::Whitespace)
            .map(|t| (t.kind, t.text))
            .collect()
    }

    #[test]
    fn quoting_follows_each_dialect() {
        use TokenKind::*;
        let sql = r#"'a''b' "c""d" `e` [f] E'g\'h' $x$ i $x$ 'j\'k'"#;
        assert_eq!(
            kinds(sql, Dialect::Postgres),
            vec![
                (String, "'a''b'"),
                (QuotedIdent, "\"c\"\"d\""),
                (Punct, "`"),
                (Word, "e"),
                (Punct, "`"),
                (Punct, "["),
                (Word, "f"),
                (Punct, "]"),
                (String, r"E'g\'h'"),
                (String, "$x$ i $x$"),
                (String, r"'j\'"),
                (Word, "k"),
                (String, "'"),
            ]
        );
        let mysql = kinds(r#""a\"b" 'c\'d' `e``f` # x"#, Dialect::Mysql);
        assert_eq!(
            mysql,
            vec![
                (String, r#""a\"b""#),
                (String, r"'c\'d'"),
                (QuotedIdent, "`e``f`"),
                (Comment, "# x"),
            ]
        );
        assert_eq!(
            kinds("[a b] x'0A' 1.5e-3 $1", Dialect::Sqlite),
            vec![
                (QuotedIdent, "[a b]"),
                (Word, "x"),
                (String, "'0A'"),
                (Number, "1.5e-3"),
                (Punct, "$"),
                (Number, "1"),
            ]
        );
    }

    #[test]
    fn comments_nest_on_postgres_only() {
        let sql = "/* a /* b */ c */";
        assert_eq!(
            kinds(sql, Dialect::Postgres),
            vec![(TokenKind::Comment, sql)]
        );
        assert_eq!(
            kinds(sql, Dialect::Sqlite)[0],
            (TokenKind::Comment, "/* a /* b */")
        );
    }

    #[test]
    fn unterminated_runs_to_the_end() {
        for (sql, d) in [
            ("'abc", Dialect::Sqlite),
            ("\"a\"\"", Dialect::Postgres),
            ("$t$ x", Dialect::Postgres),
            ("[x", Dialect::Sqlite),
            ("/* x", Dialect::Mysql),
            ("'a\\'", Dialect::Mysql),
        ] {
            let all: Vec<_> = tokens(sql, d).collect();
            assert_eq!(all.len(), 1, "{sql}");
            assert!(!all[0].terminated, "{sql}");
        }
    }

    proptest::proptest! {
        /// Every byte belongs to exactly one token: the tokens' texts, in
        /// order, spell the input, and none is empty.
        #[test]
        fn tokens_spell_the_input(
            text in "([a-zA-Z0-9 .;'\"`$\\\\/*#\n\r\t\u{0}\u{b}\u{7f}é€\u{a0}()\\[\\]+-]|E'|\\$\\$|\\$x\\$|--|/\\*|\\*/){0,60}"
        ) {
            for d in DIALECTS {
                let mut at = 0;
                for t in tokens(&text, d) {
                    proptest::prop_assert_eq!(t.start, at);
                    proptest::prop_assert!(!t.text.is_empty());
                    at = t.end();
                }
                proptest::prop_assert_eq!(at, text.len());
                let joined: String = tokens(&text, d).map(|t| t.text).collect();
                proptest::prop_assert_eq!(&joined, &text);
            }
        }

        #[test]
        fn any_text_is_spelled_back(text in "\\PC{0,80}") {
            for d in DIALECTS {
                let joined: String = tokens(&text, d).map(|t| t.text).collect();
                proptest::prop_assert_eq!(&joined, &text);
            }
        }
    }

    #[test]
    fn seek_resumes_on_a_boundary() {
        let mut t = tokens("é;x", Dialect::Mysql);
        t.seek(1);
        assert_eq!(t.next().map(|t| t.text), Some(";"));
        t.seek(99);
        assert_eq!(t.next(), None);
    }

    #[test]
    fn unquotes() {
        assert_eq!(unquote("\"q\"\"(\""), "q\"(");
        assert_eq!(unquote("[c d]"), "c d");
        assert_eq!(unquote("'it''s'"), "it's");
        assert_eq!(unquote("`a``b`"), "a`b");
        assert_eq!(unquote("plain"), "plain");
    }
}
