//! `pyprov install`'s command line: pyprov's own flags, then pip's install arguments, sorted by
//! what pyprov must do with them (replace, interpret, or pass through unchanged).

#![deny(clippy::indexing_slicing)]

use std::path::PathBuf;

use crate::cli::Format;
use crate::pipopts::{self, Command, Effective, OptError, Parsed, Role};

/// pip's own flags pyprov reads (they still go to pip where they make sense).
#[derive(Debug, Default, Clone)]
pub struct PipArgs {
    pub requirement_files: Vec<PathBuf>,
    pub constraint_files: Vec<PathBuf>,
    pub editables: Vec<String>,
    /// Requirement specifiers and paths/URLs given on the command line.
    pub requirements: Vec<String>,
    pub index_url: Option<String>,
    pub extra_index_urls: Vec<String>,
    pub find_links: Vec<String>,
    pub no_index: bool,
    pub require_hashes: bool,
    pub no_deps: bool,
    pub dry_run: bool,
    /// `--report FILE` asked by the user: pyprov writes pip's resolution report there.
    pub report: Option<String>,
    /// `-d DIR` for `pyprov download`.
    pub dest: Option<PathBuf>,
    /// Where to install (`--target`, `--prefix`, `--root`, `--user`), in canonical form.
    pub location: Vec<String>,
    /// The same, read: where pip puts each `.dist-info`.
    pub install_location: super::marks::Location,
    /// pip options for the resolving run, in canonical form (never the user's own words).
    pub resolve: Vec<String>,
    /// pip options for the installing run, in canonical form.
    pub install: Vec<String>,
    /// pip options for building a vetted sdist with `pip wheel`, in canonical form: what
    /// changes a build or its build environment's resolution.
    pub build: Vec<String>,
    /// Network settings, for pyprov's own downloads: pip only ever talks to the gate.
    pub network: Network,
    pub verbosity: i32,
    /// `--isolated` was given: pip's user configuration and `PIP_*` variables are not read.
    pub isolated: bool,
}

/// pip's network settings, with pip's precedence (command line, `PIP_*`, configuration files).
#[derive(Debug, Default, Clone)]
pub struct Network {
    pub cert: Option<String>,
    pub client_cert: Option<String>,
    pub trusted_hosts: Vec<String>,
    pub proxy: Option<String>,
    pub no_proxy_env: bool,
}

/// pyprov's own install flags, which pip never sees.
#[derive(Debug, Clone, Default)]
pub struct OwnArgs {
    pub python: Option<PathBuf>,
    pub trust_file: Option<PathBuf>,
    pub locked: Option<bool>,
    pub format: Format,
    pub no_cache: bool,
    pub provenance_index: Option<String>,
    pub trusted_root: Option<PathBuf>,
    pub cache_dir: Option<PathBuf>,
    pub unattested: Option<String>,
    /// The real pip chosen by the drop-in alias (program and leading arguments).
    pub real_pip: Option<(PathBuf, Vec<String>)>,
}

impl OwnArgs {
    /// pyprov's settings from its environment variables alone: what the `pip` drop-in uses,
    /// since pip's command line has no room for pyprov's flags (they are accepted there too).
    /// A boolean reads as `pyprov install`'s flags read it (clap's boolish words), so
    /// `PYPROV_LOCKED=y` locks both ways, and a value neither way is an error, not "off".
    pub fn from_env() -> Result<OwnArgs, ArgError> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let locked = match var("PYPROV_LOCKED") {
            None => None,
            Some(v) => Some(boolish(&v).ok_or_else(|| {
                ArgError(format!(
                    "PYPROV_LOCKED={v}: expected true or false (1/0, yes/no, on/off, y/n)"
                ))
            })?),
        };
        Ok(OwnArgs {
            trust_file: var("PYPROV_TRUST_FILE").map(PathBuf::from),
            locked,
            provenance_index: var("PYPROV_PROVENANCE_INDEX"),
            cache_dir: var("PYPROV_CACHE_DIR").map(PathBuf::from),
            unattested: var("PYPROV_UNATTESTED"),
            trusted_root: var("PYPROV_TRUSTED_ROOT").map(PathBuf::from),
            ..OwnArgs::default()
        })
    }
}

