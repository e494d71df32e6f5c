//! The real pip: finding it without ever finding pyprov, checking its version, reading its
//! configuration the way pip's own option parser does, and running it confined: no
//! configuration of its own, no `PIP_*` variable, no proxy but pyprov's gate.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

/// `--dry-run --report` appeared in pip 22.2.
pub(crate) const MIN_PIP: (u32, u32) = (22, 2);

#[derive(Debug, thiserror::Error)]
pub enum PipError {
    #[error("no pip found: VIRTUAL_ENV points at {}, which has no bin/python", .0.display())]
    VirtualEnvWithoutPython(PathBuf),
    #[error("--python {}: a directory, not an interpreter\n  fix: did you mean `--python {}`?", .dir.display(), .python.display())]
    VirtualEnvDirectory { dir: PathBuf, python: PathBuf },
    #[error("--python {}: a directory, not an interpreter (and no bin/python in it)\n  fix: pass the Python interpreter whose pip to use, e.g. `--python .venv/bin/python`", .0.display())]
    Directory(PathBuf),
    #[error("--python {}: no such file\n  fix: pass the Python interpreter whose pip to use, e.g. `--python .venv/bin/python`", .0.display())]
    NoSuchPython(PathBuf),
    #[error("no pip found: no `pip` on PATH other than pyprov; pass --python /path/to/python or activate a virtualenv")]
    NotOnPath,
    #[error("no pip found: {} is pyprov itself; running it would loop", .0.display())]
    IsPyprov(PathBuf),
    #[error("{program} is pip {version}; pyprov needs pip 22.2 or newer for --dry-run --report\n  fix: `{program} install --upgrade 'pip>=22.2'` (from a source you trust), or pass --python with a newer environment")]
    TooOld { program: String, version: String },
    #[error("cannot read pip's configuration through {program}: {source}\n  fix: pyprov must know pip's configuration (its indexes above all) before pip runs; correct the configuration pip names, or pass --python with an environment whose pip works")]
    Config {
        program: String,
        #[source]
        source: ProbeError,
    },
    #[error("pip's installation report is unreadable: {0}")]
    Report(#[source] serde_json::Error),
}

/// Why pip's interpreter could not be asked about pip ([`PROBE`]).
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("{} is not `python -m pip` or a pip script with a #! line", .0.display())]
    NotPip(PathBuf),
    #[error("{0}")]
    Start(#[source] std::io::Error),
    #[error("it exited with {0}")]
    Exited(std::process::ExitStatus),
    /// What it wrote to stderr when it failed.
    #[error("{0}")]
    Failed(String),
    #[error("{0}")]
    Answer(#[source] serde_json::Error),
    #[error("it answered {0:?}")]
    Version(String),
}

/// How to invoke pip: an interpreter with `-m pip`, or a pip executable.
#[derive(Debug, Clone)]
pub(crate) struct Pip {
    pub program: PathBuf,
    pub prefix: Vec<String>,
    pub version: (u32, u32, u32),
    /// pip's configuration items for the command, in pip's override order.
    pub config: Vec<(String, String)>,
    /// The interpreter's marker environment and supported tags as JSON: what a resolution
    /// depends on about the interpreter.
    pub target: Option<String>,
    /// A digest of the distributions installed where this interpreter looks (each one's
    /// metadata, not where or when it was installed): what pip's resolution depends on about
    /// the environment.
    pub installed: String,
    /// The interpreter pip runs under.
    pub interpreter: PathBuf,
    /// A directory of refusing `hg`/`svn`/`bzr` put first on pip's PATH.
    pub vcs_stubs: Option<PathBuf>,
}

/// pip's version, the interpreter's marker environment and wheel tags, and pip's configuration
/// for one command, in one interpreter start-up. The configuration is what pip's own option
/// parser would apply, in pip's override order (files global, user, site, `PIP_CONFIG_FILE`, each
/// `[global]` then `[COMMAND]`, then `PIP_*` variables): `ConfigOptionParser` after
/// `Configuration.load()`, which every pip from 22.2 to 26.3 has. pyprov applies those items
/// itself and runs pip with every configuration source turned off, so pip's configuration can
/// never add an index, a find-links directory or a proxy behind pyprov's back.
const PROBE: &str = r#"import sys
# `python -c` puts the working directory first on sys.path: a json.py or pip/ there must not run.
if sys.path and sys.path[0] == "":
    del sys.path[0]
import hashlib, json, os
try:
    import pip
    from pip._internal.commands import create_command
    from pip._vendor.packaging import markers, tags
    name, isolated = sys.argv[1], sys.argv[2] == "1"
    parser = create_command(name, isolated=isolated).parser
    parser.config.load()
    items = [[k, v if isinstance(v, str) else str(v)] for k, v in parser._get_ordered_configuration_items()]
    # The installed distributions as pip's resolver sees them: their names and metadata, in any
    # directory on sys.path, by the directory's place on it (paths and times left out, so a
    # fresh venv in another place has the same digest).
    seen = []
    for i, d in enumerate(sys.path):
        try:
            entries = os.listdir(d)
        except OSError:
            continue
        for e in entries:
            if not e.endswith((".dist-info", ".egg-info", ".egg-link", ".pth", ".egg")):
                continue
            h = hashlib.sha256()
            p = os.path.join(d, e)
            for f in (["METADATA", "PKG-INFO", "requires.txt", "direct_url.json", "EGG-INFO/PKG-INFO", "EGG-INFO/requires.txt"] if os.path.isdir(p) else [""]):
                try:
                    with open(os.path.join(p, f) if f else p, "rb") as fh:
                        h.update(f.encode() + b"\0" + fh.read() + b"\0")
                except OSError:
                    pass
            # The entry's place on sys.path too: which copy shadows which is pip's answer.
            seen.append("%d %s %s" % (i, e, h.hexdigest()))
    out = {
        "installed": hashlib.sha256("\n".join(sorted(seen)).encode()).hexdigest(),
        "version": "pip %s from %s (python %d.%d)" % (pip.__version__, os.path.dirname(pip.__file__), sys.version_info[0], sys.version_info[1]),
        "target": {"env": markers.default_environment(), "tags": [str(t) for t in tags.sys_tags()]},
        "config": items,
    }
except Exception as e:
    sys.stderr.write("%s: %s\n" % (type(e).__name__, e))
    sys.exit(3)
print(json.dumps(out))
"#;

#[derive(Deserialize)]
struct Probed {
    version: String,
    installed: String,
    target: serde_json::Value,
    config: Vec<(String, String)>,
}

/// [`PROBE`] run by `python` for pip's `command`.
fn probe(python: &Path, command: &str, isolated: bool) -> Result<Probed, ProbeError> {
    let out = Command::new(python)
        .args(["-c", PROBE, command, if isolated { "1" } else { "0" }])
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .stdin(Stdio::null())
        .output()
        .map_err(ProbeError::Start)?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(if err.is_empty() {
            ProbeError::Exited(out.status)
        } else {
            ProbeError::Failed(err)
        });
    }
    let probed: Probed = serde_json::from_slice(&out.stdout).map_err(ProbeError::Answer)?;
    if parse_version(&probed.version).is_none() {
        return Err(ProbeError::Version(probed.version));
    }
    Ok(probed)
}

