//! `pyprov install` and `pyprov download`.

use crate::cli::InstallArgs;
use crate::error::CliError;
use crate::install::{self, Mode};

pub fn run(args: &InstallArgs, mode: Mode) -> Result<u8, CliError> {
    Ok(install::run(args.own.clone(), None, &args.pip_args, mode)?)
}
