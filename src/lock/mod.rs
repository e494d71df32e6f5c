//! pylock.toml (PEP 751): the model ([`Lock`]), [`parse`] (which checks what the specification
//! requires and names the key and the fix when a lock breaks it) and [`to_toml_string`], which
//! writes a lock that pip (26.1+) and uv read. Unknown keys survive a read and a write.
//!
//! Pure: text in, a model out, and back. Reading the file and choosing what to install from
//! it are the installer's (`install::fromlock`).

mod error;
mod identity;
pub mod marker;
mod model;
mod write;

#[cfg(test)]
mod tests;

use std::path::Path;

pub use error::LockError;
pub use identity::Signer;
pub use model::{
    Archive, AttestationIdentity, Directory, FileEntry, Hashes, Lock, Package, Table, TomlValue,
    Vcs,
};
pub use write::to_toml_string;

use crate::verify::distname::{self, DistName};
use crate::vocab::{term, PackageName};

/// Whether a file name is a lock's: `pylock.toml` or `pylock.NAME.toml` (NAME without dots), as
/// PEP 751 and pip name them.
pub fn is_lock_file_name(file_name: &str) -> bool {
    if file_name == "pylock.toml" {
        return true;
    }
    file_name
        .strip_prefix("pylock.")
        .and_then(|rest| rest.strip_suffix(".toml"))
        .is_some_and(|name| !name.is_empty() && !name.contains('.'))
}

/// Reads a lock's text. `path` is only named in messages.
pub fn parse(path: &Path, text: &str) -> Result<Lock, LockError> {
    let lock: Lock = toml_edit::de::from_str(text).map_err(|source| LockError::Syntax {
        path: path.to_path_buf(),
        message: source.to_string().trim_end().to_string(),
        fix: "correct the key the message points at, or write the lock again with its tool".into(),
        source: Box::new(source),
    })?;
    validate(path, &lock)?;
    Ok(lock)
}

/// The rules PEP 751 states that the types alone do not hold. A message quotes the lock's own
/// strings through [`term`]: a character a terminal could act on (or a line break, which could
/// forge a `fix:` line) is shown escaped.
fn validate(path: &Path, lock: &Lock) -> Result<(), LockError> {
    let invalid = |key: String, message: String, fix: &str| LockError::Invalid {
        path: path.to_path_buf(),
        key,
        message: term(&message).into_owned(),
        fix: fix.to_string(),
    };
    let version = lock.lock_version.parse::<pep440_rs::Version>().ok();
    match version {
        Some(v) if v.release().first() == Some(&1) => {}
        _ => {
            return Err(LockError::UnsupportedVersion {
                path: path.to_path_buf(),
                version: term(&lock.lock_version).into_owned(),
            })
        }
    }
    if let Some(spec) = &lock.requires_python {
        if spec.parse::<pep440_rs::VersionSpecifiers>().is_err() {
            return Err(invalid(
                "requires-python".into(),
                format!("is not a version specifier: `{spec}`"),
                "write it as PEP 440 specifiers, like `>=3.9`",
            ));
        }
    }
    for (i, marker) in lock.environments.iter().flatten().enumerate() {
        if marker::to_pep508(marker)
            .parse::<pep508_rs::MarkerTree>()
            .is_err()
        {
            return Err(invalid(
                format!("environments[{i}]"),
                format!("is not a PEP 508 marker: `{marker}`"),
                "write each environment as a marker, like `sys_platform == \"linux\"`",
            ));
        }
    }
    for (i, extra) in lock.extras.iter().flatten().enumerate() {
        if !PackageName::new(extra).is_ok_and(|n| n.as_str() == extra) {
            return Err(invalid(
                format!("extras[{i}]"),
                format!("is not a normalized name: `{extra}`"),
                "write extras normalized (lowercase, runs of `-_.` as one `-`)",
            ));
        }
    }
    for (i, package) in lock.packages.iter().enumerate() {
        validate_package(package, &format!("packages[{i}]"), &invalid)?;
    }
    Ok(())
}