/// The interpreter a pip script runs under, from its `#!` line (or the `/bin/sh` trampoline
/// pip's launchers write for long paths, whose second line is `'''exec' /path/python ...`).
fn script_interpreter(script: &Path) -> Option<PathBuf> {
    use std::io::Read;
    let mut head = Vec::new();
    std::fs::File::open(script)
        .ok()?
        .take(4096)
        .read_to_end(&mut head)
        .ok()?;
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.lines();
    let first = lines.next()?.strip_prefix("#!")?.trim();
    let mut words = first.split_whitespace();
    let exe = words.next()?;
    if exe.ends_with("/sh") {
        let rest = lines.next()?.strip_prefix("'''exec' ")?;
        return rest.split_whitespace().next().map(PathBuf::from);
    }
    if exe.ends_with("/env") {
        return which::which(words.next()?).ok();
    }
    Some(PathBuf::from(exe))
}

fn display(program: &Path, prefix: &[String]) -> String {
    let mut s = program.display().to_string();
    for p in prefix {
        s.push(' ');
        s.push_str(p);
    }
    s
}

/// `pip --version`, the slow way (only to tell a pip too old to probe).
fn version_of(program: &Path, prefix: &[String]) -> Option<(u32, u32, u32)> {
    let out = Command::new(program)
        .args(prefix)
        .arg("--version")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    parse_version(String::from_utf8_lossy(&out.stdout).trim())
}

