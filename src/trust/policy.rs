//! The decision for one file: the package's trust-file entry (if any), the policy, and what
//! verification observed in; allow, warn or deny out, with a stable code, a sentence, and what
//! the user can do about it. No I/O happens here: the CLI and the installer decide the same way.

use serde::Serialize;

use super::{Cooldown, PackageEntry, Policy, Unattested};
use crate::verify::{
    Artifact, Document, Engine, Expectation, Failure, PublisherSpec, Reason, Verified,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    /// Allowed, but the user should act (the exit status stays 0).
    Warn,
    Deny,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Warn => "warn",
            Verdict::Deny => "deny",
        }
    }
}

/// Why a decision was made. The kebab-case names are a stable interface (JSON output,
/// documentation in docs/trust-file.md, the installer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    /// Verified, and signed by a publisher the trust file allows (or, without a trust file, by
    /// the publisher the index reported).
    Allowed,
    /// Verified, the package had no publisher, and trust on first use pinned the signer.
    PinnedOnFirstUse,
    /// Verified, but signed by another publisher than the trust file names.
    PublisherChanged,
    /// Verified and signed by the expected publisher, but from another deployment environment.
    EnvironmentChanged,
    /// Verified and signed by the expected publisher, but the entry names a deployment
    /// environment and the certificate records none, so it is not proven: a warning, or a
    /// denial under `require-environment-proof`.
    EnvironmentUnproven,
    /// Provenance is present but does not verify. Denied whatever the policy says.
    ProvenanceInvalid,
    UnattestedDenied,
    UnattestedWarned,
    UnattestedAllowed,
    /// The package names a publisher, and this file has no provenance at all.
    AttestationDowngrade,
    /// Verified, but the package has no publisher in the trust file and none was pinned
    /// (denied under `--locked`, a warning otherwise).
    UnknownPackage,
    /// A trust file is in effect and the file name is not a wheel or sdist, so there is no
    /// package to judge it by.
    NotADistribution,
    /// The file or its provenance could not be fetched (network, index errors, a hash the
    /// index advertised that the bytes do not have). Nothing unfetched is ever allowed.
    FetchFailed,
    /// Verified, but signed by none of the publishers the lock (pylock.toml) names in the
    /// package's `attestation-identities`.
    LockIdentityMismatch,
    /// A lock's file whose bytes are not the ones the lock names (another sha256 or size).
    LockMismatch,
    /// pip tried to reach something around pyprov's gate (an https tunnel, a host other than
    /// the gate, a VCS checkout): refused, since pyprov cannot see or verify those bytes.
    OutsideGate,
    /// A hash-pinned requirement names a file uploaded after its package's cooldown cutoff.
    TooNew,
    /// A file pyprov picked itself (a hash-pinned requirement, a lock) is under a cooldown and
    /// its index gives no upload time, so it cannot be shown to be old enough (fail closed).
    NoUploadTime,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Allowed => "allowed",
            Code::PinnedOnFirstUse => "pinned-on-first-use",
            Code::PublisherChanged => "publisher-changed",
            Code::EnvironmentChanged => "environment-changed",
            Code::EnvironmentUnproven => "environment-unproven",
            Code::ProvenanceInvalid => "provenance-invalid",
            Code::UnattestedDenied => "unattested-denied",
            Code::UnattestedWarned => "unattested-warned",
            Code::UnattestedAllowed => "unattested-allowed",
            Code::AttestationDowngrade => "attestation-downgrade",
            Code::UnknownPackage => "unknown-package",
            Code::NotADistribution => "not-a-distribution",
            Code::FetchFailed => "fetch-failed",
            Code::OutsideGate => "outside-gate",
            Code::TooNew => "too-new",
            Code::NoUploadTime => "no-upload-time",
            Code::LockIdentityMismatch => "lock-identity-mismatch",
            Code::LockMismatch => "lock-mismatch",
        }
    }

    /// Every code, for documentation and tests.
    pub const ALL: [Code; 18] = [
        Code::Allowed,
        Code::PinnedOnFirstUse,
        Code::PublisherChanged,
        Code::EnvironmentChanged,
        Code::EnvironmentUnproven,
        Code::ProvenanceInvalid,
        Code::UnattestedDenied,
        Code::UnattestedWarned,
        Code::UnattestedAllowed,
        Code::AttestationDowngrade,
        Code::UnknownPackage,
        Code::NotADistribution,
        Code::FetchFailed,
        Code::OutsideGate,
        Code::TooNew,
        Code::NoUploadTime,
        Code::LockIdentityMismatch,
        Code::LockMismatch,
    ];
}

