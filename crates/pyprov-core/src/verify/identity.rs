//! Who signed: the identity a verified Fulcio certificate proves, publisher specs
//! (`github:OWNER/REPO/WORKFLOW`, ...) and the Trusted Publisher matching rules PyPI applies.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use sigstore_verify::crypto::CertificateInfo;
use sigstore_verify::SubjectAltName;

pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
pub const GITLAB_ISSUER: &str = "https://gitlab.com";
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";

/// The claims of a signing certificate, read only after the certificate verified.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Identity {
    pub issuer: Option<String>,
    /// The Subject Alternative Name: a URI for CI workloads, an email for people and accounts.
    pub san: Option<String>,
    pub repository: Option<String>,
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    pub commit: Option<String>,
    /// The calling workflow's path inside its repository, from the Build Config URI.
    pub workflow: Option<String>,
    pub build_config_uri: Option<String>,
    pub build_config_digest: Option<String>,
    pub build_signer_uri: Option<String>,
    pub build_signer_digest: Option<String>,
    pub trigger: Option<String>,
    pub run_invocation_uri: Option<String>,
    pub visibility: Option<String>,
    pub environment: Option<String>,
    pub runner_environment: Option<String>,
    #[serde(skip)]
    san_is_email: bool,
}

impl Identity {
    pub fn from_certificate(info: &CertificateInfo) -> Self {
        let c = &info.ci_claims;
        let (san, san_is_email) = match &info.identity {
            Some(SubjectAltName::Email(e)) => (Some(e.clone()), true),
            Some(other) => (Some(other.as_str().to_string()), false),
            None => (None, false),
        };
        let mut id = Identity {
            issuer: info.issuer.clone(),
            san,
            repository: c.source_repository_uri.clone(),
            git_ref: c.source_repository_ref.clone(),
            commit: c.source_repository_digest.clone(),
            workflow: None,
            build_config_uri: c.build_config_uri.clone(),
            build_config_digest: c.build_config_digest.clone(),
            build_signer_uri: c.build_signer_uri.clone(),
            build_signer_digest: c.build_signer_digest.clone(),
            trigger: c.build_trigger.clone(),
            run_invocation_uri: c.run_invocation_uri.clone(),
            visibility: c.source_repository_visibility_at_signing.clone(),
            environment: c.deployment_environment.clone(),
            runner_environment: c.runner_environment.clone(),
            san_is_email,
        };
        id.workflow = id.workflow_path().map(str::to_string);
        id
    }

    /// The workflow path from the Build Config URI: the part between the repository URI and `@`.
    fn workflow_path(&self) -> Option<&str> {
        let config = self.build_config_uri.as_deref()?;
        let repo = self.repository.as_deref()?;
        let rest = config.strip_prefix(repo)?;
        let rest = rest.strip_prefix("//").or_else(|| rest.strip_prefix('/'))?;
        let (path, _) = rest.rsplit_once('@')?;
        (!path.is_empty()).then_some(path)
    }

    pub fn email(&self) -> Option<&str> {
        self.san.as_deref().filter(|_| self.san_is_email)
    }

    /// The publisher the certificate proves, in SPEC syntax, when it is one PyPI knows.
    pub fn publisher(&self) -> Option<PublisherSpec> {
        // Only a spec this very identity satisfies: a pin made from it must accept the file
        // it was made from (the fuzzer found certificates whose Build Config URI ref does not
        // match their own ref, which `check` refuses).
        self.publisher_unchecked()
            .filter(|spec| spec.check(self).is_ok())
    }

