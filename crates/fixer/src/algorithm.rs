//! Which `ALTER TABLE` algorithm MySQL/MariaDB can change a column with
//! ([`AlterAlgorithm`]), decided from the column as it is and as it should
//! be rather than from the statement's text: it is the step's hazard (its
//! lock, whether it reads or rewrites every row) and what
//! [`policy_refusal`](crate::policy_refusal) refuses without
//! `--allow-table-copy`.
//!
//! Measured on MariaDB 10.11 (InnoDB, `ROW_FORMAT=DYNAMIC`) by running each
//! change with `ALGORITHM=INSTANT`, then `ALGORITHM=INPLACE, LOCK=NONE`, on
//! a table with rows:
//!
//! | change | algorithm |
//! |---|---|
//! | default, comment, `ON UPDATE`, visibility, rename, integer display width | INSTANT |
//! | `VARCHAR`/`VARBINARY` widened with its stored lengths unchanged (see [`grows_in_place`]) | INSTANT |
//! | `ENUM`/`SET` with values appended at the end, its storage size unchanged | INSTANT |
//! | another collation of the same character set | INSTANT; INPLACE when the column is indexed |
//! | `NULL` → `NOT NULL`, `NOT NULL` → `NULL` | INPLACE |
//! | another type (`int` → `bigint`, `DECIMAL` precision, `CHAR` length, narrowing, `VARCHAR` → `TEXT`), a `VARCHAR` whose stored lengths change, `ENUM`/`SET` values inserted or removed, another character set, auto-increment, generation | COPY |
//!
//! Where the classes do not say, the change is COPY. MySQL 8 runs some of
//! the INSTANT changes in place instead (a widened `VARCHAR`), which lets
//! writes go on all the same.

use driftless_model::{collation_charset, AlterAlgorithm, Column, IndexKey, Table};

use crate::types::{mysql_enum_labels, mysql_set_labels, split_type};

/// The algorithm MySQL/MariaDB can change column `name` with, from `old`
/// (the column in the actual table) to `new` (in the expected table): the
/// slowest its changes need.
pub(crate) fn mysql_column_algorithm(
    name: &str,
    old: (&Table, &Column),
    new: (&Table, &Column),
) -> AlterAlgorithm {
    use AlterAlgorithm::*;
    let ((at, ac), (gt, gc)) = (old, new);
    let (from, to) = (collation_of(at, ac), collation_of(gt, gc));
    let charset = from.map(collation_charset);
    if ac.identity != gc.identity
        || ac.generated != gc.generated
        || charset != to.map(collation_charset)
    {
        return Copy;
    }
    let mut algorithm = type_algorithm(&ac.data_type, &gc.data_type, charset.and_then(max_bytes));
    if from != to {
        algorithm = algorithm.max(if indexed(at, name) { Inplace } else { Instant });
    }
    if ac.nullable != gc.nullable {
        algorithm = algorithm.max(Inplace);
    }
    algorithm
}

/// The collation of `c` in `t`: its own, else the table's; `None` when it
/// is the schema's default (which the snapshot does not name).
fn collation_of<'a>(t: &'a Table, c: &'a Column) -> Option<&'a str> {
    c.collation
        .as_deref()
        .or_else(|| t.options.get("collation").map(String::as_str))
}

/// The most bytes one character of `charset` takes; `None` when unknown.
fn max_bytes(charset: &str) -> Option<u32> {
    match charset {
        "binary" | "ascii" | "latin1" | "latin2" | "latin5" | "latin7" => Some(1),
        "ucs2" => Some(2),
        "utf8" | "utf8mb3" => Some(3),
        "utf8mb4" | "utf16" | "utf16le" | "utf32" => Some(4),
        _ => None,
    }
}

/// The algorithm of a type change from `old` to `new` (as the catalog
/// spells them), `bytes` the most bytes a character takes (unknown: any of
/// 1 to 4).
fn type_algorithm(old: &str, new: &str, bytes: Option<u32>) -> AlterAlgorithm {
    use AlterAlgorithm::*;
    let ((ob, op), (nb, np)) = (split_type(old), split_type(new));
    let integer = ["tinyint", "smallint", "mediumint", "int", "bigint"];
    let display_width_only = ob == nb && integer.contains(&ob.split(' ').next().unwrap_or(""));
    if old == new || display_width_only {
        return Instant;
    }
    let lengths = (
        op.first().map(|p| p.parse::<u64>()),
        np.first().map(|p| p.parse::<u64>()),
    );
    let (Some(Ok(a)), Some(Ok(b))) = lengths else {
        return appended(old, new);
    };
    let per_char = match ob.as_str() {
        "varbinary" => Some(1),
        _ => bytes,
    };
    let widened = ob == nb && matches!(ob.as_str(), "varchar" | "varbinary") && b >= a;
    let in_place = match per_char {
        Some(m) => grows_in_place(a * u64::from(m), b * u64::from(m)),
        None => (1..=4).all(|m| grows_in_place(a * m, b * m)),
    };
    if widened && in_place {
        Instant
    } else {
        Copy
    }
}

