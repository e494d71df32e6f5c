//! Exit statuses, documented in the README ("Exit status"). Every error's status comes from its
//! variant (`CliError::exit_code`), never from the place that printed it.

pub const OK: u8 = 0;
/// A verification or policy failure.
pub const FAILED: u8 = 1;
/// A usage error or unusable input: a bad flag, an unreadable or broken file, no usable pip.
pub const USAGE: u8 = 2;
