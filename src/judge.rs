//! The judge: one file (its name and sha256) and the provenance found for it in; what
//! verification observed and what the trust policy decides out. `verify`, `trust pin`, the
//! installer's gate (and the coming index server) all ask it, so a file is judged one way
//! wherever it enters.
//!
//! Judging is pure: [`Judge::judge`] reads nothing and writes nothing. Trust on first use is a
//! second step, [`Judge::settle`]: it writes the pins the decisions asked for, under the trust
//! file's lock, and judges again every file whose package turned out to be pinned by someone
//! else in the meantime.
//!
//! Where provenance comes from is not the judge's business: a [`Source`] finds the documents
//! for a file (sidecar files, a PEP 740 index, PyPI's Integrity API; release assets and cosign
//! signatures plug in the same way), and the caller hands what it found to the judge.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::lock::{AttestationIdentity, Signer};
use crate::trust::policy::{self, Decision, Observed};
use crate::trust::TrustFileError;
use crate::trust::{self, Edit, EditOutcome, PackageEntry, PinOutcome, Policy, TrustFile};
use crate::verify::{distname, Artifact, Document, Engine, Failure, Identity, Verified};
use crate::vocab::{PackageName, Sha256};

/// How provenance was looked for, so a report can tell "this index serves no provenance"
/// apart from "this file has none".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "where")]
pub enum ProvenanceSource {
    /// Advertised by the index, or found at an Integrity API.
    Fetched(String),
    /// Sidecar files next to a local file.
    Sidecar(String),
    /// The index speaks PEP 740 and says the file has none.
    FileHasNone,
    /// The index advertises no provenance and its Integrity API (if any) had none.
    IndexServesNone,
}

/// The file a [`Source`] is asked about.
#[derive(Debug, Clone, Copy)]
pub struct FileRef<'a> {
    /// The distribution file name.
    pub name: &'a str,
    /// Where the file is on this machine, when it is a local file.
    pub path: Option<&'a Path>,
}

/// What a [`Source`] found for one file: the provenance bytes (None: none at all), and where.
#[derive(Debug, Clone)]
pub struct Found {
    pub documents: Option<Vec<u8>>,
    pub source: ProvenanceSource,
    /// The local files the documents were read from, if any.
    pub paths: Vec<PathBuf>,
}

/// A kind of place provenance is published. New kinds implement this and nothing else
/// changes: the judge takes what any source found.
pub(crate) trait Source {
    type Error;

    /// The provenance documents for `file`, or `Found { documents: None, .. }` when this
    /// source has none for it. An error is a source that could not be asked (an unreadable
    /// sidecar, an index that failed), never "there is none".
    fn find(&self, file: FileRef<'_>) -> impl Future<Output = Result<Found, Self::Error>> + Send;
}

/// The provenance of one file, parsed: what the judge verifies.
#[derive(Debug, Clone)]
pub enum Evidence {
    /// No provenance was found.
    None,
    /// Provenance was found and does not parse: a verification failure with its reason.
    Unreadable(Failure),
    Document(Document),
}

impl Evidence {
    /// Parses what a source found.
    pub fn parse(documents: Option<&[u8]>) -> Evidence {
        match documents.map(Document::parse) {
            None => Evidence::None,
            Some(Ok(doc)) => Evidence::Document(doc),
            Some(Err(f)) => Evidence::Unreadable(f),
        }
    }

