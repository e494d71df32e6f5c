//! Project pages: PEP 691 JSON and PEP 503 HTML, with PEP 658/714 metadata and PEP 740
//! provenance annotations.

#![deny(clippy::indexing_slicing)]

use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::verify::distname::is_plain_file_name;

/// What an index says about a file's provenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProvenanceHint {
    /// The index advertises provenance at this URL.
    Url(Url),
    /// The index speaks PEP 740 and says this file has none.
    None,
    /// The index does not say (it predates PEP 740, or strips it).
    NotAdvertised,
}

/// One file on a project page.
#[derive(Debug, Clone)]
pub struct Link {
    pub filename: String,
    pub url: Url,
    pub sha256: Option<String>,
    pub requires_python: Option<String>,
    /// `Some(reason)` when yanked (PEP 592); the reason may be empty.
    pub yanked: Option<String>,
    /// PEP 658/714: the index serves `<url>.metadata`, with this sha256 when given.
    pub metadata: Option<Option<String>>,
    pub provenance: ProvenanceHint,
    /// PEP 700 `upload-time`, from a JSON page that gave a valid one; never from HTML (PEP 503
    /// has no such attribute) and never made up.
    pub upload_time: Option<jiff::Timestamp>,
    /// PEP 700 `size` in bytes, from a JSON page.
    pub size: Option<u64>,
}

/// An upload time as the Simple API writes it (`yyyy-mm-ddThh:mm:ss[.ffffff]Z`, UTC), in a form
/// every pip's `parse_iso_datetime` reads, Python 3.7's `fromisoformat` included: whole seconds,
/// or six fractional digits.
pub fn format_upload_time(t: jiff::Timestamp) -> String {
    let micros = t.subsec_microsecond();
    let utc = t.to_zoned(jiff::tz::TimeZone::UTC);
    if micros == 0 && t.subsec_nanosecond() == 0 {
        utc.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        format!("{}.{micros:06}Z", utc.strftime("%Y-%m-%dT%H:%M:%S"))
    }
}

/// A PEP 700 `upload-time`: an RFC 3339 instant (`Z` or an offset). Anything else is taken as
/// absent: pip fails on an upload time it cannot parse, and a guess would be an invented one.
fn upload_time_from_json(v: &Value) -> Option<jiff::Timestamp> {
    v.as_str()?.trim().parse::<jiff::Timestamp>().ok()
}

#[derive(Debug, Clone, Default)]
pub struct ProjectPage {
    pub links: Vec<Link>,
}

/// A project page that is not one.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Html(#[from] tl::ParseError),
}

#[derive(Deserialize)]
struct JsonPage {
    #[serde(default)]
    files: Vec<JsonFile>,
}