fn validate_package(
    package: &Package,
    at: &str,
    invalid: &dyn Fn(String, String, &str) -> LockError,
) -> Result<(), LockError> {
    let name = &package.name;
    let version = match &package.version {
        Some(text) => match text.parse::<pep440_rs::Version>() {
            Ok(v) => Some(v),
            Err(_) => {
                return Err(invalid(
                    format!("{at}.version"),
                    format!("of {name} is not a PEP 440 version: `{text}`"),
                    "write the version the package's metadata has",
                ))
            }
        },
        None => None,
    };
    if let Some(marker) = &package.marker {
        if marker::to_pep508(marker)
            .parse::<pep508_rs::MarkerTree>()
            .is_err()
        {
            return Err(invalid(
                format!("{at}.marker"),
                format!("of {name} is not a PEP 508 marker: `{marker}`"),
                "write the marker as PEP 508 says, or write the lock again with its tool",
            ));
        }
    }
    if let Some(spec) = &package.requires_python {
        if spec.parse::<pep440_rs::VersionSpecifiers>().is_err() {
            return Err(invalid(
                format!("{at}.requires-python"),
                format!("of {name} is not a version specifier: `{spec}`"),
                "write it as PEP 440 specifiers, like `>=3.9`",
            ));
        }
    }
    let distributions =
        usize::from(package.sdist.is_some()) + package.wheels.as_ref().map_or(0, Vec::len);
    let direct = usize::from(package.vcs.is_some())
        + usize::from(package.directory.is_some())
        + usize::from(package.archive.is_some());
    if distributions > 0 && direct > 0 {
        return Err(invalid(
            at.to_string(),
            format!("({name}) has sdist or wheels and also vcs, directory or archive"),
            "keep either the index files (sdist, wheels) or one of vcs, directory, archive",
        ));
    }
    if distributions == 0 && direct != 1 {
        return Err(invalid(
            at.to_string(),
            format!("({name}) needs exactly one of vcs, directory, archive when it has no sdist or wheels"),
            "give the package its files (sdist, wheels) or exactly one of vcs, directory, archive",
        ));
    }
    if let Some(vcs) = &package.vcs {
        if vcs.url.is_none() && vcs.path.is_none() {
            return Err(invalid(
                format!("{at}.vcs"),
                format!("of {name} has neither `url` nor `path`"),
                "give the repository's url or path",
            ));
        }
    }
    if let Some(archive) = &package.archive {
        check_file(
            archive.url.as_deref(),
            archive.path.as_deref(),
            &archive.hashes,
            &format!("{at}.archive"),
            name,
            invalid,
        )?;
    }
    if let Some(sdist) = &package.sdist {
        let key = format!("{at}.sdist");
        check_file(
            sdist.url.as_deref(),
            sdist.path.as_deref(),
            &sdist.hashes,
            &key,
            name,
            invalid,
        )?;
        check_file_name(
            sdist,
            FileKind::Sdist,
            &key,
            name,
            version.as_ref(),
            invalid,
        )?;
    }
    for (j, id) in package.attestation_identities.iter().flatten().enumerate() {
        check_identity(
            id,
            &format!("{at}.attestation-identities[{j}]"),
            name,
            invalid,
        )?;
    }
    for (j, wheel) in package.wheels.iter().flatten().enumerate() {
        let key = format!("{at}.wheels[{j}]");
        check_file(
            wheel.url.as_deref(),
            wheel.path.as_deref(),
            &wheel.hashes,
            &key,
            name,
            invalid,
        )?;
        check_file_name(
            wheel,
            FileKind::Wheel,
            &key,
            name,
            version.as_ref(),
            invalid,
        )?;
    }
    Ok(())
}

