//! Shared helpers for integration tests.

/// `both_pips!(case)`: the function `case(PipVersion)` as two tests, `case::oldest` (pip
/// 22.2.2) and `case::newest` (pip 26.3), in the slow tier (feature `real-pip`). The test file
/// imports `PipVersion`.
#[allow(unused_macros)]
macro_rules! both_pips {
    ($name:ident) => {
        mod $name {
            #[test]
            #[cfg_attr(
                not(feature = "real-pip"),
                ignore = "slow: real pip; cargo test --features real-pip"
            )]
            fn oldest() {
                super::$name(super::PipVersion::Oldest)
            }
            #[test]
            #[cfg_attr(
                not(feature = "real-pip"),
                ignore = "slow: real pip; cargo test --features real-pip"
            )]
            fn newest() {
                super::$name(super::PipVersion::Newest)
            }
        }
    };
}

/// `snapshot!(ctx, "name", text)`: `text` as the snapshot `name` (in `snapshots/` beside the
/// test file), through the filters of `ctx`, a [`context::TestContext`].
#[allow(unused_macros)]
macro_rules! snapshot {
    ($ctx:expr, $name:expr, $value:expr) => {
        $ctx.snapshot_settings()
            .bind(|| insta::assert_snapshot!($name, $value))
    };
}

pub mod context;
pub mod dists;
pub mod index;
pub mod pki;
pub mod venv;

#[allow(dead_code)] // the benchmarks' (tests use context::TestContext)
/// A scratch directory holding a fresh throwaway Sigstore's `trusted_root.json`.
pub fn sandbox() -> (tempfile::TempDir, pki::TestPki, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let pki = pki::TestPki::new();
    let root = dir.path().join("trusted_root.json");
    std::fs::write(&root, pki.trusted_root_json()).expect("write trusted_root.json");
    (dir, pki, root)
}

#[allow(dead_code)] // the benchmarks' (tests use context::TestContext)
/// [`sandbox`] plus `project/`, the working directory pyprov runs in, with a `.git` boundary
/// so trust-file discovery stays inside the test.
pub fn project_sandbox() -> (
    tempfile::TempDir,
    pki::TestPki,
    std::path::PathBuf,
    std::path::PathBuf,
) {
    let (dir, pki, root) = sandbox();
    let work = dir.path().join("project");
    std::fs::create_dir_all(work.join(".git")).expect("project/.git");
    (dir, pki, root, work)
}

#[allow(dead_code)]
/// A `python` stand-in in `dir` that runs `python` and appends `START END ARGS` (epoch seconds)
/// to a log for every process started through it: the benchmarks' view of where the time goes.
/// Returns (the stand-in, its log).
pub fn logged_python(
    python: &std::path::Path,
    dir: &std::path::Path,
) -> (std::path::PathBuf, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let log = dir.join("python.log");
    let wrapper = dir.join("python-logged");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\ns=$(date +%s.%N)\n'{}' \"$@\"\nrc=$?\necho \"$s $(date +%s.%N) $(echo \"$*\" | tr '\\n' ' ')\" >> '{}'\nexit $rc\n",
            python.display(),
            log.display()
        ),
    )
    .expect("wrapper");
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))
        .expect("chmod wrapper");
    (wrapper, log)
}
