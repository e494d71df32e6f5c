//! `--format json` puts exactly one JSON document on stdout, in every exit path: success,
//! refusal, pip failing, and every usage error (a bad flag, an unreadable requirements file, a
//! broken trust file, no pip, locked without a trust file). pip's own output goes to stderr.

use crate::support::context::{Run, TestContext};
use crate::support::dists;
use crate::support::index::Lie;
use crate::support::venv::PipVersion;
use serde_json::Value;

const REPO: &str = "acme/widgets";

/// stdout parsed as a stream of JSON values: exactly one, an object, and nothing after it.
fn the_one_document(name: &str, out: &Run) -> Value {
    let mut values = serde_json::Deserializer::from_str(&out.stdout).into_iter::<Value>();
    let first = match values.next() {
        Some(Ok(v)) => v,
        other => panic!(
            "{name}: stdout is not one JSON document ({other:?}):\n{}",
            out.snapshot()
        ),
    };
    assert!(
        values.next().is_none(),
        "{name}: more than one JSON document on stdout:\n{}",
        out.snapshot()
    );
    assert!(first.is_object(), "{name}: {first:#}");
    first
}

/// An error path: exit 2 and `{"error": {code, message, fix}, "exit_code": 2}`.
fn usage_error(name: &str, out: &Run, code: &str) -> Value {
    let json = the_one_document(name, out);
    assert_eq!(out.code, 2, "{name}:\n{}", out.snapshot());
    assert_eq!(json["error"]["code"], code, "{name}: {json:#}");
    assert!(json["error"]["message"].is_string(), "{name}: {json:#}");
    assert!(
        json["error"]["fix"].is_string() || json["error"]["fix"].is_null(),
        "{name}: {json:#}"
    );
    assert_eq!(json["exit_code"], 2, "{name}: {json:#}");
    json
}

