//! Verification speed over the real attestations of the corpus (issue 1, "Speed"): at most 1 ms
//! per attestation on one core, and under 10 ms from process start to verdict for one file.
//!
//! Run it with `cargo bench --bench verify` (docs/limits-and-fuzzing.md). A plain program, not a
//! libtest harness: it prints its figures, marks any over budget with OVER, and never fails.
//! Run without `--bench` (e.g. by `cargo test --benches`) it does one quick pass as a smoke test.
//!
//! What it measures:
//! 1. `Engine` construction (trusted-root parse and key loading), production and staging;
//! 2. `Document::parse` + `Engine::verify` for every distinct passing PEP 740 attestation and
//!    provenance object of the corpus manifest, each many times after a warm-up, on this thread
//!    pinned to one CPU;
//! 3. SHA-256 throughput of the streaming hasher (what a large dist costs before verification);
//! 4. the release binary, `pyprov verify <dist> --attestation <att> --publisher ...`, spawned
//!    repeatedly: wall time from spawn to exit.
//!
//! Knobs (environment): `PYPROV_BENCH_ITERS` (verifications per attestation, default 2000),
//! `PYPROV_BENCH_RUNS` (process runs, default 50), `PYPROV_CORPUS` (default ../shared/corpus).

// A test may panic: that is how it fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::string_slice)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pyprov::verify::{Artifact, Document, Engine, Expectation, PublisherSpec};
use serde_json::Value;

const PYPROV: &str = env!("CARGO_BIN_EXE_pyprov");
const STAGING_ROOT: &str = "files/trust/sigstore-python-4.5.1/staging/trusted_root.json";
const ATTESTATION_BUDGET: Duration = Duration::from_millis(1);
const PROCESS_BUDGET: Duration = Duration::from_millis(10);

fn corpus() -> PathBuf {
    match std::env::var_os("PYPROV_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
    }
}

fn knob(name: &str, default: usize, quick: bool) -> usize {
    if quick {
        return 1;
    }
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Pins this thread to the CPU it is on (Linux), so "per attestation on one core" is what is
/// measured. Returns that CPU and the previous mask, to restore before spawning processes.
#[cfg(target_os = "linux")]
fn pin_to_one_cpu() -> Option<(usize, [u64; 16])> {
    extern "C" {
        fn sched_getcpu() -> i32;
        fn sched_getaffinity(pid: i32, size: usize, mask: *mut u64) -> i32;
    }
    let mut old = [0u64; 16];
    // SAFETY: plain libc calls on this thread; the masks are 1024-bit cpu_set_t buffers that
    // outlive the calls.
    unsafe {
        if sched_getaffinity(0, std::mem::size_of_val(&old), old.as_mut_ptr()) != 0 {
            return None;
        }
        let cpu = usize::try_from(sched_getcpu()).ok()?;
        let mut mask = [0u64; 16];
        mask[cpu / 64] |= 1 << (cpu % 64);
        set_affinity(&mask).then_some((cpu, old))
    }
}

#[cfg(target_os = "linux")]
fn set_affinity(mask: &[u64; 16]) -> bool {
    extern "C" {
        fn sched_setaffinity(pid: i32, size: usize, mask: *const u64) -> i32;
    }
    // SAFETY: as above.
    unsafe { sched_setaffinity(0, std::mem::size_of_val(mask), mask.as_ptr()) == 0 }
}

#[cfg(not(target_os = "linux"))]
fn pin_to_one_cpu() -> Option<(usize, [u64; 16])> {
    None
}

#[cfg(not(target_os = "linux"))]
fn set_affinity(_: &[u64; 16]) -> bool {
    false
}

struct Stats {
    min: Duration,
    median: Duration,
    p95: Duration,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    Stats {
        min: samples[0],
        median: at(0.5),
        p95: at(0.95),
    }
}

fn us(d: Duration) -> String {
    format!("{:>8.1} µs", d.as_secs_f64() * 1e6)
}

fn ms(d: Duration) -> String {
    format!("{:>6.2} ms", d.as_secs_f64() * 1e3)
}

fn verdict(d: Duration, budget: Duration) -> &'static str {
    if d <= budget {
        "ok"
    } else {
        "OVER"
    }
}

