//! The test-side infrastructure for `pyprov install`, proven against the real pip in real
//! virtualenvs with no pyprov involved: the loopback index (tests/support/index.rs), the
//! wheels and sdists built in memory (tests/support/dists.rs) and the venvs
//! (tests/support/venv.rs).

use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::dists::{self, Dist};
use crate::support::index::{Format, Lie, TestIndex, INTEGRITY_JSON, SIMPLE_JSON};
use crate::support::pki::{self, TestPki};
use crate::support::venv::Venv;
use serde_json::Value;

/// alpha 1.0 -> beta>=1 -> gamma; all wheels.
fn chain() -> [Dist; 3] {
    [
        dists::wheel("alpha", "1.0", &["beta>=1"], &[]),
        dists::wheel("Beta", "1.0", &["gamma"], &[]),
        dists::wheel("gamma", "1.0", &[], &[]),
    ]
}

fn index_with_chain() -> TestIndex {
    let index = TestIndex::new();
    for dist in chain() {
        index.add(&dist.name.clone(), dist);
    }
    index
}

fn venv(dir: &Path) -> Venv {
    let start = Instant::now();
    let venv = Venv::create(&dir.join("venv"));
    eprintln!("venv created in {:?}", start.elapsed());
    venv
}

fn ok(out: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "pip failed ({}):\nstdout:\n{}\nstderr:\n{stderr}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
    );
    stderr
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("HTTP client")
}

fn get(url: &str, accept: Option<&str>) -> reqwest::blocking::Response {
    let mut req = client().get(url);
    if let Some(accept) = accept {
        req = req.header("Accept", accept);
    }
    req.send().expect("GET")
}

fn json_of(resp: reqwest::blocking::Response) -> Value {
    serde_json::from_slice(&resp.bytes().expect("body")).expect("JSON body")
}

fn content_type(resp: &reqwest::blocking::Response) -> String {
    resp.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn json_page(index: &TestIndex, project: &str) -> Value {
    let resp = get(&format!("{}{project}/", index.url()), Some(SIMPLE_JSON));
    assert_eq!(resp.status(), 200);
    assert_eq!(content_type(&resp), SIMPLE_JSON);
    json_of(resp)
}

fn html_page(index: &TestIndex, project: &str) -> String {
    let resp = get(&format!("{}{project}/", index.url()), Some("text/html"));
    assert_eq!(resp.status(), 200);
    assert!(content_type(&resp).starts_with("text/html"));
    resp.text().expect("HTML page")
}

fn file_entry<'a>(page: &'a Value, filename: &str) -> &'a Value {
    page["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["filename"] == filename)
        .unwrap_or_else(|| panic!("{filename} not on the page: {page}"))
}

// ---------------------------------------------------------------------------
// Distributions
// ---------------------------------------------------------------------------

#[test]
fn wheels_are_deterministic_and_their_record_is_right() {
    let [a, b, _] = chain();
    assert_eq!(a, chain()[0], "same inputs, same bytes");
    assert_eq!(b.filename, "beta-1.0-py3-none-any.whl");
    assert_eq!(
        dists::wheel("Foo.Bar_baz", "2.0", &[], &[]).filename,
        "foo_bar_baz-2.0-py3-none-any.whl"
    );
    assert_eq!(
        a.metadata,
        "Metadata-Version: 2.1\nName: alpha\nVersion: 1.0\nRequires-Dist: beta>=1\n"
    );

    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&a.bytes)).expect("a zip");
    let mut read = |name: &str| {
        let mut data = Vec::new();
        zip.by_name(name)
            .unwrap_or_else(|_| panic!("{name} in the wheel"))
            .read_to_end(&mut data)
            .expect("read");
        data
    };
    let wheel = String::from_utf8(read("alpha-1.0.dist-info/WHEEL")).expect("UTF-8");
    assert!(wheel.contains("Root-Is-Purelib: true\nTag: py3-none-any\n"));
    assert_eq!(read("alpha-1.0.dist-info/METADATA"), a.metadata.as_bytes());
    let record = String::from_utf8(read("alpha-1.0.dist-info/RECORD")).expect("UTF-8");
    let lines: Vec<&str> = record.lines().collect();
    assert_eq!(lines.last(), Some(&"alpha-1.0.dist-info/RECORD,,"));
    assert_eq!(lines.len(), 4, "{record}");
    for line in &lines[..lines.len() - 1] {
        let parts: Vec<&str> = line.split(',').collect();
        let data = read(parts[0]);
        assert_eq!(parts[1], dists::record_hash(&data), "{line}");
        assert_eq!(parts[2], data.len().to_string(), "{line}");
    }

    // Dist::from_bytes finds the metadata again.
    let again = Dist::from_bytes(&a.filename, a.bytes.clone());
    assert_eq!(again.metadata, a.metadata);
    assert_eq!(
        (again.name.as_str(), again.version.as_str()),
        ("alpha", "1.0")
    );
}

