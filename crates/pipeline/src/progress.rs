//! What a long-running pipeline stage tells its caller: a terminal
//! spinner, a log line, a deploy tool's status page.

/// Receives the stages of a pipeline run. The CLI shows them as a
/// spinner; a library user may log them or ignore them ([`Silent`]).
pub trait Progress: Send + Sync {
    /// A stage begins (`"reading the schema of postgres://…"`); it ends
    /// when the returned handle is dropped. Stages may overlap: the two
    /// sides of a comparison are read at the same time.
    fn begin(&self, message: &str) -> Box<dyn Stage + '_>;
}

/// A stage under way.
pub trait Stage: Send + Sync {
    /// The stage moves on to `message`.
    fn set(&self, message: &str);
}

/// Progress that only logs each stage at `info` level.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

struct Logged;

impl Stage for Logged {
    fn set(&self, message: &str) {
        tracing::info!(step = %message);
    }
}

impl Progress for Silent {
    fn begin(&self, message: &str) -> Box<dyn Stage + '_> {
        tracing::info!(step = %message);
        Box::new(Logged)
    }
}
