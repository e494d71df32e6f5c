//! The trust file on disk, owned by one type: [`Store`] finds it (never above the repository
//! root or the home directory), reads and validates it, and changes it in one transaction:
//! lock, re-read under the lock (so two writers merge), validate, edit, validate the result,
//! write a new file beside it and rename it over (so a crash leaves the old file or the new
//! one, never half of one). Pins learned on first use are such a transaction too.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::edit::{self, Edit, EditOutcome};
use super::error::TrustFileError;
use super::model::{Contents, PackageEntry, Policy};
use super::{parse, pin_date};
use crate::verify::PublisherSpec;
use crate::vocab::PackageName;

/// The file name discovery looks for.
pub const FILE_NAME: &str = "pyprov.toml";

/// How long a writer waits for another pyprov to finish writing the same file.
const LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// The text of a new trust file, before its first entry.
pub const TEMPLATE: &str = "\
# pyprov trust file: who may publish each package this project installs.
# Reviewed like code. `pyprov trust --help` lists the commands that edit it.

[policy]
unattested = \"warn\"   # deny | warn | allow: files that carry no provenance at all
tofu = true           # pin the publisher of a package the first time it is seen

[packages]
";

/// A trust file as this run last read it (or wrote it), and the path it is at. Changes go
/// through [`Store::edit`] and [`Store::pin`], which re-read the file under its lock first, so
/// what a store says after a change is what the file says, whoever else wrote it meanwhile.
#[derive(Debug, Clone)]
pub struct Store {
    /// As the user named it (messages use it); I/O goes through its symlinks.
    path: PathBuf,
    contents: Contents,
}

/// What [`Store::pin`] left in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinOutcome {
    /// This call wrote the pin; the entry as written.
    Pinned(PackageEntry),
    /// The package already named a publisher (another process pinned it a moment ago, or a
    /// person wrote it): nothing was written, and this entry is what the file must be judged
    /// by.
    AlreadyPinned(PackageEntry),
}

impl PinOutcome {
    /// The package's entry as the trust file now has it.
    pub fn entry(&self) -> &PackageEntry {
        match self {
            PinOutcome::Pinned(e) | PinOutcome::AlreadyPinned(e) => e,
        }
    }
}

impl Store {
    /// The trust file in effect: `explicit` (from `--trust-file` or `PYPROV_TRUST_FILE`), which
    /// must exist, else the nearest `pyprov.toml` from `start`, else none.
    pub fn discover(
        start: &Path,
        explicit: Option<&Path>,
    ) -> Result<Option<Store>, TrustFileError> {
        match explicit {
            Some(path) => Store::load(path).map(Some),
            None => find(start)?.map(|p| Store::load(&p)).transpose(),
        }
    }

    /// Where an editing command writes: `explicit`, else the discovered file, else a new
    /// `pyprov.toml` in `start`.
    pub fn edit_target(start: &Path, explicit: Option<&Path>) -> Result<PathBuf, TrustFileError> {
        Ok(match explicit {
            Some(p) => p.to_path_buf(),
            None => find(start)?.unwrap_or_else(|| start.join(FILE_NAME)),
        })
    }

    /// Reads and validates the file at `path`. No lock is needed to read: writers replace the
    /// file whole.
    pub fn load(path: &Path) -> Result<Store, TrustFileError> {
        match read_text(path, path)? {
            Some(text) => Store::parse(path, &text),
            None => Err(TrustFileError::NotFound {
                path: path.to_path_buf(),
            }),
        }
    }

