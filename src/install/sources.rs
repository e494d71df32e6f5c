//! Where files come from: indexes, find-links pages and find-links directories.

use std::path::{Path, PathBuf};

use url::Url;

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
