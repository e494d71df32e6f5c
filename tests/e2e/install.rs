//! `pyprov install` end to end: a real index on 127.0.0.1 serving real wheels and sdists signed
//! by the project's throwaway Sigstore, the real pip in a real virtualenv, and an index that
//! lies. Every refusal leaves the virtualenv exactly as it was.

use crate::support::context::{pretty, row, TestContext};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::dists::{self, Dist};
use crate::support::index::{Format, Lie, TestIndex};
use crate::support::pki::{self, Identity};
use crate::support::venv::Venv;
use serde_json::Value;

const REPO: &str = "acme/widgets";

/// `pyprov install --format json ARGS`: (exit status, the report).
fn install_json(ctx: &TestContext, args: &[&str]) -> (i32, Value) {
    let run = ctx.install_json(args);
    (run.code, run.report())
}

fn alpha_and_beta(ctx: &TestContext) -> (Dist, Dist) {
    let alpha = dists::wheel("alpha", "1.0", &["beta>=2"], &[]);
    let beta = dists::wheel("beta", "2.0", &[], &[]);
    ctx.publish(&alpha, REPO);
    ctx.publish(&beta, REPO);
    (alpha, beta)
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn verified_install() {
    let ctx = TestContext::new();
    let (alpha, beta) = alpha_and_beta(&ctx);
    let (code, json) = install_json(&ctx, &["alpha"]);
    assert_eq!(code, 0, "{json:#}");
    assert!(ctx.venv().has_package("alpha") && ctx.venv().has_package("beta"));
    for d in [&alpha, &beta] {
        let r = row(&json, &d.filename);
        assert_eq!(r["verdict"], "allow", "{json:#}");
        assert_eq!(r["publisher"], format!("github:{REPO}/release.yml"));
        assert_eq!(r["sha256"], d.sha256());
    }
    assert_eq!(json["installed"], true);
    assert_eq!(json["trust_file"], Value::Null);
    // pip resolved from PEP 658 metadata, so the wheels were fetched once, by pyprov.
    let fetched: Vec<_> = ctx
        .index()
        .file_requests()
        .into_iter()
        .filter(|r| r.status == 200)
        .collect();
    assert_eq!(fetched.len(), 2, "{fetched:?}");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn text_report_is_a_table() {
    let ctx = TestContext::new();
    alpha_and_beta(&ctx);
    let out = ctx.install(&["alpha"]);
    assert_eq!(out.code, 0);
    assert!(
        !out.stderr.contains('\u{1b}'),
        "NO_COLOR must mean no escape codes: {:?}",
        out.stderr
    );
    snapshot!(ctx, "text_report", out.snapshot_stderr());
}

/// Installs alpha while `lie` is told about beta, and checks the refusal left no trace.
fn refused_with(lie: Lie, trust: Option<&str>, code: &str) {
    let ctx = TestContext::new();
    let (_, beta) = alpha_and_beta(&ctx);
    if let Some(t) = trust {
        ctx.trust_file(t);
    }
    ctx.index().lie(&beta.filename, lie);
    let before = ctx.venv().freeze();
    let (exit, json) = install_json(&ctx, &["alpha"]);
    assert_eq!(exit, 1, "{json:#}");
    assert_eq!(row(&json, &beta.filename)["code"], code, "{json:#}");
    assert_eq!(row(&json, &beta.filename)["verdict"], "deny");
    assert_eq!(json["installed"], false);
    assert_eq!(
        ctx.venv().freeze(),
        before,
        "a refusal must install nothing"
    );
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn tampered_bytes_with_a_matching_advertised_hash_are_refused() {
    refused_with(
        Lie::TamperedBytes(b"PK\x03\x04 not the attested wheel".to_vec()),
        None,
        "provenance-invalid",
    );
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn rewritten_publisher_block_is_refused() {
    refused_with(
        Lie::RewritePublisher(pki::github_publisher("evil/widgets", "release.yml", None)),
        None,
        "provenance-invalid",
    );
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn stripped_provenance_is_refused_when_unattested_files_are_denied() {
    refused_with(
        Lie::StripProvenance,
        Some("[policy]\nunattested = \"deny\"\n"),
        "unattested-denied",
    );
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn stripped_provenance_of_a_pinned_package_is_a_downgrade() {
    refused_with(
        Lie::StripProvenance,
        Some(&format!(
            "[packages]\nbeta = {{ publisher = \"github:{REPO}/release.yml\" }}\n"
        )),
        "attestation-downgrade",
    );
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_server_that_keeps_failing_is_refused() {
    refused_with(Lie::Fail500 { times: 50 }, None, "fetch-failed");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn transient_faults_are_retried_and_resumed() {
    let ctx = TestContext::new();
    let (alpha, beta) = alpha_and_beta(&ctx);
    ctx.index().lie(
        &alpha.filename,
        Lie::DropConnectionAfter {
            bytes: 100,
            times: 1,
        },
    );
    ctx.index().lie(&beta.filename, Lie::Fail500 { times: 2 });
    let (code, json) = install_json(&ctx, &["alpha"]);
    assert_eq!(code, 0, "{json:#}");
    let ranged = ctx
        .index()
        .file_requests()
        .into_iter()
        .any(|r| r.range.is_some() && r.status == 206);
    assert!(ranged, "the dropped download resumes with a Range request");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn slow_and_redirected_files_install() {
    let ctx = TestContext::new();
    let (alpha, beta) = alpha_and_beta(&ctx);
    ctx.index()
        .lie(&alpha.filename, Lie::Slow(Duration::from_millis(300)));
    ctx.index().lie(&beta.filename, Lie::Redirect);
    let (code, json) = install_json(&ctx, &["alpha"]);
    assert_eq!(code, 0, "{json:#}");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn refused_sdist_never_runs_its_code() {
    let ctx = TestContext::new();
    let marker = ctx.path("marker");
    let backend = dists::backend_wheel();
    ctx.publish(&backend, "acme/backend");
    // Published without provenance, and unattested files are denied.
    let gamma = dists::sdist("gamma", "1.0", &[], Some(&marker));
    ctx.index().add("gamma", gamma.clone());
    ctx.trust_file("[policy]\nunattested = \"deny\"\n");
    let before = ctx.venv().freeze();
    let (code, json) = install_json(&ctx, &["gamma"]);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(row(&json, &gamma.filename)["code"], "unattested-denied");
    assert!(
        !marker.exists(),
        "the sdist's code ran before it was refused"
    );
    assert_eq!(ctx.venv().freeze(), before);
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn allowed_sdist_builds_with_verified_build_dependencies() {
    let ctx = TestContext::new();
    let marker = ctx.path("marker");
    let backend = dists::backend_wheel();
    ctx.publish(&backend, "acme/backend");
    let gamma = dists::sdist("gamma", "1.0", &[], Some(&marker));
    ctx.publish(&gamma, REPO);
    let (code, json) = install_json(&ctx, &["gamma"]);
    assert_eq!(code, 0, "{json:#}");
    assert!(ctx.venv().has_package("gamma"));
    assert!(marker.exists());
    // The build backend is never in pip's report, yet it was verified like any file.
    let b = row(&json, &backend.filename);
    assert_eq!(b["verdict"], "allow", "{json:#}");
    assert_eq!(b["publisher"], "github:acme/backend/release.yml");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn build_dependency_from_another_publisher_is_refused() {
    let ctx = TestContext::new();
    let marker = ctx.path("marker");
    let backend = dists::backend_wheel();
    ctx.publish(&backend, "evil/backend");
    let gamma = dists::sdist("gamma", "1.0", &[], Some(&marker));
    ctx.publish(&gamma, REPO);
    ctx.trust_file(&format!(
        "[packages]\ngamma = {{ publisher = \"github:{REPO}\" }}\npyprov-test-backend = {{ publisher = \"github:acme/backend\" }}\n"
    ));
    let (code, json) = install_json(&ctx, &["gamma"]);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(row(&json, &backend.filename)["code"], "publisher-changed");
    assert!(!ctx.venv().has_package("gamma"));
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn tofu_pins_then_refuses_a_changed_publisher() {
    let ctx = TestContext::new();
    alpha_and_beta(&ctx);
    ctx.trust_file("# our trust file\n[policy]\ntofu = true\nunattested = \"deny\"\n");
    let (code, json) = install_json(&ctx, &["alpha"]);
    assert_eq!(code, 0, "{json:#}");
    // The comment kept, both packages pinned.
    snapshot!(ctx, "tofu_pinned", ctx.read_trust_file());

    // A new release signed from another repository.
    let alpha2 = dists::wheel("alpha", "1.1", &["beta>=2"], &[]);
    ctx.publish(&alpha2, "evil/widgets");
    let before = ctx.venv().freeze();
    let (code, json) = install_json(&ctx, &["alpha==1.1"]);
    assert_eq!(code, 1, "{json:#}");
    let r = row(&json, &alpha2.filename);
    assert_eq!(r["code"], "publisher-changed", "{json:#}");
    snapshot!(ctx, "tofu_publisher_changed", pretty(r));
    assert_eq!(ctx.venv().freeze(), before);
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn locked_refuses_packages_without_an_entry_and_writes_nothing() {
    let ctx = TestContext::new();
    alpha_and_beta(&ctx);
    let text = "[policy]\ntofu = true\n";
    ctx.trust_file(text);
    let (code, json) = install_json(&ctx, &["--locked", "alpha"]);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(
        row(&json, "alpha-1.0-py3-none-any.whl")["code"],
        "unknown-package"
    );
    assert_eq!(
        std::fs::read_to_string(ctx.work_path("pyprov.toml")).unwrap(),
        text
    );
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn second_install_hits_the_cache() {
    let ctx = TestContext::new();
    alpha_and_beta(&ctx);
    assert_eq!(install_json(&ctx, &["alpha"]).0, 0);
    ctx.index().clear_log();
    // --pre changes the resolution's inputs, so pip resolves again: through the verifying
    // index, whose files now come from pyprov's cache.
    let other = ctx.install_fresh("venv2", &["--pre", "alpha"]);
    assert!(other.has_package("alpha"));
    assert!(
        ctx.index().requests().iter().any(|r| r.is_page()),
        "pip resolved again"
    );
    // pip's metadata comes from the vetted wheels, never from the index.
    assert!(ctx.index().metadata_requests().is_empty());
    assert!(
        ctx.index().file_requests().is_empty(),
        "no file is downloaded again: {:?}",
        ctx.index().file_requests()
    );
    assert!(ctx.index().integrity_requests().is_empty());
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn hash_pinned_requirements_skip_resolution() {
    let ctx = TestContext::new();
    let (alpha, beta) = alpha_and_beta(&ctx);
    let reqs = ctx.work.join("requirements.txt");
    std::fs::write(
        &reqs,
        format!(
            "alpha==1.0 \\\n    --hash=sha256:{}\nbeta==2.0 --hash=sha256:{}\n",
            alpha.sha256(),
            beta.sha256()
        ),
    )
    .unwrap();
    let (code, json) = install_json(&ctx, &["-r", reqs.to_str().unwrap()]);
    assert_eq!(code, 0, "{json:#}");
    assert!(ctx.venv().has_package("alpha") && ctx.venv().has_package("beta"));
    assert!(
        ctx.index().metadata_requests().is_empty(),
        "pip's resolver would have read metadata"
    );
    // Warm: nothing asked of the index at all.
    ctx.index().clear_log();
    let other = ctx.install_fresh("venv2", &["-r", reqs.to_str().unwrap()]);
    assert!(other.has_package("alpha"));
    assert!(
        ctx.index().requests().is_empty(),
        "{:?}",
        ctx.index().requests()
    );
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn hash_pinned_tampering_is_still_refused() {
    let ctx = TestContext::new();
    let (alpha, beta) = alpha_and_beta(&ctx);
    let evil = b"PK\x03\x04 tampered".to_vec();
    ctx.index()
        .lie(&beta.filename, Lie::TamperedBytes(evil.clone()));
    let reqs = ctx.work.join("requirements.txt");
    // The lockfile was generated against the tampered index.
    std::fs::write(
        &reqs,
        format!(
            "alpha==1.0 --hash=sha256:{}\nbeta==2.0 --hash=sha256:{}\n",
            alpha.sha256(),
            pki::sha256_hex(&evil)
        ),
    )
    .unwrap();
    let before = ctx.venv().freeze();
    let (code, json) = install_json(&ctx, &["-r", reqs.to_str().unwrap()]);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(row(&json, &beta.filename)["code"], "provenance-invalid");
    assert_eq!(ctx.venv().freeze(), before);
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn index_options_inside_requirements_files_go_through_pyprov() {
    let ctx = TestContext::new();
    alpha_and_beta(&ctx);
    let reqs = ctx.work.join("requirements.txt");
    std::fs::write(&reqs, format!("--index-url {}\nalpha\n", ctx.index().url())).unwrap();
    // No -i on the command line: the index comes from the file.
    let out = ctx.run(
        ctx.pyprov()
            .args(["install", "--format", "json", "--python"])
            .arg(ctx.venv().python())
            .arg("--trusted-root")
            .arg(ctx.trusted_root())
            .arg("-r")
            .arg(&reqs),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Both files allowed, as served by the index the file names.
    snapshot!(ctx, "index_from_a_requirements_file", out.report_text());
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn direct_urls_are_decided_like_unattested_files() {
    let ctx = TestContext::new();
    ctx.trust_file("[policy]\nunattested = \"deny\"\n");
    let url = format!(
        "{}/files/whatever-1.0-py3-none-any.whl",
        ctx.index().base_url()
    );
    let spec = format!("whatever @ {url}");
    let (code, json) = install_json(&ctx, &[&spec]);
    assert_eq!(code, 1, "{json:#}");
    let r = &json["files"][0];
    assert_eq!(r["code"], "unattested-denied");
    snapshot!(ctx, "direct_url_denied", pretty(r));
    assert!(ctx.index().requests().is_empty(), "nothing may be fetched");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn download_keeps_only_vetted_files() {
    let ctx = TestContext::new();
    let (alpha, beta) = alpha_and_beta(&ctx);
    let dest = ctx.path("out");
    let out = ctx.run(
        ctx.pyprov_pip("download")
            .args(["-d", dest.to_str().unwrap(), "alpha"]),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    for d in [&alpha, &beta] {
        assert_eq!(std::fs::read(dest.join(&d.filename)).unwrap(), d.bytes);
    }
    assert!(!ctx.venv().has_package("alpha"));
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn dry_run_verifies_and_installs_nothing() {
    let ctx = TestContext::new();
    alpha_and_beta(&ctx);
    let before = ctx.venv().freeze();
    let (code, json) = install_json(&ctx, &["--dry-run", "alpha"]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(ctx.venv().freeze(), before);
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_report_file_that_cannot_be_written_stops_the_install() {
    let ctx = TestContext::new();
    alpha_and_beta(&ctx);
    let before = ctx.venv().freeze();
    let missing = ctx.path("no-such-dir").join("report.json");
    let out = ctx.install(&["--report", missing.to_str().unwrap(), "alpha"]);
    assert_eq!(out.code, 2);
    snapshot!(ctx, "report_file_cannot_be_written", out.snapshot_stderr());
    assert_eq!(ctx.venv().freeze(), before);
    // The report names each file where the index serves it, not where the gate did.
    let report = ctx.path("report.json");
    let out = ctx.install(&["--dry-run", "--report", report.to_str().unwrap(), "alpha"]);
    assert_eq!(out.code, 0);
    let json: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let urls: Vec<&str> = json["install"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["download_info"]["url"].as_str().unwrap())
        .collect();
    assert_eq!(urls.len(), 2, "{json:#}");
    for url in urls {
        assert!(url.starts_with(&ctx.index().base_url()), "{url}");
    }
    // `--report -` is pip's report on stdout, as with pip.
    let out = ctx.install(&["--dry-run", "--report", "-", "alpha"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("\"install\""), "{}", out.stdout);
    assert!(!ctx.work.join("-").exists());
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn credentials_in_index_urls_are_never_printed() {
    let ctx = TestContext::new();
    alpha_and_beta(&ctx);
    let url = ctx
        .index()
        .url()
        .replace("http://", "http://user:s3cr3t-token@");
    // A second -i wins over the one the context passes.
    let out = ctx.install(&["-v", "alpha", "-i", &url]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for stream in [&out.stdout, &out.stderr] {
        assert!(!stream.contains("s3cr3t"));
    }
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn pip_too_old_is_a_clear_error() {
    let assets = std::env::var_os("PYPROV_TEST_ASSETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ci-assets"));
    let wheel = std::fs::read_dir(&assets)
        .ok()
        .and_then(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .find(|p| p.to_string_lossy().contains("pip-21"))
        })
        .unwrap_or_else(|| {
            panic!(
                "no pip 21 wheel in {}: run `bash .ci/run`, which downloads it",
                assets.display()
            )
        });
    let ctx = TestContext::new();
    let mut pip = ctx.venv().pip_command();
    let out = pip
        .args(["install", "--no-index", "--force-reinstall"])
        .arg(&wheel)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = ctx.install(&["alpha"]);
    assert_eq!(out.code, 2);
    snapshot!(ctx, "pip_too_old", out.snapshot_stderr());
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn google_publishers_install() {
    let ctx = TestContext::new();
    let delta = dists::wheel("delta", "1.0", &[], &[]);
    let prov = dists::provenance_with(
        ctx.pki(),
        &delta,
        Identity::google("release@acme.iam.gserviceaccount.com"),
        pki::google_publisher("release@acme.iam.gserviceaccount.com"),
    );
    ctx.index()
        .add_with_provenance("delta", delta.clone(), Some(prov));
    ctx.trust_file(
        "[packages]\ndelta = { publisher = \"google:release@acme.iam.gserviceaccount.com\" }\n",
    );
    let (code, json) = install_json(&ctx, &["delta"]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(
        row(&json, &delta.filename)["publisher"],
        "google:release@acme.iam.gserviceaccount.com"
    );
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn html_only_index_works_too() {
    let ctx = TestContext::new();
    ctx.index().set_format(Format::HtmlOnly);
    alpha_and_beta(&ctx);
    let (code, json) = install_json(&ctx, &["alpha"]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(row(&json, "beta-2.0-py3-none-any.whl")["verdict"], "allow");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_mirror_that_strips_provenance_is_told_apart_and_a_provenance_index_fixes_it() {
    let ctx = TestContext::new();
    let (alpha, beta) = alpha_and_beta(&ctx);
    // A mirror serving the same bytes, with no provenance anywhere.
    let mirror = TestIndex::new();
    mirror.set_advertise_provenance(false);
    mirror.set_integrity_api(false);
    mirror.add("alpha", alpha.clone());
    mirror.add("beta", beta.clone());
    ctx.add_literal_filter(&mirror.base_url(), "[MIRROR]");
    let (code, json) = install_json(&ctx, &["--dry-run", "-i", &mirror.url(), "alpha"]);
    assert_eq!(code, 0, "{json:#}");
    let r = row(&json, &alpha.filename);
    assert_eq!(r["code"], "unattested-warned", "{json:#}");
    // The message says the mirror serves no provenance at all.
    snapshot!(ctx, "mirror_serves_no_provenance", pretty(r));

    // The upstream index's Integrity API supplies it, bound to the mirror's bytes by sha256.
    let (code, json) = install_json(
        &ctx,
        &[
            "-i",
            &mirror.url(),
            "--provenance-index",
            &ctx.index().url(),
            "alpha",
        ],
    );
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(row(&json, &alpha.filename)["verdict"], "allow", "{json:#}");
    assert_eq!(
        row(&json, &alpha.filename)["publisher"],
        format!("github:{REPO}/release.yml")
    );

    // The index's root, without /simple/: no Integrity API there, said before anything is
    // fetched, with the URL that was meant.
    let out = ctx.run(ctx.pyprov_pip("install").env("COLUMNS", "80").args([
        "-i",
        &mirror.url(),
        "--provenance-index",
        &ctx.index().base_url(),
        "alpha",
    ]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    snapshot!(
        ctx,
        "provenance_index_without_simple",
        out.snapshot_stderr()
    );

    // The same from the trust file, for every run.
    ctx.trust_file(&format!(
        "[policy]\nunattested = \"deny\"\nprovenance-index = \"{}\"\n",
        ctx.index().url()
    ));
    let other = ctx.install_fresh("venv2", &["-i", &mirror.url(), "alpha"]);
    assert!(other.has_package("alpha"));
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_file_the_index_says_has_no_provenance() {
    let ctx = TestContext::new();
    let solo = dists::wheel("solo", "1.0", &[], &[]);
    ctx.index().add("solo", solo.clone());
    let (code, json) = install_json(&ctx, &["--dry-run", "solo"]);
    assert_eq!(code, 0, "{json:#}");
    let r = row(&json, &solo.filename);
    assert_eq!(r["code"], "unattested-warned");
    // Not "serves no provenance": the index does, this file has none.
    snapshot!(ctx, "file_has_no_provenance", pretty(r));
    assert_eq!(r["provenance"]["kind"], "file-has-none", "{r:#}");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn install_location_flags_reach_pip() {
    let ctx = TestContext::new();
    alpha_and_beta(&ctx);
    let target = ctx.path("target-dir");
    let (code, json) = install_json(&ctx, &["--target", target.to_str().unwrap(), "alpha"]);
    assert_eq!(code, 0, "{json:#}");
    assert!(target.join("alpha").join("__init__.py").is_file());
    assert!(target.join("beta").join("__init__.py").is_file());
    assert!(!ctx.venv().has_package("alpha"));
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn concurrent_runs_share_the_cache() {
    let ctx = TestContext::new();
    alpha_and_beta(&ctx);
    let venvs: Vec<Venv> = (0..3).map(|i| ctx.new_venv(format!("v{i}"))).collect();
    let children: Vec<_> = venvs
        .iter()
        .map(|v| {
            let mut cmd = ctx.pyprov_pip("install");
            cmd.arg("alpha").arg("--python").arg(v.python());
            cmd.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for v in &venvs {
        assert!(v.has_package("alpha") && v.has_package("beta"));
    }
    // Every cache entry is whole: named by the hash of its bytes.
    let mut blobs = 0;
    for entry in walk(&ctx.cache) {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        if name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
            blobs += 1;
            assert_eq!(pki::sha256_hex(&std::fs::read(&entry).unwrap()), name);
        }
    }
    assert_eq!(blobs, 2);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
    {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_resolution_is_reused_until_an_index_page_changes() {
    let ctx = TestContext::new();
    alpha_and_beta(&ctx);
    assert_eq!(install_json(&ctx, &["alpha"]).0, 0);

    // Same inputs, same pages: pip's dry run is skipped, nothing is downloaded again; in a
    // venv elsewhere (as each CI job has), with pip settings its dry run does not read.
    ctx.index().clear_log();
    let second = ctx.new_venv("elsewhere/venv2");
    let out = ctx.run(
        ctx.pyprov_pip("install")
            .args(["alpha", "--python"])
            .arg(second.python())
            .env("PIP_CACHE_DIR", ctx.path("another-pip-cache"))
            .env("PIP_NO_COLOR", "1")
            .env("PIP_LOG", ctx.path("pip.log")),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    snapshot!(ctx, "resolution_reused", out.snapshot_stderr());
    assert!(second.has_package("alpha") && second.has_package("beta"));
    assert!(
        ctx.index().metadata_requests().is_empty(),
        "the dry run was not skipped: {:?}",
        ctx.index().requests()
    );
    assert!(ctx.index().file_requests().is_empty());
    assert!(
        ctx.index().requests().iter().any(|r| r.is_page()),
        "the pages are checked"
    );

    // A new release of a dependency changes its page: resolve again, and get it.
    let beta2 = dists::wheel("beta", "2.1", &[], &[]);
    ctx.publish(&beta2, REPO);
    ctx.index().clear_log();
    let third = ctx.install_fresh("venv3", &["alpha"]);
    assert_eq!(
        third.packages().get("beta").map(String::as_str),
        Some("2.1")
    );
    assert!(ctx.index().requests().iter().any(|r| r.is_page()));

    // What is installed changes pip's answer: a venv holding beta 2.0, which satisfies alpha,
    // keeps it (pip resolves again), where the stored resolution would install beta 2.1.
    let fourth = ctx.new_venv("venv4");
    let mut pip = fourth.pip_command();
    let out = pip
        .args(["install", "-i", &ctx.index().url(), "beta==2.0"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = ctx.install_into(&fourth, &["alpha"]);
    // Resolved again (no "reused the stored resolution"), and beta kept as installed.
    snapshot!(ctx, "installed_dependency_kept", out.snapshot_stderr());
    let packages = fourth.packages();
    assert_eq!(packages.get("beta").map(String::as_str), Some("2.0"));
    assert_eq!(packages.get("alpha").map(String::as_str), Some("1.0"));
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn nothing_to_install_is_a_usage_error_before_pip_runs() {
    let ctx = TestContext::new();
    let out = ctx.run(
        ctx.pyprov()
            .env("COLUMNS", "80")
            .args(["install", "--python"])
            .arg(ctx.venv().python()),
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    // pyprov's words, not pip's "pip could not resolve the requirements".
    assert!(!out.stderr.contains("resolving"), "{}", out.stderr);
    snapshot!(ctx, "nothing_to_install", out.snapshot());
    // With --find-links alone, pip's own guess: the links were meant as requirements.
    let out = ctx.run(
        ctx.pyprov()
            .args(["download", "-d", "out", "-f", "wheels", "--python"])
            .arg(ctx.venv().python()),
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    snapshot!(ctx, "nothing_to_download_but_links", out.snapshot_stderr());
}
