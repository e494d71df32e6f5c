//! A real package index on 127.0.0.1 for tests: PEP 503 HTML, PEP 691 JSON, PEP 658/714
//! metadata, PEP 740 provenance (advertised and through PyPI's Integrity API), and lies.
//!
//! [`TestIndex::new`] binds an ephemeral port and serves from a background thread (hyper 1 on a
//! tokio current-thread runtime) until dropped. Everything is configurable at run time through
//! `&self`, so a test can flip a lie between two runs of pip or pyprov.
//!
//! Layout (`BASE` = `http://127.0.0.1:PORT`):
//!
//! | path | what |
//! | --- | --- |
//! | `/simple/` | project list |
//! | `/simple/<project>/` | project page: JSON if `Accept` prefers `application/vnd.pypi.simple.v1+json`, else HTML |
//! | `/files/<filename>` | the file (`302` to `/redirected/<filename>` under [`Lie::Redirect`]) |
//! | `/files/<filename>.metadata` | PEP 658 core metadata (wheels only, when metadata is on) |
//! | `/redirected/<filename>` | the file, always served directly |
//! | `/integrity/<project>/<version>/<filename>/provenance` | PEP 740 provenance, `application/vnd.pypi.integrity.v1+json`, 404 when none |
//!
//! Files are linked as `../../files/<filename>` (relative) unless [`TestIndex::set_absolute_urls`].
//! A file's provenance is advertised, as on PyPI, by the absolute URL of its Integrity API
//! endpoint: the JSON `provenance` key (`null` for a file that has none) and the HTML
//! `data-provenance` attribute (absent for a file that has none).

// Each integration-test binary compiles this module separately and uses only part of it.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};

use super::dists::{normalize, sha256_hex, Dist};

/// PEP 691 JSON content type.
pub const SIMPLE_JSON: &str = "application/vnd.pypi.simple.v1+json";
/// PEP 691 HTML content type.
pub const SIMPLE_HTML: &str = "application/vnd.pypi.simple.v1+html";
/// PyPI's Integrity API content type.
pub const INTEGRITY_JSON: &str = "application/vnd.pypi.integrity.v1+json";
/// The `api-version` served (PEP 740 provenance is part of 1.3).
pub const API_VERSION: &str = "1.3";

type Body = BoxBody<Bytes, std::io::Error>;

/// Which project-page formats the index speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// JSON or HTML by the request's `Accept` header (HTML when it names neither).
    #[default]
    Negotiate,
    /// A PEP 503-only index: HTML (`text/html`) whatever the client asks for.
    HtmlOnly,
    /// JSON whatever the client asks for.
    JsonOnly,
}

/// A way for the index to lie about or fail to serve one file. Set with [`TestIndex::lie`],
/// which replaces an earlier lie of the same kind; [`TestIndex::clear_lies`] undoes all.
#[derive(Debug, Clone, PartialEq)]
pub enum Lie {
    /// Like a mirror that strips provenance: no JSON `provenance` key, no `data-provenance`,
    /// Integrity API 404.
    StripProvenance,
    /// Serve these bytes instead of the file's, and advertise *their* sha256 (the JSON
    /// `hashes`, the `#sha256=` fragment), so pip's own hash check passes; only the
    /// attestation, which binds the original sha256, tells. Metadata and provenance are
    /// the original file's.
    TamperedBytes(Vec<u8>),
    /// Serve the provenance with every bundle's `publisher` block replaced by this one.
    RewritePublisher(Value),
    /// For the next `times` requests of the file, send the headers (full `Content-Length`)
    /// and the first `bytes` bytes of the body, then close the connection; then serve
    /// normally. `Range` requests are honoured with 206 at all times, so a client can resume.
    DropConnectionAfter { bytes: usize, times: u32 },
    /// Answer the next `times` requests of the file with 500, then serve normally.
    Fail500 { times: u32 },
    /// Send the headers at once, then wait this long before the body.
    Slow(Duration),
    /// Answer `/files/<filename>` with a 302 to `/redirected/<filename>` on this server.
    Redirect,
}

/// One request the index answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    pub method: String,
    /// The path, percent-decoded, without the query.
    pub path: String,
    pub status: u16,
    /// The `Range` header, if any.
    pub range: Option<String>,
    /// The `Accept` header, if any.
    pub accept: Option<String>,
    /// The `User-Agent` header, if any (pip's starts with `pip/`).
    pub user_agent: Option<String>,
}

