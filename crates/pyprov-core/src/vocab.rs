//! The words every layer shares, as types: a package name that is normalized once, a sha256
//! that is always 32 bytes, and a URL that cannot print its credentials. Nothing here does I/O.

use std::borrow::Borrow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use url::Url;

/// A project name, normalized as PEP 503 (packaging's `canonicalize_name`) says, so two
/// spellings of one package compare equal and hash alike. The only way to make one is through
/// [`PackageName::new`] (which also checks PEP 508 validity) or [`PackageName::normalize`].
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackageName(String);

/// A name that is not a PEP 508 project name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a valid package name (letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit)")]
pub struct InvalidPackageName(pub String);

impl PackageName {
    /// A name a person typed (command line, trust file): refused unless PEP 508 allows it.
    pub fn new(name: &str) -> Result<PackageName, InvalidPackageName> {
        if Self::is_valid(name) {
            Ok(Self::normalize(name))
        } else {
            Err(InvalidPackageName(name.to_string()))
        }
    }

    /// Any text, normalized: for names that a parser already accepted (a distribution file
    /// name, pip's report), and for file names judged under their own name.
    pub fn normalize(name: &str) -> PackageName {
        // Whole-string lowercasing, as Python's `str.lower` does (a final sigma differs per char).
        let lower = name.to_lowercase();
        let mut out = String::with_capacity(lower.len());
        let mut last_sep = false;
        for c in lower.chars() {
            if matches!(c, '-' | '_' | '.') {
                if !last_sep {
                    out.push('-');
                }
                last_sep = true;
            } else {
                out.push(c);
                last_sep = false;
            }
        }
        PackageName(out)
    }

    /// Whether `name` is a valid Python project name (PEP 508).
    pub fn is_valid(name: &str) -> bool {
        let bytes = name.as_bytes();
        match (bytes.first(), bytes.last()) {
            (Some(f), Some(l)) if f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric() => bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')),
            _ => false,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for PackageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PackageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl AsRef<str> for PackageName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Maps keyed by name can be asked with a normalized `&str`.
impl Borrow<str> for PackageName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for PackageName {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for PackageName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl Serialize for PackageName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PackageName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(PackageName::normalize(&s))
    }
}

/// A sha256 digest: 32 bytes, shown and serialized as lowercase hex, parsed from hex of
/// either case.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256([u8; 32]);

/// Text that is not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a sha256 digest (64 hex digits)")]
pub struct InvalidSha256(pub String);

impl Sha256 {
    pub const fn from_bytes(bytes: [u8; 32]) -> Sha256 {
        Sha256(bytes)
    }

    pub fn from_hex(hex_digits: &str) -> Result<Sha256, InvalidSha256> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(hex_digits, &mut bytes)
            .map_err(|_| InvalidSha256(hex_digits.chars().take(80).collect()))?;
        Ok(Sha256(bytes))
    }

    /// The digest of `data`.
    pub fn of(data: &[u8]) -> Sha256 {
        use sha2::Digest;
        Sha256(sha2::Sha256::digest(data).into())
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl From<[u8; 32]> for Sha256 {
    fn from(bytes: [u8; 32]) -> Sha256 {
        Sha256(bytes)
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex())
    }
}

impl std::str::FromStr for Sha256 {
    type Err = InvalidSha256;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Sha256::from_hex(s)
    }
}

impl Serialize for Sha256 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.hex())
    }
}

impl<'de> Deserialize<'de> for Sha256 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Sha256::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// A URL whose `Display`, `Debug` and serialized forms never show a user name or password
/// (`https://***@host/…`): messages, logs and reports can print it as is. Requests use
/// [`SafeUrl::expose`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SafeUrl(Url);

impl SafeUrl {
    pub fn new(url: Url) -> SafeUrl {
        SafeUrl(url)
    }

    pub fn parse(text: &str) -> Result<SafeUrl, url::ParseError> {
        Url::parse(text).map(SafeUrl)
    }

    /// The URL with its credentials, for making requests; never for printing.
    pub fn expose(&self) -> &Url {
        &self.0
    }

    pub fn into_inner(self) -> Url {
        self.0
    }

    pub fn has_credentials(&self) -> bool {
        !self.0.username().is_empty() || self.0.password().is_some()
    }

    /// The URL with no credentials at all, for a file others read (a lock): whoever uses it
    /// supplies their own (netrc, a keyring), as uv writes its locks. `***` in their place, as
    /// on display, would be sent as a user name.
    pub fn without_credentials(&self) -> Url {
        let mut u = self.0.clone();
        let _ = u.set_username("");
        let _ = u.set_password(None);
        u
    }
}

impl From<Url> for SafeUrl {
    fn from(url: Url) -> SafeUrl {
        SafeUrl(url)
    }
}

impl From<&Url> for SafeUrl {
    fn from(url: &Url) -> SafeUrl {
        SafeUrl(url.clone())
    }
}

impl std::ops::Deref for SafeUrl {
    type Target = Url;
    fn deref(&self) -> &Url {
        &self.0
    }
}

impl fmt::Display for SafeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.has_credentials() {
            return fmt::Display::fmt(&self.0, f);
        }
        let s = self.without_credentials().to_string();
        match s.split_once("://") {
            Some((scheme, rest)) => write!(f, "{scheme}://***@{rest}"),
            None => f.write_str(&s),
        }
    }
}

