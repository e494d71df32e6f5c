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
        return finish(
            pyprov::alias::run(&argv0, &argv[1..]),
            drop_in_wants_json(&argv[1..]),
        );
    }
    let help = pyprov::cli::pip_flags_help();
    let command = Cli::command()
        .mut_subcommand("install", |c| c.after_help(help.clone()))
        .mut_subcommand("download", |c| c.after_help(help.clone()));
    let parsed = command
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let json = wants_json(&argv[1..]);
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            if !e.use_stderr() {
                return ExitCode::from(exit::OK);
            }
            if json {
                let text = first_line(&e.render().to_string());
                print_json_error(
                    "usage",
                    &text,
                    Some("`pyprov help COMMAND` lists the flags"),
                    exit::USAGE,
                );
            }
            return ExitCode::from(exit::USAGE);
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
    let json = match &cli.command {
        Command::Pip { args } => drop_in_wants_json(args),
        _ => json,
    };
    finish(result, json)
}

/// The drop-in pip's words: `--format json` is pyprov's own only for the commands pyprov runs
/// itself; for the others (`pip list --format=json`) it is pip's, and pip prints.
fn drop_in_wants_json(args: &[String]) -> bool {
    let ours = args
        .iter()
        .any(|a| matches!(a.as_str(), "install" | "download" | "lock"));
    ours && wants_json(args)
}

/// The error a command ended with on stderr, and with `--format json` also as the one JSON
/// document on stdout (nothing was printed there before it: a command prints its report last).
fn finish(result: Result<u8, pyprov::error::CliError>, json: bool) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!(
                "error: {}",
                pyprov::output::term_lines(&pyprov::index::redact_text(&e.to_string()))
            );
            if json {
                let (message, fix) = e.message_and_fix();
                print_json_error(e.code(), &message, fix.as_deref(), e.exit_code());
            }
            ExitCode::from(e.exit_code())
        }
    }
}

/// Whether the command line asks for `--format json` (the last `--format` wins, as in clap and
/// among pip's words), read from the words themselves so that an error found before or while
/// parsing them is reported in JSON too.
fn wants_json(args: &[String]) -> bool {
    let mut json = false;
    let mut words = args.iter();
    while let Some(w) = words.next() {
        if w == "--" {
            break;
        }
        if w == "--format" {
            json = words.next().is_some_and(|v| v == "json");
        } else if let Some(v) = w.strip_prefix("--format=") {
            json = v == "json";
        }
    }
    json
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    line.strip_prefix("error: ").unwrap_or(line).to_string()
}

/// `{"error": {"code", "message", "fix"}, "exit_code"}` (docs/json.md), credentials redacted.
fn print_json_error(code: &str, message: &str, fix: Option<&str>, exit_code: u8) {
    let redact = |s: &str| pyprov::index::redact_text(s).to_string();
    let doc = serde_json::json!({
        "error": {
            "code": code,
            "message": redact(message),
            "fix": fix.map(redact),
        },
        "exit_code": exit_code,
    });
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}
