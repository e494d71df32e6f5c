//! The one test context (uv's `TestContext` is the model): a scratch directory laid out the
//! same way for every test, pyprov as a command in a clean environment, the pieces a test may
//! need made on first use (a throwaway Sigstore, the loopback index, a venv with the real pip),
//! running and reading output, and the filters that make snapshots of it stable.
//!
//! Layout, under a fresh temporary directory `[TEMP]`:
//! - `project/`, the working directory: a repository root (it has `.git`), so trust-file
//!   discovery never looks above it; `pyprov.toml` goes here;
//! - `home/`, `HOME` for every run: no user configuration but what a test writes there;
//! - `cache/`, pyprov's cache (`PYPROV_CACHE_DIR`);
//! - `trusted_root.json`, the throwaway Sigstore's root, once [`TestContext::pki`] is used;
//! - `venv/`, once [`TestContext::venv`] is used, and any venv [`TestContext::new_venv`] makes.

// Each integration-test binary compiles this module separately and uses only part of it.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

use super::dists::Dist;
use super::index::TestIndex;
use super::pki::TestPki;
use super::venv::{PipVersion, Venv};

pub struct TestContext {
    dir: tempfile::TempDir,
    /// `[TEMP]/project`: where pyprov runs.
    pub work: PathBuf,
    /// `[TEMP]/home`: `HOME` for every run.
    pub home: PathBuf,
    /// `[TEMP]/cache`: `PYPROV_CACHE_DIR` for every run.
    pub cache: PathBuf,
    /// The pip every venv of this context gets.
    pub pip: PipVersion,
    pki: OnceLock<TestPki>,
    /// `[TEMP]/trusted_root.json`, written with the throwaway Sigstore.
    root: PathBuf,
    index: OnceLock<TestIndex>,
    venv: OnceLock<Venv>,
    /// `SOURCE_DATE_EPOCH` for pyprov runs, so the dates it writes are known.
    epoch: Option<String>,
    /// Filters a test adds (another index's URL, …), applied before the common ones.
    filters: Mutex<Vec<(String, String)>>,
}

impl Default for TestContext {
    fn default() -> Self {
        TestContext::new()
    }
}

impl TestContext {
    /// A context whose venvs get the base interpreter's bundled pip.
    pub fn new() -> TestContext {
        TestContext::with_pip(PipVersion::Bundled)
    }

