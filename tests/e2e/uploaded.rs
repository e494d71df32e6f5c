//! pip 26's `--uploaded-prior-to` through pyprov: the gate passes the index's PEP 700
//! `upload-time` through, so pip filters as it does against the index itself. Each spelling
//! (`=` and a space; an ISO datetime and `P<n>D`) must install what plain pip installs from
//! the same loopback index.

use std::collections::BTreeMap;

use crate::support::context::TestContext;
use crate::support::dists;
use crate::support::index::days_ago;
use crate::support::venv::PipVersion;

const REPO: &str = "acme/widgets";

/// alpha 1.0 (old) and 2.0 (a day old), each needing beta; beta 1.0 (old) and 2.0 (a day
/// old). Without a cutoff pip takes alpha 2.0 and beta 2.0; with one of three days, 1.0 of each.
fn index_with_a_fresh_release(ctx: &TestContext) {
    for (name, version, age) in [
        ("alpha", "1.0", 30),
        ("alpha", "2.0", 1),
        ("beta", "1.0", 30),
        ("beta", "2.0", 1),
    ] {
        let deps: &[&str] = if name == "alpha" { &["beta"] } else { &[] };
        let d = dists::wheel(name, version, deps, &[]);
        ctx.publish(&d, REPO);
        ctx.index()
            .set_upload_time(&d.filename, Some(&days_ago(age)));
    }
}

/// What plain pip installs into a fresh venv from the context's index with `args`.
/// Plain pip `install -i INDEX ARGS` into a fresh venv `[TEMP]/rel`, asserting whether it
/// succeeded (`ok`); what the venv then holds.
fn plain_pip(ctx: &TestContext, rel: &str, args: &[&str], ok: bool) -> BTreeMap<String, String> {
    let venv = ctx.new_venv(rel);
    let url = ctx.index().url();
    let mut full = vec!["install", "-i", &url];
    full.extend_from_slice(args);
    let out = venv.run(&full);
    assert_eq!(
        out.status.success(),
        ok,
        "plain pip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    venv.packages()
}

fn same_as_pip(cutoff: &[&str]) {
    let ctx = TestContext::with_pip(PipVersion::Newest);
    index_with_a_fresh_release(&ctx);
    let mut args = cutoff.to_vec();
    args.push("alpha");
    let expected = plain_pip(&ctx, "plain", &args, true);
    assert_eq!(expected.get("alpha").map(String::as_str), Some("1.0"));
    assert_eq!(expected.get("beta").map(String::as_str), Some("1.0"));

    let venv = ctx.install_fresh("through-pyprov", &args);
    assert_eq!(
        venv.packages(),
        expected,
        "pyprov {args:?} differs from pip"
    );
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn days_with_an_equals_sign() {
    same_as_pip(&["--uploaded-prior-to=P3D"]);
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn days_with_a_space() {
    same_as_pip(&["--uploaded-prior-to", "P3D"]);
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_datetime_with_an_equals_sign_and_with_a_space() {
    let when = days_ago(3);
    same_as_pip(&[&format!("--uploaded-prior-to={when}")]);
    same_as_pip(&["--uploaded-prior-to", &when]);
}

/// Without a cutoff the fresh release is what both take: the filter above is pip's, and the
/// gate itself hides nothing.
#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn without_a_cutoff_the_fresh_release_is_taken() {
    let ctx = TestContext::with_pip(PipVersion::Newest);
    index_with_a_fresh_release(&ctx);
    let expected = plain_pip(&ctx, "plain", &["alpha"], true);
    assert_eq!(expected.get("alpha").map(String::as_str), Some("2.0"));
    let venv = ctx.install_fresh("through-pyprov", &["alpha"]);
    assert_eq!(venv.packages(), expected);
}

/// An index that gives no upload times: pip 26 refuses every file under a cutoff, and so
/// does pip through pyprov (the gate invents none), with the same message.
#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn no_upload_time_upstream_means_none_through_the_gate() {
    let ctx = TestContext::with_pip(PipVersion::Newest);
    let d = dists::wheel("gamma", "1.0", &[], &[]);
    ctx.publish(&d, REPO);
    let plain = ctx.new_venv("plain");
    let url = ctx.index().url();
    let out = plain.run(&["install", "-i", &url, "--uploaded-prior-to=P3D", "gamma"]);
    assert!(!out.status.success());
    let said =
        |stderr: &str| stderr.contains("/simple/gamma/ does not provide upload-time metadata");
    assert!(said(&String::from_utf8_lossy(&out.stderr)), "{out:?}");
    let run = ctx.install(&["--uploaded-prior-to=P3D", "gamma"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(said(&run.stderr), "{}", run.stderr);
    assert!(!ctx.venv().has_package("gamma"));
}

/// Hash-pinned requirements with a cutoff go through pip's resolver against the gate, so a
/// pinned file uploaded after the cutoff is refused by pip, as without pyprov.
#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn hash_pinned_files_are_filtered_as_pip_filters_them() {
    let ctx = TestContext::with_pip(PipVersion::Newest);
    index_with_a_fresh_release(&ctx);
    let pin = |name: &str, version: &str| {
        let d = dists::wheel(
            name,
            version,
            if name == "alpha" { &["beta"] } else { &[] },
            &[],
        );
        format!("{name}=={version} --hash=sha256:{}\n", d.sha256())
    };
    let old = ctx.write("old.txt", pin("alpha", "1.0") + &pin("beta", "1.0"));
    let fresh = ctx.write("fresh.txt", pin("alpha", "2.0") + &pin("beta", "2.0"));
    for (reqs, ok) in [(&old, true), (&fresh, false)] {
        let reqs = reqs.to_str().unwrap();
        let args = ["--uploaded-prior-to", "P3D", "-r", reqs];
        let plain = plain_pip(
            &ctx,
            if ok { "plain-old" } else { "plain-fresh" },
            &args,
            ok,
        );
        let venv = ctx.new_venv(if ok { "pyprov-old" } else { "pyprov-fresh" });
        let mut cmd = ctx.pyprov_pip("install");
        cmd.args(args).arg("--python").arg(venv.python());
        let run = ctx.run(&mut cmd);
        assert_eq!(run.code == 0, ok, "{}", run.stderr);
        assert_eq!(venv.packages(), plain);
    }
}
