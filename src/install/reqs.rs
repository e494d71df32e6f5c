//! Requirements files, read the way pip reads them, for two reasons: an index option inside one
//! (`--index-url`, `--extra-index-url`, `--find-links`) would send pip around pyprov's verifying
//! index, so pyprov hands pip sanitized copies and serves those indexes itself; and direct URLs,
//! VCS links and local paths must be named and decided before pip fetches anything.

#![deny(clippy::indexing_slicing)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::pipopts::{self, traits, Parsed};
use crate::vocab::PackageName;

/// What a requirement points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReqKind {
    /// A project from an index, with its version when pinned with `==`.
    Named {
        name: PackageName,
        pinned: Option<String>,
    },
    /// An archive URL: pip fetches it itself, so pyprov cannot put its index in between.
    DirectUrl {
        name: Option<PackageName>,
        url: String,
    },
    /// A VCS checkout (`git+https://…`).
    Vcs {
        name: Option<PackageName>,
        url: String,
    },
    /// A local directory or archive: the user's own code on disk.
    LocalPath { path: String },
}

#[derive(Debug, Clone)]
pub struct ReqLine {
    pub text: String,
    pub kind: ReqKind,
    pub hashes: Vec<String>,
    pub editable: bool,
    /// `file:line`, or `command line`.
    pub origin: String,
}

