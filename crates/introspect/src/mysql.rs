//! Catalog reader for mysql.

use crate::error::{Error, Result};
use crate::model::Snapshot;
use crate::{Database, IntrospectOptions};

pub(crate) async fn snapshot(_db: &mut Database, _options: &IntrospectOptions) -> Result<Snapshot> {
    Err(Error::Invalid("mysql introspection is being written".into()))
}
