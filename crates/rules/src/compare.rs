//! Equality and descriptions of model parts: what makes two definitions the
//! same object, and the words a finding uses to say what differs.
//!
//! Catalogs print the same definition the same way within one dialect, but
//! SQLite keeps the text as written (and MySQL prefixes views with the
//! database name), so SQL text is compared after [`normalize_sql`].

use std::collections::{BTreeMap, BTreeSet};

use driftless_model::sql::{self, TokenKind};
use driftless_model::{
    Check, Column, DefinedObject, Dialect, Exclusion, ForeignKey, Generated, Identity,
    IdentityOptions, Index, IndexKey, IndexPart, PrimaryKey, Sequence, UniqueConstraint, View,
};

/// How expected schema names translate to actual ones (MySQL databases of
/// different names compared with each other).
#[derive(Debug, Clone, Default)]
pub(crate) struct SchemaMap {
    /// (expected name, actual name) where they differ.
    renamed: Vec<(String, String)>,
}

impl SchemaMap {
    pub(crate) fn add(&mut self, expected: &str, actual: &str) {
        if expected != actual {
            self.renamed
                .push((expected.to_string(), actual.to_string()));
        }
    }

    /// The actual-side name of expected schema `s`.
    pub(crate) fn to_actual<'s>(&'s self, s: &'s str) -> &'s str {
        self.renamed
            .iter()
            .find(|(e, _)| e == s)
            .map_or(s, |(_, a)| a.as_str())
    }

    /// The expected-side name of actual schema `s`.
    pub(crate) fn to_expected<'s>(&'s self, s: &'s str) -> &'s str {
        self.renamed
            .iter()
            .find(|(_, a)| a == s)
            .map_or(s, |(e, _)| e.as_str())
    }

    /// Rewrites references to expected schemas in SQL text (`` `staging`. ``
    /// or `"staging".`) to the actual names.
    pub(crate) fn rewrite_sql<'s>(&self, sql: &'s str) -> std::borrow::Cow<'s, str> {
        if self.renamed.is_empty() {
            return std::borrow::Cow::Borrowed(sql);
        }
        let mut out = sql.to_string();
        for (e, a) in &self.renamed {
            for q in ['`', '"'] {
                out = out.replace(&format!("{q}{e}{q}."), &format!("{q}{a}{q}."));
            }
        }
        std::borrow::Cow::Owned(out)
    }
}

/// Everything comparisons need besides the two definitions.
#[derive(Debug, Clone)]
pub(crate) struct Comparer {
    pub(crate) dialect: Dialect,
    pub(crate) schemas: SchemaMap,
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// Canonical form of a SQL fragment for comparison: ASCII case folded and
/// whitespace dropped outside quotes (one space kept between two words),
/// quoted text kept verbatim (a string's `E` prefix folded), trailing `;`
/// and fully enclosing parentheses removed.
pub(crate) fn normalize_sql(dialect: Dialect, s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for t in sql::tokens(s, dialect) {
        if t.kind == TokenKind::Whitespace {
            pending_space = true;
            continue;
        }
        let quoted = matches!(t.kind, TokenKind::String | TokenKind::QuotedIdent);
        for (i, c) in t.text.char_indices() {
            if !quoted && c.is_whitespace() {
                pending_space = true;
                continue;
            }
            if pending_space {
                if out.chars().next_back().is_some_and(is_word)
                    && (is_word(c) || matches!(c, '\'' | '"' | '`'))
                {
                    out.push(' ');
                }
                pending_space = false;
            }
            if quoted && i > 0 {
                out.push_str(&t.text[i..]);
                break;
            }
            out.push(c.to_ascii_lowercase());
        }
    }
    let mut t = out.trim_end_matches(';').trim().to_string();
    while enclosed_in_parens(dialect, &t) {
        t = t[1..t.len() - 1].trim().to_string();
    }
    t
}

/// Whether `s` is `( … )` with the first parenthesis closed by the last one.
fn enclosed_in_parens(dialect: Dialect, s: &str) -> bool {
    if !(s.starts_with('(') && s.ends_with(')')) || s.len() < 2 {
        return false;
    }
    let mut depth = 0i32;
    for t in sql::tokens(s, dialect) {
        if t.is_punct('(') {
            depth += 1;
        } else if t.is_punct(')') {
            depth -= 1;
            if depth == 0 && t.end() != s.len() {
                return false;
            }
        }
    }
    depth == 0
}

/// Whether two SQL fragments are the same after normalisation.
pub(crate) fn sql_eq(dialect: Dialect, a: &str, b: &str) -> bool {
    a == b || normalize_sql(dialect, a) == normalize_sql(dialect, b)
}

fn opt_sql_eq(dialect: Dialect, a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => sql_eq(dialect, a, b),
        _ => false,
    }
}

