//! `pyprov verify` on attestations signed by the project's own throwaway Sigstore (tests/support):
//! every failure the real corpus lacks, through the CLI, with its stable reason code.

use crate::support::context::TestContext;
use std::path::{Path, PathBuf};

use crate::support::pki::{self, Identity, LeafUsage, RekorKey, SctMode, Signing};
use serde_json::{json, Value};

const WHEEL: &str = "example-1.0.0-py3-none-any.whl";
const CONTENTS: &[u8] = b"example wheel contents";

/// A wheel and an attestation for it, signed with `signing`.
fn attested(ctx: &TestContext, signing: Signing) -> (PathBuf, PathBuf) {
    let wheel = ctx.write(WHEEL, CONTENTS);
    let att = ctx.write("att.json", ctx.pki().pep740_attestation(&signing));
    (wheel, att)
}

/// `pyprov verify ARGS --trusted-root ROOT --format json`: (exit status, the report, or the
/// stderr when there is none).
fn verify(ctx: &TestContext, args: &[&str]) -> (i32, Value) {
    let run = ctx.run(
        ctx.pyprov()
            .arg("verify")
            .args(args)
            .arg("--trusted-root")
            .arg(ctx.trusted_root())
            .args(["--format", "json"]),
    );
    let json =
        serde_json::from_str(&run.stdout).unwrap_or_else(|_| json!({ "stderr": run.stderr }));
    (run.code, json)
}

