//! Local file access for the verification commands: streaming hashes, bounded reads of
//! provenance documents, and sidecar discovery.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::judge::{FileRef, Found, ProvenanceSource, Source};
use crate::verify::document::MAX_DOCUMENT_BYTES;
use crate::verify::TrustRootError;

/// A local file that could not be used. Each variant names its file; I/O goes through plain
/// `std::fs` where the variant already names the path (fs-err would name it twice).
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is {size} bytes; provenance files are limited to {limit} bytes", path.display())]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: usize,
    },
    #[error("trusted root {}: {source}\n  fix: pass a Sigstore trusted_root.json (for example from `sigstore`'s TUF repository), or omit --trusted-root to use the embedded production root", path.display())]
    TrustRoot {
        path: PathBuf,
        #[source]
        source: RootProblem,
    },
}

/// What is wrong with a trusted root.
#[derive(Debug, thiserror::Error)]
pub enum RootProblem {
    #[error("not UTF-8 text")]
    NotUtf8(#[source] std::string::FromUtf8Error),
    #[error(transparent)]
    Unusable(#[from] TrustRootError),
}

impl FileError {
    fn read(path: &Path, source: std::io::Error) -> FileError {
        FileError::Read {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Hashes a file in fixed-size chunks, so memory does not grow with the file.
pub fn sha256_file(path: &Path) -> Result<[u8; 32], FileError> {
    let mut file = File::open(path).map_err(|e| FileError::read(path, e))?;
    sha256_reader(&mut file).map_err(|e| FileError::read(path, e))
}

pub fn sha256_reader(reader: &mut impl Read) -> std::io::Result<[u8; 32]> {
    hash_copy(reader, &mut std::io::sink())
}

/// Copies `from` to `to` (created), hashing as it goes, and syncs the copy. Errors name the
/// file they are about (fs-err): the caller has only a message to pass on.
pub fn copy_hashing(from: &Path, to: &Path) -> std::io::Result<[u8; 32]> {
    let mut dst = fs_err::File::create(to)?;
    let digest = hash_copy(&mut fs_err::File::open(from)?, &mut dst)?;
    dst.sync_all()?;
    Ok(digest)
}

/// The one streaming loop: fixed-size chunks into the hasher and the writer.
pub fn hash_copy(reader: &mut impl Read, writer: &mut impl Write) -> std::io::Result<[u8; 32]> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buf[..n]);
                writer.write_all(&buf[..n])?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(hasher.finalize().into())
}

/// Reads a provenance document, refusing anything over the document limit without reading it
/// whole (a hostile sidecar could be any size).
pub fn read_document(path: &Path) -> Result<Vec<u8>, FileError> {
    let file = File::open(path).map_err(|e| FileError::read(path, e))?;
    let mut out = Vec::new();
    let limit = MAX_DOCUMENT_BYTES as u64;
    file.take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| FileError::read(path, e))?;
    if out.len() as u64 > limit {
        let size = std::fs::metadata(path)
            .map(|m| m.len())
            .unwrap_or(limit + 1);
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
            size,
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    Ok(out)
}

/// The provenance in `paths` as one document: a single file as it is, several loose
/// attestations (a FILE.publish.attestation and a FILE.slsa.attestation, or repeated
/// --attestation) as one provenance object without a publisher block, so that all of them must
/// verify and the installer's cache stores one document per file.
pub fn read_provenance(paths: &[PathBuf]) -> Result<Vec<u8>, FileError> {
    if let [one] = paths {
        return read_document(one);
    }
    let mut attestations = Vec::with_capacity(paths.len());
    for p in paths {
        // Not JSON stays in as null, which fails as a malformed attestation.
        let v: serde_json::Value =
            serde_json::from_slice(&read_document(p)?).unwrap_or(serde_json::Value::Null);
        attestations.push(v);
    }
    Ok(serde_json::json!({
        "version": 1,
        "attestation_bundles": [{"publisher": null, "attestations": attestations}],
    })
    .to_string()
    .into_bytes())
}

/// Sidecar suffixes, in the order they are preferred.
pub const SIDECARS: [&str; 5] = [
    ".provenance",
    ".publish.attestation",
    ".slsa.attestation",
    ".sigstore.json",
    ".sigstore",
];

/// The provenance files next to `file`: a provenance object if there is one; else every
/// attestation sidecar; else the first Sigstore bundle.
pub fn sidecars(file: &Path) -> Vec<PathBuf> {
    let with = |suffix: &str| {
        let mut s = file.as_os_str().to_os_string();
        s.push(suffix);
        PathBuf::from(s)
    };
    let existing: Vec<(usize, PathBuf)> = SIDECARS
        .iter()
        .enumerate()
        .map(|(i, s)| (i, with(s)))
        .filter(|(_, p)| p.is_file())
        .collect();
    match existing.first() {
        None => Vec::new(),
        Some((0, p)) => vec![p.clone()],
        Some((1 | 2, _)) => existing
            .into_iter()
            .filter(|(i, _)| matches!(i, 1 | 2))
            .map(|(_, p)| p)
            .collect(),
        Some((_, p)) => vec![p.clone()],
    }
}

/// The file name used to match an attestation's subject.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The verification engine: the embedded production trusted root, or `--trusted-root PATH`.
pub fn load_engine(trusted_root: Option<&Path>) -> Result<crate::verify::Engine, FileError> {
    let bad = |path: &Path, source: RootProblem| FileError::TrustRoot {
        path: path.to_path_buf(),
        source,
    };
    match trusted_root {
        None => crate::verify::Engine::production()
            .map_err(|e| bad(Path::new("<embedded production root>"), e.into())),
        Some(path) => {
            let bytes = read_document(path)?;
            let text = String::from_utf8(bytes).map_err(|e| bad(path, RootProblem::NotUtf8(e)))?;
            crate::verify::Engine::from_trusted_root_json(&text).map_err(|e| bad(path, e.into()))
        }
    }
}

/// Provenance on this machine: the files named on the command line, else the sidecars next to
/// the file ([`sidecars`]).
pub struct LocalProvenance<'a> {
    pub explicit: Option<&'a [PathBuf]>,
}

impl LocalProvenance<'_> {
    /// What [`Source::find`] finds, without a runtime: reading local files never waits.
    ///
    /// [`Source::find`]: crate::judge::Source::find
    pub fn find_now(&self, file: FileRef<'_>) -> Result<Found, FileError> {
        let paths = match (self.explicit, file.path) {
            (Some(paths), _) => paths.to_vec(),
            (None, Some(path)) => sidecars(path),
            (None, None) => Vec::new(),
        };
        let Some(first) = paths.first() else {
            return Ok(Found {
                documents: None,
                source: ProvenanceSource::FileHasNone,
                paths,
            });
        };
        Ok(Found {
            documents: Some(read_provenance(&paths)?),
            source: ProvenanceSource::Sidecar(first.display().to_string()),
            paths,
        })
    }
}

impl Source for LocalProvenance<'_> {
    type Error = FileError;

