//! A small structural parser for the SQL text SQLite keeps in
//! `sqlite_schema.sql`, on the tokens of [`driftless_model::sql`].
//!
//! The pragmas do not tell constraint names, CHECK expressions, generated
//! column expressions, `AUTOINCREMENT`, deferrable foreign keys, index
//! expressions or partial-index predicates; the CREATE statements do. The
//! lexer understands every quoting form SQLite accepts (`'…'`, `"…"`,
//! `` `…` ``, `[…]`, `x'…'`), both comment forms and nested parentheses, so a
//! `)` or `,` inside a string, identifier or comment never ends a clause.
//!
//! Expressions are returned *normalised*: comments removed and every run of
//! whitespace collapsed to one space (none where the source had none), so two
//! databases built from the same DDL (or from DDL that differs only in layout
//! and comments) report the same text.
//!
//! Each statement is tokenized once; tokens, names and the parsed
//! structures borrow from the statement's text (a name is copied only when
//! it had doubled quotes to undo).
//!
//! Everything here is pure and never panics, whatever the input.

use std::borrow::Cow;

use driftless_model::sql::unquote;
use driftless_model::sql::{self, TokenKind as SqlKind};
use driftless_model::Dialect;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// A bare word: keyword or unquoted identifier.
    Word,
    /// `"…"`, `` `…` `` or `[…]`.
    QuotedIdent,
    /// `'…'`.
    String,
    /// `x'…'`.
    Blob,
    /// A numeric literal.
    Number,
    /// Any other single character (`(`, `)`, `,`, operators).
    Punct,
}

/// One token: its kind, its source text, and whether whitespace or a
/// comment preceded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub(crate) kind: TokenKind,
    pub(crate) text: &'a str,
    pub(crate) space_before: bool,
}

impl<'a> Token<'a> {
    /// Whether this is the bare word `kw` (ASCII case-insensitive).
    pub(crate) fn is_kw(&self, kw: &str) -> bool {
        self.kind == TokenKind::Word && self.text.eq_ignore_ascii_case(kw)
    }

    /// Whether this is the punctuation character `c`.
    pub(crate) fn is_punct(&self, c: char) -> bool {
        self.kind == TokenKind::Punct && self.text.len() == c.len_utf8() && self.text.starts_with(c)
    }

    /// The identifier this token names, unquoted (SQLite also accepts a
    /// string literal where it expects a name).
    pub(crate) fn name(&self) -> Option<Cow<'a, str>> {
        match self.kind {
            TokenKind::Word => Some(Cow::Borrowed(self.text)),
            TokenKind::QuotedIdent | TokenKind::String => Some(unquote(self.text)),
            _ => None,
        }
    }
}

/// Splits SQL text into tokens. Never fails: an unterminated quote or
/// comment runs to the end of the input.
pub(crate) fn tokenize(sql: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    tokenize_into(sql, &mut tokens);
    tokens
}

/// [`tokenize`] into `tokens` (cleared first), so that one buffer serves
/// many statements: the tokens of [`driftless_model::sql`] read as SQLite reads
/// them, without whitespace and comments (remembered as `space_before`),
/// and with `x'…'` as one blob literal.
pub(crate) fn tokenize_into<'a>(sql: &'a str, tokens: &mut Vec<Token<'a>>) {
    tokens.clear();
    let mut space_before = false;
    for t in sql::tokens(sql, Dialect::Sqlite) {
        let kind = match t.kind {
            SqlKind::Whitespace | SqlKind::Comment => {
                space_before = true;
                continue;
            }
            SqlKind::String => match tokens.last_mut() {
                // `x'…'`: the blob's prefix is the word just before it.
                Some(prev)
                    if prev.kind == TokenKind::Word
                        && prev.text.eq_ignore_ascii_case("x")
                        && !space_before =>
                {
                    prev.kind = TokenKind::Blob;
                    prev.text = &sql[t.start - prev.text.len()..t.end()];
                    continue;
                }
                _ => TokenKind::String,
            },
            SqlKind::Word => TokenKind::Word,
            SqlKind::QuotedIdent => TokenKind::QuotedIdent,
            SqlKind::Number => TokenKind::Number,
            _ => TokenKind::Punct,
        };
        tokens.push(Token {
            kind,
            text: t.text,
            space_before,
        });
        space_before = false;
    }
}