/// A publisher the caller should pin the package to (trust on first use). `decide` only asks;
/// writing the file is the caller's job, because only the caller knows whether it may write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub publisher: PublisherSpec,
    pub environment: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub verdict: Verdict,
    pub code: Code,
    /// What was found, for people.
    pub message: String,
    /// What to do: a command to run or a line of the trust file to change.
    pub fix: String,
    /// The verification failure behind `provenance-invalid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    #[serde(skip)]
    pub pin: Option<Pin>,
}

impl Decision {
    fn new(verdict: Verdict, code: Code, message: String, fix: String) -> Decision {
        Decision {
            verdict,
            code,
            message,
            fix,
            reason: None,
            pin: None,
        }
    }

    pub fn denied(&self) -> bool {
        self.verdict == Verdict::Deny
    }
}

/// What verification found for one file.
#[derive(Debug, Clone)]
pub enum Observed {
    /// The file carries no provenance at all.
    NoProvenance,
    /// Provenance is present but broken: cryptography, format, subject, or the index's
    /// publisher record contradicting the certificate.
    Invalid(Failure),
    /// Verified, and the signer matched [`expectation_for`] the package's entry.
    Verified(Verified),
    /// Verified cryptographically, but signed by someone the entry does not name. `actual` is
    /// the result of verifying again without an expectation, so messages can say who signed.
    IdentityMismatch { failure: Failure, actual: Verified },
}

/// What the signer must be for a package: any of its entry's publishers, else anyone (every
/// cryptographic check still runs, and a PEP 740 provenance object's publisher block must agree
/// with the certificate).
pub fn expectation_for(entry: Option<&PackageEntry>) -> Expectation {
    match entry {
        Some(e) if e.is_pinned() => Expectation::Publisher {
            publishers: e.publishers.clone(),
            environment: e.environment.clone(),
        },
        _ => Expectation::Anyone,
    }
}

/// Verifies `doc` (None: no provenance) over `artifact` against `expect`, and tells a broken
/// attestation apart from a valid one by another publisher. A document that failed to parse is
/// `Observed::Invalid` with the parser's failure; the caller makes that one.
pub fn observe(
    engine: &Engine,
    artifact: Artifact<'_>,
    doc: Option<&Document>,
    expect: &Expectation,
) -> Observed {
    let Some(doc) = doc else {
        return Observed::NoProvenance;
    };
    match engine.verify(artifact, doc, expect) {
        Ok(v) => Observed::Verified(v),
        Err(failure)
            if matches!(
                failure.reason,
                Reason::IdentityMismatch | Reason::EnvironmentMismatch
            ) && !matches!(expect, Expectation::Anyone) =>
        {
            // The expectation is checked after every cryptographic check, so this verifies
            // unless the document is broken in a way the first pass did not reach.
            match engine.verify(artifact, doc, &Expectation::Anyone) {
                Ok(actual) => Observed::IdentityMismatch { failure, actual },
                Err(f) => Observed::Invalid(f),
            }
        }
        Err(f) => Observed::Invalid(f),
    }
}

