//! Migration files as statements and as comparable text, on the tokens of
//! [`crate::sql`]: splitting a file into statements (aware of quotes,
//! comments, dollar quotes, trigger and routine bodies, and the MySQL
//! client's `DELIMITER`) and comparing two files while ignoring
//! whitespace, comments and line endings.

use crate::schema::Dialect;
use crate::sql::{tokens, Token, TokenKind};

/// One statement of a SQL file, as [`split_statements`] found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlStatement {
    /// The statement's text, without its terminating delimiter.
    pub sql: String,
    /// 1-based line of the statement's first character in the file.
    pub line: usize,
    /// Byte offset of the statement's first character in the file.
    pub offset: usize,
}

/// Whether the splitter takes `tok` as a word: a bare word or a number
/// (a custom delimiter may be glued to either, as in `END$$`).
fn is_word(tok: &Token<'_>) -> bool {
    matches!(tok.kind, TokenKind::Word | TokenKind::Number)
}

fn starts_block(words: &[String]) -> bool {
    // CREATE [OR REPLACE] [TEMP|TEMPORARY] [DEFINER = x] TRIGGER|PROCEDURE|FUNCTION|EVENT
    let mut it = words.iter().map(|w| w.to_ascii_uppercase());
    if it.next().as_deref() != Some("CREATE") {
        return false;
    }
    for w in it.take(6) {
        match w.as_str() {
            "TRIGGER" | "PROCEDURE" | "FUNCTION" | "EVENT" => return true,
            "TABLE" | "INDEX" | "VIEW" | "SCHEMA" | "TYPE" | "SEQUENCE" | "DATABASE" => {
                return false
            }
            _ => {}
        }
    }
    false
}

/// Splits SQL into statements, one per `;` (or the delimiter set by a MySQL
/// `DELIMITER` line) outside quotes, comments, dollar quotes and
/// `BEGIN … END` bodies of triggers and routines. Statements that hold only
/// comments are dropped. Pure; never fails (an unterminated quote ends the
/// statement at the end of the text, where the database will report it).
///
/// ```
/// use driftless_model::{split_statements, Dialect};
/// let sql = "-- users\nCREATE TABLE users (id int, note text DEFAULT 'a;b');\n\nCREATE INDEX i ON users (id);\n";
/// let stmts = split_statements(sql, Dialect::Postgres);
/// assert_eq!(stmts.len(), 2);
/// assert_eq!(stmts[1].line, 4);
/// assert_eq!(stmts[1].sql, "CREATE INDEX i ON users (id)");
/// ```
pub fn split_statements(sql: &str, dialect: Dialect) -> Vec<SqlStatement> {
    let mut out = Vec::new();
    let mut lexer = tokens(sql, dialect);
    let mut delimiter = ";".to_string();
    let mut stmt_start: Option<usize> = None;
    let mut stmt_end = 0usize;
    let mut words: Vec<String> = Vec::new();
    let mut block = false;
    let mut depth = 0i64;
    let mut pending_end = false;
    let mut line = 1usize;
    let mut line_pos = 0usize;
    let mut line_of = |offset: usize| {
        line += sql[line_pos..offset].matches('\n').count();
        line_pos = offset;
        line
    };
    let finish = |out: &mut Vec<SqlStatement>, start: usize, end: usize, line: usize| {
        let text = sql[start..end].trim_end();
        if !text.is_empty() {
            out.push(SqlStatement {
                sql: text.to_string(),
                line,
                offset: start,
            });
        }
    };
    while let Some(tok) = lexer.next() {
        let text = tok.text;
        if tok.is_trivia() {
            continue;
        }
        if stmt_start.is_none() && dialect == Dialect::Mysql && tok.is_word("DELIMITER") {
            let eol = sql[tok.end()..]
                .find('\n')
                .map_or(sql.len(), |e| tok.end() + e);
            let new = sql[tok.end()..eol].split_whitespace().next().unwrap_or(";");
            delimiter = new.to_string();
            lexer.seek(eol);
            continue;
        }
        let delim_at = if !matches!(tok.kind, TokenKind::Punct) && !is_word(&tok) {
            None
        } else if delimiter == ";" {
            (text == ";").then_some(tok.start)
        } else if sql[tok.start..].starts_with(delimiter.as_str()) {
            Some(tok.start)
        } else {
            text.find(delimiter.as_str()).map(|i| tok.start + i)
        };
        if delim_at.is_some() && delimiter == ";" && block && pending_end {
            depth -= 1;
            pending_end = false;
        }
        if let Some(at) = delim_at.filter(|_| delimiter != ";" || !block || depth <= 0) {
            if at > tok.start {
                stmt_start.get_or_insert(tok.start);
                stmt_end = at;
            }
            if let Some(start) = stmt_start.take() {
                let l = line_of(start);
                finish(&mut out, start, stmt_end, l);
            }
            lexer.seek(at + delimiter.len());
            words.clear();
            block = false;
            depth = 0;
            pending_end = false;
            continue;
        }
        if stmt_start.is_none() {
            stmt_start = Some(tok.start);
        }
        stmt_end = tok.end();
        if is_word(&tok) {
            if words.len() < 8 {
                words.push(text.to_string());
                if words.len() <= 8 && !block {
                    block = starts_block(&words);
                }
            }
            if block {
                let upper = text.to_ascii_uppercase();
                if pending_end {
                    pending_end = false;
                    if !matches!(upper.as_str(), "IF" | "LOOP" | "WHILE" | "REPEAT") {
                        depth -= 1;
                    }
                }
                match upper.as_str() {
                    "BEGIN" | "CASE" => depth += 1,
                    "END" => pending_end = true,
                    _ => {}
                }
            }
        } else if block && pending_end {
            pending_end = false;
            depth -= 1;
        }
    }
    if let Some(start) = stmt_start {
        let l = line_of(start);
        finish(&mut out, start, stmt_end, l);
    }
    out
}

