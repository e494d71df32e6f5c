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

/// A cooldown: how long a file must have been on its index before the gate offers it
/// (`[policy] cooldown`, or a package's own). Whole hours; zero is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cooldown {
    hours: u64,
}

impl Cooldown {
    /// The longest cooldown accepted: ten years (a longer one is a typo, and would overflow
    /// the cutoff's arithmetic long before it meant anything).
    pub const MAX_HOURS: u64 = 10 * 366 * 24;

    pub const NONE: Cooldown = Cooldown { hours: 0 };

    pub fn from_hours(hours: u64) -> Option<Cooldown> {
        (hours <= Cooldown::MAX_HOURS).then_some(Cooldown { hours })
    }

    pub fn hours(self) -> u64 {
        self.hours
    }

    pub fn is_none(self) -> bool {
        self.hours == 0
    }

    /// The instant before which a file must have been uploaded, seen from `now`.
    pub fn cutoff(self, now: jiff::Timestamp) -> jiff::Timestamp {
        let hours = i64::try_from(self.hours).unwrap_or(i64::MAX);
        now.checked_sub(jiff::SignedDuration::from_hours(hours))
            .unwrap_or(jiff::Timestamp::MIN)
    }

    /// `7 days`, `1 day`, `36 hours`, `1 hour`, `P7D`, `PT36H`, `P1DT12H` (ISO 8601:
    /// days and hours only), `0 days`. Leading and trailing spaces are ignored, case is not.
    pub fn parse(text: &str) -> Option<Cooldown> {
        let t = text.trim();
        if let Some(iso) = t.strip_prefix('P') {
            return Cooldown::parse_iso(iso);
        }
        let (number, unit) = t.split_once(' ')?;
        let n = digits(number)?;
        let per = match unit.trim_start() {
            "day" | "days" => 24,
            "hour" | "hours" => 1,
            _ => return None,
        };
        Cooldown::from_hours(n.checked_mul(per)?)
    }

    /// The part after `P`: `nD`, `TnH`, `nDTnH`.
    fn parse_iso(iso: &str) -> Option<Cooldown> {
        let (days, time) = match iso.split_once('T') {
            Some((d, t)) => (d, Some(t)),
            None => (iso, None),
        };
        let days = match days {
            "" => None,
            d => Some(digits(d.strip_suffix('D')?)?),
        };
        let hours = match time {
            None => None,
            Some(h) => Some(digits(h.strip_suffix('H')?)?),
        };
        if days.is_none() && hours.is_none() {
            return None;
        }
        let total = days
            .unwrap_or(0)
            .checked_mul(24)?
            .checked_add(hours.unwrap_or(0))?;
        Cooldown::from_hours(total)
    }
}

/// A run of ASCII digits (at most 9: ten years of hours fit), as a number.
fn digits(s: &str) -> Option<u64> {
    (!s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

impl std::fmt::Display for Cooldown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let h = self.hours;
        match (h % 24, h / 24) {
            (0, 1) => write!(f, "1 day"),
            (0, d) => write!(f, "{d} days"),
            _ if h == 1 => write!(f, "1 hour"),
            _ => write!(f, "{h} hours"),
        }
    }
}

impl Serialize for Cooldown {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
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
    /// Files uploaded less than this long ago are not offered to pip (`None`: no cooldown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cooldown: Option<Cooldown>,
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
            cooldown: None,
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
    /// Overrides `[policy] cooldown` for this package; [`Cooldown::NONE`] exempts it.
    pub cooldown: Option<Cooldown>,
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
            cooldown: None,
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

impl Policy {
    /// The cooldown for a package: its entry's, else the policy's; `None` when none applies
    /// (no cooldown, or a zero one, which is how an entry exempts its package).
    pub fn cooldown_for(&self, entry: Option<&PackageEntry>) -> Option<Cooldown> {
        entry
            .and_then(|e| e.cooldown)
            .or(self.cooldown)
            .filter(|c| !c.is_none())
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