    fn publisher_unchecked(&self) -> Option<PublisherSpec> {
        let issuer = self.issuer.as_deref()?;
        match issuer {
            GITHUB_ISSUER => {
                let repository = self
                    .repository
                    .as_deref()?
                    .strip_prefix("https://github.com/")?;
                let workflow = self
                    .workflow
                    .as_deref()?
                    .strip_prefix(".github/workflows/")?;
                // Reject the spec only if it would not parse back to itself.
                let spec = PublisherSpec::GitHub {
                    repository: repository.to_string(),
                    workflow: Some(workflow.to_string()),
                };
                PublisherSpec::from_str(&spec.to_string()).ok()
            }
            GITLAB_ISSUER => {
                let repository = self
                    .repository
                    .as_deref()?
                    .strip_prefix("https://gitlab.com/")?;
                let spec = PublisherSpec::GitLab {
                    repository: repository.to_string(),
                    workflow_filepath: Some(self.workflow.clone()?),
                };
                PublisherSpec::from_str(&spec.to_string()).ok()
            }
            GOOGLE_ISSUER => Some(PublisherSpec::Google {
                email: self.email()?.to_string(),
            }),
            _ => None,
        }
    }

    /// One line saying who built the file from where, for people.
    pub fn describe(&self) -> String {
        // What the certificate claims, whether or not a pin made from it would hold.
        if let Some(p) = self.publisher_unchecked() {
            let mut s = p.to_string();
            if let Some(r) = &self.git_ref {
                s.push_str(&format!(" at {r}"));
            }
            if let Some(c) = &self.commit {
                // The certificate's text, not necessarily hex: count characters, not bytes.
                let short: String = c.chars().take(12).collect();
                s.push_str(&format!(" ({short})"));
            }
            return s;
        }
        format!(
            "{} (issuer {})",
            self.san.as_deref().unwrap_or("<no identity>"),
            self.issuer.as_deref().unwrap_or("<none>")
        )
    }
}

