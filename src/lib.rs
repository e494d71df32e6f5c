//! pyprov: verify the provenance of Python distributions before pip installs them.
//!
//! `verify` is the pure verification layer (bytes and digests in, verdicts out, no I/O); the
//! other modules read files, talk to users and dispatch commands.

// Public only what the binary, the tests, the benchmarks and the fuzzers use.
#![warn(unreachable_pub)]

pub use pyprov_core::{verify, vocab};

pub mod alias;
pub(crate) mod cache;
pub mod cli;
pub mod commands;
pub mod error;
pub mod exit;
pub mod files;
pub mod index;
pub mod install;
pub(crate) mod judge;
pub mod lock;
pub mod output;
pub mod pipopts;
pub mod trust;

/// The layers, lowest first: a module may use only modules of a lower layer (and its own).
/// `docs/architecture.md` says why each is where it is; the test below holds the code to it.
#[cfg(test)]
const LAYERS: &[&[&str]] = &[
    &["vocab", "pipopts", "exit"],
    &["verify", "cli"],
    &["trust", "lock"],
    &["judge"],
    &["output"],
    &["files"],
    &["index", "cache"],
    &["install"],
    &["error"],
    &["commands", "alias"],
];

#[cfg(test)]
mod architecture {
    use super::LAYERS;

    fn layer(module: &str) -> Option<usize> {
        LAYERS.iter().position(|l| l.contains(&module))
    }

    /// Every `crate::MODULE` a file names, outside comments.
    fn uses(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            let mut rest = code;
            while let Some(i) = rest.find("crate::") {
                let after = rest.get(i + "crate::".len()..).unwrap_or("");
                let name: String = after
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push(name);
                } else if let Some(group) = after.strip_prefix('{') {
                    // `use crate::{a, b::c}` on one line: each first segment.
                    let inner = group.split('}').next().unwrap_or("");
                    for item in inner.split(',') {
                        let first: String = item
                            .trim()
                            .chars()
                            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                            .collect();
                        if !first.is_empty() && first != "self" {
                            out.push(first);
                        }
                    }
                }
                rest = after;
            }
        }
        out
    }

    #[test]
    fn imports_go_one_way() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut wrong = Vec::new();
        let mut stack = vec![src.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let rel = path
                    .strip_prefix(&src)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                let top = rel
                    .split('/')
                    .next()
                    .unwrap()
                    .trim_end_matches(".rs")
                    .to_string();
                let Some(own) = layer(&top) else {
                    assert!(
                        matches!(top.as_str(), "lib" | "main"),
                        "{rel}: module {top} is in no layer of LAYERS (src/lib.rs)"
                    );
                    continue;
                };
                let text = std::fs::read_to_string(&path).unwrap();
                for used in uses(&text) {
                    if used == top {
                        continue;
                    }
                    match layer(&used) {
                        Some(l) if l < own => {}
                        _ => wrong.push(format!("{rel} uses crate::{used}")),
                    }
                }
            }
        }
        wrong.sort();
        wrong.dedup();
        assert!(
            wrong.is_empty(),
            "imports against the layering (docs/architecture.md):\n{}",
            wrong.join("\n")
        );
    }

    #[test]
    fn the_check_sees_a_wrong_way_import() {
        assert_eq!(
            uses("use crate::install::gate; // crate::cli"),
            vec!["install"]
        );
        assert_eq!(
            uses("use crate::{trust::Policy, output};"),
            vec!["trust", "output"]
        );
        assert!(layer("install").unwrap() > layer("trust").unwrap());
    }
}
