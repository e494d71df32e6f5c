//! `pyprov inspect F...`: what a provenance document claims. Nothing here is verified, and the
//! output says so on every document.

use std::io::Write;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;
use sigstore_verify::crypto::x509::parse_certificate_info;
use sigstore_verify::types::{Bundle, SignatureContent};

use crate::cli::{Format, InspectArgs};
use crate::error::{exit, CliError};
use crate::files;
use crate::output::term;
use crate::verify::distname;
use crate::verify::document::Document;
use crate::verify::statement::Statement;
use crate::verify::{Failure, Identity};

const NOT_VERIFIED: &str =
    "NOT VERIFIED: these are the document's claims; run `pyprov verify` to check them";

#[derive(Serialize)]
struct Inspected {
    path: String,
    verified: bool,
    kind: Option<&'static str>,
    publishers: Vec<Value>,
    signatures: Vec<Claimed>,
    error: Option<Failure>,
}

#[derive(Serialize)]
struct Claimed {
    claimed_identity: Option<Identity>,
    certificate_not_before: Option<String>,
    certificate_not_after: Option<String>,
    predicate_type: Option<String>,
    subjects: Vec<ClaimedSubject>,
    log_index: Option<u64>,
    claimed_integrated_time: Option<String>,
    log_entry_kind: String,
}

#[derive(Serialize)]
struct ClaimedSubject {
    name: String,
    sha256: Option<String>,
}

/// A wheel or sdist given to `inspect`: a usage mistake, said as one (its bytes are no
/// document, and "not a JSON document" would not tell what to run instead). A distribution is
/// what `distname` reads as one, as `verify` and the installer do (the extension's case
/// matters, as it does to pip and packaging).
fn distribution_file(path: &Path) -> Result<(), CliError> {
    if distname::parse(&files::file_name(path)).is_err() {
        return Ok(());
    }
    let shown = term(&path.display().to_string()).into_owned();
    Err(CliError::Usage {
        message: format!("{shown} is a distribution file, not provenance"),
        fix: Some(format!(
            "to verify it, `pyprov verify {shown}`;\n  to see its provenance, `pyprov inspect {shown}.provenance`"
        )),
    })
}

pub fn run(args: &InspectArgs) -> Result<u8, CliError> {
    let mut all = Vec::new();
    for path in &args.files {
        distribution_file(path)?;
        let bytes = files::read_document(path)?;
        all.push(inspect(path, &bytes));
    }
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            #[derive(Serialize)]
            struct Out<'a> {
                verified: bool,
                note: &'a str,
                documents: &'a [Inspected],
            }
            let text = serde_json::to_string_pretty(&Out {
                verified: false,
                note: NOT_VERIFIED,
                documents: &all,
            })
            .unwrap_or_default();
            let _ = writeln!(out, "{text}");
        }
        Format::Text => {
            for doc in &all {
                let _ = write!(out, "{}", render(doc));
            }
        }
    }
    Ok(if all.iter().all(|d| d.error.is_none()) {
        exit::OK
    } else {
        exit::FAILED
    })
}

fn inspect(path: &Path, bytes: &[u8]) -> Inspected {
    let mut r = Inspected {
        path: path.display().to_string(),
        verified: false,
        kind: None,
        publishers: Vec::new(),
        signatures: Vec::new(),
        error: None,
    };
    match Document::parse(bytes) {
        Err(f) => r.error = Some(f),
        Ok(doc) => {
            r.kind = Some(doc.kind());
            if let Document::Provenance(groups) = &doc {
                r.publishers = groups.iter().filter_map(|g| g.publisher.clone()).collect();
            }
            r.signatures = doc.bundles().into_iter().map(claims).collect();
        }
    }
    r
}

fn claims(bundle: &Bundle) -> Claimed {
    let info = bundle
        .signing_certificate()
        .and_then(|c| parse_certificate_info(c).ok());
    let statement = match &bundle.content {
        SignatureContent::DsseEnvelope(env) => Statement::parse(env.payload.as_bytes()).ok(),
        _ => None,
    };
    let entry = bundle.verification_material.tlog_entries.first();
    Claimed {
        claimed_identity: info.as_ref().map(Identity::from_certificate),
        certificate_not_before: info.as_ref().map(|i| i.not_before.to_string()),
        certificate_not_after: info.as_ref().map(|i| i.not_after.to_string()),
        predicate_type: statement.as_ref().map(|s| s.predicate_type.clone()),
        subjects: statement
            .map(|s| {
                s.subject
                    .into_iter()
                    .map(|sub| ClaimedSubject {
                        sha256: sub.digest.get("sha256").cloned(),
                        name: sub.name,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        log_index: entry.map(|e| e.log_index.get()),
        claimed_integrated_time: entry.and_then(|e| e.integrated_time).map(|t| t.to_string()),
        log_entry_kind: entry
            .map(|e| format!("{} {}", e.kind_version.kind(), e.kind_version.version()))
            .unwrap_or_else(|| "none".into()),
    }
}

/// The text for one document. Every value is the document's own claim (an index's, a
/// certificate's), so each is made safe for the terminal before it is printed.
fn render(doc: &Inspected) -> String {
    let mut s = format!("{}\n  {NOT_VERIFIED}\n", term(&doc.path));
    if let Some(e) = &doc.error {
        s.push_str(&format!(
            "  unreadable: {} [{}]\n",
            term(&e.message),
            e.reason.code()
        ));
        return s;
    }
    if let Some(kind) = doc.kind {
        s.push_str(&format!("  kind: {kind}\n"));
    }
    for p in &doc.publishers {
        s.push_str(&format!(
            "  publisher (as recorded by the index, unsigned): {}\n",
            term(&p.to_string())
        ));
    }
    for (i, c) in doc.signatures.iter().enumerate() {
        s.push_str(&format!("  signature {}:\n", i + 1));
        if let Some(id) = &c.claimed_identity {
            s.push_str(&format!(
                "    claims to be signed by: {}\n",
                term(&id.describe())
            ));
            for (k, v) in [
                ("san", &id.san),
                ("issuer", &id.issuer),
                ("repository", &id.repository),
                ("ref", &id.git_ref),
                ("commit", &id.commit),
                ("workflow", &id.workflow),
                ("build config", &id.build_config_uri),
                ("run", &id.run_invocation_uri),
                ("environment", &id.environment),
            ] {
                if let Some(v) = v {
                    s.push_str(&format!("    {k}: {}\n", term(v)));
                }
            }
        }
        if let (Some(a), Some(b)) = (&c.certificate_not_before, &c.certificate_not_after) {
            s.push_str(&format!("    certificate valid: {a} to {b}\n"));
        }
        if let Some(p) = &c.predicate_type {
            s.push_str(&format!("    predicate: {}\n", term(p)));
        }
        for sub in &c.subjects {
            s.push_str(&format!(
                "    subject: {} sha256:{}\n",
                term(&sub.name),
                term(sub.sha256.as_deref().unwrap_or("<none>"))
            ));
        }
        if let Some(i) = c.log_index {
            s.push_str(&format!(
                "    log index: {i} ({})\n",
                term(&c.log_entry_kind)
            ));
        }
        if let Some(t) = &c.claimed_integrated_time {
            s.push_str(&format!("    claimed log time: {}\n", term(t)));
        }
    }
    s
}
