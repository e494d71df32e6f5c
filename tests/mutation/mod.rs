//! Mutations of real provenance documents, and the oracle that judges them.
//!
//! Shared by `tests/robustness.rs` (driven by a seeded xorshift) and by the cargo-fuzz target
//! `fuzz/fuzz_targets/verify_attestation_mutants.rs` (driven by libFuzzer's bytes), so both
//! mean the same thing by "a mutant that changes signed content".
//!
//! The oracle is [`signed_change`]: every JSON leaf whose value is signed or checked
//! (statement, signature, certificate, signed entry timestamp, canonicalized body, inclusion
//! proof, checkpoint note, log id, times and indexes), normalized to what it means (decoded
//! base64 bytes, integers) and keyed by its path. A document that verifies must say the same
//! as the original in all of them. Left out, because nothing signs or checks them by design:
//! the PEP 740 publisher block (only compared with the certificate), the bundle media type,
//! `kindVersion`, DSSE key ids, key hints, the non-leaf certificates of a v0.1 chain, the
//! checkpoint's signer-name line, keys no parser knows, Rekor v2's duplicated proof fields,
//! and optional evidence dropped as a whole (see `Context`).

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use serde_json::{Map, Value};

/// The real corpus, outside the crate: `../shared/corpus`, or `PYPROV_CORPUS` when set.
pub fn corpus_dir(manifest_dir: &str) -> PathBuf {
    match std::env::var_os("PYPROV_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(manifest_dir).join("../shared/corpus"),
    }
}

pub const STAGING_ROOT: &str = "files/trust/sigstore-python-4.5.1/staging/trusted_root.json";

/// A real document that verifies, with the file it covers.
#[derive(Debug, Clone)]
pub struct Seed {
    pub id: String,
    pub kind: String,
    /// Path relative to the corpus root.
    pub provenance: String,
    pub bytes: Vec<u8>,
    pub value: Value,
    pub dist_name: String,
    pub dist_path: PathBuf,
    pub sha256: [u8; 32],
    pub staging: bool,
}

/// Every distinct passing PEP 740 attestation, provenance object and Sigstore bundle in the
/// corpus manifest that verifies against the production or staging root.
pub fn seeds(corpus: &Path, kinds: &[&str]) -> Vec<Seed> {
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(corpus.join("manifest.json")).expect("read ../shared/corpus/manifest.json"),
    )
    .expect("manifest.json is JSON");
    let mut out: Vec<Seed> = Vec::new();
    for c in manifest.as_array().expect("manifest is a list") {
        let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
        if s("expected_verdict") != "pass"
            || c["offline_verifiable"] != Value::Bool(true)
            || c["dist_included"] != Value::Bool(true)
            || !kinds.contains(&s("kind").as_str())
        {
            continue;
        }
        let staging = match s("trust_root").as_str() {
            "production" => false,
            "staging" => true,
            _ => continue,
        };
        let provenance = s("provenance");
        if out.iter().any(|o| o.provenance == provenance) {
            continue;
        }
        let bytes = std::fs::read(corpus.join(&provenance)).expect("read corpus provenance");
        let value = serde_json::from_slice(&bytes).expect("corpus provenance is JSON");
        let dist_path = corpus.join(s("dist"));
        let sha256 = pyprov::files::sha256_file(&dist_path).expect("hash corpus dist");
        out.push(Seed {
            id: s("id"),
            kind: s("kind"),
            provenance,
            bytes,
            value,
            dist_name: pyprov::files::file_name(&dist_path),
            dist_path,
            sha256,
            staging,
        });
    }
    out
}

