//! `pyprov completions SHELL`: generated from the clap definitions, so they never drift.

use clap_complete::{generate, shells};

use crate::cli::{command_with_pip_flags, Shell};

pub fn render(shell: Shell) -> Vec<u8> {
    let mut cmd = command_with_pip_flags();
    let mut out = Vec::new();
    match shell {
        Shell::Bash => generate(shells::Bash, &mut cmd, "pyprov", &mut out),
        Shell::Zsh => generate(shells::Zsh, &mut cmd, "pyprov", &mut out),
        Shell::Fish => generate(shells::Fish, &mut cmd, "pyprov", &mut out),
    }
    out
}

/// The committed file for each shell, relative to the repository root.
pub fn committed_path(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => "completions/pyprov.bash",
        Shell::Zsh => "completions/_pyprov",
        Shell::Fish => "completions/pyprov.fish",
    }
}
