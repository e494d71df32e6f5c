//! Building a vetted sdist once. pip's resolution needs an sdist's metadata, which it gets by
//! running the sdist's build backend, and its install builds the wheel again in a new build
//! environment: twice the work of pip alone. A pip that reads PEP 658 metadata for sdists (the
//! newer ones do, when hashes are not required) is instead offered metadata by the gate, which
//! builds the vetted sdist with the user's own pip (`pip wheel`, confined to the gate like every
//! pip pyprov runs, with the user's build options) and serves the built wheel's METADATA. The
//! install step then installs that wheel, pinned by its hash: what pip would have built and
//! installed, built once.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::pip::{IndexEnv, Pip};
use crate::verify::distname;

/// How to build: the user's pip, where the gate is, and the user's build options.
#[derive(Debug, Clone)]
pub(crate) struct Builder {
    pub pip: Pip,
    pub index_url: String,
    pub proxy_url: String,
    /// pip's options that change a build (`--config-settings`, `--no-build-isolation`, …), as
    /// `pip wheel` takes them.
    pub options: Vec<String>,
    /// Where built wheels go, one directory per sdist.
    pub out: PathBuf,
    pub verbosity: i32,
}

/// What the gate made of a vetted sdist: the metadata it serves, and the wheel it built.
#[derive(Debug, Clone)]
pub(crate) struct Built {
    /// `None` when the wheel could not be built and the metadata came from the sdist's
    /// metadata hook instead (pip alone runs only that hook while it resolves: a version it
    /// then backtracks from may well not build). pip builds it again at install, if chosen.
    pub wheel: Option<Wheel>,
    /// The METADATA served, checked for the gate ([`super::proxy::checked_metadata`]).
    pub metadata: Vec<u8>,
    /// Why no wheel was built.
    pub failure: Option<String>,
    /// The sdist's file name.
    pub sdist: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Wheel {
    pub path: PathBuf,
    pub filename: String,
    pub sha256: String,
}

impl Builder {
    /// Builds the sdist at `sdist` (vetted, named `filename`, of sha256 `sha256`) into one
    /// wheel of the same project and version; else its metadata from its metadata hook; else
    /// says why neither worked.
    pub(crate) fn build(
        &self,
        sdist: &Path,
        filename: &str,
        sha256: &str,
    ) -> Result<Built, String> {
        match self.build_wheel(sdist, filename, sha256) {
            Ok((wheel, metadata)) => Ok(Built {
                wheel: Some(wheel),
                metadata,
                failure: None,
                sdist: filename.to_string(),
            }),
            Err(why) => {
                let source = self.out.join(sha256).join(filename);
                match self.metadata_only(&source, sha256) {
                    Ok(metadata) => Ok(Built {
                        wheel: None,
                        metadata,
                        failure: Some(why),
                        sdist: filename.to_string(),
                    }),
                    Err(also) => Err(format!("{why}\nand its metadata hook failed too: {also}")),
                }
            }
        }
    }

    /// The sdist's metadata as pip's resolution gets it: `pip install --dry-run --no-deps
    /// --report`, confined like every pip, runs the metadata hook alone.
    fn metadata_only(&self, source: &Path, sha256: &str) -> Result<Vec<u8>, String> {
        let report = self.out.join(sha256).join("metadata-report.json");
        let mut cmd =
            self.pip
                .command("install", IndexEnv::Proxy(&self.index_url), &self.proxy_url);
        cmd.args([
            "--dry-run",
            "--no-deps",
            "--ignore-installed",
            "--progress-bar=off",
            "--report",
        ])
        .arg(&report)
        .args(&self.options)
        .arg(source);
        let output = cmd.output().map_err(|e| e.to_string())?;
        if !output.status.success() {
            return Err(tail(&output.stderr));
        }
        let bytes = std::fs::read(&report).map_err(|e| e.to_string())?;
        let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
        let metadata = value
            .get("install")
            .and_then(|i| i.get(0))
            .and_then(|i| i.get("metadata"))
            .and_then(core_metadata)
            .ok_or("pip's report of it holds no usable metadata")?;
        if let Some(req) = super::proxy::fetched_around_the_gate(metadata.as_bytes()) {
            return Err(format!(
                "its metadata requires `{req}`, which pip would fetch around the gate"
            ));
        }
        Ok(metadata.into_bytes())
    }