fn is_self(candidate: &Path) -> bool {
    let me = std::env::current_exe().and_then(std::fs::canonicalize).ok();
    let them = std::fs::canonicalize(candidate).ok();
    me.is_some() && me == them
}

/// The release of `pip X.Y.Z from …` (`pip --version`, or the probe's line) as (major, minor,
/// micro), missing parts 0: a PEP 440 version, so `24.1b1` is 24.1.0 and `1!2.0` is 2.0.0.
fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let v = text.strip_prefix("pip ")?.split_whitespace().next()?;
    let version: pep440_rs::Version = v.parse().ok()?;
    let part = |i: usize| {
        version
            .release()
            .get(i)
            .map_or(Some(0), |&n| u32::try_from(n).ok())
    };
    Some((part(0)?, part(1)?, part(2)?))
}

/// Every `pip` on PATH, in order, that is not this executable: executables only, as a shell
/// would find them.
pub(crate) fn pips_on_path(name: &str) -> Vec<PathBuf> {
    which::which_all(name)
        .map(|found| found.filter(|p| !is_self(p)).collect())
        .unwrap_or_default()
}

impl Pip {
    /// `--python PATH`, else the active virtualenv, else the first `pip` on PATH that is not
    /// pyprov itself.
    ///
    /// pip's configuration is read for `command` (`install`, `download`), isolated as pip's
    /// `--isolated` would make it.
    pub(crate) fn locate(
        python: Option<&Path>,
        chosen: Option<&(PathBuf, Vec<String>)>,
        command: &str,
        isolated: bool,
    ) -> Result<Pip, PipError> {
        let (program, prefix) = which_pip(python, chosen)?;
        if is_self(&program) {
            return Err(PipError::IsPyprov(program));
        }
        // An interpreter running `-m pip` imports the same pip for `-c` (both put the working
        // directory first on sys.path), and a pip script imports the pip of the interpreter
        // on its `#!` line: ask that interpreter everything at once.
        let interpreter = if prefix == ["-m", "pip"] {
            Some(program.clone())
        } else if prefix.is_empty() {
            script_interpreter(&program)
        } else {
            None
        };
        let probed = match &interpreter {
            Some(py) => probe(py, command, isolated),
            None => Err(ProbeError::NotPip(program.clone())),
        };
        let probed = probed.map_err(|source| unprobed(&program, &prefix, source))?;
        let version = parse_version(&probed.version).unwrap_or_default();
        let pip = Pip {
            program,
            prefix,
            version,
            config: probed.config,
            target: Some(probed.target.to_string()),
            installed: probed.installed,
            interpreter: interpreter.unwrap_or_default(),
            vcs_stubs: None,
        };
        if (version.0, version.1) < MIN_PIP {
            return Err(PipError::TooOld {
                program: pip.display(),
                version: format!("{}.{}.{}", version.0, version.1, version.2),
            });
        }
        Ok(pip)
    }

    pub(crate) fn display(&self) -> String {
        display(&self.program, &self.prefix)
    }

