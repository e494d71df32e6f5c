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
    after_help = "Exit status: 0 every file verified and matched (install: installed); 1 a verification or policy failure (nothing installed); 2 a usage error or unreadable input; pip's own status when pip fails after verification passed.\n\n\
Environment: PYPROV_TRUST_FILE (--trust-file), PYPROV_LOCKED (--locked; on by default when CI is set), \
PYPROV_UNATTESTED (--unattested), PYPROV_PROVENANCE_INDEX (--provenance-index), PYPROV_CACHE_DIR (--pyprov-cache-dir), \
PYPROV_TRUSTED_ROOT (--trusted-root), PYPROV_REAL_PIP (the pip the drop-in runs), NO_COLOR. \
pip's own PIP_* variables and pip.conf are honoured as pip honours them.\n\n\
Invoked as pip, pip3 or pip3.X (see `pyprov shim install`), pyprov is a drop-in pip."
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
    /// Keep the trust file (pyprov.toml): who may publish each package, what happens to
    /// unattested files, trust on first use
    Trust(TrustArgs),
    /// Install like `pip install`, verifying every file before pip reads a byte of it
    Install(InstallArgs),
    /// Download like `pip download -d DIR`, keeping only verified files
    Download(InstallArgs),
    /// Run pip through pyprov: `install` and `download` are verified; `wheel`, `lock`, `index`,
    /// `search` and `list --outdated` are refused (they fetch around the gate); every other pip
    /// command runs the real pip unchanged (what the `pip` links made by `shim install` do)
    Pip {
        /// pip's arguments
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "PIP_ARGS"
        )]
        args: Vec<String>,
    },
    /// Install or remove `pip`/`pip3` links to pyprov in a directory (a virtualenv's bin/,
    /// /usr/local/bin in an image)
    Shim {
        #[command(subcommand)]
        action: ShimAction,
    },
    /// Print shell completions
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum ShimAction {
    /// Link DIR/pip and DIR/pip3 to pyprov; a pip already there is kept as NAME.pyprov-backup
    Install {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Remove the links from DIR and restore what they replaced
    Remove {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
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

    #[command(flatten)]
    pub trust: TrustFileArgs,
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

/// Which trust file, and whether it may be written. Without --publisher, --identity or --key,
/// `verify` decides by the trust file's policy.
#[derive(Debug, Args)]
pub struct TrustFileArgs {
    /// The trust file to use instead of the nearest pyprov.toml above the working directory
    #[arg(long, value_name = "PATH", env = "PYPROV_TRUST_FILE", global = true)]
    pub trust_file: Option<PathBuf>,

    /// Never write the trust file; a package with no publisher is an error instead of a pin.
    /// The default when the CI environment variable is set; --locked=false turns it off
    #[arg(
        long,
        env = "PYPROV_LOCKED",
        global = true,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub locked: Option<bool>,
}

#[derive(Debug, Args)]
pub struct TrustArgs {
    #[command(flatten)]
    pub file: TrustFileArgs,

    #[command(subcommand)]
    pub command: TrustCommand,
}

#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// Show the effective policy and every package entry
    Show {
        /// Output format
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Allow PACKAGE to be published by SPEC (added to its publishers; creates the file if needed)
    Add {
        /// Package name (any spelling; compared normalized)
        package: String,
        /// github:OWNER/REPO[/WORKFLOW_FILE], gitlab:NAMESPACE/PROJECT[//WORKFLOW_FILEPATH] or
        /// google:EMAIL; repeat for several
        #[arg(required = true, value_name = "SPEC")]
        spec: Vec<String>,
        /// Deployment environment the publisher must release from
        #[arg(long, value_name = "NAME")]
        environment: Option<String>,
    },
    /// Accept files of PACKAGE that carry no provenance (unattested = "allow")
    AllowUnattested {
        /// Package name
        package: String,
    },
    /// Remove PACKAGE's entry
    Remove {
        /// Package name
        package: String,
    },
    /// Verify FILEs (sidecar provenance) and pin each package to the publisher its certificate
    /// proves
    Pin(TrustPinArgs),
}

#[derive(Debug, Args)]
pub struct TrustPinArgs {
    /// Wheels or sdists, each with its provenance beside it (FILE.provenance,
    /// FILE.publish.attestation, ...)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Sigstore trusted_root.json to verify against instead of the embedded production root
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
}

/// `pyprov install` / `pyprov download`: pyprov's own flags; every other argument is pip's and
/// goes to pip unchanged unless pyprov must interpret it (requirements, indexes, find-links,
/// install location, --dry-run, --report). pyprov's flags may appear anywhere on the line.
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Python interpreter whose pip to use (default: the virtualenv in VIRTUAL_ENV, else the
    /// first `pip` on PATH that is not pyprov)
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,

    #[command(flatten)]
    pub trust: TrustFileArgs,

    /// Look provenance up at this index's Integrity API by file name (for mirrors and private
    /// indexes that strip it); the sha256 binds it to the downloaded bytes
    #[arg(long, value_name = "URL", env = "PYPROV_PROVENANCE_INDEX")]
    pub provenance_index: Option<String>,

    /// Files with no provenance: deny, warn or allow (overrides the trust file's policy)
    #[arg(long, value_name = "POLICY", env = "PYPROV_UNATTESTED", value_parser = ["deny", "warn", "allow"])]
    pub unattested: Option<String>,

    /// Do not read or write pyprov's cache of verified files
    #[arg(long)]
    pub no_cache: bool,

    /// Where verified files are cached (default: $XDG_CACHE_HOME/pyprov or ~/.cache/pyprov).
    /// Not pip's --cache-dir: pip's caches stay off under pyprov
    #[arg(
        long = "pyprov-cache-dir",
        value_name = "DIR",
        env = "PYPROV_CACHE_DIR"
    )]
    pub cache_dir: Option<PathBuf>,

    /// Sigstore trusted_root.json to verify against instead of the embedded production root
    #[arg(long, value_name = "FILE", env = "PYPROV_TRUSTED_ROOT")]
    pub trusted_root: Option<PathBuf>,

    /// Output format of the verification report
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// pip's install arguments: requirements, -r/-c/-e, -i/--extra-index-url, --no-deps, -U,
    /// --pre, --only-binary, --target, --prefix, --user, --require-hashes, ...
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "PIP_ARGS"
    )]
    pub pip_args: Vec<String>,
}

