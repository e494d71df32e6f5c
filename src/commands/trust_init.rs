//! `pyprov trust init`: a first trust file, as `cargo vet init` writes a first audit set. The
//! packages of a requirements file, a lock or the environment are resolved and verified through
//! `pyprov lock`'s pipeline; each attested package is pinned to the publisher its files prove,
//! each unattested one is listed with `unattested = "allow"` and a comment to review it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli::TrustInitArgs;
use crate::error::CliError;
use crate::exit;
use crate::install::lockrun::{self, Checked, Proven, Resolved};
use crate::output::term;
use crate::trust::{self, FILE_NAME};
use crate::vocab::PackageName;

/// The trust file that governs the run itself: empty, learning pins, allowing unattested files.
/// It keeps any trust file above the working directory from judging (or learning pins into)
/// what init is to list; it is thrown away.
const SCRATCH: &str = "[policy]\nunattested = \"allow\"\ntofu = true\n\n[packages]\n";

/// What pip freeze leaves out of an environment: pip's own tools, not the project's packages.
const NOT_LISTED: [&str; 4] = ["pip", "setuptools", "wheel", "distribute"];

/// Lists the environment's distributions as `NAME==VERSION`, one a line, skipping
/// [`NOT_LISTED`] and any name seen already (the first on sys.path wins, as at import).
const LIST_ENVIRONMENT: &str = "\
import importlib.metadata as m, re, sys
skip = set(sys.argv[1:])
seen = set()
for d in m.distributions():
    name = d.metadata['Name']
    if not name:
        continue
    key = re.sub(r'[-_.]+', '-', name).lower()
    if key in skip or key in seen:
        continue
    seen.add(key)
    print(name + '==' + d.version)
";

/// One package as init found it: the publishers its files proved, each with the file that
/// proved it (none: the package is unattested).
#[derive(Default)]
struct Found {
    proven: Vec<(Proven, String)>,
    /// Who signed a file whose signer pyprov cannot pin, and that file.
    unpinnable: Option<(String, String)>,
}

