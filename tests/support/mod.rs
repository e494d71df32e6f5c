//! Shared helpers for integration tests.

pub mod dists;
pub mod index;
pub mod pki;
pub mod venv;
