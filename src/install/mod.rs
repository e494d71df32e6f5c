//! `pyprov install` and `pyprov download`: resolve with the real pip against pyprov's verifying
//! index, vet every file pip fetched or would install, and hand pip only the vetted bytes.
//!
//! 1. Requirements files are read first: index options inside them are taken out (pyprov serves
//!    those indexes itself) and direct URLs and VCS links, which pip would fetch around any
//!    index, are decided up front like unattested files.
//! 2. `pip install --dry-run --ignore-installed --report` runs against the verifying index
//!    (`proxy`), so every file pip downloads during resolution (sdists it builds for metadata,
//!    their build dependencies) is verified and allowed before its first byte reaches pip.
//! 3. Every file of the resolved set is vetted (fetched once, in parallel) and all verdicts are
//!    reported together; one refusal refuses the whole install.
//! 4. pip installs from a directory holding only vetted files, with `--no-index`, pinned by
//!    sha256 with `--require-hashes`.

pub mod args;
pub mod build;
pub mod gate;
pub mod locked;
pub mod marks;
pub mod pip;
pub mod proxy;
pub mod report;
pub mod reqs;
pub mod reuse;
pub mod sources;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use url::Url;

use crate::cache::{self, Cache};
use crate::error::exit;
use crate::index::{self, Client, Link, ProvenanceHint};
use crate::judge::Judgement;
use crate::trust::policy::{self, Observed};
use crate::trust::{self as trustfile, Policy, TrustFile};
use crate::vocab::PackageName;
use gate::{Candidate, Gate, Origin, Vetted};
use pip::{IndexEnv, Pip};
use report::{Row, RunReport};
use reqs::ReqKind;

pub const DEFAULT_INDEX: &str = "https://pypi.org/simple/";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Install,
    Download,
}

/// Failures before any verdict: exit status 2.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Pip(#[from] pip::PipError),
    #[error(transparent)]
    Requirements(#[from] reqs::ReqError),
    #[error(transparent)]
    Trust(#[from] trustfile::TrustFileError),
    #[error("{0}")]
    Io(String),
}

/// Runs `pyprov install|download ARGS...`, returning the exit status.
pub fn run(own: args::OwnArgs, raw: &[String], mode: Mode) -> Result<u8, InstallError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| InstallError::Io(e.to_string()))?;
    runtime.block_on(run_async(own, raw, mode))
}

