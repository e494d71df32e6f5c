//! Fully pinned, hash-pinned requirements (pip-tools `--generate-hashes`): the set is already
//! known, so pyprov skips pip's resolver, picks each pin's file the way pip would (the most
//! specific compatible wheel among the hashes the lockfile allows), and fetches and verifies the
//! set straight away. With a warm cache it needs no index at all.

use std::path::Path;
use std::process::{Command, Stdio};
use std::str::FromStr;

use pep508_rs::MarkerEnvironment;
use serde::Deserialize;

use url::Url;

use super::gate::{Candidate, Gate, Origin};
use super::pip::Pip;
use super::reqs::{ReqKind, Requirements};
use super::settings::Settings;
use super::sources::{self, Sources};
use super::strategy::Pending;
use crate::index::{Client, Link, ProvenanceHint};
use crate::verify::distname::{self, DistName};

/// The file of every pin, when the requirements are fully hash-pinned and pyprov can choose each
/// file as pip would (a compatible wheel among the allowed hashes); `None` sends the install
/// through pip's resolver instead. Cached files are chosen without asking any index.
pub(crate) async fn candidates(settings: &Settings, gate: &Gate) -> Option<Vec<Pending>> {
    let (pip_args, reqs) = (&settings.pip_args, &settings.reqs);
    if pip_args.targeted
        || pip_args.no_binary
        || !pip_args.editables.is_empty()
        || reqs.lines.is_empty()
    {
        return None;
    }
    if !reqs.lines.iter().all(|l| !l.hashes.is_empty()) {
        return None;
    }
    // pip 26 filters pinned files by upload time too: its resolver, reading the gate's pages
    // (which pass the index's `upload-time` through), decides as pip alone would.
    if pip_args
        .resolve_key
        .iter()
        .any(|a| a.starts_with("--uploaded-prior-to"))
    {
        return None;
    }
    let target = probe(&settings.pip)?;
    let pins = pins(reqs, &target.env)?;
    let index_origin = settings
        .sources
        .origins
        .iter()
        .find(|o| matches!(o, Origin::Index(_)));
    let mut chosen = Vec::with_capacity(pins.len());
    let mut missing = Vec::new();
    for pin in &pins {
        match (cached(gate, pin, &target.tags), index_origin) {
            (Some((sha256, filename)), Some(origin)) => {
                chosen.push(from_cache(pin, sha256, filename, origin)?);
            }
            _ => missing.push(pin),
        }
    }
    chosen.extend(fetched(&settings.client, &settings.sources, missing, &target.tags).await?);
    Some(chosen)
}

/// The best file for `pin` among the cached files of its hashes: (sha256, file name).
/// Not under a cooldown: a cached file's upload time is on its index's page, which must be read.
fn cached<'a>(gate: &Gate, pin: &'a Pin, tags: &[String]) -> Option<(&'a String, String)> {
    if gate.cooldown(&pin.name).is_some() {
        return None;
    }
    pin.hashes
        .iter()
        .filter_map(|h| gate.cache().name(h).map(|n| (h, n)))
        .filter_map(|(h, n)| rank(&n, pin, tags).map(|r| (r, h, n)))
        .min_by_key(|(r, _, _)| *r)
        .map(|(_, h, n)| (h, n))
}

/// A cached file as a candidate of the index (whose Integrity API its provenance came from).
fn from_cache(pin: &Pin, sha256: &str, filename: String, origin: &Origin) -> Option<Pending> {
    let url = Url::parse(&format!("pyprov-cache:///{sha256}/{filename}")).ok()?;
    let link = Link {
        filename,
        url,
        sha256: Some(sha256.to_string()),
        requires_python: None,
        yanked: None,
        metadata: None,
        provenance: ProvenanceHint::NotAdvertised,
        upload_time: None,
        size: None,
    };
    let candidate = Candidate {
        link,
        origin: origin.clone(),
        picked: true,
    };
    Some((pin.name.clone(), pin.version.clone(), candidate))
}

/// The best file for each pin not in the cache, from its project's pages (asked in parallel).
/// A source that does not answer is passed over here, as the gate's pages pass it over when
/// another source answers; a pin no source offers a file for sends the install through pip.
async fn fetched(
    client: &Client,
    sources: &Sources,
    missing: Vec<&Pin>,
    tags: &[String],
) -> Option<Vec<Pending>> {
    let pages = futures_util::future::join_all(missing.iter().map(|pin| async move {
        let mut found: Vec<(Link, Origin)> = Vec::new();
        for origin in &sources.origins {
            if let Ok(links) = sources::links(client, origin, &pin.name).await {
                found.extend(links.into_iter().map(|l| (l, origin.clone())));
            }
        }
        found
    }))
    .await;
    let mut chosen = Vec::with_capacity(missing.len());
    for (pin, found) in missing.into_iter().zip(pages) {
        let links: Vec<Link> = found.iter().map(|(l, _)| l.clone()).collect();
        let best = choose(&links, pin, tags)?;
        let origin = found
            .iter()
            .find(|(l, _)| l.url == best.url)
            .map(|(_, o)| o.clone())?;
        let candidate = Candidate {
            link: best.clone(),
            origin,
            picked: true,
        };
        chosen.push((pin.name.clone(), pin.version.clone(), candidate));
    }
    Some(chosen)
}