    fn build_wheel(
        &self,
        sdist: &Path,
        filename: &str,
        sha256: &str,
    ) -> Result<(Wheel, Vec<u8>), String> {
        let name = distname::parse(filename).map_err(|e| e.to_string())?;
        let out = self.out.join(sha256).join("wheel");
        std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        // pip reads what an archive is from its name: the vetted bytes under the sdist's.
        if Path::new(filename).file_name() != Some(std::ffi::OsStr::new(filename)) {
            return Err(format!("{filename:?} is not a plain file name"));
        }
        let source = self.out.join(sha256).join(filename);
        if !source.exists() {
            std::fs::hard_link(sdist, &source)
                .or_else(|_| std::fs::copy(sdist, &source).map(|_| ()))
                .map_err(|e| format!("{}: {e}", source.display()))?;
        }
        let mut cmd = self
            .pip
            .command("wheel", IndexEnv::Proxy(&self.index_url), &self.proxy_url);
        cmd.args(["--no-deps", "--progress-bar=off", "--wheel-dir"])
            .arg(&out)
            .args(&self.options);
        for _ in 0..self.verbosity.max(0) {
            cmd.arg("-v");
        }
        cmd.arg(&source);
        let output = cmd.output().map_err(|e| e.to_string())?;
        if !output.status.success() {
            return Err(format!(
                "pip could not build it ({}): {}",
                output.status,
                tail(&output.stderr)
            ));
        }
        let wheels: Vec<PathBuf> = std::fs::read_dir(&out)
            .map_err(|e| e.to_string())?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "whl"))
            .collect();
        let [path] = wheels.as_slice() else {
            return Err(format!(
                "pip built {} wheels from it, not one",
                wheels.len()
            ));
        };
        let wheel_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let built = distname::parse(&wheel_name).map_err(|e| e.to_string())?;
        if built.project() != name.project() || built.version() != name.version() {
            return Err(format!(
                "pip built {wheel_name} from it, which is not {} {}",
                name.project(),
                name.version()
            ));
        }
        let metadata = super::proxy::checked_metadata(path, &wheel_name)?;
        let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
        Ok((
            Wheel {
                path: path.clone(),
                filename: wheel_name,
                sha256: hex::encode(Sha256::digest(&bytes)),
            },
            metadata,
        ))
    }
}

/// The last lines of pip's error output: where it says what failed.
fn tail(stderr: &[u8]) -> String {
    let err = String::from_utf8_lossy(stderr);
    let mut lines: Vec<&str> = err.lines().rev().take(30).collect();
    lines.reverse();
    lines.join("\n")
}

/// Core metadata (the fields resolution reads) from the JSON form pip's report gives it (PEP
/// 566), or `None` when a field is not what the format allows (a line break would start a
/// header of its own).
fn core_metadata(v: &serde_json::Value) -> Option<String> {
    let mut out = String::new();
    let mut header = |name: &str, value: &str| -> Option<()> {
        if value.contains(['\r', '\n']) {
            return None;
        }
        out.push_str(&format!("{name}: {value}\n"));
        Some(())
    };
    header("Metadata-Version", v.get("metadata_version")?.as_str()?)?;
    header("Name", v.get("name")?.as_str()?)?;
    header("Version", v.get("version")?.as_str()?)?;
    if let Some(rp) = v.get("requires_python") {
        header("Requires-Python", rp.as_str()?)?;
    }
    for (key, name) in [
        ("requires_dist", "Requires-Dist"),
        ("provides_extra", "Provides-Extra"),
    ] {
        if let Some(list) = v.get(key) {
            for item in list.as_array()? {
                header(name, item.as_str()?)?;
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_metadata_from_pips_json() {
        let v = serde_json::json!({
            "metadata_version": "2.1", "name": "app", "version": "2.0",
            "requires_python": ">=3.8", "requires_dist": ["dep>=5", "x; extra == 'e'"],
            "provides_extra": ["e"], "summary": "ignored"
        });
        assert_eq!(
            core_metadata(&v).unwrap(),
            "Metadata-Version: 2.1\nName: app\nVersion: 2.0\nRequires-Python: >=3.8\nRequires-Dist: dep>=5\nRequires-Dist: x; extra == 'e'\nProvides-Extra: e\n"
        );
        let forged = serde_json::json!({
            "metadata_version": "2.1", "name": "app", "version": "2.0",
            "requires_dist": ["dep\nRequires-Dist: evil @ file:///x"]
        });
        assert!(core_metadata(&forged).is_none());
    }
}