/// Where the mutation decisions come from: a PRNG in tests, libFuzzer's input in the fuzzer.
pub trait Source {
    fn next_u64(&mut self) -> u64;

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

/// xorshift64*: deterministic, no dependency.
pub struct XorShift(pub u64);

impl Source for XorShift {
    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Fuzzer bytes as a source; zeros once they run out.
pub struct Bytes<'a>(pub &'a [u8]);

impl Source for Bytes<'_> {
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        let n = self.0.len().min(8);
        b[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        u64::from_le_bytes(b)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Seg {
    Key(String),
    Index(usize),
}

pub type JsonPath = Vec<Seg>;

fn display(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        s.push('/');
        match seg {
            Seg::Key(k) => s.push_str(k),
            Seg::Index(i) => s.push_str(&i.to_string()),
        }
    }
    s
}

/// Every node below the root (object members and array elements), depth first.
pub fn nodes(v: &Value) -> Vec<JsonPath> {
    fn walk(v: &Value, path: &mut JsonPath, out: &mut Vec<JsonPath>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    path.push(Seg::Key(k.clone()));
                    out.push(path.clone());
                    walk(x, path, out);
                    path.pop();
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    path.push(Seg::Index(i));
                    out.push(path.clone());
                    walk(x, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, &mut Vec::new(), &mut out);
    out
}

/// Nodes that are scalars.
pub fn leaves(v: &Value) -> Vec<JsonPath> {
    nodes(v)
        .into_iter()
        .filter(|p| get(v, p).is_some_and(|x| !x.is_object() && !x.is_array()))
        .collect()
}

pub fn get<'a>(v: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, seg| match seg {
        Seg::Key(k) => v.get(k.as_str()),
        Seg::Index(i) => v.get(*i),
    })
}

pub fn get_mut<'a>(v: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, seg| match seg {
        Seg::Key(k) => v.get_mut(k.as_str()),
        Seg::Index(i) => v.get_mut(*i),
    })
}

/// Fields holding protobuf int64s (JSON strings or numbers).
const INT_FIELDS: [&str; 3] = ["logIndex", "integratedTime", "treeSize"];
/// Fields holding base64.
const B64_FIELDS: [&str; 12] = [
    "certificate",
    "statement",
    "signature",
    "signedEntryTimestamp",
    "canonicalizedBody",
    "rootHash",
    "keyId",
    "rawBytes",
    "payload",
    "sig",
    "signedTimestamp",
    "digest",
];
/// Arrays of base64 strings.
const B64_ARRAYS: [&str; 2] = ["hashes", "timestamps"];

/// A leaf's meaning, for comparing an original with a mutant.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Norm {
    Int(i128),
    Bytes(Vec<u8>),
    Text(String),
    /// A signed note: its body and the decoded signature blobs (key hint and signature), without
    /// the signer names, which nothing signs. `log` is the log's own signature (the line named
    /// after the note's origin, else the first); witness cosignatures are not checked.
    Checkpoint {
        body: String,
        log: Option<Vec<u8>>,
        signatures: Vec<Vec<u8>>,
    },
    Len(usize),
    /// The signed parts of an RFC 3161 timestamp (see `normalize_timestamp`).
    Timestamp(Vec<Vec<u8>>),
}

fn lenient_b64() -> GeneralPurpose {
    GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::Indifferent),
    )
}

fn is_b64(path: &[Seg]) -> bool {
    match path {
        [.., Seg::Key(k)] => B64_FIELDS.contains(&k.as_str()),
        [.., Seg::Key(k), Seg::Index(_)] => B64_ARRAYS.contains(&k.as_str()),
        _ => false,
    }
}

fn last_key(path: &[Seg]) -> Option<&str> {
    match path.last() {
        Some(Seg::Key(k)) => Some(k),
        _ => None,
    }
}

fn has_key(path: &[Seg], key: &str) -> bool {
    path.iter().any(|s| matches!(s, Seg::Key(k) if k == key))
}

/// Leaves that no signature covers and that pyprov may accept changed.
pub fn is_unsigned(path: &[Seg]) -> bool {
    if has_key(path, "publisher") || has_key(path, "kindVersion") {
        return true;
    }
    if path.len() == 1 && last_key(path) == Some("mediaType") {
        return true;
    }
    if last_key(path) == Some("keyid") || last_key(path) == Some("hint") {
        return true;
    }
    // A v0.1 bundle's chain: only the leaf is used; the rest comes from the trusted root.
    if let Some(i) = path
        .iter()
        .position(|s| matches!(s, Seg::Key(k) if k == "x509CertificateChain"))
    {
        if let Some(Seg::Index(n)) = path.get(i + 2) {
            return *n > 0;
        }
    }
    false
}

fn is_checkpoint(path: &[Seg]) -> bool {
    matches!(path, [.., Seg::Key(a), Seg::Key(b)] if a == "checkpoint" && b == "envelope")
}

