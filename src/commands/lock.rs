//! `pyprov lock`: a pylock.toml (PEP 751) of verified files, with the publisher each file's
//! certificate proved recorded as the package's `attestation-identities`; `--check` judges an
//! existing lock again against what its index serves now.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::cli::LockArgs;
use crate::error::CliError;
use crate::exit;
use crate::install::lockrun::{self, Checked, LockEntry, LockedFile, Proven, Resolved};
use crate::lock::{AttestationIdentity, FileEntry, Lock, Package, TomlValue};
use crate::output::term;
use crate::verify::PublisherSpec;
use crate::vocab::PackageName;

pub fn run(args: &LockArgs) -> Result<u8, CliError> {
    // `--check` is pyprov's, so it may stand among pip's words too.
    let check = args.check || args.pip_args.iter().any(|a| a == "--check");
    let pip_args: Vec<String> = args
        .pip_args
        .iter()
        .filter(|a| *a != "--check")
        .cloned()
        .collect();
    let (input, pip_args) = lock_input(&pip_args)?;
    if check || input.is_some() {
        return judge_lock(args, &pip_args, input, !check);
    }
    let (output, files) = match lockrun::resolve(args.own.clone(), &pip_args)? {
        Resolved::Done(status) => return Ok(status),
        Resolved::Files { output, files } => (output, files),
    };
    let lock = match lock_of(&files) {
        Ok(lock) => lock,
        Err(why) => {
            // The run's report is stdout's document already (printed when pip's resolution
            // was verified); the reason is on stderr.
            eprintln!("{why}");
            return Ok(exit::FAILED);
        }
    };
    let text = crate::lock::to_toml_string(&lock).map_err(|e| CliError::Lock {
        path: output.clone(),
        source: e,
    })?;
    write_atomically(&output, text.as_bytes())?;
    let packages = group(&files).len();
    eprintln!(
        "wrote {} ({packages} package{}, {} file{})",
        term(&output.display().to_string()),
        if packages == 1 { "" } else { "s" },
        files.len(),
        if files.len() == 1 { "" } else { "s" },
    );
    Ok(exit::OK)
}

/// `--format json`: pyprov's flag, or among pip's words (as install reads them).
fn wants_json(args: &LockArgs) -> bool {
    let mut json = args.own.format == crate::cli::Format::Json;
    let mut words = args.pip_args.iter();
    while let Some(w) = words.next() {
        if w == "--format" {
            json = words.next().is_some_and(|v| v == "json");
        } else if let Some(v) = w.strip_prefix("--format=") {
            json = v == "json";
        }
    }
    json
}

