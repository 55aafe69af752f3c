//! Integration tests: a real emulator on a free port, driven over HTTP.

mod auth;
mod common;
mod files;
mod upload;
