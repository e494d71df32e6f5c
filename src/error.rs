//! Errors at the edge: what went wrong with the user's input, turned into a message that names
//! the file and the fix, and an exit status.

use std::path::{Path, PathBuf};

/// Exit statuses, documented in the README.
pub mod exit {
    pub const OK: u8 = 0;
    /// A verification or policy failure.
    pub const FAILED: u8 = 1;
    /// A usage error or unreadable input.
    pub const USAGE: u8 = 2;
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is {size} bytes; provenance files are limited to {limit} bytes", path.display())]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: usize,
    },
    #[error("trusted root {}: {message}\n  fix: pass a Sigstore trusted_root.json (for example from `sigstore`'s TUF repository), or omit --trusted-root to use the embedded production root", path.display())]
    TrustRoot { path: PathBuf, message: String },
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Trust(#[from] crate::trust::TrustFileError),
    #[error(transparent)]
    File(#[from] crate::files::FileError),
}

impl CliError {
    pub fn read(path: &Path, source: std::io::Error) -> Self {
        CliError::Read {
            path: path.to_path_buf(),
            source,
        }
    }

    pub fn exit_code(&self) -> u8 {
        exit::USAGE
    }
}
