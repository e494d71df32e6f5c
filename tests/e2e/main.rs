//! End to end: the real pip in real virtualenvs, through pyprov, against the loopback test
//! index. The tests that make a venv or run pip are the slow tier: they run with
//! `cargo test --features real-pip` (as `.ci/run` does) and are ignored otherwise.

// A test may panic: that is how it fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::string_slice)]

#[macro_use]
#[path = "../support/mod.rs"]
mod support;

mod alias;
mod cache;
mod confine;
mod cooldown;
mod differential;
mod index_selftest;
mod inputs;
mod install;
mod json_stdout;
mod lock;
mod pip_matrix;
mod pip_options;
mod pylock;
mod terminal;
mod trust_init;
mod unreachable;
mod uploaded;
