//! `pyprov install -r` against `pip install -r`: the benchmark of issue 4 ("Speed").
//!
//! Run it with `cargo bench --bench install` (see docs/benchmarks.md). It is not a test:
//! `cargo test` does not build it, and run without `--bench` (e.g. by `cargo test
//! --all-targets`) it returns at once.
//!
//! What it does, all inside one temporary directory:
//! 1. builds 48 wheels of realistic shape (20-60 generated Python modules of a few KB each,
//!    some depending on others, a few projects with an older version too), signs a PEP 740
//!    provenance object for every file with the test Sigstore CA (tests/support/pki.rs), and
//!    serves them from the loopback index of the tests (tests/support/index.rs) with PEP 658
//!    metadata, PEP 740 provenance and cacheable file responses (so pip's HTTP cache can store
//!    them);
//! 2. writes `requirements.txt` (the top-level names, unpinned), `requirements-hashes.txt` (every
//!    resolved pin with its `--hash`, as `pip-compile --generate-hashes` would) and the test CA's
//!    `trusted_root.json`;
//! 3. fills the warm caches with one untimed run each and checks that pip's HTTP cache really
//!    holds the wheels and that pyprov verified every file;
//! 4. runs every command once per round, for several rounds (each round in a rotated order), each
//!    into a fresh virtualenv made before the clock starts;
//! 5. prints the medians, the pyprov/pip ratios and whether the issue's goals hold, then one
//!    instrumented run of each pyprov command that shows where its time goes.
//!
//! Knobs (environment): `PYPROV_BENCH_ROUNDS` (default 5), `PYPROV_BENCH_PACKAGES` (default 48,
//! at least 40), `PYPROV_BENCH_ONLY` (comma-separated row keys, e.g. `pip-cold,pyprov-cold`),
//! `PYPROV_BENCH_KEEP=1` (keep the temporary directory: wheels, requirement files, trusted root),
//! `PYPROV_BENCH_PIP_LOG=1` (pip's rows write `--log` files into the temporary directory),
//! `PYPROV_BENCH_LATENCY_MS` (default 0: the index waits this long before every answer, like an
//! index across a network),
//! `PYPROV_TEST_PYTHON` (the base interpreter, as for the tests).

// A test may panic: that is how it fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::string_slice)]

#[path = "../tests/support/mod.rs"]
#[allow(dead_code)]
mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use support::dists::{self, escaped_name, Dist};
use support::index::TestIndex;
use support::pki::TestPki;
use support::venv::Venv;

const PYPROV: &str = env!("CARGO_BIN_EXE_pyprov");

// ---------------------------------------------------------------------------------------------
// The package set

const WORDS: &[&str] = &[
    "amber", "basil", "cedar", "delta", "ember", "fjord", "garnet", "harbor", "indigo", "juniper",
    "kestrel", "lumen", "marlin", "nectar", "onyx", "pollen", "quartz", "raven", "sierra",
    "tundra", "umber", "vesper", "willow", "yarrow", "zephyr", "aspen", "birch", "cobalt", "dune",
    "egret", "falcon", "glacier", "heron", "iris", "jasper", "kelp", "lotus", "mesa", "nimbus",
    "orchid", "prairie", "quill", "reef", "sable", "thistle", "upland", "valley", "wren", "yucca",
    "zinnia",
];
const KINDS: &[&str] = &["core", "http", "io", "cli", "utils", "schema"];
#[rustfmt::skip]
const VOCAB: &[&str] = &[
    "parse", "value", "record", "buffer", "stream", "token", "config", "request", "response",
    "handler", "result", "error", "cache", "index", "node", "graph", "batch", "queue", "worker",
    "session", "client", "server", "packet", "frame", "layer", "schema", "field", "column", "row",
    "table", "entry", "source", "target", "option", "flag", "state", "event", "signal", "timer",
    "retry", "limit", "offset", "window", "chunk", "digest", "header", "payload", "encode",
    "decode", "render", "filter", "merge", "split", "resolve", "validate", "normalize", "format",
];

/// A small deterministic generator (the set is the same on every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn word(&mut self) -> &'static str {
        VOCAB[self.below(VOCAB.len() as u64) as usize]
    }
    fn words(&mut self, n: usize) -> String {
        (0..n).map(|_| self.word()).collect::<Vec<_>>().join(" ")
    }
}

