//! pip 26's inputs through pyprov, with pip 26.3: `--requirements-from-script` (PEP 723),
//! `--group` (PEP 735), `--build-constraint`, `--only-deps`, and a pip.conf whose
//! `extra-index-url` runs over continuation lines. Each case installs the same thing with plain
//! pip and with pyprov into two venvs from the same template, against the same loopback
//! index(es), and compares what is installed (`pip freeze --all` and which distributions are
//! marked `REQUESTED`); refusals are snapshots of what the user reads.

use std::collections::BTreeSet;
use std::process::Command;

use crate::support::context::{Run, TestContext};
use crate::support::dists::{self, Dist};
use crate::support::index::TestIndex;
use crate::support::venv::{PipVersion, Venv};

const REPO: &str = "acme/widgets";

fn wheel(name: &str, version: &str, requires: &[&str]) -> Dist {
    dists::wheel(name, version, requires, &[])
}

/// A pip 26.3 context and its two venvs: plain pip's, pyprov's.
struct Pair {
    ctx: TestContext,
    pip: Venv,
    pyprov: Venv,
}

/// What one side installed.
#[derive(Debug, PartialEq, Eq)]
struct Installed {
    freeze: String,
    requested: BTreeSet<String>,
}

fn installed(venv: &Venv) -> Installed {
    let mut requested = BTreeSet::new();
    for entry in std::fs::read_dir(venv.site_packages()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".dist-info") && path.join("REQUESTED").is_file() {
            requested.insert(name);
        }
    }
    Installed {
        freeze: venv.freeze(),
        requested,
    }
}

impl Pair {
    fn new() -> Pair {
        let ctx = TestContext::with_pip(PipVersion::Newest);
        let (pip, pyprov) = std::thread::scope(|s| {
            let b = s.spawn(|| ctx.new_venv("venv-pyprov"));
            (ctx.new_venv("venv-pip"), b.join().unwrap())
        });
        Pair { ctx, pip, pyprov }
    }

    fn publish(&self, dists: &[&Dist]) {
        for d in dists {
            self.ctx.publish(d, REPO);
        }
    }

    /// `pip install [-i INDEX] ARGS` in plain pip's venv, in the project, with `env`.
    fn plain_pip(&self, args: &[&str], env: &[(&str, &str)], index: bool) -> Run {
        let mut cmd = self.plain_pip_cmd(args, env, index);
        self.ctx.run(&mut cmd)
    }

    fn plain_pip_cmd(&self, args: &[&str], env: &[(&str, &str)], index: bool) -> Command {
        let mut cmd = self.pip.pip_command();
        cmd.current_dir(&self.ctx.work)
            .env("HOME", &self.ctx.home)
            .env_remove("XDG_CONFIG_HOME")
            .arg("install");
        if index {
            cmd.args(["-i", &self.ctx.index().url()]);
        }
        cmd.args(args).envs(env.iter().copied());
        cmd
    }

    /// `pyprov install [-i INDEX] ARGS` into pyprov's venv, with `env`.
    fn pyprov_cmd(&self, args: &[&str], env: &[(&str, &str)], index: bool) -> Command {
        let mut cmd = self.ctx.pyprov();
        cmd.arg("install")
            .arg("--python")
            .arg(self.pyprov.python())
            .arg("--trusted-root")
            .arg(self.ctx.trusted_root());
        if index {
            cmd.args(["-i", &self.ctx.index().url()]);
        }
        cmd.args(args).envs(env.iter().copied());
        cmd
    }

    fn run_pyprov(&self, args: &[&str]) -> Run {
        self.ctx.run(&mut self.pyprov_cmd(args, &[], true))
    }

    /// Both installs of `args`, one after the other; both must succeed and install the same.
    /// Plain pip's result, for the case to check it did what the case is about.
    fn same(&self, case: &str, args: &[&str]) -> Installed {
        self.same_env(case, args, &[], true)
    }

