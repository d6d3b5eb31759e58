//! The progress bar of a fleet run on stderr: targets done of all, how
//! many drifted and failed, the rate. Hidden with -q or off a terminal.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use driftless_pipeline::fleet::TargetReport;
use driftless_pipeline::{Progress, Stage};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The bar, and the counts it shows.
pub struct Bar {
    bar: ProgressBar,
    drifted: AtomicUsize,
    failed: AtomicUsize,
}

impl Bar {
    /// A bar on stderr, or a hidden one (`quiet`, or stderr is no terminal).
    pub fn new(quiet: bool) -> Bar {
        let target = if quiet || !std::io::stderr().is_terminal() {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        set_template(
            &bar,
            "{spinner} {pos} targets, {msg} {per_sec:.dim} {elapsed:.dim}",
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        let bar = Bar {
            bar,
            drifted: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
        };
        bar.show_counts();
        bar
    }

    /// How many targets there are, once known.
    pub fn set_total(&self, total: usize) {
        set_template(
            &self.bar,
            "{spinner} {bar:20} {pos}/{len} targets, {msg} {per_sec:.dim} {elapsed:.dim}",
        );
        self.bar.set_length(total as u64);
    }

    /// One target finished.
    pub fn done(&self, report: &TargetReport) {
        if report.error.is_some() {
            self.failed.fetch_add(1, Ordering::Relaxed);
        } else if report.drifted {
            self.drifted.fetch_add(1, Ordering::Relaxed);
        }
        self.show_counts();
        self.bar.inc(1);
    }

    fn show_counts(&self) {
        self.bar.set_message(format!(
            "{} drifted, {} failed",
            self.drifted.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed)
        ));
    }

    /// Clears the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

fn set_template(bar: &ProgressBar, template: &str) {
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
}

/// The fleet's stages (reading the tenants' schemas) shown on the bar.
pub struct BarProgress(pub std::sync::Arc<Bar>);

struct BarStage<'a>(&'a Bar);

impl Stage for BarStage<'_> {
    fn set(&self, message: &str) {
        tracing::info!(step = %message);
        self.0.bar.set_message(message.to_string());
    }
}

impl Drop for BarStage<'_> {
    fn drop(&mut self) {
        self.0.show_counts();
    }
}

impl Progress for BarProgress {
    fn begin(&self, message: &str) -> Box<dyn Stage + '_> {
        let stage = BarStage(&self.0);
        stage.set(message);
        Box::new(stage)
    }
}
