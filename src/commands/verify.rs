//! `pyprov verify FILE...`: each file against its provenance, offline.

use std::path::{Path, PathBuf};

use crate::cli::{Format, VerifyArgs};
use crate::error::{exit, CliError};
use crate::files;
use crate::output::{self, FileReport};
use crate::verify::document::{AttestationGroup, Document};
use crate::verify::{Artifact, Engine, Expectation, Failure, PublisherSpec, Reason};

pub fn run(args: &VerifyArgs) -> Result<u8, CliError> {
    let engine = load_engine(args.trusted_root.as_deref())?;
    let expect = expectation(args)?;
    let explicit = explicit_sources(args);
    let mut reports = Vec::with_capacity(args.files.len());
    for file in &args.files {
        let sha256 = files::sha256_file(file)?;
        let sources = match &explicit {
            Some(paths) => paths.clone(),
            None => files::sidecars(file),
        };
        let name = files::file_name(file);
        let outcome = if sources.is_empty() {
            Err(Failure::new(
                Reason::NoProvenance,
                format!(
                    "no provenance found next to {} (looked for {})",
                    file.display(),
                    files::SIDECARS.map(|s| format!("{name}{s}")).join(", ")
                ),
            ))
        } else {
            load_document(&sources)?.and_then(|doc| {
                engine.verify(
                    Artifact {
                        name: &name,
                        sha256: &sha256,
                    },
                    &doc,
                    &expect,
                )
            })
        };
        reports.push(FileReport::new(file, &sha256, &sources, outcome));
    }
    match args.format {
        Format::Json => output::print_json(&reports),
        Format::Text => output::print_text(&reports, &expect),
    }
    Ok(if reports.iter().all(FileReport::passed) {
        exit::OK
    } else {
        exit::FAILED
    })
}

pub fn load_engine(trusted_root: Option<&Path>) -> Result<Engine, CliError> {
    match trusted_root {
        None => Engine::production().map_err(|e| CliError::TrustRoot {
            path: "<embedded production root>".into(),
            message: e.to_string(),
        }),
        Some(path) => {
            let bytes = files::read_document(path)?;
            let text = String::from_utf8(bytes).map_err(|_| CliError::TrustRoot {
                path: path.to_path_buf(),
                message: "not UTF-8 text".into(),
            })?;
            Engine::from_trusted_root_json(&text).map_err(|e| CliError::TrustRoot {
                path: path.to_path_buf(),
                message: e.to_string(),
            })
        }
    }
}

fn expectation(args: &VerifyArgs) -> Result<Expectation, CliError> {
    let e = &args.expect;
    if !e.publisher.is_empty() {
        let publishers = e
            .publisher
            .iter()
            .map(|s| s.parse::<PublisherSpec>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| CliError::Usage(err.to_string()))?;
        return Ok(Expectation::Publisher {
            publishers,
            environment: e.environment.clone(),
        });
    }
    if let (Some(san), Some(issuer)) = (&e.identity, &e.issuer) {
        return Ok(Expectation::Identity {
            san: san.clone(),
            issuer: issuer.clone(),
        });
    }
    if let Some(path) = &e.key {
        let bytes = files::read_document(path)?;
        let pem = String::from_utf8_lossy(&bytes);
        let key = sigstore_verify::types::DerPublicKey::from_pem(&pem).map_err(|err| {
            CliError::Usage(format!(
                "{} is not a PEM public key: {err}\n  fix: pass the signer's public key as PEM (-----BEGIN PUBLIC KEY-----)",
                path.display()
            ))
        })?;
        return Ok(Expectation::PublicKey(key));
    }
    Ok(Expectation::Anyone)
}

fn explicit_sources(args: &VerifyArgs) -> Option<Vec<PathBuf>> {
    let p = &args.provenance;
    if let Some(f) = p.provenance.as_ref().or(p.bundle.as_ref()) {
        return Some(vec![f.clone()]);
    }
    (!p.attestation.is_empty()).then(|| p.attestation.clone())
}

/// Reads and parses the provenance for one file. Unreadable files are input errors (exit 2);
/// unparseable content is a verification failure with a reason (exit 1).
pub fn load_document(paths: &[PathBuf]) -> Result<Result<Document, Failure>, CliError> {
    let mut docs = Vec::with_capacity(paths.len());
    for path in paths {
        let bytes = files::read_document(path)?;
        match Document::parse(&bytes) {
            Ok(doc) => docs.push(doc),
            Err(f) => {
                return Ok(Err(Failure::new(
                    f.reason,
                    format!("{}: {}", path.display(), f.message),
                )))
            }
        }
    }
    if docs.len() == 1 {
        return Ok(Ok(docs.remove(0)));
    }
    // Several files are loose attestations for the same artifact: all of them must verify.
    let mut attestations = Vec::with_capacity(docs.len());
    for (doc, path) in docs.into_iter().zip(paths) {
        match doc {
            Document::Attestation(a) => attestations.push(a),
            other => {
                return Ok(Err(Failure::new(
                    Reason::UnsupportedFormat,
                    format!(
                        "{} is a {}; only PEP 740 attestations can be combined",
                        path.display(),
                        other.kind()
                    ),
                )))
            }
        }
    }
    Ok(Ok(Document::Provenance(vec![AttestationGroup {
        publisher: None,
        attestations,
    }])))
}