    /// A context whose venvs get `pip`.
    pub fn with_pip(pip: PipVersion) -> TestContext {
        let dir = tempfile::tempdir().expect("temp dir");
        let work = dir.path().join("project");
        std::fs::create_dir_all(work.join(".git")).expect("project/.git");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).expect("home");
        TestContext {
            work,
            home,
            cache: dir.path().join("cache"),
            root: dir.path().join("trusted_root.json"),
            pip,
            pki: OnceLock::new(),
            index: OnceLock::new(),
            venv: OnceLock::new(),
            epoch: None,
            filters: Mutex::new(Vec::new()),
            dir,
        }
    }

    /// Every pyprov run gets `SOURCE_DATE_EPOCH=secs`, so the dates it writes (a pin's
    /// `tofu DATE`) are known. pip gets it too, through pyprov: leave it unset for runs whose
    /// venvs are compared with plain pip's.
    pub fn with_source_date_epoch(mut self, secs: &str) -> TestContext {
        self.epoch = Some(secs.to_string());
        self
    }

    /// The scratch directory, `[TEMP]`.
    pub fn temp(&self) -> &Path {
        self.dir.path()
    }

    /// `[TEMP]/rel`.
    pub fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `project/rel`.
    pub fn work_path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.work.join(rel)
    }

    /// Writes `project/rel`; its path.
    pub fn write(&self, rel: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.work.join(rel);
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }

    /// Reads `project/rel`.
    pub fn read(&self, rel: impl AsRef<Path>) -> String {
        let path = self.work.join(rel);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    /// Writes the project's `pyprov.toml`.
    pub fn trust_file(&self, text: &str) {
        self.write("pyprov.toml", text);
    }

    /// The project's `pyprov.toml`.
    pub fn read_trust_file(&self) -> String {
        self.read("pyprov.toml")
    }

    // -- the pieces a test may need, made on first use ----------------------------------------

    /// The throwaway Sigstore; on first use its `trusted_root.json` is written too.
    pub fn pki(&self) -> &TestPki {
        self.pki.get_or_init(|| {
            let pki = TestPki::new();
            std::fs::write(&self.root, pki.trusted_root_json()).expect("write trusted_root.json");
            pki
        })
    }

    /// `[TEMP]/trusted_root.json`, the throwaway Sigstore's trusted root.
    pub fn trusted_root(&self) -> &Path {
        self.pki();
        &self.root
    }

    /// Whether [`TestContext::pki`] was used (so `--trusted-root` has a file to name).
    pub fn has_trusted_root(&self) -> bool {
        self.pki.get().is_some()
    }

    /// The loopback index, started on first use.
    pub fn index(&self) -> &TestIndex {
        self.index.get_or_init(TestIndex::new)
    }

    /// Serves `dist` on the index with provenance signed for `repo`'s release.yml.
    pub fn publish(&self, dist: &Dist, repo: &str) {
        self.index().publish(self.pki(), dist, repo);
    }

    /// `[TEMP]/venv`, made on first use with the context's pip.
    pub fn venv(&self) -> &Venv {
        self.venv
            .get_or_init(|| Venv::create_with(&self.path("venv"), self.pip))
    }

    /// A fresh venv `[TEMP]/rel` with the context's pip.
    pub fn new_venv(&self, rel: impl AsRef<Path>) -> Venv {
        Venv::create_with(&self.path(rel), self.pip)
    }

    // -- commands ------------------------------------------------------------------------------

    /// The environment every process a test starts gets: this machine's pip settings cleaned
    /// away ([`Venv::clean_env`]), not locked (CI sets `CI=true`, which would lock every run),
    /// no trust file named, no colour, the context's `HOME` and cache, in the project.
    pub fn env<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        Venv::clean_env(cmd)
            .env_remove("CI")
            .env_remove("PYPROV_LOCKED")
            .env_remove("PYPROV_TRUST_FILE")
            .env_remove("XDG_CONFIG_HOME")
            .env("HOME", &self.home)
            .env("NO_COLOR", "1")
            .env("PYPROV_CACHE_DIR", &self.cache)
            .current_dir(&self.work)
    }

    /// `program` with [`TestContext::env`].
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        self.env(&mut cmd);
        cmd
    }

    /// `pyprov` with [`TestContext::env`] (and `SOURCE_DATE_EPOCH`, when the context has
    /// one). Add the arguments.
    pub fn pyprov(&self) -> Command {
        let mut cmd = self.command(pyprov_bin());
        if let Some(epoch) = &self.epoch {
            cmd.env("SOURCE_DATE_EPOCH", epoch);
        }
        cmd
    }

    /// Runs `pyprov ARGS` ([`TestContext::pyprov`]).
    pub fn run_pyprov<S: AsRef<OsStr>>(&self, args: &[S]) -> Run {
        self.run(self.pyprov().args(args))
    }

    /// `pyprov SUB --python VENV --trusted-root ROOT -i INDEX`, as the end-to-end tests run
    /// it, against the context's venv and index. Add the rest (a later `--python` or `-i`
    /// wins).
    pub fn pyprov_pip(&self, sub: &str) -> Command {
        let mut cmd = self.pyprov();
        cmd.arg(sub)
            .arg("--python")
            .arg(self.venv().python())
            .arg("--trusted-root")
            .arg(self.trusted_root())
            .args(["-i", &self.index().url()]);
        cmd
    }

    /// `pyprov install --python VENV --trusted-root ROOT -i INDEX ARGS` ([`TestContext::pyprov_pip`]).
    pub fn install(&self, args: &[&str]) -> Run {
        self.run(self.pyprov_pip("install").args(args))
    }

    /// [`TestContext::install`] with `--format json`: read the report with [`Run::report`].
    pub fn install_json(&self, args: &[&str]) -> Run {
        self.run(
            self.pyprov_pip("install")
                .args(["--format", "json"])
                .args(args),
        )
    }

    /// `pyprov install ARGS` into `venv` (the context's index and cache), asserting success.
    pub fn install_into(&self, venv: &Venv, args: &[&str]) -> Run {
        let mut cmd = self.pyprov_pip("install");
        // A later --python wins over the context's.
        cmd.args(args).arg("--python").arg(venv.python());
        let run = self.run(&mut cmd);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run
    }

    /// `pyprov install ARGS` into a fresh venv `[TEMP]/rel`, asserting success.
    pub fn install_fresh(&self, rel: &str, args: &[&str]) -> Venv {
        let venv = self.new_venv(rel);
        self.install_into(&venv, args);
        venv
    }

    /// `uv pip install -r LOCK` (`lock` relative to the project) into a fresh venv
    /// `[TEMP]/rel`, asserting success; `None` when there is no [`uv`]. uv gets the context's
    /// environment without this machine's uv settings (no `uv.toml`, no `UV_*` variable), a
    /// cache of its own in `[TEMP]/uv-cache`, and never downloads a Python.
    pub fn uv_install(&self, rel: &str, lock: &str) -> Option<Venv> {
        let uv = uv()?;
        let venv = self.new_venv(rel);
        let mut cmd = self.command(uv);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("UV_") {
                cmd.env_remove(&key);
            }
        }
        cmd.env("UV_NO_CONFIG", "1")
            .env("UV_CACHE_DIR", self.path("uv-cache"))
            .env("UV_PYTHON_DOWNLOADS", "never")
            .args(["pip", "install", "--python"])
            .arg(venv.python())
            .args(["-r", lock]);
        let run = self.run(&mut cmd);
        assert_eq!(
            run.code,
            0,
            "uv pip install -r {lock}:\n{}\n{}",
            std::fs::read_to_string(self.work_path(lock)).unwrap_or_default(),
            run.stderr
        );
        Some(venv)
    }

    /// Runs `cmd`, logs what it did on stderr (shown when a test fails), and returns it.
    pub fn run(&self, cmd: &mut Command) -> Run {
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
        let run = Run::from(out);
        eprintln!("--- {cmd:?}: {}\n{}\n{}", run.code, run.stdout, run.stderr);
        run
    }

    // -- snapshots -----------------------------------------------------------------------------

    /// Adds a filter (a regex and its replacement) for this context's snapshots, applied
    /// before the common ones.
    pub fn add_filter(&self, pattern: impl Into<String>, replacement: impl Into<String>) {
        self.filters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((pattern.into(), replacement.into()));
    }

    /// Replaces `text` wherever it appears, before the common filters.
    pub fn add_literal_filter(&self, text: &str, replacement: impl Into<String>) {
        self.add_filter(escape(text), replacement);
    }

    /// What snapshots of this context's output go through, in order: the test's own filters,
    /// the index's URL (`[INDEX]`), the scratch directory (`[TEMP]`), the checkout
    /// (`[REPO]`), any other loopback port (`127.0.0.1:[PORT]`: the gate's, a second index's),
    /// the Python version in venv paths (`python3.X`) and, without
    /// [`TestContext::with_source_date_epoch`], a pin's date (`tofu [DATE]`).
    pub fn filters(&self) -> Vec<(String, String)> {
        let mut filters = self
            .filters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(index) = self.index.get() {
            filters.push((escape(&index.base_url()), "[INDEX]".into()));
        }
        let temp = self.dir.path();
        for dir in [Some(temp.to_path_buf()), temp.canonicalize().ok()]
            .into_iter()
            .flatten()
        {
            filters.push((escape(&dir.display().to_string()), "[TEMP]".into()));
        }
        filters.push((escape(env!("CARGO_MANIFEST_DIR")), "[REPO]".into()));
        filters.push((r"127\.0\.0\.1:\d+".into(), "127.0.0.1:[PORT]".into()));
        filters.push((r"python3\.\d+".into(), "python3.X".into()));
        if self.epoch.is_none() {
            // A pin's date is today's.
            filters.push((r"tofu \d{4}-\d{2}-\d{2}".into(), "tofu [DATE]".into()));
        }
        filters
    }

    /// insta settings with [`TestContext::filters`].
    pub fn snapshot_settings(&self) -> insta::Settings {
        let mut settings = insta::Settings::clone_current();
        for (pattern, replacement) in self.filters() {
            settings.add_filter(&pattern, replacement);
        }
        settings
    }
}

