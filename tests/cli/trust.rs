//! The trust file through the CLI: the decision table case by case on real files from
//! `../shared/corpus` (copied into a temporary project at test time) and on files signed by the
//! project's own throwaway Sigstore; the `trust` commands; comments and order surviving edits;
//! broken files; concurrent writers; `--locked`.

use crate::support::pki;
use std::fs;
use std::path::{Path, PathBuf};

use crate::support::pki::{Identity, Signing, TestPki};
use assert_cmd::Command;
use serde_json::Value;

/// 2025-06-01T12:00:00Z, so pin markers are predictable.
const EPOCH: &str = "1748779200";
const TODAY: &str = "2025-06-01";

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/files")
}

/// A temporary project directory. It is a repository root (it has `.git`), so trust-file
/// discovery never looks above it.
struct Project {
    dir: tempfile::TempDir,
    root: PathBuf,
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }
}

impl Project {
    fn new() -> Project {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join(".git")).unwrap();
        let root = dir.path().join("trusted_root.json");
        Project { dir, root }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(rel);
        fs::write(&p, contents).unwrap();
        p
    }

    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path(rel)).unwrap()
    }

    /// pyprov in the project directory, with none of the caller's trust settings (CI sets
    /// `CI=true`, which would lock every run).
    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("pyprov").unwrap();
        c.current_dir(self.dir.path())
            .env_remove("CI")
            .env_remove("PYPROV_LOCKED")
            .env_remove("PYPROV_TRUST_FILE")
            .env("SOURCE_DATE_EPOCH", EPOCH);
        c
    }

    fn run(&self, args: &[&str]) -> Out {
        run(self.cmd().args(args))
    }

    /// `verify --format json` on files in the project.
    fn verify(&self, args: &[&str]) -> Out {
        let mut c = self.cmd();
        c.arg("verify").args(args).args(["--format", "json"]);
        if self.root.exists() {
            c.arg("--trusted-root").arg(&self.root);
        }
        run(&mut c)
    }

    /// Copies a corpus file and the named sidecars into the project.
    fn corpus_file(&self, rel: &str, sidecars: &[&str]) -> String {
        let src = corpus().join(rel);
        let name = src.file_name().unwrap().to_string_lossy().into_owned();
        fs::copy(&src, self.path(&name)).unwrap();
        for s in sidecars {
            let mut from = src.clone().into_os_string();
            from.push(s);
            fs::copy(&from, self.path(&format!("{name}{s}"))).unwrap();
        }
        name
    }

    /// The real pypi-attestations 0.0.19 sdist (GitHub trailofbits/pypi-attestations,
    /// release.yml, refs/tags/v0.0.19) with its PEP 740 provenance object.
    fn pypi_attestations(&self) -> String {
        self.corpus_file(
            "pypi-attestations/pypi_attestations-0.0.19.tar.gz",
            &[".provenance"],
        )
    }

    /// The real gitlab-oidc-project 0.0.3 sdist (GitLab facutuesca/gitlab-oidc-project,
    /// .gitlab-ci.yml) with its attestation.
    fn gitlab_project(&self) -> String {
        self.corpus_file(
            "pypi-attestations/gitlab_oidc_project-0.0.3.tar.gz",
            &[".publish.attestation"],
        )
    }

    /// A distribution file with no provenance at all.
    fn unattested(&self, name: &str) -> String {
        self.write(name, format!("unattested {name}"));
        name.to_string()
    }
}

