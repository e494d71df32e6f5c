use std::fs;
use std::path::{Path, PathBuf};

use super::parse::line_col;
use super::store::find_within;
use super::*;
use crate::verify::PublisherSpec;

const EXAMPLE: &str = r#"[policy]
unattested = "deny"      # deny | warn | allow: files that carry no provenance at all
tofu = true              # pin the publisher of a package the first time it is seen

[packages]
sampleproject = { publisher = "github:pypa/sampleproject/release.yml" }
internal-lib  = { publisher = "gitlab:acme/platform/internal-lib//.gitlab-ci.yml", environment = "release" }
gcp-tool      = { publisher = "google:release@acme.iam.gserviceaccount.com" }
peppercorn    = { unattested = "allow" }   # old release, never attested
"#;

fn parse(text: &str) -> Result<TrustFile, TrustFileError> {
    TrustFile::parse(Path::new("pyprov.toml"), text)
}

/// (line, column, message) of a parse error.
fn parse_error(text: &str) -> (usize, usize, String) {
    match parse(text) {
        Err(TrustFileError::Parse {
            line,
            column,
            message,
            ..
        }) => (line, column, message),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn the_issue_example_parses() {
    let f = parse(EXAMPLE).unwrap();
    assert_eq!(f.policy().unattested, Unattested::Deny);
    assert!(f.policy().tofu);
    assert!(!f.policy().locked);
    assert_eq!(f.policy().source.as_deref(), Some(Path::new("pyprov.toml")));

    let s = f.entry("SampleProject").unwrap();
    assert_eq!(
        s.publishers[0].to_string(),
        "github:pypa/sampleproject/release.yml"
    );
    assert_eq!(s.line, 6);
    assert!(s.is_pinned());

    let i = f.entry("internal_lib").unwrap();
    assert_eq!(i.environment.as_deref(), Some("release"));
    assert_eq!(
        i.publishers[0].to_string(),
        "gitlab:acme/platform/internal-lib//.gitlab-ci.yml"
    );
    assert_eq!(
        f.entry("gcp.tool").unwrap().publishers[0].to_string(),
        "google:release@acme.iam.gserviceaccount.com"
    );
    let p = f.entry("peppercorn").unwrap();
    assert!(!p.is_pinned());
    assert_eq!(p.unattested, Some(Unattested::Allow));
    let names: Vec<&str> = f.entries().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        ["gcp-tool", "internal-lib", "peppercorn", "sampleproject"]
    );
}

#[test]
fn missing_keys_mean_what_no_file_means() {
    let f = parse("").unwrap();
    assert_eq!(
        f.policy().unattested,
        Policy::without_trust_file().unattested
    );
    assert!(!f.policy().tofu);
    assert_eq!(f.entries().count(), 0);
}

#[test]
fn several_publishers_table_form_and_pins() {
    let f = parse(
        r#"[packages]
moved = { publisher = ["github:old/moved", "github:new/moved/release.yml"], pinned = "tofu 2025-06-01" }

[packages.Zope_Interface]
publisher = "github:zopefoundation/zope.interface"
"#,
    )
    .unwrap();
    let m = f.entry("moved").unwrap();
    assert_eq!(m.publishers.len(), 2);
    assert_eq!(m.pinned.as_deref(), Some("tofu 2025-06-01"));
    let z = f.entry("zope.interface").unwrap();
    assert_eq!(z.key, "Zope_Interface");
    assert_eq!(z.name, "zope-interface");
    assert_eq!(z.line, 4);
}

#[test]
fn errors_point_at_line_and_column() {
    let (l, c, m) = parse_error("[packages]\nfoo = { publisher = \"github:a/b\" \nbar = 1\n");
    assert_eq!((l, c), (3, 1), "{m}");

    let (l, c, m) = parse_error("[policy]\nunattested = \"maybe\"\n");
    assert_eq!((l, c), (2, 14));
    assert!(m.contains("deny"), "{m}");

    let (l, c, m) = parse_error("[policy]\ntofu = \"yes\"\n");
    assert_eq!((l, c), (2, 8));
    assert!(m.contains("true or false"), "{m}");

    let (l, c, m) = parse_error("[policy]\ntrust = 1\n");
    assert_eq!((l, c), (2, 1));
    assert!(m.contains("unknown policy setting `trust`"), "{m}");

    let (l, c, m) = parse_error("[package]\nfoo = {}\n");
    assert_eq!((l, c), (1, 2));
    assert!(m.contains("unknown table `package`"), "{m}");

    // The element of a list, not the list, is what is wrong.
    let (l, c, m) =
        parse_error("[packages]\nfoo = { publisher = [\"github:a/b\", \"github:a\"] }\n");
    assert_eq!((l, c), (2, 36));
    assert!(m.contains("invalid publisher `github:a`"), "{m}");

    let (l, c, m) = parse_error("[packages]\nfoo = { publsher = \"github:a/b\" }\n");
    assert_eq!((l, c), (2, 9));
    assert!(m.contains("unknown key `publsher`"), "{m}");

    let (l, c, m) = parse_error("[packages]\nfoo = {}\n\"Foo\" = {}\n");
    assert_eq!((l, c), (3, 1));
    assert!(m.contains("same package as `foo` on line 2"), "{m}");

    let (l, _, m) = parse_error("[packages]\nfoo = \"github:a/b\"\n");
    assert_eq!(l, 2);
    assert!(m.contains("must be a table"), "{m}");

    let (l, _, m) = parse_error("[packages]\nfoo = { environment = \"release\" }\n");
    assert_eq!(l, 2);
    assert!(m.contains("no publisher"), "{m}");

    let (_, _, m) = parse_error("[packages]\nfoo = { publisher = [] }\n");
    assert!(m.contains("empty publisher list"), "{m}");

    let (l, c, m) = parse_error("[packages]\n\"-bad\" = {}\n");
    assert_eq!((l, c), (2, 1));
    assert!(m.contains("not a valid package name"), "{m}");

    // Columns count characters, not bytes.
    let (l, c, _) = parse_error("# héhé\n[policy]\nunattested = \"é\"\n");
    assert_eq!((l, c), (3, 14));
}

#[test]
fn parse_errors_carry_an_excerpt_with_a_caret() {
    let err = parse("[policy]\nunattested = \"maybe\"\n").unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("pyprov.toml:2:14: "), "{text}");
    assert!(text.contains("2 | unattested = \"maybe\"\n"), "{text}");
    assert!(text.contains("  |              ^\n"), "{text}");
    assert!(text.contains("pyprov left the file unchanged"), "{text}");
}

