//! `pyprov lock`'s half of the pipeline: the same settings, gate and strategies as `install`
//! (pip's dry run against the verifying index, or hash-pinned requirements), stopped once every
//! file of the resolved set is vetted. What comes back is what a lock records of each file: its
//! URL, sha256, size, upload time, index, and the publisher its certificate proved.
//! `--check` goes the other way: each file of an existing lock is looked up on its index as it
//! is served now and judged again; nothing is written.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use url::Url;

use super::gate::{Candidate, Gate, Origin, Vetted};
use super::report::{Row, RunReport};
use super::settings::Settings;
use super::strategy::{Planned, Strategy};
use super::{pin_publishers, proxy, report, sources, upfront, Ctx, InstallError, Mode};
use crate::cli::OwnFlags;
use crate::exit;
use crate::index::{self, Client, Link};
use crate::verify::PublisherSpec;
use crate::vocab::{PackageName, SafeUrl, Sha256};

/// Where `pyprov lock` writes without `-o`, as `pip lock`.
pub const DEFAULT_OUTPUT: &str = "pylock.toml";

/// One vetted file, as a lock records it.
#[derive(Debug, Clone)]
pub struct LockedFile {
    /// The project name as pip's resolution (or the hash-pinned requirement) gives it.
    pub package: String,
    pub version: String,
    pub filename: String,
    /// Where the index serves it (credentials removed).
    pub url: String,
    pub sha256: Sha256,
    /// The size of the verified bytes.
    pub size: Option<u64>,
    /// The index's `upload-time` for the file (PEP 700), when it gave one.
    pub upload_time: Option<String>,
    /// The index it came from (its simple API base URL), when it came from one.
    pub index: Option<String>,
    /// What the certificate proved: the publisher, and its deployment environment.
    pub proven: Option<Proven>,
    /// Who signed it, when it verified but its signer is no publisher pyprov can pin (so
    /// `proven` is none although the file is attested).
    pub signer: Option<String>,
}

/// The publisher a file's certificate proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proven {
    pub publisher: PublisherSpec,
    /// The certificate's Deployment Environment extension, when it carries one.
    pub environment: Option<String>,
}

/// What `pyprov lock` resolved.
pub enum Resolved {
    /// Every file passed: the lock to write, at `output`.
    Files {
        output: PathBuf,
        files: Vec<LockedFile>,
    },
    /// The run is over with this status (a refusal, which the report printed, or pip could not
    /// resolve).
    Done(u8),
}

/// Runs `pyprov lock ARGS...` up to the vetted set.
pub fn resolve(own: OwnFlags, raw: &[String]) -> Result<Resolved, InstallError> {
    runtime()?.block_on(resolve_async(own, raw))
}

fn runtime() -> Result<tokio::runtime::Runtime, InstallError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(InstallError::Runtime)
}