/// An expected publisher: `github:OWNER/REPO[/WORKFLOW_FILE]`, `gitlab:NS/PROJECT[//PATH]`,
/// `google:EMAIL`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PublisherSpec {
    GitHub {
        repository: String,
        workflow: Option<String>,
    },
    GitLab {
        repository: String,
        workflow_filepath: Option<String>,
    },
    Google {
        email: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid publisher `{spec}`: {why} (expected github:OWNER/REPO[/WORKFLOW.yml], gitlab:NAMESPACE/PROJECT[//PATH], or google:EMAIL)")]
pub struct SpecError {
    pub spec: String,
    pub why: String,
}

fn valid_segment(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The publisher SPEC a GitHub or GitLab repository's address (as copied from a browser, with
/// or without its scheme) stands for, if `spec` is one: `https://github.com/o/r` is `github:o/r`.
fn spec_from_url(spec: &str) -> Option<String> {
    let bare = spec
        .strip_prefix("https://")
        .or_else(|| spec.strip_prefix("http://"))
        .unwrap_or(spec);
    let bare = bare.strip_prefix("www.").unwrap_or(bare);
    let (host, path) = bare.split_once('/')?;
    let path = path.trim_end_matches('/');
    match host.to_ascii_lowercase().as_str() {
        "github.com" => {
            let mut parts = path.split('/');
            let owner = parts.next()?;
            let repo = parts.next()?;
            let repo = repo.strip_suffix(".git").unwrap_or(repo);
            if !valid_segment(owner) || !valid_segment(repo) {
                return None;
            }
            // A workflow's page: .../blob/BRANCH/.github/workflows/FILE.
            let rest: Vec<&str> = parts.collect();
            let workflow = match rest.as_slice() {
                [_, _, ".github", "workflows", file] if valid_segment(file) => format!("/{file}"),
                _ => String::new(),
            };
            Some(format!("github:{owner}/{repo}{workflow}"))
        }
        "gitlab.com" => {
            // GitLab's own pages under a project start with `/-/`.
            let project = path.split("/-/").next().unwrap_or(path);
            let project = project.strip_suffix(".git").unwrap_or(project);
            let segments: Vec<&str> = project.split('/').collect();
            (segments.len() >= 2 && segments.iter().all(|s| valid_segment(s)))
                .then(|| format!("gitlab:{project}"))
        }
        _ => None,
    }
}

impl FromStr for PublisherSpec {
    type Err = SpecError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let err = |why: &str| SpecError {
            spec: spec.to_string(),
            why: why.to_string(),
        };
        if let Some(meant) = spec_from_url(spec) {
            return Err(err(&format!(
                "a repository's address, not a publisher: did you mean `{meant}`?"
            )));
        }
        let (kind, rest) = spec
            .split_once(':')
            .ok_or_else(|| err("missing the `kind:` prefix"))?;
        match kind.to_ascii_lowercase().as_str() {
            "github" => {
                let parts: Vec<&str> = rest.splitn(3, '/').collect();
                let (owner, repo, workflow) = match parts.as_slice() {
                    [o, r] => (*o, *r, None),
                    [o, r, w] => (*o, *r, Some(*w)),
                    _ => return Err(err("a GitHub repository is OWNER/REPO")),
                };
                if !valid_segment(owner) || !valid_segment(repo) {
                    return Err(err("OWNER and REPO may use letters, digits, - _ ."));
                }
                let workflow = match workflow {
                    None => None,
                    Some(w) => {
                        // Accept the path form users copy from the repository, too.
                        let w = w.strip_prefix(".github/workflows/").unwrap_or(w);
                        if !valid_segment(w) {
                            return Err(err(
                                "the workflow is a file name in .github/workflows, e.g. release.yml",
                            ));
                        }
                        Some(w.to_string())
                    }
                };
                Ok(PublisherSpec::GitHub {
                    repository: format!("{owner}/{repo}"),
                    workflow,
                })
            }
            "gitlab" => {
                let (repo, path) = match rest.split_once("//") {
                    Some((r, p)) => (r, Some(p)),
                    None => (rest, None),
                };
                let segments: Vec<&str> = repo.split('/').collect();
                if segments.len() < 2 || !segments.iter().all(|s| valid_segment(s)) {
                    return Err(err("a GitLab project is NAMESPACE[/SUBGROUP...]/PROJECT"));
                }
                let workflow_filepath = match path {
                    None => None,
                    Some(p) if !p.is_empty() && p.split('/').all(valid_segment) => {
                        Some(p.to_string())
                    }
                    Some(_) => return Err(err("the CI file path after // is empty or invalid")),
                };
                Ok(PublisherSpec::GitLab {
                    repository: repo.to_string(),
                    workflow_filepath,
                })
            }
            "google" => {
                let (local, domain) = rest
                    .split_once('@')
                    .ok_or_else(|| err("a Google identity is an email address"))?;
                if local.is_empty() || domain.is_empty() || rest.contains(char::is_whitespace) {
                    return Err(err("a Google identity is an email address"));
                }
                Ok(PublisherSpec::Google {
                    email: rest.to_string(),
                })
            }
            _ => Err(err("unknown kind; supported: github, gitlab, google")),
        }
    }
}

impl fmt::Display for PublisherSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PublisherSpec::GitHub {
                repository,
                workflow,
            } => match workflow {
                Some(w) => write!(f, "github:{repository}/{w}"),
                None => write!(f, "github:{repository}"),
            },
            PublisherSpec::GitLab {
                repository,
                workflow_filepath,
            } => match workflow_filepath {
                Some(p) => write!(f, "gitlab:{repository}//{p}"),
                None => write!(f, "gitlab:{repository}"),
            },
            PublisherSpec::Google { email } => write!(f, "google:{email}"),
        }
    }
}

impl Serialize for PublisherSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl PublisherSpec {
    /// Checks a verified identity against this publisher the way PyPI matches a Trusted
    /// Publisher: the issuer, the source repository, and the *calling* workflow from the Build
    /// Config URI (the SAN may name a reusable workflow in another repository).
    ///
    /// Returns a sentence saying what differs.
    pub fn check(&self, id: &Identity) -> Result<(), String> {
        match self {
            PublisherSpec::GitHub {
                repository,
                workflow,
            } => check_github(id, repository, workflow.as_deref()),
            PublisherSpec::GitLab {
                repository,
                workflow_filepath,
            } => check_gitlab(id, repository, workflow_filepath.as_deref()),
            PublisherSpec::Google { email } => {
                require_issuer(id, GOOGLE_ISSUER)?;
                match id.email() {
                    Some(e) if e.eq_ignore_ascii_case(email) => Ok(()),
                    _ => Err(format!(
                        "expected the Google account {email}, certificate is for {}",
                        shown(&id.san)
                    )),
                }
            }
        }
    }
}