#[test]
fn sdists_are_deterministic_and_hold_what_the_backend_needs() {
    let marker = Path::new("/nonexistent/marker");
    let s = dists::sdist_with_deps("My.Pkg", "0.3", &["gamma"], &["extra-dep>=1"], Some(marker));
    assert_eq!(s.filename, "my_pkg-0.3.tar.gz");
    assert_eq!(
        s,
        dists::sdist_with_deps("My.Pkg", "0.3", &["gamma"], &["extra-dep>=1"], Some(marker))
    );
    let again = Dist::from_bytes(&s.filename, s.bytes.clone());
    assert_eq!(again.metadata, s.metadata, "PKG-INFO is found");
    assert_eq!(
        (again.name.as_str(), again.version.as_str()),
        ("my_pkg", "0.3")
    );

    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&s.bytes[..]));
    let mut files = std::collections::BTreeMap::new();
    for entry in archive.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let path = entry.path().expect("path").to_string_lossy().into_owned();
        let mut text = String::new();
        entry.read_to_string(&mut text).expect("read");
        files.insert(path, text);
    }
    assert_eq!(
        files["my_pkg-0.3/pyproject.toml"],
        "[build-system]\nrequires = [\"pyprov-test-backend\", \"extra-dep>=1\"]\nbuild-backend = \"pyprov_test_backend\"\n"
    );
    assert!(files["my_pkg-0.3/pyprov_setup.py"].contains("\"/nonexistent/marker\""));
    assert!(files.contains_key("my_pkg-0.3/my_pkg/__init__.py"));
    assert!(files.contains_key("my_pkg-0.3/PKG-INFO"));

    let without = dists::sdist("my-pkg", "0.3", &[], None);
    assert!(
        Dist::from_bytes(&without.filename, without.bytes.clone()).metadata == without.metadata
    );
}

// ---------------------------------------------------------------------------
// Venvs
// ---------------------------------------------------------------------------

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn venvs_are_real_and_ignore_the_machines_pip_configuration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let venv = venv(dir.path());
    let start = Instant::now();
    let second = Venv::create(&dir.path().join("second"));
    eprintln!("second venv created in {:?}", start.elapsed());

    assert!(venv.has_package("pip") && venv.has_package("setuptools"));
    assert_eq!(venv.freeze(), second.freeze());
    assert!(venv
        .freeze()
        .contains(&format!("pip=={}", venv.pip_version())));

    // bin/pip runs this venv's python (its shebang was rewritten).
    let mut cmd = std::process::Command::new(venv.pip());
    Venv::clean_env(&mut cmd).arg("--version");
    let out = cmd.output().expect("bin/pip");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        text.contains(&venv.site_packages().join("pip").display().to_string()),
        "{text}"
    );

    // No PIP_FIND_LINKS, no /etc/pip.conf: pip sees only what clean_env and pip_command set.
    let out = venv.run(&["config", "list"]);
    ok(&out);
    let config: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(
        config,
        [
            ":env:.config-file='/dev/null'",
            ":env:.disable-pip-version-check='1'",
            ":env:.no-cache-dir='1'",
            ":env:.no-input='1'"
        ]
    );
}