async fn run_async(own: args::OwnArgs, raw: &[String], mode: Mode) -> Result<u8, InstallError> {
    let command = match mode {
        Mode::Install => crate::pipopts::Command::Install,
        Mode::Download => crate::pipopts::Command::Download,
    };
    let (own, parsed) = args::parse(own, raw, command).map_err(|e| InstallError::Usage(e.0))?;
    let isolated = args::isolated(raw);
    let mut pip = Pip::locate(
        own.python.as_deref(),
        own.real_pip.as_ref(),
        command.pip_name(),
        isolated,
    )?;
    let mut pip_args = args::build(parsed, &pip.config, command, isolated)
        .map_err(|e| InstallError::Usage(e.0))?;
    if mode == Mode::Download && pip_args.dest.is_none() {
        // As the drop-in pip, `pip download` without `-d` means the working directory, as in
        // pip; `pyprov download` asks for it.
        if own.real_pip.is_none() {
            return Err(InstallError::Usage(
                "pyprov download needs -d DIR: where to put the vetted files".into(),
            ));
        }
        pip_args.dest = Some(PathBuf::from("."));
    }
    if pip_args.report.as_deref() == Some("-") && own.format == crate::cli::Format::Json {
        return Err(InstallError::Usage(
            "--report - and --format json would both write JSON to stdout\n  fix: name a file for --report".into(),
        ));
    }
    let work = tempfile::tempdir().map_err(|e| InstallError::Io(e.to_string()))?;
    let reqs_dir = work.path().join("requirements");
    std::fs::create_dir_all(&reqs_dir).map_err(|e| InstallError::Io(e.to_string()))?;
    let stubs = work.path().join("vcs-stubs");
    pip::write_vcs_stubs(&stubs).map_err(|e| InstallError::Io(e.to_string()))?;
    pip.vcs_stubs = Some(stubs);
    let reqs = reqs::gather(
        &pip_args.requirement_files,
        &pip_args.constraint_files,
        &pip_args.requirements,
        &pip_args.editables,
        &reqs_dir,
    )?;
    let sources = sources::gather(&pip_args, &reqs)?;

    let cwd = std::env::current_dir().map_err(|e| InstallError::Io(e.to_string()))?;
    let trust = TrustFile::discover(&cwd, own.trust_file.as_deref())?;
    let mut policy = trust
        .as_ref()
        .map(|t| t.policy().clone())
        .unwrap_or_else(Policy::without_trust_file);
    policy.locked = trustfile::resolve_locked(own.locked);
    if let Some(v) = &own.unattested {
        policy.unattested = match v.as_str() {
            "deny" => trustfile::Unattested::Deny,
            "warn" => trustfile::Unattested::Warn,
            "allow" => trustfile::Unattested::Allow,
            other => {
                return Err(InstallError::Usage(format!(
                    "--unattested (PYPROV_UNATTESTED) is deny, warn or allow, not {other}"
                )))
            }
        };
    }
    let engine = Arc::new(
        crate::files::load_engine(own.trusted_root.as_deref())
            .map_err(|e| InstallError::Usage(e.to_string()))?,
    );
    let mut tls = sources::tls_settings(&pip_args)?;
    tls.trusted_hosts.extend(reqs.trusted_hosts.iter().cloned());
    let client = Client::new(&tls).map_err(|e| InstallError::Usage(e.to_string()))?;
    let cache_root = match (&own.cache_dir, own.no_cache) {
        (_, true) => work.path().join("cache"),
        (Some(d), false) => d.clone(),
        (None, false) => cache::default_dir().unwrap_or_else(|| work.path().join("cache")),
    };
    let cache = Cache::open(&cache_root).map_err(|e| {
        InstallError::Io(format!(
            "cannot use the cache at {}: {e}",
            cache_root.display()
        ))
    })?;
    let provenance_index = match own
        .provenance_index
        .as_deref()
        .or(policy.provenance_index.as_deref())
    {
        None => None,
        Some(s) => {
            let with_slash = if s.ends_with('/') {
                s.to_string()
            } else {
                format!("{s}/")
            };
            Some(Url::parse(&with_slash).map_err(|e| {
                InstallError::Usage(format!("--provenance-index {}: {e}", index::redact_text(s)))
            })?)
        }
    };
    let gate = Arc::new(Gate::new(
        client.clone(),
        engine,
        cache,
        trust,
        policy.clone(),
        provenance_index,
    ));
    // Every pip process pyprov runs has this server as its only proxy, from the first to the
    // last: whatever it is told, nothing reaches pip that the gate did not vet.
    let proxy = proxy::Proxy::start(gate.clone(), client.clone(), sources.origins.clone())
        .await
        .map_err(|e| InstallError::Io(format!("cannot start the verifying index: {e}")))?;
    let mut run = RunReport::new(policy.source.clone(), own.format);
    run.verbose = pip_args.verbosity > 0;
    report::set_verbosity(pip_args.verbosity);

    // Sources pip would fetch around any index are decided before pip runs. A direct URL the
    // policy allows is handed to pip as a URL on the gate, which fetches and hashes it; a VCS
    // checkout is fetched by git, which the gate cannot vet.
    let mut rewrites: Vec<(String, String)> = Vec::new();
    for line in reqs.lines.iter().chain(reqs.constraint_urls.iter()) {
        let (name, url, vcs) = match &line.kind {
            ReqKind::DirectUrl { name, url } => (name.clone(), url.clone(), false),
            ReqKind::Vcs { name, url } => (name.clone(), url.clone(), true),
            _ => continue,
        };
        let package = name.unwrap_or_else(|| "<unknown>".into());
        let shown = index::redact_text(&url);
        if vcs {
            let d = policy::outside_gate(
                &format!("{shown} ({})", line.origin),
                "a VCS link is fetched by git, around the gate, and carries no provenance pyprov can check",
            );
            run.rows.push(Row::from_decision(&package, None, &url, d));
            continue;
        }
        let entry = gate.trust().and_then(|t| t.entry(&package));
        let mut d = policy::decide(&package, entry, &policy, &Observed::NoProvenance);
        d.message = format!(
            "{shown} ({}) is a direct URL, which carries no provenance pyprov can check: {}",
            line.origin, d.message
        );
        if d.denied() {
            run.rows.push(Row::from_decision(&package, None, &url, d));
            continue;
        }
        match direct_candidate(url.split('#').next().unwrap_or(&url), None)
            .filter(|c| crate::verify::distname::parse(&c.link.filename).is_ok())
        {
            Some(c) => {
                let fragment = url
                    .split_once('#')
                    .map(|(_, f)| format!("#{f}"))
                    .unwrap_or_default();
                rewrites.push((url.clone(), format!("{}{fragment}", proxy.register(c))));
            }
            None => run.rows.push(Row::from_decision(
                &package,
                None,
                &url,
                policy::outside_gate(&shown, "not a URL of a wheel or sdist pyprov can fetch"),
            )),
        }
    }
    // Only refusals are rows here: an allowed URL is reported once its file is vetted.
    if run.any_denied() {
        proxy.stop().await;
        run.print();
        return Ok(exit::FAILED);
    }
    for (from, to) in &rewrites {
        reqs::rewrite(&reqs, from, to)?;
        for r in pip_args.requirements.iter_mut() {
            *r = r.replace(from.as_str(), to);
        }
    }
    let pip_args = pip_args;
    let ctx = Ctx {
        gate: &gate,
        pip: &pip,
        pip_args: &pip_args,
        reqs: &reqs,
        work: work.path(),
        mode,
        proxy: &proxy,
    };

    // Hash-pinned requirements need no resolver: fetch and verify the known set.
    if let Some(chosen) = locked_candidates(&pip, &pip_args, &reqs, &gate, &client, &sources).await
    {
        let pinned = vet_set(&gate, &chosen).await;
        let plan = Plan {
            pinned,
            marks: Vec::new(),
            extra: Vec::new(),
            local: Vec::new(),
            install: InstallSet::UserFiles,
        };
        return complete(ctx, plan, run).await;
    }

    // A stored resolution whose every input and page is unchanged: pip's dry run would say the
    // same, so it is skipped.
    let reusable = reqs.constraint_urls.is_empty()
        && reqs
            .lines
            .iter()
            .all(|l| !l.editable && matches!(l.kind, ReqKind::Named { .. }));
    let reuse_path = reusable.then(|| {
        reuse::path(
            &cache_root,
            &resolution_key(mode, &pip, &pip_args, &reqs_dir, work.path(), &sources),
        )
    });
    if let Some(stored) = reuse_path.as_deref().and_then(reuse::load) {
        if reuse::still_valid(&stored, &client, &sources.origins).await {
            let items: Option<Vec<(String, String, Candidate)>> = stored
                .items
                .iter()
                .map(|i| Some((i.name.clone(), i.version.clone(), i.link.to_candidate()?)))
                .collect();
            let marks = stored
                .items
                .iter()
                .map(|i| marks::Mark {
                    name: i.name.clone(),
                    version: i.version.clone(),
                    requested: i.requested,
                    direct_url: i.direct_url.clone(),
                })
                .collect();
            let extra: Option<Vec<Candidate>> = stored
                .extra
                .iter()
                .map(reuse::StoredLink::to_candidate)
                .collect();
            if let (Some(items), Some(extra)) = (items, extra) {
                let vetted_dir = work.path().join("vetted");
                std::fs::create_dir_all(&vetted_dir)
                    .map_err(|e| InstallError::Io(e.to_string()))?;
                let prestarted = (mode == Mode::Install && !pip_args.dry_run)
                    .then(|| Prestarted::start(&pip, &vetted_dir, &pip_args, &proxy.proxy_url))
                    .flatten();
                if let Some(user_report) = &pip_args.report {
                    write_user_report(user_report, stored.report.as_bytes())?;
                }
                let pinned = vet_set(&gate, &items).await;
                let extra = vet_all(&gate, extra.iter()).await;
                run.note("reused the stored resolution: every input and index page is unchanged");
                run.satisfied = stored.satisfied.clone();
                let plan = Plan {
                    pinned,
                    marks,
                    extra,
                    local: Vec::new(),
                    install: InstallSet::Pinned(prestarted),
                };
                return complete(ctx, plan, run).await;
            }
        }
    }

    // A vetted sdist is built once, by the gate, when pip asks for its metadata; the install
    // step installs that wheel (a pip that builds sdists for metadata itself never asks).
    // Not for another target (`--platform`, `--python-version`, …): the gate's build would
    // be for this interpreter.
    if mode == Mode::Install && !pip_args.dry_run && !targeted(&pip_args) {
        proxy.build_sdists(build::Builder {
            pip: pip.clone(),
            index_url: proxy.index_url(),
            proxy_url: proxy.proxy_url.clone(),
            options: pip_args.build.clone(),
            out: work.path().join("built"),
            verbosity: pip_args.verbosity,
        });
    }
    let report_path = work.path().join("report.json");
    let mut resolve = pip.command(
        "install",
        IndexEnv::Proxy(&proxy.index_url()),
        &proxy.proxy_url,
    );
    resolve.args(["--dry-run", "--report"]);
    resolve.arg(&report_path);
    resolve.args(["--progress-bar=off"]);
    // pip download resolves as if nothing were installed; pip install against the environment
    // it installs into (what is there and satisfies the requirements stays), as pip would.
    if mode == Mode::Download {
        resolve.arg("--ignore-installed");
    }
    requirement_args(&mut resolve, &pip_args, &reqs);
    resolve.args(&pip_args.location);
    resolve.args(&pip_args.resolve);
    for _ in 0..pip_args.verbosity.max(0) {
        resolve.arg("-v");
    }
    let vetted_dir = work.path().join("vetted");
    std::fs::create_dir_all(&vetted_dir).map_err(|e| InstallError::Io(e.to_string()))?;
    let prestarted = (mode == Mode::Install && !pip_args.dry_run)
        .then(|| Prestarted::start(&pip, &vetted_dir, &pip_args, &proxy.proxy_url))
        .flatten();
    let spinner = report::spinner("resolving with pip against the verifying index");
    let resolved = tokio::task::spawn_blocking(move || resolve.output())
        .await
        .map_err(|e| InstallError::Io(e.to_string()))?
        .map_err(|e| InstallError::Io(format!("cannot run {}: {e}", pip.display())))?;
    spinner.finish_and_clear();

    if !resolved.status.success() {
        let requested = proxy.requested();
        let refused: Vec<_> = vet_all(&gate, requested.iter())
            .await
            .into_iter()
            .filter(|v| !v.allowed())
            .collect();
        for v in refused.iter().chain(proxy.outside().iter()) {
            run.rows.push(Row::from_vetted(v));
        }
        if run.any_denied() {
            run.print();
            return Ok(exit::FAILED);
        }
        for (file, why) in proxy.build_failures() {
            eprintln!(
                "pyprov could not build {}, which pip needs the metadata of:\n{}",
                crate::output::term(&file),
                crate::output::term_lines(&index::redact_text(&why))
            );
        }
        eprintln!("pip could not resolve the requirements:");
        eprintln!(
            "{}",
            crate::output::term_lines(&index::redact_text(&String::from_utf8_lossy(
                &resolved.stderr
            )))
        );
        return Ok(resolved.status.code().map_or(exit::USAGE, |c| c as u8));
    }
    for (file, why) in proxy.unbuilt() {
        let last = why
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        run.note(&format!(
            "{file} did not build while pip resolved (its metadata came from its metadata hook, as with pip alone; pip builds it at install if it is chosen): {}",
            index::redact_text(last.trim())
        ));
    }
    let report_bytes = std::fs::read(&report_path).map_err(|e| InstallError::Io(e.to_string()))?;
    // The user's copy names the files where they are, not where the gate served them.
    let shown_report = with_real_urls(&report_bytes, &proxy, &rewrites);
    if let Some(user_report) = &pip_args.report {
        write_user_report(user_report, &shown_report)?;
    }
    let pip_report = pip::parse_report(&report_bytes)?;
    // pip says "already satisfied" of what it then replaces too (pip itself under -U, a
    // backtracked candidate): what its report installs is not kept.
    run.satisfied = pip::already_satisfied(&String::from_utf8_lossy(&resolved.stdout))
        .into_iter()
        .filter(|(name, _)| {
            let name = crate::verify::distname::normalize_project_name(name);
            !pip_report
                .install
                .iter()
                .any(|i| crate::verify::distname::normalize_project_name(&i.metadata.name) == name)
        })
        .collect();

    // Vet every resolved file pip did not download itself (metadata-only resolution).
    let mut local = Vec::new();
    let mut pending = Vec::new();
    let mut marks = Vec::new();
    // The directories the user named (`.`, `./proj`, `-e dir`, `file:` paths), as pip reports
    // them: `file://` URLs of their real paths.
    let named_dirs: std::collections::HashSet<String> = reqs
        .lines
        .iter()
        .filter_map(|l| match &l.kind {
            ReqKind::LocalPath { path } => Some(path.as_str()),
            _ if l.editable => Some(l.text.as_str()),
            _ => None,
        })
        .filter_map(|p| {
            let p = p.strip_prefix("file://").unwrap_or(p);
            let p = p.split('#').next().unwrap_or(p);
            std::fs::canonicalize(p).ok()
        })
        .filter_map(|p| Url::from_file_path(p).ok())
        .map(|u| u.to_string())
        .collect();
    for item in &pip_report.install {
        let di = &item.download_info;
        if di.vcs_info.is_some() || (di.dir_info.is_some() && !named_dirs.contains(&di.url)) {
            // A checkout, or a directory nobody named (a `file:` URL in some metadata): pip
            // read it around the gate.
            let d = policy::outside_gate(
                &index::redact_text(&di.url),
                "pip resolved this from a VCS checkout or a directory the command line and requirements did not name",
            );
            run.rows.push(Row::from_decision(
                &item.metadata.name,
                Some(&item.metadata.version),
                &di.url,
                d,
            ));
            continue;
        }
        if di.dir_info.is_some() {
            local.push((
                item.metadata.name.clone(),
                di.url.clone(),
                di.dir_info.as_ref().is_some_and(|d| d.editable),
            ));
            continue;
        }
        let sha = di.archive_info.as_ref().and_then(pip::ArchiveInfo::sha256);
        let candidate = match proxy.candidate_for(&di.url) {
            Some(c) => c,
            None => match direct_candidate(&di.url, sha.as_deref()) {
                Some(c) => c,
                None => {
                    return Err(InstallError::Usage(format!(
                        "pip resolved {} from {}, which pyprov cannot fetch",
                        item.metadata.name,
                        index::redact_text(&di.url)
                    )))
                }
            },
        };
        // For a direct requirement, the URL the user gave (before pyprov pointed it at the
        // gate): what pip would have recorded in direct_url.json.
        let direct_url = item
            .is_direct
            .then(|| user_url(&di.url, &proxy, &rewrites).unwrap_or_else(|| di.url.clone()));
        marks.push(marks::Mark {
            name: item.metadata.name.clone(),
            version: item.metadata.version.clone(),
            requested: item.requested,
            direct_url,
        });
        pending.push((
            item.metadata.name.clone(),
            item.metadata.version.clone(),
            candidate,
        ));
    }
    let pinned = vet_set(&gate, &pending).await;
    let requested = proxy.requested();
    let extra = vet_all(&gate, requested.iter()).await;
    let pages = proxy.pages();
    if let (Some(path), Some(pages), true) = (&reuse_path, pages, local.is_empty()) {
        let in_set: std::collections::HashSet<&str> = pending
            .iter()
            .map(|(_, _, c)| c.link.filename.as_str())
            .collect();
        reuse::save(
            path,
            &reuse::Stored {
                pages,
                items: pending
                    .iter()
                    .zip(&marks)
                    .map(|((name, version, c), m)| reuse::StoredItem {
                        name: name.clone(),
                        version: version.clone(),
                        requested: m.requested,
                        direct_url: m.direct_url.clone(),
                        link: reuse::StoredLink::from_candidate(c),
                    })
                    .collect(),
                extra: requested
                    .iter()
                    .filter(|c| !in_set.contains(c.link.filename.as_str()))
                    .map(reuse::StoredLink::from_candidate)
                    .collect(),
                report: String::from_utf8_lossy(&shown_report).into_owned(),
                satisfied: run.satisfied.clone(),
            },
        );
    }
    let plan = Plan {
        pinned,
        marks,
        extra,
        local,
        install: InstallSet::Pinned(prestarted),
    };
    complete(ctx, plan, run).await
}

