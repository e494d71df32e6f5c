//! The end report of an install: one row per file (package, version, file, verdict, publisher,
//! and for refusals the reason and what to do), as a table or as JSON, plus progress display
//! that stays quiet when stderr is not a terminal.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use console::style;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use super::gate::{Gate, ProvenanceSource, Vetted, Withheld};
use crate::cli::Format;
use crate::index;
use crate::output::term;
use crate::trust::policy::{Decision, Verdict};

/// A row's verdict: a policy verdict, or `local` for the user's own files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RowVerdict {
    Allow,
    Warn,
    Deny,
    Local,
}

impl RowVerdict {
    fn as_str(self) -> &'static str {
        match self {
            RowVerdict::Allow => "allow",
            RowVerdict::Warn => "warn",
            RowVerdict::Deny => "deny",
            RowVerdict::Local => "local",
        }
    }
}

/// One file of the report. `file`, `package`, `version`, `sha256` and `decision` mean what
/// they mean in `verify`'s report (docs/json.md); `verdict`, `code`, `message` and `fix` repeat
/// the decision's, flat, as the report has always had them.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Row {
    pub package: String,
    pub version: Option<String>,
    pub file: String,
    pub sha256: Option<String>,
    pub verdict: RowVerdict,
    pub code: String,
    pub publisher: Option<String>,
    pub git_ref: Option<String>,
    pub message: String,
    pub fix: Option<String>,
    pub source: String,
    pub provenance: Option<ProvenanceSource>,
    pub from_cache: bool,
    /// The evidence behind a verified verdict (shown with -v).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<crate::verify::Verified>,
    /// The policy's decision (none for the user's own files).
    pub decision: Option<Decision>,
}

impl Row {
    pub(crate) fn from_vetted(v: &Vetted) -> Row {
        let publisher = v.verified.as_ref().map(|ver| match &ver.publisher {
            Some(p) => p.to_string(),
            None => ver.identity.describe(),
        });
        Row {
            package: v.project.clone(),
            version: v.version.clone(),
            file: v.filename.clone(),
            sha256: Some(v.sha256.clone()).filter(|s| !s.is_empty()),
            verdict: verdict(&v.decision),
            code: v.decision.code.as_str().to_string(),
            publisher,
            git_ref: v
                .verified
                .as_ref()
                .and_then(|ver| ver.identity.git_ref.clone()),
            message: v.decision.message.clone(),
            fix: Some(v.decision.fix.clone()).filter(|f| !f.is_empty()),
            source: v.url.clone(),
            provenance: Some(v.provenance.clone()),
            from_cache: v.from_cache,
            evidence: v.verified.clone(),
            decision: Some(v.decision.clone()),
        }
    }

    pub(crate) fn from_decision(
        package: &str,
        version: Option<&str>,
        source: &str,
        d: Decision,
    ) -> Row {
        Row {
            package: package.to_string(),
            version: version.map(str::to_string),
            // A decision on a URL (a direct URL, a tunnel): its last segment names the file.
            file: url::Url::parse(source)
                .ok()
                .and_then(|u| index::page::file_name_of(&u))
                .unwrap_or_default(),
            sha256: None,
            verdict: verdict(&d),
            code: d.code.as_str().to_string(),
            publisher: None,
            git_ref: None,
            message: d.message.clone(),
            fix: Some(d.fix.clone()).filter(|f| !f.is_empty()),
            source: index::redact_text(source),
            provenance: None,
            from_cache: false,
            evidence: None,
            decision: Some(d),
        }
    }

    pub(crate) fn local(package: &str, url: &str, editable: bool) -> Row {
        Row {
            package: package.to_string(),
            version: None,
            file: String::new(),
            sha256: None,
            verdict: RowVerdict::Local,
            code: "local-source".into(),
            publisher: None,
            git_ref: None,
            message: format!(
                "{}{} is installed from your own files, which have no provenance to verify",
                if editable { "editable " } else { "" },
                index::redact_text(url)
            ),
            fix: None,
            source: index::redact_text(url),
            provenance: None,
            from_cache: false,
            evidence: None,
            decision: None,
        }
    }

    fn denied(&self) -> bool {
        self.verdict == RowVerdict::Deny
    }
}

fn verdict(d: &Decision) -> RowVerdict {
    match d.verdict {
        Verdict::Allow => RowVerdict::Allow,
        Verdict::Warn => RowVerdict::Warn,
        Verdict::Deny => RowVerdict::Deny,
    }
}

