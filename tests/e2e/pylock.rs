//! `pyprov install -r pylock.toml` on pip 26.3 (which reads locks itself, around any index):
//! pyprov reads the lock, selects as PEP 751 says, vets every selected file against the lock's
//! sha256, size and `attestation-identities`, and pip installs exactly the vetted files. The
//! installed set is plain pip's.

use serde_json::Value;

use crate::support::context::{row, TestContext};
use crate::support::dists::{self, Dist};
use crate::support::pki::{self, Identity};
use crate::support::venv::PipVersion;

const REPO: &str = "acme/widgets";

/// One `[[packages]]` entry for `dist`, served by the context's index, with `extra` lines.
fn entry(ctx: &TestContext, dist: &Dist, extra: &str) -> String {
    let url = ctx.index().file_url(&dist.filename);
    format!(
        "[[packages]]\nname = \"{}\"\nversion = \"{}\"\nindex = \"{}\"\n{extra}wheels = [\n    {{ name = \"{}\", url = \"{url}\", size = {}, hashes = {{ sha256 = \"{}\" }} }},\n]\n\n",
        dist.project(),
        dist.version,
        ctx.index().url(),
        dist.filename,
        dist.bytes.len(),
        dist.sha256(),
    )
}

const HEAD: &str =
    "lock-version = \"1.0\"\ncreated-by = \"pyprov-tests\"\nrequires-python = \">=3.8\"\n\n";

fn identity(repo: &str) -> String {
    format!("attestation-identities = [{{ kind = \"GitHub\", repository = \"{repo}\", workflow = \"release.yml\" }}]\n")
}

fn setup() -> (TestContext, Dist, Dist) {
    let ctx = TestContext::with_pip(PipVersion::Newest);
    let alpha = dists::wheel("alpha", "1.0", &["beta>=2"], &[]);
    let beta = dists::wheel("beta", "2.0", &[], &[]);
    ctx.publish(&alpha, REPO);
    ctx.publish(&beta, REPO);
    (ctx, alpha, beta)
}

