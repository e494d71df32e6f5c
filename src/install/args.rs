//! `pyprov install`'s command line: pyprov's own flags, then pip's install arguments, sorted by
//! what pyprov must do with them (replace, interpret, or pass through unchanged).

use std::path::PathBuf;

use crate::cli::Format;

/// pip install/download options that take a value, so the next word is not a requirement.
const VALUE_OPTIONS: &[&str] = &[
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--upgrade-strategy",
    "--src",
    "--report",
    "--progress-bar",
    "--global-option",
    "-C",
    "--config-settings",
    "--build-constraint",
    "--no-binary",
    "--only-binary",
    "--cache-dir",
    "--log",
    "--log-file",
    "--timeout",
    "--retries",
    "--trusted-host",
    "--cert",
    "--client-cert",
    "--proxy",
    "--exists-action",
    "--python",
    "--keyring-provider",
    "--root-user-action",
    "--use-feature",
    "--use-deprecated",
    "--group",
    "-d",
    "--dest",
    "--resume-retries",
];

/// Options that say where to install; they go to both pip runs.
const LOCATION_OPTIONS: &[&str] = &["-t", "--target", "--prefix", "--root", "--user", "--src"];

/// pip's own flags pyprov reads (they still go to pip where they make sense).
#[derive(Debug, Default, Clone)]
pub struct PipArgs {
    pub requirement_files: Vec<PathBuf>,
    pub constraint_files: Vec<PathBuf>,
    pub editables: Vec<String>,
    /// Requirement specifiers and paths/URLs given on the command line.
    pub requirements: Vec<String>,
    pub index_url: Option<String>,
    pub extra_index_urls: Vec<String>,
    pub find_links: Vec<String>,
    pub no_index: bool,
    pub require_hashes: bool,
    pub no_deps: bool,
    pub dry_run: bool,
    /// `--report FILE` asked by the user: pyprov writes pip's resolution report there.
    pub report: Option<String>,
    /// `-d DIR` for `pyprov download`.
    pub dest: Option<PathBuf>,
    /// Where to install (`--target`, `--prefix`, `--root`, `--user`), verbatim.
    pub location: Vec<String>,
    /// Everything else, verbatim, in order: it goes to both pip runs.
    pub passthrough: Vec<String>,
    pub verbosity: i32,
}

/// pyprov's own install flags, which pip never sees.
#[derive(Debug, Clone, Default)]
pub struct OwnArgs {
    pub python: Option<PathBuf>,
    pub trust_file: Option<PathBuf>,
    pub locked: Option<bool>,
    pub format: Format,
    pub no_cache: bool,
    pub provenance_index: Option<String>,
    pub trusted_root: Option<PathBuf>,
    pub cache_dir: Option<PathBuf>,
    pub unattested: Option<String>,
    /// The real pip chosen by the drop-in alias (program and leading arguments).
    pub real_pip: Option<(PathBuf, Vec<String>)>,
}

