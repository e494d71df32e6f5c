//! A throwaway, offline, Sigstore-like PKI for tests.
//!
//! It plays every party of the public-good Sigstore deployment that a PEP 740
//! verifier has to trust, with fresh ECDSA P-256 keys per [`TestPki`]:
//!
//! * a Fulcio-like CA (self-signed root plus, by default, an intermediate)
//!   issuing short-lived leaf certificates with Fulcio's OIDC/CI extensions;
//! * a CT log whose embedded precertificate SCT (RFC 6962) is signed over the
//!   leaf's TBS without the SCT extension, the way `sigstore-verify` checks it;
//! * a Rekor v1 log producing `dsse/0.0.1` (and `hashedrekord/0.0.1`) entries
//!   with a signed entry timestamp (SET), an RFC 6962 inclusion proof in a
//!   small tree and a signed-note checkpoint;
//! * a `trusted_root.json` naming all three.
//!
//! Everything is generated at test time and nothing touches the network. The
//! JSON produced has the exact shapes PyPI serves (PEP 740 attestation and
//! provenance objects) and the Sigstore bundle v0.3 shape, so the same bytes
//! can be fed to pyprov and to `sigstore-verify`.
//!
//! Every negative case a verifier test needs is a field of [`Signing`]; all
//! of them default to "what real Fulcio/Rekor would produce".

// Each integration-test binary compiles this module separately and uses only
// part of it.
#![allow(dead_code)]

use std::str::FromStr;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::{json, Value};
use sigstore_verify::crypto::KeyPair;
use x509_cert::der::asn1::{BitString, Ia5String, OctetString, UtcTime, Utf8StringRef};
use x509_cert::der::oid::{AssociatedOid, ObjectIdentifier};
use x509_cert::der::pem::LineEnding;
use x509_cert::der::{Decode, Encode, EncodePem};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName,
};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate, Version};

// ---------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------

/// The fixed reference time "T" = 2025-06-01T12:00:00Z (Unix seconds).
///
/// It is in the past so that `sigstore-verify`'s "integrated time is not in
/// the future" check passes, and fixed so that tests can reason about windows.
pub const BASE_TIME: u64 = 1_748_779_200;

/// Default certificate lifetime, as Fulcio issues them (10 minutes).
pub const CERT_LIFETIME_SECS: u64 = 600;

/// Default offset of the Rekor integrated time from notBefore (1 minute).
pub const INTEGRATION_DELAY_SECS: u64 = 60;

/// The trust root's `validFor.start` lies this long before [`BASE_TIME`].
const TRUST_WINDOW_LEAD_SECS: u64 = 30 * 24 * 3600;

/// DSSE payload type PEP 740 mandates.
pub const INTOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// in-toto Statement v1 `_type`.
pub const STATEMENT_TYPE_V1: &str = "https://in-toto.io/Statement/v1";
/// PyPI publish attestation predicate type.
pub const PUBLISH_PREDICATE_V1: &str = "https://docs.pypi.org/attestations/publish/v1";
/// SLSA provenance v1 predicate type.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// Sigstore bundle v0.3 media type.
pub const BUNDLE_V03_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// Sigstore trusted root v0.1 media type.
pub const TRUSTED_ROOT_MEDIA_TYPE: &str =
    "application/vnd.dev.sigstore.trustedroot+json;version=0.1";

/// GitHub Actions OIDC issuer.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// gitlab.com OIDC issuer.
pub const GITLAB_ISSUER: &str = "https://gitlab.com";
/// Google OIDC issuer.
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";

/// Commit SHA the CI presets put in `.13`, `.10` and `.19`.
pub const DEFAULT_COMMIT: &str = "4f0c3d8b2a9e71c6d5b4a3928170f6e5d4c3b2a1";

/// Origin line of the test Rekor's checkpoints.
const REKOR_ORIGIN: &str = "rekor.test.invalid - 4242424242";

/// Arc of the Fulcio certificate extensions.
const FULCIO_ARC: &str = "1.3.6.1.4.1.57264.1";
/// RFC 6962 embedded SCT list extension.
const OID_CT_PRECERT_SCTS: &str = "1.3.6.1.4.1.11129.2.4.2";
/// ecdsa-with-SHA256, what `KeyPair::sign` produces for P-256 keys.
const OID_ECDSA_WITH_SHA256: &str = "1.2.840.10045.4.3.2";
const OID_KP_CODE_SIGNING: &str = "1.3.6.1.5.5.7.3.3";
const OID_KP_SERVER_AUTH: &str = "1.3.6.1.5.5.7.3.1";

/// Leaves in each entry's Merkle tree; not a power of two, so the audit path
/// exercises the unbalanced right edge of RFC 6962 trees.
const TREE_SIZE: usize = 7;

// ---------------------------------------------------------------------------
// Identity (SAN + Fulcio extensions)
// ---------------------------------------------------------------------------

/// The certificate's Subject Alternative Name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum San {
    /// `uniformResourceIdentifier` (CI workloads).
    Uri(String),
    /// `rfc822Name` (people, service accounts).
    Email(String),
}

impl San {
    pub fn as_str(&self) -> &str {
        match self {
            San::Uri(s) | San::Email(s) => s,
        }
    }
}