/// One Python module of roughly `target` bytes: functions and a class with loops, branches and
/// docstrings, identifiers drawn from a vocabulary (compresses about like real code).
fn module_source(rng: &mut Lcg, package: &str, module: &str, target: usize) -> Vec<u8> {
    let mut s = format!(
        "\"\"\"{package}.{module}: {}.\n\nGenerated for pyprov's install benchmark.\n\"\"\"\n\nimport math\nimport os\nfrom collections import OrderedDict\n\n",
        rng.words(8)
    );
    let mut n = 0;
    while s.len() < target {
        let (a, b) = (rng.word(), rng.word());
        let (k, m) = (rng.below(1000) + 1, rng.below(97) + 3);
        let _ = write!(
            s,
            "{up}_{n} = {k}\n\n\ndef {a}_{b}_{n}(items, limit={m}):\n    \"\"\"{doc}.\"\"\"\n    total = 0\n    seen = OrderedDict()\n    for i, item in enumerate(items):\n        if i >= limit:\n            break\n        key = str(item).strip().lower()\n        seen[key] = seen.get(key, 0) + {k}\n        total += (i * {k}) % {m}\n    if total > {k}:\n        return math.sqrt(total) + len(seen)\n    return os.fspath(\"{a}/{b}\") if not seen else total\n\n\nclass {ca}{cb}{n}:\n    \"\"\"{doc2}.\"\"\"\n\n    def __init__(self, {a}, {b}=None):\n        self.{a} = {a}\n        self.{b} = {b} if {b} is not None else []\n\n    def {verb}(self, factor={m}):\n        return [x * factor for x in self.{b}] or [self.{a}] * {m}\n\n    def __repr__(self):\n        return f\"{ca}{cb}{n}({{self.{a}!r}}, {{self.{b}!r}})\"\n\n\n",
            up = a.to_uppercase(),
            doc = rng.words(12),
            doc2 = rng.words(10),
            verb = rng.word(),
            ca = capitalize(a),
            cb = capitalize(b),
        );
        n += 1;
    }
    s.into_bytes()
}

fn capitalize(w: &str) -> String {
    let mut c = w.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

struct Package {
    name: String,
    version: String,
    deps: Vec<usize>,
}

/// The projects: `count` names, a few depending on others (those are not in requirements.txt:
/// pip finds them through the resolver).
fn packages(count: usize) -> Vec<Package> {
    let mut out: Vec<Package> = (0..count)
        .map(|i| Package {
            name: format!(
                "{}-{}",
                WORDS[i % WORDS.len()],
                KINDS[(i / WORDS.len() + i) % KINDS.len()]
            ),
            version: format!("{}.{}.{}", 1 + i % 3, i % 7, i % 4),
            deps: Vec::new(),
        })
        .collect();
    for i in (0..count).step_by(8) {
        for d in [i + 1, i + 2, i + 5] {
            if d < count {
                out[i].deps.push(d);
            }
        }
        if i + 3 < count {
            out[i + 1].deps.push(i + 3);
        }
    }
    out
}

fn build_wheel(rng: &mut Lcg, pkg: &Package, version: &str, all: &[Package]) -> Dist {
    let import = escaped_name(&pkg.name);
    let modules = 20 + rng.below(41) as usize;
    let subpackages = ["", "core", "util", "ext"];
    let mut files: Vec<(String, Vec<u8>)> = vec![(
        format!("{import}/__init__.py"),
        format!("\"\"\"{}.\"\"\"\n\n__version__ = {version:?}\n", pkg.name).into_bytes(),
    )];
    for sub in &subpackages[1..] {
        files.push((
            format!("{import}/{sub}/__init__.py"),
            b"\"\"\"Subpackage.\"\"\"\n".to_vec(),
        ));
    }
    while files.len() < modules {
        let sub = subpackages[rng.below(subpackages.len() as u64) as usize];
        let module = format!("{}_{}_{}", rng.word(), rng.word(), files.len());
        let path = if sub.is_empty() {
            format!("{import}/{module}.py")
        } else {
            format!("{import}/{sub}/{module}.py")
        };
        let size = 2000 + rng.below(5000) as usize;
        files.push((path, module_source(rng, &import, &module, size)));
    }
    let requires: Vec<String> = pkg
        .deps
        .iter()
        .map(|&d| format!("{}>=1.0", all[d].name))
        .collect();
    let requires: Vec<&str> = requires.iter().map(String::as_str).collect();
    let files: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, d)| (p.as_str(), d.as_slice()))
        .collect();
    dists::wheel(&pkg.name, version, &requires, &files)
}

