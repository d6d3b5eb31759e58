//! The expected side of a fleet, loaded once per distinct input: a
//! snapshot or a template once for all targets; a migrations folder once
//! per distinct state of the targets' ledgers (tenants usually share one).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use driftless_model::Ledger;

use crate::error::{Error, Result};
use crate::source::{Expected, ExpectedSource, SourceContext};

type Slot = Arc<futures::lock::Mutex<Option<Expected>>>;

/// A source whose loads are kept, by what decides them.
pub(super) struct CachedSource {
    inner: Box<dyn ExpectedSource>,
    loaded: Mutex<BTreeMap<String, Slot>>,
}

impl CachedSource {
    pub(super) fn new(inner: Box<dyn ExpectedSource>) -> Self {
        CachedSource {
            inner,
            loaded: Mutex::new(BTreeMap::new()),
        }
    }

    pub(super) fn describe(&self) -> String {
        self.inner.describe()
    }

    pub(super) fn uses_migrations(&self) -> bool {
        self.inner.uses_migrations()
    }

    /// What `view` makes of the expected side for `cx`: loaded by the
    /// first target with these ledgers and schemas; the others wait for it
    /// and see the same one.
    async fn load_with<R>(
        &self,
        cx: &SourceContext<'_>,
        view: impl FnOnce(&Expected) -> R,
    ) -> Result<R> {
        let key = self.key(cx);
        let slot = {
            let mut loaded = self.loaded.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(loaded.entry(key).or_default())
        };
        let mut held = slot.lock().await;
        let expected = match held.take() {
            Some(expected) => expected,
            None => self.inner.load(cx).await?,
        };
        let seen = view(&expected);
        *held = Some(expected);
        Ok(seen)
    }

    /// A copy of the expected side for `cx` (see [`CachedSource::load_with`]).
    pub(super) async fn load(&self, cx: &SourceContext<'_>) -> Result<Expected> {
        self.load_with(cx, Expected::clone).await
    }

    /// What decides a load: the schemas read and, for migrations, which
    /// migrations each ledger records and how (not where, nor when).
    fn key(&self, cx: &SourceContext<'_>) -> String {
        let ledgers: Vec<_> = if self.uses_migrations() {
            cx.ledgers.iter().map(ledger_key).collect()
        } else {
            Vec::new()
        };
        serde_json::json!([cx.schemas, ledgers]).to_string()
    }
}

fn ledger_key(l: &Ledger) -> serde_json::Value {
    let rows: Vec<_> = l
        .entries
        .iter()
        .map(|e| serde_json::json!([e.app, e.id, e.state, e.checksum]))
        .collect();
    serde_json::json!([l.table.kind, l.table.table, rows])
}

/// The fleet's expected side as one target sees it: the cached load, with
/// only the schema picked (`--expect-schema`), moved to the target's name.
pub(super) struct SharedSource {
    pub(super) cache: Arc<CachedSource>,
    /// The expected side's schema to compare with, when it has several.
    pub(super) pick: Option<String>,
    /// The target's schema the expected one is renamed to, when the
    /// expected side has exactly one schema.
    pub(super) rename_to: Option<String>,
    /// Whether the expected side must have exactly one schema (tenants).
    pub(super) single: bool,
}

#[async_trait::async_trait]
impl ExpectedSource for SharedSource {
    fn describe(&self) -> String {
        self.cache.describe()
    }

    fn uses_migrations(&self) -> bool {
        self.cache.uses_migrations()
    }

    async fn load(&self, cx: &SourceContext<'_>) -> Result<Expected> {
        let mut expected = self.cache.load(&self.inner_cx(cx)).await?;
        if let Some(name) = &self.pick {
            expected.keep_schema(name);
        }
        let names: Vec<String> = expected.snapshot.schemas.keys().cloned().collect();
        if let (Some(one), Some(to)) = (self.one_schema(names, &expected)?, &self.rename_to) {
            expected.rename_schema(&one, to)?;
            if self.single {
                forget_schema_comment(&mut expected, to);
            }
        }
        Ok(expected)
    }
}

impl SharedSource {
    /// `cx` as the cached source sees it: only the picked schema read.
    fn inner_cx<'a>(&'a self, cx: &SourceContext<'a>) -> SourceContext<'a> {
        SourceContext {
            schemas: self.pick.as_slice(),
            ..*cx
        }
    }

    /// The expected side's schemas, after the pick.
    fn picked_names(&self, expected: &Expected) -> Vec<String> {
        expected
            .snapshot
            .schemas
            .keys()
            .filter(|s| self.pick.as_ref().is_none_or(|p| p == *s))
            .cloned()
            .collect()
    }

    /// The one schema of `names`; several (or none) are an error where
    /// each target must be compared with one.
    fn one_schema(&self, names: Vec<String>, expected: &Expected) -> Result<Option<String>> {
        match <[String; 1]>::try_from(names) {
            Ok([one]) => Ok(Some(one)),
            Err(names) if self.single => Err(Error::ExpectedSchemas {
                expected: expected.description.clone(),
                schemas: names,
            }),
            Err(_) => Ok(None),
        }
    }

    /// The name of the expected side's one schema (after the pick), which
    /// targets' findings are mapped to for grouping; loads it (cached),
    /// without copying it.
    pub(super) async fn canonical(&self, cx: &SourceContext<'_>) -> Result<Option<String>> {
        self.cache
            .load_with(&self.inner_cx(cx), |e| {
                self.one_schema(self.picked_names(e), e)
            })
            .await?
    }
}

/// A tenant is compared with its template's contents, not with the
/// template schema itself: the schema's own comment (on `public`, the
/// server's default) is left out.
fn forget_schema_comment(expected: &mut Expected, schema: &str) {
    let states = std::iter::once(&mut expected.snapshot).chain(expected.head.as_mut());
    for snapshot in states {
        if let Some(s) = snapshot.schemas.get_mut(schema) {
            s.comment = None;
        }
    }
}
