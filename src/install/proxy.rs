//! pyprov's verifying index: a PEP 691 index on 127.0.0.1 (an ephemeral port) standing in front
//! of the user's indexes and find-links during pip's resolution. Project pages list every
//! source's files with links back to this server; a file is served only after the gate verified
//! and allowed it, and a refused file is an HTTP 403 naming the reason. PEP 658 metadata passes
//! through: pip only reads it, never executes it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::gate::{Candidate, Gate};
use super::sources::{self, Origin};
use crate::index::{self, Client, Link};
use crate::verify::distname::normalize_project_name;

pub struct ProxyState {
    pub gate: Arc<Gate>,
    client: Client,
    sources: Vec<Origin>,
    candidates: Mutex<Vec<Candidate>>,
    /// The files pip itself asked for (not those fetched ahead because pip read their metadata).
    requested: Mutex<Vec<Candidate>>,
    /// What each project page pip read said (for reusing this resolution); `None` once a
    /// source failed to answer, since a resolution made on partial pages must not be reused.
    pages: Mutex<Option<std::collections::BTreeMap<String, String>>>,
}

pub struct Proxy {
    pub base: String,
    state: Arc<ProxyState>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(
        gate: Arc<Gate>,
        client: Client,
        sources: Vec<Origin>,
    ) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(ProxyState {
            gate,
            client,
            sources,
            candidates: Mutex::new(Vec::new()),
            requested: Mutex::new(Vec::new()),
            pages: Mutex::new(Some(std::collections::BTreeMap::new())),
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
            base: format!("http://{addr}"),
            state,
            stop,
            task,
        })
    }

    /// The index URL to give pip.
    pub fn index_url(&self) -> String {
        format!("{}/simple/", self.base)
    }

    /// The candidate a URL this server handed out refers to.
    pub fn candidate_for(&self, url: &str) -> Option<Candidate> {
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
    pub fn requested(&self) -> Vec<Candidate> {
        self.state
            .requested
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// A digest of every project page pip read, when every source answered for each.
    pub fn pages(&self) -> Option<std::collections::BTreeMap<String, String>> {
        self.state
            .pages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

async fn handle(state: &ProxyState, req: Request<Incoming>) -> Response<Full<Bytes>> {
    if req.method() != hyper::Method::GET && req.method() != hyper::Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, "read-only index\n".into());
    }
    let path = req.uri().path().to_string();
    if let Some(project) = path
        .strip_prefix("/simple/")
        .map(|p| p.trim_end_matches('/'))
        .filter(|p| !p.is_empty() && !p.contains('/'))
    {
        return project_page(state, &normalize_project_name(project)).await;
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
            // The resolver is considering this file: fetch and verify it now, in parallel
            // with pip's sequential work, so it is ready when pip asks for it.
            let gate = state.gate.clone();
            let candidate = c.clone();
            tokio::spawn(async move {
                gate.vet(&candidate).await;
            });
            return metadata(state, &c).await;
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

async fn project_page(state: &ProxyState, project: &str) -> Response<Full<Bytes>> {
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
            Ok(ls) => links.extend(ls.into_iter().map(|l| (l, origin.clone()))),
            Err(e) => errors.push(e),
        }
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
    let mut files = Vec::with_capacity(links.len());
    {
        let mut cands = state.candidates.lock().unwrap_or_else(|p| p.into_inner());
        for (link, origin) in links {
            let idx = cands.len();
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
            if let Some(m) = &link.metadata {
                f["core-metadata"] = match m {
                    Some(h) => json!({"sha256": h}),
                    None => json!(true),
                };
            }
            files.push(f);
            cands.push(Candidate { link, origin });
        }
    }
    let body = json!({"meta": {"api-version": "1.1"}, "name": project, "files": files});
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(index::SIMPLE_JSON),
    );
    r
}

async fn metadata(state: &ProxyState, c: &Candidate) -> Response<Full<Bytes>> {
    if c.link.metadata.is_none() {
        return text(StatusCode::NOT_FOUND, "no metadata\n".into());
    }
    let mut url = c.link.url.clone();
    url.set_path(&format!("{}.metadata", c.link.url.path()));
    match state
        .client
        .get_small(&url, "*/*", index::MAX_SMALL_BYTES)
        .await
    {
        Ok(Some((body, _))) => Response::new(Full::new(Bytes::from(body))),
        Ok(None) => text(StatusCode::NOT_FOUND, "no metadata\n".into()),
        Err(e) => text(StatusCode::BAD_GATEWAY, format!("{e}\n")),
    }
}

async fn file(state: &ProxyState, c: &Candidate) -> Response<Full<Bytes>> {
    let vetted = state.gate.vet(c).await;
    match (&vetted.path, vetted.allowed()) {
        (Some(path), true) => match tokio::fs::read(path).await {
            Ok(bytes) => {
                let mut r = Response::new(Full::new(Bytes::from(bytes)));
                r.headers_mut().insert(
                    hyper::header::CONTENT_TYPE,
                    hyper::header::HeaderValue::from_static("application/octet-stream"),
                );
                r
            }
            Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
        },
        _ => text(
            StatusCode::FORBIDDEN,
            format!(
                "pyprov refused {}: {} [{}]\n",
                vetted.filename,
                vetted.decision.message,
                vetted.decision.code.as_str()
            ),
        ),
    }
}