/// Who the leaf certificate is issued to: its SAN and every Fulcio extension.
///
/// Every extension is optional: `None` leaves it out of the certificate.
/// Field names after `issuer_v2` mirror
/// `sigstore_verify::crypto::FulcioCiClaims`, so a test can compare the
/// claims it set with what the verifier read back field by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub san: San,
    /// `.1.1` OIDC issuer, deprecated form: raw UTF-8 bytes, not DER.
    pub issuer_v1: Option<String>,
    /// `.1.8` OIDC issuer (v2), DER UTF8String. Verifiers prefer it to `.1.1`.
    pub issuer_v2: Option<String>,
    /// `.1.9` Build Signer URI (Fulcio sets it equal to the SAN).
    pub build_signer_uri: Option<String>,
    /// `.1.10` Build Signer Digest.
    pub build_signer_digest: Option<String>,
    /// `.1.11` Runner Environment.
    pub runner_environment: Option<String>,
    /// `.1.12` Source Repository URI.
    pub source_repository_uri: Option<String>,
    /// `.1.13` Source Repository Digest.
    pub source_repository_digest: Option<String>,
    /// `.1.14` Source Repository Ref.
    pub source_repository_ref: Option<String>,
    /// `.1.15` Source Repository Identifier.
    pub source_repository_identifier: Option<String>,
    /// `.1.16` Source Repository Owner URI.
    pub source_repository_owner_uri: Option<String>,
    /// `.1.17` Source Repository Owner Identifier.
    pub source_repository_owner_identifier: Option<String>,
    /// `.1.18` Build Config URI: the *caller* workflow, which is what PyPI
    /// matches a Trusted Publisher against.
    pub build_config_uri: Option<String>,
    /// `.1.19` Build Config Digest.
    pub build_config_digest: Option<String>,
    /// `.1.20` Build Trigger.
    pub build_trigger: Option<String>,
    /// `.1.21` Run Invocation URI.
    pub run_invocation_uri: Option<String>,
    /// `.1.22` Source Repository Visibility At Signing.
    pub source_repository_visibility_at_signing: Option<String>,
    /// `.1.23` Deployment Environment.
    pub deployment_environment: Option<String>,
}

impl Identity {
    /// An identity with only a SAN: no issuer, no CI claims.
    pub fn bare(san: San) -> Self {
        Identity {
            san,
            issuer_v1: None,
            issuer_v2: None,
            build_signer_uri: None,
            build_signer_digest: None,
            runner_environment: None,
            source_repository_uri: None,
            source_repository_digest: None,
            source_repository_ref: None,
            source_repository_identifier: None,
            source_repository_owner_uri: None,
            source_repository_owner_identifier: None,
            build_config_uri: None,
            build_config_digest: None,
            build_trigger: None,
            run_invocation_uri: None,
            source_repository_visibility_at_signing: None,
            deployment_environment: None,
        }
    }

    /// A GitHub Actions workflow identity, as Fulcio issues it.
    ///
    /// `repository` is `owner/repo`, `workflow` the file name under
    /// `.github/workflows/` (e.g. `release.yml`), `git_ref` e.g.
    /// `refs/tags/v1.0`. SAN, `.9` and `.18` are
    /// `https://github.com/{repository}/.github/workflows/{workflow}@{git_ref}`.
    pub fn github(repository: &str, workflow: &str, git_ref: &str) -> Self {
        let repo_url = format!("https://github.com/{repository}");
        let owner = repository.split('/').next().unwrap_or(repository);
        let workflow_uri = format!("{repo_url}/.github/workflows/{workflow}@{git_ref}");
        Identity {
            san: San::Uri(workflow_uri.clone()),
            issuer_v1: Some(GITHUB_ISSUER.into()),
            issuer_v2: Some(GITHUB_ISSUER.into()),
            build_signer_uri: Some(workflow_uri.clone()),
            build_signer_digest: Some(DEFAULT_COMMIT.into()),
            runner_environment: Some("github-hosted".into()),
            source_repository_uri: Some(repo_url.clone()),
            source_repository_digest: Some(DEFAULT_COMMIT.into()),
            source_repository_ref: Some(git_ref.into()),
            source_repository_identifier: Some("772247423".into()),
            source_repository_owner_uri: Some(format!("https://github.com/{owner}")),
            source_repository_owner_identifier: Some("2314423".into()),
            build_config_uri: Some(workflow_uri),
            build_config_digest: Some(DEFAULT_COMMIT.into()),
            build_trigger: Some("release".into()),
            run_invocation_uri: Some(format!("{repo_url}/actions/runs/12169989787/attempts/1")),
            source_repository_visibility_at_signing: Some("public".into()),
            deployment_environment: None,
        }
    }

    /// A gitlab.com CI identity, as Fulcio issues it.
    ///
    /// `project` is `namespace[/subgroup]/project`, `ci_config_path` e.g.
    /// `.gitlab-ci.yml`. SAN, `.9` and `.18` are
    /// `https://gitlab.com/{project}//{ci_config_path}@{git_ref}` (note the
    /// double slash GitLab uses).
    pub fn gitlab(project: &str, ci_config_path: &str, git_ref: &str) -> Self {
        let project_url = format!("https://gitlab.com/{project}");
        let namespace = project.rsplit_once('/').map_or(project, |(ns, _)| ns);
        let config_uri = format!("{project_url}//{ci_config_path}@{git_ref}");
        Identity {
            san: San::Uri(config_uri.clone()),
            issuer_v1: Some(GITLAB_ISSUER.into()),
            issuer_v2: Some(GITLAB_ISSUER.into()),
            build_signer_uri: Some(config_uri.clone()),
            build_signer_digest: Some(DEFAULT_COMMIT.into()),
            runner_environment: Some("gitlab-hosted".into()),
            source_repository_uri: Some(project_url.clone()),
            source_repository_digest: Some(DEFAULT_COMMIT.into()),
            source_repository_ref: Some(git_ref.into()),
            source_repository_identifier: Some("55235664".into()),
            source_repository_owner_uri: Some(format!("https://gitlab.com/{namespace}")),
            source_repository_owner_identifier: Some("12885801".into()),
            build_config_uri: Some(config_uri),
            build_config_digest: Some(DEFAULT_COMMIT.into()),
            build_trigger: Some("push".into()),
            run_invocation_uri: Some(format!("{project_url}/-/jobs/8452311234")),
            source_repository_visibility_at_signing: Some("public".into()),
            deployment_environment: None,
        }
    }

    /// A Google service-account identity: SAN email, issuer
    /// `https://accounts.google.com` in `.1.1` and `.1.8`, no CI claims.
    pub fn google(email: &str) -> Self {
        Identity {
            issuer_v1: Some(GOOGLE_ISSUER.into()),
            issuer_v2: Some(GOOGLE_ISSUER.into()),
            ..Identity::bare(San::Email(email.into()))
        }
    }

    /// Drop `.1.13` Source Repository Digest.
    pub fn without_source_digest(mut self) -> Self {
        self.source_repository_digest = None;
        self
    }

    /// Drop `.1.14` Source Repository Ref.
    pub fn without_source_ref(mut self) -> Self {
        self.source_repository_ref = None;
        self
    }

