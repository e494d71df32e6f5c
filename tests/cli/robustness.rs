//! Hostile and malformed input: seeded mutants of the real corpus through the library and the
//! CLI, inputs over the documented limits, and hashing a 1 GiB file in bounded memory.
//!
//! The contract (issue #1): malformed input is an exit-2 or exit-1 error with a reason, never a
//! panic (exit 101) or a hang; a mutant that changes signed content never verifies.

use crate::mutation;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::Instant;

use crate::mutation::{Seed, XorShift};
use crate::support::context::{Run, TestContext};
use pyprov::verify::document::{MAX_ATTESTATIONS, MAX_DOCUMENT_BYTES};
use pyprov::verify::statement::Statement;
use pyprov::verify::{Artifact, Document, Engine, Expectation, Failure, Reason, Verified};
use serde_json::{json, Value};

fn corpus() -> PathBuf {
    mutation::corpus_dir(env!("CARGO_MANIFEST_DIR"))
}

const DOCUMENT_KINDS: [&str; 3] = ["pep740-attestation", "pep740-provenance", "sigstore-bundle"];
const PUBLISH_ATTESTATION: &str =
    "files/pypi-attestations/pypi_attestations-0.0.19.tar.gz.publish.attestation";
const PROVENANCE: &str = "files/pypi-attestations/pypi_attestations-0.0.19.tar.gz.provenance";
const DIST: &str = "files/pypi-attestations/pypi_attestations-0.0.19.tar.gz";
const BUNDLE: &str = "files/pypi-attestations/pypi_attestation_models-0.0.4a2.tar.gz.sigstore";
const REKOR_V2_BUNDLE: &str = "files/sigstore-python/staging-rekor-v2.txt.sigstore.json";

struct Engines {
    production: Engine,
    staging: Engine,
}

impl Engines {
    fn load() -> Engines {
        let staging = std::fs::read_to_string(corpus().join(mutation::STAGING_ROOT))
            .expect("corpus staging trusted root");
        Engines {
            production: Engine::production().expect("production root"),
            staging: Engine::from_trusted_root_json(&staging).expect("staging root"),
        }
    }

    fn for_seed(&self, seed: &Seed) -> &Engine {
        if seed.staging {
            &self.staging
        } else {
            &self.production
        }
    }
}

/// Parse and verify through the library, catching panics. `Expectation::Anyone` is the
/// strictest oracle: any pass at all is a pass.
fn verify_caught(
    engine: &Engine,
    seed: &Seed,
    bytes: &[u8],
) -> Result<Result<Verified, Failure>, String> {
    catch_unwind(AssertUnwindSafe(|| {
        let doc = Document::parse(bytes)?;
        engine.verify(
            Artifact {
                name: &seed.dist_name,
                sha256: &seed.sha256,
            },
            &doc,
            &Expectation::Anyone,
        )
    }))
    .map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "non-string panic".into())
    })
}

fn seed_rng(id: &str, salt: u64) -> XorShift {
    // FNV-1a of the seed id: each document gets its own, stable, stream.
    let h = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    });
    XorShift(h ^ salt | 1)
}

/// Mutants per seed document; with 16 seeds this is about 4,000 mutants.
const MUTANTS_PER_SEED: usize = 250;

/// What the mutants of some seeds did.
#[derive(Default)]
struct Sweep {
    panics: Vec<String>,
    forged: Vec<String>,
    reasons: BTreeMap<&'static str, usize>,
    total: usize,
    signed_changes: usize,
    passes: usize,
}

