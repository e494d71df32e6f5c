//! pyprov: verify the provenance of Python distributions before pip installs them.
//!
//! `verify` is the pure verification layer (bytes and digests in, verdicts out, no I/O); the
//! other modules read files, talk to users and dispatch commands.

pub mod alias;
pub mod cache;
pub mod cli;
pub mod commands;
pub mod error;
pub mod files;
pub mod index;
pub mod install;
pub mod output;
pub mod pipopts;
pub mod trust;
pub mod verify;
