//! `[policy] cooldown` end to end: the gate's pages leave out files younger than the cutoff (and
//! files of unknown age), per-package exceptions let a package through, a hash-pinned file
//! known to be too new is refused, and the report says what was held back and why. pip needs
//! no cooldown of its own: the oldest supported pip (22.2) gets the same result as 26.3.

use crate::support::context::{pretty, row, TestContext};
use crate::support::dists::{self, Dist};
use crate::support::index::days_ago;
use crate::support::venv::PipVersion;

const REPO: &str = "acme/widgets";

const TRUST: &str = r#"[policy]
cooldown = "7 days"

[packages]
alpha = { publisher = "github:acme/widgets/release.yml" }
beta = { publisher = "github:acme/widgets/release.yml", cooldown = false }
"#;

/// Upload times and cutoffs are the clock's: `[TIME]` in snapshots.
fn filter_times(ctx: &TestContext) {
    ctx.add_filter(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "[TIME]");
}

/// alpha 1.0 (30 days old) and 2.0 (a day old), each needing beta; beta 1.0 (30 days) and 2.0
/// (a day). Returns alpha 2.0 and beta 2.0, the fresh ones.
fn publish(ctx: &TestContext) -> (Dist, Dist) {
    let mut fresh = Vec::new();
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
        if age == 1 {
            fresh.push(d);
        }
    }
    let beta = fresh.pop().unwrap();
    (fresh.pop().unwrap(), beta)
}