/// The file with comments dropped and every run of whitespace (including
/// line endings and a byte-order mark) reduced to a single space between
/// tokens, so that two files that differ only cosmetically normalise to the
/// same text.
///
/// ```
/// use driftless_model::{normalize_sql, Dialect};
/// let a = "CREATE TABLE t (id int);\r\n-- note\n";
/// let b = "\u{feff}/* header */\nCREATE TABLE t(\n    id int\n);";
/// assert_eq!(normalize_sql(a, Dialect::Sqlite), normalize_sql(b, Dialect::Sqlite));
/// assert_ne!(normalize_sql(a, Dialect::Sqlite), normalize_sql("CREATE TABLE t (id bigint);", Dialect::Sqlite));
/// ```
pub fn normalize_sql(sql: &str, dialect: Dialect) -> String {
    let sql = sql.strip_prefix('\u{feff}').unwrap_or(sql);
    let mut out = String::with_capacity(sql.len());
    for tok in tokens(sql, dialect).filter(|t| !t.is_trivia()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(tok.text);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn texts(sql: &str, d: Dialect) -> Vec<(String, usize)> {
        split_statements(sql, d)
            .into_iter()
            .map(|s| (s.sql, s.line))
            .collect()
    }

    #[test]
    fn quotes_and_comments_hide_semicolons() {
        let sql = "SELECT 'a;b', \"c;d\"; -- x; y\n/* z; */ SELECT 2;\nSELECT 3";
        assert_eq!(
            texts(sql, Dialect::Postgres),
            vec![
                ("SELECT 'a;b', \"c;d\"".to_string(), 1),
                ("SELECT 2".to_string(), 2),
                ("SELECT 3".to_string(), 3)
            ]
        );
    }

    #[test]
    fn dollar_quotes_and_nested_comments() {
        let sql = "CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql;\n/* a /* b; */ c; */\nSELECT $$;$$, $1;";
        let got = texts(sql, Dialect::Postgres);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].0.ends_with("LANGUAGE plpgsql"));
        assert_eq!(got[1], ("SELECT $$;$$, $1".to_string(), 3));
    }

    #[test]
    fn escape_strings() {
        let got = texts("SELECT E'it\\'s;'; SELECT 'it''s;';", Dialect::Postgres);
        assert_eq!(got.len(), 2);
        let got = texts("SELECT 'a\\';b'; SELECT 1;", Dialect::Mysql);
        assert_eq!(got.len(), 2, "{got:?}");
        let got = texts("SELECT 'a\\'; SELECT 1;", Dialect::Sqlite);
        assert_eq!(got.len(), 2, "{got:?}");
    }

    #[test]
    fn trigger_bodies() {
        let sql = "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE b SET n = CASE WHEN 1 THEN 2 END;\n  DELETE FROM c;\nEND;\nCREATE TABLE x (id int);";
        let got = texts(sql, Dialect::Sqlite);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].0.ends_with("END"));
        assert_eq!(got[1].1, 5);
        let sql = "CREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1; END IF; LOOP LEAVE; END LOOP; END;\nSELECT 1;";
        assert_eq!(texts(sql, Dialect::Mysql).len(), 2);
        // Top-level transaction statements are not blocks.
        assert_eq!(
            texts("BEGIN; CREATE TABLE a (id int); COMMIT;", Dialect::Sqlite).len(),
            3
        );
    }

    #[test]
    fn mysql_delimiter() {
        let sql =
            "DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END//\nDELIMITER ;\nSELECT 2;";
        let got = texts(sql, Dialect::Mysql);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].1, 2);
        assert_eq!(got[1], ("SELECT 2".to_string(), 4));
    }

    #[test]
    fn comment_only_and_unterminated() {
        assert!(split_statements("-- nothing\n/* here */\n", Dialect::Sqlite).is_empty());
        let got = texts("SELECT 'open", Dialect::Sqlite);
        assert_eq!(got, vec![("SELECT 'open".to_string(), 1)]);
    }

    #[test]
    fn never_panics_on_odd_input() {
        for s in [
            "$",
            "$a",
            "/*",
            "'",
            "E'",
            "--",
            "DELIMITER",
            "\u{feff}é;ü",
            "[",
            "`",
            "\"",
            "/**/;/",
        ] {
            for d in [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite] {
                let _ = split_statements(s, d);
                let _ = normalize_sql(s, d);
            }
        }
    }

    proptest::proptest! {
        /// Regression: a NUL after the last statement of a migration made
        /// a statement of its own, which SQLite's driver never finished
        /// preparing. The splitter itself always advances: whatever the
        /// input (NUL and other control characters, unterminated quotes,
        /// odd delimiters), it ends, and its statements are pieces of the
        /// input in order, none empty.
        #[test]
        fn any_input_splits_into_ordered_pieces_of_itself(
            text in "([a-zA-Z ;'\"`$\\/*#\n\r\t\u{0}\u{1}\u{7f}é()\\[\\]-]|DELIMITER |BEGIN |END|CREATE TRIGGER ){0,60}"
        ) {
            for d in [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite] {
                let mut end = 0;
                for stmt in split_statements(&text, d) {
                    proptest::prop_assert!(stmt.offset >= end, "{stmt:?} overlaps the previous one");
                    proptest::prop_assert!(!stmt.sql.is_empty());
                    proptest::prop_assert_eq!(text.get(stmt.offset..stmt.offset + stmt.sql.len()), Some(stmt.sql.as_str()));
                    end = stmt.offset + stmt.sql.len();
                }
                let _ = normalize_sql(&text, d);
            }
        }
    }

    #[test]
    fn a_nul_stays_inside_the_statement_it_follows() {
        let got = texts("CREATE TABLE u (id int);\0\n", Dialect::Sqlite);
        assert_eq!(
            got,
            vec![
                ("CREATE TABLE u (id int)".to_string(), 1),
                ("\0".to_string(), 1)
            ]
        );
    }
}
