//! pyprov's distribution-name parser against the real `packaging`, name by name.
//!
//! pyprov decides which project a file belongs to, and so which pin and trust entry apply to it,
//! by `distname::parse`; pip and PyPI decide by `packaging`. Where the two disagree a file can be
//! vetted as one project and installed as another, so they must agree on every name: the same
//! accept/reject, canonical name, normalized version, build tag and tag set. The only names
//! pyprov may reject that packaging accepts are the ones its module documents (not a plain ASCII
//! file name, or a version number over 64 bits), and the test checks that independently.
//!
//! Inputs: every name in `fixtures/distnames/real-names.txt` (real file names from PyPI's
//! project pages, see fixtures/README.md) and generated edge cases. All of them go to one Python
//! process as JSON. No network.
//!
//! Which packaging: `$PYPROV_TEST_PACKAGING_PYTHON` when set (CI points it at a venv with the
//! newest packaging, and then it must work), else `python3`'s `packaging`, else the copy pip
//! vendors (`pip._vendor.packaging`). A packaging older than 26.3, whose wheel rules pyprov
//! follows, accepts more, so against one the test checks only that whatever pyprov accepts it
//! accepts and parses the same; the test prints which one it used.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use pyprov::verify::distname::{self, DistName};
use serde_json::Value;

/// What either parser makes of a name, in the shape both can print.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Parsed {
    kind: &'static str,
    name: String,
    version: String,
    build: Option<(String, String)>,
    tags: Vec<String>,
}

fn pyprov(name: &str) -> Option<Parsed> {
    Some(match distname::parse(name).ok()? {
        DistName::Wheel {
            name,
            version,
            build,
            tags,
        } => Parsed {
            kind: "wheel",
            name,
            version: version.to_string(),
            build: build.map(|b| (b.number, b.suffix)),
            tags: tags.expand().into_iter().collect(),
        },
        DistName::Sdist { name, version, .. } => Parsed {
            kind: "sdist",
            name,
            version: version.to_string(),
            build: None,
            tags: Vec::new(),
        },
    })
}

/// Reads a JSON list of names on stdin; writes packaging's version and, per name, its parse or
/// null (any exception: packaging raises ValueError subclasses, and plain ValueError for an
/// int over Python's digit limit). `big`: a version number over 2^64 - 1.
const PACKAGING_SCRIPT: &str = r#"
import importlib, json, sys
pkg = importlib.import_module(sys.argv[1])
utils = importlib.import_module(sys.argv[1] + ".utils")
U64 = 2**64 - 1

def big(v):
    nums = [v.epoch, *v.release]
    if v.pre: nums.append(v.pre[1])
    if v.post is not None: nums.append(v.post)
    if v.dev is not None: nums.append(v.dev)
    if v.local: nums.extend(int(p) for p in v.local.split(".") if p.isdigit())
    return any(n > U64 for n in nums)

def one(n):
    try:
        if n.endswith(".whl"):
            name, v, build, tags = utils.parse_wheel_filename(n)
            return {"kind": "wheel", "name": name, "version": str(v), "big": big(v),
                    "build": [str(build[0]), build[1]] if build else None,
                    "tags": sorted(str(t) for t in tags)}
        name, v = utils.parse_sdist_filename(n)
        return {"kind": "sdist", "name": name, "version": str(v), "big": big(v),
                "build": None, "tags": []}
    except Exception:
        return None

names = json.load(sys.stdin)
json.dump({"version": pkg.__version__, "results": [one(n) for n in names]}, sys.stdout)
"#;

struct Packaging {
    python: String,
    module: &'static str,
}