/// Installs the lock with `--format json`; the refusal cases must leave the venv as it was.
fn refused(ctx: &TestContext, lock: &str, file: &str, code: &str) -> Value {
    ctx.write("pylock.toml", lock);
    let before = ctx.venv().freeze();
    let run = ctx.install_json(&["-r", "pylock.toml"]);
    let json = run.report();
    assert_eq!(run.code, 1, "{}\n{json:#}", run.stderr);
    assert_eq!(row(&json, file)["verdict"], "deny", "{json:#}");
    assert_eq!(row(&json, file)["code"], code, "{json:#}");
    assert_eq!(
        ctx.venv().freeze(),
        before,
        "a refusal must install nothing"
    );
    json
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn installs_what_plain_pip_installs_from_the_lock() {
    let (ctx, alpha, beta) = setup();
    let windows = dists::wheel("winonly", "1.0", &[], &[]);
    let tool = dists::wheel("devtool", "3.0", &[], &[]);
    let socks = dists::wheel("socksy", "1.0", &[], &[]);
    for d in [&windows, &tool, &socks] {
        ctx.publish(d, REPO);
    }
    let lock = format!(
        "{HEAD}default-groups = [\"dev\"]\n\n{}{}{}{}{}",
        entry(&ctx, &alpha, &identity(REPO)),
        entry(&ctx, &beta, ""),
        entry(&ctx, &windows, "marker = \"sys_platform == 'win32'\"\n"),
        entry(&ctx, &tool, "marker = \"'dev' in dependency_groups\"\n"),
        entry(&ctx, &socks, "marker = \"'socks' in extras\"\n"),
    );
    ctx.write("pylock.toml", &lock);

    let run = ctx.install_json(&["-r", "pylock.toml"]);
    let json = run.report();
    assert_eq!(run.code, 0, "{}\n{json:#}", run.stderr);
    for d in [&alpha, &beta, &tool] {
        assert_eq!(row(&json, &d.filename)["verdict"], "allow", "{json:#}");
        assert_eq!(row(&json, &d.filename)["sha256"], d.sha256());
    }
    assert_eq!(row(&json, &windows.filename), &Value::Null, "{json:#}");

    // Plain pip 26.3 on the same lock and index.
    let plain = ctx.new_venv("plain");
    let mut cmd = plain.pip_command();
    cmd.current_dir(&ctx.work)
        .args(["install", "-r", "pylock.toml"]);
    let out = ctx.run(&mut cmd);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(ctx.venv().packages(), plain.packages());
    assert!(ctx.venv().has_package("devtool") && !ctx.venv().has_package("winonly"));

    // An extra asked on the command line, as pip takes it.
    let with_extra = ctx.new_venv("extra");
    ctx.install_into(&with_extra, &["-r", "pylock.toml[socks]"]);
    assert!(with_extra.has_package("socksy"));
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_wrong_size_is_refused() {
    let (ctx, alpha, beta) = setup();
    let wrong = entry(&ctx, &beta, "").replace(
        &format!("size = {}", beta.bytes.len()),
        &format!("size = {}", beta.bytes.len() + 1),
    );
    let lock = format!("{HEAD}{}{wrong}", entry(&ctx, &alpha, ""));
    let json = refused(&ctx, &lock, &beta.filename, "lock-mismatch");
    assert_eq!(
        row(&json, &beta.filename)["message"],
        format!(
            "{} is not the file pylock.toml names: it is {} bytes, not the {} it is pinned to",
            beta.filename,
            beta.bytes.len(),
            beta.bytes.len() + 1
        ),
        "{json:#}"
    );
    assert_eq!(
        row(&json, &beta.filename)["fix"],
        "do not install it; the file is not the one the lock names: lock again if it changed on purpose"
    );
}

/// The index serves bytes of another sha256 than the lock's: the download refuses them.
#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_wrong_hash_is_refused() {
    let (ctx, alpha, beta) = setup();
    let other = "0".repeat(64);
    let wrong = entry(&ctx, &beta, "").replace(&beta.sha256(), &other);
    let lock = format!("{HEAD}{}{wrong}", entry(&ctx, &alpha, ""));
    let json = refused(&ctx, &lock, &beta.filename, "lock-mismatch");
    assert_eq!(
        row(&json, &beta.filename)["message"],
        format!(
            "{} is not the file pylock.toml names: its sha256 is {}, not the {other} it is pinned to",
            beta.filename,
            beta.sha256()
        ),
        "{json:#}"
    );
}

/// A file the lock names by `path` (next to the lock) is held to the lock's sha256 as a
/// download is.
#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_local_file_of_another_hash_is_refused() {
    let (ctx, alpha, beta) = setup();
    std::fs::create_dir_all(ctx.work.join("wheels")).unwrap();
    std::fs::write(ctx.work.join("wheels").join(&beta.filename), &beta.bytes).unwrap();
    let local = |sha: &str| {
        format!(
            "[[packages]]\nname = \"beta\"\nversion = \"{}\"\nwheels = [\n    {{ name = \"{}\", path = \"wheels/{}\", hashes = {{ sha256 = \"{sha}\" }} }},\n]\n\n",
            beta.version, beta.filename, beta.filename
        )
    };
    let other = "0".repeat(64);
    let lock = format!("{HEAD}{}{}", entry(&ctx, &alpha, ""), local(&other));
    let json = refused(&ctx, &lock, &beta.filename, "lock-mismatch");
    assert_eq!(
        row(&json, &beta.filename)["message"],
        format!(
            "{} is not the file pylock.toml names: its sha256 is {}, not the {other} it is pinned to",
            beta.filename,
            beta.sha256()
        ),
        "{json:#}"
    );
    // With the right sha256 it passes the hash check and is judged (it has no provenance
    // next to it).
    ctx.write(
        "pylock.toml",
        format!("{HEAD}{}{}", entry(&ctx, &alpha, ""), local(&beta.sha256())),
    );
    let run = ctx.install_json(&["-r", "pylock.toml"]);
    let json = run.report();
    assert_ne!(
        row(&json, &beta.filename)["code"],
        "lock-mismatch",
        "{json:#}"
    );
    assert_ne!(row(&json, &beta.filename)["code"], Value::Null, "{json:#}");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_signer_the_lock_does_not_name_is_refused() {
    let (ctx, alpha, beta) = setup();
    let lock = format!(
        "{HEAD}{}{}",
        entry(&ctx, &alpha, ""),
        entry(&ctx, &beta, &identity("acme/other")),
    );
    let json = refused(&ctx, &lock, &beta.filename, "lock-identity-mismatch");
    let message = row(&json, &beta.filename)["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("expects it attested by github:acme/other/release.yml")
            && message.contains("signed by github:acme/widgets/release.yml"),
        "{message}"
    );
    let out = ctx.install(&["-r", "pylock.toml"]);
    assert_eq!(out.code, 1);
    snapshot!(ctx, "pylock_identity_mismatch", out.snapshot_stderr());
}

/// The index's unsigned publisher block claims the lock's identity; the certificate says
/// someone else signed. The certificate decides.
#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_publisher_block_claiming_the_lock_identity_is_not_believed() {
    let (ctx, alpha, beta) = setup();
    let forged = dists::provenance_with(
        ctx.pki(),
        &beta,
        Identity::github("evil/widgets", "release.yml", "refs/tags/v2.0"),
        pki::github_publisher(REPO, "release.yml", None),
    );
    ctx.index()
        .add_with_provenance("beta", beta.clone(), Some(forged));
    let lock = format!(
        "{HEAD}{}{}",
        entry(&ctx, &alpha, ""),
        entry(&ctx, &beta, &identity(REPO)),
    );
    refused(&ctx, &lock, &beta.filename, "provenance-invalid");

    // The block telling the truth changes nothing: the signer is still not the lock's.
    let honest = dists::provenance_with(
        ctx.pki(),
        &beta,
        Identity::github("evil/widgets", "release.yml", "refs/tags/v2.0"),
        pki::github_publisher("evil/widgets", "release.yml", None),
    );
    ctx.index()
        .add_with_provenance("beta", beta.clone(), Some(honest));
    // The cache keeps a file's provenance with it: start from an empty one.
    std::fs::remove_dir_all(&ctx.cache).unwrap();
    let json = refused(&ctx, &lock, &beta.filename, "lock-identity-mismatch");
    let message = row(&json, &beta.filename)["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains(&format!("expects it attested by github:{REPO}/release.yml"))
            && message.contains("signed by github:evil/widgets/release.yml"),
        "{message}"
    );
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn an_unknown_identity_kind_never_matches() {
    let (ctx, alpha, beta) = setup();
    let lock = format!(
        "{HEAD}{}{}",
        entry(&ctx, &alpha, ""),
        entry(
            &ctx,
            &beta,
            "attestation-identities = [{ kind = \"ActiveState\", organization = \"acme\" }]\n"
        ),
    );
    let json = refused(&ctx, &lock, &beta.filename, "lock-identity-mismatch");
    let message = row(&json, &beta.filename)["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("unknown kind `ActiveState` (pyprov cannot check it)"),
        "{message}"
    );
}

/// The trust file and the lock must both hold: a lock naming the right signer does not
/// override a trust file that pins another.
#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn the_lock_never_widens_the_trust_file() {
    let (ctx, alpha, beta) = setup();
    ctx.trust_file("[packages]\nbeta = { publisher = \"github:acme/elsewhere\" }\n");
    let lock = format!(
        "{HEAD}{}{}",
        entry(&ctx, &alpha, ""),
        entry(&ctx, &beta, &identity(REPO)),
    );
    refused(&ctx, &lock, &beta.filename, "publisher-changed");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_lock_for_another_environment_is_refused() {
    let (ctx, alpha, _) = setup();
    let lock = format!(
        "lock-version = \"1.0\"\ncreated-by = \"t\"\nenvironments = [\"sys_platform == 'win32'\"]\n\n{}",
        entry(&ctx, &alpha, "")
    );
    ctx.write("pylock.toml", &lock);
    let out = ctx.install(&["-r", "pylock.toml"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("pylock.toml: this environment satisfies none of the lock's environments: sys_platform == 'win32'"),
        "{}",
        out.stderr
    );
    assert!(ctx.index().file_requests().is_empty(), "nothing is fetched");
}

/// A `[[packages]]` entry whose only file is `dist` as the sdist.
fn sdist_entry(ctx: &TestContext, dist: &Dist) -> String {
    format!(
        "[[packages]]\nname = \"{}\"\nversion = \"{}\"\nindex = \"{}\"\nsdist = {{ name = \"{}\", url = \"{}\", size = {}, hashes = {{ sha256 = \"{}\" }} }}\n\n",
        dist.project(),
        dist.version,
        ctx.index().url(),
        dist.filename,
        ctx.index().file_url(&dist.filename),
        dist.bytes.len(),
        dist.sha256(),
    )
}

/// An sdist the lock selects is vetted, built once through the gate (its build backend vetted
/// too), and installed as the built wheel: the same set as plain pip's.
#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn an_sdist_the_lock_selects_is_built_through_the_gate() {
    let (ctx, alpha, beta) = setup();
    ctx.publish(&dists::backend_wheel(), "acme/backend");
    let source = dists::sdist("srconly", "1.0", &[], None);
    ctx.publish(&source, REPO);
    let lock = format!(
        "{HEAD}{}{}{}",
        entry(&ctx, &alpha, ""),
        entry(&ctx, &beta, ""),
        sdist_entry(&ctx, &source),
    );
    ctx.write("pylock.toml", &lock);
    let run = ctx.install_json(&["-r", "pylock.toml"]);
    let json = run.report();
    assert_eq!(run.code, 0, "{}\n{json:#}", run.stderr);
    assert_eq!(row(&json, &source.filename)["verdict"], "allow", "{json:#}");
    let backend = dists::backend_wheel();
    assert_eq!(
        row(&json, &backend.filename)["verdict"],
        "allow",
        "{json:#}"
    );

    let plain = ctx.new_venv("plain");
    let mut cmd = plain.pip_command();
    cmd.current_dir(&ctx.work)
        .args(["install", "-i", &ctx.index().url(), "-r", "pylock.toml"]);
    let out = ctx.run(&mut cmd);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(ctx.venv().packages(), plain.packages());
    assert!(ctx.venv().has_package("srconly"));
}

/// The lock names who attests the package, and the index serves no provenance for it: an
/// attestation downgrade, whatever the unattested policy says.
#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn no_provenance_where_the_lock_names_an_identity_is_refused() {
    let (ctx, alpha, beta) = setup();
    ctx.index().add("beta", beta.clone());
    let lock = format!(
        "{HEAD}{}{}",
        entry(&ctx, &alpha, ""),
        entry(&ctx, &beta, &identity(REPO)),
    );
    let json = refused(&ctx, &lock, &beta.filename, "attestation-downgrade");
    let message = row(&json, &beta.filename)["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains(&format!("pylock.toml expects it attested by github:{REPO}/release.yml, and it has no provenance")),
        "{message}"
    );
}