impl fmt::Debug for SafeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SafeUrl({self})")
    }
}

impl Serialize for SafeUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Redacts any `scheme://user:pass@` credentials inside free text (pip's output, errors from
/// other crates), where no [`SafeUrl`] is at hand.
pub fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '/' | '"' | '\'' | '<' | '>'))
            .unwrap_or(tail.len());
        match tail.get(..end).and_then(|authority| authority.rfind('@')) {
            Some(at) => {
                out.push_str("***@");
                rest = tail.get(at + 1..).unwrap_or("");
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

/// Text that an index or a certificate supplied, made safe to print on a terminal: every
/// control character (C0, DEL, C1: escape sequences, carriage returns, newlines), every bidi
/// override or isolate, and every other invisible formatting character is shown as a Rust-style
/// escape (`\x1b`, `\r`, `\u{202e}`) instead of being interpreted. A hostile file name or
/// certificate field could otherwise rewrite what the terminal shows (`\x1b[2J`, `\r` over a
/// DENY line), plant a hyperlink (`\x1b]8;;...`), or reorder the characters a person reads.
///
/// Apply it when rendering text, never to JSON: serde escapes control characters, and JSON
/// consumers need the exact bytes.
pub fn term(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(unsafe_on_terminal) {
        return std::borrow::Cow::Borrowed(s);
    }
    use std::fmt::Write as _;
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !unsafe_on_terminal(c) {
            out.push(c);
            continue;
        }
        let _ = match c {
            '\n' => write!(out, "\\n"),
            '\r' => write!(out, "\\r"),
            '\t' => write!(out, "\\t"),
            c if (c as u32) < 0x80 => write!(out, "\\x{:02x}", c as u32),
            c => write!(out, "\\u{{{:x}}}", c as u32),
        };
    }
    std::borrow::Cow::Owned(out)
}

/// [`term`] for text of several lines that pyprov itself split (pip's messages relayed
/// line by line): each line is made safe, the newlines between them are kept.
pub fn term_lines(s: &str) -> String {
    s.split('\n').map(term).collect::<Vec<_>>().join("\n")
}

/// Whether a terminal could act on `c` instead of showing it, or show nothing for it.
fn unsafe_on_terminal(c: char) -> bool {
    c.is_control() // C0, DEL and C1 (U+0080-U+009F, where a lone U+009B is a CSI)
        || matches!(c,
            // Bidi embeddings, overrides, isolates and marks ("Trojan Source").
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
            // Line and paragraph separators: a line break to some terminals and viewers.
            | '\u{2028}' | '\u{2029}'
            // The rest of Unicode's invisible format characters (category Cf) and fillers
            // that render as nothing.
            | '\u{00ad}' | '\u{034f}' | '\u{0600}'..='\u{0605}' | '\u{06dd}' | '\u{070f}'
            | '\u{0890}'..='\u{0891}' | '\u{08e2}' | '\u{115f}' | '\u{1160}' | '\u{17b4}'
            | '\u{17b5}' | '\u{180b}'..='\u{180f}' | '\u{200b}'..='\u{200d}'
            | '\u{2060}'..='\u{2064}' | '\u{206a}'..='\u{206f}' | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}' | '\u{feff}' | '\u{ffa0}' | '\u{fff9}'..='\u{fffb}'
            | '\u{110bd}' | '\u{110cd}' | '\u{13430}'..='\u{1343f}' | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}' | '\u{e0000}'..='\u{e0fff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalized_once() {
        assert_eq!(
            PackageName::normalize("Foo__Bar.-baz").as_str(),
            "foo-bar-baz"
        );
        assert_eq!(PackageName::new("Django").unwrap(), "django");
        assert!(PackageName::new("-bad").is_err());
        assert!(PackageName::new("").is_err());
        let mut map = std::collections::HashMap::new();
        map.insert(PackageName::normalize("A_B"), 1);
        assert_eq!(map.get("a-b"), Some(&1));
    }

    #[test]
    fn digests_are_hex_both_ways() {
        let d = Sha256::of(b"");
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(d.to_string(), hex);
        assert_eq!(Sha256::from_hex(&hex.to_uppercase()).unwrap(), d);
        assert!(Sha256::from_hex("abc").is_err());
        assert_eq!(serde_json::to_string(&d).unwrap(), format!("\"{hex}\""));
    }

    #[test]
    fn urls_never_print_their_credentials() {
        let u = SafeUrl::parse("https://user:s3cret@example.com/simple/").unwrap();
        assert_eq!(u.to_string(), "https://***@example.com/simple/");
        assert!(!format!("{u:?}").contains("s3cret"));
        assert!(!serde_json::to_string(&u).unwrap().contains("s3cret"));
        assert_eq!(u.expose().password(), Some("s3cret"));
        assert_eq!(
            u.without_credentials().as_str(),
            "https://example.com/simple/"
        );
        let plain = SafeUrl::parse("https://example.com/a").unwrap();
        assert_eq!(plain.to_string(), "https://example.com/a");
        assert!(
            !redact_text("failed for https://user:s3cret@example.com/simple/x").contains("s3cret")
        );
    }
}
