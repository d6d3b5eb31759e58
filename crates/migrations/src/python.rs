//! A lightweight reader of Python literals: enough to read the
//! module- and class-level assignments Django and Alembic migrations
//! declare (`revision = "ab12"`, `down_revision = ("a", "b")`,
//! `dependencies = [("app", "0001_initial")]`). No Python is executed.

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PyValue {
    Str(String),
    None,
    Bool(bool),
    Num(String),
    /// A list, tuple or set.
    Seq(Vec<PyValue>),
    /// Anything else (a name, a call, a dict…), as its source text.
    Other(String),
}

impl PyValue {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            PyValue::Str(s) => Some(s),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Assignment {
    pub name: String,
    pub value: PyValue,
    /// 1-based line of the assignment.
    pub line: usize,
    /// Indentation (columns) of the assignment.
    pub indent: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(String),
    Str(String),
    Num(String),
    Op(String),
    Newline,
}

#[derive(Debug, Clone)]
struct Spanned {
    tok: Tok,
    line: usize,
    start: usize,
    end: usize,
    indent: usize,
}

fn tokenize(src: &str) -> Vec<Spanned> {
    let mut lx = PyLexer {
        src,
        i: 0,
        line: 1,
        depth: 0,
        line_start: 0,
        out: Vec::new(),
    };
    let b = src.as_bytes();
    while lx.i < b.len() {
        let c = b[lx.i];
        match c {
            b'\n' => lx.newline(),
            b'#' => {
                while lx.i < b.len() && b[lx.i] != b'\n' {
                    lx.i += 1;
                }
            }
            b'\\' if b.get(lx.i + 1) == Some(&b'\n') => {
                lx.i += 2;
                lx.line += 1;
            }
            c if c.is_ascii_whitespace() => lx.i += 1,
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => lx.word(),
            b'\'' | b'"' => lx.string(lx.i, false),
            c if c.is_ascii_digit() => lx.number(),
            _ => lx.op(c),
        }
    }
    let end = b.len();
    lx.out.push(Spanned {
        tok: Tok::Newline,
        line: lx.line,
        start: end,
        end,
        indent: 0,
    });
    lx.out
}

/// The state of [`tokenize`]: where it is, and the tokens so far.
struct PyLexer<'a> {
    src: &'a str,
    i: usize,
    line: usize,
    /// Bracket depth: newlines inside brackets end no statement.
    depth: usize,
    line_start: usize,
    out: Vec<Spanned>,
}

impl PyLexer<'_> {
    fn push(&mut self, tok: Tok, start: usize, end: usize) {
        let indent = self.src[self.line_start..]
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .count();
        self.out.push(Spanned {
            tok,
            line: self.line,
            start,
            end,
            indent,
        });
    }

    fn newline(&mut self) {
        let after_newline = matches!(
            self.out.last(),
            None | Some(Spanned {
                tok: Tok::Newline,
                ..
            })
        );
        if self.depth == 0 && !after_newline {
            self.out.push(Spanned {
                tok: Tok::Newline,
                line: self.line,
                start: self.i,
                end: self.i + 1,
                indent: 0,
            });
        }
        self.line += 1;
        self.i += 1;
        self.line_start = self.i;
    }

    /// A name, or a string with a prefix (`r'…'`, `b"…"`).
    fn word(&mut self) {
        let b = self.src.as_bytes();
        let start = self.i;
        while self.i < b.len()
            && (b[self.i].is_ascii_alphanumeric() || b[self.i] == b'_' || b[self.i] >= 0x80)
        {
            self.i += 1;
        }
        let word = &self.src[start..self.i];
        let is_prefix = word.len() <= 2 && word.chars().all(|c| "rRbBuUfF".contains(c));
        if is_prefix && matches!(b.get(self.i), Some(b'\'') | Some(b'"')) {
            let raw = word.contains(['r', 'R']);
            let at = self.i;
            self.string_from(start, at, raw);
        } else {
            self.push(Tok::Name(word.to_string()), start, self.i);
        }
    }

    fn string(&mut self, at: usize, raw: bool) {
        self.string_from(at, at, raw);
    }

    /// The string whose quote is at `at` (its token starts at `start`).
    fn string_from(&mut self, start: usize, at: usize, raw: bool) {
        let (s, end, lines) = string_at(self.src, at, raw);
        self.push(Tok::Str(s), start, end);
        self.line += lines;
        self.i = end;
    }

    fn number(&mut self) {
        let b = self.src.as_bytes();
        let start = self.i;
        while self.i < b.len()
            && (b[self.i].is_ascii_alphanumeric() || b[self.i] == b'.' || b[self.i] == b'_')
        {
            self.i += 1;
        }
        self.push(Tok::Num(self.src[start..self.i].to_string()), start, self.i);
    }

    fn op(&mut self, c: u8) {
        let (src, i) = (self.src, self.i);
        match c {
            b'(' | b'[' | b'{' => self.depth += 1,
            b')' | b']' | b'}' => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        let two = src.get(i..i + 2).unwrap_or("");
        let len = if ["==", "!=", "<=", ">=", "->", ":=", "**", "//"].contains(&two) {
            2
        } else {
            1
        };
        // Stay on a character boundary for non-ASCII punctuation.
        let mut end = i + len;
        while end < src.len() && !src.is_char_boundary(end) {
            end += 1;
        }
        self.push(Tok::Op(src[i..end].to_string()), i, end);
        self.i = end;
    }
}

