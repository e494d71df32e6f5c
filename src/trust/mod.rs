//! The trust file, `pyprov.toml`: who may publish each package, what happens to files without
//! provenance, and whether publishers are pinned on first use.
//!
//! The file is written and reviewed by people, so pyprov edits it the way a careful person
//! would: through `toml_edit`, keeping every comment, blank line and the order of entries; only
//! after the whole file parsed and validated; under a lock, re-reading it first so that two
//! writers merge; and by writing a new file beside it and renaming it over, so a crash leaves
//! either the old file or the new one, never half of one.
//!
//! The decisions made with the file are in [`policy`], which does no I/O.

pub mod policy;

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;
use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, TableLike, Value};

use crate::verify::distname::normalize_project_name;
use crate::verify::PublisherSpec;

/// The file name discovery looks for.
pub const FILE_NAME: &str = "pyprov.toml";

/// How long a writer waits for another pyprov to finish writing the same file.
const LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// What happens to a file that carries no provenance at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unattested {
    Deny,
    Warn,
    Allow,
}

impl Unattested {
    pub fn as_str(self) -> &'static str {
        match self {
            Unattested::Deny => "deny",
            Unattested::Warn => "warn",
            Unattested::Allow => "allow",
        }
    }

    fn parse(s: &str) -> Option<Unattested> {
        match s {
            "deny" => Some(Unattested::Deny),
            "warn" => Some(Unattested::Warn),
            "allow" => Some(Unattested::Allow),
            _ => None,
        }
    }
}

/// The effective policy: the file's `[policy]` table, or the defaults when there is no file,
/// plus the run's `--locked` setting (which is not part of the file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// For files with no provenance, unless their package says otherwise.
    pub unattested: Unattested,
    /// Pin the publisher of a package with no entry the first time one of its files verifies.
    pub tofu: bool,
    /// Refuse a file whose package names an `environment` the certificate cannot prove (it
    /// records no deployment environment), unless its entry says otherwise. Off, such a file
    /// is installed with an `environment-unproven` warning.
    #[serde(rename = "require-environment-proof")]
    pub require_environment_proof: bool,
    /// Never write the trust file: what would have been pinned is an error instead.
    pub locked: bool,
    /// The trust file this policy came from; `None` when no trust file is used. (JSON output
    /// names the file at its top level.)
    #[serde(skip)]
    pub source: Option<PathBuf>,
    /// Where to look provenance up when the index strips it (`--provenance-index` wins).
    #[serde(rename = "provenance-index", skip_serializing_if = "Option::is_none")]
    pub provenance_index: Option<String>,
}

impl Policy {
    /// The policy without a trust file: everything is verified cryptographically, the publisher
    /// the index reported is trusted (the engine already refuses one that contradicts the
    /// certificate), and unattested files are warned about.
    pub fn without_trust_file() -> Policy {
        Policy {
            unattested: Unattested::Warn,
            tofu: false,
            require_environment_proof: false,
            locked: false,
            source: None,
            provenance_index: None,
        }
    }
}

/// One `[packages]` entry, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageEntry {
    /// The PEP 503 normalized name, which is what entries are looked up by.
    pub name: String,
    /// The key as written in the file (may be spelled differently from `name`).
    pub key: String,
    /// Any one of these may publish the package; empty when the entry only sets `unattested`.
    pub publishers: Vec<PublisherSpec>,
    pub environment: Option<String>,
    /// Overrides `[policy] require-environment-proof` for this package (needs `environment`).
    pub require_environment_proof: Option<bool>,
    pub unattested: Option<Unattested>,
    /// How the entry was learned, e.g. `tofu 2025-06-01`; `None` for entries people wrote.
    pub pinned: Option<String>,
    /// 1-based line of the entry's key, for messages that point at it.
    pub line: usize,
}

impl PackageEntry {
    /// Whether the entry names who publishes the package. A pinned package whose next file has
    /// no provenance is an attestation downgrade.
    pub fn is_pinned(&self) -> bool {
        !self.publishers.is_empty()
    }
}

