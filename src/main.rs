use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use pyprov::cli::{Cli, Command, ShimAction};
use pyprov::commands;
use pyprov::error::exit;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let argv0 = argv.first().cloned().unwrap_or_default();
    if pyprov::alias::invoked_as_pip(&argv0) {
        return finish(pyprov::alias::run(&argv0, &argv[1..]));
    }
    let help = pyprov::cli::pip_flags_help();
    let command = Cli::command()
        .mut_subcommand("install", |c| c.after_help(help.clone()))
        .mut_subcommand("download", |c| c.after_help(help.clone()));
    let parsed = command
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    let result = match &cli.command {
        Command::Verify(args) => commands::verify::run(args),
        Command::Inspect(args) => commands::inspect::run(args),
        Command::Trust(args) => commands::trust::run(args),
        Command::Install(args) => commands::install::run(args, pyprov::install::Mode::Install),
        Command::Download(args) => commands::install::run(args, pyprov::install::Mode::Download),
        Command::Lock(args) => commands::lock::run(args),
        Command::Pip { args } => pyprov::alias::run(&argv0, args),
        Command::Shim { action } => match action {
            ShimAction::Install { dir } => pyprov::alias::shim_install(dir),
            ShimAction::Remove { dir } => pyprov::alias::shim_remove(dir),
        },
        Command::Completions { shell } => {
            let _ = std::io::stdout().write_all(&commands::completions::render(*shell));
            Ok(exit::OK)
        }
    };
    finish(result)
}

fn finish(result: Result<u8, pyprov::error::CliError>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!(
                "error: {}",
                pyprov::output::term_lines(&pyprov::index::redact_text(&e.to_string()))
            );
            ExitCode::from(e.exit_code())
        }
    }
}
