//! pyprov's verifying index and pip's only proxy: a server on 127.0.0.1 (an ephemeral port) that
//! stands in front of the user's indexes and find-links, and that every pip process pyprov runs
//! is told to use as its HTTP and HTTPS proxy (see `pip::Pip::command`).
//!
//! - Requests for this server itself (origin-form, or absolute-form naming its own address) are
//!   the index: project pages list every source's files of that project, and only those, with
//!   links back here; a file is served only after the gate verified and allowed it, and a refused
//!   file is an HTTP 403 naming the reason. PEP 658 metadata is read out of the vetted wheel
//!   itself, never passed through from upstream: it decides what pip resolves.
//! - A plain-http request for any other host is a URL pip found around the gate (in a package's
//!   dependencies, a build requirement, a local project): it is decided exactly like a direct
//!   URL given up front (fetched by the gate, hashed, judged by the policy) and recorded.
//! - `CONNECT` (an https tunnel) is refused and recorded: the gate cannot see what would pass
//!   through it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use indexmap::{IndexMap, IndexSet};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::build::{Builder, Built, Wheel};
use super::gate::{Candidate, Gate, ProvenanceSource, Vetted, Withheld};
use super::sources::{self, Origin};
use crate::index::{self, Client, Link, ProvenanceHint};
use crate::trust::policy;
use crate::verify::distname;
use crate::vocab::PackageName;

type Body = BoxBody<Bytes, std::io::Error>;
type WheelCheck = Arc<tokio::sync::OnceCell<Arc<Result<Vec<u8>, String>>>>;
/// A build, or the sdist's file name and why it could not be built.
type BuildCell = Arc<tokio::sync::OnceCell<Arc<Result<Built, (String, String)>>>>;

pub(crate) struct ProxyState {
    pub gate: Arc<Gate>,
    client: Client,
    sources: Vec<Origin>,
    candidates: Mutex<Vec<Candidate>>,
    /// The files pip itself asked for (not those fetched ahead because pip read their metadata).
    requested: Mutex<Vec<Candidate>>,
    /// What each project page pip read said (for reusing this resolution); `None` once a
    /// source failed to answer, since a resolution made on partial pages must not be reused.
    pages: Mutex<Option<std::collections::BTreeMap<String, String>>>,
    /// Everything pip asked for around the gate, with its verdict, in order.
    outside: Mutex<Vec<Arc<Vetted>>>,
    /// The files a cooldown kept off the pages pip read, in order, each once (by package and
    /// file name).
    withheld: Mutex<IndexMap<(String, String), Withheld>>,
    /// Why a source could not be read for a page pip asked for (refused connection, DNS, TLS,
    /// an HTTP error), each once: pip alone would only say it found no matching distribution.
    unreachable: Mutex<IndexSet<String>>,
    /// Each vetted wheel's metadata check, by sha256.
    checked: Mutex<std::collections::HashMap<String, WheelCheck>>,
    /// When set, sdists are offered with metadata, which the gate makes by building them.
    builder: std::sync::OnceLock<Builder>,
    /// Each vetted sdist's build, by the sdist's sha256.
    built: Mutex<std::collections::HashMap<String, BuildCell>>,
    /// This server's own `host:port`, to tell requests for it from proxied ones.
    authority: String,
    /// The `Proxy-Authorization` value every request must carry: the port is open to every
    /// local user, and only the pip processes pyprov started know the token.
    authorization: String,
}