/// A lock pyprov writes (`pyprov::lock::to_toml_string`) is one pip 26.3 and uv install from.
#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_lock_pyprov_writes_is_read_by_pip_and_uv() {
    let (ctx, alpha, beta) = setup();
    let text = format!(
        "{HEAD}[tool.pyprov-tests]\nkept = true\n\n{}{}",
        entry(&ctx, &alpha, &identity(REPO)),
        entry(&ctx, &beta, ""),
    );
    let lock = pyprov::lock::parse(std::path::Path::new("pylock.toml"), &text).unwrap();
    let written = pyprov::lock::to_toml_string(&lock).unwrap();
    ctx.write("pylock.toml", &written);
    assert_eq!(
        pyprov::lock::parse(std::path::Path::new("pylock.toml"), &written).unwrap(),
        lock
    );

    let by_pip = ctx.new_venv("by-pip");
    let mut cmd = by_pip.pip_command();
    cmd.current_dir(&ctx.work)
        .args(["install", "-r", "pylock.toml"]);
    let out = ctx.run(&mut cmd);
    assert_eq!(out.code, 0, "{written}\n{}", out.stderr);
    assert!(by_pip.has_package("alpha") && by_pip.has_package("beta"));

    if let Some(by_uv) = ctx.uv_install("by-uv", "pylock.toml") {
        assert_eq!(by_uv.packages(), by_pip.packages());
    }
}

