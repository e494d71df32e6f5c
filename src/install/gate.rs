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
use crate::files::LocalProvenance;
use crate::index::{self, Client, Link, ProvenanceHint};
use crate::judge::{Evidence, FileRef, Found, Judge, Source};
use crate::trust::policy::{self, Code, Decision, Observed};
use crate::trust::{Cooldown, Policy, TrustFile};
use crate::verify::{distname, Engine, Verified};
use crate::vocab::Sha256;

pub(crate) use super::sources::Origin;

/// A file some source offered, registered by the verifying index.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub link: Link,
    pub origin: Origin,
    /// pyprov picked this file itself from an index (a hash-pinned requirement, a lock, a
    /// lock's file under `pyprov lock --check`), so no
    /// page the cooldown cut kept it from pip: its cooldown is checked when it is vetted, and
    /// a file of unknown age is refused (fail closed). `false` for the files the gate's pages
    /// list (already cut) and for direct URLs, which no cooldown governs.
    pub picked: bool,
}

pub(crate) use crate::judge::ProvenanceSource;

/// What a lock (pylock.toml) says of one of its files beyond its candidate's link (whose
/// sha256 and size the fetch holds the bytes to): the signers the judge expects. `package` is
/// the file's entry in the lock (`packages[N]`): with the lock's path, it names the
/// expectation in the gate's cache of vets.
#[derive(Debug, Clone)]
pub(crate) struct LockExpect {
    pub package: usize,
    pub judged: crate::judge::LockExpectation,
}

/// Why a file could not be vetted: it could not be fetched, or its bytes are not the ones its
/// link pins (sha256, size), which for a lock's file is a `lock-mismatch`.
enum FetchError {
    Failed(String),
    Mismatch(String),
}

impl From<String> for FetchError {
    fn from(why: String) -> FetchError {
        FetchError::Failed(why)
    }
}

/// The verdict on one file.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Vetted {
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
    pub(crate) fn allowed(&self) -> bool {
        !self.decision.denied() && self.path.is_some()
    }
}

/// A file a cooldown kept from pip: not listed on the gate's page of its project.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Withheld {
    pub package: String,
    pub file: String,
    /// What its index said, or `null` when it said nothing.
    pub upload_time: Option<String>,
    /// The package's cooldown, and the cutoff it gave in this run.
    pub cooldown: Cooldown,
    pub cutoff: String,
    /// `too-new` or `no-upload-time`: the code of the decision below.
    pub reason: Code,
    /// Why, and what to do: [`policy::cooldown_holds`]'s words, as a refused file has them.
    #[serde(skip)]
    why: String,
}

impl Withheld {
    fn new(
        project: &str,
        link: &Link,
        cooldown: Cooldown,
        cutoff: jiff::Timestamp,
        held: Decision,
    ) -> Withheld {
        Withheld {
            package: project.to_string(),
            file: link.filename.clone(),
            upload_time: link.upload_time.map(index::page::format_upload_time),
            cooldown,
            cutoff: index::page::format_upload_time(cutoff),
            reason: held.code,
            why: format!("{} ({})", held.message, held.fix),
        }
    }

    /// Why, in a sentence, with what to do.
    pub(crate) fn message(&self) -> String {
        self.why.clone()
    }
}

pub(crate) struct Gate {
    client: Client,
    judge: Judge,
    cache: Cache,
    provenance_index: Option<Url>,
    done: Mutex<HashMap<String, Arc<OnceCell<Arc<Vetted>>>>>,
    /// The run's start: every cooldown cutoff of the run is counted back from it, so every page
    /// pip reads is cut at the same instant.
    now: jiff::Timestamp,
}

impl Gate {
    pub(crate) fn new(
        client: Client,
        engine: Arc<Engine>,
        cache: Cache,
        trust: Option<TrustFile>,
        policy: Policy,
        provenance_index: Option<Url>,
    ) -> Gate {
        Gate {
            client,
            judge: Judge::new(engine, policy, trust),
            cache,
            provenance_index,
            done: Mutex::new(HashMap::new()),
            now: jiff::Timestamp::now(),
        }
    }

