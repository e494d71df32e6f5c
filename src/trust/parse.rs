//! Text to [`Contents`], refusing anything that is not a valid trust file. Every error points at
//! the offending text: its span in the file, the line and column (in characters) where it
//! starts, and that line with a caret under the column.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use toml_edit::{DocumentMut, Item, Table, TableLike, Value};

use super::error::{invalid_name_message, TrustFileError};
use super::model::{Contents, Cooldown, PackageEntry, Policy, Unattested};
use crate::verify::PublisherSpec;
use crate::vocab::PackageName;

type Span = Option<Range<usize>>;
type Error = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Parses and validates a trust file's text. `path` is named in messages and becomes the
/// policy's `source`.
pub(super) fn parse(path: &Path, text: &str) -> Result<Contents, TrustFileError> {
    let src = Source { path, text };
    let doc = toml_edit::Document::parse(text).map_err(|e| src.toml_error(e))?;
    let root = doc.as_table();
    for (key, _) in root.iter() {
        if key != "policy" && key != "packages" {
            return Err(src.error(
                key_span(root, key),
                format!("unknown table `{key}`: a trust file has [policy] and [packages]"),
            ));
        }
    }
    let mut policy = Policy::without_trust_file();
    policy.source = Some(path.to_path_buf());
    if let Some(item) = root.get("policy") {
        let table = src.table(item, key_span(root, "policy"), "`policy` must be a table")?;
        for (key, value) in table.iter() {
            policy_setting(&src, &mut policy, table, key, value)?;
        }
    }
    let packages = match root.get("packages") {
        Some(item) => {
            let span = key_span(root, "packages");
            packages(&src, src.table(item, span, "`packages` must be a table")?)?
        }
        None => BTreeMap::new(),
    };
    Ok(Contents { policy, packages })
}

/// The text as a document `toml_edit` can change, for [`super::edit`].
pub(super) fn document(path: &Path, text: &str) -> Result<DocumentMut, TrustFileError> {
    let src = Source { path, text };
    text.parse::<DocumentMut>().map_err(|e| src.toml_error(e))
}

/// The file's bytes as text; a file that is not UTF-8 is an error at the first bad byte.
pub(super) fn decode(path: &Path, bytes: Vec<u8>) -> Result<String, TrustFileError> {
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let valid =
            String::from_utf8_lossy(e.as_bytes().get(..offset).unwrap_or_default()).into_owned();
        Source { path, text: &valid }.error_from(
            Some(offset..offset),
            "the file is not UTF-8 text",
            Some(Box::new(e.utf8_error())),
        )
    })
}

fn policy_setting(
    src: &Source<'_>,
    policy: &mut Policy,
    table: &dyn TableLike,
    key: &str,
    value: &Item,
) -> Result<(), TrustFileError> {
    match key {
        "unattested" => policy.unattested = unattested(src, value)?,
        "tofu" => policy.tofu = src.bool(value, "`tofu` must be true or false")?,
        "require-environment-proof" => {
            policy.require_environment_proof = src.bool(
                value,
                "`require-environment-proof` must be true or false",
            )?
        }
        "provenance-index" => {
            let url = value
                .as_str()
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                .ok_or_else(|| {
                    src.error(
                        value.span(),
                        "`provenance-index` must be an http(s) URL, e.g. \"https://pypi.org/simple/\"",
                    )
                })?;
            policy.provenance_index = Some(url.to_string());
        }
        "cooldown" => policy.cooldown = Some(cooldown(src, value, "[policy]")?),
        other => {
            return Err(src.error(
                table_key_span(table, other),
                format!("unknown policy setting `{other}`: [policy] has `unattested`, `tofu`, `require-environment-proof`, `provenance-index` and `cooldown`"),
            ))
        }
    }
    Ok(())
}