// ---------------------------------------------------------------------------
// (a) pip installs a dependency chain from the index, HTML and JSON
// ---------------------------------------------------------------------------

fn install_chain(format: Format, absolute: bool) {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = index_with_chain();
    index.set_format(format);
    index.set_absolute_urls(absolute);
    let venv = venv(dir.path());
    let stderr = ok(&venv.run(&["install", "--index-url", &index.url(), "alpha"]));
    assert!(!stderr.contains("WARNING"), "{stderr}");

    let packages = venv.packages();
    for name in ["alpha", "beta", "gamma"] {
        assert_eq!(
            packages.get(name).map(String::as_str),
            Some("1.0"),
            "{packages:?}"
        );
    }
    ok(&venv.run_python(&["-c", "import alpha, beta, gamma"]));

    let pages: Vec<_> = index
        .requests()
        .into_iter()
        .filter(|r| r.is_page())
        .collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
    // pip asks for JSON first; the index answered what it was told to.
    assert!(pages.iter().all(|r| r
        .accept
        .as_deref()
        .unwrap_or_default()
        .starts_with(SIMPLE_JSON)));
    assert_eq!(index.file_requests().len(), 3);
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn pip_installs_a_chain_from_the_html_index() {
    install_chain(Format::HtmlOnly, false);
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn pip_installs_a_chain_from_the_json_index() {
    install_chain(Format::JsonOnly, true);
}

// ---------------------------------------------------------------------------
// (b) a dry run with a report resolves from PEP 658 metadata
// ---------------------------------------------------------------------------

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn dry_run_report_resolves_from_metadata() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = index_with_chain();
    let venv = venv(dir.path());
    let report = dir.path().join("r.json");
    let before = venv.freeze();
    ok(&venv.run(&[
        "install",
        "--dry-run",
        "--ignore-installed",
        "--report",
        report.to_str().expect("UTF-8"),
        "--index-url",
        &index.url(),
        "alpha",
    ]));
    assert_eq!(venv.freeze(), before, "a dry run installs nothing");

    let report: Value =
        serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("JSON report");
    let install = report["install"].as_array().expect("install");
    assert_eq!(install.len(), 3, "{report}");
    for dist in chain() {
        let item = install
            .iter()
            .find(|i| i["metadata"]["name"] == dist.name)
            .unwrap_or_else(|| panic!("{} in the report", dist.name));
        assert_eq!(item["download_info"]["url"], index.file_url(&dist.filename));
        assert_eq!(
            item["download_info"]["archive_info"]["hashes"]["sha256"],
            dist.sha256()
        );
        assert_eq!(item["metadata"]["version"], "1.0");
    }

    let metadata = index.metadata_requests();
    assert_eq!(metadata.len(), 3, "{:?}", index.requests());
    assert!(metadata.iter().all(|r| r.status == 200));
    let files = index.file_requests();
    let pip = venv.pip_version();
    eprintln!("pip {pip}: dry run fetched {} wheels", files.len());
    // pip resolves from the .metadata files in any case. pip 23.2.1 (the one here) still
    // downloads each wheel once resolution is over, after every .metadata; pip 26.3 fetches
    // none (pypa/pip#13482, docs/baseline.md section 7).
    let last_metadata = index
        .requests()
        .iter()
        .rposition(|r| r.is_metadata())
        .expect("metadata requests");
    let first_file = index.requests().iter().position(|r| r.is_file());
    if let Some(first_file) = first_file {
        assert!(first_file > last_metadata, "{:?}", index.requests());
    }
    let major: u32 = pip
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major >= 26 {
        assert!(files.is_empty(), "{files:?}");
    }
}

// ---------------------------------------------------------------------------
// (c) provenance: advertised and served exactly as added
// ---------------------------------------------------------------------------

/// An index with a signed wheel `signed` and an unsigned `plain`.
fn signed_index() -> (TestIndex, Dist, String, Dist) {
    let pki = TestPki::new();
    let signed = dists::wheel("signed", "1.0", &[], &[]);
    let provenance = dists::provenance_for(&pki, &signed, "o/r", "release.yml");
    let plain = dists::wheel("plain", "2.0", &[], &[]);
    let index = TestIndex::new();
    index.add_with_provenance("Signed", signed.clone(), Some(provenance.clone()));
    index.add("plain", plain.clone());
    (index, signed, provenance, plain)
}

#[test]
fn provenance_is_advertised_and_served_as_added() {
    let (index, signed, provenance, plain) = signed_index();
    let url = index.provenance_url("signed", &signed);
    assert_eq!(
        url,
        format!(
            "{}signed/1.0/signed-1.0-py3-none-any.whl/provenance",
            index.integrity_base()
        )
    );

    // The provenance is a real PEP 740 object for these bytes.
    let value: Value = serde_json::from_str(&provenance).expect("JSON");
    assert_eq!(
        value["attestation_bundles"][0]["publisher"]["repository"],
        "o/r"
    );

    // JSON: the provenance key, the hashes, the metadata.
    let page = json_page(&index, "signed");
    assert_eq!(page["meta"]["api-version"], "1.3");
    let file = file_entry(&page, &signed.filename);
    assert_eq!(file["provenance"], url);
    assert_eq!(file["hashes"]["sha256"], signed.sha256());
    assert_eq!(file["url"], format!("../../files/{}", signed.filename));
    assert_eq!(file["core-metadata"]["sha256"], signed.metadata_sha256());
    assert_eq!(
        file["dist-info-metadata"]["sha256"],
        signed.metadata_sha256()
    );
    let page = json_page(&index, "plain");
    assert!(file_entry(&page, &plain.filename)["provenance"].is_null());

    // HTML: data-provenance, #sha256, data-core-metadata.
    let html = html_page(&index, "signed");
    assert!(html.contains(&format!(
        "href=\"../../files/{0}#sha256={1}\"",
        signed.filename,
        signed.sha256()
    )));
    assert!(
        html.contains(&format!("data-provenance=\"{url}\"")),
        "{html}"
    );
    assert!(html.contains(&format!(
        "data-core-metadata=\"sha256={}\"",
        signed.metadata_sha256()
    )));
    assert!(!html_page(&index, "plain").contains("data-provenance"));

    // The Integrity API.
    let resp = get(&url, Some(INTEGRITY_JSON));
    assert_eq!(resp.status(), 200);
    assert_eq!(content_type(&resp), INTEGRITY_JSON);
    assert_eq!(resp.text().expect("body"), provenance);
    let plain_url = index.provenance_url("plain", &plain);
    assert_eq!(get(&plain_url, Some(INTEGRITY_JSON)).status(), 404);
    let wrong_version = url.replace("/1.0/", "/9.9/");
    assert_eq!(get(&wrong_version, None).status(), 404);

    // PEP 658 metadata and the file itself.
    let resp = get(
        &format!("{}.metadata", index.file_url(&signed.filename)),
        None,
    );
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().expect("metadata"), signed.metadata);
    let resp = get(&index.file_url(&signed.filename), None);
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.bytes().expect("file").as_ref(),
        signed.bytes.as_slice()
    );

    // Switches: no advertisement (Integrity API still there), no Integrity API, no metadata.
    index.set_advertise_provenance(false);
    assert!(file_entry(&json_page(&index, "signed"), &signed.filename)
        .get("provenance")
        .is_none());
    assert!(!html_page(&index, "signed").contains("data-provenance"));
    assert_eq!(get(&url, None).status(), 200);
    index.set_integrity_api(false);
    assert_eq!(get(&url, None).status(), 404);
    index.set_metadata(false);
    let page = json_page(&index, "signed");
    assert!(file_entry(&page, &signed.filename)
        .get("core-metadata")
        .is_none());
    assert!(!html_page(&index, "signed").contains("data-core-metadata"));
    let resp = get(
        &format!("{}.metadata", index.file_url(&signed.filename)),
        None,
    );
    assert_eq!(resp.status(), 404);

    // Files on another host.
    let files = TestIndex::new();
    index.set_file_host(Some(files.base_url()));
    let page = json_page(&index, "signed");
    assert_eq!(
        file_entry(&page, &signed.filename)["url"],
        files.file_url(&signed.filename)
    );
    assert!(html_page(&index, "signed").contains(&format!(
        "href=\"{}#sha256=",
        files.file_url(&signed.filename)
    )));
    index.set_file_host(None);

    // The root list, both ways; names normalized in paths.
    let root: Value = json_of(get(&index.url(), Some(SIMPLE_JSON)));
    assert_eq!(root["projects"].as_array().map(Vec::len), Some(2));
    let html = get(&index.url(), None).text().expect("root");
    assert!(html.contains("<a href=\"signed/\">Signed</a>"), "{html}");
    assert_eq!(
        get(&format!("{}SIGNED/", index.url()), Some(SIMPLE_JSON)).status(),
        200
    );
    assert_eq!(get(&format!("{}nope/", index.url()), None).status(), 404);
}

