use super::*;

fn deps(text: &str) -> Result<String, InputError> {
    pep723_metadata(text, "tool.py")
}

#[test]
fn reads_the_script_block() {
    let text = "#!/usr/bin/env python\n# /// script\n# requires-python = \">=3.8\"\n# dependencies = [\n#   \"six\",\n# ]\n# ///\nimport six\n";
    assert_eq!(
        deps(text).unwrap(),
        "requires-python = \">=3.8\"\ndependencies = [\n  \"six\",\n]\n"
    );
    // `#` alone is an empty line; CRLF reads as pip's universal newlines read it; the block may
    // end the file without a newline.
    assert_eq!(
        deps("# /// script\r\n#\r\n# a = 1\r\n# ///").unwrap(),
        "\na = 1\n"
    );
    // The block ends at the last `# ///` of its run of comment lines.
    assert_eq!(
        deps("# /// script\n# a = 1\n# ///\n# b = 2\n# ///\nx\n").unwrap(),
        "a = 1\n///\nb = 2\n"
    );
    // Other kinds of blocks are skipped; one not ended by a non-comment line runs on to the
    // last `# ///`, as pip's expression does.
    assert_eq!(
        deps("# /// other\n# x = 1\n# ///\n\n# /// script\n# a = 1\n# ///\n").unwrap(),
        "a = 1\n"
    );
    assert!(deps("# /// other\n# x = 1\n# ///\n# /// script\n# a = 1\n# ///\n").is_err());
}

#[test]
fn pips_pep723_expression_compiles() {
    assert!(PEP723_REGEX.is_ok(), "{:?}", PEP723_REGEX.as_ref().err());
}

#[test]
fn script_lines_split_as_pythons_splitlines() {
    // pip splits the block's content with `splitlines`: a form feed ends a line, and the
    // next line loses `# ` (or else its first character).
    assert_eq!(
        deps("# /// script\n# a = 1\x0c# b = 2\n#\n# ///\n").unwrap(),
        "a = 1\x0cb = 2\n\n"
    );
}

#[test]
fn script_errors_are_pips() {
    let err = |t: &str| deps(t).unwrap_err().to_string();
    assert_eq!(
        err("import six\n"),
        "File does not contain 'script' metadata: 'tool.py'"
    );
    // Not a block: a line that is not a comment inside it, no closing line, no content.
    assert_eq!(
        err("# /// script\nx = 1\n# ///\n"),
        "File does not contain 'script' metadata: 'tool.py'"
    );
    assert_eq!(
        err("# /// script\n# a = 1\n"),
        "File does not contain 'script' metadata: 'tool.py'"
    );
    assert_eq!(
        err("# /// script\n# ///\n"),
        "File does not contain 'script' metadata: 'tool.py'"
    );
    assert_eq!(
        err("# /// script\n# a = 1\n# ///\n\n# /// script\n# b = 1\n# ///\n"),
        "Multiple 'script' blocks found in 'tool.py'"
    );
}

fn script(text: &str, python: &str, ignore: bool) -> Result<Vec<String>, InputError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tool.py");
    std::fs::write(&path, text).unwrap();
    let python = python_version(Some(python), &pip((26, 3, 0))).unwrap();
    read_script(&path, "tool.py", python.as_ref(), ignore)
        .map(|v| v.into_iter().map(|r| r.text).collect())
}