    /// Set `.1.23` Deployment Environment.
    pub fn with_deployment_environment(mut self, env: &str) -> Self {
        self.deployment_environment = Some(env.into());
        self
    }

    /// Override `.1.18` Build Config URI alone (the caller workflow), keeping
    /// SAN and `.1.9`: the reusable-workflow shape.
    pub fn with_build_config_uri(mut self, uri: &str) -> Self {
        self.build_config_uri = Some(uri.into());
        self
    }

    /// Override the SAN URI and `.1.9` Build Signer URI together (they are
    /// equal in real certificates), keeping `.1.18`: in a reusable workflow
    /// the signer is the called workflow.
    pub fn with_build_signer_uri(mut self, uri: &str) -> Self {
        self.san = San::Uri(uri.into());
        self.build_signer_uri = Some(uri.into());
        self
    }

    /// Set both issuer extensions (`.1.1` and `.1.8`).
    pub fn with_issuer(mut self, issuer: &str) -> Self {
        self.issuer_v1 = Some(issuer.into());
        self.issuer_v2 = Some(issuer.into());
        self
    }

    /// The Fulcio extensions as (arc number, DER-or-raw value) pairs, in OID
    /// order, skipping absent ones.
    fn fulcio_extension_values(&self) -> Vec<(u32, Vec<u8>)> {
        let mut out = Vec::new();
        // `.1.1` predates the switch to DER and is the raw string itself.
        if let Some(issuer) = &self.issuer_v1 {
            out.push((1, issuer.as_bytes().to_vec()));
        }
        let der_claims: [(u32, &Option<String>); 16] = [
            (8, &self.issuer_v2),
            (9, &self.build_signer_uri),
            (10, &self.build_signer_digest),
            (11, &self.runner_environment),
            (12, &self.source_repository_uri),
            (13, &self.source_repository_digest),
            (14, &self.source_repository_ref),
            (15, &self.source_repository_identifier),
            (16, &self.source_repository_owner_uri),
            (17, &self.source_repository_owner_identifier),
            (18, &self.build_config_uri),
            (19, &self.build_config_digest),
            (20, &self.build_trigger),
            (21, &self.run_invocation_uri),
            (22, &self.source_repository_visibility_at_signing),
            (23, &self.deployment_environment),
        ];
        for (arc, value) in der_claims {
            if let Some(value) = value {
                let der = Utf8StringRef::new(value)
                    .and_then(|s| s.to_der())
                    .expect("encode Fulcio claim as UTF8String");
                out.push((arc, der));
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------
// Signing options (the knobs)
// ---------------------------------------------------------------------------

/// Key usage / extended key usage of the leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LeafUsage {
    /// What Fulcio issues: KU digitalSignature (critical), EKU codeSigning.
    #[default]
    CodeSigning,
    /// KU keyEncipherment only (no digitalSignature), EKU codeSigning.
    NoDigitalSignature,
    /// KU digitalSignature, EKU serverAuth instead of codeSigning.
    ServerAuthEku,
    /// KU digitalSignature, no EKU extension at all.
    NoEku,
}

/// The embedded SCT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SctMode {
    /// A valid precertificate SCT from the trusted CT log.
    #[default]
    Valid,
    /// No SCT extension in the certificate.
    Omit,
    /// A well-formed SCT signed by a CT log key absent from the trust root.
    UnknownLog,
}

/// Which key the Rekor entries are signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RekorKey {
    /// The log key in the trust root.
    #[default]
    Trusted,
    /// A well-formed log whose key (log ID, SET, checkpoint) is not trusted.
    Unknown,
}

/// An extra, arbitrary extension to put in the leaf (e.g. an unknown critical
/// extension, or the deprecated GitHub `.1.2`–`.1.6` raw strings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawExtension {
    /// Dotted OID.
    pub oid: String,
    pub critical: bool,
    /// The extnValue content (what goes inside the OCTET STRING).
    pub value: Vec<u8>,
}

/// Everything that goes into one signing event. `Default` is a valid GitHub
/// publish attestation; override fields for the negative cases.
#[derive(Debug, Clone)]
pub struct Signing {
    pub identity: Identity,
    /// The in-toto statement bytes: the DSSE payload (ignored by
    /// [`TestPki::sign_blob`]).
    pub statement: Vec<u8>,
    /// Certificate notBefore (Unix seconds). Default [`BASE_TIME`].
    pub not_before: u64,
    /// Certificate notAfter (Unix seconds). Default notBefore + 10 min.
    pub not_after: u64,
    /// Rekor `integratedTime` (Unix seconds). Default notBefore + 1 min. Set it
    /// after `not_after` for "certificate expired at log time".
    pub integrated_time: Option<u64>,
    pub usage: LeafUsage,
    pub sct: SctMode,
    pub rekor_key: RekorKey,
    /// Include `inclusionPromise.signedEntryTimestamp`. Default true.
    pub include_set: bool,
    /// Include `inclusionProof` (with checkpoint). Default true.
    pub include_inclusion_proof: bool,
    /// Number of transparency entries (each a separately valid Rekor entry
    /// for the same signature). Default 1; 2 is the pyprov-level negative.
    pub tlog_entries: usize,
    /// Global Rekor `logIndex` of the first entry. Default 123456789.
    pub log_index: u64,
    /// The PEP 740 attestation object's `version`. Default 1.
    pub attestation_version: u64,
    /// Appended to the leaf's extensions, before the SCT.
    pub extra_extensions: Vec<RawExtension>,
}

impl Default for Signing {
    fn default() -> Self {
        Signing {
            identity: Identity::github("example/project", "release.yml", "refs/tags/v1.0.0"),
            statement: statement(
                "example-1.0.0-py3-none-any.whl",
                &sha256_hex(b"example wheel contents"),
                PUBLISH_PREDICATE_V1,
                Value::Null,
            ),
            not_before: BASE_TIME,
            not_after: BASE_TIME + CERT_LIFETIME_SECS,
            integrated_time: None,
            usage: LeafUsage::default(),
            sct: SctMode::default(),
            rekor_key: RekorKey::default(),
            include_set: true,
            include_inclusion_proof: true,
            tlog_entries: 1,
            log_index: 123_456_789,
            attestation_version: 1,
            extra_extensions: Vec::new(),
        }
    }
}

