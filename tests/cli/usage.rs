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

#[test]
fn inspect_on_a_distribution_file_says_what_to_run() {
    let ctx = TestContext::new();
    ctx.write("alpha-1.0-py3-none-any.whl", b"PK\x03\x04 not a document");
    ctx.write("alpha-1.0.tar.gz", b"\x1f\x8b not a document");
    let out = pyprov(&ctx, &["inspect", "alpha-1.0-py3-none-any.whl"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    snapshot!(ctx, "inspect_a_wheel", out.snapshot());
    let out = pyprov(&ctx, &["inspect", "alpha-1.0.tar.gz"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("`pyprov inspect alpha-1.0.tar.gz.provenance`"),
        "{}",
        out.stderr
    );
    // A distribution is what pip and packaging read as one: the extension's case matters, so
    // this name is read as a document (and is not one).
    ctx.write("alpha-1.0-py3-none-any.WHL", b"PK\x03\x04 not a document");
    let out = pyprov(&ctx, &["inspect", "alpha-1.0-py3-none-any.WHL"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stdout.contains("not a JSON document") && !out.stderr.contains("distribution file"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
}

#[test]
fn a_repository_address_as_publisher_gets_its_spec() {
    let ctx = TestContext::new();
    ctx.write("alpha-1.0-py3-none-any.whl", b"PK\x03\x04");
    for (given, meant) in [
        ("https://github.com/o/r", "github:o/r"),
        ("github.com/o/r", "github:o/r"),
        ("https://gitlab.com/ns/p", "gitlab:ns/p"),
    ] {
        let out = pyprov(
            &ctx,
            &["verify", "alpha-1.0-py3-none-any.whl", "--publisher", given],
        );
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(
            out.stderr.contains(&format!("did you mean `{meant}`?")),
            "{given}: {}",
            out.stderr
        );
    }
    let out = pyprov(
        &ctx,
        &[
            "verify",
            "alpha-1.0-py3-none-any.whl",
            "--publisher",
            "https://github.com/o/r",
        ],
    );
    snapshot!(ctx, "publisher_as_url", out.snapshot());
}

#[test]
fn an_expired_certificate_reads_as_a_sentence() {
    use crate::support::pki::{self, Signing};
    let ctx = TestContext::new();
    let signing = Signing {
        integrated_time: Some(pki::BASE_TIME + pki::CERT_LIFETIME_SECS + 60),
        ..Signing::default()
    };
    let wheel = ctx.write("example-1.0.0-py3-none-any.whl", b"example wheel contents");
    let att = ctx.write("att.json", ctx.pki().pep740_attestation(&signing));
    let out = ctx.run(
        ctx.pyprov()
            .env("COLUMNS", "80")
            .args(["verify", wheel.to_str().unwrap(), "--attestation"])
            .arg(&att)
            .args(["--publisher", "github:example/project", "--trusted-root"])
            .arg(ctx.trusted_root()),
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let all = format!("{}{}", out.stdout, out.stderr);
    for debug in ["CertExpired", "UnixTime", "{", "}"] {
        assert!(!all.contains(debug), "Rust debug text {debug:?}: {all}");
    }
    assert!(
        all.contains("the signing certificate had expired when it was used"),
        "{all}"
    );
    snapshot!(ctx, "expired_certificate", out.snapshot());
}

#[test]
fn python_given_a_virtualenv_directory_names_its_interpreter() {
    let ctx = TestContext::new();
    // A virtualenv's layout is enough: pyprov refuses before running anything in it.
    std::fs::create_dir_all(ctx.work_path("venv/bin")).unwrap();
    ctx.write("venv/bin/python", b"");
    ctx.write("venv/pyvenv.cfg", b"home = /usr/bin\n");
    let out = pyprov(&ctx, &["install", "--python", "venv", "alpha"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    snapshot!(ctx, "python_is_a_venv_directory", out.snapshot());
    std::fs::create_dir_all(ctx.work_path("empty")).unwrap();
    let out = pyprov(&ctx, &["install", "--python", "empty", "alpha"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("no bin/python in it"), "{}", out.stderr);
    let out = pyprov(&ctx, &["install", "--python", "nope/bin/python", "alpha"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("no such file"), "{}", out.stderr);
}
