//! What a DDL statement does to a table while it runs: rewrites it, scans
//! it under a lock, or blocks its writers. What a pending migration will do
//! to a busy production table, said before it runs.

use serde::{Deserialize, Serialize};

use crate::schema::Dialect;
use crate::sql::{tokens, unquote, Token, TokenKind};

/// How a statement holds up a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HazardKind {
    /// Copies every row into a new table file: time and disk in proportion
    /// to the table, under a lock that stops reads and writes (PostgreSQL,
    /// MySQL) or every writer (SQLite).
    Rewrite,
    /// Reads every row (to validate or build something) under a lock.
    Scan,
    /// Builds an index while writers wait.
    BlocksWrites,
    /// Takes a lock that waits for every running query on the table and
    /// then blocks every new one, briefly when nothing holds it up.
    ExclusiveLock,
}

/// One hazard of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hazard {
    /// The table's schema, when the statement names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The table, as the statement names it (unquoted).
    pub table: String,
    /// How it holds the table up.
    pub kind: HazardKind,
    /// What happens, for a message: `rewrites table users under an ACCESS
    /// EXCLUSIVE lock (reads and writes wait)`.
    pub what: String,
}

/// The hazards of one statement (empty for statements that hold up no
/// table, or that this reading does not recognise).
///
/// ```
/// use driftless_model::{statement_hazards, Dialect, HazardKind};
///
/// let h = statement_hazards("CREATE INDEX users_email_idx ON users (email)", Dialect::Postgres);
/// assert_eq!(h[0].table, "users");
/// assert_eq!(h[0].kind, HazardKind::BlocksWrites);
/// assert!(statement_hazards("CREATE INDEX CONCURRENTLY i ON users (email)", Dialect::Postgres).is_empty());
/// ```
pub fn statement_hazards(sql: &str, dialect: Dialect) -> Vec<Hazard> {
    let words: Vec<Token<'_>> = tokens(sql, dialect).filter(|t| !t.is_trivia()).collect();
    let w = Words(&words);
    if w.is(0, "CREATE") {
        return create_index(&w, dialect).into_iter().collect();
    }
    if w.is(0, "ALTER") && w.is(1, "TABLE") {
        return alter_table(&w, dialect);
    }
    if w.is(0, "INSERT") {
        return insert_select(&w).into_iter().collect();
    }
    if w.is(0, "UPDATE") && !w.has("WHERE") {
        return w
            .name_at(w.skip(1, &["ONLY"]))
            .map(|(schema, table)| {
                hazard(schema, table, HazardKind::Rewrite, "writes every row of")
            })
            .into_iter()
            .collect();
    }
    if (w.is(0, "VACUUM") && w.is(1, "FULL")) || w.is(0, "CLUSTER") {
        let at = if w.is(0, "VACUUM") { 2 } else { 1 };
        return w
            .name_at(at)
            .map(|(schema, table)| hazard(schema, table, HazardKind::Rewrite, "rewrites"))
            .into_iter()
            .collect();
    }
    Vec::new()
}

fn hazard(schema: Option<String>, table: String, kind: HazardKind, verb: &str) -> Hazard {
    let lock = match kind {
        HazardKind::Rewrite => " under an exclusive lock (reads and writes wait)",
        HazardKind::Scan => " while writes wait",
        HazardKind::BlocksWrites => ": writes wait until it is built",
        HazardKind::ExclusiveLock => {
            " (it waits for every running query on the table, and every new one waits for it)"
        }
    };
    let what = format!("{verb} table {table}{lock}");
    Hazard {
        schema,
        table,
        kind,
        what,
    }
}

/// The meaningful tokens of a statement.
struct Words<'a, 'b>(&'b [Token<'a>]);

impl Words<'_, '_> {
    fn is(&self, i: usize, kw: &str) -> bool {
        self.0.get(i).is_some_and(|t| t.is_word(kw))
    }

    fn has(&self, kw: &str) -> bool {
        self.0.iter().any(|t| t.is_word(kw))
    }

    fn position(&self, from: usize, kw: &str) -> Option<usize> {
        (from..self.0.len()).find(|i| self.is(*i, kw))
    }

