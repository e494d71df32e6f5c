//! The trust file, `pyprov.toml`: who may publish each package, what happens to files without
//! provenance, and whether publishers are pinned on first use.
//!
//! The file is written and reviewed by people, so pyprov edits it the way a careful person
//! would. The parts, each in its own module:
//! - the model ([`Contents`], [`Policy`], [`PackageEntry`], [`Unattested`]): what the file says;
//! - parse: text to model, every error pointing at its line and column;
//! - edit ([`Edit`]): `toml_edit` changes that keep every comment, blank line and the order of
//!   entries;
//! - the store ([`Store`]): the one owner of the file on disk, which finds it, reads and
//!   validates it, and changes it under a lock, re-reading it first so that two writers merge,
//!   and writing a new file beside it and renaming it over, so a crash leaves either the old
//!   file or the new one, never half of one.
//!
//! The decisions made with the file are in [`policy`], which does no I/O.

mod edit;
mod error;
mod model;
mod parse;
pub mod policy;
mod store;

pub use edit::{Edit, EditOutcome};
pub use error::TrustFileError;
pub use model::{Contents, Cooldown, PackageEntry, Policy, Unattested};
pub use store::{create, edit, find, search_top, PinOutcome, Store, FILE_NAME, TEMPLATE};

use crate::vocab::PackageName;

/// The trust file as the rest of the crate has always called it: the [`Store`].
pub type TrustFile = Store;

/// Whether `--locked` is in effect: the flag or `PYPROV_LOCKED` when given, else on when the
/// `CI` environment variable says this is a CI run.
pub fn resolve_locked(explicit: Option<bool>) -> bool {
    explicit.unwrap_or_else(|| {
        // Read as bytes: a value that is not UTF-8 is still set, and still means CI.
        std::env::var_os("CI").is_some_and(|v| {
            let v = v.to_string_lossy().trim().to_ascii_lowercase();
            !(v.is_empty() || v == "0" || v == "false" || v == "no")
        })
    })
}

/// A locked run needs a trust file: without one it would judge every package by the defaults
/// and pass a package nobody listed. `found` says whether discovery from `start` found one; `explicit` is
/// the `--locked` / `PYPROV_LOCKED` value, `None` when CI turned locking on.
pub fn require_when_locked(
    found: bool,
    start: &std::path::Path,
    locked: bool,
    explicit: Option<bool>,
) -> Result<(), TrustFileError> {
    if !locked || found {
        return Ok(());
    }
    Err(TrustFileError::LockedWithoutFile {
        start: start.to_path_buf(),
        top: search_top(start)?,
        by_ci: explicit.is_none(),
    })
}

/// Today's date for pin markers, UTC. `SOURCE_DATE_EPOCH` overrides it, so that runs (and
/// tests) can be reproduced.
pub fn pin_date() -> String {
    let now = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .unwrap_or_else(jiff::Timestamp::now);
    now.to_zoned(jiff::tz::TimeZone::UTC).date().to_string()
}

/// The marker written on learned pins.
pub fn pin_marker(date: &str) -> String {
    format!("tofu {date}")
}

/// The normalized name of a package given on the command line, or an error naming it.
pub fn package_name(name: &str) -> Result<PackageName, TrustFileError> {
    Ok(PackageName::new(name)?)
}

#[cfg(test)]
mod tests;