/// uv, which tests install pyprov's locks with: `$PYPROV_TEST_UV` (`.ci/run` installs uv and
/// sets it). `None`, with a note, when it is unset; under CI (`CI` set) that is a failure, so
/// the uv half of a test always runs there.
pub fn uv() -> Option<PathBuf> {
    let Some(uv) = std::env::var_os("PYPROV_TEST_UV").filter(|p| !p.is_empty()) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "PYPROV_TEST_UV is unset under CI: the uv half of this test must run there \
             (`bash .ci/run` installs uv and sets it)"
        );
        eprintln!("note: PYPROV_TEST_UV is unset: uv was not tried");
        return None;
    };
    let uv = PathBuf::from(uv);
    assert!(
        uv.exists(),
        "PYPROV_TEST_UV={} does not exist; run `bash .ci/run` to install uv",
        uv.display()
    );
    Some(uv)
}

/// The row of a JSON report (`--format json`) for `file`: the one whose `file` it is, or whose
/// `source` it is (a decision on a URL that names no file, as a tunnel's); `Null` when the
/// report has none.
pub fn row<'a>(report: &'a Value, file: &str) -> &'a Value {
    report["files"]
        .as_array()
        .and_then(|rows| {
            rows.iter()
                .find(|r| r["file"] == file || r["source"] == file)
        })
        .unwrap_or(&Value::Null)
}

/// The pyprov binary Cargo built for these tests.
pub fn pyprov_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pyprov"))
}

/// What one process did.
#[derive(Debug, Clone)]
pub struct Run {
    /// The exit status, or -1 for a signal.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Run {
    /// stdout as JSON, or a panic that shows both streams.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }

    /// The report's text: the last JSON object on stdout (pip's own output shares it), or "".
    pub fn report_text(&self) -> &str {
        let text = &self.stdout;
        text.rfind("\n{")
            .and_then(|i| text.get(i + 1..))
            .or_else(|| text.starts_with('{').then_some(text.as_str()))
            .unwrap_or("")
    }

    /// The report: the last JSON object on stdout, or `Value::Null`.
    pub fn report(&self) -> Value {
        serde_json::from_str(self.report_text()).unwrap_or(Value::Null)
    }

    /// The exit status and both streams, the shape of every command snapshot.
    pub fn snapshot(&self) -> String {
        format!(
            "exit_code: {}\n----- stdout -----\n{}\n----- stderr -----\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// The exit status and stderr alone, for commands whose stdout is pip's to print.
    pub fn snapshot_stderr(&self) -> String {
        format!(
            "exit_code: {}\n----- stderr -----\n{}",
            self.code, self.stderr
        )
    }
}

/// `text` as a regex that matches it literally.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `value` as pretty JSON, for a snapshot of part of a report (keys sorted).
pub fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}
