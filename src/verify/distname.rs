//! Python distribution file names, parsed so that two spellings of the same file compare equal.
//!
//! An attestation's subject names the file that was uploaded; the file on disk may be spelled
//! differently (`PyPI_Attestations-0.0.19.tar.gz` vs `pypi_attestations-0.0.19.tar.gz`, a reordered
//! compressed tag set, `1.0` vs `1.0.0`). PyPI and pypi-attestations compare the parsed forms, so
//! a plain string comparison would refuse legitimate files and teach users to ignore failures.

use std::collections::BTreeSet;
use std::str::FromStr;

use pep440_rs::Version;

/// A parsed wheel or sdist file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DistName {
    Wheel {
        name: String,
        version: Version,
        build: Option<String>,
        /// Every `python-abi-platform` triple the compressed tag set expands to.
        tags: BTreeSet<String>,
    },
    Sdist {
        name: String,
        version: Version,
        extension: &'static str,
    },
}

impl DistName {
    /// The normalized project name (PEP 503).
    pub fn project(&self) -> &str {
        match self {
            DistName::Wheel { name, .. } | DistName::Sdist { name, .. } => name,
        }
    }

    pub fn version(&self) -> &Version {
        match self {
            DistName::Wheel { version, .. } | DistName::Sdist { version, .. } => version,
        }
    }
}

/// Why a file name is not a distribution file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{name}` is not a wheel or sdist file name: {why}")]
pub struct DistNameError {
    pub name: String,
    pub why: &'static str,
}

/// PEP 503 normalization: lowercase, and runs of `-`, `_`, `.` become one `-`.
pub fn normalize_project_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut last_sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !last_sep {
                out.push('-');
            }
            last_sep = true;
        } else {
            out.extend(c.to_lowercase());
            last_sep = false;
        }
    }
    out
}

const SDIST_EXTENSIONS: [&str; 6] = [".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar"];

/// Parses a wheel (`name-version(-build)?-py-abi-plat.whl`) or sdist (`name-version.tar.gz`) name.
pub fn parse(file_name: &str) -> Result<DistName, DistNameError> {
    let err = |why| DistNameError {
        name: file_name.to_string(),
        why,
    };
    if let Some(stem) = file_name.strip_suffix(".whl") {
        let parts: Vec<&str> = stem.split('-').collect();
        let (name, version, build, py, abi, plat) = match parts.as_slice() {
            [n, v, py, abi, plat] => (*n, *v, None, *py, *abi, *plat),
            [n, v, b, py, abi, plat] => (*n, *v, Some(*b), *py, *abi, *plat),
            _ => return Err(err("a wheel name has 5 or 6 dash-separated parts")),
        };
        if name.is_empty() {
            return Err(err("the project name is empty"));
        }
        if let Some(b) = build {
            if !b.starts_with(|c: char| c.is_ascii_digit()) {
                return Err(err("a wheel build tag starts with a digit"));
            }
        }
        let version = Version::from_str(version).map_err(|_| err("the version is not PEP 440"))?;
        let mut tags = BTreeSet::new();
        for p in py.split('.') {
            for a in abi.split('.') {
                for l in plat.split('.') {
                    if p.is_empty() || a.is_empty() || l.is_empty() {
                        return Err(err("a wheel tag is empty"));
                    }
                    tags.insert(format!("{p}-{a}-{l}"));
                }
            }
        }
        return Ok(DistName::Wheel {
            name: normalize_project_name(name),
            version,
            build: build.map(str::to_string),
            tags,
        });
    }
    let lower = file_name.to_ascii_lowercase();
    let Some(extension) = SDIST_EXTENSIONS.into_iter().find(|e| lower.ends_with(e)) else {
        return Err(err("it ends neither in .whl nor in an sdist extension"));
    };
    let stem = &file_name[..file_name.len() - extension.len()];
    // The version never contains a dash in a normalized sdist name, so the last dash splits.
    let Some((name, version)) = stem.rsplit_once('-') else {
        return Err(err("an sdist name is NAME-VERSION"));
    };
    if name.is_empty() {
        return Err(err("the project name is empty"));
    }
    let version = Version::from_str(version).map_err(|_| err("the version is not PEP 440"))?;
    Ok(DistName::Sdist {
        name: normalize_project_name(name),
        version,
        extension,
    })
}

/// Whether two file names name the same distribution file, in parsed form.
///
/// Names that are not distribution names (a release binary, a text file) compare as exact
/// strings, which is what a generic Sigstore bundle would require.
pub fn same_file(a: &str, b: &str) -> bool {
    match (parse(a), parse(b)) {
        (Ok(x), Ok(y)) => x == y,
        (Err(_), Err(_)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdist_spellings_match() {
        assert!(same_file(
            "PyPI_Attestations-0.0.19.tar.gz",
            "pypi_attestations-0.0.19.tar.gz"
        ));
        assert!(same_file(
            "pypi-attestations-0.0.19.tar.gz",
            "pypi_attestations-0.0.19.tar.gz"
        ));
        assert!(same_file("foo-1.0.tar.gz", "foo-1.0.0.tar.gz"));
    }

    #[test]
    fn different_versions_or_kinds_do_not_match() {
        assert!(!same_file("foo-4.0.1.tar.gz", "foo-4.0.0.tar.gz"));
        assert!(!same_file("foo-1.0.tar.gz", "foo-1.0-py3-none-any.whl"));
        assert!(!same_file("foo-1.0.tar.gz", "foo-1.0.zip"));
        assert!(!same_file("foo-1.0.tar.gz", "bar-1.0.tar.gz"));
    }

    #[test]
    fn wheel_tag_sets_compare_expanded() {
        assert!(same_file(
            "spt3g-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "spt3g-1.0-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"
        ));
        assert!(same_file(
            "a-1-py2.py3-none-any.whl",
            "A-1.0-py3.py2-none-any.whl"
        ));
        assert!(!same_file(
            "a-1-py3-none-any.whl",
            "a-1-py2.py3-none-any.whl"
        ));
        assert!(!same_file("a-1-1-py3-none-any.whl", "a-1-py3-none-any.whl"));
    }

    #[test]
    fn non_dist_names_compare_exactly() {
        assert!(same_file("a.txt", "a.txt"));
        assert!(!same_file("a.txt", "A.txt"));
        assert!(!same_file("a.txt", "a-1.0.tar.gz"));
    }

    #[test]
    fn rejects_malformed_names() {
        for bad in [
            "x.whl",
            "-1.0-py3-none-any.whl",
            "a-notaversion!-py3-none-any.whl",
            "a-1-py3--any.whl",
            "a-1-x-py3-none-any.whl",
            "noversion.tar.gz",
            "a-1.0.exe",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn normalizes_names() {
        assert_eq!(normalize_project_name("Foo__Bar.-baz"), "foo-bar-baz");
    }
}
