//! The verified-file cache trusts no name: bytes planted under another file's sha256, a
//! symlinked entry and an entry another user owns are never served, copied out or built with;
//! each is said on stderr, removed, and the right bytes are fetched again. End to end: the
//! loopback index, real pip in real venvs.

use crate::support::context::{Run, TestContext};
use std::path::{Path, PathBuf};

use crate::support::dists::{self, Dist};
use crate::support::venv::Venv;

const REPO: &str = "acme/widgets";

/// `pyprov SUB ARGS` against `venv` (the context's index and cache).
fn run(ctx: &TestContext, sub: &str, venv: &Venv, args: &[&str]) -> Run {
    // A later --python wins over the context's.
    ctx.run(
        ctx.pyprov_pip(sub)
            .args(args)
            .arg("--python")
            .arg(venv.python()),
    )
}

/// `pyprov install ARGS` into a fresh venv `name`, asserting success; the venv and the
/// warnings pyprov printed.
fn install_fresh(ctx: &TestContext, name: &str, args: &[&str]) -> (Venv, Vec<String>) {
    let venv = ctx.new_venv(name);
    let out = run(ctx, "install", &venv, args);
    assert_eq!(out.code, 0);
    (venv, warnings(&out))
}

/// Where the cache keeps `dist`'s bytes.
fn blob(ctx: &TestContext, dist: &Dist) -> PathBuf {
    let sha = dist.sha256();
    ctx.cache
        .join("files/sha256")
        .join(sha.get(..2).unwrap())
        .join(sha)
}

fn file_fetches(ctx: &TestContext) -> usize {
    ctx.index()
        .file_requests()
        .iter()
        .filter(|r| r.status == 200)
        .count()
}

fn warnings(out: &Run) -> Vec<String> {
    out.stderr
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .map(str::to_string)
        .collect()
}

fn planted_warning(blob: &Path, planted: &[u8]) -> String {
    format!(
        "warning: not using the cached {}: its bytes hash to {}, not to its name (removed from the cache; it is fetched again)",
        blob.display(),
        dists::sha256_hex(planted)
    )
}

