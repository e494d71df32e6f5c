//! `pyprov verify FILE...`: each file against its provenance, offline.

use std::path::{Path, PathBuf};

use crate::cli::{Format, VerifyArgs};
use crate::error::{exit, CliError};
use crate::files;
use crate::output::{self, FileReport};
use crate::trust::policy::{self, Observed, Verdict};
use crate::trust::{self, PackageEntry, PinOutcome, Policy, TrustFile};
use crate::verify::distname;
use crate::verify::document::Document;
use crate::verify::{Artifact, Engine, Expectation, Failure, PublisherSpec, Reason, Verified};

pub fn run(args: &VerifyArgs) -> Result<u8, CliError> {
    let engine = crate::files::load_engine(args.trusted_root.as_deref())?;
    if !has_explicit_expectation(args) {
        return run_with_policy(args, &engine);
    }
    let expect = expectation(args)?;
    let explicit = explicit_sources(args);
    let mut reports = Vec::with_capacity(args.files.len());
    for file in &args.files {
        let (sha256, sources, provenance) = read_file_and_provenance(file, explicit.as_deref())?;
        let name = files::file_name(file);
        let outcome = match provenance {
            None => Err(no_provenance(file)),
            Some(doc) => doc.and_then(|doc| {
                engine.verify(
                    Artifact {
                        name: &name,
                        sha256: &sha256,
                    },
                    &doc,
                    &expect,
                )
            }),
        };
        reports.push(FileReport::new(file, &sha256, &sources, outcome));
    }
    match args.format {
        Format::Json => output::print_json_with_trust(&reports, None),
        Format::Text => output::print_text(&reports, &expect),
    }
    Ok(if reports.iter().all(FileReport::passed) {
        exit::OK
    } else {
        exit::FAILED
    })
}

/// An expectation on the command line replaces the trust policy for this run.
fn has_explicit_expectation(args: &VerifyArgs) -> bool {
    let e = &args.expect;
    !e.publisher.is_empty() || e.identity.is_some() || e.key.is_some()
}

/// `verify` without an explicit expectation: each file's package (from its name) is judged by
/// the trust file, or by the defaults when there is none. With `tofu = true` and not locked, a
/// verified file of a package with no publisher pins it, as the installer will.
fn run_with_policy(args: &VerifyArgs, engine: &Engine) -> Result<u8, CliError> {
    let cwd = std::env::current_dir()
        .map_err(|e| CliError::Usage(format!("cannot read the working directory: {e}")))?;
    let mut trust_file = TrustFile::discover(&cwd, args.trust.trust_file.as_deref())?;
    let mut policy = trust_file
        .as_ref()
        .map_or_else(Policy::without_trust_file, |t| t.policy().clone());
    policy.locked = trust::resolve_locked(args.trust.locked);

    let explicit = explicit_sources(args);
    let mut reports = Vec::with_capacity(args.files.len());
    for file in &args.files {
        let (sha256, sources, provenance) = read_file_and_provenance(file, explicit.as_deref())?;
        let name = files::file_name(file);
        let artifact = Artifact {
            name: &name,
            sha256: &sha256,
        };
        let project = distname::parse(&name).map(|d| d.project().to_string());
        let (observed, decision) = match (&project, &trust_file) {
            (Err(_), Some(_)) => {
                let observed = observe_file(engine, artifact, &provenance, None);
                (observed, policy::not_a_distribution(&name, &policy))
            }
            _ => {
                // Without a trust file a file need not be a distribution: it is judged by the
                // defaults under its own name.
                let package = project.as_deref().unwrap_or(&name);
                let entry = trust_file.as_ref().and_then(|t| t.entry(package)).cloned();
                let observed = observe_file(engine, artifact, &provenance, entry.as_ref());
                let decision = policy::decide(package, entry.as_ref(), &policy, &observed);
                match (&decision.pin, trust_file.as_mut()) {
                    (Some(pin), Some(tf)) if !policy.locked => {
                        match tf.pin(package, &pin.publisher, pin.environment.as_deref())? {
                            PinOutcome::AlreadyPinned(e) => {
                                // Another process pinned it first: judge by its pin.
                                let observed =
                                    observe_file(engine, artifact, &provenance, Some(&e));
                                let d = policy::decide_against_pin(package, &e, &policy, &observed);
                                (observed, d)
                            }
                            PinOutcome::Pinned(_) => (observed, decision),
                        }
                    }
                    _ => (observed, decision),
                }
            }
        };
        let mut report =
            FileReport::new(file, &sha256, &sources, observed_outcome(file, &observed));
        if let Observed::IdentityMismatch { actual, .. } = &observed {
            // Say who really signed, not only that it was someone else.
            report.identity = Some(actual.identity.clone());
            report.publisher = actual.publisher.as_ref().map(ToString::to_string);
        }
        report.decision = Some(decision);
        reports.push(report);
    }
    let source = trust_file.as_ref().map(TrustFile::path);
    match args.format {
        Format::Json => output::print_json_with_trust(&reports, source),
        Format::Text => output::print_decisions(&reports, &policy),
    }
    // `verify` is a check: it passes only when every file is allowed. A warning fails it too
    // (the installer installs a warned file and prints the warning), which keeps the exit
    // status of an unattested file what it was before trust files existed.
    let all_allowed = reports.iter().all(|r| {
        r.decision
            .as_ref()
            .is_some_and(|d| d.verdict == Verdict::Allow)
    });
    Ok(if all_allowed { exit::OK } else { exit::FAILED })
}