/// The `[packages]` entries by name; two spellings of one name are an error.
fn packages(
    src: &Source<'_>,
    table: &dyn TableLike,
) -> Result<BTreeMap<PackageName, PackageEntry>, TrustFileError> {
    let mut packages = BTreeMap::new();
    for (key, value) in table.iter() {
        let span = table_key_span(table, key);
        let name = PackageName::new(key)
            .map_err(|e| src.error_from(span.clone(), invalid_name_message(key), Some(e.into())))?;
        if let Some(previous) = packages.get(&name) {
            let previous: &PackageEntry = previous;
            return Err(src.error(
                span,
                format!(
                    "`{key}` is the same package as `{}` on line {} (names are compared normalized, as {name})",
                    previous.key, previous.line
                ),
            ));
        }
        let entry = PackageEntry::empty(name.clone(), key, src.line(&span));
        packages.insert(name, entry_settings(src, entry, value, span)?);
    }
    Ok(packages)
}

/// Fills in `entry` from its table, then checks the settings agree with each other.
fn entry_settings(
    src: &Source<'_>,
    mut entry: PackageEntry,
    item: &Item,
    key_span: Span,
) -> Result<PackageEntry, TrustFileError> {
    let key = entry.key.clone();
    let table = src.table(
        item,
        key_span.clone(),
        &format!("the entry for `{key}` must be a table, e.g. {key} = {{ publisher = \"github:OWNER/REPO/release.yml\" }}"),
    )?;
    for (k, value) in table.iter() {
        entry_setting(src, &mut entry, table, k, value)?;
    }
    if entry.environment.is_some() && entry.publishers.is_empty() {
        return Err(src.error(
            key_span,
            format!("`{key}` sets an environment but no publisher; add publisher = \"SPEC\""),
        ));
    }
    if entry.require_environment_proof.is_some() && entry.environment.is_none() {
        return Err(src.error(
            key_span,
            format!("`{key}` sets require-environment-proof but no environment to prove; add environment = \"NAME\""),
        ));
    }
    Ok(entry)
}

fn entry_setting(
    src: &Source<'_>,
    entry: &mut PackageEntry,
    table: &dyn TableLike,
    k: &str,
    value: &Item,
) -> Result<(), TrustFileError> {
    match k {
        "publisher" => {
            for spec in publishers(src, &entry.key, value)? {
                if !entry.publishers.contains(&spec) {
                    entry.publishers.push(spec);
                }
            }
        }
        "environment" => {
            let env = value
                .as_str()
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| {
                    src.error(
                        value.span(),
                        "`environment` is the name of a deployment environment",
                    )
                })?;
            entry.environment = Some(env.to_string());
        }
        "require-environment-proof" => {
            entry.require_environment_proof = Some(src.bool(
                value,
                "`require-environment-proof` must be true or false",
            )?)
        }
        "unattested" => entry.unattested = Some(unattested(src, value)?),
        "cooldown" => {
            entry.cooldown = Some(cooldown(src, value, &format!("the entry for `{}`", entry.key))?)
        }
        "pinned" => {
            let marker = value.as_str().ok_or_else(|| {
                src.error(
                    value.span(),
                    "`pinned` is a note such as \"tofu 2025-06-01\"",
                )
            })?;
            entry.pinned = Some(marker.to_string());
        }
        other => {
            return Err(src.error(
                table_key_span(table, other),
                format!("unknown key `{other}` in the entry for `{}`: entries have publisher, environment, require-environment-proof, unattested, cooldown and pinned", entry.key),
            ))
        }
    }
    Ok(())
}

