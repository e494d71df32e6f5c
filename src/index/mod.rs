//! Talking to package indexes: PEP 691 JSON and PEP 503 HTML project pages, PEP 740 provenance
//! (advertised per file, or PyPI's Integrity API), and file downloads that hash while streaming,
//! resume after a dropped connection and retry server errors with backoff.

pub mod page;

use std::path::Path;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::header::{ACCEPT, CONTENT_RANGE, RANGE};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use url::Url;

pub use page::{Link, ProjectPage, ProvenanceHint};

pub const SIMPLE_JSON: &str = "application/vnd.pypi.simple.v1+json";
pub const INTEGRITY_JSON: &str = "application/vnd.pypi.integrity.v1+json";
/// Project pages can be large (pydantic-core's is ~7 MB of JSON); refuse absurd ones.
pub const MAX_PAGE_BYTES: usize = 64 * 1024 * 1024;
/// Provenance and PEP 658 metadata documents.
pub const MAX_SMALL_BYTES: usize = 8 * 1024 * 1024;
/// The largest distribution file pyprov downloads (the largest wheels on PyPI are a few GiB).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024 * 1024;
/// How long one file's download may take in all, retries included: an index that trickles
/// bytes forever must not hold pip (and the gate) forever.
pub const FILE_DEADLINE: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("cannot reach {url}: {message}")]
    Network { url: String, message: String },
    #[error("{url}: {message}")]
    Parse { url: String, message: String },
    #[error("{url} is larger than {limit} bytes")]
    TooLarge { url: String, limit: usize },
    #[error("{url}: the index advertised sha256 {expected} but served bytes with sha256 {actual}")]
    HashMismatch {
        url: String,
        expected: String,
        actual: String,
    },
    #[error("cannot write {path}: {message}")]
    Io { path: String, message: String },
}

/// Shows a URL without its credentials, for every message and log line.
pub fn redact(url: &Url) -> String {
    crate::vocab::SafeUrl::from(url).to_string()
}

pub use crate::vocab::redact_text;

/// Network settings taken from pip's: `cert`, `client-cert`, `trusted-host`, `proxy`,
/// `no-proxy-env`, so pyprov reaches an index exactly as pip would have.
#[derive(Debug, Clone, Default)]
pub struct TlsSettings {
    pub extra_roots: Option<Vec<u8>>,
    pub client_identity: Option<Vec<u8>>,
    pub trusted_hosts: Vec<String>,
    /// pip's `--proxy`: every request goes through it.
    pub proxy: Option<String>,
    /// pip's `--no-proxy-env`: the `*_PROXY` variables are ignored.
    pub no_proxy_env: bool,
}

/// An HTTP client with pyprov's retry policy.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    insecure: Option<reqwest::Client>,
    trusted_hosts: std::sync::Arc<Vec<String>>,
    retries: u32,
    backoff: Duration,
    netrc: std::sync::Arc<Vec<NetrcEntry>>,
    max_file_bytes: u64,
}

/// One `machine` of a `.netrc` file, which pip (through requests) honours for index logins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetrcEntry {
    pub machine: Option<String>,
    pub login: String,
    pub password: String,
}

/// Parses `.netrc` text: `machine HOST login USER password PASS`, and `default`.
pub fn parse_netrc(text: &str) -> Vec<NetrcEntry> {
    let mut out = Vec::new();
    let mut words = text.split_whitespace();
    let mut current: Option<NetrcEntry> = None;
    while let Some(w) = words.next() {
        match w {
            "machine" | "default" => {
                if let Some(e) = current.take() {
                    out.push(e);
                }
                let machine = if w == "machine" {
                    words.next().map(str::to_string)
                } else {
                    None
                };
                current = Some(NetrcEntry {
                    machine,
                    login: String::new(),
                    password: String::new(),
                });
            }
            "login" => {
                if let (Some(e), Some(v)) = (current.as_mut(), words.next()) {
                    e.login = v.to_string();
                }
            }
            "password" => {
                if let (Some(e), Some(v)) = (current.as_mut(), words.next()) {
                    e.password = v.to_string();
                }
            }
            "account" | "macdef" => {
                words.next();
            }
            _ => {}
        }
    }
    if let Some(e) = current {
        out.push(e);
    }
    out
}

fn load_netrc() -> Vec<NetrcEntry> {
    let path = std::env::var_os("NETRC")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".netrc")));
    path.and_then(|p| std::fs::read_to_string(p).ok())
        .map(|t| parse_netrc(&t))
        .unwrap_or_default()
}

