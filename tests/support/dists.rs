//! Real Python distribution files, built in memory for tests: no network, no pip.
//!
//! * [`wheel`]: a valid `py3-none-any` wheel (METADATA, WHEEL, RECORD with real hashes).
//! * [`sdist`]: a `.tar.gz` sdist whose `pyproject.toml` names the build backend
//!   `pyprov_test_backend`, which lives in a *build dependency*, [`backend_wheel`]. Building it
//!   therefore needs the backend wheel from the same index or `--find-links` directory, exactly
//!   like a real sdist needs setuptools or hatchling. Every backend hook runs the sdist's own
//!   `pyprov_setup.py` (as setuptools runs `setup.py`); with a marker path, that code writes the
//!   marker, so a test can tell whether code from the sdist ever ran.
//! * [`Dist::from_file`]: a real file from disk (the shared corpus), with its core metadata.
//!
//! Every archive is deterministic (fixed timestamps and modes): building the same dist twice
//! gives the same bytes, so the same sha256 and the same attestation subject.

// Each integration-test binary compiles this module separately and uses only part of it.
#![allow(dead_code)]

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::pki::{self, Identity, Signing, TestPki};

pub use super::pki::sha256_hex;

/// One distribution file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dist {
    /// The project name as written in the metadata (`Name:`), not normalized.
    pub name: String,
    pub version: String,
    /// The file name on the index (`foo_bar-1.0-py3-none-any.whl`, `foo_bar-1.0.tar.gz`).
    pub filename: String,
    pub bytes: Vec<u8>,
    /// The core metadata text: the wheel's `.dist-info/METADATA` (what PEP 658 serves as
    /// `<file>.metadata`), or the sdist's `PKG-INFO`.
    pub metadata: String,
}

impl Dist {
    /// Lower-case hex sha256 of the file.
    pub fn sha256(&self) -> String {
        sha256_hex(&self.bytes)
    }

    /// Lower-case hex sha256 of [`Dist::metadata`].
    pub fn metadata_sha256(&self) -> String {
        sha256_hex(self.metadata.as_bytes())
    }

    pub fn is_wheel(&self) -> bool {
        self.filename.ends_with(".whl")
    }

    pub fn is_sdist(&self) -> bool {
        !self.is_wheel()
    }

    /// The PEP 503 normalized project name.
    pub fn project(&self) -> String {
        normalize(&self.name)
    }

    /// Write the file into `dir` under its own name; returns the path.
    pub fn write_to(&self, dir: &Path) -> PathBuf {
        let path = dir.join(&self.filename);
        std::fs::write(&path, &self.bytes).expect("write dist file");
        path
    }

    /// The same file with other bytes (a tampered copy): name, version and metadata kept.
    pub fn with_bytes(&self, bytes: Vec<u8>) -> Dist {
        Dist {
            bytes,
            ..self.clone()
        }
    }

    /// A dist read from disk: name and version come from the file name (wheel:
    /// `name-version-…whl`; sdist: `name-version.tar.gz` or `.zip`), the metadata from the
    /// wheel's `*.dist-info/METADATA` or the sdist's top-level `PKG-INFO` (empty when absent).
    /// The name is the file name's, so `Name:` in the metadata may be spelled differently.
    pub fn from_file(path: &Path) -> Dist {
        let filename = path
            .file_name()
            .and_then(|f| f.to_str())
            .expect("dist path has a UTF-8 file name")
            .to_string();
        let bytes = std::fs::read(path).expect("read dist file");
        Dist::from_bytes(&filename, bytes)
    }

    /// Like [`Dist::from_file`], for bytes already in memory.
    pub fn from_bytes(filename: &str, bytes: Vec<u8>) -> Dist {
        let (name, version) = split_filename(filename);
        let metadata = if filename.ends_with(".whl") {
            wheel_metadata(&bytes).unwrap_or_default()
        } else if filename.ends_with(".tar.gz") {
            sdist_pkg_info(&bytes).unwrap_or_default()
        } else {
            String::new()
        };
        Dist {
            name,
            version,
            filename: filename.to_string(),
            bytes,
            metadata,
        }
    }
}

