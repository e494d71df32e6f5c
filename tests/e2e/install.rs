//! `pyprov install` end to end: a real index on 127.0.0.1 serving real wheels and sdists signed
//! by the project's throwaway Sigstore, the real pip in a real virtualenv, and an index that
//! lies. Every refusal leaves the virtualenv exactly as it was.

use crate::support;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use crate::support::dists::{self, Dist};
use crate::support::index::{Lie, TestIndex};
use crate::support::pki::{self, Identity, TestPki};
use crate::support::venv::Venv;
use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

const REPO: &str = "acme/widgets";

struct Ctx {
    dir: tempfile::TempDir,
    pki: TestPki,
    root: PathBuf,
    index: TestIndex,
    venv: Venv,
    cache: PathBuf,
    /// The working directory pyprov runs in (where a pyprov.toml would be found).
    work: PathBuf,
}

impl Ctx {
    fn new() -> Ctx {
        let (dir, pki, root, work) = support::project_sandbox();
        let venv = Venv::create(&dir.path().join("venv"));
        Ctx {
            cache: dir.path().join("cache"),
            index: TestIndex::new(),
            dir,
            pki,
            root,
            venv,
            work,
        }
    }

    /// Serves `dist` with provenance signed for `repo`'s release.yml.
    fn publish(&self, dist: &Dist, repo: &str) {
        self.index.publish(&self.pki, dist, repo);
    }

    fn trust_file(&self, text: &str) {
        std::fs::write(self.work.join("pyprov.toml"), text).unwrap();
    }

    fn command(&self, sub: &str, args: &[&str]) -> Command {
        let mut cmd = support::pyprov(
            sub,
            &self.work,
            &self.cache,
            &self.venv.python(),
            &self.root,
            &self.index.url(),
        );
        cmd.args(args);
        cmd
    }

    /// `pyprov install ARGS` into a fresh virtualenv `name` (the context's cache and index),
    /// asserting success.
    fn install_fresh(&self, name: &str, args: &[&str]) -> Venv {
        let venv = Venv::create(&self.dir.path().join(name));
        self.install_into(&venv, args, &[]);
        venv
    }

    /// `pyprov install ARGS` into `venv` with `env` set, asserting success; its stderr.
    fn install_into(
        &self,
        venv: &Venv,
        args: &[&str],
        env: &[(&str, std::path::PathBuf)],
    ) -> String {
        let mut cmd = self.command("install", args);
        // A later --python wins over the context's.
        cmd.arg("--python").arg(venv.python());
        cmd.envs(env.iter().map(|(k, v)| (k, v.as_os_str())));
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        stderr
    }

    fn install(&self, args: &[&str]) -> Output {
        let out = self.command("install", args).output().unwrap();
        eprintln!(
            "--- pyprov install {args:?}: {:?}\n{}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn install_json(&self, args: &[&str]) -> (i32, Value) {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let out = self.install(&all);
        let text = String::from_utf8_lossy(&out.stdout);
        // pip's own output shares stdout; the report is the last JSON object.
        let json = text
            .rfind("\n{")
            .map(|i| &text[i + 1..])
            .or_else(|| text.starts_with('{').then_some(&text[..]))
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or(Value::Null);
        (out.status.code().unwrap_or(-1), json)
    }
}

fn row<'a>(json: &'a Value, file: &str) -> &'a Value {
    json["files"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["file"] == file))
        .unwrap_or(&Value::Null)
}

