//! pyprov as a drop-in pip, under each name, against the real pip in a real virtualenv:
//! pass-through commands are pip's to the byte, install verifies, loops are refused, pip's
//! configuration reaches resolution, and credentials never show.

use crate::support::context::TestContext;
use std::path::Path;
use std::process::{Command, Output};

use crate::support::dists;
use crate::support::index::Lie;
use crate::support::venv::PipVersion;

const REPO: &str = "acme/widgets";

/// `pyprov shim install VENV/bin`, so `bin/pip` and `bin/pip3` are pyprov.
fn shim(ctx: &TestContext) {
    let out = ctx.run(ctx.pyprov().args(["shim", "install"]).arg(ctx.venv().bin()));
    assert_eq!(out.code, 0, "{}", out.stderr);
}

/// Runs `program args` with the venv activated and pyprov's settings in the environment.
fn run(ctx: &TestContext, program: &Path, args: &[&str]) -> Output {
    let mut cmd = ctx.command(program);
    ctx.venv().activate(&mut cmd);
    cmd.env("PYPROV_TRUSTED_ROOT", ctx.trusted_root())
        .args(args);
    output(&mut cmd)
}

/// The shimmed `VENV/bin/pip`, activated, with pyprov's settings and the cache `[TEMP]/cache`.
fn shim_pip(ctx: &TestContext, cache: &str) -> Command {
    let mut cmd = ctx.command(ctx.venv().bin().join("pip"));
    ctx.venv().activate(&mut cmd);
    cmd.env("PYPROV_TRUSTED_ROOT", ctx.trusted_root())
        .env("PYPROV_CACHE_DIR", ctx.path(cache));
    cmd
}

/// The real pip, as `python -m pip`.
fn real(ctx: &TestContext, args: &[&str]) -> Output {
    let mut a = vec!["-m", "pip"];
    a.extend_from_slice(args);
    run(ctx, &ctx.venv().python(), &a)
}