    /// The cooldown a package's files are held to in this run, with its cutoff; `None` when
    /// none applies (the policy has none and its entry none, or its entry exempts it).
    pub(crate) fn cooldown(&self, project: &str) -> Option<(Cooldown, jiff::Timestamp)> {
        let c = self
            .judge
            .policy()
            .cooldown_for(self.judge.entry(project))?;
        Some((c, c.cutoff(self.now)))
    }

    /// Whether a cooldown applies to any package: the policy's, or one an entry sets.
    pub(crate) fn any_cooldown(&self) -> bool {
        let policy = self.judge.policy();
        policy.cooldown_for(None).is_some()
            || self
                .judge
                .trust()
                .is_some_and(|t| t.entries().any(|e| policy.cooldown_for(Some(e)).is_some()))
    }

    /// The policy's own cooldown and its cutoff, for the report.
    pub(crate) fn policy_cooldown(&self) -> Option<(Cooldown, jiff::Timestamp)> {
        let c = self.judge.policy().cooldown_for(None)?;
        Some((c, c.cutoff(self.now)))
    }

    /// Splits a project's files into those pip may see and those its cooldown withholds.
    pub(crate) fn cool<T>(
        &self,
        project: &str,
        files: Vec<(Link, T)>,
    ) -> (Vec<(Link, T)>, Vec<Withheld>) {
        let Some((cooldown, cutoff)) = self.cooldown(project) else {
            return (files, Vec::new());
        };
        let mut kept = Vec::with_capacity(files.len());
        let mut withheld = Vec::new();
        let policy = self.judge.policy();
        for (link, extra) in files {
            let held = policy::cooldown_holds(
                &link.filename,
                project,
                link.upload_time,
                cooldown,
                cutoff,
                policy,
            );
            match held {
                None => kept.push((link, extra)),
                Some(held) => withheld.push(Withheld::new(project, &link, cooldown, cutoff, held)),
            }
        }
        (kept, withheld)
    }

    pub(crate) fn cache(&self) -> &Cache {
        &self.cache
    }

    pub(crate) fn policy(&self) -> &Policy {
        self.judge.policy()
    }

    /// The judge every file of this run is judged by.
    pub(crate) fn judge(&self) -> &Judge {
        &self.judge
    }

    /// Vets a candidate once; concurrent and later requests for the same file share the result.
    pub(crate) async fn vet(&self, c: &Candidate) -> Arc<Vetted> {
        self.vet_expecting(c, None).await
    }

    /// Vets a file a lock selected (its candidate's link has the lock's sha256 and size, which
    /// its bytes must have): its signer must be one of the lock's attestation identities as
    /// well as what the trust file allows.
    pub(crate) async fn vet_locked(&self, c: &Candidate, expect: &LockExpect) -> Arc<Vetted> {
        self.vet_expecting(c, Some(expect)).await
    }

    async fn vet_expecting(&self, c: &Candidate, expect: Option<&LockExpect>) -> Arc<Vetted> {
        let mut key = format!(
            "{}#{}#{}",
            c.link.url,
            c.link.sha256.as_deref().unwrap_or(""),
            c.picked
        );
        // The link's sha256 is the lock's, and its size is checked by every fetch: the lock
        // adds only its signers, named by the lock and the package entry they are read from.
        if let Some(e) = expect {
            key.push_str(&format!("#lock:{}#{}", e.judged.lock.display(), e.package));
        }
        let cell = {
            let mut done = self.done.lock().unwrap_or_else(|p| p.into_inner());
            done.entry(key).or_default().clone()
        };
        cell.get_or_init(|| async { Arc::new(self.vet_uncached(c, expect).await) })
            .await
            .clone()
    }