impl Signing {
    /// Default options with this identity and statement.
    pub fn new(identity: Identity, statement: Vec<u8>) -> Self {
        Signing {
            identity,
            statement,
            ..Signing::default()
        }
    }

    /// The integrated time actually used.
    pub fn effective_integrated_time(&self) -> u64 {
        self.integrated_time
            .unwrap_or(self.not_before + INTEGRATION_DELAY_SECS)
    }
}

// ---------------------------------------------------------------------------
// The PKI
// ---------------------------------------------------------------------------

/// A CA certificate with its key.
struct Ca {
    key: KeyPair,
    name: Name,
    cert_der: Vec<u8>,
}

/// A log (CT or Rekor) key with its RFC 6962 / Rekor log ID.
struct LogKey {
    key: KeyPair,
    spki_der: Vec<u8>,
    /// SHA-256 of the DER SPKI: RFC 6962 LogID, Rekor `logId.keyId`, and (first
    /// four bytes) the checkpoint key hint.
    key_id: [u8; 32],
}

impl LogKey {
    fn generate() -> Self {
        let key = KeyPair::generate_ecdsa_p256().expect("generate log key");
        let spki_der = key
            .public_key_der()
            .expect("encode log public key")
            .as_bytes()
            .to_vec();
        let key_id = sha256(&spki_der);
        LogKey {
            key,
            spki_der,
            key_id,
        }
    }

    fn sign(&self, data: &[u8]) -> Vec<u8> {
        self.key.sign(data).expect("log signature").into_bytes()
    }
}

/// The whole throwaway Sigstore deployment. Keys are fresh per instance, so
/// two instances are two unrelated trust domains (like prod vs staging).
pub struct TestPki {
    root: Ca,
    intermediate: Option<Ca>,
    ct_log: LogKey,
    /// A CT log that is not in the trust root (for [`SctMode::UnknownLog`]).
    rogue_ct_log: LogKey,
    rekor: LogKey,
    /// A Rekor that is not in the trust root (for [`RekorKey::Unknown`]).
    rogue_rekor: LogKey,
}

impl Default for TestPki {
    fn default() -> Self {
        Self::new()
    }
}

impl TestPki {
    /// Root CA + intermediate CA (like Fulcio), CT log, Rekor.
    pub fn new() -> Self {
        Self::build(true)
    }

    /// Leaves are issued directly by the self-signed root.
    pub fn root_only() -> Self {
        Self::build(false)
    }

    fn build(with_intermediate: bool) -> Self {
        // CA certs are valid for a long window around T; the trust root's
        // `validFor` windows are what the verifier checks for anchors.
        let not_before = BASE_TIME - 2 * TRUST_WINDOW_LEAD_SECS;
        let not_after = BASE_TIME + 10 * 365 * 24 * 3600;

        let root_key = KeyPair::generate_ecdsa_p256().expect("generate root key");
        let root_name = Name::from_str("CN=pyprov-test-root,O=pyprov.test").expect("root name");
        let root_cert = ca_certificate(
            &root_key,
            &root_name,
            &root_key,
            &root_name,
            Some(1),
            not_before,
            not_after,
        );
        let root = Ca {
            key: root_key,
            name: root_name,
            cert_der: root_cert,
        };

        let intermediate = with_intermediate.then(|| {
            let key = KeyPair::generate_ecdsa_p256().expect("generate intermediate key");
            let name = Name::from_str("CN=pyprov-test-intermediate,O=pyprov.test")
                .expect("intermediate name");
            let cert_der = ca_certificate(
                &key,
                &name,
                &root.key,
                &root.name,
                Some(0),
                not_before,
                not_after,
            );
            Ca {
                key,
                name,
                cert_der,
            }
        });

        TestPki {
            root,
            intermediate,
            ct_log: LogKey::generate(),
            rogue_ct_log: LogKey::generate(),
            rekor: LogKey::generate(),
            rogue_rekor: LogKey::generate(),
        }
    }

    /// The CA that issues leaves.
    fn issuer(&self) -> &Ca {
        self.intermediate.as_ref().unwrap_or(&self.root)
    }

    /// DER of the self-signed root.
    pub fn root_cert_der(&self) -> &[u8] {
        &self.root.cert_der
    }

    /// DER of the certificate that issues leaves (intermediate, or the root).
    pub fn issuer_cert_der(&self) -> &[u8] {
        &self.issuer().cert_der
    }

    /// DER SPKI of the trusted Rekor key.
    pub fn rekor_public_key_der(&self) -> &[u8] {
        &self.rekor.spki_der
    }

    /// DER SPKI of the trusted CT log key.
    pub fn ct_public_key_der(&self) -> &[u8] {
        &self.ct_log.spki_der
    }

    /// `trusted_root.json` (Sigstore trusted root v0.1) for this PKI.
    pub fn trusted_root_json(&self) -> String {
        serde_json::to_string_pretty(&self.trusted_root_value()).expect("serialize trusted root")
    }