fn normalize_checkpoint(text: &str) -> Option<Norm> {
    let (body, sigs) = text.split_once("\n\n")?;
    let origin = body.lines().next().unwrap_or_default();
    let b64 = lenient_b64();
    let mut signatures = Vec::new();
    let mut log = None;
    for line in sigs.lines().filter(|l| !l.is_empty()) {
        let rest = line.strip_prefix("\u{2014} ")?;
        let (name, sig) = rest.rsplit_once(' ')?;
        let blob = b64.decode(sig).ok()?;
        if log.is_none() && origin.starts_with(name) {
            log = Some(blob.clone());
        }
        signatures.push(blob);
    }
    let log = log.or_else(|| signatures.first().cloned());
    signatures.sort();
    Some(Norm::Checkpoint {
        body: format!("{body}\n"),
        log,
        signatures,
    })
}

fn normalize(path: &[Seg], v: &Value) -> Norm {
    let int_field = last_key(path).is_some_and(|k| INT_FIELDS.contains(&k));
    match v {
        Value::Number(n) => match n.as_i64().map(i128::from).or(n.as_u64().map(i128::from)) {
            Some(i) => Norm::Int(i),
            None => Norm::Text(n.to_string()),
        },
        Value::String(s) if int_field => match s.parse::<i128>() {
            Ok(i) => Norm::Int(i),
            Err(_) => Norm::Text(s.clone()),
        },
        Value::String(s) if is_b64(path) => match lenient_b64().decode(s) {
            Ok(b) if is_timestamp(path) => normalize_timestamp(&b).unwrap_or(Norm::Bytes(b)),
            Ok(b) => Norm::Bytes(b),
            Err(_) => Norm::Text(s.clone()),
        },
        // Enum names (`SHA2_256`) are read case-insensitively.
        Value::String(s) if last_key(path) == Some("algorithm") => Norm::Text(s.to_uppercase()),
        Value::String(s) if is_checkpoint(path) => {
            normalize_checkpoint(s).unwrap_or_else(|| Norm::Text(s.clone()))
        }
        other => Norm::Text(other.to_string()),
    }
}

/// One DER element: (tag, header length, content length).
fn der_header(b: &[u8]) -> Option<(u8, usize, usize)> {
    let tag = *b.first()?;
    let first = *b.get(1)? as usize;
    let (hl, len) = if first < 0x80 {
        (2, first)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let len = b
            .get(2..2 + n)?
            .iter()
            .fold(0usize, |l, &x| (l << 8) | x as usize);
        (2 + n, len)
    };
    (b.len() >= hl + len).then_some((tag, hl, len))
}

fn der_children(b: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut out = Vec::new();
    let mut rest = b;
    while !rest.is_empty() {
        let (tag, hl, len) = der_header(rest)?;
        out.push((tag, &rest[hl..hl + len]));
        rest = &rest[hl + len..];
    }
    Some(out)
}

/// The signed parts of an RFC 3161 timestamp response or token (a CMS SignedData, RFC 5652):
/// the encapsulated content (type and TSTInfo), and each signer's signed attributes and
/// signature. Everything else is unsigned: the response status, version numbers, the digest
/// algorithm list, the certificates and CRLs (the TSA chain comes from the trusted root), signer
/// identifiers, algorithm identifiers and unsigned attributes.
fn normalize_timestamp(der: &[u8]) -> Option<Norm> {
    let top = der_children(der)?;
    let [(0x30, outer)] = top.as_slice() else {
        return None;
    };
    let outer = der_children(outer)?;
    // A TimeStampResp is SEQUENCE { PKIStatusInfo, ContentInfo }; a token is the ContentInfo.
    let content_info = match outer.as_slice() {
        [(0x30, _status), (0x30, token)] => der_children(token)?,
        _ => outer,
    };
    let [(0x06, _signed_data_oid), (0xa0, explicit)] = content_info.as_slice() else {
        return None;
    };
    let inner = der_children(explicit)?;
    let [(0x30, signed_data)] = inner.as_slice() else {
        return None;
    };
    let fields = der_children(signed_data)?;
    let mut out = Vec::new();
    let (0x30, encap) = fields.get(2)? else {
        return None;
    };
    for (tag, x) in der_children(encap)? {
        match tag {
            0x06 => out.push(x.to_vec()),
            0xa0 => out.extend(der_children(x)?.into_iter().map(|(_, c)| c.to_vec())),
            _ => return None,
        }
    }
    let (0x31, signer_infos) = fields.last()? else {
        return None;
    };
    for (_, signer) in der_children(signer_infos)? {
        for (tag, x) in der_children(signer)? {
            if tag == 0xa0 || tag == 0x04 {
                out.push(x.to_vec());
            }
        }
    }
    Some(Norm::Timestamp(out))
}