    async fn vet_uncached(&self, c: &Candidate, expect: Option<&LockExpect>) -> Vetted {
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
            decision: policy::not_a_distribution(&filename, self.judge.policy()),
            verified: None,
            provenance: ProvenanceSource::IndexServesNone,
            from_cache: false,
        };
        if parsed.is_none() {
            return v;
        }
        // A file pyprov picked itself (a hash-pinned requirement, a lock; pip's pages never
        // list one too new) is held to its package's cooldown before a byte is fetched: too
        // new, or of unknown age, it is refused. Any other file known to be too new is too.
        let cooldown = self.cooldown(&project);
        if let Some((cooldown, cutoff)) = cooldown {
            let held = policy::cooldown_holds(
                &filename,
                &project,
                c.link.upload_time,
                cooldown,
                cutoff,
                self.judge.policy(),
            );
            if let Some(held) = held.filter(|d| d.code == Code::TooNew || c.picked) {
                v.decision = held;
                return v;
            }
        }
        let fetched = match self.fetch(c, version.as_deref().unwrap_or("")).await {
            Ok(f) => f,
            Err(FetchError::Failed(message)) => {
                v.decision = policy::fetch_failed(&filename, &message);
                return v;
            }
            Err(FetchError::Mismatch(why)) => {
                v.decision = match expect {
                    Some(e) => {
                        policy::lock_mismatch(&filename, &e.judged.lock.display().to_string(), &why)
                    }
                    None => policy::fetch_failed(&filename, &why),
                };
                return v;
            }
        };
        v.sha256 = fetched.sha256.clone();
        v.path = Some(fetched.path);
        v.from_cache = fetched.from_cache;
        v.provenance = fetched.source;
        let Ok(sha256) = Sha256::from_hex(&fetched.sha256) else {
            v.decision = policy::fetch_failed(&filename, "the file's digest is not sha256 hex");
            v.path = None;
            return v;
        };
        let evidence = Evidence::parse(fetched.provenance.as_deref());
        let judgement =
            self.judge
                .judge_with(&filename, &sha256, &evidence, expect.map(|e| &e.judged));
        v.verified = judgement.verified().cloned();
        v.decision = judgement.decision;
        // The index's upload time is unsigned; the log's time is signed and comes before the
        // upload. An index that backdates a fresh file is caught here, after verification.
        if let (Some((cooldown, cutoff)), Some(logged)) = (
            cooldown,
            v.verified
                .as_ref()
                .and_then(|x| x.transparency_log.integrated_time)
                .and_then(|t| jiff::Timestamp::from_second(t).ok()),
        ) {
            if !v.decision.denied() && logged >= cutoff {
                v.decision = policy::logged_too_new(
                    &filename,
                    &project,
                    logged,
                    cooldown,
                    cutoff,
                    self.judge.policy(),
                );
            }
        }
        if let Observed::NoProvenance = judgement.observed {
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

    /// The file's bytes, from the cache or fetched, with the sha256 and size its link pins
    /// (the index's, a hash-pinned requirement's, a lock's).
    async fn fetch(&self, c: &Candidate, version: &str) -> Result<Fetched, FetchError> {
        let fetched = match self.cached(c, version).await? {
            Some(hit) => hit,
            None => self.fetch_fresh(c, version).await?,
        };
        if let Some(want) = c.link.size {
            let have = std::fs::metadata(&fetched.path)
                .map_err(|e| format!("cannot read the size of {}: {e}", fetched.path.display()))?
                .len();
            if have != want {
                return Err(FetchError::Mismatch(format!(
                    "it is {have} bytes, not the {want} it is pinned to"
                )));
            }
        }
        Ok(fetched)
    }

    /// The file from the cache, when the index named its sha256 and the cache holds it.
    async fn cached(&self, c: &Candidate, version: &str) -> Result<Option<Fetched>, String> {
        let Some(sha) = c.link.sha256.as_deref() else {
            return Ok(None);
        };
        let entry = match self.cache.get(sha) {
            Lookup::Hit(entry) => entry,
            // A planted or tampered entry: said, then fetched again like a miss.
            Lookup::Refused(r) => {
                eprintln!("warning: {r}");
                return Ok(None);
            }
            Lookup::Miss => return Ok(None),
        };
        let (provenance, source) = match (entry.provenance, &c.origin) {
            // Already in the cache: nothing to write back (no fsync on a warm read).
            (Some(p), _) => (Some(p), ProvenanceSource::Fetched("cache".into())),
            // Provenance may have appeared since (a mirror that stripped it was fixed): a file
            // that had none is asked about again; the bytes are not fetched again.
            (None, Origin::Index(base) | Origin::Page(base)) => {
                let found = self.provenance(c, base, version).await?;
                if found.0.is_some() {
                    if let Err(e) = self.cache.set_provenance(sha, found.0.as_deref()) {
                        // This run goes on with what it fetched; the next asks again.
                        eprintln!(
                            "warning: cannot store the provenance of {sha} in the cache: {e}"
                        );
                    }
                }
                found
            }
            (None, Origin::Dir(_)) => (None, ProvenanceSource::FileHasNone),
        };
        Ok(Some(Fetched {
            sha256: sha.to_ascii_lowercase(),
            path: entry.path,
            source,
            provenance,
            from_cache: true,
        }))
    }

    /// The file fetched (or copied from a local directory), hashed and stored in the cache,
    /// with its provenance.
    async fn fetch_fresh(&self, c: &Candidate, version: &str) -> Result<Fetched, FetchError> {
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
                // As a download is held to the sha256 its link pins, so is a local file.
                if let Some(want) = c.link.sha256.as_deref() {
                    let have = Sha256::from(digest);
                    if !have.hex().eq_ignore_ascii_case(want) {
                        return Err(FetchError::Mismatch(format!(
                            "its sha256 is {have}, not the {want} it is pinned to"
                        )));
                    }
                }
                let found = LocalProvenance { explicit: None }
                    .find(FileRef {
                        name: &c.link.filename,
                        path: Some(&path),
                    })
                    .await
                    .map_err(|e| e.to_string())?;
                (digest, found.documents, found.source)
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
                .map_err(|e| match e {
                    index::IndexError::HashMismatch {
                        expected, actual, ..
                    } => FetchError::Mismatch(format!(
                        "its sha256 is {actual}, not the {expected} it is pinned to"
                    )),
                    e => FetchError::Failed(e.to_string()),
                })?;
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

    /// Provenance for a file of an index, asked of the index (and of --provenance-index).
    async fn provenance(
        &self,
        c: &Candidate,
        base: &Url,
        version: &str,
    ) -> Result<(Option<Vec<u8>>, ProvenanceSource), String> {
        let source = IndexProvenance {
            client: &self.client,
            provenance_index: self.provenance_index.as_ref(),
            base,
            link: &c.link,
            version,
        };
        let found = source
            .find(FileRef {
                name: &c.link.filename,
                path: None,
            })
            .await?;
        Ok((found.documents, found.source))
    }
}

/// What an index publishes about one of its files: the provenance it advertises per file
/// (PEP 740), else what its Integrity API has. `--provenance-index` is asked first: mirrors
/// strip provenance, and the sha256 binds what it returns to the bytes actually downloaded.
struct IndexProvenance<'a> {
    client: &'a Client,
    provenance_index: Option<&'a Url>,
    base: &'a Url,
    link: &'a Link,
    version: &'a str,
}

impl Source for IndexProvenance<'_> {
    type Error = String;

