//! Talking to package indexes: PEP 691 JSON and PEP 503 HTML project pages, PEP 740 provenance
//! (advertised per file, or PyPI's Integrity API), and file downloads that hash while streaming,
//! resume after a dropped connection and retry server errors with backoff.

pub mod netrc;
pub mod page;
mod retry;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::header::{ACCEPT, CONTENT_RANGE, RANGE};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use url::Url;

use crate::vocab::SafeUrl;
use netrc::Logins;
pub use page::{Link, ProjectPage, ProvenanceHint};
use retry::{Failed, Retry};

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
    Status { url: SafeUrl, status: u16 },
    #[error("cannot reach {url}: {}", redact_text(&network_why(source)))]
    Network {
        url: SafeUrl,
        #[source]
        source: reqwest::Error,
    },
    #[error("cannot reach {url}: the connection dropped while reading")]
    Dropped {
        url: SafeUrl,
        #[source]
        source: reqwest::Error,
    },
    #[error("cannot reach {url}: the connection dropped after {written} bytes, {retries} times")]
    DroppedDownload {
        url: SafeUrl,
        written: u64,
        retries: u32,
        #[source]
        source: reqwest::Error,
    },
    #[error("{url}: {source}")]
    Join {
        url: SafeUrl,
        #[source]
        source: url::ParseError,
    },
    #[error("{url}: {source}")]
    Page {
        url: SafeUrl,
        #[source]
        source: page::PageError,
    },
    #[error("{url}: the server resumed at the wrong offset")]
    WrongOffset { url: SafeUrl },
    #[error("{url}: the file is larger than {limit} bytes, pyprov's limit")]
    FileTooLarge { url: SafeUrl, limit: u64 },
    #[error("{url} is larger than {limit} bytes")]
    TooLarge { url: SafeUrl, limit: usize },
    #[error("{url}: the index advertised sha256 {expected} but served bytes with sha256 {actual}")]
    HashMismatch {
        url: SafeUrl,
        expected: String,
        /// Boxed, so that every `Result<_, IndexError>` stays small.
        actual: Box<crate::vocab::Sha256>,
    },
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// One of pip's network settings that reqwest cannot use (`what` names the setting).
    #[error("{what}: {source}")]
    Setting {
        what: &'static str,
        #[source]
        source: reqwest::Error,
    },
    #[error("cannot reach client: {source}")]
    Client {
        #[source]
        source: reqwest::Error,
    },
}

/// Why a request failed, in words a person can act on: the innermost cause (a refused
/// connection, a name that does not resolve, a certificate that does not verify), since
/// reqwest's own text only says "error sending request for url (...)".
fn network_why(e: &reqwest::Error) -> String {
    let mut innermost = None;
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        innermost = Some(c.to_string());
        cause = c.source();
    }
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "the request failed"
    };
    match innermost {
        Some(why) if !why.is_empty() => format!("{what}: {why}"),
        _ => e.to_string(),
    }
}

/// Shows a URL without its credentials, for every message and log line.
pub fn redact(url: &Url) -> String {
    SafeUrl::from(url).to_string()
}

pub use crate::vocab::redact_text;

/// A reqwest error whose URL, if any, shows no credentials, so that a chain of sources is as
/// safe to print as the message.
fn without_credentials(mut e: reqwest::Error) -> reqwest::Error {
    if let Some(u) = e.url_mut() {
        if !u.username().is_empty() || u.password().is_some() {
            let _ = u.set_username("***");
            let _ = u.set_password(None);
        }
    }
    e
}

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
    trusted_hosts: Arc<Vec<String>>,
    retry: Retry,
    logins: Arc<Logins>,
    max_file_bytes: u64,
}

impl Client {
    /// The same client with another limit on a downloaded file's size.
    pub fn with_max_file_bytes(mut self, limit: u64) -> Client {
        self.max_file_bytes = limit;
        self
    }

