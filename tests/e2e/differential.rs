//! Differential tests: `pyprov install ARGS` must leave an environment exactly as `pip install
//! ARGS` does. Each case makes two venvs from the same template with the same pip (the oldest
//! pyprov supports, 22.2.2, and the newest tested, 26.3), pre-populates both the same way with
//! plain pip, then runs the real pip in one and pyprov in the other against the same test index,
//! and compares what they installed: `pip freeze --all`, the install location's top-level
//! entries, and every `*.dist-info` directory (its file list, `REQUESTED`, the bytes of
//! `INSTALLER` and `direct_url.json`, RECORD's paths, and RECORD's hashes but for `.pyc` files,
//! which embed their source's mtime).
//!
//! Paths that end up in metadata (local projects, lock files, `--target`/`--prefix`
//! directories) are the same for both runs: they live outside the venvs, and both runs use the
//! same working directory. The two installs run at the same time, except where they share a
//! path (a `--target`/`--prefix` directory, emptied between them; a local project; an sdist's
//! hook log): then one after the other. A failure lists every difference, one line each, as
//! "pip has X, pyprov has Y".
//!
//! Every case also checks that plain pip did what the case is about (e.g. kept an installed
//! dependency), so a failure is a difference between pip and pyprov, not a case that tests
//! nothing.

use crate::support::context::TestContext;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::dists::{self, Dist};
use crate::support::venv::{PipVersion, Venv};

const REPO: &str = "acme/widgets";

/// One `*.dist-info` directory, as far as the comparison goes.
#[derive(Debug, PartialEq, Eq)]
struct DistInfo {
    /// Every file under it, relative to it, sorted.
    files: Vec<String>,
    requested: bool,
    installer: Option<String>,
    direct_url: Option<String>,
    /// RECORD's path column.
    record_paths: BTreeSet<String>,
    /// RECORD's hash column for entries that are not `.pyc`.
    record_hashes: BTreeMap<String, String>,
}

/// What one side left behind.
#[derive(Debug)]
struct Snapshot {
    /// `pip freeze --all` of the venv.
    freeze: String,
    /// `pip freeze --all --path DIR` for a `--target`/`--prefix` install.
    freeze_path: Option<String>,
    /// The install location's top-level entries.
    top: Vec<String>,
    dist_infos: BTreeMap<String, DistInfo>,
}

/// Where a case installs: the venv's site-packages, or a directory named on the command line.
#[derive(Debug, Clone, Copy)]
enum Location {
    Venv,
    /// `--target DIR`: DIR itself.
    Target,
    /// `--prefix DIR`: DIR's `lib/python3.X/site-packages`.
    Prefix,
}

/// One case: a [`TestContext`] (its index, and the project, home and cache both runs share)
/// with two venvs made from the same template with the same pip.
struct Pair {
    ctx: TestContext,
    /// Plain pip's venv.
    a: Venv,
    /// pyprov's venv.
    b: Venv,
    /// For `--target`/`--prefix`: the directory both runs install into, one after the other.
    scratch: PathBuf,
}

impl std::ops::Deref for Pair {
    type Target = TestContext;

    fn deref(&self) -> &TestContext {
        &self.ctx
    }
}

impl Pair {
    fn new(pip: PipVersion) -> Pair {
        let ctx = TestContext::with_pip(pip);
        let (a, b) = std::thread::scope(|s| {
            let b = s.spawn(|| ctx.new_venv("venv-pyprov"));
            let a = ctx.new_venv("venv-pip");
            (a, b.join().unwrap())
        });
        Pair {
            scratch: ctx.path("install-dir"),
            ctx,
            a,
            b,
        }
    }

    fn publish(&self, dists: &[&Dist]) {
        for d in dists {
            self.ctx.publish(d, REPO);
        }
    }

    fn pip_in(&self, venv: &Venv, args: &[&str]) -> Output {
        self.pip_in_env(venv, args, &[], true)
    }

    /// `pip install ARGS` with `env` set, and `-i INDEX` unless the index comes from pip's
    /// configuration.
    fn pip_in_env(&self, venv: &Venv, args: &[&str], env: &[(&str, &str)], index: bool) -> Output {
        let mut cmd = venv.pip_command();
        cmd.current_dir(&self.work)
            .env("HOME", &self.home)
            .env_remove("XDG_CONFIG_HOME")
            .arg("install");
        if index {
            cmd.args(["-i", &self.index().url()]);
        }
        cmd.args(args).envs(env.iter().copied());
        if !index && !env.iter().any(|(k, _)| *k == "PIP_CONFIG_FILE") {
            // Configuration files at the user's and the venv's level are read.
            cmd.env_remove("PIP_CONFIG_FILE");
        }
        cmd.output().unwrap()
    }

