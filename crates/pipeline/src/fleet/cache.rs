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

    /// The expected side for `cx`: loaded by the first target with these
    /// ledgers and schemas; the others wait for it and get a copy.
    pub(super) async fn load(&self, cx: &SourceContext<'_>) -> Result<Expected> {
        let key = self.key(cx);
        let slot = {
            let mut loaded = self.loaded.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(loaded.entry(key).or_default())
        };
        let mut held = slot.lock().await;
        if let Some(expected) = held.as_ref() {
            return Ok(expected.clone());
        }
        let expected = self.inner.load(cx).await?;
        *held = Some(expected.clone());
        Ok(expected)
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
        let pick: Vec<String> = self.pick.iter().cloned().collect();
        let inner_cx = SourceContext {
            schemas: &pick,
            ..*cx
        };
        let mut expected = self.cache.load(&inner_cx).await?;
        if let Some(name) = &self.pick {
            expected.keep_schema(name);
        }
        let names: Vec<String> = expected.snapshot.schemas.keys().cloned().collect();
        match (names.as_slice(), &self.rename_to) {
            ([one], Some(to)) => {
                expected.rename_schema(one, to)?;
                if self.single {
                    forget_schema_comment(&mut expected, to);
                }
            }
            ([_], None) => {}
            (_, _) if self.single => {
                return Err(Error::ExpectedSchemas {
                    expected: expected.description,
                    schemas: names,
                })
            }
            _ => {}
        }
        Ok(expected)
    }
}

impl SharedSource {
    /// The name of the expected side's one schema (after the pick), which
    /// targets' findings are mapped to for grouping; loads it (cached).
    pub(super) async fn canonical(&self, cx: &SourceContext<'_>) -> Result<Option<String>> {
        let plain = SharedSource {
            cache: Arc::clone(&self.cache),
            pick: self.pick.clone(),
            rename_to: None,
            single: self.single,
        };
        let expected = plain.load(cx).await?;
        let mut names = expected.snapshot.schemas.into_keys();
        Ok(match (names.next(), names.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        })
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
