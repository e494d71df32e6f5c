//! The provenance documents pyprov reads: PEP 740 attestation objects, PEP 740 provenance objects
//! (what PyPI's Integrity API serves) and Sigstore bundles v0.1 to v0.3.
//!
//! Parsing is strict about what is signed and lenient about unknown keys, as PEP 740 asks. A PEP
//! 740 attestation is turned into a Sigstore bundle v0.3 built here from its parts: the bundle's
//! media type is unsigned, so it is never copied from input.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Value};
use sigstore_verify::types::Bundle;

use super::{Failure, Reason};

/// Provenance documents larger than this are refused before parsing. Real attestations are about
/// 10 KiB and a provenance object holds a handful of them.
pub const MAX_DOCUMENT_BYTES: usize = 4 * 1024 * 1024;
/// Attestations in one provenance object, across all its bundles.
pub const MAX_ATTESTATIONS: usize = 64;

pub const INTOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
const BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// A parsed provenance document.
#[derive(Debug, Clone)]
pub enum Document {
    /// One PEP 740 attestation object.
    Attestation(Attestation),
    /// A PEP 740 provenance object: attestations grouped by the publisher PyPI recorded.
    Provenance(Vec<AttestationGroup>),
    /// A Sigstore bundle.
    Bundle(Box<Bundle>),
}

#[derive(Debug, Clone)]
pub struct AttestationGroup {
    /// The publisher block as served (absent for loose attestation files). It is not signed:
    /// it is only compared with the certificate.
    pub publisher: Option<Value>,
    pub attestations: Vec<Attestation>,
}

/// A PEP 740 attestation object, already mapped onto the Sigstore bundle it stands for.
#[derive(Debug, Clone)]
pub struct Attestation {
    pub bundle: Bundle,
}

#[derive(Deserialize)]
struct RawAttestation {
    version: Value,
    verification_material: RawMaterial,
    envelope: RawEnvelope,
}