/// The decision for one file of `package` (any spelling). `entry` is the package's trust-file
/// entry, `policy` the effective policy (`Policy::without_trust_file()` when there is none).
pub fn decide(
    package: &str,
    entry: Option<&PackageEntry>,
    policy: &Policy,
    observed: &Observed,
) -> Decision {
    let ctx = Ctx {
        package,
        entry,
        policy,
    };
    match observed {
        Observed::Invalid(f) => ctx.invalid(f),
        Observed::NoProvenance => ctx.unattested(),
        Observed::IdentityMismatch { failure, actual } => match entry {
            Some(e) if e.is_pinned() => ctx.mismatch(e, failure, actual),
            // Nothing was expected of the signer, so this failure is not about a publisher.
            _ => ctx.invalid(failure),
        },
        Observed::Verified(v) => match entry {
            Some(e) if e.is_pinned() => match matched(e, v) {
                Ok(()) => ctx.allowed(e, v),
                Err(failure) => ctx.mismatch(e, &failure, v),
            },
            _ => ctx.first_seen(v),
        },
    }
}

/// The decision for a file whose package was about to be pinned on first use, when the trust
/// file turned out to pin it already (another process pinned it between this run reading the
/// file and writing it): `decide` against that pin, saying so. A file signed by someone else
/// than the pin names is refused like any other `publisher-changed`.
pub fn decide_against_pin(
    package: &str,
    pin: &PackageEntry,
    policy: &Policy,
    observed: &Observed,
) -> Decision {
    let mut d = decide(package, Some(pin), policy, observed);
    d.message.push_str(&format!(
        " ({}:{} was pinned by another process while this one verified the file)",
        trust_file_name(policy),
        pin.line
    ));
    d
}

/// The decision for a file whose name is not a wheel or sdist while a trust file is in effect.
pub fn not_a_distribution(file_name: &str, policy: &Policy) -> Decision {
    Decision::new(
        Verdict::Deny,
        Code::NotADistribution,
        format!(
            "{file_name} is not a wheel or sdist file name, so {} cannot say who may publish it",
            trust_file_name(policy)
        ),
        "verify it against an explicit publisher with `pyprov verify FILE --publisher SPEC`, or rename it to its distribution file name".into(),
    )
}

/// The decision for a file that could not be fetched, or whose bytes are not what the index
/// advertised: denied, since nothing unverified reaches pip.
pub fn fetch_failed(file_name: &str, why: &str) -> Decision {
    Decision::new(
        Verdict::Deny,
        Code::FetchFailed,
        format!("{file_name} could not be fetched and verified: {why}"),
        "check the index and the network, then run the command again; pyprov retries server errors and dropped connections by itself".into(),
    )
}

/// The decision for a lock's file whose bytes are not the ones the lock names (`why`: its
/// sha256 or size, and the lock's): denied, and not a network problem.
pub fn lock_mismatch(file_name: &str, lock: &str, why: &str) -> Decision {
    Decision::new(
        Verdict::Deny,
        Code::LockMismatch,
        format!("{file_name} is not the file {lock} names: {why}"),
        "do not install it; the file is not the one the lock names: lock again if it changed on purpose".into(),
    )
}

/// The decision for something pip tried to fetch around the gate, or a source pyprov cannot
/// confine (a VCS checkout): denied, since no byte of it could be verified.
pub fn outside_gate(what: &str, why: &str) -> Decision {
    Decision::new(
        Verdict::Deny,
        Code::OutsideGate,
        format!("{what}: {why}"),
        "name the file up front (a requirement `NAME @ URL`, or `-f` with a directory or page that lists it) so pyprov fetches and decides it, or build a wheel and install it from a local path".into(),
    )
}