    /// `pip SUBCOMMAND` confined to pyprov's gate, whatever the user's pip is told elsewhere:
    /// every `PIP_*` and proxy variable of pyprov's environment is removed, `PIP_CONFIG_FILE`
    /// names the null device (pip then reads no configuration file at all), `--isolated` keeps
    /// the variables pyprov sets from mattering to this pip, and `HTTP(S)_PROXY`/`ALL_PROXY`
    /// send every request pip makes, to any host, through the gate (requests reads them when
    /// pip is given no `--proxy`, with no `NO_PROXY` left to exempt a host). The gate's URL
    /// carries the run's token, so it is never on the command line, which every local user
    /// can read (`/proc/PID/cmdline`); a process's environment only its owner can.
    /// pip's build-isolation subprocesses inherit the variables set here (`PIP_PROXY`,
    /// `HTTP(S)_PROXY`, the null configuration), so they are held to the same gate; so is any
    /// `git` pip runs.
    pub(crate) fn command(&self, subcommand: &str, index: IndexEnv<'_>, gate: &str) -> Command {
        let mut cmd = Command::new(&self.program);
        if self.prefix == ["-m", "pip"] {
            // `python -m pip` would import a `pip/` in the working directory first.
            cmd.args(["-c", RUN_PIP]);
        } else {
            cmd.args(&self.prefix);
        }
        for (k, _) in std::env::vars_os() {
            let name = k.to_string_lossy().to_ascii_uppercase();
            // `_PIP_*` are pip's own internal switches (`_PIP_IN_BUILD_IGNORE_CONSTRAINTS`).
            if name.starts_with("PIP_")
                || name.starts_with("_PIP_")
                // urllib reads every `*_proxy` variable, and requests prefers a per-host one
                // (`http://host_proxy`) over the scheme's: none may survive.
                || name.ends_with("_PROXY")
                || PROXY_VARIABLES.contains(&name.as_str())
            {
                cmd.env_remove(&k);
            }
        }
        cmd.env("PIP_CONFIG_FILE", "/dev/null")
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .env("PIP_NO_INPUT", "1")
            // pip's caches could hand it a wheel it built or fetched earlier, unverified.
            .env("PIP_NO_CACHE_DIR", "1")
            .env("PIP_PROXY", gate);
        for v in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        ] {
            cmd.env(v, gate);
        }
        cmd.arg(subcommand);
        cmd.args([
            "--isolated",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "--no-input",
            // The gate answers only once a file is verified, which for a large file on a slow
            // link takes longer than pip's 15 s default.
            "--timeout=900",
        ]);
        match index {
            IndexEnv::Proxy(url) => {
                cmd.arg(format!("--index-url={url}"));
            }
            IndexEnv::Vetted(dir) => {
                cmd.arg("--no-index");
                cmd.arg(format!("--find-links={}", dir.display()));
            }
        }
        cmd.stdin(Stdio::null());
        cmd
    }
}

/// The program and leading arguments that run pip: the drop-in's choice (unless `--python`
/// says otherwise), `--python`, the active virtualenv, or the first `pip` on PATH.
fn which_pip(
    python: Option<&Path>,
    chosen: Option<&(PathBuf, Vec<String>)>,
) -> Result<(PathBuf, Vec<String>), PipError> {
    let module = || vec!["-m".to_string(), "pip".to_string()];
    if let Some((program, prefix)) = chosen.filter(|_| python.is_none()) {
        return Ok((program.clone(), prefix.clone()));
    }
    if let Some(py) = python {
        check_interpreter(py)?;
        return Ok((py.to_path_buf(), module()));
    }
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV").filter(|v| !v.is_empty()) {
        let py = PathBuf::from(venv).join("bin").join("python");
        if !py.is_file() {
            return Err(PipError::VirtualEnvWithoutPython(py));
        }
        return Ok((py, module()));
    }
    let found = pips_on_path("pip")
        .into_iter()
        .next()
        .ok_or(PipError::NotOnPath)?;
    Ok((found, Vec::new()))
}