/// Whether a `VARCHAR` of at most `old` bytes can hold up to `new` bytes
/// without any stored row changing: InnoDB stores a value's length in one
/// byte when the column holds at most 255 bytes or the value is under 128
/// bytes, else in two. So the lengths stay as they are when the column
/// held at most 127 bytes, still holds at most 255, or held more than 255
/// already; a column of 128 to 255 bytes growing past 255 is copied.
fn grows_in_place(old: u64, new: u64) -> bool {
    old <= 127 || new <= 255 || old > 255
}

/// INSTANT when `new` is the `ENUM` or `SET` `old` with values appended
/// at the end in the same storage size (an `ENUM` of up to 255 values
/// takes a byte, a `SET` a bit a value: 1, 2, 3, 4 or 8 bytes); else COPY.
fn appended(old: &str, new: &str) -> AlterAlgorithm {
    let enum_bytes = |n: usize| if n <= 255 { 1 } else { 2 };
    let set_bytes = |n: usize| match n.div_ceil(8) {
        b @ 0..=4 => b,
        _ => 8,
    };
    let same_storage = match (mysql_enum_labels(old), mysql_enum_labels(new)) {
        (Some(a), Some(b)) => b.starts_with(&a) && enum_bytes(a.len()) == enum_bytes(b.len()),
        _ => match (mysql_set_labels(old), mysql_set_labels(new)) {
            (Some(a), Some(b)) => b.starts_with(&a) && set_bytes(a.len()) == set_bytes(b.len()),
            _ => false,
        },
    };
    if same_storage {
        AlterAlgorithm::Instant
    } else {
        AlterAlgorithm::Copy
    }
}

