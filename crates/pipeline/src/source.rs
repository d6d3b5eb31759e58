//! Where the expected schema comes from: the [`ExpectedSource`] trait and
//! what a source produces.

use std::collections::BTreeMap;
use std::path::PathBuf;

use async_trait::async_trait;
use driftless_introspect::{ConnectOptions, DbUrl, IntrospectOptions};
use driftless_model::{
    Ledger, LedgerRebuild, MigrationSet, OptIn, PendingRun, Provenance, Snapshot,
};

use crate::error::Result;
use crate::progress::Progress;

/// The expected side of a comparison, as a source produced it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Expected {
    /// The schema.
    pub snapshot: Snapshot,
    /// Where it came from, for reports (`migrations ./m`; URLs redacted).
    pub description: String,
    /// The migration set, when the schema came from a migrations folder:
    /// it feeds the ledger rules.
    pub migrations: Option<MigrationSet>,
    /// Which migration created or last changed each object, when known.
    pub provenance: Option<Provenance>,
    /// The file the schema was read from, for reports that point at files.
    pub file: Option<PathBuf>,
    /// The schema after every migration on disk (the head state), when
    /// `snapshot` is the recorded state instead: the schema after exactly
    /// the migrations the target's ledger records as applied.
    pub head: Option<Snapshot>,
    /// The migrations between the recorded state and the head state, in
    /// the order the next migrate applies them.
    pub pending: Vec<String>,
    /// The ledger the target lost (missing or empty while its schema holds
    /// what migrations create), rebuilt with the longest prefix of
    /// migrations whose effects are all present: `snapshot` is then the
    /// schema after that prefix.
    pub rebuild: Option<LedgerRebuild>,
}

impl Expected {
    /// An expected schema with only a description: no migrations, no
    /// provenance, no file. The usual start for a user's own source.
    pub fn new(snapshot: Snapshot, description: impl Into<String>) -> Self {
        Expected {
            snapshot,
            description: description.into(),
            migrations: None,
            provenance: None,
            file: None,
            head: None,
            pending: Vec::new(),
            rebuild: None,
        }
    }

    /// With the head state: `snapshot` is then the recorded state, the
    /// schema after the migrations the ledger records as applied, and
    /// `head` adds the `pending` ones.
    pub fn with_head(mut self, head: Snapshot, pending: Vec<String>) -> Self {
        self.head = Some(head);
        self.pending = pending;
        self
    }

    /// With the migration set the schema came from.
    pub fn with_migrations(mut self, set: MigrationSet) -> Self {
        self.migrations = Some(set);
        self
    }

    /// With which migration made each object.
    pub fn with_provenance(mut self, provenance: Provenance) -> Self {
        self.provenance = Some(provenance);
        self
    }

    /// With the file the schema was read from.
    pub fn with_file(mut self, file: PathBuf) -> Self {
        self.file = Some(file);
        self
    }

    /// Moves the expected schema `from` to the name `to` throughout (the
    /// schema, the head state, provenance, a rebuilt ledger): a template
    /// compared with a tenant schema of another name.
    pub fn rename_schema(&mut self, from: &str, to: &str) -> Result<()> {
        if from == to {
            return Ok(());
        }
        self.snapshot = driftless_model::renamed_schema(&self.snapshot, from, to)?;
        if let Some(head) = &self.head {
            self.head = Some(driftless_model::renamed_schema(head, from, to)?);
        }
        if let Some(p) = &mut self.provenance {
            p.rename_schema(from, to);
        }
        if let Some(r) = self.rebuild.as_mut().filter(|r| r.table.schema == from) {
            r.table.schema = to.to_string();
        }
        Ok(())
    }

    /// Keeps only schema `name` (and drops the others from the head state).
    pub fn keep_schema(&mut self, name: &str) {
        self.snapshot.schemas.retain(|s, _| s == name);
        self.snapshot
            .unmodeled
            .retain(|o| o.schema.as_deref() == Some(name));
        self.snapshot
            .objects
            .retain(|o| o.schema.as_deref() == Some(name));
        if let Some(head) = &mut self.head {
            head.schemas.retain(|s, _| s == name);
            head.objects.retain(|o| o.schema.as_deref() == Some(name));
        }
    }

