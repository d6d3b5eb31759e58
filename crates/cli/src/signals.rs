//! SIGINT and SIGTERM: the first one asks the running command to stop
//! (every connection and apply watches the same [`Interrupt`]), a second
//! one exits at once. The exit code is 128 plus the signal's number: 130
//! for SIGINT, 143 for SIGTERM.

use std::io::Write as _;
use std::sync::OnceLock;

use driftless_fixer::Interrupt;

/// A signal that stops a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Ctrl-C.
    Int,
    /// `kill`, a container or CI runner stopping.
    Term,
}

impl Signal {
    /// Its name, as an error line writes it.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Int => "SIGINT",
            Signal::Term => "SIGTERM",
        }
    }

    /// The exit code of a command it stopped: 128 + the signal's number.
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Int => 130,
            Signal::Term => 143,
        }
    }
}

/// The first signal received, if any.
static RECEIVED: OnceLock<Signal> = OnceLock::new();

/// The first signal received, if any.
pub fn received() -> Option<Signal> {
    RECEIVED.get().copied()
}

/// Watches for SIGINT and SIGTERM for the rest of the process: the first
/// triggers `interrupt`, a second exits at once. When the signals cannot
/// be watched, their default handling (ending the process) stays.
pub fn watch(interrupt: Interrupt) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            tracing::debug!("cannot watch for SIGINT and SIGTERM");
            return;
        };
        tokio::spawn(async move {
            loop {
                let received = tokio::select! {
                    _ = int.recv() => Signal::Int,
                    _ = term.recv() => Signal::Term,
                };
                stop(&interrupt, received);
            }
        });
    }
    #[cfg(not(unix))]
    {
        tokio::spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                stop(&interrupt, Signal::Int);
            }
        });
    }
}

/// The first signal asks the command to stop; a second one exits at once.
fn stop(interrupt: &Interrupt, signal: Signal) {
    if interrupt.is_triggered() {
        let _ = writeln!(
            std::io::stderr(),
            "error: {} again: exiting without waiting for the command to stop; a database discards an unfinished transaction when its connection closes (MySQL/MariaDB: fix steps already run stay applied; run the fix again)",
            signal.name()
        );
        std::process::exit(i32::from(received().unwrap_or(signal).exit_code()));
    }
    let _ = RECEIVED.set(signal);
    interrupt.trigger(format!("received {}", signal.name()));
}