pub fn run(cwd: &Path, explicit: Option<&Path>, args: &TrustInitArgs) -> Result<u8, CliError> {
    let mut force = args.force;
    let mut from_environment = args.from_environment;
    let mut trust_file = explicit.map(Path::to_path_buf);
    // Init's own flags may stand among pip's words too (after `-r FILE`).
    let mut words = Vec::new();
    let mut it = args.args.iter();
    while let Some(w) = it.next() {
        match w.as_str() {
            "--force" => force = true,
            "--from-environment" => from_environment = true,
            "--trust-file" => trust_file = it.next().map(PathBuf::from),
            _ => match w.strip_prefix("--trust-file=") {
                Some(p) => trust_file = Some(PathBuf::from(p)),
                None => words.push(w.clone()),
            },
        }
    }
    let target = trust_file.unwrap_or_else(|| cwd.join(FILE_NAME));
    let shown = target.display().to_string();
    if !force && std::fs::symlink_metadata(&target).is_ok() {
        return Err(exists(&shown));
    }
    let (input, mut words) = super::lock::lock_input(&words)?;
    if from_environment {
        if input.is_some() || words.iter().any(|w| is_requirement_flag(w)) {
            return Err(CliError::usage_with_fix(
                "--from-environment lists the environment's packages, and a requirements file or lock was given too",
                "give one of them: `pyprov trust init -r requirements.txt` or `pyprov trust init --from-environment`",
            ));
        }
        let python = interpreter(cwd, python_of(&words))?;
        let listed = environment(&python)?;
        if listed.is_empty() {
            return Err(CliError::usage_with_fix(
                format!("{} has no packages installed (pip, setuptools and wheel aside), so there is nothing to list", python.display()),
                "install the project's packages first, or start from its requirements: `pyprov trust init -r requirements.txt`",
            ));
        }
        if python_of(&words).is_none() {
            words.push(format!("--python={}", python.display()));
        }
        // The environment is the whole set: nothing more is resolved.
        words.push("--no-deps".into());
        words.extend(listed);
    } else if input.is_none() && words.iter().all(|w| w.starts_with('-')) {
        return Err(CliError::usage_with_fix(
            "pyprov trust init needs the packages to list",
            "name them: `pyprov trust init -r requirements.txt`, `-r pylock.toml`, or `--from-environment`",
        ));
    }
    let scratch = tempfile::Builder::new()
        .prefix("pyprov-trust-init.")
        .tempdir()
        .map_err(|e| CliError::Write {
            path: std::env::temp_dir(),
            source: e,
        })?;
    let scratch_file = scratch.path().join(FILE_NAME);
    std::fs::write(&scratch_file, SCRATCH).map_err(|e| CliError::Write {
        path: scratch_file.clone(),
        source: e,
    })?;
    let mut own = crate::install::args::from_env().map_err(|e| CliError::usage(e.to_string()))?;
    own.trust.trust_file = Some(scratch_file);
    own.trust.locked = Some(false);
    own.unattested = Some("allow".into());
    let found = match &input {
        Some(lock) => match from_lock(own, &words, lock)? {
            Ok(found) => found,
            Err(status) => return Ok(status),
        },
        None => match lockrun::resolve(own, &words)? {
            Resolved::Done(status) => return Ok(status),
            Resolved::Files { files, .. } => {
                let mut found: BTreeMap<String, Found> = BTreeMap::new();
                for f in files {
                    let entry = found
                        .entry(PackageName::normalize(&f.package).as_str().to_string())
                        .or_default();
                    if let Some(p) = f.proven {
                        entry.proven.push((p, f.filename));
                    } else if let Some(who) = f.signer {
                        entry.unpinnable = Some((who, f.filename));
                    }
                }
                found
            }
        },
    };
    let from = match (&input, from_environment) {
        (Some(lock), _) => lock.display().to_string(),
        (None, true) => "the environment".to_string(),
        (None, false) => requirement_files(&words).unwrap_or_else(|| "the requirements".into()),
    };
    let text = match trust_text(&found, &from) {
        Ok(t) => t,
        Err(why) => {
            eprintln!("{why}");
            return Ok(exit::FAILED);
        }
    };
    let Some(store) = trust::create(&target, &text, force)? else {
        return Err(exists(&shown));
    };
    let attested = store.entries().filter(|e| !e.publishers.is_empty()).count();
    let unattested = store.entries().count() - attested;
    eprintln!(
        "wrote {}: {attested} package{} pinned to the publisher {} files prove, {unattested} unattested to review\n  next: review it and commit it; `pyprov install --locked ...` then holds every install to it",
        term(&shown),
        if attested == 1 { "" } else { "s" },
        if attested == 1 { "its" } else { "their" },
    );
    Ok(exit::OK)
}

fn exists(shown: &str) -> CliError {
    CliError::usage_with_fix(
        format!("{} exists already; pyprov trust init writes a new trust file and replaces none", term(shown)),
        "edit it (`pyprov trust add`, `pyprov trust allow-unattested`, `pyprov trust pin`), or pass --force to replace it",
    )
}

fn is_requirement_flag(w: &str) -> bool {
    matches!(w, "-r" | "--requirement")
        || w.starts_with("--requirement=")
        || (w.starts_with("-r") && w.len() > 2)
}

/// The requirements files among pip's words, for the header.
fn requirement_files(words: &[String]) -> Option<String> {
    let mut files = Vec::new();
    let mut it = words.iter();
    while let Some(w) = it.next() {
        match w.as_str() {
            "-r" | "--requirement" => files.extend(it.next().cloned()),
            _ => files.extend(
                w.strip_prefix("--requirement=")
                    .or_else(|| w.strip_prefix("-r"))
                    .filter(|v| !v.is_empty() && !v.starts_with('-'))
                    .map(str::to_string),
            ),
        }
    }
    (!files.is_empty()).then(|| files.join(", "))
}

/// `--python PATH` among the words.
fn python_of(words: &[String]) -> Option<PathBuf> {
    let mut found = None;
    let mut it = words.iter();
    while let Some(w) = it.next() {
        if w == "--python" {
            found = it.next().map(PathBuf::from);
        } else if let Some(p) = w.strip_prefix("--python=") {
            found = Some(PathBuf::from(p));
        }
    }
    found
}