/// Whether a cooldown whose cutoff is `cutoff` keeps a file uploaded at `uploaded` from pip,
/// and why, in the one wording of [`too_new`] and [`no_upload_time`]: only a file uploaded
/// strictly before the cutoff passes (as pip's `--uploaded-prior-to` compares), and one with no
/// known upload time never does (fail closed).
pub fn cooldown_holds(
    file_name: &str,
    package: &str,
    uploaded: Option<jiff::Timestamp>,
    cooldown: Cooldown,
    cutoff: jiff::Timestamp,
    policy: &Policy,
) -> Option<Decision> {
    match uploaded {
        None => Some(no_upload_time(file_name, package, cooldown, policy)),
        Some(t) if t >= cutoff => Some(too_new(file_name, package, t, cooldown, cutoff, policy)),
        Some(_) => None,
    }
}

/// The decision for a file a hash-pinned requirement names that was uploaded after its
/// package's cooldown cutoff: denied, naming the file, its upload time and the cutoff.
pub fn too_new(
    file_name: &str,
    package: &str,
    uploaded: jiff::Timestamp,
    cooldown: Cooldown,
    cutoff: jiff::Timestamp,
    policy: &Policy,
) -> Decision {
    let round = |t: jiff::Timestamp| t.round(jiff::Unit::Second).unwrap_or(t);
    // The cutoff is `now - cooldown`: the file passes once now is past `uploaded + cooldown`.
    let hours = i64::try_from(cooldown.hours()).unwrap_or(i64::MAX);
    let eligible = uploaded
        .checked_add(jiff::SignedDuration::from_hours(hours))
        .unwrap_or(jiff::Timestamp::MAX);
    Decision::new(
        Verdict::Deny,
        Code::TooNew,
        format!(
            "{file_name} was uploaded at {}, after the cutoff {} of {package}'s cooldown of {cooldown}",
            round(uploaded),
            round(cutoff)
        ),
        format!(
            "wait until {} and run again, pin an older release of {package}, or exempt it with `cooldown = false` in its entry of {}",
            round(eligible),
            trust_file_name(policy)
        ),
    )
}

/// The decision for a file pyprov picked itself (a hash-pinned requirement, a lock) whose
/// package is under a cooldown and whose index gives no upload time: denied (fail closed),
/// naming the file, since it cannot be shown to be older than the cutoff.
pub fn no_upload_time(
    file_name: &str,
    package: &str,
    cooldown: Cooldown,
    policy: &Policy,
) -> Decision {
    Decision::new(
        Verdict::Deny,
        Code::NoUploadTime,
        format!(
            "{file_name}: its index gives no upload time, so it cannot be shown to be older than {package}'s cooldown of {cooldown}"
        ),
        format!(
            "use an index that gives upload times (PEP 700 `upload-time`), or exempt {package} with `cooldown = false` in its entry of {}",
            trust_file_name(policy)
        ),
    )
}

/// The decision for a file whose index says it is old enough, while its verified attestation
/// was logged at `logged`, at or after its package's cooldown cutoff: an attestation is made
/// before its file is uploaded, so the file is younger than the index says. Denied as
/// `too-new`: the log's time is signed, the index's upload time is not.
pub fn logged_too_new(
    file_name: &str,
    package: &str,
    logged: jiff::Timestamp,
    cooldown: Cooldown,
    cutoff: jiff::Timestamp,
    policy: &Policy,
) -> Decision {
    let round = |t: jiff::Timestamp| t.round(jiff::Unit::Second).unwrap_or(t);
    Decision::new(
        Verdict::Deny,
        Code::TooNew,
        format!(
            "{file_name}: its attestation was logged at {}, after the cutoff {} of {package}'s cooldown of {cooldown}, so it is younger than its index's upload time says",
            round(logged),
            round(cutoff)
        ),
        format!(
            "wait until the cooldown has passed and run again, pin an older release of {package}, or exempt it with `cooldown = false` in its entry of {}",
            trust_file_name(policy)
        ),
    )
}

