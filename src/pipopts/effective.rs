//! The options in effect for one pip command: pip's configuration, then the command line.

#![deny(clippy::indexing_slicing)]

use super::cmds::*;
use super::Kind::*;
use super::{applies, strtobool, Command, OptError, Parsed, PipOption, Role, OPTIONS};

/// The value of one `dest` after configuration and command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A flag's value, and the option that set it last.
    Flag(bool, &'static PipOption),
    Count(u32),
    Store(String, &'static PipOption),
    /// Each value with the option that added it, in order.
    Append(Vec<(&'static PipOption, String)>),
}

/// Options in effect for one pip command: pip's configuration (files, then `PIP_*` variables, as
/// pip orders them) overlaid by the command line, each `dest` once, in the order first set.
#[derive(Debug, Clone, Default)]
pub struct Effective {
    values: Vec<(&'static str, Value)>,
    /// Requirement words from the command line, in order.
    pub positional: Vec<String>,
}

impl Effective {
    fn slot(&mut self, dest: &'static str) -> Option<&mut Value> {
        self.values
            .iter_mut()
            .find(|(d, _)| *d == dest)
            .map(|(_, v)| v)
    }

    fn set(&mut self, dest: &'static str, v: Value) {
        match self.slot(dest) {
            Some(slot) => *slot = v,
            None => self.values.push((dest, v)),
        }
    }

    /// Applies pip's configuration items, in pip's override order (later wins), as pip's
    /// `ConfigOptionParser._update_defaults` does: only exact long names count, unknown keys are
    /// ignored, flags take a boolean (`no-*` flags included: pip sets the `dest` to the value as
    /// written), lists are split on white space and replace earlier ones.
    pub fn apply_config(
        &mut self,
        items: &[(String, String)],
        command: Command,
    ) -> Result<(), OptError> {
        let mask = command.mask() & !PYPROV;
        for (key, raw) in items {
            if raw.trim().is_empty() {
                continue;
            }
            let Some(option) = OPTIONS
                .iter()
                .find(|o| applies(o, mask) && o.long.contains(&key.as_str()))
            else {
                continue;
            };
            let bad = |why: &str| OptError::BadConfig {
                key: key.clone(),
                why: why.to_string(),
            };
            let v = match option.kind {
                Flag(_) => Value::Flag(
                    strtobool(raw).ok_or_else(|| bad("not a boolean (yes/no, true/false, 1/0)"))?,
                    option,
                ),
                Count => Value::Count(match strtobool(raw) {
                    Some(b) => u32::from(b),
                    None => raw
                        .trim()
                        .parse()
                        .map_err(|_| bad("not a non-negative integer"))?,
                }),
                Store => Value::Store(raw.clone(), option),
                Append => Value::Append(
                    raw.split_whitespace()
                        .map(|w| (option, w.to_string()))
                        .collect(),
                ),
            };
            if matches!(option.dest, "format_control" | "release_control") {
                // Two options write one setting (--no-binary and --only-binary, --all-releases
                // and --only-final), in order: keep the earlier ones.
                if let (Some(Value::Append(list)), Value::Append(more)) =
                    (self.slot(option.dest), &v)
                {
                    list.extend(more.iter().cloned());
                    continue;
                }
            }
            self.set(option.dest, v);
        }
        Ok(())
    }

    /// Applies a parsed command line over the configuration.
    pub fn apply_args(&mut self, parsed: Vec<Parsed>) -> Result<(), OptError> {
        for p in parsed {
            let (option, value, spelled) = match p {
                Parsed::Positional(w) => {
                    self.positional.push(w);
                    continue;
                }
                Parsed::Opt {
                    option,
                    value,
                    spelled,
                } => (option, value, spelled),
            };
            if let Role::Unsupported(why) = option.role {
                return Err(OptError::Unsupported {
                    option: spelled,
                    why,
                });
            }
            match (option.kind, value) {
                (Flag(b), _) => self.set(option.dest, Value::Flag(b, option)),
                (Count, _) => {
                    let n = match self.slot(option.dest) {
                        Some(Value::Count(n)) => *n,
                        _ => 0,
                    };
                    self.set(option.dest, Value::Count(n.saturating_add(1)));
                }
                (Store, Some(v)) => self.set(option.dest, Value::Store(v, option)),
                (Append, Some(v)) => match self.slot(option.dest) {
                    // pip's config value is the list's default; the command line adds to it.
                    Some(Value::Append(list)) => list.push((option, v)),
                    _ => self.set(option.dest, Value::Append(vec![(option, v)])),
                },
                (Store | Append, None) => return Err(OptError::MissingValue(spelled)),
            }
        }
        Ok(())
    }

    /// Refuses options whose role is [`Role::Unsupported`], wherever they were set.
    pub fn check_supported(&self) -> Result<(), OptError> {
        for (_, v) in &self.values {
            let option = match v {
                Value::Flag(true, o) | Value::Store(_, o) => *o,
                Value::Append(list) => match list.first() {
                    Some((o, _)) => *o,
                    None => continue,
                },
                _ => continue,
            };
            if let Role::Unsupported(why) = option.role {
                return Err(OptError::Unsupported {
                    option: format!("--{} (from pip's configuration)", option.name()),
                    why,
                });
            }
        }
        Ok(())
    }

    pub fn get(&self, dest: &str) -> Option<&Value> {
        self.values.iter().find(|(d, _)| *d == dest).map(|(_, v)| v)
    }

    pub fn flag(&self, dest: &str) -> bool {
        matches!(self.get(dest), Some(Value::Flag(true, _)))
    }

    pub fn store(&self, dest: &str) -> Option<&str> {
        match self.get(dest) {
            Some(Value::Store(v, _)) => Some(v),
            _ => None,
        }
    }

    pub fn list(&self, dest: &str) -> Vec<String> {
        match self.get(dest) {
            Some(Value::Append(list)) => list.iter().map(|(_, v)| v.clone()).collect(),
            _ => Vec::new(),
        }
    }

    pub fn count(&self, dest: &str) -> u32 {
        match self.get(dest) {
            Some(Value::Count(n)) => *n,
            _ => 0,
        }
    }

    /// Canonical words for pip for every option whose role is one of `roles`, in order.
    /// [`Self::words`] of the options `pip COMMAND` takes (`commands`: [`cmds`] bits).
    pub fn words_for(&self, roles: &[Role], commands: u8) -> Vec<String> {
        let takes = |word: &str| {
            let name = word.trim_start_matches('-');
            let name = name.split_once('=').map_or(name, |(n, _)| n);
            OPTIONS
                .iter()
                .any(|o| o.name() == name && o.commands & (commands | GENERAL) != 0)
        };
        self.words(roles).into_iter().filter(|w| takes(w)).collect()
    }

    pub fn words(&self, roles: &[Role]) -> Vec<String> {
        self.words_where(|o| roles.contains(&o.role))
    }

    /// Canonical words for pip for every option `keep` accepts, in order.
    pub fn words_where(&self, keep: impl Fn(&PipOption) -> bool) -> Vec<String> {
        let mut out = Vec::new();
        for (_, v) in &self.values {
            match v {
                Value::Flag(b, o) if keep(o) => {
                    // The option that sets the dest to this value (`--no-user` for false).
                    let setter = OPTIONS
                        .iter()
                        .find(|x| x.dest == o.dest && x.kind == Flag(*b));
                    if let Some(s) = setter {
                        out.push(s.canonical(None));
                    }
                }
                Value::Store(s, o) if keep(o) => {
                    out.push(o.canonical(Some(s)));
                }
                Value::Append(list) => {
                    for (o, s) in list {
                        if keep(o) {
                            out.push(o.canonical(Some(s)));
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }
}
