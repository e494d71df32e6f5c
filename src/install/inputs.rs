//! pip 25/26's other inputs, read by pyprov so that pip never reads a requirement pyprov has not
//! vetted: `--requirements-from-script` (PEP 723 inline metadata), `--group [PATH:]NAME` (PEP 735
//! dependency groups), `--build-constraint` (read like `-c`, handed to pip as sanitized copies),
//! and `--only-deps`'s conflicts, each refused in pip's words.
//!
//! A script's dependencies and a group's requirements join the command line's requirements
//! (`PipArgs::requirements`): they are classified and decided up front like those, and pip
//! receives them as requirements, never as `--group`/`--requirements-from-script` (under the
//! install step's `--require-hashes` pip would read the group again, unpinned).

#![deny(clippy::indexing_slicing)]

use std::collections::btree_map::{self, BTreeMap};
use std::path::Path;
use std::str::FromStr;
use std::sync::LazyLock;

use pep440_rs::Version;
use regex::Regex;
use toml_edit::{DocumentMut, Item, Value};

use super::args::PipArgs;
use super::locked;
use super::pip::Pip;
use super::reqs::{self, ReqError, Requirements};
use crate::vocab::PackageName;

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(transparent)]
    Requirements(#[from] ReqError),
    #[error("{0}")]
    OnlyDeps(String),
    #[error("--requirements-from-script can only be given once")]
    ScriptTwice,
    #[error("cannot read script {path}: {source}")]
    ScriptRead {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// pip's `PEP723Exception` messages.
    #[error("{0}")]
    Pep723(String),
    #[error("{script}: {message}")]
    ScriptMetadata { script: String, message: String },
    #[error(
        "Script {} requires a different Python: {python} not in {}\n  fix: run it with an interpreter the script supports (--python), or pass --ignore-requires-python",
        py_repr(script),
        py_repr(requires)
    )]
    RequiresPython {
        script: String,
        python: String,
        requires: String,
    },
    /// pip's `_handle_python_version`, in its words.
    #[error("--python-version error: invalid --python-version value: {}: {why}\n  fix: give up to three dot-separated integers (3, 3.12, 3.12.1) or two digits without a dot (312 for 3.12), or leave --python-version (and PIP_PYTHON_VERSION) out", py_repr(value))]
    PythonVersionValue { value: String, why: &'static str },
    #[error("--group error: group paths use local 'pyproject.toml' or 'pylock.toml' files")]
    GroupPath,
    #[error("--group {value}: pyprov does not read dependency groups out of a lock file\n  fix: install the lock with `-r {path}` (its default groups), or name the group of a pyproject.toml")]
    GroupFromLock { value: String, path: String },
    /// pip's `InstallationError` messages for dependency groups.
    #[error("{0}")]
    Group(String),
    #[error("{option} needs pip {since} or newer; this pip is {version}\n  fix: upgrade pip in that environment, or leave {option} out")]
    PipTooOld {
        option: &'static str,
        since: &'static str,
        version: String,
    },
    #[error("--build-constraint cannot be used with --no-build-isolation.")]
    BuildConstraintWithoutIsolation,
    #[error("{0}")]
    Scratch(#[source] std::io::Error),
}

/// One requirement read out of a script or a group, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub text: String,
    pub origin: String,
}

