//! `pyprov install` and `pyprov download`.

use crate::cli::InstallArgs;
use crate::error::CliError;
use crate::install::{self, InstallError, Mode};

pub fn run(args: &InstallArgs, mode: Mode) -> Result<u8, CliError> {
    install::run(args.own.clone(), None, &args.pip_args, mode).map_err(|e| match e {
        InstallError::Trust(t) => CliError::Usage(t.to_string()),
        other => CliError::Usage(format!("{other}")),
    })
}
