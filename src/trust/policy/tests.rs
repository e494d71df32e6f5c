//! The decision table, case by case, on hand-made verification outcomes. The same table runs
//! through the CLI on real and signed files in tests/cli/trust.rs.

use std::path::PathBuf;

use super::*;
use crate::verify::identity::{GITHUB_ISSUER, GITLAB_ISSUER};
use crate::verify::{EnvironmentCheck, Identity, TlogInfo};
use crate::vocab::PackageName;

#[allow(clippy::field_reassign_with_default)] // Identity has a private field: no struct literal.
fn github(repo: &str, workflow: &str, git_ref: &str, env: Option<&str>) -> Verified {
    let uri = format!("https://github.com/{repo}/.github/workflows/{workflow}@{git_ref}");
    let mut id = Identity::default();
    id.issuer = Some(GITHUB_ISSUER.into());
    id.san = Some(uri.clone());
    id.repository = Some(format!("https://github.com/{repo}"));
    id.git_ref = Some(git_ref.into());
    id.commit = Some("0123456789abcdef".into());
    id.build_config_uri = Some(uri);
    id.workflow = Some(format!(".github/workflows/{workflow}"));
    id.environment = env.map(str::to_string);
    verified(id)
}

#[allow(clippy::field_reassign_with_default)]
fn gitlab(repo: &str, path: &str, git_ref: &str) -> Verified {
    let uri = format!("https://gitlab.com/{repo}//{path}@{git_ref}");
    let mut id = Identity::default();
    id.issuer = Some(GITLAB_ISSUER.into());
    id.san = Some(uri.clone());
    id.repository = Some(format!("https://gitlab.com/{repo}"));
    id.git_ref = Some(git_ref.into());
    id.commit = Some("0123456789abcdef".into());
    id.build_config_uri = Some(uri);
    id.workflow = Some(path.into());
    verified(id)
}

/// A signer that is no Trusted Publisher kind (a person's email from another issuer).
#[allow(clippy::field_reassign_with_default)]
fn someone() -> Verified {
    let mut id = Identity::default();
    id.issuer = Some("https://issuer.example".into());
    id.san = Some("someone@example.com".into());
    verified(id)
}

fn verified(identity: Identity) -> Verified {
    Verified {
        publisher: identity.publisher(),
        identity,
        predicate_types: Vec::new(),
        transparency_log: TlogInfo {
            log_index: Some(1),
            integrated_time: None,
        },
        environment: EnvironmentCheck::NotRequested,
        attestations: 1,
    }
}

fn entry(name: &str, publishers: &[&str]) -> PackageEntry {
    PackageEntry {
        name: PackageName::normalize(name),
        key: name.into(),
        publishers: publishers.iter().map(|p| p.parse().unwrap()).collect(),
        environment: None,
        require_environment_proof: None,
        unattested: None,
        cooldown: None,
        pinned: None,
        line: 7,
    }
}

fn file_policy(unattested: Unattested, tofu: bool, locked: bool) -> Policy {
    Policy {
        unattested,
        tofu,
        require_environment_proof: false,
        locked,
        source: Some(PathBuf::from("pyprov.toml")),
        provenance_index: None,
        cooldown: None,
    }
}

fn code_and_verdict(d: &Decision) -> (Code, Verdict) {
    (d.code, d.verdict)
}

#[test]
fn verified_against_an_expected_publisher_is_allowed() {
    let e = entry("requests", &["github:psf/requests"]);
    let v = github("psf/requests", "release.yml", "refs/tags/v2.32.0", None);
    let d = decide(
        "requests",
        Some(&e),
        &file_policy(Unattested::Deny, false, true),
        &Observed::Verified(v),
    );
    assert_eq!(code_and_verdict(&d), (Code::Allowed, Verdict::Allow));
    assert!(d.message.contains("pyprov.toml:7"), "{}", d.message);
    assert!(d.pin.is_none());

    // Any of several publishers (a package that moved).
    let e = entry("moved", &["github:old/moved", "gitlab:new/moved"]);
    let d = decide(
        "moved",
        Some(&e),
        &file_policy(Unattested::Deny, false, false),
        &Observed::Verified(gitlab("new/moved", ".gitlab-ci.yml", "refs/heads/main")),
    );
    assert_eq!(d.code, Code::Allowed);
}

