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

/// `maturin build` (wheel.rs) builds on the crate's own target directory without the tests'
/// features, so it links `target/debug/pyprov` again, and a README test running that binary
/// meanwhile finds no `pyprov` on its PATH. The two hold this while they build or run it.
static TARGET_BINARY: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn hold_target_binary() -> std::sync::MutexGuard<'static, ()> {
    TARGET_BINARY
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