fn alpha_and_beta(ctx: &Ctx) -> (Dist, Dist) {
    let alpha = dists::wheel("alpha", "1.0", &["beta>=2"], &[]);
    let beta = dists::wheel("beta", "2.0", &[], &[]);
    ctx.publish(&alpha, REPO);
    ctx.publish(&beta, REPO);
    (alpha, beta)
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn verified_install() {
    let ctx = Ctx::new();
    let (alpha, beta) = alpha_and_beta(&ctx);
    let (code, json) = ctx.install_json(&["alpha"]);
    assert_eq!(code, 0, "{json:#}");
    assert!(ctx.venv.has_package("alpha") && ctx.venv.has_package("beta"));
    for d in [&alpha, &beta] {
        let r = row(&json, &d.filename);
        assert_eq!(r["verdict"], "allow", "{json:#}");
        assert_eq!(r["publisher"], format!("github:{REPO}/release.yml"));
        assert_eq!(r["sha256"], d.sha256());
    }
    assert_eq!(json["installed"], true);
    assert_eq!(json["trust_file"], Value::Null);
    // pip resolved from PEP 658 metadata, so the wheels were fetched once, by pyprov.
    let fetched: Vec<_> = ctx
        .index
        .file_requests()
        .into_iter()
        .filter(|r| r.status == 200)
        .collect();
    assert_eq!(fetched.len(), 2, "{fetched:?}");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn text_report_is_a_table() {
    let ctx = Ctx::new();
    alpha_and_beta(&ctx);
    let out = ctx.install(&["alpha"]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("PACKAGE") && err.contains("VERDICT"), "{err}");
    assert!(err.contains("no trust file used"), "{err}");
    assert!(
        err.contains(&format!("github:{REPO}/release.yml at refs/tags/v1.0")),
        "{err}"
    );
    assert!(
        !err.contains('\u{1b}'),
        "NO_COLOR must mean no escape codes: {err:?}"
    );
}

/// Installs alpha while `lie` is told about beta, and checks the refusal left no trace.
fn refused_with(lie: Lie, trust: Option<&str>, code: &str) {
    let ctx = Ctx::new();
    let (_, beta) = alpha_and_beta(&ctx);
    if let Some(t) = trust {
        ctx.trust_file(t);
    }
    ctx.index.lie(&beta.filename, lie);
    let before = ctx.venv.freeze();
    let (exit, json) = ctx.install_json(&["alpha"]);
    assert_eq!(exit, 1, "{json:#}");
    assert_eq!(row(&json, &beta.filename)["code"], code, "{json:#}");
    assert_eq!(row(&json, &beta.filename)["verdict"], "deny");
    assert_eq!(json["installed"], false);
    assert_eq!(ctx.venv.freeze(), before, "a refusal must install nothing");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn tampered_bytes_with_a_matching_advertised_hash_are_refused() {
    refused_with(
        Lie::TamperedBytes(b"PK\x03\x04 not the attested wheel".to_vec()),
        None,
        "provenance-invalid",
    );
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn rewritten_publisher_block_is_refused() {
    refused_with(
        Lie::RewritePublisher(pki::github_publisher("evil/widgets", "release.yml", None)),
        None,
        "provenance-invalid",
    );
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn stripped_provenance_is_refused_when_unattested_files_are_denied() {
    refused_with(
        Lie::StripProvenance,
        Some("[policy]\nunattested = \"deny\"\n"),
        "unattested-denied",
    );
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn stripped_provenance_of_a_pinned_package_is_a_downgrade() {
    refused_with(
        Lie::StripProvenance,
        Some(&format!(
            "[packages]\nbeta = {{ publisher = \"github:{REPO}/release.yml\" }}\n"
        )),
        "attestation-downgrade",
    );
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_server_that_keeps_failing_is_refused() {
    refused_with(Lie::Fail500 { times: 50 }, None, "fetch-failed");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn transient_faults_are_retried_and_resumed() {
    let ctx = Ctx::new();
    let (alpha, beta) = alpha_and_beta(&ctx);
    ctx.index.lie(
        &alpha.filename,
        Lie::DropConnectionAfter {
            bytes: 100,
            times: 1,
        },
    );
    ctx.index.lie(&beta.filename, Lie::Fail500 { times: 2 });
    let (code, json) = ctx.install_json(&["alpha"]);
    assert_eq!(code, 0, "{json:#}");
    let ranged = ctx
        .index
        .file_requests()
        .into_iter()
        .any(|r| r.range.is_some() && r.status == 206);
    assert!(ranged, "the dropped download resumes with a Range request");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn slow_and_redirected_files_install() {
    let ctx = Ctx::new();
    let (alpha, beta) = alpha_and_beta(&ctx);
    ctx.index
        .lie(&alpha.filename, Lie::Slow(Duration::from_millis(300)));
    ctx.index.lie(&beta.filename, Lie::Redirect);
    let (code, json) = ctx.install_json(&["alpha"]);
    assert_eq!(code, 0, "{json:#}");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn refused_sdist_never_runs_its_code() {
    let ctx = Ctx::new();
    let marker = ctx.dir.path().join("marker");
    let backend = dists::backend_wheel();
    ctx.publish(&backend, "acme/backend");
    // Published without provenance, and unattested files are denied.
    let gamma = dists::sdist("gamma", "1.0", &[], Some(&marker));
    ctx.index.add("gamma", gamma.clone());
    ctx.trust_file("[policy]\nunattested = \"deny\"\n");
    let before = ctx.venv.freeze();
    let (code, json) = ctx.install_json(&["gamma"]);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(row(&json, &gamma.filename)["code"], "unattested-denied");
    assert!(
        !marker.exists(),
        "the sdist's code ran before it was refused"
    );
    assert_eq!(ctx.venv.freeze(), before);
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn allowed_sdist_builds_with_verified_build_dependencies() {
    let ctx = Ctx::new();
    let marker = ctx.dir.path().join("marker");
    let backend = dists::backend_wheel();
    ctx.publish(&backend, "acme/backend");
    let gamma = dists::sdist("gamma", "1.0", &[], Some(&marker));
    ctx.publish(&gamma, REPO);
    let (code, json) = ctx.install_json(&["gamma"]);
    assert_eq!(code, 0, "{json:#}");
    assert!(ctx.venv.has_package("gamma"));
    assert!(marker.exists());
    // The build backend is never in pip's report, yet it was verified like any file.
    let b = row(&json, &backend.filename);
    assert_eq!(b["verdict"], "allow", "{json:#}");
    assert_eq!(b["publisher"], "github:acme/backend/release.yml");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn build_dependency_from_another_publisher_is_refused() {
    let ctx = Ctx::new();
    let marker = ctx.dir.path().join("marker");
    let backend = dists::backend_wheel();
    ctx.publish(&backend, "evil/backend");
    let gamma = dists::sdist("gamma", "1.0", &[], Some(&marker));
    ctx.publish(&gamma, REPO);
    ctx.trust_file(&format!(
        "[packages]\ngamma = {{ publisher = \"github:{REPO}\" }}\npyprov-test-backend = {{ publisher = \"github:acme/backend\" }}\n"
    ));
    let (code, json) = ctx.install_json(&["gamma"]);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(row(&json, &backend.filename)["code"], "publisher-changed");
    assert!(!ctx.venv.has_package("gamma"));
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn tofu_pins_then_refuses_a_changed_publisher() {
    let ctx = Ctx::new();
    alpha_and_beta(&ctx);
    ctx.trust_file("# our trust file\n[policy]\ntofu = true\nunattested = \"deny\"\n");
    let (code, json) = ctx.install_json(&["alpha"]);
    assert_eq!(code, 0, "{json:#}");
    let text = std::fs::read_to_string(ctx.work.join("pyprov.toml")).unwrap();
    assert!(text.starts_with("# our trust file\n"), "{text}");
    assert!(
        text.contains(&format!("github:{REPO}/release.yml")),
        "{text}"
    );
    assert!(text.contains("tofu "), "{text}");

    // A new release signed from another repository.
    let alpha2 = dists::wheel("alpha", "1.1", &["beta>=2"], &[]);
    ctx.publish(&alpha2, "evil/widgets");
    let before = ctx.venv.freeze();
    let (code, json) = ctx.install_json(&["alpha==1.1"]);
    assert_eq!(code, 1, "{json:#}");
    let r = row(&json, &alpha2.filename);
    assert_eq!(r["code"], "publisher-changed", "{json:#}");
    assert!(
        r["message"].as_str().unwrap().contains("evil/widgets"),
        "{r:#}"
    );
    assert_eq!(ctx.venv.freeze(), before);
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn locked_refuses_packages_without_an_entry_and_writes_nothing() {
    let ctx = Ctx::new();
    alpha_and_beta(&ctx);
    let text = "[policy]\ntofu = true\n";
    ctx.trust_file(text);
    let (code, json) = ctx.install_json(&["--locked", "alpha"]);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(
        row(&json, "alpha-1.0-py3-none-any.whl")["code"],
        "unknown-package"
    );
    assert_eq!(
        std::fs::read_to_string(ctx.work.join("pyprov.toml")).unwrap(),
        text
    );
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn second_install_hits_the_cache() {
    let ctx = Ctx::new();
    alpha_and_beta(&ctx);
    assert_eq!(ctx.install_json(&["alpha"]).0, 0);
    ctx.index.clear_log();
    // --pre changes the resolution's inputs, so pip resolves again: through the verifying
    // index, whose files now come from pyprov's cache.
    let other = ctx.install_fresh("venv2", &["--pre", "alpha"]);
    assert!(other.has_package("alpha"));
    assert!(
        ctx.index.requests().iter().any(|r| r.is_page()),
        "pip resolved again"
    );
    // pip's metadata comes from the vetted wheels, never from the index.
    assert!(ctx.index.metadata_requests().is_empty());
    assert!(
        ctx.index.file_requests().is_empty(),
        "no file is downloaded again: {:?}",
        ctx.index.file_requests()
    );
    assert!(ctx.index.integrity_requests().is_empty());
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn hash_pinned_requirements_skip_resolution() {
    let ctx = Ctx::new();
    let (alpha, beta) = alpha_and_beta(&ctx);
    let reqs = ctx.work.join("requirements.txt");
    std::fs::write(
        &reqs,
        format!(
            "alpha==1.0 \\\n    --hash=sha256:{}\nbeta==2.0 --hash=sha256:{}\n",
            alpha.sha256(),
            beta.sha256()
        ),
    )
    .unwrap();
    let (code, json) = ctx.install_json(&["-r", reqs.to_str().unwrap()]);
    assert_eq!(code, 0, "{json:#}");
    assert!(ctx.venv.has_package("alpha") && ctx.venv.has_package("beta"));
    assert!(
        ctx.index.metadata_requests().is_empty(),
        "pip's resolver would have read metadata"
    );
    // Warm: nothing asked of the index at all.
    ctx.index.clear_log();
    let other = ctx.install_fresh("venv2", &["-r", reqs.to_str().unwrap()]);
    assert!(other.has_package("alpha"));
    assert!(
        ctx.index.requests().is_empty(),
        "{:?}",
        ctx.index.requests()
    );
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn hash_pinned_tampering_is_still_refused() {
    let ctx = Ctx::new();
    let (alpha, beta) = alpha_and_beta(&ctx);
    let evil = b"PK\x03\x04 tampered".to_vec();
    ctx.index
        .lie(&beta.filename, Lie::TamperedBytes(evil.clone()));
    let reqs = ctx.work.join("requirements.txt");
    // The lockfile was generated against the tampered index.
    std::fs::write(
        &reqs,
        format!(
            "alpha==1.0 --hash=sha256:{}\nbeta==2.0 --hash=sha256:{}\n",
            alpha.sha256(),
            pki::sha256_hex(&evil)
        ),
    )
    .unwrap();
    let before = ctx.venv.freeze();
    let (code, json) = ctx.install_json(&["-r", reqs.to_str().unwrap()]);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(row(&json, &beta.filename)["code"], "provenance-invalid");
    assert_eq!(ctx.venv.freeze(), before);
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn index_options_inside_requirements_files_go_through_pyprov() {
    let ctx = Ctx::new();
    alpha_and_beta(&ctx);
    let reqs = ctx.work.join("requirements.txt");
    std::fs::write(&reqs, format!("--index-url {}\nalpha\n", ctx.index.url())).unwrap();
    // No -i on the command line: the index comes from the file.
    let mut cmd = Command::cargo_bin("pyprov").unwrap();
    Venv::clean_env(&mut cmd);
    let out = cmd
        .env_remove("CI")
        .env("PYPROV_CACHE_DIR", &ctx.cache)
        .current_dir(&ctx.work)
        .args(["install", "--format", "json", "--python"])
        .arg(ctx.venv.python())
        .arg("--trusted-root")
        .arg(&ctx.root)
        .arg("-r")
        .arg(&reqs)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"verdict\": \"allow\""), "{text}");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn direct_urls_are_decided_like_unattested_files() {
    let ctx = Ctx::new();
    ctx.trust_file("[policy]\nunattested = \"deny\"\n");
    let url = format!(
        "{}/files/whatever-1.0-py3-none-any.whl",
        ctx.index.base_url()
    );
    let spec = format!("whatever @ {url}");
    let (code, json) = ctx.install_json(&[&spec]);
    assert_eq!(code, 1, "{json:#}");
    let r = &json["files"][0];
    assert_eq!(r["code"], "unattested-denied");
    assert!(
        r["message"].as_str().unwrap().contains("direct URL"),
        "{r:#}"
    );
    assert!(ctx.index.requests().is_empty(), "nothing may be fetched");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn download_keeps_only_vetted_files() {
    let ctx = Ctx::new();
    let (alpha, beta) = alpha_and_beta(&ctx);
    let dest = ctx.dir.path().join("out");
    let out = ctx
        .command("download", &["-d", dest.to_str().unwrap(), "alpha"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for d in [&alpha, &beta] {
        assert_eq!(std::fs::read(dest.join(&d.filename)).unwrap(), d.bytes);
    }
    assert!(!ctx.venv.has_package("alpha"));
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn dry_run_verifies_and_installs_nothing() {
    let ctx = Ctx::new();
    alpha_and_beta(&ctx);
    let before = ctx.venv.freeze();
    let (code, json) = ctx.install_json(&["--dry-run", "alpha"]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(ctx.venv.freeze(), before);
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_report_file_that_cannot_be_written_stops_the_install() {
    let ctx = Ctx::new();
    alpha_and_beta(&ctx);
    let before = ctx.venv.freeze();
    let missing = ctx.dir.path().join("no-such-dir").join("report.json");
    let out = ctx.install(&["--report", missing.to_str().unwrap(), "alpha"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "cannot write the --report file {}",
            missing.display()
        )),
        "{stderr}"
    );
    assert_eq!(ctx.venv.freeze(), before);
    // The report names each file where the index serves it, not where the gate did.
    let report = ctx.dir.path().join("report.json");
    let out = ctx.install(&["--dry-run", "--report", report.to_str().unwrap(), "alpha"]);
    assert_eq!(out.status.code(), Some(0));
    let json: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let urls: Vec<&str> = json["install"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["download_info"]["url"].as_str().unwrap())
        .collect();
    assert_eq!(urls.len(), 2, "{json:#}");
    for url in urls {
        assert!(url.starts_with(&ctx.index.base_url()), "{url}");
    }
    // `--report -` is pip's report on stdout, as with pip.
    let out = ctx.install(&["--dry-run", "--report", "-", "alpha"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("\"install\""), "{stdout}");
    assert!(!ctx.work.join("-").exists());
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn credentials_in_index_urls_are_never_printed() {
    let ctx = Ctx::new();
    alpha_and_beta(&ctx);
    let url = ctx
        .index
        .url()
        .replace("http://", "http://user:s3cr3t-token@");
    let mut cmd = ctx.command("install", &["-v", "alpha"]);
    // A second -i wins over the one the context passes.
    cmd.args(["-i", &url]);
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for stream in [&out.stdout, &out.stderr] {
        assert!(!String::from_utf8_lossy(stream).contains("s3cr3t"));
    }
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn pip_too_old_is_a_clear_error() {
    let assets = std::env::var_os("PYPROV_TEST_ASSETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ci-assets"));
    let wheel = std::fs::read_dir(&assets)
        .ok()
        .and_then(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .find(|p| p.to_string_lossy().contains("pip-21"))
        })
        .unwrap_or_else(|| {
            panic!(
                "no pip 21 wheel in {}: run `bash .ci/run`, which downloads it",
                assets.display()
            )
        });
    let ctx = Ctx::new();
    let mut pip = ctx.venv.pip_command();
    let out = pip
        .args(["install", "--no-index", "--force-reinstall"])
        .arg(&wheel)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = ctx.install(&["alpha"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("21.3") && err.contains("22.2"), "{err}");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn google_publishers_install() {
    let ctx = Ctx::new();
    let delta = dists::wheel("delta", "1.0", &[], &[]);
    let prov = dists::provenance_with(
        &ctx.pki,
        &delta,
        Identity::google("release@acme.iam.gserviceaccount.com"),
        pki::google_publisher("release@acme.iam.gserviceaccount.com"),
    );
    ctx.index
        .add_with_provenance("delta", delta.clone(), Some(prov));
    ctx.trust_file(
        "[packages]\ndelta = { publisher = \"google:release@acme.iam.gserviceaccount.com\" }\n",
    );
    let (code, json) = ctx.install_json(&["delta"]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(
        row(&json, &delta.filename)["publisher"],
        "google:release@acme.iam.gserviceaccount.com"
    );
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn html_only_index_works_too() {
    let ctx = Ctx::new();
    ctx.index.set_format(support::index::Format::HtmlOnly);
    alpha_and_beta(&ctx);
    let (code, json) = ctx.install_json(&["alpha"]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(row(&json, "beta-2.0-py3-none-any.whl")["verdict"], "allow");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_mirror_that_strips_provenance_is_told_apart_and_a_provenance_index_fixes_it() {
    let ctx = Ctx::new();
    let (alpha, beta) = alpha_and_beta(&ctx);
    // A mirror serving the same bytes, with no provenance anywhere.
    let mirror = TestIndex::new();
    mirror.set_advertise_provenance(false);
    mirror.set_integrity_api(false);
    mirror.add("alpha", alpha.clone());
    mirror.add("beta", beta.clone());
    let (code, json) = ctx.install_json(&["--dry-run", "-i", &mirror.url(), "alpha"]);
    assert_eq!(code, 0, "{json:#}");
    let r = row(&json, &alpha.filename);
    assert_eq!(r["code"], "unattested-warned", "{json:#}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("serves no provenance"),
        "{r:#}"
    );

    // The upstream index's Integrity API supplies it, bound to the mirror's bytes by sha256.
    let (code, json) = ctx.install_json(&[
        "-i",
        &mirror.url(),
        "--provenance-index",
        &ctx.index.url(),
        "alpha",
    ]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(row(&json, &alpha.filename)["verdict"], "allow", "{json:#}");
    assert_eq!(
        row(&json, &alpha.filename)["publisher"],
        format!("github:{REPO}/release.yml")
    );

    // The same from the trust file, for every run.
    ctx.trust_file(&format!(
        "[policy]\nunattested = \"deny\"\nprovenance-index = \"{}\"\n",
        ctx.index.url()
    ));
    let other = ctx.install_fresh("venv2", &["-i", &mirror.url(), "alpha"]);
    assert!(other.has_package("alpha"));
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_file_the_index_says_has_no_provenance() {
    let ctx = Ctx::new();
    let solo = dists::wheel("solo", "1.0", &[], &[]);
    ctx.index.add("solo", solo.clone());
    let (code, json) = ctx.install_json(&["--dry-run", "solo"]);
    assert_eq!(code, 0, "{json:#}");
    let r = row(&json, &solo.filename);
    assert_eq!(r["code"], "unattested-warned");
    assert!(
        !r["message"]
            .as_str()
            .unwrap()
            .contains("serves no provenance"),
        "{r:#}"
    );
    assert_eq!(r["provenance"]["kind"], "file-has-none", "{r:#}");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn install_location_flags_reach_pip() {
    let ctx = Ctx::new();
    alpha_and_beta(&ctx);
    let target = ctx.dir.path().join("target-dir");
    let (code, json) = ctx.install_json(&["--target", target.to_str().unwrap(), "alpha"]);
    assert_eq!(code, 0, "{json:#}");
    assert!(target.join("alpha").join("__init__.py").is_file());
    assert!(target.join("beta").join("__init__.py").is_file());
    assert!(!ctx.venv.has_package("alpha"));
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn concurrent_runs_share_the_cache() {
    let ctx = Ctx::new();
    alpha_and_beta(&ctx);
    let venvs: Vec<Venv> = (0..3)
        .map(|i| Venv::create(&ctx.dir.path().join(format!("v{i}"))))
        .collect();
    let children: Vec<_> = venvs
        .iter()
        .map(|v| {
            let mut cmd = ctx.command("install", &["alpha"]);
            cmd.arg("--python").arg(v.python());
            cmd.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for v in &venvs {
        assert!(v.has_package("alpha") && v.has_package("beta"));
    }
    // Every cache entry is whole: named by the hash of its bytes.
    let mut blobs = 0;
    for entry in walk(&ctx.cache) {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        if name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
            blobs += 1;
            assert_eq!(pki::sha256_hex(&std::fs::read(&entry).unwrap()), name);
        }
    }
    assert_eq!(blobs, 2);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
    {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_resolution_is_reused_until_an_index_page_changes() {
    let ctx = Ctx::new();
    alpha_and_beta(&ctx);
    assert_eq!(ctx.install_json(&["alpha"]).0, 0);

    // Same inputs, same pages: pip's dry run is skipped, nothing is downloaded again; in a
    // venv elsewhere (as each CI job has), with pip settings its dry run does not read.
    ctx.index.clear_log();
    let second = Venv::create(&ctx.dir.path().join("elsewhere").join("venv2"));
    let stderr = ctx.install_into(
        &second,
        &["alpha"],
        &[
            ("PIP_CACHE_DIR", ctx.dir.path().join("another-pip-cache")),
            ("PIP_NO_COLOR", "1".into()),
            ("PIP_LOG", ctx.dir.path().join("pip.log")),
        ],
    );
    assert!(stderr.contains("reused the stored resolution"), "{stderr}");
    assert!(second.has_package("alpha") && second.has_package("beta"));
    assert!(
        ctx.index.metadata_requests().is_empty(),
        "the dry run was not skipped: {:?}",
        ctx.index.requests()
    );
    assert!(ctx.index.file_requests().is_empty());
    assert!(
        ctx.index.requests().iter().any(|r| r.is_page()),
        "the pages are checked"
    );

    // A new release of a dependency changes its page: resolve again, and get it.
    let beta2 = dists::wheel("beta", "2.1", &[], &[]);
    ctx.publish(&beta2, REPO);
    ctx.index.clear_log();
    let third = ctx.install_fresh("venv3", &["alpha"]);
    assert_eq!(
        third.packages().get("beta").map(String::as_str),
        Some("2.1")
    );
    assert!(ctx.index.requests().iter().any(|r| r.is_page()));

    // What is installed changes pip's answer: a venv holding beta 2.0, which satisfies alpha,
    // keeps it (pip resolves again), where the stored resolution would install beta 2.1.
    let fourth = Venv::create(&ctx.dir.path().join("venv4"));
    let mut pip = fourth.pip_command();
    let out = pip
        .args(["install", "-i", &ctx.index.url(), "beta==2.0"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = ctx.install_into(&fourth, &["alpha"], &[]);
    assert!(!stderr.contains("reused the stored resolution"), "{stderr}");
    assert!(
        stderr.contains(
            "already satisfied, kept as installed (not reinstalled, so not verified): beta 2.0"
        ),
        "{stderr}"
    );
    let packages = fourth.packages();
    assert_eq!(packages.get("beta").map(String::as_str), Some("2.0"));
    assert_eq!(packages.get("alpha").map(String::as_str), Some("1.0"));
}