/// The decision for a file a lock selected whose certificate proves a signer none of the
/// lock's `attestation-identities` names (`expected`, described): denied, whatever the trust
/// file says, since the lock narrows who may publish and never widens it.
///
/// `signer` is who the certificate says signed; `publisher`, the same as a publisher SPEC when
/// it is one.
pub fn lock_identity_mismatch(
    file_name: &str,
    lock: &str,
    expected: &str,
    signer: &str,
    publisher: Option<&PublisherSpec>,
) -> Decision {
    let moved_to = publisher.map_or_else(|| signer.to_string(), ToString::to_string);
    Decision::new(
        Verdict::Deny,
        Code::LockIdentityMismatch,
        format!("{file_name}: {lock} expects it attested by {expected}, and it was signed by {signer}"),
        format!("do not install this file. If the package really moved to {moved_to}, check that, then lock again so that {lock} names the new publisher"),
    )
}

/// The decision for a file a lock selected that has no provenance while the lock names who
/// attests it: an attestation downgrade, denied whatever the unattested policy says.
pub fn lock_unattested(file_name: &str, lock: &str, expected: &str) -> Decision {
    Decision::new(
        Verdict::Deny,
        Code::AttestationDowngrade,
        format!("{file_name}: {lock} expects it attested by {expected}, and it has no provenance"),
        "do not install this file; if the index strips provenance (a mirror), pass --provenance-index with the upstream index".into(),
    )
}

/// Re-checks a verified signer against the entry, so a caller that verified with the wrong
/// expectation still cannot get an `allowed` for someone the entry does not name.
pub fn matched(entry: &PackageEntry, v: &Verified) -> Result<(), Failure> {
    if !entry
        .publishers
        .iter()
        .any(|p| p.check(&v.identity).is_ok())
    {
        return Err(Failure::new(
            Reason::IdentityMismatch,
            format!("signed by {}", v.identity.describe()),
        ));
    }
    match (&entry.environment, &v.identity.environment) {
        (Some(want), Some(have)) if want != have => Err(Failure::new(
            Reason::EnvironmentMismatch,
            format!("expected deployment environment {want}, certificate says {have}"),
        )),
        _ => Ok(()),
    }
}

struct Ctx<'a> {
    package: &'a str,
    entry: Option<&'a PackageEntry>,
    policy: &'a Policy,
}

