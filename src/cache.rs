//! A content-addressed cache of verified files: `files/sha256/ab/abcdef…` holds the bytes,
//! `…/abcdef….provenance` the provenance they were verified with, and `….none` marks a file that
//! was fetched and has no provenance at all. Entries are written beside and renamed into place,
//! so concurrent runs never see a partial file.
//!
//! A name is not a proof: anything that can write into the cache can plant bytes under another
//! file's hash. So a hit is re-hashed before it is used, and it is read only through directories
//! and files that no other user could have written: every component below the configured cache
//! directory is opened without following symlinks (`openat` with `O_NOFOLLOW`, one directory at a
//! time), and must belong to this process's user and be writable by no one else. The configured
//! directory itself is reached as given (the user chose it, symlinks and all); what another user
//! could do there (replace `files/`, plant a symlink) shows up below as a symlink or a foreign
//! owner, since no one but root can make a file owned by us.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno;

/// Above any provenance the gate stores (8 MiB from an index, a few 4 MiB loose attestations
/// combined): a bigger sidecar was not written by pyprov.
const MAX_SIDECAR_BYTES: u64 = 32 * 1024 * 1024;

/// pyprov's own directories under the configured cache directory, down to the prefix dirs.
const FILES: [&str; 2] = ["files", "sha256"];

#[derive(Debug, Clone)]
pub(crate) struct Cache {
    /// The cache directory as configured.
    base: PathBuf,
    /// `base/files/sha256`, where scratch files are made (same file system as the entries).
    root: PathBuf,
    /// Private copies of verified hits (a 0700 temporary directory, removed when the last clone
    /// of this cache is dropped).
    private: Arc<tempfile::TempDir>,
    /// Hits already verified and copied in this run, by hash: a file is hashed once per run
    /// however many times it is looked up (`name` then `get` for a hash-pinned install).
    verified: Arc<Mutex<HashMap<String, PathBuf>>>,
}

/// Where the cache lives: `PYPROV_CACHE_DIR`, else the user's cache directory as the XDG base
/// directory rules give it (`$XDG_CACHE_HOME` when absolute, else `~/.cache`), then `pyprov`.
pub(crate) fn default_dir() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    if let Some(d) = std::env::var_os("PYPROV_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    let base = etcetera::choose_base_strategy().ok()?;
    Some(base.cache_dir().join("pyprov"))
}

/// A cached file and what was learned about its provenance.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// A private copy of the bytes, made while they were hashed (see [`Cache::get`]).
    pub path: PathBuf,
    /// `Some(bytes)` when the file came with provenance, `None` when it had none.
    pub provenance: Option<Vec<u8>>,
}

/// What a cache lookup found.
#[derive(Debug)]
pub(crate) enum Lookup {
    /// Bytes that hash to their name, read through components only this user could write.
    Hit(Entry),
    /// Nothing stored (or an incomplete entry, which a new download replaces).
    Miss,
    /// Something is stored but was not used; a miss the caller should report.
    Refused(Refused),
}

/// A cache entry (or a directory on the way to it) that was not used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub path: PathBuf,
    pub why: Why,
    /// Whether the bad entry was removed (or a bad directory moved aside), so the next
    /// download replaces it.
    pub removed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    Symlink,
    NotOwned { uid: u32, ours: u32 },
    Writable { mode: u32 },
    NotAFile,
    NotADirectory,
    TooLarge { limit: u64 },
    Mismatch { actual: String },
    Io(String),
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Why::Symlink => write!(f, "it is a symbolic link"),
            Why::NotOwned { uid, ours } => {
                write!(f, "it belongs to uid {uid}, not to this process's uid {ours}")
            }
            Why::Writable { mode } => write!(
                f,
                "others may write it (mode {:o}); pyprov makes its cache entries 0600 and its directories 0700",
                mode & 0o7777
            ),
            Why::NotAFile => write!(f, "it is not a regular file"),
            Why::NotADirectory => write!(f, "it is not a directory"),
            Why::TooLarge { limit } => write!(f, "it is over {limit} bytes"),
            Why::Mismatch { actual } => write!(f, "its bytes hash to {actual}, not to its name"),
            Why::Io(e) => write!(f, "cannot read it: {e}"),
        }
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not using the cached {}: {}",
            self.path.display(),
            self.why
        )?;
        if self.removed {
            write!(f, " (removed from the cache; it is fetched again)")
        } else {
            write!(
                f,
                " (left in place: remove it, or pass --cache-dir with a directory of your own)"
            )
        }
    }
}

