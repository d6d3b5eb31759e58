//! The terminal: colour choice, the progress spinner, and log setup.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracing_subscriber::EnvFilter;

use crate::args::{ColorWhen, GlobalArgs, LogFormat};

/// Environment variable with a tracing filter that overrides -q / -v
/// (e.g. `DRIFTLESS_LOG=driftless_fixer=debug`).
pub const LOG_ENV: &str = "DRIFTLESS_LOG";

/// Whether to colour what goes to stdout.
pub fn stdout_color(when: ColorWhen) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => no_color_unset() && std::io::stdout().is_terminal(),
    }
}

/// Whether to colour what goes to stderr (log lines).
fn stderr_color(when: ColorWhen) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => no_color_unset() && std::io::stderr().is_terminal(),
    }
}

/// <https://no-color.org>: set and non-empty disables colour.
fn no_color_unset() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Installs the structured logger on stderr: warnings by default, errors
/// only with -q, more with each -v; `DRIFTLESS_LOG` overrides.
pub fn init_logging(global: &GlobalArgs) {
    let level = if global.quiet {
        "error"
    } else {
        match global.verbose {
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        }
    };
    // sqlx logs every statement (and slow ones as warnings); only -vvv shows them.
    let sqlx = if global.verbose >= 3 {
        "trace"
    } else {
        "error"
    };
    let filter = std::env::var(LOG_ENV)
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(format!("{level},sqlx={sqlx}")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| RedactedStderr)
        .with_target(global.verbose >= 2);
    // A second initialisation (never in the binary) is not an error worth failing on.
    let _ = match global.log_format {
        LogFormat::Text => builder
            .with_ansi(stderr_color(global.color))
            .without_time()
            .try_init(),
        LogFormat::Json => builder.json().with_ansi(false).try_init(),
    };
}

/// stderr for log lines, each passed through
/// [`redact`](driftless_introspect::redact): a driver that echoes a
/// connection parameter (`key=sslpassword value=…`) cannot print a secret.
/// The formatter writes one event per call. When stderr's reader has gone
/// (`driftless … 2>&1 | head`), log lines are dropped quietly: logging
/// never changes how the command ends.
struct RedactedStderr;

impl Write for RedactedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = driftless_introspect::redact(&String::from_utf8_lossy(buf));
        ignore_broken_pipe(std::io::stderr().write_all(text.as_bytes()))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        ignore_broken_pipe(std::io::stderr().flush())
    }
}

/// `Ok` for a write whose reader has gone (the rest of the output is not
/// wanted); other errors as they are.
pub fn ignore_broken_pipe(result: std::io::Result<()>) -> std::io::Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// A spinner on stderr while the database is read; invisible when stderr
/// is not a terminal or with -q. Cleared when dropped.
pub struct Spinner(ProgressBar);

impl Spinner {
    /// Starts a spinner showing `message`.
    pub fn start(quiet: bool, message: impl Into<String>) -> Spinner {
        let message = message.into();
        tracing::info!(step = %message);
        if quiet || !std::io::stderr().is_terminal() {
            return Spinner(ProgressBar::with_draw_target(
                None,
                ProgressDrawTarget::hidden(),
            ));
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed:.dim}") {
            bar.set_style(style);
        }
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(100));
        Spinner(bar)
    }

    /// Changes the message.
    pub fn set(&self, message: impl Into<String>) {
        let message = message.into();
        tracing::info!(step = %message);
        self.0.set_message(message);
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}