fn verify_att(ctx: &TestContext, wheel: &Path, att: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec![
        wheel.to_str().unwrap(),
        "--attestation",
        att.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    verify(ctx, &args)
}

fn statement_for(name: &str) -> Vec<u8> {
    pki::statement(
        name,
        &pki::sha256_hex(CONTENTS),
        pki::PUBLISH_PREDICATE_V1,
        Value::Null,
    )
}

fn reason(json: &Value) -> &str {
    json["files"][0]["reason"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

fn assert_fails(ctx: &TestContext, signing: Signing, extra: &[&str], code: &str) {
    let (wheel, att) = attested(ctx, signing);
    let (exit, json) = verify_att(ctx, &wheel, &att, extra);
    assert_eq!((exit, reason(&json)), (1, code), "{json:#}");
}

fn assert_passes(ctx: &TestContext, signing: Signing, extra: &[&str]) -> Value {
    let (wheel, att) = attested(ctx, signing);
    let (exit, json) = verify_att(ctx, &wheel, &att, extra);
    assert_eq!(exit, 0, "{json:#}");
    assert_eq!(json["files"][0]["verdict"], "pass");
    json
}

#[test]
fn good_github_attestation_passes_and_names_its_publisher() {
    let ctx = TestContext::new();
    let json = assert_passes(
        &ctx,
        Signing::default(),
        &["--publisher", "github:example/project/release.yml"],
    );
    let file = &json["files"][0];
    assert_eq!(file["publisher"], "github:example/project/release.yml");
    assert_eq!(file["identity"]["ref"], "refs/tags/v1.0.0");
    assert_eq!(
        file["identity"]["repository"],
        "https://github.com/example/project"
    );
    assert_eq!(file["transparency_log"]["log_index"], 123_456_789);
    assert_eq!(
        file["predicate_types"],
        json!(["https://docs.pypi.org/attestations/publish/v1"])
    );
    assert!(file["reason"].is_null());
    // Any workflow of the repository, and no expectation at all, pass too.
    assert_passes(
        &ctx,
        Signing::default(),
        &["--publisher", "github:example/project"],
    );
    assert_passes(&ctx, Signing::default(), &[]);
}

#[test]
fn another_publisher_is_an_identity_mismatch() {
    let ctx = TestContext::new();
    for spec in [
        "github:example/project/other.yml",
        "github:example/elsewhere",
        "gitlab:example/project",
        "google:release@example.iam.gserviceaccount.com",
    ] {
        assert_fails(
            &ctx,
            Signing::default(),
            &["--publisher", spec],
            "identity-mismatch",
        );
    }
    assert_fails(
        &ctx,
        Signing::default(),
        &[
            "--identity",
            "https://example.com/x",
            "--issuer",
            pki::GITHUB_ISSUER,
        ],
        "identity-mismatch",
    );
}

#[test]
fn text_output_says_who_built_it_or_why_not() {
    let ctx = TestContext::new();
    let (wheel, att) = attested(&ctx, Signing::default());
    let mut cmd = ctx.pyprov();
    cmd.args([
        "verify",
        wheel.to_str().unwrap(),
        "--attestation",
        att.to_str().unwrap(),
    ])
    .args([
        "--publisher",
        "github:example/project/release.yml",
        "--trusted-root",
    ])
    .arg(ctx.trusted_root());
    let run = ctx.run(&mut cmd);
    assert_eq!(run.code, 0);
    snapshot!(ctx, "verify_text_pass", run.snapshot());
    let mut cmd = ctx.pyprov();
    cmd.args([
        "verify",
        wheel.to_str().unwrap(),
        "--attestation",
        att.to_str().unwrap(),
    ])
    .args(["--publisher", "github:evil/project", "--trusted-root"])
    .arg(ctx.trusted_root());
    let run = ctx.run(&mut cmd);
    assert_eq!(run.code, 1);
    snapshot!(ctx, "verify_text_fail", run.snapshot());
}

#[test]
fn certificate_expired_at_log_time() {
    let s = Signing {
        integrated_time: Some(pki::BASE_TIME + pki::CERT_LIFETIME_SECS + 60),
        ..Signing::default()
    };
    assert_fails(&TestContext::new(), s, &[], "certificate-invalid");
}

#[test]
fn wrong_key_usage() {
    let ctx = TestContext::new();
    for usage in [
        LeafUsage::ServerAuthEku,
        LeafUsage::NoEku,
        LeafUsage::NoDigitalSignature,
    ] {
        let s = Signing {
            usage,
            ..Signing::default()
        };
        assert_fails(&ctx, s, &[], "certificate-invalid");
    }
}

#[test]
fn missing_or_unknown_sct() {
    let ctx = TestContext::new();
    for sct in [SctMode::Omit, SctMode::UnknownLog] {
        let s = Signing {
            sct,
            ..Signing::default()
        };
        assert_fails(&ctx, s, &[], "certificate-invalid");
    }
}

#[test]
fn unknown_log_key_missing_set_or_proof_and_two_entries() {
    let ctx = TestContext::new();
    let cases = [
        Signing {
            rekor_key: RekorKey::Unknown,
            ..Signing::default()
        },
        Signing {
            include_set: false,
            ..Signing::default()
        },
        Signing {
            include_inclusion_proof: false,
            ..Signing::default()
        },
        Signing {
            tlog_entries: 2,
            ..Signing::default()
        },
    ];
    for s in cases {
        assert_fails(&ctx, s, &[], "tlog-invalid");
    }
}

#[test]
fn unsupported_log_entry_kind() {
    let ctx = TestContext::new();
    let mut att = ctx
        .pki()
        .sign(&Signing::default())
        .pep740_attestation_value();
    att["verification_material"]["transparency_entries"][0]["kindVersion"] =
        json!({"kind": "hashedrekord", "version": "0.0.1"});
    let wheel = ctx.write(WHEEL, CONTENTS);
    let att = ctx.write("att.json", att.to_string());
    let (exit, json) = verify_att(&ctx, &wheel, &att, &[]);
    assert_eq!((exit, reason(&json)), (1, "unsupported-log-entry"));
}

#[test]
fn statement_rules() {
    let ctx = TestContext::new();
    let digest = pki::sha256_hex(CONTENTS);
    let two = pki::statement_with_subjects(
        &[
            (WHEEL, digest.as_str()),
            ("other-1.0-py3-none-any.whl", digest.as_str()),
        ],
        pki::PUBLISH_PREDICATE_V1,
        Value::Null,
    );
    let none = pki::statement_with_subjects(&[], pki::PUBLISH_PREDICATE_V1, Value::Null);
    for statement in [two, none] {
        assert_fails(
            &ctx,
            Signing::new(
                Identity::github("example/project", "release.yml", "refs/tags/v1.0.0"),
                statement,
            ),
            &[],
            "invalid-statement",
        );
    }
    let unknown = pki::statement(
        WHEEL,
        &digest,
        "https://example.com/predicate/v9",
        json!({}),
    );
    assert_fails(
        &ctx,
        Signing {
            statement: unknown,
            ..Signing::default()
        },
        &[],
        "unsupported-predicate",
    );
    let non_empty = pki::statement(WHEEL, &digest, pki::PUBLISH_PREDICATE_V1, json!({"x": 1}));
    assert_fails(
        &ctx,
        Signing {
            statement: non_empty,
            ..Signing::default()
        },
        &[],
        "invalid-statement",
    );
    let slsa = pki::statement(
        WHEEL,
        &digest,
        pki::SLSA_PROVENANCE_V1,
        json!({"buildDefinition": {}}),
    );
    assert_passes(
        &ctx,
        Signing {
            statement: slsa,
            ..Signing::default()
        },
        &[],
    );
}

#[test]
fn attestation_version_two_is_refused() {
    let s = Signing {
        attestation_version: 2,
        ..Signing::default()
    };
    assert_fails(&TestContext::new(), s, &[], "unsupported-version");
}

#[test]
fn subject_name_is_compared_in_parsed_form() {
    let ctx = TestContext::new();
    let wheel_att = |name: &str| {
        let s = Signing {
            statement: statement_for(name),
            ..Signing::default()
        };
        ctx.write("att.json", ctx.pki().pep740_attestation(&s))
    };
    let att = wheel_att("Example-1.0-py3-none-any.whl");
    let wheel = ctx.write(WHEEL, CONTENTS);
    assert_eq!(verify_att(&ctx, &wheel, &att, &[]).0, 0);
    for other in ["example-1.0.1-py3-none-any.whl", "example-1.0.0.tar.gz"] {
        let att = wheel_att(other);
        let (exit, json) = verify_att(&ctx, &wheel, &att, &[]);
        assert_eq!(
            (exit, reason(&json)),
            (1, "subject-name-mismatch"),
            "{other}"
        );
    }
    // Same bytes under another version's name: the digest matches, the name must not.
    let att = wheel_att(WHEEL);
    let renamed = ctx.write("example-2.0.0-py3-none-any.whl", CONTENTS);
    let (exit, json) = verify_att(&ctx, &renamed, &att, &[]);
    assert_eq!((exit, reason(&json)), (1, "subject-name-mismatch"));
    // Other bytes under the right name.
    let tampered = ctx.work.join("t");
    std::fs::create_dir(&tampered).unwrap();
    let tampered = tampered.join(WHEEL);
    std::fs::write(&tampered, b"tampered").unwrap();
    let (exit, json) = verify_att(&ctx, &tampered, &att, &[]);
    assert_eq!((exit, reason(&json)), (1, "digest-mismatch"));
}

#[test]
fn github_certificate_without_ref_or_digest() {
    let ctx = TestContext::new();
    let id = Identity::github("example/project", "release.yml", "refs/tags/v1.0.0")
        .without_source_digest()
        .without_source_ref();
    let s = Signing {
        identity: id,
        ..Signing::default()
    };
    // The signature is fine; the publisher cannot be matched.
    assert_passes(&ctx, s.clone(), &[]);
    let (wheel, att) = attested(&ctx, s);
    let (exit, json) = verify_att(
        &ctx,
        &wheel,
        &att,
        &["--publisher", "github:example/project"],
    );
    assert_eq!((exit, reason(&json)), (1, "identity-mismatch"));
    snapshot!(
        ctx,
        "neither_ref_nor_digest",
        json["files"][0]["reason"]["message"].as_str().unwrap()
    );
    // A digest alone is enough, as on PyPI.
    let only_digest = Identity::github("example/project", "release.yml", "refs/tags/v1.0.0")
        .without_source_ref()
        .with_build_config_uri(&format!(
            "https://github.com/example/project/.github/workflows/release.yml@{}",
            pki::DEFAULT_COMMIT
        ));
    assert_passes(
        &ctx,
        Signing {
            identity: only_digest,
            ..Signing::default()
        },
        &["--publisher", "github:example/project/release.yml"],
    );
}

#[test]
fn reusable_workflow_matches_the_calling_workflow() {
    let id = Identity::github("example/project", "release.yml", "refs/tags/v1.0.0")
        .with_build_signer_uri(
            "https://github.com/builders/shared/.github/workflows/build.yml@refs/tags/v2",
        );
    let s = Signing {
        identity: id,
        ..Signing::default()
    };
    let ctx = TestContext::new();
    assert_passes(
        &ctx,
        s.clone(),
        &["--publisher", "github:example/project/release.yml"],
    );
    assert_fails(
        &ctx,
        s,
        &["--publisher", "github:builders/shared/build.yml"],
        "identity-mismatch",
    );
}

#[test]
fn gitlab_identity() {
    let id = Identity::gitlab("acme/platform/lib", ".gitlab-ci.yml", "refs/tags/v1");
    let s = Signing {
        identity: id,
        ..Signing::default()
    };
    let ctx = TestContext::new();
    let json = assert_passes(
        &ctx,
        s.clone(),
        &["--publisher", "gitlab:acme/platform/lib//.gitlab-ci.yml"],
    );
    assert_eq!(
        json["files"][0]["publisher"],
        "gitlab:acme/platform/lib//.gitlab-ci.yml"
    );
    assert_passes(
        &ctx,
        s.clone(),
        &["--publisher", "gitlab:acme/platform/lib"],
    );
    assert_fails(
        &ctx,
        s,
        &["--publisher", "gitlab:acme/platform/lib//other.yml"],
        "identity-mismatch",
    );
}

#[test]
fn google_identities() {
    let email = "release@acme.iam.gserviceaccount.com";
    let s = Signing {
        identity: Identity::google(email),
        ..Signing::default()
    };
    let ctx = TestContext::new();
    let json = assert_passes(
        &ctx,
        s.clone(),
        &["--publisher", &format!("google:{email}")],
    );
    assert_eq!(json["files"][0]["publisher"], format!("google:{email}"));
    assert_eq!(json["files"][0]["identity"]["issuer"], pki::GOOGLE_ISSUER);
    assert_passes(
        &ctx,
        s.clone(),
        &["--identity", email, "--issuer", pki::GOOGLE_ISSUER],
    );
    assert_fails(
        &ctx,
        s.clone(),
        &["--publisher", "google:other@acme.iam.gserviceaccount.com"],
        "identity-mismatch",
    );
    // The same email from another issuer is not the Google account.
    let s = Signing {
        identity: Identity::google(email).with_issuer("https://accounts.example.com"),
        ..Signing::default()
    };
    assert_fails(
        &ctx,
        s,
        &["--publisher", &format!("google:{email}")],
        "identity-mismatch",
    );
}

#[test]
fn deployment_environment_present_and_absent() {
    let ctx = TestContext::new();
    let with_env = Signing {
        identity: Identity::github("example/project", "release.yml", "refs/tags/v1.0.0")
            .with_deployment_environment("pypi"),
        ..Signing::default()
    };
    let spec = ["--publisher", "github:example/project/release.yml"];
    let json = assert_passes(
        &ctx,
        with_env.clone(),
        &[spec[0], spec[1], "--environment", "pypi"],
    );
    assert_eq!(json["files"][0]["environment"], "proven");
    assert_eq!(json["files"][0]["identity"]["environment"], "pypi");
    assert_fails(
        &ctx,
        with_env,
        &[spec[0], spec[1], "--environment", "staging"],
        "environment-mismatch",
    );
    let json = assert_passes(
        &ctx,
        Signing::default(),
        &[spec[0], spec[1], "--environment", "pypi"],
    );
    assert_eq!(json["files"][0]["environment"], "unproven");
}

#[test]
fn provenance_publisher_block_must_agree_with_the_certificate() {
    let ctx = TestContext::new();
    let att = ctx.pki().pep740_attestation(&Signing::default());
    let wheel = ctx.write(WHEEL, CONTENTS);
    let check = |publisher: Value| {
        let p = ctx.write(
            "prov.json",
            pki::provenance(&[(publisher, vec![att.clone()])]),
        );
        verify(
            &ctx,
            &[wheel.to_str().unwrap(), "--provenance", p.to_str().unwrap()],
        )
    };
    let (exit, json) = check(pki::github_publisher(
        "example/project",
        "release.yml",
        None,
    ));
    assert_eq!(exit, 0, "{json:#}");
    let (exit, json) = check(pki::github_publisher("evil/project", "release.yml", None));
    assert_eq!((exit, reason(&json)), (1, "publisher-mismatch"));
    let (exit, json) = check(pki::gitlab_publisher(
        "example/project",
        ".gitlab-ci.yml",
        None,
    ));
    assert_eq!((exit, reason(&json)), (1, "publisher-mismatch"));
    let (exit, json) = check(json!({"kind": "ActiveState", "organization": "x"}));
    assert_eq!((exit, reason(&json)), (1, "unsupported-publisher"));
}

#[test]
fn sidecars_are_found_next_to_the_file() {
    let ctx = TestContext::new();
    let wheel = ctx.write(WHEEL, CONTENTS);
    let (exit, json) = verify(&ctx, &[wheel.to_str().unwrap()]);
    assert_eq!((exit, reason(&json)), (1, "no-provenance"));
    ctx.write(
        format!("{WHEEL}.publish.attestation"),
        ctx.pki().pep740_attestation(&Signing::default()),
    );
    let (exit, json) = verify(&ctx, &[wheel.to_str().unwrap()]);
    assert_eq!(exit, 0, "{json:#}");
    assert!(json["files"][0]["provenance"][0]
        .as_str()
        .unwrap()
        .ends_with(".publish.attestation"));
}

#[test]
fn message_signature_bundle_over_any_file() {
    let ctx = TestContext::new();
    let blob = b"a release binary";
    let file = ctx.write("tool-linux-amd64", blob);
    let bundle = ctx
        .pki()
        .sign_blob(blob, &Signing::default())
        .sigstore_bundle_v03();
    let bundle = ctx.write("tool.sigstore.json", bundle);
    let (exit, json) = verify(
        &ctx,
        &[
            file.to_str().unwrap(),
            "--bundle",
            bundle.to_str().unwrap(),
            "--publisher",
            "github:example/project/release.yml",
        ],
    );
    assert_eq!(exit, 0, "{json:#}");
    let other = ctx.write("other", b"another binary");
    let (exit, json) = verify(
        &ctx,
        &[
            other.to_str().unwrap(),
            "--bundle",
            bundle.to_str().unwrap(),
        ],
    );
    assert_eq!((exit, reason(&json)), (1, "digest-mismatch"));
}

#[test]
fn test_pki_attestations_fail_against_the_embedded_production_root() {
    let ctx = TestContext::new();
    let (wheel, att) = attested(&ctx, Signing::default());
    let out = ctx
        .pyprov()
        .args([
            "verify",
            wheel.to_str().unwrap(),
            "--attestation",
            att.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn usage_and_input_errors_exit_2() {
    let ctx = TestContext::new();
    let (wheel, att) = attested(&ctx, Signing::default());
    let (w, a) = (wheel.to_str().unwrap(), att.to_str().unwrap());
    let run = |args: &[&str]| ctx.run(ctx.pyprov().args(args));
    let missing = ctx.work_path("missing.whl");
    let bad_root = ctx.write("bad_root.json", "{}");
    for (i, args) in [
        vec!["verify", missing.to_str().unwrap(), "--attestation", a],
        vec!["verify", w, "--attestation", missing.to_str().unwrap()],
        vec![
            "verify",
            w,
            "--attestation",
            a,
            "--publisher",
            "github:nope",
        ],
        vec![
            "verify",
            w,
            "--attestation",
            a,
            "--trusted-root",
            bad_root.to_str().unwrap(),
        ],
        vec!["verify", w, "--attestation", a, "--identity", "x"],
        vec!["verify", w, "--provenance", a, "--bundle", a],
        vec!["verify"],
    ]
    .into_iter()
    .enumerate()
    {
        let out = run(&args);
        assert_eq!(out.code, 2, "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
        snapshot!(ctx, format!("usage_error_{i}"), out.snapshot());
    }
}

#[test]
fn inspect_shows_claims_and_says_it_did_not_verify() {
    let ctx = TestContext::new();
    let att = ctx.write(
        "att.json",
        ctx.pki().pep740_attestation(&Signing::default()),
    );
    let out = ctx.run(ctx.pyprov().args(["inspect", att.to_str().unwrap()]));
    assert_eq!(out.code, 0);
    snapshot!(ctx, "inspect_text", out.snapshot());
    let junk = ctx.write("junk.json", "{\"hello\": 1}");
    let out = ctx.run(
        ctx.pyprov()
            .args(["inspect", junk.to_str().unwrap(), "--format", "json"]),
    );
    assert_eq!(out.code, 1);
    let json = out.json();
    assert_eq!(json["verified"], false);
    assert_eq!(json["documents"][0]["error"]["code"], "unsupported-format");
    snapshot!(ctx, "inspect_json_unsupported", out.snapshot());
}

#[test]
fn several_attestations_must_all_verify() {
    let ctx = TestContext::new();
    let wheel = ctx.write(WHEEL, CONTENTS);
    let publish = ctx.write(
        "publish.json",
        ctx.pki().pep740_attestation(&Signing::default()),
    );
    let slsa = Signing {
        statement: pki::statement(
            WHEEL,
            &pki::sha256_hex(CONTENTS),
            pki::SLSA_PROVENANCE_V1,
            json!({"buildDefinition": {}}),
        ),
        ..Signing::default()
    };
    let slsa = ctx.write("slsa.json", ctx.pki().pep740_attestation(&slsa));
    let (w, p, s) = (
        wheel.to_str().unwrap(),
        publish.to_str().unwrap(),
        slsa.to_str().unwrap(),
    );
    let (exit, json) = verify(&ctx, &[w, "--attestation", p, s]);
    assert_eq!(exit, 0, "{json:#}");
    assert_eq!(
        json["files"][0]["predicate_types"],
        json!([pki::PUBLISH_PREDICATE_V1, pki::SLSA_PROVENANCE_V1])
    );
    // One bad attestation among good ones fails the file.
    let other = Signing {
        statement: statement_for("example-9.9-py3-none-any.whl"),
        ..Signing::default()
    };
    let bad = ctx.write("bad.json", ctx.pki().pep740_attestation(&other));
    let (exit, json) = verify(&ctx, &[w, "--attestation", p, bad.to_str().unwrap()]);
    assert_eq!((exit, reason(&json)), (1, "subject-name-mismatch"));
    let junk = ctx.write("junk.json", "not json");
    let (exit, json) = verify(&ctx, &[w, "--attestation", p, junk.to_str().unwrap()]);
    assert_eq!((exit, reason(&json)), (1, "malformed"));
}

// ---------------------------------------------------------------------------------------------
// Certificate and file-name text on the terminal
// ---------------------------------------------------------------------------------------------

/// A hyperlink (OSC 8), a screen clear, a carriage return and a right-to-left override.
const HOSTILE: &str = "v1\x1b]8;;evil.example\x1b\\ok\x1b]8;;\x1b\\\x1b[2J\r\u{202e}lmx.exe";
/// How pyprov shows it.
const HOSTILE_SHOWN: &str =
    "v1\\x1b]8;;evil.example\\x1b\\ok\\x1b]8;;\\x1b\\\\x1b[2J\\r\\u{202e}lmx.exe";

/// pyprov in the project (no trust file is found there), text output: (exit status, stdout).
fn text(ctx: &TestContext, args: &[&str]) -> (i32, String) {
    let out = ctx.run(ctx.pyprov().args(args));
    (out.code, out.stdout)
}

fn has_no_terminal_controls(s: &str) -> bool {
    !s.chars()
        .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}')
}

#[test]
fn inspect_shows_a_multibyte_commit_without_panicking() {
    let ctx = TestContext::new();
    let mut identity = Identity::github("example/project", "release.yml", "refs/tags/v1.0.0");
    identity.source_repository_digest = Some("a€€€€".into());
    let att = ctx.write(
        "att.json",
        ctx.pki().pep740_attestation(&Signing {
            identity,
            ..Signing::default()
        }),
    );
    let (code, out) = text(&ctx, &["inspect", att.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    snapshot!(ctx, "inspect_multibyte_commit", out);
}

#[test]
fn certificate_fields_and_file_names_reach_the_terminal_escaped() {
    let ctx = TestContext::new();
    let mut identity = Identity::github("example/project", "release.yml", "refs/tags/v1.0.0")
        .with_deployment_environment(HOSTILE);
    identity.source_repository_ref = Some(format!("refs/tags/{HOSTILE}"));
    let name = format!("example-1.0.0-{HOSTILE}.whl");
    let signing = Signing {
        identity,
        statement: pki::statement(
            &name,
            &pki::sha256_hex(CONTENTS),
            pki::PUBLISH_PREDICATE_V1,
            Value::Null,
        ),
        ..Signing::default()
    };
    let wheel = ctx.write(&name, CONTENTS);
    let att = ctx.write("att.json", ctx.pki().pep740_attestation(&signing));

    let (_, out) = text(&ctx, &["inspect", att.to_str().unwrap()]);
    assert!(has_no_terminal_controls(&out), "{out:?}");
    // Every hostile field shows as HOSTILE_SHOWN.
    assert!(
        !out.contains(HOSTILE) && out.contains(HOSTILE_SHOWN),
        "{out:?}"
    );
    snapshot!(ctx, "inspect_hostile", out);

    let root = ctx.trusted_root().to_str().unwrap();
    let args = [
        "verify",
        wheel.to_str().unwrap(),
        "--attestation",
        att.to_str().unwrap(),
        "--trusted-root",
        root,
    ];
    let (_, out) = text(&ctx, &args);
    assert!(has_no_terminal_controls(&out), "{out:?}");
    snapshot!(ctx, "verify_hostile", out);
    // With an explicit expectation: the other text path.
    let mut explicit = args.to_vec();
    explicit.extend(["--publisher", "github:example/project"]);
    let (_, out) = text(&ctx, &explicit);
    assert!(has_no_terminal_controls(&out), "{out:?}");
    snapshot!(ctx, "verify_hostile_explicit", out);

    // JSON keeps the exact text.
    let (_, json) = verify_att(&ctx, &wheel, &att, &[]);
    assert_eq!(json["files"][0]["identity"]["environment"], HOSTILE);
    assert_eq!(json["files"][0]["file"], wheel.display().to_string());
}