/// PEP 503 name normalization: lower case, runs of `-`, `_`, `.` become one `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
            continue;
        }
        if sep && !out.is_empty() {
            out.push('-');
        }
        sep = false;
        out.extend(c.to_lowercase());
    }
    out
}

/// The name as it appears in wheel and sdist file names and in `.dist-info` directories
/// (PEP 427 / the binary distribution format spec): normalized, with `_` for `-`.
pub fn escaped_name(name: &str) -> String {
    normalize(name).replace('-', "_")
}

/// `(name, version)` from a distribution file name.
fn split_filename(filename: &str) -> (String, String) {
    if let Some(stem) = filename.strip_suffix(".whl") {
        let mut parts = stem.split('-');
        let name = parts.next().unwrap_or_default().to_string();
        let version = parts.next().unwrap_or_default().to_string();
        return (name, version);
    }
    let stem = filename
        .strip_suffix(".tar.gz")
        .or_else(|| filename.strip_suffix(".zip"))
        .unwrap_or(filename);
    match stem.rsplit_once('-') {
        Some((name, version)) => (name.to_string(), version.to_string()),
        None => (stem.to_string(), String::new()),
    }
}

fn wheel_metadata(bytes: &[u8]) -> Option<String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let name = zip
        .file_names()
        .find(|n| {
            n.ends_with("/METADATA")
                && n.matches('/').count() == 1
                && n.split('/')
                    .next()
                    .is_some_and(|d| d.ends_with(".dist-info"))
        })?
        .to_string();
    let mut text = String::new();
    zip.by_name(&name).ok()?.read_to_string(&mut text).ok()?;
    Some(text)
}

fn sdist_pkg_info(bytes: &[u8]) -> Option<String> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    for entry in archive.entries().ok()? {
        let mut entry = entry.ok()?;
        let path = entry.path().ok()?.to_string_lossy().into_owned();
        let mut parts = path.split('/');
        if let (Some(_), Some("PKG-INFO"), None) = (parts.next(), parts.next(), parts.next()) {
            let mut text = String::new();
            entry.read_to_string(&mut text).ok()?;
            return Some(text);
        }
    }
    None
}

/// Core metadata 2.1 text.
fn core_metadata(name: &str, version: &str, requires_dist: &[&str]) -> String {
    let mut text = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
    for req in requires_dist {
        text.push_str(&format!("Requires-Dist: {req}\n"));
    }
    text
}

const WHEEL_FILE: &str =
    "Wheel-Version: 1.0\nGenerator: pyprov-tests (1.0)\nRoot-Is-Purelib: true\nTag: py3-none-any\n";

/// The `sha256=<urlsafe base64, no padding>` form RECORD uses.
pub fn record_hash(data: &[u8]) -> String {
    format!("sha256={}", B64URL.encode(Sha256::digest(data)))
}

/// A zip of `entries`, in order, deflated, with fixed timestamps and modes.
fn zip_bytes(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (path, data) in entries {
        writer.start_file(path, options).expect("zip: start file");
        writer.write_all(data).expect("zip: write");
    }
    writer.finish().expect("zip: finish").into_inner()
}

/// A valid `py3-none-any` wheel. `files` are `(path in the wheel, contents)`; when empty, the
/// wheel holds `{import_name}/__init__.py` (the normalized name with `_`) setting
/// `__version__`. `requires_dist` are PEP 508 strings (`"dep-b>=1"`, `"x; extra == 'y'"`).
pub fn wheel(name: &str, version: &str, requires_dist: &[&str], files: &[(&str, &[u8])]) -> Dist {
    wheel_with_metadata(
        name,
        version,
        core_metadata(name, version, requires_dist),
        files,
    )
}

/// Like [`wheel`], with `Requires-Python` in the metadata.
pub fn wheel_requires_python(
    name: &str,
    version: &str,
    requires_python: &str,
    requires_dist: &[&str],
) -> Dist {
    let mut metadata = core_metadata(name, version, requires_dist);
    metadata.push_str(&format!("Requires-Python: {requires_python}\n"));
    wheel_with_metadata(name, version, metadata, &[])
}