    pub fn new(tls: &TlsSettings) -> Result<Client, IndexError> {
        let insecure = if tls.trusted_hosts.is_empty() {
            None
        } else {
            Some(build_http(tls, true)?)
        };
        Ok(Client {
            http: build_http(tls, false)?,
            insecure,
            trusted_hosts: Arc::new(tls.trusted_hosts.clone()),
            retry: Retry::DEFAULT,
            logins: Arc::new(Logins::load()),
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

    /// One GET, with the credentials pip would send: those in the URL (percent-decoded, as pip
    /// accepts them), else the host's `.netrc` login.
    fn request(
        &self,
        url: &Url,
        headers: &[(reqwest::header::HeaderName, String)],
    ) -> reqwest::RequestBuilder {
        let mut req = self.client_for(url).get(url.clone());
        if !url.username().is_empty() {
            req = req.basic_auth(
                percent_decode_str(url.username()),
                url.password().map(percent_decode_str),
            );
        } else if let Some(login) = self.logins.for_host(url.host_str().unwrap_or_default()) {
            req = req.basic_auth(login.user, Some(login.password));
        }
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req
    }

    /// Sends a GET, trying again on connection errors and 5xx (see [`Retry`]).
    async fn send(
        &self,
        url: &Url,
        headers: &[(reqwest::header::HeaderName, String)],
    ) -> Result<reqwest::Response, IndexError> {
        self.retry
            .run(move |_| async move {
                match self.request(url, headers).send().await {
                    Ok(r) if r.status().is_server_error() => {
                        Err(Failed::Transient(IndexError::Status {
                            url: url.into(),
                            status: r.status().as_u16(),
                        }))
                    }
                    Ok(r) => Ok(r),
                    Err(e) => {
                        let transient =
                            e.is_connect() || e.is_timeout() || e.is_request() || e.is_body();
                        let e = IndexError::Network {
                            url: url.into(),
                            source: without_credentials(e),
                        };
                        Err(if transient {
                            Failed::Transient(e)
                        } else {
                            Failed::Fatal(e)
                        })
                    }
                }
            })
            .await
    }

    /// A small document (project page, provenance, metadata). `Ok(None)` for 404/410. A body
    /// that drops mid-way is asked for again.
    pub async fn get_small(
        &self,
        url: &Url,
        accept: &str,
        limit: usize,
    ) -> Result<Option<(Vec<u8>, Option<String>)>, IndexError> {
        let headers = &[(ACCEPT, accept.to_string())];
        self.retry
            .run(move |_| async move {
                let resp = self.send(url, headers).await?;
                if matches!(resp.status(), StatusCode::NOT_FOUND | StatusCode::GONE) {
                    return Ok(None);
                }
                if !resp.status().is_success() {
                    return Err(Failed::Fatal(IndexError::Status {
                        url: url.into(),
                        status: resp.status().as_u16(),
                    }));
                }
                let content_type = resp
                    .headers()
                    .get(reqwest::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let body = read_bounded(url, resp, limit).await?;
                Ok(Some((body, content_type)))
            })
            .await
    }

    /// A project's page on a PEP 503/691 index. `Ok(None)` when the index has no such project.
    pub async fn project_page(
        &self,
        index: &Url,
        project: &str,
    ) -> Result<Option<ProjectPage>, IndexError> {
        let url = index
            .join(&format!("{project}/"))
            .map_err(|source| IndexError::Join {
                url: index.into(),
                source,
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
        page.map(Some).map_err(|source| IndexError::Page {
            url: url.into(),
            source,
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
        // Behind a lock, so that every try's future can own a handle to the one download (see
        // `Retry::run`); tries never overlap.
        let part = tokio::sync::Mutex::new(Partial::create(url, dest, self.max_file_bytes).await?);
        let shared = &part;
        self.retry
            .run(move |tries| async move {
                let mut part = shared.lock().await;
                let resp = self.send(url, &part.range()).await?;
                part.accept(resp.status(), resp.headers()).await?;
                part.append(resp, tries).await
            })
            .await?;
        part.into_inner().finish(expected_sha256).await
    }
}

/// A reqwest client with pip's network settings, checking TLS certificates or not.
fn build_http(tls: &TlsSettings, accept_invalid: bool) -> Result<reqwest::Client, IndexError> {
    let setting = |what| move |source| IndexError::Setting { what, source };
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("pyprov/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(15))
        .read_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(16)
        .danger_accept_invalid_certs(accept_invalid);
    if let Some(pem) = &tls.extra_roots {
        for cert in reqwest::Certificate::from_pem_bundle(pem)
            .map_err(setting("certificate bundle (PIP_CERT)"))?
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
            reqwest::Proxy::all(&with_scheme).map_err(setting("--proxy (pip's proxy setting)"))?,
        );
    }
    if let Some(pem) = &tls.client_identity {
        builder = builder.identity(
            reqwest::Identity::from_pem(pem)
                .map_err(setting("client certificate (PIP_CLIENT_CERT)"))?,
        );
    }
    builder
        .build()
        .map_err(|source| IndexError::Client { source })
}

/// A whole body of at most `limit` bytes; a connection that drops while it is read is worth
/// another try.
async fn read_bounded(
    url: &Url,
    resp: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, Failed<IndexError>> {
    let mut body = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let c = chunk.map_err(|e| {
            Failed::Transient(IndexError::Dropped {
                url: url.into(),
                source: without_credentials(e),
            })
        })?;
        if body.len() + c.len() > limit {
            return Err(Failed::Fatal(IndexError::TooLarge {
                url: url.into(),
                limit,
            }));
        }
        body.extend_from_slice(&c);
    }
    Ok(body)
}

/// A download in progress: the file so far and its running hash, kept across tries so a
/// dropped connection resumes where it stopped.
struct Partial<'a> {
    url: &'a Url,
    dest: &'a Path,
    file: tokio::fs::File,
    hasher: Sha256,
    written: u64,
    limit: u64,
}

impl<'a> Partial<'a> {
    async fn create(url: &'a Url, dest: &'a Path, limit: u64) -> Result<Partial<'a>, IndexError> {
        Ok(Partial {
            url,
            dest,
            file: create_file(dest).await?,
            hasher: Sha256::new(),
            written: 0,
            limit,
        })
    }

    /// Starts over, when a server ignored the Range.
    async fn restart(&mut self) -> Result<(), IndexError> {
        self.file = create_file(self.dest).await?;
        self.hasher = Sha256::new();
        self.written = 0;
        Ok(())
    }

    /// The headers of the next try: a Range from where the last one stopped.
    fn range(&self) -> Vec<(reqwest::header::HeaderName, String)> {
        if self.written > 0 {
            vec![(RANGE, format!("bytes={}-", self.written))]
        } else {
            Vec::new()
        }
    }

    /// Checks a response before its body is appended: a 200 to a resume starts over, a 206
    /// must resume exactly where the file ends, anything else but success is refused.
    async fn accept(
        &mut self,
        status: StatusCode,
        headers: &reqwest::header::HeaderMap,
    ) -> Result<(), IndexError> {
        if self.written > 0 && status == StatusCode::OK {
            self.restart().await?;
        } else if self.written > 0 && status == StatusCode::PARTIAL_CONTENT {
            let start = headers
                .get(CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("bytes "))
                .and_then(|v| v.split('-').next())
                .and_then(|v| v.parse::<u64>().ok());
            if start != Some(self.written) {
                return Err(IndexError::WrongOffset {
                    url: self.url.into(),
                });
            }
        } else if !status.is_success() {
            return Err(IndexError::Status {
                url: self.url.into(),
                status: status.as_u16(),
            });
        }
        Ok(())
    }

    /// Streams the body into the file and the hash, up to the size limit; a dropped connection
    /// is transient (`tries` so far go into the message after the last one).
    async fn append(
        &mut self,
        resp: reqwest::Response,
        tries: u32,
    ) -> Result<(), Failed<IndexError>> {
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let c = chunk.map_err(|e| {
                Failed::Transient(IndexError::DroppedDownload {
                    url: self.url.into(),
                    written: self.written,
                    retries: tries,
                    source: without_credentials(e),
                })
            })?;
            self.written += c.len() as u64;
            if self.written > self.limit {
                return Err(Failed::Fatal(IndexError::FileTooLarge {
                    url: self.url.into(),
                    limit: self.limit,
                }));
            }
            self.hasher.update(&c);
            self.file
                .write_all(&c)
                .await
                .map_err(|e| io_error(self.dest, e))?;
        }
        Ok(())
    }

    /// Syncs the file and checks its hash against the one the index advertised.
    async fn finish(mut self, expected_sha256: Option<&str>) -> Result<[u8; 32], IndexError> {
        let io = |e| io_error(self.dest, e);
        self.file.flush().await.map_err(io)?;
        self.file.sync_all().await.map_err(io)?;
        let digest: [u8; 32] = self.hasher.finalize().into();
        if let Some(expected) = expected_sha256 {
            let actual = crate::vocab::Sha256::from(digest);
            if !actual.hex().eq_ignore_ascii_case(expected) {
                return Err(IndexError::HashMismatch {
                    url: self.url.into(),
                    expected: expected.to_string(),
                    actual: Box::new(actual),
                });
            }
        }
        Ok(digest)
    }
}

async fn create_file(path: &Path) -> Result<tokio::fs::File, IndexError> {
    tokio::fs::File::create(path)
        .await
        .map_err(|e| io_error(path, e))
}

fn io_error(path: &Path, source: std::io::Error) -> IndexError {
    IndexError::Io {
        path: path.to_path_buf(),
        source,
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

    /// The messages are the ones pyprov printed when these URLs were redacted by hand, and no
    /// source in the chain shows a credential either.
    #[tokio::test]
    async fn errors_name_the_url_without_its_credentials() {
        let u = Url::parse("https://user:s3cret@example.com/simple/x/").unwrap();
        let status = IndexError::Status {
            url: (&u).into(),
            status: 503,
        };
        assert_eq!(
            status.to_string(),
            "https://***@example.com/simple/x/ answered HTTP 503"
        );
        let mismatch = IndexError::HashMismatch {
            url: (&u).into(),
            expected: "AB".into(),
            actual: Box::new(crate::vocab::Sha256::of(b"")),
        };
        assert_eq!(
            mismatch.to_string(),
            "https://***@example.com/simple/x/: the index advertised sha256 AB but served bytes with sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );

        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let mut client = Client::new(&TlsSettings::default()).unwrap();
        client.retry = Retry {
            retries: 1,
            backoff: Duration::from_millis(1),
        };
        let url = Url::parse(&format!("http://user:s3cret@127.0.0.1:{port}/x")).unwrap();
        let err = client.get_small(&url, "*/*", 10).await.unwrap_err();
        // reqwest moves a URL's credentials into the request's header, and out of its errors.
        assert_eq!(
            err.to_string(),
            format!("cannot reach http://***@127.0.0.1:{port}/x: could not connect: Connection refused (os error 111)")
        );
        let mut source = std::error::Error::source(&err);
        while let Some(s) = source {
            assert!(!s.to_string().contains("s3cret"), "{s}");
            source = s.source();
        }
    }

    /// A `.netrc` login goes out as basic authentication, unless the URL has its own.
    #[tokio::test]
    async fn netrc_logins_are_sent_to_their_host() {
        use base64::Engine as _;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = vec![0u8; 8192];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase();
                let auth = head
                    .lines()
                    .find_map(|l| l.strip_prefix("authorization: basic "))
                    .map(str::to_string);
                let _ = tx.send(auth);
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                    .await;
            }
        });
        let mut client = Client::new(&TlsSettings::default()).unwrap();
        client.logins = Arc::new(Logins::parse(
            "machine 127.0.0.1 login u password p\ndefault login d password q",
        ));
        let basic = |user_pass: &str| {
            Some(
                base64::engine::general_purpose::STANDARD
                    .encode(user_pass)
                    .to_ascii_lowercase(),
            )
        };
        let plain = Url::parse(&format!("http://{addr}/simple/")).unwrap();
        client.get_small(&plain, "*/*", 10).await.unwrap();
        assert_eq!(rx.recv().await.unwrap(), basic("u:p"));
        let own = Url::parse(&format!("http://me:m%40e@{addr}/simple/")).unwrap();
        client.get_small(&own, "*/*", 10).await.unwrap();
        assert_eq!(rx.recv().await.unwrap(), basic("me:m@e"));
    }

    #[test]
    fn url_credentials_are_percent_decoded() {
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
