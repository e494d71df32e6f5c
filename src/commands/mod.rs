//! One module per subcommand: each turns parsed arguments into work and an exit status.

pub mod completions;
pub mod inspect;
pub mod install;
pub mod lock;
pub mod trust;
pub mod trust_init;
pub mod verify;