/// The interpreter's marker environment and supported wheel tags, most preferred first.
#[derive(Debug, Deserialize)]
pub(crate) struct Target {
    pub env: MarkerEnvironment,
    pub tags: Vec<String>,
}

const PROBE: &str = "import json\nfrom pip._vendor.packaging import markers, tags\nprint(json.dumps({'env': markers.default_environment(), 'tags': [str(t) for t in tags.sys_tags()]}))";

/// Asks pip's interpreter (through pip's own vendored `packaging`) what it runs on.
pub(crate) fn probe(pip: &Pip) -> Option<Target> {
    if let Some(t) = pip
        .target
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
    {
        return Some(t);
    }
    let python = if pip.prefix.is_empty() {
        interpreter_of(&pip.program)?
    } else {
        pip.program.clone()
    };
    let out = Command::new(python)
        .args(["-I", "-c", PROBE])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    serde_json::from_slice(&out.stdout).ok()
}

/// The interpreter a `pip` console script runs with, from its shebang.
fn interpreter_of(script: &Path) -> Option<std::path::PathBuf> {
    let text = std::fs::read(script).ok()?;
    let first = text.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(first).ok()?.strip_prefix("#!")?.trim();
    let path = line.split_whitespace().next()?;
    Some(path.into())
}

#[derive(Debug, Clone)]
pub(crate) struct Pin {
    pub name: String,
    pub version: String,
    /// Allowed sha256 digests, lowercase hex.
    pub hashes: Vec<String>,
}

/// The pins when every requirement is `name==version` with sha256 hashes (markers evaluated
/// for `env`); `None` when anything would need the resolver.
pub(crate) fn pins(reqs: &Requirements, env: &MarkerEnvironment) -> Option<Vec<Pin>> {
    if reqs.lines.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for line in &reqs.lines {
        if line.editable || line.hashes.is_empty() {
            return None;
        }
        let ReqKind::Named {
            name,
            pinned: Some(version),
        } = &line.kind
        else {
            return None;
        };
        let req = super::reqs::parse_pep508(&line.text)?;
        if !req.marker.evaluate(env, &[]) {
            continue;
        }
        let hashes: Vec<String> = line
            .hashes
            .iter()
            .filter_map(|h| h.strip_prefix("sha256:"))
            .map(str::to_ascii_lowercase)
            .collect();
        if hashes.is_empty() {
            return None;
        }
        out.push(Pin {
            name: name.to_string(),
            version: version.clone(),
            hashes,
        });
    }
    Some(out)
}

/// How well a file suits the target: lower is better; `None` when pip could not use it.
/// Wheels rank by their best tag's position; an sdist is never chosen here (building it needs
/// build dependencies that only resolution discovers).
pub(crate) fn rank(filename: &str, pin: &Pin, tags: &[String]) -> Option<usize> {
    let parsed = distname::parse(filename).ok()?;
    if parsed.project() != pin.name {
        return None;
    }
    let version = pep440_rs::Version::from_str(&pin.version).ok()?;
    if *parsed.version() != version {
        return None;
    }
    match parsed {
        DistName::Wheel {
            tags: wheel_tags, ..
        } => tags.iter().position(|t| wheel_tags.contains(t)),
        DistName::Sdist { .. } => None,
    }
}

/// The best link for a pin among those whose sha256 the lockfile allows.
pub(crate) fn choose<'a>(links: &'a [Link], pin: &Pin, tags: &[String]) -> Option<&'a Link> {
    links
        .iter()
        .filter(|l| {
            l.sha256
                .as_deref()
                .is_some_and(|h| pin.hashes.contains(&h.to_ascii_lowercase()))
        })
        .filter(|l| l.yanked.is_none())
        .filter_map(|l| rank(&l.filename, pin, tags).map(|r| (r, l)))
        .min_by_key(|(r, _)| *r)
        .map(|(_, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin() -> Pin {
        Pin {
            name: "foo".into(),
            version: "1.0".into(),
            hashes: vec!["aa".into(), "bb".into(), "cc".into()],
        }
    }

    fn link(name: &str, sha: &str) -> Link {
        Link {
            filename: name.into(),
            url: url::Url::parse(&format!("https://x/{name}")).unwrap(),
            sha256: Some(sha.into()),
            requires_python: None,
            yanked: None,
            metadata: None,
            provenance: crate::index::ProvenanceHint::NotAdvertised,
            upload_time: None,
            size: None,
        }
    }

    #[test]
    fn picks_the_most_specific_allowed_wheel() {
        let tags = vec![
            "cp311-cp311-manylinux_2_17_x86_64".to_string(),
            "py3-none-any".to_string(),
        ];
        let links = vec![
            link("foo-1.0-py3-none-any.whl", "aa"),
            link("foo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", "bb"),
            link("foo-1.0-cp311-cp311-win_amd64.whl", "cc"),
            link("foo-1.0.tar.gz", "aa"),
            link(
                "foo-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                "dd",
            ),
        ];
        assert_eq!(
            choose(&links, &pin(), &tags).unwrap().filename,
            "foo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"
        );
        let only_sdist = vec![link("foo-1.0.tar.gz", "aa")];
        assert!(choose(&only_sdist, &pin(), &tags).is_none());
        let wrong_version = vec![link("foo-1.1-py3-none-any.whl", "aa")];
        assert!(choose(&wrong_version, &pin(), &tags).is_none());
    }
}
