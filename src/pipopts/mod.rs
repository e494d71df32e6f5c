//! pip's command line, defined once: every option pip's `install`, `download`, `wheel` and
//! `lock` commands and its general options accept (pip 22.2 to 26.3), with its spellings, whether
//! it takes a value, pip's `dest`, and what pyprov does with it (its [`Role`]).
//!
//! pyprov never hands pip a word the user typed. It parses the user's words here with optparse's
//! rules (exact long names, else an unambiguous prefix; `--name=value`; clustered short options
//! such as `-Uf<url>`; `--` ends the options), merges pip's configuration (read through the real
//! pip, see `install::pip`) under them, and writes pip a command line of its own in canonical
//! `--long=value` form. A word pyprov cannot place is an error, not a pass-through: a spelling
//! pip accepts but pyprov misreads can at worst make pyprov refuse, never make pip do something
//! pyprov did not decide.
//!
//! Prefixes are matched against the spellings of every pip version together: a prefix unique
//! there is unique in each version; one that is ambiguous anywhere is refused, naming the
//! candidates.
//!
//! tests/e2e/pip_options.rs holds this table to the real parsers of each pip of the test matrix
//! (spellings, value, kind, `dest`, requirements-file lines), both ways.

#![deny(clippy::indexing_slicing)]

/// What pyprov does with an option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// An index or find-links source: pyprov serves it through the gate; pip never sees it.
    Source,
    /// A requirement, constraint or editable: pyprov reads it and hands pip a sanitized copy.
    Input,
    /// A network setting (proxy, TLS, timeouts): it applies to pyprov's own downloads; pip only
    /// ever talks to the gate.
    Network,
    /// Where to install: both pip runs.
    Location,
    /// Changes what pip resolves or builds: both pip runs.
    Both,
    /// Only the resolving run (the install step installs exact, hash-pinned files).
    ResolveOnly,
    /// Only the installing run.
    InstallOnly,
    /// pip's, read by pyprov (`--report`, `--dry-run`, `-d`, `--no-deps`, `--require-hashes`).
    Pyprov,
    /// One of pyprov's own flags (`--locked`, `--trust-file`, `--python`, …), which pip never
    /// sees. Its row only places it among pip's words; its value is read by clap, through the
    /// one definition of pyprov's flags (`cli::OwnFlags`).
    Own,
    /// Verbosity (`-v`, `-q`).
    Verbosity,
    /// Dropped: pip's caches stay off, pyprov isolates pip itself, the version check is off.
    Dropped,
    /// Refused with this reason: pip would read inputs pyprov has not vetted.
    Unsupported(&'static str),
}

/// How an option takes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A flag that sets `dest` to this value.
    Flag(bool),
    /// A flag counted each time (`-v`).
    Count,
    /// A value; the last one wins.
    Store,
    /// A value; each one adds to a list.
    Append,
}

/// The commands an option belongs to.
pub mod cmds {
    pub const GENERAL: u8 = 1;
    pub const INSTALL: u8 = 2;
    pub const DOWNLOAD: u8 = 4;
    pub const WHEEL: u8 = 8;
    pub const LOCK: u8 = 16;
    /// pyprov's own install/download flags.
    pub const PYPROV: u8 = 32;
    /// Accepted on a line of a requirements or constraints file.
    pub const REQFILE: u8 = 64;
    /// `pip list` (only what the drop-in must know of it: which options ask an index).
    pub const LIST: u8 = 128;
    pub const ALL_FETCHING: u8 = INSTALL | DOWNLOAD | WHEEL | LOCK;
    pub const ALL: u8 = GENERAL | ALL_FETCHING;
}

/// What else pyprov must know of an option, as bits: facts that decide how it is handled, kept
/// here so that no list of option names lives anywhere else.
pub mod traits {
    /// Resolves for another interpreter or platform than the one pip runs in (`--platform`, …):
    /// the gate's builds and pyprov's own choice of files would be for the wrong one.
    pub const TARGET: u8 = 1;
    /// Chooses between a wheel and an sdist (`--no-binary`, `--only-binary`, `--prefer-binary`):
    /// meaningless once each file is chosen and pinned by hash.
    pub const FILE_CHOICE: u8 = 2;
    /// Changes how pip talks, not what it resolves (`--log`, `--no-color`, …): a stored
    /// resolution stays valid whatever its value.
    pub const COSMETIC: u8 = 4;
    /// On a requirements-file line, applies to that line's requirement (`--hash`,
    /// `--config-settings`, …); pip ignores every other option on a requirement's line.
    pub const PER_REQUIREMENT: u8 = 8;
    /// Makes `pip list` query a package index (`--outdated`, `--uptodate`).
    pub const ASKS_INDEX: u8 = 16;
}