impl Ctx<'_> {
    /// `pyprov.toml:12`, where the package's entry is.
    fn entry_at(&self, e: &PackageEntry) -> String {
        format!("{}:{}", trust_file_name(self.policy), e.line)
    }

    fn invalid(&self, f: &Failure) -> Decision {
        let mut d = Decision::new(
            Verdict::Deny,
            Code::ProvenanceInvalid,
            format!(
                "provenance is present but invalid: {} [{}]",
                f.message,
                f.reason.code()
            ),
            format!(
                "{}; a broken attestation is refused whatever the trust file says",
                f.reason.hint()
            ),
        );
        d.reason = Some(f.reason);
        d
    }

    fn mismatch(&self, e: &PackageEntry, failure: &Failure, actual: &Verified) -> Decision {
        let pkg = self.package;
        if failure.reason == Reason::EnvironmentMismatch {
            let have = actual.identity.environment.as_deref().unwrap_or("<none>");
            return Decision::new(
                Verdict::Deny,
                Code::EnvironmentChanged,
                format!(
                    "expected {} in deployment environment {}, signed by {}",
                    expected(e),
                    e.environment.as_deref().unwrap_or("<none>"),
                    signer(actual)
                ),
                format!(
                    "do not install this file unless {pkg}'s release process really moved to environment {have}; then change `environment` at {}",
                    self.entry_at(e)
                ),
            );
        }
        let fix = match &actual.publisher {
            Some(p) => format!(
                "do not install this file. If {pkg} really moved to {p}, vouch for it with `pyprov trust add {pkg} {p}` (or edit {})",
                self.entry_at(e)
            ),
            None => format!(
                "do not install this file; its signer is not a GitHub, GitLab or Google publisher, which is what {} expects",
                self.entry_at(e)
            ),
        };
        Decision::new(
            Verdict::Deny,
            Code::PublisherChanged,
            format!("expected {}, signed by {}", expected(e), signer(actual)),
            fix,
        )
    }

    fn allowed(&self, e: &PackageEntry, v: &Verified) -> Decision {
        let who = v.identity.describe();
        let at = self.entry_at(e);
        // Judged from the certificate itself, not from `v.environment`: that one only says
        // what the expectation `v` was verified with asked for.
        let Some(env) = e
            .environment
            .as_deref()
            .filter(|_| v.identity.environment.is_none())
        else {
            return Decision::new(
                Verdict::Allow,
                Code::Allowed,
                format!("built by {who}, which {at} allows"),
                "nothing to do".into(),
            );
        };
        let pkg = self.package;
        let message = format!(
            "built by {who}, which {at} allows, but the certificate records no deployment environment, so environment {env} is not proven"
        );
        // The entry's own setting, else the policy's.
        let required = e
            .require_environment_proof
            .unwrap_or(self.policy.require_environment_proof);
        match required {
            true => {
                let whose = if e.require_environment_proof.is_some() {
                    format!("its entry at {at}")
                } else {
                    format!("[policy] in {}", trust_file_name(self.policy))
                };
                Decision::new(
                    Verdict::Deny,
                    Code::EnvironmentUnproven,
                    format!("{message}, and {whose} requires proof"),
                    format!("do not install this file unless you accept {pkg} from a certificate that predates Fulcio's Deployment Environment claim; then set require-environment-proof = false on the entry at {at}"),
                )
            }
            false => Decision::new(
                Verdict::Warn,
                Code::EnvironmentUnproven,
                message,
                format!(
                    "to refuse such files, set require-environment-proof = true in the [policy] of {} (or on the entry at {at})",
                    trust_file_name(self.policy)
                ),
            ),
        }
    }

    /// Verified, and the package names no publisher yet.
    fn first_seen(&self, v: &Verified) -> Decision {
        let pkg = self.package;
        let who = v.identity.describe();
        let Some(file) = &self.policy.source else {
            let fix = match &v.publisher {
                Some(p) => {
                    format!("to require this publisher from now on: `pyprov trust add {pkg} {p}`")
                }
                None => "nothing to do".into(),
            };
            return Decision::new(
                Verdict::Allow,
                Code::Allowed,
                format!("built by {who}; no trust file is used, so any publisher the signature and the index agree on is accepted"),
                fix,
            );
        };
        let file = file.display();
        let Some(publisher) = &v.publisher else {
            return Decision::new(
                Verdict::Warn,
                Code::UnknownPackage,
                format!("{pkg} has no publisher in {file}, and its signer {who} is not a GitHub, GitLab or Google publisher that pyprov can pin"),
                format!("check who {who} is; pyprov cannot pin this signer, so pass --identity/--issuer to `pyprov verify` to require it"),
            );
        };
        if self.policy.locked {
            return Decision::new(
                Verdict::Deny,
                Code::UnknownPackage,
                format!("{pkg} has no publisher in {file}, and --locked forbids pinning one (the file was built by {who})"),
                format!("review the publisher, then run `pyprov trust add {pkg} {publisher}` without --locked (outside CI, or with PYPROV_LOCKED=0) and commit {file}"),
            );
        }
        if self.policy.tofu {
            let mut d = Decision::new(
                Verdict::Allow,
                Code::PinnedOnFirstUse,
                format!("{pkg} seen for the first time: pinned to {publisher} (built by {who})"),
                format!("review the new {pkg} entry in {file}; it is marked `pinned = \"tofu DATE\"` until someone vouches for it by removing the marker"),
            );
            d.pin = Some(Pin {
                publisher: publisher.clone(),
                environment: v.identity.environment.clone(),
            });
            return d;
        }
        Decision::new(
            Verdict::Warn,
            Code::UnknownPackage,
            format!("{pkg} has no publisher in {file}; this file was built by {who}"),
            format!("to require this publisher: `pyprov trust add {pkg} {publisher}`, or set tofu = true in [policy] to pin on first use"),
        )
    }

    fn unattested(&self) -> Decision {
        let pkg = self.package;
        if let Some(e) = self.entry {
            if e.is_pinned() && e.unattested != Some(Unattested::Allow) {
                return Decision::new(
                    Verdict::Deny,
                    Code::AttestationDowngrade,
                    format!(
                        "{pkg} is published by {} ({}), but this file has no provenance: an attestation downgrade",
                        expected(e),
                        self.entry_at(e)
                    ),
                    format!("do not install it; fetch its provenance again. If {pkg} really stopped attesting its releases, run `pyprov trust allow-unattested {pkg}`"),
                );
            }
        }
        let (setting, by_entry) = match self.entry.and_then(|e| e.unattested) {
            Some(u) => (u, true),
            None => (self.policy.unattested, false),
        };
        let whose = match (self.entry, by_entry, &self.policy.source) {
            (Some(e), true, _) => format!("its entry at {}", self.entry_at(e)),
            (_, _, Some(file)) => format!("[policy] in {}", file.display()),
            (_, _, None) => "the default without a trust file".into(),
        };
        match setting {
            Unattested::Deny => Decision::new(
                Verdict::Deny,
                Code::UnattestedDenied,
                format!("no provenance: nothing proves who built this file, and {whose} denies unattested files"),
                format!("if you accept {pkg} without provenance, run `pyprov trust allow-unattested {pkg}`; otherwise do not install it"),
            ),
            Unattested::Warn => Decision::new(
                Verdict::Warn,
                Code::UnattestedWarned,
                format!("no provenance: nothing proves who built this file ({whose} warns)"),
                match &self.policy.source {
                    Some(file) => format!("run `pyprov trust allow-unattested {pkg}` to accept it knowingly, or set unattested = \"deny\" in the [policy] of {} to refuse such files", file.display()),
                    None => format!("run `pyprov trust allow-unattested {pkg}` to accept it knowingly; that creates pyprov.toml, where unattested = \"deny\" refuses such files"),
                },
            ),
            Unattested::Allow => Decision::new(
                Verdict::Allow,
                Code::UnattestedAllowed,
                format!("no provenance; {whose} allows that"),
                "nothing to do".into(),
            ),
        }
    }
}

