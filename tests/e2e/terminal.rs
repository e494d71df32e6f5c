//! What `pyprov install` reports, on the terminal and in JSON, for the cases a verdict alone
//! hides: certificate text that would drive the terminal, an `environment` the certificate
//! cannot prove, and a trust-on-first-use pin that another process won. Real pip in a real
//! virtualenv, a real index on 127.0.0.1, files signed by the throwaway Sigstore.

use crate::support::context::{row, Run, TestContext};
use std::time::{Duration, Instant};

use crate::support::dists::{self, Dist};
use crate::support::pki::{self, Identity};
use serde_json::Value;

const REPO: &str = "acme/widgets";
/// A hyperlink (OSC 8), a screen clear, a carriage return and a right-to-left override.
const HOSTILE: &str = "v1\x1b]8;;evil\x1b\\ok\x1b]8;;\x1b\\\x1b[2J\r\u{202e}lmx";
const HOSTILE_SHOWN: &str = "v1\\x1b]8;;evil\\x1b\\ok\\x1b]8;;\\x1b\\\\x1b[2J\\r\\u{202e}lmx";

/// Serves `dist` signed by `identity`, under the GitHub publisher REPO/release.yml.
fn publish(ctx: &TestContext, dist: &Dist, identity: Identity) {
    let prov = dists::provenance_with(
        ctx.pki(),
        dist,
        identity,
        pki::github_publisher(REPO, "release.yml", None),
    );
    ctx.index()
        .add_with_provenance(&dist.name, dist.clone(), Some(prov));
}

/// The report: the last JSON object on stdout (pip's own output shares it).
fn report(run: &Run) -> Value {
    match run.report() {
        Value::Null => panic!("no report:\n{}\n{}", run.stdout, run.stderr),
        json => json,
    }
}

/// `pyprov install --format json ARGS`: (exit status, the report).
fn install_json(ctx: &TestContext, args: &[&str]) -> (i32, Value) {
    let run = ctx.install_json(args);
    (run.code, report(&run))
}

fn widget() -> Dist {
    dists::wheel("widget", "1.0", &[], &[])
}

/// The release workflow at `git_ref`, its Build Config URI naming the same ref.
fn release_at(git_ref: &str) -> Identity {
    let mut id = Identity::github(REPO, "release.yml", "refs/tags/v1.0").with_build_config_uri(
        &format!("https://github.com/{REPO}/.github/workflows/release.yml@{git_ref}"),
    );
    id.source_repository_ref = Some(git_ref.into());
    id
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn an_unproven_environment_and_hostile_certificate_text_show_in_the_install_table() {
    let ctx = TestContext::new();
    let dist = widget();
    publish(&ctx, &dist, release_at(&format!("refs/tags/{HOSTILE}")));
    ctx.trust_file(&format!(
        "[packages]\nwidget = {{ publisher = \"github:{REPO}/release.yml\", environment = \"pypi\" }}\n"
    ));
    let out = ctx.install(&["widget"]);
    let err = &out.stderr;
    assert_eq!(out.code, 0, "{err}");
    assert!(ctx.venv().has_package("widget"));
    assert!(
        !err.contains('\x1b') && !err.contains('\r') && !err.contains('\u{202e}'),
        "{err:?}"
    );
    // The certificate's ref as HOSTILE_SHOWN, the warning and its fix, the trust file named.
    assert!(err.contains(HOSTILE_SHOWN), "{err}");
    snapshot!(
        ctx,
        "hostile_and_unproven_in_the_table",
        out.snapshot_stderr()
    );
    let file = ctx.work_path("pyprov.toml").display().to_string();

    // JSON: the same warning, the exact certificate text.
    let (code, json) = install_json(&ctx, &["--force-reinstall", "widget"]);
    assert_eq!(code, 0, "{json:#}");
    let r = row(&json, &dist.filename);
    assert_eq!(
        (&r["verdict"], &r["code"]),
        (&"warn".into(), &"environment-unproven".into())
    );
    assert_eq!(r["git_ref"], format!("refs/tags/{HOSTILE}"));
    assert_eq!(json["trust_file"], file);
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn require_environment_proof_refuses_the_install() {
    let ctx = TestContext::new();
    let dist = widget();
    publish(&ctx, &dist, release_at("refs/tags/v1.0"));
    ctx.trust_file(&format!(
        "[policy]\nrequire-environment-proof = true\n\n[packages]\nwidget = {{ publisher = \"github:{REPO}/release.yml\", environment = \"pypi\" }}\n"
    ));
    let (code, json) = install_json(&ctx, &["widget"]);
    assert_eq!(code, 1, "{json:#}");
    let r = row(&json, &dist.filename);
    assert_eq!(
        (&r["verdict"], &r["code"]),
        (&"deny".into(), &"environment-unproven".into())
    );
    assert_eq!(json["installed"], false);
    assert!(!ctx.venv().has_package("widget"));
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_pin_another_process_wrote_first_is_what_the_report_names_and_judges_by() {
    let ctx = TestContext::new();
    let dist = widget();
    publish(&ctx, &dist, release_at("refs/tags/v1.0"));
    ctx.trust_file("[policy]\ntofu = true\n");
    // Slow enough that the other pin lands while this install runs.
    ctx.index().set_latency(Duration::from_millis(300));
    let mut cmd = ctx.pyprov_pip("install");
    cmd.args(["--format", "json", "widget"]);
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // pyprov reads the trust file before it asks the index anything.
    let deadline = Instant::now() + Duration::from_secs(60);
    while ctx.index().requests().is_empty() {
        assert!(Instant::now() < deadline, "pyprov never asked the index");
        std::thread::sleep(Duration::from_millis(5));
    }
    let other = "[policy]\ntofu = true\n\n[packages]\nwidget = { publisher = \"github:mallory/widgets/release.yml\", pinned = \"tofu 2025-06-01\" }\n";
    ctx.trust_file(other);
    let out = child.wait_with_output().unwrap();
    let json = report(&Run::from(out));

    // The file keeps the other process's pin, and the report says so and judges by it.
    assert_eq!(ctx.read_trust_file(), other);
    let file = ctx.work_path("pyprov.toml").display().to_string();
    let r = row(&json, &dist.filename);
    assert_eq!(
        (&r["verdict"], &r["code"]),
        (&"deny".into(), &"publisher-changed".into()),
        "{json:#}"
    );
    assert_eq!(
        r["message"],
        format!("expected github:mallory/widgets/release.yml, signed by github:{REPO}, workflow release.yml at refs/tags/v1.0 ({file}:5 was pinned by another process while this one verified the file)")
    );
    let notes: Vec<&str> = json["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        notes.first().copied(),
        Some(format!("widget was already pinned to github:mallory/widgets/release.yml in {file}:5 by another process; its files are judged against that pin").as_str()),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with(&format!("refused after the fact: {}: ", dist.filename))),
        "{notes:?}"
    );
}
