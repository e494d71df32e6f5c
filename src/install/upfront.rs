//! Decisions up front: sources pip would fetch around any index are decided before pip runs.
//! A direct URL the policy allows is handed to pip as a URL on the gate, which fetches and hashes
//! it; a VCS checkout is fetched by git, which the gate cannot vet, and is refused.

use url::Url;

use super::gate::{Candidate, Gate, Origin};
use super::proxy::Proxy;
use super::report::{Row, RunReport};
use super::reqs::{ReqKind, ReqLine};
use super::settings::Settings;
use crate::index::{self, Link, ProvenanceHint};
use crate::trust::policy;
use crate::vocab::PackageName;

/// Each direct URL pyprov handed pip, as the user wrote it and as the gate's URL for it.
#[derive(Debug, Default)]
pub(crate) struct Rewrites(pub(crate) Vec<(String, String)>);

impl Rewrites {
    /// The URL the user's requirements or indexes give for a file pip fetched from the gate at
    /// `served` (fragment and all): a direct URL pyprov pointed at the gate, or a file the gate
    /// listed or fetched for pip. `None` for a URL that is not the gate's.
    pub(crate) fn user_url(&self, served: &str, proxy: &Proxy) -> Option<String> {
        self.0
            .iter()
            .find(|(_, to)| to.split('#').next() == Some(served))
            .map(|(from, _)| from.clone())
            .or_else(|| proxy.candidate_for(served).map(|c| c.link.url.to_string()))
    }
}

/// Decides every direct URL and VCS link of the requirements and constraints. Refusals become
/// rows of `run`; an allowed URL is reported once its file is vetted.
pub(crate) fn decide(
    settings: &Settings,
    gate: &Gate,
    proxy: &Proxy,
    run: &mut RunReport,
) -> Rewrites {
    let reqs = &settings.reqs;
    let mut rewrites = Rewrites::default();
    for line in reqs.lines.iter().chain(reqs.constraint_urls.iter()) {
        let (name, url, vcs) = match &line.kind {
            ReqKind::DirectUrl { name, url } => (name.clone(), url.clone(), false),
            ReqKind::Vcs { name, url } => (name.clone(), url.clone(), true),
            _ => continue,
        };
        let package = name.map_or_else(|| "<unknown>".into(), PackageName::into_string);
        let decided = if vcs {
            Decided::Refused(refuse_vcs(line, &url))
        } else {
            decide_url(gate, proxy, line, &package, &url)
        };
        match decided {
            Decided::Gate(to) => rewrites.0.push((url, to)),
            Decided::Refused(d) => run.rows.push(Row::from_decision(&package, None, &url, d)),
        }
    }
    rewrites
}

fn refuse_vcs(line: &ReqLine, url: &str) -> policy::Decision {
    policy::outside_gate(
        &format!("{} ({})", index::redact_text(url), line.origin),
        "a VCS link is fetched by git, around the gate, and carries no provenance pyprov can check",
    )
}

/// What became of a direct URL.
enum Decided {
    /// Allowed: pip gets this URL on the gate instead.
    Gate(String),
    Refused(policy::Decision),
}

/// The gate's URL for a direct URL the policy allows, or the refusal.
fn decide_url(gate: &Gate, proxy: &Proxy, line: &ReqLine, package: &str, url: &str) -> Decided {
    let shown = index::redact_text(url);
    let mut d = gate.judge().judge_unattested(package);
    d.message = format!(
        "{shown} ({}) is a direct URL, which carries no provenance pyprov can check: {}",
        line.origin, d.message
    );
    if d.denied() {
        return Decided::Refused(d);
    }
    let candidate = direct_candidate(url.split('#').next().unwrap_or(url), None)
        .filter(|c| crate::verify::distname::parse(&c.link.filename).is_ok());
    let Some(candidate) = candidate else {
        return Decided::Refused(policy::outside_gate(
            &shown,
            "not a URL of a wheel or sdist pyprov can fetch",
        ));
    };
    let fragment = url
        .split_once('#')
        .map(|(_, f)| format!("#{f}"))
        .unwrap_or_default();
    Decided::Gate(format!("{}{fragment}", proxy.register(candidate)))
}

/// A file pip resolved from outside pyprov's index: a local archive (`file://`), or a direct
/// URL the pre-check allowed.
pub(crate) fn direct_candidate(url: &str, sha256: Option<&str>) -> Option<Candidate> {
    let u = Url::parse(url).ok()?;
    let filename = index::page::file_name_of(&u)?;
    let origin = match u.scheme() {
        "file" => Origin::Dir(u.to_file_path().ok()?.parent()?.to_path_buf()),
        "http" | "https" => {
            let mut base = u.clone();
            base.set_path("/");
            Origin::Page(base)
        }
        _ => return None,
    };
    Some(Candidate {
        link: Link {
            filename,
            url: u,
            sha256: sha256.map(str::to_string),
            requires_python: None,
            yanked: None,
            metadata: None,
            provenance: ProvenanceHint::NotAdvertised,
            upload_time: None,
            size: None,
        },
        origin,
        picked: false,
    })
}