fn is_timestamp(path: &[Seg]) -> bool {
    matches!(path, [.., Seg::Key(k)] if k == "signedTimestamp")
        || matches!(path, [.., Seg::Key(k), Seg::Index(_)] if k == "timestamps")
}

/// Arrays whose elements are interchangeable copies: their indexes are folded, so duplicating
/// an element (a second copy of the same attestation or timestamp) is not a change, and their
/// lengths are not compared.
const FOLDED_ARRAYS: [&str; 4] = [
    "attestation_bundles",
    "attestations",
    "rfc3161Timestamps",
    "timestamps",
];

/// The path with the indexes of [`FOLDED_ARRAYS`] folded.
fn folded(path: &[Seg]) -> String {
    let mut out = Vec::with_capacity(path.len());
    let mut prev: Option<&str> = None;
    for seg in path {
        match (seg, prev) {
            (Seg::Index(_), Some(k)) if FOLDED_ARRAYS.contains(&k) => {
                out.push(Seg::Key("*".into()))
            }
            _ => out.push(seg.clone()),
        }
        prev = match seg {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        };
    }
    display(&out)
}

fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || rest.starts_with('#'))
}

/// What the original document says about which of its fields are checked.
struct Context {
    /// Every key the original uses: keys it does not use are unknown to the parsers too (the
    /// mutator only invents names such as `x-pyprov-unknown` and `hashes_`), so leaves under them
    /// are ignored, as PEP 740 and the bundle spec ask.
    known_keys: BTreeSet<String>,
    /// Folded paths of Rekor v2 entries (hashedrekord 0.0.2). For these, sigstore-verify takes
    /// the leaf index, tree size and root from the top-level entry and the signed checkpoint,
    /// and ignores the inclusion proof's duplicated `logIndex`, `treeSize` and `rootHash` as
    /// unauthenticated (sigstore-verify `verify_impl/tlog.rs`); with no signed entry timestamp,
    /// nothing covers `logId` either.
    rekor_v2_entries: BTreeSet<String>,
    /// Optional evidence that may be dropped as a whole, but that must verify when present:
    /// a message signature's `messageDigest` (checked against the file when present) and a v0.1
    /// bundle's inclusion proof (v0.1 needs only the signed entry timestamp).
    optional: Vec<String>,
}

impl Context {
    fn of(original: &Value) -> Context {
        let mut known_keys = BTreeSet::new();
        let mut rekor_v2_entries = BTreeSet::new();
        let mut optional = vec!["/messageSignature/messageDigest".to_string()];
        let v01 = original
            .get("mediaType")
            .and_then(Value::as_str)
            .is_some_and(|m| m.ends_with("version=0.1"));
        for path in nodes(original) {
            if let Some(Seg::Key(k)) = path.last() {
                known_keys.insert(k.clone());
            }
            let Some(Seg::Key(list)) = path.iter().rev().nth(1) else {
                continue;
            };
            if list != "tlogEntries" && list != "transparency_entries" {
                continue;
            }
            let entry = get(original, &path);
            let kv = entry.and_then(|e| e.get("kindVersion"));
            let kind = kv.and_then(|k| k.get("kind")).and_then(Value::as_str);
            let version = kv.and_then(|k| k.get("version")).and_then(Value::as_str);
            if kind == Some("hashedrekord") && version == Some("0.0.2") {
                rekor_v2_entries.insert(folded(&path));
            }
            if v01 {
                optional.push(format!("{}/inclusionProof", folded(&path)));
            }
            // A Rekor v1 entry with a signed entry timestamp is a time source of its own: an
            // RFC 3161 timestamp beside it is a second one, and dropping it whole (all of
            // them) leaves the signing time proven. Changing one is still a change.
            let integrated = entry
                .and_then(|e| e.get("integratedTime"))
                .and_then(|t| {
                    t.as_str()
                        .and_then(|s| s.parse::<u64>().ok())
                        .or(t.as_u64())
                })
                .unwrap_or(0);
            let promised = entry.and_then(|e| e.get("inclusionPromise")).is_some();
            if integrated > 0 && promised {
                optional.push("/verificationMaterial/timestampVerificationData".to_string());
            }
        }
        Context {
            known_keys,
            rekor_v2_entries,
            optional,
        }
    }

