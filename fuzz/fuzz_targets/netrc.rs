//! `.netrc` files (`index::parse_netrc`), which hold index logins.
//!
//! Oracles besides "no panic": no more entries than `machine`/`default` words; no field holds
//! white space; the entries written back as netrc text parse to the same entries.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pyprov::index::{parse_netrc, NetrcEntry};

fn render(entries: &[NetrcEntry]) -> String {
    let mut s = String::new();
    for e in entries {
        match &e.machine {
            Some(m) => s.push_str(&format!("machine {m}")),
            None => s.push_str("default"),
        }
        if !e.login.is_empty() {
            s.push_str(&format!(" login {}", e.login));
        }
        if !e.password.is_empty() {
            s.push_str(&format!(" password {}", e.password));
        }
        s.push('\n');
    }
    s
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let entries = parse_netrc(&text);
    let heads = text
        .split_whitespace()
        .filter(|w| matches!(*w, "machine" | "default"))
        .count();
    assert!(
        entries.len() <= heads,
        "{} entries from {heads} heads",
        entries.len()
    );
    for e in &entries {
        for f in [e.machine.as_deref().unwrap_or("x"), &e.login, &e.password] {
            assert!(!f.contains(char::is_whitespace), "white space in {f:?}");
        }
        assert_ne!(e.machine.as_deref(), Some(""), "an empty machine name");
    }
    let rendered = render(&entries);
    assert_eq!(
        parse_netrc(&rendered),
        entries,
        "round trip through {rendered:?}"
    );
});
