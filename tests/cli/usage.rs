//! Usage mistakes caught by pyprov itself, before pip or any verification runs: each is one
//! clear error (exit 2) that says what was meant. At 80 columns, as a terminal shows them.

use crate::support::context::{Run, TestContext};

fn pyprov(ctx: &TestContext, args: &[&str]) -> Run {
    ctx.run(ctx.pyprov().env("COLUMNS", "80").args(args))
}

#[test]
fn a_misspelled_pyprov_flag_is_one_error_with_a_guess() {
    let ctx = TestContext::new();
    // pipopts reads the words before pip is located: no interpreter is needed to refuse them.
    let out = pyprov(&ctx, &["install", "--unatested", "deny", "alpha"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(out.stderr.matches("error:").count(), 1, "{}", out.stderr);
    snapshot!(ctx, "misspelled_pyprov_flag", out.snapshot());
}

#[test]
fn a_misspelled_pip_option_is_one_error_with_a_guess() {
    let ctx = TestContext::new();
    let out = pyprov(&ctx, &["install", "--requirment", "r.txt"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    snapshot!(ctx, "misspelled_pip_option", out.snapshot());
}