#[test]
fn package_names() {
    for ok in ["a", "A1", "zope.interface", "foo_bar-baz"] {
        assert!(package_name(ok).is_ok(), "{ok}");
    }
    for bad in ["", "-a", "a-", "a b", "hé", "a/b", "."] {
        assert!(package_name(bad).is_err(), "{bad}");
    }
    assert_eq!(package_name("Foo__Bar").unwrap(), "foo-bar");
    let err = package_name("../x").unwrap_err();
    assert_eq!(
        err.to_string(),
        "`../x` is not a valid package name (letters, digits, and - _ . between them)"
    );
    assert_eq!(err.fix(), None);
}

#[test]
fn locked_flag_wins_over_the_environment() {
    assert!(resolve_locked(Some(true)));
    assert!(!resolve_locked(Some(false)));
}

#[test]
fn pin_marker_has_the_date() {
    assert_eq!(pin_marker("2025-06-01"), "tofu 2025-06-01");
}

/// Discovery below `home`, which must not fail.
fn found(start: &Path, home: Option<&Path>) -> Option<std::path::PathBuf> {
    find_within(start, home).unwrap()
}

#[test]
fn discovery_walks_up_and_stops_at_the_repository_root() {
    let outer = tempfile::tempdir().unwrap();
    fs::write(outer.path().join(FILE_NAME), "").unwrap();
    let repo = outer.path().join("repo");
    let sub = repo.join("a/b");
    fs::create_dir_all(&sub).unwrap();
    // Below the home directory the walk goes up to it, the home directory included.
    assert_eq!(
        found(&sub, Some(outer.path())),
        Some(outer.path().join(FILE_NAME))
    );
    // The repository root bounds it: a parent's file does not govern the repository.
    fs::create_dir(repo.join(".git")).unwrap();
    assert_eq!(found(&sub, Some(outer.path())), None);
    fs::write(repo.join(FILE_NAME), "").unwrap();
    assert_eq!(find(&sub).unwrap(), Some(repo.join(FILE_NAME)));
    assert!(TrustFile::discover(&sub, None).unwrap().is_some());

    let missing = repo.join("missing.toml");
    assert!(matches!(
        TrustFile::discover(&sub, Some(&missing)),
        Err(TrustFileError::NotFound { .. })
    ));
    assert_eq!(
        TrustFile::edit_target(&sub, Some(&missing)).unwrap(),
        missing
    );
    assert_eq!(
        TrustFile::edit_target(&sub, None).unwrap(),
        repo.join(FILE_NAME)
    );
}

