//! The in-toto statement inside a DSSE envelope: which files it names and what it claims.
//!
//! The DSSE signature is over these bytes, so they are read only after the signature verified;
//! the structural rules are PEP 740's (exactly one subject, known predicate types).

use serde::Deserialize;
use serde_json::Value;

use super::{distname, Failure, Reason};

pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
pub const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";
pub const PYPI_PUBLISH_V1: &str = "https://docs.pypi.org/attestations/publish/v1";
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";

#[derive(Debug, Clone, Deserialize)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub statement_type: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    #[serde(default)]
    pub predicate: Value,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Subject {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub digest: std::collections::BTreeMap<String, String>,
}

impl Statement {
    pub fn parse(payload: &[u8]) -> Result<Statement, Failure> {
        let s: Statement = serde_json::from_slice(payload).map_err(|e| {
            Failure::new(
                Reason::InvalidStatement,
                format!("the signed payload is not an in-toto statement: {e}"),
            )
        })?;
        if s.statement_type != STATEMENT_V1 && s.statement_type != STATEMENT_V01 {
            return Err(Failure::new(
                Reason::InvalidStatement,
                format!("unknown statement type {}", s.statement_type),
            ));
        }
        Ok(s)
    }

    /// PEP 740's rules for an attestation over a distribution file named `file_name`.
    pub fn check_pep740(&self, file_name: &str, sha256_hex: &str) -> Result<(), Failure> {
        if self.statement_type != STATEMENT_V1 {
            return Err(Failure::new(
                Reason::InvalidStatement,
                format!(
                    "a PEP 740 attestation must be an in-toto {STATEMENT_V1} statement, not {}",
                    self.statement_type
                ),
            ));
        }
        match self.predicate_type.as_str() {
            PYPI_PUBLISH_V1 => {
                let empty = self.predicate.is_null()
                    || self.predicate.as_object().is_some_and(|o| o.is_empty());
                if !empty {
                    return Err(Failure::new(
                        Reason::InvalidStatement,
                        "a publish/v1 attestation must have an empty predicate",
                    ));
                }
            }
            SLSA_PROVENANCE_V1 => {}
            other => {
                return Err(Failure::new(
                    Reason::UnsupportedPredicate,
                    format!("unknown predicate type {other}; PEP 740 allows {PYPI_PUBLISH_V1} and {SLSA_PROVENANCE_V1}"),
                ))
            }
        }
        let [subject] = self.subject.as_slice() else {
            return Err(Failure::new(
                Reason::InvalidStatement,
                format!(
                    "a PEP 740 attestation has exactly one subject; this one has {}",
                    self.subject.len()
                ),
            ));
        };
        let digest = subject.digest.get("sha256").map(String::as_str);
        if !digest.is_some_and(|d| d.eq_ignore_ascii_case(sha256_hex)) {
            return Err(Failure::new(
                Reason::DigestMismatch,
                format!(
                    "the attestation covers sha256 {}, the file is {sha256_hex}",
                    digest.unwrap_or("<none>")
                ),
            ));
        }
        if !distname::same_file(&subject.name, file_name) {
            return Err(Failure::new(
                Reason::SubjectNameMismatch,
                format!(
                    "the attestation is for `{}`, not `{file_name}`",
                    subject.name
                ),
            ));
        }
        Ok(())
    }
}