/// The target environment's interpreter: `--python`, else the active virtualenv, else
/// `./.venv`.
fn interpreter(cwd: &Path, python: Option<PathBuf>) -> Result<PathBuf, CliError> {
    if let Some(p) = python {
        return Ok(p);
    }
    let venv = std::env::var_os("VIRTUAL_ENV")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| Some(cwd.join(".venv")).filter(|v| v.join("bin").join("python").is_file()));
    match venv {
        Some(v) => Ok(v.join("bin").join("python")),
        None => Err(CliError::usage_with_fix(
            "--from-environment needs an environment: no virtualenv is active and there is no ./.venv",
            "activate it, or name its interpreter with --python PATH",
        )),
    }
}

/// The distributions installed in `python`'s environment, as `NAME==VERSION`.
fn environment(python: &Path) -> Result<Vec<String>, CliError> {
    let out = Command::new(python)
        .arg("-I")
        .arg("-c")
        .arg(LIST_ENVIRONMENT)
        .args(NOT_LISTED)
        .output()
        .map_err(|e| {
            CliError::usage_with_fix(
                format!("cannot run {} to list its packages: {e}", python.display()),
                "name a Python interpreter with --python PATH",
            )
        })?;
    if !out.status.success() {
        return Err(CliError::usage_with_fix(
            format!(
                "{} could not list its packages ({}): {}",
                python.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            "name a Python 3.8 or newer with --python PATH",
        ));
    }
    let mut listed: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    listed.sort();
    Ok(listed)
}

/// `-r pylock.toml`: every file of the lock judged again as its index serves it now.
fn from_lock(
    own: crate::cli::OwnFlags,
    words: &[String],
    lock: &Path,
) -> Result<Result<BTreeMap<String, Found>, u8>, CliError> {
    let run = lockrun::check(
        own,
        words,
        Some(lock.to_path_buf()),
        super::lock::lock_entries,
    )?;
    let mut found: BTreeMap<String, Found> = BTreeMap::new();
    let mut failed = false;
    for (entry, checked) in run.files {
        let why = match checked {
            Checked::Judged {
                refused: Some(r), ..
            } => r,
            Checked::Judged {
                proven, identity, ..
            } => {
                let e = found
                    .entry(PackageName::normalize(&entry.package).as_str().to_string())
                    .or_default();
                match (proven, identity) {
                    (Some(p), _) => e.proven.push((p, entry.filename)),
                    (None, Some(id)) => e.unpinnable = Some((id.describe(), entry.filename)),
                    (None, None) => {}
                }
                continue;
            }
            Checked::Gone => "its index no longer lists it".into(),
            Checked::Changed { sha256 } => {
                format!("its index serves it with another sha256 ({sha256})")
            }
            Checked::Unreachable { why } | Checked::Differs { why } => why,
        };
        failed = true;
        eprintln!("pyprov: {}: {}", term(&entry.filename), term(&why));
    }
    if failed {
        eprintln!("no trust file was written\n  fix: write the lock again with `pyprov lock`, then run `pyprov trust init -r {}`", term(&lock.display().to_string()));
        return Ok(Err(exit::FAILED));
    }
    Ok(Ok(found))
}

/// The trust file's text: a header, the default policy, and one entry per package in name
/// order. A package whose files prove two publishers is refused, naming both.
fn trust_text(found: &BTreeMap<String, Found>, from: &str) -> Result<String, String> {
    let mut text = format!(
        "# pyprov trust file, written by `pyprov trust init` from {from}.\n\
         # Reviewed like code: check that each publisher below is the project's own, and review\n\
         # each package marked `no provenance`. `pyprov trust --help` lists the commands that edit it.\n\n"
    );
    let policy = trust::TEMPLATE
        .split_once("[policy]")
        .map_or("\n", |(_, rest)| rest);
    text.push_str("[policy]");
    text.push_str(policy);
    for (name, f) in found {
        let mut distinct: Vec<&(Proven, String)> = Vec::new();
        for p in &f.proven {
            if !distinct.iter().any(|d| d.0 == p.0) {
                distinct.push(p);
            }
        }
        if let (Some((who, file)), []) = (&f.unpinnable, distinct.as_slice()) {
            return Err(format!(
                "pyprov: {}: {} is signed by {}, which is no GitHub, GitLab or Google publisher pyprov can pin; no trust file was written\n  fix: check who that is; drop {} from the requirements to write the rest, then decide how to trust it",
                term(name),
                term(file),
                term(who),
                term(name),
            ));
        }
        match distinct.as_slice() {
            [] => text.push_str(&format!(
                "{name} = {{ unattested = \"allow\" }}  # no provenance: review\n"
            )),
            [(p, _)] => {
                let publisher = toml_edit::Value::from(p.publisher.to_string());
                let env = p
                    .environment
                    .as_deref()
                    .map(|e| format!(", environment = {}", toml_edit::Value::from(e)))
                    .unwrap_or_default();
                text.push_str(&format!("{name} = {{ publisher = {publisher}{env} }}\n"));
            }
            [(a, a_file), (b, b_file), ..] => {
                return Err(format!(
                    "pyprov: {}: files of one package prove different publishers: {} proves {}, and {} proves {}; no trust file was written\n  fix: find out why {} is published by two publishers; once you know which to trust, write its entry yourself (`pyprov trust add {} SPEC`)",
                    term(name),
                    term(a_file),
                    describe(a),
                    term(b_file),
                    describe(b),
                    term(name),
                    term(name),
                ))
            }
        }
    }
    Ok(text)
}

fn describe(p: &Proven) -> String {
    match &p.environment {
        Some(env) => term(&format!("{} (environment {env})", p.publisher)).into_owned(),
        None => term(&p.publisher.to_string()).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proven(spec: &str, environment: Option<&str>) -> Proven {
        Proven {
            publisher: spec.parse().unwrap(),
            environment: environment.map(str::to_string),
        }
    }

    #[test]
    fn the_text_pins_attested_lists_unattested_and_reads_back() {
        let mut found = BTreeMap::new();
        found.insert(
            "alpha".to_string(),
            Found {
                proven: vec![
                    (
                        proven("github:o/r/release.yml", Some("pypi")),
                        "a.whl".into(),
                    ),
                    (
                        proven("github:o/r/release.yml", Some("pypi")),
                        "a.tar.gz".into(),
                    ),
                ],
                unpinnable: None,
            },
        );
        found.insert("gamma".to_string(), Found::default());
        let text = trust_text(&found, "requirements.txt").unwrap();
        assert!(text.contains(
            "alpha = { publisher = \"github:o/r/release.yml\", environment = \"pypi\" }\n"
        ));
        assert!(text.contains("gamma = { unattested = \"allow\" }  # no provenance: review\n"));
        let store = trust::Store::parse(Path::new("pyprov.toml"), &text).unwrap();
        assert_eq!(store.entries().count(), 2);
        let alpha = store.entry("alpha").unwrap();
        assert_eq!(alpha.environment.as_deref(), Some("pypi"));
        assert!(
            alpha.pinned.is_none(),
            "written by init, not learned on first use"
        );
    }

    #[test]
    fn two_publishers_or_an_unpinnable_signer_write_nothing() {
        let mut found = BTreeMap::new();
        found.insert(
            "alpha".to_string(),
            Found {
                proven: vec![
                    (proven("github:o/r/release.yml", None), "a.whl".into()),
                    (proven("github:m/r/release.yml", None), "a.tar.gz".into()),
                ],
                unpinnable: None,
            },
        );
        let why = trust_text(&found, "x").unwrap_err();
        assert!(why.contains("github:o/r/release.yml") && why.contains("github:m/r/release.yml"));
        let mut found = BTreeMap::new();
        found.insert(
            "beta".to_string(),
            Found {
                proven: Vec::new(),
                unpinnable: Some(("someone@example.com".into(), "b.whl".into())),
            },
        );
        let why = trust_text(&found, "x").unwrap_err();
        assert!(why.contains("someone@example.com"), "{why}");
    }
}