/// What users read when a lock cannot be used: the file, the key and the fix.
#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn lock_errors_name_the_file_the_key_and_the_fix() {
    let (ctx, alpha, _) = setup();
    ctx.add_filter(r"interpreter is 3\.\d+\.\d+", "interpreter is [PYTHON]");
    let no_hash = entry(&ctx, &alpha, "").replace(
        &format!("hashes = {{ sha256 = \"{}\" }}", alpha.sha256()),
        "hashes = {}",
    );
    ctx.write("pylock.toml", format!("{HEAD}{no_hash}"));
    let out = ctx.install(&["-r", "pylock.toml"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    snapshot!(ctx, "pylock_invalid_key", out.snapshot_stderr());

    ctx.write(
        "pylock.toml",
        format!("lock-version = \"1.0\"\n\n{}", entry(&ctx, &alpha, "")),
    );
    let out = ctx.install(&["-r", "pylock.toml"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    snapshot!(ctx, "pylock_missing_key", out.snapshot_stderr());

    ctx.write(
        "pylock.toml",
        format!(
            "{HEAD}{}",
            entry(&ctx, &alpha, "requires-python = \">=4\"\n")
        ),
    );
    let out = ctx.install(&["-r", "pylock.toml"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    snapshot!(ctx, "pylock_requires_python", out.snapshot_stderr());

    ctx.write("reqs.txt", "beta\n");
    let out = ctx.install(&["-r", "pylock.toml", "-r", "reqs.txt"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    snapshot!(ctx, "pylock_not_alone", out.snapshot_stderr());
    assert!(ctx.index().file_requests().is_empty(), "nothing is fetched");
}

/// `pyprov download -r pylock.toml -d DIR`: the vetted files the lock selects, byte for byte.
#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn download_saves_the_vetted_files_the_lock_selects() {
    let (ctx, alpha, beta) = setup();
    let lock = format!(
        "{HEAD}{}{}",
        entry(&ctx, &alpha, &identity(REPO)),
        entry(&ctx, &beta, "")
    );
    ctx.write("pylock.toml", &lock);
    let out_dir = ctx.path("out");
    let run = ctx.run(
        ctx.pyprov_pip("download")
            .args(["-r", "pylock.toml", "-d"])
            .arg(&out_dir),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    for d in [&alpha, &beta] {
        assert_eq!(std::fs::read(out_dir.join(&d.filename)).unwrap(), d.bytes);
    }
    assert!(!ctx.venv().has_package("alpha"));
}

/// Under a cooldown, the files a lock selects are held to it as pip's pages are, by what the
/// index's page says: one uploaded after the cutoff is refused (`too-new`), and one whose
/// upload time the index does not give is refused (`no-upload-time`), whatever the lock's own
/// `upload-time` says. An exempt package installs.
#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_cooldown_holds_the_files_a_lock_selects() {
    use crate::support::index::days_ago;
    let (ctx, alpha, beta) = setup();
    let gamma = dists::wheel("gamma", "1.0", &[], &[]);
    ctx.publish(&gamma, REPO);
    ctx.index()
        .set_upload_time(&alpha.filename, Some(&days_ago(1)));
    ctx.index()
        .set_upload_time(&beta.filename, Some(&days_ago(30)));
    ctx.trust_file("[policy]\ncooldown = \"7 days\"\n");
    let fresh = format!(
        "{HEAD}{}{}",
        entry(&ctx, &alpha, ""),
        entry(&ctx, &beta, "")
    );
    let json = refused(&ctx, &fresh, &alpha.filename, "too-new");
    assert_eq!(
        row(&json, &beta.filename)["code"],
        "unknown-package",
        "{json:#}"
    );
    // Refused before a byte was fetched.
    assert!(!ctx
        .index()
        .file_requests()
        .iter()
        .any(|r| r.last_segment() == alpha.filename));

    // The index gives no upload time for gamma; the lock claims an old one, which is not the
    // index's word.
    let unknown = format!(
        "{HEAD}{}",
        entry(&ctx, &gamma, "").replace("size = ", "upload-time = 2020-01-01T00:00:00Z, size = ")
    );
    let json = refused(&ctx, &unknown, &gamma.filename, "no-upload-time");
    let message = row(&json, &gamma.filename)["message"]
        .as_str()
        .unwrap_or("");
    assert!(
        message.contains(&format!(
            "{}: its index gives no upload time",
            gamma.filename
        )),
        "{json:#}"
    );

    // Exempted, both install.
    ctx.trust_file(
        "[policy]\ncooldown = \"7 days\"\n\n[packages]\nalpha = { cooldown = false }\ngamma = { cooldown = false }\n",
    );
    let both = format!(
        "{HEAD}{}{}{}",
        entry(&ctx, &alpha, ""),
        entry(&ctx, &beta, ""),
        entry(&ctx, &gamma, "")
    );
    ctx.write("pylock.toml", &both);
    let run = ctx.install_json(&["-r", "pylock.toml"]);
    assert_eq!(run.code, 0, "{}\n{:#}", run.stderr, run.report());
    assert!(ctx.venv().has_package("alpha") && ctx.venv().has_package("gamma"));
}
