//! The strategy of last resort: `pip install --dry-run --report` against the gate, so every file
//! pip downloads while it resolves (sdists it builds for metadata, their build dependencies) is
//! verified and allowed before its first byte reaches pip. Every file of the resolved set is
//! then vetted, and the resolution is stored for reuse.

use std::collections::HashSet;
use std::path::Path;

use url::Url;

use super::execute::{InstallSet, Local, Plan, Prestarted};
use super::gate::Candidate;
use super::marks::Mark;
use super::pip::{self, IndexEnv, ReportItem};
use super::proxy::Proxy;
use super::report::{self, Row, RunReport};
use super::reqs::{ReqKind, Requirements};
use super::settings::Settings;
use super::strategy::{vet_all, vet_set, write_user_report, Pending, Planned};
use super::upfront::{direct_candidate, Rewrites};
use super::{build, reuse, Ctx, InstallError, Mode};
use crate::exit;
use crate::index;
use crate::trust::policy;
use crate::vocab::PackageName;

/// Runs pip's dry run and plans the install of what it resolved.
pub(crate) async fn resolve(
    ctx: &Ctx<'_>,
    store: Option<&Path>,
    run: &mut RunReport,
) -> Result<Planned, InstallError> {
    let s = ctx.settings;
    offer_builds(s, ctx.proxy);
    let report_path = s.work().join("report.json");
    let mut command = resolve_command(s, ctx.proxy, &report_path);
    let vetted_dir = s.vetted_dir()?;
    let prestarted = Prestarted::start_for(s, &vetted_dir, ctx.proxy);
    let spinner = report::spinner("resolving with pip against the verifying index");
    let resolved = tokio::task::spawn_blocking(move || command.output())
        .await
        .map_err(InstallError::Join)?
        .map_err(|source| InstallError::RunPip {
            program: s.pip.display(),
            source,
        })?;
    spinner.finish_and_clear();
    if !resolved.status.success() {
        return Ok(Planned::Done(failed(ctx, &resolved, run).await));
    }
    note_unbuilt(ctx.proxy, run);
    for why in ctx.proxy.unreachable() {
        run.note(&format!(
            "an index could not be read, and pip resolved from the others: {}",
            index::redact_text(&why)
        ));
    }
    let report_bytes = std::fs::read(&report_path).map_err(InstallError::PipReport)?;
    // The user's copy names the files where they are, not where the gate served them.
    let shown_report = with_real_urls(&report_bytes, ctx.proxy, ctx.rewrites);
    if let Some(user_report) = &s.pip_args.report {
        write_user_report(user_report, &shown_report)?;
    }
    let pip_report = pip::parse_report(&report_bytes)?;
    run.satisfied = satisfied(&resolved.stdout, &pip_report.install);
    let items = read_items(ctx, &pip_report.install, run)?;
    let pinned = vet_set(ctx.gate, &items.pending).await;
    let requested = ctx.proxy.requested();
    let extra = vet_all(ctx.gate, requested.iter()).await;
    if let (Some(path), true) = (store, items.local.is_empty()) {
        let stored = Stored {
            items: &items,
            requested: &requested,
            report: &shown_report,
        };
        stored.save(path, ctx.proxy, run);
    }
    Ok(Planned::Plan(Plan {
        pinned,
        candidates: items.pending.into_iter().map(|(_, _, c)| c).collect(),
        marks: items.marks,
        extra,
        local: items.local,
        install: InstallSet::Pinned(prestarted),
    }))
}

/// A vetted sdist is built once, by the gate, when pip asks for its metadata; the install step
/// installs that wheel (a pip that builds sdists for metadata itself never asks). Not for
/// another target (`--platform`, `--python-version`, …): the gate's build would be for this
/// interpreter.
fn offer_builds(s: &Settings, proxy: &Proxy) {
    if s.mode == Mode::Install && !s.pip_args.dry_run && !s.pip_args.targeted {
        proxy.build_sdists(build::Builder {
            pip: s.pip.clone(),
            index_url: proxy.index_url(),
            proxy_url: proxy.proxy_url.clone(),
            options: s.pip_args.build.clone(),
            out: s.work().join("built"),
            verbosity: s.pip_args.verbosity,
        });
    }
}