impl LoggedRequest {
    /// The last path segment (`foo-1.0-py3-none-any.whl`, `provenance`, `foo`).
    pub fn last_segment(&self) -> &str {
        self.path
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default()
    }

    /// A request for a distribution file's bytes (`/files/…` or `/redirected/…`, not
    /// `.metadata`).
    pub fn is_file(&self) -> bool {
        (self.path.starts_with("/files/") || self.path.starts_with("/redirected/"))
            && !self.path.ends_with(".metadata")
    }

    pub fn is_metadata(&self) -> bool {
        self.path.starts_with("/files/") && self.path.ends_with(".metadata")
    }

    pub fn is_integrity(&self) -> bool {
        self.path.starts_with("/integrity/")
    }

    pub fn is_page(&self) -> bool {
        self.path.starts_with("/simple")
    }
}

#[derive(Debug, Clone, Default)]
struct Lies {
    strip_provenance: bool,
    tampered: Option<Vec<u8>>,
    publisher: Option<Value>,
    /// (bytes, remaining times)
    drop: Option<(usize, u32)>,
    fail_500: u32,
    slow: Option<Duration>,
    redirect: bool,
}

#[derive(Debug, Clone)]
struct FileEntry {
    /// Normalized project name.
    project: String,
    dist: Dist,
    provenance: Option<String>,
    requires_python: Option<String>,
    yanked: Option<String>,
    /// The JSON page's PEP 700 `upload-time`, as written: see [`TestIndex::set_upload_time`].
    upload_time: Option<String>,
    lies: Lies,
    /// What `.metadata` serves (and the page advertises the hash of) instead of the wheel's
    /// own METADATA: see [`TestIndex::set_metadata_override`].
    metadata_override: Option<String>,
    /// The name the page lists the file under: see [`TestIndex::set_listed_name`].
    listed_name: Option<String>,
}

impl FileEntry {
    fn served_bytes(&self) -> &[u8] {
        self.lies.tampered.as_deref().unwrap_or(&self.dist.bytes)
    }

    fn has_metadata(&self) -> bool {
        self.dist.is_wheel() && !self.dist.metadata.is_empty()
    }

    /// The core metadata as served: the override if any, else the wheel's own.
    fn served_metadata(&self) -> &str {
        self.metadata_override
            .as_deref()
            .unwrap_or(&self.dist.metadata)
    }

    /// The file name the page lists (and links, percent-encoded).
    fn listed(&self) -> &str {
        self.listed_name.as_deref().unwrap_or(&self.dist.filename)
    }

    /// Whether a request path's file name (percent-decoded) names this file.
    fn answers_to(&self, name: &str) -> bool {
        self.dist.filename == name || self.listed_name.as_deref() == Some(name)
    }

    /// The provenance as served, or None when there is none or it is stripped.
    fn served_provenance(&self) -> Option<String> {
        if self.lies.strip_provenance {
            return None;
        }
        let provenance = self.provenance.as_ref()?;
        match &self.lies.publisher {
            None => Some(provenance.clone()),
            Some(publisher) => {
                let mut value: Value =
                    serde_json::from_str(provenance).expect("provenance is JSON");
                if let Some(bundles) = value
                    .get_mut("attestation_bundles")
                    .and_then(Value::as_array_mut)
                {
                    for bundle in bundles {
                        bundle["publisher"] = publisher.clone();
                    }
                }
                Some(serde_json::to_string(&value).expect("serialize provenance"))
            }
        }
    }
}

#[derive(Debug)]
struct State {
    files: Vec<FileEntry>,
    /// Normalized project name -> the name as first added.
    projects: BTreeMap<String, String>,
    format: Format,
    metadata: bool,
    absolute_urls: bool,
    /// Link files at `{file_host}/files/<filename>` instead of this server.
    file_host: Option<String>,
    advertise_provenance: bool,
    integrity_api: bool,
    /// `Cache-Control` on files and `.metadata` (see [`TestIndex::set_cache_headers`]).
    cache_headers: bool,
    /// Added before every answer (see [`TestIndex::set_latency`]).
    latency: Duration,
    log: Vec<LoggedRequest>,
}

