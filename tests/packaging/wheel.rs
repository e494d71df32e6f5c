//! `pip install pyprov-cli`: the wheel pyproject.toml describes (maturin's `bin` bindings) is
//! built from this checkout, installed with pip into a fresh virtualenv, and run from there as
//! the `pyprov` command. The distribution is `pyprov-cli`, never `pyprov`: that name on PyPI is
//! an unrelated 2013 package whose sdist runs setup.py on install.
//!
//! Nothing here reaches the network: maturin runs with Cargo offline (`.ci/run` fetches every
//! crate first), and pip runs with `--no-index`, no configuration file and none of this
//! machine's `PIP_*` variables. maturin comes from `$PYPROV_TEST_MATURIN` (set by `.ci/run`),
//! else from `PATH`; without it the test fails and says how to get it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::context::TestContext;

const VERSION: &str = env!("CARGO_PKG_VERSION");
const CRATE: &str = env!("CARGO_MANIFEST_DIR");

/// A real PyPI release with its provenance beside it, from the repository's own fixtures/.
const SDIST: &str = "fixtures/pypi-attestations/pypi_attestations-0.0.19.tar.gz";
const PUBLISHER: &str = "github:trailofbits/pypi-attestations/release.yml";

fn maturin() -> PathBuf {
    if let Some(p) = std::env::var_os("PYPROV_TEST_MATURIN").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "PYPROV_TEST_MATURIN={} does not exist; run `bash .ci/run` to install maturin",
            p.display()
        );
        return p;
    }
    which::which("maturin").unwrap_or_else(|_| {
        panic!(
            "maturin not found: PYPROV_TEST_MATURIN is unset and there is no maturin on PATH.\n\
             Run `bash .ci/run` (it installs maturin into target/ci-tools/ and runs the tests with \
             PYPROV_TEST_MATURIN set), or set PYPROV_TEST_MATURIN to a maturin executable."
        )
    })
}

fn python() -> String {
    std::env::var("PYPROV_TEST_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// A command that sees none of this machine's pip configuration and never asks an index.
fn pip_clean(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PIP_") {
            cmd.env_remove(&key);
        }
    }
    cmd.env_remove("VIRTUAL_ENV")
        .env_remove("PYTHONPATH")
        .env_remove("PYTHONHOME")
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("PIP_NO_INDEX", "1");
    cmd
}