fn json_install(ctx: &TestContext, args: &[&str]) -> Run {
    ctx.install_json(args)
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn every_exit_path_prints_exactly_one_json_document() {
    let ctx = TestContext::new();
    ctx.publish(&dists::wheel("alpha", "1.0", &["beta>=2"], &[]), REPO);
    ctx.publish(&dists::wheel("beta", "2.0", &[], &[]), REPO);
    ctx.publish(&dists::wheel("gamma", "1.0", &[], &[]), REPO);
    let delta = dists::wheel("delta", "1.0", &[], &[]);
    ctx.publish(&delta, REPO);
    ctx.index().lie(&delta.filename, Lie::StripProvenance);
    // Verified and allowed, but pip's install step fails on it: a `.data` directory with a
    // scheme pip does not know.
    ctx.publish(
        &dists::wheel(
            "broken",
            "1.0",
            &[],
            &[("broken-1.0.data/nosuchscheme/x", b"x")],
        ),
        REPO,
    );

    // Success: pip's own "Successfully installed" goes to stderr.
    let out = json_install(&ctx, &["alpha"]);
    let json = the_one_document("success", &out);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert_eq!(json["installed"], true);
    assert!(
        out.stderr.contains("Successfully installed"),
        "pip's output is on stderr:\n{}",
        out.snapshot()
    );

    // Already installed: pip has nothing to do, the report still is the one document.
    let out = json_install(&ctx, &["alpha"]);
    the_one_document("already satisfied", &out);
    assert_eq!(out.code, 0, "{}", out.snapshot());

    // Download: the vetted files, one report.
    let out = ctx.run(
        ctx.pyprov_pip("download")
            .args(["--format", "json", "-d"])
            .arg(ctx.path("dl"))
            .arg("gamma"),
    );
    the_one_document("download", &out);
    assert_eq!(out.code, 0, "{}", out.snapshot());

    // A refusal: exit 1 and the report.
    ctx.trust_file("[policy]\nunattested = \"deny\"\n");
    let out = json_install(&ctx, &["delta"]);
    let json = the_one_document("refusal", &out);
    assert_eq!(out.code, 1, "{}", out.snapshot());
    assert_eq!(json["installed"], false);
    std::fs::remove_file(ctx.work_path("pyprov.toml")).unwrap();

    // pip failing after verification: its status, pyprov's report, pip's words on stderr.
    let out = json_install(&ctx, &["broken"]);
    let json = the_one_document("pip fails after verification", &out);
    assert_ne!(out.code, 0, "{}", out.snapshot());
    assert_eq!(json["installed"], false, "{json:#}");
    assert!(
        json["notes"].to_string().contains("after verification"),
        "{json:#}"
    );

    // pip failing while it resolves (before anything is verified).
    let file = ctx.write("not-a-dir", "x");
    let out = json_install(&ctx, &["--target", &file.display().to_string(), "gamma"]);
    the_one_document("pip fails", &out);
    assert_ne!(out.code, 0, "{}", out.snapshot());

    // Usage errors, each before pip runs or anything is fetched.
    let out = json_install(&ctx, &["--bogus", "alpha"]);
    usage_error("unknown pip flag", &out, "usage");
    let out = ctx.run_pyprov(&["install", "--format", "json", "--no-such-pyprov-flag=1"]);
    usage_error("unknown flag", &out, "usage");
    let out = ctx.run_pyprov(&["verify", "--format", "json", "--bogus", "x.whl"]);
    usage_error("verify: unknown flag (clap)", &out, "usage");
    let out = json_install(&ctx, &["-r", "missing.txt"]);
    usage_error("unreadable requirements file", &out, "requirements");
    let out = ctx.run(
        ctx.pyprov()
            .args(["install", "--format", "json", "--python"])
            .arg(ctx.path("no/such/python"))
            .arg("alpha"),
    );
    usage_error("no pip", &out, "pip");
    let out = json_install(&ctx, &["--locked", "alpha"]);
    let json = usage_error("locked without a trust file", &out, "no-trust-file");
    assert!(
        json["error"]["fix"]
            .as_str()
            .is_some_and(|f| f.contains("pyprov trust add")),
        "{json:#}"
    );
    ctx.trust_file("[policy\nbroken");
    let out = json_install(&ctx, &["alpha"]);
    usage_error("broken trust file", &out, "trust-file");
    let out = ctx.run_pyprov(&["trust", "show", "--format", "json"]);
    usage_error("trust show: broken trust file", &out, "trust-file");
    std::fs::remove_file(ctx.work_path("pyprov.toml")).unwrap();
    let out = ctx.run_pyprov(&["verify", "--format", "json", "missing-1.0-py3-none-any.whl"]);
    usage_error("verify: missing file", &out, "unreadable-file");

    // trust show on a good file: its one document.
    ctx.trust_file("[policy]\ntofu = true\n");
    let out = ctx.run_pyprov(&["trust", "show", "--format", "json"]);
    the_one_document("trust show", &out);
    assert_eq!(out.code, 0, "{}", out.snapshot());
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn lock_prints_exactly_one_json_document() {
    let ctx = TestContext::with_pip(PipVersion::Newest);
    ctx.publish(&dists::wheel("gamma", "1.0", &[], &[]), REPO);
    let delta = dists::wheel("delta", "1.0", &[], &[]);
    ctx.publish(&delta, REPO);
    ctx.index().lie(&delta.filename, Lie::StripProvenance);

    let lock =
        |args: &[&str]| ctx.run(ctx.pyprov_pip("lock").args(["--format", "json"]).args(args));
    let out = lock(&["gamma"]);
    let json = the_one_document("lock", &out);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(json["files"].is_array(), "the run's report: {json:#}");
    let out = lock(&["--check"]);
    let json = the_one_document("lock --check", &out);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert_eq!(json["written"], false, "{json:#}");
    // A refusal: the report, exit 1, nothing written.
    ctx.trust_file("[policy]\nunattested = \"deny\"\n");
    let out = lock(&["delta", "-o", "other.toml"]);
    the_one_document("lock refusal", &out);
    assert_eq!(out.code, 1, "{}", out.snapshot());
    assert!(!ctx.work_path("other.toml").exists());
    std::fs::remove_file(ctx.work_path("pyprov.toml")).unwrap();
    // Usage errors.
    let out = lock(&["--locked", "gamma"]);
    usage_error("lock: locked without a trust file", &out, "no-trust-file");
    let out = lock(&["-r", "missing.txt"]);
    usage_error("lock: unreadable requirements file", &out, "requirements");
}
