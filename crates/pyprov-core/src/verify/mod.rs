//! The verification engine: a file's name and sha256 plus a provenance document in, a verdict
//! out. No I/O happens here, so the CLI, the installer and the fuzzers share one code path.
//!
//! The cryptography (certificate chain at log time, SCT, Rekor SET, inclusion proof and signed
//! checkpoint, RFC 3161 timestamps, DSSE/message signature, log-entry consistency) is done by
//! `sigstore-verify`, always with every check on. On top of it this layer enforces what
//! `sigstore-verify` does not: exactly one log entry, PEP 740's statement rules (one subject,
//! its file name, known predicate types), Trusted-Publisher matching and the PEP 740 publisher
//! block, which is unsigned and may only agree with the certificate.

pub mod distname;
pub mod document;
pub mod identity;
pub mod statement;

use serde::Serialize;
use serde_json::Value;
use sigstore_verify::trust_root::{TrustedRoot, SIGSTORE_PRODUCTION_TRUSTED_ROOT};
use sigstore_verify::types::{
    Bundle, DerPublicKey, KindVersion, Sha256Hash, SignatureContent, TransparencyLogEntry,
};
use sigstore_verify::{
    PublicKeyVerificationPolicy, TimestampError, TransparencyLogError, VerificationPolicy,
    VerificationResult, Verifier,
};

pub use document::Document;
pub use identity::{Identity, PublisherSpec};
use statement::Statement;

/// Why a file failed. The kebab-case names are a stable interface (JSON output, trust decisions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    DigestMismatch,
    SubjectNameMismatch,
    IdentityMismatch,
    PublisherMismatch,
    EnvironmentMismatch,
    SignatureInvalid,
    TlogInvalid,
    CertificateInvalid,
    TimestampInvalid,
    InvalidStatement,
    UnsupportedFormat,
    UnsupportedVersion,
    UnsupportedPredicate,
    UnsupportedLogEntry,
    UnsupportedPublisher,
    Malformed,
    TooLarge,
    NoProvenance,
}

impl Reason {
    /// What the user can do about this failure.
    pub fn hint(self) -> &'static str {
        match self {
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
}

impl Reason {
    pub fn code(self) -> &'static str {
        match self {
            Reason::DigestMismatch => "digest-mismatch",
            Reason::SubjectNameMismatch => "subject-name-mismatch",
            Reason::IdentityMismatch => "identity-mismatch",
            Reason::PublisherMismatch => "publisher-mismatch",
            Reason::EnvironmentMismatch => "environment-mismatch",
            Reason::SignatureInvalid => "signature-invalid",
            Reason::TlogInvalid => "tlog-invalid",
            Reason::CertificateInvalid => "certificate-invalid",
            Reason::TimestampInvalid => "timestamp-invalid",
            Reason::InvalidStatement => "invalid-statement",
            Reason::UnsupportedFormat => "unsupported-format",
            Reason::UnsupportedVersion => "unsupported-version",
            Reason::UnsupportedPredicate => "unsupported-predicate",
            Reason::UnsupportedLogEntry => "unsupported-log-entry",
            Reason::UnsupportedPublisher => "unsupported-publisher",
            Reason::Malformed => "malformed",
            Reason::TooLarge => "too-large",
            Reason::NoProvenance => "no-provenance",
        }
    }

    /// Every reason, for documentation and tests.
    pub const ALL: [Reason; 18] = [
        Reason::DigestMismatch,
        Reason::SubjectNameMismatch,
        Reason::IdentityMismatch,
        Reason::PublisherMismatch,
        Reason::EnvironmentMismatch,
        Reason::SignatureInvalid,
        Reason::TlogInvalid,
        Reason::CertificateInvalid,
        Reason::TimestampInvalid,
        Reason::InvalidStatement,
        Reason::UnsupportedFormat,
        Reason::UnsupportedVersion,
        Reason::UnsupportedPredicate,
        Reason::UnsupportedLogEntry,
        Reason::UnsupportedPublisher,
        Reason::Malformed,
        Reason::TooLarge,
        Reason::NoProvenance,
    ];
}

/// A failed verification: a stable reason and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    #[serde(rename = "code", serialize_with = "ser_reason")]
    pub reason: Reason,
    pub message: String,
}

fn ser_reason<S: serde::Serializer>(r: &Reason, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(r.code())
}

