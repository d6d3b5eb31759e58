//! Live table sizes: statistics of a moment, read with the schema, never
//! part of it.

use std::collections::BTreeMap;

use crate::object::QualifiedName;

/// The size of one table as the server estimates it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableSize {
    /// Estimated live rows (PostgreSQL `pg_class.reltuples`, MySQL
    /// `information_schema.TABLES.TABLE_ROWS`); `None` when the server has
    /// no estimate yet (a table never analysed).
    pub rows: Option<u64>,
    /// Bytes on disk, indexes included (PostgreSQL
    /// `pg_total_relation_size`, MySQL `DATA_LENGTH + INDEX_LENGTH`).
    pub bytes: Option<u64>,
}

/// The live sizes of a database's tables, by schema and table.
///
/// Sizes are statistics, not schema: two snapshots of the same schema are
/// equal whatever sizes they carry, and a snapshot file never holds them.
///
/// ```
/// use driftless_model::{LiveSizes, QualifiedName, TableSize};
/// let mut a = LiveSizes::default();
/// a.insert(QualifiedName::new("public", "events"), TableSize { rows: Some(10), bytes: Some(8192) });
/// assert_eq!(a.get("public", "events").and_then(|s| s.rows), Some(10));
/// assert_eq!(a, LiveSizes::default(), "sizes never make two snapshots differ");
/// ```
#[derive(Debug, Clone, Default)]
pub struct LiveSizes(BTreeMap<QualifiedName, TableSize>);

impl LiveSizes {
    /// Records the size of `table`.
    pub fn insert(&mut self, table: QualifiedName, size: TableSize) {
        self.0.insert(table, size);
    }

    /// The size of `schema.table`, when it was read.
    pub fn get(&self, schema: &str, table: &str) -> Option<TableSize> {
        self.0.get(&QualifiedName::new(schema, table)).copied()
    }

    /// The sizes split by schema: one database read at once, cut into
    /// the sizes of each of its schemas.
    ///
    /// ```
    /// use driftless_model::{LiveSizes, QualifiedName, TableSize};
    /// let mut all = LiveSizes::default();
    /// all.insert(QualifiedName::new("t1", "events"), TableSize { rows: Some(10), bytes: None });
    /// all.insert(QualifiedName::new("t2", "events"), TableSize { rows: Some(20), bytes: None });
    /// let mut by_schema = all.into_schemas();
    /// let t2 = by_schema.remove("t2").unwrap();
    /// assert_eq!(t2.get("t2", "events").and_then(|s| s.rows), Some(20));
    /// assert!(t2.get("t1", "events").is_none());
    /// ```
    pub fn into_schemas(self) -> BTreeMap<String, LiveSizes> {
        let mut out: BTreeMap<String, LiveSizes> = BTreeMap::new();
        for (table, size) in self.0 {
            out.entry(table.schema.clone())
                .or_default()
                .insert(table, size);
        }
        out
    }

    /// Whether no size was read (a snapshot file, SQLite).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Always equal: see [`LiveSizes`].
impl PartialEq for LiveSizes {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for LiveSizes {}

/// A size in bytes for a message: `512 B`, `8.0 KiB`, `150.5 MiB`.
///
/// ```
/// use driftless_model::human_bytes;
/// assert_eq!(human_bytes(512), "512 B");
/// assert_eq!(human_bytes(150 * (1 << 20) + (1 << 19)), "150.5 MiB");
/// ```
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if b < 1024 {
        return format!("{b} B");
    }
    let mut v = b as f64 / 1024.0;
    let mut unit = UNITS[0];
    for u in &UNITS[1..] {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}