    fn skip(&self, path: &[Seg]) -> bool {
        if path
            .iter()
            .any(|s| matches!(s, Seg::Key(k) if !self.known_keys.contains(k)))
        {
            return true;
        }
        if is_unsigned(path) {
            return true;
        }
        // Rekor v2: the proof's duplicated fields, and the log id (there is no signed entry
        // timestamp to cover it; the checkpoint's signature is matched by its key hint).
        match path {
            [entry @ .., Seg::Key(proof), Seg::Key(field)]
                if proof == "inclusionProof"
                    && ["logIndex", "treeSize", "rootHash"].contains(&field.as_str()) =>
            {
                self.rekor_v2_entries.contains(&folded(entry))
            }
            [entry @ .., Seg::Key(log_id)] if log_id == "logId" => {
                self.rekor_v2_entries.contains(&folded(entry))
            }
            _ => false,
        }
    }

    /// What a document says in signed or checked fields, as a set of (folded path, meaning).
    fn projection(&self, doc: &Value) -> BTreeSet<(String, Norm)> {
        fn walk(ctx: &Context, v: &Value, path: &mut JsonPath, out: &mut BTreeSet<(String, Norm)>) {
            if !path.is_empty() && ctx.skip(path) {
                return;
            }
            match v {
                Value::Object(m) => {
                    for (k, x) in m {
                        path.push(Seg::Key(k.clone()));
                        walk(ctx, x, path, out);
                        path.pop();
                    }
                }
                Value::Array(a) => {
                    let interchangeable = matches!(
                        path.last(),
                        Some(Seg::Key(k)) if FOLDED_ARRAYS.contains(&k.as_str()) || k == "certificates"
                    );
                    if !interchangeable {
                        out.insert((format!("{}#len", folded(path)), Norm::Len(a.len())));
                    }
                    for (i, x) in a.iter().enumerate() {
                        path.push(Seg::Index(i));
                        walk(ctx, x, path, out);
                        path.pop();
                    }
                }
                // Protobuf JSON reads `null` as absent; a field that had content and is now
                // null shows up as removed.
                Value::Null => {}
                scalar => {
                    out.insert((folded(path), normalize(path, scalar)));
                }
            }
        }
        let mut out = BTreeSet::new();
        walk(self, doc, &mut Vec::new(), &mut out);
        out
    }
}

/// Why two projections differ, for failure messages.
fn projection_diff(a: &BTreeSet<(String, Norm)>, b: &BTreeSet<(String, Norm)>) -> String {
    let only = |x: &BTreeSet<(String, Norm)>, y: &BTreeSet<(String, Norm)>| {
        x.difference(y)
            .map(|(p, _)| p.clone())
            .take(4)
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "removed/changed: [{}]; added/changed: [{}]",
        only(a, b),
        only(b, a)
    )
}

/// Raw JSON texts a leaf can be replaced with (inserted after serialization, since some are not
/// representable as a `serde_json::Value`).
pub const RAW_VALUES: [&str; 18] = [
    "null",
    "true",
    "0",
    "-1",
    "1.5",
    "1e400",
    "-1e400",
    "18446744073709551616",
    "-9223372036854775809",
    "123456789012345678901234567890123456789",
    "\"\"",
    "\"99999999999999999999999999999\"",
    "\"-1\"",
    "\"==\"",
    "[]",
    "{}",
    "[null]",
    "{\"\":{}}",
];

const PLACEHOLDER: &str = "\u{1}pyprov-raw\u{1}";

/// One mutation, described for failure messages.
#[derive(Debug, Clone)]
pub struct Mutant {
    pub bytes: Vec<u8>,
    pub what: String,
}

fn flip_decoded_bit(s: &str, src: &mut impl Source) -> Option<String> {
    let std = base64::engine::general_purpose::STANDARD;
    let mut bytes = lenient_b64().decode(s).ok()?;
    if bytes.is_empty() {
        return None;
    }
    let i = src.below(bytes.len());
    bytes[i] ^= 1 << src.below(8);
    Some(std.encode(bytes))
}