/// A wheel with the METADATA text given verbatim.
pub fn wheel_with_metadata(
    name: &str,
    version: &str,
    metadata: String,
    files: &[(&str, &[u8])],
) -> Dist {
    let escaped = escaped_name(name);
    let dist_info = format!("{escaped}-{version}.dist-info");
    let mut entries: Vec<(String, Vec<u8>)> = if files.is_empty() {
        vec![(
            format!("{escaped}/__init__.py"),
            format!("__version__ = {version:?}\n").into_bytes(),
        )]
    } else {
        files
            .iter()
            .map(|(p, d)| (p.to_string(), d.to_vec()))
            .collect()
    };
    entries.push((
        format!("{dist_info}/METADATA"),
        metadata.clone().into_bytes(),
    ));
    entries.push((format!("{dist_info}/WHEEL"), WHEEL_FILE.as_bytes().to_vec()));
    let mut record = String::new();
    for (path, data) in &entries {
        record.push_str(&format!("{path},{},{}\n", record_hash(data), data.len()));
    }
    record.push_str(&format!("{dist_info}/RECORD,,\n"));
    entries.push((format!("{dist_info}/RECORD"), record.into_bytes()));
    Dist {
        name: name.to_string(),
        version: version.to_string(),
        filename: format!("{escaped}-{version}-py3-none-any.whl"),
        bytes: zip_bytes(&entries),
        metadata,
    }
}

/// Name and version of [`backend_wheel`].
pub const BACKEND_NAME: &str = "pyprov-test-backend";
pub const BACKEND_VERSION: &str = "1.0";

/// The build backend module, stdlib only. It reads `pyprov_build.json` from the source tree
/// (PEP 517 runs hooks there) and, in every hook, first executes the tree's `pyprov_setup.py`
/// if there is one, with `HOOK` set to the hook's name.
pub const BACKEND_SOURCE: &str = r#""""A minimal PEP 517 build backend for pyprov's tests (stdlib only)."""
import base64
import hashlib
import json
import os
import tarfile
import zipfile

_CONFIG = "pyprov_build.json"
_WHEEL = (
    "Wheel-Version: 1.0\nGenerator: pyprov-test-backend (1.0)\n"
    "Root-Is-Purelib: true\nTag: py3-none-any\n"
)


def _config():
    with open(_CONFIG, encoding="utf-8") as f:
        return json.load(f)


def _run_setup(hook):
    # Like setuptools running setup.py: the sdist's own code runs in every hook.
    if os.path.exists("pyprov_setup.py"):
        with open("pyprov_setup.py", encoding="utf-8") as f:
            code = f.read()
        exec(compile(code, "pyprov_setup.py", "exec"), {"__name__": "__pyprov_setup__", "HOOK": hook})


def _dist_info(cfg):
    return "%s-%s.dist-info" % (cfg["escaped"], cfg["version"])


def _metadata(cfg):
    lines = ["Metadata-Version: 2.1", "Name: " + cfg["name"], "Version: " + cfg["version"]]
    lines += ["Requires-Dist: " + r for r in cfg["requires_dist"]]
    return "\n".join(lines) + "\n"


def _record_hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def get_requires_for_build_wheel(config_settings=None):
    _run_setup("get_requires_for_build_wheel")
    return []


