//! Reusing a resolution. pip's dry run is a process of its own and costs about a second; when
//! nothing it depended on has changed, its answer is the same. So each resolution is stored,
//! keyed by every input of the dry run that can change its answer (pip's version, the
//! interpreter's markers and tags, the installed distributions' metadata, pip's effective
//! options, the requirement and constraint files' contents, the sources; not where the
//! environment is, nor settings pip's dry run does not read, such as its cache), with
//! a digest of every project page pip read through the verifying index. A later run with the
//! same key fetches those pages again (in parallel) and reuses the resolution only if every one
//! is unchanged: a new release, a yanked file or a changed hash sends it through pip again.
//!
//! Nothing is trusted from the stored record but the choice of files: every file is vetted again
//! (from the verified-file cache), and pip installs it pinned by hash.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;

use super::gate::Candidate;
use super::marks::Mark;
use super::reqs::ReqKind;
use super::settings::Settings;
use super::sources::{self, Origin};
use super::strategy::Pending;
use super::Mode;
use crate::index::{Client, Link, ProvenanceHint};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Stored {
    /// Project name -> digest of the files every source listed for it.
    pub pages: BTreeMap<String, String>,
    /// The resolved files, in pip's report order.
    pub items: Vec<StoredItem>,
    /// Files pip fetched while resolving that are not in the set (build dependencies).
    pub extra: Vec<StoredLink>,
    /// pip's report, for `--report`.
    pub report: String,
    /// What pip kept as installed (project, version), for the report.
    pub satisfied: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredItem {
    pub name: String,
    pub version: String,
    /// pip's report: the user asked for it (it gets `REQUESTED`).
    pub requested: bool,
    /// The URL of a direct requirement (from metadata: `x @ URL`), for `direct_url.json`.
    pub direct_url: Option<String>,
    pub link: StoredLink,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredLink {
    pub filename: String,
    pub url: String,
    pub sha256: Option<String>,
    pub origin: StoredOrigin,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum StoredOrigin {
    Index(String),
    Page(String),
    Dir(PathBuf),
}

impl StoredLink {
    pub(crate) fn from_candidate(c: &Candidate) -> StoredLink {
        StoredLink {
            filename: c.link.filename.clone(),
            url: c.link.url.to_string(),
            sha256: c.link.sha256.clone(),
            origin: match &c.origin {
                Origin::Index(u) => StoredOrigin::Index(u.to_string()),
                Origin::Page(u) => StoredOrigin::Page(u.to_string()),
                Origin::Dir(d) => StoredOrigin::Dir(d.clone()),
            },
        }
    }

    pub(crate) fn to_candidate(&self) -> Option<Candidate> {
        let origin = match &self.origin {
            StoredOrigin::Index(u) => Origin::Index(Url::parse(u).ok()?),
            StoredOrigin::Page(u) => Origin::Page(Url::parse(u).ok()?),
            StoredOrigin::Dir(d) => Origin::Dir(d.clone()),
        };
        Some(Candidate {
            link: Link {
                filename: self.filename.clone(),
                url: Url::parse(&self.url).ok()?,
                sha256: self.sha256.clone(),
                requires_python: None,
                yanked: None,
                metadata: None,
                provenance: ProvenanceHint::NotAdvertised,
                upload_time: None,
                size: None,
            },
            origin,
            picked: false,
        })
    }
}

/// A stored resolution, ready to be vetted again.
pub(crate) struct Reusable {
    pub(crate) items: Vec<Pending>,
    pub(crate) marks: Vec<Mark>,
    pub(crate) extra: Vec<Candidate>,
    /// pip's report, for `--report`.
    pub(crate) report: String,
    pub(crate) satisfied: Vec<(String, String)>,
}

impl Stored {
    /// The stored choice of files as candidates; `None` when one is not a URL any more.
    fn reusable(self) -> Option<Reusable> {
        let items = self
            .items
            .iter()
            .map(|i| Some((i.name.clone(), i.version.clone(), i.link.to_candidate()?)))
            .collect::<Option<Vec<_>>>()?;
        let marks = self
            .items
            .iter()
            .map(|i| Mark {
                name: i.name.clone(),
                version: i.version.clone(),
                requested: i.requested,
                direct_url: i.direct_url.clone(),
            })
            .collect();
        let extra = self
            .extra
            .iter()
            .map(StoredLink::to_candidate)
            .collect::<Option<Vec<_>>>()?;
        Some(Reusable {
            items,
            marks,
            extra,
            report: self.report,
            satisfied: self.satisfied,
        })
    }
}

/// Where this run's resolution is stored: only one of named requirements alone (a direct URL,
/// a local path or an editable is read anew each run), and only when its key can be made.
pub(crate) fn store_path(settings: &Settings) -> Option<PathBuf> {
    let reqs = &settings.reqs;
    let reusable = reqs.constraint_urls.is_empty()
        && reqs
            .lines
            .iter()
            .all(|l| !l.editable && matches!(l.kind, ReqKind::Named { .. }));
    if !reusable {
        return None;
    }
    match resolution_key(settings) {
        Ok(key) => Some(path(&settings.cache_root, &key)),
        Err(e) => {
            eprintln!("warning: the resolution is neither reused nor stored: {e}");
            None
        }
    }
}

/// The stored resolution at `path`, if every page it read still says the same.
pub(crate) async fn reusable(path: &Path, client: &Client, origins: &[Origin]) -> Option<Reusable> {
    let stored = load(path)?;
    if !still_valid(&stored, client, origins).await {
        return None;
    }
    let reusable = stored.reusable();
    if reusable.is_none() {
        eprintln!(
            "warning: the stored resolution {} names a file by a URL that does not parse; pip resolves again",
            path.display()
        );
    }
    reusable
}

/// A sanitized requirements copy the key is made of could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {}: {source}", path.display())]
struct KeyError {
    path: PathBuf,
    #[source]
    source: std::io::Error,
}

/// Everything pip's dry run depends on besides the index pages, as one key.
fn resolution_key(settings: &Settings) -> Result<String, KeyError> {
    let (pip, pip_args) = (&settings.pip, &settings.pip_args);
    // What the resolution depends on about pip and the interpreter: pip's version and the
    // interpreter's markers and tags, not where the virtualenv happens to be.
    let (major, minor, patch) = pip.version;
    let mut parts = vec![
        // The stored record's format and what it means.
        "resolution 2".to_string(),
        format!("{:?}", settings.mode),
        format!("pip {major}.{minor}.{patch}"),
        pip.target
            .clone()
            .unwrap_or_else(|| pip.program.display().to_string()),
    ];
    parts.extend(requirement_copies(settings)?);
    parts.extend(pip_args.requirements.iter().cloned());
    parts.extend(pip_args.editables.iter().cloned());
    parts.extend(pip_args.location.iter().cloned());
    // Options that change how pip talks, not what it answers, leave the key alone.
    parts.extend(pip_args.resolve_key.iter().cloned());
    parts.push(format!("{} {}", pip_args.no_deps, pip_args.require_hashes));
    parts.extend(settings.sources.origins.iter().map(|o| format!("{o:?}")));
    // pip's configuration and PIP_* variables are in the effective options above (what pyprov
    // passes on) and the sources; what pip would read of them besides (its cache, its log)
    // does not change the answer. What is installed does, except where pip ignores it.
    if settings.mode == Mode::Install {
        parts.push(format!("installed {}", pip.installed));
    }
    Ok(key(&parts))
}

/// The sanitized requirement and constraint files, nested ones included, in name order; their
/// temporary directory differs from run to run and is left out.
fn requirement_copies(settings: &Settings) -> Result<Vec<String>, KeyError> {
    let dir = settings.work().join("requirements");
    let work = settings.work().display().to_string();
    let failed = |path: &Path| {
        let path = path.to_path_buf();
        move |source| KeyError { path, source }
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(failed(&dir))? {
        files.push(entry.map_err(failed(&dir))?.path());
    }
    files.sort();
    files
        .iter()
        .map(|f| {
            std::fs::read_to_string(f)
                .map(|text| text.replace(&work, ""))
                .map_err(failed(f))
        })
        .collect()
}

/// A digest of what a project page says: every file with its URL, hash, Python requirement,
/// yank state, metadata and provenance annotations, in the sources' order.
pub(crate) fn links_digest(links: &[Link]) -> String {
    let mut h = Sha256::new();
    for l in links {
        h.update(
            format!(
                "{}\n{}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n\n",
                l.filename, l.url, l.sha256, l.requires_python, l.yanked, l.metadata, l.provenance
            )
            .as_bytes(),
        );
    }
    hex::encode(h.finalize())
}

/// The store key: a digest of every input of the dry run.
pub(crate) fn key(parts: &[String]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())
}

pub(crate) fn path(cache_root: &Path, key: &str) -> PathBuf {
    cache_root.join("resolutions").join(format!("{key}.json"))
}

/// A stored resolution is trusted for its choice of files (URLs and hashes a later run fetches
/// and installs), so it is read only when nothing another user could write is on the way: the
/// cache's rules (no symlink, ours, writable by no one else; see `cache::read_private`). A
/// refused one is said, and pip resolves again.
pub(crate) fn load(path: &Path) -> Option<Stored> {
    let (base, dir, name) = split(path)?;
    match crate::cache::read_private(base, &[dir], name, MAX_STORED_BYTES) {
        Ok(Some(bytes)) => match serde_json::from_slice(&bytes) {
            Ok(stored) => Some(stored),
            // Another version of pyprov may have written it: resolving again is the answer.
            Err(e) => {
                eprintln!(
                    "warning: the stored resolution {} is unreadable ({e}); pip resolves again",
                    path.display()
                );
                None
            }
        },
        Ok(None) => None,
        Err(r) => {
            eprintln!("warning: {r}");
            None
        }
    }
}

/// pip's report for thousands of packages is a few MiB; more was not written by pyprov.
const MAX_STORED_BYTES: u64 = 64 * 1024 * 1024;

/// `CACHE/resolutions/KEY.json` as its three parts.
fn split(path: &Path) -> Option<(&Path, &str, &str)> {
    let name = path.file_name()?.to_str()?;
    let dir = path.parent()?;
    Some((dir.parent()?, dir.file_name()?.to_str()?, name))
}

/// Written beside and renamed, like every cache entry, into a directory checked as the cache's
/// are (a symlinked or foreign `resolutions` is moved aside and made again).
pub(crate) fn save(path: &Path, stored: &Stored) {
    if let Err(e) = write(path, stored) {
        eprintln!("warning: the resolution is not stored: {e}");
    }
}

/// Why a resolution was not stored.
#[derive(Debug, thiserror::Error)]
enum SaveError {
    #[error("{} is not CACHE/resolutions/KEY.json", .0.display())]
    Path(PathBuf),
    #[error("{0}")]
    Dir(#[source] crate::cache::Refused),
    #[error("{0}")]
    Json(#[source] serde_json::Error),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn write(path: &Path, stored: &Stored) -> Result<(), SaveError> {
    let (base, dir, name) = split(path).ok_or_else(|| SaveError::Path(path.to_path_buf()))?;
    let dir = crate::cache::private_dir(base, &[dir]).map_err(SaveError::Dir)?;
    let bytes = serde_json::to_vec(stored).map_err(SaveError::Json)?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SaveError::Io { path, source }
    };
    let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(io(&dir))?;
    use std::io::Write;
    tmp.write_all(&bytes).map_err(io(tmp.path()))?;
    let to = dir.join(name);
    tmp.persist(&to).map_err(|e| io(&to)(e.error))?;
    Ok(())
}

/// Whether every page the stored resolution read still says the same, asked of the sources now.
pub(crate) async fn still_valid(stored: &Stored, client: &Client, origins: &[Origin]) -> bool {
    let checks = stored.pages.iter().map(|(project, digest)| async move {
        let mut links = Vec::new();
        for origin in origins {
            match sources::links(client, origin, project).await {
                Ok(l) => links.extend(l),
                Err(_) => return false,
            }
        }
        links_digest(&links) == *digest
    });
    futures_util::future::join_all(checks)
        .await
        .into_iter()
        .all(|ok| ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn stored() -> Stored {
        Stored {
            pages: BTreeMap::new(),
            items: Vec::new(),
            extra: Vec::new(),
            report: "{}".into(),
            satisfied: Vec::new(),
        }
    }

    #[test]
    fn saved_then_loaded_privately() {
        let dir = tempfile::tempdir().unwrap();
        let p = path(dir.path(), "k");
        save(&p, &stored());
        assert_eq!(load(&p).map(|s| s.report).as_deref(), Some("{}"));
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("resolutions")), 0o700);
        assert_eq!(mode(&p), 0o600);
    }

    #[test]
    fn a_symlinked_or_foreign_resolution_is_not_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let p = path(dir.path(), "k");
        save(&p, &stored());
        let planted = dir.path().join("planted.json");
        std::fs::rename(&p, &planted).unwrap();
        std::os::unix::fs::symlink(&planted, &p).unwrap();
        assert!(load(&p).is_none());
        assert!(planted.exists() && std::fs::symlink_metadata(&p).is_err());

        save(&p, &stored());
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(load(&p).is_none());

        if rustix::process::geteuid().is_root() {
            save(&p, &stored());
            std::os::unix::fs::chown(&p, Some(12345), None).unwrap();
            assert!(load(&p).is_none());
            // A foreign `resolutions` directory is not entered.
            save(&p, &stored());
            std::os::unix::fs::chown(dir.path().join("resolutions"), Some(12345), None).unwrap();
            assert!(load(&p).is_none());
            assert!(!dir.path().join("resolutions").exists());
        }
    }
}