fn flip_string_bit(s: &str, src: &mut impl Source) -> String {
    let mut bytes = s.as_bytes().to_vec();
    if bytes.is_empty() {
        return "A".into();
    }
    let i = src.below(bytes.len());
    // Stay in ASCII so the result is still a JSON string.
    bytes[i] = (bytes[i] ^ (1 << src.below(7))).clamp(0x20, 0x7e);
    String::from_utf8_lossy(&bytes).into_owned()
}

fn nested(depth: usize) -> Value {
    (0..depth).fold(Value::Null, |v, _| Value::Array(vec![v]))
}

/// Applies one structural (JSON-level) mutation. Returns its description, or `None` when the
/// chosen node does not suit the chosen operation.
fn mutate_value(
    v: &mut Value,
    src: &mut impl Source,
    raw: &mut Option<&'static str>,
) -> Option<String> {
    let all = nodes(v);
    let leaves = leaves(v);
    match src.below(9) {
        // Flip one bit in what a base64 leaf decodes to (or in the string itself).
        0 | 1 => {
            let path = leaves.get(src.below(leaves.len()))?.clone();
            let Value::String(s) = get(v, &path)?.clone() else {
                return None;
            };
            let new = if is_b64(&path) {
                flip_decoded_bit(&s, src)?
            } else {
                flip_string_bit(&s, src)
            };
            *get_mut(v, &path)? = Value::String(new);
            Some(format!("flip a bit in {}", display(&path)))
        }
        // Replace a leaf or a subtree with a value of another type or an extreme value.
        2 => {
            let path = all.get(src.below(all.len()))?.clone();
            let pick = src.below(RAW_VALUES.len() + 2);
            let target = get_mut(v, &path)?;
            let what = if pick < RAW_VALUES.len() {
                *raw = Some(RAW_VALUES[pick]);
                *target = Value::String(PLACEHOLDER.into());
                RAW_VALUES[pick].to_string()
            } else if pick == RAW_VALUES.len() {
                *target = nested(100);
                "100 nested arrays".to_string()
            } else {
                *target = nested(200);
                "200 nested arrays".to_string()
            };
            Some(format!("replace {} with {what}", display(&path)))
        }
        // Remove an object member or array element.
        3 => {
            let path = all.get(src.below(all.len()))?.clone();
            let (last, parent) = path.split_last()?;
            match (get_mut(v, parent)?, last) {
                (Value::Object(m), Seg::Key(k)) => {
                    m.remove(k.as_str());
                }
                (Value::Array(a), Seg::Index(i)) => {
                    a.remove(*i);
                }
                _ => return None,
            }
            Some(format!("remove {}", display(&path)))
        }
        // Duplicate an array element (a second transparency entry, a repeated proof hash, a
        // second signature or attestation).
        4 => {
            let arrays: Vec<&JsonPath> = all
                .iter()
                .filter(|p| get(v, p).is_some_and(|x| x.as_array().is_some_and(|a| !a.is_empty())))
                .collect();
            let path = (*arrays.get(src.below(arrays.len()))?).clone();
            let Value::Array(a) = get_mut(v, &path)? else {
                return None;
            };
            let i = src.below(a.len());
            let copy = a[i].clone();
            a.insert(i, copy);
            Some(format!("duplicate an element of {}", display(&path)))
        }
        // Truncate a string leaf.
        5 => {
            let path = leaves.get(src.below(leaves.len()))?.clone();
            let Value::String(s) = get(v, &path)?.clone() else {
                return None;
            };
            let mut cut = src.below(s.len().max(1));
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            *get_mut(v, &path)? = Value::String(s[..cut].to_string());
            Some(format!("truncate {} to {cut} bytes", display(&path)))
        }
        // Shift an integer field by a small or huge amount.
        6 => {
            let ints: Vec<&JsonPath> = leaves
                .iter()
                .filter(|p| last_key(p).is_some_and(|k| INT_FIELDS.contains(&k)))
                .collect();
            let path = (*ints.get(src.below(ints.len()))?).clone();
            let n: i128 = get(v, &path)?.as_str()?.parse().ok()?;
            let delta: i128 = match src.below(4) {
                0 => 1,
                1 => -1,
                2 => i64::MAX as i128,
                _ => -(n + 1),
            };
            *get_mut(v, &path)? = Value::String((n + delta).to_string());
            Some(format!("add {delta} to {}", display(&path)))
        }
        // Rename a key (the value moves under a key nothing reads).
        7 => {
            let keys: Vec<&JsonPath> = all
                .iter()
                .filter(|p| matches!(p.last(), Some(Seg::Key(_))))
                .collect();
            let path = (*keys.get(src.below(keys.len()))?).clone();
            let (Seg::Key(k), parent) = path.split_last()? else {
                return None;
            };
            let Value::Object(m) = get_mut(v, parent)? else {
                return None;
            };
            let x = m.remove(k.as_str())?;
            m.insert(format!("{k}_"), x);
            Some(format!("rename {}", display(&path)))
        }
        // Add an unknown key to an object (PEP 740 says to ignore them).
        _ => {
            let objects: Vec<JsonPath> = std::iter::once(Vec::new())
                .chain(all.iter().cloned())
                .filter(|p| get(v, p).is_some_and(Value::is_object))
                .collect();
            let path = objects.get(src.below(objects.len()))?.clone();
            let Value::Object(m) = get_mut(v, &path)? else {
                return None;
            };
            m.insert("x-pyprov-unknown".into(), Value::Object(Map::new()));
            Some(format!("add an unknown key to {}", display(&path)))
        }
    }
}