// ---------------------------------------------------------------------------
// (d) the lies
// ---------------------------------------------------------------------------

#[test]
fn strip_provenance_hides_it_everywhere() {
    let (index, signed, _, _) = signed_index();
    let url = index.provenance_url("signed", &signed);
    index.lie(&signed.filename, Lie::StripProvenance);
    let page = json_page(&index, "signed");
    assert!(file_entry(&page, &signed.filename)
        .get("provenance")
        .is_none());
    assert!(!html_page(&index, "signed").contains("data-provenance"));
    assert_eq!(get(&url, None).status(), 404);

    index.clear_lies(&signed.filename);
    assert_eq!(get(&url, None).status(), 200);
}

#[test]
fn rewrite_publisher_replaces_only_the_publisher_block() {
    let (index, signed, provenance, _) = signed_index();
    let url = index.provenance_url("signed", &signed);
    let other = pki::github_publisher("evil/fork", "release.yml", None);
    index.lie(&signed.filename, Lie::RewritePublisher(other.clone()));
    let served: Value = json_of(get(&url, None));
    let original: Value = serde_json::from_str(&provenance).expect("provenance");
    assert_eq!(served["attestation_bundles"][0]["publisher"], other);
    assert_eq!(
        served["attestation_bundles"][0]["attestations"],
        original["attestation_bundles"][0]["attestations"]
    );
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn tampered_bytes_advertise_their_own_hash_and_pip_installs_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (index, signed, provenance, _) = signed_index();
    let evil = dists::wheel(
        "signed",
        "1.0",
        &[],
        &[("signed/__init__.py", b"EVIL = 1\n")],
    );
    assert_ne!(evil.sha256(), signed.sha256());
    index.lie(&signed.filename, Lie::TamperedBytes(evil.bytes.clone()));

    assert_eq!(index.advertised_sha256(&signed.filename), evil.sha256());
    let page = json_page(&index, "signed");
    assert_eq!(
        file_entry(&page, &signed.filename)["hashes"]["sha256"],
        evil.sha256()
    );
    assert!(html_page(&index, "signed").contains(&format!("#sha256={}", evil.sha256())));
    let body = get(&index.file_url(&signed.filename), None)
        .bytes()
        .expect("body");
    assert_eq!(body.as_ref(), evil.bytes.as_slice());
    // The provenance still binds the original bytes.
    let served = get(&index.provenance_url("signed", &signed), None)
        .text()
        .expect("provenance");
    assert_eq!(served, provenance);

    // pip's own hash check passes: only the attestation can catch this.
    let venv = venv(dir.path());
    ok(&venv.run(&["install", "--index-url", &index.url(), "signed"]));
    let out = venv.run_python(&["-c", "import signed; print(signed.EVIL)"]);
    ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1");
}