#[test]
fn discovery_never_goes_above_the_home_directory_or_a_worktree() {
    let outer = tempfile::tempdir().unwrap();
    fs::write(outer.path().join(FILE_NAME), "").unwrap();
    let home = outer.path().join("home");
    let project = home.join("project/src");
    fs::create_dir_all(&project).unwrap();
    assert_eq!(found(&project, Some(&home)), None);
    // The home directory's own file counts.
    fs::write(home.join(FILE_NAME), "").unwrap();
    assert_eq!(found(&project, Some(&home)), Some(home.join(FILE_NAME)));
    // $HOME spelled through a symlink is still the boundary: the walk stops there and never
    // reaches the file in `outer`.
    #[cfg(unix)]
    {
        let link = outer.path().join("home-link");
        std::os::unix::fs::symlink(&home, &link).unwrap();
        fs::remove_file(home.join(FILE_NAME)).unwrap();
        assert_eq!(found(&project, Some(&link)), None);
    }

    // A git worktree's `.git` is a file; it bounds the walk like a directory.
    let worktree = outer.path().join("elsewhere/wt");
    fs::create_dir_all(worktree.join("sub")).unwrap();
    fs::write(
        worktree.join(".git"),
        "gitdir: /somewhere/.git/worktrees/wt\n",
    )
    .unwrap();
    fs::write(outer.path().join("elsewhere").join(FILE_NAME), "").unwrap();
    assert_eq!(found(&worktree.join("sub"), Some(&home)), None);

    // Outside both (a checkout in /tmp with no .git): only the starting directory counts.
    let loose = outer.path().join("loose/sub");
    fs::create_dir_all(&loose).unwrap();
    fs::write(outer.path().join("loose").join(FILE_NAME), "").unwrap();
    assert_eq!(found(&loose, Some(&home)), None);
    assert_eq!(found(&loose, None), None);
    fs::write(loose.join(FILE_NAME), "").unwrap();
    assert_eq!(found(&loose, None), Some(loose.join(FILE_NAME)));
}

fn spec(s: &str) -> PublisherSpec {
    s.parse().unwrap()
}

/// Applies an edit to `text` in a temporary file and returns the outcome and the new text.
fn edit_text(text: &str, change: &Edit<'_>) -> (EditOutcome, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    fs::write(&path, text).unwrap();
    let (outcome, _) = edit(&path, change).unwrap();
    (outcome, fs::read_to_string(&path).unwrap())
}

const COMMENTED: &str = r#"# Who may publish what we install.
[policy]
unattested = "deny"   # strict
tofu = true

[packages]
# Our own.
beta   = { publisher = "github:acme/beta/release.yml" }   # moved in 2024
delta  = { unattested = "allow" }

# Vendored, keep last.
zeta = { publisher = "github:acme/zeta" }
alpha = { publisher = "github:acme/alpha" }  # out of order on purpose
"#;