/// Renders tokens back to text, normalised: one space wherever the source
/// had whitespace or a comment, none elsewhere.
pub(crate) fn render(tokens: &[Token<'_>]) -> String {
    let mut out = String::new();
    for (n, t) in tokens.iter().enumerate() {
        if n > 0 && t.space_before {
            out.push(' ');
        }
        out.push_str(t.text);
    }
    out
}

/// Normalises an SQL fragment (see [`render`]).
pub(crate) fn normalise(sql: &str) -> String {
    render(&tokenize(sql))
}

/// The index of the `)` matching the `(` at `open`.
fn matching_paren(tokens: &[Token<'_>], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        if t.is_punct('(') {
            depth += 1;
        } else if t.is_punct(')') {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// Splits at commas outside parentheses.
fn split_top_level<'t, 'a>(tokens: &'t [Token<'a>]) -> Vec<&'t [Token<'a>]> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, t) in tokens.iter().enumerate() {
        if t.is_punct('(') {
            depth += 1;
        } else if t.is_punct(')') {
            depth = depth.saturating_sub(1);
        } else if t.is_punct(',') && depth == 0 {
            parts.push(&tokens[start..i]);
            start = i + 1;
        }
    }
    if start < tokens.len() {
        parts.push(&tokens[start..]);
    }
    parts
}

/// The text inside the parentheses opening at `open`, and the index after
/// the closing one.
fn parenthesised(tokens: &[Token<'_>], open: usize) -> Option<(String, usize)> {
    if !tokens.get(open)?.is_punct('(') {
        return None;
    }
    let close = matching_paren(tokens, open)?;
    Some((render(&tokens[open + 1..close]), close + 1))
}

/// Column names of a parenthesised list of indexed columns
/// (`(a COLLATE nocase DESC, "b")`), and the index after it.
fn name_list<'a>(tokens: &[Token<'a>], open: usize) -> Option<(Vec<Cow<'a, str>>, usize)> {
    if !tokens.get(open)?.is_punct('(') {
        return None;
    }
    let close = matching_paren(tokens, open)?;
    let names = split_top_level(&tokens[open + 1..close])
        .into_iter()
        .filter_map(|item| item.first().and_then(Token::name))
        .collect();
    Some((names, close + 1))
}

/// A constraint expression with its declared name, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NamedCheck<'a> {
    pub(crate) name: Option<Cow<'a, str>>,
    pub(crate) expression: String,
}

/// A `REFERENCES` clause.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct References<'a> {
    /// The `CONSTRAINT` name, if declared.
    pub(crate) name: Option<Cow<'a, str>>,
    /// Referencing columns.
    pub(crate) columns: Vec<Cow<'a, str>>,
    /// Referenced table.
    pub(crate) table: Cow<'a, str>,
    /// Referenced columns (empty: the referenced table's primary key).
    pub(crate) ref_columns: Vec<Cow<'a, str>>,
    pub(crate) deferrable: bool,
    pub(crate) initially_deferred: bool,
}

/// One column definition.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ColumnDef<'a> {
    pub(crate) name: Cow<'a, str>,
    pub(crate) collation: Option<Cow<'a, str>>,
    /// Generation expression and whether it is STORED.
    pub(crate) generated: Option<(String, bool)>,
    /// Column-level PRIMARY KEY: its constraint name and whether DESC.
    pub(crate) primary_key: Option<(Option<Cow<'a, str>>, bool)>,
    pub(crate) autoincrement: bool,
    /// Column-level UNIQUE constraints, each with its name if declared.
    pub(crate) uniques: Vec<Option<Cow<'a, str>>>,
    pub(crate) checks: Vec<NamedCheck<'a>>,
    pub(crate) references: Vec<References<'a>>,
}

