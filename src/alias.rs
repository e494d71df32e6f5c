//! pyprov as a drop-in `pip`: invoked as `pip`, `pip3` or `pip3.X` (a link or a copy), or as
//! `pyprov pip ARGS`, `install` and `download` go through verification, commands that would
//! fetch or build outside it (`wheel`, `lock`, `index`, `search`, `list --outdated`) are refused
//! with what to run instead, and every other pip command runs the real pip unchanged, with its
//! output and exit status. The command is found as pip's main parser finds it, on pipopts'
//! table of general options.
//!
//! The real pip is found without ever running pyprov again: `PYPROV_REAL_PIP`, else the active
//! virtualenv's or the neighbouring interpreter's `python -m pip`, else the next `pip` on PATH
//! whose resolved executable is not pyprov. A guard variable makes a loop impossible even when
//! links point at each other in ways the checks cannot see.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{exit, CliError};
use crate::install::{self, Mode};
use crate::output;
use crate::pipopts::{self, cmds, traits, Command as PipCommand, OptError, Parsed, PipOption};

/// Set for the real pip pyprov runs; seeing it means pyprov was reached again from there.
const GUARD: &str = "PYPROV_ALIAS_ACTIVE";

/// Whether this executable was invoked under a pip name.
pub fn invoked_as_pip(argv0: &str) -> bool {
    let name = Path::new(argv0)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = name.strip_suffix(".exe").unwrap_or(&name);
    name == "pip"
        || name == "pip3"
        || name
            .strip_prefix("pip3.")
            .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
}

/// What pip's main parser makes of a command line (`parse_command` in pip's
/// `cli/main_parser.py`): general options are read with interspersed arguments off, so the first
/// positional word is the command.
#[derive(Debug, PartialEq, Eq)]
enum Split<'a> {
    /// `-h`/`--help` before the command: optparse prints pip's help while parsing and exits.
    Help,
    /// `-V`/`--version` (pip prints its version whatever follows), or no command (pip prints its
    /// help).
    NoCommand,
    /// The command word, and the arguments pip hands that command's parser: all of them but the
    /// first word equal to the command (pip's `args.remove(cmd_name)`), so general options
    /// before the command apply to it.
    Command {
        name: &'a str,
        args: Vec<String>,
        /// `--python` before the command: pip re-runs itself under that interpreter.
        python: Option<String>,
    },
}

/// Reads `args` as pip's main parser does, with pipopts' general options and optparse's rules
/// (exact long names, else an unambiguous prefix; `--name=value`; short clusters; `--`). A word
/// pip would reject is an error: pyprov does not guess where a command it cannot place begins.
fn split_command(args: &[String]) -> Result<Split<'_>, OptError> {
    let mut version = false;
    let mut python = None;
    let mut i = 0;
    let mut command = None;
    while let Some(arg) = args.get(i) {
        i += 1;
        if arg == "--" {
            command = args.get(i);
            break;
        }
        if let Some(rest) = arg.strip_prefix("--") {
            let (name, inline) = match rest.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (rest, None),
            };
            let option = pipopts::find_long(name, PipCommand::General)?;
            if inline.is_some() && !option.takes_value() {
                return Err(OptError::UnexpectedValue(format!("--{name}")));
            }
            match option.dest {
                "help" => return Ok(Split::Help),
                "version" => version = true,
                "python" => python = inline.or(args.get(i).map(String::as_str)),
                _ => {}
            }
            i += separate_value(option, inline, args.get(i), || format!("--{name}"))?;
            continue;
        }
        match arg.strip_prefix('-') {
            Some(cluster) if !cluster.is_empty() => {
                for (at, c) in cluster.char_indices() {
                    let option = pipopts::find_short(c, PipCommand::General)
                        .ok_or_else(|| OptError::Unknown(format!("-{c}")))?;
                    match option.dest {
                        "help" => return Ok(Split::Help),
                        "version" => version = true,
                        _ => {}
                    }
                    if option.takes_value() {
                        let rest = cluster.get(at + c.len_utf8()..).unwrap_or("");
                        let inline = Some(rest).filter(|r| !r.is_empty());
                        i += separate_value(option, inline, args.get(i), || format!("-{c}"))?;
                        break;
                    }
                }
            }
            _ => {
                command = Some(arg);
                break;
            }
        }
    }
    match command {
        Some(cmd) if !version => {
            let mut rest = args.to_vec();
            if let Some(at) = rest.iter().position(|a| a == cmd) {
                rest.remove(at);
            }
            Ok(Split::Command {
                name: cmd.as_str(),
                args: rest,
                python: python.map(str::to_string),
            })
        }
        _ => Ok(Split::NoCommand),
    }
}

