//! Structure-aware mutants of the real, passing attestations, provenance objects and bundles of
//! the corpus (`../shared/corpus`, or `PYPROV_CORPUS`), verified offline. Two oracles: no panic
//! (libFuzzer's), and a mutant that changes signed or checked content never verifies (the
//! projection in `tests/mutation/mod.rs`, shared with `tests/robustness.rs`).
//!
//! The input's first byte picks the seed document; the rest drives the mutations. With
//! `PYPROV_FUZZ_DUMP=<path>` set, each mutant is written there (to replay a finding by hand).

#![no_main]

#[path = "../../tests/mutation/mod.rs"]
mod mutation;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mutation::Seed;
use pyprov::verify::{Artifact, Document, Engine, Expectation};

struct State {
    seeds: Vec<Seed>,
    production: Engine,
    staging: Engine,
}

fn state() -> &'static State {
    static STATE: OnceLock<State> = OnceLock::new();
    STATE.get_or_init(|| {
        let corpus = mutation::corpus_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
        let seeds = mutation::seeds(
            &corpus,
            &["pep740-attestation", "pep740-provenance", "sigstore-bundle"],
        );
        assert!(
            !seeds.is_empty(),
            "no seed documents under {}",
            corpus.display()
        );
        let staging = std::fs::read_to_string(corpus.join(mutation::STAGING_ROOT))
            .expect("the corpus's staging trusted root");
        let state = State {
            seeds,
            production: Engine::production().expect("production root"),
            staging: Engine::from_trusted_root_json(&staging).expect("staging root"),
        };
        for seed in &state.seeds {
            verify(&state, seed, &seed.bytes).expect("every unmutated seed verifies");
        }
        state
    })
}

fn verify(state: &State, seed: &Seed, bytes: &[u8]) -> Result<(), pyprov::verify::Failure> {
    let engine = if seed.staging {
        &state.staging
    } else {
        &state.production
    };
    let doc = Document::parse(bytes)?;
    engine
        .verify(
            Artifact {
                name: &seed.dist_name,
                sha256: &seed.sha256,
            },
            &doc,
            &Expectation::Anyone,
        )
        .map(|_| ())
}

fuzz_target!(|data: &[u8]| {
    let state = state();
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let seed = &state.seeds[pick as usize % state.seeds.len()];
    let mutant = mutation::mutate(&seed.value, &mut mutation::Bytes(rest));
    // To reproduce a finding with the CLI: run the crash file with PYPROV_FUZZ_DUMP=<path>.
    if let Some(path) = std::env::var_os("PYPROV_FUZZ_DUMP") {
        std::fs::write(path, &mutant.bytes).expect("write PYPROV_FUZZ_DUMP");
        eprintln!(
            "{}: {} ({})",
            seed.id,
            mutant.what,
            seed.dist_path.display()
        );
    }
    if verify(state, seed, &mutant.bytes).is_ok() {
        if let Some(diff) = mutation::signed_change(&seed.value, &mutant.bytes) {
            panic!(
                "{}: a mutant that changes signed content verified ({}): {diff}",
                seed.id, mutant.what
            );
        }
    }
});