#[test]
fn add_inserts_in_sorted_place_keeping_everything_else() {
    let ps = [spec("github:acme/gamma/release.yml")];
    let (outcome, text) = edit_text(
        COMMENTED,
        &Edit::Add {
            package: "Gamma",
            publishers: &ps,
            environment: Some("release"),
        },
    );
    assert_eq!(outcome, EditOutcome::Changed);
    assert_eq!(
        text,
        COMMENTED.replace(
            "\n# Vendored",
            "gamma = { publisher = \"github:acme/gamma/release.yml\", environment = \"release\" }\n\n# Vendored"
        )
    );
}

#[test]
fn add_to_an_existing_entry_keeps_its_spacing_and_comment() {
    let ps = [spec("github:acme/beta-new")];
    let (_, text) = edit_text(
        COMMENTED,
        &Edit::Add {
            package: "beta",
            publishers: &ps,
            environment: None,
        },
    );
    assert_eq!(
        text,
        COMMENTED.replace(
            "beta   = { publisher = \"github:acme/beta/release.yml\" }",
            "beta   = { publisher = [\"github:acme/beta/release.yml\", \"github:acme/beta-new\"] }"
        )
    );
    // Adding what is there already writes nothing.
    let ps = [spec("github:acme/zeta")];
    let (outcome, same) = edit_text(
        COMMENTED,
        &Edit::Add {
            package: "ZETA",
            publishers: &ps,
            environment: None,
        },
    );
    assert_eq!(outcome, EditOutcome::Unchanged);
    assert_eq!(same, COMMENTED);
}

#[test]
fn allow_unattested_and_remove() {
    let (_, text) = edit_text(COMMENTED, &Edit::AllowUnattested { package: "beta" });
    assert_eq!(
        text,
        COMMENTED.replace(
            "\"github:acme/beta/release.yml\" }",
            "\"github:acme/beta/release.yml\", unattested = \"allow\" }"
        )
    );
    let (outcome, _) = edit_text(COMMENTED, &Edit::AllowUnattested { package: "delta" });
    assert_eq!(outcome, EditOutcome::Unchanged);

    let (_, text) = edit_text(COMMENTED, &Edit::Remove { package: "delta" });
    assert_eq!(
        text,
        COMMENTED.replace("delta  = { unattested = \"allow\" }\n", "")
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    fs::write(&path, COMMENTED).unwrap();
    assert!(matches!(
        edit(&path, &Edit::Remove { package: "nope" }),
        Err(TrustFileError::NoEntry { .. })
    ));
}

#[test]
fn pins_are_marked_and_never_overwrite_a_publisher() {
    let p = spec("github:acme/epsilon/release.yml");
    let pin = |package| Edit::Pin {
        package,
        publisher: &p,
        environment: Some("pypi"),
        date: "2025-06-01",
    };
    let (_, text) = edit_text(COMMENTED, &pin("epsilon"));
    assert!(text.contains(
        "delta  = { unattested = \"allow\" }\nepsilon = { publisher = \"github:acme/epsilon/release.yml\", environment = \"pypi\", pinned = \"tofu 2025-06-01\" }\n"
    ), "{text}");

    // A package with an entry but no publisher learns one and keeps its setting.
    let (_, text) = edit_text(COMMENTED, &pin("delta"));
    assert!(text.contains(
        "delta  = { unattested = \"allow\", publisher = \"github:acme/epsilon/release.yml\", environment = \"pypi\", pinned = \"tofu 2025-06-01\" }\n"
    ), "{text}");

    let (outcome, text) = edit_text(COMMENTED, &pin("beta"));
    match outcome {
        EditOutcome::AlreadyPinned(e) => assert_eq!(e.name, "beta"),
        other => panic!("{other:?}"),
    }
    assert_eq!(text, COMMENTED);
}

#[test]
fn adding_by_hand_promotes_a_learned_pin() {
    let text = "[packages]\nfoo = { publisher = \"github:a/foo\", pinned = \"tofu 2025-06-01\" }  # learned\n";
    let ps = [spec("github:a/foo")];
    let (outcome, new) = edit_text(
        text,
        &Edit::Add {
            package: "foo",
            publishers: &ps,
            environment: None,
        },
    );
    assert_eq!(outcome, EditOutcome::Changed);
    assert_eq!(
        new,
        "[packages]\nfoo = { publisher = \"github:a/foo\" }  # learned\n"
    );
}

#[test]
fn table_form_entries_are_edited_in_place() {
    let text = "[packages.foo]\npublisher = \"github:a/foo\"  # c\n";
    let (_, new) = edit_text(text, &Edit::AllowUnattested { package: "foo" });
    assert_eq!(
        new,
        "[packages.foo]\npublisher = \"github:a/foo\"  # c\nunattested = \"allow\"\n"
    );
    let ps = [spec("github:a/bar")];
    let (_, new) = edit_text(
        text,
        &Edit::Add {
            package: "bar",
            publishers: &ps,
            environment: None,
        },
    );
    let f = parse(&new).unwrap();
    assert!(
        f.entry("bar").is_some() && f.entry("foo").is_some(),
        "{new}"
    );
}

#[test]
fn a_missing_file_starts_from_the_template() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let ps = [spec("github:a/foo")];
    let (outcome, file) = edit(
        &path,
        &Edit::Add {
            package: "foo",
            publishers: &ps,
            environment: None,
        },
    )
    .unwrap();
    assert_eq!(outcome, EditOutcome::Changed);
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        format!("{TEMPLATE}foo = {{ publisher = \"github:a/foo\" }}\n")
    );
    assert!(file.policy().tofu);
    assert_eq!(file.policy().unattested, Unattested::Warn);
    // A file without [packages] gets one.
    fs::write(&path, "[policy]\ntofu = false\n").unwrap();
    edit(&path, &Edit::AllowUnattested { package: "x" }).unwrap();
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "[policy]\ntofu = false\n\n[packages]\nx = { unattested = \"allow\" }\n"
    );
}

