//! View definitions alike on every PostgreSQL version.
//!
//! `pg_get_viewdef` qualifies column references (`users.id`) unless the
//! query level reads a single range-table entry. Before PostgreSQL 16 a
//! view's stored query also listed the rule's `OLD` and `NEW` entries, so a
//! view reading one table was printed qualified (`SELECT users.id FROM
//! users`) where 16 and later print `SELECT id FROM users`. Definitions read
//! from older servers are brought to the later form: when the stored rule
//! (`pg_rewrite.ev_action`) lists `OLD`, `NEW` and one entry more, that
//! entry's qualifier is taken off the top-level column references (nested
//! queries keep theirs, as 16 prints them).

/// The name the top-level query of a view's stored rule `rule` (PostgreSQL
/// before 16, `pg_rewrite.ev_action` as text) reads its one range-table
/// entry by, besides `OLD` and `NEW`; `None` when it reads none or several.
pub(crate) fn single_entry_name(rule: &str) -> Option<String> {
    let entries = top_level_range_table(rule)?;
    match entries.as_slice() {
        [old, new, only] if entry_name(old)? == "old" && entry_name(new)? == "new" => {
            entry_name(only)
        }
        _ => None,
    }
}

/// The entries (`{RANGETBLENTRY …}`, `{RTE …}` on 14) of the first
/// query's `:rtable`, as text.
fn top_level_range_table(rule: &str) -> Option<Vec<&str>> {
    let (mut depth, mut escaped, mut in_table) = (0usize, false, false);
    let (mut entries, mut entry_start) = (Vec::new(), None);
    for (i, ch) in rule.char_indices() {
        if std::mem::take(&mut escaped) {
            continue;
        }
        match ch {
            '\\' => escaped = true,
            '(' | '{' => {
                if in_table && depth == 3 && ch == '{' {
                    entry_start = Some(i);
                }
                if !in_table && depth == 2 && ch == '(' && rule[..i].ends_with(":rtable ") {
                    in_table = true;
                }
                depth += 1;
            }
            ')' | '}' => {
                depth = depth.checked_sub(1)?;
                if in_table && depth == 3 && ch == '}' {
                    entries.push(&rule[entry_start.take()?..=i]);
                }
                if in_table && depth == 2 {
                    return Some(entries);
                }
            }
            _ => {}
        }
    }
    None
}

/// The name a range-table entry is referred to by: its alias, else its
/// `eref` name (a relation's own name).
fn entry_name(entry: &str) -> Option<String> {
    let rest = entry
        .strip_prefix("{RANGETBLENTRY :alias ")
        .or_else(|| entry.strip_prefix("{RTE :alias "))?;
    let rest = match rest.strip_prefix("{ALIAS :aliasname ") {
        Some(alias) => alias,
        None => rest.split_once(":eref {ALIAS :aliasname ")?.1,
    };
    let mut name = String::new();
    let mut chars = rest.chars();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' => name.push(chars.next()?),
            ' ' | '}' | ')' => break,
            _ => name.push(ch),
        }
    }
    Some(name)
}

/// `definition` with the qualifier `name` taken off the column references
/// of its top-level query: not in nested queries (`( SELECT …`), string
/// literals or quoted identifiers, not before a function call's `(`, not
/// after `::` (a type) or another name.
pub(crate) fn unqualified(definition: &str, name: &str) -> String {
    let prefixes = qualifiers(name);
    let bytes = definition.as_bytes();
    let mut out = String::with_capacity(definition.len());
    // Per open parenthesis: whether it opens a nested query.
    let mut parens: Vec<bool> = Vec::new();
    let mut i = 0;
    while i < definition.len() {
        let rest = &definition[i..];
        let top_level = !parens.contains(&true);
        let prefix = prefixes.iter().find(|p| rest.starts_with(p.as_str()));
        if let Some(prefix) =
            prefix.filter(|p| top_level && qualifies_column(definition, i, p.len()))
        {
            i += prefix.len();
            continue;
        }
        if let Some(len) = quoted_len(rest) {
            out.push_str(&rest[..len]);
            i += len;
            continue;
        }
        match bytes[i] {
            b'(' => parens.push(opens_query(&rest[1..])),
            b')' => {
                parens.pop();
            }
            _ => {}
        }
        let ch = rest.chars().next().unwrap_or_default();
        out.push(ch);
        i += ch.len_utf8().max(1);
    }
    out
}

/// The length of the string literal (`'…'`, `E'…'`) or quoted identifier
/// (`"…"`) `s` starts with.
fn quoted_len(s: &str) -> Option<usize> {
    let (quote, start, backslashes) = match s.as_bytes() {
        [b'E', b'\'', ..] => (b'\'', 2, true),
        [q @ (b'\'' | b'"'), ..] => (*q, 1, false),
        _ => return None,
    };
    let bytes = s.as_bytes();
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if backslashes => i += 2,
            q if q == quote && bytes.get(i + 1) == Some(&quote) => i += 2,
            q if q == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    Some(bytes.len())
}

