//! Index project pages: `index::page::parse_html` (PEP 503) and `parse_json` (PEP 691), and
//! `file_name_of`. The first byte picks the page URL (two bases, one with a path that ends in a
//! file name); the rest is the body, parsed as both HTML and JSON.
//!
//! Oracles besides "no panic": every link's `filename` (pyprov's name for the file) and the
//! last segment of its URL (pip's) are plain file names: no `/`, `\`, `:`, control character,
//! leading `.` (so never `.` or `..`), not empty; and a name `file_name_of` returns is plain.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pyprov::index::page::{self, ProjectPage};
use pyprov::verify::distname::is_plain_file_name;
use url::Url;

const BASES: [&str; 4] = [
    "https://example.com/simple/foo/",
    "https://files.example.com/a/b/c.html",
    "http://127.0.0.1:8080/root/pypi/+simple/foo/",
    "file:///tmp/index/foo/",
];

fn plain(name: &str) {
    assert!(is_plain_file_name(name), "not a plain file name: {name:?}");
    assert!(
        !name.contains(['/', '\\']) && !name.starts_with('.') && name != "..",
        "a path in a file name: {name:?}"
    );
}

fn check(page: &ProjectPage) {
    for link in &page.links {
        plain(&link.filename);
        let pip = page::file_name_of(&link.url)
            .unwrap_or_else(|| panic!("link {} has no plain last segment", link.url));
        plain(&pip);
        if let Some(h) = &link.sha256 {
            let _ = h.len();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let base = Url::parse(BASES[usize::from(pick) % BASES.len()]).expect("base URL");
    if let Ok(p) = page::parse_json(&base, body) {
        check(&p);
    }
    let text = String::from_utf8_lossy(body);
    if let Ok(p) = page::parse_html(&base, &text) {
        check(&p);
    }
    if let Ok(u) = base.join(&text) {
        if let Some(n) = page::file_name_of(&u) {
            plain(&n);
        }
    }
});