fn run(mut cmd: Command, what: &str) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}): {cmd:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `maturin build --out DIR` in the dev profile, on the crate's own target directory: the same
/// `cargo` invocation as the one that built the tests' binary, so nothing compiles again. Returns
/// the one wheel it wrote.
fn build_wheel(out_dir: &Path) -> PathBuf {
    let mut cmd = Command::new(maturin());
    cmd.current_dir(CRATE)
        .args(["build", "--locked", "--out"])
        .arg(out_dir)
        // `cargo metadata` would otherwise download crates of other platforms it lacks.
        .env("CARGO_NET_OFFLINE", "true");
    let started = std::time::Instant::now();
    let out = {
        let _binary = super::hold_target_binary();
        cmd.output().expect("run maturin")
    };
    assert!(
        out.status.success(),
        "maturin build failed ({}); if a crate is missing offline, run `bash .ci/run` (it runs \
         `cargo fetch`)\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("maturin build took {:.1?}", started.elapsed());
    let wheels: Vec<PathBuf> = std::fs::read_dir(out_dir)
        .expect("read the wheel directory")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "whl"))
        .collect();
    assert_eq!(wheels.len(), 1, "one wheel expected, found {wheels:?}");
    let wheel = wheels.into_iter().next().unwrap();
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    // A binary-only wheel: any Python 3, no ABI, one platform.
    assert!(
        name.starts_with(&format!("pyprov_cli-{VERSION}-py3-none-")),
        "unexpected wheel name {name}"
    );
    wheel
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: maturin and pip; cargo test --features real-pip"
)]
fn the_wheel_installs_with_pip_into_a_fresh_virtualenv_and_runs() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let wheel = build_wheel(&tmp.path().join("dist"));

    let venv = tmp.path().join("venv");
    let mut cmd = pip_clean(python());
    cmd.args(["-m", "venv"]).arg(&venv);
    run(cmd, "python3 -m venv");

    let mut cmd = pip_clean(venv.join("bin/python"));
    cmd.args(["-m", "pip", "install", "--no-index", "--quiet"])
        .arg(&wheel);
    run(cmd, "pip install the wheel");

    let pyprov = venv.join("bin/pyprov");
    assert!(pyprov.is_file(), "pip did not install {}", pyprov.display());

    let mut cmd = pip_clean(&pyprov);
    cmd.arg("--version");
    let out = run(cmd, "pyprov --version");
    let version = String::from_utf8_lossy(&out.stdout);
    assert_eq!(version.trim(), format!("pyprov {VERSION}"));

    // pip knows it as the distribution pyprov-cli: `pip show`, `pip uninstall` work as for any
    // tool. Never as `pyprov`, the unrelated 2013 package of that name.
    let mut cmd = pip_clean(venv.join("bin/python"));
    cmd.args(["-m", "pip", "show", "pyprov-cli"]);
    let out = run(cmd, "pip show pyprov-cli");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.lines().any(|l| l == "Name: pyprov-cli")
            && shown.lines().any(|l| l == format!("Version: {VERSION}")),
        "pip show pyprov-cli:\n{shown}"
    );
    let mut cmd = pip_clean(venv.join("bin/python"));
    cmd.args(["-m", "pip", "show", "pyprov"]);
    let out = cmd.output().expect("run pip show pyprov");
    assert!(
        !out.status.success(),
        "a distribution named `pyprov` is installed:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // A real job with the installed binary: a real PyPI release against its attestation.
    let mut cmd = pip_clean(&pyprov);
    cmd.current_dir(CRATE)
        .args(["verify", SDIST, "--publisher", PUBLISHER]);
    let out = cmd.output().expect("run the installed pyprov");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "installed pyprov verify:\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Built by PUBLISHER, as the repository's own binary says.
    snapshot!(TestContext::new(), "installed_pyprov_verifies", stdout);
}

/// `cargo install --path .` stays the other way in, and the README says how to get pyprov both
/// ways. (Running `cargo install` here would rebuild everything in release: too slow for a test.)
#[test]
fn readme_documents_both_ways_in() {
    let readme = std::fs::read_to_string(Path::new(CRATE).join("README.md")).expect("README.md");
    let install = readme
        .split("\n## Install\n")
        .nth(1)
        .expect("README has an `## Install` section");
    let install = install.split("\n## ").next().unwrap_or(install);
    for needle in [
        "pip install",
        "maturin build --release",
        "cargo install --locked --path .",
        "pip install dist/pyprov_cli-",
        "docs/development.md",
    ] {
        assert!(
            install.contains(needle),
            "README's Install section does not mention `{needle}`"
        );
    }
    // Never tell a user to `pip install pyprov`: that is someone else's package. The README
    // names it only to warn ("Never `pip install pyprov`").
    let flat = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    for (at, _) in flat.match_indices("pip install pyprov") {
        let next = flat[at + "pip install pyprov".len()..].chars().next();
        let warned = flat[..at].ends_with("Never `");
        assert!(
            warned || matches!(next, Some('-' | '_')),
            "the README says `pip install pyprov`, an unrelated 2013 package: ...{}...",
            flat.get(at.saturating_sub(60)..at + 40).unwrap_or(&flat)
        );
    }
    // The static build moved to the developer documentation.
    let dev = std::fs::read_to_string(Path::new(CRATE).join("docs/development.md"))
        .expect("docs/development.md");
    assert!(
        dev.contains("## Static Linux binary (musl)")
            && dev.contains("cargo build --locked --release --target x86_64-unknown-linux-musl"),
        "docs/development.md lacks the static musl build"
    );
    let pyproject =
        std::fs::read_to_string(Path::new(CRATE).join("pyproject.toml")).expect("pyproject.toml");
    for needle in [
        "build-backend = \"maturin\"",
        "name = \"pyprov-cli\"",
        "dynamic = [\"version\"]",
        "bindings = \"bin\"",
    ] {
        assert!(
            pyproject.contains(needle),
            "pyproject.toml lacks `{needle}`"
        );
    }
}
