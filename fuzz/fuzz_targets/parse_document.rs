//! Arbitrary bytes through `Document::parse` (PEP 740 attestation, PEP 740 provenance object,
//! Sigstore bundle) and, when they parse, through the full offline verification. The oracle is
//! libFuzzer's: any panic, abort, hang or unbounded allocation is a bug.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pyprov::verify::{Artifact, Document, Engine, Expectation, PublisherSpec};

/// The artifact every parsed document is verified against: the real
/// `pypi_attestations-0.0.19.tar.gz` of the corpus, so mutants of its attestations reach deep.
const NAME: &str = "pypi_attestations-0.0.19.tar.gz";
const SHA256: [u8; 32] = hex32("9bb1add04b1b4e182be6b0b80931593f7a291eb49d69b4fd728a5d4cbcdc4bd3");

const fn hex32(s: &str) -> [u8; 32] {
    let b = s.as_bytes();
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nibble(b[2 * i]) << 4) | nibble(b[2 * i + 1]);
        i += 1;
    }
    out
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => panic!("not lowercase hex"),
    }
}

struct State {
    engine: Engine,
    publisher: Expectation,
}

fn state() -> &'static State {
    static STATE: OnceLock<State> = OnceLock::new();
    STATE.get_or_init(|| State {
        engine: Engine::production().expect("the embedded production root loads"),
        publisher: Expectation::Publisher {
            publishers: vec!["github:trailofbits/pypi-attestations/release.yml"
                .parse::<PublisherSpec>()
                .expect("valid spec")],
            environment: Some("pypi".into()),
        },
    })
}

fuzz_target!(|data: &[u8]| {
    let state = state();
    let Ok(doc) = Document::parse(data) else {
        return;
    };
    let _ = doc.kind();
    let _ = doc.bundles();
    let artifact = Artifact {
        name: NAME,
        sha256: &SHA256,
    };
    if state
        .engine
        .verify(artifact, &doc, &Expectation::Anyone)
        .is_ok()
    {
        // Only a document that verified cryptographically reaches the publisher checks.
        let _ = state.engine.verify(artifact, &doc, &state.publisher);
    }
});
