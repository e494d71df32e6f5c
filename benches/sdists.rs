//! `pyprov install` of packages that only exist as sdists, against `pip install`: where the time
//! goes when sdists must be built, and how often each build hook runs.
//!
//! Run it with `cargo bench --bench sdists` (see docs/benchmarks.md). Like benches/install.rs it
//! is not a test and returns at once without `--bench`.
//!
//! The set: `sapp`, an sdist depending on four more sdists (`sdep-a` … `sdep-d`), all built by
//! the tests' build backend (`pyprov-test-backend`, a wheel on the same index, which each build
//! environment installs), every file signed by the tests' throwaway Sigstore and served from
//! the loopback index. Each sdist logs every backend hook it runs to a file, so the benchmark
//! reports how many times pip and pyprov ran `get_requires_for_build_wheel`,
//! `prepare_metadata_for_build_wheel` and `build_wheel` per sdist. Each run installs into a
//! fresh virtualenv made before the clock starts, with no cache (pip's `--no-cache-dir`, a new
//! pyprov cache directory).
//!
//! Knobs: `PYPROV_BENCH_ROUNDS` (default 3), `PYPROV_BENCH_PIP` (`oldest`: 22.2.2, `newest`:
//! 26.3, default; both need `PYPROV_TEST_ASSETS` as for the tests, or `bundled`),
//! `PYPROV_BENCH_PYPROV` (another pyprov binary to time instead of this one, e.g. an older
//! build, for a before-and-after).

// A test may panic: that is how it fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::string_slice)]

#[path = "../tests/support/mod.rs"]
#[allow(dead_code)]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use support::dists::{self, Dist};
use support::index::TestIndex;
use support::venv::{PipVersion, Venv};

const DEPS: &[&str] = &["sdep-a", "sdep-b", "sdep-c", "sdep-d"];

struct Fixture {
    dir: tempfile::TempDir,
    root: PathBuf,
    work: PathBuf,
    index: TestIndex,
    /// Each sdist's hook log.
    markers: Vec<(String, PathBuf)>,
}

fn fixture() -> Fixture {
    let (dir, pki, root, work) = support::project_sandbox();
    let index = TestIndex::new();
    index.publish(&pki, &dists::backend_wheel(), "bench/backend");
    let mut markers = Vec::new();
    let mut sdists: Vec<Dist> = Vec::new();
    for name in DEPS {
        let marker = dir.path().join(format!("{name}.hooks"));
        sdists.push(dists::sdist_with_deps(name, "1.0", &[], &[], Some(&marker)));
        markers.push((name.to_string(), marker));
    }
    let marker = dir.path().join("sapp.hooks");
    sdists.push(dists::sdist_with_deps(
        "sapp",
        "1.0",
        DEPS,
        &[],
        Some(&marker),
    ));
    markers.push(("sapp".to_string(), marker));
    for s in &sdists {
        index.publish(&pki, s, &format!("bench/{}", s.project()));
    }
    Fixture {
        dir,
        root,
        work,
        index,
        markers,
    }
}

/// Every hook run since the last call, summed over the sdists, and the logs emptied.
fn take_hooks(fx: &Fixture) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for (_, marker) in &fx.markers {
        for hook in std::fs::read_to_string(marker).unwrap_or_default().lines() {
            *counts.entry(hook.to_string()).or_insert(0) += 1;
        }
        let _ = std::fs::remove_file(marker);
    }
    counts
}

#[derive(Clone, Copy, PartialEq)]
enum Tool {
    Pip,
    Pyprov,
}