#[derive(Debug, PartialEq, Eq)]
pub struct PipOption {
    /// Long spellings, the canonical one first, without `--`.
    pub long: &'static [&'static str],
    pub short: Option<char>,
    pub kind: Kind,
    /// pip's `dest`: options sharing one (`--user`/`--no-user`) set the same value.
    pub dest: &'static str,
    pub role: Role,
    pub commands: u8,
    /// [`traits`] bits.
    pub traits: u8,
}

impl PipOption {
    /// Whether the option has this [`traits`] bit.
    pub fn has(&self, t: u8) -> bool {
        self.traits & t != 0
    }

    pub fn name(&self) -> &'static str {
        self.long.first().copied().unwrap_or("")
    }

    pub fn takes_value(&self) -> bool {
        matches!(self.kind, Kind::Store | Kind::Append)
    }

    /// The canonical spelling of this option with `value`, as pyprov hands it to pip.
    pub fn canonical(&self, value: Option<&str>) -> String {
        match value {
            Some(v) => format!("--{}={v}", self.name()),
            None => format!("--{}", self.name()),
        }
    }
}

const QUERIES_INDEX: &str = "it queries a package index outside pyprov's gate";

macro_rules! opt {
    ([$($long:literal),+], $short:expr, $kind:expr, $dest:literal, $role:expr, $cmds:expr) => {
        opt!([$($long),+], $short, $kind, $dest, $role, $cmds; 0)
    };
    ([$($long:literal),+], $short:expr, $kind:expr, $dest:literal, $role:expr, $cmds:expr; $traits:expr) => {
        PipOption {
            long: &[$($long),+],
            short: $short,
            kind: $kind,
            dest: $dest,
            role: $role,
            commands: $cmds,
            traits: $traits,
        }
    };
}

use cmds::*;
use traits::*;
use Kind::*;
use Role::*;

const IDW: u8 = INSTALL | DOWNLOAD | WHEEL;
const IDWL: u8 = INSTALL | DOWNLOAD | WHEEL | LOCK;
const IWL: u8 = INSTALL | WHEEL | LOCK;