#[derive(Deserialize)]
struct RawMaterial {
    certificate: String,
    transparency_entries: Vec<Value>,
    #[serde(default)]
    timestamps: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct RawEnvelope {
    statement: String,
    signature: String,
}

#[derive(Deserialize)]
struct RawProvenance {
    version: Value,
    attestation_bundles: Vec<RawGroup>,
}

#[derive(Deserialize)]
struct RawGroup {
    publisher: Value,
    attestations: Vec<Value>,
}

fn malformed(what: &str, e: impl std::fmt::Display) -> Failure {
    Failure::new(Reason::Malformed, format!("{what}: {e}"))
}

fn check_version(version: &Value, what: &str) -> Result<(), Failure> {
    if version.as_u64() == Some(1) {
        Ok(())
    } else {
        Err(Failure::new(
            Reason::UnsupportedVersion,
            format!("{what} has version {version}; pyprov understands version 1"),
        ))
    }
}

impl Document {
    /// Parses any supported document, deciding its kind from its keys.
    pub fn parse(bytes: &[u8]) -> Result<Document, Failure> {
        if bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(Failure::new(
                Reason::TooLarge,
                format!(
                    "the provenance document is {} bytes; the limit is {MAX_DOCUMENT_BYTES}",
                    bytes.len()
                ),
            ));
        }
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| malformed("not a JSON document", e))?;
        let Some(obj) = value.as_object() else {
            return Err(Failure::new(
                Reason::UnsupportedFormat,
                "the provenance document is not a JSON object",
            ));
        };
        if obj.contains_key("attestation_bundles") {
            Self::parse_provenance(value)
        } else if obj.contains_key("verification_material") || obj.contains_key("envelope") {
            Ok(Document::Attestation(Attestation::from_value(value)?))
        } else if obj.contains_key("mediaType") {
            Ok(Document::Bundle(Box::new(parse_bundle(&value)?)))
        } else if obj.contains_key("payloadType") && obj.contains_key("signatures") {
            Err(Failure::new(
                Reason::UnsupportedFormat,
                "this is a bare DSSE envelope with no transparency-log evidence; offline verification needs a Sigstore bundle (slsa-github-generator v2.1.0 and later publish one)",
            ))
        } else {
            Err(Failure::new(
                Reason::UnsupportedFormat,
                "not a PEP 740 attestation, PEP 740 provenance object or Sigstore bundle",
            ))
        }
    }

    fn parse_provenance(value: Value) -> Result<Document, Failure> {
        let raw: RawProvenance = serde_json::from_value(value)
            .map_err(|e| malformed("invalid PEP 740 provenance object", e))?;
        check_version(&raw.version, "the provenance object")?;
        let total: usize = raw
            .attestation_bundles
            .iter()
            .map(|g| g.attestations.len())
            .sum();
        if total == 0 {
            return Err(Failure::new(
                Reason::Malformed,
                "the provenance object holds no attestation",
            ));
        }
        if total > MAX_ATTESTATIONS {
            return Err(Failure::new(
                Reason::TooLarge,
                format!("the provenance object holds {total} attestations; the limit is {MAX_ATTESTATIONS}"),
            ));
        }
        let groups = raw
            .attestation_bundles
            .into_iter()
            .map(|g| {
                Ok(AttestationGroup {
                    // A null block (loose attestations combined) asserts nothing to compare.
                    publisher: Some(g.publisher).filter(|p| !p.is_null()),
                    attestations: g
                        .attestations
                        .into_iter()
                        .map(Attestation::from_value)
                        .collect::<Result<_, _>>()?,
                })
            })
            .collect::<Result<_, Failure>>()?;
        Ok(Document::Provenance(groups))
    }

    /// Every bundle in the document, in order.
    pub fn bundles(&self) -> Vec<&Bundle> {
        match self {
            Document::Attestation(a) => vec![&a.bundle],
            Document::Provenance(groups) => groups
                .iter()
                .flat_map(|g| g.attestations.iter().map(|a| &a.bundle))
                .collect(),
            Document::Bundle(b) => vec![b],
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Document::Attestation(_) => "PEP 740 attestation",
            Document::Provenance(_) => "PEP 740 provenance object",
            Document::Bundle(_) => "Sigstore bundle",
        }
    }
}

fn parse_bundle(value: &Value) -> Result<Bundle, Failure> {
    let media_type = value.get("mediaType").and_then(Value::as_str).unwrap_or("");
    if !media_type.starts_with("application/vnd.dev.sigstore.bundle") {
        return Err(Failure::new(
            Reason::UnsupportedFormat,
            format!("unknown media type `{media_type}`; expected a Sigstore bundle v0.1 to v0.3"),
        ));
    }
    check_tlog_entry_count(value.pointer("/verificationMaterial/tlogEntries"))?;
    let text = value.to_string();
    Bundle::from_json(&text).map_err(|e| classify_bundle_error(&e.to_string()))
}

fn classify_bundle_error(message: &str) -> Failure {
    if message.contains("media type") || message.contains("MediaType") {
        Failure::new(
            Reason::UnsupportedFormat,
            format!("unsupported Sigstore bundle: {message}"),
        )
    } else {
        malformed("invalid Sigstore bundle", message)
    }
}

/// Sigstore's verifier accepts several log entries and takes the first that verifies; PEP 740
/// and the bundle spec allow exactly one, and a second entry could smuggle in unverified data.
fn check_tlog_entry_count(entries: Option<&Value>) -> Result<(), Failure> {
    let n = entries.and_then(Value::as_array).map_or(0, Vec::len);
    if n == 1 {
        Ok(())
    } else {
        Err(Failure::new(
            Reason::TlogInvalid,
            format!("expected exactly one transparency log entry, found {n}"),
        ))
    }
}