async fn resolve_async(own: OwnFlags, raw: &[String]) -> Result<Resolved, InstallError> {
    let (mut settings, gate) = Settings::resolve(own, None, raw, Mode::Lock)?;
    let gate = Arc::new(gate);
    let proxy = proxy::Proxy::start(
        gate.clone(),
        settings.client.clone(),
        settings.sources.origins.clone(),
    )
    .await
    .map_err(InstallError::Gate)?;
    let mut run = RunReport::new(settings.policy.source.clone(), settings.format);
    run.verbose = settings.pip_args.verbosity > 0;
    report::set_verbosity(settings.pip_args.verbosity);
    let rewrites = upfront::decide(&settings, &gate, &proxy, &mut run);
    if run.any_denied() {
        proxy.stop().await;
        run.print();
        return Ok(Resolved::Done(exit::FAILED));
    }
    settings.rewrite(&rewrites.0)?;
    let ctx = Ctx {
        settings: &settings,
        gate: &gate,
        proxy: &proxy,
        rewrites: &rewrites,
    };
    let strategy = Strategy::choose(&ctx).await;
    let planned = strategy.plan(&ctx, &mut run).await;
    let outside = proxy.outside();
    proxy.stop().await;
    let plan = match planned? {
        Planned::Plan(plan) => plan,
        Planned::Done(status) => return Ok(Resolved::Done(status)),
    };
    if let Some(local) = plan.local.first() {
        return Err(InstallError::LockLocal {
            name: local.name.clone(),
            url: index::redact_text(&local.url),
        });
    }
    let all = super::execute::everything_vetted(&plan.pinned, plan.extra.clone());
    for v in all.iter().chain(outside.iter()) {
        run.rows.push(Row::from_vetted(v));
    }
    if run.any_denied() || plan.pinned.iter().any(|(_, _, v)| !v.allowed()) {
        run.print();
        return Ok(Resolved::Done(exit::FAILED));
    }
    // Trust on first use, as `install` would: the lock and the trust file then agree.
    let held = pin_publishers(&gate, &all, &mut run);
    run.show_verdicts();
    run.finish();
    if !held {
        return Ok(Resolved::Done(exit::FAILED));
    }
    let mut files = Vec::with_capacity(plan.pinned.len());
    for ((name, version, v), c) in plan.pinned.iter().zip(&plan.candidates) {
        let link = real_link(&settings.client, c).await;
        // An allowed file's digest is sha256 hex: the gate refuses any other.
        let Ok(sha256) = Sha256::from_hex(&v.sha256) else {
            eprintln!("error: {} has no sha256 digest to lock", v.filename);
            return Ok(Resolved::Done(exit::FAILED));
        };
        files.push(locked_file(name, version, v, sha256, c, link.as_ref()));
    }
    let output = settings
        .pip_args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_OUTPUT));
    Ok(Resolved::Files { output, files })
}

/// A file chosen from the cache (hash-pinned requirements) has the cache's address: the lock
/// names the index's. Otherwise the candidate's own link.
async fn real_link(client: &Client, c: &Candidate) -> Option<Link> {
    if c.link.url.scheme() != "pyprov-cache" {
        return Some(c.link.clone());
    }
    let project = crate::verify::distname::parse(&c.link.filename).ok()?;
    let links = sources::links(client, &c.origin, project.project())
        .await
        .ok()?;
    links.into_iter().find(|l| l.filename == c.link.filename)
}

fn locked_file(
    name: &str,
    version: &str,
    v: &Vetted,
    sha256: Sha256,
    c: &Candidate,
    link: Option<&Link>,
) -> LockedFile {
    let url = plain(link.map_or(&c.link.url, |l| &l.url));
    let size = v
        .path
        .as_deref()
        .and_then(|p| std::fs::metadata(p).ok())
        .map(|m| m.len());
    LockedFile {
        package: name.to_string(),
        version: version.to_string(),
        filename: v.filename.clone(),
        url,
        sha256,
        size,
        upload_time: link.and_then(upload_time),
        index: index_of(&c.origin),
        proven: proven(v),
        signer: unpinnable_signer(v),
    }
}

/// Who signed a verified file whose signer is no publisher pyprov can pin.
fn unpinnable_signer(v: &Vetted) -> Option<String> {
    let verified = v.verified.as_ref()?;
    verified
        .publisher
        .is_none()
        .then(|| verified.identity.describe())
}

/// The index's upload time of a file (PEP 700), as RFC 3339 UTC; none when the index gave
/// none (an HTML page), never an invented one.
fn upload_time(link: &Link) -> Option<String> {
    link.upload_time.map(index::page::format_upload_time)
}

fn index_of(origin: &Origin) -> Option<String> {
    match origin {
        Origin::Index(base) => Some(plain(base)),
        Origin::Page(_) | Origin::Dir(_) => None,
    }
}

/// A URL as a lock records it: without credentials.
fn plain(url: &Url) -> String {
    SafeUrl::new(url.clone()).without_credentials().to_string()
}

fn proven(v: &Vetted) -> Option<Proven> {
    let verified = v.verified.as_ref()?;
    Some(Proven {
        publisher: verified.publisher.clone()?,
        environment: verified.identity.environment.clone(),
    })
}