impl Default for State {
    fn default() -> Self {
        State {
            files: Vec::new(),
            projects: BTreeMap::new(),
            format: Format::Negotiate,
            metadata: true,
            absolute_urls: false,
            file_host: None,
            advertise_provenance: true,
            integrity_api: true,
            cache_headers: false,
            latency: Duration::ZERO,
            log: Vec::new(),
        }
    }
}

/// The index. See the module documentation.
pub struct TestIndex {
    state: Arc<Mutex<State>>,
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Default for TestIndex {
    fn default() -> Self {
        TestIndex::new()
    }
}

impl Drop for TestIndex {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

impl TestIndex {
    /// An empty index listening on 127.0.0.1 on an ephemeral port.
    pub fn new() -> TestIndex {
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1 for the index");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State::default()));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let server_state = state.clone();
        let base = format!("http://{addr}");
        let thread = std::thread::Builder::new()
            .name(format!("test-index-{}", addr.port()))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("tokio runtime for the index");
                runtime.block_on(serve(listener, server_state, base, rx));
            })
            .expect("spawn the index thread");
        TestIndex {
            state,
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The simple index URL, `http://127.0.0.1:PORT/simple/`: pip's `--index-url`.
    pub fn url(&self) -> String {
        format!("{}/simple/", self.base_url())
    }

    /// `http://127.0.0.1:PORT/integrity/`: the Integrity API's root.
    pub fn integrity_base(&self) -> String {
        format!("{}/integrity/", self.base_url())
    }

    /// The absolute URL `/files/<filename>` (what relative links resolve to).
    pub fn file_url(&self, filename: &str) -> String {
        format!("{}/files/{filename}", self.base_url())
    }

    /// The Integrity API URL of `dist`'s provenance (what the index advertises).
    pub fn provenance_url(&self, project: &str, dist: &Dist) -> String {
        integrity_url(
            &self.base_url(),
            &normalize(project),
            &dist.version,
            &dist.filename,
        )
    }

    /// Serve `dist` under `project` (any spelling; PEP 503-normalized), with no provenance.
    pub fn add(&self, project: &str, dist: Dist) {
        self.add_with_provenance(project, dist, None);
    }

    /// Serve `dist` under `project` with this PEP 740 provenance object (JSON text). Adding a
    /// file name again replaces the earlier file, lies and all.
    /// Serves `dist` with provenance signed by `pki` for `repository`'s `release.yml`.
    pub fn publish(&self, pki: &super::pki::TestPki, dist: &Dist, repository: &str) {
        let prov = super::dists::provenance_for(pki, dist, repository, "release.yml");
        self.add_with_provenance(&dist.name, dist.clone(), Some(prov));
    }

    pub fn add_with_provenance(&self, project: &str, dist: Dist, provenance: Option<String>) {
        let mut st = self.state();
        let normalized = normalize(project);
        st.projects
            .entry(normalized.clone())
            .or_insert_with(|| project.to_string());
        st.files.retain(|f| f.dist.filename != dist.filename);
        st.files.push(FileEntry {
            project: normalized,
            dist,
            provenance,
            requires_python: None,
            yanked: None,
            upload_time: None,
            lies: Lies::default(),
            metadata_override: None,
            listed_name: None,
        });
    }

    /// Stop serving a file (its project stays listed, possibly empty).
    pub fn remove(&self, filename: &str) {
        self.state().files.retain(|f| f.dist.filename != filename);
    }

    fn with_file<T>(&self, filename: &str, f: impl FnOnce(&mut FileEntry) -> T) -> T {
        let mut st = self.state();
        let entry = st
            .files
            .iter_mut()
            .find(|e| e.dist.filename == filename)
            .unwrap_or_else(|| panic!("the index has no file {filename}"));
        f(entry)
    }

    /// Replace a file's provenance.
    pub fn set_provenance(&self, filename: &str, provenance: Option<String>) {
        self.with_file(filename, |e| e.provenance = provenance);
    }

    /// `data-requires-python` / `requires-python` for a file.
    pub fn set_requires_python(&self, filename: &str, requires_python: Option<&str>) {
        self.with_file(filename, |e| {
            e.requires_python = requires_python.map(str::to_string)
        });
    }

    /// The JSON page's `upload-time` for a file (PEP 700), written as given (PyPI writes
    /// `2024-01-02T03:04:05.123456Z`); `None` (the default) leaves the key out, as indexes that
    /// do not record upload times do. HTML pages never carry it (PEP 503 has no attribute).
    pub fn set_upload_time(&self, filename: &str, upload_time: Option<&str>) {
        self.with_file(filename, |e| {
            e.upload_time = upload_time.map(str::to_string)
        });
    }

    /// Mark a file yanked (PEP 592) with this reason (may be empty), or not.
    pub fn set_yanked(&self, filename: &str, reason: Option<&str>) {
        self.with_file(filename, |e| e.yanked = reason.map(str::to_string));
    }

    /// Serve `metadata` as the file's PEP 658 `.metadata` (and advertise its sha256, so pip's
    /// own check of it passes) instead of the wheel's METADATA: an index that lies about a
    /// wheel's dependencies. `None` serves the truth again.
    pub fn set_metadata_override(&self, filename: &str, metadata: Option<String>) {
        self.with_file(filename, |e| e.metadata_override = metadata);
    }

    /// List the file under `name` (the JSON `filename`, the HTML link text, and the last
    /// segment of its link, percent-encoded so a `/` in it survives) instead of its own name,
    /// and answer `/files/<name>` with it too: an index serving hostile file names such as
    /// `../../x-1.0-py3-none-any.whl`. `None` lists it under its own name again.
    pub fn set_listed_name(&self, filename: &str, name: Option<&str>) {
        self.with_file(filename, |e| e.listed_name = name.map(str::to_string));
    }

    /// Make the index lie about one file (see [`Lie`]); replaces a lie of the same kind.
    pub fn lie(&self, filename: &str, lie: Lie) {
        self.with_file(filename, |e| match lie {
            Lie::StripProvenance => e.lies.strip_provenance = true,
            Lie::TamperedBytes(bytes) => e.lies.tampered = Some(bytes),
            Lie::RewritePublisher(publisher) => e.lies.publisher = Some(publisher),
            Lie::DropConnectionAfter { bytes, times } => e.lies.drop = Some((bytes, times)),
            Lie::Fail500 { times } => e.lies.fail_500 = times,
            Lie::Slow(delay) => e.lies.slow = Some(delay),
            Lie::Redirect => e.lies.redirect = true,
        });
    }

    /// Stop lying about a file.
    pub fn clear_lies(&self, filename: &str) {
        self.with_file(filename, |e| e.lies = Lies::default());
    }

    /// Apply a lie to every file currently served.
    pub fn lie_about_all(&self, lie: Lie) {
        let names: Vec<String> = self
            .state()
            .files
            .iter()
            .map(|f| f.dist.filename.clone())
            .collect();
        for name in names {
            self.lie(&name, lie.clone());
        }
    }

    /// The sha256 the index currently advertises for a file (that of the bytes it serves).
    pub fn advertised_sha256(&self, filename: &str) -> String {
        self.with_file(filename, |e| sha256_hex(e.served_bytes()))
    }

    /// JSON, HTML, or both by `Accept` (the default).
    pub fn set_format(&self, format: Format) {
        self.state().format = format;
    }

    /// Link files (and their `.metadata`) at `{base}/files/<filename>` on another server, e.g.
    /// another [`TestIndex`]'s [`TestIndex::base_url`] that serves the same files, the way
    /// PyPI's pages link to its file host. `None` (the default): this server.
    pub fn set_file_host(&self, base: Option<String>) {
        self.state().file_host = base;
    }

    /// Advertise and serve PEP 658 metadata for wheels (default on; sdists never have it).
    pub fn set_metadata(&self, on: bool) {
        self.state().metadata = on;
    }

    /// Link files by absolute URLs instead of `../../files/<filename>` (default off).
    pub fn set_absolute_urls(&self, on: bool) {
        self.state().absolute_urls = on;
    }

    /// Advertise provenance in project pages (default on). Off: no `provenance` key and no
    /// `data-provenance` for any file, while the Integrity API still answers.
    pub fn set_advertise_provenance(&self, on: bool) {
        self.state().advertise_provenance = on;
    }

    /// Serve the Integrity API (default on). Off: every `/integrity/…` request is a 404.
    pub fn set_integrity_api(&self, on: bool) {
        self.state().integrity_api = on;
    }

    /// Send `Cache-Control: max-age=365000000, immutable, public` (what files.pythonhosted.org
    /// sends) with every file and `.metadata` served with 200 or 206 (default off: no caching
    /// headers at all, like the mirror of docs/baseline.md section 6). pip's HTTP cache
    /// (CacheControl) stores only responses that say they may be stored, and over http:// only
    /// from a `--trusted-host`, so a benchmark of pip with a warm cache needs this on and
    /// `--trusted-host 127.0.0.1` (benches/install.rs). Project pages never carry it.
    pub fn set_cache_headers(&self, on: bool) {
        self.state().cache_headers = on;
    }

    /// Wait this long before answering any request (default zero), like an index across a
    /// network: each request costs a round trip, and requests made in parallel overlap.
    pub fn set_latency(&self, latency: Duration) {
        self.state().latency = latency;
    }

    /// Every request answered so far, in order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state().log.clone()
    }

