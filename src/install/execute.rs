//! Execution: every verdict is reported; when all passed, the vetted files are staged and pip
//! installs exactly them, pinned by sha256 with `--no-index`; then the marks pip writes are made
//! what pip alone would have written, and trust-on-first-use pins are written last.

use std::path::Path;
use std::sync::Arc;

use url::Url;

use super::gate::{Candidate, Vetted};
use super::marks::{self, Mark};
use super::pip::{IndexEnv, Pip};
use super::proxy::Proxy;
use super::report::{Row, RunReport};
use super::settings::Settings;
use super::strategy::Pinned;
use super::{pin_publishers, Ctx, InstallError, Mode};
use crate::exit;

/// What the install step installs.
pub(crate) enum InstallSet {
    /// The resolved set, pinned by pyprov to the vetted files' hashes (pip already started,
    /// when it could be).
    Pinned(Option<Prestarted>),
    /// The user's hash-pinned requirements, as given.
    UserFiles,
}

/// A directory the user named, installed by pip from their own files.
pub(crate) struct Local {
    pub(crate) name: String,
    /// pip's `file://` URL of it.
    pub(crate) url: String,
    pub(crate) editable: bool,
}

/// What a strategy found: the files to install, vetted, and how to install them.
pub(crate) struct Plan {
    pub(crate) pinned: Vec<Pinned>,
    /// The file each pinned item was vetted from, in the same order (what `pyprov lock`
    /// records of it: its index, size, upload time).
    pub(crate) candidates: Vec<Candidate>,
    /// What pip's report says of each pinned item (requested, direct), in the same order;
    /// empty when pip resolves the user's own files itself.
    pub(crate) marks: Vec<Mark>,
    /// Files pip fetched during resolution that are not in the resolved set (build
    /// dependencies): reported, and staged for the install step's builds.
    pub(crate) extra: Vec<Arc<Vetted>>,
    pub(crate) local: Vec<Local>,
    pub(crate) install: InstallSet,
}

/// Reports every verdict, then (when all passed) stages the vetted files and runs pip on them.
pub(crate) async fn complete(
    ctx: &Ctx<'_>,
    plan: Plan,
    mut run: RunReport,
) -> Result<u8, InstallError> {
    let s = ctx.settings;
    let Plan {
        pinned,
        candidates: _,
        marks,
        extra,
        local,
        install,
    } = plan;
    let all = everything_vetted(&pinned, extra);
    for v in all.iter().chain(ctx.proxy.outside().iter()) {
        run.rows.push(Row::from_vetted(v));
    }
    run.set_cooldown(ctx.gate, ctx.proxy.withheld());
    for l in &local {
        run.rows.push(Row::local(&l.name, &l.url, l.editable));
    }
    if run.any_denied() || pinned.iter().any(|(_, _, v)| !v.allowed()) {
        run.print();
        return Ok(exit::FAILED);
    }
    let vetted_dir = stage(s, &all)?;
    if s.pip_args.dry_run {
        run.note("--dry-run: verified, nothing installed");
        run.print();
        return Ok(exit::OK);
    }
    if s.mode == Mode::Download {
        return save_download(ctx, &pinned, &all, run);
    }
    let text = pinned_requirements(ctx.proxy, &vetted_dir, &pinned, &marks)?;
    let pinned_file = s.work().join("pinned.txt");
    std::fs::write(&pinned_file, &text).map_err(InstallError::Scratch)?;
    if pinned.is_empty() && local.is_empty() && marks.is_empty() {
        run.note("nothing to install: what is installed already satisfies the requirements");
    }
    run.show_verdicts();
    let install_started = std::time::SystemTime::now();
    let to_install = Install {
        ctx,
        vetted_dir: &vetted_dir,
    };
    let mut status = match pinned.is_empty() {
        // Nothing pinned: a pip started early is dropped, which ends it.
        true => 0,
        false => to_install.pinned(install, &pinned_file, text).await?,
    };
    if status == 0 {
        status = to_install.local(&local).await?;
    }
    if status == 0 {
        if let Err(e) = marks::apply(
            &s.pip,
            &s.pip_args.install_location,
            &marks,
            install_started,
        ) {
            run.note(&format!("warning: {e}"));
        }
    }
    Ok(finish(ctx, &all, status, run))
}

