//! pip is confined to pyprov's gate, whatever it is told elsewhere: its configuration files and
//! `PIP_*` variables, abbreviated options on the command line or in requirements files,
//! proxy variables, direct URLs inside packages' metadata or local projects, lying PEP 658
//! metadata, and hostile file names. Each scenario runs with the oldest pip pyprov supports
//! (22.2.2) and the newest tested (26.3), real pip in real venvs.
//!
//! An "evil" second index on 127.0.0.1 serves `payload`, an unsigned sdist whose build backend
//! writes a marker file as soon as any of its code runs. pyprov's own client may fetch from it
//! (to vet what it serves: unattested files are denied here), but no request from pip itself
//! (`User-Agent: pip/…`) may ever reach it, its code must never run, and a refusal must leave
//! the venv as it was.

// A test may panic: that is how it fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::string_slice,
    clippy::disallowed_names,
    clippy::cloned_ref_to_slice_refs
)]

use crate::support::context::{row, TestContext};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::dists::{self, Dist};
use crate::support::index::{Format, TestIndex};

use crate::support::venv::{PipVersion, Venv};
use serde_json::Value;

const REPO: &str = "acme/widgets";
const DENY: &str = "[policy]\nunattested = \"deny\"\n";

/// The context of one scenario: a [`TestContext`] with the pip under test (whose index serves
/// the test build backend, and whose trust file denies unattested files), plus the evil index
/// and what every refusal must leave.
struct Ctx {
    ctx: TestContext,
    evil: TestIndex,
    /// `venv.freeze()` when the context was made: what every refusal must leave.
    frozen: String,
    /// The venv's site-packages listing then: compared after each refusal (a freeze, which
    /// runs pip, is compared once at the end of a scenario, to keep the file fast).
    listing: Vec<String>,
    /// Written by payload's build backend when any of its code runs.
    marker: PathBuf,
    payload: Dist,
}

impl std::ops::Deref for Ctx {
    type Target = TestContext;

    fn deref(&self) -> &TestContext {
        &self.ctx
    }
}

/// What one pyprov run answered.
struct Outcome {
    code: i32,
    json: Value,
    stderr: String,
}

/// An environment change for one run: set, or remove when `None`.
type Env<'a> = &'a [(&'a str, Option<&'a str>)];

impl Ctx {
    fn new(pip: PipVersion) -> Ctx {
        let ctx = TestContext::with_pip(pip);
        let venv = ctx.venv();
        let marker = ctx.path("marker");
        let evil = TestIndex::new();
        ctx.add_literal_filter(&evil.base_url(), "[EVIL]");
        let payload = dists::sdist("payload", "1.0", &[], Some(&marker));
        evil.add("payload", payload.clone());
        // Built with pip's build isolation from the good index, for local projects.
        ctx.publish(&dists::backend_wheel(), "acme/backend");
        ctx.trust_file(DENY);
        Ctx {
            frozen: venv.freeze(),
            listing: listing(venv),
            ctx,
            evil,
            marker,
            payload,
        }
    }

    fn evil_index(&self) -> String {
        self.evil.url()
    }

    /// The evil payload's direct URL.
    fn payload_url(&self) -> String {
        self.evil.file_url(&self.payload.filename)
    }