    /// Requests for distribution files' bytes (see [`LoggedRequest::is_file`]).
    pub fn file_requests(&self) -> Vec<LoggedRequest> {
        self.requests()
            .into_iter()
            .filter(LoggedRequest::is_file)
            .collect()
    }

    /// Requests for PEP 658 `.metadata` files.
    pub fn metadata_requests(&self) -> Vec<LoggedRequest> {
        self.requests()
            .into_iter()
            .filter(LoggedRequest::is_metadata)
            .collect()
    }

    /// Requests to the Integrity API.
    pub fn integrity_requests(&self) -> Vec<LoggedRequest> {
        self.requests()
            .into_iter()
            .filter(LoggedRequest::is_integrity)
            .collect()
    }

    /// Forget the requests logged so far.
    pub fn clear_log(&self) {
        self.state().log.clear();
    }
}

/// An instant `days` ago, as PyPI writes upload times: for [`TestIndex::set_upload_time`].
pub fn days_ago(days: i64) -> String {
    let t = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * days);
    t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn integrity_url(base: &str, project: &str, version: &str, filename: &str) -> String {
    format!("{base}/integrity/{project}/{version}/{filename}/provenance")
}

async fn serve(
    listener: std::net::TcpListener,
    state: Arc<Mutex<State>>,
    base: String,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let state = state.clone();
                let base = base.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(state.clone(), base.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}

/// A response decided under the lock, sent after it.
struct Reply {
    status: StatusCode,
    headers: Vec<(header::HeaderName, String)>,
    body: Bytes,
    /// Wait this long after the headers, before the body.
    delay: Option<Duration>,
    /// Send only this many bytes of the body, then close the connection.
    cut_after: Option<usize>,
}

impl Reply {
    fn new(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Reply {
        Reply {
            status,
            headers: vec![(header::CONTENT_TYPE, content_type.to_string())],
            body: body.into(),
            delay: None,
            cut_after: None,
        }
    }

    fn text(status: StatusCode, text: &str) -> Reply {
        Reply::new(status, "text/plain; charset=utf-8", format!("{text}\n"))
    }

    fn not_found() -> Reply {
        Reply::text(StatusCode::NOT_FOUND, "404 Not Found")
    }

    fn redirect(status: StatusCode, location: String) -> Reply {
        let mut reply = Reply::text(status, "redirect");
        reply.headers.push((header::LOCATION, location));
        reply
    }

    fn header(mut self, name: header::HeaderName, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }
}

async fn handle(
    state: Arc<Mutex<State>>,
    base: String,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let header_text = |name: header::HeaderName| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let range = header_text(header::RANGE);
    let accept = header_text(header::ACCEPT);
    let user_agent = header_text(header::USER_AGENT);
    let method = req.method().clone();
    let path = percent_decode(req.uri().path());
    let latency = lock(&state).latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }

    let reply = {
        let mut st = lock(&state);
        let reply = if method == Method::GET || method == Method::HEAD {
            let reply = route(&mut st, &base, &path, accept.as_deref(), range.as_deref());
            let cacheable = matches!(reply.status, StatusCode::OK | StatusCode::PARTIAL_CONTENT)
                && (path.starts_with("/files/") || path.starts_with("/redirected/"));
            if st.cache_headers && cacheable {
                reply.header(
                    header::CACHE_CONTROL,
                    "max-age=365000000, immutable, public",
                )
            } else {
                reply
            }
        } else {
            Reply::text(StatusCode::METHOD_NOT_ALLOWED, "405 Method Not Allowed")
                .header(header::ALLOW, "GET, HEAD")
        };
        st.log.push(LoggedRequest {
            method: method.to_string(),
            path,
            status: reply.status.as_u16(),
            range,
            accept,
            user_agent,
        });
        reply
    };
    Ok(respond(reply))
}

fn respond(reply: Reply) -> Response<Body> {
    let len = reply.body.len();
    let body: Body = if reply.delay.is_none() && reply.cut_after.is_none() {
        Full::new(reply.body)
            .map_err(|e: Infallible| match e {})
            .boxed()
    } else {
        let (mut tx, channel) = http_body_util::channel::Channel::<Bytes, std::io::Error>::new(4);
        let Reply {
            body,
            delay,
            cut_after,
            ..
        } = reply;
        tokio::spawn(async move {
            if let Some(delay) = delay {
                tokio::time::sleep(delay).await;
            }
            match cut_after {
                Some(n) if n < body.len() => {
                    if n > 0 && tx.send_data(body.slice(..n)).await.is_err() {
                        return;
                    }
                    // Let hyper flush what it has before the connection goes.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    tx.abort(std::io::Error::new(
                        std::io::ErrorKind::ConnectionAborted,
                        "test index: connection dropped on purpose",
                    ));
                }
                _ => {
                    let _ = tx.send_data(body).await;
                }
            }
        });
        channel.boxed()
    };
    let mut response = Response::new(body);
    *response.status_mut() = reply.status;
    let headers = response.headers_mut();
    for (name, value) in reply.headers {
        headers.append(name, HeaderValue::from_str(&value).expect("header value"));
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    response
}

fn route(
    st: &mut State,
    base: &str,
    path: &str,
    accept: Option<&str>,
    range: Option<&str>,
) -> Reply {
    if path == "/simple" {
        return Reply::redirect(StatusCode::MOVED_PERMANENTLY, "/simple/".into());
    }
    if path == "/simple/" {
        return root_page(st, accept);
    }
    if let Some(rest) = path.strip_prefix("/simple/") {
        return match rest.strip_suffix('/') {
            Some(project) if !project.contains('/') => project_page(st, base, project, accept),
            None if !rest.contains('/') => {
                Reply::redirect(StatusCode::MOVED_PERMANENTLY, format!("/simple/{rest}/"))
            }
            _ => Reply::not_found(),
        };
    }
    if let Some(filename) = path.strip_prefix("/files/") {
        if let Some(wheel) = filename.strip_suffix(".metadata") {
            let found = st.files.iter().find(|e| e.answers_to(wheel));
            return match found {
                Some(e) if st.metadata && e.has_metadata() => Reply::new(
                    StatusCode::OK,
                    "application/octet-stream",
                    e.served_metadata().to_string(),
                ),
                _ => Reply::not_found(),
            };
        }
        let Some(entry) = st.files.iter_mut().find(|e| e.answers_to(filename)) else {
            return Reply::not_found();
        };
        if entry.lies.redirect {
            return Reply::redirect(StatusCode::FOUND, format!("{base}/redirected/{filename}"));
        }
        return serve_file(entry, range);
    }
    if let Some(filename) = path.strip_prefix("/redirected/") {
        return match st.files.iter_mut().find(|e| e.dist.filename == filename) {
            Some(entry) => serve_file(entry, range),
            None => Reply::not_found(),
        };
    }
    if let Some(rest) = path.strip_prefix("/integrity/") {
        let parts: Vec<&str> = rest.split('/').collect();
        let [project, version, filename, "provenance"] = parts[..] else {
            return Reply::not_found();
        };
        if !st.integrity_api {
            return Reply::not_found();
        }
        let project = normalize(project);
        let found = st.files.iter().find(|e| {
            e.dist.filename == filename && e.project == project && e.dist.version == version
        });
        return match found.and_then(FileEntry::served_provenance) {
            Some(provenance) => Reply::new(StatusCode::OK, INTEGRITY_JSON, provenance),
            None => Reply::not_found(),
        };
    }
    Reply::not_found()
}

fn serve_file(entry: &mut FileEntry, range: Option<&str>) -> Reply {
    if entry.lies.fail_500 > 0 {
        entry.lies.fail_500 -= 1;
        return Reply::text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "500 Internal Server Error (test index)",
        );
    }
    let bytes = Bytes::copy_from_slice(entry.served_bytes());
    let total = bytes.len();
    let mut reply = match range.map(|r| parse_range(r, total)) {
        Some(Some(Ok((start, end)))) => Reply::new(
            StatusCode::PARTIAL_CONTENT,
            "application/octet-stream",
            bytes.slice(start..=end),
        )
        .header(
            header::CONTENT_RANGE,
            format!("bytes {start}-{end}/{total}"),
        ),
        Some(Some(Err(()))) => {
            return Reply::text(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "416 Range Not Satisfiable",
            )
            .header(header::CONTENT_RANGE, format!("bytes */{total}"));
        }
        // No Range header, or one we do not understand (which HTTP says to ignore).
        Some(None) | None => Reply::new(StatusCode::OK, "application/octet-stream", bytes),
    };
    reply = reply.header(header::ACCEPT_RANGES, "bytes");
    if let Some((cut, times)) = entry.lies.drop {
        if times > 0 {
            entry.lies.drop = Some((cut, times - 1));
            reply.cut_after = Some(cut);
        }
    }
    reply.delay = entry.lies.slow;
    reply
}

