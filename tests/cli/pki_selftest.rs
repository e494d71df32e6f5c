//! Proves the test PKI in `tests/support/pki.rs` produces material that
//! `sigstore-verify` accepts, and that each negative knob is rejected by it
//! (or, for checks that are pyprov's job, that the JSON has the property).

use crate::support::pki::*;
use serde_json::{json, Value};
use sigstore_verify::crypto::FulcioCiClaims;
use sigstore_verify::trust_root::TrustedRoot;
use sigstore_verify::types::{Bundle, Sha256Hash};
use sigstore_verify::{SubjectAltName, VerificationPolicy, VerificationResult, Verifier};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Map a PEP 740 attestation to a Sigstore bundle v0.3, exactly as
/// docs/sigstore-verify.md §7 prescribes (the mapping pyprov performs).
fn attestation_to_bundle(attestation: &str) -> String {
    let att: Value = serde_json::from_str(attestation).expect("attestation JSON");
    let material = &att["verification_material"];
    json!({
        "mediaType": BUNDLE_V03_MEDIA_TYPE,
        "verificationMaterial": {
            "certificate": { "rawBytes": material["certificate"] },
            "tlogEntries": material["transparency_entries"],
        },
        "dsseEnvelope": {
            "payload": att["envelope"]["statement"],
            "payloadType": INTOTO_PAYLOAD_TYPE,
            "signatures": [{ "sig": att["envelope"]["signature"] }],
        },
    })
    .to_string()
}

/// The first subject's sha256 from the attestation's statement.
fn subject_digest(attestation: &str) -> Sha256Hash {
    let stmt = decoded_statement(attestation);
    let hex = stmt["subject"][0]["digest"]["sha256"]
        .as_str()
        .expect("subject digest");
    Sha256Hash::from_hex(hex).expect("hex digest")
}

fn decoded_statement(attestation: &str) -> Value {
    let att: Value = serde_json::from_str(attestation).expect("attestation JSON");
    let bytes = B64
        .decode(att["envelope"]["statement"].as_str().expect("statement"))
        .expect("statement base64");
    serde_json::from_slice(&bytes).expect("statement JSON")
}

fn verifier(pki: &TestPki) -> Verifier {
    let root = TrustedRoot::from_json(&pki.trusted_root_json()).expect("parse trusted root");
    Verifier::new(&root).expect("build verifier")
}

/// Verify a PEP 740 attestation through the bundle mapping.
fn verify_attestation(
    verifier: &Verifier,
    attestation: &str,
) -> sigstore_verify::Result<VerificationResult> {
    let bundle = Bundle::from_json(&attestation_to_bundle(attestation)).expect("bundle parses");
    verifier.verify(
        subject_digest(attestation),
        &bundle,
        &VerificationPolicy::any_identity(),
    )
}

fn assert_fully_verified(result: &VerificationResult) {
    assert!(result.certificate_verified(), "certificate not verified");
    assert!(result.sct_verified(), "SCT not verified");
    assert!(result.tlog_verified(), "tlog not verified");
}

