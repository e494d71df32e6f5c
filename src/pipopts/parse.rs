//! pip's command line read with optparse's rules, and the line readers of requirements files.

#![deny(clippy::indexing_slicing)]

use super::cmds::*;
use super::{applies, Command, OptError, Parsed, PipOption, OPTIONS};

/// The option a long name (without `--`) means, by optparse's rules: an exact spelling, else
/// the one spelling it is a prefix of. Prefixes are checked against every command's spellings
/// (a superset of any one pip's), so pyprov never reads a prefix as one option when some pip
/// would read it as another.
pub fn find_long(name: &str, command: Command) -> Result<&'static PipOption, OptError> {
    let mask = command.mask();
    if let Some(o) = OPTIONS
        .iter()
        .find(|o| applies(o, mask) && o.long.contains(&name))
    {
        return Ok(o);
    }
    if name.is_empty() {
        return Err(OptError::Unknown("--".into()));
    }
    let mut spellings: Vec<(&'static str, &'static PipOption)> = Vec::new();
    for o in OPTIONS.iter().filter(|o| applies(o, command.scope())) {
        for l in o.long {
            if l.starts_with(name) && !spellings.iter().any(|(s, _)| s == l) {
                spellings.push((l, o));
            }
        }
    }
    match spellings.as_slice() {
        [] => Err(OptError::Unknown(match closest_long(name, command) {
            Some(l) => format!("--{name} (did you mean --{l}?)"),
            None => format!("--{name}"),
        })),
        [(_, o)] if applies(o, mask) => Ok(o),
        [(l, _)] => Err(OptError::Unknown(format!(
            "--{name} (--{l} does not apply here)"
        ))),
        many => Err(OptError::Ambiguous {
            given: format!("--{name}"),
            candidates: many.iter().map(|(l, _)| format!("--{l}")).collect(),
        }),
    }
}

/// The long spelling (of pip's or pyprov's options here) nearest a misspelled `name`, when it is
/// close enough to be a likely typo: at most a third of its letters off, and at most 3.
fn closest_long(name: &str, command: Command) -> Option<&'static str> {
    let limit = (name.chars().count() / 3).clamp(1, 3);
    OPTIONS
        .iter()
        .filter(|o| applies(o, command.mask()))
        .flat_map(|o| o.long.iter().copied())
        .map(|l| (strsim::levenshtein(name, l), l))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, l)| l)
}

pub fn find_short(c: char, command: Command) -> Option<&'static PipOption> {
    let mask = command.mask();
    OPTIONS
        .iter()
        .find(|o| applies(o, mask) && o.short == Some(c))
}

/// Parses `args` as optparse parses pip's command line for `command`. Options and positional
/// words may be interspersed; `--` ends the options.
pub fn parse(args: &[String], command: Command) -> Result<Vec<Parsed>, OptError> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        i += 1;
        if arg == "--" {
            out.extend(args.iter().skip(i).cloned().map(Parsed::Positional));
            break;
        }
        if let Some(rest) = arg.strip_prefix("--") {
            let (name, inline) = match rest.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (rest, None),
            };
            let option = find_long(name, command)?;
            let value = if option.takes_value() {
                match inline {
                    Some(v) => Some(v),
                    None => {
                        let v = args
                            .get(i)
                            .cloned()
                            .ok_or_else(|| OptError::MissingValue(format!("--{name}")))?;
                        i += 1;
                        Some(v)
                    }
                }
            } else if inline.is_some() && option.commands != PYPROV {
                return Err(OptError::UnexpectedValue(format!("--{name}")));
            } else {
                // pyprov's own flags may say `--locked=false`.
                inline
            };
            out.push(Parsed::Opt {
                option,
                value,
                spelled: arg.clone(),
            });
            continue;
        }
        match arg.strip_prefix('-') {
            Some(cluster) if !cluster.is_empty() => {
                for (at, c) in cluster.char_indices() {
                    let option =
                        find_short(c, command).ok_or_else(|| OptError::Unknown(format!("-{c}")))?;
                    if option.takes_value() {
                        let rest = cluster.get(at + c.len_utf8()..).unwrap_or("");
                        let value = if rest.is_empty() {
                            let v = args
                                .get(i)
                                .cloned()
                                .ok_or_else(|| OptError::MissingValue(format!("-{c}")))?;
                            i += 1;
                            v
                        } else {
                            rest.to_string()
                        };
                        out.push(Parsed::Opt {
                            option,
                            value: Some(value),
                            spelled: arg.clone(),
                        });
                        break;
                    }
                    out.push(Parsed::Opt {
                        option,
                        value: None,
                        spelled: arg.clone(),
                    });
                }
            }
            _ => out.push(Parsed::Positional(arg.clone())),
        }
    }
    Ok(out)
}

/// A quote `shlex.split` finds no end to (its own words).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no closing quotation")]
pub struct UnclosedQuote;

/// Splits `line` into words as Python's `shlex.split` does (POSIX mode: quotes, backslash
/// escapes, `#` is not special), which is how pip reads the options of a requirements line.
pub fn shlex_split(line: &str) -> Result<Vec<String>, UnclosedQuote> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => word.push(x),
                        None => return Err(UnclosedQuote),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('\\' | '"' | '$' | '`')) => word.push(x),
                            Some('\n') => {}
                            Some(x) => {
                                word.push('\\');
                                word.push(x);
                            }
                            None => return Err(UnclosedQuote),
                        },
                        Some(x) => word.push(x),
                        None => return Err(UnclosedQuote),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') | None => {}
                    Some(x) => word.push(x),
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// pip's `${NAME}` expansion in requirements files (names of upper-case letters, digits and
/// `_`; an unset variable is left as written), so pyprov reads the line pip would read.
pub fn expand_env(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find("${") {
        out.push_str(rest.get(..start).unwrap_or(""));
        let after = rest.get(start + 2..).unwrap_or("");
        let end = after.find('}');
        let name = end.and_then(|e| after.get(..e));
        match name.filter(|n| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        }) {
            Some(n) => {
                match std::env::var(n) {
                    Ok(v) => out.push_str(&v),
                    Err(_) => {
                        out.push_str("${");
                        out.push_str(n);
                        out.push('}');
                    }
                }
                rest = after.get(n.len() + 1..).unwrap_or("");
            }
            None => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// pip's `strtobool`.
pub fn strtobool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" | "t" | "true" | "on" | "1" => Some(true),
        "n" | "no" | "f" | "false" | "off" | "0" => Some(false),
        _ => None,
    }
}