    /// Parses documents read from local files, naming them in a parse failure.
    pub fn parse_files(documents: &[u8], paths: &[PathBuf]) -> Evidence {
        match Document::parse(documents) {
            Ok(doc) => Evidence::Document(doc),
            Err(f) => {
                let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                Evidence::Unreadable(Failure::new(
                    f.reason,
                    format!("{}: {}", names.join(", "), f.message),
                ))
            }
        }
    }
}

/// What a lock (pylock.toml) expects of the signer of one of its files: one of the package's
/// `attestation-identities` (PEP 740 publishers), each read once as the [`Signer`] it names (or
/// why it names none: an unknown kind, which never matches). An extra input of the judgement,
/// checked against what the certificate proves, on top of the trust file: both must hold. An
/// empty list expects nothing.
#[derive(Debug, Clone)]
pub(crate) struct LockExpectation {
    /// The lock, named in messages.
    pub lock: PathBuf,
    pub signers: Vec<Result<Signer, String>>,
}

impl LockExpectation {
    pub(crate) fn new(lock: PathBuf, identities: &[AttestationIdentity]) -> LockExpectation {
        LockExpectation {
            lock,
            signers: identities.iter().map(AttestationIdentity::signer).collect(),
        }
    }
}

/// One lock identity against a certificate's identity: Ok, or what differs (an identity that
/// names no signer never matches). The one matcher for `-r pylock.toml` (the judge) and
/// `pyprov lock --check`.
pub(crate) fn lock_identity_matches(
    expected: &AttestationIdentity,
    who: &Identity,
) -> Result<(), String> {
    expected.signer()?.matches(who)
}

/// One lock identity for people: its SPEC (and environment), else why it names no signer.
pub(crate) fn describe_lock_identity(id: &AttestationIdentity) -> String {
    describe_signer(&id.signer())
}

fn describe_signer(signer: &Result<Signer, String>) -> String {
    match signer {
        Ok(signer) => signer.to_string(),
        Err(why) => why.clone(),
    }
}

/// The judge's answer for one file.
#[derive(Debug, Clone)]
pub(crate) struct Judgement {
    /// The file's project; None when its name is not a distribution's (it is then judged
    /// under its own name).
    pub package: Option<PackageName>,
    pub observed: Observed,
    pub decision: Decision,
}

impl Judgement {
    /// The verified evidence, also when the signer was not the one expected.
    pub(crate) fn verified(&self) -> Option<&Verified> {
        match &self.observed {
            Observed::Verified(v) | Observed::IdentityMismatch { actual: v, .. } => Some(v),
            _ => None,
        }
    }
}

/// What [`Judge::settle`] did for one package.
#[derive(Debug)]
pub(crate) struct Settled {
    pub package: PackageName,
    /// The pin as the trust file now has it (re-read under its lock), or why it was not
    /// written.
    pub outcome: Result<PinOutcome, TrustFileError>,
    /// The judgements (by index) whose decision changed because of it.
    pub changed: Vec<usize>,
}

impl Settled {
    /// Whether another process (or a person) pinned the package first.
    pub(crate) fn raced(&self) -> bool {
        matches!(self.outcome, Ok(PinOutcome::AlreadyPinned(_)))
    }
}

/// One judge per run: the verification engine (its trusted root), the policy in effect, and
/// the trust file as this run knows it.
#[derive(Clone)]
pub(crate) struct Judge {
    engine: Arc<Engine>,
    policy: Policy,
    trust: Option<TrustFile>,
}

impl Judge {
    pub(crate) fn new(engine: Arc<Engine>, policy: Policy, trust: Option<TrustFile>) -> Judge {
        Judge {
            engine,
            policy,
            trust,
        }
    }

    pub(crate) fn policy(&self) -> &Policy {
        &self.policy
    }

    pub(crate) fn trust(&self) -> Option<&TrustFile> {
        self.trust.as_ref()
    }

    /// The project a file belongs to, when its name is a distribution's.
    fn package_of(file_name: &str) -> Option<PackageName> {
        distname::parse(file_name)
            .ok()
            .map(|d| PackageName::normalize(d.project()))
    }

    /// The entry the trust file has for `package`.
    pub(crate) fn entry(&self, package: &str) -> Option<&PackageEntry> {
        self.trust.as_ref().and_then(|t| t.entry(package))
    }

    /// Verifies `evidence` over the file and decides by the policy. Reads and writes nothing.
    ///
    /// A file whose name is not a distribution's is refused when a trust file is in effect
    /// (no package says who may publish it); without one it is judged by the defaults under
    /// its own name.
    pub(crate) fn judge(&self, file_name: &str, sha256: &Sha256, evidence: &Evidence) -> Judgement {
        let package = Self::package_of(file_name);
        let artifact = Artifact {
            name: file_name,
            sha256: sha256.as_bytes(),
        };
        if package.is_none() && self.trust.is_some() {
            let observed = self.observe(artifact, evidence, None);
            let decision = policy::not_a_distribution(file_name, &self.policy);
            return Judgement {
                package,
                observed,
                decision,
            };
        }
        let judged_as = package.as_ref().map_or(file_name, PackageName::as_str);
        let entry = self.entry(judged_as);
        let observed = self.observe(artifact, evidence, entry);
        let decision = policy::decide(judged_as, entry, &self.policy, &observed);
        Judgement {
            package,
            observed,
            decision,
        }
    }

