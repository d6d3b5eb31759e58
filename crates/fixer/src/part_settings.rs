//! What changes on a key, constraint or index without rebuilding it: its
//! comment (PostgreSQL `COMMENT ON INDEX` / `CONSTRAINT`), and whether the
//! optimizer ignores an index (MySQL/MariaDB `ALTER INDEX`). A part that
//! differs in anything else is dropped and added as expected; its comment
//! is then set here too. On MySQL an index's comment is part of its
//! definition (there is no statement that changes it alone).

use std::collections::BTreeMap;

use driftless_model::{
    Check, Dialect, Exclusion, ForeignKey, Index, ObjectKind, ObjectRef, PrimaryKey, Table,
    UniqueConstraint,
};

use crate::model::{Out, Part, Phase, Target};
use crate::plan::PlanError;
use crate::safety::Safety;
use crate::sql::{Commented, Mysql, Postgres, Writer};

/// A key, constraint or index, with what changes in place.
pub(crate) trait InPlace: Clone + PartialEq {
    /// Its comment.
    fn comment(&self) -> Option<&str>;

    /// The definition without what changes in place on `d`: what decides
    /// whether the part is dropped and added.
    fn rebuilt_by(&self, d: Dialect) -> Self;
}

macro_rules! commented_in_place {
    ($($t:ty),*) => {$(
        impl InPlace for $t {
            fn comment(&self) -> Option<&str> {
                self.comment.as_deref()
            }

            fn rebuilt_by(&self, d: Dialect) -> Self {
                let mut p = self.clone();
                if d == Dialect::Postgres {
                    p.comment = None;
                }
                p
            }
        }
    )*};
}

commented_in_place!(PrimaryKey, UniqueConstraint, ForeignKey, Check, Exclusion);

impl InPlace for Index {
    fn comment(&self) -> Option<&str> {
        self.comment.as_deref()
    }

    fn rebuilt_by(&self, d: Dialect) -> Self {
        let mut i = self.clone();
        match d {
            Dialect::Postgres => i.comment = None,
            _ => i.ignored = false,
        }
        i
    }
}

/// Whether part `from` must be dropped and added to become `to` (or is
/// missing on one side).
pub(crate) fn rebuilt<T: InPlace>(d: Dialect, from: Option<&T>, to: Option<&T>) -> bool {
    from.map(|p| p.rebuilt_by(d)) != to.map(|p| p.rebuilt_by(d))
}

/// The `COMMENT ON` statements of the keys, constraints and indexes of
/// table `s.t` that have a comment (PostgreSQL: a table that is created).
pub(crate) fn part_comments(s: &str, t: &str, table: &Table) -> Result<Vec<String>, PlanError> {
    let mut out = Vec::new();
    for (kind, n, comment) in commented_parts(table) {
        if let Some(c) = comment {
            out.push(Postgres.comment(commented(kind, s, t, n), Some(c))?);
        }
    }
    Ok(out)
}

/// Every key, constraint and index of `table` with its kind and comment.
fn commented_parts(table: &Table) -> Vec<(ObjectKind, &str, Option<&str>)> {
    fn each<T: InPlace>(
        kind: ObjectKind,
        parts: &BTreeMap<String, T>,
    ) -> impl Iterator<Item = (ObjectKind, &str, Option<&str>)> {
        parts
            .iter()
            .map(move |(n, p)| (kind, n.as_str(), p.comment()))
    }
    let pk = table.primary_key.iter().map(|pk| {
        let c = InPlace::comment(pk);
        (ObjectKind::PrimaryKey, pk.name.as_str(), c)
    });
    pk.chain(each(ObjectKind::Unique, &table.uniques))
        .chain(each(ObjectKind::ForeignKey, &table.foreign_keys))
        .chain(each(ObjectKind::Check, &table.checks))
        .chain(each(ObjectKind::Exclusion, &table.exclusions))
        .chain(each(ObjectKind::Index, &table.indexes))
        .collect()
}

/// What `COMMENT ON` names for part `n` of kind `kind` on `s.t`.
fn commented<'a>(kind: ObjectKind, s: &'a str, t: &'a str, n: &'a str) -> Commented<'a> {
    match kind {
        ObjectKind::Index => Commented::Index(s, n),
        _ => Commented::Constraint(s, t, n),
    }
}

