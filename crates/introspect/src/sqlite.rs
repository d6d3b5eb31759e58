//! Catalog reader for sqlite.

use crate::error::{Error, Result};
use crate::model::Snapshot;
use crate::{Database, IntrospectOptions};

pub(crate) async fn snapshot(_db: &mut Database, _options: &IntrospectOptions) -> Result<Snapshot> {
    Err(Error::Invalid("sqlite introspection is being written".into()))
}
