//! Local file access for the verification commands: streaming hashes, bounded reads of
//! provenance documents, and sidecar discovery.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::CliError;
use crate::verify::document::MAX_DOCUMENT_BYTES;

/// Hashes a file in fixed-size chunks, so memory does not grow with the file.
pub fn sha256_file(path: &Path) -> Result<[u8; 32], CliError> {
    let mut file = File::open(path).map_err(|e| CliError::read(path, e))?;
    sha256_reader(&mut file).map_err(|e| CliError::read(path, e))
}

pub fn sha256_reader(reader: &mut impl Read) -> std::io::Result<[u8; 32]> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(hasher.finalize().into())
}

/// Reads a provenance document, refusing anything over the document limit without reading it
/// whole (a hostile sidecar could be any size).
pub fn read_document(path: &Path) -> Result<Vec<u8>, CliError> {
    let file = File::open(path).map_err(|e| CliError::read(path, e))?;
    let mut out = Vec::new();
    let limit = MAX_DOCUMENT_BYTES as u64;
    file.take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| CliError::read(path, e))?;
    if out.len() as u64 > limit {
        let size = std::fs::metadata(path)
            .map(|m| m.len())
            .unwrap_or(limit + 1);
        return Err(CliError::TooLarge {
            path: path.to_path_buf(),
            size,
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    Ok(out)
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
