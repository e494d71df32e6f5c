//! pyprov's table of pip's options (`pyprov::pipopts::OPTIONS`) against the real pip of each
//! version of the matrix ([`PipVersion::MATRIX`]): a Python snippet run in a venv with that pip
//! imports pip's own optparse parsers (the general options; `install`, `download`, `wheel`, and
//! `lock` where the pip has it; the requirements-file line parser, and which of its options
//! apply to one requirement; `pip list` for the rows the drop-in keeps of it) and prints every
//! option's spellings, whether it takes a value, its action and its `dest`.
//!
//! Both ways: an option some pip has that the table lacks (for that command) fails, naming it
//! and the pip; a row whose spellings, short name, value, kind or `dest` differ from pip's
//! fails; and a row (or a spelling, or a command it claims) that no pip of the matrix has
//! fails too. So a new pip in the matrix cannot bring an option pyprov would misparse.

use std::collections::{BTreeMap, BTreeSet};

use pyprov::pipopts::{cmds, traits, Kind, PipOption, Role, OPTIONS};
use serde_json::Value;

use crate::support::venv::{PipVersion, Venv};

/// Prints, as one JSON object, every option of pip's parsers that the table describes.
const PROBE: &str = r#"
import json
import pip
from pip._internal.commands import commands_dict, create_command
from pip._internal.cli import cmdoptions
from pip._internal.req import req_file


def describe(o):
    return {
        "long": [s[2:] for s in o._long_opts],
        "short": [s[1:] for s in o._short_opts],
        "action": o.action,
        "takes_value": bool(o.takes_value()),
        "dest": o.dest,
    }


general = [describe(f()) for f in cmdoptions.general_group["options"]]
general_longs = {l for o in general for l in o["long"]}
commands = {"general": general}
for name in ("install", "download", "wheel", "lock", "list"):
    if name not in commands_dict:
        continue
    parser = create_command(name).parser
    options = list(parser.option_list)
    for group in parser.option_groups:
        options.extend(group.option_list)
    # A command's parser holds the general options too: they are checked once, above.
    commands[name] = [
        describe(o) for o in options if not {s[2:] for s in o._long_opts} & general_longs
    ]
commands["reqfile"] = [describe(o) for o in req_file.build_parser().option_list]
per_requirement = [f().dest for f in req_file.SUPPORTED_OPTIONS_REQ]
per_requirement += [f().dest for f in getattr(req_file, "SUPPORTED_OPTIONS_EDITABLE_REQ", [])]
print(json.dumps({
    "version": pip.__version__,
    "commands": commands,
    "per_requirement": sorted(set(per_requirement)),
}))
"#;

/// pip's command (as the probe names it) and the table's bit for it.
const COMMANDS: [(&str, u8); 7] = [
    ("general", cmds::GENERAL),
    ("install", cmds::INSTALL),
    ("download", cmds::DOWNLOAD),
    ("wheel", cmds::WHEEL),
    ("lock", cmds::LOCK),
    ("reqfile", cmds::REQFILE),
    ("list", cmds::LIST),
];

/// One option of one of pip's parsers.
#[derive(Debug)]
struct PipOpt {
    long: Vec<String>,
    short: Vec<String>,
    action: String,
    takes_value: bool,
    dest: String,
}

impl PipOpt {
    fn from_json(v: &Value) -> PipOpt {
        let strings = |key: &str| -> Vec<String> {
            v[key]
                .as_array()
                .unwrap_or_else(|| panic!("{key} in {v}"))
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect()
        };
        PipOpt {
            long: strings("long"),
            short: strings("short"),
            action: v["action"].as_str().unwrap().to_string(),
            takes_value: v["takes_value"].as_bool().unwrap(),
            dest: v["dest"].as_str().unwrap_or_default().to_string(),
        }
    }

    fn spelled(&self) -> String {
        let mut words: Vec<String> = self.long.iter().map(|l| format!("--{l}")).collect();
        words.extend(self.short.iter().map(|s| format!("-{s}")));
        format!(
            "{} (dest {}, {})",
            words.join("/"),
            self.dest,
            if self.takes_value {
                "takes a value"
            } else {
                "no value"
            }
        )
    }
}