impl Failure {
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        Failure {
            reason,
            message: message.into(),
        }
    }
}

/// What the signer must be. Without an expectation every cryptographic check still runs.
#[derive(Debug, Clone, Default)]
pub enum Expectation {
    #[default]
    Anyone,
    /// Any one of these publishers; the environment, when given, must not be contradicted.
    Publisher {
        publishers: Vec<PublisherSpec>,
        environment: Option<String>,
    },
    /// An exact certificate SAN and OIDC issuer (cosign's `--certificate-identity`).
    Identity { san: String, issuer: String },
    /// A managed-key bundle signed by this key (no Fulcio certificate).
    PublicKey(DerPublicKey),
}

/// Whether a required deployment environment was proven by the certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnvironmentCheck {
    NotRequested,
    /// The certificate's Deployment Environment extension equals the expected one.
    Proven,
    /// The certificate carries no Deployment Environment extension (certificates issued before
    /// Fulcio added it): the environment is not enforced, and the output says so.
    Unproven,
}

/// Where the signature was logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TlogInfo {
    pub log_index: Option<u64>,
    /// The authenticated signing time, seconds since the epoch.
    pub integrated_time: Option<i64>,
}

/// A successful verification: who signed and what they claimed.
#[derive(Debug, Clone, Serialize)]
pub struct Verified {
    pub identity: Identity,
    /// The publisher the certificate proves, when it is a kind PyPI knows.
    pub publisher: Option<PublisherSpec>,
    pub predicate_types: Vec<String>,
    pub transparency_log: TlogInfo,
    pub environment: EnvironmentCheck,
    /// How many attestations or bundles were verified for this file.
    pub attestations: usize,
}

/// The file being verified: its name (for PEP 740 subject matching) and its sha256.
#[derive(Debug, Clone, Copy)]
pub struct Artifact<'a> {
    pub name: &'a str,
    pub sha256: &'a [u8; 32],
}

/// Trusted-root loading failures (usage errors at the edge, not verdicts).
#[derive(Debug, thiserror::Error)]
pub enum TrustRootError {
    #[error("the trusted root is not valid JSON for a Sigstore trusted root: {0}")]
    Parse(String),
    #[error("the trusted root cannot be used: {0}")]
    Unusable(String),
}

/// A verifier bound to one trusted root. Cheap to share (`Send + Sync`).
pub struct Engine {
    verifier: Verifier,
}

impl Engine {
    /// The Sigstore public-good production root embedded in the binary.
    pub fn production() -> Result<Engine, TrustRootError> {
        Engine::from_trusted_root_json(SIGSTORE_PRODUCTION_TRUSTED_ROOT)
    }

    pub fn from_trusted_root_json(json: &str) -> Result<Engine, TrustRootError> {
        let root =
            TrustedRoot::from_json(json).map_err(|e| TrustRootError::Parse(e.to_string()))?;
        let verifier = Verifier::new(&root).map_err(|e| TrustRootError::Unusable(e.to_string()))?;
        Ok(Engine { verifier })
    }

    /// Verifies every attestation or bundle in `doc` over `artifact`, and the signer against
    /// `expect`. All must pass; the first failure is the verdict.
    pub fn verify(
        &self,
        artifact: Artifact<'_>,
        doc: &Document,
        expect: &Expectation,
    ) -> Result<Verified, Failure> {
        let pep740 = !matches!(doc, Document::Bundle(_));
        let mut checked: Vec<(Verified, Option<&Value>)> = Vec::new();
        match doc {
            Document::Attestation(a) => checked.push((
                self.verify_bundle(artifact, &a.bundle, expect, pep740)?,
                None,
            )),
            Document::Provenance(groups) => {
                for g in groups {
                    for a in &g.attestations {
                        let v = self.verify_bundle(artifact, &a.bundle, expect, pep740)?;
                        checked.push((v, g.publisher.as_ref()));
                    }
                }
            }
            Document::Bundle(b) => {
                checked.push((self.verify_bundle(artifact, b, expect, pep740)?, None))
            }
        }
        for (v, block) in &checked {
            if let Some(block) = block {
                check_publisher_block(block, &v.identity)?;
            }
        }
        let mut iter = checked.into_iter().map(|(v, _)| v);
        let Some(mut first) = iter.next() else {
            return Err(Failure::new(
                Reason::NoProvenance,
                "the document holds no attestation",
            ));
        };
        for other in iter {
            // Attestations for one file from different signers would make "who built it"
            // ambiguous; PyPI never serves that, so treat it as tampering.
            if other.identity != first.identity {
                return Err(Failure::new(
                    Reason::IdentityMismatch,
                    format!(
                        "the attestations for this file disagree on who signed: {} and {}",
                        first.identity.describe(),
                        other.identity.describe()
                    ),
                ));
            }
            for p in other.predicate_types {
                if !first.predicate_types.contains(&p) {
                    first.predicate_types.push(p);
                }
            }
            first.attestations += 1;
        }
        Ok(first)
    }