    /// Skips the optional keywords `kws` from `i` on.
    fn skip(&self, mut i: usize, kws: &[&str]) -> usize {
        while kws.iter().any(|k| self.is(i, k)) {
            i += 1;
        }
        i
    }

    /// The (possibly schema-qualified) name at `i`.
    fn name_at(&self, i: usize) -> Option<(Option<String>, String)> {
        let part = |t: &Token<'_>| {
            matches!(t.kind, TokenKind::Word | TokenKind::QuotedIdent)
                .then(|| unquote(t.text).into_owned())
        };
        let first = part(self.0.get(i)?)?;
        match (self.0.get(i + 1), self.0.get(i + 2)) {
            (Some(dot), Some(second)) if dot.is_punct('.') => Some((Some(first), part(second)?)),
            _ => Some((None, first)),
        }
    }
}

fn create_index(w: &Words<'_, '_>, dialect: Dialect) -> Option<Hazard> {
    let at = w.skip(1, &["UNIQUE"]);
    if !w.is(at, "INDEX") || w.has("CONCURRENTLY") {
        return None;
    }
    let on = w.position(at, "ON")?;
    let (schema, table) = w.name_at(w.skip(on + 1, &["ONLY"]))?;
    match dialect {
        // InnoDB builds secondary indexes in place, writers going on.
        Dialect::Mysql => None,
        Dialect::Postgres => Some(hazard(
            schema,
            table,
            HazardKind::BlocksWrites,
            "builds an index on",
        )),
        Dialect::Sqlite => Some(hazard(
            schema,
            table,
            HazardKind::Scan,
            "reads every row of",
        )),
    }
}

fn alter_table(w: &Words<'_, '_>, dialect: Dialect) -> Vec<Hazard> {
    let at = w.skip(2, &["IF", "EXISTS", "ONLY"]);
    let Some((schema, table)) = w.name_at(at) else {
        return Vec::new();
    };
    let action = |kind, verb: &str| vec![hazard(schema.clone(), table.clone(), kind, verb)];
    let volatile = [
        "STORED",
        "RANDOM",
        "CLOCK_TIMESTAMP",
        "GEN_RANDOM_UUID",
        "UUID_GENERATE_V4",
    ];
    match dialect {
        Dialect::Postgres => {
            let retyped = w.position(at, "ALTER").is_some() && w.has("TYPE");
            let validated = (w.has("FOREIGN") || w.has("CHECK")) && !w.has("VALID");
            let not_null = w.has("NOT") && w.has("NULL") && w.has("SET");
            if retyped || volatile.iter().any(|k| w.has(k)) {
                action(HazardKind::Rewrite, "rewrites")
            } else if validated || not_null {
                action(HazardKind::Scan, "checks every row of")
            } else if (w.has("PRIMARY") || w.has("UNIQUE")) && w.has("ADD") && !w.has("USING") {
                action(HazardKind::BlocksWrites, "builds an index on")
            } else {
                action(HazardKind::ExclusiveLock, "locks")
            }
        }
        Dialect::Mysql => {
            let copies = ["MODIFY", "CHANGE", "CONVERT", "FORCE"];
            if copies.iter().any(|k| w.has(k)) || (w.has("PRIMARY") && w.has("KEY")) {
                action(HazardKind::Rewrite, "copies")
            } else {
                Vec::new()
            }
        }
        Dialect::Sqlite => Vec::new(),
    }
}

/// `INSERT INTO a … SELECT … FROM b`: every row of `b` copied (how Django
/// and others rebuild a SQLite table).
fn insert_select(w: &Words<'_, '_>) -> Option<Hazard> {
    let select = w.position(0, "SELECT")?;
    let from = w.position(select, "FROM")?;
    let (schema, table) = w.name_at(from + 1)?;
    Some(hazard(
        schema,
        table,
        HazardKind::Rewrite,
        "copies every row of",
    ))
}