/// A table-level constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TableConstraint<'a> {
    PrimaryKey {
        name: Option<Cow<'a, str>>,
        columns: Vec<Cow<'a, str>>,
        autoincrement: bool,
    },
    Unique {
        name: Option<Cow<'a, str>>,
        columns: Vec<Cow<'a, str>>,
    },
    Check(NamedCheck<'a>),
    ForeignKey(References<'a>),
}

/// What `CREATE TABLE` says beyond what the pragmas report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct CreateTable<'a> {
    pub(crate) columns: Vec<ColumnDef<'a>>,
    pub(crate) constraints: Vec<TableConstraint<'a>>,
    /// `WITHOUT ROWID` among the table options.
    pub(crate) without_rowid: bool,
    /// `STRICT` among the table options.
    pub(crate) strict: bool,
}

impl<'a> CreateTable<'a> {
    /// The column definition named `name` (ASCII case-insensitive, as SQLite compares).
    pub(crate) fn column(&self, name: &str) -> Option<&ColumnDef<'a>> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }
}

/// Words that end a column's type name and start a column constraint.
const COLUMN_CONSTRAINT_START: &[&str] = &[
    "CONSTRAINT",
    "PRIMARY",
    "NOT",
    "NULL",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "COLLATE",
    "REFERENCES",
    "GENERATED",
    "AS",
];

/// Parses `CREATE TABLE name (…) [options]`. `None` when the text has no
/// parenthesised body (SQLite always stores one for ordinary tables).
/// `tokens` is a scratch buffer, reused across statements.
pub(crate) fn parse_create_table<'a>(
    sql: &'a str,
    tokens: &mut Vec<Token<'a>>,
) -> Option<CreateTable<'a>> {
    tokenize_into(sql, tokens);
    let tokens = tokens.as_slice();
    let open = tokens.iter().position(|t| t.is_punct('('))?;
    let close = matching_paren(tokens, open)?;
    let elements = split_top_level(&tokens[open + 1..close]);
    let mut table = CreateTable {
        columns: Vec::with_capacity(elements.len()),
        ..CreateTable::default()
    };
    for element in elements {
        if element.is_empty() {
            continue;
        }
        if let Some(c) = parse_table_constraint(element) {
            table.constraints.push(c);
        } else if let Some(col) = parse_column_def(element) {
            table.columns.push(col);
        }
    }
    // The options: a comma-separated list of `WITHOUT ROWID` and `STRICT`.
    for option in split_top_level(&tokens[close + 1..]) {
        match option {
            [w, r, ..] if w.is_kw("WITHOUT") && r.is_kw("ROWID") => table.without_rowid = true,
            [s, ..] if s.is_kw("STRICT") => table.strict = true,
            _ => {}
        }
    }
    Some(table)
}

fn parse_table_constraint<'a>(e: &[Token<'a>]) -> Option<TableConstraint<'a>> {
    let (name, rest) = if e.first()?.is_kw("CONSTRAINT") {
        (e.get(1).and_then(Token::name), e.get(2..).unwrap_or(&[]))
    } else {
        (None, e)
    };
    let first = rest.first()?;
    let second = rest.get(1);
    if first.is_kw("PRIMARY") && second.is_some_and(|t| t.is_kw("KEY")) {
        let (columns, next) = name_list(rest, 2)?;
        let autoincrement = next >= 2 && rest[next - 2].is_kw("AUTOINCREMENT");
        return Some(TableConstraint::PrimaryKey {
            name,
            columns,
            autoincrement,
        });
    }
    if first.is_kw("UNIQUE") && second.is_some_and(|t| t.is_punct('(')) {
        let (columns, _) = name_list(rest, 1)?;
        return Some(TableConstraint::Unique { name, columns });
    }
    if first.is_kw("CHECK") && second.is_some_and(|t| t.is_punct('(')) {
        let (expression, _) = parenthesised(rest, 1)?;
        return Some(TableConstraint::Check(NamedCheck { name, expression }));
    }
    if first.is_kw("FOREIGN") && second.is_some_and(|t| t.is_kw("KEY")) {
        let (columns, next) = name_list(rest, 2)?;
        if !rest.get(next)?.is_kw("REFERENCES") {
            return None;
        }
        let (mut fk, _) = parse_references(rest, next + 1);
        fk.name = name;
        fk.columns = columns;
        return Some(TableConstraint::ForeignKey(fk));
    }
    None
}

