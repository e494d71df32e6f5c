//! `pyprov lock`: a pylock.toml (PEP 751) of verified files, with the publisher each file's
//! certificate proved recorded as the package's `attestation-identities`; `--check` judges an
//! existing lock again against what its index serves now.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use toml_edit::{value, Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table};

use crate::cli::LockArgs;
use crate::error::CliError;
use crate::exit;
use crate::install::lockrun::{self, Checked, LockEntry, LockedFile, Proven, Resolved};
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
    if check {
        return check_lock(args, &pip_args);
    }
    let (output, files) = match lockrun::resolve(args.own.clone(), &pip_args)? {
        Resolved::Done(status) => return Ok(status),
        Resolved::Files { output, files } => (output, files),
    };
    let text = render(&files);
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

/// The lock's text: `lock-version`, `created-by`, then one `[[packages]]` per package with its
/// index, identities, and its wheels and sdist (url, upload-time, size, hashes).
pub(crate) fn render(files: &[LockedFile]) -> String {
    let mut doc = DocumentMut::new();
    doc["lock-version"] = value("1.0");
    doc["created-by"] = value("pyprov");
    let mut packages = ArrayOfTables::new();
    for ((name, version), files) in group(files) {
        let mut p = Table::new();
        p["name"] = value(name);
        p["version"] = value(version);
        if let Some(index) = files.iter().find_map(|f| f.index.as_deref()) {
            p["index"] = value(index);
        }
        let mut identities: Vec<&Proven> = Vec::new();
        for f in &files {
            if let Some(proven) = &f.proven {
                if !identities.contains(&proven) {
                    identities.push(proven);
                }
            }
        }
        let mut ids = Array::new();
        for proven in identities {
            ids.push(identity_table(proven));
        }
        p["attestation-identities"] = value(ids);
        let (sdists, wheels): (Vec<&&LockedFile>, Vec<&&LockedFile>) =
            files.iter().partition(|f| !f.filename.ends_with(".whl"));
        if let Some(sdist) = sdists.first() {
            p["sdist"] = Item::Table(file_table(sdist).into_table());
        }
        if !wheels.is_empty() {
            let mut ws = Array::new();
            for w in wheels {
                ws.push(file_table(w));
            }
            p["wheels"] = value(ws);
        }
        packages.push(p);
    }
    doc["packages"] = Item::ArrayOfTables(packages);
    let mut tool = Table::new();
    tool.set_implicit(true);
    doc["tool"] = Item::Table(tool);
    let mut text = doc.to_string();
    // An empty implicit [tool] prints nothing; keep the lock free of it.
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

fn file_table(f: &LockedFile) -> InlineTable {
    let mut t = InlineTable::new();
    t.insert("name", f.filename.as_str().into());
    t.insert("url", f.url.as_str().into());
    if let Some(at) = &f.upload_time {
        if let Ok(dt) = at.parse::<toml_edit::Datetime>() {
            t.insert("upload-time", dt.into());
        }
    }
    if let Some(size) = f.size.and_then(|s| i64::try_from(s).ok()) {
        t.insert("size", size.into());
    }
    let mut hashes = InlineTable::new();
    hashes.insert("sha256", f.sha256.as_str().into());
    t.insert("hashes", hashes.into());
    t
}

/// A PEP 740 publisher object of what the certificate proved.
fn identity_table(p: &Proven) -> InlineTable {
    let mut t = InlineTable::new();
    for (k, v) in identity_fields(p) {
        t.insert(k, v.into());
    }
    t
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

/// An identity of the lock, as its keys say.
type LockIdentity = BTreeMap<String, String>;

/// One package of a lock, as `--check` reads it.
struct LockPackage {
    name: String,
    version: Option<String>,
    identities: Vec<LockIdentity>,
}

fn check_lock(args: &LockArgs, pip_args: &[String]) -> Result<u8, CliError> {
    let mut packages: Vec<LockPackage> = Vec::new();
    let (path, checked) = lockrun::check(args.own.clone(), pip_args, |path| {
        let (p, entries) = read_lock(path)?;
        packages = p;
        Ok(entries)
    })?;
    let shown_path = path.display().to_string();
    let shown = term(&shown_path);
    let mut problems: Vec<String> = Vec::new();
    for (entry, result) in &checked {
        let Some(package) = packages
            .iter()
            .find(|p| PackageName::normalize(&p.name) == PackageName::normalize(&entry.package))
        else {
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
                "the index now serves other bytes under this name (sha256 {sha256}, the lock has {})",
                entry.sha256
            )),
            Checked::Unreachable { why } => Some(format!("cannot ask its index: {}", term(why))),
            Checked::Judged { proven, refused } => {
                let now = proven.as_ref().map(identity_fields).map(|f| {
                    f.into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect::<LockIdentity>()
                });
                let matches = match &now {
                    Some(now) => package.identities.iter().any(|want| same_identity(want, now)),
                    None => package.identities.is_empty(),
                };
                if !matches {
                    Some(format!(
                        "the lock records {}, the certificate now proves {}",
                        describe_all(&package.identities),
                        now.as_ref()
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
    if problems.is_empty() {
        eprintln!(
            "{shown}: every file ({}) is served as locked and proves the publisher the lock records",
            checked.len()
        );
        return Ok(exit::OK);
    }
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
        "  fix: find out why the publisher or the files changed; if the change is expected, write the lock again with `pyprov lock`"
    );
    Ok(exit::FAILED)
}

/// Whether the certificate's identity is the one the lock records: the same kind and keys
/// (repository names compared without case, as GitHub and GitLab do); an environment the
/// lock records must be the one proven.
fn same_identity(want: &LockIdentity, now: &LockIdentity) -> bool {
    let kind = want.get("kind").map(|k| k.to_ascii_lowercase());
    if kind != now.get("kind").map(|k| k.to_ascii_lowercase()) {
        return false;
    }
    want.iter().all(|(k, v)| {
        if k == "kind" {
            return true;
        }
        match now.get(k) {
            Some(n) if k == "repository" || k == "email" => n.eq_ignore_ascii_case(v),
            Some(n) => n == v,
            None => false,
        }
    })
}

fn describe(id: &LockIdentity) -> String {
    let kind = id.get("kind").map_or("?", String::as_str);
    let rest: Vec<String> = id
        .iter()
        .filter(|(k, _)| k.as_str() != "kind")
        .map(|(k, v)| format!("{k}={}", term(v)))
        .collect();
    format!("{} {{{}}}", term(kind), rest.join(", "))
}

fn describe_all(ids: &[LockIdentity]) -> String {
    if ids.is_empty() {
        return "no identity".to_string();
    }
    ids.iter().map(describe).collect::<Vec<_>>().join(" or ")
}

/// A lock that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {why}\n  fix: {fix}")]
struct LockReadError {
    path: String,
    why: String,
    fix: &'static str,
}

/// The packages and files of the lock at `path`.
fn read_lock(path: &Path) -> Result<(Vec<LockPackage>, Vec<LockEntry>), lockrun::ReadError> {
    let shown = path.display().to_string();
    let err = |why: String, fix: &'static str| LockReadError {
        path: shown.clone(),
        why,
        fix,
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        err(
            format!("cannot read the lock: {e}"),
            "write one with `pyprov lock`, or name it with -o FILE",
        )
    })?;
    let doc: DocumentMut = text.parse().map_err(|e| {
        err(
            format!("not TOML: {e}"),
            "write the lock again with `pyprov lock`",
        )
    })?;
    let mut packages = Vec::new();
    let mut entries = Vec::new();
    let Some(list) = doc.get("packages").and_then(Item::as_array_of_tables) else {
        return Ok((packages, entries));
    };
    for p in list {
        let Some(name) = p.get("name").and_then(Item::as_str) else {
            return Err(err(
                "a [[packages]] entry has no name".into(),
                "write the lock again with `pyprov lock`",
            )
            .into());
        };
        let index = p.get("index").and_then(Item::as_str).map(str::to_string);
        let mut files: Vec<toml_edit::InlineTable> = Vec::new();
        if let Some(sdist) = p.get("sdist") {
            if let Some(t) = sdist.as_table_like() {
                files.push(inline_of(t));
            }
        }
        if let Some(wheels) = p.get("wheels") {
            if let Some(a) = wheels.as_array() {
                files.extend(
                    a.iter()
                        .filter_map(|w| w.as_inline_table())
                        .map(|t| inline_of(t)),
                );
            } else if let Some(a) = wheels.as_array_of_tables() {
                files.extend(a.iter().map(|t| inline_of(t)));
            }
        }
        for f in files {
            let filename = f
                .get("name")
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .or_else(|| {
                    f.get("url")
                        .and_then(|v| v.as_str())
                        .and_then(|u| u.rsplit('/').next())
                        .map(str::to_string)
                });
            let sha256 = f
                .get("hashes")
                .and_then(|h| h.as_inline_table())
                .and_then(|h| h.get("sha256"))
                .and_then(|v| v.as_str());
            let (Some(filename), Some(sha256)) = (filename, sha256) else {
                return Err(err(
                    format!("a file of {name} has no name or no sha256 hash"),
                    "write the lock again with `pyprov lock`",
                )
                .into());
            };
            entries.push(LockEntry {
                package: name.to_string(),
                filename,
                sha256: sha256.to_string(),
                index: index.clone(),
            });
        }
        let mut identities = Vec::new();
        if let Some(ids) = p.get("attestation-identities").and_then(Item::as_array) {
            for id in ids.iter().filter_map(|i| i.as_inline_table()) {
                identities.push(
                    id.iter()
                        .filter_map(|(k, v)| v.as_str().map(|s| (k.to_string(), s.to_string())))
                        .collect(),
                );
            }
        }
        packages.push(LockPackage {
            name: name.to_string(),
            version: p.get("version").and_then(Item::as_str).map(str::to_string),
            identities,
        });
    }
    Ok((packages, entries))
}

fn inline_of(t: &dyn toml_edit::TableLike) -> InlineTable {
    let mut out = InlineTable::new();
    for (k, v) in t.iter() {
        if let Some(v) = v.as_value() {
            out.insert(k, v.clone());
        } else if let Some(t) = v.as_table_like() {
            out.insert(k, inline_of(t).into());
        }
    }
    out
}