/// Every CI claim read back equals what the identity asked for.
fn assert_claims(identity: &Identity, claims: &FulcioCiClaims) {
    let pairs = [
        (
            "build_signer_uri",
            &identity.build_signer_uri,
            &claims.build_signer_uri,
        ),
        (
            "build_signer_digest",
            &identity.build_signer_digest,
            &claims.build_signer_digest,
        ),
        (
            "runner_environment",
            &identity.runner_environment,
            &claims.runner_environment,
        ),
        (
            "source_repository_uri",
            &identity.source_repository_uri,
            &claims.source_repository_uri,
        ),
        (
            "source_repository_digest",
            &identity.source_repository_digest,
            &claims.source_repository_digest,
        ),
        (
            "source_repository_ref",
            &identity.source_repository_ref,
            &claims.source_repository_ref,
        ),
        (
            "source_repository_identifier",
            &identity.source_repository_identifier,
            &claims.source_repository_identifier,
        ),
        (
            "source_repository_owner_uri",
            &identity.source_repository_owner_uri,
            &claims.source_repository_owner_uri,
        ),
        (
            "source_repository_owner_identifier",
            &identity.source_repository_owner_identifier,
            &claims.source_repository_owner_identifier,
        ),
        (
            "build_config_uri",
            &identity.build_config_uri,
            &claims.build_config_uri,
        ),
        (
            "build_config_digest",
            &identity.build_config_digest,
            &claims.build_config_digest,
        ),
        (
            "build_trigger",
            &identity.build_trigger,
            &claims.build_trigger,
        ),
        (
            "run_invocation_uri",
            &identity.run_invocation_uri,
            &claims.run_invocation_uri,
        ),
        (
            "source_repository_visibility_at_signing",
            &identity.source_repository_visibility_at_signing,
            &claims.source_repository_visibility_at_signing,
        ),
        (
            "deployment_environment",
            &identity.deployment_environment,
            &claims.deployment_environment,
        ),
    ];
    for (name, expected, actual) in pairs {
        assert_eq!(expected, actual, "claim {name}");
    }
}

fn assert_identity(identity: &Identity, result: &VerificationResult) {
    let expected_san = match &identity.san {
        San::Uri(uri) => SubjectAltName::Uri(uri.clone()),
        San::Email(email) => SubjectAltName::Email(email.clone()),
    };
    assert_eq!(result.identity(), Some(&expected_san));
    assert_eq!(result.issuer(), identity.issuer_v2.as_deref());
    let cert = result.certificate().expect("certificate info");
    assert_claims(identity, &cert.ci_claims);
}

/// Sign with `opts`, verify, and expect failure; returns the error text.
fn expect_rejected(pki: &TestPki, opts: &Signing) -> String {
    let attestation = pki.pep740_attestation(opts);
    match verify_attestation(&verifier(pki), &attestation) {
        Ok(_) => panic!("sigstore-verify accepted a negative case: {opts:?}"),
        Err(e) => {
            // Shown with --nocapture: what each knob trips in sigstore-verify.
            eprintln!("rejected as expected: {e}");
            e.to_string()
        }
    }
}

/// Verify an edited attestation value and expect failure.
fn expect_err(pki: &TestPki, attestation: &Value) -> String {
    match verify_attestation(&verifier(pki), &attestation.to_string()) {
        Ok(_) => panic!("sigstore-verify accepted an edited attestation"),
        Err(e) => {
            eprintln!("rejected as expected: {e}");
            e.to_string()
        }
    }
}

// ---------------------------------------------------------------------------
// Positive cases
// ---------------------------------------------------------------------------

#[test]
fn github_attestation_verifies_and_claims_round_trip() {
    let pki = TestPki::new();
    let identity = Identity::github("octo-org/octo-pkg", "release.yml", "refs/tags/v1.0");
    let opts = Signing::new(
        identity.clone(),
        statement(
            "octo_pkg-1.0-py3-none-any.whl",
            &sha256_hex(b"wheel bytes"),
            PUBLISH_PREDICATE_V1,
            Value::Null,
        ),
    );
    let attestation = pki.pep740_attestation(&opts);

    let result = verify_attestation(&verifier(&pki), &attestation).expect("verifies");
    assert_fully_verified(&result);
    assert_identity(&identity, &result);
    assert_eq!(
        result.integrated_time().map(|t| t.as_second()),
        Some((BASE_TIME + INTEGRATION_DELAY_SECS) as i64)
    );

    // The attestation has PEP 740's shape.
    let att: Value = serde_json::from_str(&attestation).unwrap();
    assert_eq!(att["version"], 1);
    let entries = att["verification_material"]["transparency_entries"]
        .as_array()
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0]["kindVersion"],
        json!({"kind": "dsse", "version": "0.0.1"})
    );
    let stmt = decoded_statement(&attestation);
    assert_eq!(stmt["subject"][0]["name"], "octo_pkg-1.0-py3-none-any.whl");
    assert_eq!(stmt["predicateType"], PUBLISH_PREDICATE_V1);
}