/// Everything vetted: the resolved set and what pip fetched during resolution (build
/// dependencies are never in pip's report, but the install step needs them too).
pub(crate) fn everything_vetted(pinned: &[Pinned], extra: Vec<Arc<Vetted>>) -> Vec<Arc<Vetted>> {
    let mut all: Vec<Arc<Vetted>> = pinned.iter().map(|(_, _, v)| v.clone()).collect();
    for v in extra {
        if !all
            .iter()
            .any(|a| a.filename == v.filename && a.sha256 == v.sha256)
        {
            all.push(v);
        }
    }
    all
}

/// Links (or copies) every allowed file into the directory pip installs from.
fn stage(s: &Settings, all: &[Arc<Vetted>]) -> Result<std::path::PathBuf, InstallError> {
    let vetted_dir = s.vetted_dir()?;
    for v in all.iter().filter(|v| v.allowed()) {
        if let Some(path) = &v.path {
            link_or_copy(path, &vetted_dir.join(&v.filename)).map_err(|source| {
                InstallError::Stage {
                    file: v.filename.clone(),
                    source,
                }
            })?;
        }
    }
    Ok(vetted_dir)
}

/// `download`: the vetted files of the resolved set, saved where `-d` says.
fn save_download(
    ctx: &Ctx<'_>,
    pinned: &[Pinned],
    all: &[Arc<Vetted>],
    mut run: RunReport,
) -> Result<u8, InstallError> {
    let dest = ctx.settings.pip_args.dest.clone().unwrap_or_default();
    std::fs::create_dir_all(&dest).map_err(InstallError::Destination)?;
    for (_, _, v) in pinned {
        if let Some(path) = &v.path {
            std::fs::copy(path, dest.join(&v.filename)).map_err(|source| InstallError::Save {
                dir: dest.clone(),
                source,
            })?;
        }
    }
    run.note(&format!(
        "saved {} vetted files in {}",
        pinned.len(),
        dest.display()
    ));
    let pins_held = pin_publishers(ctx.gate, all, &mut run);
    run.print();
    Ok(if pins_held { exit::OK } else { exit::FAILED })
}

/// The requirements pip installs the pinned set from: one line per item, pinned by sha256.
fn pinned_requirements(
    proxy: &Proxy,
    vetted_dir: &Path,
    pinned: &[Pinned],
    marks: &[Mark],
) -> Result<String, InstallError> {
    let mut text = String::new();
    for (i, (name, version, v)) in pinned.iter().enumerate() {
        if !pinnable(name, version) {
            return Err(InstallError::NotPinnable {
                name: name.clone(),
                version: version.clone(),
                file: v.filename.clone(),
            });
        }
        // A direct requirement stays one (pip then writes its direct_url.json, of the vetted
        // copy's URL, which the marks step points back at the user's).
        let direct = marks.get(i).and_then(|m| m.direct_url.as_deref());
        text.push_str(&pin_line(proxy, vetted_dir, name, version, v, direct)?);
    }
    Ok(text)
}

/// The name and version come from the package's metadata, through pip's report: they become a
/// requirement line only if they are a project name and a version.
fn pinnable(name: &str, version: &str) -> bool {
    let plain_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    let plain_version = <pep440_rs::Version as std::str::FromStr>::from_str(version).is_ok()
        && !version.contains(char::is_whitespace);
    plain_name && plain_version
}