/// What one pip's parsers hold.
struct Probe {
    version: String,
    commands: BTreeMap<String, Vec<PipOpt>>,
    per_requirement: BTreeSet<String>,
}

fn probe(pip: PipVersion) -> Probe {
    let dir = tempfile::tempdir().unwrap();
    let venv = Venv::create_with(&dir.path().join("venv"), pip);
    let out = venv.run_python(&["-c", PROBE]);
    assert!(
        out.status.success(),
        "probing pip {:?}: {}",
        pip.version(),
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let version = json["version"].as_str().unwrap().to_string();
    assert_eq!(Some(version.as_str()), pip.version());
    let commands = json["commands"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, opts)| {
            let opts = opts.as_array().unwrap().iter().map(PipOpt::from_json);
            (name.clone(), opts.collect())
        })
        .collect();
    let per_requirement = json["per_requirement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect();
    Probe {
        version,
        commands,
        per_requirement,
    }
}

/// The rows that stand for pip's options (not pyprov's own flags, which only share the word
/// space).
fn rows() -> impl Iterator<Item = &'static PipOption> {
    OPTIONS.iter().filter(|o| o.commands & !cmds::PYPROV != 0)
}

fn row_name(row: &PipOption) -> String {
    format!("--{}", row.name())
}

/// Whether optparse's `action` does what the row's kind says (callbacks decide for themselves:
/// only whether they take a value is compared).
fn kind_matches(kind: Kind, action: &str) -> bool {
    match action {
        "store_true" => kind == Kind::Flag(true),
        "store_false" => kind == Kind::Flag(false),
        "count" => kind == Kind::Count,
        "store" => kind == Kind::Store,
        "append" => kind == Kind::Append,
        _ => true,
    }
}

/// Compares one pip option of `command` with the table's row for it; what is wrong.
fn compare(
    version: &str,
    command: &str,
    bit: u8,
    opt: &PipOpt,
    seen: &mut BTreeSet<(usize, u8)>,
    spellings: &mut BTreeSet<(usize, String)>,
) -> Vec<String> {
    let pip = format!("pip {version} `{command}`");
    let found = rows()
        .enumerate()
        .find(|(_, row)| opt.long.iter().any(|l| row.long.contains(&l.as_str())));
    // Of `pip list`, only the rows the drop-in keeps are compared: pip's listing options are
    // pip's to read; only those that ask an index matter.
    if bit == cmds::LIST && found.is_none_or(|(_, row)| row.commands & cmds::LIST == 0) {
        return Vec::new();
    }
    let Some((index, row)) = found else {
        return vec![format!(
            "{pip} has {} that the table lacks: add a row to pyprov::pipopts::OPTIONS",
            opt.spelled()
        )];
    };
    let mut wrong = Vec::new();
    if row.commands & bit == 0 {
        wrong.push(format!(
            "{pip} has {}, but its row {} does not list `{command}`",
            opt.spelled(),
            row_name(row)
        ));
        return wrong;
    }
    seen.insert((index, bit));
    for long in &opt.long {
        spellings.insert((index, long.clone()));
        if !row.long.contains(&long.as_str()) {
            wrong.push(format!(
                "{pip} spells {} also --{long}, which its row lacks",
                row_name(row)
            ));
        }
    }
    // A short name, like a long spelling, may be newer than the oldest pip (`-C`, pip 22.3):
    // the row has the union.
    let short: Vec<String> = row.short.iter().map(|c| c.to_string()).collect();
    for s in &opt.short {
        spellings.insert((index, format!("-{s}")));
    }
    if !opt.short.is_empty() && short != opt.short {
        wrong.push(format!(
            "{pip}: {} has short names {:?}, its row {:?}",
            row_name(row),
            opt.short,
            short
        ));
    }
    if row.takes_value() != opt.takes_value {
        wrong.push(format!(
            "{pip}: {} {}, its row says it {}",
            row_name(row),
            if opt.takes_value {
                "takes a value"
            } else {
                "takes no value"
            },
            if row.takes_value() {
                "does"
            } else {
                "does not"
            }
        ));
    }
    if !kind_matches(row.kind, &opt.action) {
        wrong.push(format!(
            "{pip}: {} is optparse's `{}`, its row {:?}",
            row_name(row),
            opt.action,
            row.kind
        ));
    }
    if row.dest != opt.dest {
        wrong.push(format!(
            "{pip}: {} has dest `{}`, its row `{}`",
            row_name(row),
            opt.dest,
            row.dest
        ));
    }
    wrong
}