    /// Validates a trust file's text, read from `path` by the caller.
    pub fn parse(path: &Path, text: &str) -> Result<Store, TrustFileError> {
        Ok(Store {
            path: path.to_path_buf(),
            contents: parse::parse(path, text)?,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the file says.
    pub fn contents(&self) -> &Contents {
        &self.contents
    }

    /// The file's policy, with `locked` off; set it from [`super::resolve_locked`].
    pub fn policy(&self) -> &Policy {
        self.contents.policy()
    }

    /// The entry for a package, by any spelling of its name.
    pub fn entry(&self, package: impl AsRef<str>) -> Option<&PackageEntry> {
        self.contents.entry(package)
    }

    /// Every entry, sorted by normalized name.
    pub fn entries(&self) -> impl Iterator<Item = &PackageEntry> {
        self.contents.entries()
    }

    /// Applies `change` to the file, and takes in the file as it now is.
    pub fn edit(&mut self, change: &Edit<'_>) -> Result<EditOutcome, TrustFileError> {
        let (outcome, now) = edit(&self.path, change)?;
        *self = now;
        Ok(outcome)
    }

    /// Pins `package` to `publisher` (and the environment the certificate proved), marked
    /// `pinned = "tofu DATE"`, then takes in the file as it now is. The entry returned is what
    /// the file says, re-read under the lock: the pin this call wrote, or the one another
    /// process (or a person) wrote first, which may name another publisher. Callers report
    /// that entry and judge the file by it, never by the publisher they asked for.
    pub fn pin(
        &mut self,
        package: &str,
        publisher: &PublisherSpec,
        environment: Option<&str>,
    ) -> Result<PinOutcome, TrustFileError> {
        let date = pin_date();
        let outcome = self.edit(&Edit::Pin {
            package,
            publisher,
            environment,
            date: &date,
        })?;
        match outcome {
            EditOutcome::AlreadyPinned(entry) => Ok(PinOutcome::AlreadyPinned(entry)),
            EditOutcome::Changed | EditOutcome::Unchanged => match self.entry(package) {
                Some(entry) => Ok(PinOutcome::Pinned(entry.clone())),
                // The edit validated the file it wrote, so the entry is there; a file changed
                // by hand between the write and the re-read is reported as having no pin.
                None => Err(TrustFileError::NoEntry {
                    path: self.path.clone(),
                    package: PackageName::normalize(package).into_string(),
                }),
            },
        }
    }
}

/// Applies `change` to the trust file at `path` (creating it from [`TEMPLATE`] if it does not
/// exist): under the lock, re-read, validate, edit, validate the result, write atomically.
/// Returns what happened and the file as it now is.
pub fn edit(path: &Path, change: &Edit<'_>) -> Result<(EditOutcome, Store), TrustFileError> {
    let tx = Transaction::begin(path)?;
    let mut doc = parse::document(path, &tx.text)?;
    let outcome = edit::apply(&mut doc, &tx.before, change, path)?;
    let contents = match outcome {
        EditOutcome::Changed => tx.commit(&doc.to_string())?,
        EditOutcome::Unchanged | EditOutcome::AlreadyPinned(_) => tx.before,
    };
    let store = Store {
        path: path.to_path_buf(),
        contents,
    };
    Ok((outcome, store))
}

/// Writes a whole new trust file at `path` (`pyprov trust init`), under the lock and
/// atomically, after checking pyprov reads `text` back. `Ok(None)` when a file is already
/// there and `overwrite` is false: nothing was written.
pub fn create(path: &Path, text: &str, overwrite: bool) -> Result<Option<Store>, TrustFileError> {
    let tx = Transaction::begin_raw(path)?;
    if tx.existed && !overwrite {
        return Ok(None);
    }
    let contents = tx.commit(text)?;
    Ok(Some(Store {
        path: path.to_path_buf(),
        contents,
    }))
}

/// The file under its lock, as read after the lock was taken. The lock is released when this
/// is dropped (closing the lock file releases it).
struct Transaction {
    path: PathBuf,
    /// The file the path resolves to: a symlinked trust file stays a symlink.
    real: PathBuf,
    _lock: fs_err::File,
    text: String,
    before: Contents,
    /// Whether a file was there when the lock was taken.
    existed: bool,
}

impl Transaction {
    fn begin(path: &Path) -> Result<Transaction, TrustFileError> {
        let real = match fs_err::canonicalize(path) {
            Ok(real) => real,
            // A file not written yet (or a dangling symlink, which the write replaces).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => path.to_path_buf(),
            Err(source) => {
                return Err(TrustFileError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let lock = lock(&real)?;
        let found = read_text(path, &real)?;
        let existed = found.is_some();
        let text = found.unwrap_or_else(|| TEMPLATE.to_string());
        // Validate before touching anything: a file pyprov cannot read is never rewritten.
        let before = parse::parse(path, &text)?;
        Ok(Transaction {
            path: path.to_path_buf(),
            real,
            _lock: lock,
            text,
            before,
            existed,
        })
    }

    /// As [`Transaction::begin`], for a caller that replaces the file whole: what is there
    /// need not be a valid trust file (`--force` replaces it).
    fn begin_raw(path: &Path) -> Result<Transaction, TrustFileError> {
        let real = match fs_err::canonicalize(path) {
            Ok(real) => real,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => path.to_path_buf(),
            Err(source) => {
                return Err(TrustFileError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let lock = lock(&real)?;
        let existed = fs_err::symlink_metadata(path).is_ok();
        Ok(Transaction {
            path: path.to_path_buf(),
            real,
            _lock: lock,
            text: String::new(),
            before: parse::parse(path, TEMPLATE)?,
            existed,
        })
    }

    /// Writes `new_text` in place of the file, after checking pyprov would read it back:
    /// toml_edit keeps what it parsed, and this guards against an edit that would produce a
    /// file pyprov itself would refuse.
    fn commit(self, new_text: &str) -> Result<Contents, TrustFileError> {
        let after = parse::parse(&self.path, new_text)?;
        write_atomic(&self.path, &self.real, new_text.as_bytes())?;
        Ok(after)
    }
}

/// Reads a trust file's text from `io_path`; `None` when it does not exist. Errors name `path`.
fn read_text(path: &Path, io_path: &Path) -> Result<Option<String>, TrustFileError> {
    match fs_err::read(io_path) {
        Ok(bytes) => parse::decode(path, bytes).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(TrustFileError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Takes the advisory lock on `.NAME.lock` beside the trust file, waiting for another writer
/// up to [`LOCK_TIMEOUT`]. The lock file is never renamed or deleted, so every writer locks
/// the same inode (locking the trust file itself would not work: it is replaced on every
/// write).
fn lock(path: &Path) -> Result<fs_err::File, TrustFileError> {
    let lock = sibling(path, &format!(".{}.lock", file_name(path)));
    let write_error = |source| TrustFileError::Write {
        path: lock.clone(),
        source,
        leftover: None,
    };
    let file = fs_err::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .map_err(write_error)?;
    let deadline = Instant::now() + LOCK_TIMEOUT;
    loop {
        match file.file().try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(TrustFileError::Locked {
                    path: path.to_path_buf(),
                    lock,
                    waited: LOCK_TIMEOUT,
                })
            }
            Err(std::fs::TryLockError::Error(source)) => return Err(write_error(source)),
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| FILE_NAME.to_string())
}

fn sibling(path: &Path, name: &str) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(name),
        _ => PathBuf::from(name),
    }
}

/// Writes `bytes` to a new file beside `real`, flushes it to disk, and renames it over `real`:
/// readers see the old file or the new one, never a partial one. Errors name `path`.
fn write_atomic(path: &Path, real: &Path, bytes: &[u8]) -> Result<(), TrustFileError> {
    let tmp = sibling(
        real,
        &format!(".{}.{}.tmp", file_name(real), std::process::id()),
    );
    let written = write_then_rename(&tmp, real, bytes);
    let Err(source) = written else {
        return Ok(());
    };
    let leftover = match fs_err::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Some(tmp),
        _ => None,
    };
    Err(TrustFileError::Write {
        path: path.to_path_buf(),
        source,
        leftover,
    })
}

fn write_then_rename(tmp: &Path, real: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = fs_err::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(tmp)?;
    f.write_all(bytes)?;
    // The new file keeps the old one's permissions; a new trust file gets the default ones.
    match fs_err::metadata(real) {
        Ok(meta) => f.set_permissions(meta.permissions())?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    f.sync_all()?;
    drop(f);
    fs_err::rename(tmp, real)?;
    // The rename itself must reach the disk too.
    #[cfg(unix)]
    if let Some(dir) = real.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs_err::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Walks up from `start` to the nearest `pyprov.toml`, never past a boundary: the root of the
/// repository `start` is in (the first directory holding `.git`, as a directory or a worktree's
/// file, or `.hg`) or the home directory, whichever comes first, both searched. Outside both,
/// only `start` itself is searched. A trust file in an unrelated parent directory, or in a
/// directory other users can write such as `/tmp`, never governs a project.
///
/// A directory the walk cannot look into is an error, not a directory without a trust file:
/// skipping it could leave a project without the file that governs it.
pub fn find(start: &Path) -> Result<Option<PathBuf>, TrustFileError> {
    let home = home_dir();
    find_within(start, home.as_deref())
}

/// The directory the search from `start` stops at (itself searched): the first one above or at
/// `start` that holds `.git` or `.hg` or is the home directory, else `start` alone. An error
/// message names it when no trust file was found.
pub fn search_top(start: &Path) -> Result<PathBuf, TrustFileError> {
    let home = home_dir();
    let stop = boundary(start, home.as_deref())?;
    Ok(start.ancestors().nth(stop).unwrap_or(start).to_path_buf())
}

pub(super) fn find_within(
    start: &Path,
    home: Option<&Path>,
) -> Result<Option<PathBuf>, TrustFileError> {
    let stop = boundary(start, home)?;
    for dir in start.ancestors().take(stop + 1) {
        if probe(dir, FILE_NAME)?.is_some_and(|m| m.is_file()) {
            return Ok(Some(dir.join(FILE_NAME)));
        }
    }
    Ok(None)
}

/// How many levels above `start` the search goes (0: `start` alone).
fn boundary(start: &Path, home: Option<&Path>) -> Result<usize, TrustFileError> {
    let home_real = home.map(canonical).transpose()?.flatten();
    let is_home = |dir: &Path| -> Result<bool, TrustFileError> {
        if home == Some(dir) {
            return Ok(true);
        }
        let Some(h) = &home_real else {
            return Ok(false);
        };
        Ok(canonical(dir)?.is_some_and(|d| d == *h))
    };
    // Up to the first boundary, itself included; with none above `start`, the walk would
    // reach `/`: search `start` alone.
    let mut stop = 0;
    for (i, dir) in start.ancestors().enumerate() {
        if probe(dir, ".git")?.is_some() || probe(dir, ".hg")?.is_some() || is_home(dir)? {
            stop = i;
            break;
        }
    }
    Ok(stop)
}

/// The metadata of `dir/name` (following symlinks), `None` when there is no such file.
fn probe(dir: &Path, name: &str) -> Result<Option<std::fs::Metadata>, TrustFileError> {
    match fs_err::metadata(dir.join(name)) {
        Ok(meta) => Ok(Some(meta)),
        Err(e) if is_absent(&e) => Ok(None),
        Err(source) => Err(TrustFileError::Discover {
            path: dir.to_path_buf(),
            source,
        }),
    }
}

/// `path` with every symlink resolved, `None` when it does not exist.
fn canonical(path: &Path) -> Result<Option<PathBuf>, TrustFileError> {
    match fs_err::canonicalize(path) {
        Ok(real) => Ok(Some(real)),
        Err(e) if is_absent(&e) => Ok(None),
        Err(source) => Err(TrustFileError::Discover {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Nothing there: no such file, or a path through something that is not a directory.
fn is_absent(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
    )
}

/// `$HOME` (`USERPROFILE` on Windows), when set to an absolute path.
fn home_dir() -> Option<PathBuf> {
    let var = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
    std::env::var_os(var)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}
