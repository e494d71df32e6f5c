//! Every setting of one run, resolved once and before anything is fetched: pyprov's own flags
//! (clap's, with their variables), pip's options (command line over pip's configuration, which
//! `Pip::locate` reads through pip's own parser), the requirements files (sanitized copies), the
//! sources, and the trust file with the policy it gives. The gate is made from them last.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use url::Url;

use super::args::{self, PipArgs};
use super::fromlock;
use super::gate::Gate;
use super::inputs;
use super::pip::{self, Pip};
use super::reqs::{self, Requirements};
use super::sources::{self, Sources};
use super::{InstallError, Mode};
use crate::cache::{self, Cache};
use crate::cli::{Format, OwnFlags};
use crate::index::{self, Client};
use crate::trust::{self as trustfile, Policy, TrustFile};

/// The real pip the drop-in chose (program and leading arguments); `None` for `pyprov install`.
pub type ChosenPip = Option<(PathBuf, Vec<String>)>;

/// One run's settings.
pub(crate) struct Settings {
    pub(crate) mode: Mode,
    pub(crate) format: Format,
    /// The real pip, its version, its configuration and what its interpreter runs on.
    pub(crate) pip: Pip,
    pub(crate) pip_args: PipArgs,
    /// The run's scratch directory: sanitized requirement copies, vetted files, built wheels.
    pub(crate) work: tempfile::TempDir,
    pub(crate) reqs: Requirements,
    /// `-r pylock.toml`: the lock pyprov installs from, read (pip never sees it).
    pub(crate) lock: Option<fromlock::LockRequest>,
    pub(crate) sources: Sources,
    pub(crate) policy: Policy,
    pub(crate) client: Client,
    pub(crate) cache_root: PathBuf,
}

impl Settings {
    /// Resolves every setting, in the order their errors have always been reported, and makes
    /// the gate that judges by them.
    pub(crate) fn resolve(
        own: OwnFlags,
        real_pip: ChosenPip,
        raw: &[String],
        mode: Mode,
    ) -> Result<(Settings, Gate), InstallError> {
        Settings::resolve_needing(own, real_pip, raw, mode, true)
    }

    /// The settings of `pyprov lock --check` / `-r LOCK`, whose input is an existing lock,
    /// taken out of pip's words before this: no requirement is needed.
    pub(crate) fn resolve_for_a_lock(
        own: OwnFlags,
        raw: &[String],
    ) -> Result<(Settings, Gate), InstallError> {
        Settings::resolve_needing(own, None, raw, Mode::Lock, false)
    }

    fn resolve_needing(
        own: OwnFlags,
        real_pip: ChosenPip,
        raw: &[String],
        mode: Mode,
        needs_requirements: bool,
    ) -> Result<(Settings, Gate), InstallError> {
        let command = mode.command();
        let (own, parsed) = args::parse(own, raw, command)?;
        let cwd = std::env::current_dir().map_err(InstallError::WorkingDirectory)?;
        require_trust_file_when_locked(&own, &cwd)?;
        let isolated = args::isolated(raw);
        let mut pip = Pip::locate(
            own.python.as_deref(),
            real_pip.as_ref(),
            command.pip_name(),
            isolated,
        )?;
        let mut pip_args = args::build(parsed, &pip.config, command)?;
        let program = if real_pip.is_some() { "pip" } else { "pyprov" };
        if needs_requirements {
            args::require_something(&pip_args, command, program)?;
        }
        check_destination(&mut pip_args, mode, real_pip.is_some())?;
        if pip_args.report.as_deref() == Some("-") && own.format == Format::Json {
            return Err(InstallError::ReportAndJson);
        }
        let work = scratch(&mut pip)?;
        let lock = fromlock::take(&mut pip_args)?;
        let reqs = inputs::gather(&mut pip_args, &pip, &work.path().join("requirements"))?;
        let sources = sources::gather(&pip_args, &reqs)?;
        let trust = TrustFile::discover(&cwd, own.trust.trust_file.as_deref())?;
        let policy = policy(trust.as_ref(), &own)?;
        let engine = crate::files::load_engine(own.trusted_root.as_deref())
            .map_err(InstallError::TrustedRoot)?;
        let client = client(&pip_args, &reqs)?;
        let cache_root = cache_root(&own, work.path());
        let cache = Cache::open(&cache_root).map_err(|source| InstallError::Cache {
            path: cache_root.clone(),
            source,
        })?;
        let provenance_index = provenance_index(&own, &policy)?;
        let gate = Gate::new(
            client.clone(),
            Arc::new(engine),
            cache,
            trust,
            policy.clone(),
            provenance_index,
        );
        let settings = Settings {
            mode,
            format: own.format,
            pip,
            pip_args,
            work,
            reqs,
            lock,
            sources,
            policy,
            client,
            cache_root,
        };
        Ok((settings, gate))
    }

    pub(crate) fn work(&self) -> &Path {
        self.work.path()
    }