/// The values statements give the existing rows of a column they add:
/// `ALTER TABLE t ADD [COLUMN] c … DEFAULT expr`, and a table rebuild's
/// `INSERT INTO new (…, c) SELECT …, expr FROM t` where `expr` is no
/// column (how Django adds a NOT NULL column on SQLite). Returns `(table,
/// column, expr)`, names unquoted.
///
/// ```
/// use driftless_model::{column_backfills, Dialect};
///
/// let pg = column_backfills(r#"ALTER TABLE "users" ADD COLUMN "login_count" integer DEFAULT 0 NOT NULL"#, Dialect::Postgres);
/// assert_eq!(pg, [("users".to_string(), "login_count".to_string(), "0".to_string())]);
/// let lite = column_backfills(r#"INSERT INTO "new__users" ("id", "n") SELECT "id", 0 FROM "users""#, Dialect::Sqlite);
/// assert_eq!(lite, [("users".to_string(), "n".to_string(), "0".to_string())]);
/// ```
pub fn column_backfills(sql: &str, dialect: Dialect) -> Vec<(String, String, String)> {
    let words: Vec<Token<'_>> = tokens(sql, dialect).filter(|t| !t.is_trivia()).collect();
    let w = Words(&words);
    if w.is(0, "ALTER") && w.is(1, "TABLE") {
        return added_defaults(&w, sql);
    }
    if w.is(0, "INSERT") {
        return rebuild_values(&w, sql).unwrap_or_default();
    }
    Vec::new()
}

/// `ADD [COLUMN] [IF NOT EXISTS] c … DEFAULT expr` actions of an `ALTER TABLE`.
fn added_defaults(w: &Words<'_, '_>, sql: &str) -> Vec<(String, String, String)> {
    let at = w.skip(2, &["IF", "EXISTS", "ONLY"]);
    let Some((_, table)) = w.name_at(at) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut i = at;
    while let Some(add) = w.position(i, "ADD") {
        let name_at = w.skip(add + 1, &["COLUMN", "IF", "NOT", "EXISTS"]);
        let end = w.clause_end(name_at);
        i = end.max(add + 1);
        let Some((None, column)) = w.name_at(name_at) else {
            continue;
        };
        let Some(d) = (name_at..end).find(|k| w.is(*k, "DEFAULT")) else {
            continue;
        };
        let stops = [
            "NOT",
            "NULL",
            "CONSTRAINT",
            "CHECK",
            "REFERENCES",
            "UNIQUE",
            "PRIMARY",
            "COLLATE",
        ];
        let last = (d + 1..end)
            .take_while(|k| !stops.iter().any(|s| w.is(*k, s)))
            .last();
        if let Some(last) = last {
            let text = &sql[w.0[d + 1].start..w.0[last].end()];
            out.push((table.clone(), column, text.trim().to_string()));
        }
    }
    out
}

/// The values of a rebuild's `INSERT INTO new (cols) SELECT exprs FROM old`
/// that are not columns.
fn rebuild_values(w: &Words<'_, '_>, sql: &str) -> Option<Vec<(String, String, String)>> {
    let open = (0..w.0.len()).find(|i| w.0[*i].is_punct('('))?;
    let close = w.closing(open)?;
    let columns: Vec<String> = (open + 1..close)
        .filter(|i| !w.0[*i].is_punct(','))
        .filter_map(|i| w.name_at(i).map(|(_, n)| n))
        .collect();
    if !w.is(close + 1, "SELECT") {
        return None;
    }
    let from = (close + 2..w.0.len()).find(|i| w.is(*i, "FROM") && w.depth(close + 2, *i) == 0)?;
    let (_, table) = w.name_at(from + 1)?;
    let exprs = w.split_commas(close + 2, from);
    if exprs.len() != columns.len() {
        return None;
    }
    let mut out = Vec::new();
    for (column, (a, b)) in columns.into_iter().zip(exprs) {
        let single_name =
            b == a + 1 && matches!(w.0[a].kind, TokenKind::Word | TokenKind::QuotedIdent);
        if !single_name {
            let text = &sql[w.0[a].start..w.0[b - 1].end()];
            out.push((table.clone(), column, text.trim().to_string()));
        }
    }
    Some(out)
}

impl Words<'_, '_> {
    /// Where the clause starting at `i` ends: the next comma at depth 0, or
    /// the end.
    fn clause_end(&self, i: usize) -> usize {
        let mut depth = 0i32;
        for k in i..self.0.len() {
            let t = &self.0[k];
            if t.is_punct('(') {
                depth += 1;
            } else if t.is_punct(')') {
                depth -= 1;
            } else if depth == 0 && (t.is_punct(',') || t.is_punct(';')) {
                return k;
            }
        }
        self.0.len()
    }

