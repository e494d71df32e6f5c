//! Real virtual environments with the real pip, for tests.
//!
//! `python3 -m venv` with pip takes about 4 s here (ensurepip installs pip and setuptools from
//! their bundled wheels). So the first [`Venv::create`] builds a *template* venv once, under
//! Cargo's per-target temp directory (kept between runs, keyed by the base interpreter), and
//! every venv after that is `python3 -m venv --without-pip DIR` (0.15 s: the venv module writes
//! every path-dependent file itself) plus the template's `site-packages`, hard-linked (copied
//! when the template is on another file system), and its `bin/pip*` scripts with their
//! shebang pointed at the new venv: about 0.3 s in all.
//!
//! The base interpreter is `$PYPROV_TEST_PYTHON`, else `python3` on `PATH`.
//!
//! [`Venv::create_with`] picks pip: the base interpreter's bundled one, or one of the
//! [`PipVersion::MATRIX`] (the oldest pyprov supports, `MIN_PIP` in src/install/pip.rs, 23.2,
//! 24.x, 25.x and the newest), installed into a template of its own (built once, the same way)
//! from the wheels `.ci/run` downloads into `$PYPROV_TEST_ASSETS` (default `target/ci-assets`),
//! offline.
//!
//! pip must never see this machine's own configuration: it sets `PIP_FIND_LINKS` and friends
//! globally and has an `/etc/pip.conf`. Every command built here goes through
//! [`Venv::clean_env`]; use it on `pyprov install` processes too.

// Each integration-test binary compiles this module separately and uses only part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use super::dists::normalize;

/// A virtual environment at [`Venv::root`]. Dropping it deletes nothing: put it in a
/// `tempfile::TempDir`.
#[derive(Debug, Clone)]
pub struct Venv {
    root: PathBuf,
    /// `lib/python3.X/site-packages`, relative to the root.
    site_packages: PathBuf,
}

/// Which pip a new venv gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PipVersion {
    /// The base interpreter's bundled pip (23.2.1 with CPython 3.11 here).
    Bundled,
    /// The oldest pip pyprov supports: `MIN_PIP` = 22.2 in src/install/pip.rs (22.2.2).
    Oldest,
    /// The newest pip tested (26.3).
    Newest,
    /// pip 23.2.1.
    Pip23_2,
    /// pip 24.3.1.
    Pip24_3,
    /// pip 25.3.
    Pip25_3,
}

impl PipVersion {
    pub const ALL: [PipVersion; 6] = [
        PipVersion::Bundled,
        PipVersion::Oldest,
        PipVersion::Newest,
        PipVersion::Pip23_2,
        PipVersion::Pip24_3,
        PipVersion::Pip25_3,
    ];

    /// The pip-version matrix, oldest first: the oldest supported pip (22.2.2), one of each
    /// major version after it, and the newest (26.3). Each is installed from its wheel, so the
    /// matrix does not depend on the base interpreter's bundled pip.
    pub const MATRIX: [PipVersion; 5] = [
        PipVersion::Oldest,
        PipVersion::Pip23_2,
        PipVersion::Pip24_3,
        PipVersion::Pip25_3,
        PipVersion::Newest,
    ];

