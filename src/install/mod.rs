//! `pyprov install` and `pyprov download`: resolve with the real pip against pyprov's verifying
//! index, vet every file pip fetched or would install, and hand pip only the vetted bytes.
//!
//! A run is three steps (`docs/architecture.md`, "The install pipeline"):
//!
//! 1. **Settings** ([`settings`]): pyprov's flags, pip's options and configuration, the
//!    requirements files (read first: index options inside them are taken out, since pyprov
//!    serves those indexes itself), the sources and the trust file, resolved once. Direct URLs
//!    and VCS links, which pip would fetch around any index, are then decided up front like
//!    unattested files ([`upfront`]).
//! 2. **Strategy** ([`strategy`]): hash-pinned requirements (pyprov picks each file), a stored
//!    resolution whose inputs are unchanged, or `pip install --dry-run --report` against the
//!    verifying index (`proxy`), so every file pip downloads during resolution is verified and
//!    allowed before its first byte reaches pip. Every file of the resolved set is vetted
//!    (fetched once, in parallel).
//! 3. **Execution** ([`execute`]): all verdicts are reported together (one refusal refuses the
//!    whole install); pip installs from a directory holding only vetted files, with
//!    `--no-index`, pinned by sha256 with `--require-hashes`.

pub(crate) mod args;
pub(crate) mod build;
mod dryrun;
mod execute;
pub(crate) mod fromlock;
pub(crate) mod gate;
pub mod inputs;
pub(crate) mod locked;
pub mod lockrun;
pub(crate) mod marks;
pub(crate) mod pip;
pub(crate) mod proxy;
pub(crate) mod report;
pub mod reqs;
pub(crate) mod reuse;
mod settings;
pub(crate) mod sources;
mod strategy;
mod upfront;

use std::path::PathBuf;
use std::sync::Arc;

use crate::cli::OwnFlags;
use crate::exit;
use crate::index::IndexError;
use crate::judge::Judgement;
use crate::trust::policy::Observed;
use crate::trust::{self as trustfile, TrustFile};
use crate::vocab::PackageName;
use gate::{Gate, Vetted};
use report::{Row, RunReport};
use settings::Settings;
use strategy::{Planned, Strategy};
use upfront::Rewrites;

pub use settings::ChosenPip;

pub const DEFAULT_INDEX: &str = "https://pypi.org/simple/";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Install,
    Download,
    /// `pyprov lock`: resolve and vet, install nothing.
    Lock,
}

impl Mode {
    /// The pip command whose options and configuration apply.
    pub fn command(self) -> crate::pipopts::Command {
        match self {
            Mode::Install => crate::pipopts::Command::Install,
            Mode::Download => crate::pipopts::Command::Download,
            Mode::Lock => crate::pipopts::Command::Lock,
        }
    }
}