    /// [`Judge::judge`], with what a lock expects of the signer as a further condition: a file
    /// the trust file allows is refused when the certificate proves none of the lock's
    /// identities (or the file has no provenance while the lock names who attests it). The
    /// lock never allows what the trust file refuses.
    pub(crate) fn judge_with(
        &self,
        file_name: &str,
        sha256: &Sha256,
        evidence: &Evidence,
        lock: Option<&LockExpectation>,
    ) -> Judgement {
        let mut judgement = self.judge(file_name, sha256, evidence);
        let Some(lock) = lock.filter(|l| !l.signers.is_empty()) else {
            return judgement;
        };
        if judgement.decision.denied() {
            return judgement;
        }
        let shown = || lock.lock.display().to_string();
        let expected = || {
            lock.signers
                .iter()
                .map(describe_signer)
                .collect::<Vec<_>>()
                .join(" or ")
        };
        match &judgement.observed {
            Observed::Verified(v) => {
                let matched = lock
                    .signers
                    .iter()
                    .flatten()
                    .any(|signer| signer.matches(&v.identity).is_ok());
                if !matched {
                    judgement.decision = policy::lock_identity_mismatch(
                        file_name,
                        &shown(),
                        &expected(),
                        &v.identity.describe(),
                        v.publisher.as_ref(),
                    );
                }
            }
            Observed::NoProvenance => {
                judgement.decision = policy::lock_unattested(file_name, &shown(), &expected());
            }
            // Denied above; nothing the lock says can change that.
            Observed::Invalid(_) | Observed::IdentityMismatch { .. } => {}
        }
        judgement
    }

    /// The decision for something of `package` that can carry no provenance at all (a direct
    /// URL, judged before it is fetched): what the policy says of an unattested file.
    pub(crate) fn judge_unattested(&self, package: &str) -> Decision {
        policy::decide(
            package,
            self.entry(package),
            &self.policy,
            &Observed::NoProvenance,
        )
    }

    fn observe(
        &self,
        artifact: Artifact<'_>,
        evidence: &Evidence,
        entry: Option<&PackageEntry>,
    ) -> Observed {
        match evidence {
            Evidence::None => Observed::NoProvenance,
            Evidence::Unreadable(f) => Observed::Invalid(f.clone()),
            Evidence::Document(doc) => policy::observe(
                &self.engine,
                artifact,
                Some(doc),
                &policy::expectation_for(entry),
            ),
        }
    }

    /// Trust on first use, after the fact: for each package some judgement asks to pin, the
    /// pin is written (once per package, into the policy's trust file, under its lock) and
    /// every judgement of that package that asked is judged again against the pin the file
    /// now holds.
    ///
    /// When this run wrote the pin, the judgements keep their `pinned-on-first-use` decision
    /// unless the pin refuses them (two files of one package signed by different
    /// publishers). When another process pinned the package first, each is judged against
    /// that pin and says so. Nothing is written under `--locked` (the policy asks no pins
    /// then) or without a trust file.
    pub(crate) fn settle(&mut self, judgements: &mut [Judgement]) -> Vec<Settled> {
        let Some(path) = self.policy.source.clone() else {
            return Vec::new();
        };
        if self.policy.locked {
            return Vec::new();
        }
        // The first pin each package asks for, in order.
        let mut asked: Vec<(PackageName, policy::Pin)> = Vec::new();
        for j in judgements.iter() {
            if let (Some(package), Some(pin)) = (&j.package, &j.decision.pin) {
                if !asked.iter().any(|(p, _)| p == package) {
                    asked.push((package.clone(), pin.clone()));
                }
            }
        }
        let mut settled: Vec<Settled> = Vec::new();
        for (package, pin) in asked {
            let outcome = self.write_pin(&path, &package, &pin);
            let changed = match &outcome {
                Ok(o) => self.judge_against(judgements, &package, o),
                Err(_) => Vec::new(),
            };
            settled.push(Settled {
                package,
                outcome,
                changed,
            });
        }
        settled
    }