#[test]
#[cfg_attr(
    not(feature = "real-pip"),
    ignore = "slow: real pip; cargo test --features real-pip"
)]
fn the_options_table_is_each_pips() {
    let probes: Vec<Probe> = std::thread::scope(|s| {
        let handles: Vec<_> = PipVersion::MATRIX
            .iter()
            .map(|&pip| s.spawn(move || probe(pip)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let mut wrong = Vec::new();
    // (row, command bit) pairs and (row, spelling) pairs some pip has.
    let mut seen = BTreeSet::new();
    let mut spellings = BTreeSet::new();
    for p in &probes {
        for (command, bit) in COMMANDS {
            let Some(opts) = p.commands.get(command) else {
                continue;
            };
            for opt in opts {
                wrong.extend(compare(
                    &p.version,
                    command,
                    bit,
                    opt,
                    &mut seen,
                    &mut spellings,
                ));
            }
        }
        // Which options of a requirements-file line apply to that line's requirement.
        for dest in &p.per_requirement {
            if !rows().any(|r| r.dest == dest && r.has(traits::PER_REQUIREMENT)) {
                wrong.push(format!(
                    "pip {}: the option with dest `{dest}` applies to one requirement of a \
                     requirements file, but no row with that dest has traits::PER_REQUIREMENT",
                    p.version
                ));
            }
        }
    }
    let per_requirement: BTreeSet<&str> = probes
        .iter()
        .flat_map(|p| p.per_requirement.iter().map(String::as_str))
        .collect();

    let versions: Vec<&str> = probes.iter().map(|p| p.version.as_str()).collect();
    let none = format!("no pip of the matrix ({})", versions.join(", "));
    for (index, row) in rows().enumerate() {
        // pyprov's own flags among pip's general options (`--python`) are checked like pip's
        // where pip has them; only a row no pip has is pyprov's to keep.
        for (command, bit) in COMMANDS {
            if row.commands & bit != 0 && !seen.contains(&(index, bit)) {
                wrong.push(format!(
                    "the row {} lists `{command}`, but {none} has it there",
                    row_name(row)
                ));
            }
        }
        if !seen.iter().any(|(i, _)| *i == index) {
            continue;
        }
        let words = row.long.iter().map(|l| l.to_string());
        for word in words.chain(row.short.map(|c| format!("-{c}"))) {
            if !spellings.contains(&(index, word.clone())) {
                let word = if word.starts_with('-') {
                    word
                } else {
                    format!("--{word}")
                };
                wrong.push(format!(
                    "the row {} has the spelling {word}, which {none} accepts",
                    row_name(row)
                ));
            }
        }
        if row.has(traits::PER_REQUIREMENT) && !per_requirement.contains(row.dest) {
            wrong.push(format!(
                "the row {} has traits::PER_REQUIREMENT, but in {none} does `{}` apply to one \
                 requirement",
                row_name(row),
                row.dest
            ));
        }
    }
    // The rows for pyprov's own flags are never pip's.
    for row in OPTIONS.iter().filter(|o| o.commands == cmds::PYPROV) {
        assert_eq!(row.role, Role::Own, "{}", row_name(row));
    }
    assert!(
        wrong.is_empty(),
        "pyprov::pipopts::OPTIONS differs from pip's own parsers:\n  {}",
        wrong.join("\n  ")
    );
}