/// A default that means "no default": absent, or `NULL` (with or without a cast).
fn default_is_null(dialect: Dialect, d: Option<&str>) -> bool {
    match d {
        None => true,
        Some(d) => {
            let n = normalize_sql(dialect, d);
            n == "null" || n.starts_with("null::")
        }
    }
}

impl Comparer {
    /// Same column type.
    pub(crate) fn type_eq(&self, e: &Column, a: &Column) -> bool {
        sql_eq(self.dialect, &e.data_type, &a.data_type)
    }

    /// Same default expression (`NULL` and no default are the same).
    pub(crate) fn default_eq(&self, e: &Column, a: &Column) -> bool {
        if !opt_sql_eq(self.dialect, e.on_update.as_deref(), a.on_update.as_deref()) {
            return false;
        }
        let (ed, ad) = (e.default.as_deref(), a.default.as_deref());
        if ed == ad {
            return true;
        }
        if default_is_null(self.dialect, ed) && default_is_null(self.dialect, ad) {
            return true;
        }
        opt_sql_eq(self.dialect, ed, ad)
    }

    /// Differences in identity, generation expression and collation.
    pub(crate) fn column_identity_diffs(&self, e: &Column, a: &Column) -> Vec<String> {
        let mut d = Vec::new();
        if e.identity != a.identity {
            d.push(format!(
                "identity {} vs {}",
                describe_identity(e.identity),
                describe_identity(a.identity)
            ));
        } else if e.identity.is_some() && e.identity_options != a.identity_options {
            d.push(format!(
                "identity options {} vs {}",
                describe_identity_options(e.identity_options.as_ref()),
                describe_identity_options(a.identity_options.as_ref())
            ));
        }
        let generated_same = match (&e.generated, &a.generated) {
            (None, None) => true,
            (Some(x), Some(y)) => {
                x.stored == y.stored && sql_eq(self.dialect, &x.expression, &y.expression)
            }
            _ => false,
        };
        if !generated_same {
            d.push(format!(
                "generated {} vs {}",
                describe_generated(e.generated.as_ref()),
                describe_generated(a.generated.as_ref())
            ));
        }
        let coll_same = match (&e.collation, &a.collation) {
            (None, None) => true,
            (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
            _ => false,
        };
        if !coll_same {
            d.push(format!(
                "collation {} vs {}",
                e.collation.as_deref().unwrap_or("(default)"),
                a.collation.as_deref().unwrap_or("(default)")
            ));
        }
        d
    }

    /// Differences between two primary keys (the name does not count).
    pub(crate) fn primary_key_diffs(&self, e: &PrimaryKey, a: &PrimaryKey) -> Vec<String> {
        let mut d = Vec::new();
        self.list_diff(&mut d, "columns", &e.columns, &a.columns);
        deferral_diff(
            &mut d,
            (e.deferrable, e.initially_deferred),
            (a.deferrable, a.initially_deferred),
        );
        d
    }

    /// Pushes `{what} (e, …) vs (a, …)` onto `d` when two name lists differ
    /// (compared as the dialect compares names).
    fn list_diff(&self, d: &mut Vec<String>, what: &str, e: &[String], a: &[String]) {
        if !names_eq(self.dialect, e, a) {
            d.push(format!("{what} ({}) vs ({})", e.join(", "), a.join(", ")));
        }
    }

    /// Differences between two UNIQUE constraints.
    pub(crate) fn unique_diffs(&self, e: &UniqueConstraint, a: &UniqueConstraint) -> Vec<String> {
        let mut d = Vec::new();
        self.list_diff(&mut d, "columns", &e.columns, &a.columns);
        if e.nulls_not_distinct != a.nulls_not_distinct {
            d.push(format!(
                "{} vs {}",
                nulls_distinctness(e.nulls_not_distinct),
                nulls_distinctness(a.nulls_not_distinct)
            ));
        }
        deferral_diff(
            &mut d,
            (e.deferrable, e.initially_deferred),
            (a.deferrable, a.initially_deferred),
        );
        d
    }

    /// Differences between two exclusion constraints.
    pub(crate) fn exclusion_diffs(&self, e: &Exclusion, a: &Exclusion) -> Vec<String> {
        if sql_eq(self.dialect, &e.definition, &a.definition) {
            Vec::new()
        } else {
            vec![format!("{} vs {}", e.definition, a.definition)]
        }
    }

    /// Differences between two indexes.
    pub(crate) fn index_diffs(&self, e: &Index, a: &Index) -> Vec<String> {
        let mut d = Vec::new();
        let parts_same = e.parts.len() == a.parts.len()
            && e.parts
                .iter()
                .zip(&a.parts)
                .all(|(x, y)| self.part_eq(x, y));
        if !parts_same {
            d.push(format!(
                "key ({}) vs ({})",
                describe_parts(self.dialect, &e.parts),
                describe_parts(self.dialect, &a.parts)
            ));
        }
        if e.unique != a.unique {
            d.push(format!(
                "{} vs {}",
                if e.unique { "unique" } else { "not unique" },
                if a.unique { "unique" } else { "not unique" }
            ));
        }
        let (me, ma) = (
            e.method.as_deref().unwrap_or("btree"),
            a.method.as_deref().unwrap_or("btree"),
        );
        if !me.eq_ignore_ascii_case(ma) {
            d.push(format!(
                "method {} vs {}",
                me.to_ascii_lowercase(),
                ma.to_ascii_lowercase()
            ));
        }
        if !opt_sql_eq(self.dialect, e.predicate.as_deref(), a.predicate.as_deref()) {
            d.push(format!(
                "predicate {} vs {}",
                e.predicate.as_deref().unwrap_or("(none)"),
                a.predicate.as_deref().unwrap_or("(none)")
            ));
        }
        self.list_diff(&mut d, "include", &e.include, &a.include);
        let sorted = |s: &[String]| {
            let mut s = s.to_vec();
            s.sort();
            s
        };
        if sorted(&e.storage) != sorted(&a.storage) {
            d.push(format!(
                "storage {} vs {}",
                describe_storage(&e.storage),
                describe_storage(&a.storage)
            ));
        }
        if e.nulls_not_distinct != a.nulls_not_distinct {
            d.push(format!(
                "{} vs {}",
                nulls_distinctness(e.nulls_not_distinct),
                nulls_distinctness(a.nulls_not_distinct)
            ));
        }
        d
    }

    fn part_eq(&self, x: &IndexPart, y: &IndexPart) -> bool {
        let key_same = match (&x.key, &y.key) {
            (IndexKey::Column(p), IndexKey::Column(q)) => name_eq(self.dialect, p, q),
            (IndexKey::Expression(p), IndexKey::Expression(q)) => sql_eq(self.dialect, p, q),
            _ => false,
        };
        key_same
            && x.descending == y.descending
            && x.nulls_first == y.nulls_first
            && x.opclass == y.opclass
            && x.collation == y.collation
            && x.length == y.length
    }

    /// Differences between two foreign keys (referenced schemas compared
    /// through the schema map).
    pub(crate) fn foreign_key_diffs(&self, e: &ForeignKey, a: &ForeignKey) -> Vec<String> {
        let mut d = Vec::new();
        self.list_diff(&mut d, "columns", &e.columns, &a.columns);
        let e_ref_schema = self.schemas.to_actual(&e.ref_schema);
        if !name_eq(self.dialect, e_ref_schema, &a.ref_schema)
            || !name_eq(self.dialect, &e.ref_table, &a.ref_table)
        {
            d.push(format!(
                "references {}.{} vs {}.{}",
                e_ref_schema, e.ref_table, a.ref_schema, a.ref_table
            ));
        }
        self.list_diff(&mut d, "referenced columns", &e.ref_columns, &a.ref_columns);
        if e.on_delete != a.on_delete {
            d.push(format!(
                "ON DELETE {} vs {}",
                e.on_delete.as_sql(),
                a.on_delete.as_sql()
            ));
        }
        if e.on_update != a.on_update {
            d.push(format!(
                "ON UPDATE {} vs {}",
                e.on_update.as_sql(),
                a.on_update.as_sql()
            ));
        }
        deferral_diff(
            &mut d,
            (e.deferrable, e.initially_deferred),
            (a.deferrable, a.initially_deferred),
        );
        if e.match_full != a.match_full {
            let name = |full: bool| if full { "MATCH FULL" } else { "MATCH SIMPLE" };
            d.push(format!("{} vs {}", name(e.match_full), name(a.match_full)));
        }
        d
    }

    /// Differences between two CHECK constraints.
    pub(crate) fn check_diffs(&self, e: &Check, a: &Check) -> Vec<String> {
        let same_expression = sql_eq(
            self.dialect,
            &self.schemas.rewrite_sql(&e.expression),
            &a.expression,
        );
        if same_expression && e.no_inherit == a.no_inherit {
            Vec::new()
        } else {
            vec![format!("{} vs {}", describe_check(e), describe_check(a))]
        }
    }

    /// Differences between two views.
    pub(crate) fn view_diffs(&self, e: &View, a: &View) -> Vec<String> {
        let mut d = Vec::new();
        if e.materialized != a.materialized {
            d.push(format!(
                "{} vs {}",
                if e.materialized {
                    "materialized"
                } else {
                    "plain"
                },
                if a.materialized {
                    "materialized"
                } else {
                    "plain"
                }
            ));
        }
        // A definition the catalog would not show (MySQL without the SHOW
        // VIEW privilege reads it as empty) is not compared.
        let readable = !e.definition.is_empty() && !a.definition.is_empty();
        if readable
            && !sql_eq(
                self.dialect,
                &self.schemas.rewrite_sql(&e.definition),
                &a.definition,
            )
        {
            d.push("definition differs".to_string());
        }
        d.extend(option_diffs(&e.options, &a.options));
        d
    }

    /// Differences between two objects compared by their definition.
    pub(crate) fn defined_diffs(&self, e: &DefinedObject, a: &DefinedObject) -> Vec<String> {
        let mut d = Vec::new();
        let same = |x: &str, y: &str| sql_eq(self.dialect, &self.schemas.rewrite_sql(x), y);
        if !same(&e.definition, &a.definition) {
            d.push("definition differs".to_string());
        }
        let then_same =
            e.then.len() == a.then.len() && e.then.iter().zip(&a.then).all(|(x, y)| same(x, y));
        if !then_same {
            let list = |v: &[String]| {
                if v.is_empty() {
                    "none".to_string()
                } else {
                    v.join("; ")
                }
            };
            d.push(format!("settings {} vs {}", list(&e.then), list(&a.then)));
        }
        if e.comment != a.comment {
            d.push("comment differs".to_string());
        }
        d
    }

    /// Differences between two sequences.
    pub(crate) fn sequence_diffs(&self, e: &Sequence, a: &Sequence) -> Vec<String> {
        let mut d = Vec::new();
        if !sql_eq(self.dialect, &e.data_type, &a.data_type) {
            d.push(format!("type {} vs {}", e.data_type, a.data_type));
        }
        let nums = [
            ("START", e.start, a.start),
            ("INCREMENT", e.increment, a.increment),
            ("MINVALUE", e.min_value, a.min_value),
            ("MAXVALUE", e.max_value, a.max_value),
            ("CACHE", e.cache, a.cache),
        ];
        for (what, x, y) in nums {
            if x != y {
                d.push(format!("{what} {x} vs {y}"));
            }
        }
        if e.cycle != a.cycle {
            d.push(format!(
                "{} vs {}",
                if e.cycle { "CYCLE" } else { "NO CYCLE" },
                if a.cycle { "CYCLE" } else { "NO CYCLE" }
            ));
        }
        if e.owned_by != a.owned_by {
            let owner = |s: &Sequence| {
                s.owned_by.as_ref().map_or_else(
                    || "OWNED BY NONE".to_string(),
                    |o| format!("OWNED BY {}.{}", o.table, o.column),
                )
            };
            d.push(format!("{} vs {}", owner(e), owner(a)));
        }
        d
    }
}

/// Identifier equality: exact, except SQLite, whose identifiers ignore ASCII case.
pub(crate) fn name_eq(dialect: Dialect, a: &str, b: &str) -> bool {
    a == b || (dialect == Dialect::Sqlite && a.eq_ignore_ascii_case(b))
}

fn names_eq(dialect: Dialect, a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| name_eq(dialect, x, y))
}