/// Why the lock's `url` for a file is not where its index serves it (credentials and the
/// `#sha256=` fragment aside), or `None` when it is.
fn url_differs(want: &str, served: &Url) -> Option<String> {
    let plain = |u: &Url| {
        let mut u = u.clone();
        u.set_fragment(None);
        index::redact(&u)
    };
    let served = plain(served);
    match Url::parse(want) {
        Ok(u) if plain(&u) == served => None,
        _ => Some(format!(
            "the lock fetches it from {}, and its index serves it at {served}",
            index::redact_text(want)
        )),
    }
}

/// A file of an existing lock, to judge again.
#[derive(Debug, Clone)]
pub struct LockEntry {
    /// The package's place among the lock's `[[packages]]`.
    pub position: usize,
    pub package: String,
    pub filename: String,
    pub sha256: String,
    /// The lock's `packages.index`; without one, the run's index (`-i`, pip's configuration).
    pub index: Option<String>,
    /// The lock's `url` and `path` for the file: install fetches from them, so the index must
    /// serve the file at that URL (and a `path` is not a file of the index).
    pub url: Option<String>,
    pub path: Option<String>,
    /// The lock's `size`, which install holds the bytes to.
    pub size: Option<u64>,
}

/// What the index serves now for a locked file.
#[derive(Debug, Clone)]
pub enum Checked {
    /// The index no longer lists the file.
    Gone,
    /// The index lists it with another sha256.
    Changed { sha256: String },
    /// The index could not be asked.
    Unreachable { why: String },
    /// What the lock says of the file is not what install would find: its `path`, a `url`
    /// other than the index's, a `size` other than the bytes'.
    Differs { why: String },
    /// Judged again: what the certificate proves now, the judge's refusal if any, and what the
    /// index says of the file now.
    Judged {
        proven: Option<Proven>,
        /// What the certificate says, to check the lock's identities against (with the
        /// judge's matcher).
        identity: Option<Box<crate::verify::Identity>>,
        refused: Option<String>,
        size: Option<u64>,
        upload_time: Option<String>,
        index: Option<String>,
    },
}

/// Files checked at once: as many as the other strategies fetch at once.
const PARALLEL_CHECKS: usize = 16;

/// A lock file that cannot be read, as the caller (who knows its format) says.
pub type ReadError = Box<dyn std::error::Error + Send + Sync>;

/// An existing lock judged again.
pub struct CheckRun {
    /// The lock that was read.
    pub lock: PathBuf,
    /// Where `-o` says a lock is written (default pylock.toml).
    pub output: PathBuf,
    pub files: Vec<(LockEntry, Checked)>,
}

/// `pyprov lock --check` and `pyprov lock -r pylock.toml`: reads the lock at `input` (else at
/// `-o`, default pylock.toml) with `read`, then judges each of its files as its index serves it
/// now.
pub fn check(
    own: OwnFlags,
    raw: &[String],
    input: Option<PathBuf>,
    read: impl FnOnce(&Path) -> Result<Vec<LockEntry>, ReadError>,
) -> Result<CheckRun, InstallError> {
    runtime()?.block_on(check_async(own, raw, input, read))
}

async fn check_async(
    own: OwnFlags,
    raw: &[String],
    input: Option<PathBuf>,
    read: impl FnOnce(&Path) -> Result<Vec<LockEntry>, ReadError>,
) -> Result<CheckRun, InstallError> {
    // What the index serves now: nothing from the cache, whose provenance is what it served then.
    let mut own = own;
    own.no_cache = true;
    let (settings, gate) = Settings::resolve_for_a_lock(own, raw)?;
    let output = settings
        .pip_args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_OUTPUT));
    let path = input.unwrap_or_else(|| output.clone());
    let entries = read(&path).map_err(InstallError::LockFile)?;
    let fallback = settings
        .sources
        .origins
        .iter()
        .find(|o| matches!(o, Origin::Index(_)))
        .cloned();
    let gate = Arc::new(gate);
    let bar = report::bar(entries.len() as u64, "checking");
    let (client, fallback) = (&settings.client, fallback.as_ref());
    let pages = &Pages::default();
    let out: Vec<(LockEntry, Checked)> = {
        use futures_util::StreamExt;
        futures_util::stream::iter(entries.into_iter().map(|entry| {
            let (gate, bar) = (gate.clone(), bar.clone());
            async move {
                let checked = check_one(client, pages, &gate, &entry, fallback).await;
                bar.inc(1);
                (entry, checked)
            }
        }))
        .buffered(PARALLEL_CHECKS)
        .collect()
        .await
    };
    bar.finish_and_clear();
    Ok(CheckRun {
        lock: path,
        output,
        files: out,
    })
}