/// The file of every pin, when the requirements are fully hash-pinned and pyprov can choose each
/// file as pip would (a compatible wheel among the allowed hashes); `None` sends the install
/// through pip's resolver instead. Cached files are chosen without asking any index.
async fn locked_candidates(
    pip: &Pip,
    pip_args: &args::PipArgs,
    reqs: &reqs::Requirements,
    gate: &Gate,
    client: &Client,
    sources: &sources::Sources,
) -> Option<Vec<(String, String, Candidate)>> {
    let no_binary = pip_args
        .resolve
        .iter()
        .any(|a| a.starts_with("--no-binary="));
    if targeted(pip_args) || no_binary || !pip_args.editables.is_empty() || reqs.lines.is_empty() {
        return None;
    }
    if !reqs.lines.iter().all(|l| !l.hashes.is_empty()) {
        return None;
    }
    let target = locked::probe(pip)?;
    let pins = locked::pins(reqs, &target.env)?;
    let index_origin = sources
        .origins
        .iter()
        .find(|o| matches!(o, Origin::Index(_)))
        .cloned();
    let mut chosen = Vec::with_capacity(pins.len());
    let mut missing = Vec::new();
    for pin in &pins {
        let cached = pin
            .hashes
            .iter()
            .filter_map(|h| gate.cache().name(h).map(|n| (h, n)))
            .filter_map(|(h, n)| locked::rank(&n, pin, &target.tags).map(|r| (r, h, n)))
            .min_by_key(|(r, _, _)| *r);
        match (cached, &index_origin) {
            (Some((_, h, name)), Some(origin)) => {
                let url = Url::parse(&format!("pyprov-cache:///{h}/{name}")).ok()?;
                chosen.push((
                    pin.name.clone(),
                    pin.version.clone(),
                    Candidate {
                        link: Link {
                            filename: name,
                            url,
                            sha256: Some(h.clone()),
                            requires_python: None,
                            yanked: None,
                            metadata: None,
                            provenance: ProvenanceHint::NotAdvertised,
                        },
                        origin: origin.clone(),
                    },
                ));
            }
            _ => missing.push(pin),
        }
    }
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
    for (pin, found) in missing.into_iter().zip(pages) {
        let links: Vec<Link> = found.iter().map(|(l, _)| l.clone()).collect();
        let best = locked::choose(&links, pin, &target.tags)?;
        let origin = found
            .iter()
            .find(|(l, _)| l.url == best.url)
            .map(|(_, o)| o.clone())?;
        chosen.push((
            pin.name.clone(),
            pin.version.clone(),
            Candidate {
                link: best.clone(),
                origin,
            },
        ));
    }
    Some(chosen)
}