#[test]
fn dropped_connection_truncates_then_a_range_request_resumes() {
    let (index, signed, _, _) = signed_index();
    let url = index.file_url(&signed.filename);
    let total = signed.bytes.len();
    let cut = 100;
    assert!(total > cut * 2);
    index.lie(
        &signed.filename,
        Lie::DropConnectionAfter {
            bytes: cut,
            times: 1,
        },
    );

    let mut resp = get(&url, None);
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.content_length(), Some(total as u64));
    assert_eq!(
        resp.headers().get("accept-ranges").map(|v| v.as_bytes()),
        Some(&b"bytes"[..])
    );
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let error = loop {
        match resp.read(&mut buf) {
            Ok(0) => break None,
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) => break Some(e),
        }
    };
    assert!(
        error.is_some(),
        "the body must end in an error, not a clean EOF"
    );
    assert_eq!(received, &signed.bytes[..cut]);

    // Resume.
    let resp = client()
        .get(&url)
        .header("Range", format!("bytes={cut}-"))
        .send()
        .expect("range GET");
    assert_eq!(resp.status(), 206);
    assert_eq!(
        resp.headers()
            .get("content-range")
            .and_then(|v| v.to_str().ok()),
        Some(format!("bytes {cut}-{}/{total}", total - 1).as_str())
    );
    received.extend_from_slice(&resp.bytes().expect("rest"));
    assert_eq!(received, signed.bytes);

    // Then a plain GET is whole again, and the log saw all three.
    assert_eq!(get(&url, None).bytes().expect("body").len(), total);
    let log = index.file_requests();
    assert_eq!(log.len(), 3);
    assert_eq!(
        log.iter().map(|r| r.status).collect::<Vec<_>>(),
        [200, 206, 200]
    );
    assert_eq!(
        log[1].range.as_deref(),
        Some(format!("bytes={cut}-").as_str())
    );

    // Other ranges.
    let range = |spec: &str| {
        client()
            .get(&url)
            .header("Range", spec)
            .send()
            .expect("range GET")
    };
    let resp = range("bytes=0-9");
    assert_eq!(resp.status(), 206);
    assert_eq!(resp.bytes().expect("body").as_ref(), &signed.bytes[..10]);
    let resp = range("bytes=-10");
    assert_eq!(
        resp.bytes().expect("body").as_ref(),
        &signed.bytes[total - 10..]
    );
    assert_eq!(range(&format!("bytes={total}-")).status(), 416);
}

