//! The pip versions pyprov supports, end to end: the oldest (`MIN_PIP` in src/install/pip.rs)
//! and the newest, each in a real venv (tests/support/venv.rs `Venv::create_with`, from the
//! wheels `.ci/run` downloads), installing a signed wheel through pyprov.

use std::process::Command;

use crate::support::context::TestContext;
use crate::support::dists;
use crate::support::venv::PipVersion;

fn signed_install_works_with(pip: PipVersion, expected: &str) {
    let ctx = TestContext::with_pip(pip);
    let alpha = dists::wheel("alpha", "1.0", &["beta"], &[]);
    let beta = dists::wheel("beta", "2.0", &[], &[]);
    for d in [&alpha, &beta] {
        ctx.publish(d, "acme/widgets");
    }
    let venv = ctx.venv();
    assert_eq!(venv.pip_version(), expected);
    let before = venv.packages();

    let out = ctx.install_json(&["alpha"]);
    assert_eq!(
        out.code, 0,
        "pip {expected}:\n{}\n{}",
        out.stdout, out.stderr
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
    let ctx = TestContext::new();
    let venv = ctx.venv();
    let base = Command::new(std::env::var("PYPROV_TEST_PYTHON").unwrap_or("python3".into()))
        .args(["-c", "import ensurepip; print(ensurepip.version())"])
        .output()
        .unwrap();
    assert_eq!(
        venv.pip_version(),
        String::from_utf8_lossy(&base.stdout).trim()
    );
}
