//! `pyprov install` and `pyprov download`.

use crate::cli::InstallArgs;
use crate::error::CliError;
use crate::install::{self, args::OwnArgs, InstallError, Mode};

pub fn run(args: &InstallArgs, mode: Mode) -> Result<u8, CliError> {
    let own = OwnArgs {
        python: args.python.clone(),
        trust_file: args.trust.trust_file.clone(),
        locked: args.trust.locked,
        format: args.format,
        no_cache: args.no_cache,
        provenance_index: args.provenance_index.clone(),
        trusted_root: args.trusted_root.clone(),
        cache_dir: args.cache_dir.clone(),
        unattested: args.unattested.clone(),
        real_pip: None,
    };
    install::run(own, &args.pip_args, mode).map_err(|e| match e {
        InstallError::Trust(t) => CliError::Usage(t.to_string()),
        other => CliError::Usage(format!("{other}")),
    })
}