fn run(c: &mut Command) -> Out {
    let o = c.output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// Signs files with a throwaway Sigstore whose trusted root is written into the project.
struct Signer {
    pki: TestPki,
}

impl Signer {
    fn new(p: &Project) -> Signer {
        let pki = TestPki::new();
        fs::write(&p.root, pki.trusted_root_json()).unwrap();
        Signer { pki }
    }

    /// Writes `name` with an attestation sidecar signed by `identity`.
    fn attested(&self, p: &Project, name: &str, identity: Identity) -> String {
        let contents = format!("contents of {name}");
        p.write(name, &contents);
        let signing = Signing::new(identity, self.statement(name, &contents));
        p.write(
            &format!("{name}.publish.attestation"),
            self.pki.pep740_attestation(&signing),
        );
        name.to_string()
    }

    /// Writes `name` with a PEP 740 provenance object whose publisher block is `publisher`.
    fn with_provenance(&self, p: &Project, name: &str, identity: Identity, publisher: Value) {
        let contents = format!("contents of {name}");
        p.write(name, &contents);
        let signing = Signing::new(identity, self.statement(name, &contents));
        let att = self.pki.pep740_attestation(&signing);
        p.write(
            &format!("{name}.provenance"),
            pki::provenance(&[(publisher, vec![att])]),
        );
    }

    fn statement(&self, name: &str, contents: &str) -> Vec<u8> {
        pki::statement(
            name,
            &pki::sha256_hex(contents.as_bytes()),
            pki::PUBLISH_PREDICATE_V1,
            Value::Null,
        )
    }
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
    let p = Project::new();
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

    let text = p.run(&["verify", &sdist]);
    assert_eq!(text.code, 0);
    assert!(
        text.stdout.starts_with("no trust file used"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("ALLOW pypi_attestations-0.0.19.tar.gz: built by github:trailofbits/pypi-attestations/release.yml at refs/tags/v0.0.19"), "{}", text.stdout);
    // Nothing was written.
    assert!(!p.path("pyprov.toml").exists());
}

#[test]
fn without_a_trust_file_unattested_files_are_warned_about() {
    let p = Project::new();
    let wheel = p.unattested("foo-1.0-py3-none-any.whl");
    let out = p.verify(&[&wheel]);
    let json = out.json();
    assert_eq!(decision(&json, 0), dc("warn", "unattested-warned"));
    assert_eq!(json["files"][0]["reason"]["code"], "no-provenance");
    // `verify` passes only when every file is allowed.
    assert_eq!(out.code, 1);
    let text = p.run(&["verify", &wheel]);
    assert!(
        text.stdout.contains(
            "WARN  foo-1.0-py3-none-any.whl: no provenance: nothing proves who built this file"
        ),
        "{}",
        text.stdout
    );
    assert!(text
        .stdout
        .contains("fix: run `pyprov trust allow-unattested foo`"));
}

#[test]
fn without_a_trust_file_the_index_publisher_must_match_the_certificate() {
    let p = Project::new();
    let s = Signer::new(&p);
    let id = Identity::github("acme/widget", "release.yml", "refs/tags/v1.0");
    s.with_provenance(
        &p,
        "widget-1.0-py3-none-any.whl",
        id.clone(),
        pki::github_publisher("acme/widget", "release.yml", None),
    );
    let out = p.verify(&["widget-1.0-py3-none-any.whl"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(decision(&out.json(), 0), dc("allow", "allowed"));

    s.with_provenance(
        &p,
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
    let p = Project::new();
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
        p.path("pyprov.toml").display().to_string()
    );
    assert_eq!(decision(&json, 0), dc("allow", "allowed"));
    assert_eq!(decision(&json, 1), dc("allow", "allowed"));
    assert!(json["files"][0]["decision"]["message"]
        .as_str()
        .unwrap()
        .contains("pyprov.toml:6"));
}

#[test]
fn a_file_name_spelled_differently_is_the_same_package() {
    let p = Project::new();
    let name = "PyPI_Attestations-0.0.19.tar.gz";
    fs::copy(
        corpus().join("variants/uppercase-name").join(name),
        p.path(name),
    )
    .unwrap();
    fs::copy(
        corpus().join("pypi-attestations/pypi_attestations-0.0.19.tar.gz.publish.attestation"),
        p.path(&format!("{name}.publish.attestation")),
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
    let p = Project::new();
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
    let p = Project::new();
    let s = Signer::new(&p);
    let wheel = s.attested(
        &p,
        "requests-2.99-py3-none-any.whl",
        Identity::github("evil/requests", "release.yml", "refs/tags/v2.99"),
    );
    p.write(
        "pyprov.toml",
        "[packages]\nrequests = { publisher = \"github:psf/requests\" }\n",
    );
    let out = p.run(&["verify", &wheel, "--trusted-root", p.root.to_str().unwrap()]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains(
        "DENY  requests-2.99-py3-none-any.whl: expected github:psf/requests, signed by github:evil/requests, workflow release.yml at refs/tags/v2.99 [publisher-changed]\n      fix: do not install this file. If requests really moved to github:evil/requests/release.yml, vouch for it with `pyprov trust add requests github:evil/requests/release.yml`"
    ), "{}", out.stdout);
}

#[test]
fn every_publisher_kind_and_several_publishers() {
    let p = Project::new();
    let s = Signer::new(&p);
    s.attested(
        &p,
        "gcp_tool-1.0.tar.gz",
        Identity::google("release@acme.iam.gserviceaccount.com"),
    );
    s.attested(
        &p,
        "internal_lib-2.0.tar.gz",
        Identity::gitlab(
            "acme/platform/internal-lib",
            ".gitlab-ci.yml",
            "refs/tags/v2.0",
        )
        .with_deployment_environment("release"),
    );
    s.attested(
        &p,
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
    let p = Project::new();
    let s = Signer::new(&p);
    s.attested(
        &p,
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
    assert!(json["files"][0]["decision"]["message"]
        .as_str()
        .unwrap()
        .contains("environment staging"));
}

#[test]
fn invalid_provenance_is_denied_whatever_the_policy() {
    let p = Project::new();
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
    let p = Project::new();
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
    let p = Project::new();
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
    assert!(json["files"][1]["decision"]["fix"]
        .as_str()
        .unwrap()
        .contains("`pyprov trust allow-unattested beta`"));
}

#[test]
fn a_pinned_package_without_provenance_is_an_attestation_downgrade() {
    let p = Project::new();
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
    assert!(json["files"][0]["decision"]["fix"]
        .as_str()
        .unwrap()
        .contains("`pyprov trust allow-unattested pypi-attestations`"));

    // The package says its unattested files are fine: allowed.
    let out = p.run(&["trust", "allow-unattested", "pypi-attestations"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = p.verify(&[&next]);
    assert_eq!(out.code, 0);
    assert_eq!(decision(&out.json(), 0), dc("allow", "unattested-allowed"));
}

#[test]
fn a_file_that_is_not_a_distribution_is_denied_under_a_trust_file() {
    let p = Project::new();
    let name = p.unattested("notes.txt");
    p.write("pyprov.toml", "[policy]\nunattested = \"allow\"\n");
    let out = p.verify(&[&name]);
    assert_eq!(out.code, 1);
    assert_eq!(decision(&out.json(), 0), dc("deny", "not-a-distribution"));
}

#[test]
fn an_explicit_expectation_replaces_the_policy() {
    let p = Project::new();
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
    let p = Project::new();
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
    let show = p.run(&["trust", "show", "--format", "json"]).json();
    assert_eq!(
        show["packages"]["pypi-attestations"]["pinned"],
        format!("tofu {TODAY}")
    );
}

#[test]
fn a_pin_records_the_proven_environment_and_judges_later_files_of_the_same_run() {
    let p = Project::new();
    let s = Signer::new(&p);
    s.attested(
        &p,
        "pkg-1.0.tar.gz",
        Identity::github("o/pkg", "release.yml", "refs/tags/v1.0")
            .with_deployment_environment("pypi"),
    );
    s.attested(
        &p,
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
    let p = Project::new();
    let sdist = p.pypi_attestations();
    let unattested = p.unattested("aaa-1.0.tar.gz");
    p.write("pyprov.toml", TOFU_FILE);
    let check = |out: Out| {
        assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
        let json = out.json();
        assert_eq!(decision(&json, 0), dc("deny", "unknown-package"));
        // Unattested files are judged by the unattested setting, locked or not.
        assert_eq!(decision(&json, 1), dc("allow", "unattested-allowed"));
        assert!(json["files"][0]["decision"]["fix"]
            .as_str()
            .unwrap()
            .contains(
            "pyprov trust add pypi-attestations github:trailofbits/pypi-attestations/release.yml"
        ));
        assert_eq!(p.read("pyprov.toml"), TOFU_FILE);
    };
    check(p.verify(&[&sdist, &unattested, "--locked"]));
    let mut c = p.cmd();
    c.env("PYPROV_LOCKED", "1")
        .args(["verify", &sdist, &unattested, "--format", "json"]);
    check(run(&mut c));
    let mut c = p.cmd();
    c.env("CI", "true")
        .args(["verify", &sdist, &unattested, "--format", "json"]);
    check(run(&mut c));

    // Every command that writes refuses under --locked, and leaves no file behind.
    for args in [
        vec!["trust", "add", "x", "github:o/x", "--locked"],
        vec!["trust", "allow-unattested", "x", "--locked"],
        vec!["trust", "remove", "zzz", "--locked"],
        vec!["trust", "pin", &sdist, "--locked"],
    ] {
        let out = p.run(&args);
        assert_eq!(out.code, 2, "{args:?}");
        assert!(out.stderr.contains("--locked"), "{}", out.stderr);
        assert_eq!(p.read("pyprov.toml"), TOFU_FILE);
    }
    let mut c = p.cmd();
    c.env("CI", "1").args(["trust", "add", "x", "github:o/x"]);
    assert_eq!(run(&mut c).code, 2);

    // CI can be overridden explicitly.
    let mut c = p.cmd();
    c.env("CI", "true")
        .args(["verify", &sdist, "--locked=false", "--format", "json"]);
    let out = run(&mut c);
    assert_eq!(decision(&out.json(), 0), dc("allow", "pinned-on-first-use"));
    assert!(p.read("pyprov.toml").contains("pypi-attestations = "));
}

#[test]
fn without_tofu_an_unknown_package_is_a_warning_and_nothing_is_written() {
    let p = Project::new();
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
    let p = Project::new();
    p.write("pyprov.toml", TOFU_FILE);
    let ok = |args: &[&str]| {
        let out = p.run(args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        out.stdout
    };
    let said = ok(&[
        "trust",
        "add",
        "Middle.Pkg",
        "github:acme/middle/release.yml",
        "--environment",
        "release",
    ]);
    assert!(
        said.contains("middle-pkg publisher github:acme/middle/release.yml, environment release"),
        "{said}"
    );
    ok(&["trust", "add", "zzz", "gitlab:acme/zzz"]);
    ok(&["trust", "allow-unattested", "bbb"]);
    ok(&["trust", "remove", "AAA"]);
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
    for args in [
        vec!["trust", "add", "x", "github:nope"],
        vec!["trust", "add", "bad name", "github:o/x"],
        vec!["trust", "add", "x", "github:o/x", "--environment", " "],
        vec!["trust", "remove", "not-there"],
    ] {
        let out = p.run(&args);
        assert_eq!(out.code, 2, "{args:?}");
        assert!(!out.stderr.is_empty());
    }
    assert_eq!(p.read("pyprov.toml"), before);
}

#[test]
fn trust_add_creates_the_file_when_there_is_none() {
    let p = Project::new();
    fs::create_dir(p.path("sub")).unwrap();
    let mut c = p.cmd();
    c.current_dir(p.path("sub")).args([
        "trust",
        "add",
        "sampleproject",
        "github:pypa/sampleproject/release.yml",
    ]);
    assert_eq!(run(&mut c).code, 0);
    let text = fs::read_to_string(p.path("sub/pyprov.toml")).unwrap();
    assert!(text.starts_with("# pyprov trust file"), "{text}");
    assert!(text.ends_with(
        "[packages]\nsampleproject = { publisher = \"github:pypa/sampleproject/release.yml\" }\n"
    ));
    // Discovery from a directory below finds it.
    fs::create_dir(p.path("sub/deeper")).unwrap();
    let mut c = p.cmd();
    c.current_dir(p.path("sub/deeper"))
        .args(["trust", "show", "--format", "json"]);
    let json = run(&mut c).json();
    assert_eq!(
        json["trust_file"].as_str().unwrap(),
        p.path("sub/pyprov.toml").display().to_string()
    );
}

#[test]
fn trust_show_prints_the_effective_policy_and_every_entry() {
    let p = Project::new();
    let out = p.run(&["trust", "show", "--format", "json"]);
    assert_eq!(out.code, 0);
    let json = out.json();
    assert_eq!(json["trust_file"], Value::Null);
    assert_eq!(json["policy"]["unattested"], "warn");
    assert_eq!(json["policy"]["tofu"], false);
    assert_eq!(json["packages"], serde_json::json!({}));
    let text = p.run(&["trust", "show"]);
    assert!(
        text.stdout.starts_with("no trust file used"),
        "{}",
        text.stdout
    );

    p.write(
        "pyprov.toml",
        "[policy]\nunattested = \"deny\"\ntofu = true\n\n[packages]\nsampleproject = { publisher = \"github:pypa/sampleproject/release.yml\" }\ninternal-lib  = { publisher = \"gitlab:acme/platform/internal-lib//.gitlab-ci.yml\", environment = \"release\" }\ngcp-tool      = { publisher = \"google:release@acme.iam.gserviceaccount.com\" }\npeppercorn    = { unattested = \"allow\" }   # old release, never attested\nlearned = { publisher = [\"github:a/learned\", \"github:b/learned\"], pinned = \"tofu 2025-06-01\" }\n",
    );
    let mut c = p.cmd();
    c.env("PYPROV_LOCKED", "true")
        .args(["trust", "show", "--format", "json"]);
    let json = run(&mut c).json();
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

    let text = p.run(&["trust", "show"]).stdout;
    assert!(
        text.starts_with(&format!(
            "trust file: {} (unattested = deny, tofu = true)",
            p.path("pyprov.toml").display()
        )),
        "{text}"
    );
    assert!(text.contains("peppercorn unattested allow"), "{text}");
}

#[test]
fn trust_pin_pins_each_package_to_its_proven_publisher() {
    let p = Project::new();
    let sdist = p.pypi_attestations();
    let gitlab = p.gitlab_project();
    let out = p.run(&["trust", "pin", &sdist, &gitlab]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(
            "PINNED pypi-attestations to github:trailofbits/pypi-attestations/release.yml"
        ),
        "{}",
        out.stdout
    );
    let text = p.read("pyprov.toml");
    assert!(text.ends_with(&format!("[packages]\ngitlab-oidc-project = {{ publisher = \"gitlab:facutuesca/gitlab-oidc-project//.gitlab-ci.yml\", pinned = \"tofu {TODAY}\" }}\npypi-attestations = {{ publisher = \"github:trailofbits/pypi-attestations/release.yml\", pinned = \"tofu {TODAY}\" }}\n")), "{text}");

    // Pinning again checks and changes nothing.
    let out = p.run(&["trust", "pin", &sdist]);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.contains("ALREADY PINNED pypi-attestations"),
        "{}",
        out.stdout
    );
    assert_eq!(p.read("pyprov.toml"), text);

    // A package pinned elsewhere is not re-pinned: that is for a person to decide.
    let other =
        "[packages]\npypi-attestations = { publisher = \"github:pypa/pypi-attestations\" }\n";
    p.write("pyprov.toml", other);
    let out = p.run(&["trust", "pin", &sdist]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("[publisher-changed]"), "{}", out.stdout);
    assert_eq!(p.read("pyprov.toml"), other);

    // Nothing to pin without provenance, or with broken provenance.
    let bare = p.unattested("bare-1.0.tar.gz");
    let broken = p.corpus_file(
        "negative/flipped-byte/pypi_attestations-0.0.19.tar.gz",
        &[".publish.attestation"],
    );
    fs::remove_file(p.path("pyprov.toml")).unwrap();
    let out = p.run(&["trust", "pin", &bare, &broken]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("[no-provenance]"), "{}", out.stdout);
    assert!(
        out.stdout.contains("[provenance-invalid]"),
        "{}",
        out.stdout
    );
    assert!(!p.path("pyprov.toml").exists());
}

#[test]
fn trust_pin_with_signed_fixtures_records_the_environment() {
    let p = Project::new();
    let s = Signer::new(&p);
    let wheel = s.attested(
        &p,
        "internal_lib-2.0-py3-none-any.whl",
        Identity::gitlab(
            "acme/platform/internal-lib",
            "ci/release.yml",
            "refs/tags/v2.0",
        )
        .with_deployment_environment("release"),
    );
    let out = p.run(&[
        "trust",
        "pin",
        &wheel,
        "--trusted-root",
        p.root.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(p.read("pyprov.toml").contains(&format!(
        "internal-lib = {{ publisher = \"gitlab:acme/platform/internal-lib//ci/release.yml\", environment = \"release\", pinned = \"tofu {TODAY}\" }}"
    )));
}

// ---------------------------------------------------------------------------------------------
// Never lose the file
// ---------------------------------------------------------------------------------------------

#[test]
fn a_broken_trust_file_is_reported_with_line_and_column_and_left_untouched() {
    let p = Project::new();
    let sdist = p.pypi_attestations();
    let broken: &[u8] = b"# ours\n[policy]\ntofu = true\n\n[packages]\nfoo = { publisher = \"github:o/foo\" \nbar = {}\n";
    p.write("pyprov.toml", broken);
    for args in [
        vec!["verify", sdist.as_str()],
        vec!["trust", "show"],
        vec!["trust", "add", "x", "github:o/x"],
        vec!["trust", "allow-unattested", "x"],
        vec!["trust", "remove", "foo"],
        vec!["trust", "pin", sdist.as_str()],
    ] {
        let out = p.run(&args);
        assert_eq!(out.code, 2, "{args:?}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains("pyprov.toml:7:1: "),
            "{args:?}: {}",
            out.stderr
        );
        assert!(out.stderr.contains("7 | bar = {}"), "{}", out.stderr);
        assert_eq!(fs::read(p.path("pyprov.toml")).unwrap(), broken, "{args:?}");
    }
    // Valid TOML that is not a valid trust file is refused the same way.
    let bad_spec = b"[packages]\nfoo = { publisher = \"github:o\" }\n";
    p.write("pyprov.toml", bad_spec);
    let out = p.run(&["trust", "add", "x", "github:o/x"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("pyprov.toml:2:21: invalid publisher `github:o`"),
        "{}",
        out.stderr
    );
    assert_eq!(fs::read(p.path("pyprov.toml")).unwrap(), bad_spec);
}

#[test]
fn a_named_trust_file_must_exist_and_the_environment_can_name_it() {
    let p = Project::new();
    let sdist = p.pypi_attestations();
    let out = p.run(&["verify", &sdist, "--trust-file", "missing.toml"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("missing.toml does not exist"),
        "{}",
        out.stderr
    );

    fs::create_dir(p.path("policy")).unwrap();
    p.write(
        "policy/strict.toml",
        "[packages]\npypi-attestations = { publisher = \"github:pypa/pypi-attestations\" }\n",
    );
    let out = p.verify(&[&sdist, "--trust-file", "policy/strict.toml"]);
    assert_eq!(decision(&out.json(), 0), dc("deny", "publisher-changed"));
    let mut c = p.cmd();
    c.env("PYPROV_TRUST_FILE", p.path("policy/strict.toml"))
        .args(["verify", &sdist, "--format", "json"]);
    let out = run(&mut c);
    assert_eq!(decision(&out.json(), 0), dc("deny", "publisher-changed"));
    // `trust add` writes to the named file too.
    let mut c = p.cmd();
    c.env("PYPROV_TRUST_FILE", p.path("policy/strict.toml"))
        .args([
            "trust",
            "add",
            "pypi-attestations",
            "github:trailofbits/pypi-attestations",
        ]);
    assert_eq!(run(&mut c).code, 0);
    let out = p.verify(&[&sdist, "--trust-file", "policy/strict.toml"]);
    assert_eq!(decision(&out.json(), 0), dc("allow", "allowed"));
    assert!(!p.path("pyprov.toml").exists());
}

#[test]
fn concurrent_writers_lose_nothing() {
    let p = Project::new();
    p.write("pyprov.toml", TOFU_FILE);
    let children: Vec<_> = (0..8)
        .map(|i| {
            let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("pyprov"));
            c.current_dir(p.dir.path())
                .env_remove("CI")
                .env_remove("PYPROV_LOCKED")
                .env_remove("PYPROV_TRUST_FILE")
                .args([
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
    let json = p.run(&["trust", "show", "--format", "json"]).json();
    assert_eq!(json["packages"].as_object().unwrap().len(), 10);
}

#[test]
fn concurrent_pins_on_first_use_lose_nothing() {
    let p = Project::new();
    let s = Signer::new(&p);
    let names: Vec<String> = (0..8)
        .map(|i| {
            s.attested(
                &p,
                &format!("pkg{i}-1.0.tar.gz"),
                Identity::github(&format!("acme/pkg{i}"), "release.yml", "refs/tags/v1.0"),
            )
        })
        .collect();
    p.write("pyprov.toml", "[policy]\ntofu = true\n");
    let children: Vec<_> = names
        .iter()
        .map(|name| {
            let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("pyprov"));
            c.current_dir(p.dir.path())
                .env_remove("CI")
                .env_remove("PYPROV_LOCKED")
                .env_remove("PYPROV_TRUST_FILE")
                .env("SOURCE_DATE_EPOCH", EPOCH)
                .arg("verify")
                .arg(name)
                .arg("--trusted-root")
                .arg(&p.root)
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
    let mut leftovers: Vec<String> = fs::read_dir(p.dir.path())
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
fn unproven_environment(p: &Project) -> String {
    Signer::new(p).attested(
        p,
        "pkg-1.0.tar.gz",
        Identity::github("o/pkg", "release.yml", "refs/tags/v1.0"),
    )
}

#[test]
fn an_environment_the_certificate_cannot_prove_is_a_warning_with_its_own_code() {
    let p = Project::new();
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

    let text = p.run(&["verify", &sdist, "--trusted-root", p.root.to_str().unwrap()]);
    let file = p.path("pyprov.toml").display().to_string();
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
    let p = Project::new();
    let sdist = unproven_environment(&p);
    p.write(
        "pyprov.toml",
        "[policy]\nrequire-environment-proof = true\n\n[packages]\npkg = { publisher = \"github:o/pkg\", environment = \"pypi\" }\n",
    );
    let out = p.verify(&[&sdist]);
    assert_eq!(out.code, 1);
    let json = out.json();
    assert_eq!(decision(&json, 0), dc("deny", "environment-unproven"));
    let message = json["files"][0]["decision"]["message"].as_str().unwrap();
    assert!(
        message.ends_with(&format!(
            "so environment pypi is not proven, and [policy] in {} requires proof",
            p.path("pyprov.toml").display()
        )),
        "{message}"
    );
    let show = p.run(&["trust", "show"]).stdout;
    assert!(
        show.starts_with(&format!(
            "trust file: {} (unattested = warn, tofu = false, require-environment-proof)\n",
            p.path("pyprov.toml").display()
        )),
        "{show}"
    );

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
        p.run(&["trust", "show", "--format", "json"]).json()["packages"]["pkg"]
            ["require-environment-proof"],
        true
    );
}

// ---------------------------------------------------------------------------------------------
// Discovery stops at the repository root and at the home directory
// ---------------------------------------------------------------------------------------------

#[test]
fn a_trust_file_above_the_home_directory_or_the_repository_is_not_used() {
    let p = Project::new();
    let sdist = p.pypi_attestations();
    let strict =
        "[packages]\npypi-attestations = { publisher = \"github:pypa/pypi-attestations\" }\n";
    // TEMP/pyprov.toml above TEMP/home, the home directory; the project has no .git.
    fs::remove_dir(p.path(".git")).unwrap();
    p.write("pyprov.toml", strict);
    let project = p.path("home/project/sub");
    fs::create_dir_all(&project).unwrap();
    fs::copy(p.path(&sdist), project.join(&sdist)).unwrap();
    fs::copy(
        p.path(&format!("{sdist}.provenance")),
        project.join(format!("{sdist}.provenance")),
    )
    .unwrap();
    let verify = |home: &Path, dir: &Path| {
        let mut c = p.cmd();
        c.current_dir(dir)
            .env("HOME", home)
            .args(["verify", &sdist]);
        run(&mut c)
    };
    let out = verify(&p.path("home"), &project);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.starts_with("no trust file used"),
        "{}",
        out.stdout
    );

    // The home directory's own file is used, and the output names it on its first line.
    p.write("home/pyprov.toml", strict);
    let out = verify(&p.path("home"), &project);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stdout.lines().next(),
        Some(format!(
            "trust file: {} (unattested = warn, tofu = false)",
            p.path("home/pyprov.toml").display()
        ))
        .as_deref()
    );
    let mut c = p.cmd();
    c.current_dir(&project)
        .env("HOME", p.path("home"))
        .args(["verify", &sdist, "--format", "json"]);
    let json = run(&mut c).json();
    assert_eq!(
        json["trust_file"],
        p.path("home/pyprov.toml").display().to_string()
    );
    assert_eq!(decision(&json, 0), dc("deny", "publisher-changed"));

    // A repository (here a worktree, whose .git is a file) below the home directory: the walk
    // stops at its root.
    fs::write(
        p.path("home/project/.git"),
        "gitdir: /elsewhere/.git/worktrees/project\n",
    )
    .unwrap();
    let out = verify(&p.path("home"), &project);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.starts_with("no trust file used"),
        "{}",
        out.stdout
    );
}