    fn same_env(&self, case: &str, args: &[&str], env: &[(&str, &str)], index: bool) -> Installed {
        let pip = self.plain_pip(args, env, index);
        assert_eq!(
            pip.code, 0,
            "[{case}] harness: plain pip failed:\n{}",
            pip.stderr
        );
        let ours = self.ctx.run(&mut self.pyprov_cmd(args, env, index));
        assert_eq!(ours.code, 0, "[{case}] pyprov failed:\n{}", ours.stderr);
        let (a, b) = (installed(&self.pip), installed(&self.pyprov));
        assert_eq!(a, b, "[{case}] pyprov installed otherwise than pip");
        a
    }
}

fn has(installed: &Installed, lines: &[&str]) {
    for line in lines {
        assert!(
            installed.freeze.lines().any(|l| l == *line),
            "harness: plain pip's freeze lacks {line}:\n{}",
            installed.freeze
        );
    }
}

const SCRIPT: &str = "#!/usr/bin/env python\n# /// script\n# requires-python = \">=3.8\"\n# dependencies = [\n#   \"app\",\n#   \"tool==1.0\",\n# ]\n# ///\nimport app\n";

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn requirements_from_script_installs_what_pip_does() {
    let p = Pair::new();
    p.publish(&[
        &wheel("dep", "1.0", &[]),
        &wheel("app", "1.0", &["dep"]),
        &wheel("tool", "1.0", &[]),
        &wheel("tool", "2.0", &[]),
    ]);
    p.ctx.write("tool.py", SCRIPT);
    // Written with a space: pyprov knows the option takes a value.
    let got = p.same(
        "--requirements-from-script tool.py",
        &["--requirements-from-script", "tool.py"],
    );
    has(&got, &["app==1.0", "dep==1.0", "tool==1.0"]);
    assert!(
        got.requested.contains("app-1.0.dist-info"),
        "{:?}",
        got.requested
    );
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn script_refusals_are_pips() {
    let p = Pair::new();
    p.publish(&[&wheel("app", "1.0", &[])]);
    p.ctx.write("tool.py", SCRIPT);
    p.ctx.write(
        "future.py",
        "# /// script\n# requires-python = \">=4\"\n# dependencies = [\"app\"]\n# ///\n",
    );
    p.ctx.write("plain.py", "print('no metadata')\n");
    let twice = p.run_pyprov(&[
        "--requirements-from-script=tool.py",
        "--requirements-from-script",
        "tool.py",
    ]);
    snapshot!(p.ctx, "script_twice", twice.snapshot_stderr());
    let future = p.run_pyprov(&["--requirements-from-script=future.py"]);
    p.ctx.add_filter(r"Python: 3\.\d+ not", "Python: 3.X not");
    snapshot!(p.ctx, "script_requires_python", future.snapshot_stderr());
    let plain = p.run_pyprov(&["--requirements-from-script=plain.py"]);
    snapshot!(p.ctx, "script_without_metadata", plain.snapshot_stderr());
    // pip says the same (its exit status is its own).
    for (args, words) in [
        (
            &["--requirements-from-script=future.py"][..],
            "Script 'future.py' requires a different Python",
        ),
        (
            &["--requirements-from-script=plain.py"][..],
            "File does not contain 'script' metadata: 'plain.py'",
        ),
    ] {
        let pip = p.plain_pip(args, &[], true);
        assert!(pip.stderr.contains(words), "{}", pip.stderr);
    }
    // With --ignore-requires-python, as pip.
    let got = p.same(
        "--ignore-requires-python",
        &[
            "--requirements-from-script=future.py",
            "--ignore-requires-python",
        ],
    );
    has(&got, &["app==1.0"]);
}

const PYPROJECT: &str = r#"[project]
name = "proj"
version = "0"

[dependency-groups]
Test_Tools = ["pytest-ish>=1", {include-group = "lint"}]
lint = ["ruff-ish==1.0"]
cyclic = [{include-group = "loop"}]
loop = [{include-group = "cyclic"}]
empty = []
"#;

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn group_installs_what_pip_does() {
    let p = Pair::new();
    p.publish(&[
        &wheel("pytest-ish", "1.0", &["helper"]),
        &wheel("helper", "1.0", &[]),
        &wheel("ruff-ish", "1.0", &[]),
        &wheel("ruff-ish", "2.0", &[]),
    ]);
    p.ctx.write("pyproject.toml", PYPROJECT);
    std::fs::create_dir_all(p.ctx.work_path("sub")).unwrap();
    p.ctx.write(
        "sub/pyproject.toml",
        "[dependency-groups]\nextra = [\"helper\"]\n",
    );
    // The default path, a name that normalizes, with a space; and under --require-hashes's
    // install step (the bug: the group reached pip's final, hash-checking run).
    let got = p.same("--group test.tools", &["--group", "test.tools"]);
    has(&got, &["pytest-ish==1.0", "helper==1.0", "ruff-ish==1.0"]);
    let got = p.same(
        "--group=sub/pyproject.toml:extra",
        &["--group=sub/pyproject.toml:extra"],
    );
    has(&got, &["helper==1.0"]);
    // An empty group asks for nothing: pip installs nothing and succeeds, and so does pyprov.
    let before = p.pip.freeze();
    let got = p.same("--group empty", &["--group", "empty"]);
    assert_eq!(got.freeze, before);
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn group_refusals_are_pips() {
    let p = Pair::new();
    p.ctx.write("pyproject.toml", PYPROJECT);
    let cyclic = p.run_pyprov(&["--group", "cyclic"]);
    snapshot!(p.ctx, "group_cyclic", cyclic.snapshot_stderr());
    let missing = p.run_pyprov(&["--group", "nope"]);
    snapshot!(p.ctx, "group_missing", missing.snapshot_stderr());
    let elsewhere = p.run_pyprov(&["--group", "other/pyproject.toml:dev"]);
    snapshot!(p.ctx, "group_no_file", elsewhere.snapshot_stderr());
    let lock = p.run_pyprov(&["--group", "pylock.toml:dev"]);
    snapshot!(p.ctx, "group_from_lock", lock.snapshot_stderr());
    let path = p.run_pyprov(&["--group", "setup.cfg:dev"]);
    snapshot!(p.ctx, "group_bad_path", path.snapshot_stderr());
    for (args, words) in [
        ("cyclic", "Cyclic dependency group include while resolving cyclic: cyclic -> loop, loop -> cyclic"),
        ("nope", "Dependency group 'nope' not found"),
        ("other/pyproject.toml:dev", "other/pyproject.toml not found. Cannot resolve '--group' option."),
    ] {
        let pip = p.plain_pip(&["--group", args], &[], true);
        assert!(pip.stderr.contains(words), "{}", pip.stderr);
    }
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn only_deps_installs_what_pip_does() {
    let p = Pair::new();
    p.publish(&[&wheel("dep", "1.0", &[]), &wheel("app", "1.0", &["dep"])]);
    let got = p.same("--only-deps app", &["--only-deps", "app"]);
    has(&got, &["dep==1.0"]);
    assert!(!got.freeze.contains("app=="), "{}", got.freeze);
    // The common use: the dependencies of a project of one's own, not the project.
    p.publish(&[&dists::backend_wheel(), &wheel("other", "1.0", &[])]);
    std::fs::create_dir_all(p.ctx.work_path("proj/proj")).unwrap();
    p.ctx.write("proj/proj/__init__.py", "");
    p.ctx.write(
        "proj/pyproject.toml",
        format!(
            "[build-system]\nrequires = [\"{}\"]\nbuild-backend = \"pyprov_test_backend\"\n",
            dists::BACKEND_NAME
        ),
    );
    p.ctx.write(
        "proj/pyprov_build.json",
        r#"{"name": "proj", "escaped": "proj", "version": "0.1", "requires_dist": ["other"], "packages": ["proj"]}"#,
    );
    let got = p.same("--only-deps ./proj", &["--only-deps", "./proj"]);
    has(&got, &["other==1.0"]);
    assert!(!got.freeze.contains("proj"), "{}", got.freeze);
    p.ctx.write("r.txt", "app\n");
    p.ctx.write("pyproject.toml", PYPROJECT);
    let conflict = p.run_pyprov(&[
        "--only-deps",
        "--no-deps",
        "-r",
        "r.txt",
        "--group",
        "lint",
        "app",
    ]);
    snapshot!(p.ctx, "only_deps_conflicts", conflict.snapshot_stderr());
    let pip = p.plain_pip(
        &[
            "--only-deps",
            "--no-deps",
            "-r",
            "r.txt",
            "--group",
            "lint",
            "app",
        ],
        &[],
        true,
    );
    let words = "Cannot use '--only-dependencies' in combination with '--no-deps', '--requirement', or '--group'.";
    assert!(pip.stderr.contains(words), "{}", pip.stderr);
    assert!(conflict.stderr.contains(words), "{}", conflict.stderr);
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn build_constraint_applies_to_builds_as_in_pip() {
    let p = Pair::new();
    // helper 2.0 is an sdist whose wheel does not build (pip does not backtrack past a failed
    // build): an sdist whose build needs helper builds only when a build constraint keeps
    // helper at 1.0.
    let marker = p.ctx.path("helper-2.0-hooks");
    p.publish(&[
        &dists::backend_wheel(),
        &wheel("helper", "1.0", &[]),
        &dists::sdist_failing_build("helper", "2.0", &[], &marker),
        &dists::sdist("built", "1.0", &["helper"], None),
    ]);
    p.ctx.write("build-constraints.txt", "helper==1.0\n");
    let pip = p.plain_pip(&["built"], &[], true);
    assert_ne!(
        pip.code, 0,
        "harness: pip built without the build constraint"
    );
    let got = p.same(
        "--build-constraint build-constraints.txt",
        &["--build-constraint", "build-constraints.txt", "built"],
    );
    has(&got, &["built==1.0"]);
    // Its copy keys a stored resolution like any requirements file's: a second identical run
    // (into the venv as the first left it) reuses the resolution the first stored.
    let args = ["--build-constraint", "build-constraints.txt", "built"];
    let (first, second) = (p.run_pyprov(&args), p.run_pyprov(&args));
    for run in [&first, &second] {
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            !run.stderr.contains("neither reused nor stored"),
            "{}",
            run.stderr
        );
    }
    assert!(
        second.stderr.contains("reused the stored resolution"),
        "{}",
        second.stderr
    );
    let isolation = p.run_pyprov(&[
        "--build-constraint=build-constraints.txt",
        "--no-build-isolation",
        "built",
    ]);
    snapshot!(
        p.ctx,
        "build_constraint_no_isolation",
        isolation.snapshot_stderr()
    );
}

/// A local wheel named in a build-constraints file: plain pip installs it into the sdist's
/// build environment, which its report never shows. pyprov refuses the file (exit 2) before
/// anything is fetched or built, naming the file, the line and the fix; a bare local path and
/// a source option are refused the same way.
#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn build_constraint_local_file_is_refused() {
    let p = Pair::new();
    // The index has no helper at all: `built` builds only with the local helper.
    let marker = p.ctx.path("built-hooks");
    p.publish(&[
        &dists::backend_wheel(),
        &dists::sdist("built", "1.0", &["helper"], Some(&marker)),
    ]);
    let local = wheel("helper", "1.0", &[]).write_to(&p.ctx.work);
    let url = url::Url::from_file_path(&local).unwrap();
    p.ctx.write("bc.txt", format!("helper @ {url}\n"));
    let pip = p.plain_pip(&["--build-constraint", "bc.txt", "built"], &[], true);
    assert_eq!(
        pip.code, 0,
        "harness: plain pip did not build with the local helper:\n{}",
        pip.stderr
    );
    assert!(marker.exists(), "harness: plain pip ran no build hook");
    std::fs::remove_file(&marker).unwrap();
    let before = p.ctx.index().requests().len();
    let refused = p.run_pyprov(&["--build-constraint", "bc.txt", "built"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(!marker.exists(), "pyprov ran the sdist's code");
    assert_eq!(
        p.ctx.index().requests().len(),
        before,
        "pyprov asked the index for something"
    );
    p.ctx.write(
        "bc2.txt",
        "./helper-1.0-py3-none-any.whl\n--find-links ./wheels\n",
    );
    let bare = p.run_pyprov(&["--build-constraint", "bc2.txt", "built"]);
    p.ctx
        .write("bc3.txt", "--find-links ./wheels\nhelper==1.0\n");
    let option = p.run_pyprov(&["--build-constraint", "bc3.txt", "built"]);
    snapshot!(
        p.ctx,
        "build_constraint_local_file",
        format!(
            "{}\n{}\n{}",
            refused.snapshot_stderr(),
            bare.snapshot_stderr(),
            option.snapshot_stderr()
        )
    );
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn build_constraint_needs_pip_25_3() {
    let ctx = TestContext::with_pip(PipVersion::Oldest);
    ctx.write("bc.txt", "helper==1.0\n");
    let run = ctx.install(&["--build-constraint", "bc.txt", "anything"]);
    snapshot!(ctx, "build_constraint_old_pip", run.snapshot_stderr());
}

/// Three loopback indexes, the first as `index-url` and the others as `extra-index-url` on
/// continuation lines of a pip.conf that `place` puts where pip reads it (returning the
/// variables to set or, `None`, to remove); `one` needs `two` (on the second index), which
/// needs `three` (on the third).
fn three_indexes(place: impl Fn(&Pair, &str) -> Vec<(String, Option<String>)>) {
    let p = Pair::new();
    let second = TestIndex::new();
    let third = TestIndex::new();
    p.publish(&[&wheel("one", "1.0", &["two"])]);
    second.publish(p.ctx.pki(), &wheel("two", "1.0", &["three"]), REPO);
    third.publish(p.ctx.pki(), &wheel("three", "1.0", &[]), REPO);
    let conf = format!(
        "[global]\nindex-url = {}\nextra-index-url =\n    {}\n    {}\n",
        p.ctx.index().url(),
        second.url(),
        third.url()
    );
    let env = place(&p, &conf);
    let apply = |cmd: &mut Command| {
        for (k, v) in &env {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
    };
    // pyprov first, alone: each index must have served a file to pyprov's gate.
    let mut ours = p.pyprov_cmd(&["one"], &[], false);
    apply(&mut ours);
    let ours = p.ctx.run(&mut ours);
    assert_eq!(ours.code, 0, "{}", ours.stderr);
    for (name, index) in [
        ("first", p.ctx.index()),
        ("second", &second),
        ("third", &third),
    ] {
        assert!(
            !index.file_requests().is_empty(),
            "the {name} index served no file"
        );
    }
    let mut pip = p.plain_pip_cmd(&["one"], &[], false);
    apply(&mut pip);
    let pip = p.ctx.run(&mut pip);
    assert_eq!(pip.code, 0, "harness: {}", pip.stderr);
    let (a, b) = (installed(&p.pip), installed(&p.pyprov));
    assert_eq!(a, b, "pyprov installed otherwise than pip");
    has(&a, &["one==1.0", "two==1.0", "three==1.0"]);
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn pip_config_file_with_extra_indexes_on_continuation_lines() {
    three_indexes(|p, conf| {
        let path = p.ctx.path("pip.conf");
        std::fs::write(&path, conf).unwrap();
        vec![("PIP_CONFIG_FILE".into(), Some(path.display().to_string()))]
    });
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn user_pip_conf_with_extra_indexes_on_continuation_lines() {
    three_indexes(|p, conf| {
        let dir = p.ctx.home.join(".config/pip");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("pip.conf"), conf).unwrap();
        vec![("PIP_CONFIG_FILE".into(), None)]
    });
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn install_section_with_extra_indexes_on_continuation_lines() {
    three_indexes(|p, conf| {
        let path = p.ctx.path("pip.conf");
        std::fs::write(&path, conf.replace("[global]", "[install]")).unwrap();
        vec![("PIP_CONFIG_FILE".into(), Some(path.display().to_string()))]
    });
}
