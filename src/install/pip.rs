//! The real pip: finding it without ever finding pyprov, checking its version, and running it
//! with an environment in which no index but pyprov's can be reached.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde::Deserialize;

/// `--dry-run --report` appeared in pip 22.2.
pub const MIN_PIP: (u32, u32) = (22, 2);

#[derive(Debug, thiserror::Error)]
pub enum PipError {
    #[error("no pip found: {0}")]
    NotFound(String),
    #[error("{program} is pip {version}; pyprov needs pip 22.2 or newer for --dry-run --report\n  fix: `{program} install --upgrade 'pip>=22.2'` (from a source you trust), or pass --python with a newer environment")]
    TooOld { program: String, version: String },
    #[error("cannot run {program}: {message}")]
    Run { program: String, message: String },
    #[error("pip's installation report is unreadable: {0}")]
    Report(String),
}

/// How to invoke pip: an interpreter with `-m pip`, or a pip executable.
#[derive(Debug, Clone)]
pub struct Pip {
    pub program: PathBuf,
    pub prefix: Vec<String>,
    pub version: (u32, u32, u32),
    pub version_text: String,
    /// `pip config list`, when [`PROBE`] already read it.
    config: Option<Vec<(String, String)>>,
    /// The interpreter's marker environment and supported tags as JSON, when [`PROBE`] read
    /// them: what a resolution depends on about the interpreter.
    pub target: Option<String>,
}

/// pip's version and `pip config list`, in one interpreter start-up: `pip --version` and `pip
/// config list` each import pip's whole command line (about 0.3 s each here), this imports only
/// pip's configuration code, which `pip config list` runs (`Configuration.load()`, then
/// `sorted(items())` printed as `key=repr(value)`). `isolated` as pip's `PIP_ISOLATED` would set
/// it. Any failure (a pip whose internals differ) exits 3, and pyprov asks pip the slow way.
const PROBE: &str = r#"import os, sys
try:
    import pip
    from pip._internal.configuration import Configuration
    isolated = os.environ.get("PIP_ISOLATED", "").lower() in ("1", "y", "yes", "t", "true", "on")
    configuration = Configuration(isolated=isolated)
    configuration.load()
    items = sorted(configuration.items())
    version = pip.__version__
    import json
    from pip._vendor.packaging import markers, tags
    target = json.dumps({"env": markers.default_environment(), "tags": [str(t) for t in tags.sys_tags()]})
except Exception:
    sys.exit(3)
print("pip %s from %s (python %d.%d)" % (version, os.path.dirname(pip.__file__), sys.version_info[0], sys.version_info[1]))
print(target)
for key, value in items:
    print("%s=%r" % (key, value))
"#;

/// `key='value'` lines as `pip config list` prints them.
fn parse_config(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once('=')?;
            let v = v.trim().trim_matches('\'').trim_matches('"');
            Some((k.trim().to_string(), v.to_string()))
        })
        .collect()
}

/// What [`PROBE`] prints: pip's `--version` line, the interpreter's marker environment and
/// wheel tags (JSON), and pip's configuration.
type Probed = (String, String, Vec<(String, String)>);

/// [`PROBE`] run by `python`.
fn probe(python: &Path) -> Option<Probed> {
    let out = Command::new(python)
        .args(["-c", PROBE])
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.splitn(3, '\n');
    let first = lines.next()?;
    let target = lines.next()?;
    let rest = lines.next().unwrap_or("");
    parse_version(first)?;
    Some((
        first.trim().to_string(),
        target.trim().to_string(),
        parse_config(rest),
    ))
}

fn is_self(candidate: &Path) -> bool {
    let me = std::env::current_exe().and_then(std::fs::canonicalize).ok();
    let them = std::fs::canonicalize(candidate).ok();
    me.is_some() && me == them
}

fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let v = text.strip_prefix("pip ")?.split_whitespace().next()?;
    let mut parts = v.split('.').map(|p| {
        p.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse::<u32>()
            .unwrap_or(0)
    });
    Some((
        parts.next()?,
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    ))
}

/// Every `pip` on PATH, in order, that is not this executable.
pub fn pips_on_path(name: &str) -> Vec<PathBuf> {
    let Some(path) = std::env::var_os("PATH") else {
        return Vec::new();
    };
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .filter(|p| p.is_file() && !is_self(p))
        .collect()
}

