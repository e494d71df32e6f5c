//! Changes to a trust file's document, made the way a careful person would: through
//! `toml_edit`, so every comment, blank line and the order of entries survive, and only the
//! entry being changed changes. Nothing here reads or writes the file; [`super::store`] does,
//! under its lock.

use std::path::Path;

use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, Value};

use super::error::TrustFileError;
use super::model::{Contents, PackageEntry, Unattested};
use super::pin_marker;
use crate::verify::PublisherSpec;
use crate::vocab::PackageName;

/// What an edit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditOutcome {
    /// The file was written.
    Changed,
    /// The file already said this; nothing was written.
    Unchanged,
    /// A pin was asked for, but the package already names a publisher (possibly pinned by
    /// another process a moment ago): nothing was written, and this is the entry to judge by.
    AlreadyPinned(PackageEntry),
}

/// A change to the trust file.
#[derive(Debug, Clone)]
pub enum Edit<'a> {
    /// Add publishers to a package (creating the entry), optionally setting its environment.
    /// Adding by hand promotes a learned pin: the `pinned` marker is dropped.
    Add {
        package: &'a str,
        publishers: &'a [PublisherSpec],
        environment: Option<&'a str>,
    },
    /// `unattested = "allow"` for one package.
    AllowUnattested {
        package: &'a str,
    },
    Remove {
        package: &'a str,
    },
    /// Pin a package to the publisher its certificate proved, marked `pinned = "tofu DATE"`.
    /// Does nothing when the package already names a publisher.
    Pin {
        package: &'a str,
        publisher: &'a PublisherSpec,
        environment: Option<&'a str>,
        date: &'a str,
    },
}

impl Edit<'_> {
    /// The package the change is about, as given.
    pub fn package(&self) -> &str {
        match self {
            Edit::Add { package, .. }
            | Edit::AllowUnattested { package }
            | Edit::Remove { package }
            | Edit::Pin { package, .. } => package,
        }
    }
}

/// Applies `change` to `doc`, whose validated contents are `before`. `path` names the file in
/// errors. The caller writes `doc` only when the outcome is [`EditOutcome::Changed`].
pub(super) fn apply(
    doc: &mut DocumentMut,
    before: &Contents,
    change: &Edit<'_>,
    path: &Path,
) -> Result<EditOutcome, TrustFileError> {
    let package = PackageName::new(change.package())?;
    let existing = before.entry(&package).cloned();
    let packages = packages_table(doc, path)?;
    match existing {
        None => add_entry(packages, &package, change, path),
        Some(existing) => change_entry(packages, existing, change, path),
    }
}

/// The `[packages]` table, created (after a blank line) when the file has none.
fn packages_table<'d>(
    doc: &'d mut DocumentMut,
    path: &Path,
) -> Result<&'d mut Table, TrustFileError> {
    let root = doc.as_table_mut();
    if !root.contains_key("packages") {
        let mut t = Table::new();
        if !root.is_empty() {
            t.decor_mut().set_prefix("\n");
        }
        root.insert("packages", Item::Table(t));
    }
    match root.get_mut("packages") {
        Some(Item::Table(packages)) => Ok(packages),
        _ => Err(TrustFileError::Unsupported {
            path: path.to_path_buf(),
        }),
    }
}

/// A package with no entry yet: a new inline table, in sorted position.
fn add_entry(
    packages: &mut Table,
    package: &PackageName,
    change: &Edit<'_>,
    path: &Path,
) -> Result<EditOutcome, TrustFileError> {
    let mut t = InlineTable::new();
    match change {
        Edit::Add {
            publishers,
            environment,
            ..
        } => {
            t.insert("publisher", publisher_value(publishers));
            if let Some(env) = environment {
                t.insert("environment", Value::from(*env));
            }
        }
        Edit::AllowUnattested { .. } => {
            t.insert("unattested", Value::from("allow"));
        }
        Edit::Pin {
            publisher,
            environment,
            date,
            ..
        } => {
            t.insert("publisher", Value::from(publisher.to_string()));
            if let Some(env) = environment {
                t.insert("environment", Value::from(*env));
            }
            t.insert("pinned", Value::from(pin_marker(date)));
        }
        Edit::Remove { .. } => {
            return Err(TrustFileError::NoEntry {
                path: path.to_path_buf(),
                package: package.to_string(),
            })
        }
    }
    t.fmt();
    packages.set_implicit(false);
    insert_sorted(packages, package, Item::Value(Value::InlineTable(t)));
    Ok(EditOutcome::Changed)
}