    /// One bundle over `artifact`: its single log entry, the signature with every Sigstore
    /// check, the leaf's key usage, the statement (PEP 740's rules when `pep740`), then the
    /// signer against `expect`.
    fn verify_bundle(
        &self,
        artifact: Artifact<'_>,
        bundle: &Bundle,
        expect: &Expectation,
        pep740: bool,
    ) -> Result<Verified, Failure> {
        let entry = single_log_entry(bundle)?;
        check_proof_tree_size(entry)?;
        let result = self.verify_signature(artifact, bundle, expect)?;
        if let Some(cert) = bundle.signing_certificate() {
            check_key_usage(cert.as_bytes())?;
        }
        let predicate_types = statement_predicates(artifact, bundle, pep740)?;
        let identity = result
            .certificate()
            .map(Identity::from_certificate)
            .unwrap_or_default();
        let environment = check_expectation(expect, &identity)?;
        let integrated_time = result
            .integrated_time()
            .or_else(|| result.verified_timestamps().first().copied())
            .map(|t| t.as_second());
        Ok(Verified {
            publisher: identity.publisher(),
            identity,
            predicate_types,
            transparency_log: TlogInfo {
                log_index: Some(entry.log_index.get()),
                integrated_time,
            },
            environment,
            attestations: 1,
        })
    }

    /// sigstore-verify's checks, all of them required, under the key `expect` names or any
    /// certificate identity (matched afterwards, with reasons pyprov can state).
    fn verify_signature(
        &self,
        artifact: Artifact<'_>,
        bundle: &Bundle,
        expect: &Expectation,
    ) -> Result<VerificationResult, Failure> {
        let digest = Sha256Hash::new(*artifact.sha256);
        let result = match expect {
            Expectation::PublicKey(key) => {
                let policy = PublicKeyVerificationPolicy::new(key.clone());
                self.verifier.verify(digest, bundle, &policy)
            }
            _ => {
                let policy = VerificationPolicy::any_identity();
                self.verifier.verify(digest, bundle, &policy)
            }
        }
        .map_err(|e| {
            // An envelope whose statement cannot bind any artifact is refused by sigstore-verify
            // as an invalid bundle; say what is wrong with the statement instead.
            if let (sigstore_verify::Error::InvalidBundle(_), Some(f)) =
                (&e, statement_problem(bundle))
            {
                return f;
            }
            map_sigstore_error(e)
        })?;
        require_all_checks(&result, matches!(expect, Expectation::PublicKey(_)))?;
        Ok(result)
    }
}

/// The bundle's transparency-log entry: exactly one, as PEP 740 and Sigstore bundles have.
fn single_log_entry(bundle: &Bundle) -> Result<&TransparencyLogEntry, Failure> {
    match bundle.verification_material.tlog_entries.as_slice() {
        [entry] => Ok(entry),
        entries => Err(Failure::new(
            Reason::TlogInvalid,
            format!(
                "expected exactly one transparency log entry, found {}",
                entries.len()
            ),
        )),
    }
}

/// The predicate types a bundle's signed content states: an in-toto statement's, checked
/// against `artifact` for PEP 740; a PEP 740 attestation must be a DSSE envelope, a plain
/// Sigstore bundle may sign the file itself (no predicate).
fn statement_predicates(
    artifact: Artifact<'_>,
    bundle: &Bundle,
    pep740: bool,
) -> Result<Vec<String>, Failure> {
    match &bundle.content {
        SignatureContent::DsseEnvelope(env) => {
            if env.payload_type != document::INTOTO_PAYLOAD_TYPE {
                return Err(Failure::new(
                    Reason::UnsupportedFormat,
                    format!("DSSE payload type {} is not in-toto", env.payload_type),
                ));
            }
            let statement = Statement::parse(env.payload.as_bytes())?;
            if pep740 {
                statement.check_pep740(artifact.name, &hex::encode(artifact.sha256))?;
            }
            Ok(vec![statement.predicate_type])
        }
        _ if pep740 => Err(Failure::new(
            Reason::UnsupportedFormat,
            "a PEP 740 attestation must be a DSSE envelope",
        )),
        _ => Ok(Vec::new()),
    }
}