/// Whether pip resolves for another interpreter or platform than the one it runs in.
fn targeted(pip_args: &args::PipArgs) -> bool {
    pip_args.resolve.iter().any(|a| {
        let name = a.split('=').next().unwrap_or(a);
        matches!(
            name,
            "--platform" | "--python-version" | "--abi" | "--implementation"
        )
    })
}

/// Everything pip's dry run depends on besides the index pages, as one key.
fn resolution_key(
    mode: Mode,
    pip: &Pip,
    pip_args: &args::PipArgs,
    reqs_dir: &Path,
    work: &Path,
    sources: &sources::Sources,
) -> String {
    let work = work.display().to_string();
    // What the resolution depends on about pip and the interpreter: pip's version and the
    // interpreter's markers and tags, not where the virtualenv happens to be.
    let (major, minor, patch) = pip.version;
    let mut parts = vec![
        // The stored record's format and what it means.
        "resolution 2".to_string(),
        format!("{mode:?}"),
        format!("pip {major}.{minor}.{patch}"),
        pip.target
            .clone()
            .unwrap_or_else(|| pip.program.display().to_string()),
    ];
    // The sanitized requirement and constraint files, nested ones included; their temporary
    // directory differs from run to run and is left out.
    let mut files: Vec<PathBuf> = std::fs::read_dir(reqs_dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    for f in files {
        parts.push(
            std::fs::read_to_string(&f)
                .unwrap_or_default()
                .replace(&work, ""),
        );
    }
    parts.extend(pip_args.requirements.iter().cloned());
    parts.extend(pip_args.editables.iter().cloned());
    parts.extend(pip_args.location.iter().cloned());
    // Options that change how pip talks, not what it answers, leave the key alone.
    const UNREAD: &[&str] = &[
        "--log=",
        "--no-color",
        "--no-python-version-warning",
        "--no-input",
        "--no-clean",
        "--require-virtualenv",
        "--progress-bar=",
    ];
    parts.extend(
        pip_args
            .resolve
            .iter()
            .filter(|w| !UNREAD.iter().any(|u| w.starts_with(u)))
            .cloned(),
    );
    parts.push(format!("{} {}", pip_args.no_deps, pip_args.require_hashes));
    parts.extend(sources.origins.iter().map(|o| format!("{o:?}")));
    // pip's configuration and PIP_* variables are in the effective options above (what pyprov
    // passes on) and the sources; what pip would read of them besides (its cache, its log)
    // does not change the answer. What is installed does, except where pip ignores it.
    if mode == Mode::Install {
        parts.push(format!("installed {}", pip.installed));
    }
    reuse::key(&parts)
}

/// Downloads in flight at once: enough to fill a fast link, few enough to be polite to an index.
const PARALLEL_FETCHES: usize = 16;

/// Vets candidates in parallel (bounded), in order, with a progress bar.
async fn vet_all<'a>(
    gate: &Arc<Gate>,
    candidates: impl ExactSizeIterator<Item = &'a Candidate>,
) -> Vec<Arc<Vetted>> {
    use futures_util::StreamExt;
    let bar = report::bar(candidates.len() as u64, "verifying");
    let vetted = futures_util::stream::iter(candidates.map(|c| {
        let gate = gate.clone();
        let bar = bar.clone();
        async move {
            let v = gate.vet(c).await;
            bar.inc(1);
            v
        }
    }))
    .buffered(PARALLEL_FETCHES)
    .collect()
    .await;
    bar.finish_and_clear();
    vetted
}