/// Reads every input of the run: the requirements and constraints files and the command line
/// (`reqs::gather`), then the dependency groups and the script, whose requirements join the
/// command line's, then the build constraints, whose sanitized copies pip gets in every run.
pub(crate) fn gather(
    pip_args: &mut PipArgs,
    pip: &Pip,
    out_dir: &Path,
) -> Result<Requirements, InputError> {
    let groups = parse_group_values(&pip_args.groups)?;
    check_only_deps(pip_args)?;
    check_versions(pip_args, pip.version)?;
    if !pip_args.build_constraints.is_empty() && pip_args.no_build_isolation {
        return Err(InputError::BuildConstraintWithoutIsolation);
    }
    let mut extra = read_groups(&groups)?;
    if let Some(script) = single_script(&pip_args.scripts)? {
        let python = python_version(pip_args.python_version.as_deref(), pip)?;
        extra.extend(read_script(
            Path::new(script),
            script,
            python.as_ref(),
            pip_args.ignore_requires_python,
        )?);
    }
    let mut reqs = reqs::gather(
        &pip_args.requirement_files,
        &pip_args.constraint_files,
        &pip_args.requirements,
        &pip_args.editables,
        &pip_args.build_constraints,
        out_dir,
    )?;
    let asked = !groups.is_empty() || !pip_args.scripts.is_empty();
    for r in extra {
        reqs.push_line(&r.text, Vec::new(), false, r.origin, false);
        pip_args.requirements.push(r.text);
    }
    if asked
        && pip_args.requirements.is_empty()
        && pip_args.editables.is_empty()
        && reqs.requirement_files.is_empty()
    {
        // An empty group or a script without dependencies asks for nothing, and pip installs
        // nothing; pip given no requirement at all would refuse instead.
        let empty = out_dir.join("nothing.txt");
        std::fs::write(&empty, "").map_err(InputError::Scratch)?;
        reqs.requirement_files.push(empty);
    }
    for copy in &reqs.build_constraint_files {
        let word = format!("--build-constraint={}", copy.display());
        for words in [
            &mut pip_args.resolve,
            &mut pip_args.install,
            &mut pip_args.install_pinned,
            &mut pip_args.build,
        ] {
            words.push(word.clone());
        }
        // What the copy says is in a stored resolution's key with every copy
        // (`reuse::requirement_copies`); which of them pip reads as build constraints is too.
        if let Some(name) = copy.file_name() {
            pip_args
                .resolve_key
                .push(format!("--build-constraint={}", name.to_string_lossy()));
        }
    }
    Ok(reqs)
}

/// pip's `check_only_deps_option_does_not_conflict`, in its words.
fn check_only_deps(a: &PipArgs) -> Result<(), InputError> {
    if !a.only_deps {
        return Ok(());
    }
    let mut conflicts: Vec<String> = Vec::new();
    for (on, name) in [
        (a.no_deps, "'--no-deps'"),
        (a.legacy_resolver, "'--use-deprecated legacy-resolver'"),
        (!a.requirement_files.is_empty(), "'--requirement'"),
        (!a.scripts.is_empty(), "'--requirements-from-script'"),
        (!a.groups.is_empty(), "'--group'"),
    ] {
        if on {
            conflicts.push(name.to_string());
        }
    }
    if conflicts.len() > 1 {
        if let Some(last) = conflicts.last_mut() {
            *last = format!("or {last}");
        }
    }
    if conflicts.is_empty() {
        return Ok(());
    }
    Err(InputError::OnlyDeps(format!(
        "Cannot use '--only-dependencies' in combination with {}. If this is unexpected, please refer to the user guide:\n\n    https://pip.pypa.io/en/stable/user_guide/#installing-only-dependencies",
        conflicts.join(", ")
    )))
}

/// The pip that runs must know the option pyprov reads in its place: pyprov would otherwise
/// install what that pip could not have been asked for. Each option's first pip: `--group`
/// 25.1, `--build-constraint` 25.3, `--requirements-from-script` 26.0 (pip 25.3's cmdoptions
/// has the first two, not the third).
fn check_versions(a: &PipArgs, version: (u32, u32, u32)) -> Result<(), InputError> {
    for (given, option, since, first) in [
        (!a.groups.is_empty(), "--group", "25.1", (25, 1)),
        (
            !a.build_constraints.is_empty(),
            "--build-constraint",
            "25.3",
            (25, 3),
        ),
        (
            !a.scripts.is_empty(),
            "--requirements-from-script",
            "26.0",
            (26, 0),
        ),
    ] {
        if given && (version.0, version.1) < first {
            return Err(InputError::PipTooOld {
                option,
                since,
                version: format!("{}.{}.{}", version.0, version.1, version.2),
            });
        }
    }
    Ok(())
}

/// One `--group` value: the pyproject.toml it names and the group's name as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRef {
    pub path: String,
    pub name: String,
}