impl OwnArgs {
    /// pyprov's settings from its environment variables alone: what the `pip` drop-in uses,
    /// since pip's command line has no room for pyprov's flags (they are accepted there too).
    pub fn from_env() -> OwnArgs {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        OwnArgs {
            trust_file: var("PYPROV_TRUST_FILE").map(PathBuf::from),
            locked: var("PYPROV_LOCKED")
                .map(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on")),
            provenance_index: var("PYPROV_PROVENANCE_INDEX"),
            cache_dir: var("PYPROV_CACHE_DIR").map(PathBuf::from),
            unattested: var("PYPROV_UNATTESTED"),
            trusted_root: var("PYPROV_TRUSTED_ROOT").map(PathBuf::from),
            ..OwnArgs::default()
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ArgError(pub String);

fn split_value(arg: &str) -> (&str, Option<&str>) {
    if let Some(rest) = arg.strip_prefix("--") {
        if let Some((name, value)) = rest.split_once('=') {
            return (&arg[..name.len() + 2], Some(value));
        }
        return (arg, None);
    }
    // Short options glue their value: `-rreqs.txt`.
    if arg.len() > 2 && arg.starts_with('-') && !arg.starts_with("--") {
        let (name, value) = arg.split_at(2);
        if VALUE_OPTIONS.contains(&name) {
            return (name, Some(value));
        }
    }
    (arg, None)
}

/// Splits `pyprov install ARGS` into pyprov's flags and pip's arguments. `own` holds the flags
/// already parsed before the first pip argument; later ones override them.
pub fn parse(mut own: OwnArgs, args: &[String]) -> Result<(OwnArgs, PipArgs), ArgError> {
    let mut pip = PipArgs::default();
    let mut i = 0;
    let value_of = |i: &mut usize, name: &str, inline: Option<&str>| -> Result<String, ArgError> {
        if let Some(v) = inline {
            return Ok(v.to_string());
        }
        *i += 1;
        args.get(*i)
            .cloned()
            .ok_or_else(|| ArgError(format!("{name} needs a value")))
    };
    while i < args.len() {
        let arg = &args[i];
        let (name, inline) = split_value(arg);
        match name {
            "--python" => own.python = Some(value_of(&mut i, name, inline)?.into()),
            "--trust-file" => own.trust_file = Some(value_of(&mut i, name, inline)?.into()),
            "--locked" => {
                own.locked = Some(match inline.map(str::to_ascii_lowercase).as_deref() {
                    None | Some("true" | "1" | "yes" | "on") => true,
                    Some("false" | "0" | "no" | "off") => false,
                    Some(other) => {
                        return Err(ArgError(format!(
                            "--locked={other}: expected true or false"
                        )))
                    }
                })
            }
            "--unattested" => own.unattested = Some(value_of(&mut i, name, inline)?),
            "--no-cache" => own.no_cache = true,
            "--provenance-index" => own.provenance_index = Some(value_of(&mut i, name, inline)?),
            "--trusted-root" => own.trusted_root = Some(value_of(&mut i, name, inline)?.into()),
            "--pyprov-cache-dir" => own.cache_dir = Some(value_of(&mut i, name, inline)?.into()),
            // pip's own caches stay off under pyprov: a cached (or built) wheel would reach pip
            // without passing the gate. pyprov's cache of verified files stands in for them.
            "--cache-dir" => {
                value_of(&mut i, name, inline)?;
            }
            "--no-cache-dir" => {}
            "--format" => {
                own.format = match value_of(&mut i, name, inline)?.as_str() {
                    "json" => Format::Json,
                    "text" => Format::Text,
                    other => {
                        return Err(ArgError(format!("--format is text or json, not {other}")))
                    }
                }
            }
            "-r" | "--requirement" => pip
                .requirement_files
                .push(value_of(&mut i, name, inline)?.into()),
            "-c" | "--constraint" => pip
                .constraint_files
                .push(value_of(&mut i, name, inline)?.into()),
            "-e" | "--editable" => pip.editables.push(value_of(&mut i, name, inline)?),
            "-i" | "--index-url" => pip.index_url = Some(value_of(&mut i, name, inline)?),
            "--extra-index-url" => pip.extra_index_urls.push(value_of(&mut i, name, inline)?),
            "-f" | "--find-links" => pip.find_links.push(value_of(&mut i, name, inline)?),
            "--no-index" => pip.no_index = true,
            "--require-hashes" => pip.require_hashes = true,
            "--no-deps" => pip.no_deps = true,
            "--dry-run" => pip.dry_run = true,
            "--report" => pip.report = Some(value_of(&mut i, name, inline)?),
            "-d" | "--dest" | "--destination-dir" => {
                pip.dest = Some(value_of(&mut i, name, inline)?.into())
            }
            "-q" | "--quiet" => pip.verbosity -= 1,
            "-v" | "--verbose" => pip.verbosity += 1,
            "-qq" => pip.verbosity -= 2,
            "-vv" => pip.verbosity += 2,
            _ if LOCATION_OPTIONS.contains(&name) => {
                pip.location.push(name.to_string());
                if name != "--user" {
                    pip.location.push(value_of(&mut i, name, inline)?);
                }
            }
            _ if name.starts_with('-') => {
                pip.passthrough.push(name.to_string());
                if VALUE_OPTIONS.contains(&name) {
                    pip.passthrough.push(value_of(&mut i, name, inline)?);
                } else if let Some(v) = inline {
                    // A flag pyprov does not know, given as --flag=value: keep it whole.
                    pip.passthrough.pop();
                    pip.passthrough.push(format!("{name}={v}"));
                }
            }
            _ => pip.requirements.push(arg.clone()),
        }
        i += 1;
    }
    Ok((own, pip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> (OwnArgs, PipArgs) {
        let v: Vec<String> = s.split_whitespace().map(str::to_string).collect();
        parse(OwnArgs::default(), &v).unwrap()
    }

    #[test]
    fn sorts_arguments() {
        let (own, pip) = parse_str(
            "-r reqs.txt --index-url=https://i/simple --locked requests==2.0 -t out --pre \
             --only-binary :all: -rmore.txt --python /venv/bin/python -e . --format json -q",
        );
        assert_eq!(
            pip.requirement_files,
            vec![PathBuf::from("reqs.txt"), "more.txt".into()]
        );
        assert_eq!(pip.index_url.as_deref(), Some("https://i/simple"));
        assert_eq!(pip.requirements, vec!["requests==2.0"]);
        assert_eq!(pip.location, vec!["-t", "out"]);
        assert_eq!(pip.passthrough, vec!["--pre", "--only-binary", ":all:"]);
        let (own2, pip2) = parse_str("--cache-dir /c --pyprov-cache-dir /p x --no-cache-dir");
        assert!(pip2.passthrough.is_empty(), "{:?}", pip2.passthrough);
        assert_eq!(own2.cache_dir, Some(PathBuf::from("/p")));
        assert_eq!(pip.editables, vec!["."]);
        assert_eq!(pip.verbosity, -1);
        assert_eq!(own.python, Some("/venv/bin/python".into()));
        assert_eq!(own.locked, Some(true));
        assert_eq!(own.format, Format::Json);
    }

    #[test]
    fn missing_values_are_errors() {
        assert!(parse(OwnArgs::default(), &["-r".to_string()]).is_err());
        assert!(parse(
            OwnArgs::default(),
            &["--format".to_string(), "xml".to_string()]
        )
        .is_err());
    }
}
