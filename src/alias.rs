//! pyprov as a drop-in `pip`: invoked as `pip`, `pip3` or `pip3.X` (a link or a copy), or as
//! `pyprov pip ARGS`, `install` and `download` go through verification and every other pip
//! command runs the real pip unchanged, with its output and exit status.
//!
//! The real pip is found without ever running pyprov again: `PYPROV_REAL_PIP`, else the active
//! virtualenv's or the neighbouring interpreter's `python -m pip`, else the next `pip` on PATH
//! whose resolved executable is not pyprov. A guard variable makes a loop impossible even when
//! links point at each other in ways the checks cannot see.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{exit, CliError};
use crate::install::{self, args::OwnArgs, Mode};

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

/// pip's general options that take a value; they may stand before the command.
const GENERAL_VALUE_OPTIONS: &[&str] = &[
    "--python",
    "--log",
    "--log-file",
    "--proxy",
    "--retries",
    "--timeout",
    "--exists-action",
    "--trusted-host",
    "--cert",
    "--client-cert",
    "--cache-dir",
    "--use-feature",
    "--use-deprecated",
    "--keyring-provider",
    "--resume-retries",
];

/// The pip command (`install`, `list`, ...) and its position in `args`.
fn command_of(args: &[String]) -> Option<(usize, &str)> {
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            return None;
        }
        if a.starts_with('-') {
            if GENERAL_VALUE_OPTIONS.contains(&a.as_str()) {
                i += 1;
            }
            i += 1;
            continue;
        }
        return Some((i, a.as_str()));
    }
    None
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

pub fn find_real_pip(argv0: &str) -> Result<RealPip, CliError> {
    let looped = |what: String| {
        CliError::Usage(format!(
            "{what}: the real pip would be pyprov itself, which would loop\n  fix: set PYPROV_REAL_PIP to the real pip executable (for example /usr/local/bin/pip.real or `python -m pip`)"
        ))
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
    Err(CliError::Usage(
        "no real pip found: not in PYPROV_REAL_PIP, the virtualenv, next to this link, nor on PATH\n  fix: set PYPROV_REAL_PIP=/path/to/pip or activate the virtualenv".into(),
    ))
}

/// Runs pip ARGS as the drop-in would.
pub fn run(argv0: &str, args: &[String]) -> Result<u8, CliError> {
    if std::env::var_os(GUARD).is_some() {
        return Err(CliError::Usage(
            "pyprov was started again by the pip it runs as the real pip: a loop between links\n  fix: point PYPROV_REAL_PIP at the real pip executable".into(),
        ));
    }
    let real = find_real_pip(argv0)?;
    match command_of(args) {
        Some((i, "install")) | Some((i, "download")) => {
            let mode = if args[i] == "install" {
                Mode::Install
            } else {
                Mode::Download
            };
            let mut rest: Vec<String> = args[..i].to_vec();
            rest.extend_from_slice(&args[i + 1..]);
            if rest.iter().any(|a| a == "-h" || a == "--help") {
                return pass_through(&real, args);
            }
            let own = OwnArgs {
                real_pip: Some((real.program, real.prefix)),
                ..OwnArgs::from_env()
            };
            install::run(own, &rest, mode).map_err(|e| CliError::Usage(e.to_string()))
        }
        _ => pass_through(&real, args),
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
        Err(CliError::Usage(format!(
            "cannot run {}: {err}",
            real.program.display()
        )))
    }
    #[cfg(not(unix))]
    {
        let status = cmd
            .status()
            .map_err(|e| CliError::Usage(format!("cannot run {}: {e}", real.program.display())))?;
        Ok(status.code().map_or(exit::FAILED, |c| c as u8))
    }
}

const SHIM_NAMES: [&str; 2] = ["pip", "pip3"];
const BACKUP_SUFFIX: &str = ".pyprov-backup";

/// `pyprov shim install DIR`: links `pip` and `pip3` in DIR to this executable. A real pip
/// already there is kept beside it, for `shim remove` to put back.
pub fn shim_install(dir: &Path) -> Result<u8, CliError> {
    let me = std::env::current_exe().map_err(|e| CliError::Usage(e.to_string()))?;
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

    #[test]
    fn finds_the_command() {
        let v = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(command_of(&v("install x")), Some((0, "install")));
        assert_eq!(command_of(&v("-v --cache-dir /c list")), Some((3, "list")));
        assert_eq!(command_of(&v("--version")), None);
        assert_eq!(
            command_of(&v("--python /p -q download x")),
            Some((3, "download"))
        );
    }
}
