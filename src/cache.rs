//! A content-addressed cache of verified files: `files/sha256/ab/abcdef…` holds the bytes,
//! `…/abcdef….provenance` the provenance they were verified with, and `….none` marks a file that
//! was fetched and has no provenance at all. Entries are written beside and renamed into place,
//! so concurrent runs never see a partial file, and an entry's name is its content's hash, so two
//! runs writing the same entry write the same bytes.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

/// Where the cache lives: `PYPROV_CACHE_DIR`, else `$XDG_CACHE_HOME/pyprov`, else
/// `~/.cache/pyprov`.
pub fn default_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("PYPROV_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("pyprov"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("pyprov"))
}

/// A cached file and what was learned about its provenance.
#[derive(Debug, Clone)]
pub struct Entry {
    pub path: PathBuf,
    /// `Some(bytes)` when the file came with provenance, `None` when it had none.
    pub provenance: Option<Vec<u8>>,
}

impl Cache {
    pub fn open(root: &Path) -> std::io::Result<Cache> {
        let root = root.join("files").join("sha256");
        fs::create_dir_all(&root)?;
        Ok(Cache { root })
    }

    fn blob(&self, sha256_hex: &str) -> PathBuf {
        let prefix = sha256_hex.get(..2).unwrap_or("00");
        self.root.join(prefix).join(sha256_hex)
    }

    fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
        let mut s = path.as_os_str().to_os_string();
        s.push(suffix);
        PathBuf::from(s)
    }

    /// A previously stored file, with its provenance state, if both are complete.
    pub fn get(&self, sha256_hex: &str) -> Option<Entry> {
        if sha256_hex.len() != 64 || !sha256_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let path = self.blob(&sha256_hex.to_ascii_lowercase());
        if !path.is_file() {
            return None;
        }
        if let Ok(p) = fs::read(Self::with_suffix(&path, ".provenance")) {
            return Some(Entry {
                path,
                provenance: Some(p),
            });
        }
        Self::with_suffix(&path, ".none")
            .is_file()
            .then_some(Entry {
                path,
                provenance: None,
            })
    }

    /// A scratch path inside the cache for a download in progress (same filesystem, so the
    /// final rename is atomic).
    pub fn scratch(&self) -> std::io::Result<tempfile::NamedTempFile> {
        tempfile::NamedTempFile::new_in(&self.root)
    }

    /// Moves a downloaded file into place under its hash and records its provenance state.
    /// The blob lands first and the provenance marker last, so `get` never sees a blob whose
    /// provenance is unknown.
    pub fn put(
        &self,
        sha256_hex: &str,
        file_name: &str,
        file: tempfile::NamedTempFile,
        provenance: Option<&[u8]>,
    ) -> std::io::Result<PathBuf> {
        let path = self.blob(&sha256_hex.to_ascii_lowercase());
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        file.persist(&path).map_err(|e| e.error)?;
        // The distribution file name, so a hash-pinned install can pick a compatible cached
        // file without asking the index.
        self.write_beside(&path, ".name", file_name.as_bytes())?;
        self.set_provenance(sha256_hex, provenance)?;
        Ok(path)
    }

    /// Records what provenance a stored file has (replacing what was recorded before).
    pub fn set_provenance(
        &self,
        sha256_hex: &str,
        provenance: Option<&[u8]>,
    ) -> std::io::Result<()> {
        let path = self.blob(&sha256_hex.to_ascii_lowercase());
        let (suffix, bytes) = match provenance {
            Some(p) => (".provenance", p),
            None => (".none", &[][..]),
        };
        self.write_beside(&path, suffix, bytes)?;
        if provenance.is_some() {
            let _ = fs::remove_file(Self::with_suffix(&path, ".none"));
        }
        Ok(())
    }
}

impl Cache {
    fn write_beside(&self, blob: &Path, suffix: &str, bytes: &[u8]) -> std::io::Result<()> {
        let mut tmp = tempfile::NamedTempFile::new_in(blob.parent().unwrap_or(&self.root))?;
        tmp.write_all(bytes)?;
        tmp.as_file().sync_all()?;
        tmp.persist(Self::with_suffix(blob, suffix))
            .map_err(|e| e.error)?;
        Ok(())
    }

    /// The distribution file name a cached file was stored under.
    pub fn name(&self, sha256_hex: &str) -> Option<String> {
        let entry = self.get(sha256_hex)?;
        fs::read_to_string(Self::with_suffix(&entry.path, ".name")).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_then_get() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let sha = "ab".repeat(32);
        assert!(cache.get(&sha).is_none());
        let mut tmp = cache.scratch().unwrap();
        tmp.write_all(b"bytes").unwrap();
        cache.put(&sha, "a-1.0.tar.gz", tmp, Some(b"{}")).unwrap();
        assert_eq!(cache.name(&sha).as_deref(), Some("a-1.0.tar.gz"));
        let e = cache.get(&sha).unwrap();
        assert_eq!(fs::read(&e.path).unwrap(), b"bytes");
        assert_eq!(e.provenance.as_deref(), Some(&b"{}"[..]));
        assert!(cache.get("../../etc/passwd").is_none());
    }
}
