//! `pyprov install`'s command line: pyprov's own flags, then pip's install arguments, sorted by
//! what pyprov must do with them (replace, interpret, or pass through unchanged).

#![deny(clippy::indexing_slicing)]

use std::path::PathBuf;

use clap::error::{ContextKind, ContextValue};

use crate::cli::OwnFlags;
use crate::pipopts::{self, traits, Command, Effective, OptError, Parsed, Role};

/// pip's own flags pyprov reads (they still go to pip where they make sense).
#[derive(Debug, Default, Clone)]
pub(crate) struct PipArgs {
    pub requirement_files: Vec<PathBuf>,
    pub constraint_files: Vec<PathBuf>,
    pub editables: Vec<String>,
    /// Requirement specifiers and paths/URLs given on the command line.
    pub requirements: Vec<String>,
    /// `--requirements-from-script FILE` (pip 26.0+): read by `inputs`, never handed to pip.
    pub scripts: Vec<String>,
    /// `--group [PATH:]NAME` (pip 25.1+), as given: read by `inputs`, never handed to pip.
    pub groups: Vec<String>,
    /// `--build-constraint FILE` (pip 25.3+): read by `inputs`, which hands pip sanitized copies.
    pub build_constraints: Vec<PathBuf>,
    /// `--only-deps` (pip 26): its conflicts are checked by `inputs`, as pip checks them.
    pub only_deps: bool,
    /// `--use-deprecated=legacy-resolver`, one of `--only-deps`'s conflicts.
    pub legacy_resolver: bool,
    pub ignore_requires_python: bool,
    /// `--python-version`, which pip checks a script's `requires-python` against.
    pub python_version: Option<String>,
    /// `--no-build-isolation`, which `--build-constraint` cannot be used with.
    pub no_build_isolation: bool,
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
    /// `-o FILE` for `pyprov lock`.
    pub output: Option<PathBuf>,
    /// Where to install (`--target`, `--prefix`, `--root`, `--user`), in canonical form.
    pub location: Vec<String>,
    /// The same, read: where pip puts each `.dist-info`.
    pub install_location: super::marks::Location,
    /// pip options for the resolving run, in canonical form (never the user's own words).
    pub resolve: Vec<String>,
    /// The resolving run's options that can change what pip resolves (not how it talks): what
    /// a stored resolution is keyed by.
    pub resolve_key: Vec<String>,
    /// pip options for the installing run, in canonical form.
    pub install: Vec<String>,
    /// The same for a set pinned file by file: the files are chosen already, so the options
    /// that choose between a wheel and an sdist are left out; they would turn away the wheel
    /// the gate built from a vetted sdist, whose hash is the pin.
    pub install_pinned: Vec<String>,
    /// pip options for building a vetted sdist with `pip wheel`, in canonical form: what
    /// changes a build or its build environment's resolution.
    pub build: Vec<String>,
    /// pip resolves for another interpreter or platform than the one it runs in.
    pub targeted: bool,
    /// `--no-binary` for some project: wheels alone will not do.
    pub no_binary: bool,
    /// Network settings, for pyprov's own downloads: pip only ever talks to the gate.
    pub network: Network,
    pub verbosity: i32,
}

