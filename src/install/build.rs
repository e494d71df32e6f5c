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
pub struct Builder {
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

/// A wheel built from a vetted sdist.
#[derive(Debug, Clone)]
pub struct Built {
    pub path: PathBuf,
    pub filename: String,
    pub sha256: String,
    /// Its METADATA, as checked for the gate ([`super::proxy::checked_metadata`]).
    pub metadata: Vec<u8>,
}

impl Builder {
    /// Builds the sdist at `sdist` (vetted, named `filename`, of sha256 `sha256`) into one
    /// wheel of the same project and version, or says why not.
    pub fn build(&self, sdist: &Path, filename: &str, sha256: &str) -> Result<Built, String> {
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
            let err = String::from_utf8_lossy(&output.stderr);
            let tail: Vec<&str> = err.lines().rev().take(20).collect();
            return Err(format!(
                "pip could not build it ({}): {}",
                output.status,
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
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
        Ok(Built {
            path: path.clone(),
            filename: wheel_name,
            sha256: hex::encode(Sha256::digest(&bytes)),
            metadata,
        })
    }
}
