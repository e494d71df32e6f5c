//! Python distribution file names, parsed by `packaging`'s rules so that pyprov and the tools
//! around it agree on what a file is.
//!
//! Two reasons to parse rather than compare strings. An attestation's subject names the file that
//! was uploaded; the file on disk may be spelled differently (`PyPI_Attestations-0.0.19.tar.gz`
//! vs `pypi_attestations-0.0.19.tar.gz`, a reordered compressed tag set, `1.0` vs `1.0.0`), and
//! PyPI and pypi-attestations compare the parsed forms. And the project a file belongs to decides
//! which pin and which trust entry apply to it: if pyprov read a name one way and pip another,
//! a file could pass under one project's rules and install as another's.
//!
//! So [`parse`] follows `packaging.utils.parse_wheel_filename` and `parse_sdist_filename`
//! (packaging 26.4; `tests/cli/distnames.rs` checks it against the real thing): same accept/reject,
//! same canonical name, version, build tag and tag set. It is narrower in exactly three ways,
//! each because a listed file name is also a name pyprov writes to disk and shows to users:
//! - the name must be a [plain file name](is_plain_file_name);
//! - every character must be printable ASCII without space: packaging lets Unicode word
//!   characters into wheel names, Unicode whitespace around versions, and anything at all into
//!   sdist names, which no valid project name (ASCII by the core metadata spec) needs, and which
//!   would make agreement depend on two Unicode databases;
//! - every number in the version must fit in 64 bits (packaging's are unbounded).

#![deny(clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::fmt;

use pep440_rs::{LocalSegment, Prerelease, PrereleaseKind, Version};

/// A parsed wheel or sdist file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DistName {
    Wheel {
        name: String,
        version: Version,
        build: Option<BuildTag>,
        tags: TagSet,
    },
    Sdist {
        name: String,
        version: Version,
        /// `.tar.gz` or `.zip`, the only two sdist formats the packaging spec allows.
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

/// A wheel's build tag: a number, then anything (PEP 427). Two tags are equal when their numbers
/// are equal as integers and their suffixes as strings, as in packaging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildTag {
    /// The decimal digits without leading zeros (`"0"` for zero): unbounded, like packaging's.
    pub number: String,
    pub suffix: String,
}

impl fmt::Display for BuildTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.number, self.suffix)
    }
}

/// A wheel's compressed tag set (`py2.py3-none-any`), kept as its three components, lowercased.
///
/// Two tag sets are equal when they expand to the same `python-abi-platform` triples, which for
/// non-empty components is when the components are equal as sets. Kept unexpanded because a
/// 255-byte name can expand to tens of thousands of triples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagSet {
    interpreters: BTreeSet<String>,
    abis: BTreeSet<String>,
    platforms: BTreeSet<String>,
}

impl TagSet {
    /// Whether the set holds this `python-abi-platform` triple (compared case-insensitively).
    pub fn contains(&self, tag: &str) -> bool {
        let tag = tag.to_ascii_lowercase();
        let Some((interpreter, rest)) = tag.split_once('-') else {
            return false;
        };
        let Some((abi, platform)) = rest.split_once('-') else {
            return false;
        };
        self.interpreters.contains(interpreter)
            && self.abis.contains(abi)
            && self.platforms.contains(platform)
    }

    /// Every `python-abi-platform` triple the set expands to, sorted.
    pub fn expand(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for i in &self.interpreters {
            for a in &self.abis {
                for p in &self.platforms {
                    out.insert(format!("{i}-{a}-{p}"));
                }
            }
        }
        out
    }
}

/// Why a file name is not a distribution file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{name}` is not a wheel or sdist file name: {problem}")]
pub struct DistNameError {
    pub name: String,
    pub problem: DistNameProblem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DistNameProblem {
    #[error(
        "it is not a plain file name (a separator, `:`, a control character, a leading `.`, or over 255 bytes)"
    )]
    NotPlain,
    #[error("it has a character other than printable ASCII")]
    NotAscii,
    #[error("it ends neither in .whl nor in .tar.gz or .zip")]
    Extension,
    #[error("a wheel name has 5 or 6 dash-separated parts")]
    WheelParts,
    #[error("the project name is empty or has a character other than letters, digits, `_` and `.`, or `__`")]
    WheelProjectName,
    #[error("a wheel build tag starts with a digit")]
    BuildTag,
    #[error("a wheel tag is not python-abi-platform, each part non-empty")]
    Tags,
    #[error("a wheel's python tag is not an identifier")]
    InterpreterTag,
    #[error("an sdist name is NAME-VERSION")]
    SdistParts,
    #[error("the project name is empty")]
    EmptyProjectName,
    #[error("the version is not PEP 440")]
    Version,
    #[error("a number in the version is larger than pyprov accepts (2^64 - 1)")]
    VersionTooLarge,
}

