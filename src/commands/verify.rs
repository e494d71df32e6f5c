//! `pyprov verify FILE...`: each file against its provenance, offline.

use std::path::{Path, PathBuf};

use std::sync::Arc;

use crate::cli::{Format, VerifyArgs};
use crate::error::{exit, CliError};
use crate::files::{self, LocalProvenance};
use crate::judge::{Evidence, FileRef, Judge};
use crate::output::{self, FileReport};
use crate::trust::policy::{Observed, Verdict};
use crate::trust::{self, Policy, TrustFile};
use crate::verify::{Artifact, Engine, Expectation, Failure, PublisherSpec, Reason, Verified};
use crate::vocab::Sha256;

pub fn run(args: &VerifyArgs) -> Result<u8, CliError> {
    let engine = crate::files::load_engine(args.trusted_root.as_deref())?;
    if !has_explicit_expectation(args) {
        return run_with_policy(args, engine);
    }
    let expect = expectation(args)?;
    let explicit = explicit_sources(args);
    let mut reports = Vec::with_capacity(args.files.len());
    for file in &args.files {
        let (sha256, sources, provenance) = read_file_and_provenance(file, explicit.as_deref())?;
        let name = files::file_name(file);
        let outcome = match provenance {
            Evidence::None => Err(no_provenance(file)),
            Evidence::Unreadable(f) => Err(f),
            Evidence::Document(doc) => engine.verify(
                Artifact {
                    name: &name,
                    sha256: sha256.as_bytes(),
                },
                &doc,
                &expect,
            ),
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
fn run_with_policy(args: &VerifyArgs, engine: Engine) -> Result<u8, CliError> {
    let cwd = std::env::current_dir().map_err(CliError::WorkingDirectory)?;
    let trust_file = TrustFile::discover(&cwd, args.trust.trust_file.as_deref())?;
    let mut policy = trust_file
        .as_ref()
        .map_or_else(Policy::without_trust_file, |t| t.policy().clone());
    policy.locked = trust::resolve_locked(args.trust.locked);
    trust::require_when_locked(trust_file.is_some(), &cwd, policy.locked, args.trust.locked)?;
    let mut judge = Judge::new(Arc::new(engine), policy, trust_file);

    let explicit = explicit_sources(args);
    let mut reports = Vec::with_capacity(args.files.len());
    for file in &args.files {
        let (sha256, sources, evidence) = read_file_and_provenance(file, explicit.as_deref())?;
        let name = files::file_name(file);
        let mut judged = [judge.judge(&name, &sha256, &evidence)];
        // A pin that cannot be written fails the command: `verify` promised to pin.
        for settled in judge.settle(&mut judged) {
            let raced = settled.raced();
            settled.outcome?;
            if raced {
                // Another process pinned it first: the report shows the file verified against
                // that pin (its environment check, the engine's own reason), as the decision is.
                let [first] = &mut judged;
                first.observed = judge.judge(&name, &sha256, &evidence).observed;
            }
        }
        let [judgement] = judged;
        let mut report = FileReport::new(
            file,
            &sha256,
            &sources,
            observed_outcome(file, &judgement.observed),
        );
        if let Observed::IdentityMismatch { actual, .. } = &judgement.observed {
            // Say who really signed, not only that it was someone else.
            report.identity = Some(actual.identity.clone());
            report.publisher = actual.publisher.as_ref().map(ToString::to_string);
        }
        report.decision = Some(judgement.decision);
        reports.push(report);
    }
    let source = judge.trust().map(TrustFile::path);
    match args.format {
        Format::Json => output::print_json_with_trust(&reports, source),
        Format::Text => output::print_decisions(&reports, judge.policy()),
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

/// The file's sha256, where its provenance came from, and the parsed provenance (a parse
/// failure is a verdict, an unreadable file an error).
type FileAndProvenance = (Sha256, Vec<PathBuf>, Evidence);

pub fn read_file_and_provenance(
    file: &Path,
    explicit: Option<&[PathBuf]>,
) -> Result<FileAndProvenance, CliError> {
    let sha256 = Sha256::from_bytes(files::sha256_file(file)?);
    let found = LocalProvenance { explicit }.find_now(FileRef {
        name: &files::file_name(file),
        path: Some(file),
    })?;
    let evidence = match &found.documents {
        None => Evidence::None,
        Some(bytes) => Evidence::parse_files(bytes, &found.paths),
    };
    Ok((sha256, found.paths, evidence))
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
            .map_err(|err| CliError::usage(err.to_string()))?;
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
            CliError::usage_with_fix(
                format!("{} is not a PEM public key: {err}", path.display()),
                "pass the signer's public key as PEM (-----BEGIN PUBLIC KEY-----)",
            )
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
