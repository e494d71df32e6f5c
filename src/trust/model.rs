//! What a trust file says, in memory: the policy and one entry per package. Nothing here reads
//! or writes; [`super::parse`] builds a [`Contents`] from text and [`super::store`] owns the file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::verify::PublisherSpec;
use crate::vocab::PackageName;

/// What happens to a file that carries no provenance at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unattested {
    Deny,
    Warn,
    Allow,
}

impl Unattested {
    pub fn as_str(self) -> &'static str {
        match self {
            Unattested::Deny => "deny",
            Unattested::Warn => "warn",
            Unattested::Allow => "allow",
        }
    }

    pub(super) fn parse(s: &str) -> Option<Unattested> {
        match s {
            "deny" => Some(Unattested::Deny),
            "warn" => Some(Unattested::Warn),
            "allow" => Some(Unattested::Allow),
            _ => None,
        }
    }
}

/// The effective policy: the file's `[policy]` table, or the defaults when there is no file,
/// plus the run's `--locked` setting (which is not part of the file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// For files with no provenance, unless their package says otherwise.
    pub unattested: Unattested,
    /// Pin the publisher of a package with no entry the first time one of its files verifies.
    pub tofu: bool,
    /// Refuse a file whose package names an `environment` the certificate cannot prove (it
    /// records no deployment environment), unless its entry says otherwise. Off, such a file
    /// is installed with an `environment-unproven` warning.
    #[serde(rename = "require-environment-proof")]
    pub require_environment_proof: bool,
    /// Never write the trust file: what would have been pinned is an error instead.
    pub locked: bool,
    /// The trust file this policy came from; `None` when no trust file is used. (JSON output
    /// names the file at its top level.)
    #[serde(skip)]
    pub source: Option<PathBuf>,
    /// Where to look provenance up when the index strips it (`--provenance-index` wins).
    #[serde(rename = "provenance-index", skip_serializing_if = "Option::is_none")]
    pub provenance_index: Option<String>,
}

impl Policy {
    /// The policy without a trust file: everything is verified cryptographically, the publisher
    /// the index reported is trusted (the engine already refuses one that contradicts the
    /// certificate), and unattested files are warned about.
    pub fn without_trust_file() -> Policy {
        Policy {
            unattested: Unattested::Warn,
            tofu: false,
            require_environment_proof: false,
            locked: false,
            source: None,
            provenance_index: None,
        }
    }
}

/// One `[packages]` entry, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageEntry {
    /// What entries are looked up by.
    pub name: PackageName,
    /// The key as written in the file (may be spelled differently from `name`).
    pub key: String,
    /// Any one of these may publish the package; empty when the entry only sets `unattested`.
    pub publishers: Vec<PublisherSpec>,
    pub environment: Option<String>,
    /// Overrides `[policy] require-environment-proof` for this package (needs `environment`).
    pub require_environment_proof: Option<bool>,
    pub unattested: Option<Unattested>,
    /// How the entry was learned, e.g. `tofu 2025-06-01`; `None` for entries people wrote.
    pub pinned: Option<String>,
    /// 1-based line of the entry's key, for messages that point at it.
    pub line: usize,
}

impl PackageEntry {
    /// An entry with nothing set yet, for the parser to fill in.
    pub(super) fn empty(name: PackageName, key: &str, line: usize) -> PackageEntry {
        PackageEntry {
            name,
            key: key.to_string(),
            publishers: Vec::new(),
            environment: None,
            require_environment_proof: None,
            unattested: None,
            pinned: None,
            line,
        }
    }

    /// Whether the entry names who publishes the package. A pinned package whose next file has
    /// no provenance is an attestation downgrade.
    pub fn is_pinned(&self) -> bool {
        !self.publishers.is_empty()
    }
}

/// A whole trust file, validated: its policy (with `source` set to the file, `locked` off) and
/// its entries by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    pub(super) policy: Policy,
    pub(super) packages: BTreeMap<PackageName, PackageEntry>,
}

impl Contents {
    /// The file's policy, with `locked` off; set it from [`super::resolve_locked`].
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The entry for a package, by any spelling of its name.
    pub fn entry(&self, package: impl AsRef<str>) -> Option<&PackageEntry> {
        self.packages
            .get(PackageName::normalize(package.as_ref()).as_str())
    }

    /// Every entry, sorted by normalized name.
    pub fn entries(&self) -> impl Iterator<Item = &PackageEntry> {
        self.packages.values()
    }
}