/// A GitHub Trusted Publisher: issuer, repository (case-insensitive, as GitHub names are),
/// a commit or ref to tie the run to it, and the calling workflow.
fn check_github(id: &Identity, repository: &str, workflow: Option<&str>) -> Result<(), String> {
    require_issuer(id, GITHUB_ISSUER)?;
    let repo_uri = format!("https://github.com/{repository}");
    let actual_repo = id.repository.as_deref().unwrap_or("");
    if !actual_repo.eq_ignore_ascii_case(&repo_uri) {
        return Err(format!(
            "expected repository {repo_uri}, certificate says {}",
            shown(&id.repository)
        ));
    }
    if id.commit.is_none() && id.git_ref.is_none() {
        return Err("the certificate has neither a Source Repository Digest nor a Source Repository Ref, so the workflow run cannot be tied to the repository".into());
    }
    let config = id.build_config_uri.as_deref().unwrap_or("");
    let prefix = format!("{actual_repo}/.github/workflows/");
    let matches = suffixes(id).any(|suffix| match workflow {
        Some(w) => config == format!("{prefix}{w}@{suffix}"),
        None => config
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(suffix))
            .and_then(|rest| rest.strip_suffix('@'))
            .is_some_and(valid_segment),
    });
    if !matches {
        let wanted = workflow.unwrap_or("any workflow");
        return Err(format!(
            "expected workflow {wanted} of {repository}, certificate's Build Config URI is {}",
            shown(&id.build_config_uri)
        ));
    }
    Ok(())
}

/// A GitLab Trusted Publisher: issuer, repository, both commit and ref (PyPI's GitLab policy
/// requires both), and the CI file.
fn check_gitlab(
    id: &Identity,
    repository: &str,
    workflow_filepath: Option<&str>,
) -> Result<(), String> {
    require_issuer(id, GITLAB_ISSUER)?;
    let repo_uri = format!("https://gitlab.com/{repository}");
    if id.repository.as_deref() != Some(repo_uri.as_str()) {
        return Err(format!(
            "expected repository {repo_uri}, certificate says {}",
            shown(&id.repository)
        ));
    }
    if id.commit.is_none() || id.git_ref.is_none() {
        return Err("the certificate lacks the Source Repository Digest or Ref that a GitLab publisher needs".into());
    }
    let config = id.build_config_uri.as_deref().unwrap_or("");
    let prefix = format!("{repo_uri}//");
    let matches = suffixes(id).any(|suffix| match workflow_filepath {
        Some(p) => config == format!("{prefix}{p}@{suffix}"),
        None => config
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(suffix))
            .and_then(|rest| rest.strip_suffix('@'))
            .is_some_and(|p| !p.is_empty()),
    });
    if !matches {
        let wanted = workflow_filepath.unwrap_or("any CI file");
        return Err(format!(
            "expected {wanted} of {repository}, certificate's Build Config URI is {}",
            shown(&id.build_config_uri)
        ));
    }
    Ok(())
}

fn suffixes(id: &Identity) -> impl Iterator<Item = &str> {
    [id.commit.as_deref(), id.git_ref.as_deref()]
        .into_iter()
        .flatten()
}

fn require_issuer(id: &Identity, issuer: &str) -> Result<(), String> {
    if id.issuer.as_deref() == Some(issuer) {
        Ok(())
    } else {
        Err(format!(
            "expected issuer {issuer}, certificate was issued for {}",
            shown(&id.issuer)
        ))
    }
}