def get_requires_for_build_sdist(config_settings=None):
    _run_setup("get_requires_for_build_sdist")
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    _run_setup("prepare_metadata_for_build_wheel")
    cfg = _config()
    name = _dist_info(cfg)
    path = os.path.join(metadata_directory, name)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "METADATA"), "w", encoding="utf-8") as f:
        f.write(_metadata(cfg))
    with open(os.path.join(path, "WHEEL"), "w", encoding="utf-8") as f:
        f.write(_WHEEL)
    return name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _run_setup("build_wheel")
    cfg = _config()
    entries = []
    for pkg in cfg["packages"]:
        for root, dirs, files in os.walk(pkg):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for fn in sorted(files):
                path = os.path.join(root, fn)
                with open(path, "rb") as f:
                    entries.append((path.replace(os.sep, "/"), f.read()))
    dist_info = _dist_info(cfg)
    entries.append((dist_info + "/METADATA", _metadata(cfg).encode("utf-8")))
    entries.append((dist_info + "/WHEEL", _WHEEL.encode("utf-8")))
    record = "".join("%s,%s,%d\n" % (p, _record_hash(d), len(d)) for p, d in entries)
    record += dist_info + "/RECORD,,\n"
    entries.append((dist_info + "/RECORD", record.encode("utf-8")))
    name = "%s-%s-py3-none-any.whl" % (cfg["escaped"], cfg["version"])
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as zf:
        for path, data in entries:
            info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return name


def build_sdist(sdist_directory, config_settings=None):
    _run_setup("build_sdist")
    cfg = _config()
    base = "%s-%s" % (cfg["escaped"], cfg["version"])
    name = base + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as tf:
        for root, dirs, files in os.walk("."):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for fn in sorted(files):
                path = os.path.normpath(os.path.join(root, fn))
                tf.add(path, arcname=base + "/" + path.replace(os.sep, "/"))
    return name
"#;

/// `pyprov-test-backend` 1.0: a wheel holding the single module `pyprov_test_backend`, the
/// build backend every [`sdist`] names. Serve it next to the sdists.
pub fn backend_wheel() -> Dist {
    wheel(
        BACKEND_NAME,
        BACKEND_VERSION,
        &[],
        &[("pyprov_test_backend.py", BACKEND_SOURCE.as_bytes())],
    )
}

/// An sdist with no dependencies: see [`sdist_with_deps`].
pub fn sdist(
    name: &str,
    version: &str,
    build_requires: &[&str],
    setup_marker: Option<&Path>,
) -> Dist {
    sdist_with_deps(name, version, &[], build_requires, setup_marker)
}

/// A `.tar.gz` sdist `{escaped}-{version}.tar.gz` holding `PKG-INFO`, `pyproject.toml`,
/// `pyprov_build.json` (what the backend builds) and `{import_name}/__init__.py`.
///
/// `[build-system] requires` is `["pyprov-test-backend"]` followed by `build_requires`
/// (extra build dependencies, which must be installable too), `build-backend` is
/// `"pyprov_test_backend"`. The built wheel's metadata has `requires_dist`.
///
/// With `setup_marker`, the sdist also holds `pyprov_setup.py`, which the backend runs first
/// in every hook (`get_requires_for_build_wheel`, `prepare_metadata_for_build_wheel`,
/// `build_wheel`, …): it appends the hook's name and a newline to the file at that absolute
/// path. So the marker exists as soon as any code from the sdist has run.
pub fn sdist_with_deps(
    name: &str,
    version: &str,
    requires_dist: &[&str],
    build_requires: &[&str],
    setup_marker: Option<&Path>,
) -> Dist {
    sdist_with_setup(
        name,
        version,
        requires_dist,
        build_requires,
        setup_marker,
        "",
    )
}

/// [`sdist_with_deps`] whose `build_wheel` hook fails (as a compile would without its C
/// library), after logging it to the marker; its other hooks work.
pub fn sdist_failing_build(
    name: &str,
    version: &str,
    requires_dist: &[&str],
    setup_marker: &Path,
) -> Dist {
    sdist_with_setup(
        name,
        version,
        requires_dist,
        &[],
        Some(setup_marker),
        "if HOOK == \"build_wheel\":\n    raise RuntimeError(\"pyprov-test: this sdist does not build\")\n",
    )
}

