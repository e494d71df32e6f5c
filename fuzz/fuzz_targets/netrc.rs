//! `.netrc` files (`index::netrc::Logins`, read by rust-netrc as Python's netrc reads them),
//! which hold index logins.
//!
//! Oracles besides "no panic": a host with no `machine` entry gets the `default` entry's login,
//! and a login read back from its own rendering as netrc text is the same login.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pyprov::index::netrc::Logins;

/// A netrc word for `s`: quoted, with `"` and `\` escaped, as Python's netrc lexer reads it.
fn word(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let logins = Logins::parse(&text);
    let unknown = "no-such-host.invalid";
    if !text.contains(unknown) {
        assert_eq!(logins.for_host(unknown), logins.for_host("default"));
    }
    for host in text.split_whitespace().take(16) {
        if let Some(l) = logins.for_host(host) {
            let rendered = format!(
                "machine {} login {} password {}\n",
                word(host),
                word(&l.user),
                word(&l.password)
            );
            assert_eq!(
                Logins::parse(&rendered).for_host(host),
                Some(l),
                "round trip through {rendered:?}"
            );
        }
    }
});