/// Index options and requirements gathered from the command line and every requirements file.
#[derive(Debug, Default)]
pub struct Requirements {
    pub index_url: Option<String>,
    pub extra_index_urls: Vec<String>,
    pub find_links: Vec<String>,
    pub no_index: bool,
    pub lines: Vec<ReqLine>,
    /// Sanitized copies standing in for the user's `-r` files, in order.
    pub requirement_files: Vec<PathBuf>,
    /// Sanitized copies standing in for the user's `-c` files, in order.
    pub constraint_files: Vec<PathBuf>,
    /// Sanitized copies standing in for the user's `--build-constraint` files, in order.
    pub build_constraint_files: Vec<PathBuf>,
    /// Direct URLs, VCS links and local paths named in constraints files: pip would fetch or
    /// build them like requirements, so they are decided like requirements.
    pub constraint_urls: Vec<ReqLine>,
    /// `--trusted-host` lines: for pyprov's own downloads (pip only talks to the gate).
    pub trusted_hosts: Vec<String>,
    /// Every sanitized copy written, nested ones included.
    pub copies: Vec<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReqError {
    #[error("cannot read requirements file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A sanitized copy could not be written (worded as it always was).
    #[error("cannot read requirements file {}: {source}", path.display())]
    Copy {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
    #[error("{origin}: {source}")]
    Options {
        origin: String,
        #[source]
        source: pipopts::OptError,
    },
    #[error("{origin}: {source}")]
    Quoting {
        origin: String,
        #[source]
        source: pipopts::UnclosedQuote,
    },
    /// A line of a `--build-constraint` file pyprov cannot honour as pip would.
    #[error("{origin}: {what} in a --build-constraint file: {why}\n  fix: {fix}")]
    BuildConstraint {
        origin: String,
        what: String,
        why: &'static str,
        fix: &'static str,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

const VCS_PREFIXES: [&str; 4] = ["git+", "hg+", "svn+", "bzr+"];

/// Classifies one requirement as pip would read it.
pub fn classify(text: &str) -> ReqKind {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    if let Some(kind) = classify_url(t, &lower) {
        return kind;
    }
    // pip's `parse_req_from_line`: markers (after the first `;`) are not part of a path.
    let head = t.split(';').next().unwrap_or(t).trim();
    let looks_like_path = head.starts_with('.')
        || head.starts_with('~')
        || head.contains('/')
        || head.contains('\\')
        || is_archive_name(head);
    if looks_like_path {
        return ReqKind::LocalPath {
            path: t.to_string(),
        };
    }
    classify_named(t)
}

/// pip's `is_archive_file` on a requirement (extras stripped, as pip strips them): every
/// extension pip installs from as a local archive, whether or not the file exists.
fn is_archive_name(text: &str) -> bool {
    let path = strip_extras(text).to_ascii_lowercase();
    ARCHIVE_EXTENSIONS.iter().any(|e| path.ends_with(e))
}

/// pip's `strip_extras`: `path[extra,…]` without its extras.
pub(crate) fn strip_extras(path: &str) -> &str {
    match path.strip_suffix(']').and_then(|p| p.rfind('[')) {
        Some(at) => path.get(..at).unwrap_or(path),
        None => path,
    }
}

/// pip's `ARCHIVE_EXTENSIONS` (`utils/filetypes.py`).
const ARCHIVE_EXTENSIONS: [&str; 12] = [
    ".zip",
    ".whl",
    ".tar.bz2",
    ".tbz",
    ".tar.gz",
    ".tgz",
    ".tar",
    ".tar.xz",
    ".txz",
    ".tlz",
    ".tar.lz",
    ".tar.lzma",
];

/// A URL, or `name @ URL`: where pip would fetch around any index.
fn classify_url(t: &str, lower: &str) -> Option<ReqKind> {
    if VCS_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return Some(ReqKind::Vcs {
            name: egg_name(t),
            url: t.to_string(),
        });
    }
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Some(ReqKind::DirectUrl {
            name: egg_name(t),
            url: t.to_string(),
        });
    }
    if lower.starts_with("file:") {
        return Some(ReqKind::LocalPath {
            path: t.to_string(),
        });
    }
    let (name, url) = t.split_once('@')?;
    let url = url.trim();
    let url = url.split(';').next().unwrap_or(url).trim();
    let name = name.split('[').next().unwrap_or(name).trim();
    let lower = url.to_ascii_lowercase();
    if !(url.contains("://") || lower.starts_with("file:")) {
        return None;
    }
    let name = Some(PackageName::normalize(name));
    Some(if VCS_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        ReqKind::Vcs {
            name,
            url: url.to_string(),
        }
    } else if lower.starts_with("file:") {
        ReqKind::LocalPath {
            path: url.to_string(),
        }
    } else {
        ReqKind::DirectUrl {
            name,
            url: url.to_string(),
        }
    })
}

/// A project from an index, pinned when its one specifier is `==` or `===`.
fn classify_named(t: &str) -> ReqKind {
    let Some(req) = parse_pep508(t) else {
        return ReqKind::Named {
            name: PackageName::normalize(
                t.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
                    .next()
                    .unwrap_or(t),
            ),
            pinned: None,
        };
    };
    let pinned = match &req.version_or_url {
        Some(pep508_rs::VersionOrUrl::VersionSpecifier(specs)) => {
            let specs: Vec<_> = specs.iter().collect();
            match specs.as_slice() {
                [s] if *s.operator() == pep440_rs::Operator::Equal
                    || *s.operator() == pep440_rs::Operator::ExactEqual =>
                {
                    Some(s.version().to_string())
                }
                _ => None,
            }
        }
        _ => None,
    };
    ReqKind::Named {
        name: PackageName::normalize(req.name.as_ref()),
        pinned,
    }
}

/// A PEP 508 requirement, or `None` when `text` is not one. pep508_rs 0.9 panics (an
/// `expect`) on a name or extra that ends in `-`, `.` or `_` before another character (`u-,`,
/// `a[b-]`, found by the `requirements` fuzz target): such text is not valid PEP 508, so it is
/// refused here before pep508_rs sees it.
pub fn parse_pep508(text: &str) -> Option<pep508_rs::Requirement<pep508_rs::VerbatimUrl>> {
    let ident = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_');
    let bad_end = |w: &str| w.ends_with(['-', '.', '_']) || w.starts_with(['-', '.', '_']);
    let t = text.trim_start();
    let name_len = t.find(|c: char| !ident(c)).unwrap_or(t.len());
    let name = t.get(..name_len).unwrap_or("");
    if bad_end(name) {
        return None;
    }
    let rest = t.get(name_len..).unwrap_or("").trim_start();
    if let Some(extras) = rest.strip_prefix('[') {
        let inner = extras.split(']').next().unwrap_or("");
        if inner
            .split(',')
            .map(str::trim)
            .any(|e| !e.is_empty() && bad_end(e))
        {
            return None;
        }
    }
    pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(text).ok()
}

fn egg_name(url: &str) -> Option<PackageName> {
    url.split_once("#egg=")
        .map(|(_, e)| PackageName::normalize(e.split('&').next().unwrap_or(e)))
}

/// What Python's `str.splitlines` breaks a line at: pip splits a requirements file with it, so
/// a `\r`, `\x0b` or U+2028 inside what `str::lines` sees as one line is several lines to pip.
pub(crate) fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\x0b'
            | '\x0c'
            | '\x1c'
            | '\x1d'
            | '\x1e'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Physical lines as pip's `splitlines()` makes them (`\r\n` is one break), after pip's
/// `auto_decode` dropped a UTF-8 byte-order mark.
fn physical_lines(text: &str) -> Vec<&str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        match rest.char_indices().find(|(_, c)| is_line_break(*c)) {
            Some((at, c)) => {
                out.push(rest.get(..at).unwrap_or(""));
                let mut next = at + c.len_utf8();
                if c == '\r' && rest.get(next..).is_some_and(|r| r.starts_with('\n')) {
                    next += 1;
                }
                rest = rest.get(next..).unwrap_or("");
            }
            None => {
                out.push(rest);
                rest = "";
            }
        }
    }
    out
}