impl Sweep {
    /// `MUTANTS_PER_SEED` mutants of `seed`, each verified through the library.
    fn seed(&mut self, engine: &Engine, seed: &Seed) {
        let original = verify_caught(engine, seed, &seed.bytes);
        assert!(
            matches!(original, Ok(Ok(_))),
            "{}: the unmutated document must verify: {original:?}",
            seed.id
        );
        let mut rng = seed_rng(&seed.id, 0x5eed);
        for i in 0..MUTANTS_PER_SEED {
            let m = mutation::mutate(&seed.value, &mut rng);
            self.total += 1;
            let change = mutation::signed_change(&seed.value, &m.bytes);
            self.signed_changes += usize::from(change.is_some());
            match verify_caught(engine, seed, &m.bytes) {
                Err(panic) => self
                    .panics
                    .push(format!("{} #{i} ({}): {panic}", seed.id, m.what)),
                Ok(Ok(_)) => {
                    self.passes += 1;
                    if let Some(diff) = change {
                        self.forged
                            .push(format!("{} #{i} ({}): {diff}", seed.id, m.what));
                    }
                }
                Ok(Err(f)) => {
                    *self.reasons.entry(f.reason.code()).or_default() += 1;
                    assert!(
                        !f.message.is_empty(),
                        "{} #{i}: a failure without a message",
                        seed.id
                    );
                }
            }
        }
    }
}

#[test]
fn library_survives_mutants_and_rejects_signed_changes() {
    let engines = Engines::load();
    let seeds = mutation::seeds(&corpus(), &DOCUMENT_KINDS);
    assert!(
        seeds.len() >= 10,
        "only {} seed documents in the corpus",
        seeds.len()
    );
    let started = Instant::now();
    // One seed per task, over as many threads as there are cores: the same mutants and the
    // same checks as one loop, in a fraction of the wall time.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let sweeps: Vec<Sweep> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut sweep = Sweep::default();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(seed) = seeds.get(i) else {
                            return sweep;
                        };
                        sweep.seed(engines.for_seed(seed), seed);
                    }
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let mut all = Sweep::default();
    for sweep in sweeps {
        all.panics.extend(sweep.panics);
        all.forged.extend(sweep.forged);
        for (reason, n) in sweep.reasons {
            *all.reasons.entry(reason).or_default() += n;
        }
        all.total += sweep.total;
        all.signed_changes += sweep.signed_changes;
        all.passes += sweep.passes;
    }
    let Sweep {
        mut panics,
        mut forged,
        reasons,
        total,
        signed_changes,
        passes,
    } = all;
    panics.sort();
    forged.sort();
    eprintln!(
        "{total} mutants of {} documents in {:.1?}: {signed_changes} changed signed content, \
         {passes} still verified (unsigned changes only); failures by reason: {reasons:?}",
        seeds.len(),
        started.elapsed()
    );
    assert!(
        panics.is_empty(),
        "{} mutants panicked:\n{}",
        panics.len(),
        panics.join("\n")
    );
    assert!(
        forged.is_empty(),
        "{} mutants changed signed content and still verified:\n{}",
        forged.len(),
        forged.join("\n")
    );
    assert!(
        signed_changes * 2 > total,
        "the generator has drifted: only {signed_changes} of {total} mutants touch signed content"
    );
}

