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
    /// pyprov's own, or pip's read by pyprov (`--report`, `--dry-run`, `-d`, `--python`).
    Pyprov,
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
    pub const ALL_FETCHING: u8 = INSTALL | DOWNLOAD | WHEEL | LOCK;
    pub const ALL: u8 = GENERAL | ALL_FETCHING;
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
}

impl PipOption {
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

const UNSUPPORTED_INPUT: &str =
    "pyprov does not read this input yet, and pip would read requirements pyprov has not vetted";

macro_rules! opt {
    ([$($long:literal),+], $short:expr, $kind:expr, $dest:literal, $role:expr, $cmds:expr) => {
        PipOption {
            long: &[$($long),+],
            short: $short,
            kind: $kind,
            dest: $dest,
            role: $role,
            commands: $cmds,
        }
    };
}

use cmds::*;
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
    opt!(["require-virtualenv", "require-venv"], None, Flag(true), "require_venv", Both, GENERAL),
    opt!(["python"], None, Store, "python", Pyprov, GENERAL),
    opt!(["verbose"], Some('v'), Count, "verbose", Verbosity, GENERAL),
    opt!(["version"], Some('V'), Flag(true), "version", Unsupported("`--version` is not an install option: run `pip --version`"), GENERAL),
    opt!(["quiet"], Some('q'), Count, "quiet", Verbosity, GENERAL),
    opt!(["log", "log-file", "local-log"], None, Store, "log", Both, GENERAL),
    opt!(["no-input"], None, Flag(true), "no_input", Both, GENERAL),
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
    opt!(["no-color"], None, Flag(true), "no_color", Both, GENERAL),
    opt!(["no-python-version-warning"], None, Flag(true), "no_python_version_warning", Both, GENERAL),
    opt!(["use-feature"], None, Append, "features_enabled", Both, GENERAL | REQFILE),
    opt!(["use-deprecated"], None, Append, "deprecated_features_enabled", Both, GENERAL),
    opt!(["resume-retries"], None, Store, "resume_retries", Network, GENERAL),
    // Inputs.
    opt!(["requirement"], Some('r'), Append, "requirements", Input, IDWL | REQFILE),
    opt!(["constraint"], Some('c'), Append, "constraints", Input, IDWL | REQFILE),
    opt!(["editable"], Some('e'), Append, "editables", Input, IWL | REQFILE),
    opt!(["build-constraint"], None, Append, "build_constraints", Unsupported(UNSUPPORTED_INPUT), IDWL),
    opt!(["requirements-from-script"], None, Append, "requirements_from_scripts", Unsupported(UNSUPPORTED_INPUT), IDWL),
    opt!(["group"], None, Append, "dependency_groups", Unsupported(UNSUPPORTED_INPUT), IDWL),
    opt!(["hash"], None, Append, "hashes", Input, REQFILE),
    // Sources.
    opt!(["index-url", "pypi-url"], Some('i'), Store, "index_url", Source, IDWL | REQFILE),
    opt!(["extra-index-url"], None, Append, "extra_index_urls", Source, IDWL | REQFILE),
    opt!(["no-index"], None, Flag(true), "no_index", Source, IDWL | REQFILE),
    opt!(["find-links"], Some('f'), Append, "find_links", Source, IDWL | REQFILE),
    // Resolution and building.
    opt!(["no-deps", "no-dependencies"], None, Flag(true), "ignore_dependencies", Pyprov, IDWL),
    opt!(["only-deps", "only-dependencies"], None, Flag(true), "only_dependencies", ResolveOnly, IDWL),
    opt!(["pre"], None, Flag(true), "pre", ResolveOnly, IDWL | REQFILE),
    opt!(["all-releases"], None, Append, "release_control_all", ResolveOnly, IDWL),
    opt!(["only-final"], None, Append, "release_control_final", ResolveOnly, IDWL),
    opt!(["uploaded-prior-to"], None, Store, "uploaded_prior_to", ResolveOnly, IDWL),
    opt!(["refresh-package"], None, Append, "refresh_package", Dropped, IDWL),
    opt!(["dry-run"], None, Flag(true), "dry_run", Pyprov, INSTALL),
    opt!(["target"], Some('t'), Store, "target_dir", Location, INSTALL),
    opt!(["platform"], None, Append, "platforms", Both, INSTALL | DOWNLOAD),
    opt!(["python-version"], None, Store, "python_version", Both, INSTALL | DOWNLOAD),
    opt!(["implementation"], None, Store, "implementation", Both, INSTALL | DOWNLOAD),
    opt!(["abi"], None, Append, "abis", Both, INSTALL | DOWNLOAD),
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
    opt!(["config-settings"], Some('C'), Append, "config_settings", Both, IWL | REQFILE),
    opt!(["install-option"], None, Append, "install_options", Both, INSTALL | REQFILE),
    opt!(["global-option"], None, Append, "global_options", Both, IDW | REQFILE),
    opt!(["build-option"], None, Append, "build_options", Both, WHEEL),
    opt!(["compile"], None, Flag(true), "compile", InstallOnly, INSTALL),
    opt!(["no-compile"], None, Flag(false), "compile", InstallOnly, INSTALL),
    opt!(["no-warn-script-location"], None, Flag(false), "warn_script_location", InstallOnly, INSTALL),
    opt!(["no-warn-conflicts"], None, Flag(false), "warn_about_conflicts", InstallOnly, INSTALL),
    // --no-binary and --only-binary act on one setting in the order given: one dest keeps
    // them in order.
    opt!(["no-binary"], None, Append, "format_control", Both, IDWL | REQFILE),
    opt!(["only-binary"], None, Append, "format_control", Both, IDWL | REQFILE),
    opt!(["prefer-binary"], None, Flag(true), "prefer_binary", Both, IDWL | REQFILE),
    opt!(["require-hashes"], None, Flag(true), "require_hashes", Pyprov, IDWL | REQFILE),
    opt!(["no-require-hashes"], None, Flag(true), "no_require_hashes", ResolveOnly, IDWL),
    opt!(["progress-bar"], None, Store, "progress_bar", InstallOnly, IDWL),
    opt!(["root-user-action"], None, Store, "root_user_action", InstallOnly, INSTALL),
    opt!(["report"], None, Store, "json_report_file", Pyprov, INSTALL),
    opt!(["no-clean"], None, Flag(true), "no_clean", Both, IDWL),
    opt!(["dest", "destination-dir", "destination-directory"], Some('d'), Store, "download_dir", Pyprov, DOWNLOAD),
    opt!(["wheel-dir"], Some('w'), Store, "wheel_dir", Pyprov, WHEEL),
    opt!(["no-verify"], None, Flag(true), "no_verify", Both, WHEEL),
    opt!(["output"], Some('o'), Store, "output_file", Pyprov, LOCK),
    // pyprov's own flags for install and download (exact names; they share pip's word space, so
    // a prefix of one of them and of a pip option is ambiguous).
    opt!(["trust-file"], None, Store, "pyprov_trust_file", Pyprov, PYPROV),
    opt!(["locked"], None, Flag(true), "pyprov_locked", Pyprov, PYPROV),
    opt!(["unattested"], None, Store, "pyprov_unattested", Pyprov, PYPROV),
    opt!(["no-cache"], None, Flag(true), "pyprov_no_cache", Pyprov, PYPROV),
    opt!(["provenance-index"], None, Store, "pyprov_provenance_index", Pyprov, PYPROV),
    opt!(["trusted-root"], None, Store, "pyprov_trusted_root", Pyprov, PYPROV),
    opt!(["pyprov-cache-dir"], None, Store, "pyprov_cache_dir", Pyprov, PYPROV),
    opt!(["format"], None, Store, "pyprov_format", Pyprov, PYPROV),
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
            Command::Lock => GENERAL | LOCK,
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

/// The option a long name (without `--`) means, by optparse's rules: an exact spelling, else
/// the one spelling it is a prefix of. Prefixes are checked against every command's spellings
/// (a superset of any one pip's), so pyprov never reads a prefix as one option when some pip
/// would read it as another.
pub fn find_long(name: &str, command: Command) -> Result<&'static PipOption, OptError> {
    let mask = command.mask();
    if let Some(o) = OPTIONS
        .iter()
        .find(|o| applies(o, mask) && o.long.contains(&name))
    {
        return Ok(o);
    }
    if name.is_empty() {
        return Err(OptError::Unknown("--".into()));
    }
    let mut spellings: Vec<(&'static str, &'static PipOption)> = Vec::new();
    for o in OPTIONS.iter().filter(|o| applies(o, command.scope())) {
        for l in o.long {
            if l.starts_with(name) && !spellings.iter().any(|(s, _)| s == l) {
                spellings.push((l, o));
            }
        }
    }
    match spellings.as_slice() {
        [] => Err(OptError::Unknown(format!("--{name}"))),
        [(_, o)] if applies(o, mask) => Ok(o),
        [(l, _)] => Err(OptError::Unknown(format!(
            "--{name} (--{l} does not apply here)"
        ))),
        many => Err(OptError::Ambiguous {
            given: format!("--{name}"),
            candidates: many.iter().map(|(l, _)| format!("--{l}")).collect(),
        }),
    }
}