#[test]
fn script_dependencies_and_requires_python() {
    let text = "# /// script\n# requires-python = \">=3.12\"\n# dependencies = [\"six==1.0\", \"app[x] >= 2; python_version >= '3'\"]\n# ///\n";
    assert_eq!(
        script(text, "3.12", false).unwrap(),
        ["six==1.0", "app[x] >= 2; python_version >= '3'"]
    );
    assert_eq!(
        script(text, "3.11", false).unwrap_err().to_string(),
        "Script 'tool.py' requires a different Python: 3.11 not in '>=3.12'\n  fix: run it with an interpreter the script supports (--python), or pass --ignore-requires-python"
    );
    assert!(script(text, "3.11", true).is_ok());
    // pip reads the script as UTF-8.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tool.py"), b"# \xff\n").unwrap();
    assert_eq!(
        read_script(&dir.path().join("tool.py"), "tool.py", None, false)
            .unwrap_err()
            .to_string(),
        "cannot read script tool.py: stream did not contain valid UTF-8"
    );
    // pip reads `--python-version 311` as 3.11, and pads to three parts; with no value, the
    // interpreter's first three release parts (pip checks `sys.version_info[:3]`).
    let version = |option: Option<&str>, python: &str| {
        let pip = Pip {
            target: Some(probed(python)),
            ..pip((26, 3, 0))
        };
        python_version(option, &pip).map(|v| v.map(|v| v.to_string()))
    };
    for (option, want) in [
        (Some("311"), "3.11.0"),
        (Some("3"), "3.0.0"),
        (Some("3.12.1"), "3.12.1"),
        (Some(" 3 . 1_2"), "3.12.0"),
        (None, "3.13.1"),
        // An empty value is no value, as in pip: the interpreter's version is checked.
        (Some(""), "3.13.1"),
    ] {
        assert_eq!(
            version(option, "3.13.1").unwrap().as_deref(),
            Some(want),
            "{option:?}"
        );
    }
    assert_eq!(
        version(None, "3.14.0rc1").unwrap().as_deref(),
        Some("3.14.0")
    );
    // What pip refuses is refused in its words (non-ASCII values, `PIP_PYTHON_VERSION=é1`,
    // split by characters as pip splits them: no panic inside `é`).
    for (v, why) in [
        ("é1", "each version part must be an integer"),
        ("é", "each version part must be an integer"),
        ("3é", "each version part must be an integer"),
        ("€12", "each version part must be an integer"),
        ("3.é", "each version part must be an integer"),
        ("3._1", "each version part must be an integer"),
        ("3.", "each version part must be an integer"),
        ("3.1.2.4", "at most three version parts are allowed"),
    ] {
        let err = version(Some(v), "3.13.1").unwrap_err().to_string();
        assert!(
            err.starts_with(&format!(
                "--python-version error: invalid --python-version value: {}: {why}\n  fix: ",
                py_repr(v)
            )),
            "{v:?}: {err}"
        );
    }
    // A script's run with such a value is refused, as pip refuses it, not run unchecked.
    let mut a = PipArgs {
        scripts: vec!["tool.py".into()],
        python_version: Some("é1".into()),
        ..PipArgs::default()
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tool.py"),
        "# /// script\n# requires-python = \">=3.12\"\n# ///\n",
    )
    .unwrap();
    a.scripts = vec![dir.path().join("tool.py").display().to_string()];
    assert!(matches!(
        gather(&mut a, &pip((26, 3, 0)), dir.path()),
        Err(InputError::PythonVersionValue { .. })
    ));
    // No dependencies: nothing; an option smuggled in as a dependency is not a requirement.
    assert!(script("# /// script\n# a = 1\n# ///\n", "3.12", false)
        .unwrap()
        .is_empty());
    let smuggled = "# /// script\n# dependencies = [\"--index-url=http://elsewhere/\"]\n# ///\n";
    assert_eq!(
        script(smuggled, "3.12", false).unwrap_err().to_string(),
        "tool.py: Invalid requirement: '--index-url=http://elsewhere/'"
    );
    assert_eq!(
        script("# /// script\n# dependencies = [\n# ///\n", "3.12", false)
            .unwrap_err()
            .to_string(),
        "Failed to parse TOML in 'tool.py'"
    );
}

#[test]
fn the_script_is_given_once() {
    assert!(single_script(&[]).unwrap().is_none());
    assert_eq!(
        single_script(&["a.py".into(), "a.py".into()])
            .unwrap_err()
            .to_string(),
        "--requirements-from-script can only be given once"
    );
}

fn resolve(toml: &str, group: &str) -> Result<Vec<String>, String> {
    let mut r = Resolver::from_pyproject("pyproject.toml", toml).map_err(|e| e.to_string())?;
    r.resolve(group).map_err(|e| e.join("; "))
}