#[derive(Deserialize)]
struct JsonFile {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: std::collections::BTreeMap<String, String>,
    #[serde(rename = "requires-python", default)]
    requires_python: Option<String>,
    #[serde(default)]
    yanked: Value,
    #[serde(rename = "core-metadata", default)]
    core_metadata: Value,
    #[serde(rename = "dist-info-metadata", default)]
    dist_info_metadata: Value,
    /// Absent: the index does not speak PEP 740. Null: this file has no provenance.
    #[serde(default, deserialize_with = "present")]
    provenance: Option<Value>,
    #[serde(rename = "upload-time", default)]
    upload_time: Value,
    #[serde(default)]
    size: Value,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

fn metadata_from_json(v: &Value) -> Option<Option<String>> {
    match v {
        Value::Bool(true) => Some(None),
        Value::Object(m) => Some(m.get("sha256").and_then(Value::as_str).map(str::to_string)),
        _ => None,
    }
}

fn yanked_from_json(v: &Value) -> Option<String> {
    match v {
        Value::Bool(true) => Some(String::new()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// A sha256 as a page gives it, when it is one: 64 hex digits. Anything else (which would be
/// printed, and compared) is no hash at all.
fn sha256_hex(text: &str) -> Option<String> {
    (text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())).then(|| text.to_string())
}

/// Strips and returns the `#sha256=` fragment of a file URL (when it is sha256 hex).
fn split_hash(mut url: Url) -> (Url, Option<String>) {
    let hash = url
        .fragment()
        .and_then(|f| f.strip_prefix("sha256="))
        .and_then(sha256_hex);
    if url.fragment().is_some_and(|f| f.starts_with("sha256=")) {
        url.set_fragment(None);
    }
    (url, hash)
}

pub fn parse_json(page_url: &Url, body: &[u8]) -> Result<ProjectPage, PageError> {
    let page: JsonPage = serde_json::from_slice(body)?;
    let mut links = Vec::with_capacity(page.files.len());
    for f in page.files {
        let Ok(url) = page_url.join(&f.url) else {
            continue;
        };
        let (url, fragment_hash) = split_hash(url);
        // pyprov names the file by `filename`, pip by the URL's last segment: both must be
        // plain, or one of them could write outside the directory it means.
        if !is_plain_file_name(&f.filename) || file_name_of(&url).is_none() {
            continue;
        }
        let provenance = match f.provenance {
            None => ProvenanceHint::NotAdvertised,
            Some(Value::String(s)) => match page_url.join(&s) {
                Ok(u) => ProvenanceHint::Url(u),
                Err(_) => ProvenanceHint::NotAdvertised,
            },
            Some(_) => ProvenanceHint::None,
        };
        let metadata = metadata_from_json(&f.core_metadata)
            .or_else(|| metadata_from_json(&f.dist_info_metadata));
        links.push(Link {
            sha256: match f.hashes.get("sha256") {
                Some(h) => sha256_hex(h),
                None => fragment_hash,
            },
            filename: f.filename,
            url,
            requires_python: f.requires_python,
            yanked: yanked_from_json(&f.yanked),
            metadata,
            provenance,
            upload_time: upload_time_from_json(&f.upload_time),
            size: f.size.as_u64(),
        });
    }
    Ok(ProjectPage { links })
}

pub fn parse_html(page_url: &Url, body: &str) -> Result<ProjectPage, PageError> {
    let dom = tl::parse(body, tl::ParserOptions::default())?;
    let parser = dom.parser();
    let mut base = page_url.clone();
    if let Some(href) = dom
        .query_selector("base")
        .and_then(|mut it| it.next())
        .and_then(|h| h.get(parser))
        .and_then(|n| n.as_tag())
        .and_then(|t| t.attributes().get("href").flatten())
        .map(|v| decode_entities(&v.as_utf8_str()))
    {
        if let Ok(u) = page_url.join(&href) {
            base = u;
        }
    }
    let mut links = Vec::new();
    let anchors = dom.query_selector("a").into_iter().flatten();
    for handle in anchors {
        let Some(tag) = handle.get(parser).and_then(|n| n.as_tag()) else {
            continue;
        };
        let attrs = tag.attributes();
        let attr = |name: &str| {
            attrs.get(name).map(|v| {
                v.map(|b| decode_entities(&b.as_utf8_str()))
                    .unwrap_or_default()
            })
        };
        let Some(href) = attr("href") else { continue };
        let Ok(url) = base.join(&href) else { continue };
        let (url, sha256) = split_hash(url);
        let Some(filename) = file_name_of(&url) else {
            continue;
        };
        let metadata = attr("data-core-metadata")
            .or_else(|| attr("data-dist-info-metadata"))
            .and_then(|v| match v.as_str() {
                "true" | "" => Some(None),
                v => v.strip_prefix("sha256=").map(|h| Some(h.to_string())),
            });
        let provenance = match attr("data-provenance") {
            Some(p) if !p.is_empty() => page_url
                .join(&p)
                .map(ProvenanceHint::Url)
                .unwrap_or(ProvenanceHint::NotAdvertised),
            _ => ProvenanceHint::NotAdvertised,
        };
        links.push(Link {
            filename,
            url,
            sha256,
            requires_python: attr("data-requires-python"),
            yanked: attr("data-yanked"),
            metadata,
            provenance,
            upload_time: None,
            size: None,
        });
    }
    Ok(ProjectPage { links })
}

/// An attribute's text with its character references decoded (named and numeric, as pip's
/// `html.parser` decodes them; tl leaves them as written).
fn decode_entities(s: &str) -> String {
    html_escape::decode_html_entities(s).into_owned()
}

/// The file name a URL names, as pip reads it: the last path segment, percent-decoded. `None`
/// unless that is a [plain file name](is_plain_file_name): decoding can turn `..%2F..%2Fx.whl`
/// into a path, and a name that is not UTF-8 would be shown and stored as some other name.
pub fn file_name_of(url: &Url) -> Option<String> {
    let name = percent_decode(url.path_segments()?.next_back()?)?;
    is_plain_file_name(&name).then_some(name)
}

/// Percent-decoding; `None` when the bytes are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_page_with_annotations() {
        let base = Url::parse("https://example.com/simple/foo/").unwrap();
        let html = r#"<html><body>
          <a href="../../files/foo-1.0-py3-none-any.whl#sha256=abababababababababababababababababababababababababababababababab" data-requires-python="&gt;=3.8"
             data-core-metadata="sha256=def" data-provenance="https://example.com/integrity/foo/1.0/foo-1.0-py3-none-any.whl/provenance">foo</a>
          <a href="https://files.example.com/foo-1.0.tar.gz" data-yanked="">foo</a>
        </body></html>"#;
        let page = parse_html(&base, html).unwrap();
        assert_eq!(page.links.len(), 2);
        let w = &page.links[0];
        assert_eq!(w.filename, "foo-1.0-py3-none-any.whl");
        assert_eq!(
            w.url.as_str(),
            "https://example.com/files/foo-1.0-py3-none-any.whl"
        );
        assert_eq!(
            w.sha256.as_deref(),
            Some("abababababababababababababababababababababababababababababababab")
        );
        assert_eq!(w.requires_python.as_deref(), Some(">=3.8"));
        assert_eq!(w.metadata, Some(Some("def".into())));
        assert!(matches!(w.provenance, ProvenanceHint::Url(_)));
        let s = &page.links[1];
        assert_eq!(s.yanked.as_deref(), Some(""));
        assert_eq!(s.provenance, ProvenanceHint::NotAdvertised);
    }

    /// A sha256 that is not 64 hex digits is no hash: never compared, never printed.
    #[test]
    fn a_sha256_that_is_not_hex_is_no_hash() {
        let base = Url::parse("https://example.com/simple/foo/").unwrap();
        let forged = format!("{}\u{1b}[2J", "a".repeat(60));
        let json = format!(
            r#"{{"meta":{{"api-version":"1.0"}},"name":"foo","files":[
          {{"filename":"foo-1.0.tar.gz","url":"a/foo-1.0.tar.gz","hashes":{{"sha256":"{}"}}}},
          {{"filename":"foo-1.1.tar.gz","url":"a/foo-1.1.tar.gz","hashes":{{"sha256":"abc"}}}},
          {{"filename":"foo-1.2.tar.gz","url":"a/foo-1.2.tar.gz#sha256=zz{}","hashes":{{}}}},
          {{"filename":"foo-1.3.tar.gz","url":"a/foo-1.3.tar.gz","hashes":{{"sha256":"{}"}}}}]}}"#,
            forged.replace('\u{1b}', "\\u001b"),
            "0".repeat(62),
            "C".repeat(64),
        );
        let page = parse_json(&base, json.as_bytes()).unwrap();
        let hashes: Vec<Option<&str>> = page.links.iter().map(|l| l.sha256.as_deref()).collect();
        assert_eq!(hashes, [None, None, None, Some("C".repeat(64).as_str())]);
        // The fragment is stripped all the same.
        assert_eq!(page.links[2].url.fragment(), None);
        let html = "<a href=\"foo-1.0.tar.gz#sha256=not-hex\">x</a>";
        let page = parse_html(&base, html).unwrap();
        assert_eq!(page.links[0].sha256, None);
    }

    #[test]
    fn attribute_references_are_decoded_once() {
        let base = Url::parse("https://example.com/simple/foo/").unwrap();
        let html = r#"<a href="foo-1.0.tar.gz?a=1&amp;b=2" data-requires-python="&#62;=3.8,&#x3C;4,!=3.9.&ast;">x</a>
          <a href="foo-2.0.tar.gz" data-requires-python="&amp;lt;3 &bogus; &gt">y</a>"#;
        let page = parse_html(&base, html).unwrap();
        assert_eq!(
            page.links[0].url.as_str(),
            "https://example.com/simple/foo/foo-1.0.tar.gz?a=1&b=2"
        );
        assert_eq!(
            page.links[0].requires_python.as_deref(),
            Some(">=3.8,<4,!=3.9.*")
        );
        assert_eq!(
            page.links[1].requires_python.as_deref(),
            Some("&lt;3 &bogus; &gt")
        );
    }

    #[test]
    fn json_page_with_annotations() {
        let base = Url::parse("https://example.com/simple/foo/").unwrap();
        let json = br#"{"meta":{"api-version":"1.3"},"name":"foo","files":[
          {"filename":"foo-1.0-py3-none-any.whl","url":"../../files/foo-1.0-py3-none-any.whl","hashes":{"sha256":"abc"},
           "core-metadata":{"sha256":"def"},"provenance":"https://example.com/p"},
          {"filename":"foo-1.0.tar.gz","url":"https://f/foo-1.0.tar.gz","hashes":{},"yanked":"bad","provenance":null},
          {"filename":"foo-0.9.tar.gz","url":"https://f/foo-0.9.tar.gz","hashes":{}}]}"#;
        let page = parse_json(&base, json).unwrap();
        assert_eq!(page.links[0].metadata, Some(Some("def".into())));
        assert!(matches!(page.links[0].provenance, ProvenanceHint::Url(_)));
        assert_eq!(page.links[1].provenance, ProvenanceHint::None);
        assert_eq!(page.links[1].yanked.as_deref(), Some("bad"));
        assert_eq!(page.links[2].provenance, ProvenanceHint::NotAdvertised);
        assert!(parse_json(&base, b"not json").is_err());
    }

    #[test]
    fn json_upload_time_and_size_are_read_and_never_guessed() {
        let base = Url::parse("https://example.com/simple/foo/").unwrap();
        let json = br#"{"meta":{"api-version":"1.1"},"name":"foo","files":[
          {"filename":"foo-1.0.tar.gz","url":"a/foo-1.0.tar.gz","hashes":{},"size":123,"upload-time":"2024-03-01T10:00:00.250000Z"},
          {"filename":"foo-1.1.tar.gz","url":"a/foo-1.1.tar.gz","hashes":{},"size":"12","upload-time":"last tuesday"},
          {"filename":"foo-1.2.tar.gz","url":"a/foo-1.2.tar.gz","hashes":{},"upload-time":"2024-03-01T11:00:00+01:00"}]}"#;
        let page = parse_json(&base, json).unwrap();
        let l = &page.links;
        assert_eq!(l[0].size, Some(123));
        assert_eq!(
            l[0].upload_time.map(format_upload_time).as_deref(),
            Some("2024-03-01T10:00:00.250000Z")
        );
        assert_eq!((l[1].size, l[1].upload_time), (None, None));
        assert_eq!(
            l[2].upload_time.map(format_upload_time).as_deref(),
            Some("2024-03-01T10:00:00Z")
        );
        // HTML has no upload time: none is made up.
        let html = parse_html(
            &base,
            r#"<a href="foo-1.0.tar.gz" data-upload-time="2024-01-01T00:00:00Z">x</a>"#,
        )
        .unwrap();
        assert_eq!(
            (html.links[0].upload_time, html.links[0].size),
            (None, None)
        );
    }

    /// A listed name becomes a file on disk (`install`'s staging directory, `download -d`): one
    /// that decodes to a path, or to anything but one plain name, never leaves page parsing.
    #[test]
    fn html_hrefs_that_decode_to_paths_are_dropped() {
        let base = Url::parse("https://example.com/simple/x/").unwrap();
        let hrefs = [
            "../../files/x-1.0-py3-none-any.whl",
            "..%2F..%2Fx-1.0-py3-none-any.whl",
            "%2E%2E%2F%2E%2E%2Fx-1.0.tar.gz",
            "%2e%2e/%2e%2e/x-2.0.tar.gz",
            "a%5Cb-1.0.tar.gz",
            "%2Fetc%2Fx-1.0.tar.gz",
            "C%3A%5Cx-1.0.tar.gz",
            "x%00-1.0.tar.gz",
            "x%0A-1.0.tar.gz",
            "%2Ex-1.0.tar.gz",
            "%2E%2E",
            "%FFx-1.0.tar.gz",
            "x-1.0.tar.gz%2F",
            "sub\\..\\..\\x-3.0.tar.gz",
            "x%2B1-1.0.tar.gz",
        ];
        let html: String = hrefs
            .iter()
            .map(|h| format!("<a href=\"{h}\">x</a>\n"))
            .collect();
        let page = parse_html(&base, &html).unwrap();
        let got: Vec<(&str, &str)> = page
            .links
            .iter()
            .map(|l| (l.filename.as_str(), l.url.as_str()))
            .collect();
        // URL resolution (as pip does it) takes `..` and `\` as path syntax: what is left is
        // a plain name.
        assert_eq!(
            got,
            [
                (
                    "x-1.0-py3-none-any.whl",
                    "https://example.com/files/x-1.0-py3-none-any.whl"
                ),
                ("x-2.0.tar.gz", "https://example.com/x-2.0.tar.gz"),
                ("x-3.0.tar.gz", "https://example.com/simple/x-3.0.tar.gz"),
                (
                    "x+1-1.0.tar.gz",
                    "https://example.com/simple/x/x%2B1-1.0.tar.gz"
                ),
            ]
        );
    }

    #[test]
    fn json_files_whose_name_or_url_is_a_path_are_dropped() {
        let base = Url::parse("https://example.com/simple/x/").unwrap();
        let files = [
            ("../../x-1.0-py3-none-any.whl", "/f/x-1.0-py3-none-any.whl"),
            ("/tmp/x-1.0.tar.gz", "/f/x-1.0.tar.gz"),
            ("a\\b-1.0.tar.gz", "/f/b-1.0.tar.gz"),
            ("C:x-1.0.tar.gz", "/f/x-1.0.tar.gz"),
            ("x\u{0}-1.0.tar.gz", "/f/x-1.0.tar.gz"),
            (".x-1.0.tar.gz", "/f/x-1.0.tar.gz"),
            ("..", "/f/x-1.0.tar.gz"),
            ("", "/f/x-1.0.tar.gz"),
            (
                "x-1.0-py3-none-any.whl",
                "/f/..%2F..%2Fx-1.0-py3-none-any.whl",
            ),
            ("x-1.0.tar.gz", "/f/a%5Cx-1.0.tar.gz"),
            ("x-1.0.tar.gz", "/f/"),
            ("x-1.0.zip", "/f/x-1.0.zip"),
        ];
        let json = serde_json::json!({
            "meta": {"api-version": "1.1"},
            "name": "x",
            "files": files
                .iter()
                .map(|(f, u)| serde_json::json!({"filename": f, "url": u, "hashes": {}}))
                .collect::<Vec<_>>(),
        });
        let page = parse_json(&base, json.to_string().as_bytes()).unwrap();
        let got: Vec<&str> = page.links.iter().map(|l| l.filename.as_str()).collect();
        assert_eq!(got, ["x-1.0.zip"]);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2Bb.whl").as_deref(), Some("a+b.whl"));
        assert_eq!(percent_decode("a%2").as_deref(), Some("a%2"));
        assert_eq!(percent_decode("a%zz%4").as_deref(), Some("a%zz%4"));
        assert_eq!(percent_decode("%C3%A4").as_deref(), Some("ä"));
        assert_eq!(percent_decode("%FF.whl"), None);
    }
}