pub fn find_short(c: char, command: Command) -> Option<&'static PipOption> {
    let mask = command.mask();
    OPTIONS
        .iter()
        .find(|o| applies(o, mask) && o.short == Some(c))
}

/// Parses `args` as optparse parses pip's command line for `command`. Options and positional
/// words may be interspersed; `--` ends the options.
pub fn parse(args: &[String], command: Command) -> Result<Vec<Parsed>, OptError> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        i += 1;
        if arg == "--" {
            out.extend(args.iter().skip(i).cloned().map(Parsed::Positional));
            break;
        }
        if let Some(rest) = arg.strip_prefix("--") {
            let (name, inline) = match rest.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (rest, None),
            };
            let option = find_long(name, command)?;
            let value = if option.takes_value() {
                match inline {
                    Some(v) => Some(v),
                    None => {
                        let v = args
                            .get(i)
                            .cloned()
                            .ok_or_else(|| OptError::MissingValue(format!("--{name}")))?;
                        i += 1;
                        Some(v)
                    }
                }
            } else if inline.is_some() && option.commands != PYPROV {
                return Err(OptError::UnexpectedValue(format!("--{name}")));
            } else {
                // pyprov's own flags may say `--locked=false`.
                inline
            };
            out.push(Parsed::Opt {
                option,
                value,
                spelled: arg.clone(),
            });
            continue;
        }
        match arg.strip_prefix('-') {
            Some(cluster) if !cluster.is_empty() => {
                for (at, c) in cluster.char_indices() {
                    let option =
                        find_short(c, command).ok_or_else(|| OptError::Unknown(format!("-{c}")))?;
                    if option.takes_value() {
                        let rest = cluster.get(at + c.len_utf8()..).unwrap_or("");
                        let value = if rest.is_empty() {
                            let v = args
                                .get(i)
                                .cloned()
                                .ok_or_else(|| OptError::MissingValue(format!("-{c}")))?;
                            i += 1;
                            v
                        } else {
                            rest.to_string()
                        };
                        out.push(Parsed::Opt {
                            option,
                            value: Some(value),
                            spelled: arg.clone(),
                        });
                        break;
                    }
                    out.push(Parsed::Opt {
                        option,
                        value: None,
                        spelled: arg.clone(),
                    });
                }
            }
            _ => out.push(Parsed::Positional(arg.clone())),
        }
    }
    Ok(out)
}

