//! The trust file (`pyprov.toml`): `TrustFile::parse` over TOML text, and publisher specs
//! (`github:OWNER/REPO[/WORKFLOW]`, `gitlab:NS/PROJECT[//PATH]`, `google:EMAIL`).
//!
//! The input is split at the first NUL: trust-file text, then a publisher spec.
//!
//! Oracles besides "no panic": an error renders its message (with line and column from a byte
//! span that may fall inside a character); every entry of a parsed file has a valid, normalized
//! name and is found under it; every publisher spec, from the file or the input, prints as text
//! that parses back to the same spec.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use pyprov::trust::TrustFile;
use pyprov::vocab::PackageName;
use pyprov::verify::PublisherSpec;

fn round_trip(spec: &PublisherSpec) {
    let text = spec.to_string();
    let again: PublisherSpec = text
        .parse()
        .unwrap_or_else(|e| panic!("{spec:?} prints as {text:?}, which does not parse: {e}"));
    assert_eq!(&again, spec, "{text:?} parsed to another spec");
}

fuzz_target!(|data: &[u8]| {
    let (toml, spec) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let toml = String::from_utf8_lossy(toml);
    match TrustFile::parse(Path::new("pyprov.toml"), &toml) {
        Err(e) => {
            let _ = e.to_string();
        }
        Ok(tf) => {
            let _ = tf.policy();
            for e in tf.entries() {
                assert!(PackageName::is_valid(&e.key), "invalid key {:?}", e.key);
                assert_eq!(
                    e.name,
                    PackageName::normalize(&e.key),
                    "name of {:?}",
                    e.key
                );
                assert!(
                    tf.entry(&e.name).is_some(),
                    "{:?} not found by name",
                    e.name
                );
                e.publishers.iter().for_each(round_trip);
            }
        }
    }
    let spec = String::from_utf8_lossy(spec);
    if let Ok(s) = spec.parse::<PublisherSpec>() {
        round_trip(&s);
    }
});