/// Keys to set and to remove in an existing entry.
#[derive(Default)]
struct Update {
    sets: Vec<(&'static str, Value)>,
    removes: Vec<&'static str>,
}

/// A package that has an entry: change it where it is, in whichever form it was written.
fn change_entry(
    packages: &mut Table,
    existing: PackageEntry,
    change: &Edit<'_>,
    path: &Path,
) -> Result<EditOutcome, TrustFileError> {
    let update = match change {
        Edit::Remove { .. } => {
            packages.remove(&existing.key);
            return Ok(EditOutcome::Changed);
        }
        Edit::Pin { .. } if existing.is_pinned() => {
            return Ok(EditOutcome::AlreadyPinned(existing))
        }
        _ => update_for(&existing, change),
    };
    if update.sets.is_empty() && update.removes.is_empty() {
        return Ok(EditOutcome::Unchanged);
    }
    match packages.get_mut(&existing.key) {
        Some(Item::Value(Value::InlineTable(t))) => {
            for (k, v) in update.sets {
                inline_set(t, k, v);
            }
            for k in update.removes {
                inline_remove(t, k);
            }
        }
        Some(Item::Table(t)) => {
            for (k, v) in update.sets {
                table_set(t, k, v);
            }
            for k in update.removes {
                t.remove(k);
            }
        }
        _ => {
            return Err(TrustFileError::Unsupported {
                path: path.to_path_buf(),
            })
        }
    }
    Ok(EditOutcome::Changed)
}

/// What `change` (not a removal, not a pin of a pinned package) changes in `existing`.
fn update_for(existing: &PackageEntry, change: &Edit<'_>) -> Update {
    let mut u = Update::default();
    match change {
        Edit::Add {
            publishers,
            environment,
            ..
        } => {
            let mut all = existing.publishers.clone();
            for p in publishers.iter() {
                if !all.contains(p) {
                    all.push(p.clone());
                }
            }
            if all != existing.publishers {
                u.sets.push(("publisher", publisher_value(&all)));
            }
            if let Some(env) = environment {
                if existing.environment.as_deref() != Some(*env) {
                    u.sets.push(("environment", Value::from(*env)));
                }
            }
            // A person vouched for the entry: it is no longer a learned pin.
            if existing.pinned.is_some() {
                u.removes.push("pinned");
            }
        }
        Edit::AllowUnattested { .. } => {
            if existing.unattested != Some(Unattested::Allow) {
                u.sets.push(("unattested", Value::from("allow")));
            }
        }
        Edit::Pin {
            publisher,
            environment,
            date,
            ..
        } => {
            // The entry exists without a publisher (it only sets `unattested`): learn one.
            u.sets
                .push(("publisher", Value::from(publisher.to_string())));
            if let Some(env) = environment {
                u.sets.push(("environment", Value::from(*env)));
            }
            u.sets.push(("pinned", Value::from(pin_marker(date))));
        }
        Edit::Remove { .. } => {}
    }
    u
}

fn publisher_value(publishers: &[PublisherSpec]) -> Value {
    match publishers {
        [one] => Value::from(one.to_string()),
        many => {
            let mut a = Array::new();
            for p in many {
                a.push(p.to_string());
            }
            Value::Array(a)
        }
    }
}

/// Sets `key` in an inline-table entry the way a person would: a replaced value keeps its
/// spacing, a new key goes last with the closing spacing moved to it.
fn inline_set(t: &mut InlineTable, key: &str, mut value: Value) {
    if let Some(old) = t.get_mut(key) {
        *value.decor_mut() = old.decor().clone();
        *old = value;
        return;
    }
    let mut closing = " ".to_string();
    if let Some((_, last)) = t.iter_mut().last() {
        closing = last
            .decor()
            .suffix()
            .and_then(|s| s.as_str())
            .unwrap_or(" ")
            .to_string();
        last.decor_mut().set_suffix("");
    }
    value.decor_mut().set_prefix(" ");
    value.decor_mut().set_suffix(closing);
    t.insert(key, value);
    if let Some(mut k) = t.key_mut(key) {
        k.leaf_decor_mut().set_prefix(" ");
        k.leaf_decor_mut().set_suffix(" ");
    }
}

/// Removes `key` from an inline-table entry; when it was last, the new last value takes over
/// the closing spacing.
fn inline_remove(t: &mut InlineTable, key: &str) {
    let was_last = t.iter().last().is_some_and(|(k, _)| k == key);
    let Some(removed) = t.remove(key) else {
        return;
    };
    if was_last {
        let closing = removed
            .decor()
            .suffix()
            .and_then(|s| s.as_str())
            .unwrap_or(" ")
            .to_string();
        if let Some((_, last)) = t.iter_mut().last() {
            last.decor_mut().set_suffix(closing);
        }
    }
}

fn table_set(t: &mut Table, key: &str, mut value: Value) {
    if let Some(old) = t.get_mut(key).and_then(Item::as_value_mut) {
        *value.decor_mut() = old.decor().clone();
        *old = value;
        return;
    }
    t.insert(key, Item::Value(value));
}

/// Inserts a value entry before the first value entry that sorts after it, leaving entries the
/// user ordered differently where they are. Tables (`[packages.NAME]`) are not moved.
fn insert_sorted(packages: &mut Table, name: &PackageName, item: Item) {
    let keys: Vec<String> = packages
        .iter()
        .filter(|(_, v)| v.is_value())
        .map(|(k, _)| k.to_string())
        .collect();
    let split = keys
        .iter()
        .position(|k| PackageName::normalize(k).as_str() > name.as_str())
        .unwrap_or(keys.len());
    let moved: Vec<_> = keys
        .iter()
        .skip(split)
        .filter_map(|k| packages.remove_entry(k))
        .collect();
    packages.insert(name.as_str(), item);
    for (k, v) in moved {
        packages.insert_formatted(&k, v);
    }
}