fn imports(python: &str, module: &str) -> bool {
    Command::new(python)
        .args(["-c", &format!("import {module}.utils")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn find_packaging() -> Option<Packaging> {
    if let Ok(python) = std::env::var("PYPROV_TEST_PACKAGING_PYTHON") {
        assert!(
            imports(&python, "packaging"),
            "PYPROV_TEST_PACKAGING_PYTHON={python} cannot import packaging; \
             install it there (`{python} -m pip install packaging`) or unset the variable"
        );
        return Some(Packaging {
            python,
            module: "packaging",
        });
    }
    ["packaging", "pip._vendor.packaging"]
        .into_iter()
        .find(|m| imports("python3", m))
        .map(|module| Packaging {
            python: "python3".into(),
            module,
        })
}

/// packaging's version, and its parse of each name.
fn run_packaging(p: &Packaging, names: &[String]) -> (String, Vec<Option<(Parsed, bool)>>) {
    let mut child = Command::new(&p.python)
        .args(["-c", PACKAGING_SCRIPT, p.module])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start python");
    let input = serde_json::to_vec(names).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("run python");
    writer.join().unwrap().expect("write names to python");
    assert!(out.status.success(), "the packaging script failed");
    let v: Value = serde_json::from_slice(&out.stdout).expect("packaging's JSON");
    let results = v["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            if r.is_null() {
                return None;
            }
            let s = |k: &str| r[k].as_str().expect(k).to_string();
            let kind = if s("kind") == "wheel" {
                "wheel"
            } else {
                "sdist"
            };
            let build = r["build"]
                .as_array()
                .map(|b| (b[0].as_str().unwrap().into(), b[1].as_str().unwrap().into()));
            let tags = r["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_string())
                .collect();
            let parsed = Parsed {
                kind,
                name: s("name"),
                version: s("version"),
                build,
                tags,
            };
            Some((parsed, r["big"].as_bool().unwrap()))
        })
        .collect();
    assert_eq!(
        v["results"].as_array().map(Vec::len),
        Some(names.len()),
        "one result per name"
    );
    (v["version"].as_str().unwrap_or("?").to_string(), results)
}

/// The narrowing distname's module documents, restated here rather than borrowed from it.
fn outside_pyprovs_domain(name: &str) -> bool {
    name.len() > 255
        || name.starts_with('.')
        || name.contains(['/', '\\', ':'])
        || !name.bytes().all(|b| b.is_ascii_graphic())
}

fn real_names() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/distnames/real-names.txt");
    let text = std::fs::read_to_string(&path).expect("fixtures/distnames/real-names.txt");
    text.lines().map(str::to_string).collect()
}

const NAMES: &[&str] = &[
    "foo",
    "Foo",
    "FOO",
    "foo_bar",
    "foo.bar",
    "foo-bar",
    "Foo.Bar_baz",
    "foo__bar",
    "foo..bar",
    "foo._bar",
    "_foo",
    "foo_",
    "foo.",
    "a",
    "9",
    "0a",
    "",
    "foo-99.0",
    "föö",
    "\u{212a}elvin",
    "ΣΑΣ",
    "foo bar",
    "foo/bar",
    "foo\\bar",
    "..",
    ".foo",
    "../foo",
    "/foo",
    "foo\0",
    "foo\n",
    "foo\u{85}",
    "foo:bar",
    "C:foo",
    "foo+bar",
    "foo!bar",
    "foo@1",
    "foo%2Fbar",
    "foo~",
];

const VERSIONS: &[&str] = &[
    "1",
    "1.0",
    "01.0",
    "1.0.0",
    "1.0.0.0.0",
    "0",
    "v1.0",
    "V1.0",
    "vv1.0",
    "1!1.0",
    "01!1.0",
    "!1.0",
    "1!",
    "1!v1.0",
    "v1!1.0",
    "1.0a1",
    "1.0A1",
    "1.0alpha1",
    "1.0ALPHA",
    "1.0.a.1",
    "1.0_a_1",
    "1.0a.1",
    "1.0a_",
    "1.0a.",
    "1.0b",
    "1.0beta2",
    "1.0c1",
    "1.0pre1",
    "1.0preview1",
    "1.0prev",
    "1.0rc",
    "1.0RC1",
    "1.0r1",
    "1.0r",
    "1.0rev2",
    "1.0re",
    "1.0.post",
    "1.0.post1",
    "1.0post1",
    "1.0.POST.1",
    "1.0_post_1",
    "1.0..post1",
    "1.0-1",
    "1.0-post1",
    "1.0post-1",
    "1.0-dev",
    "1.0.dev",
    "1.0.dev1",
    "1.0dev",
    "1.0DEV1",
    "1.0.dev.",
    "1.0.dev-1",
    "1.0a-1",
    "1.0a1.post2.dev3",
    "1.0a1post2dev3",
    "1.0rc1.dev",
    "1.0a1a2",
    "1.0rc1.rc2",
    "1.0+local",
    "1.0+Local.1",
    "1.0+a_b.01",
    "1.0+abc-def_ghi",
    "1.0+",
    "1.0+a..b",
    "1.0+a.",
    "1.0++a",
    "1.0+a+b",
    "1.0+ä",
    "1.0.",
    "1..0",
    ".1",
    "",
    "1.0 ",
    " 1.0",
    "\t1.0",
    "1.0\u{a0}",
    "1.0\u{3000}",
    "99999999999999999999999",
    "18446744073709551615",
    "18446744073709551616",
    "1.18446744073709551616",
    "1.0a18446744073709551616",
    "1.0.post18446744073709551616",
    "1.0+18446744073709551616",
    "1.0+018446744073709551615",
    "18446744073709551616!1",
    "1.*",
    "1.0.*",
    "1_0",
    "0!0",
    "１.０",
    "1.0ᵃ1",
    "1e3",
    "0x10",
    "1.0-",
    "1.0--1",
];

const SDIST_EXTENSIONS: &[&str] = &[
    ".tar.gz",
    ".zip",
    ".TAR.GZ",
    ".Zip",
    ".tar.bz2",
    ".tgz",
    ".tar",
    ".tar.xz",
    ".gz",
    "",
    ".tar.gz.",
    ".tar.gz ",
    ".whl.tar.gz",
    ".egg",
    ".exe",
];

const BUILDS: &[&str] = &[
    "1",
    "01",
    "0",
    "000",
    "1abc",
    "1_a",
    "1.5",
    "1+x",
    "abc",
    "",
    "99999999999999999999999999x",
    "1ä",
    "\u{663}",
];

const TAGS: &[&str] = &[
    "py3-none-any",
    "py2.py3-none-any",
    "py3.py2-none-any",
    "py3.py3-none-any",
    "PY3-NONE-ANY",
    "Cp311-Abi3-Manylinux_2_17_X86_64",
    "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "cp38.cp39.cp310-abi3.none-macosx_11_0_arm64.win_amd64",
    "py3--any",
    "py3-none-",
    "-none-any",
    ".py3-none-any",
    "py3.-none-any",
    "py3..py2-none-any",
    "3py-none-any",
    "_py3-none-any",
    "py_3-none-any",
    "py3-none",
    "py3-none-any-x",
    "py3-no.ne-any",
    "py3-none-any.",
    "pyä-none-any",
    "py3-nöne-any",
    "py3-none-any.any",
    "py3-none-@ny",
];

/// A small deterministic generator, so a failure names a name that stays the same.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

fn generated(real: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for n in NAMES {
        for v in VERSIONS {
            for e in SDIST_EXTENSIONS {
                out.push(format!("{n}-{v}{e}"));
            }
            out.push(format!("{n}-{v}-py3-none-any.whl"));
        }
    }
    for n in ["foo", "Foo.Bar", "_x", "a__b"] {
        for v in ["1.0", "1.0-1", "V1.0RC1", "1.0+x"] {
            for b in BUILDS {
                for t in TAGS {
                    out.push(format!("{n}-{v}-{b}-{t}.whl"));
                }
            }
            for t in TAGS {
                out.push(format!("{n}-{v}-{t}.whl"));
            }
        }
    }
    for odd in [
        ".whl",
        "-.whl",
        "----.whl",
        "-----.whl",
        "a-1.whl",
        "a-1-2.whl",
        "a-1-2-3.whl",
        "a-1-2-3-4-5-6.whl",
        "a-1-2-3-4-5-6-7.whl",
        "a-1-py3-none-any.WHL",
        "a-1-py3-none-any.whl.whl",
        "a-1-py3-none-any",
        ".tar.gz",
        "-.tar.gz",
        "-1.tar.gz",
        "a-.tar.gz",
        "a--1.tar.gz",
        "a-1-.tar.gz",
        ".zip",
        "a-1.0.zip.tar.gz",
        "a-1.0.tar.gz.zip",
        "foo-99.0-1.tar.gz",
        "foo-99.0-1.zip",
        "foo-1.0.post1.tar.gz",
    ] {
        out.push(odd.to_string());
    }
    // Names around the 255-byte limit, counted in bytes (`é` is two).
    for len in 250..=258 {
        for tail in ["-1.0.tar.gz", "-1.0-py3-none-any.whl"] {
            let stem = "a".repeat(len - tail.len());
            out.push(format!("{stem}{tail}"));
            out.push(format!("é{}{tail}", "a".repeat(len - tail.len() - 2)));
        }
    }
    // Mutants of the real names: each edit is one a hostile or sloppy index might make.
    let pool: Vec<char> = "-_.+!0189aAzZvVrR/\\ :~é\0".chars().collect();
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for name in real {
        let chars: Vec<char> = name.chars().collect();
        out.push(name.to_ascii_uppercase());
        out.push(name.replace('-', "_"));
        out.push(name.replace(['_', '.'], "-"));
        for _ in 0..3 {
            let mut c = chars.clone();
            let at = rng.below(c.len() + 1);
            let with = pool[rng.below(pool.len())];
            match rng.below(3) {
                0 => c.insert(at, with),
                1 if at < c.len() => c[at] = with,
                _ if at < c.len() => {
                    c.remove(at);
                }
                _ => c.push(with),
            }
            out.push(c.into_iter().collect());
        }
    }
    out
}

fn show(p: &Option<Parsed>) -> String {
    match p {
        None => "rejected".into(),
        Some(p) => format!(
            "{} {} {}{}{}",
            p.kind,
            p.name,
            p.version,
            p.build
                .as_ref()
                .map(|(n, s)| format!(" build ({n}, {s:?})"))
                .unwrap_or_default(),
            if p.tags.is_empty() {
                String::new()
            } else {
                format!(" tags {}", p.tags.join(","))
            }
        ),
    }
}

#[test]
fn pyprov_parses_file_names_as_packaging_does() {
    let Some(packaging) = find_packaging() else {
        eprintln!("SKIPPED: no Python with packaging or pip (set PYPROV_TEST_PACKAGING_PYTHON)");
        return;
    };
    let real = real_names();
    assert!(real.len() > 1000, "the real-name fixture is too small");
    let mut names = real.clone();
    let mut seen: BTreeSet<String> = names.iter().cloned().collect();
    let (version, _) = run_packaging(&packaging, &[]);
    let [major, minor] = [0, 1].map(|i| {
        version
            .split('.')
            .nth(i)
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(0)
    });
    let current = (major, minor) >= (26, 3);
    eprintln!(
        "comparing with {} {version} ({}){}",
        packaging.module,
        packaging.python,
        if current {
            ""
        } else {
            ": older than 26.3, so only on the names pyprov accepts"
        }
    );
    names.extend(
        generated(&real)
            .into_iter()
            .filter(|n| seen.insert(n.clone())),
    );

    let (_, theirs) = run_packaging(&packaging, &names);
    let mut mismatches = Vec::new();
    let mut narrowed_real = Vec::new();
    let mut accepted = [0usize; 2];
    for (i, (name, theirs)) in names.iter().zip(theirs).enumerate() {
        let is_real = i < real.len();
        let packaging_accepts = theirs.is_some();
        let expected = match theirs {
            Some((p, false)) if !outside_pyprovs_domain(name) => Some(p),
            _ => None,
        };
        if current && is_real && packaging_accepts && expected.is_none() {
            narrowed_real.push(format!("{name:?}"));
        }
        let ours = pyprov(name);
        if ours.is_some() {
            accepted[usize::from(!is_real)] += 1;
        }
        // An older packaging accepts more (26.3 rejected non-identifier python tags, empty
        // tag parts and empty names): pyprov must still never accept what it does not, nor
        // parse anything differently.
        if ours != expected && (current || ours.is_some()) {
            mismatches.push(format!(
                "{name:?}\n    packaging: {}\n    pyprov:    {}",
                show(&expected),
                show(&ours)
            ));
        }
    }
    eprintln!(
        "{} names ({} real): pyprov accepts {} real and {} generated",
        names.len(),
        real.len(),
        accepted[0],
        accepted[1]
    );
    assert!(
        mismatches.is_empty(),
        "{} of {} names parse differently:\n{}",
        mismatches.len(),
        names.len(),
        mismatches.join("\n")
    );
    assert!(
        narrowed_real.is_empty(),
        "real names packaging accepts but pyprov's narrowing rejects (no real name should \
         need it):\n{}",
        narrowed_real.join("\n")
    );
}

/// The case the whole comparison exists for, spelled out.
#[test]
fn a_dash_in_the_version_makes_another_project() {
    let d = distname::parse("foo-99.0-1.tar.gz").unwrap();
    assert_eq!(
        (d.project(), d.version().to_string().as_str()),
        ("foo-99-0", "1")
    );
    let Some(packaging) = find_packaging() else {
        eprintln!("SKIPPED: no Python with packaging or pip");
        return;
    };
    let (_, theirs) = run_packaging(&packaging, &["foo-99.0-1.tar.gz".to_string()]);
    let (p, _) = theirs[0].clone().expect("packaging parses it");
    assert_eq!((p.name.as_str(), p.version.as_str()), ("foo-99-0", "1"));
}