    /// The trusted root as a JSON value, for tests that want to edit it.
    pub fn trusted_root_value(&self) -> Value {
        let start = rfc3339(BASE_TIME - TRUST_WINDOW_LEAD_SECS);
        let log = |base_url: &str, log: &LogKey| {
            json!({
                "baseUrl": base_url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": B64.encode(&log.spki_der),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": { "start": start },
                },
                "logId": { "keyId": B64.encode(log.key_id) },
            })
        };
        // Leaf-first, like the real root: [intermediate, root].
        let chain: Vec<Value> = self
            .intermediate
            .iter()
            .chain(std::iter::once(&self.root))
            .map(|ca| json!({ "rawBytes": B64.encode(&ca.cert_der) }))
            .collect();
        json!({
            "mediaType": TRUSTED_ROOT_MEDIA_TYPE,
            "tlogs": [log("https://rekor.test.invalid", &self.rekor)],
            "certificateAuthorities": [{
                "subject": {
                    "organization": "pyprov.test",
                    "commonName": if self.intermediate.is_some() {
                        "pyprov-test-intermediate"
                    } else {
                        "pyprov-test-root"
                    },
                },
                "uri": "https://fulcio.test.invalid",
                "certChain": { "certificates": chain },
                "validFor": { "start": start },
            }],
            "ctlogs": [log("https://ctfe.test.invalid/test", &self.ct_log)],
            "timestampAuthorities": [],
        })
    }

    /// Sign `opts.statement` as a DSSE in-toto envelope, with a fresh leaf
    /// certificate and Rekor `dsse/0.0.1` entries per `opts`.
    pub fn sign(&self, opts: &Signing) -> Signed {
        let leaf_key = KeyPair::generate_ecdsa_p256().expect("generate leaf key");
        let certificate_der = self.leaf_certificate(&leaf_key, opts);
        let pae = dsse_pae(INTOTO_PAYLOAD_TYPE, &opts.statement);
        let signature = leaf_key.sign(&pae).expect("DSSE signature").into_bytes();

        let body = dsse_rekor_body(&opts.statement, &signature, &certificate_der);
        let tlog_entries = self.tlog_entries(&body, "dsse", opts);
        Signed {
            certificate_der,
            statement: opts.statement.clone(),
            signature,
            tlog_entries,
            attestation_version: opts.attestation_version,
        }
    }

    /// Shorthand: sign and return the PEP 740 attestation JSON.
    pub fn pep740_attestation(&self, opts: &Signing) -> String {
        self.sign(opts).pep740_attestation()
    }

    /// Sign raw artifact bytes (Sigstore `messageSignature`) with a Rekor
    /// `hashedrekord/0.0.1` entry. All knobs of `opts` but `statement` and
    /// `attestation_version` apply.
    pub fn sign_blob(&self, artifact: &[u8], opts: &Signing) -> SignedBlob {
        let leaf_key = KeyPair::generate_ecdsa_p256().expect("generate leaf key");
        let certificate_der = self.leaf_certificate(&leaf_key, opts);
        let signature = leaf_key
            .sign(artifact)
            .expect("blob signature")
            .into_bytes();
        let digest = sha256(artifact);

        let body = hashedrekord_body(&digest, &signature, &certificate_der);
        let tlog_entries = self.tlog_entries(&body, "hashedrekord", opts);
        SignedBlob {
            certificate_der,
            digest,
            signature,
            tlog_entries,
        }
    }

    // -- Fulcio ------------------------------------------------------------

    /// Issue a Fulcio-style leaf for `leaf_key`, with an embedded SCT unless
    /// `opts.sct` says otherwise.
    fn leaf_certificate(&self, leaf_key: &KeyPair, opts: &Signing) -> Vec<u8> {
        let issuer = self.issuer();
        let mut extensions = leaf_extensions(opts);
        let mut tbs = tbs_certificate(
            leaf_key,
            // Fulcio leaves have an empty subject; the identity is the SAN.
            Name::default(),
            &issuer.name,
            opts.not_before,
            opts.not_after,
            extensions.clone(),
        );

        let ct_log = match opts.sct {
            SctMode::Omit => None,
            SctMode::Valid => Some(&self.ct_log),
            SctMode::UnknownLog => Some(&self.rogue_ct_log),
        };
        if let Some(ct_log) = ct_log {
            // RFC 6962 §3.2: the log signs the precertificate TBS, which is the
            // final TBS without the SCT list extension, plus the hash of the
            // issuer's SPKI. `tbs` is exactly that TBS at this point.
            let precert_tbs = tbs.to_der().expect("encode precert TBS");
            let issuer_spki = issuer
                .key
                .public_key_der()
                .expect("encode issuer SPKI")
                .as_bytes()
                .to_vec();
            // SCTs carry milliseconds; Fulcio obtains it at issuance.
            let sct_list = signed_sct_list(
                ct_log,
                opts.not_before * 1000,
                &sha256(&issuer_spki),
                &precert_tbs,
            );
            // The extension's value is itself a DER OCTET STRING around the
            // TLS-encoded SignedCertificateTimestampList.
            let inner = OctetString::new(sct_list)
                .and_then(|o| o.to_der())
                .expect("encode SCT list");
            extensions.push(raw_extension(OID_CT_PRECERT_SCTS, false, inner));
            tbs.extensions = Some(extensions);
        }
        sign_certificate(tbs, &issuer.key)
    }

    // -- Rekor -------------------------------------------------------------

    /// Build `opts.tlog_entries` Rekor v1 entries for the same body, each with
    /// its own log index and Merkle tree.
    fn tlog_entries(&self, body: &[u8], kind: &str, opts: &Signing) -> Vec<Value> {
        let log = match opts.rekor_key {
            RekorKey::Trusted => &self.rekor,
            RekorKey::Unknown => &self.rogue_rekor,
        };
        (0..opts.tlog_entries)
            .map(|n| {
                let log_index = opts.log_index + n as u64 * 1000;
                // Spread entries over different positions of their trees.
                let leaf_index = (3 + n * 2) % TREE_SIZE;
                tlog_entry(log, body, kind, log_index, leaf_index, opts)
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------

/// A DSSE-signed statement with its certificate and log entries.
#[derive(Debug, Clone)]
pub struct Signed {
    /// DER leaf certificate.
    pub certificate_der: Vec<u8>,
    /// The DSSE payload (statement bytes).
    pub statement: Vec<u8>,
    /// DER ECDSA signature over the DSSE PAE.
    pub signature: Vec<u8>,
    /// Rekor v1 protobuf-JSON `TransparencyLogEntry` objects.
    pub tlog_entries: Vec<Value>,
    attestation_version: u64,
}

impl Signed {
    /// The PEP 740 attestation object as a JSON value (edit it for malformed
    /// cases).
    pub fn pep740_attestation_value(&self) -> Value {
        json!({
            "version": self.attestation_version,
            "verification_material": {
                "certificate": B64.encode(&self.certificate_der),
                "transparency_entries": self.tlog_entries,
            },
            "envelope": {
                "statement": B64.encode(&self.statement),
                "signature": B64.encode(&self.signature),
            },
        })
    }

    /// The PEP 740 attestation object as JSON text.
    pub fn pep740_attestation(&self) -> String {
        serde_json::to_string(&self.pep740_attestation_value()).expect("serialize attestation")
    }

    /// The equivalent Sigstore bundle v0.3 (`dsseEnvelope`) as JSON text.
    pub fn sigstore_bundle_v03(&self) -> String {
        serde_json::to_string(&json!({
            "mediaType": BUNDLE_V03_MEDIA_TYPE,
            "verificationMaterial": {
                "certificate": { "rawBytes": B64.encode(&self.certificate_der) },
                "tlogEntries": self.tlog_entries,
            },
            "dsseEnvelope": {
                "payload": B64.encode(&self.statement),
                "payloadType": INTOTO_PAYLOAD_TYPE,
                "signatures": [{ "sig": B64.encode(&self.signature) }],
            },
        }))
        .expect("serialize bundle")
    }
}

/// A `messageSignature` over raw bytes with its certificate and log entries.
#[derive(Debug, Clone)]
pub struct SignedBlob {
    pub certificate_der: Vec<u8>,
    /// SHA-256 of the artifact.
    pub digest: [u8; 32],
    /// DER ECDSA signature over the artifact.
    pub signature: Vec<u8>,
    pub tlog_entries: Vec<Value>,
}

impl SignedBlob {
    /// Sigstore bundle v0.3 with a `messageSignature` as JSON text.
    pub fn sigstore_bundle_v03(&self) -> String {
        serde_json::to_string(&json!({
            "mediaType": BUNDLE_V03_MEDIA_TYPE,
            "verificationMaterial": {
                "certificate": { "rawBytes": B64.encode(&self.certificate_der) },
                "tlogEntries": self.tlog_entries,
            },
            "messageSignature": {
                "messageDigest": { "algorithm": "SHA2_256", "digest": B64.encode(self.digest) },
                "signature": B64.encode(&self.signature),
            },
        }))
        .expect("serialize bundle")
    }
}

/// A PEP 740 provenance object from `(publisher, attestations)` pairs, the
/// attestations being PEP 740 attestation JSON texts.
pub fn provenance(bundles: &[(Value, Vec<String>)]) -> String {
    let attestation_bundles: Vec<Value> = bundles
        .iter()
        .map(|(publisher, attestations)| {
            let attestations: Vec<Value> = attestations
                .iter()
                .map(|a| serde_json::from_str(a).expect("attestation is JSON"))
                .collect();
            json!({ "publisher": publisher, "attestations": attestations })
        })
        .collect();
    serde_json::to_string(&json!({
        "version": 1,
        "attestation_bundles": attestation_bundles,
    }))
    .expect("serialize provenance")
}

/// PyPI's `GitHub` publisher object.
pub fn github_publisher(repository: &str, workflow: &str, environment: Option<&str>) -> Value {
    json!({
        "kind": "GitHub",
        "repository": repository,
        "workflow": workflow,
        "environment": environment,
    })
}

/// PyPI's `GitLab` publisher object.
pub fn gitlab_publisher(
    repository: &str,
    workflow_filepath: &str,
    environment: Option<&str>,
) -> Value {
    json!({
        "kind": "GitLab",
        "repository": repository,
        "workflow_filepath": workflow_filepath,
        "environment": environment,
    })
}

/// PyPI's `Google` publisher object.
pub fn google_publisher(email: &str) -> Value {
    json!({ "kind": "Google", "email": email })
}

/// An in-toto Statement v1 with exactly one subject.
pub fn statement(
    subject_name: &str,
    sha256_hex: &str,
    predicate_type: &str,
    predicate: Value,
) -> Vec<u8> {
    statement_with_subjects(&[(subject_name, sha256_hex)], predicate_type, predicate)
}

/// An in-toto Statement v1 with any number of `(name, sha256 hex)` subjects
/// (0 or 2 for the subject-count negatives).
pub fn statement_with_subjects(
    subjects: &[(&str, &str)],
    predicate_type: &str,
    predicate: Value,
) -> Vec<u8> {
    let subjects: Vec<Value> = subjects
        .iter()
        .map(|(name, digest)| json!({ "name": name, "digest": { "sha256": digest } }))
        .collect();
    // Compact JSON with the four Statement v1 fields. serde_json sorts the
    // keys (PyPI's own order differs); verifiers must not depend on order.
    serde_json::to_vec(&json!({
        "_type": STATEMENT_TYPE_V1,
        "subject": subjects,
        "predicateType": predicate_type,
        "predicate": predicate,
    }))
    .expect("serialize statement")
}

/// Lower-case hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(sha256(data))
}

// ---------------------------------------------------------------------------
// X.509 construction
// ---------------------------------------------------------------------------

fn sha256(data: &[u8]) -> [u8; 32] {
    *sigstore_verify::crypto::sha256(data).as_bytes()
}

fn oid(dotted: &str) -> ObjectIdentifier {
    ObjectIdentifier::new(dotted).expect("valid OID")
}

fn utc(secs: u64) -> Time {
    Time::UtcTime(UtcTime::from_unix_duration(Duration::from_secs(secs)).expect("UTCTime range"))
}

fn ecdsa_with_sha256() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: oid(OID_ECDSA_WITH_SHA256),
        parameters: None,
    }
}