pub(crate) struct Proxy {
    pub base: String,
    /// What pip is given as its proxy: this server, with the run's token as credentials.
    pub proxy_url: String,
    state: Arc<ProxyState>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub(crate) async fn start(
        gate: Arc<Gate>,
        client: Client,
        sources: Vec<Origin>,
    ) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let token = random_token()?;
        let authorization = {
            use base64::Engine;
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("pyprov:{token}"))
            )
        };
        let state = Arc::new(ProxyState {
            gate,
            client,
            sources,
            candidates: Mutex::new(Vec::new()),
            requested: Mutex::new(Vec::new()),
            pages: Mutex::new(Some(std::collections::BTreeMap::new())),
            outside: Mutex::new(Vec::new()),
            withheld: Mutex::new(IndexMap::new()),
            unreachable: Mutex::new(IndexSet::new()),
            checked: Mutex::new(std::collections::HashMap::new()),
            builder: std::sync::OnceLock::new(),
            built: Mutex::new(std::collections::HashMap::new()),
            authority: addr.to_string(),
            authorization,
        });
        let (stop, mut stopped) = watch::channel(false);
        let st = state.clone();
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stopped.changed() => break,
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let st = st.clone();
                        tokio::spawn(async move {
                            let service = service_fn(move |req| {
                                let st = st.clone();
                                async move { Ok::<_, Infallible>(handle(&st, req).await) }
                            });
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        });
                    }
                }
            }
        });
        Ok(Proxy {
            proxy_url: format!("http://pyprov:{token}@{addr}"),
            base: format!("http://{addr}"),
            state,
            stop,
            task,
        })
    }

    /// From now on sdists are listed with metadata, made by building them with `builder`
    /// ([`super::build`]). Set once, before pip first reads a page.
    pub(crate) fn build_sdists(&self, builder: Builder) {
        let _ = self.state.builder.set(builder);
    }

    /// Why each sdist the gate tried to build could not be built (file name, pip's words).
    pub(crate) fn build_failures(&self) -> Vec<(String, String)> {
        self.builds(|r| match r {
            Err((file, why)) => Some((file.clone(), why.clone())),
            Ok(_) => None,
        })
    }

    /// The sdists the gate could not build whose metadata came from their metadata hook
    /// instead (file name, why the build failed).
    pub(crate) fn unbuilt(&self) -> Vec<(String, String)> {
        self.builds(|r| match r {
            Ok(Built {
                failure: Some(why),
                sdist,
                ..
            }) => Some((sdist.clone(), why.clone())),
            _ => None,
        })
    }

    /// What `pick` takes from each finished build, sorted.
    fn builds(
        &self,
        pick: impl Fn(&Result<Built, (String, String)>) -> Option<(String, String)>,
    ) -> Vec<(String, String)> {
        let built = self.state.built.lock().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<(String, String)> = built
            .values()
            .filter_map(|cell| cell.get().and_then(|r| pick(r)))
            .collect();
        out.sort();
        out
    }

    /// Builds a vetted sdist (one a lock selected) into the wheel [`Proxy::built`] then names,
    /// with the builder [`Proxy::build_sdists`] set; its build dependencies come through the
    /// gate like any file.
    pub(crate) async fn build_vetted(&self, c: &Candidate, vetted: &Vetted) -> Result<(), String> {
        let (Some(path), true, Some(builder)) =
            (&vetted.path, vetted.allowed(), self.state.builder.get())
        else {
            return Err("it was not allowed, or no build was set up".into());
        };
        match &*build_once(&self.state, c, vetted, path, builder).await {
            Ok(Built { wheel: Some(_), .. }) => Ok(()),
            Ok(Built { failure, .. }) => Err(failure.clone().unwrap_or_default()),
            Err((_, why)) => Err(why.clone()),
        }
    }

    /// The wheel built from the vetted sdist of this sha256, if the gate built one.
    pub(crate) fn built(&self, sdist_sha256: &str) -> Option<Wheel> {
        let cell = self
            .state
            .built
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(sdist_sha256)
            .cloned()?;
        cell.get()
            .and_then(|r| r.as_ref().as_ref().ok().and_then(|b| b.wheel.clone()))
    }

    /// The index URL to give pip.
    pub(crate) fn index_url(&self) -> String {
        format!("{}/simple/", self.base)
    }

    /// The candidate a URL this server handed out refers to.
    pub(crate) fn candidate_for(&self, url: &str) -> Option<Candidate> {
        let rest = url.strip_prefix(&self.base)?.strip_prefix("/files/")?;
        let idx: usize = rest.split('/').next()?.parse().ok()?;
        let c = self
            .state
            .candidates
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        c.get(idx).cloned()
    }

    /// Every file pip downloaded during resolution, sdists' build dependencies included (pip's
    /// report never lists those, but the install step needs them).
    pub(crate) fn requested(&self) -> Vec<Candidate> {
        self.state
            .requested
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Everything pip asked for around the gate (allowed or refused), in order.
    pub(crate) fn outside(&self) -> Vec<Arc<Vetted>> {
        self.state
            .outside
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Why sources could not be read for the pages pip asked for, in order, each once.
    pub(crate) fn unreachable(&self) -> Vec<String> {
        self.state
            .unreachable
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// The files a cooldown kept from pip, in the order pip read their pages.
    pub(crate) fn withheld(&self) -> Vec<Withheld> {
        self.state
            .withheld
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// Registers a file pyprov will hand pip by URL (a direct URL given up front) and returns
    /// the URL on this server that serves it once vetted.
    pub(crate) fn register(&self, candidate: Candidate) -> String {
        let mut c = self
            .state
            .candidates
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let idx = c.len();
        // Percent-encoded: the URL goes into a requirements file pip splits into lines.
        let url = url::Url::parse(&self.base)
            .map(|mut u| {
                if let Ok(mut segments) = u.path_segments_mut() {
                    segments
                        .clear()
                        .push("files")
                        .push(&idx.to_string())
                        .push(&candidate.link.filename);
                }
                u.to_string()
            })
            .unwrap_or_default();
        c.push(candidate);
        url
    }

    /// A digest of every project page pip read, when every source answered for each.
    pub(crate) fn pages(&self) -> Option<std::collections::BTreeMap<String, String>> {
        self.state
            .pages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Stops accepting connections (pip is done with it).
    pub(crate) async fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

/// 128 random bits, hex.
fn random_token() -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(hex::encode(bytes))
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn full(body: impl Into<Bytes>) -> Body {
    Full::new(body.into())
        .map_err(|never| match never {})
        .boxed()
}

fn text(status: StatusCode, body: String) -> Response<Body> {
    let mut r = Response::new(full(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// Every answer of the gate, with `Cache-Control: no-store`: what it serves depends on this
/// run's policy, and nothing of it may be kept and served to another pip.
async fn handle(state: &ProxyState, req: Request<Incoming>) -> Response<Body> {
    no_store(answer(state, req).await)
}

fn no_store(mut r: Response<Body>) -> Response<Body> {
    r.headers_mut().insert(
        hyper::header::CACHE_CONTROL,
        hyper::header::HeaderValue::from_static("no-store"),
    );
    r
}

async fn answer(state: &ProxyState, req: Request<Incoming>) -> Response<Body> {
    let authorized = req
        .headers()
        .get(hyper::header::PROXY_AUTHORIZATION)
        .is_some_and(|v| v.as_bytes() == state.authorization.as_bytes());
    if !authorized {
        // Not a pip pyprov started: nothing is served, and nothing is recorded against pip.
        return text(
            StatusCode::PROXY_AUTHENTICATION_REQUIRED,
            "this is pyprov's gate for one pip run; it serves only that pip\n".into(),
        );
    }
    if req.method() == hyper::Method::CONNECT {
        let target = req.uri().to_string();
        let v = outside_refusal(
            &format!("https://{target}/"),
            "pip tried to open an https tunnel to this host around the gate; pyprov cannot see or verify what would pass through it",
        );
        let body = refusal_body(&v);
        record_outside(state, v);
        return text(StatusCode::FORBIDDEN, body);
    }
    if req.method() != hyper::Method::GET && req.method() != hyper::Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, "read-only index\n".into());
    }
    if let Some(authority) = req.uri().authority() {
        if authority.as_str() != state.authority {
            return outside(state, &req.uri().to_string()).await;
        }
    }
    let path = req.uri().path().to_string();
    if let Some(project) = path
        .strip_prefix("/simple/")
        .map(|p| p.trim_end_matches('/'))
        .filter(|p| !p.is_empty() && !p.contains('/'))
    {
        return project_page(state, PackageName::normalize(project).as_str()).await;
    }
    if let Some(rest) = path.strip_prefix("/files/") {
        let Some((idx, name)) = rest.split_once('/') else {
            return text(StatusCode::NOT_FOUND, "no such file\n".into());
        };
        let Some(c) = idx.parse::<usize>().ok().and_then(|i| {
            let c = state.candidates.lock().unwrap_or_else(|p| p.into_inner());
            c.get(i).cloned()
        }) else {
            return text(StatusCode::NOT_FOUND, "no such file\n".into());
        };
        if name.ends_with(".metadata") && name != c.link.filename {
            if c.link.filename.ends_with(".whl") {
                return metadata(state, &c).await;
            }
            return sdist_metadata(state, &c).await;
        }
        state
            .requested
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(c.clone());
        return file(state, &c).await;
    }
    text(StatusCode::NOT_FOUND, "not found\n".into())
}

async fn project_page(state: &ProxyState, project: &str) -> Response<Body> {
    let mut links: Vec<(Link, Origin)> = Vec::new();
    let mut errors = Vec::new();
    let pages = futures_util::future::join_all(
        state
            .sources
            .iter()
            .map(|origin| sources::links(&state.client, origin, project)),
    )
    .await;
    for (origin, page) in state.sources.iter().zip(pages) {
        match page {
            // A file is listed only on the page of the project its name parses to: pip, given
            // a file on foo's page, would read `foo-99.0-1.tar.gz` as foo 99.0.post1, while
            // its name says project `foo-99-0`, whose pins are not foo's.
            Ok(ls) => links.extend(
                ls.into_iter()
                    .filter(|l| distname::parse(&l.filename).is_ok_and(|d| d.project() == project))
                    .map(|l| (l, origin.clone())),
            ),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        // A set keeps each reason once, where it was first seen.
        state
            .unreachable
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(errors.iter().cloned());
    }
    {
        let mut pages = state.pages.lock().unwrap_or_else(|p| p.into_inner());
        if errors.is_empty() {
            let plain: Vec<Link> = links.iter().map(|(l, _)| l.clone()).collect();
            if let Some(p) = pages.as_mut() {
                p.insert(project.to_string(), super::reuse::links_digest(&plain));
            }
        } else {
            *pages = None;
        }
    }
    if links.is_empty() && !errors.is_empty() {
        // pip reports an unreachable index as a failed lookup; say why in the body.
        return text(StatusCode::BAD_GATEWAY, format!("{}\n", errors.join("\n")));
    }
    // The package's cooldown: pip never sees a file younger than it, or of unknown age.
    let (links, withheld) = state.gate.cool(project, links);
    if !withheld.is_empty() {
        let mut held = state.withheld.lock().unwrap_or_else(|p| p.into_inner());
        for w in withheld {
            held.entry((w.package.clone(), w.file.clone())).or_insert(w);
        }
    }
    let body = {
        // Under the lock: the page's file numbers are the candidates' places.
        let mut cands = state.candidates.lock().unwrap_or_else(|p| p.into_inner());
        let start = cands.len();
        let listed: Vec<(usize, &Link, bool)> = links
            .iter()
            .enumerate()
            .map(|(i, (link, _))| {
                // Metadata is served from the vetted wheel, so its upstream hash means nothing
                // here; an sdist's comes from building it, when the gate builds sdists.
                let metadata = link.filename.ends_with(".whl")
                    || (state.builder.get().is_some()
                        && matches!(
                            distname::parse(&link.filename),
                            Ok(distname::DistName::Sdist { .. })
                        ));
                (start + i, link, metadata)
            })
            .collect();
        let body = page_json(project, &listed);
        cands.extend(links.into_iter().map(|(link, origin)| Candidate {
            link,
            origin,
            picked: false,
        }));
        body
    };
    let mut r = Response::new(full(body.to_string()));
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(index::SIMPLE_JSON),
    );
    r
}

/// A project page of the gate (PEP 691 JSON): each file as `(its index on this server, what
/// its source said, whether the gate serves its metadata)`. Upstream's `upload-time` and
/// `size` pass through as they were given; nothing is added that no source said.
pub(crate) fn page_json(project: &str, files: &[(usize, &Link, bool)]) -> serde_json::Value {
    // 1.1 (PEP 700) needs every file's `size`, so a page with a file whose size no source gave
    // is 1.0. (`upload-time` is optional in 1.1.)
    let sized = files.iter().all(|(_, l, _)| l.size.is_some());
    let rendered: Vec<serde_json::Value> = files
        .iter()
        .map(|(idx, link, metadata)| {
            let mut f = json!({
                "filename": link.filename,
                "url": format!("/files/{idx}/{}", link.filename),
                "hashes": match &link.sha256 { Some(h) => json!({"sha256": h}), None => json!({}) },
            });
            if let Some(rp) = &link.requires_python {
                f["requires-python"] = json!(rp);
            }
            if let Some(y) = &link.yanked {
                f["yanked"] = if y.is_empty() { json!(true) } else { json!(y) };
            }
            if *metadata {
                f["core-metadata"] = json!(true);
            }
            if let Some(size) = link.size {
                f["size"] = json!(size);
            }
            if let Some(t) = link.upload_time {
                f["upload-time"] = json!(index::page::format_upload_time(t));
            }
            f
        })
        .collect();
    let version = if sized { "1.1" } else { "1.0" };
    let mut body = json!({"meta": {"api-version": version}, "name": project, "files": rendered});
    if sized {
        let versions: std::collections::BTreeSet<String> = files
            .iter()
            .filter_map(|(_, l, _)| distname::parse(&l.filename).ok())
            .map(|d| d.version().to_string())
            .collect();
        body["versions"] = json!(versions);
    }
    body
}

/// The wheel's own METADATA, once the wheel is vetted: what the index says a file's metadata
/// is never reaches pip, so a lying index can neither add a dependency (or a `name @ URL` pip
/// would fetch and build) nor drop one.
async fn metadata(state: &ProxyState, c: &Candidate) -> Response<Body> {
    let vetted = state.gate.vet(c).await;
    let (Some(path), true) = (&vetted.path, vetted.allowed()) else {
        // Reported with the files pip asked for: pip stops on it.
        state
            .requested
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(c.clone());
        return text(StatusCode::FORBIDDEN, refusal_body(&vetted));
    };
    match &*wheel_check(state, &vetted.sha256, path, &c.link.filename).await {
        Ok(bytes) => Response::new(full(bytes.clone())),
        Err(why) => refuse_wheel(state, c, why),
    }
}

/// An sdist's metadata: the METADATA of the wheel the gate builds from it once it is vetted.
/// A refused sdist is never built: none of its code runs.
/// Builds a vetted, allowed sdist once per run (by its sha256), with the gate's builder.
async fn build_once(
    state: &ProxyState,
    c: &Candidate,
    vetted: &Vetted,
    path: &std::path::Path,
    builder: &Builder,
) -> Arc<Result<Built, (String, String)>> {
    let cell = state
        .built
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(vetted.sha256.clone())
        .or_default()
        .clone();
    cell.get_or_init(|| async {
        let (builder, path, filename, sha) = (
            builder.clone(),
            path.to_path_buf(),
            c.link.filename.clone(),
            vetted.sha256.clone(),
        );
        Arc::new(
            tokio::task::spawn_blocking(move || {
                builder
                    .build(&path, &filename, &sha)
                    .map_err(|why| (filename, why))
            })
            .await
            .unwrap_or_else(|e| Err((c.link.filename.clone(), e.to_string()))),
        )
    })
    .await
    .clone()
}

async fn sdist_metadata(state: &ProxyState, c: &Candidate) -> Response<Body> {
    let vetted = state.gate.vet(c).await;
    // Reported (and, when allowed, staged) with the files pip asked for, as if pip had fetched
    // it to build: a refusal stops pip.
    state
        .requested
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(c.clone());
    let (Some(path), true, Some(builder)) = (&vetted.path, vetted.allowed(), state.builder.get())
    else {
        return text(StatusCode::FORBIDDEN, refusal_body(&vetted));
    };
    let built = build_once(state, c, &vetted, path, builder).await;
    match &*built {
        Ok(b) => Response::new(full(b.metadata.clone())),
        // pip stops on this answer and shows it; the build's own output says why.
        Err((_, why)) => text(
            StatusCode::BAD_GATEWAY,
            format!("pyprov could not build {}: {why}\n", c.link.filename),
        ),
    }
}

/// [`checked_metadata`] once per vetted wheel: pip asks for a wheel's metadata and later for
/// the wheel, and both answers depend on it.
async fn wheel_check(
    state: &ProxyState,
    sha256: &str,
    path: &std::path::Path,
    filename: &str,
) -> Arc<Result<Vec<u8>, String>> {
    let cell = state
        .checked
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(sha256.to_string())
        .or_default()
        .clone();
    cell.get_or_init(|| async {
        let (path, filename) = (path.to_path_buf(), filename.to_string());
        Arc::new(
            tokio::task::spawn_blocking(move || checked_metadata(&path, &filename))
                .await
                .unwrap_or_else(|e| Err(e.to_string())),
        )
    })
    .await
    .clone()
}

/// The largest METADATA file read out of a wheel.
const MAX_METADATA_BYTES: u64 = 16 * 1024 * 1024;

/// A vetted wheel's METADATA, found as pip finds it, or why the wheel is refused: pip would
/// find other metadata than pyprov (not exactly one top-level `.dist-info` directory, or one of
/// another project, or no or several `METADATA` in it), or it names a requirement pip would
/// fetch around the gate (`x @ file:…`, `x @ git+…`: anything but an http or https URL).
pub(crate) fn checked_metadata(path: &std::path::Path, filename: &str) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let project = distname::parse(filename)
        .map_err(|e| e.to_string())?
        .project()
        .to_string();
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| format!("not a zip archive: {e}"))?;
    let mut dirs = std::collections::BTreeSet::new();
    let mut metadata = Vec::new();
    for i in 0..archive.len() {
        let Some(name) = archive.name_for_index(i) else {
            continue;
        };
        let Some((top, rest)) = name.split_once('/') else {
            continue;
        };
        if let Some(dir) = top.strip_suffix(".dist-info") {
            dirs.insert(dir.to_string());
            if rest == "METADATA" {
                metadata.push(i);
            }
        }
    }
    let dir = match (dirs.len(), dirs.first()) {
        (1, Some(d)) => d.clone(),
        (n, _) => return Err(format!("the wheel has {n} .dist-info directories, not one")),
    };
    let dir_project = dir.split_once('-').map_or(dir.as_str(), |(n, _)| n);
    if PackageName::normalize(dir_project) != project.as_str() {
        return Err(format!(
            "its .dist-info directory `{dir}` is not {project}'s"
        ));
    }
    let [index] = metadata.as_slice() else {
        return Err(format!(
            "the wheel has {} METADATA files, not one",
            metadata.len()
        ));
    };
    let entry = archive.by_index(*index).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    entry
        .take(MAX_METADATA_BYTES)
        .read_to_end(&mut out)
        .map_err(|e| e.to_string())?;
    if let Some(req) = fetched_around_the_gate(&out) {
        return Err(format!(
            "its metadata requires `{req}`, which pip would fetch around the gate"
        ));
    }
    Ok(out)
}

/// The first `Requires-Dist` whose URL is not http or https, read as Python's email parser
/// reads headers: names in any case, folded lines unfolded, `\r` a line break too.
pub(crate) fn fetched_around_the_gate(metadata: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(metadata)
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    let mut headers: Vec<String> = Vec::new();
    for line in text.split('\n') {
        if line.is_empty() {
            break;
        }
        match (line.starts_with([' ', '\t']), headers.last_mut()) {
            (true, Some(h)) => h.push_str(line),
            _ => headers.push(line.to_string()),
        }
    }
    headers
        .iter()
        .filter_map(|h| h.split_once(':'))
        .filter(|(name, _)| name.trim().eq_ignore_ascii_case("requires-dist"))
        .map(|(_, v)| v.trim())
        .find(|v| {
            let req = v.split(';').next().unwrap_or(v);
            req.split_once('@').is_some_and(|(_, url)| {
                let url = url.trim().to_ascii_lowercase();
                !(url.starts_with("http://") || url.starts_with("https://"))
            })
        })
        .map(str::to_string)
}

fn refuse_wheel(state: &ProxyState, c: &Candidate, why: &str) -> Response<Body> {
    let v = outside_refusal(&c.link.filename, why);
    let body = refusal_body(&v);
    record_outside(state, v);
    text(StatusCode::FORBIDDEN, body)
}

async fn file(state: &ProxyState, c: &Candidate) -> Response<Body> {
    let vetted = state.gate.vet(c).await;
    if let (Some(path), true, true) = (
        &vetted.path,
        vetted.allowed(),
        c.link.filename.ends_with(".whl"),
    ) {
        if let Err(why) = &*wheel_check(state, &vetted.sha256, path, &c.link.filename).await {
            return refuse_wheel(state, c, why);
        }
    }
    match (&vetted.path, vetted.allowed()) {
        (Some(path), true) => match tokio::fs::File::open(path).await {
            // Streamed from the cache, never held whole in memory.
            Ok(f) => {
                let stream = tokio_util::io::ReaderStream::new(f)
                    .map(|chunk| chunk.map(hyper::body::Frame::data));
                let mut r = Response::new(BodyExt::boxed(StreamBody::new(stream)));
                r.headers_mut().insert(
                    hyper::header::CONTENT_TYPE,
                    hyper::header::HeaderValue::from_static("application/octet-stream"),
                );
                r
            }
            Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
        },
        _ => text(StatusCode::FORBIDDEN, refusal_body(&vetted)),
    }
}

fn refusal_body(v: &Vetted) -> String {
    format!(
        "pyprov refused {}: {} [{}]\n",
        v.filename,
        v.decision.message,
        v.decision.code.as_str()
    )
}

fn record_outside(state: &ProxyState, v: Arc<Vetted>) {
    let mut outside = state.outside.lock().unwrap_or_else(|p| p.into_inner());
    // pip retries a refused request; one row says it.
    if !outside.iter().any(|o| o.url == v.url) {
        outside.push(v);
    }
}

/// A refusal of something pip asked for around the gate.
fn outside_refusal(url: &str, why: &str) -> Arc<Vetted> {
    let shown = index::redact_text(url);
    Arc::new(Vetted {
        filename: shown.clone(),
        project: "<outside the gate>".into(),
        version: None,
        sha256: String::new(),
        url: shown.clone(),
        path: None,
        decision: policy::outside_gate(&shown, why),
        verified: None,
        provenance: ProvenanceSource::IndexServesNone,
        from_cache: false,
    })
}

/// A plain-http URL pip found around the gate: decided like a direct URL given up front.
async fn outside(state: &ProxyState, url: &str) -> Response<Body> {
    let parsed = url::Url::parse(url).ok();
    let filename = parsed
        .as_ref()
        .and_then(index::page::file_name_of)
        .unwrap_or_default();
    let (Some(u), true) = (parsed, distname::parse(&filename).is_ok()) else {
        let v = outside_refusal(
            url,
            "pip asked for this URL around the gate, and it does not name a wheel or sdist pyprov could vet",
        );
        let body = refusal_body(&v);
        record_outside(state, v);
        return text(StatusCode::FORBIDDEN, body);
    };
    let mut base = u.clone();
    base.set_path("/");
    base.set_query(None);
    let candidate = Candidate {
        link: Link {
            filename,
            url: u,
            sha256: None,
            requires_python: None,
            yanked: None,
            metadata: None,
            provenance: ProvenanceHint::NotAdvertised,
            upload_time: None,
            size: None,
        },
        origin: super::sources::Origin::Page(base),
        picked: false,
    };
    let vetted = state.gate.vet(&candidate).await;
    if vetted.allowed() {
        // Allowed by the policy: staged and reported with the files pip fetched.
        state
            .requested
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(candidate.clone());
    } else {
        record_outside(state, vetted);
    }
    file(state, &candidate).await
}

#[cfg(test)]
mod tests {
    use crate::index::{Link, ProvenanceHint};

    fn link(name: &str, size: Option<u64>, upload_time: Option<&str>) -> Link {
        Link {
            filename: name.into(),
            url: url::Url::parse(&format!("https://up.example/files/{name}")).unwrap(),
            sha256: Some("ab".repeat(32)),
            requires_python: None,
            yanked: None,
            metadata: None,
            provenance: ProvenanceHint::NotAdvertised,
            upload_time: upload_time.map(|t| t.parse().unwrap()),
            size,
        }
    }

    #[test]
    fn pages_claim_1_1_only_when_every_file_has_a_size() {
        let full = [
            (
                0,
                &link(
                    "a-1.0-py3-none-any.whl",
                    Some(10),
                    Some("2024-01-02T03:04:05.123456Z"),
                ),
                true,
            ),
            (1, &link("a-1.1.tar.gz", Some(20), None), false),
        ];
        let page = super::page_json("a", &full);
        assert_eq!(page["meta"]["api-version"], "1.1");
        assert_eq!(page["versions"], serde_json::json!(["1.0", "1.1"]));
        assert_eq!(page["files"][0]["size"], 10);
        assert_eq!(
            page["files"][0]["upload-time"],
            "2024-01-02T03:04:05.123456Z"
        );
        assert_eq!(page["files"][0]["core-metadata"], true);
        assert_eq!(page["files"][0]["url"], "/files/0/a-1.0-py3-none-any.whl");
        // No upload time upstream: none is made up.
        assert!(page["files"][1].get("upload-time").is_none());
        assert!(page["files"][1].get("core-metadata").is_none());

        // One file without a size (an HTML page's): the page is 1.0, without `versions`.
        let partial = [
            (
                0,
                &link(
                    "a-1.0-py3-none-any.whl",
                    Some(10),
                    Some("2024-01-02T03:04:05Z"),
                ),
                true,
            ),
            (1, &link("a-1.1.tar.gz", None, None), false),
        ];
        let page = super::page_json("a", &partial);
        assert_eq!(page["meta"]["api-version"], "1.0");
        assert!(page.get("versions").is_none());
        assert!(page["files"][1].get("size").is_none());
        // What upstream said still passes through.
        assert_eq!(page["files"][0]["upload-time"], "2024-01-02T03:04:05Z");
        assert_eq!(super::page_json("a", &[])["meta"]["api-version"], "1.1");
    }

    #[test]
    fn upload_times_are_written_as_every_pip_reads_them() {
        let f = |t: &str| crate::index::page::format_upload_time(t.parse().unwrap());
        assert_eq!(f("2024-01-02T03:04:05Z"), "2024-01-02T03:04:05Z");
        assert_eq!(f("2024-01-02T03:04:05.5Z"), "2024-01-02T03:04:05.500000Z");
        assert_eq!(
            f("2024-01-02T04:04:05.123456789+01:00"),
            "2024-01-02T03:04:05.123456Z"
        );
    }

    #[test]
    fn every_answer_says_no_store() {
        let r = super::no_store(super::text(hyper::StatusCode::FORBIDDEN, "no\n".into()));
        assert_eq!(r.headers()[hyper::header::CACHE_CONTROL], "no-store");
        assert_eq!(r.status(), hyper::StatusCode::FORBIDDEN);
    }

    #[test]
    fn requirements_pip_would_fetch_around_the_gate_are_found() {
        let f = |m: &str| super::fetched_around_the_gate(m.as_bytes());
        assert_eq!(
            f("Metadata-Version: 2.1\nName: a\nRequires-Dist: b>=1\nRequires-Dist: c @ FILE:///tmp/c.tar.gz ; python_version>'3'\n").as_deref(),
            Some("c @ FILE:///tmp/c.tar.gz ; python_version>'3'")
        );
        assert_eq!(f("Name: a\nRequires-Dist: b @ https://x/b.whl\n"), None);
        // As Python's email parser reads them: any case, folded, `\r` breaks, other schemes.
        assert!(f("Name: a\nrequires-dist: x @ file:///tmp/x\n").is_some());
        assert!(f("Name: a\nRequires-Dist: w@ \n file:///tmp/w\n").is_some());
        assert!(f("Name: a\nRequires-Dist: y @ git+git://evil/y\n").is_some());
        assert!(f("Name: a\nRequires-Dist: y @ /tmp/y\n").is_some());
        assert!(f("Summary: s\rRequires-Dist: y @ git+ssh://evil/y\n").is_some());
        // Only the headers count.
        assert_eq!(f("Name: a\n\nRequires-Dist: d @ file:///x\n"), None);
        assert_eq!(
            f("Name: a\r\nRequires-Dist: b\r\n\r\nRequires-Dist: d @ file:///x\r\n"),
            None
        );
    }
}