struct Fixture {
    dir: tempfile::TempDir,
    index: TestIndex,
    root: PathBuf,
    work: PathBuf,
    reqs: PathBuf,
    reqs_hashes: PathBuf,
    /// The resolved set's wheels (the newest version of each project), for the install-only row.
    wheel_dir: PathBuf,
    /// (escaped name, version) of every package a run must leave installed.
    expected: Vec<(String, String)>,
    wheel_bytes: u64,
    served_files: usize,
    modules: usize,
}

fn fixture(count: usize) -> Fixture {
    let dir = tempfile::Builder::new()
        .prefix("pyprov-bench-")
        .tempdir()
        .expect("temp dir");
    let pki = TestPki::new();
    let root = dir.path().join("trusted_root.json");
    std::fs::write(&root, pki.trusted_root_json()).expect("trusted root");
    let work = dir.path().join("project");
    std::fs::create_dir_all(work.join(".git")).expect("project dir");
    let wheel_dir = dir.path().join("wheels");
    std::fs::create_dir_all(&wheel_dir).expect("wheel dir");

    let index = TestIndex::new();
    index.set_metadata(true);
    index.set_cache_headers(true);
    index.set_latency(std::time::Duration::from_millis(
        env_usize("PYPROV_BENCH_LATENCY_MS", 0) as u64,
    ));
    let all = packages(count);
    let mut rng = Lcg(0x05ee_d740);
    let mut hashes = String::new();
    let mut expected = Vec::new();
    let (mut wheel_bytes, mut served_files, mut modules) = (0u64, 0usize, 0usize);
    for (i, pkg) in all.iter().enumerate() {
        let mut versions = vec![pkg.version.clone()];
        if i % 5 == 2 {
            // An older release too: the page lists two files, pip picks the newest.
            versions.push("0.9.0".to_string());
        }
        for (n, version) in versions.iter().enumerate() {
            let wheel = build_wheel(&mut rng, pkg, version, &all);
            let provenance =
                dists::provenance_for(&pki, &wheel, &format!("bench/{}", pkg.name), "release.yml");
            served_files += 1;
            if n == 0 {
                wheel_bytes += wheel.bytes.len() as u64;
                modules += zip_entries(&wheel);
                let _ = writeln!(
                    hashes,
                    "{}=={} \\\n    --hash=sha256:{}",
                    pkg.name,
                    version,
                    wheel.sha256()
                );
                expected.push((escaped_name(&pkg.name), version.clone()));
                wheel.write_to(&wheel_dir);
            }
            index.add_with_provenance(&pkg.name, wheel, Some(provenance));
        }
    }
    let depended: std::collections::BTreeSet<usize> =
        all.iter().flat_map(|p| p.deps.iter().copied()).collect();
    let mut reqs_text = String::from("# top-level requirements; the rest come as dependencies\n");
    for (i, pkg) in all.iter().enumerate() {
        if !depended.contains(&i) {
            let _ = writeln!(reqs_text, "{}", pkg.name);
        }
    }
    let reqs = dir.path().join("requirements.txt");
    std::fs::write(&reqs, reqs_text).expect("requirements.txt");
    let reqs_hashes = dir.path().join("requirements-hashes.txt");
    std::fs::write(&reqs_hashes, hashes).expect("requirements-hashes.txt");
    Fixture {
        dir,
        index,
        root,
        work,
        reqs,
        reqs_hashes,
        wheel_dir,
        expected,
        wheel_bytes,
        served_files,
        modules,
    }
}

fn zip_entries(dist: &Dist) -> usize {
    // Central directory entries: count "PK\x01\x02" signatures.
    dist.bytes.windows(4).filter(|w| w == b"PK\x01\x02").count()
}

// ---------------------------------------------------------------------------------------------
// Running and timing