fn is_column_constraint_start(t: &Token<'_>) -> bool {
    t.kind == TokenKind::Word
        && COLUMN_CONSTRAINT_START
            .iter()
            .any(|k| t.text.eq_ignore_ascii_case(k))
}

/// Skips `ON CONFLICT <algorithm>` at `i`.
fn skip_conflict(e: &[Token<'_>], i: usize) -> usize {
    if e.get(i).is_some_and(|t| t.is_kw("ON")) && e.get(i + 1).is_some_and(|t| t.is_kw("CONFLICT"))
    {
        i + 3
    } else {
        i
    }
}

fn parse_column_def<'a>(e: &[Token<'a>]) -> Option<ColumnDef<'a>> {
    let first = e.first()?;
    if first.is_kw("CONSTRAINT") {
        return None;
    }
    let mut col = ColumnDef {
        name: first.name()?,
        ..ColumnDef::default()
    };
    // The type name (the pragmas report it) runs to the first constraint.
    let mut i = 1;
    while i < e.len() && !is_column_constraint_start(&e[i]) {
        if e[i].is_punct('(') {
            i = matching_paren(e, i).map_or(e.len(), |c| c + 1);
        } else {
            i += 1;
        }
    }
    let mut pending_name: Option<Cow<'a, str>> = None;
    while i < e.len() {
        let t = &e[i];
        if t.is_kw("CONSTRAINT") {
            pending_name = e.get(i + 1).and_then(Token::name);
            i += 2;
            continue;
        }
        let name = pending_name.take();
        if t.is_kw("PRIMARY") {
            i += 1;
            if e.get(i).is_some_and(|t| t.is_kw("KEY")) {
                i += 1;
            }
            let mut desc = false;
            if let Some(t) = e.get(i) {
                if t.is_kw("DESC") {
                    desc = true;
                    i += 1;
                } else if t.is_kw("ASC") {
                    i += 1;
                }
            }
            i = skip_conflict(e, i);
            if e.get(i).is_some_and(|t| t.is_kw("AUTOINCREMENT")) {
                col.autoincrement = true;
                i += 1;
            }
            col.primary_key = Some((name, desc));
        } else if t.is_kw("NOT") && e.get(i + 1).is_some_and(|t| t.is_kw("NULL")) {
            i = skip_conflict(e, i + 2);
        } else if t.is_kw("NULL") {
            i = skip_conflict(e, i + 1);
        } else if t.is_kw("UNIQUE") {
            col.uniques.push(name);
            i = skip_conflict(e, i + 1);
        } else if t.is_kw("CHECK") {
            match parenthesised(e, i + 1) {
                Some((expression, next)) => {
                    col.checks.push(NamedCheck { name, expression });
                    i = next;
                }
                None => i += 1,
            }
        } else if t.is_kw("DEFAULT") {
            i += 1;
            match e.get(i) {
                Some(t) if t.is_punct('(') => i = matching_paren(e, i).map_or(e.len(), |c| c + 1),
                Some(t) if t.is_punct('-') || t.is_punct('+') => i += 2,
                Some(_) => i += 1,
                None => {}
            }
        } else if t.is_kw("COLLATE") {
            col.collation = e.get(i + 1).and_then(Token::name);
            i += 2;
        } else if t.is_kw("REFERENCES") {
            let (mut fk, next) = parse_references(e, i + 1);
            fk.name = name;
            fk.columns = vec![col.name.clone()];
            col.references.push(fk);
            i = next.max(i + 1);
        } else if t.is_kw("GENERATED") || t.is_kw("AS") {
            if t.is_kw("GENERATED") {
                i += 1;
                if e.get(i).is_some_and(|t| t.is_kw("ALWAYS")) {
                    i += 1;
                }
                if e.get(i).is_some_and(|t| t.is_kw("AS")) {
                    i += 1;
                }
            } else {
                i += 1;
            }
            match parenthesised(e, i) {
                Some((expression, next)) => {
                    i = next;
                    let mut stored = false;
                    if let Some(t) = e.get(i) {
                        if t.is_kw("STORED") {
                            stored = true;
                            i += 1;
                        } else if t.is_kw("VIRTUAL") {
                            i += 1;
                        }
                    }
                    col.generated = Some((expression, stored));
                }
                None => i += 1,
            }
        } else {
            i += 1;
        }
    }
    Some(col)
}