    /// Where pip's dry run and the install step find the vetted files.
    pub(crate) fn vetted_dir(&self) -> Result<PathBuf, InstallError> {
        let dir = self.work().join("vetted");
        std::fs::create_dir_all(&dir).map_err(InstallError::Scratch)?;
        Ok(dir)
    }

    /// Points every requirement pyprov decided up front at the gate's URL for it.
    pub(crate) fn rewrite(&mut self, rewrites: &[(String, String)]) -> Result<(), InstallError> {
        for (from, to) in rewrites {
            reqs::rewrite(&self.reqs, from, to)?;
            for r in self.pip_args.requirements.iter_mut() {
                *r = r.replace(from.as_str(), to);
            }
        }
        Ok(())
    }
}

/// `pip download` without `-d` means the working directory, as in pip, when pyprov is the
/// drop-in pip; `pyprov download` asks for it.
fn check_destination(
    pip_args: &mut PipArgs,
    mode: Mode,
    drop_in: bool,
) -> Result<(), InstallError> {
    if mode == Mode::Download && pip_args.dest.is_none() {
        if !drop_in {
            return Err(InstallError::NoDownloadDir);
        }
        pip_args.dest = Some(PathBuf::from("."));
    }
    Ok(())
}

/// The run's temporary directory, with a directory for the sanitized requirement copies and the
/// refusing VCS stand-ins pip finds first on its PATH.
fn scratch(pip: &mut Pip) -> Result<tempfile::TempDir, InstallError> {
    let work = tempfile::tempdir().map_err(InstallError::Scratch)?;
    std::fs::create_dir_all(work.path().join("requirements")).map_err(InstallError::Scratch)?;
    let stubs = work.path().join("vcs-stubs");
    pip::write_vcs_stubs(&stubs).map_err(InstallError::Scratch)?;
    pip.vcs_stubs = Some(stubs);
    Ok(work)
}

/// A locked run without a trust file is refused before pip is looked for or anything fetched
/// (a `--trust-file` that does not exist is refused when it is read, below).
fn require_trust_file_when_locked(own: &OwnFlags, cwd: &Path) -> Result<(), InstallError> {
    let locked = trustfile::resolve_locked(own.trust.locked);
    if !locked || own.trust.trust_file.is_some() {
        return Ok(());
    }
    let found = trustfile::find(cwd)?.is_some();
    Ok(trustfile::require_when_locked(
        found,
        cwd,
        locked,
        own.trust.locked,
    )?)
}

/// The trust file's policy (or the one without a trust file), with `--locked` and
/// `--unattested` over it.
fn policy(trust: Option<&TrustFile>, own: &OwnFlags) -> Result<Policy, InstallError> {
    let mut policy = trust
        .map(|t| t.policy().clone())
        .unwrap_or_else(Policy::without_trust_file);
    policy.locked = trustfile::resolve_locked(own.trust.locked);
    if let Some(v) = &own.unattested {
        policy.unattested = match v.as_str() {
            "deny" => trustfile::Unattested::Deny,
            "warn" => trustfile::Unattested::Warn,
            "allow" => trustfile::Unattested::Allow,
            other => return Err(InstallError::Unattested(other.to_string())),
        };
    }
    Ok(policy)
}

/// pyprov's own HTTP client, with pip's TLS and proxy settings and the requirements files'
/// trusted hosts.
fn client(pip_args: &PipArgs, reqs: &Requirements) -> Result<Client, InstallError> {
    let mut tls = sources::tls_settings(pip_args)?;
    tls.trusted_hosts.extend(reqs.trusted_hosts.iter().cloned());
    Client::new(&tls).map_err(InstallError::Client)
}

/// `--no-cache` keeps the cache in the run's scratch directory, gone when the run ends.
fn cache_root(own: &OwnFlags, work: &Path) -> PathBuf {
    match (&own.cache_dir, own.no_cache) {
        (_, true) => work.join("cache"),
        (Some(d), false) => d.clone(),
        (None, false) => cache::default_dir().unwrap_or_else(|| work.join("cache")),
    }
}

/// `--provenance-index`, else the trust file's, as a base URL.
fn provenance_index(own: &OwnFlags, policy: &Policy) -> Result<Option<Url>, InstallError> {
    let Some(s) = own
        .provenance_index
        .as_deref()
        .or(policy.provenance_index.as_deref())
    else {
        return Ok(None);
    };
    let with_slash = if s.ends_with('/') {
        s.to_string()
    } else {
        format!("{s}/")
    };
    let url = Url::parse(&with_slash).map_err(|source| InstallError::ProvenanceIndex {
        shown: index::redact_text(s),
        source,
    })?;
    if index::integrity_base(&url).is_none() && !url.path().ends_with("/integrity/") {
        return Err(InstallError::ProvenanceIndexNotSimple {
            shown: index::redact_text(s),
            meant: index::redact_text(&format!("{with_slash}simple/")),
        });
    }
    Ok(Some(url))
}