/// pip's network settings, with pip's precedence (command line, `PIP_*`, configuration files).
#[derive(Debug, Default, Clone)]
pub(crate) struct Network {
    pub cert: Option<String>,
    pub client_cert: Option<String>,
    pub trusted_hosts: Vec<String>,
    pub proxy: Option<String>,
    pub no_proxy_env: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ArgError {
    #[error("{0}\n  fix: see `pyprov install --help`; pyprov reads pip's options as pip does")]
    Options(#[from] OptError),
    #[error("-h/--help: run `pyprov install --help` (before pip's arguments)")]
    Help,
    #[error("--locked={0}: expected true or false")]
    Locked(String),
    #[error("PYPROV_LOCKED={0}: expected true or false (1/0, yes/no, on/off, y/n)")]
    LockedVariable(String),
    #[error("--format is text or json, not {0}")]
    Format(String),
    #[error("--unattested (PYPROV_UNATTESTED) is deny, warn or allow, not {0}")]
    Unattested(String),
    /// Nothing to install, download or lock: pip's own usage error, said before pip runs.
    #[error("You must give at least one requirement to {command} ({hint})")]
    NoRequirement { command: &'static str, hint: String },
    /// Anything else clap refuses in pyprov's own flags, in clap's words.
    #[error("{}", clap_words(.0))]
    Own(#[source] clap::Error),
}

/// Where clap read a refused value of pyprov's own flags.
#[derive(Clone, Copy)]
enum Read {
    Words,
    Environment,
}

/// clap's refusal in pyprov's words for the flags whose messages pyprov has always written.
fn own_flag_error(e: clap::Error, read: Read) -> ArgError {
    let context = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        _ => None,
    };
    let (Some(arg), Some(value)) = (
        context(ContextKind::InvalidArg),
        context(ContextKind::InvalidValue),
    ) else {
        return ArgError::Own(e);
    };
    let flag = arg.split(['=', '[', ' ']).next().unwrap_or("");
    match (flag, read) {
        ("--locked", Read::Words) => ArgError::Locked(value),
        ("--locked", Read::Environment) => ArgError::LockedVariable(value),
        ("--format", _) => ArgError::Format(value),
        ("--unattested", _) => ArgError::Unattested(value),
        _ => ArgError::Own(e),
    }
}

/// The first line of clap's message, without its `error: ` (pyprov adds its own).
fn clap_words(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let first = text.lines().next().unwrap_or("");
    first.strip_prefix("error: ").unwrap_or(first).to_string()
}

/// pyprov's flags from their environment variables alone: what the `pip` drop-in starts from,
/// since pip's command line has no room for pyprov's flags before pip's words (they are
/// accepted among them too, see [`parse`]). The variables are read by the same clap definition
/// as `pyprov install`'s, so `PYPROV_LOCKED=y` locks both ways, and a value neither accepts is
/// an error, not "off".
pub(crate) fn from_env() -> Result<OwnFlags, ArgError> {
    OwnFlags::from_env().map_err(|e| own_flag_error(e, Read::Environment))
}

/// The first pass over `pyprov install ARGS`: pyprov's own flags are taken out and read by clap
/// over `own` (later ones win); pip's options stay parsed for [`build`], which needs pip's
/// configuration.
pub(crate) fn parse(
    mut own: OwnFlags,
    args: &[String],
    command: Command,
) -> Result<(OwnFlags, Vec<Parsed>), ArgError> {
    let parsed = pipopts::parse(args, command)?;
    let mut rest = Vec::with_capacity(parsed.len());
    let mut words = Vec::new();
    for p in parsed {
        match &p {
            Parsed::Opt { option, .. } if option.dest == "help" => return Err(ArgError::Help),
            Parsed::Opt { option, value, .. } if option.role == Role::Own => {
                // `--locked=` is `--locked`, as it always was.
                let value = value
                    .as_deref()
                    .filter(|v| option.takes_value() || !v.is_empty());
                words.push(option.canonical(value));
            }
            _ => rest.push(p),
        }
    }
    own.update_from_words(&words)
        .map_err(|e| own_flag_error(e, Read::Words))?;
    Ok((own, rest))
}

/// Whether pip would load its configuration isolated: pip looks for the literal word
/// `--isolated` (not a prefix of it) anywhere in its arguments before it parses anything.
pub(crate) fn isolated(args: &[String]) -> bool {
    args.iter().any(|a| a == "--isolated")
}

const RESOLVE: &[Role] = &[Role::Both, Role::ResolveOnly];
const INSTALL: &[Role] = &[Role::Both, Role::InstallOnly];

/// pip's effective options for this run: pip's configuration (`config`, as pip orders it), then
/// the command line, sorted by what pyprov does with each.
pub(crate) fn build(
    parsed: Vec<Parsed>,
    config: &[(String, String)],
    command: Command,
) -> Result<PipArgs, ArgError> {
    let mut e = Effective::default();
    e.apply_config(config, command)?;
    e.apply_args(parsed)?;
    e.check_supported()?;
    let verbosity = i32::try_from(e.count("verbose")).unwrap_or(i32::MAX)
        - i32::try_from(e.count("quiet")).unwrap_or(i32::MAX);
    let resolving = |also: &dyn Fn(&pipopts::PipOption) -> bool| {
        e.words_where(|o| RESOLVE.contains(&o.role) && also(o))
    };
    Ok(PipArgs {
        requirement_files: paths(e.list("requirements")),
        constraint_files: paths(e.list("constraints")),
        editables: e.list("editables"),
        requirements: e.positional.clone(),
        scripts: e.list("requirements_from_scripts"),
        groups: e.list("dependency_groups"),
        build_constraints: paths(e.list("build_constraints")),
        only_deps: e.flag("only_dependencies"),
        legacy_resolver: e
            .list("deprecated_features_enabled")
            .iter()
            .any(|f| f == "legacy-resolver"),
        ignore_requires_python: e.flag("ignore_requires_python"),
        python_version: e.store("python_version").map(str::to_string),
        no_build_isolation: matches!(
            e.get("build_isolation"),
            Some(pipopts::Value::Flag(false, _))
        ),
        index_url: e.store("index_url").map(str::to_string),
        extra_index_urls: e.list("extra_index_urls"),
        find_links: e.list("find_links"),
        no_index: e.flag("no_index"),
        require_hashes: e.flag("require_hashes"),
        no_deps: e.flag("ignore_dependencies"),
        dry_run: e.flag("dry_run"),
        report: e.store("json_report_file").map(str::to_string),
        dest: e.store("download_dir").map(PathBuf::from),
        output: e.store("output_file").map(PathBuf::from),
        location: e.words(&[Role::Location]),
        install_location: super::marks::Location {
            target: e.store("target_dir").map(str::to_string),
            prefix: e.store("prefix_path").map(str::to_string),
            root: e.store("root_path").map(str::to_string),
            user: e.flag("use_user_site"),
        },
        resolve: e.words(RESOLVE),
        resolve_key: resolving(&|o| !o.has(traits::COSMETIC)),
        install: e.words(INSTALL),
        install_pinned: e.words_where(|o| INSTALL.contains(&o.role) && !o.has(traits::FILE_CHOICE)),
        build: e.words_for(RESOLVE, pipopts::cmds::WHEEL),
        targeted: !resolving(&|o| o.has(traits::TARGET)).is_empty(),
        no_binary: !resolving(&|o| o.name() == "no-binary").is_empty(),
        network: Network {
            cert: e.store("cert").map(str::to_string),
            client_cert: e.store("client_cert").map(str::to_string),
            trusted_hosts: e.list("trusted_hosts"),
            proxy: e.store("proxy").map(str::to_string),
            no_proxy_env: e.flag("no_proxy_env"),
        },
        verbosity,
    })
}

/// pip's check that there is something to work on, made before pip is asked anything, in pip's
/// words with `program` (`pyprov`, or `pip` for the drop-in) in pip's place.
pub(crate) fn require_something(
    args: &PipArgs,
    command: Command,
    program: &str,
) -> Result<(), ArgError> {
    if !(args.requirements.is_empty()
        && args.editables.is_empty()
        && args.requirement_files.is_empty()
        && args.groups.is_empty()
        && args.scripts.is_empty())
    {
        return Ok(());
    }
    let name = command.pip_name();
    let hint = if args.find_links.is_empty() {
        format!("see \"{program} {name} -h\"")
    } else {
        format!(
            "maybe you meant \"{program} {name} {}\"?",
            args.find_links.join(" ")
        )
    };
    Err(ArgError::NoRequirement {
        command: name,
        hint,
    })
}

fn paths(list: Vec<String>) -> Vec<PathBuf> {
    list.into_iter().map(PathBuf::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Format;
    use clap::FromArgMatches;

    fn own() -> OwnFlags {
        let matches = OwnFlags::command()
            .mut_args(|a| a.env(None))
            .try_get_matches_from(std::iter::empty::<String>())
            .unwrap();
        OwnFlags::from_arg_matches(&matches).unwrap()
    }

    fn parse_str(s: &str) -> (OwnFlags, PipArgs) {
        let v: Vec<String> = s.split_whitespace().map(str::to_string).collect();
        let (own, parsed) = parse(own(), &v, Command::Install).unwrap();
        (own, build(parsed, &[], Command::Install).unwrap())
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
        assert!(pip.install_pinned.is_empty());
        let (own2, pip2) =
            parse_str("--cache-dir /c --pyprov-cache-dir /p x --no-cache-dir --isolated");
        assert!(pip2.resolve.is_empty(), "{:?}", pip2.resolve);
        assert_eq!(own2.cache_dir, Some(PathBuf::from("/p")));
        assert_eq!(pip.editables, vec!["."]);
        assert_eq!(pip.verbosity, -1);
        assert_eq!(own.python, Some("/venv/bin/python".into()));
        assert_eq!(own.trust.locked, Some(true));
        assert_eq!(own.format, Format::Json);
    }

    #[test]
    fn what_the_table_says_of_options_is_read() {
        let (_, pip) = parse_str(
            "x --platform=manylinux2014_x86_64 --no-binary=a --prefer-binary --log=/l --no-color",
        );
        assert!(pip.targeted && pip.no_binary);
        assert_eq!(
            pip.resolve,
            [
                "--platform=manylinux2014_x86_64",
                "--no-binary=a",
                "--prefer-binary",
                "--log=/l",
                "--no-color"
            ]
        );
        assert_eq!(
            pip.resolve_key,
            [
                "--platform=manylinux2014_x86_64",
                "--no-binary=a",
                "--prefer-binary"
            ]
        );
        assert_eq!(
            pip.install_pinned,
            ["--platform=manylinux2014_x86_64", "--log=/l", "--no-color"]
        );
        let (_, plain) = parse_str("x --only-binary=:all:");
        assert!(!plain.targeted && !plain.no_binary);
    }

    /// Held by the tests that read or set pyprov's variables: clap reads `PYPROV_LOCKED` and
    /// friends while the environment test sets them, and tests run in parallel.
    static ENV: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// `--locked=WORD` among pip's words, `pyprov install --locked=WORD` and `PYPROV_LOCKED=WORD`
    /// through the drop-in are read by one clap definition; this holds the three to clap's own
    /// boolean words.
    #[test]
    fn locked_reads_the_same_words_everywhere() {
        let _env = ENV
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let clap = clap::builder::BoolishValueParser::new();
        let cmd = clap::Command::new("x");
        for word in [
            "y", "yes", "t", "true", "on", "1", "n", "no", "f", "false", "off", "0", "ON", "maybe",
        ] {
            let theirs = clap::builder::TypedValueParser::parse_ref(
                &clap,
                &cmd,
                None,
                std::ffi::OsStr::new(word),
            )
            .ok();
            // Among pip's words.
            let v = vec![format!("--locked={word}")];
            let ours = parse(own(), &v, Command::Install)
                .ok()
                .map(|(o, _)| o.trust.locked);
            assert_eq!(ours, theirs.map(Some), "--locked={word}");
            // `pyprov install --locked=WORD`, before pip's words.
            let m = OwnFlags::command()
                .try_get_matches_from([format!("--locked={word}")])
                .ok();
            let top = m.map(|m| OwnFlags::from_arg_matches(&m).unwrap().trust.locked);
            assert_eq!(top, theirs.map(Some), "pyprov install --locked={word}");
        }
        let (o, _) = parse(own(), &["--locked".to_string()], Command::Install).unwrap();
        assert_eq!(o.trust.locked, Some(true));
        let (o, _) = parse(own(), &["--locked=".to_string()], Command::Install).unwrap();
        assert_eq!(o.trust.locked, Some(true));
    }

    /// The drop-in's variables, read by the same definition. Only this test sets them (other
    /// tests read pyprov's flags without the environment), so every case is here, in turn.
    #[test]
    fn the_environment_reads_as_pyprov_install_reads_it() {
        let _env = ENV
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let set = |k: &str, v: Option<&str>| match v {
            Some(v) => std::env::set_var(k, v),
            None => std::env::remove_var(k),
        };
        for (word, want) in [("y", Some(true)), ("OFF", Some(false)), ("", None)] {
            set("PYPROV_LOCKED", Some(word));
            assert_eq!(
                from_env().unwrap().trust.locked,
                want,
                "PYPROV_LOCKED={word}"
            );
        }
        set("PYPROV_LOCKED", Some("maybe"));
        assert_eq!(
            from_env().unwrap_err().to_string(),
            "PYPROV_LOCKED=maybe: expected true or false (1/0, yes/no, on/off, y/n)"
        );
        set("PYPROV_LOCKED", None);
        set("PYPROV_UNATTESTED", Some("bogus"));
        assert_eq!(
            from_env().unwrap_err().to_string(),
            "--unattested (PYPROV_UNATTESTED) is deny, warn or allow, not bogus"
        );
        set("PYPROV_UNATTESTED", Some("deny"));
        set("PYPROV_TRUSTED_ROOT", Some("/r.json"));
        let env = from_env().unwrap();
        assert_eq!(env.unattested.as_deref(), Some("deny"));
        assert_eq!(env.trusted_root, Some(PathBuf::from("/r.json")));
        // Words among pip's override the variables, and leave the rest alone.
        let v = vec!["--unattested=warn".to_string()];
        let (o, _) = parse(env, &v, Command::Install).unwrap();
        assert_eq!(o.unattested.as_deref(), Some("warn"));
        assert_eq!(o.trusted_root, Some(PathBuf::from("/r.json")));
        set("PYPROV_UNATTESTED", None);
        set("PYPROV_TRUSTED_ROOT", None);
    }

    #[test]
    fn flags_given_before_stay_unless_given_again() {
        let mut before = own();
        before.no_cache = true;
        before.format = Format::Json;
        before.trust.locked = Some(false);
        let v: Vec<String> = ["x", "--trust-file", "t.toml"].map(String::from).to_vec();
        let (o, _) = parse(before, &v, Command::Install).unwrap();
        assert!(o.no_cache);
        assert_eq!(o.format, Format::Json);
        assert_eq!(o.trust.locked, Some(false));
        assert_eq!(o.trust.trust_file, Some(PathBuf::from("t.toml")));
        let (o, _) = parse(own(), &["--no-cache".to_string()], Command::Install).unwrap();
        assert!(o.no_cache);
        let v: Vec<String> = [
            "--format=json",
            "x",
            "--locked=false",
            "--format=text",
            "--locked",
        ]
        .map(String::from)
        .to_vec();
        let (o, _) = parse(own(), &v, Command::Install).unwrap();
        assert_eq!((o.format, o.trust.locked), (Format::Text, Some(true)));
    }

    /// pipopts places pyprov's own flags among pip's words; clap reads them. The two agree on
    /// every flag's name and on whether it takes a value.
    #[test]
    fn own_flag_rows_are_the_clap_definition() {
        let mut command = OwnFlags::command();
        command.build();
        let clap_flags: Vec<(String, bool)> = command
            .get_arguments()
            .filter_map(|a| {
                let takes = a.get_action().takes_values()
                    && a.get_num_args().is_some_and(|n| n.min_values() > 0);
                Some((a.get_long()?.to_string(), takes))
            })
            .collect();
        let rows: Vec<(String, bool)> = pipopts::OPTIONS
            .iter()
            .filter(|o| o.role == Role::Own)
            .map(|o| (o.name().to_string(), o.takes_value()))
            .collect();
        let mut a = clap_flags.clone();
        let mut b = rows.clone();
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }

    #[test]
    fn missing_values_are_errors() {
        assert!(parse(own(), &["-r".to_string()], Command::Install).is_err());
        let err = parse(
            own(),
            &["--format".to_string(), "xml".to_string()],
            Command::Install,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "--format is text or json, not xml");
        let err = parse(own(), &["--locked=maybe".to_string()], Command::Install).unwrap_err();
        assert_eq!(err.to_string(), "--locked=maybe: expected true or false");
        // Anything else clap refuses is said in clap's words, on one line.
        let err = parse(own(), &["--no-cache=false".to_string()], Command::Install).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unexpected value 'false' for '--no-cache' found; no more were expected"
        );
        let err = parse(own(), &["-h".to_string()], Command::Install).unwrap_err();
        assert!(matches!(err, ArgError::Help));
        // Used to panic: a byte-index slice inside a multi-byte character.
        assert!(parse(own(), &["-éx".to_string()], Command::Install).is_err());
    }
}