/// With `--format json`, the outcome of judging a lock (`--check`, `-r LOCK`) as stdout's one
/// document (docs/json.md): the lock, whether it was written, how many files were judged, and
/// each problem found. (Locking from requirements prints the install report instead.)
fn print_outcome(json: bool, lock: &Path, written: bool, files: usize, problems: &[String]) {
    if !json {
        return;
    }
    let doc = serde_json::json!({
        "lock": lock.display().to_string(),
        "written": written,
        "files": files,
        "problems": problems.iter().map(|p| p.trim()).collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

/// The files grouped by package (normalized name) and version, in name order.
fn group(files: &[LockedFile]) -> BTreeMap<(String, String), Vec<&LockedFile>> {
    let mut by: BTreeMap<(String, String), Vec<&LockedFile>> = BTreeMap::new();
    for f in files {
        let key = (
            PackageName::normalize(&f.package).as_str().to_string(),
            f.version.clone(),
        );
        by.entry(key).or_default().push(f);
    }
    by
}

/// The lock: `lock-version`, `created-by`, then one package per name and version with its
/// index, the identity its files' certificates proved, and its wheels and sdist (url,
/// upload-time, size, hashes). Files of one package that prove different publishers are an
/// error (the lock would let either sign every file, as the trust file refuses two publishers
/// for a package in one run).
pub(crate) fn lock_of(files: &[LockedFile]) -> Result<Lock, String> {
    let mut packages = Vec::new();
    for ((name, version), files) in group(files) {
        let mut identities: Vec<&Proven> = Vec::new();
        let mut first: Option<(&Proven, &str)> = None;
        for f in &files {
            if let Some(proven) = &f.proven {
                match first {
                    None => first = Some((proven, &f.filename)),
                    Some(earlier) if earlier.0 != proven => {
                        return Err(two_publishers(&name, earlier, (proven, &f.filename), false))
                    }
                    Some(_) => {}
                }
                if !identities.contains(&proven) {
                    identities.push(proven);
                }
            }
        }
        let (sdists, wheels): (Vec<&&LockedFile>, Vec<&&LockedFile>) =
            files.iter().partition(|f| !f.filename.ends_with(".whl"));
        let mut package = Package::new(PackageName::normalize(&name));
        package.version = Some(version);
        package.index = files.iter().find_map(|f| f.index.clone());
        package.sdist = sdists.first().map(|f| file_entry(f));
        package.wheels =
            (!wheels.is_empty()).then(|| wheels.iter().map(|f| file_entry(f)).collect());
        // No identity proven (an unattested package the policy allowed): the key is left out,
        // as other lockers leave it.
        package.attestation_identities =
            (!identities.is_empty()).then(|| identities.into_iter().map(identity_of).collect());
        packages.push(package);
    }
    let mut lock = Lock::new("pyprov");
    lock.packages = packages;
    Ok(lock)
}

/// The refusal to lock a package whose files prove two publishers, naming both.
fn two_publishers(
    package: &str,
    (a, a_file): (&Proven, &str),
    (b, b_file): (&Proven, &str),
    rewriting: bool,
) -> String {
    format!(
        "pyprov: {}: files of one package prove different publishers: {} proves {}, and {} proves {}; no lock was written\n  fix: find out why {} is published by two publishers; lock it once its files agree{}",
        term(package),
        term(a_file),
        describe(a),
        term(b_file),
        describe(b),
        term(package),
        if rewriting {
            ", or write its `attestation-identities` in the lock yourself"
        } else {
            ""
        }
    )
}

/// A file as the lock records it.
fn file_entry(f: &LockedFile) -> FileEntry {
    let mut entry = FileEntry::at_url(f.url.clone(), f.sha256);
    entry.name = Some(f.filename.clone());
    entry.size = f.size;
    entry.upload_time = f
        .upload_time
        .as_deref()
        .and_then(|t| t.parse::<toml_edit::Datetime>().ok());
    entry
}

/// A PEP 740 publisher object of what the certificate proved.
fn identity_of(p: &Proven) -> AttestationIdentity {
    let mut fields = identity_fields(p).into_iter();
    let kind = fields.next().map(|(_, k)| k).unwrap_or_default();
    AttestationIdentity {
        kind,
        fields: fields
            .map(|(k, v)| (k.to_string(), TomlValue::String(v)))
            .collect(),
    }
}

/// The identity's keys, `kind` first, as PEP 740 names them.
fn identity_fields(p: &Proven) -> Vec<(&'static str, String)> {
    let mut fields = match &p.publisher {
        PublisherSpec::GitHub {
            repository,
            workflow,
        } => {
            let mut f = vec![
                ("kind", "GitHub".to_string()),
                ("repository", repository.clone()),
            ];
            if let Some(w) = workflow {
                f.push(("workflow", w.clone()));
            }
            f
        }
        PublisherSpec::GitLab {
            repository,
            workflow_filepath,
        } => {
            let mut f = vec![
                ("kind", "GitLab".to_string()),
                ("repository", repository.clone()),
            ];
            if let Some(w) = workflow_filepath {
                f.push(("workflow_filepath", w.clone()));
            }
            f
        }
        PublisherSpec::Google { email } => {
            vec![("kind", "Google".to_string()), ("email", email.clone())]
        }
    };
    if let Some(env) = &p.environment {
        if !matches!(p.publisher, PublisherSpec::Google { .. }) {
            fields.push(("environment", env.clone()));
        }
    }
    fields
}

/// Writes `bytes` to `path` through a temporary file in the same directory, renamed over it:
/// a reader sees the old lock or the new one, never half of one.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let failed = |source| CliError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".pylock.")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(failed)?;
    tmp.write_all(bytes).map_err(failed)?;
    tmp.as_file().sync_all().map_err(failed)?;
    tmp.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}

/// One package of a lock, as `--check` reads it.
struct LockPackage {
    name: String,
    version: Option<String>,
    identities: Vec<AttestationIdentity>,
    /// `vcs`, `directory` or `archive`: a source pyprov cannot judge as an index file.
    unjudged: Option<&'static str>,
}

/// `-r pylock.toml` (or `pylock.NAME.toml`) among pip's words: the lock to vet and rewrite, and
/// the other words.
pub(crate) fn lock_input(words: &[String]) -> Result<(Option<PathBuf>, Vec<String>), CliError> {
    let is_lock = |w: &str| {
        Path::new(w)
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(crate::lock::is_lock_file_name)
    };
    let mut input = None;
    let mut rest = Vec::new();
    let mut it = words.iter().peekable();
    while let Some(w) = it.next() {
        let value = match w.as_str() {
            "-r" | "--requirement" => it.next_if(|v| is_lock(v)).cloned(),
            _ => w
                .strip_prefix("--requirement=")
                .or_else(|| w.strip_prefix("-r").filter(|v| !v.starts_with('-')))
                .filter(|v| is_lock(v))
                .map(str::to_string),
        };
        match value {
            Some(v) if input.is_some() => {
                return Err(CliError::usage_with_fix(
                    format!("pyprov lock takes one lock to rewrite, and {v} is a second"),
                    "rewrite each lock with its own `pyprov lock -r LOCK -o LOCK`",
                ))
            }
            Some(v) => input = Some(PathBuf::from(v)),
            None => rest.push(w.clone()),
        }
    }
    Ok((input, rest))
}

/// `--check` (`rewrite` false): every file of the lock as the index serves it now, proving the
/// identities the lock records; nothing is written. `-r LOCK` (`rewrite` true): the same
/// judgement of every file, then the lock written again (to `-o`, default pylock.toml) with the
/// identities proven, and each file's size, upload time and index; a package whose lock names
/// no identity gets the proven one, a package whose identity is contradicted is refused.
fn judge_lock(
    args: &LockArgs,
    pip_args: &[String],
    input: Option<PathBuf>,
    rewrite: bool,
) -> Result<u8, CliError> {
    let json = wants_json(args);
    let mut packages: Vec<LockPackage> = Vec::new();
    let mut model: Option<Lock> = None;
    let run = lockrun::check(args.own.clone(), pip_args, input, |path| {
        let (lock, p, entries) = read_lock(path)?;
        packages = p;
        model = Some(lock);
        Ok(entries)
    })?;
    let shown_path = run.lock.display().to_string();
    let shown = term(&shown_path);
    let mut problems: Vec<String> = Vec::new();
    // Fail closed: what cannot be judged is not taken as matching.
    for p in &packages {
        if let Some(kind) = p.unjudged {
            problems.push(format!(
                "  {} {}: a [packages.{kind}] entry, which pyprov cannot verify (it verifies files of an index)",
                term(&p.name),
                term(p.version.as_deref().unwrap_or("")),
            ));
        }
    }
    for (entry, result) in &run.files {
        let Some(package) = packages.get(entry.position) else {
            continue;
        };
        let what = format!(
            "{} {} ({})",
            term(&package.name),
            term(package.version.as_deref().unwrap_or("")),
            term(&entry.filename)
        );
        let problem = match result {
            Checked::Gone => Some("the index no longer serves this file".to_string()),
            Checked::Changed { sha256 } => Some(format!(
                "the index now serves other bytes under this name (sha256 {}, the lock has {})",
                term(sha256),
                term(&entry.sha256)
            )),
            Checked::Unreachable { why } => Some(format!("cannot ask its index: {}", term(why))),
            Checked::Differs { why } => Some(term(why).to_string()),
            Checked::Judged {
                identity: None,
                refused: Some(r),
                ..
            } => {
                // Refused before anything was verified (a cooldown, a fetch): that is why.
                Some(format!("refused: {}", term(r)))
            }
            Checked::Judged {
                proven,
                identity,
                refused,
                ..
            } => {
                // The judge's own matcher: --check passes exactly what install allows.
                let matches = match (proven, identity) {
                    (Some(_), Some(who)) => package
                        .identities
                        .iter()
                        .any(|want| crate::judge::lock_identity_matches(want, who).is_ok()),
                    _ => package.identities.is_empty(),
                };
                // Rewriting fills in what the lock did not record; it never replaces it.
                let filled = rewrite && package.identities.is_empty();
                if !matches && !filled {
                    let unrecorded = if package.identities.is_empty() {
                        format!(
                            " (`pyprov lock -r {0} -o {0}` records it)",
                            term(&shown_path)
                        )
                    } else {
                        String::new()
                    };
                    Some(format!(
                        "the lock records {}, the certificate now proves {}{unrecorded}",
                        describe_all(&package.identities),
                        proven
                            .as_ref()
                            .map_or_else(|| "no publisher".to_string(), describe)
                    ))
                } else {
                    refused.as_ref().map(|r| format!("refused: {}", term(r)))
                }
            }
        };
        if let Some(p) = problem {
            problems.push(format!("  {what}: {p}"));
        }
    }
    if !problems.is_empty() {
        eprintln!(
            "{shown}: {} file{} no longer match{} what the index serves:",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            if problems.len() == 1 { "es" } else { "" },
        );
        for p in &problems {
            eprintln!("{p}");
        }
        eprintln!(
            "  fix: find out why the publisher or the files changed; if the change is expected, lock again from the requirements with `pyprov lock`{}",
            if rewrite { " (nothing was written)" } else { "" }
        );
        print_outcome(json, &run.lock, false, run.files.len(), &problems);
        return Ok(exit::FAILED);
    }
    let Some(mut lock) = model.filter(|_| rewrite) else {
        eprintln!(
            "{shown}: every file ({}) is served as locked and proves the publisher the lock records",
            run.files.len()
        );
        print_outcome(json, &run.lock, false, run.files.len(), &[]);
        return Ok(exit::OK);
    };
    if let Err(why) = rewrite_lock(&mut lock, &run.files) {
        eprintln!("{why}");
        print_outcome(json, &run.lock, false, run.files.len(), &[why]);
        return Ok(exit::FAILED);
    }
    let text = crate::lock::to_toml_string(&lock).map_err(|e| CliError::Lock {
        path: run.output.clone(),
        source: e,
    })?;
    write_atomically(&run.output, text.as_bytes())?;
    eprintln!(
        "wrote {} from {shown}: {} files verified, identities recorded",
        term(&run.output.display().to_string()),
        run.files.len()
    );
    print_outcome(json, &run.output, true, run.files.len(), &[]);
    Ok(exit::OK)
}

/// The lock with what its files proved: each package's identities (when it recorded none),
/// each file's size, upload time, and the package's index. Files of one package that prove
/// different publishers, where the lock records none to fill in, are an error, as in
/// [`lock_of`] (where it records them, each file was held to them already).
fn rewrite_lock(lock: &mut Lock, files: &[(LockEntry, Checked)]) -> Result<(), String> {
    let mut first: BTreeMap<usize, (&Proven, &str)> = BTreeMap::new();
    for (entry, result) in files {
        let fills = lock
            .packages
            .get(entry.position)
            .is_some_and(|p| p.attestation_identities.as_ref().is_none_or(Vec::is_empty));
        if let (
            true,
            Checked::Judged {
                proven: Some(proven),
                ..
            },
        ) = (fills, result)
        {
            match first.get(&entry.position) {
                None => {
                    first.insert(entry.position, (proven, &entry.filename));
                }
                Some(earlier) if earlier.0 != proven => {
                    return Err(two_publishers(
                        &entry.package,
                        *earlier,
                        (proven, &entry.filename),
                        true,
                    ))
                }
                Some(_) => {}
            }
        }
    }
    lock.created_by = "pyprov".to_string();
    for (entry, result) in files {
        let Checked::Judged {
            proven,
            identity,
            size,
            upload_time,
            index,
            ..
        } = result
        else {
            continue;
        };
        let Some(package) = lock.packages.get_mut(entry.position) else {
            continue;
        };
        if package.index.is_none() {
            package.index.clone_from(index);
        }
        if let (Some(proven), Some(who)) = (proven, identity) {
            let id = identity_of(proven);
            let ids = package.attestation_identities.get_or_insert_with(Vec::new);
            let known = ids
                .iter()
                .any(|have| crate::judge::lock_identity_matches(have, who).is_ok());
            if !known {
                ids.push(id);
            }
        }
        let file = package
            .sdist
            .iter_mut()
            .chain(package.wheels.iter_mut().flatten())
            .find(|f| f.file_name().as_deref() == Some(entry.filename.as_str()));
        if let Some(file) = file {
            if file.size.is_none() {
                file.size = *size;
            }
            if file.upload_time.is_none() {
                file.upload_time = upload_time
                    .as_deref()
                    .and_then(|t| t.parse::<toml_edit::Datetime>().ok());
            }
        }
    }
    Ok(())
}

/// What a certificate proved, for people: its SPEC, and its environment.
fn describe(p: &Proven) -> String {
    match &p.environment {
        Some(env) => term(&format!("{} (environment {env})", p.publisher)).to_string(),
        None => term(&p.publisher.to_string()).to_string(),
    }
}

/// The lock's identities for people, as the judge describes them.
fn describe_all(ids: &[AttestationIdentity]) -> String {
    if ids.is_empty() {
        return "no identity".to_string();
    }
    ids.iter()
        .map(|id| term(&crate::judge::describe_lock_identity(id)).to_string())
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The packages and files of the lock at `path`.
#[allow(clippy::type_complexity)]
/// The files of the lock at `path`, to judge again (`pyprov trust init -r pylock.toml`).
pub(crate) fn lock_entries(path: &Path) -> Result<Vec<LockEntry>, lockrun::ReadError> {
    read_lock(path).map(|(_, _, entries)| entries)
}

fn read_lock(path: &Path) -> Result<(Lock, Vec<LockPackage>, Vec<LockEntry>), lockrun::ReadError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read the lock {}: {e}\n  fix: write one with `pyprov lock`, or name it with -o FILE",
            path.display()
        )
    })?;
    let lock = crate::lock::parse(path, &text)?;
    let mut packages = Vec::new();
    let mut entries = Vec::new();
    for (position, p) in lock.packages.iter().enumerate() {
        let files = p.sdist.iter().chain(p.wheels.iter().flatten());
        for f in files {
            let (Some(filename), Some(sha256)) = (f.file_name(), f.hashes.sha256.as_ref()) else {
                return Err(format!(
                    "{}: a file of {} has no name or no sha256 hash, which pyprov checks\n  fix: write the lock again with `pyprov lock`",
                    path.display(),
                    p.name
                )
                .into());
            };
            entries.push(LockEntry {
                position,
                package: p.name.to_string(),
                filename,
                sha256: sha256.hex(),
                index: p.index.clone(),
                url: f.url.clone(),
                path: f.path.clone(),
                size: f.size,
            });
        }
        let identities = p.attestation_identities.clone().unwrap_or_default();
        let unjudged = if p.vcs.is_some() {
            Some("vcs")
        } else if p.directory.is_some() {
            Some("directory")
        } else if p.archive.is_some() {
            Some("archive")
        } else {
            None
        };
        packages.push(LockPackage {
            name: p.name.to_string(),
            version: p.version.clone(),
            identities,
            unjudged,
        });
    }
    Ok((lock, packages, entries))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::Sha256;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn a_lock_input_is_taken_out_of_pips_words_in_each_spelling() {
        for line in [
            "-r pylock.toml -o out.toml",
            "--requirement pylock.toml -o out.toml",
            "--requirement=pylock.toml -o out.toml",
            "-rpylock.toml -o out.toml",
        ] {
            let (input, rest) = lock_input(&words(line)).unwrap();
            assert_eq!(input, Some(PathBuf::from("pylock.toml")), "{line}");
            assert_eq!(rest, words("-o out.toml"), "{line}");
        }
        let (input, rest) = lock_input(&words("-r dir/pylock.dev.toml")).unwrap();
        assert_eq!(input, Some(PathBuf::from("dir/pylock.dev.toml")));
        assert!(rest.is_empty());
        // Requirements files stay pip's.
        let (input, rest) = lock_input(&words("-r requirements.txt alpha")).unwrap();
        assert_eq!(input, None);
        assert_eq!(rest, words("-r requirements.txt alpha"));
        assert!(lock_input(&words("-r pylock.toml -r pylock.b.toml")).is_err());
    }

    fn file(package: &str, filename: &str, proven: Option<Proven>) -> LockedFile {
        LockedFile {
            package: package.to_string(),
            version: "1.0".to_string(),
            filename: filename.to_string(),
            url: format!("https://files.example/{filename}"),
            sha256: Sha256::from_hex(&"ab".repeat(32)).unwrap(),
            size: Some(12),
            upload_time: Some("2024-03-01T10:00:00Z".to_string()),
            index: Some("https://pypi.example/simple/".to_string()),
            proven,
            signer: None,
        }
    }

    #[test]
    fn a_written_lock_reads_back_with_its_identities_files_and_sizes() {
        let github = Proven {
            publisher: PublisherSpec::GitHub {
                repository: "acme/widgets".into(),
                workflow: Some("release.yml".into()),
            },
            environment: Some("pypi".into()),
        };
        let files = vec![
            file(
                "Foo_Bar",
                "foo_bar-1.0-py3-none-any.whl",
                Some(github.clone()),
            ),
            file("foo-bar", "foo_bar-1.0.tar.gz", Some(github)),
            file("plain", "plain-1.0-py3-none-any.whl", None),
        ];
        let text = crate::lock::to_toml_string(&lock_of(&files).unwrap()).unwrap();
        let path = Path::new("pylock.toml");
        let lock = crate::lock::parse(path, &text).unwrap();
        assert_eq!(lock.created_by, "pyprov");
        assert_eq!(lock.packages.len(), 2, "{text}");
        let foo = &lock.packages[0];
        assert_eq!(foo.name.as_str(), "foo-bar");
        assert_eq!(foo.index.as_deref(), Some("https://pypi.example/simple/"));
        let ids = foo.attestation_identities.as_ref().unwrap();
        assert_eq!(ids.len(), 1, "one identity for both files: {text}");
        assert_eq!(ids[0].kind, "GitHub");
        assert_eq!(ids[0].get_str("repository"), Some("acme/widgets"));
        assert_eq!(ids[0].get_str("workflow"), Some("release.yml"));
        assert_eq!(ids[0].get_str("environment"), Some("pypi"));
        let sdist = foo.sdist.as_ref().unwrap();
        assert_eq!(sdist.file_name().as_deref(), Some("foo_bar-1.0.tar.gz"));
        assert_eq!(sdist.size, Some(12));
        assert!(sdist.upload_time.is_some());
        assert_eq!(foo.wheels.as_ref().map(Vec::len), Some(1));
        // An unsigned package has no identity to record.
        let plain = &lock.packages[1];
        assert_eq!(plain.attestation_identities, None);
    }

    #[test]
    fn files_of_one_package_proving_two_publishers_write_no_lock() {
        let proven = |repo: &str| Proven {
            publisher: PublisherSpec::GitHub {
                repository: repo.into(),
                workflow: Some("release.yml".into()),
            },
            environment: None,
        };
        let files = vec![
            file("foo", "foo-1.0-py3-none-any.whl", Some(proven("acme/foo"))),
            file("foo", "foo-1.0.tar.gz", Some(proven("mallory/foo"))),
        ];
        let e = lock_of(&files).unwrap_err();
        assert!(
            e.contains("foo: files of one package prove different publishers: foo-1.0-py3-none-any.whl proves github:acme/foo/release.yml, and foo-1.0.tar.gz proves github:mallory/foo/release.yml; no lock was written")
                && e.contains("\n  fix: "),
            "{e}"
        );

        // The same when a lock that records no identity is rewritten.
        let mut lock = Lock::new("t");
        lock.packages
            .push(Package::new(PackageName::normalize("foo")));
        let checked = |filename: &str, repo: &str| {
            (
                LockEntry {
                    position: 0,
                    package: "foo".into(),
                    filename: filename.into(),
                    sha256: "ab".repeat(32),
                    index: None,
                    url: None,
                    path: None,
                    size: None,
                },
                Checked::Judged {
                    proven: Some(proven(repo)),
                    identity: None,
                    refused: None,
                    size: None,
                    upload_time: None,
                    index: None,
                },
            )
        };
        let e = rewrite_lock(
            &mut lock,
            &[
                checked("foo-1.0-py3-none-any.whl", "acme/foo"),
                checked("foo-1.0.tar.gz", "mallory/foo"),
            ],
        )
        .unwrap_err();
        assert!(e.contains("github:mallory/foo/release.yml"), "{e}");
        assert!(rewrite_lock(
            &mut lock,
            &[
                checked("foo-1.0-py3-none-any.whl", "acme/foo"),
                checked("foo-1.0.tar.gz", "acme/foo"),
            ],
        )
        .is_ok());
    }
}
