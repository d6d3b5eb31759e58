//! Asking a running read, replay or apply to stop (Ctrl-C, SIGTERM).

use std::sync::{Arc, OnceLock};

use tokio::sync::Notify;

/// A handle that asks the work of a connection to stop, shared between
/// the code that notices the request (a signal handler) and the work.
///
/// Give a clone to [`ConnectOptions::with_interrupt`](crate::ConnectOptions::with_interrupt):
/// every [`Database`](crate::Database) opened with those options then stops
/// when it is triggered. Connecting is abandoned; a statement in flight
/// (a catalog query waiting for a lock, a migration being replayed) is
/// cancelled on the server, from a second connection (PostgreSQL
/// `pg_cancel_backend`, MySQL `KILL QUERY`; SQLite interrupts it on its own
/// connection); no further statement is sent; and the call returns
/// [`Error::Interrupted`](crate::Error::Interrupted).
///
/// driftless-fixer's `apply` takes one too (`ApplyOptions::with_interrupt`):
/// it rolls back where the database has transactions and says what state
/// the database is in. An apply that had already committed when the
/// request came returns its report as usual.
///
/// ```
/// use driftless_introspect::Interrupt;
/// let interrupt = Interrupt::new();
/// let for_the_signal_handler = interrupt.clone();
/// assert!(!interrupt.is_triggered());
/// for_the_signal_handler.trigger("received SIGINT");
/// for_the_signal_handler.trigger("received SIGTERM"); // the first reason stays
/// assert_eq!(interrupt.reason(), Some("received SIGINT"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<State>);

#[derive(Debug, Default)]
struct State {
    reason: OnceLock<String>,
    notify: Notify,
}

impl Interrupt {
    /// A handle that has not been triggered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the work to stop; `reason` (e.g. `received SIGINT`) goes into
    /// the error. Later calls keep the first reason.
    pub fn trigger(&self, reason: impl Into<String>) {
        let _ = self.0.reason.set(reason.into());
        self.0.notify.notify_waiters();
    }

    /// Whether [`trigger`](Self::trigger) was called.
    pub fn is_triggered(&self) -> bool {
        self.0.reason.get().is_some()
    }

    /// The reason given to the first [`trigger`](Self::trigger).
    pub fn reason(&self) -> Option<&str> {
        self.0.reason.get().map(String::as_str)
    }

    /// Resolves once triggered (at once if it already was).
    pub async fn triggered(&self) {
        loop {
            let notified = self.0.notify.notified();
            tokio::pin!(notified);
            // Register before checking, so a trigger in between is not lost.
            notified.as_mut().enable();
            if self.is_triggered() {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Interrupt;
    use std::time::Duration;

    #[tokio::test]
    async fn triggered_resolves_for_a_trigger_before_and_after_waiting() {
        let early = Interrupt::new();
        early.trigger("before");
        tokio::time::timeout(Duration::from_secs(1), early.triggered())
            .await
            .unwrap_or_else(|_| panic!("an earlier trigger is seen"));

        let late = Interrupt::new();
        let other = late.clone();
        let waiter = tokio::spawn(async move { other.triggered().await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        late.trigger("after");
        tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .unwrap_or_else(|_| panic!("a later trigger wakes the waiter"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(late.reason(), Some("after"));
    }
}