/// Named edits of fields that signatures cover, on the PEP 740 attestation, the provenance
/// object and a Sigstore bundle: each must fail, with a reason.
#[test]
fn targeted_mutations_of_signed_fields_fail() {
    let engines = Engines::load();
    let seeds = mutation::seeds(&corpus(), &DOCUMENT_KINDS);
    let b64 = |s: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .expect("base64")
    };
    let enc = |b: &[u8]| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(b)
    };
    let flip = |v: &Value| {
        let mut bytes = b64(v.as_str().expect("a base64 string"));
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x01;
        Value::String(enc(&bytes))
    };
    let bump = |v: &Value| {
        let n: i64 = v.as_str().expect("an int64 string").parse().expect("int64");
        Value::String((n + 1).to_string())
    };
    type Edit<'a> = (&'a str, &'a str, Box<dyn Fn(&Value) -> Value + 'a>);
    let att_entry = "/verification_material/transparency_entries/0";
    let mut edits: Vec<(&str, Edit)> = Vec::new();
    for (doc, prefix, entry) in [
        (PUBLISH_ATTESTATION, "", att_entry),
        (
            PROVENANCE,
            "/attestation_bundles/0/attestations/0",
            att_entry,
        ),
    ] {
        for (name, field) in [
            ("statement", "/envelope/statement".to_string()),
            ("signature", "/envelope/signature".to_string()),
            (
                "certificate",
                "/verification_material/certificate".to_string(),
            ),
            (
                "SET",
                format!("{entry}/inclusionPromise/signedEntryTimestamp"),
            ),
            ("canonicalized body", format!("{entry}/canonicalizedBody")),
            (
                "inclusion proof hash",
                format!("{entry}/inclusionProof/hashes/3"),
            ),
            ("root hash", format!("{entry}/inclusionProof/rootHash")),
            ("log id", format!("{entry}/logId/keyId")),
        ] {
            let field: &'static str = Box::leak(format!("{prefix}{field}").into_boxed_str());
            edits.push((doc, (name, field, Box::new(flip))));
        }
        for (name, field) in [
            ("integrated time", format!("{entry}/integratedTime")),
            ("log index", format!("{entry}/logIndex")),
            (
                "proof log index",
                format!("{entry}/inclusionProof/logIndex"),
            ),
            ("tree size", format!("{entry}/inclusionProof/treeSize")),
        ] {
            let field: &'static str = Box::leak(format!("{prefix}{field}").into_boxed_str());
            edits.push((doc, (name, field, Box::new(bump))));
        }
        // Found by fuzz/verify_attestation_mutants: the entry is the last leaf of the signed
        // tree, and a last-leaf proof for (index + 1, size + 1) reaches the same root. The proof's
        // size must be the size the checkpoint signs.
        let proof: &'static str =
            Box::leak(format!("{prefix}{entry}/inclusionProof").into_boxed_str());
        edits.push((
            doc,
            (
                "proof log index and tree size shifted together",
                proof,
                Box::new(move |v: &Value| {
                    let mut v = v.clone();
                    for k in ["logIndex", "treeSize"] {
                        v[k] = bump(&v[k]);
                    }
                    v
                }),
            ),
        ));
        let entries: &'static str = Box::leak(
            format!("{prefix}/verification_material/transparency_entries").into_boxed_str(),
        );
        edits.push((
            doc,
            (
                "duplicated transparency entry",
                entries,
                Box::new(|v: &Value| {
                    let a = v.as_array().expect("entries");
                    Value::Array(vec![a[0].clone(), a[0].clone()])
                }),
            ),
        ));
        let checkpoint: &'static str = Box::leak(
            format!("{prefix}{entry}/inclusionProof/checkpoint/envelope").into_boxed_str(),
        );
        edits.push((
            doc,
            (
                "checkpoint note body",
                checkpoint,
                Box::new(|v: &Value| {
                    // The second line is the tree size, which the log signed.
                    let s = v.as_str().expect("note");
                    let mut lines: Vec<String> = s.split('\n').map(str::to_string).collect();
                    let size: u64 = lines[1].parse().expect("tree size");
                    lines[1] = (size + 1).to_string();
                    Value::String(lines.join("\n"))
                }),
            ),
        ));
    }
    for (name, field) in [
        ("DSSE payload", "/dsseEnvelope/payload"),
        ("DSSE signature", "/dsseEnvelope/signatures/0/sig"),
        ("certificate", "/verificationMaterial/certificate/rawBytes"),
        (
            "SET",
            "/verificationMaterial/tlogEntries/0/inclusionPromise/signedEntryTimestamp",
        ),
        (
            "canonicalized body",
            "/verificationMaterial/tlogEntries/0/canonicalizedBody",
        ),
        (
            "inclusion proof hash",
            "/verificationMaterial/tlogEntries/0/inclusionProof/hashes/0",
        ),
    ] {
        edits.push((BUNDLE, (name, field, Box::new(flip))));
    }
    edits.push((
        BUNDLE,
        (
            "DSSE payload type",
            "/dsseEnvelope/payloadType",
            Box::new(|_: &Value| json!("application/vnd.in-toto+jsonx")),
        ),
    ));
    // A Rekor v2 bundle has no signed entry timestamp: its RFC 3161 token is the only signed
    // time, and its TSTInfo (which holds the time) is signed by the TSA.
    edits.push((
        REKOR_V2_BUNDLE,
        (
            "RFC 3161 TSTInfo",
            "/verificationMaterial/timestampVerificationData/rfc3161Timestamps/0/signedTimestamp",
            Box::new(move |v: &Value| {
                let mut der = b64(v.as_str().expect("base64"));
                // id-smime-ct-TSTInfo; the TSTInfo follows in [0] { OCTET STRING }.
                let oid = [
                    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x04,
                ];
                let at = der
                    .windows(oid.len())
                    .position(|w| w == oid)
                    .expect("a TSTInfo");
                der[at + oid.len() + 50] ^= 0x01; // inside messageImprint.hashedMessage
                Value::String(enc(&der))
            }),
        ),
    ));

    edits.push((
        REKOR_V2_BUNDLE,
        (
            "RFC 3161 genTime",
            "/verificationMaterial/timestampVerificationData/rfc3161Timestamps/0/signedTimestamp",
            Box::new(move |v: &Value| {
                let mut der = b64(v.as_str().expect("base64"));
                // id-smime-ct-TSTInfo; the TSTInfo follows in [0] { OCTET STRING }.
                let oid = [
                    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x04,
                ];
                let at = der
                    .windows(oid.len())
                    .position(|w| w == oid)
                    .expect("a TSTInfo");
                // GeneralizedTime, 15 bytes (YYYYMMDDHHMMSSZ): change the seconds' last digit.
                let t = at
                    + der[at..]
                        .windows(2)
                        .position(|w| w == [0x18, 0x0f])
                        .expect("a genTime");
                der[t + 2 + 13] ^= 0x01;
                Value::String(enc(&der))
            }),
        ),
    ));

    let mut problems = Vec::new();
    for (doc, (name, field, edit)) in &edits {
        let seed = seeds
            .iter()
            .find(|s| s.provenance == *doc)
            .unwrap_or_else(|| panic!("{doc} is a seed"));
        let mut v = seed.value.clone();
        let target = v
            .pointer_mut(field)
            .unwrap_or_else(|| panic!("{doc} has {field}"));
        *target = edit(target);
        let bytes = serde_json::to_vec(&v).unwrap();
        assert!(
            mutation::signed_change(&seed.value, &bytes).is_some(),
            "{name}: the oracle must see a signed change"
        );
        match verify_caught(engines.for_seed(seed), seed, &bytes) {
            Err(p) => problems.push(format!("{doc} {name}: panicked: {p}")),
            Ok(Ok(_)) => problems.push(format!("{doc} {name}: still verified")),
            Ok(Err(f)) => eprintln!("{name} ({field}): {}: {}", f.reason.code(), f.message),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The checkpoint's signer-name line is not signed: renaming the signer may pass or fail, but
/// must not panic, and the oracle must not count it as a signed change.
#[test]
fn checkpoint_signer_name_is_unsigned() {
    let engines = Engines::load();
    let seeds = mutation::seeds(&corpus(), &DOCUMENT_KINDS);
    let seed = seeds
        .iter()
        .find(|s| s.provenance == PUBLISH_ATTESTATION)
        .unwrap();
    let field = "/verification_material/transparency_entries/0/inclusionProof/checkpoint/envelope";
    let mut v = seed.value.clone();
    let note = v.pointer(field).unwrap().as_str().unwrap().to_string();
    let renamed = note.replace(
        "\u{2014} rekor.sigstore.dev ",
        "\u{2014} rekor.example.org ",
    );
    assert_ne!(note, renamed, "the note has a signer line");
    *v.pointer_mut(field).unwrap() = Value::String(renamed);
    let bytes = serde_json::to_vec(&v).unwrap();
    assert_eq!(mutation::signed_change(&seed.value, &bytes), None);
    let outcome = verify_caught(engines.for_seed(seed), seed, &bytes);
    assert!(outcome.is_ok(), "panicked: {outcome:?}");
    eprintln!(
        "renamed checkpoint signer: {:?}",
        outcome.unwrap().map(|_| "pass")
    );
}

/// Runs the CLI and checks the exit-status contract: 1 or 2 with a reason, never a panic.
fn assert_cli_rejects(
    ctx: &TestContext,
    args: &[&std::ffi::OsStr],
    what: &str,
) -> (i32, String, String) {
    let Run {
        code,
        stdout,
        stderr,
    } = ctx.run(ctx.pyprov().arg("verify").args(args));
    assert!(
        code == 1 || code == 2,
        "{what}: exit {code} (101 is a panic)\nstdout: {stdout}\nstderr: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert!(
        !(stdout.trim().is_empty() && stderr.trim().is_empty()),
        "{what}: exit {code} without a reason"
    );
    (code, stdout, stderr)
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

#[test]
fn cli_rejects_malformed_documents_with_a_reason() {
    let ctx = TestContext::new();
    let dir = ctx.temp();
    let dist = corpus().join(DIST);
    let seeds = mutation::seeds(&corpus(), &["pep740-attestation", "pep740-provenance"]);
    let seed = seeds
        .iter()
        .find(|s| s.provenance == PUBLISH_ATTESTATION)
        .unwrap();
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("empty file".into(), Vec::new()),
        ("not JSON".into(), b"\x00\xff\xfe garbage".to_vec()),
        (
            "invalid UTF-8 in a string".into(),
            b"{\"envelope\": \"\xff\xfe\"}".to_vec(),
        ),
        (
            "half the attestation".into(),
            seed.bytes[..seed.bytes.len() / 2].to_vec(),
        ),
        (
            "100,000 nested arrays".into(),
            "[".repeat(100_000).into_bytes(),
        ),
        (
            "100,000 nested objects in an attestation".into(),
            format!("{{\"version\":1,\"envelope\":{}", "{\"a\":".repeat(100_000)).into_bytes(),
        ),
        ("a JSON string".into(), b"\"hello\"".to_vec()),
        (
            "a huge number".into(),
            b"{\"version\": 1e400, \"envelope\": {}}".to_vec(),
        ),
    ];
    let mut rng = seed_rng("cli", 0xc11);
    while cases.len() < 14 {
        let m = mutation::mutate(&seed.value, &mut rng);
        if mutation::signed_change(&seed.value, &m.bytes).is_some() {
            cases.push((m.what, m.bytes));
        }
    }
    for (i, (what, bytes)) in cases.iter().enumerate() {
        let path = dir.join(format!("case{i}.publish.attestation"));
        std::fs::write(&path, bytes).unwrap();
        let json = i % 2 == 0;
        let mut args = vec![dist.as_os_str(), os("--attestation"), path.as_os_str()];
        if json {
            args.extend([os("--format"), os("json")]);
        }
        let (code, stdout, _) = assert_cli_rejects(&ctx, &args, what);
        assert_eq!(
            code, 1,
            "{what}: a malformed document is a verification failure"
        );
        if json {
            let v: Value = serde_json::from_str(&stdout).expect("JSON output");
            let reason = &v["files"][0]["reason"];
            assert!(
                reason["code"].as_str().is_some_and(|c| !c.is_empty())
                    && reason["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{what}: no reason in {stdout}"
            );
        }
    }
}

#[test]
fn cli_unreadable_or_oversized_input_is_exit_2() {
    let ctx = TestContext::new();
    let dir = ctx.temp();
    let dist = corpus().join(DIST);
    let att = corpus().join(PUBLISH_ATTESTATION);

    let big = dir.join("big.provenance");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(MAX_DOCUMENT_BYTES as u64 + 1).unwrap();
    let (code, _, stderr) = assert_cli_rejects(
        &ctx,
        &[dist.as_os_str(), os("--provenance"), big.as_os_str()],
        "oversized provenance",
    );
    assert_eq!(code, 2, "{stderr}");
    // The message states the limit.
    snapshot!(ctx, "oversized_provenance", stderr);

    let (code, _, stderr) = assert_cli_rejects(
        &ctx,
        &[
            dist.as_os_str(),
            os("--trusted-root"),
            big.as_os_str(),
            os("--attestation"),
            att.as_os_str(),
        ],
        "oversized trusted root",
    );
    assert_eq!(code, 2, "{stderr}");
    snapshot!(ctx, "oversized_trusted_root", stderr);

    let missing = dir.join("missing.attestation");
    let (code, _, stderr) = assert_cli_rejects(
        &ctx,
        &[dist.as_os_str(), os("--attestation"), missing.as_os_str()],
        "missing attestation",
    );
    assert_eq!(code, 2, "{stderr}");
    snapshot!(ctx, "missing_attestation", stderr);

    let (code, _, stderr) = assert_cli_rejects(
        &ctx,
        &[
            dir.join("missing.tar.gz").as_os_str(),
            os("--attestation"),
            att.as_os_str(),
        ],
        "missing dist",
    );
    assert_eq!(code, 2, "{stderr}");
    snapshot!(ctx, "missing_dist", stderr);

    let (code, _, stderr) = assert_cli_rejects(
        &ctx,
        &[dist.as_os_str(), os("--attestation"), dir.as_os_str()],
        "a directory as the attestation",
    );
    assert_eq!(code, 2, "{stderr}");
    snapshot!(ctx, "a_directory_as_the_attestation", stderr);
}

/// A provenance object with `copies` copies of the real attestation.
fn provenance_with(copies: usize) -> Vec<u8> {
    let att: Value =
        serde_json::from_slice(&std::fs::read(corpus().join(PUBLISH_ATTESTATION)).unwrap())
            .unwrap();
    serde_json::to_vec(&json!({
        "version": 1,
        "attestation_bundles": [{
            "publisher": {
                "kind": "GitHub",
                "repository": "trailofbits/pypi-attestations",
                "workflow": "release.yml",
                "environment": null
            },
            "attestations": vec![att; copies],
        }],
    }))
    .unwrap()
}

#[test]
fn attestation_count_limit() {
    let over = provenance_with(MAX_ATTESTATIONS + 1);
    let f = Document::parse(&over).unwrap_err();
    assert_eq!(f.reason, Reason::TooLarge);
    insta::assert_snapshot!("too_many_attestations", f.message);

    let ctx = TestContext::new();
    let dir = ctx.temp();
    let dist = corpus().join(DIST);
    let path = dir.join("many.provenance");
    std::fs::write(&path, &over).unwrap();
    let (code, stdout, _) = assert_cli_rejects(
        &ctx,
        &[
            dist.as_os_str(),
            os("--provenance"),
            path.as_os_str(),
            os("--format"),
            os("json"),
        ],
        "too many attestations",
    );
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["files"][0]["reason"]["code"], "too-large", "{stdout}");

    // At the limit, every copy is verified and the file passes.
    std::fs::write(&path, provenance_with(MAX_ATTESTATIONS)).unwrap();
    let run = ctx.run(ctx.pyprov().args([
        os("verify"),
        dist.as_os_str(),
        os("--provenance"),
        path.as_os_str(),
    ]));
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for depth in [127, 128, 129, 10_000, 1_000_000] {
        for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
            let doc = format!("{}1{}", open.repeat(depth), close.repeat(depth));
            let r = catch_unwind(|| Document::parse(doc.as_bytes()).map(|_| ()));
            assert!(
                matches!(r, Ok(Err(_))),
                "depth {depth} {open}: {:?}",
                r.map_err(|_| "panic")
            );
            let inner = format!(
                "{{\"version\":1,\"attestation_bundles\":[{{\"publisher\":{},\"attestations\":[]}}]}}",
                doc
            );
            let r = catch_unwind(|| Document::parse(inner.as_bytes()).map(|_| ()));
            assert!(
                matches!(r, Ok(Err(_))),
                "depth {depth} inside a provenance object"
            );
            // The statement parser sits behind the signature, but gets no deeper input either.
            let r = catch_unwind(|| Statement::parse(doc.as_bytes()).map(|_| ()));
            assert!(matches!(r, Ok(Err(_))), "depth {depth} as a statement");
        }
    }
}

/// Runs `cmd` to its end and returns (exit status, stdout, peak resident set size in bytes) of
/// that one process: its `VmHWM`, sampled every few milliseconds until it exits (a high-water
/// mark only grows, so the last sample is the peak but for the last moments). Not `getrusage`
/// or `wait4`: a child started with vfork (as std does) inherits its parent's high-water mark
/// at exec, and this test binary, running other tests at the same time, is larger than the
/// budget.
#[cfg(target_os = "linux")]
fn run_with_peak_rss(cmd: &mut std::process::Command) -> (std::process::ExitStatus, Vec<u8>, u64) {
    use std::io::Read;
    let mut child = cmd.stdout(std::process::Stdio::piped()).spawn().unwrap();
    let mut pipe = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut stdout = Vec::new();
        pipe.read_to_end(&mut stdout).unwrap();
        stdout
    });
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        let hwm = std::fs::read_to_string(&status_file).ok().and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        });
        peak_kib = peak_kib.max(hwm.unwrap_or(0));
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    (status, reader.join().unwrap(), peak_kib * 1024)
}