    async fn find(&self, file: FileRef<'_>) -> Result<Found, String> {
        let project = distname::parse(file.name)
            .map(|d| d.project().to_string())
            .unwrap_or_default();
        let integrity = |b: &Url| {
            index::integrity_base(b)
                .or_else(|| Some(b.clone()).filter(|u| u.path().ends_with("/integrity/")))
                .and_then(|i| index::integrity_url(&i, &project, self.version, file.name))
        };
        let none = |source| Found {
            documents: None,
            source,
            paths: Vec::new(),
        };
        let mut tries: Vec<(Url, bool)> = Vec::new();
        if let Some(p) = self.provenance_index {
            if let Some(u) = integrity(p) {
                tries.push((u, true));
            }
        }
        match &self.link.provenance {
            ProvenanceHint::Url(u) => tries.push((u.clone(), false)),
            ProvenanceHint::None if tries.is_empty() => {
                return Ok(none(ProvenanceSource::FileHasNone))
            }
            _ => {
                if let Some(u) = integrity(self.base) {
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
                    return Ok(Found {
                        documents: Some(body),
                        source: ProvenanceSource::Fetched(index::redact(&url)),
                        paths: Vec::new(),
                    })
                }
                Ok(None) => continue,
                // An index without an Integrity API may answer anything: that is "no provenance".
                Err(index::IndexError::Status { .. }) if optional => continue,
                Err(e) => return Err(format!("cannot fetch provenance: {e}")),
            }
        }
        Ok(none(match self.link.provenance {
            ProvenanceHint::None => ProvenanceSource::FileHasNone,
            _ => ProvenanceSource::IndexServesNone,
        }))
    }
}

struct Fetched {
    sha256: String,
    path: PathBuf,
    provenance: Option<Vec<u8>>,
    source: ProvenanceSource,
    from_cache: bool,
}