#[test]
fn another_publisher_is_denied_with_who_signed() {
    let e = entry("requests", &["github:psf/requests"]);
    let actual = github("evil/requests", "release.yml", "refs/tags/v2.99", None);
    let failure = Failure::new(Reason::IdentityMismatch, "expected ...");
    let d = decide(
        "requests",
        Some(&e),
        &file_policy(Unattested::Allow, true, false),
        &Observed::IdentityMismatch {
            failure,
            actual: actual.clone(),
        },
    );
    assert_eq!(
        code_and_verdict(&d),
        (Code::PublisherChanged, Verdict::Deny)
    );
    assert_eq!(
        d.message,
        "expected github:psf/requests, signed by github:evil/requests, workflow release.yml at refs/tags/v2.99"
    );
    assert!(d
        .fix
        .contains("`pyprov trust add requests github:evil/requests/release.yml`"));
    assert!(d.fix.contains("pyprov.toml:7"));

    // A caller that verified with the wrong expectation still gets a denial.
    let d = decide(
        "requests",
        Some(&e),
        &file_policy(Unattested::Allow, true, false),
        &Observed::Verified(actual),
    );
    assert_eq!(d.code, Code::PublisherChanged);
}

#[test]
fn another_environment_is_denied() {
    let mut e = entry("pkg", &["github:o/pkg"]);
    e.environment = Some("release".into());
    let actual = github("o/pkg", "release.yml", "refs/tags/v1", Some("staging"));
    let d = decide(
        "pkg",
        Some(&e),
        &file_policy(Unattested::Deny, false, false),
        &Observed::IdentityMismatch {
            failure: Failure::new(Reason::EnvironmentMismatch, "x"),
            actual: actual.clone(),
        },
    );
    assert_eq!(
        code_and_verdict(&d),
        (Code::EnvironmentChanged, Verdict::Deny)
    );
    assert!(d.message.contains("environment staging"), "{}", d.message);
    let d = decide(
        "pkg",
        Some(&e),
        &file_policy(Unattested::Deny, false, false),
        &Observed::Verified(actual),
    );
    assert_eq!(d.code, Code::EnvironmentChanged);
}

#[test]
fn invalid_provenance_is_denied_whatever_the_policy() {
    let failure = Failure::new(Reason::SignatureInvalid, "the signature does not verify");
    let mut allow_all = entry("pkg", &[]);
    allow_all.unattested = Some(Unattested::Allow);
    for (e, policy) in [
        (None, Policy::without_trust_file()),
        (
            Some(&allow_all),
            file_policy(Unattested::Allow, true, false),
        ),
        (
            Some(&entry("pkg", &["github:o/pkg"])),
            file_policy(Unattested::Allow, false, false),
        ),
    ] {
        let d = decide("pkg", e, &policy, &Observed::Invalid(failure.clone()));
        assert_eq!(
            code_and_verdict(&d),
            (Code::ProvenanceInvalid, Verdict::Deny)
        );
        assert_eq!(d.reason, Some(Reason::SignatureInvalid));
        assert!(d.message.contains("[signature-invalid]"), "{}", d.message);
        assert!(d.pin.is_none());
    }
    // A mismatch when nothing was expected is not about a publisher: it is broken provenance
    // (e.g. attestations for one file from two signers).
    let d = decide(
        "pkg",
        None,
        &file_policy(Unattested::Allow, true, false),
        &Observed::IdentityMismatch {
            failure: Failure::new(Reason::IdentityMismatch, "disagree"),
            actual: someone(),
        },
    );
    assert_eq!(d.code, Code::ProvenanceInvalid);
}