/// Each project's page, asked once however many of its files the lock names.
#[derive(Default)]
struct Pages {
    asked: std::sync::Mutex<HashMap<String, PageCell>>,
}

type PageCell = Arc<tokio::sync::OnceCell<Result<Vec<Link>, String>>>;

impl Pages {
    async fn links(
        &self,
        client: &Client,
        origin: &Origin,
        project: &str,
    ) -> Result<Vec<Link>, String> {
        let key = format!("{origin:?} {project}");
        let cell = {
            let mut asked = self.asked.lock().unwrap_or_else(|p| p.into_inner());
            asked.entry(key).or_default().clone()
        };
        cell.get_or_init(|| sources::links(client, origin, project))
            .await
            .clone()
    }
}

async fn check_one(
    client: &Client,
    pages: &Pages,
    gate: &Arc<Gate>,
    entry: &LockEntry,
    fallback: Option<&Origin>,
) -> Checked {
    let origin = match entry.index.as_deref() {
        Some(i) => {
            let with_slash = if i.ends_with('/') {
                i.to_string()
            } else {
                format!("{i}/")
            };
            match Url::parse(&with_slash) {
                Ok(u) => Origin::Index(u),
                Err(e) => {
                    return Checked::Unreachable {
                        why: format!("its index {i} is not a URL: {e}"),
                    }
                }
            }
        }
        None => match fallback {
            Some(o) => o.clone(),
            None => {
                return Checked::Unreachable {
                    why: "the lock names no index for it, and no index is configured".into(),
                }
            }
        },
    };
    let project = PackageName::normalize(&entry.package);
    let links = match pages.links(client, &origin, project.as_str()).await {
        Ok(l) => l,
        Err(why) => return Checked::Unreachable { why },
    };
    let Some(link) = links.into_iter().find(|l| l.filename == entry.filename) else {
        return Checked::Gone;
    };
    if let Some(now) = &link.sha256 {
        if !now.eq_ignore_ascii_case(&entry.sha256) {
            return Checked::Changed {
                sha256: now.to_ascii_lowercase(),
            };
        }
    }
    if let Some(path) = &entry.path {
        return Checked::Differs {
            why: format!(
                "the lock names it by path ({path}), which install takes from that local file, not from its index"
            ),
        };
    }
    if let Some(why) = entry
        .url
        .as_deref()
        .and_then(|want| url_differs(want, &link.url))
    {
        return Checked::Differs { why };
    }
    let upload_time = upload_time(&link);
    let index = index_of(&origin);
    let v = gate
        .vet(&Candidate {
            link,
            origin,
            // Held to the cooldown as install holds the lock's files: --check passes only
            // what install would take.
            picked: true,
        })
        .await;
    if !v.sha256.is_empty() && !v.sha256.eq_ignore_ascii_case(&entry.sha256) {
        return Checked::Changed {
            sha256: v.sha256.to_ascii_lowercase(),
        };
    }
    let size = v
        .path
        .as_deref()
        .and_then(|p| std::fs::metadata(p).ok())
        .map(|m| m.len());
    if let (Some(want), Some(have)) = (entry.size, size) {
        if want != have {
            return Checked::Differs {
                why: format!("it is {have} bytes, and the lock says {want}"),
            };
        }
    }
    Checked::Judged {
        size,
        upload_time,
        index,
        proven: proven(&v),
        identity: v.verified.as_ref().map(|v| Box::new(v.identity.clone())),
        refused: v
            .decision
            .denied()
            .then(|| format!("{} [{}]", v.decision.message, v.decision.code.as_str())),
    }
}