#[test]
fn a_broken_file_is_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let broken = b"[packages]\nfoo = { publisher = \"github:a/b\" \n\xff";
    fs::write(&path, broken).unwrap();
    let p = spec("github:a/c");
    let err = edit(
        &path,
        &Edit::Pin {
            package: "c",
            publisher: &p,
            environment: None,
            date: "2025-06-01",
        },
    )
    .unwrap_err();
    assert!(matches!(err, TrustFileError::Parse { .. }), "{err}");
    assert_eq!(fs::read(&path).unwrap(), broken);
    fs::write(&path, "[packages]\nfoo = { publisher = \"github:a\" }\n").unwrap();
    assert!(edit(&path, &Edit::AllowUnattested { package: "c" }).is_err());
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "[packages]\nfoo = { publisher = \"github:a\" }\n"
    );
}

#[test]
fn writes_leave_no_temporary_files_and_keep_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    fs::write(&path, "").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    }
    edit(&path, &Edit::AllowUnattested { package: "x" }).unwrap();
    let mut names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, [".pyprov.toml.lock", "pyprov.toml"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }
}

#[cfg(unix)]
#[test]
fn a_symlinked_trust_file_stays_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("shared.toml");
    fs::write(&real, "").unwrap();
    let link = dir.path().join(FILE_NAME);
    std::os::unix::fs::symlink(&real, &link).unwrap();
    edit(&link, &Edit::AllowUnattested { package: "x" }).unwrap();
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(fs::read_to_string(&real).unwrap().contains("x = "));
}

#[test]
fn line_col_counts_characters() {
    assert_eq!(line_col("ab\ncé d", 6), (2, 3));
    assert_eq!(line_col("ab", 99), (1, 3));
    // An offset inside a multi-byte character does not panic.
    assert_eq!(line_col("é", 1), (1, 1));
}