/// How many following words an option's value takes: one when it takes a value not written
/// inline.
fn separate_value(
    option: &PipOption,
    inline: Option<&str>,
    next: Option<&String>,
    spelled: impl Fn() -> String,
) -> Result<usize, OptError> {
    if !option.takes_value() || inline.is_some() {
        return Ok(0);
    }
    next.map(|_| 1)
        .ok_or_else(|| OptError::MissingValue(spelled()))
}

/// What the drop-in does with one pip command line.
#[derive(Debug, PartialEq, Eq)]
enum Decision {
    /// It fetches and builds nothing: the real pip runs with the user's words.
    PassThrough,
    /// pyprov's install or download, with these arguments (pip's, general options included).
    Vet(Mode, Vec<String>),
    /// Refused with this message: pip would fetch or build what pyprov has not verified.
    Refuse(String),
}

/// Decides by the command pip would run, and for `list` by its options and pip's
/// configuration. Every command that can fetch a distribution is vetted or refused; an
/// unknown command passes, since pip refuses it without fetching anything.
fn decide(real: &RealPip, args: &[String]) -> Result<Decision, CliError> {
    let split = split_command(args).map_err(|e| {
        CliError::usage_with_fix(format!("pip: {e}"), "pyprov reads the options before pip's command as pip does, to know which command runs; pip refuses this command line too")
    })?;
    let Split::Command {
        name,
        args: rest,
        python,
    } = split
    else {
        return Ok(Decision::PassThrough);
    };
    Ok(match name {
        "install" | "download" => {
            let (mode, command) = if name == "install" {
                (Mode::Install, PipCommand::Install)
            } else {
                (Mode::Download, PipCommand::Download)
            };
            if asks_help(&rest, command) {
                Decision::PassThrough
            } else {
                // `download` without `-d` (anywhere) means the working directory, as in pip:
                // the installer knows, having read pip's configuration.
                Decision::Vet(mode, rest)
            }
        }
        "wheel" if asks_help(&rest, PipCommand::Wheel) => Decision::PassThrough,
        "lock" if asks_help(&rest, PipCommand::Lock) => Decision::PassThrough,
        "wheel" => Decision::Refuse(format!(
            "pip wheel would fetch and build distributions pyprov has not verified, so this pip does not run it\n  fix: fetch verified files with `pyprov download -d DIR REQUIREMENTS`, then build wheels from those alone with `{} wheel --no-index --find-links DIR REQUIREMENTS`",
            real.display()
        )),
        "lock" => Decision::Refuse(String::from("pip lock would fetch distributions pyprov has not verified to resolve them, so this pip does not run it\n  fix: `pyprov lock` takes the same arguments and writes a pylock.toml of verified files, with each package's proven publisher")),
        "index" => refuse_query(real, "pip index", args),
        "search" => refuse_query(real, "pip search", args),
        "list" => {
            if list_flag_asks_index(&rest) {
                refuse_query(real, "pip list --outdated/--uptodate", args)
            } else if list_config_asks_index(real, python, &rest)? {
                refuse_query(
                    real,
                    "pip list with outdated or uptodate set in pip's configuration",
                    args,
                )
            } else {
                Decision::PassThrough
            }
        }
        _ => Decision::PassThrough,
    })
}

/// Whether pip's parser for `command` meets `-h`/`--help` (it prints help there and exits).
/// A command line pyprov cannot parse is not help: pyprov's install reports the error.
fn asks_help(args: &[String], command: PipCommand) -> bool {
    pipopts::parse(args, command).is_ok_and(|parsed| {
        parsed
            .iter()
            .any(|p| matches!(p, Parsed::Opt { option, .. } if option.dest == "help"))
    })
}

/// `pip list`'s options that make it query an index (`--outdated`, `--uptodate`), from
/// pipopts' table.
fn list_index_options() -> impl Iterator<Item = &'static PipOption> {
    pipopts::OPTIONS
        .iter()
        .filter(|o| o.commands & cmds::LIST != 0 && o.has(traits::ASKS_INDEX))
}