#[test]
fn direct_bundle_v03_verifies() {
    let pki = TestPki::new();
    let signed = pki.sign(&Signing::default());
    let bundle = Bundle::from_json(&signed.sigstore_bundle_v03()).expect("bundle parses");
    let digest = Sha256Hash::from_hex(&sha256_hex(b"example wheel contents")).unwrap();
    let result = verifier(&pki)
        .verify(digest, &bundle, &VerificationPolicy::any_identity())
        .expect("verifies");
    assert_fully_verified(&result);
}

#[test]
fn hashedrekord_message_signature_verifies() {
    let pki = TestPki::new();
    let artifact = b"some sdist bytes";
    let blob = pki.sign_blob(artifact, &Signing::default());
    let bundle = Bundle::from_json(&blob.sigstore_bundle_v03()).expect("bundle parses");
    let result = verifier(&pki)
        .verify(&artifact[..], &bundle, &VerificationPolicy::any_identity())
        .expect("verifies");
    assert_fully_verified(&result);
}

#[test]
fn root_only_ca_verifies() {
    let pki = TestPki::root_only();
    let result = verify_attestation(
        &verifier(&pki),
        &pki.pep740_attestation(&Signing::default()),
    )
    .expect("verifies");
    assert_fully_verified(&result);
}

#[test]
fn gitlab_and_google_presets_verify() {
    let pki = TestPki::new();
    for identity in [
        Identity::gitlab("group/sub/project", ".gitlab-ci.yml", "refs/heads/main"),
        Identity::google("publisher@project.iam.gserviceaccount.com"),
    ] {
        let opts = Signing {
            identity: identity.clone(),
            ..Signing::default()
        };
        let result =
            verify_attestation(&verifier(&pki), &pki.pep740_attestation(&opts)).expect("verifies");
        assert_fully_verified(&result);
        assert_identity(&identity, &result);
    }
    let gitlab = Identity::gitlab("group/sub/project", ".gitlab-ci.yml", "refs/heads/main");
    assert_eq!(
        gitlab.build_config_uri.as_deref(),
        Some("https://gitlab.com/group/sub/project//.gitlab-ci.yml@refs/heads/main")
    );
    assert!(Identity::google("a@b.c").build_config_uri.is_none());
}

#[test]
fn identity_knobs_round_trip() {
    let pki = TestPki::new();
    // Reusable workflow: SAN/.9 is the called workflow, .18 the caller.
    let identity = Identity::github("octo-org/octo-pkg", "release.yml", "refs/tags/v2")
        .with_build_signer_uri(
            "https://github.com/octo-org/shared/.github/workflows/publish.yml@refs/heads/main",
        )
        .with_deployment_environment("pypi")
        .without_source_ref();
    assert_eq!(
        identity.build_config_uri.as_deref(),
        Some("https://github.com/octo-org/octo-pkg/.github/workflows/release.yml@refs/tags/v2")
    );
    let opts = Signing {
        identity: identity.clone(),
        ..Signing::default()
    };
    let result =
        verify_attestation(&verifier(&pki), &pki.pep740_attestation(&opts)).expect("verifies");
    assert_identity(&identity, &result);
    let claims = &result.certificate().unwrap().ci_claims;
    assert_eq!(claims.deployment_environment.as_deref(), Some("pypi"));
    assert!(claims.source_repository_ref.is_none());
    assert!(claims.source_repository_digest.is_some());
}