/// The cooldown in effect (docs/trust-file.md, Cooldowns) and the files it kept from pip.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CooldownReport {
    /// `[policy] cooldown` (`null` when only entries set one).
    pub policy: Option<crate::trust::Cooldown>,
    /// What it cut at in this run: files uploaded at or after it are not offered.
    pub cutoff: Option<String>,
    /// Every file withheld from the pages pip read, with why.
    pub withheld: Vec<Withheld>,
}

impl CooldownReport {
    /// The lines of the text report.
    fn lines(&self) -> String {
        let head = match (&self.policy, &self.cutoff) {
            (Some(c), Some(cut)) => {
                format!("cooldown {c}: files uploaded at or after {cut} are not offered to pip")
            }
            _ => "cooldown: the trust file sets one for some packages".to_string(),
        };
        let mut out = match self.withheld.len() {
            0 => format!("{head}; none of the files pip looked at was held back\n"),
            n => format!(
                "{head}; held back {n} file{}:\n",
                if n == 1 { "" } else { "s" }
            ),
        };
        for w in &self.withheld {
            out.push_str(&format!(
                "    {} [{}]\n",
                term(&w.message()),
                w.reason.as_str()
            ));
        }
        out
    }
}

pub(crate) struct RunReport {
    pub rows: Vec<Row>,
    /// The cooldown in effect, when one applies to any package.
    pub cooldown: Option<CooldownReport>,
    /// With -v the table shows the evidence: certificate claims, log entry, source URL.
    pub verbose: bool,
    pub installed: bool,
    /// What pip kept as installed (project, version): not installed, so not verified.
    pub satisfied: Vec<(String, String)>,
    notes: Vec<String>,
    /// Notes already shown with the text table.
    shown_notes: usize,
    trust_file: Option<PathBuf>,
    format: Format,
}

impl RunReport {
    pub(crate) fn new(trust_file: Option<PathBuf>, format: Format) -> RunReport {
        RunReport {
            rows: Vec::new(),
            cooldown: None,
            verbose: false,
            installed: false,
            satisfied: Vec::new(),
            notes: Vec::new(),
            shown_notes: 0,
            trust_file,
            format,
        }
    }

    /// Says which cooldown applied and what it withheld (nothing, when no cooldown applies).
    pub(crate) fn set_cooldown(&mut self, gate: &Gate, withheld: Vec<Withheld>) {
        if !gate.any_cooldown() && withheld.is_empty() {
            return;
        }
        let policy = gate.policy_cooldown();
        self.cooldown = Some(CooldownReport {
            policy: policy.map(|(c, _)| c),
            cutoff: policy.map(|(_, t)| index::page::format_upload_time(t)),
            withheld,
        });
    }

    /// The cooldown's lines of the text report, when a cooldown held any file back: printed
    /// before pip's own words when pip found nothing left to install.
    pub(crate) fn cooldown_lines(&self) -> Option<String> {
        self.cooldown
            .as_ref()
            .filter(|c| !c.withheld.is_empty())
            .map(CooldownReport::lines)
    }

    pub(crate) fn format(&self) -> Format {
        self.format
    }

    pub(crate) fn any_denied(&self) -> bool {
        self.rows.iter().any(Row::denied)
    }

    /// A line for the end of the report. One line: it is printed through [`term`], which
    /// shows a newline as `\n`.
    pub(crate) fn note(&mut self, n: &str) {
        self.notes.push(n.to_string());
    }

    /// Text: the verdict table, before pip installs anything. JSON waits for [`Self::finish`].
    pub(crate) fn show_verdicts(&mut self) {
        // -q hides the table when every file was allowed; -qq unless something was refused.
        let all_allowed = self.rows.iter().all(|r| r.verdict == RowVerdict::Allow);
        let quiet = match verbosity() {
            v if v <= -2 => !self.any_denied(),
            -1 => all_allowed,
            _ => false,
        };
        if self.format == Format::Text && !quiet {
            let _ = write!(std::io::stderr().lock(), "{}", self.table());
            self.shown_notes = self.notes.len();
        }
    }

    /// The end of the run: the JSON object, or the notes the table has not shown yet.
    pub(crate) fn finish(&self) {
        match self.format {
            Format::Json => self.print(),
            Format::Text => {
                for n in self.notes.iter().skip(self.shown_notes) {
                    eprintln!("{}", term(n));
                }
            }
        }
    }