/// pip's install command, started while pip resolves and pyprov verifies, so that its start-up
/// (≈0.4 s) overlaps that work. It reads its requirements from a pipe that pyprov writes only
/// once every verdict is in: until then it has no requirement and cannot install anything, and
/// on any refusal it is killed (dropping it kills it).
struct Prestarted {
    child: Option<std::process::Child>,
}

impl Prestarted {
    fn start(
        pip: &Pip,
        vetted_dir: &Path,
        pip_args: &args::PipArgs,
        gate: &str,
    ) -> Option<Prestarted> {
        let mut install = pip.command("install", IndexEnv::Vetted(vetted_dir), gate);
        // pip's report lists exactly what it would install, reinstalls included: each is
        // installed as listed (`--force-reinstall`), nothing else is (`--no-deps`).
        install.args([
            "--require-hashes",
            "--no-deps",
            "--force-reinstall",
            "-r",
            "/dev/stdin",
        ]);
        install.args(&pip_args.location);
        install.args(pinned_install_words(pip_args));
        verbosity(&mut install, pip_args.verbosity);
        install.stdin(std::process::Stdio::piped());
        // Not started is not an error: the install then runs the ordinary way.
        install
            .spawn()
            .ok()
            .map(|child| Prestarted { child: Some(child) })
    }

    /// Hands pip its requirements and waits for it.
    async fn feed(mut self, requirements: String) -> Result<u8, InstallError> {
        let Some(mut child) = self.child.take() else {
            return Err(InstallError::Io("pip's install process is gone".into()));
        };
        let status = tokio::task::spawn_blocking(move || {
            use std::io::Write;
            if let Some(mut stdin) = child.stdin.take() {
                // pip may have exited already (its status says why); a broken pipe is not ours.
                let _ = stdin.write_all(requirements.as_bytes());
            }
            child.wait()
        })
        .await
        .map_err(|e| InstallError::Io(e.to_string()))?
        .map_err(|e| InstallError::Io(format!("cannot run pip: {e}")))?;
        Ok(status.code().map_or(exit::FAILED, |c| c as u8))
    }
}