/// `publisher = "SPEC"` or `publisher = ["SPEC", ...]`; an error points at the element that is
/// wrong, not at the list.
fn publishers(
    src: &Source<'_>,
    key: &str,
    value: &Item,
) -> Result<Vec<PublisherSpec>, TrustFileError> {
    let specs: Vec<(&str, Span)> = match value.as_value() {
        Some(Value::String(s)) => vec![(s.value().as_str(), value.span())],
        Some(Value::Array(a)) => {
            let mut out = Vec::new();
            for v in a.iter() {
                let s = v
                    .as_str()
                    .ok_or_else(|| src.error(v.span(), "each publisher is a string SPEC"))?;
                out.push((s, v.span()));
            }
            if out.is_empty() {
                return Err(src.error(
                    value.span(),
                    format!(
                        "`{key}` has an empty publisher list; remove the key or name a publisher"
                    ),
                ));
            }
            out
        }
        _ => {
            return Err(src.error(
                value.span(),
                "`publisher` is a SPEC string or a list of them",
            ))
        }
    };
    specs
        .into_iter()
        .map(|(s, span)| {
            s.parse::<PublisherSpec>()
                .map_err(|e| src.error_from(span, e.to_string(), Some(e.into())))
        })
        .collect()
}

fn unattested(src: &Source<'_>, item: &Item) -> Result<Unattested, TrustFileError> {
    item.as_str().and_then(Unattested::parse).ok_or_else(|| {
        src.error(
            item.span(),
            "`unattested` is \"deny\", \"warn\" or \"allow\"",
        )
    })
}

/// `cooldown = "7 days"` (days or hours, or ISO 8601 `P7D`, `PT12H`), or `false` for none.
fn cooldown(src: &Source<'_>, item: &Item, place: &str) -> Result<Cooldown, TrustFileError> {
    if item.as_bool() == Some(false) {
        return Ok(Cooldown::NONE);
    }
    item.as_str().and_then(Cooldown::parse).ok_or_else(|| {
        src.error(
            item.span(),
            format!(
                "`cooldown` in {place} is a duration in days or hours, e.g. \"7 days\", \"36 hours\" or \"P7D\" (at most {} days), or false for none",
                Cooldown::MAX_HOURS / 24
            ),
        )
    })
}

fn key_span(table: &Table, key: &str) -> Span {
    table.key(key).and_then(|k| k.span())
}

fn table_key_span(table: &dyn TableLike, key: &str) -> Span {
    table.key(key).and_then(|k| k.span())
}

/// The text being parsed and the path that names it, for errors that point into it.
struct Source<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Source<'_> {
    fn error(&self, span: Span, message: impl Into<String>) -> TrustFileError {
        self.error_from(span, message, None)
    }

    /// An error at `span` (the start of the file when unknown), with the error it came from.
    fn error_from(
        &self,
        span: Span,
        message: impl Into<String>,
        source: Option<Error>,
    ) -> TrustFileError {
        let offset = span.as_ref().map_or(0, |s| s.start);
        let (line, column) = line_col(self.text, offset);
        let content = self.text.lines().nth(line - 1).unwrap_or("");
        let gutter = line.to_string().len();
        let excerpt = format!(
            "{:gutter$} |\n{line} | {content}\n{:gutter$} | {}^\n",
            "",
            "",
            " ".repeat(column - 1)
        );
        TrustFileError::Parse {
            path: self.path.to_path_buf(),
            line,
            column,
            message: message.into(),
            excerpt,
            source,
        }
    }

    fn toml_error(&self, e: toml_edit::TomlError) -> TrustFileError {
        let message = e.message().to_string();
        self.error_from(e.span(), message, Some(Box::new(e)))
    }

    /// 1-based line where `span` starts (line 1 when unknown).
    fn line(&self, span: &Span) -> usize {
        span.as_ref().map_or(1, |s| line_col(self.text, s.start).0)
    }

    fn table<'i>(
        &self,
        item: &'i Item,
        key_span: Span,
        message: &str,
    ) -> Result<&'i dyn TableLike, TrustFileError> {
        item.as_table_like()
            .ok_or_else(|| self.error(item.span().or(key_span), message))
    }

    fn bool(&self, value: &Item, message: &str) -> Result<bool, TrustFileError> {
        value
            .as_bool()
            .ok_or_else(|| self.error(value.span(), message))
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let on_line = before.rsplit_once('\n').map_or(before, |(_, l)| l);
    (line, on_line.chars().count() + 1)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}