#[test]
fn provenance_and_publisher_shapes() {
    let pki = TestPki::new();
    let att = pki.pep740_attestation(&Signing::default());
    let prov: Value = serde_json::from_str(&provenance(&[(
        github_publisher("example/project", "release.yml", None),
        vec![att.clone()],
    )]))
    .unwrap();
    assert_eq!(prov["version"], 1);
    let bundle = &prov["attestation_bundles"][0];
    assert_eq!(bundle["publisher"]["kind"], "GitHub");
    assert_eq!(bundle["publisher"]["environment"], Value::Null);
    assert_eq!(
        bundle["attestations"][0],
        serde_json::from_str::<Value>(&att).unwrap()
    );
    assert_eq!(
        gitlab_publisher("a/b", ".gitlab-ci.yml", Some("prod"))["environment"],
        "prod"
    );
    assert_eq!(google_publisher("x@y.z")["kind"], "Google");
}

// ---------------------------------------------------------------------------
// Negative knobs rejected by sigstore-verify
// ---------------------------------------------------------------------------

#[test]
fn expired_at_log_time_is_rejected() {
    let pki = TestPki::new();
    let err = expect_rejected(
        &pki,
        &Signing {
            integrated_time: Some(BASE_TIME + CERT_LIFETIME_SECS + 3600),
            ..Signing::default()
        },
    );
    insta::assert_snapshot!("expired_at_log_time", err);
}

#[test]
fn wrong_extended_key_usage_is_rejected() {
    let pki = TestPki::new();
    for usage in [LeafUsage::ServerAuthEku, LeafUsage::NoEku] {
        let err = expect_rejected(
            &pki,
            &Signing {
                usage,
                ..Signing::default()
            },
        );
        insta::assert_snapshot!(format!("wrong_extended_key_usage_{usage:?}"), err);
    }
}

#[test]
fn missing_sct_is_rejected() {
    let pki = TestPki::new();
    let err = expect_rejected(
        &pki,
        &Signing {
            sct: SctMode::Omit,
            ..Signing::default()
        },
    );
    insta::assert_snapshot!("missing_sct", err);
}

#[test]
fn sct_from_unknown_ct_log_is_rejected() {
    let pki = TestPki::new();
    let err = expect_rejected(
        &pki,
        &Signing {
            sct: SctMode::UnknownLog,
            ..Signing::default()
        },
    );
    // The unknown log's key is made fresh for each run.
    insta::with_settings!({filters => vec![(r"[0-9a-f]{64}", "[KEY_ID]")]}, {
        insta::assert_snapshot!("sct_from_unknown_ct_log", err);
    });
}

#[test]
fn unknown_rekor_key_is_rejected() {
    let pki = TestPki::new();
    let err = expect_rejected(
        &pki,
        &Signing {
            rekor_key: RekorKey::Unknown,
            ..Signing::default()
        },
    );
    // The unknown log's key is made fresh for each run.
    insta::with_settings!({filters => vec![(r"log ID [A-Za-z0-9+/=]+", "log ID [LOG_ID]")]}, {
        insta::assert_snapshot!("unknown_rekor_key", err);
    });
}

#[test]
fn missing_set_is_rejected() {
    let pki = TestPki::new();
    let opts = Signing {
        include_set: false,
        ..Signing::default()
    };
    let att: Value = serde_json::from_str(&pki.pep740_attestation(&opts)).unwrap();
    assert!(att["verification_material"]["transparency_entries"][0]
        .get("inclusionPromise")
        .is_none());
    let err = expect_rejected(&pki, &opts);
    insta::assert_snapshot!("missing_set", err);
}

#[test]
fn missing_inclusion_proof_is_rejected() {
    let pki = TestPki::new();
    let opts = Signing {
        include_inclusion_proof: false,
        ..Signing::default()
    };
    let att: Value = serde_json::from_str(&pki.pep740_attestation(&opts)).unwrap();
    assert!(att["verification_material"]["transparency_entries"][0]
        .get("inclusionProof")
        .is_none());
    let err = expect_rejected(&pki, &opts);
    insta::assert_snapshot!("missing_inclusion_proof", err);
}

