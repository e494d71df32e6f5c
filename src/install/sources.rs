//! Where files come from: indexes, find-links pages and find-links directories.

use std::path::{Path, PathBuf};

use url::Url;

use super::args::PipArgs;
use super::reqs::Requirements;
use super::InstallError;
use crate::index::{self, Client, Link, ProvenanceHint};
use crate::verify::distname;

/// Where a candidate file comes from.
#[derive(Debug, Clone)]
pub(crate) enum Origin {
    /// A PEP 503/691 index (its base URL, used for the Integrity API).
    Index(Url),
    /// A `--find-links` directory on disk: provenance comes from sidecar files.
    Dir(PathBuf),
    /// A `--find-links` HTML page.
    Page(Url),
}

/// The files of `project` a source offers.
pub(crate) async fn links(
    client: &Client,
    origin: &Origin,
    project: &str,
) -> Result<Vec<Link>, String> {
    match origin {
        Origin::Index(url) => match client.project_page(url, project).await {
            Ok(Some(p)) => Ok(p.links),
            Ok(None) => Ok(Vec::new()),
            Err(e) => Err(e.to_string()),
        },
        Origin::Page(url) => {
            let page = client
                .get_small(url, "text/html", index::MAX_PAGE_BYTES)
                .await
                .map_err(|e| e.to_string())?;
            let Some((body, _)) = page else {
                return Ok(Vec::new());
            };
            let page = index::page::parse_html(url, &String::from_utf8_lossy(&body))
                .map_err(|e| format!("{}: {e}", index::redact(url)))?;
            Ok(page
                .links
                .into_iter()
                .filter(|l| is_project_file(&l.filename, project))
                .collect())
        }
        Origin::Dir(dir) => Ok(dir_links(dir, project)),
    }
}

fn is_project_file(filename: &str, project: &str) -> bool {
    distname::parse(filename).is_ok_and(|d| d.project() == project)
}

/// Files of `project` in a find-links directory. Their provenance comes from sidecars.
fn dir_links(dir: &Path, project: &str) -> Vec<Link> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut links: Vec<Link> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if !is_project_file(&name, project) || !e.path().is_file() {
                return None;
            }
            let url = Url::from_file_path(e.path()).ok()?;
            Some(Link {
                filename: name,
                url,
                sha256: None,
                requires_python: None,
                yanked: None,
                metadata: None,
                provenance: ProvenanceHint::NotAdvertised,
                upload_time: None,
                // The file's own length: known, not guessed (pip reads an upload time only
                // from an index).
                size: e.metadata().ok().map(|m| m.len()),
            })
        })
        .collect();
    links.sort_by(|a, b| a.filename.cmp(&b.filename));
    links
}

pub(crate) struct Sources {
    pub origins: Vec<Origin>,
}

/// The indexes and find-links pip would use: pip's effective options (command line over
/// `PIP_*` variables over configuration files), then the requirements files' own, which pip
/// applies last (an `--index-url` there replaces the index).
pub(crate) fn gather(pip_args: &PipArgs, reqs: &Requirements) -> Result<Sources, InstallError> {
    let no_index = pip_args.no_index || reqs.no_index;
    let index = reqs
        .index_url
        .clone()
        .or_else(|| pip_args.index_url.clone())
        .unwrap_or_else(|| super::DEFAULT_INDEX.to_string());
    let mut extras = pip_args.extra_index_urls.clone();
    extras.extend(reqs.extra_index_urls.iter().cloned());
    let mut find_links = pip_args.find_links.clone();
    find_links.extend(reqs.find_links.iter().cloned());
    let parse_url = |s: &str| {
        let with_slash = if s.ends_with('/') {
            s.to_string()
        } else {
            format!("{s}/")
        };
        Url::parse(&with_slash).map_err(|source| InstallError::IndexUrl {
            shown: index::redact_text(s),
            source,
        })
    };
    let mut origins = Vec::new();
    if !no_index {
        origins.push(Origin::Index(parse_url(&index)?));
        for e in &extras {
            origins.push(Origin::Index(parse_url(e)?));
        }
    }
    for f in &find_links {
        if let Some(path) = f.strip_prefix("file://") {
            origins.push(Origin::Dir(PathBuf::from(path)));
        } else if f.contains("://") {
            origins.push(Origin::Page(Url::parse(f).map_err(|source| {
                InstallError::FindLinks {
                    shown: index::redact_text(f),
                    source,
                }
            })?));
        } else {
            let p = PathBuf::from(f);
            // pip ignores a find-links directory that does not exist; so does pyprov.
            if p.is_dir() {
                origins.push(Origin::Dir(std::fs::canonicalize(&p).unwrap_or(p)));
            }
        }
    }
    Ok(Sources { origins })
}

/// pip's TLS settings (command line over `PIP_*` over pip.conf, as pip merges them), so
/// pyprov's own downloads reach an index exactly when pip's would.
pub(crate) fn tls_settings(pip_args: &PipArgs) -> Result<index::TlsSettings, InstallError> {
    let read = |flag: &'static str, path: Option<String>| {
        path.map(|p| {
            std::fs::read(&p).map_err(|source| InstallError::TlsFile {
                flag,
                path: p,
                source,
            })
        })
        .transpose()
    };
    let net = &pip_args.network;
    Ok(index::TlsSettings {
        extra_roots: read(
            "--cert",
            net.cert
                .clone()
                .or_else(|| std::env::var("REQUESTS_CA_BUNDLE").ok()),
        )?,
        client_identity: read("--client-cert", net.client_cert.clone())?,
        trusted_hosts: net.trusted_hosts.clone(),
        proxy: net.proxy.clone(),
        no_proxy_env: net.no_proxy_env,
    })
}