/// PEP 503 normalization (packaging's `canonicalize_name`): lowercase, and runs of `-`, `_`, `.`
/// become one `-`.
pub fn normalize_project_name(name: &str) -> String {
    crate::vocab::PackageName::normalize(name).into_string()
}

/// Whether `name` is safe to use as one file name inside a directory pyprov chooses: joined to
/// that directory it names a file in it, on Unix and on Windows.
///
/// Not plain: empty; over 255 bytes (no common file system allows longer); `/` or `\` (a
/// separator somewhere); `:` (a Windows drive or an NTFS stream); a control character (NUL ends
/// the name in C, a newline breaks every line-based log and listing); a leading `.` (`.`, `..`,
/// and hidden files); a trailing `.` or space (Windows drops them, so two names would meet).
pub fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && !name.ends_with(['.', ' '])
        && !name
            .chars()
            .any(|c| matches!(c, '/' | '\\' | ':') || c.is_control())
}

/// Parses a wheel (`name-version(-build)?-py-abi-plat.whl`) or sdist (`name-version.tar.gz`,
/// `.zip`) name, by packaging's rules narrowed as the module says.
pub fn parse(file_name: &str) -> Result<DistName, DistNameError> {
    parse_inner(file_name).map_err(|problem| DistNameError {
        name: file_name.to_string(),
        problem,
    })
}

fn parse_inner(file_name: &str) -> Result<DistName, DistNameProblem> {
    if !is_plain_file_name(file_name) {
        return Err(DistNameProblem::NotPlain);
    }
    if !file_name.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(DistNameProblem::NotAscii);
    }
    if let Some(stem) = file_name.strip_suffix(".whl") {
        return parse_wheel(stem);
    }
    let (stem, extension) = if let Some(stem) = file_name.strip_suffix(".tar.gz") {
        (stem, ".tar.gz")
    } else if let Some(stem) = file_name.strip_suffix(".zip") {
        (stem, ".zip")
    } else {
        return Err(DistNameProblem::Extension);
    };
    // packaging splits at the last dash, although `1.0-1` is a valid version (a post release):
    // `foo-1.0-1.tar.gz` is project `foo-1-0`, version 1, which pip on foo's page would read as
    // foo 1.0.post1. Agreeing with packaging, and listing a file only on the page of the
    // project it parses to, keeps the two readings from ever meeting.
    let Some((name, version)) = stem.rsplit_once('-') else {
        return Err(DistNameProblem::SdistParts);
    };
    if name.is_empty() {
        return Err(DistNameProblem::EmptyProjectName);
    }
    Ok(DistName::Sdist {
        name: normalize_project_name(name),
        version: parse_version(version)?,
        extension,
    })
}

fn parse_wheel(stem: &str) -> Result<DistName, DistNameProblem> {
    let parts: Vec<&str> = stem.split('-').collect();
    let (name, version, build, py, abi, plat) = match parts.as_slice() {
        [n, v, py, abi, plat] => (*n, *v, None, *py, *abi, *plat),
        [n, v, b, py, abi, plat] => (*n, *v, Some(*b), *py, *abi, *plat),
        _ => return Err(DistNameProblem::WheelParts),
    };
    // PEP 427's escaped name: word characters and dots, never `__`.
    if name.is_empty()
        || name.contains("__")
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
    {
        return Err(DistNameProblem::WheelProjectName);
    }
    let version = parse_version(version)?;
    let build = build.map(parse_build_tag).transpose()?;
    let component = |s: &str| -> Result<BTreeSet<String>, DistNameProblem> {
        let set: BTreeSet<String> = s.split('.').map(str::to_ascii_lowercase).collect();
        if set.contains("") {
            return Err(DistNameProblem::Tags);
        }
        Ok(set)
    };
    let tags = TagSet {
        interpreters: component(py)?,
        abis: component(abi)?,
        platforms: component(plat)?,
    };
    if !tags.interpreters.iter().all(|i| is_identifier(i)) {
        return Err(DistNameProblem::InterpreterTag);
    }
    Ok(DistName::Wheel {
        name: normalize_project_name(name),
        version,
        build,
        tags,
    })
}