/// pip's `COMMENT_RE.match`: the line starts with `#`, or with white space and then `#`.
fn is_comment_line(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// Logical lines, in pip's order (`req_file.preprocess`): `\` continuations joined first (a
/// comment line is never continued, but a comment at the end of a continued line swallows the
/// next line, as in pip), then comments removed (`(^|\s+)#.*$`), then empty lines dropped.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut joined: Vec<(usize, String)> = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in physical_lines(text).into_iter().enumerate() {
        let comment = is_comment_line(line);
        if !line.ends_with('\\') || comment {
            let line = if comment {
                format!(" {line}")
            } else {
                line.to_string()
            };
            match current.take() {
                Some((start, mut acc)) => {
                    acc.push_str(&line);
                    joined.push((start, acc));
                }
                None => joined.push((i + 1, line)),
            }
        } else {
            let part = line.trim_matches('\\');
            match current.as_mut() {
                Some((_, acc)) => acc.push_str(part),
                None => current = Some((i + 1, part.to_string())),
            }
        }
    }
    if let Some(last) = current {
        joined.push(last);
    }
    joined
        .into_iter()
        .filter_map(|(n, l)| {
            let l = strip_comment(&l).trim().to_string();
            (!l.is_empty()).then_some((n, l))
        })
        .collect()
}

/// pip's `COMMENT_RE.sub("", line)`: from the first `#` at the start or after white space.
fn strip_comment(line: &str) -> &str {
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        if c == '#' && prev_space {
            return line.get(..i).unwrap_or(line);
        }
        prev_space = c.is_whitespace();
    }
    line
}

/// pip's `break_args_options`: the words before the first one that starts with `-` are the
/// requirement, the rest are options.
fn break_args_options(line: &str) -> (String, String) {
    let tokens: Vec<&str> = line.split(' ').collect();
    let split = tokens
        .iter()
        .position(|t| t.starts_with('-'))
        .unwrap_or(tokens.len());
    let (args, opts) = tokens.split_at(split);
    (args.join(" "), opts.join(" "))
}

struct Reader<'a> {
    out_dir: &'a Path,
    seen: HashSet<PathBuf>,
    counter: usize,
    reqs: Requirements,
    /// Reading `--build-constraint` files (and the files they nest).
    build: bool,
}

/// The requirements file being read.
struct File {
    /// Its directory: nested files and find-links directories are relative to it.
    dir: PathBuf,
    /// Read as a constraints file.
    constraint: bool,
}

