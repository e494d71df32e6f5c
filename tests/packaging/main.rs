//! pyprov as it is shipped and documented: the wheel maturin builds, and the README's recipes
//! run word for word. The parts that build with maturin or run pip are the slow tier
//! (`cargo test --features real-pip`).

// A test may panic: that is how it fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::string_slice)]

#[macro_use]
#[path = "../support/mod.rs"]
mod support;

mod readme;
mod wheel;