fn statement_problem(bundle: &Bundle) -> Option<Failure> {
    let SignatureContent::DsseEnvelope(env) = &bundle.content else {
        return None;
    };
    match Statement::parse(env.payload.as_bytes()) {
        Err(f) => Some(f),
        Ok(s) if s.subject.is_empty() => Some(Failure::new(
            Reason::InvalidStatement,
            "the in-toto statement names no subject",
        )),
        Ok(_) => None,
    }
}

/// `sigstore-verify` checks a Rekor v1 inclusion proof against the proof's own `treeSize` and
/// requires only its root hash to equal the signed checkpoint's. The size must be the signed one
/// too: for some index and size pairs (the last leaf of a tree, for one) a proof computed for the
/// wrong size reaches the same root, which would leave the proof's index and size unchecked.
/// Rekor v2 proofs take both from the entry and the checkpoint, so they need no such check.
fn check_proof_tree_size(entry: &TransparencyLogEntry) -> Result<(), Failure> {
    let Some(proof) = &entry.inclusion_proof else {
        return Ok(());
    };
    let Some(checkpoint) = proof.checkpoint.checkpoint() else {
        return Ok(()); // sigstore-verify refuses a proof without a checkpoint
    };
    if entry.kind_version == KindVersion::HashedRekordV002
        || checkpoint.tree_size() == proof.tree_size
    {
        return Ok(());
    }
    Err(Failure::new(
        Reason::TlogInvalid,
        format!(
            "the inclusion proof is for a tree of {} entries, but its signed checkpoint is for {}",
            proof.tree_size,
            checkpoint.tree_size()
        ),
    ))
}

/// `sigstore-verify` reports success only when its policy's checks ran; pyprov never relaxes the
/// policy, so a result without them is a defect to refuse, not a pass.
fn require_all_checks(result: &VerificationResult, managed_key: bool) -> Result<(), Failure> {
    let cert_ok = managed_key || (result.certificate_verified() && result.sct_verified());
    if !cert_ok || !result.tlog_verified() {
        return Err(Failure::new(
            Reason::CertificateInvalid,
            "the verifier did not complete every check (certificate, SCT, transparency log)",
        ));
    }
    Ok(())
}

/// The Sigstore certificate profile requires the digitalSignature key usage on the leaf;
/// `sigstore-verify` checks the codeSigning extended key usage but not this bit.
fn check_key_usage(der: &[u8]) -> Result<(), Failure> {
    use x509_cert::der::Decode;
    use x509_cert::ext::pkix::KeyUsage;
    let invalid = |m: String| Failure::new(Reason::CertificateInvalid, m);
    let cert = x509_cert::Certificate::from_der(der)
        .map_err(|e| invalid(format!("the signing certificate cannot be parsed: {e}")))?;
    let usage = cert.tbs_certificate.get::<KeyUsage>().map_err(|e| {
        invalid(format!(
            "the signing certificate's key usage is malformed: {e}"
        ))
    })?;
    match usage {
        Some((_, ku)) if ku.digital_signature() => Ok(()),
        Some(_) => Err(invalid(
            "the signing certificate's key usage does not allow digital signatures".into(),
        )),
        None => Err(invalid(
            "the signing certificate has no key usage extension; Sigstore certificates must allow digital signatures".into(),
        )),
    }
}