    /// The version a venv made with it reports, when it is fixed here (not for `Bundled`).
    pub fn version(self) -> Option<&'static str> {
        match self {
            PipVersion::Bundled => None,
            PipVersion::Oldest => Some("22.2.2"),
            PipVersion::Pip23_2 => Some("23.2.1"),
            PipVersion::Pip24_3 => Some("24.3.1"),
            PipVersion::Pip25_3 => Some("25.3"),
            PipVersion::Newest => Some("26.3"),
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The wheel in `$PYPROV_TEST_ASSETS` (default `target/ci-assets`) that `.ci/run`
    /// downloads, or a panic saying so.
    fn wheel(self) -> Option<PathBuf> {
        let version = self.version()?;
        let assets = std::env::var_os("PYPROV_TEST_ASSETS")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ci-assets"));
        let wheel = assets.join(format!("pip-{version}-py3-none-any.whl"));
        assert!(
            wheel.is_file(),
            "{} is missing: run `bash .ci/run` once (it downloads the pip wheels into \
             target/ci-assets), or set PYPROV_TEST_ASSETS to a directory that has it",
            wheel.display()
        );
        Some(wheel)
    }
}

struct Template {
    /// The base interpreter's real executable (no pyenv shim in between).
    python: PathBuf,
    root: PathBuf,
    /// `lib/python3.X/site-packages`, relative to a venv root.
    site_packages: PathBuf,
}

/// One template per [`PipVersion`], by [`PipVersion::index`].
static TEMPLATES: [OnceLock<Template>; PipVersion::ALL.len()] =
    [const { OnceLock::new() }; PipVersion::ALL.len()];

fn base_python() -> String {
    std::env::var("PYPROV_TEST_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

fn checked(mut cmd: Command, what: &str) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn template(pip: PipVersion) -> &'static Template {
    TEMPLATES[pip.index()].get_or_init(|| {
        let wheel = pip.wheel();
        // The real interpreter behind `python3` (pyenv shims exec it), and its version.
        let mut cmd = Command::new(base_python());
        Venv::clean_env(&mut cmd).args([
            "-c",
            "import sys; print(sys.executable); print('%d.%d' % sys.version_info[:2]); print(sys.version)",
        ]);
        let out = checked(cmd, "probing the base python");
        let text = String::from_utf8(out.stdout).expect("UTF-8");
        let mut lines = text.lines();
        let exe = lines.next().expect("sys.executable").to_string();
        let short = lines.next().expect("version").to_string();
        let full = lines.next().unwrap_or_default();
        let key = &super::pki::sha256_hex(format!("{exe}\n{full}").as_bytes())[..16];
        let name = match pip.version() {
            None => format!("venv-template-{key}"),
            Some(v) => format!("venv-template-{key}-pip-{v}"),
        };
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
        let site_packages = PathBuf::from(format!("lib/python{short}/site-packages"));
        let done = root.join(".pyprov-template-complete");
        if !done.exists() {
            // Build aside and rename, so concurrent test processes never see half a template.
            let building = root.with_extension(format!("building-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&building);
            let mut cmd = Command::new(&exe);
            Venv::clean_env(&mut cmd).arg("-m").arg("venv").arg(&building);
            checked(cmd, "creating the template venv");
            if let Some(wheel) = &wheel {
                // Over the bundled pip (setuptools stays), from the wheel alone: no network.
                let mut cmd = Command::new(building.join("bin/python"));
                Venv::clean_env(&mut cmd)
                    .env("PIP_NO_CACHE_DIR", "1")
                    .args(["-m", "pip", "install", "--no-index", "--no-deps", "--force-reinstall"])
                    .arg(wheel);
                checked(cmd, &format!("installing {} into the template venv", wheel.display()));
            }
            std::fs::write(building.join(".pyprov-template-complete"), b"")
                .expect("mark the template complete");
            let _ = std::fs::remove_dir_all(root.with_extension("stale"));
            if root.exists() {
                // An incomplete template from an interrupted run.
                let _ = std::fs::rename(&root, root.with_extension("stale"));
                let _ = std::fs::remove_dir_all(root.with_extension("stale"));
            }
            if std::fs::rename(&building, &root).is_err() {
                // Another process won the race; use its template.
                let _ = std::fs::remove_dir_all(&building);
            }
            assert!(done.exists(), "template venv at {}", root.display());
        }
        Template {
            python: PathBuf::from(exe),
            root,
            site_packages,
        }
    })
}

impl Venv {
    /// A new venv at `dir` (which must not exist, or be empty) with the base interpreter's
    /// bundled pip (23.2.1 with CPython 3.11 here) and setuptools.
    pub fn create(dir: &Path) -> Venv {
        Venv::create_with(dir, PipVersion::Bundled)
    }

    /// A new venv at `dir` (which must not exist, or be empty) with `pip` and the base
    /// interpreter's setuptools.
    pub fn create_with(dir: &Path, pip: PipVersion) -> Venv {
        let template = template(pip);
        let mut cmd = Command::new(&template.python);
        Venv::clean_env(&mut cmd)
            .args(["-m", "venv", "--without-pip"])
            .arg(dir);
        checked(cmd, "creating a venv");
        let venv = Venv {
            root: dir.to_path_buf(),
            site_packages: template.site_packages.clone(),
        };

        let site = dir.join(&template.site_packages);
        std::fs::create_dir_all(&site).expect("site-packages");
        // Hard links when the template is on the same file system (0.15 s against 0.6-1.5 s
        // for a copy on this 2-core machine). That is safe: pip unlinks a file before it
        // writes one (`ZipBackedFile.save`), uninstalling renames and deletes, and Python
        // replaces `.pyc` files atomically; nothing writes into an installed file in place.
        let source = template.root.join(&template.site_packages).join(".");
        let linked = Command::new("cp")
            .arg("-al")
            .arg(&source)
            .arg(&site)
            .output()
            .is_ok_and(|out| out.status.success());
        if !linked {
            let _ = std::fs::remove_dir_all(&site);
            std::fs::create_dir_all(&site).expect("site-packages");
            let mut cp = Command::new("cp");
            cp.arg("-a").arg(&source).arg(&site);
            checked(cp, "copying the template's site-packages");
        }

        // bin/pip, pip3, pip3.X: the same scripts, run by this venv's python.
        // (The template was built under another name and renamed, so its shebangs name a
        // directory that no longer exists: replace the whole line.)
        let template_bin = template.root.join("bin");
        let shebang = format!("#!{}\n", venv.python().display());
        for entry in std::fs::read_dir(&template_bin).expect("template bin") {
            let entry = entry.expect("template bin entry");
            let name = entry.file_name();
            if !name.to_string_lossy().starts_with("pip") {
                continue;
            }
            let text = std::fs::read_to_string(entry.path()).expect("pip script");
            let text = match text.split_once('\n') {
                Some((first, rest))
                    if first.starts_with("#!/") && first.contains("/bin/python") =>
                {
                    format!("{shebang}{rest}")
                }
                _ => panic!("unexpected shebang in {}", entry.path().display()),
            };
            let target = venv.bin().join(&name);
            std::fs::write(&target, text).expect("write pip script");
            let mode = std::fs::metadata(entry.path())
                .expect("script mode")
                .permissions();
            std::fs::set_permissions(&target, mode).expect("chmod pip script");
        }
        venv
    }

    /// Remove every `PIP_*` variable (this machine sets `PIP_FIND_LINKS`, `PIP_CERT`,
    /// `PIP_DEFAULT_TIMEOUT`, …) and `PYTHONPATH`/`PYTHONHOME`/`VIRTUAL_ENV`, then set
    /// `PIP_CONFIG_FILE=/dev/null` (no `/etc/pip.conf`, no user config),
    /// `PIP_DISABLE_PIP_VERSION_CHECK=1`, `PIP_NO_INPUT=1`, and `NO_PROXY`/`no_proxy` for the
    /// loopback addresses. Apply it to any process that runs pip, `pyprov install` included.
    pub fn clean_env(cmd: &mut Command) -> &mut Command {
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            if k.to_ascii_uppercase().starts_with("PIP_")
                || matches!(&*k, "PYTHONPATH" | "PYTHONHOME" | "VIRTUAL_ENV")
            {
                cmd.env_remove(&key);
            }
        }
        cmd.env("PIP_CONFIG_FILE", "/dev/null")
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .env("PIP_NO_INPUT", "1")
            .env("NO_PROXY", "127.0.0.1,localhost,::1")
            .env("no_proxy", "127.0.0.1,localhost,::1")
    }

    /// [`Venv::clean_env`], then `VIRTUAL_ENV` = this venv and its `bin` first on `PATH`, as
    /// `source bin/activate` would.
    pub fn activate<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![self.bin()];
        paths.extend(std::env::split_paths(&path));
        Venv::clean_env(cmd)
            .env("VIRTUAL_ENV", &self.root)
            .env("PATH", std::env::join_paths(paths).expect("PATH"))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn bin(&self) -> PathBuf {
        self.root.join("bin")
    }

    pub fn python(&self) -> PathBuf {
        self.bin().join("python")
    }

    pub fn pip(&self) -> PathBuf {
        self.bin().join("pip")
    }

    pub fn site_packages(&self) -> PathBuf {
        self.root.join(&self.site_packages)
    }

    /// `python -m pip` in this venv, activated, clean environment, pip's cache off.
    pub fn pip_command(&self) -> Command {
        let mut cmd = Command::new(self.python());
        self.activate(&mut cmd)
            .env("PIP_NO_CACHE_DIR", "1")
            .args(["-m", "pip"]);
        cmd
    }

    /// Run `python -m pip ARGS` (see [`Venv::pip_command`]); the output, whatever the status.
    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Output {
        self.pip_command().args(args).output().expect("run pip")
    }

    /// Run this venv's `python ARGS` (activated, clean environment).
    pub fn run_python<S: AsRef<OsStr>>(&self, args: &[S]) -> Output {
        let mut cmd = Command::new(self.python());
        self.activate(&mut cmd)
            .args(args)
            .output()
            .expect("run python")
    }

    /// `pip freeze --all`: every installed distribution, pip and setuptools included, so two
    /// freezes are equal exactly when nothing was installed or removed.
    pub fn freeze(&self) -> String {
        let out = self.run(&["freeze", "--all"]);
        assert!(
            out.status.success(),
            "pip freeze failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8 freeze")
    }

    /// Installed distributions: normalized name -> version (from `pip freeze --all`; a direct
    /// reference `name @ url` maps to the URL).
    pub fn packages(&self) -> BTreeMap<String, String> {
        self.freeze()
            .lines()
            .filter_map(|line| {
                let line = line.trim();
                if let Some((name, version)) = line.split_once("==") {
                    Some((normalize(name), version.to_string()))
                } else {
                    line.split_once(" @ ")
                        .map(|(name, url)| (normalize(name), url.to_string()))
                }
            })
            .collect()
    }

    /// Whether a distribution of that name (any spelling) is installed.
    pub fn has_package(&self, name: &str) -> bool {
        self.packages().contains_key(&normalize(name))
    }

    /// The venv's pip version, e.g. `"23.2.1"`.
    pub fn pip_version(&self) -> String {
        let out = self.run_python(&["-c", "import pip; print(pip.__version__)"]);
        assert!(out.status.success(), "pip is not importable");
        String::from_utf8(out.stdout)
            .expect("UTF-8")
            .trim()
            .to_string()
    }
}