/// Every option, once: one row each.
#[rustfmt::skip]
pub static OPTIONS: &[PipOption] = &[
    // General options (every command).
    opt!(["help"], Some('h'), Flag(true), "help", Pyprov, GENERAL),
    opt!(["debug"], None, Flag(true), "debug_mode", Both, GENERAL),
    opt!(["isolated"], None, Flag(true), "isolated_mode", Pyprov, GENERAL),
    opt!(["require-virtualenv", "require-venv"], None, Flag(true), "require_venv", Both, GENERAL; COSMETIC),
    opt!(["python"], None, Store, "python", Own, GENERAL),
    opt!(["verbose"], Some('v'), Count, "verbose", Verbosity, GENERAL),
    opt!(["version"], Some('V'), Flag(true), "version", Unsupported("`--version` is not an install option: run `pip --version`"), GENERAL),
    opt!(["quiet"], Some('q'), Count, "quiet", Verbosity, GENERAL),
    opt!(["log", "log-file", "local-log"], None, Store, "log", Both, GENERAL; COSMETIC),
    opt!(["no-input"], None, Flag(true), "no_input", Both, GENERAL; COSMETIC),
    opt!(["keyring-provider"], None, Store, "keyring_provider", Network, GENERAL),
    opt!(["proxy"], None, Store, "proxy", Network, GENERAL),
    opt!(["no-proxy-env"], None, Flag(true), "no_proxy_env", Network, GENERAL),
    opt!(["retries"], None, Store, "retries", Network, GENERAL),
    opt!(["timeout", "default-timeout"], None, Store, "timeout", Network, GENERAL),
    opt!(["exists-action"], None, Append, "exists_action", InstallOnly, GENERAL),
    opt!(["trusted-host"], None, Append, "trusted_hosts", Network, GENERAL | REQFILE),
    opt!(["cert"], None, Store, "cert", Network, GENERAL),
    opt!(["client-cert"], None, Store, "client_cert", Network, GENERAL),
    opt!(["cache-dir"], None, Store, "cache_dir", Dropped, GENERAL),
    opt!(["no-cache-dir"], None, Flag(false), "cache_dir", Dropped, GENERAL),
    opt!(["disable-pip-version-check"], None, Flag(true), "disable_pip_version_check", Dropped, GENERAL),
    opt!(["no-color"], None, Flag(true), "no_color", Both, GENERAL; COSMETIC),
    opt!(["no-python-version-warning"], None, Flag(true), "no_python_version_warning", Both, GENERAL; COSMETIC),
    opt!(["use-feature"], None, Append, "features_enabled", Both, GENERAL | REQFILE),
    opt!(["use-deprecated"], None, Append, "deprecated_features_enabled", Both, GENERAL),
    opt!(["resume-retries"], None, Store, "resume_retries", Network, GENERAL),
    // Inputs.
    opt!(["requirement"], Some('r'), Append, "requirements", Input, IDWL | REQFILE),
    opt!(["constraint"], Some('c'), Append, "constraints", Input, IDWL | REQFILE),
    opt!(["editable"], Some('e'), Append, "editables", Input, IWL | REQFILE),
    opt!(["build-constraint"], None, Append, "build_constraints", Input, IDWL),
    opt!(["requirements-from-script"], None, Append, "requirements_from_scripts", Input, IDWL),
    opt!(["group"], None, Append, "dependency_groups", Input, IDWL),
    opt!(["hash"], None, Append, "hashes", Input, REQFILE; PER_REQUIREMENT),
    // Sources.
    opt!(["index-url", "pypi-url"], Some('i'), Store, "index_url", Source, IDWL | REQFILE | LIST),
    opt!(["extra-index-url"], None, Append, "extra_index_urls", Source, IDWL | REQFILE | LIST),
    opt!(["no-index"], None, Flag(true), "no_index", Source, IDWL | REQFILE | LIST),
    opt!(["find-links"], Some('f'), Append, "find_links", Source, IDWL | REQFILE | LIST),
    // Resolution and building.
    opt!(["no-deps", "no-dependencies"], None, Flag(true), "ignore_dependencies", Pyprov, IDWL),
    opt!(["only-deps", "only-dependencies"], None, Flag(true), "only_dependencies", ResolveOnly, IDWL),
    opt!(["pre"], None, Flag(true), "pre", ResolveOnly, IDWL | REQFILE),
    // --all-releases and --only-final act on one setting in the order given (pip 26's
    // `release_control`), as --no-binary and --only-binary do below.
    opt!(["all-releases"], None, Append, "release_control", ResolveOnly, IDWL | REQFILE),
    opt!(["only-final"], None, Append, "release_control", ResolveOnly, IDWL | REQFILE),
    opt!(["uploaded-prior-to"], None, Store, "uploaded_prior_to", ResolveOnly, IDWL),
    opt!(["refresh-package"], None, Append, "refresh_package", Dropped, IDWL),
    opt!(["dry-run"], None, Flag(true), "dry_run", Pyprov, INSTALL),
    opt!(["target"], Some('t'), Store, "target_dir", Location, INSTALL),
    opt!(["platform"], None, Append, "platforms", Both, INSTALL | DOWNLOAD; TARGET),
    opt!(["python-version"], None, Store, "python_version", Both, INSTALL | DOWNLOAD; TARGET),
    opt!(["implementation"], None, Store, "implementation", Both, INSTALL | DOWNLOAD; TARGET),
    opt!(["abi"], None, Append, "abis", Both, INSTALL | DOWNLOAD; TARGET),
    opt!(["user"], None, Flag(true), "use_user_site", Location, INSTALL),
    opt!(["no-user"], None, Flag(false), "use_user_site", Location, INSTALL),
    opt!(["root"], None, Store, "root_path", Location, INSTALL),
    opt!(["prefix"], None, Store, "prefix_path", Location, INSTALL),
    opt!(["src", "source", "source-dir", "source-directory"], None, Store, "src_dir", Location, IDWL),
    opt!(["upgrade"], Some('U'), Flag(true), "upgrade", Both, INSTALL),
    opt!(["upgrade-strategy"], None, Store, "upgrade_strategy", Both, INSTALL),
    opt!(["force-reinstall"], None, Flag(true), "force_reinstall", Both, INSTALL),
    opt!(["ignore-installed"], Some('I'), Flag(true), "ignore_installed", Both, INSTALL),
    opt!(["ignore-requires-python"], None, Flag(true), "ignore_requires_python", Both, IDWL),
    opt!(["no-build-isolation"], None, Flag(false), "build_isolation", Both, IDWL),
    opt!(["use-pep517"], None, Flag(true), "use_pep517", Both, IDWL),
    opt!(["no-use-pep517"], None, Flag(false), "use_pep517", Both, IDW),
    opt!(["check-build-dependencies"], None, Flag(true), "check_build_deps", Both, IDWL),
    opt!(["break-system-packages"], None, Flag(true), "override_externally_managed", Both, INSTALL),
    opt!(["config-settings"], Some('C'), Append, "config_settings", Both, IWL | REQFILE; PER_REQUIREMENT),
    opt!(["install-option"], None, Append, "install_options", Both, INSTALL | REQFILE; PER_REQUIREMENT),
    opt!(["global-option"], None, Append, "global_options", Both, IDW | REQFILE; PER_REQUIREMENT),
    opt!(["build-option"], None, Append, "build_options", Both, WHEEL),
    opt!(["compile"], None, Flag(true), "compile", InstallOnly, INSTALL),
    opt!(["no-compile"], None, Flag(false), "compile", InstallOnly, INSTALL),
    opt!(["no-warn-script-location"], None, Flag(false), "warn_script_location", InstallOnly, INSTALL),
    opt!(["no-warn-conflicts"], None, Flag(false), "warn_about_conflicts", InstallOnly, INSTALL),
    // --no-binary and --only-binary act on one setting in the order given: one dest keeps
    // them in order.
    opt!(["no-binary"], None, Append, "format_control", Both, IDWL | REQFILE; FILE_CHOICE),
    opt!(["only-binary"], None, Append, "format_control", Both, IDWL | REQFILE; FILE_CHOICE),
    opt!(["prefer-binary"], None, Flag(true), "prefer_binary", Both, IDWL | REQFILE; FILE_CHOICE),
    opt!(["require-hashes"], None, Flag(true), "require_hashes", Pyprov, IDWL | REQFILE),
    opt!(["no-require-hashes"], None, Flag(true), "no_require_hashes", ResolveOnly, IDWL | REQFILE),
    opt!(["progress-bar"], None, Store, "progress_bar", InstallOnly, IDWL; COSMETIC),
    opt!(["root-user-action"], None, Store, "root_user_action", InstallOnly, INSTALL),
    opt!(["report"], None, Store, "json_report_file", Pyprov, INSTALL),
    opt!(["no-clean"], None, Flag(true), "no_clean", Both, IDWL; COSMETIC),
    opt!(["dest", "destination-dir", "destination-directory"], Some('d'), Store, "download_dir", Pyprov, DOWNLOAD),
    opt!(["wheel-dir"], Some('w'), Store, "wheel_dir", Pyprov, WHEEL),
    opt!(["no-verify"], None, Flag(true), "no_verify", Both, WHEEL),
    opt!(["output"], Some('o'), Store, "output_file", Pyprov, LOCK),
    // `pip list`'s options that query an index (what the drop-in refuses to run).
    opt!(["outdated"], Some('o'), Flag(true), "outdated", Unsupported(QUERIES_INDEX), LIST; ASKS_INDEX),
    opt!(["uptodate"], Some('u'), Flag(true), "uptodate", Unsupported(QUERIES_INDEX), LIST; ASKS_INDEX),
    // pyprov's own flags for install and download (exact names; they share pip's word space, so
    // a prefix of one of them and of a pip option is ambiguous). Their values are clap's to read
    // (`cli::OwnFlags`, which a test holds these rows to).
    opt!(["trust-file"], None, Store, "pyprov_trust_file", Own, PYPROV),
    opt!(["locked"], None, Flag(true), "pyprov_locked", Own, PYPROV),
    opt!(["unattested"], None, Store, "pyprov_unattested", Own, PYPROV),
    opt!(["no-cache"], None, Flag(true), "pyprov_no_cache", Own, PYPROV),
    opt!(["provenance-index"], None, Store, "pyprov_provenance_index", Own, PYPROV),
    opt!(["trusted-root"], None, Store, "pyprov_trusted_root", Own, PYPROV),
    opt!(["pyprov-cache-dir"], None, Store, "pyprov_cache_dir", Own, PYPROV),
    opt!(["format"], None, Store, "pyprov_format", Own, PYPROV),
];

