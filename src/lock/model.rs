//! pylock.toml (PEP 751, lock-version 1.x) as data. Every key the specification names has a
//! field; every other key is kept, in order, in the table's `unknown`, so a lock read and
//! written again keeps what tools put there.

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize};
use toml_edit::Datetime;

use crate::vocab::{PackageName, Sha256};

/// A TOML table whose keys keep their order.
pub type Table = IndexMap<String, TomlValue>;

/// Any TOML value, for keys this model does not name (`tool`, a dependency's keys, an
/// attestation identity's keys, keys of a later lock version).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TomlValue {
    Bool(bool),
    Integer(i64),
    Float(f64),
    String(String),
    Datetime(Datetime),
    Array(Vec<TomlValue>),
    Table(Table),
}

impl TomlValue {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            TomlValue::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_str(&self) -> bool {
        matches!(self, TomlValue::String(_))
    }

    /// The value's TOML type with its article, for messages: "an array".
    pub fn type_name(&self) -> &'static str {
        match self {
            TomlValue::Bool(_) => "a boolean",
            TomlValue::Integer(_) => "an integer",
            TomlValue::Float(_) => "a float",
            TomlValue::String(_) => "a string",
            TomlValue::Datetime(_) => "a datetime",
            TomlValue::Array(_) => "an array",
            TomlValue::Table(_) => "a table",
        }
    }
}

/// A whole pylock.toml.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Lock {
    /// `"1.0"`; a reader refuses a major version it does not know.
    pub lock_version: String,
    /// Markers, one of which the installing environment must satisfy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environments: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_python: Option<String>,
    /// The extras the lock was made for (normalized names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extras: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependency_groups: Option<Vec<String>>,
    /// The groups installed when none is asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_groups: Option<Vec<String>>,
    pub created_by: String,
    pub packages: Vec<Package>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<Table>,
    #[serde(flatten)]
    pub unknown: Table,
}

/// One `[[packages]]` entry: a package at one version, and where its files are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Package {
    /// Normalized, as the specification requires (a lock with `Foo_Bar` is refused).
    #[serde(deserialize_with = "normalized_name")]
    pub name: PackageName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// When the package is installed at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_python: Option<String>,
    /// Tables that point at other entries (name, version, ...); informational for installers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependencies: Option<Vec<Table>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vcs: Option<Vcs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<Directory>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive: Option<Archive>,
    /// The index the files came from (its simple-API URL for the project or the index root).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdist: Option<FileEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wheels: Option<Vec<FileEntry>>,
    /// PEP 740 publishers the files are expected to be attested by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation_identities: Option<Vec<AttestationIdentity>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<Table>,
    #[serde(flatten)]
    pub unknown: Table,
}

/// A file of an index: the sdist or a wheel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct FileEntry {
    /// The file name; else the last segment of `path` or `url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_time: Option<Datetime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Relative to the lock's directory, or absolute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    pub hashes: Hashes,
    #[serde(flatten)]
    pub unknown: Table,
}

/// A direct-URL archive (`[packages.archive]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Archive {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_time: Option<Datetime>,
    pub hashes: Hashes,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subdirectory: Option<String>,
    #[serde(flatten)]
    pub unknown: Table,
}

/// A version-control checkout (`[packages.vcs]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Vcs {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_revision: Option<String>,
    pub commit_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subdirectory: Option<String>,
    #[serde(flatten)]
    pub unknown: Table,
}

/// A local source tree (`[packages.directory]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Directory {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub editable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subdirectory: Option<String>,
    #[serde(flatten)]
    pub unknown: Table,
}

/// A file's digests. `sha256` is the one pyprov checks; others are kept.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Hashes {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<Sha256>,
    #[serde(flatten)]
    pub other: IndexMap<String, String>,
}

impl Hashes {
    pub fn is_empty(&self) -> bool {
        self.sha256.is_none() && self.other.is_empty()
    }
}

/// A PEP 740 publisher object: `kind` (`GitHub`, `GitLab`, `Google`, ...) and the kind's keys
/// (`repository`, `workflow`, `environment`, `email`, ...), kept as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttestationIdentity {
    pub kind: String,
    #[serde(flatten)]
    pub fields: Table,
}

impl AttestationIdentity {
    /// A key's text, when it is a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(TomlValue::as_str)
    }
}

impl Lock {
    /// A lock-version 1.0 lock written by `created_by`, with no packages yet.
    pub fn new(created_by: impl Into<String>) -> Lock {
        Lock {
            lock_version: "1.0".into(),
            environments: None,
            requires_python: None,
            extras: None,
            dependency_groups: None,
            default_groups: None,
            created_by: created_by.into(),
            packages: Vec::new(),
            tool: None,
            unknown: Table::new(),
        }
    }
}

impl Package {
    /// A package entry with its name alone; set its version and files.
    pub fn new(name: PackageName) -> Package {
        Package {
            name,
            version: None,
            marker: None,
            requires_python: None,
            dependencies: None,
            vcs: None,
            directory: None,
            archive: None,
            index: None,
            sdist: None,
            wheels: None,
            attestation_identities: None,
            tool: None,
            unknown: Table::new(),
        }
    }
}

impl FileEntry {
    /// A file at `url` with its sha256; set `name`, `size`, `upload_time` as known.
    pub fn at_url(url: impl Into<String>, sha256: Sha256) -> FileEntry {
        FileEntry {
            name: None,
            upload_time: None,
            url: Some(url.into()),
            path: None,
            size: None,
            hashes: Hashes {
                sha256: Some(sha256),
                other: IndexMap::new(),
            },
            unknown: Table::new(),
        }
    }

    /// The file's name: `name`, else the last segment of `path`, else of `url`
    /// (percent-decoded).
    pub fn file_name(&self) -> Option<String> {
        file_name(
            self.name.as_deref(),
            self.path.as_deref(),
            self.url.as_deref(),
        )
    }
}

impl Archive {
    pub fn file_name(&self) -> Option<String> {
        file_name(None, self.path.as_deref(), self.url.as_deref())
    }
}

fn file_name(name: Option<&str>, path: Option<&str>, url: Option<&str>) -> Option<String> {
    if let Some(name) = name.filter(|n| !n.is_empty()) {
        return Some(name.to_string());
    }
    if let Some(path) = path.filter(|p| !p.is_empty()) {
        let last = path.rsplit(['/', '\\']).next().unwrap_or(path);
        return Some(last.to_string()).filter(|n| !n.is_empty());
    }
    let url = url.filter(|u| !u.is_empty())?;
    let parsed = url::Url::parse(url).ok()?;
    let last = parsed.path().rsplit('/').next().unwrap_or("");
    let decoded = percent_encoding::percent_decode_str(last)
        .decode_utf8()
        .ok()?;
    Some(decoded.into_owned()).filter(|n| !n.is_empty())
}

/// A package name as the specification requires it: valid and already normalized.
fn normalized_name<'de, D: Deserializer<'de>>(d: D) -> Result<PackageName, D::Error> {
    let text = String::deserialize(d)?;
    let name = PackageName::new(&text).map_err(serde::de::Error::custom)?;
    if name.as_str() != text {
        return Err(serde::de::Error::custom(format!(
            "`{text}` is not a normalized name: a lock names packages as `{name}`"
        )));
    }
    Ok(name)
}