/// `--python` names a file: a virtualenv's directory is a usage mistake pyprov names (it does
/// not pick the interpreter in it: `--python` always names the interpreter, as pip's does).
fn check_interpreter(py: &Path) -> Result<(), PipError> {
    if py.is_dir() {
        let inner = py.join("bin").join("python");
        return Err(if inner.is_file() {
            PipError::VirtualEnvDirectory {
                dir: py.to_path_buf(),
                python: inner,
            }
        } else {
            PipError::Directory(py.to_path_buf())
        });
    }
    // A bare name (`python3`) is looked up on PATH when run: only a path must exist.
    if py.components().count() > 1 && !py.exists() {
        return Err(PipError::NoSuchPython(py.to_path_buf()));
    }
    Ok(())
}

/// pip could not be asked: a pip too old for pyprov says so, rather than that it is unreadable.
fn unprobed(program: &Path, prefix: &[String], source: ProbeError) -> PipError {
    if let Some(v) = version_of(program, prefix) {
        if (v.0, v.1) < MIN_PIP {
            return PipError::TooOld {
                program: display(program, prefix),
                version: format!("{}.{}.{}", v.0, v.1, v.2),
            };
        }
    }
    PipError::Config {
        program: display(program, prefix),
        source,
    }
}

/// pip run from `python -c` without the working directory on `sys.path` (what `-m pip` does,
/// minus that).
const RUN_PIP: &str = "import sys\nif sys.path and sys.path[0] == '':\n    del sys.path[0]\nimport runpy\nrunpy.run_module('pip', run_name='__main__', alter_sys=True)";

