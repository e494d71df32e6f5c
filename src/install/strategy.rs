//! How the set to install is found, chosen explicitly, then turned into a [`Plan`] of vetted
//! files for the execution step:
//! - hash-pinned requirements need no resolver: pyprov picks each pin's file as pip would
//!   (`locked`);
//! - a stored resolution whose every input and index page is unchanged is what pip's dry run
//!   would say again (`reuse`);
//! - otherwise pip's dry run resolves against the gate (`dryrun`).

use std::path::PathBuf;
use std::sync::Arc;

use super::execute::{InstallSet, Plan, Prestarted};
use super::gate::{Candidate, Gate, Vetted};
use super::report::{self, RunReport};
use super::{dryrun, fromlock, locked, reuse, Ctx, InstallError};

/// A resolved item: project, version, and the file pip would install.
pub(crate) type Pending = (String, String, Candidate);
/// The same with the verdict on its file.
pub(crate) type Pinned = (String, String, Arc<Vetted>);

pub(crate) enum Strategy {
    /// `-r pylock.toml`: the lock says what to install; pyprov selects and vets each file.
    FromLock,
    /// Every requirement is hash-pinned and pyprov chose each file.
    Locked(Vec<Pending>),
    /// A stored resolution that still holds.
    Reuse(reuse::Reusable),
    /// pip's dry run against the gate; its answer is stored at `store` when it may be reused.
    DryRun { store: Option<PathBuf> },
}

/// What a strategy leaves for the execution step.
pub(crate) enum Planned {
    Plan(Plan),
    /// The run is over (pip could not resolve, or something was refused), with this status.
    Done(u8),
}

impl Strategy {
    pub(crate) async fn choose(ctx: &Ctx<'_>) -> Strategy {
        if ctx.settings.lock.is_some() {
            return Strategy::FromLock;
        }
        if let Some(chosen) = locked::candidates(ctx.settings, ctx.gate).await {
            return Strategy::Locked(chosen);
        }
        // A cooldown and `--uploaded-prior-to` cut pages by the clock: unchanged pages resolve
        // to newer files as days pass, so such a resolution is neither stored nor reused.
        let by_the_clock = ctx.gate.any_cooldown()
            || ctx
                .settings
                .pip_args
                .resolve_key
                .iter()
                .any(|a| a.starts_with("--uploaded-prior-to"));
        let store = match by_the_clock {
            true => None,
            false => reuse::store_path(ctx.settings),
        };
        if let Some(path) = &store {
            let s = ctx.settings;
            if let Some(r) = reuse::reusable(path, &s.client, &s.sources.origins).await {
                return Strategy::Reuse(r);
            }
        }
        Strategy::DryRun { store }
    }

    pub(crate) async fn plan(
        self,
        ctx: &Ctx<'_>,
        run: &mut RunReport,
    ) -> Result<Planned, InstallError> {
        match self {
            Strategy::FromLock => match &ctx.settings.lock {
                Some(req) => fromlock::plan(ctx, req).await.map(Planned::Plan),
                None => Ok(Planned::Done(crate::exit::FAILED)),
            },
            Strategy::Locked(chosen) => Ok(Planned::Plan(Plan {
                pinned: vet_set(ctx.gate, &chosen).await,
                candidates: chosen.into_iter().map(|(_, _, c)| c).collect(),
                marks: Vec::new(),
                extra: Vec::new(),
                local: Vec::new(),
                install: InstallSet::UserFiles,
            })),
            Strategy::Reuse(r) => reused(ctx, r, run).await.map(Planned::Plan),
            Strategy::DryRun { store } => dryrun::resolve(ctx, store.as_deref(), run).await,
        }
    }
}

/// A stored resolution, vetted again file by file (from the verified-file cache).
async fn reused(
    ctx: &Ctx<'_>,
    r: reuse::Reusable,
    run: &mut RunReport,
) -> Result<Plan, InstallError> {
    let vetted_dir = ctx.settings.vetted_dir()?;
    let prestarted = Prestarted::start_for(ctx.settings, &vetted_dir, ctx.proxy);
    if let Some(user_report) = &ctx.settings.pip_args.report {
        write_user_report(user_report, r.report.as_bytes())?;
    }
    let pinned = vet_set(ctx.gate, &r.items).await;
    let extra = vet_all(ctx.gate, r.extra.iter()).await;
    run.note("reused the stored resolution: every input and index page is unchanged");
    run.satisfied = r.satisfied;
    Ok(Plan {
        pinned,
        candidates: r.items.into_iter().map(|(_, _, c)| c).collect(),
        marks: r.marks,
        extra,
        local: Vec::new(),
        install: InstallSet::Pinned(prestarted),
    })
}

/// `--report FILE`: pip's report where the user asked for it (`-`, as for pip, is stdout). A
/// file that cannot be written stops the run before anything is installed, as pip's own
/// `--report` would.
pub(crate) fn write_user_report(path: &str, bytes: &[u8]) -> Result<(), InstallError> {
    if path == "-" {
        use std::io::Write;
        return std::io::stdout()
            .lock()
            .write_all(bytes)
            .map_err(InstallError::ReportStdout);
    }
    std::fs::write(path, bytes).map_err(|source| InstallError::ReportFile {
        path: path.to_string(),
        source,
    })
}

/// Downloads in flight at once: enough to fill a fast link, few enough to be polite to an index.
const PARALLEL_FETCHES: usize = 16;

/// Vets candidates in parallel (bounded), in order, with a progress bar.
pub(crate) async fn vet_all<'a>(
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

/// Vets a resolved set: each package, its version, and the verdict on its file.
pub(crate) async fn vet_set(gate: &Arc<Gate>, set: &[Pending]) -> Vec<Pinned> {
    let vetted = vet_all(gate, set.iter().map(|(_, _, c)| c)).await;
    set.iter()
        .zip(vetted)
        .map(|((name, version, _), v)| (name.clone(), version.clone(), v))
        .collect()
}