fn shown(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("<absent>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repository_address_suggests_its_spec() {
        let why = |s: &str| s.parse::<PublisherSpec>().map(|_| ()).unwrap_err().why;
        let meant =
            |m: &str| format!("a repository's address, not a publisher: did you mean `{m}`?");
        assert_eq!(why("https://github.com/o/r"), meant("github:o/r"));
        assert_eq!(why("github.com/o/r"), meant("github:o/r"));
        assert_eq!(why("https://github.com/o/r.git"), meant("github:o/r"));
        assert_eq!(
            why("https://github.com/o/r/blob/main/.github/workflows/release.yml"),
            meant("github:o/r/release.yml")
        );
        assert_eq!(why("https://gitlab.com/ns/p"), meant("gitlab:ns/p"));
        assert_eq!(
            why("https://gitlab.com/ns/sub/p/-/tree/main"),
            meant("gitlab:ns/sub/p")
        );
        // Not an address of either: the usual reasons.
        assert_eq!(why("o/r"), "missing the `kind:` prefix");
        assert!("github:o/r".parse::<PublisherSpec>().is_ok());
    }

    fn gh() -> Identity {
        let mut id = Identity {
            issuer: Some(GITHUB_ISSUER.into()),
            san: Some("https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1".into()),
            repository: Some("https://github.com/o/r".into()),
            git_ref: Some("refs/tags/v1".into()),
            commit: Some("abc123".into()),
            build_config_uri: Some(
                "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1".into(),
            ),
            ..Default::default()
        };
        id.workflow = id.workflow_path().map(str::to_string);
        id
    }

    #[test]
    fn spec_round_trips() {
        for s in [
            "github:o/r",
            "github:o/r/release.yml",
            "gitlab:ns/sub/p",
            "gitlab:ns/p//ci/.gitlab-ci.yml",
            "google:a@b.iam.gserviceaccount.com",
        ] {
            assert_eq!(PublisherSpec::from_str(s).unwrap().to_string(), s);
        }
        assert_eq!(
            PublisherSpec::from_str("github:o/r/.github/workflows/x.yml")
                .unwrap()
                .to_string(),
            "github:o/r/x.yml"
        );
    }

    #[test]
    fn bad_specs_are_errors() {
        for s in [
            "o/r",
            "github:o",
            "github:o/r/a/b",
            "github:o/../r",
            "gitlab:p",
            "gitlab:ns/p//",
            "google:nobody",
            "npm:x/y",
        ] {
            assert!(PublisherSpec::from_str(s).is_err(), "{s}");
        }
    }

    #[test]
    fn github_matching() {
        let id = gh();
        assert_eq!(
            id.publisher().unwrap().to_string(),
            "github:o/r/release.yml"
        );
        let ok = |s: &str| PublisherSpec::from_str(s).unwrap().check(&id);
        assert!(ok("github:o/r").is_ok());
        assert!(ok("github:O/R/release.yml").is_ok());
        assert!(ok("github:o/r/other.yml").is_err());
        assert!(ok("github:o/other").is_err());
        assert!(ok("gitlab:o/r").is_err());

        let mut by_digest = gh();
        by_digest.git_ref = None;
        by_digest.build_config_uri =
            Some("https://github.com/o/r/.github/workflows/release.yml@abc123".into());
        assert!(PublisherSpec::from_str("github:o/r/release.yml")
            .unwrap()
            .check(&by_digest)
            .is_ok());

        let mut neither = gh();
        neither.git_ref = None;
        neither.commit = None;
        assert!(PublisherSpec::from_str("github:o/r")
            .unwrap()
            .check(&neither)
            .unwrap_err()
            .contains("neither"));
    }

    #[test]
    fn reusable_workflow_uses_build_config_not_san() {
        let mut id = gh();
        id.san =
            Some("https://github.com/slsa/gen/.github/workflows/builder.yml@refs/tags/v2".into());
        assert!(PublisherSpec::from_str("github:o/r/release.yml")
            .unwrap()
            .check(&id)
            .is_ok());
    }
}
