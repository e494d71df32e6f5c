//! The pip-version matrix: each pip of [`PipVersion::MATRIX`] (the oldest pyprov supports,
//! `MIN_PIP` = 22.2 in src/install/pip.rs, then 23.2, 24.x, 25.x and 26.x), each in a real venv
//! (tests/support/venv.rs `Venv::create_with`, from the wheels `.ci/run` downloads), through
//! pyprov against the loopback index: a signed install, a tampered file refused, an sdist whose
//! code runs only once it is verified, and pip kept behind the gate. `matrix!(case)` makes one
//! test per pip, `case::pip22_2` to `case::pip26_3`.
//!
//! The wider scenarios (tests/e2e/confine.rs, differential.rs) run on the oldest and the newest
//! pip only (`both_pips!`): this file is what every pip between them must pass too.

use std::process::Command;

use crate::support::context::{row, TestContext};
use crate::support::dists;
use crate::support::index::{Lie, TestIndex};
use crate::support::venv::PipVersion;

const REPO: &str = "acme/widgets";
const DENY: &str = "[policy]\nunattested = \"deny\"\n";

/// `matrix!(case)`: the function `case(PipVersion)` as one test per pip of
/// [`PipVersion::MATRIX`], in the slow tier (feature `real-pip`).
macro_rules! matrix {
    ($name:ident) => {
        mod $name {
            matrix!(@one $name, pip22_2, Oldest);
            matrix!(@one $name, pip23_2, Pip23_2);
            matrix!(@one $name, pip24_3, Pip24_3);
            matrix!(@one $name, pip25_3, Pip25_3);
            matrix!(@one $name, pip26_3, Newest);
        }
    };
    (@one $name:ident, $test:ident, $pip:ident) => {
        #[test]
        #[cfg_attr(
            not(feature = "real-pip"),
            ignore = "slow: real pip; cargo test --features real-pip"
        )]
        fn $test() {
            super::$name(super::PipVersion::$pip)
        }
    };
}

/// The requests `index` answered that did not come from pyprov's own client: pip's, had it
/// gone around the gate.
fn from_pip(index: &TestIndex) -> Vec<String> {
    index
        .requests()
        .into_iter()
        .filter(|r| {
            !r.user_agent
                .as_deref()
                .is_some_and(|ua| ua.starts_with("pyprov/"))
        })
        .map(|r| format!("{} {} ({:?})", r.method, r.path, r.user_agent))
        .collect()
}

