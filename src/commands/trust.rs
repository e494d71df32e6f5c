//! `pyprov trust ...`: show and keep the trust file.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cli::{Format, TrustArgs, TrustCommand, TrustPinArgs};
use std::sync::Arc;

use crate::commands::verify::read_file_and_provenance;
use crate::error::{exit, CliError};
use crate::files;
use crate::files::load_engine;
use crate::judge::{Evidence, Judge};
use crate::output;
use crate::trust::policy::{self, Code, Observed};
use crate::trust::{
    self, Edit, EditOutcome, PackageEntry, PinOutcome, Policy, TrustFile, TrustFileError,
};
use crate::verify::{distname, PublisherSpec};
use crate::vocab::{PackageName, Sha256};

pub fn run(args: &TrustArgs) -> Result<u8, CliError> {
    let cwd = std::env::current_dir().map_err(CliError::WorkingDirectory)?;
    let explicit = args.file.trust_file.as_deref();
    let locked = trust::resolve_locked(args.file.locked);
    let refuse_if_locked = |what: &str| -> Result<(), CliError> {
        if locked {
            return Err(CliError::usage_with_fix(format!("`pyprov trust {what}` writes the trust file, and --locked is in effect (it is the default when CI is set)"), "run it where the file may change and commit the result, or pass --locked=false (PYPROV_LOCKED=0)"));
        }
        Ok(())
    };
    match &args.command {
        TrustCommand::Show { format } => show(&cwd, explicit, locked, *format),
        TrustCommand::Add {
            package,
            spec,
            environment,
        } => {
            refuse_if_locked("add")?;
            let publishers = spec
                .iter()
                .map(|s| s.parse::<PublisherSpec>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| CliError::usage(e.to_string()))?;
            if environment.as_deref().is_some_and(|e| e.trim().is_empty()) {
                return Err(CliError::usage(
                    "--environment needs the name of a deployment environment",
                ));
            }
            let path = TrustFile::edit_target(&cwd, explicit)?;
            let change = Edit::Add {
                package,
                publishers: &publishers,
                environment: environment.as_deref(),
            };
            report_edit(&path, package, &change)
        }
        TrustCommand::AllowUnattested { package } => {
            refuse_if_locked("allow-unattested")?;
            let path = TrustFile::edit_target(&cwd, explicit)?;
            report_edit(&path, package, &Edit::AllowUnattested { package })
        }
        TrustCommand::Remove { package } => {
            refuse_if_locked("remove")?;
            let path = match TrustFile::discover(&cwd, explicit)? {
                Some(t) => t.path().to_path_buf(),
                None => {
                    return Err(CliError::usage(format!(
                        "no trust file found from {}, so there is nothing to remove",
                        cwd.display()
                    )))
                }
            };
            report_edit(&path, package, &Edit::Remove { package })
        }
        TrustCommand::Init(init_args) => {
            refuse_if_locked("init")?;
            crate::commands::trust_init::run(&cwd, explicit, init_args)
        }
        TrustCommand::Pin(pin_args) => {
            refuse_if_locked("pin")?;
            pin(&TrustFile::edit_target(&cwd, explicit)?, pin_args)
        }
    }
}

fn report_edit(path: &Path, package: &str, change: &Edit<'_>) -> Result<u8, CliError> {
    let (outcome, file) = trust::edit(path, change)?;
    let name = trust::package_name(package)?;
    let mut out = std::io::stdout().lock();
    let what = match (change, &outcome) {
        (_, EditOutcome::Unchanged) => "unchanged",
        (Edit::Remove { .. }, _) => "removed",
        _ => "updated",
    };
    let line = match file.entry(&name) {
        Some(e) => format!(
            "{what} {}:{}: {}",
            file.path().display(),
            e.line,
            describe_entry(e)
        ),
        None => format!("{what} {}: {name}", file.path().display()),
    };
    let _ = writeln!(out, "{}", output::term(&line));
    Ok(exit::OK)
}

fn describe_entry(e: &PackageEntry) -> String {
    let mut parts = Vec::new();
    if !e.publishers.is_empty() {
        let p: Vec<String> = e.publishers.iter().map(ToString::to_string).collect();
        parts.push(format!("publisher {}", p.join(" or ")));
    }
    if let Some(env) = &e.environment {
        parts.push(format!("environment {env}"));
    }
    if let Some(r) = e.require_environment_proof {
        parts.push(format!("require-environment-proof {r}"));
    }
    if let Some(u) = e.unattested {
        parts.push(format!("unattested {}", u.as_str()));
    }
    if let Some(c) = e.cooldown {
        parts.push(match c.is_none() {
            true => "no cooldown".to_string(),
            false => format!("cooldown {c}"),
        });
    }
    if let Some(p) = &e.pinned {
        parts.push(format!("pinned ({p})"));
    }
    if parts.is_empty() {
        parts.push("no settings".into());
    }
    format!("{} {}", e.name, parts.join(", "))
}

#[derive(Serialize)]
struct ShowJson<'a> {
    trust_file: Option<String>,
    policy: &'a Policy,
    packages: BTreeMap<&'a str, EntryJson<'a>>,
}

#[derive(Serialize)]
struct EntryJson<'a> {
    publisher: Vec<String>,
    environment: Option<&'a str>,
    #[serde(rename = "require-environment-proof")]
    require_environment_proof: Option<bool>,
    unattested: Option<trust::Unattested>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cooldown: Option<trust::Cooldown>,
    pinned: Option<&'a str>,
    line: usize,
}

