//! pyprov's pure core, in a crate of its own so the build checks its purity: verification
//! (bytes, digests and provenance documents in, a verdict out) and the vocabulary every layer
//! shares. Its manifest has no async runtime, no HTTP client and no TOML editor, and nothing
//! here reads a file or the network.

pub mod verify;
pub mod vocab;