fn raw_extension(dotted: &str, critical: bool, value: Vec<u8>) -> Extension {
    Extension {
        extn_id: oid(dotted),
        critical,
        extn_value: OctetString::new(value).expect("extension value"),
    }
}

/// Extension from a typed x509-cert value, with its own OID.
fn typed_extension<T: AssociatedOid + Encode>(value: &T, critical: bool) -> Extension {
    Extension {
        extn_id: T::OID,
        critical,
        extn_value: OctetString::new(value.to_der().expect("encode extension"))
            .expect("extension value"),
    }
}

/// A serial number derived from the certificate's key: unique per
/// certificate without a random number generator, positive and 16 bytes.
fn serial_for(key: &KeyPair) -> SerialNumber {
    let mut bytes = sha256(key.public_key_bytes());
    bytes[0] = (bytes[0] & 0x7f) | 0x01;
    SerialNumber::new(&bytes[..16]).expect("serial number")
}

fn tbs_certificate(
    subject_key: &KeyPair,
    subject: Name,
    issuer: &Name,
    not_before: u64,
    not_after: u64,
    extensions: Vec<Extension>,
) -> TbsCertificate {
    let spki_der = subject_key.public_key_der().expect("encode SPKI");
    TbsCertificate {
        version: Version::V3,
        serial_number: serial_for(subject_key),
        signature: ecdsa_with_sha256(),
        issuer: issuer.clone(),
        validity: Validity {
            not_before: utc(not_before),
            not_after: utc(not_after),
        },
        subject,
        subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(spki_der.as_bytes())
            .expect("parse SPKI"),
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    }
}