/// pip's `_handle_dependency_group`: split at the rightmost `:`; a path must name a
/// `pyproject.toml` (or a lock, which pyprov refuses with a fix).
pub fn parse_group_values(values: &[String]) -> Result<Vec<GroupRef>, InputError> {
    let mut out = Vec::with_capacity(values.len());
    for value in values {
        let (path, name) = match value.rsplit_once(':') {
            None => ("pyproject.toml", value.as_str()),
            Some((path, name)) => {
                let file_name = |p: &str| {
                    Path::new(p)
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                };
                if file_name(path) != "pyproject.toml" {
                    let without_extras = reqs::strip_extras(path);
                    if crate::lock::is_lock_file_name(&file_name(without_extras))
                        && !without_extras.contains("://")
                    {
                        return Err(InputError::GroupFromLock {
                            value: value.clone(),
                            path: without_extras.to_string(),
                        });
                    }
                    return Err(InputError::GroupPath);
                }
                (path, name)
            }
        };
        out.push(GroupRef {
            path: path.to_string(),
            name: name.to_string(),
        });
    }
    Ok(out)
}

fn read_groups(groups: &[GroupRef]) -> Result<Vec<Read>, InputError> {
    let mut resolvers: BTreeMap<&str, Resolver> = BTreeMap::new();
    let mut out = Vec::new();
    for g in groups {
        let resolver = match resolvers.entry(&g.path) {
            btree_map::Entry::Occupied(o) => o.into_mut(),
            btree_map::Entry::Vacant(v) => {
                let text = match std::fs::read_to_string(&g.path) {
                    Ok(t) => t,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        return Err(InputError::Group(format!(
                            "{} not found. Cannot resolve '--group' option.",
                            g.path
                        )))
                    }
                    Err(e) => {
                        return Err(InputError::Group(format!("Error reading {}: {e}", g.path)))
                    }
                };
                v.insert(Resolver::from_pyproject(&g.path, &text)?)
            }
        };
        let reqs = resolver.resolve(&g.name).map_err(|messages| {
            InputError::Group(format!(
                "[dependency-groups] resolution failed for {} from {}: {}",
                py_repr(&g.name),
                py_repr(&g.path),
                messages.join("; ")
            ))
        })?;
        let origin = format!(
            "{} [dependency-groups] {}",
            g.path,
            PackageName::normalize(&g.name).into_string()
        );
        out.extend(reqs.into_iter().map(|text| Read {
            text: text.trim().to_string(),
            origin: origin.clone(),
        }));
    }
    Ok(out)
}

/// One member of a dependency group as the TOML has it.
#[derive(Debug, Clone)]
enum Member {
    Requirement(String),
    Include(String),
    /// Anything else, as pip shows it in its message.
    Invalid(String),
}

/// A valid member of a group: what resolving it follows.
#[derive(Debug, Clone)]
enum Entry {
    Requirement(String),
    Include(String),
}

/// A group's value.
#[derive(Debug, Clone)]
enum Group {
    List(Vec<Member>),
    Text,
    NotAList,
}

/// packaging's `DependencyGroupResolver`: names normalized as PEP 735 says (PEP 503's
/// normalization, `PackageName::normalize`), includes followed, cycles found,
/// errors collected and reported together, in its words.
#[derive(Debug, Default)]
pub struct Resolver {
    groups: Vec<(String, Group)>,
    ancestors: Vec<(String, Vec<String>)>,
    resolved: Vec<(String, Vec<String>)>,
}

impl Resolver {
    /// The `[dependency-groups]` table of a pyproject.toml.
    pub fn from_pyproject(path: &str, text: &str) -> Result<Resolver, InputError> {
        let doc = DocumentMut::from_str(text)
            .map_err(|e| InputError::Group(format!("Error parsing {path}: {}", e.message())))?;
        let Some(table) = doc.get("dependency-groups") else {
            return Err(InputError::Group(format!(
                "[dependency-groups] table was missing from {}. Cannot resolve '--group' option.",
                py_repr(path)
            )));
        };
        let Some(table) = table.as_table_like() else {
            return Err(InputError::Group(format!(
                "[dependency-groups] table was malformed in {path}. Cannot resolve '--group' option."
            )));
        };
        let mut r = Resolver::default();
        let mut originals: Vec<(String, Vec<String>)> = Vec::new();
        for (name, item) in table.iter() {
            let normed = PackageName::normalize(name).into_string();
            match originals.iter_mut().find(|(n, _)| *n == normed) {
                Some((_, names)) => names.push(name.to_string()),
                None => originals.push((normed.clone(), vec![name.to_string()])),
            }
            let group = group_of(item);
            match r.groups.iter_mut().find(|(n, _)| *n == normed) {
                Some((_, g)) => *g = group,
                None => r.groups.push((normed, group)),
            }
        }
        let duplicates: Vec<String> = originals
            .iter()
            .filter(|(_, names)| names.len() > 1)
            .map(|(n, names)| {
                format!(
                    "Duplicate dependency group names: {n} ({})",
                    names.join(", ")
                )
            })
            .collect();
        if !duplicates.is_empty() {
            return Err(InputError::Group(format!(
                "[dependency-groups] data was invalid in {path}: {}",
                duplicates.join("; ")
            )));
        }
        Ok(r)
    }