/// Python's `str.isidentifier` on ASCII.
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn parse_build_tag(s: &str) -> Result<BuildTag, DistNameProblem> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, suffix) = (s.get(..split).unwrap_or(""), s.get(split..).unwrap_or(""));
    if digits.is_empty() {
        return Err(DistNameProblem::BuildTag);
    }
    let number = digits.trim_start_matches('0');
    Ok(BuildTag {
        number: if number.is_empty() { "0" } else { number }.to_string(),
        suffix: suffix.to_string(),
    })
}

/// A cursor over a version string, matching packaging's `VERSION_PATTERN` piece by piece.
///
/// Every quantifier in that pattern is possessive (packaging 26.4 on CPython 3.11.5+), so each
/// optional piece either matches greedily or matches nothing; a piece that fails part way leaves
/// the cursor where it was. The regex is case-insensitive; letters are compared ASCII-lowercased.
struct Cursor<'a> {
    s: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).map(u8::to_ascii_lowercase)
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    /// `[._-]?+`
    fn separator(&mut self) {
        if matches!(self.peek(), Some(b'.' | b'_' | b'-')) {
            self.at += 1;
        }
    }

    /// `[0-9]++`, as text.
    fn digits(&mut self) -> Option<&[u8]> {
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        self.s.get(start..self.at).filter(|d| !d.is_empty())
    }

    /// `[0-9]++`, as a number; `Err` when it has more than 64 bits.
    fn number(&mut self) -> Option<Result<u64, DistNameProblem>> {
        self.digits().map(to_u64)
    }

    /// The first of `words` the input continues with (regex alternation order).
    fn word(&mut self, words: &[&'static str]) -> Option<&'static str> {
        let rest = self.s.get(self.at..)?;
        let w = words.iter().find(|w| {
            rest.get(..w.len())
                .is_some_and(|r| r.eq_ignore_ascii_case(w.as_bytes()))
        })?;
        self.at += w.len();
        Some(w)
    }

    /// `[a-z0-9]++`, lowercased.
    fn alnum(&mut self) -> Option<String> {
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_alphanumeric()) {
            self.at += 1;
        }
        let run = self.s.get(start..self.at).filter(|r| !r.is_empty())?;
        Some(String::from_utf8_lossy(run).to_ascii_lowercase())
    }
}

fn to_u64(digits: &[u8]) -> Result<u64, DistNameProblem> {
    std::str::from_utf8(digits)
        .ok()
        .and_then(|d| d.parse::<u64>().ok())
        .ok_or(DistNameProblem::VersionTooLarge)
}