    fn command(&self, sub: &str, args: &[&str], env: Env<'_>) -> Command {
        let mut cmd = self.pyprov_pip(sub);
        cmd.args(["--format", "json"]).args(args);
        for (k, v) in env {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd
    }

    fn run(&self, sub: &str, args: &[&str], env: Env<'_>) -> Outcome {
        self.evil.clear_log();
        let out = self.command(sub, args, env).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        eprintln!(
            "--- [{:?}] pyprov {sub} {args:?} {env:?}: {:?}\n{stdout}\n{stderr}",
            self.pip,
            out.status.code()
        );
        // pip's own output shares stdout; the report is the last JSON object.
        let json = stdout
            .rfind("\n{")
            .map(|i| &stdout[i + 1..])
            .or_else(|| stdout.starts_with('{').then_some(&stdout[..]))
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or(Value::Null);
        Outcome {
            code: out.status.code().unwrap_or(-1),
            json,
            stderr,
        }
    }

    fn install(&self, args: &[&str], env: Env<'_>) -> Outcome {
        self.run("install", args, env)
    }

    /// A fresh venv with this context's pip, for a run that is meant to install something.
    fn fresh_venv(&self, name: &str) -> Venv {
        self.new_venv(name)
    }

    /// Whatever happened, no request from pip itself reached the evil server, and none of
    /// payload's code ran.
    fn assert_confined(&self, what: &str) {
        let from_pip: Vec<_> = self
            .evil
            .requests()
            .into_iter()
            .filter(|r| {
                !r.user_agent
                    .as_deref()
                    .is_some_and(|ua| ua.starts_with("pyprov/"))
            })
            .collect();
        assert!(
            from_pip.is_empty(),
            "[{:?}] {what}: pip reached the evil server around the gate: {from_pip:#?}",
            self.pip
        );
        assert!(
            !self.marker.exists(),
            "[{:?}] {what}: payload's code ran: {:?}",
            self.pip,
            std::fs::read_to_string(&self.marker)
        );
    }

    /// A refusal: exit 1, the report names `file` with `code`, nothing installed, confined.
    fn assert_refused(&self, what: &str, out: &Outcome, file: &str, code: &str) {
        let pip = self.pip;
        assert_eq!(
            out.code, 1,
            "[{pip:?}] {what}: {:#}\n{}",
            out.json, out.stderr
        );
        let r = row(&out.json, file);
        assert_eq!(r["code"], code, "[{pip:?}] {what}: {:#}", out.json);
        assert_eq!(r["verdict"], "deny", "[{pip:?}] {what}");
        assert_ne!(out.json["installed"], true, "[{pip:?}] {what}");
        assert_eq!(
            listing(self.venv()),
            self.listing,
            "[{pip:?}] {what}: a refusal installed something"
        );
        self.assert_confined(what);
    }

    /// The end of a scenario whose refusals all used the context's venv.
    fn assert_venv_untouched(&self) {
        assert_eq!(self.venv().freeze(), self.frozen, "[{:?}]", self.pip);
    }

    /// The evil payload refused as an unattested file pyprov fetched and vetted itself.
    fn assert_payload_refused(&self, what: &str, out: &Outcome) {
        self.assert_refused(what, out, &self.payload.filename, "unattested-denied");
    }
}

/// The report's row for a file, by its name or (for a direct URL decided before it was
/// fetched, whose row has no file name) its URL.
fn listing(venv: &Venv) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(venv.site_packages())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The distributions a venv has beyond what it was made with (pip, setuptools).
fn added(venv: &Venv, before: &str) -> Vec<String> {
    let before: Vec<&str> = before.lines().collect();
    venv.freeze()
        .lines()
        .filter(|l| !before.contains(l))
        .map(str::to_string)
        .collect()
}

/// Indexes and find-links from every place pip reads configuration are served through the
/// gate (so payload is vetted by pyprov and refused), never handed to pip.
fn config_sources(pip: PipVersion) {
    let ctx = Ctx::new(pip);
    let evil = ctx.evil_index();
    let links = format!("{}payload/", evil);

    let conf = ctx.temp().join("evil.conf");
    std::fs::write(&conf, format!("[global]\nextra-index-url = {evil}\n")).unwrap();
    let out = ctx.install(
        &["payload"],
        &[("PIP_CONFIG_FILE", Some(conf.to_str().unwrap()))],
    );
    ctx.assert_payload_refused("extra-index-url in PIP_CONFIG_FILE", &out);

    let user = ctx.home.join(".config/pip");
    std::fs::create_dir_all(&user).unwrap();
    std::fs::write(
        user.join("pip.conf"),
        format!("[install]\nfind-links = {links}\n"),
    )
    .unwrap();
    let out = ctx.install(&["payload"], &[("PIP_CONFIG_FILE", None)]);
    ctx.assert_payload_refused("find-links in the user's pip.conf", &out);
    std::fs::remove_file(user.join("pip.conf")).unwrap();

    let site = ctx.venv().root().join("pip.conf");
    // index-url, which the command line's -i would override: the site config's own words.
    std::fs::write(&site, format!("[global]\nextra-index-url = {evil}\n")).unwrap();
    let out = ctx.install(&["payload"], &[("PIP_CONFIG_FILE", None)]);
    ctx.assert_payload_refused("extra-index-url in the venv's pip.conf", &out);
    std::fs::remove_file(&site).unwrap();

    let out = ctx.install(&["payload"], &[("PIP_EXTRA_INDEX_URL", Some(&evil))]);
    ctx.assert_payload_refused("PIP_EXTRA_INDEX_URL", &out);
    let out = ctx.install(&["payload"], &[("PIP_FIND_LINKS", Some(&links))]);
    ctx.assert_payload_refused("PIP_FIND_LINKS", &out);
    ctx.assert_venv_untouched();
}
both_pips!(config_sources);

/// Abbreviated and joined option spellings, on the command line and in requirements and
/// constraints files, are pip's options as pip would read them: served through the gate.
fn option_spellings(pip: PipVersion) {
    let ctx = Ctx::new(pip);
    let evil = ctx.evil_index();
    let links = format!("{}payload/", evil);
    let cases: Vec<(String, Vec<String>)> = vec![
        (
            "--extra-index".into(),
            vec!["--extra-index".into(), evil.clone(), "payload".into()],
        ),
        (
            "--index".into(),
            vec!["--index".into(), evil.clone(), "payload".into()],
        ),
        (
            "--find".into(),
            vec!["--find".into(), links.clone(), "payload".into()],
        ),
        (
            "-Uf".into(),
            vec!["-Uf".into(), links.clone(), "payload".into()],
        ),
        (
            "-UfURL".into(),
            vec![format!("-Uf{links}"), "payload".into()],
        ),
    ];
    for (what, args) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = ctx.install(&args, &[]);
        ctx.assert_payload_refused(what, &out);
    }