impl Reader<'_> {
    fn read(&mut self, path: &Path, constraint: bool) -> Result<PathBuf, ReqError> {
        let unreadable = |source| ReqError::Read {
            path: path.to_path_buf(),
            source,
        };
        let abs = std::fs::canonicalize(path).map_err(unreadable)?;
        self.counter += 1;
        let out = self.out_dir.join(format!("req-{}.txt", self.counter));
        if !self.seen.insert(abs.clone()) {
            // pip would loop forever on a cycle; an empty stand-in ends it.
            write_copy(&out, "")?;
            return Ok(out);
        }
        let text = read_bounded(&abs).map_err(unreadable)?;
        let file = File {
            dir: abs.parent().map(Path::to_path_buf).unwrap_or_default(),
            constraint,
        };
        let mut sanitized = String::new();
        for (lineno, raw_line) in logical_lines(&text) {
            let origin = format!("{}:{lineno}", path.display());
            sanitized.push_str(&self.read_line(&file, &origin, &raw_line)?);
        }
        if sanitized.chars().any(|c| c != '\n' && is_line_break(c)) {
            return Err(ReqError::Invalid {
                origin: path.display().to_string(),
                message: "a line break pip would see inside a line; refusing to hand pip a copy it would read differently".into(),
            });
        }
        write_copy(&out, &sanitized)?;
        self.reqs.copies.push(out.clone());
        Ok(out)
    }

    /// One logical line: what its options set, and its sanitized copy (empty, or lines).
    fn read_line(&mut self, file: &File, origin: &str, raw_line: &str) -> Result<String, ReqError> {
        let line = pipopts::expand_env(raw_line);
        check_expansion(&line, raw_line, origin)?;
        let (requirement, options) = break_args_options(&line);
        let requirement = requirement.trim();
        let words = pipopts::shlex_split(&options).map_err(|source| ReqError::Quoting {
            origin: origin.to_string(),
            source,
        })?;
        let parsed =
            pipopts::parse(&words, pipopts::Command::RequirementsFile).map_err(|source| {
                ReqError::Options {
                    origin: origin.to_string(),
                    source,
                }
            })?;
        let mut sanitized = String::new();
        let mut hashes = Vec::new();
        let mut per_requirement = Vec::new();
        for p in parsed {
            let (option, value) = match p {
                Parsed::Opt { option, value, .. } => (option, value.unwrap_or_default()),
                Parsed::Positional(w) => {
                    return Err(ReqError::Invalid {
                        origin: origin.to_string(),
                        message: format!("unexpected word {w:?} after the options"),
                    })
                }
            };
            if requirement.is_empty() {
                sanitized.push_str(&self.apply_option(file, origin, option, value)?);
            } else if option.dest == "hashes" {
                hashes.push(value);
            } else if option.has(traits::PER_REQUIREMENT) {
                per_requirement.push(quoted_option(option, &value));
            }
            // pip applies only per-requirement options on a requirement's line and ignores the
            // rest (an index or `-r` after a requirement does nothing); so does pyprov, and they
            // stay out of the copy.
        }
        if requirement.is_empty() {
            return Ok(sanitized);
        }
        self.check_build_requirement(origin, requirement)?;
        self.reqs.push_line(
            requirement,
            hashes.clone(),
            false,
            origin.to_string(),
            file.constraint,
        );
        let mut copy = requirement.to_string();
        for h in &hashes {
            copy.push_str(&format!(" --hash={}", quote(h)));
        }
        for o in &per_requirement {
            copy.push(' ');
            copy.push_str(o);
        }
        copy.push('\n');
        Ok(copy)
    }

    /// An option on a line of its own: what it sets, and its line in the copy, if any.
    fn apply_option(
        &mut self,
        file: &File,
        origin: &str,
        option: &pipopts::PipOption,
        value: String,
    ) -> Result<String, ReqError> {
        let nested = |v: &str| file.dir.join(v);
        self.check_build_option(origin, option, &value)?;
        match option.dest {
            "requirements" | "constraints" => {
                if value.contains("://") {
                    return Err(ReqError::Invalid {
                        origin: origin.to_string(),
                        message: "remote requirements files are not supported; download it and pass the local file".into(),
                    });
                }
                let is_constraint = option.dest == "constraints";
                let copy = self.read(&nested(&value), file.constraint || is_constraint)?;
                let flag = if is_constraint { "-c" } else { "-r" };
                return Ok(format!("{flag} {}\n", quote(&copy.display().to_string())));
            }
            "index_url" => self.reqs.index_url = Some(value),
            "extra_index_urls" => self.reqs.extra_index_urls.push(value),
            "find_links" => {
                // pip takes a find-links path relative to the file when it exists there.
                let rel = nested(&value);
                let v = if !value.contains("://") && rel.exists() {
                    rel.display().to_string()
                } else {
                    value
                };
                self.reqs.find_links.push(v)
            }
            "no_index" => self.reqs.no_index = true,
            "trusted_hosts" => self.reqs.trusted_hosts.push(value),
            "editables" => {
                self.reqs.push_line(
                    &value,
                    Vec::new(),
                    true,
                    origin.to_string(),
                    file.constraint,
                );
                return Ok(format!("-e {}\n", quote(&value)));
            }
            // A hash with no requirement on its line hashes nothing.
            "hashes" => {}
            _ => return Ok(format!("{}\n", quoted_option(option, &value))),
        }
        Ok(String::new())
    }

    /// A local path or `file:` URL in a build-constraints file would be installed into an sdist's
    /// build environment, which pip's report never shows: pyprov could not vet it.
    fn check_build_requirement(&self, origin: &str, requirement: &str) -> Result<(), ReqError> {
        if self.build && matches!(classify(requirement), ReqKind::LocalPath { .. }) {
            return Err(ReqError::BuildConstraint {
                origin: origin.to_string(),
                what: format!("`{requirement}` is a local path or file: URL"),
                why: "pip would install it into an sdist's build environment, which pyprov never sees and cannot vet",
                fix: "serve the file from an index or a --find-links directory (pyprov vets what it serves) and constrain it by version (`NAME==VERSION`)",
            });
        }
        Ok(())
    }

    /// pip applies a build-constraints file's source options to the build environments only;
    /// pyprov serves one set of sources to the whole run, so it refuses them rather than move
    /// the run's sources. An editable is a local checkout, refused like a local path.
    fn check_build_option(
        &self,
        origin: &str,
        option: &pipopts::PipOption,
        value: &str,
    ) -> Result<(), ReqError> {
        if !self.build {
            return Ok(());
        }
        let shown = if option.takes_value() {
            format!("--{} {value}", option.name())
        } else {
            format!("--{}", option.name())
        };
        match option.dest {
            "index_url" | "extra_index_urls" | "find_links" | "no_index" | "trusted_hosts" => {
                Err(ReqError::BuildConstraint {
                    origin: origin.to_string(),
                    what: format!("`{shown}`"),
                    why: "pip would look for build dependencies there only, and pyprov serves one set of sources to the whole run",
                    fix: "give the option on the command line or in a requirements file (it then applies to the whole run), or drop it from the build-constraints file",
                })
            }
            "editables" => Err(ReqError::BuildConstraint {
                origin: origin.to_string(),
                what: format!("`{shown}` is an editable (a local or VCS checkout)"),
                why: "pip would install it into an sdist's build environment, which pyprov never sees and cannot vet",
                fix: "serve the build dependency from an index or a --find-links directory (pyprov vets what it serves) and constrain it by version (`NAME==VERSION`)",
            }),
            _ => Ok(()),
        }
    }
}