/// Whether `pip list`'s own words ask for an index ([`list_index_options`]), read cautiously:
/// any long option that is a prefix of one of them, any short cluster with one of their letters
/// before a value-taking option of `list` (`-i`, `-f`), wherever it stands (a word that is in
/// fact a value only makes pyprov refuse).
fn list_flag_asks_index(args: &[String]) -> bool {
    let short = |c: char| {
        pipopts::OPTIONS
            .iter()
            .find(|o| o.commands & (cmds::LIST | cmds::GENERAL) != 0 && o.short == Some(c))
    };
    args.iter().any(|a| {
        if let Some(long) = a.strip_prefix("--") {
            let name = long.split_once('=').map_or(long, |(n, _)| n);
            !name.is_empty()
                && list_index_options()
                    .flat_map(|o| o.long.iter())
                    .any(|f| f.starts_with(name))
        } else if let Some(cluster) = a.strip_prefix('-') {
            for c in cluster.chars() {
                match short(c) {
                    Some(o) if o.has(traits::ASKS_INDEX) => return true,
                    Some(o) if o.takes_value() => return false,
                    _ => {}
                }
            }
            false
        } else {
            false
        }
    })
}

/// Whether pip's configuration for `list` (files and `PIP_*`, as pip's parser applies them)
/// turns one of [`list_index_options`] on.
fn list_config_asks_index(
    real: &RealPip,
    python: Option<String>,
    args: &[String],
) -> Result<bool, CliError> {
    // pip's own test: `"--isolated" in cmd_args`.
    let isolated = install::args::isolated(args);
    let config =
        pip_config(real, python, "list", isolated).map_err(|e| CliError::usage(e.to_string()))?;
    // Each option's last word in pip's override order.
    let mut on: Vec<(&str, bool)> = Vec::new();
    for (key, value) in &config {
        let Some(option) = list_index_options().find(|o| o.long.contains(&key.as_str())) else {
            continue;
        };
        // A value pip cannot read makes pip fail; count it as on all the same.
        let v = pipopts::strtobool(value) != Some(false);
        match on.iter_mut().find(|(dest, _)| *dest == option.dest) {
            Some(slot) => slot.1 = v,
            None => on.push((option.dest, v)),
        }
    }
    Ok(on.iter().any(|(_, v)| *v))
}

/// pip's configuration items for `command`, read through the pip that would run it (`--python`
/// names an interpreter or an environment, as for pip).
fn pip_config(
    real: &RealPip,
    python: Option<String>,
    command: &str,
    isolated: bool,
) -> Result<Vec<(String, String)>, install::pip::PipError> {
    let python = python.map(|p| {
        let p = PathBuf::from(p);
        if p.is_dir() {
            p.join("bin").join("python")
        } else {
            p
        }
    });
    let chosen = (real.program.clone(), real.prefix.clone());
    install::pip::Pip::locate(python.as_deref(), Some(&chosen), command, isolated).map(|p| p.config)
}

/// A refusal for a command that asks a package index directly, with the real pip to run if
/// the user accepts that.
fn refuse_query(real: &RealPip, what: &str, args: &[String]) -> Decision {
    let words: Vec<String> = args.iter().map(|a| shell_word(a)).collect();
    Decision::Refuse(format!(
        "{what} queries a package index outside pyprov's gate, so this pip does not run it\n  fix: if querying the index directly is acceptable, run the real pip: `{} {}`",
        real.display(),
        output::term(&words.join(" "))
    ))
}

/// `word` as a POSIX shell reads it back.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+%".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn is_self(candidate: &Path) -> bool {
    let me = std::env::current_exe().and_then(std::fs::canonicalize).ok();
    me.is_some() && std::fs::canonicalize(candidate).ok() == me
}

/// How to run the real pip: a program and the arguments before pip's own.
#[derive(Debug, Clone)]
pub struct RealPip {
    pub program: PathBuf,
    pub prefix: Vec<String>,
}

impl RealPip {
    /// The command line a person types to run it.
    pub fn display(&self) -> String {
        let mut s = output::term(&self.program.display().to_string()).into_owned();
        for p in &self.prefix {
            s.push(' ');
            s.push_str(&shell_word(p));
        }
        s
    }
}