fn check_expectation(expect: &Expectation, id: &Identity) -> Result<EnvironmentCheck, Failure> {
    match expect {
        Expectation::Anyone | Expectation::PublicKey(_) => Ok(EnvironmentCheck::NotRequested),
        Expectation::Identity { san, issuer } => {
            if id.issuer.as_deref() != Some(issuer.as_str()) {
                return Err(Failure::new(
                    Reason::IdentityMismatch,
                    format!(
                        "expected issuer {issuer}, certificate was issued for {}",
                        id.issuer.as_deref().unwrap_or("<none>")
                    ),
                ));
            }
            if id.san.as_deref() != Some(san.as_str()) {
                return Err(Failure::new(
                    Reason::IdentityMismatch,
                    format!(
                        "expected identity {san}, certificate is for {}",
                        id.san.as_deref().unwrap_or("<none>")
                    ),
                ));
            }
            Ok(EnvironmentCheck::NotRequested)
        }
        Expectation::Publisher {
            publishers,
            environment,
        } => {
            let mut reasons = Vec::new();
            let mut matched = false;
            for p in publishers {
                match p.check(id) {
                    Ok(()) => {
                        matched = true;
                        break;
                    }
                    Err(why) => reasons.push(format!("{p}: {why}")),
                }
            }
            if !matched {
                let expected: Vec<String> = publishers.iter().map(ToString::to_string).collect();
                return Err(Failure::new(
                    Reason::IdentityMismatch,
                    format!(
                        "expected {}, signed by {} ({})",
                        expected.join(" or "),
                        id.describe(),
                        reasons.join("; ")
                    ),
                ));
            }
            match (environment, &id.environment) {
                (None, _) => Ok(EnvironmentCheck::NotRequested),
                (Some(want), Some(have)) if want == have => Ok(EnvironmentCheck::Proven),
                (Some(want), Some(have)) => Err(Failure::new(
                    Reason::EnvironmentMismatch,
                    format!("expected deployment environment {want}, certificate says {have}"),
                )),
                (Some(_), None) => Ok(EnvironmentCheck::Unproven),
            }
        }
    }
}

/// The PEP 740 publisher block is what PyPI says it checked at upload. It is not signed, so it
/// can only agree with the certificate: a block that names someone else is tampering.
fn check_publisher_block(block: &Value, id: &Identity) -> Result<(), Failure> {
    let kind = block.get("kind").and_then(Value::as_str).unwrap_or("");
    let field = |k: &str| block.get(k).and_then(Value::as_str).unwrap_or("");
    let spec = match kind {
        "GitHub" => format!("github:{}/{}", field("repository"), field("workflow")),
        "GitLab" => format!("gitlab:{}//{}", field("repository"), field("workflow_filepath")),
        "Google" => format!("google:{}", field("email")),
        _ => {
            return Err(Failure::new(
                Reason::UnsupportedPublisher,
                format!("the provenance names a publisher of kind `{kind}`, which pyprov cannot check; supported: GitHub, GitLab, Google"),
            ))
        }
    };
    let spec: PublisherSpec = spec.parse().map_err(|e: identity::SpecError| {
        Failure::new(
            Reason::PublisherMismatch,
            format!("the provenance's publisher block is invalid: {}", e.why),
        )
    })?;
    if let Err(why) = spec.check(id) {
        return Err(Failure::new(
            Reason::PublisherMismatch,
            format!("the provenance says it was published by {spec}, but the certificate disagrees: {why}"),
        ));
    }
    let block_env = field("environment");
    if let (false, Some(cert_env)) = (block_env.is_empty(), &id.environment) {
        if block_env != cert_env {
            return Err(Failure::new(
                Reason::PublisherMismatch,
                format!("the provenance names environment {block_env}, the certificate {cert_env}"),
            ));
        }
    }
    Ok(())
}

fn map_sigstore_error(e: sigstore_verify::Error) -> Failure {
    use sigstore_verify::Error as E;
    let reason = match &e {
        E::IdentityMismatch { .. } | E::IssuerMismatch { .. } => Reason::IdentityMismatch,
        E::SignatureInvalid(_) | E::Crypto(_) => Reason::SignatureInvalid,
        E::ArtifactMismatch(_) => Reason::DigestMismatch,
        E::Certificate(_) => Reason::CertificateInvalid,
        E::TransparencyLog(TransparencyLogError::MalformedEntry(m))
            if m.contains("unsupported") || m.contains("Unsupported") =>
        {
            Reason::UnsupportedLogEntry
        }
        E::TransparencyLog(_) => Reason::TlogInvalid,
        // Without a signed entry timestamp or RFC 3161 token nothing authenticates the signing
        // time: that is missing log evidence.
        E::Timestamp(TimestampError::NoVerifiedTimestamp(_)) => Reason::TlogInvalid,
        E::Timestamp(_) => Reason::TimestampInvalid,
        E::UnsupportedBundle(_) | E::UnsupportedArtifact(_) => Reason::UnsupportedFormat,
        E::Bundle(b) => {
            use sigstore_verify::bundle::Error as B;
            match b {
                B::UnsupportedMediaType(_) | B::UnsupportedVerificationMaterial => {
                    Reason::UnsupportedFormat
                }
                B::MissingInclusionPromise(_)
                | B::MissingInclusionProof(_)
                | B::MissingSigningTimeEvidence
                | B::MissingCheckpoint
                | B::LogIndexOutOfRange { .. }
                | B::CheckpointRootMismatch => Reason::TlogInvalid,
                B::MissingTimestamp => Reason::TimestampInvalid,
                _ => Reason::Malformed,
            }
        }
        _ => Reason::Malformed,
    };
    Failure::new(reason, readable(&e.to_string()))
}