    /// The requirements of group `name`, includes resolved; or every error found.
    pub fn resolve(&mut self, name: &str) -> Result<Vec<String>, Vec<String>> {
        let group = PackageName::normalize(name).into_string();
        let mut errors = Vec::new();
        let out = self.resolve_one(&group, &group, &mut errors);
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    fn resolve_one(
        &mut self,
        group: &str,
        requested: &str,
        errors: &mut Vec<String>,
    ) -> Vec<String> {
        if let Some((_, done)) = self.resolved.iter().find(|(g, _)| g == group) {
            return done.clone();
        }
        let before = errors.len();
        let members = self.parse(group, errors);
        let mut out = Vec::new();
        for m in members {
            match m {
                Entry::Requirement(r) => out.push(r),
                Entry::Include(raw) => {
                    let include = PackageName::normalize(&raw).into_string();
                    let ancestors = self.ancestors_of(group);
                    if ancestors.contains(&include) {
                        let reason = if raw == group {
                            format!("{group} includes itself")
                        } else {
                            format!("{raw} -> {group}, {group} -> {raw}")
                        };
                        errors.push(format!(
                            "Cyclic dependency group include while resolving {requested}: {reason}"
                        ));
                    } else {
                        let mut chain = ancestors;
                        chain.push(group.to_string());
                        match self.ancestors.iter_mut().find(|(g, _)| *g == include) {
                            Some((_, a)) => *a = chain,
                            None => self.ancestors.push((include.clone(), chain)),
                        }
                        out.extend(self.resolve_one(&include, requested, errors));
                    }
                }
            }
        }
        if errors.len() > before {
            return Vec::new();
        }
        self.resolved.push((group.to_string(), out.clone()));
        out
    }

    fn ancestors_of(&self, group: &str) -> Vec<String> {
        self.ancestors
            .iter()
            .find(|(g, _)| g == group)
            .map(|(_, a)| a.clone())
            .unwrap_or_default()
    }

    /// The group's members, or none and every invalid one in `errors`.
    fn parse(&self, group: &str, errors: &mut Vec<String>) -> Vec<Entry> {
        let Some((_, value)) = self.groups.iter().find(|(g, _)| g == group) else {
            errors.push(format!("Dependency group '{group}' not found"));
            return Vec::new();
        };
        let members = match value {
            Group::Text => {
                errors.push(format!(
                    "Dependency group {} contained a string rather than a list.",
                    py_repr(group)
                ));
                return Vec::new();
            }
            Group::NotAList => {
                errors.push(format!(
                    "Dependency group {} is not a sequence type.",
                    py_repr(group)
                ));
                return Vec::new();
            }
            Group::List(members) => members,
        };
        let before = errors.len();
        let mut entries = Vec::with_capacity(members.len());
        for m in members {
            match m {
                Member::Requirement(r) if reqs::parse_pep508(r).is_none() => {
                    errors.push(format!("Invalid requirement: {}", py_repr(r)));
                }
                Member::Requirement(r) => entries.push(Entry::Requirement(r.clone())),
                Member::Include(g) => entries.push(Entry::Include(g.clone())),
                Member::Invalid(shown) => {
                    errors.push(format!("Invalid dependency group item: {shown}"));
                }
            }
        }
        if errors.len() > before {
            return Vec::new();
        }
        entries
    }
}

fn group_of(item: &Item) -> Group {
    match item {
        Item::Value(Value::String(_)) => Group::Text,
        Item::Value(Value::Array(a)) => Group::List(a.iter().map(member_of).collect()),
        Item::ArrayOfTables(a) => Group::List(
            a.iter()
                .map(|t| table_member(t.iter().map(|(k, v)| (k, v.as_value()))))
                .collect(),
        ),
        _ => Group::NotAList,
    }
}

fn member_of(v: &Value) -> Member {
    match v {
        Value::String(s) => Member::Requirement(s.value().to_string()),
        Value::InlineTable(t) => table_member(t.iter().map(|(k, v)| (k, Some(v)))),
        other => Member::Invalid(other.to_string().trim().to_string()),
    }
}

fn table_member<'a>(entries: impl Iterator<Item = (&'a str, Option<&'a Value>)>) -> Member {
    let entries: Vec<(&str, Option<&Value>)> = entries.collect();
    let shown = format!(
        "{{{}}}",
        entries
            .iter()
            .map(|(k, v)| format!(
                "{}: {}",
                py_repr(k),
                v.map(|v| match v {
                    Value::String(s) => py_repr(s.value()),
                    other => other.to_string().trim().to_string(),
                })
                .unwrap_or_default()
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    match entries.as_slice() {
        [("include-group", Some(Value::String(s)))] => Member::Include(s.value().to_string()),
        [("include-group", _)] => Member::Invalid(format!(
            "{shown} (Dependency group include-group value is not a string)"
        )),
        _ => Member::Invalid(shown),
    }
}

/// At most one script, as pip allows.
fn single_script(scripts: &[String]) -> Result<Option<&str>, InputError> {
    match scripts {
        [] => Ok(None),
        [one] => Ok(Some(one.as_str())),
        _ => Err(InputError::ScriptTwice),
    }
}

/// The Python a script's `requires-python` is checked against, as pip's `TargetPython` has it:
/// `--python-version` (padded to three parts), else the probed interpreter's (its first three
/// release parts: pip checks `sys.version_info[:3]`); `None` when the interpreter could not
/// be probed.
fn python_version(option: Option<&str>, pip: &Pip) -> Result<Option<Version>, InputError> {
    // pip: "The empty string is the same as not providing a value."
    let release: Vec<u64> = match option.filter(|v| !v.is_empty()) {
        Some(v) => parse_python_version(v)?,
        None => match locked::probe(pip) {
            Some(t) => t.env.python_full_version().version.release().to_vec(),
            None => return Ok(None),
        },
    };
    let mut release: Vec<u64> = release.into_iter().take(3).collect();
    release.resize(3, 0);
    Ok(Some(Version::new(release)))
}

/// pip's `_convert_python_version`, refusing what it refuses in its words: at most three parts,
/// `38` read as 3.8 (`value[0], value[1:]`: by characters, not bytes), each part an integer.
fn parse_python_version(value: &str) -> Result<Vec<u64>, InputError> {
    let invalid = |why| InputError::PythonVersionValue {
        value: value.to_string(),
        why,
    };
    let mut parts: Vec<&str> = value.split('.').collect();
    if parts.len() > 3 {
        return Err(invalid("at most three version parts are allowed"));
    }
    if let [one] = parts.as_slice() {
        let mut chars = one.char_indices();
        if let (Some(_), Some((second, _))) = (chars.next(), chars.next()) {
            parts = vec![
                one.get(..second).unwrap_or(""),
                one.get(second..).unwrap_or(""),
            ];
        }
    }
    parts
        .iter()
        .map(|p| py_int(p).ok_or_else(|| invalid("each version part must be an integer")))
        .collect()
}

/// Python's `int()` of a version part: surrounding white space, a `+`, `_` between digits
/// (non-ASCII digits, which Python reads too, are refused rather than guessed).
fn py_int(text: &str) -> Option<u64> {
    let digits = text.trim();
    let digits = digits.strip_prefix('+').unwrap_or(digits);
    let well_placed = !digits.starts_with('_') && !digits.ends_with('_') && !digits.contains("__");
    let digits: String = digits.chars().filter(|c| *c != '_').collect();
    if !well_placed || digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// A script's dependencies (PEP 723 `# /// script`), its `requires-python` checked as pip checks
/// it.
pub fn read_script(
    path: &Path,
    shown: &str,
    python: Option<&Version>,
    ignore_requires_python: bool,
) -> Result<Vec<Read>, InputError> {
    let text = std::fs::read_to_string(path).map_err(|source| InputError::ScriptRead {
        path: shown.to_string(),
        source,
    })?;
    let metadata = pep723_metadata(&text, shown)?;
    let doc = DocumentMut::from_str(&metadata)
        .map_err(|_| InputError::Pep723(format!("Failed to parse TOML in {}", py_repr(shown))))?;
    let invalid = |message: String| InputError::ScriptMetadata {
        script: shown.to_string(),
        message,
    };
    if let Some(item) = doc.get("requires-python") {
        let Some(spec) = item.as_str() else {
            return Err(invalid("requires-python is not a string".into()));
        };
        if !spec.is_empty() && !ignore_requires_python {
            if let Some(python) = python {
                let specifiers = pep440_rs::VersionSpecifiers::from_str(spec)
                    .map_err(|e| invalid(format!("requires-python {}: {e}", py_repr(spec))))?;
                if !specifiers.contains(python) {
                    // pip's `TargetPython.py_version`: major.minor.
                    let short = python.release().iter().take(2).map(u64::to_string);
                    return Err(InputError::RequiresPython {
                        script: shown.to_string(),
                        python: short.collect::<Vec<_>>().join("."),
                        requires: spec.to_string(),
                    });
                }
            }
        }
    }
    let Some(deps) = doc.get("dependencies") else {
        return Ok(Vec::new());
    };
    let Some(deps) = deps.as_array() else {
        return Err(invalid("dependencies is not a list of requirements".into()));
    };
    let origin = format!("{shown} (script metadata)");
    deps.iter()
        .map(|d| {
            let Some(text) = d.as_str() else {
                return Err(invalid(format!(
                    "dependencies holds {}, which is not a requirement",
                    d.to_string().trim()
                )));
            };
            if reqs::parse_pep508(text).is_none() {
                return Err(invalid(format!("Invalid requirement: {}", py_repr(text))));
            }
            Ok(Read {
                text: text.trim().to_string(),
                origin: origin.clone(),
            })
        })
        .collect()
}

/// pip's PEP 723 expression (`REGEX` in pip/_internal/req/pep723.py), as pip has it: Rust's
/// `regex` reads it as Python's `re` does here (leftmost-first, `$` before a `\n` or at the end,
/// `.` anything but `\n`).
const PEP723: &str = r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$";

static PEP723_REGEX: LazyLock<Result<Regex, regex::Error>> = LazyLock::new(|| Regex::new(PEP723));

/// pip's PEP 723 reader: the one `# /// script` block as TOML text, each of its lines (split as
/// Python's `splitlines` splits) without `# `, or else its first character. `text` is read
/// with Python's universal newlines first, as pip's `open` reads the script.
pub fn pep723_metadata(text: &str, shown: &str) -> Result<String, InputError> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let regex = PEP723_REGEX.as_ref().map_err(|e| {
        // Compiled by the test `pips_pep723_expression_compiles`.
        InputError::Pep723(format!("pyprov's PEP 723 expression: {e}"))
    })?;
    let mut scripts = regex
        .captures_iter(&text)
        .filter(|c| c.name("type").is_some_and(|t| t.as_str() == "script"))
        .filter_map(|c| c.name("content"));
    let content = match (scripts.next(), scripts.next()) {
        (Some(content), None) => content.as_str(),
        (Some(_), Some(_)) => {
            return Err(InputError::Pep723(format!(
                "Multiple 'script' blocks found in {}",
                py_repr(shown)
            )))
        }
        (None, _) => {
            return Err(InputError::Pep723(format!(
                "File does not contain 'script' metadata: {}",
                py_repr(shown)
            )))
        }
    };
    Ok(content
        .split_inclusive(reqs::is_line_break)
        .map(|line| {
            line.strip_prefix("# ").unwrap_or_else(|| {
                let mut rest = line.chars();
                rest.next();
                rest.as_str()
            })
        })
        .collect())
}

/// Python's `repr` of a string, as pip's messages show names and paths.
pub fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests;