/// Size of the file hashed by `hashing_is_streamed`. 1 GiB takes 3 to 5 s here in the dev
/// profile, with sha2 optimized there (see Cargo.toml).
const BIG_FILE: u64 = 1 << 30;
/// Memory budget for verifying that file: the binary, the trusted root, one read buffer.
const RSS_BUDGET: u64 = 64 << 20;

#[test]
fn hashing_is_streamed() {
    let ctx = TestContext::new();
    let dir = ctx.temp();
    let big = dir.join("big.tar.gz");
    // Sparse: no disk is used, but every byte is read and hashed.
    std::fs::File::create(&big)
        .unwrap()
        .set_len(BIG_FILE)
        .unwrap();
    let bundle = corpus().join(BUNDLE);
    let mut cmd = ctx.pyprov();
    cmd.args([
        os("verify"),
        big.as_os_str(),
        os("--bundle"),
        bundle.as_os_str(),
        os("--format"),
        os("json"),
    ]);
    let started = Instant::now();
    #[cfg(target_os = "linux")]
    let (status, stdout, peak) = run_with_peak_rss(&mut cmd);
    #[cfg(not(target_os = "linux"))]
    let (status, stdout) = {
        let out = cmd.output().unwrap();
        (out.status, out.stdout)
    };
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&stdout);
    assert_eq!(status.code(), Some(1), "{stdout}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        v["files"][0]["reason"]["code"], "digest-mismatch",
        "{stdout}"
    );
    // The all-zero file's digest proves every byte was hashed.
    assert_eq!(
        v["files"][0]["sha256"], "49bc20df15e412a64472421e13fe86ff1c5165e18b2afccf160d4dc19fe68a14",
        "sha256 of 1 GiB of zeros"
    );
    #[cfg(target_os = "linux")]
    {
        eprintln!(
            "hashed {} MiB in {elapsed:.1?}; peak RSS of that pyprov run {:.1} MiB",
            BIG_FILE >> 20,
            peak as f64 / (1 << 20) as f64
        );
        assert!(
            peak < RSS_BUDGET,
            "peak RSS {peak} bytes exceeds {RSS_BUDGET}"
        );
    }
}

/// Library-level streaming hash over a reader that is never held whole.
#[test]
fn sha256_reader_streams() {
    struct Zeros(u64);
    impl std::io::Read for Zeros {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = (buf.len() as u64).min(self.0) as usize;
            buf[..n].fill(0);
            self.0 -= n as u64;
            Ok(n)
        }
    }
    let digest = pyprov::files::sha256_reader(&mut Zeros(64 << 20)).unwrap();
    assert_eq!(
        hex::encode(digest),
        "3b6a07d0d404fab4e23b6d34bc6696a6a312dd92821332385e5af7c01c421351"
    );
}