/// One `bytes=` range: `Some(Ok((first, last)))` inclusive, `Some(Err(()))` when not
/// satisfiable, `None` when not a single byte range.
fn parse_range(header: &str, total: usize) -> Option<Result<(usize, usize), ()>> {
    let spec = header.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        let suffix: usize = last.parse().ok()?;
        if suffix == 0 || total == 0 {
            return Some(Err(()));
        }
        return Some(Ok((total.saturating_sub(suffix), total - 1)));
    }
    let first: usize = first.parse().ok()?;
    let last: usize = if last.is_empty() {
        total.saturating_sub(1)
    } else {
        last.parse().ok()?
    };
    if first >= total || last < first {
        return Some(Err(()));
    }
    Some(Ok((first, last.min(total - 1))))
}

/// Whether to answer JSON, and the HTML content type otherwise.
enum PageKind {
    Json,
    Html(&'static str),
}

fn negotiate(format: Format, accept: Option<&str>) -> PageKind {
    match format {
        Format::HtmlOnly => return PageKind::Html("text/html; charset=utf-8"),
        Format::JsonOnly => return PageKind::Json,
        Format::Negotiate => {}
    }
    let mut best: Option<(f32, PageKind)> = None;
    for item in accept.unwrap_or_default().split(',') {
        let mut params = item.split(';');
        let media = params
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let q = params
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let kind =
            match media.as_str() {
                "application/vnd.pypi.simple.v1+json"
                | "application/vnd.pypi.simple.latest+json" => PageKind::Json,
                "application/vnd.pypi.simple.v1+html"
                | "application/vnd.pypi.simple.latest+html" => PageKind::Html(SIMPLE_HTML),
                "text/html" | "*/*" => PageKind::Html("text/html; charset=utf-8"),
                _ => continue,
            };
        if q > 0.0 && best.as_ref().is_none_or(|(b, _)| q > *b) {
            best = Some((q, kind));
        }
    }
    best.map(|(_, kind)| kind)
        .unwrap_or(PageKind::Html("text/html; charset=utf-8"))
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn root_page(st: &State, accept: Option<&str>) -> Reply {
    match negotiate(st.format, accept) {
        PageKind::Json => {
            let projects: Vec<Value> = st.projects.values().map(|n| json!({ "name": n })).collect();
            let body = json!({ "meta": { "api-version": API_VERSION }, "projects": projects });
            Reply::new(StatusCode::OK, SIMPLE_JSON, body.to_string())
        }
        PageKind::Html(content_type) => {
            let mut html = format!(
                "<!DOCTYPE html>\n<html>\n<head>\n<meta name=\"pypi:repository-version\" content=\"{API_VERSION}\">\n<title>Simple index</title>\n</head>\n<body>\n"
            );
            for (normalized, name) in &st.projects {
                html.push_str(&format!(
                    "<a href=\"{normalized}/\">{}</a><br/>\n",
                    html_escape(name)
                ));
            }
            html.push_str("</body>\n</html>\n");
            Reply::new(StatusCode::OK, content_type, html)
        }
    }
    .header(header::VARY, "Accept")
}

fn project_page(st: &State, base: &str, project: &str, accept: Option<&str>) -> Reply {
    let normalized = normalize(project);
    let Some(name) = st.projects.get(&normalized) else {
        return Reply::not_found();
    };
    let files: Vec<&FileEntry> = st
        .files
        .iter()
        .filter(|e| e.project == normalized)
        .collect();
    let file_url = |e: &FileEntry| {
        let name = match &e.listed_name {
            Some(listed) => listed.replace('%', "%25").replace('/', "%2F"),
            None => e.dist.filename.clone(),
        };
        if let Some(host) = &st.file_host {
            format!("{host}/files/{name}")
        } else if st.absolute_urls {
            format!("{base}/files/{name}")
        } else {
            format!("../../files/{name}")
        }
    };
    // Some(url) when the page advertises provenance for the file, Some(None) when it says
    // the file has none, None when it says nothing.
    let provenance = |e: &FileEntry| -> Option<Option<String>> {
        if !st.advertise_provenance || e.lies.strip_provenance {
            return None;
        }
        Some(
            e.provenance
                .as_ref()
                .map(|_| integrity_url(base, &normalized, &e.dist.version, &e.dist.filename)),
        )
    };
    match negotiate(st.format, accept) {
        PageKind::Json => {
            let versions: BTreeSet<&str> = files.iter().map(|e| e.dist.version.as_str()).collect();
            let files: Vec<Value> = files
                .iter()
                .map(|e| {
                    let served = e.served_bytes();
                    let mut file = json!({
                        "filename": e.listed(),
                        "url": file_url(e),
                        "hashes": { "sha256": sha256_hex(served) },
                        "size": served.len(),
                        "yanked": match &e.yanked {
                            Some(reason) if !reason.is_empty() => json!(reason),
                            Some(_) => json!(true),
                            None => json!(false),
                        },
                    });
                    if let Some(rp) = &e.requires_python {
                        file["requires-python"] = json!(rp);
                    }
                    if let Some(t) = &e.upload_time {
                        file["upload-time"] = json!(t);
                    }
                    if st.metadata && e.has_metadata() {
                        let hashes = json!({ "sha256": sha256_hex(e.served_metadata().as_bytes()) });
                        file["core-metadata"] = hashes.clone();
                        file["dist-info-metadata"] = hashes;
                    }
                    if let Some(url) = provenance(e) {
                        file["provenance"] = json!(url);
                    }
                    file
                })
                .collect();
            let body = json!({
                "meta": { "api-version": API_VERSION },
                "name": normalized,
                "versions": versions,
                "files": files,
            });
            Reply::new(StatusCode::OK, SIMPLE_JSON, body.to_string())
        }
        PageKind::Html(content_type) => {
            let mut html = format!(
                "<!DOCTYPE html>\n<html>\n<head>\n<meta name=\"pypi:repository-version\" content=\"{API_VERSION}\">\n<title>Links for {0}</title>\n</head>\n<body>\n<h1>Links for {0}</h1>\n",
                html_escape(name)
            );
            for e in files {
                let mut attrs = String::new();
                if let Some(rp) = &e.requires_python {
                    attrs.push_str(&format!(" data-requires-python=\"{}\"", html_escape(rp)));
                }
                if st.metadata && e.has_metadata() {
                    let h = sha256_hex(e.served_metadata().as_bytes());
                    attrs.push_str(&format!(
                        " data-core-metadata=\"sha256={h}\" data-dist-info-metadata=\"sha256={h}\""
                    ));
                }
                if let Some(reason) = &e.yanked {
                    attrs.push_str(&format!(" data-yanked=\"{}\"", html_escape(reason)));
                }
                if let Some(Some(url)) = provenance(e) {
                    attrs.push_str(&format!(" data-provenance=\"{}\"", html_escape(&url)));
                }
                html.push_str(&format!(
                    "<a href=\"{}#sha256={}\"{attrs}>{}</a><br/>\n",
                    html_escape(&file_url(e)),
                    sha256_hex(e.served_bytes()),
                    html_escape(e.listed())
                ));
            }
            html.push_str("</body>\n</html>\n");
            Reply::new(StatusCode::OK, content_type, html)
        }
    }
    .header(header::VARY, "Accept")
}

/// `%XX` decoding of a URL path (invalid escapes are kept as they are).
fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