fn command(fx: &Fixture, tool: Tool, python: &Path, cache: &Path, pyprov: &Path) -> Command {
    let mut cmd = match tool {
        Tool::Pip => {
            let mut c = Command::new(python);
            c.args(["-m", "pip", "install", "--no-cache-dir"]);
            c
        }
        Tool::Pyprov => {
            let mut c = Command::new(pyprov);
            c.args(["install", "--python"])
                .arg(python)
                .arg("--trusted-root")
                .arg(&fx.root);
            c
        }
    };
    Venv::clean_env(&mut cmd);
    cmd.env_remove("CI")
        .env("PYPROV_CACHE_DIR", cache)
        .env("NO_COLOR", "1")
        .current_dir(&fx.work)
        .args([
            "--disable-pip-version-check",
            "-q",
            "-i",
            &fx.index.url(),
            "sapp",
        ]);
    cmd
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("benches/sdists.rs is a benchmark: run it with `cargo bench --bench sdists`");
        return;
    }
    let rounds: usize = std::env::var("PYPROV_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let pip = match std::env::var("PYPROV_BENCH_PIP").as_deref() {
        Ok("oldest") => PipVersion::Oldest,
        Ok("bundled") => PipVersion::Bundled,
        _ => PipVersion::Newest,
    };
    let pyprov = std::env::var_os("PYPROV_BENCH_PYPROV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_pyprov")));
    let fx = fixture();
    let runs = fx.dir.path().join("runs");
    println!(
        "pyprov sdist benchmark (benches/sdists.rs): sapp and {} dependencies, all sdists; pip {}; {}; {rounds} rounds",
        DEPS.len(),
        pip.version().unwrap_or("bundled"),
        pyprov.display()
    );
    let mut times: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut hooks: BTreeMap<&str, BTreeMap<String, usize>> = BTreeMap::new();
    for round in 0..rounds {
        let order = if round % 2 == 0 {
            [Tool::Pip, Tool::Pyprov]
        } else {
            [Tool::Pyprov, Tool::Pip]
        };
        for tool in order {
            let key = if tool == Tool::Pip { "pip" } else { "pyprov" };
            let dir = runs.join(format!("{key}-{round}"));
            let venv = Venv::create_with(&dir.join("venv"), pip);
            let cache = dir.join("cache");
            take_hooks(&fx);
            let t = Instant::now();
            let out = command(&fx, tool, &venv.python(), &cache, &pyprov)
                .output()
                .expect("run");
            let wall = t.elapsed().as_secs_f64();
            assert!(
                out.status.success() && venv.has_package("sapp"),
                "{key} failed:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            times.entry(key).or_default().push(wall);
            hooks.insert(key, take_hooks(&fx));
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    let per = |key: &str| -> String {
        hooks
            .get(key)
            .map(|h| {
                h.iter()
                    .map(|(k, n)| format!("{k} {:.1}", *n as f64 / (DEPS.len() + 1) as f64))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    let mut pip_times = times.remove("pip").unwrap_or_default();
    let mut pyprov_times = times.remove("pyprov").unwrap_or_default();
    let (p, q) = (median(&mut pip_times), median(&mut pyprov_times));
    println!(
        "pip install sapp     median {p:>6.2} s   hooks per sdist: {}",
        per("pip")
    );
    println!(
        "pyprov install sapp  median {q:>6.2} s   hooks per sdist: {}",
        per("pyprov")
    );
    println!("pyprov / pip: {:.2}x", if p > 0.0 { q / p } else { 0.0 });

    // Where pyprov's time goes: every process run through the venv's interpreter, timed by a
    // wrapper (the build environments' own pips run under the real interpreter, inside them).
    let dir = runs.join("breakdown");
    let venv = Venv::create_with(&dir.join("venv"), pip);
    let (wrapper, log) = support::logged_python(&venv.python(), &dir);
    let t0 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let t = Instant::now();
    let out = command(&fx, Tool::Pyprov, &wrapper, &dir.join("cache"), &pyprov)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "\nwhere pyprov's time goes ({:.2} s in all):",
        t.elapsed().as_secs_f64()
    );
    let mut last = t0;
    for line in std::fs::read_to_string(&log).unwrap_or_default().lines() {
        let mut parts = line.splitn(3, ' ');
        let (Some(s), Some(e), Some(args)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let (s, e): (f64, f64) = (s.parse().unwrap_or(0.0), e.parse().unwrap_or(0.0));
        let what = if args.contains("--dry-run") {
            "pip install --dry-run --report (resolution)"
        } else if args.contains(" wheel ") {
            "pip wheel (the gate builds a vetted sdist)"
        } else if args.contains("--require-hashes") {
            "pip install --require-hashes --no-deps (install)"
        } else if args.contains("get_scheme") {
            "marks (REQUESTED, direct_url.json)"
        } else if args.contains("create_command") {
            "probe (pip's version, configuration, environment)"
        } else {
            "other"
        };
        println!(
            "  at {:>5.2} s  {:>5.2} s  {what}",
            (s - t0).max(0.0),
            e - s
        );
        last = last.max(e);
    }
}