fn trust_file_name(policy: &Policy) -> String {
    policy
        .source
        .as_ref()
        .map_or_else(|| "no trust file".into(), |p| p.display().to_string())
}

/// `github:psf/requests or github:psf/requests-old`.
fn expected(e: &PackageEntry) -> String {
    e.publishers
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" or ")
}

/// `github:evil/requests, workflow release.yml at refs/tags/v2.99`: who signed, in the words a
/// person compares with the trust file.
fn signer(v: &Verified) -> String {
    let id = &v.identity;
    let mut s = match &v.publisher {
        Some(PublisherSpec::GitHub {
            repository,
            workflow,
        }) => match workflow {
            Some(w) => format!("github:{repository}, workflow {w}"),
            None => format!("github:{repository}"),
        },
        Some(PublisherSpec::GitLab {
            repository,
            workflow_filepath,
        }) => match workflow_filepath {
            Some(p) => format!("gitlab:{repository}, CI file {p}"),
            None => format!("gitlab:{repository}"),
        },
        Some(PublisherSpec::Google { email }) => format!("google:{email}"),
        None => return id.describe(),
    };
    if let Some(r) = &id.git_ref {
        s.push_str(&format!(" at {r}"));
    }
    if let Some(env) = &id.environment {
        s.push_str(&format!(", environment {env}"));
    }
    s
}

#[cfg(test)]
mod tests;