fn too_new_is_not_picked_and_the_exempt_package_is(pip: PipVersion) {
    let ctx = TestContext::with_pip(pip);
    filter_times(&ctx);
    let (alpha2, _) = publish(&ctx);
    ctx.trust_file(TRUST);
    let run = ctx.install_json(&["alpha"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let packages = ctx.venv().packages();
    assert_eq!(packages.get("alpha").map(String::as_str), Some("1.0"));
    // beta is exempt (`cooldown = false`): its fresh release is taken.
    assert_eq!(packages.get("beta").map(String::as_str), Some("2.0"));
    let json = run.report();
    let cooldown = &json["cooldown"];
    assert_eq!(cooldown["policy"], "7 days", "{json:#}");
    let withheld = cooldown["withheld"].as_array().unwrap();
    assert_eq!(withheld.len(), 1, "{json:#}");
    assert_eq!(withheld[0]["file"], alpha2.filename.as_str());
    assert_eq!(withheld[0]["reason"], "too-new");
    // pip never asked for what it never saw.
    assert!(!ctx
        .index()
        .file_requests()
        .iter()
        .any(|r| r.last_segment() == alpha2.filename));
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn too_new_is_not_picked_and_the_exempt_package_is_with_pip_26() {
    too_new_is_not_picked_and_the_exempt_package_is(PipVersion::Newest);
}

/// pip 22.2 has no `--uploaded-prior-to`: the cooldown is the gate's alone.
#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn too_new_is_not_picked_and_the_exempt_package_is_with_pip_22() {
    too_new_is_not_picked_and_the_exempt_package_is(PipVersion::Oldest);
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn the_report_says_what_the_cooldown_held_back() {
    let ctx = TestContext::with_pip(PipVersion::Newest);
    filter_times(&ctx);
    publish(&ctx);
    ctx.trust_file(TRUST);
    let text = ctx.install(&["alpha"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    snapshot!(ctx, "cooldown_text_report", text.snapshot_stderr());

    let venv = ctx.new_venv("json");
    let mut cmd = ctx.pyprov_pip("install");
    cmd.args(["--format", "json", "alpha", "--python"])
        .arg(venv.python());
    let json = ctx.run(&mut cmd).report();
    snapshot!(ctx, "cooldown_json", pretty(&json["cooldown"]));
    // The same inputs again, but a cutoff moves with the clock: pip resolves anew.
    assert!(
        !json["notes"]
            .to_string()
            .contains("reused the stored resolution"),
        "{json:#}"
    );
}

/// A file whose index gives no upload time cannot be shown to be old enough: withheld (fail
/// closed), and the report says why before pip's own words.
#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_file_of_unknown_age_is_withheld() {
    let ctx = TestContext::with_pip(PipVersion::Newest);
    filter_times(&ctx);
    let gamma = dists::wheel("gamma", "1.0", &[], &[]);
    ctx.publish(&gamma, REPO);
    ctx.trust_file("[policy]\ncooldown = \"P7D\"\n");
    let before = ctx.venv().freeze();
    let run = ctx.install(&["gamma"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert_eq!(ctx.venv().freeze(), before);
    assert!(
        run.stderr.contains(&format!(
            "{}: its index gives no upload time, so it cannot be shown to be older than gamma's cooldown of 7 days",
            gamma.filename
        )),
        "{}",
        run.stderr
    );
    // The withheld line says what to do, in the words a refused file's fix has.
    assert!(
        run.stderr.contains("(use an index that gives upload times (PEP 700 `upload-time`), or exempt gamma with `cooldown = false` in its entry of ") && run.stderr.contains("[no-upload-time]"),
        "{}",
        run.stderr
    );

    // Exempted, it installs.
    ctx.trust_file(
        "[policy]\ncooldown = \"P7D\"\n\n[packages]\ngamma = { cooldown = \"0 days\" }\n",
    );
    let run = ctx.install(&["gamma"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(ctx.venv().has_package("gamma"));
}

/// Hash-pinned requirements are chosen by pyprov, not by pip from the gate's pages: a pinned
/// file known to be too new is refused, naming the file, its upload time and the cutoff.
#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_hash_pinned_file_that_is_too_new_is_refused() {
    let ctx = TestContext::with_pip(PipVersion::Newest);
    filter_times(&ctx);
    let (alpha2, beta2) = publish(&ctx);
    ctx.trust_file(TRUST);
    let reqs = ctx.write(
        "requirements.txt",
        format!(
            "alpha==2.0 --hash=sha256:{}\nbeta==2.0 --hash=sha256:{}\n",
            alpha2.sha256(),
            beta2.sha256()
        ),
    );
    let before = ctx.venv().freeze();
    let run = ctx.install_json(&["-r", reqs.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(ctx.venv().freeze(), before);
    let json = run.report();
    let refused = row(&json, &alpha2.filename);
    assert_eq!(refused["code"], "too-new", "{json:#}");
    assert_eq!(refused["verdict"], "deny");
    // Refused before a byte was fetched.
    assert!(!ctx
        .index()
        .file_requests()
        .iter()
        .any(|r| r.last_segment() == alpha2.filename));
    // The exempt package's fresh file is fine.
    assert_eq!(row(&json, &beta2.filename)["verdict"], "allow", "{json:#}");
    snapshot!(
        ctx,
        "cooldown_hash_pinned_refusal",
        format!("{}\nfix: {}", refused["message"], refused["fix"])
    );
}

/// A hash-pinned file whose index gives no upload time cannot be shown to be old enough:
/// refused (fail closed), `no-upload-time`, naming the file; exempted, it installs.
#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_hash_pinned_file_of_unknown_age_is_refused() {
    let ctx = TestContext::with_pip(PipVersion::Newest);
    filter_times(&ctx);
    let gamma = dists::wheel("gamma", "1.0", &[], &[]);
    ctx.publish(&gamma, REPO);
    ctx.trust_file("[policy]\ncooldown = \"7 days\"\n");
    let reqs = ctx.write(
        "requirements.txt",
        format!("gamma==1.0 --hash=sha256:{}\n", gamma.sha256()),
    );
    let before = ctx.venv().freeze();
    let run = ctx.install_json(&["-r", reqs.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(ctx.venv().freeze(), before);
    let json = run.report();
    let refused = row(&json, &gamma.filename);
    assert_eq!(refused["code"], "no-upload-time", "{json:#}");
    assert_eq!(refused["verdict"], "deny");
    assert_eq!(
        refused["message"],
        format!(
            "{}: its index gives no upload time, so it cannot be shown to be older than gamma's cooldown of 7 days",
            gamma.filename
        )
    );

    ctx.trust_file("[policy]\ncooldown = \"7 days\"\n\n[packages]\ngamma = { cooldown = false }\n");
    let run = ctx.install(&["-r", reqs.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(ctx.venv().has_package("gamma"));
}

/// An index that backdates a fresh release: alpha 2.0's page says it is 30 days old, but its
/// attestation was logged an hour ago (the log's time is signed, the page's is not). pip sees
/// it on the page; the gate refuses it once verified, and nothing is installed.
#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_backdated_upload_time_is_caught_by_the_log_time() {
    use crate::support::pki::{self, Identity, Signing};
    let ctx = TestContext::with_pip(PipVersion::Newest);
    filter_times(&ctx);
    let beta = dists::wheel("beta", "1.0", &[], &[]);
    ctx.publish(&beta, REPO);
    ctx.index()
        .set_upload_time(&beta.filename, Some(&days_ago(30)));
    let alpha = dists::wheel("alpha", "2.0", &["beta"], &[]);
    let now = u64::try_from(jiff::Timestamp::now().as_second()).unwrap();
    let signing = Signing {
        statement: pki::statement(
            &alpha.filename,
            &alpha.sha256(),
            pki::PUBLISH_PREDICATE_V1,
            serde_json::Value::Null,
        ),
        identity: Identity::github(REPO, "release.yml", "refs/tags/v2.0"),
        not_before: now - 3600,
        not_after: now - 3600 + pki::CERT_LIFETIME_SECS,
        ..Signing::default()
    };
    let attestation = ctx.pki().sign(&signing).pep740_attestation();
    let provenance = pki::provenance(&[(
        pki::github_publisher(REPO, "release.yml", None),
        vec![attestation],
    )]);
    ctx.index()
        .add_with_provenance("alpha", alpha.clone(), Some(provenance));
    ctx.index()
        .set_upload_time(&alpha.filename, Some(&days_ago(30)));
    ctx.trust_file(TRUST);
    let before = ctx.venv().freeze();
    let run = ctx.install_json(&["alpha"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(ctx.venv().freeze(), before);
    let json = run.report();
    let refused = row(&json, &alpha.filename);
    assert_eq!(refused["code"], "too-new", "{json:#}");
    snapshot!(
        ctx,
        "cooldown_backdated",
        format!("{}\nfix: {}", refused["message"], refused["fix"])
    );
}