/// Parses what follows `REFERENCES`; returns the clause and the index after it.
fn parse_references<'a>(e: &[Token<'a>], mut i: usize) -> (References<'a>, usize) {
    let mut fk = References::default();
    if let Some(name) = e.get(i).and_then(Token::name) {
        fk.table = name;
        i += 1;
        if e.get(i).is_some_and(|t| t.is_punct('.')) {
            if let Some(name) = e.get(i + 1).and_then(Token::name) {
                fk.table = name;
            }
            i += 2;
        }
    }
    if let Some((cols, next)) = name_list(e, i) {
        fk.ref_columns = cols;
        i = next;
    }
    while let Some(t) = e.get(i) {
        if t.is_kw("ON")
            && e.get(i + 1)
                .is_some_and(|t| t.is_kw("DELETE") || t.is_kw("UPDATE"))
        {
            i += 2;
            match e.get(i) {
                Some(a) if a.is_kw("SET") || a.is_kw("NO") => i += 2,
                Some(_) => i += 1,
                None => {}
            }
        } else if t.is_kw("MATCH") {
            i += 2;
        } else if t.is_kw("NOT") && e.get(i + 1).is_some_and(|t| t.is_kw("DEFERRABLE")) {
            fk.deferrable = false;
            i += 2;
        } else if t.is_kw("DEFERRABLE") {
            fk.deferrable = true;
            i += 1;
        } else if t.is_kw("INITIALLY") {
            fk.initially_deferred = e.get(i + 1).is_some_and(|t| t.is_kw("DEFERRED"));
            i += 2;
        } else {
            break;
        }
    }
    if !fk.deferrable {
        fk.initially_deferred = false;
    }
    (fk, i)
}

/// One key of `CREATE INDEX … (…)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IndexItem<'a> {
    /// The key without `COLLATE` and `ASC`/`DESC`, normalised.
    pub(crate) expression: String,
    pub(crate) collation: Option<Cow<'a, str>>,
    pub(crate) descending: bool,
}

/// What `CREATE INDEX` says beyond the pragmas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CreateIndex<'a> {
    pub(crate) items: Vec<IndexItem<'a>>,
    /// The partial-index predicate, normalised.
    pub(crate) predicate: Option<String>,
}