#[test]
fn another_pkis_trust_root_rejects() {
    let signer = TestPki::new();
    let other = TestPki::new();
    let attestation = signer.pep740_attestation(&Signing::default());
    assert!(verify_attestation(&verifier(&other), &attestation).is_err());
}

#[test]
fn tampered_statement_is_rejected() {
    let pki = TestPki::new();
    let mut att: Value =
        serde_json::from_str(&pki.pep740_attestation(&Signing::default())).unwrap();
    let other = statement(
        "x-1.0.tar.gz",
        &sha256_hex(b"x"),
        PUBLISH_PREDICATE_V1,
        Value::Null,
    );
    att["envelope"]["statement"] = B64.encode(other).into();
    expect_err(&pki, &att);
}

/// The generated SET, Merkle path and checkpoint are really checked, not just
/// present: corrupting any one of them makes verification fail.
#[test]
fn tampered_log_material_is_rejected() {
    let pki = TestPki::new();
    let good: Value = serde_json::from_str(&pki.pep740_attestation(&Signing::default())).unwrap();
    let entry = "/verification_material/transparency_entries/0";
    let flip = |v: &Value| {
        let mut bytes = B64.decode(v.as_str().unwrap()).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 1;
        Value::from(B64.encode(bytes))
    };
    for path in [
        format!("{entry}/inclusionPromise/signedEntryTimestamp"),
        format!("{entry}/inclusionProof/hashes/0"),
        format!("{entry}/inclusionProof/rootHash"),
    ] {
        let mut att = good.clone();
        let target = att.pointer_mut(&path).expect("field exists");
        *target = flip(target);
        expect_err(&pki, &att);
    }

    // integratedTime moved within the certificate window: only the SET
    // notices.
    let mut att = good.clone();
    att.pointer_mut(&format!("{entry}/integratedTime"))
        .unwrap()
        .clone_from(&Value::from(
            (BASE_TIME + INTEGRATION_DELAY_SECS + 30).to_string(),
        ));
    expect_err(&pki, &att);

    // Checkpoint signature corrupted (the last base64 line of the note).
    let mut att = good;
    let envelope = att
        .pointer_mut(&format!("{entry}/inclusionProof/checkpoint/envelope"))
        .unwrap();
    let text = envelope.as_str().unwrap().to_string();
    let (head, sig_line) = text.trim_end().rsplit_once(' ').unwrap();
    let mut sig = B64.decode(sig_line).unwrap();
    let last = sig.len() - 1;
    sig[last] ^= 1;
    *envelope = format!("{head} {}\n", B64.encode(sig)).into();
    expect_err(&pki, &att);
}

/// sigstore-verify (via webpki) does not check the leaf's KeyUsage, so a leaf
/// without digitalSignature is accepted: rejecting it is pyprov's job if it
/// wants to. This pins the knob's effect and the verifier's behaviour.
#[test]
fn no_digital_signature_key_usage_is_pyprov_level() {
    let pki = TestPki::new();
    let opts = Signing {
        usage: LeafUsage::NoDigitalSignature,
        ..Signing::default()
    };
    let signed = pki.sign(&opts);
    use x509_cert::der::Decode;
    use x509_cert::ext::pkix::KeyUsage;
    let cert = x509_cert::Certificate::from_der(&signed.certificate_der).unwrap();
    let (critical, ku): (bool, KeyUsage) = cert.tbs_certificate.get().unwrap().unwrap();
    assert!(critical);
    assert!(!ku.digital_signature());
    assert!(ku.key_encipherment());

    let result = verify_attestation(&verifier(&pki), &signed.pep740_attestation());
    assert!(
        result.is_ok(),
        "sigstore-verify started rejecting KU without digitalSignature: {:?}",
        result.err()
    );
}

