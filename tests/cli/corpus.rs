//! Every offline-verifiable case of the real corpus in `../shared/corpus`, through the CLI: the
//! expected verdict, and on a pass the certificate's issuer and SAN.

use std::path::{Path, PathBuf};

use crate::support::context::TestContext;
use serde_json::Value;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
}

/// Cases the CLI cannot run, each with the reason. The test fails if this list goes stale.
const NOT_RUNNABLE: [(&str, &str); 0] = [];

/// Cases whose format pyprov does not verify yet (issue 13: SLSA and cosign sources). Each must
/// still fail, with `unsupported-format` or `malformed`, until that work lands; then this list
/// must shrink (a case here that passes is an error too).
const AWAITING_FORMAT: [(&str, &str); 3] = [
    (
        "slsa-v1.2.0-intoto-rekor-entry-workflow-inputs",
        "bare DSSE envelope: needs an online Rekor intoto entry",
    ),
    ("cosign-legacy-bundle-something", "cosign's legacy .bundle"),
    (
        "cosign-blob-offline-rekor.txt-rekor-bundle",
        "cosign's .sig + .crt with a Rekor bundle",
    ),
];

struct Case {
    id: String,
    args: Vec<String>,
    expected: String,
    issuer: Option<String>,
    san: Option<String>,
}

fn case(c: &Value) -> Option<Case> {
    let s = |k: &str| c[k].as_str().map(str::to_string);
    if c["offline_verifiable"] != Value::Bool(true) || c["dist_included"] != Value::Bool(true) {
        return None;
    }
    let root = corpus();
    let p = |rel: &str| root.join(rel).display().to_string();
    let mut args = vec!["verify".to_string(), p(&s("dist")?)];
    let provenance_flag = match s("kind")?.as_str() {
        "pep740-attestation" => "--attestation",
        "pep740-provenance" => "--provenance",
        _ => "--bundle",
    };
    args.extend([provenance_flag.to_string(), p(&s("provenance")?)]);
    match s("trust_root")?.as_str() {
        "production" => {}
        "staging" => args.extend([
            "--trusted-root".into(),
            p("files/trust/sigstore-python-4.5.1/staging/trusted_root.json"),
        ]),
        path => args.extend(["--trusted-root".into(), p(path)]),
    }
    let policy = &c["policy"];
    if let Some(publisher) = policy.get("publisher") {
        let f = |k: &str| publisher[k].as_str().unwrap_or_default().to_string();
        let spec = match f("kind").as_str() {
            "GitHub" => format!("github:{}/{}", f("repository"), f("workflow")),
            "GitLab" => format!("gitlab:{}//{}", f("repository"), f("workflow_filepath")),
            "Google" => format!("google:{}", f("email")),
            other => panic!("unknown publisher kind {other}"),
        };
        args.extend(["--publisher".into(), spec]);
        if let Some(env) = publisher["environment"].as_str().filter(|e| !e.is_empty()) {
            args.extend(["--environment".into(), env.into()]);
        }
    } else if let Some(repo) = policy["repository"].as_str() {
        let repo = repo
            .strip_prefix("https://github.com/")
            .expect("GitHub URL");
        args.extend(["--publisher".into(), format!("github:{repo}")]);
    } else if let Some(identity) = policy["identity"].as_str() {
        args.extend([
            "--identity".into(),
            identity.into(),
            "--issuer".into(),
            policy["issuer"].as_str()?.into(),
        ]);
    } else if let Some(key) = policy["public_key"].as_str() {
        if !root.join(key).exists() {
            return None;
        }
        args.extend(["--key".into(), p(key)]);
    }
    args.extend(["--format".into(), "json".into()]);
    let expected_identity = &c["expected_identity"];
    Some(Case {
        id: s("id")?,
        args,
        expected: s("expected_verdict")?,
        issuer: expected_identity["issuer"].as_str().map(str::to_string),
        san: expected_identity["san"].as_str().map(str::to_string),
    })
}

#[test]
fn every_offline_case_gets_its_expected_verdict() {
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(corpus().join("manifest.json")).expect("../shared/corpus/manifest.json"),
    )
    .expect("manifest is JSON");
    let ctx = TestContext::new();
    let mut problems = Vec::new();
    let mut ran = 0;
    let mut skipped = Vec::new();
    for c in manifest.as_array().expect("manifest is a list") {
        let offline =
            c["offline_verifiable"] == Value::Bool(true) && c["dist_included"] == Value::Bool(true);
        let Some(case) = case(c) else {
            if offline {
                skipped.push(c["id"].as_str().unwrap_or_default().to_string());
            }
            continue;
        };
        ran += 1;
        let out = ctx.pyprov().args(&case.args).output().unwrap();
        let code = out.status.code();
        let json: Value = match serde_json::from_slice(&out.stdout) {
            Ok(v) => v,
            Err(_) => {
                problems.push(format!(
                    "{}: exit {code:?}, no JSON: {}",
                    case.id,
                    String::from_utf8_lossy(&out.stderr)
                ));
                continue;
            }
        };
        let file = &json["files"][0];
        let verdict = file["verdict"].as_str().unwrap_or_default();
        if AWAITING_FORMAT.iter().any(|(id, _)| *id == case.id) {
            let reason = file["reason"]["code"].as_str().unwrap_or_default();
            if verdict != "fail" || !matches!(reason, "unsupported-format" | "malformed") {
                problems.push(format!(
                    "{}: listed as awaiting its format, but got {verdict} ({reason}): update AWAITING_FORMAT",
                    case.id
                ));
            }
            continue;
        }
        let want_code = if case.expected == "pass" { 0 } else { 1 };
        if verdict != case.expected || code != Some(want_code) {
            problems.push(format!(
                "{}: expected {} got {verdict} (exit {code:?}): {}",
                case.id, case.expected, file["reason"]
            ));
            continue;
        }
        if verdict == "pass" {
            for (field, want) in [("issuer", &case.issuer), ("san", &case.san)] {
                if let Some(want) = want {
                    if file["identity"][field].as_str() != Some(want.as_str()) {
                        problems.push(format!(
                            "{}: identity {field} is {}, expected {want}",
                            case.id, file["identity"][field]
                        ));
                    }
                }
            }
        } else if file["reason"]["code"]
            .as_str()
            .unwrap_or_default()
            .is_empty()
        {
            problems.push(format!("{}: a failure without a reason code", case.id));
        }
    }
    let expected_skips: Vec<String> = NOT_RUNNABLE.iter().map(|(id, _)| id.to_string()).collect();
    assert_eq!(
        skipped, expected_skips,
        "the list of unrunnable cases is stale"
    );
    assert!(ran >= 70, "only {ran} corpus cases ran");
    assert!(
        problems.is_empty(),
        "{} of {ran} cases wrong:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