/// Whether column `name` is part of a key or index of `t` (an expression
/// index counts when it mentions the name at all).
fn indexed(t: &Table, name: &str) -> bool {
    let is = |c: &String| c.eq_ignore_ascii_case(name);
    let lower = name.to_ascii_lowercase();
    t.primary_key
        .as_ref()
        .is_some_and(|pk| pk.columns.iter().any(is))
        || t.uniques.values().any(|u| u.columns.iter().any(is))
        || t.foreign_keys.values().any(|f| f.columns.iter().any(is))
        || t.indexes
            .values()
            .flat_map(|i| &i.parts)
            .any(|p| match &p.key {
                IndexKey::Column(c) => is(c),
                IndexKey::Expression(e) => e.to_ascii_lowercase().contains(&lower),
            })
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftless_model::{Identity, Index, IndexPart};
    use AlterAlgorithm::*;

    fn col(data_type: &str) -> Column {
        Column::new(2, data_type)
    }

    /// The algorithm of `old` becoming `new` in a table without options
    /// (the character set unknown) or in `charset`.
    fn alg(old: Column, new: Column, charset: Option<&str>) -> AlterAlgorithm {
        let mut t = Table::default();
        if let Some(cs) = charset {
            t.options.insert("charset".into(), cs.into());
            t.options
                .insert("collation".into(), format!("{cs}_general_ci"));
        }
        mysql_column_algorithm("c", (&t, &old), (&t, &new))
    }

    fn ty(old: &str, new: &str, charset: Option<&str>) -> AlterAlgorithm {
        alg(col(old), col(new), charset)
    }

    #[test]
    fn the_measured_instant_changes() {
        let mut dflt = col("int(11)");
        dflt.default = Some("5".into());
        assert_eq!(alg(col("int(11)"), dflt, None), Instant);
        let mut commented = col("int(11)");
        commented.comment = Some("x".into());
        assert_eq!(alg(col("int(11)"), commented, None), Instant);
        assert_eq!(ty("int(11)", "int(11)", None), Instant, "the same type");
        assert_eq!(ty("int(11)", "int(10)", None), Instant, "display width");
        assert_eq!(ty("varchar(10)", "varchar(60)", Some("utf8mb4")), Instant);
        assert_eq!(ty("varchar(10)", "varchar(64)", Some("utf8mb4")), Instant);
        assert_eq!(ty("varchar(32)", "varchar(63)", Some("utf8mb4")), Instant);
        assert_eq!(ty("varchar(300)", "varchar(400)", Some("utf8mb4")), Instant);
        assert_eq!(ty("varchar(200)", "varchar(255)", Some("latin1")), Instant);
        assert_eq!(ty("varchar(127)", "varchar(300)", Some("latin1")), Instant);
        assert_eq!(
            ty("varbinary(10)", "varbinary(200)", Some("utf8mb4")),
            Instant
        );
        assert_eq!(ty("enum('a','b')", "enum('a','b','c')", None), Instant);
        assert_eq!(ty("set('a','b')", "set('a','b','c')", None), Instant);
    }

    #[test]
    fn the_measured_in_place_changes() {
        let mut not_null = col("int(11)");
        not_null.nullable = false;
        assert_eq!(alg(col("int(11)"), not_null.clone(), None), Inplace);
        assert_eq!(alg(not_null, col("int(11)"), None), Inplace);
        // Widened and made NOT NULL: the slower of the two.
        let mut wide = col("varchar(20)");
        wide.nullable = false;
        assert_eq!(alg(col("varchar(10)"), wide, Some("utf8mb4")), Inplace);
    }

    #[test]
    fn the_measured_copies() {
        assert_eq!(ty("varchar(60)", "varchar(64)", Some("utf8mb4")), Copy);
        assert_eq!(ty("varchar(32)", "varchar(100)", Some("utf8mb4")), Copy);
        assert_eq!(ty("varchar(128)", "varchar(300)", Some("latin1")), Copy);
        assert_eq!(ty("varbinary(200)", "varbinary(300)", None), Copy);
        assert_eq!(ty("varchar(10)", "varchar(5)", None), Copy, "narrowed");
        assert_eq!(ty("int(11)", "bigint(20)", None), Copy);
        assert_eq!(ty("int(11)", "int(10) unsigned", None), Copy);
        assert_eq!(ty("decimal(10,2)", "decimal(12,2)", None), Copy);
        assert_eq!(ty("char(10)", "char(20)", None), Copy);
        assert_eq!(ty("varchar(10)", "text", None), Copy);
        assert_eq!(ty("enum('a','b')", "enum('a','c','b')", None), Copy);
        assert_eq!(ty("enum('a','b')", "enum('a')", None), Copy);
        let eight = "set('a','b','c','d','e','f','g','h')";
        assert_eq!(
            ty(eight, "set('a','b','c','d','e','f','g','h','i')", None),
            Copy
        );
        let mut auto = col("int(11)");
        auto.identity = Some(Identity::AutoIncrement);
        assert_eq!(alg(col("int(11)"), auto, None), Copy);
    }

    #[test]
    fn an_unknown_character_set_is_taken_at_its_widest() {
        // 100 to 200 characters stays under 256 bytes in latin1 only.
        assert_eq!(ty("varchar(100)", "varchar(200)", Some("latin1")), Instant);
        assert_eq!(ty("varchar(100)", "varchar(200)", None), Copy);
        assert_eq!(ty("varchar(10)", "varchar(20)", None), Instant);
    }

    #[test]
    fn collations() {
        let mut bin = col("varchar(10)");
        bin.collation = Some("utf8mb4_bin".into());
        assert_eq!(
            alg(col("varchar(10)"), bin.clone(), Some("utf8mb4")),
            Instant
        );
        let mut t = Table::default();
        t.options
            .insert("collation".into(), "utf8mb4_general_ci".into());
        t.indexes.insert(
            "i".into(),
            Index {
                parts: vec![IndexPart::column("C")],
                unique: false,
                method: None,
                predicate: None,
                include: Vec::new(),
                ignored: false,
                comment: None,
                storage: Vec::new(),
                nulls_not_distinct: false,
            },
        );
        let plain = col("varchar(10)");
        assert_eq!(
            mysql_column_algorithm("c", (&t, &plain), (&t, &bin)),
            Inplace,
            "an indexed column"
        );
        let mut latin = col("varchar(10)");
        latin.collation = Some("latin1_swedish_ci".into());
        assert_eq!(alg(col("varchar(10)"), latin, Some("utf8mb4")), Copy);
        // The table's default unknown: the character set may change.
        assert_eq!(alg(col("varchar(10)"), bin, None), Copy);
    }
}