/// A parsed, validated trust file.
#[derive(Debug, Clone)]
pub struct TrustFile {
    path: PathBuf,
    policy: Policy,
    packages: BTreeMap<String, PackageEntry>,
}

/// Trust-file failures. Every one of them is reported with exit status 2 at the edge.
#[derive(Debug, thiserror::Error)]
pub enum TrustFileError {
    #[error("{}:{line}:{column}: {message}\n{excerpt}  fix: correct line {line} of {}; pyprov left the file unchanged", path.display(), path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
        /// The offending line with a caret under the column, ready to print.
        excerpt: String,
    },
    #[error("trust file {} does not exist\n  fix: create it with `pyprov trust add PACKAGE SPEC`, or point --trust-file / PYPROV_TRUST_FILE at an existing file", path.display())]
    NotFound { path: PathBuf },
    #[error("cannot read trust file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write trust file {}: {source}\n  fix: the file was left as it was; check the directory's permissions and free space", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("another pyprov has been writing {} for {}s\n  fix: wait for it to finish; if none is running, check that {} is on a file system that supports locks", path.display(), LOCK_TIMEOUT.as_secs(), lock.display())]
    Locked { path: PathBuf, lock: PathBuf },
    #[error("{}: `packages` must be a [packages] table for pyprov to edit it\n  fix: write the entries under a [packages] header", path.display())]
    Unsupported { path: PathBuf },
    #[error("{} has no entry for {package}\n  fix: `pyprov trust show` lists the entries", path.display())]
    NoEntry { path: PathBuf, package: String },
    #[error("`{name}` is not a valid package name (letters, digits, and - _ . between them)")]
    InvalidName { name: String },
}

/// What an edit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditOutcome {
    /// The file was written.
    Changed,
    /// The file already said this; nothing was written.
    Unchanged,
    /// A pin was asked for, but the package already names a publisher (possibly pinned by
    /// another process a moment ago): nothing was written, and this is the entry to judge by.
    AlreadyPinned(PackageEntry),
}

/// A change to the trust file.
#[derive(Debug, Clone)]
pub enum Edit<'a> {
    /// Add publishers to a package (creating the entry), optionally setting its environment.
    /// Adding by hand promotes a learned pin: the `pinned` marker is dropped.
    Add {
        package: &'a str,
        publishers: &'a [PublisherSpec],
        environment: Option<&'a str>,
    },
    /// `unattested = "allow"` for one package.
    AllowUnattested {
        package: &'a str,
    },
    Remove {
        package: &'a str,
    },
    /// Pin a package to the publisher its certificate proved, marked `pinned = "tofu DATE"`.
    /// Does nothing when the package already names a publisher.
    Pin {
        package: &'a str,
        publisher: &'a PublisherSpec,
        environment: Option<&'a str>,
        date: &'a str,
    },
}

/// Whether `--locked` is in effect: the flag or `PYPROV_LOCKED` when given, else on when the
/// `CI` environment variable says this is a CI run.
pub fn resolve_locked(explicit: Option<bool>) -> bool {
    explicit.unwrap_or_else(|| {
        std::env::var("CI").is_ok_and(|v| {
            let v = v.trim().to_ascii_lowercase();
            !(v.is_empty() || v == "0" || v == "false" || v == "no")
        })
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

/// Whether `name` is a valid Python project name (PEP 508).
pub fn valid_package_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(f), Some(l)) if f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric() => bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')),
        _ => false,
    }
}

/// The normalized name of a package given on the command line, or an error naming it.
pub fn package_name(name: &str) -> Result<String, TrustFileError> {
    if valid_package_name(name) {
        Ok(normalize_project_name(name))
    } else {
        Err(TrustFileError::InvalidName {
            name: name.to_string(),
        })
    }
}