/// Runs `cmd`, retrying while the executable is busy: a copied binary can be briefly held open
/// by a child another test thread forked before the copy's descriptor closed (ETXTBSY).
fn output(cmd: &mut Command) -> Output {
    for _ in 0..50 {
        match cmd.output() {
            Err(e) if e.raw_os_error() == Some(26) => {
                std::thread::sleep(std::time::Duration::from_millis(100))
            }
            other => return other.unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}")),
        }
    }
    panic!("{cmd:?} stayed busy");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn pass_through_commands_are_pips_own_under_every_name() {
    let ctx = TestContext::new();
    let wheel = dists::wheel("alpha", "1.0", &[], &[]);
    let path = wheel.write_to(ctx.temp());
    let out = real(&ctx, &["install", "--no-index", path.to_str().unwrap()]);
    assert!(out.status.success());
    // A copy named pip3.11 as well as the links.
    shim(&ctx);
    let me = crate::support::context::pyprov_bin();
    let copy = ctx.venv().bin().join("pip3.99");
    std::fs::copy(&me, &copy).unwrap();
    for name in ["pip", "pip3", "pip3.99"] {
        let alias = ctx.venv().bin().join(name);
        for args in [
            vec!["--version"],
            vec!["list"],
            vec!["freeze"],
            vec!["show", "alpha"],
            vec!["config", "list"],
            vec!["no-such-command"],
            vec!["uninstall", "-y", "no-such-package"],
            vec!["-v", "list", "--format", "json"],
        ] {
            let want = real(&ctx, &args);
            let got = run(&ctx, &alias, &args);
            assert_eq!(got.status.code(), want.status.code(), "{name} {args:?}");
            assert_eq!(got.stdout, want.stdout, "{name} {args:?} stdout");
            assert_eq!(got.stderr, want.stderr, "{name} {args:?} stderr");
        }
    }
    // `pyprov pip` is the same drop-in under any name.
    let got = output(
        ctx.pyprov()
            .args(["pip", "list"])
            .env("VIRTUAL_ENV", ctx.venv().root()),
    );
    assert_eq!(got.stdout, real(&ctx, &["list"]).stdout);
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn install_through_the_alias_verifies() {
    let ctx = TestContext::new();
    let alpha = dists::wheel("alpha", "1.0", &["beta"], &[]);
    let beta = dists::wheel("beta", "2.0", &[], &[]);
    ctx.publish(&alpha, REPO);
    ctx.publish(&beta, REPO);
    shim(&ctx);
    let pip = ctx.venv().bin().join("pip");
    let out = run(&ctx, &pip, &["install", "-i", &ctx.index().url(), "alpha"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    snapshot!(ctx, "install_through_the_alias", err);
    assert!(ctx.venv().has_package("alpha") && ctx.venv().has_package("beta"));

    // A tampered file is refused and nothing changes.
    let gamma = dists::wheel("gamma", "1.0", &[], &[]);
    ctx.publish(&gamma, REPO);
    ctx.index().lie(
        &gamma.filename,
        Lie::TamperedBytes(b"PK\x03\x04 evil".to_vec()),
    );
    let before = ctx.venv().freeze();
    let out = run(&ctx, &pip, &["install", "-i", &ctx.index().url(), "gamma"]);
    assert_eq!(out.status.code(), Some(1));
    snapshot!(
        ctx,
        "tampered_through_the_alias",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(ctx.venv().freeze(), before);
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn pip_configuration_reaches_resolution() {
    let ctx = TestContext::new();
    let alpha = dists::wheel("alpha", "1.0", &[], &[]);
    ctx.publish(&alpha, REPO);
    shim(&ctx);
    // Through PIP_INDEX_URL.
    let out = shim_pip(&ctx, "cache")
        .env("PIP_INDEX_URL", ctx.index().url())
        .args(["install", "alpha"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(ctx.venv().has_package("alpha"));
    let out = real(&ctx, &["uninstall", "-y", "alpha"]);
    assert!(out.status.success());

    // Through a pip.conf file, read by the real pip.
    let conf = ctx.temp().join("pip.conf");
    std::fs::write(
        &conf,
        format!("[global]\nindex-url = {}\n", ctx.index().url()),
    )
    .unwrap();
    let out = shim_pip(&ctx, "cache2")
        .env("PIP_CONFIG_FILE", &conf)
        .args(["install", "alpha"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(ctx.venv().has_package("alpha"));
    assert!(!ctx.index().file_requests().is_empty());
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn credentials_from_pip_configuration_never_show() {
    let ctx = TestContext::new();
    let alpha = dists::wheel("alpha", "1.0", &[], &[]);
    ctx.publish(&alpha, REPO);
    shim(&ctx);
    let url = ctx
        .index()
        .url()
        .replace("http://", "http://deploy:hunter2-secret@");
    let out = shim_pip(&ctx, "cache")
        .env("PIP_INDEX_URL", &url)
        .args(["install", "-v", "alpha"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for stream in [&out.stdout, &out.stderr] {
        assert!(!String::from_utf8_lossy(stream).contains("hunter2"));
    }
    // And a failure message with the URL in it (for a package not installed yet: alpha is
    // already satisfied, and pip, like pyprov, would not ask the index about it).
    let dead = "http://deploy:hunter2-secret@127.0.0.1:9/simple/";
    let out = shim_pip(&ctx, "cache")
        .env("PIP_INDEX_URL", dead)
        .args(["install", "beta"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    for stream in [&out.stdout, &out.stderr] {
        assert!(!String::from_utf8_lossy(stream).contains("hunter2"));
    }
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn a_link_loop_is_refused() {
    let ctx = TestContext::new();
    shim(&ctx);
    let pip = ctx.venv().bin().join("pip");
    // The "real" pip is pyprov again.
    let other = ctx.temp().join("elsewhere");
    std::fs::create_dir(&other).unwrap();
    std::os::unix::fs::symlink(&pip, other.join("pip")).unwrap();
    let mut cmd = Command::new(&pip);
    ctx.venv().activate(&mut cmd);
    let out = cmd
        .env("PYPROV_REAL_PIP", other.join("pip"))
        .arg("list")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    snapshot!(ctx, "link_loop", String::from_utf8_lossy(&out.stderr));
    // A loop the checks cannot see (pyprov reached again through the real pip) stops too.
    let mut cmd = Command::new(&pip);
    ctx.venv().activate(&mut cmd);
    let out = cmd
        .env("PYPROV_ALIAS_ACTIVE", "1")
        .arg("list")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    snapshot!(
        ctx,
        "alias_reached_again",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn shim_remove_restores_the_real_pip() {
    let ctx = TestContext::new();
    let original = std::fs::read(ctx.venv().bin().join("pip")).unwrap();
    shim(&ctx);
    assert!(std::fs::symlink_metadata(ctx.venv().bin().join("pip"))
        .unwrap()
        .file_type()
        .is_symlink());
    let out = ctx.run(ctx.pyprov().args(["shim", "remove"]).arg(ctx.venv().bin()));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        std::fs::read(ctx.venv().bin().join("pip")).unwrap(),
        original
    );
    let out = run(&ctx, &ctx.venv().bin().join("pip"), &["--version"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("pip "));
}

/// A signed `gamma` whose file is replaced by another valid wheel (advertised with its own
/// sha256, so only the attestation tells): the real pip would install it.
fn publish_tampered_gamma(ctx: &TestContext) {
    let gamma = dists::wheel("gamma", "1.0", &[], &[]);
    ctx.publish(&gamma, REPO);
    let evil = dists::wheel(
        "gamma",
        "1.0",
        &[],
        &[("gamma/evil.py", b"print('evil')\n")],
    );
    ctx.index()
        .lie(&gamma.filename, Lie::TamperedBytes(evil.bytes.clone()));
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn general_options_before_the_command_do_not_hide_install() {
    let ctx = TestContext::new();
    publish_tampered_gamma(&ctx);
    shim(&ctx);
    let log = ctx.temp().join("pip.log");
    let log = log.to_str().unwrap();
    let cache = ctx.temp().join("pipcache");
    let cache = cache.to_str().unwrap();
    let before = ctx.venv().freeze();
    for args in [
        vec!["--default-timeout", "60", "install", "gamma"],
        vec!["--default-t", "60", "install", "gamma"],
        vec!["--default-timeout=60", "-v", "install", "gamma"],
        vec!["--local-log", log, "install", "gamma"],
        vec!["--cache-dir", cache, "install", "gamma"],
        vec!["--cache", cache, "install", "gamma"],
        vec!["--retr", "1", "-vq", "install", "gamma"],
        vec!["--", "install", "gamma"],
        vec!["-v", "install", "gamma"],
        // `-h` here is --log's value, not a request for help.
        vec!["install", "--log", "-h", "gamma"],
        vec!["--log", "-h", "install", "gamma"],
    ] {
        let out = output(
            shim_pip(&ctx, "cache")
                .env("PIP_INDEX_URL", ctx.index().url())
                .env("NO_COLOR", "1")
                .current_dir(ctx.temp())
                .args(&args),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        // The refusal's code, whatever pip's options around it.
        assert!(err.contains("provenance-invalid"), "{args:?}: {err}");
        assert_eq!(ctx.venv().freeze(), before, "{args:?}");
    }
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn download_without_a_directory_is_vetted_into_the_working_directory() {
    let ctx = TestContext::new();
    let alpha = dists::wheel("alpha", "1.0", &[], &[]);
    ctx.publish(&alpha, REPO);
    publish_tampered_gamma(&ctx);
    shim(&ctx);
    let here = ctx.temp().join("here");
    std::fs::create_dir(&here).unwrap();
    let pip = |args: &[&str]| {
        output(
            shim_pip(&ctx, "cache")
                .env("PIP_INDEX_URL", ctx.index().url())
                .env("NO_COLOR", "1")
                .current_dir(&here)
                .args(args),
        )
    };
    let out = pip(&["download", "gamma"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    snapshot!(ctx, "download_refused", err);
    assert_eq!(std::fs::read_dir(&here).unwrap().count(), 0);
    let out = pip(&["--default-timeout", "60", "download", "alpha"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(here.join(&alpha.filename)).unwrap(),
        alpha.bytes
    );
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn commands_that_fetch_outside_the_gate_are_refused() {
    let ctx = TestContext::with_pip(PipVersion::Newest);
    let index = ctx.index();
    index.add("alpha", dists::wheel("alpha", "1.0", &[], &[]));
    shim(&ctx);
    let real = format!("{} -m pip", ctx.venv().python().display());
    let wheel = format!(
        "error: pip wheel would fetch and build distributions pyprov has not verified, so this pip does not run it\n  fix: fetch verified files with `pyprov download -d DIR REQUIREMENTS`, then build wheels from those alone with `{real} wheel --no-index --find-links DIR REQUIREMENTS`\n"
    );
    let lock = String::from("error: pip lock would fetch distributions pyprov has not verified to resolve them, so this pip does not run it\n  fix: `pyprov lock` takes the same arguments and writes a pylock.toml of verified files, with each package's proven publisher\n");
    let query = |what: &str, args: &str| {
        format!(
            "error: {what} queries a package index outside pyprov's gate, so this pip does not run it\n  fix: if querying the index directly is acceptable, run the real pip: `{real} {args}`\n"
        )
    };
    let list = "pip list --outdated/--uptodate";
    // The words, extra environment, and pyprov's whole answer.
    type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, String);
    let cases: Vec<Case> = vec![
        (vec!["wheel", "alpha"], vec![], wheel.clone()),
        (vec!["-v", "wheel", "-w", "out", "alpha"], vec![], wheel),
        (vec!["lock", "alpha"], vec![], lock.clone()),
        (vec!["--default-t", "5", "lock", "alpha"], vec![], lock),
        (
            vec!["index", "versions", "alpha"],
            vec![],
            query("pip index", "index versions alpha"),
        ),
        (
            vec!["search", "alpha"],
            vec![],
            query("pip search", "search alpha"),
        ),
        (
            vec!["list", "--outdated"],
            vec![],
            query(list, "list --outdated"),
        ),
        (vec!["list", "-lo"], vec![], query(list, "list -lo")),
        (
            vec!["-q", "list", "--upto"],
            vec![],
            query(list, "-q list --upto"),
        ),
        (
            vec!["list", "--format=json"],
            vec![("PIP_OUTDATED", "1")],
            query(
                "pip list with outdated or uptodate set in pip's configuration",
                "list --format=json",
            ),
        ),
    ];
    for (args, env, want) in cases {
        let out = output(
            shim_pip(&ctx, "cache")
                .env("PIP_INDEX_URL", index.url())
                .envs(env)
                .args(&args),
        );
        assert_eq!(String::from_utf8_lossy(&out.stderr), want, "{args:?}");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(index.requests().is_empty(), "{args:?} reached the index");
    }
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn commands_that_fetch_nothing_still_pass_through() {
    let ctx = TestContext::new();
    shim(&ctx);
    let pip = ctx.venv().bin().join("pip");
    for args in [
        vec!["help"],
        vec!["help", "install"],
        vec!["install", "-h"],
        vec!["--default-t", "60", "list"],
        vec!["list", "--format", "freeze", "--local"],
        vec!["-V", "install", "alpha"],
        vec!["--version"],
    ] {
        let want = real(&ctx, &args);
        let got = run(&ctx, &pip, &args);
        assert_eq!(got.status.code(), want.status.code(), "{args:?}");
        assert_eq!(got.stdout, want.stdout, "{args:?} stdout");
        assert_eq!(got.stderr, want.stderr, "{args:?} stderr");
    }
}
