//! What users read: one line per file in text, one JSON object with `--format json`.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::trust::policy::{Decision, Verdict};
use crate::trust::Policy;
use crate::verify::{EnvironmentCheck, Expectation, Failure, Identity, Reason, TlogInfo, Verified};

/// The verdict for one file, as printed in JSON (`{"files": [...]}`).
#[derive(Debug, Serialize)]
pub struct FileReport {
    pub file: String,
    pub sha256: String,
    pub verdict: &'static str,
    pub identity: Option<Identity>,
    pub publisher: Option<String>,
    pub predicate_types: Vec<String>,
    pub transparency_log: Option<TlogInfo>,
    pub environment: Option<EnvironmentCheck>,
    pub provenance: Vec<String>,
    pub reason: Option<Failure>,
    /// The trust policy's decision; absent when an explicit --publisher, --identity or --key
    /// replaced the policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
}

impl FileReport {
    pub fn new(
        file: &Path,
        sha256: &[u8; 32],
        sources: &[PathBuf],
        outcome: Result<Verified, Failure>,
    ) -> Self {
        let mut r = FileReport {
            file: file.display().to_string(),
            sha256: hex::encode(sha256),
            verdict: "fail",
            identity: None,
            publisher: None,
            predicate_types: Vec::new(),
            transparency_log: None,
            environment: None,
            provenance: sources.iter().map(|p| p.display().to_string()).collect(),
            reason: None,
            decision: None,
        };
        match outcome {
            Ok(v) => {
                r.verdict = "pass";
                r.publisher = v.publisher.as_ref().map(ToString::to_string);
                r.identity = Some(v.identity);
                r.predicate_types = v.predicate_types;
                r.transparency_log = Some(v.transparency_log);
                r.environment = Some(v.environment);
            }
            Err(f) => r.reason = Some(f),
        }
        r
    }

    pub fn passed(&self) -> bool {
        self.verdict == "pass"
    }
}

pub fn print_json(reports: &[FileReport]) {
    #[derive(Serialize)]
    struct Out<'a> {
        files: &'a [FileReport],
    }
    let text = serde_json::to_string_pretty(&Out { files: reports })
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

/// JSON for `verify`: the files and which trust file decided (null when none did).
pub fn print_json_with_trust(reports: &[FileReport], trust_file: Option<&Path>) {
    #[derive(Serialize)]
    struct Out<'a> {
        trust_file: Option<String>,
        files: &'a [FileReport],
    }
    let out = Out {
        trust_file: trust_file.map(|p| p.display().to_string()),
        files: reports,
    };
    let text =
        serde_json::to_string_pretty(&out).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

/// Text for `verify` under a trust policy: which policy, then one decision per file.
pub fn print_decisions(reports: &[FileReport], policy: &Policy) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", policy_line(policy));
    for r in reports {
        let Some(d) = &r.decision else {
            continue;
        };
        let word = match d.verdict {
            Verdict::Allow => "ALLOW",
            Verdict::Warn => "WARN ",
            Verdict::Deny => "DENY ",
        };
        let _ = writeln!(
            out,
            "{word} {}: {} [{}]",
            r.file,
            d.message,
            d.code.as_str()
        );
        if d.verdict != Verdict::Allow || d.pin.is_some() {
            let _ = writeln!(out, "      fix: {}", d.fix);
        }
    }
}

/// One line saying which trust file (if any) the decisions came from.
pub fn policy_line(policy: &Policy) -> String {
    let settings = format!(
        "unattested = {}, tofu = {}{}",
        policy.unattested.as_str(),
        policy.tofu,
        if policy.locked { ", locked" } else { "" }
    );
    match &policy.source {
        Some(p) => format!("trust file: {} ({settings})", p.display()),
        None => "no trust file used: every file is verified, the publisher the index reported is accepted, unattested files are warned about (`pyprov trust add` creates pyprov.toml)".into(),
    }
}

pub fn print_text(reports: &[FileReport], expect: &Expectation) {
    let mut out = std::io::stdout().lock();
    for r in reports {
        let _ = writeln!(out, "{}", text_line(r, expect));
    }
}

fn text_line(r: &FileReport, expect: &Expectation) -> String {
    let name = &r.file;
    match (&r.reason, &r.identity) {
        (Some(f), _) => format!(
            "FAIL {name}: {} [{}]\n     fix: {}",
            f.message,
            f.reason.code(),
            hint(f.reason)
        ),
        (None, Some(id)) => {
            let mut s = format!("PASS {name}: built by {}", id.describe());
            if let Some(t) = &r.transparency_log {
                if let Some(i) = t.log_index {
                    s.push_str(&format!(", logged at index {i}"));
                }
                if let Some(ts) = t
                    .integrated_time
                    .and_then(|t| jiff::Timestamp::from_second(t).ok())
                {
                    s.push_str(&format!(" on {ts}"));
                }
            }
            if matches!(expect, Expectation::Anyone) {
                s.push_str(" (no publisher was required: pass --publisher to pin one)");
            }
            if r.environment == Some(EnvironmentCheck::Unproven) {
                s.push_str("\n     note: the certificate does not record a deployment environment, so --environment could not be proven");
            }
            s
        }
        (None, None) => format!("PASS {name}: signed by the expected key"),
    }
}

/// What the user can do about each failure.
pub fn hint(reason: Reason) -> &'static str {
    match reason {
        Reason::DigestMismatch => "the file is not the one that was attested; do not install it, and fetch it again from the index",
        Reason::SubjectNameMismatch => "the attestation belongs to another file (another version or kind); fetch the provenance that matches this file",
        Reason::IdentityMismatch => "the file was signed by someone else than expected; if the project really moved, update the expected publisher",
        Reason::PublisherMismatch => "the index's publisher record contradicts the signature; treat the provenance as tampered and report it to the index",
        Reason::EnvironmentMismatch => "the release came from another deployment environment; check the project's release process before trusting it",
        Reason::SignatureInvalid => "the signature does not verify; the file or its provenance was altered",
        Reason::TlogInvalid => "the transparency-log evidence is missing or invalid; fetch the provenance again from the index",
        Reason::CertificateInvalid => "the signing certificate does not chain to the trusted root at signing time; if this is a staging or private Sigstore, pass its --trusted-root",
        Reason::TimestampInvalid => "the signed timestamp does not verify against the trusted root; pass the --trusted-root that includes its timestamp authority",
        Reason::InvalidStatement => "the signed statement is not a valid attestation for this file",
        Reason::UnsupportedFormat => "pass a PEP 740 attestation, a PEP 740 provenance object or a Sigstore bundle",
        Reason::UnsupportedVersion => "this attestation format version is newer than pyprov; upgrade pyprov",
        Reason::UnsupportedPredicate => "only PyPI publish and SLSA provenance v1 attestations are accepted for Python files",
        Reason::UnsupportedLogEntry => "the transparency-log entry kind cannot carry this signature; the provenance is not valid",
        Reason::UnsupportedPublisher => "pyprov can check GitHub, GitLab and Google publishers; this one cannot be verified",
        Reason::Malformed => "the provenance document is damaged; fetch it again",
        Reason::TooLarge => "the provenance document is larger than any real one; do not trust it",
        Reason::NoProvenance => "pass --provenance, --attestation or --bundle, or put the sidecar next to the file",
    }
}