fn pin_line(
    proxy: &Proxy,
    vetted_dir: &Path,
    name: &str,
    version: &str,
    v: &Vetted,
    direct: Option<&str>,
) -> Result<String, InstallError> {
    // An sdist the gate built during resolution is installed as that wheel.
    if let Some(built) = direct.is_none().then(|| proxy.built(&v.sha256)).flatten() {
        link_or_copy(&built.path, &vetted_dir.join(&built.filename)).map_err(|source| {
            InstallError::Stage {
                file: built.filename.clone(),
                source,
            }
        })?;
        return Ok(format!(
            "{name}=={version} --hash=sha256:{}\n",
            built.sha256
        ));
    }
    Ok(
        match direct.and_then(|_| Url::from_file_path(vetted_dir.join(&v.filename)).ok()) {
            Some(file) => {
                let fragment = direct
                    .and_then(|d| d.split_once('#'))
                    .map(|(_, f)| format!("#{f}"))
                    .unwrap_or_default();
                format!("{name} @ {file}{fragment} --hash=sha256:{}\n", v.sha256)
            }
            None => format!("{name}=={version} --hash=sha256:{}\n", v.sha256),
        },
    )
}

/// The install step's pip runs.
struct Install<'a> {
    ctx: &'a Ctx<'a>,
    vetted_dir: &'a Path,
}

impl Install<'_> {
    fn command(&self) -> std::process::Command {
        let s = self.ctx.settings;
        let mut cmd = s.pip.command(
            "install",
            IndexEnv::Vetted(self.vetted_dir),
            self.ctx.proxy.proxy_url.as_str(),
        );
        stdout_to_stderr_for_json(&mut cmd, s.format);
        cmd
    }

    /// pip installs the pinned set: through the pip started early when there is one, else as
    /// `set` says.
    async fn pinned(
        &self,
        set: InstallSet,
        pinned_file: &Path,
        text: String,
    ) -> Result<u8, InstallError> {
        let pip_args = &self.ctx.settings.pip_args;
        let mut install = match set {
            InstallSet::Pinned(Some(started)) => return started.feed(text).await,
            InstallSet::Pinned(None) => {
                let mut install = self.command();
                // pip's resolution is already done: exactly these files, nothing more.
                install.args(["--require-hashes", "--no-deps", "--force-reinstall", "-r"]);
                install.arg(pinned_file);
                install.args(&pip_args.location);
                install.args(&pip_args.install_pinned);
                install
            }
            // The user's own hash-pinned files, sanitized: pip checks every hash itself.
            InstallSet::UserFiles => {
                let reqs = &self.ctx.settings.reqs;
                let mut install = self.command();
                install.args(["--require-hashes"]);
                for f in &reqs.requirement_files {
                    install.arg("-r").arg(f);
                }
                for f in &reqs.constraint_files {
                    install.arg("-c").arg(f);
                }
                install.args(&pip_args.requirements);
                install.args(&pip_args.location);
                install.args(&pip_args.install);
                install
            }
        };
        verbosity(&mut install, pip_args.verbosity);
        run_pip(install).await
    }

    /// pip installs each directory the user named, from their own files.
    async fn local(&self, local: &[Local]) -> Result<u8, InstallError> {
        let pip_args = &self.ctx.settings.pip_args;
        for l in local {
            let mut install = self.command();
            install.args(["--no-deps"]);
            install.args(&pip_args.location);
            install.args(&pip_args.install);
            verbosity(&mut install, pip_args.verbosity);
            if l.editable {
                install.arg("-e");
            }
            install.arg(local_target(&l.url));
            let status = run_pip(install).await?;
            if status != 0 {
                return Ok(status);
            }
        }
        Ok(0)
    }
}

/// The end of an install: what pip asked for around the gate while installing, pip's status,
/// and trust-on-first-use pins.
fn finish(ctx: &Ctx<'_>, all: &[Arc<Vetted>], status: u8, mut run: RunReport) -> u8 {
    // What pip asked for around the gate while installing (a build requirement of a vetted
    // sdist, say) was refused; say what, even if pip got by without it.
    let late = ctx.proxy.outside();
    let seen = run.rows.len();
    for v in &late {
        if !run.rows.iter().take(seen).any(|r| r.file == v.filename) {
            run.rows.push(Row::from_vetted(v));
        }
    }
    if run.any_denied() {
        run.note("pip asked for something around the gate while installing; it was refused");
        run.finish();
        return if status == 0 { exit::FAILED } else { status };
    }
    if status != 0 {
        run.note(&format!(
            "pip failed (exit {status}) after verification passed"
        ));
        run.finish();
        return status;
    }
    run.installed = true;
    // Another process may have pinned a package first, to another publisher: then the file
    // just installed is not what the trust file now allows, and the run says so.
    let pins_held = pin_publishers(ctx.gate, all, &mut run);
    run.finish();
    if pins_held {
        exit::OK
    } else {
        exit::FAILED
    }
}