    /// Prints the verdicts: a table on stderr (pip's own output stays on stdout), or one JSON
    /// object on stdout (pip's output then goes to stderr).
    pub(crate) fn print(&self) {
        match self.format {
            Format::Json => {
                #[derive(Serialize)]
                struct Out<'a> {
                    trust_file: Option<String>,
                    installed: bool,
                    files: &'a [Row],
                    already_satisfied: Vec<Satisfied<'a>>,
                    notes: &'a [String],
                    #[serde(skip_serializing_if = "Option::is_none")]
                    cooldown: Option<&'a CooldownReport>,
                }
                #[derive(Serialize)]
                struct Satisfied<'a> {
                    package: &'a str,
                    version: &'a str,
                }
                let out = Out {
                    trust_file: self.trust_file.as_ref().map(|p| p.display().to_string()),
                    installed: self.installed,
                    files: &self.rows,
                    already_satisfied: self
                        .satisfied
                        .iter()
                        .map(|(package, version)| Satisfied { package, version })
                        .collect(),
                    notes: &self.notes,
                    cooldown: self.cooldown.as_ref(),
                };
                match serde_json::to_string_pretty(&out) {
                    Ok(text) => {
                        let _ = writeln!(std::io::stdout().lock(), "{text}");
                    }
                    Err(e) => eprintln!("error: the JSON report could not be written: {e}"),
                }
            }
            Format::Text => {
                let quiet = verbosity() <= -2 && !self.any_denied();
                if !quiet {
                    let _ = write!(std::io::stderr().lock(), "{}", self.table());
                }
            }
        }
    }

    /// The text table. Everything in a row came from an index or a certificate, so each field
    /// is made safe for the terminal ([`term`]) before it is measured and printed.
    pub(crate) fn table(&self) -> String {
        let mut out = String::new();
        match &self.trust_file {
            Some(p) => out.push_str(&format!("trust file: {}\n", term(&p.display().to_string()))),
            None => out.push_str("no trust file used (pyprov.toml): every file is verified, the publisher the index reports is trusted, unattested files are warned about\n  start one: `pyprov trust init -r requirements.txt` pins each package to the publisher its files prove\n"),
        }
        let cells: Vec<[String; 3]> = self
            .rows
            .iter()
            .map(|r| {
                [
                    term(&r.package).into_owned(),
                    term(r.version.as_deref().unwrap_or("-")).into_owned(),
                    term(&r.file).into_owned(),
                ]
            })
            .collect();
        let width = |i: usize, head: &str| {
            cells
                .iter()
                .map(|c| c[i].chars().count())
                .max()
                .unwrap_or(0)
                .max(head.len())
        };
        let widths = [width(0, "PACKAGE"), width(1, "VERSION"), width(2, "FILE")];
        out.push_str(&format!(
            "{:w0$}  {:w1$}  {:w2$}  {:7}  PUBLISHER\n",
            "PACKAGE",
            "VERSION",
            "FILE",
            "VERDICT",
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        ));
        for (r, cells) in self.rows.iter().zip(&cells) {
            out.push_str(&self.row_lines(r, cells, &widths));
        }
        out.push_str(&self.footer());
        out
    }

    /// One row of the table, with its evidence (under -v) and, unless allowed, why and the fix.
    fn row_lines(
        &self,
        r: &Row,
        [package, version, file]: &[String; 3],
        widths: &[usize; 3],
    ) -> String {
        let v = match r.verdict {
            RowVerdict::Allow => style("allow").for_stderr().green().to_string(),
            RowVerdict::Deny => style("DENY").for_stderr().red().bold().to_string(),
            RowVerdict::Warn => style("warn").for_stderr().yellow().to_string(),
            RowVerdict::Local => "local".to_string(),
        };
        let publisher = match (&r.publisher, &r.git_ref) {
            (Some(p), Some(g)) => format!("{p} at {g}"),
            (Some(p), None) => p.clone(),
            _ => "-".into(),
        };
        // Pad before styling: escape codes would break the alignment.
        let pad = " ".repeat(7usize.saturating_sub(r.verdict.as_str().len().min(7)));
        let mut out = format!(
            "{package:w0$}  {version:w1$}  {file:w2$}  {v}{pad}  {}\n",
            term(&publisher),
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
        if self.verbose {
            out.push_str(&evidence_lines(r));
        }
        if r.verdict != RowVerdict::Allow {
            out.push_str(&format!("    {} [{}]\n", term(&r.message), r.code));
            if let Some(f) = &r.fix {
                out.push_str(&format!("    fix: {}\n", term(f)));
            }
        }
        out
    }

    /// The lines after the rows: how many files were refused, what was kept, the notes.
    fn footer(&self) -> String {
        let mut out = String::new();
        let denied = self.rows.iter().filter(|r| r.denied()).count();
        if denied > 0 {
            out.push_str(&format!(
                "{}\n",
                style(format!(
                    "refused: {denied} of {} files failed verification or policy; nothing was installed",
                    self.rows.len()
                ))
                .for_stderr()
                .red()
            ));
        }
        if !self.satisfied.is_empty() {
            let kept: Vec<String> = self
                .satisfied
                .iter()
                .map(|(p, v)| format!("{} {}", term(p), term(v)))
                .collect();
            out.push_str(&format!(
                "already satisfied, kept as installed (not reinstalled, so not verified): {}\n",
                kept.join(", ")
            ));
        }
        if let Some(c) = &self.cooldown {
            out.push_str(&c.lines());
        }
        for n in &self.notes {
            out.push_str(&format!("{}\n", term(n)));
        }
        out
    }
}