/// Splits `line` into words as Python's `shlex.split` does (POSIX mode: quotes, backslash
/// escapes, `#` is not special), which is how pip reads the options of a requirements line.
pub fn shlex_split(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => word.push(x),
                        None => return Err("no closing quotation".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('\\' | '"' | '$' | '`')) => word.push(x),
                            Some('\n') => {}
                            Some(x) => {
                                word.push('\\');
                                word.push(x);
                            }
                            None => return Err("no closing quotation".into()),
                        },
                        Some(x) => word.push(x),
                        None => return Err("no closing quotation".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') | None => {}
                    Some(x) => word.push(x),
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// pip's `${NAME}` expansion in requirements files (names of upper-case letters, digits and
/// `_`; an unset variable is left as written), so pyprov reads the line pip would read.
pub fn expand_env(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find("${") {
        out.push_str(rest.get(..start).unwrap_or(""));
        let after = rest.get(start + 2..).unwrap_or("");
        let end = after.find('}');
        let name = end.and_then(|e| after.get(..e));
        match name.filter(|n| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        }) {
            Some(n) => {
                match std::env::var(n) {
                    Ok(v) => out.push_str(&v),
                    Err(_) => {
                        out.push_str("${");
                        out.push_str(n);
                        out.push('}');
                    }
                }
                rest = after.get(n.len() + 1..).unwrap_or("");
            }
            None => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// pip's `strtobool`.
pub fn strtobool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" | "t" | "true" | "on" | "1" => Some(true),
        "n" | "no" | "f" | "false" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// The value of one `dest` after configuration and command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A flag's value, and the option that set it last.
    Flag(bool, &'static PipOption),
    Count(u32),
    Store(String, &'static PipOption),
    /// Each value with the option that added it, in order.
    Append(Vec<(&'static PipOption, String)>),
}

/// Options in effect for one pip command: pip's configuration (files, then `PIP_*` variables, as
/// pip orders them) overlaid by the command line, each `dest` once, in the order first set.
#[derive(Debug, Clone, Default)]
pub struct Effective {
    values: Vec<(&'static str, Value)>,
    /// Requirement words from the command line, in order.
    pub positional: Vec<String>,
}

impl Effective {
    fn slot(&mut self, dest: &'static str) -> Option<&mut Value> {
        self.values
            .iter_mut()
            .find(|(d, _)| *d == dest)
            .map(|(_, v)| v)
    }

    fn set(&mut self, dest: &'static str, v: Value) {
        match self.slot(dest) {
            Some(slot) => *slot = v,
            None => self.values.push((dest, v)),
        }
    }

    /// Applies pip's configuration items, in pip's override order (later wins), as pip's
    /// `ConfigOptionParser._update_defaults` does: only exact long names count, unknown keys are
    /// ignored, flags take a boolean (`no-*` flags included: pip sets the `dest` to the value as
    /// written), lists are split on white space and replace earlier ones.
    pub fn apply_config(
        &mut self,
        items: &[(String, String)],
        command: Command,
    ) -> Result<(), OptError> {
        let mask = command.mask() & !PYPROV;
        for (key, raw) in items {
            if raw.trim().is_empty() {
                continue;
            }
            let Some(option) = OPTIONS
                .iter()
                .find(|o| applies(o, mask) && o.long.contains(&key.as_str()))
            else {
                continue;
            };
            let bad = |why: &str| OptError::BadConfig {
                key: key.clone(),
                why: why.to_string(),
            };
            let v = match option.kind {
                Flag(_) => Value::Flag(
                    strtobool(raw).ok_or_else(|| bad("not a boolean (yes/no, true/false, 1/0)"))?,
                    option,
                ),
                Count => Value::Count(match strtobool(raw) {
                    Some(b) => u32::from(b),
                    None => raw
                        .trim()
                        .parse()
                        .map_err(|_| bad("not a non-negative integer"))?,
                }),
                Store => Value::Store(raw.clone(), option),
                Append => Value::Append(
                    raw.split_whitespace()
                        .map(|w| (option, w.to_string()))
                        .collect(),
                ),
            };
            if option.dest == "format_control" {
                // Both options write one setting, in order: keep the earlier ones.
                if let (Some(Value::Append(list)), Value::Append(more)) =
                    (self.slot(option.dest), &v)
                {
                    list.extend(more.iter().cloned());
                    continue;
                }
            }
            self.set(option.dest, v);
        }
        Ok(())
    }

    /// Applies a parsed command line over the configuration.
    pub fn apply_args(&mut self, parsed: Vec<Parsed>) -> Result<(), OptError> {
        for p in parsed {
            let (option, value, spelled) = match p {
                Parsed::Positional(w) => {
                    self.positional.push(w);
                    continue;
                }
                Parsed::Opt {
                    option,
                    value,
                    spelled,
                } => (option, value, spelled),
            };
            if let Role::Unsupported(why) = option.role {
                return Err(OptError::Unsupported {
                    option: spelled,
                    why,
                });
            }
            match (option.kind, value) {
                (Flag(b), _) => self.set(option.dest, Value::Flag(b, option)),
                (Count, _) => {
                    let n = match self.slot(option.dest) {
                        Some(Value::Count(n)) => *n,
                        _ => 0,
                    };
                    self.set(option.dest, Value::Count(n.saturating_add(1)));
                }
                (Store, Some(v)) => self.set(option.dest, Value::Store(v, option)),
                (Append, Some(v)) => match self.slot(option.dest) {
                    // pip's config value is the list's default; the command line adds to it.
                    Some(Value::Append(list)) => list.push((option, v)),
                    _ => self.set(option.dest, Value::Append(vec![(option, v)])),
                },
                (Store | Append, None) => return Err(OptError::MissingValue(spelled)),
            }
        }
        Ok(())
    }

    /// Refuses options whose role is [`Role::Unsupported`], wherever they were set.
    pub fn check_supported(&self) -> Result<(), OptError> {
        for (_, v) in &self.values {
            let option = match v {
                Value::Flag(true, o) | Value::Store(_, o) => *o,
                Value::Append(list) => match list.first() {
                    Some((o, _)) => *o,
                    None => continue,
                },
                _ => continue,
            };
            if let Role::Unsupported(why) = option.role {
                return Err(OptError::Unsupported {
                    option: format!("--{} (from pip's configuration)", option.name()),
                    why,
                });
            }
        }
        Ok(())
    }

    pub fn get(&self, dest: &str) -> Option<&Value> {
        self.values.iter().find(|(d, _)| *d == dest).map(|(_, v)| v)
    }

    pub fn flag(&self, dest: &str) -> bool {
        matches!(self.get(dest), Some(Value::Flag(true, _)))
    }

    pub fn store(&self, dest: &str) -> Option<&str> {
        match self.get(dest) {
            Some(Value::Store(v, _)) => Some(v),
            _ => None,
        }
    }

    pub fn list(&self, dest: &str) -> Vec<String> {
        match self.get(dest) {
            Some(Value::Append(list)) => list.iter().map(|(_, v)| v.clone()).collect(),
            _ => Vec::new(),
        }
    }

    pub fn count(&self, dest: &str) -> u32 {
        match self.get(dest) {
            Some(Value::Count(n)) => *n,
            _ => 0,
        }
    }

    /// Canonical words for pip for every option whose role is one of `roles`, in order.
    /// [`Self::words`] of the options `pip COMMAND` takes (`commands`: [`cmds`] bits).
    pub fn words_for(&self, roles: &[Role], commands: u8) -> Vec<String> {
        let takes = |word: &str| {
            let name = word.trim_start_matches('-');
            let name = name.split_once('=').map_or(name, |(n, _)| n);
            OPTIONS
                .iter()
                .any(|o| o.name() == name && o.commands & (commands | GENERAL) != 0)
        };
        self.words(roles).into_iter().filter(|w| takes(w)).collect()
    }

    pub fn words(&self, roles: &[Role]) -> Vec<String> {
        let mut out = Vec::new();
        for (_, v) in &self.values {
            match v {
                Value::Flag(b, o) if roles.contains(&o.role) => {
                    // The option that sets the dest to this value (`--no-user` for false).
                    let setter = OPTIONS
                        .iter()
                        .find(|x| x.dest == o.dest && x.kind == Flag(*b));
                    if let Some(s) = setter {
                        out.push(s.canonical(None));
                    }
                }
                Value::Store(s, o) if roles.contains(&o.role) => {
                    out.push(o.canonical(Some(s)));
                }
                Value::Append(list) => {
                    for (o, s) in list {
                        if roles.contains(&o.role) {
                            out.push(o.canonical(Some(s)));
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    fn names(p: &[Parsed]) -> Vec<String> {
        p.iter()
            .map(|p| match p {
                Parsed::Opt { option, value, .. } => option.canonical(value.as_deref()),
                Parsed::Positional(w) => w.clone(),
            })
            .collect()
    }

    #[test]
    fn prefixes_and_clusters_read_as_optparse_reads_them() {
        let p = parse(
            &words("--extra-index http://x --index=http://y -Uf http://z six"),
            Command::Install,
        )
        .unwrap();
        assert_eq!(
            names(&p),
            [
                "--extra-index-url=http://x",
                "--index-url=http://y",
                "--upgrade",
                "--find-links=http://z",
                "six"
            ]
        );
        let p = parse(&words("-Ufhttp://z -qqv --find=/w -- -r"), Command::Install).unwrap();
        assert_eq!(
            names(&p),
            [
                "--upgrade",
                "--find-links=http://z",
                "--quiet",
                "--quiet",
                "--verbose",
                "--find-links=/w",
                "-r"
            ]
        );
    }

    #[test]
    fn ambiguous_unknown_and_missing_are_errors() {
        assert!(matches!(
            parse(&words("--only x"), Command::Install),
            Err(OptError::Ambiguous { .. })
        ));
        assert!(matches!(
            parse(&words("--trusted x"), Command::Install),
            Err(OptError::Ambiguous { .. })
        ));
        assert!(matches!(
            parse(&words("--nope"), Command::Install),
            Err(OptError::Unknown(_))
        ));
        assert!(matches!(
            parse(&words("-r"), Command::Install),
            Err(OptError::MissingValue(_))
        ));
        assert!(matches!(
            parse(&words("--pre=1"), Command::Install),
            Err(OptError::UnexpectedValue(_))
        ));
        // Not a char boundary after the dash: no panic, an unknown option.
        assert!(parse(&words("-éx"), Command::Install).is_err());
        assert!(parse(&words("-xé"), Command::Install).is_err());
        assert!(matches!(
            parse(&words("-réq.txt"), Command::Install).unwrap().as_slice(),
            [Parsed::Opt { value: Some(v), .. }] if v == "éq.txt"
        ));
    }

    #[test]
    fn requirements_file_lines() {
        assert_eq!(
            shlex_split("--hash 'sha256:a b' \"c\\\"d\" e\\ f").unwrap(),
            ["--hash", "sha256:a b", "c\"d", "e f"]
        );
        assert!(shlex_split("'open").is_err());
        std::env::set_var("PYPROV_TEST_EXPAND", "https://x");
        assert_eq!(
            expand_env("a ${PYPROV_TEST_EXPAND}/b ${lower} ${UNSET_PYPROV_X} ${"),
            "a https://x/b ${lower} ${UNSET_PYPROV_X} ${"
        );
        // In a requirements file only its own options count: `--extra-index` is unambiguous.
        let p = parse(
            &words("--extra-index http://x --ind http://y"),
            Command::RequirementsFile,
        )
        .unwrap();
        assert_eq!(
            names(&p),
            ["--extra-index-url=http://x", "--index-url=http://y"]
        );
        assert!(parse(&words("-U"), Command::RequirementsFile).is_err());
    }

    #[test]
    fn every_spelling_is_unique() {
        let mut seen = std::collections::HashSet::new();
        for o in OPTIONS {
            for l in o.long {
                // --user/--no-user share a dest, not a spelling.
                assert!(seen.insert(*l), "--{l} twice");
            }
        }
    }

    #[test]
    fn config_then_command_line() {
        let mut e = Effective::default();
        e.apply_config(
            &[
                ("index-url".into(), "https://a/simple".into()),
                ("find-links".into(), "/x\n/y".into()),
                ("no-build-isolation".into(), "false".into()),
                ("verbose".into(), "yes".into()),
                ("nonsense".into(), "1".into()),
            ],
            Command::Install,
        )
        .unwrap();
        let parsed = parse(&words("-f /z -i https://b/simple -v six"), Command::Install).unwrap();
        e.apply_args(parsed).unwrap();
        assert_eq!(e.store("index_url"), Some("https://b/simple"));
        assert_eq!(e.list("find_links"), ["/x", "/y", "/z"]);
        assert_eq!(e.count("verbose"), 2);
        assert_eq!(e.positional, ["six"]);
        // pip sets the dest to the value written, even for a `no-` flag: `no-build-isolation =
        // false` turns isolation off.
        assert_eq!(e.words(&[Role::Both]), ["--no-build-isolation"]);
        let mut e = Effective::default();
        e.apply_args(
            parse(
                &words("--no-build-isolation --no-binary a --only-binary=:all: --user --no-user"),
                Command::Install,
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(
            e.words(&[Role::Both, Role::Location]),
            [
                "--no-build-isolation",
                "--no-binary=a",
                "--only-binary=:all:",
                "--no-user"
            ]
        );
    }

    #[test]
    fn unsupported_inputs_are_refused() {
        let mut e = Effective::default();
        let err = e
            .apply_args(parse(&words("--group dev"), Command::Install).unwrap())
            .unwrap_err();
        assert!(matches!(err, OptError::Unsupported { .. }));
        let mut e = Effective::default();
        e.apply_config(&[("group".into(), "dev".into())], Command::Install)
            .unwrap();
        assert!(e.check_supported().is_err());
    }
}