const SUPPORTED_PEP740_LOG_ENTRIES: [(&str, &str); 2] = [("dsse", "0.0.1"), ("dsse", "0.0.2")];

impl Attestation {
    /// Parses one PEP 740 attestation object and builds its bundle.
    pub fn from_value(value: Value) -> Result<Attestation, Failure> {
        let raw: RawAttestation = serde_json::from_value(value)
            .map_err(|e| malformed("invalid PEP 740 attestation", e))?;
        check_version(&raw.version, "the attestation")?;
        let entries = raw.verification_material.transparency_entries;
        check_tlog_entry_count(Some(&Value::Array(entries.clone())))?;
        let kv = entries[0].get("kindVersion");
        let kind = kv.and_then(|k| k.get("kind")).and_then(Value::as_str);
        let version = kv.and_then(|k| k.get("version")).and_then(Value::as_str);
        match (kind, version) {
            (Some(k), Some(v)) if SUPPORTED_PEP740_LOG_ENTRIES.contains(&(k, v)) => {}
            (Some(k), Some(v)) => {
                return Err(Failure::new(
                    Reason::UnsupportedLogEntry,
                    format!("transparency log entries of kind {k} {v} cannot carry a PEP 740 attestation; expected dsse"),
                ))
            }
            _ => {
                return Err(Failure::new(
                    Reason::Malformed,
                    "the transparency log entry has no kindVersion",
                ))
            }
        }
        // Reject bad base64 here so the message names the field, not a bundle internals path.
        let b64 = base64::engine::general_purpose::STANDARD;
        for (field, v) in [
            ("certificate", &raw.verification_material.certificate),
            ("envelope.statement", &raw.envelope.statement),
            ("envelope.signature", &raw.envelope.signature),
        ] {
            b64.decode(v)
                .map_err(|e| malformed(&format!("attestation field {field} is not base64"), e))?;
        }
        let mut material = json!({
            "certificate": { "rawBytes": raw.verification_material.certificate },
            "tlogEntries": entries,
        });
        if let Some(ts) = raw
            .verification_material
            .timestamps
            .filter(|t| !t.is_empty())
        {
            let ts: Vec<Value> = ts
                .into_iter()
                .map(|t| json!({ "signedTimestamp": t }))
                .collect();
            material["timestampVerificationData"] = json!({ "rfc3161Timestamps": ts });
        }
        let bundle = json!({
            "mediaType": BUNDLE_V03,
            "verificationMaterial": material,
            "dsseEnvelope": {
                "payload": raw.envelope.statement,
                "payloadType": INTOTO_PAYLOAD_TYPE,
                "signatures": [{ "sig": raw.envelope.signature }],
            },
        });
        let bundle = Bundle::from_json(&bundle.to_string())
            .map_err(|e| malformed("invalid PEP 740 attestation", e))?;
        Ok(Attestation { bundle })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_non_documents() {
        for (input, reason) in [
            (&b"not json"[..], Reason::Malformed),
            (b"[]", Reason::UnsupportedFormat),
            (b"{}", Reason::UnsupportedFormat),
            (b"{\"mediaType\":\"text/plain\"}", Reason::UnsupportedFormat),
            (
                b"{\"payloadType\":\"x\",\"signatures\":[]}",
                Reason::UnsupportedFormat,
            ),
            (
                b"{\"version\":2,\"attestation_bundles\":[]}",
                Reason::UnsupportedVersion,
            ),
            (
                b"{\"version\":1,\"attestation_bundles\":[]}",
                Reason::Malformed,
            ),
            (b"{\"version\":1,\"envelope\":{}}", Reason::Malformed),
        ] {
            let err = Document::parse(input).unwrap_err();
            assert_eq!(err.reason, reason, "{}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn rejects_oversized_documents() {
        let big = vec![b' '; MAX_DOCUMENT_BYTES + 1];
        assert_eq!(Document::parse(&big).unwrap_err().reason, Reason::TooLarge);
    }
}
