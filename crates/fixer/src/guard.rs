//! Guards for the idempotent script: the catalog conditions under which a
//! statement still needs to run. The SQL writers render them (`guarded`
//! of the `sql` module's `Writer`): PostgreSQL
//! statements run inside `DO` blocks (`IF … THEN EXECUTE …`); MySQL/MariaDB
//! statements run through a prepared statement chosen by
//! `IF(condition, statement, 'DO 0')`; SQLite has no conditional
//! execution, so only its native `IF [NOT] EXISTS` forms are guarded.

/// A catalog condition.
#[derive(Debug, Clone)]
pub(crate) enum Cond {
    /// A table or view (a relation) exists.
    Relation { schema: String, name: String },
    /// A column exists.
    Column {
        schema: String,
        table: String,
        column: String,
    },
    /// An index exists (PostgreSQL: by name in the schema; MySQL: on the table).
    Index {
        schema: String,
        table: String,
        name: String,
    },
    /// A constraint of the table exists.
    Constraint {
        schema: String,
        table: String,
        name: String,
    },
    /// A type exists (PostgreSQL).
    Type { schema: String, name: String },
    /// An enum's labels differ from these (PostgreSQL).
    EnumLabelsDiffer {
        schema: String,
        name: String,
        labels: Vec<String>,
    },
    /// A column is an identity column (PostgreSQL).
    Identity {
        schema: String,
        table: String,
        column: String,
    },
    /// Negation.
    Not(Box<Cond>),
    /// Both hold.
    And(Box<Cond>, Box<Cond>),
}

impl Cond {
    pub(crate) fn not(self) -> Cond {
        Cond::Not(Box::new(self))
    }

    pub(crate) fn and(self, other: Cond) -> Cond {
        Cond::And(Box::new(self), Box::new(other))
    }
}

/// Shorthand: a relation condition.
pub(crate) fn relation(schema: &str, name: &str) -> Cond {
    Cond::Relation {
        schema: schema.into(),
        name: name.into(),
    }
}

/// Shorthand: a column condition.
pub(crate) fn column(schema: &str, table: &str, col: &str) -> Cond {
    Cond::Column {
        schema: schema.into(),
        table: table.into(),
        column: col.into(),
    }
}

/// Shorthand: a constraint condition.
pub(crate) fn constraint(schema: &str, table: &str, name: &str) -> Cond {
    Cond::Constraint {
        schema: schema.into(),
        table: table.into(),
        name: name.into(),
    }
}

/// Shorthand: an index condition.
pub(crate) fn index(schema: &str, table: &str, name: &str) -> Cond {
    Cond::Index {
        schema: schema.into(),
        table: table.into(),
        name: name.into(),
    }
}
