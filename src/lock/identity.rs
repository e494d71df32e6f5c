//! A lock's `attestation-identities` as the signers they name: a PEP 740 publisher object of a
//! kind pyprov knows becomes one [`Signer`] (a [`PublisherSpec`] and the deployment environment),
//! built from the keys themselves, never from a text that joins them (which would let
//! `repository = "acme"`, `workflow = "widgets/release.yml"` read as repository
//! `acme/widgets`).

use std::fmt;

use crate::verify::{Identity, PublisherSpec};
use crate::vocab::term;

use super::AttestationIdentity;

/// The kinds pyprov checks and their keys (the first required), as PEP 740 names them: the one
/// list, read by the lock's validation and by [`AttestationIdentity::signer`].
pub(crate) const KINDS: [(&str, &[&str]); 3] = [
    ("github", &["repository", "workflow", "environment"]),
    (
        "gitlab",
        &["repository", "workflow_filepath", "environment"],
    ),
    ("google", &["email"]),
];

/// The keys of `kind` (any case) when pyprov knows it.
pub(crate) fn keys_of(kind: &str) -> Option<&'static [&'static str]> {
    let kind = kind.to_ascii_lowercase();
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, keys)| *keys)
}

/// Who a lock says may sign a file: a publisher, and the deployment environment when it names
/// one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Signer {
    pub publisher: PublisherSpec,
    pub environment: Option<String>,
}

impl Signer {
    /// Ok when the certificate's identity is this signer's; else what differs.
    pub fn matches(&self, who: &Identity) -> Result<(), String> {
        self.publisher.check(who)?;
        match (self.environment.as_deref(), who.environment.as_deref()) {
            (Some(want), have) if Some(want) != have => Err(format!(
                "expected deployment environment {want}, certificate says {}",
                have.unwrap_or("none")
            )),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.environment {
            Some(env) => write!(f, "{} (environment {})", self.publisher, term(env)),
            None => write!(f, "{}", self.publisher),
        }
    }
}

impl AttestationIdentity {
    /// The signer this identity names, or why it names none: a kind pyprov does not know (it
    /// never matches), a missing key, or keys of the wrong shape (a GitHub repository is
    /// OWNER/NAME and its workflow a file name; a GitLab repository NAMESPACE[/SUBGROUP...]/
    /// PROJECT; an email). The shapes are [`PublisherSpec`]'s own rules: the spec built from
    /// the keys must read back as itself.
    pub fn signer(&self) -> Result<Signer, String> {
        let kind = term(&self.kind);
        let key = |k: &str| {
            self.get_str(k)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("a {kind} identity without `{k}`"))
        };
        let optional = |k: &str| self.get_str(k).map(str::to_string);
        let publisher = match self.kind.to_ascii_lowercase().as_str() {
            "github" => {
                let repository = key("repository")?;
                if repository.split('/').count() != 2 {
                    return Err(format!(
                        "a {kind} identity's `repository` is OWNER/NAME, not `{}`",
                        term(repository)
                    ));
                }
                let workflow = optional("workflow");
                if let Some(w) = workflow.as_deref().filter(|w| w.contains('/')) {
                    return Err(format!(
                        "a {kind} identity's `workflow` is a file name in .github/workflows, without `/`, not `{}`",
                        term(w)
                    ));
                }
                PublisherSpec::GitHub {
                    repository: repository.to_string(),
                    workflow,
                }
            }
            "gitlab" => PublisherSpec::GitLab {
                repository: key("repository")?.to_string(),
                workflow_filepath: optional("workflow_filepath"),
            },
            "google" => PublisherSpec::Google {
                email: key("email")?.to_string(),
            },
            _ => return Err(format!("unknown kind `{kind}` (pyprov cannot check it)")),
        };
        // The spec's text is what users write and pyprov shows: it must say exactly these keys.
        match publisher.to_string().parse::<PublisherSpec>() {
            Ok(again) if again == publisher => {}
            Ok(_) => {
                return Err(format!(
                    "a {kind} identity whose keys do not name one publisher (read back as `{}`)",
                    term(&publisher.to_string())
                ))
            }
            Err(e) => return Err(term(&e.to_string()).into_owned()),
        }
        Ok(Signer {
            publisher,
            environment: optional("environment"),
        })
    }
}
