//! Every command and flag, documented in one place. `main.rs` parses these and dispatches.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::pipopts::{self, Documented, PipOption};

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
    /// Write a pylock.toml (PEP 751) of verified files, recording the publisher each file's
    /// certificate proved (`attestation-identities`); `--check` re-judges an existing lock
    Lock(LockArgs),
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
#[derive(Debug, Clone, Args)]
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
    /// Write a new trust file (pyprov.toml here, or --trust-file) from a requirements file, a
    /// lock or the environment: every package is resolved and verified as `pyprov lock` does,
    /// each attested one pinned to the publisher its files prove, each unattested one listed
    /// with `unattested = "allow"` for review. Refuses to replace an existing file
    Init(TrustInitArgs),
}

/// `pyprov trust init`: what to vet, and where to write.
#[derive(Debug, Args)]
pub struct TrustInitArgs {
    /// The distributions installed in the target environment (--python, else VIRTUAL_ENV, else
    /// ./.venv), each looked up on the index as `NAME==VERSION`
    #[arg(long)]
    pub from_environment: bool,

    /// Replace an existing trust file
    #[arg(long)]
    pub force: bool,

    /// pyprov's and pip's lock arguments: -r requirements.txt or -r pylock.toml, requirements,
    /// -i/--extra-index-url, --python PATH, --trusted-root FILE, ...
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    pub args: Vec<String>,
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
    #[command(flatten)]
    pub own: OwnFlags,

    /// pip's install arguments: requirements, -r/-c/-e, -i/--extra-index-url, --no-deps, -U,
    /// --pre, --only-binary, --target, --prefix, --user, --require-hashes, ...
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "PIP_ARGS"
    )]
    pub pip_args: Vec<String>,
}

/// `pyprov lock`: pip's resolution behind the gate (or an existing lock, `-r pylock.toml`),
/// written as a pylock.toml. pip's `lock` arguments (requirements, -r/-c, indexes, `-o FILE`)
/// follow; pyprov's flags may appear anywhere on the line.
#[derive(Debug, Args)]
pub struct LockArgs {
    #[command(flatten)]
    pub own: OwnFlags,

    /// Write nothing: re-judge every file of the lock (`-o FILE`, default pylock.toml) against
    /// what its index serves now; exit 1 naming each package whose proven publisher differs
    /// from the lock's attestation-identities, or whose file is gone or changed
    #[arg(long)]
    pub check: bool,

    /// pip's lock arguments: requirements, -r/-c, -i/--extra-index-url, --pre, --only-binary,
    /// -o/--output FILE (default pylock.toml), ...
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "PIP_ARGS"
    )]
    pub pip_args: Vec<String>,
}

/// pyprov's own install and download flags, defined once. `pyprov install` reads them (and their
/// variables) before pip's arguments; the same flags among pip's arguments, and the drop-in
/// pip's environment, are read by clap through this definition too ([`OwnFlags::from_env`],
/// [`OwnFlags::update_from_words`]), so each flag and variable means the same everywhere.
#[derive(Debug, Clone, Args)]
pub struct OwnFlags {
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
}

impl OwnFlags {
    /// These flags alone, as a command of their own (`-h` among pip's words is pipopts' to
    /// refuse, so this command has none).
    pub fn command() -> clap::Command {
        use clap::Args as _;
        let command = clap::Command::new("pyprov")
            .no_binary_name(true)
            .disable_help_flag(true);
        OwnFlags::augment_args(command)
    }

    /// The flags from their environment variables alone: clap parses an empty command line.
    /// This is what the drop-in pip starts from, since pip's command line has no place for them
    /// before pip's own words. An empty variable counts as unset, as it always has for the
    /// drop-in.
    pub fn from_env() -> Result<OwnFlags, clap::Error> {
        use clap::FromArgMatches as _;
        let command = OwnFlags::command().mut_args(|a| {
            let empty = a
                .get_env()
                .and_then(std::env::var_os)
                .is_some_and(|v| v.is_empty());
            if empty {
                a.env(None)
            } else {
                a
            }
        });
        let matches = command.try_get_matches_from(std::iter::empty::<String>())?;
        OwnFlags::from_arg_matches(&matches)
    }

    /// Applies the flags `words` give (`--name` or `--name=value`, as pyprov found them among
    /// pip's arguments) over these: a flag given here wins, and nothing else changes, so the
    /// words are read without the variables and defaults, which were read already.
    pub fn update_from_words(&mut self, words: &[String]) -> Result<(), clap::Error> {
        use clap::FromArgMatches as _;
        if words.is_empty() {
            return Ok(());
        }
        // Later words win, as pip's own options do.
        let command = OwnFlags::command().args_override_self(true).mut_args(|a| {
            let a = a.env(None).default_value(None);
            // A plain flag always has a value (false when absent), which would turn it off: as
            // a flag that has a value only when given, it changes only when given.
            if matches!(a.get_action(), clap::ArgAction::SetTrue) {
                a.action(clap::ArgAction::Set)
                    .num_args(0)
                    .default_missing_value("true")
            } else {
                a
            }
        });
        let matches = command.try_get_matches_from(words)?;
        self.update_from_arg_matches(&matches)
    }
}

/// The command tree with pip's documented flags added to `install` and `download`, for
/// completions. (The parser leaves them to pip, so they are not real clap arguments.)
pub fn command_with_pip_flags() -> clap::Command {
    use clap::CommandFactory;
    let add = |mut cmd: clap::Command| {
        for (doc, option) in documented() {
            let mut arg = clap::Arg::new(doc.name).long(doc.name).help(doc.help);
            if let Some(s) = option.short {
                arg = arg.short(s);
            }
            arg = if option.takes_value() {
                arg.value_name(doc.value).action(clap::ArgAction::Append)
            } else {
                arg.action(clap::ArgAction::Count)
            };
            arg = match doc.value {
                "FILE" => arg.value_hint(clap::ValueHint::FilePath),
                "DIR" | "PATH" => arg.value_hint(clap::ValueHint::DirPath),
                _ => arg,
            };
            cmd = cmd.arg(arg);
        }
        cmd
    };
    Cli::command()
        .mut_subcommand("install", add)
        .mut_subcommand("download", add)
}

/// pipopts' documented options with their rows (a name without a row is caught by a test).
fn documented() -> impl Iterator<Item = (&'static Documented, &'static PipOption)> {
    pipopts::DOCUMENTED
        .iter()
        .filter_map(|d| d.option().map(|o| (d, o)))
}

/// The pip flags, formatted for `pyprov install --help`.
pub fn pip_flags_help() -> String {
    let mut s =
        String::from("pip flags pyprov interprets (every other pip flag goes to pip unchanged):\n");
    for (doc, option) in documented() {
        let long = doc.name;
        let name = match (option.short, option.takes_value()) {
            (Some(c), true) => format!("-{c}, --{long} <{}>", doc.value),
            (Some(c), false) => format!("-{c}, --{long}"),
            (None, true) => format!("--{long} <{}>", doc.value),
            (None, false) => format!("--{long}"),
        };
        s.push_str(&format!("  {name:<38} {}\n", doc.help));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_pip_flag_is_in_the_table() {
        for d in pipopts::DOCUMENTED {
            let o = d
                .option()
                .unwrap_or_else(|| panic!("--{} is no install or download option", d.name));
            assert_eq!(o.takes_value(), !d.value.is_empty(), "--{}", d.name);
        }
    }
}