/// pip's dry run, writing its report to `report_path`.
fn resolve_command(s: &Settings, proxy: &Proxy, report_path: &Path) -> std::process::Command {
    let pip_args = &s.pip_args;
    let mut resolve = s.pip.command(
        "install",
        IndexEnv::Proxy(&proxy.index_url()),
        &proxy.proxy_url,
    );
    resolve.args(["--dry-run", "--report"]);
    resolve.arg(report_path);
    resolve.args(["--progress-bar=off"]);
    // pip download and pip lock resolve as if nothing were installed; pip install against the
    // environment it installs into (what is there and satisfies the requirements stays), as pip
    // would.
    if s.mode != Mode::Install {
        resolve.arg("--ignore-installed");
    }
    requirement_args(&mut resolve, pip_args, &s.reqs);
    resolve.args(&pip_args.location);
    resolve.args(&pip_args.resolve);
    for _ in 0..pip_args.verbosity.max(0) {
        resolve.arg("-v");
    }
    resolve
}

fn requirement_args(
    cmd: &mut std::process::Command,
    pip_args: &super::args::PipArgs,
    reqs: &Requirements,
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

/// pip could not resolve: a refusal of the gate is the reason, or else pip's own words are.
async fn failed(ctx: &Ctx<'_>, resolved: &std::process::Output, run: &mut RunReport) -> u8 {
    let requested = ctx.proxy.requested();
    let refused: Vec<_> = vet_all(ctx.gate, requested.iter())
        .await
        .into_iter()
        .filter(|v| !v.allowed())
        .collect();
    for v in refused.iter().chain(ctx.proxy.outside().iter()) {
        run.rows.push(Row::from_vetted(v));
    }
    run.set_cooldown(ctx.gate, ctx.proxy.withheld());
    if run.any_denied() {
        run.print();
        return exit::FAILED;
    }
    // What pip did not find may be what the cooldown held back: said before pip's words.
    let json = run.format() == crate::cli::Format::Json;
    if let Some(lines) = run.cooldown_lines() {
        if !json {
            eprint!("{lines}");
        }
    }
    for (file, why) in ctx.proxy.build_failures() {
        eprintln!(
            "pyprov could not build {}, which pip needs the metadata of:\n{}",
            crate::output::term(&file),
            crate::output::term_lines(&index::redact_text(&why))
        );
    }
    // An index that could not be read is why pip found nothing: said before pip's words.
    let unreachable = ctx.proxy.unreachable();
    for why in &unreachable {
        eprintln!(
            "pyprov could not read an index pip needed: {}",
            crate::output::term(&index::redact_text(why))
        );
    }
    if !unreachable.is_empty() {
        eprintln!("  fix: {UNREACHABLE_FIX}");
    }
    eprintln!("pip could not resolve the requirements:");
    eprintln!(
        "{}",
        crate::output::term_lines(&index::redact_text(&String::from_utf8_lossy(
            &resolved.stderr
        )))
    );
    let status = resolved.status.code().map_or(exit::USAGE, |c| c as u8);
    if json {
        // The report (with the cooldown, when one held files back) is stdout's one document;
        // pip's words went to stderr above.
        run.note(&format!(
            "pip could not resolve the requirements (exit {status}); its output is on stderr"
        ));
        run.print();
    }
    status
}

const UNREACHABLE_FIX: &str = "check the index URL (-i, --extra-index-url, pip's configuration) and the network; pip's --proxy, --cert, --client-cert and --trusted-host apply to pyprov's own requests";

/// Sdists the gate could not build, whose metadata came from their metadata hook.
fn note_unbuilt(proxy: &Proxy, run: &mut RunReport) {
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
}

/// What pip kept as installed. pip says "already satisfied" of what it then replaces too (pip
/// itself under -U, a backtracked candidate): what its report installs is not kept.
fn satisfied(stdout: &[u8], install: &[ReportItem]) -> Vec<(String, String)> {
    pip::already_satisfied(&String::from_utf8_lossy(stdout))
        .into_iter()
        .filter(|(name, _)| {
            let name = PackageName::normalize(name);
            !install
                .iter()
                .any(|i| PackageName::normalize(&i.metadata.name) == name)
        })
        .collect()
}

/// pip's report with each file's URL as the user's indexes and requirements name it: pip saw
/// the gate's addresses (`http://127.0.0.1:PORT/files/N/…`), which mean nothing after the run.
fn with_real_urls(report: &[u8], proxy: &Proxy, rewrites: &Rewrites) -> Vec<u8> {
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(report) else {
        // Unreadable as JSON: parsing it as pip's report fails right after, and says so.
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
        if let Some(real) = rewrites.user_url(shown, proxy) {
            let real = real.split('#').next().unwrap_or(&real).to_string();
            *url = serde_json::Value::String(real);
        }
    }
    let mut out = serde_json::to_vec_pretty(&value).unwrap_or_else(|_| report.to_vec());
    out.push(b'\n');
    out
}

/// The resolved set read out of pip's report.
struct Items {
    /// The user's own directories, which pip installs itself.
    local: Vec<Local>,
    /// Every other item, with its file.
    pending: Vec<Pending>,
    /// What pip's report says of each pending item, in the same order.
    marks: Vec<Mark>,
}

/// Every item of pip's report, vetted or not yet: rows for what pip read around the gate.
fn read_items(
    ctx: &Ctx<'_>,
    install: &[ReportItem],
    run: &mut RunReport,
) -> Result<Items, InstallError> {
    let named = named_dirs(&ctx.settings.reqs);
    let mut items = Items {
        local: Vec::new(),
        pending: Vec::new(),
        marks: Vec::new(),
    };
    for item in install {
        items.read(ctx, item, &named, run)?;
    }
    Ok(items)
}

/// The directories the user named (`.`, `./proj`, `-e dir`, `file:` paths), as pip reports
/// them: `file://` URLs of their real paths.
fn named_dirs(reqs: &Requirements) -> HashSet<String> {
    reqs.lines
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
        .collect()
}

impl Items {
    /// One item of pip's report: a refusal when pip read it around the gate, else a directory of
    /// the user's or a file to vet.
    fn read(
        &mut self,
        ctx: &Ctx<'_>,
        item: &ReportItem,
        named: &HashSet<String>,
        run: &mut RunReport,
    ) -> Result<(), InstallError> {
        let di = &item.download_info;
        let (name, version) = (&item.metadata.name, &item.metadata.version);
        if di.vcs_info.is_some() || (di.dir_info.is_some() && !named.contains(&di.url)) {
            // A checkout, or a directory nobody named (a `file:` URL in some metadata): pip read
            // it around the gate.
            let d = policy::outside_gate(
                &index::redact_text(&di.url),
                "pip resolved this from a VCS checkout or a directory the command line and requirements did not name",
            );
            run.rows
                .push(Row::from_decision(name, Some(version), &di.url, d));
            return Ok(());
        }
        if let Some(dir) = &di.dir_info {
            self.local.push(Local {
                name: name.clone(),
                url: di.url.clone(),
                editable: dir.editable,
            });
            return Ok(());
        }
        let sha = di.archive_info.as_ref().and_then(pip::ArchiveInfo::sha256);
        let candidate = ctx
            .proxy
            .candidate_for(&di.url)
            .or_else(|| direct_candidate(&di.url, sha.as_deref()))
            .ok_or_else(|| InstallError::Unfetchable {
                name: name.clone(),
                url: index::redact_text(&di.url),
            })?;
        // For a direct requirement, the URL the user gave (before pyprov pointed it at the
        // gate): what pip would have recorded in direct_url.json.
        let direct_url = item.is_direct.then(|| {
            ctx.rewrites
                .user_url(&di.url, ctx.proxy)
                .unwrap_or_else(|| di.url.clone())
        });
        self.marks.push(Mark {
            name: name.clone(),
            version: version.clone(),
            requested: item.requested,
            direct_url,
        });
        self.pending
            .push((name.clone(), version.clone(), candidate));
        Ok(())
    }
}

/// This resolution, for a later run with the same inputs.
struct Stored<'a> {
    items: &'a Items,
    /// Every file pip asked the gate for.
    requested: &'a [Candidate],
    /// pip's report as the user's `--report` gets it.
    report: &'a [u8],
}

impl Stored<'_> {
    /// Stored only when every source answered for every page pip read: a resolution made on
    /// partial pages must not be reused.
    fn save(&self, path: &Path, proxy: &Proxy, run: &RunReport) {
        let Some(pages) = proxy.pages() else {
            return;
        };
        let pending = &self.items.pending;
        let in_set: HashSet<&str> = pending
            .iter()
            .map(|(_, _, c)| c.link.filename.as_str())
            .collect();
        let items = pending
            .iter()
            .zip(&self.items.marks)
            .map(|((name, version, c), m)| reuse::StoredItem {
                name: name.clone(),
                version: version.clone(),
                requested: m.requested,
                direct_url: m.direct_url.clone(),
                link: reuse::StoredLink::from_candidate(c),
            })
            .collect();
        let extra = self
            .requested
            .iter()
            .filter(|c| !in_set.contains(c.link.filename.as_str()))
            .map(reuse::StoredLink::from_candidate)
            .collect();
        reuse::save(
            path,
            &reuse::Stored {
                pages,
                items,
                extra,
                report: String::from_utf8_lossy(self.report).into_owned(),
                satisfied: run.satisfied.clone(),
            },
        );
    }
}
