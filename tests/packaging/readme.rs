//! The README's commands run word for word, so the documentation cannot drift from what works:
//! its first command in a fresh copy of `fixtures/` and `examples/` with no `../shared` beside
//! it, the quick start for the user's own project, and the Docker and CI recipes, each in a fresh
//! virtualenv and a fresh working directory against a local index.

use std::path::Path;

use crate::support::context::{Run, TestContext};
use crate::support::dists;

const REPO: &str = "acme/widgets";

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The lines of the README's first fenced block in `lang`.
fn block(lang: &str) -> Vec<String> {
    let text = readme();
    let start = text
        .find(&format!("```{lang}\n"))
        .unwrap_or_else(|| panic!("README has no {lang} block"));
    let body = &text[start + lang.len() + 4..];
    let end = body.find("```").expect("closed block");
    body[..end].lines().map(str::to_string).collect()
}

/// A project (`requirements.txt` naming alpha, a trust file pinning alpha and beta) and an
/// index serving alpha and its dependency beta, signed by the throwaway Sigstore.
fn world() -> TestContext {
    let ctx = TestContext::new();
    for d in [
        dists::wheel("alpha", "1.0", &["beta"], &[]),
        dists::wheel("beta", "2.0", &[], &[]),
    ] {
        ctx.publish(&d, REPO);
    }
    ctx.write("requirements.txt", "alpha\n");
    ctx.trust_file(&format!(
        "[policy]\nunattested = \"deny\"\n\n[packages]\nalpha = {{ publisher = \"github:{REPO}/release.yml\" }}\nbeta = {{ publisher = \"github:{REPO}/release.yml\" }}\n"
    ));
    ctx
}