impl Drop for Prestarted {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Vets a resolved set: each package, its version, and the verdict on its file.
async fn vet_set(
    gate: &Arc<Gate>,
    set: &[(String, String, Candidate)],
) -> Vec<(String, String, Arc<Vetted>)> {
    let vetted = vet_all(gate, set.iter().map(|(_, _, c)| c)).await;
    set.iter()
        .zip(vetted)
        .map(|((name, version, _), v)| (name.clone(), version.clone(), v))
        .collect()
}

/// What the install step installs.
enum InstallSet {
    /// The resolved set, pinned by pyprov to the vetted files' hashes (pip already started,
    /// when it could be).
    Pinned(Option<Prestarted>),
    /// The user's hash-pinned requirements, as given.
    UserFiles,
}

struct Plan {
    pinned: Vec<(String, String, Arc<Vetted>)>,
    /// What pip's report says of each pinned item (requested, direct), in the same order;
    /// empty when pip resolves the user's own files itself.
    marks: Vec<marks::Mark>,
    /// Files pip fetched during resolution that are not in the resolved set (build
    /// dependencies): reported, and staged for the install step's builds.
    extra: Vec<Arc<Vetted>>,
    local: Vec<(String, String, bool)>,
    install: InstallSet,
}

#[derive(Clone, Copy)]
struct Ctx<'a> {
    gate: &'a Arc<Gate>,
    pip: &'a Pip,
    pip_args: &'a args::PipArgs,
    reqs: &'a reqs::Requirements,
    work: &'a Path,
    mode: Mode,
    proxy: &'a proxy::Proxy,
}