#[test]
fn a_pin_that_loses_a_race_returns_the_winners_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    fs::write(&path, "[policy]\ntofu = true\n").unwrap();
    // Both processes read the file before either pinned.
    let mut first = TrustFile::load(&path).unwrap();
    let mut second = TrustFile::load(&path).unwrap();
    let a = spec("github:acme/pkg/release.yml");
    let b = spec("github:mallory/pkg/release.yml");

    let won = first.pin("Pkg", &a, Some("pypi")).unwrap();
    let PinOutcome::Pinned(entry) = &won else {
        panic!("{won:?}")
    };
    assert_eq!(entry.publishers, std::slice::from_ref(&a));
    assert_eq!(entry.environment.as_deref(), Some("pypi"));
    assert!(entry
        .pinned
        .as_deref()
        .is_some_and(|p| p.starts_with("tofu ")));

    let lost = second.pin("pkg", &b, None).unwrap();
    let PinOutcome::AlreadyPinned(entry) = &lost else {
        panic!("{lost:?}")
    };
    assert_eq!(
        entry.publishers,
        std::slice::from_ref(&a),
        "the winner's publisher"
    );
    assert_eq!(lost.entry(), won.entry());
    // The loser's view is the file as it now is, and nothing of its pin was written.
    assert_eq!(second.entry("pkg"), Some(won.entry()));
    let text = fs::read_to_string(&path).unwrap();
    assert!(!text.contains("mallory"), "{text}");
}

#[test]
fn require_environment_proof_is_a_policy_and_an_entry_setting() {
    let f = parse(
        "[policy]\nrequire-environment-proof = true\n\n[packages]\na = { publisher = \"github:o/a\", environment = \"pypi\", require-environment-proof = false }\n",
    )
    .unwrap();
    assert!(f.policy().require_environment_proof);
    assert_eq!(f.entry("a").unwrap().require_environment_proof, Some(false));
    assert!(!parse("").unwrap().policy().require_environment_proof);

    let (l, _, m) = parse_error("[policy]\nrequire-environment-proof = \"yes\"\n");
    assert_eq!(
        (l, m.as_str()),
        (2, "`require-environment-proof` must be true or false")
    );
    let (l, _, m) = parse_error(
        "[packages]\na = { publisher = \"github:o/a\", require-environment-proof = true }\n",
    );
    assert_eq!(l, 2);
    assert!(m.contains("no environment to prove"), "{m}");
}

#[test]
fn messages_are_the_problem_then_the_fix() {
    let p = PathBuf::from("/p/pyprov.toml");
    let io = || std::io::Error::other("disk on fire");
    let cases = [
        (
            TrustFileError::NotFound { path: p.clone() },
            "trust file /p/pyprov.toml does not exist\n  fix: create it with `pyprov trust add PACKAGE SPEC`, or point --trust-file / PYPROV_TRUST_FILE at an existing file",
        ),
        (
            TrustFileError::Read { path: p.clone(), source: io() },
            "cannot read trust file /p/pyprov.toml: disk on fire",
        ),
        (
            TrustFileError::Write { path: p.clone(), source: io(), leftover: None },
            "cannot write trust file /p/pyprov.toml: disk on fire\n  fix: the file was left as it was; check the directory's permissions and free space",
        ),
        (
            TrustFileError::Write {
                path: p.clone(),
                source: io(),
                leftover: Some(PathBuf::from("/p/.pyprov.toml.7.tmp")),
            },
            "cannot write trust file /p/pyprov.toml: disk on fire\n  fix: the file was left as it was; check the directory's permissions and free space, and remove /p/.pyprov.toml.7.tmp",
        ),
        (
            TrustFileError::Locked {
                path: p.clone(),
                lock: PathBuf::from("/p/.pyprov.toml.lock"),
                waited: std::time::Duration::from_secs(60),
            },
            "another pyprov has been writing /p/pyprov.toml for 60s\n  fix: wait for it to finish; if none is running, check that /p/.pyprov.toml.lock is on a file system that supports locks",
        ),
        (
            TrustFileError::Unsupported { path: p.clone() },
            "/p/pyprov.toml: `packages` must be a [packages] table for pyprov to edit it\n  fix: write the entries under a [packages] header",
        ),
        (
            TrustFileError::NoEntry { path: p.clone(), package: "foo".into() },
            "/p/pyprov.toml has no entry for foo\n  fix: `pyprov trust show` lists the entries",
        ),
        (
            TrustFileError::Discover { path: PathBuf::from("/p"), source: io() },
            "cannot look for a trust file in /p: disk on fire\n  fix: make the directory readable, or name the trust file with --trust-file / PYPROV_TRUST_FILE",
        ),
    ];
    for (err, text) in cases {
        assert_eq!(err.to_string(), text);
        let fix = text.split_once("\n  fix: ").map(|(_, f)| f.to_string());
        assert_eq!(err.fix(), fix, "{text}");
    }

    let err = parse("[policy]\nunattested = \"maybe\"\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "pyprov.toml:2:14: `unattested` is \"deny\", \"warn\" or \"allow\"\n  |\n2 | unattested = \"maybe\"\n  |              ^\n  fix: correct line 2 of pyprov.toml; pyprov left the file unchanged"
    );
    assert_eq!(
        err.fix().as_deref(),
        Some("correct line 2 of pyprov.toml; pyprov left the file unchanged")
    );
}