/// A boolean as clap's `BoolishValueParser` reads it (the words `--locked=` takes).
pub fn boolish(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "y" | "yes" | "t" | "true" | "on" | "1" => Some(true),
        "n" | "no" | "f" | "false" | "off" | "0" => Some(false),
        _ => None,
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ArgError(pub String);

impl From<OptError> for ArgError {
    fn from(e: OptError) -> Self {
        ArgError(format!(
            "{e}\n  fix: see `pyprov install --help`; pyprov reads pip's options as pip does"
        ))
    }
}

/// The first pass over `pyprov install ARGS`: pyprov's own flags are taken out (later ones
/// override `own`); pip's options stay parsed for [`build`], which needs pip's configuration.
pub fn parse(
    mut own: OwnArgs,
    args: &[String],
    command: Command,
) -> Result<(OwnArgs, Vec<Parsed>), ArgError> {
    let parsed = pipopts::parse(args, command)?;
    let mut rest = Vec::with_capacity(parsed.len());
    for p in parsed {
        let Parsed::Opt { option, value, .. } = &p else {
            rest.push(p);
            continue;
        };
        let value = value.clone().unwrap_or_default();
        match option.dest {
            "python" => own.python = Some(value.into()),
            "pyprov_trust_file" => own.trust_file = Some(value.into()),
            "pyprov_locked" => {
                own.locked = Some(if value.is_empty() {
                    true
                } else {
                    boolish(&value).ok_or_else(|| {
                        ArgError(format!("--locked={value}: expected true or false"))
                    })?
                })
            }
            "pyprov_unattested" => own.unattested = Some(value),
            "pyprov_no_cache" => own.no_cache = true,
            "pyprov_provenance_index" => own.provenance_index = Some(value),
            "pyprov_trusted_root" => own.trusted_root = Some(value.into()),
            "pyprov_cache_dir" => own.cache_dir = Some(value.into()),
            "pyprov_format" => {
                own.format = match value.as_str() {
                    "json" => Format::Json,
                    "text" => Format::Text,
                    other => {
                        return Err(ArgError(format!("--format is text or json, not {other}")))
                    }
                }
            }
            "help" => {
                return Err(ArgError(
                    "-h/--help: run `pyprov install --help` (before pip's arguments)".into(),
                ))
            }
            _ => rest.push(p),
        }
    }
    Ok((own, rest))
}

/// Whether pip would load its configuration isolated: pip looks for the literal word
/// `--isolated` (not a prefix of it) anywhere in its arguments before it parses anything.
pub fn isolated(args: &[String]) -> bool {
    args.iter().any(|a| a == "--isolated")
}

/// pip's effective options for this run: pip's configuration (`config`, as pip orders it), then
/// the command line, sorted by what pyprov does with each.
pub fn build(
    parsed: Vec<Parsed>,
    config: &[(String, String)],
    command: Command,
    isolated: bool,
) -> Result<PipArgs, ArgError> {
    let mut e = Effective::default();
    e.apply_config(config, command)?;
    e.apply_args(parsed)?;
    e.check_supported()?;
    let network = Network {
        cert: e.store("cert").map(str::to_string),
        client_cert: e.store("client_cert").map(str::to_string),
        trusted_hosts: e.list("trusted_hosts"),
        proxy: e.store("proxy").map(str::to_string),
        no_proxy_env: e.flag("no_proxy_env"),
    };
    let verbosity = i32::try_from(e.count("verbose")).unwrap_or(i32::MAX)
        - i32::try_from(e.count("quiet")).unwrap_or(i32::MAX);
    Ok(PipArgs {
        requirement_files: e
            .list("requirements")
            .into_iter()
            .map(PathBuf::from)
            .collect(),
        constraint_files: e
            .list("constraints")
            .into_iter()
            .map(PathBuf::from)
            .collect(),
        editables: e.list("editables"),
        requirements: e.positional.clone(),
        index_url: e.store("index_url").map(str::to_string),
        extra_index_urls: e.list("extra_index_urls"),
        find_links: e.list("find_links"),
        no_index: e.flag("no_index"),
        require_hashes: e.flag("require_hashes"),
        no_deps: e.flag("ignore_dependencies"),
        dry_run: e.flag("dry_run"),
        report: e.store("json_report_file").map(str::to_string),
        dest: e.store("download_dir").map(PathBuf::from),
        location: e.words(&[Role::Location]),
        install_location: super::marks::Location {
            target: e.store("target_dir").map(str::to_string),
            prefix: e.store("prefix_path").map(str::to_string),
            root: e.store("root_path").map(str::to_string),
            user: e.flag("use_user_site"),
        },
        resolve: e.words(&[Role::Both, Role::ResolveOnly]),
        install: e.words(&[Role::Both, Role::InstallOnly]),
        build: e.words_for(&[Role::Both, Role::ResolveOnly], pipopts::cmds::WHEEL),
        network,
        verbosity,
        isolated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> (OwnArgs, PipArgs) {
        let v: Vec<String> = s.split_whitespace().map(str::to_string).collect();
        let (own, parsed) = parse(OwnArgs::default(), &v, Command::Install).unwrap();
        (
            own,
            build(parsed, &[], Command::Install, isolated(&v)).unwrap(),
        )
    }

    #[test]
    fn sorts_arguments() {
        let (own, pip) = parse_str(
            "-r reqs.txt --index-url=https://i/simple --locked requests==2.0 -t out --pre \
             --only-binary :all: -rmore.txt --python /venv/bin/python -e . --format json -q",
        );
        assert_eq!(
            pip.requirement_files,
            vec![PathBuf::from("reqs.txt"), "more.txt".into()]
        );
        assert_eq!(pip.index_url.as_deref(), Some("https://i/simple"));
        assert_eq!(pip.requirements, vec!["requests==2.0"]);
        assert_eq!(pip.location, vec!["--target=out"]);
        assert_eq!(pip.resolve, vec!["--pre", "--only-binary=:all:"]);
        assert_eq!(pip.install, vec!["--only-binary=:all:"]);
        let (own2, pip2) =
            parse_str("--cache-dir /c --pyprov-cache-dir /p x --no-cache-dir --isolated");
        assert!(pip2.resolve.is_empty(), "{:?}", pip2.resolve);
        assert!(pip2.isolated);
        assert_eq!(own2.cache_dir, Some(PathBuf::from("/p")));
        assert_eq!(pip.editables, vec!["."]);
        assert_eq!(pip.verbosity, -1);
        assert_eq!(own.python, Some("/venv/bin/python".into()));
        assert_eq!(own.locked, Some(true));
        assert_eq!(own.format, Format::Json);
    }

    #[test]
    fn locked_reads_the_same_words_everywhere() {
        for (word, want) in [
            ("y", true),
            ("ON", true),
            ("1", true),
            ("n", false),
            ("off", false),
        ] {
            assert_eq!(boolish(word), Some(want), "{word}");
            let v = vec![format!("--locked={word}")];
            let (own, _) = parse(OwnArgs::default(), &v, Command::Install).unwrap();
            assert_eq!(own.locked, Some(want), "--locked={word}");
        }
        assert_eq!(boolish("maybe"), None);
        // clap's own parser, which `pyprov install --locked=` uses, agrees.
        let clap = clap::builder::BoolishValueParser::new();
        let cmd = clap::Command::new("x");
        for word in [
            "y", "yes", "t", "true", "on", "1", "n", "no", "f", "false", "off", "0", "maybe",
        ] {
            let theirs = clap::builder::TypedValueParser::parse_ref(
                &clap,
                &cmd,
                None,
                std::ffi::OsStr::new(word),
            )
            .ok();
            assert_eq!(boolish(word), theirs, "{word}");
        }
    }

    #[test]
    fn missing_values_are_errors() {
        assert!(parse(OwnArgs::default(), &["-r".to_string()], Command::Install).is_err());
        assert!(parse(
            OwnArgs::default(),
            &["--format".to_string(), "xml".to_string()],
            Command::Install
        )
        .is_err());
        // Used to panic: a byte-index slice inside a multi-byte character.
        assert!(parse(OwnArgs::default(), &["-éx".to_string()], Command::Install).is_err());
    }
}