impl Requirements {
    /// One requirement, classified: a constraint's direct URL is kept to be decided like a
    /// requirement, a named constraint only constrains. Also for a requirement pyprov read from
    /// somewhere else than a requirements file or the command line (a script's inline metadata,
    /// a dependency group), named by `origin` in messages.
    pub fn push_line(
        &mut self,
        text: &str,
        hashes: Vec<String>,
        editable: bool,
        origin: String,
        constraint: bool,
    ) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        let line = ReqLine {
            kind: classify(text),
            text: text.to_string(),
            hashes,
            editable,
            origin,
        };
        if constraint {
            if !matches!(line.kind, ReqKind::Named { .. }) {
                self.constraint_urls.push(line);
            }
            return;
        }
        self.lines.push(line);
    }
}

/// pip expands `${VAR}` after it removed comments and split lines, and would expand the
/// sanitized copy again: a value that brings a comment, a line break or another `${` would read
/// differently the second time.
fn check_expansion(line: &str, raw_line: &str, origin: &str) -> Result<(), ReqError> {
    if line != raw_line
        && (line.contains(" #")
            || line.contains("\t#")
            || line.starts_with('#')
            || line.contains("${")
            || line.chars().any(is_line_break))
    {
        return Err(ReqError::Invalid {
            origin: origin.to_string(),
            message: "an environment variable here expands to text with `#`, `${` or a line break, which pip would read differently from pyprov; set it to a plain value".into(),
        });
    }
    Ok(())
}

fn write_copy(out: &Path, text: &str) -> Result<(), ReqError> {
    std::fs::write(out, text).map_err(|source| ReqError::Copy {
        path: out.to_path_buf(),
        source,
    })
}

/// The largest requirements file read (`-r /dev/zero` must not eat the memory).
const MAX_REQUIREMENTS_BYTES: u64 = 64 * 1024 * 1024;

fn read_bounded(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_REQUIREMENTS_BYTES + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > MAX_REQUIREMENTS_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {MAX_REQUIREMENTS_BYTES} bytes, pyprov's limit for a requirements file"
        )));
    }
    Ok(text)
}

/// `--name=VALUE` with only the value quoted: a quoted `'--name=…'` would not start with `-`,
/// and pip would read it as part of the requirement.
fn quoted_option(option: &pipopts::PipOption, value: &str) -> String {
    if option.takes_value() {
        format!("--{}={}", option.name(), quote(value))
    } else {
        option.canonical(None)
    }
}

/// Quotes a word for pip's `shlex.split` when it needs it.
fn quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_=.,:/@+%~^[]<>!".contains(c))
    {
        return word.to_string();
    }
    format!("'{}'", word.replace('\'', "'\"'\"'"))
}

/// Replaces a URL pyprov decided up front with the gate's URL for it, in every sanitized copy.
pub fn rewrite(reqs: &Requirements, from: &str, to: &str) -> Result<(), ReqError> {
    for f in &reqs.copies {
        let io = |source| ReqError::Write {
            path: f.clone(),
            source,
        };
        let text = std::fs::read_to_string(f).map_err(io)?;
        if text.contains(from) {
            std::fs::write(f, text.replace(from, to)).map_err(io)?;
        }
    }
    Ok(())
}

