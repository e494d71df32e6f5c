//! Why a lock could not be read or written. The message names the file and the key; the fix
//! is its last line (`\n  fix: ...`), as everywhere in pyprov.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Not TOML, or a key of the wrong type or missing (the TOML reader's message, with the
    /// line, column and excerpt).
    #[error("{}: not a valid lock (PEP 751): {message}\n  fix: {fix}", path.display())]
    Syntax {
        path: PathBuf,
        message: String,
        fix: String,
        #[source]
        source: Box<toml_edit::de::Error>,
    },
    /// Read as TOML, but against a rule of PEP 751.
    #[error("{}: `{key}` {message}\n  fix: {fix}", path.display())]
    Invalid {
        path: PathBuf,
        /// Where: `packages[2].wheels[0].hashes`.
        key: String,
        message: String,
        fix: String,
    },
    /// A lock-version this reader does not know.
    #[error("{}: lock-version {version} is not supported (pyprov reads lock-version 1.x)\n  fix: write the lock with a tool that emits lock-version 1.0, or upgrade pyprov", path.display())]
    UnsupportedVersion { path: PathBuf, version: String },
    /// The model could not be written as TOML (a value TOML cannot hold).
    #[error("cannot write the lock as TOML: {0}\n  fix: this is a bug in pyprov; please report it with the lock's packages")]
    Write(#[source] Box<toml_edit::ser::Error>),
}
