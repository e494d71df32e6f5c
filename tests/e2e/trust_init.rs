//! `pyprov trust init` end to end: a first trust file from a requirements file, a lock or the
//! environment, against the loopback index (signed and unsigned packages); the file it writes
//! then holds `pyprov install --locked` to what it lists.

use crate::support::context::{Run, TestContext};
use crate::support::dists::{self, Dist};
use crate::support::venv::PipVersion;

const REPO: &str = "acme/widgets";

/// alpha (signed) needs beta (signed) and gamma (unsigned).
fn packages(ctx: &TestContext) -> (Dist, Dist, Dist) {
    let alpha = dists::wheel("alpha", "1.0", &["beta>=2", "gamma"], &[]);
    let beta = dists::wheel("beta", "2.0", &[], &[]);
    let gamma = dists::wheel("gamma", "0.3", &[], &[]);
    ctx.publish(&alpha, REPO);
    ctx.publish(&beta, REPO);
    ctx.index().add("gamma", gamma.clone());
    (alpha, beta, gamma)
}

/// `pyprov trust init --python VENV --trusted-root ROOT -i INDEX`: add the rest.
fn init_command(ctx: &TestContext) -> std::process::Command {
    let mut cmd = ctx.pyprov();
    cmd.args(["trust", "init", "--python"])
        .arg(ctx.venv().python())
        .arg("--trusted-root")
        .arg(ctx.trusted_root())
        .args(["-i", &ctx.index().url()]);
    cmd
}

/// [`init_command`] ARGS.
fn init(ctx: &TestContext, args: &[&str]) -> Run {
    ctx.run(init_command(ctx).args(args))
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn init_from_requirements_pins_attested_and_lists_unattested_then_locked_install_passes() {
    let ctx = TestContext::with_pip(PipVersion::Newest);
    packages(&ctx);
    ctx.write("requirements.txt", "alpha\n");
    let run = init(&ctx, &["-r", "requirements.txt"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The run is judged by a throwaway trust file of its own, not by one above the project.
    let mut settings = ctx.snapshot_settings();
    settings.add_filter(r"\S*/pyprov-trust-init\.[A-Za-z0-9]+", "[SCRATCH]");
    settings.bind(|| {
        insta::assert_snapshot!("init_run", run.snapshot_stderr());
        insta::assert_snapshot!("init_written", ctx.read_trust_file());
    });

    // The file governs a locked install: every package is listed, so nothing is refused.
    let venv = ctx.new_venv("locked");
    let run = ctx.run(
        ctx.pyprov_pip("install")
            .args(["--locked", "-r", "requirements.txt", "--python"])
            .arg(venv.python()),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(venv.has_package("alpha") && venv.has_package("beta") && venv.has_package("gamma"));

    // And it holds: another publisher signing beta is refused.
    let beta = dists::wheel("beta", "2.1", &[], &[]);
    ctx.publish(&beta, "mallory/widgets");
    let venv = ctx.new_venv("refused");
    let run = ctx.run(
        ctx.pyprov_pip("install")
            .args([
                "--locked",
                "--no-cache",
                "-r",
                "requirements.txt",
                "--python",
            ])
            .arg(venv.python()),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("mallory/widgets"), "{}", run.stderr);
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn init_refuses_to_overwrite_a_trust_file_unless_forced() {
    let ctx = TestContext::with_pip(PipVersion::Newest);
    packages(&ctx);
    ctx.write("requirements.txt", "alpha\n");
    let mine = "# mine\n[policy]\nunattested = \"deny\"\n\n[packages]\n";
    ctx.trust_file(mine);
    let run = init(&ctx, &["-r", "requirements.txt"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    ctx.snapshot_settings().bind(|| {
        insta::assert_snapshot!("init_exists", run.snapshot_stderr());
    });
    assert_eq!(ctx.read_trust_file(), mine, "nothing was written");

    let run = init(&ctx, &["-r", "requirements.txt", "--force"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = ctx.read_trust_file();
    assert!(
        text.contains("alpha = { publisher = \"github:acme/widgets/release.yml\" }"),
        "{text}"
    );
    assert!(
        text.contains("gamma = { unattested = \"allow\" }  # no provenance: review"),
        "{text}"
    );
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn init_from_the_environment_lists_what_is_installed() {
    let ctx = TestContext::with_pip(PipVersion::Newest);
    packages(&ctx);
    // An environment with the three installed (no trust file: nothing is pinned).
    let venv = ctx.install_fresh("env", &["alpha"]);
    assert!(!ctx.work_path("pyprov.toml").exists());
    // A newer beta on the index: the environment's version is what is looked up.
    ctx.publish(&dists::wheel("beta", "3.0", &[], &[]), "mallory/widgets");
    let run = ctx.run(
        init_command(&ctx)
            .args(["--from-environment", "--python"])
            .arg(venv.python()),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = ctx.read_trust_file();
    ctx.snapshot_settings().bind(|| {
        insta::assert_snapshot!("init_from_environment", text);
    });
    assert!(
        text.contains("beta = { publisher = \"github:acme/widgets/release.yml\" }"),
        "{text}"
    );
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn init_from_a_lock_and_refusing_two_publishers() {
    let ctx = TestContext::with_pip(PipVersion::Newest);
    let (alpha, _, _) = packages(&ctx);
    let run = ctx.run(ctx.pyprov_pip("lock").arg("alpha"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = init(&ctx, &["-r", "pylock.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = ctx.read_trust_file();
    assert!(text.contains("from pylock.toml"), "{text}");
    assert!(
        text.contains("beta = { publisher = \"github:acme/widgets/release.yml\" }"),
        "{text}"
    );
    assert!(
        text.contains("gamma = { unattested = \"allow\" }  # no provenance: review"),
        "{text}"
    );

    // alpha's sdist, signed by someone else, in the lock too: one package, two publishers.
    std::fs::remove_file(ctx.work_path("pyprov.toml")).unwrap();
    let sdist = dists::sdist("alpha", "1.0", &[], None);
    ctx.publish(&sdist, "mallory/widgets");
    let mut doc: toml_edit::DocumentMut = ctx.read("pylock.toml").parse().unwrap();
    let packages = doc["packages"].as_array_of_tables_mut().unwrap();
    let package = packages
        .iter_mut()
        .find(|p| p["name"].as_str() == Some(alpha.name.as_str()))
        .unwrap();
    let mut entry = toml_edit::InlineTable::new();
    entry.insert("name", sdist.filename.as_str().into());
    entry.insert("url", ctx.index().file_url(&sdist.filename).into());
    let mut hashes = toml_edit::InlineTable::new();
    hashes.insert("sha256", sdist.sha256().as_str().into());
    entry.insert("hashes", toml_edit::Value::InlineTable(hashes));
    package["sdist"] = toml_edit::value(entry);
    package.remove("attestation-identities");
    ctx.write("pylock.toml", doc.to_string());
    let run = init(&ctx, &["-r", "pylock.toml"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    ctx.snapshot_settings().bind(|| {
        insta::assert_snapshot!("init_two_publishers", run.snapshot_stderr());
    });
    assert!(
        !ctx.work_path("pyprov.toml").exists(),
        "no trust file was written"
    );
}