/// Failures before any verdict: exit status 2.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error(transparent)]
    Args(#[from] args::ArgError),
    #[error(transparent)]
    Pip(#[from] pip::PipError),
    #[error(transparent)]
    Requirements(#[from] reqs::ReqError),
    /// `-r pylock.toml`: the lock cannot be read or installed here.
    #[error(transparent)]
    Lock(#[from] fromlock::FromLockError),
    #[error(transparent)]
    Inputs(#[from] inputs::InputError),
    #[error(transparent)]
    Trust(#[from] trustfile::TrustFileError),
    #[error("pyprov download needs -d DIR: where to put the vetted files")]
    NoDownloadDir,
    #[error("--report - and --format json would both write JSON to stdout\n  fix: name a file for --report")]
    ReportAndJson,
    #[error("--unattested (PYPROV_UNATTESTED) is deny, warn or allow, not {0}")]
    Unattested(String),
    #[error("{0}")]
    TrustedRoot(#[source] crate::files::FileError),
    #[error("index URL {shown} is not a URL: {source}")]
    IndexUrl {
        shown: String,
        #[source]
        source: url::ParseError,
    },
    #[error("--find-links {shown}: {source}")]
    FindLinks {
        shown: String,
        #[source]
        source: url::ParseError,
    },
    #[error("--provenance-index {shown}: {source}")]
    ProvenanceIndex {
        shown: String,
        #[source]
        source: url::ParseError,
    },
    /// A provenance index that is neither an index's `/simple/` nor its `/integrity/`: there
    /// is no Integrity API to ask under it.
    #[error("--provenance-index {shown}: no Integrity API to ask there\n  pyprov asks HOST/integrity/PROJECT/VERSION/FILE/provenance beside HOST/simple/,\n  and this URL ends in neither /simple/ nor /integrity/\n  fix: did you mean `--provenance-index {meant}`?")]
    ProvenanceIndexNotSimple { shown: String, meant: String },
    /// `--cert` or `--client-cert` names a file that cannot be read.
    #[error("{flag} {path}: {source}")]
    TlsFile {
        flag: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Client(#[source] IndexError),
    #[error("cannot use the cache at {}: {source}", path.display())]
    Cache {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the verifying index: {0}")]
    Gate(#[source] std::io::Error),
    #[error("{0}")]
    Runtime(#[source] std::io::Error),
    /// The run's temporary directory (requirement copies, vetted files, the pinned set).
    #[error("{0}")]
    Scratch(#[source] std::io::Error),
    #[error("{0}")]
    WorkingDirectory(#[source] std::io::Error),
    /// pip's `--report` of its dry run.
    #[error("{0}")]
    PipReport(#[source] std::io::Error),
    #[error("cannot write the --report to stdout: {0}")]
    ReportStdout(#[source] std::io::Error),
    #[error("cannot write the --report file {path}: {source}\n  fix: name a file in a directory that exists and you can write")]
    ReportFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot run {program}: {source}")]
    RunPip {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("pip's install process is gone")]
    PipGone,
    #[error("{0}")]
    Join(#[source] tokio::task::JoinError),
    #[error("cannot stage {file}: {source}")]
    Stage {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// `download`'s `-d` directory cannot be made.
    #[error("{0}")]
    Destination(#[source] std::io::Error),
    #[error("cannot write {}: {source}", dir.display())]
    Save {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("pyprov lock cannot lock {name} from the local directory {url}: a lock records files pyprov verified\n  fix: build it into a wheel first, or leave it out of the locked requirements")]
    LockLocal { name: String, url: String },
    /// The lock `pyprov lock --check` checks cannot be read.
    #[error("{0}")]
    LockFile(#[source] lockrun::ReadError),
    #[error("pip resolved {name} from {url}, which pyprov cannot fetch")]
    Unfetchable { name: String, url: String },
    #[error(
        "pip resolved {} {} (from {}), which is not a project name and version pyprov can pin; nothing was installed",
        crate::output::term(name),
        crate::output::term(version),
        crate::output::term(file)
    )]
    NotPinnable {
        name: String,
        version: String,
        file: String,
    },
}

/// Runs `pyprov install|download ARGS...`, returning the exit status. `real_pip` is the pip the
/// drop-in chose; `pyprov install` finds its own.
pub fn run(
    own: OwnFlags,
    real_pip: ChosenPip,
    raw: &[String],
    mode: Mode,
) -> Result<u8, InstallError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(InstallError::Runtime)?;
    runtime.block_on(run_async(own, real_pip, raw, mode))
}

/// What every step after the settings works with.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    settings: &'a Settings,
    gate: &'a Arc<Gate>,
    proxy: &'a proxy::Proxy,
    /// The direct URLs decided up front, and the gate's URLs pip was given for them.
    rewrites: &'a Rewrites,
}

async fn run_async(
    own: OwnFlags,
    real_pip: ChosenPip,
    raw: &[String],
    mode: Mode,
) -> Result<u8, InstallError> {
    let (mut settings, gate) = Settings::resolve(own, real_pip, raw, mode)?;
    let gate = Arc::new(gate);
    // Every pip process pyprov runs has this server as its only proxy, from the first to the
    // last: whatever it is told, nothing reaches pip that the gate did not vet.
    let proxy = proxy::Proxy::start(
        gate.clone(),
        settings.client.clone(),
        settings.sources.origins.clone(),
    )
    .await
    .map_err(InstallError::Gate)?;
    let mut run = RunReport::new(settings.policy.source.clone(), settings.format);
    run.verbose = settings.pip_args.verbosity > 0;
    report::set_verbosity(settings.pip_args.verbosity);

    let rewrites = upfront::decide(&settings, &gate, &proxy, &mut run);
    // Only refusals are rows here: an allowed URL is reported once its file is vetted.
    if run.any_denied() {
        proxy.stop().await;
        run.print();
        return Ok(exit::FAILED);
    }
    settings.rewrite(&rewrites.0)?;
    let ctx = Ctx {
        settings: &settings,
        gate: &gate,
        proxy: &proxy,
        rewrites: &rewrites,
    };
    let strategy = Strategy::choose(&ctx).await;
    match strategy.plan(&ctx, &mut run).await? {
        Planned::Plan(plan) => execute::complete(&ctx, plan, run).await,
        Planned::Done(status) => Ok(status),
    }
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
    let asked: Vec<&Arc<Vetted>> = all.iter().filter(|v| v.decision.pin.is_some()).collect();
    if asked.is_empty() {
        return true;
    }
    if let Err(e) = TrustFile::load(&path) {
        run.note(&format!("warning: nothing was pinned: {e}"));
        return true;
    }
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
