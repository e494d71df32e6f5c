//! pip's command line as pyprov reads it: `pipopts::parse` for each command, pip's
//! configuration through `Effective::apply_config`, `apply_args`, and the canonical words pyprov
//! hands pip; plus `shlex_split` and `expand_env`, which read requirements-file lines.
//!
//! Input: the first byte picks the command; the rest (lossy UTF-8) is `CONFIG\n\nARGS`, where
//! CONFIG is `key=value` lines (pip's configuration items, in override order) and ARGS is one
//! word per line.
//!
//! Oracles besides "no panic":
//! - the canonical words re-parse (same command) to an `Effective` that gives the same words:
//!   what pyprov hands pip reads back as what pyprov decided;
//! - `shlex_split` of words quoted the POSIX way gives those words back, and a split's words
//!   re-quoted and re-split are unchanged;
//! - `expand_env` leaves text without `${` untouched.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pyprov::pipopts::{self, Command, Effective, Role};

const ROLES: [Role; 10] = [
    Role::Source,
    Role::Input,
    Role::Network,
    Role::Location,
    Role::Both,
    Role::ResolveOnly,
    Role::InstallOnly,
    Role::Pyprov,
    Role::Verbosity,
    Role::Dropped,
];

fn quote(w: &str) -> String {
    format!("'{}'", w.replace('\'', "'\"'\"'"))
}

fn requote(words: &[String]) -> String {
    words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let command = match pick % 6 {
        0 => Command::Install,
        1 => Command::Download,
        2 => Command::General,
        3 => Command::RequirementsFile,
        4 => Command::Wheel,
        _ => Command::Lock,
    };
    let text = String::from_utf8_lossy(rest);

    // The line readers, on the whole text.
    if !text.contains("${") {
        assert_eq!(
            pipopts::expand_env(&text),
            text,
            "expand_env changed text without ${{"
        );
    } else {
        let _ = pipopts::expand_env(&text);
    }
    if let Ok(words) = pipopts::shlex_split(&text) {
        let again = pipopts::shlex_split(&requote(&words));
        assert_eq!(
            again.as_ref(),
            Ok(&words),
            "re-quoted words split differently"
        );
        let _ = pipopts::parse(&words, command);
    }

    let (config, args) = text.split_once("\n\n").unwrap_or(("", &text));
    let items: Vec<(String, String)> = config
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let args: Vec<String> = args.split('\n').map(str::to_string).collect();
    let quoted = requote(&args);
    assert_eq!(
        pipopts::shlex_split(&quoted).as_ref(),
        Ok(&args),
        "quoted words did not split back"
    );

    let mut effective = Effective::default();
    let _ = effective.apply_config(&items, command);
    let Ok(parsed) = pipopts::parse(&args, command) else {
        return;
    };
    if effective.apply_args(parsed).is_err() {
        return;
    }
    let _ = effective.check_supported();
    let words = effective.words(&ROLES);

    let reparsed = pipopts::parse(&words, command)
        .unwrap_or_else(|e| panic!("canonical words {words:?} do not re-parse: {e}"));
    let mut again = Effective::default();
    again
        .apply_args(reparsed)
        .unwrap_or_else(|e| panic!("canonical words {words:?} do not re-apply: {e}"));
    assert_eq!(
        again.words(&ROLES),
        words,
        "canonical words changed on re-parse"
    );
});