/// The pip install/download flags pyprov documents and interprets (long name, short name,
/// value name, help). They are pip's, passed on in `PIP_ARGS`; listed here so that `--help`
/// and the shell completions cover them.
pub const PIP_FLAGS: &[(&str, Option<char>, Option<&str>, &str)] = &[
    (
        "requirement",
        Some('r'),
        Some("FILE"),
        "Install from a requirements file",
    ),
    (
        "constraint",
        Some('c'),
        Some("FILE"),
        "Constrain versions with a constraints file",
    ),
    (
        "editable",
        Some('e'),
        Some("PATH"),
        "Install a local project in editable mode",
    ),
    (
        "index-url",
        Some('i'),
        Some("URL"),
        "Base URL of the package index pyprov fetches from",
    ),
    (
        "extra-index-url",
        None,
        Some("URL"),
        "Extra index URLs, also fetched by pyprov",
    ),
    (
        "find-links",
        Some('f'),
        Some("DIR_OR_URL"),
        "Directory (sidecar provenance) or page of links",
    ),
    (
        "no-index",
        None,
        None,
        "Ignore the package index (only find-links)",
    ),
    ("no-deps", None, None, "Do not install dependencies"),
    (
        "upgrade",
        Some('U'),
        None,
        "Upgrade packages to the newest available version",
    ),
    (
        "pre",
        None,
        None,
        "Include pre-release and development versions",
    ),
    (
        "only-binary",
        None,
        Some("FORMAT_CONTROL"),
        "Do not use source distributions (:all: or names)",
    ),
    (
        "no-binary",
        None,
        Some("FORMAT_CONTROL"),
        "Do not use wheels (:all: or names)",
    ),
    (
        "target",
        Some('t'),
        Some("DIR"),
        "Install packages into DIR",
    ),
    ("prefix", None, Some("DIR"), "Installation prefix"),
    ("user", None, None, "Install to the user site"),
    (
        "require-hashes",
        None,
        None,
        "Require a hash for every requirement",
    ),
    (
        "python-version",
        None,
        Some("VERSION"),
        "Python version the packages are for",
    ),
    (
        "platform",
        None,
        Some("PLATFORM"),
        "Platform the packages are for",
    ),
    (
        "no-build-isolation",
        None,
        None,
        "Build with the environment's own build dependencies",
    ),
    ("dry-run", None, None, "Verify everything, install nothing"),
    (
        "report",
        None,
        Some("FILE"),
        "Write pip's installation report to FILE",
    ),
    (
        "dest",
        Some('d'),
        Some("DIR"),
        "Where `pyprov download` puts the vetted files",
    ),
    ("quiet", Some('q'), None, "Less output (repeatable), as pip"),
    (
        "verbose",
        Some('v'),
        None,
        "More output, with the evidence (repeatable)",
    ),
];

/// The command tree with pip's documented flags added to `install` and `download`, for
/// completions. (The parser leaves them to pip, so they are not real clap arguments.)
pub fn command_with_pip_flags() -> clap::Command {
    use clap::CommandFactory;
    let add = |mut cmd: clap::Command| {
        for (long, short, value, help) in PIP_FLAGS {
            let mut arg = clap::Arg::new(*long).long(*long).help(*help);
            if let Some(s) = short {
                arg = arg.short(*s);
            }
            arg = match value {
                Some(v) => arg.value_name(*v).action(clap::ArgAction::Append),
                None => arg.action(clap::ArgAction::Count),
            };
            if matches!(*long, "requirement" | "constraint" | "report") {
                arg = arg.value_hint(clap::ValueHint::FilePath);
            } else if matches!(*long, "target" | "prefix" | "dest" | "editable") {
                arg = arg.value_hint(clap::ValueHint::DirPath);
            }
            cmd = cmd.arg(arg);
        }
        cmd
    };
    Cli::command()
        .mut_subcommand("install", add)
        .mut_subcommand("download", add)
}

/// The pip flags, formatted for `pyprov install --help`.
pub fn pip_flags_help() -> String {
    let mut s =
        String::from("pip flags pyprov interprets (every other pip flag goes to pip unchanged):\n");
    for (long, short, value, help) in PIP_FLAGS {
        let name = match (short, value) {
            (Some(c), Some(v)) => format!("-{c}, --{long} <{v}>"),
            (Some(c), None) => format!("-{c}, --{long}"),
            (None, Some(v)) => format!("--{long} <{v}>"),
            (None, None) => format!("--{long}"),
        };
        s.push_str(&format!("  {name:<38} {help}\n"));
    }
    s
}
