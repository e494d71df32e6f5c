//! The gate every distribution file passes before pip may read a byte of it: fetch the file (or
//! take it from the cache), fetch its provenance, verify, and decide by the trust policy. Each
//! file is vetted once per run, however many times pip asks for it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::OnceCell;
use url::Url;

use crate::cache::{Cache, Lookup};
use crate::index::{self, Client, Link, ProvenanceHint};
use crate::trust::policy::{self, Decision, Observed};
use crate::trust::{Policy, TrustFile};
use crate::verify::{distname, Artifact, Document, Engine, Verified};

pub use super::sources::Origin;

/// A file some source offered, registered by the verifying index.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub link: Link,
    pub origin: Origin,
}

/// How provenance was looked for, so the report can tell "this index serves no provenance"
/// apart from "this file has none".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "where")]
pub enum ProvenanceSource {
    /// Advertised by the index, or found at an Integrity API.
    Fetched(String),
    /// Sidecar files next to a local file.
    Sidecar(String),
    /// The index speaks PEP 740 and says the file has none.
    FileHasNone,
    /// The index advertises no provenance and its Integrity API (if any) had none.
    IndexServesNone,
}

/// The verdict on one file.
#[derive(Debug, Clone, Serialize)]
pub struct Vetted {
    pub filename: String,
    pub project: String,
    pub version: Option<String>,
    pub sha256: String,
    pub url: String,
    #[serde(skip)]
    pub path: Option<PathBuf>,
    pub decision: Decision,
    pub verified: Option<Verified>,
    pub provenance: ProvenanceSource,
    pub from_cache: bool,
}

impl Vetted {
    pub fn allowed(&self) -> bool {
        !self.decision.denied() && self.path.is_some()
    }
}

pub struct Gate {
    client: Client,
    engine: Arc<Engine>,
    cache: Cache,
    trust: Option<TrustFile>,
    policy: Policy,
    provenance_index: Option<Url>,
    done: Mutex<HashMap<String, Arc<OnceCell<Arc<Vetted>>>>>,
}

impl Gate {
    pub fn new(
        client: Client,
        engine: Arc<Engine>,
        cache: Cache,
        trust: Option<TrustFile>,
        policy: Policy,
        provenance_index: Option<Url>,
    ) -> Gate {
        Gate {
            client,
            engine,
            cache,
            trust,
            policy,
            provenance_index,
            done: Mutex::new(HashMap::new()),
        }
    }

    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn trust(&self) -> Option<&TrustFile> {
        self.trust.as_ref()
    }

    /// Vets a candidate once; concurrent and later requests for the same file share the result.
    pub async fn vet(&self, c: &Candidate) -> Arc<Vetted> {
        let key = format!("{}#{}", c.link.url, c.link.sha256.as_deref().unwrap_or(""));
        let cell = {
            let mut done = self.done.lock().unwrap_or_else(|p| p.into_inner());
            done.entry(key).or_default().clone()
        };
        cell.get_or_init(|| async { Arc::new(self.vet_uncached(c).await) })
            .await
            .clone()
    }

    async fn vet_uncached(&self, c: &Candidate) -> Vetted {
        let filename = c.link.filename.clone();
        let parsed = distname::parse(&filename).ok();
        let project = parsed
            .as_ref()
            .map(|d| d.project().to_string())
            .unwrap_or_else(|| filename.clone());
        let version = parsed.as_ref().map(|d| d.version().to_string());
        let mut v = Vetted {
            filename: filename.clone(),
            project: project.clone(),
            version: version.clone(),
            sha256: c.link.sha256.clone().unwrap_or_default(),
            url: index::redact(&c.link.url),
            path: None,
            decision: policy::not_a_distribution(&filename, &self.policy),
            verified: None,
            provenance: ProvenanceSource::IndexServesNone,
            from_cache: false,
        };
        if parsed.is_none() {
            return v;
        }
        let fetched = match self.fetch(c, version.as_deref().unwrap_or("")).await {
            Ok(f) => f,
            Err(message) => {
                v.decision = policy::fetch_failed(&filename, &message);
                return v;
            }
        };
        v.sha256 = fetched.sha256.clone();
        v.path = Some(fetched.path);
        v.from_cache = fetched.from_cache;
        v.provenance = fetched.source;
        let mut digest = [0u8; 32];
        if hex::decode_to_slice(&fetched.sha256, &mut digest).is_err() {
            v.decision = policy::fetch_failed(&filename, "the file's digest is not sha256 hex");
            v.path = None;
            return v;
        }
        let artifact = Artifact {
            name: &filename,
            sha256: &digest,
        };
        let entry = self.trust.as_ref().and_then(|t| t.entry(&project));
        let expect = policy::expectation_for(entry);
        let observed = match fetched.provenance.as_deref().map(Document::parse) {
            None => Observed::NoProvenance,
            Some(Err(f)) => Observed::Invalid(f),
            Some(Ok(doc)) => policy::observe(&self.engine, artifact, Some(&doc), &expect),
        };
        if let Observed::Verified(ver) | Observed::IdentityMismatch { actual: ver, .. } = &observed
        {
            v.verified = Some(ver.clone());
        }
        v.decision = policy::decide(&project, entry, &self.policy, &observed);
        if let Observed::NoProvenance = observed {
            if v.provenance == ProvenanceSource::IndexServesNone {
                v.decision.message.push_str(
                    " (the index serves no provenance at all: if it is a mirror, pass --provenance-index with the upstream index)",
                );
            }
        }
        if v.decision.denied() {
            v.path = None;
        }
        v
    }