    /// Files findings can point at: each migration's file by migration id,
    /// and the snapshot file under `""`.
    pub fn files(&self) -> BTreeMap<String, String> {
        let mut files = BTreeMap::new();
        if let Some(set) = &self.migrations {
            for m in &set.migrations {
                files.insert(m.id.clone(), set.file_path(m).display().to_string());
            }
        }
        if let Some(f) = &self.file {
            files.insert(String::new(), f.display().to_string());
        }
        files
    }
}

/// What a source may need to know about the comparison it serves.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct SourceContext<'a> {
    /// The database the expected schema will be compared with: a source
    /// must not read it as the expected side, and scratch databases must
    /// be of its dialect.
    pub target: &'a DbUrl,
    /// The schemas compared (empty: the target's defaults).
    pub schemas: &'a [String],
    /// How to open databases that are only read.
    pub read_only: &'a ConnectOptions,
    /// How to open scratch databases that are written (replays).
    pub read_write: &'a ConnectOptions,
    /// Where to report stages.
    pub progress: &'a dyn Progress,
    /// The target's migration ledgers, read first when the source
    /// [uses migrations](ExpectedSource::uses_migrations): what they record
    /// as applied builds the recorded state.
    pub ledgers: &'a [Ledger],
    /// The opt-in kinds compared (PostgreSQL privileges, publications;
    /// see [`IntrospectOptions::opt_in`]): a source reading a database
    /// reads them too.
    pub opt_in: OptIn,
}

impl SourceContext<'_> {
    /// What a source reading a database reads: `schemas`, and the opt-in
    /// kinds compared.
    pub fn introspect(&self, schemas: &[String]) -> IntrospectOptions {
        IntrospectOptions::default()
            .with_schemas(schemas.iter().cloned())
            .with_opt_in(self.opt_in)
    }
}

impl std::fmt::Debug for SourceContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceContext")
            .field("target", self.target)
            .field("schemas", &self.schemas)
            .finish_non_exhaustive()
    }
}

/// A source of the expected schema: a live database, a snapshot file, a
/// migration folder replayed or built by a framework's command, or a
/// user's own (an ORM's models, a schema registry).
///
/// ```
/// use async_trait::async_trait;
/// use driftless_model::{Dialect, Snapshot};
/// use driftless_pipeline::{Expected, ExpectedSource, Result, SourceContext};
///
/// /// The schema an application declares in code.
/// struct Declared;
///
/// #[async_trait]
/// impl ExpectedSource for Declared {
///     fn describe(&self) -> String {
///         "the application's declared schema".into()
///     }
///     async fn load(&self, _cx: &SourceContext<'_>) -> Result<Expected> {
///         Ok(Expected::new(Snapshot::new(Dialect::Sqlite), self.describe()))
///     }
/// }
/// ```
#[async_trait]
pub trait ExpectedSource: Send + Sync {
    /// Where the schema comes from, for reports (redact URLs).
    fn describe(&self) -> String;

    /// Whether the schema comes from migrations, so that the target's
    /// migration ledgers are read and judged too.
    fn uses_migrations(&self) -> bool {
        false
    }

    /// Produces the expected schema.
    async fn load(&self, cx: &SourceContext<'_>) -> Result<Expected>;

    /// The deploy preflight: applies `expected`'s pending migrations to a
    /// schema-only copy of `actual` (the live schema) in a scratch
    /// database, as the next migrate will apply them to the live one.
    /// `None` (the default) when the source has no pending migrations or
    /// cannot apply them.
    async fn preflight(
        &self,
        _cx: &SourceContext<'_>,
        _expected: &Expected,
        _actual: &Snapshot,
    ) -> Result<Option<PendingRun>> {
        Ok(None)
    }
}