/// Where a row's file came from, and what its certificate and log entry say (-v).
fn evidence_lines(r: &Row) -> String {
    let mut out = format!(
        "    from {}{}\n",
        term(&r.source),
        if r.from_cache { " (cached)" } else { "" }
    );
    if let Some(ev) = &r.evidence {
        let id = &ev.identity;
        for (k, v) in [
            ("issuer", &id.issuer),
            ("san", &id.san),
            ("repository", &id.repository),
            ("commit", &id.commit),
            ("build config", &id.build_config_uri),
            ("run", &id.run_invocation_uri),
            ("environment", &id.environment),
        ] {
            if let Some(v) = v {
                out.push_str(&format!("    {k}: {}\n", term(v)));
            }
        }
        if let Some(i) = ev.transparency_log.log_index {
            out.push_str(&format!("    log index: {i}\n"));
        }
    }
    out
}

/// pip's -q/-v count for this run: below 0 pyprov's own lines are quieter, as pip's are.
static VERBOSITY: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

pub(crate) fn set_verbosity(v: i32) {
    VERBOSITY.store(v, std::sync::atomic::Ordering::Relaxed);
}

fn verbosity() -> i32 {
    VERBOSITY.load(std::sync::atomic::Ordering::Relaxed)
}

/// On a terminal progress is drawn and erased; in a CI log it is one plain line per step.
fn plain_line(msg: &str) {
    if verbosity() >= 0 && !console::Term::stderr().is_term() {
        eprintln!("pyprov: {}", term(msg));
    }
}

/// A spinner on a terminal; a plain line when stderr is not one (CI logs).
pub(crate) fn spinner(msg: &str) -> ProgressBar {
    plain_line(msg);
    let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(term(msg).into_owned());
    pb.enable_steady_tick(Duration::from_millis(100));
    pb
}

pub(crate) fn bar(len: u64, msg: &str) -> ProgressBar {
    if len > 0 {
        plain_line(&format!("{msg} {len} files"));
    }
    let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb.set_message(term(msg).into_owned());
    pb
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::policy::fetch_failed;

    #[test]
    fn the_table_shows_index_and_certificate_text_escaped_and_aligned() {
        let hostile = "\x1b]8;;evil\x1b\\x\x1b]8;;\x1b\\\x1b[2J\r\u{202e}";
        let shown = "\\x1b]8;;evil\\x1b\\x\\x1b]8;;\\x1b\\\\x1b[2J\\r\\u{202e}";
        let file = format!("pkg-1.0-{hostile}.whl");
        let mut row = Row::from_decision(
            "pkg",
            Some("1.0"),
            "https://index.example/",
            fetch_failed(&file, "no"),
        );
        row.file = file;
        row.publisher = Some(format!("github:o/{hostile}"));
        row.git_ref = Some(hostile.into());
        let mut report = RunReport::new(None, Format::Text);
        report.rows.push(row);
        report.note(&format!("note {hostile}"));
        console::set_colors_enabled_stderr(false);
        let table = report.table();
        let all: Vec<&str> = table.lines().collect();
        // The lines about the trust file come first; the table starts at its header.
        let header = all.iter().position(|l| l.starts_with("PACKAGE")).unwrap();
        let lines = &all[header - 1..];
        let file_shown = format!("pkg-1.0-{shown}.whl");
        let width = file_shown.chars().count();
        assert_eq!(
            lines[1],
            format!("PACKAGE  VERSION  {:width$}  VERDICT  PUBLISHER", "FILE")
        );
        assert_eq!(
            lines[2],
            format!("pkg      1.0      {file_shown}  DENY     github:o/{shown} at {shown}")
        );
        assert_eq!(
            lines[3],
            format!("    {file_shown} could not be fetched and verified: no [fetch-failed]")
        );
        assert_eq!(lines.last(), Some(&format!("note {shown}").as_str()));
        assert!(!table.contains('\x1b') && !table.contains('\r') && !table.contains('\u{202e}'));
    }
}
