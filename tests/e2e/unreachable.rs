//! An index pyprov cannot read is named, with why, instead of pip's bare "no matching
//! distribution": alone, it is why pip found nothing; beside a working index, the run goes on
//! and the report says which one was not read.

use crate::support::context::TestContext;
use crate::support::dists;
use crate::support::venv::PipVersion;

/// A loopback URL nothing listens on: a port taken, then let go.
fn closed_index() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/simple/")
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn an_index_that_refuses_connections_is_named() {
    let ctx = TestContext::with_pip(PipVersion::Newest);
    let closed = closed_index();
    ctx.add_filter(regex_escape(&closed), "[CLOSED]/simple/");
    let run = ctx.install(&["-i", &closed, "alpha"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("pyprov could not read an index pip needed: "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("[CLOSED]") || run.stderr.contains(&closed),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("  fix: check the index URL"),
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
    let closed = closed_index();
    let run = ctx.install_json(&["--extra-index-url", &closed, "alpha"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let notes = run.report()["notes"].to_string();
    assert!(
        notes.contains("an index could not be read, and pip resolved from the others")
            && notes.contains(closed.trim_end_matches('/')),
        "{notes}"
    );
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if "\\.+*?()|[]{}^$".contains(c) {
                vec!['\\', c]
            } else {
                vec![c]
            }
        })
        .collect()
}