fn describe_identity(i: Option<Identity>) -> &'static str {
    match i {
        None => "none",
        Some(Identity::Always) => "GENERATED ALWAYS AS IDENTITY",
        Some(Identity::ByDefault) => "GENERATED BY DEFAULT AS IDENTITY",
        Some(Identity::AutoIncrement) => "AUTO_INCREMENT",
    }
}

fn describe_identity_options(o: Option<&IdentityOptions>) -> String {
    match o {
        None => "(default)".into(),
        Some(o) => o.to_sql(),
    }
}

fn describe_generated(g: Option<&Generated>) -> String {
    match g {
        None => "none".into(),
        Some(g) => format!(
            "AS ({}) {}",
            g.expression,
            if g.stored { "STORED" } else { "VIRTUAL" }
        ),
    }
}

/// Pushes `DEFERRABLE … vs NOT DEFERRABLE` onto `d` when two
/// `(deferrable, initially deferred)` pairs differ.
fn deferral_diff(d: &mut Vec<String>, e: (bool, bool), a: (bool, bool)) {
    if e != a {
        d.push(format!("{} vs {}", deferral(e), deferral(a)));
    }
}

fn describe_deferral(fk: &ForeignKey) -> &'static str {
    deferral((fk.deferrable, fk.initially_deferred))
}