/// With `--format json` stdout holds pyprov's one JSON document: pip's own output goes to
/// stderr.
fn stdout_to_stderr_for_json(cmd: &mut std::process::Command, format: crate::cli::Format) {
    if format != crate::cli::Format::Json {
        return;
    }
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() {
            cmd.stdout(std::process::Stdio::from(fd));
            return;
        }
    }
    // Without a second handle on stderr, pip's output is dropped rather than mixed in.
    cmd.stdout(std::process::Stdio::null());
}

fn verbosity(cmd: &mut std::process::Command, v: i32) {
    for _ in 0..v.unsigned_abs() {
        cmd.arg(if v < 0 { "-q" } else { "-v" });
    }
}

async fn run_pip(mut cmd: std::process::Command) -> Result<u8, InstallError> {
    wait_for_pip(move || cmd.status()).await
}

/// Runs `pip` (a blocking start-and-wait) off the runtime; pip's status becomes pyprov's.
async fn wait_for_pip(
    pip: impl FnOnce() -> std::io::Result<std::process::ExitStatus> + Send + 'static,
) -> Result<u8, InstallError> {
    let status = tokio::task::spawn_blocking(pip)
        .await
        .map_err(InstallError::Join)?
        .map_err(|source| InstallError::RunPip {
            program: "pip".into(),
            source,
        })?;
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

fn link_or_copy(from: &Path, to: &Path) -> std::io::Result<()> {
    if to.exists() {
        return Ok(());
    }
    std::fs::hard_link(from, to).or_else(|_| std::fs::copy(from, to).map(|_| ()))
}

/// pip's install command, started while pip resolves and pyprov verifies, so that its start-up
/// (≈0.4 s) overlaps that work. It reads its requirements from a pipe that pyprov writes only
/// once every verdict is in: until then it has no requirement and cannot install anything, and
/// on any refusal it is killed (dropping it kills it).
pub(crate) struct Prestarted {
    child: Option<std::process::Child>,
}

impl Prestarted {
    /// Started for an install that installs (not `download`, not `--dry-run`).
    pub(crate) fn start_for(s: &Settings, vetted_dir: &Path, proxy: &Proxy) -> Option<Prestarted> {
        (s.mode == Mode::Install && !s.pip_args.dry_run)
            .then(|| Prestarted::start(&s.pip, vetted_dir, &s.pip_args, &proxy.proxy_url, s.format))
            .flatten()
    }

    fn start(
        pip: &Pip,
        vetted_dir: &Path,
        pip_args: &super::args::PipArgs,
        gate: &str,
        format: crate::cli::Format,
    ) -> Option<Prestarted> {
        let mut install = pip.command("install", IndexEnv::Vetted(vetted_dir), gate);
        stdout_to_stderr_for_json(&mut install, format);
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
        install.args(&pip_args.install_pinned);
        verbosity(&mut install, pip_args.verbosity);
        install.stdin(std::process::Stdio::piped());
        match install.spawn() {
            Ok(child) => Some(Prestarted { child: Some(child) }),
            // The install then runs the ordinary way, once every verdict is in.
            Err(e) => {
                if pip_args.verbosity > 0 {
                    eprintln!("pyprov: pip's install could not be started early ({e}); it starts once verification is done");
                }
                None
            }
        }
    }

    /// Hands pip its requirements and waits for it.
    async fn feed(mut self, requirements: String) -> Result<u8, InstallError> {
        let Some(mut child) = self.child.take() else {
            return Err(InstallError::PipGone);
        };
        wait_for_pip(move || {
            use std::io::Write;
            if let Some(mut stdin) = child.stdin.take() {
                // pip may have exited already (its status says why); a broken pipe is not ours.
                let _ = stdin.write_all(requirements.as_bytes());
            }
            child.wait()
        })
        .await
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