#[test]
fn unattested_files_follow_the_package_then_the_policy() {
    let cases = [
        (Unattested::Deny, Code::UnattestedDenied, Verdict::Deny),
        (Unattested::Warn, Code::UnattestedWarned, Verdict::Warn),
        (Unattested::Allow, Code::UnattestedAllowed, Verdict::Allow),
    ];
    for (setting, code, verdict) in cases {
        let d = decide(
            "pkg",
            None,
            &file_policy(setting, true, true),
            &Observed::NoProvenance,
        );
        assert_eq!(code_and_verdict(&d), (code, verdict), "policy {setting:?}");
        let mut e = entry("pkg", &[]);
        e.unattested = Some(setting);
        // The package's setting wins over the policy's, in both directions.
        let other = if setting == Unattested::Deny {
            Unattested::Allow
        } else {
            Unattested::Deny
        };
        let d = decide(
            "pkg",
            Some(&e),
            &file_policy(other, false, false),
            &Observed::NoProvenance,
        );
        assert_eq!(code_and_verdict(&d), (code, verdict), "entry {setting:?}");
        assert!(d.message.contains("pyprov.toml:7"), "{}", d.message);
    }
    let d = decide(
        "pkg",
        None,
        &Policy::without_trust_file(),
        &Observed::NoProvenance,
    );
    assert_eq!(
        code_and_verdict(&d),
        (Code::UnattestedWarned, Verdict::Warn)
    );
    assert!(d.fix.contains("pyprov trust allow-unattested pkg"));
}

#[test]
fn a_pinned_package_without_provenance_is_a_downgrade() {
    let mut e = entry("pkg", &["github:o/pkg"]);
    for (setting, code) in [
        (None, Code::AttestationDowngrade),
        (Some(Unattested::Warn), Code::AttestationDowngrade),
        (Some(Unattested::Deny), Code::AttestationDowngrade),
        (Some(Unattested::Allow), Code::UnattestedAllowed),
    ] {
        e.unattested = setting;
        let d = decide(
            "pkg",
            Some(&e),
            &file_policy(Unattested::Allow, false, false),
            &Observed::NoProvenance,
        );
        assert_eq!(d.code, code, "{setting:?}");
    }
    e.unattested = None;
    let d = decide(
        "pkg",
        Some(&e),
        &file_policy(Unattested::Allow, false, false),
        &Observed::NoProvenance,
    );
    assert_eq!(d.verdict, Verdict::Deny);
    assert!(d.fix.contains("`pyprov trust allow-unattested pkg`"));
}

#[test]
fn first_sight_of_a_package() {
    let v = || github("o/pkg", "release.yml", "refs/tags/v1", Some("pypi"));

    // No trust file: the publisher the index reported is accepted, nothing is pinned.
    let d = decide(
        "pkg",
        None,
        &Policy::without_trust_file(),
        &Observed::Verified(v()),
    );
    assert_eq!(code_and_verdict(&d), (Code::Allowed, Verdict::Allow));
    assert!(d.pin.is_none());
    assert!(d.message.contains("no trust file"), "{}", d.message);
    assert!(d
        .fix
        .contains("pyprov trust add pkg github:o/pkg/release.yml"));

    // Trust on first use: allowed, and the caller is asked to pin what the certificate proved.
    let d = decide(
        "pkg",
        None,
        &file_policy(Unattested::Deny, true, false),
        &Observed::Verified(v()),
    );
    assert_eq!(
        code_and_verdict(&d),
        (Code::PinnedOnFirstUse, Verdict::Allow)
    );
    assert_eq!(
        d.pin,
        Some(Pin {
            publisher: "github:o/pkg/release.yml".parse().unwrap(),
            environment: Some("pypi".into()),
        })
    );

    // An entry that only says `unattested` names no publisher: same as no entry.
    let mut e = entry("pkg", &[]);
    e.unattested = Some(Unattested::Allow);
    let d = decide(
        "pkg",
        Some(&e),
        &file_policy(Unattested::Deny, true, false),
        &Observed::Verified(v()),
    );
    assert_eq!(d.code, Code::PinnedOnFirstUse);

    // Locked: an error instead of a pin, with tofu or without.
    for tofu in [true, false] {
        let d = decide(
            "pkg",
            None,
            &file_policy(Unattested::Allow, tofu, true),
            &Observed::Verified(v()),
        );
        assert_eq!(code_and_verdict(&d), (Code::UnknownPackage, Verdict::Deny));
        assert!(d.pin.is_none());
        assert!(d
            .fix
            .contains("pyprov trust add pkg github:o/pkg/release.yml"));
    }

    // Neither tofu nor locked: a warning that says how to pin.
    let d = decide(
        "pkg",
        None,
        &file_policy(Unattested::Allow, false, false),
        &Observed::Verified(v()),
    );
    assert_eq!(code_and_verdict(&d), (Code::UnknownPackage, Verdict::Warn));
    assert!(d.pin.is_none());

    // A signer pyprov cannot pin is never pinned.
    let d = decide(
        "pkg",
        None,
        &file_policy(Unattested::Allow, true, false),
        &Observed::Verified(someone()),
    );
    assert_eq!(code_and_verdict(&d), (Code::UnknownPackage, Verdict::Warn));
    assert!(d.pin.is_none());
}