/// Whether the prefix at `at` (`len` bytes) qualifies a column: it starts a
/// name, and a column name, not a function's, follows.
fn qualifies_column(s: &str, at: usize, len: usize) -> bool {
    let before = s[..at].chars().next_back();
    if before.is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '$' | '.' | ':' | '"')) {
        return false;
    }
    let after = &s[at + len..];
    let name_len = match after.as_bytes().first() {
        Some(b'"') => quoted_len(after).unwrap_or(0),
        _ => after
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .unwrap_or(after.len()),
    };
    name_len > 0 && !after[name_len..].starts_with('(')
}

/// Whether the text after an opening parenthesis is a query.
fn opens_query(s: &str) -> bool {
    let word = s
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next();
    matches!(word, Some("SELECT" | "WITH" | "VALUES" | "TABLE"))
}

/// The qualifiers `name` may be printed as: quoted, and bare when it is a
/// plain lower-case name (PostgreSQL quotes those only when they are
/// keywords).
fn qualifiers(name: &str) -> Vec<String> {
    let mut out = vec![format!("\"{}\".", name.replace('"', "\"\""))];
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if plain {
        out.push(format!("{name}."));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stored rule of `CREATE VIEW v AS SELECT t.id FROM a t` on 15,
    /// shortened to what is read.
    const ONE: &str = "({QUERY :commandType 1 :cteList <> :rtable ({RANGETBLENTRY :alias {ALIAS :aliasname old :colnames <>} :eref {ALIAS :aliasname old :colnames (\"id\")} :rtekind 0} {RANGETBLENTRY :alias {ALIAS :aliasname new :colnames <>} :eref {ALIAS :aliasname new :colnames (\"id\")} :rtekind 0} {RANGETBLENTRY :alias {ALIAS :aliasname t :colnames <>} :eref {ALIAS :aliasname t :colnames (\"id\" \"x\")} :rtekind 0}) :jointree {FROMEXPR :fromlist ({RANGETBLREF :rtindex 3}) :quals <>}})";

    #[test]
    fn finds_the_one_entry_besides_old_and_new() {
        assert_eq!(single_entry_name(ONE).as_deref(), Some("t"));
        let unaliased = ONE.replace(
            "{RANGETBLENTRY :alias {ALIAS :aliasname t :colnames <>} :eref {ALIAS :aliasname t",
            "{RANGETBLENTRY :alias <> :eref {ALIAS :aliasname Mixed\\ Case",
        );
        assert_eq!(single_entry_name(&unaliased).as_deref(), Some("Mixed Case"));
        // PostgreSQL 14 names the node RTE.
        let fourteen = ONE.replace("{RANGETBLENTRY ", "{RTE ");
        assert_eq!(single_entry_name(&fourteen).as_deref(), Some("t"));
    }

    #[test]
    fn finds_nothing_for_several_entries_or_a_rule_of_16() {
        let two = ONE.replace(
            "{RANGETBLENTRY :alias {ALIAS :aliasname t",
            "{RANGETBLENTRY :alias <> :rtekind 0} {RANGETBLENTRY :alias {ALIAS :aliasname t",
        );
        assert_eq!(single_entry_name(&two), None);
        let without_old_new = "({QUERY :rtable ({RANGETBLENTRY :alias <> :eref {ALIAS :aliasname a :colnames <>}}) :jointree <>})";
        assert_eq!(single_entry_name(without_old_new), None);
        assert_eq!(single_entry_name("garbage"), None);
    }

    #[test]
    fn takes_the_qualifier_off_top_level_columns_only() {
        let def = " SELECT a.id,\n    ( SELECT max(b.y) AS max\n           FROM b\n          WHERE (b.id = a.id)) AS m,\n    lower(a.name) AS l,\n    'a.id'::text AS s,\n    a.*\n   FROM a\n  WHERE (a.x > 1) AND a.mood <> 'x'::a.mood AND a.f(1)\n  ORDER BY a.x;";
        assert_eq!(
            unqualified(def, "a"),
            " SELECT id,\n    ( SELECT max(b.y) AS max\n           FROM b\n          WHERE (b.id = a.id)) AS m,\n    lower(name) AS l,\n    'a.id'::text AS s,\n    a.*\n   FROM a\n  WHERE (x > 1) AND mood <> 'x'::a.mood AND a.f(1)\n  ORDER BY x;"
        );
    }

    #[test]
    fn quotes_the_qualifier_as_postgres_prints_it() {
        assert_eq!(
            unqualified(" SELECT \"T\".\"Id\", \"T\".b\n   FROM \"T\";", "T"),
            " SELECT \"Id\", b\n   FROM \"T\";"
        );
        assert_eq!(
            unqualified(" SELECT xa.id, a.id FROM a", "a"),
            " SELECT xa.id, id FROM a"
        );
        assert_eq!(
            unqualified(" SELECT \"select\".\"from\"\n   FROM \"select\";", "select"),
            " SELECT \"from\"\n   FROM \"select\";"
        );
    }
}
