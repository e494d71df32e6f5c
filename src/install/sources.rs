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
pub enum Origin {
    /// A PEP 503/691 index (its base URL, used for the Integrity API).
    Index(Url),
    /// A `--find-links` directory on disk: provenance comes from sidecar files.
    Dir(PathBuf),
    /// A `--find-links` HTML page.
    Page(Url),
}

/// The files of `project` a source offers.
pub async fn links(client: &Client, origin: &Origin, project: &str) -> Result<Vec<Link>, String> {
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
            })
        })
        .collect();
    links.sort_by(|a, b| a.filename.cmp(&b.filename));
    links
}

/// A value from `pip config list` (`section.key='value'`); `install` beats `global`, as in pip.
pub fn config_value(config: &[(String, String)], key: &str) -> Option<String> {
    ["install", "global"].iter().find_map(|sec| {
        config
            .iter()
            .find(|(k, _)| k == &format!("{sec}.{key}"))
            .map(|(_, v)| v.clone())
    })
}

pub struct Sources {
    pub origins: Vec<Origin>,
}

/// The indexes and find-links pip would use, with pip's precedence: command line, then
/// requirements files, then `PIP_*` variables, then pip's configuration files.
pub fn gather(
    pip_args: &PipArgs,
    reqs: &Requirements,
    config: &[(String, String)],
) -> Result<Sources, InstallError> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let conf = |key: &str| config_value(config, key);
    let words = |v: Option<String>| -> Vec<String> {
        v.map(|s| s.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    };
    let truthy = |v: Option<String>| {
        v.is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on"))
    };
    let no_index = pip_args.no_index
        || reqs.no_index
        || truthy(env("PIP_NO_INDEX"))
        || truthy(conf("no-index"));
    let index = pip_args
        .index_url
        .clone()
        .or_else(|| reqs.index_url.clone())
        .or_else(|| env("PIP_INDEX_URL"))
        .or_else(|| conf("index-url"))
        .unwrap_or_else(|| super::DEFAULT_INDEX.to_string());
    let mut extras = pip_args.extra_index_urls.clone();
    extras.extend(reqs.extra_index_urls.iter().cloned());
    if pip_args.extra_index_urls.is_empty() {
        extras.extend(words(
            env("PIP_EXTRA_INDEX_URL").or_else(|| conf("extra-index-url")),
        ));
    }
    let mut find_links = pip_args.find_links.clone();
    find_links.extend(reqs.find_links.iter().cloned());
    if pip_args.find_links.is_empty() {
        find_links.extend(words(env("PIP_FIND_LINKS").or_else(|| conf("find-links"))));
    }
    let parse_url = |s: &str| {
        let with_slash = if s.ends_with('/') {
            s.to_string()
        } else {
            format!("{s}/")
        };
        Url::parse(&with_slash).map_err(|e| {
            InstallError::Usage(format!(
                "index URL {} is not a URL: {e}",
                index::redact_text(s)
            ))
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
            origins.push(Origin::Page(Url::parse(f).map_err(|e| {
                InstallError::Usage(format!("--find-links {}: {e}", index::redact_text(f)))
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

/// pip's TLS settings, with pip's precedence (command line, then `PIP_*`, then pip.conf), so
/// pyprov's own downloads reach an index exactly when pip's would.
pub fn tls_settings(
    pip_args: &PipArgs,
    config: &[(String, String)],
) -> Result<index::TlsSettings, InstallError> {
    let flag = |name: &str| -> Vec<String> {
        let mut out = Vec::new();
        let mut it = pip_args.passthrough.iter();
        while let Some(a) = it.next() {
            if a == name {
                if let Some(v) = it.next() {
                    out.push(v.clone());
                }
            } else if let Some(v) = a.strip_prefix(&format!("{name}=")) {
                out.push(v.to_string());
            }
        }
        out
    };
    let setting = |flag_name: &str, env: &str, key: &str| -> Option<String> {
        flag(flag_name)
            .pop()
            .or_else(|| std::env::var(env).ok().filter(|v| !v.trim().is_empty()))
            .or_else(|| config_value(config, key))
    };
    let read = |what: &str, path: Option<String>| -> Result<Option<Vec<u8>>, InstallError> {
        path.map(|p| std::fs::read(&p).map_err(|e| InstallError::Usage(format!("{what} {p}: {e}"))))
            .transpose()
    };
    let mut trusted_hosts = flag("--trusted-host");
    if trusted_hosts.is_empty() {
        trusted_hosts = std::env::var("PIP_TRUSTED_HOST")
            .ok()
            .or_else(|| config_value(config, "trusted-host"))
            .map(|v| v.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
    }
    Ok(index::TlsSettings {
        extra_roots: read(
            "--cert",
            setting("--cert", "PIP_CERT", "cert")
                .or_else(|| std::env::var("REQUESTS_CA_BUNDLE").ok()),
        )?,
        client_identity: read(
            "--client-cert",
            setting("--client-cert", "PIP_CLIENT_CERT", "client-cert"),
        )?,
        trusted_hosts,
    })
}