/// packaging's `Version(s)` without its surrounding `\s*` (a distribution name has no
/// whitespace), normalized the way `str(Version(s))` is.
fn parse_version(s: &str) -> Result<Version, DistNameProblem> {
    let mut c = Cursor {
        s: s.as_bytes(),
        at: 0,
    };
    c.eat(b'v');
    let epoch = c.epoch()?;
    let release = c.release()?;
    let pre = c.pre()?;
    let post = c.post()?;
    let dev = c.dev()?;
    let local = c.local();
    if c.at != s.len() {
        return Err(DistNameProblem::Version);
    }
    let local = local
        .into_iter()
        .map(|part| {
            if part.bytes().all(|b| b.is_ascii_digit()) {
                to_u64(part.as_bytes()).map(LocalSegment::Number)
            } else {
                Ok(LocalSegment::String(part))
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Version::new(release)
        .with_epoch(epoch)
        .with_pre(pre)
        .with_post(post)
        .with_dev(dev)
        .with_local(local))
}

/// The pieces of `VERSION_PATTERN`, in order; each leaves the cursor where it was when its
/// piece is absent.
impl Cursor<'_> {
    /// `(?:(?P<epoch>[0-9]++)!)?+`
    fn epoch(&mut self) -> Result<u64, DistNameProblem> {
        let start = self.at;
        match self.number() {
            Some(n) if self.eat(b'!') => n,
            _ => {
                self.at = start;
                Ok(0)
            }
        }
    }

    /// `[0-9]++(?:\.[0-9]++)*+`
    fn release(&mut self) -> Result<Vec<u64>, DistNameProblem> {
        let first = self.number().ok_or(DistNameProblem::Version)??;
        let mut release = vec![first];
        loop {
            let before = self.at;
            if !self.eat(b'.') {
                break;
            }
            match self.number() {
                Some(n) => release.push(n?),
                None => {
                    self.at = before;
                    break;
                }
            }
        }
        Ok(release)
    }

    /// `[._-]?+ (alpha|a|beta|b|preview|pre|c|rc) [._-]?+ [0-9]*+`
    fn pre(&mut self) -> Result<Option<Prerelease>, DistNameProblem> {
        let start = self.at;
        self.separator();
        let Some(w) = self.word(&["alpha", "a", "beta", "b", "preview", "pre", "c", "rc"]) else {
            self.at = start;
            return Ok(None);
        };
        self.separator();
        let kind = match w {
            "alpha" | "a" => PrereleaseKind::Alpha,
            "beta" | "b" => PrereleaseKind::Beta,
            _ => PrereleaseKind::Rc,
        };
        let number = self.number().transpose()?.unwrap_or(0);
        Ok(Some(Prerelease { kind, number }))
    }

    /// `-[0-9]++ | [._-]?+ (post|rev|r) [._-]?+ [0-9]*+`
    fn post(&mut self) -> Result<Option<u64>, DistNameProblem> {
        let start = self.at;
        let implicit = if self.eat(b'-') { self.number() } else { None };
        if let Some(n) = implicit {
            return n.map(Some);
        }
        self.at = start;
        self.separator();
        if self.word(&["post", "rev", "r"]).is_some() {
            self.separator();
            Ok(Some(self.number().transpose()?.unwrap_or(0)))
        } else {
            self.at = start;
            Ok(None)
        }
    }

    /// `[._-]?+ dev [._-]?+ [0-9]*+`
    fn dev(&mut self) -> Result<Option<u64>, DistNameProblem> {
        let start = self.at;
        self.separator();
        if self.word(&["dev"]).is_some() {
            self.separator();
            Ok(Some(self.number().transpose()?.unwrap_or(0)))
        } else {
            self.at = start;
            Ok(None)
        }
    }

    /// `(?:\+ [a-z0-9]++ (?:[._-][a-z0-9]++)*+ )?+`, as lowercased parts; a `+` with nothing
    /// after it fails the whole match, since the `+` is then left over.
    fn local(&mut self) -> Vec<String> {
        let mut local = Vec::new();
        let start = self.at;
        if !self.eat(b'+') {
            return local;
        }
        let Some(first) = self.alnum() else {
            self.at = start;
            return local;
        };
        local.push(first);
        loop {
            let before = self.at;
            self.separator();
            if self.at == before {
                break;
            }
            match self.alnum() {
                Some(part) => local.push(part),
                None => {
                    self.at = before;
                    break;
                }
            }
        }
        local
    }
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
        assert!(same_file("a-1-PY3-None-ANY.whl", "a-1-py3-none-any.whl"));
        assert!(!same_file(
            "a-1-py3-none-any.whl",
            "a-1-py2.py3-none-any.whl"
        ));
        assert!(!same_file("a-1-1-py3-none-any.whl", "a-1-py3-none-any.whl"));
    }

    #[test]
    fn build_tags_compare_as_packaging_does() {
        assert!(same_file(
            "a-1-01-py3-none-any.whl",
            "a-1-1-py3-none-any.whl"
        ));
        assert!(!same_file(
            "a-1-1x-py3-none-any.whl",
            "a-1-1-py3-none-any.whl"
        ));
        let Ok(DistName::Wheel { build, .. }) = parse("a-1-007abc-py3-none-any.whl") else {
            panic!("not a wheel");
        };
        assert_eq!(
            build,
            Some(BuildTag {
                number: "7".into(),
                suffix: "abc".into()
            })
        );
    }

    #[test]
    fn tag_set_membership() {
        let Ok(DistName::Wheel { tags, .. }) = parse("a-1-py2.py3-none-any.manylinux1_x86_64.whl")
        else {
            panic!("not a wheel");
        };
        assert!(tags.contains("py3-none-any"));
        assert!(tags.contains("py2-none-manylinux1_x86_64"));
        assert!(!tags.contains("cp311-none-any"));
        assert!(!tags.contains("py3-none"));
        assert_eq!(tags.expand().len(), 4);
    }

    #[test]
    fn non_dist_names_compare_exactly() {
        assert!(same_file("a.txt", "a.txt"));
        assert!(!same_file("a.txt", "A.txt"));
        assert!(!same_file("a.txt", "a-1.0.tar.gz"));
    }

    /// packaging splits an sdist name at its last dash; `1.0-1` is a valid version (a post
    /// release) but `foo-99.0-1.tar.gz` is still project `foo-99-0`, version 1. pip, reading
    /// foo's page, would take it as foo 99.0.post1: pyprov must file it under `foo-99-0`.
    #[test]
    fn sdist_splits_at_the_last_dash() {
        let d = parse("foo-99.0-1.tar.gz").unwrap();
        assert_eq!(d.project(), "foo-99-0");
        assert_eq!(d.version().to_string(), "1");
        assert_eq!(parse("foo-1.0.post1.tar.gz").unwrap().project(), "foo");
    }

    #[test]
    fn versions_normalize_as_packaging() {
        for (spelling, normal) in [
            ("v1.0", "1.0"),
            ("1.0RC1", "1.0rc1"),
            ("1.0-alpha-1", "1.0a1"),
            ("1.0.preview.2", "1.0rc2"),
            ("1.0c", "1.0rc0"),
            ("1.0-r", "1.0.post0"),
            ("1.0.rev-3", "1.0.post3"),
            ("1.0_dev", "1.0.dev0"),
            (
                "1!01.002a1.post2.dev3+Ubuntu-01_x",
                "1!1.2a1.post2.dev3+ubuntu.1.x",
            ),
        ] {
            assert_eq!(
                parse_version(spelling).unwrap().to_string(),
                normal,
                "{spelling}"
            );
        }
    }

    #[test]
    fn rejects_malformed_names() {
        for (bad, problem) in [
            ("x.whl", DistNameProblem::WheelParts),
            ("-1.0-py3-none-any.whl", DistNameProblem::WheelProjectName),
            (
                "a__b-1.0-py3-none-any.whl",
                DistNameProblem::WheelProjectName,
            ),
            ("a-notaversion!-py3-none-any.whl", DistNameProblem::Version),
            ("a-1-py3--any.whl", DistNameProblem::Tags),
            ("a-1-py3..py2-none-any.whl", DistNameProblem::Tags),
            ("a-1-3py-none-any.whl", DistNameProblem::InterpreterTag),
            ("a-1-x-py3-none-any.whl", DistNameProblem::BuildTag),
            ("noversion.tar.gz", DistNameProblem::SdistParts),
            ("-1.0.tar.gz", DistNameProblem::EmptyProjectName),
            ("a-1.0.exe", DistNameProblem::Extension),
            ("a-1.0.tar.bz2", DistNameProblem::Extension),
            ("a-1.0.TAR.GZ", DistNameProblem::Extension),
            ("a-1.0+.tar.gz", DistNameProblem::Version),
            (
                "a-18446744073709551616.tar.gz",
                DistNameProblem::VersionTooLarge,
            ),
            ("a-1.0 .tar.gz", DistNameProblem::NotAscii),
            ("ä-1.0.tar.gz", DistNameProblem::NotAscii),
        ] {
            assert_eq!(parse(bad).map_err(|e| e.problem), Err(problem), "{bad}");
        }
    }

    #[test]
    fn only_plain_file_names_parse() {
        for bad in [
            "",
            ".",
            "..",
            ".foo-1.0.tar.gz",
            "../x-1.0-py3-none-any.whl",
            "../../x-1.0.tar.gz",
            "a/b-1.0.tar.gz",
            "a\\b-1.0.tar.gz",
            "/etc/x-1.0.tar.gz",
            "C:x-1.0.tar.gz",
            "x-1.0.tar.gz:stream",
            "x\0-1.0.tar.gz",
            "x\n-1.0.tar.gz",
            "x\u{7f}-1.0.tar.gz",
            "x\u{85}-1.0.tar.gz",
            "x-1.0.tar.gz.",
            "x-1.0.tar.gz ",
        ] {
            assert!(!is_plain_file_name(bad), "{bad:?}");
            assert_eq!(
                parse(bad).map_err(|e| e.problem),
                Err(DistNameProblem::NotPlain),
                "{bad:?}"
            );
        }
        let long = format!("{}-1.0.tar.gz", "a".repeat(250));
        assert!(!is_plain_file_name(&long));
        for good in ["a-1.0.tar.gz", "a..b", "a b.txt", "ä.txt", "x~1"] {
            assert!(is_plain_file_name(good), "{good:?}");
        }
    }

    #[test]
    fn normalizes_names() {
        assert_eq!(normalize_project_name("Foo__Bar.-baz"), "foo-bar-baz");
    }
}
