//! Distribution file names: `verify::distname::parse` (wheels and sdists), `same_file`,
//! `normalize_project_name`.
//!
//! Oracles besides "no panic": a name that parses is a plain file name of printable ASCII; its
//! project is normalized (normalizing it again changes nothing); it is the same file as itself;
//! normalization is idempotent on any text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pyprov::verify::distname::{self, is_plain_file_name, normalize_project_name};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let n = normalize_project_name(&text);
    assert_eq!(
        normalize_project_name(&n),
        n,
        "normalization not idempotent"
    );
    let Ok(d) = distname::parse(&text) else {
        return;
    };
    assert!(
        is_plain_file_name(&text),
        "parsed a non-plain name {text:?}"
    );
    assert!(
        text.bytes().all(|b| b.is_ascii_graphic()),
        "parsed {text:?}"
    );
    assert!(!text.contains(['/', '\\']) && !text.starts_with('.'));
    let project = d.project();
    assert!(!project.is_empty(), "empty project from {text:?}");
    assert_eq!(
        normalize_project_name(project),
        project,
        "project of {text:?}"
    );
    assert!(
        !project.starts_with('-') || text.starts_with(['-', '_', '.']),
        "project {project:?}"
    );
    assert!(distname::same_file(&text, &text), "{text:?} is not itself");
    let _ = d.version().to_string();
});
