//! The trust file through the CLI: the decision table case by case on real files from
//! `../shared/corpus` (copied into a temporary project at test time) and on files signed by the
//! project's own throwaway Sigstore; the `trust` commands; comments and order surviving edits;
//! broken files; concurrent writers; `--locked`.

use crate::support::pki;
use std::fs;
use std::path::{Path, PathBuf};

use crate::support::context::{pretty, Run, TestContext};
use crate::support::pki::{Identity, Signing};
use serde_json::Value;

/// 2025-06-01T12:00:00Z, so pin markers are predictable.
const EPOCH: &str = "1748779200";
const TODAY: &str = "2025-06-01";

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/files")
}

/// A project: the context's `project/` directory, a repository root (it has `.git`), so
/// trust-file discovery never looks above it; pyprov runs there at a known date.
fn project() -> TestContext {
    TestContext::new().with_source_date_epoch(EPOCH)
}

/// The trust tests' helpers on the context.
trait Project {
    /// `verify --format json` on files in the project (against the test Sigstore's root once
    /// anything here was signed with it, else the embedded production root).
    fn verify(&self, args: &[&str]) -> Run;
    /// Copies a corpus file and the named sidecars into the project.
    fn corpus_file(&self, rel: &str, sidecars: &[&str]) -> String;
    /// The real pypi-attestations 0.0.19 sdist (GitHub trailofbits/pypi-attestations,
    /// release.yml, refs/tags/v0.0.19) with its PEP 740 provenance object.
    fn pypi_attestations(&self) -> String;
    /// The real gitlab-oidc-project 0.0.3 sdist (GitLab facutuesca/gitlab-oidc-project,
    /// .gitlab-ci.yml) with its attestation.
    fn gitlab_project(&self) -> String;
    /// A distribution file with no provenance at all.
    fn unattested(&self, name: &str) -> String;
    /// Writes `name` with an attestation sidecar signed by `identity` (with the test Sigstore).
    fn attested(&self, name: &str, identity: Identity) -> String;
    /// Writes `name` with a PEP 740 provenance object whose publisher block is `publisher`.
    fn with_provenance(&self, name: &str, identity: Identity, publisher: Value);
}

impl Project for TestContext {
    fn verify(&self, args: &[&str]) -> Run {
        let mut c = self.pyprov();
        c.arg("verify").args(args).args(["--format", "json"]);
        if self.has_trusted_root() {
            c.arg("--trusted-root").arg(self.trusted_root());
        }
        self.run(&mut c)
    }

    fn corpus_file(&self, rel: &str, sidecars: &[&str]) -> String {
        let src = corpus().join(rel);
        let name = src.file_name().unwrap().to_string_lossy().into_owned();
        fs::copy(&src, self.work_path(&name)).unwrap();
        for s in sidecars {
            let mut from = src.clone().into_os_string();
            from.push(s);
            fs::copy(&from, self.work_path(format!("{name}{s}"))).unwrap();
        }
        name
    }

    fn pypi_attestations(&self) -> String {
        self.corpus_file(
            "pypi-attestations/pypi_attestations-0.0.19.tar.gz",
            &[".provenance"],
        )
    }

    fn gitlab_project(&self) -> String {
        self.corpus_file(
            "pypi-attestations/gitlab_oidc_project-0.0.3.tar.gz",
            &[".publish.attestation"],
        )
    }

    fn unattested(&self, name: &str) -> String {
        self.write(name, format!("unattested {name}"));
        name.to_string()
    }

    fn attested(&self, name: &str, identity: Identity) -> String {
        let contents = format!("contents of {name}");
        self.write(name, &contents);
        let signing = Signing::new(identity, statement(name, &contents));
        self.write(
            format!("{name}.publish.attestation"),
            self.pki().pep740_attestation(&signing),
        );
        name.to_string()
    }

    fn with_provenance(&self, name: &str, identity: Identity, publisher: Value) {
        let contents = format!("contents of {name}");
        self.write(name, &contents);
        let signing = Signing::new(identity, statement(name, &contents));
        let att = self.pki().pep740_attestation(&signing);
        self.write(
            format!("{name}.provenance"),
            pki::provenance(&[(publisher, vec![att])]),
        );
    }
}

fn statement(name: &str, contents: &str) -> Vec<u8> {
    pki::statement(
        name,
        &pki::sha256_hex(contents.as_bytes()),
        pki::PUBLISH_PREDICATE_V1,
        Value::Null,
    )
}

/// (verdict, code) of file `i`'s decision.
fn decision(json: &Value, i: usize) -> (String, String) {
    let d = &json["files"][i]["decision"];
    (
        d["verdict"].as_str().unwrap_or("<none>").to_string(),
        d["code"].as_str().unwrap_or("<none>").to_string(),
    )
}

fn dc(verdict: &str, code: &str) -> (String, String) {
    (verdict.to_string(), code.to_string())
}

const POLICY_DENY: &str = "[policy]\nunattested = \"deny\"\ntofu = false\n\n";

// ---------------------------------------------------------------------------------------------
// No trust file
// ---------------------------------------------------------------------------------------------