    async fn fetch(&self, c: &Candidate, version: &str) -> Result<Fetched, String> {
        if let Some(sha) = c.link.sha256.as_deref() {
            let hit = match self.cache.get(sha) {
                Lookup::Hit(entry) => Some(entry),
                // A planted or tampered entry: said, then fetched again like a miss.
                Lookup::Refused(r) => {
                    eprintln!("warning: {r}");
                    None
                }
                Lookup::Miss => None,
            };
            if let Some(entry) = hit {
                let (provenance, source) = match (entry.provenance, &c.origin) {
                    // Already in the cache: nothing to write back (no fsync on a warm read).
                    (Some(p), _) => (Some(p), ProvenanceSource::Fetched("cache".into())),
                    // Provenance may have appeared since (a mirror that stripped it was fixed):
                    // a file that had none is asked about again; the bytes are not fetched again.
                    (None, Origin::Index(base) | Origin::Page(base)) => {
                        let found = self.provenance(c, base, version).await?;
                        if found.0.is_some() {
                            let _ = self.cache.set_provenance(sha, found.0.as_deref());
                        }
                        found
                    }
                    (None, Origin::Dir(_)) => (None, ProvenanceSource::FileHasNone),
                };
                return Ok(Fetched {
                    sha256: sha.to_ascii_lowercase(),
                    path: entry.path,
                    source,
                    provenance,
                    from_cache: true,
                });
            }
        }
        let scratch = self.cache.scratch().map_err(|e| e.to_string())?;
        let (digest, provenance, source) = match &c.origin {
            Origin::Dir(_) => {
                let path = c
                    .link
                    .url
                    .to_file_path()
                    .map_err(|_| "not a local path".to_string())?;
                let digest =
                    crate::files::copy_hashing(&path, scratch.path()).map_err(|e| e.to_string())?;
                let sidecars = crate::files::sidecars(&path);
                let provenance = match sidecars.as_slice() {
                    [] => None,
                    found => Some(crate::files::read_provenance(found).map_err(|e| e.to_string())?),
                };
                let source = match sidecars.first() {
                    Some(p) => ProvenanceSource::Sidecar(p.display().to_string()),
                    None => ProvenanceSource::FileHasNone,
                };
                (digest, provenance, source)
            }
            Origin::Index(base) | Origin::Page(base) => {
                let digest = tokio::time::timeout(
                    index::FILE_DEADLINE,
                    self.client
                        .download(&c.link.url, scratch.path(), c.link.sha256.as_deref()),
                )
                .await
                .map_err(|_| {
                    format!(
                        "the download took longer than {} s, pyprov's limit",
                        index::FILE_DEADLINE.as_secs()
                    )
                })?
                .map_err(|e| e.to_string())?;
                let (provenance, source) = self.provenance(c, base, version).await?;
                (digest, provenance, source)
            }
        };
        let sha256 = hex::encode(digest);
        let path = self
            .cache
            .put(&sha256, &c.link.filename, scratch, provenance.as_deref())
            .map_err(|e| format!("cannot store in the cache: {e}"))?;
        Ok(Fetched {
            sha256,
            path,
            provenance,
            source,
            from_cache: false,
        })
    }

    async fn provenance(
        &self,
        c: &Candidate,
        base: &Url,
        version: &str,
    ) -> Result<(Option<Vec<u8>>, ProvenanceSource), String> {
        let project = distname::parse(&c.link.filename)
            .map(|d| d.project().to_string())
            .unwrap_or_default();
        let integrity = |b: &Url| {
            index::integrity_base(b)
                .or_else(|| Some(b.clone()).filter(|u| u.path().ends_with("/integrity/")))
                .and_then(|i| index::integrity_url(&i, &project, version, &c.link.filename))
        };
        // An explicit provenance index wins: mirrors strip provenance, and the sha256 binds
        // what it returns to the bytes actually downloaded.
        let mut tries: Vec<(Url, bool)> = Vec::new();
        if let Some(p) = &self.provenance_index {
            if let Some(u) = integrity(p) {
                tries.push((u, true));
            }
        }
        match &c.link.provenance {
            ProvenanceHint::Url(u) => tries.push((u.clone(), false)),
            ProvenanceHint::None if tries.is_empty() => {
                return Ok((None, ProvenanceSource::FileHasNone))
            }
            _ => {
                if let Some(u) = integrity(base) {
                    tries.push((u, true));
                }
            }
        }
        for (url, optional) in tries {
            match self
                .client
                .get_small(&url, index::INTEGRITY_JSON, index::MAX_SMALL_BYTES)
                .await
            {
                Ok(Some((body, _))) => {
                    return Ok((Some(body), ProvenanceSource::Fetched(index::redact(&url))))
                }
                Ok(None) => continue,
                // An index without an Integrity API may answer anything: that is "no provenance".
                Err(index::IndexError::Status { .. }) if optional => continue,
                Err(e) => return Err(format!("cannot fetch provenance: {e}")),
            }
        }
        let source = match c.link.provenance {
            ProvenanceHint::None => ProvenanceSource::FileHasNone,
            _ => ProvenanceSource::IndexServesNone,
        };
        Ok((None, source))
    }
}

struct Fetched {
    sha256: String,
    path: PathBuf,
    provenance: Option<Vec<u8>>,
    source: ProvenanceSource,
    from_cache: bool,
}