/// Parses `CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON table (…) [WHERE …]`.
pub(crate) fn parse_create_index(sql: &str) -> Option<CreateIndex<'_>> {
    let tokens = tokenize(sql);
    let on = tokens.iter().position(|t| t.is_kw("ON"))?;
    let open = on + tokens[on..].iter().position(|t| t.is_punct('('))?;
    let close = matching_paren(&tokens, open)?;
    let items = split_top_level(&tokens[open + 1..close])
        .into_iter()
        .map(|item| {
            let mut end = item.len();
            let mut descending = false;
            if let Some(last) = item.get(end.wrapping_sub(1)) {
                if last.is_kw("DESC") {
                    descending = true;
                    end -= 1;
                } else if last.is_kw("ASC") {
                    end -= 1;
                }
            }
            let mut collation = None;
            if end >= 2 && item[end - 2].is_kw("COLLATE") {
                collation = item[end - 1].name();
                end -= 2;
            }
            IndexItem {
                expression: render(&item[..end]),
                collation,
                descending,
            }
        })
        .collect();
    let rest = &tokens[close + 1..];
    let predicate = rest
        .iter()
        .position(|t| t.is_kw("WHERE"))
        .map(|w| render(&rest[w + 1..]))
        .map(|p| p.trim_end_matches(';').trim_end().to_string())
        .filter(|p| !p.is_empty());
    Some(CreateIndex { items, predicate })
}

/// The defining query of `CREATE VIEW name [(cols)] AS select`, normalised.
pub(crate) fn view_definition(sql: &str) -> Option<String> {
    let tokens = tokenize(sql);
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate() {
        if t.is_punct('(') {
            depth += 1;
        } else if t.is_punct(')') {
            depth = depth.saturating_sub(1);
        } else if depth == 0 && i >= 2 && t.is_kw("AS") {
            let def = render(&tokens[i + 1..]);
            return Some(def.trim_end_matches(';').trim_end().to_string());
        }
    }
    None
}

/// The names `sql` mentions (bare words and quoted identifiers, unquoted),
/// whatever their role: the candidates for what a trigger's body reads.
pub(crate) fn mentioned_names(sql: &str) -> Vec<Cow<'_, str>> {
    tokenize(sql)
        .iter()
        .filter(|t| matches!(t.kind, TokenKind::Word | TokenKind::QuotedIdent))
        .filter_map(Token::name)
        .collect()
}