#[test]
fn fail_500_then_serve() {
    let (index, signed, _, _) = signed_index();
    let url = index.file_url(&signed.filename);
    index.lie(&signed.filename, Lie::Fail500 { times: 2 });
    assert_eq!(get(&url, None).status(), 500);
    assert_eq!(get(&url, None).status(), 500);
    let resp = get(&url, None);
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.bytes().expect("body").as_ref(),
        signed.bytes.as_slice()
    );
}

#[test]
fn slow_delays_the_body() {
    let (index, signed, _, _) = signed_index();
    let url = index.file_url(&signed.filename);
    index.lie(&signed.filename, Lie::Slow(Duration::from_millis(400)));
    let start = Instant::now();
    let resp = get(&url, None);
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.bytes().expect("body").as_ref(),
        signed.bytes.as_slice()
    );
    assert!(start.elapsed() >= Duration::from_millis(400));
}

#[test]
fn redirect_sends_a_302_to_the_same_server() {
    let (index, signed, _, _) = signed_index();
    let url = index.file_url(&signed.filename);
    index.lie(&signed.filename, Lie::Redirect);
    let resp = get(&url, None);
    assert_eq!(resp.status(), 302);
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("Location")
        .to_string();
    assert_eq!(
        location,
        format!("{}/redirected/{}", index.base_url(), signed.filename)
    );
    let resp = get(&location, None);
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.bytes().expect("body").as_ref(),
        signed.bytes.as_slice()
    );
    let statuses: Vec<_> = index
        .file_requests()
        .iter()
        .map(|r| (r.path.clone(), r.status))
        .collect();
    assert_eq!(
        statuses,
        [
            (format!("/files/{}", signed.filename), 302),
            (format!("/redirected/{}", signed.filename), 200)
        ]
    );
}

