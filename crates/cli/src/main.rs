//! `driftless`: find and repair schema drift.
//!
//! A thin binary over `driftless-pipeline` (with `driftless-introspect`,
//! `driftless-migrations`, `driftless-rules` and `driftless-fixer`):
//! argument parsing, output formats and exit codes.
//! Exit codes: 0 no drift at or above the failing severity, 1 drift (or,
//! for `fix`, not converged), 2 usage, input or database error, 130 / 143
//! stopped by SIGINT / SIGTERM. Over a fleet: 1 when any target drifted, 2
//! when a target could not be checked and none drifted.
//!
//! Modules: `args` (the command line, clap derive, parsing only),
//! `commands` (one per subcommand, and the expected-schema and connection
//! helpers they share), `format` (the report formats of `check`: human,
//! JSON, SARIF, JUnit, GitHub annotations), `term` (colour, spinner, logs),
//! `signals` (SIGINT and SIGTERM stop the command).

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod args;
mod commands;
mod format;
mod signals;
mod term;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::args::Cli;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Nothing at or above the failing severity; converged.
    Clean,
    /// Drift found, or not converged.
    Drift,
    /// A fleet target could not be checked, and none drifted.
    Unchecked,
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> Self {
        match s {
            Status::Clean => ExitCode::SUCCESS,
            Status::Drift => ExitCode::from(1),
            Status::Unchecked => ExitCode::from(EXIT_ERROR),
        }
    }
}

/// Exit code of a usage, input or database error.
const EXIT_ERROR: u8 = 2;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version print to stdout and succeed; every
            // usage error exits 2. Clap echoes the offending value, which
            // for a URL may hold a password: redact.
            if e.use_stderr() {
                let text = driftless_introspect::redact(&e.render().to_string());
                let _ = write!(std::io::stderr(), "{text}");
                return ExitCode::from(EXIT_ERROR);
            }
            // `--help | head` must not fail.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
    };
    term::init_logging(&cli.global);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return report(&anyhow::Error::new(e).context("cannot start the async runtime")),
    };
    // A panic is a bug: report it as one redacted line, exit 2, no backtrace.
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let line = format!("internal error (a bug in driftless{at}): {message}");
        let _ = writeln!(
            std::io::stderr(),
            "error: {}",
            driftless_introspect::redact(&line.split_whitespace().collect::<Vec<_>>().join(" "))
        );
    }));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(commands::run(cli))
    }));
    let Ok(result) = result else {
        return ExitCode::from(EXIT_ERROR);
    };
    // Do not wait for a connection stuck in the driver after a timeout.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    match (result, signals::received()) {
        (Ok(status), _) => status.into(),
        (Err(err), Some(signal)) => report_stopped(&err, signal),
        (Err(err), None) => report(&err),
    }
}

/// Prints the one line of a command a signal stopped and returns its exit
/// code (130 SIGINT, 143 SIGTERM). An apply's own error says what state
/// the database is in; a command stopped while connecting, reading,
/// replaying or before planning changed nothing on the target.
fn report_stopped(err: &anyhow::Error, signal: signals::Signal) -> ExitCode {
    let line = one_line(err);
    let line = match stopped_in(err) {
        Some(Stopped::Apply) => line,
        Some(Stopped::Read) => format!("{line}; nothing was changed"),
        None => format!("stopped by {}: {line}", signal.name()),
    };
    let _ = writeln!(std::io::stderr(), "error: {line}");
    ExitCode::from(signal.exit_code())
}

/// Where a signal stopped a command, as its error tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stopped {
    /// An apply, which says itself what state the database is in.
    Apply,
    /// Connecting, reading, replaying into a scratch database, or between
    /// those and planning: nothing was written to the target.
    Read,
}

fn stopped_in(err: &anyhow::Error) -> Option<Stopped> {
    use driftless_fixer::ApplyError;
    use driftless_introspect::Error as DbError;
    let from_db = |e: &DbError| matches!(e, DbError::Interrupted { .. }).then_some(Stopped::Read);
    let from_apply = |e: &ApplyError| match e {
        ApplyError::Interrupted { .. } => Some(Stopped::Apply),
        _ => None,
    };
    err.chain().find_map(|cause| {
        if let Some(e) = cause.downcast_ref::<driftless_pipeline::Error>() {
            return match e {
                driftless_pipeline::Error::Introspect(e) => from_db(e),
                driftless_pipeline::Error::Apply(e) => from_apply(e),
                _ => None,
            };
        }
        if let Some(e) = cause.downcast_ref::<ApplyError>() {
            return from_apply(e);
        }
        cause.downcast_ref::<DbError>().and_then(from_db)
    })
}

/// Prints `error: …` on one line (redacted) and returns exit code 2.
///
/// A closed stdout never gets here: commands stop writing and keep their
/// status (`check … | head` still exits 1 on drift). Any other broken
/// pipe (a database connection cut) is an error like any other.
fn report(err: &anyhow::Error) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "error: {}", one_line(err));
    ExitCode::from(EXIT_ERROR)
}

/// The error and its causes as one redacted line. Library errors already
/// include their cause's text; a cause is appended only when it adds
/// something. Control characters (a terminal escape sequence quoted from
/// a file by a database's message) are shown escaped, never sent raw.
fn one_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        let text = text.trim();
        if text.is_empty() || line.contains(text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(text);
    }
    let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut clean = String::with_capacity(line.len());
    for c in line.chars() {
        if c.is_control() {
            clean.extend(c.escape_default());
        } else {
            clean.push(c);
        }
    }
    driftless_introspect::redact(&clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_joins_causes_without_repeating_them() {
        let io = std::io::Error::other("disk on fire");
        let err = anyhow::Error::new(io).context("cannot write snapshot.json: disk on fire");
        assert_eq!(one_line(&err), "cannot write snapshot.json: disk on fire");

        let err = anyhow::anyhow!("server said\nno").context("reading postgres://u:pw@h/db");
        assert_eq!(
            one_line(&err),
            "reading postgres://u:***@h/db: server said no"
        );
    }

    #[test]
    fn one_line_escapes_control_characters() {
        let err = anyhow::anyhow!("near \"\u{1b}[2J\u{7}\": syntax error");
        assert_eq!(one_line(&err), "near \"\\u{1b}[2J\\u{7}\": syntax error");
    }

    #[test]
    fn a_broken_pipe_that_reaches_main_is_an_error() {
        // A cut database connection, not a closed stdout: exit 2.
        let io = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        let err = anyhow::Error::new(io).context("reading postgres://h/db");
        assert_eq!(report(&err), ExitCode::from(EXIT_ERROR));
    }
}