/// `NOT DEFERRABLE`, `DEFERRABLE INITIALLY IMMEDIATE` or `… DEFERRED`.
fn deferral(d: (bool, bool)) -> &'static str {
    match d {
        (false, _) => "NOT DEFERRABLE",
        (true, false) => "DEFERRABLE INITIALLY IMMEDIATE",
        (true, true) => "DEFERRABLE INITIALLY DEFERRED",
    }
}

/// `integer NOT NULL DEFAULT 0`, with identity, generation and collation.
pub(crate) fn describe_column(c: &Column) -> String {
    let mut s = c.data_type.clone();
    if let Some(coll) = &c.collation {
        s.push_str(&format!(" COLLATE {coll}"));
    }
    s.push_str(if c.nullable { " NULL" } else { " NOT NULL" });
    if let Some(d) = &c.default {
        s.push_str(&format!(" DEFAULT {d}"));
    }
    if c.identity.is_some() {
        s.push(' ');
        s.push_str(describe_identity(c.identity));
    }
    if c.generated.is_some() {
        s.push_str(&format!(
            " GENERATED {}",
            describe_generated(c.generated.as_ref())
        ));
    }
    s
}

/// Nullability as a word.
pub(crate) fn describe_nullability(nullable: bool) -> &'static str {
    if nullable {
        "NULL"
    } else {
        "NOT NULL"
    }
}