/// The name of the first column of `columns` that `expression` refers to
/// (used to synthesise CHECK constraint names).
pub(crate) fn first_column_referenced<'c>(
    expression: &str,
    columns: &[&'c str],
) -> Option<&'c str> {
    let tokens = tokenize(expression);
    tokens.iter().enumerate().find_map(|(i, t)| {
        let is_call = tokens.get(i + 1).is_some_and(|n| n.is_punct('('));
        if !matches!(t.kind, TokenKind::Word | TokenKind::QuotedIdent) || is_call {
            return None;
        }
        let name = t.name()?;
        columns
            .iter()
            .find(|c| c.eq_ignore_ascii_case(&name))
            .copied()
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::type_complexity)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_quotes_comments_and_blobs() {
        let sql = "a 'x'')' \"q\"\"(\" `b` [c d] x'0A' 1.5e-3 -- no ) here\n/* ( */ )";
        let kinds: Vec<_> = tokenize(sql).iter().map(|t| (t.kind, t.text)).collect();
        assert_eq!(
            kinds,
            vec![
                (TokenKind::Word, "a"),
                (TokenKind::String, "'x'')'"),
                (TokenKind::QuotedIdent, "\"q\"\"(\""),
                (TokenKind::QuotedIdent, "`b`"),
                (TokenKind::QuotedIdent, "[c d]"),
                (TokenKind::Blob, "x'0A'"),
                (TokenKind::Number, "1.5e-3"),
                (TokenKind::Punct, ")"),
            ]
        );
        assert_eq!(unquote("\"q\"\"(\""), "q\"(");
        assert_eq!(unquote("[c d]"), "c d");
        assert_eq!(unquote("'it''s'"), "it's");
    }

    #[test]
    fn unterminated_input_never_panics() {
        for sql in [
            "'abc",
            "\"abc",
            "/* abc",
            "[abc",
            "x'",
            "CREATE TABLE t (a",
            "(",
            ")",
            "é",
            "0x",
            "1e",
        ] {
            let _ = tokenize(sql);
            let _ = parse_create_table(sql, &mut Vec::new());
            let _ = parse_create_index(sql);
            let _ = view_definition(sql);
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_tokenized_and_parsed_without_panic(sql in "\\PC{0,80}", tail in "[(),'\"`\\[\\]x -]{0,12}") {
            let text = format!("CREATE TABLE t ({sql}{tail}");
            let tokens = tokenize(&text);
            // Tokens cover the text in order.
            let joined: usize = tokens.iter().map(|t| t.text.len()).sum();
            proptest::prop_assert!(joined <= text.len());
            let _ = parse_create_table(&text, &mut Vec::new());
            let _ = parse_create_index(&format!("CREATE INDEX i ON t ({sql}{tail}"));
            let _ = view_definition(&format!("CREATE VIEW v AS {sql}{tail}"));
            let _ = first_column_referenced(&text, &["a"]);
        }
    }

    #[test]
    fn normalises_whitespace_and_comments() {
        assert_eq!(normalise("a  >\n 0 /* c ) */ AND\tb<=1"), "a > 0 AND b<=1");
        assert_eq!(normalise("lower( x )"), "lower( x )");
    }

    #[test]
    fn parses_columns_and_constraints() {
        let sql = r#"CREATE TABLE "Weird ""t""" (
            id INTEGER CONSTRAINT pk_w PRIMARY KEY DESC ON CONFLICT ABORT AUTOINCREMENT,
            "select" VARCHAR(10, 2) NOT NULL COLLATE nocase UNIQUE CHECK ("select" <> ')' /* ) */),
            g INT GENERATED ALWAYS AS (id * 2) STORED,
            v TEXT AS (upper("select")),
            p INT CONSTRAINT fk_p REFERENCES parent (id) ON DELETE SET NULL ON UPDATE NO ACTION DEFERRABLE INITIALLY DEFERRED,
            d TEXT DEFAULT (datetime('now')) CHECK (d > ''),
            CONSTRAINT uq_pair UNIQUE (g COLLATE binary, v DESC),
            UNIQUE (p),
            CHECK (id > 0),
            FOREIGN KEY (p, g) REFERENCES "Other" NOT DEFERRABLE
        ) WITHOUT ROWID, STRICT"#;
        let t = parse_create_table(sql, &mut Vec::new()).unwrap();
        assert!(t.without_rowid && t.strict);
        assert_eq!(t.columns.len(), 6);
        let id = t.column("ID").unwrap();
        assert_eq!(id.name, "id");
        assert_eq!(id.primary_key, Some((Some("pk_w".into()), true)));
        assert!(id.autoincrement);
        let s = t.column("select").unwrap();
        // The comma inside the type's parentheses does not split the column.
        assert_eq!(s.name, "select");
        assert_eq!(s.collation.as_deref(), Some("nocase"));
        assert_eq!(s.uniques, vec![None]);
        assert_eq!(s.checks[0].expression, "\"select\" <> ')'");
        assert_eq!(
            t.column("g").unwrap().generated,
            Some(("id * 2".into(), true))
        );
        assert_eq!(
            t.column("v").unwrap().generated,
            Some(("upper(\"select\")".into(), false))
        );
        let p = &t.column("p").unwrap().references[0];
        assert_eq!(p.name.as_deref(), Some("fk_p"));
        assert_eq!(p.table, "parent");
        assert_eq!(p.ref_columns, vec!["id"]);
        assert!(p.deferrable && p.initially_deferred);
        assert_eq!(t.column("d").unwrap().checks[0].expression, "d > ''");
        assert_eq!(
            t.constraints,
            vec![
                TableConstraint::Unique {
                    name: Some("uq_pair".into()),
                    columns: vec!["g".into(), "v".into()]
                },
                TableConstraint::Unique {
                    name: None,
                    columns: vec!["p".into()]
                },
                TableConstraint::Check(NamedCheck {
                    name: None,
                    expression: "id > 0".into()
                }),
                TableConstraint::ForeignKey(References {
                    name: None,
                    columns: vec!["p".into(), "g".into()],
                    table: "Other".into(),
                    ref_columns: vec![],
                    deferrable: false,
                    initially_deferred: false,
                }),
            ]
        );
    }

    #[test]
    fn reads_table_options_in_any_order_and_case() {
        let options = |sql: &str| {
            let t = parse_create_table(sql, &mut Vec::new()).unwrap();
            (t.without_rowid, t.strict)
        };
        assert_eq!(options("CREATE TABLE t (a)"), (false, false));
        assert_eq!(options("CREATE TABLE t (a) strict"), (false, true));
        assert_eq!(
            options("CREATE TABLE t (a PRIMARY KEY) Strict , without\n rowid"),
            (true, true)
        );
        assert_eq!(
            options("CREATE TABLE t (a PRIMARY KEY) WITHOUT ROWID"),
            (true, false)
        );
        // Words inside the column list are not options.
        assert_eq!(
            options("CREATE TABLE \"strict\" (\"without rowid\" TEXT, strict INT)"),
            (false, false)
        );
    }

    #[test]
    fn lists_the_names_a_statement_mentions() {
        let names = mentioned_names(
            "CREATE TRIGGER \"t r\" AFTER INSERT ON [Orders] BEGIN INSERT INTO \"au\"\"dit\" VALUES ('orders'); END",
        );
        assert!(names.contains(&Cow::Borrowed("Orders")));
        assert!(names.contains(&Cow::Borrowed("au\"dit")));
        assert!(!names.iter().any(|n| n == "'orders'" || n == "orders"));
    }

    #[test]
    fn parses_table_primary_key_with_autoincrement() {
        let t = parse_create_table(
            "CREATE TABLE t (id INTEGER, CONSTRAINT k PRIMARY KEY (id AUTOINCREMENT))",
            &mut Vec::new(),
        )
        .unwrap();
        assert_eq!(
            t.constraints,
            vec![TableConstraint::PrimaryKey {
                name: Some("k".into()),
                columns: vec!["id".into()],
                autoincrement: true
            }]
        );
    }

    #[test]
    fn parses_indexes() {
        let i = parse_create_index(
            "CREATE UNIQUE INDEX IF NOT EXISTS \"ix\" ON t (lower(a) DESC, b COLLATE NOCASE, (a || ',') ASC) WHERE a > 0 -- x",
        )
        .unwrap();
        assert_eq!(
            i.items,
            vec![
                IndexItem {
                    expression: "lower(a)".into(),
                    collation: None,
                    descending: true
                },
                IndexItem {
                    expression: "b".into(),
                    collation: Some("NOCASE".into()),
                    descending: false
                },
                IndexItem {
                    expression: "(a || ',')".into(),
                    collation: None,
                    descending: false
                },
            ]
        );
        assert_eq!(i.predicate.as_deref(), Some("a > 0"));
        assert_eq!(
            parse_create_index("CREATE INDEX i ON t(a)")
                .unwrap()
                .predicate,
            None
        );
    }

    #[test]
    fn extracts_view_definitions() {
        assert_eq!(
            view_definition("CREATE VIEW \"as\" (a, b) AS SELECT 1 AS a, 2 AS b").as_deref(),
            Some("SELECT 1 AS a, 2 AS b")
        );
        assert_eq!(
            view_definition("CREATE VIEW v AS\n  SELECT *\n  FROM t;").as_deref(),
            Some("SELECT * FROM t")
        );
    }

    #[test]
    fn finds_first_referenced_column() {
        let cols = ["Amount", "qty"];
        assert_eq!(
            first_column_referenced("abs(qty) > 'amount' AND amount > 0", &cols),
            Some("qty")
        );
        assert_eq!(first_column_referenced("1 = 1", &cols), None);
    }
}