/// Writes `hg`, `svn` and `bzr` stand-ins into `dir` that refuse to run: pip's VCS support
/// would fetch around the gate with them.
pub(crate) fn write_vcs_stubs(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir)?;
    for tool in ["hg", "svn", "bzr"] {
        let path = dir.join(tool);
        std::fs::write(
            &path,
            format!("#!/bin/sh\necho \"pyprov: {tool} is not available to pip: a VCS checkout is fetched around pyprov's gate\" >&2\nexit 1\n"),
        )?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

/// Variables through which a proxy (or a way around one) reaches pip, requests or git.
const PROXY_VARIABLES: &[&str] = &["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"];

/// Which index a pip run may use.
pub(crate) enum IndexEnv<'a> {
    /// pyprov's verifying index, during resolution.
    Proxy(&'a str),
    /// Only the directory of vetted files, for the install.
    Vetted(&'a Path),
}

/// The parts of pip's `--report` pyprov uses.
#[derive(Debug, Deserialize)]
pub(crate) struct Report {
    #[serde(default)]
    pub install: Vec<ReportItem>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReportItem {
    pub download_info: DownloadInfo,
    #[serde(default)]
    pub is_direct: bool,
    #[serde(default)]
    pub requested: bool,
    pub metadata: ReportMetadata,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReportMetadata {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DownloadInfo {
    pub url: String,
    #[serde(default)]
    pub archive_info: Option<ArchiveInfo>,
    #[serde(default)]
    pub dir_info: Option<DirInfo>,
    #[serde(default)]
    pub vcs_info: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ArchiveInfo {
    #[serde(default)]
    pub hashes: Option<std::collections::BTreeMap<String, String>>,
    #[serde(default)]
    pub hash: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DirInfo {
    #[serde(default)]
    pub editable: bool,
}

impl ArchiveInfo {
    pub(crate) fn sha256(&self) -> Option<String> {
        self.hashes
            .as_ref()
            .and_then(|h| h.get("sha256").cloned())
            .or_else(|| {
                self.hash
                    .as_deref()
                    .and_then(|h| h.strip_prefix("sha256="))
                    .map(str::to_string)
            })
    }
}

/// What pip's resolution kept as it is installed: its `Requirement already satisfied: REQ in
/// PATH (from PARENT) (VERSION)` lines (the same in every pip from 22.2 on), as (project,
/// installed version). For the report only: pip's `--report` lists what it would install, not
/// what it kept.
pub(crate) fn already_satisfied(output: &str) -> Vec<(String, String)> {
    let mut kept: Vec<(String, String)> = Vec::new();
    for line in output.lines() {
        let Some(rest) = line
            .trim_start()
            .strip_prefix("Requirement already satisfied: ")
        else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        let version = rest
            .trim_end()
            .strip_suffix(')')
            .and_then(|r| r.rsplit_once('('))
            .map(|(_, v)| v.to_string())
            .unwrap_or_default();
        if !name.is_empty() && !kept.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
            kept.push((name, version));
        }
    }
    kept
}

pub(crate) fn parse_report(bytes: &[u8]) -> Result<Report, PipError> {
    serde_json::from_slice(bytes).map_err(PipError::Report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(
            parse_version("pip 23.2.1 from /x/pip (python 3.11)"),
            Some((23, 2, 1))
        );
        assert_eq!(parse_version("pip 26.0 from x"), Some((26, 0, 0)));
        assert_eq!(parse_version("pip 24.1b1 from x"), Some((24, 1, 0)));
        assert_eq!(parse_version("nope"), None);
        assert_eq!(
            parse_version("pip 25.0.dev0+local from x"),
            Some((25, 0, 0))
        );
        assert_eq!(parse_version("pip not-a-version from x"), None);
        assert_eq!(parse_version("pip 99999999999.1 from x"), None);
    }

    #[test]
    fn the_gate_token_is_never_on_the_command_line() {
        let pip = Pip {
            program: PathBuf::from("/usr/bin/python3"),
            prefix: vec!["-m".into(), "pip".into()],
            version: (26, 3, 0),
            config: Vec::new(),
            target: None,
            installed: String::new(),
            interpreter: PathBuf::from("/usr/bin/python3"),
            vcs_stubs: None,
        };
        let gate = "http://pyprov:s3cret-token@127.0.0.1:1";
        for index in [
            IndexEnv::Proxy("http://127.0.0.1:1/simple/"),
            IndexEnv::Vetted(Path::new("/v")),
        ] {
            let cmd = pip.command("install", index, gate);
            assert!(cmd
                .get_args()
                .all(|a| !a.to_string_lossy().contains("s3cret")));
            let env: Vec<(String, String)> = cmd
                .get_envs()
                .filter_map(|(k, v)| Some((k.to_str()?.to_string(), v?.to_str()?.to_string())))
                .collect();
            for var in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "PIP_PROXY"] {
                assert!(env.iter().any(|(k, v)| k == var && v == gate), "{var}");
            }
        }
    }

    #[test]
    fn satisfied_lines() {
        let out = "Collecting app\n  Downloading app.whl\nRequirement already satisfied: dep>=1.0 in ./v/lib/python3.11/site-packages (from app==1.0) (1.0)\nRequirement already satisfied: Other.Name[x]; python_version > \"3\" in /s (2.1.post1)\nRequirement already satisfied: dep in /x (1.0)\nWould install app-1.0\n";
        assert_eq!(
            already_satisfied(out),
            vec![
                ("dep".to_string(), "1.0".to_string()),
                ("Other.Name".to_string(), "2.1.post1".to_string())
            ]
        );
        assert!(already_satisfied("Requirement already satisfied: \u{1b}[2J").is_empty());
    }

    #[test]
    fn report_items() {
        let r = parse_report(br#"{"version":"1","install":[{"download_info":{"url":"http://x/a-1-py3-none-any.whl","archive_info":{"hash":"sha256=ab"}},"is_direct":false,"requested":true,"metadata":{"name":"a","version":"1"}},
          {"download_info":{"url":"file:///p","dir_info":{"editable":true}},"is_direct":true,"metadata":{"name":"p","version":"0.1"}}]}"#).unwrap();
        assert_eq!(
            r.install[0]
                .download_info
                .archive_info
                .as_ref()
                .unwrap()
                .sha256()
                .as_deref(),
            Some("ab")
        );
        assert!(
            r.install[1]
                .download_info
                .dir_info
                .as_ref()
                .unwrap()
                .editable
        );
    }
}
