//! The error a command ends with: each layer's typed error (with its sources), or a usage
//! error of the command itself. Each variant says its exit status and its fix; `main` prints
//! the message, whose last line is the fix.

use std::path::{Path, PathBuf};

pub use crate::exit;
use crate::files::FileError;
use crate::install::InstallError;
use crate::trust::TrustFileError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A file pyprov was pointed at could not be read or changed.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file pyprov writes (the lock of `pyprov lock`) could not be written.
    #[error("cannot write {}: {source}\n  fix: name a file in a directory that exists and you can write (-o FILE)", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A lock pyprov made could not be written as TOML.
    #[error("{} was not written: {source}", path.display())]
    Lock {
        path: PathBuf,
        #[source]
        source: crate::lock::LockError,
    },
    /// The command line asks for something that cannot be done as asked.
    #[error("{message}{}", fix.as_deref().map(|f| format!("\n  fix: {f}")).unwrap_or_default())]
    Usage {
        message: String,
        fix: Option<String>,
    },
    #[error("cannot read the working directory: {0}")]
    WorkingDirectory(#[source] std::io::Error),
    #[error(transparent)]
    Trust(#[from] TrustFileError),
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Install(#[from] InstallError),
}

impl CliError {
    pub fn read(path: &Path, source: std::io::Error) -> Self {
        CliError::Read {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A usage error with nothing more to say than its message.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError::Usage {
            message: message.into(),
            fix: None,
        }
    }

    /// A usage error and what to do about it.
    pub fn usage_with_fix(message: impl Into<String>, fix: impl Into<String>) -> Self {
        CliError::Usage {
            message: message.into(),
            fix: Some(fix.into()),
        }
    }

    /// The exit status, by kind: every error a command ends with is a usage or input error
    /// (2). Verification and policy failures are not errors: commands return them as
    /// [`exit::FAILED`] with their report.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Read { .. }
            | CliError::Write { .. }
            | CliError::Lock { .. }
            | CliError::Usage { .. }
            | CliError::WorkingDirectory(_)
            | CliError::Trust(_)
            | CliError::File(_)
            | CliError::Install(_) => exit::USAGE,
        }
    }

    /// A stable, machine-readable name for the kind of error: the `code` of the JSON error
    /// object (docs/json.md).
    pub fn code(&self) -> &'static str {
        match self {
            CliError::Usage { .. } => "usage",
            CliError::Read { .. } => "unreadable-file",
            CliError::Write { .. } => "cannot-write",
            CliError::Lock { .. } => "lock-not-written",
            CliError::WorkingDirectory(_) => "working-directory",
            CliError::Trust(e) | CliError::Install(InstallError::Trust(e)) => trust_code(e),
            CliError::File(_) => "unreadable-file",
            CliError::Install(e) => match e {
                InstallError::Args(_)
                | InstallError::NoDownloadDir
                | InstallError::ReportAndJson
                | InstallError::Unattested(_) => "usage",
                InstallError::Pip(_) | InstallError::RunPip { .. } => "pip",
                InstallError::Requirements(_) | InstallError::Inputs(_) => "requirements",
                InstallError::Lock(_) | InstallError::LockFile(_) => "pylock",
                InstallError::TrustedRoot(_) => "trusted-root",
                _ => "install",
            },
        }
    }

    /// The message and the fix, apart: the message is everything before its last
    /// `\n  fix: ` line (every error ends with its fix there, when it has one).
    pub fn message_and_fix(&self) -> (String, Option<String>) {
        let text = self.to_string();
        match text.rsplit_once("\n  fix: ") {
            Some((message, fix)) => (message.to_string(), Some(fix.to_string())),
            None => (text, self.fix()),
        }
    }

    /// What to do about it, when the error knows.
    pub fn fix(&self) -> Option<String> {
        match self {
            CliError::Usage { fix, .. } => fix.clone(),
            CliError::Trust(e) => e.fix(),
            CliError::Install(InstallError::Trust(e)) => e.fix(),
            CliError::Write { .. } => Some(
                "name a file in a directory that exists and you can write (-o FILE)".to_string(),
            ),
            // A lock's error ends with its fix line, which message_and_fix splits off.
            CliError::Lock { .. }
            | CliError::Read { .. }
            | CliError::WorkingDirectory(_)
            | CliError::File(_)
            | CliError::Install(_) => None,
        }
    }
}

fn trust_code(e: &crate::trust::TrustFileError) -> &'static str {
    use crate::trust::TrustFileError as E;
    match e {
        E::LockedWithoutFile { .. } => "no-trust-file",
        E::NotFound { .. } => "trust-file-not-found",
        E::Locked { .. } => "trust-file-busy",
        E::InvalidName(_) => "usage",
        _ => "trust-file",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fix_is_data_and_the_last_line() {
        let e = CliError::usage_with_fix("no trust file", "run `pyprov trust add`");
        assert_eq!(
            e.to_string(),
            "no trust file\n  fix: run `pyprov trust add`"
        );
        assert_eq!(e.fix().as_deref(), Some("run `pyprov trust add`"));
        assert_eq!(e.exit_code(), exit::USAGE);
        assert_eq!(CliError::usage("bad").to_string(), "bad");
    }
}