/// A pip option `pyprov install --help` and the shell completions document, in pyprov's words.
/// Its spellings, short name and whether it takes a value are its row's in [`OPTIONS`].
#[derive(Debug)]
pub struct Documented {
    /// The option's canonical long name.
    pub name: &'static str,
    /// What its value is called in the help (ignored for an option that takes none).
    pub value: &'static str,
    pub help: &'static str,
}

impl Documented {
    /// The option's row: the one `install` or `download` takes under this name.
    pub fn option(&self) -> Option<&'static PipOption> {
        OPTIONS
            .iter()
            .find(|o| o.commands & (GENERAL | INSTALL | DOWNLOAD) != 0 && o.name() == self.name)
    }
}

macro_rules! doc {
    ($name:literal, $value:literal, $help:literal) => {
        Documented {
            name: $name,
            value: $value,
            help: $help,
        }
    };
}

/// The pip options pyprov interprets and documents, in the order the help lists them (every
/// other one goes to pip as pip reads it, and is listed only in the table above).
#[rustfmt::skip]
pub static DOCUMENTED: &[Documented] = &[
    doc!("requirement", "FILE", "Install from a requirements file"),
    doc!("constraint", "FILE", "Constrain versions with a constraints file"),
    doc!("editable", "PATH", "Install a local project in editable mode"),
    doc!("index-url", "URL", "Base URL of the package index pyprov fetches from"),
    doc!("extra-index-url", "URL", "Extra index URLs, also fetched by pyprov"),
    doc!("find-links", "DIR_OR_URL", "Directory (sidecar provenance) or page of links"),
    doc!("no-index", "", "Ignore the package index (only find-links)"),
    doc!("no-deps", "", "Do not install dependencies"),
    doc!("upgrade", "", "Upgrade packages to the newest available version"),
    doc!("pre", "", "Include pre-release and development versions"),
    doc!("only-binary", "FORMAT_CONTROL", "Do not use source distributions (:all: or names)"),
    doc!("no-binary", "FORMAT_CONTROL", "Do not use wheels (:all: or names)"),
    doc!("target", "DIR", "Install packages into DIR"),
    doc!("prefix", "DIR", "Installation prefix"),
    doc!("user", "", "Install to the user site"),
    doc!("require-hashes", "", "Require a hash for every requirement"),
    doc!("python-version", "VERSION", "Python version the packages are for"),
    doc!("platform", "PLATFORM", "Platform the packages are for"),
    doc!("no-build-isolation", "", "Build with the environment's own build dependencies"),
    doc!("dry-run", "", "Verify everything, install nothing"),
    doc!("report", "FILE", "Write pip's installation report to FILE"),
    doc!("dest", "DIR", "Where `pyprov download` puts the vetted files"),
    doc!("quiet", "", "Less output (repeatable), as pip"),
    doc!("verbose", "", "More output, with the evidence (repeatable)"),
];