// ---------------------------------------------------------------------------
// (e) sdists build with the backend wheel, and their code runs
// ---------------------------------------------------------------------------

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn sdist_builds_from_find_links_and_writes_its_marker() {
    let dir = tempfile::tempdir().expect("tempdir");
    let links = dir.path().join("links");
    std::fs::create_dir(&links).expect("links dir");
    let marker = dir.path().join("marker");
    dists::sdist("sdpkg", "1.0", &[], Some(&marker)).write_to(&links);
    dists::backend_wheel().write_to(&links);

    let venv = venv(dir.path());
    assert!(!marker.exists());
    ok(&venv.run(&[
        "install",
        "--no-index",
        "--find-links",
        links.to_str().expect("UTF-8"),
        "sdpkg",
    ]));
    ok(&venv.run_python(&["-c", "import sdpkg; assert sdpkg.__version__ == '1.0'"]));
    assert_eq!(
        venv.packages().get("sdpkg").map(String::as_str),
        Some("1.0")
    );
    assert!(
        !venv.has_package("pyprov-test-backend"),
        "build dependencies stay in the isolated build env"
    );
    let hooks = std::fs::read_to_string(&marker).expect("the sdist's code ran");
    assert!(hooks.lines().any(|h| h == "build_wheel"), "{hooks}");
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn dry_run_against_the_index_runs_the_sdist_and_fetches_its_build_dependencies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("marker");
    let index = TestIndex::new();
    let sdist = dists::sdist_with_deps("sdpkg", "1.0", &["gamma"], &["helper"], Some(&marker));
    let backend = dists::backend_wheel();
    let helper = dists::wheel("helper", "0.1", &[], &[]);
    index.add("sdpkg", sdist.clone());
    index.add("pyprov-test-backend", backend.clone());
    index.add("helper", helper.clone());
    index.add("gamma", chain()[2].clone());

    let venv = venv(dir.path());
    let report = dir.path().join("r.json");
    ok(&venv.run(&[
        "install",
        "--dry-run",
        "--ignore-installed",
        "--report",
        report.to_str().expect("UTF-8"),
        "--index-url",
        &index.url(),
        "sdpkg",
    ]));

    // Resolution ran code from the sdist: what pyprov must never let happen unverified.
    let hooks = std::fs::read_to_string(&marker).expect("the sdist's code ran");
    assert!(
        hooks
            .lines()
            .any(|h| h == "prepare_metadata_for_build_wheel"),
        "{hooks}"
    );

    // The report has the sdist and its dependency from the built metadata, not the build
    // dependencies, which pip nevertheless fetched from the index.
    let report: Value =
        serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("JSON");
    let mut names: Vec<String> = report["install"]
        .as_array()
        .expect("install")
        .iter()
        .map(|i| {
            i["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    names.sort();
    assert_eq!(names, ["gamma", "sdpkg"]);
    let fetched: Vec<String> = index
        .file_requests()
        .iter()
        .map(|r| r.last_segment().to_string())
        .collect();
    for file in [&sdist.filename, &backend.filename, &helper.filename] {
        assert!(fetched.contains(file), "{file} not fetched: {fetched:?}");
    }
}
