//! An index pyprov cannot read is named, with why, instead of pip's bare "no matching
//! distribution": alone, it is why pip found nothing; beside a working index, the run goes on
//! and the report says which one was not read.

use crate::support::context::TestContext;
use crate::support::dists;
use crate::support::venv::PipVersion;

/// A loopback port nothing listens on: port 1, below the ephemeral range every other test's
/// servers (the loopback index, the gate) are given ports from, and privileged. (A port taken
/// and let go could be given to a gate of a test running beside this one, which then answers
/// 407.)
fn closed_port() -> u16 {
    1
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn an_index_that_refuses_connections_is_named() {
    let ctx = TestContext::with_pip(PipVersion::Newest);
    let port = closed_port();
    let closed = format!("http://127.0.0.1:{port}/simple/");
    ctx.add_literal_filter(&format!("http://127.0.0.1:{port}/"), "[CLOSED]/");
    let run = ctx.install(&["-i", &closed, "alpha"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    // The index is named, with why, before pip's own words.
    assert!(
        run.stderr.contains(&format!(
            "pyprov could not read an index pip needed: cannot reach {closed}alpha/: could not connect"
        )),
        "{}",
        run.stderr
    );
    snapshot!(ctx, "index_refuses_connections", run.snapshot_stderr());
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn an_extra_index_that_cannot_be_read_is_noted() {
    let ctx = TestContext::with_pip(PipVersion::Newest);
    let alpha = dists::wheel("alpha", "1.0", &[], &[]);
    ctx.publish(&alpha, "acme/widgets");
    let closed = format!("http://127.0.0.1:{}/simple/", closed_port());
    let run = ctx.install_json(&["--extra-index-url", &closed, "alpha"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let notes = run.report()["notes"].to_string();
    assert!(
        notes.contains("an index could not be read, and pip resolved from the others")
            && notes.contains(closed.trim_end_matches('/')),
        "{notes}"
    );
}