/// Which command's options apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Install,
    Download,
    Wheel,
    Lock,
    /// Only the general options (what may stand before a command).
    General,
    /// A line of a requirements or constraints file (pip's own, smaller parser).
    RequirementsFile,
}

impl Command {
    fn mask(self) -> u8 {
        match self {
            Command::Install => GENERAL | INSTALL | PYPROV,
            Command::Download => GENERAL | DOWNLOAD | PYPROV,
            Command::Wheel => GENERAL | WHEEL,
            Command::Lock => GENERAL | LOCK | PYPROV,
            Command::General => GENERAL,
            Command::RequirementsFile => REQFILE,
        }
    }

    /// The options whose spellings a prefix is checked against: optparse knows only its own
    /// parser's, and pip parses requirements files with a parser of their own.
    fn scope(self) -> u8 {
        match self {
            Command::RequirementsFile => REQFILE,
            _ => ALL | PYPROV,
        }
    }

    /// The section of pip's configuration files that applies besides `[global]`.
    pub fn pip_name(self) -> &'static str {
        match self {
            Command::Install => "install",
            Command::Download => "download",
            Command::Wheel => "wheel",
            Command::Lock => "lock",
            Command::General | Command::RequirementsFile => "",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptError {
    #[error("no such option: {0}")]
    Unknown(String),
    #[error("ambiguous option: {given} could be {}", candidates.join(", "))]
    Ambiguous {
        given: String,
        candidates: Vec<String>,
    },
    #[error("{0} option requires an argument")]
    MissingValue(String),
    #[error("{0} option does not take a value")]
    UnexpectedValue(String),
    #[error("{option}: {why}")]
    Unsupported { option: String, why: &'static str },
    #[error("{key} in pip's configuration: {why}")]
    BadConfig { key: String, why: String },
}

/// One word (or option with its value) of a parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Opt {
        option: &'static PipOption,
        value: Option<String>,
        /// What the user wrote, for messages.
        spelled: String,
    },
    Positional(String),
}

fn applies(o: &PipOption, mask: u8) -> bool {
    o.commands & mask != 0
}

mod effective;
mod parse;
#[cfg(test)]
mod tests;

pub use effective::{Effective, Value};
pub use parse::{expand_env, find_long, find_short, parse, shlex_split, strtobool, UnclosedQuote};
