//! The pip versions pyprov supports, end to end: the oldest (`MIN_PIP` in src/install/pip.rs)
//! and the newest, each in a real venv (tests/support/venv.rs `Venv::create_with`, from the
//! wheels `.ci/run` downloads), installing a signed wheel through pyprov.

use crate::support;
use std::process::Command;

use crate::support::dists;
use crate::support::index::TestIndex;
use crate::support::venv::{PipVersion, Venv};
use assert_cmd::cargo::CommandCargoExt;

fn signed_install_works_with(pip: PipVersion, expected: &str) {
    let (dir, pki, root) = support::sandbox();
    let index = TestIndex::new();
    let alpha = dists::wheel("alpha", "1.0", &["beta"], &[]);
    let beta = dists::wheel("beta", "2.0", &[], &[]);
    for d in [&alpha, &beta] {
        let prov = dists::provenance_for(&pki, d, "acme/widgets", "release.yml");
        index.add_with_provenance(&d.name, d.clone(), Some(prov));
    }
    let venv = Venv::create_with(&dir.path().join("venv"), pip);
    assert_eq!(venv.pip_version(), expected);
    let before = venv.packages();

    let mut cmd = Command::cargo_bin("pyprov").unwrap();
    Venv::clean_env(&mut cmd);
    let out = cmd
        .env_remove("CI")
        .env_remove("PYPROV_LOCKED")
        .env("PYPROV_CACHE_DIR", dir.path().join("cache"))
        .env("NO_COLOR", "1")
        .current_dir(dir.path())
        .args(["install", "--format", "json", "--python"])
        .arg(venv.python())
        .arg("--trusted-root")
        .arg(&root)
        .args(["-i", &index.url(), "alpha"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "pip {expected}:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut after = before;
    after.insert("alpha".into(), "1.0".into());
    after.insert("beta".into(), "2.0".into());
    assert_eq!(venv.packages(), after);
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn oldest_supported_pip_installs_a_signed_wheel() {
    signed_install_works_with(PipVersion::Oldest, "22.2.2");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn newest_pip_installs_a_signed_wheel() {
    signed_install_works_with(PipVersion::Newest, "26.3");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn bundled_pip_is_the_base_interpreters() {
    let dir = tempfile::tempdir().unwrap();
    let venv = Venv::create_with(&dir.path().join("venv"), PipVersion::Bundled);
    let base = Command::new(std::env::var("PYPROV_TEST_PYTHON").unwrap_or("python3".into()))
        .args(["-c", "import ensurepip; print(ensurepip.version())"])
        .output()
        .unwrap();
    assert_eq!(
        venv.pip_version(),
        String::from_utf8_lossy(&base.stdout).trim()
    );
}