/// An identity of a kind pyprov knows holds its required key, and only keys pyprov checks
/// ([`identity::KINDS`]), each a string: a key of another type, or one pyprov does not check,
/// would let any signer through where the lock meant to restrict it. Its keys name one
/// publisher ([`AttestationIdentity::signer`]). An unknown kind is left alone (it never
/// matches).
fn check_identity(
    id: &AttestationIdentity,
    key: &str,
    name: &PackageName,
    invalid: &dyn Fn(String, String, &str) -> LockError,
) -> Result<(), LockError> {
    let Some(keys) = identity::keys_of(&id.kind) else {
        return Ok(());
    };
    let shown_kind = term(&id.kind);
    for (k, v) in &id.fields {
        if !keys.contains(&k.as_str()) {
            return Err(invalid(
                format!("{key}.{}", term(k)),
                format!(
                    "of {name}: a {shown_kind} identity has no key `{}` that pyprov checks, so it would not restrict the signer",
                    term(k)
                ),
                &format!(
                    "remove it, and say who may sign with the keys pyprov checks: {}",
                    keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        if !v.is_str() {
            return Err(invalid(
                format!("{key}.{k}"),
                format!(
                    "of {name} is {}, and a {shown_kind} identity's `{k}` is a string",
                    v.type_name()
                ),
                &format!("write it as one string, like `{k} = \"...\"`"),
            ));
        }
    }
    if let Some(required) = keys.first() {
        if id.get_str(required).is_none_or(str::is_empty) {
            return Err(invalid(
                key.to_string(),
                format!(
                    "of {name}: a {shown_kind} identity without `{required}` names no publisher"
                ),
                &format!("give it `{required}`, or remove the identity"),
            ));
        }
    }
    // Its keys make one publisher, read as the shapes PublisherSpec takes.
    if let Err(why) = id.signer() {
        return Err(invalid(
            key.to_string(),
            format!("of {name}: {why}"),
            "write the keys as the package's trusted publisher has them (PEP 740): a GitHub or GitLab `repository` as OWNER/NAME, a `workflow` as its file name",
        ));
    }
    Ok(())
}

fn check_file(
    url: Option<&str>,
    path: Option<&str>,
    hashes: &Hashes,
    key: &str,
    name: &PackageName,
    invalid: &dyn Fn(String, String, &str) -> LockError,
) -> Result<(), LockError> {
    if url.is_none_or(str::is_empty) && path.is_none_or(str::is_empty) {
        return Err(invalid(
            key.to_string(),
            format!("of {name} has neither `url` nor `path`"),
            "give the file's url (or its path next to the lock)",
        ));
    }
    if hashes.is_empty() {
        return Err(invalid(
            format!("{key}.hashes"),
            format!("of {name} holds no hash"),
            "add the file's sha256: `hashes = {sha256 = \"...\"}`",
        ));
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum FileKind {
    Sdist,
    Wheel,
}

/// The file's name is a distribution's (as `verify::distname` parses it, the one parser the gate
/// judges a file by), of the kind its key says, and names this package and its version.
fn check_file_name(
    file: &FileEntry,
    kind: FileKind,
    key: &str,
    name: &PackageName,
    version: Option<&pep440_rs::Version>,
    invalid: &dyn Fn(String, String, &str) -> LockError,
) -> Result<(), LockError> {
    let Some(file_name) = file.file_name() else {
        return Err(invalid(
            key.to_string(),
            format!("of {name}: its file name cannot be told from `name`, `path` or `url`"),
            "add `name = \"...\"` with the file's name",
        ));
    };
    let what = match kind {
        FileKind::Wheel => "wheel",
        FileKind::Sdist => "sdist",
    };
    let parsed = match distname::parse(&file_name) {
        Ok(parsed) => parsed,
        Err(e) => {
            return Err(invalid(
                key.to_string(),
                format!(
                    "of {name}: `{file_name}` is not a valid {what} file name: {}",
                    e.problem
                ),
                "name the file as the packaging specifications say (NAME-VERSION...)",
            ))
        }
    };
    let right_kind = matches!(
        (kind, &parsed),
        (FileKind::Wheel, DistName::Wheel { .. }) | (FileKind::Sdist, DistName::Sdist { .. })
    );
    if !right_kind {
        return Err(invalid(
            key.to_string(),
            match kind {
                FileKind::Wheel => {
                    format!("of {name}: `{file_name}` is an sdist, listed as a wheel")
                }
                FileKind::Sdist => {
                    format!("of {name}: `{file_name}` is a wheel, listed as the sdist")
                }
            },
            "list wheels under `wheels` and the sdist under `sdist`",
        ));
    }
    if PackageName::normalize(parsed.project()) != *name {
        return Err(invalid(
            key.to_string(),
            format!("of {name}: `{file_name}` is another package's file"),
            "list the file under its own package, or correct the package's name",
        ));
    }
    if let Some(version) = version {
        if parsed.version() != version {
            return Err(invalid(
                key.to_string(),
                format!("of {name}: `{file_name}` is not version {version}"),
                "list the file under the package entry of its own version",
            ));
        }
    }
    Ok(())
}
