//! Every command and flag, documented in one place. `main.rs` parses these and dispatches.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "pyprov",
    version,
    about = "Verify PEP 740 attestations and Sigstore provenance of Python packages, offline",
    long_about = "Verify PEP 740 attestations and Sigstore provenance of Python packages, offline.\n\n\
Every check (certificate chain, SCT, transparency-log inclusion proof, signed checkpoint and \
entry timestamp, DSSE signature, subject name and sha256) runs locally against the embedded \
Sigstore trusted root. pyprov makes no network call in these commands.",
    after_help = "Exit status: 0 every file verified and matched; 1 a verification or policy failure; 2 a usage error or unreadable input."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Verify files against their provenance, and the signer against an expected publisher
    Verify(Box<VerifyArgs>),
    /// Show what an attestation, provenance object or bundle claims, without verifying it
    Inspect(InspectArgs),
    /// Print shell completions
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Files to verify (wheels, sdists, or any file a Sigstore bundle covers)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub provenance: ProvenanceSource,

    #[command(flatten)]
    pub expect: ExpectArgs,

    /// Sigstore trusted_root.json to verify against instead of the embedded production root
    /// (staging, or a private Sigstore)
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Where provenance comes from. Without any of these, sidecars next to each FILE are used:
/// FILE.provenance, FILE.publish.attestation, FILE.slsa.attestation, FILE.sigstore.json,
/// FILE.sigstore.
#[derive(Debug, Args)]
#[group(multiple = false)]
pub struct ProvenanceSource {
    /// A PEP 740 provenance object (as served by PyPI's Integrity API)
    #[arg(long, value_name = "FILE")]
    pub provenance: Option<PathBuf>,

    /// A PEP 740 attestation object; repeat for several (all must verify)
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub attestation: Vec<PathBuf>,

    /// A Sigstore bundle (v0.1 to v0.3; a single-line .intoto.jsonl bundle works too)
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExpectArgs {
    /// Expected publisher: github:OWNER/REPO[/WORKFLOW_FILE], gitlab:NAMESPACE/PROJECT[//WORKFLOW_FILEPATH]
    /// or google:EMAIL. Without a workflow, any workflow of that repository. Repeat to allow several.
    #[arg(long, value_name = "SPEC", conflicts_with_all = ["identity", "key"])]
    pub publisher: Vec<String>,

    /// Expected deployment environment. Enforced when the certificate carries the Deployment
    /// Environment extension; certificates without it pass and are reported as "environment not
    /// proven"
    #[arg(long, value_name = "NAME", requires = "publisher")]
    pub environment: Option<String>,

    /// Expected certificate identity (SAN), exactly; requires --issuer
    #[arg(long, value_name = "SAN", requires = "issuer", conflicts_with = "key")]
    pub identity: Option<String>,

    /// Expected OIDC issuer of the certificate; requires --identity
    #[arg(long, value_name = "URL", requires = "identity")]
    pub issuer: Option<String>,

    /// Public key (PEM) of a managed-key bundle, which has no Fulcio certificate
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Attestation, provenance object or bundle files
    #[arg(required = true, value_name = "F")]
    pub files: Vec<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}