    async fn find(&self, file: FileRef<'_>) -> Result<Found, FileError> {
        self.find_now(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages `CliError` printed for these before files had its own error.
    #[test]
    fn errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.provenance");
        assert_eq!(
            read_document(&missing).unwrap_err().to_string(),
            format!(
                "cannot read {}: No such file or directory (os error 2)",
                missing.display()
            )
        );
        let big = dir.path().join("big.provenance");
        std::fs::write(&big, vec![b' '; MAX_DOCUMENT_BYTES + 1]).unwrap();
        assert_eq!(
            read_document(&big).unwrap_err().to_string(),
            format!(
                "{} is {} bytes; provenance files are limited to {MAX_DOCUMENT_BYTES} bytes",
                big.display(),
                MAX_DOCUMENT_BYTES + 1
            )
        );
        let root = dir.path().join("root.json");
        std::fs::write(&root, b"\xff").unwrap();
        let err = load_engine(Some(&root)).err().unwrap();
        assert_eq!(
            err.to_string(),
            format!("trusted root {}: not UTF-8 text\n  fix: pass a Sigstore trusted_root.json (for example from `sigstore`'s TUF repository), or omit --trusted-root to use the embedded production root", root.display())
        );
        std::fs::write(&root, b"{}").unwrap();
        let err = load_engine(Some(&root)).err().unwrap();
        assert!(
            err.to_string().starts_with(&format!(
                "trusted root {}: the trusted root is not valid JSON",
                root.display()
            )),
            "{err}"
        );
        let copy = copy_hashing(&missing, &dir.path().join("copy")).unwrap_err();
        assert!(copy.to_string().contains("missing.provenance"), "{copy}");
    }
}