fn sign_certificate(tbs: TbsCertificate, issuer_key: &KeyPair) -> Vec<u8> {
    let tbs_der = tbs.to_der().expect("encode TBS");
    let signature = issuer_key.sign(&tbs_der).expect("certificate signature");
    Certificate {
        tbs_certificate: tbs,
        signature_algorithm: ecdsa_with_sha256(),
        signature: BitString::from_bytes(signature.as_bytes()).expect("signature bits"),
    }
    .to_der()
    .expect("encode certificate")
}

fn ca_certificate(
    key: &KeyPair,
    name: &Name,
    issuer_key: &KeyPair,
    issuer_name: &Name,
    path_len: Option<u8>,
    not_before: u64,
    not_after: u64,
) -> Vec<u8> {
    let extensions = vec![
        typed_extension(&KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign), true),
        typed_extension(
            &BasicConstraints {
                ca: true,
                path_len_constraint: path_len,
            },
            true,
        ),
    ];
    let tbs = tbs_certificate(
        key,
        name.clone(),
        issuer_name,
        not_before,
        not_after,
        extensions,
    );
    sign_certificate(tbs, issuer_key)
}

/// The leaf's extensions, without the SCT (that is added once the
/// precertificate TBS is known).
fn leaf_extensions(opts: &Signing) -> Vec<Extension> {
    let key_usage = match opts.usage {
        LeafUsage::NoDigitalSignature => KeyUsage(KeyUsages::KeyEncipherment.into()),
        _ => KeyUsage(KeyUsages::DigitalSignature.into()),
    };
    let mut extensions = vec![typed_extension(&key_usage, true)];
    match opts.usage {
        LeafUsage::CodeSigning | LeafUsage::NoDigitalSignature => extensions.push(typed_extension(
            &ExtendedKeyUsage(vec![oid(OID_KP_CODE_SIGNING)]),
            false,
        )),
        LeafUsage::ServerAuthEku => extensions.push(typed_extension(
            &ExtendedKeyUsage(vec![oid(OID_KP_SERVER_AUTH)]),
            false,
        )),
        LeafUsage::NoEku => {}
    }

    let general_name = match &opts.identity.san {
        San::Uri(uri) => {
            GeneralName::UniformResourceIdentifier(Ia5String::new(uri).expect("ASCII SAN URI"))
        }
        San::Email(email) => GeneralName::Rfc822Name(Ia5String::new(email).expect("ASCII email")),
    };
    // Critical because the subject is empty (RFC 5280 §4.2.1.6), as Fulcio does.
    extensions.push(typed_extension(&SubjectAltName(vec![general_name]), true));

    for (arc, value) in opts.identity.fulcio_extension_values() {
        extensions.push(raw_extension(&format!("{FULCIO_ARC}.{arc}"), false, value));
    }
    for extra in &opts.extra_extensions {
        extensions.push(raw_extension(
            &extra.oid,
            extra.critical,
            extra.value.clone(),
        ));
    }
    extensions
}

// ---------------------------------------------------------------------------
// Certificate Transparency (RFC 6962)
// ---------------------------------------------------------------------------

/// TLS `SignatureAndHashAlgorithm` {sha256(4), ecdsa(3)}.
const TLS_ECDSA_SHA256: [u8; 2] = [4, 3];

/// The TLS-encoded `SignedCertificateTimestampList` holding one SCT, signed by
/// `ct_log` over the precertificate entry.
fn signed_sct_list(
    ct_log: &LogKey,
    timestamp_ms: u64,
    issuer_key_hash: &[u8; 32],
    precert_tbs: &[u8],
) -> Vec<u8> {
    // digitally-signed struct (RFC 6962 §3.2), for a precert_entry:
    // version, signature_type = certificate_timestamp, timestamp,
    // entry_type = precert_entry, issuer_key_hash, opaque<1..2^24-1> TBS,
    // opaque<0..2^16-1> extensions.
    let mut signed = vec![0u8, 0u8];
    signed.extend_from_slice(&timestamp_ms.to_be_bytes());
    signed.extend_from_slice(&1u16.to_be_bytes());
    signed.extend_from_slice(issuer_key_hash);
    let tbs_len = u32::try_from(precert_tbs.len()).expect("TBS length");
    signed.extend_from_slice(&tbs_len.to_be_bytes()[1..]);
    signed.extend_from_slice(precert_tbs);
    signed.extend_from_slice(&0u16.to_be_bytes());
    let signature = ct_log.sign(&signed);

    // SignedCertificateTimestamp: version, LogID, timestamp, extensions,
    // DigitallySigned { algorithm, opaque<0..2^16-1> signature }.
    let mut sct = vec![0u8];
    sct.extend_from_slice(&ct_log.key_id);
    sct.extend_from_slice(&timestamp_ms.to_be_bytes());
    sct.extend_from_slice(&0u16.to_be_bytes());
    sct.extend_from_slice(&TLS_ECDSA_SHA256);
    push_u16_prefixed(&mut sct, &signature);

    // SerializedSCT opaque<1..2^16-1> inside the list's opaque<1..2^16-1>.
    let mut serialized = Vec::new();
    push_u16_prefixed(&mut serialized, &sct);
    let mut list = Vec::new();
    push_u16_prefixed(&mut list, &serialized);
    list
}

fn push_u16_prefixed(out: &mut Vec<u8>, data: &[u8]) {
    let len = u16::try_from(data.len()).expect("TLS opaque<2^16> length");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(data);
}

// ---------------------------------------------------------------------------
// DSSE and Rekor
// ---------------------------------------------------------------------------

/// DSSE v1 Pre-Authentication Encoding.
pub fn dsse_pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut pae = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    pae.extend_from_slice(payload);
    pae
}

fn certificate_pem(der: &[u8]) -> String {
    Certificate::from_der(der)
        .and_then(|c| c.to_pem(LineEnding::LF))
        .expect("encode certificate PEM")
}