    /// The `)` closing the `(` at `open`.
    fn closing(&self, open: usize) -> Option<usize> {
        let mut depth = 0i32;
        for k in open..self.0.len() {
            if self.0[k].is_punct('(') {
                depth += 1;
            } else if self.0[k].is_punct(')') {
                depth -= 1;
                if depth == 0 {
                    return Some(k);
                }
            }
        }
        None
    }

    /// The parenthesis depth at `to`, counted from `from`.
    fn depth(&self, from: usize, to: usize) -> i32 {
        self.0[from..to].iter().fold(0, |d, t| {
            if t.is_punct('(') {
                d + 1
            } else if t.is_punct(')') {
                d - 1
            } else {
                d
            }
        })
    }

    /// The comma-separated items between `from` and `to` at depth 0, as
    /// `[start, end)` token ranges.
    fn split_commas(&self, from: usize, to: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = from;
        let mut k = from;
        while k < to {
            let end = self.clause_end(k).min(to);
            out.push((start, end));
            start = end + 1;
            k = end + 1;
        }
        out.retain(|(a, b)| a < b);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str, dialect: Dialect) -> Vec<(String, HazardKind)> {
        statement_hazards(sql, dialect)
            .into_iter()
            .map(|h| (h.table, h.kind))
            .collect()
    }

    #[test]
    fn postgres_statements() {
        let pg = Dialect::Postgres;
        let k = |s: &str| kinds(s, pg);
        assert_eq!(
            k("ALTER TABLE \"public\".\"users\" ALTER COLUMN \"n\" TYPE bigint USING n::bigint"),
            vec![("users".into(), HazardKind::Rewrite)]
        );
        assert_eq!(
            k("ALTER TABLE users ALTER COLUMN n SET NOT NULL"),
            vec![("users".into(), HazardKind::Scan)]
        );
        assert_eq!(
            k("ALTER TABLE ONLY posts ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES users (id)"),
            vec![("posts".into(), HazardKind::Scan)]
        );
        assert!(k(
            "ALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES users (id) NOT VALID"
        )
        .iter()
        .all(|(_, h)| *h == HazardKind::ExclusiveLock));
        assert_eq!(
            k("ALTER TABLE users ADD COLUMN login_count integer DEFAULT 0 NOT NULL"),
            vec![("users".into(), HazardKind::ExclusiveLock)]
        );
        assert_eq!(
            k("ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid()"),
            vec![("users".into(), HazardKind::Rewrite)]
        );
        assert_eq!(
            k("CREATE UNIQUE INDEX i ON ONLY s.users (email)"),
            vec![("users".into(), HazardKind::BlocksWrites)]
        );
        assert!(k("CREATE INDEX CONCURRENTLY i ON users (email)").is_empty());
        assert!(k("CREATE TABLE users (id int)").is_empty());
        assert_eq!(
            k("UPDATE users SET n = 0"),
            vec![("users".into(), HazardKind::Rewrite)]
        );
        assert!(k("UPDATE users SET n = 0 WHERE id = 1").is_empty());
    }

    #[test]
    fn sqlite_and_mysql_statements() {
        assert_eq!(
            kinds(
                "INSERT INTO \"new__users\" (\"id\") SELECT \"id\" FROM \"users\"",
                Dialect::Sqlite
            ),
            vec![("users".into(), HazardKind::Rewrite)]
        );
        assert_eq!(
            kinds("CREATE INDEX i ON users (email)", Dialect::Sqlite),
            vec![("users".into(), HazardKind::Scan)]
        );
        assert!(kinds("ALTER TABLE users ADD COLUMN n int", Dialect::Sqlite).is_empty());
        assert_eq!(
            kinds("ALTER TABLE `users` MODIFY `n` bigint", Dialect::Mysql),
            vec![("users".into(), HazardKind::Rewrite)]
        );
        assert!(kinds("CREATE INDEX i ON users (email)", Dialect::Mysql).is_empty());
        let h = &statement_hazards("CREATE INDEX i ON users (email)", Dialect::Postgres)[0];
        assert_eq!(
            h.what,
            "builds an index on table users: writes wait until it is built"
        );
    }
}