#[test]
fn not_a_distribution_is_denied() {
    let d = not_a_distribution("notes.txt", &file_policy(Unattested::Allow, true, false));
    assert_eq!(
        code_and_verdict(&d),
        (Code::NotADistribution, Verdict::Deny)
    );
}

#[test]
fn expectations_come_from_publishers() {
    assert!(matches!(expectation_for(None), Expectation::Anyone));
    assert!(matches!(
        expectation_for(Some(&entry("p", &[]))),
        Expectation::Anyone
    ));
    let mut e = entry("p", &["github:o/p", "google:a@b.c"]);
    e.environment = Some("release".into());
    match expectation_for(Some(&e)) {
        Expectation::Publisher {
            publishers,
            environment,
        } => {
            assert_eq!(publishers.len(), 2);
            assert_eq!(environment.as_deref(), Some("release"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn codes_are_stable_strings() {
    let mut seen = std::collections::HashSet::new();
    for code in Code::ALL {
        let json = serde_json::to_value(code).unwrap();
        assert_eq!(json, code.as_str());
        assert!(seen.insert(code.as_str()));
    }
    for v in [Verdict::Allow, Verdict::Warn, Verdict::Deny] {
        assert_eq!(serde_json::to_value(v).unwrap(), v.as_str());
    }
}

#[test]
fn an_environment_the_certificate_cannot_prove_is_a_warning_or_a_refusal() {
    let mut e = entry("pkg", &["github:o/pkg"]);
    e.environment = Some("pypi".into());
    let no_env = || Observed::Verified(github("o/pkg", "release.yml", "refs/tags/v1", None));
    let lenient = file_policy(Unattested::Deny, false, false);
    let d = decide("pkg", Some(&e), &lenient, &no_env());
    assert_eq!(
        code_and_verdict(&d),
        (Code::EnvironmentUnproven, Verdict::Warn)
    );
    assert_eq!(
        d.message,
        "built by github:o/pkg/release.yml at refs/tags/v1 (0123456789ab), which pyprov.toml:7 allows, but the certificate records no deployment environment, so environment pypi is not proven"
    );
    assert!(
        d.fix.contains("require-environment-proof = true"),
        "{}",
        d.fix
    );

    let strict = Policy {
        require_environment_proof: true,
        ..lenient.clone()
    };
    let d = decide("pkg", Some(&e), &strict, &no_env());
    assert_eq!(
        code_and_verdict(&d),
        (Code::EnvironmentUnproven, Verdict::Deny)
    );
    assert!(
        d.message
            .ends_with("and [policy] in pyprov.toml requires proof"),
        "{}",
        d.message
    );

    // The entry wins over the policy, both ways.
    e.require_environment_proof = Some(false);
    assert_eq!(
        decide("pkg", Some(&e), &strict, &no_env()).verdict,
        Verdict::Warn
    );
    e.require_environment_proof = Some(true);
    let d = decide("pkg", Some(&e), &lenient, &no_env());
    assert_eq!(d.verdict, Verdict::Deny);
    assert!(
        d.message
            .ends_with("and its entry at pyprov.toml:7 requires proof"),
        "{}",
        d.message
    );

    // A proven environment, or none asked for, is plainly allowed.
    let proven = Observed::Verified(github("o/pkg", "release.yml", "refs/tags/v1", Some("pypi")));
    assert_eq!(
        decide("pkg", Some(&e), &strict, &proven).code,
        Code::Allowed
    );
    let plain = entry("pkg", &["github:o/pkg"]);
    assert_eq!(
        decide("pkg", Some(&plain), &strict, &no_env()).code,
        Code::Allowed
    );
}

#[test]
fn a_pin_another_process_wrote_first_is_what_the_file_is_judged_by() {
    let mut pin = entry("pkg", &["github:acme/pkg/release.yml"]);
    pin.pinned = Some("tofu 2025-06-01".into());
    let policy = file_policy(Unattested::Warn, true, false);
    let ours = Observed::Verified(github("mallory/pkg", "release.yml", "refs/tags/v1", None));
    let d = decide_against_pin("pkg", &pin, &policy, &ours);
    assert_eq!(
        code_and_verdict(&d),
        (Code::PublisherChanged, Verdict::Deny)
    );
    assert!(
        d.message
            .starts_with("expected github:acme/pkg/release.yml, signed by github:mallory/pkg"),
        "{}",
        d.message
    );
    assert!(
        d.message.ends_with(
            "(pyprov.toml:7 was pinned by another process while this one verified the file)"
        ),
        "{}",
        d.message
    );
    let same = Observed::Verified(github("acme/pkg", "release.yml", "refs/tags/v1", None));
    let d = decide_against_pin("pkg", &pin, &policy, &same);
    assert_eq!(code_and_verdict(&d), (Code::Allowed, Verdict::Allow));
    assert!(d.pin.is_none());
}

#[test]
fn cooldowns_hold_what_is_too_new_or_of_unknown_age() {
    use super::{cooldown_holds, too_new};
    let t = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
    let cutoff = t("2026-11-29T12:00:00Z");
    let policy = file_policy(Unattested::Warn, false, false);
    let week = crate::trust::Cooldown::parse("7 days").unwrap();
    let held = |uploaded: Option<jiff::Timestamp>| {
        cooldown_holds(
            "pkg-2.0-py3-none-any.whl",
            "pkg",
            uploaded,
            week,
            cutoff,
            &policy,
        )
        .map(|d| (d.code, d.message))
    };
    assert_eq!(held(Some(t("2026-11-29T11:59:59Z"))), None);
    // As pip's --uploaded-prior-to: the cutoff itself is too new.
    assert_eq!(
        held(Some(cutoff)),
        Some((Code::TooNew, "pkg-2.0-py3-none-any.whl was uploaded at 2026-11-29T12:00:00Z, after the cutoff 2026-11-29T12:00:00Z of pkg's cooldown of 7 days".into()))
    );
    assert_eq!(
        held(Some(t("2026-12-01T00:00:00Z"))).map(|h| h.0),
        Some(Code::TooNew)
    );
    assert_eq!(
        held(None),
        Some((Code::NoUploadTime, "pkg-2.0-py3-none-any.whl: its index gives no upload time, so it cannot be shown to be older than pkg's cooldown of 7 days".into()))
    );

    let d = too_new(
        "pkg-2.0-py3-none-any.whl",
        "pkg",
        t("2026-12-01T08:30:00.75Z"),
        week,
        cutoff,
        &file_policy(Unattested::Warn, false, false),
    );
    assert_eq!(code_and_verdict(&d), (Code::TooNew, Verdict::Deny));
    assert_eq!(
        d.message,
        "pkg-2.0-py3-none-any.whl was uploaded at 2026-12-01T08:30:01Z, after the cutoff 2026-11-29T12:00:00Z of pkg's cooldown of 7 days"
    );
    assert_eq!(
        d.fix,
        "wait until 2026-12-08T08:30:01Z and run again, pin an older release of pkg, or exempt it with `cooldown = false` in its entry of pyprov.toml"
    );

    let d = super::no_upload_time(
        "pkg-2.0-py3-none-any.whl",
        "pkg",
        week,
        &file_policy(Unattested::Warn, false, false),
    );
    assert_eq!(code_and_verdict(&d), (Code::NoUploadTime, Verdict::Deny));
    assert_eq!(
        d.message,
        "pkg-2.0-py3-none-any.whl: its index gives no upload time, so it cannot be shown to be older than pkg's cooldown of 7 days"
    );
    assert!(d.fix.contains("`cooldown = false`"), "{}", d.fix);
}