/// Byte-level damage to the serialized document.
fn mutate_bytes(bytes: &mut Vec<u8>, src: &mut impl Source) -> String {
    if bytes.is_empty() {
        bytes.push(b'{');
        return "insert a byte".into();
    }
    match src.below(4) {
        0 => {
            let i = src.below(bytes.len());
            bytes[i] ^= 1 << src.below(8);
            format!("flip a bit of byte {i}")
        }
        1 => {
            let n = src.below(bytes.len());
            bytes.truncate(n);
            format!("truncate to {n} bytes")
        }
        2 => {
            let i = src.below(bytes.len());
            let b = src.next_u64() as u8;
            bytes.insert(i, b);
            format!("insert byte {b:#04x} at {i}")
        }
        _ => {
            let i = src.below(bytes.len());
            let n = 1 + src.below(16.min(bytes.len() - i));
            bytes.drain(i..i + n);
            format!("delete {n} bytes at {i}")
        }
    }
}

/// One to three structural mutations of `seed`, sometimes followed by byte-level damage.
pub fn mutate(seed: &Value, src: &mut impl Source) -> Mutant {
    let mut v = seed.clone();
    let mut raw = None;
    let mut what = Vec::new();
    for _ in 0..1 + src.below(3) {
        if raw.is_some() {
            break;
        }
        if let Some(w) = mutate_value(&mut v, src, &mut raw) {
            what.push(w);
        }
    }
    let mut text = v.to_string();
    if let Some(r) = raw {
        let quoted = Value::String(PLACEHOLDER.into()).to_string();
        text = text.replacen(&quoted, r, 1);
    }
    let mut bytes = text.into_bytes();
    if what.is_empty() || src.chance(15) {
        what.push(mutate_bytes(&mut bytes, src));
    }
    Mutant {
        bytes,
        what: what.join("; "),
    }
}

/// How `mutant` changes anything signed or checked relative to `original`, or `None` when it
/// does not. Bytes that are not JSON count as a change.
pub fn signed_change(original: &Value, mutant: &[u8]) -> Option<String> {
    let Ok(m) = serde_json::from_slice::<Value>(mutant) else {
        return Some("not JSON".into());
    };
    let ctx = Context::of(original);
    let mut a = ctx.projection(original);
    let mut b = ctx.projection(&m);
    for prefix in &ctx.optional {
        if !b.iter().any(|(p, _)| under(p, prefix)) {
            a.retain(|(p, _)| !under(p, prefix));
        }
    }
    // A checkpoint says the same when its body is the same and the log's signature is still
    // among its signatures (whatever the names, and whatever other cosignatures it carries).
    for (path, norm) in &a {
        let Norm::Checkpoint {
            body,
            log: Some(log),
            ..
        } = norm
        else {
            continue;
        };
        let same = b.iter().find(|(p, n)| {
            p == path
                && matches!(n, Norm::Checkpoint { body: b2, signatures, .. }
                    if b2 == body && signatures.contains(log))
        });
        if let Some(item) = same.cloned() {
            b.remove(&item);
            b.insert((path.clone(), norm.clone()));
        }
    }
    (a != b).then(|| projection_diff(&a, &b))
}