/// Replaces the cached bytes of `dist`, keeping the name (and the sidecars).
fn plant(blob: &Path, bytes: &[u8]) {
    assert!(blob.is_file(), "{} was cached", blob.display());
    std::fs::write(blob, bytes).unwrap();
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_planted_blob_is_not_copied_out_by_download() {
    let ctx = TestContext::new();
    let alpha = dists::wheel("alpha", "1.0", &[], &[]);
    ctx.publish(&alpha, REPO);
    let venv = ctx.new_venv("venv");
    let first = ctx.path("first");
    let out = run(
        &ctx,
        "download",
        &venv,
        &["-d", first.to_str().unwrap(), "alpha"],
    );
    assert_eq!(out.code, 0);

    let evil = dists::wheel("alpha", "1.0", &[], &[("evil.py", b"print('pwned')\n")]);
    plant(&blob(&ctx, &alpha), &evil.bytes);
    let second = ctx.path("second");
    let out = run(
        &ctx,
        "download",
        &venv,
        &["-d", second.to_str().unwrap(), "alpha"],
    );
    assert_eq!(out.code, 0);
    assert_eq!(
        warnings(&out),
        [planted_warning(&blob(&ctx, &alpha), &evil.bytes)]
    );
    assert!(std::fs::read(second.join(&alpha.filename)).unwrap() == alpha.bytes);
    assert_eq!(file_fetches(&ctx), 2, "fetched again");
    assert!(std::fs::read(blob(&ctx, &alpha)).unwrap() == alpha.bytes);
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_planted_blob_is_not_installed_from_a_reused_resolution() {
    let ctx = TestContext::new();
    let alpha = dists::wheel("alpha", "1.0", &["beta"], &[]);
    let beta = dists::wheel("beta", "2.0", &[], &[]);
    ctx.publish(&alpha, REPO);
    ctx.publish(&beta, REPO);
    let (first, _) = install_fresh(&ctx, "venv1", &["alpha"]);

    let evil = dists::wheel("beta", "2.0", &[], &[("evil.py", b"print('pwned')\n")]);
    plant(&blob(&ctx, &beta), &evil.bytes);
    ctx.index().clear_log();
    let (second, warned) = install_fresh(&ctx, "venv2", &["alpha"]);
    assert_eq!(warned, [planted_warning(&blob(&ctx, &beta), &evil.bytes)]);
    assert!(
        ctx.index().metadata_requests().is_empty(),
        "the resolution was reused"
    );
    assert_eq!(second.freeze(), first.freeze());
    assert!(!second.site_packages().join("evil.py").exists());
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_planted_build_dependency_is_not_run_when_a_resolution_is_reused() {
    let ctx = TestContext::new();
    let backend = dists::backend_wheel();
    ctx.publish(&backend, REPO);
    let gamma = dists::sdist("gamma", "1.0", &[], None);
    ctx.publish(&gamma, REPO);
    let (first, _) = install_fresh(&ctx, "venv1", &["gamma"]);

    // A backend that says it ran, under the real backend's hash.
    let marker = ctx.path("evil-ran");
    let source = format!(
        "open({:?}, 'w').write('evil')\n",
        marker.display().to_string()
    );
    let evil = dists::wheel(
        dists::BACKEND_NAME,
        dists::BACKEND_VERSION,
        &[],
        &[("pyprov_test_backend.py", source.as_bytes())],
    );
    plant(&blob(&ctx, &backend), &evil.bytes);
    ctx.index().clear_log();
    let second = ctx.new_venv("venv2");
    let out = run(&ctx, "install", &second, &["gamma"]);
    assert!(!marker.exists(), "the planted build backend ran");
    assert_eq!(out.code, 0);
    assert_eq!(
        warnings(&out),
        [planted_warning(&blob(&ctx, &backend), &evil.bytes)]
    );
    assert!(
        ctx.index().metadata_requests().is_empty()
            && ctx
                .index()
                .file_requests()
                .iter()
                .all(|r| r.last_segment() == backend.filename),
        "the resolution was reused: {:?}",
        ctx.index().requests()
    );
    assert_eq!(second.freeze(), first.freeze());
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_symlinked_entry_is_refused() {
    let ctx = TestContext::new();
    let alpha = dists::wheel("alpha", "1.0", &[], &[]);
    ctx.publish(&alpha, REPO);
    let (first, _) = install_fresh(&ctx, "venv1", &["alpha"]);

    // The right bytes, but through a link: whoever controls the target controls the bytes.
    let blob = blob(&ctx, &alpha);
    let target = ctx.path("elsewhere.whl");
    std::fs::rename(&blob, &target).unwrap();
    std::os::unix::fs::symlink(&target, &blob).unwrap();
    let (second, warned) = install_fresh(&ctx, "venv2", &["alpha"]);
    assert_eq!(
        warned,
        [format!(
            "warning: not using the cached {}: it is a symbolic link (removed from the cache; it is fetched again)",
            blob.display()
        )]
    );
    assert_eq!(file_fetches(&ctx), 2, "fetched again");
    assert!(!std::fs::symlink_metadata(&blob).unwrap().is_symlink());
    assert!(
        std::fs::read(&target).unwrap() == alpha.bytes,
        "the target is left alone"
    );
    assert_eq!(second.freeze(), first.freeze());
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_foreign_owned_entry_is_refused() {
    let ctx = TestContext::new();
    let alpha = dists::wheel("alpha", "1.0", &[], &[]);
    ctx.publish(&alpha, REPO);
    let (first, _) = install_fresh(&ctx, "venv1", &["alpha"]);

    let blob = blob(&ctx, &alpha);
    let ours = std::fs::metadata(&blob)
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
        .unwrap();
    assert_eq!(ours, 0, "the tests run as root, so they can chown");
    std::os::unix::fs::chown(&blob, Some(12345), None).unwrap();
    let (second, warned) = install_fresh(&ctx, "venv2", &["alpha"]);
    assert_eq!(
        warned,
        [format!(
            "warning: not using the cached {}: it belongs to uid 12345, not to this process's uid 0 (removed from the cache; it is fetched again)",
            blob.display()
        )]
    );
    assert_eq!(file_fetches(&ctx), 2, "fetched again");
    assert_eq!(
        std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&blob).unwrap()),
        0
    );
    assert_eq!(second.freeze(), first.freeze());
}