#[test]
fn parse_errors_keep_what_they_came_from() {
    use std::error::Error as _;
    let syntax = parse("[packages\n").unwrap_err();
    assert!(syntax
        .source()
        .is_some_and(|s| s.is::<toml_edit::TomlError>()));
    let spec = parse("[packages]\nfoo = { publisher = \"github:a\" }\n").unwrap_err();
    assert!(spec
        .source()
        .is_some_and(|s| s.is::<crate::verify::identity::SpecError>()));
    let name = parse("[packages]\n\"-bad\" = {}\n").unwrap_err();
    assert!(name
        .source()
        .is_some_and(|s| s.is::<crate::vocab::InvalidPackageName>()));
    let write = TrustFileError::Write {
        path: PathBuf::from("x"),
        source: std::io::Error::other("e"),
        leftover: None,
    };
    assert!(write.source().is_some());
}

/// A candidate the walk cannot look at was once skipped as if absent, and the walk went on
/// upwards (or ran with no trust file at all): now it is an error that names it.
#[cfg(unix)]
#[test]
fn discovery_that_cannot_look_is_an_error_not_a_missing_file() {
    let outer = tempfile::tempdir().unwrap();
    let repo = outer.path().join("repo");
    fs::create_dir_all(repo.join(".git")).unwrap();
    let sub = repo.join("sub");
    fs::create_dir(&sub).unwrap();
    fs::write(repo.join(FILE_NAME), "").unwrap();
    // A symlink to itself: stat fails with ELOOP, not "no such file".
    std::os::unix::fs::symlink(FILE_NAME, sub.join(FILE_NAME)).unwrap();
    let err = find_within(&sub, None).unwrap_err();
    assert!(
        matches!(&err, TrustFileError::Discover { path, .. } if *path == sub),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains(&sub.join(FILE_NAME).display().to_string()),
        "{err}"
    );
    assert!(TrustFile::discover(&sub, None).is_err());
    assert!(TrustFile::edit_target(&sub, None).is_err());
}

#[test]
fn io_errors_name_the_file_and_the_operation() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the file should be: reading it fails, and says what was read.
    let path = dir.path().join(FILE_NAME);
    fs::create_dir(&path).unwrap();
    let err = TrustFile::load(&path).unwrap_err();
    assert!(matches!(err, TrustFileError::Read { .. }), "{err}");
    assert!(
        err.to_string().matches(&path.display().to_string()).count() >= 2,
        "{err}"
    );
}

#[test]
fn a_store_edits_and_takes_in_the_file_as_it_now_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    fs::write(&path, "[packages]\n").unwrap();
    let mut store = TrustFile::load(&path).unwrap();
    // Another writer adds an entry after this store read the file.
    edit(&path, &Edit::AllowUnattested { package: "other" }).unwrap();
    let outcome = store
        .edit(&Edit::AllowUnattested { package: "Mine" })
        .unwrap();
    assert_eq!(outcome, EditOutcome::Changed);
    let names: Vec<&str> = store.entries().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["mine", "other"]);
    assert_eq!(store.contents(), TrustFile::load(&path).unwrap().contents());
    let err = store.edit(&Edit::Remove { package: "nope" }).unwrap_err();
    assert!(matches!(err, TrustFileError::NoEntry { .. }), "{err}");
    let err = store.edit(&Edit::Remove { package: "../x" }).unwrap_err();
    assert!(matches!(err, TrustFileError::InvalidName(_)), "{err}");
}

