//! The committed completions in `completions/` must be what `pyprov completions SHELL` prints,
//! so they cannot go stale when a flag is added.

use crate::support::context::TestContext;

#[test]
fn committed_completions_are_current() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let ctx = TestContext::new();
    let mut stale = Vec::new();
    for (shell, file) in [
        ("bash", "completions/pyprov.bash"),
        ("zsh", "completions/_pyprov"),
        ("fish", "completions/pyprov.fish"),
    ] {
        let out = ctx.pyprov().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "pyprov completions {shell} failed");
        assert!(!out.stdout.is_empty());
        let committed = std::fs::read(root.join(file)).unwrap_or_default();
        if committed != out.stdout {
            stale.push(format!("cargo run -q -- completions {shell} > {file}"));
        }
    }
    assert!(
        stale.is_empty(),
        "completions are stale; regenerate them:\n  {}",
        stale.join("\n  ")
    );
}