#[test]
fn groups_include_and_normalize() {
    let toml = r#"
[dependency-groups]
Test_Deps = ["pytest>=8", {include-group = "lint.tools"}]
lint-tools = ["ruff"]
docs = ["sphinx", {include-group = "test-deps"}, {include-group = "Lint_Tools"}]
"#;
    assert_eq!(resolve(toml, "test.deps").unwrap(), ["pytest>=8", "ruff"]);
    assert_eq!(
        resolve(toml, "DOCS").unwrap(),
        ["sphinx", "pytest>=8", "ruff", "ruff"]
    );
    // Lower case as Python's `str.lower`, not ASCII's.
    assert_eq!(
        resolve("[dependency-groups]\n\"Ünit\" = [\"x\"]\n", "ünit").unwrap(),
        ["x"]
    );
}

#[test]
fn group_errors_are_pips() {
    let cyclic = "[dependency-groups]\na = [{include-group = \"b\"}]\nb = [{include-group = \"a\"}]\nself = [{include-group = \"self\"}]\n";
    assert_eq!(
        resolve(cyclic, "a").unwrap_err(),
        "Cyclic dependency group include while resolving a: a -> b, b -> a"
    );
    assert_eq!(
        resolve(cyclic, "self").unwrap_err(),
        "Cyclic dependency group include while resolving self: self includes itself"
    );
    assert_eq!(
        resolve(cyclic, "c").unwrap_err(),
        "Dependency group 'c' not found"
    );
    let bad = "[dependency-groups]\ns = \"x\"\nn = 3\nt = [{other = \"x\"}]\nr = [\"not a req\"]\n";
    assert_eq!(
        resolve(bad, "s").unwrap_err(),
        "Dependency group 's' contained a string rather than a list."
    );
    assert_eq!(
        resolve(bad, "n").unwrap_err(),
        "Dependency group 'n' is not a sequence type."
    );
    assert_eq!(
        resolve(bad, "t").unwrap_err(),
        "Invalid dependency group item: {'other': 'x'}"
    );
    assert_eq!(
        resolve(bad, "r").unwrap_err(),
        "Invalid requirement: 'not a req'"
    );
    assert_eq!(
        resolve("[project]\nname = \"x\"\n", "a").unwrap_err(),
        "[dependency-groups] table was missing from 'pyproject.toml'. Cannot resolve '--group' option."
    );
    assert_eq!(
        resolve("dependency-groups = 3\n", "a").unwrap_err(),
        "[dependency-groups] table was malformed in pyproject.toml. Cannot resolve '--group' option."
    );
    assert_eq!(
        resolve("[dependency-groups]\nA = []\na = []\n", "a").unwrap_err(),
        "[dependency-groups] data was invalid in pyproject.toml: Duplicate dependency group names: a (A, a)"
    );
}

#[test]
fn group_values_name_a_pyproject() {
    let parse = |v: &str| parse_group_values(&[v.to_string()]);
    assert_eq!(
        parse("dev").unwrap(),
        [GroupRef {
            path: "pyproject.toml".into(),
            name: "dev".into()
        }]
    );
    assert_eq!(
        parse("sub/pyproject.toml:dev").unwrap(),
        [GroupRef {
            path: "sub/pyproject.toml".into(),
            name: "dev".into()
        }]
    );
    assert_eq!(
        parse("setup.cfg:dev").unwrap_err().to_string(),
        "--group error: group paths use local 'pyproject.toml' or 'pylock.toml' files"
    );
    for lock in [
        "pylock.toml:dev",
        "sub/pylock.ci.toml:dev",
        "pylock.toml[x]:dev",
    ] {
        assert!(
            matches!(parse(lock), Err(InputError::GroupFromLock { .. })),
            "{lock}"
        );
    }
}

fn args() -> PipArgs {
    PipArgs {
        only_deps: true,
        ..PipArgs::default()
    }
}

