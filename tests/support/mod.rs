//! Shared helpers for integration tests.

pub mod dists;
pub mod index;
pub mod pki;
pub mod venv;

#[allow(dead_code)] // each test binary compiles this module; not all of them sign
/// A scratch directory holding a fresh throwaway Sigstore's `trusted_root.json`: what every
/// test that signs anything starts from.
pub fn sandbox() -> (tempfile::TempDir, pki::TestPki, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let pki = pki::TestPki::new();
    let root = dir.path().join("trusted_root.json");
    std::fs::write(&root, pki.trusted_root_json()).expect("write trusted_root.json");
    (dir, pki, root)
}