// ---------------------------------------------------------------------------
// pyprov-level negatives: only the JSON property is asserted here
// ---------------------------------------------------------------------------

#[test]
fn two_transparency_entries() {
    let pki = TestPki::new();
    let att = pki.pep740_attestation(&Signing {
        tlog_entries: 2,
        ..Signing::default()
    });
    let v: Value = serde_json::from_str(&att).unwrap();
    let entries = v["verification_material"]["transparency_entries"]
        .as_array()
        .unwrap();
    assert_eq!(entries.len(), 2);
    assert_ne!(entries[0]["logIndex"], entries[1]["logIndex"]);
    // Each entry is individually valid, so sigstore-verify accepts the pair:
    // "exactly one entry" must be enforced by pyprov.
    assert_fully_verified(&verify_attestation(&verifier(&pki), &att).expect("verifies"));
}

#[test]
fn statement_subject_counts_and_predicate() {
    let pki = TestPki::new();
    let digest = sha256_hex(b"a");
    let two = statement_with_subjects(
        &[
            ("a-1.0.tar.gz", &digest),
            ("b-1.0.tar.gz", &sha256_hex(b"b")),
        ],
        PUBLISH_PREDICATE_V1,
        Value::Null,
    );
    let zero = statement_with_subjects(&[], PUBLISH_PREDICATE_V1, Value::Null);
    let unknown = statement(
        "a-1.0.tar.gz",
        &digest,
        "https://example.com/unknown/v1",
        json!({}),
    );

    for (stmt, subjects, predicate) in [
        (two, 2, PUBLISH_PREDICATE_V1),
        (zero, 0, PUBLISH_PREDICATE_V1),
        (unknown, 1, "https://example.com/unknown/v1"),
    ] {
        let att = pki.pep740_attestation(&Signing {
            statement: stmt,
            ..Signing::default()
        });
        let s = decoded_statement(&att);
        assert_eq!(s["_type"], STATEMENT_TYPE_V1);
        assert_eq!(s["subject"].as_array().unwrap().len(), subjects);
        assert_eq!(s["predicateType"], predicate);
    }
}

#[test]
fn attestation_version_knob() {
    let pki = TestPki::new();
    let att = pki.pep740_attestation(&Signing {
        attestation_version: 2,
        ..Signing::default()
    });
    let v: Value = serde_json::from_str(&att).unwrap();
    assert_eq!(v["version"], 2);
}

#[test]
fn github_without_digest_or_ref() {
    let pki = TestPki::new();
    let identity = Identity::github("example/project", "release.yml", "refs/tags/v1.0.0")
        .without_source_digest()
        .without_source_ref();
    let opts = Signing {
        identity: identity.clone(),
        ..Signing::default()
    };
    // Cryptographically fine; the missing .13/.14 is a Trusted Publisher
    // (pyprov) rejection.
    let result =
        verify_attestation(&verifier(&pki), &pki.pep740_attestation(&opts)).expect("verifies");
    let claims = &result.certificate().unwrap().ci_claims;
    assert!(claims.source_repository_digest.is_none());
    assert!(claims.source_repository_ref.is_none());
    assert_identity(&identity, &result);
}

#[test]
fn trusted_root_shape() {
    let pki = TestPki::new();
    let root: Value = serde_json::from_str(&pki.trusted_root_json()).unwrap();
    assert_eq!(root["mediaType"], TRUSTED_ROOT_MEDIA_TYPE);
    assert_eq!(root["timestampAuthorities"], json!([]));
    assert_eq!(
        root["certificateAuthorities"][0]["certChain"]["certificates"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        root["tlogs"][0]["publicKey"]["keyDetails"],
        "PKIX_ECDSA_P256_SHA_256"
    );
    assert_eq!(
        root["tlogs"][0]["publicKey"]["rawBytes"],
        B64.encode(pki.rekor_public_key_der())
    );
}
