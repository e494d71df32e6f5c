//! The verified-file cache trusts no name: bytes planted under another file's sha256, a
//! symlinked entry and an entry another user owns are never served, copied out or built with;
//! each is said on stderr, removed, and the right bytes are fetched again. End to end: the
//! loopback index, real pip in real venvs.

use crate::support;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::dists::{self, Dist};
use crate::support::index::TestIndex;
use crate::support::pki::TestPki;
use crate::support::venv::Venv;

const REPO: &str = "acme/widgets";

struct Ctx {
    dir: tempfile::TempDir,
    pki: TestPki,
    root: PathBuf,
    index: TestIndex,
    cache: PathBuf,
}

impl Ctx {
    fn new() -> Ctx {
        let (dir, pki, root, _work) = support::project_sandbox();
        Ctx {
            cache: dir.path().join("cache"),
            index: TestIndex::new(),
            dir,
            pki,
            root,
        }
    }

    fn publish(&self, dist: &Dist) {
        self.index.publish(&self.pki, dist, REPO);
    }

    fn run(&self, sub: &str, venv: &Venv, args: &[&str]) -> Output {
        let out = support::pyprov(
            sub,
            &self.dir.path().join("project"),
            &self.cache,
            &venv.python(),
            &self.root,
            &self.index.url(),
        )
        .args(args)
        .output()
        .unwrap();
        eprintln!(
            "--- pyprov {sub} {args:?}: {:?}\n{}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// `pyprov install ARGS` into a fresh venv `name`, asserting success; the venv and the
    /// warnings pyprov printed.
    fn install_fresh(&self, name: &str, args: &[&str]) -> (Venv, Vec<String>) {
        let venv = Venv::create(&self.dir.path().join(name));
        let out = self.run("install", &venv, args);
        assert_eq!(out.status.code(), Some(0));
        (venv, warnings(&out))
    }

    /// Where the cache keeps `dist`'s bytes.
    fn blob(&self, dist: &Dist) -> PathBuf {
        let sha = dist.sha256();
        self.cache
            .join("files/sha256")
            .join(sha.get(..2).unwrap())
            .join(sha)
    }

    fn file_fetches(&self) -> usize {
        self.index
            .file_requests()
            .iter()
            .filter(|r| r.status == 200)
            .count()
    }
}

fn warnings(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
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
    let ctx = Ctx::new();
    let alpha = dists::wheel("alpha", "1.0", &[], &[]);
    ctx.publish(&alpha);
    let venv = Venv::create(&ctx.dir.path().join("venv"));
    let first = ctx.dir.path().join("first");
    let out = ctx.run("download", &venv, &["-d", first.to_str().unwrap(), "alpha"]);
    assert_eq!(out.status.code(), Some(0));

    let evil = dists::wheel("alpha", "1.0", &[], &[("evil.py", b"print('pwned')\n")]);
    plant(&ctx.blob(&alpha), &evil.bytes);
    let second = ctx.dir.path().join("second");
    let out = ctx.run(
        "download",
        &venv,
        &["-d", second.to_str().unwrap(), "alpha"],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        warnings(&out),
        [planted_warning(&ctx.blob(&alpha), &evil.bytes)]
    );
    assert!(std::fs::read(second.join(&alpha.filename)).unwrap() == alpha.bytes);
    assert_eq!(ctx.file_fetches(), 2, "fetched again");
    assert!(std::fs::read(ctx.blob(&alpha)).unwrap() == alpha.bytes);
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_planted_blob_is_not_installed_from_a_reused_resolution() {
    let ctx = Ctx::new();
    let alpha = dists::wheel("alpha", "1.0", &["beta"], &[]);
    let beta = dists::wheel("beta", "2.0", &[], &[]);
    ctx.publish(&alpha);
    ctx.publish(&beta);
    let (first, _) = ctx.install_fresh("venv1", &["alpha"]);

    let evil = dists::wheel("beta", "2.0", &[], &[("evil.py", b"print('pwned')\n")]);
    plant(&ctx.blob(&beta), &evil.bytes);
    ctx.index.clear_log();
    let (second, warned) = ctx.install_fresh("venv2", &["alpha"]);
    assert_eq!(warned, [planted_warning(&ctx.blob(&beta), &evil.bytes)]);
    assert!(
        ctx.index.metadata_requests().is_empty(),
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
    let ctx = Ctx::new();
    let backend = dists::backend_wheel();
    ctx.publish(&backend);
    let gamma = dists::sdist("gamma", "1.0", &[], None);
    ctx.publish(&gamma);
    let (first, _) = ctx.install_fresh("venv1", &["gamma"]);

    // A backend that says it ran, under the real backend's hash.
    let marker = ctx.dir.path().join("evil-ran");
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
    plant(&ctx.blob(&backend), &evil.bytes);
    ctx.index.clear_log();
    let second = Venv::create(&ctx.dir.path().join("venv2"));
    let out = ctx.run("install", &second, &["gamma"]);
    assert!(!marker.exists(), "the planted build backend ran");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        warnings(&out),
        [planted_warning(&ctx.blob(&backend), &evil.bytes)]
    );
    assert!(
        ctx.index.metadata_requests().is_empty()
            && ctx
                .index
                .file_requests()
                .iter()
                .all(|r| r.last_segment() == backend.filename),
        "the resolution was reused: {:?}",
        ctx.index.requests()
    );
    assert_eq!(second.freeze(), first.freeze());
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_symlinked_entry_is_refused() {
    let ctx = Ctx::new();
    let alpha = dists::wheel("alpha", "1.0", &[], &[]);
    ctx.publish(&alpha);
    let (first, _) = ctx.install_fresh("venv1", &["alpha"]);

    // The right bytes, but through a link: whoever controls the target controls the bytes.
    let blob = ctx.blob(&alpha);
    let target = ctx.dir.path().join("elsewhere.whl");
    std::fs::rename(&blob, &target).unwrap();
    std::os::unix::fs::symlink(&target, &blob).unwrap();
    let (second, warned) = ctx.install_fresh("venv2", &["alpha"]);
    assert_eq!(
        warned,
        [format!(
            "warning: not using the cached {}: it is a symbolic link (removed from the cache; it is fetched again)",
            blob.display()
        )]
    );
    assert_eq!(ctx.file_fetches(), 2, "fetched again");
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
    let ctx = Ctx::new();
    let alpha = dists::wheel("alpha", "1.0", &[], &[]);
    ctx.publish(&alpha);
    let (first, _) = ctx.install_fresh("venv1", &["alpha"]);

    let blob = ctx.blob(&alpha);
    let ours = std::fs::metadata(&blob)
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
        .unwrap();
    assert_eq!(ours, 0, "the tests run as root, so they can chown");
    std::os::unix::fs::chown(&blob, Some(12345), None).unwrap();
    let (second, warned) = ctx.install_fresh("venv2", &["alpha"]);
    assert_eq!(
        warned,
        [format!(
            "warning: not using the cached {}: it belongs to uid 12345, not to this process's uid 0 (removed from the cache; it is fetched again)",
            blob.display()
        )]
    );
    assert_eq!(ctx.file_fetches(), 2, "fetched again");
    assert_eq!(
        std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&blob).unwrap()),
        0
    );
    assert_eq!(second.freeze(), first.freeze());
}