/// Reads the string literal whose quote is at `at`; returns its value, the
/// offset after it and the number of newlines inside it.
fn string_at(src: &str, at: usize, raw: bool) -> (String, usize, usize) {
    let b = src.as_bytes();
    let q = b[at];
    let triple = b.get(at + 1) == Some(&q) && b.get(at + 2) == Some(&q);
    let mut i = at + if triple { 3 } else { 1 };
    let mut val = String::new();
    let mut lines = 0;
    while i < b.len() {
        let c = b[i];
        if c == q && (!triple || (b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q))) {
            return (val, i + if triple { 3 } else { 1 }, lines);
        }
        if c == b'\n' {
            lines += 1;
            if !triple {
                return (val, i, lines - 1);
            }
        }
        if c == b'\\' && !raw && i + 1 < b.len() {
            let n = b[i + 1];
            match n {
                b'n' => val.push('\n'),
                b't' => val.push('\t'),
                b'\\' | b'\'' | b'"' => val.push(n as char),
                b'\n' => lines += 1,
                _ => {
                    val.push('\\');
                    // The escaped character is pushed on the next turn.
                    i += 1;
                    continue;
                }
            }
            i += 2;
            continue;
        }
        let ch = src[i..].chars().next().unwrap_or('\u{fffd}');
        val.push(ch);
        i += ch.len_utf8().max(1);
    }
    (val, b.len(), lines)
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Spanned>,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|s| &s.tok)
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some(Tok::Op(o)) if o == op)
    }

    fn value(&mut self) -> PyValue {
        let start_tok = self.pos;
        let v = match self.peek().cloned() {
            Some(Tok::Str(s)) => {
                self.pos += 1;
                let mut s = s;
                while let Some(Tok::Str(more)) = self.peek().cloned() {
                    s.push_str(&more);
                    self.pos += 1;
                }
                PyValue::Str(s)
            }
            Some(Tok::Name(n)) if n == "None" => {
                self.pos += 1;
                PyValue::None
            }
            Some(Tok::Name(n)) if n == "True" || n == "False" => {
                self.pos += 1;
                PyValue::Bool(n == "True")
            }
            Some(Tok::Num(n)) => {
                self.pos += 1;
                PyValue::Num(n)
            }
            Some(Tok::Op(o)) if o == "(" || o == "[" => {
                let close = if o == "(" { ")" } else { "]" };
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    match self.peek() {
                        None => break,
                        Some(Tok::Op(c)) if c == close => {
                            self.pos += 1;
                            break;
                        }
                        Some(Tok::Newline) => {
                            self.pos += 1;
                        }
                        _ => {
                            let before = self.pos;
                            items.push(self.value());
                            // Step over the comma, or over a token no value starts with.
                            if self.is_op(",") || (!self.is_op(close) && self.pos == before) {
                                self.pos += 1;
                            }
                        }
                    }
                }
                PyValue::Seq(items)
            }
            _ => PyValue::Other(String::new()),
        };
        // A value followed by more expression (`a.b(c)`, `x + y`) is opaque.
        let continues = match self.peek() {
            Some(Tok::Op(o)) => !matches!(o.as_str(), "," | ")" | "]" | "}" | ":"),
            Some(Tok::Newline) | None => false,
            Some(_) => true,
        };
        if matches!(v, PyValue::Other(_)) || continues {
            self.pos = start_tok;
            return PyValue::Other(self.skip_expression());
        }
        v
    }

    /// Skips one expression (up to `,` or a closing bracket at depth 0, or
    /// the end of the logical line) and returns its text.
    fn skip_expression(&mut self) -> String {
        let start = self.toks.get(self.pos).map_or(self.src.len(), |t| t.start);
        let mut end = start;
        let mut depth = 0i32;
        while let Some(t) = self.toks.get(self.pos) {
            match &t.tok {
                Tok::Newline if depth == 0 => break,
                Tok::Op(o) if depth == 0 && matches!(o.as_str(), "," | ")" | "]" | "}") => break,
                Tok::Op(o) if matches!(o.as_str(), "(" | "[" | "{") => depth += 1,
                Tok::Op(o) if matches!(o.as_str(), ")" | "]" | "}") => depth -= 1,
                _ => {}
            }
            end = t.end;
            self.pos += 1;
        }
        self.src.get(start..end).unwrap_or("").to_string()
    }
}

