//! Wire DTOs only: request/response shapes and their codecs, no behaviour.
//! Kept crate-private; the public API exposes domain types instead.

// DTOs keep every documented field even where the logic does not read it yet.
#[allow(dead_code)]
pub(crate) mod json;
#[allow(dead_code)]
pub(crate) mod xml;

#[cfg(test)]
mod fixture_tests;