pub fn find_real_pip(argv0: &str) -> Result<RealPip, CliError> {
    let looped = |what: String| {
        CliError::usage_with_fix(format!("{what}: the real pip would be pyprov itself, which would loop"), "set PYPROV_REAL_PIP to the real pip executable (for example /usr/local/bin/pip.real or `python -m pip`)")
    };
    if let Some(p) = std::env::var_os("PYPROV_REAL_PIP").filter(|p| !p.is_empty()) {
        let text = p.to_string_lossy().into_owned();
        // `python -m pip` in the variable means an interpreter.
        let mut words = text.split_whitespace();
        let program = PathBuf::from(words.next().unwrap_or_default());
        let prefix: Vec<String> = words.map(str::to_string).collect();
        let resolved = which::which(&program).unwrap_or(program.clone());
        if is_self(&resolved) {
            return Err(looped(format!("PYPROV_REAL_PIP={text}")));
        }
        return Ok(RealPip {
            program: resolved,
            prefix,
        });
    }
    let module = |python: PathBuf| RealPip {
        program: python,
        prefix: vec!["-m".into(), "pip".into()],
    };
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV").filter(|v| !v.is_empty()) {
        let py = PathBuf::from(venv).join("bin").join("python");
        if py.is_file() && !is_self(&py) {
            return Ok(module(py));
        }
    }
    // A shim in an environment's bin/ sits next to that environment's interpreter.
    let invoked = which::which(argv0)
        .ok()
        .or_else(|| Some(PathBuf::from(argv0)));
    if let Some(dir) = invoked.as_deref().and_then(Path::parent) {
        for name in ["python", "python3"] {
            let py = dir.join(name);
            if py.is_file() && !is_self(&py) {
                return Ok(module(py));
            }
        }
    }
    for name in ["pip", "pip3"] {
        if let Some(p) = install::pip::pips_on_path(name).into_iter().next() {
            return Ok(RealPip {
                program: p,
                prefix: Vec::new(),
            });
        }
    }
    Err(CliError::usage_with_fix(
        "no real pip found: not in PYPROV_REAL_PIP, the virtualenv, next to this link, nor on PATH",
        "set PYPROV_REAL_PIP=/path/to/pip or activate the virtualenv",
    ))
}

/// Runs pip ARGS as the drop-in would.
pub fn run(argv0: &str, args: &[String]) -> Result<u8, CliError> {
    if std::env::var_os(GUARD).is_some() {
        return Err(CliError::usage_with_fix(
            "pyprov was started again by the pip it runs as the real pip: a loop between links",
            "point PYPROV_REAL_PIP at the real pip executable",
        ));
    }
    let real = find_real_pip(argv0)?;
    match decide(&real, args)? {
        Decision::PassThrough => pass_through(&real, args),
        Decision::Vet(mode, rest) => {
            let own = install::args::from_env().map_err(|e| CliError::usage(e.to_string()))?;
            install::run(own, Some((real.program, real.prefix)), &rest, mode)
                .map_err(CliError::from)
        }
        Decision::Refuse(message) => Err(CliError::usage(message)),
    }
}

/// The real pip with exactly these arguments; its status becomes pyprov's.
fn pass_through(real: &RealPip, args: &[String]) -> Result<u8, CliError> {
    let mut cmd = Command::new(&real.program);
    cmd.args(&real.prefix).args(args).env(GUARD, "1");
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Replacing this process keeps pip's output, signals and status exactly pip's.
        let err = cmd.exec();
        Err(CliError::usage(format!(
            "cannot run {}: {err}",
            real.program.display()
        )))
    }
    #[cfg(not(unix))]
    {
        let status = cmd
            .status()
            .map_err(|e| CliError::usage(format!("cannot run {}: {e}", real.program.display())))?;
        Ok(status.code().map_or(exit::FAILED, |c| c as u8))
    }
}

const SHIM_NAMES: [&str; 2] = ["pip", "pip3"];
const BACKUP_SUFFIX: &str = ".pyprov-backup";

/// `pyprov shim install DIR`: links `pip` and `pip3` in DIR to this executable. A real pip
/// already there is kept beside it, for `shim remove` to put back.
pub fn shim_install(dir: &Path) -> Result<u8, CliError> {
    let me = std::env::current_exe().map_err(|e| CliError::usage(e.to_string()))?;
    for name in SHIM_NAMES {
        let link = dir.join(name);
        if is_self(&link) {
            println!("{} already runs pyprov", link.display());
            continue;
        }
        if link.symlink_metadata().is_ok() {
            let backup = with_suffix(&link, BACKUP_SUFFIX);
            std::fs::rename(&link, &backup).map_err(|e| CliError::read(&link, e))?;
            println!(
                "kept the previous {} as {}",
                link.display(),
                backup.display()
            );
        }
        symlink(&me, &link).map_err(|e| CliError::read(&link, e))?;
        println!("{} -> {}", link.display(), me.display());
    }
    Ok(exit::OK)
}