/// Reports every verdict, then (when all passed) stages the vetted files and runs pip on them.
async fn complete(ctx: Ctx<'_>, plan: Plan, mut run: RunReport) -> Result<u8, InstallError> {
    // Everything vetted: the resolved set and what pip fetched during resolution (build
    // dependencies are never in pip's report, but the install step needs them too).
    let Ctx {
        gate,
        pip,
        pip_args,
        reqs,
        work,
        mode,
        proxy,
    } = ctx;
    let Plan {
        pinned,
        marks,
        extra,
        local,
        install: install_set,
    } = plan;
    let mut all: Vec<Arc<Vetted>> = pinned.iter().map(|(_, _, v)| v.clone()).collect();
    for v in extra {
        if !all
            .iter()
            .any(|a| a.filename == v.filename && a.sha256 == v.sha256)
        {
            all.push(v);
        }
    }
    for v in all.iter().chain(proxy.outside().iter()) {
        run.rows.push(Row::from_vetted(v));
    }
    for (name, url, editable) in &local {
        run.rows.push(Row::local(name, url, *editable));
    }
    if run.any_denied() || pinned.iter().any(|(_, _, v)| !v.allowed()) {
        run.print();
        return Ok(exit::FAILED);
    }

    let vetted_dir = work.join("vetted");
    std::fs::create_dir_all(&vetted_dir).map_err(|e| InstallError::Io(e.to_string()))?;
    for v in all.iter().filter(|v| v.allowed()) {
        if let Some(path) = &v.path {
            link_or_copy(path, &vetted_dir.join(&v.filename))
                .map_err(|e| InstallError::Io(format!("cannot stage {}: {e}", v.filename)))?;
        }
    }

    if pip_args.dry_run {
        run.note("--dry-run: verified, nothing installed");
        run.print();
        return Ok(exit::OK);
    }
    if mode == Mode::Download {
        let dest = pip_args.dest.clone().unwrap_or_default();
        std::fs::create_dir_all(&dest).map_err(|e| InstallError::Io(e.to_string()))?;
        for (_, _, v) in &pinned {
            if let Some(path) = &v.path {
                std::fs::copy(path, dest.join(&v.filename)).map_err(|e| {
                    InstallError::Io(format!("cannot write {}: {e}", dest.display()))
                })?;
            }
        }
        run.note(&format!(
            "saved {} vetted files in {}",
            pinned.len(),
            dest.display()
        ));
        let pins_held = pin_publishers(gate, &all, &mut run);
        run.print();
        return Ok(if pins_held { exit::OK } else { exit::FAILED });
    }

    let pinned_file = work.join("pinned.txt");
    let mut text = String::new();
    for (i, (name, version, v)) in pinned.iter().enumerate() {
        // The name and version come from the package's metadata, through pip's report: they
        // become a requirement line only if they are a project name and a version.
        let plain_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        let plain_version = <pep440_rs::Version as std::str::FromStr>::from_str(version).is_ok()
            && !version.contains(char::is_whitespace);
        if !(plain_name && plain_version) {
            return Err(InstallError::Usage(format!(
                "pip resolved {} {} (from {}), which is not a project name and version pyprov can pin; nothing was installed",
                crate::output::term(name),
                crate::output::term(version),
                crate::output::term(&v.filename)
            )));
        }
        // A direct requirement stays one (pip then writes its direct_url.json, of the vetted
        // copy's URL, which the marks step points back at the user's).
        let direct = marks.get(i).and_then(|m| m.direct_url.as_deref());
        // An sdist the gate built during resolution is installed as that wheel.
        if let Some(built) = direct.is_none().then(|| proxy.built(&v.sha256)).flatten() {
            link_or_copy(&built.path, &vetted_dir.join(&built.filename))
                .map_err(|e| InstallError::Io(format!("cannot stage {}: {e}", built.filename)))?;
            text.push_str(&format!(
                "{name}=={version} --hash=sha256:{}\n",
                built.sha256
            ));
            continue;
        }
        match direct.and_then(|_| Url::from_file_path(vetted_dir.join(&v.filename)).ok()) {
            Some(file) => {
                let fragment = direct
                    .and_then(|d| d.split_once('#'))
                    .map(|(_, f)| format!("#{f}"))
                    .unwrap_or_default();
                text.push_str(&format!(
                    "{name} @ {file}{fragment} --hash=sha256:{}\n",
                    v.sha256
                ));
            }
            None => text.push_str(&format!("{name}=={version} --hash=sha256:{}\n", v.sha256)),
        }
    }
    std::fs::write(&pinned_file, &text).map_err(|e| InstallError::Io(e.to_string()))?;
    if pinned.is_empty() && local.is_empty() && marks.is_empty() {
        run.note("nothing to install: what is installed already satisfies the requirements");
    }
    run.show_verdicts();
    let mut status = 0;
    let install_started = std::time::SystemTime::now();
    let install_set = match install_set {
        InstallSet::Pinned(Some(started)) if !pinned.is_empty() => {
            status = started.feed(text).await?;
            None
        }
        other => Some(other),
    };
    if let Some(install_set) = install_set.filter(|_| !pinned.is_empty()) {
        let mut install = pip.command(
            "install",
            IndexEnv::Vetted(&vetted_dir),
            proxy.proxy_url.as_str(),
        );
        install.args(["--require-hashes"]);
        let pinned_set = matches!(install_set, InstallSet::Pinned(_));
        match install_set {
            // pip's resolution is already done: exactly these files, nothing more.
            InstallSet::Pinned(_) => {
                install.args(["--no-deps", "--force-reinstall", "-r"]);
                install.arg(&pinned_file);
            }
            // The user's own hash-pinned files, sanitized: pip checks every hash itself.
            InstallSet::UserFiles => {
                for f in &reqs.requirement_files {
                    install.arg("-r").arg(f);
                }
                for f in &reqs.constraint_files {
                    install.arg("-c").arg(f);
                }
                install.args(&pip_args.requirements);
            }
        }
        install.args(&pip_args.location);
        if pinned_set {
            install.args(pinned_install_words(pip_args));
        } else {
            install.args(&pip_args.install);
        }
        verbosity(&mut install, pip_args.verbosity);
        status = run_pip(install).await?;
    }
    if status == 0 {
        for (_, url, editable) in &local {
            let mut install = pip.command(
                "install",
                IndexEnv::Vetted(&vetted_dir),
                proxy.proxy_url.as_str(),
            );
            install.args(["--no-deps"]);
            install.args(&pip_args.location);
            install.args(&pip_args.install);
            verbosity(&mut install, pip_args.verbosity);
            if *editable {
                install.arg("-e");
            }
            install.arg(local_target(url));
            status = run_pip(install).await?;
            if status != 0 {
                break;
            }
        }
    }
    if status == 0 {
        if let Err(e) = marks::apply(pip, &pip_args.install_location, &marks, install_started) {
            run.note(&format!("warning: {e}"));
        }
    }
    // What pip asked for around the gate while installing (a build requirement of a vetted
    // sdist, say) was refused; say what, even if pip got by without it.
    let late = proxy.outside();
    let seen = run.rows.len();
    for v in &late {
        if !run.rows.iter().take(seen).any(|r| r.file == v.filename) {
            run.rows.push(Row::from_vetted(v));
        }
    }
    if run.any_denied() {
        run.note("pip asked for something around the gate while installing; it was refused");
        run.finish();
        return Ok(if status == 0 { exit::FAILED } else { status });
    }
    if status != 0 {
        run.note(&format!(
            "pip failed (exit {status}) after verification passed"
        ));
        run.finish();
        return Ok(status);
    }
    run.installed = true;
    // Another process may have pinned a package first, to another publisher: then the file
    // just installed is not what the trust file now allows, and the run says so.
    let pins_held = pin_publishers(gate, &all, &mut run);
    run.finish();
    Ok(if pins_held { exit::OK } else { exit::FAILED })
}

fn requirement_args(
    cmd: &mut std::process::Command,
    pip_args: &args::PipArgs,
    reqs: &reqs::Requirements,
) {
    for f in &reqs.requirement_files {
        cmd.arg("-r").arg(f);
    }
    for f in &reqs.constraint_files {
        cmd.arg("-c").arg(f);
    }
    for e in &pip_args.editables {
        cmd.arg("-e").arg(e);
    }
    cmd.args(&pip_args.requirements);
    if pip_args.no_deps {
        cmd.arg("--no-deps");
    }
    if pip_args.require_hashes {
        cmd.arg("--require-hashes");
    }
}

/// The install options for a set pinned file by file: the files are chosen already, so the
/// options that choose between a wheel and an sdist (`--no-binary`, `--only-binary`,
/// `--prefer-binary`) are left out; they would turn away the wheel the gate built from a vetted
/// sdist, whose hash is the pin.
fn pinned_install_words(pip_args: &args::PipArgs) -> Vec<String> {
    pip_args
        .install
        .iter()
        .filter(|w| {
            !(w.starts_with("--no-binary=")
                || w.starts_with("--only-binary=")
                || *w == "--prefer-binary")
        })
        .cloned()
        .collect()
}

/// The URL the user's requirements or indexes give for a file pip fetched from the gate at
/// `served` (fragment and all): a direct URL pyprov pointed at the gate, or a file the gate
/// listed or fetched for pip. `None` for a URL that is not the gate's.
fn user_url(served: &str, proxy: &proxy::Proxy, rewrites: &[(String, String)]) -> Option<String> {
    rewrites
        .iter()
        .find(|(_, to)| to.split('#').next() == Some(served))
        .map(|(from, _)| from.clone())
        .or_else(|| proxy.candidate_for(served).map(|c| c.link.url.to_string()))
}