fn show(cwd: &Path, explicit: Option<&Path>, locked: bool, format: Format) -> Result<u8, CliError> {
    let file = TrustFile::discover(cwd, explicit)?;
    let mut policy = file
        .as_ref()
        .map_or_else(Policy::without_trust_file, |f| f.policy().clone());
    policy.locked = locked;
    let entries: Vec<&PackageEntry> = file.iter().flat_map(TrustFile::entries).collect();
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            let json = ShowJson {
                trust_file: file.as_ref().map(|f| f.path().display().to_string()),
                policy: &policy,
                packages: entries
                    .iter()
                    .map(|e| {
                        (
                            e.name.as_str(),
                            EntryJson {
                                publisher: e.publishers.iter().map(ToString::to_string).collect(),
                                environment: e.environment.as_deref(),
                                require_environment_proof: e.require_environment_proof,
                                unattested: e.unattested,
                                cooldown: e.cooldown,
                                pinned: e.pinned.as_deref(),
                                line: e.line,
                            },
                        )
                    })
                    .collect(),
            };
            let text = serde_json::to_string_pretty(&json)
                .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
            let _ = writeln!(out, "{text}");
        }
        Format::Text => {
            let _ = writeln!(out, "{}", output::policy_line(&policy));
            if file.is_some() && entries.is_empty() {
                let _ = writeln!(out, "no packages");
            }
            for e in entries {
                // A learned pin holds what a certificate said (its environment, an email).
                let _ = writeln!(
                    out,
                    "  line {:<4} {}",
                    e.line,
                    output::term(&describe_entry(e))
                );
            }
        }
    }
    Ok(exit::OK)
}

/// `trust pin FILE...`: each file must verify; its package is pinned to the publisher the
/// certificate proves. A package that already names a publisher is checked, not changed.
fn pin(path: &Path, args: &TrustPinArgs) -> Result<u8, CliError> {
    let engine = load_engine(args.trusted_root.as_deref())?;
    let file = match TrustFile::load(path) {
        Ok(f) => Some(f),
        Err(TrustFileError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    // Pins go to this file, which need not exist yet.
    let policy = Policy {
        tofu: true,
        locked: false,
        source: Some(path.to_path_buf()),
        ..file
            .as_ref()
            .map_or_else(Policy::without_trust_file, |f| f.policy().clone())
    };
    let mut judge = Judge::new(Arc::new(engine), policy, file);
    let mut failed = false;
    let mut out = std::io::stdout().lock();
    for f in &args.files {
        let (sha256, _sources, evidence) = read_file_and_provenance(f, None)?;
        let name = files::file_name(f);
        if let Err(e) = distname::parse(&name) {
            failed = true;
            let _ = writeln!(
                out,
                "FAIL {}",
                output::term(&format!("{}: {e}", f.display()))
            );
            continue;
        }
        let line = match pin_one(&mut judge, path, &name, &sha256, &evidence)? {
            Ok(msg) => msg,
            Err(msg) => {
                failed = true;
                msg
            }
        };
        let _ = writeln!(out, "{} {line}", output::term(&f.display().to_string()));
    }
    Ok(if failed { exit::FAILED } else { exit::OK })
}

/// Pins one file's package. `Ok` and `Err` are both lines for the user; `Err` fails the run.
fn pin_one(
    judge: &mut Judge,
    path: &Path,
    name: &str,
    sha256: &Sha256,
    evidence: &Evidence,
) -> Result<Result<String, String>, CliError> {
    let judgement = judge.judge(name, sha256, evidence);
    let package = judgement
        .package
        .clone()
        .map_or_else(|| name.to_string(), PackageName::into_string);
    if let Observed::NoProvenance = judgement.observed {
        return Ok(Err(format!(
            "FAIL: no provenance beside it, so there is no publisher to pin [{}]\n      fix: put the file's provenance next to it ({})",
            crate::verify::Reason::NoProvenance.code(),
            files::SIDECARS.map(|s| format!("FILE{s}")).join(", ")
        )));
    }
    if judgement.decision.code != Code::PinnedOnFirstUse || judgement.decision.pin.is_none() {
        return Ok(verdict_line(&judgement.decision, &package, judge.trust()));
    }
    let mut judged = [judgement];
    for settled in judge.settle(&mut judged) {
        match settled.outcome? {
            // Pinned by another process meanwhile: judged against that pin instead.
            PinOutcome::AlreadyPinned(_) => {}
            // What the file says now, re-read under the lock, not what was asked for.
            PinOutcome::Pinned(e) => {
                return Ok(Ok(format!(
                    "PINNED {}",
                    output::term(&format!(
                        "{package} to {}{} in {}:{}",
                        e.publishers
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(" or "),
                        e.environment
                            .as_deref()
                            .map(|env| format!(" (environment {env})"))
                            .unwrap_or_default(),
                        path.display(),
                        e.line
                    ))
                )))
            }
        }
    }
    let [judgement] = judged;
    Ok(verdict_line(&judgement.decision, &package, judge.trust()))
}

fn verdict_line(
    d: &policy::Decision,
    package: &str,
    file: Option<&TrustFile>,
) -> Result<String, String> {
    if d.code == Code::Allowed {
        let at = file
            .and_then(|f| f.entry(package).map(|e| (f.path().to_path_buf(), e.line)))
            .map(|(p, l): (PathBuf, usize)| format!(" ({}:{l})", p.display()))
            .unwrap_or_default();
        return Ok(format!(
            "ALREADY PINNED {}",
            output::term(&format!("{package}{at}: {}", d.message))
        ));
    }
    Err(format!(
        "FAIL: {} [{}]\n      fix: {}",
        output::term(&d.message),
        d.code.as_str(),
        output::term(&d.fix)
    ))
}