/// `pyprov shim remove DIR`: removes the links and restores what they replaced.
pub fn shim_remove(dir: &Path) -> Result<u8, CliError> {
    for name in SHIM_NAMES {
        let link = dir.join(name);
        if !is_self(&link) {
            continue;
        }
        std::fs::remove_file(&link).map_err(|e| CliError::read(&link, e))?;
        let backup = with_suffix(&link, BACKUP_SUFFIX);
        if backup.symlink_metadata().is_ok() {
            std::fs::rename(&backup, &link).map_err(|e| CliError::read(&backup, e))?;
            println!("restored {}", link.display());
        } else {
            println!("removed {}", link.display());
        }
    }
    Ok(exit::OK)
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s: OsString = p.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::fs::copy(target, link).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pip_names() {
        for n in ["pip", "/usr/bin/pip3", "pip3.12", "./bin/pip3.9"] {
            assert!(invoked_as_pip(n), "{n}");
        }
        for n in ["pyprov", "pip3.x", "pipx", "pip-sync", "pip3."] {
            assert!(!invoked_as_pip(n), "{n}");
        }
    }

    fn v(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    fn command(s: &str) -> (String, Vec<String>) {
        match split_command(&v(s)) {
            Ok(Split::Command { name, args, .. }) => (name.to_string(), args),
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn finds_the_command_as_pips_main_parser_does() {
        assert_eq!(command("install x"), ("install".into(), v("x")));
        assert_eq!(
            command("-v --cache-dir /c list"),
            ("list".into(), v("-v --cache-dir /c"))
        );
        assert_eq!(
            command("--default-t 60 --local-log=f -vq install x"),
            ("install".into(), v("--default-t 60 --local-log=f -vq x"))
        );
        assert_eq!(command("-- install x"), ("install".into(), v("-- x")));
        // The first word equal to the command goes, as pip's `args.remove(cmd_name)` does.
        assert_eq!(
            command("--log install -q install x"),
            ("install".into(), v("--log -q install x"))
        );
        assert_eq!(command("--log -h wheel"), ("wheel".into(), v("--log -h")));
        // pip has no command abbreviations: an unknown word is pip's to refuse.
        assert_eq!(command("inst x"), ("inst".into(), v("x")));
        assert_eq!(split_command(&v("-qh install x")), Ok(Split::Help));
        assert_eq!(split_command(&v("-V install x")), Ok(Split::NoCommand));
        assert_eq!(split_command(&v("--vers install x")), Ok(Split::NoCommand));
        assert_eq!(split_command(&v("-v --")), Ok(Split::NoCommand));
        assert_eq!(split_command(&v("")), Ok(Split::NoCommand));
        match split_command(&v("--python /p install x")) {
            Ok(Split::Command { python, .. }) => assert_eq!(python.as_deref(), Some("/p")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unplaceable_general_options_are_errors() {
        for s in [
            "--nope install x",
            "--pro http://x install y",
            "--timeout",
            "--isolated=1 install x",
            "-x install",
            "-é install",
            "--trust-file f install x",
        ] {
            assert!(split_command(&v(s)).is_err(), "{s}");
        }
    }

    #[test]
    fn list_index_flags_are_read_cautiously() {
        for s in ["-o", "--outdated", "--out", "-lu", "--upt=1", "--path -o"] {
            assert!(list_flag_asks_index(&v(s)), "{s}");
        }
        for s in [
            "",
            "-l",
            "--format=json",
            "-ihttps://pypi.org/simple",
            "--user",
            "--path /o",
        ] {
            assert!(!list_flag_asks_index(&v(s)), "{s}");
        }
    }

    #[test]
    fn shell_words_read_back() {
        assert_eq!(shell_word("a-b/c=1"), "a-b/c=1");
        assert_eq!(shell_word("it's x"), "'it'\\''s x'");
        assert_eq!(shell_word(""), "''");
    }
}