/// Rekor `dsse/0.0.1` canonicalized body. `sigstore-verify` checks
/// `payloadHash` (hex) and the single signature/verifier; `envelopeHash` is
/// not checkable (Rekor hashes the client's exact envelope bytes), so it is
/// the hash of the compact envelope JSON here. serde_json sorts keys, giving
/// the same canonical (sorted, compact) form Rekor stores.
fn dsse_rekor_body(statement: &[u8], signature: &[u8], certificate_der: &[u8]) -> Vec<u8> {
    let envelope = serde_json::to_vec(&json!({
        "payload": B64.encode(statement),
        "payloadType": INTOTO_PAYLOAD_TYPE,
        "signatures": [{ "sig": B64.encode(signature) }],
    }))
    .expect("serialize envelope");
    serde_json::to_vec(&json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": { "algorithm": "sha256", "value": sha256_hex(&envelope) },
            "payloadHash": { "algorithm": "sha256", "value": sha256_hex(statement) },
            "signatures": [{
                "signature": B64.encode(signature),
                "verifier": B64.encode(certificate_pem(certificate_der)),
            }],
        },
    }))
    .expect("serialize dsse body")
}

/// Rekor `hashedrekord/0.0.1` canonicalized body.
fn hashedrekord_body(digest: &[u8; 32], signature: &[u8], certificate_der: &[u8]) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": { "hash": { "algorithm": "sha256", "value": hex::encode(digest) } },
            "signature": {
                "content": B64.encode(signature),
                "publicKey": { "content": B64.encode(certificate_pem(certificate_der)) },
            },
        },
    }))
    .expect("serialize hashedrekord body")
}

/// One Rekor v1 `TransparencyLogEntry` in protobuf-JSON (camelCase, int64 as
/// strings), as PyPI serves it.
fn tlog_entry(
    log: &LogKey,
    body: &[u8],
    kind: &str,
    log_index: u64,
    leaf_index: usize,
    opts: &Signing,
) -> Value {
    let integrated_time = opts.effective_integrated_time();
    let body_b64 = B64.encode(body);

    let mut entry = json!({
        "logIndex": log_index.to_string(),
        "logId": { "keyId": B64.encode(log.key_id) },
        "kindVersion": { "kind": kind, "version": "0.0.1" },
        "integratedTime": integrated_time.to_string(),
        "canonicalizedBody": body_b64,
    });

    if opts.include_set {
        // The SET is Rekor's signature over the RFC 8785 canonical JSON of
        // {body, integratedTime, logID (hex), logIndex}. Keys are already in
        // canonical order and the values need no escaping, so a format string
        // is the canonical form.
        let payload = format!(
            r#"{{"body":"{body_b64}","integratedTime":{integrated_time},"logID":"{}","logIndex":{log_index}}}"#,
            hex::encode(log.key_id)
        );
        entry["inclusionPromise"] =
            json!({ "signedEntryTimestamp": B64.encode(log.sign(payload.as_bytes())) });
    }

    if opts.include_inclusion_proof {
        // A small tree with our entry at `leaf_index` among filler leaves.
        let leaves: Vec<[u8; 32]> = (0..TREE_SIZE)
            .map(|i| {
                if i == leaf_index {
                    merkle_leaf(body)
                } else {
                    merkle_leaf(format!("filler leaf {i} of entry {log_index}").as_bytes())
                }
            })
            .collect();
        let root = merkle_root(&leaves);
        let hashes: Vec<String> = merkle_path(leaf_index, &leaves)
            .iter()
            .map(|h| B64.encode(h))
            .collect();
        entry["inclusionProof"] = json!({
            "logIndex": leaf_index.to_string(),
            "rootHash": B64.encode(root),
            "treeSize": TREE_SIZE.to_string(),
            "hashes": hashes,
            "checkpoint": { "envelope": signed_checkpoint(log, TREE_SIZE, &root) },
        });
    }
    entry
}

/// A signed note: body "origin\nsize\nbase64(root)\n", a blank line, then
/// "— origin base64(keyhint || signature)". The key hint is the first four
/// bytes of the log ID.
fn signed_checkpoint(log: &LogKey, tree_size: usize, root: &[u8; 32]) -> String {
    let body = format!("{REKOR_ORIGIN}\n{tree_size}\n{}\n", B64.encode(root));
    let mut signature = log.key_id[..4].to_vec();
    signature.extend_from_slice(&log.sign(body.as_bytes()));
    let name = REKOR_ORIGIN.split(' ').next().unwrap_or(REKOR_ORIGIN);
    format!("{body}\n\u{2014} {name} {}\n", B64.encode(signature))
}

/// RFC 6962 leaf hash.
fn merkle_leaf(data: &[u8]) -> [u8; 32] {
    let mut buf = vec![0u8];
    buf.extend_from_slice(data);
    sha256(&buf)
}

/// RFC 6962 interior node hash.
fn merkle_node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut buf = vec![1u8];
    buf.extend_from_slice(left);
    buf.extend_from_slice(right);
    sha256(&buf)
}

/// Largest power of two strictly less than `n` (n >= 2).
fn split_point(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// RFC 6962 §2.1 Merkle Tree Hash over leaf hashes.
fn merkle_root(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves.len() {
        0 => sha256(&[]),
        1 => leaves[0],
        n => {
            let k = split_point(n);
            merkle_node(&merkle_root(&leaves[..k]), &merkle_root(&leaves[k..]))
        }
    }
}

/// RFC 6962 §2.1.1 audit path for leaf `m`, leaf-to-root order.
fn merkle_path(m: usize, leaves: &[[u8; 32]]) -> Vec<[u8; 32]> {
    let n = leaves.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = split_point(n);
    if m < k {
        let mut path = merkle_path(m, &leaves[..k]);
        path.push(merkle_root(&leaves[k..]));
        path
    } else {
        let mut path = merkle_path(m - k, &leaves[k..]);
        path.push(merkle_root(&leaves[..k]));
        path
    }
}

// ---------------------------------------------------------------------------
// Time formatting
// ---------------------------------------------------------------------------

/// RFC 3339 UTC timestamp ("2025-06-01T12:00:00Z") for the trust root.
fn rfc3339(secs: u64) -> String {
    x509_cert::der::DateTime::from_unix_duration(Duration::from_secs(secs))
        .expect("DateTime range")
        .to_string()
}
