//! What users read: one line per file in text, one JSON object with `--format json`.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::trust::policy::{Decision, Verdict};
use crate::trust::Policy;
use crate::verify::distname;
use crate::verify::{EnvironmentCheck, Expectation, Failure, Identity, TlogInfo, Verified};
use crate::vocab::{PackageName, Sha256};

/// Terminal-safe text lives in the vocabulary (layer 0), so every layer escapes one way.
pub use crate::vocab::{term, term_lines};

/// Whether a file verified, in `verify`'s report (`"pass"` / `"fail"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
}

/// The verdict for one file, as printed in JSON (`{"files": [...]}`). `file`, `package`,
/// `version`, `sha256` and `decision` mean what they mean in the installer's report
/// (docs/json.md): one schema for every report.
#[derive(Debug, Serialize)]
pub struct FileReport {
    pub file: String,
    /// The project, when the file name is a distribution's.
    pub package: Option<PackageName>,
    pub version: Option<String>,
    pub sha256: Sha256,
    pub verdict: Outcome,
    pub identity: Option<Identity>,
    pub publisher: Option<String>,
    pub predicate_types: Vec<String>,
    pub transparency_log: Option<TlogInfo>,
    pub environment: Option<EnvironmentCheck>,
    pub provenance: Vec<String>,
    pub reason: Option<Failure>,
    /// The trust policy's decision; absent when an explicit --publisher, --identity or --key
    /// replaced the policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
}

impl FileReport {
    pub fn new(
        file: &Path,
        sha256: &Sha256,
        sources: &[PathBuf],
        outcome: Result<Verified, Failure>,
    ) -> Self {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dist = distname::parse(&name).ok();
        let mut r = FileReport {
            file: file.display().to_string(),
            package: dist.as_ref().map(|d| PackageName::normalize(d.project())),
            version: dist.as_ref().map(|d| d.version().to_string()),
            sha256: *sha256,
            verdict: Outcome::Fail,
            identity: None,
            publisher: None,
            predicate_types: Vec::new(),
            transparency_log: None,
            environment: None,
            provenance: sources.iter().map(|p| p.display().to_string()).collect(),
            reason: None,
            decision: None,
        };
        match outcome {
            Ok(v) => {
                r.verdict = Outcome::Pass;
                r.publisher = v.publisher.as_ref().map(ToString::to_string);
                r.identity = Some(v.identity);
                r.predicate_types = v.predicate_types;
                r.transparency_log = Some(v.transparency_log);
                r.environment = Some(v.environment);
            }
            Err(f) => r.reason = Some(f),
        }
        r
    }

    pub fn passed(&self) -> bool {
        self.verdict == Outcome::Pass
    }
}

pub fn print_json(reports: &[FileReport]) {
    #[derive(Serialize)]
    struct Out<'a> {
        files: &'a [FileReport],
    }
    let text = serde_json::to_string_pretty(&Out { files: reports })
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

/// JSON for `verify`: the files and which trust file decided (null when none did).
pub fn print_json_with_trust(reports: &[FileReport], trust_file: Option<&Path>) {
    #[derive(Serialize)]
    struct Out<'a> {
        trust_file: Option<String>,
        files: &'a [FileReport],
    }
    let out = Out {
        trust_file: trust_file.map(|p| p.display().to_string()),
        files: reports,
    };
    let text =
        serde_json::to_string_pretty(&out).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

/// Text for `verify` under a trust policy: which policy, then one decision per file.
pub fn print_decisions(reports: &[FileReport], policy: &Policy) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", policy_line(policy));
    for r in reports {
        let Some(d) = &r.decision else {
            continue;
        };
        let word = match d.verdict {
            Verdict::Allow => "ALLOW",
            Verdict::Warn => "WARN ",
            Verdict::Deny => "DENY ",
        };
        let _ = writeln!(
            out,
            "{word} {}: {} [{}]",
            term(&r.file),
            term(&d.message),
            d.code.as_str()
        );
        if d.verdict != Verdict::Allow || d.pin.is_some() {
            let _ = writeln!(out, "      fix: {}", term(&d.fix));
        }
    }
}

/// One line saying which trust file (if any) the decisions came from.
pub fn policy_line(policy: &Policy) -> String {
    let settings = format!(
        "unattested = {}, tofu = {}{}{}{}",
        policy.unattested.as_str(),
        policy.tofu,
        if policy.require_environment_proof {
            ", require-environment-proof"
        } else {
            ""
        },
        match policy.cooldown.filter(|c| !c.is_none()) {
            Some(c) => format!(", cooldown = {c}"),
            None => String::new(),
        },
        if policy.locked { ", locked" } else { "" }
    );
    match &policy.source {
        Some(p) => format!(
            "trust file: {} ({settings})",
            term(&p.display().to_string())
        ),
        None => "no trust file used: every file is verified, the publisher the index reported is accepted, unattested files are warned about (start one with `pyprov trust init -r requirements.txt`, or `pyprov trust add`)".into(),
    }
}

pub fn print_text(reports: &[FileReport], expect: &Expectation) {
    let mut out = std::io::stdout().lock();
    for r in reports {
        let _ = writeln!(out, "{}", text_line(r, expect));
    }
}

fn text_line(r: &FileReport, expect: &Expectation) -> String {
    let name = term(&r.file);
    match (&r.reason, &r.identity) {
        (Some(f), _) => format!(
            "FAIL {name}: {} [{}]\n     fix: {}",
            term(&f.message),
            f.reason.code(),
            f.reason.hint()
        ),
        (None, Some(id)) => {
            let mut s = format!("PASS {name}: built by {}", term(&id.describe()));
            if let Some(t) = &r.transparency_log {
                if let Some(i) = t.log_index {
                    s.push_str(&format!(", logged at index {i}"));
                }
                if let Some(ts) = t
                    .integrated_time
                    .and_then(|t| jiff::Timestamp::from_second(t).ok())
                {
                    s.push_str(&format!(" on {ts}"));
                }
            }
            if matches!(expect, Expectation::Anyone) {
                s.push_str(" (no publisher was required: pass --publisher to pin one)");
            }
            if r.environment == Some(EnvironmentCheck::Unproven) {
                s.push_str("\n     note: the certificate does not record a deployment environment, so --environment could not be proven");
            }
            s
        }
        (None, None) => format!("PASS {name}: signed by the expected key"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn terminal_text_shows_controls_and_invisible_characters_as_escapes() {
        assert!(matches!(term("pkg-1.0.tar.gz"), Cow::Borrowed(_)));
        assert_eq!(term("héllo wörld €"), "héllo wörld €");
        assert_eq!(
            term("\x1b]8;;https://evil.example\x1b\\ok\x1b]8;;\x1b\\"),
            "\\x1b]8;;https://evil.example\\x1b\\ok\\x1b]8;;\\x1b\\"
        );
        assert_eq!(term("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(
            term("DENY\rALLOW\n\t\0\x7f"),
            "DENY\\rALLOW\\n\\t\\x00\\x7f"
        );
        assert_eq!(term("\u{9b}2J"), "\\u{9b}2J");
        assert_eq!(term("abc\u{202e}lmth.exe"), "abc\\u{202e}lmth.exe");
        for c in [
            '\u{202a}',
            '\u{2066}',
            '\u{2069}',
            '\u{200b}',
            '\u{feff}',
            '\u{2028}',
            '\u{e0041}',
        ] {
            assert_eq!(term(&c.to_string()), format!("\\u{{{:x}}}", c as u32));
        }
        assert_eq!(term_lines("one\x1b[A\ntwo\r"), "one\\x1b[A\ntwo\\r");
    }
}