#[test]
fn cooldown_durations() {
    let h = |s: &str| Cooldown::parse(s).map(Cooldown::hours);
    assert_eq!(h("7 days"), Some(168));
    assert_eq!(h("1 day"), Some(24));
    assert_eq!(h(" 36 hours "), Some(36));
    assert_eq!(h("1 hour"), Some(1));
    assert_eq!(h("0 days"), Some(0));
    assert_eq!(h("P7D"), Some(168));
    assert_eq!(h("PT12H"), Some(12));
    assert_eq!(h("P1DT12H"), Some(36));
    assert_eq!(h("P0D"), Some(0));
    for bad in [
        "",
        "7",
        "7d",
        "7 weeks",
        "-1 days",
        "+1 days",
        "1.5 days",
        "P",
        "PT",
        "P7",
        "P1W",
        "PT30M",
        "P1DT",
        "p7d",
        "seven days",
        "P-1D",
        "３ days",
        "99999999999 days",
        "3661 days",
    ] {
        assert_eq!(h(bad), None, "{bad:?}");
    }
    assert_eq!(h("3660 days"), Some(3660 * 24));
    let shown = |s: &str| Cooldown::parse(s).unwrap().to_string();
    assert_eq!(shown("P7D"), "7 days");
    assert_eq!(shown("PT24H"), "1 day");
    assert_eq!(shown("P1DT12H"), "36 hours");
    assert_eq!(shown("1 hour"), "1 hour");
    let now: jiff::Timestamp = "2026-12-06T12:00:00Z".parse().unwrap();
    assert_eq!(
        Cooldown::parse("P1DT12H").unwrap().cutoff(now).to_string(),
        "2026-12-05T00:00:00Z"
    );
}

#[test]
fn cooldown_in_the_policy_and_per_package() {
    let f = parse(
        r#"[policy]
cooldown = "7 days"

[packages]
fresh = { cooldown = false }
zero = { cooldown = "0 days" }
slow = { cooldown = "P14D" }
other = { unattested = "allow" }
"#,
    )
    .unwrap();
    let p = f.policy();
    assert_eq!(p.cooldown.map(Cooldown::hours), Some(168));
    let for_ = |name: &str| p.cooldown_for(f.entry(name)).map(Cooldown::hours);
    assert_eq!(for_("fresh"), None);
    assert_eq!(for_("zero"), None);
    assert_eq!(for_("slow"), Some(336));
    assert_eq!(for_("other"), Some(168));
    assert_eq!(for_("not-listed"), Some(168));

    // An entry may set a cooldown the policy does not have.
    let f = parse("[packages]\nslow = { cooldown = \"2 days\" }\n").unwrap();
    assert_eq!(
        f.policy()
            .cooldown_for(f.entry("slow"))
            .map(Cooldown::hours),
        Some(48)
    );
    assert_eq!(f.policy().cooldown_for(f.entry("x")), None);
    let f = parse("[policy]\ncooldown = false\n").unwrap();
    assert_eq!(f.policy().cooldown_for(None), None);
}

#[test]
fn bad_cooldowns_point_at_their_line() {
    let (line, column, message) = parse_error("[policy]\ntofu = true\ncooldown = \"7 weeks\"\n");
    assert_eq!((line, column), (3, 12));
    assert!(
        message.contains("`cooldown` in [policy] is a duration in days or hours"),
        "{message}"
    );
    let (line, column, message) =
        parse_error("[packages]\na = { unattested = \"allow\" }\nb = { cooldown = true }\n");
    assert_eq!((line, column), (3, 18));
    assert!(message.contains("the entry for `b`"), "{message}");
    assert!(message.contains("or false for none"), "{message}");
    let (line, _, _) = parse_error("[policy]\ncooldown = 7\n");
    assert_eq!(line, 2);
}