impl Pip {
    /// `--python PATH`, else the active virtualenv, else the first `pip` on PATH that is not
    /// pyprov itself.
    pub fn locate(
        python: Option<&Path>,
        chosen: Option<&(PathBuf, Vec<String>)>,
    ) -> Result<Pip, PipError> {
        let (program, prefix) = if let Some((program, prefix)) = chosen.filter(|_| python.is_none())
        {
            (program.clone(), prefix.clone())
        } else if let Some(py) = python {
            (py.to_path_buf(), vec!["-m".to_string(), "pip".to_string()])
        } else if let Some(venv) = std::env::var_os("VIRTUAL_ENV").filter(|v| !v.is_empty()) {
            let py = PathBuf::from(venv).join("bin").join("python");
            if !py.is_file() {
                return Err(PipError::NotFound(format!(
                    "VIRTUAL_ENV points at {}, which has no bin/python",
                    py.display()
                )));
            }
            (py, vec!["-m".into(), "pip".into()])
        } else {
            let found = pips_on_path("pip").into_iter().next().ok_or_else(|| {
                PipError::NotFound(
                    "no `pip` on PATH other than pyprov; pass --python /path/to/python or activate a virtualenv".into(),
                )
            })?;
            (found, Vec::new())
        };
        if is_self(&program) {
            return Err(PipError::NotFound(format!(
                "{} is pyprov itself; running it would loop",
                program.display()
            )));
        }
        // An interpreter running `-m pip` imports the same pip for `-c` (both put the working
        // directory first on sys.path): ask it everything at once.
        let probed = if prefix == ["-m", "pip"] {
            probe(&program)
        } else {
            None
        };
        let (text, target, config) = match probed {
            Some((text, target, config)) => (text, Some(target), Some(config)),
            None => {
                let out = Command::new(&program)
                    .args(&prefix)
                    .arg("--version")
                    .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
                    .stdin(Stdio::null())
                    .output()
                    .map_err(|e| PipError::Run {
                        program: program.display().to_string(),
                        message: e.to_string(),
                    })?;
                let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
                if parse_version(&text).is_none() {
                    return Err(PipError::NotFound(format!(
                        "{} does not answer like pip ({})",
                        program.display(),
                        String::from_utf8_lossy(&out.stderr).trim()
                    )));
                }
                (text, None, None)
            }
        };
        let version = parse_version(&text).unwrap_or_default();
        let pip = Pip {
            program,
            prefix,
            version,
            version_text: text,
            config,
            target,
        };
        if (version.0, version.1) < MIN_PIP {
            return Err(PipError::TooOld {
                program: pip.display(),
                version: format!("{}.{}.{}", version.0, version.1, version.2),
            });
        }
        Ok(pip)
    }

    pub fn display(&self) -> String {
        let mut s = self.program.display().to_string();
        for p in &self.prefix {
            s.push(' ');
            s.push_str(p);
        }
        s
    }

    /// A pip command whose index settings are pyprov's alone. Environment variables override
    /// pip's configuration files, so the user's config cannot add an index behind pyprov's back;
    /// everything else in it still applies.
    pub fn command(&self, index: IndexEnv<'_>) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.prefix);
        for (k, _) in std::env::vars_os() {
            if let Some(name) = k.to_str() {
                if matches!(
                    name,
                    "PIP_INDEX_URL"
                        | "PIP_EXTRA_INDEX_URL"
                        | "PIP_FIND_LINKS"
                        | "PIP_NO_INDEX"
                        | "PIP_REQUIREMENT"
                        | "PIP_CONSTRAINT"
                ) {
                    cmd.env_remove(&k);
                }
            }
        }
        cmd.env("PIP_DISABLE_PIP_VERSION_CHECK", "1");
        cmd.env("PIP_EXTRA_INDEX_URL", "");
        match index {
            IndexEnv::Proxy(url) => {
                cmd.env("PIP_INDEX_URL", url);
                cmd.env("PIP_FIND_LINKS", "");
                cmd.env("PIP_NO_INDEX", "0");
                // pip's caches could hand it a wheel it built or fetched earlier, unverified.
                cmd.env("PIP_NO_CACHE_DIR", "1");
            }
            IndexEnv::Vetted(dir) => {
                cmd.env("PIP_NO_INDEX", "1");
                // Also on the command line; here it replaces any find-links from pip's config.
                cmd.env("PIP_FIND_LINKS", dir.as_os_str());
                cmd.env("PIP_NO_CACHE_DIR", "1");
            }
        }
        cmd.stdin(Stdio::null());
        cmd
    }

    /// `pip config list`, read through the real pip so every pip.conf location and
    /// `PIP_CONFIG_FILE` is honoured as pip honours it.
    pub fn config_list(&self) -> Vec<(String, String)> {
        if let Some(config) = &self.config {
            return config.clone();
        }
        let out: Option<Output> = Command::new(&self.program)
            .args(&self.prefix)
            .args(["config", "list"])
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok();
        let Some(out) = out.filter(|o| o.status.success()) else {
            return Vec::new();
        };
        parse_config(&String::from_utf8_lossy(&out.stdout))
    }
}

/// Which index a pip run may use.
pub enum IndexEnv<'a> {
    /// pyprov's verifying index, during resolution.
    Proxy(&'a str),
    /// Only the directory of vetted files, for the install.
    Vetted(&'a Path),
}

/// The parts of pip's `--report` pyprov uses.
#[derive(Debug, Deserialize)]
pub struct Report {
    #[serde(default)]
    pub install: Vec<ReportItem>,
}

#[derive(Debug, Deserialize)]
pub struct ReportItem {
    pub download_info: DownloadInfo,
    #[serde(default)]
    pub is_direct: bool,
    #[serde(default)]
    pub requested: bool,
    pub metadata: ReportMetadata,
}

#[derive(Debug, Deserialize)]
pub struct ReportMetadata {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Deserialize)]
pub struct DownloadInfo {
    pub url: String,
    #[serde(default)]
    pub archive_info: Option<ArchiveInfo>,
    #[serde(default)]
    pub dir_info: Option<DirInfo>,
    #[serde(default)]
    pub vcs_info: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct ArchiveInfo {
    #[serde(default)]
    pub hashes: Option<std::collections::BTreeMap<String, String>>,
    #[serde(default)]
    pub hash: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct DirInfo {
    #[serde(default)]
    pub editable: bool,
}

impl ArchiveInfo {
    pub fn sha256(&self) -> Option<String> {
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

pub fn parse_report(bytes: &[u8]) -> Result<Report, PipError> {
    serde_json::from_slice(bytes).map_err(|e| PipError::Report(e.to_string()))
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