/// A default as a phrase.
pub(crate) fn describe_default(c: &Column) -> String {
    let d = c.default.as_deref();
    let d = d.map_or_else(|| "no default".to_string(), |d| format!("DEFAULT {d}"));
    match &c.on_update {
        Some(u) => format!("{d} ON UPDATE {u}"),
        None => d,
    }
}

fn describe_parts(dialect: Dialect, parts: &[IndexPart]) -> String {
    parts
        .iter()
        .map(|p| {
            let mut s = match &p.key {
                IndexKey::Column(c) => c.clone(),
                IndexKey::Expression(e) => describe_expression(dialect, e),
            };
            if let Some(l) = p.length {
                s.push_str(&format!("({l})"));
            }
            if let Some(c) = &p.collation {
                s.push_str(&format!(" COLLATE {c}"));
            }
            if let Some(o) = &p.opclass {
                s.push_str(&format!(" {o}"));
            }
            if p.descending {
                s.push_str(" DESC");
            }
            match p.nulls_first {
                Some(true) => s.push_str(" NULLS FIRST"),
                Some(false) => s.push_str(" NULLS LAST"),
                None => {}
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `UNIQUE gin (a, lower(b)) INCLUDE (c) WHERE …`.
/// An index expression as people read it: a function call as it is
/// (`lower(name)`), anything else in one pair of parentheses (`(a + b)`),
/// however many the catalog wrote around it.
fn describe_expression(dialect: Dialect, e: &str) -> String {
    let e = driftless_model::sql::strip_outer_parens(e, dialect);
    if driftless_model::sql::is_function_call(e, dialect) {
        e.to_string()
    } else {
        format!("({e})")
    }
}

/// `UNIQUE btree (a, lower(b)) WHERE …`.
pub(crate) fn describe_index(dialect: Dialect, i: &Index) -> String {
    let mut s = String::new();
    if i.unique {
        s.push_str("UNIQUE ");
    }
    if let Some(m) = &i.method {
        s.push_str(m);
        s.push(' ');
    }
    s.push_str(&format!("({})", describe_parts(dialect, &i.parts)));
    if !i.include.is_empty() {
        s.push_str(&format!(" INCLUDE ({})", i.include.join(", ")));
    }
    if i.nulls_not_distinct {
        s.push_str(" NULLS NOT DISTINCT");
    }
    if let Some(p) = &i.predicate {
        let p = driftless_model::sql::strip_outer_parens(p, dialect);
        s.push_str(&format!(" WHERE {p}"));
    }
    s
}

/// `WITH (fillfactor=70)`, or `(none)`.
fn describe_storage(storage: &[String]) -> String {
    if storage.is_empty() {
        return "(none)".into();
    }
    format!("WITH ({})", storage.join(", "))
}

/// `UNIQUE (a, b)`.
pub(crate) fn describe_unique(u: &UniqueConstraint) -> String {
    format!(
        "UNIQUE{} ({})",
        if u.nulls_not_distinct {
            " NULLS NOT DISTINCT"
        } else {
            ""
        },
        u.columns.join(", "),
    ) + &deferral_suffix((u.deferrable, u.initially_deferred))
}

/// `(a) REFERENCES s.t (id) ON DELETE CASCADE`.
pub(crate) fn describe_foreign_key(fk: &ForeignKey) -> String {
    let mut s = format!(
        "({}) REFERENCES {}.{} ({})",
        fk.columns.join(", "),
        fk.ref_schema,
        fk.ref_table,
        fk.ref_columns.join(", ")
    );
    if fk.match_full {
        s.push_str(" MATCH FULL");
    }
    if fk.on_delete != driftless_model::FkAction::NoAction {
        s.push_str(&format!(" ON DELETE {}", fk.on_delete.as_sql()));
    }
    if fk.on_update != driftless_model::FkAction::NoAction {
        s.push_str(&format!(" ON UPDATE {}", fk.on_update.as_sql()));
    }
    if fk.deferrable {
        s.push(' ');
        s.push_str(describe_deferral(fk));
    }
    s
}

/// `CHECK (expr)`, with ` NO INHERIT` when so.
pub(crate) fn describe_check(c: &Check) -> String {
    let no_inherit = if c.no_inherit { " NO INHERIT" } else { "" };
    format!("CHECK ({}){no_inherit}", c.expression)
}

/// The exclusion constraint's definition (`EXCLUDE USING gist (c WITH &&)`).
pub(crate) fn describe_exclusion(x: &Exclusion) -> String {
    x.definition.clone()
}

/// `PRIMARY KEY (a, b)`.
pub(crate) fn describe_primary_key(pk: &PrimaryKey) -> String {
    format!(
        "PRIMARY KEY ({}){}",
        pk.columns.join(", "),
        deferral_suffix((pk.deferrable, pk.initially_deferred))
    )
}

/// ` DEFERRABLE …` when deferrable; nothing otherwise.
fn deferral_suffix(d: (bool, bool)) -> String {
    if d.0 {
        format!(" {}", deferral(d))
    } else {
        String::new()
    }
}

/// `bigint START 1 INCREMENT 1 …`.
pub(crate) fn describe_sequence(s: &Sequence) -> String {
    format!(
        "{} START {} INCREMENT {} MINVALUE {} MAXVALUE {}{}",
        s.data_type,
        s.start,
        s.increment,
        s.min_value,
        s.max_value,
        if s.cycle { " CYCLE" } else { "" }
    )
}

/// Quoted labels: `'a', 'b'`.
/// Each option that differs between `e` and `a`, by name: `name e vs a`,
/// `(none)` for an absent one.
pub(crate) fn option_diffs(
    e: &BTreeMap<String, String>,
    a: &BTreeMap<String, String>,
) -> Vec<String> {
    let names: BTreeSet<&String> = e.keys().chain(a.keys()).collect();
    let shown = |o: Option<&String>| o.map_or("(none)", String::as_str).to_string();
    names
        .into_iter()
        .filter(|n| e.get(*n) != a.get(*n))
        .map(|n| format!("{n} {} vs {}", shown(e.get(n)), shown(a.get(n))))
        .collect()
}

/// `NULLS NOT DISTINCT` or `NULLS DISTINCT`, as a unique key treats NULLs.
fn nulls_distinctness(not_distinct: bool) -> &'static str {
    if not_distinct {
        "NULLS NOT DISTINCT"
    } else {
        "NULLS DISTINCT"
    }
}

pub(crate) fn quote_labels<S: AsRef<str>>(labels: &[S]) -> String {
    labels
        .iter()
        .map(|l| format!("'{}'", l.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: an expression index read as `(lower(name))` was shown
    /// as `(((lower(name))))`; the comparison was and is unaffected.
    #[test]
    fn index_expressions_are_shown_with_one_pair_of_parentheses_at_most() {
        let index = |e: &str| Index {
            parts: vec![IndexPart {
                key: IndexKey::Expression(e.into()),
                ..IndexPart::column("x")
            }],
            unique: false,
            method: None,
            predicate: Some("((active))".into()),
            include: Vec::new(),
            comment: None,
            ignored: false,
            storage: Vec::new(),
            nulls_not_distinct: false,
        };
        let d = Dialect::Postgres;
        assert_eq!(
            describe_index(d, &index("(lower(name))")),
            "(lower(name)) WHERE active"
        );
        assert_eq!(
            describe_index(d, &index("((a + b))")),
            "((a + b)) WHERE active"
        );
        let c = Comparer {
            dialect: d,
            schemas: SchemaMap::default(),
        };
        assert!(c
            .index_diffs(&index("lower(name)"), &index("(lower(name))"))
            .is_empty());
        assert_eq!(
            c.index_diffs(&index("(lower(name))"), &index("upper(name)")),
            ["key (lower(name)) vs (upper(name))"]
        );
    }

    #[test]
    fn normalises_whitespace_case_parens_and_keeps_literals() {
        let d = Dialect::Sqlite;
        assert_eq!(normalize_sql(d, "  (a  >  0) ; "), "a>0");
        assert_eq!(normalize_sql(d, "((A>0))"), "a>0");
        assert_eq!(normalize_sql(d, "(a > 0) AND (b > 0)"), "(a>0)and(b>0)");
        assert_eq!(normalize_sql(d, "x IS  NOT\nNULL"), "x is not null");
        assert_eq!(normalize_sql(d, "'A  B'"), "'A  B'");
        assert_eq!(normalize_sql(d, "'it''s  X'"), "'it''s  X'");
        assert_eq!(normalize_sql(Dialect::Mysql, r"'it\'s  X' "), r"'it\'s  X'");
        assert_eq!(normalize_sql(d, "\"Mixed Case\" > 1"), "\"Mixed Case\">1");
        assert!(sql_eq(d, "lower( email )", "LOWER(email)"));
        assert!(!sql_eq(d, "'a'", "'A'"));
    }

    #[test]
    fn null_defaults_are_no_default() {
        let c = Comparer {
            dialect: Dialect::Postgres,
            schemas: SchemaMap::default(),
        };
        let mut a = Column::new(1, "text");
        let mut b = Column::new(1, "text");
        b.default = Some("NULL::character varying".into());
        assert!(c.default_eq(&a, &b));
        a.default = Some("'x'::text".into());
        assert!(!c.default_eq(&a, &b));
    }

    #[test]
    fn schema_map_rewrites_qualified_names() {
        let mut m = SchemaMap::default();
        m.add("staging", "prod");
        assert_eq!(m.to_actual("staging"), "prod");
        assert_eq!(m.to_expected("prod"), "staging");
        assert_eq!(
            m.rewrite_sql("select `staging`.`t`.`id` AS `id` from `staging`.`t`"),
            "select `prod`.`t`.`id` AS `id` from `prod`.`t`"
        );
    }
}
