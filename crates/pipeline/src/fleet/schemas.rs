//! `--each-schema`: every schema of one database matching a glob (one per
//! tenant), read in one catalog read, each compared with the expected
//! schema under its own name.

use std::collections::{BTreeMap, BTreeSet};

use driftless_fixer::QuarantineEntry;
use driftless_introspect::{Database, DbUrl};
use driftless_model::{Dialect, Ledger, Snapshot};
use futures::stream::{self, BoxStream, StreamExt};

use super::target::TargetCheck;
use super::Fleet;
use crate::check::DriftCheck;
use crate::error::{Error, Result};
use crate::live;

/// Whether `name` matches the shell-style `glob` (`*`, `?`, `[a-z]`).
///
/// ```
/// use driftless_pipeline::fleet::glob_matches;
/// assert!(glob_matches("tenant_*", "tenant_42").unwrap());
/// assert!(!glob_matches("tenant_*", "public").unwrap());
/// assert!(glob_matches("shop_[0-9]?", "shop_17").unwrap());
/// ```
pub fn glob_matches(glob: &str, name: &str) -> Result<bool> {
    Ok(matcher(glob)?.is_match(name))
}

pub(super) fn matcher(glob: &str) -> Result<globset::GlobMatcher> {
    globset::GlobBuilder::new(glob)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| Error::InvalidGlob {
            glob: glob.to_string(),
            error: e.kind().to_string(),
        })
}

/// One tenant, read: its schema alone, its ledgers, its quarantine.
struct Tenant {
    name: String,
    actual: Snapshot,
    ledgers: Vec<Ledger>,
    quarantine: (Vec<QuarantineEntry>, BTreeSet<String>),
}

impl Fleet {
    /// Checks every schema of `db` whose name matches `glob` (in this run's
    /// shard; the template schema named by
    /// [`with_expect_schema`](Fleet::with_expect_schema) excluded), read in
    /// one catalog read; yields each as it is judged.
    pub async fn each_schema<'a>(
        &'a self,
        db: &'a DbUrl,
        glob: &str,
    ) -> Result<BoxStream<'a, TargetCheck>> {
        self.config.validate(&self.registry)?;
        let names = self.tenant_names(db, glob).await?;
        let stage = self
            .progress
            .begin(&format!("reading {} schemas of {db}", names.len()));
        let (mut snapshot, ledgers) = live::read_live(
            db,
            &driftless_introspect::IntrospectOptions::default().with_schemas(names.iter().cloned()),
            &self.read_only,
            self.progress.as_ref(),
            self.source.uses_migrations(),
        )
        .await?;
        // The live sizes, as a single database's fix reads them: what each
        // tenant's steps judge their hazards and online strategies by.
        live::read_sizes(db, &names, &self.read_only, &mut snapshot).await;
        let quarantine = crate::quarantine::read_quarantine(db, &self.read_only)
            .await
            .unwrap_or_default();
        drop(stage);
        let tenants = split(snapshot, ledgers, quarantine, names);
        // A source that cannot be loaded is one error, not one per tenant.
        if let Some(first) = tenants.first() {
            self.expected_source(Some(&first.name), true)
                .canonical(&self.source_cx(db, &first.ledgers))
                .await?;
        }
        Ok(stream::iter(tenants)
            .then(move |t| self.tenant_check(db, t))
            .boxed())
    }

    /// The schemas of `db` matching `glob`, in this run's shard, sorted.
    async fn tenant_names(&self, db: &DbUrl, glob: &str) -> Result<Vec<String>> {
        let glob_matcher = matcher(glob)?;
        let mut conn = Database::connect(db, &self.read_only).await?;
        let rows = conn
            .query(schema_list_query(conn.dialect()), "listing the schemas")
            .await?;
        conn.close().await?;
        let names: Vec<String> = rows
            .iter()
            .filter_map(|r| r.first().and_then(|v| v.as_str()).map(str::to_string))
            .filter(|n| glob_matcher.is_match(n))
            .filter(|n| Some(n) != self.expect_schema.as_ref())
            .collect();
        if names.is_empty() {
            return Err(Error::NoTargets {
                what: "schema",
                url: db.to_string(),
                glob: glob.to_string(),
            });
        }
        Ok(names.into_iter().filter(|n| self.holds(n)).collect())
    }

    /// One tenant judged against the expected schema renamed to its own.
    async fn tenant_check(&self, db: &DbUrl, t: Tenant) -> TargetCheck {
        let source = self.expected_source(Some(&t.name), true);
        let canonical = match source.canonical(&self.source_cx(db, &t.ledgers)).await {
            Ok(c) => c,
            Err(e) => return TargetCheck::new(t.name, Err(e), None),
        };
        let result = DriftCheck::new(db.clone(), Box::new(source))
            .with_schemas([t.name.clone()])
            .with_ledger_scope(&t.name)
            .with_registry(self.registry.clone())
            .with_config(self.config.clone())
            .with_connect(self.read_only.clone(), self.read_write.clone())
            .with_today(self.today)
            .run_read(t.actual, t.ledgers, Some(t.quarantine))
            .await;
        let rename = canonical.map(|c| (t.name.clone(), c));
        TargetCheck::new(t.name, result, rename)
    }
}

/// The listing of schemas, system schemas left out.
fn schema_list_query(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => {
            "SELECT nspname::text FROM pg_catalog.pg_namespace \
             WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY 1"
        }
        Dialect::Mysql => {
            "SELECT CAST(schema_name AS CHAR) FROM information_schema.schemata \
             WHERE schema_name NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') \
             ORDER BY 1"
        }
        Dialect::Sqlite => "SELECT name FROM pragma_database_list ORDER BY 1",
    }
}

/// The one read of every tenant, cut into one snapshot per tenant.
fn split(
    mut snapshot: Snapshot,
    ledgers: Vec<Ledger>,
    quarantine: (Vec<QuarantineEntry>, BTreeSet<String>),
    names: Vec<String>,
) -> Vec<Tenant> {
    let mut unmodeled: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for o in std::mem::take(&mut snapshot.unmodeled) {
        if let Some(s) = o.schema.clone() {
            unmodeled.entry(s).or_default().push(o);
        }
    }
    // Database-wide objects (event triggers) belong to no tenant.
    let mut objects: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for o in std::mem::take(&mut snapshot.objects) {
        if let Some(s) = o.schema.clone() {
            objects.entry(s).or_default().push(o);
        }
    }
    let mut ledgers_of: BTreeMap<String, Vec<Ledger>> = BTreeMap::new();
    for l in ledgers {
        ledgers_of
            .entry(l.table.schema.clone())
            .or_default()
            .push(l);
    }
    let (entries, held) = quarantine;
    let mut sizes = std::mem::take(&mut snapshot.sizes).into_schemas();
    names
        .into_iter()
        .map(|name| {
            let mut actual = Snapshot::new(snapshot.dialect);
            if let Some(schema) = snapshot.schemas.remove(&name) {
                actual.schemas.insert(name.clone(), schema);
            }
            actual.unmodeled = unmodeled.remove(&name).unwrap_or_default();
            actual.objects = objects.remove(&name).unwrap_or_default();
            actual.sizes = sizes.remove(&name).unwrap_or_default();
            let mine = entries
                .iter()
                .filter(|e| e.schema == name)
                .cloned()
                .collect();
            Tenant {
                ledgers: ledgers_of.remove(&name).unwrap_or_default(),
                quarantine: (mine, held.clone()),
                actual,
                name,
            }
        })
        .collect()
}