#[test]
fn only_deps_conflicts_in_pips_words() {
    assert!(check_only_deps(&args()).is_ok());
    let one = PipArgs {
        no_deps: true,
        ..args()
    };
    assert_eq!(
        check_only_deps(&one).unwrap_err().to_string(),
        "Cannot use '--only-dependencies' in combination with '--no-deps'. If this is unexpected, please refer to the user guide:\n\n    https://pip.pypa.io/en/stable/user_guide/#installing-only-dependencies"
    );
    let three = PipArgs {
        requirement_files: vec!["r.txt".into()],
        scripts: vec!["t.py".into()],
        groups: vec!["dev".into()],
        ..args()
    };
    assert!(check_only_deps(&three)
        .unwrap_err()
        .to_string()
        .starts_with("Cannot use '--only-dependencies' in combination with '--requirement', '--requirements-from-script', or '--group'. "));
}

#[test]
fn old_pips_are_refused_the_new_inputs() {
    let bc = PipArgs {
        build_constraints: vec!["bc.txt".into()],
        ..PipArgs::default()
    };
    assert!(check_versions(&bc, (25, 3, 0)).is_ok());
    assert_eq!(
        check_versions(&bc, (25, 2, 1)).unwrap_err().to_string(),
        "--build-constraint needs pip 25.3 or newer; this pip is 25.2.1\n  fix: upgrade pip in that environment, or leave --build-constraint out"
    );
    let group = PipArgs {
        groups: vec!["dev".into()],
        ..PipArgs::default()
    };
    assert!(check_versions(&group, (25, 1, 0)).is_ok());
    assert_eq!(
        check_versions(&group, (25, 0, 1)).unwrap_err().to_string(),
        "--group needs pip 25.1 or newer; this pip is 25.0.1\n  fix: upgrade pip in that environment, or leave --group out"
    );
    let script = PipArgs {
        scripts: vec!["tool.py".into()],
        ..PipArgs::default()
    };
    assert!(check_versions(&script, (26, 0, 0)).is_ok());
    // pip 25.3 has --group and --build-constraint, not --requirements-from-script.
    assert_eq!(
        check_versions(&script, (25, 3, 0)).unwrap_err().to_string(),
        "--requirements-from-script needs pip 26.0 or newer; this pip is 25.3.0\n  fix: upgrade pip in that environment, or leave --requirements-from-script out"
    );
}

#[test]
fn python_reprs() {
    assert_eq!(py_repr("a"), "'a'");
    assert_eq!(py_repr("it's"), "\"it's\"");
    assert_eq!(py_repr("a'\"b\\"), "'a\\'\"b\\\\'");
}

/// What `locked::probe` reads of an interpreter running Python `python`.
fn probed(python: &str) -> String {
    let short = python.splitn(3, '.').take(2).collect::<Vec<_>>().join(".");
    serde_json::json!({
        "env": {
            "implementation_name": "cpython",
            "implementation_version": python,
            "os_name": "posix",
            "platform_machine": "x86_64",
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": "Linux",
            "platform_version": "",
            "python_full_version": python,
            "python_version": short,
            "sys_platform": "linux",
        },
        "tags": [],
    })
    .to_string()
}

fn pip(version: (u32, u32, u32)) -> Pip {
    Pip {
        program: "/usr/bin/python3".into(),
        prefix: vec!["-m".into(), "pip".into()],
        version,
        config: Vec::new(),
        target: Some(probed("3.12.1")),
        installed: String::new(),
        interpreter: "/usr/bin/python3".into(),
        vcs_stubs: None,
    }
}

