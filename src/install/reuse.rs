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
use super::sources::{self, Origin};
use crate::index::{Client, Link, ProvenanceHint};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stored {
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
pub struct StoredItem {
    pub name: String,
    pub version: String,
    /// pip's report: the user asked for it (it gets `REQUESTED`).
    pub requested: bool,
    /// The URL of a direct requirement (from metadata: `x @ URL`), for `direct_url.json`.
    pub direct_url: Option<String>,
    pub link: StoredLink,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredLink {
    pub filename: String,
    pub url: String,
    pub sha256: Option<String>,
    pub origin: StoredOrigin,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum StoredOrigin {
    Index(String),
    Page(String),
    Dir(PathBuf),
}

impl StoredLink {
    pub fn from_candidate(c: &Candidate) -> StoredLink {
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

    pub fn to_candidate(&self) -> Option<Candidate> {
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
            },
            origin,
        })
    }
}

/// A digest of what a project page says: every file with its URL, hash, Python requirement,
/// yank state, metadata and provenance annotations, in the sources' order.
pub fn links_digest(links: &[Link]) -> String {
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
pub fn key(parts: &[String]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())
}

pub fn path(cache_root: &Path, key: &str) -> PathBuf {
    cache_root.join("resolutions").join(format!("{key}.json"))
}

/// A stored resolution is trusted for its choice of files (URLs and hashes a later run fetches
/// and installs), so it is read only when nothing another user could write is on the way: the
/// cache's rules (no symlink, ours, writable by no one else; see `cache::read_private`). A
/// refused one is said, and pip resolves again.
pub fn load(path: &Path) -> Option<Stored> {
    let (base, dir, name) = split(path)?;
    match crate::cache::read_private(base, &[dir], name, MAX_STORED_BYTES) {
        Ok(Some(bytes)) => serde_json::from_slice(&bytes).ok(),
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
pub fn save(path: &Path, stored: &Stored) {
    let Some((base, dir, name)) = split(path) else {
        return;
    };
    let dir = match crate::cache::private_dir(base, &[dir]) {
        Ok(d) => d,
        Err(r) => {
            eprintln!("warning: the resolution is not stored: {r}");
            return;
        }
    };
    let Ok(bytes) = serde_json::to_vec(stored) else {
        return;
    };
    if let Ok(mut tmp) = tempfile::NamedTempFile::new_in(&dir) {
        use std::io::Write;
        if tmp.write_all(&bytes).is_ok() {
            let _ = tmp.persist(dir.join(name));
        }
    }
}

/// Whether every page the stored resolution read still says the same, asked of the sources now.
pub async fn still_valid(stored: &Stored, client: &Client, origins: &[Origin]) -> bool {
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