/// pip's report with each file's URL as the user's indexes and requirements name it: pip saw
/// the gate's addresses (`http://127.0.0.1:PORT/files/N/…`), which mean nothing after the run.
fn with_real_urls(report: &[u8], proxy: &proxy::Proxy, rewrites: &[(String, String)]) -> Vec<u8> {
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(report) else {
        return report.to_vec();
    };
    let items = value
        .get_mut("install")
        .and_then(serde_json::Value::as_array_mut);
    for item in items.into_iter().flatten() {
        let Some(url) = item.pointer_mut("/download_info/url") else {
            continue;
        };
        let Some(shown) = url.as_str() else { continue };
        if let Some(real) = user_url(shown, proxy, rewrites) {
            let real = real.split('#').next().unwrap_or(&real).to_string();
            *url = serde_json::Value::String(real);
        }
    }
    let mut out = serde_json::to_vec_pretty(&value).unwrap_or_else(|_| report.to_vec());
    out.push(b'\n');
    out
}

/// `--report FILE`: pip's report where the user asked for it (`-`, as for pip, is stdout). A
/// file that cannot be written stops the run before anything is installed, as pip's own
/// `--report` would.
fn write_user_report(path: &str, bytes: &[u8]) -> Result<(), InstallError> {
    if path == "-" {
        use std::io::Write;
        return std::io::stdout()
            .lock()
            .write_all(bytes)
            .map_err(|e| InstallError::Io(format!("cannot write the --report to stdout: {e}")));
    }
    std::fs::write(path, bytes).map_err(|e| {
        InstallError::Io(format!(
            "cannot write the --report file {path}: {e}\n  fix: name a file in a directory that exists and you can write"
        ))
    })
}

fn verbosity(cmd: &mut std::process::Command, v: i32) {
    for _ in 0..v.unsigned_abs() {
        cmd.arg(if v < 0 { "-q" } else { "-v" });
    }
}

async fn run_pip(mut cmd: std::process::Command) -> Result<u8, InstallError> {
    let status = tokio::task::spawn_blocking(move || cmd.status())
        .await
        .map_err(|e| InstallError::Io(e.to_string()))?
        .map_err(|e| InstallError::Io(format!("cannot run pip: {e}")))?;
    Ok(status.code().map_or(exit::FAILED, |c| c as u8))
}

fn local_target(url: &str) -> String {
    if let Ok(u) = Url::parse(url) {
        if u.scheme() == "file" {
            if let Ok(p) = u.to_file_path() {
                return p.display().to_string();
            }
        }
    }
    url.to_string()
}

/// A file pip resolved from outside pyprov's index: a local archive (`file://`), or a direct
/// URL the pre-check allowed.
fn direct_candidate(url: &str, sha256: Option<&str>) -> Option<Candidate> {
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
        },
        origin,
    })
}

fn link_or_copy(from: &Path, to: &Path) -> std::io::Result<()> {
    if to.exists() {
        return Ok(());
    }
    std::fs::hard_link(from, to).or_else(|_| std::fs::copy(from, to).map(|_| ()))
}

/// Trust on first use, after success: packages seen for the first time are pinned to the
/// publisher their certificate proved, and the report says what the trust file pins once the
/// write is done (re-read under its lock). Every file of a pinned package is judged against
/// that pin: when another pyprov pinned the package first with another publisher, or two files
/// of one package were signed by different publishers, the files the pin does not cover become
/// refusals in the report. Returns false when any file was refused that way.
fn pin_publishers(gate: &Gate, all: &[Arc<Vetted>], run: &mut RunReport) -> bool {
    let Some(path) = gate.policy().source.clone() else {
        return true;
    };
    if let Err(e) = TrustFile::load(&path) {
        run.note(&format!("warning: nothing was pinned: {e}"));
        return true;
    }
    let asked: Vec<&Arc<Vetted>> = all.iter().filter(|v| v.decision.pin.is_some()).collect();
    let mut judgements: Vec<Judgement> = asked
        .iter()
        .map(|v| Judgement {
            package: Some(PackageName::normalize(&v.project)),
            observed: v
                .verified
                .clone()
                .map_or(Observed::NoProvenance, Observed::Verified),
            decision: v.decision.clone(),
        })
        .collect();
    let mut judge = gate.judge().clone();
    let mut held = true;
    for settled in judge.settle(&mut judgements) {
        let entry = match &settled.outcome {
            Ok(outcome) => outcome.entry(),
            Err(e) => {
                run.note(&format!("warning: could not pin {}: {e}", settled.package));
                continue;
            }
        };
        let pinned_to = entry
            .publishers
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" or ");
        let at = format!("{}:{}", path.display(), entry.line);
        run.note(&if settled.raced() {
            format!("{} was already pinned to {pinned_to} in {at} by another process; its files are judged against that pin", settled.package)
        } else {
            format!("pinned {} to {pinned_to} in {at}", settled.package)
        });
        for i in settled.changed {
            let (Some(w), Some(judged)) = (asked.get(i), judgements.get(i)) else {
                continue;
            };
            let decision = &judged.decision;
            if decision.denied() {
                held = false;
                let already = if run.installed {
                    "pip has already installed it"
                } else {
                    "it is already among the saved files"
                };
                run.note(&format!(
                    "refused after the fact: {}: {} [{}]; {already}",
                    w.filename,
                    decision.message,
                    decision.code.as_str(),
                ));
                run.note(&format!("    fix: {}", decision.fix));
            }
            let mut rejudged = Vetted::clone(w);
            rejudged.decision = decision.clone();
            if let Some(row) = run
                .rows
                .iter_mut()
                .find(|r| r.file == w.filename && r.package == w.project)
            {
                *row = Row::from_vetted(&rejudged);
            }
        }
    }
    held
}
