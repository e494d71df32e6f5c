//! The fast tier: pyprov's CLI and library on signed fixtures and the real corpus, with no
//! virtualenv and no pip. `cargo test` runs all of it in seconds.

// A test may panic: that is how it fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::string_slice)]

#[macro_use]
#[path = "../support/mod.rs"]
mod support;

// Shared with the fuzz target `verify_attestation_mutants`, which names it by this path.
#[path = "../mutation/mod.rs"]
mod mutation;

mod completions;
mod corpus;
mod distnames;
mod pki_selftest;
mod robustness;
mod signed;
mod trust;
mod usage;