/// The steps that bring the comments of the parts of table `t` (and, on
/// MySQL, whether the optimizer ignores its indexes) to the target, for
/// the parts that are kept, and the comments of those added or rebuilt.
pub(crate) fn settings(d: Dialect, t: &Target<'_>, out: &mut Out) -> Result<(), PlanError> {
    match d {
        Dialect::Postgres => comments(t, out),
        Dialect::Mysql => {
            ignored_indexes(t, out);
            Ok(())
        }
        Dialect::Sqlite => Ok(()),
    }
}

/// PostgreSQL: `COMMENT ON` for each part whose comment changes, or that
/// is added or rebuilt with one.
fn comments(t: &Target<'_>, out: &mut Out) -> Result<(), PlanError> {
    let (s, tn) = (t.schema.as_str(), t.name.as_str());
    let actual: BTreeMap<(ObjectKind, &str), (Option<&str>, bool)> =
        kept_parts(t.actual, &t.target);
    for (kind, n, comment) in commented_parts(&t.target) {
        let (was, kept) = actual.get(&(kind, n)).copied().unwrap_or((None, false));
        if (kept && was == comment) || (!kept && comment.is_none()) {
            continue;
        }
        let stmt = Postgres.comment(commented(kind, s, tn, n), comment)?;
        let part = match kind {
            ObjectKind::PrimaryKey => Part::primary_key(),
            _ => Part::Of(kind, n.to_string()),
        };
        let object = ObjectRef::table_part(kind, s, tn, n);
        let mut spec = t.part_step(&part, object, "comment", Safety::Safe);
        spec.statement(stmt);
        out.push(Phase::Comments, spec);
    }
    Ok(())
}

/// The parts of `actual` by kind and name, each with its comment and
/// whether it stays as it is apart from that (not dropped and added to
/// become the `target`'s part).
fn kept_parts<'a>(
    actual: &'a Table,
    target: &Table,
) -> BTreeMap<(ObjectKind, &'a str), (Option<&'a str>, bool)> {
    fn kept<T: InPlace>(a: &T, g: Option<&T>) -> bool {
        !rebuilt(Dialect::Postgres, Some(a), g)
    }
    let mut map = BTreeMap::new();
    if let Some(pk) = &actual.primary_key {
        let k = kept(pk, target.primary_key.as_ref());
        map.insert(
            (ObjectKind::PrimaryKey, pk.name.as_str()),
            (pk.comment.as_deref(), k),
        );
    }
    macro_rules! parts {
        ($kind:expr, $field:ident) => {
            for (n, p) in &actual.$field {
                let k = kept(p, target.$field.get(n));
                map.insert(($kind, n.as_str()), (p.comment(), k));
            }
        };
    }
    parts!(ObjectKind::Unique, uniques);
    parts!(ObjectKind::ForeignKey, foreign_keys);
    parts!(ObjectKind::Check, checks);
    parts!(ObjectKind::Exclusion, exclusions);
    parts!(ObjectKind::Index, indexes);
    map
}

/// MySQL: `ALTER INDEX … [NOT] IGNORED` for each kept index whose setting
/// changes (an index that is added or rebuilt is created with it).
fn ignored_indexes(t: &Target<'_>, out: &mut Out) {
    let (s, tn) = (t.schema.as_str(), t.name.as_str());
    for (n, g) in &t.target.indexes {
        let Some(a) = t.actual.indexes.get(n) else {
            continue;
        };
        if a.ignored == g.ignored || rebuilt(Dialect::Mysql, Some(a), Some(g)) {
            continue;
        }
        let part = Part::Of(ObjectKind::Index, n.clone());
        let object = ObjectRef::table_part(ObjectKind::Index, s, tn, n);
        let action = if g.ignored {
            "ignore index"
        } else {
            "use index"
        };
        let mut spec = t.part_step(&part, object, action, Safety::Safe);
        spec.statement(Mysql.alter_index_ignored(s, tn, n, g.ignored));
        out.push(Phase::CreateConstraints, spec);
    }
}