impl std::error::Error for Refused {}

impl From<Refused> for std::io::Error {
    fn from(r: Refused) -> std::io::Error {
        std::io::Error::other(r)
    }
}

fn ours() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Whether `meta` could have been written by no one but this user (and root).
fn owned_privately(meta: &std::fs::Metadata) -> Result<(), Why> {
    let ours = ours();
    if meta.uid() != ours {
        return Err(Why::NotOwned {
            uid: meta.uid(),
            ours,
        });
    }
    if meta.mode() & 0o022 != 0 {
        return Err(Why::Writable { mode: meta.mode() });
    }
    Ok(())
}

/// A directory opened through [`walk`], with its path for messages.
struct Dir {
    file: File,
    path: PathBuf,
}

/// Removes a bad name from its (checked) directory: a file or symlink is unlinked (the link
/// itself, never its target), a directory is renamed aside, since it cannot be unlinked with
/// its contents and is not ours to empty. Names starting with `.` are never looked up again.
fn remove_bad(parent: &Dir, name: &str, is_dir: bool) -> bool {
    if !is_dir {
        return rustix::fs::unlinkat(&parent.file, name, AtFlags::empty()).is_ok();
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let aside = format!(".quarantine-{name}-{}-{nanos}", std::process::id());
    rustix::fs::renameat(&parent.file, name, &parent.file, aside.as_str()).is_ok()
}

/// What `name` in `dir` is, without following it.
fn kind(dir: &Dir, name: &str) -> Option<rustix::fs::FileType> {
    let st = rustix::fs::statat(&dir.file, name, AtFlags::SYMLINK_NOFOLLOW).ok()?;
    Some(rustix::fs::FileType::from_raw_mode(st.st_mode))
}

/// Opens `base`, then each of `names` inside the previous one without following symlinks,
/// checking that each of `names` is a directory of ours no one else may write. `Ok(None)` when
/// one does not exist and `create` is false. With `create`, missing directories are made (0700)
/// and a bad one is moved aside and made again; without it, a bad one is moved aside and
/// reported.
fn walk(base: &Path, names: &[&str], create: bool) -> Result<Option<Dir>, Refused> {
    let refused = |path: &Path, why: Why, removed: bool| Refused {
        path: path.to_path_buf(),
        why,
        removed,
    };
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let mut dir = match rustix::fs::openat(rustix::fs::CWD, base, flags, Mode::empty()) {
        Ok(fd) => Dir {
            file: File::from(fd),
            path: base.to_path_buf(),
        },
        Err(Errno::NOENT) if !create => return Ok(None),
        Err(e) => {
            return Err(refused(
                base,
                Why::Io(std::io::Error::from(e).to_string()),
                false,
            ))
        }
    };
    for name in names {
        let path = dir.path.join(name);
        let mut healed = false;
        let opened = loop {
            match rustix::fs::openat(&dir.file, *name, flags | OFlags::NOFOLLOW, Mode::empty()) {
                Ok(fd) => {
                    let file = File::from(fd);
                    let checked = file
                        .metadata()
                        .map_err(|e| Why::Io(e.to_string()))
                        .and_then(|m| owned_privately(&m));
                    match checked {
                        Ok(()) => break file,
                        Err(why) => {
                            let removed = remove_bad(&dir, name, true);
                            if !(create && removed && !healed) {
                                return Err(refused(&path, why, removed));
                            }
                            healed = true;
                        }
                    }
                }
                Err(Errno::NOENT) if !create => return Ok(None),
                Err(Errno::NOENT) => {
                    match rustix::fs::mkdirat(&dir.file, *name, Mode::from_raw_mode(0o700)) {
                        Ok(()) | Err(Errno::EXIST) => {}
                        Err(e) => {
                            let e = std::io::Error::from(e).to_string();
                            return Err(refused(&path, Why::Io(e), false));
                        }
                    }
                }
                // O_NOFOLLOW on a symlink, O_DIRECTORY on anything else.
                Err(Errno::LOOP | Errno::NOTDIR) => {
                    let why = match kind(&dir, name) {
                        Some(rustix::fs::FileType::Symlink) => Why::Symlink,
                        _ => Why::NotADirectory,
                    };
                    let removed = remove_bad(&dir, name, false);
                    if !(create && removed && !healed) {
                        return Err(refused(&path, why, removed));
                    }
                    healed = true;
                }
                Err(e) => {
                    let e = std::io::Error::from(e).to_string();
                    return Err(refused(&path, Why::Io(e), false));
                }
            }
        };
        dir = Dir { file: opened, path };
    }
    Ok(Some(dir))
}

/// Opens the regular file `name` in `dir` without following a symlink, and checks it is ours
/// and writable by no one else; a bad one is removed. `Ok(None)` when there is none.
fn open_file(dir: &Dir, name: &str) -> Result<Option<File>, Refused> {
    let path = dir.path.join(name);
    // NONBLOCK: a FIFO planted under the name must not hang the open.
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let why = match rustix::fs::openat(&dir.file, name, flags, Mode::empty()) {
        Ok(fd) => {
            let file = File::from(fd);
            let checked = match file.metadata() {
                Ok(m) if !m.is_file() => Err(Why::NotAFile),
                Ok(m) => owned_privately(&m),
                Err(e) => Err(Why::Io(e.to_string())),
            };
            match checked {
                Ok(()) => return Ok(Some(file)),
                Err(why) => why,
            }
        }
        Err(Errno::NOENT) => return Ok(None),
        Err(Errno::LOOP) => Why::Symlink,
        Err(e) => Why::Io(std::io::Error::from(e).to_string()),
    };
    let removed = match why {
        Why::Io(_) => false,
        _ => {
            let is_dir = kind(dir, name) == Some(rustix::fs::FileType::Directory);
            remove_bad(dir, name, is_dir)
        }
    };
    Err(Refused { path, why, removed })
}

/// Reads at most `limit` bytes of `file`, refusing a longer one.
fn read_bounded(file: File, path: &Path, limit: u64) -> Result<Vec<u8>, Refused> {
    let mut out = Vec::new();
    let read = file.take(limit + 1).read_to_end(&mut out);
    let why = match read {
        Err(e) => Why::Io(e.to_string()),
        Ok(n) if n as u64 > limit => Why::TooLarge { limit },
        Ok(_) => return Ok(out),
    };
    Err(Refused {
        path: path.to_path_buf(),
        why,
        removed: false,
    })
}

/// A small file of pyprov's own under `base/dirs…/name`, read by the same rules as a cache
/// entry (no symlink on the way, ours, writable by no one else, at most `limit` bytes).
/// `Ok(None)` when there is none. Stored resolutions are read with it.
pub(crate) fn read_private(
    base: &Path,
    dirs: &[&str],
    name: &str,
    limit: u64,
) -> Result<Option<Vec<u8>>, Refused> {
    let Some(dir) = walk(base, dirs, false)? else {
        return Ok(None);
    };
    match open_file(&dir, name)? {
        None => Ok(None),
        Some(f) => read_bounded(f, &dir.path.join(name), limit).map(Some),
    }
}

/// `base/dirs…`, made (0700) if missing, checked by the same rules as a cache entry's
/// directories, for writing a file of pyprov's own into.
pub(crate) fn private_dir(base: &Path, dirs: &[&str]) -> Result<PathBuf, Refused> {
    DirBuilderExt::mode(std::fs::DirBuilder::new().recursive(true), 0o700)
        .create(base)
        .map_err(|e| Refused {
            path: base.to_path_buf(),
            why: Why::Io(e.to_string()),
            removed: false,
        })?;
    let dir = walk(base, dirs, true)?;
    Ok(dir.map(|d| d.path).unwrap_or_else(|| base.to_path_buf()))
}

/// The lowercase hash when `s` is one (64 hex digits), so it is safe as a file name.
fn sha256_name(s: &str) -> Option<String> {
    (s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_ascii_lowercase())
}

fn prefix(sha: &str) -> &str {
    sha.get(..2).unwrap_or("00")
}

impl Cache {
    pub(crate) fn open(base: &Path) -> std::io::Result<Cache> {
        let root = private_dir(base, &FILES)?;
        let private = tempfile::Builder::new().prefix("pyprov-hits-").tempdir()?;
        Ok(Cache {
            base: base.to_path_buf(),
            root,
            private: Arc::new(private),
            verified: Arc::default(),
        })
    }

    /// The directory an entry lives in, checked (see [`walk`]).
    fn entry_dir(&self, sha: &str, create: bool) -> Result<Option<Dir>, Refused> {
        walk(&self.base, &[FILES[0], FILES[1], prefix(sha)], create)
    }

    /// A stored file whose bytes hash to its name, with its provenance state, if both are
    /// complete.
    ///
    /// The bytes are hashed while they are copied, from a handle opened without following
    /// symlinks, into a private file (0600, in a 0700 temporary directory of this run), and the
    /// hit is that copy. Checking the entry in place and handing back its cache path would leave
    /// a window between the check and the use (the proxy serving it, the copy `download` makes,
    /// pip building with it) in which the cache file can be replaced or rewritten in place; an
    /// open handle alone would still see an in-place rewrite. The copy is what was hashed, and
    /// no one else can reach it. It costs one write per cached file per run (hits are memoized),
    /// and the private directory is beside the run's work directory, so staging hard-links it.
    pub(crate) fn get(&self, sha256_hex: &str) -> Lookup {
        let Some(sha) = sha256_name(sha256_hex) else {
            return Lookup::Miss;
        };
        match self.lookup(&sha) {
            Ok(Some(entry)) => Lookup::Hit(entry),
            Ok(None) => Lookup::Miss,
            Err(r) => Lookup::Refused(r),
        }
    }

    fn lookup(&self, sha: &str) -> Result<Option<Entry>, Refused> {
        let Some(dir) = self.entry_dir(sha, false)? else {
            return Ok(None);
        };
        let Some(blob) = open_file(&dir, sha)? else {
            return Ok(None);
        };
        let provenance_name = format!("{sha}.provenance");
        let provenance = match open_file(&dir, &provenance_name)? {
            Some(f) => Some(read_bounded(
                f,
                &dir.path.join(&provenance_name),
                MAX_SIDECAR_BYTES,
            )?),
            None => {
                if open_file(&dir, &format!("{sha}.none"))?.is_none() {
                    return Ok(None);
                }
                None
            }
        };
        let known = self
            .verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(sha)
            .cloned();
        let path = match known {
            Some(p) => p,
            None => self.verify(&dir, sha, blob)?,
        };
        Ok(Some(Entry { path, provenance }))
    }

    /// Copies `blob` into the private directory while hashing it; a blob that does not hash
    /// to its name is removed from the cache with its sidecars.
    fn verify(&self, dir: &Dir, sha: &str, mut blob: File) -> Result<PathBuf, Refused> {
        let path = dir.path.join(sha);
        let io = |e: std::io::Error| Refused {
            path: path.clone(),
            why: Why::Io(e.to_string()),
            removed: false,
        };
        let mut copy = tempfile::NamedTempFile::new_in(self.private.path()).map_err(io)?;
        let digest = crate::files::hash_copy(&mut blob, copy.as_file_mut()).map_err(io)?;
        let actual = hex::encode(digest);
        if actual != sha {
            let removed = rustix::fs::unlinkat(&dir.file, sha, AtFlags::empty()).is_ok();
            for suffix in [".provenance", ".none", ".name"] {
                let _ = rustix::fs::unlinkat(&dir.file, format!("{sha}{suffix}"), AtFlags::empty());
            }
            return Err(Refused {
                path,
                why: Why::Mismatch { actual },
                removed,
            });
        }
        let private = self.private.path().join(sha);
        copy.persist(&private).map_err(|e| io(e.error))?;
        self.verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(sha.to_string(), private.clone());
        Ok(private)
    }

    /// A scratch path inside the cache for a download in progress (same filesystem, so the
    /// final rename is atomic).
    pub(crate) fn scratch(&self) -> std::io::Result<tempfile::NamedTempFile> {
        tempfile::NamedTempFile::new_in(&self.root)
    }

    /// Moves a downloaded file into place under its hash and records its provenance state.
    /// The blob lands first and the provenance marker last, so `get` never sees a blob whose
    /// provenance is unknown.
    pub(crate) fn put(
        &self,
        sha256_hex: &str,
        file_name: &str,
        file: tempfile::NamedTempFile,
        provenance: Option<&[u8]>,
    ) -> std::io::Result<PathBuf> {
        let dir = self.writable_dir(sha256_hex)?;
        let sha = sha256_hex.to_ascii_lowercase();
        let path = dir.path.join(&sha);
        // By path: every directory on the way was just checked to be ours and writable by no
        // one else, so only this user could swap one in between.
        file.persist(&path).map_err(|e| e.error)?;
        // The distribution file name, so a hash-pinned install can pick a compatible cached
        // file without asking the index.
        self.write_beside(&path, ".name", file_name.as_bytes())?;
        self.set_provenance(&sha, provenance)?;
        Ok(path)
    }

    fn writable_dir(&self, sha256_hex: &str) -> std::io::Result<Dir> {
        let sha = sha256_name(sha256_hex).ok_or_else(|| {
            std::io::Error::other(format!("{sha256_hex} is not a sha256 hex digest"))
        })?;
        self.entry_dir(&sha, true)?
            .ok_or_else(|| std::io::Error::other("the cache directory disappeared"))
    }

    /// Records what provenance a stored file has (replacing what was recorded before).
    pub(crate) fn set_provenance(
        &self,
        sha256_hex: &str,
        provenance: Option<&[u8]>,
    ) -> std::io::Result<()> {
        let dir = self.writable_dir(sha256_hex)?;
        let sha = sha256_hex.to_ascii_lowercase();
        let (suffix, other, bytes) = match provenance {
            Some(p) => (".provenance", ".none", p),
            None => (".none", ".provenance", &[][..]),
        };
        self.write_beside(&dir.path.join(&sha), suffix, bytes)?;
        let _ = rustix::fs::unlinkat(&dir.file, format!("{sha}{other}"), AtFlags::empty());
        Ok(())
    }

    fn write_beside(&self, blob: &Path, suffix: &str, bytes: &[u8]) -> std::io::Result<()> {
        let mut tmp = tempfile::NamedTempFile::new_in(blob.parent().unwrap_or(&self.root))?;
        tmp.write_all(bytes)?;
        tmp.as_file().sync_all()?;
        let mut target = blob.as_os_str().to_os_string();
        target.push(suffix);
        tmp.persist(PathBuf::from(target)).map_err(|e| e.error)?;
        Ok(())
    }

    /// The distribution file name a cached file was stored under, if the file is a hit.
    ///
    /// Only a look-up, to choose among cached files: the bytes are hashed when the chosen one is
    /// fetched with [`Cache::get`], so other platforms' wheels are not read and copied here.
    pub(crate) fn name(&self, sha256_hex: &str) -> Option<String> {
        let sha = sha256_name(sha256_hex)?;
        let dir = self.entry_dir(&sha, false).ok()??;
        open_file(&dir, &sha).ok()??;
        let name = format!("{sha}.name");
        let file = open_file(&dir, &name).ok()??;
        let bytes = read_bounded(file, &dir.path.join(&name), 4096).ok()?;
        String::from_utf8(bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    fn sha(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    fn stored(cache: &Cache, bytes: &[u8]) -> (String, PathBuf) {
        let sha = sha(bytes);
        let mut tmp = cache.scratch().unwrap();
        tmp.write_all(bytes).unwrap();
        let path = cache.put(&sha, "a-1.0.tar.gz", tmp, Some(b"{}")).unwrap();
        (sha, path)
    }

    fn refused(lookup: Lookup) -> Refused {
        match lookup {
            Lookup::Refused(r) => r,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn put_then_get_hands_back_a_private_copy() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        assert!(matches!(cache.get(&"ab".repeat(32)), Lookup::Miss));
        let (sha, path) = stored(&cache, b"bytes");
        assert_eq!(cache.name(&sha).as_deref(), Some("a-1.0.tar.gz"));
        let Lookup::Hit(e) = cache.get(&sha) else {
            panic!("a hit")
        };
        assert_eq!(fs::read(&e.path).unwrap(), b"bytes");
        assert_eq!(e.provenance.as_deref(), Some(&b"{}"[..]));
        assert_ne!(e.path, path);
        // Rewriting the cache file after the check does not reach what the caller uses.
        fs::write(&path, b"other").unwrap();
        assert_eq!(fs::read(&e.path).unwrap(), b"bytes");
        assert!(matches!(cache.get("../../etc/passwd"), Lookup::Miss));
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("files/sha256")), 0o700);
        assert_eq!(
            mode(&path.with_file_name(format!("{sha}.provenance"))),
            0o600
        );
    }

    #[test]
    fn a_blob_under_another_name_is_refused_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let (sha, path) = stored(&cache, b"good");
        fs::write(&path, b"planted").unwrap();
        let r = refused(cache.get(&sha));
        assert_eq!(
            r,
            Refused {
                path: path.clone(),
                why: Why::Mismatch {
                    actual: self::sha(b"planted")
                },
                removed: true
            }
        );
        assert_eq!(
            r.to_string(),
            format!(
                "not using the cached {}: its bytes hash to {}, not to its name (removed from the cache; it is fetched again)",
                path.display(),
                self::sha(b"planted")
            )
        );
        assert!(!path.exists());
        assert!(!path.with_file_name(format!("{sha}.provenance")).exists());
        assert!(matches!(cache.get(&sha), Lookup::Miss));
        assert_eq!(cache.name(&sha), None);
    }

    #[test]
    fn a_symlinked_entry_is_refused_and_its_target_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let (sha, path) = stored(&cache, b"good");
        let elsewhere = dir.path().join("elsewhere");
        fs::write(&elsewhere, b"good").unwrap();
        fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
        let r = refused(cache.get(&sha));
        assert_eq!((r.why, r.removed), (Why::Symlink, true));
        assert!(fs::symlink_metadata(&path).is_err());
        assert_eq!(fs::read(&elsewhere).unwrap(), b"good");
    }

    #[test]
    fn a_symlinked_directory_on_the_way_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let (sha, path) = stored(&cache, b"good");
        let prefix_dir = path.parent().unwrap().to_path_buf();
        let moved = dir.path().join("moved");
        fs::rename(&prefix_dir, &moved).unwrap();
        std::os::unix::fs::symlink(&moved, &prefix_dir).unwrap();
        let r = refused(cache.get(&sha));
        assert_eq!(
            (&r.path, &r.why, r.removed),
            (&prefix_dir, &Why::Symlink, true)
        );
        assert!(moved.join(&sha).exists(), "the target is not touched");
        // A new download heals it: a real directory again.
        stored(&cache, b"good");
        assert!(fs::symlink_metadata(&prefix_dir).unwrap().is_dir());
        assert!(matches!(cache.get(&sha), Lookup::Hit(_)));
    }

    #[test]
    fn a_symlinked_provenance_sidecar_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let (sha, path) = stored(&cache, b"good");
        let sidecar = path.with_file_name(format!("{sha}.provenance"));
        let elsewhere = dir.path().join("prov.json");
        fs::write(&elsewhere, b"{}").unwrap();
        fs::remove_file(&sidecar).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &sidecar).unwrap();
        let r = refused(cache.get(&sha));
        assert_eq!((r.path, r.why, r.removed), (sidecar, Why::Symlink, true));
    }

    #[test]
    fn foreign_and_loose_entries_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let (sha, path) = stored(&cache, b"good");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o664)).unwrap();
        let r = refused(cache.get(&sha));
        assert_eq!((r.why, r.removed), (Why::Writable { mode: 0o100664 }, true));

        let (sha, path) = stored(&cache, b"good");
        if ours() == 0 {
            std::os::unix::fs::chown(&path, Some(12345), None).unwrap();
            let r = refused(cache.get(&sha));
            assert_eq!(
                (r.why, r.removed),
                (
                    Why::NotOwned {
                        uid: 12345,
                        ours: 0
                    },
                    true
                )
            );
            // A foreign directory on the way is moved aside, not entered.
            let (sha, path) = stored(&cache, b"good");
            let prefix_dir = path.parent().unwrap();
            std::os::unix::fs::chown(prefix_dir, Some(12345), None).unwrap();
            let r = refused(cache.get(&sha));
            assert_eq!((&r.path, r.removed), (&prefix_dir.to_path_buf(), true));
            assert!(!prefix_dir.exists());
        }
    }
}