/// Walks up from `start` to the nearest `pyprov.toml`, never past a boundary: the root of the
/// repository `start` is in (the first directory holding `.git`, as a directory or a worktree's
/// file, or `.hg`) or the home directory, whichever comes first, both searched. Outside both,
/// only `start` itself is searched. A trust file in an unrelated parent directory, or in a
/// directory other users can write such as `/tmp`, never governs a project.
pub fn find(start: &Path) -> Option<PathBuf> {
    let home = home_dir();
    find_within(start, home.as_deref())
}

fn find_within(start: &Path, home: Option<&Path>) -> Option<PathBuf> {
    let home_real = home.and_then(|h| fs::canonicalize(h).ok());
    let is_home = |dir: &Path| {
        home.is_some_and(|h| dir == h)
            || home_real
                .as_deref()
                .is_some_and(|h| fs::canonicalize(dir).is_ok_and(|d| d == h))
    };
    let is_boundary =
        |dir: &Path| dir.join(".git").exists() || dir.join(".hg").exists() || is_home(dir);
    // Up to the first boundary, itself included; with none above `start`, the walk would
    // reach `/`: search `start` alone.
    let stop = start.ancestors().position(is_boundary).unwrap_or(0);
    start
        .ancestors()
        .take(stop + 1)
        .map(|dir| dir.join(FILE_NAME))
        .find(|candidate| candidate.is_file())
}

/// `$HOME` (`USERPROFILE` on Windows), when set to an absolute path.
fn home_dir() -> Option<PathBuf> {
    let var = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
    std::env::var_os(var)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}

impl TrustFile {
    /// The trust file in effect: `explicit` (from `--trust-file` or `PYPROV_TRUST_FILE`), which
    /// must exist, else the nearest `pyprov.toml` from `start`, else none.
    pub fn discover(
        start: &Path,
        explicit: Option<&Path>,
    ) -> Result<Option<TrustFile>, TrustFileError> {
        match explicit {
            Some(path) => TrustFile::load(path).map(Some),
            None => find(start).map(|p| TrustFile::load(&p)).transpose(),
        }
    }

    /// Where an editing command writes: `explicit`, else the discovered file, else a new
    /// `pyprov.toml` in `start`.
    pub fn edit_target(start: &Path, explicit: Option<&Path>) -> PathBuf {
        match explicit {
            Some(p) => p.to_path_buf(),
            None => find(start).unwrap_or_else(|| start.join(FILE_NAME)),
        }
    }

    pub fn load(path: &Path) -> Result<TrustFile, TrustFileError> {
        match read_text(path, path)? {
            Some(text) => TrustFile::parse(path, &text),
            None => Err(TrustFileError::NotFound {
                path: path.to_path_buf(),
            }),
        }
    }