    /// The same plain `pip install -i INDEX ARGS` in both venvs, at the same time.
    fn prepopulate(&self, args: &[&str]) {
        let outs = std::thread::scope(|s| {
            let b = s.spawn(|| self.pip_in(&self.b, args));
            [self.pip_in(&self.a, args), b.join().unwrap()]
        });
        for out in outs {
            assert!(
                out.status.success(),
                "[{:?}] pre-populating with pip install {args:?}: {}",
                self.pip,
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    fn pyprov(&self, args: &[&str]) -> Output {
        self.pyprov_env(args, &[], true)
    }

    /// `pyprov install ARGS` with `env` set, and `-i INDEX` unless the index comes from pip's
    /// configuration.
    fn pyprov_env(&self, args: &[&str], env: &[(&str, &str)], index: bool) -> Output {
        let mut cmd = self.ctx.pyprov();
        cmd.arg("install")
            .arg("--python")
            .arg(self.b.python())
            .arg("--trusted-root")
            .arg(self.trusted_root());
        if index {
            cmd.args(["-i", &self.index().url()]);
        }
        cmd.args(args).envs(env.iter().copied());
        if !index && !env.iter().any(|(k, _)| *k == "PIP_CONFIG_FILE") {
            cmd.env_remove("PIP_CONFIG_FILE");
        }
        cmd.output().unwrap()
    }

    /// The directory whose dist-infos are compared.
    fn location(&self, venv: &Venv, loc: Location) -> PathBuf {
        match loc {
            Location::Venv => venv.site_packages(),
            Location::Target => self.scratch.clone(),
            Location::Prefix => self
                .scratch
                .join(venv.site_packages().strip_prefix(venv.root()).unwrap()),
        }
    }

    fn snapshot(&self, venv: &Venv, loc: Location) -> Snapshot {
        let freeze_path = match loc {
            Location::Venv => None,
            Location::Target | Location::Prefix => {
                let path = self.location(venv, loc);
                let out = venv.run(&["freeze", "--all", "--path", path.to_str().unwrap()]);
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                Some(String::from_utf8(out.stdout).unwrap())
            }
        };
        let place = self.location(venv, loc);
        let mut top = Vec::new();
        let mut dist_infos = BTreeMap::new();
        if let Ok(entries) = std::fs::read_dir(&place) {
            for entry in entries {
                let name = entry.unwrap().file_name().to_string_lossy().into_owned();
                if name.ends_with(".dist-info") {
                    dist_infos.insert(name.clone(), dist_info(&place.join(&name)));
                }
                top.push(name);
            }
        }
        top.sort();
        Snapshot {
            freeze: venv.freeze(),
            freeze_path,
            top,
            dist_infos,
        }
    }

    /// Runs `pip install ARGS` in venv A and `pyprov install ARGS` in venv B (each against
    /// the index) at the same time, and compares what they left. For cases whose two runs
    /// share nothing but the index (which serves both).
    fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[], true)
    }

    /// [`Pair::run`] with `env` set for both, and the index given on the command line or not.
    fn run_env(&self, args: &[&str], env: &[(&str, &str)], index: bool) -> Run {
        let ((pip_out, pip), (out, pyprov)) = std::thread::scope(|s| {
            let pyprov = s.spawn(|| {
                let out = self.pyprov_env(args, env, index);
                (out, self.snapshot(&self.b, Location::Venv))
            });
            let out = self.pip_in_env(&self.a, args, env, index);
            let pip = (out, self.snapshot(&self.a, Location::Venv));
            (pip, pyprov.join().unwrap())
        });
        self.outcome(args, pip_out, pip, out, pyprov)
    }

    /// Like [`Pair::run`], one run after the other, for cases whose runs share a path that
    /// ends up in metadata or a marker file: the scratch install directory is emptied before
    /// each, and `between` runs after pip's snapshot, before pyprov (to reset markers).
    fn run_in_turn(&self, args: &[&str], loc: Location, between: impl FnOnce()) -> Run {
        let _ = std::fs::remove_dir_all(&self.scratch);
        let pip_out = self.pip_in(&self.a, args);
        let pip = self.snapshot(&self.a, loc);
        let _ = std::fs::remove_dir_all(&self.scratch);
        between();
        let out = self.pyprov(args);
        let pyprov = self.snapshot(&self.b, loc);
        self.outcome(args, pip_out, pip, out, pyprov)
    }

    fn outcome(
        &self,
        args: &[&str],
        pip_out: Output,
        pip: Snapshot,
        out: Output,
        pyprov: Snapshot,
    ) -> Run {
        assert!(
            pip_out.status.success(),
            "[{:?}] harness: plain pip install {args:?} failed:\n{}\n{}",
            self.pip,
            String::from_utf8_lossy(&pip_out.stdout),
            String::from_utf8_lossy(&pip_out.stderr)
        );
        let mut differences = Vec::new();
        if !out.status.success() {
            differences.push(format!(
                "exit status: pip succeeded, pyprov exited {:?}:\n{}",
                out.status.code(),
                indent(&String::from_utf8_lossy(&out.stderr))
            ));
        }
        differences.extend(compare(&pip, &pyprov));
        Run {
            pip,
            differences,
            pyprov_output: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }
}

struct Run {
    pip: Snapshot,
    differences: Vec<String>,
    pyprov_output: String,
}

impl Run {
    /// Plain pip did what the case is about: these lines are in its freeze.
    fn expect_pip_freeze(&self, pip: PipVersion, lines: &[&str]) {
        let have: Vec<&str> = self.pip.freeze.lines().collect();
        for line in lines {
            assert!(
                have.contains(line),
                "[{pip:?}] harness: plain pip's freeze lacks {line:?}:\n{}",
                self.pip.freeze
            );
        }
    }

    /// Plain pip wrote REQUESTED for exactly these dist-info directories (among those named).
    fn expect_pip_requested(&self, pip: PipVersion, requested: &[&str], not: &[&str]) {
        for (names, want) in [(requested, true), (not, false)] {
            for name in names {
                let info = self.pip.dist_infos.get(*name).unwrap_or_else(|| {
                    panic!(
                        "[{pip:?}] harness: plain pip has no {name}: {:?}",
                        self.pip.top
                    )
                });
                assert_eq!(
                    info.requested, want,
                    "[{pip:?}] harness: plain pip's {name} REQUESTED"
                );
            }
        }
    }

    /// Fails with every difference, one per line.
    fn assert_same(&self, case: &str, pip: PipVersion) {
        let version = pip.version().unwrap_or("bundled");
        if self.differences.is_empty() {
            return;
        }
        panic!(
            "[{case}, pip {version}] pyprov install differs from pip install:\n{}\n\
             --- pyprov's output:\n{}",
            self.differences
                .iter()
                .map(|d| format!("  - {d}"))
                .collect::<Vec<_>>()
                .join("\n"),
            indent(&self.pyprov_output)
        );
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("      {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(base, &path, out);
        } else {
            out.push(
                path.strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
}

fn dist_info(dir: &Path) -> DistInfo {
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    files.sort();
    // With each file's mode: a rewritten RECORD must stay readable as pip left it.
    let files = files
        .into_iter()
        .map(|f| {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(&f))
                .map(|m| m.permissions().mode() & 0o7777)
                .unwrap_or(0);
            format!("{f} ({mode:o})")
        })
        .collect();
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
    let mut record_paths = BTreeSet::new();
    let mut record_hashes = BTreeMap::new();
    for line in read("RECORD").unwrap_or_default().lines() {
        // path,hash,size; only the path may hold a comma (then it is quoted).
        let mut fields = line.rsplitn(3, ',');
        let (_size, hash, path) = (fields.next(), fields.next(), fields.next());
        let Some(path) = path else { continue };
        let path = path
            .strip_prefix('"')
            .and_then(|p| p.strip_suffix('"'))
            .unwrap_or(path)
            .to_string();
        if !path.ends_with(".pyc") {
            record_hashes.insert(path.clone(), hash.unwrap_or_default().to_string());
        }
        record_paths.insert(path);
    }
    DistInfo {
        requested: dir.join("REQUESTED").is_file(),
        installer: read("INSTALLER"),
        direct_url: read("direct_url.json"),
        files,
        record_paths,
        record_hashes,
    }
}

/// `pip has …, pyprov has …` for two sets of lines.
fn set_difference<T: Ord + std::fmt::Debug>(what: &str, pip: &[T], pyprov: &[T]) -> Option<String> {
    let only_pip: Vec<&T> = pip.iter().filter(|x| !pyprov.contains(x)).collect();
    let only_pyprov: Vec<&T> = pyprov.iter().filter(|x| !pip.contains(x)).collect();
    if only_pip.is_empty() && only_pyprov.is_empty() {
        return None;
    }
    Some(format!(
        "{what}: only pip has {only_pip:?}, only pyprov has {only_pyprov:?}"
    ))
}

fn optional(text: &Option<String>) -> String {
    match text {
        Some(t) => format!("{t:?}"),
        None => "none".to_string(),
    }
}

fn compare(pip: &Snapshot, pyprov: &Snapshot) -> Vec<String> {
    let mut diffs = Vec::new();
    let lines = |s: &str| s.lines().map(str::to_string).collect::<Vec<_>>();
    diffs.extend(set_difference(
        "pip freeze --all",
        &lines(&pip.freeze),
        &lines(&pyprov.freeze),
    ));
    if let (Some(a), Some(b)) = (&pip.freeze_path, &pyprov.freeze_path) {
        diffs.extend(set_difference(
            "pip freeze --all --path DIR",
            &lines(a),
            &lines(b),
        ));
    }
    diffs.extend(set_difference(
        "install location's top-level entries",
        &pip.top,
        &pyprov.top,
    ));
    for (name, a) in &pip.dist_infos {
        let Some(b) = pyprov.dist_infos.get(name) else {
            continue; // reported with the top-level entries
        };
        if a == b {
            continue;
        }
        // A file reported on its own line (REQUESTED, INSTALLER, direct_url.json) is left out
        // of the file-list and RECORD lines, which would only repeat it.
        let mut reported: Vec<&str> = Vec::new();
        if a.requested != b.requested {
            let has = |r: bool| if r { "REQUESTED" } else { "no REQUESTED" };
            diffs.push(format!(
                "{name}/REQUESTED: pip has {}, pyprov has {}",
                has(a.requested),
                has(b.requested)
            ));
            reported.push("REQUESTED");
        }
        if a.installer != b.installer {
            diffs.push(format!(
                "{name}/INSTALLER: pip has {}, pyprov has {}",
                optional(&a.installer),
                optional(&b.installer)
            ));
            reported.push("INSTALLER");
        }
        if a.direct_url != b.direct_url {
            diffs.push(format!(
                "{name}/direct_url.json: pip has {}, pyprov has {}",
                optional(&a.direct_url),
                optional(&b.direct_url)
            ));
            reported.push("direct_url.json");
        }
        let prefix = format!("{name}/");
        let unreported = |path: &String| {
            let file = path.strip_prefix(&prefix).unwrap_or(path);
            !reported.contains(&file)
        };
        let keep = |items: &mut dyn Iterator<Item = &String>| {
            items
                .filter(|p| unreported(p))
                .cloned()
                .collect::<Vec<String>>()
        };
        diffs.extend(set_difference(
            &format!("{name}: files"),
            &keep(&mut a.files.iter()),
            &keep(&mut b.files.iter()),
        ));
        diffs.extend(set_difference(
            &format!("{name}/RECORD paths"),
            &keep(&mut a.record_paths.iter()),
            &keep(&mut b.record_paths.iter()),
        ));
        for (path, hash) in a.record_hashes.iter().filter(|(p, _)| unreported(p)) {
            if let Some(other) = b.record_hashes.get(path) {
                if other != hash {
                    diffs.push(format!(
                        "{name}/RECORD hash of {path}: pip has {hash:?}, pyprov has {other:?}"
                    ));
                }
            }
        }
    }
    diffs
}

fn wheel(name: &str, version: &str, requires: &[&str]) -> Dist {
    dists::wheel(name, version, requires, &[])
}

/// Case 1: Installed dependencies that satisfy app's requirement are kept, though newer ones exist.
fn installed_deps_are_kept(pip: PipVersion) {
    let p = Pair::new(pip);
    p.publish(&[&wheel("dep", "1.0", &[])]);
    p.prepopulate(&["dep==1.0"]);
    p.publish(&[
        &wheel("dep", "2.0", &[]),
        &wheel("app", "1.0", &["dep>=1.0"]),
    ]);
    let run = p.run(&["app"]);
    run.expect_pip_freeze(pip, &["app==1.0", "dep==1.0"]);
    run.assert_same("installed deps satisfy app", pip);
}
both_pips!(installed_deps_are_kept);

/// app 1.0 and its dependency dep 1.0 installed; then app 2.0 and dep 2.0 published.
fn app_installed_then_newer(p: &Pair, newer_app: bool) {
    p.publish(&[
        &wheel("dep", "1.0", &[]),
        &wheel("app", "1.0", &["dep>=1.0"]),
    ]);
    p.prepopulate(&["app==1.0"]);
    p.publish(&[&wheel("dep", "2.0", &[])]);
    if newer_app {
        p.publish(&[&wheel("app", "2.0", &["dep>=1.0"])]);
    }
}

/// Case 2: `-U app`: only-if-needed keeps dep 1.0 and upgrades app.
fn upgrade_only_if_needed(pip: PipVersion) {
    let p = Pair::new(pip);
    app_installed_then_newer(&p, true);
    let run = p.run(&["-U", "app"]);
    run.expect_pip_freeze(pip, &["app==2.0", "dep==1.0"]);
    run.expect_pip_requested(pip, &["app-2.0.dist-info"], &["dep-1.0.dist-info"]);
    run.assert_same("-U app (only-if-needed)", pip);
}
both_pips!(upgrade_only_if_needed);

/// Case 3: `-U --upgrade-strategy eager app` upgrades dep too.
fn upgrade_eager(pip: PipVersion) {
    let p = Pair::new(pip);
    app_installed_then_newer(&p, true);
    let run = p.run(&["-U", "--upgrade-strategy", "eager", "app"]);
    run.expect_pip_freeze(pip, &["app==2.0", "dep==2.0"]);
    run.expect_pip_requested(pip, &["app-2.0.dist-info"], &["dep-2.0.dist-info"]);
    run.assert_same("-U --upgrade-strategy eager app", pip);
}
both_pips!(upgrade_eager);

/// Case 4: `--force-reinstall app` with app and dep installed (and a newer dep published).
fn force_reinstall(pip: PipVersion) {
    let p = Pair::new(pip);
    app_installed_then_newer(&p, false);
    let run = p.run(&["--force-reinstall", "app"]);
    // Installed candidates are ignored: dep is upgraded as well, app reinstalled.
    run.expect_pip_freeze(pip, &["app==1.0", "dep==2.0"]);
    run.expect_pip_requested(pip, &["app-1.0.dist-info"], &["dep-2.0.dist-info"]);
    run.assert_same("--force-reinstall app", pip);
}
both_pips!(force_reinstall);

/// Case 5: `--no-deps app`: app alone.
fn no_deps(pip: PipVersion) {
    let p = Pair::new(pip);
    p.publish(&[
        &wheel("dep", "1.0", &[]),
        &wheel("app", "1.0", &["dep>=1.0"]),
    ]);
    let run = p.run(&["--no-deps", "app"]);
    run.expect_pip_freeze(pip, &["app==1.0"]);
    assert!(!run.pip.freeze.contains("dep=="), "{}", run.pip.freeze);
    run.assert_same("--no-deps app", pip);
}
both_pips!(no_deps);

/// Case 6: `app[extra]`: the extra's dependency comes too, not as requested.
fn extras(pip: PipVersion) {
    let p = Pair::new(pip);
    let app = dists::wheel_with_metadata(
        "app",
        "1.0",
        "Metadata-Version: 2.1\nName: app\nVersion: 1.0\nProvides-Extra: extra\n\
         Requires-Dist: dep>=1.0\nRequires-Dist: extradep; extra == \"extra\"\n"
            .to_string(),
        &[],
    );
    p.publish(&[
        &wheel("dep", "1.0", &[]),
        &wheel("extradep", "1.0", &[]),
        &app,
    ]);
    let run = p.run(&["app[extra]"]);
    run.expect_pip_freeze(pip, &["app==1.0", "dep==1.0", "extradep==1.0"]);
    run.expect_pip_requested(
        pip,
        &["app-1.0.dist-info"],
        &["dep-1.0.dist-info", "extradep-1.0.dist-info"],
    );
    run.assert_same("app[extra]", pip);
}
both_pips!(extras);

/// Case 7: Environment markers: one true, one false.
fn markers(pip: PipVersion) {
    let p = Pair::new(pip);
    p.publish(&[
        &wheel("yes-dep", "1.0", &[]),
        &wheel("no-dep", "1.0", &[]),
        &wheel(
            "app",
            "1.0",
            &[
                "yes-dep; python_version >= \"3\"",
                "no-dep; python_version < \"3\"",
            ],
        ),
    ]);
    let run = p.run(&["app"]);
    run.expect_pip_freeze(pip, &["app==1.0", "yes-dep==1.0"]);
    assert!(!run.pip.freeze.contains("no-dep"), "{}", run.pip.freeze);
    run.assert_same("markers", pip);
}
both_pips!(markers);

/// Case 8: A constraints file pins dep below the newest.
fn constraints(pip: PipVersion) {
    let p = Pair::new(pip);
    p.publish(&[
        &wheel("dep", "1.0", &[]),
        &wheel("dep", "2.0", &[]),
        &wheel("app", "1.0", &["dep>=1.0"]),
    ]);
    let cons = p.work.join("constraints.txt");
    std::fs::write(&cons, "dep==1.0\n").unwrap();
    let run = p.run(&["-c", "constraints.txt", "app"]);
    run.expect_pip_freeze(pip, &["app==1.0", "dep==1.0"]);
    run.expect_pip_requested(pip, &["app-1.0.dist-info"], &["dep-1.0.dist-info"]);
    run.assert_same("-c constraints.txt app", pip);
}
both_pips!(constraints);

/// An in-tree backend that adds PEP 660 editable hooks to the test backend (which the index
/// serves as the build dependency): the editable wheel is a `.pth` naming the project.
const EDITABLE_BACKEND: &str = r#"import os
import zipfile

import pyprov_test_backend as _b
from pyprov_test_backend import *  # noqa: F401,F403


def get_requires_for_build_editable(config_settings=None):
    return []


def prepare_metadata_for_build_editable(metadata_directory, config_settings=None):
    return _b.prepare_metadata_for_build_wheel(metadata_directory, config_settings)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    cfg = _b._config()
    dist_info = _b._dist_info(cfg)
    entries = [(cfg["escaped"] + ".pth", (os.path.abspath(".") + "\n").encode("utf-8"))]
    entries.append((dist_info + "/METADATA", _b._metadata(cfg).encode("utf-8")))
    entries.append((dist_info + "/WHEEL", _b._WHEEL.encode("utf-8")))
    record = "".join("%s,%s,%d\n" % (p, _b._record_hash(d), len(d)) for p, d in entries)
    record += dist_info + "/RECORD,,\n"
    entries.append((dist_info + "/RECORD", record.encode("utf-8")))
    name = "%s-%s-py3-none-any.whl" % (cfg["escaped"], cfg["version"])
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as zf:
        for path, data in entries:
            info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return name
"#;

/// `work/localproj`: project localproj 0.1, requiring dep, built by the test backend.
fn local_project(p: &Pair) {
    p.publish(&[&dists::backend_wheel(), &wheel("dep", "1.0", &[])]);
    let dir = p.work.join("localproj");
    std::fs::create_dir_all(dir.join("localproj")).unwrap();
    std::fs::write(dir.join("localproj/__init__.py"), "").unwrap();
    std::fs::write(dir.join("editable_backend.py"), EDITABLE_BACKEND).unwrap();
    std::fs::write(
        dir.join("pyproject.toml"),
        format!(
            "[build-system]\nrequires = [\"{}\"]\nbuild-backend = \"editable_backend\"\n\
             backend-path = [\".\"]\n",
            dists::BACKEND_NAME
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("pyprov_build.json"),
        serde_json::json!({
            "name": "localproj", "escaped": "localproj", "version": "0.1",
            "requires_dist": ["dep>=1.0"], "packages": ["localproj"],
        })
        .to_string(),
    )
    .unwrap();
}

/// Case 9a: `-e ./localproj`.
fn local_editable(pip: PipVersion) {
    let p = Pair::new(pip);
    local_project(&p);
    let run = p.run_in_turn(&["-e", "./localproj"], Location::Venv, || {});
    run.expect_pip_freeze(pip, &["dep==1.0"]);
    run.expect_pip_requested(pip, &["localproj-0.1.dist-info"], &["dep-1.0.dist-info"]);
    let direct = run.pip.dist_infos["localproj-0.1.dist-info"]
        .direct_url
        .as_deref()
        .unwrap_or_default();
    assert!(direct.contains("\"editable\": true"), "{direct}");
    run.assert_same("-e ./localproj", pip);
}
both_pips!(local_editable);

/// Case 9b: `./localproj`, not editable.
fn local_path(pip: PipVersion) {
    let p = Pair::new(pip);
    local_project(&p);
    let run = p.run_in_turn(&["./localproj"], Location::Venv, || {});
    run.expect_pip_freeze(pip, &["dep==1.0"]);
    run.expect_pip_requested(pip, &["localproj-0.1.dist-info"], &["dep-1.0.dist-info"]);
    assert!(
        run.pip.dist_infos["localproj-0.1.dist-info"]
            .direct_url
            .is_some(),
        "pip records where a local project came from"
    );
    run.assert_same("./localproj", pip);
}
both_pips!(local_path);

fn app_and_dep(p: &Pair) {
    p.publish(&[
        &wheel("dep", "1.0", &[]),
        &wheel("app", "1.0", &["dep>=1.0"]),
    ]);
}

/// Case 10a: `--target DIR`.
fn target_dir(pip: PipVersion) {
    let p = Pair::new(pip);
    app_and_dep(&p);
    let dir = p.scratch.to_str().unwrap().to_string();
    let run = p.run_in_turn(&["--target", &dir, "app"], Location::Target, || {});
    run.expect_pip_requested(pip, &["app-1.0.dist-info"], &["dep-1.0.dist-info"]);
    run.assert_same("--target DIR app", pip);
}
both_pips!(target_dir);

/// Case 10b: `--prefix DIR`.
fn prefix_dir(pip: PipVersion) {
    let p = Pair::new(pip);
    app_and_dep(&p);
    let dir = p.scratch.to_str().unwrap().to_string();
    let run = p.run_in_turn(&["--prefix", &dir, "app"], Location::Prefix, || {});
    run.expect_pip_requested(pip, &["app-1.0.dist-info"], &["dep-1.0.dist-info"]);
    run.assert_same("--prefix DIR app", pip);
}
both_pips!(prefix_dir);

/// Case 11: A hash-pinned lock file (`--require-hashes` implied), every package pinned.
fn hash_pinned_lock(pip: PipVersion) {
    let p = Pair::new(pip);
    let dep = wheel("dep", "1.0", &[]);
    let app = wheel("app", "1.0", &["dep>=1.0"]);
    p.publish(&[&dep, &app, &wheel("dep", "2.0", &[])]);
    std::fs::write(
        p.work.join("lock.txt"),
        format!(
            "app==1.0 \\\n    --hash=sha256:{}\ndep==1.0 \\\n    --hash=sha256:{}\n",
            app.sha256(),
            dep.sha256()
        ),
    )
    .unwrap();
    let run = p.run(&["-r", "lock.txt"]);
    run.expect_pip_freeze(pip, &["app==1.0", "dep==1.0"]);
    run.expect_pip_requested(pip, &["app-1.0.dist-info", "dep-1.0.dist-info"], &[]);
    run.assert_same("-r lock.txt (hash-pinned)", pip);
}
both_pips!(hash_pinned_lock);

/// How many times each backend hook ran, from a setup marker file.
fn hook_counts(marker: &Path) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for hook in std::fs::read_to_string(marker).unwrap_or_default().lines() {
        *counts.entry(hook.to_string()).or_insert(0) += 1;
    }
    counts
}

/// Case 12: Sdists that must be built: app and its dependency dep, with the backend from the index.
/// pyprov must build each sdist's wheel as often as pip does (once).
fn sdists(pip: PipVersion) {
    let p = Pair::new(pip);
    let app_marker = p.temp().join("app-hooks");
    let dep_marker = p.temp().join("dep-hooks");
    p.publish(&[
        &dists::backend_wheel(),
        &dists::sdist_with_deps("app", "1.0", &["dep>=1.0"], &[], Some(&app_marker)),
        &dists::sdist_with_deps("dep", "1.0", &[], &[], Some(&dep_marker)),
    ]);
    let markers = [("app", &app_marker), ("dep", &dep_marker)];
    let mut pip_counts = BTreeMap::new();
    let mut run = p.run_in_turn(&["app"], Location::Venv, || {
        for (name, marker) in markers {
            pip_counts.insert(name, hook_counts(marker));
            let _ = std::fs::remove_file(marker);
        }
    });
    run.expect_pip_freeze(pip, &["app==1.0", "dep==1.0"]);
    run.expect_pip_requested(pip, &["app-1.0.dist-info"], &["dep-1.0.dist-info"]);
    for (name, marker) in markers {
        let pip_hooks = &pip_counts[name];
        let pyprov_hooks = hook_counts(marker);
        eprintln!("[{pip:?}] {name} sdist hooks: pip {pip_hooks:?}, pyprov {pyprov_hooks:?}");
        assert_eq!(
            pip_hooks.get("build_wheel"),
            Some(&1),
            "[{pip:?}] harness: plain pip built {name} {pip_hooks:?}"
        );
        // Each sdist is built once. A pip that reads PEP 658 metadata for sdists (26.3) gets
        // it from the gate's build: every hook runs as often as with pip alone. 22.2.2 reads
        // none, so its dry run runs the metadata hooks itself, once more.
        let hooks: &[&str] = match pip {
            PipVersion::Oldest => &["build_wheel"],
            _ => &[
                "build_wheel",
                "get_requires_for_build_wheel",
                "prepare_metadata_for_build_wheel",
            ],
        };
        for hook in hooks {
            let (a, b) = (
                pip_hooks.get(*hook).copied().unwrap_or(0),
                pyprov_hooks.get(*hook).copied().unwrap_or(0),
            );
            if a != b {
                run.differences.push(format!(
                    "{name} sdist's {hook} hook: pip ran it {a} time(s), pyprov {b} \
                     (all hooks: pip {pip_hooks:?}, pyprov {pyprov_hooks:?})"
                ));
            }
        }
    }
    run.assert_same("sdists app and dep", pip);
}
both_pips!(sdists);

/// Case 13: A direct URL requirement: direct_url.json records the user's URL.
fn direct_url(pip: PipVersion) {
    let p = Pair::new(pip);
    let app = wheel("app", "1.0", &["dep>=1.0"]);
    p.publish(&[&app, &wheel("dep", "1.0", &[])]);
    let url = p.index().file_url(&app.filename);
    let spec = format!("app @ {url}");
    let run = p.run(&[&spec]);
    run.expect_pip_freeze(pip, &["dep==1.0"]);
    // pip 26.3 adds the `#sha256=` it computed; 22.2.2 writes the URL alone.
    assert!(
        run.pip.freeze.lines().any(|l| l.starts_with(&spec)),
        "[{pip:?}] harness: plain pip's freeze lacks {spec}:\n{}",
        run.pip.freeze
    );
    run.expect_pip_requested(pip, &["app-1.0.dist-info"], &["dep-1.0.dist-info"]);
    let direct = run.pip.dist_infos["app-1.0.dist-info"]
        .direct_url
        .as_deref()
        .unwrap_or_default();
    assert!(direct.contains(&url), "{direct}");
    run.assert_same("app @ URL", pip);
}
both_pips!(direct_url);

/// Case 14: The index comes only from pip's configuration, at each level pip reads it
/// (`PIP_CONFIG_FILE`, the user's pip.conf, the venv's, a `PIP_*` variable): pyprov resolves
/// against the same index as pip, with either pip. No `-i` on either command line.
fn configured_index(pip: PipVersion) {
    let p = Pair::new(pip);
    let names = [
        "from-config-file",
        "from-user-conf",
        "from-site-conf",
        "from-env",
    ];
    for name in names {
        p.publish(&[&wheel(name, "1.0", &["dep>=1.0"])]);
    }
    p.publish(&[&wheel("dep", "1.0", &[])]);
    let conf = format!("[global]\nindex-url = {}\n", p.index().url());

    let file = p.temp().join("pip-config-file.conf");
    std::fs::write(&file, &conf).unwrap();
    let run = p.run_env(
        &["from-config-file"],
        &[("PIP_CONFIG_FILE", file.to_str().unwrap())],
        false,
    );
    run.expect_pip_freeze(pip, &["from-config-file==1.0"]);
    run.assert_same("index-url in PIP_CONFIG_FILE", pip);

    let user = p.home.join(".config/pip");
    std::fs::create_dir_all(&user).unwrap();
    std::fs::write(user.join("pip.conf"), &conf).unwrap();
    let run = p.run_env(&["from-user-conf"], &[], false);
    run.expect_pip_freeze(pip, &["from-user-conf==1.0"]);
    run.assert_same("index-url in the user's pip.conf", pip);
    std::fs::remove_file(user.join("pip.conf")).unwrap();

    for venv in [&p.a, &p.b] {
        std::fs::write(venv.root().join("pip.conf"), &conf).unwrap();
    }
    let run = p.run_env(&["from-site-conf"], &[], false);
    run.expect_pip_freeze(pip, &["from-site-conf==1.0"]);
    run.assert_same("index-url in the venv's pip.conf", pip);
    for venv in [&p.a, &p.b] {
        std::fs::remove_file(venv.root().join("pip.conf")).unwrap();
    }

    let url = p.index().url();
    let run = p.run_env(&["from-env"], &[("PIP_INDEX_URL", &url)], false);
    run.expect_pip_freeze(pip, &["from-env==1.0"]);
    run.assert_same("PIP_INDEX_URL", pip);
}
both_pips!(configured_index);

/// Case 15: `--no-binary app`, where app has a wheel and an sdist: both build app from its
/// sdist (pyprov's gate builds it once, and installs that wheel though `--no-binary` names it).
fn no_binary(pip: PipVersion) {
    let p = Pair::new(pip);
    let marker = p.temp().join("app-hooks");
    p.publish(&[
        &dists::backend_wheel(),
        &wheel("app", "1.0", &["dep>=1.0"]),
        &dists::sdist_with_deps("app", "1.0", &["dep>=1.0"], &[], Some(&marker)),
        &wheel("dep", "1.0", &[]),
    ]);
    let mut pip_hooks = BTreeMap::new();
    let run = p.run_in_turn(&["--no-binary", "app", "app"], Location::Venv, || {
        pip_hooks = hook_counts(&marker);
        let _ = std::fs::remove_file(&marker);
    });
    run.expect_pip_freeze(pip, &["app==1.0", "dep==1.0"]);
    assert_eq!(
        pip_hooks.get("build_wheel"),
        Some(&1),
        "[{pip:?}] harness: {pip_hooks:?}"
    );
    assert_eq!(hook_counts(&marker).get("build_wheel"), Some(&1));
    run.assert_same("--no-binary app", pip);
}
both_pips!(no_binary);

/// Case 16: pip backtracks from a version it only read the metadata of: app 2.0, an sdist that
/// does not build, needs a dep nobody has, so pip settles on app 1.0. pip alone never builds
/// app 2.0; the gate tries, falls back to its metadata hook, and the resolution is pip's.
fn backtracks_past_an_sdist_that_does_not_build(pip: PipVersion) {
    let p = Pair::new(pip);
    let marker = p.temp().join("app2-hooks");
    p.publish(&[
        &dists::backend_wheel(),
        &wheel("app", "1.0", &[]),
        &dists::sdist_failing_build("app", "2.0", &["dep>=5"], &marker),
    ]);
    let run = p.run_in_turn(&["app"], Location::Venv, || {
        let _ = std::fs::remove_file(&marker);
    });
    run.expect_pip_freeze(pip, &["app==1.0"]);
    run.assert_same("backtracking past an sdist that does not build", pip);
    if pip == PipVersion::Newest {
        // 26.3 asked the gate for app 2.0's metadata: the gate's build failed and said so.
        assert!(
            run.pyprov_output
                .contains("app-2.0.tar.gz did not build while pip resolved"),
            "{}",
            run.pyprov_output
        );
    }
}
both_pips!(backtracks_past_an_sdist_that_does_not_build);

/// Case 17: `-I app` (`--ignore-installed`) with dep 1.0 installed: pip installs dep 2.0 over
/// it without uninstalling, so both dist-infos stay; pyprov leaves the same.
fn ignore_installed(pip: PipVersion) {
    let p = Pair::new(pip);
    p.publish(&[&wheel("dep", "1.0", &[])]);
    p.prepopulate(&["dep==1.0"]);
    p.publish(&[
        &wheel("dep", "2.0", &[]),
        &wheel("app", "1.0", &["dep>=1.0"]),
    ]);
    let run = p.run(&["-I", "app"]);
    assert!(
        run.pip.dist_infos.contains_key("dep-1.0.dist-info")
            && run.pip.dist_infos.contains_key("dep-2.0.dist-info"),
        "[{pip:?}] harness: plain pip -I left {:?}",
        run.pip.top
    );
    run.expect_pip_requested(pip, &["app-1.0.dist-info"], &["dep-2.0.dist-info"]);
    run.assert_same("-I app", pip);
}
both_pips!(ignore_installed);

/// Case 18: a local wheel named by its path: direct_url.json records the user's file, not
/// pyprov's vetted copy.
fn local_archive(pip: PipVersion) {
    let p = Pair::new(pip);
    let app = wheel("app", "1.0", &["dep>=1.0"]);
    p.publish(&[&wheel("dep", "1.0", &[])]);
    let dist = p.work.join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    app.write_to(&dist);
    let path = format!("./dist/{}", app.filename);
    let run = p.run(&[&path]);
    run.expect_pip_freeze(pip, &["dep==1.0"]);
    run.expect_pip_requested(pip, &["app-1.0.dist-info"], &["dep-1.0.dist-info"]);
    let direct = run.pip.dist_infos["app-1.0.dist-info"]
        .direct_url
        .clone()
        .unwrap_or_default();
    assert!(direct.contains("file://"), "[{pip:?}] harness: {direct}");
    run.assert_same("a local wheel's path", pip);
}
both_pips!(local_archive);

/// Case 19: `--target DIR app` without `-U` where DIR already holds dep, installed as
/// requested: pip keeps the existing dep directories (with a warning) and so its REQUESTED;
/// pyprov leaves them exactly so.
fn target_dir_kept_without_upgrade(pip: PipVersion) {
    let p = Pair::new(pip);
    app_and_dep(&p);
    let dir = p.scratch.to_str().unwrap().to_string();
    let args = ["--target", dir.as_str(), "app"];
    let prepopulate = |venv: &Venv| {
        let _ = std::fs::remove_dir_all(&p.scratch);
        let out = p.pip_in(venv, &["--target", &dir, "dep"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The install that follows must be later than this one by more than the marks step's
        // slack for coarse file times.
        std::thread::sleep(std::time::Duration::from_millis(1100));
    };
    prepopulate(&p.a);
    let pip_out = p.pip_in(&p.a, &args);
    let pip_snapshot = p.snapshot(&p.a, Location::Target);
    prepopulate(&p.b);
    let out = p.pyprov(&args);
    let pyprov_snapshot = p.snapshot(&p.b, Location::Target);
    let run = p.outcome(&args, pip_out, pip_snapshot, out, pyprov_snapshot);
    run.expect_pip_requested(pip, &["app-1.0.dist-info", "dep-1.0.dist-info"], &[]);
    run.assert_same("--target DIR app over an existing dep", pip);
}
both_pips!(target_dir_kept_without_upgrade);
