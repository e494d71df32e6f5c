//! `pyprov lock` end to end: a pylock.toml of verified files from the loopback index, with the
//! publisher each certificate proved; the lock installed by plain pip 26.3 and by uv; `--check`
//! against what the index serves later.

use crate::support::context::TestContext;
use crate::support::dists::{self, Dist};
use crate::support::venv::PipVersion;

const REPO: &str = "acme/widgets";

fn alpha_and_beta(ctx: &TestContext) -> (Dist, Dist) {
    let alpha = dists::wheel("alpha", "1.0", &["beta>=2"], &[]);
    let beta = dists::wheel("beta", "2.0", &[], &[]);
    ctx.publish(&alpha, REPO);
    ctx.publish(&beta, REPO);
    (alpha, beta)
}

/// Snapshot settings for a lock: the context's filters, and the digests and sizes (which change
/// with the test certificate's bytes) as placeholders.
fn lock_settings(ctx: &TestContext) -> insta::Settings {
    let mut settings = ctx.snapshot_settings();
    settings.add_filter("[0-9a-f]{64}", "[SHA256]");
    settings.add_filter(r"size = \d+", "size = [SIZE]");
    settings
}

fn lock(ctx: &TestContext, args: &[&str]) -> crate::support::context::Run {
    ctx.run(ctx.pyprov_pip("lock").args(args))
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn lock_records_proven_identities_and_installs_with_pip_and_uv() {
    let ctx = TestContext::with_pip(PipVersion::Newest);
    let (alpha, beta) = alpha_and_beta(&ctx);
    // The index's upload time is recorded as the index gave it; beta has none, and gets none.
    ctx.index()
        .set_upload_time(&alpha.filename, Some("2026-01-02T03:04:05.250000Z"));
    let run = lock(&ctx, &["alpha"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    ctx.snapshot_settings().bind(|| {
        insta::assert_snapshot!("lock_run", run.snapshot_stderr());
    });
    let text = ctx.read("pylock.toml");
    lock_settings(&ctx).bind(|| insta::assert_snapshot!("lock_written", text));

    // Every file as the index serves it, with the identity the test certificate carries.
    let doc: toml_edit::DocumentMut = text.parse().unwrap();
    assert_eq!(doc["created-by"].as_str(), Some("pyprov"));
    let packages = doc["packages"].as_array_of_tables().unwrap();
    assert_eq!(packages.len(), 2);
    for (p, d) in packages.iter().zip([&alpha, &beta]) {
        assert_eq!(p["name"].as_str(), Some(d.name.as_str()));
        assert_eq!(p["index"].as_str(), Some(ctx.index().url().as_str()));
        let ids = p["attestation-identities"].as_array().unwrap();
        assert_eq!(ids.len(), 1, "{p:?}");
        let id = ids.get(0).and_then(|i| i.as_inline_table()).unwrap();
        assert_eq!(id.get("kind").and_then(|v| v.as_str()), Some("GitHub"));
        assert_eq!(id.get("repository").and_then(|v| v.as_str()), Some(REPO));
        assert_eq!(
            id.get("workflow").and_then(|v| v.as_str()),
            Some("release.yml")
        );
        let wheels = p["wheels"].as_array().unwrap();
        let wheel = wheels.get(0).and_then(|w| w.as_inline_table()).unwrap();
        let field = |k: &str| wheel.get(k).and_then(|v| v.as_str()).map(str::to_string);
        assert_eq!(field("name"), Some(d.filename.clone()));
        assert_eq!(field("url"), Some(ctx.index().file_url(&d.filename)));
        let sha = wheel
            .get("hashes")
            .and_then(|h| h.as_inline_table())
            .and_then(|h| h.get("sha256"))
            .and_then(|v| v.as_str());
        assert_eq!(sha, Some(d.sha256().as_str()));
        assert_eq!(
            wheel.get("size").and_then(|v| v.as_integer()),
            Some(i64::try_from(d.bytes.len()).unwrap())
        );
        let uploaded = wheel.get("upload-time").map(|v| v.to_string());
        let expected = (d.name == "alpha").then(|| "2026-01-02T03:04:05.25Z".to_string());
        assert_eq!(uploaded.as_deref().map(str::trim), expected.as_deref());
    }

    // Plain pip 26.3 installs it (from the loopback index the lock names).
    let lockfile = ctx.work_path("pylock.toml");
    let by_pip = ctx.new_venv("by-pip");
    let out = by_pip
        .pip_command()
        .arg("install")
        .arg("-r")
        .arg(&lockfile)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pip install -r pylock.toml: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(by_pip.has_package("alpha") && by_pip.has_package("beta"));

    // And uv.
    if let Some(by_uv) = ctx.uv_install("by-uv", "pylock.toml") {
        assert!(by_uv.has_package("alpha") && by_uv.has_package("beta"));
    }
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn check_passes_on_a_fresh_lock_and_fails_when_another_publisher_signs() {
    let ctx = TestContext::with_pip(PipVersion::Newest);
    let (_, beta) = alpha_and_beta(&ctx);
    // --format json: the report is one JSON object on stdout, as install's.
    let run = lock(&ctx, &["--format", "json", "alpha"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(
        report["files"].as_array().map(Vec::len),
        Some(2),
        "{report:#}"
    );
    assert_eq!(report["installed"], false);
    let before = ctx.read("pylock.toml");

    let run = lock(&ctx, &["--check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // pyprov installs from its own lock, holding each file to the identity it records.
    let venv = ctx.new_venv("from-lock");
    let run = ctx.run(
        ctx.pyprov_pip("install")
            .args(["-r", "pylock.toml", "--python"])
            .arg(venv.python()),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(venv.has_package("alpha") && venv.has_package("beta"));

    // The same bytes, now signed by someone else.
    let other = dists::provenance_for(ctx.pki(), &beta, "mallory/widgets", "release.yml");
    ctx.index().set_provenance(&beta.filename, Some(other));
    let run = lock(&ctx, &["--check"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    ctx.snapshot_settings().bind(|| {
        insta::assert_snapshot!("check_other_publisher", run.snapshot_stderr());
    });
    assert_eq!(ctx.read("pylock.toml"), before, "--check writes nothing");
    // And an install from the lock refuses the file.
    let venv = ctx.new_venv("refused");
    let run = ctx.run(
        ctx.pyprov_pip("install")
            .args(["--no-cache", "-r", "pylock.toml", "--python"])
            .arg(venv.python()),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("mallory/widgets"), "{}", run.stderr);
    assert!(!venv.has_package("beta"));

    // A file the index no longer serves.
    ctx.index().remove(&beta.filename);
    let run = lock(&ctx, &["--check"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("no longer serves"), "{}", run.stderr);
}

/// `--check` passes only what install would take: a lock whose `size` is not the bytes', or
/// whose `url` is not where the index serves the file, fails it (install refuses the first and
/// would fetch from elsewhere for the second), and so does a file a cooldown refuses.
#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn check_fails_a_lock_whose_size_or_url_install_would_not_take() {
    let ctx = TestContext::with_pip(PipVersion::Newest);
    let (_, beta) = alpha_and_beta(&ctx);
    let run = lock(&ctx, &["alpha"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let good = ctx.read("pylock.toml");
    let size = format!("size = {}", beta.bytes.len());
    assert!(good.contains(&size), "{good}");

    let wrong_size = good.replace(&size, &format!("size = {}", beta.bytes.len() + 1));
    ctx.write("pylock.toml", &wrong_size);
    let run = lock(&ctx, &["--check"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "it is {} bytes, and the lock says {}",
            beta.bytes.len(),
            beta.bytes.len() + 1
        )),
        "{}",
        run.stderr
    );
    // Install refuses that lock too.
    let venv = ctx.new_venv("wrong-size");
    let run = ctx.run(
        ctx.pyprov_pip("install")
            .args(["-r", "pylock.toml", "--python"])
            .arg(venv.python()),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!venv.has_package("beta"));

    let url = ctx.index().file_url(&beta.filename);
    assert!(good.contains(url.as_str()), "{good}");
    let elsewhere = good.replace(
        url.as_str(),
        "https://elsewhere.invalid/beta-2.0-py3-none-any.whl",
    );
    ctx.write("pylock.toml", &elsewhere);
    let run = lock(&ctx, &["--check"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "the lock fetches it from https://elsewhere.invalid/beta-2.0-py3-none-any.whl"
        ),
        "{}",
        run.stderr
    );

    ctx.write("pylock.toml", &good);
    let run = lock(&ctx, &["--check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    // Under a cooldown, a file whose index gives no upload time fails --check, as install
    // refuses it.
    ctx.trust_file("[policy]\ncooldown = \"7 days\"\n");
    let run = lock(&ctx, &["--check"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("[no-upload-time]"), "{}", run.stderr);
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_lock_made_by_pip_is_vetted_and_rewritten_with_identities() {
    let ctx = TestContext::with_pip(PipVersion::Newest);
    let (alpha, beta) = alpha_and_beta(&ctx);
    // Plain pip 26.3's own lock of the same requirement, from the same loopback index.
    let out = ctx
        .venv()
        .pip_command()
        .current_dir(&ctx.work)
        .args(["lock", "-o", "pylock.toml", "-i"])
        .arg(ctx.index().url())
        .arg("alpha")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pip lock: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let by_pip = ctx.read("pylock.toml");
    assert!(!by_pip.contains("attestation-identities"), "{by_pip}");
    // Checked as it is, it proves publishers it does not record.
    let run = lock(&ctx, &["--check"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    ctx.snapshot_settings().bind(|| {
        insta::assert_snapshot!("check_unrecorded", run.snapshot_stderr());
    });

    let run = lock(&ctx, &["-r", "pylock.toml", "-o", "pylock.vetted.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(ctx.read("pylock.toml"), by_pip, "the input is left alone");
    let text = ctx.read("pylock.vetted.toml");
    lock_settings(&ctx).bind(|| insta::assert_snapshot!("lock_rewritten", text));
    let doc: toml_edit::DocumentMut = text.parse().unwrap();
    let packages = doc["packages"].as_array_of_tables().unwrap();
    for (p, d) in packages.iter().zip([&alpha, &beta]) {
        assert_eq!(p["name"].as_str(), Some(d.name.as_str()));
        let ids = p["attestation-identities"].as_array().unwrap();
        let id = ids.get(0).and_then(|i| i.as_inline_table()).unwrap();
        assert_eq!(id.get("repository").and_then(|v| v.as_str()), Some(REPO));
    }
    // The rewritten lock checks clean, and pip installs it.
    let run = lock(&ctx, &["--check", "-o", "pylock.vetted.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let venv = ctx.new_venv("from-vetted");
    let out = venv
        .pip_command()
        .arg("install")
        .arg("-r")
        .arg(ctx.work_path("pylock.vetted.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(venv.has_package("alpha") && venv.has_package("beta"));

    // A lock whose identity the certificate contradicts is not rewritten.
    let forged = text.replace("acme/widgets", "acme/other");
    ctx.write("pylock.forged.toml", &forged);
    let run = lock(&ctx, &["-r", "pylock.forged.toml", "-o", "pylock.out.toml"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!ctx.work_path("pylock.out.toml").exists());
    ctx.snapshot_settings().bind(|| {
        insta::assert_snapshot!("rewrite_contradicted", run.snapshot_stderr());
    });
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn hash_pinned_requirements_from_a_warm_cache_lock_the_index_urls() {
    let ctx = TestContext::with_pip(PipVersion::Newest);
    let (alpha, beta) = alpha_and_beta(&ctx);
    // A first run fills the cache.
    let run = lock(&ctx, &["alpha"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    ctx.write(
        "requirements.txt",
        format!(
            "alpha==1.0 --hash=sha256:{}\nbeta==2.0 --hash=sha256:{}\n",
            alpha.sha256(),
            beta.sha256()
        ),
    );
    let run = lock(&ctx, &["-r", "requirements.txt", "-o", "pinned.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = ctx.read("pinned.toml");
    assert!(!text.contains("pyprov-cache"), "{text}");
    for d in [&alpha, &beta] {
        assert!(text.contains(&ctx.index().file_url(&d.filename)), "{text}");
    }
    assert_eq!(text, ctx.read("pylock.toml"), "the same lock either way");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_refused_file_writes_no_lock() {
    let ctx = TestContext::with_pip(PipVersion::Newest);
    let (_, beta) = alpha_and_beta(&ctx);
    // beta's file now comes with no provenance at all.
    ctx.index().set_provenance(&beta.filename, None);
    let run = lock(&ctx, &["--unattested", "deny", "alpha"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!ctx.work_path("pylock.toml").exists(), "{}", run.stderr);
    // Allowed unattested, it is locked with no identity.
    let run = lock(&ctx, &["--unattested", "allow", "alpha"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: toml_edit::DocumentMut = ctx.read("pylock.toml").parse().unwrap();
    let packages = doc["packages"].as_array_of_tables().unwrap();
    let beta_entry = packages
        .iter()
        .find(|p| p["name"].as_str() == Some("beta"))
        .unwrap();
    assert!(beta_entry.get("attestation-identities").is_none());
}