/// Runs one documented command line with bash in the project, as a Dockerfile RUN or a CI step
/// would: pyprov on `PATH`, the index in `PIP_INDEX_URL`, the test Sigstore's root in
/// `PYPROV_TRUSTED_ROOT`.
fn run(ctx: &TestContext, line: &str, env: &[(&str, String)]) -> Run {
    let _binary = super::hold_target_binary();
    let bin = Path::new(env!("CARGO_BIN_EXE_pyprov")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = ctx.command("bash");
    cmd.env("PATH", path)
        .env("PIP_INDEX_URL", ctx.index().url())
        .env("PYPROV_TRUSTED_ROOT", ctx.trusted_root())
        .args(["-c", line]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    ctx.run(&mut cmd)
}

fn installed(venv: &Path, name: &str) -> bool {
    std::fs::read_dir(venv.join("lib"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .any(|py| {
            std::fs::read_dir(py.path().join("site-packages"))
                .into_iter()
                .flatten()
                .filter_map(Result::ok)
                .any(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with(&format!("{name}-"))
                })
        })
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn docker_recipe() {
    let lines = block("dockerfile");
    let world = world();
    let venv = world.path("opt-venv");
    let runs: Vec<String> = lines
        .iter()
        .skip_while(|l| !l.starts_with("FROM python"))
        .filter_map(|l| l.strip_prefix("RUN "))
        .map(|l| l.replace("/opt/venv", &venv.display().to_string()))
        .collect();
    assert_eq!(
        runs.len(),
        3,
        "the final stage's RUN lines changed; update this test: {runs:?}"
    );
    let path = format!(
        "{}:{}",
        venv.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let envs: Vec<&String> = lines.iter().filter(|l| l.starts_with("ENV ")).collect();
    assert_eq!(
        envs,
        vec!["ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH PYPROV_LOCKED=1"],
        "the final stage's ENV changed; update this test"
    );
    let bin = Path::new(env!("CARGO_BIN_EXE_pyprov")).parent().unwrap();
    let env = [
        ("VIRTUAL_ENV", venv.display().to_string()),
        ("PATH", format!("{}:{path}", bin.display())),
        ("PYPROV_LOCKED", "1".to_string()),
    ];
    for line in &runs {
        let out = run(&world, line, &env);
        assert_eq!(out.code, 0, "{line}");
    }
    assert!(installed(&venv, "alpha") && installed(&venv, "beta"));
    // After the shim, a later `pip install` in the image is verified too.
    let gamma = dists::wheel("gamma", "1.0", &[], &[]);
    let p = dists::provenance_for(world.pki(), &gamma, "evil/gamma", "release.yml");
    world.index().add_with_provenance("gamma", gamma, Some(p));
    let out = run(&world, "pip install gamma", &env);
    assert_eq!(out.code, 1, "a package with no entry, locked");
    assert!(!installed(&venv, "gamma"));
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn ci_recipe() {
    let lines = block("yaml");
    let world = world();
    let steps: Vec<String> = lines
        .iter()
        .filter_map(|l| l.trim().strip_prefix("- run: "))
        .filter(|l| !l.starts_with("cargo install"))
        .map(str::to_string)
        .collect();
    assert_eq!(
        steps,
        vec![
            "python -m venv .venv".to_string(),
            "pyprov install --python .venv/bin/python -r requirements.txt".to_string()
        ],
        "the CI steps changed; update this test"
    );
    let ci = [("CI", "true".to_string())];
    for step in &steps {
        let out = run(&world, step, &ci);
        assert_eq!(out.code, 0, "{step}");
    }
    let venv = world.work_path(".venv");
    assert!(installed(&venv, "alpha") && installed(&venv, "beta"));

    // In CI pyprov is locked: a package with no entry fails the job, and nothing is written.
    std::fs::write(
        world.work_path("pyprov.toml"),
        "[policy]\ntofu = true\nunattested = \"deny\"\n",
    )
    .unwrap();
    std::fs::remove_dir_all(&venv).unwrap();
    let out = run(&world, &steps[0], &ci);
    assert_eq!(out.code, 0);
    let out = run(&world, &steps[1], &ci);
    assert_eq!(out.code, 1);
    snapshot!(world, "ci_locked_unknown_package", out.stderr);
    assert_eq!(
        std::fs::read_to_string(world.work_path("pyprov.toml")).unwrap(),
        "[policy]\ntofu = true\nunattested = \"deny\"\n"
    );

    // With no pyprov.toml committed, the job fails (exit 2) before anything is fetched, and
    // says how to create one.
    std::fs::remove_file(world.work_path("pyprov.toml")).unwrap();
    let requests = world.index().requests().len();
    let out = run(&world, &steps[1], &ci);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("there is no trust file"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("pyprov trust add"), "{}", out.stderr);
    assert_eq!(
        world.index().requests().len(),
        requests,
        "nothing is fetched"
    );
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn first_command_installs_a_verified_release() {
    let text = readme();
    let first = text
        .lines()
        .skip_while(|l| *l != "```sh")
        .nth(1)
        .expect("the README starts with a command block");
    let rest = first
        .strip_prefix("cargo install --locked --path . && ")
        .expect("the first command installs pyprov with cargo, then runs it");
    assert!(
        !rest.contains("../"),
        "the first command must work in a fresh clone, with nothing beside it: {rest}"
    );
    // A fresh clone as a newcomer has it: only the files the command reads (fixtures/ and
    // examples/), copied, and no ../shared (nor anything else) beside it.
    let ctx = TestContext::new();
    let clone = ctx.path("fresh/pyprov");
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["fixtures", "examples"] {
        copy_dir(&manifest.join(dir), &clone.join(dir));
    }
    assert!(!clone.join("../shared").exists());
    let venv = ctx.path("demo");
    let line = rest.replace("/tmp/pyprov-demo", &venv.display().to_string());
    let bin = Path::new(env!("CARGO_BIN_EXE_pyprov")).parent().unwrap();
    let _binary = super::hold_target_binary();
    let out = ctx.run(
        ctx.command("bash")
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    bin.display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env_remove("PYPROV_TRUSTED_ROOT")
            .current_dir(&clone)
            .args(["-c", &line]),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    // rfc8785 allowed, signed on Sigstore's staging instance.
    snapshot!(ctx, "first_command", out.stderr);
    assert!(installed(&venv, "rfc8785"));
}

/// Copies the tree `from` to `to`.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn every_stable_code_is_documented() {
    let readme = readme();
    for r in pyprov::verify::Reason::ALL {
        assert!(
            readme.contains(&format!("`{}`", r.code())),
            "README lacks {}",
            r.code()
        );
    }
    let trust_doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/trust-file.md"))
            .unwrap();
    for c in pyprov::trust::policy::Code::ALL {
        assert!(
            trust_doc.contains(&format!("`{}`", c.as_str())),
            "docs/trust-file.md lacks {}",
            c.as_str()
        );
    }
}

/// The lines of the first fenced block after the heading `heading`.
fn block_under(heading: &str) -> Vec<String> {
    let text = readme();
    let at = text
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("README has no `{heading}`"));
    let section = &text[at..];
    let start = section.find("```").expect("a block in the section");
    let body = &section[start..];
    let body = &body[body.find('\n').expect("block header line") + 1..];
    let end = body.find("```").expect("closed block");
    body[..end].lines().map(str::to_string).collect()
}

/// The quick start for the user's own project, run word for word in a fresh project with no
/// `../shared` beside it: the first install with no trust file, the first trust file, and the
/// CI run (`--locked`, `CI=true`) into a fresh virtualenv. The index serves alpha, signed by
/// `acme/widgets` with the test Sigstore; NAME and OWNER/REPO become alpha and acme/widgets.
#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn quick_start_runs_in_a_fresh_project() {
    let commands: Vec<String> = block_under("## Quick start: your own project")
        .into_iter()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .collect();
    assert_eq!(
        commands.len(),
        4,
        "the quick start's commands changed; update this test: {commands:?}"
    );
    assert!(
        commands[0].starts_with("cargo install --locked "),
        "the quick start first installs pyprov with cargo: {}",
        commands[0]
    );
    let ctx = TestContext::new();
    ctx.publish(&dists::wheel("alpha", "1.0", &[], &[]), REPO);
    ctx.write("requirements.txt", "alpha\n");
    assert!(!ctx.work_path("../shared").exists());
    let venv = ctx.new_venv("venv");
    let bin = Path::new(env!("CARGO_BIN_EXE_pyprov")).parent().unwrap();
    let active = |root: &Path| {
        [
            ("VIRTUAL_ENV", root.display().to_string()),
            (
                "PATH",
                format!(
                    "{}:{}:{}",
                    root.join("bin").display(),
                    bin.display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            ),
        ]
    };

    let out = run(&ctx, &commands[1], &active(venv.root()));
    assert_eq!(out.code, 0, "{}: {}", commands[1], out.stderr);
    assert!(installed(venv.root(), "alpha"));

    let add = commands[2]
        .replace("NAME", "alpha")
        .replace("OWNER/REPO", REPO);
    let out = run(&ctx, &add, &active(venv.root()));
    assert_eq!(out.code, 0, "{add}: {}", out.stderr);
    assert!(
        ctx.read_trust_file()
            .contains(&format!("alpha = {{ publisher = \"github:{REPO}\" }}")),
        "{}",
        ctx.read_trust_file()
    );

    let ci_venv = ctx.new_venv("ci-venv");
    let mut env = active(ci_venv.root()).to_vec();
    env.push(("CI", "true".to_string()));
    let before = ctx.read_trust_file();
    let out = run(&ctx, &commands[3], &env);
    assert_eq!(out.code, 0, "{}: {}", commands[3], out.stderr);
    assert!(installed(ci_venv.root(), "alpha"));
    assert_eq!(
        ctx.read_trust_file(),
        before,
        "--locked wrote the trust file"
    );
}

/// The quick start's `pyprov verify` example passes in a fresh copy of `fixtures/`, offline,
/// against the embedded production root.
#[test]
fn quick_start_verify_example_passes_offline() {
    let text = readme();
    let section = text
        .split("\n## Quick start: your own project\n")
        .nth(1)
        .expect("README has the quick start");
    let section = section.split("\n## ").next().unwrap_or(section);
    let line = section
        .lines()
        .find(|l| l.starts_with("pyprov verify fixtures/"))
        .expect("the quick start has a `pyprov verify fixtures/...` example");
    let ctx = TestContext::new();
    let clone = ctx.path("fresh/pyprov");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        &clone.join("fixtures"),
    );
    let bin = Path::new(env!("CARGO_BIN_EXE_pyprov")).parent().unwrap();
    let _binary = super::hold_target_binary();
    let out = ctx.run(
        ctx.command("bash")
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    bin.display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env_remove("PYPROV_TRUSTED_ROOT")
            .current_dir(&clone)
            .args(["-c", line]),
    );
    assert_eq!(out.code, 0, "{line}: {}", out.stderr);
    snapshot!(ctx, "quick_start_verify", out.stdout);
}