    /// Parses and validates a trust file's text. `path` is only used in messages.
    pub fn parse(path: &Path, text: &str) -> Result<TrustFile, TrustFileError> {
        let doc =
            toml_edit::Document::parse(text).map_err(|e| at(path, text, e.span(), e.message()))?;
        let root = doc.as_table();
        let err = |span: Option<Range<usize>>, msg: String| at(path, text, span, &msg);

        for (key, _) in root.iter() {
            if key != "policy" && key != "packages" {
                return Err(err(
                    key_span(root, key),
                    format!("unknown table `{key}`: a trust file has [policy] and [packages]"),
                ));
            }
        }

        let mut policy = Policy::without_trust_file();
        policy.source = Some(path.to_path_buf());
        if let Some(item) = root.get("policy") {
            let table = item.as_table_like().ok_or_else(|| {
                err(
                    item.span().or(key_span(root, "policy")),
                    "`policy` must be a table".into(),
                )
            })?;
            for (key, value) in table.iter() {
                match key {
                    "unattested" => policy.unattested = unattested_value(value, &err)?,
                    "tofu" => {
                        policy.tofu = value.as_bool().ok_or_else(|| {
                            err(value.span(), "`tofu` must be true or false".into())
                        })?
                    }
                    "require-environment-proof" => {
                        policy.require_environment_proof = value.as_bool().ok_or_else(|| {
                            err(
                                value.span(),
                                "`require-environment-proof` must be true or false".into(),
                            )
                        })?
                    }
                    "provenance-index" => {
                        let url = value
                            .as_str()
                            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                            .ok_or_else(|| {
                                err(
                                    value.span(),
                                    "`provenance-index` must be an http(s) URL, e.g. \"https://pypi.org/simple/\"".into(),
                                )
                            })?;
                        policy.provenance_index = Some(url.to_string());
                    }
                    other => {
                        return Err(err(
                            table_key_span(table, other),
                            format!("unknown policy setting `{other}`: [policy] has `unattested`, `tofu`, `require-environment-proof` and `provenance-index`"),
                        ))
                    }
                }
            }
        }

        let mut packages = BTreeMap::new();
        if let Some(item) = root.get("packages") {
            let table = item.as_table_like().ok_or_else(|| {
                err(
                    item.span().or(key_span(root, "packages")),
                    "`packages` must be a table".into(),
                )
            })?;
            for (key, value) in table.iter() {
                let span = table_key_span(table, key);
                if !valid_package_name(key) {
                    return Err(err(
                        span,
                        format!("`{key}` is not a valid package name (letters, digits, and - _ . between them)"),
                    ));
                }
                let name = normalize_project_name(key);
                let line = span.clone().map(|s| line_col(text, s.start).0).unwrap_or(1);
                if let Some(previous) = packages.get(&name) {
                    let previous: &PackageEntry = previous;
                    return Err(err(
                        span,
                        format!(
                            "`{key}` is the same package as `{}` on line {} (names are compared normalized, as {name})",
                            previous.key, previous.line
                        ),
                    ));
                }
                let entry = parse_entry(key, name.clone(), line, value, span, &err)?;
                packages.insert(name, entry);
            }
        }
        Ok(TrustFile {
            path: path.to_path_buf(),
            policy,
            packages,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's policy, with `locked` off; set it from [`resolve_locked`].
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The entry for a package, by any spelling of its name.
    pub fn entry(&self, package: &str) -> Option<&PackageEntry> {
        self.packages.get(&normalize_project_name(package))
    }

    /// Every entry, sorted by normalized name.
    pub fn entries(&self) -> impl Iterator<Item = &PackageEntry> {
        self.packages.values()
    }

    /// Pins `package` to `publisher` (and the environment the certificate proved), marked
    /// `pinned = "tofu DATE"`, then reloads this value from the file. The entry returned is
    /// what the file now says, re-read under the lock: the pin this call wrote, or the one
    /// another process (or a person) wrote first, which may name another publisher. Callers
    /// report that entry and judge the file by it, never by the publisher they asked for.
    pub fn pin(
        &mut self,
        package: &str,
        publisher: &PublisherSpec,
        environment: Option<&str>,
    ) -> Result<PinOutcome, TrustFileError> {
        let date = pin_date();
        let (outcome, file) = edit(
            &self.path,
            &Edit::Pin {
                package,
                publisher,
                environment,
                date: &date,
            },
        )?;
        *self = file;
        match outcome {
            EditOutcome::AlreadyPinned(entry) => Ok(PinOutcome::AlreadyPinned(entry)),
            EditOutcome::Changed | EditOutcome::Unchanged => match self.entry(package) {
                Some(entry) => Ok(PinOutcome::Pinned(entry.clone())),
                // The edit validated the file it wrote, so the entry is there; a file changed
                // by hand between the write and the re-read is reported as having no pin.
                None => Err(TrustFileError::NoEntry {
                    path: self.path.clone(),
                    package: normalize_project_name(package),
                }),
            },
        }
    }
}

/// What [`TrustFile::pin`] left in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinOutcome {
    /// This call wrote the pin; the entry as written.
    Pinned(PackageEntry),
    /// The package already named a publisher (another process pinned it a moment ago, or a
    /// person wrote it): nothing was written, and this entry is what the file must be judged
    /// by.
    AlreadyPinned(PackageEntry),
}

impl PinOutcome {
    /// The package's entry as the trust file now has it.
    pub fn entry(&self) -> &PackageEntry {
        match self {
            PinOutcome::Pinned(e) | PinOutcome::AlreadyPinned(e) => e,
        }
    }
}

fn parse_entry<E>(
    key: &str,
    name: String,
    line: usize,
    item: &Item,
    key_span: Option<Range<usize>>,
    err: &E,
) -> Result<PackageEntry, TrustFileError>
where
    E: Fn(Option<Range<usize>>, String) -> TrustFileError,
{
    let table = item.as_table_like().ok_or_else(|| {
        err(
            item.span().or(key_span.clone()),
            format!("the entry for `{key}` must be a table, e.g. {key} = {{ publisher = \"github:OWNER/REPO/release.yml\" }}"),
        )
    })?;
    let mut entry = PackageEntry {
        name,
        key: key.to_string(),
        publishers: Vec::new(),
        environment: None,
        require_environment_proof: None,
        unattested: None,
        pinned: None,
        line,
    };
    for (k, value) in table.iter() {
        match k {
            "publisher" => {
                let specs: Vec<(&str, Option<Range<usize>>)> = match value.as_value() {
                    Some(Value::String(s)) => vec![(s.value().as_str(), value.span())],
                    Some(Value::Array(a)) => {
                        let mut out = Vec::new();
                        for v in a.iter() {
                            let s = v.as_str().ok_or_else(|| {
                                err(v.span(), "each publisher is a string SPEC".into())
                            })?;
                            out.push((s, v.span()));
                        }
                        if out.is_empty() {
                            return Err(err(value.span(), format!("`{key}` has an empty publisher list; remove the key or name a publisher")));
                        }
                        out
                    }
                    _ => {
                        return Err(err(
                            value.span(),
                            "`publisher` is a SPEC string or a list of them".into(),
                        ))
                    }
                };
                for (s, span) in specs {
                    let spec = s
                        .parse::<PublisherSpec>()
                        .map_err(|e| err(span, e.to_string()))?;
                    if !entry.publishers.contains(&spec) {
                        entry.publishers.push(spec);
                    }
                }
            }
            "environment" => {
                let env = value
                    .as_str()
                    .filter(|s| !s.trim().is_empty())
                    .ok_or_else(|| {
                        err(
                            value.span(),
                            "`environment` is the name of a deployment environment".into(),
                        )
                    })?;
                entry.environment = Some(env.to_string());
            }
            "require-environment-proof" => {
                entry.require_environment_proof = Some(value.as_bool().ok_or_else(|| {
                    err(
                        value.span(),
                        "`require-environment-proof` must be true or false".into(),
                    )
                })?)
            }
            "unattested" => entry.unattested = Some(unattested_value(value, err)?),
            "pinned" => {
                let marker = value.as_str().ok_or_else(|| {
                    err(
                        value.span(),
                        "`pinned` is a note such as \"tofu 2025-06-01\"".into(),
                    )
                })?;
                entry.pinned = Some(marker.to_string());
            }
            other => {
                return Err(err(
                    table_key_span(table, other),
                    format!("unknown key `{other}` in the entry for `{key}`: entries have publisher, environment, require-environment-proof, unattested and pinned"),
                ))
            }
        }
    }
    if entry.environment.is_some() && entry.publishers.is_empty() {
        return Err(err(
            key_span,
            format!("`{key}` sets an environment but no publisher; add publisher = \"SPEC\""),
        ));
    }
    if entry.require_environment_proof.is_some() && entry.environment.is_none() {
        return Err(err(
            key_span,
            format!("`{key}` sets require-environment-proof but no environment to prove; add environment = \"NAME\""),
        ));
    }
    Ok(entry)
}

fn unattested_value<E>(item: &Item, err: &E) -> Result<Unattested, TrustFileError>
where
    E: Fn(Option<Range<usize>>, String) -> TrustFileError,
{
    item.as_str().and_then(Unattested::parse).ok_or_else(|| {
        err(
            item.span(),
            "`unattested` is \"deny\", \"warn\" or \"allow\"".into(),
        )
    })
}

fn key_span(table: &Table, key: &str) -> Option<Range<usize>> {
    table.key(key).and_then(|k| k.span())
}

fn table_key_span(table: &dyn TableLike, key: &str) -> Option<Range<usize>> {
    table.key(key).and_then(|k| k.span())
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let on_line = before.rsplit_once('\n').map_or(before, |(_, l)| l);
    (line, on_line.chars().count() + 1)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn at(path: &Path, text: &str, span: Option<Range<usize>>, message: &str) -> TrustFileError {
    let offset = span.map_or(0, |s| s.start);
    let (line, column) = line_col(text, offset);
    let content = text.lines().nth(line - 1).unwrap_or("");
    let gutter = line.to_string().len();
    let excerpt = format!(
        "{:gutter$} |\n{line} | {content}\n{:gutter$} | {}^\n",
        "",
        "",
        " ".repeat(column - 1)
    );
    TrustFileError::Parse {
        path: path.to_path_buf(),
        line,
        column,
        message: message.to_string(),
        excerpt,
    }
}

/// Reads a trust file's text from `io_path`; `None` when it does not exist. Errors name `path`.
fn read_text(path: &Path, io_path: &Path) -> Result<Option<String>, TrustFileError> {
    let bytes = match fs::read(io_path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(TrustFileError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    String::from_utf8(bytes).map(Some).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let valid =
            String::from_utf8_lossy(e.as_bytes().get(..offset).unwrap_or_default()).into_owned();
        at(
            path,
            &valid,
            Some(offset..offset),
            "the file is not UTF-8 text",
        )
    })
}

/// The text of a new trust file, before its first entry.
pub const TEMPLATE: &str = "\
# pyprov trust file: who may publish each package this project installs.
# Reviewed like code. `pyprov trust --help` lists the commands that edit it.

[policy]
unattested = \"warn\"   # deny | warn | allow: files that carry no provenance at all
tofu = true           # pin the publisher of a package the first time it is seen

[packages]
";

/// Applies `change` to the trust file at `path` (creating it from [`TEMPLATE`] if it does not
/// exist): under the lock, re-read, validate, edit, validate the result, write atomically.
/// Returns what happened and the file as it now is.
pub fn edit(path: &Path, change: &Edit<'_>) -> Result<(EditOutcome, TrustFile), TrustFileError> {
    // I/O goes to the real file, so a symlinked trust file stays a symlink; messages name the
    // path the user knows.
    let real = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let _lock = lock(&real)?;
    let text = read_text(path, &real)?.unwrap_or_else(|| TEMPLATE.to_string());
    // Validate before touching anything: a file pyprov cannot read is never rewritten.
    let before = TrustFile::parse(path, &text)?;
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| at(path, &text, e.span(), e.message()))?;

    let outcome = apply(&mut doc, &before, change, path)?;
    if outcome != EditOutcome::Changed {
        return Ok((outcome, before));
    }
    let new_text = doc.to_string();
    // toml_edit keeps what it parsed; this guards against an edit that would produce a file
    // pyprov itself would refuse.
    let after = TrustFile::parse(path, &new_text)?;
    write_atomic(&real, new_text.as_bytes()).map_err(|source| TrustFileError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    Ok((EditOutcome::Changed, after))
}

fn apply(
    doc: &mut DocumentMut,
    before: &TrustFile,
    change: &Edit<'_>,
    path: &Path,
) -> Result<EditOutcome, TrustFileError> {
    let package = match change {
        Edit::Add { package, .. }
        | Edit::AllowUnattested { package }
        | Edit::Remove { package }
        | Edit::Pin { package, .. } => package_name(package)?,
    };
    let existing = before.entry(&package).cloned();
    let unsupported = || TrustFileError::Unsupported {
        path: path.to_path_buf(),
    };

    let root = doc.as_table_mut();
    if !root.contains_key("packages") {
        let mut t = Table::new();
        if !root.is_empty() {
            t.decor_mut().set_prefix("\n");
        }
        root.insert("packages", Item::Table(t));
    }
    let Some(Item::Table(packages)) = root.get_mut("packages") else {
        return Err(unsupported());
    };

    let Some(existing) = existing else {
        // A new entry: an inline table, in sorted position.
        let mut t = InlineTable::new();
        match change {
            Edit::Add {
                publishers,
                environment,
                ..
            } => {
                t.insert("publisher", publisher_value(publishers));
                if let Some(env) = environment {
                    t.insert("environment", Value::from(*env));
                }
            }
            Edit::AllowUnattested { .. } => {
                t.insert("unattested", Value::from("allow"));
            }
            Edit::Pin {
                publisher,
                environment,
                date,
                ..
            } => {
                t.insert("publisher", Value::from(publisher.to_string()));
                if let Some(env) = environment {
                    t.insert("environment", Value::from(*env));
                }
                t.insert("pinned", Value::from(pin_marker(date)));
            }
            Edit::Remove { .. } => {
                return Err(TrustFileError::NoEntry {
                    path: path.to_path_buf(),
                    package,
                })
            }
        }
        t.fmt();
        packages.set_implicit(false);
        insert_sorted(packages, &package, Item::Value(Value::InlineTable(t)));
        return Ok(EditOutcome::Changed);
    };

    let mut sets: Vec<(&str, Value)> = Vec::new();
    let mut removes: Vec<&str> = Vec::new();
    match change {
        Edit::Remove { .. } => {
            packages.remove(&existing.key);
            return Ok(EditOutcome::Changed);
        }
        Edit::Add {
            publishers,
            environment,
            ..
        } => {
            let mut all = existing.publishers.clone();
            for p in publishers.iter() {
                if !all.contains(p) {
                    all.push(p.clone());
                }
            }
            if all != existing.publishers {
                sets.push(("publisher", publisher_value(&all)));
            }
            if let Some(env) = environment {
                if existing.environment.as_deref() != Some(*env) {
                    sets.push(("environment", Value::from(*env)));
                }
            }
            // A person vouched for the entry: it is no longer a learned pin.
            if existing.pinned.is_some() {
                removes.push("pinned");
            }
        }
        Edit::AllowUnattested { .. } => {
            if existing.unattested != Some(Unattested::Allow) {
                sets.push(("unattested", Value::from("allow")));
            }
        }
        Edit::Pin {
            publisher,
            environment,
            date,
            ..
        } => {
            if existing.is_pinned() {
                return Ok(EditOutcome::AlreadyPinned(existing));
            }
            // The entry exists without a publisher (it only sets `unattested`): learn one.
            sets.push(("publisher", Value::from(publisher.to_string())));
            if let Some(env) = environment {
                sets.push(("environment", Value::from(*env)));
            }
            sets.push(("pinned", Value::from(pin_marker(date))));
        }
    }
    if sets.is_empty() && removes.is_empty() {
        return Ok(EditOutcome::Unchanged);
    }
    match packages.get_mut(&existing.key) {
        Some(Item::Value(Value::InlineTable(t))) => {
            for (k, v) in sets {
                inline_set(t, k, v);
            }
            for k in removes {
                inline_remove(t, k);
            }
        }
        Some(Item::Table(t)) => {
            for (k, v) in sets {
                table_set(t, k, v);
            }
            for k in removes {
                t.remove(k);
            }
        }
        _ => return Err(unsupported()),
    }
    Ok(EditOutcome::Changed)
}

fn publisher_value(publishers: &[PublisherSpec]) -> Value {
    match publishers {
        [one] => Value::from(one.to_string()),
        many => {
            let mut a = Array::new();
            for p in many {
                a.push(p.to_string());
            }
            Value::Array(a)
        }
    }
}

/// Sets `key` in an inline-table entry the way a person would: a replaced value keeps its
/// spacing, a new key goes last with the closing spacing moved to it.
fn inline_set(t: &mut InlineTable, key: &str, mut value: Value) {
    if let Some(old) = t.get_mut(key) {
        *value.decor_mut() = old.decor().clone();
        *old = value;
        return;
    }
    let mut closing = " ".to_string();
    if let Some((_, last)) = t.iter_mut().last() {
        closing = last
            .decor()
            .suffix()
            .and_then(|s| s.as_str())
            .unwrap_or(" ")
            .to_string();
        last.decor_mut().set_suffix("");
    }
    value.decor_mut().set_prefix(" ");
    value.decor_mut().set_suffix(closing);
    t.insert(key, value);
    if let Some(mut k) = t.key_mut(key) {
        k.leaf_decor_mut().set_prefix(" ");
        k.leaf_decor_mut().set_suffix(" ");
    }
}

/// Removes `key` from an inline-table entry; when it was last, the new last value takes over
/// the closing spacing.
fn inline_remove(t: &mut InlineTable, key: &str) {
    let was_last = t.iter().last().is_some_and(|(k, _)| k == key);
    let Some(removed) = t.remove(key) else {
        return;
    };
    if was_last {
        let closing = removed
            .decor()
            .suffix()
            .and_then(|s| s.as_str())
            .unwrap_or(" ")
            .to_string();
        if let Some((_, last)) = t.iter_mut().last() {
            last.decor_mut().set_suffix(closing);
        }
    }
}

fn table_set(t: &mut Table, key: &str, mut value: Value) {
    if let Some(old) = t.get_mut(key).and_then(Item::as_value_mut) {
        *value.decor_mut() = old.decor().clone();
        *old = value;
        return;
    }
    t.insert(key, Item::Value(value));
}

/// Inserts a value entry before the first value entry that sorts after it, leaving entries the
/// user ordered differently where they are. Tables (`[packages.NAME]`) are not moved.
fn insert_sorted(packages: &mut Table, name: &str, item: Item) {
    let keys: Vec<String> = packages
        .iter()
        .filter(|(_, v)| v.is_value())
        .map(|(k, _)| k.to_string())
        .collect();
    let split = keys
        .iter()
        .position(|k| normalize_project_name(k).as_str() > name)
        .unwrap_or(keys.len());
    let moved: Vec<_> = keys
        .iter()
        .skip(split)
        .filter_map(|k| packages.remove_entry(k))
        .collect();
    packages.insert(name, item);
    for (k, v) in moved {
        packages.insert_formatted(&k, v);
    }
}

/// Holds the advisory lock on `.NAME.lock` beside the trust file until dropped. The lock file
/// is never renamed or deleted, so every writer locks the same inode (locking the trust file
/// itself would not work: it is replaced on every write).
struct LockGuard {
    file: File,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

fn lock_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| FILE_NAME.to_string());
    sibling(path, &format!(".{name}.lock"))
}

fn sibling(path: &Path, name: &str) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(name),
        _ => PathBuf::from(name),
    }
}

fn lock(path: &Path) -> Result<LockGuard, TrustFileError> {
    let lock = lock_path(path);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .map_err(|source| TrustFileError::Write {
            path: lock.clone(),
            source,
        })?;
    let deadline = Instant::now() + LOCK_TIMEOUT;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(LockGuard { file }),
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(TrustFileError::Locked {
                    path: path.to_path_buf(),
                    lock,
                })
            }
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(TrustFileError::Write { path: lock, source })
            }
        }
    }
}

/// Writes `bytes` to a new file beside `path`, flushes it to disk, and renames it over `path`:
/// readers see the old file or the new one, never a partial one.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| FILE_NAME.to_string());
    let tmp = sibling(path, &format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        if let Ok(meta) = fs::metadata(path) {
            f.set_permissions(meta.permissions())?;
        }
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        // The rename itself must reach the disk too.
        #[cfg(unix)]
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests;