/// sigstore-verify's message with the certificate library's Rust debug text (rustls-webpki's
/// errors display as their `Debug`, e.g. `CertExpired { time: UnixTime(..), .. }`) in words.
fn readable(message: &str) -> String {
    const MARK: &str = "certificate chain validation failed: ";
    let Some((head, detail)) = message.split_once(MARK) else {
        return message.to_string();
    };
    let head = head.trim_end_matches(": ");
    format!("{head}: {}", webpki_words(detail))
}

/// One rustls-webpki error, as its `Debug` text, in words.
fn webpki_words(detail: &str) -> String {
    let (name, fields) = match detail.split_once(" {") {
        Some((n, f)) => (n.trim(), f),
        None => (detail.trim(), ""),
    };
    // `field: UnixTime(N)` as a UTC time.
    let time = |field: &str| -> Option<String> {
        let start = fields.find(&format!("{field}: UnixTime("))? + field.len() + 11;
        let digits: String = fields
            .get(start..)?
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse::<u64>().ok().and_then(utc)
    };
    match name {
        "CertExpired" => match (time("not_after"), time("time")) {
            (Some(until), Some(at)) => format!(
                "the signing certificate had expired when it was used (valid until {until}, used at {at})"
            ),
            _ => "the signing certificate had expired when it was used".into(),
        },
        "CertNotValidYet" => match (time("not_before"), time("time")) {
            (Some(from), Some(at)) => format!(
                "the signing certificate was not yet valid when it was used (valid from {from}, used at {at})"
            ),
            _ => "the signing certificate was not yet valid when it was used".into(),
        },
        "UnknownIssuer" => "the certificate's issuer is not in the trusted root".into(),
        _ => words(name),
    }
}

/// `CamelCaseName` as `camel case name`.
fn words(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ` (jiff's RFC 3339 form, as the root
/// crate prints times); `None` past what jiff represents (the year 9999).
fn utc(secs: u64) -> Option<String> {
    let secs = i64::try_from(secs).ok()?;
    jiff::Timestamp::from_second(secs)
        .ok()
        .map(|t| t.to_string())
}

#[cfg(test)]
mod readable_tests {
    use super::*;

    #[test]
    fn webpki_debug_text_reads_as_words() {
        assert_eq!(
            readable("certificate chain is invalid: certificate chain validation failed: CertExpired { time: UnixTime(1748783400), not_after: UnixTime(1748779800) }"),
            "certificate chain is invalid: the signing certificate had expired when it was used (valid until 2025-06-01T12:10:00Z, used at 2025-06-01T13:10:00Z)"
        );
        assert_eq!(
            readable("x: certificate chain validation failed: UnknownIssuer"),
            "x: the certificate's issuer is not in the trusted root"
        );
        assert_eq!(
            readable("x: certificate chain validation failed: RequiredEkuNotFound"),
            "x: required eku not found"
        );
        assert_eq!(readable("no chain here"), "no chain here");
        assert_eq!(utc(0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(utc(951_782_400).as_deref(), Some("2000-02-29T00:00:00Z"));
        // Past jiff's range the time is left out, not invented.
        assert_eq!(utc(u64::MAX), None);
        assert_eq!(
            readable("x: certificate chain validation failed: CertExpired { time: UnixTime(18446744073709551615), not_after: UnixTime(1748779800) }"),
            "x: the signing certificate had expired when it was used"
        );
    }
}