/// Groups and a script become requirements pyprov decides like the command line's; build
/// constraints become sanitized copies in every pip run; none of the three options is among the
/// words pip gets.
#[test]
fn gather_hands_pip_requirements_not_the_options() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("pyproject.toml"),
        "[dependency-groups]\ndev = [\" pytest>=8 \", \"tool @ https://example.invalid/tool-1.0.tar.gz\"]\n",
    )
    .unwrap();
    std::fs::write(
        d.join("tool.py"),
        "# /// script\n# requires-python = \">=3.12\"\n# dependencies = [\"six==1.0\"]\n# ///\n",
    )
    .unwrap();
    std::fs::write(d.join("bc.txt"), "--pre\nsetuptools<70\n").unwrap();
    let out = d.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let mut a = PipArgs {
        requirements: vec!["app".into()],
        groups: vec![format!("{}:dev", d.join("pyproject.toml").display())],
        scripts: vec![d.join("tool.py").display().to_string()],
        build_constraints: vec![d.join("bc.txt")],
        ..PipArgs::default()
    };
    let reqs = gather(&mut a, &pip((26, 3, 0)), &out).unwrap();
    assert_eq!(
        a.requirements,
        [
            "app",
            "pytest>=8",
            "tool @ https://example.invalid/tool-1.0.tar.gz",
            "six==1.0"
        ]
    );
    let kinds: Vec<(&str, bool)> = reqs
        .lines
        .iter()
        .map(|l| {
            (
                l.origin.as_str(),
                matches!(l.kind, reqs::ReqKind::DirectUrl { .. }),
            )
        })
        .collect();
    assert_eq!(kinds.len(), 4);
    assert!(
        kinds[2]
            .0
            .ends_with("pyproject.toml [dependency-groups] dev")
            && kinds[2].1
    );
    assert!(kinds[3].0.ends_with("tool.py (script metadata)"));
    // The build constraints' copy in every run (a source option in it is refused: see
    // reqs::tests::build_constraints_refuse_local_paths_and_source_options).
    let [copy] = reqs.build_constraint_files.as_slice() else {
        panic!("{:?}", reqs.build_constraint_files)
    };
    assert_eq!(
        std::fs::read_to_string(copy).unwrap(),
        "--pre\nsetuptools<70\n"
    );
    assert_eq!(reqs.index_url, None);
    // Its source options would move the run's sources: refused, the run's untouched.
    std::fs::write(
        d.join("bc2.txt"),
        "--index-url http://elsewhere.invalid/simple/\nsetuptools<70\n",
    )
    .unwrap();
    let mut b = PipArgs {
        requirements: vec!["app".into()],
        build_constraints: vec![d.join("bc2.txt")],
        ..PipArgs::default()
    };
    assert!(matches!(
        gather(&mut b, &pip((26, 3, 0)), &out),
        Err(InputError::Requirements(
            reqs::ReqError::BuildConstraint { .. }
        ))
    ));
    let word = format!("--build-constraint={}", copy.display());
    for words in [&a.resolve, &a.install, &a.install_pinned, &a.build] {
        assert_eq!(words, std::slice::from_ref(&word));
    }
    // Beside the other copies (their contents key a stored resolution), and named as one.
    assert_eq!(copy.parent(), Some(out.as_path()));
    let name = copy.file_name().unwrap().to_string_lossy();
    assert_eq!(a.resolve_key, [format!("--build-constraint={name}")]);
    // The interpreter pip runs is 3.12.1: a script for 3.13 is refused in pip's words.
    std::fs::write(
        d.join("tool.py"),
        "# /// script\n# requires-python = \">=3.13\"\n# ///\n",
    )
    .unwrap();
    let mut a = PipArgs {
        scripts: vec![d.join("tool.py").display().to_string()],
        ..PipArgs::default()
    };
    let err = gather(&mut a, &pip((26, 3, 0)), &out)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("requires a different Python: 3.12 not in '>=3.13'"),
        "{err}"
    );
    // An older pip is refused --build-constraint.
    let mut a = PipArgs {
        build_constraints: vec![d.join("bc.txt")],
        ..PipArgs::default()
    };
    assert!(matches!(
        gather(&mut a, &pip((25, 2, 0)), &out),
        Err(InputError::PipTooOld { .. })
    ));
}

#[test]
fn groups_of_one_file_read_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pyproject.toml");
    std::fs::write(
        &path,
        "[dependency-groups]\na = [\"x\"]\nb = [{include-group = \"a\"}, \"y\"]\n",
    )
    .unwrap();
    let path = path.display().to_string();
    let refs = parse_group_values(&[format!("{path}:a"), format!("{path}:B")]).unwrap();
    let read: Vec<(String, String)> = read_groups(&refs)
        .unwrap()
        .into_iter()
        .map(|r| (r.text, r.origin))
        .collect();
    let origin = |g: &str| format!("{path} [dependency-groups] {g}");
    assert_eq!(
        read,
        [
            ("x".to_string(), origin("a")),
            ("x".to_string(), origin("b")),
            ("y".to_string(), origin("b")),
        ]
    );
}