/// Reads every requirements and constraints file (recursively), the command line's
/// requirements, and the `--build-constraint` files (read as constraints files are: a direct URL
/// in one is decided like a requirement), writing sanitized copies of the files into `out_dir`,
/// all named alike (what a stored resolution is keyed by: `reuse::requirement_copies`).
pub fn gather(
    requirement_files: &[PathBuf],
    constraint_files: &[PathBuf],
    cli_requirements: &[String],
    cli_editables: &[String],
    build_constraint_files: &[PathBuf],
    out_dir: &Path,
) -> Result<Requirements, ReqError> {
    let mut r = Reader {
        out_dir,
        seen: HashSet::new(),
        counter: 0,
        reqs: Requirements::default(),
        build: false,
    };
    for f in requirement_files {
        let copy = r.read(f, false)?;
        r.reqs.requirement_files.push(copy);
    }
    for f in constraint_files {
        let copy = r.read(f, true)?;
        r.reqs.constraint_files.push(copy);
    }
    for req in cli_requirements {
        r.reqs
            .push_line(req, Vec::new(), false, "command line".into(), false);
    }
    for e in cli_editables {
        r.reqs
            .push_line(e, Vec::new(), true, "command line".into(), false);
    }
    // A file given as `-c` too is read again for the build environments: its copy there is
    // not the empty stand-in that ends a cycle.
    r.seen.clear();
    r.build = true;
    for f in build_constraint_files {
        let copy = r.read(f, true)?;
        r.reqs.build_constraint_files.push(copy);
    }
    Ok(r.reqs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_requirements() {
        assert_eq!(
            classify("Requests==2.32.3"),
            ReqKind::Named {
                name: PackageName::normalize("requests"),
                pinned: Some("2.32.3".into())
            }
        );
        assert_eq!(
            classify("requests>=2; python_version > '3'"),
            ReqKind::Named {
                name: PackageName::normalize("requests"),
                pinned: None
            }
        );
        assert!(
            matches!(classify("git+https://github.com/a/b#egg=b"), ReqKind::Vcs { name: Some(n), .. } if n == "b")
        );
        assert!(matches!(
            classify("pkg @ git+https://x/y"),
            ReqKind::Vcs { .. }
        ));
        assert!(
            matches!(classify("pkg @ https://x/pkg-1.0.tar.gz"), ReqKind::DirectUrl { name: Some(n), .. } if n == "pkg")
        );
        assert!(matches!(
            classify("https://x/pkg-1.0.tar.gz"),
            ReqKind::DirectUrl { .. }
        ));
        assert!(matches!(classify("./local"), ReqKind::LocalPath { .. }));
        assert!(matches!(classify("."), ReqKind::LocalPath { .. }));
        assert!(matches!(
            classify("dist/pkg-1.0-py3-none-any.whl"),
            ReqKind::LocalPath { .. }
        ));
        assert!(matches!(
            classify("pkg @ file:///tmp/x"),
            ReqKind::LocalPath { .. }
        ));
        // Every archive pip installs from a local file (`is_archive_file`), extras stripped;
        // a `/` in a marker is not a path, as in pip's `parse_req_from_line`.
        for t in [
            "pkg-1.0.tar",
            "pkg-1.0.tar.xz",
            "pkg.tbz",
            "pkg-1.0-py3-none-any.whl[x]",
        ] {
            assert!(matches!(classify(t), ReqKind::LocalPath { .. }), "{t}");
        }
        assert!(matches!(
            classify("pkg<2; platform_release != 'a/b'"),
            ReqKind::Named { .. }
        ));
        assert!(matches!(
            classify("pkg @ FILE:pkg-1.0.tar.gz"),
            ReqKind::LocalPath { .. }
        ));
    }

    #[test]
    fn sanitizes_index_options_and_follows_nested_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("base.txt"),
            "--index-url https://evil.example/simple\nsix==1.16 \\\n    --hash=sha256:aa\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("reqs.txt"),
            "# comment\n-r base.txt\n--extra-index-url=https://extra/simple\n-f ./wheels\nrequests>=2 # trailing\n-e ./proj\n-c cons.txt\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("cons.txt"), "urllib3<3\n").unwrap();
        let r = gather(
            &[dir.path().join("reqs.txt")],
            &[],
            &["idna".into()],
            &[],
            &[],
            out.path(),
        )
        .unwrap();
        assert_eq!(r.index_url.as_deref(), Some("https://evil.example/simple"));
        assert_eq!(r.extra_index_urls, vec!["https://extra/simple"]);
        assert!(r.find_links[0].ends_with("wheels"));
        let names: Vec<_> = r.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(names, vec!["six==1.16", "requests>=2", "./proj", "idna"]);
        assert_eq!(r.lines[0].hashes, vec!["sha256:aa"]);
        assert!(r.lines[2].editable);
        let top = std::fs::read_to_string(&r.requirement_files[0]).unwrap();
        assert!(
            !top.contains("extra-index") && !top.contains("-f "),
            "{top}"
        );
        let all: String = std::fs::read_dir(out.path())
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        assert!(!all.contains("evil.example"), "{all}");
        assert!(all.contains("--hash=sha256:aa"), "{all}");
    }

    #[test]
    fn options_read_as_pip_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("reqs.txt"),
            "--extra-index https://evil.example/simple\n--ind=https://evil2.example/simple\n-fhttps://evil3.example/links\nsix==1.16 --hash sha256:aa --hash=sha256:bb\n",
        )
        .unwrap();
        let r = gather(
            &[dir.path().join("reqs.txt")],
            &[],
            &[],
            &[],
            &[],
            out.path(),
        )
        .unwrap();
        assert_eq!(r.extra_index_urls, ["https://evil.example/simple"]);
        assert_eq!(r.index_url.as_deref(), Some("https://evil2.example/simple"));
        assert_eq!(r.find_links, ["https://evil3.example/links"]);
        assert_eq!(r.lines[0].hashes, ["sha256:aa", "sha256:bb"]);
        let copy = std::fs::read_to_string(&r.requirement_files[0]).unwrap();
        assert_eq!(copy, "six==1.16 --hash=sha256:aa --hash=sha256:bb\n");
        // Used to panic (a byte slice inside `é`); now pip's own error.
        std::fs::write(dir.path().join("bad.txt"), "-éx foo\n").unwrap();
        let err = gather(
            &[dir.path().join("bad.txt")],
            &[],
            &[],
            &[],
            &[],
            out.path(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}:1: no such option: -é",
                dir.path().join("bad.txt").display()
            )
        );
        // A direct URL in a constraints file is decided like a requirement.
        std::fs::write(
            dir.path().join("c.txt"),
            "payload @ http://x/payload-1.0.tar.gz\n",
        )
        .unwrap();
        let r = gather(&[], &[dir.path().join("c.txt")], &[], &[], &[], out.path()).unwrap();
        assert!(matches!(
            r.constraint_urls[0].kind,
            ReqKind::DirectUrl { .. }
        ));
    }

    #[test]
    fn pep508_panics_are_not_reached() {
        // pep508_rs 0.9 panics on these (found by the `requirements` fuzz target).
        for t in ["u-,", "a[b-]", "a[b_,c]", "a-", "-a"] {
            let _ = classify(t);
            assert!(parse_pep508(t).is_none(), "{t}");
        }
        assert!(parse_pep508("a[b-c, d] >= 1").is_some());
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("z.txt"), "-r /dev/zero\n").unwrap();
        assert!(gather(&[dir.path().join("z.txt")], &[], &[], &[], &[], dir.path()).is_err());
    }

    #[test]
    fn lines_split_and_comments_as_pip_does() {
        let dir = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        // A carriage return and U+2028 are line breaks to pip; a comment at the end of a
        // continued line swallows the next line; options after a requirement are ignored.
        std::fs::write(
            dir.path().join("r.txt"),
            "\u{feff}six\r-fhttps://x.example/links\u{2028}idna\nfoo # note \\\n--index-url https://evil.example/simple\nbar --extra-index-url=https://evil.example/simple -r other.txt\n",
        )
        .unwrap();
        let r = gather(&[dir.path().join("r.txt")], &[], &[], &[], &[], out.path()).unwrap();
        let names: Vec<_> = r.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(names, ["six", "idna", "foo", "bar"]);
        assert_eq!(r.find_links, ["https://x.example/links"]);
        assert_eq!(r.index_url, None);
        assert!(r.extra_index_urls.is_empty());
        let copy = std::fs::read_to_string(&r.requirement_files[0]).unwrap();
        assert_eq!(copy, "six\nidna\nfoo\nbar\n");
        // A variable that brings a comment is refused.
        std::env::set_var("PYPROV_TEST_HASH_VALUE", "six #");
        std::fs::write(dir.path().join("e.txt"), "${PYPROV_TEST_HASH_VALUE}\n").unwrap();
        assert!(gather(&[dir.path().join("e.txt")], &[], &[], &[], &[], out.path()).is_err());
    }

    /// pip installs what a build-constraints file names into an sdist's build environment,
    /// which its report never shows: a local file there would go unvetted, and its source
    /// options would apply to the build environments only. Both are refused, naming the file,
    /// the line and the fix; the run's sources stay as they were.
    #[test]
    fn build_constraints_refuse_local_paths_and_source_options() {
        let dir = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        let bc = dir.path().join("bc.txt");
        for line in [
            "setuptools @ file:///repo/vendor/setuptools-99-py3-none-any.whl",
            "setuptools@FILE:vendor/setuptools-99-py3-none-any.whl",
            "/repo/vendor/setuptools-99-py3-none-any.whl",
            "file:///repo/vendor/setuptools-99.tar.gz",
            "./vendor/setuptools",
            "setuptools-99.tar",
            "setuptools-99.tar.xz",
            "setuptools-99-py3-none-any.whl[extra] ; python_version > '3'",
            "-e ./vendor/setuptools",
            "--editable=git+https://example.invalid/setuptools#egg=setuptools",
            "--index-url https://elsewhere.invalid/simple/",
            "-i https://elsewhere.invalid/simple/",
            "--extra-index-url=https://elsewhere.invalid/simple/",
            "--find-links ./wheels",
            "-f https://elsewhere.invalid/links/",
            "--no-index",
            "--trusted-host elsewhere.invalid",
        ] {
            std::fs::write(&bc, format!("wheel<1\n{line}\n")).unwrap();
            let err =
                gather(&[], &[], &[], &[], std::slice::from_ref(&bc), out.path()).unwrap_err();
            assert!(
                matches!(err, ReqError::BuildConstraint { .. }),
                "{line}: {err}"
            );
            let shown = err.to_string();
            assert!(
                shown.starts_with(&format!("{}:2: ", bc.display())) && shown.contains("\n  fix: "),
                "{line}: {shown}"
            );
        }
        std::fs::write(
            &bc,
            "setuptools @ file:///repo/vendor/setuptools-99-py3-none-any.whl\n",
        )
        .unwrap();
        let err = gather(&[], &[], &[], &[], std::slice::from_ref(&bc), out.path()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}:1: `setuptools @ file:///repo/vendor/setuptools-99-py3-none-any.whl` is a local path or file: URL in a --build-constraint file: pip would install it into an sdist's build environment, which pyprov never sees and cannot vet\n  fix: serve the file from an index or a --find-links directory (pyprov vets what it serves) and constrain it by version (`NAME==VERSION`)",
                bc.display()
            )
        );
        std::fs::write(&bc, "--index-url https://elsewhere.invalid/simple/\n").unwrap();
        let err = gather(&[], &[], &[], &[], std::slice::from_ref(&bc), out.path()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}:1: `--index-url https://elsewhere.invalid/simple/` in a --build-constraint file: pip would look for build dependencies there only, and pyprov serves one set of sources to the whole run\n  fix: give the option on the command line or in a requirements file (it then applies to the whole run), or drop it from the build-constraints file",
                bc.display()
            )
        );
        // A file a build-constraints file nests is held to the same rules.
        std::fs::write(dir.path().join("more.txt"), "-f ./wheels\n").unwrap();
        std::fs::write(&bc, "-c more.txt\n").unwrap();
        let err = gather(&[], &[], &[], &[], std::slice::from_ref(&bc), out.path()).unwrap_err();
        assert!(
            err.to_string().starts_with(&format!(
                "{}:1: `--find-links ./wheels`",
                dir.path().join("more.txt").display()
            )),
            "{err}"
        );
        // Named constraints, a direct URL (decided up front, like a requirement's) and options
        // pip applies to the build environment itself are kept.
        std::fs::write(
            &bc,
            "setuptools<70; platform_release != 'a/b'\n--pre\nflit-core @ https://example.invalid/flit_core-3.9.0-py3-none-any.whl\n",
        )
        .unwrap();
        let reqs = gather(&[], &[], &[], &[], std::slice::from_ref(&bc), out.path()).unwrap();
        let copy = std::fs::read_to_string(&reqs.build_constraint_files[0]).unwrap();
        assert_eq!(copy, "setuptools<70; platform_release != 'a/b'\n--pre\nflit-core @ https://example.invalid/flit_core-3.9.0-py3-none-any.whl\n");
        assert!(matches!(
            reqs.constraint_urls.as_slice(),
            [ReqLine {
                kind: ReqKind::DirectUrl { .. },
                ..
            }]
        ));
        // In a constraints file (-c) the same lines are read as before: its sources are the
        // run's, as in pip, and a local file it names shows in pip's report, vetted there.
        std::fs::write(
            &bc,
            "--index-url https://elsewhere.invalid/simple/\nsetuptools @ file:///repo/vendor/setuptools-99-py3-none-any.whl\n",
        )
        .unwrap();
        let r = gather(&[], std::slice::from_ref(&bc), &[], &[], &[], out.path()).unwrap();
        assert_eq!(
            r.index_url.as_deref(),
            Some("https://elsewhere.invalid/simple/")
        );
        assert!(matches!(
            r.constraint_urls[0].kind,
            ReqKind::LocalPath { .. }
        ));
        // A file given as -c and as --build-constraint is read for each (not the empty
        // stand-in that ends a cycle), its copies beside the others, named alike.
        std::fs::write(&bc, "setuptools<70\n").unwrap();
        let both = std::slice::from_ref(&bc);
        let r = gather(&[], both, &[], &[], both, out.path()).unwrap();
        let (cons, build) = (&r.constraint_files, &r.build_constraint_files);
        assert_eq!(cons.len() + build.len(), 2);
        for copy in cons.iter().chain(build) {
            assert_eq!(copy.parent(), Some(out.path()));
            assert_eq!(std::fs::read_to_string(copy).unwrap(), "setuptools<70\n");
        }
    }

    #[test]
    fn cycles_end() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "-r b.txt\nx\n").unwrap();
        std::fs::write(dir.path().join("b.txt"), "-r a.txt\ny\n").unwrap();
        let r = gather(&[dir.path().join("a.txt")], &[], &[], &[], &[], dir.path()).unwrap();
        assert_eq!(r.lines.len(), 2);
    }

    /// Found by `fuzz/fuzz_targets/requirements.rs`: an option whose value needs quoting was
    /// written to the sanitized copy as one quoted word (`'--no-binary=a}'`), which neither pip's
    /// `break_args_options` nor pyprov's reads as an option (it does not start with `-`). Only
    /// the value is quoted now.
    #[test]
    fn sanitized_options_with_quoted_values_read_back_as_options() {
        let dir = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        let again = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("r.txt"),
            "--no-binary a}\nsix --config-settings=a=b}\n",
        )
        .unwrap();
        let r = gather(&[dir.path().join("r.txt")], &[], &[], &[], &[], out.path()).unwrap();
        let texts = |r: &Requirements| r.lines.iter().map(|l| l.text.clone()).collect::<Vec<_>>();
        assert_eq!(texts(&r), ["six"]);
        let copy = r.requirement_files[0].clone();
        let r2 = gather(&[copy], &[], &[], &[], &[], again.path()).unwrap();
        assert_eq!(texts(&r2), ["six"]);
    }
}