impl Client {
    /// The same client with another limit on a downloaded file's size.
    pub fn with_max_file_bytes(mut self, limit: u64) -> Client {
        self.max_file_bytes = limit;
        self
    }

    pub fn new(tls: &TlsSettings) -> Result<Client, IndexError> {
        let build = |accept_invalid: bool| -> Result<reqwest::Client, IndexError> {
            let bad = |what: &str, e: reqwest::Error| IndexError::Parse {
                url: what.into(),
                message: e.to_string(),
            };
            let mut builder = reqwest::Client::builder()
                .user_agent(concat!("pyprov/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(Duration::from_secs(15))
                .read_timeout(Duration::from_secs(60))
                .pool_max_idle_per_host(16)
                .danger_accept_invalid_certs(accept_invalid);
            if let Some(pem) = &tls.extra_roots {
                for cert in reqwest::Certificate::from_pem_bundle(pem)
                    .map_err(|e| bad("certificate bundle (PIP_CERT)", e))?
                {
                    builder = builder.add_root_certificate(cert);
                }
            }
            if tls.no_proxy_env {
                builder = builder.no_proxy();
            }
            if let Some(p) = &tls.proxy {
                // pip accepts `host:port` for `--proxy` and means http.
                let with_scheme = if p.contains("://") {
                    p.clone()
                } else {
                    format!("http://{p}")
                };
                builder = builder.proxy(
                    reqwest::Proxy::all(&with_scheme)
                        .map_err(|e| bad("--proxy (pip's proxy setting)", e))?,
                );
            }
            if let Some(pem) = &tls.client_identity {
                builder = builder.identity(
                    reqwest::Identity::from_pem(pem)
                        .map_err(|e| bad("client certificate (PIP_CLIENT_CERT)", e))?,
                );
            }
            builder.build().map_err(|e| IndexError::Network {
                url: "client".into(),
                message: e.to_string(),
            })
        };
        let insecure = if tls.trusted_hosts.is_empty() {
            None
        } else {
            Some(build(true)?)
        };
        Ok(Client {
            http: build(false)?,
            insecure,
            trusted_hosts: std::sync::Arc::new(tls.trusted_hosts.clone()),
            retries: 4,
            backoff: Duration::from_millis(200),
            netrc: std::sync::Arc::new(load_netrc()),
            max_file_bytes: MAX_FILE_BYTES,
        })
    }

    /// pip's `--trusted-host`: that host's TLS certificate is not checked (as pip does); the
    /// bytes still have to verify against their provenance.
    fn client_for(&self, url: &Url) -> &reqwest::Client {
        let host = url.host_str().unwrap_or_default();
        let with_port = url
            .port()
            .map(|p| format!("{host}:{p}"))
            .unwrap_or_else(|| host.to_string());
        match &self.insecure {
            Some(c)
                if self
                    .trusted_hosts
                    .iter()
                    .any(|h| *h == host || *h == with_port) =>
            {
                c
            }
            _ => &self.http,
        }
    }

    /// Retries transient failures (connection errors, 5xx) with exponential backoff.
    async fn send(
        &self,
        url: &Url,
        headers: &[(reqwest::header::HeaderName, String)],
    ) -> Result<reqwest::Response, IndexError> {
        let mut attempt = 0;
        let login = if url.username().is_empty() {
            let host = url.host_str().unwrap_or_default();
            self.netrc
                .iter()
                .find(|e| e.machine.as_deref() == Some(host))
                .or_else(|| self.netrc.iter().find(|e| e.machine.is_none()))
        } else {
            None
        };
        loop {
            let mut req = self.client_for(url).get(url.clone());
            if !url.username().is_empty() {
                // Credentials in an index URL, as pip accepts them.
                req = req.basic_auth(
                    percent_decode_str(url.username()),
                    url.password().map(percent_decode_str),
                );
            } else if let Some(e) = login {
                req = req.basic_auth(&e.login, Some(&e.password));
            }
            for (k, v) in headers {
                req = req.header(k, v);
            }
            let result = req.send().await;
            let transient = match &result {
                Ok(r) => r.status().is_server_error(),
                Err(e) => e.is_connect() || e.is_timeout() || e.is_request() || e.is_body(),
            };
            if !transient || attempt >= self.retries {
                return match result {
                    Ok(r) if r.status().is_server_error() => Err(IndexError::Status {
                        url: redact(url),
                        status: r.status().as_u16(),
                    }),
                    Ok(r) => Ok(r),
                    Err(e) => Err(IndexError::Network {
                        url: redact(url),
                        message: redact_text(&e.to_string()),
                    }),
                };
            }
            tokio::time::sleep(self.backoff * 2u32.pow(attempt)).await;
            attempt += 1;
        }
    }

    /// A small document (project page, provenance, metadata). `Ok(None)` for 404/410.
    pub async fn get_small(
        &self,
        url: &Url,
        accept: &str,
        limit: usize,
    ) -> Result<Option<(Vec<u8>, Option<String>)>, IndexError> {
        let mut attempt = 0;
        loop {
            let resp = self.send(url, &[(ACCEPT, accept.to_string())]).await?;
            if matches!(resp.status(), StatusCode::NOT_FOUND | StatusCode::GONE) {
                return Ok(None);
            }
            if !resp.status().is_success() {
                return Err(IndexError::Status {
                    url: redact(url),
                    status: resp.status().as_u16(),
                });
            }
            let content_type = resp
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let mut body = Vec::new();
            let mut stream = resp.bytes_stream();
            let mut broken = false;
            while let Some(chunk) = stream.next().await {
                match chunk {
                    Ok(c) => {
                        if body.len() + c.len() > limit {
                            return Err(IndexError::TooLarge {
                                url: redact(url),
                                limit,
                            });
                        }
                        body.extend_from_slice(&c);
                    }
                    Err(_) => {
                        broken = true;
                        break;
                    }
                }
            }
            if !broken {
                return Ok(Some((body, content_type)));
            }
            if attempt >= self.retries {
                return Err(IndexError::Network {
                    url: redact(url),
                    message: "the connection dropped while reading".into(),
                });
            }
            tokio::time::sleep(self.backoff * 2u32.pow(attempt)).await;
            attempt += 1;
        }
    }

    /// A project's page on a PEP 503/691 index. `Ok(None)` when the index has no such project.
    pub async fn project_page(
        &self,
        index: &Url,
        project: &str,
    ) -> Result<Option<ProjectPage>, IndexError> {
        let url = index
            .join(&format!("{project}/"))
            .map_err(|e| IndexError::Parse {
                url: redact(index),
                message: e.to_string(),
            })?;
        let accept = format!("{SIMPLE_JSON}, text/html;q=0.1");
        let Some((body, content_type)) = self.get_small(&url, &accept, MAX_PAGE_BYTES).await?
        else {
            return Ok(None);
        };
        let is_json = content_type.as_deref().is_some_and(|c| c.contains("json"));
        let page = if is_json {
            page::parse_json(&url, &body)
        } else {
            page::parse_html(&url, &String::from_utf8_lossy(&body))
        };
        page.map(Some).map_err(|message| IndexError::Parse {
            url: redact(&url),
            message,
        })
    }

    /// Downloads `url` into `dest`, hashing as it streams. A dropped connection resumes with a
    /// Range request; 5xx responses are retried with backoff. When the index advertised a
    /// sha256, bytes that do not match it are refused.
    pub async fn download(
        &self,
        url: &Url,
        dest: &Path,
        expected_sha256: Option<&str>,
    ) -> Result<[u8; 32], IndexError> {
        let io_err = |e: std::io::Error| IndexError::Io {
            path: dest.display().to_string(),
            message: e.to_string(),
        };
        let mut file = tokio::fs::File::create(dest).await.map_err(io_err)?;
        let mut hasher = Sha256::new();
        let mut written: u64 = 0;
        let mut attempt = 0;
        loop {
            let headers = if written > 0 {
                vec![(RANGE, format!("bytes={written}-"))]
            } else {
                Vec::new()
            };
            let resp = self.send(url, &headers).await?;
            let status = resp.status();
            if written > 0 && status == StatusCode::OK {
                // The server ignored the Range: start over.
                file = tokio::fs::File::create(dest).await.map_err(io_err)?;
                hasher = Sha256::new();
                written = 0;
            } else if written > 0 && status == StatusCode::PARTIAL_CONTENT {
                let start = resp
                    .headers()
                    .get(CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("bytes "))
                    .and_then(|v| v.split('-').next())
                    .and_then(|v| v.parse::<u64>().ok());
                if start != Some(written) {
                    return Err(IndexError::Parse {
                        url: redact(url),
                        message: "the server resumed at the wrong offset".into(),
                    });
                }
            } else if !status.is_success() {
                return Err(IndexError::Status {
                    url: redact(url),
                    status: status.as_u16(),
                });
            }
            let mut stream = resp.bytes_stream();
            let mut broken = false;
            while let Some(chunk) = stream.next().await {
                match chunk {
                    Ok(c) => {
                        written += c.len() as u64;
                        if written > self.max_file_bytes {
                            return Err(IndexError::Parse {
                                url: redact(url),
                                message: format!(
                                    "the file is larger than {} bytes, pyprov's limit",
                                    self.max_file_bytes
                                ),
                            });
                        }
                        hasher.update(&c);
                        file.write_all(&c).await.map_err(io_err)?;
                    }
                    Err(_) => {
                        broken = true;
                        break;
                    }
                }
            }
            if !broken {
                break;
            }
            if attempt >= self.retries {
                return Err(IndexError::Network {
                    url: redact(url),
                    message: format!(
                        "the connection dropped after {written} bytes, {attempt} times"
                    ),
                });
            }
            tokio::time::sleep(self.backoff * 2u32.pow(attempt)).await;
            attempt += 1;
        }
        file.flush().await.map_err(io_err)?;
        file.sync_all().await.map_err(io_err)?;
        let digest: [u8; 32] = hasher.finalize().into();
        if let Some(expected) = expected_sha256 {
            let actual = hex::encode(digest);
            if !actual.eq_ignore_ascii_case(expected) {
                return Err(IndexError::HashMismatch {
                    url: redact(url),
                    expected: expected.to_string(),
                    actual,
                });
            }
        }
        Ok(digest)
    }
}

fn percent_decode_str(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// PyPI's Integrity API base for an index URL: `https://host/simple/` serves provenance at
/// `https://host/integrity/`.
pub fn integrity_base(index: &Url) -> Option<Url> {
    let path = index.path();
    let trimmed = path.trim_end_matches('/');
    let parent = trimmed.strip_suffix("/simple")?;
    let mut u = index.clone();
    u.set_path(&format!("{parent}/integrity/"));
    u.set_query(None);
    u.set_fragment(None);
    Some(u)
}

/// The Integrity API URL of one file's provenance.
pub fn integrity_url(base: &Url, project: &str, version: &str, filename: &str) -> Option<Url> {
    base.join(&format!("{project}/{version}/{filename}/provenance"))
        .ok()
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn downloads_stop_at_the_size_limit() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let body = vec![b'x'; 64 * 1024];
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
                let _ = s.write_all(head.as_bytes()).await;
                let _ = s.write_all(&body).await;
            }
        });
        let client = Client::new(&TlsSettings::default())
            .unwrap()
            .with_max_file_bytes(10_000);
        let dir = tempfile::tempdir().unwrap();
        let url = Url::parse(&format!("http://{addr}/big-1.0-py3-none-any.whl")).unwrap();
        let err = client
            .download(&url, &dir.path().join("f"), None)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("larger than 10000 bytes"), "{err}");
        let client = client.with_max_file_bytes(1 << 20);
        assert!(client
            .download(&url, &dir.path().join("g"), None)
            .await
            .is_ok());
    }

    use super::*;

    #[test]
    fn redacts_credentials() {
        let u = Url::parse("https://user:s3cret@example.com/simple/").unwrap();
        assert_eq!(redact(&u), "https://***@example.com/simple/");
        assert!(
            !redact_text("failed for https://user:s3cret@example.com/simple/x").contains("s3cret")
        );
        assert_eq!(
            redact_text("see https://example.com/a and http://t@h/x"),
            "see https://example.com/a and http://***@h/x"
        );
    }

    #[test]
    fn netrc() {
        let e = parse_netrc("machine a.example login u password p\ndefault login d password q\n");
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].machine.as_deref(), Some("a.example"));
        assert_eq!((e[0].login.as_str(), e[0].password.as_str()), ("u", "p"));
        assert_eq!(e[1].machine, None);
        assert_eq!(percent_decode_str("p%40ss+w"), "p@ss+w");
    }

    #[test]
    fn integrity_base_from_simple() {
        let u = Url::parse("https://pypi.org/simple/").unwrap();
        assert_eq!(
            integrity_base(&u).unwrap().as_str(),
            "https://pypi.org/integrity/"
        );
        let u = Url::parse("http://127.0.0.1:8080/x/simple").unwrap();
        assert_eq!(
            integrity_base(&u).unwrap().as_str(),
            "http://127.0.0.1:8080/x/integrity/"
        );
        assert!(integrity_base(&Url::parse("https://example.com/pkgs/").unwrap()).is_none());
    }
}