/// A signed wheel and its signed dependency install, and pip fetched nothing from the index
/// itself (it resolved and installed through the gate, from files pyprov verified).
fn signed_install(pip: PipVersion) {
    let ctx = TestContext::with_pip(pip);
    let expected = pip.version().unwrap();
    let alpha = dists::wheel("alpha", "1.0", &["beta"], &[]);
    let beta = dists::wheel("beta", "2.0", &[], &[]);
    for d in [&alpha, &beta] {
        ctx.publish(d, REPO);
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
    let json = out.report();
    for d in [&alpha, &beta] {
        let r = row(&json, &d.filename);
        assert_eq!(r["verdict"], "allow", "pip {expected}: {json:#}");
        assert_eq!(r["sha256"], d.sha256(), "pip {expected}");
    }
    let mut after = before;
    after.insert("alpha".into(), "1.0".into());
    after.insert("beta".into(), "2.0".into());
    assert_eq!(venv.packages(), after, "pip {expected}");
    let around = from_pip(ctx.index());
    assert!(
        around.is_empty(),
        "pip {expected} reached the index around the gate: {around:#?}"
    );
}
matrix!(signed_install);

/// Bytes that are not the attested file, served with a hash that matches them (so pip's own
/// check would pass), are refused, and nothing is installed.
fn tampered_file_refused(pip: PipVersion) {
    let ctx = TestContext::with_pip(pip);
    let expected = pip.version().unwrap();
    let alpha = dists::wheel("alpha", "1.0", &["beta"], &[]);
    let beta = dists::wheel("beta", "2.0", &[], &[]);
    for d in [&alpha, &beta] {
        ctx.publish(d, REPO);
    }
    ctx.index().lie(
        &beta.filename,
        Lie::TamperedBytes(b"PK\x03\x04 not the attested wheel".to_vec()),
    );
    let before = ctx.venv().freeze();
    let out = ctx.install_json(&["alpha"]);
    let json = out.report();
    assert_eq!(out.code, 1, "pip {expected}: {json:#}\n{}", out.stderr);
    let r = row(&json, &beta.filename);
    assert_eq!(r["verdict"], "deny", "pip {expected}: {json:#}");
    assert_eq!(r["code"], "provenance-invalid", "pip {expected}: {json:#}");
    assert_eq!(json["installed"], false, "pip {expected}");
    assert_eq!(
        ctx.venv().freeze(),
        before,
        "pip {expected}: a refusal installed something"
    );
}
matrix!(tampered_file_refused);

/// An sdist's code (its build backend writes a marker file) runs only once the sdist is
/// verified: an unattested one, denied, never runs; a signed one, from the publisher the trust
/// file names, builds and installs, its build backend verified like any file.
fn sdist_built_only_after_verification(pip: PipVersion) {
    let ctx = TestContext::with_pip(pip);
    let expected = pip.version().unwrap();
    let backend = dists::backend_wheel();
    ctx.publish(&backend, "acme/backend");
    let unsigned_marker = ctx.path("unsigned-marker");
    let unsigned = dists::sdist("delta", "1.0", &[], Some(&unsigned_marker));
    ctx.index().add("delta", unsigned.clone());
    let signed_marker = ctx.path("signed-marker");
    let signed = dists::sdist("gamma", "1.0", &[], Some(&signed_marker));
    ctx.publish(&signed, REPO);
    ctx.trust_file(&format!(
        "{DENY}[packages]\ngamma = {{ publisher = \"github:{REPO}\" }}\n\
         pyprov-test-backend = {{ publisher = \"github:acme/backend\" }}\n"
    ));

    let before = ctx.venv().freeze();
    let out = ctx.install_json(&["delta"]);
    let json = out.report();
    assert_eq!(out.code, 1, "pip {expected}: {json:#}\n{}", out.stderr);
    assert_eq!(
        row(&json, &unsigned.filename)["code"],
        "unattested-denied",
        "pip {expected}"
    );
    assert!(
        !unsigned_marker.exists(),
        "pip {expected}: the unattested sdist's code ran before it was refused"
    );
    assert_eq!(ctx.venv().freeze(), before, "pip {expected}");

    let out = ctx.install_json(&["gamma"]);
    let json = out.report();
    assert_eq!(out.code, 0, "pip {expected}: {json:#}\n{}", out.stderr);
    assert!(ctx.venv().has_package("gamma"), "pip {expected}");
    assert!(
        signed_marker.exists(),
        "pip {expected}: the signed sdist was not built"
    );
    let b = row(&json, &backend.filename);
    assert_eq!(b["verdict"], "allow", "pip {expected}: {json:#}");
    assert_eq!(b["publisher"], "github:acme/backend/release.yml");
}
matrix!(sdist_built_only_after_verification);

/// An extra index in pip's own configuration (a `PIP_CONFIG_FILE`, as this pip reads it) is
/// served through the gate: pyprov vets what it serves (an unattested sdist, denied), no request
/// from pip reaches it, and its code never runs.
fn pip_kept_behind_the_gate(pip: PipVersion) {
    let ctx = TestContext::with_pip(pip);
    let expected = pip.version().unwrap();
    ctx.publish(&dists::backend_wheel(), "acme/backend");
    ctx.trust_file(DENY);
    let evil = TestIndex::new();
    let marker = ctx.path("marker");
    let payload = dists::sdist("payload", "1.0", &[], Some(&marker));
    evil.add("payload", payload.clone());
    let conf = ctx.temp().join("evil.conf");
    std::fs::write(
        &conf,
        format!("[global]\nextra-index-url = {}\n", evil.url()),
    )
    .unwrap();

    let before = ctx.venv().freeze();
    let mut cmd: Command = ctx.pyprov_pip("install");
    cmd.args(["--format", "json", "payload"])
        .env("PIP_CONFIG_FILE", &conf);
    let out = ctx.run(&mut cmd);
    let json = out.report();
    assert_eq!(out.code, 1, "pip {expected}: {json:#}\n{}", out.stderr);
    let r = row(&json, &payload.filename);
    assert_eq!(r["code"], "unattested-denied", "pip {expected}: {json:#}");
    let around = from_pip(&evil);
    assert!(
        around.is_empty(),
        "pip {expected} reached the configured index around the gate: {around:#?}"
    );
    assert!(!marker.exists(), "pip {expected}: payload's code ran");
    assert_eq!(ctx.venv().freeze(), before, "pip {expected}");
}
matrix!(pip_kept_behind_the_gate);

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