#[test]
fn without_a_trust_file_everything_is_verified_and_the_output_says_so() {
    let p = project();
    let sdist = p.pypi_attestations();
    let gitlab = p.gitlab_project();
    let out = p.verify(&[&sdist, &gitlab]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let json = out.json();
    assert_eq!(json["trust_file"], Value::Null);
    assert_eq!(decision(&json, 0), dc("allow", "allowed"));
    assert_eq!(decision(&json, 1), dc("allow", "allowed"));
    assert_eq!(
        json["files"][0]["publisher"],
        "github:trailofbits/pypi-attestations/release.yml"
    );
    snapshot!(p, "no_trust_file_json", out.stdout);

    let text = p.run_pyprov(&["verify", &sdist]);
    assert_eq!(text.code, 0);
    snapshot!(p, "no_trust_file_text", text.snapshot());
    // Nothing was written.
    assert!(!p.work_path("pyprov.toml").exists());
}

#[test]
fn without_a_trust_file_unattested_files_are_warned_about() {
    let p = project();
    let wheel = p.unattested("foo-1.0-py3-none-any.whl");
    let out = p.verify(&[&wheel]);
    let json = out.json();
    assert_eq!(decision(&json, 0), dc("warn", "unattested-warned"));
    assert_eq!(json["files"][0]["reason"]["code"], "no-provenance");
    // `verify` passes only when every file is allowed.
    assert_eq!(out.code, 1);
    snapshot!(p, "unattested_warned_json", out.stdout);
    let text = p.run_pyprov(&["verify", &wheel]);
    snapshot!(p, "unattested_warned_text", text.snapshot());
}

#[test]
fn without_a_trust_file_the_index_publisher_must_match_the_certificate() {
    let p = project();
    let id = Identity::github("acme/widget", "release.yml", "refs/tags/v1.0");
    p.with_provenance(
        "widget-1.0-py3-none-any.whl",
        id.clone(),
        pki::github_publisher("acme/widget", "release.yml", None),
    );
    let out = p.verify(&["widget-1.0-py3-none-any.whl"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(decision(&out.json(), 0), dc("allow", "allowed"));

    p.with_provenance(
        "widget-1.0-py3-none-any.whl",
        id,
        pki::github_publisher("other/widget", "release.yml", None),
    );
    let out = p.verify(&["widget-1.0-py3-none-any.whl"]);
    assert_eq!(out.code, 1);
    let json = out.json();
    assert_eq!(decision(&json, 0), dc("deny", "provenance-invalid"));
    assert_eq!(json["files"][0]["decision"]["reason"], "publisher-mismatch");
}

// ---------------------------------------------------------------------------------------------
// The decision table with a trust file
// ---------------------------------------------------------------------------------------------

#[test]
fn verified_against_the_expected_publisher_is_allowed() {
    let p = project();
    let sdist = p.pypi_attestations();
    let gitlab = p.gitlab_project();
    // Any spelling of the name finds the entry.
    p.write(
        "pyprov.toml",
        format!("{POLICY_DENY}[packages]\nPyPI_Attestations = {{ publisher = \"github:trailofbits/pypi-attestations/release.yml\" }}\ngitlab-oidc-project = {{ publisher = \"gitlab:facutuesca/gitlab-oidc-project//.gitlab-ci.yml\" }}\n"),
    );
    let out = p.verify(&[&sdist, &gitlab]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let json = out.json();
    assert_eq!(
        json["trust_file"].as_str().unwrap(),
        p.work_path("pyprov.toml").display().to_string()
    );
    assert_eq!(decision(&json, 0), dc("allow", "allowed"));
    assert_eq!(decision(&json, 1), dc("allow", "allowed"));
    snapshot!(p, "allowed_by_the_trust_file_json", out.stdout);
}

#[test]
fn a_file_name_spelled_differently_is_the_same_package() {
    let p = project();
    let name = "PyPI_Attestations-0.0.19.tar.gz";
    fs::copy(
        corpus().join("variants/uppercase-name").join(name),
        p.work_path(name),
    )
    .unwrap();
    fs::copy(
        corpus().join("pypi-attestations/pypi_attestations-0.0.19.tar.gz.publish.attestation"),
        p.work_path(format!("{name}.publish.attestation")),
    )
    .unwrap();
    p.write(
        "pyprov.toml",
        format!("{POLICY_DENY}[packages]\npypi-attestations = {{ publisher = \"github:trailofbits/pypi-attestations\" }}\n"),
    );
    let out = p.verify(&[name]);
    assert_eq!(decision(&out.json(), 0), dc("allow", "allowed"));
}

#[test]
fn another_publisher_is_denied_naming_who_signed() {
    let p = project();
    let sdist = p.pypi_attestations();
    p.write(
        "pyprov.toml",
        format!("{POLICY_DENY}[packages]\npypi-attestations = {{ publisher = \"github:pypa/pypi-attestations\" }}\n"),
    );
    let out = p.verify(&[&sdist]);
    assert_eq!(out.code, 1);
    let json = out.json();
    assert_eq!(decision(&json, 0), dc("deny", "publisher-changed"));
    assert_eq!(
        json["files"][0]["decision"]["message"],
        "expected github:pypa/pypi-attestations, signed by github:trailofbits/pypi-attestations, workflow release.yml at refs/tags/v0.0.19"
    );
    // The report shows the real signer.
    assert_eq!(
        json["files"][0]["publisher"],
        "github:trailofbits/pypi-attestations/release.yml"
    );
    assert_eq!(json["files"][0]["reason"]["code"], "identity-mismatch");
}

#[test]
fn the_issue_example_of_a_changed_publisher() {
    let p = project();
    let wheel = p.attested(
        "requests-2.99-py3-none-any.whl",
        Identity::github("evil/requests", "release.yml", "refs/tags/v2.99"),
    );
    p.write(
        "pyprov.toml",
        "[packages]\nrequests = { publisher = \"github:psf/requests\" }\n",
    );
    let out = p.run_pyprov(&[
        "verify",
        &wheel,
        "--trusted-root",
        p.trusted_root().to_str().unwrap(),
    ]);
    assert_eq!(out.code, 1);
    snapshot!(p, "publisher_changed_text", out.snapshot());
}

#[test]
fn every_publisher_kind_and_several_publishers() {
    let p = project();
    p.attested(
        "gcp_tool-1.0.tar.gz",
        Identity::google("release@acme.iam.gserviceaccount.com"),
    );
    p.attested(
        "internal_lib-2.0.tar.gz",
        Identity::gitlab(
            "acme/platform/internal-lib",
            ".gitlab-ci.yml",
            "refs/tags/v2.0",
        )
        .with_deployment_environment("release"),
    );
    p.attested(
        "moved-3.0.tar.gz",
        Identity::github("new-home/moved", "publish.yml", "refs/tags/v3.0"),
    );
    p.write(
        "pyprov.toml",
        format!(
            "{POLICY_DENY}[packages]\n\
gcp-tool      = {{ publisher = \"google:release@acme.iam.gserviceaccount.com\" }}\n\
internal-lib  = {{ publisher = \"gitlab:acme/platform/internal-lib//.gitlab-ci.yml\", environment = \"release\" }}\n\
moved = {{ publisher = [\"github:old-home/moved\", \"github:new-home/moved/publish.yml\"] }}\n"
        ),
    );
    let out = p.verify(&[
        "gcp_tool-1.0.tar.gz",
        "internal_lib-2.0.tar.gz",
        "moved-3.0.tar.gz",
    ]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let json = out.json();
    for i in 0..3 {
        assert_eq!(decision(&json, i), dc("allow", "allowed"), "file {i}");
    }
    assert_eq!(json["files"][1]["environment"], "proven");
}

#[test]
fn another_deployment_environment_is_denied() {
    let p = project();
    p.attested(
        "pkg-1.0.tar.gz",
        Identity::github("o/pkg", "release.yml", "refs/tags/v1.0")
            .with_deployment_environment("staging"),
    );
    p.write(
        "pyprov.toml",
        "[packages]\npkg = { publisher = \"github:o/pkg\", environment = \"pypi\" }\n",
    );
    let out = p.verify(&["pkg-1.0.tar.gz"]);
    assert_eq!(out.code, 1);
    let json = out.json();
    assert_eq!(decision(&json, 0), dc("deny", "environment-changed"));
    snapshot!(
        p,
        "environment_changed",
        pretty(&json["files"][0]["decision"])
    );
}

#[test]
fn invalid_provenance_is_denied_whatever_the_policy() {
    let p = project();
    let name = p.corpus_file(
        "negative/flipped-signature/pypi_attestations-0.0.19.tar.gz",
        &[".publish.attestation"],
    );
    // The most permissive file possible.
    p.write(
        "pyprov.toml",
        "[policy]\nunattested = \"allow\"\ntofu = true\n\n[packages]\npypi-attestations = { unattested = \"allow\" }\n",
    );
    let out = p.verify(&[&name]);
    assert_eq!(out.code, 1);
    let json = out.json();
    assert_eq!(decision(&json, 0), dc("deny", "provenance-invalid"));
    assert_eq!(json["files"][0]["decision"]["reason"], "signature-invalid");
    // And a broken attestation never teaches a pin.
    assert!(!p.read("pyprov.toml").contains("pinned"));

    // Provenance for another file is invalid too, not "unattested".
    let p = project();
    let name = p.corpus_file(
        "negative/tampered-statement/pypi_attestations-0.0.19.tar.gz",
        &[".publish.attestation"],
    );
    p.write(
        "pyprov.toml",
        "[packages]\npypi-attestations = { publisher = \"github:trailofbits/pypi-attestations\", unattested = \"allow\" }\n",
    );
    let out = p.verify(&[&name]);
    assert_eq!(decision(&out.json(), 0), dc("deny", "provenance-invalid"));
}

#[test]
fn unattested_files_follow_the_package_then_the_policy() {
    let p = project();
    let a = p.unattested("alpha-1.0-py3-none-any.whl");
    let b = p.unattested("beta-1.0.tar.gz");
    for (policy, expected) in [
        ("deny", dc("deny", "unattested-denied")),
        ("warn", dc("warn", "unattested-warned")),
        ("allow", dc("allow", "unattested-allowed")),
    ] {
        p.write(
            "pyprov.toml",
            format!("[policy]\nunattested = \"{policy}\"\n\n[packages]\nbeta = {{ unattested = \"allow\" }}\n"),
        );
        let out = p.verify(&[&a, &b]);
        let json = out.json();
        assert_eq!(decision(&json, 0), expected, "policy {policy}");
        assert_eq!(decision(&json, 1), dc("allow", "unattested-allowed"));
        assert_eq!(out.code, if policy == "allow" { 0 } else { 1 });
    }
    p.write(
        "pyprov.toml",
        "[policy]\nunattested = \"allow\"\n\n[packages]\nbeta = { unattested = \"deny\" }\n",
    );
    let json = p.verify(&[&a, &b]).json();
    assert_eq!(decision(&json, 0), dc("allow", "unattested-allowed"));
    assert_eq!(decision(&json, 1), dc("deny", "unattested-denied"));
    snapshot!(
        p,
        "unattested_denied",
        pretty(&json["files"][1]["decision"])
    );
}

#[test]
fn a_pinned_package_without_provenance_is_an_attestation_downgrade() {
    let p = project();
    // The next release of the real package arrives without provenance.
    let next = p.unattested("pypi_attestations-0.0.20.tar.gz");
    p.write(
        "pyprov.toml",
        "[policy]\nunattested = \"allow\"\n\n[packages]\npypi-attestations = { publisher = \"github:trailofbits/pypi-attestations/release.yml\", pinned = \"tofu 2025-01-01\" }\n",
    );
    let out = p.verify(&[&next]);
    assert_eq!(out.code, 1);
    let json = out.json();
    assert_eq!(decision(&json, 0), dc("deny", "attestation-downgrade"));
    snapshot!(
        p,
        "attestation_downgrade",
        pretty(&json["files"][0]["decision"])
    );

    // The package says its unattested files are fine: allowed.
    let out = p.run_pyprov(&["trust", "allow-unattested", "pypi-attestations"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = p.verify(&[&next]);
    assert_eq!(out.code, 0);
    assert_eq!(decision(&out.json(), 0), dc("allow", "unattested-allowed"));
}

#[test]
fn a_file_that_is_not_a_distribution_is_denied_under_a_trust_file() {
    let p = project();
    let name = p.unattested("notes.txt");
    p.write("pyprov.toml", "[policy]\nunattested = \"allow\"\n");
    let out = p.verify(&[&name]);
    assert_eq!(out.code, 1);
    assert_eq!(decision(&out.json(), 0), dc("deny", "not-a-distribution"));
}

#[test]
fn an_explicit_expectation_replaces_the_policy() {
    let p = project();
    let sdist = p.pypi_attestations();
    p.write(
        "pyprov.toml",
        "[packages]\npypi-attestations = { publisher = \"github:pypa/pypi-attestations\" }\n",
    );
    let out = p.verify(&[
        &sdist,
        "--publisher",
        "github:trailofbits/pypi-attestations/release.yml",
    ]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let json = out.json();
    assert_eq!(json["trust_file"], Value::Null);
    assert!(json["files"][0].get("decision").is_none());
    assert_eq!(json["files"][0]["verdict"], "pass");
}

// ---------------------------------------------------------------------------------------------
// Trust on first use and --locked
// ---------------------------------------------------------------------------------------------

const TOFU_FILE: &str = "# Reviewed in every pull request.
[policy]
unattested = \"deny\"   # nothing unattested
tofu = true           # learn publishers

[packages]
# Ours.
aaa = { unattested = \"allow\" }  # legacy
zzz = { publisher = \"github:acme/zzz\" }
";

#[test]
fn verify_pins_a_new_package_on_first_use_keeping_the_file_as_it_was() {
    let p = project();
    let sdist = p.pypi_attestations();
    let gitlab = p.gitlab_project();
    p.write("pyprov.toml", TOFU_FILE);
    let out = p.verify(&[&sdist, &gitlab]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let json = out.json();
    assert_eq!(decision(&json, 0), dc("allow", "pinned-on-first-use"));
    assert_eq!(decision(&json, 1), dc("allow", "pinned-on-first-use"));
    assert_eq!(
        p.read("pyprov.toml"),
        TOFU_FILE.replace(
            "zzz = ",
            &format!("gitlab-oidc-project = {{ publisher = \"gitlab:facutuesca/gitlab-oidc-project//.gitlab-ci.yml\", pinned = \"tofu {TODAY}\" }}\npypi-attestations = {{ publisher = \"github:trailofbits/pypi-attestations/release.yml\", pinned = \"tofu {TODAY}\" }}\nzzz = ")
        )
    );
    // Next time the pin is what the file is judged by.
    let out = p.verify(&[&sdist]);
    assert_eq!(decision(&out.json(), 0), dc("allow", "allowed"));
    let show = p.run_pyprov(&["trust", "show", "--format", "json"]).json();
    assert_eq!(
        show["packages"]["pypi-attestations"]["pinned"],
        format!("tofu {TODAY}")
    );
}

#[test]
fn a_pin_records_the_proven_environment_and_judges_later_files_of_the_same_run() {
    let p = project();
    p.attested(
        "pkg-1.0.tar.gz",
        Identity::github("o/pkg", "release.yml", "refs/tags/v1.0")
            .with_deployment_environment("pypi"),
    );
    p.attested(
        "pkg-1.0-py3-none-any.whl",
        Identity::github("mallory/pkg", "release.yml", "refs/tags/v1.0"),
    );
    p.write("pyprov.toml", "[policy]\ntofu = true\n");
    let out = p.verify(&["pkg-1.0.tar.gz", "pkg-1.0-py3-none-any.whl"]);
    assert_eq!(out.code, 1);
    let json = out.json();
    assert_eq!(decision(&json, 0), dc("allow", "pinned-on-first-use"));
    assert_eq!(decision(&json, 1), dc("deny", "publisher-changed"));
    assert_eq!(
        p.read("pyprov.toml"),
        format!("[policy]\ntofu = true\n\n[packages]\npkg = {{ publisher = \"github:o/pkg/release.yml\", environment = \"pypi\", pinned = \"tofu {TODAY}\" }}\n")
    );
}

#[test]
fn locked_runs_never_write_and_refuse_unknown_packages() {
    let p = project();
    let sdist = p.pypi_attestations();
    let unattested = p.unattested("aaa-1.0.tar.gz");
    p.write("pyprov.toml", TOFU_FILE);
    let check = |out: Run| {
        assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
        let json = out.json();
        assert_eq!(decision(&json, 0), dc("deny", "unknown-package"));
        // Unattested files are judged by the unattested setting, locked or not.
        assert_eq!(decision(&json, 1), dc("allow", "unattested-allowed"));
        // Locked by --locked, PYPROV_LOCKED or CI alike.
        snapshot!(
            p,
            "locked_unknown_package",
            pretty(&json["files"][0]["decision"])
        );
        assert_eq!(p.read("pyprov.toml"), TOFU_FILE);
    };
    check(p.verify(&[&sdist, &unattested, "--locked"]));
    let mut c = p.pyprov();
    c.env("PYPROV_LOCKED", "1")
        .args(["verify", &sdist, &unattested, "--format", "json"]);
    check(p.run(&mut c));
    let mut c = p.pyprov();
    c.env("CI", "true")
        .args(["verify", &sdist, &unattested, "--format", "json"]);
    check(p.run(&mut c));

    // Every command that writes refuses under --locked, and leaves no file behind.
    for (i, args) in [
        vec!["trust", "add", "x", "github:o/x", "--locked"],
        vec!["trust", "allow-unattested", "x", "--locked"],
        vec!["trust", "remove", "zzz", "--locked"],
        vec!["trust", "pin", &sdist, "--locked"],
    ]
    .into_iter()
    .enumerate()
    {
        let out = p.run_pyprov(&args);
        assert_eq!(out.code, 2, "{args:?}");
        snapshot!(p, format!("locked_write_refused_{i}"), out.snapshot());
        assert_eq!(p.read("pyprov.toml"), TOFU_FILE);
    }
    let mut c = p.pyprov();
    c.env("CI", "1").args(["trust", "add", "x", "github:o/x"]);
    assert_eq!(p.run(&mut c).code, 2);

    // CI can be overridden explicitly.
    let mut c = p.pyprov();
    c.env("CI", "true")
        .args(["verify", &sdist, "--locked=false", "--format", "json"]);
    let out = p.run(&mut c);
    assert_eq!(decision(&out.json(), 0), dc("allow", "pinned-on-first-use"));
    assert!(p.read("pyprov.toml").contains("pypi-attestations = "));
}

/// Locked with no trust file: every command that judges by the trust file (and the drop-in
/// pip) stops with exit 2 before pip is looked for or anything fetched, names where it looked
/// and how to make one. Nothing is installed, no index is asked (none runs here) and no file
/// is written.
#[test]
fn locked_without_a_trust_file_is_a_usage_error() {
    let p = project();
    let sdist = p.pypi_attestations();
    let sub = p.work_path("sub/dir");
    fs::create_dir_all(&sub).unwrap();
    /// (name, arguments, a variable that locks the run)
    type Case<'a> = (&'a str, Vec<&'a str>, Option<(&'a str, &'a str)>);
    let runs: Vec<Case> = vec![
        ("verify", vec!["verify", &sdist, "--locked"], None),
        ("install", vec!["install", "--locked", "alpha"], None),
        (
            "install_env",
            vec!["install", "alpha"],
            Some(("PYPROV_LOCKED", "1")),
        ),
        ("install_ci", vec!["install", "alpha"], Some(("CI", "true"))),
        (
            "install_json",
            vec!["install", "--locked", "--format", "json", "alpha"],
            None,
        ),
        (
            "download",
            vec!["download", "--locked", "-d", "out", "alpha"],
            None,
        ),
        ("lock", vec!["lock", "--locked", "alpha"], None),
        (
            "pip",
            vec!["pip", "install", "alpha"],
            Some(("PYPROV_LOCKED", "1")),
        ),
    ];
    for (name, args, env) in runs {
        let mut c = p.pyprov();
        c.args(&args);
        if let Some((k, v)) = env {
            c.env(k, v);
        }
        let out = p.run(&mut c);
        assert_eq!(out.code, 2, "{name}: {}", out.snapshot());
        assert!(
            out.stderr.contains("there is no trust file"),
            "{name}: {}",
            out.snapshot()
        );
        if name == "install_json" {
            // stdout is the error as one JSON document, and nothing else.
            let json = out.json();
            assert_eq!(json["error"]["code"], "no-trust-file", "{json:#}");
            assert_eq!(json["exit_code"], 2, "{json:#}");
        }
        if ["verify", "install", "install_ci", "install_json"].contains(&name) {
            snapshot!(
                p,
                format!("locked_without_trust_file_{name}"),
                out.snapshot()
            );
        }
    }
    // From a subdirectory it names the whole walk, up to the repository root.
    let mut c = p.pyprov();
    c.current_dir(&sub).args(["install", "--locked", "alpha"]);
    let out = p.run(&mut c);
    assert_eq!(out.code, 2);
    snapshot!(p, "locked_without_trust_file_subdir", out.snapshot());
    assert!(!p.work_path("pyprov.toml").exists());
    assert!(!p.work_path("out").exists());
    assert!(!p.work_path("pylock.toml").exists());
    // A trust file makes the same run go on (here: to the drop-in's missing pip, or the index).
    p.write("pyprov.toml", "[policy]\ntofu = true\n");
    let out = p.verify(&[&sdist, "--locked"]);
    assert_eq!(out.code, 1, "{}", out.snapshot());
    // --locked=false in CI runs unlocked, with the defaults.
    fs::remove_file(p.work_path("pyprov.toml")).unwrap();
    let mut c = p.pyprov();
    c.env("CI", "true")
        .args(["verify", &sdist, "--locked=false", "--format", "json"]);
    let out = p.run(&mut c);
    assert_ne!(out.code, 2, "{}", out.snapshot());
}

#[test]
fn without_tofu_an_unknown_package_is_a_warning_and_nothing_is_written() {
    let p = project();
    let sdist = p.pypi_attestations();
    let text = "[policy]\ntofu = false\n";
    p.write("pyprov.toml", text);
    let out = p.verify(&[&sdist]);
    let json = out.json();
    assert_eq!(decision(&json, 0), dc("warn", "unknown-package"));
    assert_eq!(out.code, 1);
    assert_eq!(p.read("pyprov.toml"), text);
}

// ---------------------------------------------------------------------------------------------
// The trust commands
// ---------------------------------------------------------------------------------------------

#[test]
fn trust_add_remove_and_allow_unattested_keep_comments_and_order() {
    let p = project();
    p.write("pyprov.toml", TOFU_FILE);
    let ok = |args: &[&str]| {
        let out = p.run_pyprov(args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        out.stdout
    };
    let said = [
        ok(&[
            "trust",
            "add",
            "Middle.Pkg",
            "github:acme/middle/release.yml",
            "--environment",
            "release",
        ]),
        ok(&["trust", "add", "zzz", "gitlab:acme/zzz"]),
        ok(&["trust", "allow-unattested", "bbb"]),
        ok(&["trust", "remove", "AAA"]),
    ];
    snapshot!(p, "trust_edits_said", said.concat());
    assert_eq!(
        p.read("pyprov.toml"),
        "# Reviewed in every pull request.
[policy]
unattested = \"deny\"   # nothing unattested
tofu = true           # learn publishers

[packages]
bbb = { unattested = \"allow\" }
middle-pkg = { publisher = \"github:acme/middle/release.yml\", environment = \"release\" }
zzz = { publisher = [\"github:acme/zzz\", \"gitlab:acme/zzz\"] }
"
    );
    // Bad input is a usage error and changes nothing.
    let before = p.read("pyprov.toml");
    for (i, args) in [
        vec!["trust", "add", "x", "github:nope"],
        vec!["trust", "add", "bad name", "github:o/x"],
        vec!["trust", "add", "x", "github:o/x", "--environment", " "],
        vec!["trust", "remove", "not-there"],
    ]
    .into_iter()
    .enumerate()
    {
        let out = p.run_pyprov(&args);
        assert_eq!(out.code, 2, "{args:?}");
        assert!(!out.stderr.is_empty());
        snapshot!(p, format!("trust_edit_usage_error_{i}"), out.snapshot());
    }
    assert_eq!(p.read("pyprov.toml"), before);
}

#[test]
fn trust_add_creates_the_file_when_there_is_none() {
    let p = project();
    fs::create_dir(p.work_path("sub")).unwrap();
    let mut c = p.pyprov();
    c.current_dir(p.work_path("sub")).args([
        "trust",
        "add",
        "sampleproject",
        "github:pypa/sampleproject/release.yml",
    ]);
    assert_eq!(p.run(&mut c).code, 0);
    let text = fs::read_to_string(p.work_path("sub/pyprov.toml")).unwrap();
    snapshot!(p, "created_trust_file", text);
    // Discovery from a directory below finds it.
    fs::create_dir(p.work_path("sub/deeper")).unwrap();
    let mut c = p.pyprov();
    c.current_dir(p.work_path("sub/deeper"))
        .args(["trust", "show", "--format", "json"]);
    let json = p.run(&mut c).json();
    assert_eq!(
        json["trust_file"].as_str().unwrap(),
        p.work_path("sub/pyprov.toml").display().to_string()
    );
}

#[test]
fn trust_show_prints_the_effective_policy_and_every_entry() {
    let p = project();
    let out = p.run_pyprov(&["trust", "show", "--format", "json"]);
    assert_eq!(out.code, 0);
    let json = out.json();
    assert_eq!(json["trust_file"], Value::Null);
    assert_eq!(json["policy"]["unattested"], "warn");
    assert_eq!(json["policy"]["tofu"], false);
    assert_eq!(json["packages"], serde_json::json!({}));
    snapshot!(p, "show_without_a_trust_file_json", out.stdout);
    let text = p.run_pyprov(&["trust", "show"]);
    snapshot!(p, "show_without_a_trust_file", text.snapshot());

    p.write(
        "pyprov.toml",
        "[policy]\nunattested = \"deny\"\ntofu = true\n\n[packages]\nsampleproject = { publisher = \"github:pypa/sampleproject/release.yml\" }\ninternal-lib  = { publisher = \"gitlab:acme/platform/internal-lib//.gitlab-ci.yml\", environment = \"release\" }\ngcp-tool      = { publisher = \"google:release@acme.iam.gserviceaccount.com\" }\npeppercorn    = { unattested = \"allow\" }   # old release, never attested\nlearned = { publisher = [\"github:a/learned\", \"github:b/learned\"], pinned = \"tofu 2025-06-01\" }\n",
    );
    let mut c = p.pyprov();
    c.env("PYPROV_LOCKED", "true")
        .args(["trust", "show", "--format", "json"]);
    let show = p.run(&mut c);
    let json = show.json();
    assert_eq!(
        json["policy"],
        serde_json::json!({"unattested": "deny", "tofu": true, "require-environment-proof": false, "locked": true})
    );
    let pk = &json["packages"];
    assert_eq!(
        pk["internal-lib"],
        serde_json::json!({
            "publisher": ["gitlab:acme/platform/internal-lib//.gitlab-ci.yml"],
            "environment": "release",
            "require-environment-proof": null,
            "unattested": null,
            "pinned": null,
            "line": 7,
        })
    );
    assert_eq!(pk["peppercorn"]["publisher"], serde_json::json!([]));
    assert_eq!(pk["peppercorn"]["unattested"], "allow");
    assert_eq!(pk["learned"]["publisher"].as_array().unwrap().len(), 2);
    assert_eq!(pk["learned"]["pinned"], "tofu 2025-06-01");
    let keys: Vec<&String> = pk.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "gcp-tool",
            "internal-lib",
            "learned",
            "peppercorn",
            "sampleproject"
        ]
    );

    snapshot!(p, "show_json", show.stdout);
    let text = p.run_pyprov(&["trust", "show"]);
    snapshot!(p, "show", text.snapshot());
}

#[test]
fn trust_pin_pins_each_package_to_its_proven_publisher() {
    let p = project();
    let sdist = p.pypi_attestations();
    let gitlab = p.gitlab_project();
    let out = p.run_pyprov(&["trust", "pin", &sdist, &gitlab]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    snapshot!(p, "pin", out.snapshot());
    let text = p.read("pyprov.toml");
    snapshot!(p, "pinned_trust_file", text);

    // Pinning again checks and changes nothing.
    let out = p.run_pyprov(&["trust", "pin", &sdist]);
    assert_eq!(out.code, 0);
    snapshot!(p, "pin_again", out.snapshot());
    assert_eq!(p.read("pyprov.toml"), text);

    // A package pinned elsewhere is not re-pinned: that is for a person to decide.
    let other =
        "[packages]\npypi-attestations = { publisher = \"github:pypa/pypi-attestations\" }\n";
    p.write("pyprov.toml", other);
    let out = p.run_pyprov(&["trust", "pin", &sdist]);
    assert_eq!(out.code, 1);
    snapshot!(p, "pin_pinned_elsewhere", out.snapshot());
    assert_eq!(p.read("pyprov.toml"), other);

    // Nothing to pin without provenance, or with broken provenance.
    let bare = p.unattested("bare-1.0.tar.gz");
    let broken = p.corpus_file(
        "negative/flipped-byte/pypi_attestations-0.0.19.tar.gz",
        &[".publish.attestation"],
    );
    fs::remove_file(p.work_path("pyprov.toml")).unwrap();
    let out = p.run_pyprov(&["trust", "pin", &bare, &broken]);
    assert_eq!(out.code, 1);
    snapshot!(p, "pin_nothing_to_pin", out.snapshot());
    assert!(!p.work_path("pyprov.toml").exists());
}

#[test]
fn trust_pin_with_signed_fixtures_records_the_environment() {
    let p = project();
    let wheel = p.attested(
        "internal_lib-2.0-py3-none-any.whl",
        Identity::gitlab(
            "acme/platform/internal-lib",
            "ci/release.yml",
            "refs/tags/v2.0",
        )
        .with_deployment_environment("release"),
    );
    let out = p.run_pyprov(&[
        "trust",
        "pin",
        &wheel,
        "--trusted-root",
        p.trusted_root().to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    snapshot!(p, "pinned_with_environment", p.read("pyprov.toml"));
}

// ---------------------------------------------------------------------------------------------
// Never lose the file
// ---------------------------------------------------------------------------------------------

#[test]
fn a_broken_trust_file_is_reported_with_line_and_column_and_left_untouched() {
    let p = project();
    let sdist = p.pypi_attestations();
    let broken: &[u8] = b"# ours\n[policy]\ntofu = true\n\n[packages]\nfoo = { publisher = \"github:o/foo\" \nbar = {}\n";
    p.write("pyprov.toml", broken);
    for (i, args) in [
        vec!["verify", sdist.as_str()],
        vec!["trust", "show"],
        vec!["trust", "add", "x", "github:o/x"],
        vec!["trust", "allow-unattested", "x"],
        vec!["trust", "remove", "foo"],
        vec!["trust", "pin", sdist.as_str()],
    ]
    .into_iter()
    .enumerate()
    {
        let out = p.run_pyprov(&args);
        assert_eq!(out.code, 2, "{args:?}: {}{}", out.stdout, out.stderr);
        snapshot!(p, format!("broken_trust_file_{i}"), out.snapshot());
        assert_eq!(
            fs::read(p.work_path("pyprov.toml")).unwrap(),
            broken,
            "{args:?}"
        );
    }
    // Valid TOML that is not a valid trust file is refused the same way.
    let bad_spec = b"[packages]\nfoo = { publisher = \"github:o\" }\n";
    p.write("pyprov.toml", bad_spec);
    let out = p.run_pyprov(&["trust", "add", "x", "github:o/x"]);
    assert_eq!(out.code, 2);
    snapshot!(p, "invalid_trust_file", out.snapshot());
    assert_eq!(fs::read(p.work_path("pyprov.toml")).unwrap(), bad_spec);
}

#[test]
fn a_named_trust_file_must_exist_and_the_environment_can_name_it() {
    let p = project();
    let sdist = p.pypi_attestations();
    let out = p.run_pyprov(&["verify", &sdist, "--trust-file", "missing.toml"]);
    assert_eq!(out.code, 2);
    snapshot!(p, "missing_named_trust_file", out.snapshot());

    fs::create_dir(p.work_path("policy")).unwrap();
    p.write(
        "policy/strict.toml",
        "[packages]\npypi-attestations = { publisher = \"github:pypa/pypi-attestations\" }\n",
    );
    let out = p.verify(&[&sdist, "--trust-file", "policy/strict.toml"]);
    assert_eq!(decision(&out.json(), 0), dc("deny", "publisher-changed"));
    let mut c = p.pyprov();
    c.env("PYPROV_TRUST_FILE", p.work_path("policy/strict.toml"))
        .args(["verify", &sdist, "--format", "json"]);
    let out = p.run(&mut c);
    assert_eq!(decision(&out.json(), 0), dc("deny", "publisher-changed"));
    // `trust add` writes to the named file too.
    let mut c = p.pyprov();
    c.env("PYPROV_TRUST_FILE", p.work_path("policy/strict.toml"))
        .args([
            "trust",
            "add",
            "pypi-attestations",
            "github:trailofbits/pypi-attestations",
        ]);
    assert_eq!(p.run(&mut c).code, 0);
    let out = p.verify(&[&sdist, "--trust-file", "policy/strict.toml"]);
    assert_eq!(decision(&out.json(), 0), dc("allow", "allowed"));
    assert!(!p.work_path("pyprov.toml").exists());
}

#[test]
fn concurrent_writers_lose_nothing() {
    let p = project();
    p.write("pyprov.toml", TOFU_FILE);
    let children: Vec<_> = (0..8)
        .map(|i| {
            let mut c = p.pyprov();
            c.args([
                "trust",
                "add",
                &format!("pkg{i}"),
                &format!("github:acme/pkg{i}"),
            ])
            .stdout(std::process::Stdio::null());
            c.spawn().unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let text = p.read("pyprov.toml");
    for i in 0..8 {
        assert!(
            text.contains(&format!(
                "pkg{i} = {{ publisher = \"github:acme/pkg{i}\" }}"
            )),
            "pkg{i} lost:\n{text}"
        );
    }
    assert!(text.starts_with("# Reviewed in every pull request.\n"));
    let json = p.run_pyprov(&["trust", "show", "--format", "json"]).json();
    assert_eq!(json["packages"].as_object().unwrap().len(), 10);
}

#[test]
fn concurrent_pins_on_first_use_lose_nothing() {
    let p = project();
    let names: Vec<String> = (0..8)
        .map(|i| {
            p.attested(
                &format!("pkg{i}-1.0.tar.gz"),
                Identity::github(&format!("acme/pkg{i}"), "release.yml", "refs/tags/v1.0"),
            )
        })
        .collect();
    p.write("pyprov.toml", "[policy]\ntofu = true\n");
    let children: Vec<_> = names
        .iter()
        .map(|name| {
            let mut c = p.pyprov();
            c.arg("verify")
                .arg(name)
                .arg("--trusted-root")
                .arg(p.trusted_root())
                .stdout(std::process::Stdio::null());
            c.spawn().unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let text = p.read("pyprov.toml");
    for i in 0..8 {
        assert!(
            text.contains(&format!(
                "pkg{i} = {{ publisher = \"github:acme/pkg{i}/release.yml\", pinned = \"tofu {TODAY}\" }}"
            )),
            "pkg{i} lost:\n{text}"
        );
    }
    // Nothing but the file and its lock is left beside it.
    let mut leftovers: Vec<String> = fs::read_dir(&p.work)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("pyprov.toml"))
        .collect();
    leftovers.sort();
    assert_eq!(leftovers, [".pyprov.toml.lock", "pyprov.toml"]);
}

// ---------------------------------------------------------------------------------------------
// An environment the certificate cannot prove
// ---------------------------------------------------------------------------------------------

/// `pkg-1.0.tar.gz` signed by github:o/pkg/release.yml with no Deployment Environment claim.
fn unproven_environment(p: &TestContext) -> String {
    p.attested(
        "pkg-1.0.tar.gz",
        Identity::github("o/pkg", "release.yml", "refs/tags/v1.0"),
    )
}

#[test]
fn an_environment_the_certificate_cannot_prove_is_a_warning_with_its_own_code() {
    let p = project();
    let sdist = unproven_environment(&p);
    p.write(
        "pyprov.toml",
        "[packages]\npkg = { publisher = \"github:o/pkg\", environment = \"pypi\" }\n",
    );
    let out = p.verify(&[&sdist]);
    // A warning: `verify` fails on it, as on every warning.
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let json = out.json();
    assert_eq!(decision(&json, 0), dc("warn", "environment-unproven"));
    assert_eq!(json["files"][0]["environment"], "unproven");

    let text = p.run_pyprov(&[
        "verify",
        &sdist,
        "--trusted-root",
        p.trusted_root().to_str().unwrap(),
    ]);
    let file = p.work_path("pyprov.toml").display().to_string();
    assert_eq!(
        text.stdout,
        format!(
            "trust file: {file} (unattested = warn, tofu = false)\n\
WARN  pkg-1.0.tar.gz: built by github:o/pkg/release.yml at refs/tags/v1.0 (4f0c3d8b2a9e), which {file}:2 allows, but the certificate records no deployment environment, so environment pypi is not proven [environment-unproven]\n      \
fix: to refuse such files, set require-environment-proof = true in the [policy] of {file} (or on the entry at {file}:2)\n"
        )
    );
}

#[test]
fn require_environment_proof_refuses_what_the_certificate_cannot_prove() {
    let p = project();
    let sdist = unproven_environment(&p);
    p.write(
        "pyprov.toml",
        "[policy]\nrequire-environment-proof = true\n\n[packages]\npkg = { publisher = \"github:o/pkg\", environment = \"pypi\" }\n",
    );
    let out = p.verify(&[&sdist]);
    assert_eq!(out.code, 1);
    let json = out.json();
    assert_eq!(decision(&json, 0), dc("deny", "environment-unproven"));
    snapshot!(
        p,
        "environment_proof_required",
        pretty(&json["files"][0]["decision"])
    );
    let show = p.run_pyprov(&["trust", "show"]);
    snapshot!(p, "show_environment_proof_required", show.snapshot());

    // Per package, both ways.
    p.write(
        "pyprov.toml",
        "[policy]\nrequire-environment-proof = true\n\n[packages]\npkg = { publisher = \"github:o/pkg\", environment = \"pypi\", require-environment-proof = false }\n",
    );
    assert_eq!(
        decision(&p.verify(&[&sdist]).json(), 0),
        dc("warn", "environment-unproven")
    );
    p.write(
        "pyprov.toml",
        "[packages]\npkg = { publisher = \"github:o/pkg\", environment = \"pypi\", require-environment-proof = true }\n",
    );
    let json = p.verify(&[&sdist]).json();
    assert_eq!(decision(&json, 0), dc("deny", "environment-unproven"));
    assert_eq!(
        p.run_pyprov(&["trust", "show", "--format", "json"]).json()["packages"]["pkg"]
            ["require-environment-proof"],
        true
    );
}

// ---------------------------------------------------------------------------------------------
// Discovery stops at the repository root and at the home directory
// ---------------------------------------------------------------------------------------------

#[test]
fn a_trust_file_above_the_home_directory_or_the_repository_is_not_used() {
    let p = project();
    let sdist = p.pypi_attestations();
    let strict =
        "[packages]\npypi-attestations = { publisher = \"github:pypa/pypi-attestations\" }\n";
    // TEMP/pyprov.toml above TEMP/home, the home directory; the project has no .git.
    fs::remove_dir(p.work_path(".git")).unwrap();
    p.write("pyprov.toml", strict);
    let project = p.work_path("home/project/sub");
    fs::create_dir_all(&project).unwrap();
    fs::copy(p.work_path(&sdist), project.join(&sdist)).unwrap();
    fs::copy(
        p.work_path(format!("{sdist}.provenance")),
        project.join(format!("{sdist}.provenance")),
    )
    .unwrap();
    let verify = |home: &Path, dir: &Path| {
        let mut c = p.pyprov();
        c.current_dir(dir)
            .env("HOME", home)
            .args(["verify", &sdist]);
        p.run(&mut c)
    };
    let out = verify(&p.work_path("home"), &project);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    snapshot!(p, "discovery_stops_at_home", out.snapshot());

    // The home directory's own file is used, and the output names it on its first line.
    p.write("home/pyprov.toml", strict);
    let out = verify(&p.work_path("home"), &project);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stdout.lines().next(),
        Some(format!(
            "trust file: {} (unattested = warn, tofu = false)",
            p.work_path("home/pyprov.toml").display()
        ))
        .as_deref()
    );
    let mut c = p.pyprov();
    c.current_dir(&project)
        .env("HOME", p.work_path("home"))
        .args(["verify", &sdist, "--format", "json"]);
    let json = p.run(&mut c).json();
    assert_eq!(
        json["trust_file"],
        p.work_path("home/pyprov.toml").display().to_string()
    );
    assert_eq!(decision(&json, 0), dc("deny", "publisher-changed"));

    // A repository (here a worktree, whose .git is a file) below the home directory: the walk
    // stops at its root.
    fs::write(
        p.work_path("home/project/.git"),
        "gitdir: /elsewhere/.git/worktrees/project\n",
    )
    .unwrap();
    let out = verify(&p.work_path("home"), &project);
    assert_eq!(out.code, 0, "{}", out.stdout);
    snapshot!(p, "discovery_stops_at_a_worktree", out.snapshot());
}