    /// Writes one pin and takes in the trust file as it now is.
    fn write_pin(
        &mut self,
        path: &Path,
        package: &PackageName,
        pin: &policy::Pin,
    ) -> Result<PinOutcome, TrustFileError> {
        let date = trust::pin_date();
        let (outcome, file) = trust::edit(
            path,
            &Edit::Pin {
                package: package.as_str(),
                publisher: &pin.publisher,
                environment: pin.environment.as_deref(),
                date: &date,
            },
        )?;
        let written = file.entry(package.as_str()).cloned();
        self.trust = Some(file);
        match (outcome, written) {
            (EditOutcome::AlreadyPinned(entry), _) => Ok(PinOutcome::AlreadyPinned(entry)),
            (_, Some(entry)) => Ok(PinOutcome::Pinned(entry)),
            // The edit validated the file it wrote; a file changed by hand between the write
            // and the re-read has no pin to report.
            (_, None) => Err(TrustFileError::NoEntry {
                path: path.to_path_buf(),
                package: package.to_string(),
            }),
        }
    }

    /// Judges again, against the pin now in the file, the judgements of `package` that asked
    /// for it; returns the indexes whose decision changed.
    fn judge_against(
        &self,
        judgements: &mut [Judgement],
        package: &PackageName,
        outcome: &PinOutcome,
    ) -> Vec<usize> {
        let mut changed = Vec::new();
        for (i, j) in judgements.iter_mut().enumerate() {
            if j.package.as_ref() != Some(package) || j.decision.pin.is_none() {
                continue;
            }
            let decision = match outcome {
                PinOutcome::AlreadyPinned(entry) => {
                    policy::decide_against_pin(package.as_str(), entry, &self.policy, &j.observed)
                }
                PinOutcome::Pinned(entry) => {
                    let d =
                        policy::decide(package.as_str(), Some(entry), &self.policy, &j.observed);
                    // A file this run pinned keeps its `pinned-on-first-use` decision.
                    if !d.denied() {
                        continue;
                    }
                    d
                }
            };
            // The report says who really signed, as a first judgement against this pin would.
            if let Observed::Verified(v) = &j.observed {
                let entry = outcome.entry();
                if let Err(failure) = policy::matched(entry, v) {
                    j.observed = Observed::IdentityMismatch {
                        failure,
                        actual: v.clone(),
                    };
                }
            }
            j.decision = decision;
            changed.push(i);
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::TomlValue;

    #[test]
    fn unparseable_provenance_is_a_failure_not_an_absence() {
        assert!(matches!(Evidence::parse(None), Evidence::None));
        assert!(matches!(
            Evidence::parse(Some(b"not json")),
            Evidence::Unreadable(_)
        ));
        let named = Evidence::parse_files(b"{", &[PathBuf::from("/tmp/x.publish.attestation")]);
        let Evidence::Unreadable(f) = named else {
            panic!("parsed")
        };
        assert!(f.message.starts_with("/tmp/x.publish.attestation: "));
    }

    fn lock_identity(text: &str) -> AttestationIdentity {
        let lock = crate::lock::parse(
            Path::new("pylock.toml"),
            &format!("lock-version = \"1.0\"\ncreated-by = \"t\"\n[[packages]]\nname = \"p\"\ndirectory = {{path = \".\"}}\nattestation-identities = [{text}]\n"),
        )
        .unwrap();
        lock.packages[0].attestation_identities.clone().unwrap()[0].clone()
    }

    #[allow(clippy::field_reassign_with_default)]
    fn github_identity(repo: &str, workflow: &str, env: Option<&str>) -> Identity {
        let uri = format!("https://github.com/{repo}/.github/workflows/{workflow}@refs/tags/v1");
        let mut id = Identity::default();
        id.issuer = Some(crate::verify::identity::GITHUB_ISSUER.into());
        id.san = Some(uri.clone());
        id.repository = Some(format!("https://github.com/{repo}"));
        id.git_ref = Some("refs/tags/v1".into());
        id.commit = Some("0123456789abcdef".into());
        id.build_config_uri = Some(uri);
        id.workflow = Some(format!(".github/workflows/{workflow}"));
        id.environment = env.map(str::to_string);
        id
    }

    #[test]
    fn lock_identities_match_what_the_certificate_proves() {
        let who = github_identity("acme/widgets", "release.yml", Some("pypi"));
        let ok = |t: &str| lock_identity_matches(&lock_identity(t), &who);
        assert!(ok(
            "{kind = \"GitHub\", repository = \"acme/widgets\", workflow = \"release.yml\"}"
        )
        .is_ok());
        assert!(ok("{kind = \"GitHub\", repository = \"acme/widgets\", workflow = \"release.yml\", environment = \"pypi\"}").is_ok());
        assert!(ok("{kind = \"GitHub\", repository = \"acme/widgets\"}").is_ok());
        let e = ok("{kind = \"GitHub\", repository = \"acme/widgets\", workflow = \"release.yml\", environment = \"test\"}").unwrap_err();
        assert!(
            e.contains("expected deployment environment test, certificate says pypi"),
            "{e}"
        );
        let e =
            ok("{kind = \"GitHub\", repository = \"evil/widgets\", workflow = \"release.yml\"}")
                .unwrap_err();
        assert!(e.contains("evil/widgets"), "{e}");
        let e = ok("{kind = \"GitHub\", repository = \"acme/widgets\", workflow = \"other.yml\"}")
            .unwrap_err();
        assert!(e.contains("other.yml"), "{e}");
        // Other kinds never match a GitHub certificate; unknown kinds never match at all.
        assert!(ok("{kind = \"GitLab\", repository = \"acme/widgets\", workflow_filepath = \".gitlab-ci.yml\"}").is_err());
        assert!(ok("{kind = \"Google\", email = \"a@b.example\"}").is_err());
        let e = ok("{kind = \"ActiveState\", repository = \"acme/widgets\"}").unwrap_err();
        assert_eq!(e, "unknown kind `ActiveState` (pyprov cannot check it)");
        // (A known kind without its required key is refused when the lock is read.)
        let mut bare = lock_identity("{kind = \"GitHub\", repository = \"acme/widgets\"}");
        bare.fields.shift_remove("repository");
        let e = lock_identity_matches(&bare, &who).unwrap_err();
        assert_eq!(e, "a GitHub identity without `repository`");
        // Keys that would spill into each other (refused when the lock is read) never match,
        // here as repository acme/widgets: each key is read in its own place.
        let mut spill = lock_identity("{kind = \"GitHub\", repository = \"acme/x\"}");
        spill
            .fields
            .insert("repository".into(), TomlValue::String("acme".into()));
        spill.fields.insert(
            "workflow".into(),
            TomlValue::String("widgets/release.yml".into()),
        );
        let e = lock_identity_matches(&spill, &who).unwrap_err();
        assert_eq!(
            e,
            "a GitHub identity's `repository` is OWNER/NAME, not `acme`"
        );
    }

    #[test]
    fn lock_identities_read_as_publisher_specs() {
        let shown = |t: &str| describe_lock_identity(&lock_identity(t));
        assert_eq!(shown("{kind = \"GitHub\", repository = \"o/r\", workflow = \"rel.yml\", environment = \"pypi\"}"), "github:o/r/rel.yml (environment pypi)");
        assert_eq!(shown("{kind = \"GitLab\", repository = \"g/sub/p\", workflow_filepath = \".gitlab-ci.yml\"}"), "gitlab:g/sub/p//.gitlab-ci.yml");
        assert_eq!(
            shown("{kind = \"Google\", email = \"svc@p.iam.gserviceaccount.com\"}"),
            "google:svc@p.iam.gserviceaccount.com"
        );
    }

    #[test]
    fn files_belong_to_their_project() {
        let p = Judge::package_of("Foo_Bar-1.0-py3-none-any.whl");
        assert_eq!(p.unwrap().as_str(), "foo-bar");
        assert!(Judge::package_of("notes.txt").is_none());
    }
}
