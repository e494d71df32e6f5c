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

/// `--all-releases` and `--only-final` write one setting (pip 26's `release_control`), each
/// value in the order given, from the configuration as from the command line; so do
/// `--no-binary` and `--only-binary`.
#[test]
fn release_control_keeps_its_order() {
    let mut e = Effective::default();
    e.apply_config(
        &[
            ("only-final".into(), ":all:".into()),
            ("all-releases".into(), "six".into()),
        ],
        Command::Install,
    )
    .unwrap();
    let parsed = parse(
        &words("--only-final six --all-releases=:all:"),
        Command::Install,
    )
    .unwrap();
    e.apply_args(parsed).unwrap();
    assert_eq!(
        e.words(&[Role::ResolveOnly]),
        [
            "--only-final=:all:",
            "--all-releases=six",
            "--only-final=six",
            "--all-releases=:all:"
        ]
    );
    // pip 26 reads them on a line of a requirements file too.
    let p = parse(
        &words("--all-rel :all: --no-require"),
        Command::RequirementsFile,
    )
    .unwrap();
    assert_eq!(names(&p), ["--all-releases=:all:", "--no-require-hashes"]);
}

/// pip 26's inputs take a value, written with a space or with `=`, and are pyprov's to read:
/// none of them reaches pip's words.
#[test]
fn pip_26_inputs_take_a_value() {
    for (name, dest) in [
        ("--group", "dependency_groups"),
        ("--requirements-from-script", "requirements_from_scripts"),
        ("--build-constraint", "build_constraints"),
    ] {
        for spelled in [format!("{name} v x"), format!("{name}=v x")] {
            let mut e = Effective::default();
            e.apply_args(parse(&words(&spelled), Command::Install).unwrap())
                .unwrap();
            e.check_supported().unwrap();
            assert_eq!(e.list(dest), ["v"], "{spelled}");
            assert_eq!(e.positional, ["x"], "{spelled}");
            assert!(e.words(&[Role::Both, Role::ResolveOnly]).is_empty());
        }
        let option = OPTIONS.iter().find(|o| o.dest == dest).unwrap();
        assert!(option.takes_value() && option.role == Role::Input, "{name}");
        assert!(matches!(
            parse(&words(name), Command::Install),
            Err(OptError::MissingValue(_))
        ));
    }
}

/// The options each trait marks: what pyprov's code once listed by name, in four places.
#[test]
fn traits_mark_the_options_once_listed_by_name() {
    let marked = |t| {
        let mut v: Vec<&str> = OPTIONS
            .iter()
            .filter(|o| o.has(t))
            .map(|o| o.name())
            .collect();
        v.sort_unstable();
        v
    };
    assert_eq!(
        marked(traits::TARGET),
        ["abi", "implementation", "platform", "python-version"]
    );
    assert_eq!(
        marked(traits::FILE_CHOICE),
        ["no-binary", "only-binary", "prefer-binary"]
    );
    assert_eq!(
        marked(traits::COSMETIC),
        [
            "log",
            "no-clean",
            "no-color",
            "no-input",
            "no-python-version-warning",
            "progress-bar",
            "require-virtualenv"
        ]
    );
    assert_eq!(
        marked(traits::PER_REQUIREMENT),
        ["config-settings", "global-option", "hash", "install-option"]
    );
    assert_eq!(marked(traits::ASKS_INDEX), ["outdated", "uptodate"]);
}

#[test]
fn a_misspelled_option_gets_the_nearest_spelling() {
    let unknown = |s: &str| match parse(&words(s), Command::Install) {
        Err(OptError::Unknown(m)) => m,
        other => panic!("{s}: {other:?}"),
    };
    // pyprov's own flag, and pip's.
    assert_eq!(
        unknown("--unatested deny"),
        "--unatested (did you mean --unattested?)"
    );
    assert_eq!(
        unknown("--requirment x"),
        "--requirment (did you mean --requirement?)"
    );
    // Nothing near: no guess.
    assert_eq!(unknown("--zzzzzzzz"), "--zzzzzzzz");
}