/// The file's sha256, where its provenance came from, and the parsed provenance (None when
/// there is none; a parse failure is a verdict, an unreadable file an error).
type FileAndProvenance = ([u8; 32], Vec<PathBuf>, Option<Result<Document, Failure>>);

pub fn read_file_and_provenance(
    file: &Path,
    explicit: Option<&[PathBuf]>,
) -> Result<FileAndProvenance, CliError> {
    let sha256 = files::sha256_file(file)?;
    let sources = match explicit {
        Some(paths) => paths.to_vec(),
        None => files::sidecars(file),
    };
    let provenance = if sources.is_empty() {
        None
    } else {
        Some(load_document(&sources)?)
    };
    Ok((sha256, sources, provenance))
}

/// Verifies a file for the policy against its package's entry.
pub fn observe_file(
    engine: &Engine,
    artifact: Artifact<'_>,
    provenance: &Option<Result<Document, Failure>>,
    entry: Option<&PackageEntry>,
) -> Observed {
    match provenance {
        None => Observed::NoProvenance,
        Some(Err(f)) => Observed::Invalid(f.clone()),
        Some(Ok(doc)) => {
            policy::observe(engine, artifact, Some(doc), &policy::expectation_for(entry))
        }
    }
}

/// The verification outcome as the report shows it, whatever the policy made of it.
fn observed_outcome(file: &Path, observed: &Observed) -> Result<Verified, Failure> {
    match observed {
        Observed::Verified(v) => Ok(v.clone()),
        Observed::Invalid(f) | Observed::IdentityMismatch { failure: f, .. } => Err(f.clone()),
        Observed::NoProvenance => Err(no_provenance(file)),
    }
}

pub fn no_provenance(file: &Path) -> Failure {
    let name = files::file_name(file);
    Failure::new(
        Reason::NoProvenance,
        format!(
            "no provenance found next to {} (looked for {})",
            file.display(),
            files::SIDECARS.map(|s| format!("{name}{s}")).join(", ")
        ),
    )
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
    let bytes = files::read_provenance(paths)?;
    Ok(Document::parse(&bytes).map_err(|f| {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        Failure::new(f.reason, format!("{}: {}", names.join(", "), f.message))
    }))
}
