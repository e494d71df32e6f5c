//! Why the trust file could not be used. Each error is a problem and, for most, the one thing
//! to do about it ([`TrustFileError::fix`]); the message users see is the problem, then
//! `\n  fix: ` and the fix.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::vocab::InvalidPackageName;

/// Trust-file failures. Every one of them is reported with exit status 2 at the edge.
#[derive(Debug, thiserror::Error)]
pub enum TrustFileError {
    /// The file is not TOML, or not a valid trust file.
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
        /// The offending line with a caret under the column, ready to print.
        excerpt: String,
        /// What the message was made from: the TOML parser's error, a publisher SPEC's, ...
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
    NotFound {
        path: PathBuf,
    },
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Walking up to find the trust file met a directory it cannot look into: going on would
    /// risk running without the file that governs the project.
    Discover {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
        /// A temporary file the failed write could not clean up.
        leftover: Option<PathBuf>,
    },
    Locked {
        path: PathBuf,
        lock: PathBuf,
        waited: Duration,
    },
    Unsupported {
        path: PathBuf,
    },
    NoEntry {
        path: PathBuf,
        package: String,
    },
    InvalidName(#[from] InvalidPackageName),
    /// `--locked` (or CI, which turns it on) with no trust file to be locked to: every package
    /// would be judged by the defaults, and an unlisted one would not fail the job.
    LockedWithoutFile {
        /// Where the search started (the working directory).
        start: PathBuf,
        /// The last directory searched: the repository root, the home directory, or `start`.
        top: PathBuf,
        /// Locked because `CI` is set, not by `--locked` / `PYPROV_LOCKED`.
        by_ci: bool,
    },
}

impl TrustFileError {
    /// What the user can do about it, when there is one thing to do.
    pub fn fix(&self) -> Option<String> {
        use TrustFileError as E;
        Some(match self {
            E::Parse { path, line, .. } => format!(
                "correct line {line} of {}; pyprov left the file unchanged",
                path.display()
            ),
            E::NotFound { .. } => "create it with `pyprov trust add PACKAGE SPEC`, or point --trust-file / PYPROV_TRUST_FILE at an existing file".into(),
            E::Discover { .. } => "make the directory readable, or name the trust file with --trust-file / PYPROV_TRUST_FILE".into(),
            E::Write { leftover, .. } => {
                let mut fix = String::from(
                    "the file was left as it was; check the directory's permissions and free space",
                );
                if let Some(tmp) = leftover {
                    fix.push_str(&format!(", and remove {}", tmp.display()));
                }
                fix
            }
            E::Locked { lock, .. } => format!(
                "wait for it to finish; if none is running, check that {} is on a file system that supports locks",
                lock.display()
            ),
            E::Unsupported { .. } => "write the entries under a [packages] header".into(),
            E::NoEntry { .. } => "`pyprov trust show` lists the entries".into(),
            E::LockedWithoutFile { top, .. } => format!(
                "create {} with `pyprov trust add NAME github:OWNER/REPO` (outside CI) and commit it, point --trust-file / PYPROV_TRUST_FILE at one, or run unlocked with --locked=false (PYPROV_LOCKED=0)",
                top.join(super::FILE_NAME).display()
            ),
            E::Read { .. } | E::InvalidName(_) => return None,
        })
    }

    /// The problem alone, without the fix.
    fn problem(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use TrustFileError as E;
        match self {
            E::Parse {
                path,
                line,
                column,
                message,
                excerpt,
                ..
            } => {
                // The excerpt ends its last line; the fix starts the next one.
                let excerpt = excerpt.strip_suffix('\n').unwrap_or(excerpt);
                let path = path.display();
                write!(f, "{path}:{line}:{column}: {message}\n{excerpt}")
            }
            E::NotFound { path } => write!(f, "trust file {} does not exist", path.display()),
            E::Read { path, source } => {
                write!(f, "cannot read trust file {}: {source}", path.display())
            }
            E::Discover { path, source } => write!(
                f,
                "cannot look for a trust file in {}: {source}",
                path.display()
            ),
            E::Write { path, source, .. } => {
                write!(f, "cannot write trust file {}: {source}", path.display())
            }
            E::Locked { path, waited, .. } => write!(
                f,
                "another pyprov has been writing {} for {}s",
                path.display(),
                waited.as_secs()
            ),
            E::Unsupported { path } => write!(
                f,
                "{}: `packages` must be a [packages] table for pyprov to edit it",
                path.display()
            ),
            E::NoEntry { path, package } => {
                write!(f, "{} has no entry for {package}", path.display())
            }
            E::InvalidName(InvalidPackageName(name)) => f.write_str(&invalid_name_message(name)),
            E::LockedWithoutFile { start, top, by_ci } => {
                let why = if *by_ci {
                    "--locked is in effect (CI is set)"
                } else {
                    "--locked is in effect"
                };
                let looked = if start == top {
                    format!("in {}", start.display())
                } else {
                    format!(
                        "in {} and each directory above it up to {}",
                        start.display(),
                        top.display()
                    )
                };
                write!(
                    f,
                    "{why}, but there is no trust file: no {} {looked}; a locked run allows only what a trust file lists",
                    super::FILE_NAME
                )
            }
        }
    }
}

impl fmt::Display for TrustFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.problem(f)?;
        match self.fix() {
            Some(fix) => write!(f, "\n  fix: {fix}"),
            None => Ok(()),
        }
    }
}

/// For a package name PEP 508 does not allow, on the command line or in the file.
pub(super) fn invalid_name_message(name: &str) -> String {
    format!("`{name}` is not a valid package name (letters, digits, and - _ . between them)")
}