fn sdist_with_setup(
    name: &str,
    version: &str,
    requires_dist: &[&str],
    build_requires: &[&str],
    setup_marker: Option<&Path>,
    setup_extra: &str,
) -> Dist {
    let escaped = escaped_name(name);
    let base = format!("{escaped}-{version}");
    let metadata = core_metadata(name, version, requires_dist);

    let mut requires = vec![BACKEND_NAME.to_string()];
    requires.extend(build_requires.iter().map(|r| r.to_string()));
    let requires_toml: Vec<String> = requires
        .iter()
        .map(|r| serde_json::to_string(r).expect("json string"))
        .collect();
    let pyproject = format!(
        "[build-system]\nrequires = [{}]\nbuild-backend = \"pyprov_test_backend\"\n",
        requires_toml.join(", ")
    );
    let config = serde_json::json!({
        "name": name,
        "escaped": escaped,
        "version": version,
        "requires_dist": requires_dist,
        "packages": [escaped],
    });

    let mut entries: Vec<(String, Vec<u8>)> = vec![
        (format!("{base}/PKG-INFO"), metadata.clone().into_bytes()),
        (format!("{base}/pyproject.toml"), pyproject.into_bytes()),
        (
            format!("{base}/pyprov_build.json"),
            serde_json::to_vec_pretty(&config).expect("json"),
        ),
        (
            format!("{base}/{escaped}/__init__.py"),
            format!("__version__ = {version:?}\n").into_bytes(),
        ),
    ];
    if let Some(marker) = setup_marker {
        assert!(
            marker.is_absolute(),
            "the setup marker path must be absolute"
        );
        let marker = serde_json::to_string(marker.to_str().expect("UTF-8 marker path"))
            .expect("json string");
        let setup = format!(
            "# Stands for setup.py: code from the sdist, run by the build backend.\n\
             with open({marker}, \"a\", encoding=\"utf-8\") as f:\n    f.write(HOOK + \"\\n\")\n{setup_extra}"
        );
        entries.push((format!("{base}/pyprov_setup.py"), setup.into_bytes()));
    }

    Dist {
        name: name.to_string(),
        version: version.to_string(),
        filename: format!("{base}.tar.gz"),
        bytes: tar_gz(&base, &entries),
        metadata,
    }
}

/// A gzip'd ustar archive with the directory `base/` and `entries`, deterministic.
fn tar_gz(base: &str, entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let gz = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::default());
    let mut builder = tar::Builder::new(gz);
    let mut dirs: Vec<String> = vec![format!("{base}/")];
    for (path, _) in entries {
        if let Some((dir, _)) = path.rsplit_once('/') {
            let dir = format!("{dir}/");
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
    }
    for dir in &dirs {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Directory);
        header.set_mode(0o755);
        header.set_mtime(0);
        header.set_size(0);
        builder
            .append_data(&mut header, dir, std::io::empty())
            .expect("tar: dir");
    }
    for (path, data) in entries {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_size(data.len() as u64);
        builder
            .append_data(&mut header, path, data.as_slice())
            .expect("tar: file");
    }
    let gz = builder.into_inner().expect("tar: finish");
    gz.finish().expect("gzip: finish")
}

/// A PEP 740 provenance object for `dist`: one publish attestation signed by `pki` for the
/// GitHub workflow `repository`/`workflow` at `refs/tags/v{version}`, under the matching
/// GitHub publisher.
pub fn provenance_for(pki: &TestPki, dist: &Dist, repository: &str, workflow: &str) -> String {
    let identity = Identity::github(
        repository,
        workflow,
        &format!("refs/tags/v{}", dist.version),
    );
    provenance_with(
        pki,
        dist,
        identity,
        pki::github_publisher(repository, workflow, None),
    )
}

/// A PEP 740 provenance object for `dist` with one publish attestation signed for
/// `identity`, under the `publisher` block given (which may disagree with the identity).
pub fn provenance_with(
    pki: &TestPki,
    dist: &Dist,
    identity: Identity,
    publisher: serde_json::Value,
) -> String {
    let signing = Signing {
        statement: pki::statement(
            &dist.filename,
            &dist.sha256(),
            pki::PUBLISH_PREDICATE_V1,
            serde_json::Value::Null,
        ),
        identity,
        ..Signing::default()
    };
    let attestation = pki.sign(&signing).pep740_attestation();
    pki::provenance(&[(publisher, vec![attestation])])
}
