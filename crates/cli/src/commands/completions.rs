//! `driftless completions`: shell completion scripts.

use anyhow::{Context as _, Result};
use clap::CommandFactory;
use clap_complete::Shell;

use super::Ctx;
use crate::args::{Cli, CompletionsArgs, ShellArg};
use crate::Status;

/// Prints the completion script for the shell.
pub fn run(ctx: &Ctx, args: &CompletionsArgs) -> Result<Status> {
    let shell = match args.shell {
        ShellArg::Bash => Shell::Bash,
        ShellArg::Zsh => Shell::Zsh,
        ShellArg::Fish => Shell::Fish,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "driftless", &mut script);
    let script = String::from_utf8_lossy(&script);
    ctx.write_stdout(&script)
        .context("writing the completion script")?;
    Ok(Status::Clean)
}