    let reqs = ctx.temp().join("requirements.txt");
    std::fs::write(&reqs, format!("--extra-index {evil}\npayload\n")).unwrap();
    let out = ctx.install(&["-r", reqs.to_str().unwrap()], &[]);
    ctx.assert_payload_refused("--extra-index in a requirements file", &out);

    let cons = ctx.temp().join("constraints.txt");
    std::fs::write(&cons, format!("--extra-index {evil}\n")).unwrap();
    let out = ctx.install(&["-c", cons.to_str().unwrap(), "payload"], &[]);
    ctx.assert_payload_refused("--extra-index in a constraints file", &out);

    let out = ctx.install(&["--only", "x", "payload"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "error: ambiguous option: --only could be --only-deps, --only-dependencies, \
         --only-final, --only-binary\n  fix: see `pyprov install --help`; pyprov reads pip's \
         options as pip does\n"
    );
    ctx.assert_confined("--only");
    ctx.assert_venv_untouched();
}
both_pips!(option_spellings);

/// `--isolated` and `PIP_*` variables pip would then ignore, and proxy variables: pip still
/// sees only the gate.
fn isolated_and_proxies(pip: PipVersion) {
    let ctx = Ctx::new(pip);
    let evil = ctx.evil_index();
    let beta = dists::wheel("beta", "2.0", &[], &[]);
    ctx.publish(&beta, REPO);

    // pip, isolated, ignores PIP_*; so does pyprov: beta comes from the good index alone.
    let venv = ctx.fresh_venv("isolated");
    let before = venv.freeze();
    let python = venv.python();
    let out = ctx.install(
        &["--isolated", "beta", "--python", python.to_str().unwrap()],
        &[
            ("PIP_INDEX_URL", Some(&evil)),
            ("PIP_EXTRA_INDEX_URL", Some(&evil)),
        ],
    );
    assert_eq!(out.code, 0, "{:#}\n{}", out.json, out.stderr);
    assert_eq!(added(&venv, &before), ["beta==2.0"]);
    assert!(ctx.evil.requests().is_empty(), "{:#?}", ctx.evil.requests());
    ctx.assert_confined("--isolated");

    // Proxy variables naming evil, and NO_PROXY exempting loopback (pyprov's own client
    // honours them; pip must not): pip fetches payload's direct URL only through the gate.
    let carrier = dists::wheel(
        "carrier",
        "1.0",
        &[&format!("payload @ {}", ctx.payload_url())],
        &[],
    );
    ctx.publish(&carrier, REPO);
    let proxy = ctx.evil.base_url();
    let out = ctx.install(
        &["carrier"],
        &[
            ("HTTP_PROXY", Some(&proxy)),
            ("HTTPS_PROXY", Some(&proxy)),
            ("ALL_PROXY", Some(&proxy)),
            ("http_proxy", Some(&proxy)),
            ("https_proxy", Some(&proxy)),
            ("NO_PROXY", Some("127.0.0.1,localhost")),
            ("no_proxy", Some("127.0.0.1,localhost")),
        ],
    );
    ctx.assert_payload_refused("proxy variables", &out);
    ctx.assert_venv_untouched();
}
both_pips!(isolated_and_proxies);

/// The pyproject.toml of a local project built by the test backend.
fn local_project(dir: &Path, dependencies: &[&str], build_requires: &[&str]) {
    std::fs::create_dir_all(dir.join("localproj")).unwrap();
    std::fs::write(dir.join("localproj/__init__.py"), "").unwrap();
    let mut requires = vec![dists::BACKEND_NAME.to_string()];
    requires.extend(build_requires.iter().map(|s| s.to_string()));
    std::fs::write(
        dir.join("pyproject.toml"),
        format!(
            "[build-system]\nrequires = {}\nbuild-backend = \"pyprov_test_backend\"\n",
            serde_json::to_string(&requires).unwrap()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("pyprov_build.json"),
        serde_json::json!({
            "name": "localproj", "escaped": "localproj", "version": "0.1",
            "requires_dist": dependencies, "packages": ["localproj"],
        })
        .to_string(),
    )
    .unwrap();
}

/// Direct URLs pyprov never sees up front: in a vetted wheel's metadata, in a local project's
/// dependencies or build requirements, in a constraints file.
fn direct_urls(pip: PipVersion) {
    let ctx = Ctx::new(pip);
    let url = ctx.payload_url();
    let dep = format!("payload @ {url}");

    let carrier = dists::wheel("carrier", "1.0", &[&dep], &[]);
    ctx.publish(&carrier, REPO);
    let out = ctx.install(&["carrier"], &[]);
    ctx.assert_payload_refused("http direct URL in a wheel's Requires-Dist", &out);

    // https: a tunnel the gate cannot look into, refused as such; nothing listens there.
    let tunnel = dists::wheel(
        "tunnel",
        "1.0",
        &["payload @ https://127.0.0.1:1/payload-1.0.tar.gz"],
        &[],
    );
    ctx.publish(&tunnel, REPO);
    let out = ctx.install(&["tunnel"], &[]);
    ctx.assert_refused(
        "https direct URL in a wheel's Requires-Dist",
        &out,
        "https://127.0.0.1:1/",
        "outside-gate",
    );

    let proj = ctx.temp().join("localdeps");
    local_project(&proj, &[&dep], &[]);
    let out = ctx.install(&[proj.to_str().unwrap()], &[]);
    ctx.assert_payload_refused("http direct URL in a local project's dependencies", &out);

    let proj = ctx.temp().join("localbuild");
    local_project(&proj, &[], &[&dep]);
    let out = ctx.install(&[proj.to_str().unwrap()], &[]);
    ctx.assert_payload_refused(
        "http direct URL in a local project's build requirements",
        &out,
    );

    let cons = ctx.temp().join("constraints.txt");
    std::fs::write(&cons, format!("{dep}\n")).unwrap();
    let out = ctx.install(&["-c", cons.to_str().unwrap(), "payload"], &[]);
    // Decided up front, by policy, without fetching it.
    ctx.assert_refused(
        "http direct URL in a constraints file",
        &out,
        &url,
        "unattested-denied",
    );
    ctx.assert_venv_untouched();
}
both_pips!(direct_urls);

/// PEP 658 metadata that lies about a wheel's dependencies never reaches pip: it resolves from
/// the vetted wheel's own METADATA.
fn metadata_lies(pip: PipVersion) {
    let ctx = Ctx::new(pip);
    let liar = dists::wheel("liar", "1.0", &["beta"], &[]);
    let beta = dists::wheel("beta", "2.0", &[], &[]);
    let extra = dists::wheel("extra-pkg", "1.0", &[], &[]);
    for d in [&liar, &beta, &extra] {
        ctx.publish(d, REPO);
    }
    let lie = |requires: &[String]| {
        let mut m = String::from("Metadata-Version: 2.1\nName: liar\nVersion: 1.0\n");
        for r in requires {
            m.push_str(&format!("Requires-Dist: {r}\n"));
        }
        m
    };
    let lies = [
        (
            "adds a dependency, drops the real one",
            lie(&["extra-pkg".into()]),
        ),
        (
            "adds a direct URL",
            lie(&["beta".into(), format!("payload @ {}", ctx.payload_url())]),
        ),
    ];
    for (i, (what, metadata)) in lies.into_iter().enumerate() {
        ctx.index()
            .set_metadata_override(&liar.filename, Some(metadata));
        let venv = ctx.fresh_venv(&format!("lies{i}"));
        let before = venv.freeze();
        let python = venv.python();
        let out = ctx.install(&["liar", "--python", python.to_str().unwrap()], &[]);
        assert_eq!(out.code, 0, "{what}: {:#}\n{}", out.json, out.stderr);
        assert_eq!(added(&venv, &before), ["beta==2.0", "liar==1.0"], "{what}");
        assert!(
            ctx.evil.requests().is_empty(),
            "{what}: {:#?}",
            ctx.evil.requests()
        );
        ctx.assert_confined(what);
        let trust = std::fs::read_to_string(ctx.work.join("pyprov.toml")).unwrap();
        assert!(!trust.contains("extra"), "{what}: {trust}");
    }
}
both_pips!(metadata_lies);

/// Every file named `name` under the directories a `../..` from `dirs` could reach.
fn strays(name: &str, dirs: &[&Path]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for d in dirs {
        for a in d.ancestors().take(4) {
            let p = a.join(name);
            if p.exists() {
                found.push(p);
            }
        }
    }
    found
}

/// A file on foo's page whose name parses to another project is never offered to pip, and a
/// name with a path in it never writes outside the vetted directory.
fn file_names(pip: PipVersion) {
    let ctx = Ctx::new(pip);
    let foo = dists::wheel("foo", "1.0", &[], &[]);
    ctx.publish(&foo, REPO);
    ctx.trust_file(&format!(
        "{DENY}[packages]\nfoo = {{ publisher = \"github:{REPO}/release.yml\" }}\n"
    ));
    // pip would read it as foo 99.0.post1; its name says project foo-99-0, version 1.
    let mut odd = dists::sdist("foo", "99.0", &[], Some(&ctx.marker));
    odd.filename = "foo-99.0-1.tar.gz".into();
    ctx.index().add("foo", odd);
    let venv = ctx.fresh_venv("names");
    let before = venv.freeze();
    let python = venv.python();
    let out = ctx.install(&["foo", "--python", python.to_str().unwrap()], &[]);
    assert_eq!(out.code, 0, "{:#}\n{}", out.json, out.stderr);
    assert_eq!(added(&venv, &before), ["foo==1.0"]);
    assert_eq!(
        row(&out.json, "foo-99.0-1.tar.gz"),
        &Value::Null,
        "{:#}",
        out.json
    );
    ctx.assert_confined("foo-99.0-1.tar.gz");

    let stray = "evil-1.0-py3-none-any.whl";
    let evilwheel = dists::wheel("evil", "1.0", &[], &[]);
    let prov = dists::provenance_for(ctx.pki(), &evilwheel, REPO, "release.yml");
    ctx.index()
        .add_with_provenance("foo", evilwheel.clone(), Some(prov));
    ctx.index()
        .set_listed_name(&evilwheel.filename, Some("../../evil-1.0-py3-none-any.whl"));
    let foo2 = dists::wheel("foo", "2.0", &[], &[]);
    let prov = dists::provenance_for(ctx.pki(), &foo2, REPO, "release.yml");
    ctx.index()
        .add_with_provenance("foo", foo2.clone(), Some(prov));
    ctx.index()
        .set_listed_name(&foo2.filename, Some("../../foo-2.0-py3-none-any.whl"));
    let tmp = std::env::temp_dir().join("x");
    let before_strays = strays(stray, &[&tmp]);
    for format in [Format::JsonOnly, Format::HtmlOnly] {
        ctx.index().set_format(format);
        let venv = ctx.fresh_venv(&format!("traversal-{format:?}"));
        let python = venv.python();
        let out = ctx.install(&["foo", "--python", python.to_str().unwrap()], &[]);
        assert_eq!(out.code, 0, "{format:?}: {:#}\n{}", out.json, out.stderr);
        assert_eq!(venv.packages().get("foo").map(String::as_str), Some("1.0"));
        let dest = ctx.temp().join(format!("dl-{format:?}/a/b"));
        std::fs::create_dir_all(&dest).unwrap();
        let out = ctx.run("download", &["foo", "-d", dest.to_str().unwrap()], &[]);
        assert_eq!(out.code, 0, "{format:?}: {:#}\n{}", out.json, out.stderr);
        let listed: Vec<_> = std::fs::read_dir(&dest)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(listed, [foo.filename.clone()], "{format:?}");
        for name in [stray, "foo-2.0-py3-none-any.whl"] {
            let found = strays(name, &[&dest, &ctx.work, &ctx.cache, &tmp]);
            let new: Vec<_> = found
                .iter()
                .filter(|p| !before_strays.contains(p))
                .collect();
            assert!(new.is_empty(), "{format:?}: {new:?}");
        }
        ctx.assert_confined("traversal names");
    }
}
both_pips!(file_names);