/// Children's user+sys CPU seconds so far (`/proc/self/stat` cutime + cstime: every waited-for
/// descendant, pyprov's pip processes included).
fn children_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest[0] is field 3 (state); cutime is field 16, cstime field 17.
    let ticks = |i: usize| fields.get(i - 3).and_then(|f| f.parse::<f64>().ok());
    match (ticks(16), ticks(17)) {
        (Some(u), Some(s)) => (u + s) / 100.0,
        _ => f64::NAN,
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn load1() -> f64 {
    loadavg()
        .split_whitespace()
        .next()
        .and_then(|l| l.parse().ok())
        .unwrap_or(f64::NAN)
}

#[derive(Clone, Copy)]
struct Sample {
    wall: f64,
    cpu: f64,
}

fn timed(cmd: &mut Command, what: &str) -> (Sample, Output) {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let cpu0 = children_cpu();
    let start = Instant::now();
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"));
    let wall = start.elapsed().as_secs_f64();
    let cpu = children_cpu() - cpu0;
    if !out.status.success() {
        panic!(
            "{what} failed ({}):\n{cmd:?}\nstdout:\n{}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    (Sample { wall, cpu }, out)
}

/// What one row runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tool {
    Pip,
    Pyprov,
    /// `pip install --dry-run --ignore-installed --report` against the index, pip's cache off:
    /// pyprov's resolution step without pyprov in between.
    RefResolve,
    /// `pip install --no-index --find-links WHEELS --no-deps --require-hashes`: pyprov's install
    /// step alone, the floor once pyprov hands over to pip.
    RefInstall,
    /// `python -m pip --version`: one pip start-up.
    RefStartup,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Cache {
    Cold,
    Warm,
    None,
}

struct Row {
    key: &'static str,
    label: &'static str,
    tool: Tool,
    cache: Cache,
    hashes: bool,
}

const ROWS: &[Row] = &[
    Row {
        key: "pip-cold",
        label: "pip install -r requirements.txt, cold",
        tool: Tool::Pip,
        cache: Cache::Cold,
        hashes: false,
    },
    Row {
        key: "pip-warm",
        label: "pip install -r requirements.txt, warm",
        tool: Tool::Pip,
        cache: Cache::Warm,
        hashes: false,
    },
    Row {
        key: "pyprov-cold",
        label: "pyprov install -r requirements.txt, cold",
        tool: Tool::Pyprov,
        cache: Cache::Cold,
        hashes: false,
    },
    Row {
        key: "pyprov-warm",
        label: "pyprov install -r requirements.txt, warm",
        tool: Tool::Pyprov,
        cache: Cache::Warm,
        hashes: false,
    },
    Row {
        key: "pip-hashes-cold",
        label: "pip install --require-hashes -r requirements-hashes.txt, cold",
        tool: Tool::Pip,
        cache: Cache::Cold,
        hashes: true,
    },
    Row {
        key: "pip-hashes-warm",
        label: "pip install --require-hashes -r requirements-hashes.txt, warm",
        tool: Tool::Pip,
        cache: Cache::Warm,
        hashes: true,
    },
    Row {
        key: "pyprov-hashes-cold",
        label: "pyprov install --require-hashes -r requirements-hashes.txt, cold",
        tool: Tool::Pyprov,
        cache: Cache::Cold,
        hashes: true,
    },
    Row {
        key: "pyprov-hashes-warm",
        label: "pyprov install --require-hashes -r requirements-hashes.txt, warm",
        tool: Tool::Pyprov,
        cache: Cache::Warm,
        hashes: true,
    },
    Row {
        key: "ref-resolve",
        label: "ref: pip install --dry-run --report (no cache), resolve only",
        tool: Tool::RefResolve,
        cache: Cache::None,
        hashes: false,
    },
    Row {
        key: "ref-install",
        label: "ref: pip install --no-index --no-deps --require-hashes, install only",
        tool: Tool::RefInstall,
        cache: Cache::None,
        hashes: true,
    },
    Row {
        key: "ref-startup",
        label: "ref: python -m pip --version, one pip start-up",
        tool: Tool::RefStartup,
        cache: Cache::None,
        hashes: false,
    },
];

struct Bench {
    fx: Fixture,
    pip_warm_cache: PathBuf,
    pyprov_warm_cache: PathBuf,
    scratch: PathBuf,
    runs: usize,
}

impl Bench {
    fn fresh_dir(&mut self, what: &str) -> PathBuf {
        self.runs += 1;
        let d = self.scratch.join(format!("{what}-{}", self.runs));
        std::fs::create_dir_all(&d).expect("scratch dir");
        d
    }

    fn pip(&self, venv: &Venv, cache_dir: &Path, row: &Row) -> Command {
        let mut cmd = Command::new(venv.python());
        venv.activate(&mut cmd)
            .env("PIP_CACHE_DIR", cache_dir)
            .args(["-m", "pip", "install", "-i", &self.fx.index.url()])
            // pip caches http:// responses only from a trusted host (pip's session mounts its
            // caching adapter for https:// and for trusted hosts alone).
            .args(["--trusted-host", "127.0.0.1"]);
        if row.hashes {
            cmd.arg("--require-hashes")
                .arg("-r")
                .arg(&self.fx.reqs_hashes);
        } else {
            cmd.arg("-r").arg(&self.fx.reqs);
        }
        cmd
    }

    fn pyprov(&self, python: &Path, cache_dir: &Path, row: &Row) -> Command {
        let mut cmd = Command::new(PYPROV);
        Venv::clean_env(&mut cmd);
        cmd.env_remove("CI")
            .env_remove("PYPROV_LOCKED")
            .env("PYPROV_CACHE_DIR", cache_dir)
            .env("NO_COLOR", "1")
            .current_dir(&self.fx.work)
            .arg("install")
            .arg("--python")
            .arg(python)
            .arg("--trusted-root")
            .arg(&self.fx.root)
            .args(["-i", &self.fx.index.url()])
            // The same flag as pip's rows (pyprov hands it to pip's resolution, uncached anyway).
            .args(["--trusted-host", "127.0.0.1"]);
        if row.hashes {
            cmd.arg("--require-hashes")
                .arg("-r")
                .arg(&self.fx.reqs_hashes);
        } else {
            cmd.arg("-r").arg(&self.fx.reqs);
        }
        cmd
    }

    fn check_installed(&self, venv: &Venv, what: &str) {
        let site = venv.site_packages();
        for (name, version) in &self.fx.expected {
            let info = site.join(format!("{name}-{version}.dist-info"));
            assert!(
                info.is_dir(),
                "{what}: {} is not installed ({})",
                info.display(),
                venv.root().display()
            );
        }
    }

    /// `--log FILE` for a pip command when `PYPROV_BENCH_PIP_LOG` is set (a diagnostic: pip's
    /// debug log has a timestamp on every line; the files stay in the temp dir's `logs/`).
    fn pip_log(&self, cmd: &mut Command, key: &str) {
        if std::env::var_os("PYPROV_BENCH_PIP_LOG").is_some_and(|v| !v.is_empty()) {
            let logs = self.fx.dir.path().join("logs");
            let _ = std::fs::create_dir_all(&logs);
            cmd.arg("--log")
                .arg(logs.join(format!("{key}-{}.log", self.runs)));
        }
    }

    /// One run of `row` into a fresh venv; the venv and any cold cache are made before the clock
    /// starts and deleted after it stops.
    fn run(&mut self, row: &Row) -> Sample {
        let dir = self.fresh_dir(row.key);
        let venv = Venv::create(&dir.join("venv"));
        let cold = dir.join("cache");
        std::fs::create_dir_all(&cold).expect("cold cache dir");
        let sample = match row.tool {
            Tool::Pip => {
                let cache = match row.cache {
                    Cache::Warm => self.pip_warm_cache.clone(),
                    _ => cold.clone(),
                };
                let mut cmd = self.pip(&venv, &cache, row);
                self.pip_log(&mut cmd, row.key);
                let (s, _) = timed(&mut cmd, row.key);
                self.check_installed(&venv, row.key);
                s
            }
            Tool::Pyprov => {
                let cache = match row.cache {
                    Cache::Warm => self.pyprov_warm_cache.clone(),
                    _ => cold.clone(),
                };
                let (s, _) = timed(&mut self.pyprov(&venv.python(), &cache, row), row.key);
                self.check_installed(&venv, row.key);
                s
            }
            Tool::RefResolve => {
                let mut cmd = Command::new(venv.python());
                venv.activate(&mut cmd)
                    .env("PIP_NO_CACHE_DIR", "1")
                    .args(["-m", "pip", "install", "--dry-run", "--ignore-installed"])
                    .arg("--report")
                    .arg(dir.join("report.json"))
                    .args(["--progress-bar", "off", "-i", &self.fx.index.url(), "-r"])
                    .arg(&self.fx.reqs);
                self.pip_log(&mut cmd, row.key);
                timed(&mut cmd, row.key).0
            }
            Tool::RefInstall => {
                let mut cmd = Command::new(venv.python());
                venv.activate(&mut cmd)
                    .env("PIP_NO_CACHE_DIR", "1")
                    .args(["-m", "pip", "install", "--no-index", "--find-links"])
                    .arg(&self.fx.wheel_dir)
                    .args(["--no-deps", "--require-hashes", "-r"])
                    .arg(&self.fx.reqs_hashes);
                self.pip_log(&mut cmd, row.key);
                let (s, _) = timed(&mut cmd, row.key);
                self.check_installed(&venv, row.key);
                s
            }
            Tool::RefStartup => {
                let mut cmd = Command::new(venv.python());
                venv.activate(&mut cmd).args(["-m", "pip", "--version"]);
                timed(&mut cmd, row.key).0
            }
        };
        let _ = std::fs::remove_dir_all(&dir);
        sample
    }

    /// Untimed: fill pip's HTTP cache and pyprov's cache, and check both did their job.
    fn warm_up(&mut self) {
        let dir = self.fresh_dir("warmup");
        // pip, both requirement files (the second finds everything cached already).
        for row in [&ROWS[0], &ROWS[4]] {
            let venv = Venv::create(&dir.join(format!("venv-{}", row.key)));
            timed(
                &mut self.pip(&venv, &self.pip_warm_cache, row),
                "warm-up pip",
            );
            self.check_installed(&venv, "warm-up pip");
        }
        let (files, bytes) = dir_size(&self.pip_warm_cache);
        println!(
            "pip's cache after the warm-up: {files} files, {:.2} MB ({} wheels of {:.2} MB were served)",
            bytes as f64 / 1e6,
            self.fx.expected.len(),
            self.fx.wheel_bytes as f64 / 1e6
        );
        assert!(
            bytes >= self.fx.wheel_bytes,
            "pip's HTTP cache did not store the wheels: a warm pip would be a cold pip"
        );

        // pyprov, with the JSON report: every file must have been verified and allowed.
        let venv = Venv::create(&dir.join("venv-pyprov"));
        let mut cmd = self.pyprov(&venv.python(), &self.pyprov_warm_cache, &ROWS[2]);
        cmd.args(["--format", "json"]);
        let (_, out) = timed(&mut cmd, "warm-up pyprov");
        self.check_installed(&venv, "warm-up pyprov");
        let text = String::from_utf8_lossy(&out.stdout);
        let json: serde_json::Value = text
            .rfind("\n{")
            .map(|i| &text[i + 1..])
            .or_else(|| text.starts_with('{').then_some(&text[..]))
            .and_then(|t| serde_json::from_str(t).ok())
            .expect("pyprov's JSON report");
        let rows = json["files"].as_array().cloned().unwrap_or_default();
        let verified = rows
            .iter()
            .filter(|r| {
                r["verdict"] == "allow"
                    && r["publisher"]
                        .as_str()
                        .is_some_and(|p| p.starts_with("github:bench/"))
            })
            .count();
        println!(
            "pyprov's warm-up run: {verified} of {} files verified against the test CA and allowed",
            rows.len()
        );
        assert!(
            verified == self.fx.expected.len() && rows.len() == verified,
            "pyprov did not verify every file: {json:#}"
        );
        let (files, bytes) = dir_size(&self.pyprov_warm_cache);
        println!(
            "pyprov's cache after the warm-up: {files} files, {:.2} MB",
            bytes as f64 / 1e6
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// One run of a pyprov row with `--python` pointing at a wrapper that logs when each
    /// interpreter process (pip and its probes) starts and ends.
    fn breakdown(&mut self, row: &Row) -> String {
        let dir = self.fresh_dir(&format!("breakdown-{}", row.key));
        let venv = Venv::create(&dir.join("venv"));
        let cold = dir.join("cache");
        std::fs::create_dir_all(&cold).expect("cold cache dir");
        let cache = match row.cache {
            Cache::Warm => self.pyprov_warm_cache.clone(),
            _ => cold,
        };
        let (wrapper, log) = support::logged_python(&venv.python(), &dir);
        let t0 = now_epoch();
        let (sample, _) = timed(&mut self.pyprov(&wrapper, &cache, row), row.key);
        self.check_installed(&venv, row.key);
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let mut out = format!("{} ({:.2} s in all):\n", row.key, sample.wall);
        let mut children = 0.0;
        let mut last_end = t0;
        for line in text.lines() {
            let mut parts = line.splitn(3, ' ');
            let (Some(s), Some(e), Some(args)) = (parts.next(), parts.next(), parts.next()) else {
                continue;
            };
            let (s, e): (f64, f64) = (s.parse().unwrap_or(0.0), e.parse().unwrap_or(0.0));
            let what = describe_child(args);
            let _ = writeln!(
                out,
                "    {:>6.2} s  gap before it (pyprov alone)\n    {:>6.2} s  {what}",
                (s - last_end).max(0.0),
                e - s
            );
            children += e - s;
            last_end = e;
        }
        let _ = writeln!(
            out,
            "    {:>6.2} s  after the last one (pyprov alone)\n    = {:.2} s in pip/python processes, {:.2} s in pyprov alone",
            (t0 + sample.wall - last_end).max(0.0),
            children,
            sample.wall - children
        );
        let _ = std::fs::remove_dir_all(&dir);
        out
    }
}

fn now_epoch() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn describe_child(args: &str) -> String {
    if args.contains("--version") {
        "pip --version (pyprov checks the pip version)".into()
    } else if args.contains("config list") {
        "pip config list (pyprov reads pip's configuration)".into()
    } else if args.contains("pip._internal.configuration") {
        "python -c (pyprov reads pip's version and configuration in one go)".into()
    } else if args.starts_with("-I -c") {
        "python -c (pyprov probes the interpreter's tags and markers)".into()
    } else if args.contains("--dry-run") {
        "pip install --dry-run --report against pyprov's verifying index (resolution)".into()
    } else if args.contains("--no-index") {
        "pip install --no-index from the vetted files (install)".into()
    } else {
        let short: String = args.chars().take(70).collect();
        format!("python {short}")
    }
}

fn dir_size(dir: &Path) -> (usize, u64) {
    let mut files = 0;
    let mut bytes = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                stack.push(e.path());
            } else {
                files += 1;
                bytes += meta.len();
            }
        }
    }
    (files, bytes)
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let n = s.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

fn env_usize(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn text_of(mut cmd: Command) -> String {
    cmd.output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn main() {
    // `cargo bench` passes --bench; anything else (cargo test --all-targets) is not a benchmark.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("benches/install.rs is a benchmark: run it with `cargo bench --bench install`");
        return;
    }
    let rounds = env_usize("PYPROV_BENCH_ROUNDS", 5).max(1);
    let count = env_usize("PYPROV_BENCH_PACKAGES", 48).max(40);
    let only: Option<Vec<String>> = std::env::var("PYPROV_BENCH_ONLY")
        .ok()
        .map(|v| v.split(',').map(|s| s.trim().to_string()).collect());
    let rows: Vec<&Row> = ROWS
        .iter()
        .filter(|r| only.as_ref().is_none_or(|o| o.iter().any(|k| k == r.key)))
        .collect();

    let start = Instant::now();
    let load_start = loadavg();
    println!("pyprov install benchmark (benches/install.rs)");
    let t = Instant::now();
    let fx = fixture(count);
    let scratch = fx.dir.path().join("runs");
    std::fs::create_dir_all(&scratch).expect("runs dir");
    let pip_warm_cache = fx.dir.path().join("pip-cache-warm");
    let pyprov_warm_cache = fx.dir.path().join("pyprov-cache-warm");
    println!(
        "set: {} projects to install ({} files served, {} signed), {:.2} MB of wheels, {} files inside them; built and signed in {:.1} s",
        fx.expected.len(),
        fx.served_files,
        fx.served_files,
        fx.wheel_bytes as f64 / 1e6,
        fx.modules,
        t.elapsed().as_secs_f64()
    );
    println!(
        "index: 127.0.0.1, PEP 658 metadata, PEP 740 provenance, cacheable files, {} ms added before every answer",
        env_usize("PYPROV_BENCH_LATENCY_MS", 0)
    );
    println!(
        "requirements.txt: {} top-level names; requirements-hashes.txt: {} pins",
        std::fs::read_to_string(&fx.reqs)
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.starts_with('#'))
            .count(),
        fx.expected.len()
    );
    let mut bench = Bench {
        fx,
        pip_warm_cache,
        pyprov_warm_cache,
        scratch,
        runs: 0,
    };
    let probe = Venv::create(&bench.scratch.join("probe"));
    let python_version = text_of({
        let mut c = Command::new(probe.python());
        probe.activate(&mut c).arg("--version");
        c
    });
    println!(
        "machine: {} CPUs, load average at start {load_start}; {python_version}, pip {} (in every venv, for pip and for pyprov), {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        probe.pip_version(),
        text_of({
            let mut c = Command::new(PYPROV);
            c.arg("--version");
            c
        })
    );
    let _ = std::fs::remove_dir_all(bench.scratch.join("probe"));
    bench.warm_up();

    let mut samples: BTreeMap<&'static str, Vec<Sample>> = BTreeMap::new();
    let mut loads = vec![load1()];
    for round in 0..rounds {
        let t = Instant::now();
        // Rotate the order each round, so no command always runs right after the same other.
        let n = rows.len();
        for k in 0..n {
            let row = rows[(k + round) % n];
            let s = bench.run(row);
            samples.entry(row.key).or_default().push(s);
        }
        loads.push(load1());
        println!(
            "round {}/{rounds}: {:.0} s, load average {}",
            round + 1,
            t.elapsed().as_secs_f64(),
            loadavg()
        );
    }

    // The table.
    let mut table = String::new();
    let _ = writeln!(
        table,
        "\n| command | median s | min–max s | median CPU s |\n|---|---|---|---|"
    );
    let med = |key: &str| {
        samples
            .get(key)
            .map(|v| median(&v.iter().map(|s| s.wall).collect::<Vec<_>>()))
    };
    for row in &rows {
        let Some(v) = samples.get(row.key) else {
            continue;
        };
        let walls: Vec<f64> = v.iter().map(|s| s.wall).collect();
        let cpus: Vec<f64> = v.iter().map(|s| s.cpu).collect();
        let min = walls.iter().copied().fold(f64::INFINITY, f64::min);
        let max = walls.iter().copied().fold(0.0, f64::max);
        let _ = writeln!(
            table,
            "| {} | **{:.2}** | {:.2}–{:.2} | {:.2} |",
            row.label,
            median(&walls),
            min,
            max,
            median(&cpus)
        );
    }
    print!("{table}");
    println!();
    let goal = |what: &str, pyprov: &str, pip: &str, limit: f64, strict: bool| {
        if let (Some(a), Some(b)) = (med(pyprov), med(pip)) {
            let ratio = a / b;
            let holds = if strict {
                ratio < limit
            } else {
                ratio <= limit
            };
            println!(
                "{what}: pyprov/pip = {a:.2}/{b:.2} = {ratio:.2}x (goal {} {limit:.1}x): {}",
                if strict { "<" } else { "<=" },
                if holds { "HOLDS" } else { "MISSED" }
            );
        }
    };
    goal(
        "cold, requirements.txt         ",
        "pyprov-cold",
        "pip-cold",
        1.1,
        false,
    );
    goal(
        "warm, requirements.txt         ",
        "pyprov-warm",
        "pip-warm",
        1.0,
        true,
    );
    goal(
        "cold, requirements-hashes.txt  ",
        "pyprov-hashes-cold",
        "pip-hashes-cold",
        1.1,
        false,
    );
    goal(
        "warm, requirements-hashes.txt  ",
        "pyprov-hashes-warm",
        "pip-hashes-warm",
        1.0,
        true,
    );
    if let (Some(r), Some(i)) = (med("ref-resolve"), med("ref-install")) {
        println!(
            "reference: resolve-only {r:.2} s + install-only {i:.2} s = {:.2} s: the floor of pyprov's resolver path, which runs both (plus one python start-up to read pip's version and configuration, and its own work)",
            r + i
        );
    }
    println!(
        "load average (1 min) over the rounds: min {:.2}, median {:.2}, max {:.2}",
        loads.iter().copied().fold(f64::INFINITY, f64::min),
        median(&loads),
        loads.iter().copied().fold(0.0, f64::max)
    );

    println!("\nWhere pyprov's time goes (one instrumented run each; the wrapper adds ~5 ms per process):");
    for row in rows.iter().filter(|r| r.tool == Tool::Pyprov) {
        print!("{}", bench.breakdown(row));
    }
    println!(
        "\ntotal benchmark time {:.0} s; load average at the end {}",
        start.elapsed().as_secs_f64(),
        loadavg()
    );
    if std::env::var_os("PYPROV_BENCH_KEEP").is_some_and(|v| !v.is_empty()) {
        let Bench { fx, .. } = bench;
        let Fixture { dir, index, .. } = fx;
        drop(index);
        println!("kept the set and its files in {}", dir.keep().display());
    }
}