/// Every simple assignment (`name = value`, `name: type = value`) that
/// starts a logical line, with its value parsed as a literal where it is one.
pub(crate) fn assignments(src: &str) -> Vec<Assignment> {
    let toks = tokenize(src);
    let mut p = Parser { src, toks, pos: 0 };
    let mut out = Vec::new();
    let mut at_line_start = true;
    while p.pos < p.toks.len() {
        let here = p.toks[p.pos].clone();
        if !at_line_start {
            at_line_start = here.tok == Tok::Newline;
            p.pos += 1;
            continue;
        }
        at_line_start = false;
        let Tok::Name(name) = &here.tok else {
            at_line_start = here.tok == Tok::Newline;
            p.pos += 1;
            continue;
        };
        p.pos += 1;
        if p.is_op(":") {
            // Annotation: skip to `=` on the same logical line.
            p.pos += 1;
            let _ = p.skip_expression_until_eq();
        }
        if p.is_op("=") {
            p.pos += 1;
            let value = p.value();
            out.push(Assignment {
                name: name.clone(),
                value,
                line: here.line,
                indent: here.indent,
            });
        }
    }
    out
}

impl Parser<'_> {
    fn skip_expression_until_eq(&mut self) -> Option<()> {
        let mut depth = 0i32;
        while let Some(t) = self.toks.get(self.pos) {
            match &t.tok {
                Tok::Newline if depth == 0 => return None,
                Tok::Op(o) if depth == 0 && o == "=" => return Some(()),
                Tok::Op(o) if matches!(o.as_str(), "(" | "[" | "{") => depth += 1,
                Tok::Op(o) if matches!(o.as_str(), ")" | "]" | "}") => depth -= 1,
                _ => {}
            }
            self.pos += 1;
        }
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_django_and_alembic_literals() {
        let src = r#"
"""Docstring with dependencies = ['nope']"""
from django.db import migrations

class Migration(migrations.Migration):
    initial = True
    replaces = [('shop', '0001_initial'), ("shop", '0002_b')]
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('auth', '0012_alter_user_first_name_max_length'),  # comment, ('x', 'y')
    ]
    operations = [migrations.RunSQL("SELECT 1")]

revision: str = 'ae1027a6acf'
down_revision: Union[str, Sequence[str], None] = ("a1", 'b2')
branch_labels = None
"#;
        let a = assignments(src);
        let get = |n: &str| a.iter().find(|x| x.name == n).map(|x| x.value.clone());
        assert_eq!(get("initial"), Some(PyValue::Bool(true)));
        assert_eq!(
            get("replaces"),
            Some(PyValue::Seq(vec![
                PyValue::Seq(vec![
                    PyValue::Str("shop".into()),
                    PyValue::Str("0001_initial".into())
                ]),
                PyValue::Seq(vec![
                    PyValue::Str("shop".into()),
                    PyValue::Str("0002_b".into())
                ]),
            ]))
        );
        let Some(PyValue::Seq(deps)) = get("dependencies") else {
            panic!("deps")
        };
        assert_eq!(deps.len(), 2);
        assert!(matches!(&deps[0], PyValue::Other(t) if t.contains("swappable_dependency")));
        assert_eq!(get("revision"), Some(PyValue::Str("ae1027a6acf".into())));
        assert_eq!(
            get("down_revision"),
            Some(PyValue::Seq(vec![
                PyValue::Str("a1".into()),
                PyValue::Str("b2".into())
            ]))
        );
        assert_eq!(get("branch_labels"), Some(PyValue::None));
        assert!(a.iter().all(|x| x.name != "nope"));
        let rev = a.iter().find(|x| x.name == "revision").map(|x| x.line);
        assert_eq!(rev, Some(14));
    }

    #[test]
    fn odd_input_does_not_panic() {
        for s in [
            "x = (",
            "x = '",
            "x = \"\"\"",
            "x: = ",
            "= 1",
            "x = [1, (2,",
            "é = 'ü'",
            "x = r'\\'",
        ] {
            let _ = assignments(s);
        }
    }
}
