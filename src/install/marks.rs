//! The installation marks pip writes into each `.dist-info`, made what pip's own install would
//! have made them. pyprov's install step hands pip the whole resolved set pinned by hash, so pip
//! takes every file for a requirement the user named: it writes `REQUESTED` into each, and for a
//! direct URL it records the vetted copy's `file:` URL in `direct_url.json`. pip's report says
//! which items the user requested and which were direct; this step, run by the environment's
//! own interpreter with pip's own code (its install scheme, `Link`, `DirectUrl`), removes
//! `REQUESTED` where pip would not have written it, puts the user's URL back into
//! `direct_url.json`, and rewrites `RECORD` as pip writes it (rows sorted, hashes and sizes of
//! the files changed).

use std::process::{Command, Stdio};

use serde::Serialize;

use super::pip::Pip;

/// What pip would have marked one installed item with.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Mark {
    pub name: String,
    pub version: String,
    /// The user asked for it (pip's report: `requested`).
    pub requested: bool,
    /// The URL the user gave for a direct requirement, fragment included, as pip would have
    /// read it; `None` for an item from an index.
    pub direct_url: Option<String>,
}

/// Where pip installed: its `--target`, `--prefix`, `--root` and `--user`.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Location {
    pub target: Option<String>,
    pub prefix: Option<String>,
    pub root: Option<String>,
    pub user: bool,
}

#[derive(Serialize)]
struct Spec<'a> {
    location: &'a Location,
    items: &'a [Mark],
    /// When the install step began (seconds since the epoch): a `.dist-info` whose RECORD is
    /// older was not written by it (pip kept it, as `--target` without `-U` keeps an
    /// existing directory) and is left as it is, as pip leaves it.
    since: f64,
}

const MARK: &str = r#"import sys
if sys.path and sys.path[0] == "":
    del sys.path[0]
import base64, csv, hashlib, io, json, os, tempfile
from pip._internal.locations import get_scheme
from pip._internal.models.direct_url import DirectUrl
from pip._internal.models.link import Link
from pip._vendor.packaging.utils import canonicalize_name
from pip._vendor.packaging.version import InvalidVersion, Version

spec = json.load(sys.stdin)
loc = spec["location"]
if loc["target"]:
    dirs = [loc["target"]]
else:
    s = get_scheme("", user=loc["user"], root=loc["root"], isolated=True, prefix=loc["prefix"])
    dirs = [s.purelib, s.platlib]
    if not (loc["user"] or loc["root"] or loc["prefix"]):
        # pip turns an install into a user install by itself when site-packages is not
        # writable: look there too.
        try:
            u = get_scheme("", user=True, isolated=True)
            dirs += [u.purelib, u.platlib]
        except Exception:
            pass
    dirs = list(dict.fromkeys(dirs))

def same_version(a, b):
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b

def find(name, version):
    # Of every matching .dist-info (a stale spelling beside the new one, a user site and a
    # system one), the one whose RECORD was written last: the one this install wrote.
    best = None
    for d in dirs:
        try:
            entries = os.listdir(d)
        except OSError:
            continue
        for e in entries:
            if not e.endswith(".dist-info"):
                continue
            n, _, v = e[: -len(".dist-info")].rpartition("-")
            if canonicalize_name(n) == canonicalize_name(name) and same_version(v, version):
                try:
                    t = os.stat(os.path.join(d, e, "RECORD")).st_mtime
                except OSError:
                    continue
                if best is None or t > best[0]:
                    best = (t, d, e)
    return best and (best[1], best[2])

def record_hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode().rstrip("=")

def replace(path, data):
    # A new file beside the old one (created, never opened through a planted name), then
    # renamed over it: a reader sees the old file or the new, never half of one.
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".pyprov-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        # mkstemp's 0600 would hide the file from other users; keep the old file's mode.
        os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise

def mark(item):
    found = find(item["name"], item["version"])
    if found is None:
        raise LookupError("no .dist-info found")
    d, entry = found
    info = os.path.join(d, entry)
    record = os.path.join(info, "RECORD")
    if os.stat(record).st_mtime < spec["since"]:
        return
    with open(record, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f) if r]
    def is_row(r, name):
        parts = r[0].replace(os.sep, "/").split("/")
        return parts[-2:] == [entry, name]
    changed = False
    requested = os.path.join(info, "REQUESTED")
    drop_requested = not item["requested"] and os.path.exists(requested)
    if drop_requested:
        rows = [r for r in rows if not is_row(r, "REQUESTED")]
        changed = True
    path = os.path.join(info, "direct_url.json")
    if item["direct_url"] is not None and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            direct = DirectUrl.from_json(f.read())
        url = Link(item["direct_url"]).url_without_fragment
        try:
            direct.url = url
        except AttributeError:
            # A frozen dataclass in newer pips.
            import dataclasses
            direct = dataclasses.replace(direct, url=url)
        data = direct.to_json().encode("utf-8")
        replace(path, data)
        rows = [r if not is_row(r, "direct_url.json") else [r[0], record_hash(data), str(len(data))] for r in rows]
        changed = True
    if changed:
        # As pip writes RECORD: every row sorted, csv's own quoting and line ends.
        out = io.StringIO(newline="")
        csv.writer(out).writerows(sorted(tuple(r) for r in rows))
        replace(record, out.getvalue().encode("utf-8"))
    if drop_requested:
        os.unlink(requested)

failed = []
for item in spec["items"]:
    try:
        mark(item)
    except Exception as e:
        failed.append("%s %s: %s" % (item["name"], item["version"], e))
if failed:
    sys.stderr.write("; ".join(failed) + "\n")
    sys.exit(4)
"#;

#[derive(Debug, thiserror::Error)]
#[error("pip installed the packages, but pyprov could not correct their REQUESTED and direct_url.json marks with {program}: {message}\n  fix: `pip list --not-required` and tools that read REQUESTED may count these packages as requested; reinstall them with pip, or report this to pyprov")]
pub(crate) struct MarkError {
    program: String,
    message: String,
}

/// Corrects the marks of `items` where pip installed them. Items pip marked right already
/// (requested ones from an index) need nothing and are left out by the caller or here.
pub(crate) fn apply(
    pip: &Pip,
    location: &Location,
    items: &[Mark],
    since: std::time::SystemTime,
) -> Result<(), MarkError> {
    let items: Vec<Mark> = items
        .iter()
        .filter(|m| !m.requested || m.direct_url.is_some())
        .cloned()
        .collect();
    if items.is_empty() {
        return Ok(());
    }
    // One second of slack for file systems that keep coarse times.
    let since = since
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() - 1.0);
    let spec = serde_json::to_vec(&Spec {
        location,
        items: &items,
        since,
    })
    .map_err(|e| MarkError {
        program: pip.interpreter.display().to_string(),
        message: e.to_string(),
    })?;
    let fail = |message: String| MarkError {
        program: pip.interpreter.display().to_string(),
        message,
    };
    let mut child = Command::new(&pip.interpreter)
        .args(["-c", MARK])
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(e.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        stdin.write_all(&spec).map_err(|e| fail(e.to_string()))?;
    }
    let out = child.wait_with_output().map_err(|e| fail(e.to_string()))?;
    if !out.status.success() {
        return Err(fail(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ));
    }
    Ok(())
}