/// One passing PEP 740 case of the manifest.
struct Case {
    id: String,
    bytes: Vec<u8>,
    name: String,
    sha256: [u8; 32],
    staging: bool,
    expect: Expectation,
}

fn cases(corpus: &Path) -> Vec<Case> {
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(corpus.join("manifest.json")).expect("manifest"))
            .expect("manifest is JSON");
    let mut out: Vec<(String, Case)> = Vec::new();
    for c in manifest.as_array().expect("a list") {
        let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
        let kind = s("kind");
        if s("expected_verdict") != "pass"
            || c["dist_included"] != Value::Bool(true)
            || (kind != "pep740-attestation" && kind != "pep740-provenance")
        {
            continue;
        }
        let staging = match s("trust_root").as_str() {
            "production" => false,
            "staging" => true,
            _ => continue,
        };
        let provenance = s("provenance");
        if out.iter().any(|(p, _)| *p == provenance) {
            continue;
        }
        let dist = corpus.join(s("dist"));
        let policy = &c["policy"];
        let f = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
        let expect = if let Some(p) = policy.get("publisher") {
            let spec = match f(p, "kind").as_str() {
                "GitHub" => format!("github:{}/{}", f(p, "repository"), f(p, "workflow")),
                "GitLab" => format!(
                    "gitlab:{}//{}",
                    f(p, "repository"),
                    f(p, "workflow_filepath")
                ),
                other => panic!("publisher kind {other}"),
            };
            Expectation::Publisher {
                publishers: vec![spec.parse::<PublisherSpec>().expect("spec")],
                environment: None,
            }
        } else if let Some(repo) = policy["repository"].as_str() {
            let repo = repo.trim_start_matches("https://github.com/");
            Expectation::Publisher {
                publishers: vec![format!("github:{repo}").parse().expect("spec")],
                environment: None,
            }
        } else {
            Expectation::Identity {
                san: f(policy, "identity"),
                issuer: f(policy, "issuer"),
            }
        };
        let case = Case {
            id: s("id"),
            bytes: std::fs::read(corpus.join(&provenance)).expect("provenance"),
            name: pyprov::files::file_name(&dist),
            sha256: pyprov::files::sha256_file(&dist).expect("dist"),
            staging,
            expect,
        };
        out.push((provenance, case));
    }
    out.into_iter().map(|(_, c)| c).collect()
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let out = f();
    (start.elapsed(), out)
}

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let corpus = corpus();
    let iters = knob("PYPROV_BENCH_ITERS", 2000, quick);
    let runs = knob("PYPROV_BENCH_RUNS", 50, quick);
    let pinned = pin_to_one_cpu();
    println!(
        "pyprov verification benchmark{} (pinned to CPU {})",
        if quick { " — quick pass" } else { "" },
        pinned.map_or("none".into(), |(c, _)| c.to_string())
    );

    // 1. Engine construction.
    let staging_json = std::fs::read_to_string(corpus.join(STAGING_ROOT)).expect("staging root");
    println!("\nEngine construction ({} runs each)", runs.max(5));
    let construction = |label: &str, build: &dyn Fn() -> Engine| {
        let samples = (0..runs.max(5)).map(|_| time(build).0).collect();
        let s = stats(samples);
        println!(
            "  {label:<52} median {}  p95 {}  min {}",
            us(s.median),
            us(s.p95),
            us(s.min)
        );
    };
    construction("production (embedded root)", &|| {
        Engine::production().expect("production root")
    });
    construction("staging (corpus trusted_root.json)", &|| {
        Engine::from_trusted_root_json(&staging_json).expect("staging root")
    });
    let production = Engine::production().expect("production root");
    let staging = Engine::from_trusted_root_json(&staging_json).expect("staging root");

    // 2. Parse + verify per attestation.
    let cases = cases(&corpus);
    assert!(
        !cases.is_empty(),
        "no passing PEP 740 cases under {}",
        corpus.display()
    );
    println!(
        "\nDocument::parse + Engine::verify, one core ({iters} iterations after {} warm-up; budget {} per attestation)",
        iters.min(200),
        us(ATTESTATION_BUDGET).trim()
    );
    let mut worst = Duration::ZERO;
    for case in &cases {
        let engine = if case.staging { &staging } else { &production };
        let run = || {
            let doc = Document::parse(&case.bytes).expect("parses");
            engine
                .verify(
                    Artifact {
                        name: &case.name,
                        sha256: &case.sha256,
                    },
                    &doc,
                    &case.expect,
                )
                .unwrap_or_else(|f| panic!("{} must verify: {f}", case.id))
        };
        let attestations = run().attestations;
        for _ in 0..iters.min(200) {
            std::hint::black_box(run());
        }
        let samples = (0..iters)
            .map(|_| time(|| std::hint::black_box(run())).0 / attestations as u32)
            .collect();
        let s = stats(samples);
        worst = worst.max(s.median);
        let parse_only = (0..iters.min(500))
            .map(|_| {
                time(|| std::hint::black_box(Document::parse(&case.bytes).expect("parses"))).0
                    / attestations as u32
            })
            .collect();
        println!(
            "  {:<52} median {}  p95 {}  min {}  {:<4}  (parse alone {})",
            case.id,
            us(s.median),
            us(s.p95),
            us(s.min),
            verdict(s.median, ATTESTATION_BUDGET),
            us(stats(parse_only).median).trim()
        );
    }

    // 3. Streaming hash throughput.
    struct Zeros(u64);
    impl std::io::Read for Zeros {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = (buf.len() as u64).min(self.0) as usize;
            self.0 -= n as u64;
            Ok(n)
        }
    }
    let size: u64 = if quick { 16 << 20 } else { 256 << 20 };
    let (elapsed, _) = time(|| pyprov::files::sha256_reader(&mut Zeros(size)).expect("hash"));
    println!(
        "\nStreaming SHA-256: {} MiB in {} ({:.0} MiB/s; a 1 GiB dist adds about {})",
        size >> 20,
        ms(elapsed).trim(),
        (size >> 20) as f64 / elapsed.as_secs_f64(),
        ms(elapsed * ((1 << 30) / size) as u32).trim()
    );

    // 4. Process start to verdict, on any CPU as a user would run it.
    if let Some((_, old)) = pinned {
        set_affinity(&old);
    }
    let files = corpus.join("files/pypi-attestations");
    let dist = files.join("pypi_attestations-0.0.19.tar.gz");
    let att = files.join("pypi_attestations-0.0.19.tar.gz.publish.attestation");
    let command = || {
        let mut c = Command::new(PYPROV);
        c.arg("verify")
            .arg(&dist)
            .arg("--attestation")
            .arg(&att)
            .args([
                "--publisher",
                "github:trailofbits/pypi-attestations/release.yml",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    };
    let status = command().status().expect("spawn pyprov");
    assert!(status.success(), "pyprov verify failed: {status}");
    let samples = (0..runs)
        .map(|_| {
            let (d, status) = time(|| command().status().expect("spawn pyprov"));
            assert!(status.success());
            d
        })
        .collect();
    let s = stats(samples);
    println!(
        "\nProcess start to verdict: {} verify <dist> --attestation <att> --publisher ... ({runs} runs; budget {})",
        Path::new(PYPROV).display(),
        ms(PROCESS_BUDGET).trim()
    );
    println!(
        "  {:<52} median {}  p95 {}  min {}  {}",
        "pypi_attestations-0.0.19.tar.gz (publish attestation)",
        ms(s.median),
        ms(s.p95),
        ms(s.min),
        verdict(s.median, PROCESS_BUDGET)
    );

    println!(
        "\nSummary: slowest attestation median {} ({}), process median {} ({})",
        us(worst).trim(),
        verdict(worst, ATTESTATION_BUDGET),
        ms(s.median).trim(),
        verdict(s.median, PROCESS_BUDGET)
    );
}
