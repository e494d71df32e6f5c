use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use pyprov::cli::{Cli, Command};
use pyprov::commands;
use pyprov::error::exit;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
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
        Command::Completions { shell } => {
            let _ = std::io::stdout().write_all(&commands::completions::render(*shell));
            Ok(exit::OK)
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
